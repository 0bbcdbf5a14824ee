"""Every runbook, run as an operator would against the emulator, in the order runbooks/README.md lists.

The runbooks share one state: an inventory of these tests' own with one access account and one ML
account (ml-a, the canary), to which the onboarding runbook's set-up adds a second ML host (ml-b, its own
wave and VPC CIDR). Each shell block runs in ``bash -euo pipefail`` from the repository, with the
variables the runbook's settings block sets given here instead. Blocks marked real-AWS-only are skipped;
where a later step needs their effect, a stand-in below makes the same change through the emulator.
A command that fails, check steps included, fails the runbook's test with its step and output.
"""

import datetime
import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from ansible_collections.mlperimeter.aws.plugins.module_utils.rollout_lease import run_id

from support.ansible import BIN, REPO
from support.inventory import fresh_account_id, write_inventory
from support.runbooks import read

pytestmark = pytest.mark.starts_first

REGION = "us-east-1"
BLOCK_TIMEOUT = 1800
RUNBOOKS = read(REPO / "runbooks")
# A rollout on another controller, gone without releasing its lease, which has not expired yet.
GONE_RUN = {"controller": "ops-bastion-2", "pid": 48213, "pid_start": 912345678}
GONE_RUN_ID = run_id(*GONE_RUN.values())
BREAK_GLASS_KEYS = {"AWS_ACCESS_KEY_ID": "break-glass-operator", "AWS_SECRET_ACCESS_KEY": "break-glass-operator"}


@dataclass
class Suite:
    emulator: object
    accounts: dict
    inventory: Path
    env: dict
    failed: str = ""
    done: list = field(default_factory=list)

    def client(self, service, host):
        return self.emulator.client(service, self.accounts[host], region=REGION)


@pytest.fixture(scope="module")
def suite(emulator, tmp_path_factory):
    base = tmp_path_factory.mktemp("runbooks")
    accounts = {"access": fresh_account_id(), "ml-a": fresh_account_id(), "ml-b": fresh_account_id()}
    inventory = write_inventory(base / "inventory", {"wave1_canary": {"ml-a": accounts["ml-a"]}},
                                access=accounts["access"],
                                extra_vars={"perimeter_policy_output_dir": str(base / "policies")})
    (base / "reports").mkdir()
    env = dict(os.environ, MLPERIMETER_EMULATOR_URL=emulator.url, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               INVENTORY=str(inventory), REPORTS=str(base / "reports"))
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    return Suite(emulator, accounts, inventory, env)


# What each runbook's settings block sets, for this suite's accounts.
def settings(suite, runbook):
    ml = {"ML_HOST": "ml-a", "ML_ACCOUNT_ID": suite.accounts["ml-a"]}
    by_runbook = {
        "rollout_lease.md": lambda: {"HOLDER_RUN": GONE_RUN_ID},
        "onboard_account.md": lambda: {"NEW_HOST": "ml-b", "NEW_ACCOUNT_ID": suite.accounts["ml-b"]},
        "approved_domain.md": lambda: {"WAVE": "wave1_canary", "NEW_DOMAIN": "pypi.org",
                                       "NEW_URL": "https://docs.example.com/",
                                       "IDP_START_URL": "https://mlperimeter-local.awsapps.com/start"},
        "rotate_egress_ip.md": lambda: {"NAT_ZONE": nat_zone(suite)},
        "break_glass.md": lambda: {**ml, "INCIDENT_ROLE": "mlperimeter-incident-response"},
        "lockout_recovery.md": lambda: ml,
        "suspected_exfiltration.md": lambda: ml,
        "rollback_and_offboarding.md": lambda: {**ml, "OFFBOARD_HOST": "ml-b",
                                                "OFFBOARD_ACCOUNT_ID": suite.accounts["ml-b"],
                                                "TEARDOWN_ROLE": "mlperimeter-teardown"},
    }
    return by_runbook.get(runbook, dict)()


def nat_zone(suite):
    addresses = suite.client("ec2", "access").describe_addresses(
        Filters=[{"Name": "tag:mlperimeter:control", "Values": ["A1"]}])["Addresses"]
    names = sorted(tag["Value"] for address in addresses for tag in address.get("Tags", []) if tag["Key"] == "Name")
    return names[0].removeprefix("mlperimeter-browser-nat-")


# Set-up the runbooks' prerequisites name --------------------------------------------------------------------

def add_new_account_host(suite):
    """The onboarding prerequisite: ml-b in the inventory, in a wave of its own, with a VPC CIDR of its own."""
    hosts_path = suite.inventory / "hosts.yml"
    hosts = yaml.safe_load(hosts_path.read_text())
    hosts["all"]["children"]["perimeter_ml"]["children"]["wave2"] = {"hosts": {"ml-b": {
        "aws_account_id": suite.accounts["ml-b"], "aws_region": REGION,
        "perimeter_sagemaker_vpc_cidr": "10.31.0.0/16",
        "perimeter_sagemaker_subnet_cidrs": ["10.31.0.0/19", "10.31.32.0/19", "10.31.64.0/19"]}}}
    hosts_path.write_text(yaml.safe_dump(hosts, sort_keys=False))
    group_vars_path = suite.inventory / "group_vars" / "all.yml"
    group_vars = yaml.safe_load(group_vars_path.read_text())
    group_vars["perimeter_waves"] = ["wave1_canary", "wave2"]
    group_vars_path.write_text(yaml.safe_dump(group_vars, sort_keys=False))


