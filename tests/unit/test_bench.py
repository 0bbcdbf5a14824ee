"""The benchmark's pure parts: the minimal read count from a call log and the gates, the tables,
the README rewrite, and the callback that records the gates."""

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[2]


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = load("bench_run", REPO / "bench" / "run.py")
gate_callback = load("bench_gate_checks", REPO / "bench" / "callback_plugins" / "gate_checks.py")


def call(operation, resource=None, *, account="111111111111", service="ec2", status=200, region="us-east-1"):
    return {"service": service, "operation": operation, "account": account, "region": region,
            "resource": resource, "status": status}


LEASE = "/mlperimeter/rollout-lease"


@pytest.mark.parametrize(("calls", "expected"), [
    pytest.param([], 0, id="no-call"),
    pytest.param([call("DescribeVpcs"), call("GetCallerIdentity", service="sts")], 0, id="reads-only"),
    pytest.param([call("CreateVpc"), call("CreateSubnet", "vpc-1"), call("CreateSubnet", "vpc-1")], 3,
                 id="each-create-one-resource-whatever-it-names"),
    pytest.param([call("AllocateAddress"), call("CreateNatGateway", "subnet-1")], 2, id="allocations-create"),
    pytest.param([call("ModifyVpcAttribute", "vpc-1"), call("CreateTags", "vpc-1"),
                  call("ModifyVpcAttribute", "vpc-1")], 1, id="changes-to-one-resource-once"),
    pytest.param([call("CreateRole", "ds", service="iam"), call("PutRolePolicy", "ds", service="iam"),
                  call("AttachRolePolicy", "ds", service="iam")], 1, id="a-change-to-what-a-create-named"),
    pytest.param([call("CreatePolicy", "p", service="iam"), call("CreatePolicyVersion", "p", service="iam")], 1,
                 id="a-new-version-changes-the-policy"),
    pytest.param([call("CreateSecurityGroup", "sg-name"), call("AuthorizeSecurityGroupIngress", "sg-1")], 2,
                 id="an-id-a-create-handed-back-counts-twice"),
    pytest.param([call("PutParameter", "/a", service="ssm"), call("PutParameter", "/a", service="ssm", account="2"),
                  call("PutParameter", "/a", service="ssm", region="eu-west-1")], 3,
                 id="same-name-in-other-account-or-region"),
    pytest.param([call("AttachRolePolicy", "role-a", service="iam"), call("PutParameter", "role-a", service="ssm")], 2,
                 id="same-name-in-other-service"),
    pytest.param([call("CreateVpc", status=400), call("ModifyVpcAttribute", "vpc-1", status=500)], 0,
                 id="failed-writes-left-out"),
    pytest.param([call("PutParameter", LEASE, service="ssm"), call("DeleteParameter", LEASE, service="ssm")], 0,
                 id="lease-left-out"),
    pytest.param([call("UpdateSomething")], 0, id="change-naming-nothing"),
])
def test_managed_resources(calls, expected):
    assert bench.managed_resources(calls) == expected


def gate(host, name, msg):
    return {"host": host, "gate": name, "msg": msg}


@pytest.mark.parametrize(("gates", "expected"), [
    pytest.param([], 0, id="none"),
    pytest.param([gate("ml", "sagemaker_network", "M1 passed in account 2 (VPC vpc-1, us-east-1)."),
                  gate("ml", "sagemaker_network", "M1 passed in account 2 (VPC vpc-1, us-east-1).")], 1,
                 id="a-gate-run-again-once"),
    pytest.param([gate("access", "browser_allowlist", "A2 passes in account 1: the browser allows 3 addresses"),
                  gate("access", "browser_allowlist", "A2 passes in account 1: the browser allows 5 addresses")], 1,
                 id="same-control-whatever-the-evidence"),
    pytest.param([gate("ml", "identity_center_perimeter", "M1 passed in account 2: permission sets"),
                  gate("ml", "identity_center_perimeter", "M2 passed in account 2: permission sets"),
                  gate("ml", "identity_center_perimeter", "M3 passed in account 2: permission sets")], 3,
                 id="one-gate-three-controls"),
    pytest.param([gate("ml-1", "dns_firewall", "M2 passes in account 2"),
                  gate("ml-2", "dns_firewall", "M2 passes in account 3"),
                  gate("access", "dns_firewall", "A2 passes in account 1")], 3, id="per-account"),
])
def test_gate_checks(gates, expected):
    assert bench.gate_checks(gates) == expected


def test_minimal_read_calls_adds_resources_and_gate_checks():
    first_run = [call("CreateVpc"), call("CreateSubnet", "vpc-1"), call("PutParameter", "/a", service="ssm"),
                 call("DescribeVpcs"), call("PutParameter", LEASE, service="ssm")]
    gates = [gate("ml", "sagemaker_network", "M1 passed"), gate("ml", "network_perimeter", "M1 passes")]
    assert bench.minimal_read_calls(first_run, gates) == 3 + 2


def results(ladder=(1,)):
    row = {"accounts": 1, "forks": 8, "first_run_seconds": 312.5, "rerun_seconds": 201.25,
           "rerun_seconds_per_account": 100.625, "rerun_write_calls": 0, "rerun_lease_calls": 4,
           "rerun_read_calls": 812, "minimal_read_calls": 406, "reads_per_minimal": 2.0,
           "rerun_linear_seconds": 603.75, "linear_over_rerun": 3.0}
    return {"machine": "x86_64, 2 cores, Python 3.11.7", "date": "2026-11-28", "ladder": list(ladder), "forks": 8,
            "rollout": [row],
            "domain_list": {"domains": 50000, "changed_domains": 500, "added": 250, "removed": 250,
                            "write_calls": 2, "read_calls": 16, "seconds": 1.74}}


