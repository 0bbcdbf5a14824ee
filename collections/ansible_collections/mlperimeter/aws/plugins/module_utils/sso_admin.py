"""IAM Identity Center administration (``sso-admin``): instances, permission sets by name (their
settings and tags), their customer-managed policy references, and provisioning account by account.

Calls are retried by the client's ``retries.jittered_backoff()`` decorator (``aws_retry=True``);
provisioning also retries ``ConflictException``, which Identity Center answers while another
operation on the same permission set is running.
"""

import re
import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)
from ansible_collections.mlperimeter.aws.plugins.module_utils.retries import jittered_backoff

NOT_PROVISIONED = "LATEST_PERMISSION_SET_NOT_PROVISIONED"
PROVISIONED = "LATEST_PERMISSION_SET_PROVISIONED"
RESERVED_ROLE_PREFIX = "AWSReservedSSO_"

INSTANCE_ARN = re.compile(r"arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9.-]{16}")
PERMISSION_SET_NAME = re.compile(r"[\w+=,.@-]{1,32}")
DESCRIPTION = re.compile(r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]{1,700}")
RELAY_STATE = re.compile(r"[a-zA-Z0-9&$@#\\/%?=~\-_'\"|!:,.;*+\[\]\ (){}]{1,240}")
# The ISO 8601 durations Identity Center accepts for a session: hours, minutes and seconds.
SESSION_DURATION = re.compile(r"PT(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?")
MIN_SESSION_SECONDS = 3600
MAX_SESSION_SECONDS = 12 * 3600
MAX_TAGS = 50


class AnsibleSSOAdminError(AnsibleAWSError):
    pass


class SSOAdminErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleSSOAdminError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


def reference_key(reference):
    return (reference["Name"], reference.get("Path", "/"))


def permission_set_of_reserved_role(role_name):
    """The permission set behind an ``AWSReservedSSO_<name>_<suffix>`` role, else None."""
    if not role_name or not role_name.startswith(RESERVED_ROLE_PREFIX):
        return None
    return role_name[len(RESERVED_ROLE_PREFIX):].rsplit("_", 1)[0]


@SSOAdminErrorHandler.common_error_handler("list Identity Center instances")
@jittered_backoff()
def list_instances(client):
    return client.get_paginator("list_instances").paginate().build_full_result()["Instances"]


@SSOAdminErrorHandler.common_error_handler("list permission sets")
@jittered_backoff()
def _list_permission_set_arns(client, instance_arn):
    paginator = client.get_paginator("list_permission_sets")
    return paginator.paginate(InstanceArn=instance_arn).build_full_result()["PermissionSets"]


@SSOAdminErrorHandler.common_error_handler("describe permission set")
def _describe_permission_set(client, instance_arn, arn):
    return client.describe_permission_set(aws_retry=True, InstanceArn=instance_arn, PermissionSetArn=arn)[
        "PermissionSet"]


def find_permission_set(client, instance_arn, name):
    for arn in _list_permission_set_arns(client, instance_arn):
        permission_set = _describe_permission_set(client, instance_arn, arn)
        if permission_set["Name"] == name:
            return permission_set
    return None


def describe_permission_set(client, instance_arn, permission_set_arn):
    """The permission set's name, settings and creation date as they are now."""
    return _describe_permission_set(client, instance_arn, permission_set_arn)


def session_seconds(duration):
    """Seconds of an ISO 8601 session duration such as ``PT8H`` or ``PT90M``; None when it is not one."""
    match = SESSION_DURATION.fullmatch(duration or "")
    if not match:
        return None
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def only_instance_arn(client):
    """The ARN of the account's Identity Center instance; raises unless there is exactly one."""
    instances = list_instances(client)
    if len(instances) != 1:
        raise AnsibleSSOAdminError(
            message=f"instance_arn: the account has {len(instances)} Identity Center instances; name one"
        )
    return instances[0]["InstanceArn"]


@SSOAdminErrorHandler.common_error_handler("create permission set")
def create_permission_set(client, instance_arn, name, settings, tags):
    """``settings``: the API's ``Description``, ``SessionDuration`` and ``RelayState``, those given."""
    return client.create_permission_set(
        aws_retry=True, InstanceArn=instance_arn, Name=name, Tags=ansible_dict_to_boto3_tag_list(tags or {}),
        **settings,
    )["PermissionSet"]


@SSOAdminErrorHandler.common_error_handler("update permission set")
def update_permission_set(client, instance_arn, permission_set_arn, settings):
    client.update_permission_set(aws_retry=True, InstanceArn=instance_arn, PermissionSetArn=permission_set_arn,
                                 **settings)


@SSOAdminErrorHandler.deletion_error_handler("delete permission set")
def delete_permission_set(client, instance_arn, permission_set_arn):
    client.delete_permission_set(aws_retry=True, InstanceArn=instance_arn, PermissionSetArn=permission_set_arn)
    return True


