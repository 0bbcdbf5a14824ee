"""mlperimeter.aws.iam_perimeter_policy_default_version against the emulator: the previous document put in
force four ways, a rollout's repeated document skipped, a named version, and refusals before any write."""

import json
import time

import pytest

from support.modules import four_ways, run_module

NAME = "mlperimeter-network-perimeter"


def document(cidr):
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"NotIpAddressIfExists": {"aws:SourceIp": [cidr]}},
    }]}


def arn_of(account_id):
    return f"arn:aws:iam::{account_id}:policy/mlperimeter/{NAME}"


def roll_out(emulator, account_id, *cidrs):
    """The policy as successive rollouts leave it: one default version per document given."""
    for cidr in cidrs:
        result = run_module("iam_perimeter_policy", {"name": NAME, "control": "M1",
                                                     "policy": json.dumps(document(cidr))},
                            emulator=emulator, account_id=account_id)
        assert not result.get("failed"), result


def in_force(aws, account_id):
    return aws("iam").get_policy(PolicyArn=arn_of(account_id))["Policy"]["DefaultVersionId"]


def iam_writes(emulator, account_id, start):
    return [c for c in emulator.calls() if c["account"] == account_id and c["time"] >= start
            and c["service"] == "iam" and not c["operation"].startswith(("Get", "List"))]


def test_puts_the_previous_document_in_force_once(emulator, account_id, aws):
    roll_out(emulator, account_id, "198.51.100.1/32", "198.51.100.2/32")
    results = four_ways("iam_perimeter_policy_default_version", {"name": NAME, "version": "previous"},
                        emulator=emulator, account_id=account_id)
    assert [r.get("failed", False) for r in results] == [False] * 4, results
    assert [r["changed"] for r in results] == [True, True, False, False]
    assert results[1]["policy"] == {"arn": arn_of(account_id), "default_version_id": "v1",
                                    "previous_default_version_id": "v2", "newest_version_id": "v2"}
    assert results[1]["diff"]["before"]["default_version_id"] == "v2"
    assert results[1]["diff"]["after"]["document"] == document("198.51.100.1/32")
    assert in_force(aws, account_id) == "v1"


def test_skips_versions_repeating_the_newest_document(emulator, account_id, aws):
    roll_out(emulator, account_id, "198.51.100.1/32", "198.51.100.2/32")
    run_module("iam_perimeter_policy_default_version", {"name": NAME, "version": "previous"},
               emulator=emulator, account_id=account_id)
    # The next rollout writes the newest document again, as v3.
    roll_out(emulator, account_id, "198.51.100.2/32")
    assert in_force(aws, account_id) == "v3"
    result = run_module("iam_perimeter_policy_default_version", {"name": NAME, "version": "previous"},
                        emulator=emulator, account_id=account_id)
    assert result["changed"] and result["policy"]["default_version_id"] == "v1"


def test_puts_a_named_version_in_force(emulator, account_id, aws):
    roll_out(emulator, account_id, "198.51.100.1/32", "198.51.100.2/32", "198.51.100.3/32")
    result = run_module("iam_perimeter_policy_default_version", {"name": NAME, "version": "v2"},
                        emulator=emulator, account_id=account_id)
    assert result["changed"] and in_force(aws, account_id) == "v2"


def test_a_missing_policy_is_left_alone(emulator, account_id):
    result = run_module("iam_perimeter_policy_default_version", {"name": NAME, "version": "previous"},
                        emulator=emulator, account_id=account_id)
    assert not result.get("failed") and not result["changed"] and result["policy"] == {}


@pytest.mark.parametrize(("cidrs", "version", "message"), [
    (["198.51.100.1/32"], "previous", "keeps no version older than its newest (v1) with another document"),
    (["198.51.100.1/32", "198.51.100.2/32"], "v7", "keeps no version v7 (it keeps v2, v1)"),
])
def test_refuses_what_it_cannot_find_without_writing(emulator, account_id, aws, cidrs, version, message):
    roll_out(emulator, account_id, *cidrs)
    start = time.time()
    result = run_module("iam_perimeter_policy_default_version", {"name": NAME, "version": version},
                        emulator=emulator, account_id=account_id)
    assert result["failed"] and message in result["msg"], result
    assert iam_writes(emulator, account_id, start) == []


@pytest.mark.parametrize(("args", "message"), [
    ({"name": "not a name!", "version": "previous"}, "name: 'not a name!' is not a valid IAM policy name"),
    ({"name": NAME, "path": "mlperimeter", "version": "previous"}, "path: 'mlperimeter' is not an IAM path"),
    ({"name": NAME, "version": "latest"}, "version: 'latest' is neither 'previous' nor a version id like v2"),
])
def test_refuses_bad_input_before_any_call(emulator, account_id, args, message):
    start = time.time()
    result = run_module("iam_perimeter_policy_default_version", args, emulator=emulator, account_id=account_id)
    assert result["failed"] and message in result["msg"], result
    assert [c for c in emulator.calls() if c["account"] == account_id and c["time"] >= start] == []
