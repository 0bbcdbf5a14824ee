"""mlperimeter.aws.sagemaker_domain against the emulator: each change four ways, read back with boto3."""

import botocore.session
import pytest
from ansible_collections.mlperimeter.aws.plugins.module_utils import sagemaker as sm_utils

from support.calls import writes
from support.modules import four_ways, run_module

REGION = "us-east-1"
TAGS = {"mlperimeter:managed": "true", "mlperimeter:control": "M3"}
SERVICE_MODEL = botocore.session.get_session().get_service_model("sagemaker")


@pytest.fixture
def ec2(aws):
    return aws("ec2", region=REGION)


@pytest.fixture
def sm(aws):
    return aws("sagemaker", region=REGION)


def make_vpc(ec2, octet):
    vpc_id = ec2.create_vpc(CidrBlock=f"10.{octet}.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.{octet}.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")[
            "Subnet"]["SubnetId"]
        for i, zone in ((1, "a"), (2, "b"), (3, "c"))
    ]
    group = ec2.create_security_group(VpcId=vpc_id, GroupName="studio", Description="NFS and the group")["GroupId"]
    return {"id": vpc_id, "subnets": subnets, "group": group}


@pytest.fixture
def vpc(ec2):
    return make_vpc(ec2, 40)


@pytest.fixture
def roles(account_id):
    return [f"arn:aws:iam::{account_id}:role/sagemaker-execution", f"arn:aws:iam::{account_id}:role/sagemaker-next"]


@pytest.fixture
def vpc_free_args():
    """A task's options as the argument spec leaves them when only the name is given."""
    return {"name": "perimeter", "state": "present", "vpc_id": None, "subnet_ids": None, "security_group_ids": None,
            "app_network_access_type": "VpcOnly", "auth_mode": "IAM", "default_execution_role_arn": None,
            "default_user_settings": None, "kms_key_id": None, "wait_timeout": 1200}


def domain_args(vpc, roles, **kwargs):
    return {
        "name": "perimeter", "vpc_id": vpc["id"], "subnet_ids": vpc["subnets"][:2],
        "security_group_ids": [vpc["group"]], "default_execution_role_arn": roles[0], "tags": TAGS, **kwargs,
    }


def run(args, emulator, account_id, **kwargs):
    return run_module("sagemaker_domain", args, emulator=emulator, account_id=account_id, region=REGION, **kwargs)


def run_four_ways(args, emulator, account_id):
    return four_ways("sagemaker_domain", args, emulator=emulator, account_id=account_id, region=REGION)


def assert_four_ways(results, changed):
    assert [r.get("failed", False) for r in results] == [False] * 4, results
    assert [r["changed"] for r in results] == [changed, changed, False, False], results


def the_domain(sm, name="perimeter"):
    (summary,) = [d for d in sm.list_domains()["Domains"] if d["DomainName"] == name]
    domain = sm.describe_domain(DomainId=summary["DomainId"])
    domain.pop("ResponseMetadata")
    return domain


def domain_calls(emulator, account_id, mark=0):
    return [c for c in emulator.calls()[mark:] if c["account"] == account_id and c["service"] == "sagemaker"]


