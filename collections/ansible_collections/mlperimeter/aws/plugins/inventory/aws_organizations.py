# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: aws_organizations
short_description: The perimeter's accounts from AWS Organizations
description:
  - One host per C(ACTIVE) account at or under the organizational units named in O(ou_paths), read
    from the organization's management account or a delegated administrator. Suspended and closed
    accounts are left out.
  - Each host carries C(aws_account_id), C(aws_region) (from the O(region_tag) tag, else
    O(default_region)), C(aws_account_name), C(aws_account_arn), C(aws_ou_path) and C(aws_account_tags).
  - Access accounts go into the group C(perimeter_access), ML accounts into a child group of
    C(perimeter_ml) per wave, named from the account's O(wave_tag) tag (accounts without one are in
    O(default_wave)). C(perimeter_waves), the wave groups in rollout order, is set on C(all), since the
    rollout plan reads it from whichever host runs first, the access account's included. Leave it out
    of the C(group_vars) next to the source, which would take precedence.
  - "Waves are ordered by the smallest integer any of their accounts carries in the O(wave_order_tag)
    tag; waves without one come after those with one. Ties, and waves without an order, are ordered
    by group name."
  - "Group names are sanitised: lower case, every run of characters other than letters and digits
    becomes one C(_), leading and trailing ones are dropped, and a C(wave_) prefix is added when the
    result does not start with a letter (a wave tagged C(2) is the group C(wave_2)). Host names are
    sanitised the same way with C(-) in place of C(_); a name with no letter or digit left becomes
    C(account-<id>)."
  - With O(ou_groups), every OU of a host and its ancestors become groups named C(ou_) and the
    sanitised path (C(/Root/ML/Research) is C(ou_root_ml_research), a child of C(ou_root_ml)).
  - C(perimeter_access) and C(perimeter_ml) get C(ansible_connection=local) and
    C(ansible_python_interpreter={{ ansible_playbook_python }}), since every host stands for an
    account reached through the AWS APIs.
  - The inventory source is a YAML file whose name ends in C(aws_organizations.yml) or
    C(aws_organizations.yaml).
  - Accounts are read with C(ListRoots), C(ListOrganizationalUnitsForParent) (only down the branches
    that lead to O(ou_paths)), C(ListAccountsForParent) and C(ListTagsForResource), each paged to its
    end and retried with backoff when Organizations throttles.
options:
  plugin:
    description: The name of this plugin, so Ansible knows the file is its source.
    required: true
    type: str
    choices: [mlperimeter.aws.aws_organizations]
  ou_paths:
    description:
      - The organizational units whose accounts make the inventory, as paths of OU names starting at
        the root, for example C(/Root/ML) or C(/Root/Infrastructure/Access). Accounts in descendant
        OUs are included. Names are compared exactly (case matters).
      - Use C([/Root]) to take every account of the organization, the management account included.
    required: true
    type: list
    elements: str
  tag_filters:
    description:
      - Keep only accounts carrying every tag key given here, with the value given or one of the
        values of a list.
    type: dict
    default: {}
  access_accounts:
    description:
      - Account ids or account names that are access accounts whatever their O(role_tag) tag says.
    type: list
    elements: str
    default: []
  role_tag:
    description:
      - The tag whose value says what an account is to the perimeter. C(access) puts it into
        C(perimeter_access), C(ml) into C(perimeter_ml), C(none) leaves it out of the inventory.
        Any other value is an error.
    type: str
    default: "mlperimeter:role"
  default_role:
    description: The role of an account without the O(role_tag) tag.
    type: str
    choices: [ml, access, none]
    default: ml
  hostname_tag:
    description:
      - The tag whose value, sanitised, names the host. Accounts without it are named from their
        account name. Two accounts with the same host name are an error.
    type: str
    default: "mlperimeter:hostname"
  region_tag:
    description: The tag whose value is the account's C(aws_region).
    type: str
    default: "mlperimeter:region"
  default_region:
    description:
      - C(aws_region) of accounts without the O(region_tag) tag. Without it, such an account is an error.
    type: str
  wave_tag:
    description: The tag whose value, sanitised, names the ML account's wave group.
    type: str
    default: "mlperimeter:wave"
  wave_order_tag:
    description: The tag whose integer value places the account's wave in the rollout order.
    type: str
    default: "mlperimeter:wave-order"
  default_wave:
    description: The wave group of ML accounts without the O(wave_tag) tag.
    type: str
    default: wave_unassigned
  ou_groups:
    description: Whether to add a group per OU (C(ou_<path>)), nested as the OUs are.
    type: bool
    default: true
