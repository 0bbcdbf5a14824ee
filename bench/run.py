"""Benchmarks: what a rollout costs as the number of ML accounts grows.

For each size N of the ladder (``BENCH_ACCOUNTS`` sets a single size), an inventory of
one access account and N ML accounts is generated against an emulator of the
benchmark's own; ``playbooks/site.yml`` runs twice (first rollout, converged rerun)
and the emulator's call log gives the rerun's read and write calls. Results go to
``bench/results.json`` and ``bench/results.md``.
"""

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.calls import reads, writes  # noqa: E402
from support.emulator import Emulator, EmulatorProcess  # noqa: E402

DEFAULT_LADDER = (1, 4, 16, 64)
def inventory(accounts):
    ml_hosts = {
        f"ml-bench-{index:03d}": {"aws_account_id": f"{300000000000 + index:012d}", "aws_region": "us-east-1"}
        for index in range(1, accounts + 1)
    }
    return {
        "all": {
            "children": {
                "perimeter_access": {
                    "hosts": {"access": {"aws_account_id": "111111111111", "aws_region": "us-east-1"}}
                },
                "perimeter_ml": {"children": {"wave1_canary": {"hosts": ml_hosts}}},
            }
        }
    }


def run_site(emulator, inventory_dir, forks):
    env = dict(
        os.environ,
        MLPERIMETER_EMULATOR_URL=emulator.url,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory_dir),
        "-e", "perimeter_waves=['wave1_canary']", "--forks", str(forks), str(REPO / "playbooks" / "site.yml"),
    ]
    started = time.monotonic()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"site.yml failed for {inventory_dir}:\n{done.stdout[-4000:]}{done.stderr[-4000:]}")
    return time.monotonic() - started


def measure(emulator, accounts, forks):
    with tempfile.TemporaryDirectory(prefix="mlperimeter-bench-") as tmp:
        inventory_dir = Path(tmp)
        (inventory_dir / "hosts.yml").write_text(json.dumps(inventory(accounts)))
        (inventory_dir / "group_vars").symlink_to(REPO / "inventories" / "local" / "group_vars")
        first = run_site(emulator, inventory_dir, forks)
        emulator.reset_calls()
        rerun = run_site(emulator, inventory_dir, forks)
        calls = emulator.calls()
    hosts = accounts + 1
    return {
        "accounts": accounts,
        "forks": forks,
        "first_run_seconds": round(first, 2),
        "rerun_seconds": round(rerun, 2),
        "rerun_seconds_per_account": round(rerun / hosts, 3),
        "rerun_write_calls": len(writes(calls)),
        "rerun_read_calls": len(reads(calls)),
    }


def markdown(results):
    lines = [
        f"Measured on {results['machine']} with `make bench` ({results['date']}).",
        "",
        "| ML accounts | forks | first run (s) | rerun (s) | rerun s/account | rerun writes | rerun reads |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results["rollout"]:
        lines.append(
            f"| {row['accounts']} | {row['forks']} | {row['first_run_seconds']} | {row['rerun_seconds']} "
            f"| {row['rerun_seconds_per_account']} | {row['rerun_write_calls']} | {row['rerun_read_calls']} |"
        )
    return "\n".join(lines) + "\n"


def main():
    ladder = (int(os.environ["BENCH_ACCOUNTS"]),) if os.environ.get("BENCH_ACCOUNTS") else DEFAULT_LADDER
    forks = int(os.environ.get("BENCH_FORKS", "8"))
    out = REPO / "bench"
    process = EmulatorProcess(Path(tempfile.gettempdir()) / "mlperimeter-bench-emulator.log")
    try:
        emulator = Emulator(process.url)
        rows = []
        for accounts in ladder:
            row = measure(emulator, accounts, forks)
            print(json.dumps(row), flush=True)
            rows.append(row)
    finally:
        process.stop()
    results = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "rollout": rows,
    }
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "results.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
