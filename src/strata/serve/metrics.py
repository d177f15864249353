"""Prometheus metrics of one gateway app (its own registry: no module globals)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class GatewayMetrics:
    """Requests, latency, tokens and backend health."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "strata_gateway_requests_total",
            "Requests answered, by route and status.",
            ["route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "strata_gateway_request_duration_seconds",
            "Time from request to last byte, by route.",
            ["route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.tokens = Counter(
            "strata_gateway_tokens_total",
            "Tokens counted against quotas, by kind (prompt, completion).",
            ["kind"],
            registry=self.registry,
        )
        self.backend_up = Gauge(
            "strata_gateway_backend_up",
            "1 when a backend's circuit breaker is closed, 0 when it is ejected.",
            ["backend"],
            registry=self.registry,
        )
        # Children looked up once: `labels()` costs a lock and a dict build on every request.
        self.prompt_tokens = self.tokens.labels(kind="prompt")
        self.completion_tokens = self.tokens.labels(kind="completion")
        self._answered: dict[tuple[str, int], tuple[Counter, Histogram]] = {}

    def answered(self, route: str, status: int, seconds: float) -> None:
        """Count one answered request and observe its duration."""
        children = self._answered.get((route, status))
        if children is None:
            children = (
                self.requests.labels(route=route, status=str(status)),
                self.latency.labels(route=route),
            )
            self._answered[(route, status)] = children
        children[0].inc()
        children[1].observe(seconds)

    def render(self, breakers: dict[str, str]) -> bytes:
        """The text exposition format, with breaker states refreshed."""
        for name, state in breakers.items():
            self.backend_up.labels(backend=name).set(1 if state == "closed" else 0)
        return generate_latest(self.registry)
