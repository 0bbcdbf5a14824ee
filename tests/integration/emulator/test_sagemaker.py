"""Contract tests of the emulator's SageMaker AI: Studio domains (create, describe, update,
list, delete), user profiles, apps, presigned URLs, and the network settings of jobs,
models and notebook instances, driven through boto3."""

import re

import pytest
from botocore.exceptions import ClientError

from support.contract import call


@pytest.fixture
def sm(aws):
    return aws("sagemaker")


@pytest.fixture
def network(aws):
    """A private VPC with two subnets and a security group, and a second VPC with its own subnet."""
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"eu-west-1{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in ((1, "a"), (2, "b"))
    ]
    group = ec2.create_security_group(VpcId=vpc, GroupName="studio", Description="studio")["GroupId"]
    other_vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    other_subnet = ec2.create_subnet(VpcId=other_vpc, CidrBlock="10.30.1.0/24")["Subnet"]["SubnetId"]
    return {"vpc": vpc, "subnets": subnets, "group": group, "other_subnet": other_subnet}


@pytest.fixture
def role(account_id):
    return f"arn:aws:iam::{account_id}:role/sagemaker-execution"




def error(client, method, **kwargs):
    with pytest.raises(ClientError) as raised:
        getattr(client, method)(**kwargs)
    return raised.value.response["Error"]


def create_domain(sm, network, role, name="perimeter", **overrides):
    args = dict(
        DomainName=name, AuthMode="IAM", VpcId=network["vpc"], SubnetIds=network["subnets"][:1],
        AppNetworkAccessType="VpcOnly",
        DefaultUserSettings={"ExecutionRole": role, "SecurityGroups": [network["group"]]},
    )
    args.update(overrides)
    return call(sm, "create_domain", **args)


def describe(sm, domain_id):
    return call(sm, "describe_domain", DomainId=domain_id)


def test_create_domain_answers_ids_and_url_in_aws_form(sm, network, role, account_id):
    created = create_domain(sm, network, role)
    domain_id = created["DomainId"]
    assert re.fullmatch(r"d-[a-z0-9]{12}", domain_id)
    assert created["DomainArn"] == f"arn:aws:sagemaker:eu-west-1:{account_id}:domain/{domain_id}"
    assert created["Url"] == f"https://{domain_id}.studio.eu-west-1.sagemaker.aws"


def test_describe_domain_returns_network_and_identity_settings(sm, network, role):
    domain_id = create_domain(sm, network, role)["DomainId"]
    domain = describe(sm, domain_id)
    assert domain["DomainId"] == domain_id
    assert domain["Status"] == "InService"
    assert domain["AppNetworkAccessType"] == "VpcOnly"
    assert domain["AuthMode"] == "IAM"
    assert domain["VpcId"] == network["vpc"]
    assert domain["SubnetIds"] == network["subnets"][:1]
    assert domain["DefaultUserSettings"] == {"ExecutionRole": role, "SecurityGroups": [network["group"]]}
    assert re.fullmatch(r"fs-[0-9a-f]{17}", domain["HomeEfsFileSystemId"])
    assert re.fullmatch(r"sg-[0-9a-f]{17}", domain["SecurityGroupIdForDomainBoundary"])
    assert domain["Url"] == f"https://{domain_id}.studio.eu-west-1.sagemaker.aws"
    assert "SingleSignOnManagedApplicationInstanceId" not in domain


def test_domain_defaults_to_public_internet_only(sm, network, role):
    domain_id = create_domain(sm, network, role, AppNetworkAccessType="PublicInternetOnly")["DomainId"]
    assert describe(sm, domain_id)["AppNetworkAccessType"] == "PublicInternetOnly"
    args = dict(DomainName="defaulted", AuthMode="IAM", VpcId=network["vpc"], SubnetIds=network["subnets"][:1],
                    DefaultUserSettings={"ExecutionRole": role})
    other = call(sm, "create_domain", **args)["DomainId"]
    assert describe(sm, other)["AppNetworkAccessType"] == "PublicInternetOnly"