notes:
  - The credentials must be those of the management account or of a delegated administrator of
    the organization, for example through O(assume_role_arn). Organizations answers any other
    member account with C(AccessDeniedException).
  - O(region) only chooses where the Organizations and STS clients sign their requests
    (C(us-east-1) when unset).
  - With O(cache), what was read from Organizations is kept and the groups are built again from it,
    so changing the grouping options does not call AWS; changing O(ou_paths) does.
  - O(compose), O(groups) and O(keyed_groups) see the host variables listed in the description.
extends_documentation_fragment:
  - inventory_cache
  - constructed
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
  - amazon.aws.assume_role.plugins
author:
  - mlperimeter maintainers
"""

EXAMPLES = r"""
# aws_organizations.yml: the access account and ML accounts from their OUs, the waves from tags
# (mlperimeter:wave=wave1_canary, mlperimeter:wave-order=1, ...), read through a role in the
# management account.
plugin: mlperimeter.aws.aws_organizations
assume_role_arn: arn:aws:iam::123456789012:role/mlperimeter-inventory-reader
ou_paths:
  - /Root/ML
  - /Root/Infrastructure/Access
access_accounts:
  - "210987654321"
default_region: eu-central-1

---
# Only accounts tagged for the perimeter, a profile for credentials, the result cached for an hour,
# and a group per team from a tag.
plugin: mlperimeter.aws.aws_organizations
profile: org-readonly
ou_paths: [/Root/Workloads]
tag_filters:
  mlperimeter:managed: "true"
  environment: [prod, staging]
default_region: us-east-1
default_wave: wave9_stragglers
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/mlperimeter-inventory
cache_timeout: 3600
keyed_groups:
  - key: aws_account_tags.team | default('none')
    prefix: team
