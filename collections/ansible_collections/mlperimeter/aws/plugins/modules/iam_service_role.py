#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: iam_service_role
short_description: Ensure a role an AWS service assumes, with its trust policy and one inline policy
version_added: 0.1.0
description:
  - Ensures the IAM role O(name) with the trust policy O(assume_role_policy_document), the description
    O(description) and the tags O(tags), and its inline policy O(policy_name) with O(policy_document).
  - A converged run reads the role and its inline policy (two calls) and writes nothing.
  - Policies are compared semantically (amazon.aws C(compare_policies)), so a re-formatted or re-ordered document
    is the same document. Tags are added or changed, never removed. Other inline policies and attached managed
    policies are left as they are.
author:
  - mlperimeter maintainers
options:
  name:
    description: The role's name.
    type: str
    required: true
  path:
    description: The role's path, used when the role is created.
    type: str
    default: /
  description:
    description: The role's description.
    type: str
    required: true
  assume_role_policy_document:
    description: The trust policy, as a dict or JSON text.
    type: json
    required: true
  policy_name:
    description: The name of the role's inline policy.
    type: str
    required: true
  policy_document:
    description:
      - The inline policy, as a dict or JSON text. Left out, the inline policy is not read or changed (the
        role's first rollout in check mode, before what the policy names exists).
    type: json
  tags:
    description: Tags the role carries.
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what would be created, updated, tagged or written without calling any write API.
  diff_mode:
    support: full
    description: Returns the role's trust policy, description, tags and inline policy before and after.
  idempotent:
    support: full
    description: A second run with the same arguments changes nothing.
notes:
  - To remove the role use M(amazon.aws.iam_role) with O(amazon.aws.iam_role#module:state=absent).
"""

EXAMPLES = r"""
- name: The role that delivers a VPC's flow logs to its log group
  mlperimeter.aws.iam_service_role:
    name: mlperimeter-sagemaker-flow-logs
    description: Delivers the flow logs of the mlperimeter-sagemaker VPC to CloudWatch Logs
    assume_role_policy_document: "{{ lookup('ansible.builtin.file', 'trust.json') }}"
    policy_name: deliver-flow-logs
    policy_document: "{{ lookup('ansible.builtin.file', 'deliver.json') }}"
    tags:
      mlperimeter:managed: "true"
"""

RETURN = r"""
iam_role:
  description: The role after the task. In check mode, when the role would be created, without C(arn).
  returned: always
  type: dict
  contains:
    arn:
      description: The role's ARN.
      type: str
      sample: arn:aws:iam::111111111111:role/mlperimeter-sagemaker-flow-logs
    role_name:
      description: The role's name.
      type: str
    path:
      description: The role's path.
      type: str
    description:
      description: The role's description.
      type: str
    assume_role_policy_document:
      description: The trust policy.
      type: dict
    tags:
      description: The role's tags.
      type: dict
policy_document:
  description: The inline policy O(policy_name) after the task; empty when O(policy_document) is not given.
  returned: always
  type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.iam import AnsibleIAMError, IAMErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)
from ansible_collections.mlperimeter.aws.plugins.module_utils import iam
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule
from ansible_collections.mlperimeter.aws.plugins.module_utils.retries import jittered_backoff


def validate(params):
    """A message naming the field and the value for the first bad input, or None."""
    if not iam.ROLE_NAME.fullmatch(params["name"]):
        return f"name: {params['name']!r} is not an IAM role name (1-64 of letters, digits and +=,.@_-)"
    if not iam.IAM_PATH.fullmatch(params["path"]):
        return f"path: {params['path']!r} is not an IAM path (/ or /name/.../)"
    if not iam.POLICY_NAME.fullmatch(params["policy_name"]):
        return (f"policy_name: {params['policy_name']!r} is not an inline policy name "
                "(1-128 of letters, digits and +=,.@_-)")
    for field in ("assume_role_policy_document", "policy_document"):
        if params[field] is None:
            continue
        try:
            document = iam.policy_document(params[field])
        except ValueError:
            document = None
        if not isinstance(document, dict) or "Statement" not in document:
            return f"{field}: not a policy document (JSON with a Statement): {str(params[field])[:200]!r}"
    return None


@IAMErrorHandler.list_error_handler("get role policy")
def get_role_policy(client, role_name, policy_name):
    return client.get_role_policy(aws_retry=True, RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]


@IAMErrorHandler.common_error_handler("create role")
def create_role(client, params, trust, tags):
    return client.create_role(aws_retry=True, RoleName=params["name"], Path=params["path"],
                              AssumeRolePolicyDocument=iam.minify(trust), Description=params["description"],
                              Tags=ansible_dict_to_boto3_tag_list(tags))["Role"]


@IAMErrorHandler.common_error_handler("update role")
def update_role(client, name, *, trust=None, description=None, tags=None):
    if trust is not None:
        client.update_assume_role_policy(aws_retry=True, RoleName=name, PolicyDocument=iam.minify(trust))
    if description is not None:
        client.update_role(aws_retry=True, RoleName=name, Description=description)
    if tags:
        client.tag_role(aws_retry=True, RoleName=name, Tags=ansible_dict_to_boto3_tag_list(tags))


@IAMErrorHandler.common_error_handler("put role policy")
def put_role_policy(client, role_name, policy_name, document):
    client.put_role_policy(aws_retry=True, RoleName=role_name, PolicyName=policy_name,
                           PolicyDocument=iam.minify(document))


def view(role, policy):
    if role is None:
        return {}
    return {"assume_role_policy_document": role["trust"], "description": role["description"],
            "tags": role["tags"], "policy_document": policy or {}}


def as_seen(role):
    """The parts of a role the module manages, from GetRole's answer."""
    return {"arn": role["Arn"], "role_name": role["RoleName"], "path": role["Path"],
            "description": role.get("Description", ""),
            "trust": iam.policy_document(role["AssumeRolePolicyDocument"]),
            "tags": boto3_tag_list_to_ansible_dict(role.get("Tags", []))}


def do(module):
    params = module.params
    problem = validate(params)
    if problem:
        module.fail_json(msg=problem)
    trust = iam.policy_document(params["assume_role_policy_document"])
    wanted_policy = None if params["policy_document"] is None else iam.policy_document(params["policy_document"])
    tags = {key: str(value) for key, value in params["tags"].items()}
    client = module.client("iam", retry_decorator=jittered_backoff())

    found = iam.get_role(client, params["name"])
    before = as_seen(found) if found else None
    policy_before = get_role_policy(client, params["name"], params["policy_name"]) if found and wanted_policy else None
    if policy_before is not None:
        policy_before = iam.policy_document(policy_before)

    if before is None:
        trust_changed, description_changed, tags_to_add = True, True, tags
    else:
        # compare_policies is true when the documents differ.
        trust_changed = compare_policies(before["trust"], trust)
        description_changed = before["description"] != params["description"]
        tags_to_add = {k: v for k, v in tags.items() if before["tags"].get(k) != v}
    policy_changed = wanted_policy is not None and (policy_before is None
                                                    or compare_policies(policy_before, wanted_policy))
    changed = bool(trust_changed or description_changed or tags_to_add or policy_changed)

    after = dict(before or {"role_name": params["name"], "path": params["path"]}, trust=trust,
                 description=params["description"], tags=dict((before or {}).get("tags", {}), **tags))
    if changed and not module.check_mode:
        if before is None:
            after = as_seen(create_role(client, params, trust, tags))
        else:
            update_role(client, params["name"], trust=trust if trust_changed else None,
                        description=params["description"] if description_changed else None, tags=tags_to_add)
        if policy_changed:
            put_role_policy(client, params["name"], params["policy_name"], wanted_policy)

    role_result = {key: value for key, value in after.items() if key != "trust"}
    role_result["assume_role_policy_document"] = after["trust"]
    result = {"changed": changed, "iam_role": role_result, "policy_document": wanted_policy or {}}
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": view(before, policy_before), "after": view(after, wanted_policy)}
    module.exit_json(**result)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        path=dict(type="str", default="/"),
        description=dict(type="str", required=True),
        assume_role_policy_document=dict(type="json", required=True),
        policy_name=dict(type="str", required=True),
        policy_document=dict(type="json"),
        tags=dict(type="dict", default={}),
    )
    module = MLPerimeterAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        do(module)
    except AnsibleIAMError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
