"""The DNS Firewall oracle against the reference's examples (dns_firewall.md §0, §3.1-§3.6, §3.11, §3.15)."""

import pytest

from support import dns_oracle as dns
from support.dns_oracle import ALERT, ALLOW, BLOCK, Association, Rule

APPROVED = ("example.com", "*.example.com", "*.amazonaws.com")


def walled_garden(block_action=BLOCK, association_priority=9000):
    """§3.15: ALLOW the approved list at rule priority 100, BLOCK `*` at 200."""
    return Association(priority=association_priority, rule_group_id="rslvr-frg-egress", rules=(
        Rule(priority=100, action=ALLOW, domains=APPROVED, name="approved"),
        Rule(priority=200, action=block_action, domains=("*.",), name="everything", block_response="NXDOMAIN"),
    ))


@pytest.mark.parametrize(("entry", "name", "matches"), [
    ("example.com", "example.com", True),
    ("example.com", "a.example.com", False),          # no wildcard: exactly that name
    ("*.example.com", "a.example.com", True),
    ("*.example.com", "b.a.example.com", True),       # any depth
    ("*.example.com", "example.com", False),          # not the apex itself
    ("*.example.com", "badexample.com", False),
    ("*", "anything.at.all", True),
    ("*.", "anything.at.all", True),                  # `*` as the service returns it
    ("test.com.", "test.com", True),                  # trailing dot on storage
    ("Example.COM", "example.com.", True),            # names are case-insensitive
])
def test_domain_matching(entry, name, matches):
    assert dns.domain_matches(entry, name) is matches


@pytest.mark.parametrize(("rule_qtype", "query_type", "matches"), [
    (None, "TXT", True),
    ("TXT", "TXT", True),
    ("TXT", "A", False),
    ("AAAA", "TYPE28", True),
    ("TYPE16", "txt", True),
])
def test_qtype_matching(rule_qtype, query_type, matches):
    assert dns.qtype_matches(rule_qtype, query_type) is matches


ALERT_BEFORE_BLOCK = Association(priority=500, rules=(
    Rule(priority=1, action=ALERT, domains=("*.attacker.example",)),
    Rule(priority=2, action=BLOCK, domains=("*.attacker.example",), block_response="NODATA"),
))
TXT_ONLY_BLOCK = Association(priority=500, rules=(
    Rule(priority=10, action=BLOCK, domains=("*",), qtype="TXT", block_response="NXDOMAIN"),
))
EARLY_ALLOW_GROUP = Association(priority=200, rules=(Rule(priority=1, action=ALLOW, domains=("*.attacker.example",)),))
EARLY_BLOCK_ALL_GROUP = Association(priority=150, rules=(Rule(priority=1, action=BLOCK, domains=("*",)),))


@pytest.mark.parametrize(("associations", "name", "qtype", "resolves", "action", "alerted"), [
    ([walled_garden()], "api.example.com", "A", True, ALLOW, False),
    ([walled_garden()], "s3.eu-west-1.amazonaws.com", "A", True, ALLOW, False),
    ([walled_garden()], "upload.attacker.example", "A", False, BLOCK, False),
    ([walled_garden()], "aGVsbG8.t.attacker.example", "TXT", False, BLOCK, False),
    # staged: ALERT lets it through but reports it
    ([walled_garden(block_action=ALERT)], "upload.attacker.example", "A", True, ALERT, True),
    # ALERT is terminating: a higher-priority ALERT shadows a lower-priority BLOCK
    ([ALERT_BEFORE_BLOCK], "x.attacker.example", "A", True, ALERT, True),
    # a qtype rule matches only its type
    ([TXT_ONLY_BLOCK], "x.attacker.example", "TXT", False, BLOCK, False),
    ([TXT_ONLY_BLOCK], "x.attacker.example", "A", True, None, False),
    # no match in any group resolves
    ([Association(priority=300, rules=(Rule(priority=1, action=BLOCK, domains=("bad.example",)),))],
     "good.example", "A", True, None, False),
    # an earlier association (lower number) that ALLOWs short-circuits the block-all group
    ([walled_garden(), EARLY_ALLOW_GROUP], "upload.attacker.example", "A", True, ALLOW, False),
    # and a block-all group with a low number blocks what later groups allow
    ([walled_garden(), EARLY_BLOCK_ALL_GROUP], "api.example.com", "A", False, BLOCK, False),
])
def test_evaluation_order(associations, name, qtype, resolves, action, alerted):
    verdict = dns.decide(associations, name, qtype)
    assert (verdict.resolves, verdict.action, verdict.alerted) == (resolves, action, alerted), verdict.explain()


