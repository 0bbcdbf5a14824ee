"""The M3 policies: the SageMaker VPC's endpoint policies and the SageMaker guardrails (managed policy and
SCP), decided by the independent oracle; the attack matrix's M3 probes against the rendered policies; bad
input, size limits, layout."""

import json

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.mlperimeter.aws.plugins.filter import endpoint_policies, perimeter_policies
from ansible_collections.mlperimeter.aws.plugins.filter.endpoint_policies import (
    MAX_POLICY_LENGTH,
    s3_gateway_endpoint_policy,
    sagemaker_endpoint_policy,
)
from ansible_collections.mlperimeter.aws.plugins.filter.perimeter_policies import (
    MANAGED_POLICY_MAX_SIZE,
    SCP_MAX_SIZE,
    iam_policy_size,
    network_perimeter_policy,
    resource_perimeter_policy,
    sagemaker_guardrails_policy,
    sagemaker_guardrails_scp,
)
from integration import test_attack_matrix as matrix

from support import oracle
from support.matrix_state import DATA_SCIENTIST, ML_ACCOUNTS, SAGEMAKER_EXECUTION

ACCOUNT = "222222222222"
OTHER_ML_ACCOUNT = "333333333333"
FOREIGN = "999999999999"
AWS_OWNED = "000000000001"
ORG_ID = "o-mlperim001"
FOREIGN_ORG_ID = "o-attacker0001"
REGION = "eu-west-1"
ROOT = "r-ml01"
DATA_SCIENCE_OU = f"{ORG_ID}/{ROOT}/ou-ml01-datasci1/"
OTHER_OU = f"{ORG_ID}/{ROOT}/ou-ml01-finance1/"
SAGEMAKER_VPC = "vpc-05a5a5a5a5a5a5a5a"
SUBNETS = ["subnet-0a1a1a1a1a1a1a1a1", "subnet-0b2b2b2b2b2b2b2b2"]
DATA_SCIENTIST_ARN = f"arn:aws:iam::{ACCOUNT}:role/data-scientist"
EXECUTION_ARN = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-execution"
ATTACKER_ARN = f"arn:aws:iam::{FOREIGN}:role/attacker"
BREAK_GLASS = f"arn:aws:iam::{ACCOUNT}:role/break-glass"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
ML_BUCKETS = ["ml-data", "ml-models"]

ML_BUCKET = "arn:aws:s3:::ml-data"
UNLISTED_ORG_BUCKET = "arn:aws:s3:::team-scratch"
FOREIGN_BUCKET = "arn:aws:s3:::attacker-exfil-drop"
JUMPSTART_BUCKET = f"arn:aws:s3:::jumpstart-cache-prod-{REGION}"
LAYER_BUCKET = f"arn:aws:s3:::prod-{REGION}-starport-layer-bucket"
DLC_REPOSITORY = f"arn:aws:ecr:{REGION}:763104351884:repository/pytorch-training"
FOREIGN_REPOSITORY = f"arn:aws:ecr:{REGION}:{FOREIGN}:repository/tools"
TRAINING_JOB = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/churn"

ORG = {"aws:ResourceOrgID": ORG_ID}
FOREIGN_ORG = {"aws:ResourceOrgID": FOREIGN_ORG_ID}


def _open_to_everyone(*resources):
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": list(resources)}]}


def _caller(principal, org_id=ORG_ID, ou_path=DATA_SCIENCE_OU):
    account = principal.split(":")[4]
    context = {"aws:PrincipalArn": principal, "aws:PrincipalAccount": account, "aws:PrincipalIsAWSService": False}
    if org_id:
        context["aws:PrincipalOrgID"] = org_id
        context["aws:PrincipalOrgPaths"] = [ou_path if org_id == ORG_ID else f"{org_id}/r-at01/"]
    return context


# SageMaker VPC interface endpoints -------------------------------------------------------------------------

INTERFACE_POLICY = json.loads(sagemaker_endpoint_policy(ORG_ID, REGION))
OU_INTERFACE_POLICY = json.loads(sagemaker_endpoint_policy(ORG_ID, REGION, ou_paths=[DATA_SCIENCE_OU]))


def _through_endpoint(policy, action, resource, resource_account, resource_context, *, principal=DATA_SCIENTIST_ARN,
                      org_id=ORG_ID, ou_path=DATA_SCIENCE_OU, caller=None, resource_policy=None):
    """A request through the endpoint, granted by the caller's own policy and, across accounts, by an open
    resource policy: only the endpoint policy can stop it."""
    cross_account = ":" not in principal or resource_account != principal.split(":")[4]
    return oracle.request(
        principal=principal, action=action, resource=resource, resource_account=resource_account,
        identity_policies={"allow-all": ALLOW_ALL},
        resource_policy=resource_policy or (_open_to_everyone(resource) if cross_account else None),
        vpc_endpoint_policies={"vpce-0a1b2c3d4e5f60718": policy},
        context={**(caller if caller is not None else _caller(principal, org_id, ou_path)),
                 "aws:ResourceAccount": resource_account, **resource_context,
                 "aws:SourceVpc": SAGEMAKER_VPC, "aws:SourceVpce": "vpce-0a1b2c3d4e5f60718"},
    )


