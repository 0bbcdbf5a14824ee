"""The attack matrix's row decisions on synthetic state: a closed perimeter passes every row, and each
row fails, naming what let the attempt through, when its control opens or goes missing."""

import copy
import json

import pytest
from ansible_collections.mlperimeter.aws.plugins.module_utils import attack_matrix as matrix
from ansible_collections.mlperimeter.aws.plugins.module_utils.dns_firewall_evaluation import association_from_api

ACCESS_ACCOUNT, ML_ACCOUNT, REGION, ORG_ID = "111111111111", "222222222222", "us-east-1", "o-mlperim001"
SAGEMAKER_VPC, BROWSER_VPC = "vpc-0sagemaker000001", "vpc-0browser0000001"
DATA_SCIENTIST, EXECUTION = "mlperimeter-data-scientist", "mlperimeter-sagemaker-execution"
ML_BUCKET = f"mlperimeter-ml-data-{ML_ACCOUNT}"


def _policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


PERIMETER = {
    "M1": _policy({
        "Sid": "DenyOutsideExpectedNetworks", "Effect": "Deny", "NotAction": "sts:GetCallerIdentity", "Resource": "*",
        "Condition": {"NotIpAddressIfExists": {"aws:SourceIp": ["203.0.113.10/32"]},
                      "StringNotEqualsIfExists": {"aws:SourceVpc": [SAGEMAKER_VPC, BROWSER_VPC]},
                      "BoolIfExists": {"aws:ViaAWSService": "false"}}}),
    "M2": _policy(
        {"Sid": "DenyResourcesOutsideTrustedAccounts", "Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"StringNotEqualsIfExists": {"aws:ResourceAccount": [ML_ACCOUNT]}}},
        {"Sid": "DenySharingAndPerimeterTampering", "Effect": "Deny", "Resource": "*", "Action": [
            "s3:PutBucketPolicy", "kms:PutKeyPolicy", "iam:UpdateAssumeRolePolicy", "ec2:ModifySnapshotAttribute",
            "ec2:ModifyImageAttribute", "rds:ModifyDBSnapshotAttribute", "iam:DetachRolePolicy",
            "iam:CreatePolicyVersion", "iam:DeletePolicy", "ec2:CreateRoute", "ec2:AttachInternetGateway",
            "ec2:DeleteVpcEndpoints", "ec2:ModifyVpcEndpoint", "route53resolver:DisassociateFirewallRuleGroup",
            "route53resolver:UpdateFirewallConfig", "route53resolver:UpdateFirewallDomains"]}),
    "M3": _policy(
        {"Sid": "DenyOutsideVpc", "Effect": "Deny", "Resource": "*", "Action": [
            "sagemaker:CreateTrainingJob", "sagemaker:CreateNotebookInstance", "sagemaker:CreateDomain"],
         "Condition": {"Null": {"sagemaker:VpcSubnets": "true"}}},
        {"Sid": "DenyDirectInternet", "Effect": "Deny", "Resource": "*", "Action": "sagemaker:CreateNotebookInstance",
         "Condition": {"StringEquals": {"sagemaker:DirectInternetAccess": "Enabled"}}},
        {"Sid": "DenyPublicDomains", "Effect": "Deny", "Resource": "*",
         "Action": ["sagemaker:CreateDomain", "sagemaker:UpdateDomain"],
         "Condition": {"StringNotEqualsIfExists": {"sagemaker:AppNetworkAccessType": "VpcOnly"}}}),
}
ORG_ONLY = _policy({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}})
S3_ENDPOINT = _policy(
    {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{ML_BUCKET}/*",
     "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}},
    {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID, "aws:ResourceOrgID": ORG_ID}}})
OPEN = _policy({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})
ALLOWED_URLS = ["aws.amazon.com", ".d-ourstudio0001.studio.us-east-1.sagemaker.aws"]


def _walled_garden(allowed):
    association = {"Priority": 9000, "FirewallRuleGroupId": "rslvr-frg-egress", "Arn": (
        f"arn:aws:route53resolver:{REGION}:{ML_ACCOUNT}:firewall-rule-group-association/rslvr-frgassoc-1")}
    rules = [{"Priority": 100, "Action": "ALLOW", "FirewallDomainListId": "rslvr-fdl-approved", "Name": "approved"},
             {"Priority": 200, "Action": "BLOCK", "FirewallDomainListId": "rslvr-fdl-all", "Name": "everything",
              "BlockResponse": "NXDOMAIN"}]
    return {"association": association, "rules": rules,
            "domains": {"rslvr-fdl-approved": allowed, "rslvr-fdl-all": ["*."]}, "fail_open": False}


def _endpoint(endpoint_id, service, policy):
    return {"VpcEndpointId": endpoint_id, "ServiceName": f"com.amazonaws.{REGION}.{service}",
            "PolicyDocument": json.dumps(policy), "State": "available"}


def _alias(name, endpoint_id):
    return {"Name": name + ".", "Type": "A", "AliasTarget": {"DNSName": f"{endpoint_id}-x.vpce.amazonaws.com."}}


def closed_world():
    """Everything the rows look at, as a rollout leaves it, in the shapes AWS describes it."""
    return {
        "vpcs": {"M1": {"VpcId": SAGEMAKER_VPC, "CidrBlock": "10.40.0.0/16"},
                 "A1": {"VpcId": BROWSER_VPC, "CidrBlock": "10.20.0.0/16"}},
        "subnets": {SAGEMAKER_VPC: ["subnet-0a", "subnet-0b"]},
        "routes": {SAGEMAKER_VPC: {"internet_gateways": [], "route_tables": [{
            "RouteTableId": "rtb-0sagemaker", "VpcId": SAGEMAKER_VPC, "Routes": [
                {"DestinationCidrBlock": "10.40.0.0/16", "GatewayId": "local", "State": "active"},
                {"DestinationPrefixListId": "pl-63a5400a", "GatewayId": "vpce-0s3", "State": "active"}]}]}},
        "endpoints": {SAGEMAKER_VPC: [_endpoint("vpce-0s3", "s3", S3_ENDPOINT),
                                      _endpoint("vpce-0api", "sagemaker.api", ORG_ONLY)],
                      BROWSER_VPC: [_endpoint("vpce-0signin", "signin", ORG_ONLY),
                                    _endpoint("vpce-0console", "console", ORG_ONLY)]},
        "dns": {SAGEMAKER_VPC: _walled_garden(["*.amazonaws.com.", "amazonaws.com."]),
                BROWSER_VPC: _walled_garden(["*.aws.amazon.com.", "aws.amazon.com."])},
        "zones": {BROWSER_VPC: {
            "signin.aws.amazon.com": [_alias("signin.aws.amazon.com", "vpce-0signin"),
                                      _alias("\\052.signin.aws.amazon.com", "vpce-0signin")],
            "console.aws.amazon.com": [_alias("console.aws.amazon.com", "vpce-0console"),
                                       _alias("\\052.console.aws.amazon.com", "vpce-0console")]}},
        "roles": {DATA_SCIENTIST: ["M1", "M2", "M3"], EXECUTION: ["M2", "M3"]},
        "domains": [({"DomainId": "d-ourstudio0001", "DomainArn": "arn:d", "AppNetworkAccessType": "VpcOnly",
                      "VpcId": SAGEMAKER_VPC}, {"mlperimeter:managed": "true", "mlperimeter:control": "M3"})],
        "userSettings": {"userSettingsArn": "arn:user-settings", **{
            f"{what}Allowed": "Disabled" for what in ("copy", "paste", "download", "upload", "print")}},
        "browserSettings": {
            "browserSettingsArn": "arn:browser-settings",
            "webContentFilteringPolicy": {"blockedUrls": ["*"], "allowedUrls": list(ALLOWED_URLS)},
            "browserPolicy": json.dumps({"chromePolicies": {"URLBlocklist": {"value": ["*"]},
                                                             "URLAllowlist": {"value": ALLOWED_URLS}}})},
    }


class SyntheticState(matrix.AccountState):
    """The matrix's reads answered from a synthetic world instead of AWS."""

    def __init__(self, world, account=ML_ACCOUNT, execution_roles=(EXECUTION,)):
        super().__init__(self._no_aws, matrix.Facts(
            account_id=account, region=REGION, organization_id=ORG_ID, data_scientist_roles=(DATA_SCIENTIST,),
            sagemaker_execution_roles=tuple(execution_roles), ml_buckets=(ML_BUCKET,)))
        self.world = world

    @staticmethod
    def _no_aws(service):
        raise AssertionError(f"the synthetic state has no {service} client")

    def _missing(self, what, table, key):
        if key not in self.world[table]:
            raise matrix.StateMissing(what)
        return self.world[table][key]

    def role(self, name):
        self._missing(f"get IAM role {name}: NoSuchEntity", "roles", name)
        return {"RoleName": name, "Arn": f"arn:aws:iam::{self.account}:role/mlperimeter/demo/{name}"}

    def role_policies(self, role_name):
        arns = {f"arn:aws:iam::{self.account}:policy/perimeter-{control}": control
                for control in self.world["roles"][role_name]}
        return {arn: PERIMETER[control] for arn, control in arns.items()}, arns

    def vpc(self, control):
        return self._missing(f"no VPC tagged mlperimeter:control={control} in account {self.account}", "vpcs", control)

    def endpoints(self, vpc_id):
        return tuple(self.world["endpoints"].get(vpc_id, ()))

    def subnet_ids(self, vpc_id):
        return self._missing(f"no subnet in SageMaker VPC {vpc_id}", "subnets", vpc_id)

    def route_state(self, vpc_id):
        return self.world["routes"][vpc_id]

    def dns_firewall(self, vpc_id):
        dns = self._missing(f"no DNS Firewall rule group associated with VPC {vpc_id}", "dns", vpc_id)
        associations = (association_from_api(dns["association"], dns["rules"], dns["domains"]),)
        return associations, dns["fail_open"], (dns["association"],), {"Id": "rslvr-fc-1"}

    def private_zone_records(self, vpc_id):
        return self.world["zones"].get(vpc_id, {})

    def portal_settings(self, kind):
        self._missing(f"no Secure Browser portal tagged mlperimeter:managed=true in account {self.account}",
                      kind, f"{kind}Arn")
        return self.world[kind]

    def sagemaker_domains(self):
        return tuple(self.world["domains"])


def _decide(world, scope, **options):
    account = ACCESS_ACCOUNT if scope == matrix.ACCESS else ML_ACCOUNT
    results, summary = matrix.decide_matrix(scope, SyntheticState(world, account, **options))
    return {r["row"]: r for r in results}, summary


@pytest.mark.parametrize("scope", matrix.SCOPES)
def test_a_closed_perimeter_passes_every_row(scope):
    results, summary = _decide(closed_world(), scope)
    failing = {row: r["evidence"] for row, r in results.items() if r["status"] != matrix.PASS}
    assert not failing
    assert summary == {"pass": len(matrix.rows_for(scope)), "staged": 0, "fail": 0}
    assert all(r["evidence"] and "\n" not in r["evidence"] for r in results.values())


def _setting(setting):
    def open_it(world):
        world["userSettings"][setting] = "Enabled"
    return open_it


def _allow_url(entry):
    def open_it(world):
        world["browserSettings"]["webContentFilteringPolicy"]["allowedUrls"].append(entry)
        world["browserSettings"]["browserPolicy"] = json.dumps({"chromePolicies": {
            "URLBlocklist": {"value": ["*"]}, "URLAllowlist": {"value": [*ALLOWED_URLS, entry]}}})
    return open_it


def _drop_block_rule(vpc_id):
    def open_it(world):
        world["dns"][vpc_id]["rules"].pop()
    return open_it


def _alert_instead_of_block(world):
    world["dns"][SAGEMAKER_VPC]["rules"][1]["Action"] = "ALERT"


def _open_endpoints(vpc_id, service):
    def open_it(world):
        for endpoint in world["endpoints"][vpc_id]:
            if endpoint["ServiceName"].endswith("." + service):
                endpoint["PolicyDocument"] = json.dumps(OPEN)
    return open_it


def _drop_zones(world):
    world["zones"][BROWSER_VPC] = {}


def _internet_route(world):
    world["routes"][SAGEMAKER_VPC]["route_tables"][0]["Routes"].append(
        {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0drift", "State": "active"})


def _detach(control):
    def open_it(world):
        for controls in world["roles"].values():
            if control in controls:
                controls.remove(control)
    return open_it


def _public_domain(world):
    world["domains"][0][0]["AppNetworkAccessType"] = "PublicInternetOnly"


SETTINGS = {"A1-download": "downloadAllowed", "A1-upload": "uploadAllowed", "A1-copy": "copyAllowed",
            "A1-paste": "pasteAllowed", "A1-print": "printAllowed"}
OPENINGS = {
    **{row: (_setting(setting), f"{setting} is 'Enabled', not 'Disabled'") for row, setting in SETTINGS.items()},
    "A2-non-aws-site": (_allow_url("attacker.example"), "the portal opens it"),
    "A2-foreign-studio": (_allow_url("sagemaker.aws"), "allowed by 'sagemaker.aws'"),
    "A2-page-script-dns": (_drop_block_rule(BROWSER_VPC), f"A upload.attacker.example resolves in VPC {BROWSER_VPC}"),
    "A2-signin-foreign-account": (_open_endpoints(BROWSER_VPC, "signin"),
                                  "not denied by the policy of endpoint vpce-0signin"),
    "A2-console-foreign-account": (_open_endpoints(BROWSER_VPC, "console"),
                                   "not denied by the policy of endpoint vpce-0console"),
    "A2-signin-public-endpoint": (_drop_zones, "signin.aws.amazon.com resolves publicly"),
    "M1-sagemaker-vpc-internet": (_internet_route, "internet gateway igw-0drift for 0.0.0.0/0"),
    "M2-dns-attacker-domain": (_alert_instead_of_block, "staged, not closed: ALERT lets it resolve"),
    "M2-dns-tunnel-txt": (_alert_instead_of_block, "staged, not closed: ALERT lets it resolve"),
    "M3-put-foreign-bucket-via-endpoint": (_open_endpoints(SAGEMAKER_VPC, "s3"),
                                           "not denied by the policy of endpoint vpce-0s3"),
    "M3-put-unlisted-org-bucket-via-endpoint": (_open_endpoints(SAGEMAKER_VPC, "s3"),
                                                "not denied by the policy of endpoint vpce-0s3"),
    "M3-domain-public-internet": (_public_domain, "d-ourstudio0001 (PublicInternetOnly"),
}
POLICY_ROWS = {row.id: (_detach(row.control), f"not explicitly denied by a mlperimeter:control={row.control} policy")
               for row in matrix.ROWS if row.procedure == matrix.POLICY and row.id not in OPENINGS}


def test_every_row_has_a_way_to_open():
    assert set(OPENINGS) | set(POLICY_ROWS) == {row.id for row in matrix.ROWS}


@pytest.mark.parametrize("row", matrix.ROWS, ids=lambda row: row.id)
def test_a_row_fails_when_its_control_opens(row):
    world = closed_world()
    open_it, evidence = {**OPENINGS, **POLICY_ROWS}[row.id]
    open_it(world)
    result = _decide(world, row.scope)[0][row.id]
    assert result["status"] == matrix.FAIL
    assert result["evidence"].startswith(f"{row.attempt.format(region=REGION)} gets through ({row.procedure}): ")
    assert evidence in result["evidence"]


def test_rows_only_alert_lets_through_are_staged_when_the_rollout_stages_the_firewall():
    world = closed_world()
    _alert_instead_of_block(world)
    state = SyntheticState(world, ML_ACCOUNT)
    staged, summary = matrix.decide_matrix(matrix.ML, state, dns_firewall_staged=True)
    by_id = {r["row"]: r for r in staged}
    assert {r["row"] for r in staged if r["status"] == matrix.STAGED} == {"M2-dns-attacker-domain", "M2-dns-tunnel-txt"}
    assert "staged, not closed: ALERT lets it resolve" in by_id["M2-dns-attacker-domain"]["evidence"]
    assert summary == {"pass": len(staged) - 2, "staged": 2, "fail": 0}
    enforced, _ = matrix.decide_matrix(matrix.ML, state)
    assert {r["row"] for r in enforced if r["status"] == matrix.FAIL} == {"M2-dns-attacker-domain", "M2-dns-tunnel-txt"}


def test_rows_fail_naming_what_is_missing():
    world = closed_world()
    del world["vpcs"]["M1"]
    results, _ = _decide(world, matrix.ML)
    # Only stolen credentials, used away from the SageMaker VPC, are decided without it.
    needs_the_vpc = {row for row in results if not row.startswith("M1-stolen-credentials")}
    for row in needs_the_vpc:
        assert results[row]["status"] == matrix.FAIL
        assert results[row]["evidence"] == (
            f"cannot be decided, missing: no VPC tagged mlperimeter:control=M1 in account {ML_ACCOUNT}")

    world = closed_world()
    del world["userSettings"]["userSettingsArn"]
    results, summary = _decide(world, matrix.ACCESS)
    assert {row for row, r in results.items() if r["status"] == matrix.FAIL} == set(SETTINGS)
    assert "missing: no Secure Browser portal" in results["A1-print"]["evidence"]


def test_the_execution_role_row_fails_without_execution_roles():
    results, summary = _decide(closed_world(), matrix.ML, execution_roles=())
    assert summary["fail"] == 1
    assert results["M3-training-job-outside-vpc-as-execution-role"]["evidence"] == (
        "cannot be decided, missing: no sagemaker-execution role given (sagemaker_execution_roles)")


def test_a_role_missing_from_the_account_fails_its_rows():
    world = closed_world()
    del world["roles"][EXECUTION]
    results, _ = _decide(world, matrix.ML)
    assert results["M3-training-job-outside-vpc-as-execution-role"]["evidence"] == (
        f"cannot be decided, missing: get IAM role {EXECUTION}: NoSuchEntity")


def test_a_policy_the_evaluator_cannot_read_fails_the_row(monkeypatch):
    broken = copy.deepcopy(PERIMETER["M1"])
    broken["Statement"][0]["Condition"] = {"NoSuchOperator": {"aws:SourceIp": "198.51.100.66"}}
    monkeypatch.setitem(PERIMETER, "M1", broken)
    result = _decide(closed_world(), matrix.ML)[0]["M1-stolen-credentials-internet"]
    assert result["status"] == matrix.FAIL
    assert result["evidence"].startswith("use a data scientist's stolen credentials from the attacker's IP gets "
                                         "through (policy evaluation): mlperimeter-data-scientist: cannot evaluate: ")


@pytest.mark.parametrize(("change", "message"), [
    ({"organization_id": "o-BAD"}, "organization_id: 'o-BAD' is not an organisation id"),
    ({"data_scientist_roles": ["no spaces"]}, "data_scientist_roles: 'no spaces' is not an IAM role name"),
    ({"sagemaker_execution_roles": ["x" * 65]}, "sagemaker_execution_roles: 'xxxx"),
    ({"ml_buckets": ["Bad_Bucket"]}, "ml_buckets: 'Bad_Bucket' is not an S3 bucket name"),
    ({"data_scientist_roles": []}, "data_scientist_roles: the ML rows need at least one data-scientist role"),
])
def test_inputs_are_checked_naming_the_option_and_value(change, message):
    params = {"scope": "ml", "organization_id": ORG_ID, "data_scientist_roles": [DATA_SCIENTIST],
              "sagemaker_execution_roles": [EXECUTION], "ml_buckets": [ML_BUCKET]}
    assert matrix.input_problems(params) == []
    problems = matrix.input_problems({**params, **change})
    assert len(problems) == 1 and problems[0].startswith(message)


def test_the_access_scope_needs_no_roles():
    assert matrix.input_problems({"scope": "access", "organization_id": ORG_ID, "data_scientist_roles": [],
                                  "sagemaker_execution_roles": [], "ml_buckets": []}) == []
