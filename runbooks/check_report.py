"""Read the newest evidence report under a directory and check what a runbook expects of it.

    check_report.py REPORTS                          print each account's controls and the failed checks
    check_report.py REPORTS --expect HOST:CONTROL=STATUS ...
                            --evidence HOST:CONTROL~TEXT ... --no-evidence HOST:CONTROL~TEXT ...

REPORTS is the directory verify.yml writes its reports under (perimeter_report_dir, default reports/);
the newest report in it is read. A control's status is its worst check's: fail, then staged, then pass.
--expect '*:*=pass' expects every control of every account to pass. --evidence expects TEXT in the
evidence of the control's checks in each account matched, --no-evidence in none of them. Exits 1 when
an expectation does not hold, 2 when there is no report or an argument is malformed.
"""

import argparse
import json
import re
import sys
from pathlib import Path

RANK = {"pass": 0, "staged": 1, "fail": 2}
EXPECTATION = re.compile(r"^(?P<host>[^:]+):(?P<control>[^=~]+)(?P<op>[=~])(?P<value>.+)$")


def newest_report(directory):
    reports = sorted(Path(directory).glob("*/evidence.json"), key=lambda path: path.parent.name)
    return reports[-1] if reports else None


def control_statuses(records):
    statuses = {}
    for record in records:
        key = (record["account"], record["control"])
        if RANK[record["status"]] >= RANK[statuses.get(key, "pass")]:
            statuses[key] = record["status"]
    return statuses


def parse(text, op):
    match = EXPECTATION.match(text)
    if not match or match["op"] != op:
        sep = "=STATUS" if op == "=" else "~TEXT"
        raise argparse.ArgumentTypeError(f"{text!r}: expected HOST:CONTROL{sep}")
    if op == "=" and match["value"] not in RANK:
        raise argparse.ArgumentTypeError(f"{text!r}: STATUS must be one of {', '.join(RANK)}")
    return match["host"], match["control"], match["value"]


def matches(pattern, value):
    return pattern == "*" or pattern == value


def problems(report, expected, evidence, no_evidence):
    records = report["controls"]
    statuses = control_statuses(records)
    found = []
    for host, control, status in expected:
        selected = {key: value for key, value in statuses.items() if matches(host, key[0]) and matches(control, key[1])}
        if not selected:
            found.append(f"{host}:{control}: no such account and control in the report")
        found += [f"{name}:{ctl} is {value}, expected {status}" for (name, ctl), value in sorted(selected.items())
                  if value != status]
    for wanted, rules in ((True, evidence), (False, no_evidence)):
        for host, control, text in rules:
            accounts = sorted({r["account"] for r in records if matches(host, r["account"])
                               and matches(control, r["control"])})
            if not accounts:
                found.append(f"{host}:{control}: no such account and control in the report")
            for account in accounts:
                named = any(text in r["evidence"] for r in records
                            if r["account"] == account and matches(control, r["control"]))
                if named != wanted:
                    found.append(f"{account}:{control}: the evidence {'does not name' if wanted else 'names'} "
                                 f"{text!r}")
    return found


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", help="the directory verify.yml writes its reports under")
    parser.add_argument("--expect", action="append", default=[], type=lambda text: parse(text, "="))
    parser.add_argument("--evidence", action="append", default=[], type=lambda text: parse(text, "~"))
    parser.add_argument("--no-evidence", action="append", default=[], type=lambda text: parse(text, "~"))
    args = parser.parse_args(argv)

    path = newest_report(args.reports)
    if path is None:
        print(f"no evidence report under {args.reports}", file=sys.stderr)
        return 2
    report = json.loads(path.read_text())
    print(f"{path}: {report['summary']['pass']} pass, {report['summary']['staged']} staged, "
          f"{report['summary']['fail']} fail")
    for (account, control), status in sorted(control_statuses(report["controls"]).items()):
        print(f"  {account:<24} {control:<4} {status}")
    for record in report["controls"]:
        if record["status"] != "pass":
            print(f"{record['status'].upper()}: {record['control']} {record['check']} in {record['account']} "
                  f"({record['account_id']}): {record['evidence']}")
    found = problems(report, args.expect, args.evidence, args.no_evidence)
    for problem in found:
        print(f"NOT AS EXPECTED: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
