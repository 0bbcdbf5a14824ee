#!/usr/bin/python

# Copyright: Contributors to the mlperimeter project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: secure_browser_identity_provider
version_added: 0.1.0
short_description: Manage the identity provider of an Amazon WorkSpaces Secure Browser portal
description:
  - Manage the SAML or OIDC identity provider through which users of a C(Standard) Secure Browser portal sign in.
  - The portal is named by O(portal_display_name) (among the portals tagged C(mlperimeter:managed=true)) or by
    O(portal_arn). A portal has one identity provider; an existing one is updated in place (name, type and
    details), never replaced.
  - O(details) is compared only on the keys the task sets, since the service may add keys of its own.
    Secret keys (C(client_secret), C(private_key)) are never returned.
  - The portal's SAML service provider metadata, which the identity provider needs first, is returned by
    M(mlperimeter.aws.secure_browser_portal) as C(portal.service_provider_saml_metadata).
author:
  - mlperimeter contributors
options:
  portal_display_name:
    description: Display name of the portal (tagged C(mlperimeter:managed=true)).
    type: str
  portal_arn:
    description: ARN of the portal.
    type: str
  name:
    description:
      - The identity provider's name (3 to 32 characters). Required with O(state=present).
      - With O(state=absent), only a provider of this name is removed; left out, the portal's provider is removed.
    type: str
  type:
    description: The kind of identity provider. Required with O(state=present).
    type: str
    choices: [SAML, OIDC, Google, Facebook, LoginWithAmazon, SignInWithApple]
  details:
    description:
      - The provider's details, as AWS names them.
      - SAML needs exactly one of C(MetadataFile) or C(MetadataURL); optional C(IDPSignout), C(IDPInit),
        C(RequestSigningAlgorithm) (C(rsa-sha256)) and C(EncryptedResponses).
      - OIDC needs C(client_id), C(client_secret), C(attributes_request_method), C(oidc_issuer) and
        C(authorize_scopes), and C(authorize_url), C(token_url), C(attributes_url) and C(jwks_uri) when they
        cannot be discovered from the issuer.
    type: dict
  state:
    description: Whether the identity provider should exist.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    description: Reads only and reports what would change.
  diff_mode:
    support: full
    description: Before and after of name, type and details (secrets masked).
  idempotent:
    support: full
    description: A second run with the same arguments changes nothing.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Let users of the portal sign in through the company's SAML identity provider
  mlperimeter.aws.secure_browser_identity_provider:
    portal_display_name: mlperimeter
    name: company-sso
    type: SAML
    details:
      MetadataURL: https://idp.example.com/app/metadata.xml
      IDPSignout: "true"
"""

RETURN = r"""
identity_provider:
  description: The identity provider in snake_case, its details secrets masked; empty when absent.
  returned: always
  type: dict
  sample:
    identity_provider_arn: "arn:aws:workspaces-web:eu-west-1:111111111111:identityProvider/\
      0123abcd-0123-4567-89ab-0123456789ab/1123abcd-0123-4567-89ab-0123456789ab"
    identity_provider_name: company-sso
    identity_provider_type: SAML
    identity_provider_details:
      MetadataURL: https://idp.example.com/app/metadata.xml
portal_status:
  description: The portal's status after the change (a C(Standard) portal is C(Active) once it has a provider).
  returned: when the portal exists
  type: str
"""

from ansible_collections.mlperimeter.aws.plugins.module_utils import secure_browser as sb
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule
from ansible_collections.mlperimeter.aws.plugins.module_utils.secure_browser import AnsibleSecureBrowserError


def resolve_portal(client, *, portal_arn, portal_display_name):
    """The portal a task names, or an error saying that it does not exist."""
    if portal_arn is None:
        portal_arn = sb.find_managed_portal(client, portal_display_name)
        if portal_arn is None:
            raise AnsibleSecureBrowserError(message=f"No portal named {portal_display_name!r} tagged "
                                                    f"{sb.MANAGED_TAG_KEY}={sb.MANAGED_TAG_VALUE} exists")
    portal = sb.get_portal(client, portal_arn)
    if portal is None:
        raise AnsibleSecureBrowserError(message=f"Portal {portal_arn} does not exist")
    return portal


def current_providers(client, portal_arn):
    return [sb.get_identity_provider(client, s["identityProviderArn"])
            for s in sb.list_identity_providers(client, portal_arn)]


def view(idp):
    if not idp:
        return {}
    idp = dict(idp)
    idp["identityProviderDetails"] = sb.redact_details(idp.get("identityProviderDetails"))
    return sb.camel_dict_to_snake_dict(idp, ignore_list=["identityProviderDetails"])


def pick(providers, name):
    """The provider a task means: by name, or the portal's only one."""
    named = [p for p in providers if p and p.get("identityProviderName") == name]
    if named:
        return named[0]
    if len(providers) == 1:
        return providers[0]
    if len(providers) > 1:
        names = ", ".join(p.get("identityProviderName") for p in providers)
        raise AnsibleSecureBrowserError(message=f"The portal has several identity providers ({names}) and none is "
                                                f"named {name!r}; refusing to guess which one to change")
    return None


