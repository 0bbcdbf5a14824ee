"""The collection's DNS Firewall evaluation, held to the test suite's oracle over generated tables."""

import random

import pytest
from ansible_collections.mlperimeter.aws.plugins.module_utils import dns_firewall_evaluation as dns

from support import dns_oracle

NAMES = ["example.com", "api.example.com", "deep.api.example.com", "badexample.com", "upload.attacker.example",
         "attacker.example", "s3.us-east-1.amazonaws.com", "amazonaws.com", "cdn.example.net", "Example.COM.",
         "t.attacker.example"]
ENTRIES = ["example.com", "*.example.com", "*.attacker.example", "attacker.example", "*.amazonaws.com", "*", "*.",
           "cdn.example.net.", "EXAMPLE.com", "*.api.example.com", "badexample.com"]
QUERY_TYPES = ["A", "AAAA", "TXT", "MX", "TYPE28", "TYPE16", "txt"]
RULE_QTYPES = [None, None, None, "A", "AAAA", "TXT", "TYPE28", "TYPE16", "MX"]
ACTIONS = ["ALLOW", "ALERT", "BLOCK", "BLOCK"]
BLOCK_RESPONSES = [None, "NODATA", "NXDOMAIN", "OVERRIDE"]
REDIRECTIONS = [None, "INSPECT_REDIRECTION_DOMAIN", "TRUST_REDIRECTION_DOMAIN"]


def _case(rng):
    """A VPC's associations, rules and domain lists in the API's shapes, and one query."""
    domains_by_list, associations = {}, []
    for group_index, priority in enumerate(rng.sample(range(101, 9900), rng.randint(0, 3))):
        rules = []
        for rule_priority in rng.sample(range(1, 500), rng.randint(0, 4)):
            if rng.random() < 0.1:  # a DNS Firewall Advanced rule: no domain list
                rules.append({"Priority": rule_priority, "Action": "BLOCK", "Name": f"advanced-{rule_priority}"})
                continue
            list_id = f"rslvr-fdl-{len(domains_by_list)}"
            domains_by_list[list_id] = rng.sample(ENTRIES, rng.randint(0, 3))
            rule = {"Priority": rule_priority, "Action": rng.choice(ACTIONS), "FirewallDomainListId": list_id,
                    "Name": f"rule-{rule_priority}"}
            if (qtype := rng.choice(RULE_QTYPES)) is not None:
                rule["Qtype"] = qtype
            if rule["Action"] == "BLOCK" and (response := rng.choice(BLOCK_RESPONSES)):
                rule["BlockResponse"] = response
            if redirection := rng.choice(REDIRECTIONS):
                rule["FirewallDomainRedirectionAction"] = redirection
            rules.append(rule)
        associations.append(({"Priority": priority, "Name": f"group-{group_index}",
                              "FirewallRuleGroupId": f"rslvr-frg-{group_index}"}, rules))
    query = dict(name=rng.choice(NAMES), query_type=rng.choice(QUERY_TYPES),
                 cname_chain=tuple(rng.sample(NAMES, rng.randint(0, 2))), fail_open=rng.random() < 0.3,
                 firewall_answers=rng.random() < 0.85)
    return associations, domains_by_list, query


def _outcome(verdict):
    return {
        "resolves": verdict.resolves, "action": verdict.action, "alerted": verdict.alerted, "answer": verdict.answer,
        "rule": verdict.rule.name if verdict.rule else None,
        "group": verdict.association.rule_group_id if verdict.association else None,
    }


