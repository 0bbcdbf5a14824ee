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
