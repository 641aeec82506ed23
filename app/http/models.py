"""Request and response models: the handlers validate with these and OpenAPI is built from them."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    RootModel,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from app.domain.ids import OBJECT_ID_PATTERN
from app.domain.image_urls import MAX_IMAGE_URLS, MAX_URL_LENGTH, image_url_problem
from app.domain.locales import is_iso_639_1

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


NameStr = Annotated[str, Field(min_length=1, max_length=200, pattern=NO_CONTROL_CHARS)]
ModelStr = Annotated[str, Field(min_length=1, max_length=100, pattern=NO_CONTROL_CHARS)]


def _blank_is_none(text: str) -> str | None:
    # One spelling of "no description" whichever client sent it: n8n sends "" for a blank
    # field, the MCP server leaves the key out (runs after str_strip_whitespace).
    return text or None


DescriptionStr = Annotated[
    str,
    Field(max_length=2000, pattern=NO_CONTROL_CHARS_MULTILINE),
    AfterValidator(_blank_is_none),
]
FIELD_VALUES_DESCRIPTION = (
    "Template field values, keyed by the template's camelCase keys (snake_case spellings "
    "accepted), validated against the category template."
)


class CreateProductBody(_Strict):
    """POST /api/v1/products."""

    name: NameStr = Field(examples=["Li-Ion 48V Battery Pack"])
    model: ModelStr = Field(examples=["BP-48V-100"])
    category: Annotated[
        str,
        Field(
            min_length=1,
            max_length=100,
            description="A seeded category slug or alias (e.g. `batteries`, `battery`).",
            examples=["batteries"],
        ),
    ]
    description: DescriptionStr | None = Field(
        default=None,
        description="Blank text (empty after trimming) is stored and returned as `null`.",
        examples=["Rack-mounted pack"],
    )
    # Left out → empty / the workspace default; an explicit null is a type error (only
    # description is nullable).
    defaultFieldValues: dict[str, Any] = Field(
        default_factory=dict,
        description=FIELD_VALUES_DESCRIPTION,
        examples=[{"batteryChemistry": "NMC", "nominalVoltage": 48}],
    )
    imageUrls: Annotated[list[ImageUrl], Field(max_length=MAX_IMAGE_URLS)] = Field(
        default_factory=list, examples=[["https://cdn.example.com/bp-48v-100.png"]]
    )
    sourceLocale: LocaleCode = Field(
        default="",
        description="ISO 639-1 code; defaults to the workspace's default.",
        examples=["en"],
    )


def _non_nullable(schema: dict[str, Any], nullable: frozenset[str]) -> None:
    """Optional is not nullable: drop the `null` branch pydantic adds for `X | None = None`, and
    its `default: null` ("not sent" is not null; real defaults such as page 1 stay)."""
    for name, prop in schema.get("properties", {}).items():
        if name in nullable:
            continue
        if "default" in prop and prop["default"] is None:
            del prop["default"]
        variants = prop.get("anyOf")
        if not variants:
            continue
        kept = [v for v in variants if v != {"type": "null"}]
        if len(kept) == 1:
            del prop["anyOf"]
            prop.update(kept[0])


class _OptionalNotNullable(BaseModel):
    """`X | None = None` fields documented as optional X, not as nullable (NULLABLE excepted)."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core_schema))
        _non_nullable(schema, cls.NULLABLE)
        return schema


class _Partial(_Strict, _OptionalNotNullable):
    """Every field optional (left out = unchanged); only fields in NULLABLE accept null."""

    @field_validator("*", mode="before")
    @classmethod
    def _reject_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.NULLABLE:
            raise PydanticCustomError("not_null", "Must not be null")
        return value


