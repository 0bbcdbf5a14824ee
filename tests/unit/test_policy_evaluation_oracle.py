"""The collection's policy evaluator held to the independent oracle (``@cloud-copilot/iam-simulate``).

A seeded table of several thousand requests, decided by the oracle in one batch and by
``policy_evaluation.evaluate`` one by one, must agree on every decision. It is built from the
perimeter's real rendered policies (network, resource and guardrails identity policies, the console,
sign-in, SageMaker and S3 endpoint policies, the RCPs and the guardrails SCP) against requests from
inside and outside the account and organisation and its networks, and from synthetic policies that
exercise every condition operator with and without IfExists and set operators, present and missing
keys, Not* elements and wildcards. A few requests on which the oracle departs from AWS's documented
behaviour are listed apart, with the decision AWS documents.
"""

import json
import os
import random
import shutil

import pytest
from ansible_collections.mlperimeter.aws.plugins.filter import endpoint_policies as endpoints
from ansible_collections.mlperimeter.aws.plugins.filter import perimeter_policies as perimeter
from ansible_collections.mlperimeter.aws.plugins.module_utils import policy_evaluation as pe

from support import oracle

pytestmark = pytest.mark.skipif(
    not (os.environ.get("MLPERIMETER_NODE") or shutil.which("node")),
    reason="Node.js is not installed: the policy oracle (@cloud-copilot/iam-simulate) runs on it",
)

SEED = 20250611
ACCESS, ACCOUNT, TRUSTED, OUTSIDER = "111111111111", "222222222222", "333333333333", "999999999999"
AWS_OWNED = "000000000001"
DLC = "763104351884"
ORG, ATTACKER_ORG = "o-mlperim001", "o-attacker0001"
OU_PATH = f"{ORG}/r-ab12/ou-ab12-mlaccts1/"
OTHER_OU_PATH = f"{ORG}/r-ab12/ou-ab12-platform/"
REGION, HOME_REGION = "eu-west-1", "us-east-1"
BROWSER_VPC, SAGEMAKER_VPC, FOREIGN_VPC = "vpc-0b0b0b0b0b0b0b0b0", "vpc-05a5a5a5a5a5a5a5a", "vpc-0f0f0f0f0f0f0f0f0"
SAGEMAKER_VPCE, BROWSER_VPCE = "vpce-05a5a5a5a5a5a5a5a", "vpce-0b0b0b0b0b0b0b0b0"
FOREIGN_VPCE = "vpce-0f0f0f0f0f0f0f0f0"
EGRESS = ["203.0.113.10/32", "203.0.113.11/32", "2001:db8:aa::/48"]
ML_BUCKETS = ["ml-data-222222222222", "ml-models-222222222222"]
BREAK_GLASS = f"arn:aws:iam::{ACCOUNT}:role/break-glass"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _json(text):
    return json.loads(text)


NETWORK = _json(perimeter.network_perimeter_policy(
    EGRESS, {"vpc_id": BROWSER_VPC, "region": HOME_REGION}, {"vpc_id": SAGEMAKER_VPC, "region": REGION},
    [BREAK_GLASS]))
RESOURCE = _json(perimeter.resource_perimeter_policy(ACCOUNT, [TRUSTED], [BREAK_GLASS], region=REGION))
GUARDRAILS = _json(perimeter.sagemaker_guardrails_policy([BREAK_GLASS]))
GUARDRAILS_SCP = _json(perimeter.sagemaker_guardrails_scp([BREAK_GLASS]))
RCPS = perimeter.resource_control_policies(ORG, ML_BUCKETS, EGRESS, [BROWSER_VPC, SAGEMAKER_VPC], [SAGEMAKER_VPCE],
                                           [BREAK_GLASS])
CONSOLE = _json(endpoints.console_endpoint_policy([ACCESS, ACCOUNT, TRUSTED]))
SIGNIN = _json(endpoints.signin_endpoint_policy([ACCESS, ACCOUNT, TRUSTED]))
SAGEMAKER_ENDPOINT = {
    "org": _json(endpoints.sagemaker_endpoint_policy(ORG, REGION)),
    "ou": _json(endpoints.sagemaker_endpoint_policy(ORG, REGION, ou_paths=[OU_PATH])),
}
S3_ENDPOINT = {
    "org": _json(endpoints.s3_gateway_endpoint_policy(ORG, ML_BUCKETS, REGION)),
    "ou": _json(endpoints.s3_gateway_endpoint_policy(ORG, ML_BUCKETS, REGION, ou_paths=[OU_PATH])),
}
ENDPOINTS = {
    "console-endpoint": CONSOLE, "signin-endpoint": SIGNIN,
    **{f"sagemaker-endpoint-{scope}": document for scope, document in SAGEMAKER_ENDPOINT.items()},
    **{f"s3-endpoint-{scope}": document for scope, document in S3_ENDPOINT.items()},
}


# Who asks ----------------------------------------------------------------------------------------------

def _role(account, name):
    return f"arn:aws:iam::{account}:role/{name}"


# name: (principal, its role ARN (aws:PrincipalArn), account, organisation, OU path)
PRINCIPALS = {
    "data scientist": (_role(ACCOUNT, "data-scientist"), _role(ACCOUNT, "data-scientist"), ACCOUNT, ORG, OU_PATH),
    "data scientist session": (f"arn:aws:sts::{ACCOUNT}:assumed-role/data-scientist/alice",
                               _role(ACCOUNT, "data-scientist"), ACCOUNT, ORG, OU_PATH),
    "execution role": (_role(ACCOUNT, "sagemaker-execution"), _role(ACCOUNT, "sagemaker-execution"), ACCOUNT, ORG,
                       OU_PATH),
    "break-glass": (BREAK_GLASS, BREAK_GLASS, ACCOUNT, ORG, OU_PATH),
    "trusted account": (_role(TRUSTED, "feature-store"), _role(TRUSTED, "feature-store"), TRUSTED, ORG,
                        OTHER_OU_PATH),
    "outsider": (_role(OUTSIDER, "attacker"), _role(OUTSIDER, "attacker"), OUTSIDER, ATTACKER_ORG, None),
    "sagemaker service": ("sagemaker.amazonaws.com", None, None, None, None),
}

