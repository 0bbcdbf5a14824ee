"""The M1 network perimeter policy: requests decided by the independent oracle, bad input, IAM's size limit."""

import json

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.mlperimeter.aws.plugins.filter import perimeter_policies
from ansible_collections.mlperimeter.aws.plugins.filter.perimeter_policies import (
    MANAGED_POLICY_MAX_SIZE,
    iam_policy_size,
    network_perimeter_policy,
)

from support import oracle

ACCOUNT = "222222222222"
REGION = "eu-west-1"
ACCESS_REGION = "eu-central-1"
EGRESS_IPS = ["203.0.113.10", "203.0.113.11/32"]
HOME_IP = "198.51.100.7"
BROWSER_VPC = {"vpc_id": "vpc-0b0b0b0b0b0b0b0b0", "region": ACCESS_REGION}
SAGEMAKER_VPC = {"vpc_id": "vpc-05a5a5a5a5a5a5a5a", "region": REGION}
FOREIGN_VPC = "vpc-0f0f0f0f0f0f0f0f0"
DATA_SCIENTIST = f"arn:aws:iam::{ACCOUNT}:role/data-scientist"
BREAK_GLASS = f"arn:aws:iam::{ACCOUNT}:role/break-glass"
EC2_INFRASTRUCTURE = f"arn:aws:iam::{ACCOUNT}:role/aws:ec2-infrastructure"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
BUCKET_OBJECT = "arn:aws:s3:::ml-data/train.csv"
KEY_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}]}
DOMAIN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:domain/d-abc123"

POLICY = json.loads(network_perimeter_policy(
    EGRESS_IPS, BROWSER_VPC, SAGEMAKER_VPC, break_glass_principals=[BREAK_GLASS],
))


def _request(context, *, principal=DATA_SCIENTIST, action="s3:GetObject", resource=BUCKET_OBJECT,
             resource_policy=None):
    return oracle.request(
        principal=principal, action=action, resource=resource, resource_account=ACCOUNT,
        resource_policy=resource_policy,
        identity_policies={"allow-all": ALLOW_ALL, "mlperimeter-network-perimeter": POLICY},
        context={"aws:PrincipalArn": principal, "aws:PrincipalAccount": ACCOUNT, "aws:ViaAWSService": False,
                 "aws:RequestedRegion": REGION, **context},
    )


CASES = {
    "from an egress IP": (_request({"aws:SourceIp": "203.0.113.10"}), oracle.ALLOWED),
    "from the second egress IP": (_request({"aws:SourceIp": "203.0.113.11"}), oracle.ALLOWED),
    "from a home IP": (_request({"aws:SourceIp": HOME_IP}), oracle.EXPLICITLY_DENIED),
    "with no network context at all": (_request({}), oracle.EXPLICITLY_DENIED),
    "console call through the browser VPC endpoint, in the browser VPC's Region": (
        _request({"aws:SourceVpc": BROWSER_VPC["vpc_id"], "aws:RequestedRegion": ACCESS_REGION}), oracle.ALLOWED),
    "console call through the browser VPC endpoint, naming another Region": (
        _request({"aws:SourceVpc": BROWSER_VPC["vpc_id"], "aws:RequestedRegion": REGION}),
        oracle.EXPLICITLY_DENIED),
    "from the SageMaker VPC in its Region": (
        _request({"aws:SourceVpc": SAGEMAKER_VPC["vpc_id"]}, action="sagemaker:DescribeDomain", resource=DOMAIN),
        oracle.ALLOWED),
    "a VPC with the SageMaker VPC's id in another Region": (
        _request({"aws:SourceVpc": SAGEMAKER_VPC["vpc_id"], "aws:RequestedRegion": "us-east-1"}),
        oracle.EXPLICITLY_DENIED),
    "through a foreign VPC": (_request({"aws:SourceVpc": FOREIGN_VPC}), oracle.EXPLICITLY_DENIED),
    "an AWS service acting for the caller": (
        _request({"aws:ViaAWSService": True, "aws:SourceIp": HOME_IP}), oracle.ALLOWED),
    "the break-glass role from a home IP": (
        _request({"aws:SourceIp": HOME_IP}, principal=BREAK_GLASS), oracle.ALLOWED),
    "the break-glass role through a foreign VPC in another Region": (
        _request({"aws:SourceVpc": SAGEMAKER_VPC["vpc_id"], "aws:RequestedRegion": "us-east-1"},
                 principal=BREAK_GLASS), oracle.ALLOWED),
    "AWS's EC2 infrastructure role from AWS's network": (
        _request({"aws:SourceIp": HOME_IP}, principal=EC2_INFRASTRUCTURE, action="kms:Decrypt",
                 resource=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                 resource_policy=KEY_POLICY),
        oracle.ALLOWED),
    "sts:GetCallerIdentity from a home IP": (
        _request({"aws:SourceIp": HOME_IP}, action="sts:GetCallerIdentity", resource="*"), oracle.ALLOWED),
    "sts:AssumeRole from a home IP": (
        _request({"aws:SourceIp": HOME_IP}, action="sts:AssumeRole",
                 resource=f"arn:aws:iam::{ACCOUNT}:role/other"), oracle.EXPLICITLY_DENIED),
}


