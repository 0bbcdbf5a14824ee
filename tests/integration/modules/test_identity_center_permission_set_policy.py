"""mlperimeter.aws.identity_center_permission_set_policy against the emulator: each change four ways, read back
with boto3, provisioning wave by wave, failures named by account, and the refusal to change the permission set the
task runs as."""

import random

import boto3
import pytest

from support.emulator import BOOTSTRAP_KEY
from support.modules import four_ways, run_module

POLICY = "mlperimeter-network-perimeter"
PATH = "/mlperimeter/"
DOCUMENT = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}'
PERMISSION_SET = "DataScientist"


def new_account():
    return "".join(random.choice("0123456789") for _ in range(11)) + "5"


@pytest.fixture
def sso(aws):
    return aws("sso-admin")


@pytest.fixture
def instance_arn(sso):
    return sso.list_instances()["Instances"][0]["InstanceArn"]


@pytest.fixture
def permission_set(sso, instance_arn):
    sso.create_permission_set(InstanceArn=instance_arn, Name="Auditor")
    return sso.create_permission_set(InstanceArn=instance_arn, Name=PERMISSION_SET)["PermissionSet"]["PermissionSetArn"]


@pytest.fixture
def ml_accounts(aws):
    """Accounts of two waves, each already holding the network perimeter policy."""
    accounts = [new_account(), new_account()]
    for account in accounts:
        aws("iam", account=account).create_policy(PolicyName=POLICY, Path=PATH, PolicyDocument=DOCUMENT)
    return accounts


def args(accounts, **extra):
    return {"permission_set_name": PERMISSION_SET, "policy_names": [POLICY], "policy_path": PATH,
            "accounts": accounts, **extra}


def references(sso, instance_arn, permission_set):
    return sso.list_customer_managed_policy_references_in_permission_set(
        InstanceArn=instance_arn, PermissionSetArn=permission_set)["CustomerManagedPolicyReferences"]


def accounts_with(sso, instance_arn, permission_set, status):
    return sorted(sso.list_accounts_for_provisioned_permission_set(
        InstanceArn=instance_arn, PermissionSetArn=permission_set, ProvisioningStatus=status)["AccountIds"])


def provision(sso, instance_arn, permission_set, account):
    sso.provision_permission_set(InstanceArn=instance_arn, PermissionSetArn=permission_set,
                                 TargetType="AWS_ACCOUNT", TargetId=account)


def assert_four_ways(results, changed):
    assert [r.get("failed", False) for r in results] == [False] * 4, results
    assert [r["changed"] for r in results] == [changed, changed, False, False], results


def sso_writes(emulator, account_id):
    return [c for c in emulator.calls()
            if c["account"] == account_id and c["service"] in ("sso-admin", "sso")
            and not c["operation"].startswith(("Describe", "List"))]


