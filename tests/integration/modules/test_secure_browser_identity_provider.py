"""mlperimeter.aws.secure_browser_identity_provider against the emulator, run in-process, four ways."""

import pytest

from support.modules import run_module

METADATA = "https://idp.example.com/app/{}/metadata.xml"
OIDC = {
    "client_id": "perimeter",
    "client_secret": "s3cr3t-value",
    "attributes_request_method": "GET",
    "oidc_issuer": "https://idp.example.com",
    "authorize_scopes": "openid email",
}


@pytest.fixture
def web(aws):
    return aws("workspaces-web")


@pytest.fixture
def run(emulator, account_id):
    def run_(module, args, check=False):
        return run_module(module, args, emulator=emulator, account_id=account_id, check=check)

    return run_


@pytest.fixture
def portal(run):
    result = run("secure_browser_portal", {"display_name": "mlperimeter", "authentication_type": "Standard"})
    assert result["needs_identity_provider"] is True
    return result["portal"]


def idps(web, portal_arn):
    return [web.get_identity_provider(identityProviderArn=s["identityProviderArn"])["identityProvider"]
            for s in web.list_identity_providers(portalArn=portal_arn)["identityProviders"]]


def four_ways(run, args, read):
    before = read()
    results = [run("secure_browser_identity_provider", args, check=True)]
    assert read() == before
    results.append(run("secure_browser_identity_provider", args))
    after = read()
    results.append(run("secure_browser_identity_provider", args, check=True))
    results.append(run("secure_browser_identity_provider", args))
    assert [r.get("failed") for r in results] == [None] * 4, results
    assert [r["changed"] for r in results] == [True, True, False, False]
    assert read() == after
    return results


def saml(url="v1", **details):
    return {"portal_display_name": "mlperimeter", "name": "company-sso", "type": "SAML",
            "details": {"MetadataURL": METADATA.format(url), **details}}


def test_a_saml_provider_makes_the_standard_portal_active(run, web, portal):
    arn = portal["portal_arn"]
    assert web.get_portal(portalArn=arn)["portal"]["portalStatus"] == "Incomplete"
    results = four_ways(run, saml(IDPSignout=True), lambda: idps(web, arn))
    [idp] = idps(web, arn)
    assert idp["identityProviderType"] == "SAML"
    assert idp["identityProviderDetails"]["MetadataURL"] == METADATA.format("v1")
    assert idp["identityProviderDetails"]["IDPSignout"] == "true"
    assert results[1]["portal_status"] == "Active"
    assert results[1]["identity_provider"]["identity_provider_name"] == "company-sso"
    assert results[0]["diff"] == {"before": {}, "after": {"name": "company-sso", "type": "SAML", "details": {
        "MetadataURL": METADATA.format("v1"), "IDPSignout": "true"}}}
    # The portal module no longer says it needs one.
    again = run("secure_browser_portal", {"display_name": "mlperimeter"})
    assert again["changed"] is False and again["needs_identity_provider"] is False
    assert again.get("warnings") is None


def test_details_and_type_are_updated_in_place(run, web, portal):
    arn = portal["portal_arn"]
    assert run("secure_browser_identity_provider", saml())["changed"] is True
    [first] = idps(web, arn)
    four_ways(run, saml("v2"), lambda: idps(web, arn))
    [second] = idps(web, arn)
    assert second["identityProviderArn"] == first["identityProviderArn"]
    assert second["identityProviderDetails"]["MetadataURL"] == METADATA.format("v2")

    oidc = {"portal_arn": arn, "name": "company-oidc", "type": "OIDC", "details": OIDC}
    results = four_ways(run, oidc, lambda: idps(web, arn))
    [third] = idps(web, arn)
    assert third["identityProviderArn"] == first["identityProviderArn"]
    assert (third["identityProviderName"], third["identityProviderType"]) == ("company-oidc", "OIDC")
    # Secrets never come back, in the result or the diff.
    assert results[1]["identity_provider"]["identity_provider_details"]["client_secret"] != OIDC["client_secret"]
    assert "s3cr3t-value" not in str(results[1]["diff"])


def test_absent_removes_the_provider(run, web, portal):
    arn = portal["portal_arn"]
    assert run("secure_browser_identity_provider", saml())["changed"] is True
    four_ways(run, {"portal_display_name": "mlperimeter", "state": "absent"}, lambda: idps(web, arn))
    assert idps(web, arn) == []
    assert web.get_portal(portalArn=arn)["portal"]["portalStatus"] == "Incomplete"


@pytest.mark.parametrize("args,expected", [
    (saml(MetadataFile="<xml/>"), "exactly one of MetadataFile or MetadataURL"),
    ({**saml(), "details": {"MetadataURL": "http://idp.example.com/m.xml"}}, "MetadataURL='http://idp.example.com"),
    ({**saml(), "name": "_x"}, "name='_x'"),
    ({"portal_display_name": "mlperimeter", "name": "oidc", "type": "OIDC", "details": {"client_id": "a"}},
     "needs client_secret"),
    ({"portal_arn": "arn:aws:workspaces-web:eu-west-1:111111111111:portal/nope", "name": "sso", "type": "SAML",
      "details": {"MetadataURL": "https://x"}}, "portal_arn="),
    ({**saml(), "type": "LDAP"}, "type"),
], ids=["saml_two_sources", "saml_http", "name", "oidc_missing", "portal_arn", "type"])
def test_bad_input_is_refused_before_any_call(run, emulator, account_id, args, expected):
    result = run("secure_browser_identity_provider", args)
    assert result["failed"] is True and expected in result["msg"], result["msg"]
    assert [c for c in emulator.calls() if c["account"] == account_id and c["service"] == "workspaces-web"] == []


def test_an_unknown_portal_is_a_clear_failure(run):
    result = run("secure_browser_identity_provider", {**saml(), "portal_display_name": "nowhere"})
    assert result["failed"] is True and "No portal named 'nowhere'" in result["msg"]


def test_an_identity_center_portal_gets_a_warning(run, web):
    run("secure_browser_portal", {"display_name": "mlperimeter", "authentication_type": "IAM_Identity_Center"})
    result = run("secure_browser_identity_provider", saml())
    assert result["changed"] is True
    assert any("IAM Identity Center" in w["event"]["msg"] for w in result["warnings"])
