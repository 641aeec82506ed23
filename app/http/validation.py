"""Pydantic validation errors → the contract's 400 body (dotted paths, fieldErrors/formErrors)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.domain.errors import FieldErrors, ValidationFailed

M = TypeVar("M", bound=BaseModel)


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "Unknown field"
    if error["type"] == "missing":
        return "Required"
    return str(error["msg"])


def parse_body(model: type[M], body: Any) -> M:
    if not isinstance(body, dict):
        raise ValidationFailed({}, ["Request body must be a JSON object"])
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        field_errors: FieldErrors = {}
        form_errors: list[str] = []
        for error in exc.errors():
            path = ".".join(str(part) for part in error["loc"])
            if path:
                field_errors.setdefault(path, []).append(_message(error))
            else:
                form_errors.append(_message(error))
        raise ValidationFailed(field_errors, form_errors) from None
