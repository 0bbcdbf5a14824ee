"""Contract tests of the emulator's VPC endpoints: types, default and custom policies,
ModifyVpcEndpoint, the checks AWS makes, and DescribeVpcEndpointServices, driven through boto3."""

import json

import pytest
from botocore.exceptions import ClientError

from support.shapes import output_shape_errors

REGION = "eu-west-1"
GATEWAY_DEFAULT = (
    '{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}'
)
INTERFACE_DEFAULT = (
    '{\n  "Statement": [\n    {\n      "Action": "*", \n      "Effect": "Allow", \n'
    '      "Principal": "*", \n      "Resource": "*"\n    }\n  ]\n}'
)
ORG_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abcdef1234"}},
    }],
}


def service(name):
    return f"com.amazonaws.{REGION}.{name}"


@pytest.fixture
def ec2(aws):
    return aws("ec2")


@pytest.fixture
def vpc(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in ((1, "a"), (2, "b"), (3, "a"))
    ]
    route_tables = [ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"] for _ in range(2)]
    group = ec2.create_security_group(VpcId=vpc_id, GroupName="endpoints", Description="443 from Studio")["GroupId"]
    return {"id": vpc_id, "subnets": subnets, "route_tables": route_tables, "group": group}


def call(client, method, **kwargs):
    """Call ``method`` and check the answer against botocore's output shape.

    AWS sends VPC endpoint states in lower case ("available", "pending"), as its own CLI
    examples show, although the model's enum is capitalised: that one difference is allowed.
    """
    response = getattr(client, method)(**kwargs)
    errors = [
        e for e in output_shape_errors(client, client.meta.method_to_api_mapping[method], response)
        if not (".State: 'available'" in e and "'Available'" in e)
    ]
    assert not errors, "answer does not match botocore's output shape:\n" + "\n".join(errors)
    return response


def error(client, method, **kwargs):
    with pytest.raises(ClientError) as raised:
        getattr(client, method)(**kwargs)
    return raised.value.response["Error"]


def gateway(ec2, vpc, **kwargs):
    return call(ec2, "create_vpc_endpoint", VpcId=vpc["id"], ServiceName=service("s3"),
                RouteTableIds=vpc["route_tables"][:1], **kwargs)["VpcEndpoint"]


def interface(ec2, vpc, name="sagemaker.api", **kwargs):
    kwargs.setdefault("SubnetIds", vpc["subnets"][:1])
    return call(ec2, "create_vpc_endpoint", VpcId=vpc["id"], ServiceName=service(name), VpcEndpointType="Interface",
                **kwargs)["VpcEndpoint"]


def described(ec2, endpoint_id):
    return call(ec2, "describe_vpc_endpoints", VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0]


def routes_to(ec2, route_table_id, endpoint_id):
    table = call(ec2, "describe_route_tables", RouteTableIds=[route_table_id])["RouteTables"][0]
    return [r for r in table["Routes"] if r.get("GatewayId") == endpoint_id]


def test_endpoint_without_type_is_a_gateway_with_the_gateway_default_policy(ec2, vpc):
    endpoint = described(ec2, gateway(ec2, vpc)["VpcEndpointId"])
    assert endpoint["VpcEndpointType"] == "Gateway"
    assert endpoint["PolicyDocument"] == GATEWAY_DEFAULT
    assert endpoint["PrivateDnsEnabled"] is False
    assert endpoint["RouteTableIds"] == vpc["route_tables"][:1]
    assert endpoint["Groups"] == []


def test_interface_endpoint_default_policy_dns_and_security_group(ec2, vpc):
    endpoint = described(ec2, interface(ec2, vpc)["VpcEndpointId"])
    assert endpoint["PolicyDocument"] == INTERFACE_DEFAULT
    assert json.loads(endpoint["PolicyDocument"]) == {
        "Statement": [{"Action": "*", "Effect": "Allow", "Principal": "*", "Resource": "*"}]
    }
    assert endpoint["PrivateDnsEnabled"] is True
    default_group = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc["id"]]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    assert [g["GroupId"] for g in endpoint["Groups"]] == [default_group]
    assert len(endpoint["NetworkInterfaceIds"]) == 1


