"""Console and sign-in endpoint policies (A2): requests decided by the independent oracle, bad input, layout."""

import json

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.mlperimeter.aws.plugins.filter import endpoint_policies
from ansible_collections.mlperimeter.aws.plugins.filter.endpoint_policies import (
    console_endpoint_policy,
    signin_endpoint_policy,
)

from support import oracle

COMPANY = "111111111111"
ML_ACCOUNT = "222222222222"
ATTACKER = "999999999999"
REGION = "eu-west-1"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
CONSOLE = "arn:aws:signin:::console/canvas"
OAUTH_CLIENT = f"arn:aws:signin:{REGION}:{{account}}:oauth2/public-client/localhost"
USER_PROFILE = f"arn:aws:sagemaker:{REGION}:{{account}}:user-profile/d-abc123/alice"

CONSOLE_POLICY = json.loads(console_endpoint_policy([ML_ACCOUNT, COMPANY]))
SIGNIN_POLICY = json.loads(signin_endpoint_policy([ML_ACCOUNT, COMPANY]))


def _request(policy, account, action, resource, *, authenticated=True):
    """A request through the endpoint by a principal of ``account`` to ``account``'s resource.

    Before authentication the sign-in service knows the account signed in to, not the principal:
    only ``aws:ResourceAccount`` is in the context.
    """
    context = {"aws:ResourceAccount": account}
    if authenticated:
        context.update({"aws:PrincipalAccount": account, "aws:PrincipalArn": f"arn:aws:iam::{account}:role/admin"})
    return oracle.request(
        principal=f"arn:aws:iam::{account}:role/admin", action=action, resource=resource.format(account=account),
        resource_account=account, identity_policies={"allow-all": ALLOW_ALL},
        vpc_endpoint_policies={"endpoint": policy}, context=context,
    )


CASES = {
    # Console endpoint: principal keys.
    "console: company principal signs in to the console": (
        _request(CONSOLE_POLICY, COMPANY, "signin:Authenticate", CONSOLE), oracle.ALLOWED),
    "console: ML account principal opens SageMaker Studio": (
        _request(CONSOLE_POLICY, ML_ACCOUNT, "sagemaker:CreatePresignedDomainUrl", USER_PROFILE), oracle.ALLOWED),
    "console: attacker principal signs in to the console": (
        _request(CONSOLE_POLICY, ATTACKER, "signin:Authenticate", CONSOLE), oracle.IMPLICITLY_DENIED),
    "console: attacker principal opens their own SageMaker Studio": (
        _request(CONSOLE_POLICY, ATTACKER, "sagemaker:CreatePresignedDomainUrl", USER_PROFILE),
        oracle.IMPLICITLY_DENIED),
    "console: request with no principal known": (
        _request(CONSOLE_POLICY, COMPANY, "signin:Authenticate", CONSOLE, authenticated=False),
        oracle.IMPLICITLY_DENIED),
    # Sign-in endpoint, pre-authentication: resource keys only.
    "sign-in: authenticating to a company account": (
        _request(SIGNIN_POLICY, COMPANY, "signin:Authenticate", CONSOLE, authenticated=False), oracle.ALLOWED),
    "sign-in: authenticating to an ML account": (
        _request(SIGNIN_POLICY, ML_ACCOUNT, "signin:Authenticate", CONSOLE, authenticated=False), oracle.ALLOWED),
    "sign-in: authenticating to the attacker's account": (
        _request(SIGNIN_POLICY, ATTACKER, "signin:Authenticate", CONSOLE, authenticated=False),
        oracle.IMPLICITLY_DENIED),
    "sign-in: registering an OAuth public client (no account to check)": (
        _request(SIGNIN_POLICY, COMPANY, "signin:CreateOAuth2PublicClient",
                 f"arn:aws:signin:{REGION}::external-client/dcr/*", authenticated=False),
        oracle.IMPLICITLY_DENIED),
    "sign-in: signing up for a new account": (
        _request(SIGNIN_POLICY, ATTACKER, "signin:CreateAccount", CONSOLE, authenticated=False),
        oracle.IMPLICITLY_DENIED),
    # Sign-in endpoint, post-authentication: principal keys.
    "sign-in: company principal authorises OAuth access": (
        _request(SIGNIN_POLICY, COMPANY, "signin:AuthorizeOAuth2Access", OAUTH_CLIENT), oracle.ALLOWED),
    "sign-in: company principal gets an OAuth token": (
        _request(SIGNIN_POLICY, COMPANY, "signin:CreateOAuth2Token", OAUTH_CLIENT), oracle.ALLOWED),
    "sign-in: attacker principal authorises OAuth access": (
        _request(SIGNIN_POLICY, ATTACKER, "signin:AuthorizeOAuth2Access", OAUTH_CLIENT), oracle.IMPLICITLY_DENIED),
    "sign-in: attacker principal gets an OAuth token": (
        _request(SIGNIN_POLICY, ATTACKER, "signin:CreateOAuth2Token", OAUTH_CLIENT), oracle.IMPLICITLY_DENIED),
}


@pytest.fixture(scope="module")
def decisions():
    return dict(zip(CASES, oracle.decide(request for request, _ in CASES.values()), strict=True))


@pytest.mark.parametrize("case", list(CASES))
def test_oracle_decides_requests_through_the_endpoints(decisions, case):
    expected = CASES[case][1]
    assert decisions[case].decision == expected, decisions[case].explain()


@pytest.mark.parametrize("render", [console_endpoint_policy, signin_endpoint_policy])
def test_deterministic_sorted_and_minified(render):
    text = render([COMPANY, ML_ACCOUNT, COMPANY])
    assert text == render((ML_ACCOUNT, COMPANY))
    assert text == json.dumps(json.loads(text), separators=(",", ":"))
    for statement in json.loads(text)["Statement"]:
        for values in statement["Condition"]["StringEquals"].values():
            assert values == [COMPANY, ML_ACCOUNT]


@pytest.mark.parametrize("render", [console_endpoint_policy, signin_endpoint_policy])
@pytest.mark.parametrize(("account_ids", "named"), [
    (["11111111111"], "'11111111111'"),
    (["1111111111111"], "'1111111111111'"),
    ([COMPANY, "12345678901a"], "'12345678901a'"),
    ([111111111111], "111111111111"),
    ([" 111111111111"], "' 111111111111'"),
    (COMPANY, repr(COMPANY)),
    (None, "None"),
])
def test_bad_account_ids_are_refused_naming_the_value(render, account_ids, named):
    with pytest.raises(AnsibleFilterError, match="account_ids") as raised:
        render(account_ids)
    assert named in str(raised.value)


@pytest.mark.parametrize("render", [console_endpoint_policy, signin_endpoint_policy])
def test_no_account_is_refused(render):
    with pytest.raises(AnsibleFilterError, match="empty"):
        render([])


def test_too_many_accounts_for_an_endpoint_policy_are_refused():
    accounts = [f"{n:012d}" for n in range(1000)]
    with pytest.raises(AnsibleFilterError, match="20480"):
        signin_endpoint_policy(accounts)


def test_filters_are_registered():
    assert set(endpoint_policies.FilterModule().filters()) == {
        "console_endpoint_policy", "signin_endpoint_policy", "sagemaker_endpoint_policy", "s3_gateway_endpoint_policy",
    }