class UpdateProductBody(_Partial):
    """PATCH /api/v1/products/{id}: the fields sent change; `category` cannot change."""

    NULLABLE = frozenset({"description"})

    name: NameStr | None = None
    model: ModelStr | None = Field(default=None, description="Unique in the workspace.")
    description: DescriptionStr | None = Field(
        default=None, description="`null` or blank text (empty after trimming) clears it."
    )
    defaultFieldValues: dict[str, Any] | None = Field(
        default=None, description=FIELD_VALUES_DESCRIPTION + " Replaces the whole map."
    )
    imageUrls: (
        Annotated[
            list[Annotated[str, Field(min_length=1, max_length=MAX_URL_LENGTH)]],
            Field(max_length=MAX_IMAGE_URLS),
        ]
        | None
    ) = Field(
        default=None,
        description="Replaces the whole array. New URLs must be public https URLs; URLs the "
        "product already holds (including images stored by this service) are kept as they are.",
    )
    status: Literal["active", "archived"] | None = None
    sourceLocale: LocaleCode | None = None


class ProductOut(BaseModel):
    """The full product resource (contract §6)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: str = Field(alias="_id", pattern=f"^{OBJECT_ID_PATTERN}$")
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


ERROR_TEXT = "A human-readable sentence."
MESSAGE_TEXT = "The same sentence as `error` (TracePass's official clients display `message`)."


class ErrorOut(BaseModel):
    """Every error body: a human sentence and a stable code; details only where useful."""

    error: str = Field(description=ERROR_TEXT)
    message: str = Field(description=MESSAGE_TEXT)
    code: str
    details: dict[str, Any] | None = None
    requestId: str | None = None


class ValidationDetails(BaseModel):
    fieldErrors: dict[str, list[str]]
    formErrors: list[str]


class ValidationErrorOut(BaseModel):
    error: Literal["Validation error"]
    message: Literal["Validation error"] = Field(description=MESSAGE_TEXT)
    code: Literal["validation_error"]
    details: ValidationDetails


class BadRequestOut(RootModel[ValidationErrorOut | ErrorOut]):
    """A 400 on a JSON write: `validation_error` with details, or another code (`invalid_json`,
    `template_not_found`, `invalid_idempotency_key`) in the common error shape."""


class RateLimitDetails(BaseModel):
    plan: str
    limit: int
    used: int
    resetAt: str


class RateLimitErrorOut(BaseModel):
    error: str = Field(description=ERROR_TEXT)
    message: str = Field(description=MESSAGE_TEXT)
    code: Literal["rate_limit_exceeded"]
    details: RateLimitDetails


class HealthOut(BaseModel):
    status: str
    checks: dict[str, bool] | None = None


class NotReadyOut(HealthOut):
    """/readyz when not ready: the checks, plus the common error members."""

    error: str = Field(description=ERROR_TEXT)
    message: str = Field(description=MESSAGE_TEXT)
    code: Literal["service_unavailable"]


class ProductSummaryOut(BaseModel):
    """A list item: the trimmed projection of a product (contract §7)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: str = Field(alias="_id", pattern=f"^{OBJECT_ID_PATTERN}$")
    name: str
    model: str
    category: str
    passportCount: int
    status: Literal["active", "archived"]
    createdAt: str = Field(examples=["2026-05-09T10:00:00.000Z"])


class ProductPageOut(BaseModel):
    items: list[ProductSummaryOut]
    total: int
    page: int
    limit: int
    totalPages: int
    nextCursor: str | None = Field(
        description="Pass as `cursor` for the items after this page (stable while products "
        "are created); null on the last page."
    )


class ProductListOut(BaseModel):
    data: ProductPageOut


class DeletedProductSummary(BaseModel):
    productId: str
    name: str


class DeletedProductOut(BaseModel):
    message: Literal["Product permanently deleted"]
    summary: DeletedProductSummary


class ProductHasPassportsOut(BaseModel):
    error: str = Field(description=ERROR_TEXT)
    message: str = Field(description=MESSAGE_TEXT)
    code: Literal["product_has_passports"]
    reason: str
    details: dict[str, int]


