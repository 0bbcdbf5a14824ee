"""mlperimeter.aws.iam_service_role against the emulator: each change four ways, read back with boto3, and the
calls a converged run makes counted in the emulator's call log."""

import json
import time

import pytest

from support.calls import writes
from support.modules import four_ways, run_module

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}}]}
DELIVER = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["logs:PutLogEvents",
                                                                                   "logs:CreateLogStream"],
                                                   "Resource": "arn:aws:logs:eu-west-1:111111111111:log-group:x"}]}
TAGS = {"mlperimeter:managed": "true"}


def args(**changes):
    return dict({"name": "mlperimeter-test-flow-logs", "description": "Delivers flow logs",
                 "assume_role_policy_document": TRUST, "policy_name": "deliver-flow-logs",
                 "policy_document": DELIVER, "tags": TAGS}, **changes)


def calls_since(emulator, start, account_id):
    return [c for c in emulator.calls() if c["time"] >= start and c["account"] == account_id]


def role(aws):
    return aws("iam").get_role(RoleName="mlperimeter-test-flow-logs")["Role"]


def inline(aws):
    return aws("iam").get_role_policy(RoleName="mlperimeter-test-flow-logs",
                                      PolicyName="deliver-flow-logs")["PolicyDocument"]


def test_creates_the_role_and_its_policy_and_a_converged_run_reads_twice(emulator, account_id, aws):
    results = four_ways("iam_service_role", args(), emulator=emulator, account_id=account_id)

    assert [r["changed"] for r in results] == [True, True, False, False], results
    assert "arn" not in results[0]["iam_role"]
    created = role(aws)
    assert created["Description"] == "Delivers flow logs"
    assert {t["Key"]: t["Value"] for t in created.get("Tags", [])} == TAGS
    assert inline(aws) == DELIVER
    assert results[1]["iam_role"]["arn"] == results[3]["iam_role"]["arn"] == created["Arn"]
    assert results[3]["iam_role"]["assume_role_policy_document"] == TRUST

    start = time.time()
    run_module("iam_service_role", args(), emulator=emulator, account_id=account_id)
    assert sorted(c["operation"] for c in calls_since(emulator, start, account_id)) == ["GetRole", "GetRolePolicy"]


def test_a_reordered_document_is_the_same_and_a_drifted_one_is_put_back(emulator, account_id, aws):
    run_module("iam_service_role", args(), emulator=emulator, account_id=account_id)
    reordered = json.loads(json.dumps(DELIVER))
    reordered["Statement"][0]["Action"].reverse()
    same = run_module("iam_service_role", args(policy_document=json.dumps(reordered, indent=4)),
                      emulator=emulator, account_id=account_id)
    assert same["changed"] is False, same

    iam = aws("iam")
    iam.put_role_policy(RoleName="mlperimeter-test-flow-logs", PolicyName="deliver-flow-logs",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    iam.update_role(RoleName="mlperimeter-test-flow-logs", Description="changed by hand")
    iam.tag_role(RoleName="mlperimeter-test-flow-logs", Tags=[{"Key": "Owner", "Value": "network-team"}])

    results = four_ways("iam_service_role", args(), emulator=emulator, account_id=account_id)

    assert [r["changed"] for r in results] == [True, True, False, False], results
    assert inline(aws) == DELIVER
    repaired = role(aws)
    assert repaired["Description"] == "Delivers flow logs"
    assert {t["Key"]: t["Value"] for t in repaired["Tags"]} == dict(TAGS, Owner="network-team")
    assert results[0]["diff"]["before"]["description"] == "changed by hand"


def test_check_mode_writes_nothing(emulator, account_id, aws):
    start = time.time()
    result = run_module("iam_service_role", args(), emulator=emulator, account_id=account_id, check=True)
    assert result["changed"] is True
    assert writes(calls_since(emulator, start, account_id)) == []


@pytest.mark.parametrize("changes, message", [
    ({"name": "has space"}, "name: 'has space' is not an IAM role name"),
    ({"path": "no-slashes"}, "path: 'no-slashes' is not an IAM path"),
    ({"policy_name": "a/b"}, "policy_name: 'a/b' is not an inline policy name"),
    ({"policy_document": "{not json"}, "policy_document: not a policy document"),
    ({"assume_role_policy_document": {"Version": "2012-10-17"}}, "assume_role_policy_document: not a policy document"),
])
def test_bad_input_is_refused_naming_the_field_before_any_call(emulator, account_id, changes, message):
    start = time.time()
    result = run_module("iam_service_role", args(**changes), emulator=emulator, account_id=account_id)
    assert result.get("failed") and message in result["msg"], result
    assert calls_since(emulator, start, account_id) == []