def test_sso_domain_names_its_identity_center_application(sm, network, role, account_id):
    domain = describe(sm, create_domain(sm, network, role, AuthMode="SSO")["DomainId"])
    assert domain["SingleSignOnManagedApplicationInstanceId"].startswith("ssoins-")
    assert domain["SingleSignOnApplicationArn"].startswith(f"arn:aws:sso::{account_id}:application/")


@pytest.mark.parametrize("field, value, path", [
    ("AuthMode", "LDAP", "authMode"),
    ("AppNetworkAccessType", "Bogus", "appNetworkAccessType"),
    ("DomainName", "bad_name!", "domainName"),
    ("AppSecurityGroupManagement", "Nobody", "appSecurityGroupManagement"),
])
def test_create_domain_rejects_values_outside_the_model(sm, network, role, field, value, path):
    answer = error(sm, "create_domain", **{
        "DomainName": "perimeter", "AuthMode": "IAM", "VpcId": network["vpc"], "SubnetIds": network["subnets"][:1],
        "DefaultUserSettings": {"ExecutionRole": role}, field: value,
    })
    assert answer["Code"] == "ValidationException"
    assert f"'{value}' at '{path}'" in answer["Message"]


def test_create_domain_rejects_an_execution_role_that_is_not_a_role_arn(sm, network):
    answer = error(sm, "create_domain", DomainName="perimeter", AuthMode="IAM", VpcId=network["vpc"],
                   SubnetIds=network["subnets"][:1],
                   DefaultUserSettings={"ExecutionRole": "arn:aws:iam::123456789012:user/alice"})
    assert answer["Code"] == "ValidationException"
    assert "defaultUserSettings.executionRole" in answer["Message"]


def test_vpc_only_domain_needs_subnets_and_vpc(sm, network, role):
    answer = error(sm, "create_domain", DomainName="perimeter", AuthMode="IAM", AppNetworkAccessType="VpcOnly",
                   DefaultUserSettings={"ExecutionRole": role})
    assert answer["Code"] == "ValidationException"
    assert "SubnetIds" in answer["Message"] and "VpcId" in answer["Message"]
    assert sm.list_domains()["Domains"] == []


def test_create_domain_rejects_subnets_and_groups_outside_its_vpc(sm, network, role, aws):
    answer = error(sm, "create_domain", DomainName="perimeter", AuthMode="IAM", VpcId=network["vpc"],
                   SubnetIds=[network["other_subnet"]], DefaultUserSettings={"ExecutionRole": role})
    assert answer["Code"] == "ValidationException"
    assert "SubnetIds" in answer["Message"] and network["other_subnet"] in answer["Message"]
    foreign_vpc = aws("ec2").describe_subnets(SubnetIds=[network["other_subnet"]])["Subnets"][0]["VpcId"]
    foreign_group = aws("ec2").create_security_group(VpcId=foreign_vpc, GroupName="x", Description="x")["GroupId"]
    answer = error(sm, "create_domain", DomainName="perimeter", AuthMode="IAM", VpcId=network["vpc"],
                   SubnetIds=network["subnets"][:1],
                   DefaultUserSettings={"ExecutionRole": role, "SecurityGroups": [foreign_group]})
    assert answer["Code"] == "ValidationException"
    assert "DefaultUserSettings.SecurityGroups" in answer["Message"]


def test_create_domain_rejects_a_vpc_that_does_not_exist(sm, network, role):
    answer = error(sm, "create_domain", DomainName="perimeter", AuthMode="IAM", VpcId="vpc-0000000000000000f",
                   SubnetIds=network["subnets"][:1], DefaultUserSettings={"ExecutionRole": role})
    assert answer["Code"] == "ValidationException"
    assert "VpcId" in answer["Message"]


