# Thin wrapper over CMake. `make` builds a release tree in build/release; `make test`
# installs what is missing, builds with ASan+UBSan (clang, fuzz targets included) in
# build/test and runs every ctest suite there; `make demo` runs the portal on simulated
# vCenters; `make bench` runs the benchmarks against the release build.
BUILD   ?= build
JOBS    ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: all deps build test test-unit demo bench clean package

all: build

deps:
	@tests/rig/deps.sh

build:
	@cmake -S . -B $(BUILD)/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD)/release -j $(JOBS)

$(BUILD)/test/CMakeCache.txt:
	@CC=clang cmake -S . -B $(BUILD)/test -DCMAKE_BUILD_TYPE=Debug \
	    -DVC_SANITIZE=ON -DVC_WERROR=ON -DVC_FUZZ=ON >/dev/null

test: deps $(BUILD)/test/CMakeCache.txt
	@cmake --build $(BUILD)/test -j $(JOBS)
	@cd $(BUILD)/test && ctest --output-on-failure -j 2 --timeout 600 $(CTEST_ARGS)

test-unit: deps $(BUILD)/test/CMakeCache.txt
	@cmake --build $(BUILD)/test -j $(JOBS)
	@cd $(BUILD)/test && ctest --output-on-failure -L unit $(CTEST_ARGS)

demo: deps build
	@tests/rig/demo.sh $(BUILD)/release

bench: deps build
	@tests/bench/run.sh $(BUILD)/release

package: deps build
	@cd $(BUILD)/release && cpack -G DEB

clean:
	rm -rf $(BUILD)
