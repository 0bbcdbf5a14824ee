"""AWS Organizations, read from the management account or a delegated administrator: the OU tree
as paths of names (``/Root/ML/Research``), the accounts under chosen paths and their tags.

Every listing is paged to its end (Organizations may answer an empty page with a ``NextToken``)
and retried with the collection's ``retries.jittered_backoff()``, which covers
``TooManyRequestsException``: the service allows only a few requests a second to the whole
organisation.
"""

from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.mlperimeter.aws.plugins.module_utils.retries import jittered_backoff


class AnsibleOrganizationsError(AnsibleAWSError):
    pass


class OrganizationsErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleOrganizationsError


def path_under(path, prefixes):
    """Whether ``path`` is one of ``prefixes`` or inside one of them (whole OU names only)."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


def path_leads_to(path, prefixes):
    """Whether one of ``prefixes`` lies inside ``path``, so the walk must go down through it."""
    return any(prefix.startswith(path + "/") for prefix in prefixes)


@OrganizationsErrorHandler.common_error_handler("list the organization's roots")
@jittered_backoff()
def list_roots(client):
    return client.get_paginator("list_roots").paginate().build_full_result()["Roots"]


@OrganizationsErrorHandler.common_error_handler("list organizational units")
@jittered_backoff()
def list_child_units(client, parent_id):
    paginator = client.get_paginator("list_organizational_units_for_parent")
    return paginator.paginate(ParentId=parent_id).build_full_result()["OrganizationalUnits"]


@OrganizationsErrorHandler.common_error_handler("list accounts")
@jittered_backoff()
def list_accounts_for_parent(client, parent_id):
    paginator = client.get_paginator("list_accounts_for_parent")
    return paginator.paginate(ParentId=parent_id).build_full_result()["Accounts"]


@OrganizationsErrorHandler.common_error_handler("list tags")
@jittered_backoff()
def list_tags(client, resource_id):
    paginator = client.get_paginator("list_tags_for_resource")
    return boto3_tag_list_to_ansible_dict(paginator.paginate(ResourceId=resource_id).build_full_result()["Tags"])


def units_under(client, ou_paths):
    """``(path, parent id)`` of every root and OU at or under ``ou_paths``, parents first.

    Only the branches that lead to a wanted path are walked, so a filter on one OU of a large
    organisation costs a few calls, not one per OU.
    """
    found = []
    pending = [(f"/{root['Name']}", root["Id"]) for root in list_roots(client)]
    while pending:
        path, parent_id = pending.pop(0)
        if path_under(path, ou_paths):
            found.append((path, parent_id))
        elif not path_leads_to(path, ou_paths):
            continue
        pending.extend((f"{path}/{unit['Name']}", unit["Id"]) for unit in list_child_units(client, parent_id))
    return found


def account_state(account):
    # Organizations retires ``Status`` in favour of ``State``; older answers carry only ``Status``.
    return account.get("State") or account.get("Status")


def active_accounts(client, ou_paths):
    """The ACTIVE accounts at or under ``ou_paths``: id, name, ARN, OU path and tags of each."""
    accounts = []
    for path, parent_id in units_under(client, ou_paths):
        for account in list_accounts_for_parent(client, parent_id):
            if account_state(account) != "ACTIVE":
                continue
            accounts.append({
                "id": account["Id"],
                "name": account["Name"],
                "arn": account["Arn"],
                "ou_path": path,
                "tags": list_tags(client, account["Id"]),
            })
    return accounts
