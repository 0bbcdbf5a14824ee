"""The pure logic of module_utils/secure_browser.py: normalising, diffing, planning,
validation and paging, as parametrised tables."""

import json

import boto3
import pytest
from ansible_collections.mlperimeter.aws.plugins.module_utils import secure_browser as sb

PORTAL = "arn:aws:workspaces-web:eu-west-1:111111111111:portal/0123abcd-0123-4567-89ab-0123456789ab"
OTHER = "arn:aws:workspaces-web:eu-west-1:111111111111:portal/1123abcd-0123-4567-89ab-0123456789ab"
USER_ARN = "arn:aws:workspaces-web:eu-west-1:111111111111:userSettings/2123abcd-0123-4567-89ab-0123456789ab"
KEY = "arn:aws:kms:eu-west-1:111111111111:key/3123abcd-0123-4567-89ab-0123456789ab"
FIVE_OFF = {k: "Disabled" for k in ("copyAllowed", "pasteAllowed", "downloadAllowed", "uploadAllowed", "printAllowed")}


# ----- the settings types map onto real boto3 operations ------------------------------------


@pytest.mark.parametrize("kind", sorted(sb.KINDS))
@pytest.mark.parametrize("verb", ["get", "create", "update", "delete", "associate", "disassociate", "list"])
def test_every_kind_names_operations_boto3_has(kind, verb):
    client = boto3.client("workspaces-web", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    assert hasattr(client, sb.KINDS[kind].op(verb))
    operation = client.meta.method_to_api_mapping[sb.KINDS[kind].op(verb)]
    shape = client.meta.service_model.operation_model(operation)
    if verb in ("get", "update", "delete"):
        assert sb.KINDS[kind].arn_member in shape.input_shape.members
    if verb == "create":
        assert ("customerManagedKey" in shape.input_shape.members) is sb.KINDS[kind].kms
    if verb == "list":
        assert sb.KINDS[kind].list_key in shape.output_shape.members


# ----- normalising AWS's answers -----------------------------------------------------------


@pytest.mark.parametrize("kind,answer,canonical", [
    ("browser_settings",
     {"browserSettingsArn": "a", "associatedPortalArns": [PORTAL], "browserPolicy": '{"chromePolicies": {}}'},
     {"browserPolicy": {"chromePolicies": {}}, "webContentFilteringPolicy": {}}),
    ("browser_settings",
     {"webContentFilteringPolicy": {"allowedUrls": ["b.com", "a.com"], "blockedUrls": ["*"]}},
     {"webContentFilteringPolicy": {"allowedUrls": ["a.com", "b.com"], "blockedUrls": ["*"]}}),
    ("user_settings",
     {**FIVE_OFF, "userSettingsArn": USER_ARN, "customerManagedKey": KEY,
      "toolbarConfiguration": {"hiddenToolbarItems": ["Webcam", "Microphone"], "toolbarType": "Docked"}},
     {**FIVE_OFF, "customerManagedKey": KEY,
      "toolbarConfiguration": {"hiddenToolbarItems": ["Microphone", "Webcam"], "toolbarType": "Docked"}}),
    ("user_settings",
     {**FIVE_OFF, "cookieSynchronizationConfiguration": {"allowlist": [{"domain": "b.com"}, {"domain": "a.com"}]}},
     {**FIVE_OFF, "cookieSynchronizationConfiguration": {"allowlist": [{"domain": "a.com"}, {"domain": "b.com"}],
                                                         "blocklist": []}}),
    ("network_settings",
     {"vpcId": "vpc-1", "subnetIds": ["subnet-b", "subnet-a"], "securityGroupIds": ["sg-1"],
      "associatedPortalArns": []},
     {"vpcId": "vpc-1", "subnetIds": ["subnet-a", "subnet-b"], "securityGroupIds": ["sg-1"]}),
    ("ip_access_settings",
     {"ipRules": [{"ipRange": "10.0.0.0/8"}, {"ipRange": "1.2.3.4/32", "description": "x"}], "creationDate": 1},
     {"ipRules": [{"ipRange": "1.2.3.4/32", "description": "x"}, {"ipRange": "10.0.0.0/8"}]}),
    ("session_logger",
     {"eventFilter": {"include": ["TabOpen", "PrintJobSubmit"]},
      "logConfiguration": {"s3": {"bucket": "b", "bucketOwner": "111111111111", "logFileFormat": "Json",
                                  "folderStructure": "Flat"}}},
     {"eventFilter": {"include": ["PrintJobSubmit", "TabOpen"]},
      "logConfiguration": {"s3": {"bucket": "b", "bucketOwner": "111111111111", "logFileFormat": "Json",
                                  "folderStructure": "Flat"}}}),
    ("user_access_logging", {"kinesisStreamArn": "k", "associatedPortalArns": [PORTAL]}, {"kinesisStreamArn": "k"}),
])
def test_normalise_settings(kind, answer, canonical):
    assert sb.normalise_settings(kind, answer) == canonical


# ----- normalising a task's sub-options ---------------------------------------------------


@pytest.mark.parametrize("kind,options,kms,canonical", [
    ("user_settings", {"copy_allowed": "Disabled", "paste_allowed": "Disabled", "download_allowed": "Disabled",
                       "upload_allowed": "Disabled", "print_allowed": "Disabled", "deep_link_allowed": None,
                       "toolbar_configuration": None}, None, FIVE_OFF),
    ("user_settings", {"copy_allowed": "Enabled", "toolbar_configuration": {"toolbar_type": None,
                                                                            "hidden_toolbar_items": []}},
     KEY, {"copyAllowed": "Enabled", "toolbarConfiguration": {}, "customerManagedKey": KEY}),
    ("browser_settings", {"browser_policy": '{"chromePolicies": {"A": {"value": 1}}}',
                          "web_content_filtering_policy": None}, None,
     {"browserPolicy": {"chromePolicies": {"A": {"value": 1}}}}),
    ("browser_settings", {"browser_policy": None, "web_content_filtering_policy": {
        "blocked_categories": None, "allowed_urls": [], "blocked_urls": ["*", "*"]}}, None,
     {"webContentFilteringPolicy": {"blockedUrls": ["*"]}}),
    ("network_settings", {"vpc_id": "vpc-1", "subnet_ids": ["subnet-b", "subnet-a", "subnet-b"],
                          "security_group_ids": ["sg-1"]}, KEY,
     {"vpcId": "vpc-1", "subnetIds": ["subnet-a", "subnet-b"], "securityGroupIds": ["sg-1"]}),  # no KMS on network
    ("ip_access_settings", {"display_name": None, "description": "d",
                            "rules": [{"ip_range": "10.0.0.0/8", "description": None}]}, None,
     {"description": "d", "ipRules": [{"ipRange": "10.0.0.0/8"}]}),
    ("session_logger", {"display_name": None, "events": None, "bucket": "b", "key_prefix": None,
                        "bucket_owner": None, "log_file_format": "JSONLines", "folder_structure": "NestedByDate"},
     None, {"eventFilter": {"all": {}}, "logConfiguration": {"s3": {
         "bucket": "b", "logFileFormat": "JSONLines", "folderStructure": "NestedByDate"}}}),
    ("user_access_logging", None, None, None),
])
def test_desired_settings(kind, options, kms, canonical):
    assert sb.desired_settings(kind, options, customer_managed_key=kms) == canonical


# ----- differences ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind,desired,current,mutable,immutable", [
    # the same policy written differently is no change
    ("browser_settings", {"browserPolicy": {"chromePolicies": {"A": {"value": [1, 2]}, "B": {"value": True}}}},
     {"browserPolicy": {"chromePolicies": {"B": {"value": True}, "A": {"value": [1, 2]}}}}, {}, {}),
    # list order in a policy's value is meaningful
    ("browser_settings", {"browserPolicy": {"chromePolicies": {"A": {"value": [2, 1]}}}},
     {"browserPolicy": {"chromePolicies": {"A": {"value": [1, 2]}}}},
     {"browserPolicy": {"chromePolicies": {"A": {"value": [2, 1]}}}}, {}),
    # members the task does not set are not compared
    ("user_settings", FIVE_OFF, {**FIVE_OFF, "idleDisconnectTimeoutInMinutes": 15}, {}, {}),
    ("user_settings", {**FIVE_OFF, "copyAllowed": "Enabled"}, FIVE_OFF, {"copyAllowed": "Enabled"}, {}),
    # a structure the task sets is compared whole
    ("user_settings", {"toolbarConfiguration": {"toolbarType": "Docked"}},
     {"toolbarConfiguration": {"toolbarType": "Docked", "visualMode": "Dark"}},
     {"toolbarConfiguration": {"toolbarType": "Docked"}}, {}),
    ("user_settings", {"customerManagedKey": KEY}, {}, {}, {"customerManagedKey": KEY}),
    ("network_settings", {"vpcId": "vpc-1", "subnetIds": ["subnet-a", "subnet-b"], "securityGroupIds": ["sg-1"]},
     {"vpcId": "vpc-1", "subnetIds": ["subnet-a", "subnet-b"], "securityGroupIds": ["sg-1"]}, {}, {}),
    # the bucket owner AWS fills in is not compared unless the task sets it
    ("session_logger", {"logConfiguration": {"s3": {"bucket": "b"}}},
     {"logConfiguration": {"s3": {"bucket": "b", "bucketOwner": "111111111111"}}}, {}, {}),
    ("session_logger", {"logConfiguration": {"s3": {"bucket": "b", "bucketOwner": "222222222222"}}},
     {"logConfiguration": {"s3": {"bucket": "b", "bucketOwner": "111111111111"}}},
     {"logConfiguration": {"s3": {"bucket": "b", "bucketOwner": "222222222222"}}}, {}),
    ("browser_settings", {"webContentFilteringPolicy": {}}, {"webContentFilteringPolicy": {}}, {}, {}),
])
def test_diff_settings(kind, desired, current, mutable, immutable):
    assert sb.diff_settings(kind, desired, current) == (mutable, immutable)


