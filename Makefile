# certfleet — the two commands: `make run` and `make check`.
BUILD      ?= build
BUILD_SAN  ?= build-san
CMAKE_ARGS ?=
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build build-san run check check-fast test fuzz bench clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

build-san: deps
	cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DCERTFLEET_SANITIZE=ON $(CMAKE_ARGS)
	cmake --build $(BUILD_SAN) -j $(JOBS)

# The main job: a demo deployment in an embedded SQLite store, its status, and certfleetd serving
# the web page on https://127.0.0.1:8443 until Ctrl-C.
run: build
	@scripts/demo.sh $(BUILD)/certfleet $(BUILD)/certfleetd

# Every test, on the release build and again on the ASan/UBSan build (leaks fail too).
check: build build-san
	scripts/check-style.sh
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	cd $(BUILD_SAN) && ctest --output-on-failure -j $(JOBS)

# Builds the libFuzzer targets with clang and runs each for FUZZ_SECONDS on corpora seeded from
# real files (tests/fuzz/corpus/).
FUZZ_SECONDS ?= 60
fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DCERTFLEET_FUZZ=ON
	cmake --build build-fuzz -j $(JOBS)
	scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

bench: build
	bench/import.sh $(BUILD) 100000 both
	bench/validate.sh $(BUILD)
	bench/api.sh $(BUILD) 100000 both
	bench/monitor.sh $(BUILD)
	bench/acme.sh $(BUILD)
	bench/issue.sh $(BUILD) 10000 both
	bench/ocsp.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_SAN)