# Where a request comes from: the context keys of its network, and which endpoint it passes.
NETWORKS = {
    "egress IPv4": ({"aws:SourceIp": "203.0.113.10"}, None),
    "egress IPv6": ({"aws:SourceIp": "2001:db8:aa:1::5"}, None),
    "home IPv4": ({"aws:SourceIp": "198.51.100.7"}, None),
    "home IPv6": ({"aws:SourceIp": "2001:db8:ff::9"}, None),
    "browser VPC": ({"aws:SourceVpc": BROWSER_VPC, "aws:SourceVpce": BROWSER_VPCE, "aws:VpcSourceIp": "10.1.0.12"},
                    "browser"),
    "SageMaker VPC": ({"aws:SourceVpc": SAGEMAKER_VPC, "aws:SourceVpce": SAGEMAKER_VPCE,
                       "aws:VpcSourceIp": "10.2.0.40"}, "sagemaker"),
    "foreign VPC": ({"aws:SourceVpc": FOREIGN_VPC, "aws:SourceVpce": FOREIGN_VPCE, "aws:VpcSourceIp": "10.9.0.1"},
                    None),
    "no network key": ({}, None),
}


# What is asked ---------------------------------------------------------------------------------------

def _bucket(name, account, org):
    return {"kind": "bucket", "name": name, "account": account, "org": org}


BUCKETS = [
    _bucket(ML_BUCKETS[0], ACCOUNT, ORG), _bucket(ML_BUCKETS[1], ACCOUNT, ORG),
    _bucket("scratch-unlisted-222222222222", ACCOUNT, ORG), _bucket("team-shared-features", TRUSTED, ORG),
    _bucket("attacker-exfil-drop", OUTSIDER, ATTACKER_ORG), _bucket(f"jumpstart-cache-prod-{REGION}", AWS_OWNED, None),
    _bucket(f"prod-{REGION}-starport-layer-bucket", AWS_OWNED, None),
]


def _sagemaker(kind, name):
    return lambda account: f"arn:aws:sagemaker:{REGION}:{account}:{kind}/{name}"


def _vpc_subnets(rng):
    return rng.choice([["subnet-0a1b2c3d4e5f60718"], ["subnet-0a1b2c3d4e5f60718", "subnet-0b1b2c3d4e5f60719"], None])


def _network_access(rng):
    return rng.choice(["VpcOnly", "PublicInternetOnly", None])


def _internet_access(rng):
    return rng.choice(["Enabled", "Disabled", None])


# action: (resource for an account, service context keys: {key: value generator})
ACTIONS = {
    "sagemaker:CreateDomain": (_sagemaker("domain", "d-abc123def456"), {
        "sagemaker:AppNetworkAccessType": _network_access, "sagemaker:VpcSubnets": _vpc_subnets}),
    "sagemaker:UpdateDomain": (_sagemaker("domain", "d-abc123def456"), {
        "sagemaker:AppNetworkAccessType": _network_access, "sagemaker:VpcSubnets": _vpc_subnets}),
    "sagemaker:CreateTrainingJob": (_sagemaker("training-job", "churn-1"), {
        "sagemaker:VpcSubnets": _vpc_subnets,
        "sagemaker:NetworkIsolation": lambda rng: rng.choice([True, False, None])}),
    "sagemaker:CreateProcessingJob": (_sagemaker("processing-job", "prep-1"), {"sagemaker:VpcSubnets": _vpc_subnets}),
    "sagemaker:CreateModel": (_sagemaker("model", "churn"), {"sagemaker:VpcSubnets": _vpc_subnets}),
    "sagemaker:CreateNotebookInstance": (_sagemaker("notebook-instance", "nb"), {
        "sagemaker:VpcSubnets": _vpc_subnets, "sagemaker:DirectInternetAccess": _internet_access}),
    "sagemaker:CreatePresignedDomainUrl": (_sagemaker("user-profile", "d-abc123def456/alice"), {}),
    "ec2:CreateRoute": (lambda a: f"arn:aws:ec2:{REGION}:{a}:route-table/rtb-0a1b2c3d4e5f60718", {}),
    "ec2:ModifySnapshotAttribute": (lambda a: f"arn:aws:ec2:{REGION}::snapshot/snap-0a1b2c3d4e5f60718", {}),
    "ecr:BatchGetImage": (lambda a: f"arn:aws:ecr:{REGION}:{a}:repository/pytorch-training", {}),
    "ecr:GetDownloadUrlForLayer": (lambda a: f"arn:aws:ecr:{REGION}:{a}:repository/pytorch-training", {}),
    "ecr:SetRepositoryPolicy": (lambda a: f"arn:aws:ecr:{REGION}:{a}:repository/team-images", {}),
    "kms:Decrypt": (lambda a: f"arn:aws:kms:{REGION}:{a}:key/0f0e0d0c-0b0a-4909-8807-060504030201", {}),
    "kms:CreateGrant": (lambda a: f"arn:aws:kms:{REGION}:{a}:key/0f0e0d0c-0b0a-4909-8807-060504030201", {
        "kms:GrantIsForAWSResource": lambda rng: rng.choice([True, False, None])}),
    "kms:PutKeyPolicy": (lambda a: f"arn:aws:kms:{REGION}:{a}:key/0f0e0d0c-0b0a-4909-8807-060504030201", {}),
    "iam:CreatePolicyVersion": (lambda a: f"arn:aws:iam::{a}:policy/mlperimeter/mlperimeter-network-perimeter", {}),
    "iam:DeletePolicy": (lambda a: f"arn:aws:iam::{a}:policy/team/notebook-helpers", {}),
    "iam:DetachRolePolicy": (lambda a: f"arn:aws:iam::{a}:role/data-scientist", {
        "iam:PolicyARN": lambda rng: rng.choice([
            f"arn:aws:iam::{ACCOUNT}:policy/mlperimeter/mlperimeter-resource-perimeter",
            f"arn:aws:iam::{ACCOUNT}:policy/team/notebook-helpers", None])}),
    "iam:UpdateAssumeRolePolicy": (lambda a: f"arn:aws:iam::{a}:role/sagemaker-execution", {}),
    "logs:PutSubscriptionFilter": (lambda a: f"arn:aws:logs:{REGION}:{a}:log-group:/aws/sagemaker/TrainingJobs", {}),
    "route53resolver:CreateFirewallRule": (
        lambda a: f"arn:aws:route53resolver:{REGION}:{a}:firewall-rule-group/rslvr-frg-0a1b2c3d4e5f6071", {}),
    "secretsmanager:GetSecretValue": (lambda a: f"arn:aws:secretsmanager:{REGION}:{a}:secret:db-AbCdEf", {}),
    "lambda:AddPermission": (lambda a: f"arn:aws:lambda:{REGION}:{a}:function:scorer", {}),
    "ssm:GetParameter": (lambda a: f"arn:aws:ssm:{REGION}:{a}:parameter/mlperimeter/access/egress-ips", {}),
    "sts:AssumeRole": (lambda a: f"arn:aws:iam::{a}:role/sagemaker-execution", {}),
    "signin:Authenticate": (lambda a: "arn:aws:signin:::console/canvas", {}),
}
S3_ACTIONS = {
    "s3:GetObject": "object", "s3:PutObject": "object", "s3:AbortMultipartUpload": "object",
    "s3:ListBucket": "bucket", "s3:GetBucketLocation": "bucket", "s3:PutBucketPolicy": "bucket",
    "s3:DeleteBucketPolicy": "bucket", "s3:PutObjectAcl": "object",
}
# Actions that take no resource: the request names "*".
WILDCARD_ACTIONS = ["sts:GetCallerIdentity", "s3:ListAllMyBuckets", "ec2:DescribeVpcs", "sagemaker:ListDomains",
                    "ram:CreateResourceShare"]


