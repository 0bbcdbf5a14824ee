"""The collection's route analysis, held to the test suite's oracle over generated VPCs."""

import random

import pytest
from ansible_collections.mlperimeter.aws.plugins.module_utils import route_evaluation as routes

from support import route_oracle

VPC_ID, OTHER_VPC = "vpc-0sagemaker", "vpc-0other"
DESTINATIONS = ["0.0.0.0/0", "10.40.0.0/16", "10.40.3.0/24", "10.41.0.0/24", "192.168.0.0/16", "8.8.8.8/32",
                "::/0", "2600:1f18:aaaa::/56", "2600:1f18:aaaa:1::/64", "2001:db8::/32"]
PREFIX_LISTS = ["pl-63a5400a", "pl-02cd2c6b"]
TARGETS = [
    ("GatewayId", "local"), ("GatewayId", "igw-0a1"), ("GatewayId", "vgw-0b2"), ("GatewayId", "vpce-0c3"),
    ("GatewayId", "unknown-0d4"), ("NatGatewayId", "nat-0e5"), ("EgressOnlyInternetGatewayId", "eigw-0f6"),
    ("TransitGatewayId", "tgw-0a7"), ("VpcPeeringConnectionId", "pcx-0b8"), ("CarrierGatewayId", "cagw-0c9"),
    ("LocalGatewayId", "lgw-0d1"), ("CoreNetworkArn", "arn:aws:networkmanager::1:core-network/core-0e2"),
    ("InstanceId", "i-0f3"), ("NetworkInterfaceId", "eni-0a4"),
]
ATTACHMENT_STATES = ["attached", "attaching", "available", "detached", "detaching"]


def _route(rng):
    route = dict([rng.choice(TARGETS)])
    if rng.random() < 0.25:
        route["DestinationPrefixListId"] = rng.choice(PREFIX_LISTS)
    else:
        destination = rng.choice(DESTINATIONS)
        route["DestinationIpv6CidrBlock" if ":" in destination else "DestinationCidrBlock"] = destination
    route["State"] = rng.choice(["active", "active", "active", "blackhole"])
    return route


def _vpc(rng):
    vpc = {"VpcId": VPC_ID, "CidrBlock": "10.40.0.0/16", "CidrBlockAssociationSet": [
        {"CidrBlock": "10.40.0.0/16", "CidrBlockState": {"State": "associated"}}]}
    if rng.random() < 0.5:
        vpc["CidrBlockAssociationSet"].append(
            {"CidrBlock": "10.41.0.0/24", "CidrBlockState": {"State": rng.choice(["associated", "disassociated"])}})
    if rng.random() < 0.5:
        vpc["Ipv6CidrBlockAssociationSet"] = [
            {"Ipv6CidrBlock": "2600:1f18:aaaa::/56", "Ipv6CidrBlockState": {"State": "associated"}}]
    return vpc


def _state(rng):
    def maybe(make, most=2):
        return [make(index) for index in range(rng.randint(0, most))]

    def vpc_id():
        return rng.choice([VPC_ID, VPC_ID, OTHER_VPC])

    return {
        "route_tables": [{"RouteTableId": f"rtb-{i}", "VpcId": vpc_id(),
                          "Routes": [_route(rng) for _ in range(rng.randint(0, 4))]} for i in range(rng.randint(0, 3))],
        "internet_gateways": maybe(lambda i: {"InternetGatewayId": f"igw-{i}", "Attachments": [
            {"VpcId": vpc_id(), "State": rng.choice(ATTACHMENT_STATES)}]}),
        "egress_only_internet_gateways": maybe(lambda i: {"EgressOnlyInternetGatewayId": f"eigw-{i}", "Attachments": [
            {"VpcId": vpc_id(), "State": rng.choice(ATTACHMENT_STATES)}]}),
        "nat_gateways": maybe(lambda i: {"NatGatewayId": f"nat-{i}", "VpcId": vpc_id(),
                                         "State": rng.choice(["pending", "available", "deleting", "deleted"])}),
        "vpn_gateways": maybe(lambda i: {"VpnGatewayId": f"vgw-{i}", "State": rng.choice(["available", "deleted"]),
                                         "VpcAttachments": [{"VpcId": vpc_id(),
                                                             "State": rng.choice(ATTACHMENT_STATES)}]}),
        "peering_connections": maybe(lambda i: {
            "VpcPeeringConnectionId": f"pcx-{i}", "RequesterVpcInfo": {"VpcId": vpc_id()},
            "AccepterVpcInfo": {"VpcId": OTHER_VPC},
            "Status": {"Code": rng.choice(["active", "pending-acceptance", "rejected", "deleted", "provisioning"])}}),
        "transit_gateway_attachments": maybe(lambda i: {
            "TransitGatewayAttachmentId": f"tgw-attach-{i}", "TransitGatewayId": f"tgw-{i}", "VpcId": vpc_id(),
            "State": rng.choice(["available", "pending", "deleted", "deleting", "failed", "rejected"])}),
    }


