"""The M2 resource perimeter policy and the RCP documents: requests decided by the independent oracle,
the attack matrix's M2 probes against the rendered policy, bad input, size limits."""

import json

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.mlperimeter.aws.plugins.filter import perimeter_policies
from ansible_collections.mlperimeter.aws.plugins.filter.perimeter_policies import (
    MANAGED_POLICY_MAX_SIZE,
    iam_policy_size,
    network_perimeter_policy,
    resource_control_policies,
    resource_perimeter_policy,
)
from integration import test_attack_matrix as matrix

from support import dns_oracle, oracle
from support.matrix_state import DATA_SCIENTIST, ML_ACCOUNTS

ACCOUNT = "222222222222"
TRUSTED = "333333333333"
FOREIGN = "999999999999"
AWS_OWNED = "000000000001"
ORG_ID = "o-mlperim001"
REGION = "eu-west-1"
SAGEMAKER_VPC = "vpc-05a5a5a5a5a5a5a5a"
DATA_SCIENTIST_ARN = f"arn:aws:iam::{ACCOUNT}:role/data-scientist"
BREAK_GLASS = f"arn:aws:iam::{ACCOUNT}:role/break-glass"
PERIMETER_POLICY = f"arn:aws:iam::{ACCOUNT}:policy/mlperimeter/mlperimeter-resource-perimeter"
OTHER_POLICY = f"arn:aws:iam::{ACCOUNT}:policy/team/notebook-helpers"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _open_to_everyone(*resources):
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": list(resources)}]}


POLICY = json.loads(resource_perimeter_policy(
    ACCOUNT, trusted_resource_accounts=[TRUSTED], break_glass_principals=[BREAK_GLASS], region=REGION))


def _request(action, resource, *, principal=DATA_SCIENTIST_ARN, resource_account=ACCOUNT, resource_policy=None,
             context=None):
    return oracle.request(
        principal=principal, action=action, resource=resource, resource_account=resource_account,
        resource_policy=resource_policy,
        identity_policies={"allow-all": ALLOW_ALL, "mlperimeter-resource-perimeter": POLICY},
        context={"aws:PrincipalArn": principal, "aws:PrincipalAccount": ACCOUNT, "aws:PrincipalOrgID": ORG_ID,
                 "aws:SourceVpc": SAGEMAKER_VPC, "aws:RequestedRegion": REGION, "aws:ViaAWSService": False,
                 "aws:ResourceAccount": resource_account, **(context or {})},
    )


FOREIGN_BUCKET = "arn:aws:s3:::attacker-exfil-drop"
TRUSTED_BUCKET = "arn:aws:s3:::team-shared-features"
JUMPSTART_BUCKET = f"arn:aws:s3:::jumpstart-cache-prod-{REGION}"
DLC_REPOSITORY = f"arn:aws:ecr:{REGION}:763104351884:repository/pytorch-training"
ROUTE_TABLE = f"arn:aws:ec2:{REGION}:{ACCOUNT}:route-table/rtb-0a1b2c3d4e5f60718"
ASSOCIATION = f"arn:aws:route53resolver:{REGION}:{ACCOUNT}:firewall-rule-group-association/rslvr-frgassoc-0a1b2c"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0f0e0d0c-0b0a-4909-8807-060504030201"
ACCOUNT_ROOT = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
KEY_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": ACCOUNT_ROOT, "Action": "kms:*", "Resource": "*"}]}

