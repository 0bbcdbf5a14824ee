#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_role_policy_attachment
short_description: Attach one managed policy to named IAM roles, never to the deploy role or the caller's own
version_added: 0.1.0
description:
  - Attaches (or detaches) one managed policy to each of the named IAM roles, leaving every other policy of
    those roles, inline or managed, as it is.
  - Refuses, before any write, to attach to the deploy role (O(deploy_role_name)) or to the role the task runs
    as (read with C(sts:GetCallerIdentity); an assumed-role session maps to its role). A perimeter policy on
    either would lock out the automation that maintains the perimeter.
  - Roles must exist; the module does not create them.
author:
  - mlperimeter maintainers
options:
  policy_arn:
    description:
      - ARN of the managed policy.
    type: str
    required: true
  role_names:
    description:
      - Names of the roles (not ARNs).
    type: list
    elements: str
    required: true
  deploy_role_name:
    description:
      - Name of the role deployments assume in the account; the policy is never attached to it.
      - Required when O(state=present).
    type: str
  state:
    description:
      - V(present) attaches the policy to every named role; V(absent) detaches it from them.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports which roles would change without writing anything.
  diff_mode:
    support: full
    description: Shows, per role, whether the policy is attached before and after.
  idempotent:
    support: full
    description: Roles that already have the policy (or, for V(absent), lack it) are left alone.
"""

EXAMPLES = r"""
- name: Put the network perimeter on the data-scientist roles
  mlperimeter.aws.iam_role_policy_attachment:
    policy_arn: "{{ network_perimeter.policy.arn }}"
    role_names: "{{ perimeter_data_scientist_roles }}"
    deploy_role_name: "{{ perimeter_deploy_role_name }}"

- name: Take it off again
  mlperimeter.aws.iam_role_policy_attachment:
    policy_arn: "{{ network_perimeter.policy.arn }}"
    role_names: "{{ perimeter_data_scientist_roles }}"
    state: absent
"""

RETURN = r"""
attachments:
  description: One entry per named role, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    role_name:
      description: Name of the role.
      type: str
    policy_arn:
      description: ARN of the policy.
      type: str
    attached:
      description: Whether the policy is attached to the role after the task.
      type: bool
    changed:
      description: Whether this task attached or detached it.
      type: bool
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.iam import AnsibleIAMError
from ansible_collections.mlperimeter.aws.plugins.module_utils import iam
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule
from ansible_collections.mlperimeter.aws.plugins.module_utils.retries import jittered_backoff


def validate(params):
    if not iam.POLICY_ARN.fullmatch(params["policy_arn"]):
        raise AnsibleIAMError(message=f"policy_arn: {params['policy_arn']!r} is not an IAM managed policy ARN")
    if not params["role_names"]:
        raise AnsibleIAMError(message="role_names: the list is empty")
    for name in params["role_names"]:
        if not iam.ROLE_NAME.fullmatch(name or ""):
            raise AnsibleIAMError(message=f"role_names: {name!r} is not an IAM role name (give names, not ARNs)")
    deploy = params["deploy_role_name"]
    if params["state"] == "present" and not deploy:
        raise AnsibleIAMError(
            message="deploy_role_name: required when state is present, so the deploy role is never given the policy"
        )
    if deploy is not None and not iam.ROLE_NAME.fullmatch(deploy):
        raise AnsibleIAMError(message=f"deploy_role_name: {deploy!r} is not an IAM role name")
    # IAM role names are unique regardless of case.
    if params["state"] == "present" and deploy and deploy.lower() in {n.lower() for n in params["role_names"]}:
        raise AnsibleIAMError(
            message=f"role_names: refusing to attach {params['policy_arn']} to {deploy}, the deploy role; "
            "the perimeter would lock out the automation that maintains it"
        )


def refuse_caller_role(role_names, caller_arn, policy_arn):
    caller_role = iam.caller_role_name(caller_arn)
    if caller_role and caller_role.lower() in {n.lower() for n in role_names}:
        raise AnsibleIAMError(
            message=f"role_names: refusing to attach {policy_arn} to {caller_role}, the role this task runs as "
            f"({caller_arn}); the perimeter would lock out the automation that maintains it"
        )


def read_attached_arns(client, role_names):
    """Each role's attached policy ARNs; one read per role (a missing role is IAM's NoSuchEntity)."""
    attached = {}
    for name in role_names:
        attached[name] = iam.list_attached_role_policy_arns(client, name)
        if attached[name] is None:
            raise AnsibleIAMError(message=f"role_names: role {name!r} does not exist")
    return attached


def ensure_attachments(client, *, check_mode, attached_arns, policy_arn, state):
    attachments = []
    for name, arns in attached_arns.items():
        changed = (policy_arn in arns) != (state == "present")
        if changed and not check_mode:
            if state == "present":
                iam.attach_role_policy(client, policy_arn, name)
            else:
                iam.detach_role_policy(client, policy_arn, name)
        attachments.append({"role_name": name, "policy_arn": policy_arn,
                            "attached": state == "present", "changed": changed})
    return attachments


def do(module):
    params = module.params
    validate(params)
    role_names = list(dict.fromkeys(params["role_names"]))
    client = module.client("iam", retry_decorator=jittered_backoff())
    if params["state"] == "present":
        identity = iam.get_caller_identity(module.client("sts", retry_decorator=jittered_backoff()))
        refuse_caller_role(role_names, identity["Arn"], params["policy_arn"])
    attached_arns = read_attached_arns(client, role_names)
    before = {name: params["policy_arn"] in arns for name, arns in attached_arns.items()}
    # Only a policy about to be attached needs checking; one already attached exists.
    to_attach = params["state"] == "present" and not all(before.values())
    if to_attach and iam.get_policy(client, params["policy_arn"]) is None:
        raise AnsibleIAMError(message=f"policy_arn: policy {params['policy_arn']} does not exist")
    attachments = ensure_attachments(client, check_mode=module.check_mode, attached_arns=attached_arns,
                                     policy_arn=params["policy_arn"], state=params["state"])
    after = {a["role_name"]: a["attached"] for a in attachments}
    module.exit_json(changed=any(a["changed"] for a in attachments), attachments=attachments,
                     diff={"before": {"attached": before}, "after": {"attached": after}})


def main():
    argument_spec = dict(
        policy_arn=dict(type="str", required=True),
        role_names=dict(type="list", elements="str", required=True),
        deploy_role_name=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = MLPerimeterAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
