"""mlperimeter.aws.secure_browser_portal against the emulator, run in-process.

Every change is made four ways (check mode, real, check mode again, real again),
asserting ``changed`` each time and reading the result back through boto3.
"""

import copy
import json

import pytest
from botocore.exceptions import ClientError

from support.modules import run_module

MODULE = "secure_browser_portal"
NAME = "mlperimeter"
POLICY = {"chromePolicies": {"DownloadRestrictions": {"value": 3}, "DeveloperToolsAvailability": {"value": 2}}}
STREAM = "arn:aws:kinesis:eu-west-1:{account}:stream/amazon-workspaces-web-{name}"
FLAGS = ("copy_allowed", "paste_allowed", "download_allowed", "upload_allowed", "print_allowed")


@pytest.fixture
def web(aws):
    return aws("workspaces-web")


@pytest.fixture
def network(aws):
    """A VPC with private subnets in two AZs (and a third) and two security groups, as a rollout makes them."""
    ec2 = aws("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"eu-west-1{az}")["Subnet"]
        for i, az in enumerate("abc")
    ]
    groups = [
        ec2.create_security_group(VpcId=vpc_id, GroupName=f"portal-{i}", Description="portal")["GroupId"]
        for i in range(2)
    ]
    assert len({s["AvailabilityZone"] for s in subnets[:2]}) == 2
    return {"vpc_id": vpc_id, "subnet_ids": [s["SubnetId"] for s in subnets], "security_group_ids": groups}


@pytest.fixture
def run(emulator, account_id):
    def run_(args, check=False):
        return run_module(MODULE, args, emulator=emulator, account_id=account_id, check=check)

    return run_


def full_args(network, account_id, **overrides):
    args = {
        "display_name": NAME,
        "authentication_type": "IAM_Identity_Center",
        "instance_type": "standard.regular",
        "max_concurrent_sessions": 5,
        "browser_settings": {
            "browser_policy": json.dumps(POLICY),
            "web_content_filtering_policy": {
                "blocked_urls": ["*"],
                "allowed_urls": ["aws.amazon.com", "sagemaker.aws"],
                "blocked_categories": ["GenerativeAI"],
            },
        },
        "user_settings": {
            "disconnect_timeout_in_minutes": 60,
            "idle_disconnect_timeout_in_minutes": 15,
            "deep_link_allowed": "Disabled",
            "toolbar_configuration": {"hidden_toolbar_items": ["Webcam", "Microphone"], "toolbar_type": "Docked"},
            "cookie_synchronization_configuration": {"allowlist": [{"domain": "awsapps.com"}]},
        },
        "network_settings": {
            "vpc_id": network["vpc_id"],
            "subnet_ids": network["subnet_ids"][:2],
            "security_group_ids": network["security_group_ids"][:1],
        },
        "ip_access_settings": {
            "display_name": "office",
            "rules": [{"ip_range": "203.0.113.0/24", "description": "office"}],
        },
        "user_access_logging": {"kinesis_stream_arn": STREAM.format(account=account_id, name="access")},
        "session_logger": {"bucket": "mlperimeter-session-logs", "key_prefix": "sessions/"},
        "tags": {"mlperimeter:control": "A1"},
    }
    args.update(overrides)
    return args


def warnings_of(result):
    """The texts of a result's warnings (ansible-core 2.19 wraps each in an event)."""
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]


def portal_of(web, name=NAME):
    portals = [p for p in web.list_portals()["portals"] if p.get("displayName") == name]
    assert len(portals) == 1, portals
    return web.get_portal(portalArn=portals[0]["portalArn"])["portal"]


def four_ways(run, args, read):
    """Check, real, check, real: ``changed`` is True, True, False, False, and only
    the real run changes what ``read()`` sees. The results are returned."""
    before = read()
    results = [run(args, check=True)]
    assert results[0].get("failed") is not True, results[0]
    assert read() == before, "check mode changed something"
    results.append(run(args))
    assert results[1].get("failed") is not True, results[1]
    changed_to = read()
    results.append(run(args, check=True))
    results.append(run(args))
    assert [r["changed"] for r in results] == [True, True, False, False], [r.get("changes") for r in results]
    assert read() == changed_to
    return results


