#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: security_group
short_description: Keep a VPC security group with exactly the given rules, read in one call
version_added: 0.1.0
description:
  - Finds the security group by its name in the VPC, creates it when missing, and keeps its inbound and
    outbound rules exactly as given; any other rule (another address range, another group, IPv6, a prefix
    list) is revoked. A rule whose description differs has its description updated in place.
  - The group, its rules and its tags come from one C(DescribeSecurityGroups), so a run that changes nothing
    makes that one call.
  - Tags are added and never removed.
  - A security group's description cannot change; a different one is reported as a warning.
  - Bad input is refused, naming the field and the value, before any call to AWS.
author:
  - mlperimeter maintainers
options:
  name:
    description:
      - The group's name, unique in the VPC. It cannot start with C(sg-).
    type: str
    required: true
  description:
    description:
      - The group's description, set when it is created (up to 255 characters of a-z, A-Z, 0-9, spaces
        and C(._-:/()#,@[]+=&;{}!$*)).
    type: str
    required: true
  vpc_id:
    description:
      - The VPC of the group.
    type: str
    required: true
  rules:
    description:
      - The inbound rules. An empty list leaves the group admitting nothing.
    type: list
    elements: dict
    default: []
    suboptions: &rule
      proto:
        description:
          - V(tcp), V(udp), or V(all) (also written V(-1)) for every protocol, which takes no ports.
        type: str
        default: tcp
      ports:
        description:
          - Single ports, one rule each. Give either O(rules[].ports) or O(rules[].from_port) and
            O(rules[].to_port).
        type: list
        elements: int
      from_port:
        description:
          - First port of a range.
        type: int
      to_port:
        description:
          - Last port of a range.
        type: int
      cidr_ip:
        description:
          - The IPv4 network the rule admits (inbound) or reaches (outbound), in CIDR notation.
        type: str
      group_name:
        description:
          - The group itself, by its O(name), for traffic between the members of the group. Give this or
            O(rules[].cidr_ip).
        type: str
      rule_desc:
        description:
          - Description of the rule.
        type: str
  rules_egress:
    description:
      - The outbound rules, as O(rules). An empty list revokes the outbound rule EC2 gives every new group,
        leaving the group reaching nothing.
    type: list
    elements: dict
    default: []
    suboptions: *rule
  tags:
    description:
      - Tags to add to the group. Tags it already has are kept.
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what would change without writing anything; a group still to be created has no id.
  diff_mode:
    support: full
    description: Shows the rules and tags before and after.
  idempotent:
    support: full
    description: A group with the given rules and tags is left alone.
"""

EXAMPLES = r"""
- name: Admit HTTPS from the VPC only, and let nothing out
  mlperimeter.aws.security_group:
    name: sagemaker-endpoints
    description: SageMaker VPC endpoints - HTTPS from the SageMaker VPC only
    vpc_id: vpc-0123456789abcdef0
    rules:
      - proto: tcp
        ports: [443]
        cidr_ip: 10.30.0.0/16
        rule_desc: HTTPS from the SageMaker VPC
    rules_egress: []
    tags:
      Name: sagemaker-endpoints
  register: endpoints_group

- name: Open a group to its own members on every TCP port
  mlperimeter.aws.security_group:
    name: studio
    description: Studio apps and EFS within the group
    vpc_id: vpc-0123456789abcdef0
    rules:
      - from_port: 0
        to_port: 65535
        group_name: studio
    rules_egress:
      - from_port: 0
        to_port: 65535
        group_name: studio
"""

RETURN = r"""
group_id:
  description: The group's id; absent in check mode when the group would be created.
  returned: when the group exists or was created
  type: str
  sample: sg-0123456789abcdef0
group_name:
  description: The group's name.
  returned: always
  type: str
vpc_id:
  description: The group's VPC.
  returned: always
  type: str
description:
  description: The group's description.
  returned: always
  type: str
rules:
  description: The inbound rules after the task, one per port range and source.
  returned: always
  type: list
  elements: dict
  sample: [{"proto": "tcp", "from_port": 443, "to_port": 443, "cidr_ip": "10.30.0.0/16",
            "rule_desc": "HTTPS from the SageMaker VPC"}]
rules_egress:
  description: The outbound rules after the task, as RV(rules).
  returned: always
  type: list
  elements: dict
tags:
  description: The group's tags after the task.
  returned: always
  type: dict
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.mlperimeter.aws.plugins.module_utils.ec2_network import (
    VPC_ID,
    add_tags,
    ec2_calls,
    ipv4_network_problem,
    missing_tags,
    string_tags,
    tag_specifications,
    tags_of,
)
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule

DESCRIPTION = re.compile(r"^[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]{0,255}$")
PROTOCOLS = {"tcp": "tcp", "udp": "udp", "all": "-1", "-1": "-1"}
DIRECTIONS = {"rules": ("IpPermissions", "ingress"), "rules_egress": ("IpPermissionsEgress", "egress")}
SELF = "self"


def rule_problem(field, rule, group_name):
    """A message naming the field and the value for a bad rule, else None."""
    proto = PROTOCOLS.get(str(rule.get("proto")))
    if proto is None:
        return f"{field}: proto {rule.get('proto')!r} is not tcp, udp or all"
    has_ports, has_range = rule.get("ports") is not None, (rule.get("from_port"), rule.get("to_port")) != (None, None)
    if proto == "-1" and (has_ports or has_range):
        return f"{field}: proto {rule['proto']!r} covers every port; give no ports"
    if proto != "-1":
        if has_ports == has_range:
            return f"{field}: give either ports or from_port and to_port, got {rule!r}"
        ranges = [(p, p) for p in rule["ports"] or []] if has_ports else [(rule.get("from_port"), rule.get("to_port"))]
        if not ranges:
            return f"{field}: ports is empty"
        for low, high in ranges:
            if low is None or high is None or not 0 <= low <= high <= 65535:
                return f"{field}: port range {low}-{high} is not within 0-65535, lowest first"
    if rule.get("rule_desc") is not None and not DESCRIPTION.match(rule["rule_desc"]):
        return f"{field}: rule_desc {rule['rule_desc']!r} has characters EC2 refuses or is longer than 255"
    if (rule.get("cidr_ip") is None) == (rule.get("group_name") is None):
        return f"{field}: give either cidr_ip or group_name, got {rule!r}"
    if rule.get("cidr_ip") is not None:
        return ipv4_network_problem(f"{field}: cidr_ip", rule["cidr_ip"])
    if rule["group_name"] != group_name:
        return (f"{field}: group_name {rule['group_name']!r} is not this group ({group_name!r}); only the group "
                "itself can be named")
    return None


def validate(params):
    """A message naming the field and the value for the first bad input, or None."""
    if not VPC_ID.match(params["vpc_id"]):
        return f"vpc_id: {params['vpc_id']!r} is not a VPC id (vpc-...)"
    name = params["name"]
    if not 1 <= len(name) <= 255 or name.lower().startswith("sg-") or not DESCRIPTION.match(name):
        return f"name: {name!r} is not a security group name (1-255 characters, not starting with sg-)"
    if not params["description"] or not DESCRIPTION.match(params["description"]):
        return (f"description: {params['description']!r} is empty, longer than 255 characters or has characters "
                "EC2 refuses")
    for option in DIRECTIONS:
        for index, rule in enumerate(params[option]):
            problem = rule_problem(f"{option}[{index}]", rule, name)
            if problem:
                return problem
    return None


def wanted(rules):
    """Rules as {(protocol, from, to, source): description}; a source is ("cidr", net) or ("group", SELF)."""
    result = {}
    for rule in rules:
        proto = PROTOCOLS[str(rule["proto"])]
        if proto == "-1":
            ranges = [(None, None)]
        elif rule.get("ports") is not None:
            ranges = [(p, p) for p in rule["ports"]]
        else:
            ranges = [(rule["from_port"], rule["to_port"])]
        source = ("cidr", rule["cidr_ip"]) if rule.get("cidr_ip") is not None else ("group", SELF)
        for low, high in ranges:
            result[(proto, low, high, source)] = rule.get("rule_desc") or None
    return result


def held(permissions, group_id):
    """The group's rules as ``wanted`` gives them; rules this module never sets keep their own sources."""
    result = {}
    for permission in permissions:
        proto = permission["IpProtocol"]
        low, high = (None, None) if proto == "-1" else (permission.get("FromPort"), permission.get("ToPort"))
        sources = [(("cidr", r["CidrIp"]), r.get("Description")) for r in permission.get("IpRanges", [])]
        sources += [(("cidr6", r["CidrIpv6"]), r.get("Description")) for r in permission.get("Ipv6Ranges", [])]
        sources += [(("prefix", r["PrefixListId"]), r.get("Description")) for r in permission.get("PrefixListIds", [])]
        sources += [(("group", SELF if p["GroupId"] == group_id else p["GroupId"]), p.get("Description"))
                    for p in permission.get("UserIdGroupPairs", [])]
        for source, description in sources:
            result[(proto, low, high, source)] = description or None
    return result


def permission(key, description, group_id):
    """The IpPermission EC2 takes for one rule."""
    proto, low, high, (kind, value) = key
    entry = {"IpProtocol": proto}
    if proto != "-1":
        entry.update(FromPort=low, ToPort=high)
    with_description = {"Description": description} if description else {}
    if kind == "cidr":
        entry["IpRanges"] = [{"CidrIp": value, **with_description}]
    elif kind == "cidr6":
        entry["Ipv6Ranges"] = [{"CidrIpv6": value, **with_description}]
    elif kind == "prefix":
        entry["PrefixListIds"] = [{"PrefixListId": value, **with_description}]
    else:
        entry["UserIdGroupPairs"] = [{"GroupId": group_id if value == SELF else value, **with_description}]
    return entry


def public_rules(rules):
    listed = []
    for (proto, low, high, (kind, value)), description in sorted(rules.items(), key=lambda item: repr(item[0])):
        rule = {"proto": "all" if proto == "-1" else proto}
        if proto != "-1":
            rule.update(from_port=low, to_port=high)
        rule[{"cidr": "cidr_ip", "cidr6": "cidr_ipv6", "prefix": "prefix_list_id", "group": "group_id"}[kind]] = value
        if description:
            rule["rule_desc"] = description
        listed.append(rule)
    return listed


def find_group(client, vpc_id, name):
    groups = ec2_calls.paginate(client, "describe_security_groups", "SecurityGroups", "describe security groups",
                                Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                         {"Name": "group-name", "Values": [name]}])
    return groups[0] if groups else None


