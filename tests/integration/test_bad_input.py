"""Malformed input is refused before any AWS write, with a message naming the field and the value.

One table per way in: module arguments (run in-process against the emulator, whose call log must
show no write in the test's account), filter arguments (pure), the operator's perimeter_* variables
(the check site.yml and onboard_account.yml run first), and a few whole playbook runs with ``-e``
overrides on an inventory of their own, which must fail before any call in its accounts.
"""

import json

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.mlperimeter.aws.plugins.filter.browser_allowlist import (
    aws_console_urls,
    dns_firewall_domains,
    web_content_filtering_policy,
)
from ansible_collections.mlperimeter.aws.plugins.filter.endpoint_policies import (
    console_endpoint_policy,
    s3_gateway_endpoint_policy,
    sagemaker_endpoint_policy,
)
from ansible_collections.mlperimeter.aws.plugins.filter.inputs import perimeter_input_problems
from ansible_collections.mlperimeter.aws.plugins.filter.perimeter_policies import (
    network_perimeter_policy,
    resource_control_policies,
    resource_perimeter_policy,
    sagemaker_guardrails_policy,
)
from ansible_collections.mlperimeter.aws.plugins.filter.registry import registry_cidr_collisions

from support.ansible import REPO, run_playbook
from support.calls import writes
from support.inventory import fresh_account_id, write_inventory
from support.modules import run_module

VPC = "vpc-0123456789abcdef0"
SUBNETS = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
BROWSER_VPC = {"vpc_id": "vpc-0aaaaaaaaaaaaaaaa", "region": "us-east-1"}
SAGEMAKER_VPC = {"vpc_id": "vpc-0bbbbbbbbbbbbbbbb", "region": "us-east-1"}
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
PERIMETER_POLICY = {"control": "M1", "name": "perimeter", "policy": POLICY}
PERMISSION_SET_INSTANCE = "arn:aws:sso:::instance/ssoins-1111222233334444"
HUGE_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": f"S{i}", "Effect": "Deny", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::bucket-{i:04d}/*"}
    for i in range(200)]}


def case(target, args, field, value):
    """One malformed input: what receives it, its arguments, and the field and value the refusal must name."""
    # Ids name the target by name: a function's repr holds its address, which differs between test workers.
    name = getattr(target, "__name__", target)
    return pytest.param(target, args, field, value, id=f"{name}-{field}-{value}"[:90])