def _open_policy(resources, principal="*"):
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "*", "Resource": resources}]}


def _resource_policy(rng, resource, owner, principal_arn):
    """A resource policy for ``resource`` of ``owner``: none, open, organisation-only, the owner account, the
    caller's role by ARN, or one denying everyone outside the organisation."""
    choice = rng.choice(["none", "none", "open", "org", "account", "role", "deny outsiders"])
    if choice == "none":
        return None
    if choice == "open":
        return _open_policy(resource)
    if choice == "org":
        return {"Version": "2012-10-17", "Statement": [{
            "Sid": "OrganisationOnly", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": resource,
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}}]}
    if choice == "account":
        return _open_policy(resource, {"AWS": f"arn:aws:iam::{owner}:root"})
    if choice == "role" and principal_arn:
        return _open_policy(resource, {"AWS": principal_arn})
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": owner}, "Action": "*", "Resource": resource},
        {"Sid": "DenyOutsiders", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": resource,
         "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG},
                       "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}]}


def _target(rng, action):
    """(resource, resource account, resource organisation, whether the resource may carry a policy)."""
    if action in WILDCARD_ACTIONS:
        return "*", ACCOUNT, ORG, False
    if action in S3_ACTIONS:
        bucket = rng.choice(BUCKETS)
        arn = f"arn:aws:s3:::{bucket['name']}"
        return (arn + "/train/part-0001.csv" if S3_ACTIONS[action] == "object" else arn), bucket["account"], \
            bucket["org"], True
    if action in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer") and rng.random() < 0.4:
        return ACTIONS[action][0](DLC), DLC, None, True
    account, org = rng.choice([(ACCOUNT, ORG), (ACCOUNT, ORG), (TRUSTED, ORG), (OUTSIDER, ATTACKER_ORG)])
    return ACTIONS[action][0](account), account, org, action.split(":")[0] in (
        "ecr", "kms", "secretsmanager", "lambda", "sts")


def _maybe(rng, probability=0.85):
    return rng.random() < probability


def _perimeter_request(rng):
    action = rng.choice(list(ACTIONS) + list(S3_ACTIONS) * 2 + WILDCARD_ACTIONS)
    principal_name = rng.choice(list(PRINCIPALS))
    principal, principal_arn, principal_account, principal_org, ou_path = PRINCIPALS[principal_name]
    resource, resource_account, resource_org, may_have_policy = _target(rng, action)
    network, endpoint = NETWORKS[rng.choice(list(NETWORKS))]
    service_principal = principal_arn is None

    context = dict(network)
    if service_principal:
        context["aws:PrincipalIsAWSService"] = True
        if _maybe(rng, 0.5):
            context["aws:SourceAccount"] = ACCOUNT
    else:
        context["aws:PrincipalArn"] = principal_arn
        context["aws:PrincipalAccount"] = principal_account
        if _maybe(rng):
            context["aws:PrincipalIsAWSService"] = False
        if _maybe(rng):
            context["aws:PrincipalOrgID"] = principal_org
        if ou_path and _maybe(rng, 0.6):
            context["aws:PrincipalOrgPaths"] = [ou_path]
    if action != "signin:Authenticate" or _maybe(rng):
        if _maybe(rng, 0.9):
            context["aws:ResourceAccount"] = resource_account
        if resource_org and _maybe(rng, 0.8):
            context["aws:ResourceOrgID"] = resource_org
    else:
        context.pop("aws:PrincipalArn", None)
    context["aws:RequestedRegion"] = rng.choice([REGION, REGION, HOME_REGION, "ap-south-1"])
    via = rng.choice([True, False, False, None])
    if via is not None:
        context["aws:ViaAWSService"] = via
        if via and _maybe(rng, 0.5):
            context["aws:CalledVia"] = [rng.choice(["athena.amazonaws.com", "sagemaker.amazonaws.com"])]
    if _maybe(rng, 0.2):
        context["aws:TagKeys"] = rng.choice([["team"], ["mlperimeter:control"], ["team", "mlperimeter:managed"]])
    for key, value_of in ACTIONS.get(action, (None, {}))[1].items():
        value = value_of(rng)
        if value is not None:
            context[key] = value

    identity = {} if service_principal else {"allow-all": ALLOW_ALL}
    if not service_principal:
        for name, document in (("mlperimeter-network", NETWORK), ("mlperimeter-resource", RESOURCE),
                               ("mlperimeter-guardrails", GUARDRAILS)):
            if _maybe(rng, 0.6):
                identity[name] = document
    kwargs = {"principal": principal, "action": action, "resource": resource, "resource_account": resource_account,
              "identity_policies": identity, "context": context}
    if may_have_policy:
        policy = _resource_policy(rng, resource if resource.startswith("arn:aws:s3") or action.startswith("sts:")
                                  else "*", resource_account, principal_arn)
        if policy is not None:
            kwargs["resource_policy"] = policy
    elif service_principal:
        kwargs["resource_policy"] = _open_policy("*", {"Service": principal})
    if endpoint == "sagemaker" and _maybe(rng, 0.8):
        scope = rng.choice(["org", "ou"])
        kind = "s3" if action.startswith("s3:") else "sagemaker"
        kwargs["vpc_endpoint_policies"] = {f"{kind}-endpoint-{scope}": ENDPOINTS[f"{kind}-endpoint-{scope}"]}
    elif endpoint == "browser" and _maybe(rng, 0.8):
        kind = "signin" if action.startswith("signin:") else "console"
        kwargs["vpc_endpoint_policies"] = {f"{kind}-endpoint": ENDPOINTS[f"{kind}-endpoint"]}
    if not service_principal and principal_account == ACCOUNT and _maybe(rng, 0.3):
        kwargs["scps"] = {"mlperimeter-sagemaker-guardrails": GUARDRAILS_SCP}
    if resource_account == ACCOUNT and _maybe(rng, 0.3):
        kwargs["rcps"] = RCPS
    if not service_principal and _maybe(rng, 0.1):
        kwargs["permission_boundaries"] = {"boundary": rng.choice([ALLOW_ALL, {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["s3:*", "sagemaker:*", "kms:Decrypt"], "Resource": "*"}]}])}
    return kwargs