def test_create_keeps_the_policy_document_sent(ec2, vpc):
    endpoint = interface(ec2, vpc, PolicyDocument=json.dumps(ORG_ONLY, indent=4), PrivateDnsEnabled=False,
                         SecurityGroupIds=[vpc["group"]])
    read = described(ec2, endpoint["VpcEndpointId"])
    assert json.loads(read["PolicyDocument"]) == ORG_ONLY
    assert read["PrivateDnsEnabled"] is False
    assert [g["GroupId"] for g in read["Groups"]] == [vpc["group"]]


def test_modify_replaces_the_policy(ec2, vpc):
    endpoint_id = gateway(ec2, vpc)["VpcEndpointId"]
    assert call(ec2, "modify_vpc_endpoint", VpcEndpointId=endpoint_id, PolicyDocument=json.dumps(ORG_ONLY))["Return"]
    assert json.loads(described(ec2, endpoint_id)["PolicyDocument"]) == ORG_ONLY
    narrower = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}
    ]}
    call(ec2, "modify_vpc_endpoint", VpcEndpointId=endpoint_id, PolicyDocument=json.dumps(narrower))
    assert json.loads(described(ec2, endpoint_id)["PolicyDocument"]) == narrower


def test_reset_policy_restores_the_default_of_the_endpoint_type(ec2, vpc):
    gateway_id = gateway(ec2, vpc, PolicyDocument=json.dumps(ORG_ONLY))["VpcEndpointId"]
    interface_id = interface(ec2, vpc, PolicyDocument=json.dumps(ORG_ONLY))["VpcEndpointId"]
    call(ec2, "modify_vpc_endpoint", VpcEndpointId=gateway_id, ResetPolicy=True)
    call(ec2, "modify_vpc_endpoint", VpcEndpointId=interface_id, ResetPolicy=True)
    assert described(ec2, gateway_id)["PolicyDocument"] == GATEWAY_DEFAULT
    assert described(ec2, interface_id)["PolicyDocument"] == INTERFACE_DEFAULT


def test_reset_policy_and_policy_document_together_are_refused(ec2, vpc):
    endpoint_id = gateway(ec2, vpc)["VpcEndpointId"]
    answer = error(ec2, "modify_vpc_endpoint", VpcEndpointId=endpoint_id, ResetPolicy=True,
                   PolicyDocument=json.dumps(ORG_ONLY))
    assert answer["Code"] == "InvalidParameterCombination"
    assert "ResetPolicy" in answer["Message"] and "PolicyDocument" in answer["Message"]
    assert described(ec2, endpoint_id)["PolicyDocument"] == GATEWAY_DEFAULT


@pytest.mark.parametrize("method", ["create", "modify"])
def test_policy_that_is_not_json_is_refused(ec2, vpc, method):
    if method == "create":
        answer = error(ec2, "create_vpc_endpoint", VpcId=vpc["id"], ServiceName=service("s3"),
                       PolicyDocument='{"Statement": [')
        assert ec2.describe_vpc_endpoints()["VpcEndpoints"] == []
    else:
        endpoint_id = gateway(ec2, vpc)["VpcEndpointId"]
        answer = error(ec2, "modify_vpc_endpoint", VpcEndpointId=endpoint_id, PolicyDocument="{not json")
        assert described(ec2, endpoint_id)["PolicyDocument"] == GATEWAY_DEFAULT
    assert answer["Code"] == "InvalidPolicyDocument"
    assert "Policy Document" in answer["Message"]


def padded(length):
    """A valid policy document of exactly ``length`` characters, padded with white space."""
    text = json.dumps(ORG_ONLY)
    return text[:-1] + " " * (length - len(text)) + "}"


