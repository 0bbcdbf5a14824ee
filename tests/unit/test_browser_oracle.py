"""The browser URL oracle against Chrome's URL filter format (secure_browser.md §6.2, §6.3)."""

import json

import pytest

from support import browser_oracle

STUDIO = "d-abc123example.studio.eu-west-1.sagemaker.aws"


@pytest.mark.parametrize(("blocklist", "allowlist", "url", "blocked"), [
    (["*"], ["aws.amazon.com"], "https://console.aws.amazon.com/sagemaker", False),   # subdomains match
    (["*"], ["aws.amazon.com"], "https://aws.amazon.com/", False),
    (["*"], ["aws.amazon.com"], "https://files.attacker.example/upload", True),
    (["*"], ["aws.amazon.com"], "https://notaws.amazon.com.attacker.example/", True),
    (["*"], ["." + STUDIO], f"https://{STUDIO}/jupyterlab/default", False),           # leading dot: that host only
    (["*"], ["." + STUDIO], "https://d-attacker0000.studio.eu-west-1.sagemaker.aws/", True),
    (["*"], ["." + STUDIO], f"https://sub.{STUDIO}/", True),
    (["*"], ["sagemaker.aws"], "https://d-attacker0000.studio.eu-west-1.sagemaker.aws/", False),
    (["aws.amazon.com"], ["console.aws.amazon.com"], "https://console.aws.amazon.com/", False),  # more specific
    (["console.aws.amazon.com"], ["aws.amazon.com"], "https://console.aws.amazon.com/", True),
    (["example.com"], ["example.com"], "https://example.com/", False),                          # tie: allow wins
    (["example.com/private"], [], "https://example.com/private/x", True),                       # path prefix
    (["example.com/private"], [], "https://example.com/public", False),
    (["https://example.com"], [], "http://example.com/", False),                                # scheme
    (["example.com:8443"], [], "https://example.com:8443/", True),                              # port
    (["example.com:8443"], [], "https://example.com/", False),
    ([], [], "https://anything.example/", False),                                               # no filter
])
def test_chrome_url_filter(blocklist, allowlist, url, blocked):
    verdict = browser_oracle.decide_layer("test", url, blocklist, allowlist)
    assert verdict.blocked is blocked, verdict.explain()


def settings(content=None, chrome=None):
    browser_settings = {"browserSettingsArn": "arn:aws:workspaces-web:eu-west-1:111111111111:browserSettings/x"}
    if content is not None:
        browser_settings["webContentFilteringPolicy"] = content
    if chrome is not None:
        browser_settings["browserPolicy"] = json.dumps({"chromePolicies": chrome})
    return browser_settings


ALLOW_AWS = {"blockedUrls": ["*"], "allowedUrls": ["aws.amazon.com"]}
CHROME_ALLOW_AWS = {"URLBlocklist": {"value": ["*"]}, "URLAllowlist": {"value": ["aws.amazon.com"]}}


@pytest.mark.parametrize(("browser_settings", "url", "blocked"), [
    (settings(), "https://files.attacker.example/", False),
    (settings(content=ALLOW_AWS), "https://files.attacker.example/", True),
    (settings(chrome=CHROME_ALLOW_AWS), "https://files.attacker.example/", True),
    (settings(content=ALLOW_AWS, chrome=CHROME_ALLOW_AWS), "https://console.aws.amazon.com/", False),
    # either layer blocking is enough
    (settings(content={"blockedUrls": ["attacker.example"]}), "https://files.attacker.example/", True),
    # the service's baseline always blocks the instance metadata service
    (settings(), "http://169.254.169.254/latest/meta-data/", True),
])
def test_browser_settings(browser_settings, url, blocked):
    verdict = browser_oracle.decide(url, browser_settings)
    assert verdict.blocked is blocked, verdict.explain()


def test_explanation_names_the_deciding_filter_per_layer():
    verdict = browser_oracle.decide("https://files.attacker.example/", settings(content=ALLOW_AWS))
    assert verdict.explain() == (
        "https://files.attacker.example/: webContentFilteringPolicy: blocked by '*'; "
        "Chrome URL policy: no filter matches (allowed)"
    )
