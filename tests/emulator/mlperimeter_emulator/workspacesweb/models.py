"""WorkSpaces Secure Browser (``workspaces-web``): portals, the eight settings
types a portal has one slot each for, identity providers, trust store
certificates and tags, per account and Region.

Associations are kept in one place, the portal's slots; a settings object's
``associatedPortalArns`` is derived from them, so both sides always agree.
Resources are kept as dicts of the model's member names and are shaped for
each answer by moto's model-driven serializer.
"""

import base64
import copy
import hashlib
import ipaddress
import itertools
import json
import uuid

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.utilities.utils import get_partition

from .exceptions import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    TooManyTagsException,
    ValidationException,
)

# A portal has one slot per settings type; each name is also the resource type in the ARN.
SETTINGS_TYPES = (
    "browserSettings",
    "userSettings",
    "networkSettings",
    "ipAccessSettings",
    "trustStore",
    "userAccessLoggingSettings",
    "dataProtectionSettings",
    "sessionLogger",
)

# Default quotas per account and Region (admin guide, "Manage service quotas").
PORTAL_QUOTA = 3
SESSION_QUOTAS = {"standard.regular": 25, "standard.large": 10, "standard.xlarge": 5}
# The model gives no defaults. standard.regular is the smallest instance type, and
# 5 sessions fits the default quota of every instance type, so changing only the
# instance type of a portal never trips the quota.
DEFAULT_INSTANCE_TYPE = "standard.regular"
DEFAULT_MAX_CONCURRENT_SESSIONS = 5
# AWS documents no page size for requests without maxResults.
DEFAULT_PAGE_SIZE = 20
MAX_TAGS = 200

KINESIS_STREAM_PREFIX = "amazon-workspaces-web-"
IDENTITY_PROVIDER_KEYS = {
    "Google": ("client_id", "client_secret", "authorize_scopes"),
    "LoginWithAmazon": ("client_id", "client_secret", "authorize_scopes"),
    "Facebook": ("client_id", "client_secret", "authorize_scopes"),
    "SignInWithApple": ("client_id", "team_id", "key_id", "private_key", "authorize_scopes"),
    "OIDC": ("client_id", "client_secret", "attributes_request_method", "oidc_issuer", "authorize_scopes"),
}
BRANDING_REQUIRED = ("logo", "favicon", "localizedStrings", "colorTheme")
IMAGE_TYPES = (
    (b"\x89PNG", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpeg"),
    (b"\x00\x00\x01\x00", "image/x-icon", "ico"),
)
IMAGE_EXTENSIONS = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "ico": "image/x-icon"}


class Resource(BaseModel):
    """Anything with an ARN, tags and a place in creation order (for paging)."""

    def __init__(self, arn, sequence, tags):
        self.arn = arn
        self.sequence = sequence
        self.tags = {tag["Key"]: tag["Value"] for tag in tags or []}
        self.creation_date = utcnow()


class FakePortal(Resource):
    def __init__(self, arn, sequence, tags, portal_id, attributes):
        super().__init__(arn, sequence, tags)
        self.portal_id = portal_id
        self.attributes = attributes
        self.endpoint = _endpoint(portal_id)
        self.slots = {}


class FakeSettings(Resource):
    def __init__(self, arn, sequence, tags, kind, attributes):
        super().__init__(arn, sequence, tags)
        self.kind = kind
        self.attributes = attributes


class FakeIdentityProvider(Resource):
    def __init__(self, arn, sequence, tags, portal_arn, attributes):
        super().__init__(arn, sequence, tags)
        self.portal_arn = portal_arn
        self.attributes = attributes


