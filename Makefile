# Yingji build. `make run` and `make test` are the two entry points (see README.md).
PKGS      := libmicrohttpd jansson sqlite3 libpq libsodium libqrencode libmosquitto libxml-2.0 geos libcurl
CC        ?= cc
CFLAGS_COMMON := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
                 -g -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS      := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
CFLAGS    ?= -O2
SANFLAGS  := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRC   := $(shell find src -name '*.c' ! -path src/main.c | sort)
LIB_OBJ   := $(LIB_SRC:%.c=build/obj/%.o)
SAN_OBJ   := $(LIB_SRC:%.c=build/san/%.o)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=build/unit/%)
HDRS      := $(shell find src -name '*.h')

DB        ?= sqlite:data/yingji.db
LISTEN    ?= 127.0.0.1:8080

.PHONY: all run test deps web unit api e2e mqtt restart fuzz clean format lint demo-db bench

all: build/yingji

build/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_COMMON) $(CFLAGS) -c $< -o $@

build/san/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC san  $<"
	@$(CC) $(CFLAGS_COMMON) $(SANFLAGS) -c $< -o $@

build/yingji: $(LIB_OBJ) build/obj/src/main.o
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

build/yingji-san: $(SAN_OBJ) build/san/src/main.o
	@echo "  LD san  $@"
	@$(CC) $(SANFLAGS) -o $@ $^ $(LIBS)

build/unit/%: tests/unit/%.c tests/unit/test_util.h tests/unit/test_app.h $(SAN_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD unit $@"
	@$(CC) $(CFLAGS_COMMON) $(SANFLAGS) -Itests/unit -o $@ $< $(SAN_OBJ) $(LIBS) -lcmocka

deps:
	scripts/install-deps.sh

web/dist/index.html: $(shell find web/src web/public web/index.html web/package.json web/package-lock.json web/vite.config.js -type f 2>/dev/null)
	cd web && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build

web: web/dist/index.html

demo-db: build/yingji
	@mkdir -p data
	@if [ ! -f data/yingji.db ]; then ./build/yingji demo --db $(DB); else echo "data/yingji.db exists: keeping it (delete it to reload the demo)"; ./build/yingji demo --accounts-only --db $(DB); fi

run: deps
	$(MAKE) build/yingji web
	$(MAKE) demo-db
	./build/yingji serve --db $(DB) --listen $(LISTEN)

unit: $(UNIT_BIN)
	tests/unit/run.sh $(UNIT_BIN)

api: build/yingji build/yingji-san
	tests/api/run.sh

e2e: build/yingji web
	tests/e2e/run.sh

# Monitoring end to end: readings over MQTT through a real Mosquitto broker the test starts,
# and a server killed in the middle of an ingest stream (both backends).
mqtt: build/yingji build/yingji-san
	tests/mqtt/run.sh

restart: build/yingji build/yingji-san
	tests/restart/run.sh
	tests/restart/publish.sh

# Benchmarks (not part of `make test`): bench/nearby compares geo_nearby on SQLite and on
# PostgreSQL with PostgreSQL's own GiST KNN query (docs/performance.md).
build/bench/nearby: bench/nearby/nearby.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_COMMON) $(CFLAGS) -o $@ $< $(LIB_OBJ) $(LIBS)

bench: build/bench/nearby build/yingji
	bench/nearby/run.sh build/bench/nearby
	bench/ingest/run.sh
	bench/fanout/run.sh
	bench/fanout/enqueue.sh

# A short libFuzzer run of every parser from its seed corpus (new inputs go to build/fuzz).
FUZZ_SECONDS ?= 20
fuzz:
	$(MAKE) -C tests/fuzz
	@mkdir -p build/fuzz/corpus_csv
	build/fuzz/fuzz_csv -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 \
		build/fuzz/corpus_csv tests/fuzz/corpus_csv
	@mkdir -p build/fuzz/corpus_cjk
	build/fuzz/fuzz_cjk -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 \
		build/fuzz/corpus_cjk tests/fuzz/corpus_cjk
	@mkdir -p build/fuzz/corpus_readings
	build/fuzz/fuzz_readings -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 \
		build/fuzz/corpus_readings tests/fuzz/corpus_readings
	@mkdir -p build/fuzz/corpus_cap
	build/fuzz/fuzz_cap -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 \
		build/fuzz/corpus_cap tests/fuzz/corpus_cap
	@mkdir -p build/fuzz/corpus_callbacks
	build/fuzz/fuzz_callbacks -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 \
		build/fuzz/corpus_callbacks tests/fuzz/corpus_callbacks

test: deps
	$(MAKE) all build/yingji-san web
	$(MAKE) unit
	$(MAKE) fuzz
	$(MAKE) api
	$(MAKE) mqtt
	$(MAKE) restart
	$(MAKE) e2e

format:
	clang-format -i $(LIB_SRC) src/main.c $(HDRS) $(UNIT_SRC)

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability -Isrc src

clean:
	rm -rf build web/dist
