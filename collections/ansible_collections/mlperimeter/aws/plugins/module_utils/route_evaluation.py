"""Route analysis: every way out of a VPC, from its route tables and gateways as EC2 describes them.

A route leaves the VPC when it targets an internet, NAT, egress-only, virtual private (VPN),
carrier or local gateway, a transit gateway, a peering connection, a Cloud WAN core network, a
Gateway Load Balancer endpoint (a ``vpce-`` target for a CIDR), or an instance or network interface
for a destination outside the VPC's CIDRs (an appliance such as a NAT instance forwards onwards).
``local`` routes, gateway endpoint routes (a ``vpce-`` target for a prefix list) and blackhole
routes do not. Routes to prefix lists count like routes to CIDRs. Every route table of the VPC
counts, associated or not: associating one is a single call. Whether routed or not, a gateway
already attached to the VPC (internet, egress-only, VPN), a NAT gateway in it, a live peering
connection or a transit gateway attachment is a way out a single route would open.
"""

import ipaddress
from dataclasses import dataclass

# Route fields naming a target that leaves the VPC, with what to call it.
ROUTE_TARGET_FIELDS = (
    ("NatGatewayId", "NAT gateway"),
    ("EgressOnlyInternetGatewayId", "egress-only internet gateway"),
    ("TransitGatewayId", "transit gateway"),
    ("VpcPeeringConnectionId", "VPC peering connection"),
    ("CarrierGatewayId", "carrier gateway"),
    ("LocalGatewayId", "local gateway"),
    ("CoreNetworkArn", "Cloud WAN core network"),
)
GATEWAY_KINDS = {"igw-": "internet gateway", "vgw-": "virtual private gateway (VPN)"}
LIVE_PEERING_STATES = ("active", "pending-acceptance", "provisioning")
GONE_ATTACHMENT_STATES = ("deleted", "deleting", "failed", "rejected")


@dataclass(frozen=True)
class WayOut:
    kind: str
    target: str
    where: str
    destination: str = ""

    def __str__(self):
        destination = f" for {self.destination}" if self.destination else ""
        return f"{self.kind} {self.target}{destination} ({self.where})"


def vpc_cidrs(vpc):
    """The IPv4 and IPv6 networks associated with a ``DescribeVpcs`` item."""
    blocks = {vpc.get("CidrBlock")}
    for association in vpc.get("CidrBlockAssociationSet", ()):
        if association.get("CidrBlockState", {}).get("State", "associated") == "associated":
            blocks.add(association["CidrBlock"])
    for association in vpc.get("Ipv6CidrBlockAssociationSet", ()):
        if association.get("Ipv6CidrBlockState", {}).get("State", "associated") == "associated":
            blocks.add(association["Ipv6CidrBlock"])
    return [ipaddress.ip_network(block) for block in blocks if block]


def _within(destination, networks):
    destination = ipaddress.ip_network(destination)
    return any(destination.version == network.version and destination.subnet_of(network) for network in networks)


def route_leaves(route, networks, where):
    """The :class:`WayOut` one route offers, or None."""
    if route.get("State") == "blackhole":
        return None
    cidr = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock") or ""
    destination = cidr or route.get("DestinationPrefixListId", "")
    gateway = route.get("GatewayId") or ""
    if gateway == "local":
        return None
    if gateway.startswith("vpce-"):
        if route.get("DestinationPrefixListId"):
            return None
        return WayOut("Gateway Load Balancer endpoint", gateway, where, destination)
    for prefix, kind in GATEWAY_KINDS.items():
        if gateway.startswith(prefix):
            return WayOut(kind, gateway, where, destination)
    for field, kind in ROUTE_TARGET_FIELDS:
        if route.get(field):
            return WayOut(kind, route[field], where, destination)
    appliance = route.get("InstanceId") or route.get("NetworkInterfaceId")
    if appliance:
        if cidr and _within(cidr, networks):
            return None
        return WayOut("instance or network interface", appliance, where, destination)
    if gateway:
        return WayOut("unrecognised gateway", gateway, where, destination)
    return None


def _attached(attachments, vpc_id, states):
    return any(a.get("VpcId") == vpc_id and a.get("State") in states for a in attachments or ())


def ways_out(vpc, route_tables, internet_gateways=(), egress_only_internet_gateways=(), nat_gateways=(),
             vpn_gateways=(), peering_connections=(), transit_gateway_attachments=()):
    """Every way out of ``vpc`` (a ``DescribeVpcs`` item) that the ``Describe*`` items given offer."""
    vpc_id = vpc["VpcId"]
    networks = vpc_cidrs(vpc)
    found = []
    for table in route_tables:
        if table.get("VpcId") != vpc_id:
            continue
        where = f"route table {table['RouteTableId']}"
        found += [way for route in table.get("Routes", ()) if (way := route_leaves(route, networks, where))]
    found += [WayOut("internet gateway", gateway["InternetGatewayId"], "attached to the VPC")
              for gateway in internet_gateways
              if _attached(gateway.get("Attachments"), vpc_id, ("attached", "available", "attaching"))]
    found += [WayOut("egress-only internet gateway", gateway["EgressOnlyInternetGatewayId"], "attached to the VPC")
              for gateway in egress_only_internet_gateways
              if _attached(gateway.get("Attachments"), vpc_id, ("attached", "attaching"))]
    found += [WayOut("NAT gateway", gateway["NatGatewayId"], "in the VPC")
              for gateway in nat_gateways
              if gateway.get("VpcId") == vpc_id and gateway.get("State") in ("pending", "available")]
    found += [WayOut("virtual private gateway (VPN)", gateway["VpnGatewayId"], "attached to the VPC")
              for gateway in vpn_gateways
              if gateway.get("State") != "deleted"
              and _attached(gateway.get("VpcAttachments"), vpc_id, ("attached", "attaching"))]
    for peering in peering_connections:
        ends = (peering.get("RequesterVpcInfo", {}).get("VpcId"), peering.get("AccepterVpcInfo", {}).get("VpcId"))
        if vpc_id in ends and peering.get("Status", {}).get("Code") in LIVE_PEERING_STATES:
            found.append(WayOut("VPC peering connection", peering["VpcPeeringConnectionId"], "with the VPC"))
    found += [WayOut("transit gateway", attachment.get("TransitGatewayId", ""),
                     f"attachment {attachment.get('TransitGatewayAttachmentId', '')}")
              for attachment in transit_gateway_attachments
              if attachment.get("VpcId") == vpc_id and attachment.get("State") not in GONE_ATTACHMENT_STATES]
    return found
