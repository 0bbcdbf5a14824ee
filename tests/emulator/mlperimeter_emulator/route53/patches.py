"""Fixes to moto's Route 53 record sets, applied once at start-up.

moto 5.2.5 gets these wrong against AWS:

* a CNAME is accepted at a zone's apex, and next to other records of the same name;
  AWS refuses both (an apex holds the SOA and NS records, so Console Private Access
  zones use alias A records there);
* a name is "in" a zone when its text ends with the zone's, so ``xconsole.aws.amazon.com``
  is accepted in ``console.aws.amazon.com``; AWS compares whole labels;
* an alias target's ``DNSName`` is returned as sent; AWS returns it fully qualified and
  in lower case;
* ``ListResourceRecordSets`` returns ``*`` in wildcard names; AWS returns it as ``\\052``;
* ``ListHostedZonesByVPC`` ignores the VPC's Region and leaves out the required ``MaxItems``.

The backend methods are replaced on moto's ``Route53Backend``, the response method on ``Route53``.
"""

import copy

from moto.core.responses import ActionResult
from moto.route53 import models, responses
from moto.route53.exceptions import DnsNameInvalidForZone, Route53ClientError


class InvalidChangeBatch(Route53ClientError):
    def __init__(self, message):
        super().__init__("InvalidChangeBatch", f"[{message}]")


def fqdn(name):
    return name if name.endswith(".") else f"{name}."


def in_zone(name, zone_name):
    name, zone_name = fqdn(name).lower(), fqdn(zone_name).lower()
    return name == zone_name or name.endswith(f".{zone_name}")


def check_change(zone, change, names_after):
    record_set = change["ResourceRecordSet"]
    name = fqdn(record_set["Name"]).lower()
    if not in_zone(name, zone.name):
        raise DnsNameInvalidForZone(name=record_set["Name"], zone_name=zone.name)
    if change["Action"] == "DELETE" or record_set.get("Type") != "CNAME":
        return
    if name == fqdn(zone.name).lower():
        raise InvalidChangeBatch(
            f"RRSet of type CNAME with DNS name {name} is not permitted at apex in zone {fqdn(zone.name)}"
        )
    others = [t for n, t in names_after if n == name and t != "CNAME"]
    if others:
        raise InvalidChangeBatch(
            f"RRSet of type CNAME with DNS name {name} is not permitted as it conflicts with other records with "
            "the same DNS name in zone " + fqdn(zone.name)
        )


_moto_change_resource_record_sets = models.Route53Backend.change_resource_record_sets
_moto_list_resource_record_sets = models.Route53Backend.list_resource_record_sets


def change_resource_record_sets(self, zoneid, change_list):
    zone = self.get_hosted_zone(zoneid)
    names = {(fqdn(r.name).lower(), r.type) for r in zone.rrsets}
    for change in change_list:
        record_set = change["ResourceRecordSet"]
        key = (fqdn(record_set["Name"]).lower(), record_set.get("Type"))
        if change["Action"] == "DELETE":
            names.discard(key)
        else:
            names.add(key)
    for change in change_list:
        check_change(zone, change, names)
        alias = change["ResourceRecordSet"].get("AliasTarget")
        if alias and alias.get("DNSName"):
            alias["DNSName"] = fqdn(alias["DNSName"]).lower()
    return _moto_change_resource_record_sets(self, zoneid, change_list)


def list_resource_record_sets(self, zone_id, start_type, start_name, max_items):
    records, next_name, next_type, truncated = _moto_list_resource_record_sets(
        self, zone_id, start_type, start_name, max_items
    )
    answered = []
    for record in records:
        if "*" in record.name:
            record = copy.copy(record)
            record.name = record.name.replace("*", "\\052")
        answered.append(record)
    return answered, next_name, next_type, truncated


models.Route53Backend.change_resource_record_sets = change_resource_record_sets
models.Route53Backend.list_resource_record_sets = list_resource_record_sets


def response_list_hosted_zones_by_vpc(self):
    vpc_id, vpc_region = self._get_param("VPCId"), self._get_param("VPCRegion")
    summaries = [
        summary for summary in self.backend.list_hosted_zones_by_vpc(vpc_id)
        if any(vpc.get("vpc_id") == vpc_id and vpc.get("vpc_region") in (None, vpc_region)
               for vpc in self.backend.get_hosted_zone(summary["HostedZoneId"]).vpcs)
    ]
    return ActionResult({"HostedZoneSummaries": summaries, "MaxItems": self._get_param("MaxItems", "100")})


responses.Route53.list_hosted_zones_by_vpc = response_list_hosted_zones_by_vpc
