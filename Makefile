# galley's developer entry points. `make help` lists them.
#
# Python test tools live in a project-local virtualenv (.venv, git-ignored)
# that is created on first use and refreshed when a requirements file changes.
# Go tests find its interpreter through GALLEY_PYTHON.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO          ?= go
PYTHON3     ?= python3
VENV        := $(CURDIR)/.venv
VPY         := $(VENV)/bin/python
BIN         := $(CURDIR)/bin
GALLEY      := $(BIN)/galley
REQ_TEST    := testdata/python/requirements-test.txt
REQ_BENCH   := testdata/python/requirements-bench.txt
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
TEST_TIMEOUT ?= 25m
SERVE_ADDR  ?= 127.0.0.1:8780
LAB_PORT    ?= 8888

export GALLEY_PYTHON := $(VPY)
export CGO_ENABLED ?= 0

.PHONY: help
help: ## Show this list of targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build bin/galley.
	$(GO) build -o $(GALLEY) ./cmd/galley

.PHONY: run
run: build venv ## Start galley serve and JupyterLab with the Go kernel on notebooks/ (Ctrl-C stops both).
	@trap 'kill $$(jobs -p) 2>/dev/null; wait' INT TERM EXIT; \
	started=(); log=$$(mktemp -t galley-lab-XXXX.log); \
	if $(GALLEY) help kernel >/dev/null 2>&1; then \
		$(GALLEY) kernel install --prefix $(VENV) --name galley >/dev/null; \
		started+=("Go kernel 'galley' installed into $(VENV)"); \
	else echo "note: this build has no Go kernel yet; JupyterLab starts without it"; fi; \
	if $(GALLEY) help serve >/dev/null 2>&1; then \
		$(GALLEY) serve --addr $(SERVE_ADDR) & \
		serving=1; \
	else echo "note: this build has no 'galley serve' yet"; fi; \
	token=$$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n'); \
	browser=--no-browser; [ -n "$${DISPLAY:-}" ] && browser=; \
	root=; [ "$$(id -u)" = 0 ] && root=--allow-root; \
	$(VENV)/bin/jupyter lab $$browser $$root --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) \
		--ServerApp.port_retries=0 --ServerApp.root_dir=$(CURDIR)/notebooks --IdentityProvider.token=$$token >$$log 2>&1 & \
	lab=$$!; \
	for i in $$(seq 1 240); do \
		curl -fs "http://127.0.0.1:$(LAB_PORT)/api/status?token=$$token" >/dev/null 2>&1 && break; \
		if ! kill -0 $$lab 2>/dev/null; then echo "JupyterLab did not start:"; tail -20 $$log; exit 1; fi; \
		sleep 0.5; \
	done; \
	started+=("JupyterLab:    http://127.0.0.1:$(LAB_PORT)/lab?token=$$token  (log: $$log)"); \
	if [ -n "$${serving:-}" ]; then \
		for i in $$(seq 1 60); do curl -fs "http://$(SERVE_ADDR)/api/health" >/dev/null 2>&1 && break; sleep 0.5; done; \
		gtoken=$$($(GALLEY) token show 2>/dev/null || true); \
		started+=("galley serve:  http://$(SERVE_ADDR)/ui/runs?token=$$gtoken  (pages; REST API at /api/openapi.json; CLI: export GALLEY_SERVER=http://$(SERVE_ADDR))"); \
	fi; \
	echo; printf '  %s\n' "$${started[@]}"; echo; echo "Ctrl-C stops everything."; \
	wait

.PHONY: test
test: venv browser postgres s3server ## Run every test: Go unit tests and the tests that drive real Jupyter clients.
	$(GO) vet ./...
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

.PHONY: ui-screenshots
ui-screenshots: browser ## Drive the web pages in Chromium and save their screenshots in docs/ui.
	GALLEY_UI_SCREENSHOTS=$(CURDIR)/docs/ui $(GO) test -count=1 -run 'TestBrowser$$' ./cmd/galley

