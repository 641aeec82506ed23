"""Passport request and response models (passports contract): the handlers validate with these
and the OpenAPI document is built from them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from app.domain.gtin import SERIAL_PATTERN, gln_problem, gtin_problem, serial_problem
from app.domain.ids import OBJECT_ID_PATTERN
from app.domain.locales import EU_LOCALES, is_iso_3166_alpha_2
from app.domain.passports import FIELD_SOURCES, MAX_SUSPENSION_REASON, PASSPORT_STATUSES
from app.domain.qr_codes import HEX_RGB, HEX_RGBA
from app.http.models import (
    MAX_PAGE,
    MAX_PAGE_SIZE,
    MESSAGE_TEXT,
    NO_CONTROL_CHARS,
    NO_CONTROL_CHARS_MULTILINE,
    ErrorOut,
    _OptionalNotNullable,
    _Partial,
    _whole_number,
)

GTIN_SCHEMA_PATTERN = "^([0-9]{8}|[0-9]{12,14})$"
OBJECT_ID = f"^{OBJECT_ID_PATTERN}$"
EXAMPLE_GTIN = "04012345000016"
EXAMPLE_SERIAL = "BP-48V-100-000001"


def _check(problem_of: Any, kind: str) -> Any:
    def check(value: str) -> str:
        problem = problem_of(value)
        if problem:
            raise PydanticCustomError(kind, problem)
        return value

    return check


def _gtin14(value: str) -> str:
    problem = gtin_problem(value)
    if problem:
        raise PydanticCustomError("gtin", problem)
    return value.zfill(14)


def _country(code: str) -> str:
    if not is_iso_3166_alpha_2(code):
        raise PydanticCustomError("country", "Must be an ISO 3166-1 alpha-2 country code")
    return code


def _https_url(url: str) -> str:
    if not url.startswith("https://") or len(url) <= len("https://"):
        raise PydanticCustomError("url", "Must be an https URL")
    return url


GtinStr = Annotated[
    str,
    Field(
        json_schema_extra={"pattern": GTIN_SCHEMA_PATTERN},
        description="GTIN-8, -12, -13 or -14 with a valid check digit; stored as 14 digits.",
        examples=[EXAMPLE_GTIN],
    ),
    AfterValidator(_gtin14),
]
SerialStr = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        json_schema_extra={"pattern": SERIAL_PATTERN},
        description="GS1 AI 21 characters, 1-100, case-sensitive, not trimmed.",
        examples=[EXAMPLE_SERIAL],
    ),
    AfterValidator(_check(serial_problem, "serial")),
]
EuLocale = Literal[
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr",
    "hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
]  # fmt: skip
assert set(EuLocale.__args__) == set(EU_LOCALES)  # type: ignore[attr-defined]
PassportStatusLiteral = Literal[
    "draft", "in_review", "approved", "published", "suspended", "expired", "archived"
]
assert PassportStatusLiteral.__args__ == PASSPORT_STATUSES  # type: ignore[attr-defined]
FieldSource = Literal["manual", "ai_suggested", "ai_approved", "reference_db", "supplier", "system"]
assert FieldSource.__args__ == FIELD_SOURCES  # type: ignore[attr-defined]


class _AsSent(BaseModel):
    """Strict, unknown keys rejected, strings kept exactly as sent (GTINs and serials are not
    trimmed)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Gs1In(_AsSent):
    gtin: GtinStr
    serialNumber: SerialStr


class PartyIn(_AsSent, _OptionalNotNullable):
    legalName: Annotated[str, Field(min_length=1, max_length=200, pattern=NO_CONTROL_CHARS)]
    gln: (
        Annotated[
            str,
            Field(pattern="^[0-9]{13}$", description="13 digits with a valid check digit."),
            AfterValidator(_check(gln_problem, "gln")),
        ]
        | None
    ) = None
    country: (
        Annotated[
            str,
            Field(min_length=2, max_length=2, pattern="^[A-Z]{2}$"),
            AfterValidator(_country),
        ]
        | None
    ) = None
    legacyOperatorId: (
        Annotated[str, Field(min_length=1, max_length=100, pattern=NO_CONTROL_CHARS)] | None
    ) = None
    url: (
        Annotated[
            str,
            Field(max_length=2048, pattern="^https://[^\\s]+$"),
            AfterValidator(_https_url),
        ]
        | None
    ) = None