def test_references_the_policy_and_provisions_the_listed_accounts(emulator, account_id, sso, instance_arn,
                                                                  permission_set, ml_accounts):
    results = four_ways("identity_center_permission_set_policy", args(ml_accounts),
                        emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    assert results[0]["provisioning"] == [{"account_id": a} for a in ml_accounts]
    assert [(p["account_id"], p["status"]) for p in results[1]["provisioning"]] == [
        (a, "SUCCEEDED") for a in ml_accounts]
    assert results[1]["diff"]["before"]["customer_managed_policy_references"] == []
    assert results[1]["diff"]["after"]["customer_managed_policy_references"] == [{"name": POLICY, "path": PATH}]
    assert references(sso, instance_arn, permission_set) == [{"Name": POLICY, "Path": PATH}]
    assert accounts_with(sso, instance_arn, permission_set, "LATEST_PERMISSION_SET_PROVISIONED") == sorted(
        ml_accounts)
    final = results[3]["permission_set"]
    assert (final["permission_set_arn"], final["instance_arn"]) == (permission_set, instance_arn)
    assert final["provisioned_accounts"] == sorted(ml_accounts) and final["outdated_accounts"] == []
    assert results[3]["provisioning"] == []


def test_a_converged_run_reads_the_references_and_each_provisioning_status_once(emulator, account_id, sso,
                                                                                instance_arn, permission_set,
                                                                                ml_accounts):
    run_module("identity_center_permission_set_policy", args(ml_accounts), emulator=emulator, account_id=account_id)
    emulator.reset_calls()

    result = run_module("identity_center_permission_set_policy", args(ml_accounts), emulator=emulator,
                        account_id=account_id)

    assert result["changed"] is False
    assert result["permission_set"]["provisioned_accounts"] == sorted(ml_accounts)
    assert result["permission_set"]["customer_managed_policy_references"] == [{"name": POLICY, "path": PATH}]
    reads = [c["operation"] for c in emulator.calls() if c["account"] == account_id and c["service"] == "sso-admin"
             and c["operation"].startswith("List")]
    assert reads.count("ListAccountsForProvisionedPermissionSet") == 2
    assert reads.count("ListCustomerManagedPolicyReferencesInPermissionSet") == 1


def test_several_policies_are_referenced_and_provisioned_once(emulator, account_id, sso, instance_arn,
                                                             permission_set, ml_accounts):
    guardrails = "mlperimeter-sagemaker-guardrails"
    for account in ml_accounts:
        emulator.client("iam", account).create_policy(PolicyName=guardrails, Path=PATH, PolicyDocument=DOCUMENT)
    both = args(ml_accounts, policy_names=[POLICY, guardrails])

    results = four_ways("identity_center_permission_set_policy", both, emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    assert sorted(r["Name"] for r in references(sso, instance_arn, permission_set)) == sorted([POLICY, guardrails])
    assert [p["account_id"] for p in results[1]["provisioning"]] == ml_accounts
    assert results[0]["diff"]["after"]["customer_managed_policy_references"] == [
        {"name": POLICY, "path": PATH}, {"name": guardrails, "path": PATH}]
    emulator.reset_calls()

    converged = run_module("identity_center_permission_set_policy", both, emulator=emulator, account_id=account_id)

    assert converged["changed"] is False
    reads = [c["operation"] for c in emulator.calls() if c["account"] == account_id and c["service"] == "sso-admin"]
    assert reads.count("ListCustomerManagedPolicyReferencesInPermissionSet") == 1
    assert reads.count("ListAccountsForProvisionedPermissionSet") == 2
    # A run naming one of them leaves the other's reference alone.
    assert run_module("identity_center_permission_set_policy", args(ml_accounts, state="absent"),
                      emulator=emulator, account_id=account_id)["changed"] is True
    assert references(sso, instance_arn, permission_set) == [{"Name": guardrails, "Path": PATH}]


def test_the_change_moves_wave_by_wave(emulator, account_id, sso, instance_arn, permission_set, ml_accounts):
    wave1, wave2 = ml_accounts
    for account in ml_accounts:
        provision(sso, instance_arn, permission_set, account)

    first = four_ways("identity_center_permission_set_policy", args([wave1]), emulator=emulator,
                      account_id=account_id)

    assert_four_ways(first, changed=True)
    assert accounts_with(sso, instance_arn, permission_set, "LATEST_PERMISSION_SET_PROVISIONED") == [wave1]
    assert accounts_with(sso, instance_arn, permission_set, "LATEST_PERMISSION_SET_NOT_PROVISIONED") == [wave2]
    assert first[3]["permission_set"]["outdated_accounts"] == [wave2]

    second = four_ways("identity_center_permission_set_policy", args([wave2]), emulator=emulator,
                       account_id=account_id)

    assert_four_ways(second, changed=True)
    assert second[0]["provisioning"] == [{"account_id": wave2}]
    assert second[0]["diff"]["before"]["accounts_up_to_date"] == []
    assert second[0]["diff"]["after"]["accounts_up_to_date"] == [wave2]
    assert accounts_with(sso, instance_arn, permission_set, "LATEST_PERMISSION_SET_PROVISIONED") == sorted(
        ml_accounts)


def test_provisioning_fails_naming_an_account_without_the_policy(emulator, account_id, sso, instance_arn,
                                                                   permission_set, ml_accounts):
    bare = new_account()

    result = run_module("identity_center_permission_set_policy", args([ml_accounts[0], bare, ml_accounts[1]]),
                        emulator=emulator, account_id=account_id)

    assert result["failed"]
    assert f"to account {bare} failed" in result["msg"]
    assert f"{PATH}{POLICY}" in result["msg"]
    assert accounts_with(sso, instance_arn, permission_set, "LATEST_PERMISSION_SET_PROVISIONED") == [
        ml_accounts[0]]


def test_absent_removes_the_reference_from_the_listed_accounts(emulator, account_id, sso, instance_arn,
                                                               permission_set, ml_accounts):
    run_module("identity_center_permission_set_policy", args(ml_accounts), emulator=emulator, account_id=account_id)
    never_provisioned = new_account()

    results = four_ways("identity_center_permission_set_policy",
                        args([*ml_accounts, never_provisioned], state="absent"),
                        emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    assert [p["account_id"] for p in results[1]["provisioning"]] == ml_accounts
    assert references(sso, instance_arn, permission_set) == []
    assert accounts_with(sso, instance_arn, permission_set, "LATEST_PERMISSION_SET_PROVISIONED") == sorted(
        ml_accounts)


def test_instance_named_explicitly_and_other_references_kept(emulator, account_id, sso, instance_arn,
                                                             permission_set, ml_accounts):
    sso.attach_customer_managed_policy_reference_to_permission_set(
        InstanceArn=instance_arn, PermissionSetArn=permission_set,
        CustomerManagedPolicyReference={"Name": "team-read", "Path": "/"})

    results = four_ways("identity_center_permission_set_policy", args([], instance_arn=instance_arn),
                        emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    assert sorted(r["Name"] for r in references(sso, instance_arn, permission_set)) == [POLICY, "team-read"]
    assert results[0]["permission_set"]["customer_managed_policy_references"] == [
        {"name": POLICY, "path": PATH}, {"name": "team-read", "path": "/"}]


def test_refuses_the_permission_set_the_task_runs_as(emulator, account_id, sso, permission_set):
    sts = boto3.client("sts", endpoint_url=emulator.url, region_name="us-east-1",
                       aws_access_key_id=BOOTSTRAP_KEY, aws_secret_access_key=BOOTSTRAP_KEY)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
                            f"AWSReservedSSO_{PERMISSION_SET}_0123456789abcdef",
                            RoleSessionName="alice@example.com")["Credentials"]
    emulator.reset_calls()

    result = run_module("identity_center_permission_set_policy",
                        {**args([]), "access_key": creds["AccessKeyId"], "secret_key": creds["SecretAccessKey"],
                         "session_token": creds["SessionToken"]},
                        emulator=emulator, account_id=account_id)

    assert result["failed"]
    assert f"refusing to add the policies to {PERMISSION_SET}, the permission set this task runs as" in result["msg"]
    assert sso_writes(emulator, account_id) == []


def test_an_unknown_permission_set_is_named(emulator, account_id, permission_set):
    result = run_module("identity_center_permission_set_policy", {**args([]), "permission_set_name": "Nobody"},
                        emulator=emulator, account_id=account_id)

    assert result["failed"]
    assert "permission_set_name: no permission set named 'Nobody'" in result["msg"]


@pytest.mark.parametrize("bad, message", [
    ({"accounts": ["12345"]}, "accounts: '12345' is not a 12-digit account id"),
    ({"permission_set_name": "Data Scientist"}, "permission_set_name: 'Data Scientist' is not"),
    ({"policy_names": [POLICY, "network perimeter"]}, "policy_names: 'network perimeter' is not an IAM policy name"),
    ({"policy_names": []}, "policy_names: the list is empty"),
    ({"policy_path": "mlperimeter"}, "policy_path: 'mlperimeter' is not an IAM path"),
    ({"instance_arn": "ssoins-1234"}, "instance_arn: 'ssoins-1234' is not"),
    ({"wait_timeout": 0}, "wait_timeout: 0 must be at least 1"),
])
def test_bad_input_is_refused_before_any_call(emulator, account_id, bad, message):
    emulator.reset_calls()

    result = run_module("identity_center_permission_set_policy", {**args(["111122223333"]), **bad},
                        emulator=emulator, account_id=account_id)

    assert result["failed"]
    assert message in result["msg"]
    assert [c for c in emulator.calls() if c["account"] == account_id] == []
