"""Resolver query logging in the emulator: moto's configs and associations, with delete and disassociate."""


import pytest

from support.contract import call_operation as call
from support.contract import refused


@pytest.fixture
def r53r(aws):
    return aws("route53resolver")






@pytest.fixture
def config(r53r, account_id):
    destination = f"arn:aws:logs:eu-west-1:{account_id}:log-group:/mlperimeter/dns"
    return call(r53r, "CreateResolverQueryLogConfig", Name="dns", DestinationArn=destination,
                CreatorRequestId="one")["ResolverQueryLogConfig"]


def test_disassociate_then_delete(r53r, aws, config):
    vpc_id = aws("ec2").create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]["VpcId"]
    call(r53r, "AssociateResolverQueryLogConfig", ResolverQueryLogConfigId=config["Id"], ResourceId=vpc_id)
    refused(r53r, "DeleteResolverQueryLogConfig", "InvalidRequestException", vpc_id,
            ResolverQueryLogConfigId=config["Id"])

    answer = call(r53r, "DisassociateResolverQueryLogConfig", ResolverQueryLogConfigId=config["Id"],
                  ResourceId=vpc_id)["ResolverQueryLogConfigAssociation"]
    assert (answer["ResourceId"], answer["Status"]) == (vpc_id, "DELETING")
    assert call(r53r, "GetResolverQueryLogConfig",
                ResolverQueryLogConfigId=config["Id"])["ResolverQueryLogConfig"]["AssociationCount"] == 0
    refused(r53r, "DisassociateResolverQueryLogConfig", "ResourceNotFoundException", vpc_id,
            ResolverQueryLogConfigId=config["Id"], ResourceId=vpc_id)

    deleted = call(r53r, "DeleteResolverQueryLogConfig", ResolverQueryLogConfigId=config["Id"])
    assert deleted["ResolverQueryLogConfig"]["Status"] == "DELETING"
    refused(r53r, "GetResolverQueryLogConfig", "ResourceNotFoundException", config["Id"],
            ResolverQueryLogConfigId=config["Id"])
    refused(r53r, "DeleteResolverQueryLogConfig", "ResourceNotFoundException", config["Id"],
            ResolverQueryLogConfigId=config["Id"])


def test_tags_of_a_query_log_config(r53r, config):
    call(r53r, "TagResource", ResourceArn=config["Arn"], Tags=[{"Key": "mlperimeter:managed", "Value": "true"}])
    tags = call(r53r, "ListTagsForResource", ResourceArn=config["Arn"])["Tags"]
    assert tags == [{"Key": "mlperimeter:managed", "Value": "true"}]
