"""WorkSpaces Secure Browser requests: one method per operation.

moto resolves the operation from botocore's model by method and URI template
and parses the parameters with it; every request is then checked against the
operation's input shape before it reaches the backend, and every answer is
shaped by the operation's output shape.
"""

from moto.core.responses import ActionResult, BaseResponse, EmptyResult
from moto.core.utils import get_service_model

from .exceptions import ValidationException
from .models import workspacesweb_backends
from .validation import input_errors

# Settings types and the member their List operation answers with.
LIST_KEYS = {
    "browserSettings": "browserSettings",
    "userSettings": "userSettings",
    "networkSettings": "networkSettings",
    "ipAccessSettings": "ipAccessSettings",
    "trustStore": "trustStores",
    "userAccessLoggingSettings": "userAccessLoggingSettings",
    "dataProtectionSettings": "dataProtectionSettings",
    "sessionLogger": "sessionLoggers",
}


class WorkSpacesWebResponse(BaseResponse):
    def __init__(self):
        super().__init__(service_name="workspaces-web")
        self.automated_parameter_parsing = True

    @property
    def backend(self):
        return workspacesweb_backends[self.current_account][self.region]

    def call_action(self):
        action = self._get_action()
        if action:
            operation = get_service_model(self.boto3_service_name).operation_model(action)
            errors = input_errors(operation.input_shape, self.params)
            if errors:
                return self.serialized(ActionResult(ValidationException.for_fields(errors)))
        return super().call_action()

    # ----- shared request handling ------------------------------------------------------

    def _body(self, *path_members):
        """The request members other than the path ones, clientToken and tags."""
        params = dict(self.params)
        for name in (*path_members, "clientToken", "tags"):
            params.pop(name, None)
        return params

    def _page_args(self):
        return self.params.get("maxResults"), self.params.get("nextToken")

    def _create_settings(self, kind):
        arn = self.backend.create_settings(
            kind, self._body(), self.params.get("tags"), self.params.get("clientToken")
        )
        return ActionResult({f"{kind}Arn": arn})

    def _get_settings(self, kind):
        settings = self.backend.get_settings(kind, self.params[f"{kind}Arn"])
        return ActionResult({kind: self.backend.describe_settings(settings)})

    def _list_settings(self, kind):
        page, token = self.backend.list_settings(kind, *self._page_args())
        return ActionResult({
            LIST_KEYS[kind]: [self.backend.describe_settings(settings) for settings in page],
            "nextToken": token,
        })

    def _update_settings(self, kind):
        arn_member = f"{kind}Arn"
        settings = self.backend.update_settings(
            kind, self.params[arn_member], self._body(arn_member), self.params.get("clientToken")
        )
        return ActionResult({kind: self.backend.describe_settings(settings)})

    def _delete_settings(self, kind):
        self.backend.delete_settings(kind, self.params[f"{kind}Arn"])
        return EmptyResult()

    def _associate(self, kind):
        portal_arn, settings_arn = self.params["portalArn"], self.params[f"{kind}Arn"]
        self.backend.associate(kind, portal_arn, settings_arn)
        return ActionResult({"portalArn": portal_arn, f"{kind}Arn": settings_arn})

    def _disassociate(self, kind):
        self.backend.disassociate(kind, self.params["portalArn"])
        return EmptyResult()

    # ----- portals ------------------------------------------------------------------------

    def create_portal(self):
        arn, endpoint = self.backend.create_portal(
            self._body(), self.params.get("tags"), self.params.get("clientToken")
        )
        return ActionResult({"portalArn": arn, "portalEndpoint": endpoint})

    def get_portal(self):
        portal = self.backend.get_portal(self.params["portalArn"])
        return ActionResult({"portal": self.backend.describe_portal(portal)})

    def list_portals(self):
        page, token = self.backend.list_portals(*self._page_args())
        return ActionResult({"portals": [self.backend.describe_portal(p) for p in page], "nextToken": token})

    def update_portal(self):
        portal = self.backend.update_portal(self.params["portalArn"], self._body("portalArn"))
        return ActionResult({"portal": self.backend.describe_portal(portal)})

    def delete_portal(self):
        self.backend.delete_portal(self.params["portalArn"])
        return EmptyResult()

    def get_portal_service_provider_metadata(self):
        portal_arn = self.params["portalArn"]
        metadata = self.backend.get_portal_service_provider_metadata(portal_arn)
        return ActionResult({"portalArn": portal_arn, "serviceProviderSamlMetadata": metadata})

    # ----- browser settings ----------------------------------------------------------------

    def create_browser_settings(self):
        return self._create_settings("browserSettings")

    def get_browser_settings(self):
        return self._get_settings("browserSettings")

    def list_browser_settings(self):
        return self._list_settings("browserSettings")

    def update_browser_settings(self):
        return self._update_settings("browserSettings")

    def delete_browser_settings(self):
        return self._delete_settings("browserSettings")

    def associate_browser_settings(self):
        return self._associate("browserSettings")

    def disassociate_browser_settings(self):
        return self._disassociate("browserSettings")

    # ----- user settings -------------------------------------------------------------------

    def create_user_settings(self):
        return self._create_settings("userSettings")

    def get_user_settings(self):
        return self._get_settings("userSettings")

    def list_user_settings(self):
        return self._list_settings("userSettings")

    def update_user_settings(self):
        return self._update_settings("userSettings")

    def delete_user_settings(self):
        return self._delete_settings("userSettings")

    def associate_user_settings(self):
        return self._associate("userSettings")

    def disassociate_user_settings(self):
        return self._disassociate("userSettings")

    # ----- network settings ----------------------------------------------------------------

    def create_network_settings(self):
        return self._create_settings("networkSettings")

    def get_network_settings(self):
        return self._get_settings("networkSettings")

    def list_network_settings(self):
        return self._list_settings("networkSettings")

    def update_network_settings(self):
        return self._update_settings("networkSettings")

    def delete_network_settings(self):
        return self._delete_settings("networkSettings")

    def associate_network_settings(self):
        return self._associate("networkSettings")

    def disassociate_network_settings(self):
        return self._disassociate("networkSettings")

    # ----- IP access settings --------------------------------------------------------------

    def create_ip_access_settings(self):
        return self._create_settings("ipAccessSettings")

    def get_ip_access_settings(self):
        return self._get_settings("ipAccessSettings")

    def list_ip_access_settings(self):
        return self._list_settings("ipAccessSettings")

    def update_ip_access_settings(self):
        return self._update_settings("ipAccessSettings")

    def delete_ip_access_settings(self):
        return self._delete_settings("ipAccessSettings")

    def associate_ip_access_settings(self):
        return self._associate("ipAccessSettings")

    def disassociate_ip_access_settings(self):
        return self._disassociate("ipAccessSettings")

    # ----- user access logging settings ----------------------------------------------------

    def create_user_access_logging_settings(self):
        return self._create_settings("userAccessLoggingSettings")

    def get_user_access_logging_settings(self):
        return self._get_settings("userAccessLoggingSettings")

    def list_user_access_logging_settings(self):
        return self._list_settings("userAccessLoggingSettings")

    def update_user_access_logging_settings(self):
        return self._update_settings("userAccessLoggingSettings")

    def delete_user_access_logging_settings(self):
        return self._delete_settings("userAccessLoggingSettings")

    def associate_user_access_logging_settings(self):
        return self._associate("userAccessLoggingSettings")

    def disassociate_user_access_logging_settings(self):
        return self._disassociate("userAccessLoggingSettings")

    # ----- data protection settings --------------------------------------------------------

    def create_data_protection_settings(self):
        return self._create_settings("dataProtectionSettings")

    def get_data_protection_settings(self):
        return self._get_settings("dataProtectionSettings")

    def list_data_protection_settings(self):
        return self._list_settings("dataProtectionSettings")

    def update_data_protection_settings(self):
        return self._update_settings("dataProtectionSettings")

    def delete_data_protection_settings(self):
        return self._delete_settings("dataProtectionSettings")

    def associate_data_protection_settings(self):
        return self._associate("dataProtectionSettings")

    def disassociate_data_protection_settings(self):
        return self._disassociate("dataProtectionSettings")

    # ----- session loggers -----------------------------------------------------------------

    def create_session_logger(self):
        return self._create_settings("sessionLogger")

    def get_session_logger(self):
        return self._get_settings("sessionLogger")

    def list_session_loggers(self):
        return self._list_settings("sessionLogger")

    def update_session_logger(self):
        return self._update_settings("sessionLogger")

    def delete_session_logger(self):
        return self._delete_settings("sessionLogger")

    def associate_session_logger(self):
        return self._associate("sessionLogger")

    def disassociate_session_logger(self):
        return self._disassociate("sessionLogger")

    # ----- trust stores --------------------------------------------------------------------

    def create_trust_store(self):
        return self._create_settings("trustStore")

    def get_trust_store(self):
        return self._get_settings("trustStore")

    def list_trust_stores(self):
        return self._list_settings("trustStore")

    def update_trust_store(self):
        self._update_settings("trustStore")
        return ActionResult({"trustStoreArn": self.params["trustStoreArn"]})

    def delete_trust_store(self):
        return self._delete_settings("trustStore")

    def associate_trust_store(self):
        return self._associate("trustStore")

    def disassociate_trust_store(self):
        return self._disassociate("trustStore")

    def list_trust_store_certificates(self):
        arn = self.params["trustStoreArn"]
        page, token = self.backend.list_trust_store_certificates(arn, *self._page_args())
        return ActionResult({
            "trustStoreArn": arn,
            "certificateList": [certificate.summary for certificate in page],
            "nextToken": token,
        })

    def get_trust_store_certificate(self):
        arn = self.params["trustStoreArn"]
        certificate = self.backend.get_trust_store_certificate(arn, self.params["thumbprint"])
        return ActionResult({"trustStoreArn": arn, "certificate": {**certificate.summary, "body": certificate.body}})

    # ----- identity providers --------------------------------------------------------------

    def create_identity_provider(self):
        arn = self.backend.create_identity_provider(
            self.params["portalArn"], self._body("portalArn"), self.params.get("tags"), self.params.get("clientToken")
        )
        return ActionResult({"identityProviderArn": arn})

    def get_identity_provider(self):
        idp = self.backend.get_identity_provider(self.params["identityProviderArn"])
        return ActionResult({"identityProvider": {"identityProviderArn": idp.arn, **idp.attributes}})

    def update_identity_provider(self):
        idp = self.backend.update_identity_provider(
            self.params["identityProviderArn"], self._body("identityProviderArn"), self.params.get("clientToken")
        )
        return ActionResult({"identityProvider": {"identityProviderArn": idp.arn, **idp.attributes}})

    def delete_identity_provider(self):
        self.backend.delete_identity_provider(self.params["identityProviderArn"])
        return EmptyResult()

    def list_identity_providers(self):
        page, token = self.backend.list_identity_providers(self.params["portalArn"], *self._page_args())
        return ActionResult({
            "identityProviders": [{"identityProviderArn": idp.arn, **idp.attributes} for idp in page],
            "nextToken": token,
        })

    # ----- sessions ------------------------------------------------------------------------

    def list_sessions(self):
        return ActionResult({"sessions": self.backend.list_sessions(self.params["portalId"])})

    def get_session(self):
        return ActionResult({"session": self.backend.get_session(self.params["portalId"], self.params["sessionId"])})

    def expire_session(self):
        self.backend.get_session(self.params["portalId"], self.params["sessionId"])
        return EmptyResult()

    # ----- tags ----------------------------------------------------------------------------

    def tag_resource(self):
        self.backend.tag_resource(self.params["resourceArn"], self.params["tags"])
        return EmptyResult()

    def untag_resource(self):
        self.backend.untag_resource(self.params["resourceArn"], self.params["tagKeys"])
        return EmptyResult()

    def list_tags_for_resource(self):
        return ActionResult({"tags": self.backend.list_tags_for_resource(self.params["resourceArn"])})
