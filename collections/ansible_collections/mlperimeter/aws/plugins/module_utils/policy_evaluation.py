"""IAM policy evaluation for one request: AWS's authorization logic over identity, resource, VPC
endpoint, permission boundary, service control and resource control policies.

Pure Python with no dependency beyond the standard library, so modules, filters and the verify
step can all decide the attack matrix with it. :func:`evaluate` answers with a :class:`Decision`
naming the statements that denied or allowed.

What a request carries is given, never derived: ``context`` holds every key the request has
(``aws:PrincipalArn``, ``aws:SourceIp``...), with keys matched case-insensitively. A context value
is a string, a bool or a list; a list (or a key AWS documents as multivalued, such as
``aws:CalledVia``) is a multivalued key, which only ``ForAnyValue:``/``ForAllValues:`` operators
match. ``resource`` is one ARN, or ``"*"`` for actions that take no resource.

Where AWS's documentation leaves room, the evaluation follows ``@cloud-copilot/iam-simulate``,
the test suite's independent oracle; where that oracle departs from AWS's documented behaviour,
this module follows AWS:

* service control policies do not apply to service-linked roles or AWS service principals, and
  resource control policies not to service-linked roles;
* a VPC endpoint policy's ``Principal`` must name the caller (an account matches all of its
  principals, as on an interface endpoint);
* a date condition given as a number counts epoch seconds.
"""

import datetime
import functools
import ipaddress
import json
import re
from dataclasses import dataclass

ALLOWED = "Allowed"
EXPLICITLY_DENIED = "ExplicitlyDenied"
IMPLICITLY_DENIED = "ImplicitlyDenied"

POLICY_TYPES = ("identity", "vpce", "resource", "scp", "rcp", "pb")
FULL_AWS_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
RCP_FULL_AWS_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}
ANONYMOUS = {"type": "Anonymous"}

# Global and SageMaker keys AWS documents as multivalued (ArrayOf...): a single value given for
# one of them is a one-element set.
MULTIVALUED_KEYS = frozenset(k.lower() for k in (
    "aws:CalledVia", "aws:PrincipalOrgPaths", "aws:PrincipalServiceNamesList", "aws:ResourceOrgPaths",
    "aws:SourceOrgPaths", "aws:TagKeys", "aws:VpceOrgPaths", "sagemaker:VpcSubnets",
    "sagemaker:VpcSecurityGroupIds", "sagemaker:InstanceTypes", "sagemaker:ImageArns",
))

_ACCOUNT_PRINCIPAL = re.compile(r"\d{12}|arn:[^:]*:iam::\d{12}:root")
_UNIQUE_ID = re.compile(r"A[0-9A-Z]+")
_ASSUMED_ROLE = re.compile(r"arn:[a-zA-Z-]+:sts::(\d{12}):assumed-role/(.*)")
_ROLE = re.compile(r"arn:[a-zA-Z-]+:iam::(\d{12}):role/(.*)")
_USER = re.compile(r"arn:[a-zA-Z-]+:iam::(\d{12}):user/(.*)")
_FEDERATED_USER = re.compile(r"arn:([a-zA-Z-]+):sts::(\d{12}):federated-user/(.*)")
_ACTION = re.compile(r"[A-Za-z0-9-]+:[A-Za-z0-9]+")

# Operations AWS refuses on its own resources whatever the policies allow.
_AWS_MANAGED_POLICY_ACTIONS = frozenset((
    "iam:createpolicy", "iam:createpolicyversion", "iam:deletepolicy", "iam:deletepolicyversion",
    "iam:setdefaultpolicyversion", "iam:tagpolicy", "iam:untagpolicy",
))
_AWS_RESERVED_ROLE_ACTIONS = frozenset((
    "iam:attachrolepolicy", "iam:createrole", "iam:createservicelinkedrole", "iam:deleterole",
    "iam:deleterolepermissionsboundary", "iam:deleterolepolicy", "iam:deleteservicelinkedrole",
    "iam:detachrolepolicy", "iam:passrole", "iam:putrolepermissionsboundary", "iam:putrolepolicy", "iam:tagrole",
    "iam:untagrole", "iam:updateassumerolepolicy", "iam:updaterole", "iam:updateroledescription",
))
_AWS_MANAGED_ALIAS_ACTIONS = frozenset(("kms:createalias", "kms:deletealias", "kms:updatealias"))


class PolicyError(ValueError):
    """A malformed policy or request; the message names what is wrong."""


