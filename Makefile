# SharkAuth Serverless. `make help` lists the targets.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ADDR       ?= 127.0.0.1:8080
DATA       ?= ./.data
PUBLIC_URL ?=
VENV       := .venv
PY         := $(VENV)/bin/python
PYTHON     ?= python3
# A count, not a duration: a duration puts a deadline on the fuzzer that a
# loaded machine can miss while the worker still runs the seed corpus
# ("context deadline exceeded", no finding).
FUZZTIME   ?= 20000x
# One fuzz worker per target: on 2 loaded cores more workers miss the
# fuzzer's own liveness deadline and fail as "hung" without a finding.
FUZZPAR    ?= 1
export GOFLAGS ?= -mod=readonly

include infra/sam.mk

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: ## Build and start the local stack (ADDR, DATA, PUBLIC_URL may be set)
	@echo "building shark (the first build takes about a minute)"
	go build -o bin/shark ./cmd/shark
	ADDR='$(ADDR)' DATA='$(DATA)' PUBLIC_URL='$(PUBLIC_URL)' ./bin/shark serve

# AWS's Lambda Runtime Interface Emulator, pinned; the tests of the real
# bootstraps (functions/rie_test.go) find it through SHARK_RIE.
RIE_MODULE  := github.com/aws/aws-lambda-runtime-interface-emulator
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE         := $(CURDIR)/bin/aws-lambda-rie
export SHARK_RIE ?= $(RIE)

.PHONY: deps
deps: $(VENV)/.installed chromium interop-deps mcp-deps ## Install what the tests need (Python virtualenv, Go modules, aws-lambda-rie, chromium, tests/interop and tests/mcp node modules)
	go mod download
	test -x $(RIE) && go version -m $(RIE) | grep -F '$(RIE_MODULE)	$(RIE_VERSION)' >/dev/null || \
		GOBIN=$(CURDIR)/bin go install $(RIE_MODULE)/cmd/aws-lambda-rie@$(RIE_VERSION)

# The dashboard's browser test (shared/dashboard) drives headless chromium;
# it fails, never skips, when chromium cannot start.
.PHONY: chromium
chromium: ## Install Debian's chromium (apt-get) for the browser test, if missing
	@if command -v chromium >/dev/null; then exit 0; fi; \
	command -v apt-get >/dev/null || { echo "chromium is required by the dashboard's browser test and apt-get is not available: install chromium and put it on PATH" >&2; exit 1; }; \
	sudo=; if [ "$$(id -u)" != 0 ]; then sudo=sudo; fi; \
	echo "installing chromium (apt-get) for the dashboard's browser test"; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium >/dev/null || \
		{ echo "could not install chromium with apt-get (run as root, or with sudo, on Debian/Ubuntu); the dashboard's browser test needs it" >&2; exit 1; }; \
	command -v chromium >/dev/null || { echo "apt-get installed chromium but it is not on PATH" >&2; exit 1; }

# --- tests/interop (Node: panva jose for the JWKS interoperability test) ---
.PHONY: interop-deps
interop-deps: tests/interop/node_modules/.installed
tests/interop/node_modules/.installed: tests/interop/package.json tests/interop/package-lock.json
	@command -v npm >/dev/null || { echo "node and npm are required (tests/interop)" >&2; exit 1; }
	cd tests/interop && npm ci --prefer-offline --no-audit --no-fund
	touch $@
# --- end tests/interop ---

# --- tests/mcp (Node: the official MCP TypeScript SDK's client, tests/e2e/test_mcp_clients.py) ---
.PHONY: mcp-deps
mcp-deps: tests/mcp/node_modules/.installed
tests/mcp/node_modules/.installed: tests/mcp/package.json tests/mcp/package-lock.json
	@command -v npm >/dev/null || { echo "node and npm are required (tests/mcp)" >&2; exit 1; }
	cd tests/mcp && npm ci --prefer-offline --no-audit --no-fund
	touch $@
# --- end tests/mcp ---

$(VENV)/.installed: tests/requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required" >&2; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $@

