"""What the browser may open and what the perimeter's VPCs may resolve (pure functions, no AWS calls).

One list of allowed URLs and hosts is rendered three ways: the portal's ``webContentFilteringPolicy``
(whose blocks reach the session logger), Chrome's URL policies in ``browserPolicy``, and the DNS
Firewall domain list of the browser VPC. An entry is one of:

* ``example.com``: the host and every subdomain (Chrome's filter format, which the web content
  filter shares); DNS Firewall needs ``example.com`` and ``*.example.com`` for the same reach;
* ``.example.com``: that host only; DNS Firewall gets ``example.com`` alone;
* ``https://example.com[:port][/path]``: a URL (``http`` or ``https``); the host part follows the
  same two rules, the path narrows what the browser opens but not what resolves.

A bare host carries no path or port (write the URL for those); ``*`` and ``*.example.com`` are refused
(write ``example.com``), as are IP addresses (DNS Firewall cannot name them), query strings and
credentials. A host that would cover every account's SageMaker Studio or notebook hosts (such as
``sagemaker.aws`` or ``studio.<region>.sagemaker.aws``) is refused: a presigned URL of a foreign
account would open in the browser. Name each Studio host, ``https://<domain-id>.studio.<region>.sagemaker.aws``.
"""

import re
from urllib.parse import urlsplit

from ansible.errors import AnsibleFilterError
from ansible_collections.mlperimeter.aws.plugins.filter.perimeter_policies import REGION

