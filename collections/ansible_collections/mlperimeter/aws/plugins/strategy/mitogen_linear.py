# Copyright (c) mlperimeter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: mitogen_linear
short_description: Ansible's linear strategy, with each task's module run in a warm Python interpreter
version_added: 0.1.0
description:
  - The C(linear) strategy (every host finishes a task before any starts the next, as the perimeter's
    gates and waves need), with modules run through Mitogen for Ansible instead of a fresh Python process
    per task. A rollout runs hundreds of AWS modules per account, each of which otherwise pays for a new
    interpreter and a fresh import of boto3 and botocore.
  - The repository's C(ansible.cfg) selects it. C(ANSIBLE_STRATEGY=linear) runs the same playbooks with
    Ansible's own strategy; the results are the same, only slower.
requirements:
  - mitogen (the version requirements.txt and execution-environment.yml pin)
author:
  - mlperimeter contributors
"""

from ansible.collections.list import list_collection_dirs

try:
    import ansible_mitogen.loaders
    import ansible_mitogen.planner
    import ansible_mitogen.strategy
except ImportError as e:
    raise ImportError(
        "The mlperimeter.aws.mitogen_linear strategy needs the mitogen package (pip install -r requirements.txt); "
        "or run with ANSIBLE_STRATEGY=linear"
    ) from e

_Linear = ansible_mitogen.loaders.strategy_loader.get("linear", class_only=True)


class StrategyModule(ansible_mitogen.strategy.StrategyMixin, _Linear):
    """Ansible's linear strategy, run through Mitogen's connection and module runner."""

    def run(self, iterator, play_context):
        _list_collections_once()
        return super().run(iterator, play_context)


def _list_collections_once():
    """Mitogen's planner lists every installed collection's directory for each task, in the task's worker,
    which Ansible forks anew per task and host, so the listing never outlives the task: with the hundred
    collections of the ansible package that was most of a task's time in the controller. Listed here once,
    in the controller, before the play's workers fork from it; collections are not installed mid-run."""
    if getattr(ansible_mitogen.planner._load_collections, "collection_dirs", None) is not None:
        return
    collection_dirs = frozenset(path.decode("utf-8") for path in list_collection_dirs())

    def load_collections(invocation):
        invocation._extra_sys_paths.update(collection_dirs)

    load_collections.collection_dirs = collection_dirs
    ansible_mitogen.planner._load_collections = load_collections
