# squeeze: SQLite compression extension. See README.md.
#
#   make            build/squeeze.so, build/libsqueeze.a and build/sqz (the command line)
#   make deps       install the Debian (deps-deb) and npm (deps-node) packages the tests need
#   make test       every test suite, ending with "N passed, N failed"
#   make demo       sql/demo.sql on the bundled real data
#   make bench      benchmarks against the real peers (not tests)
#   make bench-report  codec_bench on examples/data: build/bench/codec_bench.{md,svg}
#                   (DOCS=1: refresh docs/bench/; TABLE= COLUMN= [DB=]: one column of yours)
#   make fuzz       a short run of every libFuzzer target
#   make asan       the unit and SQL tests under ASan+UBSan
#   make faults     the full fault-injection sweeps (make test runs sampled ones)
#   make install    squeeze.so, libsqueeze.a, squeeze.h, squeeze.pc (PREFIX, DESTDIR)
#   make uninstall  removes what make install put
#   make python node  the Python and Node packages, .so inside: build/python, build/node
#   WERROR=1        any target: compile with -Werror (CI does)

CC      ?= cc
CSTD    := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra
OPT     ?= -O2
CFLAGS  ?=
INCLUDES := -Icodecs -Iext -Iext/table -Iexamples
ALL_CFLAGS := $(CSTD) $(WARN) $(OPT) -g -fPIC $(INCLUDES) $(CFLAGS)
LIBS    := -lzstd -llz4 -lxxhash -lm
BUILD   := build
# Only what include/squeeze.h marks SQZ_API leaves the shared object.
ALL_CFLAGS += -fvisibility=hidden $(if $(filter 1,$(WERROR)),-Werror)
FUZZ_SECONDS ?= 20

