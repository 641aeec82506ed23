"""An OAuth access token (`tpat_...`) for the bench, got from a running service the way a real
app gets one, all over HTTP (oauth.md):

1. register a public client (dynamic client registration, RFC 7591, `OAUTH_DCR=open`);
2. send the person to the authorization endpoint with a PKCE S256 challenge; they sign in on
   the login page and press Approve on the consent page (session cookie and CSRF token kept as
   a browser keeps them: tests/page_forms.py);
3. redeem the code at the token endpoint with the verifier.

The person is the `Bench` workspace's editor that bench/servers.py bootstraps. The scope is
`passports:write` (every POST under /api/v1: product and passport creates) plus
`offline_access`: access tokens live 3600 s (oauth.md §8), so a run longer than that renews
its token through the refresh token between rounds instead of failing with 401s.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from app.domain.pkce import s256
from bench.servers import EDITOR_EMAIL, EDITOR_PASSWORD
from tests.page_forms import sign_in_and_approve

SCOPE = "passports:write offline_access"
REDIRECT_URI = "http://127.0.0.1/callback"  # never followed: the code is read from the redirect
# Renew a token this long before it expires, so no request of a round carries a stale one.
EXPIRY_MARGIN_SECONDS = 60.0


async def token_request(base_url: str, form: dict[str, str]) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{base_url}/api/oauth/token", data=form) as response,
    ):
        body: dict[str, Any] = await response.json()
        if response.status != 200:
            raise RuntimeError(f"token endpoint answered {response.status}: {body}")
        return body


@dataclass(frozen=True)
class Grant:
    """One token endpoint answer."""

    access_token: str
    refresh_token: str
    expires_at: float  # time.monotonic() seconds

    @classmethod
    def from_answer(cls, answer: dict[str, Any]) -> Grant:
        expires_at = time.monotonic() + float(answer["expires_in"])
        return cls(answer["access_token"], answer["refresh_token"], expires_at)


@dataclass
class AccessTokens:
    """The bench app's tokens at one service: the access token to send, renewed through the
    refresh token (which rotates) when a round would outlive it."""

    base_url: str
    client_id: str
    grant: Grant

    async def valid_for(self, seconds: float) -> str:
        """An access token that still works `seconds` from now."""
        if time.monotonic() + seconds + EXPIRY_MARGIN_SECONDS >= self.grant.expires_at:
            form = {
                "grant_type": "refresh_token",
                "refresh_token": self.grant.refresh_token,
                "client_id": self.client_id,
            }
            self.grant = Grant.from_answer(await token_request(self.base_url, form))
        return self.grant.access_token


async def register_client(session: aiohttp.ClientSession, base_url: str) -> str:
    metadata = {
        "client_name": "bench",
        "redirect_uris": [REDIRECT_URI],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "scope": SCOPE,
    }
    async with session.post(f"{base_url}/api/oauth/register", json=metadata) as response:
        body = await response.json()
        if response.status != 201:
            raise RuntimeError(f"client registration answered {response.status}: {body}")
        return str(body["client_id"])


async def editor_tokens(base_url: str) -> AccessTokens:
    """Register, sign in as the `Bench` editor, approve, redeem: the bench app's tokens."""
    verifier, state = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    # unsafe=True: keep cookies for an IP-address host (127.0.0.1), as a browser does.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as person:
        client_id = await register_client(person, base_url)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": REDIRECT_URI,
                "scope": SCOPE,
                "state": state,
                "code_challenge": s256(verifier),
                "code_challenge_method": "S256",
            }
        )
        redirect = await sign_in_and_approve(
            person, f"{base_url}/api/oauth/authorize?{query}", EDITOR_EMAIL, EDITOR_PASSWORD
        )
    if redirect.get("state") != state or redirect.get("iss") != base_url or "code" not in redirect:
        raise RuntimeError(f"unexpected authorization redirect: {sorted(redirect)}")
    answer = await token_request(
        base_url,
        {
            "grant_type": "authorization_code",
            "code": redirect["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": client_id,
        },
    )
    return AccessTokens(base_url, client_id, Grant.from_answer(answer))