# ----- creation ---------------------------------------------------------------------------


def test_creates_the_portal_with_every_settings_type_and_transfers_off(run, web, network, account_id):
    args = full_args(network, account_id)
    results = four_ways(run, args, lambda: [p["portalArn"] for p in web.list_portals()["portals"]])
    assert "create portal" in results[0]["changes"]
    portal = portal_of(web)
    assert portal["authenticationType"] == "IAM_Identity_Center"
    assert portal["portalStatus"] == "Active"
    tags = {t["Key"]: t["Value"] for t in web.list_tags_for_resource(resourceArn=portal["portalArn"])["tags"]}
    assert tags == {"mlperimeter:managed": "true", "mlperimeter:control": "A1"}

    user = web.get_user_settings(userSettingsArn=portal["userSettingsArn"])["userSettings"]
    assert {user[k] for k in ("copyAllowed", "pasteAllowed", "downloadAllowed", "uploadAllowed", "printAllowed")} == {
        "Disabled"}
    assert user["idleDisconnectTimeoutInMinutes"] == 15
    assert sorted(user["toolbarConfiguration"]["hiddenToolbarItems"]) == ["Microphone", "Webcam"]
    browser = web.get_browser_settings(browserSettingsArn=portal["browserSettingsArn"])["browserSettings"]
    assert json.loads(browser["browserPolicy"]) == POLICY
    assert browser["webContentFilteringPolicy"]["blockedUrls"] == ["*"]
    net = web.get_network_settings(networkSettingsArn=portal["networkSettingsArn"])["networkSettings"]
    assert sorted(net["subnetIds"]) == sorted(network["subnet_ids"][:2])
    assert net["vpcId"] == network["vpc_id"]
    ip = web.get_ip_access_settings(ipAccessSettingsArn=portal["ipAccessSettingsArn"])["ipAccessSettings"]
    assert ip["ipRules"] == [{"ipRange": "203.0.113.0/24", "description": "office"}]
    ual = web.get_user_access_logging_settings(
        userAccessLoggingSettingsArn=portal["userAccessLoggingSettingsArn"])["userAccessLoggingSettings"]
    assert ual["kinesisStreamArn"].endswith("amazon-workspaces-web-access")
    logger = web.get_session_logger(sessionLoggerArn=portal["sessionLoggerArn"])["sessionLogger"]
    assert logger["eventFilter"] == {"all": {}}
    assert logger["logConfiguration"]["s3"]["bucket"] == "mlperimeter-session-logs"
    # Settings objects the module creates carry the portal's tags.
    settings_tags = web.list_tags_for_resource(resourceArn=portal["userSettingsArn"])["tags"]
    assert {"Key": "mlperimeter:managed", "Value": "true"} in settings_tags

    result = results[1]["portal"]
    assert result["portal_arn"] == portal["portalArn"]
    assert result["user_settings"]["download_allowed"] == "Disabled"
    assert result["network_settings"]["vpc_id"] == network["vpc_id"]
    assert result["session_logger"]["log_configuration"]["s3"]["bucket_owner"] == account_id
    assert result["tags"]["mlperimeter:control"] == "A1"
    assert results[1]["needs_identity_provider"] is False
    assert results[0]["portal"] == {}  # check mode creates nothing to return


# ----- an update of every setting ---------------------------------------------------------


def _user(web, portal):
    return web.get_user_settings(userSettingsArn=portal["userSettingsArn"])["userSettings"]


def _browser(web, portal):
    return web.get_browser_settings(browserSettingsArn=portal["browserSettingsArn"])["browserSettings"]


def _network(web, portal):
    return web.get_network_settings(networkSettingsArn=portal["networkSettingsArn"])["networkSettings"]


