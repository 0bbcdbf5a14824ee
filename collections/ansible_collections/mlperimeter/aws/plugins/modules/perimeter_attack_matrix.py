#!/usr/bin/python

# Copyright: Contributors to the mlperimeter project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: perimeter_attack_matrix
version_added: 0.1.0
short_description: Decide the perimeter's exfiltration attack matrix from an account's live state
description:
  - Decides, in one account, every row of the attack matrix for that kind of account - an exfiltration attempt,
    the control (C(A1), C(A2), C(M1), C(M2), C(M3)) that must stop it, and how the decision is reached from
    what the account holds - and reports each row C(pass) or C(fail) with one line of evidence.
  - "Procedures: C(policy evaluation) (the account's live IAM and VPC endpoint policies replayed by the
    collection's own policy evaluator, the caller granted everything on top of them), C(DNS Firewall evaluation)
    (rule groups by association priority, rules by priority, first match wins, ALERT counted as staged, and the
    VPC must fail closed), C(route analysis) (no route or gateway leaves the SageMaker VPC), C(private DNS) (the
    console and sign-in names go to the browser VPC's endpoints), C(browser settings) (the portal's user
    settings), C(browser URL filtering) (web content filtering and Chrome's URL policies) and C(SageMaker domain
    settings)."
  - Finds the perimeter's resources by their tags (C(mlperimeter:managed=true), C(mlperimeter:control=<id>)) -
    the browser VPC (C(A1)), the SageMaker VPC (C(M1)), the Secure Browser portal, the SageMaker domain (C(M3))
    and the perimeter policies on the roles. A row whose resources cannot be found fails with evidence naming
    what is missing.
  - Read-only, in check mode too; never changes anything.
author:
  - mlperimeter contributors
options:
  scope:
    description:
      - Which rows to decide. C(access) - the access account's rows (A1, A2). C(ml) - an ML account's rows (M1,
        M2, M3).
    type: str
    required: true
    choices: [access, ml]
  organization_id:
    description:
      - The organisation of the company's accounts (C(perimeter_org_id)); the insiders' requests carry it as
        C(aws:PrincipalOrgID) and C(aws:ResourceOrgID).
    type: str
    required: true
  data_scientist_roles:
    description:
      - Names of the data-scientist roles of the account (C(perimeter_data_scientist_roles)); the identity rows
        are decided for each. Required with O(scope=ml).
    type: list
    elements: str
    default: []
  sagemaker_execution_roles:
    description:
      - Names of the SageMaker execution roles of the account (C(perimeter_sagemaker_execution_roles)). Without
        any, the execution-role row fails.
    type: list
    elements: str
    default: []
  ml_buckets:
    description:
      - The buckets SageMaker may write to (C(perimeter_ml_buckets)); the S3 endpoint row writes to an
        organisation bucket that is not among them.
    type: list
    elements: str
    default: []
  dns_firewall_mode:
    description:
      - The mode the rollout gives the DNS Firewall of this account's VPC (C(perimeter_dns_firewall_mode) in an ML
        account, C(perimeter_browser_dns_firewall_mode) in the access account). With C(ALERT), a row that only
        ALERT lets through is C(staged), as its control is; with C(BLOCK) it fails.
    type: str
    choices: [BLOCK, ALERT]
    default: BLOCK
notes:
  - The attacker of the rows is fixed - account C(999999999999) in organisation C(o-attacker0001), address
    C(198.51.100.66), domain C(attacker.example) - so the rows stay the same from one account to the next.
  - The Region of the rows is the module's O(region).
attributes:
  check_mode:
    support: full
    description: Reads only; the same in check mode.
  diff_mode:
    support: none
    description: Reads only; there is no difference to show.
  idempotent:
    support: full
    description: Reads only.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The access account's rows
  mlperimeter.aws.perimeter_attack_matrix:
    scope: access
    organization_id: "{{ perimeter_org_id }}"
  register: access_matrix