def test_policy_length_limit_counts_white_space(ec2, vpc):
    endpoint_id = gateway(ec2, vpc)["VpcEndpointId"]
    call(ec2, "modify_vpc_endpoint", VpcEndpointId=endpoint_id, PolicyDocument=padded(20480))
    assert json.loads(described(ec2, endpoint_id)["PolicyDocument"]) == ORG_ONLY
    call(ec2, "modify_vpc_endpoint", VpcEndpointId=endpoint_id, ResetPolicy=True)
    answer = error(ec2, "modify_vpc_endpoint", VpcEndpointId=endpoint_id, PolicyDocument=padded(20481))
    assert answer["Code"] == "InvalidPolicyDocument"
    assert "20480" in answer["Message"]
    assert described(ec2, endpoint_id)["PolicyDocument"] == GATEWAY_DEFAULT


def test_modify_adds_and_removes_subnets_with_their_network_interfaces(ec2, vpc):
    endpoint_id = interface(ec2, vpc)["VpcEndpointId"]
    first_eni = described(ec2, endpoint_id)["NetworkInterfaceIds"]
    call(ec2, "modify_vpc_endpoint", VpcEndpointId=endpoint_id, AddSubnetIds=[vpc["subnets"][1]])
    endpoint = described(ec2, endpoint_id)
    assert endpoint["SubnetIds"] == vpc["subnets"][:2]
    assert len(endpoint["NetworkInterfaceIds"]) == 2
    enis = ec2.describe_network_interfaces(NetworkInterfaceIds=endpoint["NetworkInterfaceIds"])["NetworkInterfaces"]
    assert sorted(e["SubnetId"] for e in enis) == sorted(vpc["subnets"][:2])
    call(ec2, "modify_vpc_endpoint", VpcEndpointId=endpoint_id, RemoveSubnetIds=[vpc["subnets"][0]])
    endpoint = described(ec2, endpoint_id)
    assert endpoint["SubnetIds"] == [vpc["subnets"][1]]
    assert first_eni[0] not in endpoint["NetworkInterfaceIds"] and len(endpoint["NetworkInterfaceIds"]) == 1


def test_one_subnet_per_availability_zone(ec2, vpc):
    endpoint_id = interface(ec2, vpc)["VpcEndpointId"]
    answer = error(ec2, "modify_vpc_endpoint", VpcEndpointId=endpoint_id, AddSubnetIds=[vpc["subnets"][2]])
    assert answer["Code"] == "DuplicateSubnetsInSameZone"
    assert vpc["subnets"][2] in answer["Message"]
    assert described(ec2, endpoint_id)["SubnetIds"] == vpc["subnets"][:1]


def test_modify_adds_and_removes_security_groups(ec2, vpc):
    endpoint_id = interface(ec2, vpc)["VpcEndpointId"]
    default_group = described(ec2, endpoint_id)["Groups"][0]["GroupId"]
    call(ec2, "modify_vpc_endpoint", VpcEndpointId=endpoint_id, AddSecurityGroupIds=[vpc["group"]],
         RemoveSecurityGroupIds=[default_group])
    assert [g["GroupId"] for g in described(ec2, endpoint_id)["Groups"]] == [vpc["group"]]
    answer = error(ec2, "modify_vpc_endpoint", VpcEndpointId=endpoint_id, RemoveSecurityGroupIds=[vpc["group"]])
    assert answer["Code"] == "InvalidParameter" and "Security Group" in answer["Message"]
    answer = error(ec2, "modify_vpc_endpoint", VpcEndpointId=endpoint_id, AddSecurityGroupIds=["sg-0000000000000000f"])
    assert answer["Code"] == "InvalidGroup.NotFound"
    assert [g["GroupId"] for g in described(ec2, endpoint_id)["Groups"]] == [vpc["group"]]


