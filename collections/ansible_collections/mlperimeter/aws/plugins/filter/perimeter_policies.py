"""Perimeter policies rendered from the facts a rollout publishes (pure functions, no AWS calls)."""

import ipaddress
import json
import re

from ansible.errors import AnsibleFilterError
from ansible_collections.mlperimeter.aws.plugins.module_utils.iam import MANAGED_POLICY_MAX_SIZE, iam_policy_size

# AWS-managed infrastructure role that calls KMS for encrypted EBS volumes and AMIs from
# AWS's own network; the data-perimeter examples exempt it from every network statement.
EC2_INFRASTRUCTURE_ROLE = "arn:{partition}:iam::*:role/aws:ec2-infrastructure"

# Answers who the caller is and grants nothing, so it stays callable from anywhere: operators
# and tools need it to see which credentials are denied.
NOT_ACTIONS = ["sts:GetCallerIdentity"]

VPC_ID = re.compile(r"vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})")
REGION = re.compile(r"(?:[a-z]{2}|us-gov|us-iso[a-z]?|eu-isoe?)-[a-z]+-\d{1,2}")
PRINCIPAL_ARN = re.compile(
    r"arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):iam::\d{12}:"
    r"(?:root|(?:role|user)/[\w+=,.@*?/-]{1,512})"
)


def _partition(region):
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _egress_networks(egress_ips):
    if isinstance(egress_ips, str) or not isinstance(egress_ips, (list, tuple)):
        raise AnsibleFilterError(f"egress_ips: expected a list of CIDRs, got {egress_ips!r}")
    if not egress_ips:
        raise AnsibleFilterError(
            "egress_ips: the list is empty; a network perimeter naming no egress IP would deny every "
            "request from the browser's NAT gateways and lock everyone out"
        )
    networks = set()
    for value in egress_ips:
        try:
            network = ipaddress.ip_network(str(value).strip(), strict=True)
        except ValueError as e:
            raise AnsibleFilterError(f"egress_ips: {value!r} is not a CIDR or IP address ({e})") from e
        if network.prefixlen == 0:
            raise AnsibleFilterError(f"egress_ips: {value!r} admits every address, which is no perimeter")
        networks.add(network)
    return [str(n) for n in sorted(networks, key=lambda n: (n.version, n.network_address, n.prefixlen))]


def _vpc(field, vpc):
    if not isinstance(vpc, dict) or not vpc:
        raise AnsibleFilterError(
            f"{field}: expected {{'vpc_id': 'vpc-...', 'region': '...'}}, got {vpc!r}; a perimeter that "
            "names no VPC would deny the calls made from it"
        )
    unknown = sorted(set(vpc) - {"vpc_id", "region"})
    if unknown:
        raise AnsibleFilterError(f"{field}: unknown keys {unknown}; expected vpc_id and region")
    vpc_id, region = vpc.get("vpc_id"), vpc.get("region")
    if not isinstance(vpc_id, str) or not VPC_ID.fullmatch(vpc_id):
        raise AnsibleFilterError(f"{field}.vpc_id: {vpc_id!r} is not a VPC id (vpc- and 8 or 17 hex digits)")
    if not isinstance(region, str) or not REGION.fullmatch(region):
        raise AnsibleFilterError(f"{field}.region: {region!r} is not an AWS Region name")
    return vpc_id, region


def _principals(break_glass_principals):
    if break_glass_principals is None:
        return []
    if isinstance(break_glass_principals, str) or not isinstance(break_glass_principals, (list, tuple)):
        raise AnsibleFilterError(
            f"break_glass_principals: expected a list of IAM role or user ARNs, got {break_glass_principals!r}"
        )
    for arn in break_glass_principals:
        if not isinstance(arn, str) or not PRINCIPAL_ARN.fullmatch(arn):
            hint = " (name the role, not an assumed-role session)" if ":assumed-role/" in str(arn) else ""
            raise AnsibleFilterError(f"break_glass_principals: {arn!r} is not an IAM role or user ARN{hint}")
    return sorted(set(break_glass_principals))


def _sid_suffix(region):
    return "".join(part.capitalize() for part in region.split("-"))


NETWORK_SIZE_HINT = (
    "name fewer egress CIDRs or break-glass principals (a range covering several NAT addresses counts once)"
)


