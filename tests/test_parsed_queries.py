"""ParsedQueries: list queries validated once per distinct query string, never a bad one kept."""

from __future__ import annotations

import pydantic
import pytest
from multidict import MultiDict
from yarl import URL

from app.domain.errors import ValidationFailed
from app.http.models import ListProductsQuery
from app.http.passport_models import ListPassportsQuery
from app.http.validation import ParsedQueries


def parse(cache: ParsedQueries, query_string: str) -> ListProductsQuery:
    url = URL(f"/api/v1/products?{query_string}")
    return cache.parse(ListProductsQuery, url.raw_query_string, MultiDict(url.query))


def test_the_same_query_is_validated_once_and_shared() -> None:
    cache = ParsedQueries()
    first = parse(cache, "limit=20&search=bp")
    assert first.limit == 20 and first.search == "bp"
    assert parse(cache, "limit=20&search=bp") is first
    other = parse(cache, "limit=21&search=bp")
    assert other is not first and other.limit == 21


@pytest.mark.parametrize("query", ["limit=0", "limit=1e3", "page=1&page=2", "nope=1"])
def test_a_bad_query_is_refused_every_time(query: str) -> None:
    cache = ParsedQueries()
    for _ in range(2):
        with pytest.raises(ValidationFailed):
            parse(cache, query)


def test_the_oldest_query_makes_room() -> None:
    cache = ParsedQueries(size=2)
    first = parse(cache, "limit=1")
    parse(cache, "limit=2")
    assert parse(cache, "limit=1") is first  # still held
    parse(cache, "limit=3")  # evicts limit=1, the oldest entry
    assert parse(cache, "limit=1") is not first


@pytest.mark.parametrize("model", [ListProductsQuery, ListPassportsQuery])
def test_shared_query_models_are_frozen(model: type[pydantic.BaseModel]) -> None:
    instance = model.model_validate({"limit": "5"})
    with pytest.raises(pydantic.ValidationError):
        instance.limit = 6  # type: ignore[attr-defined]
