# raftlab: the two everyday commands are `make grade` and `make test`.
# Both install missing Debian packages, configure, build and run.
#
#   make test              every test, under both runtimes (CI runs this)
#   make grade [STAGE=2A] [RUNTIME=sim|real|both] [SEEDS=3]
#                          the graded suites, with a score table
#   make stress T=2C [N=200] [RUNTIME=real] [SAN=thread|address]
#                          run tests or stages many times (scripts/stress.py)
# SOLUTION BEGIN
#   make handout [OUT=handout]
#                          write the student tree (scripts/make_handout.py)
#   make mutants [ARGS='raft- --all'] [MUTANTS_DIR=/tmp/m]
#                          the graded suites' mutation score
#                          (scripts/mutants.py, tests/mutants/)
# SOLUTION END
#   make tsan / make asan  the runtime, fabric and Raft tests under
#                          ThreadSanitizer / ASan+UBSan, both runtimes
#   make tsan-all          every test under ThreadSanitizer, both runtimes
#   make bench [STAGE=2B] [SEEDS=3] [ARGS='--json out.json']
#                          the graded tests' real and sim runtime, RPCs and
#                          labrpc's round trip next to the Go labs' figures
#                          (scripts/bench.py, bench/go_figures.tsv)
#   make bench-rpc         the labrpc benchmarks alone (bench/labrpc_bench)
#   make nemesis [ROUNDS=20] [ARGS='--seed 42']
#                          the nemesis test of a 5-process raftkv cluster,
#                          a longer schedule than ctest's Deploy.Nemesis
#                          (scripts/nemesis.py)
#   make kvbench [ARGS='--ops 5000']
#                          raftkv against etcd on loopback, 1 and 16
#                          clients, put and get (scripts/kvbench.py;
#                          installs etcd-server if missing)
#   make fuzz [FUZZ_TIME=60] [FUZZ_RUNS=10000000] [FUZZ_TARGETS=frame_decoder]
#                          the libFuzzer targets (fuzz/), built with clang
#                          in build-fuzz/, each for FUZZ_TIME seconds or
#                          FUZZ_RUNS inputs
#   make fuzz-smoke        the same, 10 s per target (a CI-sized run)
#   make fuzz-seeds        rewrite the seed corpus (testdata/fuzz/)
#   make format / make format-check

BUILD   ?= build
JOBS    ?= 2
WERROR  ?= OFF
CTEST_J ?= 2
STAGE   ?=
RUNTIME ?= sim
SEEDS   ?= 3
T       ?=
N       ?= 10
SAN     ?=
# SOLUTION BEGIN
OUT     ?= handout
MUTANTS_DIR ?=
# SOLUTION END
ARGS    ?=

CMAKE_FLAGS = -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAFTLAB_WERROR=$(WERROR)
# The C++ sources: git's list in a checkout; else (a handout unpacked from
# an archive, a copied tree) every .h and .cc under the source folders.
SRC_DIRS = labrpc raft kvraft shardctrler shardkv linearizability tests bench deploy fuzz
SOURCES = $(or $(shell git ls-files '*.h' '*.cc' 2>/dev/null),$(shell \
  find $(wildcard $(SRC_DIRS)) \( -name '*.h' -o -name '*.cc' \) | sort))
# clang-format on no files succeeds: say so and fail instead.
NEED_SOURCES = @test -n "$(strip $(SOURCES))" || { echo "make $@: no C++ \
  sources found (not a git checkout, and no $(SRC_DIRS))" >&2; exit 1; }

.PHONY: deps build test grade stress stress-usage tsan asan bench bench-rpc \
	format format-check clean
# SOLUTION BEGIN
.PHONY: handout mutants
# SOLUTION END

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(CTEST_J)

# Configures $(BUILD) unless it is already (a configured folder re-runs
# CMake by itself when a CMakeLists.txt changes).
.PHONY: configure
configure: deps
	@test -f $(BUILD)/CMakeCache.txt || \
	  cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

