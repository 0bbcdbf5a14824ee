"""The attack matrix's view of the accounts: who is who, and what a rollout left behind.

Everything is found by the tags of design §4 (``mlperimeter:managed=true``,
``mlperimeter:control=<id>``), never by name or position. The data-scientist roles are
the IAM roles tagged ``mlperimeter:role=data-scientist`` and the SageMaker execution
roles those tagged ``mlperimeter:role=sagemaker-execution``: the layer that creates them
follows this contract. Perimeter policies are customer-managed policies tagged with the
control they implement, so a denial can be traced to its control.

Readers raise :class:`StateMissing` (an ``AssertionError``) naming what is absent.
"""

import functools
import json
from urllib.parse import unquote

from botocore.exceptions import ClientError

from support import dns_oracle

ACCESS_ACCOUNT = "111111111111"
ML_ACCOUNTS = ("222222222222", "333333333333", "444444444444")
CANARY_ACCOUNTS = ("222222222222",)
REGION = "us-east-1"
ORG_ID = "o-mlperim001"

ATTACKER_ACCOUNT = "999999999999"
ATTACKER_ORG_ID = "o-attacker0001"
ATTACKER_PRINCIPAL = f"arn:aws:iam::{ATTACKER_ACCOUNT}:role/attacker"
ATTACKER_IP = "198.51.100.66"
ATTACKER_VPC = "vpc-0a77ac4e500000001"
ATTACKER_VPCE = "vpce-0a77ac4e500000001"
ATTACKER_DOMAIN = "attacker.example"
ATTACKER_BUCKET = "attacker-exfil-drop"
ATTACKER_URL = f"https://files.{ATTACKER_DOMAIN}/upload"
FOREIGN_STUDIO_URL = f"https://d-attacker00000.studio.{REGION}.sagemaker.aws/jupyterlab/default/lab"
# A bucket of the organisation that no ML account lists in perimeter_ml_buckets.
UNLISTED_ORG_BUCKET = "mlperimeter-matrix-unlisted-scratch"

TAG_MANAGED = "mlperimeter:managed"
TAG_CONTROL = "mlperimeter:control"
TAG_ROLE = "mlperimeter:role"
DATA_SCIENTIST = "data-scientist"
SAGEMAKER_EXECUTION = "sagemaker-execution"


class StateMissing(AssertionError):
    """What a matrix row needs is not in the accounts (nothing rolled out yet, or drifted away)."""


def _tags(items, key="Key", value="Value"):
    return {t[key]: t[value] for t in items or ()}


def is_managed(tags, control=None):
    return tags.get(TAG_MANAGED) == "true" and (control is None or tags.get(TAG_CONTROL) == control)


def _not_found(error):
    code = error.response["Error"]["Code"]
    return code.endswith("NotFound") or code in ("ResourceNotFoundException", "NoSuchEntity")


def _memo(method):
    """Read once per state object: a rollout's state does not change while the matrix reads it."""
    @functools.wraps(method)
    def read(self, *args):
        key = (method.__name__, *args)
        if key not in self._read:
            self._read[key] = method(self, *args)
        return self._read[key]
    return read


