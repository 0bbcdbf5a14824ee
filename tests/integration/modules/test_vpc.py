"""mlperimeter.aws.vpc against the emulator: each change four ways, read back with boto3, and the calls a
converged run makes counted in the emulator's call log."""

import time

import pytest

from support.calls import writes
from support.modules import four_ways, run_module

TAGS = {"mlperimeter:managed": "true", "mlperimeter:control": "M1"}


def calls_since(emulator, start, account_id):
    return [c for c in emulator.calls() if c["time"] >= start and c["account"] == account_id]


def named(aws, name):
    return aws("ec2").describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]


def dns(aws, vpc_id):
    ec2 = aws("ec2")
    return (ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsSupport")["EnableDnsSupport"]["Value"],
            ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"])


def tags_of(vpc):
    return {t["Key"]: t["Value"] for t in vpc.get("Tags", [])}


def test_creates_the_vpc_with_dns_on_and_a_converged_run_reads_three_times(emulator, account_id, aws):
    args = {"name": "mlperimeter-vpc-test", "cidr_block": "10.60.0.0/16", "tags": TAGS}

    results = four_ways("vpc", args, emulator=emulator, account_id=account_id)

    assert [r["changed"] for r in results] == [True, True, False, False], results
    assert "id" not in results[0]["vpc"]
    (vpc,) = named(aws, "mlperimeter-vpc-test")
    assert vpc["CidrBlock"] == "10.60.0.0/16"
    assert tags_of(vpc) == dict(TAGS, Name="mlperimeter-vpc-test")
    assert dns(aws, vpc["VpcId"]) == (True, True)
    assert results[1]["vpc"]["id"] == results[3]["vpc"]["id"] == vpc["VpcId"]
    assert (results[3]["vpc"]["enable_dns_support"], results[3]["vpc"]["enable_dns_hostnames"]) == (True, True)
    assert results[3]["vpc"]["dhcp_options_id"] == vpc["DhcpOptionsId"]

    start = time.time()
    run_module("vpc", args, emulator=emulator, account_id=account_id)
    assert sorted(c["operation"] for c in calls_since(emulator, start, account_id)) == [
        "DescribeVpcAttribute", "DescribeVpcAttribute", "DescribeVpcs"]


def test_an_adopted_vpc_gets_dns_and_tags_keeping_its_own(emulator, account_id, aws):
    ec2 = aws("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.61.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "company-network"}]}])["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": False})
    args = {"vpc_id": vpc_id, "tags": {"mlperimeter:adopted": "true"}}

    results = four_ways("vpc", args, emulator=emulator, account_id=account_id)

    assert [r["changed"] for r in results] == [True, True, False, False], results
    assert dns(aws, vpc_id) == (True, True)
    (vpc,) = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    assert tags_of(vpc) == {"Name": "company-network", "mlperimeter:adopted": "true"}
    assert results[0]["diff"]["before"]["dns_support"] is False
    assert results[0]["diff"]["after"]["dns_support"] is True


def test_check_mode_writes_nothing(emulator, account_id, aws):
    start = time.time()
    result = run_module("vpc", {"name": "mlperimeter-vpc-check", "cidr_block": "10.62.0.0/16"},
                        emulator=emulator, account_id=account_id, check=True)
    assert result["changed"] is True
    assert writes(calls_since(emulator, start, account_id)) == []
    assert named(aws, "mlperimeter-vpc-check") == []


def test_two_vpcs_of_the_name_and_block_are_refused_naming_both(emulator, account_id, aws):
    ec2 = aws("ec2")
    spec = [{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "mlperimeter-twice"}]}]
    ids = sorted(ec2.create_vpc(CidrBlock="10.63.0.0/16", TagSpecifications=spec)["Vpc"]["VpcId"] for _ in range(2))
    result = run_module("vpc", {"name": "mlperimeter-twice", "cidr_block": "10.63.0.0/16"},
                        emulator=emulator, account_id=account_id)
    assert result.get("failed"), result
    assert f"name: 2 VPCs are named 'mlperimeter-twice' with CIDR block 10.63.0.0/16 ({ids[0]}, {ids[1]})" \
        in result["msg"]


@pytest.mark.parametrize("args, message", [
    ({"vpc_id": "vpc-0123456789abcdef0"}, "vpc_id: vpc-0123456789abcdef0 does not exist in this Region"),
    ({"vpc_id": "vpc-???"}, "vpc_id: 'vpc-???' is not a VPC id"),
    ({"name": "x", "cidr_block": "10.0.0.0/33"}, "cidr_block: '10.0.0.0/33' is not an IPv4 network"),
    ({"name": "x"}, "parameters are required together: name, cidr_block"),
    ({"vpc_id": "vpc-0123456789abcdef0", "name": "x", "cidr_block": "10.0.0.0/16"},
     "parameters are mutually exclusive: vpc_id|name"),
])
def test_bad_input_is_refused_naming_the_field_with_no_write(emulator, account_id, args, message):
    start = time.time()
    result = run_module("vpc", args, emulator=emulator, account_id=account_id)
    assert result.get("failed") and message in result["msg"], result
    assert writes(calls_since(emulator, start, account_id)) == []
