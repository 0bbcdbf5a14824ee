# Copyright: Contributors to the mlperimeter project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The evidence report of the verify playbook: its records checked, merged and rendered as JSON, Markdown and HTML.

Pure functions, no Ansible and no AWS: the ``evidence_report`` action plugin reads and writes the files.
"""

from __future__ import annotations

import html
import json
import re

STATUSES = ("pass", "staged", "fail")
KINDS = ("access", "ml")
CONTROL_ORDER = ("A1", "A2", "M1", "M2", "M3")
CONTROL_TITLES = {
    "A1": "Secure Browser: browser VPC and portal",
    "A2": "Allowlist, Console Private Access, browser DNS Firewall",
    "M1": "SageMaker VPC and network perimeter",
    "M2": "DNS Firewall and resource perimeter",
    "M3": "Endpoints, VpcOnly domain and guardrails",
}
ACCOUNT_ID = re.compile(r"^[0-9]{12}$")

ACCOUNT_FIELDS = ("name", "account_id", "kind")
CONTROL_FIELDS = ("account", "account_id", "control", "check", "status", "evidence")
MATRIX_FIELDS = ("account", "account_id", "row", "attempt", "control", "procedure", "status", "evidence")


class EvidenceError(ValueError):
    """Input that cannot make a report; the message names the field and the value."""


def _text(value):
    if isinstance(value, str):
        return value.strip()
    return json.dumps(value, sort_keys=True)


def _checked(items, name, fields, choices):
    if not isinstance(items, list):
        raise EvidenceError(f"{name} must be a list, got {items!r}")
    checked = []
    for index, item in enumerate(items):
        where = f"{name}[{index}]"
        if not isinstance(item, dict):
            raise EvidenceError(f"{where} must be a dict, got {item!r}")
        missing = [field for field in fields if field not in item]
        if missing:
            raise EvidenceError(f"{where} lacks {', '.join(missing)} (got {sorted(item)})")
        record = {field: _text(item[field]) if field == "evidence" else str(item[field] or "").strip()
                  for field in fields}
        if not ACCOUNT_ID.match(record["account_id"]):
            raise EvidenceError(f"{where}.account_id must be 12 digits, got {item['account_id']!r}")
        for field, allowed in choices.items():
            if record[field] not in allowed:
                raise EvidenceError(f"{where}.{field} must be one of {', '.join(allowed)}, got {item[field]!r}")
        for field in fields:
            if field != "evidence" and not record[field]:
                raise EvidenceError(f"{where}.{field} must not be empty")
        checked.append(record)
    return checked


def check_accounts(accounts, name="accounts"):
    return _checked(accounts, name, ACCOUNT_FIELDS, {"kind": KINDS})


def check_controls(records, name="records"):
    return _checked(records, name, CONTROL_FIELDS, {"status": STATUSES})


def check_matrix(rows, name="matrix"):
    return _checked(rows, name, MATRIX_FIELDS, {"status": STATUSES})


def check_source(source, name):
    """Every record of a source names one of its accounts."""
    known = {account["account_id"] for account in source["accounts"]}
    for field in ("controls", "matrix"):
        for index, record in enumerate(source[field]):
            if record["account_id"] not in known:
                raise EvidenceError(f"{name}{field}[{index}].account_id {record['account_id']} is not one of the "
                                    f"accounts ({', '.join(sorted(known)) or 'none'})")
    return source


def check_report(report, name):
    """A report read back from ``evidence.json``, checked as strictly as the records of a run."""
    if not isinstance(report, dict):
        raise EvidenceError(f"{name} is not an evidence report (a JSON object), got {type(report).__name__}")
    missing = [key for key in ("generated", "runs", "accounts", "controls", "matrix") if key not in report]
    if missing:
        raise EvidenceError(f"{name} is not an evidence report: it lacks {', '.join(missing)}")
    if not isinstance(report["runs"], list) or not all(isinstance(run, dict) for run in report["runs"]):
        raise EvidenceError(f"{name}.runs must be a list of objects, got {report['runs']!r}")
    return check_source({
        "generated": str(report["generated"]),
        "runs": report["runs"],
        "accounts": check_accounts(report["accounts"], f"{name}.accounts"),
        "controls": check_controls(report["controls"], f"{name}.controls"),
        "matrix": check_matrix(report["matrix"], f"{name}.matrix"),
    }, f"{name}.")


def summarise(controls):
    return {status: sum(1 for record in controls if record["status"] == status) for status in STATUSES}


def worst(statuses):
    """The status of a set of checks: any failure fails it, then any staged check stages it."""
    statuses = set(statuses)
    for status in ("fail", "staged", "pass"):
        if status in statuses:
            return status
    return None


def _control_key(control):
    return (CONTROL_ORDER.index(control) if control in CONTROL_ORDER else len(CONTROL_ORDER), control)


def _account_key(account):
    return (KINDS.index(account["kind"]), account["name"])


def build(sources, generated):
    """One report from ``sources``, each ``{"generated", "runs", "accounts", "controls", "matrix"}``.

    Sources are taken oldest first (by ``generated``, then as given): a later source's records for
    an account and control replace all of an earlier one's, and its matrix rows replace the same
    rows of the same account. Accounts are kept by id; a later source's name and kind win.
    """
    ordered = sorted(enumerate(sources), key=lambda pair: (pair[1]["generated"], pair[0]))
    accounts, controls, matrix, runs = {}, {}, {}, []
    for _, source in ordered:
        for account in source["accounts"]:
            accounts[account["account_id"]] = account
        replaced = {}
        for record in source["controls"]:
            replaced.setdefault((record["account_id"], record["control"]), []).append(record)
        controls.update(replaced)
        for row in source["matrix"]:
            matrix[(row["account_id"], row["row"])] = row
        for run in source["runs"]:
            if run not in runs:
                runs.append(run)

    account_list = sorted(accounts.values(), key=_account_key)
    position = {account["account_id"]: index for index, account in enumerate(account_list)}
    control_list = [record for key in sorted(controls, key=lambda k: (position[k[0]], _control_key(k[1])))
                    for record in controls[key]]
    matrix_list = sorted(matrix.values(),
                         key=lambda r: (_control_key(r["control"]), r["row"], position[r["account_id"]]))
    return {
        "generated": generated,
        "runs": runs,
        "accounts": account_list,
        "controls": control_list,
        "matrix": matrix_list,
        "summary": summarise(control_list),
    }


def failures(report):
    """The failed checks, then the attack-matrix rows that get through, each as a check of its control."""
    checks = [record for record in report["controls"] if record["status"] == "fail"]
    rows = [{"account": row["account"], "account_id": row["account_id"], "control": row["control"],
             "check": f"attack matrix row {row['row']}", "status": "fail", "evidence": row["evidence"]}
            for row in report["matrix"] if row["status"] == "fail"]
    return checks + rows


def _controls_of(report):
    return sorted({record["control"] for record in report["controls"]}, key=_control_key)


def _cells(report):
    """(account id, control) to the checks recorded for it."""
    cells = {}
    for record in report["controls"]:
        cells.setdefault((record["account_id"], record["control"]), []).append(record)
    return cells


def _matrix_rows(report):
    rows = {}
    for record in report["matrix"]:
        rows.setdefault(record["row"], {"row": record["row"], "attempt": record["attempt"],
                                        "control": record["control"], "cells": {}})
        rows[record["row"]]["cells"][record["account_id"]] = record
    return list(rows.values())


def _verdict(report):
    summary = report["summary"]
    if summary["fail"]:
        return "fail"
    return "staged" if summary["staged"] else "pass"


def _summary_line(report):
    summary = report["summary"]
    total = sum(summary.values())
    return (f"{summary['pass']} pass, {summary['staged']} staged, {summary['fail']} fail "
            f"({total} checks in {len(report['accounts'])} accounts)")


def _run_line(run):
    line = f"{run.get('id', '?')}: generated {run.get('generated', '?')}, accounts {', '.join(run.get('accounts', []))}"
    if run.get("report"):
        line += f" (merged from {run['report']})"
    return line


def _md(text):
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def render_markdown(report):
    controls = _controls_of(report)
    cells = _cells(report)
    lines = [
        "# Perimeter evidence",
        "",
        f"Generated {report['generated']}. **{_verdict(report).upper()}**: {_summary_line(report)}.",
        "",
        "## Controls by account",
        "",
        "| Account | Account id | Kind | " + " | ".join(controls) + " |",
        "|---|---|---|" + "---|" * len(controls),
    ]
    for account in report["accounts"]:
        statuses = [worst(r["status"] for r in cells.get((account["account_id"], c), [])) or "-" for c in controls]
        lines.append(f"| {_md(account['name'])} | {account['account_id']} | {account['kind']} | "
                     + " | ".join(statuses) + " |")
    lines += ["", "## Evidence", ""]
    for account in report["accounts"]:
        records = [r for r in report["controls"] if r["account_id"] == account["account_id"]]
        if not records:
            continue
        lines += [f"### {_md(account['name'])} ({account['account_id']}, {account['kind']})", "",
                  "| Control | Check | Status | Evidence |", "|---|---|---|---|"]
        lines += [f"| {r['control']} | {_md(r['check'])} | {r['status']} | {_md(r['evidence'])} |" for r in records]
        lines.append("")
    lines += ["## Attack matrix", ""]
    rows = _matrix_rows(report)
    if rows:
        names = [a for a in report["accounts"] if any(a["account_id"] in row["cells"] for row in rows)]
        lines += ["| Row | Control | Attempt | " + " | ".join(_md(a["name"]) for a in names) + " |",
                  "|---|---|---|" + "---|" * len(names)]
        for row in rows:
            statuses = [row["cells"][a["account_id"]]["status"] if a["account_id"] in row["cells"] else "-"
                        for a in names]
            lines.append(f"| {_md(row['row'])} | {row['control']} | {_md(row['attempt'])} | "
                         + " | ".join(statuses) + " |")
        lines += ["", "| Account | Row | Status | Procedure | Evidence |", "|---|---|---|---|---|"]
        lines += [f"| {_md(r['account'])} | {_md(r['row'])} | {r['status']} | {_md(r['procedure'])} "
                  f"| {_md(r['evidence'])} |" for r in report["matrix"]]
    else:
        lines.append("No attack-matrix rows in this report.")
    lines += ["", "## Runs", ""]
    lines += [f"- {_md(_run_line(run))}" for run in report["runs"]] or ["- none recorded"]
    return "\n".join(lines) + "\n"


STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem; color: #1f2328; }
h1 { margin: 0 0 .25rem; font-size: 1.6rem; }
h2 { margin-top: 2rem; font-size: 1.2rem; }
.generated { color: #59636e; margin: 0 0 1rem; }
.summary { display: flex; gap: .75rem; align-items: center; padding: .75rem 1rem; border-radius: 6px;
           border: 1px solid #d1d9e0; }
.summary .verdict { font-weight: 700; font-size: 1.2rem; padding: .2rem .6rem; border-radius: 4px; }
.count { font-weight: 600; }
table { border-collapse: collapse; margin-top: .5rem; }
th, td { border: 1px solid #d1d9e0; padding: .4rem .6rem; text-align: left; vertical-align: top; }
thead th { background: #f6f8fa; }
th .id, th .kind { display: block; font-weight: 400; color: #59636e; font-size: .85em; }
td.cell { min-width: 9rem; max-width: 28rem; }
td.pass, .summary.pass { background: #dafbe1; }
td.staged, .summary.staged { background: #fff8c5; }
td.fail, .summary.fail { background: #ffebe9; }
td.na { background: #f6f8fa; color: #8c959f; text-align: center; }
.status { font-weight: 700; text-transform: uppercase; font-size: .85em; }
.status.pass, .verdict.pass { color: #1a7f37; }
.status.staged, .verdict.staged { color: #9a6700; }
.status.fail, .verdict.fail { color: #cf222e; }
details summary { cursor: pointer; }
details ul { margin: .3rem 0 0; padding-left: 1.1rem; }
details li { margin-bottom: .3rem; word-break: break-word; }
.check { font-weight: 600; }
ul.runs li { margin-bottom: .2rem; }
"""


