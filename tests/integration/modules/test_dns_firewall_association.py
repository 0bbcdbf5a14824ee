"""mlperimeter.aws.dns_firewall_association against the emulator: four ways, read back with boto3."""

import pytest

from support.calls import writes
from support.modules import four_ways, run_module

TAGS = {"mlperimeter:managed": "true", "mlperimeter:control": "M2"}


@pytest.fixture
def fw(aws):
    return aws("route53resolver")


@pytest.fixture
def vpc_id(aws):
    return aws("ec2").create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]


@pytest.fixture
def group_id(fw):
    return fw.create_firewall_rule_group(Name="egress")["FirewallRuleGroup"]["Id"]


def assert_four_ways(results, changed):
    assert [r.get("failed", False) for r in results] == [False] * 4, results
    assert [r["changed"] for r in results] == [changed, changed, False, False], results


def run(emulator, account_id, args, module="dns_firewall_association", **kwargs):
    return run_module(module, args, emulator=emulator, account_id=account_id, **kwargs)


def associations(fw, vpc_id):
    return fw.list_firewall_rule_group_associations(VpcId=vpc_id)["FirewallRuleGroupAssociations"]


def own_calls(emulator, account_id):
    return [c for c in emulator.calls() if c["account"] == account_id]


def test_associates_with_mutation_protection(emulator, account_id, fw, vpc_id, group_id):
    args = {"rule_group": "egress", "vpc_id": vpc_id, "priority": 9000, "tags": TAGS}
    results = four_ways("dns_firewall_association", args, emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    (association,) = associations(fw, vpc_id)
    assert (association["FirewallRuleGroupId"], association["Priority"], association["MutationProtection"],
            association["Name"], association["Status"]) == (group_id, 9000, "ENABLED", "egress", "COMPLETE")
    tags = fw.list_tags_for_resource(ResourceArn=association["Arn"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == TAGS
    assert results[0]["association"]["id"] is None
    assert results[1]["association"]["id"] == association["Id"]
    assert results[1]["association"]["status"] == "COMPLETE"
    assert results[0]["diff"]["after"] == results[1]["diff"]["after"]


def test_a_protected_association_changes_priority_and_stays_protected(emulator, account_id, fw, vpc_id, group_id):
    run(emulator, account_id, {"rule_group": group_id, "vpc_id": vpc_id, "priority": 9000})
    results = four_ways("dns_firewall_association", {"rule_group": group_id, "vpc_id": vpc_id, "priority": 8000,
                                                     "name": "egress-renamed"},
                        emulator=emulator, account_id=account_id)
    assert_four_ways(results, changed=True)
    assert results[1]["changes"] == ["turn mutation protection off, update Name, Priority",
                                     "turn mutation protection on"]
    (association,) = associations(fw, vpc_id)
    assert (association["Priority"], association["Name"], association["MutationProtection"]) == (
        8000, "egress-renamed", "ENABLED")
    assert results[1]["diff"]["before"]["priority"] == 9000
    assert results[1]["diff"]["after"]["priority"] == 8000


def test_mutation_protection_is_turned_off(emulator, account_id, fw, vpc_id, group_id):
    run(emulator, account_id, {"rule_group": group_id, "vpc_id": vpc_id, "priority": 9000})
    results = four_ways("dns_firewall_association", {"rule_group": group_id, "vpc_id": vpc_id, "priority": 9000,
                                                     "mutation_protection": "DISABLED"},
                        emulator=emulator, account_id=account_id)
    assert_four_ways(results, changed=True)
    assert associations(fw, vpc_id)[0]["MutationProtection"] == "DISABLED"


def test_absent_turns_protection_off_and_disassociates(emulator, account_id, fw, vpc_id, group_id):
    run(emulator, account_id, {"rule_group": "egress", "vpc_id": vpc_id, "priority": 9000})
    results = four_ways("dns_firewall_association", {"rule_group": "egress", "vpc_id": vpc_id, "state": "absent"},
                        emulator=emulator, account_id=account_id)
    assert_four_ways(results, changed=True)
    assert results[1]["changes"] == ["turn mutation protection off", "disassociate"]
    assert associations(fw, vpc_id) == []
    # Now the rule group itself can go.
    gone = run(emulator, account_id, {"name": "egress", "state": "absent"}, module="dns_firewall_rule_group")
    assert gone["changed"] is True, gone


def test_a_priority_used_by_another_group_is_refused(emulator, account_id, fw, vpc_id, group_id):
    other = fw.create_firewall_rule_group(Name="threats")["FirewallRuleGroup"]["Id"]
    fw.associate_firewall_rule_group(FirewallRuleGroupId=other, VpcId=vpc_id, Priority=9000, Name="threats")
    writes_before = writes(own_calls(emulator, account_id))
    result = run(emulator, account_id, {"rule_group": "egress", "vpc_id": vpc_id, "priority": 9000})
    assert result["failed"] is True
    assert "priority: 9000" in result["msg"] and other in result["msg"]
    assert writes(own_calls(emulator, account_id)) == writes_before


@pytest.mark.parametrize("priority", [100, 9900, 1, 10000, 0])
def test_priorities_out_of_range_are_refused_before_any_call(emulator, account_id, vpc_id, priority):
    calls_before = own_calls(emulator, account_id)
    result = run(emulator, account_id, {"rule_group": "egress", "vpc_id": vpc_id, "priority": priority})
    assert result["failed"] is True
    assert result["msg"].startswith("Invalid dns_firewall_association arguments: priority:"), result["msg"]
    assert own_calls(emulator, account_id) == calls_before


def test_unknown_rule_group_is_refused(emulator, account_id, vpc_id):
    result = run(emulator, account_id, {"rule_group": "missing", "vpc_id": vpc_id, "priority": 9000})
    assert result["failed"] is True
    assert "rule_group" in result["msg"]


def test_refuses_two_groups_with_the_same_name(emulator, account_id, fw, vpc_id, group_id):
    second = fw.create_firewall_rule_group(Name="egress")["FirewallRuleGroup"]["Id"]
    result = run(emulator, account_id, {"rule_group": "egress", "vpc_id": vpc_id, "priority": 9000})
    assert result["failed"] is True
    assert group_id in result["msg"] and second in result["msg"]
