"""Contract tests of the emulator's WorkSpaces Secure Browser (``workspaces-web``):
portals, settings, associations, errors and validation, driven through boto3."""

import json

import pytest
from botocore.exceptions import ClientError

from support.contract import call

SUBNETS = ["subnet-0a1b2c3d", "subnet-1a2b3c4d"]
POLICY = json.dumps(
    {"chromePolicies": {"URLBlocklist": {"value": ["*"]}, "URLAllowlist": {"value": ["aws.amazon.com"]}}}
)
UUID = "0123abcd-0123-4567-89ab-0123456789ab"


@pytest.fixture
def web(aws):
    return aws("workspaces-web")




def error_of(raised):
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response


def user_settings_args(**overrides):
    args = dict(copyAllowed="Disabled", pasteAllowed="Enabled", downloadAllowed="Disabled",
                uploadAllowed="Disabled", printAllowed="Disabled")
    args.update(overrides)
    return args


# How to create each settings type with valid arguments.
SETTINGS = {
    "browser_settings": dict(browserPolicy=POLICY),
    "user_settings": user_settings_args(),
    "network_settings": dict(vpcId="vpc-0abc", subnetIds=SUBNETS, securityGroupIds=["sg-0abc"]),
    "ip_access_settings": dict(ipRules=[{"ipRange": "203.0.113.0/24", "description": "office"}]),
    "user_access_logging_settings": dict(
        kinesisStreamArn="arn:aws:kinesis:eu-west-1:123456789012:stream/amazon-workspaces-web-logs"),
    "session_logger": dict(
        eventFilter={"all": {}},
        logConfiguration={"s3": {"bucket": "session-logs", "folderStructure": "Flat", "logFileFormat": "JSONLines"}}),
    "data_protection_settings": dict(
        displayName="redact", inlineRedactionConfiguration={"inlineRedactionPatterns": []}),
}
# The model name of each type's ARN member (without ``Arn``) and Get output.
MEMBER = {
    "browser_settings": "browserSettings",
    "user_settings": "userSettings",
    "network_settings": "networkSettings",
    "ip_access_settings": "ipAccessSettings",
    "user_access_logging_settings": "userAccessLoggingSettings",
    "session_logger": "sessionLogger",
    "data_protection_settings": "dataProtectionSettings",
}
LIST_METHOD = {
    "browser_settings": ("list_browser_settings", "browserSettings"),
    "user_settings": ("list_user_settings", "userSettings"),
    "network_settings": ("list_network_settings", "networkSettings"),
    "ip_access_settings": ("list_ip_access_settings", "ipAccessSettings"),
    "user_access_logging_settings": ("list_user_access_logging_settings", "userAccessLoggingSettings"),
    "session_logger": ("list_session_loggers", "sessionLoggers"),
    "data_protection_settings": ("list_data_protection_settings", "dataProtectionSettings"),
}


def create(web, kind, **overrides):
    member = MEMBER[kind]
    return call(web, f"create_{kind}", **{**SETTINGS[kind], **overrides})[f"{member}Arn"]


def get(web, kind, arn):
    member = MEMBER[kind]
    return call(web, f"get_{kind}", **{f"{member}Arn": arn})[member]


def new_portal(web, **kwargs):
    return call(web, "create_portal", **kwargs)["portalArn"]


def saml_provider(web, portal_arn):
    return call(web, "create_identity_provider", portalArn=portal_arn, identityProviderName="corp-idp",
                identityProviderType="SAML",
                identityProviderDetails={"MetadataURL": "https://idp.example.com/metadata"})["identityProviderArn"]


# ----- ARNs, endpoint, status ---------------------------------------------------------------


def test_portal_has_aws_arn_endpoint_defaults_and_enum_values(web, account_id):
    created = call(web, "create_portal", displayName="perimeter")
    portal_id = created["portalArn"].rsplit("/", 1)[1]
    assert created["portalArn"] == f"arn:aws:workspaces-web:eu-west-1:{account_id}:portal/{portal_id}"
    assert created["portalEndpoint"] == f"{portal_id}.workspaces-web.com"
    portal = call(web, "get_portal", portalArn=created["portalArn"])["portal"]
    assert portal["rendererType"] == "AppStream"
    assert portal["browserType"] == "Chrome"
    assert portal["authenticationType"] == "Standard"
    assert portal["instanceType"] == "standard.regular"
    assert portal["portalEndpoint"] == created["portalEndpoint"]
    assert portal["displayName"] == "perimeter"


