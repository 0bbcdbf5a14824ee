#!/usr/bin/python

# Copyright: Contributors to the mlperimeter project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: resolver_query_logging
version_added: 0.1.0
short_description: Manage a Route 53 Resolver query logging configuration and the VPCs it logs
description:
  - Creates or deletes one Resolver query logging configuration, found by O(name), and associates it with the
    VPCs in O(vpc_ids). The query logs of a VPC with DNS Firewall record the rule group, action and domain list
    of every C(BLOCK) and C(ALERT) match.
  - AWS does not keep names unique; when two configurations share O(name) the module refuses, naming both ids.
  - A configuration's destination cannot be changed. A task that gives another O(destination_arn) for an
    existing configuration is refused; remove it with O(state=absent) first, or use another name.
  - With O(state=absent) the VPCs are disassociated, then the configuration is deleted.
author:
  - mlperimeter contributors
options:
  name:
    description: The configuration's name (1 to 64 letters, digits, spaces, C(-), C(_) or C('); not only digits).
    type: str
    required: true
  state:
    description: Whether the configuration should exist.
    type: str
    choices: [present, absent]
    default: present
  destination_arn:
    description:
      - Where the logs go - a CloudWatch Logs log group, an S3 bucket (optionally with a prefix) or a Kinesis Data
        Firehose delivery stream, by ARN. Required with O(state=present).
    type: str
  vpc_ids:
    description:
      - The VPCs whose queries are logged to this configuration. Left out, the associations are not changed.
    type: list
    elements: str
  purge_vpc_ids:
    description: Disassociate VPCs that O(vpc_ids) does not list.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Reads only and reports what would be created, associated, disassociated or deleted.
  diff_mode:
    support: full
    description: The configuration's name, destination, VPCs and tags before and after.
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
- name: Log the SageMaker VPC's DNS queries to CloudWatch Logs
  mlperimeter.aws.resolver_query_logging:
    name: mlperimeter-dns
    destination_arn: arn:aws:logs:eu-west-1:111111111111:log-group:/mlperimeter/dns-queries
    vpc_ids: [vpc-0123456789abcdef0]
    tags:
      mlperimeter:managed: "true"
      mlperimeter:control: M2

- name: Stop logging and delete the configuration
  mlperimeter.aws.resolver_query_logging:
    name: mlperimeter-dns
    state: absent
"""

RETURN = r"""
query_log_config:
  description: The configuration after the task; empty after O(state=absent). In check mode, what it would be
    (without C(id) and C(arn) when it would be created).
  returned: always
  type: dict
  contains:
    id:
      description: The configuration's id.
      type: str
      sample: rslvr-qlc-0123456789abcdef0
    arn:
      description: The configuration's ARN.
      type: str
    name:
      description: The configuration's name.
      type: str
    destination_arn:
      description: Where the logs go.
      type: str
    status:
      description: The configuration's status (C(CREATED) once usable).
      type: str
    vpc_ids:
      description: The VPCs associated with the configuration, sorted.
      type: list
      elements: str
    tags:
      description: The configuration's tags.
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

GONE = ("DELETING", "FAILED")


def associated_vpcs(client, config_id):
    return sorted({a["ResourceId"] for a in r53r.list_query_log_associations(client, config_id)
                   if a.get("Status") not in GONE})


def view(name, destination, vpc_ids, tags):
    return {"name": name, "destination_arn": destination, "vpc_ids": sorted(vpc_ids), "tags": tags}


def ensure_associations(client, config_id, current, desired, purge, *, check_mode):
    """Associate and disassociate VPCs; the VPCs after, and the steps as text."""
    if desired is None:
        return current, []
    to_add = sorted(set(desired) - set(current))
    to_remove = sorted(set(current) - set(desired)) if purge else []
    steps = [f"associate {vpc}" for vpc in to_add] + [f"disassociate {vpc}" for vpc in to_remove]
    if not check_mode:
        for vpc in to_add:
            r53r.call(client, "associate_resolver_query_log_config", f"associate {config_id} with {vpc}",
                      ResolverQueryLogConfigId=config_id, ResourceId=vpc)
        for vpc in to_remove:
            r53r.call(client, "disassociate_resolver_query_log_config", f"disassociate {config_id} from {vpc}",
                      ResolverQueryLogConfigId=config_id, ResourceId=vpc)
    return sorted((set(current) | set(to_add)) - set(to_remove)), steps


