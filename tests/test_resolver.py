"""The public GS1 Digital Link resolver (passports-api §11), on both storage backends: every
status, every representation, HEAD, the GTIN rules, percent-encoded serials, and restricted
values absent from everything it answers."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.conftest import Api
from tests.passport_setup import (
    GTIN,
    RESTRICTED_MARKER,
    SUSPENSION_REASON,
    resolver_path,
    stored_passport,
)

CSP = "default-src 'none'; img-src * data:; style-src 'unsafe-inline'"
RESTRICTED_TRACES = (RESTRICTED_MARKER, "97.125", "stateOfHealth", "State of Health")
PRIVATE_KEYS = ("_id", "productId", "fieldMeta", "workspaceId", "parties", "suspensionReason")
NOT_FOUND = {"error": "Passport not found", "code": "not_found"}
GONE = {"error": "This passport has been withdrawn", "code": "passport_gone"}
ACCEPTS = {
    "html": "text/html",
    "json": "application/json",
    "jsonld": "application/ld+json",
    "linkset": "application/linkset+json",
}


def without_message(body: dict[str, Any]) -> dict[str, Any]:
    """Every error body also carries `message` (= `error`), added where errors are rendered."""
    assert body["message"] == body["error"]
    return {k: v for k, v in body.items() if k != "message"}


def assert_no_restricted_trace(text: str) -> None:
    for trace in RESTRICTED_TRACES:
        assert trace not in text, trace


async def get(api: Api, path: str, accept: str | None = None, method: str = "GET") -> Any:
    headers = {} if accept is None else {"Accept": accept}
    return await api.client.request(method, path, headers=headers)


class VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.parts))


def parse_html(html: str) -> VisibleText:
    parser = VisibleText()
    parser.feed(html)
    return parser


async def test_published_page(api: Api) -> None:
    product = await api.create_product(
        imageUrls=["https://cdn.example.com/pack.png"], sourceLocale="de"
    )
    passport = await stored_passport(api, "BP-48V-100-000001", product=product)
    response = await get(api, resolver_path(passport))
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["Vary"] == "Accept"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Content-Language"] == "de"
    assert response.headers["Link"] == (
        f'<{passport.digital_link_uri}?linkType=linkset>; rel="linkset"; '
        'type="application/linkset+json"'
    )
    html = await response.text()
    page = parse_html(html)
    assert re.search(r'<html lang="de">', html)
    assert re.search(r"<title>Li-Ion 48V Battery Pack</title>", html)
    text = page.text
    for expected in (
        "Li-Ion 48V Battery Pack",
        "BP-48V-100",  # model
        "Battery",  # category label
        GTIN,
        "BP-48V-100-000001",
        "Published",
        "48 V",  # value with its unit
        "Electric Vehicle",  # enum by label
        "Yes",  # boolean
        "Leipzig",  # object, nested
        "Cobalt",
        "Nickel",
        "Performance & Durability",  # a group label
    ):
        assert expected in text, expected
    assert ("img", {"src": "https://cdn.example.com/pack.png"}) in [
        (tag, {"src": attrs.get("src")}) for tag, attrs in page.tags if tag == "img"
    ]
    links = [
        attrs
        for tag, attrs in page.tags
        if tag == "a" and attrs.get("href", "").startswith("https://acme")
    ]
    assert links == [{"href": "https://acme.example.com/cells", "rel": "nofollow noopener"}]
    assert "<script" not in html.lower()
    assert_no_restricted_trace(html)
    # Template groups in template order.
    groups = re.findall(r'<section class="card group" id="([a-z_]+)"', html)
    assert groups == ["general_info", "labels_markings", "materials_composition", "performance"]


async def test_json_representation(api: Api) -> None:
    passport = await stored_passport(api, "SN-JSON")
    response = await get(api, resolver_path(passport), "application/json")
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["Vary"] == "Accept"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    text = await response.text()
    assert_no_restricted_trace(text)
    body = json.loads(text)
    assert set(body) == {"gs1", "status", "publishedAt", "sourceLocale", "product", "groups"}
    assert body["gs1"] == {
        "gtin": GTIN,
        "serialNumber": "SN-JSON",
        "digitalLinkUri": passport.digital_link_uri,
    }
    assert body["status"] == "published"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["publishedAt"])
    assert body["product"] == {
        "name": "Li-Ion 48V Battery Pack",
        "model": "M-SN-JSON",
        "category": "batteries",
        "categoryLabel": "Battery",
        "imageUrls": [],
    }
    fields = {f["key"]: f for g in body["groups"] for f in g["fields"]}
    assert fields["nominalVoltage"] == {
        "key": "nominalVoltage",
        "label": "Nominal Voltage",
        "value": 48,
        "unit": "V",
    }
    assert fields["batteryCategory"]["value"] == "EV"  # JSON keeps the stored value
    assert fields["manufacturingPlace"]["value"] == {"city": "Leipzig", "countryCode": "DE"}
    for key in PRIVATE_KEYS:
        assert f'"{key}"' not in text


async def test_jsonld_representation(api: Api) -> None:
    passport = await stored_passport(api, "SN-LD")
    response = await get(api, resolver_path(passport), "application/ld+json")
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/ld+json"
    text = await response.text()
    assert_no_restricted_trace(text)
    body = json.loads(text)
    assert body["@context"] == "https://schema.org"
    assert body["@type"] == "IndividualProduct"
    assert body["@id"] == passport.digital_link_uri
    assert (body["name"], body["model"], body["gtin"], body["serialNumber"]) == (
        "Li-Ion 48V Battery Pack",
        "M-SN-LD",
        GTIN,
        "SN-LD",
    )
    assert body["image"] == []
    properties = {p["propertyID"]: p for p in body["additionalProperty"]}
    assert properties["nominalVoltage"] == {
        "@type": "PropertyValue",
        "propertyID": "nominalVoltage",
        "name": "Nominal Voltage",
        "value": 48,
        "unitText": "V",
    }
    assert "unitText" not in properties["batteryChemistry"]
    assert properties["manufacturingPlace"]["value"] == {
        "@value": {"city": "Leipzig", "countryCode": "DE"},
        "@type": "@json",
    }


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        ("", "application/linkset+json"),
        ("?linkType=linkset", "application/json"),
        ("?linkType=all", None),
    ],
)
async def test_linkset_representation(api: Api, query: str, accept: str | None) -> None:
    passport = await stored_passport(api, "SN-LINKSET")
    response = await get(api, resolver_path(passport) + query, accept)
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/linkset+json"
    uri = passport.digital_link_uri
    assert await response.json(content_type=None) == {
        "linkset": [
            {
                "anchor": uri,
                "https://gs1.org/voc/defaultLink": [
                    {"href": uri, "title": "Li-Ion 48V Battery Pack", "type": "text/html"}
                ],
                "https://gs1.org/voc/pip": [{"href": uri, "type": "text/html"}],
            }
        ]
    }


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/ld+json;q=0.9, application/json;q=0.8", "application/ld+json"),
        ("text/html;q=0.1, application/json", "application/json; charset=utf-8"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "text/html; charset=utf-8"),
        ("image/webp", "text/html; charset=utf-8"),
        ("nonsense", "text/html; charset=utf-8"),
    ],
)
async def test_accept_q_values(api: Api, accept: str, content_type: str) -> None:
    passport = await stored_passport(api, "SN-Q")
    response = await get(api, resolver_path(passport), accept)
    assert response.status == 200
    assert response.headers["Content-Type"] == content_type


async def test_head_answers_headers_without_a_body(api: Api) -> None:
    passport = await stored_passport(api, "SN-HEAD")
    for accept, media in ACCEPTS.items():
        got = await get(api, resolver_path(passport), media)
        head = await get(api, resolver_path(passport), media, method="HEAD")
        assert head.status == 200, accept
        assert await head.read() == b""
        for name in ("Content-Type", "Cache-Control", "Vary", "Link", "Content-Security-Policy"):
            assert head.headers[name] == got.headers[name]
    suspended = await stored_passport(api, "SN-HEAD-SUSPENDED", "suspended")
    head = await get(api, resolver_path(suspended), method="HEAD")
    assert head.status == 423 and head.headers["Cache-Control"] == "no-store"
    missing = await get(api, f"/01/{GTIN}/21/none", method="HEAD")
    assert missing.status == 404


@pytest.mark.parametrize(
    ("state", "expired", "status"),
    [
        ("draft", False, 404),
        ("in_review", False, 404),
        ("approved", False, 404),
        ("published", False, 200),
        ("suspended", False, 423),
        ("archived_after_publication", False, 410),
        ("archived", False, 404),
        ("published", True, 410),  # expired after publication
        ("suspended", True, 410),
        ("approved", True, 404),  # expired, never published
        ("draft", True, 404),
    ],
)
async def test_status_table(api: Api, state: str, expired: bool, status: int) -> None:
    passport = await stored_passport(api, f"SN-{state}", state, expired=expired)
    path = resolver_path(passport)
    answer = await get(api, path, "application/json")
    assert answer.status == status
    assert answer.headers["Vary"] == "Accept"
    text = await answer.text()
    assert_no_restricted_trace(text)
    assert SUSPENSION_REASON not in text
    if status == 200:
        return
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    body = without_message(json.loads(text))
    if status == 404:
        assert body == NOT_FOUND
    elif status == 410:
        assert body == GONE
    else:
        assert passport.suspended_at is not None
        assert body == {
            "error": "This passport is suspended",
            "code": "passport_suspended",
            "details": {"suspendedAt": body["details"]["suspendedAt"]},
        }
        assert body["details"]["suspendedAt"].endswith("Z")
    # Every machine representation gets the same JSON error; a browser a small page.
    for accept in ("application/ld+json", "application/linkset+json"):
        other = await get(api, path, accept)
        assert other.status == status
        assert without_message(await other.json()) == body
    page = await get(api, path)
    assert page.status == status
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Content-Security-Policy"] == CSP
    html = await page.text()
    assert "<script" not in html.lower()
    assert_no_restricted_trace(html)
    assert "Li-Ion 48V Battery Pack" not in html  # a notice shows no passport data
    notice = parse_html(html).text
    expected = {404: "Passport not found", 410: "withdrawn", 423: "temporarily unavailable"}
    assert expected[status] in notice


async def test_unknown_passport_is_404(api: Api) -> None:
    response = await get(api, f"/01/{GTIN}/21/never-issued", "application/json")
    assert response.status == 404
    assert without_message(await response.json()) == NOT_FOUND


@pytest.mark.parametrize(
    "gtin", ["04012345000015", "4012345000016x", "123456789", "0401234500001", "", "٠٤٠١٢٣٤٥٠٠٠٠١٦"]
)
async def test_invalid_gtin_is_400(api: Api, gtin: str) -> None:
    response = await get(api, f"/01/{gtin}/21/SN-1", "application/json")
    if gtin == "":
        assert response.status == 404  # no such route: the segment is missing
        return
    assert response.status == 400
    body = without_message(await response.json())
    assert body["code"] == "validation_error"
    assert list(body["details"]["fieldErrors"]) == ["gtin"]
    page = await get(api, f"/01/{gtin}/21/SN-1")
    assert page.status == 400
    assert "Invalid product link" in await page.text()


async def test_short_gtins_resolve_to_the_14_digit_passport(api: Api) -> None:
    passport = await stored_passport(api, "SN-SHORT", gtin="04012345000016")
    for short in ("4012345000016", "04012345000016"):
        response = await get(api, f"/01/{short}/21/SN-SHORT", "application/json")
        assert response.status == 200, short
        assert (await response.json())["gs1"]["digitalLinkUri"] == passport.digital_link_uri
    eight = await stored_passport(api, "SN-EIGHT", gtin="00000000000017")
    assert (await get(api, "/01/00000017/21/SN-EIGHT", "application/json")).status == 200
    assert eight.gtin == "00000000000017"


@pytest.mark.parametrize(
    "path",
    [
        f"/01/{GTIN}",
        f"/01/{GTIN}/",
        f"/01/{GTIN}/21/SN-PUB/10/LOT1",
        f"/01/{GTIN}/10/LOT1",
        "/10/LOT1",
        f"/01/{GTIN}/22/SN-PUB",
    ],
)
async def test_other_ai_paths_are_404(api: Api, path: str) -> None:
    await stored_passport(api, "SN-PUB")
    response = await get(api, path, "application/json")
    assert response.status == 404


@pytest.mark.parametrize(
    "serial",
    ["A/B", "50%off", 'say"hi"', "what?", "a&b=c;d", "(x)*+,-.:<=>_'!", "Z" * 100],
)
async def test_percent_encoded_serials(api: Api, serial: str) -> None:
    passport = await stored_passport(api, serial)
    path = resolver_path(passport)
    assert path.startswith(f"/01/{GTIN}/21/")
    response = await get(api, path, "application/json")
    assert response.status == 200, path
    assert (await response.json())["gs1"]["serialNumber"] == serial
    page = await get(api, path)
    assert page.status == 200
    html = await page.text()
    assert parse_html(html).text.count(serial) >= 1  # escaped in the markup, intact as text


async def test_unknown_query_parameters_and_lang_are_ignored(api: Api) -> None:
    passport = await stored_passport(api, "SN-TAGS")
    path = resolver_path(passport)
    baseline = await (await get(api, path, "application/json")).json()
    for query in (
        "?utm_source=label&utm_medium=qr",
        "?lang=de",
        "?lang=xx",
        "?lang=",
        "?lang=de&lang=fr",
        "?linkType=gs1:pip",
        "?linkType=",
        "?%ZZ=1",
    ):
        response = await get(api, path + query, "application/json")
        assert response.status == 200, query
        assert await response.json() == baseline, query
    page = await get(api, path + "?lang=fr&tag=1")
    assert page.status == 200
    assert '<html lang="en">' in await page.text()  # the page's language is the source's


async def test_no_auth_and_no_budget(make_api: Any) -> None:
    api: Api = await make_api(plan="free", plan_limit=2)
    passport = await stored_passport(api, "SN-FREE")
    for _ in range(5):
        response = await api.client.get(
            resolver_path(passport),
            headers={"Authorization": "Bearer tp_not_a_real_key_at_all_0000000000000"},
        )
        assert response.status == 200
        assert "RateLimit" not in response.headers
    # The second daily write is still there.
    assert (
        await api.create({"name": "x", "model": "second", "category": "batteries"})
    ).status == 201


async def test_page_reads_the_product_live(api: Api) -> None:
    product = await api.create_product(model="LIVE-1")
    passport = await stored_passport(api, "SN-LIVE", product=product)
    renamed = await api.call(
        "PATCH",
        f"/api/v1/products/{product['_id']}",
        {"name": "Renamed Pack", "imageUrls": ["https://cdn.example.com/new.png"]},
    )
    assert renamed.status == 200
    body = await (await get(api, resolver_path(passport), "application/json")).json()
    assert body["product"]["name"] == "Renamed Pack"
    assert body["product"]["imageUrls"] == ["https://cdn.example.com/new.png"]


async def test_no_public_values_still_renders(api: Api) -> None:
    passport = await stored_passport(api, "SN-EMPTY", fields={"stateOfHealth": 97.125})
    json_body = await (await get(api, resolver_path(passport), "application/json")).json()
    assert json_body["groups"] == []
    html = await (await get(api, resolver_path(passport))).text()
    assert "has not published any details" in html
    assert_no_restricted_trace(html)


async def test_markup_in_values_is_escaped(api: Api) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    product = await api.create_product(name=hostile, model="ESC-1")
    passport = await stored_passport(
        api, "SN-ESC", product=product, fields={"batteryChemistry": hostile}
    )
    html = await (await get(api, resolver_path(passport))).text()
    assert "<script" not in html.lower() and "<img src=x" not in html
    assert "&lt;script&gt;" in html
    assert parse_html(html).text.count(hostile) >= 2  # the name and the field, as text


async def test_resolver_is_served_under_the_public_base_path(make_api: Any) -> None:
    api: Api = await make_api(public_base_url="https://example.com/dpp/")
    passport = await stored_passport(api, "SN-BASE", base_url="https://example.com/dpp")
    assert resolver_path(passport) == f"/dpp/01/{GTIN}/21/SN-BASE"
    assert (await get(api, resolver_path(passport), "application/json")).status == 200
    assert (await get(api, f"/01/{GTIN}/21/SN-BASE", "application/json")).status == 404


def test_resolver_is_documented_outside_the_api() -> None:
    from app.http.openapi import build_openapi

    paths = build_openapi()["paths"]
    resolver = paths["/01/{gtin}/21/{serial}"]
    assert set(resolver) == {"get", "head"}
    get = resolver["get"]
    assert get["security"] == []
    assert set(get["responses"]) == {"200", "400", "404", "410", "423"}
    assert set(get["responses"]["200"]["content"]) == {
        "text/html",
        "application/json",
        "application/ld+json",
        "application/linkset+json",
    }
    for status in ("400", "404", "410", "423"):
        assert set(get["responses"][status]["content"]) == {"text/html", "application/json"}
    assert {"Link", "Vary", "Cache-Control", "Content-Security-Policy"} <= set(
        get["responses"]["200"]["headers"]
    )
    assert all("content" not in reply for reply in resolver["head"]["responses"].values())
    assert {p["name"] for p in get["parameters"]} == {"gtin", "serial", "linkType", "lang"}
