# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: ssm_parameters
short_description: SSM parameters under a path, or one by name, read with retries
version_added: 0.1.0
description:
  - Reads the Systems Manager parameters the perimeter publishes (the access account's perimeter facts, the
    account registry). With O(bypath=true) (the default), returns for each term, a path, a dict of every
    parameter under it at any depth, keyed by the last part of its name; an empty dict when there is none.
    With O(bypath=false), returns for each term, a parameter name, its value, or null when it does not exist.
  - Throttled and failed (5xx) calls are retried with jittered backoff, paged listings included (the
    C(amazon.aws.ssm_parameter) lookup retries neither). Any other error fails the lookup, naming the path or
    parameter and the error.
author:
  - mlperimeter maintainers
options:
  _terms:
    description: SSM paths (O(bypath=true)) or parameter names (O(bypath=false)), each starting with C(/).
    required: true
    type: list
    elements: str
  bypath:
    description: Whether the terms are paths whose parameters are read, or names of single parameters.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
"""

EXAMPLES = r"""
- name: Read the perimeter facts the access account publishes
  ansible.builtin.set_fact:
    published: "{{ lookup('mlperimeter.aws.ssm_parameters', '/mlperimeter/access', region='us-east-1') }}"

- name: Read one account's registry entry, null when it has none
  ansible.builtin.set_fact:
    entry: >-
      {{ lookup('mlperimeter.aws.ssm_parameters', '/mlperimeter/registry/accounts/222222222222', bypath=false)
         | default('{}', true) | from_json }}
"""

RETURN = r"""
_raw:
  description:
    - With O(bypath=true), one dict per path, from the last part of each parameter's name to its value.
    - With O(bypath=false), one value per name, null for a parameter that does not exist.
  type: list
  elements: raw
"""

from ansible.errors import AnsibleLookupError
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.plugin_utils.lookup import AWSLookupBase
from ansible_collections.mlperimeter.aws.plugins.module_utils.retries import jittered_backoff
from botocore.exceptions import BotoCoreError, ClientError


@jittered_backoff()
def parameters_under(client, path):
    pages = client.get_paginator("get_parameters_by_path").paginate(Path=path, Recursive=True)
    return {p["Name"].rsplit("/", 1)[-1]: p["Value"] for p in pages.build_full_result()["Parameters"]}


@jittered_backoff()
def parameter_value(client, name):
    try:
        return client.get_parameter(Name=name)["Parameter"]["Value"]
    except is_boto3_error_code("ParameterNotFound"):
        return None


class LookupModule(AWSLookupBase):
    def run(self, terms, variables=None, **kwargs):
        super().run(terms, variables, **kwargs)
        bypath = self.get_option("bypath")
        for term in terms:
            if not isinstance(term, str) or not term.startswith("/"):
                raise AnsibleLookupError(f"ssm_parameters: each term must be an SSM {'path' if bypath else 'name'} "
                                         f"starting with '/'; got {term!r}")
        client = self.client("ssm")
        answers = []
        for term in terms:
            try:
                answers.append(parameters_under(client, term) if bypath else parameter_value(client, term))
            except (BotoCoreError, ClientError) as error:
                what = f"the SSM parameters under {term}" if bypath else f"the SSM parameter {term}"
                raise AnsibleLookupError(f"cannot read {what} in {self.region}: {error}") from error
        return answers