class FakeCertificate:
    def __init__(self, sequence, body):
        try:
            cert = x509.load_pem_x509_certificate(body)
        except ValueError:
            try:
                cert = x509.load_der_x509_certificate(body)
            except ValueError:
                raise ValueError("not a PEM or DER encoded X.509 certificate") from None
        self.sequence = sequence
        self.body = body
        # A SHA-256 digest of the DER form: 64 hex characters, as the model requires.
        self.thumbprint = hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()
        self.summary = {
            "thumbprint": self.thumbprint,
            "subject": cert.subject.rfc4514_string() or "-",
            "issuer": cert.issuer.rfc4514_string() or "-",
            "notValidBefore": cert.not_valid_before_utc,
            "notValidAfter": cert.not_valid_after_utc,
        }


def _endpoint(portal_id):
    return f"{portal_id}.workspaces-web.com"


def _token(sequence):
    return base64.urlsafe_b64encode(f"v1:{sequence}".encode()).decode()


def _sequence_from_token(token):
    try:
        version, sequence = base64.urlsafe_b64decode(token.encode()).decode().split(":")
        if version != "v1":
            raise ValueError(version)
        return int(sequence)
    except ValueError:
        raise ValidationException.for_field("nextToken", "Member must be a token returned by an earlier call") from None


def _image_metadata(image, kind):
    if image.get("blob") is not None:
        match = next(((mime, ext) for magic, mime, ext in IMAGE_TYPES if image["blob"].startswith(magic)), None)
        if match is None:
            raise ValidationException.for_field(
                f"brandingConfigurationInput.{kind}.blob", "Member must be a PNG, JPEG or ICO image"
            )
        mime_type, extension = match
    else:
        extension = image["s3Uri"].rsplit(".", 1)[-1].lower()
        mime_type = IMAGE_EXTENSIONS.get(extension)
        if mime_type is None:
            raise ValidationException.for_field(
                f"brandingConfigurationInput.{kind}.s3Uri", "Member must name a .png, .jpg, .jpeg or .ico object"
            )
    return {"mimeType": mime_type, "fileExtension": extension, "lastUploadTimestamp": utcnow()}