SERVICE_CALLER = {"aws:PrincipalIsAWSService": True, "aws:PrincipalServiceName": "sagemaker.amazonaws.com"}

INTERFACE_CASES = {
    "an organisation principal reads an organisation bucket": (
        _through_endpoint(INTERFACE_POLICY, "s3:GetObject", f"{ML_BUCKET}/train.csv", ACCOUNT, ORG),
        oracle.ALLOWED),
    "an organisation principal creates a training job in its account": (
        _through_endpoint(INTERFACE_POLICY, "sagemaker:CreateTrainingJob", TRAINING_JOB, ACCOUNT, ORG),
        oracle.ALLOWED),
    "an organisation principal assumes a role of another ML account": (
        _through_endpoint(INTERFACE_POLICY, "sts:AssumeRole", f"arn:aws:iam::{OTHER_ML_ACCOUNT}:role/pipeline",
                          OTHER_ML_ACCOUNT, ORG), oracle.ALLOWED),
    "an outsider reads an organisation bucket": (
        _through_endpoint(INTERFACE_POLICY, "s3:GetObject", f"{ML_BUCKET}/train.csv", ACCOUNT, ORG,
                          principal=ATTACKER_ARN, org_id=FOREIGN_ORG_ID), oracle.IMPLICITLY_DENIED),
    "an outsider uses their own account's resources": (
        _through_endpoint(INTERFACE_POLICY, "s3:PutObject", f"{FOREIGN_BUCKET}/loot.csv", FOREIGN, FOREIGN_ORG,
                          principal=ATTACKER_ARN, org_id=FOREIGN_ORG_ID), oracle.IMPLICITLY_DENIED),
    "a principal of no organisation": (
        _through_endpoint(INTERFACE_POLICY, "s3:GetObject", f"{ML_BUCKET}/train.csv", ACCOUNT, ORG,
                          principal=ATTACKER_ARN, org_id=None), oracle.IMPLICITLY_DENIED),
    "an organisation principal writes to a foreign bucket": (
        _through_endpoint(INTERFACE_POLICY, "s3:PutObject", f"{FOREIGN_BUCKET}/loot.csv", FOREIGN, FOREIGN_ORG),
        oracle.IMPLICITLY_DENIED),
    "an organisation principal assumes a foreign role": (
        _through_endpoint(INTERFACE_POLICY, "sts:AssumeRole", f"arn:aws:iam::{FOREIGN}:role/landing", FOREIGN,
                          FOREIGN_ORG), oracle.IMPLICITLY_DENIED),
    "an organisation principal pulls a SageMaker deep learning container": (
        _through_endpoint(INTERFACE_POLICY, "ecr:BatchGetImage", DLC_REPOSITORY, "763104351884", {}),
        oracle.ALLOWED),
    "an organisation principal downloads a SageMaker image layer": (
        _through_endpoint(INTERFACE_POLICY, "ecr:GetDownloadUrlForLayer", DLC_REPOSITORY, "763104351884", {}),
        oracle.ALLOWED),
    "an organisation principal pushes to SageMaker's repository": (
        _through_endpoint(INTERFACE_POLICY, "ecr:PutImage", DLC_REPOSITORY, "763104351884", {}),
        oracle.IMPLICITLY_DENIED),
    "an organisation principal pulls a foreign image": (
        _through_endpoint(INTERFACE_POLICY, "ecr:BatchGetImage", FOREIGN_REPOSITORY, FOREIGN, FOREIGN_ORG),
        oracle.IMPLICITLY_DENIED),
    "an outsider pulls a SageMaker deep learning container": (
        _through_endpoint(INTERFACE_POLICY, "ecr:BatchGetImage", DLC_REPOSITORY, "763104351884", {},
                          principal=ATTACKER_ARN, org_id=FOREIGN_ORG_ID), oracle.IMPLICITLY_DENIED),
    "an organisation principal reads the JumpStart bucket": (
        _through_endpoint(INTERFACE_POLICY, "s3:GetObject", f"{JUMPSTART_BUCKET}/models/model.tar.gz", AWS_OWNED,
                          {}), oracle.ALLOWED),
    "an organisation principal writes to the JumpStart bucket": (
        _through_endpoint(INTERFACE_POLICY, "s3:PutObject", f"{JUMPSTART_BUCKET}/loot.csv", AWS_OWNED, {}),
        oracle.IMPLICITLY_DENIED),
    "SageMaker's service principal": (
        _through_endpoint(INTERFACE_POLICY, "kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0f0e0d0c",
                          ACCOUNT, ORG, principal="sagemaker.amazonaws.com", caller=SERVICE_CALLER,
                          resource_policy=_open_to_everyone("*")), oracle.ALLOWED),
    "OUs given: a principal under the data-science OU": (
        _through_endpoint(OU_INTERFACE_POLICY, "s3:GetObject", f"{ML_BUCKET}/train.csv", ACCOUNT, ORG),
        oracle.ALLOWED),
    "OUs given: a principal of another OU of the organisation": (
        _through_endpoint(OU_INTERFACE_POLICY, "s3:GetObject", f"{ML_BUCKET}/train.csv", ACCOUNT, ORG,
                          ou_path=OTHER_OU), oracle.IMPLICITLY_DENIED),
    "OUs given: a principal under a child of the data-science OU": (
        _through_endpoint(OU_INTERFACE_POLICY, "s3:GetObject", f"{ML_BUCKET}/train.csv", ACCOUNT, ORG,
                          ou_path=f"{DATA_SCIENCE_OU}ou-ml01-teama001/"), oracle.ALLOWED),
    "OUs given: a principal of another OU pulls a SageMaker image": (
        _through_endpoint(OU_INTERFACE_POLICY, "ecr:BatchGetImage", DLC_REPOSITORY, "763104351884", {},
                          ou_path=OTHER_OU), oracle.IMPLICITLY_DENIED),
}


