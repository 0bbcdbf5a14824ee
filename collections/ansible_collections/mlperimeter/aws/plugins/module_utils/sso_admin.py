"""IAM Identity Center administration (``sso-admin``): instances, permission sets by name, their
customer-managed policy references, and provisioning account by account.

Calls are retried by the client's ``AWSRetry.jittered_backoff()`` decorator (``aws_retry=True``);
provisioning also retries ``ConflictException``, which Identity Center answers while another
operation on the same permission set is running.
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

NOT_PROVISIONED = "LATEST_PERMISSION_SET_NOT_PROVISIONED"
PROVISIONED = "LATEST_PERMISSION_SET_PROVISIONED"
RESERVED_ROLE_PREFIX = "AWSReservedSSO_"


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
@AWSRetry.jittered_backoff()
def list_instances(client):
    return client.get_paginator("list_instances").paginate().build_full_result()["Instances"]


@SSOAdminErrorHandler.common_error_handler("list permission sets")
@AWSRetry.jittered_backoff()
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


@SSOAdminErrorHandler.common_error_handler("list customer managed policy references")
@AWSRetry.jittered_backoff()
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
@AWSRetry.jittered_backoff()
def list_provisioned_accounts(client, instance_arn, permission_set_arn, status=None):
    args = {"InstanceArn": instance_arn, "PermissionSetArn": permission_set_arn}
    if status:
        args["ProvisioningStatus"] = status
    paginator = client.get_paginator("list_accounts_for_provisioned_permission_set")
    return sorted(paginator.paginate(**args).build_full_result()["AccountIds"])


@SSOAdminErrorHandler.common_error_handler("list permission set provisioning status")
@AWSRetry.jittered_backoff()
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
@AWSRetry.jittered_backoff(catch_extra_error_codes=["ConflictException"])
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
