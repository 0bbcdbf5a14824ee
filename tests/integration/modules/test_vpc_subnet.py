"""mlperimeter.aws.vpc_subnet against the emulator: each change four ways, read back with boto3, and the calls
a converged run makes counted in the emulator's call log."""

import time

import pytest

from support.calls import writes
from support.modules import four_ways, run_module

TAGS = {"Name": "mlperimeter-test-private-eu-west-1a", "mlperimeter:managed": "true"}


@pytest.fixture
def vpc_id(aws):
    return aws("ec2").create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]


def subnets_of(aws, vpc_id):
    return aws("ec2").describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]


def tags_of(subnet):
    return {t["Key"]: t["Value"] for t in subnet.get("Tags", [])}


def calls_since(emulator, start, account_id):
    return [c for c in emulator.calls() if c["time"] >= start and c["account"] == account_id]


def test_creates_the_subnet_in_its_zone_with_its_tags_and_a_converged_run_reads_once(
        emulator, account_id, aws, vpc_id):
    args = {"vpc_id": vpc_id, "cidr_block": "10.50.1.0/24", "availability_zone": "eu-west-1a", "tags": TAGS}

    results = four_ways("vpc_subnet", args, emulator=emulator, account_id=account_id)

    assert [r["changed"] for r in results] == [True, True, False, False], results
    assert "id" not in results[0]["subnet"]
    (subnet,) = subnets_of(aws, vpc_id)
    assert (subnet["CidrBlock"], subnet["AvailabilityZone"], subnet["MapPublicIpOnLaunch"]) == (
        "10.50.1.0/24", "eu-west-1a", False)
    assert tags_of(subnet) == TAGS
    assert results[1]["subnet"]["id"] == results[3]["subnet"]["id"] == subnet["SubnetId"]
    assert results[3]["subnet"]["availability_zone"] == "eu-west-1a"
    assert results[1]["diff"] == {"before": {}, "after": {"availability_zone": "eu-west-1a",
                                                          "map_public_ip_on_launch": False, "tags": TAGS}}

    start = time.time()
    run_module("vpc_subnet", args, emulator=emulator, account_id=account_id)
    assert [c["operation"] for c in calls_since(emulator, start, account_id)] == ["DescribeSubnets"]


def test_adds_tags_and_turns_public_addresses_off_keeping_other_tags(emulator, account_id, aws, vpc_id):
    ec2 = aws("ec2")
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.50.2.0/24", AvailabilityZone="eu-west-1b",
                                  TagSpecifications=[{"ResourceType": "subnet", "Tags": [
                                      {"Key": "Owner", "Value": "network-team"}]}])["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
    args = {"vpc_id": vpc_id, "cidr": "10.50.2.0/24", "az": "eu-west-1b", "tags": TAGS}

    results = four_ways("vpc_subnet", args, emulator=emulator, account_id=account_id)

    assert [r["changed"] for r in results] == [True, True, False, False], results
    (subnet,) = subnets_of(aws, vpc_id)
    assert subnet["SubnetId"] == subnet_id and subnet["MapPublicIpOnLaunch"] is False
    assert tags_of(subnet) == dict(TAGS, Owner="network-team")
    assert results[0]["diff"]["before"]["map_public_ip_on_launch"] is True


def test_check_mode_writes_nothing(emulator, account_id, aws, vpc_id):
    start = time.time()
    result = run_module("vpc_subnet", {"vpc_id": vpc_id, "cidr_block": "10.50.3.0/24",
                                       "availability_zone": "eu-west-1a"},
                        emulator=emulator, account_id=account_id, check=True)
    assert result["changed"] is True
    assert writes(calls_since(emulator, start, account_id)) == []
    assert subnets_of(aws, vpc_id) == []


def test_a_subnet_in_another_zone_is_refused_naming_both_zones(emulator, account_id, aws, vpc_id):
    subnet_id = aws("ec2").create_subnet(VpcId=vpc_id, CidrBlock="10.50.4.0/24",
                                         AvailabilityZone="eu-west-1b")["Subnet"]["SubnetId"]
    start = time.time()
    result = run_module("vpc_subnet", {"vpc_id": vpc_id, "cidr_block": "10.50.4.0/24",
                                       "availability_zone": "eu-west-1a", "tags": TAGS},
                        emulator=emulator, account_id=account_id)
    assert result.get("failed"), result
    assert (f"availability_zone: subnet {subnet_id} (10.50.4.0/24) of {vpc_id} is in eu-west-1b, not eu-west-1a"
            in result["msg"])
    assert writes(calls_since(emulator, start, account_id)) == []


@pytest.mark.parametrize("args, message", [
    ({"vpc_id": "vpc-XYZ"}, "vpc_id: 'vpc-XYZ' is not a VPC id"),
    ({"cidr_block": "10.50.1.1/24"}, "cidr_block: '10.50.1.1/24' is not an IPv4 network in CIDR notation"),
    ({"cidr_block": "fd00::/64"}, "cidr_block: 'fd00::/64' is not an IPv4 network"),
    ({"availability_zone": "eu-west-1"}, "availability_zone: 'eu-west-1' is not an Availability Zone name"),
])
def test_bad_input_is_refused_naming_the_field_before_any_call(emulator, account_id, args, message):
    start = time.time()
    base = {"vpc_id": "vpc-0123456789abcdef0", "cidr_block": "10.50.1.0/24", "availability_zone": "eu-west-1a"}
    result = run_module("vpc_subnet", dict(base, **args), emulator=emulator, account_id=account_id)
    assert result.get("failed") and message in result["msg"], result
    assert calls_since(emulator, start, account_id) == []