def _ip(web, portal):
    return web.get_ip_access_settings(ipAccessSettingsArn=portal["ipAccessSettingsArn"])["ipAccessSettings"]


def _ual(web, portal):
    arn = portal["userAccessLoggingSettingsArn"]
    return web.get_user_access_logging_settings(userAccessLoggingSettingsArn=arn)["userAccessLoggingSettings"]


def _logger(web, portal):
    return web.get_session_logger(sessionLoggerArn=portal["sessionLoggerArn"])["sessionLogger"]


def _set(path, value):
    def mutate(args, network, account_id):
        """Change ``path`` in ``args``; the settings section it is in is mutate.section."""
        target = args
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value(network, account_id) if callable(value) else value
    mutate.section = path[0] if len(path) > 1 else None
    return mutate


NEW_POLICY = {"chromePolicies": {"DownloadRestrictions": {"value": 3}, "IncognitoModeAvailability": {"value": 1}}}

# (id, change to the task, what to read back, the value it must have after).
UPDATES = [
    ("authentication_type", _set(["authentication_type"], "Standard"),
     lambda web, p: p["authenticationType"], "Standard"),
    ("instance_type", _set(["instance_type"], "standard.large"), lambda web, p: p["instanceType"], "standard.large"),
    ("max_concurrent_sessions", _set(["max_concurrent_sessions"], 3), lambda web, p: p["maxConcurrentSessions"], 3),
    ("tags", _set(["tags"], {"mlperimeter:control": "A1", "owner": "platform"}),
     lambda web, p: {t["Key"]: t["Value"] for t in web.list_tags_for_resource(resourceArn=p["portalArn"])["tags"]},
     {"mlperimeter:managed": "true", "mlperimeter:control": "A1", "owner": "platform"}),
    ("browser_policy", _set(["browser_settings", "browser_policy"], json.dumps(NEW_POLICY)),
     lambda web, p: json.loads(_browser(web, p)["browserPolicy"]), NEW_POLICY),
    ("web_content_filtering_policy",
     _set(["browser_settings", "web_content_filtering_policy"],
          {"blocked_urls": ["*"], "allowed_urls": ["aws.amazon.com", "sagemaker.aws", "awsapps.com"]}),
     lambda web, p: _browser(web, p)["webContentFilteringPolicy"],
     {"blockedUrls": ["*"], "allowedUrls": ["aws.amazon.com", "awsapps.com", "sagemaker.aws"]}),
    *[(flag, _set(["user_settings", flag], "Enabled"),
       lambda web, p, flag=flag: _user(web, p)["".join(w.capitalize() if i else w
                                                         for i, w in enumerate(flag.split("_")))], "Enabled")
      for flag in FLAGS],
    ("deep_link_allowed", _set(["user_settings", "deep_link_allowed"], "Enabled"),
     lambda web, p: _user(web, p)["deepLinkAllowed"], "Enabled"),
    ("disconnect_timeout", _set(["user_settings", "disconnect_timeout_in_minutes"], 120),
     lambda web, p: _user(web, p)["disconnectTimeoutInMinutes"], 120),
    ("idle_disconnect_timeout", _set(["user_settings", "idle_disconnect_timeout_in_minutes"], 0),
     lambda web, p: _user(web, p)["idleDisconnectTimeoutInMinutes"], 0),
    ("toolbar_configuration",
     _set(["user_settings", "toolbar_configuration"],
          {"visual_mode": "Dark", "max_display_resolution": "size1920X1080"}),
     lambda web, p: _user(web, p)["toolbarConfiguration"],
     {"visualMode": "Dark", "maxDisplayResolution": "size1920X1080"}),
    ("cookie_synchronization",
     _set(["user_settings", "cookie_synchronization_configuration"],
          {"allowlist": [{"domain": "awsapps.com"}, {"domain": ".okta.com", "path": "/"}],
           "blocklist": [{"domain": "example.com", "name": "tracker"}]}),
     lambda web, p: _user(web, p)["cookieSynchronizationConfiguration"],
     {"allowlist": [{"domain": ".okta.com", "path": "/"}, {"domain": "awsapps.com"}],
      "blocklist": [{"domain": "example.com", "name": "tracker"}]}),
    ("subnet_ids", _set(["network_settings", "subnet_ids"], lambda n, a: n["subnet_ids"][1:]),
     lambda web, p: sorted(_network(web, p)["subnetIds"]), "subnets 1-2"),
    ("security_group_ids", _set(["network_settings", "security_group_ids"], lambda n, a: n["security_group_ids"]),
     lambda web, p: sorted(_network(web, p)["securityGroupIds"]), "both groups"),
    ("ip_rules", _set(["ip_access_settings", "rules"],
                      [{"ip_range": "203.0.113.0/24", "description": "office"},
                       {"cidr": "198.51.100.7/32", "description": "vpn"}]),
     lambda web, p: sorted(r["ipRange"] for r in _ip(web, p)["ipRules"]), ["198.51.100.7/32", "203.0.113.0/24"]),
    ("ip_access_description", _set(["ip_access_settings", "description"], "who may open the portal"),
     lambda web, p: _ip(web, p).get("description"), "who may open the portal"),
    ("kinesis_stream_arn", _set(["user_access_logging", "kinesis_stream_arn"],
                                lambda n, a: STREAM.format(account=a, name="other")),
     lambda web, p: _ual(web, p)["kinesisStreamArn"].rsplit("/", 1)[-1], "amazon-workspaces-web-other"),
    ("session_logger_events", _set(["session_logger", "events"], ["UrlBlockByContentFilter", "PrintJobSubmit"]),
     lambda web, p: _logger(web, p)["eventFilter"], {"include": ["PrintJobSubmit", "UrlBlockByContentFilter"]}),
    ("session_logger_bucket", _set(["session_logger", "key_prefix"], "browser/"),
     lambda web, p: _logger(web, p)["logConfiguration"]["s3"]["keyPrefix"], "browser/"),
    ("session_logger_format", _set(["session_logger", "log_file_format"], "Json"),
     lambda web, p: _logger(web, p)["logConfiguration"]["s3"]["logFileFormat"], "Json"),
    ("session_logger_folders", _set(["session_logger", "folder_structure"], "Flat"),
     lambda web, p: _logger(web, p)["logConfiguration"]["s3"]["folderStructure"], "Flat"),
    ("session_logger_display_name", _set(["session_logger", "display_name"], "perimeter logger"),
     lambda web, p: _logger(web, p).get("displayName"), "perimeter logger"),
]


