# The two entry points (README): `make demo` and `make check`.
# Both install missing Debian packages (scripts/install-deps), configure and build.
BUILD  ?= build
JOBS   ?= 2
# Warnings are errors in CI (CI=true is set there).
WERROR ?= $(if $(CI),ON,OFF)
CMAKE_FLAGS ?=

.PHONY: all deps build demo check check-all sanitize fuzz clean

all: build

deps:
	@scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DTS_WERROR=$(WERROR) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	./$(BUILD)/tinsel demo --out demo-out

# quick + full tiers (what CI runs); `make check-all` adds the slow tier.
check: build
	ctest --test-dir $(BUILD) -L 'quick|full' --output-on-failure -j$(JOBS)

check-all: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

# The quick tier under AddressSanitizer + UndefinedBehaviorSanitizer.
sanitize: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTS_SANITIZE=ON -DTS_WERROR=$(WERROR)
	cmake --build build-asan -j$(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build-asan -L quick --output-on-failure -j$(JOBS)

# libFuzzer on the INI, SPICE, safetensors and md readers (FUZZ_SECONDS each, default 30).
fuzz: deps
	scripts/fuzz $(or $(FUZZ_SECONDS),30)

clean:
	rm -rf $(BUILD) build-asan build-fuzz demo-out
