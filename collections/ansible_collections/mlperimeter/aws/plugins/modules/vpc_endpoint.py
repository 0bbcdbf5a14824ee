#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vpc_endpoint
short_description: Manage an interface or gateway VPC endpoint and keep its policy, subnets, groups and DNS in place
version_added: 0.1.0
description:
  - Creates, updates in place and deletes one interface or gateway VPC endpoint. Unlike
    M(amazon.aws.ec2_vpc_endpoint), an existing endpoint is brought to what the task asks with
    C(ModifyVpcEndpoint) - its policy, subnets, security groups, route tables and private DNS - and
    O(private_dns_enabled=false) can be set at creation.
  - The endpoint is found by O(vpc_id), O(service_name), O(vpc_endpoint_type) and the project's tags (the keys
    of O(tags) that start with C(mlperimeter:)), or by O(vpc_endpoint_id). Endpoints that are deleted, failed or
    rejected are not counted. When two endpoints match, the module refuses to guess and names them.
  - The policy is compared with the endpoint's semantically - parsed, a missing C(Version) read as
    C(2008-10-17) as IAM does, then amazon.aws C(compare_policies) - so a re-formatted or re-ordered document
    is not a change. It is sent minified, and refused before any call when it exceeds the 20,480 characters
    AWS allows.
  - Before a policy is sent, C(DescribeVpcEndpointServices) is asked whether the service offers the endpoint
    type and supports endpoint policies (C(VpcEndpointPolicySupported)); the task fails, naming the field,
    when it does not, and nothing is written.
author:
  - mlperimeter maintainers
options:
  state:
    description:
      - V(present) creates the endpoint or brings it to what the task asks; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  vpc_id:
    description: The VPC of the endpoint.
    type: str
    required: true
  service_name:
    description:
      - The endpoint service, for example C(com.amazonaws.eu-west-1.console). It must be a service of the
        Region the module connects to.
    type: str
    required: true
  vpc_endpoint_type:
    description: The kind of endpoint. AWS cannot change it on an existing endpoint.
    type: str
    choices: [Interface, Gateway]
    default: Gateway
  vpc_endpoint_id:
    description:
      - Manage this endpoint (C(vpce-...)) instead of finding it by tags, for example to adopt an endpoint the
        project did not create. It must be an endpoint of O(vpc_id) to O(service_name).
    type: str
  policy:
    description:
      - The endpoint policy (JSON text or a dictionary). It replaces the whole policy when it differs.
      - Omitted or null, the policy is left as it is (a new endpoint gets AWS's full-access default).
      - Mutually exclusive with O(reset_policy).
    type: json
  reset_policy:
    description:
      - Restore the full-access default policy when the endpoint's policy is anything else. A gateway endpoint
        is reset with C(ResetPolicy), which AWS documents for gateway endpoints; an interface endpoint is sent
        the full-access document explicitly.
    type: bool
    default: false
  subnet_ids:
    description:
      - The subnets of an interface endpoint, at most one per Availability Zone; subnets not listed are removed.
        Omitted, the subnets are left as they are (required to create an interface endpoint).
    type: list
    elements: str
  security_group_ids:
    description:
      - The security groups of an interface endpoint; groups not listed are removed. Omitted, AWS puts a new
        endpoint in the VPC's default group and an existing endpoint keeps its groups.
    type: list
    elements: str
  route_table_ids:
    description:
      - The route tables of a gateway endpoint; tables not listed lose the endpoint's route. Omitted, they are
        left as they are.
    type: list
    elements: str
  private_dns_enabled:
    description:
      - Whether the service's own DNS names resolve to an interface endpoint inside the VPC. Omitted, AWS's
        default (true) applies to a new endpoint and an existing one keeps its setting. Console Private Access
        sets it to false and resolves the console and sign-in names through private hosted zones.
    type: bool
  wait:
    description: Wait until the endpoint is C(available) after a change (or gone after O(state=absent)).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what would be created, modified, retagged or deleted without calling any write API.
  diff_mode:
    support: full
    description: Returns the endpoint before and after the change, its policy as parsed JSON.
  idempotent:
    support: full
    description: A second run with the same arguments changes nothing; a policy that differs only in layout,
      order or string-versus-list is not a change.
"""

EXAMPLES = r"""
- name: Console endpoint in the browser VPC, private DNS off, admitting the company's accounts only
  mlperimeter.aws.vpc_endpoint:
    vpc_id: vpc-0123456789abcdef0
    service_name: com.amazonaws.us-east-1.console
    vpc_endpoint_type: Interface
    subnet_ids: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]
    security_group_ids: [sg-0123456789abcdef0]
    private_dns_enabled: false
    policy: "{{ ['111111111111', '222222222222'] | mlperimeter.aws.console_endpoint_policy }}"
    tags:
      mlperimeter:managed: "true"
      mlperimeter:control: A2
      Name: mlperimeter-console
  register: console_endpoint

