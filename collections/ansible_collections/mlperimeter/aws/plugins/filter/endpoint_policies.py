"""Console Private Access endpoint policies (A2), rendered from the company's accounts (pure functions).

An endpoint policy grants nothing: it bounds what passes through the endpoint, on top of IAM.
Both policies admit only the company's accounts:

* console endpoint: any request of a principal of a company account (``aws:PrincipalAccount``);
* sign-in endpoint: the same after authentication, and before it, when no principal is known yet,
  ``signin:Authenticate`` into a company account (``aws:ResourceAccount``). The sign-up flow
  (``signin:CreateAccount``) has no principal and no company resource, so no statement admits it.
"""

import json
import re

from ansible.errors import AnsibleFilterError

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


class FilterModule:
    def filters(self):
        return {
            "console_endpoint_policy": console_endpoint_policy,
            "signin_endpoint_policy": signin_endpoint_policy,
        }
