# Every target installs what is missing into .venv first, so a fresh clone needs only Python.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed

.PHONY: run test lint seed openapi bench bench-memory profile fuzz soak crash clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[embedded]'
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/python -m app

seed: $(RUN_STAMP)
	$(BIN)/python -m app seed

openapi: $(RUN_STAMP)
	$(BIN)/python -m app openapi --output openapi/openapi.json

lint: $(DEV_STAMP)
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench
	$(BIN)/mypy app

test: lint
	$(BIN)/python -m pytest -q

# Ratios to a same-run floor, each target's median over alternating rounds after a warm-up round:
# creates (keyed product create with the API key and with an OAuth access token, keyed passport
# create), lists, the Mongo path (keyed create vs a PyMongo driver floor, list latency), memory.
bench: $(DEV_STAMP)
	$(BIN)/python -m bench.create_products
	$(BIN)/python -m bench.list_products
	$(BIN)/python -m bench.mongo_path
	$(BIN)/python -m bench.memory

# RSS of the service (memory store) at 0, 10k and 100k products, and the bytes per product.
bench-memory: $(DEV_STAMP)
	$(BIN)/python -m bench.memory

# py-spy (200 Hz) on the service under the bench load: flame graphs, raw stacks and top-N
# tables in bench/results/ (PROFILE_SECONDS, PROFILE_TOP). Needs ptrace rights (root here).
profile: $(DEV_STAMP)
	$(BIN)/python -m bench.profile

# A longer fuzz run than the one inside `make test`; FUZZ_SEED picks another corner.
fuzz: $(DEV_STAMP)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-150} $(BIN)/python -m pytest -q -s tests/test_fuzz.py

# 60 s of mixed traffic, then a consistency check made through the API (SOAK_SECONDS, SOAK_CLIENTS).
soak: $(DEV_STAMP)
	$(BIN)/python -m bench.soak

# SIGKILL the service (then the service and its embedded database) under mixed traffic, restart,
# and check through the API that nothing acknowledged was lost (CRASH_SECONDS, CRASH_CLIENTS).
crash: $(DEV_STAMP)
	$(BIN)/python -m bench.crash

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
