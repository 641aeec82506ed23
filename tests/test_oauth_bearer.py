"""Access tokens on /api/v1 (oauth.md §7): one principal, scope ∩ role from the route table,
the §7.4 error shapes, the workspace's budget and Idempotency-Key scope, revocation within the
auth cache bound. Through the real HTTP stack on both backends."""

from __future__ import annotations

from typing import Any

import pytest

from app.domain.users import ROLES
from app.http.routes import ROUTES, Route
from app.services.grants import GrantService
from app.services.users import UserService
from tests.conftest import (
    CHALLENGE_INVALID_TOKEN,
    RESOURCE_METADATA,
    SEED_BODY,
    SESSION_LOG,
    OAuthApp,
    add_user,
    bearer,
    error_body,
    logged_request,
)

V1_ROUTES = [route for route in ROUTES if route.authenticated]
UNAUTHORIZED = error_body("Missing or invalid API key", "unauthorized")
SCOPES = {
    "read": "passports:read",
    "write": "passports:write",
    "both": "passports:read passports:write",
}


# oauth.md §7.2: permanent deletes need admin; passports-api §8 deletes are permanent.
PERMANENT_DELETES = {"v1.products.delete", "v1.passports.delete", "v1.passports.by_serial.delete"}


def needed_role(route: Route) -> str:
    """The contract's table (oauth.md §7.2), written out independently of the route table."""
    if route.method == "GET":
        return "viewer"
    if route.name in PERMANENT_DELETES:
        return "admin"
    return "editor"


async def request_route(app: OAuthApp, route: Route, token: str, product_id: str) -> Any:
    path = (
        route.path.replace("{id}", product_id)
        .replace("{index}", "0")
        .replace("{category}", "batteries")
        .replace("{serial}", "S-1")
        .replace("{key}", "ratedCapacity")
    )
    kwargs: dict[str, Any] = {}
    if route.method == "POST" and route.path == "/api/v1/products":
        kwargs["json"] = {**SEED_BODY, "model": f"M-{id(kwargs)}"}
    elif route.method == "PATCH":
        kwargs["json"] = {"name": "Renamed"}
    elif route.path.endswith("/images"):
        import aiohttp

        form = aiohttp.FormData()
        form.add_field("file", b"\x89PNG\r\n\x1a\n" + bytes(64), filename="a.png")
        kwargs["data"] = form
    return await app.api.client.request(route.method, path, headers=bearer(token), **kwargs)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("scope", list(SCOPES))
async def test_scope_and_role_matrix_on_every_v1_route(
    make_oauth: Any, role: str, scope: str
) -> None:
    app: OAuthApp = await make_oauth(role=role, auth_cache_seconds=0)
    token = (await app.tokens(SCOPES[scope]))["access_token"]
    granted = SCOPES[scope].split(" ")
    for route in V1_ROUTES:
        product = await app.api.create_product(model=f"P-{route.name}")
        response = await request_route(app, route, token, product["_id"])
        body = await response.json() if response.status != 204 else {}
        required_scope = "passports:read" if route.method == "GET" else "passports:write"
        if required_scope not in granted:
            assert response.status == 403, (route.name, body)
            assert body == error_body(
                "The access token does not grant this operation",
                "insufficient_scope",
                details={"requiredScope": required_scope, "grantedScopes": granted},
            )
            ordered = [
                s for s in ("passports:read", "passports:write") if s in {*granted, required_scope}
            ]
            assert response.headers["WWW-Authenticate"] == (
                f'Bearer realm="api", error="insufficient_scope", scope="{" ".join(ordered)}", '
                f'resource_metadata="{RESOURCE_METADATA}"'
            )
        elif ROLES.index(role) < ROLES.index(needed_role(route)):  # type: ignore[arg-type]
            assert response.status == 403, (route.name, body)
            assert body == error_body(
                "Your workspace role does not allow this operation",
                "role_forbidden",
                details={"role": role, "requiredRole": needed_role(route)},
            )
            assert "WWW-Authenticate" not in response.headers
        else:
            assert response.status not in (401, 403), (route.name, body)
            assert response.status < 500


async def test_forbidden_requests_spend_no_budget_and_store_no_idempotency(
    make_oauth: Any,
) -> None:
    app: OAuthApp = await make_oauth(role="viewer", plan_limit=5)
    token = (await app.tokens("passports:read passports:write"))["access_token"]
    for _ in range(3):
        response = await app.api.client.post(
            "/api/v1/products",
            json=SEED_BODY,
            headers={**bearer(token), "Idempotency-Key": "same"},
        )
        assert response.status == 403
        assert "RateLimit" not in response.headers
    # The API key's write with that Idempotency-Key is a fresh one, and the budget is whole.
    created = await app.api.create(SEED_BODY, key="same")
    assert created.status == 201
    assert created.headers["RateLimit"].startswith('"writes";r=4;')


async def test_token_shares_the_workspace_budget_idempotency_and_tenancy(
    make_oauth: Any,
) -> None:
    app: OAuthApp = await make_oauth(plan_limit=10)
    token = (await app.tokens())["access_token"]
    by_key = await app.api.create(SEED_BODY, key="shared-key")
    assert by_key.status == 201
    by_token = await app.api.client.post(
        "/api/v1/products",
        json=SEED_BODY,
        headers={**bearer(token), "Idempotency-Key": "shared-key"},
    )
    assert by_token.status == 201
    assert by_token.headers["Idempotent-Replayed"] == "true"
    assert (await by_token.json()) == (await by_key.json())
    second = await app.api.client.post(
        "/api/v1/products", json={**SEED_BODY, "model": "T-2"}, headers=bearer(token)
    )
    assert second.status == 201
    assert second.headers["RateLimit"].startswith('"writes";r=8;')
    from tests.conftest import add_tenant

    other = await add_tenant(app.api.storage, "Other")
    foreign = await other_product(app, other)
    response = await app.api.client.get(f"/api/v1/products/{foreign}", headers=bearer(token))
    assert response.status == 404


