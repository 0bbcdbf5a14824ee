#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_perimeter_policy
short_description: Keep a perimeter policy as a versioned customer-managed IAM policy
version_added: 0.1.0
description:
  - Creates, updates and removes a customer-managed IAM policy of the perimeter, found by its name and path
    and carrying the tags C(mlperimeter:managed=true) and C(mlperimeter:control=<control>).
  - The document is compared semantically with the default version. A change creates a new default version
    and keeps the previous one, so an operator can roll back with C(aws iam set-default-policy-version).
  - IAM keeps at most five versions of a policy; when five exist, the oldest version that is not the default
    is deleted to make room.
  - A policy of that name and path that does not carry C(mlperimeter:managed=true) is never taken over.
  - The document is uploaded as compact JSON and refused before any AWS call when it exceeds IAM's
    6,144 characters for a managed policy (white space not counted).
author:
  - mlperimeter maintainers
options:
  name:
    description:
      - Name of the managed policy.
    type: str
    required: true
  path:
    description:
      - IAM path of the policy. IAM cannot change a policy's path; a different path is a different policy.
    type: str
    default: /mlperimeter/
  description:
    description:
      - Description set when the policy is created. IAM cannot change it afterwards; a different value is
        reported as a warning.
    type: str
  policy:
    description:
      - The policy document (JSON text or a dictionary). Required when O(state=present).
    type: json
  control:
    description:
      - Control id of the perimeter this policy implements, set as tag C(mlperimeter:control).
    type: str
    required: true
    choices: [A1, A2, M1, M2, M3]
  state:
    description:
      - V(present) creates or updates the policy; V(absent) detaches it from every user, group and role and
        deletes it with all its versions.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what would change without writing anything.
  diff_mode:
    support: full
    description: Shows the default version's document, its version id and the tags, before and after.
  idempotent:
    support: full
    description: A document that differs only in formatting, order or string-versus-list does not change.
"""

EXAMPLES = r"""
- name: Render and keep the network perimeter policy (M1)
  mlperimeter.aws.iam_perimeter_policy:
    name: mlperimeter-network-perimeter
    control: M1
    description: Deny requests from outside the egress IPs, the browser VPC and the SageMaker VPC
    policy: >-
      {{ egress_ips | mlperimeter.aws.network_perimeter_policy(
           {'vpc_id': browser_vpc_id, 'region': browser_region},
           {'vpc_id': sagemaker_vpc_id, 'region': aws_region},
           break_glass_principals=perimeter_break_glass_principals) }}
  register: network_perimeter

- name: Remove it
  mlperimeter.aws.iam_perimeter_policy:
    name: mlperimeter-network-perimeter
    control: M1
    state: absent
"""

RETURN = r"""
policy:
  description: The policy after the task; empty after O(state=absent).
  returned: always
  type: dict
  contains:
    arn:
      description: ARN of the policy.
      type: str
      sample: arn:aws:iam::123456789012:policy/mlperimeter/mlperimeter-network-perimeter
    policy_name:
      description: Name of the policy.
      type: str
    path:
      description: Path of the policy.
      type: str
    description:
      description: Description of the policy, when it has one.
      type: str
    default_version_id:
      description: The default version. Absent in check mode when the policy would be created.
      type: str
      sample: v3
    document:
      description: The default version's document.
      type: dict
    tags:
      description: Tags of the policy.
      type: dict
      sample: {"mlperimeter:managed": "true", "mlperimeter:control": "M1"}
    versions:
      description: Versions IAM keeps, newest first.
      returned: when the task created or changed the policy, outside check mode
      type: list
      elements: dict
      contains:
        version_id:
          description: Version id.
          type: str
        is_default_version:
          description: Whether this version is the default.
          type: bool
        create_date:
          description: When the version was created.
          type: str
    previous_version_id:
      description: The version that was the default before this task created a new one; roll back to it.
      type: str
      returned: when this task created a new version
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.iam import AnsibleIAMError
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict, compare_aws_tags
from ansible_collections.mlperimeter.aws.plugins.module_utils import iam
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule
from ansible_collections.mlperimeter.aws.plugins.module_utils.retries import jittered_backoff


def validate(params):
    name, path = params["name"], params["path"]
    if not iam.POLICY_NAME.fullmatch(name):
        raise AnsibleIAMError(message=f"name: {name!r} is not a valid IAM policy name")
    if not iam.IAM_PATH.fullmatch(path):
        raise AnsibleIAMError(message=f"path: {path!r} is not an IAM path (it must begin and end with /)")
    if params["state"] == "absent":
        return None
    if params["policy"] is None:
        raise AnsibleIAMError(message="policy: required when state is present")
    try:
        document = iam.policy_document(params["policy"])
    except ValueError as e:
        raise AnsibleIAMError(message=f"policy: not a JSON policy document ({e})") from e
    if not isinstance(document, dict) or "Statement" not in document:
        raise AnsibleIAMError(message="policy: a policy document needs a Statement")
    size = iam.iam_policy_size(iam.minify(document))
    if size > iam.MANAGED_POLICY_MAX_SIZE:
        raise AnsibleIAMError(
            message=f"policy: {size} characters, over IAM's limit of {iam.MANAGED_POLICY_MAX_SIZE} for a managed policy"
        )
    for key, value in (params["tags"] or {}).items():
        if key in (iam.TAG_MANAGED, iam.TAG_CONTROL) and value != iam.project_tags(params["control"], {})[key]:
            raise AnsibleIAMError(message=f"tags: {key}={value!r} conflicts with the tag the module sets")
    return document


