"""Contract tests of the emulator's AWS Organizations as the inventory plugin reads it: the OU tree,
accounts and their parents and tags, paging at AWS's 20 a page, account status, and who may read
the organisation (the management account and delegated administrators, no other member)."""

import pytest

from support.contract import call, refused

REGION = "us-east-1"


@pytest.fixture
def org(aws):
    client = aws("organizations", region=REGION)
    call(client, "create_organization", FeatureSet="ALL")
    return client


@pytest.fixture
def root_id(org):
    (root,) = call(org, "list_roots")["Roots"]
    return root["Id"]


def new_account(org, name, tags=()):
    status = call(org, "create_account", AccountName=name, Email=f"{name}@example.com",
                  Tags=[{"Key": k, "Value": v} for k, v in tags])["CreateAccountStatus"]
    return status["AccountId"]


def new_ou(org, parent_id, name):
    return call(org, "create_organizational_unit", ParentId=parent_id, Name=name)["OrganizationalUnit"]["Id"]


def pages(org, operation, **params):
    answers = []
    while True:
        answer = call(org, operation, **params)
        answers.append(answer)
        if not answer.get("NextToken"):
            return answers
        params["NextToken"] = answer["NextToken"]


def test_list_accounts_answers_twenty_a_page_and_every_account_once(org, account_id):
    created = {new_account(org, f"member-{i}") for i in range(24)}
    answers = pages(org, "list_accounts")
    assert [len(a["Accounts"]) for a in answers] == [20, 5]
    listed = [account["Id"] for answer in answers for account in answer["Accounts"]]
    assert sorted(listed) == sorted(created | {account_id})


def test_page_size_is_honoured_up_to_twenty(org, root_id):
    ou = new_ou(org, root_id, "ML")
    for i in range(7):
        org.move_account(AccountId=new_account(org, f"ml-{i}"), SourceParentId=root_id, DestinationParentId=ou)
    answers = pages(org, "list_accounts_for_parent", ParentId=ou, MaxResults=3)
    assert [len(a["Accounts"]) for a in answers] == [3, 3, 1]


@pytest.mark.parametrize("operation, params", [
    ("ListAccounts", {}),
    ("ListAccountsForParent", {"ParentId": "root"}),
    ("ListOrganizationalUnitsForParent", {"ParentId": "root"}),
    ("ListParents", {"ChildId": "root-child"}),
    ("ListRoots", {}),
])
def test_more_than_twenty_a_page_is_refused(org, root_id, operation, params):
    ou = new_ou(org, root_id, "Workloads")
    params = {k: {"root": root_id, "root-child": ou}.get(v, v) for k, v in params.items()}
    message = refused(org, operation, "InvalidInputException", "MaxResults", MaxResults=21, **params)
    assert "MAX_VALUE_EXCEEDED" in message


def test_organizational_units_page_and_name_their_parent_tree(org, root_id):
    ml = new_ou(org, root_id, "ML")
    children = {new_ou(org, ml, f"team-{i}") for i in range(22)}
    answers = pages(org, "list_organizational_units_for_parent", ParentId=ml)
    assert [len(a["OrganizationalUnits"]) for a in answers] == [20, 2]
    assert {ou["Id"] for a in answers for ou in a["OrganizationalUnits"]} == children
    nested = sorted(children)[0]
    assert call(org, "list_parents", ChildId=nested)["Parents"] == [{"Id": ml, "Type": "ORGANIZATIONAL_UNIT"}]
    assert call(org, "list_parents", ChildId=ml)["Parents"] == [{"Id": root_id, "Type": "ROOT"}]
    refused(org, "ListOrganizationalUnitsForParent", "ParentNotFoundException", ParentId="ou-zzzz-zzzzzzzz")


def test_an_accounts_parent_follows_it_when_moved(org, root_id):
    ou = new_ou(org, root_id, "ML")
    member = new_account(org, "research")
    assert call(org, "list_parents", ChildId=member)["Parents"] == [{"Id": root_id, "Type": "ROOT"}]
    call(org, "move_account", AccountId=member, SourceParentId=root_id, DestinationParentId=ou)
    assert call(org, "list_parents", ChildId=member)["Parents"] == [{"Id": ou, "Type": "ORGANIZATIONAL_UNIT"}]
    refused(org, "ListParents", "ChildNotFoundException", ChildId="999999999999")


def test_tags_are_listed_as_given_and_follow_changes(org):
    member = new_account(org, "research", tags=[("mlperimeter:wave", "wave1_canary"), ("team", "research")])
    tags = call(org, "list_tags_for_resource", ResourceId=member)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("mlperimeter:wave", "wave1_canary"), ("team", "research")]
    call(org, "tag_resource", ResourceId=member, Tags=[{"Key": "mlperimeter:wave", "Value": "wave2"}])
    call(org, "untag_resource", ResourceId=member, TagKeys=["team"])
    assert call(org, "list_tags_for_resource", ResourceId=member)["Tags"] == [
        {"Key": "mlperimeter:wave", "Value": "wave2"}]
    refused(org, "ListTagsForResource", "TargetNotFoundException", ResourceId="999999999999")


def test_a_closed_account_is_listed_as_suspended(org):
    active, closed = new_account(org, "active"), new_account(org, "closed")
    call(org, "close_account", AccountId=closed)
    listed = {a["Id"]: a for answer in pages(org, "list_accounts") for a in answer["Accounts"]}
    assert (listed[active]["Status"], listed[active]["State"]) == ("ACTIVE", "ACTIVE")
    assert (listed[closed]["Status"], listed[closed]["State"]) == ("SUSPENDED", "SUSPENDED")


def test_a_member_reads_the_organisation_only_as_delegated_administrator(org, aws, account_id):
    reader = new_account(org, "security-tooling")
    member = aws("organizations", region=REGION, account=reader)
    for operation in ("ListAccounts", "ListRoots"):
        refused(member, operation, "AccessDeniedException", "permissions")
    call(org, "register_delegated_administrator", AccountId=reader, ServicePrincipal="ssm.amazonaws.com")
    listed = {a["Id"] for answer in pages(member, "list_accounts") for a in answer["Accounts"]}
    assert listed == {account_id, reader}
    (root,) = call(member, "list_roots")["Roots"]
    assert call(member, "list_parents", ChildId=reader)["Parents"] == [{"Id": root["Id"], "Type": "ROOT"}]


def test_an_account_outside_any_organisation_is_told_so(aws):
    loner = aws("organizations", region=REGION)
    refused(loner, "ListAccounts", "AWSOrganizationsNotInUseException", "not a member")
