"""The browser_network gate fails naming A1 and the account once the browser VPC's DNS leaves the Amazon resolver."""

import yaml

from support.ansible import MODULE_DEFAULTS, run_playbook, write_role_inventory


def write_play(path, tasks_from=None):
    role = {"name": "mlperimeter.aws.browser_network", **({"tasks_from": tasks_from} if tasks_from else {})}
    play = {
        "name": f"browser_network {tasks_from or 'main'}",
        "hosts": "all",
        "gather_facts": False,
        "module_defaults": MODULE_DEFAULTS,
        "tasks": [
            {"name": "Open a session", "ansible.builtin.include_role": {"name": "mlperimeter.aws.account_session"}},
            {"name": "Run the role", "ansible.builtin.include_role": role},
        ],
    }
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    return str(path)


def test_gate_fails_when_the_vpcs_dhcp_options_send_dns_elsewhere(emulator, account_id, aws, tmp_path):
    inventory = write_role_inventory(tmp_path / "hosts.yml", emulator, account_id, host="access")
    built = run_playbook(emulator, write_play(tmp_path / "converge.yml"), inventory=inventory)
    assert built.returncode == 0, built.output
    verify = write_play(tmp_path / "verify.yml", "verify")

    ec2 = aws("ec2")
    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["mlperimeter-browser"]}])["Vpcs"]
    ec2.associate_dhcp_options(DhcpOptionsId="default", VpcId=vpc["VpcId"])
    passed = run_playbook(emulator, verify, inventory=inventory)
    assert passed.returncode == 0, passed.output

    options = ec2.create_dhcp_options(DhcpConfigurations=[
        {"Key": "domain-name-servers", "Values": ["10.0.0.2", "10.0.0.3"]}])["DhcpOptions"]["DhcpOptionsId"]
    ec2.associate_dhcp_options(DhcpOptionsId=options, VpcId=vpc["VpcId"])
    failed = run_playbook(emulator, verify, inventory=inventory)
    assert failed.returncode != 0, failed.output
    output = " ".join(failed.output.split())
    assert f"A1 FAILED in account {account_id}" in output
    assert f"DHCP options {options} send DNS to 10.0.0.2, 10.0.0.3, not the Amazon-provided resolver" in output
