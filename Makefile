# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8080
CONFIG ?= configs

.PHONY: install compiled run test lint typecheck pytest sdk system-deps bench clean

install: $(VENV)/.installed compiled

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The hot modules as C extensions (mypyc); plain Python where there is no C compiler.
compiled: $(VENV)/.installed
	$(BIN)/python scripts/compile_hot.py

sdk: install
	scripts/build-sdk.sh

system-deps:
	scripts/system-deps.sh

run: install sdk
	@echo "consent gateway: http://$(HOST):$(PORT)/  (demo page: http://$(HOST):$(PORT)/demo)"
	$(BIN)/gateway serve --config $(CONFIG) --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check gateway tests bench
	$(BIN)/mypy

test: install system-deps sdk lint
	GATEWAY_PURE=1 $(BIN)/pytest -q tests/policy tests/route tests/test_compiled.py  # plain-Python build
	$(BIN)/pytest
	cd sdk-js && npm test --silent

bench: install system-deps
	$(BIN)/python -m bench

clean:
	find gateway -name '*.so' -delete; rm -f *__mypyc.*.so
	rm -rf $(VENV) build data .mypy_cache .ruff_cache .pytest_cache sdk-js/node_modules sdk-js/dist
