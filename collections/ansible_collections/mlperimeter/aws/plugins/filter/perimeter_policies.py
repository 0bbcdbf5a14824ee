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


def minified(document, field="policy"):
    """``document`` as compact JSON, refused when IAM would refuse it for size."""
    text = json.dumps(document, separators=(",", ":"))
    size = iam_policy_size(text)
    if size > MANAGED_POLICY_MAX_SIZE:
        raise AnsibleFilterError(
            f"{field}: the rendered policy has {size} characters, over IAM's limit of {MANAGED_POLICY_MAX_SIZE} "
            "for a managed policy; name fewer egress CIDRs or break-glass principals (a range covering "
            "several NAT addresses counts once)"
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


class FilterModule:
    def filters(self):
        return {
            "network_perimeter_policy": network_perimeter_policy,
            "iam_policy_size": iam_policy_size,
        }
