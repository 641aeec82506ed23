"""What the HTML page routes accept, for the OpenAPI document (oauth.md §5). The handlers read
the forms themselves: a page answers with a page or a redirect, never a JSON validation error."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

CSRF_DESCRIPTION = "This session's CSRF token, from the hidden input of the page's form."


class CsrfForm(BaseModel):
    csrf_token: str = Field(description=CSRF_DESCRIPTION)


class LoginPageQuery(BaseModel):
    next: str | None = Field(
        default=None,
        description="A local path to go to after signing in (another host is never used).",
    )


class LoginForm(BaseModel):
    csrf_token: str = Field(description=CSRF_DESCRIPTION)
    email: str
    password: str
    next: str = Field(default="", description="As on GET /login; empty for the default page.")


class AuthorizeQuery(BaseModel):
    response_type: str = Field(description="`code`.")
    client_id: str
    redirect_uri: str = Field(description="One of the client's registered redirect URIs.")
    scope: str | None = Field(
        default=None,
        description="Space-separated: `passports:read`, `passports:write`, `offline_access`.",
    )
    state: str | None = Field(default=None, description="Returned unchanged with the result.")
    code_challenge: str | None = Field(
        default=None, description="PKCE: BASE64URL(SHA-256(code_verifier)), 43 characters."
    )
    code_challenge_method: str | None = Field(default=None, description="`S256`.")
    resource: str | None = Field(
        default=None, description="RFC 8707: this service's base URL (the default)."
    )


class ConsentForm(AuthorizeQuery):
    csrf_token: str = Field(description=CSRF_DESCRIPTION)
    decision: Literal["approve", "deny"]
    workspace: str | None = Field(
        default=None, description="The chosen workspace's id (24 hex); needed to approve."
    )
