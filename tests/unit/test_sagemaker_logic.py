"""SageMaker domain logic of mlperimeter.aws: normalising, mapping user settings and diffing, without AWS."""

import botocore.session
import pytest
from ansible_collections.mlperimeter.aws.plugins.module_utils import sagemaker as sm

SERVICE_MODEL = botocore.session.get_session().get_service_model("sagemaker")
ROLE = "arn:aws:iam::123456789012:role/sagemaker-execution"
OTHER_ROLE = "arn:aws:iam::123456789012:role/sagemaker-next"
KEY_ID = "11111111-2222-3333-4444-555555555555"
KEY_ARN = f"arn:aws:kms:us-east-1:123456789012:key/{KEY_ID}"


def described(**overrides):
    domain = {
        "DomainId": "d-abcdefghijkl", "DomainName": "perimeter", "Status": "InService", "AuthMode": "IAM",
        "AppNetworkAccessType": "VpcOnly", "VpcId": "vpc-0123456789abcdef0",
        "SubnetIds": ["subnet-0000000000000000b", "subnet-0000000000000000a"],
        "DefaultUserSettings": {
            "ExecutionRole": ROLE, "SecurityGroups": ["sg-0000000000000000b", "sg-0000000000000000a"],
            "StudioWebPortal": "ENABLED",
        },
        "Url": "https://d-abcdefghijkl.studio.us-east-1.sagemaker.aws",
    }
    domain.update(overrides)
    return domain


def task(**overrides):
    params = {"auth_mode": "IAM", "app_network_access_type": "VpcOnly", "vpc_id": None, "subnet_ids": None,
              "kms_key_id": None, "default_execution_role_arn": None, "security_group_ids": None,
              "default_user_settings": None}
    params.update(overrides)
    settings, problems = sm.desired_user_settings(params, SERVICE_MODEL)
    assert problems == []
    return sm.normalise_params(params, settings)


def test_normalise_domain_sorts_lists_and_keeps_only_compared_members():
    normalised = sm.normalise_domain(described())
    assert normalised == {
        "AuthMode": "IAM", "AppNetworkAccessType": "VpcOnly", "VpcId": "vpc-0123456789abcdef0",
        "SubnetIds": ["subnet-0000000000000000a", "subnet-0000000000000000b"], "KmsKeyId": None,
        "DefaultUserSettings": {"ExecutionRole": ROLE, "SecurityGroups": ["sg-0000000000000000a",
                                                                          "sg-0000000000000000b"],
                                "StudioWebPortal": "ENABLED"},
    }


@pytest.mark.parametrize(("given", "mapped"), [
    ({"jupyter_lab_app_settings": {"default_resource_spec": {"instance_type": "ml.t3.medium"}}},
     {"JupyterLabAppSettings": {"DefaultResourceSpec": {"InstanceType": "ml.t3.medium"}}}),
    ({"JupyterLabAppSettings": {"DefaultResourceSpec": {"InstanceType": "ml.t3.medium"}}},
     {"JupyterLabAppSettings": {"DefaultResourceSpec": {"InstanceType": "ml.t3.medium"}}}),
    ({"custom_file_system_configs": [{"efs_file_system_config": {"file_system_id": "fs-1"}}]},
     {"CustomFileSystemConfigs": [{"EFSFileSystemConfig": {"FileSystemId": "fs-1"}}]}),
    ({"r_studio_server_pro_app_settings": {"access_status": "DISABLED"}},
     {"RStudioServerProAppSettings": {"AccessStatus": "DISABLED"}}),
    ({"studio_web_portal": "ENABLED"}, {"StudioWebPortal": "ENABLED"}),
])
def test_user_settings_map_onto_the_api_members(given, mapped):
    assert sm.to_api_members(given, SERVICE_MODEL.shape_for("UserSettings"), "default_user_settings") == (mapped, [])


def test_options_join_the_user_settings():
    params = {"default_execution_role_arn": ROLE, "security_group_ids": ["sg-0000000000000000a"],
              "default_user_settings": {"studio_web_portal": "DISABLED"}}
    settings, problems = sm.desired_user_settings(params, SERVICE_MODEL)
    assert problems == []
    assert settings == {"ExecutionRole": ROLE, "SecurityGroups": ["sg-0000000000000000a"],
                        "StudioWebPortal": "DISABLED"}
    assert sm.desired_user_settings({}, SERVICE_MODEL) == (None, [])