def minified(document, field="policy", limit=MANAGED_POLICY_MAX_SIZE, kind="a managed policy", owner="IAM",
             hint=NETWORK_SIZE_HINT):
    """``document`` as compact JSON, refused when IAM (or Organizations, given its ``limit``) would refuse
    it for size."""
    text = json.dumps(document, separators=(",", ":"))
    size = iam_policy_size(text)
    if size > limit:
        raise AnsibleFilterError(
            f"{field}: the rendered policy has {size} characters, over {owner}'s limit of {limit} for {kind}; {hint}"
        )
    return text


def network_perimeter_policy(egress_ips, browser_vpc, sagemaker_vpc, break_glass_principals=None):
    """The M1 network perimeter: deny every action unless the request comes from an egress IP, from
    the browser VPC or the SageMaker VPC in its own Region, or through an AWS service acting for the
    caller. Break-glass principals are exempt by ARN. Returns minified JSON, sorted, so reruns compare
    equal."""
    networks = _egress_networks(egress_ips)
    vpcs = sorted({_vpc("browser_vpc", browser_vpc), _vpc("sagemaker_vpc", sagemaker_vpc)})
    if len({vpc_id for vpc_id, _ in vpcs}) < len(vpcs):
        raise AnsibleFilterError(
            f"sagemaker_vpc: {vpcs[0][0]} is also the browser VPC's id in another Region; the policy "
            "cannot admit each in its own Region"
        )
    partition = _partition(vpcs[0][1])
    exempt = sorted({EC2_INFRASTRUCTURE_ROLE.format(partition=partition), *_principals(break_glass_principals)})
    common = {
        "BoolIfExists": {"aws:ViaAWSService": "false"},
        "ArnNotLikeIfExists": {"aws:PrincipalArn": exempt},
    }
    statements = [{
        "Sid": "DenyOutsideExpectedNetworks",
        "Effect": "Deny",
        "NotAction": NOT_ACTIONS,
        "Resource": "*",
        # All blocks of one Deny are ANDed: it applies only when the request is neither from an
        # egress IP nor from one of the VPCs (each key absent counts as "not from there").
        "Condition": {
            "NotIpAddressIfExists": {"aws:SourceIp": networks},
            "StringNotEqualsIfExists": {"aws:SourceVpc": sorted({vpc_id for vpc_id, _ in vpcs})},
            **common,
        },
    }]
    # A VPC id is unique only within a Region, so a VPC is admitted only for calls to its own
    # Region: one Deny per Region for requests from its VPCs that name another Region. This is
    # the data-perimeter examples' SourceVpc + RequestedRegion pairing.
    for region in sorted({region for _, region in vpcs}):
        statements.append({
            "Sid": f"DenyExpectedVpcsOutside{_sid_suffix(region)}",
            "Effect": "Deny",
            "NotAction": NOT_ACTIONS,
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:SourceVpc": sorted(vpc_id for vpc_id, r in vpcs if r == region)},
                "StringNotEqualsIfExists": {"aws:RequestedRegion": region},
                **common,
            },
        })
    return minified({"Version": "2012-10-17", "Statement": statements})


# Resource perimeter (M2) ---------------------------------------------------------------------------------

ACCOUNT_ID = re.compile(r"\d{12}")
ORG_ID = re.compile(r"o-[a-z0-9]{10,32}")
VPCE_ID = re.compile(r"vpce-(?:[0-9a-f]{8}|[0-9a-f]{17})")
S3_BUCKET = re.compile(r"(?!xn--|sthree-|\d+\.\d+\.\d+\.\d+$)[a-z0-9](?:[a-z0-9-]|\.(?!\.)){1,61}[a-z0-9]")
IAM_PATH = re.compile(r"/(?:[\x21-\x7e]{1,510}/)?")
ARN = re.compile(r"arn:(?:aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):[a-z0-9-]+:[a-z0-9-*]*:(?:\d{12}|aws|\*)?:\S+")

