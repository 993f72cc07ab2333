# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8080
CONFIG ?= configs

.PHONY: install run test lint typecheck pytest sdk system-deps bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

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
	$(BIN)/pytest
	cd sdk-js && npm test --silent

bench: install system-deps
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache sdk-js/node_modules sdk-js/dist
