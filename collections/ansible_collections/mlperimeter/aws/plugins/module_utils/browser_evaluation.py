"""Whether WorkSpaces Secure Browser opens a URL, from the portal's browser settings.

Two layers filter what a session may open, and a URL is blocked when either blocks it: the
``webContentFilteringPolicy`` URL lists and Chrome's ``URLBlocklist``/``URLAllowlist`` policies in
``browserPolicy``, to which the service always adds its baseline (blocking ``file://`` and the
instance metadata addresses, allowing the session's download folders). Both use Chrome's URL filter
format ``[scheme://][.]host[:port][/path]``: a host matches itself and its subdomains, a leading
``.`` the host alone, ``*`` every host; ``scheme:*`` matches every URL of a scheme. The most
specific filter that matches decides (the longest host, then the longest path) and the allow list
wins a tie. Content categories are not evaluated: they cannot be decided offline, and the perimeter
does not rely on them.
"""

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

SERVICE_BASELINE_BLOCKLIST = ("file://", "http://169.254.169.254", "http://[fd00:ec2::254]")
SERVICE_BASELINE_ALLOWLIST = (
    "file:///home/as2-streaming-user/MyFiles/TemporaryFiles",
    "file:///opt/appstream/tmp/TemporaryFiles",
)
ANY_HOST = "*"


@dataclass(frozen=True)
class UrlFilter:
    text: str
    scheme: str
    host: str
    host_only: bool
    port: int | None
    path: str

    @property
    def specificity(self):
        return (0 if self.host == ANY_HOST else len(self.host), len(self.path))


def _port(text):
    return int(text) if text.isdigit() else None


def parse_url_filter(text):
    """A :class:`UrlFilter` from one entry of a URL list."""
    rest = text.strip()
    scheme = ""
    if "://" in rest:
        scheme, rest = rest.split("://", 1)
    elif rest.endswith(":*"):
        return UrlFilter(text, rest[:-2].lower(), ANY_HOST, False, None, "")
    rest = rest.split("@", 1)[0]
    authority, _, path = rest.partition("/")
    host_only = authority.startswith(".")
    authority = authority.lstrip(".")
    if authority.startswith("["):
        host, _, after = authority[1:].partition("]")
        port = _port(after[1:]) if after.startswith(":") else None
    else:
        host, _, port_text = authority.partition(":")
        port = _port(port_text)
    return UrlFilter(text, scheme.lower(), host.lower() or ANY_HOST, host_only, port, "/" + path if path else "")


def _host_matches(url_filter, host):
    if url_filter.host == ANY_HOST:
        return True
    if url_filter.host_only:
        return host == url_filter.host
    return host == url_filter.host or host.endswith("." + url_filter.host)


def url_filter_matches(url_filter, url):
    parts = urlsplit(url)
    if url_filter.scheme and url_filter.scheme != parts.scheme.lower():
        return False
    if not _host_matches(url_filter, (parts.hostname or "").lower()):
        return False
    if url_filter.port is not None and url_filter.port != parts.port:
        return False
    return (parts.path or "/").startswith(url_filter.path or "/")


@dataclass(frozen=True)
class LayerDecision:
    layer: str
    blocked: bool
    deciding_filter: str | None

    def explain(self):
        if self.deciding_filter is None:
            return f"{self.layer}: no filter matches (allowed)"
        return f"{self.layer}: {'blocked' if self.blocked else 'allowed'} by {self.deciding_filter!r}"


def decide_layer(layer, url, blocklist, allowlist):
    """One layer's decision: the most specific matching filter wins, the allow list on a tie."""
    best = None
    for allows, entries in ((False, blocklist), (True, allowlist)):
        for entry in entries or ():
            url_filter = parse_url_filter(entry)
            if url_filter_matches(url_filter, url):
                rank = (url_filter.specificity, allows)
                if best is None or rank > best[0]:
                    best = (rank, entry)
    if best is None:
        return LayerDecision(layer, False, None)
    (_, allows), entry = best
    return LayerDecision(layer, not allows, entry)


@dataclass(frozen=True)
class UrlDecision:
    url: str
    layers: tuple

    @property
    def blocked(self):
        return any(layer.blocked for layer in self.layers)

    def explain(self):
        return f"{self.url}: " + "; ".join(layer.explain() for layer in self.layers)


def chrome_policies(browser_policy):
    """The ``chromePolicies`` of a ``browserPolicy`` string (``{}`` when there is none)."""
    return json.loads(browser_policy or "{}").get("chromePolicies", {})


def _policy_list(policies, name):
    return list(policies.get(name, {}).get("value") or ())


def decide_url(url, browser_settings):
    """Whether a ``GetBrowserSettings`` ``browserSettings`` blocks ``url``, layer by layer."""
    content = browser_settings.get("webContentFilteringPolicy") or {}
    policies = chrome_policies(browser_settings.get("browserPolicy"))
    return UrlDecision(url, (
        decide_layer("webContentFilteringPolicy", url, content.get("blockedUrls"), content.get("allowedUrls")),
        decide_layer("Chrome URL policy", url,
                     [*SERVICE_BASELINE_BLOCKLIST, *_policy_list(policies, "URLBlocklist")],
                     [*SERVICE_BASELINE_ALLOWLIST, *_policy_list(policies, "URLAllowlist")]),
    ))
