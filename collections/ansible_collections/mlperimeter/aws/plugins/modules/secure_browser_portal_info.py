#!/usr/bin/python

# Copyright: Contributors to the mlperimeter project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: secure_browser_portal_info
version_added: 0.1.0
short_description: Read Amazon WorkSpaces Secure Browser portals and their settings
description:
  - List WorkSpaces Secure Browser portals (all of them, or those with a display name, or one by ARN), each with
    its tags, its associated settings objects and its identity providers.
  - Portals are listed whether or not the project manages them; C(managed) tells which.
author:
  - mlperimeter contributors
options:
  display_name:
    description: Only portals with this display name (display names are not unique).
    type: str
  portal_arn:
    description: Only the portal with this ARN.
    type: str
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
  idempotent:
    support: full
    description: Reads only.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the perimeter's portal
  mlperimeter.aws.secure_browser_portal_info:
    display_name: mlperimeter
  register: portals

- name: The user settings must keep every transfer off
  ansible.builtin.assert:
    that:
      - portals.portals[0].user_settings.download_allowed == 'Disabled'
"""

RETURN = r"""
portals:
  description:
    - The portals, in snake_case as GetPortal answers, each with C(tags), C(managed), C(identity_providers),
      C(service_provider_saml_metadata) for C(Standard) portals, and every associated settings object under its
      type (C(browser_settings), C(user_settings), C(network_settings), C(ip_access_settings),
      C(user_access_logging), C(session_logger), C(trust_store), C(data_protection_settings); C(null) when none).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.mlperimeter.aws.plugins.module_utils import secure_browser as sb
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule
from ansible_collections.mlperimeter.aws.plugins.module_utils.secure_browser import AnsibleSecureBrowserError


def list_portal_arns(client, *, display_name=None, portal_arn=None):
    if portal_arn is not None:
        return [portal_arn]
    return [p["portalArn"] for p in sb.list_portals(client)
            if display_name is None or p.get("displayName") == display_name]


def describe_portals(client, arns):
    portals = []
    for arn in arns:
        portal = sb.describe_portal(client, arn)
        if portal is not None:
            portal["managed"] = sb.is_managed(portal["tags"])
            portals.append(portal)
    return portals


def do(module):
    params = module.params
    if params["portal_arn"] is not None and not sb.PORTAL_ARN.fullmatch(params["portal_arn"]):
        module.fail_json(msg=f"portal_arn={params['portal_arn']!r}: is not a Secure Browser portal ARN")
    client = module.client(sb.SERVICE)
    arns = list_portal_arns(client, display_name=params["display_name"], portal_arn=params["portal_arn"])
    module.exit_json(changed=False, portals=describe_portals(client, arns))


def main():
    argument_spec = dict(
        display_name=dict(type="str"),
        portal_arn=dict(type="str"),
    )
    module = MLPerimeterAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[["display_name", "portal_arn"]],
    )
    try:
        do(module)
    except AnsibleSecureBrowserError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
