"""Layer 1 over the local inventory: what the rollout leaves, a converged rerun, and the refusals."""

import json
import re

from support.ansible import run_playbook
from support.calls import without_lease, writes

ACCESS = "111111111111"
REGION = "us-east-1"
ML_ACCOUNTS = ("222222222222", "333333333333", "444444444444")
LOCAL = {ACCESS, *ML_ACCOUNTS}
RECAP = re.compile(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)
TRANSFERS = ("copyAllowed", "pasteAllowed", "downloadAllowed", "uploadAllowed", "printAllowed")


def _published(emulator):
    ssm = emulator.client("ssm", ACCESS, region=REGION)
    answer = ssm.get_parameters_by_path(Path="/mlperimeter/access", Recursive=True)["Parameters"]
    return {p["Name"].rsplit("/", 1)[-1]: p["Value"] for p in answer}


def test_the_access_account_has_a_locked_down_portal_leaving_through_published_egress_ips(rolled_out):
    emulator = rolled_out
    web = emulator.client("workspaces-web", ACCESS, region=REGION)
    (portal,) = [p for p in web.list_portals()["portals"] if p["displayName"] == "mlperimeter"]
    portal = web.get_portal(portalArn=portal["portalArn"])["portal"]
    assert portal["portalStatus"] == "Active"
    user = web.get_user_settings(userSettingsArn=portal["userSettingsArn"])["userSettings"]
    assert {flag: user[flag] for flag in TRANSFERS} == dict.fromkeys(TRANSFERS, "Disabled")
    subnet_ids = web.get_network_settings(networkSettingsArn=portal["networkSettingsArn"])["networkSettings"][
        "subnetIds"]

    ec2 = emulator.client("ec2", ACCESS, region=REGION)
    subnets = ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]
    assert len({s["AvailabilityZone"] for s in subnets}) >= 2
    nat_by_id = {n["NatGatewayId"]: n for n in ec2.describe_nat_gateways()["NatGateways"]}
    exits = set()
    for subnet_id in subnet_ids:
        (table,) = ec2.describe_route_tables(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])["RouteTables"]
        (default,) = [r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        nat = nat_by_id[default["NatGatewayId"]]
        exits |= {f"{a['PublicIp']}/32" for a in nat["NatGatewayAddresses"]}
    published = _published(emulator)
    assert sorted(published["egress-ips"].split(",")) == sorted(exits)
    assert published["browser-vpc-id"] == subnets[0]["VpcId"]


def test_each_ml_account_has_a_closed_vpc_and_the_network_perimeter_on_its_data_scientists(rolled_out):
    emulator = rolled_out
    egress_ips = sorted(_published(emulator)["egress-ips"].split(","))
    for account in ML_ACCOUNTS:
        ec2 = emulator.client("ec2", account, region=REGION)
        (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "tag:mlperimeter:control", "Values": ["M1"]}])["Vpcs"]
        vpc_filter = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
        assert ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}])["InternetGateways"] == []
        assert ec2.describe_nat_gateways(Filters=vpc_filter)["NatGateways"] == []
        targets = {key for table in ec2.describe_route_tables(Filters=vpc_filter)["RouteTables"]
                   for route in table["Routes"] for key in route if key.endswith("Id") and key != "GatewayId"}
        assert targets <= {"DestinationPrefixListId"}
        iam = emulator.client("iam", account, region=REGION)
        attached = iam.list_attached_role_policies(RoleName="mlperimeter-data-scientist")["AttachedPolicies"]
        (policy,) = [p for p in attached if p["PolicyName"] == "mlperimeter-network-perimeter"]
        version = iam.get_policy(PolicyArn=policy["PolicyArn"])["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=policy["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"]
        text = json.dumps(document)
        assert all(ip in text for ip in egress_ips) and vpc["VpcId"] in text


def test_a_converged_rerun_changes_nothing_and_writes_nothing(rolled_out):
    emulator = rolled_out
    emulator.reset_calls()
    run = run_playbook(emulator, "site.yml")
    assert run.returncode == 0, run.output[-4000:]
    recap = {host: (int(changed), int(failed)) for host, changed, _, failed in RECAP.findall(run.output)}
    assert recap == dict.fromkeys(["access", "ml-research", "ml-forecasting", "ml-genomics"], (0, 0))
    # The rollout lease is the run's own bookkeeping: its PutParameter and DeleteParameter are all it writes.
    assert [c for c in writes(without_lease(emulator.calls())) if c["account"] in LOCAL] == []


def test_the_perimeter_is_refused_when_it_would_name_unpublished_egress_ips(rolled_out):
    emulator = rolled_out
    emulator.reset_calls()
    run = run_playbook(emulator, "layer1.yml", extra_args=[
        "--limit", "ml-research", "-e", '{"network_perimeter_egress_ips": ["198.51.100.7/32"]}'])
    assert run.returncode != 0
    assert "M1 in account 222222222222: refusing to roll out a network perimeter naming egress IPs" in run.output
    assert [c for c in writes(without_lease(emulator.calls())) if c["account"] == "222222222222"] == []
