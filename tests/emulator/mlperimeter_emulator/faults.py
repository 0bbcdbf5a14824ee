"""Injected failures: an operation (or ``*``) fails with a given error at a given rate."""

import itertools
import random
import re
import threading

# HTTP status AWS uses for the errors tests inject; anything else is a client error.
SERVER_ERRORS = {
    "InternalError": 500,
    "InternalFailure": 500,
    "InternalServerError": 500,
    "InternalServerException": 500,
    "InternalServiceErrorException": 500,
    "ServiceUnavailable": 503,
    "ServiceUnavailableException": 503,
    "Unavailable": 503,
    "SlowDown": 503,
}

# Throttling as the other services name it. S3 has no such error: it answers a request rate it refuses with
# 503 SlowDown, which a HEAD request (no body) shows only as its status, and which clients retry as a 5xx.
THROTTLING_ERRORS = {"ThrottlingException", "Throttling", "ThrottledException", "RequestLimitExceeded",
                     "TooManyRequestsException"}
S3_THROTTLING = ("SlowDown", 503)


def as_answered(service, error, status):
    """The error and status ``service`` answers for an injected ``error``: S3 throttles with 503 SlowDown."""
    if service == "s3" and error in THROTTLING_ERRORS:
        return S3_THROTTLING
    return error, status


ACCOUNT_ID = re.compile(r"^[0-9]{12}$")


class FaultSpecError(ValueError):
    pass


def _accounts(value):
    """The accounts a fault is limited to: one id or a list of ids; None for every account."""
    if value is None:
        return None
    accounts = [value] if isinstance(value, str) else value
    if (not isinstance(accounts, list) or not accounts
            or not all(isinstance(a, str) and ACCOUNT_ID.match(a) for a in accounts)):
        raise FaultSpecError(
            f"fault field 'account' must be a 12-digit account id or a non-empty list of them, not {value!r}")
    return frozenset(accounts)


class Fault:
    def __init__(self, spec, fault_id):
        if not isinstance(spec, dict):
            raise FaultSpecError("a fault is a JSON object")
        unknown = set(spec) - {"operation", "error", "rate", "seed", "status", "message", "account", "service"}
        if unknown:
            raise FaultSpecError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        for name in ("operation", "error"):
            if not isinstance(spec.get(name), str) or not spec[name]:
                raise FaultSpecError(f"fault field '{name}' is required and must be a non-empty string")
        rate = spec.get("rate", 1.0)
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 < rate <= 1:
            raise FaultSpecError("fault field 'rate' must be a number in (0, 1]")
        self.id = fault_id
        self.operation = spec["operation"]
        self.error = spec["error"]
        self.rate = float(rate)
        self.accounts = _accounts(spec.get("account"))
        self.service = spec.get("service")
        self.status = int(spec.get("status") or SERVER_ERRORS.get(self.error, 400))
        self.message = spec.get("message") or f"Injected fault: {self.error}"
        self.seed = spec.get("seed")
        self._random = random.Random(self.seed)

    def applies_to(self, service, operation, account):
        return (
            self.operation in ("*", operation)
            and (self.accounts is None or account in self.accounts)
            and self.service in (None, service)
        )

    def fires(self):
        return self.rate >= 1.0 or self._random.random() < self.rate

    def describe(self):
        return {
            "id": self.id,
            "operation": self.operation,
            "error": self.error,
            "rate": self.rate,
            "seed": self.seed,
            "status": self.status,
            "account": sorted(self.accounts) if self.accounts is not None else None,
            "service": self.service,
        }


class FaultInjector:
    def __init__(self):
        self._faults = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, spec):
        with self._lock:
            fault = Fault(spec, str(next(self._ids)))
            self._faults.append(fault)
        return fault

    def remove(self, fault_id):
        """Remove one fault; False if there is none with this id."""
        with self._lock:
            kept = [f for f in self._faults if f.id != fault_id]
            removed = len(kept) < len(self._faults)
            self._faults = kept
        return removed

    def clear(self):
        with self._lock:
            self._faults.clear()

    def describe(self):
        with self._lock:
            return [f.describe() for f in self._faults]

    def pick(self, service, operation, account):
        """The first matching fault that fires for this call, or None."""
        with self._lock:
            for fault in self._faults:
                if fault.applies_to(service, operation, account) and fault.fires():
                    return fault
        return None
