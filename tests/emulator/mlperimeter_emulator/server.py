"""The emulator's WSGI application: moto's server, the project's service overrides,
a call log and fault injection, and the ``/_emulator`` control endpoints."""

import importlib
import io
import json
import threading
import time
import uuid
from xml.sax.saxutils import escape

import moto.backends as moto_backends
from moto.iam.models import get_account_id_from
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from . import aws_request
from .faults import FaultInjector, FaultSpecError, as_answered
from .registry import BACKEND_OVERRIDES, PATCH_MODULES

_original_get_backend = moto_backends.get_backend


_OVERRIDES_BY_SAFE_NAME = {name.replace("-", ""): target for name, target in BACKEND_OVERRIDES.items()}


def _get_backend(name):
    # moto names some services both ways ("workspaces-web" and "workspacesweb").
    override = _OVERRIDES_BY_SAFE_NAME.get(name.replace("-", ""))
    if override is None:
        return _original_get_backend(name)
    module, attribute = override
    return getattr(importlib.import_module(module), attribute)


def install_overrides():
    """Point moto's service look-up at the project's backends and apply the patches."""
    moto_backends.get_backend = _get_backend
    for module in PATCH_MODULES:
        importlib.import_module(module)


class CallLog:
    def __init__(self):
        self._calls = []
        self._lock = threading.Lock()

    def append(self, call):
        with self._lock:
            self._calls.append(call)

    def snapshot(self):
        with self._lock:
            return list(self._calls)

    def clear(self):
        with self._lock:
            self._calls.clear()


def _json_response(start_response, status, payload):
    body = json.dumps(payload).encode()
    start_response(f"{status} {'OK' if status < 400 else 'Error'}", [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
    ])
    return [body]


def error_response(protocol, code, message, status):
    """An error body and headers in the wire format botocore parses for this protocol."""
    request_id = str(uuid.uuid4())
    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
    elif protocol == "ec2":
        body = (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        ).encode()
        headers = [("Content-Type", "text/xml")]
    elif protocol == "rest-xml":
        body = (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message><RequestId>{request_id}</RequestId></Error>"
        ).encode()
        headers = [("Content-Type", "application/xml")]
    else:
        body = (
            f"<ErrorResponse><Error><Type>{'Receiver' if status >= 500 else 'Sender'}</Type>"
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml")]
    headers += [("x-amzn-RequestId", request_id), ("Content-Length", str(len(body)))]
    return body, headers


class EmulatorApplication:
    """WSGI application: control endpoints first, then every AWS call through moto."""

    def __init__(self):
        install_overrides()
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.calls = CallLog()
        self.faults = FaultInjector()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_emulator/"):
            return self.control(environ, start_response, path[len("/_emulator/"):].strip("/"))
        body = self._read_body(environ)
        request = aws_request.parse(environ, body)
        if request is None:
            return self.moto(environ, start_response)
        account = get_account_id_from(request.access_key) if request.access_key else None
        call = {
            "time": time.time(),
            "service": request.service,
            "operation": request.operation,
            "account": account,
            "region": request.region,
            "resource": request.resource,
        }
        fault = self.faults.pick(request.service, request.operation, account)
        if fault is not None:
            error, status = as_answered(request.service, fault.error, fault.status)
            call["status"] = status
            call["fault"] = error
            self.calls.append(call)
            payload, headers = error_response(request.protocol, error, fault.message, status)
            start_response(f"{status} Error", headers)
            return [payload]

        def recording_start_response(status, headers, exc_info=None):
            call["status"] = int(status.split(" ", 1)[0])
            self.calls.append(call)
            return start_response(status, headers, exc_info)

        return self.moto(environ, recording_start_response)

    @staticmethod
    def _read_body(environ):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        return body

    def control(self, environ, start_response, route):
        method = environ.get("REQUEST_METHOD", "GET")
        if route == "calls" and method == "GET":
            return _json_response(start_response, 200, {"calls": self.calls.snapshot()})
        if route == "calls" and method == "DELETE":
            self.calls.clear()
            return _json_response(start_response, 200, {"calls": []})
        if route == "faults" and method == "GET":
            return _json_response(start_response, 200, {"faults": self.faults.describe()})
        if route == "faults" and method == "POST":
            try:
                spec = json.loads(self._read_body(environ) or b"null")
                fault = self.faults.add(spec)
            except (ValueError, FaultSpecError) as error:
                return _json_response(start_response, 400, {"error": str(error)})
            return _json_response(start_response, 200, {"fault": fault.describe()})
        if route == "faults" and method == "DELETE":
            self.faults.clear()
            return _json_response(start_response, 200, {"faults": []})
        if route.startswith("faults/") and method == "DELETE":
            fault_id = route[len("faults/"):]
            if not self.faults.remove(fault_id):
                return _json_response(start_response, 404, {"error": f"no fault with id {fault_id}"})
            return _json_response(start_response, 200, {"faults": self.faults.describe()})
        if route == "health":
            return _json_response(start_response, 200, {"status": "running"})
        return _json_response(start_response, 404, {"error": f"no control endpoint {method} /_emulator/{route}"})