def _ways(found):
    return sorted((w.kind, w.target, w.where, w.destination) for w in found)


@pytest.mark.parametrize("seed", range(6))
def test_agrees_with_the_oracle_on_generated_vpcs(seed):
    rng = random.Random(seed)
    disagreements, closed, kinds = [], 0, set()
    for _ in range(150):
        vpc, state = _vpc(rng), _state(rng)
        ours, theirs = _ways(routes.ways_out(vpc, **state)), _ways(route_oracle.ways_out(vpc, **state))
        if ours != theirs:
            disagreements.append((vpc, state, ours, theirs))
        closed += not ours
        kinds |= {way[0] for way in ours}
    assert not disagreements, disagreements[:2]
    assert closed > 5 and len(kinds) >= 10  # closed VPCs and most kinds of way out were generated


def _closed_vpc(*extra_routes):
    table = {"RouteTableId": "rtb-main", "VpcId": VPC_ID, "Routes": [
        {"DestinationCidrBlock": "10.40.0.0/16", "GatewayId": "local", "State": "active"},
        {"DestinationPrefixListId": "pl-63a5400a", "GatewayId": "vpce-0s3", "State": "active"},
        *extra_routes]}
    return {"VpcId": VPC_ID, "CidrBlock": "10.40.0.0/16"}, [table]


def test_local_and_gateway_endpoint_routes_stay_inside():
    vpc, tables = _closed_vpc()
    assert routes.ways_out(vpc, tables) == []


@pytest.mark.parametrize(("route", "says"), [
    ({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0a1", "State": "active"},
     "internet gateway igw-0a1 for 0.0.0.0/0 (route table rtb-main)"),
    ({"DestinationPrefixListId": "pl-02cd2c6b", "NatGatewayId": "nat-0e5", "State": "active"},
     "NAT gateway nat-0e5 for pl-02cd2c6b (route table rtb-main)"),
    ({"DestinationCidrBlock": "0.0.0.0/0", "InstanceId": "i-0f3", "State": "active"},
     "instance or network interface i-0f3 for 0.0.0.0/0 (route table rtb-main)"),
    ({"DestinationCidrBlock": "10.0.0.0/8", "GatewayId": "vpce-0gwlb", "State": "active"},
     "Gateway Load Balancer endpoint vpce-0gwlb for 10.0.0.0/8 (route table rtb-main)"),
])
def test_a_route_out_is_named(route, says):
    vpc, tables = _closed_vpc(route)
    assert [str(way) for way in routes.ways_out(vpc, tables)] == [says]


def test_blackholes_and_appliances_inside_the_vpc_carry_nothing_out():
    vpc, tables = _closed_vpc(
        {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0a1", "State": "blackhole"},
        {"DestinationCidrBlock": "10.40.9.0/24", "NetworkInterfaceId": "eni-0a4", "State": "active"})
    assert routes.ways_out(vpc, tables) == []


def test_an_attached_gateway_is_a_way_out_even_without_a_route():
    vpc, tables = _closed_vpc()
    found = routes.ways_out(vpc, tables, internet_gateways=[
        {"InternetGatewayId": "igw-0a1", "Attachments": [{"VpcId": VPC_ID, "State": "available"}]}])
    assert [str(way) for way in found] == ["internet gateway igw-0a1 (attached to the VPC)"]
