"""Prometheus metrics for GET /metrics: one registry per application (no global state).

Recorded once per request by the outermost middleware, from what the request became: its
route template, status, duration and — for failures — the contract's error code, which names
idempotency conflicts, budget rejections and storage outages without the services knowing
about metrics.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, GCCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from app.http.in_flight import InFlightRequests

CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
CONFLICT_CODES = {
    "idempotency_key_in_use": "in_use",
    "idempotency_key_reused": "reused",
}


REQUEST_LABELS = ["method", "route", "status"]


class _Series:
    """One (method, route, status): its request count, latency sum and per-bucket counts."""

    __slots__ = ("buckets", "count", "total_seconds")

    def __init__(self) -> None:
        self.count = 0
        self.total_seconds = 0.0
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)  # the last one is +Inf


class RequestCollector(Collector):
    """`tracepass_http_requests_total` and `tracepass_http_request_duration_seconds`, counted in
    plain Python and rendered at scrape time (prometheus_client's custom-collector API).

    Counter.inc and Histogram.observe each take a threading lock per call and walk the buckets
    in Python; once per request, that showed as about 2 % of a create. The service answers on
    one event-loop thread, so these counts need no lock; a scrape reads them on that thread too.
    """

    def __init__(self) -> None:
        self._series: dict[tuple[str, str, int], _Series] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _Series()
        series.count += 1
        series.total_seconds += seconds
        series.buckets[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "tracepass_http_requests",
            "HTTP requests answered, by method, route template and status.",
            labels=REQUEST_LABELS,
        )
        latency = HistogramMetricFamily(
            "tracepass_http_request_duration_seconds",
            "Time from the request reaching the app to the response, by route and status.",
            labels=REQUEST_LABELS,
        )
        bounds = [*(str(bound) for bound in LATENCY_BUCKETS), "+Inf"]
        for (method, route, status), series in list(self._series.items()):
            labels = [method, route, str(status)]
            requests.add_metric(labels, series.count)
            cumulative, running = [], 0
            for bound, count in zip(bounds, series.buckets, strict=True):
                running += count
                cumulative.append((bound, running))
            latency.add_metric(labels, cumulative, series.total_seconds)
        yield requests
        yield latency


class Metrics:
    def __init__(self, in_flight: InFlightRequests) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = RequestCollector()
        self.registry.register(self.requests)
        self.replays = Counter(
            "tracepass_idempotency_replays",
            "Responses replayed from an earlier request with the same Idempotency-Key.",
            ["route"],
            registry=self.registry,
        )
        self.conflicts = Counter(
            "tracepass_idempotency_conflicts",
            "Idempotency-Key conflicts: in_use (409, still running) or reused (422).",
            ["reason"],
            registry=self.registry,
        )
        self.budget_rejections = Counter(
            "tracepass_budget_rejections",
            "Requests refused with 429: the workspace's daily write (or read) budget was spent.",
            ["kind"],
            registry=self.registry,
        )
        self.storage_errors = Counter(
            "tracepass_storage_unavailable",
            "Requests answered 503 because storage was unreachable or timed out.",
            registry=self.registry,
        )
        self.internal_errors = Counter(
            "tracepass_internal_errors",
            "Requests answered 500 (a bug: the log has the traceback).",
            registry=self.registry,
        )
        in_flight_gauge = Gauge(
            "tracepass_http_requests_in_flight",
            "Requests being handled right now.",
            registry=self.registry,
        )
        in_flight_gauge.set_function(lambda: in_flight.count)
        # python_gc_*: collections and objects collected per generation (read at scrape time).
        GCCollector(registry=self.registry)

    def observe(
        self,
        *,
        method: str,
        route: str,
        status: int,
        seconds: float,
        error_code: str | None,
        replayed: bool,
    ) -> None:
        # Clients choose the method: anything unusual shares one label value, so a scanner cannot
        # grow the label set (routes are bounded already: unmatched paths share one).
        if method not in KNOWN_METHODS:
            method = "OTHER"
        self.requests.observe(method, route, status, seconds)
        if replayed:
            self.replays.labels(route).inc()
        if error_code is None:
            return
        if error_code in CONFLICT_CODES:
            self.conflicts.labels(CONFLICT_CODES[error_code]).inc()
        elif error_code == "rate_limit_exceeded":
            self.budget_rejections.labels("reads" if method == "GET" else "writes").inc()
        elif error_code == "service_unavailable":
            self.storage_errors.inc()
        elif error_code == "internal_error":
            self.internal_errors.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
