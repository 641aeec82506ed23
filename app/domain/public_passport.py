"""The public face of a passport (passports-api §11): which answer the resolver gives for a
status, and the view every public representation is rendered from."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from app.domain.passports import Passport
from app.domain.public_fields import PublicGroup, public_groups
from app.domain.record import record
from app.domain.records import Product
from app.domain.templates import Template

ResolverAnswer = Literal["published", "suspended", "gone", "not_found"]


def resolver_answer(passport: Passport | None, now: datetime) -> ResolverAnswer:
    """404 for what was never public, 423 while suspended, 410 once withdrawn after being
    public (archived or expired with `publishedAt` set), 200 while published."""
    if passport is None:
        return "not_found"
    status = passport.status_at(now)
    if status == "published":
        return "published"
    if status == "suspended":
        return "suspended"
    if status in ("archived", "expired") and passport.published_at is not None:
        return "gone"
    return "not_found"


@record
class PublicProduct:
    name: str
    model: str
    category: str
    category_label: str
    regulation: str | None  # "EU Battery Regulation (EU) 2023/1542"
    image_urls: tuple[str, ...]


@record
class PublicPassport:
    gtin: str
    serial_number: str
    digital_link_uri: str
    status: str
    published_at: datetime | None
    source_locale: str
    product: PublicProduct
    groups: tuple[PublicGroup, ...]


def public_passport(
    passport: Passport, product: Product, template: Template, now: datetime
) -> PublicPassport:
    """Only what a consumer may see: no ids, no field provenance, no parties, no reason, and
    only public template fields that hold a value."""
    return PublicPassport(
        gtin=passport.gtin,
        serial_number=passport.serial_number,
        digital_link_uri=passport.digital_link_uri,
        status=passport.status_at(now),
        published_at=passport.published_at,
        source_locale=passport.source_locale,
        product=PublicProduct(
            name=product.name,
            model=product.model,
            category=product.category,
            category_label=template.label,
            regulation=regulation_title(template),
            image_urls=tuple(product.image_urls),
        ),
        groups=tuple(public_groups(passport.fields, template)),
    )


def regulation_title(template: Template) -> str | None:
    name = str(template.regulation.get("name") or "").strip()
    number = str(template.regulation.get("number") or "").strip()
    return " ".join(part for part in (name, number) if part) or None
