"""Render deploy_role.cfn.yml from the policy documents beside it.

    python bootstrap/render_stack.py          write deploy_role.cfn.yml
    python bootstrap/render_stack.py --check  exit 1 when deploy_role.cfn.yml is not what the documents give

The JSON documents are the source: each deploy_role_policy_<n>.json becomes one managed policy of the
role, deploy_role_trust_policy.json its trust policy. Their ${AWS::AccountId}, ${AWS::Partition} and
${OperatorPrincipalArn} placeholders are CloudFormation's, so every string holding one is wrapped in
Fn::Sub and the stack fills them in per account.
"""

import json
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "deploy_role.cfn.yml"
ROLE_NAME = "mlperimeter-deploy"
# The role's own policies live outside /mlperimeter/, the path of the perimeter policies it manages.
POLICY_PATH = "/mlperimeter-bootstrap/"
HEADER = """\
# Rendered from deploy_role_policy_<n>.json and deploy_role_trust_policy.json by
# bootstrap/render_stack.py; edit those and render again. See bootstrap/README.md.
---
"""


class _IndentedDumper(yaml.SafeDumper):
    """Block sequences indented under their key, as yamllint expects."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def policy_files():
    return sorted(HERE.glob("deploy_role_policy_*.json"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))


def substituted(node):
    """``node`` with every string holding a ${...} placeholder wrapped in Fn::Sub."""
    if isinstance(node, dict):
        return {key: substituted(value) for key, value in node.items()}
    if isinstance(node, list):
        return [substituted(value) for value in node]
    if isinstance(node, str) and "${" in node:
        return {"Fn::Sub": node}
    return node


def template():
    resources = {}
    for path in policy_files():
        number = path.stem.rsplit("_", 1)[1]
        resources[f"DeployPolicy{number}"] = {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "ManagedPolicyName": f"{ROLE_NAME}-{number}",
                "Path": POLICY_PATH,
                "Description": f"mlperimeter deploy role, part {number} (bootstrap/{path.name})",
                "PolicyDocument": substituted(json.loads(path.read_text())),
            },
        }
    resources["DeployRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": ROLE_NAME,
            "Description": "Assumed by the mlperimeter playbooks to roll out, verify and tear down the perimeter",
            "MaxSessionDuration": 3600,
            "AssumeRolePolicyDocument": substituted(json.loads((HERE / "deploy_role_trust_policy.json").read_text())),
            "ManagedPolicyArns": [{"Ref": name} for name in resources],
            "Tags": [{"Key": "mlperimeter:managed", "Value": "true"}],
        },
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "The mlperimeter deploy role (deploy to every account of the perimeter with a StackSet)",
        "Parameters": {
            "OperatorPrincipalArn": {
                "Type": "String",
                "Description": "ARN of the IAM role or user the operators (or AWX) run ansible-playbook as; "
                               "the only principal that may assume the deploy role",
                "AllowedPattern": r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$",
            },
        },
        "Resources": resources,
        "Outputs": {"DeployRoleArn": {"Value": {"Fn::GetAtt": ["DeployRole", "Arn"]}}},
    }


def rendered():
    return HEADER + yaml.dump(template(), Dumper=_IndentedDumper, sort_keys=False, width=120)


def main(argv):
    if argv[1:] == ["--check"]:
        if TEMPLATE.read_text() != rendered():
            print(f"{TEMPLATE} is stale: run python bootstrap/render_stack.py", file=sys.stderr)
            return 1
        return 0
    TEMPLATE.write_text(rendered())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
