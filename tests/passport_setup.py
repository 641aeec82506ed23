"""Passports in a given state, for tests of the public resolver and the QR route.

Passports are stored through the passport repository (the resolver's own input), walked
through the lifecycle with the repository's status changes; `expired` needs an `expiresAt` in
the past, which no API call can set.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.domain.clock import utc_now
from app.domain.gtin import digital_link_uri
from app.domain.passports import NewPassport, Passport, StatusChange
from tests.conftest import Api

GTIN = "04012345000016"
RESTRICTED_MARKER = "restricted-7f3a"  # appears in restricted/authority values only
PUBLIC_FIELDS: dict[str, Any] = {
    "nominalVoltage": 48,
    "batteryChemistry": "NMC",
    "batteryCategory": "EV",
    "ceMarking": True,
    "manufacturerWebAddress": "https://acme.example.com/cells",
    "manufacturingPlace": {"city": "Leipzig", "countryCode": "DE"},
    "hazardousSubstances": ["Cobalt", "Nickel"],
}
RESTRICTED_FIELDS: dict[str, Any] = {
    "stateOfHealth": 97.125,  # restricted number
    "dismantlingInformation": f"https://acme.example.com/{RESTRICTED_MARKER}/dismantling",
    "negativeEvents": [f"{RESTRICTED_MARKER} dropped in transit"],  # authority
    "testReportResults": f"https://lab.example.com/{RESTRICTED_MARKER}.pdf",  # authority
}
SUSPENSION_REASON = f"Recall investigation {RESTRICTED_MARKER}"
# Walks from draft; "gone" and "expired" states add publication before the end as asked.
WALKS: dict[str, tuple[str, ...]] = {
    "draft": (),
    "in_review": ("in_review",),
    "approved": ("in_review", "approved"),
    "published": ("in_review", "approved", "published"),
    "suspended": ("in_review", "approved", "published", "suspended"),
    "archived": ("archived",),
    "archived_after_publication": ("in_review", "approved", "published", "archived"),
}


async def stored_passport(
    api: Api,
    serial: str,
    state: str = "published",
    *,
    gtin: str = GTIN,
    product: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
    expired: bool = False,
    base_url: str = "https://dpp.example.com",
) -> Passport:
    """A passport of `api`'s workspace in `state` (a WALKS key); `expired` moves its
    `expiresAt` into the past."""
    product = product or await api.create_product(model=f"M-{serial}"[:100])
    now = utc_now()
    created = now - timedelta(days=40)
    passport = await api.storage.passports.insert(
        NewPassport(
            workspace_id=api.tenant.workspace.id,
            product_id=product["_id"],
            category=product["category"],
            template_id=product["templateId"],
            gtin=gtin,
            serial_number=serial,
            digital_link_uri=digital_link_uri(base_url, gtin, serial),
            fields={**PUBLIC_FIELDS, **RESTRICTED_FIELDS} if fields is None else fields,
            field_meta={},
            source_locale=product["sourceLocale"],
            parties={"manufacturer": {"legalName": f"Acme {RESTRICTED_MARKER} GmbH"}},
            expires_at=now - timedelta(days=10) if expired else None,
            created_at=created,
            # Unique per passport: the in-process Mongo double ignores the partial filter of the
            # (workspace, key, batch index) index, so keyless passports would collide there.
            created_by_key=f"setup:{serial}",
        )
    )
    await api.storage.products.add_passports(api.tenant.workspace.id, product["_id"], 1)
    for step in WALKS[state]:
        stamps: dict[str, Any] = {}
        if step == "published":
            stamps = {"published_at": created + timedelta(days=1)}
        elif step == "suspended":
            stamps = {
                "suspended_at": created + timedelta(days=2),
                "suspension_reason": SUSPENSION_REASON,
            }
        elif step == "archived":
            stamps = {"archived_at": created + timedelta(days=3)}
        changed = await api.storage.passports.change_status(
            api.tenant.workspace.id,
            passport.id,
            passport.revision,
            StatusChange(step, stamps),
            now,  # type: ignore[arg-type]
        )
        assert changed is not None
        passport = changed
    return passport


def resolver_path(passport: Passport) -> str:
    """The path of the stored Digital Link URI (what a scanner requests)."""
    return "/" + passport.digital_link_uri.split("/", 3)[3]
