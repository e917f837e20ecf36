.PHONY: run test test-e2e bench build cross dist

# The version linked into the binaries (internal/version): the git tag or
# commit, or VERSION=v1.2.3 on the command line.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -X github.com/taskoverflow-lab/taskoverflow/internal/version.version=$(VERSION)
COMMANDS := taskoverflow loadtest lab deploy
# The release targets; make cross builds and vets each.
TARGETS := linux/amd64 linux/arm64 darwin/arm64 darwin/amd64 windows/amd64

# The API on :6400 with its own Postgres and Redis, data kept in .data/. The server's log goes to
# the terminal and to api.log (LOG_LEVEL=debug make run adds every SQL statement and Redis command).
# tee -i ignores Ctrl-C, so the server's last lines still reach api.log while it shuts down; fd 3
# carries the server's exit status past the pipe.
DATA ?= .data
API_LOG ?= api.log
run:
	go build -o bin/taskoverflow ./cmd/taskoverflow
	@exec 4>&1; \
	status=$$( { { ./bin/taskoverflow serve -backing-dir $(DATA) 2>&1 3>&-; echo $$? >&3; } | tee -i $(API_LOG) >&4; } 3>&1 ); \
	exit $$status

test: cross
	go vet ./...
	go test -race ./...
	$(MAKE) test-e2e

# The end-to-end runs that judge machine-dependent figures, in their own step without -race:
# the lab's quick cases through package lab and the lab command, and 10,000 connections.
# They fail, never skip, and run one package at a time (-p 1) so that they do not compete; the lab
# command's verifications take about 8 minutes (11 on a slower machine), near go test's default
# timeout of 10.
E2E_PKGS = ./lab ./cmd/lab ./loadtests/conncheck
test-e2e:
	go vet -tags e2e $(E2E_PKGS)
	go test -tags e2e -count=1 -p 1 -timeout 30m -run 'TestLabQuick|TestLabCalibration|TestFixedAsBrokenFails|TestRunQuickCase|TestVerifyQuickCases|TestVerifyPlanExercises|TestDocCommandsQuick|TestMakeCheck|TestTenThousandConnections' $(E2E_PKGS)

# bin/taskoverflow, bin/loadtest, bin/lab, bin/deploy, each printing $(VERSION) for `version`.
build:
	@mkdir -p bin
	@for c in $(COMMANDS); do \
		echo "go build -o bin/$$c ./cmd/$$c"; \
		go build -ldflags "$(LDFLAGS)" -o bin/$$c ./cmd/$$c || exit 1; \
	done

# go build and go vet (tests included) for every release target, so that a
# Linux-only call cannot land: it belongs in a _linux.go file with a fallback.
cross:
	@for t in $(TARGETS); do \
		echo "cross: $$t"; \
		GOOS=$${t%/*} GOARCH=$${t#*/} go build ./... || exit 1; \
		GOOS=$${t%/*} GOARCH=$${t#*/} go vet ./... || exit 1; \
	done

# Release archives for the five targets in dist/ (tar.gz; zip for Windows) with SHA256SUMS.
dist:
	go run ./scripts/dist -version $(VERSION) -out dist

# Benchmarks, never tests: go test -bench, then the API against pgbench side by side.
bench:
	go test -run '^$$' -bench . -benchmem ./...
	bash bench/api.sh

# Deploy
.PHONY: up down tf-validate deploy

# The API, Postgres 16 and Redis 7 in Docker, on 127.0.0.1 only; returns once all are healthy.
up:
	docker compose up --build --wait
	@echo "API: http://127.0.0.1:$${APP_PORT:-6400}/api/v1/health"

# Stops the stack; the database volume stays (docker compose down -v drops it).
down:
	docker compose down

# terraform init -backend=false && terraform validate on terraform/, bounded; where the
# Terraform registry does not answer it says that it did not run, and exits 0.
tf-validate:
	go run ./cmd/deploy validate -dir terraform -timeout 5m

# Deploys to AWS (see README, Deploy to AWS); DEPLOY_FLAGS="-y" skips the question.
deploy:
	go run ./cmd/deploy up -dir terraform $(DEPLOY_FLAGS)

