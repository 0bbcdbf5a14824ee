"""site.yml wave by wave, over accounts of these tests' own: a canary whose account answers every call
with a 503 fails that account only and stops the run before the next wave, the same site.yml then
converges, a converged run writes nothing, check mode reports drift without writing, and waves the plan
cannot follow are refused before any call.

The tests of the converged set of accounts run in the order they are written.
"""

import json
import re
import time

import pytest
import yaml

from support.ansible import run_playbook
from support.calls import lease_calls, without_lease, writes
from support.inventory import fresh_account_id, write_inventory
from support.rollout_output import calls_since, recap, summary

REGION = "us-east-1"


@pytest.fixture(scope="module")
def accounts():
    return {"access": fresh_account_id(), "ml-a": fresh_account_id(), "ml-b": fresh_account_id()}


@pytest.fixture(scope="module")
def inventory(tmp_path_factory, accounts):
    return write_inventory(tmp_path_factory.mktemp("waves"),
                           {"wave1_canary": {"ml-a": accounts["ml-a"]}, "wave2": {"ml-b": accounts["ml-b"]}},
                           access=accounts["access"])


@pytest.fixture(scope="module")
def failed_canary_run(emulator, inventory, accounts):
    """site.yml with the canary's account answering every call with a 503, the rest of the run untouched."""
    emulator.add_fault(operation="*", error="ServiceUnavailable", rate=1.0, status=503, account=accounts["ml-a"])
    try:
        start = time.time()
        run = run_playbook(emulator, "site.yml", inventory=inventory)
        # Every account's calls, the operator's own included (role assumptions are made from it).
        return run, [c for c in emulator.calls() if c["time"] >= start]
    finally:
        emulator.clear_faults()


def _registry(emulator, access):
    ssm = emulator.client("ssm", access, region=REGION)
    answer = ssm.get_parameters_by_path(Path="/mlperimeter/registry/accounts", Recursive=True)["Parameters"]
    return {json.loads(p["Value"])["account_id"]: json.loads(p["Value"]) for p in answer}


def _failure_line(output, host):
    """What the rollout summary says below its table about ``host``'s failure: (account, step, task, message)."""
    _, _, table = output.rpartition("ROLLOUT SUMMARY")
    (found,) = re.findall(rf"^{re.escape(host)} \(account (\S+)\) failed in (\S+), task '(.*?)': (.*)$", table,
                          re.MULTILINE)
    return found


def test_a_failed_canary_stops_the_run_before_the_next_wave(failed_canary_run, accounts):
    run, calls = failed_canary_run
    assert run.returncode != 0
    # Not a call in the second wave's account, nor a role assumed into it from the operator's account.
    assert [c for c in calls if c["account"] == accounts["ml-b"]] == []
    assert [c for c in calls if accounts["ml-b"] in (c.get("resource") or "")] == []
    rows = summary(run.output)
    assert rows["access"] == ("access", "A2 verified")
    wave, state = rows["ml-a"]
    assert wave == "wave1_canary"
    assert state.startswith("M1 failed in '") and state.endswith("' (nothing verified)")
    assert rows["ml-b"] == ("wave2", "not started (stopped after wave1_canary failed)")


def test_the_operator_is_told_the_account_and_the_operation_that_failed(failed_canary_run, accounts):
    run, calls = failed_canary_run
    canary_calls = [c for c in calls if c["account"] == accounts["ml-a"]]
    first_operation = canary_calls[0]["operation"]
    # Retried (botocore's standard mode, ten attempts), then given up: no other call was tried after it.
    assert {c["status"] for c in canary_calls} == {503} and {c["operation"] for c in canary_calls} == {first_operation}
    assert len(canary_calls) >= 10
    account, step, task, message = _failure_line(run.output, "ml-a")
    assert (account, step) == (accounts["ml-a"], "M1")
    assert f"'{task}'" in summary(run.output)["ml-a"][1]
    assert f"(ServiceUnavailable) when calling the {first_operation} operation" in message


def test_with_the_fault_cleared_the_same_site_yml_converges(emulator, failed_canary_run, inventory, accounts):
    run = run_playbook(emulator, "site.yml", inventory=inventory)
    assert run.returncode == 0, run.output[-6000:]
    assert summary(run.output) == {"access": ("access", "A2 verified"),
                                   "ml-a": ("wave1_canary", "M3 verified"), "ml-b": ("wave2", "M3 verified")}

    registry = _registry(emulator, accounts["access"])
    studio_hosts = []
    for host in ("ml-a", "ml-b"):
        entry = registry[accounts[host]]
        assert entry["vpc_cidr"] == "10.30.0.0/16"
        (studio_host,) = entry["studio_hosts"]
        studio_hosts.append(studio_host)
        ec2 = emulator.client("ec2", accounts[host], region=REGION)
        (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "tag:mlperimeter:control", "Values": ["M1"]}])["Vpcs"]
        assert vpc["CidrBlock"] == entry["vpc_cidr"]
        sagemaker = emulator.client("sagemaker", accounts[host], region=REGION)
        (domain,) = sagemaker.list_domains()["Domains"]
        assert studio_host.startswith(domain["DomainId"] + ".studio.")

    web = emulator.client("workspaces-web", accounts["access"], region=REGION)
    (portal,) = web.list_portals()["portals"]
    settings_arn = web.get_portal(portalArn=portal["portalArn"])["portal"]["browserSettingsArn"]
    browser_policy = web.get_browser_settings(browserSettingsArn=settings_arn)["browserSettings"]["browserPolicy"]
    for studio_host in studio_hosts:
        assert f"https://{studio_host}" in browser_policy


