#!/usr/bin/python

# Copyright: Contributors to the mlperimeter project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: dns_firewall_association
version_added: 0.1.0
short_description: Associate a Route 53 Resolver DNS Firewall rule group with a VPC
description:
  - Associates one DNS Firewall rule group (by name or id) with one VPC, with a priority and mutation protection,
    and keeps them as the task says. A rule group is associated with a VPC at most once, so the pair identifies
    the association.
  - The VPC's associations are evaluated by priority, lowest first; the first rule that matches in any of them
    decides. Give the block-all group the highest priority number of the account's groups.
  - Priority, name and mutation protection are changed in place. AWS refuses changes to an association under
    mutation protection, so when one is protected the module turns protection off in the same update, waits for
    C(COMPLETE), then turns it back on when O(mutation_protection=ENABLED).
  - With O(state=absent) the module turns mutation protection off first when it is on (the task saying
    C(state=absent) is the decision to remove a protected association), then removes the association and waits
    until it is gone.
  - Associations that AWS Firewall Manager made are never changed; a task addressing one fails.
  - The module waits for the association to be C(COMPLETE) after every change.
author:
  - mlperimeter contributors
options:
  rule_group:
    description: The rule group, by id (C(rslvr-frg-...)) or by name.
    type: str
    required: true
  vpc_id:
    description: The VPC.
    type: str
    required: true
  state:
    description: Whether the association should exist.
    type: str
    choices: [present, absent]
    default: present
  priority:
    description:
      - The association's priority in the VPC, 101 to 9899, unique among the VPC's associations. AWS reserves 100
        and 9900, and Firewall Manager uses 1 to 99 and 9901 to 10000. Required with O(state=present).
    type: int
  name:
    description: The association's name. When not given, the rule group's name.
    type: str
  mutation_protection:
    description:
      - V(ENABLED) makes AWS refuse changes to and removal of the association until protection is turned off.
    type: str
    choices: [ENABLED, DISABLED]
    default: ENABLED
  wait_timeout:
    description: How many seconds to wait for the association to become C(COMPLETE), or to disappear.
    type: int
    default: 300
attributes:
  check_mode:
    support: full
    description: Reads only and reports what would be associated, changed or removed.
  diff_mode:
    support: full
    description: The association's rule group, VPC, name, priority, mutation protection and tags, before and after.
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
- name: Filter the SageMaker VPC's DNS with the egress rule group, protected from changes
  mlperimeter.aws.dns_firewall_association:
    rule_group: mlperimeter-egress
    vpc_id: vpc-0123456789abcdef0
    priority: 9000
    mutation_protection: ENABLED
    tags:
      mlperimeter:managed: "true"
      mlperimeter:control: M2

- name: Remove it (protection is turned off first)
  mlperimeter.aws.dns_firewall_association:
    rule_group: mlperimeter-egress
    vpc_id: vpc-0123456789abcdef0
    state: absent
"""

RETURN = r"""
association:
  description: The association after the task; empty after O(state=absent). In check mode, what it would be
    (without C(id) and C(arn) when it would be created).
  returned: always
  type: dict
  contains:
    id:
      description: The association's id.
      type: str
      sample: rslvr-frgassoc-37b8b578ef654038
    arn:
      description: The association's ARN.
      type: str
    firewall_rule_group_id:
      description: The rule group's id.
      type: str
    vpc_id:
      description: The VPC.
      type: str
    name:
      description: The association's name.
      type: str
    priority:
      description: The association's priority.
      type: int
      sample: 9000
    mutation_protection:
      description: C(ENABLED) or C(DISABLED).
      type: str
    status:
      description: C(COMPLETE) once the change is applied.
      type: str
    tags:
      description: The association's tags.
      type: dict
changes:
  description: What was (or would be) done.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.mlperimeter.aws.plugins.module_utils import route53resolver as r53r
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule

VIEW = ("FirewallRuleGroupId", "VpcId", "Name", "Priority", "MutationProtection")


def view(association, tags):
    if not association:
        return {}
    result = camel_dict_to_snake_dict({k: association.get(k) for k in VIEW})
    result["tags"] = tags
    return result


def find_association(client, group_id, vpc_id, wait_timeout):
    """This group's association with the VPC (settled), and the VPC's other associations."""
    on_vpc = r53r.list_associations(client, VpcId=vpc_id)
    ours = [a for a in on_vpc if a["FirewallRuleGroupId"] == group_id]
    others = [a for a in on_vpc if a["FirewallRuleGroupId"] != group_id]
    association = ours[0] if ours else None
    if association and association.get("ManagedOwnerName"):
        raise r53r.AnsibleRoute53ResolverError(
            message=f"The association {association['Id']} of {group_id} with {vpc_id} is managed by "
                    f"{association['ManagedOwnerName']}; the module does not change it"
        )
    if association and association["Status"] in r53r.PENDING:
        if association["Status"] == "DELETING":
            r53r.wait_association_deleted(client, association["Id"], wait_timeout)
            association = None
        else:
            association = r53r.wait_association(client, association["Id"], wait_timeout)
    return association, others


def update(client, association_id, wait_timeout, **changes):
    r53r.call(client, "update_firewall_rule_group_association", f"update association {association_id}",
              retry_conflict=True, FirewallRuleGroupAssociationId=association_id, **changes)
    return r53r.wait_association(client, association_id, wait_timeout)


