"""Print which account reached which perimeter step at the end of every rollout, failed or not."""

DOCUMENTATION = r"""
name: rollout_summary
type: aggregate
short_description: Which account reached which perimeter step, at the end of every rollout
description:
  - At the end of a run of C(site.yml), a layer playbook or C(onboard_account.yml), even one that stopped
    early, prints one line per account of the inventory (the C(perimeter_access) and C(perimeter_ml)
    hosts) with its wave, the last step whose verification gate passed (C(A1), C(A2), C(M1), C(M2), C(M3)),
    a step that failed and the task it failed in, a step stopped before its gate because another
    account failed, or C(not started) and the failure that stopped the run before the account's turn.
  - Below the table, one line per account that failed names its account id, the step and the task, and
    gives the task's error message (for an AWS error, the operation and the error code).
  - Steps are the plays that set C(perimeter_rollout_step); a step counts as verified when the play
    records C(mlperimeter_rollout_verified) with C(ansible.builtin.set_stats) after its gates. Waves
    come from the C(mlperimeter_rollout_waves) run statistic the plan play records.
  - Runs of other playbooks print nothing.
requirements:
  - Enabled in C(ansible.cfg) with C(callbacks_enabled = mlperimeter.aws.rollout_summary).
"""

from ansible import context
from ansible.plugins.callback import CallbackBase

STEP_VAR = "perimeter_rollout_step"
VERIFIED = "mlperimeter_rollout_verified"
STAGED = "mlperimeter_rollout_staged"
WAVES = "mlperimeter_rollout_waves"
# The plan play's step: a failure there stops the run before any account is reached.
PLAN_STEP = "plan"
# Steps a wave runs: a failure in one of them stops the run after that wave.
WAVE_STEPS = {"M1", "M2", "M3"}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "mlperimeter.aws.rollout_summary"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._inventory = None
        self._step = None
        self._rollout = False
        self._started = {}
        self._failed = {}
        self._errors = {}
        self._first_failure = None

    def v2_playbook_on_play_start(self, play):
        variable_manager = getattr(play, "_variable_manager", None)
        if self._inventory is None and variable_manager is not None:
            self._inventory = variable_manager._inventory
        self._step = (play.vars or {}).get(STEP_VAR)
        self._rollout = self._rollout or self._step is not None

    def _host_seen(self, result):
        if self._step and self._step != PLAN_STEP:
            self._started[result._host.get_name()] = self._step

    def _host_failed(self, result):
        host = result._host.get_name()
        step = self._step or "preparation"
        self._failed.setdefault(host, (step, result._task.get_name()))
        self._errors.setdefault(host, " ".join(str(result._result.get("msg") or "no message").split()))
        if self._first_failure is None:
            self._first_failure = (host, step)

    def v2_runner_on_ok(self, result):
        self._host_seen(result)

    def v2_runner_on_skipped(self, result):
        self._host_seen(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._host_seen(result)
        if not ignore_errors:
            self._host_failed(result)

    def v2_runner_on_unreachable(self, result):
        self._host_seen(result)
        self._host_failed(result)

    def v2_playbook_on_stats(self, stats):
        if not self._rollout:
            return
        waves = [(str(name), [str(h) for h in hosts]) for name, hosts in stats.custom.get("_run", {}).get(WAVES, [])]
        wave_of = {host: name for name, hosts in waves for host in hosts}
        hosts = self._hosts(waves)
        stopped_by = self._stopped_by(wave_of)
        check = " (check mode: nothing was changed)" if context.CLIARGS.get("check") else ""
        self._display.banner(f"ROLLOUT SUMMARY{check}")
        width = max([len(h) for h in hosts] + [8])
        wave_width = max([len(w) for w in wave_of.values()] + [6])
        for host in hosts:
            group = wave_of.get(host) or ("access" if host in self._group("perimeter_access") else "-")
            state = self._state(host, stats.custom.get(host, {}), stopped_by)
            self._display.display(f"{host:<{width}}  {group:<{wave_width}}  {state}")
        failed = [host for host in hosts if host in self._failed]
        if failed:
            self._display.display("")
        for host in failed:
            step, task = self._failed[host]
            self._display.display(f"{host} (account {self._account_id(host)}) failed in {step}, task '{task}': "
                                  f"{self._errors[host]}")

    def _group(self, name):
        group = self._inventory.groups.get(name) if self._inventory is not None else None
        return [h.get_name() for h in group.get_hosts()] if group is not None else []

    def _account_id(self, host):
        found = self._inventory.get_host(host) if self._inventory is not None else None
        return found.get_vars().get("aws_account_id", "unknown") if found is not None else "unknown"

    def _hosts(self, waves):
        """The access account(s), then the ML accounts in wave order, then any other host seen."""
        ordered = self._group("perimeter_access") + [h for _, hosts in waves for h in hosts]
        ordered += self._group("perimeter_ml") + list(self._started) + list(self._failed)
        return list(dict.fromkeys(ordered))

    def _stopped_by(self, wave_of):
        if self._first_failure is None:
            return None
        host, step = self._first_failure
        if step == PLAN_STEP:
            return "the rollout plan was refused"
        if step in WAVE_STEPS and host in wave_of:
            return f"{wave_of[host]} failed"
        return f"{step} failed in {host}"

    def _state(self, host, custom, stopped_by):
        verified = custom.get(VERIFIED)
        staged = f"; staged: {custom[STAGED]}" if custom.get(STAGED) else ""
        reached = f"{verified} verified{staged}" if verified else "nothing verified"
        if host in self._failed:
            step, task = self._failed[host]
            if step == PLAN_STEP:
                return f"refused by the rollout plan ('{task}')"
            return f"{step} failed in '{task}' ({reached})"
        started = self._started.get(host)
        if started is None:
            return f"not started (stopped after {stopped_by})" if stopped_by else "not in this run"
        if started != verified:
            why = f"stopped after {stopped_by}" if stopped_by else "not verified"
            return f"{started} {why} ({reached})"
        return reached
