"""Record every verification gate a run passes, for the benchmark's minimal read count."""

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: gate_checks
type: aggregate
short_description: Write the verification gates a run passed to a JSON file
description:
  - A gate is the final C(ansible.builtin.assert) of a role's C(verify) tasks, registered as
    C(<role>_verify_gate) (the convention C(perimeter_verify) builds the evidence report on).
  - Each gate that passes adds C({host, gate, msg}) to the list written, at the end of the run, to the file
    named by the environment variable C(MLPERIMETER_BENCH_GATES). Without it the callback does nothing.
requirements:
  - Enabled with C(ANSIBLE_CALLBACKS_ENABLED) and found through C(ANSIBLE_CALLBACK_PLUGINS=bench/callback_plugins).
"""

GATE_SUFFIX = "_verify_gate"
OUTPUT_VARIABLE = "MLPERIMETER_BENCH_GATES"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "gate_checks"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._gates = []

    def v2_runner_on_ok(self, result):
        register = result._task.register
        if register and register.endswith(GATE_SUFFIX):
            self._gates.append({
                "host": result._host.get_name(),
                "gate": register[: -len(GATE_SUFFIX)],
                "msg": str(result._result.get("msg", "")).strip(),
            })

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get(OUTPUT_VARIABLE)
        if path:
            with open(path, "w", encoding="utf-8") as output:
                json.dump(self._gates, output, indent=1)
