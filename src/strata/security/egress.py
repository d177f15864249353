"""The egress guard: one HTTP client for outbound calls to anything not explicitly configured.

Every request (and every redirect) is resolved once; all resolved addresses must be public unless
the host or network is allow-listed; the connection goes to the pinned address (Host header and
TLS SNI keep the name), so a second DNS answer cannot swap in an internal address. Bodies and
time are capped. Configured by `SecuritySettings` (the `security` section).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx2

from strata.core.settings import SecuritySettings
from strata.security.egress_addresses import (
    IPAddress,
    blocked_name,
    blocked_reason,
    literal_address,
)
from strata.security.errors import EgressBlocked

Resolver = Callable[[str, int], list[str]]
_HINT = "Allow it in `security.egress_allow_hosts` (or `egress_allow_cidrs`) if it is intended."
_REDIRECTS = {301, 302, 303, 307, 308}


def system_resolver(host: str, port: int) -> list[str]:
    """Addresses of `host` from the operating system's resolver."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


@dataclass(frozen=True)
class Pinned:
    """A checked URL and the one address its connection will use."""

    url: httpx2.URL
    host: str
    address: IPAddress


@dataclass(frozen=True)
class EgressResponse:
    """A fully read outbound response."""

    status_code: int
    headers: httpx2.Headers
    content: bytes
    url: str

    def json(self) -> Any:
        """The body parsed as JSON."""
        import json

        return json.loads(self.content)

    @property
    def text(self) -> str:
        """The body as UTF-8 text."""
        return self.content.decode("utf-8", errors="replace")


class EgressGuard:
    """Decides whether a URL may be fetched, and pins the address it resolves to."""

    def __init__(self, settings: SecuritySettings, resolver: Resolver = system_resolver) -> None:
        self.settings = settings
        self.resolver = resolver
        self._cidrs = [ipaddress.ip_network(c, strict=False) for c in settings.egress_allow_cidrs]

    def check(self, url: str | httpx2.URL) -> Pinned:
        """Resolve `url`'s host once and return the pinned address, or raise EgressBlocked."""
        parsed = _parse(url)
        if parsed.scheme not in self.settings.egress_schemes:
            raise EgressBlocked(
                f"Outbound request to {url} refused: scheme {parsed.scheme!r} is not allowed.",
                hint=f"Use one of {', '.join(self.settings.egress_schemes)}.",
                url=str(url),
            )
        host = parsed.host.lower()
        if not host:
            raise EgressBlocked(
                f"Outbound request to {url} refused: no host.", hint="Pass a full URL."
            )
        addresses = self._addresses(host, parsed.port or _default_port(parsed.scheme), str(url))
        if self.settings.egress_enabled and not self._host_allowed(host):
            for address in addresses:
                self._refuse_internal(address, url, host)
        return Pinned(parsed, host, addresses[0])

    def _addresses(self, host: str, port: int, url: str) -> list[IPAddress]:
        literal = literal_address(host)
        if literal is not None:
            return [literal]
        if self.settings.egress_enabled and blocked_name(host) and not self._host_allowed(host):
            raise EgressBlocked(
                f"Outbound request to {url} refused: {host!r} names this machine.", hint=_HINT
            )
        try:
            found = self.resolver(host.rstrip("."), port)
        except OSError as exc:
            raise EgressBlocked(
                f"Outbound request to {url} refused: {host!r} does not resolve ({exc}).",
                hint="Check the host name.",
            ) from exc
        addresses = [a for a in (literal_address(x) for x in found) if a is not None]
        if not addresses:
            raise EgressBlocked(
                f"Outbound request to {url} refused: {host!r} has no address.",
                hint="Check the host name.",
            )
        return addresses

    def _host_allowed(self, host: str) -> bool:
        name = host.rstrip(".")
        for pattern in self.settings.egress_allow_hosts:
            pattern = pattern.lower().rstrip(".")
            if name == pattern or (pattern.startswith("*.") and name.endswith(pattern[1:])):
                return True
        return False

    def _refuse_internal(self, address: IPAddress, url: str | httpx2.URL, host: str) -> None:
        reason = blocked_reason(address)
        if reason is None or any(address in net for net in self._cidrs):
            return
        raise EgressBlocked(
            f"Outbound request to {url} refused: {host!r} is {address}, {reason}.",
            hint=_HINT,
            url=str(url),
            address=str(address),
        )