# codecs/ is the pure C library; ext/ the SQLite layer, ext/table/ the column
# store inside it. PURE_SRC is everything that never includes sqlite3.h: the
# codec fuzz targets link it alone.
CODEC_SRC := $(sort $(wildcard codecs/*.c))
EXT_SRC   := $(sort $(wildcard ext/*.c ext/table/*.c))
PURE_SRC  := $(CODEC_SRC) ext/table/sqt_chunk.c ext/options.c ext/chunk_cache.c
HEADERS   := $(wildcard codecs/*.h ext/*.h ext/table/*.h examples/*.h)
HEADERS   += include/squeeze.h
CODEC_OBJ := $(CODEC_SRC:%.c=$(BUILD)/obj/%.o)
EXT_OBJ   := $(EXT_SRC:%.c=$(BUILD)/obj/%.o)
EXT_STATIC_OBJ := $(EXT_SRC:%.c=$(BUILD)/obj-static/%.o)

UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/replay/%)
FAULT_SRC := $(sort $(wildcard tests/faults/fault_*.c))
FAULT_BIN := $(FAULT_SRC:tests/faults/%.c=$(BUILD)/faults/%)
FAULT_LIB := tests/faults/faults_common.c tests/faults/faults_workloads.c
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

DEB_PACKAGES := sqlite3 libsqlite3-dev liblz4-dev libzstd-dev libxxhash-dev \
                libcmocka-dev zstd lz4 gnuplot-nox clang libclang-rt-14-dev python3 \
                pkg-config g++ binutils python3-pip python3-setuptools python3-wheel

.PHONY: all deps deps-deb deps-node test unit sqltest demo bench fuzz asan clean install \
        uninstall format python node

all: $(BUILD)/squeeze.so $(BUILD)/libsqueeze.a $(BUILD)/sqz

deps: deps-deb deps-node
deps-deb:
	@sh tests/deps.sh $(DEB_PACKAGES)
# bindings/node's npm packages (better-sqlite3, for tests/node and tests/pkg/test_node.sh),
# from package-lock.json.
deps-node: deps-deb
	@sh tests/deps_node.sh

$(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The static library's SQLite glue calls SQLite directly (SQLITE_CORE).
$(BUILD)/obj-static/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DSQLITE_CORE -c $< -o $@

$(BUILD)/squeeze.so: $(CODEC_OBJ) $(EXT_OBJ)
	$(CC) -shared -Wl,-z,nodelete -o $@ $^ $(LIBS) $(LDFLAGS_EXTRA)

$(BUILD)/libsqueeze.a: $(CODEC_OBJ) $(EXT_STATIC_OBJ)
	rm -f $@
	ar rcs $@ $^

# The command-line tool (cli/sqz.c, docs/sqz.md): the pure codecs only, no SQLite.
$(BUILD)/sqz: cli/sqz.c $(CODEC_OBJ) $(HEADERS)
	$(CC) $(ALL_CFLAGS) -Iinclude cli/sqz.c $(CODEC_OBJ) -o $@ $(LIBS) -lpthread $(LDFLAGS_EXTRA)

UNIT_HEADERS := $(wildcard tests/unit/*.h)
FUZZ_HEADERS := $(wildcard tests/fuzz/*.h)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libsqueeze.a $(UNIT_HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $< -o $@ $(BUILD)/libsqueeze.a -lsqlite3 -lcmocka $(LIBS) \
	  $(LDFLAGS_EXTRA)

# Fault-injection harnesses: black-box, linked as a C user links libsqueeze.a.
$(BUILD)/faults/%: tests/faults/%.c $(FAULT_LIB) tests/faults/faults_common.h $(BUILD)/libsqueeze.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/faults $< $(FAULT_LIB) -o $@ $(BUILD)/libsqueeze.a -lsqlite3 $(LIBS) \
	  $(LDFLAGS_EXTRA)

# Benchmarks link zstd statically: Huff0's HUF_* functions are exported there.
$(BUILD)/bench/%: bench/%.c $(BUILD)/libsqueeze.a bench/bench_util.h bench/bench_birds.h bench/bench_scan.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O3 -Ibench $< -o $@ $(BUILD)/libsqueeze.a -lsqlite3 \
	  -l:libzstd.a -llz4 -lxxhash -lm

FUZZ_CFLAGS := $(CSTD) -g -O1 $(INCLUDES) -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=undefined
# The pure sources are compiled once per flavour (libFuzzer-instrumented, and ASan+UBSan for
# the replay), not once per target: the 20 programs took 235 s of CPU, now 26 s.
FUZZ_OBJ   := $(PURE_SRC:%.c=$(BUILD)/fuzz-obj/%.o)
FUZZ_OBJ_CFLAGS := $(CSTD) -g -O1 $(INCLUDES) -fsanitize=fuzzer-no-link,address,undefined \
                   -fno-sanitize-recover=undefined
REPLAY_CFLAGS := $(CSTD) -g -O1 $(INCLUDES) -fsanitize=address,undefined \
                 -fno-sanitize-recover=undefined
REPLAY_OBJ := $(PURE_SRC:%.c=$(BUILD)/replay-obj/%.o) $(BUILD)/replay-obj/tests/fuzz/replay_main.o
.SECONDARY: $(FUZZ_OBJ) $(REPLAY_OBJ)
$(BUILD)/fuzz-obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	clang $(FUZZ_OBJ_CFLAGS) -c $< -o $@
$(BUILD)/replay-obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(REPLAY_CFLAGS) -c $< -o $@
$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ) $(HEADERS) $(FUZZ_HEADERS)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $< $(FUZZ_OBJ) -o $@ $(LIBS)

# Replays a corpus without libFuzzer (tests/fuzz/replay_main.c), under ASan+UBSan.
$(BUILD)/replay/%: tests/fuzz/%.c $(REPLAY_OBJ) $(HEADERS) $(FUZZ_HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(REPLAY_CFLAGS) $< $(REPLAY_OBJ) -o $@ $(LIBS)

# fuzz_sql goes through SQL (tests/fuzz/fuzz_sql.c): it links every extension source
# (SQLITE_CORE, registered with sqlite3_auto_extension) and the system SQLite.
FUZZ_SQL_SRC  := $(sort $(wildcard ext/*.c ext/*/*.c)) $(CODEC_SRC)
FUZZ_SQL_INC  := $(addprefix -I,$(sort $(patsubst %/,%,$(dir $(FUZZ_SQL_SRC)))))
FUZZ_SQL_DEPS := $(FUZZ_SQL_SRC) $(wildcard codecs/*.h ext/*.h ext/*/*.h)
$(BUILD)/fuzz/fuzz_sql: tests/fuzz/fuzz_sql.c $(FUZZ_SQL_DEPS)
	@mkdir -p $(dir $@)
	clang $(CSTD) -g -O1 -DSQLITE_CORE $(FUZZ_SQL_INC) -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined $< $(FUZZ_SQL_SRC) -o $@ -lsqlite3 $(LIBS)
