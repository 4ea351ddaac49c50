# nnkit: `make demo` and `make test` work on a fresh Debian machine (they install what is missing).
SWIFT ?= swift
# Release builds (build, demo, bench) link the Swift runtime and Foundation statically: each process
# start (nnrun, and its __import child for a Keras file) then skips most of the dynamic loader's
# symbol lookups, about 6 of 18 ms of CPU (T1: 104 -> 88 ms of CPU for the whole run; AMD EPYC). The
# binaries grow from 16 to 87 MB. `make test` builds and tests the default (dynamic) debug build.
BUILD_FLAGS ?= -c release --static-swift-stdlib
BIN = $(shell $(SWIFT) build $(BUILD_FLAGS) --show-bin-path 2>/dev/null)

.PHONY: deps build test demo bench fuzz clean

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

## Unit, golden, end-to-end and interop tests (the interop stage creates its Python venv).
test: deps
	$(SWIFT) build
	$(SWIFT) test

demo: build
	@bash scripts/demo.sh "$(BIN)"

bench: build
	@bash scripts/bench.sh "$(BIN)"

## libFuzzer targets over the readers (fuzz/README.md), FUZZ_SECONDS each (default 60).
FUZZ_SECONDS ?= 60
fuzz: deps
	for t in FuzzNNF FuzzCSV FuzzKerasConfig FuzzKerasArchive FuzzONNX; do \
	  NNKIT_FUZZ=1 $(SWIFT) build --build-path .build-fuzz -Xswiftc -sanitize=fuzzer,address --product $$t || exit 1; done
	@bash scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf .build .build-fuzz out