def _e(text):
    return html.escape(str(text), quote=True)


def _cell(records, control):
    status = worst(r["status"] for r in records)
    items = "".join(
        f'<li class="{r["status"]}"><span class="check">{_e(r["check"])}</span> '
        f'<span class="status {r["status"]}">{r["status"]}</span>: '
        f'<span class="evidence">{_e(r["evidence"])}</span></li>'
        for r in records)
    opened = " open" if status != "pass" else ""
    return (f'<td class="cell {status}" data-control="{_e(control)}" data-status="{status}">'
            f'<details{opened}><summary><span class="status {status}">{status}</span> '
            f"({len(records)} check{'s' if len(records) != 1 else ''})</summary><ul>{items}</ul></details></td>")


def _account_header(account):
    return (f'<th scope="row">{_e(account["name"])}<span class="id">{_e(account["account_id"])}</span>'
            f'<span class="kind">{_e(account["kind"])}</span></th>')


def render_html(report):
    controls = _controls_of(report)
    cells = _cells(report)
    verdict = _verdict(report)
    summary = report["summary"]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Perimeter evidence {_e(report['generated'])}</title>",
        f"<style>{STYLE}</style></head><body>",
        "<header><h1>Perimeter evidence</h1>",
        f'<p class="generated">Generated <time>{_e(report["generated"])}</time></p>',
        f'<section id="summary" class="summary {verdict}" data-verdict="{verdict}">'
        f'<span class="verdict {verdict}">{verdict.upper()}</span>'
        f'<span><span class="count" data-status="pass">{summary["pass"]}</span> pass, '
        f'<span class="count" data-status="staged">{summary["staged"]}</span> staged, '
        f'<span class="count" data-status="fail">{summary["fail"]}</span> fail '
        f"({sum(summary.values())} checks in {len(report['accounts'])} accounts)</span></section></header>",
        '<section id="controls"><h2>Controls by account</h2>',
        '<table class="grid"><thead><tr><th scope="col">Account</th>',
    ]
    out += [f'<th scope="col" title="{_e(CONTROL_TITLES.get(c, c))}">{_e(c)}'
            f'<span class="id">{_e(CONTROL_TITLES.get(c, ""))}</span></th>' for c in controls]
    out.append("</tr></thead><tbody>")
    for account in report["accounts"]:
        out.append(f'<tr data-account="{_e(account["name"])}" data-account-id="{_e(account["account_id"])}">')
        out.append(_account_header(account))
        for control in controls:
            records = cells.get((account["account_id"], control))
            out.append(_cell(records, control) if records
                       else f'<td class="cell na" data-control="{_e(control)}" data-status="none">&ndash;</td>')
        out.append("</tr>")
    out.append("</tbody></table></section>")

    out.append('<section id="matrix"><h2>Attack matrix</h2>')
    rows = _matrix_rows(report)
    if rows:
        names = [a for a in report["accounts"] if any(a["account_id"] in row["cells"] for row in rows)]
        out.append('<table class="matrix"><thead><tr><th scope="col">Row</th><th scope="col">Control</th>'
                   '<th scope="col">Attempt</th>')
        out += [f'<th scope="col">{_e(a["name"])}<span class="id">{_e(a["account_id"])}</span></th>' for a in names]
        out.append("</tr></thead><tbody>")
        for row in rows:
            out.append(f'<tr data-row="{_e(row["row"])}"><th scope="row">{_e(row["row"])}</th>'
                       f'<td>{_e(row["control"])}</td><td>{_e(row["attempt"])}</td>')
            for account in names:
                record = row["cells"].get(account["account_id"])
                if record is None:
                    out.append('<td class="cell na" data-status="none">&ndash;</td>')
                    continue
                status = record["status"]
                opened = " open" if status != "pass" else ""
                out.append(f'<td class="cell {status}" data-account="{_e(account["name"])}" data-status="{status}">'
                           f'<details{opened}><summary><span class="status {status}">{status}</span></summary><ul>'
                           f'<li>{_e(record["procedure"])}: <span class="evidence">{_e(record["evidence"])}</span></li>'
                           "</ul></details></td>")
            out.append("</tr>")
        out.append("</tbody></table>")
    else:
        out.append("<p>No attack-matrix rows in this report.</p>")
    out.append("</section>")

    out.append('<section id="runs"><h2>Runs</h2><ul class="runs">')
    out += [f"<li>{_e(_run_line(run))}</li>" for run in report["runs"]] or ["<li>none recorded</li>"]
    out.append("</ul></section></body></html>")
    return "\n".join(out) + "\n"
