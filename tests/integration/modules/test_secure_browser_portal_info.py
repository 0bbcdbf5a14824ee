"""mlperimeter.aws.secure_browser_portal_info against the emulator, run in-process."""

import pytest

from support.modules import run_module


@pytest.fixture
def info(emulator, account_id):
    def info_(**args):
        return run_module("secure_browser_portal_info", args, emulator=emulator, account_id=account_id)

    return info_


@pytest.fixture
def portals(emulator, account_id, aws):
    web = aws("workspaces-web")
    made = run_module("secure_browser_portal", {
        "display_name": "mlperimeter",
        "authentication_type": "IAM_Identity_Center",
        "user_settings": {},
        "ip_access_settings": {"rules": [{"ip_range": "198.51.100.0/24"}]},
    }, emulator=emulator, account_id=account_id)["portal"]
    unmanaged = web.create_portal(displayName="console-made")["portalArn"]
    return made["portal_arn"], unmanaged


def test_lists_every_portal_with_its_settings(info, portals):
    managed, unmanaged = portals
    result = info()
    assert result["changed"] is False
    by_arn = {p["portal_arn"]: p for p in result["portals"]}
    assert set(by_arn) == {managed, unmanaged}
    mine = by_arn[managed]
    assert mine["managed"] is True and by_arn[unmanaged]["managed"] is False
    assert mine["user_settings"]["copy_allowed"] == "Disabled"
    assert mine["ip_access_settings"]["ip_rules"] == [{"ip_range": "198.51.100.0/24"}]
    assert mine["network_settings"] is None
    assert mine["tags"] == {"mlperimeter:managed": "true"}
    # A Standard portal carries the SAML metadata its identity provider needs.
    assert "EntityDescriptor" in by_arn[unmanaged]["service_provider_saml_metadata"]


def test_filters_by_display_name_or_arn(info, portals):
    managed, unmanaged = portals
    assert [p["portal_arn"] for p in info(display_name="mlperimeter")["portals"]] == [managed]
    assert [p["portal_arn"] for p in info(portal_arn=unmanaged)["portals"]] == [unmanaged]
    assert info(display_name="nothing")["portals"] == []
    gone = managed[:-12] + "000000000000"
    assert info(portal_arn=gone)["portals"] == []


def test_a_malformed_arn_is_refused(info):
    result = info(portal_arn="arn:aws:workspaces-web:eu-west-1:1:portal/x")
    assert result["failed"] is True and "portal_arn=" in result["msg"]
    assert info(display_name="a", portal_arn="b")["failed"] is True
