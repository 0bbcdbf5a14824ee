"""The sagemaker_network gate fails naming M1 and the account once the VPC gets a way out."""

import yaml

from support.ansible import MODULE_DEFAULTS, run_playbook, write_role_inventory


def write_play(path, tasks_from):
    role = {"name": "mlperimeter.aws.sagemaker_network"}
    if tasks_from:
        role["tasks_from"] = tasks_from
    play = {
        "name": f"sagemaker_network {tasks_from or 'main'}",
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


def test_gate_fails_naming_m1_and_the_account_when_an_internet_gateway_and_route_appear(
    emulator, account_id, aws, tmp_path
):
    inventory = write_role_inventory(tmp_path / "hosts.yml", emulator, account_id)
    converge = write_play(tmp_path / "converge.yml", None)
    verify = write_play(tmp_path / "verify.yml", "verify")

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
