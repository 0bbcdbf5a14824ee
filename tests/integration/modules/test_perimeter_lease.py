"""mlperimeter.aws.perimeter_lease against the emulator: the lease created, kept and renewed by its run;
another run's lease refused while its holder lives (this test process stands in for a live holder), taken
over when it has expired, when its process on this controller has ended, or when named; released only by
its own run; check mode writing nothing; bad input refused before any call. The parameter is read back
with boto3 and the writes counted in the emulator's call log."""

import datetime
import json
import os
import socket
import subprocess

import pytest
from ansible_collections.mlperimeter.aws.plugins.module_utils.rollout_lease import process_start, run_id

from support.calls import writes
from support.modules import run_module

NAME = "/mlperimeter/rollout-lease"
HOST = socket.gethostname()


def a_run(controller, pid, pid_start, user="operator-a"):
    return {"id": run_id(controller, pid, pid_start), "controller": controller, "pid": pid,
            "pid_start": pid_start, "user": user}


def when(minutes):
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def lease_of(run, *, acquired=-10, expires=110, operator="someone-else"):
    return {"run": run["id"], "operator": operator, "controller": run["controller"], "pid": run["pid"],
            "pid_start": run["pid_start"], "acquired": when(acquired), "expires": when(expires)}


# This run: the pytest worker's parent, alive for the whole test.
OURS = a_run(HOST, os.getppid(), process_start(os.getppid()))
# A live holder on this controller: this test process itself.
LIVE = a_run(HOST, os.getpid(), process_start(os.getpid()), user="operator-b")
# A holder on another controller, whose process this host cannot see.
ELSEWHERE = a_run("ci-runner-7", 4242, 99, user="operator-c")


@pytest.fixture
def ssm(aws):
    return aws("ssm")


@pytest.fixture
def lease_writes(emulator, account_id):
    """The module's writes to the lease parameter in this test's account: the calls since the test last
    wrote it itself (``lease.put``) or since the fixture was made."""
    marks = [len(emulator.calls())]

    def since():
        return [(c["operation"], c["status"]) for c in writes(emulator.calls()[marks[-1]:])
                if c["account"] == account_id and c["resource"] == NAME]

    since.mark = lambda: marks.append(len(emulator.calls()))
    return since


@pytest.fixture
def lease(ssm, lease_writes):
    def read():
        try:
            return json.loads(ssm.get_parameter(Name=NAME)["Parameter"]["Value"])
        except ssm.exceptions.ParameterNotFound:
            return None

    def put(document):
        ssm.put_parameter(Name=NAME, Value=json.dumps(document), Type="String", Overwrite=True)
        lease_writes.mark()

    read.put = put
    return read


def warnings_of(result):
    return [w["event"]["msg"] for w in result.get("warnings", [])]


def held(emulator, account_id, run=OURS, check=False, **args):
    return run_module("perimeter_lease", {"run": run, **args}, emulator=emulator, account_id=account_id,
                      check=check)


def test_creates_the_lease_then_keeps_it_without_a_write(emulator, account_id, lease, lease_writes):
    first = held(emulator, account_id)
    assert first["changed"] is True and first["action"] == "created" and first["held"] is True
    stored = lease()
    assert stored == first["lease"]
    assert {k: stored[k] for k in ("run", "operator", "controller", "pid", "pid_start")} == {
        "run": OURS["id"], "operator": "operator-a", "controller": HOST, "pid": OURS["pid"],
        "pid_start": OURS["pid_start"]}
    acquired = datetime.datetime.fromisoformat(stored["acquired"].replace("Z", "+00:00"))
    expires = datetime.datetime.fromisoformat(stored["expires"].replace("Z", "+00:00"))
    assert expires - acquired == datetime.timedelta(minutes=120)
    assert first["diff"] == {"before": {"lease": None}, "after": {"lease": stored}}

    second = held(emulator, account_id)
    assert second["changed"] is False and second["action"] == "kept" and second["lease"] == stored
    assert lease_writes() == [("PutParameter", 200)]


def test_renews_its_own_lease_once_less_than_half_is_left(emulator, account_id, lease, lease_writes):
    lease.put(lease_of(OURS, acquired=-100, expires=20, operator="operator-a"))
    before = lease()
    renewed = held(emulator, account_id, minutes=60)
    assert renewed["changed"] is True and renewed["action"] == "renewed"
    after = lease()
    assert after["acquired"] == before["acquired"] and after["expires"] > when(59)
    assert held(emulator, account_id, minutes=60)["changed"] is False
    assert lease_writes() == [("PutParameter", 200)]


def test_refuses_a_live_holder_naming_the_account_the_holder_and_what_to_do(emulator, account_id, lease,
                                                                             lease_writes):
    lease.put(lease_of(LIVE))
    before = lease()
    result = held(emulator, account_id)
    assert result["failed"] is True
    message = result["msg"]
    for part in (f"Account {account_id} (eu-west-1)", f"run {LIVE['id']}", "operator someone-else",
                 f"controller {HOST}", f"pid {LIVE['pid']}", f"since {before['acquired']}",
                 f"until {before['expires']}", f"-e perimeter_lease_take_over={LIVE['id']}"):
        assert part in message
    assert lease() == before and lease_writes() == []


