"""The browser allowlist rendered for the portal, Chrome and DNS Firewall, decided by the project's browser
and DNS oracles; the ML accounts' default approved domains; bad input."""

import json

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.mlperimeter.aws.plugins.filter import browser_allowlist
from ansible_collections.mlperimeter.aws.plugins.filter.browser_allowlist import (
    DEFAULT_PAGE_RESOURCE_NAMES,
    aws_console_urls,
    chrome_browser_policy,
    default_approved_domains,
    dns_firewall_domains,
    web_content_filtering_policy,
)
from ansible_collections.mlperimeter.aws.plugins.module_utils.secure_browser import (
    URL_PATTERN,
    validate_browser_policy,
)

from support import browser_oracle, dns_oracle
from support.matrix_state import ATTACKER_DOMAIN, ATTACKER_URL, FOREIGN_STUDIO_URL

REGION = "eu-west-1"
STUDIO = f"https://d-ourstudio0001.studio.{REGION}.sagemaker.aws"
IDENTITY_PROVIDER = "https://d-9067c1a2b3.awsapps.com/start"
ALLOWED = [*aws_console_urls([REGION]), IDENTITY_PROVIDER, STUDIO, "docs.aws.amazon.com"]


def _browser_settings(allowed):
    content = web_content_filtering_policy(allowed)
    return {
        "webContentFilteringPolicy": {"blockedUrls": content["blocked_urls"], "allowedUrls": content["allowed_urls"]},
        "browserPolicy": json.dumps(chrome_browser_policy(allowed)),
    }


SETTINGS = _browser_settings(ALLOWED)

BROWSE = {
    "a non-AWS site": (ATTACKER_URL, True),
    "a foreign account's Studio host": (FOREIGN_STUDIO_URL, True),
    "a foreign presigned Studio URL": (f"https://d-attacker00000.studio.{REGION}.sagemaker.aws/auth?token=x", True),
    "the notebook host of a foreign account": (f"https://attacker.notebook.{REGION}.sagemaker.aws/tree", True),
    "the console landing page": ("https://console.aws.amazon.com/console/home", False),
    "the console in the inventory's Region": (f"https://{REGION}.console.aws.amazon.com/sagemaker/home", False),
    "a service console under the Region's host": (f"https://s3.{REGION}.console.aws.amazon.com/s3/buckets", False),
    "the S3 console": ("https://s3.console.aws.amazon.com/s3/home", False),
    "the console in another Region": ("https://ap-south-1.console.aws.amazon.com/ec2/home", True),
    "a console-looking subdomain of the landing host": ("https://evil.console.aws.amazon.com/", True),
    "sign-in": ("https://signin.aws.amazon.com/oauth", False),
    "regional sign-in": (f"https://{REGION}.signin.aws.amazon.com/oauth", False),
    "the identity provider's portal": (IDENTITY_PROVIDER + "/#/", False),
    "another page of the identity provider's host": ("https://d-9067c1a2b3.awsapps.com/admin", True),
    "another Identity Center portal": ("https://d-attacker01.awsapps.com/start", True),
    "the registered Studio host": (f"{STUDIO}/jupyterlab/default/lab", False),
    "the registered Studio host over http": (f"http://d-ourstudio0001.studio.{REGION}.sagemaker.aws/", True),
    "a bare host with its subdomains": ("https://docs.aws.amazon.com/sagemaker/latest/dg/", False),
    "the instance metadata service": ("http://169.254.169.254/latest/meta-data/", True),
}


@pytest.mark.parametrize("name", list(BROWSE))
def test_browser_oracle_decides_as_expected(name):
    url, blocked = BROWSE[name]
    verdict = browser_oracle.decide(url, SETTINGS)
    assert verdict.blocked == blocked, verdict.explain()
    if blocked:
        assert all(layer.blocked for layer in verdict.layers), verdict.explain()


def _firewall(allowed, extra_names=None):
    rules = (
        dns_oracle.Rule(100, dns_oracle.ALLOW, tuple(dns_firewall_domains(allowed, extra_names)), name="allowed"),
        dns_oracle.Rule(200, dns_oracle.BLOCK, ("*",), name="everything", block_response="NXDOMAIN"),
    )
    return [dns_oracle.Association(9000, rules, name="browser-allowlist")]


FIREWALL = _firewall(ALLOWED)

