#!/usr/bin/python

# Copyright: Contributors to the mlperimeter project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: dns_firewall_rule_group
version_added: 0.1.0
short_description: Manage a Route 53 Resolver DNS Firewall rule group and its rules
description:
  - Creates, changes or deletes one DNS Firewall rule group of this account, found by O(name), with its rules
    given as a list. AWS does not keep names unique; when two rule groups share O(name) the module refuses,
    naming both ids. Rule groups shared with the account by others are not considered.
  - A rule has no id of its own; AWS identifies it by its domain list and query type. A rule whose domain list
    and O(rules[].qtype) are unchanged is updated in place (C(UpdateFirewallRule)); changing either deletes the
    rule and creates another. When priorities move between rules, the updates are ordered (parking a rule on a
    free priority when two swap) so that no two rules ever hold the same priority.
  - The rules are checked before any call - unique priorities, names and (domain list, query type) pairs,
    a block response for every C(BLOCK) rule and block fields on C(BLOCK) rules only, C(OVERRIDE) with its
    domain and TTL - and every problem is reported at once.
  - Every rule action ends evaluation; C(ALERT) lets the query through and does not fall through to later rules.
  - With O(state=absent), the rules are deleted, then the group. A rule group still associated with a VPC is not
    deleted; the module fails naming the VPC (remove the association with
    M(mlperimeter.aws.dns_firewall_association) first).
author:
  - mlperimeter contributors
options:
  name:
    description:
      - The rule group's name (1 to 64 letters, digits, spaces, C(-), C(_) or C('); not only digits).
    type: str
    required: true
  state:
    description: Whether the rule group should exist.
    type: str
    choices: [present, absent]
    default: present
  rules:
    description:
      - The group's rules. Left out, the rules are not changed.
    type: list
    elements: dict
    suboptions:
      name:
        description: The rule's name, unique among the task's rules.
        type: str
        required: true
      priority:
        description: A positive integer, unique in the group; lower numbers are evaluated first.
        type: int
        required: true
      action:
        description:
          - V(ALLOW) lets matching queries resolve, V(ALERT) lets them resolve and logs them, V(BLOCK) answers
            them with O(rules[].block_response). All three stop evaluation.
        type: str
        required: true
        choices: [ALLOW, ALERT, BLOCK]
      block_response:
        description: The answer to a blocked query. Required with V(BLOCK), refused otherwise.
        type: str
        choices: [NODATA, NXDOMAIN, OVERRIDE]
      block_override_domain:
        description: The name a C(OVERRIDE) answer points to (as a CNAME). Required with C(OVERRIDE).
        type: str
      block_override_dns_type:
        description: The record type of a C(OVERRIDE) answer; AWS supports only C(CNAME), which is the default.
        type: str
        choices: [CNAME]
      block_override_ttl:
        description: Seconds an C(OVERRIDE) answer may be cached (0 to 604800). Required with C(OVERRIDE).
        type: int
      domain_list:
        description:
          - The domain list the rule matches, by id (C(rslvr-fdl-...)) or by name. AWS-managed lists such as
            C(AWSManagedDomainsAggregateThreatList) can be named too.
        type: str
        required: true
      qtype:
        description:
          - The DNS query type the rule matches (C(A), C(AAAA), C(CNAME), C(MX), C(TXT), ... or C(TYPE<n>)). Left
            out, all types.
        type: str
      firewall_domain_redirection_action:
        description:
          - Whether every name in a CNAME or DNAME chain is inspected (C(INSPECT_REDIRECTION_DOMAIN), AWS's
            default) or only the first (C(TRUST_REDIRECTION_DOMAIN)).
        type: str
        choices: [INSPECT_REDIRECTION_DOMAIN, TRUST_REDIRECTION_DOMAIN]
  purge_rules:
    description:
      - Delete rules of the group that O(rules) does not list. With V(false), they are kept, and a task's rule may
        not take a priority one of them holds.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Reads the group and reports the rules that would be created, updated and deleted, without writing.
  diff_mode:
    support: full
    description: The group's name, tags and rules (ordered by priority) before and after.
  idempotent:
    support: full
    description: A second run with the same arguments changes nothing.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Resolve only the approved names, block everything else
  mlperimeter.aws.dns_firewall_rule_group:
    name: mlperimeter-egress
    rules:
      - name: allow-approved
        priority: 100
        action: ALLOW
        domain_list: mlperimeter-approved
      - name: block-everything-else
        priority: 200
        action: BLOCK
        block_response: NXDOMAIN
        domain_list: mlperimeter-everything
    tags:
      mlperimeter:managed: "true"
      mlperimeter:control: M2

