"""DNS Firewall rule groups, rules and rule group policies in the emulator, driven through boto3."""

import json
import re

import pytest

from support.contract import call_operation as call
from support.contract import refused


@pytest.fixture
def fw(aws):
    return aws("route53resolver")






def new_group(fw, name="egress", **params):
    return call(fw, "CreateFirewallRuleGroup", Name=name, **params)["FirewallRuleGroup"]


def new_list(fw, name="approved"):
    return call(fw, "CreateFirewallDomainList", Name=name)["FirewallDomainList"]["Id"]


def new_rule(fw, group_id, list_id, priority=100, action="ALLOW", **params):
    return call(fw, "CreateFirewallRule", FirewallRuleGroupId=group_id, FirewallDomainListId=list_id,
                Priority=priority, Action=action, Name=params.pop("Name", f"rule-{priority}"), **params)["FirewallRule"]


def get_group(fw, group_id):
    return call(fw, "GetFirewallRuleGroup", FirewallRuleGroupId=group_id)["FirewallRuleGroup"]


def rules_of(fw, group_id, **params):
    return call(fw, "ListFirewallRules", FirewallRuleGroupId=group_id, **params)["FirewallRules"]


@pytest.fixture
def group(fw):
    return new_group(fw)["Id"]


@pytest.fixture
def domain_list(fw):
    return new_list(fw)


# -- rule groups ---------------------------------------------------------------------------


def test_create_rule_group_answers_a_complete_empty_group(fw, account_id):
    created = new_group(fw, CreatorRequestId="group-1")
    assert re.fullmatch(r"rslvr-frg-[0-9a-f]{16}", created["Id"])
    assert created["Arn"] == f"arn:aws:route53resolver:eu-west-1:{account_id}:firewall-rule-group/{created['Id']}"
    assert (created["RuleCount"], created["Status"], created["OwnerId"], created["ShareStatus"]) == (
        0, "COMPLETE", account_id, "NOT_SHARED")
    assert get_group(fw, created["Id"]) == created


def test_same_creator_request_id_gives_the_same_group_back(fw):
    first = new_group(fw, CreatorRequestId="group-token")
    assert new_group(fw, CreatorRequestId="group-token")["Id"] == first["Id"]
    refused(fw, "CreateFirewallRuleGroup", "ValidationException", "creatorRequestId",
            Name="other", CreatorRequestId="group-token")
    groups = call(fw, "ListFirewallRuleGroups")["FirewallRuleGroups"]
    assert [g["Id"] for g in groups] == [first["Id"]]


def test_list_rule_groups_paginates_metadata(fw, account_id):
    created = [new_group(fw, name=f"group-{i}")["Id"] for i in range(5)]
    seen, token = [], None
    while True:
        answer = call(fw, "ListFirewallRuleGroups", MaxResults=2, **({"NextToken": token} if token else {}))
        seen += answer["FirewallRuleGroups"]
        token = answer.get("NextToken")
        if not token:
            break
    assert [g["Id"] for g in seen] == created
    assert all(set(g) == {"Id", "Arn", "Name", "OwnerId", "CreatorRequestId", "ShareStatus"} for g in seen)
    refused(fw, "ListFirewallRuleGroups", "ValidationException", "maxResults", MaxResults=101)


def test_unknown_rule_group_is_not_found(fw):
    refused(fw, "GetFirewallRuleGroup", "ResourceNotFoundException", "rslvr-frg-0000000000000000",
            FirewallRuleGroupId="rslvr-frg-0000000000000000")


def test_delete_rule_group_refused_while_it_has_rules(fw, group, domain_list):
    new_rule(fw, group, domain_list)
    message = refused(fw, "DeleteFirewallRuleGroup", "ConflictException", group, FirewallRuleGroupId=group)
    assert message.startswith("[RSLVR-02103]")
    call(fw, "DeleteFirewallRule", FirewallRuleGroupId=group, FirewallDomainListId=domain_list)
    deleted = call(fw, "DeleteFirewallRuleGroup", FirewallRuleGroupId=group)["FirewallRuleGroup"]
    assert deleted["Id"] == group
    refused(fw, "GetFirewallRuleGroup", "ResourceNotFoundException", group, FirewallRuleGroupId=group)


# -- rules ---------------------------------------------------------------------------------


