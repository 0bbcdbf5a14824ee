"""mlperimeter.aws.vpc_route_table against the emulator: each change four ways, read back with boto3, and the
calls a converged run makes counted in the emulator's call log."""

import time

import pytest

from support.calls import writes
from support.modules import four_ways, run_module

TAGS = {"Name": "mlperimeter-test-private-a", "mlperimeter:managed": "true", "mlperimeter:control": "A1"}


@pytest.fixture
def network(aws):
    ec2 = aws("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone="eu-west-1a")
               ["Subnet"]["SubnetId"] for i in range(3)]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    return {"ec2": ec2, "vpc_id": vpc_id, "subnets": subnets, "igw": igw}


def tables(network):
    return network["ec2"].describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [network["vpc_id"]]}, {"Name": "tag:Name", "Values": [TAGS["Name"]]}]
    )["RouteTables"]


def created_routes(table):
    return {r["DestinationCidrBlock"]: r.get("GatewayId") or r.get("NatGatewayId")
            for r in table["Routes"] if r.get("Origin") == "CreateRoute"}


def associated(table):
    return sorted(a["SubnetId"] for a in table["Associations"] if a.get("SubnetId"))


def tags_of(table):
    return {t["Key"]: t["Value"] for t in table.get("Tags", [])}


def test_creates_the_table_with_its_subnet_route_and_tags_and_a_converged_run_reads_once(
        emulator, account_id, network):
    args = {"vpc_id": network["vpc_id"], "tags": TAGS, "subnet_ids": [network["subnets"][0]],
            "routes": [{"destination_cidr_block": "0.0.0.0/0", "gateway_id": network["igw"]}]}

    results = four_ways("vpc_route_table", args, emulator=emulator, account_id=account_id)

    assert [r["changed"] for r in results] == [True, True, False, False], results
    assert results[0]["route_table"]["id"] == "rtb-xxxxxxxx"
    (table,) = tables(network)
    assert created_routes(table) == {"0.0.0.0/0": network["igw"]}
    assert associated(table) == [network["subnets"][0]]
    assert tags_of(table) == TAGS
    assert results[1]["route_table"]["id"] == results[3]["route_table"]["id"] == table["RouteTableId"]
    assert results[3]["route_table"]["subnet_ids"] == [network["subnets"][0]]
    assert results[1]["diff"]["before"] == {}
    assert results[1]["diff"]["after"]["routes"] == sorted([f"0.0.0.0/0 -> {network['igw']}", "10.40.0.0/16 -> local"])

    start = time.time()
    run_module("vpc_route_table", args, emulator=emulator, account_id=account_id)
    calls = [c for c in emulator.calls() if c["time"] >= start and c["account"] == account_id]
    assert [c["operation"] for c in calls] == ["DescribeRouteTables"]


def test_makes_the_subnets_and_routes_exactly_the_ones_given(emulator, account_id, network):
    ec2, subnets, igw = network["ec2"], network["subnets"], network["igw"]
    found_tags = [{"Key": k, "Value": v} for k, v in dict(TAGS, Owner="someone").items()]
    table_id = ec2.create_route_table(VpcId=network["vpc_id"], TagSpecifications=[
        {"ResourceType": "route-table", "Tags": found_tags}])["RouteTable"]["RouteTableId"]
    other_id = ec2.create_route_table(VpcId=network["vpc_id"])["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnets[0])  # not wanted any more
    ec2.associate_route_table(RouteTableId=other_id, SubnetId=subnets[1])  # wanted, held by another table
    ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)  # to be replaced
    ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="192.168.0.0/16", GatewayId=igw)  # not wanted
    nat_subnet = subnets[2]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=nat_subnet, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    args = {"vpc_id": network["vpc_id"], "tags": TAGS, "subnet_ids": [subnets[1]],
            "routes": [{"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": nat}]}

    results = four_ways("vpc_route_table", args, emulator=emulator, account_id=account_id)

    assert [r["changed"] for r in results] == [True, True, False, False], results
    (table,) = tables(network)
    assert table["RouteTableId"] == table_id
    assert created_routes(table) == {"0.0.0.0/0": nat}
    assert associated(table) == [subnets[1]]
    (other,) = ec2.describe_route_tables(RouteTableIds=[other_id])["RouteTables"]
    assert associated(other) == []
    assert tags_of(table) == dict(TAGS, Owner="someone")  # tags are added, never removed
    assert results[0]["diff"]["before"]["subnet_ids"] == [subnets[0]]
    assert results[0]["diff"]["after"]["subnet_ids"] == [subnets[1]]


