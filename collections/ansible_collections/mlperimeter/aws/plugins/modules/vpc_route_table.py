#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vpc_route_table
short_description: Ensure a VPC route table with exactly the given subnets and IPv4 routes
version_added: 0.1.0
description:
  - Finds the route table of O(vpc_id) that carries every tag of O(tags) (one C(DescribeRouteTables) call,
    tags included), creates it when there is none, and makes its explicit subnet associations and its
    IPv4 routes exactly the ones given. A converged run makes that one read and no write.
  - A subnet associated with another route table of the VPC is moved to this one. Associations of other
    subnets with this table are removed.
  - Routes created with C(CreateRoute) whose IPv4 destination is not in O(routes) are deleted, and a route
    given with another target is replaced. The C(local) route, routes propagated from a virtual private
    gateway, routes to prefix lists (gateway endpoints add those) and IPv6 routes are left as they are.
  - Tags are added or changed, never removed.
author:
  - mlperimeter maintainers
options:
  vpc_id:
    description: The VPC of the route table.
    type: str
    required: true
  tags:
    description:
      - The route table's tags. The table is the one of the VPC that carries all of them; give at least
        C(Name), and the project's tags, so that no other table matches.
    type: dict
    required: true
  subnet_ids:
    description: The subnets the route table is explicitly associated with, and no other.
    type: list
    elements: str
    default: []
  routes:
    description: The IPv4 routes besides C(local), each to exactly one target.
    type: list
    elements: dict
    default: []
    suboptions:
      destination_cidr_block:
        description: The IPv4 destination, for example C(0.0.0.0/0).
        type: str
        required: true
      gateway_id:
        description: An internet gateway (C(igw-...)).
        type: str
      nat_gateway_id:
        description: A NAT gateway (C(nat-...)).
        type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what would be created, associated, routed or tagged without calling any write API.
  diff_mode:
    support: full
    description: Returns the route table's subnets, routes and tags before and after the change.
  idempotent:
    support: full
    description: A second run with the same arguments changes nothing and makes one read.
