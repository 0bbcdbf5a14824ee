"""onboard_account.yml over accounts of these tests' own: an access account and a canary rolled out by
site.yml, then an account added to the inventory in a new wave is onboarded (DNS Firewall staged in
ALERT, then switched to BLOCK) without a call in the canary; accounts it must refuse are refused
before any write.

The tests of the onboarded account run in the order they are written.
"""

import json
import time

import pytest
import yaml

from support.ansible import run_playbook
from support.calls import without_lease, writes
from support.inventory import fresh_account_id, write_inventory
from support.rollout_output import calls_since, recap, summary

REGION = "us-east-1"
NEW_CIDR = "10.31.0.0/16"


@pytest.fixture(scope="module")
def accounts():
    return {"access": fresh_account_id(), "ml-a": fresh_account_id(), "ml-new": fresh_account_id(),
            "ml-clash": fresh_account_id()}


@pytest.fixture(scope="module")
def rolled_out(emulator, tmp_path_factory, accounts):
    """The access account and the canary, converged by site.yml before the new wave is in the inventory."""
    inventory = write_inventory(tmp_path_factory.mktemp("before"), {"wave1_canary": {"ml-a": accounts["ml-a"]}},
                                access=accounts["access"])
    run = run_playbook(emulator, "site.yml", inventory=inventory)
    assert run.returncode == 0, run.output[-6000:]
    return emulator


