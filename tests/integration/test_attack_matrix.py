"""The attack matrix (design §4): every exfiltration route the perimeter closes, decided from live state.

Each row is an attempt, the control of design §1 that must stop it, and the procedure
that decides it from what the accounts hold: IAM policy evaluation by the independent
oracle (``@cloud-copilot/iam-simulate``), DNS Firewall evaluation in AWS's order, route
analysis, private DNS, browser settings or SageMaker settings. A row passes only when
its own control stops the attempt; it fails with what is missing or with the decision
that let the attempt through. Rows are expected failures until the layer that closes
them lands, marked strictly so that a closed row must be unmarked.

Identity rows grant the caller everything on top of the role's live policies: the
perimeter is a set of denials and must hold whatever a role is allowed. Insiders call
from the SageMaker VPC, an origin the network perimeter admits, so that a denial must
come from the row's own control.
"""

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from botocore.exceptions import ClientError

from support import browser_oracle, dns_oracle, oracle, route_oracle
from support.matrix_state import (
    ACCESS_ACCOUNT,
    ATTACKER_ACCOUNT,
    ATTACKER_BUCKET,
    ATTACKER_DOMAIN,
    ATTACKER_IP,
    ATTACKER_ORG_ID,
    ATTACKER_PRINCIPAL,
    ATTACKER_URL,
    ATTACKER_VPC,
    ATTACKER_VPCE,
    DATA_SCIENTIST,
    FOREIGN_STUDIO_URL,
    ML_ACCOUNTS,
    ORG_ID,
    REGION,
    SAGEMAKER_EXECUTION,
    TAG_CONTROL,
    UNLISTED_ORG_BUCKET,
    LiveState,
    StateMissing,
    is_managed,
)

LAYERS = {
    "A1": "the secure browser",
    "A2": "the browser allowlist, console private access and browser DNS Firewall",
    "M1": "the SageMaker network and network perimeter",
    "M2": "the DNS Firewall and resource perimeter",
    "M3": "the endpoint policies and SageMaker guardrails",
}
ALLOW_EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
BROAD_GRANT = {"matrix:broad-grant": ALLOW_EVERYTHING}
ATTACKER_BUCKET_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": [
        f"arn:aws:s3:::{ATTACKER_BUCKET}", f"arn:aws:s3:::{ATTACKER_BUCKET}/*"]}]}


@dataclass(frozen=True)
class Probe:
    """One oracle request of a row and what its decision must show."""
    label: str
    request: dict
    expect: Callable


@dataclass(frozen=True)
class Row:
    id: str
    attempt: str
    control: str
    procedure: str
    scope: str                                  # "access" or "ml"
    check: Callable | None = None               # (state, account) -> None; asserts the attempt is stopped
    probes: Callable | None = None              # (state, account) -> [Probe]; decided by the policy oracle
    accounts: tuple = field(init=False, default=())

    def __post_init__(self):
        object.__setattr__(self, "accounts", (ACCESS_ACCOUNT,) if self.scope == "access" else ML_ACCOUNTS)


# Expectations -----------------------------------------------------------------------------------------

def denied_by_policies_of(control, controls):
    """The decision is an explicit deny by a policy tagged with ``control``."""
    def expect(decision):
        mine = [d for d in decision.denied_by("identity") if controls.get(d.get("policyIdentifier")) == control]
        if decision.decision == oracle.EXPLICITLY_DENIED and mine:
            return None
        return f"not explicitly denied by a {TAG_CONTROL}={control} policy: {decision.explain()}"
    return expect


def denied_by_endpoint(endpoint_id):
    def expect(decision):
        if not decision.allowed and decision.denied_by("vpce"):
            return None
        return f"not denied by the policy of endpoint {endpoint_id}: {decision.explain()}"
    return expect


# Request context --------------------------------------------------------------------------------------

def insider(state, account, role):
    """A role's session calling from the SageMaker VPC of its account."""
    return {
        "aws:PrincipalArn": role["Arn"], "aws:PrincipalAccount": account, "aws:PrincipalOrgID": ORG_ID,
        "aws:SourceVpc": state.vpc(account, "M1")["VpcId"], "aws:RequestedRegion": REGION,
        "aws:ViaAWSService": False, "aws:PrincipalIsAWSService": False,
    }


def own_resource(account):
    return {"aws:ResourceAccount": account, "aws:ResourceOrgID": ORG_ID}


ATTACKER_RESOURCE = {"aws:ResourceAccount": ATTACKER_ACCOUNT, "aws:ResourceOrgID": ATTACKER_ORG_ID}


def identity_probe(state, account, role, control, action, resource, *, resource_account=None,
                   resource_context=None, context=None, resource_policy=None, origin=insider, label=None):
    """A role's live policies plus a broad grant must deny the request, by a policy tagged ``control``."""
    documents, controls = state.role_policies(account, role["RoleName"])
    return Probe(label or role["RoleName"], oracle.request(
        principal=role["Arn"], action=action, resource=resource, resource_account=resource_account or account,
        identity_policies={**documents, **BROAD_GRANT}, resource_policy=resource_policy,
        context={**origin(state, account, role), **(resource_context or own_resource(account)), **(context or {})},
    ), denied_by_policies_of(control, controls))


