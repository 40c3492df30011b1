// Tests for the first half of loading ingestd's config, the YAML reader: every field
// read, every default kept, and every key, shape and range error naming the file and
// field path, since operators fix configs from those messages alone. Each error case
// is checked through ParseIngestConfig and through ReadIngestConfig alone, so a rule
// that moves between the reader and the validator shows up here.
#include "node/config/ingest_config_reader.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/config/ingest_config.h"
#include "node/config/ingest_config_test_cases.h"

namespace firehose::config {
namespace {

using ::firehose::config::test_cases::ErrorCase;
using ::firehose::config::test_cases::ExpectRejectedBy;
using ::firehose::config::test_cases::kMinimal;
using ::firehose::config::test_cases::Minimal;
using ::firehose::config::test_cases::Pass;
using ::firehose::config::test_cases::Ports;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(IngestConfigReaderTest, FullConfigReadsEveryField) {
  constexpr char kFull[] = R"yaml(
node_id: node-b.dc1_x
eal:
  args: ["--in-memory", "--log-level=8"]
  file_prefix: fh2
ports:
  - device: "0000:3B:00.0"
    rx_queues: 2
    rx_descriptors: 2048
  - device: "net_pcap0,rx_pcap=/tmp/a.pcap"
lcores:
  main: 2
  workers: [4, 5, 6]
decoders:
  8125: statsd
  "2055": netflow
batch:
  max_records: 100
  max_bytes: 65536
  max_delay_us: 250
handoff_ring_batches: 128
mempool:
  mbufs_per_queue: 16383
  cache: 128
grpc:
  listen: "[::]:6000"
  subscriber_queue_batches: 32
  subscriber_queue_bytes: 8388608
  slow_subscriber: disconnect
  replay_bytes: 1048576
  heartbeat_ms: 250
  tls: {cert: /etc/fh/node.crt, key: /etc/fh/node.key, client_ca: /etc/fh/ca.crt}
  tokens:
    - {name: relay, token_file: /etc/fh/relay.token}
    - {name: flows-only, token_file: /etc/fh/flows.token, kinds: [flow]}
  epoch_file: /var/lib/firehose/epoch
metrics:
  listen: ""
)yaml";
  absl::StatusOr<IngestConfig> config = ParseIngestConfig(kFull, "full.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->node_id, "node-b.dc1_x");
  EXPECT_THAT(config->eal_args, ElementsAre("--in-memory", "--log-level=8"));
  EXPECT_EQ(config->file_prefix, "fh2");
  ASSERT_EQ(config->ports.size(), 2u);
  EXPECT_EQ(config->ports[0].device, "0000:3B:00.0");
  EXPECT_EQ(config->ports[0].rx_queues, 2);
  EXPECT_EQ(config->ports[0].rx_descriptors, 2048);
  EXPECT_EQ(config->ports[1].device, "net_pcap0,rx_pcap=/tmp/a.pcap");
  EXPECT_EQ(config->ports[1].rx_queues, 1);
  EXPECT_EQ(config->ports[1].rx_descriptors, 1024);
  EXPECT_EQ(config->main_lcore, 2u);
  EXPECT_THAT(config->worker_lcores, ElementsAre(4u, 5u, 6u));
  EXPECT_THAT(config->udp_decoders, ElementsAre(Pair(2055, "netflow"), Pair(8125, "statsd")));
  EXPECT_EQ(config->batch.max_records, 100u);
  EXPECT_EQ(config->batch.max_bytes, 65536u);
  EXPECT_EQ(config->batch.max_delay_us, 250u);
  EXPECT_EQ(config->handoff_ring_batches, 128u);
  EXPECT_EQ(config->mbufs_per_queue, 16383u);
  EXPECT_EQ(config->mbuf_cache, 128u);
  EXPECT_EQ(config->grpc_listen, "[::]:6000");
  EXPECT_EQ(config->subscriber_queue_batches, 32u);
  EXPECT_EQ(config->subscriber_queue_bytes, 8388608u);
  EXPECT_EQ(config->slow_subscriber, "disconnect");
  EXPECT_EQ(config->replay_bytes, 1048576u);
  EXPECT_EQ(config->heartbeat_ms, 250u);
  EXPECT_EQ(config->grpc_tls.cert, "/etc/fh/node.crt");
  EXPECT_EQ(config->grpc_tls.key, "/etc/fh/node.key");
  EXPECT_EQ(config->grpc_tls.client_ca, "/etc/fh/ca.crt");
  ASSERT_EQ(config->grpc_tokens.size(), 2u);
  EXPECT_EQ(config->grpc_tokens[0].name, "relay");
  EXPECT_TRUE(config->grpc_tokens[0].kinds.empty());
  EXPECT_THAT(config->grpc_tokens[1].kinds, ElementsAre("flow"));
  EXPECT_EQ(config->epoch_file, "/var/lib/firehose/epoch");
  EXPECT_EQ(config->metrics_listen, "");  // disabled
}

TEST(IngestConfigReaderTest, MinimalConfigGetsDefaults) {
  absl::StatusOr<IngestConfig> config = ParseIngestConfig(kMinimal, "min.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->node_id, "demo");
  EXPECT_TRUE(config->eal_args.empty());
  EXPECT_EQ(config->file_prefix, "firehose");
  ASSERT_EQ(config->ports.size(), 1u);
  EXPECT_EQ(config->ports[0].device, "net_null0");
  EXPECT_EQ(config->ports[0].rx_queues, 1);
  EXPECT_EQ(config->ports[0].rx_descriptors, 1024);
  EXPECT_EQ(config->main_lcore, 0u);
  EXPECT_THAT(config->worker_lcores, ElementsAre(1u));
  EXPECT_THAT(config->udp_decoders, ElementsAre(Pair(8125, "statsd")));
  EXPECT_EQ(config->batch.max_records, 4096u);
  EXPECT_EQ(config->batch.max_bytes, 256u * 1024);
  EXPECT_EQ(config->batch.max_delay_us, 1000u);
  EXPECT_EQ(config->handoff_ring_batches, 64u);
  EXPECT_EQ(config->mbufs_per_queue, 8191u);
  EXPECT_EQ(config->mbuf_cache, 256u);
  EXPECT_EQ(config->grpc_listen, "127.0.0.1:50051");
  EXPECT_EQ(config->subscriber_queue_batches, 256u);
  EXPECT_EQ(config->subscriber_queue_bytes, 64u << 20);
  EXPECT_EQ(config->metrics_listen, "127.0.0.1:9100");
}

TEST(IngestConfigReaderTest, EmptySectionsKeepDefaults) {
  absl::StatusOr<IngestConfig> config =
      ParseIngestConfig(Minimal("eal:\nbatch:\nmempool: {}\ngrpc:\nmetrics:\n"), "x.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->batch.max_records, 4096u);
  EXPECT_EQ(config->metrics_listen, "127.0.0.1:9100");
}

TEST(IngestConfigReaderTest, DecodersReplaceTheDefault) {
  absl::StatusOr<IngestConfig> config =
      ParseIngestConfig(Minimal("decoders:\n  9999: influx\n"), "demo.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->udp_decoders, ElementsAre(Pair(9999, "influx")));
}

TEST(IngestConfigReaderTest, ReadsWithoutJudgingValuesTheValidatorOwns) {
  // An empty node_id, no ports and a worker on the main lcore are the validator's to
  // reject; the reader hands them over as written.
  IngestConfig config;
  ASSERT_TRUE(ReadIngestConfig("node_id: \"\"\nports: []\nlcores: {main: 1, workers: [1]}\n",
                               "r.yaml", &config)
                  .ok());
  EXPECT_EQ(config.node_id, "");
  EXPECT_TRUE(config.ports.empty());
  EXPECT_EQ(config.main_lcore, 1u);
  EXPECT_THAT(config.worker_lcores, ElementsAre(1u));
  EXPECT_FALSE(ValidateIngestConfig(config, "r.yaml").ok());
}

TEST(IngestConfigReaderTest, FieldsTheTextLeavesOutKeepTheirValue) {
  IngestConfig config;
  config.batch.max_records = 7;
  config.grpc_listen = "127.0.0.1:1";
  ASSERT_TRUE(ReadIngestConfig(Minimal("batch: {max_bytes: 2048}\n"), "r.yaml", &config).ok());
  EXPECT_EQ(config.batch.max_records, 7u);
  EXPECT_EQ(config.batch.max_bytes, 2048u);
  EXPECT_EQ(config.grpc_listen, "127.0.0.1:1");
}

TEST(IngestConfigReaderTest, SyntaxErrorReportsLineAndColumn) {
  constexpr char kBroken[] =
      "node_id: demo\n"
      "ports:\n"
      "  - device: [net_null0\n"
      "batch: {max_records: 1}\n";
  absl::StatusOr<IngestConfig> config = ParseIngestConfig(kBroken, "demo.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  // yaml-cpp notices the unclosed "[" where the next line starts.
  EXPECT_THAT(config.status().message(), HasSubstr("demo.yaml:4:6: YAML syntax error: "));
}

TEST(IngestConfigReaderTest, SyntaxErrorOnBadIndentation) {
  constexpr char kBroken[] =
      "node_id: demo\n"
      "ports:\n"
      "  - device: net_null0\n"
      " bad: indentation: here\n";
  absl::StatusOr<IngestConfig> config = ParseIngestConfig(kBroken, "demo.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("demo.yaml:4:2: YAML syntax error: "));
}

TEST(IngestConfigReaderTest, UnknownTopLevelKeySuggestsTheNearestField) {
  absl::StatusOr<IngestConfig> config =
      ParseIngestConfig(Minimal("bach:\n  max_records: 5\n"), "demo.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            "demo.yaml: unknown field \"bach\" (did you mean \"batch\"?)");
}

TEST(IngestConfigReaderTest, UnknownNestedKeysAreRejectedWithTheirPath) {
  struct Case {
    std::string yaml;
    std::string message;
  };
  const Case cases[] = {
      {Minimal("batch:\n  max_record: 5\n"),
       "demo.yaml: batch: unknown field \"max_record\" (did you mean \"max_records\"?)"},
      {Minimal("eal:\n  file-prefix: x\n"),
       "demo.yaml: eal: unknown field \"file-prefix\" (did you mean \"file_prefix\"?)"},
      {"node_id: demo\nports:\n  - device: net_null0\n    rx_queue: 2\n",
       "demo.yaml: ports[0]: unknown field \"rx_queue\" (did you mean \"rx_queues\"?)"},
      {Minimal("lcores: {main: 0, worker: [1]}\n"),
       "demo.yaml: lcores: unknown field \"worker\" (did you mean \"workers\"?)"},
      {Minimal("mempool: {size: 5}\n"),
       "demo.yaml: mempool: unknown field \"size\" (expected one of: mbufs_per_queue, "
       "cache)"},
      {Minimal("grpc: {listen: \"a:1\", tsl: true}\n"),
       "demo.yaml: grpc: unknown field \"tsl\" (did you mean \"tls\"?)"},
      {Minimal("metrics: {Listen: \"a:1\"}\n"),
       "demo.yaml: metrics: unknown field \"Listen\" (did you mean \"listen\"?)"},
      {Minimal("colour: blue\n"), "demo.yaml: unknown field \"colour\" (expected one of: "},
  };
  for (const Case& c : cases) {
    absl::StatusOr<IngestConfig> config = ParseIngestConfig(c.yaml, "demo.yaml");
    ASSERT_FALSE(config.ok()) << c.yaml;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(config.status().message(), HasSubstr(c.message)) << c.yaml;
  }
}

class ReaderErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ReaderErrorTest, NamesFileFieldAndProblem) { ExpectRejectedBy(Pass::kReader, GetParam()); }

INSTANTIATE_TEST_SUITE_P(
    AllRules, ReaderErrorTest,
    ::testing::Values(
        // The document and node_id.
        ErrorCase{"ListDocument", "- a\n- b\n",
                  "demo.yaml: the document must be a map of fields, got a list"},
        ErrorCase{"EmptyDocument", "", "demo.yaml: node_id: required field is missing"},
        ErrorCase{"TwoDocuments", absl::StrCat(kMinimal, "---\n", kMinimal),
                  "demo.yaml: holds 2 YAML documents"},
        ErrorCase{"DuplicateKey", Minimal("node_id: other\n"),
                  "demo.yaml: field \"node_id\" is given twice"},
        ErrorCase{"MissingNodeId", "ports:\n  - device: net_null0\n",
                  "demo.yaml: node_id: required field is missing"},
        ErrorCase{"NodeIdList", "node_id: [a]\nports:\n  - device: net_null0\n",
                  "demo.yaml: node_id: must be a string, got a list"},
        // eal.
        ErrorCase{"EalArgsNotList", Minimal("eal: {args: --no-huge}\n"),
                  "demo.yaml: eal.args: must be a list of strings, got a scalar"},
        ErrorCase{"EalArgNotString", Minimal("eal: {args: [\"-m\", [1]]}\n"),
                  "demo.yaml: eal.args[1]: must be a string, got a list"},
        ErrorCase{"EalNotMap", Minimal("eal: [1]\n"),
                  "demo.yaml: eal: must be a map of fields, got a list"},
        // ports.
        ErrorCase{"MissingPorts", "node_id: demo\n", "demo.yaml: ports: required field is missing"},
        ErrorCase{"PortsNotList", "node_id: demo\nports: {device: net_null0}\n",
                  "demo.yaml: ports: must be a list of ports, got a map"},
        ErrorCase{"PortNull", "node_id: demo\nports:\n  -\n",
                  "demo.yaml: ports[0]: must be a map of fields, got nothing"},
        ErrorCase{"PortWithoutDevice", "node_id: demo\nports:\n  - rx_queues: 1\n",
                  "demo.yaml: ports[0].device: required field is missing"},
        ErrorCase{"RxQueuesZero", Ports("    rx_queues: 0\n"),
                  "demo.yaml: ports[0].rx_queues: must be between 1 and 64, got 0"},
        ErrorCase{"RxQueuesTooMany", Ports("    rx_queues: 65\n"),
                  "demo.yaml: ports[0].rx_queues: must be between 1 and 64, got 65"},
        ErrorCase{"RxQueuesHuge", Ports("    rx_queues: 99999999999999999999999\n"),
                  "demo.yaml: ports[0].rx_queues: must be between 1 and 64, got "
                  "99999999999999999999999"},
        ErrorCase{"RxQueuesNegative", Ports("    rx_queues: -1\n"),
                  "demo.yaml: ports[0].rx_queues: must be between 1 and 64, got -1"},
        ErrorCase{"RxQueuesText", Ports("    rx_queues: two\n"),
                  "demo.yaml: ports[0].rx_queues: must be an integer, got \"two\""},
        ErrorCase{"RxQueuesFloat", Ports("    rx_queues: 1.5\n"),
                  "demo.yaml: ports[0].rx_queues: must be an integer, got \"1.5\""},
        ErrorCase{"RxQueuesList", Ports("    rx_queues: [1]\n"),
                  "demo.yaml: ports[0].rx_queues: must be an integer, got a list"},
        ErrorCase{"RxDescriptorsNotPowerOfTwo", Ports("    rx_descriptors: 1000\n"),
                  "demo.yaml: ports[0].rx_descriptors: must be a power of two between 64 and "
                  "16384, got 1000"},
        ErrorCase{"RxDescriptorsTooSmall", Ports("    rx_descriptors: 32\n"),
                  "demo.yaml: ports[0].rx_descriptors: must be a power of two between 64 and "
                  "16384, got 32"},
        ErrorCase{"RxDescriptorsTooLarge", Ports("    rx_descriptors: 32768\n"),
                  "demo.yaml: ports[0].rx_descriptors: must be a power of two between 64 and "
                  "16384, got 32768"},
        // lcores.
        ErrorCase{"MainLcoreTooLarge", Minimal("lcores: {main: 128}\n"),
                  "demo.yaml: lcores.main: must be between 0 and 127, got 128"},
        ErrorCase{"WorkerLcoreTooLarge", Minimal("lcores: {workers: [300]}\n"),
                  "demo.yaml: lcores.workers[0]: must be between 0 and 127, got 300"},
        ErrorCase{"WorkersNotList", Minimal("lcores: {workers: 1}\n"),
                  "demo.yaml: lcores.workers: must be a list of lcore ids, got a scalar"},
        // decoders.
        ErrorCase{"DecoderPortNotNumber", Minimal("decoders:\n  80x: statsd\n"),
                  "demo.yaml: decoders.80x: not a UDP port number"},
        ErrorCase{"DecoderPortZero", Minimal("decoders:\n  0: statsd\n"),
                  "demo.yaml: decoders.0: not a UDP port number"},
        ErrorCase{"DecoderPortTooLarge", Minimal("decoders:\n  65536: statsd\n"),
                  "demo.yaml: decoders.65536: not a UDP port number"},
        ErrorCase{"DecoderPortNegative", Minimal("decoders:\n  -5: statsd\n"),
                  "demo.yaml: decoders.-5: not a UDP port number"},
        ErrorCase{"DecoderPortTwice", Minimal("decoders:\n  8125: statsd\n  08125: influx\n"),
                  "demo.yaml: decoders.08125: UDP port 8125 is given twice"},
        ErrorCase{"DecoderNameMissing", Minimal("decoders:\n  8125:\n"),
                  "demo.yaml: decoders.8125: must be a string, got nothing"},
        ErrorCase{"DecodersList", Minimal("decoders: [statsd]\n"),
                  "demo.yaml: decoders: must be a map of UDP port to decoder name, got a list"},
        // batch.
        ErrorCase{"MaxRecordsZero", Minimal("batch:\n  max_records: 0\n"),
                  "demo.yaml: batch.max_records: must be between 1 and 1048576, got 0"},
        ErrorCase{"MaxRecordsTooLarge", Minimal("batch:\n  max_records: 1048577\n"),
                  "demo.yaml: batch.max_records: must be between 1 and 1048576, got 1048577"},
        ErrorCase{"MaxBytesTooSmall", Minimal("batch:\n  max_bytes: 100\n"),
                  "demo.yaml: batch.max_bytes: must be between 1024 and 4194304, got 100"},
        ErrorCase{"MaxBytesTooLarge", Minimal("batch:\n  max_bytes: 8388608\n"),
                  "demo.yaml: batch.max_bytes: must be between 1024 and 4194304, got 8388608"},
        ErrorCase{"MaxDelayZero", Minimal("batch:\n  max_delay_us: 0\n"),
                  "demo.yaml: batch.max_delay_us: must be between 1 and 1000000, got 0"},
        ErrorCase{"BatchNotMap", Minimal("batch: 5\n"),
                  "demo.yaml: batch: must be a map of fields, got a scalar"},
        // handoff ring.
        ErrorCase{"RingNotPowerOfTwo", Minimal("handoff_ring_batches: 100\n"),
                  "demo.yaml: handoff_ring_batches: must be a power of two between 2 and "
                  "65536, got 100"},
        ErrorCase{"RingTooSmall", Minimal("handoff_ring_batches: 1\n"),
                  "demo.yaml: handoff_ring_batches: must be a power of two between 2 and "
                  "65536, got 1"},
        ErrorCase{"RingTooLarge", Minimal("handoff_ring_batches: 131072\n"),
                  "demo.yaml: handoff_ring_batches: must be a power of two between 2 and "
                  "65536, got 131072"},
        // mempool.
        ErrorCase{"MbufsTooFew", Minimal("mempool: {mbufs_per_queue: 1022}\n"),
                  "demo.yaml: mempool.mbufs_per_queue: must be between 1023 and 16777215, got "
                  "1022"},
        ErrorCase{"CacheTooLarge", Minimal("mempool: {cache: 513}\n"),
                  "demo.yaml: mempool.cache: must be between 0 and 512, got 513"},
        // grpc and metrics.
        ErrorCase{"SubscriberQueueZero", Minimal("grpc: {subscriber_queue_batches: 0}\n"),
                  "demo.yaml: grpc.subscriber_queue_batches: must be between 1 and 65536, "
                  "got 0"},
        ErrorCase{"SubscriberQueueBytesTooSmall", Minimal("grpc: {subscriber_queue_bytes: 4096}\n"),
                  "demo.yaml: grpc.subscriber_queue_bytes: must be between 65536 and "
                  "17179869184, got 4096"},
        ErrorCase{"InsecureNotBool", Minimal("grpc: {insecure: yes please}\n"),
                  "demo.yaml: grpc.insecure: must be true or false"},
        ErrorCase{"HeartbeatTooFast", Minimal("grpc: {heartbeat_ms: 1}\n"),
                  "demo.yaml: grpc.heartbeat_ms: must be between 100 and 60000, got 1"},
        ErrorCase{"TokenUnknownField",
                  Minimal("grpc: {tokens: [{name: a, token_file: t, secret: x}]}\n"),
                  "demo.yaml: grpc.tokens[0]"}),
    test_cases::CaseName);

TEST(PortNetConfigTest, AddressesTakeBothFamiliesAndChecksumIsOptIn) {
  absl::StatusOr<IngestConfig> config = ParseIngestConfig(
      "node_id: demo\nports:\n  - device: net_null0\n    addresses: [192.0.2.10, "
      "\"2001:db8::10\"]\n    validate_udp_checksum: true\n",
      "demo.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->ports[0].addresses, ElementsAre("192.0.2.10", "2001:db8::10"));
  EXPECT_TRUE(config->ports[0].validate_udp_checksum);
  absl::StatusOr<IngestConfig> defaults = ParseIngestConfig(kMinimal, "demo.yaml");
  ASSERT_TRUE(defaults.ok());
  EXPECT_FALSE(defaults->ports[0].validate_udp_checksum);
}

TEST(PortNetConfigTest, BadAddressOrChecksumFlagNamesFileAndField) {
  absl::StatusOr<IngestConfig> address = ParseIngestConfig(
      "node_id: demo\nports:\n  - device: net_null0\n    addresses: [\"2001:db8::zz\"]\n",
      "demo.yaml");
  ASSERT_FALSE(address.ok());
  EXPECT_THAT(address.status().message(), HasSubstr("demo.yaml"));
  EXPECT_THAT(address.status().message(), HasSubstr("ports[0].addresses[0]"));
  EXPECT_THAT(address.status().message(), HasSubstr("not an IPv4 or IPv6 address"));
  absl::StatusOr<IngestConfig> flag = ParseIngestConfig(
      "node_id: demo\nports:\n  - device: net_null0\n    validate_udp_checksum: yes\n",
      "demo.yaml");
  ASSERT_FALSE(flag.ok());
  EXPECT_THAT(flag.status().message(), HasSubstr("ports[0].validate_udp_checksum"));
  EXPECT_THAT(flag.status().message(), HasSubstr("true or false"));
}

TEST(KernelBackendConfigTest, KernelBackendNeedsNoPorts) {
  absl::StatusOr<IngestConfig> config = ParseIngestConfig(
      "node_id: k\nbackend: kernel\nkernel:\n  bind_address: 127.0.0.1\n  workers: 2\n"
      "  rcvbuf_bytes: 1048576\n  recv_batch: 32\n  coalesce_us: 0\n",
      "k.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->backend, IngestConfig::Backend::kKernel);
  EXPECT_EQ(config->kernel.bind_address, "127.0.0.1");
  EXPECT_EQ(config->kernel.workers, 2u);
  EXPECT_EQ(config->kernel.rcvbuf_bytes, 1048576u);
  EXPECT_EQ(config->kernel.recv_batch, 32u);
  EXPECT_EQ(config->kernel.coalesce_us, 0u);
  EXPECT_TRUE(config->ports.empty());
}

TEST(KernelBackendConfigTest, ErrorsNameFileAndField) {
  absl::StatusOr<IngestConfig> bad_backend =
      ParseIngestConfig("node_id: k\nbackend: xdp\n", "k.yaml");
  ASSERT_FALSE(bad_backend.ok());
  EXPECT_THAT(std::string(bad_backend.status().message()),
              ::testing::HasSubstr("k.yaml: backend: must be \"dpdk\" or \"kernel\""));
  absl::StatusOr<IngestConfig> bad_workers =
      ParseIngestConfig("node_id: k\nbackend: kernel\nkernel:\n  workers: 0\n", "k.yaml");
  ASSERT_FALSE(bad_workers.ok());
  EXPECT_THAT(std::string(bad_workers.status().message()),
              ::testing::HasSubstr("k.yaml: kernel.workers"));
  absl::StatusOr<IngestConfig> bad_coalesce =
      ParseIngestConfig("node_id: k\nbackend: kernel\nkernel:\n  coalesce_us: 5000\n", "k.yaml");
  ASSERT_FALSE(bad_coalesce.ok());
  EXPECT_THAT(std::string(bad_coalesce.status().message()),
              ::testing::HasSubstr("k.yaml: kernel.coalesce_us"));
  absl::StatusOr<IngestConfig> no_ports = ParseIngestConfig("node_id: k\n", "k.yaml");
  ASSERT_FALSE(no_ports.ok());
  EXPECT_THAT(std::string(no_ports.status().message()), ::testing::HasSubstr("ports"));
}

}  // namespace
}  // namespace firehose::config
