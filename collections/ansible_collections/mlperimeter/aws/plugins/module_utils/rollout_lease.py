"""The rollout lease: one SSM parameter per account and Region naming the run that is changing the account.

A run is one ansible-playbook process: the controller's host name, the process id and the process's start
time (``/proc/<pid>/stat`` field 22, clock ticks after boot, so a reused pid is a different run). Its id is
derived from the three, so every worker process of a run computes the same id without sharing state, and
two runs never share one.

The lease is a small JSON document (run, operator, controller, pid, pid_start, acquired, expires) in a
Standard String parameter. It is created with ``Overwrite=False``, so of two runs starting together only one
creates it; the other reads the winner's lease and decides again. ``decide`` is the whole policy, pure:

* no lease: create it;
* this run's lease: keep it, renewing it (one write) once less than half its length is left;
* another run's lease that has expired, or whose controller is this host and whose process is gone or is
  another process now (a killed or failed run here), or that the operator names to take over: overwrite it;
* any other lease: refuse.

Taking over overwrites the parameter (SSM has no conditional write): two runs taking over the same dead
lease in the same instant can both believe they hold it. Only dead or expired leases are taken over, so
that needs two operators recovering the same account at once.
"""

import datetime
import getpass
import hashlib
import json
import multiprocessing
import os
import re
import socket
from pathlib import Path

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.mlperimeter.aws.plugins.module_utils.retries import jittered_backoff

DEFAULT_NAME = "/mlperimeter/rollout-lease"
DEFAULT_MINUTES = 120
MIN_MINUTES, MAX_MINUTES = 1, 1440
RUN_ID = re.compile(r"[0-9a-f]{16}")
# SSM parameter names: a path of letters, digits and . - _ (fully qualified with a leading slash).
PARAMETER_NAME = re.compile(r"/[a-zA-Z0-9_.\-/]{1,1010}")
# SSM's answers to two writes of one parameter at once and to its own failures, besides the transient codes.
SSM_RETRY_CODES = ["TooManyUpdates", "InternalServerError"]
PROC = Path("/proc")


class AnsibleLeaseError(AnsibleAWSError):
    """A failed SSM call, a lease held by another run, or a request the module refuses."""


class LeaseErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleLeaseError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ParameterNotFound")


# ----- the run ------------------------------------------------------------------------------------


def process_start(pid, proc=PROC):
    """The start time of process ``pid`` in clock ticks after boot, or None when there is no such process."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    # Field 2, the command name, is in parentheses and may hold spaces: count from its closing one.
    return int(stat[stat.rindex(")") + 2:].split()[19])


def playbook_pid():
    """The ansible-playbook process: a task's worker is a multiprocessing child of it."""
    parent = multiprocessing.parent_process()
    return parent.pid if parent is not None else os.getpid()


def run_id(controller, pid, pid_start):
    return hashlib.sha256(f"{controller}\n{pid}\n{pid_start}".encode()).hexdigest()[:16]


def local_user():
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return str(os.getuid())


def current_run():
    """The running ansible-playbook process: ``{id, controller, pid, pid_start, user}``."""
    controller = socket.gethostname()
    pid = playbook_pid()
    pid_start = process_start(pid)
    return {"id": run_id(controller, pid, pid_start), "controller": controller, "pid": pid,
            "pid_start": pid_start, "user": local_user()}


def process_is_gone(pid, pid_start, proc=PROC):
    """Whether process ``pid`` started at ``pid_start`` has ended on this host. Without /proc it cannot be
    told, and the process counts as running."""
    if not (proc / "self" / "stat").exists():
        return False
    return process_start(pid, proc) != pid_start


# ----- validation --------------------------------------------------------------------------------


def validate(params):
    """Every option checked before any call; the message names the option and the value."""
    name = params["name"]
    if not PARAMETER_NAME.fullmatch(name):
        raise AnsibleLeaseError(
            message=f"name: {name!r} is not an SSM parameter path (/ then letters, digits, . - _ /)")
    minutes = params["minutes"]
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise AnsibleLeaseError(message=f"minutes: {minutes} is not from {MIN_MINUTES} to {MAX_MINUTES}")
    run = params["run"]
    if not isinstance(run["id"], str) or not RUN_ID.fullmatch(run["id"]):
        raise AnsibleLeaseError(message=f"run: id {run['id']!r} is not a run id (16 hex digits)")
    if not isinstance(run["controller"], str) or not run["controller"]:
        raise AnsibleLeaseError(message=f"run: controller {run['controller']!r} is not a host name")
    if isinstance(run["pid"], bool) or not isinstance(run["pid"], int) or run["pid"] <= 0:
        raise AnsibleLeaseError(message=f"run: pid {run['pid']!r} is not a process id")
    take_over = params["take_over"]
    if take_over is not None and not RUN_ID.fullmatch(take_over):
        raise AnsibleLeaseError(
            message=f"take_over: {take_over!r} is not a run id (16 hex digits, as the refusal names it)")


