"""Contract tests of security group rules: the description characters EC2 takes, and the answer to a rule
description update."""

import pytest

from support.contract import call, refused


@pytest.fixture
def ec2(aws):
    return aws("ec2")


@pytest.fixture
def group(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]
    return ec2.create_security_group(GroupName="studio", Description="Studio apps", VpcId=vpc)["GroupId"]


def https_from(cidr, description):
    return [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
             "IpRanges": [{"CidrIp": cidr, "Description": description}]}]


@pytest.mark.parametrize("operation", ["AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress"])
def test_a_rule_description_outside_the_characters_ec2_takes_is_refused(ec2, group, operation):
    refused(ec2, operation, "InvalidParameterValue", "Invalid rule description",
            GroupId=group, IpPermissions=https_from("10.61.0.0/16", "the domain's EFS"))


def test_updating_a_rule_description_answers_true_and_keeps_the_rule(ec2, group):
    call(ec2, "authorize_security_group_ingress", GroupId=group, IpPermissions=https_from("10.61.0.0/16", "old"))

    answer = call(ec2, "update_security_group_rule_descriptions_ingress", GroupId=group,
                  IpPermissions=https_from("10.61.0.0/16", "HTTPS from the VPC (new)"))

    assert answer["Return"] is True
    (permission,) = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"]
    assert permission["IpRanges"] == [{"CidrIp": "10.61.0.0/16", "Description": "HTTPS from the VPC (new)"}]
