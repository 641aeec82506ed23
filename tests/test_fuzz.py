"""Schemathesis against the running service and its own OpenAPI document (part of `make test`).

Every operation, authenticated, with the checks the issue names; positive, negative and stateful
phases. A fixed seed keeps CI reproducible; `make fuzz` runs longer with any seed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.live_server import live_server

CHECKS = ",".join(
    [
        "not_a_server_error",
        "response_schema_conformance",
        "status_code_conformance",
        "content_type_conformance",
        "negative_data_rejection",
        "ignored_auth",
    ]
)
EXAMPLES = os.environ.get("FUZZ_EXAMPLES", "25")
ROOT = Path(__file__).resolve().parent.parent
SEED = os.environ.get("FUZZ_SEED", "20261127")


def test_schemathesis_finds_nothing(tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("schemathesis")
    # Longer stateful scenarios, so product → passport → get → field PATCH → lifecycle chains
    # get walked (the hooks supply a seeded category for the products they start from).
    (tmp_path / "schemathesis.toml").write_text("[phases.stateful]\nmax-steps = 30\n")
    with live_server(tmp_path, LOG_LEVEL="INFO") as server:
        result = subprocess.run(
            [
                str(cli),
                "run",
                f"{server.base_url}/api/v1/openapi.json",
                "--header",
                f"Authorization: Bearer {server.key}",
                "--checks",
                CHECKS,
                "--max-examples",
                EXAMPLES,
                "--seed",
                SEED,
                "--workers",
                "1",  # hypothesis' lambda reflection is not thread-safe on Python 3.11
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=900,
            env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz_hooks", "PYTHONPATH": str(ROOT)},
            cwd=tmp_path,  # the report directory, if any, stays out of the checkout
        )
        server_log = server.log()
    report = result.stdout + result.stderr
    print(report[-6000:])
    generated = re.search(r"(\d+) generated", report)
    assert generated is not None, report[-3000:]
    assert int(generated.group(1)) >= 300, "the run must cover a few hundred cases"
    assert result.returncode == 0, report[-8000:]
    assert "Traceback" not in server_log, server_log[-5000:]
    assert server.key not in server_log  # a thousand requests carried it; no log line did
    links = re.search(r"API Links:\s+(\d+) covered", report)
    assert links is not None and int(links.group(1)) >= 20, "the stateful phase follows links"
    operations = re.search(r"Selected: (\d+)/(\d+)", report)
    assert operations is not None and operations.group(1) == operations.group(2)
