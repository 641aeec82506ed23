"""`@record`: the dataclass every value in the app is declared with.

Frozen for the type checker, plain (slotted, hashable) at run time. A frozen dataclass sets each
field through `object.__setattr__` to get past its own `__setattr__`, which made building one
about 2.6 times as costly: a keyed create builds eleven records (83 fields), and that was about
a tenth of its server time (bench/, the README's benchmark section). mypy, which `make test`
runs on app/, still rejects any assignment to a field (`dataclass_transform(frozen_default=True)`,
PEP 681); what is given up is the run-time FrozenInstanceError, which nothing may rely on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True)
def record(cls: type[T]) -> type[T]:
    # unsafe_hash: hashable by value, as the frozen dataclass was (eq=True alone drops __hash__).
    return dataclass(slots=True, unsafe_hash=True)(cls)