@dataclass(frozen=True)
class Decision:
    decision: str
    denials: tuple = ()
    grants: tuple = ()

    @property
    def allowed(self):
        return self.decision == ALLOWED

    def denied_by(self, policy_type=None, policy=None):
        """Denials from a policy type ("identity", "vpce", "resource", "scp", "rcp", "pb") and/or policy name."""
        return [d for d in self.denials
                if (policy_type is None or d["policy_type"] == policy_type)
                and (policy is None or d["policy"] == policy)]

    def explain(self):
        """One line: the decision, then what denied it or what allowed it."""
        def where(entry):
            return " ".join(str(part) for part in (entry["policy_type"], entry["policy"], entry["statement"])
                            if part is not None)
        parts = [self.decision]
        parts += [f"{d['kind']} deny by {where(d)}" if d["kind"] == "explicit" else f"no allow in {where(d)}"
                  for d in self.denials]
        if self.allowed:
            parts += [f"allowed by {where(g)}" for g in self.grants]
        return "; ".join(parts)


# Policies ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Condition:
    operator: str
    set_operator: str  # "", "forallvalues" or "foranyvalue"
    base: str  # lower-case operator name without set operator and IfExists
    if_exists: bool
    key: str  # lower case
    values: tuple


@dataclass(frozen=True)
class _Statement:
    policy_type: str
    policy: str
    sid: object  # the Sid, or the statement's position counted from 1
    effect: str
    actions: tuple
    not_action: bool
    resources: tuple  # None when the statement has neither Resource nor NotResource
    not_resource: bool
    principals: tuple  # ((type, value), ...); None when the statement has neither Principal nor NotPrincipal
    not_principal: bool
    conditions: tuple

    def entry(self, kind):
        return {"policy_type": self.policy_type, "policy": self.policy, "statement": self.sid, "kind": kind}


def _as_list(value, where):
    values = value if isinstance(value, list) else [value]
    for item in values:
        if not isinstance(item, str):
            raise PolicyError(f"{where}: {item!r} is not a string")
    return tuple(values)


def _condition_value(value, where):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise PolicyError(f"{where}: {value!r} is not a string, number or boolean")


_OPERATORS = {
    "stringequals", "stringnotequals", "stringequalsignorecase", "stringnotequalsignorecase", "stringlike",
    "stringnotlike", "numericequals", "numericnotequals", "numericlessthan", "numericlessthanequals",
    "numericgreaterthan", "numericgreaterthanequals", "dateequals", "datenotequals", "datelessthan",
    "datelessthanequals", "dategreaterthan", "dategreaterthanequals", "bool", "binaryequals", "ipaddress",
    "notipaddress", "arnequals", "arnlike", "arnnotequals", "arnnotlike", "null",
}


def _conditions(block, where):
    if block is None:
        return ()
    if not isinstance(block, dict):
        raise PolicyError(f"{where}.Condition: expected an object of operators, got {block!r}")
    parsed = []
    for operator, keys in block.items():
        set_operator, _, base = operator.rpartition(":")
        if set_operator.lower() not in ("", "forallvalues", "foranyvalue"):
            raise PolicyError(f"{where}.Condition: {operator!r} has an unknown set operator {set_operator!r}")
        if_exists = base.lower().endswith("ifexists")
        name = base[:-len("IfExists")].lower() if if_exists else base.lower()
        if name not in _OPERATORS:
            raise PolicyError(f"{where}.Condition: {operator!r} is not a condition operator")
        if not isinstance(keys, dict) or not keys:
            raise PolicyError(f"{where}.Condition.{operator}: expected an object of condition keys, got {keys!r}")
        for key, values in keys.items():
            values = values if isinstance(values, list) else [values]
            parsed.append(_Condition(
                operator=operator, set_operator=set_operator.lower(), base=name, if_exists=if_exists,
                key=key.lower(),
                values=tuple(_condition_value(v, f"{where}.Condition.{operator}.{key}") for v in values),
            ))
    return tuple(parsed)


def _principal_element(element, where):
    if element == "*":
        return (("AWS", "*"),)
    if not isinstance(element, dict) or not element:
        raise PolicyError(f"{where}: expected \"*\" or an object of AWS, Service, Federated or CanonicalUser "
                          f"principals, got {element!r}")
    principals = []
    for kind, values in element.items():
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise PolicyError(f"{where}: {kind!r} is not a principal type")
        principals += [(kind, value) for value in _as_list(values, f"{where}.{kind}")]
    return tuple(principals)


