"""Fixes to moto's EC2 VPC endpoints, route-table filters and flow logs, applied once at start-up.

moto 5.2.5 gets these wrong against AWS (see the project's perimeter notes, §1):

* an endpoint created without ``VpcEndpointType`` has no type, where AWS makes it
  a Gateway endpoint; gateway endpoints report ``PrivateDnsEnabled`` true;
* the default policy is the gateway text for every type; AWS returns a
  pretty-printed document without ``Version`` for interface endpoints;
* ``PolicyDocument`` is never checked (not JSON, over 20,480 characters, or a
  custom policy on a service that only takes the full-access one);
* any service name and any type/parameter mix is accepted (route tables on an
  interface endpoint, subnets or security groups on a gateway endpoint);
* ``ModifyVpcEndpoint`` ignores ``ResetPolicy`` and ``PrivateDnsEnabled``, never
  checks the subnets, groups and route tables it adds, creates no network
  interface for an added subnet and no route for an added route table;
* an interface endpoint created without security groups has none, where AWS
  uses the VPC's default security group;
* ``DescribeVpcEndpointServices`` lacks ``console-static``, ``signin-v2`` and ``q``, and
  flags endpoint services of your own as supporting custom policies.

Route-table filters, S3 flow-log destinations, DHCP options sets, DescribeTags resource types and
security group rule descriptions are fixed at the end of the module.

The backend methods are replaced on moto's ``VPCBackend`` mixin and the request
parsing on the ``VPCs`` response mixin, which ``EC2Backend``/``EC2Response`` inherit.
"""

import json
import re

from moto.core.responses import ActionResult
from moto.ec2.exceptions import (
    DependencyViolationError,
    EC2ClientError,
    FlowLogAlreadyExists,
    InvalidParameter,
    InvalidParameterCombination,
    InvalidParameterValue,
    InvalidRouteTableIdError,
    InvalidSecurityGroupNotFoundError,
    InvalidServiceName,
)
from moto.ec2.models import dhcp_options, flow_logs, route_tables, tags, vpc_service_configuration, vpcs
from moto.ec2.responses.security_groups import SecurityGroups
from moto.ec2.responses.vpcs import VPCs
from moto.ec2.utils import add_tag_specification, random_private_ip

GATEWAY_DEFAULT_POLICY = (
    '{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}'
)
# What DescribeVpcEndpoints returns for an interface endpoint created without a policy, byte for byte.
INTERFACE_DEFAULT_POLICY = (
    '{\n  "Statement": [\n    {\n      "Action": "*", \n      "Effect": "Allow", \n'
    '      "Principal": "*", \n      "Resource": "*"\n    }\n  ]\n}'
)
MAX_POLICY_LENGTH = 20480
ENDPOINT_TYPES = ["Interface", "Gateway", "GatewayLoadBalancer", "Resource", "ServiceNetwork"]
# Console Private Access and Amazon Q Developer endpoints moto does not list.
MISSING_ENDPOINT_SERVICES = ["console-static", "signin-v2", "q"]

vpcs.AWS_ENDPOINT_SERVICES.extend(s for s in MISSING_ENDPOINT_SERVICES if s not in vpcs.AWS_ENDPOINT_SERVICES)

_moto_service_configuration_to_dict = vpc_service_configuration.VPCServiceConfiguration.to_dict


def service_configuration_to_dict(self):
    """Endpoint services of your own (vpce-svc-…) take the full-access policy only."""
    return dict(_moto_service_configuration_to_dict(self), VpcEndpointPolicySupported=False)


vpc_service_configuration.VPCServiceConfiguration.to_dict = service_configuration_to_dict


class InvalidPolicyDocument(EC2ClientError):
    def __init__(self, message):
        super().__init__("InvalidPolicyDocument", message)


class DuplicateSubnetsInSameZone(EC2ClientError):
    def __init__(self, subnet_id):
        super().__init__(
            "DuplicateSubnetsInSameZone",
            f"Found another VPC endpoint subnet in the availability zone of {subnet_id}. VPC endpoint subnets "
            "should be in different availability zones supported by the VPC endpoint service.",
        )


def default_policy(endpoint_type):
    return GATEWAY_DEFAULT_POLICY if endpoint_type == "Gateway" else INTERFACE_DEFAULT_POLICY


def is_full_access(policy):
    statements = policy.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    full = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
    return isinstance(statements, list) and len(statements) == 1 and {
        key: value for key, value in statements[0].items() if key != "Sid"
    } == full


