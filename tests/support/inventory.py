"""Inventories of accounts of a test's own, shaped like ``inventories/local``.

Tests that change what they roll out (drift, faults, onboarding, teardown) must not touch
the accounts of the shared rollout; they write an inventory with fresh account ids and the
local inventory's variables, the access account doubling as the Identity Center account.
"""

import random
from pathlib import Path

import yaml

from support.ansible import REPO

LOCAL = REPO / "inventories" / "local"


def fresh_account_id():
    return "".join(random.choice("0123456789") for _ in range(11)) + "9"


def write_inventory(directory: Path, waves: dict, access: str | None = None, region: str = "us-east-1",
                    extra_vars: dict | None = None) -> Path:
    """Write ``hosts.yml`` and ``group_vars/all.yml`` under ``directory`` and return it.

    ``waves`` maps each wave group, in order, to ``{host: account_id}``; ``access`` is the
    access account's id (a fresh one when not given). ``extra_vars`` override the local
    inventory's group variables.
    """
    access = access or fresh_account_id()
    ml = {wave: {"hosts": {host: {"aws_account_id": account, "aws_region": region}
                           for host, account in hosts.items()}}
          for wave, hosts in waves.items()}
    hosts = {"all": {"children": {
        "perimeter_access": {"hosts": {"access": {"aws_account_id": access, "aws_region": region}}},
        "perimeter_ml": {"children": ml},
    }}}
    group_vars = yaml.safe_load((LOCAL / "group_vars" / "all.yml").read_text())
    group_vars.update(perimeter_waves=list(waves), perimeter_identity_center_account_id=access,
                      **(extra_vars or {}))
    (directory / "group_vars").mkdir(parents=True, exist_ok=True)
    (directory / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    (directory / "group_vars" / "all.yml").write_text(yaml.safe_dump(group_vars, sort_keys=False))
    return directory
