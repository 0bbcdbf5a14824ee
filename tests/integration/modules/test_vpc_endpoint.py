"""mlperimeter.aws.vpc_endpoint against the emulator: each change four ways, read back with boto3."""

import json

import pytest
from ansible_collections.mlperimeter.aws.plugins.module_utils.ec2_endpoints import EndpointError, validate

from support.calls import writes
from support.modules import four_ways, run_module

REGION = "eu-west-1"
TAGS = {"mlperimeter:managed": "true", "mlperimeter:control": "A2", "Name": "console"}
FULL_ACCESS = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}


def account_policy(*accounts):
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": list(accounts)}},
        }],
    }


@pytest.fixture
def ec2(aws):
    return aws("ec2")


@pytest.fixture
def vpc(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.30.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in ((1, "a"), (2, "b"))
    ]
    groups = [
        ec2.create_security_group(VpcId=vpc_id, GroupName=f"endpoints-{i}", Description="HTTPS from the VPC")["GroupId"]
        for i in range(2)
    ]
    route_tables = [ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"] for _ in range(2)]
    return {"id": vpc_id, "subnets": subnets, "groups": groups, "route_tables": route_tables}


def interface_args(vpc, **kwargs):
    return {
        "vpc_id": vpc["id"], "service_name": f"com.amazonaws.{REGION}.console", "vpc_endpoint_type": "Interface",
        "subnet_ids": vpc["subnets"], "security_group_ids": vpc["groups"][:1], "private_dns_enabled": False,
        "tags": TAGS, **kwargs,
    }


def gateway_args(vpc, **kwargs):
    return {
        "vpc_id": vpc["id"], "service_name": f"com.amazonaws.{REGION}.s3", "vpc_endpoint_type": "Gateway",
        "route_table_ids": vpc["route_tables"][:1], "tags": dict(TAGS, Name="s3"), **kwargs,
    }


def endpoints(ec2, vpc):
    found = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc["id"]]}])["VpcEndpoints"]
    return [e for e in found if e["State"].lower() != "deleted"]


def the_endpoint(ec2, vpc):
    (endpoint,) = endpoints(ec2, vpc)
    return endpoint


def assert_four_ways(results, changed):
    assert [r.get("failed", False) for r in results] == [False] * 4, results
    assert [r["changed"] for r in results] == [changed, changed, False, False], results


def run(args, emulator, account_id, **kwargs):
    return run_module("vpc_endpoint", args, emulator=emulator, account_id=account_id, **kwargs)


