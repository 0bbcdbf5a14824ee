"""Reading the account registry's entries (pure functions, no AWS calls).

An entry is the JSON the ``account_registry`` role writes: ``account_id``, ``name``, ``region``,
``studio_hosts`` and, once the account's M1 step or onboarding published it, ``vpc_cidr``.
"""

import ipaddress

from ansible.errors import AnsibleFilterError


def _network(cidr, field):
    try:
        return ipaddress.ip_network(str(cidr), strict=False)
    except ValueError as error:
        raise AnsibleFilterError(f"{field} must be a CIDR such as 10.30.0.0/16; got {cidr!r} ({error})") from error


def registry_cidr_collisions(entries, cidr):
    """The entries whose ``vpc_cidr`` overlaps ``cidr``; entries without one are left out."""
    network = _network(cidr, "vpc_cidr")
    return [
        entry for entry in entries
        if entry.get("vpc_cidr")
        and _network(entry["vpc_cidr"], f"vpc_cidr of registered account {entry.get('account_id')}").overlaps(network)
    ]


def registry_entry_label(entry):
    """``name (account id, VPC CIDR)`` for messages."""
    details = ", ".join(str(entry[key]) for key in ("account_id", "vpc_cidr") if entry.get(key))
    return f"{entry.get('name') or entry.get('account_id')} ({details})"


class FilterModule:
    def filters(self):
        return {
            "registry_cidr_collisions": registry_cidr_collisions,
            "registry_entry_label": registry_entry_label,
        }