- name: S3 gateway endpoint on two route tables, policy from a file
  mlperimeter.aws.vpc_endpoint:
    vpc_id: vpc-0123456789abcdef0
    service_name: com.amazonaws.eu-west-1.s3
    vpc_endpoint_type: Gateway
    route_table_ids: [rtb-0123456789abcdef0, rtb-0fedcba9876543210]
    policy: "{{ lookup('ansible.builtin.file', 's3_endpoint_policy.json') }}"
    tags:
      mlperimeter:managed: "true"
      mlperimeter:control: M3

- name: Give an existing endpoint its full-access policy back
  mlperimeter.aws.vpc_endpoint:
    vpc_id: vpc-0123456789abcdef0
    service_name: com.amazonaws.eu-west-1.s3
    vpc_endpoint_id: vpce-0123456789abcdef0
    reset_policy: true

- name: Compare the live endpoint with what it should be, without changing it
  mlperimeter.aws.vpc_endpoint:
    vpc_id: vpc-0123456789abcdef0
    service_name: com.amazonaws.us-east-1.console
    vpc_endpoint_type: Interface
    policy: "{{ ['111111111111'] | mlperimeter.aws.console_endpoint_policy }}"
    tags:
      mlperimeter:managed: "true"
      mlperimeter:control: A2
    purge_tags: false
  check_mode: true
  register: drift

- name: Delete the project's console endpoint
  mlperimeter.aws.vpc_endpoint:
    vpc_id: vpc-0123456789abcdef0
    service_name: com.amazonaws.us-east-1.console
    vpc_endpoint_type: Interface
    state: absent
    tags:
      mlperimeter:managed: "true"
      mlperimeter:control: A2
"""

RETURN = r"""
vpc_endpoint:
  description: The endpoint after the task; empty after O(state=absent). In check mode, the endpoint the task
    would leave (without C(vpc_endpoint_id) when it would create one).
  returned: always
  type: dict
  contains:
    vpc_endpoint_id:
      description: The id of the endpoint.
      type: str
      sample: vpce-0123456789abcdef0
    vpc_endpoint_type:
      description: C(Interface) or C(Gateway).
      type: str
    vpc_id:
      description: The VPC.
      type: str
    service_name:
      description: The endpoint service.
      type: str
      sample: com.amazonaws.us-east-1.console
    state:
      description: The endpoint's state, in lower case.
      type: str
      sample: available
    policy_document:
      description: The endpoint policy, parsed.
      type: dict
      sample: {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*",
               "Resource": "*"}]}
    subnet_ids:
      description: Subnets of an interface endpoint, sorted.
      type: list
      elements: str
    security_group_ids:
      description: Security groups of an interface endpoint, sorted.
      type: list
      elements: str
    route_table_ids:
      description: Route tables of a gateway endpoint, sorted.
      type: list
      elements: str
    private_dns_enabled:
      description: Whether the service's DNS names resolve to the endpoint inside the VPC.
      type: bool
    dns_entries:
      description: The endpoint's DNS names and their Route 53 hosted zones, the first one Regional; targets of
        alias records.
      type: list
      elements: dict
      contains:
        dns_name:
          description: A DNS name of the endpoint.
          type: str
        hosted_zone_id:
          description: The hosted zone of that name.
          type: str
    network_interface_ids:
      description: Network interfaces of an interface endpoint.
      type: list
      elements: str
    tags:
      description: The endpoint's tags.
      type: dict
      sample: {"mlperimeter:managed": "true", "mlperimeter:control": "A2"}
