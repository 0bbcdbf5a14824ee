#!/usr/bin/python

# Copyright: Contributors to the mlperimeter project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The work is done on the controller by the action plugin of the same name; this file documents it.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: evidence_report
version_added: 0.1.0
short_description: Write the perimeter's evidence report - every control per account, pass, staged or fail
description:
  - Writes C(<report_dir>/<timestamp>/) with C(evidence.json), C(evidence.md) and C(evidence.html) from the
    records of a verify run (one per gate - C(mlperimeter.aws.perimeter_verify)), optionally the attack matrix's
    rows, and earlier reports to merge.
  - C(evidence.html) is self-contained (inline style, no script, no external asset) - the summary on top, an
    account by control grid coloured by status with each check's evidence in the cell, the attack matrix as an
    account by row table, and the runs the report holds.
  - Reports from separate runs (for example AWX job slices, or one run per wave) merge into one; for the same
    account and control, the checks of the latest run (by its C(generated) time, then by the order given) replace
    the earlier ones, and so do matrix rows for the same account and row. The runs merged are listed in C(runs).
  - Runs on the controller; never calls AWS. Does not fail when a control fails - the caller decides
    (C(playbooks/verify.yml) fails after writing the report).
author:
  - mlperimeter contributors
options:
  records:
    description:
      - One record per gate - C(account) (the inventory host), C(account_id) (12 digits), C(control)
        (C(A1), C(A2), C(M1), C(M2), C(M3)), C(check) (what the gate checks), C(status) (C(pass), C(staged) or
        C(fail)) and C(evidence) (the gate's message).
      - Every record's C(account_id) must be one of O(accounts).
      - With O(merge), may be left empty to only merge.
    type: list
    elements: dict
    default: []
  accounts:
    description:
      - The accounts the records are about - C(name), C(account_id) and C(kind) (C(access) or C(ml)).
    type: list
    elements: dict
    default: []
  matrix:
    description:
      - Attack-matrix rows - C(account), C(account_id), C(row), C(attempt), C(control), C(procedure), C(status)
        (C(pass), C(staged) or C(fail)) and C(evidence); the rows C(mlperimeter.aws.perimeter_attack_matrix)
        returns, with the account fields added.
    type: list
    elements: dict
    default: []
  merge:
    description:
      - Earlier reports to merge into this one, as paths of their C(evidence.json) or of their directories.
    type: list
    elements: path
    default: []
  report_dir:
    description:
      - The directory under which the report's own timestamped directory is created.
      - Defaults to the variable C(perimeter_report_dir), then to C(reports/) next to the playbook's directory
        (the repository's C(reports/) for C(playbooks/verify.yml)).
    type: path
attributes:
  check_mode:
    support: full
    description: Checks the records and the reports to merge, and returns what it would write, writing nothing.
  diff_mode:
    support: none
    description: Every report is a new directory; there is nothing to compare.
  idempotent:
    support: none
    description: Each run writes a new timestamped report.
  action:
    support: full
    description: Runs on the controller as an action plugin.
notes:
  - The JSON schema is C({"generated", "runs", "accounts", "controls", "matrix", "summary"}), where C(controls)
    holds the records, C(matrix) the attack-matrix rows and C(summary) the count of checks by status.
"""

EXAMPLES = r"""
- name: Write the evidence report of this run
  mlperimeter.aws.evidence_report:
    records:
      - account: ml-research
        account_id: "222222222222"
        control: M1
        check: SageMaker network
        status: pass
        evidence: M1 passed in account 222222222222 (VPC vpc-0a1b2c3d, us-east-1).
    accounts:
      - {name: ml-research, account_id: "222222222222", kind: ml}
  register: report

- name: Merge the reports of two AWX job slices into one
  mlperimeter.aws.evidence_report:
    merge:
      - reports/20250301T020000Z/evidence.json
      - reports/20250301T020012Z
    report_dir: /srv/perimeter/reports
"""

RETURN = r"""
report_dir:
  description: The report's directory (in check mode, the one it would create).
  returned: always
  type: str
  sample: /srv/mlperimeter/reports/20250301T020000Z
files:
  description: The files of the report.
  returned: always
  type: dict
  contains:
    json:
      description: Path of C(evidence.json).
      type: str
    markdown:
      description: Path of C(evidence.md).
      type: str
    html:
      description: Path of C(evidence.html).
      type: str
summary:
  description: How many checks pass, are staged and fail.
  returned: always
  type: dict
  sample: {"pass": 14, "staged": 1, "fail": 0}
accounts:
  description: The names of the accounts in the report.
  returned: always
  type: list
  elements: str
runs:
  description:
    - The verify runs the report holds - C(id) (the timestamp of its report directory), C(generated), C(accounts),
      and for runs merged in, C(report), the C(evidence.json) they were read from.
  returned: always
  type: list
  elements: dict
failures:
  description: The records of the checks that fail, in report order, then the attack-matrix rows whose attempt
    gets through, each as a check named C(attack matrix row <row>) of its control.
  returned: always
  type: list
  elements: dict
  sample:
    - account: ml-research
      account_id: "222222222222"
      control: M1
      check: network perimeter
      status: fail
      evidence: "M1 fails in account 222222222222: not attached to ..."
"""
