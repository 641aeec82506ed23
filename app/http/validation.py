"""Request bodies and query strings → pydantic models, or the contract's 400 body
(dotted paths in fieldErrors, the rest in formErrors)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from multidict import MultiMapping
from pydantic import BaseModel, ValidationError

from app.domain.errors import FieldErrors, ValidationFailed

M = TypeVar("M", bound=BaseModel)


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "Unknown field"
    if error["type"] == "missing":
        return "Required"
    return str(error["msg"])


def _validate(model: type[M], data: Mapping[str, Any], field_errors: FieldErrors) -> M:
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        form_errors: list[str] = []
        for error in exc.errors():
            path = ".".join(str(part) for part in error["loc"])
            if path:
                field_errors.setdefault(path, []).append(_message(error))
            else:
                form_errors.append(_message(error))
        raise ValidationFailed(field_errors, form_errors) from None
    if field_errors:
        raise ValidationFailed(field_errors)
    return parsed


def parse_body(model: type[M], body: Any) -> M:
    if not isinstance(body, dict):
        raise ValidationFailed({}, ["Request body must be a JSON object"])
    return _validate(model, body, {})


def parse_query(model: type[M], query: MultiMapping[str]) -> M:
    """A repeated parameter is an error rather than a silent pick of one value."""
    errors: FieldErrors = {}
    single: dict[str, str] = {}
    for name in query:
        values = query.getall(name)
        if len(values) > 1:
            errors[name] = ["Given more than once"]
        single[name] = values[0]
    return _validate(model, single, errors)
