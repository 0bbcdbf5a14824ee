"""Benchmarks: what a rollout costs as the number of ML accounts grows, and what a large DNS
Firewall domain list costs to change.

For each size N of the ladder (``BENCH_ACCOUNTS`` sets the sizes, e.g. ``1,4``), an inventory of one
access account and N ML accounts in one wave is written against an emulator of its own;
``playbooks/site.yml`` runs twice (first rollout, converged rerun) and the emulator's call log
gives the rerun's read and write calls, the rollout lease's calls counted apart. The rerun's
reads are compared with the fewest a converged rerun could make (``minimal_read_calls``).

Then a DNS Firewall domain list of 50,000 domains is loaded and 1% of it changed through
``mlperimeter.aws.dns_firewall_domain_list``: the change's module run is timed and its write
calls counted.

Results go to ``bench/results.json`` and ``bench/results.md``; the table in README.md between
the benchmark markers is rewritten. ``BENCH_KEEP=1`` keeps the rows of sizes not measured this time
(a ladder that takes hours can be measured a size at a time); ``BENCH_LINEAR=0`` skips the rerun
with Ansible's own strategy.
"""

import configparser
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "collections")]

from support.calls import is_write, lease_calls, reads, without_lease, writes  # noqa: E402
from support.emulator import Emulator, EmulatorProcess  # noqa: E402
from support.inventory import write_inventory  # noqa: E402
from support.modules import run_module  # noqa: E402

DEFAULT_LADDER = (1, 4, 16, 64)
ACCESS_ACCOUNT = "111111111111"
WAVE = "wave1_canary"
CALLBACK_PLUGINS = REPO / "bench" / "callback_plugins"
GATE_CALLBACK = "gate_checks"
README = REPO / "README.md"
README_START = "<!-- bench:start (make bench rewrites this part) -->"
README_END = "<!-- bench:end -->"

DOMAIN_LIST_ACCOUNT = "555555555555"
DOMAIN_LIST_NAME = "mlperimeter-bench"
DOMAIN_LIST_SIZE = 50_000
DOMAIN_LIST_CHANGE = 250  # removed, and as many added: 1% of the list changes
DOMAIN_LIST_TARGETS = {"write_calls": 2, "seconds": 3.0}
READS_PER_MINIMAL_TARGET = 1.2
CREATE_PREFIXES = ("Create", "Allocate")
# Creates that change a resource which already exists rather than make one.
CREATES_THAT_CHANGE = {"CreateTags", "CreatePolicyVersion"}


# -- what a converged rerun must read at least ---------------------------------------------

def managed_resources(first_run_calls):
    """How many resources the first rollout created or changed, from its successful writes.

    A create makes one new resource whatever it names (CreateSubnet names its VPC). Any other
    write changes the resource it names, counted once per account, Region and service, and not
    at all when a create of the run named it (a role created and then given a policy). An id
    that AWS hands back from a create and a later write names (a security group's rules) counts
    twice: the call log holds requests, not answers. Session calls and the rollout lease's
    bookkeeping are not part of the perimeter.
    """
    def key(call):
        return call["account"], call["region"], call["service"], call["resource"]

    creates, others = [], []
    for call in without_lease(first_run_calls):
        if not is_write(call) or call.get("status", 500) >= 400:
            continue
        creating = call["operation"].startswith(CREATE_PREFIXES) and call["operation"] not in CREATES_THAT_CHANGE
        (creates if creating else others).append(call)
    changed = {key(call) for call in others if call.get("resource")} - {key(call) for call in creates}
    return len(creates) + len(changed)


def gate_checks(gates):
    """The distinct controls the gates checked: one per account, gate and control id.

    A gate that runs twice in one rollout (A2 after each wave, the M1 gate again in M3) reads
    the same control, so it counts once. A gate's message starts with the control id.
    """
    return len({(gate["host"], gate["gate"], gate["msg"].split(" ", 1)[0]) for gate in gates})


def minimal_read_calls(first_run_calls, rerun_gates):
    """One read per managed resource, plus one per control the rerun's gates checked."""
    return managed_resources(first_run_calls) + gate_checks(rerun_gates)


def top_operations(calls, count=15):
    """The operations called most, as ``{"service:Operation": calls}``, most first."""
    tally = Counter(f"{call['service']}:{call['operation']}" for call in calls)
    return dict(tally.most_common(count))


# -- the rollout ladder ---------------------------------------------------------------------

def enabled_callbacks():
    """ansible.cfg's callbacks plus the gate recorder: the environment variable replaces the list."""
    config = configparser.ConfigParser()
    config.read(REPO / "ansible.cfg")
    configured = config.get("defaults", "callbacks_enabled", fallback="")
    return ",".join([name.strip() for name in configured.split(",") if name.strip()] + [GATE_CALLBACK])


