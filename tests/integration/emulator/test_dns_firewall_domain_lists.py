"""DNS Firewall domain lists in the emulator, driven through boto3 as a client would."""

import re
import time

import pytest

from support.contract import call_operation as call
from support.contract import refused

TRANSITIONAL = {"UPDATING", "IMPORTING", "DELETING"}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@pytest.fixture
def fw(aws):
    return aws("route53resolver")






def new_list(fw, name="approved", **params):
    return call(fw, "CreateFirewallDomainList", Name=name, **params)["FirewallDomainList"]


def wait_complete(fw, list_id):
    """Poll until the list leaves its transitional status, as a careful client does."""
    for _ in range(50):
        fdl = call(fw, "GetFirewallDomainList", FirewallDomainListId=list_id)["FirewallDomainList"]
        if fdl["Status"] not in TRANSITIONAL:
            return fdl
        time.sleep(0.1)
    raise AssertionError(f"{list_id} stayed {fdl['Status']}")


def update(fw, list_id, operation, domains):
    answer = call(fw, "UpdateFirewallDomains", FirewallDomainListId=list_id, Operation=operation, Domains=domains)
    assert answer["Id"] == list_id
    assert answer["Status"] == "UPDATING"
    return wait_complete(fw, list_id)


def all_domains(fw, list_id, page_size=None):
    domains, token, pages = [], None, 0
    while True:
        params = {"FirewallDomainListId": list_id}
        if page_size:
            params["MaxResults"] = page_size
        if token:
            params["NextToken"] = token
        answer = call(fw, "ListFirewallDomains", **params)
        domains += answer["Domains"]
        pages += 1
        token = answer.get("NextToken")
        if not token:
            return domains, pages


def put_object(aws, account_id, bucket, key, text, region="eu-west-1"):
    """Store ``text`` in a bucket of this test's own (bucket names are global) and return its s3:// URL."""
    bucket = f"{bucket}-{account_id}"
    s3 = aws("s3", region=region)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_object(Bucket=bucket, Key=key, Body=text.encode())
    return f"s3://{bucket}/{key}"


# -- create, get, list, idempotency ---------------------------------------------------------


def test_create_answers_a_complete_empty_list_with_aws_ids(fw, account_id):
    fdl = new_list(fw, CreatorRequestId="req-1")
    assert re.fullmatch(r"rslvr-fdl-[0-9a-f]{16}", fdl["Id"])
    assert fdl["Arn"] == f"arn:aws:route53resolver:eu-west-1:{account_id}:firewall-domain-list/{fdl['Id']}"
    assert (fdl["Name"], fdl["DomainCount"], fdl["Status"]) == ("approved", 0, "COMPLETE")
    assert fdl["StatusMessage"] == "Created Firewall Domain List"
    assert fdl["CreatorRequestId"] == "req-1"
    assert "ManagedOwnerName" not in fdl
    assert TIMESTAMP.match(fdl["CreationTime"]) and TIMESTAMP.match(fdl["ModificationTime"])
    assert call(fw, "GetFirewallDomainList", FirewallDomainListId=fdl["Id"])["FirewallDomainList"] == fdl


def test_same_creator_request_id_gives_the_same_list_back(fw):
    first = new_list(fw, CreatorRequestId="retry-me")
    again = new_list(fw, CreatorRequestId="retry-me")
    assert again["Id"] == first["Id"]
    other = new_list(fw, CreatorRequestId="another")
    assert other["Id"] != first["Id"]
    ids = [fdl["Id"] for fdl in call(fw, "ListFirewallDomainLists")["FirewallDomainLists"]]
    assert ids.count(first["Id"]) == 1


def test_reused_creator_request_id_for_another_name_is_refused(fw):
    new_list(fw, CreatorRequestId="token-1")
    refused(fw, "CreateFirewallDomainList", "ValidationException", "creatorRequestId",
            Name="different", CreatorRequestId="token-1")


@pytest.mark.parametrize("name", ["has.dot", "12345", "x" * 65, "slash/name", "semi;colon"])
def test_invalid_names_are_refused(fw, name):
    refused(fw, "CreateFirewallDomainList", "ValidationException", "'name'", Name=name)


def test_unknown_list_is_not_found(fw):
    message = refused(fw, "GetFirewallDomainList", "ResourceNotFoundException", "rslvr-fdl-0000000000000000",
                      FirewallDomainListId="rslvr-fdl-0000000000000000")
    assert message.startswith("[RSLVR-02025]")