# The S3 gateway endpoint -------------------------------------------------------------------------------------

S3_POLICY = json.loads(s3_gateway_endpoint_policy(ORG_ID, ML_BUCKETS, REGION))
OU_S3_POLICY = json.loads(s3_gateway_endpoint_policy(ORG_ID, ML_BUCKETS, REGION, ou_paths=[DATA_SCIENCE_OU]))
ECR_LAYER_DOWNLOADER = "arn:aws:sts::000000000002:assumed-role/ecr-layer-downloads/session"

S3_CASES = {
    "PutObject to a listed bucket": (
        _through_endpoint(S3_POLICY, "s3:PutObject", f"{ML_BUCKET}/model.tar.gz", ACCOUNT, ORG), oracle.ALLOWED),
    "a multipart upload to a listed bucket is aborted": (
        _through_endpoint(S3_POLICY, "s3:AbortMultipartUpload", f"{ML_BUCKET}/model.tar.gz", ACCOUNT, ORG),
        oracle.ALLOWED),
    "PutObject to a listed bucket of another ML account": (
        _through_endpoint(S3_POLICY, "s3:PutObject", "arn:aws:s3:::ml-models/model.tar.gz", OTHER_ML_ACCOUNT, ORG),
        oracle.ALLOWED),
    "PutObject to an organisation bucket that is not listed": (
        _through_endpoint(S3_POLICY, "s3:PutObject", f"{UNLISTED_ORG_BUCKET}/loot.csv", ACCOUNT, ORG),
        oracle.IMPLICITLY_DENIED),
    "PutObject to a foreign bucket": (
        _through_endpoint(S3_POLICY, "s3:PutObject", f"{FOREIGN_BUCKET}/loot.csv", FOREIGN, FOREIGN_ORG),
        oracle.IMPLICITLY_DENIED),
    "PutObject to a listed bucket name now registered outside the organisation": (
        _through_endpoint(S3_POLICY, "s3:PutObject", f"{ML_BUCKET}/loot.csv", FOREIGN, FOREIGN_ORG),
        oracle.IMPLICITLY_DENIED),
    "an outsider's PutObject to a listed bucket": (
        _through_endpoint(S3_POLICY, "s3:PutObject", f"{ML_BUCKET}/loot.csv", ACCOUNT, ORG, principal=ATTACKER_ARN,
                          org_id=FOREIGN_ORG_ID), oracle.IMPLICITLY_DENIED),
    "PutBucketPolicy on a listed bucket": (
        _through_endpoint(S3_POLICY, "s3:PutBucketPolicy", ML_BUCKET, ACCOUNT, ORG), oracle.IMPLICITLY_DENIED),
    "GetObject from an organisation bucket that is not listed": (
        _through_endpoint(S3_POLICY, "s3:GetObject", f"{UNLISTED_ORG_BUCKET}/features.parquet", ACCOUNT, ORG),
        oracle.ALLOWED),
    "ListBucket of a listed bucket": (
        _through_endpoint(S3_POLICY, "s3:ListBucket", ML_BUCKET, ACCOUNT, ORG), oracle.ALLOWED),
    "GetObject from a foreign bucket": (
        _through_endpoint(S3_POLICY, "s3:GetObject", f"{FOREIGN_BUCKET}/tool.py", FOREIGN, FOREIGN_ORG),
        oracle.IMPLICITLY_DENIED),
    "GetObject from the JumpStart bucket": (
        _through_endpoint(S3_POLICY, "s3:GetObject", f"{JUMPSTART_BUCKET}/models/model.tar.gz", AWS_OWNED, {}),
        oracle.ALLOWED),
    "PutObject to the JumpStart bucket": (
        _through_endpoint(S3_POLICY, "s3:PutObject", f"{JUMPSTART_BUCKET}/loot.csv", AWS_OWNED, {}),
        oracle.IMPLICITLY_DENIED),
    "an ECR image layer through the URL ECR presigned": (
        _through_endpoint(S3_POLICY, "s3:GetObject", f"{LAYER_BUCKET}/sha256/0f0e", AWS_OWNED, {},
                          principal=ECR_LAYER_DOWNLOADER, org_id=None), oracle.ALLOWED),
    "PutObject to the ECR layer bucket": (
        _through_endpoint(S3_POLICY, "s3:PutObject", f"{LAYER_BUCKET}/loot.csv", AWS_OWNED, {},
                          principal=ECR_LAYER_DOWNLOADER, org_id=None), oracle.IMPLICITLY_DENIED),
    "OUs given: PutObject to a listed bucket from the data-science OU": (
        _through_endpoint(OU_S3_POLICY, "s3:PutObject", f"{ML_BUCKET}/model.tar.gz", ACCOUNT, ORG), oracle.ALLOWED),
    "OUs given: PutObject to a listed bucket from another OU": (
        _through_endpoint(OU_S3_POLICY, "s3:PutObject", f"{ML_BUCKET}/model.tar.gz", ACCOUNT, ORG,
                          ou_path=OTHER_OU), oracle.IMPLICITLY_DENIED),
    "OUs given: GetObject from the JumpStart bucket from another OU": (
        _through_endpoint(OU_S3_POLICY, "s3:GetObject", f"{JUMPSTART_BUCKET}/models/model.tar.gz", AWS_OWNED, {},
                          ou_path=OTHER_OU), oracle.IMPLICITLY_DENIED),
}


