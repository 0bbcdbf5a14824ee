"""teardown.yml over accounts of these tests' own: an access account and one ML account rolled out by
site.yml, then refused without confirmation, predicted in check mode, the ML account removed alone
(the access account rendered again without it), then everything, then nothing left to do.

The tests run in the order they are written; each step builds on the one before.
"""

import json
import time

import pytest
import yaml

from support.ansible import run_playbook
from support.calls import without_lease, writes
from support.inventory import fresh_account_id, write_inventory
from support.rollout_output import calls_since, recap

REGION = "us-east-1"
MANAGED = [{"Name": "tag:mlperimeter:managed", "Values": ["true"]}]
POLICY_DETACHES = {"DetachRolePolicy", "DetachCustomerManagedPolicyReferenceFromPermissionSet"}
NETWORK_DELETES = {"DeleteVpc", "DeleteNatGateway", "DeleteVpcEndpoints"}
# Set for the access account's group only: the ML hosts do not see it.
ACCESS_ONLY = {"perimeter_browser_allowed_urls": ["https://mlperimeter-local.awsapps.com/start",
                                                  "https://docs.example.com/"]}


@pytest.fixture(scope="module")
def accounts():
    return {"access": fresh_account_id(), "ml-a": fresh_account_id()}


@pytest.fixture(scope="module")
def inventory(tmp_path_factory, accounts):
    directory = write_inventory(tmp_path_factory.mktemp("teardown"), {"wave1_canary": {"ml-a": accounts["ml-a"]}},
                                access=accounts["access"])
    (directory / "group_vars" / "perimeter_access.yml").write_text(yaml.safe_dump(ACCESS_ONLY))
    return directory


@pytest.fixture(scope="module")
def rolled_out(emulator, inventory):
    run = run_playbook(emulator, "site.yml", inventory=inventory)
    assert run.returncode == 0, run.output[-6000:]
    return emulator


def _teardown(emulator, inventory, *args, check=False):
    start = time.time()
    run = run_playbook(emulator, "teardown.yml", inventory=inventory, extra_args=list(args), check=check)
    return run, start


def _studio_host(emulator, account):
    (domain,) = emulator.client("sagemaker", account, region=REGION).list_domains()["Domains"]
    return f"{domain['DomainId']}.studio.{REGION}.sagemaker.aws"


def _allowlist(emulator, access):
    """What the access account lets through for the ML accounts: the portal's allowed URLs, the browser
    VPC's approved names and the console endpoint's policy."""
    web = emulator.client("workspaces-web", access, region=REGION)
    (portal,) = web.list_portals()["portals"]
    settings = web.get_browser_settings(
        browserSettingsArn=web.get_portal(portalArn=portal["portalArn"])["portal"]["browserSettingsArn"])
    resolver = emulator.client("route53resolver", access, region=REGION)
    (approved,) = [d for d in resolver.list_firewall_domain_lists()["FirewallDomainLists"]
                   if d["Name"] == "mlperimeter-browser-approved"]
    names = resolver.list_firewall_domains(FirewallDomainListId=approved["Id"])["Domains"]
    ec2 = emulator.client("ec2", access, region=REGION)
    (console,) = ec2.describe_vpc_endpoints(Filters=[
        {"Name": "service-name", "Values": [f"com.amazonaws.{REGION}.console"]},
        {"Name": "vpc-endpoint-state", "Values": ["available"]}])["VpcEndpoints"]
    return {"urls": json.dumps(settings["browserSettings"]["webContentFilteringPolicy"]),
            "names": " ".join(names), "console_policy": console["PolicyDocument"]}


def _registered(emulator, access):
    ssm = emulator.client("ssm", access, region=REGION)
    answer = ssm.get_parameters_by_path(Path="/mlperimeter/registry/accounts", Recursive=True)["Parameters"]
    return sorted(p["Name"].rsplit("/", 1)[-1] for p in answer)