.PHONY: test
test: deps ## Install what is needed and run every test
	go vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.venv/*'))" || { echo "gofmt needed on:"; gofmt -l .; exit 1; }
	@mkdir -p bin
	@# One run of every Go test; the log (bin/go-test.log) also gives the
	@# conformance tiers per engine, so no suite runs twice.
	@echo 'infra/moto.sh go test -race -shuffle=on -count=1 ./... (log: bin/go-test.log)'
	@infra/moto.sh go test -race -shuffle=on -count=1 -v ./... > bin/go-test.log 2>&1 && rc=0 || rc=$$?; \
		grep -E '^(ok|FAIL|panic|---? FAIL|    --- FAIL)' bin/go-test.log || true; \
		if [ $$rc -ne 0 ]; then grep -B2 -A20 -E '^\s*--- FAIL' bin/go-test.log | head -200; echo "go test failed (full log: bin/go-test.log)"; exit $$rc; fi
	@echo "== conformance tiers per engine =="
	@awk '/^=== RUN/ { next } \
		/^    --- (PASS|FAIL): TestConformance/ { split($$3, p, "/"); tiers = tiers sprintf("  %-5s %-22s %s\n", $$2, p[2], p[1]) } \
		/^(ok|FAIL)[ \t]+github/ { if (tiers != "") { n = split($$2, q, "/"); printf "%s (%s)\n%s", q[n], $$1, tiers; tiers = "" } }' bin/go-test.log
	@# --- sdk/go (its own module, go-jose + stdlib only; the root `go test ./...` does not descend into it) ---
	cd sdk/go && go vet ./... && go test -race -shuffle=on -count=1 ./...
	@# --- end sdk/go ---
	$(MAKE) --no-print-directory template-check
	$(MAKE) --no-print-directory fuzz-smoke
	$(MAKE) --no-print-directory e2e

.PHONY: template-check
template-check: $(VENV)/.installed ## Validate template.yaml (cfn-lint, sam validate --lint, cfn-lint on the SAM-expanded template)
	$(VENV)/bin/cfn-lint --append-rules cfn_lint_serverless.rules -- template.yaml
	AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
		SAM_CLI_TELEMETRY=0 $(VENV)/bin/sam validate --lint --template-file template.yaml
	@mkdir -p bin
	$(PY) infra/sam_expand.py template.yaml > bin/template.expanded.json
	$(VENV)/bin/cfn-lint -- bin/template.expanded.json

.PHONY: fuzz-smoke
fuzz-smoke: ## A short run of every fuzz target (FUZZTIME executions each)
	@mkdir -p bin
	@for pkg in $$(go list ./...); do \
		for f in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz $$pkg $$f"; \
			go test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) -parallel $(FUZZPAR) $$pkg >$(CURDIR)/bin/fuzz.log 2>&1 || { cat $(CURDIR)/bin/fuzz.log; exit 1; }; \
		done; \
	done
	@# --- sdk/go fuzz targets (its own module) ---
	@cd sdk/go && for pkg in $$(go list ./...); do \
		for f in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz $$pkg $$f"; \
			go test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) -parallel $(FUZZPAR) $$pkg >$(CURDIR)/bin/fuzz.log 2>&1 || { cat $(CURDIR)/bin/fuzz.log; exit 1; }; \
		done; \
	done
	@# --- end sdk/go ---

.PHONY: e2e
e2e: $(VENV)/.installed interop-deps ## The Python end-to-end tests against local stacks (embedded, and on moto)
	go build -o bin/shark ./cmd/shark
	infra/moto.sh $(PY) -m pytest -v tests/e2e
	@# Once more through the real bootstraps, each under aws-lambda-rie (shark serve --lambda).
	SHARK_E2E_LAMBDA=1 infra/moto.sh $(PY) -m pytest -q tests/e2e

.PHONY: bench
bench: deps ## Run the benchmarks (record results in BENCHMARKS.md); on moto: the bootstraps' cold starts need it and aws-lambda-rie
	@# -p 1: one package's benchmarks at a time. In parallel (go test's default
	@# on 2 cores) each package's figures carry another's load: the register
	@# bootstrap's cold start read 48-60 ms beside it and 33 ms alone.
	infra/moto.sh go test -p 1 -run '^$$' -bench . -benchmem -count 3 ./...
	@echo "== table and KMS calls per token, each key mode (counting wrappers) =="
	@infra/moto.sh go test -count 1 -run 'TestCallBudget$$' -v ./shared/token/ | grep -E 'table calls|^(ok|FAIL|---)'
	@echo "== revocation feed: DynamoDB read units per poll (from item sizes); the SDK's set for 100,000 revocations =="
	@go test -count 1 -run 'TestFeedReadUnits$$' -v ./shared/store/ | grep -E 'read units|item bytes|^(ok|FAIL|---)'
	@echo "== DynamoDB write units and cost per DPoP token (from the items the store writes) =="
	@go test -count 1 -run 'TestDPoPTokenWriteUnits$$' -v ./shared/token/ | grep -E 'units|per million|^(ok|FAIL|---)'
	cd sdk/go && go test -run '^$$' -bench 'BenchmarkFeed' -benchmem ./resource/
	go build -o bin/shark ./cmd/shark
	go test -c -o bin/ceiling.test ./cmd/shark/
	infra/loadbench.sh
	LOADBENCH_STORE=dynamodb LOADBENCH_SECONDS=5 LOADBENCH_SOAK=0 LOADBENCH_PAIRS=1 infra/moto.sh infra/loadbench.sh

.PHONY: lint
lint: $(VENV)/.installed ## go vet, gofmt and template validation
	go vet ./...
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	$(MAKE) --no-print-directory template-check

.PHONY: build
build: $(VENV)/.installed ## Build the Lambda bootstraps with sam build
	SAM_CLI_TELEMETRY=0 $(VENV)/bin/sam build --build-in-source --template-file template.yaml

.PHONY: clean
clean: ## Remove build outputs (keeps .venv and the data dir)
	rm -rf bin .aws-sam