def run_site(emulator, inventory_dir, forks, gates_file, strategy=None, repo=REPO):
    """Run site.yml (with ansible.cfg's strategy unless ``strategy`` names another) from the checkout
    ``repo``; return (wall seconds, the gates it passed)."""
    env = dict(
        os.environ,
        MLPERIMETER_EMULATOR_URL=emulator.url,
        ANSIBLE_CONFIG=str(repo / "ansible.cfg"),
        ANSIBLE_CALLBACK_PLUGINS=str(CALLBACK_PLUGINS),
        ANSIBLE_CALLBACKS_ENABLED=enabled_callbacks(),
        MLPERIMETER_BENCH_GATES=str(gates_file),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    if strategy:
        env["ANSIBLE_STRATEGY"] = strategy
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory_dir),
        "--forks", str(forks), str(repo / "playbooks" / "site.yml"),
    ]
    started = time.monotonic()
    done = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"site.yml failed for {inventory_dir}:\n{done.stdout[-4000:]}{done.stderr[-4000:]}")
    return seconds, json.loads(Path(gates_file).read_text())


def progress(accounts, step):
    print(f"{time.strftime('%H:%M:%S')} {accounts} ML account(s): {step}", file=sys.stderr, flush=True)


def ml_accounts(accounts):
    return {f"ml-bench-{index:03d}": f"{300000000000 + index:012d}" for index in range(1, accounts + 1)}


@contextlib.contextmanager
def checkout(revision):
    """The repository at ``revision`` in a temporary worktree (None when no revision is given)."""
    if not revision:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="mlperimeter-bench-baseline-") as tmp:
        worktree = Path(tmp) / "checkout"
        subprocess.run(["git", "worktree", "add", "--detach", str(worktree), revision], cwd=REPO, check=True,
                       capture_output=True)
        try:
            yield worktree
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=REPO, check=False,
                           capture_output=True)


def measure_rollout(accounts, forks, log_dir, baseline=None, linear=True):
    """First rollout and converged rerun of one access and ``accounts`` ML accounts, on a fresh emulator;
    with ``linear``, the same rerun with Ansible's own strategy; with ``baseline`` (a checkout of another
    revision), the same converged rerun with its playbooks too."""
    process = EmulatorProcess(log_dir / f"emulator-{accounts}.log")
    try:
        emulator = Emulator(process.url)
        with tempfile.TemporaryDirectory(prefix="mlperimeter-bench-") as tmp:
            inventory_dir = write_inventory(Path(tmp), {WAVE: ml_accounts(accounts)}, access=ACCESS_ACCOUNT)
            progress(accounts, "first rollout")
            first, _ = run_site(emulator, inventory_dir, forks, Path(tmp) / "gates-first.json")
            first_calls = emulator.calls()
            emulator.reset_calls()
            progress(accounts, f"converged rerun (first rollout {first:.0f} s)")
            rerun, rerun_gates = run_site(emulator, inventory_dir, forks, Path(tmp) / "gates-rerun.json")
            rerun_calls = emulator.calls()
            if linear:
                # The same converged rerun with Ansible's own strategy: a fresh Python process per task.
                progress(accounts, f"rerun with the linear strategy (rerun {rerun:.0f} s)")
                rerun_linear, _ = run_site(emulator, inventory_dir, forks, Path(tmp) / "gates-linear.json",
                                           strategy="ansible.builtin.linear")
            if baseline:
                progress(accounts, "rerun with the baseline's playbooks")
                emulator.reset_calls()
                rerun_baseline, _ = run_site(emulator, inventory_dir, forks, Path(tmp) / "gates-baseline.json",
                                             repo=baseline)
                baseline_calls = without_lease(emulator.calls())
    finally:
        process.stop()
    perimeter_calls = without_lease(rerun_calls)
    read_calls = len(reads(perimeter_calls))
    minimal = minimal_read_calls(first_calls, rerun_gates)
    row = {
        "accounts": accounts,
        "forks": forks,
        "date": time.strftime("%Y-%m-%d"),
        "first_run_seconds": round(first, 2),
        "rerun_seconds": round(rerun, 2),
        "rerun_seconds_per_account": round(rerun / (accounts + 1), 3),
        "rerun_write_calls": len(writes(perimeter_calls)),
        "rerun_lease_calls": len(lease_calls(rerun_calls)),
        "rerun_read_calls": read_calls,
        "managed_resources": managed_resources(first_calls),
        "gate_checks": gate_checks(rerun_gates),
        "minimal_read_calls": minimal,
        "reads_per_minimal": round(read_calls / minimal, 2),
        "rerun_top_reads": top_operations(reads(perimeter_calls)),
    }
    if linear:
        row.update(rerun_linear_seconds=round(rerun_linear, 2), linear_over_rerun=round(rerun_linear / rerun, 2))
    if baseline:
        row.update(rerun_baseline_seconds=round(rerun_baseline, 2),
                   baseline_over_rerun=round(rerun_baseline / rerun, 2),
                   rerun_baseline_read_calls=len(reads(baseline_calls)),
                   rerun_baseline_write_calls=len(writes(baseline_calls)))
    return row


