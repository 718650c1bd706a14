# minik8s: `make run` builds and starts every component; `make test` runs
# the unit, integration and end-to-end suites against real Postgres, Redis
# and Docker (hack/services.sh starts them).

export CGO_ENABLED := 0
GO ?= go
BIN := minik8s

export MINIK8S_TEST_POSTGRES ?= postgres://postgres:postgres@127.0.0.1:5432/minik8s_test?sslmode=disable
export MINIK8S_TEST_REDIS ?= redis://127.0.0.1:6379/0
export MINIK8S_TEST_DOCKER ?= 1

.PHONY: build run test unit services vet bench chaos clean clientgo operator helm dashboard e2e ha-up ha-down

build:
	$(GO) build -o $(BIN) .

run: build
	./$(BIN) all

services:
	bash hack/services.sh

vet:
	$(GO) vet ./...

# Tests run with the informers' cache mutation detector on (a panic when
# a component changes a cached object in place; informer/mutation.go).
test unit: export MINIK8S_CACHE_MUTATION_DETECTOR = true

test: services build
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...
	$(MAKE) clientgo
	$(MAKE) operator
	$(MAKE) helm
	$(MAKE) dashboard

# The quick run, needing only Go and kubectl: go test -short without the
# service variables, so tests that need Postgres, Redis or Docker skip, and
# so do the slow ones (e2e, benchmarks, long kubectl sessions). make test
# runs all of them and fails when a service is missing.
unit:
	env -u MINIK8S_TEST_POSTGRES -u MINIK8S_TEST_REDIS -u MINIK8S_TEST_DOCKER $(GO) test -short ./...

# client-go compatibility: a module of its own, so that the main binary
# does not depend on k8s.io/*.
clientgo: build
	cd e2e/clientgo && MINIK8S_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 10m ./...

# A controller-runtime operator (CRD, Deployment, /status, Lease) against
# minik8s all: a module of its own, as clientgo.
operator: build
	cd e2e/operator && MINIK8S_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 10m ./...

# Helm 4's Go SDK (install --wait, upgrade, rollback, history, status,
# get manifest, uninstall --wait, install --dry-run=server) against minik8s
# all: a module of its own, as clientgo.
helm: build
	cd e2e/helm && MINIK8S_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 10m ./...

# The web dashboard in a real headless Chromium (Debian's chromium package;
# hack/services.sh installs it): a module of its own, for chromedp.
# Screenshots go to $$MINIK8S_SCREENSHOTS (default: a temp dir).
dashboard: build
	cd e2e/dashboard && MINIK8S_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 10m ./...

# The end-to-end suite alone (it also runs in make test): the real kubectl
# against ./minik8s all and against the HA setup.
e2e: services build
	MINIK8S_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 15m ./e2e/...

# The HA setup as separate processes on one Postgres and Redis (hack/ha.sh).
ha-up: services build
	bash hack/ha.sh up

ha-down:
	bash hack/ha.sh down

# One table of every figure beside its target; BENCHFLAGS passes options,
# e.g. make bench BENCHFLAGS='--quick --only api-sqlite' (see --help, --list).
bench: services build
	$(GO) run ./bench/cmd/minik8s-bench --bin ./$(BIN) $(BENCHFLAGS)

# The chaos suite's long cases (make test runs the short ones): kills,
# outages and attacks against real processes, then one table of what they
# measured. CHAOSFLAGS passes go test flags, e.g. CHAOSFLAGS='-run TestRedis'.
chaos: services build
	cd chaos && MINIK8S_CHAOS_LONG=1 MINIK8S_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 30m $(CHAOSFLAGS)

clean:
	rm -rf $(BIN) .minik8s .minik8s-ha
