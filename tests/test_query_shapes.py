"""Every filter/sort shape the Mongo repositories send is served by an index, and on the tenant
collections by one that leads with the workspace id. The shapes are recorded on the wire (PyMongo
command monitoring) from a real run of every catalogue route against the embedded server, not
listed by hand, so a new query cannot slip in unindexed. Index coverage is judged against the
declared IndexModels, not explain(): the embedded server's planner is not mongod's."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from pymongo import IndexModel

from app.http.app import create_app
from app.services.seeding import seed_reference_data
from app.storage.mongo import idempotency, images, passports, products, usage
from app.storage.mongo.store import MongoStorage
from tests.conftest import SEED_BODY, SESSION_ACCESS_LOG, MongoTier, add_tenant, app_settings
from tests.mongo_commands import CommandLog, Keys, Query

TENANT_COLLECTIONS: dict[str, tuple[str, list[IndexModel]]] = {
    "products": ("workspaceId", products.INDEXES),
    "idempotency": ("workspaceId", idempotency.INDEXES),
    "usage": ("workspaceId", usage.INDEXES),
    images.FILES_COLLECTION: ("metadata.workspaceId", images.FILES_INDEXES),
    "passports": ("workspaceId", passports.INDEXES),
    # Keyed by the workspace id itself: the implicit unique `_id` index.
    "dppUsage": ("_id", [IndexModel([("_id", 1)], unique=True)]),
}
# Global by design, each served by its unique key: a GTIN's owner (`gtins._id` is the GTIN) and
# the public resolver's (gtin, serial) lookup.
GLOBAL_QUERIES: dict[str, list[IndexModel]] = {
    "gtins": [IndexModel([("_id", 1)], unique=True)],
    "passports": [m for m in passports.INDEXES if m.document["name"] == "gtin_serial"],
}


def gridfs_index_probe(query: Query) -> bool:
    """PyMongo's GridFS, before an upload, asks for any one file (`find_one({}, {_id: 1})`) to
    learn whether it must create its own indexes: one document, no scan, not a tenant query."""
    return query.collection == images.FILES_COLLECTION and not query.filter and query.limit == 1


def equality_fields(selector: dict[str, Any]) -> set[str]:
    fields: set[str] = set()
    for key, value in selector.items():
        if key == "$and":
            for part in value:
                fields |= equality_fields(part)
        elif key.startswith("$"):
            continue  # $or and friends: residual predicates
        elif not (isinstance(value, dict) and any(k.startswith("$") for k in value)):
            fields.add(key)
    return fields


def serves(index: Keys, equal: set[str], sort: Keys, *, unique: bool = False) -> bool:
    """Equality fields form the index prefix (an `_id` equality may stay residual: it names one
    document), and the sort keys follow the prefix in order, all forward or all reversed. A
    unique index whose every key is matched is a point lookup: other predicates are residual."""
    if unique and not sort and {field for field, _ in index} <= equal:
        return True
    prefix_length = 0
    while prefix_length < len(index) and index[prefix_length][0] in equal:
        prefix_length += 1
    prefix = {field for field, _ in index[:prefix_length]}
    if not prefix or not (equal - {"_id"}) <= prefix:
        return False
    following = index[prefix_length : prefix_length + len(sort)]
    if [f for f, _ in following] != [f for f, _ in sort]:
        return False
    same = all(d == s for (_, d), (_, s) in zip(following, sort, strict=True))
    reversed_ = all(d == -s for (_, d), (_, s) in zip(following, sort, strict=True))
    return same or reversed_


def index_keys(model: IndexModel) -> Keys:
    return [(field, int(direction)) for field, direction in model.document["key"].items()]


async def exercise_every_route(client: Any, key: str) -> None:
    auth = {"Authorization": f"Bearer {key}"}

    async def call(method: str, path: str, **kwargs: Any) -> Any:
        response = await client.request(
            method, path, headers={**auth, **kwargs.pop("h", {})}, **kwargs
        )
        await response.read()
        return response

    created = await (await call("POST", "/api/v1/products", json=SEED_BODY)).json()
    await call(
        "POST", "/api/v1/products", json={**SEED_BODY, "model": "B"}, h={"Idempotency-Key": "k"}
    )
    await call(
        "POST", "/api/v1/products", json={**SEED_BODY, "model": "B"}, h={"Idempotency-Key": "k"}
    )
    product = f"/api/v1/products/{created['_id']}"
    filters = [
        "",
        "&showArchived=true",
        "&status=archived",
        "&category=battery",
        "&category=batteries&showArchived=true",
        "&category=batteries&status=active",
        "&search=pack",
        "&search=pack&showArchived=true",
    ]
    for extra in filters:
        response = await call("GET", f"/api/v1/products?limit=1{extra}")
        assert response.status == 200
        cursor = (await response.json())["data"]["nextCursor"]
        if cursor:
            await call("GET", f"/api/v1/products?limit=1{extra}&cursor={cursor}")
    await call("GET", "/api/v1/products?limit=1&page=2")
    await call("GET", product)
    await call(
        "PATCH", product, json={"name": "Renamed", "imageUrls": []}, h={"Idempotency-Key": "p"}
    )
    form = aiohttp.FormData()
    form.add_field("file", b"\x89PNG\r\n\x1a\n" + bytes(64), filename="a.png")
    await call("POST", f"{product}/images", data=form)
    await call("DELETE", f"{product}/images/0")
    await exercise_passport_routes(call, created["_id"])
    await call("POST", f"{product}/archive")
    await call("DELETE", product)
    await call("DELETE", "/api/v1/products/0123456789abcdef01234567")


async def exercise_passport_routes(call: Any, product_id: str) -> None:
    gtin = "04012345000016"

    def body(serial: str) -> dict[str, Any]:
        return {"productId": product_id, "gs1": {"gtin": gtin, "serialNumber": serial}}

    first = await (await call("POST", "/api/v1/passports", json=body("S-1"))).json()
    await call("POST", "/api/v1/passports", json=body("S-1"))  # duplicate serial
    await call("POST", "/api/v1/passports", json=body("K-1"), h={"Idempotency-Key": "pk"})
    batch = {"passports": [body("B-1"), body("B-2")]}
    await call("POST", "/api/v1/passports/batch", json=batch, h={"Idempotency-Key": "bk"})
    passport = f"/api/v1/passports/{first['_id']}"
    lists = [
        "", "&showArchived=true", "&status=archived", "&status=draft", "&status=expired",
        f"&productId={product_id}", f"&productId={product_id}&status=draft", "&search=s-",
    ]  # fmt: skip
    for extra in lists:
        response = await call("GET", f"/api/v1/passports?limit=1{extra}")
        assert response.status == 200
        cursor = (await response.json())["data"]["nextCursor"]
        if cursor:
            await call("GET", f"/api/v1/passports?limit=1{extra}&cursor={cursor}")
    await call("GET", f"{passport}?format=full")
    await call("GET", "/api/v1/passports/by-serial/S-1")
    await call("GET", f"/api/v1/passports/by-serial/S-1?gtin={gtin}")
    await call("PATCH", f"{passport}/fields/ratedCapacity", json={"value": 100})
    for action in ("submit", "approve", "publish", "suspend", "unsuspend", "archive"):
        await call(
            "POST",
            f"{passport}/{action}",
            json={"acceptIncomplete": True} if action == "publish" else {},
        )
    await call("DELETE", "/api/v1/passports/by-serial/B-1")
    await call("DELETE", passport)


@pytest.fixture
async def recorded(aiohttp_client: Any, mongo: MongoTier) -> list[Query]:
    log = CommandLog()
    storage = MongoStorage(mongo.database(event_listeners=[log]))
    await storage.prepare()
    await seed_reference_data(storage)
    tenant = await add_tenant(storage)
    app = create_app(
        access_log=SESSION_ACCESS_LOG,
        settings=app_settings(),
        storage=storage,
        on_first_access=lambda settings, access: None,
    )
    client = await aiohttp_client(app)
    log.clear()  # start-up's reference-data reads are not tenant queries
    await exercise_every_route(client, tenant.key)
    return log.queries()


async def test_every_tenant_query_leads_with_the_workspace_and_has_an_index(
    recorded: list[Query],
) -> None:
    tenant_queries = [
        q
        for q in recorded
        if q.collection in TENANT_COLLECTIONS and not is_global(q) and not gridfs_index_probe(q)
    ]
    seen_shapes = set()
    for query in tenant_queries:
        tenant_field, models = TENANT_COLLECTIONS[query.collection]
        equal = equality_fields(query.filter)
        assert tenant_field in equal, f"not tenant-first: {query}"
        candidates = [
            (index_keys(m), bool(m.document.get("unique")))
            for m in models
            if index_keys(m)[0][0] == tenant_field
        ]
        assert any(serves(keys, equal, query.sort, unique=unique) for keys, unique in candidates), (
            f"no index: {query}"
        )
        seen_shapes.add((query.collection, frozenset(equal), tuple(query.sort)))
    # The run covered the list shapes: all/one status, with and without category, search.
    product_shapes = {shape for shape in seen_shapes if shape[0] == "products"}
    assert len(product_shapes) >= 6, product_shapes
    passport_shapes = {shape for shape in seen_shapes if shape[0] == "passports"}
    assert len(passport_shapes) >= 6, passport_shapes
    assert any(q.collection == "dppUsage" for q in tenant_queries)


def is_global(query: Query) -> bool:
    """A documented global query, served by a unique key of its collection."""
    models = GLOBAL_QUERIES.get(query.collection)
    if models is None:
        return False
    equal = equality_fields(query.filter)
    if query.collection == "passports" and "workspaceId" in equal:
        return False
    return any(serves(index_keys(m), equal, query.sort, unique=True) for m in models)


async def test_global_queries_are_only_the_documented_ones(recorded: list[Query]) -> None:
    for query in recorded:
        if query.collection == "gtins":
            assert is_global(query), f"gtins query off its key: {query}"


def test_the_matcher_rejects_what_no_index_serves() -> None:
    newest = [("createdAt", -1), ("_id", -1)]
    by_status = [("workspaceId", 1), ("status", 1), *newest]
    assert serves(by_status, {"workspaceId", "status"}, newest)
    assert serves(by_status, {"workspaceId", "status"}, [("createdAt", 1), ("_id", 1)])
    assert not serves(by_status, {"workspaceId", "category"}, newest)
    assert not serves(by_status, {"workspaceId", "status"}, [("name", 1)])
    assert not serves(by_status, {"status"}, newest)
    assert not serves(by_status, {"workspaceId", "status"}, [("createdAt", -1), ("_id", 1)])
    ws_key = [("workspaceId", 1), ("key", 1)]
    assert serves(ws_key, {"workspaceId", "key", "owner"}, [], unique=True)
    assert not serves(ws_key, {"workspaceId", "key", "owner"}, [])
