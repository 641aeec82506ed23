"""The cyclic garbage collector's thresholds for the serving process.

CPython's defaults (700, 10, 10) start a young collection every 700 net container allocations.
Under load, the requests in flight (32 in the bench) hold thousands of young objects, so each
young collection promotes many of them; promoted objects count towards a full collection, and a
full collection walks every object the service keeps — every product of the embedded store, at
about 150 ms per collection at 50,000 products. Measured with `make bench`'s keyed-create load
(gc callbacks, 50,000 creates): 36 µs of collector time per request with the defaults, 6 µs with
the thresholds below, where a request's short-lived objects are freed before a collection sees
them.

The cost: reference cycles wait longer to be freed — young ones until 50,000 new container
objects have accumulated (a few MB), promoted ones until the rarer full collection, which
CPython also holds back until a quarter of the long-lived heap is new.
`python_gc_collections_total` on /metrics shows the collector's activity.
"""

from __future__ import annotations

import gc

# (young, middle, old): a young collection every YOUNG net container allocations, a middle one
# every MIDDLE young ones, a full one every OLD middle ones.
YOUNG, MIDDLE, OLD = 50_000, 20, 100


def configure_gc() -> None:
    gc.set_threshold(YOUNG, MIDDLE, OLD)