@pytest.mark.parametrize("kind", sorted(SETTINGS))
def test_settings_arns_use_the_camel_case_resource_type(web, account_id, kind):
    arn = create(web, kind)
    assert arn.startswith(f"arn:aws:workspaces-web:eu-west-1:{account_id}:{MEMBER[kind]}/")
    assert get(web, kind, arn)[f"{MEMBER[kind]}Arn"] == arn


def test_standard_portal_is_incomplete_until_it_has_an_identity_provider(web):
    arn = new_portal(web)
    portal = call(web, "get_portal", portalArn=arn)["portal"]
    assert portal["portalStatus"] == "Incomplete"
    assert portal["statusReason"]
    idp = saml_provider(web, arn)
    assert call(web, "get_portal", portalArn=arn)["portal"]["portalStatus"] == "Active"
    call(web, "delete_identity_provider", identityProviderArn=idp)
    assert call(web, "get_portal", portalArn=arn)["portal"]["portalStatus"] == "Incomplete"


def test_iam_identity_center_portal_is_active_without_identity_provider(web):
    arn = new_portal(web, authenticationType="IAM_Identity_Center")
    assert call(web, "get_portal", portalArn=arn)["portal"]["portalStatus"] == "Active"


def test_state_is_per_account_and_region(aws, account_id):
    arn = new_portal(aws("workspaces-web"))
    other_region = aws("workspaces-web", region="us-east-1")
    other_account = aws("workspaces-web", account=str(int(account_id) + 10))
    for client in (other_region, other_account):
        assert call(client, "list_portals")["portals"] == []
        with pytest.raises(ClientError) as raised:
            client.get_portal(portalArn=arn)
        assert error_of(raised)[:2] == ("ResourceNotFoundException", 404)


# ----- updates keep what they were not given -------------------------------------------------


def test_update_portal_changes_given_fields_and_keeps_the_rest(web):
    arn = new_portal(web, displayName="before", instanceType="standard.large", maxConcurrentSessions=4)
    updated = call(web, "update_portal", portalArn=arn, displayName="after")["portal"]
    assert (updated["displayName"], updated["instanceType"], updated["maxConcurrentSessions"]) == (
        "after", "standard.large", 4)
    portals = call(web, "list_portals")["portals"]
    assert [p["portalArn"] for p in portals] == [arn]
    assert call(web, "get_portal", portalArn=arn)["portal"]["displayName"] == "after"


def test_update_user_settings_keeps_fields_it_was_not_given(web):
    arn = create(web, "user_settings", disconnectTimeoutInMinutes=30, idleDisconnectTimeoutInMinutes=10,
                 deepLinkAllowed="Enabled",
                 toolbarConfiguration={"toolbarType": "Docked", "hiddenToolbarItems": ["Webcam", "Microphone"]},
                 cookieSynchronizationConfiguration={"allowlist": [{"domain": ".example.com"}]})
    updated = call(web, "update_user_settings", userSettingsArn=arn, printAllowed="Enabled")["userSettings"]
    assert updated == get(web, "user_settings", arn)
    assert updated["printAllowed"] == "Enabled"
    assert updated["copyAllowed"] == "Disabled"
    assert updated["pasteAllowed"] == "Enabled"
    assert updated["disconnectTimeoutInMinutes"] == 30
    assert updated["idleDisconnectTimeoutInMinutes"] == 10
    assert updated["deepLinkAllowed"] == "Enabled"
    assert updated["toolbarConfiguration"] == {"toolbarType": "Docked", "hiddenToolbarItems": ["Webcam", "Microphone"]}
    assert updated["cookieSynchronizationConfiguration"] == {"allowlist": [{"domain": ".example.com"}]}