def test_creates_a_vpc_only_domain_on_two_subnets_in_two_zones(emulator, account_id, sm, ec2, vpc, roles):
    results = run_four_ways(domain_args(vpc, roles), emulator, account_id)
    assert_four_ways(results, True)
    check, real, _, again = results
    assert check["changes"] == ["create domain 'perimeter'"]
    assert check["domain"]["domain_id"] is None
    assert check["domain"]["app_network_access_type"] == "VpcOnly"
    domain = the_domain(sm)
    assert domain["Status"] == "InService"
    assert domain["AppNetworkAccessType"] == "VpcOnly"
    assert domain["AuthMode"] == "IAM"
    assert domain["VpcId"] == vpc["id"]
    assert sorted(domain["SubnetIds"]) == sorted(vpc["subnets"][:2])
    zones = {s["AvailabilityZone"] for s in ec2.describe_subnets(SubnetIds=domain["SubnetIds"])["Subnets"]}
    assert len(zones) == 2
    assert domain["DefaultUserSettings"] == {"ExecutionRole": roles[0], "SecurityGroups": [vpc["group"]]}
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=domain["DomainArn"])["Tags"]}
    assert tags == TAGS
    for result in (real, again):
        returned = result["domain"]
        assert returned["domain_id"] == domain["DomainId"]
        assert returned["domain_arn"] == domain["DomainArn"]
        assert returned["url"] == f"https://{domain['DomainId']}.studio.{REGION}.sagemaker.aws"
        assert returned["studio_host"] == f"{domain['DomainId']}.studio.{REGION}.sagemaker.aws"
        assert returned["status"] == "InService"
        assert returned["app_network_access_type"] == "VpcOnly"
        assert returned["vpc_id"] == vpc["id"]
        assert sorted(returned["subnet_ids"]) == sorted(vpc["subnets"][:2])
        assert returned["tags"] == TAGS
    assert real["diff"]["before"] == {}
    assert real["diff"]["after"]["vpc_id"] == vpc["id"]


def test_updates_subnets_in_place(emulator, account_id, sm, vpc, roles):
    run(domain_args(vpc, roles), emulator, account_id)
    domain_id = the_domain(sm)["DomainId"]
    results = run_four_ways(domain_args(vpc, roles, subnet_ids=vpc["subnets"][1:]), emulator, account_id)
    assert_four_ways(results, True)
    assert results[0]["changes"] == [f"update domain {domain_id}: subnet_ids"]
    assert sorted(results[0]["domain"]["subnet_ids"]) == sorted(vpc["subnets"][1:])
    domain = the_domain(sm)
    assert domain["DomainId"] == domain_id
    assert sorted(domain["SubnetIds"]) == sorted(vpc["subnets"][1:])
    assert results[1]["diff"]["before"]["subnet_ids"] == sorted(vpc["subnets"][:2])
    assert results[1]["diff"]["after"]["subnet_ids"] == sorted(vpc["subnets"][1:])


def test_every_update_restates_vpc_only(emulator, account_id, sm, vpc, roles, monkeypatch):
    """The SageMaker guardrails and their SCP deny an UpdateDomain that does not send VpcOnly."""
    run(domain_args(vpc, roles), emulator, account_id)
    sent = []
    call = sm_utils.call

    def recording(client, method, what, **kwargs):
        if method == "update_domain":
            sent.append(kwargs)
        return call(client, method, what, **kwargs)

    monkeypatch.setattr(sm_utils, "call", recording)
    result = run(domain_args(vpc, roles, default_execution_role_arn=roles[1]), emulator, account_id)
    assert result["changed"]
    assert [request.get("AppNetworkAccessType") for request in sent] == ["VpcOnly"]
    assert the_domain(sm)["AppNetworkAccessType"] == "VpcOnly"


def test_updates_the_default_execution_role_and_keeps_the_other_settings(emulator, account_id, sm, vpc, roles):
    run(domain_args(vpc, roles, default_user_settings={"studio_web_portal": "ENABLED"}), emulator, account_id)
    results = run_four_ways(domain_args(vpc, roles, default_execution_role_arn=roles[1]), emulator, account_id)
    assert_four_ways(results, True)
    domain = the_domain(sm)
    assert domain["DefaultUserSettings"] == {
        "ExecutionRole": roles[1], "SecurityGroups": [vpc["group"]], "StudioWebPortal": "ENABLED",
    }
    assert results[1]["domain"]["default_user_settings"]["execution_role"] == roles[1]
    assert results[1]["diff"]["before"]["default_user_settings"]["execution_role"] == roles[0]
    assert results[1]["diff"]["after"]["default_user_settings"]["execution_role"] == roles[1]


