"""The collection's policy evaluator, rule by rule: condition operators, set operators and missing keys,
policy variables, Action/Resource/Principal matching, how the policy types combine, the decision's
explanation, and malformed input. The oracle holds it over thousands of requests in
test_policy_evaluation_oracle.py; these cases need no Node.js."""

import pytest
from ansible_collections.mlperimeter.aws.plugins.module_utils.policy_evaluation import (
    ALLOWED,
    EXPLICITLY_DENIED,
    IMPLICITLY_DENIED,
    PolicyError,
    evaluate,
)

ACCOUNT, OTHER = "222222222222", "999999999999"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/data-scientist"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/data-scientist/alice"
OUTSIDER = f"arn:aws:iam::{OTHER}:role/attacker"
OBJECT = "arn:aws:s3:::ml-data/train/a.csv"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allowed_when(condition, context, action="s3:GetObject", resource=OBJECT):
    """The decision for an Allow statement carrying ``condition``."""
    return evaluate(principal=ROLE, action=action, resource=resource, resource_account=ACCOUNT, context=context,
                    identity_policies={"p": _policy({"Effect": "Allow", "Action": "*", "Resource": "*",
                                                     "Condition": condition})}).decision


def _matches(condition, context):
    return _allowed_when(condition, context) == ALLOWED


