"""The login, consent and connected-apps pages and the authorization endpoint (oauth.md §5),
through the real HTTP stack on both backends."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from aiohttp.test_utils import TestClient

from app.domain.pkce import s256
from app.http.app import create_app
from app.http.app_keys import LOGIN_THROTTLE
from app.services.login_throttle import LoginThrottle
from app.services.oauth_clients import ClientRegistry
from app.services.users import UserService
from app.storage.protocols import Storage
from tests.conftest import SESSION_ACCESS_LOG, add_tenant, app_settings, prepared_storage
from tests.page_forms import form_with_action
from tests.served_app import CHEAP_HASH, PASSWORD

BASE = "http://127.0.0.1:8080"  # PUBLIC_BASE_URL: the issuer and the pages' origin
REDIRECT = "https://app.example/callback"
LOOPBACK = "http://127.0.0.1/callback"
VERIFIER = "v" * 43 + "-verifier"
CHALLENGE = s256(VERIFIER)


# The throttle lives in the process and the password checks cost real argon2 time: these run on
# one backend.
IN_PROCESS_ONLY = pytest.mark.parametrize("backend", ["memory"])


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclasses.dataclass
class Pages:
    client: TestClient
    storage: Storage
    users: UserService
    workspace_id: str
    client_id: str
    clock: FakeClock
    email: str = "ops@acme.example"

    async def get(self, path: str, **kwargs: Any) -> Any:
        return await self.client.get(path, allow_redirects=False, **kwargs)

    async def post(self, path: str, data: dict[str, str], **kwargs: Any) -> Any:
        return await self.client.post(path, data=data, allow_redirects=False, **kwargs)

    async def login_form(self, next_path: str | None = None) -> dict[str, str]:
        query = "" if next_path is None else "?" + urlencode({"next": next_path})
        response = await self.get("/login" + query)
        assert response.status == 200
        return form_with_action(await response.text(), "/login").fields

    async def login(
        self, email: str | None = None, password: str = PASSWORD, next_path: str | None = None
    ) -> Any:
        fields = await self.login_form(next_path)
        fields.update(email=self.email if email is None else email, password=password)
        return await self.post("/login", fields)

    def authorize_query(self, **overrides: str | None) -> str:
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT,
            "scope": "passports:read passports:write offline_access",
            "state": "st-123",
            "code_challenge": CHALLENGE,
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return urlencode({k: v for k, v in params.items() if v is not None})

    async def consent(self, **overrides: str | None) -> Any:
        return await self.get("/api/oauth/authorize?" + self.authorize_query(**overrides))

    async def decide(self, decision: str = "approve", **overrides: str | None) -> Any:
        page = await self.consent(**overrides)
        assert page.status == 200, await page.text()
        form = form_with_action(await page.text(), "/api/oauth/authorize")
        return await self.post("/api/oauth/authorize", form.submission(decision=decision))


def redirect_params(response: Any) -> tuple[str, dict[str, list[str]]]:
    assert response.status == 303, response.status
    location = response.headers["Location"]
    parts = urlsplit(location)
    return f"{parts.scheme}://{parts.netloc}{parts.path}", parse_qs(parts.query)


@pytest.fixture
async def pages(aiohttp_client: Any, backend: str) -> Pages:
    return await build_pages(aiohttp_client, backend)


async def build_pages(aiohttp_client: Any, backend: str, **settings: Any) -> Pages:
    storage = await prepared_storage(backend)
    tenant = await add_tenant(storage, "Acme")
    users = UserService(storage)
    await users.create_user("ops@acme.example", password_hash=CHEAP_HASH)
    await users.add_member(tenant.workspace.id, "ops@acme.example", "editor")
    registered = await ClientRegistry(storage).create(
        name="Acme ERP", redirect_uris=[REDIRECT, LOOPBACK], public=True
    )
    app = create_app(
        access_log=SESSION_ACCESS_LOG,
        settings=app_settings(public_base_url=BASE, auth_cache_seconds=0, **settings),
        storage=storage,
        on_first_access=lambda settings, access: None,
    )
    clock = FakeClock()
    app[LOGIN_THROTTLE] = LoginThrottle(clock)
    client = await aiohttp_client(app)
    return Pages(client, storage, users, tenant.workspace.id, registered.client.client_id, clock)


def assert_page_headers(response: Any) -> None:
    headers = response.headers
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "form-action" not in policy
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert "Access-Control-Allow-Origin" not in headers


def session_cookie(response: Any) -> str:
    cookies = response.headers.getall("Set-Cookie", [])
    found = [c for c in cookies if c.startswith("tp_session=")]
    assert found, cookies
    return str(found[-1])


# --- §5.1 every page ------------------------------------------------------------------------


async def test_every_page_has_the_security_headers(pages: Pages) -> None:
    responses = [await pages.get("/login")]
    responses.append(await pages.login(password="wrong password here"))  # 401
    responses.append(await pages.post("/login", {"email": "x", "password": "y"}))  # 403
    responses.append(await pages.get("/api/oauth/authorize?client_id=nope"))  # 400
    responses.append(await pages.get("/account/connected-apps"))  # 303
    assert (await pages.login()).status == 303
    responses.append(await pages.get("/account/connected-apps"))
    responses.append(await pages.consent())
    responses.append(await pages.consent(response_type="token"))  # 303 to the client
    assert [r.status for r in responses] == [200, 401, 403, 400, 303, 200, 200, 303]
    for response in responses:
        assert_page_headers(response)
    body = await responses[-2].text()
    assert "<script" not in body.lower()


async def test_login_page_sets_the_session_cookie(pages: Pages) -> None:
    response = await pages.get("/login")
    cookie = session_cookie(response)
    attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
    assert "httponly" in attributes and "path=/" in attributes and "samesite=lax" in attributes
    assert "secure" not in attributes  # the base is http
    assert not any(a.startswith("domain") for a in attributes)
    form = form_with_action(await response.text(), "/login")
    assert form.method == "post"
    assert set(form.fields) == {"csrf_token", "next", "email", "password"}
    assert form.fields["next"] == ""


async def test_cookie_is_secure_when_the_base_is_https(aiohttp_client: Any) -> None:
    app = create_app(
        access_log=SESSION_ACCESS_LOG,
        settings=app_settings(public_base_url="https://catalogue.example"),
        storage=await prepared_storage("memory"),
        on_first_access=lambda settings, access: None,
    )
    client = await aiohttp_client(app)
    response = await client.get("/login")
    attributes = [p.strip().lower() for p in session_cookie(response).split(";")[1:]]
    assert "secure" in attributes


async def test_pages_are_404_when_the_base_has_a_path(aiohttp_client: Any) -> None:
    app = create_app(
        access_log=SESSION_ACCESS_LOG,
        settings=app_settings(public_base_url="https://example.com/catalogue"),
        storage=await prepared_storage("memory"),
        on_first_access=lambda settings, access: None,
    )
    client = await aiohttp_client(app)
    for path in ("/login", "/api/oauth/authorize", "/account/connected-apps"):
        assert (await client.get(path)).status == 404


# --- §5.2 login -----------------------------------------------------------------------------


async def test_login_redirects_to_a_local_next(pages: Pages) -> None:
    response = await pages.login(next_path="/api/oauth/authorize?client_id=x&state=a%20b")
    assert response.status == 303
    assert response.headers["Location"] == "/api/oauth/authorize?client_id=x&state=a%20b"


@pytest.mark.parametrize(
    "next_path",
    [
        "",
        "//evil.example/",
        "/\\evil.example/",
        "https://evil.example/",
        "evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/ok\x00",
        "/" + "a" * 2048,
        "javascript:alert(1)",
    ],
)
async def test_login_never_redirects_off_site(pages: Pages, next_path: str) -> None:
    response = await pages.login(next_path=next_path)
    assert response.status == 303
    assert response.headers["Location"] == "/account/connected-apps"


async def test_login_issues_a_new_session(pages: Pages) -> None:
    before = session_cookie(await pages.get("/login")).split(";")[0]
    old_token = (await pages.login_form())["csrf_token"]
    response = await pages.login()
    after = session_cookie(response).split(";")[0]
    assert after != before
    # The signed-out session's token is no longer this session's.
    refused = await pages.post("/logout", {"csrf_token": old_token})
    assert refused.status == 403
    assert (await pages.get("/account/connected-apps")).status == 200


@IN_PROCESS_ONLY
async def test_failures_look_the_same(pages: Pages) -> None:
    await pages.users.create_user("gone@acme.example", password_hash=CHEAP_HASH)
    await pages.users.add_member(pages.workspace_id, "gone@acme.example", "viewer")
    await pages.users.set_disabled("gone@acme.example", True)
    attempts = [
        ("nobody@acme.example", PASSWORD),  # unknown email
        ("ops@acme.example", "a wrong password"),  # wrong password
        ("gone@acme.example", PASSWORD),  # disabled user
        ("", PASSWORD),  # empty field
        ("ops@acme.example", ""),
    ]
    bodies = set()
    for email, password in attempts:
        response = await pages.login(email=email, password=password)
        assert response.status == 401
        text = await response.text()
        assert "Invalid email or password." in text
        text = re.sub(r'name="csrf_token" value="[^"]*"', "", text)
        text = re.sub(r'name="email" value="[^"]*"', "", text)
        bodies.add(text)
    assert len(bodies) == 1
    assert (await pages.get("/account/connected-apps")).status == 303  # nobody signed in


@IN_PROCESS_ONLY
async def test_five_failures_for_one_email_block_it(pages: Pages) -> None:
    for _ in range(5):
        assert (await pages.login(password="a wrong password")).status == 401
    blocked = await pages.login()  # the right password, too
    assert blocked.status == 429
    assert blocked.headers["Retry-After"].isdigit()
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert_page_headers(blocked)
    # Another email from the same address is not blocked by the email limit.
    assert (await pages.login(email="other@acme.example")).status == 401
    pages.clock.now += 61
    assert (await pages.login()).status == 303


@IN_PROCESS_ONLY
async def test_unknown_emails_are_throttled_alike(pages: Pages) -> None:
    for _ in range(5):
        assert (await pages.login(email="nobody@acme.example")).status == 401
    assert (await pages.login(email="NoBody@acme.example ")).status == 429


@IN_PROCESS_ONLY
async def test_twenty_failures_from_one_address_block_it(pages: Pages) -> None:
    for n in range(20):
        assert (await pages.login(email=f"user{n}@acme.example")).status == 401
    blocked = await pages.login()
    assert blocked.status == 429
    assert int(blocked.headers["Retry-After"]) >= 1
    pages.clock.now += 60
    assert (await pages.login()).status == 303


async def test_logout_ends_the_session(pages: Pages) -> None:
    await pages.login()
    page = await pages.get("/account/connected-apps")
    token = form_with_action(await page.text(), "/logout").fields["csrf_token"]
    response = await pages.post("/logout", {"csrf_token": token})
    assert response.status == 303 and response.headers["Location"] == "/login"
    assert_page_headers(response)
    after = await pages.get("/account/connected-apps")
    assert after.status == 303
    assert after.headers["Location"] == "/login?next=/account/connected-apps"


async def test_password_change_and_disable_end_sessions(pages: Pages) -> None:
    await pages.login()
    assert (await pages.get("/account/connected-apps")).status == 200
    await pages.users.set_password(pages.email, "another long password")
    assert (await pages.get("/account/connected-apps")).status == 303
    assert (await pages.login(password="another long password")).status == 303
    assert (await pages.get("/account/connected-apps")).status == 200
    await pages.users.set_disabled(pages.email, True)
    assert (await pages.get("/account/connected-apps")).status == 303
    await pages.users.set_disabled(pages.email, False)
    assert (await pages.get("/account/connected-apps")).status == 303  # ended, not paused


async def test_session_ends_twelve_hours_after_login(
    pages: Pages, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.http.sessions as sessions

    await pages.login()
    assert (await pages.get("/account/connected-apps")).status == 200
    real_time = sessions.time.time
    monkeypatch.setattr(sessions.time, "time", lambda: real_time() + 12 * 3600 - 60)
    assert (await pages.get("/account/connected-apps")).status == 200
    monkeypatch.setattr(sessions.time, "time", lambda: real_time() + 12 * 3600 + 1)
    assert (await pages.get("/account/connected-apps")).status == 303


# --- CSRF and Origin ------------------------------------------------------------------------


async def test_posts_without_a_valid_token_are_403_and_change_nothing(pages: Pages) -> None:
    fields = await pages.login_form()
    fields.update(email=pages.email, password=PASSWORD)
    for data in (
        {k: v for k, v in fields.items() if k != "csrf_token"},
        {**fields, "csrf_token": "forged"},
        {**fields, "csrf_token": ""},
    ):
        response = await pages.post("/login", data)
        assert response.status == 403
        assert_page_headers(response)
    assert (await pages.get("/account/connected-apps")).status == 303  # not signed in
    # A browser with no session at all.
    pages.client.session.cookie_jar.clear()
    assert (await pages.post("/login", fields)).status == 403


async def test_foreign_origin_is_403_even_with_the_token(pages: Pages) -> None:
    fields = await pages.login_form()
    fields.update(email=pages.email, password=PASSWORD)
    for origin in ("https://evil.example", "http://127.0.0.1:8081", "http://localhost:8080"):
        response = await pages.post("/login", fields, headers={"Origin": origin})
        assert response.status == 403
    assert (await pages.get("/account/connected-apps")).status == 303
    ok = await pages.post("/login", fields, headers={"Origin": "null"})
    assert ok.status == 303


async def test_own_origin_is_accepted(pages: Pages) -> None:
    fields = await pages.login_form()
    fields.update(email=pages.email, password=PASSWORD)
    assert (await pages.post("/login", fields, headers={"Origin": BASE})).status == 303


async def test_consent_and_revoke_need_the_token(pages: Pages) -> None:
    await pages.login()
    page = await pages.consent()
    form = form_with_action(await page.text(), "/api/oauth/authorize")
    forged = form.submission(decision="approve", csrf_token="nope")
    assert (await pages.post("/api/oauth/authorize", forged)).status == 403
    foreign = await pages.post(
        "/api/oauth/authorize",
        form.submission(decision="approve"),
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status == 403
    assert await pages.storage.grants.find(user_id=None) == []
    approved = await pages.post("/api/oauth/authorize", form.submission(decision="approve"))
    assert approved.status == 303
    grants = await pages.storage.grants.find(user_id=None)
    assert len(grants) == 1
    revoke_path = f"/account/connected-apps/{grants[0].id}/revoke"
    assert (await pages.post(revoke_path, {"csrf_token": "nope"})).status == 403
    assert len(await pages.storage.grants.find(user_id=None)) == 1


# --- §5.3 the authorization endpoint, in order ---------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"client_id": None}, "client_id parameter is missing"),
        ({"client_id": "unknown-client"}, "not a registered client"),
        ({"redirect_uri": None}, "redirect_uri parameter is missing"),
        ({"redirect_uri": "https://evil.example/callback"}, "not registered"),
        ({"redirect_uri": REDIRECT + "/"}, "not registered"),
        ({"redirect_uri": "http://localhost/callback"}, "not registered"),
    ],
)
async def test_step_1_faults_are_a_400_page_never_a_redirect(
    pages: Pages, overrides: dict[str, str | None], says: str
) -> None:
    # Also with a bad response_type: step 1 comes first, with or without a session.
    for signed_in in (False, True):
        if signed_in:
            await pages.login()
        response = await pages.consent(response_type="token", **overrides)
        assert response.status == 400
        assert "Location" not in response.headers
        assert says in await response.text()
        assert_page_headers(response)


async def test_repeated_client_id_is_a_400_page(pages: Pages) -> None:
    query = pages.authorize_query() + "&client_id=" + pages.client_id
    response = await pages.get("/api/oauth/authorize?" + query)
    assert response.status == 400
    assert "repeated" in await response.text()


async def test_step_2_no_session_goes_to_login_and_back(pages: Pages) -> None:
    query = pages.authorize_query(scope="passports:read", response_type="token")
    response = await pages.get("/api/oauth/authorize?" + query)
    assert response.status == 303
    location = response.headers["Location"]
    assert location.startswith("/login?next=/api/oauth/authorize%3F")
    next_path = parse_qs(urlsplit(location).query)["next"][0]
    assert next_path.startswith("/api/oauth/authorize?")
    assert parse_qs(urlsplit(next_path).query) == parse_qs(query)
    page = await pages.get(location)
    assert 'value="/api/oauth/authorize?' in await page.text()
    back = await pages.login(next_path=next_path)
    assert back.headers["Location"] == next_path
    # Now step 3 applies: the bad response_type is reported to the client.
    base, params = redirect_params(await pages.get(next_path))
    assert base == REDIRECT and params["error"] == ["unsupported_response_type"]


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"response_type": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": "token", "scope": "nope"}, "unsupported_response_type"),
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),  # none means plain
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"code_challenge": "!" * 43}, "invalid_request"),
        ({"code_challenge": None, "scope": "nope"}, "invalid_request"),
        ({"scope": "passports:delete"}, "invalid_scope"),
        ({"scope": "offline_access"}, "invalid_scope"),
        ({"scope": "documents:read"}, "invalid_scope"),
        ({"scope": "nope", "resource": "https://elsewhere.example"}, "invalid_scope"),
        ({"resource": "https://elsewhere.example"}, "invalid_target"),
        ({"resource": BASE + "/api/v1"}, "invalid_target"),
    ],
)
async def test_step_3_faults_redirect_to_the_client(
    pages: Pages, overrides: dict[str, str | None], error: str
) -> None:
    await pages.login()
    response = await pages.consent(**overrides)
    assert_page_headers(response)
    base, params = redirect_params(response)
    assert base == REDIRECT
    assert params["error"] == [error]
    assert params["error_description"][0]
    assert params["state"] == ["st-123"]
    assert params["iss"] == [BASE]
    assert "code" not in params


async def test_repeated_parameter_is_invalid_request(pages: Pages) -> None:
    await pages.login()
    response = await pages.get("/api/oauth/authorize?" + pages.authorize_query() + "&scope=x")
    _, params = redirect_params(response)
    assert params["error"] == ["invalid_request"]


async def test_error_redirect_without_state_has_none(pages: Pages) -> None:
    await pages.login()
    _, params = redirect_params(await pages.consent(state=None, response_type="token"))
    assert "state" not in params and params["iss"] == [BASE]


async def test_user_without_workspace_is_access_denied(pages: Pages) -> None:
    await pages.users.create_user("loner@acme.example", password_hash=CHEAP_HASH)
    await pages.login(email="loner@acme.example")
    _, params = redirect_params(await pages.consent())
    assert params["error"] == ["access_denied"]
    assert params["state"] == ["st-123"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"prompt": "consent", "foo": "bar"},
        {"resource": BASE},
        {"resource": BASE + "/"},
        {"scope": "passports:read documents:read suppliers:write"},
        {"scope": None},
        {"redirect_uri": "http://127.0.0.1:54321/callback"},  # loopback: any port
    ],
)
async def test_consent_page_for_good_requests(
    pages: Pages, overrides: dict[str, str | None]
) -> None:
    await pages.login()
    response = await pages.consent(**overrides)
    assert response.status == 200, response.headers.get("Location")
    assert_page_headers(response)


async def test_extra_resources_are_accepted(aiohttp_client: Any, backend: str) -> None:
    pages = await build_pages(
        aiohttp_client, backend, oauth_extra_resources="https://ai.tracepass.eu/mcp"
    )
    await pages.login()
    assert (await pages.consent(resource="https://ai.tracepass.eu/mcp")).status == 200
    _, params = redirect_params(await pages.consent(resource="https://ai.tracepass.eu/other"))
    assert params["error"] == ["invalid_target"]


async def test_pkce_exempt_client_ignores_a_lone_method(pages: Pages) -> None:
    registered = await ClientRegistry(pages.storage).create(
        name="n8n", redirect_uris=[REDIRECT], require_pkce=False
    )
    await pages.login()
    response = await pages.consent(client_id=registered.client.client_id, code_challenge=None)
    assert response.status == 200
    # A confidential client that needs PKCE is held to it.
    strict = await ClientRegistry(pages.storage).create(name="strict", redirect_uris=[REDIRECT])
    _, params = redirect_params(
        await pages.consent(client_id=strict.client.client_id, code_challenge=None)
    )
    assert params["error"] == ["invalid_request"]


# --- §5.4 consent ---------------------------------------------------------------------------


async def test_consent_page_shows_what_a_person_needs(pages: Pages) -> None:
    await pages.login()
    text = await (await pages.consent()).text()
    assert "Acme ERP" in text
    assert "app.example" in text  # the redirect host
    assert "Unverified" not in text  # registered by an administrator
    assert "runs on a computer" not in text  # one of its redirect URIs is https
    assert "See your products" in text and "Create, change and archive" in text
    assert "Stay connected" in text
    form = form_with_action(text, "/api/oauth/authorize")
    assert form.method == "post"
    assert form.fields["workspace"] == pages.workspace_id  # one workspace: a hidden input
    assert "workspace" not in form.options
    assert ("decision", "approve") in form.buttons and ("decision", "deny") in form.buttons


async def test_consent_select_lists_every_workspace(pages: Pages) -> None:
    second = await add_tenant(pages.storage, "Beta Works")
    await pages.users.add_member(second.workspace.id, pages.email, "viewer")
    await pages.login()
    text = await (await pages.consent()).text()
    form = form_with_action(text, "/api/oauth/authorize")
    assert form.options["workspace"] == [pages.workspace_id, second.workspace.id]
    assert re.search(r">\s*Acme \(editor\)", text) and re.search(r">\s*Beta Works \(viewer\)", text)


async def test_client_supplied_text_is_escaped(pages: Pages) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    registered = await ClientRegistry(pages.storage).register_dynamic(
        {
            "redirect_uris": ["http://127.0.0.1/cb"],
            "client_name": hostile,
            "token_endpoint_auth_method": "none",
        }
    )
    await pages.login()
    state = '"><script>alert(2)</script>'
    response = await pages.consent(
        client_id=registered.client.client_id, redirect_uri="http://127.0.0.1:9/cb", state=state
    )
    text = await response.text()
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text
    assert "Unverified app" in text
    assert "runs on a computer" in text  # every redirect URI is loopback
    form = form_with_action(text, "/api/oauth/authorize")
    assert form.fields["state"] == state  # carried unchanged
    approved = await pages.post("/api/oauth/authorize", form.submission(decision="approve"))
    _, params = redirect_params(approved)
    assert params["state"] == [state]
    connected = await (await pages.get("/account/connected-apps")).text()
    assert "<script>" not in connected and "&lt;script&gt;" in connected


async def test_approve_redirects_with_a_code(pages: Pages) -> None:
    await pages.login()
    base, params = redirect_params(await pages.decide("approve"))
    assert base == REDIRECT
    assert set(params) == {"code", "state", "iss"}
    assert params["state"] == ["st-123"] and params["iss"] == [BASE]
    grants = await pages.storage.grants.find(user_id=None)
    assert [(g.workspace_id, g.client_id) for g in grants] == [
        (pages.workspace_id, pages.client_id)
    ]
    assert grants[0].scope == ("passports:read", "passports:write", "offline_access")


async def test_approving_again_updates_the_one_grant(pages: Pages) -> None:
    await pages.login()
    await pages.decide("approve")
    await pages.decide("approve", scope="passports:read")
    grants = await pages.storage.grants.find(user_id=None)
    assert len(grants) == 1 and grants[0].scope == ("passports:read",)


async def test_redirect_uri_with_a_query_is_joined_with_ampersand(pages: Pages) -> None:
    registered = await ClientRegistry(pages.storage).create(
        name="Query app", redirect_uris=["https://q.example/cb?tenant=7"], public=True
    )
    await pages.login()
    response = await pages.decide(
        "approve",
        client_id=registered.client.client_id,
        redirect_uri="https://q.example/cb?tenant=7",
    )
    location = response.headers["Location"]
    assert location.startswith("https://q.example/cb?tenant=7&code=")


async def test_deny_redirects_with_access_denied(pages: Pages) -> None:
    await pages.login()
    _, params = redirect_params(await pages.decide("deny"))
    assert params["error"] == ["access_denied"]
    assert params["state"] == ["st-123"] and params["iss"] == [BASE]
    assert await pages.storage.grants.find(user_id=None) == []


async def test_bad_decision_or_workspace_is_a_400_page(pages: Pages) -> None:
    other = await add_tenant(pages.storage, "Not Mine")
    await pages.login()
    form = form_with_action(await (await pages.consent()).text(), "/api/oauth/authorize")
    cases = [
        form.submission(decision="maybe"),
        {k: v for k, v in form.submission(decision="approve").items() if k != "decision"},
        {k: v for k, v in form.submission(decision="approve").items() if k != "workspace"},
        form.submission(decision="approve", workspace=other.workspace.id),
        form.submission(decision="approve", workspace="not-an-id"),
        form.submission(decision="deny", workspace=other.workspace.id),
    ]
    for data in cases:
        response = await pages.post("/api/oauth/authorize", data)
        assert response.status == 400
        assert_page_headers(response)
    assert await pages.storage.grants.find(user_id=None) == []


async def test_consent_post_is_checked_again(pages: Pages) -> None:
    await pages.login()
    form = form_with_action(await (await pages.consent()).text(), "/api/oauth/authorize")
    tampered = form.submission(decision="approve", redirect_uri="https://evil.example/cb")
    assert (await pages.post("/api/oauth/authorize", tampered)).status == 400
    bad_scope = form.submission(decision="approve", scope="passports:admin")
    _, params = redirect_params(await pages.post("/api/oauth/authorize", bad_scope))
    assert params["error"] == ["invalid_scope"]
    assert await pages.storage.grants.find(user_id=None) == []


# --- §5.5 connected apps --------------------------------------------------------------------


async def test_connected_apps_lists_and_revokes(pages: Pages) -> None:
    await pages.login()
    empty = await (await pages.get("/account/connected-apps")).text()
    assert "No app is connected" in empty
    await pages.decide("approve")
    page = await pages.get("/account/connected-apps")
    text = await page.text()
    assert "Acme ERP" in text and "Acme" in text
    grant = (await pages.storage.grants.find(user_id=None))[0]
    form = form_with_action(text, f"/account/connected-apps/{grant.id}/revoke")
    assert form.attrs["data-client-id"] == pages.client_id
    form_with_action(text, "/logout")
    response = await pages.post(form.action, form.fields)
    assert response.status == 303
    assert response.headers["Location"] == "/account/connected-apps"
    assert await pages.storage.grants.find(user_id=None) == []
    again = await pages.post(form.action, form.fields)
    assert again.status == 404
    assert_page_headers(again)


async def test_someone_elses_grant_is_404(pages: Pages) -> None:
    await pages.users.create_user("other@acme.example", password_hash=CHEAP_HASH)
    await pages.users.add_member(pages.workspace_id, "other@acme.example", "viewer")
    await pages.login(email="other@acme.example")
    await pages.decide("approve")
    grant = (await pages.storage.grants.find(user_id=None))[0]
    await pages.login()
    page = await pages.get("/account/connected-apps")
    token = form_with_action(await page.text(), "/logout").fields["csrf_token"]
    response = await pages.post(f"/account/connected-apps/{grant.id}/revoke", {"csrf_token": token})
    assert response.status == 404
    assert len(await pages.storage.grants.find(user_id=None)) == 1
    unknown = await pages.post(
        "/account/connected-apps/000000000000000000000000/revoke", {"csrf_token": token}
    )
    assert unknown.status == 404


async def _tokens_for_approval(pages: Pages) -> dict[str, Any]:
    _, params = redirect_params(await pages.decide("approve"))
    response = await pages.post(
        "/api/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": params["code"][0],
            "redirect_uri": REDIRECT,
            "client_id": pages.client_id,
            "code_verifier": VERIFIER,
        },
    )
    assert response.status == 200, await response.text()
    return dict(await response.json())


async def test_revoking_a_connected_app_ends_its_tokens(pages: Pages) -> None:
    await pages.login()
    tokens = await _tokens_for_approval(pages)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await pages.get("/api/v1/products", headers=bearer)).status == 200
    text = await (await pages.get("/account/connected-apps")).text()
    grant = (await pages.storage.grants.find(user_id=None))[0]
    assert "Never" not in text  # the token was used: "last used" shows when
    form = form_with_action(text, f"/account/connected-apps/{grant.id}/revoke")
    assert (await pages.post(form.action, form.fields)).status == 303
    # AUTH_CACHE_SECONDS=0 here: the next request already sees the revocation.
    rejected = await pages.get("/api/v1/products", headers=bearer)
    assert rejected.status == 401
    assert 'error="invalid_token"' in rejected.headers["WWW-Authenticate"]
    refresh = await pages.post(
        "/api/oauth/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": pages.client_id,
        },
    )
    assert refresh.status == 400 and (await refresh.json())["error"] == "invalid_grant"
    # Approving again makes a new grant with new tokens.
    again = await _tokens_for_approval(pages)
    new_bearer = {"Authorization": f"Bearer {again['access_token']}"}
    assert (await pages.get("/api/v1/products", headers=new_bearer)).status == 200
    assert (await pages.get("/api/v1/products", headers=bearer)).status == 401


async def test_tokens_act_with_the_approved_scope_and_the_users_role(pages: Pages) -> None:
    await pages.login()
    _, params = redirect_params(await pages.decide("approve", scope="passports:read"))
    response = await pages.post(
        "/api/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": params["code"][0],
            "client_id": pages.client_id,
            "code_verifier": VERIFIER,
        },
    )
    tokens = await response.json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    write = await pages.client.post("/api/v1/products", json={}, headers=bearer)
    assert write.status == 403
    assert (await write.json())["code"] == "insufficient_scope"


async def test_no_secret_of_the_flow_reaches_a_log_line(pages: Pages) -> None:
    from tests.conftest import SESSION_LOG

    start = len(SESSION_LOG.getvalue())
    await pages.login(password="a wrong password")  # a failed sign-in is logged as a request
    response = await pages.login()
    cookie = session_cookie(response).split(";")[0].split("=", 1)[1]
    page = await pages.consent()
    csrf = form_with_action(await page.text(), "/api/oauth/authorize").fields["csrf_token"]
    _, params = redirect_params(await pages.decide("approve"))
    code = params["code"][0]
    token_response = await pages.post(
        "/api/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": pages.client_id,
            "code_verifier": VERIFIER,
        },
    )
    tokens = await token_response.json()
    await pages.get(
        "/api/v1/products", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    logged = SESSION_LOG.getvalue()[start:]
    assert '"route": "/login"' in logged or "/login" in logged  # the requests were logged
    secrets = {
        "password": PASSWORD,
        "wrong password": "a wrong password",
        "cookie": cookie,
        "csrf token": csrf,
        "code": code,
        "code verifier": VERIFIER,
        "access token": tokens["access_token"],
        "refresh token": tokens["refresh_token"],
    }
    assert [name for name, value in secrets.items() if value in logged] == []


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=xx", "application/json", "text/plain"],
)
async def test_unreadable_form_bodies_are_403(pages: Pages, content_type: str) -> None:
    fields = await pages.login_form()
    body = urlencode({**fields, "email": pages.email, "password": PASSWORD})
    for path in ("/login", "/logout", "/api/oauth/authorize"):
        response = await pages.client.post(
            path, data=body, headers={"Content-Type": content_type}, allow_redirects=False
        )
        assert response.status == 403
        assert_page_headers(response)


async def test_parallel_approvals_make_one_grant(pages: Pages) -> None:
    await pages.login()
    form = form_with_action(await (await pages.consent()).text(), "/api/oauth/authorize")
    responses = await asyncio.gather(
        *(
            pages.post("/api/oauth/authorize", form.submission(decision="approve"))
            for _ in range(20)
        )
    )
    codes = {redirect_params(response)[1]["code"][0] for response in responses}
    assert len(codes) == 20  # every approval got its own code
    grants = await pages.storage.grants.find(user_id=None)
    assert len(grants) == 1  # one live grant per (user, workspace, client)
    # Every code belongs to that grant: each one redeems.
    for code in list(codes)[:3]:
        response = await pages.post(
            "/api/oauth/token",
            {
                "grant_type": "authorization_code",
                "code": code,
                "client_id": pages.client_id,
                "code_verifier": VERIFIER,
            },
        )
        assert response.status == 200