.PHONY: bench
bench: venv-bench ## Run each benchmark beside its Python peer and write docs/benchmarks.md.
	$(VPY) testdata/bench/run.py --repo $(CURDIR) --out docs/benchmarks.md

.PHONY: lint
lint: ## gofmt check, go vet, staticcheck, no outputs stored in notebooks, and generated files up to date.
	@out=$$(gofmt -l $$(git ls-files '*.go' ':!:testdata/cells/*')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) $$($(GO) list ./... | grep -v /stdsymbols$$)
	@# The generated std symbol tables bind deprecated APIs on purpose: cells may call them.
	$(GO) run $(STATICCHECK) -checks inherit,-SA1019 ./engine/stdsymbols
	@# Tracked notebooks are documents and code: outputs saved by autosave fail here.
	$(GO) test -count=1 -run 'TestNoStoredOutputs' ./kernel/notebooktest
	@# Generated files are fresh when regenerating changes nothing, whatever
	@# else the work tree holds.
	@before=$$({ git diff; git status --porcelain --untracked-files=all; } | sha256sum); \
	$(GO) generate ./...; \
	after=$$({ git diff; git status --porcelain --untracked-files=all; } | sha256sum); \
	if [ "$$before" != "$$after" ]; then git status --short; echo "generated files are stale: commit the output of 'go generate ./...'"; exit 1; fi

.PHONY: install
install: ## Install galley into GOBIN and its kernelspec for the current user.
	$(GO) install ./cmd/galley
	"$$($(GO) env GOBIN || true)"/galley kernel install --user 2>/dev/null || "$$($(GO) env GOPATH)"/bin/galley kernel install --user

.PHONY: clean
clean: ## Remove build outputs (keeps .venv).
	rm -rf $(BIN)

# The virtualenv is rebuilt when its requirements change. A stamp file records
# which requirements were installed.
.PHONY: venv venv-bench
venv: $(VENV)/.stamp-test
venv-bench: $(VENV)/.stamp-test $(VENV)/.stamp-bench

$(VENV)/bin/python:
	$(PYTHON3) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip

$(VENV)/.stamp-test: $(REQ_TEST) | $(VENV)/bin/python
	$(VPY) -m pip install -q -r $(REQ_TEST)
	touch $@

$(VENV)/.stamp-bench: $(REQ_BENCH) | $(VENV)/bin/python
	$(VPY) -m pip install -q -r $(REQ_BENCH)
	touch $@

# Browser tests drive JupyterLab and the server's web UI in Debian's Chromium.
# It is installed when missing and we may install packages (root); otherwise a
# missing browser is reported by the tests themselves (a failure when CI=true).
.PHONY: browser
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing chromium from Debian's packages"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "chromium is not installed: run 'sudo apt-get install chromium' for the browser tests"; \
		fi; \
	fi

# Object-storage tests start versitygw, an S3-compatible server (Apache-2.0),
# in a temporary directory (see server/objectstore/s3test). It is built from
# the Go module proxy at the version pinned in testdata/s3server/go.mod, its
# dependencies checked against that module's go.sum, into bin/versitygw; the
# tests build it themselves when it is missing (a failure when CI=true if
# that fails).
.PHONY: s3server
s3server: $(BIN)/versitygw ## Build the S3-compatible server the object-storage tests start.

$(BIN)/versitygw: testdata/s3server/go.mod testdata/s3server/go.sum
	@echo "building versitygw (S3-compatible test server) from testdata/s3server"
	cd testdata/s3server && GOFLAGS=-mod=readonly $(GO) build -o $@ github.com/versity/versitygw/cmd/versitygw

# Store tests start Debian's PostgreSQL in a temporary directory (see
# server/postgres/pgtest). It is installed when missing and we may install
# packages (root); otherwise the tests report it (a failure when CI=true).
.PHONY: postgres
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing postgresql from Debian's packages"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
		else \
			echo "postgresql is not installed: run 'sudo apt-get install postgresql' for the postgres store tests"; \
		fi; \
	fi
