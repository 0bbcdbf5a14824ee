"""mlperimeter.aws.vpc_flow_log against the emulator: each change four ways, read back with boto3."""

import pytest

from support.modules import four_ways, run_module

PROJECT_TAGS = {"mlperimeter:managed": "true", "mlperimeter:control": "A1", "Name": "browser"}
DEFAULT_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
    "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
)


@pytest.fixture
def vpc_id(aws):
    return aws("ec2").create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]


@pytest.fixture
def cloudwatch_args(aws, account_id, vpc_id):
    aws("logs").create_log_group(logGroupName="/mlperimeter/flow-logs")
    return {
        "resource_id": vpc_id,
        "log_group_name": "/mlperimeter/flow-logs",
        "deliver_logs_permission_arn": f"arn:aws:iam::{account_id}:role/mlperimeter-flow-logs",
        "tags": PROJECT_TAGS,
    }


def flow_logs_of(aws, vpc_id):
    return aws("ec2").describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]


def tags_of(flow_log):
    return {tag["Key"]: tag["Value"] for tag in flow_log.get("Tags", [])}


def assert_four_ways(results, changed):
    assert [r.get("failed", False) for r in results] == [False] * 4, results
    assert [r["changed"] for r in results] == [changed, changed, False, False], results


def test_creates_a_cloudwatch_flow_log(emulator, account_id, aws, vpc_id, cloudwatch_args):
    results = four_ways("vpc_flow_log", cloudwatch_args, emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    assert results[0]["flow_log"]["flow_log_id"] is None
    assert results[0]["diff"]["before"] == {}
    (flow_log,) = flow_logs_of(aws, vpc_id)
    assert flow_log["LogDestinationType"] == "cloud-watch-logs"
    assert flow_log["LogGroupName"] == "/mlperimeter/flow-logs"
    assert flow_log["DeliverLogsPermissionArn"] == cloudwatch_args["deliver_logs_permission_arn"]
    assert flow_log["TrafficType"] == "ALL"
    assert flow_log["MaxAggregationInterval"] == 600
    assert flow_log["LogFormat"] == DEFAULT_FORMAT
    assert tags_of(flow_log) == PROJECT_TAGS
    assert results[1]["flow_log"]["flow_log_id"] == flow_log["FlowLogId"]
    assert results[3]["flow_log"]["flow_log_id"] == flow_log["FlowLogId"]


def test_creates_an_s3_flow_log_in_a_folder(emulator, account_id, aws, vpc_id):
    aws("s3").create_bucket(Bucket=f"flow-{account_id}", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    args = {
        "resource_id": vpc_id,
        "destination_type": "s3",
        "s3_bucket_arn": f"arn:aws:s3:::flow-{account_id}/browser/",
        "traffic_type": "REJECT",
        "max_aggregation_interval": 60,
        "tags": PROJECT_TAGS,
    }
    results = four_ways("vpc_flow_log", args, emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    (flow_log,) = flow_logs_of(aws, vpc_id)
    assert flow_log["LogDestinationType"] == "s3"
    assert flow_log["LogDestination"].rstrip("/") == f"arn:aws:s3:::flow-{account_id}/browser"
    assert (flow_log["TrafficType"], flow_log["MaxAggregationInterval"]) == ("REJECT", 60)
    assert "DeliverLogsPermissionArn" not in flow_log


@pytest.mark.parametrize(
    ("change", "attribute"),
    [
        ({"traffic_type": "REJECT"}, "traffic_type"),
        ({"max_aggregation_interval": 60}, "max_aggregation_interval"),
        ({"log_format": "${version} ${srcaddr} ${dstaddr} ${action}"}, "log_format"),
    ],
)
def test_an_immutable_change_replaces_the_flow_log(emulator, account_id, aws, vpc_id, cloudwatch_args, change,
                                                   attribute):
    first = run_module("vpc_flow_log", cloudwatch_args, emulator=emulator, account_id=account_id)
    results = four_ways("vpc_flow_log", dict(cloudwatch_args, **change), emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    assert results[0]["replaced_attributes"] == [attribute]
    assert results[1]["replaced_attributes"] == [attribute]
    assert results[1]["deleted_flow_log_ids"] == [first["flow_log"]["flow_log_id"]]
    (flow_log,) = flow_logs_of(aws, vpc_id)
    assert flow_log["FlowLogId"] != first["flow_log"]["flow_log_id"]
    assert flow_log["FlowLogId"] == results[1]["flow_log"]["flow_log_id"]
    key = {"traffic_type": "TrafficType", "max_aggregation_interval": "MaxAggregationInterval",
           "log_format": "LogFormat"}[attribute]
    assert flow_log[key] == change[attribute]
    assert tags_of(flow_log) == PROJECT_TAGS
    assert results[1]["diff"]["before"][attribute] != results[1]["diff"]["after"][attribute]


def test_tags_change_in_place(emulator, account_id, aws, vpc_id, cloudwatch_args):
    first = run_module("vpc_flow_log", cloudwatch_args, emulator=emulator, account_id=account_id)
    retagged = dict(PROJECT_TAGS, Name="browser-renamed", owner="network")
    results = four_ways("vpc_flow_log", dict(cloudwatch_args, tags=retagged), emulator=emulator,
                        account_id=account_id)

    assert_four_ways(results, changed=True)
    assert results[1]["replaced_attributes"] == []
    (flow_log,) = flow_logs_of(aws, vpc_id)
    assert flow_log["FlowLogId"] == first["flow_log"]["flow_log_id"]
    assert tags_of(flow_log) == retagged


def test_leaves_flow_logs_of_others_alone(emulator, account_id, aws, vpc_id, cloudwatch_args):
    aws("logs").create_log_group(logGroupName="someone-else")
    foreign = aws("ec2").create_flow_logs(
        ResourceType="VPC", ResourceIds=[vpc_id], TrafficType="ACCEPT", LogGroupName="someone-else",
        DeliverLogsPermissionArn=cloudwatch_args["deliver_logs_permission_arn"],
    )["FlowLogIds"][0]
    results = four_ways("vpc_flow_log", cloudwatch_args, emulator=emulator, account_id=account_id)
    assert_four_ways(results, changed=True)
    absent = four_ways("vpc_flow_log", {"resource_id": vpc_id, "state": "absent", "tags": PROJECT_TAGS},
                       emulator=emulator, account_id=account_id)
    assert_four_ways(absent, changed=True)
    assert [f["FlowLogId"] for f in flow_logs_of(aws, vpc_id)] == [foreign]


def test_absent_deletes_the_flow_log(emulator, account_id, aws, vpc_id, cloudwatch_args):
    created = run_module("vpc_flow_log", cloudwatch_args, emulator=emulator, account_id=account_id)
    results = four_ways("vpc_flow_log", dict(cloudwatch_args, state="absent"), emulator=emulator,
                        account_id=account_id)

    assert_four_ways(results, changed=True)
    assert results[0]["deleted_flow_log_ids"] == [created["flow_log"]["flow_log_id"]]
    assert results[1]["diff"] == {"before": created["flow_log"], "after": {}}
    assert results[3]["deleted_flow_log_ids"] == []
    assert flow_logs_of(aws, vpc_id) == []


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"resource_id": "subnet-0123456789abcdef0"}, "resource_id"),
        ({"log_group_name": "bad name!"}, "log_group_name"),
        ({"deliver_logs_permission_arn": "arn:aws:iam::1:user/x"}, "deliver_logs_permission_arn"),
        ({"log_format": "version srcaddr"}, "log_format"),
        ({"destination_type": "s3"}, "s3_bucket_arn"),
        ({"destination_type": "s3", "s3_bucket_arn": "arn:aws:s3:::bucket-x/AWSLogs/",
          "log_group_name": None, "deliver_logs_permission_arn": None}, "s3_bucket_arn"),
        ({"deliver_logs_permission_arn": None}, "deliver_logs_permission_arn"),
    ],
)
def test_refuses_bad_input_before_any_call(emulator, account_id, cloudwatch_args, args, field):
    calls_before = [c for c in emulator.calls() if c["account"] == account_id]
    result = run_module("vpc_flow_log", {**cloudwatch_args, **args}, emulator=emulator, account_id=account_id)

    assert result["failed"] is True
    assert result["msg"].startswith(field), result["msg"]
    assert [c for c in emulator.calls() if c["account"] == account_id] == calls_before