class LiveState:
    """Read-only look-ups in the emulator's accounts, each done once per state object."""

    def __init__(self, emulator, region=REGION, access_account=ACCESS_ACCOUNT):
        self.emulator = emulator
        self.region = region
        self.access_account = access_account
        self._read = {}

    def client(self, service, account):
        return self.emulator.client(service, account, region=self.region)

    # IAM -----------------------------------------------------------------------------------------------
    @_memo
    def roles(self, account, role_kind):
        iam = self.client("iam", account)
        found = []
        for page in iam.get_paginator("list_roles").paginate():
            for role in page["Roles"]:
                tags = _tags(iam.list_role_tags(RoleName=role["RoleName"])["Tags"])
                if tags.get(TAG_ROLE) == role_kind:
                    found.append(role)
        if not found:
            raise StateMissing(f"no IAM role tagged {TAG_ROLE}={role_kind} in account {account}")
        return tuple(found)

    @_memo
    def managed_policy(self, account, arn):
        """(document, tags) of a managed policy's default version."""
        iam = self.client("iam", account)
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
        version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
        document = version["Document"]
        if isinstance(document, str):
            document = json.loads(unquote(document))
        tags = {} if arn.startswith("arn:aws:iam::aws:") else _tags(iam.list_policy_tags(PolicyArn=arn)["Tags"])
        return document, tags

    @_memo
    def role_policies(self, account, role_name):
        """{name: document} of every policy on a role (managed by ARN, inline as ``inline:<name>``) and
        {name: control} for those tagged with a control."""
        iam = self.client("iam", account)
        documents, controls = {}, {}
        for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role_name):
            for attached in page["AttachedPolicies"]:
                document, tags = self.managed_policy(account, attached["PolicyArn"])
                documents[attached["PolicyArn"]] = document
                if is_managed(tags):
                    controls[attached["PolicyArn"]] = tags.get(TAG_CONTROL)
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=role_name):
            for name in page["PolicyNames"]:
                document = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
                documents[f"inline:{name}"] = json.loads(unquote(document)) if isinstance(document, str) else document
        return documents, controls

    def perimeter_policy_arns(self, account, role_name, control):
        _, controls = self.role_policies(account, role_name)
        arns = [arn for arn, tagged in controls.items() if tagged == control]
        if not arns:
            raise StateMissing(
                f"no policy tagged {TAG_CONTROL}={control} attached to role {role_name} in account {account}")
        return arns

    # EC2 -----------------------------------------------------------------------------------------------
    @_memo
    def vpc(self, account, control):
        ec2 = self.client("ec2", account)
        vpcs = ec2.describe_vpcs(Filters=[
            {"Name": f"tag:{TAG_MANAGED}", "Values": ["true"]}, {"Name": f"tag:{TAG_CONTROL}", "Values": [control]},
        ])["Vpcs"]
        if not vpcs:
            kind = "browser" if control.startswith("A") else "SageMaker"
            raise StateMissing(f"no {kind} VPC tagged {TAG_CONTROL}={control} in account {account}")
        if len(vpcs) > 1:
            raise StateMissing(f"{len(vpcs)} VPCs tagged {TAG_CONTROL}={control} in account {account}: "
                               f"{[v['VpcId'] for v in vpcs]}")
        return vpcs[0]

    @_memo
    def endpoints(self, account, vpc_id):
        ec2 = self.client("ec2", account)
        found = []
        for page in ec2.get_paginator("describe_vpc_endpoints").paginate(
                Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]):
            found += [e for e in page["VpcEndpoints"] if e.get("State", "").lower() not in ("deleted", "deleting")]
        return tuple(found)

    def endpoints_for(self, account, vpc_id, service_suffix):
        """The endpoints of ``vpc_id`` to ``com.amazonaws.<region>.<service_suffix>``."""
        wanted = f"com.amazonaws.{self.region}.{service_suffix}"
        found = [e for e in self.endpoints(account, vpc_id) if e["ServiceName"] == wanted]
        if not found:
            raise StateMissing(f"no {wanted} endpoint in VPC {vpc_id} of account {account}")
        return found

    @_memo
    def route_state(self, account, vpc_id):
        ec2 = self.client("ec2", account)
        in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
        return {
            "route_tables": ec2.describe_route_tables(Filters=in_vpc)["RouteTables"],
            "internet_gateways": ec2.describe_internet_gateways(
                Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["InternetGateways"],
            "egress_only_internet_gateways": ec2.describe_egress_only_internet_gateways()[
                "EgressOnlyInternetGateways"],
            "nat_gateways": ec2.describe_nat_gateways(Filters=in_vpc)["NatGateways"],
            "vpn_gateways": ec2.describe_vpn_gateways(
                Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["VpnGateways"],
            "peering_connections": ec2.describe_vpc_peering_connections()["VpcPeeringConnections"],
            "transit_gateway_attachments": ec2.describe_transit_gateway_attachments(
                Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["TransitGatewayAttachments"],
        }

    # Route 53 Resolver DNS Firewall and private hosted zones ------------------------------------------
    @_memo
    def dns_firewall(self, account, vpc_id):
        """(associations as oracle objects, fail_open) for a VPC."""
        resolver = self.client("route53resolver", account)
        associations = []
        for page in resolver.get_paginator("list_firewall_rule_group_associations").paginate(VpcId=vpc_id):
            associations += [a for a in page["FirewallRuleGroupAssociations"] if a.get("Status") != "DELETING"]
        if not associations:
            raise StateMissing(f"no DNS Firewall rule group associated with VPC {vpc_id} in account {account}")
        domains_by_list, built = {}, []
        for association in associations:
            rules = []
            for page in resolver.get_paginator("list_firewall_rules").paginate(
                    FirewallRuleGroupId=association["FirewallRuleGroupId"]):
                rules += page["FirewallRules"]
            for rule in rules:
                list_id = rule.get("FirewallDomainListId")
                if list_id and list_id not in domains_by_list:
                    domains_by_list[list_id] = [
                        d for page in resolver.get_paginator("list_firewall_domains").paginate(
                            FirewallDomainListId=list_id) for d in page["Domains"]
                    ]
            built.append(dns_oracle.association_from_api(association, rules, domains_by_list))
        config = resolver.get_firewall_config(ResourceId=vpc_id)["FirewallConfig"]
        return tuple(built), config.get("FirewallFailOpen") == "ENABLED", associations, config

    @_memo
    def private_zone_records(self, account, vpc_id):
        """{zone name: [record sets]} of the private hosted zones associated with a VPC."""
        route53 = self.client("route53", account)
        zones = route53.list_hosted_zones_by_vpc(VPCId=vpc_id, VPCRegion=self.region)["HostedZoneSummaries"]
        records = {}
        for zone in zones:
            sets = []
            for page in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone["HostedZoneId"]):
                sets += page["ResourceRecordSets"]
            records[zone["Name"].rstrip(".").lower()] = sets
        return records

    # WorkSpaces Secure Browser ------------------------------------------------------------------------
    @_memo
    def portal(self):
        web = self.client("workspaces-web", self.access_account)
        portals, token = [], None
        while True:
            page = web.list_portals(**({"nextToken": token} if token else {}))
            for summary in page.get("portals", ()):
                tags = _tags(web.list_tags_for_resource(resourceArn=summary["portalArn"]).get("tags"))
                if is_managed(tags):
                    portals.append(web.get_portal(portalArn=summary["portalArn"])["portal"])
            token = page.get("nextToken")
            if not token:
                break
        if not portals:
            raise StateMissing(f"no portal tagged {TAG_MANAGED}=true in access account {self.access_account}")
        if len(portals) > 1:
            raise StateMissing(f"{len(portals)} managed portals in access account {self.access_account}")
        return portals[0]

    def portal_settings(self, kind):
        """The ``userSettings`` or ``browserSettings`` associated with the portal."""
        portal = self.portal()
        arn = portal.get(f"{kind}Arn")
        if not arn:
            raise StateMissing(f"portal {portal['portalArn']} has no {kind} associated")
        web = self.client("workspaces-web", self.access_account)
        if kind == "userSettings":
            return web.get_user_settings(userSettingsArn=arn)["userSettings"]
        return web.get_browser_settings(browserSettingsArn=arn)["browserSettings"]

    # SageMaker ----------------------------------------------------------------------------------------
    @_memo
    def sagemaker_domains(self, account):
        sagemaker = self.client("sagemaker", account)
        domains = []
        for page in sagemaker.get_paginator("list_domains").paginate():
            for summary in page["Domains"]:
                try:
                    domains.append(sagemaker.describe_domain(DomainId=summary["DomainId"]))
                except ClientError as error:
                    if not _not_found(error):
                        raise
        return tuple(domains)

    def sagemaker_domain_tags(self, account, domain_arn):
        return _tags(self.client("sagemaker", account).list_tags(ResourceArn=domain_arn).get("Tags"))
