from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError

__all__ = ["ResourceInUseException", "ResourceNotFound", "ValidationError", "ConstraintViolation"]


class ConstraintViolation(ValidationError):
    """A parameter outside the model's constraints, worded as SageMaker words it."""

    def __init__(self, value, path, constraint):
        super().__init__(
            f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: {constraint}"
        )
