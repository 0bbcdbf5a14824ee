"""Route 53 Resolver: moto's service plus DNS Firewall."""
