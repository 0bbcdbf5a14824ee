"""verify.yml: every control of every account checked read-only, with its evidence report; drift caught and cleared.

The shared rollout of the local inventory is only read. Drift is made in accounts of this module's
own (one access and one ML account), rolled out once for the whole module, and that rollout and its
first verify run with 30% of every call of theirs throttled (seeded, so repeatable): the operator's
identity is an IAM user in an account of its own, so the role assumptions made from it are throttled
with the rest. The faults name only these accounts; other tests sharing the emulator are not touched.
"""

import json
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from ansible_collections.mlperimeter.aws.plugins.module_utils import attack_matrix

from support.ansible import PlaybookRun, run_playbook
from support.calls import reads, writes
from support.inventory import fresh_account_id, write_inventory
from support.rollout_output import summary

LOCAL = {"access": "111111111111", "ml-research": "222222222222", "ml-forecasting": "333333333333",
         "ml-genomics": "444444444444"}
ACCESS_CHECKS = {("A1", "browser network"), ("A1", "Secure Browser portal"), ("A2", "browser allowlist"),
                 ("A2", "Console Private Access"), ("A2", "browser DNS Firewall")}
ML_CHECKS = {("M1", "SageMaker network"), ("M1", "network perimeter"),
             ("M1", "network perimeter on the permission sets"),
             ("M2", "DNS Firewall"), ("M2", "resource perimeter"), ("M2", "resource perimeter on the permission sets"),
             ("M3", "SageMaker endpoints"), ("M3", "SageMaker domain"), ("M3", "SageMaker guardrails"),
             ("M3", "SageMaker guardrails on the permission sets")}
REGION = "us-east-1"
CHROMIUM = Path("/usr/bin/chromium")
NETWORK_PERIMETER = "mlperimeter/mlperimeter-network-perimeter"
DATA_SCIENTIST = "mlperimeter-data-scientist"
THROTTLING_SEED = 20240611


@dataclass
class Verified:
    run: PlaybookRun
    report_dir: Path
    report: dict
    calls: list  # the emulator's calls in the verified accounts while the run lasted


def verify(emulator, inventory, reports: Path, accounts, extra_args=()):
    """verify.yml writing its report under ``reports`` (a directory of its own)."""
    started = time.time()
    run = run_playbook(emulator, "verify.yml", inventory=inventory,
                       extra_args=["-e", f"perimeter_report_dir={reports}", *extra_args])
    ended = time.time()
    directories = list(reports.iterdir()) if reports.exists() else []
    assert len(directories) == 1, run.output[-6000:]
    report = json.loads((directories[0] / "evidence.json").read_text())
    calls = [c for c in emulator.calls() if c["account"] in accounts and started <= c["time"] <= ended]
    return Verified(run, directories[0], report, calls)


def statuses(report):
    return {(r["account"], r["control"], r["check"]): r["status"] for r in report["controls"]}


def expected_checks(access, ml_accounts):
    return ({(access, control, check) for control, check in ACCESS_CHECKS}
            | {(ml, control, check) for ml in ml_accounts for control, check in ML_CHECKS})


@pytest.fixture(scope="module")
def local_verified(rolled_out, tmp_path_factory):
    return verify(rolled_out, "inventories/local", tmp_path_factory.mktemp("local-reports"), set(LOCAL.values()))


def operator_keys(emulator, account):
    """An access key of an IAM user in ``account``: the operator's credentials, in an account of their own."""
    iam = emulator.client("iam", account, region=REGION)
    iam.create_user(UserName="mlperimeter-operator")
    key = iam.create_access_key(UserName="mlperimeter-operator")["AccessKey"]
    return {"perimeter_operator_access_key": key["AccessKeyId"],
            "perimeter_operator_secret_key": key["SecretAccessKey"]}


@dataclass
class Throttled:
    accounts: dict
    inventory: Path
    site: PlaybookRun
    verified: Verified
    calls: list  # every call in the accounts while site.yml and verify.yml ran


