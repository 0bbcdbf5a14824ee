"""The runbook reader the runbook tests rely on, and the runbooks' own shape."""

import re
import textwrap

import pytest

from support.ansible import REPO
from support.runbooks import SHELL, blocks, index, read

SAMPLE = textwrap.dedent("""\
    # Doing a thing

    Some prose with `inline code`.

    ## Steps

    1. Set the inventory.

       <!-- real-aws-only -->
       ```sh
       export INVENTORY=inventories/mycompany
       ```

    2. Roll out.

       ```sh
       .venv/bin/ansible-playbook -i "$INVENTORY" playbooks/site.yml
       echo done
       ```

       The inventory looks like:

       ```yaml
       all: {}
       ```

    ## Checking the result

    ````bash
    test -d reports
    ````
    """)


def test_blocks_are_read_in_order_with_their_step_language_and_marker():
    found = blocks(SAMPLE, "sample.md")
    assert [(b.step, b.language, b.real_aws_only, b.runs) for b in found] == [
        ("1. Set the inventory.", "sh", True, False),
        ("2. Roll out.", "sh", False, True),
        ("2. Roll out.", "yaml", False, False),
        ("Checking the result", "bash", False, True),
    ]
    assert found[1].code == '.venv/bin/ansible-playbook -i "$INVENTORY" playbooks/site.yml\necho done\n'
    assert found[3].code == "test -d reports\n"
    assert found[1].line == 16 and found[0].runbook == "sample.md"


def test_the_marker_covers_only_the_next_block():
    text = "<!-- real-aws-only -->\n\n```sh\naws s3 ls\n```\n\n```sh\necho runs\n```\n"
    assert [b.real_aws_only for b in blocks(text)] == [True, False]


@pytest.mark.parametrize(("text", "message"), [
    ("<!-- real-aws-only -->\nprose in between\n```sh\nls\n```\n", "must come right before a fenced block"),
    ("text\n<!-- real-aws-only -->\n", "at the end, before no block"),
    ("1. Step\n\n   ```sh\n   echo never closed\n", "line 3: the fenced block is never closed"),
])
def test_misplaced_markers_and_open_blocks_are_refused(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        blocks(text, "bad.md")


def test_the_index_gives_the_order_of_its_numbered_links_only():
    readme = ("# Runbooks\n\n1. [b.md](b.md) - second\n2. [a.md](a.md) - first\n\n"
              "See [c.md](c.md).\n- [d.md](d.md)\n")
    assert index(readme) == ["b.md", "a.md"]


def test_the_index_lists_every_runbook_of_the_directory_once():
    listed = index((REPO / "runbooks" / "README.md").read_text())
    present = sorted(path.name for path in (REPO / "runbooks").glob("*.md") if path.name != "README.md")
    assert sorted(listed) == present and len(set(listed)) == len(listed)
    assert listed[0] == "first_rollout.md" and listed[-1] == "rollback_and_offboarding.md"


VARIABLE = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)")
ASSIGNED = re.compile(r"(?:^|\s|export\s+)([A-Z][A-Z0-9_]*)=", re.MULTILINE)


@pytest.mark.parametrize(("runbook", "found"), read(REPO / "runbooks"), ids=lambda value: value
                         if isinstance(value, str) else "")
def test_each_runbook_runs_commands_and_sets_every_variable_they_use(runbook, found):
    runnable = [b for b in found if b.runs]
    assert runnable, f"{runbook}: no command the tests can run"
    settings = next(b for b in found if b.language in SHELL)
    assert settings.real_aws_only and "export INVENTORY=" in settings.code, (
        f"{runbook}: the first command block must set INVENTORY, for the operator (the tests set it themselves)")
    assigned = {name for b in found for name in ASSIGNED.findall(b.code)}
    used = {name for b in runnable for name in VARIABLE.findall(b.code)}
    assert used <= assigned, f"{runbook}: {sorted(used - assigned)} used but never set"