def test_allow_rule_round_trips_as_aws_answers_it(fw, group, domain_list):
    rule = new_rule(fw, group, domain_list, priority=1, CreatorRequestId="rule-1")
    assert rule == {
        **rule,
        "FirewallRuleGroupId": group,
        "FirewallDomainListId": domain_list,
        "Priority": 1,
        "Action": "ALLOW",
        "Name": "rule-1",
        "CreatorRequestId": "rule-1",
        "FirewallDomainRedirectionAction": "INSPECT_REDIRECTION_DOMAIN",
    }
    assert not {"BlockResponse", "Qtype", "FirewallThreatProtectionId", "Status"} & set(rule)
    assert rules_of(fw, group) == [rule]
    assert get_group(fw, group)["RuleCount"] == 1


def test_same_creator_request_id_gives_the_same_rule_back(fw, group, domain_list):
    first = new_rule(fw, group, domain_list, CreatorRequestId="rule-token")
    assert new_rule(fw, group, domain_list, CreatorRequestId="rule-token") == first
    assert get_group(fw, group)["RuleCount"] == 1


@pytest.mark.parametrize(("params", "field"), [
    ({"Action": "BLOCK"}, "blockResponse"),
    ({"Action": "BLOCK", "BlockResponse": "OVERRIDE", "BlockOverrideDnsType": "CNAME", "BlockOverrideTtl": 0},
     "blockOverrideDomain"),
    ({"Action": "BLOCK", "BlockResponse": "OVERRIDE", "BlockOverrideDomain": "sink.example.com",
      "BlockOverrideTtl": 0}, "blockOverrideDnsType"),
    ({"Action": "BLOCK", "BlockResponse": "OVERRIDE", "BlockOverrideDomain": "sink.example.com",
      "BlockOverrideDnsType": "CNAME"}, "blockOverrideTtl"),
    ({"Action": "ALLOW", "BlockResponse": "NXDOMAIN"}, "blockResponse"),
    ({"Action": "ALERT", "BlockOverrideTtl": 5}, "blockOverrideTtl"),
    ({"Action": "BLOCK", "BlockResponse": "NODATA", "BlockOverrideDomain": "sink.example.com"}, "blockOverrideDomain"),
    ({"Action": "BLOCK", "BlockResponse": "OVERRIDE", "BlockOverrideDomain": "sink.example.com",
      "BlockOverrideDnsType": "CNAME", "BlockOverrideTtl": 604801}, "blockOverrideTtl"),
    ({"Action": "DENY"}, "action"),
    ({"Action": "BLOCK", "BlockResponse": "REFUSED"}, "blockResponse"),
    ({"Action": "BLOCK", "BlockResponse": "OVERRIDE", "BlockOverrideDomain": "sink.example.com",
      "BlockOverrideDnsType": "A", "BlockOverrideTtl": 0}, "blockOverrideDnsType"),
    ({"Action": "ALLOW", "FirewallDomainRedirectionAction": "FOLLOW"}, "firewallDomainRedirectionAction"),
    ({"Action": "ALLOW", "Name": "no.dots"}, "name"),
])
def test_rule_fields_are_checked(fw, group, domain_list, params, field):
    params.setdefault("Name", "rule")
    refused(fw, "CreateFirewallRule", "ValidationException", field,
            FirewallRuleGroupId=group, FirewallDomainListId=domain_list, Priority=1, **params)
    assert rules_of(fw, group) == []


@pytest.mark.parametrize(("block", "expected"), [
    ({"BlockResponse": "NXDOMAIN"}, {"BlockResponse": "NXDOMAIN"}),
    ({"BlockResponse": "NODATA"}, {"BlockResponse": "NODATA"}),
    ({"BlockResponse": "OVERRIDE", "BlockOverrideDomain": "sink.example.com", "BlockOverrideDnsType": "CNAME",
      "BlockOverrideTtl": 0},
     {"BlockResponse": "OVERRIDE", "BlockOverrideDomain": "sink.example.com", "BlockOverrideDnsType": "CNAME",
      "BlockOverrideTtl": 0}),
])
def test_block_rules_keep_their_block_response(fw, group, domain_list, block, expected):
    rule = new_rule(fw, group, domain_list, action="BLOCK", **block)
    assert {k: v for k, v in rule.items() if k.startswith("Block")} == expected
    assert rules_of(fw, group)[0] == rule


