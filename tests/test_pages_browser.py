"""The login, consent and connected-apps pages in a real browser (headless Debian Chromium via
Playwright), at phone and desktop widths: sign in, approve, land on the app's loopback
callback with a code that the token endpoint accepts, then revoke on the connected-apps page.
Screenshots are kept in test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx2
import pytest
from aiohttp import web
from playwright.async_api import Browser, Page

from app.domain.pkce import s256
from tests.browser import DESKTOP, PHONE, browser, has_horizontal_overflow, screenshot
from tests.conftest import add_tenant
from tests.served_app import EMAIL, PASSWORD, serve, served_catalogue

__all__ = ["browser"]  # the fixture

VERIFIER = "browser-test-verifier-" + "x" * 30


@asynccontextmanager
async def loopback_app() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """A native app's loopback callback (RFC 8252 §7.3): records what it receives."""
    received: list[dict[str, str]] = []

    async def callback(request: web.Request) -> web.Response:
        received.append(dict(request.query))
        return web.Response(text="<h1>You can close this window.</h1>", content_type="text/html")

    def build(_base: str) -> web.Application:
        app = web.Application()
        app.router.add_get("/callback", callback)
        return app

    async with serve(build) as base:
        yield f"{base}/callback", received


async def assert_fits(page: Page) -> None:
    assert not await has_horizontal_overflow(page), f"{page.url} scrolls sideways"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
async def test_sign_in_approve_and_revoke_in_a_browser(
    browser: Browser, viewport: dict[str, int]
) -> None:
    width = viewport["width"]
    async with served_catalogue() as catalogue, loopback_app() as (callback_url, received):
        second = await add_tenant(catalogue.storage, "Acme Outdoor Equipment GmbH")
        await catalogue.users.add_member(second.workspace.id, EMAIL, "admin")
        registered = await catalogue.clients.register_dynamic(
            {
                "redirect_uris": ["http://127.0.0.1/callback"],
                "client_name": "Claude Desktop",
                "token_endpoint_auth_method": "none",
            }
        )
        client_id = registered.client.client_id
        query = urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": callback_url,
                "scope": "passports:read passports:write offline_access",
                "state": "browser-state",
                "code_challenge": s256(VERIFIER),
                "code_challenge_method": "S256",
                "resource": catalogue.base,
            }
        )
        context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
        page = await context.new_page()

        await page.goto(f"{catalogue.base}/api/oauth/authorize?{query}")
        assert urlsplit(page.url).path == "/login"
        await assert_fits(page)
        await screenshot(page, f"login-{width}")

        await page.fill("input[name=email]", EMAIL)
        await page.fill("input[name=password]", "not the password")
        await page.click("button[type=submit]")
        assert "Invalid email or password." in await page.content()
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button[type=submit]")

        assert urlsplit(page.url).path == "/api/oauth/authorize"
        text = await page.inner_text("main")
        assert "Claude Desktop" in text and "Unverified app" in text
        assert "127.0.0.1" in text and "runs on a computer" in text
        assert "See your products" in text
        await assert_fits(page)
        await screenshot(page, f"consent-{width}")

        await page.select_option("select[name=workspace]", second.workspace.id)
        await page.click("button[value=approve]")
        await page.wait_for_url(callback_url + "?*")
        assert len(received) == 1
        result = received[0]
        assert result["state"] == "browser-state" and result["iss"] == catalogue.base
        tokens = await _redeem(catalogue.base, client_id, callback_url, result["code"])

        await page.goto(f"{catalogue.base}/account/connected-apps")
        text = await page.inner_text("main")
        assert "Claude Desktop" in text and "Acme Outdoor Equipment GmbH" in text
        await assert_fits(page)
        await screenshot(page, f"connected-apps-{width}")

        await page.click("form[data-client-id] button")
        assert "No app is connected" in await page.inner_text("main")
        async with httpx2.AsyncClient() as http:
            after = await http.get(
                f"{catalogue.base}/api/v1/products",
                headers={"Authorization": f"Bearer {tokens['access_token']}"},
            )
        assert after.status_code == 401

        await page.click("text=Sign out")
        assert urlsplit(page.url).path == "/login"
        await context.close()


async def _redeem(base: str, client_id: str, redirect_uri: str, code: str) -> dict[str, Any]:
    async with httpx2.AsyncClient() as http:
        response = await http.post(
            f"{base}/api/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": client_id,
                "code_verifier": VERIFIER,
                "resource": base,
            },
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["scope"] == "passports:read passports:write offline_access"
    return body
