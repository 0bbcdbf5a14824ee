"""DNS Firewall rule group associations, firewall configs and tags in the emulator, driven through boto3."""

import re
import time

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from support.contract import call_operation as call
from support.contract import refused


@pytest.fixture
def fw(aws):
    return aws("route53resolver")






def new_vpc(aws, cidr="10.20.0.0/16"):
    return aws("ec2").create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]


def new_group(fw, name="egress"):
    return call(fw, "CreateFirewallRuleGroup", Name=name)["FirewallRuleGroup"]["Id"]


def associate(fw, group_id, vpc_id, priority=101, **params):
    answer = call(fw, "AssociateFirewallRuleGroup", FirewallRuleGroupId=group_id, VpcId=vpc_id, Priority=priority,
                  Name=params.pop("Name", "egress-assoc"), **params)["FirewallRuleGroupAssociation"]
    assert (answer["Status"], answer["StatusMessage"]) == ("UPDATING", "Creating Firewall Rule Group Association")
    return answer


def wait_settled(fw, association_id):
    """Poll until the association is COMPLETE, or None once it is gone."""
    for _ in range(50):
        try:
            answer = call(fw, "GetFirewallRuleGroupAssociation", FirewallRuleGroupAssociationId=association_id)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ResourceNotFoundException"
            return None
        association = answer["FirewallRuleGroupAssociation"]
        if association["Status"] == "COMPLETE":
            return association
        time.sleep(0.1)
    raise AssertionError(f"{association_id} stayed {association['Status']}")


@pytest.fixture
def vpc(aws):
    return new_vpc(aws)


@pytest.fixture
def group(fw):
    return new_group(fw)


# -- associations --------------------------------------------------------------------------


def test_associate_answers_updating_then_reads_complete(fw, vpc, group, account_id):
    answer = associate(fw, group, vpc, priority=200, CreatorRequestId="assoc-1")
    assert re.fullmatch(r"rslvr-frgassoc-[0-9a-f]{16}", answer["Id"])
    assert answer["Arn"] == (
        f"arn:aws:route53resolver:eu-west-1:{account_id}:firewall-rule-group-association/{answer['Id']}")
    assert (answer["FirewallRuleGroupId"], answer["VpcId"], answer["Priority"], answer["MutationProtection"]) == (
        group, vpc, 200, "DISABLED")
    settled = wait_settled(fw, answer["Id"])
    assert (settled["Status"], settled["StatusMessage"]) == ("COMPLETE", "Finished rule group association update")
    assert {k: v for k, v in settled.items() if not k.startswith("Status")} == {
        k: v for k, v in answer.items() if not k.startswith("Status")}


def test_same_creator_request_id_gives_the_same_association_back(fw, vpc, group):
    first = associate(fw, group, vpc, CreatorRequestId="assoc-token")
    again = call(fw, "AssociateFirewallRuleGroup", FirewallRuleGroupId=group, VpcId=vpc, Priority=101,
                 Name="egress-assoc", CreatorRequestId="assoc-token")["FirewallRuleGroupAssociation"]
    assert again["Id"] == first["Id"]
    listed = call(fw, "ListFirewallRuleGroupAssociations")["FirewallRuleGroupAssociations"]
    assert [a["Id"] for a in listed] == [first["Id"]]


@pytest.mark.parametrize(("priority", "accepted"), [
    (0, False), (1, False), (99, False), (100, False), (101, True), (5000, True), (9899, True), (9900, False),
    (9901, False), (10000, False),
])
def test_association_priority_must_lie_strictly_between_100_and_9900(fw, vpc, group, priority, accepted):
    if accepted:
        assert associate(fw, group, vpc, priority=priority)["Priority"] == priority
    else:
        message = refused(fw, "AssociateFirewallRuleGroup", "ValidationException", "priority", "100", "9900",
                          FirewallRuleGroupId=group, VpcId=vpc, Priority=priority, Name="assoc")
        assert message.startswith("[RSLVR-00000]")
        assert call(fw, "ListFirewallRuleGroupAssociations")["FirewallRuleGroupAssociations"] == []