def _managed_left(emulator, account):
    """Everything the perimeter creates that is still in the account, by kind."""
    ec2 = emulator.client("ec2", account, region=REGION)
    left = {
        "vpcs": [v["VpcId"] for v in ec2.describe_vpcs(Filters=MANAGED)["Vpcs"]],
        "subnets": [s["SubnetId"] for s in ec2.describe_subnets(Filters=MANAGED)["Subnets"]],
        "route tables": [t["RouteTableId"] for t in ec2.describe_route_tables(Filters=MANAGED)["RouteTables"]],
        "security groups": [g["GroupId"] for g in ec2.describe_security_groups(Filters=MANAGED)["SecurityGroups"]],
        "internet gateways": [g["InternetGatewayId"]
                              for g in ec2.describe_internet_gateways(Filters=MANAGED)["InternetGateways"]],
        "NAT gateways": [n["NatGatewayId"] for n in ec2.describe_nat_gateways(Filter=MANAGED)["NatGateways"]
                         if n["State"] != "deleted"],
        "Elastic IPs": [a["PublicIp"] for a in ec2.describe_addresses(Filters=MANAGED)["Addresses"]],
        "VPC endpoints": [e["VpcEndpointId"] for e in ec2.describe_vpc_endpoints(Filters=MANAGED)["VpcEndpoints"]
                          if e["State"].lower() != "deleted"],
        "flow logs": [f["FlowLogId"] for f in ec2.describe_flow_logs(Filter=MANAGED)["FlowLogs"]],
    }
    resolver = emulator.client("route53resolver", account, region=REGION)
    left["DNS Firewall domain lists"] = [d["Name"] for d in resolver.list_firewall_domain_lists()["FirewallDomainLists"]
                                         if d["Name"].startswith("mlperimeter-")]
    left["DNS Firewall rule groups"] = [g["Name"] for g in resolver.list_firewall_rule_groups()["FirewallRuleGroups"]
                                        if g["Name"].startswith("mlperimeter-")]
    left["DNS Firewall associations"] = [
        a["Name"] for a in resolver.list_firewall_rule_group_associations()["FirewallRuleGroupAssociations"]]
    left["query logging"] = [c["Name"] for c in resolver.list_resolver_query_log_configs()["ResolverQueryLogConfigs"]
                             if c["Name"].startswith("mlperimeter-")]
    iam = emulator.client("iam", account, region=REGION)
    left["policies"] = [p["PolicyName"]
                        for p in iam.list_policies(Scope="Local", PathPrefix="/mlperimeter/")["Policies"]]
    left["roles"] = [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("mlperimeter-")]
    logs = emulator.client("logs", account, region=REGION)
    left["log groups"] = [g["logGroupName"]
                          for g in logs.describe_log_groups(logGroupNamePrefix="/mlperimeter/")["logGroups"]]
    ssm = emulator.client("ssm", account, region=REGION)
    left["SSM parameters"] = [p["Name"] for p in ssm.get_parameters_by_path(Path="/mlperimeter", Recursive=True)[
        "Parameters"]]
    left["SageMaker domains"] = [d["DomainName"] for d in emulator.client("sagemaker", account, region=REGION)
                                 .list_domains()["Domains"]]
    web = emulator.client("workspaces-web", account, region=REGION)
    left["portals"] = [p["portalArn"] for p in web.list_portals()["portals"]]
    left["browser settings"] = [s["browserSettingsArn"] for s in web.list_browser_settings()["browserSettings"]]
    left["user settings"] = [s["userSettingsArn"] for s in web.list_user_settings()["userSettings"]]
    left["network settings"] = [s["networkSettingsArn"] for s in web.list_network_settings()["networkSettings"]]
    left["hosted zones"] = [z["Name"] for z in emulator.client("route53", account, region=REGION)
                            .list_hosted_zones()["HostedZones"] if "mlperimeter" in z["Config"].get("Comment", "")]
    left["buckets"] = [b["Name"] for b in emulator.client("s3", account, region=REGION).list_buckets()["Buckets"]
                       if b["Name"].startswith(f"mlperimeter-session-logs-{account}")]
    return {kind: names for kind, names in left.items() if names}