def detach_resource_perimeter_by_hand(suite):
    """A verification that fails: someone detached ml-a's resource perimeter from a data-scientist role."""
    suite.client("iam", "ml-a").detach_role_policy(
        RoleName="mlperimeter-data-scientist",
        PolicyArn=f"arn:aws:iam::{suite.accounts['ml-a']}:policy/mlperimeter/mlperimeter-resource-perimeter")


def leave_a_gone_runs_lease(suite):
    """A refused rollout: a run on another controller holds the lease of every account, for another hour."""
    now = datetime.datetime.now(datetime.UTC)
    lease = {"run": GONE_RUN_ID, "operator": "alice", **GONE_RUN,
             "acquired": (now - datetime.timedelta(minutes=60)).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "expires": (now + datetime.timedelta(minutes=60)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    for host in ("access", "ml-a"):
        suite.client("ssm", host).put_parameter(Name="/mlperimeter/rollout-lease", Value=json.dumps(lease),
                                                Type="String", Overwrite=True)


SETUP = {
    "rollout_lease.md": leave_a_gone_runs_lease,
    "onboard_account.md": add_new_account_host,
    "verify_and_drift_detection.md": detach_resource_perimeter_by_hand,
}


# Stand-ins for the real-AWS-only blocks whose effect a later step needs -----------------------------------

def allocate_new_egress_ip(suite, env):
    ec2 = suite.client("ec2", "access")
    allocation = ec2.allocate_address(Domain="vpc", TagSpecifications=[{
        "ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "mlperimeter-browser-next"}]}])
    env.update(NEW_ALLOCATION=allocation["AllocationId"], NEW_IP=allocation["PublicIp"])


def move_nat_gateway(suite, env):
    ec2 = suite.client("ec2", "access")
    name = f"mlperimeter-browser-nat-{env['NAT_ZONE']}"
    (old,) = [address for address in ec2.describe_addresses(
        Filters=[{"Name": "tag:mlperimeter:control", "Values": ["A1"]}])["Addresses"]
        if {"Key": "Name", "Value": name} in address.get("Tags", [])]
    env.update(OLD_ALLOCATION=old["AllocationId"], OLD_IP=old["PublicIp"])
    ec2.create_tags(Resources=[old["AllocationId"]],
                    Tags=[{"Key": "Name", "Value": f"mlperimeter-browser-retired-{env['NAT_ZONE']}"}])
    ec2.create_tags(Resources=[env["NEW_ALLOCATION"]], Tags=[
        {"Key": "Name", "Value": name}, {"Key": "mlperimeter:managed", "Value": "true"},
        {"Key": "mlperimeter:control", "Value": "A1"}])
    # The emulator, like moto, ignores tag filters on NAT gateways: select by tag here.
    (nat,) = [nat for nat in ec2.describe_nat_gateways(
        Filters=[{"Name": "state", "Values": ["available"]}])["NatGateways"]
        if {"Key": "Name", "Value": name} in nat.get("Tags", [])]
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])


def use_break_glass_credentials(suite, env):
    env.update(BREAK_GLASS_KEYS)


def leave_break_glass_credentials(suite, env):
    for name in BREAK_GLASS_KEYS:
        env.pop(name, None)


STAND_INS = {
    "aws ec2 allocate-address": allocate_new_egress_ip,
    "aws ec2 delete-nat-gateway": move_nat_gateway,
    "export AWS_PROFILE=break-glass": use_break_glass_credentials,
    "unset AWS_PROFILE": leave_break_glass_credentials,
}


def run_block(block, env):
    try:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", block.code], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=BLOCK_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as expired:
        output = (expired.stdout or b"").decode(errors="replace") + (expired.stderr or b"").decode(errors="replace")
        return f"timed out after {BLOCK_TIMEOUT} s", output
    return (f"exit status {done.returncode}" if done.returncode else ""), done.stdout + done.stderr


@pytest.mark.parametrize(("runbook", "blocks"), RUNBOOKS, ids=[name for name, _ in RUNBOOKS])
def test_runbook(suite, runbook, blocks):
    if suite.failed:
        pytest.skip(f"{suite.failed} failed; the runbooks after it run on its state")
    suite.failed = runbook
    env = dict(suite.env, **settings(suite, runbook))
    if runbook in SETUP:
        SETUP[runbook](suite)
    ran = 0
    for block in blocks:
        if block.real_aws_only:
            for marker, stand_in in STAND_INS.items():
                if marker in block.code:
                    stand_in(suite, env)
            continue
        if not block.runs:
            continue
        failure, output = run_block(block, env)
        assert not failure, (f"{runbook}, step '{block.step}' (line {block.line}) failed, {failure}:\n"
                             f"{block.code}\n--- output (end) ---\n{output[-5000:]}")
        ran += 1
    assert ran > 0, f"{runbook} has no command the tests can run"
    suite.failed = ""
    suite.done.append(runbook)