def test_creates_an_interface_endpoint_with_private_dns_off(emulator, account_id, ec2, vpc):
    policy = account_policy("111111111111")
    results = four_ways("vpc_endpoint", interface_args(vpc, policy=policy), emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    assert results[0]["vpc_endpoint"]["vpc_endpoint_id"] is None
    assert results[0]["diff"] == {"before": {}, "after": results[0]["vpc_endpoint"]}
    endpoint = the_endpoint(ec2, vpc)
    assert endpoint["VpcEndpointType"] == "Interface"
    assert endpoint["State"].lower() == "available"
    assert endpoint["PrivateDnsEnabled"] is False
    assert sorted(endpoint["SubnetIds"]) == sorted(vpc["subnets"])
    assert [g["GroupId"] for g in endpoint["Groups"]] == vpc["groups"][:1]
    assert json.loads(endpoint["PolicyDocument"]) == policy
    assert {t["Key"]: t["Value"] for t in endpoint["Tags"]} == TAGS
    returned = results[1]["vpc_endpoint"]
    assert returned["vpc_endpoint_id"] == endpoint["VpcEndpointId"]
    assert returned["policy_document"] == policy
    assert returned["dns_entries"] and returned["dns_entries"][0]["dns_name"]
    assert results[3]["vpc_endpoint"]["vpc_endpoint_id"] == endpoint["VpcEndpointId"]


def test_creates_a_gateway_endpoint_with_the_default_policy(emulator, account_id, ec2, vpc):
    results = four_ways("vpc_endpoint", gateway_args(vpc), emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    endpoint = the_endpoint(ec2, vpc)
    assert endpoint["VpcEndpointType"] == "Gateway"
    assert endpoint["RouteTableIds"] == vpc["route_tables"][:1]
    assert json.loads(endpoint["PolicyDocument"])["Statement"] == FULL_ACCESS["Statement"]
    assert results[0]["vpc_endpoint"]["policy_document"]["Statement"] == FULL_ACCESS["Statement"]


def test_changes_the_policy_in_place(emulator, account_id, ec2, vpc):
    run(interface_args(vpc, policy=account_policy("111111111111")), emulator, account_id)
    endpoint_id = the_endpoint(ec2, vpc)["VpcEndpointId"]
    wider = account_policy("111111111111", "222222222222")

    results = four_ways("vpc_endpoint", interface_args(vpc, policy=wider), emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    endpoint = the_endpoint(ec2, vpc)
    assert endpoint["VpcEndpointId"] == endpoint_id
    assert json.loads(endpoint["PolicyDocument"]) == wider
    assert endpoint["PolicyDocument"] == json.dumps(wider, separators=(",", ":"))
    assert results[0]["diff"]["before"]["policy_document"] == account_policy("111111111111")
    assert results[0]["diff"]["after"]["policy_document"] == wider


def test_a_reformatted_equal_policy_is_no_change(emulator, account_id, ec2, vpc):
    policy = account_policy("111111111111", "222222222222")
    run(interface_args(vpc, policy=policy), emulator, account_id)
    statement = policy["Statement"][0]
    reordered = {
        "Statement": {  # one statement as an object, keys and list in another order, principal spelled out
            "Condition": {"StringEquals": {"aws:PrincipalAccount": ["222222222222", "111111111111"]}},
            "Resource": ["*"], "Action": "*", "Principal": {"AWS": "*"}, "Effect": statement["Effect"],
        },
        "Version": "2012-10-17",
    }
    emulator_calls = len(emulator.calls())

    results = four_ways("vpc_endpoint", interface_args(vpc, policy=json.dumps(reordered, indent=8)),
                        emulator=emulator, account_id=account_id)

    assert [r["changed"] for r in results] == [False] * 4, results
    assert writes(c for c in emulator.calls()[emulator_calls:] if c["account"] == account_id) == []
    assert json.loads(the_endpoint(ec2, vpc)["PolicyDocument"]) == policy


def test_a_policy_without_version_equals_the_2008_version(emulator, account_id, ec2, vpc):
    run(gateway_args(vpc), emulator, account_id)
    results = four_ways("vpc_endpoint", gateway_args(vpc, policy=FULL_ACCESS), emulator=emulator,
                        account_id=account_id)
    assert [r["changed"] for r in results] == [False] * 4, results


def test_omitted_policy_leaves_the_policy_alone(emulator, account_id, ec2, vpc):
    policy = account_policy("111111111111")
    run(interface_args(vpc, policy=policy), emulator, account_id)
    results = four_ways("vpc_endpoint", interface_args(vpc, policy=None), emulator=emulator, account_id=account_id)
    assert [r["changed"] for r in results] == [False] * 4, results
    assert json.loads(the_endpoint(ec2, vpc)["PolicyDocument"]) == policy


@pytest.mark.parametrize("args", [interface_args, gateway_args], ids=["interface", "gateway"])
def test_reset_policy_restores_full_access(emulator, account_id, ec2, vpc, args):
    run(args(vpc, policy=account_policy("111111111111")), emulator, account_id)

    results = four_ways("vpc_endpoint", args(vpc, reset_policy=True), emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    document = json.loads(the_endpoint(ec2, vpc)["PolicyDocument"])
    assert document["Statement"] == FULL_ACCESS["Statement"]
    assert document.get("Version", "2008-10-17") == "2008-10-17"
    assert results[0]["diff"]["after"]["policy_document"]["Statement"] == FULL_ACCESS["Statement"]


def test_changes_subnets_in_place(emulator, account_id, ec2, vpc):
    run(interface_args(vpc, subnet_ids=vpc["subnets"][:1]), emulator, account_id)
    endpoint_id = the_endpoint(ec2, vpc)["VpcEndpointId"]

    results = four_ways("vpc_endpoint", interface_args(vpc, subnet_ids=vpc["subnets"][1:]), emulator=emulator,
                        account_id=account_id)

    assert_four_ways(results, changed=True)
    endpoint = the_endpoint(ec2, vpc)
    assert endpoint["VpcEndpointId"] == endpoint_id
    assert endpoint["SubnetIds"] == vpc["subnets"][1:]
    assert results[0]["diff"]["after"]["subnet_ids"] == vpc["subnets"][1:]


def test_changes_security_groups_in_place(emulator, account_id, ec2, vpc):
    run(interface_args(vpc), emulator, account_id)

    results = four_ways("vpc_endpoint", interface_args(vpc, security_group_ids=vpc["groups"][1:]),
                        emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    assert [g["GroupId"] for g in the_endpoint(ec2, vpc)["Groups"]] == vpc["groups"][1:]


def test_changes_route_tables_in_place(emulator, account_id, ec2, vpc):
    run(gateway_args(vpc), emulator, account_id)

    results = four_ways("vpc_endpoint", gateway_args(vpc, route_table_ids=vpc["route_tables"]), emulator=emulator,
                        account_id=account_id)

    assert_four_ways(results, changed=True)
    endpoint = the_endpoint(ec2, vpc)
    assert sorted(endpoint["RouteTableIds"]) == sorted(vpc["route_tables"])
    for table in ec2.describe_route_tables(RouteTableIds=vpc["route_tables"])["RouteTables"]:
        assert [r for r in table["Routes"] if r.get("GatewayId") == endpoint["VpcEndpointId"]]


def test_turns_private_dns_off_in_place(emulator, account_id, ec2, vpc):
    run(interface_args(vpc, private_dns_enabled=None), emulator, account_id)
    assert the_endpoint(ec2, vpc)["PrivateDnsEnabled"] is True

    results = four_ways("vpc_endpoint", interface_args(vpc, private_dns_enabled=False), emulator=emulator,
                        account_id=account_id)

    assert_four_ways(results, changed=True)
    assert the_endpoint(ec2, vpc)["PrivateDnsEnabled"] is False


def test_changes_tags(emulator, account_id, ec2, vpc):
    run(interface_args(vpc), emulator, account_id)

    results = four_ways("vpc_endpoint", interface_args(vpc, tags=dict(TAGS, Name="renamed")), emulator=emulator,
                        account_id=account_id)

    assert_four_ways(results, changed=True)
    assert {t["Key"]: t["Value"] for t in the_endpoint(ec2, vpc)["Tags"]} == dict(TAGS, Name="renamed")


def test_endpoints_without_the_project_tags_are_left_alone(emulator, account_id, ec2, vpc):
    foreign = ec2.create_vpc_endpoint(VpcId=vpc["id"], ServiceName=f"com.amazonaws.{REGION}.console",
                                      VpcEndpointType="Interface", SubnetIds=vpc["subnets"][:1])["VpcEndpoint"]
    result = run(interface_args(vpc), emulator, account_id)
    assert result["changed"] and result["vpc_endpoint"]["vpc_endpoint_id"] != foreign["VpcEndpointId"]
    assert len(endpoints(ec2, vpc)) == 2


def test_adopts_an_endpoint_by_id(emulator, account_id, ec2, vpc):
    foreign = ec2.create_vpc_endpoint(VpcId=vpc["id"], ServiceName=f"com.amazonaws.{REGION}.s3",
                                      RouteTableIds=vpc["route_tables"][:1])["VpcEndpoint"]
    args = gateway_args(vpc, vpc_endpoint_id=foreign["VpcEndpointId"], policy=account_policy("111111111111"),
                        tags=None, route_table_ids=None)
    results = four_ways("vpc_endpoint", args, emulator=emulator, account_id=account_id)
    assert_four_ways(results, changed=True)
    assert json.loads(the_endpoint(ec2, vpc)["PolicyDocument"]) == account_policy("111111111111")


def test_deletes_the_endpoint(emulator, account_id, ec2, vpc):
    run(interface_args(vpc), emulator, account_id)

    results = four_ways("vpc_endpoint", interface_args(vpc, state="absent"), emulator=emulator,
                        account_id=account_id)

    assert_four_ways(results, changed=True)
    assert endpoints(ec2, vpc) == []
    assert results[0]["diff"]["before"]["vpc_endpoint_type"] == "Interface"
    assert results[1]["vpc_endpoint"] == {}


# Bad input ---------------------------------------------------------------------------------------------------

def params(**kwargs):
    base = {"state": "present", "vpc_id": "vpc-0123456789abcdef0", "service_name": f"com.amazonaws.{REGION}.console",
            "vpc_endpoint_type": "Interface", "vpc_endpoint_id": None, "policy": None, "reset_policy": False,
            "subnet_ids": ["subnet-0123456789abcdef0"], "security_group_ids": None, "route_table_ids": None,
            "private_dns_enabled": None, "tags": None}
    return dict(base, **kwargs)


def oversized_policy():
    statements = [
        {"Sid": f"S{i}", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::bucket-{i:04d}-{'x' * 40}/*"}
        for i in range(250)
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@pytest.mark.parametrize(("overrides", "message"), [
    ({"policy": oversized_policy()}, "over the 20480 characters"),
    ({"policy": '{"Statement": ['}, "policy: not valid JSON"),
    ({"policy": "[1, 2]"}, "policy: a policy document"),
    ({"policy": json.dumps(FULL_ACCESS), "reset_policy": True}, "reset_policy"),
    ({"vpc_id": "vpc-xyz"}, "vpc_id: 'vpc-xyz'"),
    ({"service_name": "console"}, "service_name: 'console'"),
    ({"service_name": "com.amazonaws.us-east-1.console"}, "service of us-east-1, not of eu-west-1"),
    ({"subnet_ids": ["subnet-nope"]}, "subnet_ids: 'subnet-nope'"),
    ({"security_group_ids": ["sg-1"]}, "security_group_ids: 'sg-1'"),
    ({"route_table_ids": ["rtb-0123456789abcdef0"]}, "route_table_ids: only valid for a Gateway"),
    ({"vpc_endpoint_type": "Gateway", "subnet_ids": None, "private_dns_enabled": False},
     "private_dns_enabled: only valid"),
    ({"vpc_endpoint_type": "Gateway", "subnet_ids": None, "security_group_ids": ["sg-0123456789abcdef0"]},
     "security_group_ids: only"),
    ({"subnet_ids": []}, "subnet_ids: an Interface endpoint needs"),
    ({"vpc_endpoint_id": "endpoint-1"}, "vpc_endpoint_id: 'endpoint-1'"),
    ({"tags": {"aws:secret": "x"}}, "tags: 'aws:secret'"),
])
def test_bad_input_is_refused_naming_the_field(overrides, message):
    with pytest.raises(EndpointError) as raised:
        validate(params(**overrides), REGION)
    assert message in raised.value.message


def test_policy_of_exactly_the_limit_is_accepted():
    text = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Sid": "x"}]}, separators=(",", ":"))
    padded = text.replace('"Sid":"x"', '"Sid":"' + "x" * (20480 - len(text) + 1) + '"')
    assert len(padded) == 20480
    assert validate(params(policy=padded), REGION) == json.loads(padded)
    too_long = padded.replace('"Sid":"', '"Sid":"y')
    with pytest.raises(EndpointError, match="20481 characters"):
        validate(params(policy=too_long), REGION)


def _refused_without_writes(emulator, account_id, args, message):
    mark = len(emulator.calls())
    result = run(args, emulator, account_id)
    assert result.get("failed"), result
    assert message in result["msg"], result["msg"]
    assert writes(c for c in emulator.calls()[mark:] if c["account"] == account_id) == []
    return result


@pytest.mark.parametrize(("overrides", "message"), [
    ({"policy": oversized_policy()}, "over the 20480 characters"),
    ({"policy": "{not json"}, "policy: not valid JSON"),
    ({"service_name": f"com.amazonaws.{REGION}.nothing"}, f"com.amazonaws.{REGION}.nothing' is not offered"),
    ({"vpc_endpoint_type": "Gateway", "subnet_ids": None, "security_group_ids": None, "private_dns_enabled": None},
     "offers Interface endpoints, not Gateway"),
])
def test_bad_input_end_to_end_writes_nothing(emulator, account_id, ec2, vpc, overrides, message):
    _refused_without_writes(emulator, account_id, interface_args(vpc, **overrides), message)
    assert endpoints(ec2, vpc) == []


def test_policy_on_a_service_without_policy_support_writes_nothing(emulator, account_id, aws, ec2, vpc):
    nlb = aws("elbv2").create_load_balancer(Name="svc", Type="network", Subnets=vpc["subnets"][:1])["LoadBalancers"][0]
    service = ec2.create_vpc_endpoint_service_configuration(
        NetworkLoadBalancerArns=[nlb["LoadBalancerArn"]])["ServiceConfiguration"]["ServiceName"]

    result = _refused_without_writes(
        emulator, account_id, interface_args(vpc, service_name=service, policy=account_policy("111111111111")),
        "does not support VPC endpoint policies",
    )

    assert result["msg"].startswith("policy: ")
    assert endpoints(ec2, vpc) == []


def test_a_policy_change_on_an_existing_endpoint_is_refused_before_any_write(emulator, account_id, ec2, vpc):
    run(interface_args(vpc, policy=account_policy("111111111111")), emulator, account_id)
    _refused_without_writes(emulator, account_id, interface_args(vpc, policy=oversized_policy()), "policy: ")
    assert json.loads(the_endpoint(ec2, vpc)["PolicyDocument"]) == account_policy("111111111111")


def test_an_endpoint_that_needs_no_change_is_judged_without_reading_the_service(emulator, account_id, ec2, vpc):
    args = interface_args(vpc, policy=account_policy("111111111111"))
    run(args, emulator, account_id)
    emulator.reset_calls()

    result = run(args, emulator, account_id)

    assert result["changed"] is False
    operations = [c["operation"] for c in emulator.calls() if c["account"] == account_id]
    assert "DescribeVpcEndpointServices" not in operations
    assert operations and set(operations) == {"DescribeVpcEndpoints"}


def test_a_policy_for_an_existing_endpoint_of_a_service_without_policy_support_is_refused(
        emulator, account_id, aws, ec2, vpc):
    nlb = aws("elbv2").create_load_balancer(Name="svc", Type="network", Subnets=vpc["subnets"][:1])["LoadBalancers"][0]
    service = ec2.create_vpc_endpoint_service_configuration(
        NetworkLoadBalancerArns=[nlb["LoadBalancerArn"]])["ServiceConfiguration"]["ServiceName"]
    assert run(interface_args(vpc, service_name=service), emulator, account_id)["changed"] is True

    result = _refused_without_writes(
        emulator, account_id, interface_args(vpc, service_name=service, policy=account_policy("111111111111")),
        "does not support VPC endpoint policies",
    )

    assert result["msg"].startswith("policy: ")