def _resource_patterns(values, where):
    for value in values:
        if not _is_all_wildcards(value) and (not value.startswith("arn:") or value.count(":") < 5):
            raise PolicyError(f"{where}: {value!r} is neither \"*\" nor an ARN of six segments")
    return values


def _statement(raw, policy_type, policy, index):
    where = f"{policy_type} policy" + (f" {policy!r}" if policy else "") + f" statement {index}"
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: expected an object, got {raw!r}")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"{where}: Effect {effect!r} is neither Allow nor Deny")
    if ("Action" in raw) == ("NotAction" in raw):
        raise PolicyError(f"{where}: a statement has exactly one of Action and NotAction")
    if "Resource" in raw and "NotResource" in raw:
        raise PolicyError(f"{where}: a statement has at most one of Resource and NotResource")
    if "Principal" in raw and "NotPrincipal" in raw:
        raise PolicyError(f"{where}: a statement has at most one of Principal and NotPrincipal")
    action_key = "Action" if "Action" in raw else "NotAction"
    actions = _as_list(raw[action_key], f"{where}.{action_key}")
    for action in actions:
        if not _is_all_wildcards(action) and action.count(":") != 1:
            raise PolicyError(f"{where}.{action_key}: {action!r} is not \"*\" nor service:action")
    resource_key = "NotResource" if "NotResource" in raw else "Resource"
    resources = None
    if resource_key in raw:
        resources = _resource_patterns(_as_list(raw[resource_key], f"{where}.{resource_key}"),
                                       f"{where}.{resource_key}")
    principal_key = "NotPrincipal" if "NotPrincipal" in raw else "Principal"
    principals = None
    if principal_key in raw:
        principals = _principal_element(raw[principal_key], f"{where}.{principal_key}")
    sid = raw.get("Sid")
    return _Statement(
        policy_type=policy_type, policy=policy, sid=sid if sid else index, effect=effect, actions=actions,
        not_action=action_key == "NotAction", resources=resources, not_resource=resource_key == "NotResource",
        principals=principals, not_principal=principal_key == "NotPrincipal",
        conditions=_conditions(raw.get("Condition"), where),
    )


