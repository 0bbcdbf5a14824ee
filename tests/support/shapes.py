"""Check an emulator answer against botocore's output shape for its operation.

botocore parses whatever the server sends; this catches what it lets through:
members the model does not have, required members missing, values of the wrong
type, enum values AWS never returns, and strings or lists outside the model's
length limits.
"""

import datetime


def output_shape_errors(client, operation_name, response):
    model = client.meta.service_model.operation_model(operation_name)
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    errors = []
    if model.output_shape is not None:
        _check(model.output_shape, body, operation_name, errors, top=True)
    elif body:
        errors.append(f"{operation_name}: no output is modelled, got {sorted(body)}")
    return errors


def assert_output_shape(client, operation_name, response):
    errors = output_shape_errors(client, operation_name, response)
    assert not errors, "answer does not match botocore's output shape:\n" + "\n".join(errors)


def _check(shape, value, path, errors, top=False):
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a structure, got {type(value).__name__}")
            return
        for name in value:
            if name not in shape.members:
                errors.append(f"{path}.{name}: not a member of {shape.name}")
        for name in shape.required_members:
            # Payload members of streaming/REST outputs can be absent on the wire.
            if name not in value and not (top and shape.members[name].serialization.get("location")):
                errors.append(f"{path}.{name}: required member missing")
        for name, member_value in value.items():
            if name in shape.members:
                _check(shape.members[name], member_value, f"{path}.{name}", errors)
    elif kind == "list":
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        _check_length(shape, len(value), path, errors)
        for index, item in enumerate(value):
            _check(shape.member, item, f"{path}[{index}]", errors)
    elif kind == "map":
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a map, got {type(value).__name__}")
            return
        for key, item in value.items():
            _check(shape.key, key, f"{path}<key>", errors)
            _check(shape.value, item, f"{path}[{key!r}]", errors)
    elif kind == "string":
        if not isinstance(value, str):
            errors.append(f"{path}: expected a string, got {type(value).__name__}")
            return
        if shape.enum and value not in shape.enum:
            errors.append(f"{path}: {value!r} is not one of {shape.enum}")
        _check_length(shape, len(value), path, errors)
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{path}: expected an integer, got {value!r}")
    elif kind in ("float", "double"):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            errors.append(f"{path}: expected a number, got {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            errors.append(f"{path}: expected a boolean, got {value!r}")
    elif kind == "timestamp":
        if not isinstance(value, datetime.datetime):
            errors.append(f"{path}: expected a timestamp, got {value!r}")
    elif kind == "blob" and not isinstance(value, (bytes, bytearray)) and not hasattr(value, "read"):
        errors.append(f"{path}: expected bytes, got {type(value).__name__}")


def _check_length(shape, length, path, errors):
    low = shape.metadata.get("min")
    high = shape.metadata.get("max")
    if low is not None and length < low:
        errors.append(f"{path}: length {length} is below the model's minimum {low}")
    if high is not None and length > high:
        errors.append(f"{path}: length {length} is above the model's maximum {high}")
