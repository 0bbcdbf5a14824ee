"""emergency_unlock.yml over accounts of these tests' own: an access account (doubling as the Identity
Center account) and one ML account rolled out by site.yml with an extra break-glass principal, so that
the next site.yml run, without it, gives every perimeter policy a second version. The unlock is refused
without confirmation, detaches, changes nothing the second time, is undone by site.yml; then it puts
the previous versions in force, again once only, and site.yml puts the newest back.

The tests run in the order they are written; each step builds on the one before.
"""

import json
import re
import time

import pytest

from support.ansible import run_playbook
from support.calls import writes
from support.inventory import fresh_account_id, write_inventory
from support.rollout_output import calls_since

REGION = "us-east-1"
POLICIES = ("mlperimeter-network-perimeter", "mlperimeter-resource-perimeter", "mlperimeter-sagemaker-guardrails")
ROLES = ("mlperimeter-data-scientist", "mlperimeter-sagemaker-execution")
PERMISSION_SET = "DataScientist"
INCIDENT_ROLE = "mlperimeter-incident-response"
BREAK_GLASS_KEYS = ["-e", "perimeter_break_glass_access_key=break-glass-operator",
                    "-e", "perimeter_break_glass_secret_key=break-glass-operator"]


@pytest.fixture(scope="module")
def accounts():
    return {"access": fresh_account_id(), "ml-a": fresh_account_id()}


@pytest.fixture(scope="module")
def inventory(tmp_path_factory, accounts):
    """The accounts with the local inventory's variables, as the runs after the first see them."""
    return write_inventory(tmp_path_factory.mktemp("unlock"), {"wave1_canary": {"ml-a": accounts["ml-a"]}},
                           access=accounts["access"])


@pytest.fixture(scope="module")
def rolled_out(emulator, tmp_path_factory, accounts, inventory):
    first = write_inventory(
        tmp_path_factory.mktemp("unlock-first"), {"wave1_canary": {"ml-a": accounts["ml-a"]}},
        access=accounts["access"], extra_vars={"perimeter_break_glass_principals": [
            "arn:aws:iam::{{ aws_account_id }}:role/mlperimeter-break-glass",
            "arn:aws:iam::{{ aws_account_id }}:role/" + INCIDENT_ROLE]})
    run = run_playbook(emulator, "site.yml", inventory=first)
    assert run.returncode == 0, run.output[-6000:]
    return emulator


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    return tmp_path_factory.mktemp("unlock-reports")


def _unlock(emulator, inventory, reports, accounts, *args):
    start = time.time()
    run = run_playbook(emulator, "emergency_unlock.yml", inventory=inventory, extra_args=[
        "-e", f"perimeter_unlock_confirm={accounts['ml-a']}", "-e", f"perimeter_unlock_report_dir={reports}",
        *BREAK_GLASS_KEYS, *args])
    return run, start


