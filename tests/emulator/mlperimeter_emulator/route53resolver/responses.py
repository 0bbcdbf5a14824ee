"""Route 53 Resolver requests: moto's resolver operations plus DNS Firewall.

Requests are dispatched by ``X-Amz-Target`` (``Route53Resolver.<Operation>`` calls the method
of the same name in snake case), as in moto. DNS Firewall requests are first checked against
the limits of botocore's model that the SDK does not enforce (maximums, enums, patterns).
"""

import json

from moto.route53resolver.responses import Route53ResolverResponse as MotoRoute53ResolverResponse

from .models import route53resolver_backends
from .validations import validate_input


class Route53ResolverResponse(MotoRoute53ResolverResponse):
    @property
    def route53resolver_backend(self):
        return route53resolver_backends[self.current_account][self.region]

    def _params(self):
        """The request's parameters, checked against the operation's model."""
        params = json.loads(self.body or "{}")
        validate_input(self._get_action(), params)
        return params

    # -- domain lists -----------------------------------------------------------------------

    def create_firewall_domain_list(self):
        params = self._params()
        fdl = self.route53resolver_backend.create_firewall_domain_list(
            creator_request_id=params["CreatorRequestId"], name=params["Name"], tags=params.get("Tags")
        )
        return json.dumps({"FirewallDomainList": fdl.description()})

    def get_firewall_domain_list(self):
        params = self._params()
        fdl = self.route53resolver_backend.get_firewall_domain_list(params["FirewallDomainListId"])
        return json.dumps({"FirewallDomainList": fdl.description()})

    def list_firewall_domain_lists(self):
        params = self._params()
        lists, next_token = self.route53resolver_backend.list_firewall_domain_lists(
            next_token=params.get("NextToken"), max_results=params.get("MaxResults")
        )
        return json.dumps(_with_token({"FirewallDomainLists": [fdl.metadata() for fdl in lists]}, next_token))

    def delete_firewall_domain_list(self):
        params = self._params()
        fdl = self.route53resolver_backend.delete_firewall_domain_list(params["FirewallDomainListId"])
        return json.dumps({"FirewallDomainList": fdl.description()})

    def update_firewall_domains(self):
        params = self._params()
        fdl = self.route53resolver_backend.update_firewall_domains(
            params["FirewallDomainListId"], params["Operation"], params["Domains"]
        )
        return json.dumps(fdl.summary())

    def import_firewall_domains(self):
        params = self._params()
        fdl = self.route53resolver_backend.import_firewall_domains(
            params["FirewallDomainListId"], params["Operation"], params["DomainFileUrl"]
        )
        return json.dumps(fdl.summary())

    def list_firewall_domains(self):
        params = self._params()
        domains, next_token = self.route53resolver_backend.list_firewall_domains(
            params["FirewallDomainListId"], next_token=params.get("NextToken"), max_results=params.get("MaxResults")
        )
        return json.dumps(_with_token({"Domains": domains}, next_token))

    # -- rule groups ------------------------------------------------------------------------

    def create_firewall_rule_group(self):
        params = self._params()
        group = self.route53resolver_backend.create_firewall_rule_group(
            creator_request_id=params["CreatorRequestId"], name=params["Name"], tags=params.get("Tags")
        )
        return json.dumps({"FirewallRuleGroup": group.description()})

    def get_firewall_rule_group(self):
        params = self._params()
        group = self.route53resolver_backend.get_firewall_rule_group(params["FirewallRuleGroupId"])
        return json.dumps({"FirewallRuleGroup": group.description()})

    def list_firewall_rule_groups(self):
        params = self._params()
        groups, next_token = self.route53resolver_backend.list_firewall_rule_groups(
            next_token=params.get("NextToken"), max_results=params.get("MaxResults")
        )
        return json.dumps(_with_token({"FirewallRuleGroups": [group.metadata() for group in groups]}, next_token))

    def delete_firewall_rule_group(self):
        params = self._params()
        group = self.route53resolver_backend.delete_firewall_rule_group(params["FirewallRuleGroupId"])
        return json.dumps({"FirewallRuleGroup": group.description()})

    def put_firewall_rule_group_policy(self):
        params = self._params()
        done = self.route53resolver_backend.put_firewall_rule_group_policy(
            params["Arn"], params["FirewallRuleGroupPolicy"]
        )
        return json.dumps({"ReturnValue": done})

    def get_firewall_rule_group_policy(self):
        params = self._params()
        policy = self.route53resolver_backend.get_firewall_rule_group_policy(params["Arn"])
        return json.dumps({} if policy is None else {"FirewallRuleGroupPolicy": policy})

    # -- rules ------------------------------------------------------------------------------

    def create_firewall_rule(self):
        rule = self.route53resolver_backend.create_firewall_rule(self._params())
        return json.dumps({"FirewallRule": rule.description()})

    def update_firewall_rule(self):
        rule = self.route53resolver_backend.update_firewall_rule(self._params())
        return json.dumps({"FirewallRule": rule.description()})

    def delete_firewall_rule(self):
        rule = self.route53resolver_backend.delete_firewall_rule(self._params())
        return json.dumps({"FirewallRule": rule.description()})

    def list_firewall_rules(self):
        params = self._params()
        rules, next_token = self.route53resolver_backend.list_firewall_rules(
            params["FirewallRuleGroupId"],
            priority=params.get("Priority"),
            action=params.get("Action"),
            next_token=params.get("NextToken"),
            max_results=params.get("MaxResults"),
        )
        return json.dumps(_with_token({"FirewallRules": [rule.description() for rule in rules]}, next_token))

    def batch_create_firewall_rule(self):
        params = self._params()
        created, errors = self.route53resolver_backend.batch_create_firewall_rule(params["CreateFirewallRuleEntries"])
        return json.dumps({
            "CreatedFirewallRules": [rule.description() for rule in created],
            "CreateErrors": errors,
        })

    def batch_update_firewall_rule(self):
        params = self._params()
        updated, errors = self.route53resolver_backend.batch_update_firewall_rule(params["UpdateFirewallRuleEntries"])
        return json.dumps({
            "UpdatedFirewallRules": [rule.description() for rule in updated],
            "UpdateErrors": errors,
        })

    def batch_delete_firewall_rule(self):
        params = self._params()
        deleted, errors = self.route53resolver_backend.batch_delete_firewall_rule(params["DeleteFirewallRuleEntries"])
        return json.dumps({
            "DeletedFirewallRules": [rule.description() for rule in deleted],
            "DeleteErrors": errors,
        })

    # -- rule group associations ------------------------------------------------------------

    def associate_firewall_rule_group(self):
        params = self._params()
        association = self.route53resolver_backend.associate_firewall_rule_group(
            creator_request_id=params["CreatorRequestId"],
            group_id=params["FirewallRuleGroupId"],
            vpc_id=params["VpcId"],
            priority=params["Priority"],
            name=params["Name"],
            mutation_protection=params.get("MutationProtection"),
            tags=params.get("Tags"),
        )
        return json.dumps({"FirewallRuleGroupAssociation": association.description()})

    def update_firewall_rule_group_association(self):
        params = self._params()
        association = self.route53resolver_backend.update_firewall_rule_group_association(
            params["FirewallRuleGroupAssociationId"],
            priority=params.get("Priority"),
            mutation_protection=params.get("MutationProtection"),
            name=params.get("Name"),
        )
        return json.dumps({"FirewallRuleGroupAssociation": association.description()})

    def disassociate_firewall_rule_group(self):
        params = self._params()
        association = self.route53resolver_backend.disassociate_firewall_rule_group(
            params["FirewallRuleGroupAssociationId"]
        )
        return json.dumps({"FirewallRuleGroupAssociation": association.description()})

    def get_firewall_rule_group_association(self):
        params = self._params()
        association = self.route53resolver_backend.get_firewall_rule_group_association(
            params["FirewallRuleGroupAssociationId"]
        )
        return json.dumps({"FirewallRuleGroupAssociation": association.description()})

    def list_firewall_rule_group_associations(self):
        params = self._params()
        associations, next_token = self.route53resolver_backend.list_firewall_rule_group_associations(
            group_id=params.get("FirewallRuleGroupId"),
            vpc_id=params.get("VpcId"),
            priority=params.get("Priority"),
            status=params.get("Status"),
            next_token=params.get("NextToken"),
            max_results=params.get("MaxResults"),
        )
        answer = {"FirewallRuleGroupAssociations": [association.description() for association in associations]}
        return json.dumps(_with_token(answer, next_token))

    # -- firewall configs -------------------------------------------------------------------

    def get_firewall_config(self):
        params = self._params()
        config = self.route53resolver_backend.get_firewall_config(params["ResourceId"])
        return json.dumps({"FirewallConfig": config.description()})

    def update_firewall_config(self):
        params = self._params()
        config = self.route53resolver_backend.update_firewall_config(params["ResourceId"], params["FirewallFailOpen"])
        return json.dumps({"FirewallConfig": config.description()})

    def list_firewall_configs(self):
        params = self._params()
        configs, next_token = self.route53resolver_backend.list_firewall_configs(
            next_token=params.get("NextToken"), max_results=params.get("MaxResults")
        )
        return json.dumps(_with_token({"FirewallConfigs": [config.description() for config in configs]}, next_token))

    # -- query logging (moto lacks these two) -----------------------------------------------

    def delete_resolver_query_log_config(self):
        config = self.route53resolver_backend.delete_resolver_query_log_config(
            self._get_param("ResolverQueryLogConfigId")
        )
        return json.dumps({"ResolverQueryLogConfig": config.description()})

    def disassociate_resolver_query_log_config(self):
        association = self.route53resolver_backend.disassociate_resolver_query_log_config(
            self._get_param("ResolverQueryLogConfigId"), self._get_param("ResourceId")
        )
        return json.dumps({"ResolverQueryLogConfigAssociation": association.description()})


def _with_token(answer, next_token):
    if next_token:
        answer["NextToken"] = next_token
    return answer
