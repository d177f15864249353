"""Which addresses outbound requests may reach: only global unicast, never internal ranges.

Covers IPv4, IPv6 and IPv6 forms that embed an IPv4 address (v4-mapped, 6to4, NAT64, Teredo),
and the legacy numeric spellings (`2130706433`, `0x7f.1`, `0177.0.0.1`) that resolvers accept.
"""

from __future__ import annotations

import ipaddress
import re
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services: link-local or carrier-grade NAT, listed so the reason is explicit.
METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LEGACY_V4 = re.compile(r"^[0-9a-fA-FxX.]+$")
BLOCKED_NAMES = ("localhost", "localhost.localdomain", "metadata.google.internal")


def literal_address(host: str) -> IPAddress | None:
    """The address a host spelled as an IP literal means (any legacy IPv4 form), or None."""
    bare = host.strip("[]")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if _LEGACY_V4.match(bare) and any(ch.isdigit() for ch in bare):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(bare))
        except OSError:
            return None
    return None


def embedded_v4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside a v4-mapped, 6to4, NAT64 or Teredo IPv6 address."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def blocked_reason(address: IPAddress) -> str | None:
    """Why `address` may not be reached (None when it is a public unicast address)."""
    inner = embedded_v4(address)
    if inner is not None:
        reason = blocked_reason(inner)
        return f"{reason} (embedded in {address})" if reason else None
    if address in METADATA:
        return "a cloud metadata address"
    checks = (
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_private", "a private address"),
        ("is_multicast", "a multicast address"),
        ("is_unspecified", "the unspecified address"),
        ("is_reserved", "a reserved address"),
    )
    for attribute, reason in checks:
        if getattr(address, attribute):
            return reason
    return None if address.is_global else "not a public address"


def blocked_name(host: str) -> bool:
    """True for names that always mean this machine or a metadata service."""
    name = host.lower().rstrip(".")
    return any(name == n or name.endswith("." + n) for n in BLOCKED_NAMES)
