"""Every filter/sort shape the Mongo repositories send is served by an index, and on the tenant
collections by one that leads with the workspace id. The shapes are recorded from a real run of
every catalogue route, not listed by hand, so a new query cannot slip in unindexed."""

from __future__ import annotations

import dataclasses
from typing import Any

import aiohttp
import pytest
from pymongo import IndexModel

from app.http.app import create_app
from app.services.seeding import seed_reference_data
from app.storage.mongo import idempotency, images, products, usage
from app.storage.mongo.store import MongoStorage
from tests.conftest import SEED_BODY, add_tenant, app_settings
from tests.mongo_shim import mock_database

FILTER_METHODS = {
    "find",
    "find_one",
    "count_documents",
    "find_one_and_update",
    "find_one_and_delete",
    "update_one",
    "update_many",
    "delete_one",
    "delete_many",
}
TENANT_COLLECTIONS: dict[str, tuple[str, list[IndexModel]]] = {
    "products": ("workspaceId", products.INDEXES),
    "idempotency": ("workspaceId", idempotency.INDEXES),
    "usage": ("workspaceId", usage.INDEXES),
    images.FILES_COLLECTION: ("metadata.workspaceId", images.FILES_INDEXES),
}
Keys = list[tuple[str, int]]


@dataclasses.dataclass
class Query:
    collection: str
    method: str
    filter: dict[str, Any]
    sort: Keys = dataclasses.field(default_factory=list)


class RecordingCursor:
    def __init__(self, cursor: Any, query: Query) -> None:
        self._cursor = cursor
        self._query = query

    def sort(self, spec: Any, direction: int | None = None) -> RecordingCursor:
        self._query.sort = [(spec, direction or 1)] if isinstance(spec, str) else list(spec)
        self._cursor = (
            self._cursor.sort(spec) if direction is None else self._cursor.sort(spec, direction)
        )
        return self

    def __getattr__(self, attr: str) -> Any:
        target = getattr(self._cursor, attr)
        if attr in ("skip", "limit"):

            def chained(*args: Any) -> RecordingCursor:
                self._cursor = target(*args)
                return self

            return chained
        return target

    def __aiter__(self) -> Any:
        return self._cursor.__aiter__()


class RecordingCollection:
    def __init__(self, collection: Any, name: str, log: list[Query]) -> None:
        self._collection = collection
        self._name = name
        self._log = log

    def __getattr__(self, attr: str) -> Any:
        target = getattr(self._collection, attr)
        if attr not in FILTER_METHODS:
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            query = Query(self._name, attr, dict(args[0] if args else kwargs.get("filter") or {}))
            self._log.append(query)
            result = target(*args, **kwargs)
            return RecordingCursor(result, query) if attr == "find" else result

        return call


class RecordingDatabase:
    def __init__(self, database: Any) -> None:
        self._database = database
        self.log: list[Query] = []

    def __getitem__(self, name: str) -> RecordingCollection:
        return RecordingCollection(self._database[name], name, self.log)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._database, attr)


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
    await call("POST", f"{product}/archive")
    await call("DELETE", product)
    await call("DELETE", "/api/v1/products/0123456789abcdef01234567")


@pytest.fixture
async def recorded(aiohttp_client: Any) -> list[Query]:
    database = RecordingDatabase(mock_database())
    storage = MongoStorage(database)
    await storage.prepare()
    await seed_reference_data(storage)
    tenant = await add_tenant(storage)
    database.log.clear()
    app = create_app(app_settings(), storage=storage, on_first_access=lambda settings, access: None)
    client = await aiohttp_client(app)
    await exercise_every_route(client, tenant.key)
    return database.log


async def test_every_tenant_query_leads_with_the_workspace_and_has_an_index(
    recorded: list[Query],
) -> None:
    tenant_queries = [q for q in recorded if q.collection in TENANT_COLLECTIONS]
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
