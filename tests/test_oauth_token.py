"""The token endpoint (oauth.md §6, RFC 6749 §4.1.3/§5/§6, RFC 7636, RFC 9700 §4.14) through the
real HTTP stack on both backends. Authorization is driven through the service the consent
approval calls."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest

from app.domain.clock import utc_now
from app.domain.oauth_secrets import secret_digest
from tests.conftest import (
    OAuthApp,
    add_client,
    bearer,
    pkce_verifier,
    remember_secret,
)

FULL = "passports:read passports:write offline_access"


def assert_no_store(response: Any) -> None:
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


async def test_code_exchange_issues_tokens_that_work(make_oauth: Any) -> None:
    app: OAuthApp = await make_oauth()
    verifier = pkce_verifier()
    code = await app.code(FULL, verifier=verifier)
    status, body, response = await app.post_token(
        {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    )
    assert status == 200, body
    assert_no_store(response)
    assert response.headers["Content-Type"].startswith("application/json")
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "refresh_token"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == FULL
    assert body["access_token"].startswith("tpat_") and len(body["access_token"]) == 48
    assert body["refresh_token"].startswith("tprt_") and len(body["refresh_token"]) == 48
    listed = await app.api.client.get("/api/v1/products", headers=bearer(body["access_token"]))
    assert listed.status == 200


async def test_scope_is_in_canonical_order_and_dropped_scopes_vanish(make_oauth: Any) -> None:
    app: OAuthApp = await make_oauth()
    body = await app.tokens("documents:read passports:write passports:read passports:read")
    assert body["scope"] == "passports:read passports:write"
    assert "refresh_token" not in body  # no offline_access: no refresh token


async def test_default_scope_is_passports_read(make_oauth: Any) -> None:
    app: OAuthApp = await make_oauth()
    assert (await app.tokens(None))["scope"] == "passports:read"


async def test_secrets_are_stored_as_digests_only(make_oauth: Any) -> None:
    app: OAuthApp = await make_oauth()
    body = await app.tokens()
    now = utc_now()
    assert await app.api.storage.access_tokens.get(secret_digest(body["access_token"]), now)
    assert await app.api.storage.refresh_tokens.get(secret_digest(body["refresh_token"]), now)
    assert await app.api.storage.access_tokens.get(body["access_token"], now) is None


async def test_code_is_single_use_and_a_replay_revokes_the_grant(make_oauth: Any) -> None:
    app: OAuthApp = await make_oauth()
    verifier = pkce_verifier()
    code = await app.code(FULL, verifier=verifier)
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    status, first, _ = await app.post_token(form)
    assert status == 200
    status, again, response = await app.post_token(form)
    assert (status, again["error"]) == (400, "invalid_grant")
    assert_no_store(response)
    # The tokens issued from the code stop working: the token endpoint at once...
    status, refreshed, _ = await app.post_token(
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert (status, refreshed["error"]) == (400, "invalid_grant")
    # ...and /api/v1 (the token was never used, so no cache holds it).
    listed = await app.api.client.get("/api/v1/products", headers=bearer(first["access_token"]))
    assert listed.status == 401
    assert await app.api.storage.grants.find(user_id=app.user.id) == []


async def test_a_replay_without_the_verifier_revokes_nothing(make_oauth: Any) -> None:
    app: OAuthApp = await make_oauth()
    verifier = pkce_verifier()
    code = await app.code(FULL, verifier=verifier)
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    status, first, _ = await app.post_token(form)
    assert status == 200
    status, body, _ = await app.post_token({**form, "code_verifier": pkce_verifier()})
    assert (status, body["error"]) == (400, "invalid_grant")
    listed = await app.api.client.get("/api/v1/products", headers=bearer(first["access_token"]))
    assert listed.status == 200


async def test_a_failed_first_redemption_still_spends_the_code(make_oauth: Any) -> None:
    app: OAuthApp = await make_oauth()
    verifier = pkce_verifier()
    code = await app.code(FULL, verifier=verifier)
    status, body, _ = await app.post_token(
        {"grant_type": "authorization_code", "code": code, "code_verifier": pkce_verifier()}
    )
    assert (status, body["error"]) == (400, "invalid_grant")
    status, body, _ = await app.post_token(
        {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    )
    assert (status, body["error"]) == (400, "invalid_grant")


async def test_parallel_redemptions_of_one_code_have_one_winner(make_oauth: Any) -> None:
    app: OAuthApp = await make_oauth()
    verifier = pkce_verifier()
    code = await app.code(FULL, verifier=verifier)
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    results = await asyncio.gather(*(app.post_token(form) for _ in range(25)))
    statuses = sorted(status for status, _, _ in results)
    assert statuses == [200] + [400] * 24
    assert all(body["error"] == "invalid_grant" for status, body, _ in results if status == 400)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code": "nope"}, "invalid_grant"),
        ({"code_verifier": None}, "invalid_grant"),  # §10: a PKCE fault
        ({"code_verifier": "short"}, "invalid_grant"),
        ({"redirect_uri": "http://127.0.0.1/other"}, "invalid_grant"),
        ({"resource": "https://elsewhere.example"}, "invalid_target"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": None}, "invalid_request"),
        ({"code": None}, "invalid_request"),
    ],
)
async def test_code_exchange_faults(make_oauth: Any, change: dict[str, Any], error: str) -> None:
    app: OAuthApp = await make_oauth()
    verifier = pkce_verifier()
    code = await app.code(FULL, verifier=verifier)
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    form.update(change)
    status, body, response = await app.post_token({k: v for k, v in form.items() if v})
    assert (status, body["error"]) == (400, error), body
    assert set(body) == {"error", "error_description"}
    assert_no_store(response)


async def test_redirect_uri_and_resource_may_be_sent_when_they_match(make_oauth: Any) -> None:
    app: OAuthApp = await make_oauth()
    verifier = pkce_verifier()
    resource = "http://127.0.0.1:8080/"
    code = await app.code(FULL, verifier=verifier, resource=resource)
    status, body, _ = await app.post_token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": app.client.client.redirect_uris[0],
            "resource": resource,
        }
    )
    assert status == 200, body


async def test_another_clients_code_is_invalid_grant_and_not_spent(make_oauth: Any) -> None:
    app: OAuthApp = await make_oauth()
    verifier = pkce_verifier()
    code = await app.code(FULL, verifier=verifier)
    other = await add_client(app.api.storage)
    thief = OAuthApp(app.api, other, app.user)
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    status, body, _ = await thief.post_token(form)
    assert (status, body["error"]) == (400, "invalid_grant")
    status, _, _ = await app.post_token(form)
    assert status == 200


async def test_expired_code_is_invalid_grant(make_oauth: Any) -> None:
    app: OAuthApp = await make_oauth()
    verifier = pkce_verifier()
    code = await app.code(FULL, verifier=verifier)
    stored = await app.api.storage.codes.spend(secret_digest(code), "someone-else", utc_now())
    assert stored is None
    # Expiry is judged at read time: a code two minutes old does not spend.
    from datetime import timedelta

    later = utc_now() + timedelta(seconds=121)
    assert (
        await app.api.storage.codes.spend(secret_digest(code), app.client.client.client_id, later)
        is None
    )


async def test_form_rules(make_oauth: Any) -> None:
    app: OAuthApp = await make_oauth()
    verifier = pkce_verifier()
    code = await app.code(FULL, verifier=verifier)
    client_id = app.client.client.client_id
    as_json = await app.api.client.post(
        "/api/oauth/token",
        json={"grant_type": "authorization_code", "code": code, "client_id": client_id},
    )
    assert as_json.status == 400 and (await as_json.json())["error"] == "invalid_request"
    assert_no_store(as_json)
    repeated = await app.api.client.post(
        "/api/oauth/token",
        data=f"grant_type=authorization_code&code={code}&code=x&client_id={client_id}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (await repeated.json())["error"] == "invalid_request"
    huge = await app.api.client.post(
        "/api/oauth/token",
        data="grant_type=authorization_code&pad=" + "a" * (65 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert huge.status == 400 and (await huge.json())["error"] == "invalid_request"
    # The code was never presented by its client: it still works, empty params count as absent.
    status, body, _ = await app.post_token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "client_secret": "",
            "redirect_uri": "",
        }
    )
    assert status == 200, body


async def test_preflight(make_oauth: Any) -> None:
    app: OAuthApp = await make_oauth()
    for path in ("/api/oauth/token", "/api/oauth/revoke", "/api/oauth/register"):
        response = await app.api.client.options(
            path,
            headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
        )
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "POST" in response.headers["Access-Control-Allow-Methods"]


class TestClientAuthentication:
    async def test_confidential_client_with_basic_and_with_post(self, make_oauth: Any) -> None:
        app: OAuthApp = await make_oauth(public=False)
        assert app.client.secret is not None and app.client.secret.startswith("tpcs_")
        await app.tokens()  # Basic
        verifier = pkce_verifier()
        code = await app.code(FULL, verifier=verifier)
        status, body, _ = await app.post_token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "code_verifier": verifier,
                "client_id": app.client.client.client_id,
                "client_secret": app.client.secret,
            },
            auth=False,
        )
        assert status == 200, body

    @pytest.mark.parametrize(
        "how", ["wrong-basic", "wrong-post", "missing-secret", "unknown", "nothing", "bad-basic"]
    )
    async def test_invalid_client(self, make_oauth: Any, how: str) -> None:
        app: OAuthApp = await make_oauth(public=False)
        client_id = app.client.client.client_id
        wrong = "tpcs_" + "w" * 43
        remember_secret(wrong)
        form: dict[str, str] = {"grant_type": "authorization_code", "code": "x"}
        headers: dict[str, str] = {}
        if how == "wrong-basic":
            headers["Authorization"] = (
                "Basic " + base64.b64encode(f"{client_id}:{wrong}".encode()).decode()
            )
        elif how == "bad-basic":
            headers["Authorization"] = "Basic !!!"
        elif how == "wrong-post":
            form.update(client_id=client_id, client_secret=wrong)
        elif how == "missing-secret":
            form.update(client_id=client_id)
        elif how == "unknown":
            form.update(client_id="nobody")
        response = await app.api.client.post("/api/oauth/token", data=form, headers=headers)
        assert response.status == 401
        assert (await response.json())["error"] == "invalid_client"
        assert_no_store(response)
        basic = how in ("wrong-basic", "bad-basic")
        assert response.headers.get("WWW-Authenticate") == (
            'Basic realm="oauth"' if basic else None
        )
        assert wrong not in await response.text()

    async def test_public_client_sending_a_secret_is_invalid_client(self, make_oauth: Any) -> None:
        app: OAuthApp = await make_oauth()
        status, body, _ = await app.post_token(
            {"grant_type": "authorization_code", "code": "x", "client_secret": "tpcs_" + "s" * 40}
        )
        assert (status, body["error"]) == (401, "invalid_client")

    async def test_two_methods_at_once_is_invalid_request(self, make_oauth: Any) -> None:
        app: OAuthApp = await make_oauth(public=False)
        assert app.client.secret is not None
        status, body, _ = await app.post_token(
            {"grant_type": "authorization_code", "code": "x", "client_secret": app.client.secret}
        )
        assert (status, body["error"]) == (400, "invalid_request")


class TestRefresh:
    async def test_rotation(self, make_oauth: Any) -> None:
        app: OAuthApp = await make_oauth()
        first = await app.tokens()
        status, second, response = await app.post_token(
            {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        )
        assert status == 200, second
        assert_no_store(response)
        assert second["refresh_token"] != first["refresh_token"]
        assert second["scope"] == FULL
        old = await app.api.storage.refresh_tokens.get(
            secret_digest(first["refresh_token"]), utc_now()
        )
        new = await app.api.storage.refresh_tokens.get(
            secret_digest(second["refresh_token"]), utc_now()
        )
        assert old is not None and new is not None and old.retired_at is not None
        assert new.chain_expires_at == old.chain_expires_at  # same absolute expiry
        for token in (first["access_token"], second["access_token"]):  # earlier ones live on
            listed = await app.api.client.get("/api/v1/products", headers=bearer(token))
            assert listed.status == 200

    async def test_reuse_of_a_rotated_token_revokes_the_grant(self, make_oauth: Any) -> None:
        app: OAuthApp = await make_oauth()
        first = await app.tokens()
        form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        status, second, _ = await app.post_token(form)
        assert status == 200
        status, body, _ = await app.post_token(form)
        assert (status, body["error"]) == (400, "invalid_grant")
        status, body, _ = await app.post_token(
            {"grant_type": "refresh_token", "refresh_token": second["refresh_token"]}
        )
        assert (status, body["error"]) == (400, "invalid_grant")
        listed = await app.api.client.get(
            "/api/v1/products", headers=bearer(second["access_token"])
        )
        assert listed.status == 401

    async def test_parallel_refreshes_have_one_winner_then_the_grant_is_revoked(
        self, make_oauth: Any
    ) -> None:
        app: OAuthApp = await make_oauth()
        first = await app.tokens()
        form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        results = await asyncio.gather(*(app.post_token(form) for _ in range(25)))
        winners = [body for status, body, _ in results if status == 200]
        assert len(winners) == 1
        assert all(b["error"] == "invalid_grant" for s, b, _ in results if s != 200)
        status, body, _ = await app.post_token(
            {"grant_type": "refresh_token", "refresh_token": winners[0]["refresh_token"]}
        )
        assert (status, body["error"]) == (400, "invalid_grant")
        assert await app.api.storage.grants.find(user_id=app.user.id) == []

    async def test_narrowing_scope(self, make_oauth: Any) -> None:
        app: OAuthApp = await make_oauth()
        first = await app.tokens()
        status, body, _ = await app.post_token(
            {
                "grant_type": "refresh_token",
                "refresh_token": first["refresh_token"],
                "scope": "passports:read",
            }
        )
        assert status == 200, body
        assert body["scope"] == "passports:read"
        write = await app.api.client.post(
            "/api/v1/products/0123456789abcdef01234567/archive",
            headers=bearer(body["access_token"]),
        )
        assert write.status == 403
        # The new refresh token keeps the full scope.
        status, again, _ = await app.post_token(
            {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
        )
        assert status == 200 and again["scope"] == FULL

    @pytest.mark.parametrize("scope", ["passports:read unknown:scope", "documents:read"])
    async def test_widening_or_bad_scope_is_invalid_scope(
        self, make_oauth: Any, scope: str
    ) -> None:
        app: OAuthApp = await make_oauth()
        first = await app.tokens("passports:read offline_access")
        for asked in (scope, "passports:write"):
            status, body, _ = await app.post_token(
                {
                    "grant_type": "refresh_token",
                    "refresh_token": first["refresh_token"],
                    "scope": asked,
                }
            )
            assert (status, body["error"]) == (400, "invalid_scope")

    async def test_another_clients_refresh_token(self, make_oauth: Any) -> None:
        app: OAuthApp = await make_oauth()
        first = await app.tokens()
        thief = OAuthApp(app.api, await add_client(app.api.storage), app.user)
        status, body, _ = await thief.post_token(
            {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        )
        assert (status, body["error"]) == (400, "invalid_grant")
        status, _, _ = await app.post_token(
            {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        )
        assert status == 200

    async def test_disabled_user_or_removed_member(self, make_oauth: Any) -> None:
        from app.services.users import UserService

        app: OAuthApp = await make_oauth()
        users = UserService(app.api.storage)
        first = await app.tokens()
        await users.set_disabled(app.user.email, True)
        form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        status, body, _ = await app.post_token(form)
        assert (status, body["error"]) == (400, "invalid_grant")
        await users.set_disabled(app.user.email, False)
        status, second, _ = await app.post_token(form)
        assert status == 200, second
        owner = "owner@acme.example"
        from tests.conftest import add_user

        await add_user(app.api.storage, app.api.tenant.workspace, owner, role="owner")
        await users.remove_member(app.api.tenant.workspace.id, app.user.email)
        status, body, _ = await app.post_token(
            {"grant_type": "refresh_token", "refresh_token": second["refresh_token"]}
        )
        assert (status, body["error"]) == (400, "invalid_grant")

    async def test_missing_refresh_token(self, make_oauth: Any) -> None:
        app: OAuthApp = await make_oauth()
        status, body, _ = await app.post_token({"grant_type": "refresh_token"})
        assert (status, body["error"]) == (400, "invalid_request")


async def test_client_without_refresh_grant_type(make_oauth: Any) -> None:
    app: OAuthApp = await make_oauth()
    registered = await app.api.client.post(
        "/api/oauth/register",
        json={
            "redirect_uris": ["http://127.0.0.1/cb"],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code"],
        },
    )
    assert registered.status == 201
    client = await app.api.storage.oauth_clients.get(
        (await registered.json())["client_id"], utc_now()
    )
    assert client is not None
    from app.services.oauth_clients import RegisteredClient

    limited = OAuthApp(app.api, RegisteredClient(client, None), app.user)
    body = await limited.tokens()
    assert "refresh_token" not in body  # offline_access asked, but no refresh_token grant type
    status, error, _ = await limited.post_token(
        {"grant_type": "refresh_token", "refresh_token": "tprt_" + "x" * 43}
    )
    assert (status, error["error"]) == (400, "unauthorized_client")


async def test_pkce_exempt_confidential_client_like_n8n(make_oauth: Any) -> None:
    """n8n's published credential: code_challenge_method=S256 without a challenge, no verifier,
    client_id and client_secret in the body."""
    app: OAuthApp = await make_oauth()
    n8n = await add_client(
        app.api.storage,
        public=False,
        require_pkce=False,
        redirect_uris=("https://n8n.acme.example/rest/oauth2-credential/callback",),
    )
    assert n8n.secret is not None
    flow = OAuthApp(app.api, n8n, app.user)
    params = {
        "response_type": ["code"],
        "client_id": [n8n.client.client_id],
        "redirect_uri": [n8n.client.redirect_uris[0]],
        "scope": [FULL],
        "state": ["xyz"],
        "code_challenge_method": ["S256"],
    }
    client, redirect = await flow.server.client_for_request(params)
    request = flow.server.check_request(client, redirect, params)
    assert request.code_challenge is None
    _, code = await flow.server.approve(app.user.id, app.api.tenant.workspace.id, request)
    remember_secret(code)
    status, body, _ = await flow.post_token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": n8n.client.redirect_uris[0],
            "client_id": n8n.client.client_id,
            "client_secret": n8n.secret,
        },
        auth=False,
    )
    assert status == 200, body
    status, body, _ = await flow.post_token(
        {
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "client_id": n8n.client.client_id,
            "client_secret": n8n.secret,
        },
        auth=False,
    )
    assert status == 200, body
