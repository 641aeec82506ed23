"""Records (`@record`, app/domain/record.py) are frozen for the type checker: the run-time
dataclass is plain for speed, so this is the check that keeps them immutable. mypy, run on
app/ by `make test`, must reject an assignment to a field of any record, and accept the same
module without it."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

APP = pathlib.Path(__file__).resolve().parent.parent / "app"


def record_classes() -> list[tuple[str, str, str]]:
    """(module, class, first field) of every @record class with a field, from the source."""
    found = []
    for path in sorted(APP.rglob("*.py")):
        tree = ast.parse(path.read_text())
        module = ".".join(path.relative_to(APP.parent).with_suffix("").parts)
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            if not any(isinstance(d, ast.Name) and d.id == "record" for d in node.decorator_list):
                continue
            fields = [
                s.target.id
                for s in node.body
                if isinstance(s, ast.AnnAssign)
                and isinstance(s.target, ast.Name)
                and "ClassVar" not in ast.unparse(s.annotation)
            ]
            if fields:
                found.append((module, node.name, fields[0]))
    return found


RECORDS = record_classes()


def test_the_app_declares_its_records_with_record() -> None:
    # The hot-path ones at least (a keyed create builds these), so the list below is not empty
    # by accident of a rename.
    names = {name for _, name, _ in RECORDS}
    assert {"Product", "NewProduct", "IdempotencyRecord", "StoredResponse", "WriteRequest"} <= names
    sources = "\n".join(p.read_text() for p in APP.rglob("*.py"))
    assert "@dataclass(frozen=True" not in sources  # one way to declare a record


def run_mypy(tmp_path: pathlib.Path, source: str) -> tuple[str, int]:
    # In its own process: mypy raises the interpreter's recursion limit for good, and the
    # standard JSON parser's depth limit, which the body parser relies on, follows that limit.
    probe = tmp_path / "probe.py"
    probe.write_text(source)
    config = str(APP.parent / "pyproject.toml")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", config, "--no-incremental", str(probe)],
        capture_output=True,
        text=True,
        cwd=APP.parent,
        check=False,
    )
    return done.stdout + done.stderr, done.returncode


def probe(assign: bool) -> str:
    """One function per record that reads a field and, with `assign`, writes it back."""
    lines = ["from typing import Any"]
    lines += [f"from {module} import {name}" for module, name, _ in RECORDS]
    for number, (_, name, field) in enumerate(RECORDS):
        lines += [f"def touch_{number}(item: {name}) -> Any:"]
        if assign:
            lines += [f"    item.{field} = item.{field}"]
        lines += [f"    return item.{field}"]
    return "\n".join(lines) + "\n"


def test_mypy_rejects_assigning_to_any_record_field(tmp_path: pathlib.Path) -> None:
    output, status = run_mypy(tmp_path, probe(assign=False))
    assert status == 0, output  # the probe itself is sound: only the assignments differ
    output, status = run_mypy(tmp_path, probe(assign=True))
    assert status == 1, output
    for _, name, field in RECORDS:
        assert f'Property "{field}" defined in "{name}" is read-only' in output, (name, output)
    assert f"Found {len(RECORDS)} errors" in output, output
