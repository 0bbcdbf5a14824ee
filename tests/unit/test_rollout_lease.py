"""The rollout lease's pure logic: the run's identity as the rollout_run lookup gives it (one id for every worker
of a run, another for every other run), the process start time read from /proc, and the decision table."""

import datetime
import json
import multiprocessing
import os
import subprocess
import sys

import pytest
from ansible_collections.mlperimeter.aws.plugins.lookup.rollout_run import LookupModule
from ansible_collections.mlperimeter.aws.plugins.module_utils import rollout_lease
from ansible_collections.mlperimeter.aws.plugins.module_utils.rollout_lease import (
    CREATE,
    KEEP,
    REFUSE,
    RENEW,
    TAKE_OVER,
    decide,
    process_start,
    run_id,
)

from support.ansible import REPO

NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
OURS = {"id": run_id("ctl-a", 100, 5000), "controller": "ctl-a", "pid": 100, "pid_start": 5000}


def lookup_run():
    return LookupModule().run([])[0]


def _lookup_into(queue):
    queue.put(lookup_run())


def test_the_lookup_names_the_same_run_in_a_worker_forked_from_it():
    main = lookup_run()
    context = multiprocessing.get_context("fork")  # as Ansible starts its workers
    queue = context.Queue()
    worker = context.Process(target=_lookup_into, args=(queue,))
    worker.start()
    in_worker = queue.get(timeout=30)
    worker.join(timeout=30)
    assert in_worker == main
    assert main["pid"] == os.getpid() and main["pid_start"] == process_start(os.getpid())
    assert main["id"] == run_id(main["controller"], main["pid"], main["pid_start"])


def test_the_lookup_names_another_run_in_another_process():
    code = ("import json; from ansible_collections.mlperimeter.aws.plugins.lookup.rollout_run import LookupModule; "
            "print(json.dumps(LookupModule().run([])[0]))")
    env = dict(os.environ, PYTHONPATH=str(REPO / "collections"))
    runs = [json.loads(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                      check=True).stdout) for _ in range(2)]
    ids = {run["id"] for run in runs} | {lookup_run()["id"]}
    assert len(ids) == 3


def test_the_process_start_is_field_22_even_when_the_command_name_holds_spaces_and_parentheses(tmp_path):
    (tmp_path / "77").mkdir()
    fields = ["S", *map(str, range(4, 22)), "123456", "0"]
    (tmp_path / "77" / "stat").write_text(f"77 (ansible (x) y) {' '.join(fields)}\n")
    assert process_start(77, proc=tmp_path) == 123456
    assert process_start(78, proc=tmp_path) is None


def test_a_process_is_gone_only_where_proc_tells(tmp_path):
    assert rollout_lease.process_is_gone(os.getpid(), process_start(os.getpid())) is False
    assert rollout_lease.process_is_gone(os.getpid(), process_start(os.getpid()) + 1) is True
    # Without /proc (no /proc/self/stat) nothing counts as gone.
    assert rollout_lease.process_is_gone(999999, 1, proc=tmp_path) is False


def lease(run="f" * 16, controller="ctl-b", pid=200, pid_start=7000, expires_in=60):
    return {"run": run, "operator": "someone", "controller": controller, "pid": pid, "pid_start": pid_start,
            "acquired": "2026-03-01T11:00:00Z",
            "expires": (NOW + datetime.timedelta(minutes=expires_in)).strftime("%Y-%m-%dT%H:%M:%SZ")}


def alive(pid, pid_start):
    return False


def gone(pid, pid_start):
    return True


@pytest.mark.parametrize(("current", "kwargs", "action"), [
    (None, {}, CREATE),
    (lease(run=OURS["id"], expires_in=61), {}, KEEP),
    (lease(run=OURS["id"], expires_in=59), {}, RENEW),
    (lease(run=OURS["id"], expires_in=-5), {}, RENEW),
    (lease(expires_in=-1), {}, TAKE_OVER),
    (lease(expires_in=0), {}, TAKE_OVER),
    ({"run": "f" * 16}, {}, TAKE_OVER),
    ({"run": "f" * 16, "expires": "soon"}, {}, TAKE_OVER),
    (lease(), {}, REFUSE),
    (lease(), {"is_gone": gone}, REFUSE),
    (lease(controller="ctl-a"), {}, REFUSE),
    (lease(controller="ctl-a"), {"is_gone": gone}, TAKE_OVER),
    (lease(controller="ctl-a", pid="200"), {"is_gone": gone}, REFUSE),
    (lease(), {"take_over": "f" * 16}, TAKE_OVER),
    (lease(), {"take_over": "e" * 16}, REFUSE),
], ids=["none", "ours-fresh", "ours-half-gone", "ours-expired", "expired", "expiring-now", "no-expiry",
        "bad-expiry", "live-elsewhere", "pid-gone-elsewhere", "live-here", "pid-gone-here", "bad-pid-here",
        "taken-over-by-id", "other-id-named"])
def test_decide(current, kwargs, action):
    args = {"this_host": "ctl-a", "is_gone": alive, **kwargs}
    assert decide(current, OURS, now=NOW, minutes=120, **args)[0] == action


def test_a_refusal_says_who_holds_the_account_until_when_and_how_to_take_it_over():
    held = lease()
    message = rollout_lease.refusal(held, "111111111111", "us-east-1", "/mlperimeter/rollout-lease")
    assert message.startswith("Account 111111111111 (us-east-1) is being changed by another rollout: run "
                              f"{'f' * 16} (operator someone, controller ctl-b, pid 200)")
    assert f"since {held['acquired']}, until {held['expires']}" in message
    assert f"-e perimeter_lease_take_over={'f' * 16}" in message
