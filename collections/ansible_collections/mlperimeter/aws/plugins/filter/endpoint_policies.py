"""VPC endpoint policies (pure functions): Console Private Access (A2) and the SageMaker VPC (M3).

An endpoint policy grants nothing: it bounds what passes through the endpoint, on top of IAM.
The console and sign-in policies admit only the company's accounts:

* console endpoint: any request of a principal of a company account (``aws:PrincipalAccount``);
* sign-in endpoint: the same after authentication, and before it, when no principal is known yet,
  ``signin:Authenticate`` into a company account (``aws:ResourceAccount``). The sign-up flow
  (``signin:CreateAccount``) has no principal and no company resource, so no statement admits it.

The SageMaker VPC's endpoints admit the organisation's principals (optionally only those under some
OUs) acting on the organisation's resources, AWS service principals, and reads of the AWS-owned
resources SageMaker needs; its S3 gateway endpoint lets objects be written only to the ML buckets.
"""

import json
import re

from ansible.errors import AnsibleFilterError
from ansible_collections.mlperimeter.aws.plugins.filter.perimeter_policies import (
    SAGEMAKER_IMAGE_ACCOUNTS,
    _aws_owned_resources,
    _buckets,
    _org_id,
    _partition,
    _region,
    _string_list,
    minified,
)

ACCOUNT_ID = re.compile(r"\d{12}")
MAX_POLICY_LENGTH = 20480
# Evaluated before sign-in, when the principal is not known: only resource keys are available.
PRE_AUTHENTICATION_ACTIONS = ["signin:Authenticate"]


def _account_ids(account_ids):
    if isinstance(account_ids, (str, int)) or not isinstance(account_ids, (list, tuple, set)):
        raise AnsibleFilterError(f"account_ids: expected a list of 12-digit AWS account ids, got {account_ids!r}")
    if not account_ids:
        raise AnsibleFilterError(
            "account_ids: the list is empty; an endpoint policy admitting no account would lock everyone out "
            "of the console"
        )
    for value in account_ids:
        if not isinstance(value, str) or not ACCOUNT_ID.fullmatch(value):
            raise AnsibleFilterError(f"account_ids: {value!r} is not a 12-digit AWS account id (give it as a string)")
    return sorted(set(account_ids))


def _minified(document):
    text = json.dumps(document, separators=(",", ":"))
    if len(text) > MAX_POLICY_LENGTH:
        raise AnsibleFilterError(
            f"account_ids: the rendered endpoint policy has {len(text)} characters, over the {MAX_POLICY_LENGTH} "
            "AWS allows for a VPC endpoint policy"
        )
    return text


def _company_principals(accounts):
    return {
        "Sid": "AllowCompanyPrincipals",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": accounts}},
    }


def console_endpoint_policy(account_ids):
    """The console endpoint's policy: only principals of ``account_ids``. Minified JSON, sorted."""
    accounts = _account_ids(account_ids)
    return _minified({"Version": "2012-10-17", "Statement": [_company_principals(accounts)]})


def signin_endpoint_policy(account_ids):
    """The sign-in endpoint's policy: signing in to ``account_ids`` before authentication, and principals of
    ``account_ids`` after it. Minified JSON, sorted."""
    accounts = _account_ids(account_ids)
    return _minified({"Version": "2012-10-17", "Statement": [
        {
            "Sid": "AllowSignInToCompanyAccounts",
            "Effect": "Allow",
            "Principal": "*",
            "Action": PRE_AUTHENTICATION_ACTIONS,
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceAccount": accounts}},
        },
        _company_principals(accounts),
    ]})


# SageMaker VPC (M3) ----------------------------------------------------------------------------------

OU_PATH = re.compile(r"(o-[a-z0-9]{10,32})/r-[0-9a-z]{4,32}/(?:ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}/)+")
AWS_OWNED_READ_ACTIONS = [
    "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "s3:GetObject",
    "s3:ListBucket",
]
S3_WRITE_ACTIONS = ["s3:AbortMultipartUpload", "s3:PutObject"]
S3_READ_ACTIONS = [
    "s3:GetBucketLocation", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketMultipartUploads",
    "s3:ListMultipartUploadParts",
]
ENDPOINT_SIZE_HINT = "name fewer OU paths or ML buckets"


def _ou_paths(org, ou_paths):
    paths = _string_list("ou_paths", ou_paths, "organisation paths (o-.../r-.../ou-.../)")
    for path in paths:
        match = OU_PATH.fullmatch(path) if isinstance(path, str) else None
        if not match:
            raise AnsibleFilterError(
                f"ou_paths: {path!r} is not an organisation path to an OU (o-<org>/r-<root>/ou-<root>-<ou>/, "
                "ending with a slash)")
        if match.group(1) != org:
            raise AnsibleFilterError(f"ou_paths: {path!r} is a path in organisation {match.group(1)}, not {org}")
    return sorted(set(paths))