SECTIONS = ("browser_settings", "user_settings", "network_settings", "ip_access_settings", "user_access_logging",
            "session_logger")


def _sorted_lists(value):
    if isinstance(value, dict):
        return {k: _sorted_lists(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_sorted_lists(v) for v in value), key=json.dumps)
    return value


@pytest.mark.parametrize("mutate,read,expected", [u[1:] for u in UPDATES], ids=[u[0] for u in UPDATES])
def test_update_of_every_setting_four_ways(run, web, network, account_id, mutate, read, expected):
    # The portal with only the settings type the case changes keeps the run short.
    full = full_args(network, account_id)
    base = {k: v for k, v in full.items() if k not in SECTIONS or k == mutate.section}
    assert run(base)["changed"] is True
    arns_before = {k: v for k, v in portal_of(web).items() if k.endswith("Arn")}
    args = copy.deepcopy(base)
    mutate(args, network, account_id)
    if expected == "subnets 1-2":
        expected = sorted(network["subnet_ids"][1:])
    elif expected == "both groups":
        expected = sorted(network["security_group_ids"])

    def state():
        portal = portal_of(web)
        return read(web, portal), portal.get("portalStatus"), portal.get("authenticationType")

    results = four_ways(run, args, state)
    assert _sorted_lists(state()[0]) == _sorted_lists(expected)
    # Updated in place: the portal and its settings objects keep their ARNs.
    assert {k: v for k, v in portal_of(web).items() if k.endswith("Arn")} == arns_before
    assert results[1]["changes"] and not results[3]["changes"]