- name: Stage the block-all rule as ALERT first
  mlperimeter.aws.dns_firewall_rule_group:
    name: mlperimeter-egress
    rules:
      - {name: allow-approved, priority: 100, action: ALLOW, domain_list: mlperimeter-approved}
      - {name: block-everything-else, priority: 200, action: ALERT, domain_list: mlperimeter-everything}

- name: Delete the rule group (fails while it is associated with a VPC)
  mlperimeter.aws.dns_firewall_rule_group:
    name: mlperimeter-egress
    state: absent
"""

RETURN = r"""
rule_group:
  description: The rule group after the task; empty after O(state=absent). In check mode, what it would be
    (without C(id) and C(arn) when it would be created).
  returned: always
  type: dict
  contains:
    id:
      description: The rule group's id.
      type: str
      sample: rslvr-frg-f73459e8760545e8
    arn:
      description: The rule group's ARN.
      type: str
    name:
      description: The rule group's name.
      type: str
    rule_count:
      description: How many rules the group has.
      type: int
    status:
      description: The rule group's status.
      type: str
      sample: COMPLETE
    owner_id:
      description: The account that owns the group.
      type: str
    share_status:
      description: C(NOT_SHARED), C(SHARED_BY_ME) or C(SHARED_WITH_ME).
      type: str
    tags:
      description: The group's tags.
      type: dict
    rules:
      description: The rules, by priority.
      type: list
      elements: dict
      contains:
        name:
          description: The rule's name.
          type: str
        priority:
          description: The rule's priority.
          type: int
        action:
          description: C(ALLOW), C(ALERT) or C(BLOCK).
          type: str
        block_response:
          description: The block response of a C(BLOCK) rule.
          type: str
        firewall_domain_list_id:
          description: The domain list's id.
          type: str
        firewall_domain_list_name:
          description: The domain list's name.
          type: str
        qtype:
          description: The query type, when the rule has one.
          type: str
        firewall_domain_redirection_action:
          description: How CNAME and DNAME chains are inspected.
          type: str
changes:
  description: What was (or would be) done, one line a step.
  returned: always
  type: list
  elements: str
  sample: ["create rule group", "create rule 'allow-approved' (priority 100)"]
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.mlperimeter.aws.plugins.module_utils import route53resolver as r53r
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule


def resolve_domain_lists(client, rules):
    """{reference: list id} for the domain lists the rules name, and {id: name} of every list."""
    lists = r53r.list_domain_lists(client)
    names = {fdl["Id"]: fdl.get("Name") for fdl in lists}
    resolved, problems = {}, []
    for index, rule in enumerate(rules):
        ref = rule["domain_list"]
        if ref in resolved:
            continue
        if r53r.DOMAIN_LIST_ID.fullmatch(ref):
            if ref in names:
                resolved[ref] = ref
            else:
                problems.append(f"rules[{index}].domain_list: no firewall domain list has the id {ref!r}")
            continue
        found = r53r.find_domain_list(client, ref, managed=True, lists=lists)
        if found is None:
            problems.append(f"rules[{index}].domain_list: no firewall domain list is named {ref!r}")
        else:
            resolved[ref] = found["Id"]
    return resolved, names, problems


def desired_rules(rules, resolved):
    """The task's rules in API members; problems of two rules that name the same list differently."""
    canonical = [r53r.canonical_rule(rule, resolved[rule["domain_list"]]) for rule in rules]
    seen, problems = {}, []
    for rule in canonical:
        key = r53r.rule_key(rule)
        if key in seen:
            problems.append(f"rules: {seen[key]!r} and {rule['Name']!r} use the same domain list ({key[0]}) with "
                            f"qtype {key[1] or 'any'}; a domain list can be used once per qtype")
        seen[key] = rule["Name"]
    return canonical, problems


