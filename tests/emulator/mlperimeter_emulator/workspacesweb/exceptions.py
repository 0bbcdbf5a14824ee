"""The modeled errors of WorkSpaces Secure Browser (``workspaces-web``).

Each class is named after the error shape in botocore's model; moto's serializer
takes the HTTP status from the model and the extra members from the attributes.
"""

from moto.core.exceptions import ServiceException

SERVICE_CODE = "workspaces-web"


class ValidationException(ServiceException):
    code = "ValidationException"

    def __init__(self, message, field_list=None, reason="fieldValidationFailed"):
        super().__init__(message)
        self.reason = reason
        self.fieldList = field_list or []

    @classmethod
    def for_fields(cls, errors):
        """``errors`` is a list of (field name, message) pairs."""
        count = len(errors)
        summary = "; ".join(f"Value at '{name}' failed to satisfy constraint: {message}" for name, message in errors)
        return cls(
            f"{count} validation error{'s' if count > 1 else ''} detected: {summary}",
            [{"name": name, "message": message} for name, message in errors],
        )

    @classmethod
    def for_field(cls, name, message):
        return cls.for_fields([(name, message)])


class ResourceNotFoundException(ServiceException):
    code = "ResourceNotFoundException"

    def __init__(self, resource_type, resource_id):
        super().__init__(f"The {resource_type} {resource_id} was not found.")
        self.resourceType = resource_type
        self.resourceId = resource_id


class ConflictException(ServiceException):
    code = "ConflictException"

    def __init__(self, message, resource_type, resource_id):
        super().__init__(message)
        self.resourceType = resource_type
        self.resourceId = resource_id


class ServiceQuotaExceededException(ServiceException):
    code = "ServiceQuotaExceededException"

    def __init__(self, message, resource_type, resource_id, quota_code):
        super().__init__(message)
        self.resourceType = resource_type
        self.resourceId = resource_id
        self.serviceCode = SERVICE_CODE
        self.quotaCode = quota_code


class TooManyTagsException(ServiceException):
    code = "TooManyTagsException"

    def __init__(self, resource_name):
        super().__init__(f"The resource {resource_name} can have at most 200 tags.")
        self.resourceName = resource_name
