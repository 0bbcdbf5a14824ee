"""DNS Firewall logic of mlperimeter.aws: normalising, validating and diffing, without AWS."""

import pytest
from ansible_collections.mlperimeter.aws.plugins.module_utils import route53resolver as r53r


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("example.com", "example.com."),
        ("example.com.", "example.com."),
        ("Example.COM", "example.com."),
        ("*", "*."),
        ("*.", "*."),
        ("*.S3.amazonaws.com.", "*.s3.amazonaws.com."),
        ("  padded.example  ", "padded.example."),
    ],
)
def test_normalise_domain(given, stored):
    assert r53r.normalise_domain(given) == stored


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("example.com", None),
        ("*.example.com", None),
        ("*", None),
        ("*.", None),
        ("a-b.c-d.example.", None),
        ("x" * 254, None),
        ("", "is empty"),
        ("   ", "is empty"),
        ("x" * 255, "255"),
        ("bad_name.example", "labels of A-Z"),
        ("foo..example", "labels of A-Z"),
        (".example", "labels of A-Z"),
        ("example.com..", "labels of A-Z"),
        ("ex ample.com", "labels of A-Z"),
        ("a.*.example", "leftmost label"),
        ("*example.com", "leftmost label"),
        ("**.example", "leftmost label"),
        ("caf\u00e9.example", "characters outside"),
    ],
)
def test_domain_problem(value, problem):
    found = r53r.domain_problem(value)
    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_every_bad_domain_is_reported_at_once():
    desired, problems = r53r.desired_domains(
        ["ok.example", "bad_1.example", "also..bad"], [(3, "fine.example"), (7, "a.*.b")], "list.txt"
    )
    assert desired == set()
    assert problems == [
        "domains[1]: 'bad_1.example' must be labels of A-Z a-z 0-9 - separated by single periods",
        "domains[2]: 'also..bad' must be labels of A-Z a-z 0-9 - separated by single periods",
        "domains_file list.txt line 7: 'a.*.b' may only have * as its whole leftmost label (*.example.com or *)",
    ]


def test_desired_domains_are_normalised_and_deduplicated():
    desired, problems = r53r.desired_domains(["A.example", "a.example.", "*"], [(1, "b.example")], "f")
    assert problems == []
    assert desired == {"a.example.", "*.", "b.example."}


def test_read_domains_file(tmp_path):
    path = tmp_path / "domains.txt"
    path.write_text("# header\n\nexample.com\n  *.example.com   # wildcard\n#example.org\n")
    assert r53r.read_domains_file(str(path)) == [(3, "example.com"), (4, "*.example.com")]


def test_read_domains_file_that_does_not_exist(tmp_path):
    with pytest.raises(r53r.AnsibleRoute53ResolverError, match="domains_file"):
        r53r.read_domains_file(str(tmp_path / "missing.txt"))


@pytest.mark.parametrize(
    ("current", "desired", "mode", "to_add", "to_remove"),
    [
        ({"a.", "b."}, {"b.", "c."}, "exact", ["c."], ["a."]),
        ({"A.", "b"}, {"a.", "b."}, "exact", [], []),
        ({"a."}, set(), "exact", [], ["a."]),
        (set(), {"b.", "a."}, "exact", ["a.", "b."], []),
        ({"a."}, {"a.", "b."}, "add", ["b."], []),
        ({"a.", "z."}, {"b."}, "add", ["b."], []),
        ({"a.", "b."}, {"b.", "c."}, "remove", [], ["b."]),
        ({"a."}, {"c."}, "remove", [], []),
    ],
)
def test_diff_domains(current, desired, mode, to_add, to_remove):
    assert r53r.diff_domains(current, desired, mode) == (to_add, to_remove)


def test_diff_of_fifty_thousand_domains_changed_by_one_percent():
    current = {f"h{i}.example." for i in range(50_000)}
    desired = {f"h{i}.example." for i in range(500, 50_000)} | {f"n{i}.example." for i in range(500)}
    to_add, to_remove = r53r.diff_domains(current, desired, "exact")
    assert (len(to_add), len(to_remove)) == (500, 500)
    assert len(r53r.batches(to_add)) == 1 and len(r53r.batches(to_remove)) == 1


@pytest.mark.parametrize(("count", "sizes"), [(0, []), (1, [1]), (1000, [1000]), (1001, [1000, 1]),
                                              (2500, [1000, 1000, 500])])
def test_batches_of_at_most_1000(count, sizes):
    assert [len(batch) for batch in r53r.batches([str(i) for i in range(count)])] == sizes


RULE = {"name": "allow", "priority": 100, "action": "ALLOW", "domain_list": "approved"}


