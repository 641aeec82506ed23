"""`make profile`'s table: self and total shares from py-spy's collapsed stacks."""

from __future__ import annotations

from bench.stack_shares import collapse, package_of, stage_shares, stage_table, top_table

RAW = """\
main (app/cli.py:10);handle (aiohttp/web_app.py:5);list_page (app/storage/memory/products.py:3) 6
main (app/cli.py:10);handle (aiohttp/web_app.py:5);render (app/http/handlers/products.py:9) 3
main (app/cli.py:10);walk (app/domain/tree.py:1);walk (app/domain/tree.py:2) 1

"""


def test_self_and_total_shares_per_function_and_package() -> None:
    shares = collapse(RAW.splitlines())
    assert shares.samples == 10
    assert shares.self_samples["list_page (app/storage/memory/products.py)"] == 6
    assert shares.total_samples["handle (aiohttp/web_app.py)"] == 9  # line numbers merged
    assert shares.total_samples["walk (app/domain/tree.py)"] == 1  # recursion counted once
    assert shares.package_samples == {"app/storage": 6, "app/http": 3, "app/domain": 1}
    table = top_table(shares, top=2)
    assert "| 60.0 % | 60.0 % | list_page (app/storage/memory/products.py) |" in table
    assert "main (app/cli.py)" not in table  # on every stack: left out of the total table
    assert "| 90.0 % | handle (aiohttp/web_app.py) |" in table


def test_package_of_paths() -> None:
    assert package_of("f (app/http/x.py)") == "app/http"
    assert package_of("f (aiohttp/web.py)") == "aiohttp"
    assert package_of("f (uuid.py)") == "uuid.py"


def test_stage_shares_add_up_the_stages_functions() -> None:
    shares = collapse(RAW.splitlines())
    stages = {"storage": ("list_page",), "render and walk": ("render", "walk"), "none": ("x",)}
    assert stage_shares(shares, stages) == {"storage": 0.6, "render and walk": 0.4, "none": 0.0}
    table = stage_table(shares, stages, us_per_request=200.0)
    assert "| storage | 60.0 % | 120 |" in table
    assert "| render and walk | 40.0 % | 80 |" in table
