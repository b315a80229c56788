# cio: the two commands of the README, over CMake.
#   make demo   build and run the examples
#   make test   build and run every test
#   make bench  build and run bench/ (bench/run.sh --peers compares with ../shared/peers)
BUILD ?= build
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps configure build demo test bench install clean

all: build

# Install the build tools with apt when they are missing (Debian 12).
deps:
	@missing=""; \
	for t in cmake make cc pkg-config; do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing build tools (missing:$$missing)"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q cmake make gcc libc6-dev pkg-config; \
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

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) build-*