def _latest_report(reports):
    (newest, *_) = sorted(reports.glob("unlock-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    return json.loads(newest.read_text())


def _attachments(emulator, account):
    iam = emulator.client("iam", account, region=REGION)
    return {(p["PolicyName"], role) for role in ROLES
            for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] if p["PolicyName"] in POLICIES}


def _references(emulator, access):
    sso = emulator.client("sso-admin", access, region=REGION)
    (instance,) = sso.list_instances()["Instances"]
    for arn in sso.list_permission_sets(InstanceArn=instance["InstanceArn"])["PermissionSets"]:
        described = sso.describe_permission_set(InstanceArn=instance["InstanceArn"], PermissionSetArn=arn)
        if described["PermissionSet"]["Name"] == PERMISSION_SET:
            references = sso.list_customer_managed_policy_references_in_permission_set(
                InstanceArn=instance["InstanceArn"], PermissionSetArn=arn)["CustomerManagedPolicyReferences"]
            return {(r["Name"], PERMISSION_SET) for r in references if r["Name"] in POLICIES}
    raise AssertionError(f"no permission set {PERMISSION_SET}")


def _versions(emulator, account):
    """For each policy: its default version id, and its versions' documents by id."""
    iam = emulator.client("iam", account, region=REGION)
    answer = {}
    for name in POLICIES:
        arn = f"arn:aws:iam::{account}:policy/mlperimeter/{name}"
        documents = {v["VersionId"]: json.dumps(iam.get_policy_version(PolicyArn=arn, VersionId=v["VersionId"])[
            "PolicyVersion"]["Document"]) for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]}
        answer[name] = (iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"], documents)
    return answer


def _assumed_roles(emulator, start, account):
    return {c["resource"].rsplit("/", 1)[-1] for c in emulator.calls()
            if c["time"] >= start and c["operation"] == "AssumeRole" and f"::{account}:" in c["resource"]}


def test_without_confirmation_nothing_is_called(rolled_out, inventory, accounts):
    start = time.time()
    run = run_playbook(rolled_out, "emergency_unlock.yml", inventory=inventory, extra_args=BREAK_GLASS_KEYS)
    assert run.returncode != 0
    assert "Emergency unlock refused before any AWS call" in run.output
    assert f"-e perimeter_unlock_confirm={accounts['ml-a']}" in run.output
    assert calls_since(rolled_out, start, set(accounts.values())) == []
    assert _assumed_roles(rolled_out, start, accounts["ml-a"]) == set()


def test_unlock_detaches_the_perimeter_and_says_what_it_detached(rolled_out, inventory, reports, accounts):
    access, ml = accounts["access"], accounts["ml-a"]
    attached, referenced = _attachments(rolled_out, ml), _references(rolled_out, access)
    assert {policy for policy, _ in attached} == set(POLICIES) and len(referenced) == len(POLICIES)

    run, start = _unlock(rolled_out, inventory, reports, accounts)
    assert run.returncode == 0, run.output[-6000:]

    assert _attachments(rolled_out, ml) == set() and _references(rolled_out, access) == set()
    report = _latest_report(reports)
    assert report["mode"] == "detach" and list(report["accounts"]) == [ml]
    changes = report["accounts"][ml]
    assert {(c["policy"], c["role"]) for c in changes if "role" in c} == attached
    assert {(c["policy"], c["permission_set"]) for c in changes if "permission_set" in c} == referenced
    assert len(changes) == len(attached) + len(referenced)
    printed = run.output.rpartition("Say what changed, per account")[2]
    assert printed.count("action: detached") == len(changes)
    # YAML quotes an account id only when it could read as a number (a leading 0 followed by 8 or 9 cannot)
    assert re.search(rf"^\s+'?{ml}'?:\s*$", printed, re.MULTILINE)
    assert _assumed_roles(rolled_out, start, ml) == {"mlperimeter-break-glass"}
    assert _assumed_roles(rolled_out, start, access) == {"mlperimeter-break-glass"}


def test_a_second_unlock_changes_nothing(rolled_out, inventory, reports, accounts):
    run, start = _unlock(rolled_out, inventory, reports, accounts)
    assert run.returncode == 0, run.output[-6000:]
    assert writes(calls_since(rolled_out, start, set(accounts.values()))) == []
    assert _latest_report(reports)["accounts"] == {accounts["ml-a"]: []}


def test_site_puts_the_perimeter_back(rolled_out, inventory, accounts):
    run = run_playbook(rolled_out, "site.yml", inventory=inventory)
    assert run.returncode == 0, run.output[-6000:]
    assert {policy for policy, _ in _attachments(rolled_out, accounts["ml-a"])} == set(POLICIES)
    assert len(_references(rolled_out, accounts["access"])) == len(POLICIES)
    for default, documents in _versions(rolled_out, accounts["ml-a"]).values():
        assert len(documents) == 2 and INCIDENT_ROLE not in documents[default]


def test_unlock_puts_the_previous_versions_in_force(rolled_out, inventory, reports, accounts):
    ml = accounts["ml-a"]
    before, attached = _versions(rolled_out, ml), _attachments(rolled_out, ml)

    run, _ = _unlock(rolled_out, inventory, reports, accounts, "-e", "perimeter_unlock_mode=previous_version")
    assert run.returncode == 0, run.output[-6000:]

    after = _versions(rolled_out, ml)
    report = _latest_report(reports)
    assert report["mode"] == "previous_version"
    moved = {c["policy"]: (c["from"], c["to"]) for c in report["accounts"][ml] if c["action"] == "default_version"}
    assert len(report["accounts"][ml]) == len(POLICIES)
    for name in POLICIES:
        default, documents = after[name]
        assert INCIDENT_ROLE in documents[default]
        assert moved[name] == (before[name][0], default)
    assert _attachments(rolled_out, ml) == attached


def test_a_second_previous_version_unlock_changes_nothing(rolled_out, inventory, reports, accounts):
    before = _versions(rolled_out, accounts["ml-a"])
    run, start = _unlock(rolled_out, inventory, reports, accounts, "-e", "perimeter_unlock_mode=previous_version")
    assert run.returncode == 0, run.output[-6000:]
    assert writes(calls_since(rolled_out, start, set(accounts.values()))) == []
    assert _versions(rolled_out, accounts["ml-a"]) == before
    assert _latest_report(reports)["accounts"] == {accounts["ml-a"]: []}


def test_site_puts_the_newest_documents_back(rolled_out, inventory, accounts):
    run = run_playbook(rolled_out, "site.yml", inventory=inventory)
    assert run.returncode == 0, run.output[-6000:]
    for default, documents in _versions(rolled_out, accounts["ml-a"]).values():
        assert INCIDENT_ROLE not in documents[default]