# AWS accounts whose ECR repositories hold SageMaker's own images, by Region: the deep learning
# containers, SageMaker Distribution (Studio's JupyterLab and Code Editor images) and
# sagemaker-base-python (Studio Classic). Source: the SageMaker Python SDK's image_uri_config
# (pytorch.json, sagemaker-distribution.json, sagemaker-base-python.json); AWS lists the same
# accounts under "Docker Registry Paths and Example Code". Built-in algorithm images are pulled by
# SageMaker itself, not with the caller's credentials, so they need no exception here.
_DLC = "763104351884"
SAGEMAKER_IMAGE_ACCOUNTS = {
    "af-south-1": ["626614931356", "238384257742", "559312083959"],
    "ap-east-1": ["871362719292", "523751269255", "493642496378"],
    "ap-northeast-1": [_DLC, "010972774902", "102112518831"],
    "ap-northeast-2": [_DLC, "064688005998", "806072073708"],
    "ap-northeast-3": ["364406365360", "564864627153", "792733760839"],
    "ap-south-1": [_DLC, "245090515133", "394103062818"],
    "ap-southeast-1": [_DLC, "022667117163", "492261229750"],
    "ap-southeast-2": [_DLC, "648430277019", "452832661640"],
    "ap-southeast-3": ["370607712162", "276181064229"],
    "ca-central-1": [_DLC, "481561238223", "310906938811"],
    "cn-north-1": ["727897471807", "390048526115"],
    "cn-northwest-1": ["727897471807", "390780980154"],
    "eu-central-1": [_DLC, "545423591354", "936697816551"],
    "eu-north-1": [_DLC, "175620155138", "243637512696"],
    "eu-south-1": ["692866216735", "810671768855", "592751261982"],
    "eu-south-2": ["127363102723"],
    "eu-west-1": [_DLC, "819792524951", "470317259841"],
    "eu-west-2": [_DLC, "021081402939", "712779665605"],
    "eu-west-3": [_DLC, "856416204555", "615547856133"],
    "il-central-1": ["380164790875"],
    "me-central-1": ["358593528301", "103105715889"],
    "me-south-1": ["217643126080", "523774347010", "117516905037"],
    "sa-east-1": [_DLC, "567556641782", "782484402741"],
    "us-east-1": [_DLC, "885854791233", "081325390199"],
    "us-east-2": [_DLC, "137914896644", "429704687514"],
    "us-gov-east-1": ["107072934176"],
    "us-gov-west-1": ["442386744353", "107173498710"],
    "us-west-1": [_DLC, "053634841547", "742091327244"],
    "us-west-2": [_DLC, "542918446943", "236514542706"],
}

