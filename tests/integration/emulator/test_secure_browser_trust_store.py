"""Contract tests of the emulator's WorkSpaces Secure Browser trust stores and
user-settings branding, driven through boto3."""

import datetime
import hashlib

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from support.contract import call

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def ca_certificate(name):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    return pem, hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


@pytest.fixture
def web(aws):
    return aws("workspaces-web")




def test_trust_store_certificates_are_listed_fetched_added_and_removed(web, account_id):
    first_pem, first = ca_certificate("Proxy CA")
    second_pem, second = ca_certificate("Other CA")
    arn = call(web, "create_trust_store", certificateList=[first_pem])["trustStoreArn"]
    assert arn.startswith(f"arn:aws:workspaces-web:eu-west-1:{account_id}:trustStore/")
    listed = call(web, "list_trust_store_certificates", trustStoreArn=arn)
    assert [c["thumbprint"] for c in listed["certificateList"]] == [first]
    assert listed["certificateList"][0]["subject"] == "CN=Proxy CA"
    fetched = call(web, "get_trust_store_certificate", trustStoreArn=arn, thumbprint=first)["certificate"]
    assert fetched["body"] == first_pem

    answer = call(web, "update_trust_store", trustStoreArn=arn, certificatesToAdd=[second_pem],
                  certificatesToDelete=[first])
    assert answer["trustStoreArn"] == arn
    listed = call(web, "list_trust_store_certificates", trustStoreArn=arn)["certificateList"]
    assert [c["thumbprint"] for c in listed] == [second]
    with pytest.raises(web.exceptions.ResourceNotFoundException):
        web.get_trust_store_certificate(trustStoreArn=arn, thumbprint=first)


def test_trust_store_association_and_conflicting_delete(web):
    pem, _ = ca_certificate("Proxy CA")
    arn = call(web, "create_trust_store", certificateList=[pem])["trustStoreArn"]
    portal = call(web, "create_portal")["portalArn"]
    answer = call(web, "associate_trust_store", portalArn=portal, trustStoreArn=arn)
    assert (answer["portalArn"], answer["trustStoreArn"]) == (portal, arn)
    assert call(web, "get_trust_store", trustStoreArn=arn)["trustStore"]["associatedPortalArns"] == [portal]
    assert call(web, "get_portal", portalArn=portal)["portal"]["trustStoreArn"] == arn
    with pytest.raises(web.exceptions.ConflictException):
        web.delete_trust_store(trustStoreArn=arn)
    call(web, "disassociate_trust_store", portalArn=portal)
    call(web, "delete_trust_store", trustStoreArn=arn)
    assert call(web, "list_trust_stores")["trustStores"] == []


def test_trust_store_refuses_what_is_not_a_certificate(web):
    with pytest.raises(ClientError) as raised:
        web.create_trust_store(certificateList=[b"not a certificate"])
    response = raised.value.response
    assert response["Error"]["Code"] == "ValidationException"
    assert [f["name"] for f in response["fieldList"]] == ["certificateList[0]"]


def test_user_settings_branding_returns_image_metadata_and_keeps_it_on_update(web):
    branding = {"logo": {"blob": PNG}, "favicon": {"blob": PNG}, "colorTheme": "Dark",
                "localizedStrings": {"en-US": {"browserTabTitle": "Perimeter", "welcomeText": "Welcome"}}}
    arn = call(web, "create_user_settings", copyAllowed="Disabled", pasteAllowed="Disabled",
               downloadAllowed="Disabled", uploadAllowed="Disabled", printAllowed="Disabled",
               brandingConfigurationInput=branding)["userSettingsArn"]
    stored = call(web, "get_user_settings", userSettingsArn=arn)["userSettings"]["brandingConfiguration"]
    assert stored["logo"]["mimeType"] == "image/png"
    assert stored["colorTheme"] == "Dark"
    updated = call(web, "update_user_settings", userSettingsArn=arn,
                   brandingConfigurationInput={"colorTheme": "Light"})["userSettings"]["brandingConfiguration"]
    assert updated["colorTheme"] == "Light"
    assert updated["localizedStrings"] == branding["localizedStrings"]
    assert updated["logo"] == stored["logo"]


def test_branding_added_by_update_needs_the_required_members(web):
    arn = call(web, "create_user_settings", copyAllowed="Disabled", pasteAllowed="Disabled",
               downloadAllowed="Disabled", uploadAllowed="Disabled", printAllowed="Disabled")["userSettingsArn"]
    with pytest.raises(ClientError) as raised:
        web.update_user_settings(userSettingsArn=arn, brandingConfigurationInput={"colorTheme": "Light"})
    fields = [f["name"] for f in raised.value.response["fieldList"]]
    assert "brandingConfigurationInput.logo" in fields