MAX_URL_PATTERNS = 1000
LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOST = re.compile(rf"(?=.{{1,253}}$){LABEL}(?:\.{LABEL})+")
IPV4_ADDRESS = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
# DNS Firewall's domain syntax: letters, digits, hyphens and dots, an optional leading "*.", 1-255 characters.
FIREWALL_DOMAIN = re.compile(r"(?=.{1,255}$)(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# Studio and notebook hosts are <id>.studio.<region>.sagemaker.aws and <name>.notebook.<region>.sagemaker.aws.
SAGEMAKER_HOSTS = "sagemaker.aws"
SAGEMAKER_HOST_LABELS = 5

# Chrome policies beside the URL lists (reference secure_browser.md §6.1 and §6.3): developer tools
# off (2), every download blocked (3), no incognito window (1) and no history deletion so that user
# access logging sees every URL, no extensions, no saved passwords.
CHROME_HARDENING = {
    "DeveloperToolsAvailability": 2,
    "DownloadRestrictions": 3,
    "IncognitoModeAvailability": 1,
    "AllowDeletingBrowserHistory": False,
    "ExtensionInstallBlocklist": ["*"],
    "PasswordManagerEnabled": False,
}

# Names that the console and sign-in pages load from without being navigated to; a page's requests
# to them are not URL-filtered, so only DNS has to let them through. Sources:
# - AWS, "Configuring VPC endpoints for accessing AWS Management Console"
#   (docs.aws.amazon.com/awsconsolehelpdocs/latest/gsg/required-endpoints-dns-configuration): the
#   com.amazonaws.<region>.console-static endpoint serves "static content and other console-specific
#   APIs"; the page does not name the hosts, which is why the ALERT stage's query logs confirm them.
# - AWS Deadline Cloud, "Restricted network environments" (web domains to allowlist), lists the
#   console's telemetry under console.aws.a2z.com; reference secure_browser.md §6.3 notes console pages
#   embedding content from *.console.aws.a2z.com.
# - The console's static assets are served from cdn.console.awsstatic.com (seen in console page loads,
#   not in AWS's documentation).
# The identity provider's own CDN depends on the provider and is given with extra_names.
DEFAULT_PAGE_RESOURCE_NAMES = (
    "*.console.aws.a2z.com",
    "*.cdn.console.awsstatic.com",
)

# Console names outside the <region>.console.aws.amazon.com pattern ("DNS configuration for AWS
# Management Console and AWS Sign-In": s3 and support; the aws-samples automation adds global and the
# widgets).
CONSOLE_GLOBAL_HOSTS = ("s3", "support", "global", "widget")


def _entries(field, values):
    if isinstance(values, (str, dict)) or not isinstance(values, (list, tuple)):
        raise AnsibleFilterError(f"{field}: expected a list of URLs or hosts, got {values!r}")
    return list(values)


def _host(field, value, host):
    if IPV4_ADDRESS.fullmatch(host):
        raise AnsibleFilterError(f"{field}: {value!r} names an IP address; DNS Firewall can only allow names")
    if not HOST.fullmatch(host):
        raise AnsibleFilterError(f"{field}: {value!r} does not name a host ({host!r} is not a DNS name)")
    labels = host.split(".")
    under_sagemaker = host == SAGEMAKER_HOSTS or host.endswith("." + SAGEMAKER_HOSTS)
    if under_sagemaker and len(labels) < SAGEMAKER_HOST_LABELS:
        raise AnsibleFilterError(
            f"{field}: {value!r} would allow every account's SageMaker hosts, and with them a foreign "
            "account's presigned Studio URL; name each host, https://<domain-id>.studio.<region>.sagemaker.aws"
        )
    return host


def _parse(field, value):
    """(filter text, host, whether subdomains are covered) of one allowlist entry."""
    if not isinstance(value, str) or not value.strip():
        raise AnsibleFilterError(f"{field}: {value!r} is not a URL or host")
    text = value.strip()
    if text == "*" or text.startswith("*."):
        hint = f"; write {text[2:]!r}, which covers its subdomains" if text.startswith("*.") else ""
        raise AnsibleFilterError(f"{field}: {value!r} is a wildcard, not an allowed URL or host{hint}")
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme not in ("http", "https"):
            raise AnsibleFilterError(f"{field}: {value!r} has scheme {scheme!r}; only http and https are allowed")
        parts = urlsplit(text)
        if parts.query or parts.fragment or "?" in text or "#" in text:
            raise AnsibleFilterError(f"{field}: {value!r} has a query or fragment; give the URL up to its path")
        if "@" in parts.netloc or re.search(r"\s", text):
            raise AnsibleFilterError(f"{field}: {value!r} is not a plain URL (credentials or white space)")
        netloc = parts.netloc.lower()
        if netloc.startswith("["):
            raise AnsibleFilterError(f"{field}: {value!r} names an IP address; DNS Firewall can only allow names")
        exact = netloc.startswith(".")
        host, _, port = netloc.lstrip(".").partition(":")
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise AnsibleFilterError(f"{field}: {value!r} has port {port!r}, not a number from 1 to 65535")
        _host(field, value, host)
        filter_text = f"{scheme}://{'.' if exact else ''}{host}{':' + port if port else ''}{parts.path}"
        return filter_text, host, not exact
    lowered = text.lower()
    if re.search(r"[/:?#@\s]", lowered):
        raise AnsibleFilterError(
            f"{field}: {value!r} is not a bare host; a path or port needs the whole URL (https://host/path)")
    exact = lowered.startswith(".")
    host = _host(field, value, lowered.lstrip("."))
    return ("." if exact else "") + host, host, not exact


def _parsed(allowed, field="allowed"):
    parsed = [_parse(f"{field}[{index}]", value) for index, value in enumerate(_entries(field, allowed))]
    if not parsed:
        raise AnsibleFilterError(
            f"{field}: the list is empty; a browser allowed nothing would not even reach the console")
    filters = sorted({filter_text for filter_text, _, _ in parsed})
    if len(filters) > MAX_URL_PATTERNS:
        raise AnsibleFilterError(
            f"{field}: {len(filters)} URL patterns, over the {MAX_URL_PATTERNS} a URL list may hold")
    return parsed, filters


def web_content_filtering_policy(allowed):
    """The portal's web content filtering: block every URL, allow ``allowed``. In the form the
    ``secure_browser_portal`` module takes (``browser_settings.web_content_filtering_policy``)."""
    _, filters = _parsed(allowed)
    return {"blocked_urls": ["*"], "allowed_urls": filters}


def chrome_browser_policy(allowed):
    """Chrome's policies for the portal (``browser_settings.browser_policy``): the same allowlist as
    ``URLAllowlist`` over a ``URLBlocklist`` of ``*``, plus developer tools off, downloads blocked and
    the other hardening of ``CHROME_HARDENING``."""
    _, filters = _parsed(allowed)
    policies = {"URLBlocklist": ["*"], "URLAllowlist": filters, **CHROME_HARDENING}
    return {"chromePolicies": {name: {"value": value} for name, value in sorted(policies.items())}}


def _firewall_names(field, names):
    rendered = set()
    for index, name in enumerate(_entries(field, names)):
        text = name.strip().lower().rstrip(".") if isinstance(name, str) else name
        if not isinstance(text, str) or not FIREWALL_DOMAIN.fullmatch(text):
            raise AnsibleFilterError(
                f"{field}[{index}]: {name!r} is not a DNS Firewall domain (a name, or *. and a name; letters, "
                "digits, hyphens and dots)")
        rendered.add(text)
    return rendered


def dns_firewall_domains(allowed, extra_names=None):
    """The browser VPC's DNS Firewall allow list for ``allowed``: each host, and ``*.host`` where the
    browser's entry covers subdomains; plus ``extra_names`` (DNS Firewall domains the pages load from
    without being navigated to), ``DEFAULT_PAGE_RESOURCE_NAMES`` when not given. Sorted, no trailing dot."""
    parsed, _ = _parsed(allowed)
    names = _firewall_names("extra_names", DEFAULT_PAGE_RESOURCE_NAMES if extra_names is None else extra_names)
    for _, host, subdomains in parsed:
        names.add(host)
        if subdomains:
            names.add(f"*.{host}")
    return sorted(names)


def _region(field, region):
    if not isinstance(region, str) or not REGION.fullmatch(region):
        raise AnsibleFilterError(f"{field}: {region!r} is not an AWS Region name")
    return region


def aws_console_urls(regions):
    """The console and sign-in pages for ``regions`` (us-east-1 always, since the Region-less names
    are served there), as allowlist entries: the Region-less landing page exactly, each Region's
    console host with its subdomains, the console hosts outside that pattern, and sign-in."""
    if isinstance(regions, str) or not isinstance(regions, (list, tuple)):
        raise AnsibleFilterError(f"regions: expected a list of AWS Region names, got {regions!r}")
    names = {_region("regions", region) for region in regions} | {"us-east-1"}
    return sorted({
        ".console.aws.amazon.com",
        "signin.aws.amazon.com",
        *(f"{region}.console.aws.amazon.com" for region in names),
        *(f"{host}.console.aws.amazon.com" for host in CONSOLE_GLOBAL_HOSTS),
    })


def default_approved_domains(region):
    """The AWS service names SageMaker needs in ``region`` (reference perimeter.md §4.2: the SageMaker
    API and runtime, Studio and notebook hosts, STS, CloudWatch Logs and metrics, ECR API and registry,
    S3 with its regional and virtual-hosted names, KMS, SSM), as DNS Firewall domains for the ML
    accounts' allow list (``perimeter_approved_domains``)."""
    region = _region("region", region)
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    exact = [
        f"api.sagemaker.{region}.{suffix}",
        f"runtime.sagemaker.{region}.{suffix}",
        f"sts.{region}.{suffix}",
        f"sts.{suffix}",
        f"logs.{region}.{suffix}",
        f"monitoring.{region}.{suffix}",
        f"api.ecr.{region}.{suffix}",
        f"kms.{region}.{suffix}",
        f"ssm.{region}.{suffix}",
    ]
    with_subdomains = [
        f"dkr.ecr.{region}.{suffix}",
        f"s3.{region}.{suffix}",
        f"s3.{suffix}",
        f"studio.{region}.sagemaker.aws",
        f"notebook.{region}.sagemaker.aws",
    ]
    return sorted({*exact, *with_subdomains, *(f"*.{name}" for name in with_subdomains)})


class FilterModule:
    def filters(self):
        return {
            "web_content_filtering_policy": web_content_filtering_policy,
            "chrome_browser_policy": chrome_browser_policy,
            "dns_firewall_domains": dns_firewall_domains,
            "aws_console_urls": aws_console_urls,
            "default_approved_domains": default_approved_domains,
        }