@pytest.fixture(scope="module")
def endpoint_decisions():
    cases = {**INTERFACE_CASES, **S3_CASES}
    return dict(zip(cases, oracle.decide(request for request, _ in cases.values()), strict=True))


@pytest.mark.parametrize("name", list(INTERFACE_CASES) + list(S3_CASES))
def test_endpoint_policy_is_decided_as_expected(name, endpoint_decisions):
    decision = endpoint_decisions[name]
    expected = {**INTERFACE_CASES, **S3_CASES}[name][1]
    assert decision.decision == expected, decision.explain()
    if expected != oracle.ALLOWED:
        assert decision.denied_by("vpce"), decision.explain()


# SageMaker guardrails ----------------------------------------------------------------------------------------

GUARDRAILS = json.loads(sagemaker_guardrails_policy([BREAK_GLASS]))
GUARDRAILS_SCP = json.loads(sagemaker_guardrails_scp([BREAK_GLASS]))
IN_VPC = {"sagemaker:VpcSubnets": SUBNETS, "sagemaker:VpcSecurityGroupIds": ["sg-0a1b2c3d4e5f60718"]}


def _sagemaker(kind, name, **context):
    return (f"sagemaker:{kind}", name, context)


GUARDRAIL_CASES = {
    "CreateTrainingJob without VPC subnets": (
        _sagemaker("CreateTrainingJob", "training-job/churn"), oracle.EXPLICITLY_DENIED),
    "CreateTrainingJob in the VPC": (_sagemaker("CreateTrainingJob", "training-job/churn", **IN_VPC), oracle.ALLOWED),
    "CreateProcessingJob without VPC subnets": (
        _sagemaker("CreateProcessingJob", "processing-job/features"), oracle.EXPLICITLY_DENIED),
    "CreateProcessingJob in the VPC": (
        _sagemaker("CreateProcessingJob", "processing-job/features", **IN_VPC), oracle.ALLOWED),
    "CreateHyperParameterTuningJob without VPC subnets": (
        _sagemaker("CreateHyperParameterTuningJob", "hyper-parameter-tuning-job/churn"), oracle.EXPLICITLY_DENIED),
    "CreateAutoMLJobV2 without VPC subnets": (
        _sagemaker("CreateAutoMLJobV2", "automl-job/churn"), oracle.EXPLICITLY_DENIED),
    "CreateModel without VPC subnets": (_sagemaker("CreateModel", "model/churn"), oracle.EXPLICITLY_DENIED),
    "CreateModel in the VPC": (_sagemaker("CreateModel", "model/churn", **IN_VPC), oracle.ALLOWED),
    # A transform job runs the containers of its model, in the model's VPC.
    "CreateTransformJob of a model": (_sagemaker("CreateTransformJob", "transform-job/churn"), oracle.ALLOWED),
    "CreateNotebookInstance without VPC subnets": (
        _sagemaker("CreateNotebookInstance", "notebook-instance/eda", **{"sagemaker:DirectInternetAccess": "Disabled"}),
        oracle.EXPLICITLY_DENIED),
    "CreateNotebookInstance in the VPC with direct internet access": (
        _sagemaker("CreateNotebookInstance", "notebook-instance/eda",
                   **IN_VPC, **{"sagemaker:DirectInternetAccess": "Enabled"}), oracle.EXPLICITLY_DENIED),
    "CreateNotebookInstance in the VPC naming no internet access (AWS's default is Enabled)": (
        _sagemaker("CreateNotebookInstance", "notebook-instance/eda", **IN_VPC), oracle.EXPLICITLY_DENIED),
    "CreateNotebookInstance in the VPC without direct internet access": (
        _sagemaker("CreateNotebookInstance", "notebook-instance/eda",
                   **IN_VPC, **{"sagemaker:DirectInternetAccess": "Disabled"}), oracle.ALLOWED),
    "CreateDomain PublicInternetOnly": (
        _sagemaker("CreateDomain", "domain/d-abc123",
                   **IN_VPC, **{"sagemaker:AppNetworkAccessType": "PublicInternetOnly"}), oracle.EXPLICITLY_DENIED),
    "CreateDomain naming no network access type (AWS's default is PublicInternetOnly)": (
        _sagemaker("CreateDomain", "domain/d-abc123", **IN_VPC), oracle.EXPLICITLY_DENIED),
    "CreateDomain VpcOnly without VPC subnets": (
        _sagemaker("CreateDomain", "domain/d-abc123", **{"sagemaker:AppNetworkAccessType": "VpcOnly"}),
        oracle.EXPLICITLY_DENIED),
    "CreateDomain VpcOnly in the VPC": (
        _sagemaker("CreateDomain", "domain/d-abc123", **IN_VPC, **{"sagemaker:AppNetworkAccessType": "VpcOnly"}),
        oracle.ALLOWED),
    "UpdateDomain to PublicInternetOnly": (
        _sagemaker("UpdateDomain", "domain/d-abc123", **{"sagemaker:AppNetworkAccessType": "PublicInternetOnly"}),
        oracle.EXPLICITLY_DENIED),
    "UpdateDomain restating VpcOnly": (
        _sagemaker("UpdateDomain", "domain/d-abc123", **{"sagemaker:AppNetworkAccessType": "VpcOnly"}),
        oracle.ALLOWED),
}
GUARDRAIL_DENIED = [name for name, (_, decision) in GUARDRAIL_CASES.items() if decision == oracle.EXPLICITLY_DENIED]