@pytest.mark.parametrize(
    ("rules", "problems"),
    [
        ([RULE], []),
        ([RULE, dict(RULE, name="other", domain_list="x", priority=100)],
         ["rules: priority 100 is given to more than one rule (allow, other); priorities must be unique in a rule "
          "group"]),
        ([dict(RULE, action="DENY")], ["rules[0].action: 'DENY' must be one of ALLOW, ALERT, BLOCK"]),
        ([dict(RULE, action="BLOCK")], ["rules[0].block_response: a BLOCK rule needs one of NODATA, NXDOMAIN, "
                                        "OVERRIDE"]),
        ([dict(RULE, action="ALERT", block_response="NODATA")],
         ["rules[0]: block_response only apply to BLOCK rules, not ALERT"]),
        ([dict(RULE, action="BLOCK", block_response="NXDOMAIN", block_override_ttl=5)],
         ["rules[0]: block_override_ttl only apply when block_response is OVERRIDE"]),
        ([dict(RULE, action="BLOCK", block_response="OVERRIDE", block_override_domain="sink.example")],
         ["rules[0]: block_response OVERRIDE needs block_override_domain and block_override_ttl"]),
        ([dict(RULE, action="BLOCK", block_response="OVERRIDE", block_override_domain="sink.example",
               block_override_ttl=0)], []),
        ([dict(RULE, qtype="TYPE65535")], ["rules[0].qtype: 'TYPE65535' must be one of A, AAAA, CAA, CNAME, DS, MX, "
                                           "NAPTR, NS, PTR, SOA, SPF, SRV, TXT or TYPE<n> with n from 1 to 65534"]),
        ([dict(RULE, qtype="TYPE28")], []),
        ([dict(RULE, priority=-1)], ["rules[0].priority: -1 must be a positive integer"]),
        ([dict(RULE, name="12345")], ["rules[0].name: '12345' must be 1 to 64 letters, digits, spaces, -, _ or ' "
                                      "(no periods) and not only digits"]),
        ([RULE, dict(RULE, name="again", priority=200)],
         ["rules: domain list 'approved' with qtype any is used by more than one rule (allow, again); a domain "
          "list can be used once per qtype"]),
        ([RULE, dict(RULE, name="again", priority=200, qtype="AAAA")], []),
    ],
)
def test_validate_rules(rules, problems):
    assert r53r.validate_rules(rules) == problems


def canonical(name, priority, list_id, qtype=None, action="ALLOW", **extra):
    rule = {"name": name, "priority": priority, "action": action, "qtype": qtype, **extra}
    return r53r.canonical_rule(rule, list_id)


def test_canonical_rule_fills_what_aws_fills():
    rule = canonical("sink", 5, "fdl-1", action="BLOCK", block_response="OVERRIDE",
                     block_override_domain="Sink.Example", block_override_ttl=0)
    assert rule["BlockOverrideDnsType"] == "CNAME"
    assert rule["BlockOverrideDomain"] == "sink.example."
    assert rule["FirewallDomainRedirectionAction"] == "INSPECT_REDIRECTION_DOMAIN"
    aws = {"FirewallRuleGroupId": "g", "FirewallDomainListId": "fdl-1", "Name": "sink", "Priority": 5,
           "Action": "BLOCK", "BlockResponse": "OVERRIDE", "BlockOverrideDomain": "sink.example.",
           "BlockOverrideDnsType": "CNAME", "BlockOverrideTtl": 0, "CreatorRequestId": "x",
           "FirewallDomainRedirectionAction": "INSPECT_REDIRECTION_DOMAIN"}
    assert r53r.current_rule(aws) == rule


@pytest.mark.parametrize(
    ("current", "desired", "purge", "plan"),
    [
        # same identity, new priority: updated in place
        ([canonical("a", 1, "L1")], [canonical("a", 2, "L1")], True, ([], ["a"], [], [])),
        # unchanged: nothing
        ([canonical("a", 1, "L1")], [canonical("a", 1, "L1")], True, ([], [], [], [])),
        # a new qtype is a new identity: delete and create
        ([canonical("a", 1, "L1")], [canonical("a", 1, "L1", qtype="A")], True, (["a"], [], ["a"], [])),
        # another domain list: delete and create
        ([canonical("a", 1, "L1")], [canonical("a", 1, "L2")], True, (["a"], [], ["a"], [])),
        # rules only AWS has: purged, or kept
        ([canonical("a", 1, "L1"), canonical("b", 2, "L2")], [canonical("a", 1, "L1")], True, (["b"], [], [], [])),
        ([canonical("a", 1, "L1"), canonical("b", 2, "L2")], [canonical("a", 1, "L1")], False, ([], [], [], ["b"])),
    ],
)
def test_plan_rules(current, desired, purge, plan):
    deletes, updates, creates, kept = r53r.plan_rules(current, desired, purge)
    names = ([r["Name"] for r in deletes], [new["Name"] for _old, new in updates], [r["Name"] for r in creates],
             [r["Name"] for r in kept])
    assert names == plan


