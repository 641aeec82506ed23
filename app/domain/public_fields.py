"""What the public may see of a passport's fields, and how a person reads each value.

Only template fields with `accessLevel: "public"` and a value pass (passports-api §11); every
public representation (HTML, JSON, JSON-LD) is built from these groups, so a restricted or
authority value cannot reach one of them by omission.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from datetime import date
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlsplit

from app.domain.passports import has_value
from app.domain.record import record
from app.domain.templates import Template, TemplateField

PUBLIC_ACCESS_LEVEL = "public"
DisplayKind = Literal["text", "link", "date", "list", "mapping"]
_KEY_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|[_\-]+")
_UNSAFE_IN_URL = re.compile(r"[\x00-\x20\x7f]")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# Words in object keys that read as abbreviations (`documentUrl` → `Document URL`).
_ABBREVIATIONS = frozenset({"url", "uri", "id", "gln", "gtin", "eu", "co2", "pdf", "ce"})
# English month names (labels are English in this version), independent of the process locale.
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@record
class Display:
    """A value as a person reads it: a tree the page renders (lists and mappings nest)."""

    kind: DisplayKind
    text: str = ""
    href: str | None = None  # link: an http(s) URL; date: the ISO date for <time datetime>
    items: tuple[Display, ...] = ()  # list
    entries: tuple[tuple[str, Display], ...] = ()  # mapping: (label, value)


@record
class PublicField:
    key: str
    label: str
    value: Any  # the stored JSON value, as the JSON representations give it
    unit: str | None
    display: Display


@record
class PublicGroup:
    key: str
    label: str
    fields: tuple[PublicField, ...] = field(default_factory=tuple)


def public_groups(fields: Mapping[str, Any], template: Template) -> list[PublicGroup]:
    """The template's groups in template order, each with its public, valued fields in template
    order; groups left empty are dropped."""
    by_group: dict[str, list[PublicField]] = {}
    for template_field in template.fields:
        if template_field.access_level != PUBLIC_ACCESS_LEVEL:
            continue
        value = fields.get(template_field.key)
        if not has_value(value):
            continue
        by_group.setdefault(template_field.group, []).append(
            PublicField(
                key=template_field.key,
                label=template_field.label,
                value=value,
                unit=template_field.unit or None,
                display=display_value(template_field, value),
            )
        )
    groups = []
    for group in template.groups:
        members = by_group.pop(str(group["key"]), None)
        if members:
            groups.append(PublicGroup(str(group["key"]), str(group["label"]), tuple(members)))
    # A field whose group the template does not list still shows, after the listed groups.
    for key, members in by_group.items():
        groups.append(PublicGroup(key, humanize_key(key), tuple(members)))
    return groups


def display_value(template_field: TemplateField, value: Any) -> Display:
    if template_field.data_type in ("enum", "multi_enum"):
        labels = _enum_labels(template_field)
        if isinstance(value, list):
            return Display(
                "list", items=tuple(Display("text", labels.get(v, str(v))) for v in value)
            )
        return Display("text", labels.get(value, str(value)))
    if template_field.data_type == "date" and isinstance(value, str):
        return _date(value)
    return display_json(value)


def display_json(value: Any) -> Display:
    """Any JSON value: booleans Yes/No, http(s) URLs as links, arrays and objects nested."""
    if isinstance(value, bool):
        return Display("text", "Yes" if value else "No")
    if isinstance(value, int | float):
        return Display("text", format_number(value))
    if isinstance(value, str):
        if is_web_url(value):
            return Display("link", value, href=value)
        # Inside arrays and objects there is no data type to go by: a full ISO date reads as one.
        return _date(value) if _ISO_DATE.match(value) else Display("text", value)
    if isinstance(value, list):
        return Display("list", items=tuple(display_json(item) for item in value))
    if isinstance(value, dict):
        return Display(
            "mapping",
            entries=tuple((humanize_key(str(k)), display_json(v)) for k, v in value.items()),
        )
    return Display("text", "—")  # null inside an array or object


def format_number(value: int | float) -> str:
    """Numbers as written, never in exponent notation (`0.00001`, not `1e-05`)."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    return format(Decimal(text), "f") if "e" in text or "E" in text else text


def is_web_url(text: str) -> bool:
    if _UNSAFE_IN_URL.search(text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def humanize_key(key: str) -> str:
    """`postalCode` / `postal_code` → `Postal code`."""
    words = [w for w in _KEY_WORD_BOUNDARY.split(key) if w]
    if not words:
        return key
    text = " ".join(
        w if w.isupper() else w.upper() if w.lower() in _ABBREVIATIONS else w.lower() for w in words
    )
    return text[0].upper() + text[1:]


def _enum_labels(template_field: TemplateField) -> dict[Any, str]:
    raw = template_field.raw or {}
    return {e["value"]: str(e.get("label") or e["value"]) for e in raw.get("enum", ())}


def _date(value: str) -> Display:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return Display("text", value)
    return Display("date", format_date(day), href=day.isoformat())


def format_date(day: date) -> str:
    """`9 May 2026`: unambiguous in every locale, unlike 05/09/2026."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