@pytest.fixture(scope="module")
def decisions():
    names = list(CASES)
    return dict(zip(names, oracle.decide(CASES[name][0] for name in names), strict=True))


@pytest.mark.parametrize("name", list(CASES))
def test_oracle_decides_as_expected(name, decisions):
    decision = decisions[name]
    assert decision.decision == CASES[name][1], decision.explain()
    if decision.decision == oracle.EXPLICITLY_DENIED:
        assert decision.denied_by("identity", "mlperimeter-network-perimeter"), decision.explain()


def test_policy_is_minified_sorted_and_deterministic():
    text = network_perimeter_policy(
        ["203.0.113.11/32", "203.0.113.10", "203.0.113.10/32"], SAGEMAKER_VPC, BROWSER_VPC,
        break_glass_principals=[BREAK_GLASS, f"arn:aws:iam::{ACCOUNT}:role/another-break-glass"],
    )
    again = network_perimeter_policy(
        ["203.0.113.10", "203.0.113.11"], BROWSER_VPC, SAGEMAKER_VPC,
        break_glass_principals=[f"arn:aws:iam::{ACCOUNT}:role/another-break-glass", BREAK_GLASS],
    )
    assert text == again
    assert " " not in text and "\n" not in text
    main = json.loads(text)["Statement"][0]
    assert main["Condition"]["NotIpAddressIfExists"]["aws:SourceIp"] == ["203.0.113.10/32", "203.0.113.11/32"]
    assert main["Condition"]["StringNotEqualsIfExists"]["aws:SourceVpc"] == sorted(
        [BROWSER_VPC["vpc_id"], SAGEMAKER_VPC["vpc_id"]])
    assert main["Condition"]["ArnNotLikeIfExists"]["aws:PrincipalArn"] == [
        "arn:aws:iam::*:role/aws:ec2-infrastructure", f"arn:aws:iam::{ACCOUNT}:role/another-break-glass",
        BREAK_GLASS]


def test_every_network_condition_is_in_the_one_policy():
    statements = POLICY["Statement"]
    assert [s["Sid"] for s in statements] == [
        "DenyOutsideExpectedNetworks", "DenyExpectedVpcsOutsideEuCentral1", "DenyExpectedVpcsOutsideEuWest1"]
    assert all(s["Effect"] == "Deny" and s["NotAction"] == ["sts:GetCallerIdentity"] for s in statements)


def test_vpcs_in_one_region_share_a_statement():
    same_region = dict(BROWSER_VPC, region=REGION)
    statements = json.loads(network_perimeter_policy(EGRESS_IPS, same_region, SAGEMAKER_VPC))["Statement"]
    assert len(statements) == 2
    assert statements[1]["Condition"]["StringEquals"]["aws:SourceVpc"] == sorted(
        [BROWSER_VPC["vpc_id"], SAGEMAKER_VPC["vpc_id"]])


def test_partition_follows_the_region():
    policy = json.loads(network_perimeter_policy(
        ["203.0.113.10"], {"vpc_id": "vpc-0b0b0b0b", "region": "cn-north-1"},
        {"vpc_id": "vpc-0a0a0a0a", "region": "cn-north-1"}))
    exempt = policy["Statement"][0]["Condition"]["ArnNotLikeIfExists"]["aws:PrincipalArn"]
    assert exempt == ["arn:aws-cn:iam::*:role/aws:ec2-infrastructure"]


