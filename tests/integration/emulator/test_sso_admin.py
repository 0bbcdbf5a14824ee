"""Contract tests of the emulator's IAM Identity Center administration: permission sets provisioned
account by account, their provisioning status, and the accounts whose copy is out of date."""

import random

import pytest
from botocore.exceptions import ClientError

from support.contract import call

POLICY = "mlperimeter-network-perimeter"
PATH = "/mlperimeter/"
REFERENCE = {"Name": POLICY, "Path": PATH}
DOCUMENT = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}'




def error(client, method, **kwargs):
    with pytest.raises(ClientError) as raised:
        getattr(client, method)(**kwargs)
    return raised.value.response["Error"]


def new_account():
    return "".join(random.choice("0123456789") for _ in range(11)) + "3"


@pytest.fixture
def sso(aws):
    return aws("sso-admin")


@pytest.fixture
def instance_arn(sso):
    (instance,) = call(sso, "list_instances")["Instances"]
    return instance["InstanceArn"]


@pytest.fixture
def permission_set(sso, instance_arn):
    created = call(sso, "create_permission_set", InstanceArn=instance_arn, Name="DataScientist")
    return created["PermissionSet"]["PermissionSetArn"]


@pytest.fixture
def ml_accounts(aws):
    """Two member accounts that hold the referenced policy, as the M1 rollout leaves them."""
    accounts = [new_account(), new_account()]
    for account in accounts:
        aws("iam", account=account).create_policy(PolicyName=POLICY, Path=PATH, PolicyDocument=DOCUMENT)
    return accounts


def provision(sso, instance_arn, permission_set, account):
    status = call(sso, "provision_permission_set", InstanceArn=instance_arn, PermissionSetArn=permission_set,
                  TargetType="AWS_ACCOUNT", TargetId=account)["PermissionSetProvisioningStatus"]
    return status


def accounts(sso, instance_arn, permission_set, status=None):
    args = {"InstanceArn": instance_arn, "PermissionSetArn": permission_set}
    if status:
        args["ProvisioningStatus"] = status
    return call(sso, "list_accounts_for_provisioned_permission_set", **args)["AccountIds"]


def test_provisioning_reaches_only_the_target_account(sso, instance_arn, permission_set, ml_accounts, account_id):
    call(sso, "attach_customer_managed_policy_reference_to_permission_set", InstanceArn=instance_arn,
         PermissionSetArn=permission_set, CustomerManagedPolicyReference=REFERENCE)

    status = provision(sso, instance_arn, permission_set, ml_accounts[0])

    assert status["Status"] == "IN_PROGRESS"
    assert status["AccountId"] == ml_accounts[0]
    assert status["PermissionSetArn"] == permission_set
    assert accounts(sso, instance_arn, permission_set) == [ml_accounts[0]]
    assert account_id not in accounts(sso, instance_arn, permission_set)
    provisioned = call(sso, "list_permission_sets_provisioned_to_account", InstanceArn=instance_arn,
                       AccountId=ml_accounts[0])["PermissionSets"]
    assert provisioned == [permission_set]
    assert call(sso, "list_permission_sets_provisioned_to_account", InstanceArn=instance_arn,
                AccountId=ml_accounts[1])["PermissionSets"] == []


def test_describe_reports_the_finished_request(sso, instance_arn, permission_set, ml_accounts):
    request_id = provision(sso, instance_arn, permission_set, ml_accounts[0])["RequestId"]

    status = call(sso, "describe_permission_set_provisioning_status", InstanceArn=instance_arn,
                  ProvisionPermissionSetRequestId=request_id)["PermissionSetProvisioningStatus"]

    assert (status["Status"], status["AccountId"], status["RequestId"]) == ("SUCCEEDED", ml_accounts[0], request_id)
    assert "FailureReason" not in status


def test_provisioning_fails_where_the_referenced_policy_is_missing(sso, instance_arn, permission_set):
    call(sso, "attach_customer_managed_policy_reference_to_permission_set", InstanceArn=instance_arn,
         PermissionSetArn=permission_set, CustomerManagedPolicyReference=REFERENCE)
    bare_account = new_account()

    request_id = provision(sso, instance_arn, permission_set, bare_account)["RequestId"]

    status = call(sso, "describe_permission_set_provisioning_status", InstanceArn=instance_arn,
                  ProvisionPermissionSetRequestId=request_id)["PermissionSetProvisioningStatus"]
    assert status["Status"] == "FAILED"
    assert f"{PATH}{POLICY}" in status["FailureReason"] and bare_account in status["FailureReason"]
    assert accounts(sso, instance_arn, permission_set) == []