# (module, arguments, field, value): each refused in-process before any write.
MODULE_CASES = [
    case("dns_firewall_domain_list", {"name": "approved", "domains": ["bad domain!.example"]},
         "domains", "bad domain!.example"),
    case("dns_firewall_domain_list", {"name": "approved", "domains": ["example.*.com"]}, "domains", "example.*.com"),
    case("dns_firewall_domain_list", {"name": "123456", "domains": ["example.com"]}, "name", "123456"),
    case("dns_firewall_rule_group", {"name": "bad/name", "rules": []}, "name", "bad/name"),
    case("dns_firewall_rule_group", {"name": "group", "rules": [
        {"name": "allow", "priority": 0, "action": "ALLOW", "domain_list": "approved"}]}, "priority", "0"),
    case("dns_firewall_association", {"rule_group": "group", "vpc_id": VPC, "priority": 100}, "priority", "100"),
    case("dns_firewall_association", {"rule_group": "group", "vpc_id": VPC, "priority": 9900}, "priority", "9900"),
    case("dns_firewall_association", {"rule_group": "group", "vpc_id": "vpc-XYZ", "priority": 5000},
         "vpc_id", "vpc-XYZ"),
    case("dns_firewall_config", {"vpc_id": "subnet-0123456789abcdef0"}, "vpc_id", "subnet-0123456789abcdef0"),
    case("resolver_query_logging", {"name": "queries", "destination_arn": "arn:aws:sqs:us-east-1:123456789012:q"},
         "destination_arn", "arn:aws:sqs:us-east-1:123456789012:q"),
    case("resolver_query_logging", {"name": "queries", "vpc_ids": ["vpc-1"],
                                    "destination_arn": "arn:aws:logs:eu-west-1:123456789012:log-group:queries"},
         "vpc_ids", "vpc-1"),
    case("iam_perimeter_policy", {**PERIMETER_POLICY, "name": "bad name!"}, "name", "bad name!"),
    case("iam_perimeter_policy", {**PERIMETER_POLICY, "path": "mlperimeter"}, "path", "mlperimeter"),
    case("iam_perimeter_policy", {**PERIMETER_POLICY, "policy": {"Version": "2012-10-17"}}, "policy", "Statement"),
    case("iam_perimeter_policy", {**PERIMETER_POLICY, "policy": HUGE_POLICY}, "policy", "6144"),
    case("iam_perimeter_policy_default_version", {"name": "perimeter", "version": "latest"}, "version", "latest"),
    case("iam_role_policy_attachment", {"policy_arn": "arn:aws:s3:::bucket", "role_names": ["DataScientist"],
                                        "deploy_role_name": "mlperimeter-deploy"},
         "policy_arn", "arn:aws:s3:::bucket"),
    case("iam_role_policy_attachment", {"policy_arn": "arn:aws:iam::123456789012:policy/mlperimeter/p",
                                        "role_names": ["arn:aws:iam::123456789012:role/DataScientist"],
                                        "deploy_role_name": "mlperimeter-deploy"},
         "role_names", "arn:aws:iam::123456789012:role/DataScientist"),
    case("iam_role_policy_attachment", {"policy_arn": "arn:aws:iam::123456789012:policy/mlperimeter/p",
                                        "role_names": ["mlperimeter-deploy"], "deploy_role_name": "mlperimeter-deploy"},
         "role_names", "mlperimeter-deploy"),
    case("iam_role_policy_attachment", {"policy_arn": "arn:aws:iam::123456789012:policy/mlperimeter/p",
                                        "role_names": ["DataScientist"], "deploy_role_name": "bad role!"},
         "deploy_role_name", "bad role!"),
    case("identity_center_permission_set", {"name": "DataScientist", "instance_arn": "arn:aws:sso:::instance/bad"},
         "instance_arn", "arn:aws:sso:::instance/bad"),
    case("identity_center_permission_set", {"name": "x" * 33, "instance_arn": PERMISSION_SET_INSTANCE},
         "name", "x" * 33),
    case("identity_center_permission_set", {"name": "DataScientist", "instance_arn": PERMISSION_SET_INSTANCE,
                                            "session_duration": "4 hours"}, "session_duration", "4 hours"),
    case("identity_center_permission_set", {"name": "DataScientist", "instance_arn": PERMISSION_SET_INSTANCE,
                                            "session_duration": "PT13H"}, "session_duration", "PT13H"),
    case("identity_center_permission_set_policy", {"permission_set_name": "DataScientist", "policy_names": ["p"],
                                                   "accounts": ["12345"]}, "accounts", "12345"),
    case("identity_center_permission_set_policy", {"permission_set_name": "DataScientist", "policy_names": ["p"],
                                                   "policy_path": "mlperimeter"}, "policy_path", "mlperimeter"),
    case("vpc_endpoint", {"vpc_id": "vpc-nothex", "service_name": "com.amazonaws.eu-west-1.s3"},
         "vpc_id", "vpc-nothex"),
    case("vpc_endpoint", {"vpc_id": VPC, "service_name": "com.amazonaws.eu-west-1.s3",
                          "policy": {"Statement": "everything"}}, "policy", "everything"),
    case("vpc_flow_log", {"resource_id": "i-0123456789abcdef0", "destination_type": "cloud-watch-logs",
                          "log_group_name": "/flow", "deliver_logs_permission_arn": "arn:aws:iam::123456789012:role/f"},
         "resource_id", "i-0123456789abcdef0"),
    case("vpc_flow_log", {"resource_id": VPC, "destination_type": "s3", "s3_bucket_arn": "my-bucket"},
         "s3_bucket_arn", "my-bucket"),
    case("sagemaker_domain", {"name": "studio", "vpc_id": VPC, "subnet_ids": [f"subnet-{i:017x}" for i in range(17)],
                              "security_group_ids": ["sg-0123456789abcdef0"],
                              "default_execution_role_arn": "arn:aws:iam::123456789012:role/exec"},
         "subnet_ids", "17"),
    case("sagemaker_domain", {"name": "studio", "vpc_id": VPC, "subnet_ids": ["subnet-xyz"],
                              "security_group_ids": ["sg-0123456789abcdef0"],
                              "default_execution_role_arn": "arn:aws:iam::123456789012:role/exec"},
         "subnet_ids", "subnet-xyz"),
    case("sagemaker_domain", {"name": "studio", "vpc_id": VPC, "subnet_ids": SUBNETS,
                              "security_group_ids": ["sg-0123456789abcdef0"],
                              "default_execution_role_arn": "role/exec"},
         "default_execution_role_arn", "role/exec"),
    case("sagemaker_domain_info", {"name": "studio domain!"}, "name", "studio domain!"),
    case("secure_browser_portal", {"display_name": "portal", "ip_access_settings": {
        "rules": [{"ip_range": "10.0.0.0/33"}]}}, "ip_range", "10.0.0.0/33"),
    case("secure_browser_portal", {"display_name": "portal", "max_concurrent_sessions": 0},
         "max_concurrent_sessions", "0"),
    case("secure_browser_portal_info", {"portal_arn": "arn:aws:s3:::portal"}, "portal_arn", "arn:aws:s3:::portal"),
]


