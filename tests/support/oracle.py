"""Policy decisions from the independent oracle, ``@cloud-copilot/iam-simulate``.

A test tool only: the collection never uses it. ``tests/oracle/simulate.js`` decides a
batch of requests in one Node process; install its package with
``npm ci --prefix tests/oracle``.

A request is a dict in the script's input shape; build it with :func:`request`.
Identity, endpoint and boundary policies are given as ``{name: document}``; SCPs and
RCPs likewise, all at one level of the organisation. AWS attaches ``FullAWSAccess`` to
every organisation node by default and the perimeter's SCPs are deny statements on
top of it, so :func:`request` adds that allow to the SCP level it builds.
"""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ORACLE_DIR = Path(__file__).resolve().parents[1] / "oracle"
SCRIPT = ORACLE_DIR / "simulate.js"
PACKAGE = ORACLE_DIR / "node_modules" / "@cloud-copilot" / "iam-simulate"
INSTALL_COMMAND = "npm ci --prefix tests/oracle"

ALLOWED = "Allowed"
EXPLICITLY_DENIED = "ExplicitlyDenied"
IMPLICITLY_DENIED = "ImplicitlyDenied"

FULL_AWS_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


class OracleError(RuntimeError):
    """The oracle could not run, or refused a request (an unknown action, an invalid policy)."""


@dataclass(frozen=True)
class Decision:
    decision: str
    blocked_by: tuple = ()
    denials: tuple = ()
    grants: tuple = ()
    ignored_context_keys: tuple = ()
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def allowed(self):
        return self.decision == ALLOWED

    def denied_by(self, policy_type=None, policy=None):
        """Denials of a policy type ("identity", "vpce", "resource", "scp", "rcp", "pb") and/or policy name."""
        return [
            d for d in self.denials
            if (policy_type is None or d.get("policyType") == policy_type)
            and (policy is None or d.get("policyIdentifier") == policy)
        ]

    def explain(self):
        parts = [self.decision]
        for denial in self.denials:
            where = denial.get("policyIdentifier") or denial.get("identifier") or ""
            sid = denial.get("statementId") or denial.get("statementIndex") or ""
            kind = denial.get("denialType", "").lower()
            parts.append(f"{kind} deny by {denial.get('policyType')} {where} {sid}".rstrip())
        for grant in self.grants:
            parts.append(f"allow by {grant.get('policyType')} {grant.get('policyIdentifier', '')}".rstrip())
        if self.ignored_context_keys:
            parts.append(f"context keys not applicable to the action: {', '.join(self.ignored_context_keys)}")
        return "; ".join(parts)


def _named(policies):
    return [{"name": name, "policy": document} for name, document in (policies or {}).items()]


def _context(context):
    values = {}
    for key, value in (context or {}).items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            value = [str(v) for v in value]
        else:
            value = str(value)
        values[key] = value
    return values


def request(*, principal, action, resource, resource_account, identity_policies=None, resource_policy=None,
            vpc_endpoint_policies=None, scps=None, rcps=None, permission_boundaries=None, context=None,
            org_node="o-root"):
    """One authorization request in the oracle's input shape."""
    built = {
        "principal": principal,
        "action": action,
        "resource": resource,
        "resourceAccount": resource_account,
        "context": _context(context),
        "identityPolicies": _named(identity_policies),
        "vpcEndpointPolicies": _named(vpc_endpoint_policies),
        "permissionBoundaryPolicies": _named(permission_boundaries),
        "serviceControlPolicies": [],
        "resourceControlPolicies": [],
    }
    if resource_policy is not None:
        built["resourcePolicy"] = resource_policy
    if scps:
        built["serviceControlPolicies"] = [
            {"orgIdentifier": org_node, "policies": _named({"FullAWSAccess": FULL_AWS_ACCESS, **scps})}
        ]
    if rcps:
        built["resourceControlPolicies"] = [{"orgIdentifier": org_node, "policies": _named(rcps)}]
    return built


def _node():
    node = os.environ.get("MLPERIMETER_NODE") or shutil.which("node")
    if not node:
        raise OracleError("Node.js is not on PATH; the policy oracle needs it (set MLPERIMETER_NODE to its path)")
    if not PACKAGE.is_dir():
        raise OracleError(f"@cloud-copilot/iam-simulate is not installed in {ORACLE_DIR}; run: {INSTALL_COMMAND}")
    return node


def decide(requests):
    """Decide a batch of requests in one Node process; one :class:`Decision` per request, in order."""
    requests = list(requests)
    if not requests:
        return []
    completed = subprocess.run(
        [_node(), str(SCRIPT)], input=json.dumps(requests), cwd=ORACLE_DIR,
        capture_output=True, text=True, timeout=300, check=False,
    )
    if completed.returncode != 0:
        raise OracleError(f"simulate.js exited with {completed.returncode}: {completed.stderr.strip()}")
    answers = json.loads(completed.stdout)
    if len(answers) != len(requests):
        raise OracleError(f"simulate.js answered {len(answers)} decisions for {len(requests)} requests")
    decisions = []
    for asked, answer in zip(requests, answers, strict=True):
        if answer["decision"] == "Error":
            raise OracleError(
                f"the oracle refused {asked['action']} on {asked['resource']}: {json.dumps(answer['errors'])}"
            )
        decisions.append(Decision(
            decision=answer["decision"],
            blocked_by=tuple(answer.get("blockedBy", ())),
            denials=tuple(answer.get("denials", ())),
            grants=tuple(answer.get("grants", ())),
            ignored_context_keys=tuple(answer.get("ignoredContextKeys", ())),
            raw=answer,
        ))
    return decisions


def decide_one(**kwargs):
    """Decide one request; takes :func:`request`'s arguments."""
    return decide([request(**kwargs)])[0]


def decide_rows(rows, state, accounts):
    """Decide every probe of attack-matrix ``rows`` against ``state`` in one oracle run.

    Returns row id → [(probe, decision)], for tests that hold rendered policies to the matrix.
    """
    probes = [(row, probe) for row in rows for account in accounts for probe in row.probes(state, account)]
    decided = {}
    for (row, probe), decision in zip(probes, decide(probe.request for _, probe in probes), strict=True):
        decided.setdefault(row.id, []).append((probe, decision))
    return decided