def test_omitting_a_sub_option_leaves_that_settings_type_alone(run, web, network, account_id):
    assert run(full_args(network, account_id))["changed"] is True
    portal = portal_of(web)
    user_before = _user(web, portal)
    args = {"display_name": NAME, "instance_type": "standard.large"}  # no settings sub-options at all
    four_ways(run, args, lambda: portal_of(web)["instanceType"])
    after = portal_of(web)
    assert _user(web, after) == user_before
    assert {k: v for k, v in after.items() if k.endswith("SettingsArn") or k == "sessionLoggerArn"} == {
        k: v for k, v in portal.items() if k.endswith("SettingsArn") or k == "sessionLoggerArn"}


# ----- a settings object shared by two portals ------------------------------------------


def test_a_shared_settings_object_is_never_edited_this_portal_gets_its_own(run, web, network, account_id):
    assert run(full_args(network, account_id))["changed"] is True
    other = run({"display_name": "other", "authentication_type": "IAM_Identity_Center"})
    other_arn = other["portal"]["portal_arn"]
    shared = portal_of(web)["userSettingsArn"]
    web.associate_user_settings(portalArn=other_arn, userSettingsArn=shared)
    shared_before = web.get_user_settings(userSettingsArn=shared)["userSettings"]
    assert sorted(shared_before["associatedPortalArns"]) == sorted([portal_of(web)["portalArn"], other_arn])

    # Asking for what the shared object already has changes nothing.
    base = full_args(network, account_id)
    assert run(base)["changed"] is False

    args = copy.deepcopy(base)
    args["user_settings"]["paste_allowed"] = "Enabled"
    results = four_ways(run, args, lambda: portal_of(web)["userSettingsArn"])
    assert any("also used by" in c for c in results[1]["changes"])
    own = portal_of(web)["userSettingsArn"]
    assert own != shared
    mine = web.get_user_settings(userSettingsArn=own)["userSettings"]
    assert mine["pasteAllowed"] == "Enabled"
    assert mine["associatedPortalArns"] == [portal_of(web)["portalArn"]]
    # The copy keeps what the task did not set, from the shared object.
    assert mine["toolbarConfiguration"] == shared_before["toolbarConfiguration"]
    assert mine["idleDisconnectTimeoutInMinutes"] == shared_before["idleDisconnectTimeoutInMinutes"]
    # The other portal's object is untouched and is now its own.
    shared_after = web.get_user_settings(userSettingsArn=shared)["userSettings"]
    assert shared_after["pasteAllowed"] == "Disabled"
    assert shared_after["associatedPortalArns"] == [other_arn]
    assert {k: v for k, v in shared_after.items() if k != "associatedPortalArns"} == {
        k: v for k, v in shared_before.items() if k != "associatedPortalArns"}
    assert web.get_portal(portalArn=other_arn)["portal"]["userSettingsArn"] == shared


# ----- attributes AWS sets only at creation -----------------------------------------------


@pytest.fixture
def kms_keys(aws):
    kms = aws("kms")
    return [kms.create_key(Description=f"portal {i}")["KeyMetadata"]["Arn"] for i in range(2)]


def test_a_new_customer_managed_key_is_refused_naming_the_attribute(run, web, network, account_id, kms_keys,
                                                                    emulator):
    args = full_args(network, account_id, customer_managed_key=kms_keys[0])
    assert run(args)["changed"] is True
    portal = portal_of(web)
    assert portal["customerManagedKey"] == kms_keys[0]
    assert _user(web, portal)["customerManagedKey"] == kms_keys[0]

    changed = dict(args, customer_managed_key=kms_keys[1])
    for check in (True, False):
        result = run(changed, check=check)
        assert result["failed"] is True
        assert "customer_managed_key" in result["msg"] and "replace_immutable" in result["msg"]
    assert portal_of(web) == portal

    context = dict(args, additional_encryption_context={"purpose": "perimeter"})
    result = run(context)
    assert result["failed"] is True and "additional_encryption_context" in result["msg"]