# ----- the lease document ------------------------------------------------------------------------


def iso(moment):
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text):
    try:
        moment = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def lease_document(run, operator, now, minutes, acquired=None):
    return {
        "run": run["id"],
        "operator": operator,
        "controller": run["controller"],
        "pid": run["pid"],
        "pid_start": run["pid_start"],
        "acquired": acquired or iso(now),
        "expires": iso(now + datetime.timedelta(minutes=minutes)),
    }


def parse_lease(value):
    """The lease a parameter holds, as a dict; a value that is no lease document becomes an empty one,
    which has no run and no expiry and so counts as expired."""
    try:
        lease = json.loads(value)
    except ValueError:
        return {}
    return lease if isinstance(lease, dict) else {}


def describe_holder(lease):
    return (f"run {lease.get('run', '(none)')} (operator {lease.get('operator', '?')}, controller "
            f"{lease.get('controller', '?')}, pid {lease.get('pid', '?')})")


# ----- the decision ------------------------------------------------------------------------------

CREATE, KEEP, RENEW, TAKE_OVER, REFUSE = "create", "keep", "renew", "take_over", "refuse"


def decide(lease, run, *, now, minutes, take_over=None, this_host=None, is_gone=process_is_gone):
    """What ``run`` does about ``lease`` (None when there is none): (action, why)."""
    if lease is None:
        return CREATE, "no rollout holds the account"
    expires = parse_time(lease.get("expires"))
    if lease.get("run") == run["id"]:
        if expires is None or expires - now < datetime.timedelta(minutes=minutes) / 2:
            return RENEW, "less than half of the lease is left"
        return KEEP, "this run holds the lease"
    if expires is None or expires <= now:
        return TAKE_OVER, f"it expired at {lease.get('expires', '(no expiry)')}"
    if lease.get("controller") == (this_host or socket.gethostname()) and isinstance(lease.get("pid"), int) \
            and is_gone(lease["pid"], lease.get("pid_start")):
        return TAKE_OVER, f"its process {lease['pid']} on this controller has ended"
    if take_over is not None and lease.get("run") == take_over:
        return TAKE_OVER, "take_over names it"
    return REFUSE, "another rollout holds the account"


def refusal(lease, account, region, name):
    return (
        f"Account {account} ({region}) is being changed by another rollout: {describe_holder(lease)} holds its "
        f"rollout lease {name} since {lease.get('acquired', '?')}, until {lease.get('expires', '?')}. Wait for "
        f"that rollout to finish (or its lease to expire), then run again. If that run is certainly gone (its "
        f"controller down, its process killed), run again with -e perimeter_lease_take_over={lease.get('run')} "
        f"(module option take_over)."
    )


# ----- SSM calls ---------------------------------------------------------------------------------


@jittered_backoff(SSM_RETRY_CODES)
def _call(client, operation, kwargs):
    return getattr(client, operation)(**kwargs)


def read_lease(client, name):
    """The parameter's ``Parameter`` answer, or None when it does not exist."""

    @LeaseErrorHandler.list_error_handler(f"read the rollout lease {name}")
    def run():
        return _call(client, "get_parameter", {"Name": name})["Parameter"]

    return run()


def create_lease(client, name, document):
    """Create the parameter unless it exists; False when another run created it first."""

    @LeaseErrorHandler.common_error_handler(f"create the rollout lease {name}")
    def run():
        try:
            _call(client, "put_parameter", {"Name": name, "Value": json.dumps(document, sort_keys=True),
                                            "Type": "String", "Tier": "Standard", "Overwrite": False})
        except is_boto3_error_code("ParameterAlreadyExists"):
            return False
        return True

    return run()


def overwrite_lease(client, name, document):
    @LeaseErrorHandler.common_error_handler(f"write the rollout lease {name}")
    def run():
        _call(client, "put_parameter", {"Name": name, "Value": json.dumps(document, sort_keys=True),
                                        "Type": "String", "Tier": "Standard", "Overwrite": True})

    run()


def delete_lease(client, name):
    @LeaseErrorHandler.deletion_error_handler(f"delete the rollout lease {name}")
    def run():
        _call(client, "delete_parameter", {"Name": name})
        return True

    return run()


def arn_account_and_region(arn):
    """The account and Region an SSM parameter ARN names."""
    parts = (arn or "").split(":")
    return (parts[4], parts[3]) if len(parts) > 5 else ("?", "?")
