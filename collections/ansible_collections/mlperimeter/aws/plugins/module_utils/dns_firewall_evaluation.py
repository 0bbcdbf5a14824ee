"""Route 53 Resolver DNS Firewall's decision for one query, replayed from the VPC's configuration.

AWS's order: the VPC's rule group associations by priority (lowest first), the rules of each group
by priority; the first rule whose domain list and query type match decides and ends evaluation,
whatever its action (ALERT lets the query resolve and only logs it). A query no rule matches
resolves. Every name of a CNAME/DNAME chain is evaluated unless the deciding rule trusts
redirection (``TRUST_REDIRECTION_DOMAIN``). When DNS Firewall gives no answer the VPC's firewall
config decides: fail closed answers SERVFAIL, fail open resolves unevaluated; a VPC without
associations is not filtered at all.

Domain entries: ``*`` (stored ``*.``) matches every name, ``*.example.com`` every name below
``example.com`` but not ``example.com`` itself, anything else exactly that name; case and one
trailing dot do not count. Rules without a domain list (DNS Firewall Advanced) match by inference,
so they are left out: the evaluation never counts on them to block.
"""

from dataclasses import dataclass

ALLOW = "ALLOW"
ALERT = "ALERT"
BLOCK = "BLOCK"
TRUST_REDIRECTION = "TRUST_REDIRECTION_DOMAIN"
INSPECT_REDIRECTION = "INSPECT_REDIRECTION_DOMAIN"

# Query type mnemonics DNS Firewall accepts, with their numbers, so that TYPE28 and AAAA are one type.
QUERY_TYPE_CODES = {
    "A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28, "SRV": 33,
    "NAPTR": 35, "DS": 43, "SPF": 99, "CAA": 257,
}


@dataclass(frozen=True)
class FirewallRule:
    priority: int
    action: str
    domains: tuple
    qtype: str | None = None
    name: str = ""
    domain_list_id: str = ""
    block_response: str | None = None
    redirection: str = INSPECT_REDIRECTION

    def label(self):
        return self.name or f"priority {self.priority}"


@dataclass(frozen=True)
class RuleGroupAssociation:
    priority: int
    rules: tuple
    name: str = ""
    rule_group_id: str = ""

    def label(self):
        return self.rule_group_id or self.name


@dataclass(frozen=True)
class QueryOutcome:
    """What the VPC's resolver does with a query: ``resolves``, the deciding rule (if any) and why."""
    resolves: bool
    answer: str
    name: str
    rule: FirewallRule | None = None
    association: RuleGroupAssociation | None = None

    @property
    def action(self):
        return self.rule.action if self.rule else None

    @property
    def alerted(self):
        return self.action == ALERT

    def explain(self):
        if self.rule is None:
            return f"{self.name}: {self.answer}"
        where = self.rule.domain_list_id or list(self.rule.domains)
        return (f"{self.name}: {self.rule.action} by rule {self.rule.label()} (priority {self.rule.priority}, "
                f"list {where}) of rule group {self.association.label()} (association priority "
                f"{self.association.priority}) -> {self.answer}")


def _canonical_name(name):
    name = name.strip().lower()
    return name.removesuffix(".")


def entry_matches(entry, name):
    """Whether a domain-list entry matches a query name."""
    entry, name = _canonical_name(entry), _canonical_name(name)
    if entry == "*":
        return True
    if entry.startswith("*."):
        parent = entry[2:]
        return name.endswith("." + parent)
    return entry == name


def _query_type_code(query_type):
    text = query_type.strip().upper()
    if text.startswith("TYPE") and text[4:].isdigit():
        return int(text[4:])
    return QUERY_TYPE_CODES.get(text, text)


def rule_matches(rule, name, query_type):
    if rule.qtype is not None and _query_type_code(rule.qtype) != _query_type_code(query_type):
        return False
    return any(entry_matches(entry, name) for entry in rule.domains)


def deciding_rule(associations, name, query_type):
    """The (association, rule) that decides a query for ``name``, or None when no rule matches."""
    for association in sorted(associations, key=lambda a: a.priority):
        for rule in sorted(association.rules, key=lambda r: r.priority):
            if rule_matches(rule, name, query_type):
                return association, rule
    return None


def _outcome(association, rule, name):
    if rule.action == BLOCK:
        return QueryOutcome(False, rule.block_response or "NODATA", name, rule, association)
    return QueryOutcome(True, "resolved", name, rule, association)


def evaluate_query(associations, name, query_type="A", cname_chain=(), fail_open=False, firewall_answers=True):
    """What happens to a query for ``name``; ``cname_chain`` lists the names its answer redirects to,
    ``firewall_answers=False`` asks what happens when DNS Firewall cannot answer."""
    associations = tuple(associations)
    if not associations:
        return QueryOutcome(True, "resolved (no rule group associated)", name)
    if not firewall_answers:
        if fail_open:
            return QueryOutcome(True, "resolved unevaluated (fail open)", name)
        return QueryOutcome(False, "SERVFAIL (fail closed)", name)
    let_through = []
    for hop in (name, *cname_chain):
        decided = deciding_rule(associations, hop, query_type)
        if decided is None:
            continue
        outcome = _outcome(*decided, hop)
        if not outcome.resolves:
            return outcome
        let_through.append(outcome)
        if outcome.rule.redirection == TRUST_REDIRECTION:
            break
    if not let_through:
        return QueryOutcome(True, "resolved (no rule matched)", name)
    # An ALERT anywhere in the chain is what a staged rollout must see reported.
    return next((o for o in let_through if o.alerted), let_through[0])


def association_from_api(association, rules, domains_by_list):
    """A :class:`RuleGroupAssociation` from a ``ListFirewallRuleGroupAssociations`` item, the group's
    ``ListFirewallRules`` items and ``{domain list id: [domains]}``."""
    return RuleGroupAssociation(
        priority=association["Priority"],
        name=association.get("Name", ""),
        rule_group_id=association["FirewallRuleGroupId"],
        rules=tuple(
            FirewallRule(
                priority=rule["Priority"],
                action=rule["Action"],
                domains=tuple(domains_by_list.get(rule["FirewallDomainListId"], ())),
                qtype=rule.get("Qtype"),
                name=rule.get("Name", ""),
                domain_list_id=rule["FirewallDomainListId"],
                block_response=rule.get("BlockResponse"),
                redirection=rule.get("FirewallDomainRedirectionAction") or INSPECT_REDIRECTION,
            )
            for rule in rules if rule.get("FirewallDomainListId")
        ),
    )