notes:
  - To remove a route table use M(amazon.aws.ec2_vpc_route_table) with
    O(amazon.aws.ec2_vpc_route_table#module:state=absent).
"""

EXAMPLES = r"""
- name: A private subnet's own route table, leaving through the NAT gateway of its zone
  mlperimeter.aws.vpc_route_table:
    vpc_id: vpc-0123456789abcdef0
    tags:
      Name: mlperimeter-browser-private-eu-west-1a
      mlperimeter:managed: "true"
      mlperimeter:control: A1
    subnet_ids:
      - subnet-0123456789abcdef0
    routes:
      - destination_cidr_block: 0.0.0.0/0
        nat_gateway_id: nat-0123456789abcdef0

- name: A route table with the local route only
  mlperimeter.aws.vpc_route_table:
    vpc_id: vpc-0123456789abcdef0
    tags:
      Name: mlperimeter-sagemaker-private-eu-west-1a
      mlperimeter:managed: "true"
    subnet_ids:
      - subnet-0fedcba9876543210
"""

RETURN = r"""
route_table:
  description: The route table after the task. In check mode, the table the task would leave (with the id
    C(rtb-xxxxxxxx) when it would create one).
  returned: always
  type: dict
  contains:
    id:
      description: The route table's id.
      type: str
      sample: rtb-0123456789abcdef0
    route_table_id:
      description: The same id, under the name EC2 gives it.
      type: str
      sample: rtb-0123456789abcdef0
    vpc_id:
      description: The VPC.
      type: str
      sample: vpc-0123456789abcdef0
    subnet_ids:
      description: The subnets explicitly associated with the table, sorted.
      type: list
      elements: str
    routes:
      description: The table's routes as EC2 describes them, in snake case.
      type: list
      elements: dict
    tags:
      description: The table's tags.
      type: dict
"""

import re

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.mlperimeter.aws.plugins.module_utils.ec2_network import (
    SUBNET_ID,
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

TARGETS = {"gateway_id": ("GatewayId", re.compile(r"^igw-[0-9a-f]{8,17}$"), "an internet gateway id (igw-...)"),
           "nat_gateway_id": ("NatGatewayId", re.compile(r"^nat-[0-9a-f]{8,17}$"), "a NAT gateway id (nat-...)")}
PLANNED_ID = "rtb-xxxxxxxx"
ROUTE_TARGETS = ("GatewayId", "NatGatewayId", "TransitGatewayId", "VpcPeeringConnectionId", "NetworkInterfaceId",
                 "InstanceId", "CarrierGatewayId", "LocalGatewayId", "EgressOnlyInternetGatewayId", "CoreNetworkArn")


def validate(params):
    """A message naming the field and the value for the first bad input, or None."""
    if not VPC_ID.match(params["vpc_id"]):
        return f"vpc_id: {params['vpc_id']!r} is not a VPC id (vpc-...)"
    if not params["tags"]:
        return "tags: give at least the Name tag that identifies the route table"
    for subnet_id in params["subnet_ids"]:
        if not SUBNET_ID.match(subnet_id):
            return f"subnet_ids: {subnet_id!r} is not a subnet id (subnet-...)"
    destinations = set()
    for index, route in enumerate(params["routes"]):
        cidr = route["destination_cidr_block"]
        problem = ipv4_network_problem(f"routes[{index}].destination_cidr_block", cidr)
        if problem:
            return problem
        if cidr in destinations:
            return f"routes[{index}].destination_cidr_block: {cidr!r} is given twice"
        destinations.add(cidr)
        given = [name for name in TARGETS if route.get(name)]
        if len(given) != 1:
            return f"routes[{index}]: give exactly one of {', '.join(TARGETS)} for {cidr}"
        _, pattern, what = TARGETS[given[0]]
        if not pattern.match(route[given[0]]):
            return f"routes[{index}].{given[0]}: {route[given[0]]!r} is not {what}"
    return None


def wanted_routes(routes):
    """{destination: (target field, target id)} of the routes given."""
    wanted = {}
    for route in routes:
        name = next(name for name in TARGETS if route.get(name))
        wanted[route["destination_cidr_block"]] = (TARGETS[name][0], route[name])
    return wanted


def find_table(client, vpc_id, tags):
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}]
    filters += [{"Name": f"tag:{key}", "Values": [value]} for key, value in sorted(tags.items())]
    tables = ec2_calls.paginate(client, "describe_route_tables", "RouteTables", "describe route tables",
                                Filters=filters)
    if len(tables) > 1:
        ids = ", ".join(sorted(t["RouteTableId"] for t in tables))
        raise Ec2NetworkError(message=f"tags: {len(tables)} route tables of {vpc_id} carry them ({ids}); "
                                      "add tags that tell them apart")
    return tables[0] if tables else None


def subnet_associations(table):
    """{subnet id: association id} of the table's explicit subnet associations."""
    return {a["SubnetId"]: a["RouteTableAssociationId"] for a in table.get("Associations", [])
            if a.get("SubnetId") and not a.get("Main")
            and a.get("AssociationState", {}).get("State", "associated") in ("associated", "associating")}


def route_changes(table, wanted):
    """(to create, to replace, to delete): destinations with their targets, and destinations to delete."""
    current = {r["DestinationCidrBlock"]: r for r in table.get("Routes", [])
               if r.get("DestinationCidrBlock") and r.get("Origin") != "EnableVgwRoutePropagation"}
    create, replace = {}, {}
    for destination, (field, target) in wanted.items():
        route = current.get(destination)
        if route is None:
            create[destination] = (field, target)
        elif route.get(field) != target:
            replace[destination] = (field, target)
    delete = [d for d, r in current.items() if d not in wanted and r.get("Origin") == "CreateRoute"]
    return create, replace, delete


def target_of(route):
    return next((route[key] for key in ROUTE_TARGETS if route.get(key)), "no target")


def view(table):
    if table is None:
        return {}
    return {"subnet_ids": sorted(subnet_associations(table)),
            "routes": sorted(f"{r['DestinationCidrBlock']} -> {target_of(r)}"
                             for r in table.get("Routes", []) if r.get("DestinationCidrBlock")),
            "tags": tags_of(table)}


def result_of(table):
    snake = camel_dict_to_snake_dict({k: v for k, v in table.items() if k != "Tags"})
    snake.update(id=table["RouteTableId"], subnet_ids=sorted(subnet_associations(table)),
                 tags=tags_of(table))
    return snake


def planned(table, vpc_id, wanted, subnet_ids, tags):
    """The table as the changes would leave it, for check mode."""
    routes = [r for r in (table or {}).get("Routes", []) if r.get("DestinationCidrBlock") not in wanted
              and not (r.get("DestinationCidrBlock") and r.get("Origin") == "CreateRoute")]
    routes += [{"DestinationCidrBlock": d, field: target, "Origin": "CreateRoute", "State": "active"}
               for d, (field, target) in sorted(wanted.items())]
    return {"RouteTableId": (table or {}).get("RouteTableId", PLANNED_ID), "VpcId": vpc_id, "Routes": routes,
            "Associations": [{"SubnetId": s, "Main": False, "RouteTableAssociationId": None} for s in subnet_ids],
            "Tags": merged_tag_list(table or {}, tags)}


def move_subnet(client, vpc_id, table_id, subnet_id):
    """Associate the subnet with the table, moving it from the VPC's table that holds it, if any."""
    holders = ec2_calls.paginate(client, "describe_route_tables", "RouteTables", "describe route tables",
                              Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                       {"Name": "association.subnet-id", "Values": [subnet_id]}])
    for holder in holders:
        association_id = subnet_associations(holder).get(subnet_id)
        if association_id:
            ec2_calls.call(client, "replace_route_table_association", f"move {subnet_id} to {table_id}",
                        retry_conflict=True, AssociationId=association_id, RouteTableId=table_id)
            return
    ec2_calls.call(client, "associate_route_table", f"associate {subnet_id} with {table_id}", retry_conflict=True,
                RouteTableId=table_id, SubnetId=subnet_id)