def test_default_user_settings_are_compared_where_set(emulator, account_id, sm, vpc, roles):
    settings = {"JupyterLabAppSettings": {"DefaultResourceSpec": {"InstanceType": "ml.t3.medium"}}}
    run(domain_args(vpc, roles, default_user_settings=settings), emulator, account_id)
    snake = {"jupyter_lab_app_settings": {"default_resource_spec": {"instance_type": "ml.t3.large"}}}
    results = run_four_ways(domain_args(vpc, roles, default_user_settings=snake), emulator, account_id)
    assert_four_ways(results, True)
    lab = the_domain(sm)["DefaultUserSettings"]["JupyterLabAppSettings"]
    assert lab == {"DefaultResourceSpec": {"InstanceType": "ml.t3.large"}}


def make_public_domain(sm, vpc, roles):
    """A domain someone created outside the perimeter, straight through the API."""
    sm.create_domain(DomainName="perimeter", AuthMode="IAM", VpcId=vpc["id"], SubnetIds=vpc["subnets"][:2],
                     AppNetworkAccessType="PublicInternetOnly",
                     DefaultUserSettings={"ExecutionRole": roles[0], "SecurityGroups": [vpc["group"]]},
                     Tags=[{"Key": k, "Value": v} for k, v in TAGS.items()])
    assert the_domain(sm)["AppNetworkAccessType"] == "PublicInternetOnly"
    return the_domain(sm)["DomainId"]


def test_a_public_domain_is_refused_before_any_call(emulator, account_id, sm, vpc, roles):
    mark = len(emulator.calls())
    result = run(domain_args(vpc, roles, app_network_access_type="PublicInternetOnly"), emulator, account_id)
    assert result["failed"]
    assert "app_network_access_type" in result["msg"] and "PublicInternetOnly" in result["msg"]
    assert [c for c in emulator.calls()[mark:] if c["account"] == account_id] == []
    assert sm.list_domains()["Domains"] == []


def test_switches_a_public_domain_to_vpc_only_when_no_app_runs(emulator, account_id, sm, vpc, roles):
    make_public_domain(sm, vpc, roles)
    results = run_four_ways(domain_args(vpc, roles), emulator, account_id)
    assert_four_ways(results, True)
    assert the_domain(sm)["AppNetworkAccessType"] == "VpcOnly"


def test_network_mode_is_refused_while_apps_run(emulator, account_id, sm, vpc, roles):
    domain_id = make_public_domain(sm, vpc, roles)
    sm.create_user_profile(DomainId=domain_id, UserProfileName="alice")
    sm.create_app(DomainId=domain_id, UserProfileName="alice", AppType="JupyterServer", AppName="default")
    mark = len(emulator.calls())
    result = run(domain_args(vpc, roles), emulator, account_id)
    assert result["failed"]
    assert "app_network_access_type: current 'PublicInternetOnly', wanted 'VpcOnly'" in result["msg"]
    assert "alice/JupyterServer/default (InService)" in result["msg"]
    assert writes(domain_calls(emulator, account_id, mark)) == []
    assert the_domain(sm)["AppNetworkAccessType"] == "PublicInternetOnly"


def test_tags_are_updated_and_purged(emulator, account_id, sm, vpc, roles):
    run(domain_args(vpc, roles, tags=dict(TAGS, stage="alert")), emulator, account_id)
    results = run_four_ways(domain_args(vpc, roles, tags=dict(TAGS, owner="ml")), emulator, account_id)
    assert_four_ways(results, True)
    arn = the_domain(sm)["DomainArn"]
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}
    assert tags == dict(TAGS, owner="ml")
    assert results[1]["domain"]["tags"] == dict(TAGS, owner="ml")


