# cio: the two commands of the README, over CMake.
#   make demo   build and run the examples
#   make test   build and run every test
#   make bench  build and run bench/ (bench/run.sh --peers compares with ../shared/peers)
#   make docs   the reference: include/cio.h through Doxygen, into $(BUILD)/docs/html
BUILD ?= build
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps configure build demo test bench docs install clean dist

all: build

# Install the build tools with apt when they are missing (Debian 12).
deps:
	@missing=""; pkgs=""; \
	for t in cmake make cc pkg-config; do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	[ -n "$$missing" ] && pkgs="cmake make gcc libc6-dev pkg-config"; \
	[ -f /usr/include/openssl/ssl.h ] || { missing="$$missing openssl"; pkgs="$$pkgs libssl-dev"; }; \
	[ -f /usr/include/x86_64-linux-gnu/curl/curl.h ] || [ -f /usr/include/curl/curl.h ] || \
	  [ -f /usr/include/aarch64-linux-gnu/curl/curl.h ] || { missing="$$missing libcurl"; pkgs="$$pkgs libcurl4-openssl-dev"; }; \
	[ -f /usr/include/liburing.h ] || { missing="$$missing liburing"; pkgs="$$pkgs liburing-dev"; }; \
	if [ -n "$$pkgs" ]; then \
	  echo "installing build dependencies (missing:$$missing)"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$pkgs; \
	fi

configure: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

build: configure
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	bash examples/demo.sh $(BUILD)/examples

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

bench: deps
	bash bench/run.sh

# The reference: Doxygen (installed with apt when missing) renders include/cio.h
# into $(BUILD)/docs/html/index.html; any warning (an undocumented public
# symbol) fails it.
docs: deps
	@if ! command -v doxygen >/dev/null 2>&1; then \
	  echo "installing doxygen"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q doxygen; \
	fi
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) --target docs
	@echo "$(BUILD)/docs/html/index.html"

# The single-file distribution: dist/cio.c and dist/cio.h.
dist:
	python3 scripts/amalgamate.py dist

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) build-*
