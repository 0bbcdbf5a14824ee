#!/usr/bin/python

# Copyright: Contributors to the mlperimeter project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: dns_firewall_config
version_added: 0.1.0
short_description: Set whether Route 53 Resolver DNS Firewall fails open or closed for a VPC
description:
  - Sets the DNS Firewall configuration of one VPC. Every VPC has one; AWS creates it on first use.
  - With V(DISABLED) (fail closed, AWS's and this module's default), Resolver answers C(SERVFAIL) when DNS
    Firewall cannot evaluate a query. With V(ENABLED) (fail open), such queries resolve unfiltered.
  - The setting only applies to VPCs with at least one rule group association.
  - Changing the configuration needs C(ec2:DescribeVpcs) besides C(route53resolver:UpdateFirewallConfig).
author:
  - mlperimeter contributors
options:
  vpc_id:
    description: The VPC.
    type: str
    required: true
  firewall_fail_open:
    description:
      - V(DISABLED) fails closed, V(ENABLED) fails open. (AWS's C(USE_LOCAL_RESOURCE_SETTING) belongs to Route 53
        Profiles and is not offered.)
    type: str
    choices: [ENABLED, DISABLED]
    default: DISABLED
attributes:
  check_mode:
    support: full
    description: Reads the configuration and reports whether it would change.
  diff_mode:
    support: full
    description: C(firewall_fail_open) before and after.
  idempotent:
    support: full
    description: A second run with the same arguments changes nothing.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The SageMaker VPC fails closed
  mlperimeter.aws.dns_firewall_config:
    vpc_id: vpc-0123456789abcdef0
    firewall_fail_open: DISABLED
"""

RETURN = r"""
firewall_config:
  description: The VPC's DNS Firewall configuration after the task (in check mode, as it would be).
  returned: always
  type: dict
  contains:
    id:
      description: The configuration's id.
      type: str
      sample: rslvr-fc-0123456789abcdef
    resource_id:
      description: The VPC.
      type: str
    owner_id:
      description: The account that owns the VPC.
      type: str
    firewall_fail_open:
      description: C(DISABLED) (fail closed) or C(ENABLED) (fail open).
      type: str
      sample: DISABLED
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.mlperimeter.aws.plugins.module_utils import route53resolver as r53r
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule


def ensure_config(client, vpc_id, fail_open, *, check_mode):
    """(changed, before, after) of the VPC's firewall configuration."""
    before = r53r.call(client, "get_firewall_config", f"get the firewall config of {vpc_id}",
                       ResourceId=vpc_id)["FirewallConfig"]
    if before.get("FirewallFailOpen") == fail_open:
        return False, before, before
    if check_mode:
        return True, before, dict(before, FirewallFailOpen=fail_open)
    after = r53r.call(client, "update_firewall_config", f"update the firewall config of {vpc_id}",
                      ResourceId=vpc_id, FirewallFailOpen=fail_open)["FirewallConfig"]
    return True, before, after


def do(module):
    params = module.params
    problem = r53r.vpc_problem("vpc_id", params["vpc_id"])
    if problem:
        module.fail_json(msg=problem)
    client = module.client(r53r.SERVICE)
    changed, before, after = ensure_config(client, params["vpc_id"], params["firewall_fail_open"],
                                           check_mode=module.check_mode)
    result = dict(changed=changed, firewall_config=camel_dict_to_snake_dict(after))
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = dict(before={"firewall_fail_open": before.get("FirewallFailOpen")},
                              after={"firewall_fail_open": after.get("FirewallFailOpen")})
    module.exit_json(**result)


def main():
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        firewall_fail_open=dict(type="str", choices=["ENABLED", "DISABLED"], default="DISABLED"),
    )
    module = MLPerimeterAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