@pytest.mark.parametrize(("change", "option"), [
    ("vpc", "vpc_id"),
    ("auth_mode", "auth_mode"),
    ("kms_key_id", "kms_key_id"),
])
def test_refuses_what_aws_cannot_change_in_place(emulator, account_id, sm, ec2, vpc, roles, change, option):
    key = f"arn:aws:kms:{REGION}:{account_id}:key/11111111-2222-3333-4444-555555555555"
    run(domain_args(vpc, roles, kms_key_id=key), emulator, account_id)
    before = the_domain(sm)
    if change == "vpc":
        other = make_vpc(ec2, 41)
        args = domain_args(other, roles)
        current, wanted = vpc["id"], other["id"]
    elif change == "auth_mode":
        args = domain_args(vpc, roles, auth_mode="SSO")
        current, wanted = "IAM", "SSO"
    else:
        wanted = f"arn:aws:kms:{REGION}:{account_id}:key/99999999-2222-3333-4444-555555555555"
        args = domain_args(vpc, roles, kms_key_id=wanted)
        current = key
    mark = len(emulator.calls())
    for check in (True, False):
        result = run(args, emulator, account_id, check=check)
        assert result["failed"], result
        assert f"{option}: current {current!r}, wanted {wanted!r}" in result["msg"]
        assert "replace: true" in result["msg"]
    assert writes(domain_calls(emulator, account_id, mark)) == []
    assert the_domain(sm) == before


def test_replace_deletes_and_recreates_in_the_new_vpc(emulator, account_id, sm, ec2, vpc, roles):
    run(domain_args(vpc, roles, tags=dict(TAGS, owner="ml")), emulator, account_id)
    old = the_domain(sm)
    other = make_vpc(ec2, 42)
    results = run_four_ways(domain_args(other, roles, replace=True, tags=None), emulator, account_id)
    assert_four_ways(results, True)
    assert results[0]["changes"] == [f"delete domain {old['DomainId']} (vpc_id changed)", "create domain 'perimeter'"]
    new = the_domain(sm)
    assert new["DomainId"] != old["DomainId"]
    assert new["VpcId"] == other["id"]
    assert sorted(new["SubnetIds"]) == sorted(other["subnets"][:2])
    assert new["DefaultUserSettings"]["SecurityGroups"] == [other["group"]]
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=new["DomainArn"])["Tags"]}
    assert tags == dict(TAGS, owner="ml")
    assert results[1]["domain"]["studio_host"] == f"{new['DomainId']}.studio.{REGION}.sagemaker.aws"
    assert results[1]["diff"]["before"]["vpc_id"] == vpc["id"]
    assert results[1]["diff"]["after"]["vpc_id"] == other["id"]


def test_replace_is_refused_while_the_domain_has_user_profiles(emulator, account_id, sm, ec2, vpc, roles):
    run(domain_args(vpc, roles), emulator, account_id)
    domain_id = the_domain(sm)["DomainId"]
    sm.create_user_profile(DomainId=domain_id, UserProfileName="alice")
    mark = len(emulator.calls())
    result = run(domain_args(vpc, roles, auth_mode="SSO", replace=True), emulator, account_id)
    assert result["failed"]
    assert "user profiles alice" in result["msg"]
    assert writes(domain_calls(emulator, account_id, mark)) == []
    assert the_domain(sm)["DomainId"] == domain_id


def test_absent_deletes_and_waits(emulator, account_id, sm, vpc, roles):
    run(domain_args(vpc, roles), emulator, account_id)
    domain_id = the_domain(sm)["DomainId"]
    results = run_four_ways({"name": "perimeter", "state": "absent"}, emulator, account_id)
    assert_four_ways(results, True)
    assert results[0]["changes"] == [f"delete domain {domain_id}"]
    assert results[1]["diff"]["before"]["vpc_id"] == vpc["id"]
    assert results[1]["domain"] == {}
    assert sm.list_domains()["Domains"] == []
    delete = [c for c in domain_calls(emulator, account_id) if c["operation"] == "DeleteDomain"]
    assert len(delete) == 1


def test_absent_says_plainly_what_blocks_deletion(emulator, account_id, sm, vpc, roles):
    run(domain_args(vpc, roles), emulator, account_id)
    domain_id = the_domain(sm)["DomainId"]
    sm.create_user_profile(DomainId=domain_id, UserProfileName="alice")
    sm.create_space(DomainId=domain_id, SpaceName="shared")
    for check in (True, False):
        result = run({"name": "perimeter", "state": "absent"}, emulator, account_id, check=check)
        assert result["failed"]
        assert "still has user profiles alice and spaces shared" in result["msg"]
    assert the_domain(sm)["DomainId"] == domain_id



