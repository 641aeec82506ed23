"""Domain errors: every client-visible failure is one of these kinds.

The HTTP layer turns them into the contract's JSON body (error, message, code, details) in one
place: `ApiError.body`.
"""

from __future__ import annotations

import json
from typing import Any

from app.domain.api_keys import redact_api_keys


class ApiError(Exception):
    status: int = 500
    code: str = "internal_error"
    message: str = "Internal server error"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.message = message or type(self).message
        self.details = details
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        # `message` repeats `error`: TracePass's official clients (MCP server, n8n node) show
        # `message`, older integrations read `error`.
        body: dict[str, Any] = {"error": self.message, "message": self.message, "code": self.code}
        if self.details:
            body["details"] = self.details
        body.update(self.extra)
        return body

    def body_bytes(self) -> bytes:
        # Error bodies echo what the client sent (a category, an unknown field's name) and end
        # up in ERP logs and support tickets: anything shaped like an API key is redacted here,
        # once for every kind. Key characters need no JSON escaping, so the text is safe to edit.
        text = json.dumps(self.body(), ensure_ascii=False, separators=(",", ":"))
        return redact_api_keys(text).encode()


FieldErrors = dict[str, list[str]]


class ValidationFailed(ApiError):
    status = 400
    code = "validation_error"
    message = "Validation error"

    def __init__(self, field_errors: FieldErrors, form_errors: list[str] | None = None) -> None:
        super().__init__(
            details={"fieldErrors": field_errors, "formErrors": form_errors or []},
        )
        self.field_errors = field_errors
        self.form_errors = form_errors or []


class MalformedRequest(ApiError):
    """HTTP framing aiohttp could not parse (request line, headers, body length)."""

    status = 400
    code = "bad_request"
    message = "Malformed HTTP request"


class NothingToUpdate(ValidationFailed):
    """A PATCH without any field (an empty body or `{}`)."""

    def __init__(self) -> None:
        super().__init__({}, ["Provide at least one field to update"])


class InvalidJson(ApiError):
    status = 400
    code = "invalid_json"
    message = "Request body is not valid JSON"


class InvalidIdempotencyKey(ApiError):
    status = 400
    code = "invalid_idempotency_key"
    message = "Idempotency-Key must be 1-255 printable ASCII characters"


class TemplateNotFound(ApiError):
    status = 400
    code = "template_not_found"

    def __init__(self, category: str, *, status: int = 400) -> None:
        # Echoed as sent (contract); body_bytes() redacts anything shaped like an API key.
        super().__init__(f"No template found for category: {category}")
        self.status = status


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"
    message = "Missing or invalid API key"

    def __init__(self, challenge: str = 'Bearer realm="api"') -> None:
        super().__init__(headers={"WWW-Authenticate": challenge})


class InsufficientScope(ApiError):
    status = 403
    code = "insufficient_scope"
    message = "The access token does not grant this operation"

    def __init__(self, required: str, granted: list[str], challenge: str) -> None:
        super().__init__(
            details={"requiredScope": required, "grantedScopes": granted},
            headers={"WWW-Authenticate": challenge},
        )


class RoleForbidden(ApiError):
    status = 403
    code = "role_forbidden"
    message = "Your workspace role does not allow this operation"

    def __init__(self, role: str, required_role: str) -> None:
        super().__init__(details={"role": role, "requiredRole": required_role})


class ProductNotFound(ApiError):
    status = 404
    code = "not_found"
    message = "Product not found"


class RouteNotFound(ApiError):
    status = 404
    code = "not_found"
    message = "Not found"


class MethodNotAllowed(ApiError):
    status = 405
    code = "method_not_allowed"
    message = "Method not allowed"


class DuplicateModel(ApiError):
    status = 409
    code = "duplicate_model"
    message = "A product with this model already exists for your company"


class IdempotencyKeyInUse(ApiError):
    status = 409
    code = "idempotency_key_in_use"
    message = "A request with this Idempotency-Key is still being processed"

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "1"})


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"
    message = "Request body exceeds the 1 MiB limit"


class HeadersTooLarge(ApiError):
    status = 431
    code = "request_header_fields_too_large"
    message = "Request line or header fields too large"


class UnsupportedMediaType(ApiError):
    status = 415
    code = "unsupported_media_type"
    message = "Content-Type must be application/json"


class IdempotencyKeyReused(ApiError):
    status = 422
    code = "idempotency_key_reused"
    message = (
        "Idempotency-Key has already been used with a different request body. "
        "Use a new key for the new request, or reuse the original body."
    )


class RateLimitExceeded(ApiError):
    status = 429
    code = "rate_limit_exceeded"


class ServiceUnavailable(ApiError):
    status = 503
    code = "service_unavailable"
    message = "Service temporarily unavailable"

    def __init__(self, retry_after_seconds: int = 5) -> None:
        super().__init__(headers={"Retry-After": str(retry_after_seconds)})


class InternalError(ApiError):
    status = 500
    code = "internal_error"
    message = "Internal server error"

    def __init__(self, request_id: str) -> None:
        super().__init__(extra={"requestId": request_id})


class PlanForbidden(ApiError):
    status = 403
    code = "plan_forbidden"
    message = "Your plan does not allow deleting products. Archive the product instead."


class ImageNotFound(ApiError):
    status = 404
    code = "not_found"
    message = "Image not found"


class ProductHasPassports(ApiError):
    status = 409
    code = "product_has_passports"
    message = "Product has passports and cannot be deleted"

    def __init__(self, passport_count: int) -> None:
        super().__init__(
            details={"passportCount": passport_count},
            extra={
                "reason": f"{passport_count} passport(s) were issued from this product; "
                "archive it instead of deleting it."
            },
        )


class ImageLimitReached(ApiError):
    status = 409
    code = "image_limit_reached"

    def __init__(self, limit: int) -> None:
        super().__init__(f"A product can have at most {limit} images")


class ImageTooLarge(ApiError):
    status = 413
    code = "payload_too_large"

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"Image exceeds the {limit_bytes // (1024 * 1024)} MB limit")


class UnsupportedImageType(ApiError):
    status = 415
    code = "unsupported_media_type"
    message = "Image must be PNG, JPEG or WebP"