# Synthetic policies ---------------------------------------------------------------------------------------

SYNTHETIC_PRINCIPAL = _role(ACCOUNT, "analyst")
SYNTHETIC_RESOURCE = f"arn:aws:s3:::{ML_BUCKETS[0]}/reports/q1.csv"

# base operator: (key, multivalued, policy values to draw from, request values to draw from)
OPERATOR_KEYS = {
    "StringEquals": [("aws:PrincipalTag/team", False, ["ml", "ML", "data", "ml*"], ["ml", "ML", "data", "ml*", "ops"]),
                     ("aws:TagKeys", True, ["team", "cost-centre", "mlperimeter:managed"],
                      ["team", "cost-centre", "owner", "mlperimeter:managed"])],
    "StringLike": [("aws:PrincipalTag/team", False, ["ml*", "d?ta", "*ops", "ml"],
                    ["ml", "mlops", "data", "dota", "x"]),
                   ("aws:CalledVia", True, ["athena.*", "*.amazonaws.com", "sagemaker.amazonaws.com"],
                    ["athena.amazonaws.com", "sagemaker.amazonaws.com", "glue.example"])],
    "StringEqualsIgnoreCase": [("aws:PrincipalTag/team", False, ["ML", "data"], ["ml", "Ml", "DATA", "ops"])],
    "ArnEquals": [("aws:PrincipalArn", False, [SYNTHETIC_PRINCIPAL, _role("*", "analyst"), _role(ACCOUNT, "a*")],
                   [SYNTHETIC_PRINCIPAL, _role(TRUSTED, "analyst"), _role(ACCOUNT, "auditor"), "not-an-arn"])],
    "ArnLike": [("aws:SourceArn", False, [f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:*",
                                         "arn:aws:sagemaker:*:*:training-job/churn-*"],
                 [f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/churn-1",
                  f"arn:aws:sagemaker:{REGION}:{OUTSIDER}:training-job/churn-2",
                  f"arn:aws:sagemaker:{HOME_REGION}:{ACCOUNT}:model/m"])],
    "IpAddress": [("aws:SourceIp", False, ["203.0.113.0/24", "198.51.100.7", "2001:db8:aa::/48", "10.0.0.1/8"],
                   ["203.0.113.44", "198.51.100.7", "198.51.100.8", "2001:db8:aa:5::1", "2001:db8:bb::1",
                    "10.200.3.4", "not-an-ip"])],
    "Bool": [("aws:SecureTransport", False, ["true", "false", "True"], ["true", "false", "TRUE", "yes"]),
             ("aws:ViaAWSService", False, ["true"], ["true", "false"])],
    "Numeric": [("aws:MultiFactorAuthAge", False, ["3600", "60", "0.5"], ["30", "60", "3600", "7200", "0.5", "abc"])],
    "Date": [("aws:CurrentTime", False, ["2025-06-01T00:00:00Z", "2025-06-01"],
              ["2025-05-31T23:59:59Z", "2025-06-01T00:00:00Z", "2025-06-02T12:00:00Z", "someday"]),
             ("aws:EpochTime", False, ["1748736000", "1700000000"], ["1748736000", "1600000000", "1800000000"])],
}
OPERATORS = {
    "StringEquals": ["StringEquals", "StringNotEquals"],
    "StringLike": ["StringLike", "StringNotLike"],
    "StringEqualsIgnoreCase": ["StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"],
    "ArnEquals": ["ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike"],
    "ArnLike": ["ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals"],
    "IpAddress": ["IpAddress", "NotIpAddress"],
    "Bool": ["Bool"],
    "Numeric": ["NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
                "NumericGreaterThan", "NumericGreaterThanEquals"],
    "Date": ["DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
             "DateGreaterThanEquals"],
}
PREFIXES = ["", "", "ForAnyValue:", "ForAllValues:"]