USER = {**FIVE_OFF, "userSettingsArn": USER_ARN, "idleDisconnectTimeoutInMinutes": 15}


@pytest.mark.parametrize("current,desired,replace,action,members", [
    (None, None, False, "none", {}),
    (USER, None, False, "none", {}),  # the sub-option is left out: the type is left alone
    (None, FIVE_OFF, False, "create", FIVE_OFF),
    ({**USER, "associatedPortalArns": [PORTAL]}, FIVE_OFF, False, "none", {}),
    ({**USER, "associatedPortalArns": [PORTAL]}, {**FIVE_OFF, "printAllowed": "Enabled"}, False, "update",
     {"printAllowed": "Enabled"}),
    # shared and unchanged: left as it is
    ({**USER, "associatedPortalArns": [PORTAL, OTHER]}, FIVE_OFF, False, "none", {}),
    # shared and changed: a copy of the whole object with the change
    ({**USER, "associatedPortalArns": [PORTAL, OTHER]}, {**FIVE_OFF, "printAllowed": "Enabled"}, False, "copy",
     {**FIVE_OFF, "printAllowed": "Enabled", "idleDisconnectTimeoutInMinutes": 15}),
    ({**USER, "associatedPortalArns": [PORTAL]}, {**FIVE_OFF, "customerManagedKey": KEY}, False, "refuse",
     {"customerManagedKey": KEY}),
    ({**USER, "associatedPortalArns": [PORTAL]}, {**FIVE_OFF, "customerManagedKey": KEY}, True, "replace",
     {**FIVE_OFF, "idleDisconnectTimeoutInMinutes": 15, "customerManagedKey": KEY}),
])
def test_plan_settings(current, desired, replace, action, members):
    planned, planned_members, reason = sb.plan_settings("user_settings", current, desired, PORTAL,
                                                        replace_immutable=replace)
    assert (planned, planned_members) == (action, members)
    if action == "refuse":
        assert "customer_managed_key" in reason and "replace_immutable" in reason and USER_ARN in reason
    if action == "copy":
        assert OTHER in reason


