"""Real OAuth clients through the whole chain against the served app (oauth.md §9).

- The MCP Python SDK's OAuthClientProvider, aimed at /api/v1/products: from the bare 401
  through protected-resource and authorization-server metadata, dynamic registration,
  authorization (S256, resource, prompt=consent, iss checked), the token request, a 200, and a
  refresh. Its redirect handler does what a person does: sign in and approve on our pages.
- TracePass's n8n credential, as n8n sends it: a confidential client without PKCE that still
  says code_challenge_method=S256, the secret in the body.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import httpx2
import pytest
from mcp.client.auth import OAuthClientProvider
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)

from tests.conftest import remember_secret
from tests.served_app import approve_in_pages, browser_session, served_catalogue

N8N_CALLBACK = "https://n8n.acme.example/rest/oauth2-credential/callback"
N8N_SCOPE = "passports:read passports:write offline_access"


class MemoryTokenStorage:
    """The SDK's TokenStorage protocol, kept in memory (what an MCP host persists)."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


@pytest.mark.parametrize("backend", ["memory", "mongo"])
async def test_mcp_sdk_client_goes_from_401_to_a_refreshed_call(backend: str) -> None:
    async with served_catalogue(backend) as catalogue, browser_session() as person:
        server_url = f"{catalogue.base}/api/v1/products"
        seen: list[tuple[str, str, int]] = []  # every request the SDK made, in order
        authorization_urls: list[str] = []
        redirects: list[dict[str, str]] = []

        async def redirect_handler(authorization_url: str) -> None:
            authorization_urls.append(authorization_url)
            redirects.append(await approve_in_pages(person, authorization_url))

        async def callback_handler() -> AuthorizationCodeResult:
            result = redirects[-1]
            return AuthorizationCodeResult(
                code=result["code"], state=result.get("state"), iss=result.get("iss")
            )

        storage = MemoryTokenStorage()
        provider = OAuthClientProvider(
            server_url=server_url,
            client_metadata=OAuthClientMetadata(
                client_name="MCP host under test",
                redirect_uris=["http://127.0.0.1:8765/callback"],
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                token_endpoint_auth_method="none",
            ),
            storage=storage,
            redirect_handler=redirect_handler,
            callback_handler=callback_handler,
        )

        async def record(response: httpx2.Response) -> None:
            seen.append((response.request.method, response.request.url.path, response.status_code))

        async with httpx2.AsyncClient(auth=provider, event_hooks={"response": [record]}) as http:
            first = await http.get(server_url)
            assert first.status_code == 200, first.text
            assert first.json()["data"]["items"] == []

            # The client's hour is over: it refreshes before its next call.
            assert storage.tokens is not None and storage.tokens.refresh_token
            old_access, old_refresh = storage.tokens.access_token, storage.tokens.refresh_token
            provider.context.token_expiry_time = time.time() - 1
            second = await http.get(server_url)
            assert second.status_code == 200

        assert [(m, p, s) for m, p, s in seen] == [
            ("GET", "/api/v1/products", 401),
            ("GET", "/.well-known/oauth-protected-resource", 200),
            ("GET", "/.well-known/oauth-authorization-server", 200),
            ("POST", "/api/oauth/register", 201),
            ("POST", "/api/oauth/token", 200),
            ("GET", "/api/v1/products", 200),
            ("POST", "/api/oauth/token", 200),  # the refresh
            ("GET", "/api/v1/products", 200),
        ]
        (authorization_url,) = authorization_urls
        assert authorization_url.startswith(f"{catalogue.base}/api/oauth/authorize?")
        for part in ("code_challenge_method=S256", "prompt=consent", "response_type=code"):
            assert part in authorization_url
        assert "resource=" + urlencode({"": catalogue.base})[1:] in authorization_url
        assert redirects[0]["iss"] == catalogue.base
        assert storage.tokens.access_token != old_access
        assert storage.tokens.refresh_token not in (None, old_refresh)  # rotated
        assert storage.tokens.scope == N8N_SCOPE
        # The rotated-out refresh token is dead now; the new access token works.
        async with httpx2.AsyncClient() as plain:
            reused = await plain.post(
                f"{catalogue.base}/api/oauth/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": old_refresh,
                    "client_id": storage.client_info.client_id,  # type: ignore[union-attr]
                },
            )
            assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


