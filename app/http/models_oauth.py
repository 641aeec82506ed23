"""OAuth request and response models (oauth.md §3, §4.2, §6, §7.4): the handlers build their
answers through these and the OpenAPI document is generated from them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class OAuthErrorOut(BaseModel):
    """RFC 6749 §5.2 / RFC 7591 §3.2.2 error shape (not the API envelope: OAuth clients parse
    `error`; oauth.md §6.1, §10)."""

    error: str = Field(description="An RFC error code, e.g. `invalid_grant`.")
    error_description: str


class AuthorizationServerMetadataOut(BaseModel):
    """RFC 8414 authorization server metadata."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    registration_endpoint: str | None = Field(
        default=None, description="Present only while OAUTH_DCR=open."
    )
    revocation_endpoint: str
    scopes_supported: list[str]
    response_types_supported: list[str]
    response_modes_supported: list[str]
    grant_types_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    revocation_endpoint_auth_methods_supported: list[str]
    code_challenge_methods_supported: list[str]
    authorization_response_iss_parameter_supported: bool
    service_documentation: str


class ProtectedResourceMetadataOut(BaseModel):
    """RFC 9728 protected resource metadata."""

    resource: str
    authorization_servers: list[str]
    scopes_supported: list[str]
    bearer_methods_supported: list[str]
    resource_name: str
    resource_documentation: str


class TokenForm(BaseModel):
    """`application/x-www-form-urlencoded`. Client authentication: HTTP Basic, or `client_id`
    (+ `client_secret`) in the body. Empty parameters count as absent."""

    grant_type: Literal["authorization_code", "refresh_token"]
    code: str | None = Field(default=None, description="authorization_code: the code.")
    redirect_uri: str | None = Field(
        default=None, description="authorization_code: if sent, the authorize request's."
    )
    code_verifier: str | None = Field(
        default=None,
        description="authorization_code: the PKCE verifier (43-128 characters), "
        "required exactly when the code has a challenge.",
    )
    refresh_token: str | None = Field(default=None, description="refresh_token: the token.")
    scope: str | None = Field(
        default=None, description="refresh_token: narrows the new access token only."
    )
    resource: str | None = Field(default=None, description="RFC 8707; the code's if sent.")
    client_id: str | None = None
    client_secret: str | None = None


class TokenOut(BaseModel):
    access_token: str = Field(description="`tpat_` + 43 characters; use as a Bearer token.")
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str = Field(description="The granted scopes, space-separated.")
    refresh_token: str | None = Field(
        default=None,
        description="`tprt_` + 43 characters; only with offline_access. Rotated at every use.",
    )


class RevokeForm(BaseModel):
    """`application/x-www-form-urlencoded`, client authentication as for the token endpoint."""

    token: str
    token_type_hint: str | None = Field(default=None, description="A hint only.")
    client_id: str | None = None
    client_secret: str | None = None


class ClientRegistrationBody(BaseModel):
    """RFC 7591 client metadata; other members are ignored."""

    model_config = ConfigDict(extra="allow")

    redirect_uris: list[str] = Field(
        min_length=1,
        max_length=10,
        description="https, or http on 127.0.0.1, [::1] or localhost (any port matches).",
    )
    token_endpoint_auth_method: Literal["none", "client_secret_basic", "client_secret_post"] = (
        "client_secret_basic"
    )
    grant_types: list[Literal["authorization_code", "refresh_token"]] = [
        "authorization_code",
        "refresh_token",
    ]
    response_types: list[Literal["code"]] = ["code"]
    client_name: str | None = Field(default=None, max_length=100)
    scope: str | None = None


class RegisteredClientOut(BaseModel):
    client_id: str
    client_id_issued_at: int
    client_secret: str | None = Field(
        default=None, description="Confidential clients only; shown once."
    )
    client_secret_expires_at: int | None = Field(
        default=None, description="0 (never) for confidential clients."
    )
    redirect_uris: list[str]
    token_endpoint_auth_method: str
    grant_types: list[str]
    response_types: list[str]
    client_name: str
    scope: str | None = None


class ForbiddenOut(BaseModel):
    """`insufficient_scope` (details: requiredScope, grantedScopes) or `role_forbidden`
    (details: role, requiredRole) for OAuth access tokens; `plan_forbidden` where documented."""

    error: str = Field(description="A human-readable sentence.")
    message: str = Field(description="The same sentence as `error`.")
    code: str
    details: dict[str, str | list[str]] | None = None