BAD_INPUT = {
    "empty egress IPs": (dict(egress_ips=[]), "egress_ips: the list is empty"),
    "egress IPs as a string": (dict(egress_ips="203.0.113.10"), "egress_ips: expected a list"),
    "not an address": (dict(egress_ips=["203.0.113.300"]), "egress_ips: '203.0.113.300' is not a CIDR"),
    "host bits set": (dict(egress_ips=["203.0.113.10/24"]), "egress_ips: '203.0.113.10/24' is not a CIDR"),
    "the whole internet": (dict(egress_ips=["0.0.0.0/0"]), "egress_ips: '0.0.0.0/0' admits every address"),
    "missing browser VPC": (dict(browser_vpc=None), "browser_vpc: expected"),
    "empty SageMaker VPC": (dict(sagemaker_vpc={}), "sagemaker_vpc: expected"),
    "a VPC id given as a string": (dict(browser_vpc="vpc-0b0b0b0b0b0b0b0b0"), "browser_vpc: expected"),
    "malformed VPC id": (dict(browser_vpc={"vpc_id": "vpc-xyz", "region": REGION}),
                         "browser_vpc.vpc_id: 'vpc-xyz' is not a VPC id"),
    "subnet id instead of a VPC id": (dict(sagemaker_vpc={"vpc_id": "subnet-0a0a0a0a", "region": REGION}),
                                      "sagemaker_vpc.vpc_id: 'subnet-0a0a0a0a' is not a VPC id"),
    "VPC without a Region": (dict(sagemaker_vpc={"vpc_id": "vpc-0a0a0a0a"}),
                             "sagemaker_vpc.region: None is not an AWS Region"),
    "malformed Region": (dict(sagemaker_vpc={"vpc_id": "vpc-0a0a0a0a", "region": "Ireland"}),
                         "sagemaker_vpc.region: 'Ireland' is not an AWS Region"),
    "unknown VPC key": (dict(browser_vpc={"vpc_id": "vpc-0a0a0a0a", "region": REGION, "cidr": "10.0.0.0/16"}),
                        "browser_vpc: unknown keys ['cidr']"),
    "one VPC id in two Regions": (
        dict(browser_vpc={"vpc_id": "vpc-0a0a0a0a", "region": REGION},
             sagemaker_vpc={"vpc_id": "vpc-0a0a0a0a", "region": "us-east-1"}),
        "sagemaker_vpc: vpc-0a0a0a0a is also the browser VPC's id"),
    "break-glass as a string": (dict(break_glass_principals=BREAK_GLASS), "break_glass_principals: expected a list"),
    "break-glass session ARN": (
        dict(break_glass_principals=[f"arn:aws:sts::{ACCOUNT}:assumed-role/break-glass/alice"]),
        "name the role, not an assumed-role session"),
    "break-glass by tag": (dict(break_glass_principals=["dp:exclude:network=true"]),
                           "break_glass_principals: 'dp:exclude:network=true' is not an IAM role or user ARN"),
}


@pytest.mark.parametrize("name", list(BAD_INPUT))
def test_bad_input_is_refused_naming_the_field_and_value(name):
    overrides, message = BAD_INPUT[name]
    args = {"egress_ips": EGRESS_IPS, "browser_vpc": BROWSER_VPC, "sagemaker_vpc": SAGEMAKER_VPC, **overrides}
    with pytest.raises(AnsibleFilterError) as raised:
        network_perimeter_policy(**args)
    assert message in str(raised.value)


def _many_ips(count):
    return [f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}/32" for n in range(count)]


def test_size_is_counted_as_iam_counts_it():
    assert iam_policy_size('{"a": [ "b" ,\n "c"]}') == len('{"a":["b","c"]}')
    assert iam_policy_size({"a": ["b", "c"]}) == len('{"a":["b","c"]}')


def test_largest_policy_that_fits_is_rendered_and_one_more_address_is_refused():
    fits = max(n for n in range(1, 400) if _size_with(n) <= MANAGED_POLICY_MAX_SIZE)
    text = network_perimeter_policy(_many_ips(fits), BROWSER_VPC, SAGEMAKER_VPC)
    assert iam_policy_size(text) <= MANAGED_POLICY_MAX_SIZE
    with pytest.raises(AnsibleFilterError, match="over IAM's limit of 6144"):
        network_perimeter_policy(_many_ips(fits + 1), BROWSER_VPC, SAGEMAKER_VPC)


def _size_with(count):
    document = json.loads(network_perimeter_policy(["10.0.0.0/32"], BROWSER_VPC, SAGEMAKER_VPC))
    document["Statement"][0]["Condition"]["NotIpAddressIfExists"]["aws:SourceIp"] = _many_ips(count)
    return iam_policy_size(document)


def test_filters_are_exported():
    filters = perimeter_policies.FilterModule().filters()
    assert filters["network_perimeter_policy"] is network_perimeter_policy
    assert filters["iam_policy_size"] is iam_policy_size
