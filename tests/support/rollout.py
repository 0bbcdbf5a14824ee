"""One converged rollout of the local inventory per emulator, shared by every test that only reads it.

Test workers (pytest-xdist) share the emulator; the first to arrive runs
``playbooks/site.yml`` under a lock, the others wait and reuse it.
"""

import json
from pathlib import Path

from filelock import FileLock

from support.ansible import run_playbook


class RolloutFailed(AssertionError):
    pass


def ensure_rolled_out(emulator, shared_dir: Path):
    port = emulator.url.rsplit(":", 1)[-1]
    marker = shared_dir / f"rollout-{port}.json"
    with FileLock(str(shared_dir / f"rollout-{port}.lock")):
        if marker.exists():
            result = json.loads(marker.read_text())
        else:
            run = run_playbook(emulator, "site.yml")
            result = {"returncode": run.returncode, "output": run.output}
            marker.write_text(json.dumps(result))
    if result["returncode"] != 0:
        raise RolloutFailed("site.yml failed on the local inventory:\n" + result["output"][-6000:])
    return result["output"]
