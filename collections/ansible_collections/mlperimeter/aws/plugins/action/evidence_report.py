# Copyright: Contributors to the mlperimeter project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Writes the verify playbook's evidence report on the controller (see the module of the same name)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.mlperimeter.aws.plugins.plugin_utils import evidence

ARGUMENT_SPEC = {
    "records": {"type": "list", "elements": "dict", "default": []},
    "accounts": {"type": "list", "elements": "dict", "default": []},
    "matrix": {"type": "list", "elements": "dict", "default": []},
    "merge": {"type": "list", "elements": "path", "default": []},
    "report_dir": {"type": "path"},
}
FILES = {"json": "evidence.json", "markdown": "evidence.md", "html": "evidence.html"}


def _read_report(path, name):
    if os.path.isdir(path):
        path = os.path.join(path, FILES["json"])
    try:
        with open(path, encoding="utf-8") as handle:
            report = json.load(handle)
    except (OSError, ValueError) as error:
        raise evidence.EvidenceError(f"{name}: cannot read an evidence report from {path}: {error}") from error
    source = evidence.check_report(report, name)
    # Runs that do not say where they came from came from this report.
    source["runs"] = [dict(run, report=run.get("report") or path) for run in source["runs"]]
    return source


def _new_directory(base, now):
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    for suffix in ["", *(f"-{n}" for n in range(1, 100))]:
        path = os.path.join(base, stamp + suffix)
        try:
            os.makedirs(path)
            return path
        except FileExistsError:
            continue
    raise AnsibleActionFail(f"report_dir: {base} already holds reports {stamp} to {stamp}-99")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        if not args["records"] and not args["merge"]:
            raise AnsibleActionFail("records and merge are both empty: there is nothing to report")

        now = datetime.now(UTC)
        generated = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        base = args["report_dir"] or self._templar.template(task_vars.get("perimeter_report_dir")) or os.path.join(
            task_vars.get("playbook_dir", os.getcwd()), os.pardir, "reports")
        base = os.path.realpath(os.path.expanduser(str(base)))
        try:
            sources = [_read_report(path, f"merge[{index}]") for index, path in enumerate(args["merge"])]
            if args["records"]:
                accounts = evidence.check_accounts(args["accounts"])
                this_run = {"id": None, "generated": generated, "accounts": [account["name"] for account in accounts]}
                sources.append(evidence.check_source({
                    "generated": generated,
                    "runs": [this_run],
                    "accounts": accounts,
                    "controls": evidence.check_controls(args["records"]),
                    "matrix": evidence.check_matrix(args["matrix"]),
                }, ""))
        except evidence.EvidenceError as error:
            raise AnsibleActionFail(str(error)) from error

        if self._task.check_mode:
            directory = os.path.join(base, now.strftime("%Y%m%dT%H%M%SZ"))
        else:
            directory = _new_directory(base, now)
        if args["records"]:
            this_run["id"] = os.path.basename(directory)
        report = evidence.build(sources, generated)
        if not self._task.check_mode:
            rendered = {
                "json": json.dumps(report, indent=2) + "\n",
                "markdown": evidence.render_markdown(report),
                "html": evidence.render_html(report),
            }
            for kind, text in rendered.items():
                with open(os.path.join(directory, FILES[kind]), "w", encoding="utf-8") as handle:
                    handle.write(text)

        result.update(
            changed=True,
            report_dir=directory,
            files={kind: os.path.join(directory, name) for kind, name in FILES.items()},
            summary=report["summary"],
            accounts=[account["name"] for account in report["accounts"]],
            runs=report["runs"],
            failures=evidence.failures(report),
        )
        return result