def test_update_browser_settings_keeps_web_content_filtering(web):
    filtering = {"blockedUrls": ["*"], "allowedUrls": ["aws.amazon.com", "sagemaker.aws"],
                 "blockedCategories": ["GenerativeAI"]}
    arn = create(web, "browser_settings", webContentFilteringPolicy=filtering)
    new_policy = json.dumps({"chromePolicies": {"DownloadRestrictions": {"value": 3}}})
    updated = call(web, "update_browser_settings", browserSettingsArn=arn, browserPolicy=new_policy)
    assert updated["browserSettings"]["browserPolicy"] == new_policy
    assert get(web, "browser_settings", arn)["webContentFilteringPolicy"] == filtering


@pytest.mark.parametrize("kind, change, kept", [
    ("network_settings", {"securityGroupIds": ["sg-0def", "sg-0123"]}, {"vpcId": "vpc-0abc", "subnetIds": SUBNETS}),
    ("ip_access_settings", {"displayName": "office"}, {"ipRules": SETTINGS["ip_access_settings"]["ipRules"]}),
    ("user_access_logging_settings",
     {"kinesisStreamArn": "arn:aws:kinesis:eu-west-1:123456789012:stream/amazon-workspaces-web-other"}, {}),
    ("session_logger", {"displayName": "audit"}, {"eventFilter": {"all": {}}}),
    ("data_protection_settings", {"description": "no secrets"}, {"displayName": "redact"}),
])
def test_update_of_each_settings_type_applies_changes_and_keeps_the_rest(web, kind, change, kept):
    arn = create(web, kind)
    updated = call(web, f"update_{kind}", **{f"{MEMBER[kind]}Arn": arn}, **change)[MEMBER[kind]]
    assert updated == get(web, kind, arn)
    for name, value in {**change, **kept}.items():
        assert updated[name] == value


def test_session_logger_fills_in_the_bucket_owner_and_keeps_log_configuration(web, account_id):
    arn = create(web, "session_logger")
    call(web, "update_session_logger", sessionLoggerArn=arn, eventFilter={"include": ["SessionStart", "UrlLoad"]})
    logger = get(web, "session_logger", arn)
    assert logger["eventFilter"] == {"include": ["SessionStart", "UrlLoad"]}
    assert logger["logConfiguration"]["s3"] == {
        "bucket": "session-logs", "folderStructure": "Flat", "logFileFormat": "JSONLines", "bucketOwner": account_id}


# ----- associations --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SETTINGS))
def test_associate_answers_both_arns_and_both_sides_show_the_association(web, kind):
    member = MEMBER[kind]
    portal_arn = new_portal(web)
    settings_arn = create(web, kind)
    answer = call(web, f"associate_{kind}", portalArn=portal_arn, **{f"{member}Arn": settings_arn})
    assert answer["portalArn"] == portal_arn
    assert answer[f"{member}Arn"] == settings_arn
    assert call(web, "get_portal", portalArn=portal_arn)["portal"][f"{member}Arn"] == settings_arn
    assert get(web, kind, settings_arn)["associatedPortalArns"] == [portal_arn]
    # Associating the same pair again changes nothing.
    call(web, f"associate_{kind}", portalArn=portal_arn, **{f"{member}Arn": settings_arn})
    assert get(web, kind, settings_arn)["associatedPortalArns"] == [portal_arn]

    call(web, f"disassociate_{kind}", portalArn=portal_arn)
    assert f"{member}Arn" not in call(web, "get_portal", portalArn=portal_arn)["portal"]
    assert get(web, kind, settings_arn)["associatedPortalArns"] == []


def test_one_settings_object_serves_several_portals_and_a_new_one_replaces_the_old(web):
    first, second = new_portal(web), new_portal(web)
    old, new = create(web, "browser_settings"), create(web, "browser_settings")
    for portal in (first, second):
        call(web, "associate_browser_settings", portalArn=portal, browserSettingsArn=old)
    assert sorted(get(web, "browser_settings", old)["associatedPortalArns"]) == sorted([first, second])
    call(web, "associate_browser_settings", portalArn=first, browserSettingsArn=new)
    assert get(web, "browser_settings", old)["associatedPortalArns"] == [second]
    assert get(web, "browser_settings", new)["associatedPortalArns"] == [first]
    portals = {p["portalArn"]: p for p in call(web, "list_portals")["portals"]}
    assert portals[first]["browserSettingsArn"] == new
    assert portals[second]["browserSettingsArn"] == old