class WorkSpacesWebBackend(BaseBackend):
    def __init__(self, region_name, account_id):
        super().__init__(region_name, account_id)
        self.portals = {}
        self.settings = {kind: {} for kind in SETTINGS_TYPES}
        self.identity_providers = {}
        self.certificates = {}
        self.client_tokens = {}
        self._sequence = itertools.count()

    # ----- helpers -------------------------------------------------------------------------

    def _arn(self, resource_type, *ids):
        partition = get_partition(self.region_name)
        return f"arn:{partition}:workspaces-web:{self.region_name}:{self.account_id}:{resource_type}/{'/'.join(ids)}"

    def _idempotent(self, operation, client_token, request, action):
        """Run ``action`` once per clientToken; a retry with the same token and
        request gets the first result instead of a second resource or change."""
        if client_token is None:
            return action()
        key = (operation, client_token)
        if key in self.client_tokens:
            previous_request, result = self.client_tokens[key]
            if previous_request != request:
                if operation.startswith("Create"):
                    raise ConflictException(
                        f"The clientToken {client_token} was already used with other parameters.",
                        "clientToken", client_token,
                    )
                # Update operations do not model ConflictException.
                raise ValidationException.for_field("clientToken", "Member was already used with other parameters")
            return result
        result = action()
        self.client_tokens[key] = (copy.deepcopy(request), result)
        return result

    def _page(self, items, max_results, next_token):
        if next_token is not None:
            start = _sequence_from_token(next_token)
            items = [item for item in items if item.sequence >= start]
        size = max_results or DEFAULT_PAGE_SIZE
        page, rest = items[:size], items[size:]
        return page, (_token(rest[0].sequence) if rest else None)

    def _find(self, arn):
        """The portal, settings object or identity provider an ARN names, or None."""
        if arn in self.portals:
            return self.portals[arn]
        if arn in self.identity_providers:
            return self.identity_providers[arn]
        for store in self.settings.values():
            if arn in store:
                return store[arn]
        return None

    @staticmethod
    def _resource_type(arn):
        return arn.split(":", 5)[-1].split("/", 1)[0]

    # ----- portals -------------------------------------------------------------------------

    def _check_session_quota(self, portal_arn, instance_type, max_sessions):
        quota = SESSION_QUOTAS[instance_type]
        if max_sessions > quota:
            raise ServiceQuotaExceededException(
                f"maxConcurrentSessions {max_sessions} exceeds the quota of {quota} concurrent sessions "
                f"for {instance_type} in {self.region_name}.",
                "portal", portal_arn, f"max-concurrent-sessions-{instance_type}",
            )

    def create_portal(self, attributes, tags, client_token):
        def create():
            if len(self.portals) >= PORTAL_QUOTA:
                raise ServiceQuotaExceededException(
                    f"An account can have at most {PORTAL_QUOTA} web portals in {self.region_name}.",
                    "portal", self.account_id, "web-portals",
                )
            values = dict(attributes)
            values.setdefault("authenticationType", "Standard")
            values.setdefault("instanceType", DEFAULT_INSTANCE_TYPE)
            values.setdefault("maxConcurrentSessions", DEFAULT_MAX_CONCURRENT_SESSIONS)
            portal_id = str(uuid.uuid4())
            arn = self._arn("portal", portal_id)
            self._check_session_quota(arn, values["instanceType"], values["maxConcurrentSessions"])
            self.portals[arn] = FakePortal(arn, next(self._sequence), tags, portal_id, values)
            return arn

        arn = self._idempotent("CreatePortal", client_token, (attributes, tags), create)
        return arn, _endpoint(arn.rsplit("/", 1)[-1])

    def get_portal(self, portal_arn):
        if portal_arn not in self.portals:
            raise ResourceNotFoundException("portal", portal_arn)
        return self.portals[portal_arn]

    def _portal_by_id(self, portal_id):
        for portal in self.portals.values():
            if portal.portal_id == portal_id:
                return portal
        raise ResourceNotFoundException("portal", portal_id)

    def list_portals(self, max_results, next_token):
        return self._page(list(self.portals.values()), max_results, next_token)

    def update_portal(self, portal_arn, changes):
        portal = self.get_portal(portal_arn)
        merged = {**portal.attributes, **changes}
        self._check_session_quota(portal_arn, merged["instanceType"], merged["maxConcurrentSessions"])
        portal.attributes = merged
        return portal

    def delete_portal(self, portal_arn):
        # Deleting a portal releases its associations (they live on the portal)
        # and removes its identity providers, which cannot outlive it.
        if self.portals.pop(portal_arn, None) is None:
            return
        for arn in [arn for arn, idp in self.identity_providers.items() if idp.portal_arn == portal_arn]:
            del self.identity_providers[arn]

    def describe_portal(self, portal):
        view = {
            "portalArn": portal.arn,
            "rendererType": "AppStream",
            "browserType": "Chrome",
            "portalEndpoint": portal.endpoint,
            "creationDate": portal.creation_date,
            **portal.attributes,
            **{f"{kind}Arn": arn for kind, arn in portal.slots.items()},
        }
        # The completeness rule is not documented. Terraform's acceptance tests see
        # a fresh Standard portal as Incomplete and an IAM Identity Center portal as
        # Active; a Standard portal becomes usable once it has an identity provider.
        has_idp = any(idp.portal_arn == portal.arn for idp in self.identity_providers.values())
        if portal.attributes["authenticationType"] == "Standard" and not has_idp:
            view["portalStatus"] = "Incomplete"
            view["statusReason"] = "A portal with Standard authentication needs an identity provider."
        else:
            view["portalStatus"] = "Active"
        return view

    def get_portal_service_provider_metadata(self, portal_arn):
        portal = self.get_portal(portal_arn)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            f'entityID="urn:amazon:workspaces-web:{self.region_name}:{portal.portal_id}">'
            '<md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" '
            'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            "<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>"
            '<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
            f'Location="https://{portal.endpoint}/saml2/idpresponse" index="1"/>'
            "</md:SPSSODescriptor></md:EntityDescriptor>"
        )

    # ----- settings ------------------------------------------------------------------------

    def get_settings(self, kind, arn):
        if arn not in self.settings[kind]:
            raise ResourceNotFoundException(kind, arn)
        return self.settings[kind][arn]

    def associated_portal_arns(self, settings):
        return [portal.arn for portal in self.portals.values() if portal.slots.get(settings.kind) == settings.arn]

    def describe_settings(self, settings):
        view = {
            f"{settings.kind}Arn": settings.arn,
            "associatedPortalArns": self.associated_portal_arns(settings),
            "creationDate": settings.creation_date,
            **settings.attributes,
        }
        return view

    def create_settings(self, kind, attributes, tags, client_token):
        def create():
            arn = self._arn(kind, str(uuid.uuid4()))
            sequence = next(self._sequence)
            values = self._new_settings_values(kind, arn, attributes)
            self.settings[kind][arn] = FakeSettings(arn, sequence, tags, kind, values)
            return arn

        return self._idempotent(f"Create:{kind}", client_token, (attributes, tags), create)

    def update_settings(self, kind, arn, changes, client_token):
        settings = self.get_settings(kind, arn)

        def update():
            self._update_settings_values(settings, changes)
            return arn

        self._idempotent(f"Update:{kind}", client_token, (arn, changes), update)
        return settings

    def list_settings(self, kind, max_results, next_token):
        return self._page(list(self.settings[kind].values()), max_results, next_token)

    def delete_settings(self, kind, arn):
        # Delete is idempotent in the model and lists no ResourceNotFoundException:
        # deleting something already gone succeeds.
        settings = self.settings[kind].get(arn)
        if settings is None:
            return
        portals = self.associated_portal_arns(settings)
        if portals:
            raise ConflictException(
                f"{kind} {arn} is associated with {', '.join(portals)}; disassociate it first.", kind, arn
            )
        del self.settings[kind][arn]

    def associate(self, kind, portal_arn, settings_arn):
        # A portal has one slot per type: associating another object of the same
        # type replaces the previous association (as the console's edit does).
        portal = self.get_portal(portal_arn)
        self.get_settings(kind, settings_arn)
        portal.slots[kind] = settings_arn

    def disassociate(self, kind, portal_arn):
        self.get_portal(portal_arn).slots.pop(kind, None)

    def _new_settings_values(self, kind, arn, attributes):
        values = copy.deepcopy(attributes)
        if kind == "browserSettings" and not any(values.get(k) for k in ("browserPolicy", "webContentFilteringPolicy")):
            # Older models required browserPolicy; the current one requires one of the two.
            raise ValidationException.for_field(
                "browserPolicy", "Either browserPolicy or webContentFilteringPolicy is required"
            )
        if kind == "userSettings":
            values.setdefault("deepLinkAllowed", "Disabled")
            branding = values.pop("brandingConfigurationInput", None)
            if branding is not None:
                values["brandingConfiguration"] = self._branding(None, branding)
        if kind == "trustStore":
            values = {}
            self.certificates[arn] = {}
            try:
                self._add_certificates(arn, attributes["certificateList"], "certificateList")
            except ValidationException:
                del self.certificates[arn]
                raise
        if kind == "sessionLogger":
            values["logConfiguration"].get("s3", {}).setdefault("bucketOwner", self.account_id)
        self._check_values(kind, values)
        return values

    def _update_settings_values(self, settings, changes):
        values = copy.deepcopy(settings.attributes)
        changes = copy.deepcopy(changes)
        if settings.kind == "trustStore":
            self._update_certificates(settings.arn, changes)
            return
        if settings.kind == "userSettings" and "brandingConfigurationInput" in changes:
            values["brandingConfiguration"] = self._branding(
                values.get("brandingConfiguration"), changes.pop("brandingConfigurationInput")
            )
        if settings.kind == "sessionLogger" and "logConfiguration" in changes:
            changes["logConfiguration"].get("s3", {}).setdefault("bucketOwner", self.account_id)
        # PATCH semantics: members that are not sent stay as they are; a member that
        # is sent replaces the stored one whole (lists and structures are not merged).
        values.update(changes)
        self._check_values(settings.kind, values)
        settings.attributes = values

    def _check_values(self, kind, values):
        if kind == "browserSettings" and values.get("browserPolicy") is not None:
            try:
                policy = json.loads(values["browserPolicy"])
            except ValueError:
                policy = None
            if not isinstance(policy, dict):
                raise ValidationException.for_field("browserPolicy", "Member must be a JSON object")
        if kind == "networkSettings":
            for field in ("subnetIds", "securityGroupIds"):
                if len(set(values[field])) != len(values[field]):
                    raise ValidationException.for_field(field, "Member must not contain duplicates")
        if kind == "ipAccessSettings":
            for index, rule in enumerate(values["ipRules"]):
                try:
                    network = ipaddress.ip_network(rule["ipRange"], strict=False)
                except ValueError:
                    network = None
                if network is None or network.version != 4:
                    # IP access controls work on IPv4 only (admin guide).
                    raise ValidationException.for_field(
                        f"ipRules[{index}].ipRange", "Member must be an IPv4 address or CIDR range"
                    )
        if kind == "userAccessLoggingSettings":
            stream_name = values["kinesisStreamArn"].split(":stream/", 1)[-1]
            if not stream_name.startswith(KINESIS_STREAM_PREFIX):
                raise ValidationException.for_field(
                    "kinesisStreamArn", f"The Kinesis stream name must begin with {KINESIS_STREAM_PREFIX}"
                )

    def _branding(self, current, given):
        branding = copy.deepcopy(current) or {}
        if current is None:
            missing = [name for name in BRANDING_REQUIRED if given.get(name) is None]
            if missing:
                raise ValidationException.for_fields(
                    [(f"brandingConfigurationInput.{name}", "Member must not be null") for name in missing]
                )
        for name, value in given.items():
            if name in ("logo", "favicon", "wallpaper"):
                branding[name] = _image_metadata(value, name)
            elif name == "termsOfService" and value == "":
                branding.pop(name, None)
            else:
                branding[name] = value
        return branding

    # ----- trust store certificates ------------------------------------------------------

    def _add_certificates(self, arn, bodies, field):
        store = self.certificates[arn]
        for index, body in enumerate(bodies):
            try:
                certificate = FakeCertificate(next(self._sequence), body)
            except ValueError as error:
                raise ValidationException.for_field(f"{field}[{index}]", f"Member must be {error}") from None
            store.setdefault(certificate.thumbprint, certificate)

    def _update_certificates(self, arn, changes):
        store = self.certificates[arn]
        for thumbprint in changes.get("certificatesToDelete") or []:
            if thumbprint.lower() not in store:
                raise ResourceNotFoundException("certificate", thumbprint)
        self._add_certificates(arn, changes.get("certificatesToAdd") or [], "certificatesToAdd")
        for thumbprint in changes.get("certificatesToDelete") or []:
            store.pop(thumbprint.lower(), None)

    def list_trust_store_certificates(self, arn, max_results, next_token):
        self.get_settings("trustStore", arn)
        return self._page(list(self.certificates[arn].values()), max_results, next_token)

    def get_trust_store_certificate(self, arn, thumbprint):
        self.get_settings("trustStore", arn)
        certificate = self.certificates[arn].get(thumbprint.lower())
        if certificate is None:
            raise ResourceNotFoundException("certificate", thumbprint)
        return certificate

    # ----- identity providers ------------------------------------------------------------

    def create_identity_provider(self, portal_arn, attributes, tags, client_token):
        def create():
            portal = self.get_portal(portal_arn)
            existing = [arn for arn, idp in self.identity_providers.items() if idp.portal_arn == portal_arn]
            if existing:
                # The console offers one identity provider per portal; CreateIdentityProvider models ConflictException.
                raise ConflictException(
                    f"Portal {portal_arn} already has identity provider {existing[0]}.", "identityProvider", existing[0]
                )
            self._check_identity_provider(attributes)
            arn = self._arn("identityProvider", portal.portal_id, str(uuid.uuid4()))
            self.identity_providers[arn] = FakeIdentityProvider(
                arn, next(self._sequence), tags, portal_arn, copy.deepcopy(attributes)
            )
            return arn

        request = (portal_arn, attributes, tags)
        return self._idempotent("CreateIdentityProvider", client_token, request, create)

    def get_identity_provider(self, arn):
        if arn not in self.identity_providers:
            raise ResourceNotFoundException("identityProvider", arn)
        return self.identity_providers[arn]

    def update_identity_provider(self, arn, changes, client_token):
        idp = self.get_identity_provider(arn)

        def update():
            merged = {**idp.attributes, **copy.deepcopy(changes)}
            self._check_identity_provider(merged)
            idp.attributes = merged
            return arn

        self._idempotent("UpdateIdentityProvider", client_token, (arn, changes), update)
        return idp

    def delete_identity_provider(self, arn):
        self.identity_providers.pop(arn, None)

    def list_identity_providers(self, portal_arn, max_results, next_token):
        # ListIdentityProviders models no ResourceNotFoundException: an unknown portal has none.
        idps = [idp for idp in self.identity_providers.values() if idp.portal_arn == portal_arn]
        return self._page(idps, max_results, next_token)

    @staticmethod
    def _check_identity_provider(attributes):
        kind = attributes["identityProviderType"]
        details = attributes["identityProviderDetails"]
        if kind == "SAML":
            sources = [key for key in ("MetadataFile", "MetadataURL") if details.get(key)]
            if len(sources) != 1:
                raise ValidationException.for_field(
                    "identityProviderDetails", "SAML providers need exactly one of MetadataFile or MetadataURL"
                )
            if details.get("RequestSigningAlgorithm", "rsa-sha256") != "rsa-sha256":
                raise ValidationException.for_field(
                    "identityProviderDetails.RequestSigningAlgorithm", "Only rsa-sha256 is supported"
                )
            return
        missing = [key for key in IDENTITY_PROVIDER_KEYS[kind] if not details.get(key)]
        if missing:
            raise ValidationException.for_field(
                "identityProviderDetails", f"{kind} providers need {', '.join(missing)}"
            )

    # ----- sessions ----------------------------------------------------------------------

    def list_sessions(self, portal_id):
        # The emulator starts no streaming sessions, so a portal never has any.
        self._portal_by_id(portal_id)
        return []

    def get_session(self, portal_id, session_id):
        self._portal_by_id(portal_id)
        raise ResourceNotFoundException("session", session_id)

    # ----- tags --------------------------------------------------------------------------

    def _tagged(self, arn):
        resource = self._find(arn)
        if resource is None:
            raise ResourceNotFoundException(self._resource_type(arn), arn)
        return resource

    def tag_resource(self, arn, tags):
        resource = self._tagged(arn)
        merged = {**resource.tags, **{tag["Key"]: tag["Value"] for tag in tags}}
        if len(merged) > MAX_TAGS:
            raise TooManyTagsException(arn)
        resource.tags = merged

    def untag_resource(self, arn, keys):
        resource = self._tagged(arn)
        for key in keys:
            resource.tags.pop(key, None)

    def list_tags_for_resource(self, arn):
        return [{"Key": key, "Value": value} for key, value in self._tagged(arn).tags.items()]


workspacesweb_backends = BackendDict(WorkSpacesWebBackend, "workspaces-web")
