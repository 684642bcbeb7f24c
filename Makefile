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
#                          ThreadSanitizer (real) / ASan+UBSan (both)
#   make bench             the labrpc round-trip benchmark
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
SRC_DIRS = labrpc raft kvraft shardkv linearizability tests bench
SOURCES = $(or $(shell git ls-files '*.h' '*.cc' 2>/dev/null),$(shell \
  find $(wildcard $(SRC_DIRS)) \( -name '*.h' -o -name '*.cc' \) | sort))
# clang-format on no files succeeds: say so and fail instead.
NEED_SOURCES = @test -n "$(strip $(SOURCES))" || { echo "make $@: no C++ \
  sources found (not a git checkout, and no $(SRC_DIRS))" >&2; exit 1; }

.PHONY: deps build test grade stress stress-usage tsan asan bench format \
	format-check clean
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

# A sanitizer run builds its own folder (build-tsan, build-asan).
stress: $(if $(T),$(if $(SAN),deps,configure),stress-usage)
	python3 scripts/stress.py $(foreach t,$(T),'$(t)') -n $(N) -j $(JOBS) \
	  $(if $(SAN),--sanitize $(SAN),--build-dir $(BUILD) --runtime $(RUNTIME)) \
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

# Sanitizer builds run the runtime, fabric and Raft tests. ASan runs them
# under both runtimes: the sim scheduler tells it about every fiber switch
# (labrpc/runtime_sim.cc). TSan runs the real runtime only: under sim all
# tasks share one OS thread, and TSan cannot yet tell them apart.
# Labrpc.Benchmark is left out (100k calls take minutes under TSan).
SAN_TESTS ?= Runtime|Labrpc|Persister|RaftLog|2A|2B
SAN_SKIP  ?= Labrpc\.Benchmark
tsan: deps
	cmake -S . -B build-tsan $(CMAKE_FLAGS) -DRAFTLAB_SANITIZE=thread >/dev/null
	cmake --build build-tsan -j $(JOBS)
	LAB_WALL_LIMIT_S=900 TSAN_OPTIONS=halt_on_error=1 ctest --test-dir build-tsan \
	  --output-on-failure -j $(CTEST_J) -L real -R '$(SAN_TESTS)' \
	  -E '$(SAN_SKIP)|Runtime\.Sim|RuntimeWatchdog\.Sim|Labrpc\.Sim'

asan: deps
	cmake -S . -B build-asan $(CMAKE_FLAGS) -DRAFTLAB_SANITIZE=address >/dev/null
	cmake --build build-asan -j $(JOBS)
	LAB_WALL_LIMIT_S=900 ctest --test-dir build-asan --output-on-failure \
	  -j $(CTEST_J) -R '$(SAN_TESTS)' -E '$(SAN_SKIP)'

bench: build
	$(BUILD)/bench/labrpc_bench --benchmark_min_time=1

format:
	$(NEED_SOURCES)
	clang-format -i $(SOURCES)

format-check:
	$(NEED_SOURCES)
	@echo "clang-format: checking $(words $(SOURCES)) files"
	@clang-format --dry-run --Werror $(SOURCES)

clean:
	rm -rf $(BUILD) build-tsan build-asan
