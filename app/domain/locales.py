"""ISO 639-1 language codes, from pycountry's ISO 639-3 table (entries that have an alpha_2)."""

from __future__ import annotations

import pycountry

ISO_639_1_CODES: frozenset[str] = frozenset(
    lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2")
)


def is_iso_639_1(code: str) -> bool:
    return code in ISO_639_1_CODES


# The 24 official EU languages: what passports accept as `lang` and a field's `sourceLocale`.
EU_LOCALES: tuple[str, ...] = (
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr",
    "hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
)  # fmt: skip


ISO_3166_ALPHA_2: frozenset[str] = frozenset(country.alpha_2 for country in pycountry.countries)


def is_iso_3166_alpha_2(code: str) -> bool:
    return code in ISO_3166_ALPHA_2