# -- the large domain list ------------------------------------------------------------------

def bench_domains(count, start=0):
    return [f"host-{index:06d}.partner-{index % 100:02d}.example" for index in range(start, start + count)]


def measure_domain_list(log_dir):
    """Load 50,000 domains (not timed), then time the module run that removes 250 and adds 250.

    The module runs in-process (tests/support/modules.py): its arguments are handed over as
    Ansible hands them, and the timer covers the module alone, not Ansible's fixed cost of
    starting a task's Python process.
    """
    loaded = bench_domains(DOMAIN_LIST_SIZE)
    changed = loaded[DOMAIN_LIST_CHANGE:] + bench_domains(DOMAIN_LIST_CHANGE, start=DOMAIN_LIST_SIZE)
    process = EmulatorProcess(log_dir / "emulator-domain-list.log")
    try:
        emulator = Emulator(process.url)
        with tempfile.TemporaryDirectory(prefix="mlperimeter-bench-") as tmp:
            loaded_file, changed_file = Path(tmp) / "loaded.txt", Path(tmp) / "changed.txt"
            loaded_file.write_text("\n".join(loaded) + "\n")
            changed_file.write_text("\n".join(changed) + "\n")
            args = {"name": DOMAIN_LIST_NAME, "tags": {"mlperimeter:managed": "true"}}
            load = run_module("dns_firewall_domain_list", dict(args, domains_file=str(loaded_file)),
                              emulator=emulator, account_id=DOMAIN_LIST_ACCOUNT, region="us-east-1", diff=False)
            if load.get("failed"):
                raise SystemExit(f"loading the domain list failed: {load.get('msg')}")
            emulator.reset_calls()
            started = time.monotonic()
            result = run_module("dns_firewall_domain_list", dict(args, domains_file=str(changed_file)),
                                emulator=emulator, account_id=DOMAIN_LIST_ACCOUNT, region="us-east-1", diff=False)
            seconds = time.monotonic() - started
            calls = emulator.calls()
    finally:
        process.stop()
    if result.get("failed"):
        raise SystemExit(f"changing the domain list failed: {result.get('msg')}")
    domain_list = result["domain_list"]
    return {
        "domains": domain_list["domain_count"],
        "changed_domains": domain_list["added"] + domain_list["removed"],
        "added": domain_list["added"],
        "removed": domain_list["removed"],
        "write_calls": len(writes(calls)),
        "read_calls": len(reads(calls)),
        "seconds": round(seconds, 2),
    }


# -- reporting ------------------------------------------------------------------------------

def kept_rows(previous, ladder, forks):
    """The rows of an earlier bench/results.json to keep beside a new measurement: the sizes not measured
    again, run with the same forks, each dated (rows written before rows had dates take the file's)."""
    if previous.get("forks") != forks:
        raise SystemExit(f"BENCH_KEEP=1: bench/results.json was measured with {previous.get('forks')} forks, "
                         f"not {forks}; rows with different forks do not compare")
    rows = [dict(row, date=row.get("date", previous["date"])) for row in previous["rollout"]
            if row["accounts"] not in ladder]
    for row in rows:
        if "rerun_baseline_seconds" in row:
            row.setdefault("baseline", previous["baseline"])
    return rows


def ladder_label(ladder):
    sizes = ", ".join(str(size) for size in ladder)
    if tuple(ladder) == DEFAULT_LADDER:
        return f"the full ladder of {sizes} ML accounts"
    return f"a ladder of {sizes} ML account(s) only (`BENCH_ACCOUNTS`; the full ladder is 1, 4, 16, 64)"


