#!/usr/bin/python

# Copyright: Contributors to the mlperimeter project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sagemaker_domain_info
version_added: 0.1.0
short_description: Read SageMaker AI Studio domains
description:
  - Lists the SageMaker AI (Studio) domains of this account and Region, or those named O(name), each as
    C(DescribeDomain) gives it, with its tags and the host of its Studio URL.
author:
  - mlperimeter contributors
options:
  name:
    description:
      - Only the domains with this name (AWS does not keep names unique, so this can be more than one).
        Left out, every domain.
    type: str
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to compare.
  idempotent:
    support: full
    description: Reads only.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The perimeter's Studio domain
  mlperimeter.aws.sagemaker_domain_info:
    name: mlperimeter
  register: found

- name: Every Studio host of the account, for the browser's allowlist
  ansible.builtin.debug:
    msg: "{{ found.domains | map(attribute='studio_host') | list }}"
"""

RETURN = r"""
domains:
  description: The domains, sorted by name and id, each as C(DescribeDomain) gives it in snake_case.
  returned: always
  type: list
  elements: dict
  contains:
    domain_id:
      description: The domain's id.
      type: str
      sample: d-a1b2c3d4e5f6
    domain_arn:
      description: The domain's ARN.
      type: str
    domain_name:
      description: The domain's name.
      type: str
    url:
      description: The Studio URL.
      type: str
      sample: https://d-a1b2c3d4e5f6.studio.us-east-1.sagemaker.aws
    studio_host:
      description: The host of the Studio URL.
      type: str
      sample: d-a1b2c3d4e5f6.studio.us-east-1.sagemaker.aws
    status:
      description: The domain's status.
      type: str
      sample: InService
    app_network_access_type:
      description: C(VpcOnly) or C(PublicInternetOnly).
      type: str
    auth_mode:
      description: C(IAM) or C(SSO).
      type: str
    vpc_id:
      description: The domain's VPC.
      type: str
    subnet_ids:
      description: The domain's subnets.
      type: list
      elements: str
    default_user_settings:
      description: The default user settings, in snake_case.
      type: dict
    tags:
      description: The domain's tags.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.mlperimeter.aws.plugins.module_utils import sagemaker as sm
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule


def list_domains(client, name):
    """Every domain (named ``name`` when given), described, with tags; one deleted meanwhile is left out."""
    summaries = [d for d in sm.list_domains(client) if name is None or d.get("DomainName") == name]
    found = []
    for summary in sorted(summaries, key=lambda d: (d.get("DomainName", ""), d["DomainId"])):
        domain = sm.describe_domain(client, summary["DomainId"])
        if domain is not None:
            found.append(sm.domain_result(domain, sm.get_tags(client, domain["DomainArn"])))
    return found


def do(module):
    name = module.params["name"]
    if name is not None and not sm.NAME.fullmatch(name):
        module.fail_json(msg=f"Invalid sagemaker_domain_info arguments: name: {name!r} must be 1 to 63 letters, "
                             "digits and hyphens, beginning and ending with a letter or digit")
    client = module.client(sm.SERVICE)
    module.exit_json(changed=False, domains=list_domains(client, name))


def main():
    module = MLPerimeterAWSModule(argument_spec=dict(name=dict(type="str")), supports_check_mode=True)
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
