# nnkit: `make demo` and `make test` work on a fresh Debian machine (they install what is missing).
SWIFT ?= swift
BUILD_FLAGS ?= -c release
BIN = $(shell $(SWIFT) build $(BUILD_FLAGS) --show-bin-path 2>/dev/null)

.PHONY: deps build test demo bench clean

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

clean:
	rm -rf .build out