# (condition, context, whether it matches)
CONDITIONS = {
    "StringEquals, equal": ({"StringEquals": {"aws:PrincipalTag/team": "ml"}}, {"aws:PrincipalTag/team": "ml"}, True),
    "StringEquals is case-sensitive": ({"StringEquals": {"aws:PrincipalTag/team": "ml"}},
                                       {"aws:PrincipalTag/team": "ML"}, False),
    "StringEquals takes * literally": ({"StringEquals": {"aws:PrincipalTag/team": "m*"}},
                                       {"aws:PrincipalTag/team": "ml"}, False),
    "values of one key are ORed": ({"StringEquals": {"aws:PrincipalTag/team": ["ops", "ml"]}},
                                   {"aws:PrincipalTag/team": "ml"}, True),
    "keys of one operator are ANDed": ({"StringEquals": {"aws:PrincipalTag/team": "ml",
                                                         "aws:RequestedRegion": "eu-west-1"}},
                                       {"aws:PrincipalTag/team": "ml", "aws:RequestedRegion": "us-east-1"}, False),
    "operators are ANDed": ({"StringEquals": {"aws:PrincipalTag/team": "ml"},
                             "Bool": {"aws:SecureTransport": "true"}},
                            {"aws:PrincipalTag/team": "ml", "aws:SecureTransport": False}, False),
    "context keys are case-insensitive": ({"StringEquals": {"AWS:principaltag/Team": "ml"}},
                                          {"aws:PrincipalTag/team": "ml"}, True),
    "StringNotEquals, every value differs": ({"StringNotEquals": {"aws:SourceVpc": ["vpc-1", "vpc-2"]}},
                                             {"aws:SourceVpc": "vpc-3"}, True),
    "StringNotEquals, one value equal": ({"StringNotEquals": {"aws:SourceVpc": ["vpc-1", "vpc-2"]}},
                                         {"aws:SourceVpc": "vpc-2"}, False),
    "StringNotEquals on a missing key matches": ({"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}, {}, True),
    "StringEquals on a missing key does not": ({"StringEquals": {"aws:SourceVpc": "vpc-1"}}, {}, False),
    "StringEqualsIfExists on a missing key matches": ({"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}}, {},
                                                      True),
    "StringEqualsIfExists on a present key compares": ({"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}},
                                                       {"aws:SourceVpc": "vpc-2"}, False),
    "StringEqualsIgnoreCase": ({"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "ML"}},
                               {"aws:PrincipalTag/team": "mL"}, True),
    "StringNotEqualsIgnoreCase": ({"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": "ML"}},
                                  {"aws:PrincipalTag/team": "ml"}, False),
    "StringLike with *": ({"StringLike": {"aws:PrincipalTag/team": "ml*"}}, {"aws:PrincipalTag/team": "mlops"}, True),
    "StringLike with ?": ({"StringLike": {"aws:PrincipalTag/team": "d?ta"}}, {"aws:PrincipalTag/team": "dota"}, True),
    "StringLike anchors the whole value": ({"StringLike": {"aws:PrincipalTag/team": "ml"}},
                                           {"aws:PrincipalTag/team": "mlops"}, False),
    "StringNotLike": ({"StringNotLike": {"aws:PrincipalTag/team": ["ml*", "ops*"]}},
                      {"aws:PrincipalTag/team": "data"}, True),
    "ArnLike with wildcards in segments": ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/aws:ec2-*"}},
                                           {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/aws:ec2-infrastructure"},
                                           True),
    "ArnEquals, another account": ({"ArnEquals": {"aws:PrincipalArn": ROLE}}, {"aws:PrincipalArn": OUTSIDER}, False),
    "ArnNotLike": ({"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/break-glass"]}},
                   {"aws:PrincipalArn": ROLE}, True),
    "ArnNotEquals on a value that is no ARN": ({"ArnNotEquals": {"aws:PrincipalArn": ROLE}},
                                               {"aws:PrincipalArn": "not-an-arn"}, False),
    "ArnNotLikeIfExists on a missing key": ({"ArnNotLikeIfExists": {"aws:PrincipalArn": ROLE}}, {}, True),
    "IpAddress in a v4 CIDR": ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.9"},
                               True),
    "IpAddress outside": ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.9"}, False),
    "IpAddress in a v6 CIDR": ({"IpAddress": {"aws:SourceIp": "2001:db8:aa::/48"}},
                               {"aws:SourceIp": "2001:db8:aa:3::1"}, True),
    "IpAddress, a single address": ({"IpAddress": {"aws:SourceIp": "198.51.100.7"}}, {"aws:SourceIp": "198.51.100.7"},
                                    True),
    "NotIpAddress, a v6 address against v4 CIDRs": ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
                                                    {"aws:SourceIp": "2001:db8::1"}, True),
    "NotIpAddress inside": ({"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8:aa::/48"]}},
                            {"aws:SourceIp": "2001:db8:aa::5"}, False),
    "NotIpAddress on a missing key matches": ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {}, True),
    "IpAddress on a value that is no address": ({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
                                                {"aws:SourceIp": "somewhere"}, False),
    "Bool, context given as a bool": ({"Bool": {"aws:ViaAWSService": "true"}}, {"aws:ViaAWSService": True}, True),
    "Bool is case-insensitive": ({"Bool": {"aws:SecureTransport": "TRUE"}}, {"aws:SecureTransport": "true"}, True),
    "Bool, policy value as a JSON boolean": ({"Bool": {"aws:SecureTransport": False}},
                                             {"aws:SecureTransport": False}, True),
    "BoolIfExists on a missing key": ({"BoolIfExists": {"aws:ViaAWSService": "false"}}, {}, True),
    "Null true, key missing": ({"Null": {"sagemaker:VpcSubnets": "true"}}, {}, True),
    "Null true, key present": ({"Null": {"aws:ResourceAccount": "true"}}, {"aws:ResourceAccount": ACCOUNT}, False),
    "Null false, key present": ({"Null": {"aws:ResourceAccount": "false"}}, {"aws:ResourceAccount": ACCOUNT}, True),
    "NumericLessThan": ({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, {"aws:MultiFactorAuthAge": "60"},
                        True),
    "NumericGreaterThanEquals": ({"NumericGreaterThanEquals": {"aws:MultiFactorAuthAge": "3600"}},
                                 {"aws:MultiFactorAuthAge": "3600"}, True),
    "NumericEquals with decimals": ({"NumericEquals": {"aws:MultiFactorAuthAge": "0.5"}},
                                    {"aws:MultiFactorAuthAge": "0.50"}, True),
    "NumericNotEquals on a value that is no number": ({"NumericNotEquals": {"aws:MultiFactorAuthAge": "1"}},
                                                      {"aws:MultiFactorAuthAge": "abc"}, False),
    "NumericLessThanIfExists on a missing key": ({"NumericLessThanIfExists": {"aws:MultiFactorAuthAge": "1"}}, {},
                                                 True),
    "DateLessThan": ({"DateLessThan": {"aws:CurrentTime": "2025-06-01T00:00:00Z"}},
                     {"aws:CurrentTime": "2025-05-31T23:59:59Z"}, True),
    "DateGreaterThan with a date alone": ({"DateGreaterThan": {"aws:CurrentTime": "2025-06-01"}},
                                          {"aws:CurrentTime": "2025-06-01T00:00:01Z"}, True),
    "DateEquals, epoch seconds against ISO": ({"DateEquals": {"aws:CurrentTime": "1748736000"}},
                                              {"aws:CurrentTime": "2025-06-01T00:00:00Z"}, True),
    "DateNotEquals": ({"DateNotEquals": {"aws:EpochTime": "1748736000"}}, {"aws:EpochTime": "1748736000"}, False),
    "ForAnyValue, one value in the set": ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "owner"]}},
                                          {"aws:TagKeys": ["cost", "owner"]}, True),
    "ForAnyValue, none in the set": ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}},
                                     {"aws:TagKeys": ["cost"]}, False),
    "ForAnyValue on a missing key": ({"ForAnyValue:StringLike": {"aws:TagKeys": ["*"]}}, {}, False),
    "ForAnyValue...IfExists on a missing key is still false": (
        {"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "team"}}, {}, False),
    "ForAllValues, every value in the set": ({"ForAllValues:StringLike": {"aws:TagKeys": ["team", "cost*"]}},
                                             {"aws:TagKeys": ["team", "cost-centre"]}, True),
    "ForAllValues, one value outside": ({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}},
                                        {"aws:TagKeys": ["team", "owner"]}, False),
    "ForAllValues on a missing key": ({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, {}, True),
    "ForAllValues on an empty set": ({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, {"aws:TagKeys": []},
                                     True),
    "ForAllValues:StringNotEquals, direct calls (no aws:CalledVia)": (
        {"ForAllValues:StringNotEquals": {"aws:CalledVia": ["athena.amazonaws.com"]}}, {}, True),
    "a single-valued operator never matches a multivalued key": (
        {"StringEquals": {"aws:TagKeys": "team"}}, {"aws:TagKeys": ["team"]}, False),
    "a documented multivalued key given one value is a set of one": (
        {"StringNotEquals": {"aws:CalledVia": "athena.amazonaws.com"}}, {"aws:CalledVia": "glue.amazonaws.com"},
        False),
    "ForAnyValue on a single-valued key": ({"ForAnyValue:StringEquals": {"aws:PrincipalTag/team": "ml"}},
                                           {"aws:PrincipalTag/team": "ml"}, True),
    "a policy variable in a condition value": ({"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}},
                                               {"aws:ResourceAccount": ACCOUNT, "aws:PrincipalAccount": ACCOUNT}, True),
    "an unresolvable variable matches nothing, negated or not": (
        {"StringNotEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}, {"aws:ResourceAccount": ACCOUNT},
        False),
    "a variable's default value": ({"StringEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/dept, 'ml'}"}},
                                   {"aws:PrincipalTag/team": "ml"}, True),
    "${*} is a literal *": ({"StringLike": {"aws:PrincipalTag/team": "a${*}"}}, {"aws:PrincipalTag/team": "a*"}, True),
}


@pytest.mark.parametrize("case", list(CONDITIONS))
def test_condition(case):
    condition, context, matches = CONDITIONS[case]
    assert _matches(condition, context) is matches


ACTIONS = [
    ("s3:GetObject", "s3:GetObject", True), ("S3:getobject", "s3:GetObject", True), ("s3:Get*", "s3:GetObject", True),
    ("s3:?etObject", "s3:GetObject", True), ("s3:*Object", "s3:ListBucket", False), ("ec2:*", "s3:GetObject", False),
    ("*", "sagemaker:CreateDomain", True),
]


@pytest.mark.parametrize(("pattern", "action", "matches"), ACTIONS)
def test_action_and_not_action(pattern, action, matches):
    for key, expected in (("Action", matches), ("NotAction", not matches)):
        decision = evaluate(principal=ROLE, action=action, resource="*" if action.startswith("sagemaker") else OBJECT,
                            resource_account=ACCOUNT,
                            identity_policies={"p": _policy({"Effect": "Allow", key: pattern, "Resource": "*"})})
        assert (decision.decision == ALLOWED) is expected, (key, pattern, action)


RESOURCES = [
    ("*", OBJECT, {}, True),
    ("arn:aws:s3:::ml-data/*", OBJECT, {}, True),
    ("arn:aws:s3:::ml-data/*", "arn:aws:s3:::ml-data", {}, False),
    ("arn:aws:s3:::ML-DATA/*", OBJECT, {}, False),
    ("arn:aws:s3:::ml-data/train/?.csv", OBJECT, {}, True),
    ("arn:aws:s3:::ml-*", OBJECT, {}, True),
    ("arn:aws:sagemaker:*:222222222222:domain/*", f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:domain/d-1", {}, True),
    ("arn:aws:sagemaker:*:222222222222:domain/*", f"arn:aws:sagemaker:eu-west-1:{OTHER}:domain/d-1", {}, False),
    ("arn:aws:sagemaker:EU-WEST-1:*:domain/*", f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:domain/d-1", {}, True),
    ("arn:aws:iam::*:role/aws:ec2-infrastructure", f"arn:aws:iam::{ACCOUNT}:role/aws:ec2-infrastructure", {}, True),
    ("arn:aws:s3:::ml-data/${aws:username}/*", "arn:aws:s3:::ml-data/alice/a.csv", {"aws:username": "alice"}, True),
    ("arn:aws:s3:::ml-data/${aws:username}/*", "arn:aws:s3:::ml-data/bob/a.csv", {"aws:username": "alice"}, False),
    ("arn:aws:s3:::ml-data/${aws:username}/*", "arn:aws:s3:::ml-data/alice/a.csv", {}, False),
]


@pytest.mark.parametrize(("pattern", "resource", "context", "matches"), RESOURCES)
def test_resource(pattern, resource, context, matches):
    action = "sagemaker:DescribeDomain" if ":sagemaker:" in resource else (
        "iam:GetRole" if ":iam:" in resource else "s3:GetObject")
    decision = evaluate(principal=ROLE, action=action, resource=resource, resource_account=ACCOUNT, context=context,
                        identity_policies={"p": _policy({"Effect": "Allow", "Action": "*", "Resource": pattern})})
    assert (decision.decision == ALLOWED) is matches


def test_not_resource_with_an_unresolvable_variable_does_not_apply():
    deny = _policy({"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:s3:::${aws:PrincipalTag/bucket}/*"})
    decide = lambda context: evaluate(  # noqa: E731
        principal=ROLE, action="s3:GetObject", resource=OBJECT, resource_account=ACCOUNT, context=context,
        identity_policies={"allow-all": ALLOW_ALL, "deny": deny}).decision
    assert decide({"aws:PrincipalTag/bucket": "ml-data"}) == ALLOWED
    assert decide({"aws:PrincipalTag/bucket": "other"}) == EXPLICITLY_DENIED
    assert decide({}) == ALLOWED


def _bucket_policy(principal, effect="Allow", key="Principal"):
    return _policy({"Effect": effect, key: principal, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ml-data/*"})


# (caller, Principal element, identity allows, decision) for a resource policy of account ACCOUNT
PRINCIPALS = [
    (ROLE, "*", False, ALLOWED),
    (ROLE, {"AWS": ROLE}, False, ALLOWED),
    (SESSION, {"AWS": ROLE}, False, ALLOWED),
    (SESSION, {"AWS": f"arn:aws:iam::{ACCOUNT}:role/Data-Scientist"}, False, ALLOWED),
    (ROLE, {"AWS": ACCOUNT}, False, IMPLICITLY_DENIED),
    (ROLE, {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, True, ALLOWED),
    (OUTSIDER, {"AWS": OUTSIDER}, False, IMPLICITLY_DENIED),
    (OUTSIDER, {"AWS": OUTSIDER}, True, ALLOWED),
    (OUTSIDER, {"AWS": OTHER}, True, ALLOWED),
    (OUTSIDER, {"AWS": ROLE}, True, IMPLICITLY_DENIED),
    (OUTSIDER, "*", False, IMPLICITLY_DENIED),
    ("sagemaker.amazonaws.com", {"Service": "sagemaker.amazonaws.com"}, False, ALLOWED),
    ("sagemaker.amazonaws.com", "*", False, ALLOWED),
    ("sagemaker.amazonaws.com", {"Service": "glue.amazonaws.com"}, False, IMPLICITLY_DENIED),
    (ROLE, {"AWS": "AROAEXAMPLEUNIQUEID1"}, False, IMPLICITLY_DENIED),
]


@pytest.mark.parametrize(("caller", "principal", "identity_allows", "decision"), PRINCIPALS)
def test_resource_policy_principal(caller, principal, identity_allows, decision):
    identity = {"allow-all": ALLOW_ALL} if identity_allows else {}
    assert evaluate(principal=caller, action="s3:GetObject", resource=OBJECT, resource_account=ACCOUNT,
                    identity_policies=identity, resource_policy=_bucket_policy(principal)).decision == decision


def test_not_principal_deny_spares_only_who_it_names():
    policy = _policy(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ml-data/*"},
        {"Sid": "OnlyTheRole", "Effect": "Deny", "NotPrincipal": {"AWS": ROLE}, "Action": "*",
         "Resource": "arn:aws:s3:::ml-data/*"})
    assert evaluate(principal=ROLE, action="s3:GetObject", resource=OBJECT, resource_account=ACCOUNT,
                    resource_policy=policy).decision == ALLOWED
    other = evaluate(principal=f"arn:aws:iam::{ACCOUNT}:role/auditor", action="s3:GetObject", resource=OBJECT,
                     resource_account=ACCOUNT, resource_policy=policy)
    assert other.decision == EXPLICITLY_DENIED
    assert other.denied_by("resource") == [
        {"policy_type": "resource", "policy": None, "statement": "OnlyTheRole", "kind": "explicit"}]
    # A NotPrincipal Deny always denies a principal that has a permissions boundary.
    assert evaluate(principal=ROLE, action="s3:GetObject", resource=OBJECT, resource_account=ACCOUNT,
                    resource_policy=policy, permission_boundaries={"b": ALLOW_ALL}).decision == EXPLICITLY_DENIED


def _request(**kwargs):
    base = {"principal": ROLE, "action": "s3:PutObject", "resource": OBJECT, "resource_account": ACCOUNT,
            "identity_policies": {"allow-all": ALLOW_ALL}}
    return evaluate(**{**base, **kwargs})


def test_explicit_deny_anywhere_wins_and_is_named():
    deny = _policy({"Sid": "NoPut", "Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"})
    decision = _request(identity_policies={"allow-all": ALLOW_ALL, "no-put": deny},
                        resource_policy=_bucket_policy("*"))
    assert decision.decision == EXPLICITLY_DENIED
    assert decision.denied_by("identity", "no-put") == [
        {"policy_type": "identity", "policy": "no-put", "statement": "NoPut", "kind": "explicit"}]
    assert decision.explain() == "ExplicitlyDenied; explicit deny by identity no-put NoPut"
    assert not decision.allowed


def test_scps_must_allow_and_fullawsaccess_sits_beside_them():
    deny = _policy({"Sid": "NoPut", "Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"})
    assert _request(scps={"no-put": deny}).denied_by("scp", "no-put")
    assert _request(action="s3:GetObject", scps={"no-put": deny}).decision == ALLOWED
    # Without the SCP's allow, FullAWSAccess still allows: AWS attaches it to every node.
    allow_list = _policy({"Effect": "Allow", "Action": "ec2:*", "Resource": "*"})
    assert _request(scps={"only-ec2": allow_list}).decision == ALLOWED
    assert _request(scps={}).decision == ALLOWED


def test_rcps_only_deny():
    rcp = _policy({"Sid": "NoOutsiders", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                   "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-mlperim001"}}})
    inside = _request(rcps={"rcp": rcp}, context={"aws:PrincipalOrgID": "o-mlperim001"})
    assert inside.decision == ALLOWED
    outsider = evaluate(principal=OUTSIDER, action="s3:PutObject", resource=OBJECT, resource_account=ACCOUNT,
                        identity_policies={"allow-all": ALLOW_ALL},
                        resource_policy=_policy({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}),
                        rcps={"rcp": rcp}, context={"aws:PrincipalOrgID": "o-attacker0001"})
    assert outsider.denied_by("rcp", "rcp")[0]["statement"] == "NoOutsiders"


def test_endpoint_policies_must_allow_and_name_the_principal():
    read_only = _policy({"Effect": "Allow", "Principal": "*", "Action": "s3:Get*", "Resource": "*"})
    assert _request(action="s3:GetObject", vpc_endpoint_policies={"vpce": read_only}).decision == ALLOWED
    put = _request(vpc_endpoint_policies={"vpce": read_only})
    assert put.decision == IMPLICITLY_DENIED
    assert put.denied_by("vpce") == [{"policy_type": "vpce", "policy": None, "statement": None, "kind": "implicit"}]
    someone_else = _policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/auditor"},
                            "Action": "*", "Resource": "*"})
    assert _request(vpc_endpoint_policies={"vpce": someone_else}).decision == IMPLICITLY_DENIED
    account = _policy({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "*", "Resource": "*"})
    assert _request(vpc_endpoint_policies={"vpce": account}).decision == ALLOWED


def test_permission_boundaries_must_allow():
    only_ec2 = _policy({"Effect": "Allow", "Action": "ec2:*", "Resource": "*"})
    assert _request(permission_boundaries={"b": only_ec2}).denied_by("pb")
    assert _request(permission_boundaries={"b": ALLOW_ALL}).decision == ALLOWED
    # A same-account resource policy naming the session itself allows past the boundary.
    session_policy = _policy({"Effect": "Allow", "Principal": {"AWS": SESSION}, "Action": "*", "Resource": "*"})
    assert _request(principal=SESSION, identity_policies={}, permission_boundaries={"b": only_ec2},
                    resource_policy=session_policy).decision == ALLOWED


def test_same_account_either_policy_allows_cross_account_both_must():
    assert _request(identity_policies={}, resource_policy=_bucket_policy("*")).decision == IMPLICITLY_DENIED
    assert _request(action="s3:GetObject", identity_policies={},
                    resource_policy=_bucket_policy("*")).decision == ALLOWED
    assert _request(action="s3:GetObject").decision == ALLOWED
    cross = {"principal": OUTSIDER, "action": "s3:GetObject"}
    assert _request(**cross).decision == IMPLICITLY_DENIED
    assert _request(**cross, identity_policies={}, resource_policy=_bucket_policy("*")).decision == IMPLICITLY_DENIED
    assert _request(**cross, resource_policy=_bucket_policy("*")).decision == ALLOWED


def test_kms_keys_and_role_trust_need_their_resource_policy():
    key = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/0f0e0d0c-0b0a-4909-8807-060504030201"
    assert _request(action="kms:Decrypt", resource=key).decision == IMPLICITLY_DENIED
    key_policy = _policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
                          "Resource": "*"})
    assert _request(action="kms:Decrypt", resource=key, resource_policy=key_policy).decision == ALLOWED
    role = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-execution"
    trusts_sagemaker = _policy({"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                                "Action": "sts:AssumeRole"})
    assert _request(action="sts:AssumeRole", resource=role).decision == ALLOWED
    assert _request(action="sts:AssumeRole", resource=role,
                    resource_policy=trusts_sagemaker).decision == IMPLICITLY_DENIED


def test_sts_get_caller_identity_is_always_answered():
    deny = _policy({"Effect": "Deny", "Action": "*", "Resource": "*"})
    assert _request(action="sts:GetCallerIdentity", resource="*", identity_policies={"deny": deny}).allowed


def test_service_linked_roles_and_service_principals_escape_scps():
    deny = _policy({"Effect": "Deny", "Action": "*", "Resource": "*"})
    linked = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/sagemaker.amazonaws.com/AWSServiceRoleForAmazonSageMaker"
    assert _request(principal=linked, scps={"deny": deny}).decision == ALLOWED
    assert _request(principal=SESSION, scps={"deny": deny}).decision == EXPLICITLY_DENIED
    assert _request(principal="sagemaker.amazonaws.com", action="s3:GetObject", identity_policies={},
                    resource_policy=_bucket_policy("*"), scps={"deny": deny}).decision == ALLOWED


def test_grants_name_the_allowing_statements():
    decision = _request(action="s3:GetObject", scps={"x": _policy({"Effect": "Deny", "Action": "ec2:*",
                                                                       "Resource": "*"})})
    assert {(g["policy_type"], g["policy"]) for g in decision.grants} == {
        ("identity", "allow-all"), ("scp", "FullAWSAccess")}
    assert decision.explain() == "Allowed; allowed by identity allow-all 1; allowed by scp FullAWSAccess 1"


def test_policy_documents_as_json_text():
    assert _request(identity_policies={"p": '{"Statement": {"Effect": "Allow", "Action": "s3:*", '
                                            '"Resource": "*"}}'}).decision == ALLOWED


BAD_INPUT = {
    "an action without a service": ({"action": "PutObject"}, "action: 'PutObject'"),
    "a principal that is nobody": ({"principal": "alice"}, "principal: 'alice'"),
    "a resource that is no ARN": ({"resource": "ml-data/train.csv"}, "resource: 'ml-data/train.csv'"),
    "policies not given by name": ({"identity_policies": [ALLOW_ALL]}, "identity_policies: expected"),
    "a policy that is no JSON": ({"identity_policies": {"p": "{not json"}}, "identity policy 'p': not a JSON"),
    "an unknown Effect": ({"identity_policies": {"p": _policy({"Effect": "allow", "Action": "*", "Resource": "*"})}},
                          "Effect 'allow'"),
    "an unknown operator": ({"identity_policies": {"p": _policy({
        "Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEqual": {"aws:x": "y"}}})}},
        "'StringEqual' is not a condition operator"),
    "an unknown set operator": ({"identity_policies": {"p": _policy({
        "Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {"ForSomeValues:StringEquals": {"a:b": "c"}}})}},
        "unknown set operator 'ForSomeValues'"),
    "Action and NotAction": ({"identity_policies": {"p": _policy({
        "Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"})}}, "exactly one of Action"),
    "a Resource that is no ARN": ({"identity_policies": {"p": _policy({
        "Effect": "Allow", "Action": "*", "Resource": "bucket"})}}, "'bucket' is neither"),
    "a Principal in an identity policy": ({"identity_policies": {"p": _policy({
        "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})}}, "names no Principal"),
    "a resource policy without Principal": ({"resource_policy": ALLOW_ALL}, "needs a Principal"),
    "an RCP on every action": ({"rcps": {"r": _policy({
        "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"})}}, "never \"*\""),
    "a context value that is an object": ({"context": {"aws:SourceIp": {"ip": "1.2.3.4"}}}, "context.aws:SourceIp"),
    "an anonymous request with identity policies": ({"principal": {"type": "Anonymous"}}, "anonymous"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_malformed_input_is_refused_naming_what_is_wrong(case):
    overrides, message = BAD_INPUT[case]
    with pytest.raises(PolicyError) as raised:
        _request(**overrides)
    assert message in str(raised.value)


def test_anonymous_requests_need_a_resource_policy_open_to_everyone():
    anonymous = {"principal": {"type": "Anonymous"}, "identity_policies": None, "action": "s3:GetObject"}
    assert _request(**anonymous, resource_policy=_bucket_policy("*")).decision == ALLOWED
    assert _request(**anonymous, resource_policy=_bucket_policy({"AWS": ACCOUNT})).decision == IMPLICITLY_DENIED
    assert _request(**anonymous).decision == IMPLICITLY_DENIED
