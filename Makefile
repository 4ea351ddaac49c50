# nnkit: `make demo` and `make test` work on a fresh Debian machine (they install what is missing).
SWIFT ?= swift
BUILD_FLAGS ?= -c release
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
