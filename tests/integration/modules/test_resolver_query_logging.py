"""mlperimeter.aws.resolver_query_logging against the emulator: four ways, read back with boto3."""

import pytest

from support.calls import writes
from support.modules import four_ways, run_module

TAGS = {"mlperimeter:managed": "true", "mlperimeter:control": "M2"}


@pytest.fixture
def r53r(aws):
    return aws("route53resolver")


@pytest.fixture
def vpcs(aws):
    ec2 = aws("ec2")
    return [ec2.create_vpc(CidrBlock=f"10.{80 + i}.0.0/16")["Vpc"]["VpcId"] for i in range(2)]


@pytest.fixture
def destination(account_id):
    return f"arn:aws:logs:eu-west-1:{account_id}:log-group:/mlperimeter/dns"


def assert_four_ways(results, changed):
    assert [r.get("failed", False) for r in results] == [False] * 4, results
    assert [r["changed"] for r in results] == [changed, changed, False, False], results


def run(emulator, account_id, args, **kwargs):
    return run_module("resolver_query_logging", args, emulator=emulator, account_id=account_id, **kwargs)


def configs_named(r53r, name):
    return [c for c in r53r.list_resolver_query_log_configs()["ResolverQueryLogConfigs"] if c["Name"] == name]


def vpcs_of(r53r, config_id):
    associations = r53r.list_resolver_query_log_config_associations(
        Filters=[{"Name": "ResolverQueryLogConfigId", "Values": [config_id]}])["ResolverQueryLogConfigAssociations"]
    return sorted(a["ResourceId"] for a in associations)


def own_calls(emulator, account_id):
    return [c for c in emulator.calls() if c["account"] == account_id]


def test_creates_and_associates(emulator, account_id, r53r, vpcs, destination):
    args = {"name": "dns", "destination_arn": destination, "vpc_ids": vpcs, "tags": TAGS}
    results = four_ways("resolver_query_logging", args, emulator=emulator, account_id=account_id)

    assert_four_ways(results, changed=True)
    (config,) = configs_named(r53r, "dns")
    assert config["DestinationArn"] == destination
    assert vpcs_of(r53r, config["Id"]) == sorted(vpcs)
    tags = r53r.list_tags_for_resource(ResourceArn=config["Arn"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == TAGS
    assert results[0]["query_log_config"]["id"] is None
    assert results[1]["query_log_config"]["id"] == config["Id"]
    assert results[1]["query_log_config"]["vpc_ids"] == sorted(vpcs)
    assert results[0]["diff"]["after"] == results[1]["diff"]["after"]


def test_vpcs_change(emulator, account_id, r53r, vpcs, destination):
    run(emulator, account_id, {"name": "dns", "destination_arn": destination, "vpc_ids": vpcs[:1]})
    results = four_ways("resolver_query_logging", {"name": "dns", "destination_arn": destination,
                                                   "vpc_ids": vpcs[1:]}, emulator=emulator, account_id=account_id)
    assert_four_ways(results, changed=True)
    assert results[1]["changes"] == [f"associate {vpcs[1]}", f"disassociate {vpcs[0]}"]
    (config,) = configs_named(r53r, "dns")
    assert vpcs_of(r53r, config["Id"]) == vpcs[1:]


def test_absent_disassociates_and_deletes(emulator, account_id, r53r, vpcs, destination):
    run(emulator, account_id, {"name": "dns", "destination_arn": destination, "vpc_ids": vpcs})
    results = four_ways("resolver_query_logging", {"name": "dns", "state": "absent"},
                        emulator=emulator, account_id=account_id)
    assert_four_ways(results, changed=True)
    assert configs_named(r53r, "dns") == []
    assert results[1]["diff"]["before"]["vpc_ids"] == sorted(vpcs)


def test_another_destination_is_refused(emulator, account_id, r53r, destination):
    run(emulator, account_id, {"name": "dns", "destination_arn": destination})
    writes_before = writes(own_calls(emulator, account_id))
    result = run(emulator, account_id, {"name": "dns", "destination_arn": "arn:aws:s3:::dns-logs"})
    assert result["failed"] is True
    assert result["msg"].startswith("destination_arn:")
    assert writes(own_calls(emulator, account_id)) == writes_before


def test_refuses_two_configs_with_the_same_name(emulator, account_id, r53r, destination):
    ids = [r53r.create_resolver_query_log_config(Name="dns", DestinationArn=destination,
                                                 CreatorRequestId=str(i))["ResolverQueryLogConfig"]["Id"]
           for i in range(2)]
    result = run(emulator, account_id, {"name": "dns", "destination_arn": destination})
    assert result["failed"] is True
    assert all(config_id in result["msg"] for config_id in ids)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"destination_arn": "arn:aws:sqs:eu-west-1:111111111111:q"}, "destination_arn"),
        ({"vpc_ids": ["vpc-zz"]}, "vpc_ids[0]"),
        ({"name": "has.dot"}, "name"),
    ],
)
def test_bad_input_is_refused_before_any_call(emulator, account_id, destination, args, field):
    calls_before = own_calls(emulator, account_id)
    result = run(emulator, account_id, {"name": "dns", "destination_arn": destination, **args})
    assert result["failed"] is True
    assert f": {field}:" in result["msg"], result["msg"]
    assert own_calls(emulator, account_id) == calls_before