def view(name, tags, rules, names):
    ordered = sorted(rules, key=lambda rule: rule.get("Priority") or 0)
    return {"name": name, "tags": tags, "rules": [r53r.rule_result(rule, names) for rule in ordered]}


def identity(rule):
    """The members that name a rule in UpdateFirewallRule and DeleteFirewallRule."""
    if rule.get("FirewallThreatProtectionId"):
        return {"FirewallThreatProtectionId": rule["FirewallThreatProtectionId"]}
    found = {"FirewallDomainListId": rule["FirewallDomainListId"]}
    if rule.get("Qtype"):
        found["Qtype"] = rule["Qtype"]
    return found


def ensure_rules(client, group_id, deletes, updates, creates, kept, *, check_mode):
    """Deletes, then in-place updates ordered by priority, then creates; the steps as text."""
    changes = [f"delete rule {rule.get('Name')!r} (priority {rule.get('Priority')})" for rule in deletes]
    remaining = [existing["Priority"] for existing, _rule in updates] + [rule["Priority"] for rule in kept]
    steps = r53r.order_updates(updates, remaining)
    changes += [f"update rule {rule['Name']!r} (priority {rule['Priority']})" for _existing, rule in steps]
    changes += [f"create rule {rule['Name']!r} (priority {rule['Priority']})" for rule in creates]
    if check_mode:
        return changes
    for rule in deletes:
        r53r.call(client, "delete_firewall_rule", f"delete rule {rule.get('Name')!r} of {group_id}",
                  FirewallRuleGroupId=group_id, **identity(rule))
    for existing, rule in steps:
        attributes = {k: v for k, v in r53r.rule_params(rule).items() if k not in ("FirewallDomainListId", "Qtype")}
        r53r.call(client, "update_firewall_rule", f"update rule {rule['Name']!r} of {group_id}", retry_conflict=True,
                  FirewallRuleGroupId=group_id, **identity(existing), **attributes)
    for rule in creates:
        r53r.call(client, "create_firewall_rule", f"create rule {rule['Name']!r} in {group_id}",
                  CreatorRequestId=r53r.request_token(), FirewallRuleGroupId=group_id, **r53r.rule_params(rule))
    return changes


def ensure_present(client, name, rules, purge_rules, tags, purge_tags, *, check_mode):
    group = r53r.find_rule_group(client, name)
    resolved, names, problems = resolve_domain_lists(client, rules or [])
    desired, duplicates = desired_rules(rules or [], resolved) if not problems else ([], [])
    current = r53r.list_rules(client, group["Id"]) if group else []
    current_canonical = [r53r.current_rule(rule) if rule.get("FirewallDomainListId") else rule for rule in current]
    if rules is None:
        deletes, updates, creates, kept = [], [], [], current_canonical
    else:
        deletes, updates, creates, kept = r53r.plan_rules(current_canonical, desired, purge_rules)
        problems += duplicates + r53r.priority_conflicts(kept, desired)
    if problems:
        raise r53r.AnsibleRoute53ResolverError(
            message=f"Invalid dns_firewall_rule_group rules ({len(problems)} problems): " + "; ".join(problems)
        )

    changes = []
    existed = group is not None
    current_tags = r53r.get_tags(client, group["Arn"]) if existed else {}
    after_tags = r53r.tags_after(current_tags, tags, purge_tags)[0]
    if not existed:
        changes.append("create rule group")
        if not check_mode:
            group = r53r.call(client, "create_firewall_rule_group", f"create firewall rule group {name!r}",
                              CreatorRequestId=r53r.request_token(), Name=name,
                              Tags=r53r.tag_list(tags))["FirewallRuleGroup"]
    elif r53r.ensure_tags(client, group["Arn"], current_tags, tags, purge_tags, check_mode=check_mode):
        changes.append("update tags")
    changes += ensure_rules(client, group["Id"] if group else None, deletes, updates, creates, kept,
                            check_mode=check_mode)

    before = view(name, current_tags, current_canonical, names) if existed else {}
    after = view(name, after_tags, kept + ([] if rules is None else desired), names)
    if check_mode:
        result = camel_dict_to_snake_dict(group) if existed else {"id": None, "arn": None, "name": name}
        result.update(tags=after_tags, rule_count=len(after["rules"]), rules=after["rules"])
    else:
        group = r53r.get_rule_group(client, group["Id"])
        if changes:
            current = r53r.list_rules(client, group["Id"])
        result = camel_dict_to_snake_dict(group)
        rules_now = [r53r.current_rule(rule) if rule.get("FirewallDomainListId") else rule for rule in current]
        result.update(tags=after_tags, rules=view(name, after_tags, rules_now, names)["rules"])
    return dict(changed=bool(changes), changes=changes, rule_group=result, diff=dict(before=before, after=after))


