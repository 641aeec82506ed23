"""Accept negotiation for the resolver (RFC 9110 §12.5.1): q-values, wildcards, specificity,
and a forgiving default for headers nothing matches or that are malformed."""

from __future__ import annotations

import pytest

from app.http.content_negotiation import negotiate
from app.http.handlers.resolver import HTML, JSON, JSON_LD, LINKSET, OFFERS


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, HTML),
        ("", HTML),
        ("*/*", HTML),
        ("text/html", HTML),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", HTML),  # a browser
        ("application/json", JSON),
        ("application/json; charset=utf-8", JSON),
        ("application/ld+json", JSON_LD),
        ("application/linkset+json", LINKSET),
        ("application/*", JSON),
        ("application/ld+json;q=0.9, application/json;q=0.8", JSON_LD),
        ("application/json;q=0.5, application/ld+json;q=0.9", JSON_LD),
        ("text/html;q=0.1, application/json", JSON),
        ("text/html;q=0, */*", JSON),  # q=0 excludes; the wildcard then picks plain JSON
        ("application/json;q=0, */*", HTML),
        ("text/*", HTML),
        ("image/png", HTML),  # nothing acceptable: the page, not a 406
        ("text/html;q=0", HTML),
        ("garbage", HTML),
        ("garbage, application/json", JSON),  # one malformed range does not spoil the rest
        ("a/b/c, application/ld+json", JSON_LD),
        (",,,", HTML),
        ("application/json;q=abc", JSON),  # an unreadable q counts as 1
    ],
)
def test_representation_by_accept(accept: str | None, chosen: str) -> None:
    assert negotiate(accept, OFFERS, HTML) == chosen