class PartiesIn(_AsSent, _OptionalNotNullable):
    manufacturer: PartyIn | None = None
    importer: PartyIn | None = None
    authorisedRepresentative: PartyIn | None = None
    distributor: PartyIn | None = None
    recycler: PartyIn | None = None
    producerResponsibilityOrg: PartyIn | None = None


CREATE_EXAMPLE: dict[str, Any] = {
    "productId": "6650a1b2c3d4e5f6a7b8c9d0",
    "gs1": {"gtin": EXAMPLE_GTIN, "serialNumber": EXAMPLE_SERIAL},
}


class CreatePassportBody(_AsSent, _OptionalNotNullable):
    """POST /api/v1/passports (contract §3)."""

    model_config = ConfigDict(json_schema_extra={"examples": [CREATE_EXAMPLE]})

    productId: Annotated[str, Field(pattern=OBJECT_ID, description="A product of the workspace.")]
    gs1: Gs1In
    parties: PartiesIn | None = None
    confirmOverage: bool = Field(
        default=False, description="Accept the overage charge when the plan's passports are used."
    )


class CreatePassportsBatchBody(_AsSent, _OptionalNotNullable):
    """POST /api/v1/passports/batch (contract §4): each item in the single-create shape; an
    item that fails validation fails alone."""

    passports: Annotated[list[Any], Field(min_length=1, max_length=100)] = Field(
        description="1-100 items, each in the `CreatePassportBody` shape. An item that does "
        "not fit it is not a 400 for the batch: it fails alone, with its validation errors in "
        "its result (paths relative to the item).",
        examples=[[CREATE_EXAMPLE]],
    )
    confirmOverage: bool = False


class FieldPatchBody(_AsSent, _OptionalNotNullable):
    """PATCH /api/v1/passports/{id}/fields/{key} (contract §6)."""

    NULLABLE = frozenset({"value"})

    value: Any = Field(
        default=None,
        description="The new value, validated like a `defaultFieldValues` entry; `null` "
        "removes the field.",
        examples=["NMC"],
    )
    source: FieldSource = "manual"
    sourceLocale: EuLocale | None = None


class EmptyActionBody(_AsSent):
    """An optional body: nothing to send (an empty body means `{}`)."""


class PublishBody(_AsSent, _OptionalNotNullable):
    acceptIncomplete: bool = Field(
        default=False, description="Publish even though required fields are missing."
    )


class SuspendBody(_Partial):
    reason: (
        Annotated[
            str,
            Field(max_length=MAX_SUSPENSION_REASON, pattern=NO_CONTROL_CHARS_MULTILINE),
        ]
        | None
    ) = Field(default=None, description='Internal, never public; trimmed, `""` clears.')


