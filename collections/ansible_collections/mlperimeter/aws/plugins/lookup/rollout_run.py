# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: rollout_run
short_description: The running ansible-playbook process, as the run holding the rollout lease
version_added: 0.1.0
description:
  - Returns the run this playbook run is - its C(id), the C(controller) host name, the ansible-playbook
    process's C(pid) and C(pid_start) (its start time in clock ticks after boot, from C(/proc/<pid>/stat)
    field 22; null without C(/proc)) and the local C(user) - for M(mlperimeter.aws.perimeter_lease).
  - Lookups run in Ansible's worker processes, children of the ansible-playbook process; the lookup names
    their parent, so every task, play and host of one run gets the same id, and another run (or a later
    process reusing the pid) another one. Nothing is cached or written.
author:
  - mlperimeter maintainers
"""

EXAMPLES = r"""
- name: Hold the rollout lease for this run
  mlperimeter.aws.perimeter_lease:
    run: "{{ lookup('mlperimeter.aws.rollout_run') }}"
"""

RETURN = r"""
_raw:
  description: One dict, the run.
  type: list
  elements: dict
  contains:
    id:
      description: The run's id, 16 hex digits derived from the controller, pid and pid_start.
      type: str
    controller:
      description: Host name of the controller.
      type: str
    pid:
      description: Process id of the ansible-playbook process.
      type: int
    pid_start:
      description: Its start time in clock ticks after boot.
      type: int
    user:
      description: The local user running the playbook.
      type: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.mlperimeter.aws.plugins.module_utils.rollout_lease import current_run


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        if terms:
            raise AnsibleLookupError(f"rollout_run takes no terms; got {terms!r}")
        return [current_run()]
