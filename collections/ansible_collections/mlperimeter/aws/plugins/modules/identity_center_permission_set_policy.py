#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: identity_center_permission_set_policy
short_description: Reference customer-managed policies from an IAM Identity Center permission set, account by account
version_added: 0.1.0
description:
  - Runs in the IAM Identity Center administration account (the organization's management account or its delegated
    administrator).
  - Adds (or removes) customer-managed policy references (names and a path) on a permission set found by its name,
    then provisions the permission set to the listed accounts one at a time with C(TargetType=AWS_ACCOUNT) and
    waits for each to finish. References of policies not named are left as they are. Accounts not listed keep
    the copy they have until they are provisioned, so a change reaches the organization wave by wave.
  - An account is provisioned only when a reference changed in this task or its copy is out of date (or, for
    V(present), the permission set was never provisioned there). Provisioning requests of the permission set still
    in progress are waited for first.
  - The referenced policies must exist in each account before it is provisioned there (create it with
    M(mlperimeter.aws.iam_perimeter_policy)); Identity Center reports the provisioning as failed otherwise, and
    the module fails naming the account and the reason.
  - Refuses to add references to the permission set the task itself runs as (an C(AWSReservedSSO_<name>_...)
    role), which would lock out the automation that maintains the perimeter.
author:
  - mlperimeter maintainers
options:
  instance_arn:
    description:
      - ARN of the Identity Center instance. When omitted, the account's only instance (C(ListInstances)).
    type: str
  permission_set_name:
    description:
      - Name of the permission set.
    type: str
    required: true
  policy_names:
    description:
      - Names of the customer-managed policies the permission set references. Naming them in one task reads
        the permission set and provisions it once for all of them.
    type: list
    elements: str
    required: true
  policy_path:
    description:
      - IAM path of those policies.
    type: str
    default: /mlperimeter/
  accounts:
    description:
      - Ids of the accounts to provision the permission set to in this task, in order.
    type: list
    elements: str
    default: []
  state:
    description:
      - V(present) adds the references; V(absent) removes them. Either way the listed accounts are brought up to date.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - Wait for each provisioning request to finish before the next, failing when one fails.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for one provisioning request.
    type: int
    default: 300
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports the reference change and the accounts that would be provisioned, without writing.
  diff_mode:
    support: full
    description: Shows the permission set's customer-managed policy references and which of the listed accounts
      hold a current copy, before and after.
  idempotent:
    support: full
    description: Nothing is attached or provisioned when the references are in place and every listed account's
      copy is current.
"""

EXAMPLES = r"""
- name: Reference the perimeter policies from the data scientists' permission set, for this wave's accounts
  mlperimeter.aws.identity_center_permission_set_policy:
    permission_set_name: DataScientist
    policy_names:
      - mlperimeter-network-perimeter
      - mlperimeter-resource-perimeter
    policy_path: /mlperimeter/
    accounts: "{{ groups['wave1'] | map('extract', hostvars, 'aws_account_id') | list }}"
  delegate_to: localhost
"""

RETURN = r"""
permission_set:
  description: The permission set after the task.
  returned: always
  type: dict
  contains:
    name:
      description: Name of the permission set.
      type: str
    permission_set_arn:
      description: ARN of the permission set.
      type: str
    instance_arn:
      description: ARN of the Identity Center instance.
      type: str
    customer_managed_policy_references:
      description: The customer-managed policies the permission set references.
      type: list
      elements: dict
      contains:
        name:
          description: Policy name.
          type: str
        path:
          description: Policy path.
          type: str
    provisioned_accounts:
      description: Accounts whose copy of the permission set is current.
      type: list
      elements: str
    outdated_accounts:
      description: Accounts whose copy is out of date (those of later waves, after a change).
      type: list
      elements: str
provisioning:
  description: One provisioning status per account provisioned by this task, in order.
  returned: always
  type: list
  elements: dict
  contains:
    account_id:
      description: The account.
      type: str
    request_id:
      description: Id of the provisioning request.
      type: str
    status:
      description: V(SUCCEEDED), or V(IN_PROGRESS) with O(wait=false); absent in check mode.
      type: str