@pytest.mark.parametrize("qtype", ["A", "AAAA", "CNAME", "TXT", "TYPE1", "TYPE28", "TYPE65534"])
def test_valid_qtypes_are_accepted(fw, group, domain_list, qtype):
    assert new_rule(fw, group, domain_list, Qtype=qtype)["Qtype"] == qtype


@pytest.mark.parametrize("qtype", ["a", "ANY", "TYPE", "TYPE0", "TYPE65535", "TYPE028", "AXFR"])
def test_invalid_qtypes_are_refused(fw, group, domain_list, qtype):
    refused(fw, "CreateFirewallRule", "ValidationException", "qtype", FirewallRuleGroupId=group,
            FirewallDomainListId=domain_list, Priority=1, Action="ALLOW", Name="rule", Qtype=qtype)


def test_redirection_action_is_kept(fw, group, domain_list):
    rule = new_rule(fw, group, domain_list, FirewallDomainRedirectionAction="TRUST_REDIRECTION_DOMAIN")
    assert rule["FirewallDomainRedirectionAction"] == "TRUST_REDIRECTION_DOMAIN"


def test_rule_priorities_are_unique_in_a_group(fw, group, domain_list):
    other_list = new_list(fw, "other")
    new_rule(fw, group, domain_list, priority=100)
    refused(fw, "CreateFirewallRule", "ValidationException", "priority", FirewallRuleGroupId=group,
            FirewallDomainListId=other_list, Priority=100, Action="ALLOW", Name="clash")
    assert len(rules_of(fw, group)) == 1
    other_group = new_group(fw, "second")["Id"]
    new_rule(fw, other_group, other_list, priority=100)


def test_a_domain_list_is_used_once_per_qtype_in_a_group(fw, group, domain_list):
    new_rule(fw, group, domain_list, priority=1)
    refused(fw, "CreateFirewallRule", "ValidationException", "firewallDomainListId", FirewallRuleGroupId=group,
            FirewallDomainListId=domain_list, Priority=2, Action="ALLOW", Name="again")
    new_rule(fw, group, domain_list, priority=3, Qtype="AAAA")
    new_rule(fw, group, domain_list, priority=4, Qtype="A")
    assert get_group(fw, group)["RuleCount"] == 3
    # A rule with a qtype is addressed with its qtype.
    call(fw, "DeleteFirewallRule", FirewallRuleGroupId=group, FirewallDomainListId=domain_list)
    refused(fw, "DeleteFirewallRule", "ValidationException", "qtype",
            FirewallRuleGroupId=group, FirewallDomainListId=domain_list)
    deleted = call(fw, "DeleteFirewallRule", FirewallRuleGroupId=group, FirewallDomainListId=domain_list,
                   Qtype="AAAA")["FirewallRule"]
    assert (deleted["Priority"], deleted["Qtype"]) == (3, "AAAA")
    assert [(r["Priority"], r.get("Qtype")) for r in rules_of(fw, group)] == [(4, "A")]


@pytest.mark.parametrize(("group_id", "list_id", "missing"), [
    ("rslvr-frg-0000000000000000", None, "rslvr-frg-0000000000000000"),
    (None, "rslvr-fdl-0000000000000000", "rslvr-fdl-0000000000000000"),
])
def test_rule_needs_an_existing_group_and_list(fw, group, domain_list, group_id, list_id, missing):
    refused(fw, "CreateFirewallRule", "ResourceNotFoundException", missing, FirewallRuleGroupId=group_id or group,
            FirewallDomainListId=list_id or domain_list, Priority=1, Action="ALLOW", Name="rule")


def test_rule_needs_exactly_one_match_source(fw, group, domain_list):
    refused(fw, "CreateFirewallRule", "ValidationException", "firewallDomainListId",
            FirewallRuleGroupId=group, Priority=1, Action="ALLOW", Name="rule")
    refused(fw, "CreateFirewallRule", "ValidationException", "firewallDomainListId",
            FirewallRuleGroupId=group, FirewallDomainListId=domain_list, DnsThreatProtection="DGA",
            ConfidenceThreshold="HIGH", Priority=1, Action="BLOCK", BlockResponse="NODATA", Name="rule")


def test_rules_can_use_aws_managed_lists(fw, group):
    lists = call(fw, "ListFirewallDomainLists")["FirewallDomainLists"]
    malware = next(fdl["Id"] for fdl in lists if fdl["Name"] == "AWSManagedDomainsMalwareDomainList")
    rule = new_rule(fw, group, malware, action="ALERT")
    assert rule["FirewallDomainListId"] == malware