def test_replace_immutable_recreates_the_portal_and_its_settings_with_the_new_key(run, web, network, account_id,
                                                                               kms_keys):
    args = full_args(network, account_id, customer_managed_key=kms_keys[0])
    assert run(args)["changed"] is True
    old = portal_of(web)
    changed = dict(args, customer_managed_key=kms_keys[1], replace_immutable=True)
    results = four_ways(run, changed, lambda: portal_of(web)["portalArn"])
    assert any("replace portal" in c for c in results[1]["changes"])
    assert any("replaced" in w and "identity provider" in w for w in warnings_of(results[1]))
    new = portal_of(web)
    assert new["portalArn"] != old["portalArn"] and new["customerManagedKey"] == kms_keys[1]
    assert _user(web, new)["customerManagedKey"] == kms_keys[1]
    # Settings that take no key are kept and associated with the new portal.
    assert new["networkSettingsArn"] == old["networkSettingsArn"]
    # The old user settings, only the old portal's, are gone.
    with pytest.raises(ClientError) as raised:
        web.get_user_settings(userSettingsArn=old["userSettingsArn"])
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


# ----- removal ------------------------------------------------------------------------------


def test_absent_removes_the_portal_and_the_settings_only_it_used(run, web, network, account_id):
    assert run(full_args(network, account_id))["changed"] is True
    portal = portal_of(web)
    other = run({"display_name": "other", "authentication_type": "IAM_Identity_Center"})["portal"]["portal_arn"]
    web.associate_network_settings(portalArn=other, networkSettingsArn=portal["networkSettingsArn"])

    results = four_ways(run, {"display_name": NAME, "state": "absent"},
                        lambda: sorted(p["displayName"] for p in web.list_portals()["portals"]))
    assert sorted(p["displayName"] for p in web.list_portals()["portals"]) == ["other"]
    assert portal["networkSettingsArn"] in results[1]["kept_settings"]
    gone = [portal[k] for k in ("userSettingsArn", "browserSettingsArn", "ipAccessSettingsArn",
                                "userAccessLoggingSettingsArn", "sessionLoggerArn")]
    assert sorted(results[1]["deleted_settings"]) == sorted(gone)
    for getter, member, arn in [
        ("get_user_settings", "userSettingsArn", portal["userSettingsArn"]),
        ("get_browser_settings", "browserSettingsArn", portal["browserSettingsArn"]),
        ("get_ip_access_settings", "ipAccessSettingsArn", portal["ipAccessSettingsArn"]),
        ("get_user_access_logging_settings", "userAccessLoggingSettingsArn", portal["userAccessLoggingSettingsArn"]),
        ("get_session_logger", "sessionLoggerArn", portal["sessionLoggerArn"]),
    ]:
        with pytest.raises(ClientError) as raised:
            getattr(web, getter)(**{member: arn})
        assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    kept = web.get_network_settings(networkSettingsArn=portal["networkSettingsArn"])["networkSettings"]
    assert kept["associatedPortalArns"] == [other]
    assert results[0]["diff"]["before"]["portal"]["display_name"] == NAME
    assert results[0]["diff"]["after"] == {}


# ----- look-ups -----------------------------------------------------------------------------


def test_two_managed_portals_with_one_display_name_are_refused(run, web):
    for _ in range(2):
        web.create_portal(displayName=NAME, tags=[{"Key": "mlperimeter:managed", "Value": "true"}])
    result = run({"display_name": NAME})
    assert result["failed"] is True and "refusing to guess" in result["msg"]