def identity_probes(control, action, resource, *, context=None, role_kind=DATA_SCIENTIST, **options):
    """Probes for every role of ``role_kind``; ``resource`` and ``context`` may be callables of
    (state, account, role)."""
    def probes(state, account):
        return [
            identity_probe(
                state, account, role, control, action,
                resource(state, account, role) if callable(resource) else resource,
                context=context(state, account, role) if callable(context) else context, **options)
            for role in state.roles(account, role_kind)
        ]
    return probes


def for_each(items, make):
    """Identity probes over live resources: ``items(state, account, role)`` lists them and
    ``make(state, account, role, item)`` gives (resource ARN, extra context) for each."""
    def probes_for(control, action):
        def probes(state, account):
            built = []
            for role in state.roles(account, DATA_SCIENTIST):
                for item in items(state, account, role):
                    resource, extra = make(state, account, role, item)
                    built.append(identity_probe(state, account, role, control, action, resource, context=extra,
                                                label=f"{role['RoleName']} on {item}"))
            return built
        return probes
    return probes_for


def endpoint_probes(service, action, resource, resource_account, resource_context, resource_policy=None):
    """Through every ``service`` endpoint of the SageMaker VPC: the endpoint policy alone must stop it."""
    def probes(state, account):
        vpc_id = state.vpc(account, "M1")["VpcId"]
        built = []
        for role in state.roles(account, DATA_SCIENTIST):
            for endpoint in state.endpoints_for(account, vpc_id, service):
                context = {**insider(state, account, role), **resource_context,
                           "aws:SourceVpce": endpoint["VpcEndpointId"]}
                built.append(Probe(f"{role['RoleName']} via {endpoint['VpcEndpointId']}", oracle.request(
                    principal=role["Arn"], action=action, resource=resource, resource_account=resource_account,
                    identity_policies=BROAD_GRANT, resource_policy=resource_policy,
                    vpc_endpoint_policies={endpoint["VpcEndpointId"]: json.loads(endpoint["PolicyDocument"])},
                    context=context,
                ), denied_by_endpoint(endpoint["VpcEndpointId"])))
        return built
    return probes


def browser_endpoint_probes(service, action, resource):
    """An outsider signing in to their own account through the browser VPC's ``service`` endpoints."""
    def probes(state, account):
        vpc_id = state.vpc(account, "A1")["VpcId"]
        built = []
        for endpoint in state.endpoints_for(account, vpc_id, service):
            built.append(Probe(endpoint["VpcEndpointId"], oracle.request(
                principal=ATTACKER_PRINCIPAL, action=action, resource=resource, resource_account=ATTACKER_ACCOUNT,
                identity_policies={"attacker:own-grant": ALLOW_EVERYTHING},
                vpc_endpoint_policies={endpoint["VpcEndpointId"]: json.loads(endpoint["PolicyDocument"])},
                context={"aws:PrincipalArn": ATTACKER_PRINCIPAL, "aws:PrincipalAccount": ATTACKER_ACCOUNT,
                         "aws:PrincipalOrgID": ATTACKER_ORG_ID, **ATTACKER_RESOURCE, "aws:SourceVpc": vpc_id,
                         "aws:SourceVpce": endpoint["VpcEndpointId"]},
            ), denied_by_endpoint(endpoint["VpcEndpointId"])))
        return built
    return probes


# Live-resource look-ups for the tampering rows --------------------------------------------------------

def perimeter_policies(state, account, role):
    _, controls = state.role_policies(account, role["RoleName"])
    arns = [arn for arn, control in controls.items() if control in ("M1", "M2", "M3")]
    if not arns:
        raise StateMissing(f"no perimeter policy ({TAG_CONTROL}=M1/M2/M3) on role {role['RoleName']} "
                           f"in account {account}")
    return arns


def sagemaker_route_tables(state, account, role):
    vpc_id = state.vpc(account, "M1")["VpcId"]
    tables = state.route_state(account, vpc_id)["route_tables"]
    if not tables:
        raise StateMissing(f"no route table in SageMaker VPC {vpc_id} of account {account}")
    return [t["RouteTableId"] for t in tables]


def sagemaker_endpoints(state, account, role):
    vpc_id = state.vpc(account, "M1")["VpcId"]
    endpoints = state.endpoints(account, vpc_id)
    if not endpoints:
        raise StateMissing(f"no VPC endpoint in SageMaker VPC {vpc_id} of account {account}")
    return [e["VpcEndpointId"] for e in endpoints]


def firewall_associations(state, account, role):
    return [a["Arn"] for a in state.dns_firewall(account, state.vpc(account, "M1")["VpcId"])[2]]


def firewall_config(state, account, role):
    config = state.dns_firewall(account, state.vpc(account, "M1")["VpcId"])[3]
    return [f"arn:aws:route53resolver:{REGION}:{account}:firewall-config/{config['Id']}"]


def firewall_domain_lists(state, account, role):
    associations = state.dns_firewall(account, state.vpc(account, "M1")["VpcId"])[0]
    return sorted({f"arn:aws:route53resolver:{REGION}:{account}:firewall-domain-list/{rule.domain_list_id}"
                   for association in associations for rule in association.rules})


