"""Naming an AWS request the way the call log and fault injection need it.

From a raw WSGI request we recover what botocore sent: the service (signing
name in the SigV4 credential scope), the Region, the caller's access key, the
operation (``X-Amz-Target`` for JSON services, ``Action`` for query services,
the HTTP method and URI template from botocore's model for REST services) and
the parameters, from which the resource the request names is taken.
"""

import contextlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import parse_qs, unquote

import botocore.session

# Signing names that differ from botocore's service name.
SIGNING_NAME_TO_SERVICE = {
    "workspaces-web": "workspaces-web",
    "route53resolver": "route53resolver",
    "sagemaker": "sagemaker",
    "logs": "logs",
    "monitoring": "cloudwatch",
    "sso": "sso-admin",
    "execute-api": "apigateway",
}

RESOURCE_MEMBER = re.compile(r"(Arn|Id|Name|Bucket|Key|Ids|Arns|Names|Path)$", re.IGNORECASE)

_session = botocore.session.get_session()


@dataclass
class AwsRequest:
    service: str = ""
    operation: str = ""
    region: str = ""
    access_key: str = ""
    protocol: str = ""
    params: dict = field(default_factory=dict)

    @property
    def resource(self):
        return resource_of(self.service, self.operation, self.params)


@cache
def service_model(service):
    try:
        return _session.get_service_model(service)
    except Exception:  # noqa: BLE001 - an unknown service is named but not modelled
        return None


@cache
def _rest_routes(service):
    """(method, path regex, required query, required headers, operation) for every operation of a REST service.

    A template such as ``/{Bucket}?encryption`` or ``/{Bucket}?list-type=2``, or an operation with a
    required query or header member (``uploadId``, ``x-amz-copy-source``), only matches requests that
    carry it; the most specific template is tried first.
    """
    model = service_model(service)
    routes = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        http = operation.http
        path, _, query = http["requestUri"].partition("?")
        required = dict(item.partition("=")[::2] for item in query.split("&") if item)
        headers = set()
        shape = operation.input_shape
        for member in shape.required_members if shape is not None else ():
            serialization = shape.members[member].serialization
            if serialization.get("location") == "querystring":
                required.setdefault(serialization.get("name", member), "")
            elif serialization.get("location") == "header":
                headers.add("HTTP_" + serialization.get("name", member).upper().replace("-", "_"))
        pattern = "^"
        for part in re.split(r"(\{[^}]+\})", path):
            if part.startswith("{"):
                label = part[1:-1]
                greedy = label.endswith("+")
                group = re.sub(r"\W", "_", label.rstrip("+"))
                pattern += f"(?P<{group}>.+)" if greedy else f"(?P<{group}>[^/]+)"
            else:
                pattern += re.escape(part)
        specificity = (len(re.sub(r"\{[^}]+\}", "", path)), len(required) + len(headers))
        routes.append((http["method"], re.compile(pattern.rstrip("/") + "/?$"), required, headers, name, specificity))
    routes.sort(key=lambda route: route[5], reverse=True)
    return routes


def _route(service, method, path, query, environ):
    for route_method, pattern, required, headers, name, _ in _rest_routes(service):
        if route_method != method or not headers.issubset(environ):
            continue
        match = pattern.match(path)
        if match and all(key in query and (not value or query[key][0] == value) for key, value in required.items()):
            return name, dict(match.groupdict())
    return "", {}


def _credential_scope(authorization):
    match = re.search(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request", authorization or "")
    return match.groups() if match else (None, None, None)


def parse(environ, body):
    """Return the AwsRequest a raw request stands for, or None for non-AWS paths."""
    access_key, region, signing_name = _credential_scope(environ.get("HTTP_AUTHORIZATION"))
    request = AwsRequest(access_key=access_key or "", region=region or "")
    content_type = environ.get("CONTENT_TYPE", "")
    target = environ.get("HTTP_X_AMZ_TARGET")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if signing_name is None:
        form = parse_qs(body.decode("utf-8", "replace")) if "x-www-form-urlencoded" in content_type else {}
        if "Action" in form:
            # Unsigned query requests: STS AssumeRoleWithWebIdentity and friends.
            request.service, request.operation = "sts", form["Action"][0]
            request.params = {k: v[0] for k, v in form.items()}
            return request
        return None
    service = SIGNING_NAME_TO_SERVICE.get(signing_name, signing_name)
    if service == "s3" and "s3-control" in environ.get("HTTP_HOST", ""):
        service = "s3control"
    if service == "sagemaker" and environ.get("PATH_INFO", "").endswith("/invocations"):
        service = "sagemaker-runtime"
    request.service = service
    model = service_model(service)
    request.protocol = model.metadata.get("protocol", "") if model else ""
    if target:
        request.operation = target.split(".", 1)[-1]
        try:
            request.params = json.loads(body or b"{}")
        except ValueError:
            request.params = {}
    elif "x-www-form-urlencoded" in content_type and body:
        form = parse_qs(body.decode("utf-8", "replace"))
        request.operation = form.get("Action", [""])[0]
        request.params = {k: v[0] for k, v in form.items()}
    elif "Action" in query:
        request.operation = query["Action"][0]
        request.params = {k: v[0] for k, v in query.items()}
    elif model is not None:
        path = unquote(environ.get("PATH_INFO", "/"))
        method = environ.get("REQUEST_METHOD", "GET")
        request.operation, request.params = _route(service, method, path, query, environ)
        if body and "json" in content_type:
            with contextlib.suppress(ValueError):
                request.params.update(json.loads(body))
    return request


def resource_of(service, operation, params):
    """The resource a request names: the first identifying parameter, as sent."""
    if not params:
        return None
    model = service_model(service)
    names = []
    if model is not None and operation in model.operation_names:
        shape = model.operation_model(operation).input_shape
        if shape is not None:
            required = set(shape.required_members)
            members = list(shape.members)
            names = [m for m in members if m in required] + [m for m in members if m not in required]
            # REST labels and query keys use the serialised name.
            names += [shape.members[m].serialization.get("name", m) for m in members]
    names += list(params)
    for name in names:
        if not RESOURCE_MEMBER.search(name) or name not in params:
            continue
        value = params[name]
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, str) and value:
            return value
    # Query protocol lists arrive flattened: VpcEndpointId.1
    for name, value in params.items():
        base = name.split(".", 1)[0]
        if base != name and RESOURCE_MEMBER.search(base) and isinstance(value, str):
            return value
    return None