def test_create_domain_with_a_name_in_use_is_refused(sm, network, role):
    create_domain(sm, network, role)
    answer = error(sm, "create_domain", DomainName="perimeter", AuthMode="IAM", VpcId=network["vpc"],
                   SubnetIds=network["subnets"][:1], DefaultUserSettings={"ExecutionRole": role})
    assert answer["Code"] == "ResourceInUse"
    assert "perimeter" in answer["Message"]


def test_describe_unknown_domain_is_resource_not_found(sm):
    answer = error(sm, "describe_domain", DomainId="d-000000000000")
    assert answer["Code"] == "ResourceNotFound"
    assert "d-000000000000" in answer["Message"]


def test_update_domain_switches_to_vpc_only(sm, network, role):
    created = create_domain(sm, network, role, AppNetworkAccessType="PublicInternetOnly")
    answer = call(sm, "update_domain", DomainId=created["DomainId"], AppNetworkAccessType="VpcOnly")
    assert answer["DomainArn"] == created["DomainArn"]
    domain = describe(sm, created["DomainId"])
    assert domain["AppNetworkAccessType"] == "VpcOnly"
    assert domain["Status"] == "InService"
    assert domain["LastModifiedTime"] >= domain["CreationTime"]


def test_update_domain_merges_default_user_settings(sm, network, role, aws):
    domain_id = create_domain(sm, network, role)["DomainId"]
    group = aws("ec2").create_security_group(VpcId=network["vpc"], GroupName="kernels", Description="k")["GroupId"]
    call(sm, "update_domain", DomainId=domain_id, DefaultUserSettings={"SecurityGroups": [group]})
    assert describe(sm, domain_id)["DefaultUserSettings"] == {"ExecutionRole": role, "SecurityGroups": [group]}


def test_update_domain_replaces_subnets_within_its_vpc(sm, network, role):
    domain_id = create_domain(sm, network, role)["DomainId"]
    call(sm, "update_domain", DomainId=domain_id, SubnetIds=network["subnets"])
    assert describe(sm, domain_id)["SubnetIds"] == network["subnets"]
    answer = error(sm, "update_domain", DomainId=domain_id, SubnetIds=[network["other_subnet"]])
    assert answer["Code"] == "ValidationException"
    assert "SubnetIds" in answer["Message"]
    assert describe(sm, domain_id)["SubnetIds"] == network["subnets"]


def test_update_domain_applies_domain_and_space_settings(sm, network, role):
    domain_id = create_domain(sm, network, role)["DomainId"]
    call(sm, "update_domain", DomainId=domain_id,
         DomainSettingsForUpdate={"SecurityGroupIds": [network["group"]]},
         DefaultSpaceSettings={"ExecutionRole": role, "SecurityGroups": [network["group"]]},
         AppSecurityGroupManagement="Customer")
    domain = describe(sm, domain_id)
    assert domain["DomainSettings"] == {"SecurityGroupIds": [network["group"]]}
    assert domain["DefaultSpaceSettings"] == {"ExecutionRole": role, "SecurityGroups": [network["group"]]}
    assert domain["AppSecurityGroupManagement"] == "Customer"


def test_update_domain_rejects_values_outside_the_model(sm, network, role):
    domain_id = create_domain(sm, network, role)["DomainId"]
    answer = error(sm, "update_domain", DomainId=domain_id, AppNetworkAccessType="Open")
    assert answer["Code"] == "ValidationException"
    assert "'Open' at 'appNetworkAccessType'" in answer["Message"]
    assert describe(sm, domain_id)["AppNetworkAccessType"] == "VpcOnly"


def test_update_unknown_domain_is_resource_not_found(sm):
    answer = error(sm, "update_domain", DomainId="d-000000000000", AppNetworkAccessType="VpcOnly")
    assert answer["Code"] == "ResourceNotFound"
    assert "d-000000000000" in answer["Message"]