def _outcomes(output, task):
    """(status, host) of each host's line under every run of the task whose name starts with ``task``."""
    blocks = re.split(r"^TASK \[" + re.escape(task) + r"[^\]]*\][^\n]*\n", output, flags=re.MULTILINE)[1:]
    return [line for block in blocks for line in re.findall(r"^(\w+): \[([\w-]+)\]", block.split("\n\n", 1)[0],
                                                            re.MULTILINE)]


def test_a_converged_run_changes_nothing_and_writes_nothing(emulator, inventory, accounts):
    start = time.time()
    run = run_playbook(emulator, "site.yml", inventory=inventory)
    assert run.returncode == 0, run.output[-6000:]
    assert recap(run.output) == {"access": (0, 0), "ml-a": (0, 0), "ml-b": (0, 0)}
    # Gates right after their role's main found nothing to change judge from main's reads: their compares skip.
    for task in ("sagemaker_domain : Compare the SageMaker domain with what the role sets",
                 "sagemaker_endpoints : Compare the interface endpoints with their policy, subnets, group"):
        outcomes = _outcomes(run.output, f"mlperimeter.aws.{task}")
        assert set(outcomes) == {("skipping", "ml-a"), ("skipping", "ml-b")}, task
    for host in ("ml-a", "ml-b"):
        assert re.search(rf"M3 passes in account {accounts[host]}: domain mlperimeter-studio \(d-\w+\) is InService",
                         " ".join(run.output.split()))
    # So does the M1 gate at the end of M3, from M1's reads: the VPC's ways out are read once, by M1's run.
    calls = calls_since(emulator, start, set(accounts.values()))
    assert {host: _ways_out_reads(calls, accounts[host]) for host in ("ml-a", "ml-b")} == {"ml-a": 1, "ml-b": 1}
    # Each ML account's deploy role is assumed once for the whole run: its M1, M2 and M3 plays share the session.
    for host in ("ml-a", "ml-b"):
        role = f"arn:aws:iam::{accounts[host]}:role/mlperimeter-deploy"
        assert len([c for c in emulator.calls() if c["time"] >= start and c["operation"] == "AssumeRole"
                    and c.get("resource") == role]) == 1
    # The rollout lease is the run's own bookkeeping: its PutParameter and DeleteParameter are all it writes,
    # one each in every account, and the run leaves none behind.
    calls = calls_since(emulator, start, set(accounts.values()))
    assert writes(without_lease(calls)) == []
    for account in accounts.values():
        assert [c["operation"] for c in writes(lease_calls(calls)) if c["account"] == account] == [
            "PutParameter", "DeleteParameter"]
    for account in accounts.values():
        names = [p["Name"] for p in emulator.client("ssm", account, region=REGION).describe_parameters(
            ParameterFilters=[{"Key": "Name", "Values": ["/mlperimeter/rollout-lease"]}])["Parameters"]]
        assert names == [], account


def test_check_mode_reports_a_hand_made_drift_and_writes_nothing(emulator, inventory, accounts):
    resolver = emulator.client("route53resolver", accounts["ml-b"], region=REGION)
    (group,) = [g for g in resolver.list_firewall_rule_groups()["FirewallRuleGroups"]
                if g["Name"] == "mlperimeter-sagemaker"]
    (block,) = [r for r in resolver.list_firewall_rules(FirewallRuleGroupId=group["Id"])["FirewallRules"]
                if r["Name"] == "block-everything-else"]
    resolver.update_firewall_rule(FirewallRuleGroupId=group["Id"], FirewallDomainListId=block["FirewallDomainListId"],
                                  Action="ALERT")

    start = time.time()
    run = run_playbook(emulator, "site.yml", inventory=inventory, check=True)
    assert writes(calls_since(emulator, start, set(accounts.values()))) == []
    changes = recap(run.output)
    assert changes["ml-a"] == (0, 0)
    assert changes["ml-b"][0] > 0
    # The gate reads the live state, which check mode leaves drifted.
    assert run.returncode != 0
    assert f"M2 fails in account {accounts['ml-b']}" in run.output
    rows = summary(run.output)
    assert rows["ml-a"] == ("wave1_canary", "M3 verified")
    assert rows["ml-b"][1].startswith("M2 failed in ") and rows["ml-b"][1].endswith("(M1 verified)")


