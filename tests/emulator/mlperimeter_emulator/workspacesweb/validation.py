"""Server-side checks of a request against botocore's input shape.

botocore validates only required members, types and minimums before sending;
the service also enforces maximums, enums, ranges and patterns. Smithy patterns
are not anchored, but the service applies them to the whole value (an ARN with
a trailing ``/x`` is refused), so they are matched with ``fullmatch`` here.
"""

import re
from functools import cache

# Python's ``re`` has no ``\p{..}`` classes; these are the model's three
# Unicode patterns written with the classes ``re`` has.
UNICODE_PATTERNS = {
    # [\p{L}\p{Z}\p{N}_.:/=+\-@]*  letters, separators, numbers and a few symbols
    r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)": r"(?:[^\W_]|[ \u00a0\u2000-\u200a\u202f\u205f\u3000_.:/=+\-@])*",
    # [^_][\p{L}\p{M}\p{S}\p{N}\p{P}][^_]+  the middle class is every visible character
    r"[^_][\p{L}\p{M}\p{S}\p{N}\p{P}][^_]+": r"[^_]\S[^_]+",
}


@cache
def _compiled(pattern):
    return re.compile(UNICODE_PATTERNS.get(pattern, pattern))


def _join(path, name):
    return f"{path}.{name}" if path else name


def input_errors(shape, value):
    """(field, message) pairs for every constraint ``value`` breaks."""
    errors = []
    if shape is not None:
        _check(shape, value, "", errors)
    return errors


def _check(shape, value, path, errors):
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if not isinstance(value, dict):
            return
        if meta.get("union"):
            present = [name for name in shape.members if value.get(name) is not None]
            if len(present) != 1:
                errors.append((path, f"Exactly one of {', '.join(shape.members)} must be set"))
        for name in shape.required_members:
            if value.get(name) is None:
                errors.append((_join(path, name), "Member must not be null"))
        for name, member in shape.members.items():
            if value.get(name) is not None:
                _check(member, value[name], _join(path, name), errors)
    elif kind in ("list", "map"):
        if "min" in meta and len(value) < meta["min"]:
            errors.append((path, f"Member must have length greater than or equal to {meta['min']}"))
        if "max" in meta and len(value) > meta["max"]:
            errors.append((path, f"Member must have length less than or equal to {meta['max']}"))
        if kind == "list":
            for index, item in enumerate(value):
                _check(shape.member, item, f"{path}[{index}]", errors)
        else:
            for key, item in value.items():
                _check(shape.key, key, path, errors)
                _check(shape.value, item, f"{path}[{key}]", errors)
    elif kind == "string":
        if not isinstance(value, str):
            errors.append((path, "Member must be a string"))
            return
        if shape.enum and value not in shape.enum:
            errors.append((path, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]"))
            return
        if "min" in meta and len(value) < meta["min"]:
            errors.append((path, f"Member must have length greater than or equal to {meta['min']}"))
        if "max" in meta and len(value) > meta["max"]:
            errors.append((path, f"Member must have length less than or equal to {meta['max']}"))
        if "pattern" in meta and not _compiled(meta["pattern"]).fullmatch(value):
            errors.append((path, f"Member must satisfy regular expression pattern: {meta['pattern']}"))
    elif kind in ("integer", "long"):
        if "min" in meta and value < meta["min"]:
            errors.append((path, f"Member must have value greater than or equal to {meta['min']}"))
        if "max" in meta and value > meta["max"]:
            errors.append((path, f"Member must have value less than or equal to {meta['max']}"))
    elif kind == "blob":
        size = len(value)
        if "min" in meta and size < meta["min"]:
            errors.append((path, f"Member must have length greater than or equal to {meta['min']}"))
        if "max" in meta and size > meta["max"]:
            errors.append((path, f"Member must have length less than or equal to {meta['max']}"))
