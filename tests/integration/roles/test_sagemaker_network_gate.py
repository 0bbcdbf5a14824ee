"""The sagemaker_network gate fails naming M1 and the account once the VPC gets a way out."""

import re

from support.ansible import run_playbook, write_role_inventory, write_role_play


def test_gate_fails_naming_m1_and_the_account_when_an_internet_gateway_and_route_appear(
    emulator, account_id, aws, tmp_path
):
    inventory = write_role_inventory(tmp_path / "hosts.yml", emulator, account_id)
    converge = write_role_play(tmp_path / "converge.yml", "sagemaker_network", None)
    verify = write_role_play(tmp_path / "verify.yml", "sagemaker_network", "verify")

    built = run_playbook(emulator, converge, inventory=inventory)
    assert built.returncode == 0, built.output
    passed = run_playbook(emulator, verify, inventory=inventory)
    assert passed.returncode == 0, passed.output
    assert f"M1 passed in account {account_id}" in passed.output

    ec2 = aws("ec2")
    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["mlperimeter-sagemaker"]}])["Vpcs"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc["VpcId"])
    (main_table,) = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"]
    ec2.create_route(RouteTableId=main_table["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)

    failed = run_playbook(emulator, verify, inventory=inventory)
    assert failed.returncode != 0, failed.output
    output = " ".join(failed.output.split())
    assert f"M1 FAILED in account {account_id} (VPC {vpc['VpcId']}, eu-west-1)" in output
    assert f"internet gateway {igw} is attached" in output
    assert f"route table {main_table['RouteTableId']} sends 0.0.0.0/0 to {igw}" in output

    # A rerun reports the way out it did not create and leaves it in place for its owner to remove.
    rerun = run_playbook(emulator, converge, inventory=inventory)
    assert rerun.returncode == 0, rerun.output
    assert "has a way out that this role did not create and does not remove" in " ".join(rerun.output.split())
    attached = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}])
    assert [g["InternetGatewayId"] for g in attached["InternetGateways"]] == [igw]


VPC_READS = ("Find the SageMaker VPC by id, or by its name and the project's tags", "Read the subnets the role created",
             "Read the delivery role of the flow logs", "Compare the VPC's flow log with the one the role sets up",
             "Read the internet gateways attached to the VPC")


def gate_reads(run):
    """Whether each of the gate's reads ran ('ran') or was skipped, in VPC_READS order (ways out: the gate's run)."""
    outcomes = []
    for task in VPC_READS:
        found = re.findall(r"TASK \[mlperimeter\.aws\.sagemaker_network : " + re.escape(task) + r"\][^\n]*\n(\w+):",
                           run.output)
        # The ways out are read by main first; the gate's own read is the second.
        status = found[-1] if task != VPC_READS[-1] else (found[1] if len(found) > 1 else "skipping")
        outcomes.append("skipped" if status == "skipping" else "ran")
    return outcomes


def test_right_after_a_run_that_changed_nothing_the_gate_judges_from_its_reads_and_still_fails_on_a_way_out(
    emulator, account_id, aws, tmp_path
):
    inventory = write_role_inventory(tmp_path / "hosts.yml", emulator, account_id)
    playbook = write_role_play(tmp_path / "converge_and_gate.yml", "sagemaker_network", None, "verify")

    built = run_playbook(emulator, playbook, inventory=inventory)
    assert built.returncode == 0, built.output
    assert gate_reads(built) == ["ran"] * len(VPC_READS)

    converged = run_playbook(emulator, playbook, inventory=inventory)
    assert converged.returncode == 0, converged.output
    assert gate_reads(converged) == ["skipped"] * len(VPC_READS)
    ec2 = aws("ec2")
    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["mlperimeter-sagemaker"]}])["Vpcs"]
    assert f"M1 passed in account {account_id} (VPC {vpc['VpcId']}, eu-west-1)" in " ".join(converged.output.split())

    # A way out main did not make: main changes nothing and reports it, and the gate fails on main's reading.
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc["VpcId"])
    failed = run_playbook(emulator, playbook, inventory=inventory)
    assert failed.returncode != 0, failed.output
    assert gate_reads(failed) == ["skipped"] * len(VPC_READS)
    output = " ".join(failed.output.split())
    assert f"M1 FAILED in account {account_id} (VPC {vpc['VpcId']}, eu-west-1): internet gateway {igw} is attached" \
        in output
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc["VpcId"])

    # DHCP options are not main's: the gate reads them whatever main found.
    options = ec2.create_dhcp_options(DhcpConfigurations=[{"Key": "domain-name-servers", "Values": ["10.0.0.2"]}])
    options_id = options["DhcpOptions"]["DhcpOptionsId"]
    ec2.associate_dhcp_options(DhcpOptionsId=options_id, VpcId=vpc["VpcId"])
    failed = run_playbook(emulator, playbook, inventory=inventory)
    assert failed.returncode != 0, failed.output
    assert f"DHCP options {options_id} send DNS to 10.0.0.2, not the Amazon-provided resolver" \
        in " ".join(failed.output.split())

    # A flow log deleted by hand: main puts it back, so the gate reads everything for itself.
    (flow_log,) = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}])["FlowLogs"]
    ec2.delete_flow_logs(FlowLogIds=[flow_log["FlowLogId"]])
    ec2.associate_dhcp_options(DhcpOptionsId="default", VpcId=vpc["VpcId"])
    repaired = run_playbook(emulator, playbook, inventory=inventory)
    assert repaired.returncode == 0, repaired.output
    assert gate_reads(repaired) == ["ran"] * len(VPC_READS)
