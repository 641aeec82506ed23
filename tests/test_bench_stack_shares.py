"""`make profile`'s table: self and total shares from py-spy's collapsed stacks."""

from __future__ import annotations

from bench.stack_shares import collapse, package_of, top_table

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
