"""mlperimeter.aws.ssm_parameter against the emulator: each change four ways, read back with boto3, and the calls
a converged run makes counted in the emulator's call log."""

import time

import pytest

from support.calls import writes
from support.modules import four_ways, run_module

NAME = "/mlperimeter/test/egress-ips"
TAGS = {"mlperimeter:managed": "true", "mlperimeter:control": "A1"}


def args(**extra):
    return {"name": NAME, "string_type": "StringList", "value": "203.0.113.10,203.0.113.11",
            "description": "The egress IPs", "tags": TAGS, **extra}


def read_back(aws):
    ssm = aws("ssm")
    parameter = ssm.get_parameter(Name=NAME)["Parameter"]
    (described,) = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [NAME]}])["Parameters"]
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=NAME)["TagList"]
    return {"value": parameter["Value"], "type": parameter["Type"], "version": parameter["Version"],
            "description": described.get("Description"), "tags": {t["Key"]: t["Value"] for t in tags}}


def calls_since(emulator, start, account_id):
    return [c for c in emulator.calls() if c["time"] >= start and c["account"] == account_id]


def test_creates_the_parameter_and_a_converged_run_reads_three_times(emulator, account_id, aws):
    results = four_ways("ssm_parameter", args(), emulator=emulator, account_id=account_id)

    assert [r["changed"] for r in results] == [True, True, False, False], results
    assert read_back(aws) == {"value": "203.0.113.10,203.0.113.11", "type": "StringList", "version": 1,
                              "description": "The egress IPs", "tags": TAGS}
    assert results[1]["diff"]["before"] == {}
    assert results[3]["parameter"]["version"] == 1

    start = time.time()
    run_module("ssm_parameter", args(), emulator=emulator, account_id=account_id)
    assert sorted(c["operation"] for c in calls_since(emulator, start, account_id)) == [
        "DescribeParameters", "GetParameter", "ListTagsForResource"]


def test_a_new_value_type_or_description_is_a_new_version_and_other_tags_stay(emulator, account_id, aws):
    ssm = aws("ssm")
    ssm.put_parameter(Name=NAME, Value="203.0.113.10", Type="String", Description="old",
                      Tags=[{"Key": "owner", "Value": "network-team"}])

    results = four_ways("ssm_parameter", args(), emulator=emulator, account_id=account_id)

    assert [r["changed"] for r in results] == [True, True, False, False], results
    assert read_back(aws) == {"value": "203.0.113.10,203.0.113.11", "type": "StringList", "version": 2,
                              "description": "The egress IPs", "tags": dict(TAGS, owner="network-team")}
    assert results[0]["diff"]["before"]["value"] == "203.0.113.10"
    assert "version" not in results[0]["parameter"]


def test_only_a_missing_tag_is_added_without_a_new_version(emulator, account_id, aws):
    run_module("ssm_parameter", args(tags={}), emulator=emulator, account_id=account_id)
    start = time.time()

    result = run_module("ssm_parameter", args(), emulator=emulator, account_id=account_id)

    assert result["changed"] is True
    assert [c["operation"] for c in writes(calls_since(emulator, start, account_id))] == ["AddTagsToResource"]
    assert read_back(aws)["version"] == 1 and read_back(aws)["tags"] == TAGS


def test_absent_deletes_and_check_mode_writes_nothing(emulator, account_id, aws):
    start = time.time()
    assert run_module("ssm_parameter", args(), emulator=emulator, account_id=account_id, check=True)["changed"]
    assert writes(calls_since(emulator, start, account_id)) == []
    run_module("ssm_parameter", args(), emulator=emulator, account_id=account_id)

    results = four_ways("ssm_parameter", {"name": NAME, "state": "absent"}, emulator=emulator, account_id=account_id)

    assert [r["changed"] for r in results] == [True, True, False, False], results
    assert aws("ssm").get_parameters(Names=[NAME])["InvalidParameters"] == [NAME]


@pytest.mark.parametrize("bad, message", [
    ({"name": "mlperimeter/no-slash"}, "name: 'mlperimeter/no-slash' is not a parameter path"),
    ({"name": "/mlperimeter/bad name"}, "name: '/mlperimeter/bad name' is not a parameter path"),
    ({"name": "/aws/reserved"}, "name: '/aws/reserved' is not a parameter path"),
    ({"value": ""}, "value: ''; a parameter needs a value"),
    ({"value": "x" * 4097}, "value: 4097 bytes, over the 4096 of a standard parameter"),
    ({"description": "d" * 1025}, "description: 1025 characters, over 1024"),
])
def test_bad_input_is_refused_naming_the_field_before_any_call(emulator, account_id, bad, message):
    start = time.time()
    result = run_module("ssm_parameter", args(**bad), emulator=emulator, account_id=account_id)
    assert result.get("failed") and message in result["msg"], result
    assert calls_since(emulator, start, account_id) == []
