"""Category templates: the regulatory field list of one product category."""

from __future__ import annotations

import re
from typing import Any

from app.domain.record import record

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake_case(key: str) -> str:
    return _CAMEL_BOUNDARY.sub(r"_\1", key).lower()


@record
class TemplateField:
    key: str
    label: str
    group: str
    data_type: str
    unit: str | None
    required: bool
    access_level: str
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    enum_values: tuple[str, ...] = ()
    raw: dict[str, Any] | None = None  # the seed's field object, echoed by GET /templates/{c}

    @classmethod
    def from_seed(cls, data: dict[str, Any]) -> TemplateField:
        return cls(
            key=data["key"],
            label=data["label"],
            group=data["group"],
            data_type=data["dataType"],
            unit=data.get("unit"),
            required=bool(data.get("required", False)),
            access_level=data.get("accessLevel", "public"),
            minimum=data.get("min"),
            maximum=data.get("max"),
            min_length=data.get("minLength"),
            max_length=data.get("maxLength"),
            pattern=data.get("pattern"),
            enum_values=tuple(str(e["value"]) for e in data.get("enum", ())),
            raw=data,
        )


@record
class Template:
    template_id: str
    slug: str
    aliases: tuple[str, ...]
    label: str
    version: int
    regulation: dict[str, Any]
    groups: tuple[dict[str, Any], ...]
    fields: tuple[TemplateField, ...]
    source: str | None = None  # attribution of the field facts

    @classmethod
    def from_seed(cls, data: dict[str, Any]) -> Template:
        return cls(
            template_id=data["templateId"],
            slug=data["slug"],
            aliases=tuple(data.get("aliases", ())),
            label=data["label"],
            version=int(data["version"]),
            regulation=dict(data.get("regulation", {})),
            groups=tuple(data.get("groups", ())),
            fields=tuple(TemplateField.from_seed(f) for f in data["fields"]),
            source=data.get("source"),
        )

    def to_seed(self) -> dict[str, Any]:
        return {
            "templateId": self.template_id,
            "slug": self.slug,
            "aliases": list(self.aliases),
            "label": self.label,
            "version": self.version,
            "regulation": self.regulation,
            "groups": list(self.groups),
            "fields": [f.raw for f in self.fields],
            "source": self.source,
        }

    @property
    def required_field_count(self) -> int:
        return sum(1 for f in self.fields if f.required)


class TemplateCatalog:
    """In-memory index of the seeded templates: slug, alias and field-key lookups are hashes."""

    def __init__(self, templates: list[Template]) -> None:
        self._templates = sorted(templates, key=lambda t: t.slug)
        self._by_name: dict[str, Template] = {}
        self._fields: dict[str, dict[str, TemplateField]] = {}
        for template in self._templates:
            self._by_name[template.slug] = template
            for alias in template.aliases:
                self._by_name[alias] = template
            lookup: dict[str, TemplateField] = {}
            for f in template.fields:
                lookup[f.key] = f
                lookup.setdefault(snake_case(f.key), f)
            self._fields[template.slug] = lookup

    def __len__(self) -> int:
        return len(self._templates)

    def all(self) -> list[Template]:
        return list(self._templates)

    def resolve(self, category: str) -> Template | None:
        """Exact, lowercase match on a slug or an alias."""
        return self._by_name.get(category)

    def field(self, template: Template, key: str) -> TemplateField | None:
        """A field by its camelCase key or that key's snake_case spelling."""
        return self._fields[template.slug].get(key)