def parse_policy(document, service):
    """The stored text of a policy sent by a caller, after the checks AWS makes."""
    if len(document) > MAX_POLICY_LENGTH:
        raise InvalidPolicyDocument(
            f"The Policy Document is too long: {len(document)} characters; the maximum is {MAX_POLICY_LENGTH}."
        )
    try:
        policy = json.loads(document)
    except ValueError as error:
        position = f"({getattr(error, 'lineno', 1)},{getattr(error, 'colno', 1)})"
        raise InvalidPolicyDocument(f"The Policy Document is not valid. Syntax error at position {position}") from None
    if not isinstance(policy, dict) or "Statement" not in policy:
        raise InvalidPolicyDocument("The Policy Document is not valid. It must be a JSON object with a Statement.")
    if not service.get("VpcEndpointPolicySupported", False) and not is_full_access(policy):
        raise InvalidParameter(f"Service {service['ServiceName']} only supports the full-access endpoint policy.")
    # AWS keeps the document, not its layout: whitespace is not preserved.
    return json.dumps(policy, separators=(",", ":"))


def find_service(backend, service_name, endpoint_type):
    services = [
        s for s in backend._collect_default_endpoint_services(backend.account_id, backend.region_name)
        + [c.to_dict() for c in backend.configurations.values()]
        if s["ServiceName"] == service_name
    ]
    if not services:
        raise InvalidServiceName(service_name)
    for service in services:
        if endpoint_type in [t["ServiceType"] for t in service["ServiceType"]]:
            return service
    raise InvalidParameter(
        f"The VPC endpoint service {service_name} does not support the endpoint type {endpoint_type}."
    )


def check_type_specific(endpoint_type, route_table_ids, subnet_ids, security_group_ids, private_dns_enabled):
    if route_table_ids and endpoint_type != "Gateway":
        raise InvalidParameter("Route table IDs are only supported for Gateway type VPC Endpoint.")
    if subnet_ids and endpoint_type == "Gateway":
        raise InvalidParameter(
            "Subnet IDs are only supported for Interface and GatewayLoadBalancer type VPC Endpoints."
        )
    if security_group_ids and endpoint_type == "Gateway":
        raise InvalidParameter("Security group IDs are only supported for Interface type VPC Endpoint.")
    if private_dns_enabled and endpoint_type != "Interface":
        raise InvalidParameter("PrivateDnsEnabled is only supported for Interface type VPC Endpoint.")


def check_in_vpc(backend, vpc_id, subnet_ids=(), security_group_ids=(), route_table_ids=()):
    for subnet_id in subnet_ids or []:
        if backend.get_subnet(subnet_id).vpc_id != vpc_id:
            raise InvalidParameter(f"The subnet ID '{subnet_id}' does not belong to VPC '{vpc_id}'.")
    for group_id in security_group_ids or []:
        group = backend.get_security_group_from_id(group_id)
        if group is None:
            raise InvalidSecurityGroupNotFoundError(group_id)
        if group.vpc_id != vpc_id:
            raise InvalidParameter(f"The security group '{group_id}' does not belong to VPC '{vpc_id}'.")
    for route_table_id in route_table_ids or []:
        if backend.get_route_table(route_table_id).vpc_id != vpc_id:
            raise InvalidRouteTableIdError(route_table_id)


def check_one_subnet_per_zone(backend, subnet_ids):
    zones = {}
    for subnet_id in subnet_ids:
        zone = backend.get_subnet(subnet_id).availability_zone
        if zone in zones:
            raise DuplicateSubnetsInSameZone(subnet_id)
        zones[zone] = subnet_id


_moto_create_vpc_endpoint = vpcs.VPCBackend.create_vpc_endpoint