async def other_product(app: OAuthApp, tenant: Any) -> str:
    response = await app.api.create({**SEED_BODY, "model": "X-1"}, tenant=tenant)
    assert response.status == 201
    return str((await response.json())["_id"])


async def test_api_keys_keep_full_access(api: Any) -> None:
    product = await api.create_product()
    response = await api.call("DELETE", f"/api/v1/products/{product['_id']}")
    assert response.status == 200


@pytest.mark.parametrize(
    "credential",
    ["refresh", "unknown", "malformed", "revoked", "disabled", "left", "resource"],
)
async def test_rejected_credentials_get_the_invalid_token_challenge(
    make_oauth: Any, credential: str
) -> None:
    extra = "https://ai.tracepass.eu/mcp"
    app: OAuthApp = await make_oauth(auth_cache_seconds=0, oauth_extra_resources=extra)
    tokens = await app.tokens(resource=extra if credential == "resource" else None)
    token = tokens["access_token"]
    users = UserService(app.api.storage)
    if credential == "refresh":
        token = tokens["refresh_token"]
    elif credential == "unknown":
        token = "tpat_" + "A" * 43
    elif credential == "malformed":
        token = "tpat_short"
    elif credential == "revoked":
        grant = (await app.api.storage.grants.find(user_id=app.user.id))[0]
        await GrantService(app.api.storage).revoke(grant.id)
    elif credential == "disabled":
        await users.set_disabled(app.user.email, True)
    elif credential == "left":
        await add_user(app.api.storage, app.api.tenant.workspace, "boss@acme.example", "owner")
        await users.remove_member(app.api.tenant.workspace.id, app.user.email)
    elif credential == "resource":
        listed = await app.api.client.get("/api/v1/products", headers=bearer(token))
        assert listed.status == 200  # accepted while listed in OAUTH_EXTRA_RESOURCES
        app = await make_oauth(like=app, auth_cache_seconds=0)  # restarted without it
    response = await app.api.client.get("/api/v1/products", headers=bearer(token))
    assert response.status == 401
    assert await response.json() == UNAUTHORIZED
    assert response.headers["WWW-Authenticate"] == CHALLENGE_INVALID_TOKEN


async def test_role_change_and_revocation_are_seen_once_the_cache_entry_expires(
    make_oauth: Any,
) -> None:
    """With AUTH_CACHE_SECONDS=0 (no reuse of a verification) every change shows on the next
    request; with a long cache the cached verdict stands — both through the same path."""
    app: OAuthApp = await make_oauth(role="admin", auth_cache_seconds=0)
    token = (await app.tokens())["access_token"]
    users = UserService(app.api.storage)
    await add_user(app.api.storage, app.api.tenant.workspace, "boss@acme.example", "owner")
    product = await app.api.create_product()
    archive = f"/api/v1/products/{product['_id']}/archive"
    assert (await app.api.client.post(archive, headers=bearer(token))).status == 200
    await users.set_role(app.api.tenant.workspace.id, app.user.email, "viewer")
    demoted = await app.api.client.post(archive, headers=bearer(token))
    assert demoted.status == 403
    assert (await demoted.json())["details"] == {"role": "viewer", "requiredRole": "editor"}

    await users.set_role(app.api.tenant.workspace.id, app.user.email, "editor")
    cached: OAuthApp = await make_oauth(like=app, auth_cache_seconds=30)
    cached_token = (await cached.tokens())["access_token"]
    assert (
        await cached.api.client.get("/api/v1/products", headers=bearer(cached_token))
    ).status == 200
    grant = (await cached.api.storage.grants.find(user_id=cached.user.id))[0]
    await GrantService(cached.api.storage).revoke(grant.id)
    still = await cached.api.client.get("/api/v1/products", headers=bearer(cached_token))
    assert still.status == 200  # within the 30 s bound the verified principal is reused
    # A second instance (no cache of its own) sees the revocation at once.
    fresh = await make_oauth(like=cached, auth_cache_seconds=30)
    gone = await fresh.api.client.get("/api/v1/products", headers=bearer(cached_token))
    assert gone.status == 401


async def test_access_log_names_the_user_and_client_never_the_token(make_oauth: Any) -> None:
    app: OAuthApp = await make_oauth()
    token = (await app.tokens())["access_token"]
    response = await app.api.client.get(
        "/api/v1/products", headers={**bearer(token), "X-Request-Id": "oauth-log-check"}
    )
    assert response.status == 200
    entry = logged_request("oauth-log-check")
    assert entry["user_id"] == app.user.id
    assert entry["client_id"] == app.client.client.client_id
    assert token not in SESSION_LOG.getvalue()


async def test_routes_open_today_stay_open(make_oauth: Any) -> None:
    app: OAuthApp = await make_oauth()
    for path in ("/healthz", "/api/v1/openapi.json", "/.well-known/oauth-protected-resource"):
        assert (await app.api.client.get(path)).status == 200


async def test_api_use_marks_the_grant_used(make_oauth: Any) -> None:
    from datetime import UTC, datetime

    app: OAuthApp = await make_oauth(auth_cache_seconds=0)
    token = (await app.tokens())["access_token"]
    [grant] = await app.api.storage.grants.find(user_id=app.user.id)
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    await app.api.storage.grants.touch(grant.id, long_ago)
    assert (await app.api.client.get("/api/v1/products", headers=bearer(token))).status == 200
    [used] = await app.api.storage.grants.find(user_id=app.user.id)
    assert used.last_used_at is not None and used.last_used_at > long_ago