def _account_writes(emulator, account_id):
    return writes([c for c in emulator.calls() if c["account"] == account_id])


@pytest.mark.parametrize(("module", "args", "field", "value"), MODULE_CASES)
def test_module_refuses_bad_input_before_any_write(emulator, account_id, module, args, field, value):
    result = run_module(module, args, emulator=emulator, account_id=account_id)

    assert result.get("failed"), result
    assert field in result["msg"] and value in result["msg"], result["msg"]
    assert _account_writes(emulator, account_id) == []


# (filter, keyword arguments, field, value): each refused with AnsibleFilterError.
RESOURCE_PERIMETER = {"account_id": "123456789012", "region": "us-east-1"}
RCP = {"org_id": "o-a1b2c3d4e5", "ml_buckets": ["ml-data"], "egress_ips": ["198.51.100.7/32"], "vpc_ids": [VPC]}
FILTER_CASES = [
    case(network_perimeter_policy, {"egress_ips": ["10.0.0.300/32"], "browser_vpc": BROWSER_VPC,
                                    "sagemaker_vpc": SAGEMAKER_VPC}, "egress_ips", "10.0.0.300/32"),
    case(network_perimeter_policy, {"egress_ips": ["0.0.0.0/0"], "browser_vpc": BROWSER_VPC,
                                    "sagemaker_vpc": SAGEMAKER_VPC}, "egress_ips", "0.0.0.0/0"),
    case(network_perimeter_policy, {"egress_ips": ["198.51.100.7/32"], "browser_vpc": {"vpc_id": "vpc-1",
                                                                                      "region": "us-east-1"},
                                    "sagemaker_vpc": SAGEMAKER_VPC}, "browser_vpc.vpc_id", "vpc-1"),
    case(network_perimeter_policy, {"egress_ips": ["198.51.100.7/32"], "browser_vpc": BROWSER_VPC,
                                    "sagemaker_vpc": {"vpc_id": SAGEMAKER_VPC["vpc_id"], "region": "Ireland"}},
         "sagemaker_vpc.region", "Ireland"),
    case(network_perimeter_policy, {"egress_ips": ["198.51.100.7/32"], "browser_vpc": BROWSER_VPC,
                                    "sagemaker_vpc": SAGEMAKER_VPC,
                                    "break_glass_principals": ["arn:aws:sts::123456789012:assumed-role/bg/me"]},
         "break_glass_principals", "arn:aws:sts::123456789012:assumed-role/bg/me"),
    case(resource_perimeter_policy, {**RESOURCE_PERIMETER, "account_id": 123456789012}, "account_id", "123456789012"),
    case(resource_perimeter_policy, {**RESOURCE_PERIMETER, "trusted_resource_accounts": ["12345678901"]},
         "trusted_resource_accounts", "12345678901"),
    case(resource_perimeter_policy, {**RESOURCE_PERIMETER, "perimeter_policy_path": "/"}, "perimeter_policy_path", "/"),
    case(resource_perimeter_policy, {**RESOURCE_PERIMETER, "aws_owned_resources": ["jumpstart-bucket"]},
         "aws_owned_resources", "jumpstart-bucket"),
    case(resource_control_policies, {**RCP, "org_id": "o-short"}, "org_id", "o-short"),
    case(resource_control_policies, {**RCP, "ml_buckets": ["Bad_Bucket"]}, "ml_buckets", "Bad_Bucket"),
    case(resource_control_policies, {**RCP, "ml_buckets": ["arn:aws:s3:::ml-data"]}, "ml_buckets",
         "arn:aws:s3:::ml-data"),
    case(resource_control_policies, {**RCP, "vpce_ids": ["vpce-xyz"]}, "vpce_ids", "vpce-xyz"),
    case(sagemaker_guardrails_policy, {"break_glass_principals": ["mlperimeter-break-glass"]},
         "break_glass_principals", "mlperimeter-break-glass"),
    case(console_endpoint_policy, {"account_ids": ["1234"]}, "account_ids", "1234"),
    case(sagemaker_endpoint_policy, {"org_id": "o-a1b2c3d4e5", "region": "us-east-1", "ou_paths": ["o-a1b2c3d4e5/"]},
         "ou_paths", "o-a1b2c3d4e5/"),
    case(s3_gateway_endpoint_policy, {"org_id": "o-a1b2c3d4e5", "region": "us-east-1", "ml_buckets": ["my..bucket"]},
         "ml_buckets", "my..bucket"),
    case(web_content_filtering_policy, {"allowed": ["ftp://files.example.com"]}, "allowed", "ftp://files.example.com"),
    case(web_content_filtering_policy, {"allowed": ["*"]}, "allowed", "*"),
    case(web_content_filtering_policy, {"allowed": ["https://10.0.0.1/"]}, "allowed", "https://10.0.0.1/"),
    case(dns_firewall_domains, {"allowed": ["example.com"], "extra_names": ["bad name"]}, "extra_names", "bad name"),
    case(aws_console_urls, {"regions": ["mars-north-1x"]}, "regions", "mars-north-1x"),
    case(registry_cidr_collisions, {"entries": [], "cidr": "10.0.0.0/33"}, "cidr", "10.0.0.0/33"),
]