@pytest.fixture(scope="module")
def throttled(emulator, tmp_path_factory):
    """One access and one ML account of this module's own: site.yml, then verify.yml, 30% of their calls throttled."""
    accounts = {"operator": fresh_account_id(), "access": fresh_account_id(), "ml-verify": fresh_account_id()}
    inventory = write_inventory(tmp_path_factory.mktemp("inventory"), {"wave1": {"ml-verify": accounts["ml-verify"]}},
                                access=accounts["access"], extra_vars=operator_keys(emulator, accounts["operator"]))
    emulator.add_fault(operation="*", error="ThrottlingException", rate=0.3, seed=THROTTLING_SEED,
                       account=sorted(accounts.values()))
    try:
        start = time.time()
        site = run_playbook(emulator, "site.yml", inventory=inventory)
        verified = verify(emulator, inventory, tmp_path_factory.mktemp("own-reports"),
                          {accounts["access"], accounts["ml-verify"]})
        calls = [c for c in emulator.calls() if c["account"] in accounts.values() and c["time"] >= start]
    finally:
        emulator.clear_faults()
    return Throttled(accounts, inventory, site, verified, calls)


@pytest.fixture(scope="module")
def own(throttled):
    """The module's own accounts, converged by site.yml (under throttling)."""
    assert throttled.site.returncode == 0, throttled.site.output[-6000:]
    return throttled.inventory, {host: throttled.accounts[host] for host in ("access", "ml-verify")}


@pytest.fixture(scope="module")
def own_verified(throttled, own):
    return throttled.verified


@pytest.fixture(scope="module")
def drifted(emulator, own, own_verified, tmp_path_factory):
    """The network perimeter detached from the data-scientist role by hand, then verify."""
    inventory, accounts = own
    ml = accounts["ml-verify"]
    emulator.client("iam", ml, region=REGION).detach_role_policy(
        RoleName=DATA_SCIENTIST, PolicyArn=f"arn:aws:iam::{ml}:policy/{NETWORK_PERIMETER}")
    return verify(emulator, inventory, tmp_path_factory.mktemp("drift-reports"), set(accounts.values()))


def matrix_statuses(report):
    """(account, row) to the status verify's attack matrix gives it."""
    return {(row["account"], row["row"]): row["status"] for row in report["matrix"]}


def test_verify_passes_after_the_shared_rollout_and_writes_nothing(local_verified):
    verified = local_verified
    assert verified.run.returncode == 0, verified.run.output[-6000:]
    found = statuses(verified.report)
    assert set(found) == expected_checks("access", ["ml-research", "ml-forecasting", "ml-genomics"])
    assert {key: status for key, status in found.items() if status != "pass"} == {}
    assert verified.report["summary"] == {"pass": 35, "staged": 0, "fail": 0}
    assert matrix_statuses(verified.report) == {
        (name, row.id): "pass" for name in LOCAL
        for row in attack_matrix.rows_for("access" if name == "access" else "ml")}
    assert {(a["name"], a["account_id"], a["kind"]) for a in verified.report["accounts"]} == {
        (name, account, "access" if name == "access" else "ml") for name, account in LOCAL.items()}
    assert writes(verified.calls) == []
    assert {c["account"] for c in reads(verified.calls)} == set(LOCAL.values())
    assert sorted(p.name for p in verified.report_dir.iterdir()) == ["evidence.html", "evidence.json", "evidence.md"]


def test_verify_passes_in_fresh_accounts_after_a_rollout(own_verified, own):
    _, accounts = own
    verified = own_verified
    assert verified.run.returncode == 0, verified.run.output[-6000:]
    found = statuses(verified.report)
    assert set(found) == expected_checks("access", ["ml-verify"])
    assert {key: status for key, status in found.items() if status != "pass"} == {}
    assert [row for row in verified.report["matrix"] if row["status"] != "pass"] == []
    assert writes(verified.calls) == []
    assert {c["account"] for c in reads(verified.calls)} == set(accounts.values())


