#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: perimeter_lease
short_description: Hold or release the rollout lease of an account, so only one rollout changes it at a time
version_added: 0.1.0
description:
  - The lease is one SSM parameter in the account and Region of the session (O(name), a Standard String
    parameter, no cost) holding a JSON document naming the run that holds it (C(run), C(operator),
    C(controller), C(pid), C(pid_start)), since when (C(acquired)) and until when (C(expires), ISO 8601 UTC).
    It lives in the account, so rollouts from different machines see each other's.
  - V(held) creates the lease when there is none, with C(Overwrite=False) so that of two runs starting at once
    only one creates it (the other reads the winner's lease and decides again). The run's own lease is left
    as it is, and renewed with one write once less than half of O(minutes) is left.
  - Another run's lease is overwritten, with a warning naming that run, when it has expired, when its
    controller is this host and its process has ended or is another process now (a run killed or failed on
    this machine), or when O(take_over) names it. Any other lease fails the task, naming the account, the
    run holding it (operator, controller, pid), since when and until when, and what to do.
  - V(released) deletes the lease only when this run holds it; another run's lease is left as it is.
  - Runs on the controller (the pid check reads C(/proc) there). Without C(/proc) a process is never taken
    for ended; expiry and O(take_over) still free its lease.
author:
  - mlperimeter maintainers
options:
  state:
    description:
      - V(held) takes or keeps the lease for O(run); V(released) gives it back.
    type: str
    choices: [held, released]
    default: held
  run:
    description:
      - The run, as C(lookup('mlperimeter.aws.rollout_run')) returns it.
    type: dict
    required: true
    suboptions:
      id:
        description: The run's id, 16 hex digits.
        type: str
        required: true
      controller:
        description: Host name of the controller running the playbook.
        type: str
        required: true
      pid:
        description: Process id of the ansible-playbook process.
        type: int
        required: true
      pid_start:
        description:
          - Start time of that process, in clock ticks after boot (C(/proc/<pid>/stat) field 22); null
            where the controller has no C(/proc).
        type: raw
        required: true
      user:
        description: Local user running the playbook; the lease's operator unless O(operator) is given.
        type: str
  operator:
    description:
      - Who runs the rollout, stored in the lease for the next operator to see (a user name or a caller ARN;
        never a secret). Default C(run.user).
    type: str
  name:
    description:
      - Name of the SSM parameter holding the lease.
    type: str
    default: /mlperimeter/rollout-lease
  minutes:
    description:
      - Length of the lease, from 1 to 1440 minutes. A run that is killed leaves a lease that expires after
        this long; a running one renews it once less than half is left.
    type: int
    default: 120
  take_over:
    description:
      - The id of a run whose lease to take over although it has not expired, when that run is known to be
        gone (for example its controller is down). Only a lease of that run is overwritten.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description:
      - Reads the lease and reports what the task would do, writing nothing. A lease another run holds is
        reported with a warning instead of failing, so read-only runs (verify) are never refused.
  diff_mode:
    support: full
    description: Shows the lease document before and after.
  idempotent:
    support: full
    description:
      - A run holding its lease leaves it as it is (until it renews it); releasing an absent lease does nothing.
"""

EXAMPLES = r"""
- name: Hold the rollout lease of the account for this run
  mlperimeter.aws.perimeter_lease:
    run: "{{ lookup('mlperimeter.aws.rollout_run') }}"
    minutes: 120

- name: Take over the lease of a run whose controller is known to be down
  mlperimeter.aws.perimeter_lease:
    run: "{{ lookup('mlperimeter.aws.rollout_run') }}"
    take_over: 3f2a9c1d0b7e4a55

- name: Release it at the end of the run
  mlperimeter.aws.perimeter_lease:
    state: released
    run: "{{ lookup('mlperimeter.aws.rollout_run') }}"
"""

RETURN = r"""
lease:
  description: The lease after the task (in check mode, as it would be); null when there is none.
  returned: always
  type: dict
  contains:
    run:
      description: Id of the run holding it.
      type: str
    operator:
      description: Who runs that rollout.
      type: str
    controller:
      description: Host name of its controller.
      type: str
    pid:
      description: Its ansible-playbook process id.
      type: int
    pid_start:
      description: That process's start time, in clock ticks after boot.
      type: raw
    acquired:
      description: When the run took the lease, ISO 8601 UTC.
      type: str
    expires:
      description: When the lease expires, ISO 8601 UTC.
      type: str
action:
  description:
    - What the task did (in check mode, would do) - V(created), V(kept), V(renewed), V(taken_over) for
      V(held); V(released), V(absent) (no lease), V(left) (another run's lease) for V(released); V(refused)
      in check mode when another run holds the lease.
  returned: always
  type: str
  sample: created
held:
  description: Whether this run holds the lease after the task.
  returned: always
  type: bool
"""

import datetime
import socket

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.mlperimeter.aws.plugins.module_utils import rollout_lease as lease_utils
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule

# Another run creating or deleting the lease between our read and our write sends us round again.
ATTEMPTS = 5
DONE = {lease_utils.CREATE: "created", lease_utils.RENEW: "renewed", lease_utils.TAKE_OVER: "taken_over"}


def now():
    return datetime.datetime.now(datetime.UTC)


def ensure_held(client, *, check_mode, name, run, operator, minutes, take_over, warn):
    for _attempt in range(ATTEMPTS):
        parameter = lease_utils.read_lease(client, name)
        before = lease_utils.parse_lease(parameter["Value"]) if parameter else None
        moment = now()
        action, why = lease_utils.decide(before, run, now=moment, minutes=minutes, take_over=take_over,
                                         this_host=socket.gethostname())
        if action == lease_utils.KEEP:
            return before, before, "kept"
        if action == lease_utils.REFUSE:
            message = lease_utils.refusal(before, *lease_utils.arn_account_and_region(parameter["ARN"]), name)
            if not check_mode:
                raise lease_utils.AnsibleLeaseError(message=message)
            warn(f"A real run would be refused: {message}")
            return before, before, "refused"
        acquired = before.get("acquired") if action == lease_utils.RENEW else None
        after = lease_utils.lease_document(run, operator, moment, minutes, acquired=acquired)
        if action == lease_utils.TAKE_OVER:
            account, region = lease_utils.arn_account_and_region(parameter["ARN"])
            warn(f"{'Would take' if check_mode else 'Took'} over the rollout lease {name} of account {account} "
                 f"({region}) from {lease_utils.describe_holder(before)}, acquired {before.get('acquired', '?')}: "
                 f"{why}.")
        if check_mode:
            return before, after, DONE[action]
        if action == lease_utils.CREATE:
            if not lease_utils.create_lease(client, name, after):
                continue
        else:
            lease_utils.overwrite_lease(client, name, after)
        return before, after, DONE[action]
    raise lease_utils.AnsibleLeaseError(
        message=f"the rollout lease {name} changed {ATTEMPTS} times while this run read it; run again")


def ensure_released(client, *, check_mode, name, run, warn):
    parameter = lease_utils.read_lease(client, name)
    if parameter is None:
        return None, None, "absent"
    before = lease_utils.parse_lease(parameter["Value"])
    if before.get("run") != run["id"]:
        account, region = lease_utils.arn_account_and_region(parameter["ARN"])
        warn(f"The rollout lease {name} of account {account} ({region}) is held by "
             f"{lease_utils.describe_holder(before)}, not by this run; it is left as it is.")
        return before, before, "left"
    if not check_mode:
        lease_utils.delete_lease(client, name)
    return before, None, "released"


def do(module):
    params = module.params
    lease_utils.validate(params)
    run = params["run"]
    client = module.client("ssm")
    if params["state"] == "held":
        before, after, action = ensure_held(
            client, check_mode=module.check_mode, name=params["name"], run=run,
            operator=params["operator"] or run.get("user") or "unknown", minutes=params["minutes"],
            take_over=params["take_over"], warn=module.warn)
    else:
        before, after, action = ensure_released(client, check_mode=module.check_mode, name=params["name"],
                                                run=run, warn=module.warn)
    held = bool(after) and after.get("run") == run["id"]
    module.exit_json(changed=before != after, lease=after, action=action, held=held,
                     diff={"before": {"lease": before}, "after": {"lease": after}})


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["held", "released"], default="held"),
        run=dict(type="dict", required=True, options=dict(
            id=dict(type="str", required=True),
            controller=dict(type="str", required=True),
            pid=dict(type="int", required=True),
            pid_start=dict(type="raw", required=True),
            user=dict(type="str"),
        )),
        operator=dict(type="str"),
        name=dict(type="str", default=lease_utils.DEFAULT_NAME),
        minutes=dict(type="int", default=lease_utils.DEFAULT_MINUTES),
        take_over=dict(type="str"),
    )
    module = MLPerimeterAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
