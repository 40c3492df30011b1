# firehose: the two commands a newcomer needs, and a few more.
#   make demo   build, run ingestd on a DPDK virtual device, watch records arrive
#   make test   every test, then the non-DPDK tests again under ASan + UBSan
# Both first install the Debian packages the project needs (tools/bootstrap.sh).

BAZEL ?= bazel

.PHONY: all bootstrap build test test-fast fuzz demo bench release deb clean

all: build

bootstrap:
	@tools/bootstrap.sh

build: bootstrap
	$(BAZEL) build //...

test: bootstrap
	@tools/run_tests.sh

# Each decoder's libFuzzer target for FUZZ_SECONDS (default 300) each; `make test` runs
# them for 20 s each. Crashes are saved under build/fuzz/artifacts/.
FUZZ_SECONDS ?= 300
fuzz: bootstrap
	@tools/fuzz.sh $(FUZZ_SECONDS)

# The default configuration only, without the sanitizer pass.
test-fast: bootstrap
	$(BAZEL) test //...

demo: bootstrap
	@tools/demo.sh

# A benchmark, not a test: see tools/bench/bench.py and docs/benchmarks.md.
bench: bootstrap
	@tools/bench/bench.py

release: bootstrap
	$(BAZEL) build --config=release //node:ingestd //controlplane/ingestctl

# Debian package of the release binaries, units and default config (tools/make_deb.sh,
# docs/packaging.md): build/deb/firehose_<version>_amd64.deb. DEB_FLAGS=--without-relay
# packages the node without the relay.
deb: bootstrap
	@tools/make_deb.sh $(DEB_FLAGS)

clean:
	$(BAZEL) clean
	rm -rf build