def test_throttling_hits_both_perimeter_accounts_and_every_busy_service(throttled):
    # S3 answers throttling with its own 503 SlowDown.
    throttled_calls = [c for c in throttled.calls if c.get("fault") in ("ThrottlingException", "SlowDown")]
    assert 0.2 <= len(throttled_calls) / len(throttled.calls) <= 0.4
    # The accounts the perimeter is built in; the operator's account makes only its role assumptions, a few
    # calls that a 30% rate may miss in a given sequence (STS is throttled in the others).
    assert {throttled.accounts["access"], throttled.accounts["ml-verify"]} <= {c["account"] for c in throttled_calls}
    busy_services = {service for service, count in Counter(c["service"] for c in throttled.calls).items()
                     if count >= 10}
    assert busy_services <= {c["service"] for c in throttled_calls}


def test_site_yml_converges_under_throttling_with_every_gate_passed(emulator, throttled):
    site, accounts = throttled.site, throttled.accounts
    assert site.returncode == 0, site.output[-6000:]
    assert summary(site.output) == {"access": ("access", "A2 verified"), "ml-verify": ("wave1", "M3 verified")}
    # Retried creates made one resource each.
    ml_ec2 = emulator.client("ec2", accounts["ml-verify"], region=REGION)
    assert len(ml_ec2.describe_vpcs(Filters=[{"Name": "tag:mlperimeter:managed", "Values": ["true"]}])["Vpcs"]) == 1
    assert len(emulator.client("sagemaker", accounts["ml-verify"], region=REGION).list_domains()["Domains"]) == 1
    assert len(emulator.client("workspaces-web", accounts["access"], region=REGION).list_portals()["portals"]) == 1


def test_a_drift_made_by_hand_fails_verify_naming_the_control_and_the_account(drifted, own):
    _, accounts = own
    verified = drifted
    assert verified.run.returncode != 0
    failed = [r for r in verified.report["controls"] if r["status"] == "fail"]
    assert [(r["account"], r["account_id"], r["control"], r["check"]) for r in failed] == [
        ("ml-verify", accounts["ml-verify"], "M1", "network perimeter")]
    assert DATA_SCIENTIST in failed[0]["evidence"] and f"account {accounts['ml-verify']}" in failed[0]["evidence"]
    assert f"M1 network perimeter in ml-verify ({accounts['ml-verify']})" in " ".join(verified.run.output.split())
    # The failure hides nothing: every other check of both accounts was still made, and passes.
    found = statuses(verified.report)
    assert set(found) == expected_checks("access", ["ml-verify"])
    assert sum(status == "pass" for status in found.values()) == len(found) - 1
    assert writes(verified.calls) == []
    # The attack matrix says what the drift lets through: the rows M1's network perimeter closes.
    opened = {row for (account, row), status in matrix_statuses(verified.report).items() if status != "pass"}
    assert opened and all(row.startswith("M1-") for row in opened)
    assert f"attack matrix row {sorted(opened)[0]} in ml-verify" in " ".join(verified.run.output.split())
    markdown = (verified.report_dir / "evidence.md").read_text()
    assert "**FAIL**" in markdown and "| M1 | network perimeter | fail |" in markdown


class Dom(HTMLParser):
    """The grid of the page as the browser built it: account to control to status, and the page's text."""

    def __init__(self):
        super().__init__()
        self.grid, self.text, self.verdict, self._account = {}, [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id") == "summary":
            self.verdict = attrs.get("data-verdict")
        if tag == "tr" and "data-account" in attrs:
            self._account = attrs["data-account"]
            self.grid[self._account] = {}
        elif tag == "td" and "data-control" in attrs and self._account:
            self.grid[self._account][attrs["data-control"]] = attrs["data-status"]

    def handle_data(self, data):
        self.text.append(data)


def chromium(*args, profile):
    return subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, check=False, timeout=120)


