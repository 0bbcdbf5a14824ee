"""mlperimeter.aws.security_group against the emulator: each change four ways, read back with boto3, rules made
by hand revoked, and the calls a converged run makes counted in the emulator's call log."""

import time

import pytest

from support.calls import writes
from support.modules import four_ways, run_module

NAME = "mlperimeter-test-endpoints"
DESCRIPTION = "Endpoints - HTTPS from the VPC only"
TAGS = {"Name": NAME, "mlperimeter:managed": "true"}
HTTPS_IN = {"proto": "tcp", "ports": [443], "cidr_ip": "10.60.0.0/16", "rule_desc": "HTTPS from the VPC"}


@pytest.fixture
def vpc_id(aws):
    return aws("ec2").create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]


def group_of(aws, vpc_id, name=NAME):
    groups = aws("ec2").describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                         {"Name": "group-name", "Values": [name]}])["SecurityGroups"]
    return groups[0] if groups else None


def rules_of(permissions):
    """(protocol, from, to, source, description) for each rule of a DescribeSecurityGroups permission list."""
    rules = set()
    for p in permissions:
        for r in p.get("IpRanges", []):
            rules.add((p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), r["CidrIp"], r.get("Description")))
        for r in p.get("UserIdGroupPairs", []):
            rules.add((p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), r["GroupId"], r.get("Description")))
    return rules


def calls_since(emulator, start, account_id):
    return [c for c in emulator.calls() if c["time"] >= start and c["account"] == account_id]


def args_for(vpc_id, **extra):
    return {"name": NAME, "description": DESCRIPTION, "vpc_id": vpc_id, "rules": [HTTPS_IN], "rules_egress": [],
            "tags": TAGS, **extra}


def test_creates_the_group_with_exactly_its_rules_and_a_converged_run_reads_once(emulator, account_id, aws, vpc_id):
    results = four_ways("security_group", args_for(vpc_id), emulator=emulator, account_id=account_id)

    assert [r["changed"] for r in results] == [True, True, False, False], results
    assert "group_id" not in results[0]
    group = group_of(aws, vpc_id)
    assert rules_of(group["IpPermissions"]) == {("tcp", 443, 443, "10.60.0.0/16", "HTTPS from the VPC")}
    # The outbound rule EC2 gives every new group is gone.
    assert group["IpPermissionsEgress"] == []
    assert {t["Key"]: t["Value"] for t in group["Tags"]} == TAGS
    assert results[1]["group_id"] == results[3]["group_id"] == group["GroupId"]
    assert results[3]["rules"] == [{"proto": "tcp", "from_port": 443, "to_port": 443, "cidr_ip": "10.60.0.0/16",
                                    "rule_desc": "HTTPS from the VPC"}]
    assert results[1]["diff"]["before"] == {}

    start = time.time()
    run_module("security_group", args_for(vpc_id), emulator=emulator, account_id=account_id)
    assert [c["operation"] for c in calls_since(emulator, start, account_id)] == ["DescribeSecurityGroups"]


def test_rules_made_by_hand_are_revoked_and_a_description_is_put_back(emulator, account_id, aws, vpc_id):
    ec2 = aws("ec2")
    group_id = ec2.create_security_group(GroupName=NAME, Description=DESCRIPTION, VpcId=vpc_id,
                                         TagSpecifications=[{"ResourceType": "security-group", "Tags": [
                                             {"Key": "Owner", "Value": "network-team"}]}])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
         "IpRanges": [{"CidrIp": "10.60.0.0/16", "Description": "changed by hand"}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])

    results = four_ways("security_group", args_for(vpc_id), emulator=emulator, account_id=account_id)

    assert [r["changed"] for r in results] == [True, True, False, False], results
    group = group_of(aws, vpc_id)
    assert group["GroupId"] == group_id
    assert rules_of(group["IpPermissions"]) == {("tcp", 443, 443, "10.60.0.0/16", "HTTPS from the VPC")}
    assert group["IpPermissionsEgress"] == []
    assert {t["Key"]: t["Value"] for t in group["Tags"]} == dict(TAGS, Owner="network-team")
    before = results[0]["diff"]["before"]
    assert {"proto": "tcp", "from_port": 22, "to_port": 22, "cidr_ip": "0.0.0.0/0"} in before["rules"]
    assert {"proto": "all", "cidr_ip": "0.0.0.0/0"} in before["rules_egress"]