def create_vpc_endpoint(self, vpc_id, service_name, endpoint_type, policy_document, route_table_ids,
                        subnet_ids=None, network_interface_ids=None, dns_entries=None, client_token=None,
                        security_group_ids=None, tags=None, private_dns_enabled=None):
    endpoint_type = endpoint_type or "Gateway"
    if endpoint_type not in ENDPOINT_TYPES:
        raise InvalidParameterValue(
            f"Value ({endpoint_type}) for parameter VpcEndpointType is invalid. "
            f"Valid values: {', '.join(ENDPOINT_TYPES)}"
        )
    self.get_vpc(vpc_id)
    service = find_service(self, service_name, endpoint_type)
    check_type_specific(endpoint_type, route_table_ids, subnet_ids, security_group_ids, private_dns_enabled)
    check_in_vpc(self, vpc_id, subnet_ids, security_group_ids, route_table_ids)
    check_one_subnet_per_zone(self, subnet_ids or [])
    policy = parse_policy(policy_document, service) if policy_document is not None else default_policy(endpoint_type)
    if endpoint_type == "Interface" and not security_group_ids:
        security_group_ids = [self.get_default_security_group(vpc_id).id]
    endpoint = _moto_create_vpc_endpoint(
        self, vpc_id, service_name, endpoint_type, policy, route_table_ids, subnet_ids=subnet_ids or [],
        network_interface_ids=network_interface_ids, dns_entries=dns_entries, client_token=client_token,
        security_group_ids=security_group_ids, tags=tags,
        private_dns_enabled=(private_dns_enabled is not False) if endpoint_type == "Interface" else False,
    )
    return endpoint


def modify_vpc_endpoint(self, vpc_id, policy_doc, add_subnets, remove_subnets, remove_route_tables, add_route_tables,
                        add_security_groups, remove_security_groups, reset_policy=False, private_dns_enabled=None):
    """``vpc_id`` is the endpoint ID, as moto names it."""
    endpoint = self.get_vpc_end_point(vpc_id)
    endpoint_type = endpoint.vpc_endpoint_type
    if policy_doc is not None and reset_policy:
        raise InvalidParameterCombination("PolicyDocument and ResetPolicy cannot both be specified.")
    check_type_specific(
        endpoint_type, (add_route_tables or []) + (remove_route_tables or []),
        (add_subnets or []) + (remove_subnets or []),
        (add_security_groups or []) + (remove_security_groups or []), private_dns_enabled is not None,
    )
    check_in_vpc(self, endpoint.vpc_id, add_subnets, add_security_groups, add_route_tables)
    for subnet_id in remove_subnets or []:
        if subnet_id not in endpoint.subnet_ids:
            raise InvalidParameter(f"Subnet {subnet_id} is not associated with VPC endpoint {endpoint.id}.")
    for route_table_id in remove_route_tables or []:
        if route_table_id not in endpoint.route_table_ids:
            raise InvalidParameter(f"Route table {route_table_id} is not associated with VPC endpoint {endpoint.id}.")
    new_subnets = [s for s in add_subnets or [] if s not in endpoint.subnet_ids]
    kept_subnets = [s for s in endpoint.subnet_ids if s not in (remove_subnets or [])]
    check_one_subnet_per_zone(self, kept_subnets + new_subnets)
    groups = [g for g in endpoint.security_group_ids if g not in (remove_security_groups or [])]
    groups += [g for g in add_security_groups or [] if g not in groups]
    if endpoint_type == "Interface" and not groups:
        raise InvalidParameter("An Interface VPC Endpoint must always have at least one Security Group.")
    if policy_doc is not None:
        service = find_service(self, endpoint.service_name, endpoint_type)
        endpoint.policy_document = parse_policy(policy_doc, service)
    # The model documents ResetPolicy for gateway endpoints; interface endpoints get their own default back.
    if reset_policy:
        endpoint.policy_document = default_policy(endpoint_type)

    for eni_id in list(endpoint.network_interface_ids):
        eni = self.enis.get(eni_id)
        if eni is not None and eni.subnet.id in (remove_subnets or []):
            self.enis.pop(eni_id)
            endpoint.network_interface_ids.remove(eni_id)
    for subnet_id in new_subnets:
        eni = self.create_network_interface(subnet_id, random_private_ip(), group_ids=groups)
        endpoint.network_interface_ids.append(eni.id)
    endpoint.subnet_ids = kept_subnets + new_subnets
    endpoint.security_group_ids = groups
    for route_table_id in remove_route_tables or []:
        if endpoint.destination_prefix_list_id:
            self.delete_route(route_table_id, None, destination_prefix_list_id=endpoint.destination_prefix_list_id)
        endpoint.route_table_ids.remove(route_table_id)
    for route_table_id in add_route_tables or []:
        if route_table_id in endpoint.route_table_ids:
            continue
        if endpoint.destination_prefix_list_id:
            self.create_route(
                route_table_id, None, gateway_id=endpoint.id,
                destination_prefix_list_id=endpoint.destination_prefix_list_id,
            )
        endpoint.route_table_ids.append(route_table_id)
    if private_dns_enabled is not None:
        endpoint.private_dns_enabled = private_dns_enabled


