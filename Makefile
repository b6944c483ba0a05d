# mlws front door. `make run` installs what is missing, builds Release and starts the server;
# `make test` runs every test (unit, end-to-end over HTTP, MLflow client compatibility).
BUILD ?= build/release
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)
ARGS ?=

.PHONY: all deps deps-cpp build web run test unit-test e2e-test compat-test schema-test bench format fuzz clean

all: build

deps:
	./scripts/deps.sh

# Only what building and running the server needs (no Python virtualenvs).
deps-cpp:
	MLWS_SKIP_PYTHON=1 MLWS_SKIP_TEST_DEPS=1 ./scripts/deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: $(BUILD)/build.ninja web
	cmake --build $(BUILD) -j $(JOBS)

# The studio (web/): npm ci when node_modules is missing, then a Vite build into web/dist, redone
# only when a source file changed. The server finds web/dist next to $(BUILD)/mlws by itself.
WEB_SRC := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json web/package-lock.json
web: web/dist/index.html
web/dist/index.html: $(WEB_SRC)
	@if node -e 'process.exit(parseInt(process.versions.node) >= 20 ? 0 : 1)' 2>/dev/null; then \
	  cd web && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build; \
	else \
	  echo "warning: the studio needs Node.js >= 20: not built (the server runs without its web UI)" >&2; \
	fi

run: deps-cpp build
	./$(BUILD)/mlws server $(ARGS)

test: deps build
	./scripts/test.sh $(BUILD)

unit-test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

e2e-test: build
	MLWS_BIN=$(CURDIR)/$(BUILD)/mlws .venv/bin/python -m pytest -q tests/e2e

compat-test: build
	MLWS_BIN=$(CURDIR)/$(BUILD)/mlws .venv/bin/python -m pytest -q tests/compat
	MLWS_BIN=$(CURDIR)/$(BUILD)/mlws .venv-mlflow3/bin/python -m pytest -q tests/compat
	./scripts/mlflow3_reference.sh

# The OpenAPI document against real responses, and schemathesis (bounded; about 90 s).
schema-test: build
	MLWS_BIN=$(CURDIR)/$(BUILD)/mlws .venv-schemathesis/bin/python -m pytest -q tests/schemathesis

bench: deps build
	.venv/bin/python bench/run_bench.py --mlws-bin $(CURDIR)/$(BUILD)/mlws \
	  --loadgen $(CURDIR)/$(BUILD)/bench/mlws-loadgen $(ARGS)

format:
	find include src tests bench fuzz -name '*.h' -o -name '*.cc' | xargs clang-format -i

fuzz:
	CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DMLWS_BUILD_FUZZ=ON -DMLWS_BUILD_TESTS=OFF -DMLWS_BUILD_BENCH=OFF
	cmake --build build/fuzz -j $(JOBS)
	./scripts/fuzz.sh build/fuzz

clean:
	rm -rf build