def test_list_domain_lists_paginates_and_shows_metadata_only(fw):
    created = {new_list(fw, name=f"list-{i}")["Id"] for i in range(7)}
    seen, token, pages = [], None, 0
    while True:
        answer = call(fw, "ListFirewallDomainLists", MaxResults=3, **({"NextToken": token} if token else {}))
        assert len(answer["FirewallDomainLists"]) <= 3
        seen += answer["FirewallDomainLists"]
        pages += 1
        token = answer.get("NextToken")
        if not token:
            break
    ids = [fdl["Id"] for fdl in seen]
    assert len(ids) == len(set(ids)) == 11  # 7 of ours and the 4 AWS-managed lists
    assert created <= set(ids)
    assert pages == 4
    ours = [fdl for fdl in seen if fdl["Id"] in created]
    assert all(set(fdl) == {"Id", "Arn", "Name", "CreatorRequestId"} for fdl in ours)


@pytest.mark.parametrize(("params", "field"), [
    ({"MaxResults": 101}, "maxResults"),
    ({"NextToken": "not-a-token"}, "nextToken"),
])
def test_list_domain_lists_refuses_bad_pagination(fw, params, field):
    refused(fw, "ListFirewallDomainLists", "ValidationException", field, **params)


def test_a_token_is_only_good_for_the_call_it_came_from(fw):
    for i in range(3):
        new_list(fw, name=f"list-{i}")
    token = call(fw, "ListFirewallDomainLists", MaxResults=1)["NextToken"]
    refused(fw, "ListFirewallRuleGroups", "ValidationException", "nextToken", NextToken=token)


# -- AWS-managed lists ---------------------------------------------------------------------


def test_managed_lists_are_listed_in_every_account_and_cannot_be_changed(fw, aws):
    lists = call(fw, "ListFirewallDomainLists")["FirewallDomainLists"]
    managed = {fdl["Name"]: fdl for fdl in lists if "ManagedOwnerName" in fdl}
    assert set(managed) == {
        "AWSManagedDomainsMalwareDomainList",
        "AWSManagedDomainsBotnetCommandandControl",
        "AWSManagedDomainsAggregateThreatList",
        "AWSManagedDomainsAmazonGuardDutyThreatList",
    }
    malware = managed["AWSManagedDomainsMalwareDomainList"]
    assert malware["ManagedOwnerName"] == "Route 53 Resolver DNS Firewall"
    assert malware["CreatorRequestId"] == malware["Name"]
    other_account = aws("route53resolver", account="210987654327")
    elsewhere = call(other_account, "ListFirewallDomainLists")["FirewallDomainLists"]
    assert malware["Id"] in {fdl["Id"] for fdl in elsewhere}, "managed list ids are per Region"
    list_id = malware["Id"]
    refused(fw, "UpdateFirewallDomains", "AccessDeniedException", list_id,
            FirewallDomainListId=list_id, Operation="ADD", Domains=["a.com"])
    refused(fw, "DeleteFirewallDomainList", "AccessDeniedException", list_id, FirewallDomainListId=list_id)
    refused(fw, "ListFirewallDomains", "AccessDeniedException", list_id, FirewallDomainListId=list_id)
    assert call(fw, "GetFirewallDomainList", FirewallDomainListId=list_id)["FirewallDomainList"]["Status"] == "COMPLETE"


# -- UpdateFirewallDomains -------------------------------------------------------------------


@pytest.mark.parametrize(("operation", "domains", "expected"), [
    ("ADD", ["c.com", "A.com"], ["a.com.", "b.com.", "c.com."]),
    ("REMOVE", ["b.com."], ["a.com."]),
    ("REPLACE", ["x.org", "*.y.org"], ["x.org.", "*.y.org."]),
    ("REPLACE", [], []),
])
def test_update_operations_change_the_list(fw, operation, domains, expected):
    list_id = new_list(fw)["Id"]
    update(fw, list_id, "ADD", ["a.com", "b.com"])
    fdl = update(fw, list_id, operation, domains)
    assert fdl["DomainCount"] == len(expected)
    assert sorted(all_domains(fw, list_id)[0]) == sorted(expected)


