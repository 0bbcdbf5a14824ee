#!/usr/bin/python

# Copyright: Contributors to the mlperimeter project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: dns_firewall_info
version_added: 0.1.0
short_description: Read Route 53 Resolver DNS Firewall state - domain lists, rule groups, associations, configs
description:
  - Reads the DNS Firewall state of the account in the Region, as lists - what a verification gate needs to
    decide whether a VPC resolves only approved names, and what an evaluator needs to replay DNS Firewall's
    decision for a name (associations by priority, rules by priority, the domains of each list).
  - With O(vpc_id), the associations, firewall configuration and query logging configurations are those of that
    VPC; without it, all of them.
  - Never changes anything.
author:
  - mlperimeter contributors
options:
  vpc_id:
    description: Limit associations, firewall configurations and query logging to this VPC.
    type: str
  domain_list_names:
    description: Only these domain lists (by name). Left out, every list, AWS-managed ones included.
    type: list
    elements: str
  rule_group_names:
    description: Only these rule groups (by name). Left out, every rule group the account can see.
    type: list
    elements: str
  gather:
    description:
      - What to read. A gate that needs only a VPC's association and configuration saves the calls that read every
        domain list and rule group. What is not gathered is left out of the result.
    type: list
    elements: str
    choices: [domain_lists, rule_groups, associations, firewall_configs, query_log_configs]
    default: [domain_lists, rule_groups, associations, firewall_configs, query_log_configs]
  include_domains:
    description:
      - Return the domains of each of your own domain lists (AWS does not disclose the contents of managed lists).
        Lists of tens of thousands of domains make a large result.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Reads only; the same in check mode.
  diff_mode:
    support: none
    description: Reads only; there is no difference to show.
  idempotent:
    support: full
    description: Reads only.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The DNS Firewall of the SageMaker VPC, with the domains of the lists its rules use
  mlperimeter.aws.dns_firewall_info:
    vpc_id: vpc-0123456789abcdef0
    include_domains: true
  register: dns_firewall

- name: The VPC fails closed and has exactly one, protected, association
  ansible.builtin.assert:
    that:
      - dns_firewall.firewall_configs | map(attribute='firewall_fail_open') | list == ['DISABLED']
      - dns_firewall.associations | length == 1
      - dns_firewall.associations[0].mutation_protection == 'ENABLED'

- name: Only the VPC's association and configuration (three reads), for a gate that compared the rules already
  mlperimeter.aws.dns_firewall_info:
    vpc_id: vpc-0123456789abcdef0
    gather: [associations, firewall_configs]
  register: dns_firewall_live
"""

RETURN = r"""
domain_lists:
  description: Domain lists, sorted by name.
  returned: when gathered (the default)
  type: list
  elements: dict
  contains:
    id:
      description: The list's id.
      type: str
    arn:
      description: The list's ARN.
      type: str
    name:
      description: The list's name.
      type: str
    domain_count:
      description: How many domains the list holds (not given for AWS-managed lists).
      type: int
    status:
      description: The list's status.
      type: str
    managed_owner_name:
      description: Set for AWS-managed lists.
      type: str
    tags:
      description: The list's tags (your own lists only).
      type: dict
    domains:
      description: The list's domains, sorted, as AWS stores them. Only with O(include_domains=true).
      type: list
      elements: str
rule_groups:
  description: Rule groups, sorted by name, each with its rules by priority.
  returned: when gathered (the default)
  type: list
  elements: dict
  contains:
    id:
      description: The group's id.
      type: str
    name:
      description: The group's name.
      type: str
    share_status:
      description: C(NOT_SHARED), C(SHARED_BY_ME) or C(SHARED_WITH_ME).
      type: str
    tags:
      description: The group's tags (groups this account owns only).
      type: dict
    rules:
      description: The rules, by priority, with C(firewall_domain_list_name) added.
      type: list
      elements: dict
associations:
  description: Rule group associations, by VPC and priority, with C(firewall_rule_group_name) added.
  returned: when gathered (the default)
  type: list
  elements: dict
firewall_configs:
  description: Firewall configurations (C(firewall_fail_open) per VPC); one with O(vpc_id).
  returned: when gathered (the default)
  type: list
  elements: dict
query_log_configs:
  description: Resolver query logging configurations, each with C(vpc_ids); with O(vpc_id), those logging that VPC.
  returned: when gathered (the default)
  type: list
  elements: dict
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.mlperimeter.aws.plugins.module_utils import route53resolver as r53r
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule

GATHERABLE = ("domain_lists", "rule_groups", "associations", "firewall_configs", "query_log_configs")


