"""The collection's browser URL filtering, held to the test suite's oracle over generated settings."""

import json
import random

import pytest
from ansible_collections.mlperimeter.aws.plugins.module_utils import browser_evaluation as browser

from support import browser_oracle

FILTERS = [
    "*", "aws.amazon.com", ".aws.amazon.com", "console.aws.amazon.com", ".console.aws.amazon.com",
    "signin.aws.amazon.com", "https://attacker.example", "attacker.example", "files.attacker.example/upload",
    "https://files.attacker.example/up", "sagemaker.aws", ".d-ourstudio0001.studio.us-east-1.sagemaker.aws",
    "studio.us-east-1.sagemaker.aws", "http://*", "https://*", "example.com:8443", "example.com:8443/admin",
    "javascript:*", "file://", "http://169.254.169.254", "[fd00:ec2::254]", "mlperimeter-local.awsapps.com/start",
    "awsapps.com", "docs.aws.amazon.com/sagemaker",
]
URLS = [
    "https://console.aws.amazon.com/console/home", "https://us-east-1.console.aws.amazon.com/sagemaker/home",
    "https://signin.aws.amazon.com/oauth", "https://aws.amazon.com/", "https://docs.aws.amazon.com/sagemaker/latest",
    "https://files.attacker.example/upload", "http://files.attacker.example/upload/x", "https://attacker.example",
    "https://d-attacker00000.studio.us-east-1.sagemaker.aws/jupyterlab/default/lab",
    "https://d-ourstudio0001.studio.us-east-1.sagemaker.aws/jupyterlab", "https://example.com:8443/admin/users",
    "https://example.com/admin", "http://169.254.169.254/latest/meta-data", "http://[fd00:ec2::254]/latest",
    "file:///etc/passwd", "file:///home/as2-streaming-user/MyFiles/TemporaryFiles/report.csv",
    "javascript:alert(1)", "https://mlperimeter-local.awsapps.com/start/#/", "https://evil.awsapps.com/start",
]


def _settings(rng):
    settings = {"browserSettingsArn": "arn:aws:workspaces-web:us-east-1:111111111111:browserSettings/b"}
    if rng.random() < 0.8:
        content = {key: rng.sample(FILTERS, rng.randint(1, 4)) for key in ("blockedUrls", "allowedUrls")
                   if rng.random() < 0.8}
        settings["webContentFilteringPolicy"] = content
    if rng.random() < 0.8:
        policies = {name: {"value": rng.sample(FILTERS, rng.randint(0, 4))}
                    for name in ("URLBlocklist", "URLAllowlist") if rng.random() < 0.8}
        policies["DownloadRestrictions"] = {"value": 3}
        settings["browserPolicy"] = json.dumps({"chromePolicies": policies})
    return settings


def _layers(decision):
    return [(layer.layer, layer.blocked, layer.deciding_filter) for layer in decision.layers]


@pytest.mark.parametrize("seed", range(6))
def test_agrees_with_the_oracle_on_generated_settings(seed):
    rng = random.Random(seed)
    disagreements, outcomes = [], set()
    for _ in range(150):
        settings, url = _settings(rng), rng.choice(URLS)
        ours, theirs = browser.decide_url(url, settings), browser_oracle.decide(url, settings)
        if (_layers(ours), ours.blocked) != (_layers(theirs), theirs.blocked):
            disagreements.append((url, settings, _layers(ours), _layers(theirs)))
        outcomes |= {(layer.blocked, layer.deciding_filter is None) for layer in ours.layers}
    assert not disagreements, disagreements[:2]
    assert outcomes == {(True, False), (False, False), (False, True)}  # blocked, allowed, and unmatched


ALLOWLIST = ["aws.amazon.com", ".d-ourstudio0001.studio.us-east-1.sagemaker.aws", "mlperimeter-local.awsapps.com/start"]
LOCKED = {
    "webContentFilteringPolicy": {"blockedUrls": ["*"], "allowedUrls": ALLOWLIST},
    "browserPolicy": json.dumps({"chromePolicies": {"URLBlocklist": {"value": ["*"]},
                                                    "URLAllowlist": {"value": ALLOWLIST}}}),
}


@pytest.mark.parametrize(("url", "blocked"), [
    ("https://us-east-1.console.aws.amazon.com/sagemaker/home", False),   # a host covers its subdomains
    ("https://d-ourstudio0001.studio.us-east-1.sagemaker.aws/jupyterlab", False),
    ("https://sub.d-ourstudio0001.studio.us-east-1.sagemaker.aws/", True),  # a leading dot: that host only
    ("https://d-attacker00000.studio.us-east-1.sagemaker.aws/jupyterlab/default/lab", True),
    ("https://files.attacker.example/upload", True),
    ("https://mlperimeter-local.awsapps.com/start/#/", False),
    ("https://mlperimeter-local.awsapps.com/admin", True),               # the path narrows the filter
])
def test_block_everything_allow_a_list(url, blocked):
    assert browser.decide_url(url, LOCKED).blocked is blocked


def test_either_layer_blocks():
    chrome_only = {"webContentFilteringPolicy": {"allowedUrls": ["attacker.example"]},
                   "browserPolicy": json.dumps({"chromePolicies": {"URLBlocklist": {"value": ["attacker.example"]}}})}
    decision = browser.decide_url("https://files.attacker.example/upload", chrome_only)
    assert decision.blocked
    assert decision.explain() == ("https://files.attacker.example/upload: webContentFilteringPolicy: allowed by "
                                  "'attacker.example'; Chrome URL policy: blocked by 'attacker.example'")


def test_the_service_baseline_blocks_instance_metadata_under_an_allow_everything_policy():
    open_settings = {"browserPolicy": json.dumps({"chromePolicies": {"URLAllowlist": {"value": ["*"]}}})}
    decision = browser.decide_url("http://169.254.169.254/latest/meta-data", open_settings)
    assert decision.blocked and decision.layers[1].deciding_filter == "http://169.254.169.254"


def test_the_allow_list_wins_a_tie():
    tie = {"webContentFilteringPolicy": {"blockedUrls": ["attacker.example"], "allowedUrls": ["attacker.example"]}}
    assert not browser.decide_url("https://attacker.example/", tie).blocked