def test_a_change_leaves_provisioned_copies_out_of_date_until_reprovisioned(
        sso, instance_arn, permission_set, ml_accounts):
    for account in ml_accounts:
        provision(sso, instance_arn, permission_set, account)
    assert accounts(sso, instance_arn, permission_set, "LATEST_PERMISSION_SET_PROVISIONED") == sorted(ml_accounts)

    call(sso, "attach_customer_managed_policy_reference_to_permission_set", InstanceArn=instance_arn,
         PermissionSetArn=permission_set, CustomerManagedPolicyReference=REFERENCE)

    assert accounts(sso, instance_arn, permission_set, "LATEST_PERMISSION_SET_PROVISIONED") == []
    assert accounts(sso, instance_arn, permission_set, "LATEST_PERMISSION_SET_NOT_PROVISIONED") == sorted(ml_accounts)
    provision(sso, instance_arn, permission_set, ml_accounts[0])
    assert accounts(sso, instance_arn, permission_set, "LATEST_PERMISSION_SET_PROVISIONED") == [ml_accounts[0]]
    assert accounts(sso, instance_arn, permission_set, "LATEST_PERMISSION_SET_NOT_PROVISIONED") == [ml_accounts[1]]
    outdated = call(sso, "list_permission_sets_provisioned_to_account", InstanceArn=instance_arn,
                    AccountId=ml_accounts[1], ProvisioningStatus="LATEST_PERMISSION_SET_NOT_PROVISIONED")
    assert outdated["PermissionSets"] == [permission_set]


def test_detaching_and_inline_policy_changes_also_leave_copies_behind(sso, instance_arn, permission_set, ml_accounts):
    call(sso, "attach_customer_managed_policy_reference_to_permission_set", InstanceArn=instance_arn,
         PermissionSetArn=permission_set, CustomerManagedPolicyReference=REFERENCE)
    provision(sso, instance_arn, permission_set, ml_accounts[0])

    call(sso, "detach_customer_managed_policy_reference_from_permission_set", InstanceArn=instance_arn,
         PermissionSetArn=permission_set, CustomerManagedPolicyReference=REFERENCE)
    assert accounts(sso, instance_arn, permission_set, "LATEST_PERMISSION_SET_NOT_PROVISIONED") == [ml_accounts[0]]
    provision(sso, instance_arn, permission_set, ml_accounts[0])
    call(sso, "put_inline_policy_to_permission_set", InstanceArn=instance_arn, PermissionSetArn=permission_set,
         InlinePolicy=DOCUMENT)
    assert accounts(sso, instance_arn, permission_set, "LATEST_PERMISSION_SET_NOT_PROVISIONED") == [ml_accounts[0]]


def test_all_provisioned_accounts_reprovisions_every_copy(sso, instance_arn, permission_set, ml_accounts):
    for account in ml_accounts:
        provision(sso, instance_arn, permission_set, account)
    call(sso, "attach_customer_managed_policy_reference_to_permission_set", InstanceArn=instance_arn,
         PermissionSetArn=permission_set, CustomerManagedPolicyReference=REFERENCE)

    status = call(sso, "provision_permission_set", InstanceArn=instance_arn, PermissionSetArn=permission_set,
                  TargetType="ALL_PROVISIONED_ACCOUNTS")["PermissionSetProvisioningStatus"]

    assert "AccountId" not in status
    assert accounts(sso, instance_arn, permission_set, "LATEST_PERMISSION_SET_PROVISIONED") == sorted(ml_accounts)


def test_provisioning_status_lists_and_filters_requests(sso, instance_arn, permission_set, ml_accounts):
    ok = provision(sso, instance_arn, permission_set, ml_accounts[0])["RequestId"]
    call(sso, "attach_customer_managed_policy_reference_to_permission_set", InstanceArn=instance_arn,
         PermissionSetArn=permission_set, CustomerManagedPolicyReference=REFERENCE)
    failed = provision(sso, instance_arn, permission_set, new_account())["RequestId"]

    listed = call(sso, "list_permission_set_provisioning_status", InstanceArn=instance_arn)
    assert {(s["RequestId"], s["Status"]) for s in listed["PermissionSetsProvisioningStatus"]} == {
        (ok, "SUCCEEDED"), (failed, "FAILED")}
    only_failed = call(sso, "list_permission_set_provisioning_status", InstanceArn=instance_arn,
                       Filter={"Status": "FAILED"})["PermissionSetsProvisioningStatus"]
    assert [s["RequestId"] for s in only_failed] == [failed]
    assert call(sso, "list_permission_set_provisioning_status", InstanceArn=instance_arn,
                Filter={"Status": "IN_PROGRESS"})["PermissionSetsProvisioningStatus"] == []


