# Thin wrapper over CMake. `make test` and `make demo` work on a fresh Debian 12 machine as root.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
BENCH_BUILD ?= build-bench
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=

# Debian packages needed to build and test (bench adds its own).
DEB_PKGS := build-essential cmake pkg-config clang clang-format libclang-rt-14-dev \
            libcjson-dev libcurl4-openssl-dev libmbedtls-dev libcmocka-dev \
            libsqlite3-dev libpq-dev postgresql libmicrohttpd-dev curl python3 python3-venv \
            python3-setuptools python3-pip man-db groff-base nginx-light openssl
BENCH_PKGS := wrk

.PHONY: all deps build test demo bench fuzz clean format

all: build

# Install only what is missing, so a second run does nothing (and needs no network). Servers
# among them (nginx) are not started by the install (policy-rc.d says no, as in containers):
# the tests start their own on 127.0.0.1 and stop them.
define apt_install_missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  policy=""; if [ ! -e /usr/sbin/policy-rc.d ]; then \
	    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy=1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  rc=$$?; [ -z "$$policy" ] || rm -f /usr/sbin/policy-rc.d; [ $$rc -eq 0 ]; \
	else echo "deps: everything is installed"; fi
endef

deps:
	$(call apt_install_missing,$(DEB_PKGS))
	@# Node runs the Node binding's tests and the signature cross-check. A node already on the
	@# PATH is kept (a NodeSource nodejs bundles npm, and Debian's npm package would conflict with
	@# it); without one, Debian's nodejs and npm are installed.
	@if ! command -v node >/dev/null 2>&1; then \
	  echo "deps: installing nodejs npm"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; \
	elif ! command -v npm >/dev/null 2>&1; then \
	  echo "deps: node $$(node --version) has no npm: the Node tests will be skipped"; fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWH_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DWH_WERROR=ON -DWH_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# Every test, in a normal and an ASan+UBSan build, ending with the runner's summary.
test: build build-asan
	tests/run.sh $(BUILD) $(ASAN_BUILD)

# The demo builds quietly (the log is kept in $(BUILD)/demo-build.log, and shown on failure), so
# what it prints is the demo itself: the commands it runs, which a user can repeat.
demo: deps
	@echo "demo: building (cmake; log in $(BUILD)/demo-build.log)"
	@mkdir -p $(BUILD)
	@{ cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWH_WERROR=ON $(CMAKE_FLAGS) && \
	   cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory; } > $(BUILD)/demo-build.log 2>&1 || \
	  { tail -n 40 $(BUILD)/demo-build.log; echo "demo: the build failed"; exit 1; }
	@examples/demo.sh $(BUILD)

bench: deps
	$(call apt_install_missing,$(BENCH_PKGS))
	cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(BENCH_BUILD) -j $(JOBS)
	tests/bench/run.sh $(BENCH_BUILD)

# libFuzzer targets with clang, FUZZ_SECONDS each (default 60).
fuzz: deps
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
	  -DCMAKE_BUILD_TYPE=Debug -DWH_FUZZ=ON -DWH_SANITIZE=ON
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h' '*.cpp')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(BENCH_BUILD)
