.PHONY: run test test-e2e bench

# The API on :6400 with its own Postgres and Redis, data kept in .data/.
run:
	go build -o bin/taskoverflow ./cmd/taskoverflow
	./bin/taskoverflow serve -backing-dir .data

test:
	go vet ./...
	go test -race ./...
	$(MAKE) test-e2e

# The end-to-end runs that judge machine-dependent figures, in their own step without -race:
# the lab's quick cases through package lab and the lab command, and 10,000 connections.
# They fail, never skip, and run one package at a time (-p 1) so that they do not compete.
E2E_PKGS = ./lab ./cmd/lab ./loadtests/conncheck
test-e2e:
	go vet -tags e2e $(E2E_PKGS)
	go test -tags e2e -count=1 -p 1 -run 'TestLabQuick|TestFixedAsBrokenFails|TestRunQuickCase|TestTenThousandConnections' $(E2E_PKGS)

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
# Without ENDPOINT it reads the endpoint make deploy wrote to .endpoint.
SCENARIO ?= planners-and-studiers
loadtest:
	@endpoint="$(ENDPOINT)"; \
	if [ -z "$$endpoint" ] && [ -f .endpoint ]; then endpoint=$$(cat .endpoint); fi; \
	if [ -z "$$endpoint" ]; then \
		echo "make loadtest: no endpoint: set ENDPOINT=http://HOST:PORT, or run make deploy (it writes .endpoint)" >&2; \
		exit 2; \
	fi; \
	go run ./cmd/loadtest run $(SCENARIO) --endpoint "$$endpoint" $(LOADTEST_FLAGS)

# Lab
.PHONY: lab lab-quick

# Every bottleneck case, broken then fixed, judged; results in lab-results/<time>/.
lab:
	go run ./cmd/lab run --all

# The quick cases at CI sizes, through the same command (make test-e2e runs them too).
lab-quick:
	go run ./cmd/lab run --all --quick
