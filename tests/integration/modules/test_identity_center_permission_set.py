"""mlperimeter.aws.identity_center_permission_set against the emulator: creation, an update of every setting and
of the tags, removal, each four ways and read back with boto3; copies already provisioned left behind by a settings
change but not by a tag change; bad input refused before any call."""

import random

import boto3
import pytest
from ansible_collections.mlperimeter.aws.plugins.module_utils.sso_admin import AnsibleSSOAdminError
from ansible_collections.mlperimeter.aws.plugins.modules import identity_center_permission_set

from support.calls import writes
from support.emulator import BOOTSTRAP_KEY
from support.modules import four_ways, run_module

NAME = "DataScientist"
MODULE = "identity_center_permission_set"
POLICY = "mlperimeter-network-perimeter"
DOCUMENT = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}'
MANAGED = {"mlperimeter:managed": "true"}


@pytest.fixture
def sso(aws):
    return aws("sso-admin")


@pytest.fixture
def instance_arn(sso):
    return sso.list_instances()["Instances"][0]["InstanceArn"]


def full_args(**extra):
    return {"name": NAME, "description": "Data scientists working in SageMaker AI", "session_duration": "PT8H",
            "relay_state": "https://console.aws.amazon.com/sagemaker/home", "tags": dict(MANAGED), **extra}


def permission_sets(sso, instance_arn):
    return [sso.describe_permission_set(InstanceArn=instance_arn, PermissionSetArn=arn)["PermissionSet"]
            for arn in sso.list_permission_sets(InstanceArn=instance_arn)["PermissionSets"]]


def names(sso, instance_arn):
    return [p["Name"] for p in permission_sets(sso, instance_arn)]


def find(sso, instance_arn, name=NAME):
    return next((p for p in permission_sets(sso, instance_arn) if p["Name"] == name), None)


def tags_of(sso, instance_arn, arn):
    return {t["Key"]: t["Value"] for t in sso.list_tags_for_resource(InstanceArn=instance_arn, ResourceArn=arn)["Tags"]}


def accounts_with(sso, instance_arn, arn, status):
    return sso.list_accounts_for_provisioned_permission_set(
        InstanceArn=instance_arn, PermissionSetArn=arn, ProvisioningStatus=status)["AccountIds"]


def assert_four_ways(results, changed):
    assert [r.get("failed", False) for r in results] == [False] * 4, results
    assert [r["changed"] for r in results] == [changed, changed, False, False], results


def my_writes(emulator, account_id):
    return [c for c in writes(emulator.calls()) if c["account"] == account_id]