# grade.py and stress.py build only what they run (STAGE=2A: CMake target
# stage_2A, i.e. raft_test and raft_rules_test), never a stale binary.
grade: configure
	python3 scripts/grade.py --build-dir $(BUILD) -j $(JOBS) \
	  --runtime $(RUNTIME) --seeds $(SEEDS) $(if $(STAGE),--stage $(STAGE)) \
	  $(ARGS)

# A sanitizer run builds its own folder (build-tsan, build-asan), and runs
# under either runtime (SAN=thread RUNTIME=real for real threads).
stress: $(if $(T),$(if $(SAN),deps,configure),stress-usage)
	python3 scripts/stress.py $(foreach t,$(T),'$(t)') -n $(N) -j $(JOBS) \
	  $(if $(SAN),--sanitize $(SAN),--build-dir $(BUILD)) --runtime $(RUNTIME) \
	  $(ARGS)

stress-usage:
	@echo "usage: make stress T=2C [N=200] [RUNTIME=real] [SAN=thread|address]" \
	  "[ARGS='-x --timeout 60']"; exit 2

# SOLUTION BEGIN
handout:
	python3 scripts/make_handout.py --out $(OUT) $(ARGS)

# Builds its own scratch copy of the tree (MUTANTS_DIR, default
# $TMPDIR/raftlab-mutants), not $(BUILD).
mutants: deps
	python3 scripts/mutants.py -j $(JOBS) \
	  $(if $(MUTANTS_DIR),--scratch $(MUTANTS_DIR)) $(ARGS)
# SOLUTION END

# Sanitizer builds run the runtime, fabric and Raft tests and the
# sanitizers' negative controls (SanitizerControl), under both runtimes. The
# sim scheduler tells both sanitizers about its fibers
# (labrpc/sanitizer_fiber.h): under TSan each task is a fiber of its own,
# so a race between two tasks is reported under sim too, naming them.
# Labrpc.Benchmark is left out (100k calls take minutes under TSan), and
# under TSan the tools' own tests and the checks that run or compare other
# builds (cross-process determinism, and the kit's own such checks).
SAN_TESTS ?= Runtime|Labrpc|Persister|RaftLog|2A|2B|SanitizerControl
SAN_SKIP  ?= Labrpc\.Benchmark
TSAN_ALL_SKIP ?= $(SAN_SKIP)|SimDeterminism|Tools\.
# SOLUTION BEGIN
TSAN_ALL_SKIP := $(TSAN_ALL_SKIP)|Ablations
# SOLUTION END
TSAN_ENV = LAB_WALL_LIMIT_S=900 TSAN_OPTIONS=halt_on_error=1
.PHONY: tsan-build tsan-all
tsan-build: deps
	cmake -S . -B build-tsan $(CMAKE_FLAGS) -DRAFTLAB_SANITIZE=thread >/dev/null
	cmake --build build-tsan -j $(JOBS)

tsan: tsan-build
	$(TSAN_ENV) ctest --test-dir build-tsan --output-on-failure -j $(CTEST_J) \
	  -R '$(SAN_TESTS)' -E '$(SAN_SKIP)'

tsan-all: tsan-build
	$(TSAN_ENV) ctest --test-dir build-tsan --output-on-failure -j $(CTEST_J) \
	  -E '$(TSAN_ALL_SKIP)'

asan: deps
	cmake -S . -B build-asan $(CMAKE_FLAGS) -DRAFTLAB_SANITIZE=address >/dev/null
	cmake --build build-asan -j $(JOBS)
	LAB_WALL_LIMIT_S=900 ctest --test-dir build-asan --output-on-failure \
	  -j $(CTEST_J) -R '$(SAN_TESTS)' -E '$(SAN_SKIP)'

