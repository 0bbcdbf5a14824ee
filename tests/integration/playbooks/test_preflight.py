"""The preflight playbook reaches every account of the local inventory, and nothing leaks."""

import re

import yaml

from support.ansible import REPO, run_playbook

LOCAL_ACCOUNTS = {"111111111111", "222222222222", "333333333333", "444444444444"}
# The prefix of every session token the emulator's STS issues.
SESSION_TOKEN_PREFIX = "FQoGZXIvYXdzEBYaD"
SECRET_FIELD = re.compile(r"^\s*(secret_key|session_token|aws_secret_key|security_token)\s*[:=]\s*(.*)$", re.MULTILINE)


def test_every_inventory_account_is_reached_through_its_own_deploy_role(emulator):
    emulator.reset_calls()
    run = run_playbook(emulator, "preflight.yml", extra_args=["-vvv"])
    assert run.returncode == 0, run.output
    # Other suites share the emulator: look only at the local inventory's accounts.
    calls = emulator.calls()
    deploy_roles = {f"arn:aws:iam::{a}:role/mlperimeter-deploy" for a in LOCAL_ACCOUNTS}
    assumed = {c["resource"] for c in calls if c["operation"] == "AssumeRole" and c["resource"] in deploy_roles}
    assert assumed == deploy_roles
    identities = {c["account"] for c in calls if c["operation"] == "GetCallerIdentity"} & LOCAL_ACCOUNTS
    assert identities == LOCAL_ACCOUNTS
    for account in LOCAL_ACCOUNTS:
        assert f"reached account {account} in us-east-1" in run.output


def test_session_secrets_never_reach_the_output_even_verbose(emulator):
    run = run_playbook(emulator, "preflight.yml", extra_args=["-vvv"])
    assert run.returncode == 0, run.output
    assert SESSION_TOKEN_PREFIX not in run.output
    shown = {value.strip() for _, value in SECRET_FIELD.findall(run.output)}
    assert shown, "the verbose output lists module arguments"
    assert shown <= {"VALUE_SPECIFIED_IN_NO_LOG_PARAMETER", "null"}, shown


def test_a_malformed_account_id_stops_the_host_before_any_call(emulator, tmp_path):
    inventory = yaml.safe_load((REPO / "inventories/local/hosts.yml").read_text())
    access = inventory["all"]["children"]["perimeter_access"]["hosts"]["access"]
    access["aws_account_id"] = "11111111111"
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "group_vars").symlink_to(REPO / "inventories/local/group_vars")
    emulator.reset_calls()
    run = run_playbook(emulator, "preflight.yml", inventory=tmp_path)
    assert run.returncode != 0
    assert "Host access: aws_account_id must be a quoted 12-digit string" in run.output
    assert "got aws_account_id=11111111111" in run.output
    assert not [c for c in emulator.calls() if c["account"] == "11111111111"]
    assert "reached account 222222222222" in run.output