def sagemaker_subnets(state, account, role):
    vpc_id = state.vpc(account, "M1")["VpcId"]
    subnets = state.client("ec2", account).describe_subnets(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    if not subnets:
        raise StateMissing(f"no subnet in SageMaker VPC {vpc_id} of account {account}")
    return {"sagemaker:VpcSubnets": [s["SubnetId"] for s in subnets]}


def as_resource(template, context_key=None):
    def make(state, account, role, item):
        return template.format(region=REGION, account=account, item=item), ({context_key: item} if context_key else {})
    return make


# Checks for the other procedures ----------------------------------------------------------------------

def user_setting_disabled(setting):
    def check(state, account):
        settings = state.portal_settings("userSettings")
        value = settings.get(setting)
        assert value == "Disabled", (
            f"user settings {settings['userSettingsArn']}: {setting} is {value!r}, not 'Disabled'")
    return check


def url_blocked(url):
    def check(state, account):
        verdict = browser_oracle.decide(url, state.portal_settings("browserSettings"))
        assert verdict.blocked, f"the portal opens it: {verdict.explain()}"
    return check


def dns_blocked(control, name, query_type):
    def check(state, account):
        vpc_id = state.vpc(account, control)["VpcId"]
        associations, fail_open, _, _ = state.dns_firewall(account, vpc_id)
        verdict = dns_oracle.decide(associations, name, query_type)
        if verdict.alerted:
            raise AssertionError(f"staged, not closed: ALERT lets it resolve in VPC {vpc_id}: {verdict.explain()}")
        assert not verdict.resolves, f"{query_type} {name} resolves in VPC {vpc_id}: {verdict.explain()}"
        unavailable = dns_oracle.decide(associations, name, query_type, fail_open=fail_open, firewall_answers=False)
        assert not unavailable.resolves, f"VPC {vpc_id} fails open: {unavailable.explain()}"
    return check


def no_way_out(state, account):
    vpc = state.vpc(account, "M1")
    found = route_oracle.ways_out(vpc, **state.route_state(account, vpc["VpcId"]))
    assert not found, f"SageMaker VPC {vpc['VpcId']} has a way out: " + "; ".join(str(w) for w in found)


SIGN_IN_NAMES = {
    "signin": ("signin.aws.amazon.com", f"{REGION}.signin.aws.amazon.com"),
    "console": ("console.aws.amazon.com", f"{REGION}.console.aws.amazon.com"),
}


def _record_targets(records, name):
    """Targets of the A/AAAA alias or CNAME records answering ``name``, exact before wildcard."""
    wildcard = "*." + name.split(".", 1)[1]
    for wanted in (name, wildcard):
        answers = [r for r in records if r["Name"].rstrip(".").lower().replace("\\052", "*") == wanted
                   and r["Type"] in ("A", "AAAA", "CNAME")]
        if answers:
            return [r["AliasTarget"]["DNSName"] for r in answers if "AliasTarget" in r] + [
                v["Value"] for r in answers for v in r.get("ResourceRecords", ())]
    return []


def sign_in_names_stay_private(state, account):
    vpc_id = state.vpc(account, "A1")["VpcId"]
    zones = state.private_zone_records(account, vpc_id)
    problems = []
    for service, names in SIGN_IN_NAMES.items():
        endpoint_ids = [e["VpcEndpointId"] for e in state.endpoints_for(account, vpc_id, service)]
        for name in names:
            zone = max((z for z in zones if name == z or name.endswith("." + z)), key=len, default=None)
            if zone is None:
                problems.append(f"{name} resolves publicly (no private hosted zone on {vpc_id})")
                continue
            targets = _record_targets(zones[zone], name)
            if not any(endpoint_id in target for target in targets for endpoint_id in endpoint_ids):
                problems.append(f"{name} in zone {zone} points to {targets or 'nothing'}, not to {endpoint_ids}")
    assert not problems, "sign-in and console traffic bypasses the endpoint policies: " + "; ".join(problems)


def domains_are_vpc_only(state, account):
    vpc_id = state.vpc(account, "M1")["VpcId"]
    domains = state.sagemaker_domains(account)
    managed = [d for d in domains if is_managed(state.sagemaker_domain_tags(account, d["DomainArn"]), "M3")]
    if not managed:
        raise StateMissing(f"no SageMaker domain tagged {TAG_CONTROL}=M3 in account {account}")
    open_domains = [f"{d['DomainId']} ({d.get('AppNetworkAccessType')}, VPC {d.get('VpcId')})" for d in domains
                    if d.get("AppNetworkAccessType") != "VpcOnly" or d.get("VpcId") != vpc_id]
    assert not open_domains, f"domains outside VpcOnly on SageMaker VPC {vpc_id}: {', '.join(open_domains)}"


# The rows ---------------------------------------------------------------------------------------------

ACCESS, ML = "access", "ml"
POLICY = "policy evaluation (iam-simulate)"
BROWSER = "browser user settings"
URLS = "browser URL filtering"
DNS = "DNS Firewall evaluation"
PRIVATE_DNS = "private DNS to the endpoints"
ROUTES = "route analysis"
SAGEMAKER = "SageMaker domain settings"


def _stolen_from(origin):
    def context(state, account, role):
        return {"aws:PrincipalArn": role["Arn"], "aws:PrincipalAccount": account, "aws:PrincipalOrgID": ORG_ID,
                "aws:RequestedRegion": REGION, "aws:ViaAWSService": False, **origin}
    return context


def _data_object(state, account, role):
    return f"arn:aws:s3:::mlperimeter-matrix-data-{account}/dataset.csv"


def _self(state, account, role):
    return role["Arn"]


ROWS = [
    # A1: the secure browser's user settings
    Row("A1-download", "download a file from the browser session to the local device", "A1", BROWSER, ACCESS,
        check=user_setting_disabled("downloadAllowed")),
    Row("A1-upload", "upload a local file into the browser session", "A1", BROWSER, ACCESS,
        check=user_setting_disabled("uploadAllowed")),
    Row("A1-copy", "copy text from the browser session to the local clipboard", "A1", BROWSER, ACCESS,
        check=user_setting_disabled("copyAllowed")),
    Row("A1-paste", "paste text from the local clipboard into the browser session", "A1", BROWSER, ACCESS,
        check=user_setting_disabled("pasteAllowed")),
    Row("A1-print", "print a page of the browser session on a local printer", "A1", BROWSER, ACCESS,
        check=user_setting_disabled("printAllowed")),
    # A2: what the browser may open and resolve, and whom the console lets in
    Row("A2-non-aws-site", f"open {ATTACKER_URL} in the browser", "A2", URLS, ACCESS, check=url_blocked(ATTACKER_URL)),
    Row("A2-foreign-studio", f"open a foreign SageMaker Studio host {FOREIGN_STUDIO_URL}", "A2", URLS, ACCESS,
        check=url_blocked(FOREIGN_STUDIO_URL)),
    Row("A2-page-script-dns", f"a page's script resolves upload.{ATTACKER_DOMAIN} from the browser VPC", "A2", DNS,
        ACCESS, check=dns_blocked("A1", f"upload.{ATTACKER_DOMAIN}", "A")),
    Row("A2-signin-foreign-account", "sign in to the attacker's account through the sign-in endpoint", "A2", POLICY,
        ACCESS, probes=browser_endpoint_probes("signin", "signin:Authenticate", "arn:aws:signin:::console/aws")),
    Row("A2-console-foreign-account", "use the console of the attacker's account through the console endpoint",
        "A2", POLICY, ACCESS, probes=browser_endpoint_probes("console", "s3:ListAllMyBuckets", "*")),
    Row("A2-signin-public-endpoint", "reach the public sign-in and console endpoints through the NAT, past the "
        "endpoint policies", "A2", PRIVATE_DNS, ACCESS, check=sign_in_names_stay_private),
    # M1: the SageMaker network and the network perimeter
    Row("M1-sagemaker-vpc-internet", "reach the internet from the SageMaker VPC", "M1", ROUTES, ML, check=no_way_out),
    Row("M1-stolen-credentials-internet", "use a data scientist's stolen credentials from the attacker's IP",
        "M1", POLICY, ML, probes=identity_probes("M1", "s3:GetObject", _data_object,
                                                 origin=_stolen_from({"aws:SourceIp": ATTACKER_IP}))),
    Row("M1-stolen-credentials-foreign-vpc", "use a data scientist's stolen credentials from the attacker's VPC",
        "M1", POLICY, ML, probes=identity_probes("M1", "s3:GetObject", _data_object, origin=_stolen_from(
            {"aws:SourceVpc": ATTACKER_VPC, "aws:SourceVpce": ATTACKER_VPCE}))),
    # M2: DNS Firewall of the SageMaker VPC
    Row("M2-dns-attacker-domain", f"resolve upload.{ATTACKER_DOMAIN} from the SageMaker VPC", "M2", DNS, ML,
        check=dns_blocked("M1", f"upload.{ATTACKER_DOMAIN}", "A")),
    Row("M2-dns-tunnel-txt", f"tunnel data out in TXT queries under {ATTACKER_DOMAIN}", "M2", DNS, ML,
        check=dns_blocked("M1", f"mzxw6ytboi2dsnzq.t.{ATTACKER_DOMAIN}", "TXT")),
    # M2: the resource perimeter
    Row("M2-put-foreign-bucket", "s3:PutObject into the attacker's open bucket", "M2", POLICY, ML,
        probes=identity_probes("M2", "s3:PutObject", f"arn:aws:s3:::{ATTACKER_BUCKET}/loot.csv",
                               resource_account=ATTACKER_ACCOUNT, resource_context=ATTACKER_RESOURCE,
                               resource_policy=ATTACKER_BUCKET_POLICY)),
    Row("M2-bucket-policy", "open a bucket policy to the attacker", "M2", POLICY, ML,
        probes=identity_probes("M2", "s3:PutBucketPolicy", lambda s, a, r: _data_object(s, a, r).split("/")[0])),
    Row("M2-kms-key-policy", "open a KMS key policy to the attacker", "M2", POLICY, ML,
        probes=identity_probes("M2", "kms:PutKeyPolicy", lambda s, a, r: (
            f"arn:aws:kms:{REGION}:{a}:key/0f0e0d0c-0b0a-4909-8807-060504030201"))),
    Row("M2-role-trust-policy", "open a role's trust policy to the attacker", "M2", POLICY, ML,
        probes=identity_probes("M2", "iam:UpdateAssumeRolePolicy", _self)),
    Row("M2-share-ebs-snapshot", "share an EBS snapshot with the attacker's account", "M2", POLICY, ML,
        probes=identity_probes("M2", "ec2:ModifySnapshotAttribute",
                               f"arn:aws:ec2:{REGION}::snapshot/snap-0a77ac4e500000001")),
    Row("M2-share-rds-snapshot", "share an RDS snapshot with the attacker's account", "M2", POLICY, ML,
        probes=identity_probes("M2", "rds:ModifyDBSnapshotAttribute",
                               lambda s, a, r: f"arn:aws:rds:{REGION}:{a}:snapshot:matrix-probe")),
    Row("M2-share-ami", "share an AMI with the attacker's account", "M2", POLICY, ML,
        probes=identity_probes("M2", "ec2:ModifyImageAttribute",
                               f"arn:aws:ec2:{REGION}::image/ami-0a77ac4e500000001")),
    # M2: tampering with the perimeter
    Row("M2-detach-perimeter-policy", "detach a perimeter policy from the data-scientist role", "M2", POLICY, ML,
        probes=for_each(perimeter_policies, lambda s, a, role, arn: (role["Arn"], {"iam:PolicyARN": arn}))(
            "M2", "iam:DetachRolePolicy")),
    Row("M2-edit-perimeter-policy", "publish a new version of a perimeter policy", "M2", POLICY, ML,
        probes=for_each(perimeter_policies, as_resource("{item}"))("M2", "iam:CreatePolicyVersion")),
    Row("M2-delete-perimeter-policy", "delete a perimeter policy", "M2", POLICY, ML,
        probes=for_each(perimeter_policies, as_resource("{item}"))("M2", "iam:DeletePolicy")),
    Row("M2-add-internet-route", "add a route to the SageMaker VPC's route tables", "M2", POLICY, ML,
        probes=for_each(sagemaker_route_tables, as_resource("arn:aws:ec2:{region}:{account}:route-table/{item}"))(
            "M2", "ec2:CreateRoute")),
    Row("M2-attach-internet-gateway", "attach an internet gateway to the SageMaker VPC", "M2", POLICY, ML,
        probes=identity_probes("M2", "ec2:AttachInternetGateway", lambda s, a, r: (
            f"arn:aws:ec2:{REGION}:{a}:vpc/{s.vpc(a, 'M1')['VpcId']}"))),
    Row("M2-delete-endpoint", "delete a VPC endpoint of the SageMaker VPC", "M2", POLICY, ML,
        probes=for_each(sagemaker_endpoints, as_resource("arn:aws:ec2:{region}:{account}:vpc-endpoint/{item}"))(
            "M2", "ec2:DeleteVpcEndpoints")),
    Row("M2-replace-endpoint-policy", "replace a VPC endpoint's policy", "M2", POLICY, ML,
        probes=for_each(sagemaker_endpoints, as_resource("arn:aws:ec2:{region}:{account}:vpc-endpoint/{item}"))(
            "M2", "ec2:ModifyVpcEndpoint")),
    Row("M2-disassociate-dns-firewall", "disassociate the DNS Firewall from the SageMaker VPC", "M2", POLICY, ML,
        probes=for_each(firewall_associations, as_resource("{item}"))(
            "M2", "route53resolver:DisassociateFirewallRuleGroup")),
    Row("M2-dns-firewall-fail-open", "switch the SageMaker VPC's DNS Firewall to fail open", "M2", POLICY, ML,
        probes=for_each(firewall_config, as_resource("{item}"))("M2", "route53resolver:UpdateFirewallConfig")),
    Row("M2-edit-dns-domain-list", "add the attacker's domain to a DNS Firewall domain list", "M2", POLICY, ML,
        probes=for_each(firewall_domain_lists, as_resource("{item}"))("M2", "route53resolver:UpdateFirewallDomains")),
    # M3: the S3 endpoint
    Row("M3-put-foreign-bucket-via-endpoint", "s3:PutObject into the attacker's open bucket through the S3 endpoint",
        "M3", POLICY, ML, probes=endpoint_probes("s3", "s3:PutObject", f"arn:aws:s3:::{ATTACKER_BUCKET}/loot.csv",
                                                 ATTACKER_ACCOUNT, ATTACKER_RESOURCE, ATTACKER_BUCKET_POLICY)),
    Row("M3-put-unlisted-org-bucket-via-endpoint", "s3:PutObject into an organisation bucket not in "
        "perimeter_ml_buckets through the S3 endpoint", "M3", POLICY, ML,
        probes=endpoint_probes("s3", "s3:PutObject", f"arn:aws:s3:::{UNLISTED_ORG_BUCKET}/loot.csv",
                               ML_ACCOUNTS[-1], {"aws:ResourceAccount": ML_ACCOUNTS[-1], "aws:ResourceOrgID": ORG_ID})),
    # M3: SageMaker guardrails
    Row("M3-training-job-outside-vpc", "create a training job without VPC configuration", "M3", POLICY, ML,
        probes=identity_probes("M3", "sagemaker:CreateTrainingJob", lambda s, a, r: (
            f"arn:aws:sagemaker:{REGION}:{a}:training-job/matrix-probe"))),
    Row("M3-training-job-outside-vpc-as-execution-role", "an execution role creates a training job without VPC "
        "configuration", "M3", POLICY, ML,
        probes=identity_probes("M3", "sagemaker:CreateTrainingJob", lambda s, a, r: (
            f"arn:aws:sagemaker:{REGION}:{a}:training-job/matrix-probe"), role_kind=SAGEMAKER_EXECUTION)),
    Row("M3-notebook-outside-vpc", "create a notebook instance without VPC configuration", "M3", POLICY, ML,
        probes=identity_probes("M3", "sagemaker:CreateNotebookInstance", lambda s, a, r: (
            f"arn:aws:sagemaker:{REGION}:{a}:notebook-instance/matrix-probe"))),
    Row("M3-notebook-direct-internet", "create a notebook instance in the VPC with direct internet access", "M3",
        POLICY, ML, probes=identity_probes("M3", "sagemaker:CreateNotebookInstance", lambda s, a, r: (
            f"arn:aws:sagemaker:{REGION}:{a}:notebook-instance/matrix-probe"),
            context=lambda s, a, r: {**sagemaker_subnets(s, a, r), "sagemaker:DirectInternetAccess": "Enabled"})),
    Row("M3-create-public-domain", "create a SageMaker domain in PublicInternetOnly mode", "M3", POLICY, ML,
        probes=identity_probes("M3", "sagemaker:CreateDomain", lambda s, a, r: (
            f"arn:aws:sagemaker:{REGION}:{a}:domain/d-matrixprobe0"),
            context=lambda s, a, r: {**sagemaker_subnets(s, a, r),
                                     "sagemaker:AppNetworkAccessType": "PublicInternetOnly"})),
    Row("M3-update-domain-to-public", "switch a SageMaker domain to PublicInternetOnly", "M3", POLICY, ML,
        probes=identity_probes("M3", "sagemaker:UpdateDomain", lambda s, a, r: (
            f"arn:aws:sagemaker:{REGION}:{a}:domain/d-matrixprobe0"),
            context={"sagemaker:AppNetworkAccessType": "PublicInternetOnly"})),
    Row("M3-domain-public-internet", "use a SageMaker domain that is in PublicInternetOnly mode", "M3", SAGEMAKER,
        ML, check=domains_are_vpc_only),
]


# Controls whose layer has landed: their rows must pass. The others are strict expected failures.
LANDED = {"A1", "M1", "A2", "M2", "M3"}
# Rows closed by a landed control whose probes aim at resources a later layer builds.
PROBES_NEED = {}


def _cases():
    for row in ROWS:
        reason = f"closed by {LAYERS[row.control]}: {row.control}"
        ready = row.control in LANDED and PROBES_NEED.get(row.id, row.control) in LANDED
        marks = () if ready else pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)
        for account in row.accounts:
            yield pytest.param(row, account, id=f"{row.id}[{account}]", marks=marks)


