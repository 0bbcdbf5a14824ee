"""IAM for the perimeter: customer-managed policies kept with their versions, role attachments,
and who the caller is.

Errors are amazon.aws's ``AnsibleIAMError`` through its ``IAMErrorHandler``. Calls are retried by
the client's ``retries.jittered_backoff()`` decorator (``aws_retry=True``), paginated listings by
the same decorator around them.
"""

import json
import re
from urllib.parse import unquote

from ansible_collections.amazon.aws.plugins.module_utils.iam import IAMErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)
from ansible_collections.mlperimeter.aws.plugins.module_utils.retries import jittered_backoff

TAG_MANAGED = "mlperimeter:managed"
TAG_CONTROL = "mlperimeter:control"
CONTROLS = ["A1", "A2", "M1", "M2", "M3"]

# IAM's limits for a customer-managed policy: its size without white space, and its versions.
MANAGED_POLICY_MAX_SIZE = 6144
MAX_POLICY_VERSIONS = 5

POLICY_NAME = re.compile(r"[\w+=,.@-]{1,128}")
ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")
IAM_PATH = re.compile(r"/(?:[\x21-\x7e]{0,510}/)?")
POLICY_ARN = re.compile(r"arn:aws[a-z-]*:iam::(?:\d{12}|aws):policy/(?:[\x21-\x7e]*/)?[\w+=,.@-]{1,128}")
ASSUMED_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:sts::\d{12}:assumed-role/([\w+=,.@-]+)/.+")
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/(?:.*/)?([\w+=,.@-]+)")


def iam_policy_size(policy):
    """The size IAM counts for a policy document: its JSON without white space."""
    text = policy if isinstance(policy, str) else json.dumps(policy, separators=(",", ":"))
    return len(re.sub(r"\s", "", text))


def policy_document(value):
    """A policy document as a dict, from a dict, JSON text, or IAM's URL-encoded JSON."""
    if isinstance(value, dict):
        return value
    text = value.strip()
    if not text.startswith("{"):
        text = unquote(text)
    return json.loads(text)


def minify(document):
    return json.dumps(document, separators=(",", ":"))


def policy_arn(partition, account_id, path, name):
    return f"arn:{partition}:iam::{account_id}:policy{path}{name}"


def caller_role_name(arn):
    """The IAM role behind a caller ARN (an assumed-role session maps to its role), else None."""
    for pattern in (ASSUMED_ROLE_ARN, ROLE_ARN):
        match = pattern.fullmatch(arn or "")
        if match:
            return match.group(1)
    return None


def project_tags(control, tags):
    """The tags a perimeter resource carries: the caller's, plus managed=true and its control id."""
    return {**(tags or {}), TAG_MANAGED: "true", TAG_CONTROL: control}


def oldest_removable_version(versions):
    """The version IAM should drop to make room: the oldest that is not the default."""
    candidates = [v for v in versions if not v["IsDefaultVersion"]]
    if not candidates:
        return None
    return min(candidates, key=lambda v: (v["CreateDate"], int(v["VersionId"].lstrip("v").split(".")[0])))


# STS -------------------------------------------------------------------------------------------------

@IAMErrorHandler.common_error_handler("get the caller's identity")
def get_caller_identity(sts):
    return sts.get_caller_identity(aws_retry=True)


# Managed policies ------------------------------------------------------------------------------------

@IAMErrorHandler.list_error_handler("get policy")
def get_policy(client, arn):
    return client.get_policy(aws_retry=True, PolicyArn=arn)["Policy"]


@IAMErrorHandler.common_error_handler("list policy tags")
@jittered_backoff()
def list_policy_tags(client, arn):
    paginator = client.get_paginator("list_policy_tags")
    tags = paginator.paginate(PolicyArn=arn).build_full_result()["Tags"]
    return boto3_tag_list_to_ansible_dict(tags)


@IAMErrorHandler.common_error_handler("list policy versions")
@jittered_backoff()
def list_policy_versions(client, arn):
    paginator = client.get_paginator("list_policy_versions")
    return paginator.paginate(PolicyArn=arn).build_full_result()["Versions"]


