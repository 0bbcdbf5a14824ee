"""The rollout under the emulator's injected faults, over accounts of these tests' own: 30% of every
account's calls throttled, and a wave-1 account answering every call with a 503.

The operator's identity is an IAM user in an account of its own, so the role assumptions made
from it are throttled with the rest. Faults name only these tests' accounts: other tests sharing
the emulator are not touched.
"""

import json
import re
import time
from collections import Counter

import pytest

from support.ansible import run_playbook
from support.inventory import fresh_account_id, write_inventory
from support.rollout_output import summary

REGION = "us-east-1"
THROTTLING_SEED = 20240611


def operator_keys(emulator, account):
    """An access key of an IAM user in ``account``: the operator's credentials, in an account of their own."""
    iam = emulator.client("iam", account, region=REGION)
    iam.create_user(UserName="mlperimeter-operator")
    key = iam.create_access_key(UserName="mlperimeter-operator")["AccessKey"]
    return {"perimeter_operator_access_key": key["AccessKeyId"],
            "perimeter_operator_secret_key": key["SecretAccessKey"]}


def calls_in(emulator, accounts, start, end):
    return [c for c in emulator.calls() if c["account"] in accounts and start <= c["time"] <= end]


def failure_line(output, host):
    """What the rollout summary says below its table about ``host``'s failure: (account, step, task, message)."""
    _, _, table = output.rpartition("ROLLOUT SUMMARY")
    (found,) = re.findall(rf"^{re.escape(host)} \(account (\S+)\) failed in (\S+), task '(.*?)': (.*)$", table,
                          re.MULTILINE)
    return found


# ----- 30% of every call throttled ---------------------------------------------------------------

@pytest.fixture(scope="module")
def throttled(emulator, tmp_path_factory):
    """site.yml then verify.yml with 30% of the calls in every account of theirs throttled."""
    accounts = {"operator": fresh_account_id(), "access": fresh_account_id(), "ml-a": fresh_account_id()}
    directory = tmp_path_factory.mktemp("throttled")
    inventory = write_inventory(directory / "inventory", {"wave1_canary": {"ml-a": accounts["ml-a"]}},
                                access=accounts["access"], region=REGION,
                                extra_vars=operator_keys(emulator, accounts["operator"]))
    emulator.add_fault(operation="*", error="ThrottlingException", rate=0.3, seed=THROTTLING_SEED,
                       account=sorted(accounts.values()))
    try:
        start = time.time()
        site = run_playbook(emulator, "site.yml", inventory=inventory)
        verify = run_playbook(emulator, "verify.yml", inventory=inventory,
                              extra_args=["-e", f"perimeter_report_dir={directory / 'reports'}"])
        end = time.time()
    finally:
        emulator.clear_faults()
    return {"accounts": accounts, "site": site, "verify": verify, "reports": directory / "reports",
            "calls": calls_in(emulator, set(accounts.values()), start, end)}


def test_throttling_hits_every_account_and_service_of_the_run(throttled):
    calls = throttled["calls"]
    throttled_calls = [c for c in calls if c.get("fault") == "ThrottlingException"]
    assert 0.2 <= len(throttled_calls) / len(calls) <= 0.4
    assert {c["account"] for c in throttled_calls} == set(throttled["accounts"].values())
    busy_services = {service for service, count in Counter(c["service"] for c in calls).items() if count >= 10}
    assert busy_services <= {c["service"] for c in throttled_calls}


def test_site_yml_converges_with_every_gate_passed(emulator, throttled):
    site, accounts = throttled["site"], throttled["accounts"]
    assert site.returncode == 0, site.output[-6000:]
    assert summary(site.output) == {"access": ("access", "A2 verified"), "ml-a": ("wave1_canary", "M3 verified")}
    # Retried creates made one resource each.
    ml_ec2 = emulator.client("ec2", accounts["ml-a"], region=REGION)
    assert len(ml_ec2.describe_vpcs(Filters=[{"Name": "tag:mlperimeter:managed", "Values": ["true"]}])["Vpcs"]) == 1
    assert len(emulator.client("sagemaker", accounts["ml-a"], region=REGION).list_domains()["Domains"]) == 1
    assert len(emulator.client("workspaces-web", accounts["access"], region=REGION).list_portals()["portals"]) == 1


def test_verify_passes_with_no_failure_in_the_evidence_report(throttled):
    verify = throttled["verify"]
    assert verify.returncode == 0, verify.output[-6000:]
    (report_dir,) = throttled["reports"].iterdir()
    report = json.loads((report_dir / "evidence.json").read_text())
    assert {(r["account"], r["control"], r["check"]): r["status"] for r in report["controls"]
            if r["status"] != "pass"} == {}
    assert report["summary"]["fail"] == 0 and report["summary"]["pass"] == 15
    assert [row for row in report["matrix"] if row["status"] != "pass"] == []


# ----- a persistent 5xx in the first wave's account ------------------------------------------------

@pytest.fixture(scope="module")
def unavailable(emulator, tmp_path_factory):
    """site.yml over two waves of one account each, wave 1's account answering every call with a 503."""
    accounts = {"access": fresh_account_id(), "ml-a": fresh_account_id(), "ml-b": fresh_account_id()}
    inventory = write_inventory(tmp_path_factory.mktemp("unavailable"),
                                {"wave1_canary": {"ml-a": accounts["ml-a"]}, "wave2": {"ml-b": accounts["ml-b"]}},
                                access=accounts["access"], region=REGION)
    emulator.add_fault(operation="*", error="ServiceUnavailable", rate=1.0, status=503, account=accounts["ml-a"])
    try:
        start = time.time()
        run = run_playbook(emulator, "site.yml", inventory=inventory)
        end = time.time()
    finally:
        emulator.clear_faults()
    return {"accounts": accounts, "run": run, "calls": [c for c in emulator.calls() if start <= c["time"] <= end]}


def test_a_persistent_5xx_fails_the_run_where_it_happened(unavailable):
    run = unavailable["run"]
    assert run.returncode != 0
    rows = summary(run.output)
    assert rows["access"] == ("access", "A2 verified")
    wave, state = rows["ml-a"]
    assert wave == "wave1_canary"
    assert state.startswith("M1 failed in '") and state.endswith("' (nothing verified)")
    assert rows["ml-b"] == ("wave2", "not started (stopped after wave1_canary failed)")


def test_the_operator_is_told_the_account_and_the_operation(unavailable):
    run, accounts = unavailable["run"], unavailable["accounts"]
    calls = [c for c in unavailable["calls"] if c["account"] == accounts["ml-a"]]
    first_operation = calls[0]["operation"]
    assert {c["status"] for c in calls} == {503} and {c["operation"] for c in calls} == {first_operation}
    account, step, task, message = failure_line(run.output, "ml-a")
    assert (account, step) == (accounts["ml-a"], "M1")
    assert f"'{task}'" in summary(run.output)["ml-a"][1]
    assert f"(ServiceUnavailable) when calling the {first_operation} operation" in message


def test_the_second_wave_account_gets_no_call(unavailable):
    accounts = unavailable["accounts"]
    assert [c for c in unavailable["calls"] if c["account"] == accounts["ml-b"]] == []
    # Not even a role assumed into it from the operator's account.
    assert [c for c in unavailable["calls"] if accounts["ml-b"] in (c.get("resource") or "")] == []