@pytest.mark.parametrize("desired,current,mutable,immutable", [
    ({"displayName": "p"}, {"displayName": "p", "instanceType": "standard.regular"}, {}, {}),
    ({"instanceType": "standard.large"}, {"instanceType": "standard.regular"}, {"instanceType": "standard.large"}, {}),
    ({"authenticationType": "Standard", "maxConcurrentSessions": 5},
     {"authenticationType": "IAM_Identity_Center", "maxConcurrentSessions": 5}, {"authenticationType": "Standard"}, {}),
    ({"customerManagedKey": KEY}, {}, {}, {"customerManagedKey": KEY}),
    ({"additionalEncryptionContext": {"a": "b"}}, {"additionalEncryptionContext": {"a": "b"}}, {}, {}),
])
def test_diff_portal(desired, current, mutable, immutable):
    assert sb.diff_portal(desired, current) == (mutable, immutable)


@pytest.mark.parametrize("current,desired,purge,to_set,to_remove", [
    ({}, {"a": "1"}, True, {"a": "1"}, []),
    ({"a": "1", "b": "2"}, {"a": "1"}, True, {}, ["b"]),
    ({"a": "1", "b": "2"}, {"a": "1"}, False, {}, []),
    # the project's marker is never removed, whatever the task says
    ({"mlperimeter:managed": "true"}, {}, True, {}, []),
])
def test_diff_tags(current, desired, purge, to_set, to_remove):
    assert sb.diff_tags(current, desired, purge) == (to_set, to_remove)


