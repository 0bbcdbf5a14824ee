"""DNS Firewall errors, with the codes and message forms Route 53 Resolver uses."""

import json

from moto.core.exceptions import JsonRESTError
from moto.moto_api._internal import mock_random


def trace_id():
    """An X-Ray style trace id, as Resolver appends to its messages."""
    return f"1-{mock_random.get_random_hex(8)}-{mock_random.get_random_hex(24)}"


def rslvr(code, text):
    return f'[RSLVR-{code}] {text} Trace Id: "{trace_id()}"'


class ValidationException(JsonRESTError):
    code = 400

    def __init__(self, message):
        super().__init__("ValidationException", message)


def field_error(field, value, constraint):
    """A ValidationException in the service's form, naming the offending field."""
    return ValidationException(
        f"1 validation error detected: Value '{value}' at '{field}' "
        f"failed to satisfy constraint: Member must {constraint}"
    )


class _TypedError(JsonRESTError):
    """An error whose model shape also carries ``ResourceType``."""

    code = 400

    def __init__(self, error_type, message, resource_type=None):
        super().__init__(error_type, message)
        body = {"__type": error_type, "message": message}
        if resource_type:
            body["ResourceType"] = resource_type
        self.description = json.dumps(body)


class ResourceNotFoundException(_TypedError):
    def __init__(self, message, resource_type=None):
        super().__init__("ResourceNotFoundException", message, resource_type)


class LimitExceededException(_TypedError):
    def __init__(self, message, resource_type=None):
        super().__init__("LimitExceededException", message, resource_type)


class ConflictException(JsonRESTError):
    code = 400

    def __init__(self, message):
        super().__init__("ConflictException", message)


class AccessDeniedException(JsonRESTError):
    code = 400

    def __init__(self, message):
        super().__init__("AccessDeniedException", message)


def not_found(resource_id, resource_type):
    # The typographic apostrophe is what the service sends.
    message = rslvr("02025", f'Can\u2019t find the resource with ID "{resource_id}".')
    return ResourceNotFoundException(message, resource_type)
