"""A passport's public life through the API alone, on both backends: its printed QR code leads
to the resolver, which follows every lifecycle move and field change at once."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tests.conftest import Api
from tests.passport_helpers import GTIN, create_passport, fill_required
from tests.qr_reading import decode_png

SECRET = "confidential-4e1b"


async def public_json(api: Api, path: str) -> tuple[int, Any]:
    response = await api.client.get(path, headers={"Accept": "application/json"})
    text = await response.text()
    assert SECRET not in text
    return response.status, await response.json()


async def act(api: Api, passport_id: str, action: str, body: Any = None) -> None:
    response = await api.call("POST", f"/api/v1/passports/{passport_id}/{action}", body)
    assert response.status == 200, await response.text()


async def test_scan_to_page_through_the_lifecycle(api: Api) -> None:
    product = await api.create_product()
    serial = "BP-48V/100%7"
    passport = await create_passport(api, product["_id"], serial)
    uri = passport["gs1"]["digitalLinkUri"]
    assert uri.endswith(f"/01/{GTIN}/21/BP-48V%2F100%257")

    # The label is printed before publishing; what it encodes is the passport's URI.
    qr = await api.call("GET", f"/api/v1/passports/{passport['_id']}/qr?format=png")
    assert decode_png(await qr.read()).text == uri
    scanned = urlsplit(uri).path
    assert (await public_json(api, scanned))[0] == 404  # a draft is not public

    await fill_required(
        api,
        passport["_id"],
        {
            "manufacturerName": "Acme Cells GmbH",
            "stateOfHealth": 93,  # restricted
            "dismantlingInformation": f"https://acme.example.com/{SECRET}",  # restricted
        },
    )
    await act(api, passport["_id"], "submit")
    assert (await public_json(api, scanned))[0] == 404
    await act(api, passport["_id"], "approve")
    assert (await public_json(api, scanned))[0] == 404
    await act(api, passport["_id"], "publish", {"acceptIncomplete": True})

    status, body = await public_json(api, scanned)
    assert status == 200
    fields = {f["key"]: f["value"] for g in body["groups"] for f in g["fields"]}
    assert fields == {
        "batteryChemistry": "NMC",  # the product's defaults, seeded at creation
        "nominalVoltage": 48,
        "manufacturerName": "Acme Cells GmbH",
    }
    assert body["gs1"]["serialNumber"] == serial

    # A field change shows at once.
    patched = await api.call(
        "PATCH", f"/api/v1/passports/{passport['_id']}/fields/nominalVoltage", {"value": 51.2}
    )
    assert patched.status == 200
    page = await (await api.client.get(scanned)).text()
    assert "51.2" in page and SECRET not in page and "State of Health" not in page

    await act(api, passport["_id"], "suspend", {"reason": f"Recall {SECRET}"})
    status, body = await public_json(api, scanned)
    assert status == 423 and body["code"] == "passport_suspended"
    await act(api, passport["_id"], "unsuspend")
    assert (await public_json(api, scanned))[0] == 200
    await act(api, passport["_id"], "archive")
    status, body = await public_json(api, scanned)
    assert status == 410 and body["code"] == "passport_gone"
    # The code still renders (a reprint shows the same URI), and it still leads to the 410.
    qr = await api.call("GET", f"/api/v1/passports/{passport['_id']}/qr?format=json")
    assert (await qr.json())["digitalLinkUri"] == uri
