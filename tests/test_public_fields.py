"""The public view of a passport's fields: only public, valued template fields, in template
order, each value as a person reads it (passports-api §11)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.domain.public_fields import (
    Display,
    display_json,
    format_number,
    humanize_key,
    is_web_url,
    public_groups,
)
from app.domain.templates import Template

SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "templates"


@pytest.fixture(scope="module")
def batteries() -> Template:
    return Template.from_seed(json.loads((SEEDS / "batteries.json").read_text()))


def test_only_public_fields_with_a_value_in_template_order(batteries: Template) -> None:
    fields: dict[str, Any] = {
        "nominalVoltage": 48,
        "batteryChemistry": "NMC",
        "manufacturerName": "Acme Cells GmbH",
        "stateOfHealth": 97,  # restricted
        "negativeEvents": ["dropped"],  # authority
        "testReportResults": "https://secret.example.com/report",  # authority
        "manufacturerEmail": "",  # not a value
        "hazardousSubstances": [],  # not a value
        "manufacturingPlace": {},  # not a value
    }
    groups = public_groups(fields, batteries)
    template_group_order = [g["key"] for g in batteries.groups]
    assert [g.key for g in groups] == [
        k
        for k in template_group_order
        if k in {"general_info", "materials_composition", "performance"}
    ]
    shown = {f.key: f for g in groups for f in g.fields}
    assert set(shown) == {"nominalVoltage", "batteryChemistry", "manufacturerName"}
    assert shown["nominalVoltage"].unit == "V" and shown["nominalVoltage"].value == 48
    assert shown["nominalVoltage"].display == Display("text", "48")
    labels = {g["key"]: g["label"] for g in batteries.groups}
    assert all(g.label == labels[g.key] for g in groups)
    field_order = [f.key for f in batteries.fields]
    for group in groups:
        keys = [f.key for f in group.fields]
        assert keys == sorted(keys, key=field_order.index)


def test_values_as_a_person_reads_them(batteries: Template) -> None:
    fields = {
        "batteryCategory": "EV",  # enum → its label
        "ceMarking": True,
        "leadSymbol": False,
        "manufacturerWebAddress": "https://acme.example.com/cells",
        "manufacturingPlace": {
            "city": "Leipzig",
            "countryCode": "DE",
            "site": None,
            "since": "2019-04-01",
        },
        "hazardousSubstances": ["Cobalt", {"name": "Lithium", "share": 0.00001}],
    }
    shown = {f.key: f.display for g in public_groups(fields, batteries) for f in g.fields}
    assert shown["batteryCategory"] == Display("text", "Electric Vehicle")
    assert shown["ceMarking"] == Display("text", "Yes")
    assert shown["leadSymbol"] == Display("text", "No")
    assert shown["manufacturerWebAddress"] == Display(
        "link", "https://acme.example.com/cells", href="https://acme.example.com/cells"
    )
    assert shown["manufacturingPlace"] == Display(
        "mapping",
        entries=(
            ("City", Display("text", "Leipzig")),
            ("Country code", Display("text", "DE")),
            ("Site", Display("text", "—")),
            ("Since", Display("date", "1 April 2019", href="2019-04-01")),
        ),
    )
    assert shown["hazardousSubstances"] == Display(
        "list",
        items=(
            Display("text", "Cobalt"),
            Display(
                "mapping",
                entries=(
                    ("Name", Display("text", "Lithium")),
                    ("Share", Display("text", "0.00001")),
                ),
            ),
        ),
    )


def test_dates_read_unambiguously() -> None:
    from app.domain.public_fields import display_value
    from app.domain.templates import TemplateField

    field = TemplateField("d", "Date", "g", "date", None, False, "public")
    assert display_value(field, "2026-05-09") == Display("date", "9 May 2026", href="2026-05-09")
    assert display_value(field, "2026-05") == Display("text", "2026-05")  # not a full date


@pytest.mark.parametrize(
    ("text", "linked"),
    [
        ("https://example.com/a?b=c", True),
        ("http://example.com", True),
        ("HTTPS://EXAMPLE.COM", True),
        ("javascript:alert(1)", False),
        ("data:text/html,<b>x</b>", False),
        ("https://", False),
        ("https://exa mple.com", False),
        ("ftp://example.com/file", False),
        ("see https://example.com", False),
    ],
)
def test_only_http_urls_become_links(text: str, linked: bool) -> None:
    assert is_web_url(text) is linked
    assert (display_json(text).kind == "link") is linked


def test_numbers_never_in_exponent_notation() -> None:
    assert format_number(48) == "48"
    assert format_number(48.0) == "48"
    assert format_number(3.75) == "3.75"
    assert format_number(1e-05) == "0.00001"
    assert format_number(2.5e20) == "250000000000000000000"


def test_object_keys_read_as_words() -> None:
    assert humanize_key("postalCode") == "Postal code"
    assert humanize_key("postal_code") == "Postal code"
    assert humanize_key("CO2") == "CO2"
    assert humanize_key("gln") == "GLN"
    assert humanize_key("documentUrl") == "Document URL"
    assert humanize_key("width") == "Width"