def _parse(url: str | httpx2.URL) -> httpx2.URL:
    try:
        return httpx2.URL(str(url))
    except httpx2.InvalidURL as exc:
        raise EgressBlocked(
            f"Outbound request to {url} refused: not a valid URL ({exc}).",
            hint="Pass a full http(s) URL with a host name or a plain IP address.",
        ) from exc


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _redirect_target(base: httpx2.URL, location: str) -> str:
    try:
        return str(base.join(location))
    except httpx2.InvalidURL as exc:
        raise EgressBlocked(
            f"Redirect from {base} to {location!r} refused: not a valid URL.",
            hint="The remote service sent a malformed Location header.",
        ) from exc


def pinned_request(
    client: httpx2.Client, method: str, pinned: Pinned, **kwargs: Any
) -> httpx2.Request:
    """A request to the pinned address that still names the host (Host header, TLS SNI)."""
    address = str(pinned.address)
    url = pinned.url.copy_with(host=address)
    headers = httpx2.Headers(kwargs.pop("headers", None))
    headers["Host"] = pinned.url.netloc.decode("ascii")
    extensions = {"sni_hostname": pinned.host} if pinned.url.scheme == "https" else {}
    return client.build_request(method, url, headers=headers, extensions=extensions, **kwargs)


class EgressClient:
    """The SSRF-safe HTTP client: use it for tools, connectors, webhooks and MCP over HTTP."""

    def __init__(
        self,
        settings: SecuritySettings,
        *,
        resolver: Resolver = system_resolver,
        transport: httpx2.BaseTransport | None = None,
    ) -> None:
        self.guard = EgressGuard(settings, resolver)
        self.settings = settings
        # trust_env=False: an environment proxy would connect by name and undo the pinning.
        self._client = httpx2.Client(
            timeout=settings.egress_timeout_s, trust_env=False, transport=transport
        )

    def __enter__(self) -> EgressClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def get(self, url: str, **kwargs: Any) -> EgressResponse:
        """GET `url` through the guard."""
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> EgressResponse:
        """POST to `url` through the guard."""
        return self.request("POST", url, **kwargs)

    def request(
        self, method: str, url: str, *, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> EgressResponse:
        """Send a request, re-checking every redirect, within the size and time caps."""
        deadline = time.monotonic() + self.settings.egress_timeout_s
        current = url
        for _hop in range(self.settings.egress_max_redirects + 1):
            pinned = self.guard.check(current)
            request = pinned_request(self._client, method, pinned, headers=headers, **kwargs)
            response = self._send(request, pinned, deadline)
            if response.status_code not in _REDIRECTS or "location" not in response.headers:
                return response
            current = _redirect_target(pinned.url, response.headers["location"])
            if response.status_code in (301, 302, 303) and method != "HEAD":
                method, kwargs = "GET", {}
        raise EgressBlocked(
            f"Outbound request to {url} refused: more than "
            f"{self.settings.egress_max_redirects} redirects.",
            hint="Call the final URL directly, or raise `security.egress_max_redirects`.",
        )

    def _send(self, request: httpx2.Request, pinned: Pinned, deadline: float) -> EgressResponse:
        response = self._client.send(request, stream=True, follow_redirects=False)
        try:
            body = _read_capped(response, self.settings.egress_max_bytes, deadline, pinned)
        finally:
            response.close()
        return EgressResponse(response.status_code, response.headers, body, str(pinned.url))


def _read_capped(response: httpx2.Response, limit: int, deadline: float, pinned: Pinned) -> bytes:
    """The body, refusing more than `limit` bytes or reading past the deadline."""
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise EgressBlocked(
            f"Response from {pinned.url} is {declared} bytes, over the {limit}-byte cap.",
            hint="Raise `security.egress_max_bytes` if this size is expected.",
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise EgressBlocked(
                f"Response from {pinned.url} exceeded the {limit}-byte cap.",
                hint="Raise `security.egress_max_bytes` if this size is expected.",
            )
        if time.monotonic() > deadline:
            raise EgressBlocked(
                f"Response from {pinned.url} took longer than the egress time cap.",
                hint="Raise `security.egress_timeout_s` if the service is slow.",
            )
        chunks.append(chunk)
    return b"".join(chunks)