# name: (request, decision for a data scientist, whether the break-glass role gets the opposite)
CASES = {
    "s3:PutObject to a foreign account's open bucket": (
        _request("s3:PutObject", f"{FOREIGN_BUCKET}/loot.csv", resource_account=FOREIGN,
                 resource_policy=_open_to_everyone(f"{FOREIGN_BUCKET}/*")), oracle.EXPLICITLY_DENIED),
    "s3:PutObject to a bucket of this account": (
        _request("s3:PutObject", "arn:aws:s3:::ml-data/train.csv"), oracle.ALLOWED),
    "s3:PutObject to a bucket of a trusted account": (
        _request("s3:PutObject", f"{TRUSTED_BUCKET}/features.parquet", resource_account=TRUSTED,
                 resource_policy=_open_to_everyone(f"{TRUSTED_BUCKET}/*")), oracle.ALLOWED),
    "s3:GetObject from the JumpStart bucket": (
        _request("s3:GetObject", f"{JUMPSTART_BUCKET}/models/model.tar.gz", resource_account=AWS_OWNED,
                 resource_policy=_open_to_everyone(f"{JUMPSTART_BUCKET}/*")), oracle.ALLOWED),
    "s3:GetObject from a foreign bucket": (
        _request("s3:GetObject", f"{FOREIGN_BUCKET}/tool.py", resource_account=FOREIGN,
                 resource_policy=_open_to_everyone(f"{FOREIGN_BUCKET}/*")), oracle.EXPLICITLY_DENIED),
    "ecr:BatchGetImage of a SageMaker deep learning container": (
        _request("ecr:BatchGetImage", DLC_REPOSITORY, resource_account="763104351884",
                 resource_policy=_open_to_everyone(DLC_REPOSITORY)), oracle.ALLOWED),
    "sts:AssumeRole into a foreign account": (
        _request("sts:AssumeRole", f"arn:aws:iam::{FOREIGN}:role/landing", resource_account=FOREIGN,
                 resource_policy={"Version": "2012-10-17", "Statement": [{
                     "Effect": "Allow", "Principal": ACCOUNT_ROOT, "Action": "sts:AssumeRole"}]}),
        oracle.EXPLICITLY_DENIED),
    "ec2:ModifySnapshotAttribute": (
        _request("ec2:ModifySnapshotAttribute", f"arn:aws:ec2:{REGION}::snapshot/snap-0a77ac4e500000001"),
        oracle.EXPLICITLY_DENIED),
    "ram:CreateResourceShare": (
        _request("ram:CreateResourceShare", "*"),
        oracle.EXPLICITLY_DENIED),
    "s3:PutBucketPolicy on a bucket of this account": (
        _request("s3:PutBucketPolicy", "arn:aws:s3:::ml-data"), oracle.EXPLICITLY_DENIED),
    "kms:PutKeyPolicy": (_request("kms:PutKeyPolicy", KEY, resource_policy=KEY_POLICY), oracle.EXPLICITLY_DENIED),
    "kms:CreateGrant for a principal": (
        _request("kms:CreateGrant", KEY, resource_policy=KEY_POLICY, context={"kms:GrantIsForAWSResource": False}),
        oracle.EXPLICITLY_DENIED),
    "kms:CreateGrant an AWS service makes for its resource": (
        _request("kms:CreateGrant", KEY, resource_policy=KEY_POLICY, context={"kms:GrantIsForAWSResource": True}),
        oracle.ALLOWED),
    "iam:UpdateAssumeRolePolicy": (
        _request("iam:UpdateAssumeRolePolicy", DATA_SCIENTIST_ARN), oracle.EXPLICITLY_DENIED),
    "iam:DetachRolePolicy of the perimeter policy": (
        _request("iam:DetachRolePolicy", DATA_SCIENTIST_ARN, context={"iam:PolicyARN": PERIMETER_POLICY}),
        oracle.EXPLICITLY_DENIED),
    "iam:DetachRolePolicy of another policy": (
        _request("iam:DetachRolePolicy", DATA_SCIENTIST_ARN, context={"iam:PolicyARN": OTHER_POLICY}),
        oracle.ALLOWED),
    "iam:CreatePolicyVersion of the perimeter policy": (
        _request("iam:CreatePolicyVersion", PERIMETER_POLICY), oracle.EXPLICITLY_DENIED),
    "iam:CreatePolicyVersion of another policy": (_request("iam:CreatePolicyVersion", OTHER_POLICY), oracle.ALLOWED),
    "ec2:CreateRoute": (_request("ec2:CreateRoute", ROUTE_TABLE), oracle.EXPLICITLY_DENIED),
    "ec2:CreateVpcEndpoint": (
        _request("ec2:CreateVpcEndpoint", f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-endpoint/vpce-0a1b2c3d4e5f60718"),
        oracle.EXPLICITLY_DENIED),
    "route53resolver:DisassociateFirewallRuleGroup": (
        _request("route53resolver:DisassociateFirewallRuleGroup", ASSOCIATION), oracle.EXPLICITLY_DENIED),
    "ec2:DeleteTags removing a perimeter tag": (
        _request("ec2:DeleteTags", f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{SAGEMAKER_VPC}",
                 context={"aws:TagKeys": ["mlperimeter:control"]}), oracle.EXPLICITLY_DENIED),
    "ec2:CreateTags with a tag of the team's own": (
        _request("ec2:CreateTags", f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{SAGEMAKER_VPC}",
                 context={"aws:TagKeys": ["team"]}), oracle.ALLOWED),
    "sagemaker:CreateTrainingJob in this account": (
        _request("sagemaker:CreateTrainingJob", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/churn"),
        oracle.ALLOWED),
}


def _as_break_glass(built):
    again = json.loads(json.dumps(built))
    again["principal"] = BREAK_GLASS
    again["context"]["aws:PrincipalArn"] = BREAK_GLASS
    return again


DENIED = [name for name, (_, decision) in CASES.items() if decision == oracle.EXPLICITLY_DENIED]


@pytest.fixture(scope="module")
def decisions():
    names = list(CASES)
    batch = [CASES[name][0] for name in names] + [_as_break_glass(CASES[name][0]) for name in DENIED]
    answers = oracle.decide(batch)
    return (dict(zip(names, answers[:len(names)], strict=True)),
            dict(zip(DENIED, answers[len(names):], strict=True)))


@pytest.mark.parametrize("name", list(CASES))
def test_oracle_decides_as_expected(name, decisions):
    decision = decisions[0][name]
    assert decision.decision == CASES[name][1], decision.explain()
    if decision.decision == oracle.EXPLICITLY_DENIED:
        assert decision.denied_by("identity", "mlperimeter-resource-perimeter"), decision.explain()


@pytest.mark.parametrize("name", DENIED)
def test_break_glass_principal_is_exempt(name, decisions):
    decision = decisions[1][name]
    assert decision.decision == oracle.ALLOWED, decision.explain()


def test_an_action_naming_no_resource_account_is_left_to_the_explicit_denials():
    statement = POLICY["Statement"][0]
    assert statement["Sid"] == "DenyResourcesOutsideTrustedAccounts"
    assert statement["Condition"]["Null"] == {"aws:ResourceAccount": "false"}
    built = _request("s3:ListAllMyBuckets", "*")
    del built["context"]["aws:ResourceAccount"]
    decision = oracle.decide([built])[0]
    assert decision.decision == oracle.ALLOWED, decision.explain()


# The attack matrix's M2 rows, with the rendered policies on the data-scientist role --------------------

class RenderedState:
    """What the matrix reads from an ML account, with the collection's rendered policies attached."""

    def __init__(self):
        self.vpc_id = SAGEMAKER_VPC
        network = json.loads(network_perimeter_policy(
            ["203.0.113.10"], {"vpc_id": "vpc-0b0b0b0b0b0b0b0b0", "region": "eu-central-1"},
            {"vpc_id": SAGEMAKER_VPC, "region": REGION}))
        self.policies = {}
        for account in ML_ACCOUNTS:
            resource = json.loads(resource_perimeter_policy(
                account, trusted_resource_accounts=list(ML_ACCOUNTS), region=REGION))
            self.policies[account] = {
                f"arn:aws:iam::{account}:policy/mlperimeter/mlperimeter-network-perimeter": ("M1", network),
                f"arn:aws:iam::{account}:policy/mlperimeter/mlperimeter-resource-perimeter": ("M2", resource),
            }

    def roles(self, account, role_kind):
        assert role_kind == DATA_SCIENTIST
        return ({"RoleName": "data-scientist", "Arn": f"arn:aws:iam::{account}:role/data-scientist"},)

    def role_policies(self, account, role_name):
        attached = self.policies[account]
        return ({arn: document for arn, (_, document) in attached.items()},
                {arn: control for arn, (control, _) in attached.items()})

    def vpc(self, account, control):
        return {"VpcId": self.vpc_id}

    def route_state(self, account, vpc_id):
        return {"route_tables": [{"RouteTableId": "rtb-0a1b2c3d4e5f60718"}]}

    def endpoints(self, account, vpc_id):
        return ({"VpcEndpointId": "vpce-0a1b2c3d4e5f60718"}, {"VpcEndpointId": "vpce-0f1e2d3c4b5a69788"})

    def dns_firewall(self, account, vpc_id):
        rules = (dns_oracle.Rule(100, dns_oracle.ALLOW, ("*.amazonaws.com",), domain_list_id="rslvr-fdl-approved"),
                 dns_oracle.Rule(200, dns_oracle.BLOCK, ("*",), domain_list_id="rslvr-fdl-everything"))
        association = dns_oracle.Association(9000, rules, rule_group_id="rslvr-frg-egress")
        arn = f"arn:aws:route53resolver:{REGION}:{account}:firewall-rule-group-association/rslvr-frgassoc-0a1b2c"
        return (association,), False, [{"Arn": arn}], {"Id": "rslvr-fc-0a1b2c3d4e5f6071"}


M2_POLICY_ROWS = [row for row in matrix.ROWS if row.control == "M2" and row.probes is not None]


def test_every_m2_row_of_the_matrix_is_decided_here():
    assert {row.id for row in matrix.ROWS if row.control == "M2" and row.procedure == matrix.POLICY} == {
        row.id for row in M2_POLICY_ROWS}
    assert len(M2_POLICY_ROWS) >= 15


@pytest.fixture(scope="module")
def matrix_decisions():
    return oracle.decide_rows(M2_POLICY_ROWS, RenderedState(), ML_ACCOUNTS)


@pytest.mark.parametrize("row", M2_POLICY_ROWS, ids=lambda row: row.id)
def test_matrix_row_is_denied_by_the_rendered_policy(row, matrix_decisions):
    outcome = matrix_decisions[row.id]
    assert outcome
    failures = [f"{probe.label}: {message}" for probe, decision in outcome if (message := probe.expect(decision))]
    assert not failures, " | ".join(failures)


# Rendering, bad input, size --------------------------------------------------------------------------

def test_policy_is_minified_sorted_and_deterministic():
    text = resource_perimeter_policy(
        ACCOUNT, trusted_resource_accounts=["444444444444", TRUSTED, TRUSTED], region=REGION,
        break_glass_principals=[BREAK_GLASS, f"arn:aws:iam::{ACCOUNT}:role/another-break-glass"])
    again = resource_perimeter_policy(
        ACCOUNT, trusted_resource_accounts=[TRUSTED, "444444444444"], region=REGION,
        break_glass_principals=[f"arn:aws:iam::{ACCOUNT}:role/another-break-glass", BREAK_GLASS])
    assert text == again
    assert " " not in text and "\n" not in text
    statements = json.loads(text)["Statement"]
    assert statements[0]["Condition"]["StringNotEquals"]["aws:ResourceAccount"] == [
        ACCOUNT, TRUSTED, "444444444444"]
    for statement in statements:
        assert statement["Effect"] == "Deny"
        assert statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == [
            f"arn:aws:iam::{ACCOUNT}:role/another-break-glass", BREAK_GLASS]
        if isinstance(statement.get("Action"), list):
            assert statement["Action"] == sorted(statement["Action"])


def test_no_statement_exempts_by_tag():
    text = resource_perimeter_policy(ACCOUNT, break_glass_principals=[BREAK_GLASS], region=REGION)
    assert "PrincipalTag" not in text


def test_without_break_glass_principals_nobody_is_exempt():
    statements = json.loads(resource_perimeter_policy(ACCOUNT, region=REGION))["Statement"]
    assert all("aws:PrincipalArn" not in json.dumps(s.get("Condition", {})) for s in statements)
    assert statements[1]["Sid"] == "DenySharingAndPublicExposure" and "Condition" not in statements[1]


def test_aws_owned_resources_follow_the_region_and_partition():
    exempt = json.loads(resource_perimeter_policy(ACCOUNT, region="cn-north-1"))["Statement"][0]["NotResource"]
    assert "arn:aws-cn:ecr:cn-north-1:727897471807:repository/*" in exempt
    assert "arn:aws-cn:s3:::jumpstart-cache-prod-cn-north-1/*" in exempt
    default = json.loads(resource_perimeter_policy(ACCOUNT, region=REGION))["Statement"][0]["NotResource"]
    assert f"arn:aws:ecr:{REGION}:763104351884:repository/*" in default
    assert f"arn:aws:s3:::jumpstart-private-cache-prod-{REGION}" in default


def test_aws_owned_resources_can_be_overridden_and_extended():
    exempt = json.loads(resource_perimeter_policy(
        ACCOUNT, region="xx-test-1", sagemaker_image_accounts=["123456789012"],
        aws_owned_resources=["arn:aws:s3:::sagemaker-example-files-prod-xx-test-1/*"]))["Statement"][0]["NotResource"]
    assert exempt == sorted([
        "arn:aws:ecr:xx-test-1:123456789012:repository/*", "arn:aws:s3:::jumpstart-cache-prod-xx-test-1",
        "arn:aws:s3:::jumpstart-cache-prod-xx-test-1/*", "arn:aws:s3:::jumpstart-private-cache-prod-xx-test-1",
        "arn:aws:s3:::jumpstart-private-cache-prod-xx-test-1/*",
        "arn:aws:s3:::sagemaker-example-files-prod-xx-test-1/*"])


def test_perimeter_policies_are_named_by_their_path():
    statements = {s["Sid"]: s for s in json.loads(resource_perimeter_policy(
        ACCOUNT, region=REGION, perimeter_policy_path="/security/perimeter/"))["Statement"]}
    assert statements["DenyPerimeterPolicyChanges"]["Resource"] == (
        f"arn:aws:iam::{ACCOUNT}:policy/security/perimeter/*")
    assert statements["DenyPerimeterPolicyDetachment"]["Condition"]["ArnLike"]["iam:PolicyARN"] == (
        f"arn:aws:iam::{ACCOUNT}:policy/security/perimeter/*")


BAD_INPUT = {
    "account id as a number": (dict(account_id=222222222222), "account_id: 222222222222 is not a 12-digit"),
    "short account id": (dict(account_id="2222"), "account_id: '2222' is not a 12-digit"),
    "trusted accounts as a string": (dict(trusted_resource_accounts=TRUSTED),
                                     "trusted_resource_accounts: expected a list"),
    "malformed trusted account": (dict(trusted_resource_accounts=["33333333333x"]),
                                  "trusted_resource_accounts: '33333333333x' is not a 12-digit"),
    "missing Region": (dict(region=None), "region: None is not an AWS Region name"),
    "malformed Region": (dict(region="Ireland"), "region: 'Ireland' is not an AWS Region name"),
    "Region without known SageMaker images": (dict(region="xx-test-1"),
                                              "region: no SageMaker image accounts are known for 'xx-test-1'"),
    "break-glass by tag": (dict(break_glass_principals=["dp:exclude:resource=true"]),
                           "break_glass_principals: 'dp:exclude:resource=true' is not an IAM role or user ARN"),
    "break-glass session ARN": (
        dict(break_glass_principals=[f"arn:aws:sts::{ACCOUNT}:assumed-role/break-glass/alice"]),
        "name the role, not an assumed-role session"),
    "root path protects every policy": (dict(perimeter_policy_path="/"), "perimeter_policy_path: '/' is not"),
    "path without slashes": (dict(perimeter_policy_path="mlperimeter"),
                             "perimeter_policy_path: 'mlperimeter' is not"),
    "image account malformed": (dict(sagemaker_image_accounts=["763104351884", "ecr"]),
                                "sagemaker_image_accounts: 'ecr' is not a 12-digit"),
    "AWS-owned resource not an ARN": (dict(aws_owned_resources=["jumpstart-cache-prod-eu-west-1"]),
                                      "aws_owned_resources: 'jumpstart-cache-prod-eu-west-1' is not a resource ARN"),
}


@pytest.mark.parametrize("name", list(BAD_INPUT))
def test_bad_input_is_refused_naming_the_field_and_value(name):
    overrides, message = BAD_INPUT[name]
    args = {"account_id": ACCOUNT, "region": REGION, **overrides}
    with pytest.raises(AnsibleFilterError) as raised:
        resource_perimeter_policy(**args)
    assert message in str(raised.value)


def _break_glass(count):
    return [f"arn:aws:iam::{ACCOUNT}:role/break-glass-{n:03d}" for n in range(count)]


def test_largest_policy_that_fits_is_rendered_and_one_more_principal_is_refused():
    def size(count):
        document = json.loads(resource_perimeter_policy(ACCOUNT, region=REGION, break_glass_principals=_break_glass(1)))
        for statement in document["Statement"]:
            statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"] = _break_glass(count)
        return iam_policy_size(document)

    fits = max(n for n in range(1, 60) if size(n) <= MANAGED_POLICY_MAX_SIZE)
    assert fits >= 3
    text = resource_perimeter_policy(ACCOUNT, region=REGION, break_glass_principals=_break_glass(fits))
    assert iam_policy_size(text) <= MANAGED_POLICY_MAX_SIZE
    with pytest.raises(AnsibleFilterError, match="resource_perimeter_policy: .* over IAM's limit of 6144"):
        resource_perimeter_policy(ACCOUNT, region=REGION, break_glass_principals=_break_glass(fits + 1))


# Resource control policies -------------------------------------------------------------------------------

BUCKETS = ["ml-data", "ml-models"]
EGRESS = ["203.0.113.10"]
VPCS = ["vpc-05a5a5a5a5a5a5a5a", "vpc-0b0b0b0b0b0b0b0b0"]
RCPS = resource_control_policies(ORG_ID, BUCKETS, EGRESS, VPCS, break_glass_principals=[BREAK_GLASS])


def _bucket_request(context, *, principal=DATA_SCIENTIST_ARN, principal_org=ORG_ID, action="s3:GetObject"):
    account = principal.split(":")[4]
    return oracle.request(
        principal=principal, action=action, resource="arn:aws:s3:::ml-data/train.csv", resource_account=ACCOUNT,
        identity_policies={"own-grant": ALLOW_ALL},
        resource_policy=_open_to_everyone("arn:aws:s3:::ml-data/*"),
        rcps=RCPS,
        context={"aws:PrincipalArn": principal, "aws:PrincipalAccount": account, "aws:PrincipalOrgID": principal_org,
                 "aws:ResourceAccount": ACCOUNT, "aws:ViaAWSService": False, "aws:PrincipalIsAWSService": False,
                 **context},
    )


RCP_CASES = {
    "an organisation principal from the SageMaker VPC": (
        _bucket_request({"aws:SourceVpc": VPCS[0]}), oracle.ALLOWED),
    "an organisation principal from an egress IP": (
        _bucket_request({"aws:SourceIp": "203.0.113.10"}), oracle.ALLOWED),
    "an organisation principal from a home IP": (
        _bucket_request({"aws:SourceIp": "198.51.100.7"}), oracle.EXPLICITLY_DENIED),
    "an organisation principal through a foreign VPC": (
        _bucket_request({"aws:SourceVpc": "vpc-0f0f0f0f0f0f0f0f0"}), oracle.EXPLICITLY_DENIED),
    "a foreign principal from the SageMaker VPC": (
        _bucket_request({"aws:SourceVpc": VPCS[0]}, principal=f"arn:aws:iam::{FOREIGN}:role/attacker",
                        principal_org="o-attacker0001"), oracle.EXPLICITLY_DENIED),
    "a service acting for an organisation principal": (
        _bucket_request({"aws:ViaAWSService": True, "aws:SourceIp": "198.51.100.7"}), oracle.ALLOWED),
    "the break-glass role from a home IP": (
        _bucket_request({"aws:SourceIp": "198.51.100.7"}, principal=BREAK_GLASS), oracle.ALLOWED),
}


@pytest.fixture(scope="module")
def rcp_decisions():
    names = list(RCP_CASES)
    return dict(zip(names, oracle.decide(RCP_CASES[name][0] for name in names), strict=True))


@pytest.mark.parametrize("name", list(RCP_CASES))
def test_rcps_decide_as_expected(name, rcp_decisions):
    decision = rcp_decisions[name]
    assert decision.decision == RCP_CASES[name][1], decision.explain()
    if decision.decision == oracle.EXPLICITLY_DENIED:
        assert decision.denied_by("rcp"), decision.explain()


def test_rcps_name_only_the_ml_buckets_and_are_sorted():
    assert sorted(RCPS) == ["mlperimeter-ml-buckets-identity", "mlperimeter-ml-buckets-network"]
    for document in RCPS.values():
        (statement,) = document["Statement"]
        assert statement["Principal"] == "*" and statement["Action"] == "s3:*"
        assert statement["Resource"] == ["arn:aws:s3:::ml-data", "arn:aws:s3:::ml-data/*",
                                         "arn:aws:s3:::ml-models", "arn:aws:s3:::ml-models/*"]
    again = resource_control_policies(ORG_ID, list(reversed(BUCKETS)), EGRESS, list(reversed(VPCS)),
                                      break_glass_principals=[BREAK_GLASS])
    assert again == RCPS


def test_rcp_endpoints_are_an_alternative_to_the_vpcs():
    network = resource_control_policies(ORG_ID, BUCKETS, EGRESS, VPCS, vpce_ids=["vpce-0a1b2c3d4e5f60718"])[
        "mlperimeter-ml-buckets-network"]
    condition = network["Statement"][0]["Condition"]["StringNotEqualsIfExists"]
    assert condition == {"aws:SourceVpc": VPCS, "aws:SourceVpce": ["vpce-0a1b2c3d4e5f60718"]}


RCP_BAD_INPUT = {
    "malformed organisation id": (dict(org_id="mlperim"), "org_id: 'mlperim' is not an AWS Organizations id"),
    "no buckets": (dict(ml_buckets=[]), "ml_buckets: the list is empty"),
    "bucket ARN instead of name": (dict(ml_buckets=["arn:aws:s3:::ml-data"]),
                                   "ml_buckets: 'arn:aws:s3:::ml-data' is not an S3 bucket name"),
    "upper-case bucket": (dict(ml_buckets=["ML-Data"]), "ml_buckets: 'ML-Data' is not an S3 bucket name"),
    "no egress IPs": (dict(egress_ips=[]), "egress_ips: the list is empty"),
    "no VPCs": (dict(vpc_ids=[]), "vpc_ids: the list is empty"),
    "malformed VPC id": (dict(vpc_ids=["vpc-xyz"]), "vpc_ids: 'vpc-xyz' is not a VPC id"),
    "malformed endpoint id": (dict(vpce_ids=["vpce-xyz"]), "vpce_ids: 'vpce-xyz' is not a VPC endpoint id"),
}


@pytest.mark.parametrize("name", list(RCP_BAD_INPUT))
def test_rcp_bad_input_is_refused_naming_the_field_and_value(name):
    overrides, message = RCP_BAD_INPUT[name]
    args = {"org_id": ORG_ID, "ml_buckets": BUCKETS, "egress_ips": EGRESS, "vpc_ids": VPCS, **overrides}
    with pytest.raises(AnsibleFilterError) as raised:
        resource_control_policies(**args)
    assert message in str(raised.value)


def test_rcp_over_the_organizations_limit_is_refused():
    many = [f"ml-bucket-{n:04d}" for n in range(120)]
    with pytest.raises(AnsibleFilterError, match="over Organizations's limit of 5120 for a resource control policy"):
        resource_control_policies(ORG_ID, many, EGRESS, VPCS)


def test_filters_are_exported():
    filters = perimeter_policies.FilterModule().filters()
    assert filters["resource_perimeter_policy"] is resource_perimeter_policy
    assert filters["resource_control_policies"] is resource_control_policies