@pytest.mark.parametrize(("render", "kwargs", "field", "value"), FILTER_CASES)
def test_filter_refuses_bad_input(render, kwargs, field, value):
    with pytest.raises(AnsibleFilterError) as refused:
        render(**kwargs)

    assert field in str(refused.value) and value in str(refused.value), str(refused.value)


# (variable, value): the operator's variables, checked before a rollout's first call.
VARIABLE_CASES = [
    ("perimeter_approved_domains", ["bad domain!.example"]),
    ("perimeter_approved_domains", ["*"]),
    ("perimeter_browser_dns_extra_names", ["cdn..example.com"]),
    ("perimeter_browser_allowed_urls", ["javascript:alert(1)"]),
    ("perimeter_browser_allowed_urls", ["https://user:pw@idp.example.com/"]),
    ("perimeter_org_id", "org-123"),
    ("perimeter_org_ou_paths", ["ou-ab12-11111111"]),
    ("perimeter_trusted_resource_accounts", [123456789012]),
    ("perimeter_identity_center_account_id", "9999-8888-7777"),
    ("perimeter_identity_center_region", "Frankfurt"),
    ("perimeter_break_glass_principals", ["mlperimeter-break-glass"]),
    ("perimeter_ml_buckets", "mlperimeter-ml-data"),
    ("perimeter_ml_buckets", ["ML_Data"]),
    ("perimeter_data_scientist_roles", ["arn:aws:iam::123456789012:role/DataScientist"]),
    ("perimeter_permission_sets", ["Data Scientist"]),
    ("perimeter_browser_vpc_cidr", "10.20.0.0/8"),
    ("perimeter_sagemaker_vpc_cidr", "10.30.0.0"),
    ("perimeter_sagemaker_subnet_cidrs", ["10.30.0.0/33"]),
    ("perimeter_sagemaker_vpc_id", "vpc-123"),
    ("perimeter_browser_az_count", 1),
    ("perimeter_sagemaker_az_count", "two"),
    ("perimeter_dns_firewall_mode", "DENY"),
    ("perimeter_browser_dns_firewall_mode", "block"),
    ("perimeter_flow_logs_destination", "kinesis"),
    ("perimeter_log_retention_days", 42),
    ("perimeter_portal_ip_access_rules", [{"ip_range": "anywhere"}]),
    ("perimeter_sagemaker_endpoint_services", ["SageMaker API"]),
    ("perimeter_tags", {"mlperimeter:managed": "false"}),
    ("perimeter_deploy_role_name", "mlperimeter deploy"),
    ("perimeter_lease_enabled", "sometimes"),
    ("perimeter_lease_minutes", 1441),
    ("perimeter_lease_take_over", "ci-runner-7:4242"),
]