# Sharing and public exposure: the data-perimeter examples' PreventExternalResourceShare and
# ProtectActionsNotSupportedByPrimaryDPControls (snapshot, image and document permissions, RAM
# shares, log subscriptions, Lake Formation grants, copies from shared snapshots), plus the
# account-wide public-access guards.
SHARING_ACTIONS = [
    "ec2:ModifySnapshotAttribute", "ec2:ModifyImageAttribute", "ec2:ModifyFpgaImageAttribute",
    "ec2:DisableSnapshotBlockPublicAccess", "ec2:DisableImageBlockPublicAccess", "ec2:CopySnapshot",
    "ec2:CreateNetworkInterfacePermission", "ec2:EnableAddressTransfer", "ec2:ModifyVpcEndpointServicePermissions",
    "rds:ModifyDBSnapshotAttribute", "rds:ModifyDBClusterSnapshotAttribute",
    "redshift:AuthorizeDataShare", "redshift:AuthorizeSnapshotAccess", "redshift:AuthorizeEndpointAccess",
    "ssm:ModifyDocumentPermission", "ram:CreateResourceShare", "ram:UpdateResourceShare",
    "ram:AssociateResourceShare", "ram:AcceptResourceShareInvitation", "logs:PutSubscriptionFilter",
    "lakeformation:GrantPermissions", "lakeformation:BatchGrantPermissions", "servicecatalog:CreatePortfolioShare",
    "s3:PutAccountPublicAccessBlock",
]
# Resource-policy and credential edits through which an outsider could be admitted.
OUTSIDER_GRANT_ACTIONS = [
    "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketAcl", "s3:PutObjectAcl", "s3:PutObjectVersionAcl",
    "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls", "s3:PutAccessPointPolicy",
    "s3:PutReplicationConfiguration", "kms:PutKeyPolicy", "ecr:SetRepositoryPolicy", "ecr:PutRegistryPolicy",
    "ecr:PutReplicationConfiguration", "iam:UpdateAssumeRolePolicy", "iam:CreateRole", "iam:CreateUser",
    "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:CreateOpenIDConnectProvider",
    "iam:CreateSAMLProvider", "iam:UpdateSAMLProvider", "lambda:AddPermission", "lambda:AddLayerVersionPermission",
    "lambda:CreateFunctionUrlConfig", "lambda:UpdateFunctionUrlConfig", "secretsmanager:PutResourcePolicy",
    "sns:AddPermission", "sqs:AddPermission", "glue:PutResourcePolicy", "sagemaker:PutModelPackageGroupPolicy",
]
# The perimeter's network: routes, gateways, peering and transit attachments, endpoints, DHCP
# options (the VPC's resolver), flow logs, and every Route 53 Resolver write (DNS Firewall and its
# associations, config and lists, query logging, outbound forwarding). Denied on every resource: a
# gateway or endpoint created beside the perimeter is a way around it.
NETWORK_TAMPERING_ACTIONS = [
    "ec2:CreateRoute*", "ec2:ReplaceRoute*", "ec2:DeleteRoute*", "ec2:AssociateRouteTable",
    "ec2:DisassociateRouteTable", "ec2:*InternetGateway", "ec2:*NatGateway", "ec2:*VpnGateway",
    "ec2:*CarrierGateway", "ec2:*VpcPeeringConnection", "ec2:*TransitGatewayVpcAttachment",
    "ec2:*TransitGatewayPeeringAttachment", "ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint",
    "ec2:DeleteVpcEndpoints", "ec2:AcceptVpcEndpointConnections", "ec2:AssociateDhcpOptions", "ec2:DeleteFlowLogs",
    "route53:AssociateVPCWithHostedZone", "route53:CreateVPCAssociationAuthorization",
    "route53resolver:Associate*", "route53resolver:Create*", "route53resolver:Delete*",
    "route53resolver:Disassociate*", "route53resolver:Import*", "route53resolver:Put*", "route53resolver:Update*",
]
PERIMETER_POLICY_ACTIONS = [
    "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy",
]
PERIMETER_DETACH_ACTIONS = ["iam:DetachRolePolicy", "iam:DetachUserPolicy", "iam:DetachGroupPolicy"]
RESOURCE_SIZE_HINT = (
    "name fewer trusted resource accounts, break-glass principals or AWS-owned resources"
)


def _account_id(field, value):
    if not isinstance(value, str) or not ACCOUNT_ID.fullmatch(value):
        raise AnsibleFilterError(f"{field}: {value!r} is not a 12-digit AWS account id (give it as a string)")
    return value


def _string_list(field, values, what):
    if values is None:
        return []
    if isinstance(values, (str, dict)) or not isinstance(values, (list, tuple)):
        raise AnsibleFilterError(f"{field}: expected a list of {what}, got {values!r}")
    return list(values)


def _region(field, region):
    if not isinstance(region, str) or not REGION.fullmatch(region):
        raise AnsibleFilterError(f"{field}: {region!r} is not an AWS Region name")
    return region


def _policy_path(path):
    if not isinstance(path, str) or not IAM_PATH.fullmatch(path) or path == "/":
        raise AnsibleFilterError(
            f"perimeter_policy_path: {path!r} is not an IAM path of the perimeter's own (/name/ ... /); the root "
            "path '/' would protect every customer-managed policy"
        )
    return path


def _aws_owned_resources(region, partition, sagemaker_image_accounts, aws_owned_resources):
    if sagemaker_image_accounts is None:
        if region not in SAGEMAKER_IMAGE_ACCOUNTS:
            raise AnsibleFilterError(
                f"region: no SageMaker image accounts are known for {region!r}; give sagemaker_image_accounts "
                "(the accounts of SageMaker's ECR images in that Region, [] for none)"
            )
        sagemaker_image_accounts = SAGEMAKER_IMAGE_ACCOUNTS[region]
    accounts = sorted({_account_id("sagemaker_image_accounts", a) for a in
                       _string_list("sagemaker_image_accounts", sagemaker_image_accounts, "12-digit account ids")})
    extra = _string_list("aws_owned_resources", aws_owned_resources, "resource ARNs")
    for arn in extra:
        if not isinstance(arn, str) or not ARN.fullmatch(arn):
            raise AnsibleFilterError(f"aws_owned_resources: {arn!r} is not a resource ARN")
    # SageMaker JumpStart's model buckets (the data-perimeter examples' service-owned resources).
    jumpstart = [f"arn:{partition}:s3:::{bucket}-{region}{suffix}"
                 for bucket in ("jumpstart-cache-prod", "jumpstart-private-cache-prod") for suffix in ("", "/*")]
    images = [f"arn:{partition}:ecr:{region}:{account}:repository/*" for account in accounts]
    return sorted({*images, *jumpstart, *extra})


