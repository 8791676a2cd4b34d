# One entry point for every task. `make up` and `make test` are the README's two commands.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
SUDO   := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
APT_PACKAGES := chromium postgresql default-jre-headless

.PHONY: up test venv web system-deps lint typecheck docs format bench clean

$(BIN)/lantern: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/lantern

venv: $(BIN)/lantern

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

web: node_modules/.package-lock.json
	npm run build --silent

## up: set up, build Essex from the bundled open data, publish the map and serve it on 127.0.0.1:$(PORT)
up: venv web
	$(BIN)/lantern up --port $(PORT)

## system-deps: Debian packages the tests need (chromium, postgresql, a Java runtime for Spark)
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## test: install everything the tests need and run the whole suite
test: system-deps venv web
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## lint: ruff (lint and format) over src, tests and bench, then mypy; CI runs it before the tests
lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(MAKE) --no-print-directory typecheck

## typecheck: mypy with the settings in pyproject.toml (strict on lantern.index and lantern.disclosure)
typecheck: venv
	$(BIN)/mypy

## docs: regenerate docs/cli.md from the command tree (tests/test_docs.py fails when it is stale)
docs: venv
	$(BIN)/python -m lantern.cli.reference docs/cli.md

format:
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

## bench: every benchmark, one after another (BENCH=ingest to run one); each prints its ratio to a baseline
BENCH ?= geography ingest index disclosure map linkage portal profile cases
bench: venv web
	@for b in $(BENCH); do echo "== bench/$$b.py"; $(BIN)/python bench/$$b.py || exit 1; done

clean:
	rm -rf build dist .pytest_cache
