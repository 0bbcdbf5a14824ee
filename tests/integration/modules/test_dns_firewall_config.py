"""mlperimeter.aws.dns_firewall_config against the emulator: four ways, read back with boto3."""

import pytest

from support.modules import four_ways, run_module


@pytest.fixture
def fw(aws):
    return aws("route53resolver")


@pytest.fixture
def vpc_id(aws):
    return aws("ec2").create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]


def assert_four_ways(results, changed):
    assert [r.get("failed", False) for r in results] == [False] * 4, results
    assert [r["changed"] for r in results] == [changed, changed, False, False], results


def own_calls(emulator, account_id):
    return [c for c in emulator.calls() if c["account"] == account_id]


def test_firewall_config_fails_closed_by_default(emulator, account_id, fw, vpc_id):
    fw.update_firewall_config(ResourceId=vpc_id, FirewallFailOpen="ENABLED")
    results = four_ways("dns_firewall_config", {"vpc_id": vpc_id}, emulator=emulator, account_id=account_id)
    assert_four_ways(results, changed=True)
    assert fw.get_firewall_config(ResourceId=vpc_id)["FirewallConfig"]["FirewallFailOpen"] == "DISABLED"
    assert results[0]["diff"] == {"before": {"firewall_fail_open": "ENABLED"},
                                  "after": {"firewall_fail_open": "DISABLED"}}
    assert results[1]["firewall_config"]["resource_id"] == vpc_id


def test_firewall_config_fail_open(emulator, account_id, fw, vpc_id):
    results = four_ways("dns_firewall_config", {"vpc_id": vpc_id, "firewall_fail_open": "ENABLED"},
                        emulator=emulator, account_id=account_id)
    assert_four_ways(results, changed=True)
    assert fw.get_firewall_config(ResourceId=vpc_id)["FirewallConfig"]["FirewallFailOpen"] == "ENABLED"


def test_firewall_config_refuses_a_bad_vpc_id(emulator, account_id):
    calls_before = own_calls(emulator, account_id)
    result = run_module("dns_firewall_config", {"vpc_id": "subnet-123"}, emulator=emulator, account_id=account_id)
    assert result["failed"] is True and result["msg"].startswith("vpc_id:")
    assert own_calls(emulator, account_id) == calls_before