"""

import re
from dataclasses import dataclass

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.plugin_utils.inventory import AWSInventoryBase
from ansible_collections.mlperimeter.aws.plugins.module_utils import organizations

ROLES = ("access", "ml", "none")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")
OU_PATH = re.compile(r"(/[^/]+)+")
# Organizations is served from us-east-1 in the aws partition.
SIGNING_REGION = "us-east-1"
# Every host stands for an account reached through the AWS APIs from the controller.
CONNECTION_VARS = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}


def sanitise(text, separator):
    """Lower case, each run of anything but letters and digits as one ``separator``, none at either end."""
    return re.sub(r"[^a-z0-9]+", separator, text.lower()).strip(separator)


def host_name(text):
    return sanitise(text, "-")


def group_name(text):
    name = sanitise(text, "_")
    return name if name[:1].isalpha() else f"wave_{name}"


def ou_group(path):
    return f"ou_{sanitise(path, '_')}"


def ou_ancestry(path):
    """``/Root/ML/Research`` -> ``["/Root", "/Root/ML", "/Root/ML/Research"]``."""
    names = path.strip("/").split("/")
    return ["/" + "/".join(names[:depth]) for depth in range(1, len(names) + 1)]


def normalise_ou_path(path):
    normalised = path.rstrip("/") if isinstance(path, str) else ""
    if not OU_PATH.fullmatch(normalised):
        raise ValueError(f"ou_paths: {path!r} is not a path of OU names from the root, such as /Root/ML")
    return normalised


def order_waves(orders):
    """Wave group names in rollout order, from ``{wave: [order of each account, or None]}``."""

    def key(wave):
        given = [order for order in orders[wave] if order is not None]
        return (0, min(given), wave) if given else (1, 0, wave)

    return sorted(orders, key=key)


def _tag_value(value):
    # YAML reads an unquoted true as a boolean; tags hold the text "true".
    return str(value).lower() if isinstance(value, bool) else str(value)


def tags_match(tags, tag_filters):
    for key, wanted in tag_filters.items():
        allowed = wanted if isinstance(wanted, list) else [wanted]
        if tags.get(key) not in [_tag_value(value) for value in allowed]:
            return False
    return True


@dataclass(frozen=True)
class Settings:
    ou_paths: tuple
    tag_filters: dict
    access_accounts: tuple
    role_tag: str
    default_role: str
    hostname_tag: str
    region_tag: str
    default_region: str | None
    wave_tag: str
    wave_order_tag: str
    default_wave: str


def read_settings(option):
    """The options checked, before any AWS call; ``option(name)`` reads one."""
    ou_paths = option("ou_paths") or []
    if not ou_paths:
        raise ValueError("ou_paths: name at least one organizational unit, such as /Root/ML ([/Root] for all)")
    tag_filters = option("tag_filters") or {}
    for key, wanted in tag_filters.items():
        values = wanted if isinstance(wanted, list) else [wanted]
        if not all(isinstance(value, (str, int, bool)) for value in values):
            raise ValueError(f"tag_filters: the value of {key!r} must be a string or a list of strings, got {wanted!r}")
    default_region = option("default_region")
    if default_region and not REGION.fullmatch(default_region):
        raise ValueError(f"default_region: {default_region!r} is not a Region name such as eu-central-1")
    for name in ("role_tag", "hostname_tag", "region_tag", "wave_tag", "wave_order_tag", "default_wave"):
        if not (option(name) or "").strip():
            raise ValueError(f"{name}: must not be empty")
    if not sanitise(option("default_wave"), "_"):
        raise ValueError(f"default_wave: {option('default_wave')!r} has no letter or digit to name a group")
    return Settings(
        ou_paths=tuple(normalise_ou_path(path) for path in ou_paths),
        tag_filters=dict(tag_filters),
        access_accounts=tuple(str(account) for account in option("access_accounts") or []),
        role_tag=option("role_tag"),
        default_role=option("default_role"),
        hostname_tag=option("hostname_tag"),
        region_tag=option("region_tag"),
        default_region=default_region or None,
        wave_tag=option("wave_tag"),
        wave_order_tag=option("wave_order_tag"),
        default_wave=group_name(option("default_wave")),
    )


def _describe(account):
    return f"account {account['id']} ({account['name']})"


def account_role(account, settings):
    if account["id"] in settings.access_accounts or account["name"] in settings.access_accounts:
        return "access"
    role = account["tags"].get(settings.role_tag)
    if role is None:
        return settings.default_role
    if role.strip().lower() not in ROLES:
        raise ValueError(f"{_describe(account)}: tag {settings.role_tag}={role!r} is not one of {', '.join(ROLES)}")
    return role.strip().lower()


def account_region(account, settings):
    region = account["tags"].get(settings.region_tag, settings.default_region)
    if region is None:
        raise ValueError(f"{_describe(account)}: no {settings.region_tag} tag and no default_region")
    if not REGION.fullmatch(region):
        raise ValueError(f"{_describe(account)}: tag {settings.region_tag}={region!r} is not a Region name")
    return region


def account_wave(account, settings):
    wave = account["tags"].get(settings.wave_tag)
    if wave is None:
        return settings.default_wave
    if not sanitise(wave, "_"):
        raise ValueError(f"{_describe(account)}: tag {settings.wave_tag}={wave!r} has no letter or digit "
                         "to name a group")
    return group_name(wave)


def account_wave_order(account, settings):
    order = account["tags"].get(settings.wave_order_tag)
    if order is None:
        return None
    try:
        return int(order)
    except ValueError:
        raise ValueError(f"{_describe(account)}: tag {settings.wave_order_tag}={order!r} is not an integer") from None


def plan(accounts, settings):
    """The hosts and groups the accounts make: ``{"hosts": {name: vars}, "access": [names],
    "waves": [(wave, [names]), ...] in rollout order}``.
    Raises ``ValueError`` naming the account on a tag it cannot use."""
    hosts, access, wave_hosts, wave_orders, owners = {}, [], {}, {}, {}
    for account in sorted(accounts, key=lambda a: a["id"]):
        if not organizations.path_under(account["ou_path"], settings.ou_paths):
            continue
        if not tags_match(account["tags"], settings.tag_filters):
            continue
        role = account_role(account, settings)
        if role == "none":
            continue
        name = host_name(account["tags"].get(settings.hostname_tag) or account["name"]) or f"account-{account['id']}"
        if name in owners:
            raise ValueError(f"{_describe(account)} and {owners[name]} both make host {name!r}: "
                             f"give one a {settings.hostname_tag} tag")
        owners[name] = _describe(account)
        hosts[name] = {
            "aws_account_id": account["id"],
            "aws_region": account_region(account, settings),
            "aws_account_name": account["name"],
            "aws_account_arn": account["arn"],
            "aws_ou_path": account["ou_path"],
            "aws_account_tags": dict(account["tags"]),
        }
        if role == "access":
            access.append(name)
            continue
        wave = account_wave(account, settings)
        wave_hosts.setdefault(wave, []).append(name)
        wave_orders.setdefault(wave, []).append(account_wave_order(account, settings))
    waves = [(wave, wave_hosts[wave]) for wave in order_waves(wave_orders)]
    return {"hosts": hosts, "access": access, "waves": waves}


class InventoryModule(AWSInventoryBase):
    NAME = "mlperimeter.aws.aws_organizations"
    INVENTORY_FILE_SUFFIXES = ("aws_organizations.yml", "aws_organizations.yaml")

    def parse(self, inventory, loader, path, cache=True):
        # Not AWSInventoryBase.parse: it assumes assume_role_arn before the options are checked.
        BaseInventoryPlugin.parse(self, inventory, loader, path)
        self.require_aws_sdk()
        self._read_config_data(path)
        try:
            settings = read_settings(self.get_option)
        except ValueError as e:
            raise AnsibleParserError(f"{path}: {e}") from None

        if not self.get_option("region"):
            self.set_option("region", SIGNING_REGION)

        was_cached, cached = self.get_cached_result(path, cache)
        if was_cached and cached.get("ou_paths") == list(settings.ou_paths):
            accounts = cached["accounts"]
        else:
            accounts = self._read_accounts(settings.ou_paths)
            self.update_cached_result(path, False, {"ou_paths": list(settings.ou_paths), "accounts": accounts})

        try:
            self._populate(plan(accounts, settings))
        except ValueError as e:
            raise AnsibleParserError(f"{path}: {e}") from None

    def _read_accounts(self, ou_paths):
        self._set_frozen_credentials()
        client = self.client("organizations")
        try:
            return organizations.active_accounts(client, ou_paths)
        except AnsibleAWSError as e:
            self.fail_aws(f"Cannot read the organization's accounts under {', '.join(ou_paths)}", exception=e)

    def _populate(self, planned):
        for group in ("perimeter_access", "perimeter_ml"):
            self.inventory.add_group(group)
            for variable, value in CONNECTION_VARS.items():
                self.inventory.set_variable(group, variable, value)
        for name in planned["access"]:
            self.inventory.add_host(name, group="perimeter_access")
        for wave, names in planned["waves"]:
            self.inventory.add_group(wave)
            self.inventory.add_child("perimeter_ml", wave)
            for name in names:
                self.inventory.add_host(name, group=wave)
        self.inventory.set_variable("all", "perimeter_waves", [wave for wave, _ in planned["waves"]])

        if self.get_option("ou_groups"):
            for name, host_vars in planned["hosts"].items():
                parent = None
                for ancestor in ou_ancestry(host_vars["aws_ou_path"]):
                    group = self.inventory.add_group(ou_group(ancestor))
                    if parent:
                        self.inventory.add_child(parent, group)
                    parent = group
                self.inventory.add_host(name, group=parent)

        strict = self.get_option("strict")
        for name, host_vars in planned["hosts"].items():
            for variable, value in host_vars.items():
                self.inventory.set_variable(name, variable, value)
            self._set_composite_vars(self.get_option("compose"), host_vars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), host_vars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), host_vars, name, strict=strict)