vpcs.VPCBackend.create_vpc_endpoint = create_vpc_endpoint
vpcs.VPCBackend.modify_vpc_endpoint = modify_vpc_endpoint


def response_create_vpc_endpoint(self):
    endpoint = self.ec2_backend.create_vpc_endpoint(
        vpc_id=self._get_param("VpcId"),
        service_name=self._get_param("ServiceName"),
        endpoint_type=self._get_param("VpcEndpointType"),
        policy_document=self._get_param("PolicyDocument"),
        route_table_ids=self._get_param("RouteTableIds", []),
        subnet_ids=self._get_param("SubnetIds", []),
        client_token=self._get_param("ClientToken"),
        security_group_ids=self._get_param("SecurityGroupIds", []),
        tags=add_tag_specification(self._get_param("TagSpecifications", [])),
        private_dns_enabled=self._get_bool_param("PrivateDnsEnabled"),
    )
    return ActionResult({"VpcEndpoint": endpoint})


def response_modify_vpc_endpoint(self):
    self.ec2_backend.modify_vpc_endpoint(
        vpc_id=self._get_param("VpcEndpointId"),
        policy_doc=self._get_param("PolicyDocument"),
        add_subnets=self._get_param("AddSubnetIds", []),
        remove_subnets=self._get_param("RemoveSubnetIds", []),
        add_route_tables=self._get_param("AddRouteTableIds", []),
        remove_route_tables=self._get_param("RemoveRouteTableIds", []),
        add_security_groups=self._get_param("AddSecurityGroupIds", []),
        remove_security_groups=self._get_param("RemoveSecurityGroupIds", []),
        reset_policy=self._get_bool_param("ResetPolicy", False),
        private_dns_enabled=self._get_bool_param("PrivateDnsEnabled"),
    )
    return ActionResult({"Return": True})


VPCs.create_vpc_endpoint = response_create_vpc_endpoint
VPCs.modify_vpc_endpoint = response_modify_vpc_endpoint


# DescribeRouteTables: moto answers the route filters for internet, NAT, peering and transit gateways
# only, and its route.gateway-id misses the "local" and gateway-endpoint targets that GatewayId shows.
ROUTE_FILTER_ATTRIBUTES = {
    "route.gateway-id": "gateway_id",
    "route.egress-only-internet-gateway-id": "egress_only_internet_gateway_id",
    "route.destination-ipv6-cidr-block": "destination_ipv6_cidr_block",
    "route.destination-prefix-list-id": "destination_prefix_list_id",
    "route.instance-id": "instance_id",
    "route.origin": "origin",
    "route.state": "state",
}
_moto_route_table_filter = route_tables.RouteTable.get_filter_value


def route_table_filter_value(self, filter_name, method_name=None):
    attribute = ROUTE_FILTER_ATTRIBUTES.get(filter_name)
    if attribute is None:
        return _moto_route_table_filter(self, filter_name, method_name)
    values = (getattr(route, attribute) for route in self._routes.values())
    return [value for value in values if value is not None]


route_tables.RouteTable.get_filter_value = route_table_filter_value


# CreateFlowLogs: moto looks up the whole S3 ARN path as the bucket, so a destination with a
# folder (arn:aws:s3:::bucket/prefix/), which AWS accepts, is reported as a missing bucket.
_moto_create_flow_logs = flow_logs.FlowLogsBackend.create_flow_logs


def create_flow_logs(self, resource_type, resource_ids, traffic_type, deliver_logs_permission_arn,
                     log_destination_type, log_destination, log_group_name, log_format, max_aggregation_interval):
    if log_destination_type != "s3" or not log_destination or "/" not in log_destination:
        return _moto_create_flow_logs(
            self, resource_type, resource_ids, traffic_type, deliver_logs_permission_arn, log_destination_type,
            log_destination, log_group_name, log_format, max_aggregation_interval,
        )
    for resource_id in resource_ids:
        if any((f.resource_id, f.log_destination) == (resource_id, log_destination) for f in self.flow_logs.values()):
            raise FlowLogAlreadyExists()
    bucket_arn = log_destination.split("/", 1)[0]
    created, unsuccessful = _moto_create_flow_logs(
        self, resource_type, resource_ids, traffic_type, deliver_logs_permission_arn, log_destination_type,
        bucket_arn, log_group_name, log_format, max_aggregation_interval,
    )
    for flow_log in created:
        flow_log.log_destination = log_destination
    return created, unsuccessful


flow_logs.FlowLogsBackend.create_flow_logs = create_flow_logs