@pytest.fixture(scope="module")
def state(rolled_out):
    return LiveState(rolled_out)


def _missing_on_not_found(read):
    try:
        return read()
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code.endswith("NotFound") or code in ("ResourceNotFoundException", "NoSuchEntity"):
            message = error.response["Error"].get("Message", "")
            raise StateMissing(f"{error.operation_name}: {code}: {message}") from error
        raise


@pytest.fixture(scope="module")
def policy_decisions(state):
    """Every policy row's probes, decided in one oracle run; a row whose state is missing keeps its reason."""
    outcomes, batch = {}, []
    for row in ROWS:
        if row.probes is None:
            continue
        for account in row.accounts:
            try:
                probes = _missing_on_not_found(lambda row=row, account=account: row.probes(state, account))
            except StateMissing as missing:
                outcomes[row.id, account] = missing
                continue
            outcomes[row.id, account] = probes
            batch += [probe.request for probe in probes]
    decisions = iter(oracle.decide(batch))
    return {key: value if isinstance(value, StateMissing) else [(p, next(decisions)) for p in value]
            for key, value in outcomes.items()}


@pytest.mark.matrix
@pytest.mark.parametrize(("row", "account"), list(_cases()))
def test_attack_is_stopped(row, account, state, policy_decisions):
    if row.probes is None:
        _missing_on_not_found(lambda: row.check(state, account))
        return
    outcome = policy_decisions[row.id, account]
    if isinstance(outcome, StateMissing):
        raise outcome
    assert outcome, f"{row.id}: nothing to decide in account {account}"
    failures = [f"{probe.label}: {message}" for probe, decision in outcome if (message := probe.expect(decision))]
    assert not failures, f"{row.attempt} gets through ({row.procedure}): " + " | ".join(failures)


