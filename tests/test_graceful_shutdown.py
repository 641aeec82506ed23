"""SIGTERM against the real process: it stops accepting, finishes what is in flight, exits 0."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from tests.live_server import IN_MEMORY, live_server

PNG = b"\x89PNG\r\n\x1a\n" + bytes(4096)
BOUNDARY = "shutdown-test-boundary"


def piece_starts(pieces: int) -> range:
    """Where each piece of the file starts (at most `pieces` of them)."""
    return range(0, len(PNG), len(PNG) // pieces + 1)


def slow_multipart(
    pieces: int = 10, pause: float = 0.1, sent: list[int] | None = None
) -> AsyncIterator[bytes]:
    """An image upload that takes about pieces * pause seconds to send; `sent` collects the
    index of every piece of the file handed to the connection."""

    async def body() -> AsyncIterator[bytes]:
        yield (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        starts = piece_starts(pieces)
        for index, start in enumerate(starts):
            await asyncio.sleep(pause)
            if sent is not None:
                sent.append(index)
            yield PNG[start : start + starts.step]
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    return body()


async def wait_for_in_flight(base_url: str, count: int, within: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    async with aiohttp.ClientSession() as session:
        while asyncio.get_running_loop().time() < deadline:
            async with session.get(f"{base_url}/metrics") as response:
                text = await response.text()
            gauge = next(
                line
                for line in text.splitlines()
                if line.startswith("tracepass_http_requests_in_flight ")
            )
            if float(gauge.split()[1]) >= count + 1:  # + this scrape
                return
            await asyncio.sleep(0.05)
    raise AssertionError(f"{count} requests never were in flight together")


async def new_connections_refused(base_url: str, within: float = 5.0) -> bool:
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        try:
            async with (
                aiohttp.ClientSession() as fresh,
                fresh.get(f"{base_url}/healthz") as response,
            ):
                await response.read()
        except aiohttp.ClientConnectionError:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_sigterm_lets_50_in_flight_requests_finish(tmp_path: Path) -> None:
    with live_server(tmp_path, storage=IN_MEMORY, SHUTDOWN_GRACE_SECONDS="20") as server:
        auth = {"Authorization": f"Bearer {server.key}"}
        connector = aiohttp.TCPConnector(limit=100)
        async with aiohttp.ClientSession(server.base_url, headers=auth, connector=connector) as s:
            products = []
            for n in range(5):
                body = {"name": "Pack", "model": f"SHUT-{n}", "category": "batteries"}
                async with s.post("/api/v1/products", json=body) as response:
                    assert response.status == 201
                    products.append((await response.json())["_id"])

            async def upload(n: int) -> int:
                async with s.post(
                    f"/api/v1/products/{products[n % 5]}/images",
                    data=slow_multipart(pieces=30, pause=0.1),  # about 3 s
                    headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
                ) as response:
                    await response.read()
                    return response.status

            uploads = [asyncio.create_task(upload(n)) for n in range(50)]
            # SIGTERM only once the service itself counts all 50 in flight (mid-body).
            await wait_for_in_flight(server.base_url, 50)
            server.process.send_signal(signal.SIGTERM)
            refused = await new_connections_refused(server.base_url)
            statuses = await asyncio.gather(*uploads)
        assert statuses == [201] * 50
        assert refused
        exit_code = await asyncio.to_thread(server.process.wait, 30)
        assert exit_code == 0
        assert "Traceback" not in server.log()


async def test_grace_period_bounds_the_wait(tmp_path: Path) -> None:
    """A request that outlives SHUTDOWN_GRACE_SECONDS is cut off; the process still exits 0,
    before the request's body was even fully sent."""
    with live_server(tmp_path, storage=IN_MEMORY, SHUTDOWN_GRACE_SECONDS="0.5") as server:
        auth = {"Authorization": f"Bearer {server.key}"}
        async with aiohttp.ClientSession(server.base_url, headers=auth) as session:
            body = {"name": "Pack", "model": "SLOW", "category": "batteries"}
            async with session.post("/api/v1/products", json=body) as response:
                product = (await response.json())["_id"]

            sent: list[int] = []

            async def endless_upload() -> int:
                async with session.post(
                    f"/api/v1/products/{product}/images",
                    data=slow_multipart(pieces=40, pause=0.25, sent=sent),  # about 10 s
                    headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
                ) as response:
                    return response.status

            upload = asyncio.create_task(endless_upload())
            await wait_for_in_flight(server.base_url, 1)
            server.process.send_signal(signal.SIGTERM)
            exit_code = await asyncio.to_thread(server.process.wait, 30)
            pieces_when_exited = len(sent)
            outcome = await asyncio.gather(upload, return_exceptions=True)
        assert exit_code == 0
        # The process was gone while the client was still sending: the grace period, not the
        # request, ended the wait (no wall-clock bound in the assertion).
        assert pieces_when_exited < len(piece_starts(40))
        assert isinstance(outcome[0], aiohttp.ClientError)