def test_desired_tags_always_carry_the_marker():
    assert sb.desired_tags(None) == {"mlperimeter:managed": "true"}
    assert sb.desired_tags({"mlperimeter:control": "A1"}) == {"mlperimeter:control": "A1",
                                                              "mlperimeter:managed": "true"}


@pytest.mark.parametrize("desired,current,changes", [
    ({"identityProviderName": "sso", "identityProviderType": "SAML", "identityProviderDetails": {"MetadataURL": "u"}},
     {"identityProviderName": "sso", "identityProviderType": "SAML",
      "identityProviderDetails": {"MetadataURL": "u", "MetadataFile": "<xml/>"}}, {}),
    ({"identityProviderName": "sso", "identityProviderType": "SAML", "identityProviderDetails": {"MetadataURL": "v"}},
     {"identityProviderName": "sso", "identityProviderType": "SAML", "identityProviderDetails": {"MetadataURL": "u"}},
     {"identityProviderDetails": {"MetadataURL": "v"}}),
    ({"identityProviderName": "new", "identityProviderType": "OIDC", "identityProviderDetails": {"client_id": "c"}},
     {"identityProviderName": "sso", "identityProviderType": "SAML", "identityProviderDetails": {"client_id": "c"}},
     {"identityProviderName": "new", "identityProviderType": "OIDC", "identityProviderDetails": {"client_id": "c"}}),
])
def test_diff_identity_provider(desired, current, changes):
    assert sb.diff_identity_provider(desired, current) == changes


def test_secrets_are_redacted():
    assert sb.redact_details({"client_id": "c", "client_secret": "s", "private_key": "k"}) == {
        "client_id": "c", "client_secret": sb.REDACTED, "private_key": sb.REDACTED}


def test_to_api_serialises_the_browser_policy():
    params = sb.to_api("browser_settings", {"browserPolicy": {"chromePolicies": {"A": {"value": 1}}}})
    assert json.loads(params["browserPolicy"]) == {"chromePolicies": {"A": {"value": 1}}}


# ----- validation ------------------------------------------------------------------------------

NETWORK = {"vpc_id": "vpc-0123456789abcdef0", "subnet_ids": ["subnet-0123456789abcdef0", "subnet-01234567"],
           "security_group_ids": ["sg-0123456789abcdef0"]}