def test_without_confirmation_nothing_is_called(rolled_out, inventory, accounts):
    for args in ([], ["-e", f"perimeter_teardown_confirm={accounts['ml-a']}"]):
        run, start = _teardown(rolled_out, inventory, *args)
        assert run.returncode != 0
        assert "Teardown refused before any AWS call" in run.output
        assert (f"-e perimeter_teardown_confirm={','.join(sorted(accounts.values()))}" in run.output)
        assert calls_since(rolled_out, start, set(accounts.values())) == []


def test_check_mode_predicts_removal_and_writes_nothing(rolled_out, inventory, accounts):
    run, start = _teardown(rolled_out, inventory,
                           "-e", f"perimeter_teardown_confirm={accounts['access']},{accounts['ml-a']}", check=True)
    assert run.returncode == 0, run.output[-6000:]
    changed = recap(run.output)
    assert changed["access"][0] > 0 and changed["ml-a"][0] > 0
    assert writes(calls_since(rolled_out, start, set(accounts.values()))) == []
    assert _managed_left(rolled_out, accounts["ml-a"])["VPC endpoints"]


def test_limited_to_the_ml_account_it_removes_only_that_account(rolled_out, inventory, accounts):
    access, ml = accounts["access"], accounts["ml-a"]
    studio_host = _studio_host(rolled_out, ml)
    before = _allowlist(rolled_out, access)
    assert studio_host in before["urls"] and studio_host in before["names"] and ml in before["console_policy"]
    assert "https://docs.example.com/" in before["urls"] and "docs.example.com" in before["names"]
    assert _registered(rolled_out, access) == sorted([access, ml])

    run, start = _teardown(rolled_out, inventory, "--limit", "ml-a", "-e", f"perimeter_teardown_confirm={ml}")
    assert run.returncode == 0, run.output[-6000:]

    assert _managed_left(rolled_out, ml) == {}
    assert _registered(rolled_out, access) == [access]
    after = _allowlist(rolled_out, access)
    assert studio_host not in after["urls"] and studio_host not in after["names"]
    assert ml not in after["console_policy"] and access in after["console_policy"]
    # Rendered with the access account's own variables, as site.yml renders it, not the ML host's.
    assert "https://docs.example.com/" in after["urls"] and "docs.example.com" in after["names"]
    left = _managed_left(rolled_out, access)
    assert left["portals"] and left["vpcs"] and left["NAT gateways"] and left["SSM parameters"]

    calls = calls_since(rolled_out, start, {access, ml})
    operations = [(c["operation"], c["account"]) for c in calls if c["status"] < 300]
    detaches = [i for i, (operation, _) in enumerate(operations) if operation in POLICY_DETACHES]
    network = [i for i, (operation, account) in enumerate(operations) if operation in NETWORK_DELETES and account == ml]
    assert {operation for operation, _ in operations if operation in POLICY_DETACHES} == POLICY_DETACHES
    assert network and max(detaches) < min(network), operations
    assert "DeleteNatGateway" not in {operation for operation, account in operations if account == access}


def test_the_whole_perimeter_goes_and_nothing_tagged_managed_is_left(rolled_out, inventory, accounts):
    run, start = _teardown(rolled_out, inventory,
                           "-e", f"perimeter_teardown_confirm={accounts['access']},{accounts['ml-a']}")
    assert run.returncode == 0, run.output[-6000:]
    for account in accounts.values():
        assert _managed_left(rolled_out, account) == {}, account
    sso = rolled_out.client("sso-admin", accounts["access"], region=REGION)
    (instance,) = sso.list_instances()["Instances"]
    assert sso.list_permission_sets(InstanceArn=instance["InstanceArn"])["PermissionSets"] == []
    operations = {c["operation"] for c in calls_since(rolled_out, start, {accounts["access"]})}
    assert {"DeleteNatGateway", "ReleaseAddress", "DeleteVpc", "DeletePortal"} <= operations


def test_a_second_teardown_changes_nothing(rolled_out, inventory, accounts):
    run, start = _teardown(rolled_out, inventory,
                           "-e", f"perimeter_teardown_confirm={accounts['access']},{accounts['ml-a']}")
    assert run.returncode == 0, run.output[-6000:]
    assert recap(run.output) == {"access": (0, 0), "ml-a": (0, 0)}
    assert writes(without_lease(calls_since(rolled_out, start, set(accounts.values())))) == []