def test_network_access_type_cannot_change_while_apps_run(sm, network, role):
    domain_id = create_domain(sm, network, role, AppNetworkAccessType="PublicInternetOnly")["DomainId"]
    call(sm, "create_user_profile", DomainId=domain_id, UserProfileName="alice")
    app = dict(DomainId=domain_id, UserProfileName="alice", AppType="JupyterServer", AppName="default")
    call(sm, "create_app", **app)
    answer = error(sm, "update_domain", DomainId=domain_id, AppNetworkAccessType="VpcOnly")
    assert answer["Code"] == "ResourceInUse"
    assert "AppNetworkAccessType" in answer["Message"]
    assert describe(sm, domain_id)["AppNetworkAccessType"] == "PublicInternetOnly"
    call(sm, "delete_app", **app)
    assert call(sm, "describe_app", **app)["Status"] == "Deleted"
    call(sm, "update_domain", DomainId=domain_id, AppNetworkAccessType="VpcOnly")
    assert describe(sm, domain_id)["AppNetworkAccessType"] == "VpcOnly"


def test_list_domains_pages(sm, network, role):
    ids = {create_domain(sm, network, role, name=f"domain-{i}")["DomainId"] for i in range(3)}
    first = call(sm, "list_domains", MaxResults=2)
    assert len(first["Domains"]) == 2 and first["NextToken"]
    second = call(sm, "list_domains", MaxResults=2, NextToken=first["NextToken"])
    assert "NextToken" not in second
    listed = first["Domains"] + second["Domains"]
    assert {d["DomainId"] for d in listed} == ids
    assert all(d["Url"] == f"https://{d['DomainId']}.studio.eu-west-1.sagemaker.aws" for d in listed)


def test_domain_with_user_profiles_cannot_be_deleted(sm, network, role):
    domain_id = create_domain(sm, network, role)["DomainId"]
    call(sm, "create_user_profile", DomainId=domain_id, UserProfileName="alice")
    answer = error(sm, "delete_domain", DomainId=domain_id)
    assert answer["Code"] == "ResourceInUse"
    assert "alice" in answer["Message"]
    call(sm, "delete_user_profile", DomainId=domain_id, UserProfileName="alice")
    sm.delete_domain(DomainId=domain_id)
    assert error(sm, "describe_domain", DomainId=domain_id)["Code"] == "ResourceNotFound"


def test_user_profile_round_trip(sm, network, role, account_id):
    domain_id = create_domain(sm, network, role)["DomainId"]
    arn = call(sm, "create_user_profile", DomainId=domain_id, UserProfileName="alice",
               UserSettings={"ExecutionRole": role})["UserProfileArn"]
    assert arn == f"arn:aws:sagemaker:eu-west-1:{account_id}:user-profile/{domain_id}/alice"
    profile = call(sm, "describe_user_profile", DomainId=domain_id, UserProfileName="alice")
    assert profile["UserSettings"] == {"ExecutionRole": role}
    assert profile["Status"] == "InService"
    listed = call(sm, "list_user_profiles", DomainIdEquals=domain_id)["UserProfiles"]
    assert [p["UserProfileName"] for p in listed] == ["alice"]
    answer = error(sm, "describe_user_profile", DomainId=domain_id, UserProfileName="bob")
    assert answer["Code"] == "ResourceNotFound" and "bob" in answer["Message"]


def test_presigned_domain_url_points_at_the_studio_domain(sm, network, role):
    domain_id = create_domain(sm, network, role)["DomainId"]
    call(sm, "create_user_profile", DomainId=domain_id, UserProfileName="alice")
    url = call(sm, "create_presigned_domain_url", DomainId=domain_id, UserProfileName="alice")["AuthorizedUrl"]
    assert url.startswith(f"https://{domain_id}.studio.eu-west-1.sagemaker.aws/auth?token=")
    answer = error(sm, "create_presigned_domain_url", DomainId=domain_id, UserProfileName="mallory")
    assert answer["Code"] == "ResourceNotFound"


