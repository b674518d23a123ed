# SPDX-License-Identifier: Apache-2.0
# flowsift - GNU make build.  `make` builds the library and the CLI;
# `make test` installs what is missing, builds and runs every test;
# `make demo` installs, builds and runs the main job on generated data.
# `make SANITIZE=address,undefined test` is the sanitizer build (CI).

CC ?= cc
PKGS := libisal zlib libzstd snappy libmaxminddb sqlite3 yaml-0.1 libmicrohttpd libcurl libpcre2-8 yajl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libcurl, libmicrohttpd and snappy are not linked but loaded when used (the
# first webhook, `serve`, a snappy page): their dependencies (TLS/Kerberos/
# LDAP, libstdc++) cost every command ~25 ms and ~5 ms at start
# (src/common/dl.c).
NOLINK := libcurl libmicrohttpd snappy
PKG_LIBS := $(shell pkg-config --libs $(filter-out $(NOLINK),$(PKGS)) 2>/dev/null)

OPT ?= -O2
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -g $(OPT) -Wall -Wextra -Werror -Wno-unused-parameter \
  -Wshadow -Wstrict-prototypes -Wvla -fno-strict-aliasing -Iinclude -Isrc
ifdef SANITIZE
BUILD ?= build-san
CFLAGS_BASE += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
else
BUILD ?= build
endif
# The build id in Parquet files' created_by: the git commit, or "dev".
BUILD_ID := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo dev)
CFLAGS := $(CFLAGS_BASE) $(PKG_CFLAGS) -DFL_BUILD_ID='"$(BUILD_ID)"' $(EXTRA_CFLAGS)
LIBS := $(PKG_LIBS) -lpthread -ldl -lm