def test_rule_priority_not_list_order_decides():
    group = Association(priority=500, rules=(
        Rule(priority=20, action=BLOCK, domains=("*",)),
        Rule(priority=10, action=ALLOW, domains=("ok.example",)),
    ))
    assert dns.decide([group], "ok.example").action == ALLOW


def test_block_reports_rule_group_and_response():
    verdict = dns.decide([walled_garden()], "c2.attacker.example")
    assert verdict.answer == "NXDOMAIN"
    assert verdict.association.rule_group_id == "rslvr-frg-egress"
    assert "BLOCK" in verdict.explain() and "rslvr-frg-egress" in verdict.explain()


@pytest.mark.parametrize(("redirection", "resolves"), [
    (dns.INSPECT_REDIRECTION, False),   # the CNAME target is inspected and hits BLOCK `*`
    (dns.TRUST_REDIRECTION, True),      # only the first name is inspected
])
def test_cname_chain(redirection, resolves):
    group = Association(priority=9000, rules=(
        Rule(priority=100, action=ALLOW, domains=("www.example.com",), redirection=redirection),
        Rule(priority=200, action=BLOCK, domains=("*",)),
    ))
    verdict = dns.decide([group], "www.example.com", cname_chain=("edge.cdn-provider.example",))
    assert verdict.resolves is resolves


@pytest.mark.parametrize(("associations", "fail_open", "resolves"), [
    ([walled_garden()], False, False),   # fail closed: SERVFAIL
    ([walled_garden()], True, True),     # fail open: unevaluated
    ([], False, True),                   # no association: the config is not enforced
])
def test_firewall_unavailable(associations, fail_open, resolves):
    verdict = dns.decide(associations, "api.example.com", fail_open=fail_open, firewall_answers=False)
    assert verdict.resolves is resolves


def test_association_from_api_shapes():
    association = dns.association_from_api(
        {"Id": "rslvr-frgassoc-1", "FirewallRuleGroupId": "rslvr-frg-1", "Priority": 9000, "Name": "egress"},
        [
            {"FirewallRuleGroupId": "rslvr-frg-1", "FirewallDomainListId": "rslvr-fdl-all", "Priority": 200,
             "Action": "BLOCK", "BlockResponse": "NXDOMAIN", "Name": "block-all"},
            {"FirewallRuleGroupId": "rslvr-frg-1", "FirewallDomainListId": "rslvr-fdl-ok", "Priority": 100,
             "Action": "ALLOW", "Name": "approved", "Qtype": "A"},
            {"FirewallRuleGroupId": "rslvr-frg-1", "Priority": 50, "Action": "BLOCK", "Name": "tunnelling",
             "DnsThreatProtection": "DNS_TUNNELING", "FirewallThreatProtectionId": "tp-1"},
        ],
        {"rslvr-fdl-all": ["*."], "rslvr-fdl-ok": ["api.example.com."]},
    )
    assert [r.name for r in association.rules] == ["block-all", "approved"]
    assert dns.decide([association], "api.example.com", "A").action == ALLOW
    assert dns.decide([association], "api.example.com", "TXT").action == BLOCK