def apply(client, table, *, vpc_id, wanted, subnet_ids, tags):
    if table is None:
        table = ec2_calls.call(client, "create_route_table", f"create a route table in {vpc_id}", VpcId=vpc_id,
                               TagSpecifications=tag_specifications("route-table", tags))["RouteTable"]
    table_id = table["RouteTableId"]
    create, replace, delete = route_changes(table, wanted)
    for destination in delete:
        ec2_calls.call(client, "delete_route", f"delete the route to {destination} of {table_id}",
                    retry_conflict=True, RouteTableId=table_id, DestinationCidrBlock=destination)
    for operation, routes in (("replace_route", replace), ("create_route", create)):
        for destination, (field, target) in routes.items():
            ec2_calls.call(client, operation, f"route {destination} of {table_id} to {target}", retry_conflict=True,
                        RouteTableId=table_id, DestinationCidrBlock=destination, **{field: target})
    add_tags(client, table_id, missing_tags(table, tags))
    associated = subnet_associations(table)
    for subnet_id, association_id in associated.items():
        if subnet_id not in subnet_ids:
            ec2_calls.call(client, "disassociate_route_table", f"remove {subnet_id} from {table_id}",
                        AssociationId=association_id)
    for subnet_id in subnet_ids:
        if subnet_id not in associated:
            move_subnet(client, vpc_id, table_id, subnet_id)
    (after,) = ec2_calls.call(client, "describe_route_tables", f"read {table_id} back", retry_conflict=True,
                           RouteTableIds=[table_id])["RouteTables"]
    return after


def needs_change(table, wanted, subnet_ids, tags):
    if table is None:
        return True
    return (any(route_changes(table, wanted)) or set(subnet_associations(table)) != set(subnet_ids)
            or bool(missing_tags(table, tags)))


def do(module):
    params = module.params
    problem = validate(params)
    if problem:
        module.fail_json(msg=problem)
    subnet_ids = list(dict.fromkeys(params["subnet_ids"]))
    wanted = wanted_routes(params["routes"])
    tags = string_tags(params["tags"])
    client = module.client("ec2")
    table = find_table(client, params["vpc_id"], tags)
    changed = needs_change(table, wanted, subnet_ids, tags)
    if not changed:
        after = table
    elif module.check_mode:
        after = planned(table, params["vpc_id"], wanted, subnet_ids, tags)
    else:
        after = apply(client, table, vpc_id=params["vpc_id"], wanted=wanted, subnet_ids=subnet_ids, tags=tags)
    result = {"changed": changed, "route_table": result_of(after)}
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": view(table), "after": view(after)}
    module.exit_json(**result)


def main():
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        tags=dict(type="dict", required=True),
        subnet_ids=dict(type="list", elements="str", default=[]),
        routes=dict(type="list", elements="dict", default=[], options=dict(
            destination_cidr_block=dict(type="str", required=True),
            gateway_id=dict(type="str"),
            nat_gateway_id=dict(type="str"),
        )),
    )
    module = MLPerimeterAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