def _guardrail_request(case, *, principal=DATA_SCIENTIST_ARN, as_scp=False):
    action, name, context = case
    policies = {"allow-all": ALLOW_ALL}
    if not as_scp:
        policies["mlperimeter-sagemaker-guardrails"] = GUARDRAILS
    return oracle.request(
        principal=principal, action=action, resource=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{name}",
        resource_account=ACCOUNT, identity_policies=policies,
        scps={"mlperimeter-sagemaker-guardrails": GUARDRAILS_SCP} if as_scp else None,
        context={**_caller(principal), "aws:ResourceAccount": ACCOUNT, "aws:SourceVpc": SAGEMAKER_VPC,
                 "aws:RequestedRegion": REGION, **context},
    )


@pytest.fixture(scope="module")
def guardrail_decisions():
    keys, batch = [], []
    for name, (case, _) in GUARDRAIL_CASES.items():
        for principal in (DATA_SCIENTIST_ARN, EXECUTION_ARN):
            for as_scp in (False, True):
                keys.append((name, principal, as_scp))
                batch.append(_guardrail_request(case, principal=principal, as_scp=as_scp))
    for name in GUARDRAIL_DENIED:
        for as_scp in (False, True):
            keys.append((name, BREAK_GLASS, as_scp))
            batch.append(_guardrail_request(GUARDRAIL_CASES[name][0], principal=BREAK_GLASS, as_scp=as_scp))
    return dict(zip(keys, oracle.decide(batch), strict=True))


@pytest.mark.parametrize("as_scp", [False, True], ids=["managed policy", "SCP"])
@pytest.mark.parametrize("principal", [DATA_SCIENTIST_ARN, EXECUTION_ARN], ids=["data scientist", "execution role"])
@pytest.mark.parametrize("name", list(GUARDRAIL_CASES))
def test_guardrails_are_decided_as_expected(name, principal, as_scp, guardrail_decisions):
    decision = guardrail_decisions[name, principal, as_scp]
    assert decision.decision == GUARDRAIL_CASES[name][1], decision.explain()
    if decision.decision == oracle.EXPLICITLY_DENIED:
        kind = "scp" if as_scp else "identity"
        assert decision.denied_by(kind, "mlperimeter-sagemaker-guardrails"), decision.explain()


@pytest.mark.parametrize("as_scp", [False, True], ids=["managed policy", "SCP"])
@pytest.mark.parametrize("name", GUARDRAIL_DENIED)
def test_break_glass_principal_is_exempt_from_the_guardrails(name, as_scp, guardrail_decisions):
    decision = guardrail_decisions[name, BREAK_GLASS, as_scp]
    assert decision.decision == oracle.ALLOWED, decision.explain()


def test_the_scp_holds_the_same_guardrails_as_the_managed_policy():
    assert GUARDRAILS_SCP == GUARDRAILS
    assert all("Principal" not in statement for statement in GUARDRAILS_SCP["Statement"])


def test_guardrails_exempt_no_one_by_tag_and_nobody_without_break_glass_principals():
    assert "PrincipalTag" not in sagemaker_guardrails_policy([BREAK_GLASS])
    for text in (sagemaker_guardrails_policy(), sagemaker_guardrails_scp(), sagemaker_guardrails_policy([])):
        assert "aws:PrincipalArn" not in text


# The attack matrix's M3 rows, with the rendered policies ---------------------------------------------------

class _Ec2:
    def __init__(self, vpc_id):
        self.vpc_id = vpc_id

    def describe_subnets(self, Filters):
        assert Filters == [{"Name": "vpc-id", "Values": [self.vpc_id]}]
        return {"Subnets": [{"SubnetId": subnet, "VpcId": self.vpc_id} for subnet in SUBNETS]}


