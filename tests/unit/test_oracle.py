"""The policy oracle against decisions that follow directly from IAM's documented evaluation logic."""

import pytest

from support import oracle

ACCOUNT = "222222222222"
OTHER_ORG_ACCOUNT = "333333333333"
OUTSIDER = "999999999999"
ORG = "o-mlperim001"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/data-scientist"
OUTSIDER_ROLE = f"arn:aws:iam::{OUTSIDER}:role/attacker"
BUCKET_OBJECT = "arn:aws:s3:::ml-data/train.csv"
EGRESS_IP = "203.0.113.10"
HOME_IP = "198.51.100.7"
BROWSER_VPC = "vpc-0b0b0b0b0b0b0b0b0"


def _policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


ALLOW_ALL = _policy({"Effect": "Allow", "Action": "*", "Resource": "*"})

DENY_OUTSIDE_EGRESS_IP = _policy({
    "Sid": "DenyOutsideEgressIp", "Effect": "Deny", "Action": "*", "Resource": "*",
    "Condition": {"NotIpAddress": {"aws:SourceIp": [f"{EGRESS_IP}/32"]}},
})

NETWORK_PERIMETER = _policy({
    "Sid": "DenyOutsideExpectedNetworks", "Effect": "Deny", "NotAction": "sts:GetCallerIdentity", "Resource": "*",
    "Condition": {
        "NotIpAddressIfExists": {"aws:SourceIp": [f"{EGRESS_IP}/32"]},
        "StringNotEqualsIfExists": {"aws:SourceVpc": [BROWSER_VPC]},
        "BoolIfExists": {"aws:ViaAWSService": "false"},
    },
})

ORG_ONLY_BUCKET_POLICY = _policy({
    "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ml-data/*",
    "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}},
})

READ_ONLY_ENDPOINT_POLICY = _policy({
    "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
})

ORG_ENDPOINT_POLICY = _policy({
    "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
    "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG, "aws:ResourceOrgID": ORG}},
})

DENY_SHARING_SCP = _policy({
    "Sid": "DenySnapshotSharing", "Effect": "Deny", "Action": "ec2:ModifySnapshotAttribute", "Resource": "*",
})


def _request(action="s3:GetObject", resource=BUCKET_OBJECT, resource_account=ACCOUNT, principal=ROLE, **kwargs):
    return dict(principal=principal, action=action, resource=resource, resource_account=resource_account, **kwargs)


