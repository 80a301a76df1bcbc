# EcomoveX services — build, run and test.
#   make run    set up everything (packages, PostgreSQL, databases, demo data) and run both daemons
#   make test   the same set-up, then every test suite; ends with "N passed, M failed"
# See README.md for the other targets and every environment variable.

VERSION   := 0.1.0
BUILD     ?= build
RUN_DIR   ?= run
CC        ?= cc
# Both daemons link libcurl: user-service calls destination-service with it, and
# destination-service's session check (destination-service/session_check.c, issue 19 item 1)
# asks user-service whether an admin token is still valid. So both images ship libcurl, and
# neither ships the curl program (docs/operations.md "Images"). Debian's GnuTLS flavour
# (libcurl4-gnutls-dev, runtime libcurl3-gnutls): libpq already loads GnuTLS (through libldap),
# while the OpenSSL flavour's curl_global_init faults in ~1.7 MiB of libcrypto at start-up
# (docs/performance.md "Memory"). Same pkg-config name, same API.
DEST_PKGS := libevent libpq libcjson libsodium libcurl
PKGS      := $(DEST_PKGS)
SANITIZE  ?=

WARN      := -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes -Wformat=2
OPT       := -O2 -g
LDFLAGS   :=
ifeq ($(SANITIZE),1)
  CC      := clang
  OPT     := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS := -fsanitize=address,undefined
endif
# '=' (not ':='): pkg-config runs only when compiling, after `make deps` had its chance.
CFLAGS    = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -pthread -MMD -MP -Icommon \
            -DECOMOVEX_VERSION='"$(VERSION)"' $(shell pkg-config --cflags $(PKGS))
LDLIBS    = $(shell pkg-config --libs $(PKGS)) -pthread -lm
DEST_LDLIBS = $(shell pkg-config --libs $(DEST_PKGS)) -pthread -lm

# The commit for build_info: git's short hash, "unknown" outside a git checkout or without git
# (the images pass it in: make COMMIT=...). Only metrics.o carries it; a stamp file that changes
# with the hash rebuilds just that object.
COMMIT    := $(or $(shell git rev-parse --short=12 HEAD 2>/dev/null),unknown)
BUILD_COMMIT = $(or $(COMMIT),unknown)

