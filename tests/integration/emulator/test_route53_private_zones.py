"""Contract tests of the emulator's Route 53 private hosted zones and alias records to VPC endpoints, as
Console Private Access uses them, driven through boto3 and checked against botocore's output shapes."""

import pytest
from botocore.exceptions import ClientError

from support.shapes import output_shape_errors

REGION = "us-east-1"
ZONE = "console.aws.amazon.com"


@pytest.fixture
def ec2(aws):
    return aws("ec2", region=REGION)


@pytest.fixture
def route53(aws):
    return aws("route53", region=REGION)


@pytest.fixture
def endpoint(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.50.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]
    created = ec2.create_vpc_endpoint(
        VpcId=vpc_id, ServiceName=f"com.amazonaws.{REGION}.console", VpcEndpointType="Interface",
        SubnetIds=[subnet["SubnetId"]], PrivateDnsEnabled=False,
    )["VpcEndpoint"]
    return {"vpc_id": vpc_id, "dns": created["DnsEntries"][0]}


@pytest.fixture
def zone(route53, endpoint):
    answer = call(route53, "create_hosted_zone", Name=ZONE, CallerReference="console-zone",
                  VPC={"VPCRegion": REGION, "VPCId": endpoint["vpc_id"]},
                  HostedZoneConfig={"PrivateZone": True, "Comment": "Console Private Access"})
    assert answer["VPC"] == {"VPCRegion": REGION, "VPCId": endpoint["vpc_id"]}
    return answer["HostedZone"]["Id"]


# Where AWS's own answers leave botocore's model: a zone id carries its "/hostedzone/" prefix (longer than
# the model's 32), and a private zone has no delegation set (no public name servers).
AWS_DEVIATIONS = ("HostedZone.Id: length", "CreateHostedZone.DelegationSet: required member missing")


def call(client, method, **kwargs):
    """Call ``method`` and check the answer against botocore's output shape."""
    response = getattr(client, method)(**kwargs)
    errors = [
        e for e in output_shape_errors(client, client.meta.method_to_api_mapping[method], response)
        if not any(deviation in e for deviation in AWS_DEVIATIONS)
    ]
    assert not errors, "answer does not match botocore's output shape:\n" + "\n".join(errors)
    return response


def change(route53, zone_id, name, record_type="A", action="UPSERT", **record):
    return call(route53, "change_resource_record_sets", HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": action, "ResourceRecordSet": {"Name": name, "Type": record_type, **record}}]})


def alias_to(endpoint):
    return {"AliasTarget": {"HostedZoneId": endpoint["dns"]["HostedZoneId"], "DNSName": endpoint["dns"]["DnsName"],
                            "EvaluateTargetHealth": False}}


def records(route53, zone_id):
    return call(route53, "list_resource_record_sets", HostedZoneId=zone_id)["ResourceRecordSets"]


def refused(route53, zone_id, name, record_type, **record):
    with pytest.raises(ClientError) as raised:
        change(route53, zone_id, name, record_type, action="CREATE", **record)
    return raised.value.response["Error"]


def test_private_zone_is_associated_with_the_vpc(route53, endpoint, zone):
    described = call(route53, "get_hosted_zone", Id=zone)
    assert described["HostedZone"]["Config"]["PrivateZone"] is True
    assert described["VPCs"] == [{"VPCRegion": REGION, "VPCId": endpoint["vpc_id"]}]
    by_vpc = call(route53, "list_hosted_zones_by_vpc", VPCId=endpoint["vpc_id"], VPCRegion=REGION)
    assert [z["Name"] for z in by_vpc["HostedZoneSummaries"]] == [f"{ZONE}."]


def test_alias_at_the_apex_and_a_wildcard_to_the_endpoint(route53, endpoint, zone):
    change(route53, zone, ZONE, **alias_to(endpoint))
    change(route53, zone, f"*.{ZONE}", **alias_to(endpoint))

    aliases = {r["Name"]: r["AliasTarget"] for r in records(route53, zone) if "AliasTarget" in r}

    expected_target = endpoint["dns"]["DnsName"].lower() + "."
    assert set(aliases) == {f"{ZONE}.", f"\\052.{ZONE}."}
    for target in aliases.values():
        assert target == {"HostedZoneId": endpoint["dns"]["HostedZoneId"], "DNSName": expected_target,
                          "EvaluateTargetHealth": False}


def test_an_upsert_of_the_same_alias_keeps_one_record(route53, endpoint, zone):
    change(route53, zone, ZONE, **alias_to(endpoint))
    change(route53, zone, f"{ZONE}.", **alias_to(endpoint))
    assert len([r for r in records(route53, zone) if r["Type"] == "A"]) == 1


def test_cname_at_the_apex_is_refused(route53, zone):
    answer = refused(route53, zone, ZONE, "CNAME", TTL=60, ResourceRecords=[{"Value": "elsewhere.example.com"}])
    assert answer["Code"] == "InvalidChangeBatch"
    assert "not permitted at apex" in answer["Message"] and f"{ZONE}." in answer["Message"]
    assert {r["Type"] for r in records(route53, zone)} == {"NS", "SOA"}


def test_cname_beside_another_record_of_the_same_name_is_refused(route53, endpoint, zone):
    change(route53, zone, f"eu-west-1.{ZONE}", **alias_to(endpoint))
    answer = refused(route53, zone, f"eu-west-1.{ZONE}", "CNAME", TTL=60,
                     ResourceRecords=[{"Value": "elsewhere.example.com"}])
    assert answer["Code"] == "InvalidChangeBatch" and "conflicts with other records" in answer["Message"]


def test_a_name_outside_the_zone_is_refused_label_by_label(route53, endpoint, zone):
    for name in ("signin.aws.amazon.com", "xconsole.aws.amazon.com"):
        answer = refused(route53, zone, name, "A", **alias_to(endpoint))
        assert answer["Code"] == "InvalidChangeBatch" and "not permitted in zone" in answer["Message"]
    assert {r["Type"] for r in records(route53, zone)} == {"NS", "SOA"}


def test_zones_by_vpc_name_only_the_vpc_of_that_region(route53, endpoint, zone):
    answer = call(route53, "list_hosted_zones_by_vpc", VPCId=endpoint["vpc_id"], VPCRegion="eu-west-1")
    assert answer["HostedZoneSummaries"] == []