class RenderedState:
    """What the matrix reads from an ML account, with the collection's rendered policies: the network,
    resource and guardrails policies on the data-scientist role, the resource and guardrails policies on
    the execution role, and the rendered endpoint policies on the SageMaker VPC's endpoints."""

    REGION = matrix.REGION

    def __init__(self):
        self.vpc_id = SAGEMAKER_VPC
        network = json.loads(network_perimeter_policy(
            ["203.0.113.10"], {"vpc_id": "vpc-0b0b0b0b0b0b0b0b0", "region": "eu-central-1"},
            {"vpc_id": SAGEMAKER_VPC, "region": self.REGION}))
        guardrails = json.loads(sagemaker_guardrails_policy())
        self.policies, self.endpoint_list = {}, {}
        for account in ML_ACCOUNTS:
            resource = json.loads(resource_perimeter_policy(
                account, trusted_resource_accounts=list(ML_ACCOUNTS), region=self.REGION))
            path = f"arn:aws:iam::{account}:policy/mlperimeter/mlperimeter"
            shared = {f"{path}-resource-perimeter": ("M2", resource),
                      f"{path}-sagemaker-guardrails": ("M3", guardrails)}
            self.policies[account, DATA_SCIENTIST] = {f"{path}-network-perimeter": ("M1", network), **shared}
            self.policies[account, SAGEMAKER_EXECUTION] = shared
            region = self.REGION
            s3_policy = s3_gateway_endpoint_policy(matrix.ORG_ID, [f"mlperimeter-data-{a}" for a in ML_ACCOUNTS],
                                                   region)
            # An S3 interface endpoint beside the gateway takes the S3 policy too: the interface policy lets
            # organisation principals write to any organisation bucket.
            self.endpoint_list[account] = (
                {"VpcEndpointId": "vpce-0a1b2c3d4e5f60718", "ServiceName": f"com.amazonaws.{region}.s3",
                 "VpcEndpointType": "Gateway", "PolicyDocument": s3_policy},
                {"VpcEndpointId": "vpce-0f1e2d3c4b5a69783", "ServiceName": f"com.amazonaws.{region}.s3",
                 "VpcEndpointType": "Interface", "PolicyDocument": s3_policy},
                *({"VpcEndpointId": f"vpce-0f1e2d3c4b5a6978{n}", "ServiceName": f"com.amazonaws.{region}.{service}",
                   "VpcEndpointType": "Interface", "PolicyDocument": sagemaker_endpoint_policy(matrix.ORG_ID, region)}
                  for n, service in enumerate(("sagemaker.api", "sts", "ecr.dkr")))
            )

    def roles(self, account, role_kind):
        name = {DATA_SCIENTIST: "data-scientist", SAGEMAKER_EXECUTION: "sagemaker-execution"}[role_kind]
        return ({"RoleName": name, "Arn": f"arn:aws:iam::{account}:role/{name}", "kind": role_kind},)

    def role_policies(self, account, role_name):
        kind = {"data-scientist": DATA_SCIENTIST, "sagemaker-execution": SAGEMAKER_EXECUTION}[role_name]
        attached = self.policies[account, kind]
        return ({arn: document for arn, (_, document) in attached.items()},
                {arn: control for arn, (control, _) in attached.items()})

    def vpc(self, account, control):
        return {"VpcId": self.vpc_id}

    def client(self, service, account):
        assert service == "ec2"
        return _Ec2(self.vpc_id)

    def endpoints_for(self, account, vpc_id, service_suffix):
        wanted = f"com.amazonaws.{self.REGION}.{service_suffix}"
        return [e for e in self.endpoint_list[account] if e["ServiceName"] == wanted]


M3_POLICY_ROWS = [row for row in matrix.ROWS if row.id.startswith("M3-") and row.probes is not None]


def test_every_m3_policy_row_of_the_matrix_is_decided_here():
    assert {row.id for row in matrix.ROWS if row.id.startswith("M3-") and row.procedure == matrix.POLICY} == {
        row.id for row in M3_POLICY_ROWS}
    assert len(M3_POLICY_ROWS) >= 8


@pytest.fixture(scope="module")
def matrix_decisions():
    return oracle.decide_rows(M3_POLICY_ROWS, RenderedState(), ML_ACCOUNTS)


@pytest.mark.parametrize("row", M3_POLICY_ROWS, ids=lambda row: row.id)
def test_matrix_row_is_stopped_by_the_rendered_policies(row, matrix_decisions):
    outcome = matrix_decisions[row.id]
    assert len(outcome) >= len(ML_ACCOUNTS)
    failures = [f"{probe.label}: {message}" for probe, decision in outcome if (message := probe.expect(decision))]
    assert not failures, " | ".join(failures)


def test_the_s3_probes_go_through_every_s3_endpoint_of_the_vpc(matrix_decisions):
    labels = {probe.label for probe, _ in matrix_decisions["M3-put-unlisted-org-bucket-via-endpoint"]}
    assert labels == {"data-scientist via vpce-0a1b2c3d4e5f60718", "data-scientist via vpce-0f1e2d3c4b5a69783"}


# Rendering, bad input, size ------------------------------------------------------------------------------

