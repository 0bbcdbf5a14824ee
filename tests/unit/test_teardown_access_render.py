"""teardown.yml renders the access account's A2 again from a play on an ML host (a limited teardown has no
access host in it). Every operator variable the A2 roles read there must be taken from the access host, or
a value set for the access account alone is lost (it once dropped the access group's allowlist URLs)."""

import re

import yaml

from support.ansible import REPO

ROLES = REPO / "collections" / "ansible_collections" / "mlperimeter" / "aws" / "roles"
PERIMETER_VARIABLE = re.compile(r"\bperimeter_[a-z0-9_]+")


def a2_play():
    plays = yaml.safe_load((REPO / "playbooks" / "teardown.yml").read_text())
    (play,) = [p for p in plays if p["name"].startswith("Teardown, A2: the access account rendered again")]
    return play


def role_includes(tasks):
    for task in tasks:
        yield from role_includes(task.get("block", []))
        if "ansible.builtin.include_role" in task:
            yield task["ansible.builtin.include_role"], task.get("vars", {})


def operator_variables_read(role, tasks_from, passed):
    """The perimeter_* variables a role's defaults read, but for defaults the include sets itself; for a role
    run for one task file, only the defaults that file uses."""
    defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text()) or {}
    used = (ROLES / role / "tasks" / f"{tasks_from}.yml").read_text() if tasks_from else None
    return {name for key, value in defaults.items() if key not in passed and (used is None or key in used)
            for name in PERIMETER_VARIABLE.findall(str(value))}


def test_the_a2_roles_read_the_access_hosts_variables():
    play = a2_play()
    a2_roles = {"browser_network", "browser_allowlist", "console_private_access", "dns_firewall"}
    read = set()
    for include, passed in role_includes(play["tasks"]):
        role = include["name"].removeprefix("mlperimeter.aws.")
        if role in a2_roles:
            read |= operator_variables_read(role, include.get("tasks_from"), passed)
            read |= {name for value in passed.values() for name in PERIMETER_VARIABLE.findall(str(value))}

    assert {"perimeter_browser_allowed_urls", "perimeter_browser_network_name"} <= read
    from_access_host = {name for name, value in play["vars"].items()
                        if value == f"{{{{ hostvars[perimeter_teardown_access_host].{name} }}}}"}
    assert {name for name in from_access_host if name.startswith("perimeter_")} == read
