# Signoff: every target builds what it needs from the lock files; no interpreter is downloaded.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
VENV_STAMP := .venv/.synced
NODE_STAMP := node_modules/.installed

.PHONY: run test lint package playground bench cards-png clean env node

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV_STAMP): uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

env: $(VENV_STAMP)

# Node tools (Agents Playground, the official Adaptive Cards renderer, the manifest schemas) are
# optional: tests that need them are skipped with the reason where npm is missing.
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: Playground and renderer tests will be skipped"; fi

node:
	@$(MAKE) --no-print-directory $(NODE_STAMP) || echo "node tools could not be installed; their tests will be skipped"

run: $(VENV_STAMP)
	$(UV) run --frozen --no-sync python app.py

test: $(VENV_STAMP) node
	$(UV) run --frozen --no-sync pytest -q $(PYTEST_ARGS)

lint: $(VENV_STAMP)
	$(UV) run --frozen --no-sync ruff check .
	$(UV) run --frozen --no-sync mypy approvals cards storage

package: $(VENV_STAMP)
	$(UV) run --frozen --no-sync python -m manifest.package

playground: node
	TEAMSAPPTESTER_BROWSER=none npx --no-install agentsplayground \
		-e http://127.0.0.1:$${PORT:-3978}/api/messages -c msteams -p 56150 --disable-telemetry

bench: $(VENV_STAMP)
	$(UV) run --frozen --no-sync python -m bench.run

cards-png: $(VENV_STAMP) node
	$(UV) run --frozen --no-sync python -m tools.render_cards docs/cards --scale 1.5

clean:
	rm -rf .venv $(TOOLS) node_modules var build