def test_update_answers_updating_and_get_then_reports_complete(fw):
    fdl = new_list(fw)
    answer = call(fw, "UpdateFirewallDomains", FirewallDomainListId=fdl["Id"], Operation="ADD", Domains=["a.com"])
    assert answer == {**answer, "Id": fdl["Id"], "Name": "approved", "Status": "UPDATING",
                      "StatusMessage": "Updating the Firewall Domain List"}
    after = call(fw, "GetFirewallDomainList", FirewallDomainListId=fdl["Id"])["FirewallDomainList"]
    assert (after["Status"], after["DomainCount"]) == ("COMPLETE", 1)
    assert after["ModificationTime"] >= fdl["ModificationTime"]


def test_a_second_update_before_the_first_completes_is_a_conflict(fw):
    list_id = new_list(fw)["Id"]
    call(fw, "UpdateFirewallDomains", FirewallDomainListId=list_id, Operation="ADD", Domains=["a.com"])
    refused(fw, "UpdateFirewallDomains", "ConflictException", list_id,
            FirewallDomainListId=list_id, Operation="ADD", Domains=["b.com"])
    wait_complete(fw, list_id)
    update(fw, list_id, "ADD", ["b.com"])
    assert sorted(all_domains(fw, list_id)[0]) == ["a.com.", "b.com."]


@pytest.mark.parametrize(("sent", "stored"), [
    ("example.com", "example.com."),
    ("example.com.", "example.com."),
    ("Example.COM", "example.com."),
    ("*", "*."),
    ("*.", "*."),
    ("*.Sub.Example.com.", "*.sub.example.com."),
    ("xn--bcher-kva.example", "xn--bcher-kva.example."),
    ("a-b.c0m", "a-b.c0m."),
    ("localhost", "localhost."),
])
def test_domains_are_stored_as_aws_returns_them(fw, sent, stored):
    list_id = new_list(fw)["Id"]
    update(fw, list_id, "ADD", [sent])
    assert all_domains(fw, list_id)[0] == [stored]


def test_duplicates_collapse_into_one_entry(fw):
    list_id = new_list(fw)["Id"]
    fdl = update(fw, list_id, "ADD", ["a.com", "A.com.", "a.com", "b.com"])
    assert fdl["DomainCount"] == 2
    fdl = update(fw, list_id, "ADD", ["b.com."])
    assert fdl["DomainCount"] == 2


@pytest.mark.parametrize("bad", [
    "exa mple.com",
    "a..b.com",
    "*example.com",
    "a.*.com",
    "**.a.com",
    "under_score.com",
    "bang!.com",
    ".",
    ".example.com",
    "b\u00fccher.example",
    "a" * 255,
])
def test_invalid_domains_are_refused_and_nothing_is_stored(fw, bad):
    list_id = new_list(fw)["Id"]
    refused(fw, "UpdateFirewallDomains", "ValidationException", "domains.2.member",
            FirewallDomainListId=list_id, Operation="ADD", Domains=["good.com", bad])
    fdl = call(fw, "GetFirewallDomainList", FirewallDomainListId=list_id)["FirewallDomainList"]
    assert (fdl["Status"], fdl["DomainCount"]) == ("COMPLETE", 0)


def test_removing_a_domain_that_is_not_in_the_list_is_refused(fw):
    list_id = new_list(fw)["Id"]
    update(fw, list_id, "ADD", ["a.com"])
    message = refused(fw, "UpdateFirewallDomains", "ValidationException", "absent.com",
                      FirewallDomainListId=list_id, Operation="REMOVE", Domains=["a.com", "absent.com"])
    assert message.startswith("[RSLVR-02502]")
    assert all_domains(fw, list_id)[0] == ["a.com."]


def test_deny_is_refused_on_a_customer_list(fw):
    list_id = new_list(fw)["Id"]
    refused(fw, "UpdateFirewallDomains", "ValidationException", "operation",
            FirewallDomainListId=list_id, Operation="DENY", Domains=["a.com"])


def test_unknown_operation_is_refused(fw):
    list_id = new_list(fw)["Id"]
    refused(fw, "UpdateFirewallDomains", "ValidationException", "operation",
            FirewallDomainListId=list_id, Operation="MERGE", Domains=["a.com"])