def test_association_priority_is_unique_per_vpc(fw, aws, vpc, group):
    associate(fw, group, vpc, priority=300)
    second = new_group(fw, "second")
    refused(fw, "AssociateFirewallRuleGroup", "ConflictException", "priority", "300",
            FirewallRuleGroupId=second, VpcId=vpc, Priority=300, Name="clash")
    associate(fw, second, vpc, priority=301)
    associate(fw, second, new_vpc(aws, "10.30.0.0/16"), priority=300)


def test_a_rule_group_is_associated_at_most_once_per_vpc(fw, aws, vpc, group):
    associate(fw, group, vpc, priority=101)
    message = refused(fw, "AssociateFirewallRuleGroup", "ConflictException", group, vpc,
                      FirewallRuleGroupId=group, VpcId=vpc, Priority=102, Name="again")
    assert message.startswith("[RSLVR-02302]")
    associate(fw, group, new_vpc(aws, "10.31.0.0/16"), priority=101)


@pytest.mark.parametrize("missing", ["vpc", "group"])
def test_association_needs_an_existing_vpc_and_group(fw, vpc, group, missing):
    vpc_id = "vpc-0000000000000000f" if missing == "vpc" else vpc
    group_id = "rslvr-frg-0000000000000000" if missing == "group" else group
    refused(fw, "AssociateFirewallRuleGroup", "ResourceNotFoundException", vpc_id if missing == "vpc" else group_id,
            FirewallRuleGroupId=group_id, VpcId=vpc_id, Priority=101, Name="assoc")


def test_a_vpc_takes_at_most_five_rule_groups(fw, vpc):
    for number in range(5):
        associate(fw, new_group(fw, f"group-{number}"), vpc, priority=101 + number)
    refused(fw, "AssociateFirewallRuleGroup", "LimitExceededException", vpc,
            FirewallRuleGroupId=new_group(fw, "sixth"), VpcId=vpc, Priority=200, Name="sixth")


def test_update_association_while_it_is_being_created_is_a_conflict(fw, vpc, group):
    association_id = associate(fw, group, vpc)["Id"]
    refused(fw, "UpdateFirewallRuleGroupAssociation", "ConflictException", association_id,
            FirewallRuleGroupAssociationId=association_id, Priority=500)
    wait_settled(fw, association_id)
    answer = call(fw, "UpdateFirewallRuleGroupAssociation", FirewallRuleGroupAssociationId=association_id,
                  Priority=500, Name="renamed")["FirewallRuleGroupAssociation"]
    assert (answer["Status"], answer["StatusMessage"]) == (
        "UPDATING", "Updating the Firewall Rule Group Association Attributes")
    settled = wait_settled(fw, association_id)
    assert (settled["Priority"], settled["Name"], settled["Status"]) == (500, "renamed", "COMPLETE")


def test_update_association_checks_priority(fw, vpc, group):
    first = associate(fw, group, vpc, priority=101)["Id"]
    associate(fw, new_group(fw, "second"), vpc, priority=102)
    wait_settled(fw, first)
    refused(fw, "UpdateFirewallRuleGroupAssociation", "ConflictException", "102",
            FirewallRuleGroupAssociationId=first, Priority=102)
    refused(fw, "UpdateFirewallRuleGroupAssociation", "ValidationException", "priority",
            FirewallRuleGroupAssociationId=first, Priority=9900)
    assert wait_settled(fw, first)["Priority"] == 101