def test_an_unmanaged_portal_with_the_display_name_is_not_taken_over(run, web):
    web.create_portal(displayName=NAME)
    result = run({"display_name": NAME, "authentication_type": "IAM_Identity_Center"})
    assert result["failed"] is True and "mlperimeter:managed" in result["msg"]
    absent = run({"display_name": NAME, "state": "absent"})
    assert absent["changed"] is False and "left alone" in warnings_of(absent)[0]
    assert len(web.list_portals()["portals"]) == 1


# ----- identity provider status -----------------------------------------------------------


def test_a_standard_portal_without_identity_provider_is_reported_not_failed(run, web, network, account_id):
    args = full_args(network, account_id, authentication_type="Standard")
    check = run(args, check=True)
    assert check["needs_identity_provider"] is True
    result = run(args)
    assert result.get("failed") is not True
    assert result["needs_identity_provider"] is True
    assert result["portal"]["portal_status"] == "Incomplete"
    assert any("no identity provider" in w and "Incomplete" in w for w in warnings_of(result))
    assert any("no identity provider" in w for w in warnings_of(check))
    assert "EntityDescriptor" in result["portal"]["service_provider_saml_metadata"]


# ----- diff ---------------------------------------------------------------------------------


def test_diff_shows_before_and_after_of_every_setting(run, network, account_id):
    args = full_args(network, account_id)
    created = run(args)
    assert created["diff"]["before"] == {}
    after = created["diff"]["after"]
    assert set(after) == {"portal", "browser_settings", "user_settings", "network_settings", "ip_access_settings",
                          "user_access_logging", "session_logger"}
    assert after["browser_settings"]["browser_policy"] == POLICY  # parsed, Chrome's policy names kept
    assert after["portal"]["tags"]["mlperimeter:managed"] == "true"

    changed = copy.deepcopy(args)
    changed["user_settings"]["copy_allowed"] = "Enabled"
    changed["max_concurrent_sessions"] = 4
    for check in (True, False):
        diff = run(changed, check=check)["diff"]
        assert diff["before"]["user_settings"]["copy_allowed"] == "Disabled"
        assert diff["after"]["user_settings"]["copy_allowed"] == "Enabled"
        assert diff["before"]["portal"]["max_concurrent_sessions"] == 5
        assert diff["after"]["portal"]["max_concurrent_sessions"] == 4
        assert diff["before"]["network_settings"] == diff["after"]["network_settings"]
        assert diff["after"]["user_settings"]["arn"] == diff["before"]["user_settings"]["arn"]


# ----- bad input ----------------------------------------------------------------------------


def _bad(section, key, value):
    def mutate(args):
        if section is None:
            args[key] = value
        else:
            args[section][key] = value
    return mutate


