"""A gate right after its role's main tasks judges from their reads only when they changed nothing.

The DNS Firewall role stands for every role that does this: its gate's compares are skipped right
after main found the approved names and the rules as they should be, run after main changed
anything, and run when the gate comes without main before it. In check mode a drifted list is
reported by main as a change, so the gate reads for itself and fails.
"""

import re

import yaml

from support.ansible import MODULE_DEFAULTS, run_playbook, write_role_inventory
from support.calls import without_lease, writes

COMPARES = ("Compare the approved names with what they should be", "Compare the rules with what they should be")
ROLE_VARS = {"dns_firewall_name": "gate-reuse", "dns_firewall_control": "M2",
             "dns_firewall_allowed_domains": ["example.com"]}


def write_play(path, vpc_id):
    def role(tasks_from=None):
        include = {"name": "mlperimeter.aws.dns_firewall", **({"tasks_from": tasks_from} if tasks_from else {})}
        return {"name": f"DNS Firewall {tasks_from or 'main'}", "ansible.builtin.include_role": include}

    play = {
        "name": "DNS Firewall, its gate, and the gate again",
        "hosts": "all",
        "gather_facts": False,
        "module_defaults": MODULE_DEFAULTS,
        "vars": dict(ROLE_VARS, dns_firewall_vpc_id=vpc_id),
        "tasks": [
            {"name": "Open a session", "ansible.builtin.include_role": {"name": "mlperimeter.aws.account_session"}},
            role(), role("verify"), role("verify"),
        ],
    }
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    return str(path)


def compare_outcomes(output):
    """For each run of each compare task, in order, whether it was skipped or ran."""
    pattern = re.compile(r"TASK \[mlperimeter\.aws\.dns_firewall : (" + "|".join(map(re.escape, COMPARES))
                         + r")\][^\n]*\n(\w+):")
    return [(task, "skipped" if status == "skipping" else "ran") for task, status in pattern.findall(output)]


def ran_twice_then(outcome):
    return [(task, outcome) for task in COMPARES] + [(task, "ran") for task in COMPARES]


def approved_list(aws):
    resolver = aws("route53resolver")
    (listed,) = [fdl for fdl in resolver.list_firewall_domain_lists()["FirewallDomainLists"]
                 if fdl.get("Name") == "gate-reuse-approved"]
    return resolver, listed["Id"]


def test_the_gate_reads_again_unless_main_just_read_and_changed_nothing(emulator, account_id, aws, tmp_path):
    vpc_id = aws("ec2").create_vpc(CidrBlock="10.92.0.0/16")["Vpc"]["VpcId"]
    inventory = write_role_inventory(tmp_path / "hosts.yml", emulator, account_id)
    playbook = write_play(tmp_path / "play.yml", vpc_id)

    first = run_playbook(emulator, playbook, inventory=inventory)
    assert first.returncode == 0, first.output
    assert compare_outcomes(first.output) == ran_twice_then("ran")

    converged = run_playbook(emulator, playbook, inventory=inventory)
    assert converged.returncode == 0, converged.output
    assert compare_outcomes(converged.output) == ran_twice_then("skipped")
    assert "M2 passes in account " + account_id in converged.output

    resolver, list_id = approved_list(aws)
    resolver.update_firewall_domains(FirewallDomainListId=list_id, Operation="ADD", Domains=["drift.example.org"])

    emulator.reset_calls()
    previewed = run_playbook(emulator, playbook, inventory=inventory, check=True)
    assert previewed.returncode != 0
    assert compare_outcomes(previewed.output)[:2] == [(task, "ran") for task in COMPARES]
    assert f"M2 fails in account {account_id}" in previewed.output
    assert '"approved_names_differ": true' in previewed.output
    assert writes(without_lease([c for c in emulator.calls() if c["account"] == account_id])) == []

    repaired = run_playbook(emulator, playbook, inventory=inventory)
    assert repaired.returncode == 0, repaired.output
    assert compare_outcomes(repaired.output) == ran_twice_then("ran")
    domains = resolver.list_firewall_domains(FirewallDomainListId=list_id)["Domains"]
    assert domains == ["example.com."]
