#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vpc
short_description: Ensure a VPC, by id or by name and CIDR block, with its DNS settings and tags
version_added: 0.1.0
description:
  - With O(vpc_id), the module works on that VPC, which must exist (an adopted VPC). Otherwise it finds the VPC
    whose C(Name) tag is O(name) and whose primary CIDR block is O(cidr_block), and creates it when there is
    none; two such VPCs are refused, naming both.
  - Sets the Amazon-provided DNS resolver (O(dns_support)) and DNS host names (O(dns_hostnames)). Tags are added
    or changed, never removed; CIDR blocks are never added or removed.
  - A converged run reads the VPC and its two DNS attributes (three calls) and writes nothing.
author:
  - mlperimeter maintainers
options:
  vpc_id:
    description: The id of an existing VPC to work on. Not with O(name) or O(cidr_block).
    type: str
  name:
    description: The VPC's C(Name) tag, which finds it together with O(cidr_block).
    type: str
  cidr_block:
    description: The VPC's primary IPv4 CIDR block. Required with O(name).
    type: str
  dns_support:
    description: Whether the Amazon-provided DNS resolver answers in the VPC.
    type: bool
    default: true
  dns_hostnames:
    description: Whether instances with public addresses get public DNS host names.
    type: bool
    default: true
  tags:
    description: Tags the VPC carries (besides C(Name), which O(name) sets).
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what would be created, set or tagged without calling any write API.
  diff_mode:
    support: full
    description: Returns the VPC's DNS settings and tags before and after the change.
  idempotent:
    support: full
    description: A second run with the same arguments changes nothing.
