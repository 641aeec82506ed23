"""The public GS1 Digital Link resolver's use case (passports-api §11): from the GTIN and
serial of a scanned URI to what a consumer may see. No workspace, no key, no budget."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.domain.clock import format_timestamp, utc_now
from app.domain.errors import PassportGone, PassportNotFound, PassportSuspended, ValidationFailed
from app.domain.gtin import gtin_problem, normalize_gtin
from app.domain.public_passport import PublicPassport, public_passport, resolver_answer
from app.domain.templates import TemplateCatalog
from app.storage.protocols import PassportRepository, ProductRepository


class PublicPassports:
    def __init__(
        self,
        passports: PassportRepository,
        products: ProductRepository,
        catalog: TemplateCatalog,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._passports = passports
        self._products = products
        self._catalog = catalog
        self._clock = clock

    async def resolve(self, gtin: str, serial: str) -> PublicPassport:
        """The public view of a published passport. Raises ValidationFailed (GTIN, 400),
        PassportNotFound (404), PassportSuspended (423) or PassportGone (410)."""
        gtin14 = normalize_gtin(gtin)
        if gtin14 is None:
            raise ValidationFailed({"gtin": [gtin_problem(gtin) or "Invalid GTIN"]})
        passport = await self._passports.find_global(gtin14, serial)
        now = self._clock()
        answer = resolver_answer(passport, now)
        if answer == "suspended":
            assert passport is not None
            suspended_at = passport.suspended_at
            raise PassportSuspended(
                None if suspended_at is None else format_timestamp(suspended_at)
            )
        if answer == "gone":
            raise PassportGone()
        if answer == "not_found" or passport is None:
            raise PassportNotFound()
        product = await self._products.get(passport.workspace_id, passport.product_id)
        template = self._catalog.resolve(passport.category)
        if product is None or template is None:
            # A product with passports cannot be deleted and templates are never removed, so
            # this is not reachable through the API; answer as for a passport that is not there.
            raise PassportNotFound()
        return public_passport(passport, product, template, now)