def test_the_closing_m1_gate_reads_the_vpc_again_only_where_m3_changed_something(emulator, inventory, accounts):
    # ml-a: an interface endpoint opened by hand, which M3 puts back. ml-b: the DNS Firewall drift the test above
    # left, which M2 puts back; M2 writes nothing the M1 gate judges.
    ec2 = emulator.client("ec2", accounts["ml-a"], region=REGION)
    endpoint = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-endpoint-type", "Values": ["Interface"]},
                                                   {"Name": "tag:mlperimeter:control", "Values": ["M3"]}])[
        "VpcEndpoints"][0]
    open_to_all = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint["VpcEndpointId"], PolicyDocument=json.dumps(open_to_all))

    start = time.time()
    run = run_playbook(emulator, "site.yml", inventory=inventory)
    assert run.returncode == 0, run.output[-6000:]
    (repaired,) = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint["VpcEndpointId"]])["VpcEndpoints"]
    assert json.loads(repaired["PolicyDocument"]) != open_to_all
    calls = calls_since(emulator, start, set(accounts.values()))
    assert {host: _ways_out_reads(calls, accounts[host]) for host in ("ml-a", "ml-b")} == {"ml-a": 2, "ml-b": 1}
    for host in ("ml-a", "ml-b"):
        assert len(re.findall(rf"M1 passed in account {accounts[host]} \(VPC vpc-", " ".join(run.output.split()))) == 2


def _ways_out_reads(calls, account):
    return len([c for c in calls if c["account"] == account and c["operation"] == "DescribeInternetGateways"])


def _refusal(emulator, directory, waves, perimeter_waves=None):
    accounts = {host: account for hosts in waves.values() for host, account in hosts.items()}
    inventory = write_inventory(directory, waves)
    if perimeter_waves is not None:
        group_vars = inventory / "group_vars" / "all.yml"
        group_vars.write_text(yaml.safe_dump({**yaml.safe_load(group_vars.read_text()),
                                              "perimeter_waves": perimeter_waves}))
    access = yaml.safe_load((inventory / "hosts.yml").read_text())["all"]["children"]["perimeter_access"]
    start = time.time()
    run = run_playbook(emulator, "site.yml", inventory=inventory)
    touched = {*accounts.values(), access["hosts"]["access"]["aws_account_id"]}
    return run, calls_since(emulator, start, touched)


def test_a_host_in_two_waves_is_refused_before_any_call(emulator, tmp_path):
    account = fresh_account_id()
    run, calls = _refusal(emulator, tmp_path, {"wave1_canary": {"ml-a": account}, "wave2": {"ml-a": account}})
    assert run.returncode != 0
    assert "Host ml-a must be in exactly one wave of perimeter_waves (wave1_canary, wave2); " \
           "it is in wave1_canary and wave2." in " ".join(run.output.split())
    assert calls == []
    rows = summary(run.output)
    assert rows["ml-a"] == ("-", "refused by the rollout plan ('Check every ML account is in exactly one wave')")
    assert rows["access"] == ("access", "not started (stopped after the rollout plan was refused)")


def test_a_host_in_no_listed_wave_is_refused_before_any_call(emulator, tmp_path):
    run, calls = _refusal(emulator, tmp_path, {"wave1_canary": {"ml-a": fresh_account_id()},
                                               "unlisted": {"ml-b": fresh_account_id()}},
                          perimeter_waves=["wave1_canary"])
    assert run.returncode != 0
    assert "Host ml-b must be in exactly one wave of perimeter_waves (wave1_canary); it is in none." \
           in " ".join(run.output.split())
    assert calls == []


def test_more_waves_than_site_yml_has_slots_are_refused_before_any_call(emulator, tmp_path):
    waves = {f"wave{n}": {f"ml-{n}": fresh_account_id()} for n in range(1, 10)}
    run, calls = _refusal(emulator, tmp_path, waves)
    assert run.returncode != 0
    assert "at most 8 of them (site.yml's wave slots)" in " ".join(run.output.split())
    assert calls == []


def test_layer_2_before_layer_1_stops_naming_the_missing_browser_vpc(emulator, tmp_path):
    accounts = {"access": fresh_account_id(), "ml-a": fresh_account_id()}
    inventory = write_inventory(tmp_path, {"wave1_canary": {"ml-a": accounts["ml-a"]}}, access=accounts["access"])
    start = time.time()
    run = run_playbook(emulator, "layer2.yml", inventory=inventory)
    assert run.returncode != 0
    assert (f"A1 in account {accounts['access']}: no browser VPC (Name=mlperimeter-browser) in us-east-1. "
            "Roll out layer 1 first") in " ".join(run.output.split())
    # A2 read the browser VPC and stopped: nothing built, only the run's lease taken in the access account.
    calls = calls_since(emulator, start, set(accounts.values()))
    assert writes(without_lease(calls)) == []
    assert [c for c in calls if c["account"] == accounts["ml-a"]] == []
