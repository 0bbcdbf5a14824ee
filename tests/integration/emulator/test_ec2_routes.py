"""Contract tests of what the perimeter checks read from a VPC: route targets and route-table
filters, flow logs and DHCP options, driven through boto3."""

import pytest
from botocore.exceptions import ClientError

from support.contract import call

REGION = "eu-west-1"


@pytest.fixture
def ec2(aws):
    return aws("ec2")




@pytest.fixture
def routed(ec2):
    """A route table with a route to every kind of target that leads out of a VPC."""
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    peer = ec2.create_vpc(CidrBlock="10.51.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.1.0/24")["Subnet"]["SubnetId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    eigw = ec2.create_egress_only_internet_gateway(VpcId=vpc)["EgressOnlyInternetGateway"][
        "EgressOnlyInternetGatewayId"
    ]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer)["VpcPeeringConnection"][
        "VpcPeeringConnectionId"
    ]
    tgw = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    ec2.attach_vpn_gateway(VpnGatewayId=vgw, VpcId=vpc)
    vpce = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.s3", RouteTableIds=[table])[
        "VpcEndpoint"
    ]["VpcEndpointId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.create_route(RouteTableId=table, DestinationIpv6CidrBlock="::/0", EgressOnlyInternetGatewayId=eigw)
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="172.16.0.0/16", NatGatewayId=nat)
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="10.51.0.0/16", VpcPeeringConnectionId=pcx)
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="172.17.0.0/16", TransitGatewayId=tgw)
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="172.18.0.0/16", GatewayId=vgw)
    return {"vpc": vpc, "table": table, "igw": igw, "eigw": eigw, "nat": nat, "pcx": pcx, "tgw": tgw, "vgw": vgw,
            "vpce": vpce}


def test_each_route_names_its_target_as_aws_does(ec2, routed):
    table = call(ec2, "describe_route_tables", RouteTableIds=[routed["table"]])["RouteTables"][0]
    targets = {
        r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock") or r.get("DestinationPrefixListId"): {
            k: v for k, v in r.items() if k.endswith("Id") and not k.startswith("Destination")
        }
        for r in table["Routes"]
    }
    prefix_list = next(r["DestinationPrefixListId"] for r in table["Routes"] if "DestinationPrefixListId" in r)
    assert targets == {
        "10.50.0.0/16": {"GatewayId": "local"},
        "0.0.0.0/0": {"GatewayId": routed["igw"]},
        "::/0": {"EgressOnlyInternetGatewayId": routed["eigw"]},
        "172.16.0.0/16": {"NatGatewayId": routed["nat"]},
        "10.51.0.0/16": {"VpcPeeringConnectionId": routed["pcx"]},
        "172.17.0.0/16": {"TransitGatewayId": routed["tgw"]},
        "172.18.0.0/16": {"GatewayId": routed["vgw"]},
        prefix_list: {"GatewayId": routed["vpce"]},
    }
    local = next(r for r in table["Routes"] if r.get("GatewayId") == "local")
    assert (local["Origin"], local["State"]) == ("CreateRouteTable", "active")


@pytest.mark.parametrize("filter_name, target", [
    ("route.gateway-id", "igw"),
    ("route.gateway-id", "vgw"),
    ("route.gateway-id", "vpce"),
    ("route.egress-only-internet-gateway-id", "eigw"),
    ("route.nat-gateway-id", "nat"),
    ("route.vpc-peering-connection-id", "pcx"),
    ("route.transit-gateway-id", "tgw"),
])
def test_route_table_filters_find_each_target(ec2, routed, filter_name, target):
    answer = call(ec2, "describe_route_tables", Filters=[{"Name": filter_name, "Values": [routed[target]]}])
    assert [t["RouteTableId"] for t in answer["RouteTables"]] == [routed["table"]]


def test_route_table_filters_on_destinations_and_origin(ec2, routed):
    def tables(name, value):
        filters = [{"Name": "vpc-id", "Values": [routed["vpc"]]}, {"Name": name, "Values": [value]}]
        return [t["RouteTableId"] for t in call(ec2, "describe_route_tables", Filters=filters)["RouteTables"]]

    assert tables("route.destination-ipv6-cidr-block", "::/0") == [routed["table"]]
    table = ec2.describe_route_tables(RouteTableIds=[routed["table"]])["RouteTables"][0]
    prefix_list = next(r["DestinationPrefixListId"] for r in table["Routes"] if "DestinationPrefixListId" in r)
    assert tables("route.destination-prefix-list-id", prefix_list) == [routed["table"]]
    assert routed["table"] in tables("route.origin", "CreateRoute")
    assert tables("route.gateway-id", "igw-0000000000000000f") == []