@SSOAdminErrorHandler.common_error_handler("list tags of permission set")
@jittered_backoff()
def list_tags(client, instance_arn, permission_set_arn):
    paginator = client.get_paginator("list_tags_for_resource")
    result = paginator.paginate(InstanceArn=instance_arn, ResourceArn=permission_set_arn).build_full_result()
    return boto3_tag_list_to_ansible_dict(result["Tags"])


@SSOAdminErrorHandler.common_error_handler("tag permission set")
def tag_permission_set(client, instance_arn, permission_set_arn, tags):
    client.tag_resource(aws_retry=True, InstanceArn=instance_arn, ResourceArn=permission_set_arn,
                        Tags=ansible_dict_to_boto3_tag_list(tags))


@SSOAdminErrorHandler.common_error_handler("untag permission set")
def untag_permission_set(client, instance_arn, permission_set_arn, keys):
    client.untag_resource(aws_retry=True, InstanceArn=instance_arn, ResourceArn=permission_set_arn, TagKeys=keys)


@SSOAdminErrorHandler.common_error_handler("list customer managed policy references")
@jittered_backoff()
def list_policy_references(client, instance_arn, permission_set_arn):
    paginator = client.get_paginator("list_customer_managed_policy_references_in_permission_set")
    result = paginator.paginate(InstanceArn=instance_arn, PermissionSetArn=permission_set_arn).build_full_result()
    return sorted(result["CustomerManagedPolicyReferences"], key=reference_key)


@SSOAdminErrorHandler.common_error_handler("attach customer managed policy reference")
def attach_policy_reference(client, instance_arn, permission_set_arn, reference):
    client.attach_customer_managed_policy_reference_to_permission_set(
        aws_retry=True, InstanceArn=instance_arn, PermissionSetArn=permission_set_arn,
        CustomerManagedPolicyReference=reference)


@SSOAdminErrorHandler.deletion_error_handler("detach customer managed policy reference")
def detach_policy_reference(client, instance_arn, permission_set_arn, reference):
    client.detach_customer_managed_policy_reference_from_permission_set(
        aws_retry=True, InstanceArn=instance_arn, PermissionSetArn=permission_set_arn,
        CustomerManagedPolicyReference=reference)


@SSOAdminErrorHandler.common_error_handler("list accounts for provisioned permission set")
@jittered_backoff()
def list_provisioned_accounts(client, instance_arn, permission_set_arn, status=None):
    args = {"InstanceArn": instance_arn, "PermissionSetArn": permission_set_arn}
    if status:
        args["ProvisioningStatus"] = status
    paginator = client.get_paginator("list_accounts_for_provisioned_permission_set")
    return sorted(paginator.paginate(**args).build_full_result()["AccountIds"])


@SSOAdminErrorHandler.common_error_handler("list permission set provisioning status")
@jittered_backoff()
def list_provisioning_requests(client, instance_arn, status):
    paginator = client.get_paginator("list_permission_set_provisioning_status")
    result = paginator.paginate(InstanceArn=instance_arn, Filter={"Status": status}).build_full_result()
    return result["PermissionSetsProvisioningStatus"]


@SSOAdminErrorHandler.common_error_handler("describe permission set provisioning status")
def describe_provisioning(client, instance_arn, request_id):
    return client.describe_permission_set_provisioning_status(
        aws_retry=True, InstanceArn=instance_arn, ProvisionPermissionSetRequestId=request_id,
    )["PermissionSetProvisioningStatus"]


@SSOAdminErrorHandler.common_error_handler("provision permission set")
@jittered_backoff(["ConflictException"])
def provision_to_account(client, instance_arn, permission_set_arn, account_id):
    return client.provision_permission_set(
        InstanceArn=instance_arn, PermissionSetArn=permission_set_arn, TargetType="AWS_ACCOUNT", TargetId=account_id,
    )["PermissionSetProvisioningStatus"]


def wait_for_provisioning(client, instance_arn, request_id, timeout, delay=2):
    """The request's final status; raises when it does not finish within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        status = describe_provisioning(client, instance_arn, request_id)
        if status["Status"] != "IN_PROGRESS":
            return status
        if time.monotonic() >= deadline:
            raise AnsibleSSOAdminError(
                message=f"provisioning request {request_id} to account {status.get('AccountId')} was still "
                f"IN_PROGRESS after {timeout} seconds"
            )
        time.sleep(delay)


def pending_requests_of(client, instance_arn, permission_set_arn):
    """Provisioning requests of this permission set still running, from an earlier run or another operator."""
    pending = []
    for request in list_provisioning_requests(client, instance_arn, "IN_PROGRESS"):
        status = describe_provisioning(client, instance_arn, request["RequestId"])
        if status.get("PermissionSetArn") == permission_set_arn and status["Status"] == "IN_PROGRESS":
            pending.append(status)
    return pending
