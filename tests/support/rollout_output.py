"""Reading what ansible-playbook prints at the end of a rollout: the recap and the rollout summary."""

import re

RECAP = re.compile(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)
SUMMARY_LINE = re.compile(r"^(\S+)\s{2,}(\S+)\s{2,}(.+)$")


def recap(output):
    """``{host: (changed, failed)}`` from the play recap."""
    return {host: (int(changed), int(failed)) for host, changed, _, failed in RECAP.findall(output)}


def summary(output):
    """``{host: (wave, state)}`` from the rollout summary printed after the recap."""
    _, marker, table = output.rpartition("ROLLOUT SUMMARY")
    assert marker, "the run printed no rollout summary"
    rows = {}
    for line in table.splitlines()[1:]:
        match = SUMMARY_LINE.match(line)
        if not match:
            break
        rows[match[1]] = (match[2], match[3])
    return rows


def calls_since(emulator, start, accounts):
    """The emulator's calls in ``accounts`` from ``start`` (a ``time.time()``) on."""
    return [c for c in emulator.calls() if c["time"] >= start and c["account"] in accounts]