def read_policy(client, arn, *, versions=False):
    """The policy with its tags and default document, or None; its versions too when asked.

    GetPolicy returns the tags, and the versions are needed only to make room for a new one or to delete
    them all, so a converged run reads a policy twice.
    """
    policy = iam.get_policy(client, arn)
    if policy is None:
        return None
    current = {
        "arn": arn,
        "policy_name": policy["PolicyName"],
        "path": policy["Path"],
        "description": policy.get("Description"),
        "default_version_id": policy["DefaultVersionId"],
        "document": iam.get_policy_version_document(client, arn, policy["DefaultVersionId"]),
        "tags": boto3_tag_list_to_ansible_dict(policy.get("Tags", [])),
    }
    return with_versions(client, current) if versions else current


def with_versions(client, current):
    versions = sorted(iam.list_policy_versions(client, current["arn"]), key=lambda v: v["CreateDate"], reverse=True)
    return dict(current, _versions=versions, versions=[
        {"version_id": v["VersionId"], "is_default_version": v["IsDefaultVersion"],
         "create_date": v["CreateDate"].isoformat()}
        for v in versions
    ])


def ensure_created(client, *, check_mode, arn, name, path, description, document, tags):
    if not check_mode:
        iam.create_policy(client, name, path, description, document, tags)
        return read_policy(client, arn, versions=True)
    return {"arn": arn, "policy_name": name, "path": path, "description": description, "document": document,
            "tags": tags, "versions": []}


def ensure_document(client, *, check_mode, current, document):
    """A new default version when the document differs, making room by deleting the oldest non-default."""
    if not compare_policies(current["document"], document):
        return False, None
    previous = current["default_version_id"]
    if not check_mode:
        versions = with_versions(client, current)["_versions"]
        if len(versions) >= iam.MAX_POLICY_VERSIONS:
            oldest = iam.oldest_removable_version(versions)
            iam.delete_policy_version(client, current["arn"], oldest["VersionId"])
        iam.create_default_policy_version(client, current["arn"], document)
    return True, previous


def ensure_tags(client, *, check_mode, current, tags, purge_tags):
    to_set, to_unset = compare_aws_tags(current["tags"], tags, purge_tags)
    if not to_set and not to_unset:
        return False
    if not check_mode:
        if to_unset:
            iam.untag_policy(client, current["arn"], to_unset)
        if to_set:
            iam.tag_policy(client, current["arn"], to_set)
    return True


def ensure_absent(client, *, check_mode, current):
    if current is None:
        return False
    if not check_mode:
        iam.detach_policy_everywhere(client, current["arn"])
        for version in with_versions(client, current)["_versions"]:
            if not version["IsDefaultVersion"]:
                iam.delete_policy_version(client, current["arn"], version["VersionId"])
        iam.delete_policy(client, current["arn"])
    return True


def refuse_unmanaged(current):
    if current is not None and current["tags"].get(iam.TAG_MANAGED) != "true":
        raise AnsibleIAMError(
            message=f"name: policy {current['arn']} exists but is not tagged {iam.TAG_MANAGED}=true; "
            "it is not mlperimeter's and is left alone"
        )


def public(policy):
    return {k: v for k, v in (policy or {}).items() if not k.startswith("_") and v is not None}


def diff_view(policy):
    if policy is None:
        return {}
    return {k: policy.get(k) for k in ("arn", "default_version_id", "document", "tags") if k in policy}


def do(module):
    params = module.params
    document = validate(params)
    client = module.client("iam", retry_decorator=jittered_backoff())
    identity = iam.get_caller_identity(module.client("sts", retry_decorator=jittered_backoff()))
    partition = identity["Arn"].split(":")[1]
    arn = iam.policy_arn(partition, identity["Account"], params["path"], params["name"])

    before = read_policy(client, arn)
    refuse_unmanaged(before)

    if params["state"] == "absent":
        changed = ensure_absent(client, check_mode=module.check_mode, current=before)
        module.exit_json(changed=changed, policy={}, diff={"before": diff_view(before), "after": {}})

    tags = iam.project_tags(params["control"], params["tags"])
    result = {}
    if before is None:
        after = ensure_created(client, check_mode=module.check_mode, arn=arn, name=params["name"],
                               path=params["path"], description=params["description"], document=document, tags=tags)
        changed = True
    else:
        if params["description"] is not None and params["description"] != (before["description"] or ""):
            module.warn(f"description: IAM cannot change a policy's description; {arn} keeps "
                        f"{before['description']!r}")
        changed_document, previous = ensure_document(
            client, check_mode=module.check_mode, current=before, document=document)
        changed_tags = ensure_tags(client, check_mode=module.check_mode, current=before, tags=tags,
                                   purge_tags=params["purge_tags"])
        changed = changed_document or changed_tags
        if previous:
            result["previous_version_id"] = previous
        if not changed:
            after = before
        elif module.check_mode:
            after = dict(before, document=document if changed_document else before["document"],
                         tags=dict(before["tags"], **tags) if not params["purge_tags"] else tags)
            if changed_document:
                after.pop("default_version_id")
        else:
            after = read_policy(client, arn, versions=True)
    module.exit_json(changed=changed, policy=dict(public(after), **result),
                     diff={"before": diff_view(before), "after": diff_view(after)})


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        path=dict(type="str", default="/mlperimeter/"),
        description=dict(type="str"),
        policy=dict(type="json"),
        control=dict(type="str", required=True, choices=iam.CONTROLS),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = MLPerimeterAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
