#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vpc_subnet
short_description: Ensure a subnet of a VPC in one Availability Zone, with its tags
version_added: 0.1.0
description:
  - Finds the subnet of O(vpc_id) with the CIDR block O(cidr_block) (one C(DescribeSubnets) call, tags
    included) and creates it in O(availability_zone) when there is none. A converged run makes that one read
    and no write.
  - Tags are added or changed, never removed. Whether instances launched in the subnet get a public IPv4
    address is set to O(map_public_ip_on_launch).
  - A subnet cannot move to another zone. One found in another zone is refused, naming both zones; nothing is
    changed.
author:
  - mlperimeter maintainers
options:
  vpc_id:
    description: The VPC of the subnet.
    type: str
    required: true
  cidr_block:
    description: The subnet's IPv4 CIDR block, inside one of the VPC's.
    type: str
    required: true
    aliases: [cidr]
  availability_zone:
    description: The Availability Zone, for example C(eu-west-1a).
    type: str
    required: true
    aliases: [az]
  map_public_ip_on_launch:
    description: Whether instances launched in the subnet get a public IPv4 address.
    type: bool
    default: false
  tags:
    description: Tags the subnet carries.
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what would be created, tagged or set without calling any write API.
  diff_mode:
    support: full
    description: Returns the subnet's zone, public-address setting and tags before and after the change.
  idempotent:
    support: full
    description: A second run with the same arguments changes nothing and makes one read.
notes:
  - To remove a subnet use M(amazon.aws.ec2_vpc_subnet) with O(amazon.aws.ec2_vpc_subnet#module:state=absent).
"""

EXAMPLES = r"""
- name: A private subnet in one zone
  mlperimeter.aws.vpc_subnet:
    vpc_id: vpc-0123456789abcdef0
    cidr_block: 10.20.0.0/24
    availability_zone: eu-west-1a
    tags:
      Name: mlperimeter-sagemaker-private-eu-west-1a
      mlperimeter:managed: "true"
"""

RETURN = r"""
subnet:
  description: The subnet after the task, as EC2 describes it in snake case, with its tags as a dict. In check
    mode, when the subnet would be created, the fields the task sets and no C(id).
  returned: always
  type: dict
  contains:
    id:
      description: The subnet's id.
      type: str
      sample: subnet-0123456789abcdef0
    subnet_id:
      description: The same id, under the name EC2 gives it.
      type: str
    vpc_id:
      description: The VPC.
      type: str
    cidr_block:
      description: The subnet's IPv4 CIDR block.
      type: str
      sample: 10.20.0.0/24
    availability_zone:
      description: The subnet's zone.
      type: str
      sample: eu-west-1a
    map_public_ip_on_launch:
      description: Whether instances launched there get a public IPv4 address.
      type: bool
    tags:
      description: The subnet's tags.
      type: dict
"""

import re

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

ZONE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d[a-z]$")


def validate(params):
    """A message naming the field and the value for the first bad input, or None."""
    if not VPC_ID.match(params["vpc_id"]):
        return f"vpc_id: {params['vpc_id']!r} is not a VPC id (vpc-...)"
    problem = ipv4_network_problem("cidr_block", params["cidr_block"])
    if problem:
        return problem
    if not ZONE.match(params["availability_zone"]):
        return f"availability_zone: {params['availability_zone']!r} is not an Availability Zone name (eu-west-1a)"
    return None


def find_subnet(client, vpc_id, cidr_block):
    subnets = ec2_calls.paginate(client, "describe_subnets", "Subnets", "describe subnets",
                                 Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                          {"Name": "cidr-block", "Values": [cidr_block]}])
    return subnets[0] if subnets else None


def view(subnet):
    if subnet is None:
        return {}
    return {"availability_zone": subnet["AvailabilityZone"],
            "map_public_ip_on_launch": subnet.get("MapPublicIpOnLaunch", False), "tags": tags_of(subnet)}


def result_of(subnet):
    snake = camel_dict_to_snake_dict({k: v for k, v in subnet.items() if k != "Tags"})
    if "SubnetId" in subnet:
        snake["id"] = subnet["SubnetId"]
    snake["tags"] = tags_of(subnet)
    return snake


def set_public_addresses(client, subnet_id, value):
    ec2_calls.call(client, "modify_subnet_attribute", f"set MapPublicIpOnLaunch of {subnet_id}",
                   retry_conflict=True, SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": value})


def do(module):
    params = module.params
    problem = validate(params)
    if problem:
        module.fail_json(msg=problem)
    vpc_id, cidr, zone = params["vpc_id"], params["cidr_block"], params["availability_zone"]
    public, tags = params["map_public_ip_on_launch"], string_tags(params["tags"])
    client = module.client("ec2")
    subnet = find_subnet(client, vpc_id, cidr)
    if subnet is not None and subnet["AvailabilityZone"] != zone:
        raise Ec2NetworkError(message=f"availability_zone: subnet {subnet['SubnetId']} ({cidr}) of {vpc_id} is in "
                                      f"{subnet['AvailabilityZone']}, not {zone}; a subnet cannot move to another zone")

    if subnet is None:
        changed = True
        after = {"VpcId": vpc_id, "CidrBlock": cidr, "AvailabilityZone": zone, "MapPublicIpOnLaunch": public,
                 "Tags": merged_tag_list({}, tags)}
        if not module.check_mode:
            created = ec2_calls.call(client, "create_subnet", f"create subnet {cidr} in {vpc_id}", VpcId=vpc_id,
                                     CidrBlock=cidr, AvailabilityZone=zone,
                                     TagSpecifications=tag_specifications("subnet", tags))["Subnet"]
            if public:
                set_public_addresses(client, created["SubnetId"], True)
            after = dict(created, MapPublicIpOnLaunch=public)
    else:
        tags_to_add = missing_tags(subnet, tags)
        set_public = subnet.get("MapPublicIpOnLaunch", False) != public
        changed = bool(tags_to_add or set_public)
        if changed and not module.check_mode:
            add_tags(client, subnet["SubnetId"], tags_to_add)
            if set_public:
                set_public_addresses(client, subnet["SubnetId"], public)
        after = dict(subnet, MapPublicIpOnLaunch=public,
                     Tags=merged_tag_list(subnet, tags))

    result = {"changed": changed, "subnet": result_of(after)}
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": view(subnet), "after": view(after)}
    module.exit_json(**result)


def main():
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        cidr_block=dict(type="str", required=True, aliases=["cidr"]),
        availability_zone=dict(type="str", required=True, aliases=["az"]),
        map_public_ip_on_launch=dict(type="bool", default=False),
        tags=dict(type="dict", default={}),
    )
    module = MLPerimeterAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