CASES = {
    "identity allow, no condition": (
        _request(identity_policies={"allow": ALLOW_ALL}), oracle.ALLOWED),
    "no statement allows": (
        _request(identity_policies={}), oracle.IMPLICITLY_DENIED),
    "Deny NotIpAddress from another IP": (
        _request(identity_policies={"allow": ALLOW_ALL, "net": DENY_OUTSIDE_EGRESS_IP},
                 context={"aws:SourceIp": HOME_IP}), oracle.EXPLICITLY_DENIED),
    "Deny NotIpAddress from the egress IP": (
        _request(identity_policies={"allow": ALLOW_ALL, "net": DENY_OUTSIDE_EGRESS_IP},
                 context={"aws:SourceIp": EGRESS_IP}), oracle.ALLOWED),
    "Deny NotIpAddress with aws:SourceIp absent (negated operator on a missing key matches)": (
        _request(identity_policies={"allow": ALLOW_ALL, "net": DENY_OUTSIDE_EGRESS_IP},
                 context={"aws:SourceVpc": BROWSER_VPC}), oracle.EXPLICITLY_DENIED),
    "IfExists: from the browser VPC, no aws:SourceIp": (
        _request(identity_policies={"allow": ALLOW_ALL, "net": NETWORK_PERIMETER},
                 context={"aws:SourceVpc": BROWSER_VPC, "aws:ViaAWSService": False}), oracle.ALLOWED),
    "IfExists: from a foreign VPC": (
        _request(identity_policies={"allow": ALLOW_ALL, "net": NETWORK_PERIMETER},
                 context={"aws:SourceVpc": "vpc-0f0f0f0f0f0f0f0f0", "aws:ViaAWSService": False}),
        oracle.EXPLICITLY_DENIED),
    "IfExists: from a home IP": (
        _request(identity_policies={"allow": ALLOW_ALL, "net": NETWORK_PERIMETER},
                 context={"aws:SourceIp": HOME_IP, "aws:ViaAWSService": False}), oracle.EXPLICITLY_DENIED),
    "aws:ViaAWSService true lifts the network deny": (
        _request(identity_policies={"allow": ALLOW_ALL, "net": NETWORK_PERIMETER},
                 context={"aws:SourceIp": "192.0.2.44", "aws:ViaAWSService": True}), oracle.ALLOWED),
    "NotAction: sts:GetCallerIdentity is outside the network deny": (
        _request(action="sts:GetCallerIdentity", resource="*",
                 identity_policies={"allow": ALLOW_ALL, "net": NETWORK_PERIMETER},
                 context={"aws:SourceIp": HOME_IP}), oracle.ALLOWED),
    "aws:PrincipalOrgID bucket policy, principal of the organisation in another account": (
        _request(principal=f"arn:aws:iam::{OTHER_ORG_ACCOUNT}:role/reader", identity_policies={"allow": ALLOW_ALL},
                 resource_policy=ORG_ONLY_BUCKET_POLICY, context={"aws:PrincipalOrgID": ORG}), oracle.ALLOWED),
    "aws:PrincipalOrgID bucket policy, outsider": (
        _request(principal=OUTSIDER_ROLE, identity_policies={"allow": ALLOW_ALL},
                 resource_policy=ORG_ONLY_BUCKET_POLICY, context={"aws:PrincipalOrgID": "o-attacker000"}),
        oracle.IMPLICITLY_DENIED),
    "cross-account without a resource policy": (
        _request(principal=OUTSIDER_ROLE, identity_policies={"allow": ALLOW_ALL}), oracle.IMPLICITLY_DENIED),
    "allow-only endpoint policy, action it lists": (
        _request(identity_policies={"allow": ALLOW_ALL},
                 vpc_endpoint_policies={"vpce-s3": READ_ONLY_ENDPOINT_POLICY}), oracle.ALLOWED),
    "allow-only endpoint policy, action it does not list": (
        _request(action="s3:PutObject", identity_policies={"allow": ALLOW_ALL},
                 vpc_endpoint_policies={"vpce-s3": READ_ONLY_ENDPOINT_POLICY}), oracle.IMPLICITLY_DENIED),
    "organisation endpoint policy, resource of another organisation": (
        _request(action="s3:PutObject", resource="arn:aws:s3:::attacker-drop/x", resource_account=OUTSIDER,
                 identity_policies={"allow": ALLOW_ALL}, resource_policy=_policy({
                     "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}),
                 vpc_endpoint_policies={"vpce-s3": ORG_ENDPOINT_POLICY},
                 context={"aws:PrincipalOrgID": ORG, "aws:ResourceOrgID": "o-attacker000"}),
        oracle.IMPLICITLY_DENIED),
    "organisation endpoint policy, open foreign bucket without the endpoint": (
        _request(action="s3:PutObject", resource="arn:aws:s3:::attacker-drop/x", resource_account=OUTSIDER,
                 identity_policies={"allow": ALLOW_ALL}, resource_policy=_policy({
                     "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}),
                 context={"aws:PrincipalOrgID": ORG, "aws:ResourceOrgID": "o-attacker000"}),
        oracle.ALLOWED),
    "SCP deny": (
        _request(action="ec2:ModifySnapshotAttribute",
                 resource="arn:aws:ec2:eu-west-1::snapshot/snap-0123456789abcdef0",
                 identity_policies={"allow": ALLOW_ALL}, scps={"deny-sharing": DENY_SHARING_SCP}),
        oracle.EXPLICITLY_DENIED),
    "SCP deny of another action leaves FullAWSAccess in force": (
        _request(identity_policies={"allow": ALLOW_ALL}, scps={"deny-sharing": DENY_SHARING_SCP}), oracle.ALLOWED),
}


@pytest.fixture(scope="module")
def decisions():
    """Every case in one Node start, keyed by case name."""
    names = list(CASES)
    answers = oracle.decide([oracle.request(**CASES[name][0]) for name in names])
    return dict(zip(names, answers, strict=True))


@pytest.mark.parametrize("case", list(CASES))
def test_known_decisions(case, decisions):
    expected = CASES[case][1]
    assert decisions[case].decision == expected, decisions[case].explain()


def test_explicit_deny_names_the_policy_and_statement(decisions):
    decision = decisions["Deny NotIpAddress from another IP"]
    assert decision.denied_by("identity", "net") == [{
        "policyType": "identity", "policyIdentifier": "net", "statementId": "DenyOutsideEgressIp",
        "statementIndex": 1, "denialType": "Explicit",
    }]
    assert "DenyOutsideEgressIp" in decision.explain()


def test_endpoint_policy_denial_is_attributed_to_the_endpoint(decisions):
    decision = decisions["allow-only endpoint policy, action it does not list"]
    assert decision.blocked_by == ("vpce",)
    assert decision.denied_by("vpce")


def test_scp_denial_is_attributed_to_the_scp(decisions):
    assert decisions["SCP deny"].denied_by("scp", "deny-sharing")


def test_decide_one_matches_the_batch(decisions):
    case = "IfExists: from a home IP"
    assert oracle.decide_one(**CASES[case][0]).decision == decisions[case].decision


def test_an_unknown_action_is_an_error_not_a_denial():
    with pytest.raises(oracle.OracleError, match="s3:ExfiltrateEverything"):
        oracle.decide_one(**_request(action="s3:ExfiltrateEverything", identity_policies={"allow": ALLOW_ALL}))


def test_an_empty_batch_starts_no_process():
    assert oracle.decide([]) == []
