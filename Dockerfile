# The firehose relay image (helm/firehose-relay deploys it; docs/helm.md).
#
#   docker build -t firehose-relay:0.1.0 .
#
# Stage 1 builds //relay:relay with Bazel from Debian's packages, offline like the repository's
# own build (.bazelrc). Stage 2 is bookworm-slim with only the shared libraries the binary links
# (tests/helm/dockerfile_test.sh checks this list against ldd of the built relay), running as
# uid 10001. No container engine runs on the development machines: this file is kept honest by
# that test, not by a build here.

FROM debian:bookworm AS build
# The Build packages of tools/bootstrap.sh that //relay:relay needs (no DPDK: the relay has none).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      bazel-bootstrap pkg-config g++ \
      protobuf-compiler libprotobuf-dev protobuf-compiler-grpc libgrpc++-dev libgrpc-dev \
      libabsl-dev libyaml-cpp-dev prometheus-cpp-dev libspdlog-dev libfmt-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# No sandboxing inside an unprivileged image build (no user namespaces there).
RUN bazel build --config=release --spawn_strategy=standalone //relay:relay \
 && install -D -m 0755 "$(bazel info --config=release bazel-bin)/relay/relay" /out/firehose-relay \
 && strip --strip-unneeded /out/firehose-relay \
 && bazel shutdown

FROM debian:bookworm-slim
# Shared libraries of firehose-relay (ldd), beyond libc6/libstdc++6/libgcc-s1/zlib1g of the base.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libabsl20220623 libc-ares2 libcivetweb1 libfmt9 libgrpc++1.51 libgrpc29 \
      libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 libprotobuf32 libre2-9 \
      libspdlog1.10 libssl3 libyaml-cpp0.7 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 firehose \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin firehose \
 && install -d -o root -g 10001 -m 0750 /etc/firehose-relay
COPY --from=build /out/firehose-relay /usr/bin/firehose-relay
# The chart mounts relay.yaml here from its ConfigMap (relay_config.md has the keys).
USER 10001:10001
# 7070: Subscribe API and gRPC health; 9102: Prometheus /metrics; 8081: the plaintext
# health-only port the chart turns on with server TLS (health.listen).
EXPOSE 7070 9102 8081
ENTRYPOINT ["/usr/bin/firehose-relay"]
CMD ["--config=/etc/firehose-relay/relay.yaml"]
