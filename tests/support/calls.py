"""Reading the emulator's call log: which calls change something."""

import re

WRITE_VERB = re.compile(
    r"^(Create|Put|Update|Delete|Associate|Disassociate|Attach|Detach|Modify|Tag|Untag|Import|Add|Remove"
    r"|Replace|Set|Enable|Disable|Allocate|Release|Authorize|Revoke|Batch|Provision|Start|Stop|Run|Terminate)"
)
# Calls that open a session rather than read or change anything.
SESSION_OPERATIONS = {"AssumeRole", "GetCallerIdentity"}


def is_write(call):
    return bool(WRITE_VERB.match(call["operation"]))


def writes(calls):
    return [c for c in calls if is_write(c)]


def reads(calls):
    return [c for c in calls if not is_write(c) and c["operation"] not in SESSION_OPERATIONS]


LEASE_PARAMETER = "/mlperimeter/rollout-lease"


def is_lease_call(call, name=LEASE_PARAMETER):
    """A call on the rollout lease: the run's own bookkeeping (GetParameter, PutParameter, DeleteParameter)."""
    return call["service"] == "ssm" and call.get("resource") == name


def lease_calls(calls, name=LEASE_PARAMETER):
    return [c for c in calls if is_lease_call(c, name)]


def without_lease(calls, name=LEASE_PARAMETER):
    """Every call but the rollout lease's: what a run does to the perimeter itself."""
    return [c for c in calls if not is_lease_call(c, name)]