class ListPassportsQuery(_OptionalNotNullable):
    """GET /api/v1/passports query parameters (unknown or repeated parameters are a 400)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

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
    productId: Annotated[str, Field(pattern=OBJECT_ID)] | None = Field(
        default=None, description="Only this product's passports."
    )
    status: PassportStatusLiteral | None = Field(
        default=None, description="Only passports with this status (overrides showArchived)."
    )
    search: Annotated[str, Field(max_length=200, pattern=NO_CONTROL_CHARS)] | None = Field(
        default=None,
        description="Case-insensitive substring of the serial number or the GTIN, literally.",
    )
    showArchived: Literal["true", "false"] = Field(
        default="false", description="`true` includes archived passports when no status is given."
    )
    cursor: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        default=None, description="A previous page's `nextCursor`. Use instead of `page`."
    )


class GetPassportQuery(_OptionalNotNullable):
    model_config = ConfigDict(extra="forbid")

    format: Literal["summary", "full"] = Field(
        default="summary", description="`full` adds the template and field definitions."
    )
    lang: EuLocale | None = Field(default=None, description="One of the 24 EU locales.")


class BySerialQuery(_OptionalNotNullable):
    model_config = ConfigDict(extra="forbid")

    gtin: GtinStr | None = Field(
        default=None, description="Chooses among passports with this serial under several GTINs."
    )


class GetBySerialQuery(GetPassportQuery, BySerialQuery):
    model_config = ConfigDict(extra="forbid")


# -- responses ---------------------------------------------------------------------------------


class Gs1Out(BaseModel):
    gtin: str = Field(examples=[EXAMPLE_GTIN])
    serialNumber: str = Field(examples=[EXAMPLE_SERIAL])
    digitalLinkUri: str


class FieldMetaOut(BaseModel):
    source: str
    sourceLocale: str
    updatedAt: str


class PassportOut(BaseModel):
    """The passport resource (contract §2)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: str = Field(alias="_id", pattern=OBJECT_ID)
    productId: str
    category: str
    templateId: str
    gs1: Gs1Out
    status: PassportStatusLiteral
    fields: dict[str, Any]
    fieldMeta: dict[str, FieldMetaOut]
    completionPercentage: int = Field(ge=0, le=100)
    sourceLocale: str
    parties: dict[str, Any]
    publishedAt: str | None
    suspendedAt: str | None
    suspensionReason: str | None
    archivedAt: str | None
    expiresAt: str | None
    createdAt: str
    updatedAt: str


class TemplateRefOut(BaseModel):
    category: str
    templateId: str
    version: int
    groups: list[dict[str, str]]


class FieldDefinitionOut(BaseModel):
    label: str
    group: str
    dataType: str
    unit: str | None
    required: bool
    accessLevel: str
    enum: list[dict[str, Any]] | None = None


class PassportFullOut(PassportOut):
    """GET with `format=full` and/or `lang`: the resource plus what the flags add."""

    template: TemplateRefOut | None = None
    fieldDefinitions: dict[str, FieldDefinitionOut] | None = None
    lang: str | None = None


class PassportSummaryOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: str = Field(alias="_id", pattern=OBJECT_ID)
    productId: str
    gs1: Gs1Out
    status: PassportStatusLiteral
    completionPercentage: int
    publishedAt: str | None
    createdAt: str


class PassportPageOut(BaseModel):
    items: list[PassportSummaryOut]
    total: int
    page: int
    limit: int
    totalPages: int
    nextCursor: str | None


class PassportListOut(BaseModel):
    data: PassportPageOut


class BatchItemOut(BaseModel):
    index: int
    status: Literal["created", "error"]
    data: PassportOut | None = None
    error: str | None = None
    message: str | None = Field(default=None, description=MESSAGE_TEXT)
    code: str | None = None
    details: dict[str, Any] | None = None


class BatchSummaryOut(BaseModel):
    created: int
    failed: int


class BatchOut(BaseModel):
    results: list[BatchItemOut]
    summary: BatchSummaryOut


class DeletedPassportSummary(BaseModel):
    passportId: str
    serialNumber: str
    gtin: str
    dppsActiveDelta: Literal[-1]


class DeletedPassportOut(BaseModel):
    message: Literal["Passport permanently deleted"]
    summary: DeletedPassportSummary


class QuotaDetails(BaseModel):
    plan: str
    maxDpps: int
    held: int
    requested: int


class QuotaErrorOut(BaseModel):
    error: str
    message: str = Field(description=MESSAGE_TEXT)
    code: Literal["overage_required", "dpp_quota_exhausted"]
    details: QuotaDetails


class ReasonErrorOut(ErrorOut):
    """An error with a `reason` (plan_forbidden, passport_not_deletable)."""

    reason: str | None = None


# --- Passport QR codes (passports-api §10) -----------------------------------------------------