def domain_lists(client, listed, names, include_domains):
    results = []
    for meta in sorted(listed, key=lambda fdl: (fdl.get("Name") or "", fdl["Id"])):
        if names is not None and meta.get("Name") not in names:
            continue
        managed = bool(meta.get("ManagedOwnerName"))
        fdl = r53r.get_domain_list(client, meta["Id"]) or meta
        result = camel_dict_to_snake_dict(fdl)
        if not managed:
            result["tags"] = r53r.get_tags(client, fdl["Arn"])
            if include_domains:
                result["domains"] = sorted(r53r.list_domains(client, fdl["Id"]))
        results.append(result)
    return results


def rule_groups(client, listed, names, list_names):
    results = []
    for meta in sorted(listed, key=lambda group: (group.get("Name") or "", group["Id"])):
        if names is not None and meta.get("Name") not in names:
            continue
        group = r53r.get_rule_group(client, meta["Id"]) or meta
        result = camel_dict_to_snake_dict(group)
        if meta.get("ShareStatus") != "SHARED_WITH_ME":
            result["tags"] = r53r.get_tags(client, group["Arn"])
        rules = sorted(r53r.list_rules(client, group["Id"]), key=lambda rule: rule.get("Priority") or 0)
        result["rules"] = [r53r.rule_result(rule, list_names) for rule in rules]
        results.append(result)
    return results


def associations(client, vpc_id, group_names):
    found = r53r.list_associations(client, **({"VpcId": vpc_id} if vpc_id else {}))
    results = []
    for association in sorted(found, key=lambda a: (a["VpcId"], a["Priority"])):
        result = camel_dict_to_snake_dict(association)
        result["firewall_rule_group_name"] = group_names.get(association["FirewallRuleGroupId"])
        results.append(result)
    return results


def firewall_configs(client, vpc_id):
    if vpc_id:
        config = r53r.call(client, "get_firewall_config", f"get the firewall config of {vpc_id}", ResourceId=vpc_id)
        return [camel_dict_to_snake_dict(config["FirewallConfig"])]
    configs = r53r.paginate(client, "list_firewall_configs", "FirewallConfigs", "list firewall configs",
                            PaginationConfig={"PageSize": 10})
    return [camel_dict_to_snake_dict(config) for config in configs]


def query_log_configs(client, vpc_id):
    results = []
    for config in sorted(r53r.list_query_log_configs(client), key=lambda c: (c.get("Name") or "", c["Id"])):
        vpcs = sorted({a["ResourceId"] for a in r53r.list_query_log_associations(client, config["Id"])
                       if a.get("Status") not in ("DELETING", "FAILED")})
        if vpc_id and vpc_id not in vpcs:
            continue
        result = camel_dict_to_snake_dict(config)
        result["vpc_ids"] = vpcs
        results.append(result)
    return results


def do(module):
    params = module.params
    if params["vpc_id"] is not None:
        problem = r53r.vpc_problem("vpc_id", params["vpc_id"])
        if problem:
            module.fail_json(msg=problem)
    gather = set(params["gather"])
    client = module.client(r53r.SERVICE)
    result = {}
    # Each listing is read once: the rules name their lists, and the associations their groups, by id.
    if gather & {"domain_lists", "rule_groups"}:
        listed_lists = r53r.list_domain_lists(client)
        if "domain_lists" in gather:
            result["domain_lists"] = domain_lists(client, listed_lists, params["domain_list_names"],
                                                  params["include_domains"])
    if gather & {"rule_groups", "associations"}:
        # Groups shared with the account are listed too: a VPC can be associated with one.
        listed_groups = r53r.paginate(client, "list_firewall_rule_groups", "FirewallRuleGroups",
                                      "list firewall rule groups")
        if "rule_groups" in gather:
            list_names = {fdl["Id"]: fdl.get("Name") for fdl in listed_lists}
            result["rule_groups"] = rule_groups(client, listed_groups, params["rule_group_names"], list_names)
    if "associations" in gather:
        group_names = {group["Id"]: group.get("Name") for group in listed_groups}
        result["associations"] = associations(client, params["vpc_id"], group_names)
    if "firewall_configs" in gather:
        result["firewall_configs"] = firewall_configs(client, params["vpc_id"])
    if "query_log_configs" in gather:
        result["query_log_configs"] = query_log_configs(client, params["vpc_id"])
    module.exit_json(changed=False, **result)


def main():
    argument_spec = dict(
        vpc_id=dict(type="str"),
        domain_list_names=dict(type="list", elements="str"),
        rule_group_names=dict(type="list", elements="str"),
        gather=dict(type="list", elements="str", choices=list(GATHERABLE), default=list(GATHERABLE)),
        include_domains=dict(type="bool", default=False),
    )
    module = MLPerimeterAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