notes:
  - To remove a VPC use M(amazon.aws.ec2_vpc_net) with O(amazon.aws.ec2_vpc_net#module:state=absent).
"""

EXAMPLES = r"""
- name: The project's VPC, created on the first run
  mlperimeter.aws.vpc:
    name: mlperimeter-sagemaker
    cidr_block: 10.20.0.0/16
    tags:
      mlperimeter:managed: "true"

- name: A VPC the company already has, marked as adopted
  mlperimeter.aws.vpc:
    vpc_id: vpc-0123456789abcdef0
    tags:
      mlperimeter:adopted: "true"
"""

RETURN = r"""
vpc:
  description: The VPC after the task, as EC2 describes it in snake case, with its tags as a dict and its DNS
    settings. In check mode, when the VPC would be created, the fields the task sets and no C(id).
  returned: always
  type: dict
  contains:
    id:
      description: The VPC's id.
      type: str
      sample: vpc-0123456789abcdef0
    vpc_id:
      description: The same id, under the name EC2 gives it.
      type: str
    cidr_block:
      description: The primary IPv4 CIDR block.
      type: str
      sample: 10.20.0.0/16
    dhcp_options_id:
      description: The DHCP option set of the VPC (C(default) for none).
      type: str
    enable_dns_support:
      description: Whether the Amazon-provided DNS resolver answers in the VPC.
      type: bool
    enable_dns_hostnames:
      description: Whether instances get public DNS host names.
      type: bool
    tags:
      description: The VPC's tags.
      type: dict
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.mlperimeter.aws.plugins.module_utils.ec2_network import (
    VPC_ID,
    Ec2NetworkError,
    add_tags,
    ec2_calls,
    ipv4_network_problem,
    merged_tag_list,
    missing_tags,
    string_tags,
    tag_specifications,
    tags_of,
)
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule

# The module's option, the DescribeVpcAttribute attribute and the key of its answer.
DNS_SETTINGS = (("dns_support", "enableDnsSupport", "EnableDnsSupport"),
                ("dns_hostnames", "enableDnsHostnames", "EnableDnsHostnames"))
# What EC2 sets on a VPC it creates.
NEW_VPC_DNS = {"dns_support": True, "dns_hostnames": False}


def validate(params):
    """A message naming the field and the value for the first bad input, or None."""
    if params["vpc_id"] is not None and not VPC_ID.match(params["vpc_id"]):
        return f"vpc_id: {params['vpc_id']!r} is not a VPC id (vpc-...)"
    if params["cidr_block"] is not None:
        return ipv4_network_problem("cidr_block", params["cidr_block"])
    return None


def find_vpc(client, params):
    if params["vpc_id"]:
        found = ec2_calls.get_or_none(client, "describe_vpcs", f"describe {params['vpc_id']}",
                                      VpcIds=[params["vpc_id"]])
        if not found or not found["Vpcs"]:
            raise Ec2NetworkError(message=f"vpc_id: {params['vpc_id']} does not exist in this Region")
        return found["Vpcs"][0]
    vpcs = ec2_calls.paginate(client, "describe_vpcs", "Vpcs", "describe VPCs",
                              Filters=[{"Name": "tag:Name", "Values": [params["name"]]},
                                       {"Name": "cidr-block", "Values": [params["cidr_block"]]}])
    if len(vpcs) > 1:
        ids = ", ".join(sorted(vpc["VpcId"] for vpc in vpcs))
        raise Ec2NetworkError(message=f"name: {len(vpcs)} VPCs are named {params['name']!r} with CIDR block "
                                      f"{params['cidr_block']} ({ids}); give vpc_id to choose one")
    return vpcs[0] if vpcs else None


def dns_settings(client, vpc_id):
    settings = {}
    for option, attribute, key in DNS_SETTINGS:
        answer = ec2_calls.call(client, "describe_vpc_attribute", f"read {attribute} of {vpc_id}",
                                retry_conflict=True, VpcId=vpc_id, Attribute=attribute)
        settings[option] = answer[key]["Value"]
    return settings


def view(vpc, settings):
    if vpc is None:
        return {}
    return dict(settings, tags=tags_of(vpc))


def result_of(vpc, settings):
    snake = camel_dict_to_snake_dict({k: v for k, v in vpc.items() if k != "Tags"})
    if "VpcId" in vpc:
        snake["id"] = vpc["VpcId"]
    snake.update(tags=tags_of(vpc), enable_dns_support=settings["dns_support"],
                 enable_dns_hostnames=settings["dns_hostnames"])
    return snake


def set_dns(client, vpc_id, option, value):
    attribute = next(key for name, _, key in DNS_SETTINGS if name == option)
    ec2_calls.call(client, "modify_vpc_attribute", f"set {attribute} of {vpc_id}", retry_conflict=True,
                   VpcId=vpc_id, **{attribute: {"Value": value}})


def do(module):
    params = module.params
    problem = validate(params)
    if problem:
        module.fail_json(msg=problem)
    tags = string_tags(params["tags"])
    if params["name"]:
        tags["Name"] = params["name"]
    wanted = {option: params[option] for option, _, _ in DNS_SETTINGS}
    client = module.client("ec2")
    vpc = find_vpc(client, params)

    if vpc is None:
        before_settings, changed = {}, True
        after = {"CidrBlock": params["cidr_block"], "Tags": merged_tag_list({}, tags)}
        if not module.check_mode:
            after = ec2_calls.call(client, "create_vpc", f"create VPC {params['name']}", CidrBlock=params["cidr_block"],
                                   TagSpecifications=tag_specifications("vpc", tags))["Vpc"]
            for option, value in wanted.items():
                if value != NEW_VPC_DNS[option]:
                    set_dns(client, after["VpcId"], option, value)
    else:
        before_settings = dns_settings(client, vpc["VpcId"])
        tags_to_add = missing_tags(vpc, tags)
        settings_to_set = {option: value for option, value in wanted.items() if before_settings[option] != value}
        changed = bool(tags_to_add or settings_to_set)
        if changed and not module.check_mode:
            add_tags(client, vpc["VpcId"], tags_to_add)
            for option, value in settings_to_set.items():
                set_dns(client, vpc["VpcId"], option, value)
        after = dict(vpc, Tags=merged_tag_list(vpc, tags))

    result = {"changed": changed, "vpc": result_of(after, wanted)}
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": view(vpc, before_settings), "after": view(after, wanted)}
    module.exit_json(**result)


def main():
    argument_spec = dict(
        vpc_id=dict(type="str"),
        name=dict(type="str"),
        cidr_block=dict(type="str"),
        dns_support=dict(type="bool", default=True),
        dns_hostnames=dict(type="bool", default=True),
        tags=dict(type="dict", default={}),
    )
    module = MLPerimeterAWSModule(
        argument_spec=argument_spec, supports_check_mode=True,
        required_one_of=[("vpc_id", "name")], mutually_exclusive=[("vpc_id", "name"), ("vpc_id", "cidr_block")],
        required_together=[("name", "cidr_block")],
    )
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