def test_nothing_to_do_when_the_task_matches():
    current = sm.normalise_domain(described())
    desired = task(vpc_id="vpc-0123456789abcdef0", subnet_ids=["subnet-0000000000000000a", "subnet-0000000000000000b"],
                   security_group_ids=["sg-0000000000000000b", "sg-0000000000000000a"], default_execution_role_arn=ROLE)
    assert sm.diff_domain(current, desired) == ({}, [])


@pytest.mark.parametrize(("overrides", "updates"), [
    ({"subnet_ids": ["subnet-0000000000000000c"]}, {"SubnetIds": ["subnet-0000000000000000c"]}),
    ({"app_network_access_type": "PublicInternetOnly"}, {"AppNetworkAccessType": "PublicInternetOnly"}),
    ({"default_execution_role_arn": OTHER_ROLE}, {"DefaultUserSettings": {"ExecutionRole": OTHER_ROLE}}),
    ({"security_group_ids": ["sg-0000000000000000c"]},
     {"DefaultUserSettings": {"SecurityGroups": ["sg-0000000000000000c"]}}),
    ({"default_user_settings": {"studio_web_portal": "ENABLED"}}, {}),
    ({"default_user_settings": {"studio_web_portal": "DISABLED"}},
     {"DefaultUserSettings": {"StudioWebPortal": "DISABLED"}}),
])
def test_what_update_domain_changes(overrides, updates):
    current = sm.normalise_domain(described())
    assert sm.diff_domain(current, task(**overrides)) == (updates, [])


def test_a_nested_member_is_compared_where_set_and_sent_merged():
    lab = {"DefaultResourceSpec": {"InstanceType": "ml.t3.medium", "SageMakerImageArn": "arn:image"},
           "LifecycleConfigArns": ["arn:b", "arn:a"]}
    current = sm.normalise_domain(described(DefaultUserSettings={"ExecutionRole": ROLE, "JupyterLabAppSettings": lab}))
    same = task(default_user_settings={"jupyter_lab_app_settings": {"lifecycle_config_arns": ["arn:a", "arn:b"]}})
    assert sm.diff_domain(current, same) == ({}, [])
    bigger = task(default_user_settings={"jupyter_lab_app_settings": {"default_resource_spec": {
        "instance_type": "ml.t3.large"}}})
    updates, refusals = sm.diff_domain(current, bigger)
    assert refusals == []
    assert updates == {"DefaultUserSettings": {"JupyterLabAppSettings": {
        "DefaultResourceSpec": {"InstanceType": "ml.t3.large", "SageMakerImageArn": "arn:image"},
        "LifecycleConfigArns": ["arn:a", "arn:b"],
    }}}


@pytest.mark.parametrize(("overrides", "option", "now", "wanted"), [
    ({"vpc_id": "vpc-0fedcba9876543210"}, "vpc_id", "vpc-0123456789abcdef0", "vpc-0fedcba9876543210"),
    ({"auth_mode": "SSO"}, "auth_mode", "IAM", "SSO"),
    ({"kms_key_id": "alias/studio"}, "kms_key_id", KEY_ARN, "alias/studio"),
])
def test_what_aws_sets_only_at_creation_is_refused(overrides, option, now, wanted):
    current = sm.normalise_domain(described(KmsKeyId=KEY_ARN))
    updates, refusals = sm.diff_domain(current, task(**overrides))
    assert updates == {}
    assert [(o, n, w) for o, n, w, _reason in refusals] == [(option, now, wanted)]
    assert f"{option}: current {now!r}, wanted {wanted!r}" in sm.refusal_text(refusals)


@pytest.mark.parametrize(("current", "wanted"), [(KEY_ARN, KEY_ID), (KEY_ID, KEY_ARN), (KEY_ARN, KEY_ARN)])
def test_one_key_spelt_two_ways_is_no_change(current, wanted):
    assert sm.diff_domain(sm.normalise_domain(described(KmsKeyId=current)), task(kms_key_id=wanted)) == ({}, [])


def test_a_domain_without_a_vpc_gets_one_in_place():
    current = sm.normalise_domain(described(VpcId=None))
    assert sm.diff_domain(current, task(vpc_id="vpc-0fedcba9876543210")) == ({"VpcId": "vpc-0fedcba9876543210"}, [])


APPS = [{"UserProfileName": "alice", "AppType": "JupyterLab", "AppName": "default", "Status": "InService"}]


