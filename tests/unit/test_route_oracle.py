"""The route oracle on DescribeRouteTables-shaped input."""

import pytest

from support import route_oracle

VPC = {
    "VpcId": "vpc-0a0a0a0a0a0a0a0a0",
    "CidrBlock": "10.20.0.0/16",
    "CidrBlockAssociationSet": [
        {"CidrBlock": "10.20.0.0/16", "CidrBlockState": {"State": "associated"}},
        {"CidrBlock": "100.64.0.0/22", "CidrBlockState": {"State": "associated"}},
    ],
    "Ipv6CidrBlockAssociationSet": [
        {"Ipv6CidrBlock": "2600:1f18:abcd:1200::/56", "Ipv6CidrBlockState": {"State": "associated"}},
    ],
}
LOCAL = {"DestinationCidrBlock": "10.20.0.0/16", "GatewayId": "local", "State": "active"}
S3_GATEWAY_ENDPOINT = {"DestinationPrefixListId": "pl-6da54004", "GatewayId": "vpce-0123456789abcdef0",
                       "State": "active"}


def table(*routes, vpc_id=VPC["VpcId"], table_id="rtb-0private"):
    return {"RouteTableId": table_id, "VpcId": vpc_id, "Routes": [LOCAL, *routes]}


@pytest.mark.parametrize(("route", "kind"), [
    ({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0123"}, "internet gateway"),
    ({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0123"}, "NAT gateway"),
    ({"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-0123"},
     "egress-only internet gateway"),
    ({"DestinationCidrBlock": "10.99.0.0/16", "VpcPeeringConnectionId": "pcx-0123"}, "VPC peering connection"),
    ({"DestinationCidrBlock": "10.0.0.0/8", "TransitGatewayId": "tgw-0123"}, "transit gateway"),
    ({"DestinationCidrBlock": "192.168.0.0/16", "GatewayId": "vgw-0123"}, "virtual private gateway (VPN)"),
    ({"DestinationCidrBlock": "0.0.0.0/0", "CarrierGatewayId": "cagw-0123"}, "carrier gateway"),
    ({"DestinationCidrBlock": "0.0.0.0/0", "LocalGatewayId": "lgw-0123"}, "local gateway"),
    ({"DestinationCidrBlock": "0.0.0.0/0", "CoreNetworkArn": "arn:aws:networkmanager::1:core-network/c"},
     "Cloud WAN core network"),
    ({"DestinationCidrBlock": "0.0.0.0/0", "InstanceId": "i-0123", "NetworkInterfaceId": "eni-0123"},
     "instance or network interface"),
    ({"DestinationCidrBlock": "0.0.0.0/0", "NetworkInterfaceId": "eni-0123"}, "instance or network interface"),
    ({"DestinationIpv6CidrBlock": "::/0", "NetworkInterfaceId": "eni-0123"}, "instance or network interface"),
    ({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "vpce-0gwlb"}, "Gateway Load Balancer endpoint"),
    ({"DestinationPrefixListId": "pl-0customer", "TransitGatewayId": "tgw-0123"}, "transit gateway"),
])
def test_routes_that_leave_the_vpc(route, kind):
    found = route_oracle.ways_out(VPC, [table({**route, "State": "active"})])
    assert [w.kind for w in found] == [kind]
    assert "rtb-0private" in str(found[0])


@pytest.mark.parametrize("route", [
    S3_GATEWAY_ENDPOINT,
    # a middlebox route inside the VPC's own CIDRs stays in the VPC
    {"DestinationCidrBlock": "10.20.8.0/24", "NetworkInterfaceId": "eni-0inspect", "State": "active"},
    {"DestinationCidrBlock": "100.64.1.0/24", "NetworkInterfaceId": "eni-0inspect", "State": "active"},
    {"DestinationIpv6CidrBlock": "2600:1f18:abcd:1234::/64", "InstanceId": "i-0inspect", "State": "active"},
    # a route whose target is gone carries nothing
    {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0deleted", "State": "blackhole"},
])
def test_routes_that_stay_inside(route):
    assert route_oracle.ways_out(VPC, [table(route)]) == []


def test_only_local_and_endpoint_routes_is_closed():
    tables = [table(S3_GATEWAY_ENDPOINT), table(table_id="rtb-0main")]
    assert route_oracle.ways_out(VPC, tables) == []


def test_unassociated_tables_count_and_other_vpcs_do_not():
    igw_route = {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0123", "State": "active"}
    found = route_oracle.ways_out(VPC, [
        {"RouteTableId": "rtb-0spare", "VpcId": VPC["VpcId"], "Associations": [], "Routes": [igw_route]},
        table(igw_route, vpc_id="vpc-0other", table_id="rtb-0other"),
    ])
    assert [w.target for w in found] == ["igw-0123"]


@pytest.mark.parametrize(("gateways", "kind"), [
    ({"internet_gateways": [{"InternetGatewayId": "igw-0a", "Attachments": [
        {"VpcId": VPC["VpcId"], "State": "available"}]}]}, "internet gateway"),
    ({"egress_only_internet_gateways": [{"EgressOnlyInternetGatewayId": "eigw-0a", "Attachments": [
        {"VpcId": VPC["VpcId"], "State": "attached"}]}]}, "egress-only internet gateway"),
    ({"nat_gateways": [{"NatGatewayId": "nat-0a", "VpcId": VPC["VpcId"], "State": "available"}]}, "NAT gateway"),
    ({"vpn_gateways": [{"VpnGatewayId": "vgw-0a", "State": "available", "VpcAttachments": [
        {"VpcId": VPC["VpcId"], "State": "attached"}]}]}, "virtual private gateway (VPN)"),
    ({"peering_connections": [{"VpcPeeringConnectionId": "pcx-0a", "Status": {"Code": "active"},
                               "RequesterVpcInfo": {"VpcId": "vpc-0other"},
                               "AccepterVpcInfo": {"VpcId": VPC["VpcId"]}}]}, "VPC peering connection"),
    ({"transit_gateway_attachments": [{"TransitGatewayAttachmentId": "tgw-attach-0a", "TransitGatewayId": "tgw-0a",
                                       "VpcId": VPC["VpcId"], "State": "available"}]}, "transit gateway"),
])
def test_gateways_of_the_vpc_without_a_route(gateways, kind):
    assert [w.kind for w in route_oracle.ways_out(VPC, [table()], **gateways)] == [kind]


@pytest.mark.parametrize("gateways", [
    {"internet_gateways": [{"InternetGatewayId": "igw-0b", "Attachments": [
        {"VpcId": "vpc-0other", "State": "available"}]}]},
    {"internet_gateways": [{"InternetGatewayId": "igw-0c", "Attachments": []}]},
    {"nat_gateways": [{"NatGatewayId": "nat-0b", "VpcId": VPC["VpcId"], "State": "deleted"}]},
    {"peering_connections": [{"VpcPeeringConnectionId": "pcx-0b", "Status": {"Code": "deleted"},
                              "RequesterVpcInfo": {"VpcId": VPC["VpcId"]},
                              "AccepterVpcInfo": {"VpcId": "vpc-0other"}}]},
    {"vpn_gateways": [{"VpnGatewayId": "vgw-0b", "State": "available", "VpcAttachments": [
        {"VpcId": VPC["VpcId"], "State": "detached"}]}]},
])
def test_gateways_elsewhere_or_gone(gateways):
    assert route_oracle.ways_out(VPC, [table()], **gateways) == []

