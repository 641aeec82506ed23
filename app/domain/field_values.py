"""Validation of defaultFieldValues against a category template (contract §5.3).

No coercion: "48" is not a number, 1 is not a boolean. Keys may use the snake_case spelling of a
template key and are stored under the camelCase key.
"""

from __future__ import annotations

import math
import re
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from app.domain.compact_json import compact_json
from app.domain.errors import FieldErrors
from app.domain.templates import Template, TemplateCatalog, TemplateField

MAX_DEPTH = 8
MAX_SERIALIZED_BYTES = 64 * 1024
MAX_URL_LENGTH = 2048
_FULL_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH_DATE = re.compile(r"^(\d{4})-(\d{2})$")
_TRIMMED_TYPES = frozenset({"string", "enum", "url", "date", "file_reference"})


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _depth_problem(value: Any) -> str | None:
    """Depth of nesting (a scalar is 0), storage-unsafe keys and integers BSON cannot hold."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, int) and not isinstance(node, bool):
            if not INT64_MIN <= node <= INT64_MAX:
                return "Integers must fit in 64 bits"
        elif isinstance(node, dict | list):
            if depth + 1 > MAX_DEPTH:
                return f"Nesting depth must be at most {MAX_DEPTH}"
            children = node.values() if isinstance(node, dict) else node
            if isinstance(node, dict):
                for key in node:
                    if key.startswith("$") or "." in key or "\x00" in key:
                        return "Object keys must not start with '$' or contain '.' or NUL"
            stack.extend((child, depth + 1) for child in children)
    return None


def _length_problem(f: TemplateField, length: int, unit: str) -> str | None:
    if f.min_length is not None and length < f.min_length:
        return f"Must have at least {f.min_length} {unit}"
    if f.max_length is not None and length > f.max_length:
        return f"Must have at most {f.max_length} {unit}"
    return None


def _pattern_problem(f: TemplateField, value: str) -> str | None:
    if f.pattern is not None and not _compiled(f.pattern).search(value):
        return f"Must match pattern {f.pattern}"
    return None


def _date_problem(f: TemplateField, value: str) -> str | None:
    if f.pattern is not None:
        # A template may narrow the precision (e.g. a battery's manufacturing month: YYYY-MM).
        problem = _pattern_problem(f, value)
        if problem:
            return problem
    full, month = _FULL_DATE.match(value), _MONTH_DATE.match(value)
    try:
        if full:
            date(int(full[1]), int(full[2]), int(full[3]))
        elif month and f.pattern is not None:
            date(int(month[1]), int(month[2]), 1)
        else:
            return "Must be a date in YYYY-MM-DD format"
    except ValueError:
        return "Must be a real calendar date"
    return None


def _url_problem(f: TemplateField, value: str) -> str | None:
    limit = f.max_length or MAX_URL_LENGTH
    if len(value) > min(limit, MAX_URL_LENGTH):
        return f"URL must be at most {min(limit, MAX_URL_LENGTH)} characters"
    try:
        parts = urlsplit(value)
    except ValueError:
        return "Must be an absolute http(s) URL"
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        return "Must be an absolute http(s) URL"
    return _pattern_problem(f, value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def value_problem(f: TemplateField, value: Any) -> str | None:
    """Why `value` does not fit field `f`, or None."""
    if value is None:
        return "Must not be null"
    kind = f.data_type
    if kind in ("string", "url", "date", "enum", "file_reference") and not isinstance(value, str):
        return f"Expected a {kind.replace('_', ' ')} (JSON string)"
    if kind == "string":
        return _length_problem(f, len(value), "characters") or _pattern_problem(f, value)
    if kind == "number":
        if not _is_number(value):
            return "Expected a number"
        if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
            return "Integers must fit in 64 bits"
        if not math.isfinite(value):
            return "Must be a finite number"
        if f.minimum is not None and value < f.minimum:
            return f"Must be greater than or equal to {f.minimum:g}"
        if f.maximum is not None and value > f.maximum:
            return f"Must be less than or equal to {f.maximum:g}"
        return None
    if kind == "boolean":
        return None if isinstance(value, bool) else "Expected a boolean"
    if kind == "date":
        return _date_problem(f, value)
    if kind == "enum":
        return None if value in f.enum_values else _enum_message(f)
    if kind == "multi_enum":
        if not isinstance(value, list):
            return "Expected an array of enum values"
        if any(not isinstance(v, str) or v not in f.enum_values for v in value):
            return _enum_message(f)
        if len(set(value)) != len(value):
            return "Values must be distinct"
        return _length_problem(f, len(value), "items")
    if kind == "url":
        return _url_problem(f, value)
    if kind == "array":
        if not isinstance(value, list):
            return "Expected an array"
        return _length_problem(f, len(value), "items") or _depth_problem(value)
    if kind == "object":
        if not isinstance(value, dict):
            return "Expected an object"
        return _depth_problem(value)
    if kind == "file_reference":
        return None if value else "Must be a non-empty string"
    return f"Unsupported field type {kind}"


def _enum_message(f: TemplateField) -> str:
    return "Must be one of: " + ", ".join(f.enum_values)


def trimmed(f: TemplateField, value: Any) -> Any:
    """Text-like values are stored without surrounding white space."""
    return value.strip() if f.data_type in _TRIMMED_TYPES and isinstance(value, str) else value


def serialized_size_problem(value: Any) -> str | None:
    size = len(compact_json(value))
    if size > MAX_SERIALIZED_BYTES:
        return f"Serialized size must be at most {MAX_SERIALIZED_BYTES} bytes"
    return None


def validate_field_value(f: TemplateField, value: Any) -> tuple[Any, str | None]:
    """One value, checked like a defaultFieldValues entry: (the value to store, problem)."""
    value = trimmed(f, value)
    return value, value_problem(f, value) or serialized_size_problem(value)


def validate_field_values(
    catalog: TemplateCatalog, template: Template, values: dict[str, Any], *, path: str
) -> tuple[dict[str, Any], FieldErrors]:
    """Check every entry; return the camelCase-keyed, trimmed values and the errors by path."""
    errors: FieldErrors = {}
    normalized: dict[str, Any] = {}
    sent_as: dict[str, str] = {}
    for key, raw_value in values.items():
        entry_path = f"{path}.{key}"
        f = catalog.field(template, key)
        if f is None:
            errors[entry_path] = [f"Unknown field for category {template.slug}"]
            continue
        if f.key in sent_as:
            errors[entry_path] = [f"Field {f.key} is given twice ({sent_as[f.key]} and {key})"]
            continue
        sent_as[f.key] = key
        value = trimmed(f, raw_value)
        problem = value_problem(f, value)
        if problem:
            errors[entry_path] = [problem]
        else:
            normalized[f.key] = value
    if not errors:
        problem = serialized_size_problem(normalized)
        if problem:
            errors[path] = [problem]
    return normalized, errors
