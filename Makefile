# actorio — `make test` is the whole CI; `make bench` the benchmarks.

GO      ?= go
# Debian packages the tests need (real peers); installed by `make deps`
# when missing and run as root.
DEBS    := dnsmasq qemu-system-common socat
TIMEOUT ?= 18m

.PHONY: test deps tracked fmt-check vet lint unit sim bench props sim-long

test: deps tracked fmt-check vet lint unit sim

deps:
	@./.ci/deps.sh $(DEBS)

# No compiled program and nothing over 1 MiB is tracked.
tracked:
	@./.ci/no-binaries.sh

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# staticcheck, pinned in go.mod as a tool: dead code, suspicious
# expressions, misused APIs. A deliberate exception carries a
# //lint:ignore with its reason.
lint:
	$(GO) tool staticcheck ./...

unit:
	$(GO) test -race -count=1 -timeout $(TIMEOUT) ./...

# A simulation campaign: a few hundred swarm-fault seeds per scenario, a
# double-run determinism check on a sample, and every canary caught.
sim:
	$(GO) run ./cmd/simrun -seeds 300
	$(GO) run ./cmd/simrun -check-determinism -seed 1000000 -seeds 30
	$(GO) run ./cmd/simrun -check-determinism -seed 2000000 -seeds 10 -scheduler pct
	$(GO) run ./cmd/simrun -canary -canary-campaigns 5 -canary-limit 300

# Benchmarks, each with its baseline measured in the same run, as one
# table (workload, ours, baseline, ratio, target, met?), also written to
# BENCHMARKS.md with the machine and the date. valgrind (the cachegrind
# row) is installed when missing, as the tests' peers are.
bench:
	@./.ci/deps.sh valgrind
	$(GO) run ./internal/benchtable -count 3 -md BENCHMARKS.md

# The property suites, run longer.
props:
	RAPID_CHECKS=2000 $(GO) test -count=1 -timeout 60m ./props/... ./sim/...

# A large simulation campaign.
sim-long:
	$(GO) run ./cmd/simrun -seeds 50000
	$(GO) run ./cmd/simrun -seeds 20000 -scheduler pct
	$(GO) run ./cmd/simrun -check-determinism -seed 5000000 -seeds 2000
	$(GO) run ./cmd/simrun -canary
