"""The public passport page and a notice page in a real Chromium, served by the real app over
HTTP, at a phone's and a desktop's width. Screenshots: test-artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page, Route

from tests.browser import DESKTOP, PHONE, SCREENSHOTS, browser, has_horizontal_overflow, screenshot
from tests.conftest import Api
from tests.passport_setup import (
    PUBLIC_FIELDS,
    RESTRICTED_FIELDS,
    RESTRICTED_MARKER,
    SUSPENSION_REASON,
    resolver_path,
    stored_passport,
)
from tests.qr_reading import decode_pixels, png_pixels

__all__ = ["browser"]  # the fixture

IMAGE_HOST = "https://cdn.example.com/"
# The product pictures the page links to, answered by the test (the machine has no network).
PRODUCT_PICTURE = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 200">
<rect width="320" height="200" fill="#eef3fb"/>
<rect x="70" y="55" width="170" height="90" rx="12" fill="#2f5fd0"/>
<rect x="240" y="82" width="16" height="36" rx="4" fill="#2f5fd0"/>
<rect x="88" y="72" width="40" height="56" rx="4" fill="#9fd36b"/>
<rect x="134" y="72" width="40" height="56" rx="4" fill="#9fd36b"/>
<rect x="180" y="72" width="40" height="56" rx="4" fill="#d9e6f7"/>
</svg>"""
FIELDS: dict[str, Any] = {
    **PUBLIC_FIELDS,
    **RESTRICTED_FIELDS,
    "manufacturerName": "Acme Cells GmbH",
    "manufacturerPostalAddress": "Industriestraße 12, 04109 Leipzig, Germany",
    "manufacturerEmail": "passports@acme.example.com",
    "ratedCapacity": 100,
    "leadSymbol": False,
    "euDeclarationOfConformity": {
        "documentUrl": "https://acme.example.com/declarations/2026/BP-48V-100-declaration-of-conformity-signed.pdf",
        "issuedOn": "2026-03-01",
    },
    "criticalRawMaterials": ["Cobalt", "Lithium", "Natural graphite"],
}


async def serve_pictures(page: Page) -> None:
    async def fulfil(route: Route) -> None:
        await route.fulfill(status=200, content_type="image/svg+xml", body=PRODUCT_PICTURE)

    await page.route(IMAGE_HOST + "**", fulfil)


async def open_page(browser: Browser, url: str, viewport: dict[str, int]) -> tuple[Page, Any]:
    context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = await context.new_page()
    await serve_pictures(page)
    response = await page.goto(url, wait_until="load")
    return page, response


@pytest.mark.parametrize("backend", ["memory"])
async def test_public_page_and_notice_in_chromium(api: Api, browser: Browser) -> None:
    product = await api.create_product(
        imageUrls=[IMAGE_HOST + "pack-front.svg", IMAGE_HOST + "pack-side.svg"]
    )
    published = await stored_passport(api, "BP-48V-100-000001", product=product, fields=FIELDS)
    suspended = await stored_passport(api, "BP-48V-100-000002", "suspended", product=product)

    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page, response = await open_page(
            browser, str(api.client.make_url(resolver_path(published))), viewport
        )
        assert response.status == 200
        visible = await page.inner_text("body")
        assert "Li-Ion 48V Battery Pack" in visible
        assert "48 V" in visible
        assert "Electric Vehicle" in visible and "Leipzig" in visible
        dom = await page.content()
        assert RESTRICTED_MARKER not in dom and "97.125" not in dom
        assert await page.title() == "Li-Ion 48V Battery Pack"
        # The product pictures loaded under the page's Content-Security-Policy.
        widths = await page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
        assert len(widths) == 2 and all(w > 0 for w in widths)
        assert await page.evaluate("() => document.scripts.length") == 0
        assert not await has_horizontal_overflow(page), f"{name}: the page scrolls sideways"
        await screenshot(page, f"passport-published-{name}")
        await page.context.close()

        page, response = await open_page(
            browser, str(api.client.make_url(resolver_path(suspended))), viewport
        )
        assert response.status == 423
        visible = await page.inner_text("body")
        assert "temporarily unavailable" in visible
        dom = await page.content()
        assert "Li-Ion 48V Battery Pack" not in dom and SUSPENSION_REASON not in dom
        assert RESTRICTED_MARKER not in dom
        assert not await has_horizontal_overflow(page)
        await screenshot(page, f"passport-suspended-{name}")
        await page.context.close()


@pytest.mark.parametrize("backend", ["memory"])
async def test_not_found_notice_and_qr_svg_in_chromium(api: Api, browser: Browser) -> None:
    draft = await stored_passport(api, "BP-48V-100-000003", "draft")
    page, response = await open_page(browser, str(api.client.make_url(resolver_path(draft))), PHONE)
    assert response.status == 404
    assert "Passport not found" in await page.inner_text("body")
    assert "Li-Ion 48V Battery Pack" not in await page.content()
    assert not await has_horizontal_overflow(page)
    await screenshot(page, "passport-not-found-phone")
    await page.context.close()

    # The SVG label, drawn by the browser, scans back to the passport's URI.
    context = await browser.new_context(viewport=DESKTOP, extra_http_headers=api.tenant.auth)
    page = await context.new_page()
    url = api.client.make_url(f"/api/v1/passports/{draft.id}/qr")
    response = await page.goto(str(url))
    assert response is not None and response.status == 200
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    drawn = await page.locator("svg").screenshot(path=str(SCREENSHOTS / "passport-qr-label.png"))
    assert decode_pixels(png_pixels(drawn)).text == draft.digital_link_uri
    await context.close()
