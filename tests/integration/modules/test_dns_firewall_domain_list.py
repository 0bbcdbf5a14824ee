"""mlperimeter.aws.dns_firewall_domain_list against the emulator: four ways, read back with boto3."""

import time

import pytest

from support.calls import writes
from support.modules import four_ways, run_module

TAGS = {"mlperimeter:managed": "true", "mlperimeter:control": "M2"}


def assert_four_ways(results, changed):
    assert [r.get("failed", False) for r in results] == [False] * 4, results
    assert [r["changed"] for r in results] == [changed, changed, False, False], results


def domains_of(fw, list_id):
    pages = fw.get_paginator("list_firewall_domains").paginate(FirewallDomainListId=list_id,
                                                               PaginationConfig={"PageSize": 5000})
    return {domain for page in pages for domain in page["Domains"]}


def lists_named(fw, name):
    pages = fw.get_paginator("list_firewall_domain_lists").paginate()
    return [fdl for page in pages for fdl in page["FirewallDomainLists"] if fdl["Name"] == name]


def tags_of(fw, arn):
    return {t["Key"]: t["Value"] for t in fw.list_tags_for_resource(ResourceArn=arn)["Tags"]}


def own_calls(emulator, account_id, operation=None):
    return [c for c in emulator.calls()
            if c["account"] == account_id and (operation is None or c["operation"] == operation)]


@pytest.fixture
def fw(aws):
    return aws("route53resolver")


def run(emulator, account_id, args, **kwargs):
    return run_module("dns_firewall_domain_list", args, emulator=emulator, account_id=account_id, **kwargs)


