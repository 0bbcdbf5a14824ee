"""mlperimeter.aws.dns_firewall_info against a firewall built with the other modules."""

from support.calls import writes
from support.modules import run_module

TAGS = {"mlperimeter:managed": "true", "mlperimeter:control": "M2"}


def run(emulator, account_id, module, args, **kwargs):
    result = run_module(module, args, emulator=emulator, account_id=account_id, **kwargs)
    assert not result.get("failed"), result
    return result


def test_reads_what_a_verification_gate_needs(emulator, account_id, aws):
    vpc_id = aws("ec2").create_vpc(CidrBlock="10.90.0.0/16")["Vpc"]["VpcId"]
    run(emulator, account_id, "dns_firewall_domain_list", {"name": "approved", "domains": ["example.com"],
                                                           "tags": TAGS})
    run(emulator, account_id, "dns_firewall_domain_list", {"name": "everything", "domains": ["*"], "tags": TAGS})
    run(emulator, account_id, "dns_firewall_rule_group", {"name": "egress", "tags": TAGS, "rules": [
        {"name": "allow", "priority": 100, "action": "ALLOW", "domain_list": "approved"},
        {"name": "block", "priority": 200, "action": "BLOCK", "block_response": "NXDOMAIN",
         "domain_list": "everything"},
    ]})
    run(emulator, account_id, "dns_firewall_association", {"rule_group": "egress", "vpc_id": vpc_id,
                                                           "priority": 9000, "tags": TAGS})
    run(emulator, account_id, "dns_firewall_config", {"vpc_id": vpc_id})
    run(emulator, account_id, "resolver_query_logging", {
        "name": "dns", "vpc_ids": [vpc_id],
        "destination_arn": f"arn:aws:logs:eu-west-1:{account_id}:log-group:/mlperimeter/dns"})

    calls_before = writes([c for c in emulator.calls() if c["account"] == account_id])
    for check in (False, True):
        info = run(emulator, account_id, "dns_firewall_info", {"vpc_id": vpc_id, "include_domains": True},
                   check=check)
        assert info["changed"] is False
        own = {fdl["name"]: fdl for fdl in info["domain_lists"] if not fdl.get("managed_owner_name")}
        assert own["approved"]["domains"] == ["example.com."]
        assert own["everything"]["domains"] == ["*."]
        assert own["approved"]["tags"] == TAGS
        assert any(fdl["name"] == "AWSManagedDomainsMalwareDomainList" for fdl in info["domain_lists"])
        (group,) = info["rule_groups"]
        assert [(r["name"], r["priority"], r["action"], r["firewall_domain_list_name"]) for r in group["rules"]] == [
            ("allow", 100, "ALLOW", "approved"), ("block", 200, "BLOCK", "everything")]
        (association,) = info["associations"]
        assert (association["firewall_rule_group_name"], association["priority"],
                association["mutation_protection"]) == ("egress", 9000, "ENABLED")
        assert [c["firewall_fail_open"] for c in info["firewall_configs"]] == ["DISABLED"]
        assert [(q["name"], q["vpc_ids"]) for q in info["query_log_configs"]] == [("dns", [vpc_id])]
    assert writes([c for c in emulator.calls() if c["account"] == account_id]) == calls_before

    filtered = run(emulator, account_id, "dns_firewall_info", {"domain_list_names": ["approved"],
                                                               "rule_group_names": ["none"]})
    assert [fdl["name"] for fdl in filtered["domain_lists"]] == ["approved"]
    assert "domains" not in filtered["domain_lists"][0]
    assert filtered["rule_groups"] == []
    assert filtered["associations"][0]["firewall_rule_group_name"] == "egress"


def test_gathers_only_what_is_asked_with_fewer_calls(emulator, account_id, aws):
    vpc_id = aws("ec2").create_vpc(CidrBlock="10.91.0.0/16")["Vpc"]["VpcId"]
    run(emulator, account_id, "dns_firewall_domain_list", {"name": "approved", "domains": ["example.com"],
                                                           "tags": TAGS})
    run(emulator, account_id, "dns_firewall_rule_group", {"name": "egress", "tags": TAGS, "rules": [
        {"name": "allow", "priority": 100, "action": "ALLOW", "domain_list": "approved"}]})
    run(emulator, account_id, "dns_firewall_association", {"rule_group": "egress", "vpc_id": vpc_id,
                                                           "priority": 9000, "tags": TAGS})

    def reads_of(args):
        emulator.reset_calls()
        info = run(emulator, account_id, "dns_firewall_info", args)
        return info, [c["operation"] for c in emulator.calls() if c["account"] == account_id]

    everything, all_calls = reads_of({"vpc_id": vpc_id})
    gate, gate_calls = reads_of({"vpc_id": vpc_id, "gather": ["associations", "firewall_configs"]})
    assert set(gate) - {"changed", "invocation"} == {"associations", "firewall_configs"}
    assert gate["associations"] == everything["associations"]
    assert gate["associations"][0]["firewall_rule_group_name"] == "egress"
    assert gate["firewall_configs"] == everything["firewall_configs"]
    assert sorted(gate_calls) == ["GetFirewallConfig", "ListFirewallRuleGroupAssociations",
                                  "ListFirewallRuleGroups"]
    assert len(all_calls) > len(gate_calls)
    assert all_calls.count("ListFirewallDomainLists") == 1
    assert all_calls.count("ListFirewallRuleGroups") == 1

    bad = run_module("dns_firewall_info", {"gather": ["rules"]}, emulator=emulator, account_id=account_id)
    assert bad["failed"] and "gather" in bad["msg"] and "rules" in bad["msg"]