@pytest.mark.parametrize(("args", "named"), [
    ({"name": "bad_name!"}, "name: 'bad_name!'"),
    ({"vpc_id": "vpc_123"}, "vpc_id: 'vpc_123' is not a VPC id"),
    ({"subnet_ids": ["subnet-0123456789abcdef0", "sub-1"]}, "subnet_ids[1]: 'sub-1' is not a subnet id"),
    ({"subnet_ids": []}, "subnet_ids: give at least one"),
    ({"subnet_ids": [f"subnet-{i:017x}" for i in range(17)]}, "subnet_ids: 17 given, at most 16"),
    ({"security_group_ids": ["sg-0123456789abcdef0", "sg-0123456789abcdef0"]}, "given more than once"),
    ({"security_group_ids": ["default"]}, "security_group_ids[0]: 'default' is not a security group id"),
    ({"default_execution_role_arn": "arn:aws:iam::123456789012:user/alice"}, "default_execution_role_arn:"),
    ({"kms_key_id": "my key"}, "kms_key_id: 'my key' is not a KMS key"),
    ({"wait_timeout": 0}, "wait_timeout: 0"),
])
def test_validate_params_names_the_option(vpc_free_args, args, named):
    problems = sm_utils.validate_params(dict(vpc_free_args, **args))
    assert any(named in problem for problem in problems), problems


@pytest.mark.parametrize(("settings", "named"), [
    ({"jupyter_lab_app_settings": {"default_resource_specs": {}}},
     "default_user_settings.JupyterLabAppSettings.default_resource_specs: not a member of JupyterLabAppSettings"),
    ({"NoSuchMember": "x"}, "default_user_settings.NoSuchMember: not a member of UserSettings"),
    ({"SecurityGroups": ["sg-0123456789abcdef0"]}, "set it with security_group_ids only"),
    ({"execution_role": "not-an-arn"}, "default_user_settings.ExecutionRole: 'not-an-arn'"),
    ({"custom_file_system_configs": "efs"}, "default_user_settings.CustomFileSystemConfigs: must be a list"),
])
def test_default_user_settings_are_checked_against_the_api_model(vpc_free_args, settings, named):
    args = dict(vpc_free_args, default_user_settings=settings, security_group_ids=["sg-0123456789abcdef0"])
    _settings, problems = sm_utils.desired_user_settings(args, SERVICE_MODEL)
    assert any(named in problem for problem in problems), problems


def test_argument_spec_refuses_public_internet_typo_and_unknown_auth_mode(emulator, account_id, vpc, roles):
    for args, named in (({"app_network_access_type": "Public"}, "app_network_access_type"),
                        ({"auth_mode": "LDAP"}, "auth_mode")):
        result = run(domain_args(vpc, roles, **args), emulator, account_id)
        assert result["failed"] and named in result["msg"]


def test_bad_input_fails_before_any_call(emulator, account_id, vpc, roles):
    mark = len(emulator.calls())
    result = run(domain_args(vpc, roles, subnet_ids=["subnet-nothex"], default_execution_role_arn="role"),
                 emulator, account_id)
    assert result["failed"]
    assert "subnet_ids[0]: 'subnet-nothex' is not a subnet id" in result["msg"]
    assert "default_execution_role_arn: 'role' is not an IAM role ARN" in result["msg"]
    assert domain_calls(emulator, account_id, mark) == []


def test_create_needs_vpc_subnets_and_role(emulator, account_id, sm):
    mark = len(emulator.calls())
    result = run({"name": "perimeter"}, emulator, account_id)
    assert result["failed"]
    for option in ("vpc_id", "subnet_ids", "default_execution_role_arn"):
        assert f"{option}: required to create a domain" in result["msg"]
    assert writes(domain_calls(emulator, account_id, mark)) == []
    assert sm.list_domains()["Domains"] == []