def test_markdown_table_shows_every_row_the_machine_and_the_ladder_run():
    table = bench.markdown_table(results())
    lines = table.splitlines()
    assert "x86_64, 2 cores, Python 3.11.7" in lines[0] and "2026-11-28" in lines[0]
    assert "a ladder of 1 ML account(s) only" in lines[0]
    header = [cell.strip() for cell in lines[2].strip("|").split("|")]
    assert header == ["ML accounts", "first run (s)", "rerun (s)", "rerun s/account", "rerun writes",
                      "rerun lease calls", "rerun reads", "minimal reads", "reads / minimal",
                      "rerun, linear strategy (s)", "linear / rerun"]
    cells = [cell.strip() for cell in lines[4].strip("|").split("|")]
    assert cells == ["1", "312.5", "201.25", "100.625", "0", "4", "812", "406", "2.0", "603.75", "3.0"]
    assert "50,000 domains, 250 removed and 250 added: 2 write calls, 1.74 s" in table


def test_markdown_table_names_the_full_ladder():
    assert "the full ladder of 1, 4, 16, 64 ML accounts" in bench.markdown_table(results(bench.DEFAULT_LADDER))


def test_markdown_table_marks_a_skipped_linear_rerun_and_the_rows_kept_from_an_earlier_run():
    kept = dict(results()["rollout"][0], date="2026-11-20")
    measured = {key: value for key, value in kept.items() if "linear" not in key}
    table = bench.markdown_table(dict(results(), rollout=[kept, dict(measured, accounts=64, date="2026-11-28")],
                                      ladder=[1, 64], measured=[64]))
    rows = [line for line in table.splitlines() if line.startswith("| 1 |") or line.startswith("| 64 |")]
    assert rows[0].endswith("| 603.75 | 3.0 |") and rows[1].endswith("| — | — |")
    assert "The rows for 1 ML account(s) are kept from an earlier run (`BENCH_KEEP=1`) of 2026-11-20." in table


def test_kept_rows_are_the_sizes_not_measured_again_dated_and_with_their_baseline():
    previous = dict(results((1, 4)), baseline="abc1234",
                    rollout=[dict(results()["rollout"][0], rerun_baseline_seconds=250.0),
                             dict(results()["rollout"][0], accounts=4, date="2026-11-27")])
    kept = bench.kept_rows(previous, ladder=(4, 64), forks=8)
    assert [(row["accounts"], row["date"], row["baseline"]) for row in kept] == [(1, "2026-11-28", "abc1234")]


def test_kept_rows_refuses_rows_measured_with_other_forks():
    with pytest.raises(SystemExit, match="measured with 8 forks, not 16"):
        bench.kept_rows(results(), ladder=(64,), forks=16)


def test_results_markdown_holds_the_table_and_how_it_is_measured():
    page = bench.results_markdown(results())
    assert bench.markdown_table(results()) in page
    assert "BENCH_ACCOUNTS=1 make bench" in page


README = f"""# Project

Intro.

## Benchmarks

Words before.

{bench.README_START}
old table
| a | b |
{bench.README_END}

## Next

Words after.
"""


def test_replace_between_markers_changes_only_the_marked_part():
    rewritten = bench.replace_between_markers(README, "| new | table |\n")
    assert rewritten == README.replace("old table\n| a | b |\n", "| new | table |\n")
    assert bench.replace_between_markers(rewritten, "| new | table |\n") == rewritten


@pytest.mark.parametrize("text", [
    pytest.param("# Project\n", id="no-markers"),
    pytest.param(f"# Project\n{bench.README_START}\nold\n", id="no-end-marker"),
    pytest.param(f"# Project\n{bench.README_END}\nold\n{bench.README_START}\n", id="end-before-start"),
])
def test_replace_between_markers_refuses_a_readme_without_them(text):
    with pytest.raises(ValueError, match="markers"):
        bench.replace_between_markers(text, "table")


def test_the_repository_readme_has_the_markers():
    text = (REPO / "README.md").read_text()
    assert text.count(bench.README_START) == 1 and text.count(bench.README_END) == 1


def test_enabled_callbacks_keeps_ansible_cfg_ones():
    assert bench.enabled_callbacks().split(",") == ["mlperimeter.aws.rollout_summary", "gate_checks"]


def result(host, register, msg):
    task = SimpleNamespace(register=register)
    return SimpleNamespace(_task=task, _host=SimpleNamespace(get_name=lambda: host), _result={"msg": msg})


def test_gate_callback_writes_the_gates_that_passed(tmp_path, monkeypatch):
    output = tmp_path / "gates.json"
    monkeypatch.setenv("MLPERIMETER_BENCH_GATES", str(output))
    callback = gate_callback.CallbackModule()
    callback.v2_runner_on_ok(result("ml-1", "sagemaker_network_verify_gate", " M1 passed in account 2.\n"))
    callback.v2_runner_on_ok(result("ml-1", "sagemaker_network_verify_vpc", "not a gate"))
    callback.v2_runner_on_ok(result("ml-1", None, "no register"))
    callback.v2_playbook_on_stats(None)
    assert json.loads(output.read_text()) == [
        {"host": "ml-1", "gate": "sagemaker_network", "msg": "M1 passed in account 2."}
    ]
