"""The emulator's control endpoints: call log and fault injection."""

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from support.emulator import Emulator, EmulatorProcess


def test_call_log_names_service_operation_account_region_status_and_resource(emulator, aws, account_id):
    ec2 = aws("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    emulator.reset_calls()
    ec2.describe_vpcs(VpcIds=[vpc_id])
    aws("s3").list_buckets()
    calls = [c for c in emulator.calls() if c["account"] == account_id]
    assert [(c["service"], c["operation"], c["region"], c["status"]) for c in calls] == [
        ("ec2", "DescribeVpcs", "eu-west-1", 200),
        ("s3", "ListBuckets", "eu-west-1", 200),
    ]
    assert calls[0]["resource"] == vpc_id


def test_call_log_records_error_status_and_is_reset(emulator, aws, account_id):
    with pytest.raises(ClientError):
        aws("ec2").describe_vpcs(VpcIds=["vpc-0000000000000000f"])
    failed = [c for c in emulator.calls() if c["account"] == account_id and c["operation"] == "DescribeVpcs"]
    assert failed and failed[-1]["status"] == 400
    emulator.reset_calls()
    assert [c for c in emulator.calls() if c["account"] == account_id] == []


def test_delete_empties_the_call_log_of_the_whole_emulator(tmp_path):
    """DELETE /_emulator/calls, on an emulator of this test's own: the shared one serves other workers."""
    process = EmulatorProcess(tmp_path / "emulator.log")
    try:
        own = Emulator(process.url)
        own.client("sts", "123456789012").get_caller_identity()
        assert [c["operation"] for c in own.calls()] == ["AssumeRole", "GetCallerIdentity"]
        request = urllib.request.Request(f"{process.url}/_emulator/calls", method="DELETE")
        with urllib.request.urlopen(request, timeout=30):
            pass
        with urllib.request.urlopen(f"{process.url}/_emulator/calls", timeout=30) as answer:
            assert json.load(answer)["calls"] == []
    finally:
        process.stop()


def test_fault_at_rate_one_always_fails_with_the_given_error(emulator, aws, account_id):
    emulator.add_fault(operation="DescribeVpcs", error="RequestLimitExceeded", rate=1.0, account=account_id)
    try:
        for _ in range(3):
            with pytest.raises(ClientError) as raised:
                aws("ec2").describe_vpcs()
            assert raised.value.response["Error"]["Code"] == "RequestLimitExceeded"
        aws("ec2").describe_subnets()  # other operations are untouched
    finally:
        emulator.clear_faults()
    aws("ec2").describe_vpcs()


def _failures(emulator, aws, account_id, seed):
    emulator.add_fault(operation="*", error="ThrottlingException", rate=0.3, seed=seed, account=account_id)
    outcome = []
    try:
        sts = aws("sts")
        for _ in range(40):
            try:
                sts.get_caller_identity()
                outcome.append(True)
            except ClientError as error:
                assert error.response["Error"]["Code"] == "ThrottlingException"
                outcome.append(False)
    finally:
        emulator.clear_faults()
    return outcome


def test_seeded_fault_sequence_repeats_and_matches_the_rate(emulator, aws, account_id):
    first = _failures(emulator, aws, account_id, seed=7)
    second = _failures(emulator, aws, account_id, seed=7)
    assert first == second
    assert 4 <= first.count(False) <= 20


def test_server_error_fault_is_a_5xx_that_botocore_retries(emulator, aws, account_id):
    emulator.add_fault(operation="GetCallerIdentity", error="InternalFailure", rate=1.0, account=account_id)
    emulator.reset_calls()
    try:
        with pytest.raises(ClientError) as raised:
            aws("sts", retries=2).get_caller_identity()
    finally:
        emulator.clear_faults()
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    attempts = [c for c in emulator.calls() if c["account"] == account_id and c["operation"] == "GetCallerIdentity"]
    assert [c["status"] for c in attempts] == [500, 500, 500]


def test_bad_fault_spec_is_refused_with_the_field_named(emulator):
    request = urllib.request.Request(
        f"{emulator.url}/_emulator/faults", data=json.dumps({"operation": "X", "error": "Y", "rate": 2}).encode(),
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request)
    assert raised.value.code == 400
    assert "rate" in json.load(raised.value)["error"]


def test_each_account_has_its_own_state(emulator, aws, account_id):
    aws("ec2").create_vpc(CidrBlock="10.9.0.0/16")
    other = "210987654321"
    mine = {v["CidrBlock"] for v in aws("ec2").describe_vpcs()["Vpcs"]}
    theirs = {v["CidrBlock"] for v in aws("ec2", account=other).describe_vpcs()["Vpcs"]}
    assert "10.9.0.0/16" in mine and "10.9.0.0/16" not in theirs
    assert aws("sts").get_caller_identity()["Account"] == account_id


def test_call_log_names_rest_operations_from_the_model_including_query_routed_ones(emulator, aws, account_id):
    s3 = aws("s3")
    s3.create_bucket(Bucket=f"calls-{account_id}", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    emulator.reset_calls()
    bucket = f"calls-{account_id}"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="a/b", Body=b"x")
    s3.list_objects_v2(Bucket=bucket)
    s3.delete_object(Bucket=bucket, Key="a/b")
    aws("workspaces-web").list_portals()
    calls = [c for c in emulator.calls() if c["account"] == account_id]
    assert [(c["operation"], c["resource"]) for c in calls] == [
        ("PutBucketVersioning", bucket),
        ("PutObject", bucket),
        ("ListObjectsV2", bucket),
        ("DeleteObject", bucket),
        ("ListPortals", None),
    ]


def test_fault_naming_a_list_of_accounts_fails_calls_in_each_and_in_no_other(emulator, aws, account_id):
    second, outsider = "310987654329", "410987654329"
    emulator.add_fault(operation="*", error="ThrottlingException", rate=1.0, account=[account_id, second])
    try:
        for account in (account_id, second):
            with pytest.raises(ClientError) as raised:
                aws("sts", account=account).get_caller_identity()
            assert raised.value.response["Error"]["Code"] == "ThrottlingException"
        assert aws("sts", account=outsider).get_caller_identity()["Account"] == outsider
    finally:
        emulator.clear_faults()
    assert aws("sts").get_caller_identity()["Account"] == account_id


def test_a_fault_is_removed_by_its_id_and_the_others_stay(emulator, aws, account_id):
    first = emulator.add_fault(operation="DescribeVpcs", error="RequestLimitExceeded", account=account_id)["fault"]
    second = emulator.add_fault(operation="DescribeSubnets", error="RequestLimitExceeded", account=account_id)["fault"]
    try:
        assert first["account"] == [account_id] and first["id"] != second["id"]
        request = urllib.request.Request(f"{emulator.url}/_emulator/faults/{first['id']}", method="DELETE")
        with urllib.request.urlopen(request) as answer:
            remaining = [f["id"] for f in json.load(answer)["faults"]]
        assert first["id"] not in remaining and second["id"] in remaining
        aws("ec2").describe_vpcs()
        with pytest.raises(ClientError):
            aws("ec2").describe_subnets()
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(request)
        assert raised.value.code == 404
    finally:
        emulator.clear_faults()
    aws("ec2").describe_subnets()


@pytest.mark.parametrize("account", ["12345", [], ["123456789012", 123456789012]], ids=["short", "empty", "number"])
def test_fault_account_must_be_an_account_id_or_a_list_of_them(emulator, account):
    request = urllib.request.Request(
        f"{emulator.url}/_emulator/faults",
        data=json.dumps({"operation": "X", "error": "Y", "account": account}).encode(), method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request)
    assert raised.value.code == 400
    assert "fault field 'account'" in json.load(raised.value)["error"]


def test_s3_throttles_as_s3_does_with_503_slowdown_which_botocore_retries_even_on_head(emulator, aws, account_id):
    s3 = aws("s3")
    s3.create_bucket(Bucket=f"throttled-{account_id}", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    emulator.add_fault(operation="HeadBucket", error="ThrottlingException", rate=1.0, account=account_id)
    emulator.reset_calls()
    try:
        with pytest.raises(ClientError) as raised:
            aws("s3", retries=2).head_bucket(Bucket=f"throttled-{account_id}")
    finally:
        emulator.clear_faults()
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    attempts = [c for c in emulator.calls() if c["account"] == account_id and c["operation"] == "HeadBucket"]
    assert [(c["status"], c["fault"]) for c in attempts] == [(503, "SlowDown")] * 3