@IAMErrorHandler.common_error_handler("get policy version")
def get_policy_version_document(client, arn, version_id):
    version = client.get_policy_version(aws_retry=True, PolicyArn=arn, VersionId=version_id)["PolicyVersion"]
    return policy_document(version["Document"])


@IAMErrorHandler.common_error_handler("create policy")
def create_policy(client, name, path, description, document, tags):
    params = {"PolicyName": name, "Path": path, "PolicyDocument": minify(document),
              "Tags": ansible_dict_to_boto3_tag_list(tags)}
    if description:
        params["Description"] = description
    return client.create_policy(aws_retry=True, **params)["Policy"]


@IAMErrorHandler.common_error_handler("create policy version")
def create_default_policy_version(client, arn, document):
    return client.create_policy_version(
        aws_retry=True, PolicyArn=arn, PolicyDocument=minify(document), SetAsDefault=True,
    )["PolicyVersion"]


@IAMErrorHandler.deletion_error_handler("delete policy version")
def delete_policy_version(client, arn, version_id):
    client.delete_policy_version(aws_retry=True, PolicyArn=arn, VersionId=version_id)


@IAMErrorHandler.common_error_handler("set default policy version")
def set_default_policy_version(client, arn, version_id):
    client.set_default_policy_version(aws_retry=True, PolicyArn=arn, VersionId=version_id)


@IAMErrorHandler.common_error_handler("tag policy")
def tag_policy(client, arn, tags):
    client.tag_policy(aws_retry=True, PolicyArn=arn, Tags=ansible_dict_to_boto3_tag_list(tags))


@IAMErrorHandler.common_error_handler("untag policy")
def untag_policy(client, arn, keys):
    client.untag_policy(aws_retry=True, PolicyArn=arn, TagKeys=list(keys))


@IAMErrorHandler.common_error_handler("list entities for policy")
@jittered_backoff()
def list_entities_for_policy(client, arn):
    paginator = client.get_paginator("list_entities_for_policy")
    return paginator.paginate(PolicyArn=arn).build_full_result()


@IAMErrorHandler.deletion_error_handler("detach policy from group")
def detach_group_policy(client, arn, group_name):
    client.detach_group_policy(aws_retry=True, PolicyArn=arn, GroupName=group_name)


@IAMErrorHandler.deletion_error_handler("detach policy from user")
def detach_user_policy(client, arn, user_name):
    client.detach_user_policy(aws_retry=True, PolicyArn=arn, UserName=user_name)


@IAMErrorHandler.deletion_error_handler("delete policy")
def delete_policy(client, arn):
    client.delete_policy(aws_retry=True, PolicyArn=arn)


def detach_policy_everywhere(client, arn):
    entities = list_entities_for_policy(client, arn)
    for group in entities.get("PolicyGroups", []):
        detach_group_policy(client, arn, group["GroupName"])
    for user in entities.get("PolicyUsers", []):
        detach_user_policy(client, arn, user["UserName"])
    for role in entities.get("PolicyRoles", []):
        detach_role_policy(client, arn, role["RoleName"])


# Roles -----------------------------------------------------------------------------------------------

@IAMErrorHandler.list_error_handler("get role")
def get_role(client, name):
    return client.get_role(aws_retry=True, RoleName=name)["Role"]


@IAMErrorHandler.list_error_handler("list policies attached to role")
@jittered_backoff()
def list_attached_role_policy_arns(client, role_name):
    """The ARNs of the managed policies attached to the role, or None when the role does not exist."""
    paginator = client.get_paginator("list_attached_role_policies")
    attached = paginator.paginate(RoleName=role_name).build_full_result()["AttachedPolicies"]
    return sorted(p["PolicyArn"] for p in attached)


@IAMErrorHandler.common_error_handler("attach policy to role")
def attach_role_policy(client, arn, role_name):
    client.attach_role_policy(aws_retry=True, PolicyArn=arn, RoleName=role_name)


@IAMErrorHandler.deletion_error_handler("detach policy from role")
def detach_role_policy(client, arn, role_name):
    client.detach_role_policy(aws_retry=True, PolicyArn=arn, RoleName=role_name)