@pytest.mark.parametrize("params,expected", [
    ({"display_name": "p"}, []),
    ({"network_settings": NETWORK}, []),
    ({"network_settings": {**NETWORK, "subnet_ids": ["subnet-01234567"]}}, ["network_settings.subnet_ids"]),
    ({"network_settings": {**NETWORK, "subnet_ids": ["subnet-01234567", "subnet-01234567"]}},
     ["network_settings.subnet_ids"]),  # duplicates do not count twice
    ({"network_settings": {**NETWORK, "security_group_ids": ["sg-1"]}}, ["security_group_ids[0]='sg-1'"]),
    ({"ip_access_settings": {"rules": [{"ip_range": "203.0.113.7"}]}}, []),  # one address is a /32
    ({"ip_access_settings": {"rules": [{"ip_range": "203.0.113.7/24"}]}}, ["rules[0].ip_range='203.0.113.7/24'"]),
    ({"ip_access_settings": {"rules": [{"ip_range": "10.0.0.0/8"}, {"ip_range": "10.0.0.0/8"}]}},
     ["rules[1].ip_range='10.0.0.0/8': is listed twice"]),
    ({"ip_access_settings": {"rules": []}}, ["ip_access_settings.rules"]),
    ({"max_concurrent_sessions": 0}, ["max_concurrent_sessions=0"]),
    ({"additional_encryption_context": {"a": "b"}}, ["needs customer_managed_key"]),
    ({"customer_managed_key": KEY}, []),
    ({"user_settings": {"disconnect_timeout_in_minutes": 601}}, ["disconnect_timeout_in_minutes=601"]),
    ({"user_settings": {"idle_disconnect_timeout_in_minutes": 0}}, []),
    ({"user_settings": {"cookie_synchronization_configuration": {"allowlist": [{"domain": "Bad_Domain"}]}}},
     ["allowlist[0].domain='Bad_Domain'"]),
    ({"user_settings": {"cookie_synchronization_configuration": {"allowlist": [{"domain": "a.com", "path": "x"}]}}},
     ["allowlist[0].path='x'"]),
    ({"browser_settings": {}}, ["needs browser_policy, web_content_filtering_policy or both"]),
    ({"browser_settings": {"browser_policy": "[]"}}, ["must be a JSON object"]),
    ({"browser_settings": {"browser_policy": '{"chromePolicies": {"A": 1}}'}}, ["chromePolicies.A"]),
    ({"browser_settings": {"web_content_filtering_policy": {"blocked_urls": ["*", "https://x.example.com/a",
                                                                            ".aws.amazon.com", "aws.amazon.com"]}}},
     []),
    ({"browser_settings": {"web_content_filtering_policy": {"allowed_urls": ["not a url"]}}},
     ["allowed_urls[0]='not a url'"]),
    ({"user_access_logging": {"kinesis_stream_arn":
                              "arn:aws:kinesis:eu-west-1:111111111111:stream/amazon-workspaces-web-x"}}, []),
    ({"session_logger": {"bucket": "ok-bucket", "key_prefix": "a b", "bucket_owner": "1"}},
     ["session_logger.key_prefix='a b'", "session_logger.bucket_owner='1'"]),
    ({"session_logger": {"bucket": "ok-bucket", "display_name": "a.b"}}, ["session_logger.display_name='a.b'"]),
])
def test_validate_portal_params(params, expected):
    problems = sb.validate_portal_params(params)
    assert len(problems) == len(expected), problems
    for problem, text in zip(problems, expected, strict=True):
        assert text in problem


@pytest.mark.parametrize("params,expected", [
    ({"state": "present", "name": "sso", "type": "SAML", "details": {"MetadataURL": "https://x"}}, []),
    ({"state": "present", "name": "sso", "type": "SAML", "details": {"MetadataURL": "https://x",
                                                                     "RequestSigningAlgorithm": "rsa-sha1"}},
     ["RequestSigningAlgorithm"]),
    ({"state": "present", "name": "sso", "type": "OIDC", "details": {}}, ["needs client_id, client_secret"]),
    ({"state": "absent", "name": None}, []),
    ({"state": "absent", "portal_arn": "arn:aws:workspaces-web:eu-west-1:111111111111:portal/x"}, ["portal_arn="]),
])
def test_validate_identity_provider_params(params, expected):
    problems = sb.validate_identity_provider_params(params)
    assert len(problems) == len(expected), problems
    for problem, text in zip(problems, expected, strict=True):
        assert text in problem


# ----- paging ---------------------------------------------------------------------------------


class PagedClient:
    """A List operation answering ``pages`` in turn and recording the tokens it was given."""

    def __init__(self, pages):
        self.pages = pages
        self.tokens = []

    def list_portals(self, **kwargs):
        self.tokens.append(kwargs.get("nextToken"))
        index = len(self.tokens) - 1
        answer = {"portals": self.pages[index]}
        if index + 1 < len(self.pages):
            answer["nextToken"] = f"t{index + 1}"
        return answer


@pytest.mark.parametrize("pages,items", [
    ([[]], []),
    ([[{"portalArn": "a"}]], ["a"]),
    ([[{"portalArn": "a"}], [{"portalArn": "b"}], [], [{"portalArn": "c"}]], ["a", "b", "c"]),
])
def test_paginate_follows_next_token(pages, items):
    client = PagedClient(pages)
    assert [p["portalArn"] for p in sb.list_portals(client)] == items
    assert client.tokens == [None] + [f"t{i}" for i in range(1, len(pages))]