def ensure_attributes(client, association, desired, *, check_mode, wait_timeout):
    """Bring priority, name and mutation protection to ``desired``; the steps as text."""
    changes = {k: v for k, v in desired.items() if association.get(k) != v}
    if not changes:
        return []
    steps = [f"update {', '.join(sorted(changes))}"]
    protected = association["MutationProtection"] == "ENABLED"
    attributes = {k: v for k, v in changes.items() if k != "MutationProtection"}
    reprotect = protected and attributes and desired["MutationProtection"] == "ENABLED"
    if reprotect:
        steps = [f"turn mutation protection off, update {', '.join(sorted(attributes))}",
                 "turn mutation protection on"]
    if check_mode:
        return steps
    if reprotect:
        update(client, association["Id"], wait_timeout, MutationProtection="DISABLED", **attributes)
        update(client, association["Id"], wait_timeout, MutationProtection="ENABLED")
    else:
        update(client, association["Id"], wait_timeout, **changes)
    return steps


def ensure_present(client, group, vpc_id, desired, tags, purge_tags, *, check_mode, wait_timeout):
    association, others = find_association(client, group["Id"], vpc_id, wait_timeout)
    taken = [a for a in others if a["Priority"] == desired["Priority"]]
    if taken:
        raise r53r.AnsibleRoute53ResolverError(
            message=f"priority: {desired['Priority']} is already used on {vpc_id} by association {taken[0]['Id']} "
                    f"(rule group {taken[0]['FirewallRuleGroupId']}); association priorities are unique per VPC"
        )
    if association is None:
        after_tags = dict(tags or {})
        after = dict(desired, FirewallRuleGroupId=group["Id"], VpcId=vpc_id)
        if check_mode:
            result = dict(view(after, after_tags), id=None, arn=None, status=None)
        else:
            created = r53r.call(
                client, "associate_firewall_rule_group", f"associate {group['Id']} with {vpc_id}",
                CreatorRequestId=r53r.request_token(), FirewallRuleGroupId=group["Id"], VpcId=vpc_id,
                Tags=r53r.tag_list(tags), **desired,
            )["FirewallRuleGroupAssociation"]
            result = camel_dict_to_snake_dict(r53r.wait_association(client, created["Id"], wait_timeout))
            result["tags"] = after_tags
        return dict(changed=True, changes=["associate"], association=result,
                    diff=dict(before={}, after=view(after, after_tags)))

    current_tags = r53r.get_tags(client, association["Arn"])
    steps = ensure_attributes(client, association, desired, check_mode=check_mode, wait_timeout=wait_timeout)
    after_tags = r53r.tags_after(current_tags, tags, purge_tags)[0]
    if r53r.ensure_tags(client, association["Arn"], current_tags, tags, purge_tags, check_mode=check_mode):
        steps.append("update tags")
    after = dict(association, **desired)
    if check_mode or not steps:
        result = camel_dict_to_snake_dict(after)
    else:
        result = camel_dict_to_snake_dict(r53r.get_association(client, association["Id"]))
    result["tags"] = after_tags
    return dict(changed=bool(steps), changes=steps, association=result,
                diff=dict(before=view(association, current_tags), after=view(after, after_tags)))


def ensure_absent(client, group, vpc_id, *, check_mode, wait_timeout):
    association = find_association(client, group["Id"], vpc_id, wait_timeout)[0] if group else None
    if association is None:
        return dict(changed=False, changes=[], association={}, diff=dict(before={}, after={}))
    before = view(association, r53r.get_tags(client, association["Arn"]))
    steps = ["disassociate"]
    if association["MutationProtection"] == "ENABLED":
        steps.insert(0, "turn mutation protection off")
    if not check_mode:
        if association["MutationProtection"] == "ENABLED":
            update(client, association["Id"], wait_timeout, MutationProtection="DISABLED")
        r53r.call(client, "disassociate_firewall_rule_group", f"disassociate {association['Id']}",
                  retry_conflict=True, FirewallRuleGroupAssociationId=association["Id"])
        r53r.wait_association_deleted(client, association["Id"], wait_timeout)
    return dict(changed=True, changes=steps, association={}, diff=dict(before=before, after={}))


def validate(params):
    problems = []
    problem = r53r.vpc_problem("vpc_id", params["vpc_id"])
    if problem:
        problems.append(problem)
    if params["name"] is not None:
        problem = r53r.name_problem("name", params["name"])
        if problem:
            problems.append(problem)
    if params["state"] == "present":
        problem = r53r.association_priority_problem(params["priority"])
        if problem:
            problems.append(problem)
    return problems


def do(module):
    params = module.params
    problems = validate(params)
    if problems:
        module.fail_json(msg="Invalid dns_firewall_association arguments: " + "; ".join(problems), problems=problems)
    client = module.client(r53r.SERVICE)
    group = r53r.resolve_rule_group(client, params["rule_group"])
    if params["state"] == "absent":
        result = ensure_absent(client, group, params["vpc_id"], check_mode=module.check_mode,
                               wait_timeout=params["wait_timeout"])
    else:
        if group is None:
            module.fail_json(msg=f"rule_group: no firewall rule group {params['rule_group']!r} in this account "
                                 "and Region")
        desired = {
            "Priority": params["priority"],
            "Name": params["name"] or group["Name"],
            "MutationProtection": params["mutation_protection"],
        }
        result = ensure_present(client, group, params["vpc_id"], desired, params["tags"], params["purge_tags"],
                                check_mode=module.check_mode, wait_timeout=params["wait_timeout"])
    if not module._diff:  # pylint: disable=protected-access
        result.pop("diff")
    module.exit_json(**result)


def main():
    argument_spec = dict(
        rule_group=dict(type="str", required=True),
        vpc_id=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        priority=dict(type="int"),
        name=dict(type="str"),
        mutation_protection=dict(type="str", choices=["ENABLED", "DISABLED"], default="ENABLED"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
    )
    module = MLPerimeterAWSModule(argument_spec=argument_spec, supports_check_mode=True,
                                  required_if=[("state", "present", ("priority",))])
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
