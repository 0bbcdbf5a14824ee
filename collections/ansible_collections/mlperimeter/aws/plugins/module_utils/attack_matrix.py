"""The exfiltration attack matrix (design §4), decided from an account's live state.

Each row is an attempt, the control of design §1 that must stop it, and the procedure that
decides it from what the account holds: policy evaluation (``policy_evaluation``), DNS Firewall
evaluation in AWS's order (``dns_firewall_evaluation``), route analysis (``route_evaluation``),
private DNS, the browser's settings and URL filtering (``browser_evaluation``) or the SageMaker
domain's settings. A row passes only when its own control stops the attempt; it fails with what
let the attempt through, or with what it needed and could not find.

Identity rows grant the caller everything on top of the role's live policies: the perimeter is a
set of denials and must hold whatever a role is allowed. Insiders call from the SageMaker VPC, an
origin the network perimeter admits, so a denial must come from the row's own control.

Resources are found as the rollout tags them (``mlperimeter:managed=true``,
``mlperimeter:control=<id>``); the roles by the names the inventory gives. Every AWS call reads
and is retried with backoff.
"""

import contextlib
import functools
import json
import re
from dataclasses import dataclass
from urllib.parse import unquote

with contextlib.suppress(ImportError):  # the module reports a missing botocore
    import botocore

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.mlperimeter.aws.plugins.module_utils import browser_evaluation, policy_evaluation
from ansible_collections.mlperimeter.aws.plugins.module_utils.dns_firewall_evaluation import (
    association_from_api,
    evaluate_query,
)
from ansible_collections.mlperimeter.aws.plugins.module_utils.iam import ROLE_NAME
from ansible_collections.mlperimeter.aws.plugins.module_utils.retries import jittered_backoff
from ansible_collections.mlperimeter.aws.plugins.module_utils.route_evaluation import ways_out

PASS, STAGED, FAIL = "pass", "staged", "fail"
ACCESS, ML = "access", "ml"
SCOPES = (ACCESS, ML)

POLICY = "policy evaluation"
DNS = "DNS Firewall evaluation"
ROUTES = "route analysis"
PRIVATE_DNS = "private DNS"
BROWSER_SETTINGS = "browser settings"
URL_FILTERING = "browser URL filtering"
SAGEMAKER = "SageMaker domain settings"

TAG_MANAGED = "mlperimeter:managed"
TAG_CONTROL = "mlperimeter:control"

# The attacker: an account, organisation, network and names of their own (documentation ranges).
ATTACKER_ACCOUNT = "999999999999"
ATTACKER_ORG_ID = "o-attacker0001"
ATTACKER_PRINCIPAL = f"arn:aws:iam::{ATTACKER_ACCOUNT}:role/attacker"
ATTACKER_IP = "198.51.100.66"
ATTACKER_VPC = "vpc-0a77ac4e500000001"
ATTACKER_VPCE = "vpce-0a77ac4e500000001"
ATTACKER_DOMAIN = "attacker.example"
ATTACKER_BUCKET = "attacker-exfil-drop"
ATTACKER_URL = f"https://files.{ATTACKER_DOMAIN}/upload"
FOREIGN_STUDIO_URL = "https://d-attacker00000.studio.{region}.sagemaker.aws/jupyterlab/default/lab"
# A bucket of the organisation that the account does not list among its ML buckets.
UNLISTED_BUCKET = "mlperimeter-matrix-unlisted-scratch"

ALLOW_EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
BROAD_GRANT = {"matrix:broad-grant": ALLOW_EVERYTHING}
ATTACKER_BUCKET_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": [
        f"arn:aws:s3:::{ATTACKER_BUCKET}", f"arn:aws:s3:::{ATTACKER_BUCKET}/*"]}]}
ATTACKER_RESOURCE = {"aws:ResourceAccount": ATTACKER_ACCOUNT, "aws:ResourceOrgID": ATTACKER_ORG_ID}

NOT_FOUND_CODES = ("ResourceNotFoundException", "NoSuchEntity", "NoSuchHostedZone")


class StateMissing(Exception):
    """What a row needs is not in the account (not rolled out, or drifted away)."""


class AttemptGetsThrough(Exception):
    """The row's control does not stop the attempt; the message says what lets it through."""


class AttemptOnlyAlerted(AttemptGetsThrough):
    """A DNS Firewall in ALERT mode logs the attempt and lets it through."""


@dataclass(frozen=True)
class Facts:
    """What the rows need that the account itself does not say."""
    account_id: str
    region: str
    organization_id: str
    data_scientist_roles: tuple = ()
    sagemaker_execution_roles: tuple = ()
    ml_buckets: tuple = ()


@dataclass(frozen=True)
class Row:
    id: str
    attempt: str
    control: str
    procedure: str
    scope: str
    decide: object        # (state) -> evidence that the attempt is stopped; raises AttemptGetsThrough


# Reading the account -------------------------------------------------------------------------------

@jittered_backoff()
def _call(client, operation, kwargs):
    return getattr(client, operation)(**kwargs)


@jittered_backoff()
def _all_pages(client, operation, key, kwargs):
    return client.get_paginator(operation).paginate(**kwargs).build_full_result().get(key, [])


def _memo(method):
    """Read once per state: an account does not change while the matrix reads it."""
    @functools.wraps(method)
    def read(self, *args):
        key = (method.__name__, *args)
        if key not in self._read:
            self._read[key] = method(self, *args)
        return self._read[key]
    return read


def _tags(items):
    return {t["Key"]: t["Value"] for t in items or ()}


def is_managed(tags, control=None):
    return tags.get(TAG_MANAGED) == "true" and (control is None or tags.get(TAG_CONTROL) == control)


def _document(value):
    if isinstance(value, str):
        return json.loads(value if value.lstrip().startswith("{") else unquote(value))
    return value