def ensure_present(client, portal, *, name, kind, details, check_mode):
    portal_arn = portal["portalArn"]
    providers = current_providers(client, portal_arn)
    current = pick(providers, name)
    desired = {"identityProviderName": name, "identityProviderType": kind, "identityProviderDetails": details}
    warnings = []
    if portal.get("authenticationType") == "IAM_Identity_Center":
        warnings.append(f"Portal {portal_arn} uses IAM Identity Center authentication, which does not use this "
                        "identity provider.")
    if current is None:
        changes = dict(desired)
        if not check_mode:
            arn = sb.call(client, "create_identity_provider", f"create identity provider {name!r} of {portal_arn}",
                          portalArn=portal_arn, **desired)["identityProviderArn"]
            current_after = sb.get_identity_provider(client, arn)
        else:
            current_after = desired
    else:
        changes = sb.diff_identity_provider(desired, current)
        current_after = current
        if changes and not check_mode:
            arn = current["identityProviderArn"]
            current_after = sb.call(client, "update_identity_provider", f"update identity provider {arn}",
                                    identityProviderArn=arn, **changes)["identityProvider"]
        elif changes:
            current_after = dict(current, **changes)
    before = _diff_view(current)
    after = _diff_view(current_after)
    return dict(changed=bool(changes), identity_provider=view(current_after), diff=dict(before=before, after=after),
                warnings=warnings)


def _diff_view(idp):
    if not idp:
        return {}
    return {
        "name": idp.get("identityProviderName"),
        "type": idp.get("identityProviderType"),
        "details": sb.redact_details(idp.get("identityProviderDetails")),
    }


def ensure_absent(client, portal, *, name, check_mode):
    providers = current_providers(client, portal["portalArn"])
    doomed = [p for p in providers if p and (name is None or p.get("identityProviderName") == name)]
    if not check_mode:
        for idp in doomed:
            arn = idp["identityProviderArn"]
            try:
                sb.call(client, "delete_identity_provider", f"delete identity provider {arn}",
                        identityProviderArn=arn)
            except AnsibleSecureBrowserError as e:
                if not sb.is_not_found(e):
                    raise
    before = _diff_view(doomed[0]) if doomed else {}
    return dict(changed=bool(doomed), identity_provider={}, diff=dict(before=before, after={}), warnings=[])


def do(module):
    params = module.params
    problems = sb.validate_identity_provider_params(params)
    if problems:
        module.fail_json(msg="Invalid secure_browser_identity_provider arguments: " + "; ".join(problems),
                         problems=problems)
    client = module.client(sb.SERVICE)
    portal = resolve_portal(client, portal_arn=params["portal_arn"], portal_display_name=params["portal_display_name"])
    if params["state"] == "present":
        # The API's details are strings; YAML booleans (IDPSignout: true) become "true".
        details = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params["details"].items()}
        result = ensure_present(client, portal, name=params["name"], kind=params["type"], details=details,
                                check_mode=module.check_mode)
    else:
        result = ensure_absent(client, portal, name=params["name"], check_mode=module.check_mode)
    if not module.check_mode:
        after = sb.get_portal(client, portal["portalArn"])
        result["portal_status"] = after.get("portalStatus") if after else None
    else:
        result["portal_status"] = portal.get("portalStatus")
    for warning in result.pop("warnings"):
        module.warn(warning)
    module.exit_json(**result)


def main():
    argument_spec = dict(
        portal_display_name=dict(type="str"),
        portal_arn=dict(type="str"),
        name=dict(type="str"),
        type=dict(type="str", choices=["SAML", "OIDC", "Google", "Facebook", "LoginWithAmazon", "SignInWithApple"]),
        details=dict(type="dict", no_log=False),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = MLPerimeterAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[["portal_display_name", "portal_arn"]],
        required_one_of=[["portal_display_name", "portal_arn"]],
        required_if=[["state", "present", ["name", "type", "details"]]],
    )
    try:
        do(module)
    except AnsibleSecureBrowserError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