def test_accounts_are_paged(sso, aws, instance_arn, permission_set):
    targets = sorted(new_account() for _ in range(5))
    for account in targets:
        provision(sso, instance_arn, permission_set, account)

    first = call(sso, "list_accounts_for_provisioned_permission_set", InstanceArn=instance_arn,
                 PermissionSetArn=permission_set, MaxResults=2)
    seen = list(first["AccountIds"])
    token = first["NextToken"]
    while token:
        answer = call(sso, "list_accounts_for_provisioned_permission_set", InstanceArn=instance_arn,
                      PermissionSetArn=permission_set, MaxResults=2, NextToken=token)
        seen += answer["AccountIds"]
        token = answer.get("NextToken")
    assert len(first["AccountIds"]) == 2
    assert seen == targets
    paginator = sso.get_paginator("list_accounts_for_provisioned_permission_set")
    assert paginator.paginate(InstanceArn=instance_arn, PermissionSetArn=permission_set,
                              PaginationConfig={"PageSize": 2}).build_full_result()["AccountIds"] == targets


def test_deleting_a_permission_set_removes_its_copies(sso, instance_arn, permission_set, ml_accounts):
    provision(sso, instance_arn, permission_set, ml_accounts[0])

    call(sso, "delete_permission_set", InstanceArn=instance_arn, PermissionSetArn=permission_set)

    assert call(sso, "list_permission_sets_provisioned_to_account", InstanceArn=instance_arn,
                AccountId=ml_accounts[0])["PermissionSets"] == []


@pytest.mark.parametrize("overrides, code, fragment", [
    ({"TargetType": "ORGANIZATIONAL_UNIT"}, "ValidationException", "enum value set"),
    ({"TargetId": None}, "ValidationException", "TargetId is required"),
    ({"TargetId": "12345678901a"}, "ValidationException", "\\d{12}"),
    ({"TargetType": "ALL_PROVISIONED_ACCOUNTS"}, "ValidationException", "TargetId must not be given"),
])
def test_provisioning_input_is_validated(sso, instance_arn, permission_set, overrides, code, fragment):
    args = {"InstanceArn": instance_arn, "PermissionSetArn": permission_set, "TargetType": "AWS_ACCOUNT",
            "TargetId": "111122223333", **overrides}
    args = {k: v for k, v in args.items() if v is not None}

    answer = error(sso, "provision_permission_set", **args)

    assert answer["Code"] == code
    assert fragment in answer["Message"]


def test_unknown_request_and_permission_set_are_not_found(sso, instance_arn, permission_set):
    assert error(sso, "describe_permission_set_provisioning_status", InstanceArn=instance_arn,
                 ProvisionPermissionSetRequestId="4f9a1c52-0000-4000-8000-000000000000")["Code"] == \
        "ResourceNotFoundException"
    assert error(sso, "list_accounts_for_provisioned_permission_set", InstanceArn=instance_arn,
                 PermissionSetArn=f"{instance_arn}/ps-0000000000000000")["Code"] == "ResourceNotFoundException"
    assert error(sso, "list_accounts_for_provisioned_permission_set", InstanceArn=instance_arn,
                 PermissionSetArn=permission_set, ProvisioningStatus="OUTDATED")["Code"] == "ValidationException"


def test_permission_set_tags_are_set_listed_and_removed_without_leaving_copies_behind(
        sso, instance_arn, ml_accounts):
    created = call(sso, "create_permission_set", InstanceArn=instance_arn, Name="Tagged",
                   Tags=[{"Key": "mlperimeter:managed", "Value": "true"}])["PermissionSet"]["PermissionSetArn"]
    provision(sso, instance_arn, created, ml_accounts[0])

    call(sso, "tag_resource", InstanceArn=instance_arn, ResourceArn=created,
         Tags=[{"Key": "team", "Value": "ml"}, {"Key": "mlperimeter:managed", "Value": "yes"}])
    call(sso, "untag_resource", InstanceArn=instance_arn, ResourceArn=created, TagKeys=["team"])

    tags = call(sso, "list_tags_for_resource", InstanceArn=instance_arn, ResourceArn=created)["Tags"]
    assert tags == [{"Key": "mlperimeter:managed", "Value": "yes"}]
    assert accounts(sso, instance_arn, created, "LATEST_PERMISSION_SET_PROVISIONED") == [ml_accounts[0]]
    missing = error(sso, "list_tags_for_resource", InstanceArn=instance_arn,
                    ResourceArn=f"{instance_arn}/ps-0000000000000000")
    assert missing["Code"] == "ResourceNotFoundException"