def _synthetic_condition(rng):
    family = rng.choice(list(OPERATORS))
    key, multivalued, policy_values, request_values = rng.choice(OPERATOR_KEYS[family])
    operator = rng.choice(OPERATORS[family])
    prefix = rng.choice(PREFIXES)
    suffix = "IfExists" if _maybe(rng, 0.4) else ""
    values = rng.sample(policy_values, rng.randint(1, min(3, len(policy_values))))
    condition = {f"{prefix}{operator}{suffix}": {key: values if len(values) > 1 or _maybe(rng, 0.5) else values[0]}}
    context = {}
    if _maybe(rng, 0.75):
        if multivalued:
            context[key] = rng.sample(request_values, rng.randint(0, min(3, len(request_values))))
        else:
            context[key] = rng.choice(request_values)
    if _maybe(rng, 0.25):
        null_key = rng.choice(["aws:PrincipalTag/project", key])
        condition[f"{'ForAllValues:' if _maybe(rng, 0.1) else ''}Null"] = {null_key: rng.choice(["true", "false"])}
        if null_key == "aws:PrincipalTag/project" and _maybe(rng):
            context[null_key] = "churn"
    return condition, context


def _synthetic_request(rng):
    """A condition-operator case: one statement with one to three operator blocks, as an Allow (allowed when
    the conditions match) or a Deny beside an allow-all (explicitly denied when they match)."""
    condition, context = _synthetic_condition(rng)
    while _maybe(rng, 0.3):
        more, more_context = _synthetic_condition(rng)
        if set(more) & set(condition):
            break
        condition.update(more)
        context.update(more_context)
    effect = rng.choice(["Allow", "Deny"])
    statement = {"Sid": "Synthetic", "Effect": effect, "Action": "s3:GetObject", "Resource": "*",
                 "Condition": condition}
    policies = {"synthetic": {"Version": "2012-10-17", "Statement": [statement]}}
    if effect == "Deny":
        policies["allow-all"] = ALLOW_ALL
    return {"principal": SYNTHETIC_PRINCIPAL, "action": "s3:GetObject", "resource": SYNTHETIC_RESOURCE,
            "resource_account": ACCOUNT, "identity_policies": policies, "context": context}