async def _token(http: Any, base: str, form: dict[str, str]) -> Any:
    return await http.post(f"{base}/api/oauth/token", data=form)


@pytest.mark.parametrize("backend", ["memory", "mongo"])
async def test_n8n_credential_flow(backend: str) -> None:
    async with served_catalogue(backend) as catalogue, browser_session() as person:
        registered = await catalogue.clients.create(
            name="n8n", redirect_uris=[N8N_CALLBACK], require_pkce=False
        )
        client_id, secret = registered.client.client_id, registered.secret
        assert secret is not None
        remember_secret(secret)
        # n8n's authorize URL: S256 named, but no challenge (PKCE only for its pkce grant type).
        query = urlencode(
            {
                "client_id": client_id,
                "redirect_uri": N8N_CALLBACK,
                "response_type": "code",
                "scope": N8N_SCOPE,
                "state": "n8n-state-1",
                "code_challenge_method": "S256",
            }
        )
        result = await approve_in_pages(person, f"{catalogue.base}/api/oauth/authorize?{query}")
        assert result["state"] == "n8n-state-1" and result["iss"] == catalogue.base

        async with httpx2.AsyncClient() as http:
            # authentication: body; empty parameters count as absent (RFC 6749 §3.1).
            tokens = await _token(
                http,
                catalogue.base,
                {
                    "grant_type": "authorization_code",
                    "code": result["code"],
                    "redirect_uri": N8N_CALLBACK,
                    "client_id": client_id,
                    "client_secret": secret,
                    "code_verifier": "",
                    "scope": "",
                },
            )
            assert tokens.status_code == 200, tokens.text
            body = tokens.json()
            assert body["scope"] == N8N_SCOPE and body["token_type"] == "Bearer"
            bearer = {"Authorization": f"Bearer {body['access_token']}"}
            listed = await http.get(f"{catalogue.base}/api/v1/products", headers=bearer)
            assert listed.status_code == 200

            refreshed = await _token(
                http,
                catalogue.base,
                {
                    "grant_type": "refresh_token",
                    "refresh_token": body["refresh_token"],
                    "client_id": client_id,
                    "client_secret": secret,
                },
            )
            assert refreshed.status_code == 200, refreshed.text
            new_bearer = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
            created = await http.post(
                f"{catalogue.base}/api/v1/products",
                headers=new_bearer,
                json={
                    "name": "Li-Ion 48V Battery Pack",
                    "model": "BP-48V-100",
                    "category": "batteries",
                    "defaultFieldValues": {"batteryChemistry": "NMC", "nominalVoltage": 48},
                },
            )
            assert created.status_code == 201, created.text
            # It acts in the workspace chosen at consent, like that workspace's API key.
            by_key = await http.get(
                f"{catalogue.base}/api/v1/products/{created.json()['_id']}",
                headers=catalogue.tenant.auth,
            )
            assert by_key.status_code == 200


@pytest.mark.parametrize("backend", ["memory", "mongo"])
async def test_public_client_sending_an_empty_client_secret(backend: str) -> None:
    """n8n's generic OAuth2 credential with no secret sends `client_secret=`: that is absent,
    so a public client authenticates with its id alone."""
    async with served_catalogue(backend) as catalogue, browser_session() as person:
        registered = await catalogue.clients.create(
            name="Script", redirect_uris=["http://127.0.0.1/cb"], public=True
        )
        verifier = "a" * 64
        from app.domain.pkce import s256

        query = urlencode(
            {
                "client_id": registered.client.client_id,
                "redirect_uri": "http://127.0.0.1:4567/cb",
                "response_type": "code",
                "scope": "passports:read",
                "code_challenge": s256(verifier),
                "code_challenge_method": "S256",
            }
        )
        result = await approve_in_pages(person, f"{catalogue.base}/api/oauth/authorize?{query}")
        assert "state" not in result
        async with httpx2.AsyncClient() as http:
            tokens = await _token(
                http,
                catalogue.base,
                {
                    "grant_type": "authorization_code",
                    "code": result["code"],
                    "redirect_uri": "http://127.0.0.1:4567/cb",
                    "client_id": registered.client.client_id,
                    "client_secret": "",
                    "code_verifier": verifier,
                },
            )
            assert tokens.status_code == 200, tokens.text
            assert "refresh_token" not in tokens.json() or tokens.json()["refresh_token"] is None
