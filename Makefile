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

# The main job: a demo deployment in an embedded SQLite store, and its status.
run: build
	@scripts/demo.sh $(BUILD)/certfleet

# Every test, on the release build and on the ASan/UBSan build.
check: build build-san
	scripts/check-style.sh
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	cd $(BUILD_SAN) && ctest --output-on-failure -j $(JOBS) -L unit

bench: build
	bench/import.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_SAN)
