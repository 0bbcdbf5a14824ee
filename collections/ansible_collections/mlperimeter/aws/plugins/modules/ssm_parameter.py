#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ssm_parameter
short_description: Keep a plain-text SSM parameter of the perimeter, read in three calls
version_added: 0.1.0
description:
  - Creates, updates or deletes a C(String) or C(StringList) parameter of Systems Manager Parameter Store, with
    its description and tags. The perimeter publishes what other accounts must know (its egress IPs, the
    browser VPC, the account registry) this way; none of it is secret, so C(SecureString) is not offered.
  - A run that changes nothing makes three reads, the value (C(GetParameter)), the description
    (C(DescribeParameters)) and the tags (C(ListTagsForResource)), and no write.
  - A changed value, type or description is written as a new version of the parameter with one
    C(PutParameter); tags are added and never removed.
  - Bad input is refused, naming the field and the value, before any call to AWS.
author:
  - mlperimeter maintainers
options:
  name:
    description:
      - The parameter's full name, a path beginning with C(/).
    type: str
    required: true
  value:
    description:
      - The value; for O(string_type=StringList), values separated by commas. Required when O(state=present).
    type: str
  string_type:
    description:
      - The parameter's type.
    type: str
    choices: [String, StringList]
    default: String
  description:
    description:
      - The parameter's description (up to 1,024 characters).
    type: str
    default: ""
  tags:
    description:
      - Tags to add to the parameter. Tags it already has are kept.
    type: dict
    default: {}
  state:
    description:
      - V(present) keeps the parameter; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what would change without writing anything.
  diff_mode:
    support: full
    description: Shows the value, type, description and tags before and after.
  idempotent:
    support: full
    description: A parameter with the given value, type, description and tags is left alone.
"""

EXAMPLES = r"""
- name: Publish the egress IPs for the ML accounts
  mlperimeter.aws.ssm_parameter:
    name: /mlperimeter/perimeter/egress-ips
    string_type: StringList
    value: 203.0.113.10,203.0.113.11
    description: The Secure Browser's egress IPs (NAT gateway Elastic IPs)
    tags:
      "mlperimeter:managed": "true"

- name: Remove it
  mlperimeter.aws.ssm_parameter:
    name: /mlperimeter/perimeter/egress-ips
    state: absent
"""

RETURN = r"""
parameter:
  description: The parameter after the task; empty after O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: The parameter's name.
      type: str
    value:
      description: Its value.
      type: str
    type:
      description: Its type.
      type: str
    description:
      description: Its description.
      type: str
    version:
      description: Its version; absent in check mode when the task would write a new one.
      type: int
    tags:
      description: Its tags.
      type: dict
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule
from ansible_collections.mlperimeter.aws.plugins.module_utils.service_calls import ServiceCalls

# Parameter Store's rules for a name given as a path: letters, digits and .-_/ only, at most 15 levels.
NAME = re.compile(r"^(/[a-zA-Z0-9_.-]+){1,15}$")
MAX_NAME = 1011
MAX_VALUE = 4096
MAX_DESCRIPTION = 1024
NOT_FOUND_CODES = ["ParameterNotFound"]


class SSMParameterError(AnsibleAWSError):
    pass


class SSMParameterErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = SSMParameterError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(NOT_FOUND_CODES)


ssm_calls = ServiceCalls(SSMParameterErrorHandler)


def validate(params):
    """A message naming the field and the value for the first bad input, or None."""
    name = params["name"]
    if len(name) > MAX_NAME or not NAME.match(name) or name.lower().startswith(("/aws", "/ssm")):
        return (f"name: {name!r} is not a parameter path (/a/b, of letters, digits and .-_, not under /aws or "
                "/ssm)")
    if params["state"] == "present":
        value = params["value"]
        if value is None or value == "":
            return f"value: {value!r}; a parameter needs a value"
        if len(value.encode()) > MAX_VALUE:
            return f"value: {len(value.encode())} bytes, over the {MAX_VALUE} of a standard parameter"
    if len(params["description"]) > MAX_DESCRIPTION:
        return f"description: {len(params['description'])} characters, over {MAX_DESCRIPTION}"
    return None


def read_parameter(client, name):
    """The parameter's value, type, version, description and tags, or None."""
    found = ssm_calls.get_or_none(client, "get_parameter", f"get parameter {name}", Name=name)
    if found is None:
        return None
    parameter = found["Parameter"]
    described = ssm_calls.paginate(client, "describe_parameters", "Parameters", f"describe parameter {name}",
                                   ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [name]}])
    tags = ssm_calls.call(client, "list_tags_for_resource", f"list the tags of {name}", ResourceType="Parameter",
                          ResourceId=name)["TagList"]
    return {"name": name, "value": parameter["Value"], "type": parameter["Type"], "version": parameter["Version"],
            "description": described[0].get("Description", "") if described else "",
            "tags": boto3_tag_list_to_ansible_dict(tags)}


def view(parameter):
    return {key: parameter[key] for key in ("value", "type", "description", "tags")} if parameter else {}


def do(module):
    params = module.params
    problem = validate(params)
    if problem:
        module.fail_json(msg=problem)
    name = params["name"]
    tags = {key: str(value) for key, value in params["tags"].items()}
    client = module.client("ssm")
    before = read_parameter(client, name)

    if params["state"] == "absent":
        if before is not None and not module.check_mode:
            ssm_calls.call(client, "delete_parameter", f"delete parameter {name}", Name=name)
        module.exit_json(changed=before is not None, parameter={},
                         diff={"before": view(before), "after": {}})

    wanted = {"value": params["value"], "type": params["string_type"], "description": params["description"]}
    current_tags = before["tags"] if before else {}
    tags_to_add = {key: value for key, value in tags.items() if current_tags.get(key) != value}
    rewrite = before is None or any(before[key] != value for key, value in wanted.items())
    after = dict(before or {"name": name}, **wanted, tags=dict(current_tags, **tags))
    if rewrite:
        after.pop("version", None)
    if not module.check_mode:
        if before is None:
            after["version"] = ssm_calls.call(
                client, "put_parameter", f"create parameter {name}", Name=name, Value=wanted["value"],
                Type=wanted["type"], Description=wanted["description"],
                Tags=ansible_dict_to_boto3_tag_list(tags))["Version"]
        else:
            if rewrite:
                after["version"] = ssm_calls.call(
                    client, "put_parameter", f"update parameter {name}", Name=name, Value=wanted["value"],
                    Type=wanted["type"], Description=wanted["description"], Overwrite=True)["Version"]
            if tags_to_add:
                ssm_calls.call(client, "add_tags_to_resource", f"tag parameter {name}", ResourceType="Parameter",
                               ResourceId=name, Tags=ansible_dict_to_boto3_tag_list(tags_to_add))
    module.exit_json(changed=rewrite or bool(tags_to_add), parameter=after,
                     diff={"before": view(before), "after": view(after)})


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        value=dict(type="str"),
        string_type=dict(type="str", choices=["String", "StringList"], default="String"),
        description=dict(type="str", default=""),
        tags=dict(type="dict", default={}),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = MLPerimeterAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
