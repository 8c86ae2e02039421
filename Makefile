# Spyglass: the entry points for people, pre-commit and CI. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV = $(shell scripts/ensure-uv.sh)
RUN = $(UV) run --frozen --no-sync
PYTEST_ARGS ?=

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: install
install: ## Install uv if missing and sync the workspace (one lockfile, --locked; bytecode compiled once, as PYTHONDONTWRITEBYTECODE may forbid writing it at import)
	@$(UV) sync --locked --all-packages --quiet --compile-bytecode

.PHONY: run
run: install ## Run the whole platform: embedded PostgreSQL, NATS, Redis and every service
	@$(RUN) spyglass run

.PHONY: ui
ui: install ## Build the web UI into services/gateway/ui/dist (npm ci and vite, only when stale)
	@$(RUN) spyglass ui build

.PHONY: ui-check
ui-check: install ## Type-check (tsc --noEmit) and lint (ESLint) the web UI (npm ci first when needed)
	@$(RUN) spyglass ui check

.PHONY: test
test: install ## Run the UI's Vitest tests, then the whole suite against real servers (PYTEST_ARGS=...)
	@$(RUN) spyglass ui test
	@$(RUN) spyglass ui build
	@scripts/ensure-chromium.sh
	@$(RUN) pytest $(PYTEST_ARGS)

.PHONY: bench
bench: install ## Run the benchmarks (the whole platform on this machine; BENCH_ARGS="--spans 400000")
	@$(RUN) python -m tests.bench.decode
	@$(RUN) python -m tests.bench.ingest $(BENCH_ARGS)
	@$(RUN) python -m tests.bench.query $(QUERY_BENCH_ARGS)
	@scripts/ensure-chromium.sh
	@$(RUN) python -m tests.bench.ui $(UI_BENCH_ARGS)
	@$(RUN) python -m tests.bench.retention $(RETENTION_BENCH_ARGS)
	@$(RUN) python -m tests.bench.datasets $(DATASETS_BENCH_ARGS)
	@$(RUN) python -m tests.bench.experiments $(EXPERIMENTS_BENCH_ARGS)
	@$(RUN) python -m tests.bench.builtin_evaluators
	@$(RUN) python -m tests.bench.sandbox
	@$(RUN) python -m tests.bench.evaluations $(EVALUATIONS_BENCH_ARGS)
	@$(RUN) python -m tests.bench.gateway_auth $(GATEWAY_AUTH_BENCH_ARGS)

.PHONY: lint
lint: install ## Lint and check formatting with ruff
	@$(RUN) ruff check .
	@$(RUN) ruff format --check .

.PHONY: format
format: install ## Format the code and fix what ruff can
	@$(RUN) ruff format .
	@$(RUN) ruff check --fix .

.PHONY: typecheck
typecheck: install ## Type-check with mypy (strict on libs/)
	@$(RUN) mypy

.PHONY: imports
imports: install ## Check the layering: libraries never import services, services never each other
	@$(RUN) lint-imports --no-cache

.PHONY: proto
proto: install ## Regenerate the Python for proto/ into libs/proto
	@PATH="$(CURDIR)/.venv/bin:$$PATH" scripts/gen-proto.sh

.PHONY: proto-check
proto-check: install ## Fail if the checked-in generated protobuf differs from proto/
	@PATH="$(CURDIR)/.venv/bin:$$PATH" scripts/check-proto.sh

.PHONY: contracts
contracts: install ## Export the query API's GraphQL schema and OpenAPI document to services/query-api/
	@$(RUN) python -m spyglass_query_api.contracts services/query-api

.PHONY: contracts-check
contracts-check: install ## Fail if services/query-api/schema.graphql or openapi.json differ from the code
	@$(RUN) python -m spyglass_query_api.contracts --check services/query-api

.PHONY: docs
docs: install ## Rewrite the README's configuration table from the settings classes
	@$(RUN) python -m spyglass_launcher.reference README.md

.PHONY: check
check: lint typecheck imports ui-check proto-check contracts-check ## Every static check CI runs

.PHONY: ci
ci: check test ## What CI runs: static checks, then the whole test suite

.PHONY: clean
clean: ## Remove caches, the virtual environment and the UI build (keeps SPYGLASS_HOME data)
	rm -rf .venv .tools .mypy_cache .ruff_cache .pytest_cache services/gateway/ui/node_modules services/gateway/ui/dist
