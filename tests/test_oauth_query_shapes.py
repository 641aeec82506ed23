"""Every query the OAuth repositories send is served by an index: the shapes are recorded from a
real run of the flows (registration, code, refresh, revocation, /api/v1 use, grant listing,
member removal, client deletion), not listed by hand."""

from __future__ import annotations

from typing import Any

from app.domain.clock import utc_now
from app.http.app import create_app
from app.services.grants import GrantService
from app.services.oauth_clients import ClientRegistry, RegisteredClient
from app.services.seeding import seed_reference_data
from app.services.users import UserService
from app.storage.mongo import oauth, users
from app.storage.mongo.store import MongoStorage
from tests.conftest import (
    SESSION_ACCESS_LOG,
    Api,
    MongoTier,
    OAuthApp,
    add_client,
    add_tenant,
    add_user,
    app_settings,
    bearer,
)
from tests.mongo_commands import CommandLog
from tests.test_query_shapes import equality_fields, index_keys, serves

OAUTH_COLLECTIONS = {
    "users": users.USER_INDEXES,
    "memberships": users.MEMBERSHIP_INDEXES,
    "oauth_clients": oauth.CLIENT_INDEXES,
    "oauth_grants": oauth.GRANT_INDEXES,
    "oauth_codes": oauth.CODE_INDEXES,
    "oauth_access_tokens": oauth.TOKEN_INDEXES,
    "oauth_refresh_tokens": oauth.TOKEN_INDEXES,
}


async def test_every_oauth_query_has_an_index(aiohttp_client: Any, mongo: MongoTier) -> None:
    log = CommandLog()  # every command on the wire, from the real driver
    storage = MongoStorage(mongo.database(event_listeners=[log]))
    await storage.prepare()
    await seed_reference_data(storage)
    tenant = await add_tenant(storage)
    app = create_app(
        access_log=SESSION_ACCESS_LOG,
        settings=app_settings(auth_cache_seconds=0),
        storage=storage,
        on_first_access=lambda settings, access: None,
    )
    api = Api(await aiohttp_client(app), storage, tenant)
    user = await add_user(storage, tenant.workspace, role="admin")
    await add_user(storage, tenant.workspace, "owner@acme.example", role="owner")
    flow = OAuthApp(api, await add_client(storage, public=False), user)
    log.clear()

    registered = await api.client.post(
        "/api/oauth/register",
        json={"redirect_uris": ["http://127.0.0.1/cb"], "token_endpoint_auth_method": "none"},
    )
    client = await storage.oauth_clients.get((await registered.json())["client_id"], utc_now())
    assert client is not None
    dynamic = OAuthApp(api, RegisteredClient(client, None), user)
    tokens = await flow.tokens()
    assert (
        await api.client.get("/api/v1/products", headers=bearer(tokens["access_token"]))
    ).status == 200
    status, _, _ = await flow.post_token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert status == 200
    await flow.post_token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    again = await dynamic.tokens()
    fields, headers = dynamic.client_auth()
    await api.client.post(
        "/api/oauth/revoke", data={**fields, "token": again["access_token"]}, headers=headers
    )
    await api.client.post(
        "/api/oauth/revoke", data={**fields, "token": again["refresh_token"]}, headers=headers
    )
    grants = GrantService(storage)
    await grants.list(user_id=user.id)
    await grants.list(workspace_id=tenant.workspace.id)
    service = UserService(storage)
    await service.authenticate(user.email, "wrong password here")
    await service.workspaces_for(user.id)
    await service.set_role(tenant.workspace.id, user.email, "editor")
    third = await dynamic.tokens()
    await ClientRegistry(storage).delete(client.client_id)
    await flow.tokens()
    await service.remove_member(tenant.workspace.id, user.email)
    await service.set_disabled(user.email, True)
    assert third

    queries = [q for q in log.queries() if q.collection in OAUTH_COLLECTIONS]
    assert {q.collection for q in queries} == set(OAUTH_COLLECTIONS)
    for query in queries:
        equal = equality_fields(query.filter)
        if "_id" in query.filter:
            continue  # point lookups (one id or a list of ids)
        models = OAUTH_COLLECTIONS[query.collection]
        candidates = [(index_keys(m), bool(m.document.get("unique"))) for m in models]
        assert any(serves(keys, equal, query.sort, unique=unique) for keys, unique in candidates), (
            f"no index: {query}"
        )
