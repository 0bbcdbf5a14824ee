"""mlperimeter.aws.sagemaker_domain_info against the emulator, read back with boto3."""

from support.calls import writes
from support.modules import run_module

REGION = "us-east-1"


def info(args, emulator, account_id, **kwargs):
    return run_module("sagemaker_domain_info", args, emulator=emulator, account_id=account_id, region=REGION,
                      **kwargs)


def make_domains(aws, account_id):
    ec2 = aws("ec2", region=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.50.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")[
        "Subnet"]["SubnetId"] for i, zone in ((1, "a"), (2, "b"))]
    sm = aws("sagemaker", region=REGION)
    role = f"arn:aws:iam::{account_id}:role/sagemaker-execution"
    created = {}
    for name, mode in (("research", "VpcOnly"), ("perimeter", "PublicInternetOnly")):
        created[name] = sm.create_domain(
            DomainName=name, AuthMode="IAM", VpcId=vpc, SubnetIds=subnets, AppNetworkAccessType=mode,
            DefaultUserSettings={"ExecutionRole": role}, Tags=[{"Key": "mlperimeter:control", "Value": "M3"}],
        )["DomainId"]
    return sm, vpc, subnets, created


def test_lists_every_domain_described_with_host_and_tags(emulator, account_id, aws):
    sm, vpc, subnets, created = make_domains(aws, account_id)
    mark = len(emulator.calls())
    result = info({}, emulator, account_id, check=True)
    assert result["changed"] is False
    assert [d["domain_name"] for d in result["domains"]] == ["perimeter", "research"]
    for domain in result["domains"]:
        described = sm.describe_domain(DomainId=domain["domain_id"])
        assert domain["domain_id"] == created[domain["domain_name"]]
        assert domain["domain_arn"] == described["DomainArn"]
        assert domain["url"] == described["Url"]
        assert domain["studio_host"] == f"{domain['domain_id']}.studio.{REGION}.sagemaker.aws"
        assert domain["app_network_access_type"] == described["AppNetworkAccessType"]
        assert domain["vpc_id"] == vpc
        assert domain["subnet_ids"] == subnets
        assert domain["status"] == "InService"
        role = f"arn:aws:iam::{account_id}:role/sagemaker-execution"
        assert domain["default_user_settings"] == {"execution_role": role}
        assert domain["tags"] == {"mlperimeter:control": "M3"}
    assert writes(c for c in emulator.calls()[mark:] if c["account"] == account_id) == []


def test_by_name(emulator, account_id, aws):
    _sm, _vpc, _subnets, created = make_domains(aws, account_id)
    result = info({"name": "research"}, emulator, account_id)
    assert [d["domain_id"] for d in result["domains"]] == [created["research"]]
    assert result["domains"][0]["app_network_access_type"] == "VpcOnly"
    assert info({"name": "missing"}, emulator, account_id)["domains"] == []


def test_no_domains_is_an_empty_list(emulator, account_id):
    assert info({}, emulator, account_id)["domains"] == []


def test_bad_name_fails_before_any_call(emulator, account_id):
    mark = len(emulator.calls())
    result = info({"name": "not_a_name"}, emulator, account_id)
    assert result["failed"]
    assert "name: 'not_a_name'" in result["msg"]
    assert [c for c in emulator.calls()[mark:] if c["account"] == account_id] == []
