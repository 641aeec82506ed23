"""One structured log line per request, and GET /metrics in the Prometheus format."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import SEED_BODY, Api, AppFactory
from tests.live_server import IN_MEMORY, live_server
from tests.test_idempotency import plant_claim


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def scrape(api: Api, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await api.client.get("/metrics", headers=headers)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return samples(await response.text())


def labels(**pairs: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(pairs.items()))


async def test_metrics_count_requests_replays_conflicts_and_rejections(
    make_api: AppFactory,
) -> None:
    api = await make_api(plan="tiny", plan_limit=3)
    route = "/api/v1/products"
    assert (await api.create(SEED_BODY, key="a")).status == 201
    assert (await api.create(SEED_BODY, key="a")).status == 201  # replay
    assert (await api.create({**SEED_BODY, "model": "X"}, key="a")).status == 422  # reused
    await plant_claim(api, "busy", lease_left=30, age=1, expires_in=3600)
    assert (await api.create(SEED_BODY, key="busy")).status == 409  # in use
    assert (await api.create({**SEED_BODY, "model": "B"})).status == 201
    assert (await api.create({**SEED_BODY, "model": "C"})).status == 201
    assert (await api.create({**SEED_BODY, "model": "D"})).status == 429
    assert (await api.call("GET", "/api/v1/products/0123456789abcdef01234567")).status == 404
    assert (await api.client.get("/nope")).status == 404
    assert (await api.client.request("PROPFIND", "/nope")).status in (404, 405)

    got = await scrape(api)
    post = {"method": "POST", "route": route}
    assert got[("tracepass_http_requests_total", labels(**post, status="201"))] == 4
    assert got[("tracepass_http_requests_total", labels(**post, status="422"))] == 1
    assert got[("tracepass_http_requests_total", labels(**post, status="409"))] == 1
    assert got[("tracepass_http_requests_total", labels(**post, status="429"))] == 1
    one = {"method": "GET", "route": "/api/v1/products/{id}", "status": "404"}
    assert got[("tracepass_http_requests_total", labels(**one))] == 1
    unmatched = {"method": "GET", "route": "(unmatched)", "status": "404"}
    assert got[("tracepass_http_requests_total", labels(**unmatched))] == 1
    other = [
        k for k in got if k[0] == "tracepass_http_requests_total" and ("method", "PROPFIND") in k[1]
    ]
    assert other == []  # unusual methods share the label value OTHER
    assert any(("method", "OTHER") in k[1] for k in got if k[0] == "tracepass_http_requests_total")
    assert got[("tracepass_http_request_duration_seconds_count", labels(**post, status="201"))] == 4
    assert got[("tracepass_idempotency_replays_total", labels(route=route))] == 1
    assert got[("tracepass_idempotency_conflicts_total", labels(reason="reused"))] == 1
    assert got[("tracepass_idempotency_conflicts_total", labels(reason="in_use"))] == 1
    assert got[("tracepass_budget_rejections_total", labels(kind="writes"))] == 1
    assert got[("tracepass_http_requests_in_flight", ())] == 1  # the scrape itself


async def test_metrics_token_guards_the_endpoint(make_api: AppFactory) -> None:
    api = await make_api(metrics_token="scrape-secret")
    response = await api.client.get("/metrics")
    assert response.status == 401
    assert "scrape-secret" not in await response.text()
    wrong = await api.client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401
    await scrape(api, Authorization="Bearer scrape-secret")


async def test_one_json_log_line_per_request_without_secrets(tmp_path: Path) -> None:
    with live_server(tmp_path, storage=IN_MEMORY, LOG_LEVEL="INFO") as server:
        auth = {"Authorization": f"Bearer {server.key}", "X-TracePass-Source": "n8n-node/1.0"}
        async with aiohttp.ClientSession(server.base_url, headers=auth) as session:
            async with session.post("/api/v1/products", json=SEED_BODY) as response:
                product = (await response.json())["_id"]
            requests = [
                session.get(f"/api/v1/products/{product}"),
                session.get("/api/v1/products?search=query-secret-42&limit=5"),
                session.get("/api/v1/products/0123456789abcdef01234567"),
                session.post(
                    "/api/v1/products",
                    data=b"{broken",
                    headers={
                        "Content-Type": "application/json",
                        "Idempotency-Key": "idem-secret-7",
                    },
                ),
            ]
            for request in requests:
                async with request as response:
                    await response.read()
            async with (
                aiohttp.ClientSession(server.base_url) as anonymous,
                anonymous.get(
                    "/api/v1/products", headers={"Authorization": "Bearer tp_" + "w" * 40}
                ) as response,
            ):
                assert response.status == 401
        await asyncio.sleep(0.2)
        log = server.log()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("event") == "request"]
    api_lines = [line for line in access if line["route"] != "/readyz"]
    assert len(api_lines) == 6  # exactly one per request
    for line in api_lines:
        assert {
            "timestamp",
            "request_id",
            "method",
            "route",
            "status",
            "duration_ms",
            "workspace_id",
            "source",
        } <= set(line)
        assert line["timestamp"].endswith("Z") and len(line["request_id"]) == 32
    by_status = {line["status"]: line for line in api_lines}
    assert by_status[201]["source"] == "n8n-node/1.0"
    assert by_status[201]["workspace_id"] is not None
    assert by_status[404]["route"] == "/api/v1/products/{id}"
    assert by_status[401]["workspace_id"] is None
    for secret in (server.key, "tp_" + "w" * 40, "query-secret-42", "idem-secret-7", "{broken"):
        assert secret not in log


async def test_source_header_and_request_id_never_carry_a_key_into_logs(api: Api) -> None:
    key_like = "tp_" + "s" * 40
    response = await api.call(
        "GET",
        "/api/v1/templates",
        headers={"X-TracePass-Source": f"erp {key_like}", "X-Request-Id": key_like},
    )
    assert response.status == 200
    assert response.headers["X-Request-Id"] != key_like  # not echoed, not logged
    from tests.conftest import SESSION_LOG

    assert key_like not in SESSION_LOG.getvalue()
    assert "erp tp_[redacted]" in SESSION_LOG.getvalue()


async def test_metrics_route_is_public_by_default_and_lists_every_family(api: Api) -> None:
    await api.call("GET", "/api/v1/templates")
    text = await (await api.client.get("/metrics")).text()
    for family, kind in (
        ("tracepass_http_requests_total", "counter"),
        ("tracepass_http_request_duration_seconds", "histogram"),
        ("tracepass_idempotency_replays_total", "counter"),
        ("tracepass_idempotency_conflicts_total", "counter"),
        ("tracepass_budget_rejections_total", "counter"),
        ("tracepass_storage_unavailable_total", "counter"),
        ("tracepass_internal_errors_total", "counter"),
        ("tracepass_http_requests_in_flight", "gauge"),
        ("python_gc_collections_total", "counter"),
    ):
        assert f"# TYPE {family} {kind}" in text, family


async def test_the_session_log_capture_sees_the_access_log(api: Api) -> None:
    """The whole-run check in conftest (no issued key in any log line) is only as good as its
    capture: prove the access log lands in it."""
    from tests.conftest import logged_request

    response = await api.call("GET", "/api/v1/templates")
    entry = logged_request(response.headers["X-Request-Id"])
    assert entry["route"] == "/api/v1/templates" and entry["status"] == 200


def gc_collections(metrics_text: str) -> dict[str, float]:
    """python_gc_collections_total by generation, from a /metrics page."""
    for family in text_string_to_metric_families(metrics_text):
        if family.name == "python_gc_collections":
            return {
                sample.labels["generation"]: sample.value
                for sample in family.samples
                if sample.name == "python_gc_collections_total"
            }
    raise AssertionError("no python_gc_collections family on /metrics")


async def test_the_serving_process_runs_the_tuned_garbage_collector(tmp_path: Path) -> None:
    """app/gc_setup.py, seen from outside the real process: 1,500 keyed creates, 25 at a time.
    With CPython's default thresholds the service ran 22 young collections for that many
    creates (checked by removing the call); with its own, at most a few young ones and no
    middle or full collection."""
    creates, parallel = 1500, 25
    with live_server(tmp_path, storage=IN_MEMORY) as server:
        auth = {"Authorization": f"Bearer {server.key}"}
        async with aiohttp.ClientSession(server.base_url, headers=auth) as session:

            async def collections() -> dict[str, float]:
                async with session.get("/metrics") as response:
                    return gc_collections(await response.text())

            async def create(number: int) -> int:
                body = {**SEED_BODY, "model": f"GC-{number}"}
                headers = {"Idempotency-Key": f"gc-{number}"}
                async with session.post("/api/v1/products", json=body, headers=headers) as sent:
                    await sent.read()
                    return sent.status

            before = await collections()
            statuses: list[int] = []
            for start in range(0, creates, parallel):
                statuses += await asyncio.gather(
                    *(create(n) for n in range(start, start + parallel))
                )
            after = await collections()
    assert statuses == [201] * creates
    young, middle, full = (after[g] - before[g] for g in ("0", "1", "2"))
    assert young <= 3, (young, middle, full)
    assert (middle, full) == (0, 0)