class DeleteConflictOut(RootModel[ProductHasPassportsOut | ErrorOut]):
    """A 409 on DELETE: the product has passports (with `reason`), or the Idempotency-Key is
    still in flight (`idempotency_key_in_use`)."""


class ImageUploadBody(BaseModel):
    """multipart/form-data with one part `file`."""

    file: bytes = Field(
        json_schema_extra={"format": "binary", "contentMediaType": "application/octet-stream"},
        description="A PNG, JPEG or WebP file (judged by its bytes), at most 5 MB.",
    )


class ImageUploadOut(BaseModel):
    imageUrl: str
    imageUrls: list[str]


class RegulationOut(BaseModel):
    name: str
    number: str
    effectiveDate: str | None = None
    mandatoryDate: str | None = None


class TemplateSummaryOut(BaseModel):
    category: str
    categoryLabel: str
    aliases: list[str]
    version: int
    regulation: RegulationOut
    fieldCount: int
    requiredFieldCount: int
    templateId: str


class TemplateListOut(BaseModel):
    templates: list[TemplateSummaryOut]


class TemplateGroupOut(BaseModel):
    key: str
    label: str


class EnumValueOut(BaseModel):
    value: str
    label: str


class RegulationRefOut(BaseModel):
    article: str | None = None
    annex: str | None = None
    instrument: str | None = None


class TemplateFieldOut(BaseModel):
    key: str
    label: str
    group: str
    dataType: Literal[
        "string",
        "number",
        "boolean",
        "date",
        "enum",
        "multi_enum",
        "url",
        "array",
        "object",
        "file_reference",
    ]
    unit: str | None
    required: bool
    accessLevel: str
    regulationRef: RegulationRefOut | None = None
    anticipated: bool | None = None
    requiredBy: dict[str, str] | None = None
    min: float | None = None
    max: float | None = None
    minLength: int | None = None
    maxLength: int | None = None
    pattern: str | None = None
    enum: list[EnumValueOut] | None = None


class TemplateOut(TemplateSummaryOut):
    groups: list[TemplateGroupOut]
    fields: list[TemplateFieldOut]
    source: str | None = None


MAX_PAGE = 10_000
MAX_PAGE_SIZE = 100


def _whole_number(value: Any) -> Any:
    # Query values are text: only plain decimal digits count as a number ("1.0", "+1", "1e3",
    # "0x10" and full-width digits do not), so a typo never silently becomes another page.
    if isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) <= 9):
        raise PydanticCustomError("int_parsing", "Must be a whole number")
    return value


class ListProductsQuery(_OptionalNotNullable):
    """GET /api/v1/products query parameters (unknown or repeated parameters are a 400).

    Query values are text and never null, so this needs no null check (it is on the hot path).
    Frozen: validated instances are shared between requests (ParsedQueries).
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    # The constraints come before the validator: in the other order pydantic emits `ge`/`le`
    # instead of `minimum`/`maximum` in the JSON schema.
    page: Annotated[
        int,
        Field(ge=1, le=MAX_PAGE, description="1-based page number."),
        BeforeValidator(_whole_number),
    ] = 1
    limit: Annotated[
        int,
        Field(ge=1, le=MAX_PAGE_SIZE, description="Items per page (1-100)."),
        BeforeValidator(_whole_number),
    ] = 20
    category: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        default=None, description="A category slug or alias."
    )
    status: Literal["active", "archived"] | None = Field(
        default=None, description="Only products with this status (overrides showArchived)."
    )
    search: Annotated[str, Field(max_length=200, pattern=NO_CONTROL_CHARS)] | None = Field(
        default=None,
        description="Case-insensitive substring of name or model, taken literally.",
    )
    showArchived: Literal["true", "false"] = Field(
        default="false", description="`true` includes archived products when no status is given."
    )
    cursor: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        default=None,
        description="A previous page's `nextCursor`: the items after it, in the same order "
        "(no repeats or gaps while products are created). Use instead of `page`.",
    )