@pytest.mark.parametrize("kind", sorted(SETTINGS))
def test_deleting_associated_settings_is_a_conflict(web, kind):
    member = MEMBER[kind]
    portal_arn = new_portal(web)
    arn = create(web, kind)
    call(web, f"associate_{kind}", portalArn=portal_arn, **{f"{member}Arn": arn})
    with pytest.raises(ClientError) as raised:
        getattr(web, f"delete_{kind}")(**{f"{member}Arn": arn})
    code, status, response = error_of(raised)
    assert (code, status) == ("ConflictException", 409)
    assert response["resourceId"] == arn
    call(web, f"disassociate_{kind}", portalArn=portal_arn)
    call(web, f"delete_{kind}", **{f"{member}Arn": arn})
    with pytest.raises(ClientError) as raised:
        getattr(web, f"get_{kind}")(**{f"{member}Arn": arn})
    assert error_of(raised)[:2] == ("ResourceNotFoundException", 404)


def test_deleting_a_portal_releases_its_associations(web):
    portal_arn = new_portal(web)
    arn = create(web, "network_settings")
    call(web, "associate_network_settings", portalArn=portal_arn, networkSettingsArn=arn)
    call(web, "delete_portal", portalArn=portal_arn)
    assert get(web, "network_settings", arn)["associatedPortalArns"] == []
    call(web, "delete_network_settings", networkSettingsArn=arn)


# ----- not found -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SETTINGS))
def test_unknown_settings_arn_is_resource_not_found(web, account_id, kind):
    member = MEMBER[kind]
    arn = f"arn:aws:workspaces-web:eu-west-1:{account_id}:{member}/{UUID}"
    portal_arn = new_portal(web)
    for method, kwargs in [
        (f"get_{kind}", {f"{member}Arn": arn}),
        (f"associate_{kind}", {"portalArn": portal_arn, f"{member}Arn": arn}),
        ("tag_resource", {"resourceArn": arn, "tags": [{"Key": "k", "Value": "v"}]}),
        ("list_tags_for_resource", {"resourceArn": arn}),
    ]:
        with pytest.raises(ClientError) as raised:
            getattr(web, method)(**kwargs)
        code, status, response = error_of(raised)
        assert (code, status) == ("ResourceNotFoundException", 404), method
        assert response["resourceId"] == arn


def test_unknown_portal_is_resource_not_found(web, account_id):
    portal_arn = f"arn:aws:workspaces-web:eu-west-1:{account_id}:portal/{UUID}"
    settings_arn = create(web, "user_settings")
    calls = [
        ("get_portal", {"portalArn": portal_arn}),
        ("update_portal", {"portalArn": portal_arn, "displayName": "x"}),
        ("associate_user_settings", {"portalArn": portal_arn, "userSettingsArn": settings_arn}),
        ("disassociate_user_settings", {"portalArn": portal_arn}),
        ("get_portal_service_provider_metadata", {"portalArn": portal_arn}),
        ("create_identity_provider", {"portalArn": portal_arn, "identityProviderName": "idp",
                                      "identityProviderType": "SAML",
                                      "identityProviderDetails": {"MetadataURL": "https://idp.example.com"}}),
        ("list_sessions", {"portalId": UUID}),
    ]
    for method, kwargs in calls:
        with pytest.raises(web.exceptions.ResourceNotFoundException) as raised:
            getattr(web, method)(**kwargs)
        assert error_of(raised)[1] == 404, method


def test_delete_of_something_already_gone_succeeds(web, account_id):
    call(web, "delete_portal", portalArn=f"arn:aws:workspaces-web:eu-west-1:{account_id}:portal/{UUID}")
    arn = create(web, "ip_access_settings")
    call(web, "delete_ip_access_settings", ipAccessSettingsArn=arn)
    call(web, "delete_ip_access_settings", ipAccessSettingsArn=arn)


# ----- validation ----------------------------------------------------------------------------


def assert_invalid(raised, field):
    code, status, response = error_of(raised)
    assert (code, status) == ("ValidationException", 400)
    assert response["reason"] == "fieldValidationFailed"
    assert field in [f["name"] for f in response["fieldList"]]


