# Flowgate: `make run` serves on the embedded SQLite; `make test` installs and starts what the
# tests need, then runs them; `make bench` measures.
SWIFT ?= swift
DATA_DIR ?= ./.flowgate
PORT ?= 8080

.PHONY: build run test bench clean

build:
	./scripts/deps.sh
	$(SWIFT) build

run: build
	$(SWIFT) run flowgate serve --port $(PORT) --data-dir $(DATA_DIR)

test:
	./scripts/test.sh

bench:
	./scripts/bench.sh

clean:
	rm -rf .build