@pytest.mark.parametrize("seed", range(6))
def test_agrees_with_the_oracle_on_generated_tables(seed):
    rng = random.Random(seed)
    seen, disagreements = set(), []
    for _ in range(150):
        associations, domains_by_list, query = _case(rng)
        ours = dns.evaluate_query(
            [dns.association_from_api(a, rules, domains_by_list) for a, rules in associations], **query)
        theirs = dns_oracle.decide(
            [dns_oracle.association_from_api(a, rules, domains_by_list) for a, rules in associations], **query)
        if _outcome(ours) != _outcome(theirs):
            disagreements.append((associations, domains_by_list, query, _outcome(ours), _outcome(theirs)))
        seen.add((ours.action, ours.resolves))
    assert not disagreements, disagreements[:3]
    # The tables reach every kind of outcome, so agreement is not agreement on one easy case.
    assert {("ALLOW", True), ("ALERT", True), ("BLOCK", False), (None, True), (None, False)} <= seen


APPROVED = {"rslvr-fdl-approved": ["*.amazonaws.com.", "amazonaws.com."], "rslvr-fdl-all": ["*."]}
WALLED_GARDEN = ({"Priority": 9000, "FirewallRuleGroupId": "rslvr-frg-egress"}, [
    {"Priority": 100, "Action": "ALLOW", "FirewallDomainListId": "rslvr-fdl-approved", "Name": "approved"},
    {"Priority": 200, "Action": "BLOCK", "FirewallDomainListId": "rslvr-fdl-all", "Name": "everything",
     "BlockResponse": "NXDOMAIN"},
])


def _garden(block_action="BLOCK"):
    association, rules = WALLED_GARDEN
    rules = [dict(rule, Action=block_action) if rule["Name"] == "everything" else rule for rule in rules]
    return [dns.association_from_api(association, rules, APPROVED)]


@pytest.mark.parametrize(("name", "query_type", "resolves", "action", "answer"), [
    ("s3.us-east-1.amazonaws.com", "A", True, "ALLOW", "resolved"),
    ("amazonaws.com.", "AAAA", True, "ALLOW", "resolved"),
    ("upload.attacker.example", "A", False, "BLOCK", "NXDOMAIN"),
    ("mzxw6ytboi2dsnzq.t.attacker.example", "TXT", False, "BLOCK", "NXDOMAIN"),
])
def test_walled_garden(name, query_type, resolves, action, answer):
    outcome = dns.evaluate_query(_garden(), name, query_type)
    assert (outcome.resolves, outcome.action, outcome.answer) == (resolves, action, answer)


def test_an_alert_ends_evaluation_and_reads_as_staged():
    outcome = dns.evaluate_query(_garden("ALERT"), "upload.attacker.example")
    assert outcome.resolves and outcome.alerted
    assert "ALERT by rule everything (priority 200, list rslvr-fdl-all) of rule group rslvr-frg-egress" in \
        outcome.explain()


def test_a_blocked_cname_target_blocks_the_query_unless_the_rule_trusts_redirection():
    association, rules = WALLED_GARDEN
    inspected = dns.evaluate_query(_garden(), "s3.amazonaws.com", cname_chain=("edge.cdn.example",))
    assert not inspected.resolves and inspected.name == "edge.cdn.example"
    trusting = [dict(rules[0], FirewallDomainRedirectionAction="TRUST_REDIRECTION_DOMAIN"), rules[1]]
    trusted = dns.evaluate_query([dns.association_from_api(association, trusting, APPROVED)], "s3.amazonaws.com",
                                 cname_chain=("edge.cdn.example",))
    assert trusted.resolves and trusted.action == "ALLOW"


@pytest.mark.parametrize(("fail_open", "resolves", "answer"), [
    (False, False, "SERVFAIL (fail closed)"), (True, True, "resolved unevaluated (fail open)")])
def test_without_an_answer_the_firewall_config_decides(fail_open, resolves, answer):
    outcome = dns.evaluate_query(_garden(), "upload.attacker.example", fail_open=fail_open, firewall_answers=False)
    assert (outcome.resolves, outcome.answer) == (resolves, answer)


def test_a_vpc_without_associations_is_not_filtered():
    assert dns.evaluate_query([], "upload.attacker.example", firewall_answers=False).resolves