def test_mutation_protection_refuses_disassociation_and_changes_until_turned_off(fw, vpc, group):
    association_id = associate(fw, group, vpc, MutationProtection="ENABLED")["Id"]
    assert wait_settled(fw, association_id)["MutationProtection"] == "ENABLED"
    message = refused(fw, "DisassociateFirewallRuleGroup", "ValidationException", "mutation protection",
                      FirewallRuleGroupAssociationId=association_id)
    assert message.startswith("[RSLVR-02307]")
    refused(fw, "UpdateFirewallRuleGroupAssociation", "ValidationException", "mutation protection",
            FirewallRuleGroupAssociationId=association_id, Priority=400)
    assert wait_settled(fw, association_id)["Priority"] == 101
    call(fw, "UpdateFirewallRuleGroupAssociation", FirewallRuleGroupAssociationId=association_id,
         MutationProtection="DISABLED")
    assert wait_settled(fw, association_id)["MutationProtection"] == "DISABLED"
    answer = call(fw, "DisassociateFirewallRuleGroup", FirewallRuleGroupAssociationId=association_id)
    assert answer["FirewallRuleGroupAssociation"]["Status"] == "DELETING"
    assert wait_settled(fw, association_id) is None


def test_disassociate_answers_deleting_then_the_association_is_gone(fw, vpc, group):
    association_id = associate(fw, group, vpc)["Id"]
    wait_settled(fw, association_id)
    answer = call(fw, "DisassociateFirewallRuleGroup", FirewallRuleGroupAssociationId=association_id)
    association = answer["FirewallRuleGroupAssociation"]
    assert (association["Status"], association["StatusMessage"]) == (
        "DELETING", "Deleting the Firewall Rule Group Association")
    refused(fw, "DisassociateFirewallRuleGroup", "ConflictException", association_id,
            FirewallRuleGroupAssociationId=association_id)
    # The rule group stays in use until the association is gone.
    refused(fw, "DeleteFirewallRuleGroup", "ConflictException", group, FirewallRuleGroupId=group)
    assert wait_settled(fw, association_id) is None
    assert call(fw, "ListFirewallRuleGroupAssociations")["FirewallRuleGroupAssociations"] == []
    call(fw, "DeleteFirewallRuleGroup", FirewallRuleGroupId=group)


def test_delete_rule_group_refused_while_associated(fw, vpc, group):
    association_id = associate(fw, group, vpc)["Id"]
    wait_settled(fw, association_id)
    refused(fw, "DeleteFirewallRuleGroup", "ConflictException", group, association_id, FirewallRuleGroupId=group)
    assert call(fw, "GetFirewallRuleGroup", FirewallRuleGroupId=group)["FirewallRuleGroup"]["Status"] == "COMPLETE"


def test_unknown_association_is_not_found(fw):
    for operation in ("GetFirewallRuleGroupAssociation", "DisassociateFirewallRuleGroup",
                      "UpdateFirewallRuleGroupAssociation"):
        refused(fw, operation, "ResourceNotFoundException", "rslvr-frgassoc-0000000000000000",
                FirewallRuleGroupAssociationId="rslvr-frgassoc-0000000000000000")


def test_list_associations_filters_and_paginates(fw, aws, vpc):
    other_vpc = new_vpc(aws, "10.40.0.0/16")
    groups = [new_group(fw, f"group-{n}") for n in range(4)]
    ids = [associate(fw, g, vpc, priority=101 + n)["Id"] for n, g in enumerate(groups)]
    ids.append(associate(fw, groups[0], other_vpc, priority=150)["Id"])
    for association_id in ids:
        wait_settled(fw, association_id)

    def listed(**params):
        return [a["Id"] for a in call(fw, "ListFirewallRuleGroupAssociations", **params)[
            "FirewallRuleGroupAssociations"]]

    assert listed(VpcId=other_vpc) == [ids[4]]
    assert listed(FirewallRuleGroupId=groups[0]) == [ids[0], ids[4]]
    assert listed(Priority=102) == [ids[1]]
    assert listed(Status="COMPLETE") == ids
    assert listed(Status="DELETING") == []
    seen, token = [], None
    while True:
        answer = call(fw, "ListFirewallRuleGroupAssociations", MaxResults=2, **({"NextToken": token} if token else {}))
        seen += [a["Id"] for a in answer["FirewallRuleGroupAssociations"]]
        token = answer.get("NextToken")
        if not token:
            break
    assert seen == ids
    refused(fw, "ListFirewallRuleGroupAssociations", "ValidationException", "status", Status="CREATING")


