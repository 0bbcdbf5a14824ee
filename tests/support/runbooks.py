"""Read the operator runbooks: their order, their steps and the command blocks the tests run.

``runbooks/README.md`` lists the runbooks in the order they run, as a numbered list of links. In a
runbook, every fenced block whose info string is ``sh``, ``bash`` or ``shell`` runs; other blocks
(``yaml``, ``cron``, ``json``...) are shown, not run. A block right after the line
``<!-- real-aws-only -->`` (blank lines between allowed) only makes sense on real AWS and is skipped.
Each block belongs to the step it is written under: the numbered list item, else the heading, before it.
"""

import re
from dataclasses import dataclass
from pathlib import Path

REAL_AWS_ONLY = "<!-- real-aws-only -->"
SHELL = {"sh", "bash", "shell"}
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)[^`]*$")
STEP = re.compile(r"^\s*(?P<number>\d+)\.\s+(?P<text>\S.*)$")
HEADING = re.compile(r"^#{1,6}\s+(?P<text>.+?)\s*#*$")
INDEX_LINK = re.compile(r"^\s*\d+\.\s+\[[^\]]+\]\((?P<path>[^)#\s]+\.md)\)")


@dataclass(frozen=True)
class Block:
    runbook: str
    step: str
    line: int
    language: str
    code: str
    real_aws_only: bool

    @property
    def runs(self):
        return self.language in SHELL and not self.real_aws_only


def blocks(text, runbook="runbook"):
    """Every fenced block of a runbook, in order, with its step and whether it is real-AWS-only."""
    found = []
    lines = text.splitlines()
    step, marked, index = "", False, 0
    while index < len(lines):
        line = lines[index]
        opening = FENCE.match(line)
        if opening:
            indent, fence, opened = len(opening["indent"]), opening["fence"], index + 1
            body, index = [], index + 1
            while index < len(lines) and not re.match(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$", lines[index]):
                body.append(lines[index][indent:] if lines[index][:indent].strip() == "" else lines[index])
                index += 1
            if index == len(lines):
                raise ValueError(f"{runbook} line {opened}: the fenced block is never closed")
            found.append(Block(runbook, step, opened, opening["info"].lower(), "\n".join(body) + "\n", marked))
            marked = False
        elif line.strip() == REAL_AWS_ONLY:
            marked = True
        elif line.strip():
            heading, numbered = HEADING.match(line), STEP.match(line)
            if heading:
                step = heading["text"]
            elif numbered:
                step = f"{numbered['number']}. {numbered['text']}"
            if marked:
                raise ValueError(f"{runbook} line {index + 1}: {REAL_AWS_ONLY} must come right before a fenced block")
        index += 1
    if marked:
        raise ValueError(f"{runbook}: {REAL_AWS_ONLY} at the end, before no block")
    return found


def index(readme_text):
    """The runbooks the index lists, in order: the numbered list's links."""
    return [match["path"] for match in map(INDEX_LINK.match, readme_text.splitlines()) if match]


def read(directory: Path):
    """The runbooks of ``directory`` in the index's order, each with its blocks."""
    listed = index((directory / "README.md").read_text())
    return [(name, blocks((directory / name).read_text(), name)) for name in listed]