def test_update_rule_changes_attributes_and_reads_back(fw, group, domain_list):
    new_rule(fw, group, domain_list, priority=10, action="BLOCK", BlockResponse="OVERRIDE",
             BlockOverrideDomain="sink.example.com", BlockOverrideDnsType="CNAME", BlockOverrideTtl=60)
    updated = call(fw, "UpdateFirewallRule", FirewallRuleGroupId=group, FirewallDomainListId=domain_list,
                   BlockResponse="NXDOMAIN", Priority=0, Name="renamed")["FirewallRule"]
    assert (updated["Priority"], updated["Name"], updated["BlockResponse"]) == (0, "renamed", "NXDOMAIN")
    assert "BlockOverrideDomain" not in updated and "BlockOverrideTtl" not in updated
    updated = call(fw, "UpdateFirewallRule", FirewallRuleGroupId=group, FirewallDomainListId=domain_list,
                   Action="ALLOW")["FirewallRule"]
    assert "BlockResponse" not in updated
    assert rules_of(fw, group) == [updated]
    assert updated["ModificationTime"] >= updated["CreationTime"]


def test_update_rule_keeps_priorities_unique_and_checks_fields(fw, group, domain_list):
    other_list = new_list(fw, "other")
    new_rule(fw, group, domain_list, priority=1)
    new_rule(fw, group, other_list, priority=2)
    refused(fw, "UpdateFirewallRule", "ValidationException", "priority",
            FirewallRuleGroupId=group, FirewallDomainListId=other_list, Priority=1)
    refused(fw, "UpdateFirewallRule", "ValidationException", "blockResponse",
            FirewallRuleGroupId=group, FirewallDomainListId=other_list, Action="BLOCK")
    assert [r["Priority"] for r in rules_of(fw, group)] == [1, 2]
    refused(fw, "UpdateFirewallRule", "ResourceNotFoundException", "rslvr-fdl-0000000000000000",
            FirewallRuleGroupId=group, FirewallDomainListId="rslvr-fdl-0000000000000000", Priority=5)


def test_update_rule_can_change_its_qtype(fw, group, domain_list):
    new_rule(fw, group, domain_list, Qtype="A")
    updated = call(fw, "UpdateFirewallRule", FirewallRuleGroupId=group, FirewallDomainListId=domain_list,
                   Qtype="AAAA")["FirewallRule"]
    assert updated["Qtype"] == "AAAA"
    assert [r["Qtype"] for r in rules_of(fw, group)] == ["AAAA"]


def test_list_rules_filters_by_priority_and_action_and_paginates(fw, group):
    for priority in range(0, 7):
        new_rule(fw, group, new_list(fw, f"list-{priority}"), priority=priority,
                 action="ALERT" if priority % 2 else "ALLOW")
    assert [r["Priority"] for r in rules_of(fw, group, Priority=0)] == [0]
    assert [r["Priority"] for r in rules_of(fw, group, Action="ALERT")] == [1, 3, 5]
    seen, token = [], None
    while True:
        answer = call(fw, "ListFirewallRules", FirewallRuleGroupId=group, MaxResults=3,
                      **({"NextToken": token} if token else {}))
        seen += answer["FirewallRules"]
        token = answer.get("NextToken")
        if not token:
            break
    assert [r["Priority"] for r in seen] == list(range(7))
    refused(fw, "ListFirewallRules", "ResourceNotFoundException", "rslvr-frg-0000000000000000",
            FirewallRuleGroupId="rslvr-frg-0000000000000000")


def test_a_group_holds_at_most_100_rules(fw, group, domain_list):
    for number in range(1, 101):
        new_rule(fw, group, domain_list, priority=number, Qtype=f"TYPE{number}")
    refused(fw, "CreateFirewallRule", "LimitExceededException", "100", FirewallRuleGroupId=group,
            FirewallDomainListId=domain_list, Priority=101, Action="ALLOW", Name="one-too-many", Qtype="TYPE101")
    assert get_group(fw, group)["RuleCount"] == 100


