"""Request and response models: the handlers validate with these and OpenAPI is built from them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from app.domain.image_urls import MAX_URL_LENGTH, image_url_problem
from app.domain.locales import is_iso_639_1

MAX_IMAGE_URLS = 20
NO_CONTROL_CHARS = r"^[^\x00-\x1f\x7f]*$"
NO_CONTROL_CHARS_MULTILINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def _check_image_url(url: str) -> str:
    problem = image_url_problem(url)
    if problem:
        raise PydanticCustomError("image_url", problem)
    return url


def _check_locale(code: str) -> str:
    if not is_iso_639_1(code):
        raise PydanticCustomError(
            "source_locale", "Must be an ISO 639-1 language code (two lowercase letters)"
        )
    return code


ImageUrl = Annotated[
    str,
    # The pattern is documented only: the validator gives the precise reason.
    Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        json_schema_extra={"pattern": "^https://", "format": "uri"},
    ),
    AfterValidator(_check_image_url),
]
LocaleCode = Annotated[
    str,
    Field(min_length=2, max_length=2, json_schema_extra={"pattern": "^[a-z]{2}$"}),
    AfterValidator(_check_locale),
]


def _drop_defaults(schema: dict[str, Any]) -> None:
    # Defaults here mean "left out"; the service decides what that is (e.g. the workspace locale).
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        str_strip_whitespace=True,
        json_schema_extra=_drop_defaults,
    )


class CreateProductBody(_Strict):
    """POST /api/v1/products."""

    name: Annotated[str, Field(min_length=1, max_length=200, pattern=NO_CONTROL_CHARS)]
    model: Annotated[str, Field(min_length=1, max_length=100, pattern=NO_CONTROL_CHARS)]
    category: Annotated[
        str,
        Field(
            min_length=1,
            max_length=100,
            description="A seeded category slug or alias (e.g. `batteries`, `battery`).",
        ),
    ]
    description: Annotated[
        str | None, Field(max_length=2000, pattern=NO_CONTROL_CHARS_MULTILINE)
    ] = None
    # Left out → empty / the workspace default; an explicit null is a type error (only
    # description is nullable).
    defaultFieldValues: dict[str, Any] = Field(
        default_factory=dict,
        description="Template field values, keyed by the template's camelCase keys "
        "(snake_case spellings accepted).",
    )
    imageUrls: Annotated[list[ImageUrl], Field(max_length=MAX_IMAGE_URLS)] = Field(
        default_factory=list
    )
    sourceLocale: LocaleCode = Field(
        default="", description="ISO 639-1 code; defaults to the workspace's default."
    )


class ProductOut(BaseModel):
    """The full product resource (contract §6)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: str = Field(alias="_id", pattern=r"^[0-9a-f]{24}$")
    name: str
    model: str
    category: str
    templateId: str
    description: str | None
    defaultFieldValues: dict[str, Any]
    imageUrls: list[str]
    sourceLocale: str
    passportCount: int
    status: Literal["active", "archived"]
    createdAt: str = Field(examples=["2026-05-09T10:00:00.000Z"])
    updatedAt: str = Field(examples=["2026-05-09T10:00:00.000Z"])


class ErrorOut(BaseModel):
    """Every error body: a human sentence and a stable code; details only where useful."""

    error: str
    code: str
    details: dict[str, Any] | None = None
    requestId: str | None = None


class ValidationDetails(BaseModel):
    fieldErrors: dict[str, list[str]]
    formErrors: list[str]


class ValidationErrorOut(BaseModel):
    error: Literal["Validation error"]
    code: Literal["validation_error"]
    details: ValidationDetails


class RateLimitDetails(BaseModel):
    plan: str
    limit: int
    used: int
    resetAt: str


class RateLimitErrorOut(BaseModel):
    error: str
    code: Literal["rate_limit_exceeded"]
    details: RateLimitDetails


class HealthOut(BaseModel):
    status: str
    checks: dict[str, bool] | None = None
