"""mlperimeter.aws.dns_firewall_rule_group against the emulator: four ways, read back with boto3."""

import pytest

from support.calls import writes
from support.modules import four_ways, run_module

TAGS = {"mlperimeter:managed": "true", "mlperimeter:control": "M2"}
ALLOW = {"name": "allow-approved", "priority": 100, "action": "ALLOW", "domain_list": "approved"}
BLOCK = {"name": "block-rest", "priority": 200, "action": "BLOCK", "block_response": "NXDOMAIN",
         "domain_list": "everything"}


@pytest.fixture
def fw(aws):
    return aws("route53resolver")


@pytest.fixture
def lists(fw):
    """Ids of the domain lists 'approved' and 'everything'."""
    ids = {}
    for name, domains in (("approved", ["example.com."]), ("everything", ["*."])):
        ids[name] = fw.create_firewall_domain_list(Name=name)["FirewallDomainList"]["Id"]
        fw.update_firewall_domains(FirewallDomainListId=ids[name], Operation="ADD", Domains=domains)
        fw.get_firewall_domain_list(FirewallDomainListId=ids[name])
    return ids


def assert_four_ways(results, changed):
    assert [r.get("failed", False) for r in results] == [False] * 4, results
    assert [r["changed"] for r in results] == [changed, changed, False, False], results


def run(emulator, account_id, args, **kwargs):
    return run_module("dns_firewall_rule_group", args, emulator=emulator, account_id=account_id, **kwargs)


def group_named(fw, name):
    groups = [g for g in fw.list_firewall_rule_groups()["FirewallRuleGroups"] if g["Name"] == name]
    return groups[0] if groups else None


def rules_of(fw, group_id):
    rules = fw.list_firewall_rules(FirewallRuleGroupId=group_id)["FirewallRules"]
    return [(r["Name"], r["Priority"], r["Action"], r.get("BlockResponse"), r["FirewallDomainListId"], r.get("Qtype"))
            for r in sorted(rules, key=lambda r: r["Priority"])]


def own_calls(emulator, account_id):
    return [c for c in emulator.calls() if c["account"] == account_id]


