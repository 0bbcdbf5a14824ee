"""What EC2 refuses to delete while something depends on it, which moto 5.2.5 lets through.

As the EC2 API reference describes it:

* ``DeleteVpc``: the VPC's gateways and resources go first - moto checks subnets and route
  tables only, not an attached internet gateway, security groups other than the default, or
  VPC endpoints (``DependencyViolation``);
* ``DeleteSubnet``: refused while network interfaces (of interface endpoints, NAT gateways)
  are in the subnet;
* ``DeleteSecurityGroup``: refused while a network interface (an interface endpoint's) uses the group;
* ``DeleteNatGateway`` disassociates the gateway's Elastic IP (it stays allocated) and removes
  its network interface; moto keeps both;
* ``ReleaseAddress``: an address must be disassociated first (``InvalidIPAddress.InUse``);
  moto disassociates it silently, even from a NAT gateway;
* ``DetachInternetGateway``: refused while the VPC has mapped public addresses.
"""

from moto.ec2.exceptions import DependencyViolationError, EC2ClientError
from moto.ec2.models import elastic_ip_addresses, internet_gateways, nat_gateways, security_groups, subnets, vpcs


class AddressInUse(EC2ClientError):
    def __init__(self, address):
        super().__init__("InvalidIPAddress.InUse", f"Address {address} is in use.")


def _vpc_dependencies(backend, vpc_id):
    if any(igw.vpc is not None and igw.vpc.id == vpc_id for igw in backend.internet_gateways.values()):
        return True
    if any(group.name != "default" for group in backend.groups.get(vpc_id, {}).values()):
        return True
    return any(endpoint.vpc_id == vpc_id and endpoint.state != "deleted"
               for endpoint in backend.vpc_end_points.values())


def delete_vpc(self, vpc_id):
    if _vpc_dependencies(self, vpc_id):
        raise DependencyViolationError(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
    return _moto_delete_vpc(self, vpc_id)


def delete_subnet(self, subnet_id):
    if any(eni.subnet is not None and eni.subnet.id == subnet_id for eni in self.enis.values()):
        raise DependencyViolationError(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
    return _moto_delete_subnet(self, subnet_id)


def delete_security_group(self, name=None, group_id=None):
    group = self.get_security_group_from_id(group_id) if group_id else self.get_security_group_by_name_or_id(name)
    # moto gives an interface endpoint's network interfaces no groups; in AWS they carry the endpoint's.
    if group is not None and (
        any(group in eni.group_set for eni in self.enis.values())
        or any(endpoint.state != "deleted" and group.id in endpoint.security_group_ids
               for endpoint in self.vpc_end_points.values())
    ):
        raise DependencyViolationError(f"resource {group.id} has a dependent object")
    return _moto_delete_security_group(self, name=name, group_id=group_id)


def delete_nat_gateway(self, nat_gateway_id):
    nat_gateway = self.nat_gateways.get(nat_gateway_id)
    if nat_gateway is not None and nat_gateway.state != "deleted":
        for address in self.addresses:
            if address.eni is not None and address.eni.id == nat_gateway._eni.id:
                self.disassociate_address(address=address.public_ip)
        self.enis.pop(nat_gateway._eni.id, None)
    return _moto_delete_nat_gateway(self, nat_gateway_id)


def release_address(self, address=None, allocation_id=None):
    found = self.address_by_ip([address]) if address else self.address_by_allocation([allocation_id])
    if found and (found[0].eni is not None or found[0].association_id):
        raise AddressInUse(found[0].public_ip)
    return _moto_release_address(self, address=address, allocation_id=allocation_id)


def detach_internet_gateway(self, internet_gateway_id, vpc_id):
    if any(address.eni is not None and address.eni.subnet is not None and address.eni.subnet.vpc_id == vpc_id
           for address in self.addresses):
        raise DependencyViolationError(
            f"Network {vpc_id} has some mapped public address(es). Please unmap those public address(es) before "
            "detaching the gateway."
        )
    return _moto_detach_internet_gateway(self, internet_gateway_id, vpc_id)


# delete_vpc wraps the project's own fix in patches.py (imported first), which wraps moto's.
_moto_delete_vpc = vpcs.VPCBackend.delete_vpc
_moto_delete_subnet = subnets.SubnetBackend.delete_subnet
_moto_delete_security_group = security_groups.SecurityGroupBackend.delete_security_group
_moto_delete_nat_gateway = nat_gateways.NatGatewayBackend.delete_nat_gateway
_moto_release_address = elastic_ip_addresses.ElasticAddressBackend.release_address
_moto_detach_internet_gateway = internet_gateways.InternetGatewayBackend.detach_internet_gateway
vpcs.VPCBackend.delete_vpc = delete_vpc
subnets.SubnetBackend.delete_subnet = delete_subnet
security_groups.SecurityGroupBackend.delete_security_group = delete_security_group
nat_gateways.NatGatewayBackend.delete_nat_gateway = delete_nat_gateway
elastic_ip_addresses.ElasticAddressBackend.release_address = release_address
internet_gateways.InternetGatewayBackend.detach_internet_gateway = detach_internet_gateway