def test_a_batch_of_1000_is_accepted_and_1001_refused(fw):
    list_id = new_list(fw)["Id"]
    batch = [f"host{i}.example.com" for i in range(1001)]
    refused(fw, "UpdateFirewallDomains", "ValidationException", "'domains'", "1000",
            FirewallDomainListId=list_id, Operation="ADD", Domains=batch)
    assert call(fw, "GetFirewallDomainList", FirewallDomainListId=list_id)["FirewallDomainList"]["DomainCount"] == 0
    assert update(fw, list_id, "ADD", batch[:1000])["DomainCount"] == 1000


def test_tens_of_thousands_of_domains_in_batches_read_back_through_pagination(fw):
    list_id = new_list(fw)["Id"]
    wanted = [f"host-{i}.team-{i % 97}.example.com." for i in range(30_000)]
    started = time.monotonic()
    for start in range(0, len(wanted), 1000):
        update(fw, list_id, "ADD", wanted[start:start + 1000])
    fdl = call(fw, "GetFirewallDomainList", FirewallDomainListId=list_id)["FirewallDomainList"]
    assert fdl["DomainCount"] == 30_000
    domains, pages = all_domains(fw, list_id, page_size=5000)
    assert pages == 6
    assert len(domains) == len(set(domains)) == 30_000
    assert set(domains) == set(wanted)
    first_page = call(fw, "ListFirewallDomains", FirewallDomainListId=list_id)
    assert len(first_page["Domains"]) == 100 and first_page["NextToken"]
    assert time.monotonic() - started < 20
    refused(fw, "ListFirewallDomains", "ValidationException", "maxResults",
            FirewallDomainListId=list_id, MaxResults=5001)


def test_domain_quota_counts_domains_across_all_lists(fw, aws, account_id):
    url = put_object(aws, account_id, "quota-domains", "big.txt", "\n".join(f"d{i}.example.com" for i in range(99_999)))
    big = new_list(fw, name="big")["Id"]
    call(fw, "ImportFirewallDomains", FirewallDomainListId=big, Operation="REPLACE", DomainFileUrl=url)
    assert wait_complete(fw, big)["DomainCount"] == 99_999
    small = new_list(fw, name="small")["Id"]
    refused(fw, "UpdateFirewallDomains", "LimitExceededException", "100000",
            FirewallDomainListId=small, Operation="ADD", Domains=["one.com", "two.com"])
    assert call(fw, "GetFirewallDomainList", FirewallDomainListId=small)["FirewallDomainList"]["DomainCount"] == 0
    update(fw, small, "ADD", ["one.com"])
    # REPLACE counts what the list would hold, not what it adds.
    update(fw, small, "REPLACE", ["three.com"])
    update(fw, big, "REMOVE", ["d0.example.com"])
    update(fw, small, "ADD", ["four.com"])


def test_import_larger_than_the_domain_quota_is_refused(fw, aws, account_id):
    url = put_object(aws, account_id, "too-many", "list.txt", "\n".join(f"d{i}.example.com" for i in range(100_001)))
    list_id = new_list(fw)["Id"]
    refused(fw, "ImportFirewallDomains", "LimitExceededException", "100000",
            FirewallDomainListId=list_id, Operation="REPLACE", DomainFileUrl=url)
    assert call(fw, "GetFirewallDomainList", FirewallDomainListId=list_id)["FirewallDomainList"]["DomainCount"] == 0


# -- ImportFirewallDomains -------------------------------------------------------------------


def test_import_replaces_the_list_with_the_s3_file(fw, aws, account_id):
    url = put_object(aws, account_id, "allowlists", "approved.txt",
               "# approved hosts\nexample.com\n\n*.Example.com.\r\nPyPI.org\nexample.com\n")
    list_id = new_list(fw)["Id"]
    update(fw, list_id, "ADD", ["old.com"])
    answer = call(fw, "ImportFirewallDomains", FirewallDomainListId=list_id, Operation="REPLACE", DomainFileUrl=url)
    assert (answer["Status"], answer["StatusMessage"]) == ("IMPORTING", "Importing domains from provided file.")
    fdl = wait_complete(fw, list_id)
    assert (fdl["Status"], fdl["DomainCount"]) == ("COMPLETE", 3)
    assert sorted(all_domains(fw, list_id)[0]) == ["*.example.com.", "example.com.", "pypi.org."]