def test_takes_over_an_expired_lease_with_a_warning(emulator, account_id, lease):
    lease.put(lease_of(ELSEWHERE, acquired=-200, expires=-5))
    result = held(emulator, account_id)
    assert result["changed"] is True and result["action"] == "taken_over" and result["held"] is True
    assert lease()["run"] == OURS["id"]
    assert any(f"from run {ELSEWHERE['id']}" in w and "expired" in w and "ci-runner-7" in w
               for w in warnings_of(result))
    assert result["diff"]["before"]["lease"]["run"] == ELSEWHERE["id"]


def test_takes_over_the_lease_of_a_run_whose_process_on_this_controller_has_ended(emulator, account_id, lease):
    ended = subprocess.Popen(["true"])
    ended.wait()
    dead = a_run(HOST, ended.pid, 12345)
    lease.put(lease_of(dead))
    result = held(emulator, account_id)
    assert result["action"] == "taken_over" and lease()["run"] == OURS["id"]
    assert any(f"its process {ended.pid} on this controller has ended" in w for w in warnings_of(result))


def test_takes_over_the_lease_of_a_reused_pid(emulator, account_id, lease):
    # This process's pid, but another start time: the run that held it is gone, the pid reused.
    reused = a_run(HOST, os.getpid(), LIVE["pid_start"] - 1)
    lease.put(lease_of(reused))
    assert held(emulator, account_id)["action"] == "taken_over"
    assert lease()["run"] == OURS["id"]


def test_take_over_names_the_run_whose_live_lease_to_take(emulator, account_id, lease, lease_writes):
    lease.put(lease_of(ELSEWHERE))
    other = held(emulator, account_id, take_over=run_id("another", 1, 1))
    assert other["failed"] is True and f"run {ELSEWHERE['id']}" in other["msg"]
    assert lease()["run"] == ELSEWHERE["id"]
    taken = held(emulator, account_id, take_over=ELSEWHERE["id"])
    assert taken["action"] == "taken_over" and any("take_over names it" in w for w in warnings_of(taken))
    assert lease()["run"] == OURS["id"]
    assert lease_writes() == [("PutParameter", 200)]


def test_release_deletes_only_the_lease_of_its_own_run(emulator, account_id, lease, lease_writes):
    lease.put(lease_of(ELSEWHERE))
    left = held(emulator, account_id, state="released")
    assert left["changed"] is False and left["action"] == "left"
    assert any(f"held by run {ELSEWHERE['id']}" in w for w in warnings_of(left))
    assert lease()["run"] == ELSEWHERE["id"] and lease_writes() == []

    lease.put(lease_of(OURS))
    released = held(emulator, account_id, state="released")
    assert released["changed"] is True and released["action"] == "released" and released["held"] is False
    assert lease() is None

    absent = held(emulator, account_id, state="released")
    assert absent["changed"] is False and absent["action"] == "absent"
    assert lease_writes() == [("DeleteParameter", 200)]


def test_check_mode_reads_and_reports_but_never_writes_or_fails(emulator, account_id, lease, lease_writes):
    would = held(emulator, account_id, check=True)
    assert would["changed"] is True and would["action"] == "created" and lease() is None

    lease.put(lease_of(LIVE))
    refused = held(emulator, account_id, check=True)
    assert "failed" not in refused and refused["changed"] is False and refused["action"] == "refused"
    assert refused["held"] is False
    assert any(w.startswith("A real run would be refused") and LIVE["id"] in w for w in warnings_of(refused))

    lease.put(lease_of(OURS))
    assert held(emulator, account_id, state="released", check=True)["changed"] is True
    assert lease()["run"] == OURS["id"]
    assert lease_writes() == []


@pytest.mark.parametrize(("args", "message"), [
    ({"minutes": 0}, "minutes: 0 is not from 1 to 1440"),
    ({"minutes": 1441}, "minutes: 1441 is not from 1 to 1440"),
    ({"take_over": "yesterday's run"}, "take_over: \"yesterday's run\" is not a run id"),
    ({"name": "mlperimeter/lease"}, "name: 'mlperimeter/lease' is not an SSM parameter path"),
    ({"run": dict(OURS, id="run-1")}, "run: id 'run-1' is not a run id"),
    ({"run": dict(OURS, pid=0)}, "run: pid 0 is not a process id"),
    ({"run": {k: v for k, v in OURS.items() if k != "pid_start"}}, "missing required arguments: pid_start"),
], ids=["minutes-0", "minutes-1441", "take-over", "name", "run-id", "run-pid", "run-pid-start"])
def test_bad_input_is_refused_before_any_call(emulator, account_id, args, message):
    mark = len(emulator.calls())
    result = run_module("perimeter_lease", {"run": OURS, **args}, emulator=emulator, account_id=account_id)
    assert result["failed"] is True and message in result["msg"]
    assert [c for c in emulator.calls()[mark:] if c["account"] == account_id] == []
