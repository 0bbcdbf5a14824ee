"""Fixtures shared by every suite: one emulator per run and fresh accounts in it.

``make test`` starts one emulator and passes it in ``MLPERIMETER_EMULATOR_URL``;
without it, the first test that needs the emulator starts one on a free port.
"""

import os
import random

import pytest

from support.emulator import Emulator, EmulatorProcess
from support.rollout import ensure_rolled_out


def pytest_collection_modifyitems(items):
    """Long suites first: with ``--dist loadfile`` each takes a worker from the start while the other workers
    share the short suites, instead of beginning last and running on alone."""
    items.sort(key=lambda item: item.get_closest_marker("starts_first") is None)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    url = os.environ.get("MLPERIMETER_EMULATOR_URL")
    if url:
        yield Emulator(url)
        return
    process = EmulatorProcess(tmp_path_factory.mktemp("emulator") / "emulator.log")
    try:
        yield Emulator(process.url)
    finally:
        process.stop()


@pytest.fixture
def account_id():
    """A 12-digit account of this test's own, so tests never see each other's state."""
    return "".join(random.choice("0123456789") for _ in range(11)) + "7"


@pytest.fixture
def aws(emulator, account_id):
    """``aws("ec2")`` is a client of the deploy role in this test's account."""

    def client(service, region="eu-west-1", account=None, retries=0):
        return emulator.client(service, account or account_id, region=region, retries=retries)

    return client


@pytest.fixture(scope="session")
def rolled_out(emulator, tmp_path_factory, worker_id):
    """The local inventory after one converged ``site.yml``, shared by every test worker."""
    shared = tmp_path_factory.getbasetemp() if worker_id == "master" else tmp_path_factory.getbasetemp().parent
    ensure_rolled_out(emulator, shared)
    return emulator
