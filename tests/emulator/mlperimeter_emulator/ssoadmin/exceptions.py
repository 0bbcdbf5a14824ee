from moto.core.exceptions import JsonRESTError
from moto.ssoadmin.exceptions import ConflictException, ResourceNotFoundException

__all__ = ["ConflictException", "ResourceNotFoundException", "ValidationException"]


class ValidationException(JsonRESTError):
    code = 400

    def __init__(self, message):
        super().__init__("ValidationException", message)
