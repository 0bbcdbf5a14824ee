"""Fixes to moto's AWS Organizations, applied once at start-up.

moto 5.2.5 gets these wrong against AWS:

* a member account reads the organisation (``ListAccounts`` answers an empty list,
  ``ListRoots`` the management account's roots); AWS answers ``AccessDeniedException``
  unless the member is a delegated administrator, which reads what the management
  account reads; an account outside any organisation gets ``AWSOrganizationsNotInUseException``;
* ``MaxResults`` above 20 is served, where AWS refuses it (``InvalidInputException``,
  reason ``MAX_VALUE_EXCEEDED``), and ``ListAccounts`` answers up to 100 accounts a page
  where AWS answers at most 20;
* ``ListParents`` of an unknown account answers ``AccountNotFoundException``; AWS
  answers ``ChildNotFoundException``.

The response methods are wrapped on moto's ``OrganizationsResponse``, the backend's
``list_accounts`` and ``list_parents`` on ``OrganizationsBackend``.
"""

import functools

from moto.organizations import models, responses
from moto.organizations.exceptions import (
    AccountNotFoundException,
    AWSOrganizationsNotInUseException,
    OrganizationsClientError,
)

MAX_RESULTS = 20
# What a delegated administrator may read, and a plain member may not.
READ_OPERATIONS = [
    "describe_account",
    "describe_organizational_unit",
    "list_accounts",
    "list_accounts_for_parent",
    "list_children",
    "list_organizational_units_for_parent",
    "list_parents",
    "list_roots",
    "list_tags_for_resource",
]
PAGED_OPERATIONS = [
    "list_accounts",
    "list_accounts_for_parent",
    "list_children",
    "list_organizational_units_for_parent",
    "list_parents",
    "list_roots",
]


class AccessDeniedException(OrganizationsClientError):
    def __init__(self):
        super().__init__("AccessDeniedException", "You don't have permissions to access this resource.")


class ChildNotFoundException(OrganizationsClientError):
    def __init__(self):
        super().__init__("ChildNotFoundException", "We can't find an organizational unit (OU) or AWS account with "
                                                   "the ChildId that you specified.")


class MaxResultsExceeded(OrganizationsClientError):
    def __init__(self, value):
        super().__init__(
            "InvalidInputException",
            f"MAX_VALUE_EXCEEDED: MaxResults {value} is more than the maximum allowed, {MAX_RESULTS}.",
        )
        self.Reason = "MAX_VALUE_EXCEEDED"


def reading_backend(account_id, partition):
    """The backend whose organisation ``account_id`` may read, or the error AWS answers it."""
    backend = models.organizations_backends[account_id][partition]
    if backend.org is not None:
        return backend
    if account_id not in models.organizations_backends.master_accounts:
        raise AWSOrganizationsNotInUseException
    management_id, management_partition = models.organizations_backends.master_accounts[account_id]
    management = models.organizations_backends[management_id][management_partition]
    if not any(admin.account.id == account_id for admin in management.admins):
        raise AccessDeniedException
    return management


def _organizations_backend(self):
    if getattr(self, "_reading", False):
        return reading_backend(self.current_account, self.partition)
    return models.organizations_backends[self.current_account][self.partition]


def _read(method):
    @functools.wraps(method)
    def read(self):
        self._reading = True
        return method(self)

    return read


def _paged(method):
    @functools.wraps(method)
    def paged(self):
        max_results = self._get_param("MaxResults")
        if max_results is not None and int(max_results) > MAX_RESULTS:
            raise MaxResultsExceeded(max_results)
        return method(self)

    return paged


responses.OrganizationsResponse.organizations_backend = property(_organizations_backend)
for _name in READ_OPERATIONS:
    setattr(responses.OrganizationsResponse, _name, _read(getattr(responses.OrganizationsResponse, _name)))
for _name in PAGED_OPERATIONS:
    setattr(responses.OrganizationsResponse, _name, _paged(getattr(responses.OrganizationsResponse, _name)))


_moto_list_accounts = models.OrganizationsBackend.list_accounts
_moto_list_parents = models.OrganizationsBackend.list_parents


def list_accounts(self, max_results=None, next_token=None):
    return _moto_list_accounts(self, max_results=max_results or MAX_RESULTS, next_token=next_token)


def list_parents(self, **kwargs):
    try:
        return _moto_list_parents(self, **kwargs)
    except AccountNotFoundException:
        raise ChildNotFoundException from None


models.OrganizationsBackend.list_accounts = list_accounts
models.OrganizationsBackend.list_parents = list_parents