def ensure_rules(client, *, check_mode, group_id, direction, current, desired):
    """Revoke, authorise and re-describe so the group holds exactly ``desired``; True when anything changed."""
    to_revoke = [key for key in current if key not in desired]
    to_add = [key for key in desired if key not in current]
    to_describe = [key for key in desired if key in current and current[key] != desired[key]]
    if check_mode or not (to_revoke or to_add or to_describe):
        return bool(to_revoke or to_add or to_describe)
    if to_revoke:
        ec2_calls.call(client, f"revoke_security_group_{direction}", f"revoke {direction} rules of {group_id}",
                       retry_conflict=True, GroupId=group_id,
                       IpPermissions=[permission(key, None, group_id) for key in to_revoke])
    if to_add:
        ec2_calls.call(client, f"authorize_security_group_{direction}", f"authorise {direction} rules of {group_id}",
                       retry_conflict=True, GroupId=group_id,
                       IpPermissions=[permission(key, desired[key], group_id) for key in to_add])
    if to_describe:
        ec2_calls.call(client, f"update_security_group_rule_descriptions_{direction}",
                       f"describe {direction} rules of {group_id}", retry_conflict=True, GroupId=group_id,
                       IpPermissions=[permission(key, desired[key], group_id) for key in to_describe])
    return True