# Load testing
.PHONY: loadtest

# make loadtest ENDPOINT=http://127.0.0.1:6400 SCENARIO=planners-and-studiers LOADTEST_FLAGS="--variant practical"
# Without ENDPOINT it reads the endpoint make deploy wrote to .endpoint. It runs the built binary, not
# go run, and prints the tool's own exit status (make itself exits 2 on any failure): CI should call
# ./bin/loadtest directly to act on 99 (thresholds crossed), 3 (no request reached) or 2 (usage).
SCENARIO ?= planners-and-studiers
LOADTEST_BIN ?= bin/loadtest
loadtest:
	@endpoint="$(ENDPOINT)"; \
	if [ -z "$$endpoint" ] && [ -f .endpoint ]; then endpoint=$$(cat .endpoint); fi; \
	if [ -z "$$endpoint" ]; then \
		echo "make loadtest: no endpoint: set ENDPOINT=http://HOST:PORT, or run make deploy (it writes .endpoint)" >&2; \
		exit 2; \
	fi; \
	go build -o $(LOADTEST_BIN) ./cmd/loadtest || exit 1; \
	status=0; $(LOADTEST_BIN) run $(SCENARIO) --endpoint "$$endpoint" $(LOADTEST_FLAGS) || status=$$?; \
	case $$status in \
	0) exit 0 ;; \
	99) why="thresholds crossed" ;; \
	3) why="no request reached the server" ;; \
	2) why="usage error" ;; \
	*) why="failure" ;; \
	esac; \
	echo "loadtest exited $$status ($$why)" >&2; \
	exit $$status

# Lab
.PHONY: lab lab-quick check

# Every bottleneck case, broken then fixed, judged; results in lab-results/<time>/.
lab:
	go run ./cmd/lab run --all

# The quick cases at CI sizes, through the same command (make test-e2e runs them too).
lab-quick:
	go run ./cmd/lab run --all --quick

# The self-check of a student's fixes: lab verify for every exercise that has a settings file,
# CASE.env in the repository's root or in settings/ (lab init CASE writes one to start from). Each
# verification prints its rules; the last line counts the exercises, "N passed, N failed", and the
# target fails unless every one passed. CHECK_FLAGS="" runs the full sizes instead of the quick ones;
# CHECK_FLAGS="--quick --broken-runs DIR" keeps the broken runs in DIR for the next check on this
# machine (a teacher checking a class, docs/teacher.md).
# A plan exercise (exercises/NAME/main.go) is verified once its plan differs from the handout's.
CHECK_FLAGS ?= --quick
check:
	@mkdir -p bin
	@go build -o bin/lab ./cmd/lab && go build -o bin/taskoverflow ./cmd/taskoverflow
	@passed=0; failed=0; \
	for c in $$(./bin/lab list --names); do \
		for f in $$c.env settings/$$c.env; do \
			[ -f "$$f" ] || continue; \
			echo "== lab verify $$c --settings $$f $(CHECK_FLAGS)"; \
			if ./bin/lab verify $$c --settings "$$f" $(CHECK_FLAGS) --binary bin/taskoverflow; then \
				passed=$$((passed+1)); else failed=$$((failed+1)); fi; \
		done; \
	done; \
	for p in exercises/*/main.go; do \
		n=$$(basename $$(dirname $$p)); \
		[ -f lab/plans/$$n/handout/main.go ] || continue; \
		cmp -s $$p lab/plans/$$n/handout/main.go && continue; \
		echo "== lab verify $$n --plan exercises/$$n $(CHECK_FLAGS)"; \
		if ./bin/lab verify $$n --plan exercises/$$n $(CHECK_FLAGS) --binary bin/taskoverflow; then \
			passed=$$((passed+1)); else failed=$$((failed+1)); fi; \
	done; \
	if [ $$((passed+failed)) -eq 0 ]; then \
		echo "make check: no settings file: write one with ./bin/lab init CASE (cases: $$(./bin/lab list --names | tr '\n' ' '))" >&2; \
		echo "0 passed, 0 failed"; exit 1; \
	fi; \
	echo "exercises verified:"; \
	echo "$$passed passed, $$failed failed"; \
	[ $$failed -eq 0 ]