def test_dns_threat_protection_rules_get_their_own_id(fw, group):
    rule = call(fw, "CreateFirewallRule", FirewallRuleGroupId=group, DnsThreatProtection="DNS_TUNNELING",
                ConfidenceThreshold="MEDIUM", Priority=5, Action="BLOCK", BlockResponse="NXDOMAIN",
                Name="tunnels")["FirewallRule"]
    threat_id = rule["FirewallThreatProtectionId"]
    assert (rule["DnsThreatProtection"], rule["ConfidenceThreshold"]) == ("DNS_TUNNELING", "MEDIUM")
    assert "FirewallDomainListId" not in rule
    updated = call(fw, "UpdateFirewallRule", FirewallRuleGroupId=group, FirewallThreatProtectionId=threat_id,
                   ConfidenceThreshold="HIGH")["FirewallRule"]
    assert updated["ConfidenceThreshold"] == "HIGH"
    call(fw, "DeleteFirewallRule", FirewallRuleGroupId=group, FirewallThreatProtectionId=threat_id)
    assert rules_of(fw, group) == []


@pytest.mark.parametrize(("params", "field"), [
    ({"Action": "BLOCK", "BlockResponse": "NODATA"}, "confidenceThreshold"),
    ({"Action": "ALLOW", "ConfidenceThreshold": "LOW"}, "action"),
    ({"Action": "ALERT", "ConfidenceThreshold": "LOWEST"}, "confidenceThreshold"),
])
def test_dns_threat_protection_rules_are_checked(fw, group, params, field):
    refused(fw, "CreateFirewallRule", "ValidationException", field, FirewallRuleGroupId=group,
            DnsThreatProtection="DGA", Priority=1, Name="dga", **params)


def test_delete_unknown_rule_is_not_found(fw, group, domain_list):
    refused(fw, "DeleteFirewallRule", "ResourceNotFoundException", domain_list,
            FirewallRuleGroupId=group, FirewallDomainListId=domain_list)


def test_batch_rule_operations_report_errors_per_entry(fw, group, domain_list):
    other_list = new_list(fw, "other")
    entry = {"FirewallRuleGroupId": group, "Action": "ALLOW", "CreatorRequestId": "batch"}
    answer = call(fw, "BatchCreateFirewallRule", CreateFirewallRuleEntries=[
        {**entry, "FirewallDomainListId": domain_list, "Priority": 1, "Name": "one", "CreatorRequestId": "b1"},
        {**entry, "FirewallDomainListId": other_list, "Priority": 1, "Name": "clash", "CreatorRequestId": "b2"},
    ])
    assert [r["Name"] for r in answer["CreatedFirewallRules"]] == ["one"]
    assert [(e["Code"], e["FirewallRule"]["Name"]) for e in answer["CreateErrors"]] == [
        ("ValidationException", "clash")]
    answer = call(fw, "BatchUpdateFirewallRule", UpdateFirewallRuleEntries=[
        {"FirewallRuleGroupId": group, "FirewallDomainListId": domain_list, "Priority": 7},
        {"FirewallRuleGroupId": group, "FirewallDomainListId": other_list, "Priority": 8},
    ])
    assert [r["Priority"] for r in answer["UpdatedFirewallRules"]] == [7]
    assert [e["Code"] for e in answer["UpdateErrors"]] == ["ResourceNotFoundException"]
    answer = call(fw, "BatchDeleteFirewallRule", DeleteFirewallRuleEntries=[
        {"FirewallRuleGroupId": group, "FirewallDomainListId": domain_list},
    ])
    assert [r["Priority"] for r in answer["DeletedFirewallRules"]] == [7]
    assert rules_of(fw, group) == []


# -- rule group policies -------------------------------------------------------------------


def test_rule_group_policy_is_stored_and_read_back(fw, account_id):
    arn = new_group(fw)["Arn"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": ["route53resolver:GetFirewallRuleGroup"], "Resource": arn}]})
    assert call(fw, "PutFirewallRuleGroupPolicy", Arn=arn, FirewallRuleGroupPolicy=policy)["ReturnValue"] is True
    assert call(fw, "GetFirewallRuleGroupPolicy", Arn=arn)["FirewallRuleGroupPolicy"] == policy
    refused(fw, "PutFirewallRuleGroupPolicy", "ValidationException", "firewallRuleGroupPolicy",
            Arn=arn, FirewallRuleGroupPolicy="{not json")
    missing = f"arn:aws:route53resolver:eu-west-1:{account_id}:firewall-rule-group/rslvr-frg-0000000000000000"
    refused(fw, "GetFirewallRuleGroupPolicy", "ResourceNotFoundException", missing, Arn=missing)
