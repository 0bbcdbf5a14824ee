"""Contract tests of what EC2 refuses to delete while something depends on it, and of what deleting a
NAT gateway leaves, driven through boto3 in the order a teardown must follow."""

import pytest

from support.contract import call, refused

REGION = "eu-west-1"


@pytest.fixture
def ec2(aws):
    return aws("ec2")


@pytest.fixture
def network(ec2):
    """A VPC with an attached internet gateway, a NAT gateway on an Elastic IP, a security group and an
    interface endpoint using it."""
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.60.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.60.2.0/24", AvailabilityZone=f"{REGION}a")["Subnet"][
        "SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    address = ec2.allocate_address(Domain="vpc")
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=address["AllocationId"])["NatGateway"]["NatGatewayId"]
    group = ec2.create_security_group(GroupName="endpoints", Description="endpoints", VpcId=vpc)["GroupId"]
    endpoint = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.sts", VpcEndpointType="Interface",
        SubnetIds=[private], SecurityGroupIds=[group],
    )["VpcEndpoint"]["VpcEndpointId"]
    return {"vpc": vpc, "public": public, "private": private, "igw": igw, "nat": nat, "group": group,
            "endpoint": endpoint, "allocation": address["AllocationId"], "ip": address["PublicIp"]}


def test_nothing_a_resource_still_needs_can_be_deleted(ec2, network):
    refused(ec2, "DeleteVpc", "DependencyViolation", network["vpc"], VpcId=network["vpc"])
    refused(ec2, "DeleteSubnet", "DependencyViolation", network["private"], SubnetId=network["private"])
    refused(ec2, "DeleteSubnet", "DependencyViolation", network["public"], SubnetId=network["public"])
    refused(ec2, "DeleteSecurityGroup", "DependencyViolation", network["group"], GroupId=network["group"])
    refused(ec2, "ReleaseAddress", "InvalidIPAddress.InUse", network["ip"], AllocationId=network["allocation"])
    refused(ec2, "DetachInternetGateway", "DependencyViolation", "mapped public address",
            InternetGatewayId=network["igw"], VpcId=network["vpc"])
    assert ec2.describe_vpcs(VpcIds=[network["vpc"]])["Vpcs"]
    assert ec2.describe_addresses(AllocationIds=[network["allocation"]])["Addresses"][0]["AssociationId"]


def test_deleting_a_nat_gateway_disassociates_its_elastic_ip_and_keeps_it_allocated(ec2, network):
    call(ec2, "delete_nat_gateway", NatGatewayId=network["nat"])
    (address,) = call(ec2, "describe_addresses", AllocationIds=[network["allocation"]])["Addresses"]
    assert not address.get("AssociationId") and not address.get("NetworkInterfaceId")
    (nat,) = call(ec2, "describe_nat_gateways", NatGatewayIds=[network["nat"]])["NatGateways"]
    assert nat["State"] == "deleted"
    call(ec2, "release_address", AllocationId=network["allocation"])
    assert ec2.describe_addresses(Filters=[{"Name": "allocation-id", "Values": [network["allocation"]]}])[
        "Addresses"] == []


def test_in_the_right_order_everything_goes(ec2, network):
    call(ec2, "delete_vpc_endpoints", VpcEndpointIds=[network["endpoint"]])
    call(ec2, "delete_security_group", GroupId=network["group"])
    call(ec2, "delete_nat_gateway", NatGatewayId=network["nat"])
    call(ec2, "release_address", AllocationId=network["allocation"])
    call(ec2, "detach_internet_gateway", InternetGatewayId=network["igw"], VpcId=network["vpc"])
    call(ec2, "delete_internet_gateway", InternetGatewayId=network["igw"])
    call(ec2, "delete_subnet", SubnetId=network["private"])
    call(ec2, "delete_subnet", SubnetId=network["public"])
    call(ec2, "delete_vpc", VpcId=network["vpc"])
    assert ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [network["vpc"]]}])["Vpcs"] == []
