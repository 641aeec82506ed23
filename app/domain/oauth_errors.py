"""OAuth protocol errors (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 7009): the RFC shape, not the
API envelope. Descriptions are fixed sentences: nothing a client sent is echoed."""

from __future__ import annotations


class OAuthError(Exception):
    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def invalid_grant(description: str = "The grant is invalid, expired or revoked.") -> OAuthError:
    return OAuthError("invalid_grant", description)


def invalid_client(description: str = "Client authentication failed.") -> OAuthError:
    return OAuthError("invalid_client", description, status=401)


def invalid_scope(description: str = "The requested scope is invalid.") -> OAuthError:
    return OAuthError("invalid_scope", description)


def invalid_target(description: str = "The resource is not served here.") -> OAuthError:
    return OAuthError("invalid_target", description)