def test_creates_a_list_normalised_as_aws_stores_it(emulator, account_id, fw):
    args = {"name": "approved", "domains": ["Example.COM", "*.example.com.", "*", "example.com"], "tags": TAGS}
    results = four_ways("dns_firewall_domain_list", args, emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    (fdl,) = lists_named(fw, "approved")
    assert domains_of(fw, fdl["Id"]) == {"example.com.", "*.example.com.", "*."}
    assert tags_of(fw, fdl["Arn"]) == TAGS
    assert results[0]["domain_list"]["id"] is None
    assert results[0]["domain_list"]["added"] == 3
    assert results[0]["diff"] == {"before": {}, "after": {"name": "approved", "domain_count": 3, "tags": TAGS,
                                                          "domains": ["*.", "*.example.com.", "example.com."]}}
    created = results[1]["domain_list"]
    assert (created["id"], created["arn"], created["domain_count"], created["status"]) == (
        fdl["Id"], fdl["Arn"], 3, "COMPLETE")
    assert (created["added"], created["removed"]) == (3, 0)
    assert results[3]["domain_list"]["id"] == fdl["Id"]
    assert (results[3]["domain_list"]["added"], results[3]["domain_list"]["removed"]) == (0, 0)


@pytest.mark.parametrize(
    ("mode", "domains", "expected", "added", "removed"),
    [
        ("exact", ["b.example", "c.example"], {"b.example.", "c.example."}, 1, 1),
        ("add", ["c.example", "A.example"], {"a.example.", "b.example.", "c.example."}, 1, 0),
        ("remove", ["a.example", "z.example"], {"b.example."}, 0, 1),
        ("exact", [], set(), 0, 2),
    ],
)
def test_modes_change_only_the_difference(emulator, account_id, fw, mode, domains, expected, added, removed):
    run(emulator, account_id, {"name": "approved", "domains": ["a.example", "b.example"], "tags": TAGS})
    before = len(own_calls(emulator, account_id, "UpdateFirewallDomains"))
    results = four_ways("dns_firewall_domain_list", {"name": "approved", "domains": domains, "mode": mode},
                        emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    (fdl,) = lists_named(fw, "approved")
    assert domains_of(fw, fdl["Id"]) == expected
    assert (results[1]["domain_list"]["added"], results[1]["domain_list"]["removed"]) == (added, removed)
    assert results[1]["domain_list"]["domain_count"] == len(expected)
    assert results[0]["domain_list"]["domain_count"] == len(expected)
    updates = own_calls(emulator, account_id, "UpdateFirewallDomains")[before:]
    assert len(updates) == (added > 0) + (removed > 0)
    assert tags_of(fw, fdl["Arn"]) == TAGS  # tags left out are left alone


def test_tags_change_in_place(emulator, account_id, fw):
    run(emulator, account_id, {"name": "approved", "domains": ["a.example"], "tags": TAGS})
    retagged = dict(TAGS, owner="network")
    results = four_ways("dns_firewall_domain_list", {"name": "approved", "domains": ["a.example"], "tags": retagged},
                        emulator=emulator, account_id=account_id)
    assert_four_ways(results, changed=True)
    (fdl,) = lists_named(fw, "approved")
    assert tags_of(fw, fdl["Arn"]) == retagged
    assert results[1]["diff"]["before"]["tags"] == TAGS
    assert results[1]["diff"]["after"]["tags"] == retagged


def test_domains_file_with_comments_and_blank_lines(emulator, account_id, fw, tmp_path):
    path = tmp_path / "approved.txt"
    path.write_text("# approved names\n\nexample.com  # the company\n*.example.com\n\n")
    results = four_ways("dns_firewall_domain_list",
                        {"name": "approved", "domains_file": str(path), "domains": ["extra.example"]},
                        emulator=emulator, account_id=account_id)
    assert_four_ways(results, changed=True)
    (fdl,) = lists_named(fw, "approved")
    assert domains_of(fw, fdl["Id"]) == {"example.com.", "*.example.com.", "extra.example."}


def test_fifty_thousand_domains_then_one_percent_changed(emulator, account_id, fw):
    domains = [f"host{i}.data{i % 97}.example.com" for i in range(50_000)]
    started = time.monotonic()
    created = run(emulator, account_id, {"name": "big", "domains": domains, "tags": TAGS})
    create_seconds = time.monotonic() - started
    assert created["changed"] is True, created
    assert created["domain_list"]["domain_count"] == 50_000
    assert len(own_calls(emulator, account_id, "UpdateFirewallDomains")) == 50
    assert "domains" not in created["diff"]["after"]
    assert created["diff"]["after"]["added"] == 50_000
    assert len(created["diff"]["after"]["added_domains"]) == 1000

    changed = domains[500:] + [f"new{i}.example.org" for i in range(500)]
    calls_before = len(own_calls(emulator, account_id))
    started = time.monotonic()
    result = run(emulator, account_id, {"name": "big", "domains": changed})
    sync_seconds = time.monotonic() - started
    calls = own_calls(emulator, account_id)[calls_before:]

    assert result["changed"] is True, result
    assert (result["domain_list"]["added"], result["domain_list"]["removed"]) == (500, 500)
    updates = [c for c in calls if c["operation"] == "UpdateFirewallDomains"]
    assert len(updates) == 2
    assert [c["operation"] for c in calls].count("ListFirewallDomains") == 10
    (fdl,) = lists_named(fw, "big")
    stored = domains_of(fw, fdl["Id"])
    assert len(stored) == 50_000
    assert stored == {d + "." for d in changed}
    assert sorted(result["diff"]["before"]["removed_domains"]) == sorted(d + "." for d in domains[:500])
    print(f"50,000 domains: created in {create_seconds:.1f}s; 1% sync in {sync_seconds:.1f}s, {len(calls)} calls")

    again = run(emulator, account_id, {"name": "big", "domains": changed})
    assert again["changed"] is False


def test_a_list_over_1000_is_cleared_in_remove_batches(emulator, account_id, fw):
    domains = [f"h{i}.example" for i in range(2500)]
    run(emulator, account_id, {"name": "big", "domains": domains})
    before = len(own_calls(emulator, account_id, "UpdateFirewallDomains"))
    result = run(emulator, account_id, {"name": "big", "domains": []})
    assert result["domain_list"]["removed"] == 2500
    assert len(own_calls(emulator, account_id, "UpdateFirewallDomains")[before:]) == 3
    (fdl,) = lists_named(fw, "big")
    assert domains_of(fw, fdl["Id"]) == set()


def test_survives_throttling(emulator, account_id, fw):
    emulator.add_fault(operation="UpdateFirewallDomains", error="ThrottlingException", rate=0.3, seed=7,
                       account=account_id)
    try:
        result = run(emulator, account_id, {"name": "big", "domains": [f"h{i}.example" for i in range(3000)]})
    finally:
        emulator.clear_faults()
    assert result["changed"] is True, result
    statuses = [c["status"] for c in own_calls(emulator, account_id, "UpdateFirewallDomains")]
    assert statuses.count(400) >= 1 and statuses.count(200) == 3, statuses
    (fdl,) = lists_named(fw, "big")
    assert len(domains_of(fw, fdl["Id"])) == 3000


def test_refuses_two_lists_with_the_same_name(emulator, account_id, fw):
    first = fw.create_firewall_domain_list(Name="approved")["FirewallDomainList"]["Id"]
    second = fw.create_firewall_domain_list(Name="approved")["FirewallDomainList"]["Id"]
    calls_before = writes(own_calls(emulator, account_id))
    result = run(emulator, account_id, {"name": "approved", "domains": ["a.example"]})
    assert result["failed"] is True
    assert first in result["msg"] and second in result["msg"]
    assert "refuses to guess" in result["msg"]
    assert writes(own_calls(emulator, account_id)) == calls_before


def test_absent_deletes_the_list(emulator, account_id, fw):
    run(emulator, account_id, {"name": "approved", "domains": ["a.example"], "tags": TAGS})
    results = four_ways("dns_firewall_domain_list", {"name": "approved", "state": "absent"},
                        emulator=emulator, account_id=account_id)
    assert_four_ways(results, changed=True)
    assert results[1]["diff"]["before"]["domain_count"] == 1
    assert lists_named(fw, "approved") == []


def test_absent_is_refused_while_a_rule_uses_the_list(emulator, account_id, fw):
    created = run(emulator, account_id, {"name": "approved", "domains": ["a.example"]})
    group = fw.create_firewall_rule_group(Name="egress")["FirewallRuleGroup"]
    fw.create_firewall_rule(FirewallRuleGroupId=group["Id"], FirewallDomainListId=created["domain_list"]["id"],
                            Priority=10, Action="ALLOW", Name="allow-approved")
    writes_before = writes(own_calls(emulator, account_id))
    for check in (True, False):
        result = run(emulator, account_id, {"name": "approved", "state": "absent"}, check=check)
        assert result["failed"] is True
        assert "'egress'" in result["msg"] and group["Id"] in result["msg"] and "allow-approved" in result["msg"]
    assert writes(own_calls(emulator, account_id)) == writes_before
    assert len(lists_named(fw, "approved")) == 1


def test_bad_domains_are_all_reported_before_any_call(emulator, account_id, tmp_path):
    path = tmp_path / "list.txt"
    path.write_text("good.example\nbad_name.example\n\nok.example # fine\nfoo..example\n")
    calls_before = own_calls(emulator, account_id)
    result = run(emulator, account_id, {
        "name": "approved", "domains_file": str(path),
        "domains": ["ok.example", "a.*.example", "ex ample.com", "x" * 260, "caf\u00e9.example"],
    })
    assert result["failed"] is True
    assert len(result["problems"]) == 6, result["problems"]
    for fragment in ("domains[1]", "domains[2]", "domains[3]", "domains[4]", "line 2", "line 5"):
        assert fragment in result["msg"], result["msg"]
    assert own_calls(emulator, account_id) == calls_before