# DHCP options: AWS gives each Region a default options set (AmazonProvidedDNS and the Region's
# internal domain) and associates every new VPC with it; one set serves many VPCs, and deleting a
# VPC leaves its set in place. moto shows the id "default" for a new VPC, ties a set to one VPC,
# and deletes the set together with the VPC.
def region_default_dhcp_options(backend):
    default = getattr(backend, "region_default_dhcp_options", None)
    if default is None or default.id not in backend.dhcp_options_sets:
        domain = "ec2.internal" if backend.region_name == "us-east-1" else f"{backend.region_name}.compute.internal"
        default = backend.create_dhcp_options(domain_name_servers=["AmazonProvidedDNS"], domain_name=[domain])
        backend.region_default_dhcp_options = default
    return default


_moto_create_vpc = vpcs.VPCBackend.create_vpc
_moto_delete_vpc = vpcs.VPCBackend.delete_vpc


def create_vpc(self, *args, **kwargs):
    vpc = _moto_create_vpc(self, *args, **kwargs)
    vpc.dhcp_options = region_default_dhcp_options(self)
    return vpc


def delete_vpc(self, vpc_id):
    vpc = self.vpcs.get(vpc_id)
    options = vpc.dhcp_options if vpc else None
    if vpc:
        vpc.dhcp_options = None  # so that moto does not delete a set other VPCs may share
    try:
        return _moto_delete_vpc(self, vpc_id)
    except Exception:
        if vpc:
            vpc.dhcp_options = options
        raise


def associate_dhcp_options(self, dhcp_options_set, vpc):
    vpc.dhcp_options = dhcp_options_set


def disassociate_dhcp_options(self, vpc):
    vpc.dhcp_options = None


def delete_dhcp_options_set(self, options_id):
    if options_id in self.dhcp_options_sets and any(
        vpc.dhcp_options is not None and vpc.dhcp_options.id == options_id for vpc in self.vpcs.values()
    ):
        raise DependencyViolationError(f"The dhcpOptions '{options_id}' has dependencies and cannot be deleted.")
    return _moto_delete_dhcp_options_set(self, options_id)


_moto_delete_dhcp_options_set = dhcp_options.DHCPOptionsSetBackend.delete_dhcp_options_set
vpcs.VPCBackend.create_vpc = create_vpc
vpcs.VPCBackend.delete_vpc = delete_vpc
dhcp_options.DHCPOptionsSetBackend.associate_dhcp_options = associate_dhcp_options
dhcp_options.DHCPOptionsSetBackend.disassociate_dhcp_options = disassociate_dhcp_options
dhcp_options.DHCPOptionsSetBackend.delete_dhcp_options_set = delete_dhcp_options_set


# DescribeTags: moto names some resource types its own way; AWS answers (and filters on)
# the ResourceType enum, so a tag look-up filtered on "natgateway" found nothing.
tags.EC2_PREFIX_TO_RESOURCE.update({
    "nat": "natgateway",
    "eipalloc": "elastic-ip",
    "fl": "vpc-flow-log",
    "h": "dedicated-host",
    "pl": "prefix-list",
    "sir": "spot-instances-request",
})


# Security group rules: AWS refuses a rule description outside its character set (moto takes any), and
# answers UpdateSecurityGroupRuleDescriptions{Ingress,Egress} with Return true (moto with nothing, which
# amazon.aws.ec2_security_group reads as a KeyError).
RULE_DESCRIPTION = re.compile(r"^[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]{0,255}$")
_moto_process_rules = SecurityGroups._process_rules_from_querystring


def process_rules_from_querystring(self):
    for rule in _moto_process_rules(self):
        for source in [*(rule["ip_ranges"] or []), *(rule["source_groups"] or []), *(rule["prefix_list_ids"] or [])]:
            description = source.get("Description") if isinstance(source, dict) else None
            if description is not None and not RULE_DESCRIPTION.match(description):
                raise InvalidParameterValue(
                    "Invalid rule description. Valid descriptions are strings less than 256 characters from the "
                    "following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*")
        yield rule


def answering_true(update):
    def answer(self):
        update(self)
        return ActionResult({"Return": True})
    return answer


SecurityGroups._process_rules_from_querystring = process_rules_from_querystring
SecurityGroups.update_security_group_rule_descriptions_ingress = answering_true(
    SecurityGroups.update_security_group_rule_descriptions_ingress)
SecurityGroups.update_security_group_rule_descriptions_egress = answering_true(
    SecurityGroups.update_security_group_rule_descriptions_egress)
