# tailgate — make targets. Everything needs only Go (and bash); `make test-cluster`
# and `make ci` also build a local Kubernetes control plane (see hack/controlplane).

GO      ?= go
GINKGO  := $(GO) tool ginkgo
# The production preset runs the guide's 600 s; the quick gate shortens every stage.
# 70 s at 15 req/s gives the 1,000 requests a P99 needs (see "The SLA file" in README.md).
# A suite whose SLA needs more samples at its rate (baseline: P95 at 1 req/s) runs the
# shortest duration its SLA can judge instead, and says so.
GATE_DURATION ?= 70s
# Unit and integration packages: everything but the four gate suites, which run a
# whole scenario (make gate, make gate-all).
UNIT_PKGS = $$($(GO) list ./... | grep -vE '/suites/(production|baseline|saturation|sweep)$$')

.PHONY: all build gate gate-all test vet test-cluster controlplane-up controlplane-down \
        gate-cluster bench calibrate study fuzz image ci clean lint-length

all: build test

build: ## the tailgate CLI in bin/
	$(GO) build -o bin/tailgate ./cmd/tailgate

gate: ## the production gate against the embedded simulated vLLM (about a minute); exit 0 pass, 1 fail, 3 inconclusive
	TAILGATE_DURATION=$${TAILGATE_DURATION:-$(GATE_DURATION)} hack/gate-suites.sh production

gate-all: ## all four gate suites, shortened, against the embedded simulated vLLM; every suite runs even when one fails
	TAILGATE_DURATION=$${TAILGATE_DURATION:-$(GATE_DURATION)} hack/gate-suites.sh production baseline saturation sweep

vet: ## go vet, with and without the Rust tokenizer backend's build tag
	$(GO) vet ./...
	CGO_ENABLED=1 $(GO) vet -tags hftokenizers ./framework/tokenizer/...

test: vet ## every unit and integration test (cluster tests skip without TAILGATE_TEST_KUBECONFIG, fail under CI=true)
	$(GO) test -count=1 -timeout 20m $(UNIT_PKGS)

lint-length: ## the non-test functions over 80 lines: at most 8, each saying why in a "long:" line of its doc comment (also a spec in hack/longfuncs)
	$(GO) run ./hack/longfuncs .

controlplane-up: ## build (once, cached) and start kube-apiserver + etcd + kwok on loopback
	@hack/controlplane/up.sh

controlplane-down:
	hack/controlplane/down.sh

test-cluster: ## cluster tests and the kwok gate against a local control plane
	TAILGATE_TEST_KUBECONFIG=$$(hack/controlplane/up.sh) && export TAILGATE_TEST_KUBECONFIG && \
	  $(GO) test -count=1 ./framework/cluster/... && hack/controlplane/gate.sh

calibrate: ## the simulated vLLM beside the real H100 run, stage by stage
	$(GO) run ./cmd/tailgate calibrate --report framework/calibration/testdata/vllm-v0.11-llama3-8b-h100

STUDY_REPS ?= 500
study: ## how often each gate method fails an unchanged simulated server and catches injected regressions (virtual time; about 20 min on 2 cores, STUDY_REPS=100 for 4)
	$(GO) run ./cmd/tailgate study --reps $(STUDY_REPS)

bench: ## the load generator against the simulated vLLM and vegeta (three repetitions of about 7 minutes), then hot-path Go benchmarks
	$(GO) run ./cmd/tailgate bench
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./framework/loadgen/ ./framework/report/ ./framework/tokenizer/
	$(GO) test -run '^$$' -bench Capacity -benchtime 1x ./fixtures/mockvllm/

fuzz: ## a minute each of fuzzing the tokenizer's encoder, the load engine's HTTP response parser and its connection pool
	$(GO) test -run '^$$' -fuzz FuzzEncode -fuzztime 60s -fuzzminimizetime 100x -parallel 1 ./framework/tokenizer/
	$(GO) test -run '^$$' -fuzz FuzzWireResponse -fuzztime 60s -fuzzminimizetime 100x -parallel 1 ./framework/loadgen/
	$(GO) test -run '^$$' -fuzz FuzzWirePool -fuzztime 60s -fuzzminimizetime 100x -parallel 1 ./framework/loadgen/

image: ## the container image (needs a Docker engine)
	docker build -t ghcr.io/tailgate-dev/tailgate:dev .

ci: ## what .ci/run runs
	bash .ci/run

clean:
	rm -rf bin reports suites/*/tailgate-report
