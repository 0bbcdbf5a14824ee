"""mlperimeter.aws.iam_perimeter_policy against the emulator: each change four ways, read back with boto3,
versions kept for rollback, IAM's five-version limit, refusals before any write."""

import json

import pytest

from support.modules import four_ways, run_module

NAME = "mlperimeter-network-perimeter"
PATH = "/mlperimeter/"
PROJECT_TAGS = {"mlperimeter:managed": "true", "mlperimeter:control": "M1"}


def document(*cidrs):
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyOutsideExpectedNetworks", "Effect": "Deny", "NotAction": ["sts:GetCallerIdentity"],
        "Resource": "*", "Condition": {"NotIpAddressIfExists": {"aws:SourceIp": list(cidrs)}},
    }]}


def args(policy, **extra):
    return {"name": NAME, "control": "M1", "policy": json.dumps(policy), **extra}


def arn_of(account_id):
    return f"arn:aws:iam::{account_id}:policy{PATH}{NAME}"


def versions(aws, account_id):
    listed = aws("iam").list_policy_versions(PolicyArn=arn_of(account_id))["Versions"]
    return sorted(listed, key=lambda v: int(v["VersionId"][1:]))


def default_document(aws, account_id):
    iam = aws("iam")
    version = iam.get_policy(PolicyArn=arn_of(account_id))["Policy"]["DefaultVersionId"]
    return iam.get_policy_version(PolicyArn=arn_of(account_id), VersionId=version)["PolicyVersion"]["Document"]


def tags(aws, account_id):
    listed = aws("iam").list_policy_tags(PolicyArn=arn_of(account_id))["Tags"]
    return {t["Key"]: t["Value"] for t in listed}


def assert_four_ways(results, changed):
    assert [r.get("failed", False) for r in results] == [False] * 4, results
    assert [r["changed"] for r in results] == [changed, changed, False, False], results


def writes(emulator, account_id):
    return [c for c in emulator.calls()
            if c["account"] == account_id and c["service"] == "iam"
            and not c["operation"].startswith(("Get", "List"))]