class QrQuery(_OptionalNotNullable):
    """GET /api/v1/passports/{id}/qr query parameters; any other parameter is a 400."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["svg", "png", "json"] = Field(
        default="svg",
        description="`svg` (image/svg+xml), `png` (image/png, 8 px per module) or `json` "
        '(`{"result": "<svg…>", "digitalLinkUri": "…"}`).',
    )
    color: str | None = Field(
        default=None,
        pattern=f"^{HEX_RGB}$",
        description="Module colour, 6 hex digits (`RRGGBB`, no `#`). Default black.",
    )
    backgroundColor: str | None = Field(
        default=None,
        pattern=f"^{HEX_RGBA}$",
        description="Background, 6 or 8 hex digits (`RRGGBB` or `RRGGBBAA`). Default transparent.",
    )
    useCompanyBranding: Literal["true", "false"] | None = Field(
        default=None,
        description="Accepted for TracePass clients; no effect (no branding in this service).",
    )


class QrBySerialQuery(QrQuery, BySerialQuery):
    """The by-serial twin also takes `gtin` (to choose among GTINs)."""

    model_config = ConfigDict(extra="forbid")


class QrJsonOut(BaseModel):
    result: str = Field(description="The standalone SVG, as `format=svg` serves it.")
    digitalLinkUri: str = Field(description="What the code encodes, byte for byte.")


# --- The public resolver (passports-api §11) ---------------------------------------------------


class ResolverQuery(_OptionalNotNullable):
    """Documented parameters of the resolver; any other parameter is ignored (scanner tags)."""

    linkType: str | None = Field(
        default=None,
        description="`linkset` (or GS1's `all`) answers the RFC 9264 linkset whatever `Accept` "
        "says; other values are ignored.",
    )
    lang: str | None = Field(
        default=None,
        description="Preferred language. Never an error; translations are not kept in this "
        "version, so values are shown as stored, with English labels.",
    )


class PublicGs1Out(BaseModel):
    gtin: str = Field(examples=["04012345000016"])
    serialNumber: str = Field(examples=["BP-48V-100-000001"])
    digitalLinkUri: str = Field(
        examples=["https://dpp.example.com/01/04012345000016/21/BP-48V-100-000001"]
    )


class PublicProductOut(BaseModel):
    name: str
    model: str
    category: str
    categoryLabel: str
    imageUrls: list[str]


class PublicFieldOut(BaseModel):
    key: str
    label: str
    value: Any = Field(description="The stored value (public fields with a value only).")
    unit: str | None


class PublicGroupOut(BaseModel):
    key: str
    label: str
    fields: list[PublicFieldOut]


class PublicPassportOut(BaseModel):
    """`application/json`: the public view. No ids, provenance, parties or non-public fields."""

    gs1: PublicGs1Out
    status: Literal["published"]
    publishedAt: str | None
    sourceLocale: str
    product: PublicProductOut
    groups: list[PublicGroupOut]


class PropertyValueOut(BaseModel):
    type_: Literal["PropertyValue"] = Field(alias="@type")
    propertyID: str
    name: str
    value: Any = Field(description='Arrays and objects as JSON literals (`"@type": "@json"`).')
    unitText: str | None = None


class PublicPassportJsonLdOut(BaseModel):
    """`application/ld+json`: a schema.org IndividualProduct."""

    context: Literal["https://schema.org"] = Field(alias="@context")
    type_: Literal["IndividualProduct"] = Field(alias="@type")
    id_: str = Field(alias="@id", description="The Digital Link URI.")
    url: str
    name: str
    model: str
    category: str
    gtin: str
    serialNumber: str
    image: list[str]
    additionalProperty: list[PropertyValueOut]


class LinkTargetOut(BaseModel):
    href: str
    type: Literal["text/html"]
    title: str | None = None


class LinkContextOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    anchor: str
    defaultLink: list[LinkTargetOut] = Field(alias="https://gs1.org/voc/defaultLink")
    pip: list[LinkTargetOut] = Field(alias="https://gs1.org/voc/pip")


class LinksetOut(BaseModel):
    """`application/linkset+json` (RFC 9264): the passport page as GS1 default link and
    product information page."""

    linkset: list[LinkContextOut]


class SuspendedDetails(BaseModel):
    suspendedAt: str | None


class PassportSuspendedOut(BaseModel):
    error: Literal["This passport is suspended"]
    message: Literal["This passport is suspended"]
    code: Literal["passport_suspended"]
    details: SuspendedDetails