# -- firewall configs ----------------------------------------------------------------------


def test_firewall_config_exists_on_first_read_and_fails_closed(fw, vpc, account_id):
    config = call(fw, "GetFirewallConfig", ResourceId=vpc)["FirewallConfig"]
    assert re.fullmatch(r"rslvr-fc-[0-9a-f]{16}", config["Id"])
    assert config == {"Id": config["Id"], "ResourceId": vpc, "OwnerId": account_id, "FirewallFailOpen": "DISABLED"}
    assert call(fw, "GetFirewallConfig", ResourceId=vpc)["FirewallConfig"] == config


@pytest.mark.parametrize("value", ["ENABLED", "USE_LOCAL_RESOURCE_SETTING", "DISABLED"])
def test_update_firewall_config_sets_fail_open(fw, vpc, value):
    before = call(fw, "GetFirewallConfig", ResourceId=vpc)["FirewallConfig"]
    after = call(fw, "UpdateFirewallConfig", ResourceId=vpc, FirewallFailOpen=value)["FirewallConfig"]
    assert after == {**before, "FirewallFailOpen": value}
    assert call(fw, "GetFirewallConfig", ResourceId=vpc)["FirewallConfig"] == after


def test_update_firewall_config_refuses_bad_values_and_unknown_vpcs(fw, vpc):
    refused(fw, "UpdateFirewallConfig", "ValidationException", "firewallFailOpen",
            ResourceId=vpc, FirewallFailOpen="OPEN")
    for operation, params in (("UpdateFirewallConfig", {"FirewallFailOpen": "ENABLED"}), ("GetFirewallConfig", {})):
        refused(fw, operation, "ResourceNotFoundException", "vpc-0000000000000000f",
                ResourceId="vpc-0000000000000000f", **params)


def test_list_firewall_configs_shows_every_vpc_and_paginates_by_5_to_10(fw, aws):
    vpcs = {new_vpc(aws, f"10.{50 + n}.0.0/16") for n in range(11)}
    updated = sorted(vpcs)[3]
    call(fw, "UpdateFirewallConfig", ResourceId=updated, FirewallFailOpen="ENABLED")
    seen, token, pages = [], None, 0
    while True:
        answer = call(fw, "ListFirewallConfigs", MaxResults=5, **({"NextToken": token} if token else {}))
        assert len(answer["FirewallConfigs"]) <= 5
        seen += answer["FirewallConfigs"]
        pages += 1
        token = answer.get("NextToken")
        if not token:
            break
    by_vpc = {c["ResourceId"]: c for c in seen}
    assert len(seen) == len(by_vpc) and vpcs <= set(by_vpc)  # the account's default VPC is listed too
    assert pages == 3
    assert by_vpc[updated]["FirewallFailOpen"] == "ENABLED"
    assert by_vpc[updated]["Id"] == call(fw, "GetFirewallConfig", ResourceId=updated)["FirewallConfig"]["Id"]
    refused(fw, "ListFirewallConfigs", "ValidationException", "maxResults", MaxResults=11)
    with pytest.raises(ParamValidationError):
        fw.list_firewall_configs(MaxResults=4)


# -- tags ----------------------------------------------------------------------------------


