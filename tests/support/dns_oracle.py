"""How Route 53 Resolver DNS Firewall decides a query, in AWS's documented order.

Associations by priority (lowest first), then rules by priority inside each group; the
first rule whose domain list and query type match decides and ends evaluation, whatever
its action (ALERT lets the query through and reports it). No match resolves. When DNS
Firewall cannot answer, the VPC's firewall config decides: fail closed (the default)
answers SERVFAIL, fail open resolves unevaluated; a VPC without associations is never
filtered. With ``INSPECT_REDIRECTION_DOMAIN`` (the default) every name of a CNAME/DNAME
chain is evaluated; ``TRUST_REDIRECTION_DOMAIN`` on the deciding rule trusts the rest.
"""

from dataclasses import dataclass

ALLOW = "ALLOW"
ALERT = "ALERT"
BLOCK = "BLOCK"
INSPECT_REDIRECTION = "INSPECT_REDIRECTION_DOMAIN"
TRUST_REDIRECTION = "TRUST_REDIRECTION_DOMAIN"

QTYPE_NUMBERS = {
    "A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28,
    "SRV": 33, "NAPTR": 35, "DS": 43, "SPF": 99, "CAA": 257,
}


@dataclass(frozen=True)
class Rule:
    priority: int
    action: str
    domains: tuple
    qtype: str | None = None
    name: str = ""
    domain_list_id: str = ""
    block_response: str | None = None
    redirection: str = INSPECT_REDIRECTION


@dataclass(frozen=True)
class Association:
    priority: int
    rules: tuple
    name: str = ""
    rule_group_id: str = ""


@dataclass(frozen=True)
class Verdict:
    resolves: bool
    action: str | None = None
    alerted: bool = False
    answer: str = "resolved"
    rule: Rule | None = None
    association: Association | None = None
    name: str = ""

    def explain(self):
        if self.rule is None:
            return self.answer
        return (
            f"{self.name}: {self.action} by rule {self.rule.name or self.rule.priority} (priority {self.rule.priority},"
            f" list {self.rule.domain_list_id or list(self.rule.domains)}) of rule group"
            f" {self.association.rule_group_id or self.association.name} (association priority"
            f" {self.association.priority}) -> {self.answer}"
        )


def normalise_name(name):
    name = name.strip().lower()
    return name[:-1] if name.endswith(".") else name


def domain_matches(entry, name):
    """Whether a domain-list entry matches a query name (§3.1/§3.2 of the reference)."""
    entry, name = normalise_name(entry), normalise_name(name)
    if entry == "*":
        return True
    if entry.startswith("*."):
        return name.endswith(entry[1:]) and len(name) > len(entry) - 1
    return name == entry


def _qtype_number(qtype):
    qtype = qtype.upper()
    if qtype.startswith("TYPE") and qtype[4:].isdigit():
        return int(qtype[4:])
    return QTYPE_NUMBERS.get(qtype, qtype)


def qtype_matches(rule_qtype, query_type):
    return rule_qtype is None or _qtype_number(rule_qtype) == _qtype_number(query_type)


def first_match(associations, name, query_type):
    """The deciding (association, rule) for one name, or None."""
    for association in sorted(associations, key=lambda a: a.priority):
        for rule in sorted(association.rules, key=lambda r: r.priority):
            if qtype_matches(rule.qtype, query_type) and any(domain_matches(d, name) for d in rule.domains):
                return association, rule
    return None


def _answer(rule):
    if rule.action == BLOCK:
        return rule.block_response or "NODATA"
    return "resolved"


def decide(associations, name, query_type="A", cname_chain=(), fail_open=False, firewall_answers=True):
    """Decide a query for ``name`` of ``query_type``; ``cname_chain`` lists the names its answer redirects to."""
    associations = list(associations)
    if not associations:
        return Verdict(resolves=True, answer="resolved (no rule group associated)", name=name)
    if not firewall_answers:
        if fail_open:
            return Verdict(resolves=True, answer="resolved unevaluated (fail open)", name=name)
        return Verdict(resolves=False, answer="SERVFAIL (fail closed)", name=name)
    matched = []
    for hop in (name, *cname_chain):
        found = first_match(associations, hop, query_type)
        if found is None:
            continue
        association, rule = found
        verdict = Verdict(
            resolves=rule.action != BLOCK, action=rule.action, alerted=rule.action == ALERT,
            answer=_answer(rule), rule=rule, association=association, name=hop,
        )
        if rule.action == BLOCK:
            return verdict
        matched.append(verdict)
        if rule.redirection == TRUST_REDIRECTION:
            break
    if not matched:
        return Verdict(resolves=True, answer="resolved (no rule matched)", name=name)
    alerts = [v for v in matched if v.alerted]
    return alerts[0] if alerts else matched[0]


def association_from_api(association, rules, domains_by_list):
    """An :class:`Association` from ``ListFirewallRuleGroupAssociations``/``ListFirewallRules`` items and the
    domains of each list (``ListFirewallDomains``). Advanced (threat-detection) rules match by inference, not by
    list, so they are left out: the oracle never counts on them to block."""
    return Association(
        priority=association["Priority"],
        name=association.get("Name", ""),
        rule_group_id=association["FirewallRuleGroupId"],
        rules=tuple(
            Rule(
                priority=rule["Priority"],
                action=rule["Action"],
                domains=tuple(domains_by_list.get(rule["FirewallDomainListId"], ())),
                qtype=rule.get("Qtype"),
                name=rule.get("Name", ""),
                domain_list_id=rule["FirewallDomainListId"],
                block_response=rule.get("BlockResponse"),
                redirection=rule.get("FirewallDomainRedirectionAction", INSPECT_REDIRECTION),
            )
            for rule in rules
            if rule.get("FirewallDomainListId")
        ),
    )
