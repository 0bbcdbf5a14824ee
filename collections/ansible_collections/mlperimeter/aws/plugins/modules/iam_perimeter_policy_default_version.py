#!/usr/bin/python
# Copyright: mlperimeter maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_perimeter_policy_default_version
short_description: Set which kept version of a perimeter policy is in force
version_added: 0.1.0
description:
  - Sets the default version of a customer-managed perimeter policy (one that carries C(mlperimeter:managed=true)),
    found by its name and path, to one of the versions IAM keeps. No version is created or deleted.
  - With O(version=previous), the version in force becomes the newest one older than the newest version whose document
    differs from the newest's. That is the document the rollout replaced last, even after a rollout created again a
    version with the same document, and asking again changes nothing.
  - Fails, before any write, when the policy keeps no such version or not the version named.
  - A policy that does not exist is left alone and reported unchanged with an empty RV(policy).
  - M(mlperimeter.aws.iam_perimeter_policy) creates a new default version when its document differs from the one in
    force, so the next rollout puts the newest document back.
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
      - IAM path of the policy.
    type: str
    default: /mlperimeter/
  version:
    description:
      - V(previous), or a version id such as V(v2).
    type: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports the version that would be put in force without writing anything.
  diff_mode:
    support: full
    description: Shows the default version id and its document before and after.
  idempotent:
    support: full
    description: A policy whose default version already is the one asked for is left alone.
"""

EXAMPLES = r"""
- name: Put the network perimeter the rollout replaced last back in force
  mlperimeter.aws.iam_perimeter_policy_default_version:
    name: mlperimeter-network-perimeter
    version: previous

- name: Put version 3 in force
  mlperimeter.aws.iam_perimeter_policy_default_version:
    name: mlperimeter-network-perimeter
    version: v3
"""

RETURN = r"""
policy:
  description: The policy after the task; empty when it does not exist.
  returned: always
  type: dict
  contains:
    arn:
      description: ARN of the policy.
      type: str
      sample: arn:aws:iam::123456789012:policy/mlperimeter/mlperimeter-network-perimeter
    default_version_id:
      description: The version in force after the task.
      type: str
      sample: v2
    previous_default_version_id:
      description: The version that was in force before the task.
      type: str
      sample: v3
    newest_version_id:
      description: The newest version IAM keeps.
      type: str
      sample: v3
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.iam import AnsibleIAMError
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.mlperimeter.aws.plugins.module_utils import iam
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule
from ansible_collections.mlperimeter.aws.plugins.module_utils.retries import jittered_backoff

VERSION_ID = re.compile(r"v[1-9][0-9]*")


def validate(params):
    if not iam.POLICY_NAME.fullmatch(params["name"]):
        raise AnsibleIAMError(message=f"name: {params['name']!r} is not a valid IAM policy name")
    if not iam.IAM_PATH.fullmatch(params["path"]):
        raise AnsibleIAMError(message=f"path: {params['path']!r} is not an IAM path (it must begin and end with /)")
    if params["version"] != "previous" and not VERSION_ID.fullmatch(params["version"]):
        raise AnsibleIAMError(message=f"version: {params['version']!r} is neither 'previous' nor a version id like v2")


def newest_first(versions):
    return sorted(versions, key=lambda v: (v["CreateDate"], int(v["VersionId"][1:])), reverse=True)


def choose_version(client, arn, versions, wanted):
    """The version id to put in force, from IAM's versions of the policy."""
    if wanted != "previous":
        if wanted not in {v["VersionId"] for v in versions}:
            kept = ", ".join(v["VersionId"] for v in newest_first(versions))
            raise AnsibleIAMError(message=f"version: {arn} keeps no version {wanted} (it keeps {kept})")
        return wanted
    newest, *older = newest_first(versions)
    newest_document = iam.get_policy_version_document(client, arn, newest["VersionId"])
    for version in older:
        if compare_policies(newest_document, iam.get_policy_version_document(client, arn, version["VersionId"])):
            return version["VersionId"]
    raise AnsibleIAMError(
        message=f"version: {arn} keeps no version older than its newest ({newest['VersionId']}) with another "
        "document; there is nothing to go back to"
    )


def diff_view(client, arn, version_id):
    return {"default_version_id": version_id, "document": iam.get_policy_version_document(client, arn, version_id)}


def do(module):
    params = module.params
    validate(params)
    client = module.client("iam", retry_decorator=jittered_backoff())
    identity = iam.get_caller_identity(module.client("sts", retry_decorator=jittered_backoff()))
    arn = iam.policy_arn(identity["Arn"].split(":")[1], identity["Account"], params["path"], params["name"])

    policy = iam.get_policy(client, arn)
    if policy is None:
        module.exit_json(changed=False, policy={}, diff={"before": {}, "after": {}})
    if iam.list_policy_tags(client, arn).get(iam.TAG_MANAGED) != "true":
        raise AnsibleIAMError(
            message=f"name: policy {arn} is not tagged {iam.TAG_MANAGED}=true; it is not mlperimeter's and is "
            "left alone"
        )
    versions = iam.list_policy_versions(client, arn)
    current = policy["DefaultVersionId"]
    target = choose_version(client, arn, versions, params["version"])
    changed = target != current
    if changed and not module.check_mode:
        iam.set_default_policy_version(client, arn, target)
    module.exit_json(
        changed=changed,
        policy={"arn": arn, "default_version_id": target, "previous_default_version_id": current,
                "newest_version_id": newest_first(versions)[0]["VersionId"]},
        diff={"before": diff_view(client, arn, current), "after": diff_view(client, arn, target)},
    )


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        path=dict(type="str", default="/mlperimeter/"),
        version=dict(type="str", required=True),
    )
    module = MLPerimeterAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