@pytest.fixture(scope="module")
def inventory(tmp_path_factory, accounts):
    """The same accounts with a new wave: ml-new with a CIDR of its own, ml-clash with the canary's."""
    directory = write_inventory(
        tmp_path_factory.mktemp("after"),
        {"wave1_canary": {"ml-a": accounts["ml-a"]},
         "wave2": {"ml-new": accounts["ml-new"], "ml-clash": accounts["ml-clash"]}},
        access=accounts["access"])
    hosts = yaml.safe_load((directory / "hosts.yml").read_text())
    hosts["all"]["children"]["perimeter_ml"]["children"]["wave2"]["hosts"]["ml-new"].update(
        perimeter_sagemaker_vpc_cidr=NEW_CIDR,
        perimeter_sagemaker_subnet_cidrs=["10.31.0.0/19", "10.31.32.0/19", "10.31.64.0/19"])
    (directory / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    return directory


def _onboard(emulator, inventory, host, *extra_vars):
    args = [arg for value in ([f"perimeter_onboard={host}"] if host else []) + list(extra_vars)
            for arg in ("-e", value)]
    return run_playbook(emulator, "onboard_account.yml", inventory=inventory, extra_args=args)


def _registry_entry(emulator, access, account):
    ssm = emulator.client("ssm", access, region=REGION)
    return json.loads(ssm.get_parameter(Name=f"/mlperimeter/registry/accounts/{account}")["Parameter"]["Value"])


def _block_rule_action(emulator, account):
    resolver = emulator.client("route53resolver", account, region=REGION)
    (group,) = [g for g in resolver.list_firewall_rule_groups()["FirewallRuleGroups"]
                if g["Name"] == "mlperimeter-sagemaker"]
    (block,) = [r for r in resolver.list_firewall_rules(FirewallRuleGroupId=group["Id"])["FirewallRules"]
                if r["Name"] == "block-everything-else"]
    return block["Action"]


@pytest.mark.parametrize(("host", "message"), [
    (None, "Give the inventory host of the ML account to onboard with -e perimeter_onboard=<host>, one host of "
           "perimeter_ml (ml-a, ml-new, ml-clash); got (unset)."),
    ("access", "got access."),
    ("ml-unknown", "got ml-unknown."),
])
def test_onboarding_needs_one_ml_host_of_the_inventory(emulator, inventory, accounts, host, message):
    start = time.time()
    run = _onboard(emulator, inventory, host)
    assert run.returncode != 0
    assert message in " ".join(run.output.split())
    assert calls_since(emulator, start, set(accounts.values())) == []


def test_an_account_whose_vpc_cidr_overlaps_a_registered_one_is_refused_before_any_write(
        rolled_out, inventory, accounts):
    emulator = rolled_out
    start = time.time()
    run = _onboard(emulator, inventory, "ml-clash")
    assert run.returncode != 0
    assert (f"ml-clash: the SageMaker VPC CIDR 10.30.0.0/16 of account {accounts['ml-clash']} overlaps "
            f"ml-a ({accounts['ml-a']}, 10.30.0.0/16) in the account registry.") in " ".join(run.output.split())
    calls = calls_since(emulator, start, set(accounts.values()))
    assert writes(without_lease(calls)) == []
    assert [c for c in calls if c["account"] == accounts["ml-a"]] == []
    rows = summary(run.output)
    assert rows["ml-clash"][1].startswith("preflight failed in ")
    assert rows["access"][1] == "not started (stopped after preflight failed in ml-clash)"


def test_a_new_account_is_onboarded_with_its_dns_firewall_staged_and_no_call_in_the_others(
        rolled_out, inventory, accounts):
    emulator = rolled_out
    start = time.time()
    run = _onboard(emulator, inventory, "ml-new", "perimeter_dns_firewall_mode=ALERT")
    assert run.returncode == 0, run.output[-6000:]
    calls = calls_since(emulator, start, set(accounts.values()))
    assert [c for c in calls if c["account"] in (accounts["ml-a"], accounts["ml-clash"])] == []
    rows = summary(run.output)
    assert rows["ml-new"] == ("wave2", "M3 verified; staged: DNS Firewall in ALERT")
    assert rows["access"] == ("access", "A2 verified")
    assert rows["ml-a"] == ("wave1_canary", "not in this run")

    new = accounts["ml-new"]
    ec2 = emulator.client("ec2", new, region=REGION)
    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "tag:mlperimeter:control", "Values": ["M1"]}])["Vpcs"]
    assert vpc["CidrBlock"] == NEW_CIDR
    iam = emulator.client("iam", new, region=REGION)
    attached = {p["PolicyName"] for p in
                iam.list_attached_role_policies(RoleName="mlperimeter-data-scientist")["AttachedPolicies"]}
    assert {"mlperimeter-network-perimeter", "mlperimeter-resource-perimeter",
            "mlperimeter-sagemaker-guardrails"} <= attached
    sagemaker = emulator.client("sagemaker", new, region=REGION)
    (domain,) = sagemaker.list_domains()["Domains"]
    assert sagemaker.describe_domain(DomainId=domain["DomainId"])["AppNetworkAccessType"] == "VpcOnly"
    assert _block_rule_action(emulator, new) == "ALERT"

    entry = _registry_entry(emulator, accounts["access"], new)
    assert entry["vpc_cidr"] == NEW_CIDR
    (studio_host,) = entry["studio_hosts"]
    assert studio_host.startswith(domain["DomainId"] + ".studio.")
    web = emulator.client("workspaces-web", accounts["access"], region=REGION)
    (portal,) = web.list_portals()["portals"]
    settings_arn = web.get_portal(portalArn=portal["portalArn"])["portal"]["browserSettingsArn"]
    assert f"https://{studio_host}" in web.get_browser_settings(
        browserSettingsArn=settings_arn)["browserSettings"]["browserPolicy"]
    access_ec2 = emulator.client("ec2", accounts["access"], region=REGION)
    endpoint_policies = [e["PolicyDocument"] for e in access_ec2.describe_vpc_endpoints(
        Filters=[{"Name": "tag:mlperimeter:control", "Values": ["A2"]}])["VpcEndpoints"]]
    assert endpoint_policies
    assert all(new in policy and accounts["ml-a"] in policy for policy in endpoint_policies)


def test_a_second_onboarding_run_is_converged(rolled_out, inventory, accounts):
    emulator = rolled_out
    start = time.time()
    run = _onboard(emulator, inventory, "ml-new", "perimeter_dns_firewall_mode=ALERT")
    assert run.returncode == 0, run.output[-6000:]
    assert recap(run.output) == {"access": (0, 0), "ml-new": (0, 0)}
    assert writes(without_lease(calls_since(emulator, start, set(accounts.values())))) == []


def test_a_later_run_switches_the_dns_firewall_to_block(rolled_out, inventory, accounts):
    emulator = rolled_out
    start = time.time()
    run = _onboard(emulator, inventory, "ml-new")
    assert run.returncode == 0, run.output[-6000:]
    assert _block_rule_action(emulator, accounts["ml-new"]) == "BLOCK"
    assert summary(run.output)["ml-new"] == ("wave2", "M3 verified")
    changed = writes(without_lease(calls_since(emulator, start, set(accounts.values()))))
    assert changed and {(c["account"], c["service"]) for c in changed} == {(accounts["ml-new"], "route53resolver")}