def test_modify_adds_and_removes_route_tables_with_their_routes(ec2, vpc):
    endpoint_id = gateway(ec2, vpc)["VpcEndpointId"]
    first, second = vpc["route_tables"]
    assert len(routes_to(ec2, first, endpoint_id)) == 1
    call(ec2, "modify_vpc_endpoint", VpcEndpointId=endpoint_id, AddRouteTableIds=[second], RemoveRouteTableIds=[first])
    assert described(ec2, endpoint_id)["RouteTableIds"] == [second]
    assert routes_to(ec2, first, endpoint_id) == []
    [route] = routes_to(ec2, second, endpoint_id)
    assert route["DestinationPrefixListId"].startswith("pl-")


def test_modify_private_dns_on_interface_endpoints_only(ec2, vpc):
    interface_id = interface(ec2, vpc, name="console")["VpcEndpointId"]
    call(ec2, "modify_vpc_endpoint", VpcEndpointId=interface_id, PrivateDnsEnabled=False)
    assert described(ec2, interface_id)["PrivateDnsEnabled"] is False
    call(ec2, "modify_vpc_endpoint", VpcEndpointId=interface_id, PrivateDnsEnabled=True)
    assert described(ec2, interface_id)["PrivateDnsEnabled"] is True
    gateway_id = gateway(ec2, vpc)["VpcEndpointId"]
    answer = error(ec2, "modify_vpc_endpoint", VpcEndpointId=gateway_id, PrivateDnsEnabled=True)
    assert answer["Code"] == "InvalidParameter" and "PrivateDnsEnabled" in answer["Message"]


def test_route_tables_are_for_gateway_endpoints_only(ec2, vpc):
    answer = error(ec2, "create_vpc_endpoint", VpcId=vpc["id"], ServiceName=service("sts"),
                   VpcEndpointType="Interface", SubnetIds=vpc["subnets"][:1], RouteTableIds=vpc["route_tables"][:1])
    assert answer == {"Code": "InvalidParameter",
                      "Message": "Route table IDs are only supported for Gateway type VPC Endpoint."}
    endpoint_id = interface(ec2, vpc)["VpcEndpointId"]
    answer = error(ec2, "modify_vpc_endpoint", VpcEndpointId=endpoint_id, AddRouteTableIds=vpc["route_tables"][:1])
    assert answer["Code"] == "InvalidParameter" and "Route table" in answer["Message"]
    assert described(ec2, endpoint_id)["RouteTableIds"] == []


def test_subnets_and_security_groups_are_not_for_gateway_endpoints(ec2, vpc):
    answer = error(ec2, "create_vpc_endpoint", VpcId=vpc["id"], ServiceName=service("s3"),
                   SubnetIds=vpc["subnets"][:1])
    assert answer["Code"] == "InvalidParameter" and "Subnet IDs" in answer["Message"]
    endpoint_id = gateway(ec2, vpc)["VpcEndpointId"]
    answer = error(ec2, "modify_vpc_endpoint", VpcEndpointId=endpoint_id, AddSecurityGroupIds=[vpc["group"]])
    assert answer["Code"] == "InvalidParameter" and "Security group IDs" in answer["Message"]
    assert described(ec2, endpoint_id)["Groups"] == []


def test_service_must_exist_and_offer_the_endpoint_type(ec2, vpc):
    answer = error(ec2, "create_vpc_endpoint", VpcId=vpc["id"], ServiceName=service("nothing"),
                   VpcEndpointType="Interface", SubnetIds=vpc["subnets"][:1])
    assert answer["Code"] == "InvalidServiceName" and service("nothing") in answer["Message"]
    answer = error(ec2, "create_vpc_endpoint", VpcId=vpc["id"], ServiceName=service("sts"))
    assert answer["Code"] == "InvalidParameter"
    assert service("sts") in answer["Message"] and "Gateway" in answer["Message"]
    assert ec2.describe_vpc_endpoints()["VpcEndpoints"] == []


def test_subnets_of_another_vpc_are_refused(ec2, vpc):
    other = ec2.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
    foreign = ec2.create_subnet(VpcId=other, CidrBlock="10.41.1.0/24")["Subnet"]["SubnetId"]
    answer = error(ec2, "create_vpc_endpoint", VpcId=vpc["id"], ServiceName=service("sts"),
                   VpcEndpointType="Interface", SubnetIds=[foreign])
    assert answer["Code"] == "InvalidParameter" and foreign in answer["Message"]