def test_flow_log_to_an_s3_folder(ec2, aws, account_id):
    bucket = f"flow-logs-{account_id}"
    aws("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    vpc = ec2.create_vpc(CidrBlock="10.52.0.0/16")["Vpc"]["VpcId"]
    destination = f"arn:aws:s3:::{bucket}/sagemaker-vpc/"
    created = call(ec2, "create_flow_logs", ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                   LogDestinationType="s3", LogDestination=destination)
    assert created["Unsuccessful"] == [] and len(created["FlowLogIds"]) == 1
    [flow_log] = call(ec2, "describe_flow_logs", Filters=[{"Name": "resource-id", "Values": [vpc]}])["FlowLogs"]
    assert (flow_log["LogDestination"], flow_log["LogDestinationType"]) == (destination, "s3")
    assert (flow_log["TrafficType"], flow_log["FlowLogStatus"]) == ("ALL", "ACTIVE")
    with pytest.raises(ClientError) as raised:
        ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogDestinationType="s3",
                             LogDestination=destination)
    assert raised.value.response["Error"]["Code"] == "FlowLogAlreadyExists"
    assert len(ec2.describe_flow_logs()["FlowLogs"]) == 1


def test_flow_log_to_a_missing_bucket_is_unsuccessful(ec2, account_id):
    vpc = ec2.create_vpc(CidrBlock="10.53.0.0/16")["Vpc"]["VpcId"]
    created = call(ec2, "create_flow_logs", ResourceIds=[vpc], ResourceType="VPC", TrafficType="REJECT",
                   LogDestinationType="s3", LogDestination=f"arn:aws:s3:::missing-{account_id}/folder/")
    assert created["FlowLogIds"] == [] and created["Unsuccessful"][0]["ResourceId"] == vpc
    assert ec2.describe_flow_logs()["FlowLogs"] == []


def test_flow_log_to_cloudwatch_round_trips(ec2, aws, account_id):
    aws("logs").create_log_group(logGroupName="/vpc/sagemaker")
    vpc = ec2.create_vpc(CidrBlock="10.54.0.0/16")["Vpc"]["VpcId"]
    role = f"arn:aws:iam::{account_id}:role/flow-logs"
    flow_log_id = call(ec2, "create_flow_logs", ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                       LogGroupName="/vpc/sagemaker", DeliverLogsPermissionArn=role,
                       MaxAggregationInterval=60)["FlowLogIds"][0]
    [flow_log] = call(ec2, "describe_flow_logs", FlowLogIds=[flow_log_id])["FlowLogs"]
    assert flow_log["LogGroupName"] == "/vpc/sagemaker"
    assert flow_log["DeliverLogsPermissionArn"] == role
    assert flow_log["LogDestinationType"] == "cloud-watch-logs"
    assert (flow_log["MaxAggregationInterval"], flow_log["DeliverLogsStatus"]) == (60, "SUCCESS")


def test_dhcp_options_associated_with_a_vpc(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.55.0.0/16")["Vpc"]["VpcId"]
    options = call(ec2, "create_dhcp_options", DhcpConfigurations=[
        {"Key": "domain-name-servers", "Values": ["AmazonProvidedDNS"]},
        {"Key": "domain-name", "Values": [f"{REGION}.compute.internal"]},
    ])["DhcpOptions"]
    ec2.associate_dhcp_options(DhcpOptionsId=options["DhcpOptionsId"], VpcId=vpc)
    assert call(ec2, "describe_vpcs", VpcIds=[vpc])["Vpcs"][0]["DhcpOptionsId"] == options["DhcpOptionsId"]
    [read] = call(ec2, "describe_dhcp_options", DhcpOptionsIds=[options["DhcpOptionsId"]])["DhcpOptions"]
    assert {c["Key"]: [v["Value"] for v in c["Values"]] for c in read["DhcpConfigurations"]} == {
        "domain-name-servers": ["AmazonProvidedDNS"], "domain-name": [f"{REGION}.compute.internal"],
    }
