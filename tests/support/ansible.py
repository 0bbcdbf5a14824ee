"""Run the project's playbooks against the emulator as an operator would."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


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