"""

import uuid

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags
from ansible_collections.mlperimeter.aws.plugins.module_utils import ec2_endpoints
from ansible_collections.mlperimeter.aws.plugins.module_utils.ec2_endpoints import EndpointError
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule
from ansible_collections.mlperimeter.aws.plugins.module_utils.retries import jittered_backoff


def default_policy(endpoint_type):
    """The policy AWS gives a new endpoint, as DescribeVpcEndpoints returns it."""
    if endpoint_type == "Gateway":
        return ec2_endpoints.with_version(ec2_endpoints.FULL_ACCESS_POLICY)
    return dict(ec2_endpoints.FULL_ACCESS_POLICY)


def ensure_created(client, *, check_mode, wait, wait_timeout, vpc_id, service_name, endpoint_type, policy,
                   subnet_ids, security_group_ids, route_table_ids, private_dns_enabled, tags):
    if check_mode:
        return {
            "vpc_endpoint_id": None, "vpc_id": vpc_id, "service_name": service_name,
            "vpc_endpoint_type": endpoint_type, "state": "available",
            "policy_document": policy if policy is not None else default_policy(endpoint_type),
            "subnet_ids": sorted(subnet_ids or []), "security_group_ids": sorted(security_group_ids or []),
            "route_table_ids": sorted(route_table_ids or []),
            "private_dns_enabled": endpoint_type == "Interface" and private_dns_enabled is not False,
            "tags": tags or {},
        }
    created = ec2_endpoints.create_endpoint(
        client, vpc_id=vpc_id, service_name=service_name, endpoint_type=endpoint_type, policy=policy,
        subnet_ids=subnet_ids, security_group_ids=security_group_ids, route_table_ids=route_table_ids,
        private_dns_enabled=private_dns_enabled, tags=tags, client_token=str(uuid.uuid4()),
    )
    return read_back(client, created["VpcEndpointId"], wait=wait, wait_timeout=wait_timeout)


def read_back(client, endpoint_id, *, wait, wait_timeout):
    if wait:
        return ec2_endpoints.normalise(ec2_endpoints.wait_for(client, endpoint_id, gone=False, timeout=wait_timeout))
    return ec2_endpoints.normalise(ec2_endpoints.describe_endpoints(client, VpcEndpointIds=[endpoint_id])[0])


def ensure_tags(client, *, check_mode, endpoint_id, current, tags, purge_tags):
    if tags is None:
        return False, current
    to_set, to_unset = compare_aws_tags(current, tags, purge_tags=purge_tags)
    if not to_set and not to_unset:
        return False, current
    if not check_mode:
        if to_unset:
            ec2_endpoints.untag_endpoint(client, endpoint_id, to_unset)
        if to_set:
            ec2_endpoints.tag_endpoint(client, endpoint_id, to_set)
    after = {key: value for key, value in current.items() if key not in to_unset}
    after.update(to_set)
    return True, after


def ensure_updated(client, *, check_mode, wait, wait_timeout, current, policy, reset_policy, subnet_ids,
                   security_group_ids, route_table_ids, private_dns_enabled, tags, purge_tags):
    endpoint_id = current["vpc_endpoint_id"]
    params = ec2_endpoints.modification(
        current, policy=policy, reset_policy=reset_policy, subnet_ids=subnet_ids,
        security_group_ids=security_group_ids, route_table_ids=route_table_ids,
        private_dns_enabled=private_dns_enabled,
    )
    if params and not check_mode:
        ec2_endpoints.modify_endpoint(client, endpoint_id, params)
    tags_changed, after_tags = ensure_tags(
        client, check_mode=check_mode, endpoint_id=endpoint_id, current=current["tags"], tags=tags,
        purge_tags=purge_tags,
    )
    if not params and not tags_changed:
        return False, current
    if check_mode:
        return True, dict(ec2_endpoints.predict(current, params), tags=after_tags)
    return True, read_back(client, endpoint_id, wait=wait and bool(params), wait_timeout=wait_timeout)


def ensure_absent(client, *, check_mode, wait, wait_timeout, endpoints):
    for endpoint in endpoints:
        if not check_mode:
            ec2_endpoints.delete_endpoint(client, endpoint["VpcEndpointId"])
            if wait:
                ec2_endpoints.wait_for(client, endpoint["VpcEndpointId"], gone=True, timeout=wait_timeout)
    return bool(endpoints)


def the_one(endpoints, *, vpc_id, service_name):
    if len(endpoints) > 1:
        ids = ", ".join(sorted(e["VpcEndpointId"] for e in endpoints))
        raise EndpointError(
            message=f"vpc_endpoint_id: {len(endpoints)} endpoints of {vpc_id} to {service_name} carry the task's "
            f"mlperimeter tags ({ids}); name the one to manage"
        )
    return ec2_endpoints.normalise(endpoints[0]) if endpoints else None


def do(module):
    params = module.params
    policy = ec2_endpoints.validate(params, module.region)
    client = module.client("ec2", retry_decorator=jittered_backoff())
    endpoint_type = params["vpc_endpoint_type"]
    found = ec2_endpoints.find_endpoints(
        client, vpc_id=params["vpc_id"], service_name=params["service_name"], endpoint_type=endpoint_type,
        match_tags=ec2_endpoints.project_tags(params["tags"]), endpoint_id=params["vpc_endpoint_id"],
    )
    wait = dict(wait=params["wait"], wait_timeout=params["wait_timeout"])

    if params["state"] == "absent":
        before = the_one(found, vpc_id=params["vpc_id"], service_name=params["service_name"])
        changed = ensure_absent(client, check_mode=module.check_mode, endpoints=found, **wait)
        after = None
    else:
        before = the_one(found, vpc_id=params["vpc_id"], service_name=params["service_name"])
        if before is not None and before["vpc_endpoint_type"] != endpoint_type:
            raise EndpointError(
                message=f"vpc_endpoint_type: {before['vpc_endpoint_id']} is a {before['vpc_endpoint_type']} endpoint; "
                f"AWS cannot make it {endpoint_type}"
            )
        # An endpoint of this type to the service proves the service offers it; what the service takes is read
        # only when an endpoint is to be created or given a policy.
        if before is None or (policy is not None and ec2_endpoints.policies_differ(before["policy_document"], policy)):
            details = ec2_endpoints.describe_service(client, params["service_name"])
            ec2_endpoints.check_service(details, service_name=params["service_name"], endpoint_type=endpoint_type,
                                        region=module.region, policy=policy)
        if before is None:
            if endpoint_type == "Interface" and not params["subnet_ids"]:
                raise EndpointError(message="subnet_ids: required to create an Interface endpoint")
            changed = True
            after = ensure_created(
                client, check_mode=module.check_mode, vpc_id=params["vpc_id"], service_name=params["service_name"],
                endpoint_type=endpoint_type, policy=policy, subnet_ids=params["subnet_ids"],
                security_group_ids=params["security_group_ids"], route_table_ids=params["route_table_ids"],
                private_dns_enabled=params["private_dns_enabled"], tags=params["tags"], **wait,
            )
        else:
            changed, after = ensure_updated(
                client, check_mode=module.check_mode, current=before, policy=policy,
                reset_policy=params["reset_policy"], subnet_ids=params["subnet_ids"],
                security_group_ids=params["security_group_ids"], route_table_ids=params["route_table_ids"],
                private_dns_enabled=params["private_dns_enabled"], tags=params["tags"],
                purge_tags=params["purge_tags"], **wait,
            )
    result = {"changed": changed, "vpc_endpoint": after or {}}
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": before or {}, "after": after or {}}
    module.exit_json(**result)


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        vpc_id=dict(type="str", required=True),
        service_name=dict(type="str", required=True),
        vpc_endpoint_type=dict(type="str", choices=ec2_endpoints.ENDPOINT_TYPES, default="Gateway"),
        vpc_endpoint_id=dict(type="str"),
        policy=dict(type="json"),
        reset_policy=dict(type="bool", default=False),
        subnet_ids=dict(type="list", elements="str"),
        security_group_ids=dict(type="list", elements="str"),
        route_table_ids=dict(type="list", elements="str"),
        private_dns_enabled=dict(type="bool"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
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
