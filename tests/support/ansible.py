"""Run the project's playbooks against the emulator as an operator would."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# Plays that include a role directly reach the emulator through the account session, as site.yml's do.
MODULE_DEFAULTS = {
    "group/mlperimeter.aws.aws": {
        "region": "{{ aws_region }}",
        "endpoint_url": "{{ perimeter_aws_endpoint_url }}",
        "access_key": "{{ account_session_credentials.access_key | default(perimeter_operator_access_key) }}",
        "secret_key": "{{ account_session_credentials.secret_key | default(perimeter_operator_secret_key) }}",
        "session_token": "{{ account_session_credentials.session_token | default(omit) }}",
    }
}


@dataclass
class PlaybookRun:
    returncode: int
    output: str


def run_playbook(emulator, playbook, inventory="inventories/local", extra_args=(), check=False):
    env = dict(
        os.environ,
        MLPERIMETER_EMULATOR_URL=emulator.url,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    command = [str(BIN / "ansible-playbook"), "-i", str(inventory), str(REPO / "playbooks" / playbook), *extra_args]
    if check:
        command.append("--check")
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=1800)
    return PlaybookRun(done.returncode, done.stdout + done.stderr)


def write_role_inventory(path, emulator, account_id, host="ml-gate"):
    """An inventory of one ML account's host in eu-west-1 against the emulator, for plays that include roles."""
    variables = {
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "aws_account_id": account_id,
        "aws_region": "eu-west-1",
        "perimeter_deploy_role_name": "mlperimeter-deploy",
        "perimeter_aws_endpoint_url": emulator.url,
        "perimeter_operator_access_key": "role-test",
        "perimeter_operator_secret_key": "role-test",
    }
    path.write_text(yaml.safe_dump({"all": {"hosts": {host: variables}}}))
    return str(path)


def write_role_play(path, role, *entry_points):
    """A play over every host that opens the account session, then includes ``mlperimeter.aws.<role>`` once per
    entry point in order (None for main); written to ``path``, whose name it returns."""
    def include(tasks_from):
        included = {"name": f"mlperimeter.aws.{role}", **({"tasks_from": tasks_from} if tasks_from else {})}
        return {"name": f"{role} {tasks_from or 'main'}", "ansible.builtin.include_role": included}

    play = {
        "name": f"{role}: {', '.join(point or 'main' for point in entry_points)}",
        "hosts": "all",
        "gather_facts": False,
        "module_defaults": MODULE_DEFAULTS,
        "tasks": [
            {"name": "Open a session", "ansible.builtin.include_role": {"name": "mlperimeter.aws.account_session"}},
            *map(include, entry_points),
        ],
    }
    Path(path).write_text(yaml.safe_dump([play], sort_keys=False))
    return str(path)
