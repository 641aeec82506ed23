"""Discovery (RFC 8414, RFC 9728), dynamic registration (RFC 7591), revocation (RFC 7009) and the
authorization request checks the consent page relies on (oauth.md §3, §4, §5.3, §6.5)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from app.domain.clock import utc_now
from app.domain.oauth_secrets import secret_digest
from app.services.oauth import AuthorizeRedirectError, AuthorizeRejected
from tests.conftest import (
    LOOPBACK_REDIRECT,
    AppFactory,
    OAuthApp,
    add_client,
    bearer,
    pkce_verifier,
    remember_secret,
)

BASE = "https://catalogue.example"
SCOPES = ["passports:read", "passports:write", "offline_access"]


async def test_authorization_server_metadata_is_exact(make_api: AppFactory) -> None:
    api = await make_api(public_base_url=BASE + "/")
    response = await api.client.get("/.well-known/oauth-authorization-server")
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert await response.json() == {
        "issuer": BASE,
        "authorization_endpoint": f"{BASE}/api/oauth/authorize",
        "token_endpoint": f"{BASE}/api/oauth/token",
        "registration_endpoint": f"{BASE}/api/oauth/register",
        "revocation_endpoint": f"{BASE}/api/oauth/revoke",
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "service_documentation": f"{BASE}/api/docs",
    }


async def test_protected_resource_metadata_is_exact(make_api: AppFactory) -> None:
    api = await make_api(public_base_url=BASE)
    response = await api.client.get("/.well-known/oauth-protected-resource")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert await response.json() == {
        "resource": BASE,
        "authorization_servers": [BASE],
        "scopes_supported": SCOPES,
        "bearer_methods_supported": ["header"],
        "resource_name": "Product catalogue API",
        "resource_documentation": f"{BASE}/api/docs",
    }
    unauthorized = await api.client.get("/api/v1/products")
    assert unauthorized.headers["WWW-Authenticate"] == (
        f'Bearer realm="api", resource_metadata="{BASE}/.well-known/oauth-protected-resource"'
    )


async def test_dcr_off_and_no_openid(make_api: AppFactory) -> None:
    api = await make_api(oauth_dcr="off")
    metadata = await (await api.client.get("/.well-known/oauth-authorization-server")).json()
    assert "registration_endpoint" not in metadata
    response = await api.client.post("/api/oauth/register", json={"redirect_uris": [BASE]})
    assert response.status == 404
    assert (await response.json())["code"] == "not_found"
    assert (await api.client.get("/.well-known/openid-configuration")).status == 404


async def test_a_base_url_with_a_path_hides_the_oauth_routes(make_api: AppFactory) -> None:
    api = await make_api(public_base_url=BASE + "/catalogue")
    for method, path in [
        ("GET", "/.well-known/oauth-authorization-server"),
        ("GET", "/.well-known/oauth-protected-resource"),
        ("POST", "/api/oauth/token"),
        ("POST", "/api/oauth/register"),
        ("POST", "/api/oauth/revoke"),
    ]:
        assert (await api.client.request(method, path)).status == 404, path


class TestRegistration:
    async def test_public_client(self, api: Any) -> None:
        response = await api.client.post(
            "/api/oauth/register",
            json={
                "redirect_uris": ["http://127.0.0.1:33418/callback"],
                "token_endpoint_auth_method": "none",
                "client_name": "Claude",
                "scope": "passports:read offline_access",
                "client_uri": "https://ignored.example",
            },
        )
        assert response.status == 201
        assert response.headers["Cache-Control"] == "no-store"
        body = await response.json()
        assert "client_secret" not in body
        assert body["client_name"] == "Claude"
        assert body["grant_types"] == ["authorization_code", "refresh_token"]
        assert body["response_types"] == ["code"]
        assert body["scope"] == "passports:read offline_access"
        assert isinstance(body["client_id_issued_at"], int)
        stored = await api.storage.oauth_clients.get(body["client_id"], utc_now())
        assert stored.dynamic and stored.require_pkce and not stored.confidential

    async def test_confidential_client_by_default(self, api: Any) -> None:
        response = await api.client.post(
            "/api/oauth/register", json={"redirect_uris": ["https://app.example/cb"]}
        )
        body = await response.json()
        remember_secret(body.get("client_secret"))
        assert response.status == 201
        assert body["token_endpoint_auth_method"] == "client_secret_basic"
        assert body["client_secret"].startswith("tpcs_") and len(body["client_secret"]) >= 37
        assert body["client_secret_expires_at"] == 0
        assert body["client_name"] == "app.example"
        stored = await api.storage.oauth_clients.get(body["client_id"], utc_now())
        assert stored.secret_digest == secret_digest(body["client_secret"])

    @pytest.mark.parametrize(
        ("metadata", "error"),
        [
            ({}, "invalid_redirect_uri"),
            ({"redirect_uris": []}, "invalid_redirect_uri"),
            ({"redirect_uris": ["http://app.example/cb"]}, "invalid_redirect_uri"),
            ({"redirect_uris": ["https://app.example/cb#frag"]}, "invalid_redirect_uri"),
            ({"redirect_uris": ["https://user@app.example/cb"]}, "invalid_redirect_uri"),
            ({"redirect_uris": ["/relative"]}, "invalid_redirect_uri"),
            ({"redirect_uris": ["https://a.example/" + "x" * 2048]}, "invalid_redirect_uri"),
            (
                {"redirect_uris": [f"https://a.example/{i}" for i in range(11)]},
                "invalid_redirect_uri",
            ),
            (
                {"redirect_uris": [BASE], "token_endpoint_auth_method": "private_key_jwt"},
                "invalid_client_metadata",
            ),
            ({"redirect_uris": [BASE], "grant_types": ["implicit"]}, "invalid_client_metadata"),
            (
                {"redirect_uris": [BASE], "grant_types": ["refresh_token"]},
                "invalid_client_metadata",
            ),
            ({"redirect_uris": [BASE], "response_types": ["token"]}, "invalid_client_metadata"),
            ({"redirect_uris": [BASE], "client_name": "x" * 101}, "invalid_client_metadata"),
            ({"redirect_uris": [BASE], "scope": "admin"}, "invalid_client_metadata"),
            ({"redirect_uris": [BASE], "scope": 5}, "invalid_client_metadata"),
        ],
    )
    async def test_faults(self, api: Any, metadata: dict[str, Any], error: str) -> None:
        response = await api.client.post("/api/oauth/register", json=metadata)
        assert response.status == 400
        body = await response.json()
        assert body["error"] == error and set(body) == {"error", "error_description"}
        assert await api.storage.oauth_clients.list_all(utc_now()) == []

    @pytest.mark.parametrize(
        ("data", "content_type"),
        [("{", "application/json"), ("[]", "application/json"), ("a=b", "text/plain")],
    )
    async def test_bad_bodies(self, api: Any, data: str, content_type: str) -> None:
        response = await api.client.post(
            "/api/oauth/register", data=data, headers={"Content-Type": content_type}
        )
        assert response.status == 400
        assert (await response.json())["error"] == "invalid_client_metadata"

    async def test_hourly_limit_per_peer(self, api: Any) -> None:
        from app.http.app_keys import SERVICES

        limiter = api.client.server.app[SERVICES].registrations
        limiter._per_hour = 3  # the real limit is 100; the counting is the same
        statuses = []
        for _ in range(5):
            response = await api.client.post(
                "/api/oauth/register",
                json={
                    "redirect_uris": ["http://localhost/cb"],
                    "token_endpoint_auth_method": "none",
                },
            )
            statuses.append(response.status)
        assert statuses == [201, 201, 201, 429, 429]
        assert (await response.json())["error"] == "temporarily_unavailable"
        assert 1 <= int(response.headers["Retry-After"]) <= 3600
        assert len(await api.storage.oauth_clients.list_all(utc_now())) == 3

    async def test_unused_dynamic_clients_expire_after_30_days(self, api: Any) -> None:
        from datetime import timedelta

        response = await api.client.post(
            "/api/oauth/register",
            json={"redirect_uris": ["http://localhost/cb"], "token_endpoint_auth_method": "none"},
        )
        client_id = (await response.json())["client_id"]
        later = utc_now() + timedelta(days=31)
        assert await api.storage.oauth_clients.get(client_id, later) is None

    async def test_a_client_that_obtained_a_token_is_kept(self, make_oauth: Any) -> None:
        from datetime import timedelta

        app: OAuthApp = await make_oauth()
        response = await app.api.client.post(
            "/api/oauth/register",
            json={"redirect_uris": [LOOPBACK_REDIRECT], "token_endpoint_auth_method": "none"},
        )
        client = await app.api.storage.oauth_clients.get(
            (await response.json())["client_id"], utc_now()
        )
        from app.services.oauth_clients import RegisteredClient

        await OAuthApp(app.api, RegisteredClient(client, None), app.user).tokens()
        later = utc_now() + timedelta(days=31)
        assert await app.api.storage.oauth_clients.get(client.client_id, later) is not None


class TestRevocation:
    async def revoke(self, app: OAuthApp, token: str, **extra: str) -> Any:
        fields, headers = app.client_auth()
        return await app.api.client.post(
            "/api/oauth/revoke", data={**fields, "token": token, **extra}, headers=headers
        )

    async def test_access_token_ends_alone(self, make_oauth: Any) -> None:
        app: OAuthApp = await make_oauth(auth_cache_seconds=0)
        tokens = await app.tokens()
        response = await self.revoke(app, tokens["access_token"], token_type_hint="refresh_token")
        assert response.status == 200 and await response.read() == b""
        assert response.headers["Cache-Control"] == "no-store"
        listed = await app.api.client.get(
            "/api/v1/products", headers=bearer(tokens["access_token"])
        )
        assert listed.status == 401
        status, _, _ = await app.post_token(
            {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        )
        assert status == 200

    async def test_refresh_token_ends_its_grant(self, make_oauth: Any) -> None:
        app: OAuthApp = await make_oauth(auth_cache_seconds=0)
        tokens = await app.tokens()
        assert (await self.revoke(app, tokens["refresh_token"])).status == 200
        listed = await app.api.client.get(
            "/api/v1/products", headers=bearer(tokens["access_token"])
        )
        assert listed.status == 401
        assert await app.api.storage.grants.find(user_id=app.user.id) == []

    async def test_others_tokens_unknown_tokens_and_api_keys_are_left_alone(
        self, make_oauth: Any
    ) -> None:
        app: OAuthApp = await make_oauth(auth_cache_seconds=0)
        tokens = await app.tokens()
        other = OAuthApp(app.api, await add_client(app.api.storage), app.user)
        for token in (tokens["access_token"], tokens["refresh_token"], app.api.tenant.key, "x"):
            assert (await self.revoke(other, token)).status == 200
        for headers in (bearer(tokens["access_token"]), app.api.tenant.auth):
            assert (await app.api.client.get("/api/v1/products", headers=headers)).status == 200

    async def test_client_must_authenticate(self, make_oauth: Any) -> None:
        app: OAuthApp = await make_oauth(public=False)
        tokens = await app.tokens()
        response = await app.api.client.post(
            "/api/oauth/revoke",
            data={"token": tokens["access_token"], "client_id": app.client.client.client_id},
        )
        assert response.status == 401
        assert (await response.json())["error"] == "invalid_client"
        missing = await self.revoke(app, "")
        assert missing.status == 400 and (await missing.json())["error"] == "invalid_request"


class TestAuthorizeChecks:
    """The checks the authorization endpoint and its consent page run (§5.3)."""

    def params(self, app: OAuthApp, **changes: str | None) -> dict[str, list[str]]:
        values: dict[str, str | None] = {
            "response_type": "code",
            "client_id": app.client.client.client_id,
            "redirect_uri": LOOPBACK_REDIRECT,
            "scope": "passports:read",
            "state": "s t&=ate",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
            **changes,
        }
        return {k: [v] for k, v in values.items() if v is not None}

    @pytest.mark.parametrize(
        "changes",
        [
            {"client_id": None},
            {"client_id": "nobody"},
            {"redirect_uri": None},
            {"redirect_uri": "http://127.0.0.1/other"},
            {"redirect_uri": "https://127.0.0.1/callback"},
        ],
    )
    async def test_step_1_rejects_without_redirect(
        self, make_oauth: Any, changes: dict[str, str | None]
    ) -> None:
        app: OAuthApp = await make_oauth()
        with pytest.raises(AuthorizeRejected):
            await app.server.client_for_request(self.params(app, **changes))

    async def test_loopback_matches_any_port(self, make_oauth: Any) -> None:
        app: OAuthApp = await make_oauth()
        params = self.params(app, redirect_uri="http://127.0.0.1:49152/callback")
        _, redirect = await app.server.client_for_request(params)
        assert redirect == "http://127.0.0.1:49152/callback"

    @pytest.mark.parametrize(
        ("changes", "error"),
        [
            ({"response_type": None}, "invalid_request"),
            ({"response_type": "token"}, "unsupported_response_type"),
            ({"code_challenge": None}, "invalid_request"),
            ({"code_challenge_method": None}, "invalid_request"),
            ({"code_challenge_method": "plain"}, "invalid_request"),
            ({"code_challenge": "too-short"}, "invalid_request"),
            ({"scope": "passports:read admin"}, "invalid_scope"),
            ({"scope": "offline_access"}, "invalid_scope"),
            ({"scope": "Passports:read"}, "invalid_scope"),
            ({"resource": "https://evil.example"}, "invalid_target"),
        ],
    )
    async def test_step_3_redirects_with_the_error(
        self, make_oauth: Any, changes: dict[str, str | None], error: str
    ) -> None:
        app: OAuthApp = await make_oauth()
        params = self.params(app, **changes)
        client, redirect = await app.server.client_for_request(params)
        with pytest.raises(AuthorizeRedirectError) as caught:
            app.server.check_request(client, redirect, params)
        target = urlsplit(caught.value.redirect_to)
        query = parse_qs(target.query)
        assert target._replace(query="").geturl() == LOOPBACK_REDIRECT
        assert query["error"] == [error] and query["error_description"]
        assert query["state"] == ["s t&=ate"]
        assert query["iss"] == [app.server.issuer]

    async def test_repeated_parameter(self, make_oauth: Any) -> None:
        app: OAuthApp = await make_oauth()
        params = self.params(app)
        params["scope"] = ["passports:read", "passports:write"]
        client, redirect = await app.server.client_for_request(params)
        with pytest.raises(AuthorizeRedirectError) as caught:
            app.server.check_request(client, redirect, params)
        assert caught.value.error == "invalid_request"
        params = self.params(app)
        params["client_id"] *= 2
        with pytest.raises(AuthorizeRejected):
            await app.server.client_for_request(params)

    async def test_resource_with_trailing_slash_and_code_redirect(self, make_oauth: Any) -> None:
        app: OAuthApp = await make_oauth()
        params = self.params(
            app,
            resource=app.server.issuer + "/",
            redirect_uri=LOOPBACK_REDIRECT,
            prompt="consent",
        )
        client, redirect = await app.server.client_for_request(params)
        request = app.server.check_request(client, redirect, params)
        assert request.resource == app.server.issuer
        assert request.form_fields()["resource"] == app.server.issuer
        _, code = await app.server.approve(app.user.id, app.api.tenant.workspace.id, request)
        remember_secret(code)
        query = parse_qs(urlsplit(app.server.code_redirect(request, code)).query)
        assert query == {"code": [code], "state": ["s t&=ate"], "iss": [app.server.issuer]}

    async def test_approval_needs_membership_and_updates_one_grant(self, make_oauth: Any) -> None:
        from app.services.oauth import NotAMember
        from tests.conftest import add_tenant

        app: OAuthApp = await make_oauth()
        verifier = pkce_verifier()
        await app.code("passports:read", verifier=verifier)
        await app.code("passports:read passports:write", verifier=verifier)
        grants = await app.api.storage.grants.find(user_id=app.user.id)
        assert len(grants) == 1 and grants[0].scope == ("passports:read", "passports:write")
        other = await add_tenant(app.api.storage, "Elsewhere")
        with pytest.raises(NotAMember):
            await app.code("passports:read", verifier=verifier, workspace=other.workspace)


@pytest.mark.parametrize("prefix", ["tp_", "tpat_", "tprt_", "tpcs_"])
async def test_secret_shaped_text_is_redacted_from_error_bodies(api: Any, prefix: str) -> None:
    secret = prefix + "S" * 24
    response = await api.call("GET", f"/api/v1/templates/{secret}")
    assert response.status == 404
    body = await response.text()
    assert secret not in body and f"{prefix}[redacted]" in body
