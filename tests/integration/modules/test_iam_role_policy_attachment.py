"""mlperimeter.aws.iam_role_policy_attachment against the emulator: each change four ways, read back with
boto3, other policies of the roles untouched, and the refusals to put the perimeter on the deploy role or on
the role the task runs as."""

import json

import pytest

from support.emulator import DEPLOY_ROLE
from support.modules import four_ways, run_module

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
DOCUMENT = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "*", "Resource": "*",
     "Condition": {"NotIpAddressIfExists": {"aws:SourceIp": ["203.0.113.10/32"]}}}]})
ALLOW_READ = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
ROLES = ["data-scientist", "data-scientist-lead"]


@pytest.fixture
def iam(aws):
    return aws("iam")


@pytest.fixture
def perimeter_arn(iam):
    return iam.create_policy(PolicyName="mlperimeter-network-perimeter", Path="/mlperimeter/",
                             PolicyDocument=DOCUMENT)["Policy"]["Arn"]


@pytest.fixture
def other_arn(iam):
    return iam.create_policy(PolicyName="team-read", PolicyDocument=ALLOW_READ)["Policy"]["Arn"]


@pytest.fixture
def roles(iam, other_arn):
    """Data-scientist roles with policies of their own: one managed, one inline."""
    for name in [*ROLES, DEPLOY_ROLE, "mlperimeter-ci"]:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    for name in ROLES:
        iam.attach_role_policy(RoleName=name, PolicyArn=other_arn)
        iam.put_role_policy(RoleName=name, PolicyName="inline-read", PolicyDocument=ALLOW_READ)
    return ROLES