# Actions, resources, principals, variables and policy types, one statement each.
ELEMENT_CASES = [
    ({"Action": "s3:Get*"}, "s3:GetObject"), ({"Action": "S3:getobject"}, "s3:GetObject"),
    ({"Action": "s3:?etObject"}, "s3:GetObject"), ({"Action": "s3:*Object"}, "s3:PutObject"),
    ({"Action": ["ec2:*", "s3:List*"]}, "s3:GetObject"), ({"NotAction": "s3:Get*"}, "s3:GetObject"),
    ({"NotAction": ["sts:GetCallerIdentity", "iam:*"]}, "s3:PutObject"), ({"Action": "*"}, "s3:GetObject"),
    ({"Action": "s3:get?bject*"}, "s3:GetObject"),
]
RESOURCE_PATTERNS = [
    "*", f"arn:aws:s3:::{ML_BUCKETS[0]}/*", "arn:aws:s3:::ml-*/*", "arn:aws:s3:::ML-*/*", "arn:aws:s3:::*/reports/*",
    f"arn:aws:s3:::{ML_BUCKETS[0]}/reports/q?.csv", f"arn:aws:s3:::{ML_BUCKETS[0]}", "arn:*:s3:::ml-data-*/*",
    "arn:aws:s3:::${aws:PrincipalTag/bucket}/*", "arn:aws:s3:::${aws:PrincipalTag/bucket, 'ml-data-222222222222'}/*",
    f"arn:aws:s3:::{ML_BUCKETS[0]}/${{aws:username}}/*", "arn:aws:s3:::${*}/*",
]
SAGEMAKER_PATTERNS = [
    f"arn:aws:sagemaker:*:{ACCOUNT}:domain/*", f"arn:aws:sagemaker:{REGION}:*:*", "arn:aws:sagemaker:*:*:domain/d-*",
    f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:user-profile/*", "arn:aws:sagemaker:*:${aws:PrincipalAccount}:domain/*",
    "arn:aws:SageMaker:EU-WEST-1:*:domain/*",
]


def _element_requests(rng):
    requests = []
    for element, action in ELEMENT_CASES:
        for effect in ("Allow", "Deny"):
            policies = {"p": {"Version": "2012-10-17", "Statement": [{"Effect": effect, "Resource": "*", **element}]}}
            if effect == "Deny":
                policies["allow-all"] = ALLOW_ALL
            requests.append({"principal": SYNTHETIC_PRINCIPAL, "action": action, "resource": SYNTHETIC_RESOURCE,
                             "resource_account": ACCOUNT, "identity_policies": policies})
    contexts = [{}, {"aws:PrincipalTag/bucket": ML_BUCKETS[0]}, {"aws:PrincipalTag/bucket": "other"},
                {"aws:username": "reports"}, {"aws:PrincipalAccount": ACCOUNT}, {"aws:PrincipalAccount": OUTSIDER}]
    resources = [(SYNTHETIC_RESOURCE, "s3:GetObject"), (f"arn:aws:s3:::{ML_BUCKETS[0]}", "s3:ListBucket"),
                 (f"arn:aws:s3:::{ML_BUCKETS[0]}/reports/q10.csv", "s3:GetObject"),
                 (f"arn:aws:s3:::{ML_BUCKETS[0]}/reports/sub/q1.csv", "s3:GetObject"),
                 (f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:domain/d-abc123def456", "sagemaker:DescribeDomain"),
                 (f"arn:aws:sagemaker:{HOME_REGION}:{OUTSIDER}:domain/d-abc123def456", "sagemaker:DescribeDomain"),
                 (f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:user-profile/d-abc123def456/alice",
                  "sagemaker:DescribeUserProfile")]
    for resource, action in resources:
        for patterns in (RESOURCE_PATTERNS, SAGEMAKER_PATTERNS):
            for pattern in patterns:
                for key in ("Resource", "NotResource"):
                    effect = rng.choice(["Allow", "Deny"])
                    policies = {"p": {"Version": "2012-10-17",
                                      "Statement": [{"Effect": effect, "Action": "*", key: pattern}]}}
                    if effect == "Deny":
                        policies["allow-all"] = ALLOW_ALL
                    requests.append({"principal": SYNTHETIC_PRINCIPAL, "action": action, "resource": resource,
                                     "resource_account": ACCOUNT, "identity_policies": policies,
                                     "context": rng.choice(contexts)})
    return requests


PRINCIPAL_ELEMENTS = [
    "*", {"AWS": "*"}, {"AWS": ACCOUNT}, {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, {"AWS": OUTSIDER},
    {"AWS": _role(ACCOUNT, "data-scientist")}, {"AWS": _role(ACCOUNT, "Data-Scientist")},
    {"AWS": f"arn:aws:sts::{ACCOUNT}:assumed-role/data-scientist/alice"}, {"AWS": _role(OUTSIDER, "attacker")},
    {"Service": "sagemaker.amazonaws.com"}, {"AWS": [_role(TRUSTED, "feature-store"), OUTSIDER]},
    {"AWS": "AROAEXAMPLEUNIQUEID1"},
]


def _principal_requests(rng):
    """Resource policies naming principals every way, same-account and cross-account, Allow and Deny,
    Principal and NotPrincipal, with and without an identity allow, a permissions boundary, a KMS key or an
    STS trust policy."""
    requests = []
    callers = ["data scientist", "data scientist session", "trusted account", "outsider", "sagemaker service"]
    for element in PRINCIPAL_ELEMENTS:
        for caller in callers:
            principal, principal_arn, _, _, _ = PRINCIPALS[caller]
            for action, resource in (("s3:GetObject", SYNTHETIC_RESOURCE),
                                     ("kms:Decrypt", ACTIONS["kms:Decrypt"][0](ACCOUNT)),
                                     ("sts:AssumeRole", _role(ACCOUNT, "sagemaker-execution")),
                                     ("secretsmanager:GetSecretValue", ACTIONS["secretsmanager:GetSecretValue"][0](
                                         ACCOUNT))):
                for shape in ("allow", "not-principal deny", "deny", "allow no identity", "allow with boundary"):
                    if caller == "sagemaker service" and shape in ("allow with boundary", "not-principal deny"):
                        continue
                    statements = [{"Effect": "Allow", "Principal": element, "Action": "*", "Resource": resource}]
                    if shape == "not-principal deny":
                        statements = [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": resource},
                                      {"Effect": "Deny", "NotPrincipal": element, "Action": "*", "Resource": resource}]
                    elif shape == "deny":
                        statements = [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": resource},
                                      {"Effect": "Deny", "Principal": element, "Action": "*", "Resource": resource}]
                    kwargs = {"principal": principal, "action": action, "resource": resource,
                              "resource_account": ACCOUNT,
                              "resource_policy": {"Version": "2012-10-17", "Statement": statements}}
                    if caller != "sagemaker service" and shape != "allow no identity":
                        kwargs["identity_policies"] = {"allow-all": ALLOW_ALL}
                    if shape == "allow with boundary":
                        kwargs["permission_boundaries"] = {"boundary": rng.choice([ALLOW_ALL, {
                            "Version": "2012-10-17",
                            "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}])}
                    requests.append(kwargs)
    return requests


def _guardrail_requests(rng):
    """SCPs, RCPs and endpoint policies that are allow-lists or deny-lists, with identity and resource
    policies that allow."""
    requests = []
    allow_s3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    deny_put = {"Version": "2012-10-17", "Statement": [
        {"Sid": "NoPut", "Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}]}
    deny_put_rcp = {"Version": "2012-10-17", "Statement": [
        {"Sid": "NoPut", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*",
         "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG}}}]}
    read_endpoint = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}]}
    for action in ("s3:GetObject", "s3:PutObject"):
        for caller in ("data scientist", "trusted account", "outsider"):
            principal, _, _, org, _ = PRINCIPALS[caller]
            for scps in (None, {"allow-s3": allow_s3}, {"no-put": deny_put}):
                for rcps in (None, {"no-put": deny_put_rcp}):
                    for endpoint in (None, {"read-only": read_endpoint}):
                        requests.append({
                            "principal": principal, "action": action, "resource": SYNTHETIC_RESOURCE,
                            "resource_account": ACCOUNT, "identity_policies": {"allow-all": ALLOW_ALL},
                            "resource_policy": _open_policy(f"arn:aws:s3:::{ML_BUCKETS[0]}/*"),
                            "scps": scps, "rcps": rcps, "vpc_endpoint_policies": endpoint,
                            "context": {"aws:PrincipalOrgID": org}})
    return requests


def _signin_requests():
    """Signing in through the browser's sign-in endpoint: before authentication only the account signed
    into is known, after it the principal's account too."""
    requests = []
    for caller in ("data scientist", "trusted account", "outsider"):
        principal, principal_arn, account, _, _ = PRINCIPALS[caller]
        for action in ("signin:Authenticate", "signin:CreateAccount"):
            for target in (ACCOUNT, OUTSIDER):
                for keys in ({"aws:ResourceAccount": target},
                             {"aws:ResourceAccount": target, "aws:PrincipalAccount": account},
                             {"aws:PrincipalAccount": account}, {}):
                    requests.append({
                        "principal": principal, "action": action, "resource": "arn:aws:signin:::console/canvas",
                        "resource_account": target, "identity_policies": {"allow-all": ALLOW_ALL},
                        "vpc_endpoint_policies": {"signin-endpoint": SIGNIN},
                        "context": {"aws:SourceVpc": BROWSER_VPC, **keys}})
    return requests


def _aws_owned_requests():
    """Reads of SageMaker's images and JumpStart models, AWS-owned resources outside the organisation,
    through the SageMaker VPC's endpoints."""
    requests = []
    reads = [("ecr:BatchGetImage", ACTIONS["ecr:BatchGetImage"][0](DLC), DLC, "sagemaker"),
             ("ecr:GetDownloadUrlForLayer", ACTIONS["ecr:GetDownloadUrlForLayer"][0](DLC), DLC, "sagemaker"),
             ("s3:GetObject", f"arn:aws:s3:::jumpstart-cache-prod-{REGION}/models/m.tar.gz", AWS_OWNED, "s3"),
             ("s3:GetObject", f"arn:aws:s3:::jumpstart-cache-prod-{HOME_REGION}/models/m.tar.gz", AWS_OWNED, "s3"),
             ("s3:GetObject", f"arn:aws:s3:::prod-{REGION}-starport-layer-bucket/layer", AWS_OWNED, "s3")]
    for caller in ("data scientist", "execution role", "outsider"):
        principal, principal_arn, account, org, ou_path = PRINCIPALS[caller]
        for action, resource, owner, kind in reads:
            for scope in ("org", "ou"):
                for paths in ([ou_path] if ou_path else [], [OTHER_OU_PATH]):
                    requests.append({
                        "principal": principal, "action": action, "resource": resource, "resource_account": owner,
                        # ECR presigns layer downloads with its own credentials: the caller's perimeter
                        # policies are not on that request.
                        "identity_policies": {"allow-all": ALLOW_ALL, **(
                            {} if "starport" in resource else {"mlperimeter-resource": RESOURCE})},
                        "resource_policy": _open_policy(resource),
                        "vpc_endpoint_policies": {f"{kind}-endpoint-{scope}": ENDPOINTS[f"{kind}-endpoint-{scope}"]},
                        "context": {"aws:SourceVpc": SAGEMAKER_VPC, "aws:PrincipalArn": principal_arn,
                                    "aws:PrincipalOrgID": org, "aws:PrincipalOrgPaths": paths,
                                    "aws:ResourceAccount": owner}})
    return requests


def _bucket_requests():
    """Every bucket read and written from the SageMaker VPC through its S3 endpoint, by principals of the
    organisation (in and out of the ML accounts' OU) and outside it."""
    requests = []
    for caller in ("data scientist", "trusted account", "outsider"):
        principal, principal_arn, account, org, ou_path = PRINCIPALS[caller]
        for bucket in BUCKETS:
            for action, suffix in (("s3:GetObject", "/a.csv"), ("s3:PutObject", "/a.csv"), ("s3:ListBucket", "")):
                resource = f"arn:aws:s3:::{bucket['name']}{suffix}"
                for scope in ("org", "ou"):
                    context = {"aws:SourceVpc": SAGEMAKER_VPC, "aws:PrincipalOrgID": org,
                               "aws:PrincipalOrgPaths": [ou_path] if ou_path else [],
                               "aws:ResourceAccount": bucket["account"]}
                    if bucket["org"]:
                        context["aws:ResourceOrgID"] = bucket["org"]
                    requests.append({
                        "principal": principal, "action": action, "resource": resource,
                        "resource_account": bucket["account"], "identity_policies": {"allow-all": ALLOW_ALL},
                        "resource_policy": _open_policy(f"arn:aws:s3:::{bucket['name']}*"),
                        "vpc_endpoint_policies": {f"s3-endpoint-{scope}": ENDPOINTS[f"s3-endpoint-{scope}"]},
                        "context": context})
    return requests


def _table():
    rng = random.Random(SEED)
    requests = [_perimeter_request(rng) for _ in range(3500)]
    requests += [_synthetic_request(rng) for _ in range(2500)]
    requests += _element_requests(rng) + _principal_requests(rng) + _guardrail_requests(rng)
    requests += _signin_requests() + _aws_owned_requests() + _bucket_requests()
    return requests


# Where the oracle departs from AWS's documented behaviour: (request, AWS's decision, the oracle's decision).
DENY_ALL_SCP = {"Version": "2012-10-17", "Statement": [{"Sid": "DenyAll", "Effect": "Deny", "Action": "*",
                                                          "Resource": "*"}]}
DENY_ALL_RCP = {"Version": "2012-10-17", "Statement": [{"Sid": "DenyS3", "Effect": "Deny", "Principal": "*",
                                                          "Action": "s3:*", "Resource": "*"}]}
SERVICE_LINKED_ROLE = (f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/sagemaker.amazonaws.com/"
                       "AWSServiceRoleForAmazonSageMaker")
EXPECTED_DIFFERENCES = {
    # "SCPs don't affect service-linked roles" (AWS Organizations User Guide, SCPs).
    "SCP on a service-linked role": ({
        "principal": SERVICE_LINKED_ROLE, "action": "s3:GetObject", "resource": SYNTHETIC_RESOURCE,
        "resource_account": ACCOUNT, "identity_policies": {"allow-all": ALLOW_ALL}, "scps": {"deny": DENY_ALL_SCP}},
        pe.ALLOWED, oracle.EXPLICITLY_DENIED),
    # RCPs do not restrict actions performed by service-linked roles (AWS Organizations User Guide, RCPs).
    "RCP on a service-linked role": ({
        "principal": SERVICE_LINKED_ROLE, "action": "s3:GetObject", "resource": SYNTHETIC_RESOURCE,
        "resource_account": ACCOUNT, "identity_policies": {"allow-all": ALLOW_ALL}, "rcps": {"deny": DENY_ALL_RCP}},
        pe.ALLOWED, oracle.EXPLICITLY_DENIED),
    # SCPs limit only the IAM users and roles of member accounts, not AWS service principals.
    "SCP on an AWS service principal": ({
        "principal": "sagemaker.amazonaws.com", "action": "s3:GetObject", "resource": SYNTHETIC_RESOURCE,
        "resource_account": ACCOUNT, "resource_policy": _open_policy(SYNTHETIC_RESOURCE),
        "scps": {"deny": DENY_ALL_SCP}}, pe.ALLOWED, oracle.EXPLICITLY_DENIED),
    # An interface endpoint's policy "controls which AWS principals can use the endpoint" (PrivateLink
    # Guide) and may name them; the oracle accepts only Principal "*" in an endpoint policy.
    "endpoint policy naming another principal": ({
        "principal": PRINCIPALS["data scientist"][0], "action": "s3:GetObject", "resource": SYNTHETIC_RESOURCE,
        "resource_account": ACCOUNT, "identity_policies": {"allow-all": ALLOW_ALL},
        "vpc_endpoint_policies": {"vpce": _open_policy("*", {"AWS": _role(ACCOUNT, "auditor")})}},
        pe.IMPLICITLY_DENIED, oracle.OracleError),
    # Date conditions take epoch seconds (IAM User Guide, date condition operators); the oracle reads a
    # number as milliseconds when it compares it with an ISO date (1748736000 is 2025-06-01T00:00:00Z).
    "epoch seconds against an ISO date": ({
        "principal": SYNTHETIC_PRINCIPAL, "action": "s3:GetObject", "resource": SYNTHETIC_RESOURCE,
        "resource_account": ACCOUNT, "identity_policies": {"p": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"DateGreaterThan": {"aws:CurrentTime": "1748736000"}}}]}},
        "context": {"aws:CurrentTime": "2025-05-31T00:00:00Z"}}, pe.IMPLICITLY_DENIED, oracle.ALLOWED),
}


# Tests -----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def table():
    requests = _table()
    decided = oracle.decide(oracle.request(**r) for r in requests)
    return list(zip(requests, decided, strict=True))


def test_the_generator_uses_only_context_keys_the_oracle_applies(table):
    ignored = [(r, d.ignored_context_keys) for r, d in table if d.ignored_context_keys]
    assert not ignored, (
        f"generator bug: {len(ignored)} requests carry context keys the oracle does not apply to their action; "
        f"first: {json.dumps(ignored[0][0])[:1500]} ignored {ignored[0][1]}")


def test_the_evaluator_agrees_with_the_oracle_on_every_request(table):
    mismatches = []
    for request, decided in table:
        ours = pe.evaluate(**request)
        if ours.decision != decided.decision:
            mismatches.append((request, ours, decided))
    shown = "\n\n".join(
        f"request: {json.dumps(r)[:2500]}\n  evaluator: {ours.explain()}\n  oracle:    {theirs.explain()}"
        for r, ours, theirs in mismatches[:5])
    assert not mismatches, f"{len(mismatches)} of {len(table)} decisions differ; the first ones:\n\n{shown}"


def test_the_table_is_large_and_reaches_every_decision(table):
    assert len(table) >= 5000
    decisions = [d.decision for _, d in table]
    for decision in (oracle.ALLOWED, oracle.EXPLICITLY_DENIED, oracle.IMPLICITLY_DENIED):
        assert decisions.count(decision) >= len(table) // 20, (decision, decisions.count(decision))
    blocked = {reason for _, d in table for reason in d.blocked_by}
    assert {"scp", "rcp", "vpce", "identity", "resource", "pb"} <= blocked, blocked


def test_the_rendered_perimeter_denies_and_allows_in_the_table(table):
    """Every statement of the perimeter's policies decides at least one request of the table."""
    denied_by = {(d.get("policyIdentifier"), d.get("statementId")) for _, decided in table for d in decided.denials}
    granted_by = {(g.get("policyIdentifier"), g.get("statementId")) for _, decided in table for g in decided.grants}
    for name, document in (("mlperimeter-network", NETWORK), ("mlperimeter-resource", RESOURCE),
                           ("mlperimeter-guardrails", GUARDRAILS), *RCPS.items()):
        for statement in document["Statement"]:
            assert (name, statement["Sid"]) in denied_by, (name, statement["Sid"])
    for name, document in ENDPOINTS.items():
        for statement in document["Statement"]:
            assert (name, statement["Sid"]) in granted_by, (name, statement["Sid"])


@pytest.mark.parametrize("case", list(EXPECTED_DIFFERENCES))
def test_documented_aws_behaviour_where_the_oracle_departs_from_it(case):
    request, aws_decision, oracle_answer = EXPECTED_DIFFERENCES[case]
    assert pe.evaluate(**request).decision == aws_decision
    if oracle_answer is oracle.OracleError:
        with pytest.raises(oracle.OracleError):
            oracle.decide_one(**request)
    else:
        assert oracle.decide_one(**request).decision == oracle_answer, (
            "the oracle now agrees with AWS here: move the case into the table")