@pytest.mark.parametrize("subnets, security_groups, field", [
    (["subnet-0a1b2c3d", "subnet-1a2b3c4d", "subnet-2a2b3c4d", "subnet-3a2b3c4d", "subnet-4a2b3c4d",
      "subnet-5a2b3c4d"], ["sg-1"], "subnetIds"),
    (SUBNETS, ["sg-1", "sg-2", "sg-3", "sg-4", "sg-5", "sg-6"], "securityGroupIds"),
    (["subnet-0a1b2c3d", "subnet-nothex"], ["sg-1"], "subnetIds[1]"),
])
def test_network_settings_field_limits_are_enforced_by_the_server(web, subnets, security_groups, field):
    with pytest.raises(ClientError) as raised:
        web.create_network_settings(vpcId="vpc-0abc", subnetIds=subnets, securityGroupIds=security_groups)
    assert_invalid(raised, field)


def test_network_settings_with_one_subnet_is_refused(web):
    # botocore refuses a single subnet before sending (min 2); check the server too.
    arn = create(web, "network_settings")
    for subnets in (["subnet-0a1b2c3d"], ["subnet-0a1b2c3d"] * 6):
        try:
            web.update_network_settings(networkSettingsArn=arn, subnetIds=subnets)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ValidationException"
            assert "subnetIds" in [f["name"] for f in error.response["fieldList"]]
        except Exception as error:  # noqa: BLE001 - botocore's own ParamValidationError for one subnet
            assert "subnetIds" in str(error)
        else:
            pytest.fail(f"{len(subnets)} subnets were accepted")
    assert get(web, "network_settings", arn)["subnetIds"] == SUBNETS


@pytest.mark.parametrize("method, kwargs, field", [
    ("create_user_settings", user_settings_args(copyAllowed="Yes"), "copyAllowed"),
    ("create_user_settings", user_settings_args(disconnectTimeoutInMinutes=601), "disconnectTimeoutInMinutes"),
    ("create_user_settings", user_settings_args(idleDisconnectTimeoutInMinutes=61), "idleDisconnectTimeoutInMinutes"),
    ("create_user_settings", user_settings_args(toolbarConfiguration={"toolbarType": "Sideways"}),
     "toolbarConfiguration.toolbarType"),
    ("create_portal", {"displayName": "x" * 65}, "displayName"),
    ("create_portal", {"maxConcurrentSessions": 6000}, "maxConcurrentSessions"),
    ("create_portal", {"instanceType": "foo"}, "instanceType"),
    ("create_browser_settings", {"browserPolicy": "not json"}, "browserPolicy"),
    ("create_browser_settings", {"browserPolicy": "{not json}"}, "browserPolicy"),
    ("create_browser_settings", {"webContentFilteringPolicy": {"blockedCategories": ["Fun"]}},
     "webContentFilteringPolicy.blockedCategories[0]"),
    ("create_ip_access_settings", {"ipRules": [{"ipRange": "2001:db8::/32"}]}, "ipRules[0].ipRange"),
    ("create_ip_access_settings", {"ipRules": [{"ipRange": f"10.0.{i}.0/24"} for i in range(101)]}, "ipRules"),
    ("create_user_access_logging_settings",
     {"kinesisStreamArn": "arn:aws:kinesis:eu-west-1:123456789012:stream/any-stream"}, "kinesisStreamArn"),
    ("create_session_logger", {"eventFilter": {"include": ["TabOpen", "Keylogging"]}, "logConfiguration": {
        "s3": {"bucket": "Not_A_Bucket", "folderStructure": "Flat", "logFileFormat": "Json"}}},
     "logConfiguration.s3.bucket"),
    ("create_session_logger", {"eventFilter": {"include": ["TabOpen", "Keylogging"]},
                               "logConfiguration": SETTINGS["session_logger"]["logConfiguration"]},
     "eventFilter.include[1]"),
    ("create_data_protection_settings", {"displayName": "no.dots"}, "displayName"),
    ("create_identity_provider", {"portalArn": "arn:aws:workspaces-web:eu-west-1:123456789012:portal/x",
                                  "identityProviderName": "idp", "identityProviderType": "SAML",
                                  "identityProviderDetails": {}}, "portalArn"),
    ("get_portal", {"portalArn": "arn:aws:workspaces-web:eu-west-1:123456789012:portal-settings/abc"}, "portalArn"),
])
def test_invalid_values_are_refused_with_the_field_named(web, method, kwargs, field):
    with pytest.raises(ClientError) as raised:
        getattr(web, method)(**kwargs)
    assert_invalid(raised, field)