class AccountState:
    """Read-only look-ups in one account, each done once; ``client(service)`` gives boto3 clients."""

    def __init__(self, client, facts):
        self._client = functools.cache(client)
        self.facts = facts
        self._read = {}

    @property
    def account(self):
        return self.facts.account_id

    @property
    def region(self):
        return self.facts.region

    def _wrap(self, what, read):
        try:
            return read()
        except botocore.exceptions.ClientError as error:
            code = error.response["Error"]["Code"]
            if code.endswith("NotFound") or code in NOT_FOUND_CODES:
                raise StateMissing(f"{what}: {code}: {error.response['Error'].get('Message', '')}") from error
            raise AnsibleAWSError(message=f"Failed to {what}", exception=error) from error
        except botocore.exceptions.BotoCoreError as error:
            raise AnsibleAWSError(message=f"Failed to {what}", exception=error) from error

    def call(self, service, operation, what, **kwargs):
        return self._wrap(what, lambda: _call(self._client(service), operation, kwargs))

    def pages(self, service, operation, key, what, **kwargs):
        return self._wrap(what, lambda: _all_pages(self._client(service), operation, key, kwargs))

    # IAM
    def roles(self, kind):
        names = self.facts.data_scientist_roles if kind == "data-scientist" else self.facts.sagemaker_execution_roles
        if not names:
            option = "data_scientist_roles" if kind == "data-scientist" else "sagemaker_execution_roles"
            raise StateMissing(f"no {kind} role given ({option})")
        return [self.role(name) for name in names]

    @_memo
    def role(self, name):
        return self.call("iam", "get_role", f"get IAM role {name} in account {self.account}", RoleName=name)["Role"]

    @_memo
    def managed_policy(self, arn):
        """(document, tags) of a managed policy's default version."""
        policy = self.call("iam", "get_policy", f"get policy {arn}", PolicyArn=arn)["Policy"]
        version = self.call("iam", "get_policy_version", f"get the default version of policy {arn}",
                            PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
        tags = {} if arn.startswith("arn:aws:iam::aws:") else _tags(
            self.pages("iam", "list_policy_tags", "Tags", f"list the tags of policy {arn}", PolicyArn=arn))
        return _document(version["Document"]), tags

    @_memo
    def role_policies(self, role_name):
        """{name: document} of every policy on a role (managed by ARN, inline as ``inline:<name>``), and
        {ARN: control} for the managed ones tagged with a control."""
        documents, controls = {}, {}
        attached = self.pages("iam", "list_attached_role_policies", "AttachedPolicies",
                              f"list the policies attached to role {role_name}", RoleName=role_name)
        for policy in attached:
            document, tags = self.managed_policy(policy["PolicyArn"])
            documents[policy["PolicyArn"]] = document
            if is_managed(tags):
                controls[policy["PolicyArn"]] = tags.get(TAG_CONTROL)
        for name in self.pages("iam", "list_role_policies", "PolicyNames",
                               f"list the inline policies of role {role_name}", RoleName=role_name):
            document = self.call("iam", "get_role_policy", f"get inline policy {name} of role {role_name}",
                                 RoleName=role_name, PolicyName=name)["PolicyDocument"]
            documents[f"inline:{name}"] = _document(document)
        return documents, controls

    # EC2
    @_memo
    def vpc(self, control):
        vpcs = self.pages("ec2", "describe_vpcs", "Vpcs", f"describe the VPCs tagged {TAG_CONTROL}={control}",
                          Filters=[{"Name": f"tag:{TAG_MANAGED}", "Values": ["true"]},
                                   {"Name": f"tag:{TAG_CONTROL}", "Values": [control]}])
        kind = "browser" if control.startswith("A") else "SageMaker"
        if not vpcs:
            raise StateMissing(f"no {kind} VPC tagged {TAG_CONTROL}={control} in account {self.account}")
        if len(vpcs) > 1:
            raise StateMissing(f"{len(vpcs)} {kind} VPCs tagged {TAG_CONTROL}={control} in account {self.account}: "
                               f"{sorted(v['VpcId'] for v in vpcs)}")
        return vpcs[0]

    def vpc_id(self, control):
        return self.vpc(control)["VpcId"]

    @_memo
    def endpoints(self, vpc_id):
        found = self.pages("ec2", "describe_vpc_endpoints", "VpcEndpoints", f"describe the endpoints of {vpc_id}",
                           Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
        return tuple(e for e in found if e.get("State", "").lower() not in ("deleted", "deleting"))

    def endpoints_for(self, vpc_id, service):
        """The endpoints of ``vpc_id`` to ``com.amazonaws.<region>.<service>``."""
        wanted = f"com.amazonaws.{self.region}.{service}"
        found = [e for e in self.endpoints(vpc_id) if e["ServiceName"] == wanted]
        if not found:
            raise StateMissing(f"no {wanted} endpoint in VPC {vpc_id} of account {self.account}")
        return found

    @_memo
    def subnet_ids(self, vpc_id):
        subnets = self.pages("ec2", "describe_subnets", "Subnets", f"describe the subnets of {vpc_id}",
                             Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
        if not subnets:
            raise StateMissing(f"no subnet in SageMaker VPC {vpc_id} of account {self.account}")
        return [s["SubnetId"] for s in subnets]

    @_memo
    def route_state(self, vpc_id):
        in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
        attached = [{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
        return {
            "route_tables": self.pages("ec2", "describe_route_tables", "RouteTables",
                                       f"describe the route tables of {vpc_id}", Filters=in_vpc),
            "internet_gateways": self.pages("ec2", "describe_internet_gateways", "InternetGateways",
                                            f"describe the internet gateways of {vpc_id}", Filters=attached),
            "egress_only_internet_gateways": self.pages(
                "ec2", "describe_egress_only_internet_gateways", "EgressOnlyInternetGateways",
                "describe the egress-only internet gateways"),
            "nat_gateways": self.pages("ec2", "describe_nat_gateways", "NatGateways",
                                       f"describe the NAT gateways of {vpc_id}", Filters=in_vpc),
            "vpn_gateways": self.call("ec2", "describe_vpn_gateways", f"describe the VPN gateways of {vpc_id}",
                                      Filters=attached)["VpnGateways"],
            "peering_connections": self.pages("ec2", "describe_vpc_peering_connections", "VpcPeeringConnections",
                                              "describe the VPC peering connections"),
            "transit_gateway_attachments": self.pages(
                "ec2", "describe_transit_gateway_attachments", "TransitGatewayAttachments",
                f"describe the transit gateway attachments of {vpc_id}",
                Filters=[{"Name": "resource-id", "Values": [vpc_id]}]),
        }

    # Route 53 Resolver DNS Firewall and private hosted zones
    @_memo
    def dns_firewall(self, vpc_id):
        """(associations to evaluate, fail open?, raw associations, firewall config) of a VPC."""
        raw = [a for a in self.pages("route53resolver", "list_firewall_rule_group_associations",
                                     "FirewallRuleGroupAssociations",
                                     f"list the DNS Firewall associations of {vpc_id}", VpcId=vpc_id)
               if a.get("Status") != "DELETING"]
        if not raw:
            raise StateMissing(f"no DNS Firewall rule group associated with VPC {vpc_id} in account {self.account}")
        domains, associations = {}, []
        for association in raw:
            group_id = association["FirewallRuleGroupId"]
            rules = self.pages("route53resolver", "list_firewall_rules", "FirewallRules",
                               f"list the rules of rule group {group_id}", FirewallRuleGroupId=group_id)
            for list_id in {r["FirewallDomainListId"] for r in rules if r.get("FirewallDomainListId")} - set(domains):
                domains[list_id] = self.pages("route53resolver", "list_firewall_domains", "Domains",
                                              f"list the domains of {list_id}", FirewallDomainListId=list_id)
            associations.append(association_from_api(association, rules, domains))
        config = self.call("route53resolver", "get_firewall_config", f"get the firewall config of {vpc_id}",
                           ResourceId=vpc_id)["FirewallConfig"]
        return tuple(associations), config.get("FirewallFailOpen") == "ENABLED", tuple(raw), config

    @_memo
    def private_zone_records(self, vpc_id):
        """{zone name: [record sets]} of the private hosted zones associated with a VPC."""
        zones, token = [], None
        while True:  # ListHostedZonesByVPC has no paginator
            page = self.call("route53", "list_hosted_zones_by_vpc", f"list the private hosted zones of {vpc_id}",
                             VPCId=vpc_id, VPCRegion=self.region, **({"NextToken": token} if token else {}))
            zones += page["HostedZoneSummaries"]
            token = page.get("NextToken")
            if not token:
                break
        return {zone["Name"].rstrip(".").lower(): self.pages(
            "route53", "list_resource_record_sets", "ResourceRecordSets",
            f"list the records of hosted zone {zone['HostedZoneId']}", HostedZoneId=zone["HostedZoneId"])
            for zone in zones}

    # WorkSpaces Secure Browser (its List operations have no paginators)
    @_memo
    def portal(self):
        portals, token = [], None
        while True:
            page = self.call("workspaces-web", "list_portals", "list the Secure Browser portals",
                             **({"nextToken": token} if token else {}))
            for summary in page.get("portals", ()):
                arn = summary["portalArn"]
                tags = _tags(self.call("workspaces-web", "list_tags_for_resource", f"list the tags of {arn}",
                                       resourceArn=arn).get("tags"))
                if is_managed(tags):
                    portals.append(self.call("workspaces-web", "get_portal", f"get portal {arn}",
                                             portalArn=arn)["portal"])
            token = page.get("nextToken")
            if not token:
                break
        if not portals:
            raise StateMissing(f"no Secure Browser portal tagged {TAG_MANAGED}=true in account {self.account}")
        if len(portals) > 1:
            raise StateMissing(f"{len(portals)} managed Secure Browser portals in account {self.account}")
        return portals[0]

    @_memo
    def portal_settings(self, kind):
        """The ``userSettings`` or ``browserSettings`` associated with the portal."""
        portal = self.portal()
        arn = portal.get(f"{kind}Arn")
        if not arn:
            raise StateMissing(f"portal {portal['portalArn']} has no {kind} associated")
        operation = "get_user_settings" if kind == "userSettings" else "get_browser_settings"
        return self.call("workspaces-web", operation, f"get {kind} {arn}", **{f"{kind}Arn": arn})[kind]

    # SageMaker
    @_memo
    def sagemaker_domains(self):
        """(domain, tags) of every domain of the account."""
        found = []
        for summary in self.pages("sagemaker", "list_domains", "Domains", "list the SageMaker domains"):
            try:
                domain = self.call("sagemaker", "describe_domain", f"describe domain {summary['DomainId']}",
                                   DomainId=summary["DomainId"])
            except StateMissing:
                continue  # deleted since it was listed
            tags = _tags(self.pages("sagemaker", "list_tags", "Tags", f"list the tags of {domain['DomainArn']}",
                                    ResourceArn=domain["DomainArn"]))
            found.append((domain, tags))
        return tuple(found)


# Policy evaluation ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Probe:
    """One request a row sends to the policy evaluator, and what its decision must show."""
    label: str
    request: dict
    expect: object        # (decision) -> None when the attempt is stopped as it must be, else the problem


def denied_by_control(control, controls):
    """An explicit deny by an identity policy tagged with ``control``."""
    def expect(decision):
        mine = [d for d in decision.denied_by("identity")
                if d.get("kind") == "explicit" and controls.get(d.get("policy")) == control]
        if decision.decision == policy_evaluation.EXPLICITLY_DENIED and mine:
            return None
        return f"not explicitly denied by a {TAG_CONTROL}={control} policy: {decision.explain()}"
    return expect


def denied_by_endpoint(endpoint_id):
    def expect(decision):
        if not decision.allowed and decision.denied_by("vpce"):
            return None
        return f"not denied by the policy of endpoint {endpoint_id}: {decision.explain()}"
    return expect


def insider(state, role):
    """A role's session calling from the SageMaker VPC of its account."""
    return {
        "aws:PrincipalArn": role["Arn"], "aws:PrincipalAccount": state.account,
        "aws:PrincipalOrgID": state.facts.organization_id, "aws:SourceVpc": state.vpc_id("M1"),
        "aws:RequestedRegion": state.region, "aws:ViaAWSService": False, "aws:PrincipalIsAWSService": False,
    }


def stolen_from(origin):
    """A role's credentials used from ``origin`` (context keys), outside the account's networks."""
    def context(state, role):
        return {"aws:PrincipalArn": role["Arn"], "aws:PrincipalAccount": state.account,
                "aws:PrincipalOrgID": state.facts.organization_id, "aws:RequestedRegion": state.region,
                "aws:ViaAWSService": False, **origin}
    return context


def own_resource(state):
    return {"aws:ResourceAccount": state.account, "aws:ResourceOrgID": state.facts.organization_id}


def _value(value, state, role):
    return value(state, role) if callable(value) else value


def identity_probe(state, role, control, action, resource, *, resource_account=None, resource_context=None,
                   context=None, resource_policy=None, origin=insider, label=None):
    """A role's live policies plus a broad grant must deny the request, by a policy tagged ``control``."""
    documents, controls = state.role_policies(role["RoleName"])
    return Probe(label or role["RoleName"], dict(
        principal=role["Arn"], action=action, resource=resource, resource_account=resource_account or state.account,
        identity_policies={**documents, **BROAD_GRANT}, resource_policy=_value(resource_policy, state, role),
        context={**origin(state, role), **(resource_context or own_resource(state)), **(context or {})},
    ), denied_by_control(control, controls))


def identity_probes(control, action, resource, *, context=None, role_kind="data-scientist", **options):
    """A probe for each role of ``role_kind``; ``resource`` and ``context`` may be functions of (state, role)."""
    def probes(state):
        return [identity_probe(state, role, control, action, _value(resource, state, role),
                               context=_value(context, state, role), **options)
                for role in state.roles(role_kind)]
    return probes


def for_each(items, make):
    """Probes over live resources: ``items(state, role)`` lists them, ``make(state, role, item)`` gives
    (resource ARN, extra context) for each."""
    def probes_for(control, action):
        def probes(state):
            built = []
            for role in state.roles("data-scientist"):
                for item in items(state, role):
                    resource, extra = make(state, role, item)
                    built.append(identity_probe(state, role, control, action, resource, context=extra,
                                                label=f"{role['RoleName']} on {item}"))
            return built
        return probes
    return probes_for


def endpoint_probes(service, action, resource, resource_account, resource_context, resource_policy=None):
    """Through every ``service`` endpoint of the SageMaker VPC: the endpoint policy alone must stop it.
    ``resource``, ``resource_account`` and ``resource_context`` may be functions of the state."""
    def probes(state):
        vpc_id = state.vpc_id("M1")
        target = resource(state) if callable(resource) else resource
        account = resource_account(state) if callable(resource_account) else resource_account
        target_context = resource_context(state) if callable(resource_context) else resource_context
        built = []
        for role in state.roles("data-scientist"):
            for endpoint in state.endpoints_for(vpc_id, service):
                endpoint_id = endpoint["VpcEndpointId"]
                built.append(Probe(f"{role['RoleName']} via {endpoint_id}", dict(
                    principal=role["Arn"], action=action, resource=target, resource_account=account,
                    identity_policies=BROAD_GRANT, resource_policy=resource_policy,
                    vpc_endpoint_policies={endpoint_id: _document(endpoint["PolicyDocument"])},
                    context={**insider(state, role), **target_context, "aws:SourceVpce": endpoint_id},
                ), denied_by_endpoint(endpoint_id)))
        return built
    return probes


def browser_endpoint_probes(service, action, resource):
    """An outsider signing in to their own account through the browser VPC's ``service`` endpoints."""
    def probes(state):
        vpc_id = state.vpc_id("A1")
        return [Probe(endpoint["VpcEndpointId"], dict(
            principal=ATTACKER_PRINCIPAL, action=action, resource=resource, resource_account=ATTACKER_ACCOUNT,
            identity_policies={"attacker:own-grant": ALLOW_EVERYTHING},
            vpc_endpoint_policies={endpoint["VpcEndpointId"]: _document(endpoint["PolicyDocument"])},
            context={"aws:PrincipalArn": ATTACKER_PRINCIPAL, "aws:PrincipalAccount": ATTACKER_ACCOUNT,
                     "aws:PrincipalOrgID": ATTACKER_ORG_ID, **ATTACKER_RESOURCE, "aws:SourceVpc": vpc_id,
                     "aws:SourceVpce": endpoint["VpcEndpointId"]},
        ), denied_by_endpoint(endpoint["VpcEndpointId"])) for endpoint in state.endpoints_for(vpc_id, service)]
    return probes


def decided_by_policies(make_probes):
    """A row decision from policy evaluation: every probe's decision must meet its expectation."""
    def decide(state):
        probes = make_probes(state)
        if not probes:
            raise StateMissing(f"nothing to evaluate in account {state.account}")
        stopped, problems = [], []
        for probe in probes:
            try:
                decision = policy_evaluation.evaluate(**probe.request)
            except policy_evaluation.PolicyError as error:
                problems.append(f"{probe.label}: cannot evaluate: {error}")
                continue
            problem = probe.expect(decision)
            if problem:
                problems.append(f"{probe.label}: {problem}")
            else:
                stopped.append(f"{probe.label}: {decision.explain()}")
        if problems:
            raise AttemptGetsThrough(" | ".join(problems))
        return " | ".join(stopped)
    return decide


# Live resources the tampering rows aim at

def perimeter_policies(state, role):
    _, controls = state.role_policies(role["RoleName"])
    arns = sorted(arn for arn, control in controls.items() if control in ("M1", "M2", "M3"))
    if not arns:
        raise StateMissing(f"no perimeter policy ({TAG_CONTROL}=M1/M2/M3) on role {role['RoleName']} "
                           f"in account {state.account}")
    return arns


def sagemaker_route_tables(state, role):
    vpc_id = state.vpc_id("M1")
    tables = state.route_state(vpc_id)["route_tables"]
    if not tables:
        raise StateMissing(f"no route table in SageMaker VPC {vpc_id} of account {state.account}")
    return [t["RouteTableId"] for t in tables]


def sagemaker_endpoints(state, role):
    vpc_id = state.vpc_id("M1")
    endpoints = state.endpoints(vpc_id)
    if not endpoints:
        raise StateMissing(f"no VPC endpoint in SageMaker VPC {vpc_id} of account {state.account}")
    return [e["VpcEndpointId"] for e in endpoints]


def firewall_associations(state, role):
    return [a["Arn"] for a in state.dns_firewall(state.vpc_id("M1"))[2]]


def firewall_config(state, role):
    config = state.dns_firewall(state.vpc_id("M1"))[3]
    return [f"arn:aws:route53resolver:{state.region}:{state.account}:firewall-config/{config['Id']}"]


def firewall_domain_lists(state, role):
    associations = state.dns_firewall(state.vpc_id("M1"))[0]
    return sorted({f"arn:aws:route53resolver:{state.region}:{state.account}:firewall-domain-list/"
                   f"{rule.domain_list_id}" for association in associations for rule in association.rules})


def as_resource(template, context_key=None):
    def make(state, role, item):
        resource = template.format(region=state.region, account=state.account, item=item)
        return resource, ({context_key: item} if context_key else {})
    return make


def sagemaker_subnets(state, role):
    return {"sagemaker:VpcSubnets": state.subnet_ids(state.vpc_id("M1"))}


def data_object(state, role):
    return f"arn:aws:s3:::mlperimeter-matrix-data-{state.account}/dataset.csv"


def default_key_policy(state, role):
    """The key policy KMS gives a key by default: the account's IAM policies decide."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "Enable IAM User Permissions", "Effect": "Allow", "Action": "kms:*", "Resource": "*",
        "Principal": {"AWS": f"arn:aws:iam::{state.account}:root"}}]}


def unlisted_bucket(state):
    """A bucket name of the organisation that the account's ML buckets do not include."""
    name = UNLISTED_BUCKET
    while name in state.facts.ml_buckets:
        name += "-x"
    return name


# The other procedures ------------------------------------------------------------------------------

def user_setting_disabled(setting):
    def decide(state):
        settings = state.portal_settings("userSettings")
        value = settings.get(setting)
        where = f"user settings {settings['userSettingsArn']}: {setting} is {value!r}"
        if value != "Disabled":
            raise AttemptGetsThrough(f"{where}, not 'Disabled'")
        return where
    return decide


def url_blocked(url):
    def decide(state):
        decision = browser_evaluation.decide_url(url.format(region=state.region), state.portal_settings(
            "browserSettings"))
        if not decision.blocked:
            raise AttemptGetsThrough(f"the portal opens it: {decision.explain()}")
        return decision.explain()
    return decide


def dns_blocked(vpc_control, name, query_type):
    def decide(state):
        vpc_id = state.vpc_id(vpc_control)
        associations, fail_open, _, _ = state.dns_firewall(vpc_id)
        outcome = evaluate_query(associations, name, query_type)
        if outcome.alerted:
            raise AttemptOnlyAlerted(f"staged, not closed: ALERT lets it resolve in VPC {vpc_id}: {outcome.explain()}")
        if outcome.resolves:
            raise AttemptGetsThrough(f"{query_type} {name} resolves in VPC {vpc_id}: {outcome.explain()}")
        unanswered = evaluate_query(associations, name, query_type, fail_open=fail_open, firewall_answers=False)
        if unanswered.resolves:
            raise AttemptGetsThrough(f"VPC {vpc_id} fails open: {unanswered.explain()}")
        return f"{query_type} in VPC {vpc_id}: {outcome.explain()}; without an answer from DNS Firewall: " \
               f"{unanswered.answer}"
    return decide


def no_way_out(state):
    vpc = state.vpc("M1")
    found = ways_out(vpc, **state.route_state(vpc["VpcId"]))
    if found:
        raise AttemptGetsThrough(f"SageMaker VPC {vpc['VpcId']} has a way out: " + "; ".join(map(str, found)))
    route_tables = state.route_state(vpc["VpcId"])["route_tables"]
    return (f"SageMaker VPC {vpc['VpcId']}: no route or gateway leaves it "
            f"(routes of {len(route_tables)} route table(s) read)")


def sign_in_names(region):
    return {
        "signin": ("signin.aws.amazon.com", f"{region}.signin.aws.amazon.com"),
        "console": ("console.aws.amazon.com", f"{region}.console.aws.amazon.com"),
    }


def record_targets(records, name):
    """Targets of the A/AAAA alias or CNAME records answering ``name``, the exact name before a wildcard."""
    wildcard = "*." + name.split(".", 1)[1]
    for wanted in (name, wildcard):
        answers = [r for r in records if r["Name"].rstrip(".").lower().replace("\\052", "*") == wanted
                   and r["Type"] in ("A", "AAAA", "CNAME")]
        if answers:
            return [r["AliasTarget"]["DNSName"] for r in answers if "AliasTarget" in r] + [
                v["Value"] for r in answers for v in r.get("ResourceRecords", ())]
    return []


def sign_in_names_stay_private(state):
    vpc_id = state.vpc_id("A1")
    zones = state.private_zone_records(vpc_id)
    problems, routed = [], []
    for service, names in sign_in_names(state.region).items():
        endpoint_ids = [e["VpcEndpointId"] for e in state.endpoints_for(vpc_id, service)]
        for name in names:
            zone = max((z for z in zones if name == z or name.endswith("." + z)), key=len, default=None)
            if zone is None:
                problems.append(f"{name} resolves publicly (no private hosted zone on {vpc_id})")
                continue
            targets = record_targets(zones[zone], name)
            if any(endpoint_id in target for target in targets for endpoint_id in endpoint_ids):
                routed.append(f"{name} -> {', '.join(endpoint_ids)}")
            else:
                problems.append(f"{name} in zone {zone} points to {targets or 'nothing'}, not to {endpoint_ids}")
    if problems:
        raise AttemptGetsThrough("sign-in and console traffic bypasses the endpoint policies: " + "; ".join(problems))
    return f"private hosted zones on {vpc_id}: " + "; ".join(routed)


def domains_are_vpc_only(state):
    vpc_id = state.vpc_id("M1")
    domains = state.sagemaker_domains()
    if not any(is_managed(tags, "M3") for _, tags in domains):
        raise StateMissing(f"no SageMaker domain tagged {TAG_CONTROL}=M3 in account {state.account}")
    described = [f"{d['DomainId']} ({d.get('AppNetworkAccessType')}, VPC {d.get('VpcId')})" for d, _ in domains]
    open_domains = [text for text, (d, _) in zip(described, domains, strict=True)
                    if d.get("AppNetworkAccessType") != "VpcOnly" or d.get("VpcId") != vpc_id]
    if open_domains:
        raise AttemptGetsThrough(f"domains outside VpcOnly on SageMaker VPC {vpc_id}: {', '.join(open_domains)}")
    return f"every domain is VpcOnly on SageMaker VPC {vpc_id}: {', '.join(described)}"


# The rows ------------------------------------------------------------------------------------------

def _self(state, role):
    return role["Arn"]


def _sagemaker_arn(kind):
    return lambda s, r: f"arn:aws:sagemaker:{s.region}:{s.account}:{kind}"


def _policy_row(row_id, attempt, control, scope, probes):
    return Row(row_id, attempt, control, POLICY, scope, decided_by_policies(probes))


ROWS = (
    # A1: the secure browser's user settings
    Row("A1-download", "download a file from the browser session to the local device", "A1", BROWSER_SETTINGS,
        ACCESS, user_setting_disabled("downloadAllowed")),
    Row("A1-upload", "upload a local file into the browser session", "A1", BROWSER_SETTINGS, ACCESS,
        user_setting_disabled("uploadAllowed")),
    Row("A1-copy", "copy text from the browser session to the local clipboard", "A1", BROWSER_SETTINGS, ACCESS,
        user_setting_disabled("copyAllowed")),
    Row("A1-paste", "paste text from the local clipboard into the browser session", "A1", BROWSER_SETTINGS, ACCESS,
        user_setting_disabled("pasteAllowed")),
    Row("A1-print", "print a page of the browser session on a local printer", "A1", BROWSER_SETTINGS, ACCESS,
        user_setting_disabled("printAllowed")),
    # A2: what the browser may open and resolve, and whom the console lets in
    Row("A2-non-aws-site", f"open {ATTACKER_URL} in the browser", "A2", URL_FILTERING, ACCESS,
        url_blocked(ATTACKER_URL)),
    Row("A2-foreign-studio", f"open a foreign SageMaker Studio host {FOREIGN_STUDIO_URL}", "A2", URL_FILTERING,
        ACCESS, url_blocked(FOREIGN_STUDIO_URL)),
    Row("A2-page-script-dns", f"a page's script resolves upload.{ATTACKER_DOMAIN} from the browser VPC", "A2", DNS,
        ACCESS, dns_blocked("A1", f"upload.{ATTACKER_DOMAIN}", "A")),
    _policy_row("A2-signin-foreign-account", "sign in to the attacker's account through the sign-in endpoint", "A2",
                ACCESS, browser_endpoint_probes("signin", "signin:Authenticate", "arn:aws:signin:::console/aws")),
    _policy_row("A2-console-foreign-account", "use the console of the attacker's account through the console "
                "endpoint", "A2", ACCESS, browser_endpoint_probes("console", "s3:ListAllMyBuckets", "*")),
    Row("A2-signin-public-endpoint", "reach the public sign-in and console endpoints through the NAT, past the "
        "endpoint policies", "A2", PRIVATE_DNS, ACCESS, sign_in_names_stay_private),
    # M1: the SageMaker network and the network perimeter
    Row("M1-sagemaker-vpc-internet", "reach the internet from the SageMaker VPC", "M1", ROUTES, ML, no_way_out),
    _policy_row("M1-stolen-credentials-internet", "use a data scientist's stolen credentials from the attacker's IP",
                "M1", ML, identity_probes("M1", "s3:GetObject", data_object,
                                          origin=stolen_from({"aws:SourceIp": ATTACKER_IP}))),
    _policy_row("M1-stolen-credentials-foreign-vpc", "use a data scientist's stolen credentials from the attacker's "
                "VPC", "M1", ML, identity_probes("M1", "s3:GetObject", data_object, origin=stolen_from(
                    {"aws:SourceVpc": ATTACKER_VPC, "aws:SourceVpce": ATTACKER_VPCE}))),
    # M2: DNS Firewall of the SageMaker VPC
    Row("M2-dns-attacker-domain", f"resolve upload.{ATTACKER_DOMAIN} from the SageMaker VPC", "M2", DNS, ML,
        dns_blocked("M1", f"upload.{ATTACKER_DOMAIN}", "A")),
    Row("M2-dns-tunnel-txt", f"tunnel data out in TXT queries under {ATTACKER_DOMAIN}", "M2", DNS, ML,
        dns_blocked("M1", f"mzxw6ytboi2dsnzq.t.{ATTACKER_DOMAIN}", "TXT")),
    # M2: the resource perimeter
    _policy_row("M2-put-foreign-bucket", "s3:PutObject into the attacker's open bucket", "M2", ML, identity_probes(
        "M2", "s3:PutObject", f"arn:aws:s3:::{ATTACKER_BUCKET}/loot.csv", resource_account=ATTACKER_ACCOUNT,
        resource_context=ATTACKER_RESOURCE, resource_policy=ATTACKER_BUCKET_POLICY)),
    _policy_row("M2-bucket-policy", "open a bucket policy to the attacker", "M2", ML, identity_probes(
        "M2", "s3:PutBucketPolicy", lambda s, r: data_object(s, r).split("/")[0])),
    _policy_row("M2-kms-key-policy", "open a KMS key policy to the attacker", "M2", ML, identity_probes(
        "M2", "kms:PutKeyPolicy",
        lambda s, r: f"arn:aws:kms:{s.region}:{s.account}:key/0f0e0d0c-0b0a-4909-8807-060504030201",
        resource_policy=default_key_policy)),
    _policy_row("M2-role-trust-policy", "open a role's trust policy to the attacker", "M2", ML, identity_probes(
        "M2", "iam:UpdateAssumeRolePolicy", _self)),
    _policy_row("M2-share-ebs-snapshot", "share an EBS snapshot with the attacker's account", "M2", ML,
                identity_probes("M2", "ec2:ModifySnapshotAttribute",
                                lambda s, r: f"arn:aws:ec2:{s.region}::snapshot/snap-0a77ac4e500000001")),
    _policy_row("M2-share-rds-snapshot", "share an RDS snapshot with the attacker's account", "M2", ML,
                identity_probes("M2", "rds:ModifyDBSnapshotAttribute",
                                lambda s, r: f"arn:aws:rds:{s.region}:{s.account}:snapshot:matrix-probe")),
    _policy_row("M2-share-ami", "share an AMI with the attacker's account", "M2", ML, identity_probes(
        "M2", "ec2:ModifyImageAttribute", lambda s, r: f"arn:aws:ec2:{s.region}::image/ami-0a77ac4e500000001")),
    # M2: tampering with the perimeter
    _policy_row("M2-detach-perimeter-policy", "detach a perimeter policy from the data-scientist role", "M2", ML,
                for_each(perimeter_policies, lambda s, role, arn: (role["Arn"], {"iam:PolicyARN": arn}))(
                    "M2", "iam:DetachRolePolicy")),
    _policy_row("M2-edit-perimeter-policy", "publish a new version of a perimeter policy", "M2", ML,
                for_each(perimeter_policies, as_resource("{item}"))("M2", "iam:CreatePolicyVersion")),
    _policy_row("M2-delete-perimeter-policy", "delete a perimeter policy", "M2", ML,
                for_each(perimeter_policies, as_resource("{item}"))("M2", "iam:DeletePolicy")),
    _policy_row("M2-add-internet-route", "add a route to the SageMaker VPC's route tables", "M2", ML,
                for_each(sagemaker_route_tables, as_resource("arn:aws:ec2:{region}:{account}:route-table/{item}"))(
                    "M2", "ec2:CreateRoute")),
    _policy_row("M2-attach-internet-gateway", "attach an internet gateway to the SageMaker VPC", "M2", ML,
                identity_probes("M2", "ec2:AttachInternetGateway",
                                lambda s, r: f"arn:aws:ec2:{s.region}:{s.account}:vpc/{s.vpc_id('M1')}")),
    _policy_row("M2-delete-endpoint", "delete a VPC endpoint of the SageMaker VPC", "M2", ML,
                for_each(sagemaker_endpoints, as_resource("arn:aws:ec2:{region}:{account}:vpc-endpoint/{item}"))(
                    "M2", "ec2:DeleteVpcEndpoints")),
    _policy_row("M2-replace-endpoint-policy", "replace a VPC endpoint's policy", "M2", ML,
                for_each(sagemaker_endpoints, as_resource("arn:aws:ec2:{region}:{account}:vpc-endpoint/{item}"))(
                    "M2", "ec2:ModifyVpcEndpoint")),
    _policy_row("M2-disassociate-dns-firewall", "disassociate the DNS Firewall from the SageMaker VPC", "M2", ML,
                for_each(firewall_associations, as_resource("{item}"))(
                    "M2", "route53resolver:DisassociateFirewallRuleGroup")),
    _policy_row("M2-dns-firewall-fail-open", "switch the SageMaker VPC's DNS Firewall to fail open", "M2", ML,
                for_each(firewall_config, as_resource("{item}"))("M2", "route53resolver:UpdateFirewallConfig")),
    _policy_row("M2-edit-dns-domain-list", "add the attacker's domain to a DNS Firewall domain list", "M2", ML,
                for_each(firewall_domain_lists, as_resource("{item}"))(
                    "M2", "route53resolver:UpdateFirewallDomains")),
    # M3: the S3 endpoint
    _policy_row("M3-put-foreign-bucket-via-endpoint", "s3:PutObject into the attacker's open bucket through the S3 "
                "endpoint", "M3", ML, endpoint_probes(
                    "s3", "s3:PutObject", f"arn:aws:s3:::{ATTACKER_BUCKET}/loot.csv", ATTACKER_ACCOUNT,
                    ATTACKER_RESOURCE, ATTACKER_BUCKET_POLICY)),
    _policy_row("M3-put-unlisted-org-bucket-via-endpoint", "s3:PutObject into an organisation bucket not in "
                "perimeter_ml_buckets through the S3 endpoint", "M3", ML, endpoint_probes(
                    "s3", "s3:PutObject", lambda s: f"arn:aws:s3:::{unlisted_bucket(s)}/loot.csv",
                    lambda s: s.account, own_resource)),
    # M3: SageMaker guardrails
    _policy_row("M3-training-job-outside-vpc", "create a training job without VPC configuration", "M3", ML,
                identity_probes("M3", "sagemaker:CreateTrainingJob", _sagemaker_arn("training-job/matrix-probe"))),
    _policy_row("M3-training-job-outside-vpc-as-execution-role", "an execution role creates a training job without "
                "VPC configuration", "M3", ML, identity_probes(
                    "M3", "sagemaker:CreateTrainingJob", _sagemaker_arn("training-job/matrix-probe"),
                    role_kind="sagemaker-execution")),
    _policy_row("M3-notebook-outside-vpc", "create a notebook instance without VPC configuration", "M3", ML,
                identity_probes("M3", "sagemaker:CreateNotebookInstance",
                                _sagemaker_arn("notebook-instance/matrix-probe"))),
    _policy_row("M3-notebook-direct-internet", "create a notebook instance in the VPC with direct internet access",
                "M3", ML, identity_probes(
                    "M3", "sagemaker:CreateNotebookInstance", _sagemaker_arn("notebook-instance/matrix-probe"),
                    context=lambda s, r: {**sagemaker_subnets(s, r), "sagemaker:DirectInternetAccess": "Enabled"})),
    _policy_row("M3-create-public-domain", "create a SageMaker domain in PublicInternetOnly mode", "M3", ML,
                identity_probes(
                    "M3", "sagemaker:CreateDomain", _sagemaker_arn("domain/d-matrixprobe0"),
                    context=lambda s, r: {**sagemaker_subnets(s, r),
                                          "sagemaker:AppNetworkAccessType": "PublicInternetOnly"})),
    _policy_row("M3-update-domain-to-public", "switch a SageMaker domain to PublicInternetOnly", "M3", ML,
                identity_probes("M3", "sagemaker:UpdateDomain", _sagemaker_arn("domain/d-matrixprobe0"),
                                context={"sagemaker:AppNetworkAccessType": "PublicInternetOnly"})),
    Row("M3-domain-public-internet", "use a SageMaker domain that is in PublicInternetOnly mode", "M3", SAGEMAKER, ML,
        domains_are_vpc_only),
)


def rows_for(scope):
    return [row for row in ROWS if row.scope == scope]


def _one_line(text):
    return " ".join(str(text).split())


def decide_row(row, state, dns_firewall_staged=False):
    """A row's result: id, attempt, control, procedure, status and its evidence on one line.

    With ``dns_firewall_staged`` (the rollout runs the account's DNS Firewall in ALERT on purpose), a row
    that only ALERT lets through is staged, as its control is; otherwise it fails.
    """
    attempt = row.attempt.format(region=state.region)
    try:
        status, evidence = PASS, row.decide(state)
    except AttemptOnlyAlerted as alerted:
        status = STAGED if dns_firewall_staged else FAIL
        evidence = f"{attempt} gets through ({row.procedure}): {alerted}"
    except AttemptGetsThrough as through:
        status, evidence = FAIL, f"{attempt} gets through ({row.procedure}): {through}"
    except StateMissing as missing:
        status, evidence = FAIL, f"cannot be decided, missing: {missing}"
    return {"row": row.id, "attempt": attempt, "control": row.control,
            "procedure": row.procedure, "status": status, "evidence": _one_line(evidence)}


def decide_matrix(scope, state, dns_firewall_staged=False):
    """Every row of ``scope`` decided against ``state``, in the catalogue's order, and the counts."""
    results = [decide_row(row, state, dns_firewall_staged) for row in rows_for(scope)]
    summary = {status: sum(1 for r in results if r["status"] == status) for status in (PASS, STAGED, FAIL)}
    return results, summary


# Inputs --------------------------------------------------------------------------------------------

ORGANIZATION_ID = re.compile(r"o-[a-z0-9]{10,32}")
S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def input_problems(params):
    """Every problem with the module's inputs, each naming the option and the value."""
    problems = []
    if not ORGANIZATION_ID.fullmatch(params["organization_id"] or ""):
        problems.append(f"organization_id: {params['organization_id']!r} is not an organisation id (o-<10 to 32 "
                        "lower-case letters or digits>)")
    for option in ("data_scientist_roles", "sagemaker_execution_roles"):
        problems += [f"{option}: {name!r} is not an IAM role name (1 to 64 of letters, digits and +=,.@_-)"
                     for name in params[option] or () if not ROLE_NAME.fullmatch(name)]
    problems += [f"ml_buckets: {name!r} is not an S3 bucket name (3 to 63 lower-case letters, digits, dots and "
                 "hyphens)" for name in params["ml_buckets"] or () if not S3_BUCKET.fullmatch(name)]
    if params["scope"] == ML and not params["data_scientist_roles"]:
        problems.append("data_scientist_roles: the ML rows need at least one data-scientist role (got none)")
    return problems