def test_creates_the_allow_list_pattern(emulator, account_id, fw, lists):
    args = {"name": "egress", "rules": [BLOCK, ALLOW], "tags": TAGS}
    results = four_ways("dns_firewall_rule_group", args, emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    group = group_named(fw, "egress")
    assert rules_of(fw, group["Id"]) == [
        ("allow-approved", 100, "ALLOW", None, lists["approved"], None),
        ("block-rest", 200, "BLOCK", "NXDOMAIN", lists["everything"], None),
    ]
    tags = fw.list_tags_for_resource(ResourceArn=group["Arn"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == TAGS
    assert results[0]["rule_group"]["id"] is None
    assert results[0]["diff"]["before"] == {}
    assert [r["name"] for r in results[0]["diff"]["after"]["rules"]] == ["allow-approved", "block-rest"]
    assert results[0]["diff"]["after"] == results[1]["diff"]["after"]
    assert results[1]["rule_group"]["id"] == group["Id"]
    assert results[1]["rule_group"]["rule_count"] == 2
    assert results[3]["rule_group"]["rules"][1]["firewall_domain_list_name"] == "everything"
    assert results[3]["rule_group"]["rules"] == results[1]["rule_group"]["rules"]


def test_rules_change_in_place_and_swap_priorities(emulator, account_id, fw, lists):
    run(emulator, account_id, {"name": "egress", "rules": [ALLOW, BLOCK]})
    # ALERT staging, and the two rules swap priorities: both updated in place.
    alert = {"name": "alert-rest", "priority": 100, "action": "ALERT", "domain_list": lists["everything"]}
    allow = dict(ALLOW, priority=200, firewall_domain_redirection_action="TRUST_REDIRECTION_DOMAIN")
    calls_before = len(own_calls(emulator, account_id))
    results = four_ways("dns_firewall_rule_group", {"name": "egress", "rules": [alert, allow]},
                        emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    group = group_named(fw, "egress")
    assert rules_of(fw, group["Id"]) == [
        ("alert-rest", 100, "ALERT", None, lists["everything"], None),
        ("allow-approved", 200, "ALLOW", None, lists["approved"], None),
    ]
    operations = [c["operation"] for c in own_calls(emulator, account_id)[calls_before:]]
    assert "CreateFirewallRule" not in operations and "DeleteFirewallRule" not in operations
    assert operations.count("UpdateFirewallRule") == 3  # one rule parked on a free priority
    redirection = {r["Name"]: r["FirewallDomainRedirectionAction"]
                   for r in fw.list_firewall_rules(FirewallRuleGroupId=group["Id"])["FirewallRules"]}
    assert redirection == {"alert-rest": "INSPECT_REDIRECTION_DOMAIN", "allow-approved": "TRUST_REDIRECTION_DOMAIN"}


def test_a_new_qtype_replaces_the_rule_and_purge_removes_others(emulator, account_id, fw, lists):
    run(emulator, account_id, {"name": "egress", "rules": [ALLOW, BLOCK]})
    override = {"name": "sinkhole-aaaa", "priority": 300, "action": "BLOCK", "block_response": "OVERRIDE",
                "block_override_domain": "sinkhole.example", "block_override_ttl": 60, "domain_list": "everything",
                "qtype": "AAAA"}
    results = four_ways("dns_firewall_rule_group", {"name": "egress", "rules": [dict(ALLOW, qtype="A"), override]},
                        emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    group = group_named(fw, "egress")
    assert rules_of(fw, group["Id"]) == [
        ("allow-approved", 100, "ALLOW", None, lists["approved"], "A"),
        ("sinkhole-aaaa", 300, "BLOCK", "OVERRIDE", lists["everything"], "AAAA"),
    ]
    rule = fw.list_firewall_rules(FirewallRuleGroupId=group["Id"], Priority=300)["FirewallRules"][0]
    assert (rule["BlockOverrideDomain"], rule["BlockOverrideDnsType"], rule["BlockOverrideTtl"]) == (
        "sinkhole.example.", "CNAME", 60)
    assert sorted(results[1]["changes"]) == sorted([
        "delete rule 'allow-approved' (priority 100)", "delete rule 'block-rest' (priority 200)",
        "create rule 'allow-approved' (priority 100)", "create rule 'sinkhole-aaaa' (priority 300)",
    ])


def test_purge_rules_false_keeps_other_rules(emulator, account_id, fw, lists):
    run(emulator, account_id, {"name": "egress", "rules": [ALLOW, BLOCK]})
    alert = {k: v for k, v in BLOCK.items() if k != "block_response"} | {"action": "ALERT"}
    results = four_ways("dns_firewall_rule_group",
                        {"name": "egress", "purge_rules": False, "rules": [alert]},
                        emulator=emulator, account_id=account_id)
    assert_four_ways(results, changed=True)
    group = group_named(fw, "egress")
    assert rules_of(fw, group["Id"]) == [
        ("allow-approved", 100, "ALLOW", None, lists["approved"], None),
        ("block-rest", 200, "ALERT", None, lists["everything"], None),
    ]
    taken = run(emulator, account_id, {"name": "egress", "purge_rules": False, "rules": [
        {"name": "other", "priority": 100, "action": "ALLOW", "domain_list": "everything", "qtype": "TXT"}]})
    assert taken["failed"] is True
    assert "priority 100" in taken["msg"] and "allow-approved" in taken["msg"]


def test_tags_change_in_place(emulator, account_id, fw, lists):
    run(emulator, account_id, {"name": "egress", "rules": [ALLOW], "tags": TAGS})
    results = four_ways("dns_firewall_rule_group", {"name": "egress", "rules": [ALLOW], "tags": dict(TAGS, x="y")},
                        emulator=emulator, account_id=account_id)
    assert_four_ways(results, changed=True)
    assert results[1]["changes"] == ["update tags"]


def test_absent_deletes_rules_then_the_group(emulator, account_id, fw, lists):
    run(emulator, account_id, {"name": "egress", "rules": [ALLOW, BLOCK], "tags": TAGS})
    results = four_ways("dns_firewall_rule_group", {"name": "egress", "state": "absent"},
                        emulator=emulator, account_id=account_id)
    assert_four_ways(results, changed=True)
    assert results[1]["changes"][-1] == "delete rule group"
    assert group_named(fw, "egress") is None


def test_absent_is_refused_while_associated(emulator, account_id, fw, aws, lists):
    vpc_id = aws("ec2").create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    created = run(emulator, account_id, {"name": "egress", "rules": [ALLOW]})
    fw.associate_firewall_rule_group(FirewallRuleGroupId=created["rule_group"]["id"], VpcId=vpc_id, Priority=1000,
                                     Name="egress")
    writes_before = writes(own_calls(emulator, account_id))
    result = run(emulator, account_id, {"name": "egress", "state": "absent"})
    assert result["failed"] is True
    assert vpc_id in result["msg"]
    assert writes(own_calls(emulator, account_id)) == writes_before


def test_refuses_two_groups_with_the_same_name(emulator, account_id, fw, lists):
    ids = [fw.create_firewall_rule_group(Name="egress")["FirewallRuleGroup"]["Id"] for _ in range(2)]
    result = run(emulator, account_id, {"name": "egress", "rules": [ALLOW]})
    assert result["failed"] is True
    assert all(group_id in result["msg"] for group_id in ids)


def test_unknown_domain_list_is_refused_before_any_write(emulator, account_id, fw, lists):
    writes_before = writes(own_calls(emulator, account_id))
    result = run(emulator, account_id, {"name": "egress", "rules": [dict(ALLOW, domain_list="nope"),
                                                                    dict(BLOCK, domain_list="rslvr-fdl-0000")]})
    assert result["failed"] is True
    assert "rules[0].domain_list" in result["msg"] and "rules[1].domain_list" in result["msg"]
    assert writes(own_calls(emulator, account_id)) == writes_before


@pytest.mark.parametrize(
    ("rules", "fragments"),
    [
        ([ALLOW, dict(BLOCK, priority=100)], ["priority 100 is given to more than one rule"]),
        ([dict(BLOCK, block_response=None)], ["rules[0].block_response", "BLOCK rule needs"]),
        ([dict(ALLOW, block_response="NODATA")], ["rules[0]", "only apply to BLOCK"]),
        ([dict(BLOCK, block_response="OVERRIDE")], ["OVERRIDE needs block_override_domain"]),
        ([dict(ALLOW, qtype="BOGUS")], ["rules[0].qtype"]),
        ([dict(ALLOW, priority=0)], ["rules[0].priority"]),
        ([dict(ALLOW, name="has.dot")], ["rules[0].name"]),
        ([ALLOW, dict(ALLOW, priority=300)], ["name 'allow-approved' is given to more than one rule",
                                              "used by more than one rule"]),
        ([dict(BLOCK, block_response="OVERRIDE", block_override_domain="bad_domain", block_override_ttl=999999)],
         ["block_override_domain", "block_override_ttl"]),
    ],
)
def test_validate_rules(rules, fragments):
    from ansible_collections.mlperimeter.aws.plugins.module_utils.route53resolver import validate_rules

    problems = "; ".join(validate_rules(rules))
    for fragment in fragments:
        assert fragment in problems, problems


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        (dict(ALLOW, action="DENY"), "action"),
        (dict(BLOCK, block_response="REFUSED"), "block_response"),
    ],
)
def test_argument_spec_refuses_unknown_choices(emulator, account_id, rule, fragment):
    calls_before = own_calls(emulator, account_id)
    result = run(emulator, account_id, {"name": "egress", "rules": [rule]})
    assert result["failed"] is True
    assert fragment in result["msg"]
    assert own_calls(emulator, account_id) == calls_before


def test_duplicate_priorities_end_to_end_make_no_call(emulator, account_id, lists):
    calls_before = own_calls(emulator, account_id)
    result = run(emulator, account_id, {"name": "egress", "rules": [ALLOW, dict(BLOCK, priority=100),
                                                                    {"name": "b2", "action": "BLOCK", "priority": 5,
                                                                     "domain_list": "approved", "qtype": "A"}]})
    assert result["failed"] is True
    assert "priority 100 is given to more than one rule" in result["msg"]
    assert "rules[2].block_response" in result["msg"]
    assert own_calls(emulator, account_id) == calls_before