@pytest.mark.parametrize(("bucket", "key", "reason"), [
    ("imports", "missing.txt", "missing.txt"),
    ("no-such-bucket", "list.txt", "no-such-bucket"),
    ("imports", "bad.txt", "bad_domain.com"),
])
def test_a_failed_import_is_reported_in_the_status_and_leaves_the_list(fw, aws, account_id, bucket, key, reason):
    put_object(aws, account_id, "imports", "bad.txt", "good.com\nbad_domain.com\n")
    url = f"s3://{bucket}-{account_id}/{key}"
    list_id = new_list(fw)["Id"]
    update(fw, list_id, "ADD", ["kept.com"])
    answer = call(fw, "ImportFirewallDomains", FirewallDomainListId=list_id, Operation="REPLACE", DomainFileUrl=url)
    assert answer["Status"] == "IMPORTING"
    fdl = wait_complete(fw, list_id)
    assert fdl["Status"] == "COMPLETE_IMPORT_FAILED"
    assert reason in fdl["StatusMessage"]
    assert all_domains(fw, list_id)[0] == ["kept.com."]
    assert update(fw, list_id, "ADD", ["next.com"])["Status"] == "COMPLETE"


def test_import_from_a_bucket_in_another_region_fails(fw, aws, account_id):
    url = put_object(aws, account_id, "far-away", "list.txt", "a.com", region="us-west-2")
    list_id = new_list(fw)["Id"]
    call(fw, "ImportFirewallDomains", FirewallDomainListId=list_id, Operation="REPLACE", DomainFileUrl=url)
    fdl = wait_complete(fw, list_id)
    assert fdl["Status"] == "COMPLETE_IMPORT_FAILED" and "us-west-2" in fdl["StatusMessage"]


@pytest.mark.parametrize(("params", "field"), [
    ({"Operation": "REPLACE", "DomainFileUrl": "https://example.com/list.txt"}, "domainFileUrl"),
    ({"Operation": "ADD", "DomainFileUrl": "s3://b/k.txt"}, "operation"),
])
def test_import_refuses_bad_arguments(fw, params, field):
    list_id = new_list(fw)["Id"]
    refused(fw, "ImportFirewallDomains", "ValidationException", field, FirewallDomainListId=list_id, **params)


# -- DeleteFirewallDomainList ----------------------------------------------------------------


def test_delete_answers_deleting_and_the_list_is_then_gone(fw):
    list_id = new_list(fw)["Id"]
    answer = call(fw, "DeleteFirewallDomainList", FirewallDomainListId=list_id)["FirewallDomainList"]
    assert (answer["Status"], answer["StatusMessage"]) == ("DELETING", "Deleting the Firewall Domain List")
    refused(fw, "DeleteFirewallDomainList", "ConflictException", list_id, FirewallDomainListId=list_id)
    refused(fw, "GetFirewallDomainList", "ResourceNotFoundException", list_id, FirewallDomainListId=list_id)
    refused(fw, "DeleteFirewallDomainList", "ResourceNotFoundException", list_id, FirewallDomainListId=list_id)
    ids = {fdl["Id"] for fdl in call(fw, "ListFirewallDomainLists")["FirewallDomainLists"]}
    assert list_id not in ids


def test_delete_is_refused_while_a_rule_uses_the_list(fw):
    list_id = new_list(fw)["Id"]
    group_id = call(fw, "CreateFirewallRuleGroup", Name="group")["FirewallRuleGroup"]["Id"]
    call(fw, "CreateFirewallRule", FirewallRuleGroupId=group_id, FirewallDomainListId=list_id, Priority=1,
         Action="ALLOW", Name="allow")
    refused(fw, "DeleteFirewallDomainList", "ConflictException", list_id, group_id, FirewallDomainListId=list_id)
    assert call(fw, "GetFirewallDomainList", FirewallDomainListId=list_id)["FirewallDomainList"]["Status"] == "COMPLETE"
    call(fw, "DeleteFirewallRule", FirewallRuleGroupId=group_id, FirewallDomainListId=list_id)
    assert call(fw, "DeleteFirewallDomainList", FirewallDomainListId=list_id)["FirewallDomainList"]["Status"] == \
        "DELETING"


# -- isolation -----------------------------------------------------------------------------


def test_each_account_and_region_has_its_own_lists(fw, aws):
    list_id = new_list(fw, CreatorRequestId="shared-token")["Id"]
    for other in (aws("route53resolver", region="us-east-1"), aws("route53resolver", account="123123123127")):
        refused(other, "GetFirewallDomainList", "ResourceNotFoundException", list_id, FirewallDomainListId=list_id)
        assert new_list(other, CreatorRequestId="shared-token")["Id"] != list_id