@pytest.mark.parametrize(("variable", "value"), VARIABLE_CASES, ids=[f"{n}={v}" for n, v in VARIABLE_CASES])
def test_perimeter_variable_refused(variable, value):
    problems = perimeter_input_problems({variable: value, "perimeter_waves": ["wave1"]})

    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{variable}: ") and _shown(value) in problems[0], problems[0]


def _shown(value):
    """How a bad value appears in a message: the offending element of a list or mapping, as Python shows it."""
    if isinstance(value, list):
        value = value[0]
    if isinstance(value, dict):
        value = next(iter(value.values())) if "ip_range" in value else next(iter(value))
    return repr(value)


def test_the_local_and_example_inventories_pass_the_check():
    for inventory in ("local", "example"):
        group_vars = yaml.safe_load((REPO / "inventories" / inventory / "group_vars" / "all.yml").read_text())
        values = {k: v for k, v in group_vars.items() if k.startswith("perimeter_") and "{{" not in json.dumps(v)}

        assert perimeter_input_problems(values) == [], inventory


# Whole runs: refused in the plan before any call, so the inventory's accounts see none at all.
PLAYBOOK_CASES = [
    ("site.yml", {"perimeter_approved_domains": ["bad domain!.example"]}, "perimeter_approved_domains",
     "bad domain!.example"),
    ("site.yml", {"perimeter_org_id": "org-123"}, "perimeter_org_id", "org-123"),
    ("site.yml", {"perimeter_trusted_resource_accounts": [123456789012]}, "perimeter_trusted_resource_accounts",
     "123456789012"),
    ("site.yml", {"perimeter_ml_buckets": "not-a-list"}, "perimeter_ml_buckets", "not-a-list"),
    ("site.yml", {"perimeter_waves": ["wave1_canary", "no_such_wave"]}, "perimeter_waves", "no_such_wave"),
    ("onboard_account.yml", {"perimeter_onboard": "ml-one", "perimeter_sagemaker_vpc_cidr": "10.30.0.0/8"},
     "perimeter_sagemaker_vpc_cidr", "10.30.0.0/8"),
    ("onboard_account.yml", {"perimeter_onboard": "ml-one", "perimeter_dns_firewall_mode": "OFF"},
     "perimeter_dns_firewall_mode", "OFF"),
    ("onboard_account.yml", {"perimeter_onboard": "no-such-host"}, "perimeter_onboard", "no-such-host"),
]


def _calls_touching(emulator, accounts):
    """Calls made in the accounts, or naming them (the operator's AssumeRole into their deploy roles)."""
    return [c for c in emulator.calls()
            if c["account"] in accounts or any(account in str(c["resource"]) for account in accounts)]


@pytest.fixture(scope="module")
def own_inventory(tmp_path_factory):
    directory = tmp_path_factory.mktemp("bad-input-inventory")
    ml = fresh_account_id()
    inventory = write_inventory(directory, {"wave1_canary": {"ml-one": ml}})
    access = yaml.safe_load((inventory / "hosts.yml").read_text())["all"]["children"]["perimeter_access"]
    return inventory, {ml, access["hosts"]["access"]["aws_account_id"]}


@pytest.mark.parametrize(("playbook", "extra", "field", "value"), PLAYBOOK_CASES,
                         ids=[f"{p}-{f}" for p, _, f, _ in PLAYBOOK_CASES])
def test_playbook_refuses_before_any_call(emulator, own_inventory, playbook, extra, field, value):
    inventory, accounts = own_inventory
    run = run_playbook(emulator, playbook, inventory=inventory, extra_args=["-e", json.dumps(extra)])

    assert run.returncode != 0, run.output[-3000:]
    refusal = run.output.replace("\n", " ").replace("  ", " ")
    assert field in refusal and value in refusal, run.output[-3000:]
    assert _calls_touching(emulator, accounts) == []


def test_playbook_refuses_missing_account_id(emulator, tmp_path):
    ml = fresh_account_id()
    inventory = write_inventory(tmp_path, {"wave1_canary": {"ml-one": ml}})
    hosts = yaml.safe_load((inventory / "hosts.yml").read_text())
    del hosts["all"]["children"]["perimeter_ml"]["children"]["wave1_canary"]["hosts"]["ml-one"]["aws_account_id"]
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts))

    run = run_playbook(emulator, "site.yml", inventory=inventory)

    assert run.returncode != 0
    assert "Host ml-one: aws_account_id must be a quoted 12-digit string" in run.output
    assert "aws_account_id=(unset)" in run.output
    assert _calls_touching(emulator, {ml}) == []