- name: An ML account's rows
  mlperimeter.aws.perimeter_attack_matrix:
    scope: ml
    organization_id: "{{ perimeter_org_id }}"
    data_scientist_roles: "{{ perimeter_data_scientist_roles }}"
    sagemaker_execution_roles: "{{ perimeter_sagemaker_execution_roles }}"
    ml_buckets: "{{ perimeter_ml_buckets }}"
  register: ml_matrix

- name: Every attempt is stopped
  ansible.builtin.assert:
    that: ml_matrix.summary.fail == 0
    fail_msg: "{{ ml_matrix.rows | selectattr('status', 'eq', 'fail') | map(attribute='evidence') | list }}"
"""

RETURN = r"""
account_id:
  description: The account the rows were decided in.
  returned: always
  type: str
  sample: "222222222222"
scope:
  description: The scope decided.
  returned: always
  type: str
  sample: ml
rows:
  description: One result per row of the scope, in the matrix's order.
  returned: always
  type: list
  elements: dict
  contains:
    row:
      description: The row's id, its control first.
      type: str
      sample: M1-sagemaker-vpc-internet
    attempt:
      description: The exfiltration attempt.
      type: str
      sample: reach the internet from the SageMaker VPC
    control:
      description: The control that must stop it.
      type: str
      choices: [A1, A2, M1, M2, M3]
    procedure:
      description: How the decision is reached.
      type: str
      choices: [policy evaluation, DNS Firewall evaluation, route analysis, private DNS, browser settings,
                browser URL filtering, SageMaker domain settings]
    status:
      description: C(pass) when the control stops the attempt; C(staged) when only a DNS Firewall in ALERT mode,
        as O(dns_firewall_mode) says the rollout runs it, lets it through; else C(fail).
      type: str
      choices: [pass, staged, fail]
    evidence:
      description: One line - what stops the attempt, or what lets it through or is missing.
      type: str
      sample: "SageMaker VPC vpc-0a1b2c3d4e5f67890 has a way out: internet gateway igw-0123 for 0.0.0.0/0
        (route table rtb-0456)"
summary:
  description: How many rows passed, are staged and failed.
  returned: always
  type: dict
  contains:
    pass:
      description: Rows whose control stops the attempt.
      type: int
    staged:
      description: Rows that only a DNS Firewall in ALERT mode lets through, as the rollout intends.
      type: int
    fail:
      description: Rows that let the attempt through or could not be decided.
      type: int
  sample: {"pass": 31, "staged": 0, "fail": 0}
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.mlperimeter.aws.plugins.module_utils import attack_matrix
from ansible_collections.mlperimeter.aws.plugins.module_utils.iam import get_caller_identity
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule
from ansible_collections.mlperimeter.aws.plugins.module_utils.retries import jittered_backoff


def do(module):
    params = module.params
    problems = attack_matrix.input_problems(params)
    if problems:
        module.fail_json(msg="; ".join(problems))
    account_id = get_caller_identity(module.client("sts", retry_decorator=jittered_backoff()))["Account"]
    facts = attack_matrix.Facts(
        account_id=account_id,
        region=module.region,
        organization_id=params["organization_id"],
        data_scientist_roles=tuple(params["data_scientist_roles"]),
        sagemaker_execution_roles=tuple(params["sagemaker_execution_roles"]),
        ml_buckets=tuple(params["ml_buckets"]),
    )
    state = attack_matrix.AccountState(module.client, facts)
    rows, summary = attack_matrix.decide_matrix(params["scope"], state,
                                                dns_firewall_staged=params["dns_firewall_mode"] == "ALERT")
    module.exit_json(changed=False, account_id=account_id, scope=params["scope"], rows=rows, summary=summary)


def main():
    argument_spec = dict(
        scope=dict(type="str", required=True, choices=list(attack_matrix.SCOPES)),
        organization_id=dict(type="str", required=True),
        data_scientist_roles=dict(type="list", elements="str", default=[]),
        sagemaker_execution_roles=dict(type="list", elements="str", default=[]),
        ml_buckets=dict(type="list", elements="str", default=[]),
        dns_firewall_mode=dict(type="str", choices=["BLOCK", "ALERT"], default="BLOCK"),
    )
    module = MLPerimeterAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
