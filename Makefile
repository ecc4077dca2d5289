# squeeze: SQLite compression extension. See README.md.
#
#   make            build/squeeze.so and build/libsqueeze.a
#   make deps       install the Debian packages the build and tests need
#   make test       every test suite, ending with "N passed, N failed"
#   make demo       sql/demo.sql on the bundled real data
#   make bench      benchmarks against the real peers (not tests)
#   make bench-report  codec_bench on examples/data: docs/bench/codec_bench.{md,svg}
#   make fuzz       a short run of every libFuzzer target
#   make asan       the unit and SQL tests under ASan+UBSan

CC      ?= cc
CSTD    := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra
OPT     ?= -O2
CFLAGS  ?=
ALL_CFLAGS := $(CSTD) $(WARN) $(OPT) -g -fPIC -Icodecs -Iext $(CFLAGS)
LIBS    := -lzstd -llz4 -lxxhash -lm
BUILD   := build
FUZZ_SECONDS ?= 20

CODEC_SRC := $(sort $(wildcard codecs/*.c))
EXT_SRC   := $(sort $(wildcard ext/*.c))
HEADERS   := $(wildcard codecs/*.h ext/*.h)
CODEC_OBJ := $(CODEC_SRC:%.c=$(BUILD)/obj/%.o)
EXT_OBJ   := $(EXT_SRC:%.c=$(BUILD)/obj/%.o)
EXT_STATIC_OBJ := $(EXT_SRC:%.c=$(BUILD)/obj-static/%.o)

UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/replay/%)
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

DEB_PACKAGES := sqlite3 libsqlite3-dev liblz4-dev libzstd-dev libxxhash-dev \
                libcmocka-dev zstd lz4 gnuplot-nox clang libclang-rt-14-dev python3

.PHONY: all deps test unit sqltest demo bench fuzz asan clean install format

all: $(BUILD)/squeeze.so $(BUILD)/libsqueeze.a

deps:
	@sh tests/deps.sh $(DEB_PACKAGES)

$(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The static library's SQLite glue calls SQLite directly (SQLITE_CORE).
$(BUILD)/obj-static/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DSQLITE_CORE -c $< -o $@

$(BUILD)/squeeze.so: $(CODEC_OBJ) $(EXT_OBJ)
	$(CC) -shared -o $@ $^ $(LIBS) $(LDFLAGS_EXTRA)

$(BUILD)/libsqueeze.a: $(CODEC_OBJ) $(EXT_STATIC_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libsqueeze.a tests/unit/test_util.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $< -o $@ $(BUILD)/libsqueeze.a -lsqlite3 -lcmocka $(LIBS) \
	  $(LDFLAGS_EXTRA)

# Benchmarks link zstd statically: Huff0's HUF_* functions are exported there.
$(BUILD)/bench/%: bench/%.c $(BUILD)/libsqueeze.a bench/bench_util.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O3 -Ibench $< -o $@ $(BUILD)/libsqueeze.a -lsqlite3 \
	  -l:libzstd.a -llz4 -lxxhash -lm

FUZZ_CFLAGS := $(CSTD) -g -O1 -Icodecs -Iext -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=undefined
$(BUILD)/fuzz/%: tests/fuzz/%.c $(CODEC_SRC) $(HEADERS)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $< $(CODEC_SRC) -o $@ $(LIBS)

# Replays a corpus without libFuzzer (tests/fuzz/replay_main.c), under ASan+UBSan.
$(BUILD)/replay/%: tests/fuzz/%.c tests/fuzz/replay_main.c $(CODEC_SRC) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) -g -O1 -Icodecs -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	  $< tests/fuzz/replay_main.c $(CODEC_SRC) -o $@ $(LIBS)

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
test: deps all $(UNIT_BIN) $(REPLAY_BIN) $(FUZZ_BIN)
	@FUZZ_TEST_SECONDS=$(FUZZ_TEST_SECONDS) sh tests/run_all.sh

demo: deps all
	@sh sql/run_demo.sh

bench: deps all $(BENCH_BIN) $(BUILD)/ts/ts.i64
	@for b in $(BENCH_BIN); do echo "== $$b"; $$b || exit 1; done

# codec_bench on the real datasets (sql/bench.sql), as tables and a gnuplot picture:
# docs/bench/codec_bench.md and docs/bench/codec_bench.svg.
.PHONY: bench-report
bench-report: all
	@mkdir -p build/bench docs/bench
	sqlite3 :memory: < sql/bench.sql
	gnuplot docs/bench/codec_bench.gp

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
	clang-format -i codecs/*.[ch] ext/*.[ch] tests/unit/*.[ch] tests/fuzz/*.c bench/*.[ch]

PREFIX ?= /usr/local
install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/squeeze
	install -m 0644 $(BUILD)/squeeze.so $(BUILD)/libsqueeze.a $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 codecs/*.h $(DESTDIR)$(PREFIX)/include/squeeze/

clean:
	rm -rf $(BUILD)

# The deterministic synthetic series generator (examples/gen_ts.c), run in build/ts/.
$(BUILD)/gen_ts: examples/gen_ts.c
	@mkdir -p $(BUILD)
	$(CC) -O2 $< -o $@ -lm
$(BUILD)/ts/ts.i64: $(BUILD)/gen_ts
	@mkdir -p $(BUILD)/ts
	cd $(BUILD)/ts && ../gen_ts 1000000
