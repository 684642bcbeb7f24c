# raftlab: the two everyday commands are `make grade` and `make test`.
# Both install missing Debian packages, configure, build and run.
#
#   make test              every test, under both runtimes (CI runs this)
#   make grade [STAGE=2A]  the graded suites (sim runtime), with a summary
#   make tsan / make asan  the runtime, fabric and Raft tests of the real
#                          runtime under ThreadSanitizer / ASan+UBSan
#   make bench             the labrpc round-trip benchmark
#   make format / make format-check

BUILD   ?= build
JOBS    ?= 2
WERROR  ?= OFF
CTEST_J ?= 2
STAGE   ?=
GRADED  := 2A|2B|2C|2D|3A|3B|4A|4B

CMAKE_FLAGS = -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAFTLAB_WERROR=$(WERROR)
SOURCES = $(shell git ls-files '*.h' '*.cc' 2>/dev/null)

.PHONY: deps build test grade tsan asan bench format format-check clean

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(CTEST_J)

grade: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(CTEST_J) -L sim \
	  -R '$(if $(STAGE),$(STAGE),$(GRADED))'

# Sanitizer builds run the real runtime only: Boost.Context fibers (sim)
# confuse both sanitizers.
SAN_TESTS ?= Runtime|Labrpc|Persister|RaftLog|2A|2B
tsan: deps
	cmake -S . -B build-tsan $(CMAKE_FLAGS) -DRAFTLAB_SANITIZE=thread >/dev/null
	cmake --build build-tsan -j $(JOBS)
	TSAN_OPTIONS=halt_on_error=1 ctest --test-dir build-tsan --output-on-failure \
	  -j $(CTEST_J) -L real -R '$(SAN_TESTS)'

asan: deps
	cmake -S . -B build-asan $(CMAKE_FLAGS) -DRAFTLAB_SANITIZE=address >/dev/null
	cmake --build build-asan -j $(JOBS)
	ctest --test-dir build-asan --output-on-failure -j $(CTEST_J) -L real \
	  -R '$(SAN_TESTS)'

bench: build
	$(BUILD)/bench/labrpc_bench --benchmark_min_time=1

format:
	clang-format -i $(SOURCES)

format-check:
	clang-format --dry-run --Werror $(SOURCES)

clean:
	rm -rf $(BUILD) build-tsan build-asan