# bench.py builds what it measures (the stage targets and labrpc_bench)
# and runs one test process at a time. Run it on a quiet machine: under
# load the real runtime's figures mean little.
bench: configure
	python3 scripts/bench.py --build-dir $(BUILD) -j $(JOBS) \
	  --seeds $(SEEDS) $(if $(STAGE),--stages $(STAGE)) $(ARGS)

bench-rpc: configure
	cmake --build $(BUILD) -j $(JOBS) --target labrpc_bench
	$(BUILD)/bench/labrpc_bench --benchmark_min_time=1

# The deployment's end-to-end runs: real server processes on 127.0.0.1.
ROUNDS ?= 20
DEPLOY_TARGETS = raftkv raftkv-server lincheck
.PHONY: nemesis kvbench
nemesis: configure
	cmake --build $(BUILD) -j $(JOBS) --target $(DEPLOY_TARGETS)
	python3 scripts/nemesis.py --build-dir $(BUILD) --rounds $(ROUNDS) $(ARGS)

kvbench: configure
	cmake --build $(BUILD) -j $(JOBS) --target $(DEPLOY_TARGETS)
	python3 scripts/kvbench.py --build-dir $(BUILD) $(ARGS)

format:
	$(NEED_SOURCES)
	clang-format -i $(SOURCES)

format-check:
	$(NEED_SOURCES)
	@echo "clang-format: checking $(words $(SOURCES)) files"
	@clang-format --dry-run --Werror $(SOURCES)

# Fuzzing. Each target runs over its committed corpus (testdata/fuzz/<t>/:
# seeds and past crashes, read only) and its working corpus in
# $(FUZZ_BUILD)/corpus/<t>/ (kept between runs, where new inputs go). A
# crash stops the run and leaves its input as $(FUZZ_BUILD)/crash-<t>-*;
# keep it as a regression by copying it into testdata/fuzz/<t>/ (ctest's
# Fuzz.<t>.Corpus then replays it in every build) after the fix.
# -malloc_limit_mb: no input here is near 1 MiB, so an allocation of 64 MiB
# means a size was taken from the input unchecked.
FUZZ_BUILD   ?= build-fuzz
FUZZ_CXX     ?= clang++-14
FUZZ_TIME    ?= 60
FUZZ_RUNS    ?=
FUZZ_TARGETS ?= frame_decoder state_file raft_codec
FUZZ_FLAGS   ?= -malloc_limit_mb=64 -rss_limit_mb=2048 -timeout=10 \
  -print_final_stats=1
.PHONY: fuzz fuzz-build fuzz-smoke fuzz-seeds
fuzz-build:
	@command -v $(FUZZ_CXX) >/dev/null || { echo "make fuzz: $(FUZZ_CXX) \
	  not found (apt-get install clang-14, or set FUZZ_CXX)" >&2; exit 1; }
	@test -f $(FUZZ_BUILD)/CMakeCache.txt || cmake -S . -B $(FUZZ_BUILD) \
	  $(CMAKE_FLAGS) -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) -DRAFTLAB_FUZZ=ON \
	  >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t || exit 1; \
	  echo "fuzz: $$t, $(if $(FUZZ_RUNS),$(FUZZ_RUNS) inputs,$(FUZZ_TIME) s)"; \
	  $(FUZZ_BUILD)/fuzz/$${t}_fuzz $(FUZZ_BUILD)/corpus/$$t \
	    testdata/fuzz/$$t $(FUZZ_FLAGS) \
	    $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_TIME)) \
	    -artifact_prefix=$(FUZZ_BUILD)/crash-$$t- || exit 1; \
	done

fuzz-smoke:
	$(MAKE) fuzz FUZZ_TIME=10 FUZZ_RUNS=

fuzz-seeds: configure
	cmake --build $(BUILD) -j $(JOBS) --target fuzz_seeds
	$(BUILD)/fuzz/fuzz_seeds testdata/fuzz

clean:
	rm -rf $(BUILD) build-tsan build-asan $(FUZZ_BUILD)