def test_endpoint_policies_are_minified_sorted_and_deterministic():
    paths = [OTHER_OU, DATA_SCIENCE_OU, OTHER_OU]
    assert sagemaker_endpoint_policy(ORG_ID, REGION, paths) == sagemaker_endpoint_policy(
        ORG_ID, REGION, list(reversed(paths)))
    text = s3_gateway_endpoint_policy(ORG_ID, ["ml-models", "ml-data", "ml-models"], REGION, paths)
    assert text == s3_gateway_endpoint_policy(ORG_ID, ML_BUCKETS, REGION, [DATA_SCIENCE_OU, OTHER_OU])
    assert " " not in text and "\n" not in text
    statements = {s["Sid"]: s for s in json.loads(text)["Statement"]}
    assert statements["AllowWritesToMlBuckets"]["Resource"] == ["arn:aws:s3:::ml-data/*", "arn:aws:s3:::ml-models/*"]
    assert statements["AllowWritesToMlBuckets"]["Condition"]["ForAnyValue:StringLike"] == {
        "aws:PrincipalOrgPaths": [f"{DATA_SCIENCE_OU}*", f"{OTHER_OU}*"]}
    for statement in statements.values():
        assert statement["Principal"] == "*" and statement["Effect"] == "Allow"
        if isinstance(statement["Action"], list):
            assert statement["Action"] == sorted(statement["Action"])


