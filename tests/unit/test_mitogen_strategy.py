"""The mitogen strategy lists the installed collections once, in the controller, instead of once per task."""

import ansible_mitogen.planner
import pytest
from ansible_collections.mlperimeter.aws.plugins.strategy import mitogen_linear


class Invocation:
    def __init__(self):
        self._extra_sys_paths = set()


INSTALLED = [b"/site-packages/ansible_collections/amazon/aws", b"/repo/collections/ansible_collections/mlperimeter/aws"]


@pytest.fixture
def listings(monkeypatch):
    """Each listing of the installed collections (as Ansible's list_collection_dirs yields them, bytes);
    mitogen's planner restored afterwards. The real listing runs in every playbook test."""
    monkeypatch.setattr(ansible_mitogen.planner, "_load_collections", ansible_mitogen.planner._load_collections)
    made = []

    def listing():
        made.append(1)
        yield from INSTALLED

    monkeypatch.setattr(mitogen_linear, "list_collection_dirs", listing)
    return made


def test_every_task_gets_the_collection_paths_of_one_listing(listings):
    mitogen_linear._list_collections_once()
    mitogen_linear._list_collections_once()
    tasks = [Invocation() for _ in range(3)]
    for task in tasks:
        ansible_mitogen.planner._load_collections(task)

    assert all(task._extra_sys_paths == {path.decode() for path in INSTALLED} for task in tasks)
    assert len(listings) == 1