def test_identity_provider_details_must_fit_the_type(web):
    portal_arn = new_portal(web)
    for kind, details in [("SAML", {}), ("SAML", {"MetadataFile": "<xml/>", "MetadataURL": "https://x"}),
                          ("OIDC", {"client_id": "a"})]:
        with pytest.raises(ClientError) as raised:
            web.create_identity_provider(portalArn=portal_arn, identityProviderName="idp",
                                         identityProviderType=kind, identityProviderDetails=details)
        assert_invalid(raised, "identityProviderDetails")


def test_user_settings_need_all_five_permissions(web):
    with pytest.raises(Exception) as raised:  # noqa: PT011 - botocore refuses before sending
        web.create_user_settings(copyAllowed="Disabled")
    assert "pasteAllowed" in str(raised.value)


# ----- identity providers --------------------------------------------------------------------


def test_identity_provider_lifecycle(web, account_id):
    portal_arn = new_portal(web)
    portal_id = portal_arn.rsplit("/", 1)[1]
    arn = saml_provider(web, portal_arn)
    assert arn.startswith(f"arn:aws:workspaces-web:eu-west-1:{account_id}:identityProvider/{portal_id}/")
    idp = call(web, "get_identity_provider", identityProviderArn=arn)["identityProvider"]
    assert idp == {"identityProviderArn": arn, "identityProviderName": "corp-idp", "identityProviderType": "SAML",
                   "identityProviderDetails": {"MetadataURL": "https://idp.example.com/metadata"}}
    updated = call(web, "update_identity_provider", identityProviderArn=arn, identityProviderName="new-name")
    assert updated["identityProvider"]["identityProviderDetails"] == idp["identityProviderDetails"]
    assert updated["identityProvider"]["identityProviderName"] == "new-name"
    listed = call(web, "list_identity_providers", portalArn=portal_arn)["identityProviders"]
    assert listed == [{"identityProviderArn": arn, "identityProviderName": "new-name", "identityProviderType": "SAML"}]
    with pytest.raises(web.exceptions.ConflictException):
        saml_provider(web, portal_arn)
    call(web, "delete_identity_provider", identityProviderArn=arn)
    assert call(web, "list_identity_providers", portalArn=portal_arn)["identityProviders"] == []
    with pytest.raises(web.exceptions.ResourceNotFoundException):
        web.get_identity_provider(identityProviderArn=arn)


def test_service_provider_metadata_names_the_portal_endpoint(web):
    created = call(web, "create_portal")
    answer = call(web, "get_portal_service_provider_metadata", portalArn=created["portalArn"])
    assert answer["portalArn"] == created["portalArn"]
    assert created["portalEndpoint"] in answer["serviceProviderSamlMetadata"]


# ----- paging --------------------------------------------------------------------------------


def pages(web, method, key, **kwargs):
    items, token, calls = [], None, 0
    while True:
        answer = call(web, method, maxResults=1, **kwargs, **({"nextToken": token} if token else {}))
        items += answer[key]
        calls += 1
        token = answer.get("nextToken")
        if not token:
            return items, calls


@pytest.mark.parametrize("kind", sorted(SETTINGS))
def test_list_pages_with_max_results_one_over_three_items(web, kind):
    method, key = LIST_METHOD[kind]
    arns = [create(web, kind) for _ in range(3)]
    items, calls = pages(web, method, key)
    assert [item[f"{MEMBER[kind]}Arn"] for item in items] == arns
    assert calls == 3


def test_list_portals_pages(web):
    arns = [new_portal(web) for _ in range(3)]
    items, calls = pages(web, "list_portals", "portals")
    assert ([p["portalArn"] for p in items], calls) == (arns, 3)


def test_invalid_next_token_is_a_validation_error(web):
    with pytest.raises(ClientError) as raised:
        web.list_portals(nextToken="garbage")
    assert_invalid(raised, "nextToken")