def test_tags_work_on_every_firewall_resource(fw, vpc):
    tags = [{"Key": "perimeter", "Value": "ml"}]
    domain_list = call(fw, "CreateFirewallDomainList", Name="approved", Tags=tags)["FirewallDomainList"]["Arn"]
    rule_group = call(fw, "CreateFirewallRuleGroup", Name="egress", Tags=tags)["FirewallRuleGroup"]
    association = call(fw, "AssociateFirewallRuleGroup", FirewallRuleGroupId=rule_group["Id"], VpcId=vpc,
                       Priority=101, Name="assoc", Tags=tags)["FirewallRuleGroupAssociation"]["Arn"]
    for arn in (domain_list, rule_group["Arn"], association):
        assert call(fw, "ListTagsForResource", ResourceArn=arn)["Tags"] == tags
        call(fw, "TagResource", ResourceArn=arn, Tags=[{"Key": "owner", "Value": "platform"}])
        call(fw, "UntagResource", ResourceArn=arn, TagKeys=["perimeter"])
        assert call(fw, "ListTagsForResource", ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "platform"}]


def test_tags_on_unknown_firewall_arns_are_not_found(fw, account_id):
    arn = f"arn:aws:route53resolver:eu-west-1:{account_id}:firewall-domain-list/rslvr-fdl-0000000000000000"
    for operation, params in (("ListTagsForResource", {}), ("TagResource", {"Tags": [{"Key": "k", "Value": "v"}]}),
                              ("UntagResource", {"TagKeys": ["k"]})):
        refused(fw, operation, "ResourceNotFoundException", arn, ResourceArn=arn, **params)


def test_tags_of_a_deleted_domain_list_are_gone(fw):
    fdl = call(fw, "CreateFirewallDomainList", Name="short-lived",
               Tags=[{"Key": "k", "Value": "v"}])["FirewallDomainList"]
    call(fw, "DeleteFirewallDomainList", FirewallDomainListId=fdl["Id"])
    refused(fw, "GetFirewallDomainList", "ResourceNotFoundException", fdl["Id"], FirewallDomainListId=fdl["Id"])
    refused(fw, "ListTagsForResource", "ResourceNotFoundException", fdl["Arn"], ResourceArn=fdl["Arn"])


def test_moto_resolver_features_still_work_beside_the_firewall(fw, aws, vpc):
    """Query logging and tags on it, which the perimeter needs, are moto's own and keep working."""
    logs = aws("logs")
    logs.create_log_group(logGroupName="/resolver/queries")
    group_arn = logs.describe_log_groups(logGroupNamePrefix="/resolver/queries")["logGroups"][0]["arn"].rstrip(":*")
    config = call(fw, "CreateResolverQueryLogConfig", Name="queries", DestinationArn=group_arn,
                  CreatorRequestId="qlc-1", Tags=[{"Key": "perimeter", "Value": "ml"}])["ResolverQueryLogConfig"]
    association = call(fw, "AssociateResolverQueryLogConfig", ResolverQueryLogConfigId=config["Id"],
                       ResourceId=vpc)["ResolverQueryLogConfigAssociation"]
    assert association["ResourceId"] == vpc
    assert call(fw, "ListTagsForResource", ResourceArn=config["Arn"])["Tags"] == [{"Key": "perimeter", "Value": "ml"}]
    call(fw, "TagResource", ResourceArn=config["Arn"], Tags=[{"Key": "owner", "Value": "platform"}])
    assert len(call(fw, "ListTagsForResource", ResourceArn=config["Arn"])["Tags"]) == 2


# -- isolation -----------------------------------------------------------------------------


def test_each_account_and_region_has_its_own_rule_groups_and_associations(fw, aws, vpc, group):
    association_id = associate(fw, group, vpc)["Id"]
    for other in (aws("route53resolver", region="us-east-1"), aws("route53resolver", account="456456456457")):
        refused(other, "GetFirewallRuleGroup", "ResourceNotFoundException", group, FirewallRuleGroupId=group)
        refused(other, "GetFirewallRuleGroupAssociation", "ResourceNotFoundException", association_id,
                FirewallRuleGroupAssociationId=association_id)
        assert call(other, "ListFirewallRuleGroupAssociations")["FirewallRuleGroupAssociations"] == []
        refused(other, "GetFirewallConfig", "ResourceNotFoundException", vpc, ResourceId=vpc)