def _organisation_principals(org, paths, **keys):
    """Condition admitting principals of ``org`` (under one of ``paths`` when given), with ``keys`` added
    to the same StringEquals block."""
    condition = {"StringEquals": {"aws:PrincipalOrgID": org, **keys}}
    if paths:
        condition["ForAnyValue:StringLike"] = {"aws:PrincipalOrgPaths": [f"{path}*" for path in paths]}
    return condition


def _allow(sid, actions, resources, condition=None):
    statement = {"Sid": sid, "Effect": "Allow", "Principal": "*", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def _endpoint_policy(field, statements):
    return minified({"Version": "2012-10-17", "Statement": statements}, field=field, limit=MAX_POLICY_LENGTH,
                    kind="a VPC endpoint policy", owner="EC2", hint=ENDPOINT_SIZE_HINT)


def sagemaker_endpoint_policy(org_id, region, ou_paths=None):
    """The policy of every interface endpoint of the SageMaker VPC (the data-perimeter examples'
    ``default_endpoint_policy``): principals of ``org_id`` (under ``ou_paths`` when given) on resources of
    ``org_id``; AWS service principals; and principals of ``org_id`` reading SageMaker's ECR images and
    JumpStart buckets in ``region``. Not for S3 endpoints, gateway or interface: it would let objects be
    written to any bucket of the organisation; they take :func:`s3_gateway_endpoint_policy`. Minified JSON,
    sorted."""
    org = _org_id(org_id)
    region = _region("region", region)
    if region not in SAGEMAKER_IMAGE_ACCOUNTS:
        raise AnsibleFilterError(f"region: no SageMaker image accounts are known for {region!r}")
    paths = _ou_paths(org, ou_paths)
    aws_owned = _aws_owned_resources(region, _partition(region), None, None)
    return _endpoint_policy("sagemaker_endpoint_policy", [
        _allow("AllowOrganisationPrincipalsToOrganisationResources", "*", "*",
               _organisation_principals(org, paths, **{"aws:ResourceOrgID": org})),
        _allow("AllowAWSServicePrincipals", "*", "*", {"Bool": {"aws:PrincipalIsAWSService": "true"}}),
        _allow("AllowOrganisationPrincipalsToReadAWSOwnedResources", AWS_OWNED_READ_ACTIONS, aws_owned,
               _organisation_principals(org, paths)),
    ])


def s3_gateway_endpoint_policy(org_id, ml_buckets, region, ou_paths=None):
    """The policy of the SageMaker VPC's S3 gateway endpoint (and of an S3 interface endpoint, if one is
    added): principals of ``org_id`` (under ``ou_paths``
    when given) write objects only to ``ml_buckets`` (when the bucket is still the organisation's), read
    only the organisation's buckets and SageMaker's JumpStart buckets in ``region``; ECR image layers can
    be downloaded. Minified JSON, sorted."""
    org = _org_id(org_id)
    buckets = _buckets(ml_buckets, why="SageMaker needs at least one bucket to write its data and models to")
    region = _region("region", region)
    partition = _partition(region)
    paths = _ou_paths(org, ou_paths)
    jumpstart = _aws_owned_resources(region, partition, [], None)
    return _endpoint_policy("s3_gateway_endpoint_policy", [
        # Bucket names are global: the organisation condition keeps writes off a listed bucket that was
        # deleted and whose name someone outside registered.
        _allow("AllowWritesToMlBuckets", S3_WRITE_ACTIONS,
               [f"arn:{partition}:s3:::{bucket}/*" for bucket in buckets],
               _organisation_principals(org, paths, **{"aws:ResourceOrgID": org})),
        _allow("AllowReadsOfOrganisationBuckets", S3_READ_ACTIONS, "*",
               _organisation_principals(org, paths, **{"aws:ResourceOrgID": org})),
        _allow("AllowReadsOfJumpStartBuckets", ["s3:GetObject", "s3:ListBucket"], jumpstart,
               _organisation_principals(org, paths)),
        # Image layers come through a URL that ECR presigns with its own credentials, so no principal
        # of the organisation is on the request.
        _allow("AllowEcrImageLayers", "s3:GetObject", f"arn:{partition}:s3:::prod-{region}-starport-layer-bucket/*"),
    ])


class FilterModule:
    def filters(self):
        return {
            "console_endpoint_policy": console_endpoint_policy,
            "signin_endpoint_policy": signin_endpoint_policy,
            "sagemaker_endpoint_policy": sagemaker_endpoint_policy,
            "s3_gateway_endpoint_policy": s3_gateway_endpoint_policy,
        }
