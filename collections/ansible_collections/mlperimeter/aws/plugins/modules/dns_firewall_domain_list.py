#!/usr/bin/python

# Copyright: Contributors to the mlperimeter project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: dns_firewall_domain_list
version_added: 0.1.0
short_description: Manage a Route 53 Resolver DNS Firewall domain list and its domains
description:
  - Creates, changes or deletes one DNS Firewall domain list of your own, found by O(name) among the
    account's lists in the Region (AWS-managed lists are never touched). AWS does not keep names unique;
    when two lists share O(name) the module refuses, naming both ids.
  - Every domain is validated before any call and all bad entries are reported at once. A domain is an
    optional leading C(*) label followed by labels of letters, digits and hyphens separated by periods,
    at most 255 characters; C(*) alone matches every name.
  - Domains are compared as AWS stores them - lower case, with one trailing period (C(*) is stored as
    C(*.)) - so C(Example.COM) and C(example.com.) are the same entry.
  - Only the difference is sent, as C(ADD) and C(REMOVE) batches of at most 1,000 domains, waiting for
    the list to be C(COMPLETE) after each batch. Whole lists are never sent with C(REPLACE), which AWS
    throttles by the number of domains sent. Lists of tens of thousands of domains are expected.
    Additions are sent before removals.
author:
  - mlperimeter contributors