def test_creates_the_policy_tagged_at_its_path(emulator, account_id, aws):
    results = four_ways("iam_perimeter_policy", args(document("203.0.113.10/32"), description="M1 perimeter"),
                        emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    assert results[0]["diff"]["before"] == {}
    assert results[0]["policy"]["arn"] == arn_of(account_id)
    assert results[0]["policy"]["document"] == document("203.0.113.10/32")
    policy = aws("iam").get_policy(PolicyArn=arn_of(account_id))["Policy"]
    assert (policy["Path"], policy["Description"], policy["DefaultVersionId"]) == (PATH, "M1 perimeter", "v1")
    assert default_document(aws, account_id) == document("203.0.113.10/32")
    assert tags(aws, account_id) == PROJECT_TAGS
    assert results[3]["policy"]["default_version_id"] == "v1"
    assert results[3]["policy"]["tags"] == PROJECT_TAGS


def test_a_change_makes_a_new_default_and_keeps_the_previous_for_rollback(emulator, account_id, aws):
    run_module("iam_perimeter_policy", args(document("203.0.113.10/32")), emulator=emulator, account_id=account_id)

    results = four_ways("iam_perimeter_policy", args(document("203.0.113.10/32", "203.0.113.11/32")),
                        emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    assert results[0]["policy"]["previous_version_id"] == "v1"
    assert results[1]["policy"]["previous_version_id"] == "v1"
    assert results[1]["diff"]["before"]["document"] == document("203.0.113.10/32")
    assert results[1]["diff"]["after"]["document"] == document("203.0.113.10/32", "203.0.113.11/32")
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions(aws, account_id)] == [
        ("v1", False), ("v2", True)]
    assert default_document(aws, account_id) == document("203.0.113.10/32", "203.0.113.11/32")
    assert [v["version_id"] for v in results[1]["policy"]["versions"]] == ["v2", "v1"]

    # Rolling back is one call, to the version the module kept.
    aws("iam").set_default_policy_version(PolicyArn=arn_of(account_id), VersionId="v1")
    assert default_document(aws, account_id) == document("203.0.113.10/32")


def test_the_same_document_written_differently_changes_nothing(emulator, account_id, aws):
    run_module("iam_perimeter_policy", args(document("203.0.113.10/32", "203.0.113.11/32")),
               emulator=emulator, account_id=account_id)
    reordered = document("203.0.113.11/32", "203.0.113.10/32")
    reordered["Statement"][0]["NotAction"] = "sts:GetCallerIdentity"
    text = json.dumps(reordered, indent=4)

    results = four_ways("iam_perimeter_policy", {"name": NAME, "control": "M1", "policy": text},
                        emulator=emulator, account_id=account_id)

    assert [r["changed"] for r in results] == [False] * 4
    assert [v["VersionId"] for v in versions(aws, account_id)] == ["v1"]


def test_a_converged_run_reads_the_policy_and_its_default_version_only(emulator, account_id, aws):
    run_module("iam_perimeter_policy", args(document("203.0.113.10/32"), tags={"owner": "platform"}),
               emulator=emulator, account_id=account_id)
    emulator.reset_calls()

    result = run_module("iam_perimeter_policy", args(document("203.0.113.10/32"), tags={"owner": "platform"}),
                        emulator=emulator, account_id=account_id)

    assert result["changed"] is False
    assert result["policy"]["tags"] == {**PROJECT_TAGS, "owner": "platform"}
    assert [c["operation"] for c in emulator.calls() if c["account"] == account_id and c["service"] == "iam"] == [
        "GetPolicy", "GetPolicyVersion"]


def test_at_five_versions_the_oldest_non_default_goes(emulator, account_id, aws):
    for n in range(1, 6):
        run_module("iam_perimeter_policy", args(document(f"203.0.113.{n}/32")),
                   emulator=emulator, account_id=account_id)
    assert [v["VersionId"] for v in versions(aws, account_id)] == ["v1", "v2", "v3", "v4", "v5"]
    # An operator rolled back to v2: the default is not the newest, and must survive.
    aws("iam").set_default_policy_version(PolicyArn=arn_of(account_id), VersionId="v2")

    results = four_ways("iam_perimeter_policy", args(document("203.0.113.6/32")),
                        emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    assert results[1]["policy"]["previous_version_id"] == "v2"
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions(aws, account_id)] == [
        ("v2", False), ("v3", False), ("v4", False), ("v5", False), ("v6", True)]
    assert default_document(aws, account_id) == document("203.0.113.6/32")


def test_tags_are_updated_and_the_project_tags_kept(emulator, account_id, aws):
    run_module("iam_perimeter_policy", args(document("203.0.113.10/32"), tags={"owner": "platform"}),
               emulator=emulator, account_id=account_id)

    results = four_ways("iam_perimeter_policy", args(document("203.0.113.10/32"), tags={"owner": "security"}),
                        emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    assert tags(aws, account_id) == {**PROJECT_TAGS, "owner": "security"}
    assert results[0]["diff"]["after"]["tags"] == {**PROJECT_TAGS, "owner": "security"}
    assert [v["VersionId"] for v in versions(aws, account_id)] == ["v1"]


def test_absent_detaches_and_deletes_every_version(emulator, account_id, aws):
    iam = aws("iam")
    iam.create_role(RoleName="data-scientist", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    for n in (1, 2):
        run_module("iam_perimeter_policy", args(document(f"203.0.113.{n}/32")),
                   emulator=emulator, account_id=account_id)
    iam.attach_role_policy(RoleName="data-scientist", PolicyArn=arn_of(account_id))

    results = four_ways("iam_perimeter_policy", {"name": NAME, "control": "M1", "state": "absent"},
                        emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    assert results[0]["diff"]["after"] == {}
    assert iam.list_attached_role_policies(RoleName="data-scientist")["AttachedPolicies"] == []
    assert not [p for p in iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"] == NAME]


def test_a_policy_that_is_not_the_projects_is_left_alone(emulator, account_id, aws):
    aws("iam").create_policy(PolicyName=NAME, Path=PATH, PolicyDocument=json.dumps(document("192.0.2.1/32")))
    emulator.reset_calls()

    result = run_module("iam_perimeter_policy", args(document("203.0.113.10/32")),
                        emulator=emulator, account_id=account_id)

    assert result["failed"]
    assert "is not tagged mlperimeter:managed=true" in result["msg"]
    assert writes(emulator, account_id) == []
    assert default_document(aws, account_id) == document("192.0.2.1/32")


@pytest.mark.parametrize("bad, message", [
    ({"name": "network perimeter"}, "name: 'network perimeter' is not a valid IAM policy name"),
    ({"path": "mlperimeter"}, "path: 'mlperimeter' is not an IAM path"),
    ({"policy": None}, "policy: required when state is present"),
    ({"policy": "{not json"}, "policy: not a JSON policy document"),
    ({"policy": json.dumps({"Version": "2012-10-17"})}, "policy: a policy document needs a Statement"),
    ({"policy": json.dumps(document(*[f"10.0.{n // 256}.{n % 256}/32" for n in range(400)]))},
     "over IAM's limit of 6144"),
    ({"tags": {"mlperimeter:control": "M2"}}, "tags: mlperimeter:control='M2' conflicts"),
])
def test_bad_input_is_refused_before_any_call(emulator, account_id, bad, message):
    emulator.reset_calls()

    result = run_module("iam_perimeter_policy", {**args(document("203.0.113.10/32")), **bad},
                        emulator=emulator, account_id=account_id)

    assert result["failed"]
    assert message in result["msg"]
    assert [c for c in emulator.calls() if c["account"] == account_id] == []
