"""The egress guard: an SSRF payload corpus with zero bypasses, redirects re-checked, caps."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from strata.core.settings import SecuritySettings
from strata.security.egress import EgressClient, EgressGuard
from strata.security.egress_addresses import blocked_reason, literal_address
from strata.security.errors import EgressBlocked

PUBLIC = "93.184.215.14"
NAMES = {
    "public.test": [PUBLIC],
    "internal.test": ["10.0.0.7"],
    "mixed.test": [PUBLIC, "192.168.0.9"],
    "meta.test": ["169.254.169.254"],
    "v6.test": ["fd00::5"],
    "mapped.test": ["::ffff:10.1.2.3"],
    "loop.test": ["127.0.0.1"],
}


def fake_resolver(host: str, port: int) -> list[str]:
    """A resolver whose answers the test controls (no DNS, no /etc/hosts)."""
    if host not in NAMES:
        raise OSError(f"unknown host {host}")
    return NAMES[host]


def guard(**overrides: object) -> EgressGuard:
    return EgressGuard(SecuritySettings(**overrides), fake_resolver)  # type: ignore[arg-type]


SSRF_CORPUS = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",  # decimal
    "http://017700000001/",  # octal
    "http://0177.0.0.1/",
    "http://0x7f000001/",  # hex
    "http://0x7f.0x0.0x0.0x1/",
    "http://0/",
    "http://0.0.0.0/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]/",
    "http://[::]/",
    "http://[fe80::1]/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[2002:7f00:1::]/",  # 6to4 around 127.0.0.1
    "http://[64:ff9b::a00:1]/",  # NAT64 around 10.0.0.1
    "http://localhost/",
    "http://localhost./",
    "http://LOCALHOST/",
    "http://api.localhost/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.100.100.200/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://public.test@127.0.0.1/",
    "http://internal.test/",
    "http://mixed.test/",
    "http://meta.test/",
    "http://v6.test/",
    "http://mapped.test/",
    "http://loop.test:8080/",
    "http://internal.test./",
    "file:///etc/passwd",
    "gopher://public.test/",
    "ftp://public.test/",
]


@pytest.mark.parametrize("url", SSRF_CORPUS)
def test_ssrf_corpus_is_blocked(url: str) -> None:
    with pytest.raises(EgressBlocked):
        guard().check(url)


def test_public_names_are_pinned() -> None:
    pinned = guard().check("https://public.test/path")
    assert str(pinned.address) == PUBLIC and pinned.host == "public.test"


def test_legacy_numeric_forms_parse_to_loopback() -> None:
    for host in ("2130706433", "017700000001", "0x7f000001", "127.1", "0x7f.1"):
        assert str(literal_address(host)) == "127.0.0.1", host
    assert blocked_reason(literal_address("8.8.8.8")) is None  # type: ignore[arg-type]


def test_allow_lists_open_only_what_they_name() -> None:
    assert guard(egress_allow_hosts=["internal.test"]).check("http://internal.test/")
    for url in ("http://10.1.1.1/", "http://internal.test/"):
        with pytest.raises(EgressBlocked):
            guard(egress_allow_hosts=["*.corp.test"]).check(url)
    assert guard(egress_allow_cidrs=["10.0.0.0/8"]).check("http://internal.test/")
    with pytest.raises(EgressBlocked):
        guard(egress_allow_cidrs=["10.0.0.0/8"]).check("http://192.168.1.1/")


def test_disabled_guard_still_checks_schemes() -> None:
    assert guard(egress_enabled=False).check("http://10.0.0.1/")
    with pytest.raises(EgressBlocked):
        guard(egress_enabled=False).check("file:///etc/passwd")


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {}

    def do_GET(self) -> None:
        status, headers, body = self.routes.get(self.path, (404, {}, b"missing"))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def server() -> Iterator[int]:
    """A real HTTP server on 127.0.0.1; the tests reach it as the allow-listed `public.test`."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield port
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def loopback_client(**overrides: object) -> EgressClient:
    names = dict(NAMES, **{"public.test": ["127.0.0.1"]})
    settings = SecuritySettings(egress_allow_hosts=["public.test"], **overrides)  # type: ignore[arg-type]
    return EgressClient(settings, resolver=lambda host, port: names[host])


REDIRECT_TARGETS = [
    "http://127.0.0.1:{port}/secret",
    "http://localhost:{port}/secret",
    "http://localhost.:{port}/secret",
    "http://[::ffff:127.0.0.1]:{port}/secret",
    "http://2130706433:{port}/secret",
    "http://0x7f.1:{port}/secret",
    "http://internal.test:{port}/secret",
    "http://169.254.169.254/latest/meta-data/",
    "file:///etc/passwd",
]


@pytest.mark.parametrize("target", REDIRECT_TARGETS)
def test_redirects_to_internal_addresses_are_blocked(server: int, target: str) -> None:
    _Handler.routes = {
        "/go": (302, {"Location": target.format(port=server)}, b""),
        "/secret": (200, {}, b"internal secret"),
    }
    with loopback_client() as client, pytest.raises(EgressBlocked):
        client.get(f"http://public.test:{server}/go")


def test_allowed_redirects_are_followed_with_the_host_kept(server: int) -> None:
    _Handler.routes = {
        "/go": (302, {"Location": "/ok"}, b""),
        "/ok": (200, {"Content-Type": "application/json"}, b'{"ok": true}'),
    }
    with loopback_client() as client:
        response = client.get(f"http://public.test:{server}/go")
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert response.url.endswith("/ok")


def test_redirect_loops_and_big_bodies_are_capped(server: int) -> None:
    _Handler.routes = {
        "/loop": (302, {"Location": "/loop"}, b""),
        "/big": (200, {}, b"x" * 5000),
    }
    with loopback_client(egress_max_bytes=1000) as client:
        with pytest.raises(EgressBlocked, match="redirects"):
            client.get(f"http://public.test:{server}/loop")
        with pytest.raises(EgressBlocked, match="cap"):
            client.get(f"http://public.test:{server}/big")


def test_direct_loopback_request_never_connects(server: int) -> None:
    _Handler.routes = {"/secret": (200, {}, b"internal secret")}
    with EgressClient(SecuritySettings()) as client, pytest.raises(EgressBlocked):
        client.get(f"http://127.0.0.1:{server}/secret")