def test_creates_the_permission_set_with_its_settings_and_tags(emulator, account_id, sso, instance_arn):
    results = four_ways(MODULE, full_args(), emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    assert results[0]["diff"]["before"] == {}
    assert results[0]["permission_set"]["permission_set_arn"] is None
    assert results[0]["permission_set"]["session_duration"] == "PT8H"
    live = find(sso, instance_arn)
    assert (live["Description"], live["SessionDuration"], live["RelayState"]) == (
        "Data scientists working in SageMaker AI", "PT8H", "https://console.aws.amazon.com/sagemaker/home")
    assert tags_of(sso, instance_arn, live["PermissionSetArn"]) == MANAGED
    assert results[1]["permission_set"] == results[3]["permission_set"] == {
        "name": NAME, "permission_set_arn": live["PermissionSetArn"], "instance_arn": instance_arn,
        "description": "Data scientists working in SageMaker AI", "session_duration": "PT8H",
        "relay_state": "https://console.aws.amazon.com/sagemaker/home", "tags": MANAGED,
    }
    assert names(sso, instance_arn) == [NAME]


def test_only_the_name_gives_aws_defaults(emulator, account_id, sso, instance_arn):
    results = four_ways(MODULE, {"name": NAME}, emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    live = find(sso, instance_arn)
    assert live["SessionDuration"] == "PT1H"
    assert "Description" not in live and "RelayState" not in live
    assert results[3]["permission_set"]["tags"] == {}


def test_an_update_of_every_setting_leaves_provisioned_copies_out_of_date(emulator, account_id, sso,
                                                                           instance_arn):
    run_module(MODULE, full_args(), emulator=emulator, account_id=account_id)
    arn = find(sso, instance_arn)["PermissionSetArn"]
    sso.provision_permission_set(InstanceArn=instance_arn, PermissionSetArn=arn, TargetType="AWS_ACCOUNT",
                                 TargetId=account_id)
    changed = full_args(description="Data scientists, wave 1", session_duration="PT4H",
                        relay_state="https://console.aws.amazon.com/s3/home", tags={**MANAGED, "team": "ml"})

    results = four_ways(MODULE, changed, emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    before, after = results[1]["diff"]["before"], results[1]["diff"]["after"]
    assert (before["description"], before["session_duration"], before["tags"]) == (
        "Data scientists working in SageMaker AI", "PT8H", MANAGED)
    assert (after["description"], after["session_duration"], after["relay_state"], after["tags"]) == (
        "Data scientists, wave 1", "PT4H", "https://console.aws.amazon.com/s3/home", {**MANAGED, "team": "ml"})
    assert results[0]["diff"]["after"] == after
    live = find(sso, instance_arn)
    assert (live["PermissionSetArn"], live["Description"], live["SessionDuration"], live["RelayState"]) == (
        arn, "Data scientists, wave 1", "PT4H", "https://console.aws.amazon.com/s3/home")
    assert tags_of(sso, instance_arn, arn) == {**MANAGED, "team": "ml"}
    assert accounts_with(sso, instance_arn, arn, "LATEST_PERMISSION_SET_NOT_PROVISIONED") == [account_id]


def test_tags_change_in_place_without_leaving_copies_behind(emulator, account_id, sso, instance_arn):
    run_module(MODULE, full_args(tags={**MANAGED, "team": "ml", "cost-centre": "42"}), emulator=emulator,
               account_id=account_id)
    arn = find(sso, instance_arn)["PermissionSetArn"]
    sso.provision_permission_set(InstanceArn=instance_arn, PermissionSetArn=arn, TargetType="AWS_ACCOUNT",
                                 TargetId=account_id)

    purged = four_ways(MODULE, full_args(tags={**MANAGED, "team": "data"}), emulator=emulator,
                       account_id=account_id)
    assert_four_ways(purged, changed=True)
    assert tags_of(sso, instance_arn, arn) == {**MANAGED, "team": "data"}

    kept = four_ways(MODULE, full_args(tags={"owner": "platform"}, purge_tags=False), emulator=emulator,
                     account_id=account_id)
    assert_four_ways(kept, changed=True)
    assert tags_of(sso, instance_arn, arn) == {**MANAGED, "team": "data", "owner": "platform"}

    untouched = run_module(MODULE, {"name": NAME}, emulator=emulator, account_id=account_id)
    assert untouched["changed"] is False
    assert untouched["permission_set"]["tags"] == {**MANAGED, "team": "data", "owner": "platform"}
    assert accounts_with(sso, instance_arn, arn, "LATEST_PERMISSION_SET_PROVISIONED") == [account_id]


def test_session_duration_is_compared_by_its_length(emulator, account_id, sso, instance_arn):
    run_module(MODULE, full_args(session_duration="PT2H"), emulator=emulator, account_id=account_id)
    calls_before = my_writes(emulator, account_id)

    same = run_module(MODULE, full_args(session_duration="PT120M"), emulator=emulator, account_id=account_id)

    assert same["changed"] is False, same
    assert same["permission_set"]["session_duration"] == "PT2H"
    assert my_writes(emulator, account_id) == calls_before


def test_instance_named_explicitly_and_other_permission_sets_left_alone(emulator, account_id, sso, instance_arn):
    other = sso.create_permission_set(InstanceArn=instance_arn, Name="Auditor", Description="Read-only")
    other_arn = other["PermissionSet"]["PermissionSetArn"]

    results = four_ways(MODULE, full_args(instance_arn=instance_arn), emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    assert results[3]["permission_set"]["instance_arn"] == instance_arn
    auditor = sso.describe_permission_set(InstanceArn=instance_arn, PermissionSetArn=other_arn)["PermissionSet"]
    assert (auditor["Name"], auditor["Description"]) == ("Auditor", "Read-only")


def test_absent_deletes_the_permission_set(emulator, account_id, sso, instance_arn):
    created = run_module(MODULE, full_args(), emulator=emulator, account_id=account_id)["permission_set"]

    results = four_ways(MODULE, {"name": NAME, "state": "absent"}, emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    assert results[0]["diff"] == {"before": created, "after": {}}
    assert results[3]["permission_set"] == {}
    assert find(sso, instance_arn) is None


def test_refuses_to_delete_the_permission_set_the_task_runs_as(emulator, account_id, sso, instance_arn):
    run_module(MODULE, full_args(), emulator=emulator, account_id=account_id)
    sts = boto3.client("sts", endpoint_url=emulator.url, region_name="us-east-1",
                       aws_access_key_id=BOOTSTRAP_KEY, aws_secret_access_key=BOOTSTRAP_KEY)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
                            f"AWSReservedSSO_{NAME}_0123456789abcdef",
                            RoleSessionName="alice@example.com")["Credentials"]
    calls_before = my_writes(emulator, account_id)

    result = run_module(MODULE, {"name": NAME, "state": "absent", "access_key": creds["AccessKeyId"],
                                 "secret_key": creds["SecretAccessKey"], "session_token": creds["SessionToken"]},
                        emulator=emulator, account_id=account_id)

    assert result["failed"]
    assert f"name: refusing to delete {NAME}, the permission set this task runs as" in result["msg"]
    assert my_writes(emulator, account_id) == calls_before
    assert find(sso, instance_arn) is not None


def test_provisioned_permission_set_keeps_its_copies_when_its_policies_are_managed_elsewhere(
        emulator, account_id, aws, sso, instance_arn):
    """The policy module's reference and provisioning survive this module's settings runs."""
    ml_account = "".join(random.choice("0123456789") for _ in range(11)) + "9"
    aws("iam", account=ml_account).create_policy(PolicyName=POLICY, Path="/mlperimeter/", PolicyDocument=DOCUMENT)
    run_module(MODULE, full_args(), emulator=emulator, account_id=account_id)
    run_module("identity_center_permission_set_policy",
               {"permission_set_name": NAME, "policy_names": [POLICY], "accounts": [ml_account]},
               emulator=emulator, account_id=account_id)

    again = run_module(MODULE, full_args(), emulator=emulator, account_id=account_id)

    arn = again["permission_set"]["permission_set_arn"]
    assert again["changed"] is False
    assert sso.list_customer_managed_policy_references_in_permission_set(
        InstanceArn=instance_arn, PermissionSetArn=arn)["CustomerManagedPolicyReferences"] == [
        {"Name": POLICY, "Path": "/mlperimeter/"}]
    assert accounts_with(sso, instance_arn, arn, "LATEST_PERMISSION_SET_PROVISIONED") == [ml_account]


BAD_INPUT = [
    ({"name": "Data Scientist"}, "name: 'Data Scientist' is not a permission set name"),
    ({"name": "x" * 33}, "is not a permission set name"),
    ({"instance_arn": "ssoins-1234"}, "instance_arn: 'ssoins-1234' is not an Identity Center instance ARN"),
    ({"description": ""}, "description: '' must be 1 to 700"),
    ({"description": "x" * 701}, "must be 1 to 700 printable Latin-1 characters"),
    ({"session_duration": "8 hours"}, "session_duration: '8 hours' is not an ISO 8601 duration"),
    ({"session_duration": "P1D"}, "session_duration: 'P1D' is not an ISO 8601 duration"),
    ({"session_duration": "PT30M"}, "session_duration: 'PT30M' must be between PT1H and PT12H"),
    ({"session_duration": "PT13H"}, "session_duration: 'PT13H' must be between PT1H and PT12H"),
    ({"relay_state": "https://console.aws.amazon.com/<script>"}, "relay_state: 'https://console.aws.amazon.com/"
                                                                  "<script>' is not a relay state"),
    ({"tags": {"aws:owner": "me"}}, "tags: key 'aws:owner' must be 1 to 128 characters and not begin with aws:"),
    ({"tags": {"team": "x" * 257}}, "tags: value"),
    ({"tags": {f"k{i}": "v" for i in range(51)}}, "tags: 51 tags, more than the 50"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_INPUT)
def test_validation_names_the_field_and_the_value(bad, message):
    params = {"instance_arn": None, "name": NAME, "description": None, "session_duration": None,
              "relay_state": None, "tags": None, **bad}

    with pytest.raises(AnsibleSSOAdminError) as raised:
        identity_center_permission_set.validate(params)

    assert message in raised.value.message


@pytest.mark.parametrize("duration", ["PT1H", "PT12H", "PT90M", "PT3600S", "PT1H30M"])
def test_validation_accepts_session_durations_identity_center_takes(duration):
    identity_center_permission_set.validate({"instance_arn": None, "name": NAME, "description": None,
                                             "session_duration": duration, "relay_state": None, "tags": None})


def test_bad_input_is_refused_before_any_call(emulator, account_id):
    calls_before = [c for c in emulator.calls() if c["account"] == account_id]

    result = run_module(MODULE, full_args(session_duration="PT24H"), emulator=emulator, account_id=account_id)

    assert result["failed"]
    assert result["msg"].startswith("session_duration: 'PT24H' must be between PT1H and PT12H"), result["msg"]
    assert [c for c in emulator.calls() if c["account"] == account_id] == calls_before