def test_unknown_endpoint_is_not_found(ec2):
    answer = error(ec2, "modify_vpc_endpoint", VpcEndpointId="vpce-0000000000000000f", ResetPolicy=True)
    assert answer["Code"] == "InvalidVpcEndpointId.NotFound"
    assert "vpce-0000000000000000f" in answer["Message"]


SAGEMAKER_VPC_SERVICES = [
    (service("sagemaker.api"), "Interface"), (service("sagemaker.runtime"), "Interface"),
    (service("s3"), "Gateway"), (service("s3"), "Interface"), (service("sts"), "Interface"),
    (service("logs"), "Interface"), (service("monitoring"), "Interface"), (service("ecr.api"), "Interface"),
    (service("ecr.dkr"), "Interface"), (service("kms"), "Interface"), (service("ssm"), "Interface"),
    (f"aws.sagemaker.{REGION}.notebook", "Interface"), (f"aws.sagemaker.{REGION}.studio", "Interface"),
    (service("servicecatalog"), "Interface"), (service("sagemaker.featurestore-runtime"), "Interface"),
    (service("sagemaker.metrics"), "Interface"), (service("athena"), "Interface"), (service("glue"), "Interface"),
    (service("lakeformation"), "Interface"), (service("codewhisperer"), "Interface"), (service("q"), "Interface"),
    (service("codeartifact.api"), "Interface"), (service("codeartifact.repositories"), "Interface"),
    (service("secretsmanager"), "Interface"), (service("git-codecommit"), "Interface"),
    (service("bedrock-runtime"), "Interface"), (service("elasticmapreduce"), "Interface"),
    (service("emr-serverless"), "Interface"), (service("console"), "Interface"),
    (service("console-static"), "Interface"), (service("signin"), "Interface"), (service("signin-v2"), "Interface"),
]


def test_endpoint_services_of_the_perimeter_support_policies(ec2):
    names = sorted({name for name, _ in SAGEMAKER_VPC_SERVICES})
    answer = call(ec2, "describe_vpc_endpoint_services", ServiceNames=names)
    offered = {
        (d["ServiceName"], t["ServiceType"]): d["VpcEndpointPolicySupported"]
        for d in answer["ServiceDetails"] for t in d["ServiceType"]
    }
    for name, endpoint_type in SAGEMAKER_VPC_SERVICES:
        assert offered.get((name, endpoint_type)) is True, (name, endpoint_type)


def test_endpoint_services_of_your_own_take_the_full_access_policy_only(ec2, vpc, aws):
    elbv2 = aws("elbv2")
    nlb = elbv2.create_load_balancer(Name="svc", Type="network", Subnets=vpc["subnets"][:1])["LoadBalancers"][0]
    config = ec2.create_vpc_endpoint_service_configuration(NetworkLoadBalancerArns=[nlb["LoadBalancerArn"]])
    name = config["ServiceConfiguration"]["ServiceName"]
    detail = call(ec2, "describe_vpc_endpoint_services", ServiceNames=[name])["ServiceDetails"][0]
    assert detail["VpcEndpointPolicySupported"] is False
    answer = error(ec2, "create_vpc_endpoint", VpcId=vpc["id"], ServiceName=name, VpcEndpointType="Interface",
                   SubnetIds=vpc["subnets"][:1], PolicyDocument=json.dumps(ORG_ONLY))
    assert answer["Code"] == "InvalidParameter" and "full-access endpoint policy" in answer["Message"]
    full = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*",
                                                   "Resource": "*"}]}
    interface_id = call(ec2, "create_vpc_endpoint", VpcId=vpc["id"], ServiceName=name, VpcEndpointType="Interface",
                        SubnetIds=vpc["subnets"][:1], PolicyDocument=json.dumps(full))["VpcEndpoint"]["VpcEndpointId"]
    assert json.loads(described(ec2, interface_id)["PolicyDocument"]) == full
