"""Whether a VPC offers a way out, from its route tables and gateways as the EC2 API describes them.

Fine: ``local`` routes and gateway VPC endpoint routes (a prefix list to ``vpce-``).
A way out: a route to an internet, NAT, egress-only, virtual private (VPN), carrier or
local gateway, a transit gateway, a peering connection, a Cloud WAN core network, a
Gateway Load Balancer endpoint, or an instance/network interface for destinations
outside the VPC's CIDRs (an appliance that forwards onwards, such as a NAT instance);
and, whether routed or not, an internet or egress-only gateway attached to the VPC, a
NAT gateway in it, an attached VPN gateway, an active peering connection or a transit
gateway attachment. Blackhole routes carry nothing. Every route table of the VPC
counts, associated or not: associating one is a single call.
"""

import ipaddress
from dataclasses import dataclass

ROUTE_TARGETS = (
    ("NatGatewayId", "NAT gateway"),
    ("EgressOnlyInternetGatewayId", "egress-only internet gateway"),
    ("TransitGatewayId", "transit gateway"),
    ("VpcPeeringConnectionId", "VPC peering connection"),
    ("CarrierGatewayId", "carrier gateway"),
    ("LocalGatewayId", "local gateway"),
    ("CoreNetworkArn", "Cloud WAN core network"),
)
GATEWAY_PREFIXES = (("igw-", "internet gateway"), ("vgw-", "virtual private gateway (VPN)"))
LIVE_PEERING = {"active", "pending-acceptance", "provisioning"}


@dataclass(frozen=True)
class WayOut:
    kind: str
    target: str
    where: str
    destination: str = ""

    def __str__(self):
        to = f" for {self.destination}" if self.destination else ""
        return f"{self.kind} {self.target}{to} ({self.where})"


def vpc_networks(vpc):
    cidrs = {vpc.get("CidrBlock")}
    cidrs |= {a["CidrBlock"] for a in vpc.get("CidrBlockAssociationSet", ())
              if a.get("CidrBlockState", {}).get("State", "associated") == "associated"}
    cidrs |= {a["Ipv6CidrBlock"] for a in vpc.get("Ipv6CidrBlockAssociationSet", ())
              if a.get("Ipv6CidrBlockState", {}).get("State", "associated") == "associated"}
    return [ipaddress.ip_network(c) for c in cidrs if c]


def _inside(destination, networks):
    network = ipaddress.ip_network(destination)
    return any(network.version == n.version and network.subnet_of(n) for n in networks)


def route_way_out(route, networks, where):
    """The way out a single route offers, or None."""
    if route.get("State") == "blackhole":
        return None
    destination = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock") or ""
    prefix_list = route.get("DestinationPrefixListId", "")
    gateway = route.get("GatewayId", "")
    if gateway == "local":
        return None
    if gateway.startswith("vpce-"):
        if prefix_list:
            return None
        return WayOut("Gateway Load Balancer endpoint", gateway, where, destination)
    for prefix, kind in GATEWAY_PREFIXES:
        if gateway.startswith(prefix):
            return WayOut(kind, gateway, where, destination or prefix_list)
    for field_name, kind in ROUTE_TARGETS:
        if route.get(field_name):
            return WayOut(kind, route[field_name], where, destination or prefix_list)
    appliance = route.get("InstanceId") or route.get("NetworkInterfaceId")
    if appliance:
        if destination and _inside(destination, networks):
            return None
        return WayOut("instance or network interface", appliance, where, destination or prefix_list)
    if gateway:
        return WayOut("unrecognised gateway", gateway, where, destination or prefix_list)
    return None


def ways_out(vpc, route_tables, internet_gateways=(), egress_only_internet_gateways=(), nat_gateways=(),
             vpn_gateways=(), peering_connections=(), transit_gateway_attachments=()):
    """Every way out of ``vpc`` (a ``DescribeVpcs`` item) offered by the other arguments (``Describe*`` items)."""
    vpc_id = vpc["VpcId"]
    networks = vpc_networks(vpc)
    found = []
    for table in route_tables:
        if table.get("VpcId") != vpc_id:
            continue
        for route in table.get("Routes", ()):
            way = route_way_out(route, networks, f"route table {table['RouteTableId']}")
            if way:
                found.append(way)
    for gateway in internet_gateways:
        if any(a.get("VpcId") == vpc_id and a.get("State") in ("attached", "available", "attaching")
               for a in gateway.get("Attachments", ())):
            found.append(WayOut("internet gateway", gateway["InternetGatewayId"], "attached to the VPC"))
    for gateway in egress_only_internet_gateways:
        if any(a.get("VpcId") == vpc_id and a.get("State") in ("attached", "attaching")
               for a in gateway.get("Attachments", ())):
            found.append(WayOut("egress-only internet gateway", gateway["EgressOnlyInternetGatewayId"],
                                "attached to the VPC"))
    for gateway in nat_gateways:
        if gateway.get("VpcId") == vpc_id and gateway.get("State") in ("pending", "available"):
            found.append(WayOut("NAT gateway", gateway["NatGatewayId"], "in the VPC"))
    for gateway in vpn_gateways:
        if gateway.get("State") != "deleted" and any(
                a.get("VpcId") == vpc_id and a.get("State") in ("attached", "attaching")
                for a in gateway.get("VpcAttachments", ())):
            found.append(WayOut("virtual private gateway (VPN)", gateway["VpnGatewayId"], "attached to the VPC"))
    for peering in peering_connections:
        ends = {peering.get("RequesterVpcInfo", {}).get("VpcId"), peering.get("AccepterVpcInfo", {}).get("VpcId")}
        if vpc_id in ends and peering.get("Status", {}).get("Code") in LIVE_PEERING:
            found.append(WayOut("VPC peering connection", peering["VpcPeeringConnectionId"], "with the VPC"))
    for attachment in transit_gateway_attachments:
        if attachment.get("VpcId") == vpc_id and attachment.get("State") not in ("deleted", "deleting", "failed",
                                                                                  "rejected"):
            found.append(WayOut("transit gateway", attachment.get("TransitGatewayId", ""),
                                f"attachment {attachment.get('TransitGatewayAttachmentId', '')}"))
    return found
