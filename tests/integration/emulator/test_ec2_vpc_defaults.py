"""VPC defaults as AWS has them: the Region default DHCP options, and tag resource types."""

import pytest
from botocore.exceptions import ClientError

from support.shapes import assert_output_shape


def _options(ec2, vpc_id):
    options_id = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["DhcpOptionsId"]
    answer = ec2.describe_dhcp_options(DhcpOptionsIds=[options_id])
    assert_output_shape(ec2, "DescribeDhcpOptions", answer)
    (options,) = answer["DhcpOptions"]
    return options_id, {c["Key"]: [v["Value"] for v in c["Values"]] for c in options["DhcpConfigurations"]}


def test_a_new_vpc_uses_the_region_default_amazon_provided_dns(aws):
    ec2 = aws("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    options_id, configuration = _options(ec2, vpc_id)
    assert options_id.startswith("dopt-")
    assert configuration == {
        "domain-name-servers": ["AmazonProvidedDNS"],
        "domain-name": ["eu-west-1.compute.internal"],
    }


def test_vpcs_share_the_default_set_and_deleting_one_keeps_it(aws):
    ec2 = aws("ec2")
    first = ec2.create_vpc(CidrBlock="10.31.0.0/16")["Vpc"]["VpcId"]
    second = ec2.create_vpc(CidrBlock="10.32.0.0/16")["Vpc"]["VpcId"]
    shared, _ = _options(ec2, first)
    assert _options(ec2, second)[0] == shared
    ec2.delete_vpc(VpcId=first)
    assert _options(ec2, second)[0] == shared


def test_a_set_in_use_cannot_be_deleted_and_default_disassociates(aws):
    ec2 = aws("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.33.0.0/16")["Vpc"]["VpcId"]
    custom = ec2.create_dhcp_options(
        DhcpConfigurations=[{"Key": "domain-name-servers", "Values": ["10.0.0.2"]}]
    )["DhcpOptions"]["DhcpOptionsId"]
    ec2.associate_dhcp_options(DhcpOptionsId=custom, VpcId=vpc_id)
    assert _options(ec2, vpc_id)[1] == {"domain-name-servers": ["10.0.0.2"]}
    with pytest.raises(ClientError) as raised:
        ec2.delete_dhcp_options(DhcpOptionsId=custom)
    assert raised.value.response["Error"]["Code"] == "DependencyViolation"
    ec2.associate_dhcp_options(DhcpOptionsId="default", VpcId=vpc_id)
    assert ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["DhcpOptionsId"] == "default"
    ec2.delete_dhcp_options(DhcpOptionsId=custom)


def test_describe_tags_names_resource_types_as_aws_does_and_filters_on_them(aws):
    ec2 = aws("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.34.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.34.0.0/24")["Subnet"]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat_id = ec2.create_nat_gateway(SubnetId=subnet_id, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    ec2.create_tags(Resources=[nat_id, allocation], Tags=[{"Key": "mlperimeter:managed", "Value": "true"}])
    answer = ec2.describe_tags(Filters=[{"Name": "resource-type", "Values": ["natgateway"]}])
    assert_output_shape(ec2, "DescribeTags", answer)
    assert [(t["ResourceId"], t["ResourceType"]) for t in answer["Tags"]] == [(nat_id, "natgateway")]
    answer = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [allocation]}])
    assert [t["ResourceType"] for t in answer["Tags"]] == ["elastic-ip"]
