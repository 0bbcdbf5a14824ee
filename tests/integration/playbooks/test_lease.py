"""One rollout at a time per account, on an inventory of its own (one access and one ML account):

1. a site.yml killed (SIGKILL to it and its workers) once M1 has started leaves its lease in both accounts;
2. the next site.yml, on the same controller, takes both leases over (the killed run's process is gone),
   warning which run it took them from, and converges;
3. while it runs, another site.yml on the same inventory is refused at the access account: its output names
   the lease and the run holding it, and it makes no write and no call in the ML account. (The running one is
   stopped with SIGSTOP meanwhile, workers included, so every call in that window is the refused run's.) The
   running one then finishes as if alone, and leaves no lease behind.

What a converged rerun writes to the lease is in test_site_waves.py; verify, which never writes, in
test_verify.py.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.ansible import REPO, run_playbook
from support.calls import lease_calls, writes
from support.inventory import fresh_account_id, write_inventory

pytestmark = pytest.mark.starts_first

LEASE = "/mlperimeter/rollout-lease"
REGION = "us-east-1"
BIN = Path(sys.executable).parent


def start_site(emulator, inventory, log_path):
    """site.yml in the background, in a process group of its own, its output in log_path."""
    env = dict(os.environ, MLPERIMETER_EMULATOR_URL=emulator.url, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    log = open(log_path, "w")  # noqa: SIM115 - closed by finish()
    command = [str(BIN / "ansible-playbook"), "-i", str(inventory), str(REPO / "playbooks" / "site.yml")]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    process.log = log
    return process


def descendants(pid):
    """Every process under ``pid``, from /proc: the run's workers and their modules."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        children.setdefault(int(text[text.rindex(")") + 2:].split()[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


def signal_run(process, signum):
    """Signal a whole run: ansible-playbook's process group, then each of its workers' (a worker starts a
    session of its own, its modules in it). The main process first, so it starts no new worker meanwhile."""
    os.killpg(process.pid, signum)
    for pid in descendants(process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(os.getpgid(pid), signum)


def finish(process, log_path, timeout=1800):
    process.wait(timeout=timeout)
    process.log.close()
    return process.returncode, Path(log_path).read_text()


def wait_for(what, condition, timeout=900):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.5)
    return result


def read_lease(emulator, account):
    ssm = emulator.client("ssm", account, region=REGION)
    try:
        return json.loads(ssm.get_parameter(Name=LEASE)["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        return None


@pytest.fixture(scope="module")
def scenario(emulator, tmp_path_factory):
    base = tmp_path_factory.mktemp("lease")
    access, ml = fresh_account_id(), fresh_account_id()
    inventory = write_inventory(base / "inventory", {"wave1": {"ml-lease": ml}}, access=access)
    seen = {"access": access, "ml": ml}

    killed = start_site(emulator, inventory, base / "killed.log")
    wait_for("the first run's lease in the ML account (M1 started)", lambda: any(
        c["account"] == ml and c["operation"] == "PutParameter" and c["resource"] == LEASE and c["status"] == 200
        for c in emulator.calls()))
    signal_run(killed, signal.SIGKILL)
    finish(killed, base / "killed.log")
    seen["killed"] = {"pid": killed.pid, "leases": {a: read_lease(emulator, a) for a in (access, ml)}}

    running = start_site(emulator, inventory, base / "running.log")
    holder = wait_for("the second run's lease in the access account",
                      lambda: (lease := read_lease(emulator, access)) and lease["pid"] == running.pid and lease)
    signal_run(running, signal.SIGSTOP)
    time.sleep(2)  # a call the stopped run had in flight is answered, logged with its arrival time, before start
    start = time.time()
    refused = run_playbook(emulator, "site.yml", inventory=inventory)
    end = time.time()
    signal_run(running, signal.SIGCONT)
    # Other tests share the emulator: the window's calls in these accounts, or naming them (a role assumed into one).
    seen["refused"] = {"run": refused, "holder": holder, "calls": [
        c for c in emulator.calls() if start <= c["time"] <= end
        and (c["account"] in (access, ml) or any(a in (c.get("resource") or "") for a in (access, ml)))]}
    seen["running"] = finish(running, base / "running.log")
    seen["left"] = {a: read_lease(emulator, a) for a in (access, ml)}
    return seen


def test_a_killed_run_leaves_its_lease_in_the_accounts_it_reached(scenario):
    leases = scenario["killed"]["leases"]
    assert {lease["pid"] for lease in leases.values()} == {scenario["killed"]["pid"]}
    assert len({lease["run"] for lease in leases.values()}) == 1


def test_the_next_run_on_this_controller_takes_the_dead_runs_leases_over_and_converges(scenario):
    returncode, output = scenario["running"]
    assert returncode == 0, output[-6000:]
    dead = scenario["killed"]["leases"][scenario["access"]]
    for account in (scenario["access"], scenario["ml"]):
        assert (f"Took over the rollout lease {LEASE} of account {account} ({REGION}) from run {dead['run']}"
                in output.replace("\n", " ")), output[-6000:]
    assert f"its process {dead['pid']} on this controller has ended" in output


def test_a_second_run_is_refused_naming_the_lease_and_its_holder_and_writes_nothing(scenario):
    refused, holder, calls = scenario["refused"]["run"], scenario["refused"]["holder"], scenario["refused"]["calls"]
    assert refused.returncode != 0
    output = " ".join(refused.output.split())
    for part in (f"Account {scenario['access']} ({REGION}) is being changed by another rollout",
                 f"run {holder['run']} (operator {holder['operator']}, controller {holder['controller']}, "
                 f"pid {holder['pid']}) holds its rollout lease {LEASE} since {holder['acquired']}",
                 f"-e perimeter_lease_take_over={holder['run']}"):
        assert part in output, refused.output[-4000:]
    assert [c["operation"] for c in lease_calls(calls) if c["account"] == scenario["access"]] == ["GetParameter"]
    assert writes(calls) == []
    assert [c for c in calls if c["account"] == scenario["ml"] or scenario["ml"] in (c.get("resource") or "")] == []


def test_the_run_that_finished_left_no_lease(scenario):
    assert scenario["running"][0] == 0
    assert scenario["left"] == {scenario["access"]: None, scenario["ml"]: None}