def attached(iam, role):
    return sorted(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"])


def assert_four_ways(results, changed):
    assert [r.get("failed", False) for r in results] == [False] * 4, results
    assert [r["changed"] for r in results] == [changed, changed, False, False], results


def iam_writes(emulator, account_id):
    return [c for c in emulator.calls()
            if c["account"] == account_id and c["service"] == "iam"
            and not c["operation"].startswith(("Get", "List"))]


def test_attaches_to_every_named_role_and_keeps_their_other_policies(emulator, account_id, iam, roles,
                                                                      perimeter_arn, other_arn):
    module_args = {"policy_arn": perimeter_arn, "role_names": roles, "deploy_role_name": "mlperimeter-ci"}

    results = four_ways("iam_role_policy_attachment", module_args, emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    assert results[0]["diff"] == {"before": {"attached": {r: False for r in roles}},
                                  "after": {"attached": {r: True for r in roles}}}
    for role in roles:
        assert attached(iam, role) == sorted([perimeter_arn, other_arn])
        assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["inline-read"]
    assert [a["role_name"] for a in results[3]["attachments"]] == roles
    assert all(a["attached"] and not a["changed"] for a in results[3]["attachments"])


def test_attaches_only_where_missing(emulator, account_id, iam, roles, perimeter_arn):
    iam.attach_role_policy(RoleName=roles[0], PolicyArn=perimeter_arn)
    module_args = {"policy_arn": perimeter_arn, "role_names": roles, "deploy_role_name": "mlperimeter-ci"}

    results = four_ways("iam_role_policy_attachment", module_args, emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    assert [a["changed"] for a in results[1]["attachments"]] == [False, True]
    assert perimeter_arn in attached(iam, roles[1])


def test_a_converged_run_reads_each_role_once(emulator, account_id, iam, roles, perimeter_arn):
    module_args = {"policy_arn": perimeter_arn, "role_names": roles, "deploy_role_name": "mlperimeter-ci"}
    run_module("iam_role_policy_attachment", module_args, emulator=emulator, account_id=account_id)
    emulator.reset_calls()

    result = run_module("iam_role_policy_attachment", module_args, emulator=emulator, account_id=account_id)

    assert result["changed"] is False
    assert [c["operation"] for c in emulator.calls() if c["account"] == account_id and c["service"] == "iam"] == [
        "ListAttachedRolePolicies"] * len(roles)


def test_absent_detaches_only_this_policy(emulator, account_id, iam, roles, perimeter_arn, other_arn):
    for role in roles:
        iam.attach_role_policy(RoleName=role, PolicyArn=perimeter_arn)

    results = four_ways("iam_role_policy_attachment",
                        {"policy_arn": perimeter_arn, "role_names": roles, "state": "absent"},
                        emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    for role in roles:
        assert attached(iam, role) == [other_arn]


def test_refuses_the_deploy_role(emulator, account_id, iam, roles, perimeter_arn):
    emulator.reset_calls()

    result = run_module("iam_role_policy_attachment",
                        {"policy_arn": perimeter_arn, "role_names": [*roles, "MLPerimeter-CI"],
                         "deploy_role_name": "mlperimeter-ci"},
                        emulator=emulator, account_id=account_id)

    assert result["failed"]
    assert "refusing to attach" in result["msg"] and "mlperimeter-ci, the deploy role" in result["msg"]
    assert [c for c in emulator.calls() if c["account"] == account_id] == []
    assert perimeter_arn not in attached(iam, roles[0])


def test_refuses_the_role_the_task_runs_as(emulator, account_id, iam, roles, perimeter_arn):
    # The tests run as an assumed-role session of the deploy role; here the inventory names another
    # deploy role, so only the caller check stands between the perimeter and the running automation.
    emulator.reset_calls()

    result = run_module("iam_role_policy_attachment",
                        {"policy_arn": perimeter_arn, "role_names": [*roles, DEPLOY_ROLE],
                         "deploy_role_name": "mlperimeter-ci"},
                        emulator=emulator, account_id=account_id)

    assert result["failed"]
    assert f"{DEPLOY_ROLE}, the role this task runs as" in result["msg"]
    assert f":assumed-role/{DEPLOY_ROLE}/" in result["msg"]
    assert iam_writes(emulator, account_id) == []
    assert perimeter_arn not in attached(iam, DEPLOY_ROLE)


def test_a_missing_role_is_refused_before_any_write(emulator, account_id, iam, roles, perimeter_arn):
    emulator.reset_calls()

    result = run_module("iam_role_policy_attachment",
                        {"policy_arn": perimeter_arn, "role_names": [*roles, "data-scientist-typo"],
                         "deploy_role_name": "mlperimeter-ci"},
                        emulator=emulator, account_id=account_id)

    assert result["failed"]
    assert "role_names: role 'data-scientist-typo' does not exist" in result["msg"]
    assert iam_writes(emulator, account_id) == []


def test_a_missing_policy_is_refused(emulator, account_id, roles):
    result = run_module("iam_role_policy_attachment",
                        {"policy_arn": f"arn:aws:iam::{account_id}:policy/mlperimeter/absent",
                         "role_names": roles, "deploy_role_name": "mlperimeter-ci"},
                        emulator=emulator, account_id=account_id)

    assert result["failed"]
    assert "does not exist" in result["msg"]


@pytest.mark.parametrize("bad, message", [
    ({"policy_arn": "mlperimeter-network-perimeter"}, "policy_arn: 'mlperimeter-network-perimeter' is not"),
    ({"role_names": []}, "role_names: the list is empty"),
    ({"role_names": ["arn:aws:iam::123456789012:role/data-scientist"]}, "give names, not ARNs"),
    ({"deploy_role_name": "bad name"}, "deploy_role_name: 'bad name' is not an IAM role name"),
    ({"deploy_role_name": None}, "deploy_role_name: required when state is present"),
])
def test_bad_input_is_refused_before_any_call(emulator, account_id, bad, message):
    emulator.reset_calls()
    module_args = {"policy_arn": f"arn:aws:iam::{account_id}:policy/mlperimeter/p", "role_names": ROLES,
                   "deploy_role_name": "mlperimeter-ci", **bad}

    result = run_module("iam_role_policy_attachment", module_args, emulator=emulator, account_id=account_id)

    assert result["failed"]
    assert message in result["msg"]
    assert [c for c in emulator.calls() if c["account"] == account_id] == []