def ensure_present(client, name, destination, vpc_ids, purge_vpc_ids, tags, purge_tags, *, check_mode):
    config = r53r.find_query_log_config(client, name)
    if config and r53r.normalise_destination(config["DestinationArn"]) != r53r.normalise_destination(destination):
        raise r53r.AnsibleRoute53ResolverError(
            message=f"destination_arn: query log config {name!r} ({config['Id']}) sends its logs to "
                    f"{config['DestinationArn']}, and AWS cannot change a destination; remove it with state: absent "
                    f"first or use another name (asked for {destination})"
        )
    steps = []
    if config is None:
        current_vpcs, current_tags, before = [], {}, {}
        steps.append("create query log config")
        if not check_mode:
            config = r53r.call(client, "create_resolver_query_log_config", f"create query log config {name!r}",
                               Name=name, DestinationArn=destination, CreatorRequestId=r53r.request_token(),
                               Tags=r53r.tag_list(tags))["ResolverQueryLogConfig"]
    else:
        current_vpcs = associated_vpcs(client, config["Id"])
        current_tags = r53r.get_tags(client, config["Arn"])
        before = view(name, config["DestinationArn"], current_vpcs, current_tags)
        if r53r.ensure_tags(client, config["Arn"], current_tags, tags, purge_tags, check_mode=check_mode):
            steps.append("update tags")
    after_tags = r53r.tags_after(current_tags, tags, purge_tags)[0]
    vpcs_after, vpc_steps = ensure_associations(client, config["Id"] if config else None, current_vpcs, vpc_ids,
                                                purge_vpc_ids, check_mode=check_mode)
    steps += vpc_steps
    after = view(name, config["DestinationArn"] if config else destination, vpcs_after, after_tags)
    if config is None:
        result = {"id": None, "arn": None, "name": name, "destination_arn": destination, "status": None}
    elif steps and not check_mode:
        result = camel_dict_to_snake_dict(r53r.call(client, "get_resolver_query_log_config",
                                                    f"get query log config {config['Id']}",
                                                    ResolverQueryLogConfigId=config["Id"])["ResolverQueryLogConfig"])
    else:
        result = camel_dict_to_snake_dict(config)
    result.update(vpc_ids=vpcs_after, tags=after_tags)
    return dict(changed=bool(steps), changes=steps, query_log_config=result, diff=dict(before=before, after=after))


def ensure_absent(client, name, *, check_mode):
    config = r53r.find_query_log_config(client, name)
    if config is None:
        return dict(changed=False, changes=[], query_log_config={}, diff=dict(before={}, after={}))
    vpcs = associated_vpcs(client, config["Id"])
    before = view(name, config["DestinationArn"], vpcs, r53r.get_tags(client, config["Arn"]))
    ensure_associations(client, config["Id"], vpcs, [], True, check_mode=check_mode)
    if not check_mode:
        r53r.call(client, "delete_resolver_query_log_config", f"delete query log config {config['Id']}",
                  ResolverQueryLogConfigId=config["Id"])
    steps = [f"disassociate {vpc}" for vpc in vpcs] + ["delete query log config"]
    return dict(changed=True, changes=steps, query_log_config={}, diff=dict(before=before, after={}))


def validate(params):
    problems = []
    if not r53r.QUERY_LOG_NAME.fullmatch(params["name"] or ""):
        problems.append(f"name: {params['name']!r} must be 1 to 64 letters, digits, spaces, -, _ or ' and not only "
                        "digits")
    if params["state"] == "present":
        problem = r53r.destination_problem(params["destination_arn"])
        if problem:
            problems.append(problem)
    for index, vpc in enumerate(params["vpc_ids"] or []):
        problem = r53r.vpc_problem(f"vpc_ids[{index}]", vpc)
        if problem:
            problems.append(problem)
    return problems


def do(module):
    params = module.params
    problems = validate(params)
    if problems:
        module.fail_json(msg="Invalid resolver_query_logging arguments: " + "; ".join(problems), problems=problems)
    client = module.client(r53r.SERVICE)
    if params["state"] == "absent":
        result = ensure_absent(client, params["name"], check_mode=module.check_mode)
    else:
        result = ensure_present(client, params["name"], params["destination_arn"], params["vpc_ids"],
                                params["purge_vpc_ids"], params["tags"], params["purge_tags"],
                                check_mode=module.check_mode)
    if not module._diff:  # pylint: disable=protected-access
        result.pop("diff")
    module.exit_json(**result)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        destination_arn=dict(type="str"),
        vpc_ids=dict(type="list", elements="str"),
        purge_vpc_ids=dict(type="bool", default=True),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = MLPerimeterAWSModule(argument_spec=argument_spec, supports_check_mode=True,
                                  required_if=[("state", "present", ("destination_arn",))])
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