def _document(document, where):
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError as e:
            raise PolicyError(f"{where}: not a JSON policy document ({e})") from e
    if not isinstance(document, dict) or "Statement" not in document:
        raise PolicyError(f"{where}: expected a policy document with a Statement, got {document!r}")
    statements = document["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _policy(policy_type, name, document):
    where = f"{policy_type} policy" + (f" {name!r}" if name else "")
    statements = tuple(_statement(raw, policy_type, name, index)
                       for index, raw in enumerate(_document(document, where), start=1))
    for statement in statements:
        if policy_type in ("identity", "pb", "scp") and statement.principals is not None:
            raise PolicyError(f"{where} statement {statement.sid}: a {policy_type} policy names no Principal")
        if policy_type in ("resource", "vpce") and statement.principals is None:
            raise PolicyError(f"{where} statement {statement.sid}: a {policy_type} policy needs a Principal")
        if policy_type == "rcp" and statement.principals != (("AWS", "*"),):
            raise PolicyError(f"{where} statement {statement.sid}: a resource control policy's Principal is \"*\"")
    return statements


def _policies(policy_type, field, policies):
    if policies is None:
        return None
    if not isinstance(policies, dict):
        raise PolicyError(f"{field}: expected {{name: policy document}}, got {policies!r}")
    parsed = [_policy(policy_type, name, document) for name, document in policies.items()]
    for statement in (s for policy in parsed for s in policy):
        if policy_type == "rcp" and any(_is_all_wildcards(action) for action in statement.actions):
            # Only AWS's own RCPFullAWSAccess may.
            raise PolicyError(f"rcp policy {statement.policy!r} statement {statement.sid}: a resource control "
                              "policy names its actions by service (\"s3:*\"), never \"*\"")
    return parsed


# The request -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Request:
    principal: str  # None for an anonymous request
    account: str  # the principal's account; None for service principals and anonymous requests
    service: str
    action: str  # lower-case service:action
    resource: str
    resource_account: str
    context: dict  # lower-case key -> str, or tuple of str for a multivalued key

    @property
    def action_name(self):
        return self.action.split(":", 1)[1]


def _context(context):
    if context is None:
        return {}
    if not isinstance(context, dict):
        raise PolicyError(f"context: expected {{key: value}}, got {context!r}")
    values = {}
    for key, value in context.items():
        if not isinstance(key, str) or ":" not in key:
            raise PolicyError(f"context: {key!r} is not a condition key (service:name)")
        if isinstance(value, (list, tuple)):
            value = tuple(_condition_value(v, f"context.{key}") for v in value)
        else:
            value = _condition_value(value, f"context.{key}")
            if key.lower() in MULTIVALUED_KEYS:
                value = (value,)
        values[key.lower()] = value
    return values


def _request(principal, action, resource, resource_account, context):
    if principal == ANONYMOUS:
        principal, account = None, None
    elif isinstance(principal, str) and principal.startswith("arn:") and principal.count(":") >= 5:
        account = principal.split(":")[4] or None
    elif isinstance(principal, str) and principal.endswith("amazonaws.com"):
        account = None
    else:
        raise PolicyError(f"principal: {principal!r} is neither an ARN, an AWS service principal nor "
                          f"{ANONYMOUS!r}")
    if not isinstance(action, str) or not _ACTION.fullmatch(action):
        raise PolicyError(f"action: {action!r} is not service:Action")
    if not isinstance(resource, str) or not (
            resource == "*" or (resource.startswith("arn:") and resource.count(":") >= 5)):
        raise PolicyError(f"resource: {resource!r} is neither \"*\" nor an ARN")
    if not isinstance(resource_account, str) or not resource_account:
        raise PolicyError(f"resource_account: {resource_account!r} is not an account id")
    return _Request(principal=principal, account=account, service=action.split(":")[0].lower(),
                    action=action.lower(), resource=resource, resource_account=resource_account,
                    context=_context(context))


def _is_service_principal(principal):
    return principal is not None and not principal.startswith("arn:") and principal.endswith("amazonaws.com")


def _is_service_linked_role(principal):
    role = _ROLE.fullmatch(principal or "")
    if role:
        return role.group(2).startswith("aws-service-role/")
    session = _ASSUMED_ROLE.fullmatch(principal or "")
    return bool(session) and session.group(2).startswith("AWSServiceRoleFor")


# Strings, wildcards and policy variables -----------------------------------------------------------------

def _is_all_wildcards(value):
    return bool(value) and set(value) == {"*"}


_TOKEN = re.compile(r"\$\{[^}]*\}|[*?]")
_ESCAPED_VARIABLES = {"${*}": "*", "${?}": "?", "${$}": "$"}


class _Unresolvable(Exception):
    """A policy variable names a key the request lacks (or a multivalued one) and has no default."""


def _variable(token, context):
    if token in _ESCAPED_VARIABLES:
        return _ESCAPED_VARIABLES[token]
    name, *rest = token[2:-1].split(", ")
    default = None
    if len(rest) == 1 and len(rest[0]) >= 2 and rest[0][0] == rest[0][-1] == "'":
        default = rest[0][1:-1]
    value = context.get(name.strip().lower())
    if isinstance(value, str) and value:
        return value
    if default:
        return default
    raise _Unresolvable(token)


def _regex(value, context, wildcards, ignore_case=False):
    """``value`` as a compiled regular expression: ``*`` and ``?`` are wildcards when ``wildcards``,
    policy variables are replaced from ``context``. Raises :class:`_Unresolvable`."""
    if "${" not in value:
        return _static_regex(value, wildcards, ignore_case)
    parts, position = [], 0
    for token in _TOKEN.finditer(value):
        parts.append(re.escape(value[position:token.start()]))
        text = token.group()
        if text in ("*", "?"):
            parts.append((".*" if text == "*" else ".") if wildcards else re.escape(text))
        else:
            parts.append(re.escape(_variable(text, context)))
        position = token.end()
    parts.append(re.escape(value[position:]))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


@functools.lru_cache(maxsize=4096)
def _static_regex(value, wildcards, ignore_case):
    pattern = "".join(
        (".*" if part == "*" else "." if part == "?" else re.escape(part)) if wildcards else re.escape(part)
        for part in re.split(r"([*?])", value))
    return re.compile(pattern, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _resolved(value, context):
    """``value`` with its policy variables replaced. Raises :class:`_Unresolvable`."""
    return _TOKEN.sub(lambda m: m.group() if m.group() in ("*", "?") else _variable(m.group(), context), value)


# Condition operators ------------------------------------------------------------------------------------
# Each takes the request's value and one policy value and answers whether that value matches; the
# negated operators (…Not…) match a value when the positive operator does not. A policy value that
# cannot be read (an unresolvable variable, not a number, not an address) matches nothing, negated
# or not.

def _string_matcher(wildcards, ignore_case, negated):
    def matches(actual, expected, context):
        try:
            found = _regex(expected, context, wildcards, ignore_case).fullmatch(actual) is not None
        except _Unresolvable:
            return False
        return found != negated
    return matches


def _number(value):
    try:
        return float(value) if "." in value else int(value, 10)
    except ValueError:
        return None


def _numeric_matcher(compare):
    def matches(actual, expected, context):
        actual_number, expected_number = _number(actual), _number(expected)
        if actual_number is None or expected_number is None:
            return False
        return compare(actual_number, expected_number)
    return matches


def _date(value):
    if re.fullmatch(r"-?\d+", value):
        return int(value) * 1000
    try:
        parsed = datetime.datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.timestamp() * 1000


def _date_matcher(compare):
    def matches(actual, expected, context):
        actual_date, expected_date = _date(actual), _date(expected)
        if actual_date is None or expected_date is None:
            return False
        return compare(actual_date, expected_date)
    return matches


def _bool_matches(actual, expected, context):
    try:
        expected = _resolved(expected, context).lower()
    except _Unresolvable:
        return False
    return expected in ("true", "false") and actual.lower() == expected


def _binary_matches(actual, expected, context):
    return actual == expected


def _ip_matcher(inside):
    def matches(actual, expected, context):
        try:
            policy = ipaddress.ip_network(expected, strict=False) if "/" in expected else ipaddress.ip_address(expected)
        except ValueError:
            return False
        try:
            address = ipaddress.ip_address(actual)
        except ValueError:
            return False
        if isinstance(policy, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            if address.version != policy.version:
                return not inside
            return (address in policy) == inside
        return address.version == policy.version and (address == policy) == inside
    return matches


def _arn_parts(arn):
    parts = arn.split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else None


def _arn_matcher(negated):
    def matches(actual, expected, context):
        policy_parts, request_parts = _arn_parts(expected), _arn_parts(actual)
        if policy_parts is None or request_parts is None:
            return False
        try:
            found = all(_regex(p, context, wildcards=True).fullmatch(r) is not None
                        for p, r in zip(policy_parts[1:], request_parts[1:], strict=True))
        except _Unresolvable:
            return False
        return found != negated
    return matches


_MATCHERS = {
    "stringequals": _string_matcher(False, False, False),
    "stringnotequals": _string_matcher(False, False, True),
    "stringequalsignorecase": _string_matcher(False, True, False),
    "stringnotequalsignorecase": _string_matcher(False, True, True),
    "stringlike": _string_matcher(True, False, False),
    "stringnotlike": _string_matcher(True, False, True),
    "numericequals": _numeric_matcher(lambda a, e: a == e),
    "numericnotequals": _numeric_matcher(lambda a, e: a != e),
    "numericlessthan": _numeric_matcher(lambda a, e: a < e),
    "numericlessthanequals": _numeric_matcher(lambda a, e: a <= e),
    "numericgreaterthan": _numeric_matcher(lambda a, e: a > e),
    "numericgreaterthanequals": _numeric_matcher(lambda a, e: a >= e),
    "dateequals": _date_matcher(lambda a, e: a == e),
    "datenotequals": _date_matcher(lambda a, e: a != e),
    "datelessthan": _date_matcher(lambda a, e: a < e),
    "datelessthanequals": _date_matcher(lambda a, e: a <= e),
    "dategreaterthan": _date_matcher(lambda a, e: a > e),
    "dategreaterthanequals": _date_matcher(lambda a, e: a >= e),
    "bool": _bool_matches,
    "binaryequals": _binary_matches,
    "ipaddress": _ip_matcher(True),
    "notipaddress": _ip_matcher(False),
    "arnequals": _arn_matcher(False),
    "arnlike": _arn_matcher(False),
    "arnnotequals": _arn_matcher(True),
    "arnnotlike": _arn_matcher(True),
}


def _negated(base):
    return "not" in base


def _value_matches(condition, actual, context):
    """One request value against the condition's policy values: any of them for a positive operator,
    all of them for a negated one."""
    matcher = _MATCHERS[condition.base]
    results = (matcher(actual, expected, context) for expected in condition.values)
    return all(results) if _negated(condition.base) else any(results)


def _condition_matches(condition, context):
    present = condition.key in context
    if condition.base == "null":
        return ("false" if present else "true") in (v.lower() for v in condition.values)
    actual = context.get(condition.key)
    values = (actual,) if isinstance(actual, str) else actual
    if condition.set_operator == "foranyvalue":
        # A missing key matches no value, IfExists or not.
        return present and any(_value_matches(condition, v, context) for v in values)
    if condition.set_operator == "forallvalues":
        return not present or all(_value_matches(condition, v, context) for v in values)
    if not present:
        return condition.if_exists or _negated(condition.base)
    if not isinstance(actual, str):
        # A multivalued key takes a set operator; a single-valued operator never matches it.
        return False
    return _value_matches(condition, actual, context)


# Actions, resources and principals ------------------------------------------------------------------------

def _action_matches(statement, request):
    def one(pattern):
        if _is_all_wildcards(pattern):
            return True
        service, name = pattern.split(":")
        return (service.lower() == request.service
                and _static_regex(name, True, True).fullmatch(request.action_name) is not None)
    found = any(one(pattern) for pattern in statement.actions)
    return found != statement.not_action


_MATCH, _NO_MATCH, _UNKNOWN = "match", "no match", "unknown"


def _resource_product(service, region, account, resource):
    """The resource type part of an ARN's resource (``role/``, ``log-group:``), which takes no wildcard."""
    if service == "s3" and region == "" and account == "":
        return ""
    cut = [i for i in (resource.find("/"), resource.find(":")) if i != -1]
    return resource[:min(cut) + 1] if cut else ""


def _resource_pattern_matches(pattern, request):
    """``_MATCH``, ``_NO_MATCH`` or ``_UNKNOWN`` (a policy variable the request cannot resolve)."""
    if _is_all_wildcards(pattern):
        return _MATCH
    if request.resource == "*":
        # An action that takes no resource is matched only by "*".
        return _NO_MATCH
    policy_parts, request_parts = pattern.split(":", 5), request.resource.split(":", 5)
    for policy_part, request_part in zip(policy_parts[1:5], request_parts[1:5], strict=True):
        if _static_regex(policy_part, True, True).fullmatch(request_part) is None:
            return _NO_MATCH
    product = _resource_product(*policy_parts[2:6])
    if not request_parts[5].startswith(product):
        return _NO_MATCH
    try:
        regex = _regex(policy_parts[5][len(product):], request.context, wildcards=True)
    except _Unresolvable:
        return _UNKNOWN
    return _MATCH if regex.fullmatch(request_parts[5][len(product):]) else _NO_MATCH


def _resource_matches(statement, request):
    if statement.resources is None:
        return True
    results = [_resource_pattern_matches(pattern, request) for pattern in statement.resources]
    if statement.not_resource:
        # A NotResource entry whose variable cannot be resolved does not prove the resource is outside it.
        return all(result == _NO_MATCH for result in results)
    return _MATCH in results


_DIRECT, _SESSION, _ACCOUNT = "direct", "session", "account"


def _role_of_session(role_arn, session_arn):
    role, session = _ROLE.fullmatch(role_arn), _ASSUMED_ROLE.fullmatch(session_arn)
    if not role or not session or role_arn.split(":")[1] != session_arn.split(":")[1]:
        return False
    role_name = role.group(2).rsplit("/", 1)[-1]
    session_role = session.group(2).split("/", 1)[0] if "/" in session.group(2) else None
    return role.group(1) == session.group(1) and session_role is not None and role_name.lower() == session_role.lower()


def _principal_match(kind, value, request):
    """How one Principal entry names the request's principal: ``_DIRECT``, ``_SESSION`` (the role or user
    behind a session), ``_ACCOUNT`` (its account) or None."""
    if request.principal is None:
        return _DIRECT if kind == "AWS" and _is_all_wildcards(value) else None
    if kind != "AWS":
        return _DIRECT if value == request.principal else None
    if _is_all_wildcards(value):
        return _DIRECT
    if _ACCOUNT_PRINCIPAL.fullmatch(value):
        account = value if value.isdigit() else value.split(":")[4]
        return _ACCOUNT if account == request.account else None
    if _UNIQUE_ID.fullmatch(value):
        return None
    if _role_of_session(value, request.principal):
        return _SESSION
    federated = _FEDERATED_USER.fullmatch(request.principal)
    if federated and value == "arn:{}:iam::{}:user/{}".format(*federated.groups()):
        return _SESSION
    return _DIRECT if value == request.principal else None


def _principals_match(statement, request):
    """How the statement's Principal (or NotPrincipal) names the request's principal, or None."""
    if statement.principals is None:
        return None
    found = {_principal_match(kind, value, request) for kind, value in statement.principals} - {None}
    if statement.not_principal:
        return None if found else _DIRECT
    for match in (_DIRECT, _SESSION, _ACCOUNT):
        if match in found:
            return match
    return None


# Evaluation ------------------------------------------------------------------------------------------------

@dataclass
class _Analysis:
    """The statements of one policy type that apply to the request, and what they decide."""
    allows: list
    denies: list  # (statement, principal match) for resource and endpoint policies
    result: str


def _applies(statement, request):
    return (_action_matches(statement, request) and _resource_matches(statement, request)
            and all(_condition_matches(c, request.context) for c in statement.conditions))


def _analyse(policies, request, with_principal=False, boundary_has_not_principal_deny=False):
    allows, denies = [], []
    for policy in policies:
        for statement in policy:
            match = _DIRECT
            if with_principal:
                match = _principals_match(statement, request)
                if boundary_has_not_principal_deny and statement.not_principal and statement.effect == "Deny":
                    # AWS: a NotPrincipal Deny always denies a principal with a permissions boundary.
                    match = _DIRECT
                if match is None:
                    continue
            if _applies(statement, request):
                (allows if statement.effect == "Allow" else denies).append((statement, match))
    result = EXPLICITLY_DENIED if denies else ALLOWED if allows else IMPLICITLY_DENIED
    return _Analysis(allows=allows, denies=denies, result=result)


def _direct_allows(analysis):
    return [s for s, match in analysis.allows if match in (_DIRECT, _SESSION)]


def _account_allows(analysis):
    return [] if analysis is None else [s for s, match in analysis.allows if match == _ACCOUNT]


def _service_trusts_identity_policies(request, resource_analysis):
    """Whether, in the resource's own account, an identity policy alone can allow: "implicit" (it can),
    "explicit" (only with a resource policy statement naming the account) or "none"."""
    if request.service == "kms" and (request.resource == "*" or request.resource.split(":", 5)[5].lower()
                                     .startswith("key/")):
        if request.resource == "*":
            return "implicit"
        return "explicit" if _account_allows(resource_analysis) else "none"
    if request.service == "sts" and resource_analysis is not None:
        return "explicit" if _account_allows(resource_analysis) else "none"
    return "implicit"


def _core_decision(request, identity, resource):
    """Whether identity and resource policies together allow, before any guardrail."""
    resource_allows = resource is not None and bool(_direct_allows(resource)) and not resource.denies
    resource_allows_account = resource is not None and not resource.denies and bool(resource.allows)
    identity_allows = identity is not None and identity.result == ALLOWED
    if request.principal is None or _is_service_principal(request.principal):
        return resource_allows
    if request.account == request.resource_account:
        trust = _service_trusts_identity_policies(request, resource)
        if trust == "none":
            return resource_allows
        return resource_allows or identity_allows
    return resource_allows_account and identity_allows


def _boundary_bypass(request, resource):
    """Same-account resource policy statements that allow despite a permissions boundary's implicit deny:
    those naming the session or user itself (or any principal, for a role)."""
    if resource is None or resource.denies or not _direct_allows(resource):
        return []
    principal = request.principal
    direct = [s for s, match in resource.allows if match == _DIRECT]
    if _ASSUMED_ROLE.fullmatch(principal) or _USER.fullmatch(principal) or _FEDERATED_USER.fullmatch(principal):
        return direct
    if _ROLE.fullmatch(principal):
        return [s for s in direct if not s.not_principal
                and any(kind == "AWS" and _is_all_wildcards(value) for kind, value in s.principals)]
    return []


def _lowest(first, second):
    order = (ALLOWED, IMPLICITLY_DENIED, EXPLICITLY_DENIED)
    return max(first, second, key=order.index)


_FULL_AWS_ACCESS_SCP = _policy("scp", "FullAWSAccess", FULL_AWS_ACCESS)
_FULL_AWS_ACCESS_RCP = _policy("rcp", "RCPFullAWSAccess", RCP_FULL_AWS_ACCESS)


def evaluate(*, principal, action, resource, resource_account, identity_policies=None, resource_policy=None,
             vpc_endpoint_policies=None, scps=None, rcps=None, permission_boundaries=None, context=None):
    """Decide one request as AWS would.

    ``principal`` is an IAM role, user, assumed-role or federated-user ARN, an AWS service principal
    (``sagemaker.amazonaws.com``) or ``{"type": "Anonymous"}``; ``action`` is ``service:Action``;
    ``resource`` an ARN (or ``"*"``) in ``resource_account``. Policies are ``{name: document}``
    (documents as dicts or JSON text) except ``resource_policy``, one document. ``scps`` and ``rcps``
    sit at one level of the organisation together with AWS's ``FullAWSAccess`` allow; an empty or
    absent set means none applies. Raises :class:`PolicyError` for a malformed policy or request.
    """
    request = _request(principal, action, resource, resource_account, context)
    identity = _policies("identity", "identity_policies", identity_policies) or []
    boundaries = _policies("pb", "permission_boundaries", permission_boundaries)
    endpoints = _policies("vpce", "vpc_endpoint_policies", vpc_endpoint_policies)
    scp_set = _policies("scp", "scps", scps)
    rcp_set = _policies("rcp", "rcps", rcps)
    resource_set = None if resource_policy is None else [_policy("resource", None, resource_policy)]
    if request.principal is None and (identity or boundaries or scp_set):
        raise PolicyError("principal: an anonymous request has no identity policies, boundaries or SCPs")

    if request.principal is not None and request.action == "sts:getcalleridentity":
        # AWS answers GetCallerIdentity whatever the policies say.
        return Decision(decision=ALLOWED)

    service_linked = _is_service_linked_role(request.principal)
    scp_applies = bool(scp_set) and not service_linked and not _is_service_principal(request.principal)
    rcp_applies = bool(rcp_set) and not service_linked
    identity_analysis = _analyse(identity, request) if request.principal is not None else None
    resource_analysis = None if resource_set is None else _analyse(
        resource_set, request, with_principal=True, boundary_has_not_principal_deny=bool(boundaries))
    analyses = {
        "identity": identity_analysis,
        "resource": resource_analysis,
        "pb": _analyse(boundaries, request) if boundaries else None,
        "vpce": _analyse(endpoints, request, with_principal=True) if endpoints else None,
        "scp": _analyse([_FULL_AWS_ACCESS_SCP, *scp_set], request) if scp_applies else None,
        "rcp": _analyse([_FULL_AWS_ACCESS_RCP, *rcp_set], request) if rcp_applies else None,
    }

    core = _core_decision(request, identity_analysis, resource_analysis)
    decision = ALLOWED if core else IMPLICITLY_DENIED
    implicit = []
    if not core:
        if identity_analysis is not None and identity_analysis.result != ALLOWED:
            implicit.append("identity")
        needs_resource_policy = request.account is None or request.account != request.resource_account
        if (resource_analysis is None and needs_resource_policy) or (
                resource_analysis is not None and not _direct_allows(resource_analysis)):
            implicit.append("resource")
    for policy_type in ("scp", "rcp", "vpce", "resource", "identity", "pb"):
        analysis = analyses[policy_type]
        if analysis is None:
            continue
        if analysis.denies:
            decision = EXPLICITLY_DENIED
        elif _must_allow(policy_type, analysis, request, resource_analysis):
            decision = _lowest(decision, IMPLICITLY_DENIED)
            implicit.append(policy_type)

    if decision != EXPLICITLY_DENIED and _refused_on_aws_resources(request):
        decision = IMPLICITLY_DENIED
    return _decision(decision, analyses, implicit)


def _must_allow(policy_type, analysis, request, resource_analysis):
    """Whether a guardrail that allows nothing denies the request: SCPs, RCPs and endpoint policies
    always; a permissions boundary unless a same-account resource policy grants past it."""
    if analysis.allows or policy_type in ("identity", "resource"):
        return False
    if policy_type == "pb":
        return (request.account != request.resource_account
                or not _boundary_bypass(request, resource_analysis))
    return True


def _refused_on_aws_resources(request):
    if request.resource == "*":
        return False
    _, _, _, _, account, name = request.resource.split(":", 5)
    name = name.lower()
    return ((request.action in _AWS_MANAGED_POLICY_ACTIONS and account == "aws" and name.startswith("policy/"))
            or (request.action in _AWS_RESERVED_ROLE_ACTIONS and name.startswith("role/aws-reserved/"))
            or (request.action in _AWS_MANAGED_ALIAS_ACTIONS and name.startswith("alias/aws/")))


def _decision(decision, analyses, implicit):
    present = [(t, a) for t, a in ((t, analyses[t]) for t in POLICY_TYPES) if a is not None]
    if decision == EXPLICITLY_DENIED:
        denials = [s.entry("explicit") for _, a in present for s, _ in a.denies]
    elif decision == IMPLICITLY_DENIED:
        denials = [{"policy_type": t, "policy": None, "statement": None, "kind": "implicit"}
                   for t in POLICY_TYPES if t in implicit]
    else:
        denials = []
    grants = [s.entry("allow") for _, a in present for s, _ in a.allows] if decision == ALLOWED else []
    return Decision(decision=decision, denials=tuple(denials), grants=tuple(grants))
