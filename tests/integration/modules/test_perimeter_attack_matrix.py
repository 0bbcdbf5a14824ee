"""perimeter_attack_matrix: the attack matrix decided by the collection in each account of a converged
rollout, and in a perimeter of the test's own that drifts open.

The referee is the test suite's own matrix (``tests/integration/test_attack_matrix.py``): its rows,
its look-ups and its independent oracles (``@cloud-copilot/iam-simulate`` for policies). Every row the
module reports must carry the matrix's id, attempt and control, and reach the matrix's verdict.
"""

import pytest
import yaml
from integration import test_attack_matrix as referee

from support import oracle
from support.ansible import REPO
from support.calls import writes
from support.matrix_state import ACCESS_ACCOUNT, ML_ACCOUNTS, REGION, LiveState
from support.modules import run_module

LOCAL_VARS = yaml.safe_load((REPO / "inventories" / "local" / "group_vars" / "all.yml").read_text())
SCOPES = {ACCESS_ACCOUNT: "access", **{account: "ml" for account in ML_ACCOUNTS}}


def local_facts(account):
    """The module's arguments as the local inventory implies them for ``account``."""
    args = {"scope": SCOPES[account], "organization_id": LOCAL_VARS["perimeter_org_id"]}
    if args["scope"] == "ml":
        args.update(
            data_scientist_roles=LOCAL_VARS["perimeter_data_scientist_roles"],
            sagemaker_execution_roles=LOCAL_VARS["perimeter_sagemaker_execution_roles"],
            ml_buckets=[name.replace("{{ aws_account_id }}", account) for name in LOCAL_VARS["perimeter_ml_buckets"]],
        )
    return args


def run_matrix(emulator, account, args, check=False):
    """The module's result in ``account`` and the calls it made there."""
    before = len(emulator.calls())
    result = run_module("perimeter_attack_matrix", args, emulator=emulator, account_id=account, region=REGION,
                        check=check)
    calls = [c for c in emulator.calls()[before:] if c["account"] == account]
    return result, calls


def referee_verdicts(state, scope, account):
    """{row id: None when the test suite's matrix finds the attempt stopped, else why not}."""
    verdicts, pending, batch = {}, [], []
    for row in referee.ROWS:
        if row.scope != scope:
            continue
        try:
            if row.probes is None:
                referee._missing_on_not_found(lambda row=row: row.check(state, account))
                verdicts[row.id] = None
            else:
                probes = referee._missing_on_not_found(lambda row=row: row.probes(state, account))
                pending.append((row.id, probes))
                batch += [probe.request for probe in probes]
        except AssertionError as stopped_not:  # StateMissing is one too
            verdicts[row.id] = str(stopped_not) or type(stopped_not).__name__
    decisions = iter(oracle.decide(batch))
    for row_id, probes in pending:
        failures = [f"{probe.label}: {message}" for probe in probes if (message := probe.expect(next(decisions)))]
        verdicts[row_id] = " | ".join(failures) if probes and failures else None if probes else "nothing to decide"
    return verdicts


def disagreements(result, verdicts):
    return [f"{r['row']}: module says {r['status']} ({r['evidence']}); the matrix says {verdicts[r['row']] or 'pass'}"
            for r in result["rows"] if (r["status"] == "pass") != (verdicts[r["row"]] is None)]


@pytest.fixture(scope="module")
def converged(rolled_out):
    """Each local account's module result, the calls it made, and the matrix's verdicts there."""
    state = LiveState(rolled_out)
    return {account: (*run_matrix(rolled_out, account, local_facts(account)),
                      referee_verdicts(state, SCOPES[account], account))
            for account in SCOPES}


@pytest.mark.parametrize("account", list(SCOPES))
def test_every_row_passes_after_a_rollout(converged, account):
    result, _, _ = converged[account]
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False and result["account_id"] == account
    failing = [f"{r['row']}: {r['evidence']}" for r in result["rows"] if r["status"] != "pass"]
    assert not failing
    assert result["summary"] == {"pass": len(result["rows"]), "staged": 0, "fail": 0}
    assert all(r["evidence"] and "\n" not in r["evidence"] for r in result["rows"])


@pytest.mark.parametrize("account", list(SCOPES))
def test_the_rows_are_the_matrix_rows_of_the_scope(converged, account):
    result, _, _ = converged[account]
    expected = {row.id: (row.attempt, row.control) for row in referee.ROWS if row.scope == SCOPES[account]}
    assert {r["row"]: (r["attempt"], r["control"]) for r in result["rows"]} == expected


@pytest.mark.parametrize("account", list(SCOPES))
def test_each_verdict_agrees_with_the_matrix(converged, account):
    result, _, verdicts = converged[account]
    assert set(verdicts) == {r["row"] for r in result["rows"]}
    assert not disagreements(result, verdicts)


