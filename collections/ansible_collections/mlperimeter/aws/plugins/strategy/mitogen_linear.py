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

try:
    import ansible_mitogen.loaders
    import ansible_mitogen.strategy
except ImportError as e:
    raise ImportError(
        "The mlperimeter.aws.mitogen_linear strategy needs the mitogen package (pip install -r requirements.txt); "
        "or run with ANSIBLE_STRATEGY=linear"
    ) from e

_Linear = ansible_mitogen.loaders.strategy_loader.get("linear", class_only=True)


class StrategyModule(ansible_mitogen.strategy.StrategyMixin, _Linear):
    """Ansible's linear strategy, run through Mitogen's connection and module runner."""
