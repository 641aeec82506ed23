"""Settings from the environment (contract §8). Unset MONGODB_URI selects the embedded store."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    mongodb_uri: str | None = None
    mongodb_db: str = "tracepass"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_base_url: str | None = None
    log_level: str = "INFO"

    bootstrap_api_key: SecretStr | None = None
    bootstrap_workspace: str = "Default workspace"
    bootstrap_plan: str = "free"
    bootstrap_file: Path | None = None

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
    # Protects the browser session cookie and its CSRF token (oauth.md §1). Unset: a random
    # secret per process (sessions end at restart and differ between instances; start-up warns).
    session_secret: SecretStr | None = None

    @field_validator("session_secret")
    @classmethod
    def _long_session_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("SESSION_SECRET needs at least 32 characters")
        return value

    @property
    def embedded(self) -> bool:
        return not self.mongodb_uri

    @property
    def base_url(self) -> str:
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        return f"http://{self.host}:{self.port}"