def test_list_summaries_carry_the_model_fields(web):
    arn = create(web, "user_settings", disconnectTimeoutInMinutes=20)
    summary = call(web, "list_user_settings")["userSettings"][0]
    assert summary["userSettingsArn"] == arn
    assert summary["disconnectTimeoutInMinutes"] == 20
    assert "associatedPortalArns" not in summary
    ip_arn = create(web, "ip_access_settings", displayName="office")
    ip_summary = call(web, "list_ip_access_settings")["ipAccessSettings"][0]
    assert (ip_summary["ipAccessSettingsArn"], ip_summary["displayName"]) == (ip_arn, "office")
    assert "ipRules" not in ip_summary


# ----- tags ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SETTINGS) + ["portal", "identity_provider"])
def test_tags_on_every_arn_type(web, kind):
    if kind == "portal":
        arn = new_portal(web, tags=[{"Key": "Name", "Value": "first"}])
    elif kind == "identity_provider":
        arn = call(web, "create_identity_provider", portalArn=new_portal(web), identityProviderName="corp-idp",
                   identityProviderType="SAML", identityProviderDetails={"MetadataFile": "<xml/>"},
                   tags=[{"Key": "Name", "Value": "first"}])["identityProviderArn"]
    else:
        arn = create(web, kind, tags=[{"Key": "Name", "Value": "first"}])
    new_tags = [{"Key": "Name", "Value": "second"}, {"Key": "team", "Value": "ml"}]
    call(web, "tag_resource", resourceArn=arn, tags=new_tags)
    tags = call(web, "list_tags_for_resource", resourceArn=arn)["tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("Name", "second"), ("team", "ml")]
    call(web, "untag_resource", resourceArn=arn, tagKeys=["Name"])
    assert call(web, "list_tags_for_resource", resourceArn=arn)["tags"] == [{"Key": "team", "Value": "ml"}]


def test_more_than_200_tags_is_refused(web):
    arn = new_portal(web)
    call(web, "tag_resource", resourceArn=arn, tags=[{"Key": f"k{i}", "Value": "v"} for i in range(150)])
    with pytest.raises(ClientError) as raised:
        web.tag_resource(resourceArn=arn, tags=[{"Key": f"x{i}", "Value": "v"} for i in range(51)])
    assert error_of(raised)[:2] == ("TooManyTagsException", 400)
    assert len(call(web, "list_tags_for_resource", resourceArn=arn)["tags"]) == 150


# ----- idempotency and quotas ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["portal", *sorted(SETTINGS)])
def test_create_with_the_same_client_token_creates_once(web, kind):
    if kind == "portal":
        first = call(web, "create_portal", clientToken="token-1")["portalArn"]
        again = call(web, "create_portal", clientToken="token-1")["portalArn"]
        listed = call(web, "list_portals")["portals"]
    else:
        first, again = create(web, kind, clientToken="token-1"), create(web, kind, clientToken="token-1")
        method, key = LIST_METHOD[kind]
        listed = call(web, method)[key]
    assert first == again
    assert len(listed) == 1


def test_reusing_a_client_token_with_other_parameters_is_a_conflict(web):
    call(web, "create_portal", clientToken="token-1", displayName="one")
    with pytest.raises(web.exceptions.ConflictException):
        web.create_portal(clientToken="token-1", displayName="two")


def test_portal_quota_is_three_per_region(web):
    for _ in range(3):
        new_portal(web)
    with pytest.raises(ClientError) as raised:
        web.create_portal()
    code, status, response = error_of(raised)
    assert (code, status) == ("ServiceQuotaExceededException", 402)
    assert response["serviceCode"] == "workspaces-web"


def test_concurrent_sessions_are_bounded_by_the_instance_type_quota(web):
    arn = new_portal(web, instanceType="standard.regular", maxConcurrentSessions=25)
    with pytest.raises(web.exceptions.ServiceQuotaExceededException):
        web.update_portal(portalArn=arn, instanceType="standard.xlarge")
    with pytest.raises(web.exceptions.ServiceQuotaExceededException):
        web.create_portal(instanceType="standard.large", maxConcurrentSessions=11)
    assert call(web, "get_portal", portalArn=arn)["portal"]["instanceType"] == "standard.regular"