RESOLVE = {
    "the attacker's upload host": (f"upload.{ATTACKER_DOMAIN}", False),
    "a foreign Studio host": (f"d-attacker00000.studio.{REGION}.sagemaker.aws", False),
    "an S3 bucket's name": ("attacker-exfil-drop.s3.amazonaws.com", False),
    "the console": ("console.aws.amazon.com", True),
    "a console subdomain": ("evil.console.aws.amazon.com", False),
    "the Region's console": (f"{REGION}.console.aws.amazon.com", True),
    "a subdomain of the Region's console": (f"s3.{REGION}.console.aws.amazon.com", True),
    "sign-in and its Regional host": (f"{REGION}.signin.aws.amazon.com", True),
    "the registered Studio host": (f"d-ourstudio0001.studio.{REGION}.sagemaker.aws", True),
    "a subdomain of the registered Studio host": (f"app.d-ourstudio0001.studio.{REGION}.sagemaker.aws", True),
    "the identity provider's host": ("d-9067c1a2b3.awsapps.com", True),
    "another Identity Center portal": ("d-attacker01.awsapps.com", False),
    "console static content": ("a.b.cdn.console.awsstatic.com", True),
    "console components": ("prod.log.shortbread.analytics.console.aws.a2z.com", True),
}


@pytest.mark.parametrize("name", list(RESOLVE))
def test_dns_oracle_decides_as_expected(name):
    query, resolves = RESOLVE[name]
    verdict = dns_oracle.decide(FIREWALL, query)
    assert verdict.resolves == resolves, verdict.explain()


def test_extra_names_replace_the_default_list():
    firewall = _firewall(ALLOWED, extra_names=["*.oktacdn.com"])
    assert dns_oracle.decide(firewall, "ok12static.oktacdn.com").resolves
    assert not dns_oracle.decide(firewall, "a.b.cdn.console.awsstatic.com").resolves
    assert dns_firewall_domains([".console.aws.amazon.com"], extra_names=[]) == ["console.aws.amazon.com"]


def test_renderings():
    allowed = ["Example.COM", ".exact.example.org", "https://d-ourstudio0001.studio.eu-west-1.sagemaker.aws",
               "https://portal.example.net:8443/start", "example.com"]
    assert web_content_filtering_policy(allowed) == {"blocked_urls": ["*"], "allowed_urls": [
        ".exact.example.org", "example.com", "https://d-ourstudio0001.studio.eu-west-1.sagemaker.aws",
        "https://portal.example.net:8443/start"]}
    policy = chrome_browser_policy(allowed)["chromePolicies"]
    assert policy["URLBlocklist"] == {"value": ["*"]}
    assert policy["URLAllowlist"] == {"value": web_content_filtering_policy(allowed)["allowed_urls"]}
    assert policy["DeveloperToolsAvailability"] == {"value": 2}
    assert policy["DownloadRestrictions"] == {"value": 3}
    assert list(policy) == sorted(policy)
    assert dns_firewall_domains(allowed, extra_names=[]) == [
        "*.d-ourstudio0001.studio.eu-west-1.sagemaker.aws", "*.example.com", "*.portal.example.net",
        "d-ourstudio0001.studio.eu-west-1.sagemaker.aws", "exact.example.org", "example.com", "portal.example.net"]
    assert dns_firewall_domains(allowed) == sorted(
        {*dns_firewall_domains(allowed, extra_names=[]), *DEFAULT_PAGE_RESOURCE_NAMES})


def test_renderings_are_deterministic():
    assert chrome_browser_policy(list(reversed(ALLOWED))) == chrome_browser_policy(ALLOWED)
    assert dns_firewall_domains(list(reversed(ALLOWED))) == dns_firewall_domains(ALLOWED)


def test_renderings_pass_the_portal_modules_validation():
    for pattern in web_content_filtering_policy(ALLOWED)["allowed_urls"]:
        assert URL_PATTERN.fullmatch(pattern), pattern
    assert validate_browser_policy("browser_settings.browser_policy", chrome_browser_policy(ALLOWED)) == []


def test_console_urls_cover_every_region_and_us_east_1():
    urls = aws_console_urls(["eu-central-1", REGION, REGION])
    assert urls == sorted(urls)
    assert {"eu-central-1.console.aws.amazon.com", f"{REGION}.console.aws.amazon.com",
            "us-east-1.console.aws.amazon.com", ".console.aws.amazon.com", "signin.aws.amazon.com"} <= set(urls)


