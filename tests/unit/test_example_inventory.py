"""inventories/example documents every perimeter_* variable an operator can set: each one the playbooks and roles
read without defining it themselves (in vars, set_fact, register, loop_var, vars_prompt or a role's defaults), and
each one the local inventory sets."""

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
ROLES = REPO / "collections" / "ansible_collections" / "mlperimeter" / "aws" / "roles"
SOURCES = [REPO / "playbooks", ROLES]
EXAMPLE = REPO / "inventories" / "example"
LOCAL = REPO / "inventories" / "local"
GROUPS = {"perimeter_access", "perimeter_ml"}
VARIABLE = re.compile(r"(?<![A-Za-z0-9_.])perimeter_[a-z0-9_]*[a-z0-9]\b(?!_)")
# "# perimeter_name:" documents a variable that is better left unset in a file (a confirmation, a mode).
DOCUMENTED = re.compile(r"^#?\s*(perimeter_[a-z0-9_]+):", re.MULTILINE)


class AnsibleYamlLoader(yaml.SafeLoader):
    """Reads Ansible YAML, its tags (!unsafe, !vault) as plain values."""


AnsibleYamlLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def ansible_files():
    for base in SOURCES:
        yield from (path for path in base.rglob("*") if path.suffix in (".yml", ".yaml", ".j2") and path.is_file())


def defined_in(data, names):
    """Names the playbooks and roles give values to themselves: vars, set_fact, register, loop_var, prompts."""
    if isinstance(data, list):
        for item in data:
            defined_in(item, names)
        return
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        if key in ("vars", "set_fact", "ansible.builtin.set_fact") and isinstance(value, dict):
            names.update(value)
        elif key in ("register", "loop_var") and isinstance(value, str):
            names.add(value)
        elif key == "vars_prompt" and isinstance(value, list):
            names.update(prompt["name"] for prompt in value if isinstance(prompt, dict))
        defined_in(value, names)


def operator_variables():
    used, defined = {}, set()
    for path in ansible_files():
        text = path.read_text()
        for name in VARIABLE.findall(text):
            used.setdefault(name, path.relative_to(REPO))
        if path.suffix != ".j2":
            data = yaml.load(text, Loader=AnsibleYamlLoader)  # noqa: S506 - a SafeLoader subclass
            if path.parent.name in ("defaults", "vars") and isinstance(data, dict):
                defined.update(data)
            defined_in(data, defined)
    local = yaml.safe_load((LOCAL / "group_vars" / "all.yml").read_text())
    used.update({name: Path("inventories/local/group_vars/all.yml") for name in local if name.startswith("perimeter_")})
    return {name: where for name, where in used.items() if name not in GROUPS and name not in defined}


def documented_variables():
    names = set()
    for path in (EXAMPLE / "group_vars").rglob("*.yml"):
        names.update(DOCUMENTED.findall(path.read_text()))
    return names


def test_every_operator_variable_is_documented_in_the_example_inventory():
    missing = {name: str(where) for name, where in operator_variables().items() if name not in documented_variables()}
    assert not missing, "perimeter_* variables read but not documented in inventories/example/group_vars/: " + \
        ", ".join(f"{name} (read in {where})" for name, where in sorted(missing.items()))


def test_the_scan_finds_what_operators_set():
    found = operator_variables()
    for name in ("perimeter_org_id", "perimeter_deploy_role_name", "perimeter_approved_domains",
                 "perimeter_ml_buckets", "perimeter_break_glass_principals", "perimeter_aws_endpoint_url"):
        assert name in found
    assert "perimeter_facts_reader_role" in found  # read by the perimeter_facts role's defaults
    # Group names, a role's own defaults and facts the roles set are not the operator's.
    assert not GROUPS & set(found)
    assert not {"perimeter_facts_reader_role_name", "perimeter_facts_published"} & set(found)


def test_example_hosts_are_well_formed():
    hosts = yaml.safe_load((EXAMPLE / "hosts.yml").read_text())["all"]
    group_vars = yaml.safe_load((EXAMPLE / "group_vars" / "all.yml").read_text())
    waves = hosts["children"]["perimeter_ml"]["children"]
    assert list(waves) == hosts["vars"]["perimeter_waves"] == ["wave1_canary", "wave2", "wave3"]
    assert "perimeter_waves" not in group_vars  # it would override what the aws_organizations plugin sets
    access = hosts["children"]["perimeter_access"]["hosts"]
    accounts = [host["aws_account_id"] for group in [access, *(wave["hosts"] for wave in waves.values())]
                for host in group.values()]
    assert len(access) == 1
    assert all(isinstance(account, str) and re.fullmatch(r"[0-9]{12}", account) for account in accounts)
    assert len(set(accounts)) == len(accounts)
    assert re.fullmatch(r"[0-9]{12}", group_vars["perimeter_identity_center_account_id"])
