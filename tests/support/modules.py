"""Run a module of the collection in-process, as Ansible would, against the emulator.

The module gets its arguments the way Ansible hands them over (including check
and diff mode), exits through ``exit_json``/``fail_json``, and its JSON result is
returned. In-process runs keep the suites fast; playbook tests cover the rest.
"""

import contextlib
import importlib
import io
import json

from ansible.module_utils import _internal as ansible_internal
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args

COLLECTION = "ansible_collections.mlperimeter.aws.plugins.modules"


def connection_args(emulator, account_id, region="eu-west-1"):
    """The connection options a play's module_defaults give: the deploy role's session."""
    creds = emulator.credentials(account_id)
    return {
        "endpoint_url": emulator.url,
        "region": region,
        "access_key": creds["AccessKeyId"],
        "secret_key": creds["SecretAccessKey"],
        "session_token": creds["SessionToken"],
    }


def run_module(name, args, *, emulator, account_id, region="eu-west-1", check=False, diff=True):
    """Run ``mlperimeter.aws.<name>`` with ``args``; return its result (``failed`` set on failure)."""
    module = importlib.import_module(f"{COLLECTION}.{name}")
    module_args = dict(connection_args(emulator, account_id, region), **args)
    module_args.update(_ansible_check_mode=check, _ansible_diff=diff)
    # Ansible keeps a module's warnings in process-wide lists; each run starts with none, as a real one does.
    ansible_warnings._global_warnings.clear()
    ansible_warnings._global_deprecations.clear()
    out = io.StringIO()
    with _as_module_process(), patch_module_args(module_args), contextlib.redirect_stdout(out), \
            contextlib.suppress(SystemExit):
        module.main()
    return json.loads(out.getvalue())


@contextlib.contextmanager
def _as_module_process():
    """Run as a module's own process does, even after a test in this worker imported the controller.

    Once the controller is imported, Ansible shows a module's warnings on the terminal instead of
    returning them in its result.
    """
    was_controller = ansible_internal.is_controller
    ansible_internal.is_controller = False
    try:
        yield
    finally:
        ansible_internal.is_controller = was_controller


def four_ways(name, args, **kwargs):
    """Check mode, real, check mode again, real again: the four results of one change."""
    return [
        run_module(name, args, check=True, **kwargs),
        run_module(name, args, **kwargs),
        run_module(name, args, check=True, **kwargs),
        run_module(name, args, **kwargs),
    ]