def test_the_html_report_shows_each_account_and_control_in_a_browser(drifted, own, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (make integration installs Debian's chromium as root)")
    _, accounts = own
    page = (drifted.report_dir / "evidence.html").as_uri()
    dumped = chromium("--dump-dom", page, profile=tmp_path / "profile")
    assert dumped.returncode == 0, dumped.stderr[-3000:]
    dom = Dom()
    dom.feed(dumped.stdout)
    assert dom.grid == {
        "access": {"A1": "pass", "A2": "pass", "M1": "none", "M2": "none", "M3": "none"},
        "ml-verify": {"A1": "none", "A2": "none", "M1": "fail", "M2": "pass", "M3": "pass"},
    }
    assert dom.verdict == "fail"
    text = " ".join(" ".join(dom.text).split())
    assert "14 pass, 0 staged, 1 fail" in text
    assert f"M1 fails in account {accounts['ml-verify']}" in text
    assert f"A1 passed in account {accounts['access']}" in text

    screenshot = drifted.report_dir / "evidence.png"
    shot = chromium("--window-size=1400,1000", f"--screenshot={screenshot}", page, profile=tmp_path / "profile")
    assert shot.returncode == 0, shot.stderr[-3000:]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_rollout_clears_the_drift_and_a_dns_firewall_in_alert_mode_is_staged(emulator, drifted, own, tmp_path):
    inventory, accounts = own
    alert = ["-e", "perimeter_dns_firewall_mode=ALERT"]
    rollout = run_playbook(emulator, "site.yml", inventory=inventory, extra_args=alert)
    assert rollout.returncode == 0, rollout.output[-6000:]
    verified = verify(emulator, inventory, tmp_path / "reports", set(accounts.values()), extra_args=alert)
    assert verified.run.returncode == 0, verified.run.output[-6000:]
    found = statuses(verified.report)
    assert {key: status for key, status in found.items() if status != "pass"} == {
        ("ml-verify", "M2", "DNS Firewall"): "staged"}
    (staged,) = [r for r in verified.report["controls"] if r["status"] == "staged"]
    assert "staged (ALERT, not enforcing)" in staged["evidence"]
    assert verified.report["summary"] == {"pass": 14, "staged": 1, "fail": 0}
    assert {key: status for key, status in matrix_statuses(verified.report).items() if status != "pass"} == {
        ("ml-verify", "M2-dns-attacker-domain"): "staged", ("ml-verify", "M2-dns-tunnel-txt"): "staged"}
    assert writes(verified.calls) == []


def test_reports_of_two_runs_over_disjoint_accounts_merge_into_one(emulator, local_verified, own_verified, tmp_path):
    first, second = local_verified.report_dir, own_verified.report_dir / "evidence.json"
    merge = run_playbook(emulator, "merge_reports.yml", extra_args=[
        "-e", json.dumps({"perimeter_reports_to_merge": [str(first), str(second)],
                          "perimeter_report_dir": str(tmp_path)})])
    assert merge.returncode == 0, merge.output[-6000:]
    (directory,) = tmp_path.iterdir()
    merged = json.loads((directory / "evidence.json").read_text())
    assert {a["name"] for a in merged["accounts"]} == {*LOCAL, "ml-verify"}
    assert len({a["account_id"] for a in merged["accounts"]}) == 6
    assert statuses(merged) == statuses(local_verified.report) | statuses(own_verified.report)
    # The merge lists runs in the order they ran; which fixture ran first depends on the tests selected.
    assert sorted(run["report"] for run in merged["runs"]) == sorted([str(first / "evidence.json"), str(second)])
    assert merged["summary"] == {"pass": 50, "staged": 0, "fail": 0}
    markdown = (directory / "evidence.md").read_text()
    assert f"merged from {first / 'evidence.json'}" in markdown and f"merged from {second}" in markdown


def test_an_account_that_cannot_be_read_fails_every_control_with_the_reason(emulator, own, tmp_path):
    """The facts the gates need cannot be read (an access account that published nothing): M1 to M3 fail."""
    inventory, accounts = own
    verified = verify(emulator, inventory, tmp_path / "reports", set(accounts.values()),
                      extra_args=["--limit", "ml-verify", "-e", f"perimeter_access_account_id={fresh_account_id()}"])
    assert verified.run.returncode != 0
    assert statuses(verified.report) == {
        ("ml-verify", control, "not checked"): "fail" for control in ("M1", "M2", "M3")}
    assert all("has not published every perimeter fact" in r["evidence"] for r in verified.report["controls"])
    assert writes(verified.calls) == []


def test_merge_reports_names_the_variable_it_needs(emulator):
    run = run_playbook(emulator, "merge_reports.yml")
    assert run.returncode != 0
    assert "perimeter_reports_to_merge must list the reports to merge" in run.output