def ensure_absent(client, name, *, check_mode):
    group = r53r.find_rule_group(client, name)
    if group is None:
        return dict(changed=False, changes=[], rule_group={}, diff=dict(before={}, after={}))
    associations = r53r.list_associations(client, FirewallRuleGroupId=group["Id"])
    if associations:
        where = ", ".join(f"VPC {a['VpcId']} (association {a['Id']})" for a in associations)
        raise r53r.AnsibleRoute53ResolverError(
            message=f"Firewall rule group {name!r} ({group['Id']}) is still associated with {where}; remove the "
                    "association first (mlperimeter.aws.dns_firewall_association with state: absent)"
        )
    rules = r53r.list_rules(client, group["Id"])
    names = {fdl["Id"]: fdl.get("Name") for fdl in r53r.list_domain_lists(client)} if rules else {}
    before = view(name, r53r.get_tags(client, group["Arn"]), rules, names)
    changes = [f"delete rule {rule.get('Name')!r} (priority {rule.get('Priority')})" for rule in rules]
    changes.append("delete rule group")
    if not check_mode:
        for rule in rules:
            r53r.call(client, "delete_firewall_rule", f"delete rule {rule.get('Name')!r} of {group['Id']}",
                      FirewallRuleGroupId=group["Id"], **identity(rule))
        r53r.call(client, "delete_firewall_rule_group", f"delete firewall rule group {group['Id']}",
                  FirewallRuleGroupId=group["Id"])
    return dict(changed=True, changes=changes, rule_group={}, diff=dict(before=before, after={}))


def validate(params):
    problems = []
    problem = r53r.name_problem("name", params["name"])
    if problem:
        problems.append(problem)
    if params["state"] == "present" and params["rules"] is not None:
        problems += r53r.validate_rules(params["rules"])
    return problems


def do(module):
    params = module.params
    problems = validate(params)
    if problems:
        module.fail_json(msg=f"Invalid dns_firewall_rule_group arguments ({len(problems)} problems): "
                             + "; ".join(problems), problems=problems)
    client = module.client(r53r.SERVICE)
    if params["state"] == "absent":
        result = ensure_absent(client, params["name"], check_mode=module.check_mode)
    else:
        result = ensure_present(client, params["name"], params["rules"], params["purge_rules"], params["tags"],
                                params["purge_tags"], check_mode=module.check_mode)
    if not module._diff:  # pylint: disable=protected-access
        result.pop("diff")
    module.exit_json(**result)


def main():
    rule_spec = dict(
        name=dict(type="str", required=True),
        priority=dict(type="int", required=True),
        action=dict(type="str", required=True, choices=list(r53r.ACTIONS)),
        block_response=dict(type="str", choices=list(r53r.BLOCK_RESPONSES)),
        block_override_domain=dict(type="str"),
        block_override_dns_type=dict(type="str", choices=["CNAME"]),
        block_override_ttl=dict(type="int"),
        domain_list=dict(type="str", required=True),
        qtype=dict(type="str"),
        firewall_domain_redirection_action=dict(type="str", choices=list(r53r.REDIRECTION_ACTIONS)),
    )
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        rules=dict(type="list", elements="dict", options=rule_spec),
        purge_rules=dict(type="bool", default=True),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = MLPerimeterAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