options:
  name:
    description:
      - The domain list's name (1 to 64 letters, digits, spaces, C(-), C(_) or C('); not only digits).
    type: str
    required: true
  state:
    description:
      - V(absent) deletes the list. A list that a rule still uses is not deleted; the module fails naming
        the rule group and rule.
    type: str
    choices: [present, absent]
    default: present
  domains:
    description:
      - Domain specifications, for example C(example.com), C(*.example.com) or C(*).
      - With O(domains_file), the two are combined.
    type: list
    elements: str
  domains_file:
    description:
      - A text file of domain specifications, one a line, read where the module runs (with
        C(ansible_connection=local), the controller). Blank lines and text after C(#) are ignored.
      - Problems are reported with their line numbers.
    type: path
  mode:
    description:
      - V(exact) makes the list exactly the given domains (an empty O(domains) empties it).
      - V(add) adds the given domains and keeps the others.
      - V(remove) removes the given domains; those not in the list are ignored.
    type: str
    choices: [exact, add, remove]
    default: exact
  wait_timeout:
    description:
      - How many seconds to wait for the list to become C(COMPLETE) after each batch, or to disappear
        after deletion.
    type: int
    default: 300
attributes:
  check_mode:
    support: full
    description: Reads the list and reports what would be added, removed, created or deleted, without any write.
  diff_mode:
    support: full
    description:
      - The list's name, domain count and tags before and after, with its domains when both sides have at most
        1,000; for bigger lists the removed domains are shown before and the added ones after (at most 1,000
        of each), with the counts.
  idempotent:
    support: full
    description: A second run with the same arguments changes nothing.
requirements:
  - botocore >= 1.34.0
notes:
  - The domains are read through C(ListFirewallDomains), 5,000 a page.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The approved names of the SageMaker VPC, exactly
  mlperimeter.aws.dns_firewall_domain_list:
    name: mlperimeter-approved
    domains:
      - "*.amazonaws.com"
      - example.com
      - "*.example.com"
    tags:
      mlperimeter:managed: "true"
      mlperimeter:control: M2

- name: Everything else, for the block-all rule
  mlperimeter.aws.dns_firewall_domain_list:
    name: mlperimeter-everything
    domains: ["*"]
    tags:
      mlperimeter:managed: "true"
      mlperimeter:control: M2

- name: A large list kept in a file, one domain a line
  mlperimeter.aws.dns_firewall_domain_list:
    name: partner-hosts
    domains_file: files/partner-hosts.txt

- name: Add two names without touching the rest
  mlperimeter.aws.dns_firewall_domain_list:
    name: partner-hosts
    mode: add
    domains: [new.partner.example, "*.new.partner.example"]

- name: Delete the list (fails while a rule uses it)
  mlperimeter.aws.dns_firewall_domain_list:
    name: partner-hosts
    state: absent
"""

RETURN = r"""
domain_list:
  description: The domain list after the task; empty after O(state=absent). In check mode, what the list would be
    (without C(id) and C(arn) when it would be created).
  returned: always
  type: dict
  contains:
    id:
      description: The list's id.
      type: str
      sample: rslvr-fdl-2c46f2ecbfec4dcc
    arn:
      description: The list's ARN.
      type: str
      sample: arn:aws:route53resolver:eu-west-1:111111111111:firewall-domain-list/rslvr-fdl-2c46f2ecbfec4dcc
    name:
      description: The list's name.
      type: str
      sample: mlperimeter-approved
    domain_count:
      description: How many domains the list holds.
      type: int
      sample: 50000
    status:
      description: C(COMPLETE) once the changes are applied.
      type: str
      sample: COMPLETE
    status_message:
      description: AWS's message for the status.
      type: str
    added:
      description: How many domains were (or would be) added.
      type: int
      sample: 500
    removed:
      description: How many domains were (or would be) removed.
      type: int
      sample: 500
    tags:
      description: The list's tags.
      type: dict
      sample: {"mlperimeter:managed": "true", "mlperimeter:control": "M2"}
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.mlperimeter.aws.plugins.module_utils import route53resolver as r53r
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule

DIFF_LIMIT = 1000


def diff_views(name, before_domains, after_count, before_tags, after_tags, to_add, to_remove, *, exists):
    """Diff before/after: whole domain lists when small, otherwise what is removed and added."""
    before = {"name": name, "domain_count": len(before_domains), "tags": before_tags} if exists else {}
    after = {"name": name, "domain_count": after_count, "tags": after_tags}
    if len(before_domains) <= DIFF_LIMIT and after_count <= DIFF_LIMIT:
        after_domains = (set(before_domains) | set(to_add)) - set(to_remove)
        if exists:
            before["domains"] = sorted(before_domains)
        after["domains"] = sorted(after_domains)
    else:
        before["removed_domains"] = to_remove[:DIFF_LIMIT]
        after["added_domains"] = to_add[:DIFF_LIMIT]
        after["added"], after["removed"] = len(to_add), len(to_remove)
    return before, after


def ensure_domain_list(client, name, tags, *, check_mode, wait_timeout):
    """The list's metadata (Get answer), its tags and whether it is new; created unless check mode."""
    found = r53r.find_domain_list(client, name)
    if found is not None:
        fdl = r53r.get_domain_list(client, found["Id"])
        if fdl["Status"] in r53r.PENDING:
            fdl = r53r.wait_domain_list(client, fdl["Id"], wait_timeout)
        return fdl, r53r.get_tags(client, fdl["Arn"]), False
    if check_mode:
        return None, {}, True
    fdl = r53r.call(client, "create_firewall_domain_list", f"create firewall domain list {name!r}",
                    CreatorRequestId=r53r.request_token(), Name=name, Tags=r53r.tag_list(tags))["FirewallDomainList"]
    return fdl, dict(tags or {}), True


def ensure_domains(client, list_id, to_add, to_remove, *, check_mode, wait_timeout):
    """ADD then REMOVE batches of at most 1,000; the number of UpdateFirewallDomains calls."""
    if check_mode:
        return 0
    calls = r53r.update_domains(client, list_id, "ADD", to_add, timeout=wait_timeout)
    return calls + r53r.update_domains(client, list_id, "REMOVE", to_remove, timeout=wait_timeout)


def ensure_present(client, name, desired, mode, tags, purge_tags, *, check_mode, wait_timeout):
    fdl, current_tags, created = ensure_domain_list(client, name, tags, check_mode=check_mode,
                                                    wait_timeout=wait_timeout)
    current = set() if created else {r53r.normalise_domain(d) for d in r53r.list_domains(client, fdl["Id"])}
    to_add, to_remove = r53r.diff_domains(current, desired, mode)
    after_tags, tags_changed = r53r.tags_after(current_tags, tags, purge_tags)
    if not created:
        r53r.ensure_tags(client, fdl["Arn"], current_tags, tags, purge_tags, check_mode=check_mode)
    changed = created or tags_changed or bool(to_add or to_remove)
    after_count = len(current) + len(to_add) - len(to_remove)
    before_view, after_view = diff_views(name, sorted(current), after_count, current_tags, after_tags, to_add,
                                         to_remove, exists=not created)
    if fdl is None:  # check mode, the list would be created
        result = {"id": None, "arn": None, "name": name, "domain_count": after_count, "status": None,
                  "tags": after_tags, "added": len(to_add), "removed": len(to_remove)}
        return dict(changed=True, domain_list=result, diff=dict(before=before_view, after=after_view))
    ensure_domains(client, fdl["Id"], to_add, to_remove, check_mode=check_mode, wait_timeout=wait_timeout)
    if not check_mode and (to_add or to_remove):
        fdl = r53r.get_domain_list(client, fdl["Id"])
    result = r53r.domain_list_result(fdl, after_tags, len(to_add), len(to_remove))
    if check_mode:
        result["domain_count"] = after_count
    return dict(changed=changed, domain_list=result, diff=dict(before=before_view, after=after_view))


def ensure_absent(client, name, *, check_mode, wait_timeout):
    found = r53r.find_domain_list(client, name)
    if found is None:
        return dict(changed=False, domain_list={}, diff=dict(before={}, after={}))
    using = r53r.rules_using_domain_list(client, found["Id"])
    if using:
        uses = "; ".join(f"rule {rule.get('Name')!r} of rule group {group['Name']!r} ({group['Id']})"
                         for group, rule in using)
        raise r53r.AnsibleRoute53ResolverError(
            message=f"Firewall domain list {name!r} ({found['Id']}) is still used by {uses}; remove those rules "
                    "first (mlperimeter.aws.dns_firewall_rule_group)"
        )
    fdl = r53r.get_domain_list(client, found["Id"])
    before = {"name": name, "domain_count": fdl.get("DomainCount", 0), "tags": r53r.get_tags(client, fdl["Arn"])}
    if not check_mode:
        if fdl["Status"] in r53r.PENDING and fdl["Status"] != "DELETING":
            r53r.wait_domain_list(client, fdl["Id"], wait_timeout)
        if fdl["Status"] != "DELETING":
            r53r.call(client, "delete_firewall_domain_list", f"delete firewall domain list {fdl['Id']}",
                      retry_conflict=True, FirewallDomainListId=fdl["Id"])
        r53r.wait_domain_list_deleted(client, fdl["Id"], wait_timeout)
    return dict(changed=True, domain_list={}, diff=dict(before=before, after={}))


def validate(params):
    """(desired normalised domains, problems), before any call."""
    problems = []
    problem = r53r.name_problem("name", params["name"])
    if problem:
        problems.append(problem)
    if params["state"] == "absent":
        return set(), problems
    file_entries = r53r.read_domains_file(params["domains_file"]) if params["domains_file"] else []
    desired, domain_problems = r53r.desired_domains(params["domains"], file_entries, params["domains_file"])
    return desired, problems + domain_problems


def do(module):
    params = module.params
    try:
        desired, problems = validate(params)
    except r53r.AnsibleRoute53ResolverError as e:
        module.fail_json(msg=e.message)
    if problems:
        shown = problems[:100]
        more = f"; and {len(problems) - 100} more (see problems)" if len(problems) > 100 else ""
        module.fail_json(msg=f"Invalid dns_firewall_domain_list arguments ({len(problems)} problems): "
                             + "; ".join(shown) + more, problems=problems)
    client = module.client(r53r.SERVICE)
    if params["state"] == "absent":
        result = ensure_absent(client, params["name"], check_mode=module.check_mode,
                               wait_timeout=params["wait_timeout"])
    else:
        result = ensure_present(client, params["name"], desired, params["mode"], params["tags"],
                                params["purge_tags"], check_mode=module.check_mode,
                                wait_timeout=params["wait_timeout"])
    if not module._diff:  # pylint: disable=protected-access
        result.pop("diff")
    module.exit_json(**result)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        domains=dict(type="list", elements="str"),
        domains_file=dict(type="path"),
        mode=dict(type="str", choices=["exact", "add", "remove"], default="exact"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
    )
    module = MLPerimeterAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[("state", "present", ("domains", "domains_file"), True)],
    )
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