# (id, change to a valid task, text the message must contain: the field and the value)
BAD_INPUT = [
    ("cidr", _bad("ip_access_settings", "rules", [{"ip_range": "203.0.113.0/33"}]),
     "rules[0].ip_range='203.0.113.0/33'"),
    ("cidr_host_bits", _bad("ip_access_settings", "rules", [{"ip_range": "203.0.113.5/24"}]), "203.0.113.5/24"),
    ("cidr_ipv6", _bad("ip_access_settings", "rules", [{"ip_range": "2001:db8::/32"}]), "IPv4 only"),
    ("one_subnet", lambda a: a["network_settings"].update(subnet_ids=a["network_settings"]["subnet_ids"][:1]),
     "network_settings.subnet_ids"),
    ("six_subnets", _bad("network_settings", "subnet_ids", [f"subnet-0000000{i}" for i in range(6)]), "got 6"),
    ("subnet_format", _bad("network_settings", "subnet_ids", ["subnet-0000000a", "subnet-xyz"]),
     "subnet_ids[1]='subnet-xyz'"),
    ("no_security_group", _bad("network_settings", "security_group_ids", []), "security_group_ids"),
    ("six_security_groups", _bad("network_settings", "security_group_ids", [f"sg-0000000{i}" for i in range(6)]),
     "1 to 5"),
    ("security_group_format", _bad("network_settings", "security_group_ids", ["default"]),
     "security_group_ids[0]='default'"),
    ("vpc_format", _bad("network_settings", "vpc_id", "vpc_1"), "vpc_id='vpc_1'"),
    ("enum", _bad("user_settings", "copy_allowed", "Yes"), "copy_allowed"),
    ("toolbar_enum", _bad("user_settings", "toolbar_configuration", {"toolbar_type": "Hidden"}), "toolbar_type"),
    ("idle_timeout", _bad("user_settings", "idle_disconnect_timeout_in_minutes", 61),
     "idle_disconnect_timeout_in_minutes=61"),
    ("disconnect_timeout", _bad("user_settings", "disconnect_timeout_in_minutes", 0),
     "disconnect_timeout_in_minutes=0"),
    ("sessions", _bad(None, "max_concurrent_sessions", 6000), "max_concurrent_sessions=6000"),
    ("instance_type", _bad(None, "instance_type", "standard.huge"), "instance_type"),
    ("kms_arn", _bad(None, "customer_managed_key", "alias/perimeter"), "customer_managed_key='alias/perimeter'"),
    ("kinesis_arn", _bad("user_access_logging", "kinesis_stream_arn", "amazon-workspaces-web-x"), "kinesis_stream_arn"),
    ("kinesis_prefix", _bad("user_access_logging", "kinesis_stream_arn",
                            "arn:aws:kinesis:eu-west-1:111111111111:stream/logs"), "amazon-workspaces-web-"),
    ("policy_not_json", _bad("browser_settings", "browser_policy", "{chromePolicies: }"), "not valid JSON"),
    ("policy_format", _bad("browser_settings", "browser_policy", json.dumps({"AdditionalSettings": {}})),
     "AdditionalSettings"),
    ("url_wildcard", _bad("browser_settings", "web_content_filtering_policy", {"allowed_urls": ["*.aws.amazon.com"]}),
     "allowed_urls[0]='*.aws.amazon.com'"),
    ("category", _bad("browser_settings", "web_content_filtering_policy", {"blocked_categories": ["Boring"]}),
     "blocked_categories"),
    ("bucket", _bad("session_logger", "bucket", "Bad_Bucket"), "session_logger.bucket='Bad_Bucket'"),
    ("event", _bad("session_logger", "events", ["Everything"]), "events"),
    ("display_name", _bad(None, "display_name", "x" * 65), "display_name"),
]


@pytest.mark.parametrize("mutate,expected", [b[1:] for b in BAD_INPUT], ids=[b[0] for b in BAD_INPUT])
def test_bad_input_is_refused_naming_the_field_and_value(run, network, account_id, mutate, expected):
    args = full_args(network, account_id)
    mutate(args)
    result = run(args)
    assert result["failed"] is True
    assert expected in result["msg"], result["msg"]


def test_bad_input_makes_no_call_to_the_service(run, emulator, network, account_id):
    args = full_args(network, account_id)
    args["network_settings"]["subnet_ids"] = args["network_settings"]["subnet_ids"][:1]
    args["ip_access_settings"]["rules"] = [{"ip_range": "10.0.0.0/40"}]
    result = run(args)
    assert result["failed"] is True
    assert "network_settings.subnet_ids" in result["msg"] and "10.0.0.0/40" in result["msg"]  # every problem named
    assert result["problems"] and len(result["problems"]) == 2
    calls = [c for c in emulator.calls() if c["account"] == account_id and c["service"] == "workspaces-web"]
    assert calls == []
    # The filter above does see this account's service calls: a check-mode run reads, and writes nothing.
    assert run(full_args(network, account_id), check=True)["changed"] is True
    calls = [c for c in emulator.calls() if c["account"] == account_id and c["service"] == "workspaces-web"]
    assert calls and all(c["operation"].startswith(("List", "Get")) for c in calls)