def test_running_apps_block_the_network_mode_and_removed_subnets():
    current = sm.normalise_domain(described())
    desired = task(app_network_access_type="PublicInternetOnly", subnet_ids=["subnet-0000000000000000a"])
    assert sm.network_change(current, desired)
    updates, refusals = sm.diff_domain(current, desired, apps=APPS)
    assert updates == {}
    assert [option for option, *_rest in refusals] == ["subnet_ids", "app_network_access_type"]
    assert "alice/JupyterLab/default (InService)" in refusals[1][3]


def test_running_apps_do_not_block_added_subnets_or_user_settings():
    current = sm.normalise_domain(described())
    desired = task(subnet_ids=["subnet-0000000000000000a", "subnet-0000000000000000b", "subnet-0000000000000000c"],
                   default_execution_role_arn=OTHER_ROLE)
    assert not sm.network_change(current, desired)
    updates, refusals = sm.diff_domain(current, desired, apps=APPS)
    assert refusals == []
    assert set(updates) == {"SubnetIds", "DefaultUserSettings"}


def test_predicted_merges_user_settings_by_member():
    current = sm.normalise_domain(described())
    after = sm.predicted(current, {"DefaultUserSettings": {"ExecutionRole": OTHER_ROLE},
                                   "SubnetIds": ["subnet-0000000000000000c"]})
    assert after["DefaultUserSettings"]["ExecutionRole"] == OTHER_ROLE
    assert after["DefaultUserSettings"]["StudioWebPortal"] == "ENABLED"
    assert after["SubnetIds"] == ["subnet-0000000000000000c"]


def test_view_names_options():
    shown = sm.view(sm.normalise_domain(described()), {"k": "v"})
    assert shown["default_user_settings"]["execution_role"] == ROLE
    assert shown["subnet_ids"] == ["subnet-0000000000000000a", "subnet-0000000000000000b"]
    assert shown["tags"] == {"k": "v"}


def test_create_problems_name_the_missing_options():
    problems = sm.create_problems(task())
    assert [p.split(":")[0] for p in problems] == ["vpc_id", "subnet_ids", "default_execution_role_arn"]
    assert sm.create_problems(task(vpc_id="vpc-0123456789abcdef0", subnet_ids=["subnet-0000000000000000a"],
                                   default_execution_role_arn=ROLE)) == []


def test_create_params_leave_out_what_the_task_does_not_set():
    desired = task(vpc_id="vpc-0123456789abcdef0", subnet_ids=["subnet-0000000000000000a"],
                   default_execution_role_arn=ROLE)
    assert sm.create_params("perimeter", desired, {"k": "v"}) == {
        "DomainName": "perimeter", "AuthMode": "IAM", "AppNetworkAccessType": "VpcOnly",
        "DefaultUserSettings": {"ExecutionRole": ROLE}, "VpcId": "vpc-0123456789abcdef0",
        "SubnetIds": ["subnet-0000000000000000a"], "Tags": [{"Key": "k", "Value": "v"}],
    }


def test_find_domain_refuses_two_domains_of_one_name():
    domains = [{"DomainId": "d-aaaaaaaaaaaa", "DomainName": "perimeter", "Status": "Deleting"},
               {"DomainId": "d-bbbbbbbbbbbb", "DomainName": "perimeter", "Status": "InService"},
               {"DomainId": "d-cccccccccccc", "DomainName": "other", "Status": "InService"}]
    with pytest.raises(sm.AnsibleSageMakerError) as raised:
        sm.find_domain(None, "perimeter", domains)
    assert "d-aaaaaaaaaaaa (Deleting), d-bbbbbbbbbbbb (InService)" in raised.value.message
    assert sm.find_domain(None, "other", domains)["DomainId"] == "d-cccccccccccc"
    assert sm.find_domain(None, "missing", domains) is None


@pytest.mark.parametrize(("url", "host"), [
    ("https://d-abcdefghijkl.studio.us-east-1.sagemaker.aws", "d-abcdefghijkl.studio.us-east-1.sagemaker.aws"),
    ("https://d-abcdefghijkl.studio.eu-west-1.sagemaker.aws/", "d-abcdefghijkl.studio.eu-west-1.sagemaker.aws"),
    (None, None),
])
def test_studio_host(url, host):
    assert sm.studio_host(url) == host


@pytest.mark.parametrize(("value", "valid"), [
    (KEY_ID, True), (KEY_ARN, True), ("alias/studio", True),
    ("arn:aws:kms:us-east-1:123456789012:alias/studio", True), ("mrk-" + "0" * 32, True),
    ("studio", False), ("arn:aws:kms:us-east-1:123456789012:key/", False),
])
def test_kms_key_formats(value, valid):
    assert (sm.validate_params({"kms_key_id": value}) == []) is valid