def test_default_approved_domains_name_what_sagemaker_needs():
    domains = default_approved_domains(REGION)
    assert domains == sorted(domains)
    for name in (f"api.sagemaker.{REGION}.amazonaws.com", f"runtime.sagemaker.{REGION}.amazonaws.com",
                 f"sts.{REGION}.amazonaws.com", f"logs.{REGION}.amazonaws.com", f"monitoring.{REGION}.amazonaws.com",
                 f"api.ecr.{REGION}.amazonaws.com", f"*.dkr.ecr.{REGION}.amazonaws.com", f"s3.{REGION}.amazonaws.com",
                 f"*.s3.{REGION}.amazonaws.com", "*.s3.amazonaws.com", f"kms.{REGION}.amazonaws.com",
                 f"ssm.{REGION}.amazonaws.com", f"*.studio.{REGION}.sagemaker.aws",
                 f"*.notebook.{REGION}.sagemaker.aws"):
        assert name in domains
    firewall = [dns_oracle.Association(9000, (
        dns_oracle.Rule(100, dns_oracle.ALLOW, tuple(domains)), dns_oracle.Rule(200, dns_oracle.BLOCK, ("*",))))]
    assert dns_oracle.decide(firewall, f"123456789012.dkr.ecr.{REGION}.amazonaws.com").resolves
    assert dns_oracle.decide(firewall, f"ml-data.s3.{REGION}.amazonaws.com").resolves
    assert not dns_oracle.decide(firewall, f"upload.{ATTACKER_DOMAIN}").resolves
    assert not dns_oracle.decide(firewall, f"x.t.{ATTACKER_DOMAIN}", "TXT").resolves
    assert not dns_oracle.decide(firewall, "api.sagemaker.us-east-1.amazonaws.com").resolves
    assert "api.sagemaker.cn-north-1.amazonaws.com.cn" in default_approved_domains("cn-north-1")


BAD_ALLOWED = {
    "not a list": ("console.aws.amazon.com", "allowed: expected a list"),
    "empty": ([], "allowed: the list is empty"),
    "everything": (["*"], "allowed[0]: '*' is a wildcard"),
    "a Chrome-less wildcard": (["*.example.com"], "write 'example.com', which covers its subdomains"),
    "every Studio host": (["sagemaker.aws"], "would allow every account's SageMaker hosts"),
    "every Studio host of a Region": ([f"https://studio.{REGION}.sagemaker.aws"],
                                      "would allow every account's SageMaker hosts"),
    "ftp": (["ftp://files.example.com/"], "has scheme 'ftp'; only http and https"),
    "javascript": (["javascript://example.com"], "has scheme 'javascript'"),
    "path on a bare host": (["example.com/upload"], "is not a bare host; a path or port needs the whole URL"),
    "port on a bare host": (["example.com:8443"], "is not a bare host"),
    "query string": (["https://example.com/start?x=1"], "has a query or fragment"),
    "credentials": (["https://user@example.com/"], "is not a plain URL"),
    "IP address": (["203.0.113.10"], "names an IP address"),
    "IP address in a URL": (["https://203.0.113.10/"], "names an IP address"),
    "IPv6 address in a URL": (["https://[2001:db8::1]/"], "names an IP address"),
    "single label": (["intranet"], "'intranet' is not a DNS name"),
    "bad port": (["https://example.com:99999/"], "has port '99999'"),
    "underscore host": (["https://my_host.example.com/"], "is not a DNS name"),
    "not a string": ([42], "allowed[0]: 42 is not a URL or host"),
    "second entry named": (["example.com", "exa mple.com"], "allowed[1]: 'exa mple.com'"),
    "too many": ([f"host{n}.example.com" for n in range(1001)], "over the 1000 a URL list may hold"),
}


@pytest.mark.parametrize("name", list(BAD_ALLOWED))
@pytest.mark.parametrize("render", [web_content_filtering_policy, chrome_browser_policy, dns_firewall_domains])
def test_bad_allowed_entries_are_refused_naming_the_field_and_value(name, render):
    allowed, message = BAD_ALLOWED[name]
    with pytest.raises(AnsibleFilterError) as raised:
        render(allowed)
    assert message in str(raised.value)


BAD_OTHER = {
    "extra name with a path": (lambda: dns_firewall_domains(ALLOWED, ["cdn.example.com/x"]),
                               "extra_names[0]: 'cdn.example.com/x' is not a DNS Firewall domain"),
    "extra name wildcard in the middle": (lambda: dns_firewall_domains(ALLOWED, ["a.*.example.com"]),
                                          "extra_names[0]: 'a.*.example.com'"),
    "extra names as a string": (lambda: dns_firewall_domains(ALLOWED, "cdn.example.com"),
                                "extra_names: expected a list"),
    "bare * as an extra name": (lambda: dns_firewall_domains(ALLOWED, ["*"]), "extra_names[0]: '*'"),
    "console Regions as a string": (lambda: aws_console_urls(REGION), "regions: expected a list"),
    "malformed console Region": (lambda: aws_console_urls(["Ireland"]), "regions: 'Ireland' is not an AWS Region"),
    "malformed approved-domain Region": (lambda: default_approved_domains("eu_west_1"),
                                         "region: 'eu_west_1' is not an AWS Region"),
}


@pytest.mark.parametrize("name", list(BAD_OTHER))
def test_other_bad_input_is_refused(name):
    call, message = BAD_OTHER[name]
    with pytest.raises(AnsibleFilterError) as raised:
        call()
    assert message in str(raised.value)


def test_filters_are_exported():
    filters = browser_allowlist.FilterModule().filters()
    assert set(filters) == {"web_content_filtering_policy", "chrome_browser_policy", "dns_firewall_domains",
                            "aws_console_urls", "default_approved_domains"}
