"""Whether WorkSpaces Secure Browser lets a user open a URL, from its browser settings.

Both URL layers use Chrome's URL filter format ``[scheme://][.]host[:port][/path]``: a
host matches itself and its subdomains, a leading ``.`` matches the host only, ``*``
matches everything; the most specific filter wins (longest host, then longest path) and
the allow list wins a tie. The layers are the ``webContentFilteringPolicy`` lists and
Chrome's ``URLBlocklist``/``URLAllowlist`` in ``browserPolicy`` (with the baseline the
service always adds); a URL is blocked when either layer blocks it. Content categories
are not evaluated: they cannot be decided offline, and the perimeter does not rely on them.
"""

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

BASELINE_BLOCKLIST = ("file://", "http://169.254.169.254", "http://[fd00:ec2::254]")
BASELINE_ALLOWLIST = ("file:///home/as2-streaming-user/MyFiles/TemporaryFiles", "file:///opt/appstream/tmp/TemporaryFiles")


@dataclass(frozen=True)
class Filter:
    scheme: str
    host: str
    exact_host: bool
    port: int | None
    path: str
    text: str

    def specificity(self):
        return (0 if self.host == "*" else len(self.host), len(self.path))


def parse_filter(text):
    rest = text.strip()
    scheme = ""
    if "://" in rest:
        scheme, rest = rest.split("://", 1)
    elif rest.endswith(":*"):
        return Filter(rest[:-2].lower(), "*", False, None, "", text)
    rest = rest.split("@", 1)[0]
    host_port, _, path = rest.partition("/")
    exact = host_port.startswith(".")
    host_port = host_port.lstrip(".")
    port = None
    if host_port.startswith("["):
        host, _, after = host_port[1:].partition("]")
        port = int(after[1:]) if after.startswith(":") and after[1:].isdigit() else None
    else:
        host, _, port_text = host_port.partition(":")
        port = int(port_text) if port_text.isdigit() else None
    return Filter(scheme.lower(), (host or "*").lower(), exact, port, "/" + path if path else "", text)


def filter_matches(url_filter, url):
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if url_filter.scheme and url_filter.scheme != parts.scheme.lower():
        return False
    if url_filter.host != "*":
        if url_filter.exact_host and host != url_filter.host:
            return False
        if not url_filter.exact_host and host != url_filter.host and not host.endswith("." + url_filter.host):
            return False
    if url_filter.port is not None and url_filter.port != parts.port:
        return False
    return (parts.path or "/").startswith(url_filter.path or "/")


@dataclass(frozen=True)
class LayerVerdict:
    layer: str
    blocked: bool
    deciding_filter: str | None

    def explain(self):
        if self.deciding_filter is None:
            return f"{self.layer}: no filter matches (allowed)"
        return f"{self.layer}: {'blocked' if self.blocked else 'allowed'} by {self.deciding_filter!r}"


def decide_layer(layer, url, blocklist, allowlist):
    best = None
    for allows, entries in ((False, blocklist), (True, allowlist)):
        for entry in entries:
            url_filter = parse_filter(entry)
            if not filter_matches(url_filter, url):
                continue
            rank = (url_filter.specificity(), allows)
            if best is None or rank > best[0]:
                best = (rank, allows, entry)
    if best is None:
        return LayerVerdict(layer, False, None)
    return LayerVerdict(layer, not best[1], best[2])


@dataclass(frozen=True)
class BrowseVerdict:
    url: str
    layers: tuple

    @property
    def blocked(self):
        return any(layer.blocked for layer in self.layers)

    def explain(self):
        return f"{self.url}: " + "; ".join(layer.explain() for layer in self.layers)


def chrome_policies(browser_settings):
    text = browser_settings.get("browserPolicy") or "{}"
    return json.loads(text).get("chromePolicies", {})


def decide(url, browser_settings):
    """Whether the portal's browser settings (a ``GetBrowserSettings`` ``browserSettings``) block ``url``."""
    content = browser_settings.get("webContentFilteringPolicy") or {}
    policies = chrome_policies(browser_settings)
    chrome_block = [*BASELINE_BLOCKLIST, *policies.get("URLBlocklist", {}).get("value", ())]
    chrome_allow = [*BASELINE_ALLOWLIST, *policies.get("URLAllowlist", {}).get("value", ())]
    return BrowseVerdict(url, (
        decide_layer("webContentFilteringPolicy", url, content.get("blockedUrls", ()), content.get("allowedUrls", ())),
        decide_layer("Chrome URL policy", url, chrome_block, chrome_allow),
    ))