def apply_steps(steps, priorities):
    """Replay UpdateFirewallRule steps on {rule name: priority}, asserting priorities stay unique."""
    held = dict(priorities)
    for existing, rule in steps:
        held[existing["Name"]] = rule["Priority"]
        assert len(set(held.values())) == len(held), steps
    return held


@pytest.mark.parametrize(
    ("moves", "extra_updates"),
    [
        ({"a": (1, 2), "b": (2, 1)}, 1),  # a swap parks one rule
        ({"a": (1, 2), "b": (2, 3), "c": (3, 1)}, 1),  # a cycle of three
        ({"a": (1, 2), "b": (2, 3)}, 0),  # a chain: b moves first
        ({"a": (1, 5), "b": (2, 6)}, 0),  # free targets
    ],
)
def test_order_updates_never_puts_two_rules_on_one_priority(moves, extra_updates):
    updates = [(canonical(name, old, f"L-{name}"), canonical(name, new, f"L-{name}"))
               for name, (old, new) in moves.items()]
    steps = r53r.order_updates(updates, [old for old, _new in moves.values()])
    final = apply_steps(steps, {name: old for name, (old, _new) in moves.items()})
    assert final == {name: new for name, (_old, new) in moves.items()}
    assert len(steps) == len(moves) + extra_updates


def test_priority_held_by_a_kept_rule_is_a_conflict():
    problems = r53r.priority_conflicts([canonical("theirs", 10, "L1")], [canonical("ours", 10, "L2")])
    assert problems == ["rules: priority 10 of rule 'ours' is held by rule 'theirs' that the task keeps "
                        "(purge_rules is false); choose another priority"]


@pytest.mark.parametrize(
    ("priority", "valid"),
    [(101, True), (9899, True), (5000, True), (100, False), (9900, False), (1, False), (10000, False), (None, False)],
)
def test_association_priority(priority, valid):
    assert (r53r.association_priority_problem(priority) is None) is valid


@pytest.mark.parametrize(
    ("arn", "valid"),
    [
        ("arn:aws:logs:eu-west-1:111111111111:log-group:/mlperimeter/dns", True),
        ("arn:aws:logs:eu-west-1:111111111111:log-group:/mlperimeter/dns:*", True),
        ("arn:aws:s3:::dns-logs", True),
        ("arn:aws:s3:::dns-logs/prefix/", True),
        ("arn:aws:firehose:eu-west-1:111111111111:deliverystream/dns", True),
        ("arn:aws:sqs:eu-west-1:111111111111:dns", False),
        ("dns-logs", False),
    ],
)
def test_query_log_destination(arn, valid):
    assert (r53r.destination_problem(arn) is None) is valid


def test_only_one_refuses_to_guess():
    with pytest.raises(r53r.AnsibleRoute53ResolverError) as raised:
        r53r.only_one([{"Id": "rslvr-fdl-2"}, {"Id": "rslvr-fdl-1"}], "firewall domain list", "approved")
    assert "rslvr-fdl-1, rslvr-fdl-2" in raised.value.message
    assert r53r.only_one([], "firewall domain list", "approved") is None


class FakeLists:
    """A client whose domain list goes through ``statuses``, one a read."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.reads = 0

    def get_firewall_domain_list(self, FirewallDomainListId):  # noqa: N803 - boto3's member name
        self.reads += 1
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return {"FirewallDomainList": {"Id": FirewallDomainListId, "Status": status, "StatusMessage": "m"}}


def test_wait_domain_list_polls_until_complete():
    client = FakeLists(["UPDATING", "UPDATING", "COMPLETE"])
    assert r53r.wait_domain_list(client, "rslvr-fdl-1", timeout=5, sleep=0.01)["Status"] == "COMPLETE"
    assert client.reads == 3


def test_wait_domain_list_times_out_and_reports_failed_imports():
    with pytest.raises(r53r.AnsibleRoute53ResolverError, match="still UPDATING after 0 seconds"):
        r53r.wait_domain_list(FakeLists(["UPDATING"]), "rslvr-fdl-1", timeout=0, sleep=0.01)
    with pytest.raises(r53r.AnsibleRoute53ResolverError, match="rslvr-fdl-1: m"):
        r53r.wait_domain_list(FakeLists(["COMPLETE_IMPORT_FAILED"]), "rslvr-fdl-1", timeout=5, sleep=0.01)