"""

import re

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.mlperimeter.aws.plugins.module_utils import iam, sso_admin
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule
from ansible_collections.mlperimeter.aws.plugins.module_utils.retries import jittered_backoff
from ansible_collections.mlperimeter.aws.plugins.module_utils.sso_admin import AnsibleSSOAdminError

INSTANCE_ARN = re.compile(r"arn:aws[a-z-]*:sso:::instance/(?:sso)?ins-[a-zA-Z0-9.-]{16}")
PERMISSION_SET_NAME = re.compile(r"[\w+=,.@-]{1,32}")
ACCOUNT_ID = re.compile(r"\d{12}")


def validate(params):
    if params["instance_arn"] is not None and not INSTANCE_ARN.fullmatch(params["instance_arn"]):
        raise AnsibleSSOAdminError(message=f"instance_arn: {params['instance_arn']!r} is not an Identity Center "
                                   "instance ARN")
    if not PERMISSION_SET_NAME.fullmatch(params["permission_set_name"]):
        raise AnsibleSSOAdminError(message=f"permission_set_name: {params['permission_set_name']!r} is not a "
                                   "permission set name")
    if not params["policy_names"]:
        raise AnsibleSSOAdminError(message="policy_names: the list is empty")
    for name in params["policy_names"]:
        if not iam.POLICY_NAME.fullmatch(name or ""):
            raise AnsibleSSOAdminError(message=f"policy_names: {name!r} is not an IAM policy name")
    if not iam.IAM_PATH.fullmatch(params["policy_path"]):
        raise AnsibleSSOAdminError(message=f"policy_path: {params['policy_path']!r} is not an IAM path "
                                   "(it must begin and end with /)")
    for account in params["accounts"]:
        if not ACCOUNT_ID.fullmatch(account or ""):
            raise AnsibleSSOAdminError(message=f"accounts: {account!r} is not a 12-digit account id")
    if params["wait_timeout"] < 1:
        raise AnsibleSSOAdminError(message=f"wait_timeout: {params['wait_timeout']} must be at least 1")


def refuse_own_permission_set(caller_arn, name):
    if sso_admin.permission_set_of_reserved_role(iam.caller_role_name(caller_arn)) == name:
        raise AnsibleSSOAdminError(
            message=f"permission_set_name: refusing to add the policies to {name}, the permission set this task runs "
            f"as ({caller_arn}); the perimeter would lock out the automation that maintains it"
        )


def find_instance_arn(client, instance_arn):
    if instance_arn:
        return instance_arn
    instances = sso_admin.list_instances(client)
    if len(instances) != 1:
        raise AnsibleSSOAdminError(
            message=f"instance_arn: the account has {len(instances)} Identity Center instances; name one"
        )
    return instances[0]["InstanceArn"]


def ensure_references(client, *, check_mode, instance_arn, permission_set_arn, references, wanted, state):
    """Attach (or detach) each wanted reference that is missing (or held); True when any was."""
    held = {sso_admin.reference_key(r) for r in references}
    to_change = [r for r in wanted if (sso_admin.reference_key(r) in held) != (state == "present")]
    if not check_mode:
        for reference in to_change:
            if state == "present":
                sso_admin.attach_policy_reference(client, instance_arn, permission_set_arn, reference)
            else:
                sso_admin.detach_policy_reference(client, instance_arn, permission_set_arn, reference)
    return bool(to_change)


def accounts_to_provision(accounts, *, state, reference_changed, latest, outdated):
    if state == "present":
        return [a for a in accounts if reference_changed or a not in latest]
    # Removing a reference never provisions the permission set to an account that lacks it.
    return [a for a in accounts if (a in latest or a in outdated) and (reference_changed or a in outdated)]


def ensure_provisioned(client, *, check_mode, instance_arn, permission_set_arn, accounts, wait, wait_timeout):
    statuses = []
    if check_mode:
        return [{"account_id": a} for a in accounts]
    if wait and accounts:
        for pending in sso_admin.pending_requests_of(client, instance_arn, permission_set_arn):
            sso_admin.wait_for_provisioning(client, instance_arn, pending["RequestId"], wait_timeout)
    for account in accounts:
        status = sso_admin.provision_to_account(client, instance_arn, permission_set_arn, account)
        if wait:
            status = sso_admin.wait_for_provisioning(client, instance_arn, status["RequestId"], wait_timeout)
            if status["Status"] == "FAILED":
                raise AnsibleSSOAdminError(
                    message=f"accounts: provisioning {permission_set_arn} to account {account} failed: "
                    f"{status.get('FailureReason', 'no reason given')}"
                )
        statuses.append({"account_id": account, "request_id": status["RequestId"], "status": status["Status"]})
    return statuses


def snake_references(references):
    return [camel_dict_to_snake_dict(r) for r in sorted(references, key=sso_admin.reference_key)]


def do(module):
    params = module.params
    validate(params)
    accounts = list(dict.fromkeys(params["accounts"]))
    wanted = [{"Name": name, "Path": params["policy_path"]} for name in dict.fromkeys(params["policy_names"])]
    client = module.client("sso-admin", retry_decorator=jittered_backoff())

    if params["state"] == "present":
        identity = iam.get_caller_identity(module.client("sts", retry_decorator=jittered_backoff()))
        refuse_own_permission_set(identity["Arn"], params["permission_set_name"])
    instance_arn = find_instance_arn(client, params["instance_arn"])
    permission_set = sso_admin.find_permission_set(client, instance_arn, params["permission_set_name"])
    if permission_set is None:
        raise AnsibleSSOAdminError(
            message=f"permission_set_name: no permission set named {params['permission_set_name']!r} in {instance_arn}"
        )
    arn = permission_set["PermissionSetArn"]

    references = sso_admin.list_policy_references(client, instance_arn, arn)
    latest = sso_admin.list_provisioned_accounts(client, instance_arn, arn, sso_admin.PROVISIONED)
    outdated = sso_admin.list_provisioned_accounts(client, instance_arn, arn, sso_admin.NOT_PROVISIONED)

    reference_changed = ensure_references(client, check_mode=module.check_mode, instance_arn=instance_arn,
                                          permission_set_arn=arn, references=references, wanted=wanted,
                                          state=params["state"])
    targets = accounts_to_provision(accounts, state=params["state"], reference_changed=reference_changed,
                                    latest=latest, outdated=outdated)
    provisioning = ensure_provisioned(client, check_mode=module.check_mode, instance_arn=instance_arn,
                                      permission_set_arn=arn, accounts=targets, wait=params["wait"],
                                      wait_timeout=params["wait_timeout"])

    if not (reference_changed or targets):
        references_after, latest_after, outdated_after = references, latest, outdated
    elif module.check_mode:
        wanted_keys = {sso_admin.reference_key(r) for r in wanted}
        others = [r for r in references if sso_admin.reference_key(r) not in wanted_keys]
        references_after = others + wanted if params["state"] == "present" else others
        everyone = sorted(set(latest) | set(outdated) | set(targets))
        stale = set(everyone) - set(targets) if reference_changed else set(outdated) - set(targets)
        latest_after, outdated_after = sorted(set(everyone) - stale), sorted(stale)
    else:
        references_after = sso_admin.list_policy_references(client, instance_arn, arn)
        latest_after = sso_admin.list_provisioned_accounts(client, instance_arn, arn, sso_admin.PROVISIONED)
        outdated_after = sso_admin.list_provisioned_accounts(client, instance_arn, arn, sso_admin.NOT_PROVISIONED)

    def view(refs, current):
        return {"customer_managed_policy_references": snake_references(refs),
                "accounts_up_to_date": [a for a in accounts if a in current]}

    module.exit_json(
        changed=reference_changed or bool(targets),
        permission_set={
            "name": permission_set["Name"], "permission_set_arn": arn, "instance_arn": instance_arn,
            "customer_managed_policy_references": snake_references(references_after),
            "provisioned_accounts": latest_after, "outdated_accounts": outdated_after,
        },
        provisioning=provisioning,
        diff={"before": view(references, latest), "after": view(references_after, latest_after)},
    )


def main():
    argument_spec = dict(
        instance_arn=dict(type="str"),
        permission_set_name=dict(type="str", required=True),
        policy_names=dict(type="list", elements="str", required=True),
        policy_path=dict(type="str", default="/mlperimeter/"),
        accounts=dict(type="list", elements="str", default=[]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
    )
    module = MLPerimeterAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