def test_check_mode_writes_nothing(emulator, account_id, network):
    args = {"vpc_id": network["vpc_id"], "tags": TAGS, "subnet_ids": network["subnets"][:2],
            "routes": [{"destination_cidr_block": "0.0.0.0/0", "gateway_id": network["igw"]}]}
    start = time.time()
    result = run_module("vpc_route_table", args, emulator=emulator, account_id=account_id, check=True)
    assert result["changed"] is True
    assert result["diff"]["after"]["subnet_ids"] == sorted(network["subnets"][:2])
    assert writes([c for c in emulator.calls() if c["time"] >= start and c["account"] == account_id]) == []
    assert tables(network) == []


def test_two_tables_carrying_the_tags_are_refused_naming_both(emulator, account_id, network):
    ec2 = network["ec2"]
    spec = [{"ResourceType": "route-table", "Tags": [{"Key": k, "Value": v} for k, v in TAGS.items()]}]
    ids = sorted(ec2.create_route_table(VpcId=network["vpc_id"], TagSpecifications=spec)["RouteTable"]["RouteTableId"]
                 for _ in range(2))
    result = run_module("vpc_route_table", {"vpc_id": network["vpc_id"], "tags": TAGS},
                        emulator=emulator, account_id=account_id)
    assert result.get("failed"), result
    assert f"tags: 2 route tables of {network['vpc_id']} carry them ({ids[0]}, {ids[1]})" in result["msg"]


@pytest.mark.parametrize("args, message", [
    ({"vpc_id": "vpc-nothex!"}, "vpc_id: 'vpc-nothex!' is not a VPC id"),
    ({"tags": {}}, "tags: give at least the Name tag"),
    ({"subnet_ids": ["sub-1234"]}, "subnet_ids: 'sub-1234' is not a subnet id"),
    ({"routes": [{"destination_cidr_block": "10.0.0.1/8", "gateway_id": "igw-0123456789abcdef0"}]},
     "routes[0].destination_cidr_block: '10.0.0.1/8' is not an IPv4 network in CIDR notation"),
    ({"routes": [{"destination_cidr_block": "::/0", "gateway_id": "igw-0123456789abcdef0"}]},
     "routes[0].destination_cidr_block: '::/0' is not an IPv4 network"),
    ({"routes": [{"destination_cidr_block": "0.0.0.0/0"}]},
     "routes[0]: give exactly one of gateway_id, nat_gateway_id for 0.0.0.0/0"),
    ({"routes": [{"destination_cidr_block": "0.0.0.0/0", "gateway_id": "nat-0123456789abcdef0"}]},
     "routes[0].gateway_id: 'nat-0123456789abcdef0' is not an internet gateway id"),
    ({"routes": [{"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-0123456789abcdef0"},
                 {"destination_cidr_block": "0.0.0.0/0", "gateway_id": "igw-0123456789abcdef0"}]},
     "routes[1].destination_cidr_block: '0.0.0.0/0' is given twice"),
])
def test_bad_input_is_refused_naming_the_field_before_any_call(emulator, account_id, args, message):
    start = time.time()
    base = {"vpc_id": "vpc-0123456789abcdef0", "tags": TAGS}
    result = run_module("vpc_route_table", dict(base, **args), emulator=emulator, account_id=account_id)
    assert result.get("failed") and message in result["msg"], result
    assert [c for c in emulator.calls() if c["time"] >= start and c["account"] == account_id] == []
