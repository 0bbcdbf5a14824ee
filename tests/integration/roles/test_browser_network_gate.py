"""The browser_network gate fails naming A1 and the account once the browser VPC's DNS leaves the Amazon resolver."""

from support.ansible import run_playbook, write_role_inventory, write_role_play


def test_gate_fails_when_the_vpcs_dhcp_options_send_dns_elsewhere(emulator, account_id, aws, tmp_path):
    inventory = write_role_inventory(tmp_path / "hosts.yml", emulator, account_id, host="access")
    converge = write_role_play(tmp_path / "converge.yml", "browser_network", None)
    built = run_playbook(emulator, converge, inventory=inventory)
    assert built.returncode == 0, built.output
    verify = write_role_play(tmp_path / "verify.yml", "browser_network", "verify")

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
