"""Input checks the SDK leaves to the service: maximum lengths and values, enums and patterns.

botocore validates required members, types and minimums on the client; a service also
refuses what exceeds the model's maximums, enum values it does not know and strings that
do not match the model's pattern. These checks are read from botocore's model of the
operation, and reported the way AWS reports them: ``Value 'x' at 'name' failed to satisfy
constraint: Member must ...``.
"""

import re
from functools import cache

import botocore.session

from .exceptions import ValidationException

_model = botocore.session.get_session().get_service_model("route53resolver")


@cache
def _pattern(text):
    return re.compile(text)


def _field(name):
    return name[:1].lower() + name[1:]


def _shown(value):
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _check(shape, value, path, errors):
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                _check(member, value[name], f"{path}.{_field(name)}" if path else _field(name), errors)
    elif kind == "list" and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            errors.append((path, value, f"have length less than or equal to {meta['max']}"))
        if "min" in meta and len(value) < meta["min"]:
            errors.append((path, value, f"have length greater than or equal to {meta['min']}"))
        for index, item in enumerate(value, start=1):
            _check(shape.member, item, f"{path}.{index}.member", errors)
    elif kind == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum:
            errors.append((path, value, f"satisfy enum value set: [{', '.join(shape.enum)}]"))
        if "max" in meta and len(value) > meta["max"]:
            errors.append((path, value, f"have length less than or equal to {meta['max']}"))
        if "min" in meta and len(value) < meta["min"]:
            errors.append((path, value, f"have length greater than or equal to {meta['min']}"))
        if "pattern" in meta and not _pattern(meta["pattern"]).fullmatch(value):
            errors.append((path, value, f"satisfy regular expression pattern: {meta['pattern']}"))
    elif kind in ("integer", "long") and isinstance(value, int):
        if "max" in meta and value > meta["max"]:
            errors.append((path, value, f"have value less than or equal to {meta['max']}"))
        if "min" in meta and value < meta["min"]:
            errors.append((path, value, f"have value greater than or equal to {meta['min']}"))


def validate_input(operation, params):
    """Raise ValidationException listing every model constraint ``params`` break."""
    shape = _model.operation_model(operation).input_shape
    errors = []
    _check(shape, params, "", errors)
    if errors:
        details = "; ".join(
            f"Value '{_shown(value)}' at '{path}' failed to satisfy constraint: Member must {constraint}"
            for path, value, constraint in errors
        )
        plural = "s" if len(errors) > 1 else ""
        raise ValidationException(f"{len(errors)} validation error{plural} detected: {details}")