$(BUILD)/replay/fuzz_sql: tests/fuzz/fuzz_sql.c tests/fuzz/replay_main.c $(FUZZ_SQL_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) -g -O1 -DSQLITE_CORE $(FUZZ_SQL_INC) -fsanitize=address,undefined \
	  -fno-sanitize-recover=undefined $< tests/fuzz/replay_main.c $(FUZZ_SQL_SRC) -o $@ \
	  -lsqlite3 $(LIBS)

unit: $(UNIT_BIN)
FUZZ_TEST_SECONDS ?= 4
test: deps all $(UNIT_BIN) $(REPLAY_BIN) $(FUZZ_BIN) $(FAULT_BIN) python node
	@FUZZ_TEST_SECONDS=$(FUZZ_TEST_SECONDS) sh tests/run_all.sh

# Every fault point of the small workload, more of the large (tests/faults; minutes).
.PHONY: faults
faults: deps all $(FAULT_BIN)
	@st=0; for f in $(FAULT_BIN); do echo "== $$f --full"; $$f --full || st=1; done; exit $$st

demo: deps-deb all
	@sh sql/run_demo.sh

bench: deps all $(BENCH_BIN) $(BUILD)/ts/ts.i64
	@for b in $(BENCH_BIN); do echo "== $$b"; $$b || exit 1; done
	@echo "== bench/bench_driver_ranges.py"; /usr/bin/python3 bench/bench_driver_ranges.py
	@sh bench/litestream.sh && SERIES=full sh bench/litestream.sh

# codec_bench on the real datasets (sql/bench.sql), as tables and a gnuplot picture:
# build/bench/codec_bench.md and build/bench/codec_bench.svg.
#   DOCS=1                  then copy both to docs/bench/, the committed report
#   TABLE=t COLUMN=c        one column instead: of a bundled table (birdstrikes, weather,
#                           moby, quakes), or with DB=path of that database (attached
#                           read-only)
#   CODECS=zstd:1..19,lz4   codec_bench's codec list (default: every codec that fits)
#   OPTIONS=mode=column,passes=3  codec_bench's options (default passes=5)
# The values reach the script as SQL parameters (@table, ...) through build/bench/params.sql,
# written by make itself (no shell), so any characters are safe.
.PHONY: bench-report
sql_text = $(if $(1),'$(subst ','',$(1))',NULL)
define BENCH_PARAMS
.parameter init
INSERT INTO temp.sqlite_parameters(key, value) VALUES
  ('@table', $(call sql_text,$(TABLE))), ('@column', $(call sql_text,$(COLUMN))),
  ('@db', $(call sql_text,$(DB))), ('@codecs', $(call sql_text,$(CODECS))),
  ('@options', $(call sql_text,$(OPTIONS)));
endef
bench-report: all
	$(if $(TABLE),$(if $(COLUMN),,$(error bench-report: TABLE needs COLUMN)))
	$(if $(COLUMN),$(if $(TABLE),,$(error bench-report: COLUMN needs TABLE)))
	$(if $(DB),$(if $(TABLE),,$(error bench-report: DB needs TABLE and COLUMN)))
	$(if $(DOCS),$(if $(TABLE)$(CODECS)$(OPTIONS),\
	  $(error bench-report: DOCS=1 refreshes the bundled report; it takes no TABLE, CODECS or OPTIONS)))
	$(shell mkdir -p build/bench)$(file >build/bench/params.sql,$(BENCH_PARAMS))
	sqlite3 -cmd '.read build/bench/params.sql' :memory: < sql/bench.sql
	gnuplot docs/bench/codec_bench.gp
	$(if $(DOCS),cp build/bench/codec_bench.md build/bench/codec_bench.svg docs/bench/)

fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p $(BUILD)/corpus/$$n; \
	  echo "== $$n ($(FUZZ_SECONDS)s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=0 \
	    $(BUILD)/corpus/$$n tests/fuzz/corpus/$$n 2>&1 | tail -2 || exit 1; done

# The unit and SQL suites with everything built under ASan+UBSan, in build/asan
# (the SQL suite preloads libasan into Python to load the instrumented .so).
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
asan:
	$(MAKE) BUILD=build/asan OPT=-O1 CFLAGS="$(ASAN_FLAGS)" LDFLAGS_EXTRA="$(ASAN_FLAGS)" \
	  build/asan/squeeze.so $(UNIT_BIN:$(BUILD)/%=build/asan/%)
	BUILD=build/asan SANITIZED=1 sh tests/run_all.sh

format:
	clang-format -i codecs/*.[ch] ext/*.[ch] ext/table/*.[ch] tests/unit/*.[ch] tests/fuzz/*.c \
	  bench/*.[ch] examples/*.[ch] cli/*.c

# make install [PREFIX=/usr/local] [DESTDIR=staging root]: the loadable extension
# (LIBDIR/squeeze.so, for .load), the static library, the public header and squeeze.pc,
# generated from squeeze.pc.in for PREFIX (not DESTDIR: the staged tree says where it
# will live). make uninstall removes exactly these four files.
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
VERSION := $(shell sed -n 's/^\#define SQUEEZE_VERSION "\(.*\)"$$/\1/p' include/squeeze.h)
INSTALLED := $(LIBDIR)/squeeze.so $(LIBDIR)/libsqueeze.a $(INCLUDEDIR)/squeeze.h \
             $(PKGCONFIGDIR)/squeeze.pc
install: all
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	  -e 's|@VERSION@|$(VERSION)|' squeeze.pc.in > $(BUILD)/squeeze.pc
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0644 $(BUILD)/squeeze.so $(DESTDIR)$(LIBDIR)/squeeze.so
	install -m 0644 $(BUILD)/libsqueeze.a $(DESTDIR)$(LIBDIR)/libsqueeze.a
	install -m 0644 include/squeeze.h $(DESTDIR)$(INCLUDEDIR)/squeeze.h
	install -m 0644 $(BUILD)/squeeze.pc $(DESTDIR)$(PKGCONFIGDIR)/squeeze.pc
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

# The Python and Node packages with the extension inside (bindings/*/ say why):
# build/python is a package tree for PYTHONPATH or pip, build/node/sqlite-squeeze one for
# require() or npm pack.
PY_STAGE := $(BUILD)/python
NODE_STAGE := $(BUILD)/node/sqlite-squeeze
python: $(PY_STAGE)/squeeze/squeeze.so $(PY_STAGE)/squeeze/__init__.py \
        $(PY_STAGE)/squeeze/py.typed $(PY_STAGE)/pyproject.toml $(PY_STAGE)/setup.py
node: $(NODE_STAGE)/squeeze.so $(NODE_STAGE)/index.js $(NODE_STAGE)/index.d.ts \
      $(NODE_STAGE)/package.json
$(PY_STAGE)/squeeze/squeeze.so $(NODE_STAGE)/squeeze.so: $(BUILD)/squeeze.so
	@mkdir -p $(dir $@)
	cp $< $@
$(PY_STAGE)/%: bindings/python/%
	@mkdir -p $(dir $@)
	cp $< $@
$(NODE_STAGE)/%: bindings/node/%
	@mkdir -p $(dir $@)
	cp $< $@

clean:
	rm -rf $(BUILD)

# The deterministic synthetic series generator (examples/gen_ts.c), run in build/ts/.
$(BUILD)/gen_ts: examples/gen_ts.c
	@mkdir -p $(BUILD)
	$(CC) -O2 $< -o $@ -lm
$(BUILD)/ts/ts.i64: $(BUILD)/gen_ts
	@mkdir -p $(BUILD)/ts
	cd $(BUILD)/ts && ../gen_ts 1000000