def _break_glass(principals):
    return {"ArnNotLike": {"aws:PrincipalArn": principals}} if principals else {}


def _deny(sid, actions, condition, resource="*"):
    statement = {"Sid": sid, "Effect": "Deny", "Action": actions, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def resource_perimeter_policy(account_id, trusted_resource_accounts=None, break_glass_principals=None, region=None,
                              perimeter_policy_path="/mlperimeter/", sagemaker_image_accounts=None,
                              aws_owned_resources=None):
    """The M2 resource perimeter, a customer-managed policy for the data-scientist and execution roles.

    It denies: any action on a resource of an account other than ``account_id`` and
    ``trusted_resource_accounts``, except SageMaker's own ECR images and JumpStart buckets in ``region``
    (and ``aws_owned_resources``); sharing and public exposure; resource-policy and credential edits
    that could admit outsiders; changes to the perimeter's own policies (those under
    ``perimeter_policy_path``) and their attachments; and changes to routes, gateways, endpoints, DNS
    Firewall, flow logs and query logging. ``break_glass_principals`` are exempt by ARN. Returns minified
    JSON, sorted, refused over IAM's 6,144 characters."""
    account = _account_id("account_id", account_id)
    trusted = sorted({account, *(_account_id("trusted_resource_accounts", a) for a in _string_list(
        "trusted_resource_accounts", trusted_resource_accounts, "12-digit account ids"))})
    region = _region("region", region)
    partition = _partition(region)
    path = _policy_path(perimeter_policy_path)
    exempt = _break_glass(_principals(break_glass_principals))
    perimeter_policies = f"arn:{partition}:iam::{account}:policy{path}*"
    statements = [
        {
            "Sid": "DenyResourcesOutsideTrustedAccounts",
            "Effect": "Deny",
            "Action": "*",
            "NotResource": _aws_owned_resources(region, partition, sagemaker_image_accounts, aws_owned_resources),
            # Null false: an action whose request names no resource account is left to the explicit
            # denials below, which cover the ones the data-perimeter examples list (peering, transit
            # attachments, endpoints to foreign services, hosted-zone associations).
            "Condition": {
                "StringNotEquals": {"aws:ResourceAccount": trusted},
                "Null": {"aws:ResourceAccount": "false"},
                **exempt,
            },
        },
        _deny("DenySharingAndPublicExposure", sorted(SHARING_ACTIONS), exempt),
        _deny("DenyOutsiderGrants", sorted(OUTSIDER_GRANT_ACTIONS), exempt),
        # Grants an AWS service makes for its own use of a key (EBS, SageMaker volumes) stay possible.
        _deny("DenyKmsGrantsToPrincipals", "kms:CreateGrant",
              {"Bool": {"kms:GrantIsForAWSResource": "false"}, **exempt}),
        _deny("DenyPerimeterPolicyChanges", sorted(PERIMETER_POLICY_ACTIONS), exempt, resource=perimeter_policies),
        _deny("DenyPerimeterPolicyDetachment", sorted(PERIMETER_DETACH_ACTIONS),
              {"ArnLike": {"iam:PolicyARN": perimeter_policies}, **exempt}),
        _deny("DenyPerimeterNetworkChanges", sorted(NETWORK_TAMPERING_ACTIONS), exempt),
        # Look-ups find the perimeter's resources by these tags: nobody else may set or remove them.
        _deny("DenyPerimeterTagChanges", "*", {"ForAnyValue:StringLike": {"aws:TagKeys": ["mlperimeter:*"]},
                                               **exempt}),
    ]
    return minified({"Version": "2012-10-17", "Statement": statements}, field="resource_perimeter_policy",
                    hint=RESOURCE_SIZE_HINT)


# Resource control policies ---------------------------------------------------------------------------

RCP_MAX_SIZE = 5120


def _org_id(org_id):
    if not isinstance(org_id, str) or not ORG_ID.fullmatch(org_id):
        raise AnsibleFilterError(f"org_id: {org_id!r} is not an AWS Organizations id (o- and 10 to 32 characters)")
    return org_id


# Prefixes and suffixes S3 reserves for its own names (access point aliases, directory and table
# buckets, Multi-Region Access Points, documentation examples).
S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
S3_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def _is_bucket_name(name):
    return (isinstance(name, str) and S3_BUCKET.fullmatch(name) is not None and ".-" not in name
            and "-." not in name and not name.startswith(S3_RESERVED_PREFIXES)
            and not name.endswith(S3_RESERVED_SUFFIXES))


def _buckets(ml_buckets, why="the RCPs protect perimeter_ml_buckets"):
    buckets = _string_list("ml_buckets", ml_buckets, "S3 bucket names")
    if not buckets:
        raise AnsibleFilterError(f"ml_buckets: the list is empty; {why}")
    for bucket in buckets:
        if not _is_bucket_name(bucket):
            raise AnsibleFilterError(
                f"ml_buckets: {bucket!r} is not an S3 bucket name (3 to 63 lower-case letters, digits, dots and "
                "hyphens, beginning and ending with a letter or digit; give the name, not an ARN)")
    return sorted(set(buckets))


def _ids(field, values, pattern, what):
    values = _string_list(field, values, what)
    for value in values:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise AnsibleFilterError(f"{field}: {value!r} is not {what}")
    return sorted(set(values))


def _rcp(field, statement):
    document = {"Version": "2012-10-17", "Statement": [statement]}
    minified(document, field=field, limit=RCP_MAX_SIZE, kind="a resource control policy", owner="Organizations",
             hint="name fewer buckets, networks or break-glass principals")
    return document


def resource_control_policies(org_id, ml_buckets, egress_ips, vpc_ids, vpce_ids=None, break_glass_principals=None):
    """Resource control policies for ``ml_buckets``, the resource-side equivalents of the perimeter:
    only principals of ``org_id`` (``mlperimeter-ml-buckets-identity``), and only from the egress IPs,
    ``vpc_ids`` or ``vpce_ids`` (``mlperimeter-ml-buckets-network``). AWS service principals and
    services acting for a caller pass, as do ``break_glass_principals`` (by ARN). Returns a dict of
    name to document, for an operator to attach in the organisation's management account."""
    org = _org_id(org_id)
    buckets = _buckets(ml_buckets)
    networks = _egress_networks(egress_ips)
    vpcs = _ids("vpc_ids", vpc_ids, VPC_ID, "a VPC id (vpc- and 8 or 17 hex digits)")
    if not vpcs:
        raise AnsibleFilterError("vpc_ids: the list is empty; name the browser and SageMaker VPCs")
    endpoints = _ids("vpce_ids", vpce_ids, VPCE_ID, "a VPC endpoint id (vpce- and 8 or 17 hex digits)")
    principals = _principals(break_glass_principals)
    resources = sorted(f"arn:aws:s3:::{bucket}{suffix}" for bucket in buckets for suffix in ("", "/*"))
    exempt = {"ArnNotLikeIfExists": {"aws:PrincipalArn": principals}} if principals else {}
    not_from = {"aws:SourceVpc": vpcs, **({"aws:SourceVpce": endpoints} if endpoints else {})}
    return {
        "mlperimeter-ml-buckets-identity": _rcp("resource_control_policies.identity", {
            "Sid": "DenyPrincipalsOutsideOrganisation",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {
                "StringNotEqualsIfExists": {"aws:PrincipalOrgID": org},
                "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
                **exempt,
            },
        }),
        "mlperimeter-ml-buckets-network": _rcp("resource_control_policies.network", {
            "Sid": "DenyOutsidePerimeterNetworks",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            # All blocks are ANDed: denied only when the request is from none of the networks.
            "Condition": {
                "NotIpAddressIfExists": {"aws:SourceIp": networks},
                "StringNotEqualsIfExists": not_from,
                "BoolIfExists": {"aws:PrincipalIsAWSService": "false", "aws:ViaAWSService": "false"},
                **exempt,
            },
        }),
    }


# SageMaker guardrails (M3) -------------------------------------------------------------------------------

SCP_MAX_SIZE = 5120
# Every action that starts SageMaker compute and takes a VPC configuration, which it reports in
# sagemaker:VpcSubnets (the data-perimeter examples' PreventNonVPCDeploymentSageMaker). Transform jobs
# and endpoints are left out: they support no such key and run in the VPC of the model they serve,
# so CreateModel guards them.
SAGEMAKER_VPC_ACTIONS = [
    "sagemaker:CreateAutoMLJob", "sagemaker:CreateAutoMLJobV2", "sagemaker:CreateCluster",
    "sagemaker:CreateDataQualityJobDefinition", "sagemaker:CreateDomain", "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:CreateModel", "sagemaker:CreateModelBiasJobDefinition",
    "sagemaker:CreateModelExplainabilityJobDefinition", "sagemaker:CreateModelQualityJobDefinition",
    "sagemaker:CreateMonitoringSchedule", "sagemaker:CreateNotebookInstance", "sagemaker:CreateProcessingJob",
    "sagemaker:CreateTrainingJob", "sagemaker:UpdateMonitoringSchedule",
]
SAGEMAKER_DOMAIN_ACTIONS = ["sagemaker:CreateDomain", "sagemaker:UpdateDomain"]
GUARDRAILS_SIZE_HINT = "name fewer break-glass principals"


def _sagemaker_guardrails(break_glass_principals):
    exempt = _break_glass(_principals(break_glass_principals))
    return {"Version": "2012-10-17", "Statement": [
        # IfExists: a CreateDomain that names no network access type gets AWS's default,
        # PublicInternetOnly, and an UpdateDomain must restate VpcOnly.
        _deny("DenySageMakerDomainsNotVpcOnly", SAGEMAKER_DOMAIN_ACTIONS,
              {"StringNotEqualsIfExists": {"sagemaker:AppNetworkAccessType": "VpcOnly"}, **exempt}),
        _deny("DenySageMakerComputeOutsideVpc", sorted(SAGEMAKER_VPC_ACTIONS),
              {"Null": {"sagemaker:VpcSubnets": "true"}, **exempt}),
        # A notebook instance that does not ask for Disabled gets AWS's default, Enabled.
        _deny("DenyNotebookDirectInternetAccess", "sagemaker:CreateNotebookInstance",
              {"StringNotEqualsIfExists": {"sagemaker:DirectInternetAccess": "Disabled"}, **exempt}),
    ]}


def sagemaker_guardrails_policy(break_glass_principals=None):
    """The M3 SageMaker guardrails, a customer-managed policy for the data-scientist and execution roles.

    It denies: creating or updating a domain unless its network access is ``VpcOnly``; creating jobs
    (training, processing, tuning, AutoML, monitoring), models, clusters, notebook instances and domains
    without VPC subnets; creating a notebook instance with direct internet access (AWS's default).
    ``break_glass_principals`` are exempt by ARN. Returns minified JSON, sorted, refused over IAM's 6,144
    characters."""
    return minified(_sagemaker_guardrails(break_glass_principals), field="sagemaker_guardrails_policy",
                    hint=GUARDRAILS_SIZE_HINT)


def sagemaker_guardrails_scp(break_glass_principals=None):
    """The SageMaker guardrails of :func:`sagemaker_guardrails_policy` as a service control policy, for an
    operator to attach at the ML accounts' OU. Returns minified JSON, sorted, refused over Organizations'
    5,120 characters for an SCP."""
    return minified(_sagemaker_guardrails(break_glass_principals), field="sagemaker_guardrails_scp",
                    limit=SCP_MAX_SIZE, kind="a service control policy", owner="Organizations",
                    hint=GUARDRAILS_SIZE_HINT)


class FilterModule:
    def filters(self):
        return {
            "network_perimeter_policy": network_perimeter_policy,
            "resource_perimeter_policy": resource_perimeter_policy,
            "resource_control_policies": resource_control_policies,
            "sagemaker_guardrails_policy": sagemaker_guardrails_policy,
            "sagemaker_guardrails_scp": sagemaker_guardrails_scp,
            "iam_policy_size": iam_policy_size,
        }
