"""Shared helpers for the passport tests: valid GTINs and creating passports through the API."""

from __future__ import annotations

from typing import Any

from app.domain.gtin import gs1_check_digit
from tests.conftest import Api, Tenant

GTIN = "04012345000016"  # the contract's valid example


def gtin14(n: int) -> str:
    """The n-th valid GTIN-14 of a test company prefix."""
    body = f"0401234{n:06d}"
    return body + str(gs1_check_digit(body))


def passport_body(product_id: str, serial: str = "SN-1", gtin: str = GTIN, **extra: Any) -> Any:
    return {"productId": product_id, "gs1": {"gtin": gtin, "serialNumber": serial}, **extra}


async def create_passport(
    api: Api,
    product_id: str,
    serial: str = "SN-1",
    gtin: str = GTIN,
    *,
    tenant: Tenant | None = None,
    **extra: Any,
) -> dict[str, Any]:
    response = await api.call(
        "POST", "/api/v1/passports", passport_body(product_id, serial, gtin, **extra), tenant=tenant
    )
    assert response.status == 201, await response.text()
    return dict(await response.json())


async def fill_required(api: Api, passport_id: str, values: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for key, value in values.items():
        response = await api.call(
            "PATCH", f"/api/v1/passports/{passport_id}/fields/{key}", {"value": value}
        )
        assert response.status == 200, await response.text()
        body = await response.json()
    return body