def test_every_row_names_a_control_of_the_design_and_a_unique_id():
    assert len({row.id for row in ROWS}) == len(ROWS)
    assert {row.control for row in ROWS} == set(LAYERS)
    assert all(row.id.startswith(row.control + "-") for row in ROWS)
    assert all((row.check is None) != (row.probes is None) for row in ROWS)


# The matrix's own check: rows pass against a closed perimeter and fail when it opens -----------------

EGRESS_IP = "203.0.113.10"
TAGS = [{"Key": "mlperimeter:managed", "Value": "true"}]


def _tags(control):
    return [*TAGS, {"Key": TAG_CONTROL, "Value": control}]


def _document(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _plant_sagemaker_account(aws, account):
    """What M1-M3 leave in an ML account, in the shapes of reference §7, written here independently of the
    collection so that the matrix is shown to pass on a closed perimeter."""
    ec2, iam, resolver = (aws(service, account) for service in ("ec2", "iam", "route53resolver"))
    vpc_id = ec2.create_vpc(CidrBlock="10.40.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": _tags("M1")}])["Vpc"]["VpcId"]
    ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.40.1.0/24", AvailabilityZone=f"{REGION}a")
    table_id = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"][0][
        "RouteTableId"]
    listed_bucket = f"mlperimeter-data-{account}"
    ec2.create_vpc_endpoint(VpcId=vpc_id, ServiceName=f"com.amazonaws.{REGION}.s3", VpcEndpointType="Gateway",
                            RouteTableIds=[table_id], PolicyDocument=_document(
                                {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject",
                                 "Resource": f"arn:aws:s3:::{listed_bucket}/*",
                                 "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}},
                                {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:ListBucket"],
                                 "Resource": "*", "Condition": {"StringEquals": {
                                     "aws:PrincipalOrgID": ORG_ID, "aws:ResourceOrgID": ORG_ID}}}))
    role = iam.create_role(RoleName="data-scientist", AssumeRolePolicyDocument=_document(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}),
        Tags=[{"Key": "mlperimeter:role", "Value": DATA_SCIENTIST}])["Role"]
    perimeter = {
        "M1": _document({
            "Sid": "DenyOutsideExpectedNetworks", "Effect": "Deny", "NotAction": "sts:GetCallerIdentity",
            "Resource": "*", "Condition": {
                "NotIpAddressIfExists": {"aws:SourceIp": [f"{EGRESS_IP}/32"]},
                "StringNotEqualsIfExists": {"aws:SourceVpc": [vpc_id]},
                "BoolIfExists": {"aws:ViaAWSService": "false"}}}),
        "M2": _document(
            {"Sid": "DenyResourcesOutsideTrustedAccounts", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"StringNotEqualsIfExists": {"aws:ResourceAccount": list(ML_ACCOUNTS) + [account]}}},
            {"Sid": "DenySharingAndPerimeterTampering", "Effect": "Deny", "Resource": "*", "Action": [
                "s3:PutBucketPolicy", "kms:PutKeyPolicy", "iam:UpdateAssumeRolePolicy",
                "ec2:ModifySnapshotAttribute", "ec2:ModifyImageAttribute", "rds:ModifyDBSnapshotAttribute",
                "iam:DetachRolePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "ec2:CreateRoute",
                "ec2:AttachInternetGateway", "ec2:DeleteVpcEndpoints", "ec2:ModifyVpcEndpoint",
                "route53resolver:DisassociateFirewallRuleGroup", "route53resolver:UpdateFirewallConfig",
                "route53resolver:UpdateFirewallDomains"]}),
        "M3": _document(
            {"Sid": "DenyOutsideVpc", "Effect": "Deny", "Resource": "*", "Action": [
                "sagemaker:CreateTrainingJob", "sagemaker:CreateNotebookInstance", "sagemaker:CreateDomain"],
             "Condition": {"Null": {"sagemaker:VpcSubnets": "true"}}},
            {"Sid": "DenyDirectInternet", "Effect": "Deny", "Resource": "*",
             "Action": "sagemaker:CreateNotebookInstance",
             "Condition": {"StringEquals": {"sagemaker:DirectInternetAccess": "Enabled"}}},
            {"Sid": "DenyPublicDomains", "Effect": "Deny", "Resource": "*",
             "Action": ["sagemaker:CreateDomain", "sagemaker:UpdateDomain"],
             "Condition": {"StringNotEqualsIfExists": {"sagemaker:AppNetworkAccessType": "VpcOnly"}}}),
    }
    for control, document in perimeter.items():
        arn = iam.create_policy(PolicyName=f"perimeter-{control}", PolicyDocument=document,
                                Tags=_tags(control))["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn=arn)
    lists = {}
    for name, domains in (("approved", ["*.amazonaws.com", "amazonaws.com"]), ("everything", ["*"])):
        lists[name] = resolver.create_firewall_domain_list(Name=name, Tags=TAGS)["FirewallDomainList"]["Id"]
        resolver.update_firewall_domains(FirewallDomainListId=lists[name], Operation="ADD", Domains=domains)
    group_id = resolver.create_firewall_rule_group(Name="egress", Tags=TAGS)["FirewallRuleGroup"]["Id"]
    resolver.create_firewall_rule(FirewallRuleGroupId=group_id, FirewallDomainListId=lists["approved"],
                                  Priority=100, Action="ALLOW", Name="approved")
    resolver.create_firewall_rule(FirewallRuleGroupId=group_id, FirewallDomainListId=lists["everything"],
                                  Priority=200, Action="BLOCK", BlockResponse="NXDOMAIN", Name="everything")
    resolver.associate_firewall_rule_group(FirewallRuleGroupId=group_id, VpcId=vpc_id, Priority=9000,
                                           Name="egress", MutationProtection="ENABLED", Tags=TAGS)
    resolver.update_firewall_config(ResourceId=vpc_id, FirewallFailOpen="DISABLED")
    return {"vpc_id": vpc_id, "table_id": table_id, "group_id": group_id, "lists": lists}


def _plant_access_account(aws, account):
    web = aws("workspaces-web", account)
    portal_arn = web.create_portal(displayName="mlperimeter", tags=TAGS)["portalArn"]
    user_settings = web.create_user_settings(
        copyAllowed="Disabled", pasteAllowed="Disabled", downloadAllowed="Disabled", uploadAllowed="Disabled",
        printAllowed="Disabled")["userSettingsArn"]
    web.associate_user_settings(portalArn=portal_arn, userSettingsArn=user_settings)
    browser_settings = web.create_browser_settings(
        webContentFilteringPolicy={"blockedUrls": ["*"], "allowedUrls": [
            "aws.amazon.com", f".d-ourstudio0001.studio.{REGION}.sagemaker.aws"]},
        browserPolicy=json.dumps({"chromePolicies": {"URLBlocklist": {"value": ["*"]}, "URLAllowlist": {
            "value": ["aws.amazon.com", f".d-ourstudio0001.studio.{REGION}.sagemaker.aws"]}}}),
    )["browserSettingsArn"]
    web.associate_browser_settings(portalArn=portal_arn, browserSettingsArn=browser_settings)
    return {"user_settings": user_settings}


REHEARSED_ML_ROWS = [
    "M1-sagemaker-vpc-internet", "M1-stolen-credentials-internet", "M1-stolen-credentials-foreign-vpc",
    "M2-dns-attacker-domain", "M2-dns-tunnel-txt", "M2-put-foreign-bucket", "M2-bucket-policy",
    "M2-share-ebs-snapshot", "M2-detach-perimeter-policy", "M2-add-internet-route", "M2-delete-endpoint",
    "M2-disassociate-dns-firewall", "M2-edit-dns-domain-list", "M3-put-foreign-bucket-via-endpoint",
    "M3-put-unlisted-org-bucket-via-endpoint", "M3-training-job-outside-vpc", "M3-notebook-direct-internet",
    "M3-create-public-domain",
]
REHEARSED_ACCESS_ROWS = ["A1-download", "A1-upload", "A1-copy", "A1-paste", "A1-print", "A2-non-aws-site",
                         "A2-foreign-studio"]


def _decide_row(row, state, account):
    """A row's verdict for one account, as the matrix reaches it."""
    if row.probes is None:
        row.check(state, account)
        return
    probes = row.probes(state, account)
    decisions = oracle.decide([probe.request for probe in probes])
    failures = [f"{p.label}: {m}" for p, d in zip(probes, decisions, strict=True) if (m := p.expect(d))]
    assert probes and not failures, failures


def _rehearse(emulator):
    """A closed perimeter planted in fresh accounts of the rehearsal's own."""
    access, ml = (f"{random.randrange(10**10, 10**11)}{digit}" for digit in "58")

    def aws(service, account):
        return emulator.client(service, account, region=REGION)

    return {"access": access, "ml": ml, "planted": _plant_sagemaker_account(aws, ml),
            "browser": _plant_access_account(aws, access), "aws": aws,
            "state": lambda: LiveState(emulator, access_account=access)}


@pytest.fixture(scope="module")
def closed_perimeter(emulator):
    return _rehearse(emulator)


ROWS_BY_ID = {row.id: row for row in ROWS}


@pytest.mark.parametrize("row_id", REHEARSED_ML_ROWS + REHEARSED_ACCESS_ROWS)
def test_row_passes_against_a_closed_perimeter(row_id, closed_perimeter):
    row = ROWS_BY_ID[row_id]
    account = closed_perimeter["access"] if row.scope == "access" else closed_perimeter["ml"]
    _decide_row(row, closed_perimeter["state"](), account)


def test_rows_fail_when_the_perimeter_opens(emulator):
    rehearsal = _rehearse(emulator)
    aws, ml, access, planted = rehearsal["aws"], rehearsal["ml"], rehearsal["access"], rehearsal["planted"]
    ec2, resolver, web = aws("ec2", ml), aws("route53resolver", ml), aws("workspaces-web", access)

    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=planted["vpc_id"])
    ec2.create_route(RouteTableId=planted["table_id"], DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    with pytest.raises(AssertionError, match=f"internet gateway {igw} for 0.0.0.0/0"):
        _decide_row(ROWS_BY_ID["M1-sagemaker-vpc-internet"], rehearsal["state"](), ml)

    resolver.update_firewall_rule(FirewallRuleGroupId=planted["group_id"],
                                  FirewallDomainListId=planted["lists"]["everything"], Action="ALERT")
    with pytest.raises(AssertionError, match="staged, not closed"):
        _decide_row(ROWS_BY_ID["M2-dns-attacker-domain"], rehearsal["state"](), ml)

    resolver.update_firewall_domains(FirewallDomainListId=planted["lists"]["approved"], Operation="ADD",
                                     Domains=[f"*.{ATTACKER_DOMAIN}"])
    with pytest.raises(AssertionError, match="ALLOW"):
        _decide_row(ROWS_BY_ID["M2-dns-tunnel-txt"], rehearsal["state"](), ml)

    web.update_user_settings(userSettingsArn=rehearsal["browser"]["user_settings"], downloadAllowed="Enabled")
    with pytest.raises(AssertionError, match="downloadAllowed is 'Enabled'"):
        _decide_row(ROWS_BY_ID["A1-download"], rehearsal["state"](), access)

    iam = aws("iam", ml)
    network = next(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="data-scientist")[
        "AttachedPolicies"] if p["PolicyName"] == "perimeter-M1")
    iam.detach_role_policy(RoleName="data-scientist", PolicyArn=network)
    with pytest.raises(AssertionError, match="not explicitly denied by a mlperimeter:control=M1 policy: Allowed"):
        _decide_row(ROWS_BY_ID["M1-stolen-credentials-internet"], rehearsal["state"](), ml)
