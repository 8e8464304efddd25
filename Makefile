# sipha — the front door. Every target works as root on a fresh Debian 12 machine.
#   make deps    install what the build, tests and benchmarks need (apt-get)
#   make         Release build, binaries in build/bin/
#   make test    every suite through CTest (unit + integration)
#   make asan    the tests under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)
#   make fuzz    build the libFuzzer targets with clang and run each FUZZ_SECONDS (build-fuzz/)
#   make bench   benchmarks against Kamailio, figures printed
#   make bench-failover  failover outage per fault vs keepalived, false-failover soak (~20 min)
#   make run     run the appliance pair on this machine (namespaces, BIG-IP stand-in; README)
#   make drill   the fault matrix on the pair lab alone, its table printed
#   make run-single  one standalone sipd with the demo configuration on loopback
#   make image   the bootable appliance disk image, build/image/sipha-<version>-x86_64.img
#   make image-test       boot it under qemu and check it (in CI)
#   make image-test-full  reboot persistence, tamper, Secure Boot, lynis (15-25 min, not in CI)
#   make format / format-check

JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60
DEPS_STAMP := build/.deps-installed
PACKAGES := build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev clang-format \
	libpoco-dev libsystemd-dev libssl-dev libsqlite3-dev sqlite3 libboost-test-dev \
	libnl-3-dev libnl-route-3-dev libnftables-dev libc-ares-dev \
	dbus-daemon dbus-bin systemd python3 python3-pytest openssl iproute2 procps util-linux \
	sip-tester sipsak kamailio kamailio-sqlite-modules tcpdump nftables iputils-ping \
	mmdebstrap erofs-utils cryptsetup-bin dosfstools mtools faketime fdisk binutils \
	qemu-system-x86 ovmf sbsigntool lynis conntrack baresip-core linphone-cli \
	keepalived stress-ng

.PHONY: all deps build test asan fuzz bench bench-failover run run-single drill format format-check clean image image-test image-test-full

all: build

$(DEPS_STAMP):
	@if [ "$$(id -u)" != 0 ]; then echo "make deps needs root (apt-get)"; exit 1; fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(PACKAGES)
	mkdir -p build && touch $(DEPS_STAMP)

deps:
	rm -f $(DEPS_STAMP)
	$(MAKE) $(DEPS_STAMP)

build: $(DEPS_STAMP)
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build build -j$(JOBS)

test: build
	ctest --test-dir build --output-on-failure --timeout 900

asan: $(DEPS_STAMP)
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSIPHA_SANITIZE=ON
	cmake --build build-asan -j$(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir build-asan --output-on-failure --timeout 1200

fuzz: $(DEPS_STAMP)
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIPHA_FUZZ=ON
	cmake --build build-fuzz -j$(JOBS) --target sip_parser_fuzz stream_framer_fuzz replication_frame_fuzz dns_answer_fuzz \
		heartbeat_receiver_fuzz
	mkdir -p build-fuzz/corpus build-fuzz/corpus-framer build-fuzz/corpus-replication build-fuzz/corpus-dns \
		build-fuzz/corpus-heartbeat
	cp tests/data/torture/valid/*.sip tests/data/torture/invalid/*.sip build-fuzz/corpus/
	cp tests/data/torture/valid/*.sip tests/data/torture/invalid/*.sip build-fuzz/corpus-framer/
	cp tests/fuzz/seeds/replication_frame/*.bin build-fuzz/corpus-replication/
	cp tests/fuzz/seeds/heartbeat/*.bin build-fuzz/corpus-heartbeat/
	build-fuzz/bin/sip_parser_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
		-artifact_prefix=build-fuzz/sip_parser- build-fuzz/corpus
	build-fuzz/bin/stream_framer_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
		-artifact_prefix=build-fuzz/stream_framer- build-fuzz/corpus-framer
	build-fuzz/bin/replication_frame_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
		-artifact_prefix=build-fuzz/replication_frame- build-fuzz/corpus-replication
	build-fuzz/bin/dns_answer_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		-artifact_prefix=build-fuzz/dns_answer- build-fuzz/corpus-dns
	build-fuzz/bin/heartbeat_receiver_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=512 \
		-artifact_prefix=build-fuzz/heartbeat_receiver- build-fuzz/corpus-heartbeat

bench: build
	bench/run.sh build/bin/sipd

# Client-observed outage per fault, sipha vs keepalived (VRRP, advert 1 s and 0.1 s) in the same
# namespaces and run, and a 10-minute false-failover soak under stress-ng (~20 min in all;
# docs/benchmarks-failover.md). FAILOVER_ARGS passes options (e.g. --runs 3).
FAILOVER_ARGS ?=
bench-failover: build
	bench/failover.sh build/bin $(FAILOVER_ARGS)

RUN_ARGS ?=
run: build
	tools/run-pair.sh build/bin $(RUN_ARGS)

run-single: build
	tools/run-demo.sh build/bin/sipd

drill: build
	SIPD=$(CURDIR)/build/bin/sipd SIPHA_AGENT=$(CURDIR)/build/bin/sipha-agent \
	SIPHA_TEST_DATA_DIR=$(CURDIR)/tests/data PYTHONDONTWRITEBYTECODE=1 \
		/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration/test_fault_matrix.py

image: build
	image/build.sh build build/bin/sipd build/bin/sipha-netcfg build/bin/sipha-agent build/bin/siphactl

image-test: image
	tests/image/boot_test.sh

image-test-full: image
	tests/image/full_test.sh

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

format-check:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

clean:
	rm -rf build build-asan build-fuzz