def test_domain_tags_are_listed(sm, network, role):
    arn = create_domain(sm, network, role, Tags=[{"Key": "perimeter", "Value": "sagemaker"}])["DomainArn"]
    assert call(sm, "list_tags", ResourceArn=arn)["Tags"] == [{"Key": "perimeter", "Value": "sagemaker"}]


def test_training_job_keeps_vpc_config_and_network_isolation(sm, network, role):
    vpc_config = {"SecurityGroupIds": [network["group"]], "Subnets": network["subnets"]}
    arn = call(sm, "create_training_job", TrainingJobName="train", RoleArn=role,
               AlgorithmSpecification={"TrainingImage": "image", "TrainingInputMode": "File"},
               OutputDataConfig={"S3OutputPath": "s3://models/out"},
               ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
               StoppingCondition={"MaxRuntimeInSeconds": 60}, VpcConfig=vpc_config, EnableNetworkIsolation=True,
               Tags=[{"Key": "k", "Value": "v"}])["TrainingJobArn"]
    job = call(sm, "describe_training_job", TrainingJobName="train")
    assert job["VpcConfig"] == vpc_config
    assert job["EnableNetworkIsolation"] is True
    assert call(sm, "list_tags", ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]


def test_processing_job_keeps_network_config_and_resources(sm, network, role):
    network_config = {"EnableNetworkIsolation": True,
                      "VpcConfig": {"SecurityGroupIds": [network["group"]], "Subnets": network["subnets"]}}
    resources = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 5}}
    call(sm, "create_processing_job", ProcessingJobName="process", RoleArn=role,
         AppSpecification={"ImageUri": "image"}, ProcessingResources=resources, NetworkConfig=network_config)
    job = call(sm, "describe_processing_job", ProcessingJobName="process")
    assert job["NetworkConfig"] == network_config
    assert job["ProcessingResources"] == resources


