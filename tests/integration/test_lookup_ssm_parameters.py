"""The ssm_parameters lookup against the emulator: paths and names read, missing ones empty, throttling
retried (paged listings included), and a bad term refused before any call."""

import json
import os
import subprocess
import time

import pytest
import yaml

from support.ansible import BIN, REPO

REGION = "us-east-1"


def evaluate(emulator, account, expressions, directory):
    """Each Jinja expression evaluated by one ansible-playbook run with the account's deploy-role session."""
    creds = emulator.credentials(account)
    connection = (f"region='{REGION}', endpoint_url='{emulator.url}', access_key='{creds['AccessKeyId']}', "
                  f"secret_key='{creds['SecretAccessKey']}', session_token='{creds['SessionToken']}'")
    out = directory / "answers.json"
    content = "{{ [" + ", ".join(e.replace("CONNECTION", connection) for e in expressions) + "] | to_json }}"
    playbook = directory / "lookup.yml"
    task = {"name": "Write the answers", "ansible.builtin.copy": {"dest": str(out), "content": content, "mode": "0600"}}
    playbook.write_text(yaml.safe_dump([{"name": "Evaluate", "hosts": "localhost", "gather_facts": False,
                                         "tasks": [task]}]))
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    done = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=600)
    return done, (json.loads(out.read_text()) if done.returncode == 0 else None)


@pytest.fixture
def parameters(aws):
    ssm = aws("ssm", region=REGION)
    for n in range(23):  # three pages of GetParametersByPath
        ssm.put_parameter(Name=f"/lookup/registry/accounts/{n:012d}", Value=json.dumps({"n": n}), Type="String")
    ssm.put_parameter(Name="/lookup/facts/egress-ips", Value="203.0.113.10,203.0.113.11", Type="String")
    ssm.put_parameter(Name="/lookup/facts/nested/browser-vpc-id", Value="vpc-0123456789abcdef0", Type="String")
    return ssm


def test_paths_and_names_are_read_and_missing_ones_are_empty(emulator, account_id, parameters, tmp_path):
    done, answers = evaluate(emulator, account_id, [
        "lookup('mlperimeter.aws.ssm_parameters', '/lookup/facts', CONNECTION)",
        "lookup('mlperimeter.aws.ssm_parameters', '/lookup/registry/accounts', CONNECTION) | length",
        "lookup('mlperimeter.aws.ssm_parameters', '/lookup/nothing-here', CONNECTION)",
        "lookup('mlperimeter.aws.ssm_parameters', '/lookup/registry/accounts/000000000007', bypath=false, CONNECTION)",
        "lookup('mlperimeter.aws.ssm_parameters', '/lookup/registry/accounts/999999999999', bypath=false, CONNECTION)",
    ], tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]
    assert answers == [{"egress-ips": "203.0.113.10,203.0.113.11", "browser-vpc-id": "vpc-0123456789abcdef0"},
                       23, {}, '{"n": 7}', None]


def test_throttled_calls_are_retried_until_every_page_is_read(emulator, account_id, parameters, tmp_path):
    start = time.time()
    emulator.add_fault(operation="GetParametersByPath", error="ThrottlingException", rate=0.7, seed=11,
                       account=account_id)
    try:
        done, answers = evaluate(emulator, account_id, [
            "lookup('mlperimeter.aws.ssm_parameters', '/lookup/registry/accounts', CONNECTION) | length"], tmp_path)
    finally:
        emulator.clear_faults()
    assert done.returncode == 0, done.stdout[-3000:]
    assert answers == [23]
    statuses = [c["status"] for c in emulator.calls() if c["account"] == account_id and c["time"] >= start]
    assert statuses.count(200) >= 3  # a retry of the listing starts again from its first page
    # Three throttled answers in a row exhaust botocore's own attempts: the lookup's retry took over.
    assert "400,400,400" in ",".join(map(str, statuses))


def test_a_term_that_is_no_path_is_refused_before_any_call(emulator, account_id, tmp_path):
    start = time.time()
    done, _ = evaluate(emulator, account_id, ["lookup('mlperimeter.aws.ssm_parameters', 'lookup/facts', CONNECTION)"],
                       tmp_path)
    assert done.returncode != 0
    assert "each term must be an SSM path starting with '/'; got 'lookup/facts'" in " ".join(done.stdout.split())
    assert [c for c in emulator.calls() if c["account"] == account_id and c["time"] >= start] == []