def view(rules_by_option, tags):
    return dict({option: public_rules(rules) for option, rules in rules_by_option.items()}, tags=tags)


def do(module):
    params = module.params
    problem = validate(params)
    if problem:
        module.fail_json(msg=problem)
    name, vpc_id, tags = params["name"], params["vpc_id"], string_tags(params["tags"])
    desired = {option: wanted(params[option]) for option in DIRECTIONS}
    client = module.client("ec2")
    group = find_group(client, vpc_id, name)

    if group is None:
        changed = True
        group_id = None
        # EC2 gives a new group one outbound rule to everywhere and no inbound rule.
        current = {"rules": {}, "rules_egress": {("-1", None, None, ("cidr", "0.0.0.0/0")): None}}
        if not module.check_mode:
            group_id = ec2_calls.call(client, "create_security_group", f"create security group {name} in {vpc_id}",
                                      GroupName=name, Description=params["description"], VpcId=vpc_id,
                                      TagSpecifications=tag_specifications("security-group", tags))["GroupId"]
        before = {}
        after_tags = tags
        description = params["description"]
    else:
        group_id = group["GroupId"]
        current = {option: held(group.get(key, []), group_id) for option, (key, _) in DIRECTIONS.items()}
        before = view(current, tags_of(group))
        description = group.get("Description")
        if description != params["description"]:
            module.warn(f"description: EC2 cannot change a security group's description; {group_id} keeps "
                        f"{description!r}")
        tags_to_add = missing_tags(group, tags)
        changed = bool(tags_to_add)
        if tags_to_add and not module.check_mode:
            add_tags(client, group_id, tags_to_add)
        after_tags = dict(tags_of(group), **tags)

    for option, (_, direction) in DIRECTIONS.items():
        rules_changed = ensure_rules(client, check_mode=module.check_mode or group_id is None, group_id=group_id,
                                     direction=direction, current=current[option], desired=desired[option])
        changed = changed or rules_changed

    result = {"changed": changed, "group_name": name, "vpc_id": vpc_id, "description": description,
              "tags": after_tags, **{option: public_rules(desired[option]) for option in DIRECTIONS}}
    if group_id:
        result["group_id"] = group_id
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": before, "after": view(desired, after_tags)}
    module.exit_json(**result)


def main():
    rule = dict(
        proto=dict(type="str", default="tcp"),
        ports=dict(type="list", elements="int"),
        from_port=dict(type="int"),
        to_port=dict(type="int"),
        cidr_ip=dict(type="str"),
        group_name=dict(type="str"),
        rule_desc=dict(type="str"),
    )
    argument_spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str", required=True),
        vpc_id=dict(type="str", required=True),
        rules=dict(type="list", elements="dict", options=rule, default=[]),
        rules_egress=dict(type="list", elements="dict", options=rule, default=[]),
        tags=dict(type="dict", default={}),
    )
    module = MLPerimeterAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