def markdown_table(results):
    """The benchmark's table and figures, as the README shows them."""
    domain_list = results["domain_list"]
    lines = [
        f"Measured on {results['machine']} with `make bench` on {results['date']}: {ladder_label(results['ladder'])}, "
        f"one access account, all ML accounts in one wave, {results['forks']} forks.",
        "",
        "| ML accounts | first run (s) | rerun (s) | rerun s/account | rerun writes | rerun lease calls "
        "| rerun reads | minimal reads | reads / minimal | rerun, linear strategy (s) | linear / rerun |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results["rollout"]:
        lines.append(
            f"| {row['accounts']} | {row['first_run_seconds']} | {row['rerun_seconds']} "
            f"| {row['rerun_seconds_per_account']} | {row['rerun_write_calls']} | {row['rerun_lease_calls']} "
            f"| {row['rerun_read_calls']} | {row['minimal_read_calls']} | {row['reads_per_minimal']} "
            f"| {row.get('rerun_linear_seconds', '—')} | {row.get('linear_over_rerun', '—')} |"
        )
    kept = [row for row in results["rollout"] if row["accounts"] not in results.get("measured", results["ladder"])]
    if kept:
        sizes = ", ".join(str(row["accounts"]) for row in kept)
        dates = ", ".join(sorted({row["date"] for row in kept}))
        lines += ["", f"The rows for {sizes} ML account(s) are kept from an earlier run (`BENCH_KEEP=1`) of {dates}."]
    with_baseline = [row for row in results["rollout"] if "rerun_baseline_seconds" in row]
    if with_baseline:
        lines += [
            "",
            "The same converged rerun with the playbooks of an earlier revision (`BENCH_BASELINE`), on the same "
            "state, right after:",
            "",
            "| ML accounts | baseline | rerun (s) | baseline rerun (s) | baseline / rerun | rerun reads "
            "| baseline reads | baseline writes |",
            "|---:|---|---:|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {row['accounts']} | `{row['baseline']}` | {row['rerun_seconds']} | {row['rerun_baseline_seconds']} "
            f"| {row['baseline_over_rerun']} | {row['rerun_read_calls']} | {row['rerun_baseline_read_calls']} "
            f"| {row['rerun_baseline_write_calls']} |"
            for row in with_baseline
        ]
    lines += [
        "",
        f"DNS Firewall domain list of {domain_list['domains']:,} domains, {domain_list['removed']} removed and "
        f"{domain_list['added']} added: {domain_list['write_calls']} write calls, {domain_list['seconds']} s "
        f"(targets: at most {DOMAIN_LIST_TARGETS['write_calls']} write calls and "
        f"{DOMAIN_LIST_TARGETS['seconds']:g} s).",
    ]
    return "\n".join(lines) + "\n"


def results_markdown(results):
    """bench/results.md: the table, what each figure means and how it was measured."""
    return "\n".join([
        "# Benchmarks",
        "",
        markdown_table(results),
        "## What the figures are",
        "",
        "- **first run**, **rerun**: wall time of `playbooks/site.yml` over a fresh inventory (first rollout),",
        "  then again over the converged perimeter. **rerun s/account** divides the rerun by the accounts,",
        "  the access account included.",
        "- **rerun writes**, **rerun reads**: the rerun's calls in the emulator's call log, a write being an",
        "  operation whose verb changes something (`tests/support/calls.py`); session calls (AssumeRole,",
        "  GetCallerIdentity) are neither. The rollout lease's calls on the SSM parameter",
        "  `/mlperimeter/rollout-lease` are counted apart, as **rerun lease calls**, and in neither.",
        "- **minimal reads**: one read per managed resource plus one per control the gates check.",
        "  - *Managed resources* come from the first rollout's successful writes in the call log: each",
        "    create (`Create*`, `Allocate*`, but not `CreateTags` or `CreatePolicyVersion`) makes one resource,",
        "    whatever it names (a subnet's create names its VPC); every other write changes the resource it",
        "    names (the call log's `resource`: the first identifier the request gives), counted once per",
        "    account, Region and service, and not at all when a create of the run named it (a role created,",
        "    then given a policy). The call log holds requests, not answers, so an id AWS hands back from a",
        "    create and a later write names (a security group given its rules) counts twice: the figure",
        "    leans high, and the ratio below flatters the rerun rather than the reverse. Tags read back",
        "    instead would miss what carries no tag (policy attachments, registry parameters, associations)",
        "    and the emulator's tagging API does not cover every service the perimeter uses.",
        "  - *Controls the gates check* come from the rerun itself: a gate is a role's final",
        "    `ansible.builtin.assert` registered as `<role>_verify_gate` (the convention the evidence report",
        "    is built on); `bench/callback_plugins/gate_checks.py` records every gate that passes, and each",
        "    account, gate and control id (the first word of the gate's message) counts once, so a gate run",
        "    again later in the rollout (A2 after each wave, the M1 gate in M3) is not counted twice. A",
        "    gate added to a role is counted without any change here.",
        f"- **reads / minimal**: rerun reads divided by minimal reads; the target is at most"
        f" {READS_PER_MINIMAL_TARGET:g}.",
        "- **rerun, linear strategy**: the same converged rerun once more, with `ANSIBLE_STRATEGY=",
        "  ansible.builtin.linear` (a fresh Python process, and a fresh import of boto3, for every task) instead",
        "  of ansible.cfg's `mlperimeter.aws.mitogen_linear` (modules run in a warm interpreter).",
        "  **linear / rerun** is the ratio of the two, measured in the same run on the same state; `—` where",
        "  `BENCH_LINEAR=0` skipped it.",
        "- **domain list**: the list is loaded with 50,000 domains first (not timed); then the domains file",
        "  changes by 1% (the first 250 domains removed, 250 new ones added) and one run of",
        "  `mlperimeter.aws.dns_firewall_domain_list` in `exact` mode is timed. The module runs in-process",
        "  through `tests/support/modules.py`, handed its arguments as Ansible hands them: the time is the",
        "  module's alone, without Ansible's fixed cost of starting a task's Python process. Its write calls",
        "  are the change's `UpdateFirewallDomains` (and any tagging) in the call log.",
        "- **baseline** (with `BENCH_BASELINE=<revision>`): after the linear rerun, the converged rerun once",
        "  more with the playbooks and collection of that revision (a temporary git worktree), on the same",
        "  state: a change's before and after, measured in one run. **baseline / rerun** is the speed-up.",
        "",
        "## How to measure",
        "",
        "```sh",
        "make bench                      # the full ladder 1, 4, 16, 64 (hours on a small machine)",
        "BENCH_ACCOUNTS=1 make bench     # one size of the ladder (BENCH_ACCOUNTS=1,4: two sizes)",
        "BENCH_FORKS=16 make bench       # Ansible forks (default 8)",
        "BENCH_BASELINE=HEAD~3 make bench  # also rerun with an earlier revision's playbooks (before/after)",
        "BENCH_ACCOUNTS=64 BENCH_LINEAR=0 BENCH_KEEP=1 make bench  # one more size, without the linear rerun,",
        "                                # beside the rows already in bench/results.json",
        "```",
        "",
        "`make bench` writes `bench/results.json` (every figure above and more: managed resources, gate",
        "checks, the domain list's read calls) and this page, and rewrites the table in README.md's",
        "Benchmarks section. Each size of the ladder runs on an emulator of its own.",
        "",
    ])


def replace_between_markers(text, block, start=README_START, end=README_END):
    """``text`` with what lies between the two marker lines replaced by ``block``."""
    head, found_start, rest = text.partition(start)
    middle, found_end, tail = rest.partition(end)
    if not found_start or not found_end:
        raise ValueError(f"README.md has no {start!r} ... {end!r} markers")
    return f"{head}{start}\n{block.strip()}\n{end}{tail}"


def machine():
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main():
    sizes = os.environ.get("BENCH_ACCOUNTS", "")
    ladder = tuple(int(size) for size in sizes.split(",")) if sizes else DEFAULT_LADDER
    forks = int(os.environ.get("BENCH_FORKS", "8"))
    baseline_revision = os.environ.get("BENCH_BASELINE", "")
    linear = os.environ.get("BENCH_LINEAR", "1") != "0"
    results_file = REPO / "bench" / "results.json"
    kept = kept_rows(json.loads(results_file.read_text()), ladder, forks) if os.environ.get("BENCH_KEEP") == "1" else []
    log_dir = Path(tempfile.mkdtemp(prefix="mlperimeter-bench-logs-"))
    rows = []
    with checkout(baseline_revision) as baseline:
        for accounts in ladder:
            row = measure_rollout(accounts, forks, log_dir, baseline, linear)
            if baseline_revision:
                row["baseline"] = baseline_revision
            print(json.dumps(row), flush=True)
            rows.append(row)
    rows = sorted(kept + rows, key=lambda row: row["accounts"])
    domain_list = measure_domain_list(log_dir)
    print(json.dumps(domain_list), flush=True)
    results = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
        "ladder": [row["accounts"] for row in rows],
        "measured": list(ladder),
        "forks": forks,
        "baseline": baseline_revision,
        "rollout": rows,
        "domain_list": domain_list,
    }
    results_file.write_text(json.dumps(results, indent=2) + "\n")
    (REPO / "bench" / "results.md").write_text(results_markdown(results))
    README.write_text(replace_between_markers(README.read_text(), markdown_table(results)))
    print(markdown_table(results))
    print(f"emulator logs: {log_dir}")


if __name__ == "__main__":
    main()
