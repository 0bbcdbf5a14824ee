"""perimeter_facts publish: perimeter_extra_egress_ips are published beside the NAT gateways' addresses (as /32,
sorted, once each), so the ML accounts admit an egress IP before a NAT gateway leaves from it; a malformed one is
refused, naming the variable and the value, before any write."""

import json
import random
import time

import pytest
import yaml

from support.ansible import MODULE_DEFAULTS, run_playbook
from support.calls import without_lease, writes
from support.rollout_output import calls_since

REGION = "us-east-1"
NAT_IPS = ["198.51.100.7/32", "198.51.100.8/32"]
BROWSER_VPC = "vpc-0123456789abcdef0"


def publish(emulator, tmp_path, account, extra_ips):
    inventory = {"all": {"hosts": {"access": {
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "aws_account_id": account, "aws_region": REGION, "perimeter_deploy_role_name": "mlperimeter-deploy",
        "perimeter_aws_endpoint_url": emulator.url, "perimeter_operator_access_key": "facts-test",
        "perimeter_operator_secret_key": "facts-test", "perimeter_extra_egress_ips": extra_ips}}}}
    playbook = [{"name": "Publish the perimeter facts", "hosts": "access", "gather_facts": False,
                 "module_defaults": MODULE_DEFAULTS, "tasks": [
                     {"name": "Open a session in the account",
                      "ansible.builtin.include_role": {"name": "mlperimeter.aws.account_session"}},
                     {"name": "Publish", "ansible.builtin.include_role": {
                         "name": "mlperimeter.aws.perimeter_facts", "tasks_from": "publish"},
                      "vars": {"browser_network_egress_ips": NAT_IPS, "browser_network_vpc_id": BROWSER_VPC}},
                 ]}]
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "publish.yml").write_text(yaml.safe_dump(playbook, sort_keys=False))
    return run_playbook(emulator, str(tmp_path / "publish.yml"), inventory=tmp_path / "hosts.yml")


def published(emulator, account):
    ssm = emulator.client("ssm", account, region=REGION)
    return ssm.get_parameter(Name="/mlperimeter/access/egress-ips")["Parameter"]["Value"].split(",")


def new_account():
    return "".join(random.choice("0123456789") for _ in range(11)) + "3"


def test_extra_egress_ips_are_published_beside_the_nat_gateways(emulator, tmp_path):
    account = new_account()
    run = publish(emulator, tmp_path, account, ["203.0.113.9", "198.51.100.7/32"])
    assert run.returncode == 0, run.output[-4000:]
    assert published(emulator, account) == ["198.51.100.7/32", "198.51.100.8/32", "203.0.113.9/32"]

    run = publish(emulator, tmp_path, account, [])
    assert run.returncode == 0, run.output[-4000:]
    assert published(emulator, account) == NAT_IPS


@pytest.mark.parametrize("extra_ips", [["203.0.113.0/24"], ["203.0.113.256"], "203.0.113.9"])
def test_a_malformed_extra_egress_ip_is_refused_before_any_write(emulator, tmp_path, extra_ips):
    account = new_account()
    start = time.time()
    run = publish(emulator, tmp_path, account, extra_ips)
    assert run.returncode != 0
    assert ("perimeter_extra_egress_ips must list IPv4 addresses (a.b.c.d or a.b.c.d/32); got "
            f"{extra_ips if isinstance(extra_ips, str) else json.dumps(extra_ips).replace(chr(34), chr(39))}.") \
        in " ".join(run.output.split())
    assert writes(without_lease(calls_since(emulator, start, {account}))) == []
