"""Route 53 Resolver URL routes, as moto's, answered by the responses class with DNS Firewall."""

from .responses import Route53ResolverResponse

url_bases = [
    r"https?://route53resolver\.(.+)\.amazonaws\.com",
]

url_paths = {
    "{0}/$": Route53ResolverResponse.dispatch,
}