@pytest.mark.parametrize("account", list(SCOPES))
def test_the_module_only_reads(converged, account):
    _, calls, _ = converged[account]
    assert writes(calls) == []
    operations = {c["operation"] for c in calls}
    read_by_scope = {"access": {"GetUserSettings", "GetBrowserSettings", "ListHostedZonesByVPC"},
                     "ml": {"DescribeRouteTables", "ListFirewallRules", "GetPolicyVersion", "ListDomains"}}
    assert read_by_scope[SCOPES[account]] <= operations


def test_check_mode_decides_the_same(converged, rolled_out):
    account = ML_ACCOUNTS[0]
    result, calls = run_matrix(rolled_out, account, local_facts(account), check=True)
    assert result["changed"] is False and writes(calls) == []
    assert result["rows"] == converged[account][0]["rows"]


def test_bad_input_fails_before_any_call(emulator, account_id):
    result, calls = run_matrix(emulator, account_id, {"scope": "ml", "organization_id": "o-BAD",
                                                      "data_scientist_roles": ["data scientist"]})
    assert result["failed"]
    assert result["msg"] == (
        "organization_id: 'o-BAD' is not an organisation id (o-<10 to 32 lower-case letters or digits>); "
        "data_scientist_roles: 'data scientist' is not an IAM role name (1 to 64 of letters, digits and +=,.@_-)")
    assert calls == []


# Accounts of the test's own: throttling and drift ---------------------------------------------------

def test_throttled_reads_are_retried(emulator):
    rehearsal = referee._rehearse(emulator)
    ml = rehearsal["ml"]
    args = {"scope": "ml", "organization_id": LOCAL_VARS["perimeter_org_id"],
            "data_scientist_roles": ["data-scientist"], "ml_buckets": [f"mlperimeter-data-{ml}"]}
    calm, _ = run_matrix(emulator, ml, args)
    emulator.add_fault(operation="*", error="ThrottlingException", rate=0.3, seed=7, account=ml)
    try:
        throttled, calls = run_matrix(emulator, ml, args)
    finally:
        emulator.clear_faults()
    assert not throttled.get("failed"), throttled.get("msg")
    assert throttled["rows"] == calm["rows"]
    assert sum(c["status"] == 400 for c in calls) >= 3 and writes(calls) == []


def _rows(result):
    return {r["row"]: r for r in result["rows"]}


def test_rows_fail_as_the_perimeter_drifts_open(emulator):
    """A closed perimeter planted with boto3 (the matrix's own rehearsal), then opened a step at a time."""
    rehearsal = referee._rehearse(emulator)
    aws, ml, access, planted = rehearsal["aws"], rehearsal["ml"], rehearsal["access"], rehearsal["planted"]
    ml_args = {"scope": "ml", "organization_id": LOCAL_VARS["perimeter_org_id"],
               "data_scientist_roles": ["data-scientist"], "ml_buckets": [f"mlperimeter-data-{ml}"]}
    access_args = {"scope": "access", "organization_id": LOCAL_VARS["perimeter_org_id"]}

    def decide(account, args, scope, row_id):
        result, calls = run_matrix(emulator, account, args)
        assert writes(calls) == []
        verdicts = referee_verdicts(rehearsal["state"](), scope, account)
        assert not disagreements(result, verdicts)
        return _rows(result)[row_id]

    closed = _rows(run_matrix(emulator, ml, ml_args)[0])
    assert all(closed[row]["status"] == "pass" for row in referee.REHEARSED_ML_ROWS), closed
    closed = _rows(run_matrix(emulator, access, access_args)[0])
    assert all(closed[row]["status"] == "pass" for row in referee.REHEARSED_ACCESS_ROWS), closed

    ec2, resolver, iam = aws("ec2", ml), aws("route53resolver", ml), aws("iam", ml)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=planted["vpc_id"])
    ec2.create_route(RouteTableId=planted["table_id"], DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    row = decide(ml, ml_args, "ml", "M1-sagemaker-vpc-internet")
    assert row["status"] == "fail"
    assert f"internet gateway {igw} for 0.0.0.0/0 (route table {planted['table_id']})" in row["evidence"]

    resolver.update_firewall_rule(FirewallRuleGroupId=planted["group_id"],
                                  FirewallDomainListId=planted["lists"]["everything"], Action="ALERT")
    row = decide(ml, ml_args, "ml", "M2-dns-attacker-domain")
    assert row["status"] == "fail" and "staged, not closed: ALERT lets it resolve" in row["evidence"]

    network = next(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="data-scientist")[
        "AttachedPolicies"] if p["PolicyName"] == "perimeter-M1")
    iam.detach_role_policy(RoleName="data-scientist", PolicyArn=network)
    row = decide(ml, ml_args, "ml", "M1-stolen-credentials-internet")
    assert row["status"] == "fail"
    assert "not explicitly denied by a mlperimeter:control=M1 policy: Allowed" in row["evidence"]

    web = aws("workspaces-web", access)
    web.update_user_settings(userSettingsArn=rehearsal["browser"]["user_settings"], downloadAllowed="Enabled")
    row = decide(access, access_args, "access", "A1-download")
    assert row["status"] == "fail" and "downloadAllowed is 'Enabled', not 'Disabled'" in row["evidence"]