GEN := $(BUILD)/gen
LIB_SRCS := $(sort $(filter-out src/cli/%,$(wildcard src/*/*.c)))
CLI_SRCS := $(sort $(wildcard src/cli/*.c))
CMD_SRCS := $(sort $(wildcard src/cli/cmd_*.c))
FMT_SRCS := $(sort $(wildcard src/ingest/fmt_*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRCS := $(sort $(wildcard tests/tools/*.c bench/*.c))
TOOL_BINS := $(patsubst %.c,$(BUILD)/%,$(TOOL_SRCS))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_DIR ?= build-fuzz
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_DIR)/%)

LIB := $(BUILD)/libflowsift.a
BIN := $(BUILD)/flowsift

.PHONY: all deps test check demo bench bench-detect fuzz fuzz-build clean lint units tools
all: $(BIN) flowsift

# `./flowsift` at the top of the tree is a link to the last build.
flowsift: $(BIN)
	@if [ "$(BUILD)" = build ]; then ln -sf $(BIN) flowsift; fi

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(CLI_OBJS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(LIBS)

$(BUILD)/%.o: %.c | $(GEN)/fl_cmds.inc $(GEN)/fl_formats.inc
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(GEN) -MMD -MP -c $< -o $@

# Generated registries: the command table and the format table follow the
# file lists; rewritten only when the list changes.
$(GEN)/fl_cmds.inc: FORCE
	@mkdir -p $(GEN)
	@printf '%s\n' $(patsubst src/cli/cmd_%.c,'FL_CMD(%)',$(CMD_SRCS)) > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(GEN)/fl_formats.inc: FORCE
	@mkdir -p $(GEN)
	@printf '%s\n' $(patsubst src/ingest/fmt_%.c,'FL_FORMAT(%)',$(FMT_SRCS)) > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(GEN) -Itests/unit -o $@ $< $(LIB) $(LIBS) $(LDFLAGS)

$(BUILD)/tests/tools/%: tests/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(GEN) -o $@ $< $(LIB) $(LIBS) $(LDFLAGS)
$(BUILD)/bench/%: bench/%.c bench/bench_util.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(GEN) -o $@ $< $(LIB) $(LIBS) $(LDFLAGS)

# ---- dashboard assets: assets/ plus the npm chart/map files, copied beside
# the binary ($(BUILD)/assets, where `flowsift serve` finds them from any cwd).
# The vendor files come from node_modules (tools/deps.sh); a missing one is a
# warning (the page then shows tables without charts), not a build failure.
ASSET_SRCS := $(wildcard assets/*.html assets/*.js assets/*.css assets/*.svg)
ASSET_OUT := $(ASSET_SRCS:assets/%=$(BUILD)/assets/%)
VENDOR_SRCS := echarts/dist/echarts.min.js topojson-client/dist/topojson-client.min.js \
  d3-array/dist/d3-array.min.js d3-geo/dist/d3-geo.min.js world-atlas/countries-110m.json
ISO_JSON ?= /usr/share/iso-codes/json/iso_3166-1.json
all: $(ASSET_OUT) $(BUILD)/assets/vendor/.stamp
$(BUILD)/assets/%: assets/%
	@mkdir -p $(dir $@)
	@cp $< $@
$(BUILD)/assets/vendor/.stamp: $(wildcard $(addprefix node_modules/,$(VENDOR_SRCS)) $(ISO_JSON)) tools/iso3166.mjs
	@mkdir -p $(dir $@)
	@for f in $(VENDOR_SRCS); do \
	  if [ -f node_modules/$$f ]; then cp node_modules/$$f $(dir $@); \
	  else echo "warning: node_modules/$$f missing (run make deps): dashboard charts/map disabled" >&2; fi; done
	@if [ -f $(ISO_JSON) ] && [ -f node_modules/world-atlas/countries-110m.json ]; then \
	  node tools/iso3166.mjs $(dir $@)iso3166.json $(ISO_JSON) node_modules/world-atlas/countries-110m.json; \
	else echo "warning: $(ISO_JSON) or world-atlas missing: no country table for the map" >&2; fi
	@touch $@

units: $(UNIT_BINS)
tools: $(TOOL_BINS)

deps:
	@bash tools/deps.sh

# The README's test command: installs, builds, runs every test.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
test: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all units tools
	@$(MAKE) --no-print-directory -j$(JOBS) fuzz-build
	@FL_FUZZ_DIR=$(FUZZ_DIR) bash tests/run.sh $(BUILD)
check: test

demo: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all tools
	@bash tools/demo.sh $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all tools
	@bash bench/run.sh $(BUILD)

# Detection accuracy: the default pack over 7 generated days with every kind
# of planted incident; precision and recall per rule (tests/detect/accuracy.t.sh).
bench-detect: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all tools
	@mkdir -p bench/out/detect
	@FL=$(CURDIR)/$(BUILD)/flowsift FL_ROOT=$(CURDIR) FL_BUILD=$(CURDIR)/$(BUILD) FL_TMP=$(CURDIR)/bench/out/detect \
	  FL_ACC_DAYS=$${FL_ACC_DAYS:-7} FL_ACC_RECORDS=$${FL_ACC_RECORDS:-300000} bash tests/detect/accuracy.t.sh

lint:
	@bash tools/checksrc.sh

# ---- fuzzing (clang + libFuzzer, ASan+UBSan) ----------------------------
FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 $(FUZZ_SAN) -Iinclude -Isrc -I$(GEN) $(PKG_CFLAGS)
FUZZ_OBJS := $(LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
$(FUZZ_DIR)/obj/%.o: %.c | $(GEN)/fl_cmds.inc $(GEN)/fl_formats.inc
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
$(FUZZ_DIR)/libfuzz.a: $(FUZZ_OBJS)
	@rm -f $@
	ar rcs $@ $^
$(FUZZ_DIR)/%: tests/fuzz/%.c $(FUZZ_DIR)/libfuzz.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_DIR)/libfuzz.a $(LIBS)
fuzz-build: $(FUZZ_BINS)
# Long fuzzing: FUZZ_TIME seconds per target (default 300).
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@FL_FUZZ_DIR=$(FUZZ_DIR) bash tests/fuzz/run.sh $${FUZZ_TIME:-300}

clean:
	rm -rf build build-san build-fuzz build-h* flowsift

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d)
