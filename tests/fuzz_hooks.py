"""Schemathesis hooks for tests/test_fuzz.py (loaded through SCHEMATHESIS_HOOKS).

Realistic test data for the stateful phase: a generated product create rarely names a seeded
category, so the chains that start from a product (product → passport → get → field PATCH →
lifecycle) would never begin. Positive product creates of the stateful phase get a seeded
category and no template values; everything else stays as generated.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.generation.meta import TestPhase


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    operation = case.operation
    if operation.method.upper() != "POST" or operation.path != "/api/v1/products":
        return
    meta = case.meta
    if meta is None or meta.phase.name != TestPhase.STATEFUL or meta.generation.mode.is_negative:
        return
    if isinstance(case.body, dict):
        case.body["category"] = "batteries"
        case.body.pop("defaultFieldValues", None)
        case.body.pop("imageUrls", None)
