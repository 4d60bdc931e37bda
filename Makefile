# actorio — `make test` is the whole CI; `make bench` the benchmarks.

GO      ?= go
# Debian packages the tests need (real peers); installed by `make deps`
# when missing and run as root.
DEBS    := qemu-system-common socat
TIMEOUT ?= 18m

.PHONY: test deps fmt-check vet unit bench props sim-long

test: deps fmt-check vet unit

deps:
	@./.ci/deps.sh $(DEBS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout $(TIMEOUT) ./...

# Benchmarks, each with its baseline measured in the same run (see the
# x-base metric: our throughput as a fraction of the baseline's).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 ./...

# The property suites, run longer.
props:
	RAPID_CHECKS=2000 $(GO) test -count=1 -timeout 60m ./props/... ./sim/...

# A large simulation campaign.
sim-long:
	$(GO) run ./cmd/simrun -scenario all -seeds 20000 -check-determinism
