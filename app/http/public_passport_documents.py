"""The resolver's machine-readable representations of a public passport (passports-api §11):
plain JSON, schema.org JSON-LD and an RFC 9264 linkset. All three are built from the same
PublicPassport view as the HTML page, which holds public, valued fields only."""

from __future__ import annotations

from typing import Any

from app.domain.clock import format_timestamp
from app.domain.public_passport import PublicPassport

GS1_DEFAULT_LINK = "https://gs1.org/voc/defaultLink"
GS1_PRODUCT_INFO_PAGE = "https://gs1.org/voc/pip"


def linkset_url(view: PublicPassport) -> str:
    return f"{view.digital_link_uri}?linkType=linkset"


def json_document(view: PublicPassport) -> dict[str, Any]:
    return {
        "gs1": {
            "gtin": view.gtin,
            "serialNumber": view.serial_number,
            "digitalLinkUri": view.digital_link_uri,
        },
        "status": view.status,
        "publishedAt": None if view.published_at is None else format_timestamp(view.published_at),
        "sourceLocale": view.source_locale,
        "product": {
            "name": view.product.name,
            "model": view.product.model,
            "category": view.product.category,
            "categoryLabel": view.product.category_label,
            "imageUrls": list(view.product.image_urls),
        },
        "groups": [
            {
                "key": group.key,
                "label": group.label,
                "fields": [
                    {"key": f.key, "label": f.label, "value": f.value, "unit": f.unit}
                    for f in group.fields
                ],
            }
            for group in view.groups
        ],
    }


def _property_value(value: Any) -> Any:
    # Arrays and objects are JSON literals (JSON-LD 1.1 `@json`): read as plain JSON they would
    # become nodes whose keys expand to unrelated schema.org terms.
    if isinstance(value, list | dict):
        return {"@value": value, "@type": "@json"}
    return value


def jsonld_document(view: PublicPassport) -> dict[str, Any]:
    properties = []
    for group in view.groups:
        for f in group.fields:
            prop: dict[str, Any] = {
                "@type": "PropertyValue",
                "propertyID": f.key,
                "name": f.label,
                "value": _property_value(f.value),
            }
            if f.unit:
                prop["unitText"] = f.unit
            properties.append(prop)
    return {
        "@context": "https://schema.org",
        "@type": "IndividualProduct",
        "@id": view.digital_link_uri,
        "url": view.digital_link_uri,
        "name": view.product.name,
        "model": view.product.model,
        "category": view.product.category_label,
        "gtin": view.gtin,
        "serialNumber": view.serial_number,
        "image": list(view.product.image_urls),
        "additionalProperty": properties,
    }


def linkset_document(view: PublicPassport) -> dict[str, Any]:
    uri = view.digital_link_uri
    return {
        "linkset": [
            {
                "anchor": uri,
                GS1_DEFAULT_LINK: [{"href": uri, "title": view.product.name, "type": "text/html"}],
                GS1_PRODUCT_INFO_PAGE: [{"href": uri, "type": "text/html"}],
            }
        ]
    }
