"""Settings from the environment (contract §8).

Storage: MONGODB_URI selects that MongoDB; without it the service runs the embedded database
(a MongoDB-compatible server process on EMBEDDED_DB_PATH); STORAGE=memory selects the ephemeral
in-process store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.event_loops import EventLoopName


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    mongodb_uri: str | None = None
    # "memory": the in-process store (ephemeral; tests and benchmarks). "mongo": MONGODB_URI,
    # or the embedded database when MONGODB_URI is unset.
    storage: Literal["mongo", "memory"] = "mongo"
    embedded_db_path: Path = Path("var/db")
    mongodb_db: str = "tracepass"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_base_url: str | None = None
    log_level: str = "INFO"

    bootstrap_api_key: SecretStr | None = None
    bootstrap_workspace: str = "Default workspace"
    bootstrap_plan: str = "free"
    bootstrap_file: Path | None = None
    bootstrap_admin_email: str | None = None
    bootstrap_admin_password: SecretStr | None = None

    # Protects browser sessions and CSRF tokens (oauth.md §1); unset: random per process.
    session_secret: SecretStr | None = None
    # Dynamic client registration (RFC 7591) at /api/oauth/register: open to anyone, or off.
    oauth_dcr: Literal["open", "off"] = "open"
    # Further accepted RFC 8707 `resource` values, comma-separated (e.g. an MCP server's URL).
    oauth_extra_resources: str = ""

    # Explicit driver timeouts: a lost primary answers 503 quickly instead of hanging requests.
    mongodb_server_selection_timeout_ms: int = 5000
    mongodb_connect_timeout_ms: int = 5000
    mongodb_socket_timeout_ms: int = 10000

    # How long an authenticated key is trusted without asking storage (revocation delay bound).
    auth_cache_seconds: float = Field(default=15.0, ge=0, le=30)
    # How long plans are cached; an operator's limit change is seen within this time.
    plan_cache_seconds: float = Field(default=30.0, ge=0)
    # An in-flight Idempotency-Key claim older than this may be taken over by a retry.
    idempotency_lease_seconds: float = Field(default=30.0, gt=0)
    max_json_body_bytes: int = 1024 * 1024
    # When set, GET /metrics needs `Authorization: Bearer <token>`; unset, it is open (keep it
    # on an internal network then).
    metrics_token: SecretStr | None = None
    # On SIGTERM: stop accepting, then wait this long for requests in flight before cancelling.
    shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    # The event loop `serve` runs on (app/event_loops.py).
    event_loop: EventLoopName = "uvloop"

    @field_validator("session_secret")
    @classmethod
    def _long_session_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("SESSION_SECRET needs at least 32 characters")
        return value

    @model_validator(mode="after")
    def _bootstrap_admin_pair(self) -> Self:
        if (self.bootstrap_admin_email is None) != (self.bootstrap_admin_password is None):
            raise ValueError(
                "BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD go together: both or neither"
            )
        return self

    @property
    def extra_resources(self) -> tuple[str, ...]:
        return tuple(r.strip() for r in self.oauth_extra_resources.split(",") if r.strip())

    @property
    def base_is_origin(self) -> bool:
        """The OAuth routes need <base> to be an origin (no path): issuer == resource."""
        return urlsplit(self.base_url).path == ""

    def startup_warnings(self) -> list[str]:
        """Settings that work but deserve an operator's attention (oauth.md §1)."""
        warnings = []
        if self.session_secret is None:
            warnings.append(
                "SESSION_SECRET is unset: a random one is used, so sessions end at restart and "
                "differ between instances"
            )
        parts = urlsplit(self.base_url)
        if parts.path:
            warnings.append(
                "PUBLIC_BASE_URL has a path: OAuth and login routes answer 404 (it must be an "
                "origin)"
            )
        if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "::1", "localhost"):
            warnings.append(
                "PUBLIC_BASE_URL is http on a non-loopback host: tokens and passwords travel "
                "unencrypted"
            )
        return warnings

    @property
    def in_memory(self) -> bool:
        return self.storage == "memory"

    @property
    def embedded(self) -> bool:
        """The service owns its database: the embedded server, or the in-process store."""
        return self.in_memory or not self.mongodb_uri

    @property
    def base_url(self) -> str:
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        return f"http://{self.host}:{self.port}"