def test_only_the_ml_buckets_are_writable_through_the_s3_endpoint():
    for statement in S3_POLICY["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if "s3:PutObject" in actions:
            assert statement["Resource"] == ["arn:aws:s3:::ml-data/*", "arn:aws:s3:::ml-models/*"]
        assert all(action.startswith(("s3:Get", "s3:List", "s3:PutObject", "s3:AbortMultipartUpload"))
                   for action in actions)


def test_endpoint_policies_follow_the_region_and_partition():
    text = sagemaker_endpoint_policy(ORG_ID, "cn-north-1")
    assert "arn:aws-cn:ecr:cn-north-1:727897471807:repository/*" in text
    assert "arn:aws-cn:s3:::jumpstart-cache-prod-cn-north-1/*" in text
    text = s3_gateway_endpoint_policy(ORG_ID, ML_BUCKETS, "us-gov-west-1")
    assert "arn:aws-us-gov:s3:::ml-data/*" in text
    assert "arn:aws-us-gov:s3:::prod-us-gov-west-1-starport-layer-bucket/*" in text
    assert "arn:aws:" not in text


def test_no_endpoint_statement_exempts_by_tag():
    assert "PrincipalTag" not in json.dumps([INTERFACE_POLICY, S3_POLICY])


ENDPOINT_BAD_INPUT = {
    "org id without prefix": (dict(org_id="mlperim001"), "org_id: 'mlperim001' is not an AWS Organizations id"),
    "org id too short": (dict(org_id="o-abc"), "org_id: 'o-abc' is not an AWS Organizations id"),
    "org id upper case": (dict(org_id="o-MLPERIM001"), "org_id: 'o-MLPERIM001' is not an AWS Organizations id"),
    "org id missing": (dict(org_id=None), "org_id: None is not an AWS Organizations id"),
    "malformed Region": (dict(region="Ireland"), "region: 'Ireland' is not an AWS Region name"),
    "OU paths as a string": (dict(ou_paths=DATA_SCIENCE_OU), "ou_paths: expected a list"),
    "OU path without trailing slash": (dict(ou_paths=[DATA_SCIENCE_OU.rstrip("/")]),
                                       f"ou_paths: {DATA_SCIENCE_OU.rstrip('/')!r} is not an organisation path"),
    "OU path of the root only": (dict(ou_paths=[f"{ORG_ID}/{ROOT}/"]),
                                 f"ou_paths: '{ORG_ID}/{ROOT}/' is not an organisation path to an OU"),
    "OU id alone": (dict(ou_paths=["ou-ml01-datasci1"]), "ou_paths: 'ou-ml01-datasci1' is not an organisation path"),
    "OU path with a wildcard": (dict(ou_paths=[f"{ORG_ID}/{ROOT}/*"]), f"ou_paths: '{ORG_ID}/{ROOT}/*' is not"),
    "OU path of another organisation": (
        dict(ou_paths=["o-attacker0001/r-at01/ou-at01-datasci1/"]),
        "ou_paths: 'o-attacker0001/r-at01/ou-at01-datasci1/' is a path in organisation o-attacker0001, "
        f"not {ORG_ID}"),
}


@pytest.mark.parametrize("function", [sagemaker_endpoint_policy, s3_gateway_endpoint_policy],
                         ids=["interface", "s3 gateway"])
@pytest.mark.parametrize("name", list(ENDPOINT_BAD_INPUT))
def test_endpoint_bad_input_is_refused_naming_the_field_and_value(function, name):
    overrides, message = ENDPOINT_BAD_INPUT[name]
    args = {"org_id": ORG_ID, "region": REGION, **overrides}
    if function is s3_gateway_endpoint_policy:
        args["ml_buckets"] = ML_BUCKETS
    with pytest.raises(AnsibleFilterError) as raised:
        function(**args)
    assert message in str(raised.value)


def test_a_region_without_known_sagemaker_images_is_refused():
    with pytest.raises(AnsibleFilterError, match="region: no SageMaker image accounts are known for 'xx-test-1'"):
        sagemaker_endpoint_policy(ORG_ID, "xx-test-1")


BUCKET_BAD_INPUT = {
    "no buckets": ([], "ml_buckets: the list is empty; SageMaker needs at least one bucket"),
    "buckets as a string": ("ml-data", "ml_buckets: expected a list of S3 bucket names"),
    "bucket ARN": (["arn:aws:s3:::ml-data"], "ml_buckets: 'arn:aws:s3:::ml-data' is not an S3 bucket name"),
    "upper case": (["ML-Data"], "ml_buckets: 'ML-Data' is not an S3 bucket name"),
    "too short": (["ml"], "ml_buckets: 'ml' is not an S3 bucket name"),
    "too long": (["m" * 64], f"ml_buckets: '{'m' * 64}' is not an S3 bucket name"),
    "underscore": (["ml_data"], "ml_buckets: 'ml_data' is not an S3 bucket name"),
    "ends with a hyphen": (["ml-data-"], "ml_buckets: 'ml-data-' is not an S3 bucket name"),
    "adjacent dots": (["ml..data"], "ml_buckets: 'ml..data' is not an S3 bucket name"),
    "dot beside a hyphen": (["ml.-data"], "ml_buckets: 'ml.-data' is not an S3 bucket name"),
    "IP address": (["192.168.5.4"], "ml_buckets: '192.168.5.4' is not an S3 bucket name"),
    "reserved prefix": (["xn--ml-data"], "ml_buckets: 'xn--ml-data' is not an S3 bucket name"),
    "access point alias": (["ml-data-abc123-s3alias"], "ml_buckets: 'ml-data-abc123-s3alias' is not"),
    "directory bucket": (["ml-data--use1-az4--x-s3"], "ml_buckets: 'ml-data--use1-az4--x-s3' is not"),
    "not a string": ([42], "ml_buckets: 42 is not an S3 bucket name"),
}


@pytest.mark.parametrize("name", list(BUCKET_BAD_INPUT))
def test_bad_bucket_names_are_refused(name):
    buckets, message = BUCKET_BAD_INPUT[name]
    with pytest.raises(AnsibleFilterError) as raised:
        s3_gateway_endpoint_policy(ORG_ID, buckets, REGION)
    assert message in str(raised.value)


def test_bucket_names_s3_accepts_are_rendered():
    names = ["abc", "a" * 63, "ml.data-2024", "1ml-data"]
    assert json.loads(s3_gateway_endpoint_policy(ORG_ID, names, REGION))["Statement"][0]["Resource"] == sorted(
        f"arn:aws:s3:::{name}/*" for name in names)


@pytest.mark.parametrize("function", [sagemaker_guardrails_policy, sagemaker_guardrails_scp], ids=["policy", "scp"])
@pytest.mark.parametrize(("principals", "message"), [
    (BREAK_GLASS, "break_glass_principals: expected a list of IAM role or user ARNs"),
    (["dp:exclude=true"], "break_glass_principals: 'dp:exclude=true' is not an IAM role or user ARN"),
    ([f"arn:aws:sts::{ACCOUNT}:assumed-role/break-glass/alice"], "name the role, not an assumed-role session"),
])
def test_guardrails_bad_input_is_refused_naming_the_field_and_value(function, principals, message):
    with pytest.raises(AnsibleFilterError) as raised:
        function(principals)
    assert message in str(raised.value)


def _break_glass(count):
    return [f"arn:aws:iam::{ACCOUNT}:role/break-glass-{n:03d}" for n in range(count)]


@pytest.mark.parametrize(("function", "limit", "owner"), [
    (sagemaker_guardrails_policy, MANAGED_POLICY_MAX_SIZE, "IAM's limit of 6144"),
    (sagemaker_guardrails_scp, SCP_MAX_SIZE, "limit of 5120 for a service control policy"),
])
def test_largest_guardrails_that_fit_are_rendered_and_one_more_principal_is_refused(function, limit, owner):
    fits = max(n for n in range(1, 200) if iam_policy_size(
        perimeter_policies._sagemaker_guardrails(_break_glass(n))) <= limit)
    assert fits >= 10
    text = function(_break_glass(fits))
    assert len(text) <= limit
    with pytest.raises(AnsibleFilterError, match=f"{function.__name__}: .* over .*{owner}"):
        function(_break_glass(fits + 1))


def test_endpoint_policy_over_the_endpoint_limit_is_refused():
    many = [f"{ORG_ID}/{ROOT}/ou-ml01-{n:08d}/" for n in range(400)]
    text = s3_gateway_endpoint_policy(ORG_ID, ML_BUCKETS, REGION, many[:60])
    assert len(text) <= MAX_POLICY_LENGTH
    with pytest.raises(AnsibleFilterError, match="s3_gateway_endpoint_policy: .* over EC2's limit of 20480 for a VPC "
                                                 "endpoint policy; name fewer OU paths or ML buckets"):
        s3_gateway_endpoint_policy(ORG_ID, ML_BUCKETS, REGION, many)


def test_filters_are_registered():
    assert {"sagemaker_endpoint_policy", "s3_gateway_endpoint_policy"} <= set(
        endpoint_policies.FilterModule().filters())
    assert {"sagemaker_guardrails_policy", "sagemaker_guardrails_scp"} <= set(
        perimeter_policies.FilterModule().filters())
