#!/usr/bin/env bash
# Installs the Debian packages firehose needs to build, test and demo.
# Idempotent: when every package is present it prints nothing and exits 0.
set -euo pipefail

PACKAGES=(
  # Build
  bazel-bootstrap pkg-config g++ clang libclang-rt-14-dev
  protobuf-compiler libprotobuf-dev protobuf-compiler-grpc libgrpc++-dev libgrpc-dev
  libabsl-dev libyaml-cpp-dev libcli11-dev prometheus-cpp-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # Data path
  dpdk dpdk-dev libdpdk-dev libpcap-dev libnuma-dev
  # Tests and demo
  python3-grpcio python3-protobuf prometheus iproute2 procps curl
  # Decoder interop tests: real NetFlow/IPFIX exporters and collectors, a statsd client
  softflowd nfdump pmacct python3-statsd
  # Control plane: etcd for the election (tests run it on loopback) and the v3 API
  # .proto files its C++ client is generated from
  etcd-server golang-etcd-server-dev
  # Subscription security tests make throwaway CAs and certificates at test time
  openssl
  # Node bring-up (ansible/): Ansible and its linters; the playbook test runs it against a
  # debootstrapped Debian chroot, cached as a zstd tarball
  ansible ansible-lint yamllint debootstrap zstd
  # Helm chart tests: Go text/template + sprig renderer (GOPATH mode), schema validator, YAML lint,
  # node for npm's kubernetes-models (this machine's nodejs bundles npm; on stock Debian add npm)
  golang-go golang-github-masterminds-sprig-dev golang-github-xeipuuv-gojsonschema-dev golang-k8s-sigs-yaml-dev yamllint nodejs
  # Packaging (make deb) and the systemd units: sd_notify, dpkg-deb/dpkg-shlibdeps, systemd-analyze
  libsystemd-dev dpkg-dev systemd
  # l2_citizenship_test checks the node's ARP/ICMP/ICMPv6/NDP answers with an independent parser
  python3-scapy
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "bootstrap: installing ${missing[*]}" >&2
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