def test_model_keeps_vpc_config_network_isolation_and_tags(sm, network, role):
    vpc_config = {"SecurityGroupIds": [network["group"]], "Subnets": network["subnets"]}
    arn = call(sm, "create_model", ModelName="model", ExecutionRoleArn=role, PrimaryContainer={"Image": "image"},
               VpcConfig=vpc_config, EnableNetworkIsolation=True, Tags=[{"Key": "k", "Value": "v"}])["ModelArn"]
    model = call(sm, "describe_model", ModelName="model")
    assert model["VpcConfig"] == vpc_config
    assert model["EnableNetworkIsolation"] is True
    assert call(sm, "list_tags", ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    call(sm, "create_model", ModelName="open", ExecutionRoleArn=role, PrimaryContainer={"Image": "image"})
    open_model = call(sm, "describe_model", ModelName="open")
    assert open_model["EnableNetworkIsolation"] is False
    assert "VpcConfig" not in open_model


def test_notebook_instance_keeps_network_settings(sm, network, role):
    call(sm, "create_notebook_instance", NotebookInstanceName="closed", InstanceType="ml.t3.medium", RoleArn=role,
         SubnetId=network["subnets"][0], SecurityGroupIds=[network["group"]], DirectInternetAccess="Disabled",
         Tags=[{"Key": "k", "Value": "v"}])
    notebook = call(sm, "describe_notebook_instance", NotebookInstanceName="closed")
    assert notebook["DirectInternetAccess"] == "Disabled"
    assert notebook["SubnetId"] == network["subnets"][0]
    assert notebook["SecurityGroups"] == [network["group"]]
    call(sm, "create_notebook_instance", NotebookInstanceName="open", InstanceType="ml.t3.medium", RoleArn=role)
    assert call(sm, "describe_notebook_instance", NotebookInstanceName="open")["DirectInternetAccess"] == "Enabled"


def test_notebook_without_subnet_cannot_disable_internet_access(sm, role):
    answer = error(sm, "create_notebook_instance", NotebookInstanceName="closed", InstanceType="ml.t3.medium",
                   RoleArn=role, DirectInternetAccess="Disabled")
    assert answer["Code"] == "ValidationException"
    assert "DirectInternetAccess" in answer["Message"] and "SubnetId" in answer["Message"]
    assert error(sm, "describe_notebook_instance", NotebookInstanceName="closed")["Code"] == "ValidationException"


def test_notebook_rejects_unknown_direct_internet_access_value(sm, network, role):
    answer = error(sm, "create_notebook_instance", NotebookInstanceName="nb", InstanceType="ml.t3.medium",
                   RoleArn=role, SubnetId=network["subnets"][0], DirectInternetAccess="Sometimes")
    assert answer["Code"] == "ValidationException"
    assert "directInternetAccess" in answer["Message"]


def test_space_round_trip_and_it_keeps_the_domain(sm, network, role, account_id):
    domain_id = create_domain(sm, network, role)["DomainId"]
    call(sm, "create_user_profile", DomainId=domain_id, UserProfileName="alice")
    arn = call(sm, "create_space", DomainId=domain_id, SpaceName="shared",
               OwnershipSettings={"OwnerUserProfileName": "alice"},
               SpaceSharingSettings={"SharingType": "Private"})["SpaceArn"]
    assert arn == f"arn:aws:sagemaker:eu-west-1:{account_id}:space/{domain_id}/shared"
    space = call(sm, "describe_space", DomainId=domain_id, SpaceName="shared")
    assert space["Status"] == "InService"
    assert space["OwnershipSettings"] == {"OwnerUserProfileName": "alice"}
    listed = call(sm, "list_spaces", DomainIdEquals=domain_id)["Spaces"]
    assert [s["SpaceName"] for s in listed] == ["shared"]
    assert error(sm, "create_space", DomainId=domain_id, SpaceName="shared")["Code"] == "ResourceInUse"
    assert error(sm, "create_space", DomainId=domain_id, SpaceName="orphan",
                 OwnershipSettings={"OwnerUserProfileName": "bob"})["Code"] == "ResourceNotFound"
    call(sm, "delete_user_profile", DomainId=domain_id, UserProfileName="alice")
    answer = error(sm, "delete_domain", DomainId=domain_id)
    assert answer["Code"] == "ResourceInUse"
    assert "spaces: shared" in answer["Message"]
    app = dict(DomainId=domain_id, SpaceName="shared", AppType="JupyterLab", AppName="default")
    call(sm, "create_app", **app)
    assert error(sm, "delete_space", DomainId=domain_id, SpaceName="shared")["Code"] == "ResourceInUse"
    call(sm, "delete_app", **app)
    call(sm, "delete_space", DomainId=domain_id, SpaceName="shared")
    assert error(sm, "describe_space", DomainId=domain_id, SpaceName="shared")["Code"] == "ResourceNotFound"
    sm.delete_domain(DomainId=domain_id)


def test_app_in_a_space_that_does_not_exist_is_refused(sm, network, role):
    domain_id = create_domain(sm, network, role)["DomainId"]
    answer = error(sm, "create_app", DomainId=domain_id, SpaceName="nowhere", AppType="JupyterLab",
                   AppName="default")
    assert answer["Code"] == "ResourceNotFound"
    assert "nowhere" in answer["Message"]


def test_add_tags_replaces_the_value_of_a_key(sm, network, role):
    arn = create_domain(sm, network, role, Tags=[{"Key": "stage", "Value": "alert"}])["DomainArn"]
    call(sm, "add_tags", ResourceArn=arn, Tags=[{"Key": "stage", "Value": "block"}, {"Key": "k", "Value": "v"}])
    tags = call(sm, "list_tags", ResourceArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("k", "v"), ("stage", "block")]
    call(sm, "delete_tags", ResourceArn=arn, TagKeys=["k"])
    assert call(sm, "list_tags", ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "block"}]