def test_a_group_open_to_itself_names_its_own_id(emulator, account_id, aws, vpc_id):
    within = {"from_port": 0, "to_port": 65535, "group_name": "studio", "rule_desc": "Within the group"}
    https_out = {"ports": [443], "cidr_ip": "0.0.0.0/0"}
    args = {"name": "studio", "description": "Studio apps", "vpc_id": vpc_id, "rules": [within],
            "rules_egress": [within, https_out]}

    results = four_ways("security_group", args, emulator=emulator, account_id=account_id)

    assert [r["changed"] for r in results] == [True, True, False, False], results
    group = group_of(aws, vpc_id, "studio")
    group_id = group["GroupId"]
    assert rules_of(group["IpPermissions"]) == {("tcp", 0, 65535, group_id, "Within the group")}
    assert rules_of(group["IpPermissionsEgress"]) == {("tcp", 0, 65535, group_id, "Within the group"),
                                                      ("tcp", 443, 443, "0.0.0.0/0", None)}


def test_check_mode_writes_nothing(emulator, account_id, aws, vpc_id):
    start = time.time()
    result = run_module("security_group", args_for(vpc_id), emulator=emulator, account_id=account_id, check=True)
    assert result["changed"] is True
    assert writes(calls_since(emulator, start, account_id)) == []
    assert group_of(aws, vpc_id) is None


def test_a_different_description_is_a_warning_not_a_change(emulator, account_id, aws, vpc_id):
    run_module("security_group", args_for(vpc_id), emulator=emulator, account_id=account_id)

    result = run_module("security_group", args_for(vpc_id, description="Something else"),
                        emulator=emulator, account_id=account_id)

    assert result["changed"] is False
    assert any("cannot change a security group's description" in w["event"]["msg"]
               for w in result.get("warnings", [])), result
    assert group_of(aws, vpc_id)["Description"] == DESCRIPTION


@pytest.mark.parametrize("args, message", [
    ({"vpc_id": "vpc-XYZ"}, "vpc_id: 'vpc-XYZ' is not a VPC id"),
    ({"name": "sg-endpoints"}, "name: 'sg-endpoints' is not a security group name"),
    ({"description": "HTTPS — only"}, "description: 'HTTPS — only' is empty, longer than 255 characters"),
    ({"rules": [dict(HTTPS_IN, cidr_ip="10.60.0.1/16")]},
     "rules[0]: cidr_ip: '10.60.0.1/16' is not an IPv4 network in CIDR notation"),
    ({"rules": [dict(HTTPS_IN, proto="icmpv6")]}, "rules[0]: proto 'icmpv6' is not tcp, udp or all"),
    ({"rules": [dict(HTTPS_IN, ports=[70000])]}, "rules[0]: port range 70000-70000 is not within 0-65535"),
    ({"rules": [dict(HTTPS_IN, from_port=1, to_port=2)]}, "rules[0]: give either ports or from_port and to_port"),
    ({"rules_egress": [{"ports": [443]}]}, "rules_egress[0]: give either cidr_ip or group_name"),
    # EC2 takes a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$* in a rule's description: no apostrophe.
    ({"rules": [dict(HTTPS_IN, rule_desc="the domain's EFS")]},
     "rules[0]: rule_desc \"the domain's EFS\" has characters EC2 refuses"),
    ({"rules_egress": [{"ports": [443], "group_name": "other"}]},
     "rules_egress[0]: group_name 'other' is not this group"),
    ({"rules": [{"proto": "all", "ports": [443], "cidr_ip": "10.0.0.0/8"}]},
     "rules[0]: proto 'all' covers every port; give no ports"),
])
def test_bad_input_is_refused_naming_the_field_before_any_call(emulator, account_id, vpc_id, args, message):
    start = time.time()
    result = run_module("security_group", dict(args_for(vpc_id), **args), emulator=emulator, account_id=account_id)
    assert result.get("failed") and message in result["msg"], result
    assert calls_since(emulator, start, account_id) == []