COMMON_SRC := $(wildcard common/*.c)
# user-service: main.c on top, each feature in its own folder (README.md, "Layout"). Basenames are
# unique across folders, so a file includes its neighbours' headers by name alone.
USER_SRC   := $(wildcard user-service/*.c user-service/*/*.c)
USER_INC   := -Iuser-service $(patsubst %/,-I%,$(sort $(dir $(wildcard user-service/*/*.h))))
DEST_SRC   := $(wildcard destination-service/*.c destination-service/*/*.c)
DEST_INC   := -Idestination-service $(patsubst %/,-I%,$(sort $(dir $(wildcard destination-service/*/*.h))))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)

COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/obj/%.o)
USER_OBJ   := $(USER_SRC:%.c=$(BUILD)/obj/%.o)
DEST_OBJ   := $(DEST_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# Unit tests link the modules they test; service modules are linked without their main.c.
USER_LIB_OBJ := $(filter-out %/main.o,$(USER_OBJ))
DEST_LIB_OBJ := $(filter-out %/main.o,$(DEST_OBJ))

.PHONY: all bins unit-bins deps run test test-unit test-integration test-fault test-containers test-ha sanitize format lint \
        db-init db-reset db-drop db-init-users db-init-destinations seed clean

all: bins
bins: $(BUILD)/user-service $(BUILD)/destination-service
unit-bins: $(UNIT_BIN)

$(BUILD)/obj/user-service/%.o: CFLAGS += $(USER_INC)
$(BUILD)/obj/destination-service/%.o: CFLAGS += $(DEST_INC)
$(BUILD)/obj/common/metrics.o: CFLAGS += -DECOMOVEX_COMMIT='"$(BUILD_COMMIT)"'
$(BUILD)/obj/common/metrics.o: $(BUILD)/commit.stamp
$(BUILD)/commit.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(BUILD_COMMIT)' | cmp -s - $@ || echo '$(BUILD_COMMIT)' > $@
FORCE:
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# Static archives: a unit test pulls in only the modules it uses.
$(BUILD)/libcommon.a: $(COMMON_OBJ)
	ar rcs $@ $^
$(BUILD)/libuser.a: $(USER_LIB_OBJ)
	ar rcs $@ $^
$(BUILD)/libdest.a: $(DEST_LIB_OBJ)
	ar rcs $@ $^

$(BUILD)/user-service: $(BUILD)/obj/user-service/main.o $(BUILD)/libuser.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/destination-service: $(BUILD)/obj/destination-service/main.o $(BUILD)/libdest.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) $^ $(DEST_LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libuser.a $(BUILD)/libdest.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(USER_INC) $(DEST_INC) $(LDFLAGS) $^ $(LDLIBS) $(shell pkg-config --libs cmocka) -o $@

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

deps:
	@scripts/deps.sh

run: deps
	@$(MAKE) -s bins
	@scripts/run.sh $(RUN_DIR)

test: deps
	@$(MAKE) -s bins unit-bins
	@tests/run-all.sh

test-unit: unit-bins
	@tests/run.sh unit

test-integration: bins
	@tests/run.sh integration

test-fault: bins
	@tests/run.sh fault

# Both service images (and the gateway) built from the committed Dockerfiles with podman, run
# as deployed, and docker-compose.yml brought up; root only. tests/containers/run.sh says how.
test-containers: deps
	@tests/containers/run.sh

# Scale-out and fail-over under load: two replicas of each daemon behind the nginx gateway
# (SIGKILL, rolling restart) and a users primary with a synchronous hot standby, stopped and
# promoted under writes. tests/ha/run.sh says how; docs/operations.md "Scaling out" the figures.
test-ha: bins
	@tests/ha/run.sh

sanitize:
	@$(MAKE) -s BUILD=build-asan SANITIZE=1 bins unit-bins
	@BUILD=build-asan tests/run.sh unit integration fault

seed db-init: bins
	@scripts/db.sh init all $(RUN_DIR)
db-init-users: bins
	@scripts/db.sh init users $(RUN_DIR)
db-init-destinations: bins
	@scripts/db.sh init destinations $(RUN_DIR)
db-reset: bins
	@scripts/db.sh reset all $(RUN_DIR)
db-drop:
	@scripts/db.sh drop all $(RUN_DIR)

FORMAT_SRC = $(COMMON_SRC) $(USER_SRC) $(DEST_SRC) $(UNIT_SRC) $(wildcard */*.h user-service/*/*.h destination-service/*/*.h) $(wildcard bench/*.c tests/fuzz/*.c)
format:
	clang-format -i $(FORMAT_SRC)

lint:
	@scripts/lint.sh

clean:
	rm -rf build build-asan build-fuzz

# make bench: wrk against both daemons beside their ceilings (bare evhttp, pgbench -S); see docs/performance.md.
.PHONY: bench
bench: deps
	@bench/run.sh

# ---- fuzzing (libFuzzer) and valgrind memcheck; see tests/fuzz/README.md ----
# make fuzz        each target for FUZZ_SECONDS (default 60) over its corpus
# make fuzz-smoke  each target for FUZZ_SMOKE_SECONDS (default 8): the short run make test does
# make memcheck    the integration suite (MEMCHECK_FILTER) with both daemons under valgrind
FUZZ_BUILD         ?= build-fuzz
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 8
FUZZ_TARGETS       := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_OPT           := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
                      -fno-sanitize-recover=undefined

.PHONY: fuzz-bins fuzz fuzz-smoke memcheck
# The modules are built once more into $(FUZZ_BUILD) with clang and coverage instrumentation;
# each target links the archives, so it pulls in only the modules it calls.
fuzz-bins:
	@$(MAKE) -s BUILD=$(FUZZ_BUILD) CC=clang OPT="$(FUZZ_OPT)" LDFLAGS="-fsanitize=address,undefined" \
	  $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz/fuzz_%)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(BUILD)/libuser.a $(BUILD)/libdest.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MF $@.d $(USER_INC) $(DEST_INC) -fsanitize=fuzzer,address,undefined \
	  $(filter %.c %.a,$^) $(LDLIBS) -o $@
-include $(wildcard $(BUILD)/fuzz/*.d)

fuzz: fuzz-bins
	@FUZZ_BUILD=$(FUZZ_BUILD) tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-bins
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_LABEL=fuzz-smoke FUZZ_FRESH=1 tests/fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

memcheck: bins
	@BUILD=$(BUILD) tests/memcheck.sh
