// Tests for the second half of loading ingestd's config, ValidateIngestConfig: every
// value and cross-field rule, on structs built in code and on files, with messages
// naming the file and field path. Each file case is checked to pass the reader, so the
// rule it breaks really is the validator's.
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
using ::firehose::config::test_cases::Minimal;
using ::firehose::config::test_cases::Pass;
using ::firehose::config::test_cases::Ports;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(IngestConfigValidatorTest, DefaultStructValidatesOnceRequiredFieldsAreSet) {
  IngestConfig config;
  EXPECT_THAT(ValidateIngestConfig(config, "code").message(), HasSubstr("code: node_id: required"));
  config.node_id = "n1";
  EXPECT_THAT(ValidateIngestConfig(config, "code").message(),
              HasSubstr("code: ports: at least one port is required"));
  config.ports.push_back(PortConfig{.device = "net_ring0"});
  EXPECT_TRUE(ValidateIngestConfig(config, "code").ok());
  config.batch.max_records = 0;
  EXPECT_EQ(ValidateIngestConfig(config, "code").message(),
            "code: batch.max_records: must be between 1 and 1048576, got 0");
}

class ValidationErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ValidationErrorTest, NamesFileFieldAndProblem) {
  ExpectRejectedBy(Pass::kValidator, GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    AllRules, ValidationErrorTest,
    ::testing::Values(
        // node_id.
        ErrorCase{"EmptyNodeId", "node_id: \"\"\nports:\n  - device: net_null0\n",
                  "demo.yaml: node_id: required field is missing or empty"},
        ErrorCase{"BadNodeId", "node_id: \"node a\"\nports:\n  - device: net_null0\n",
                  "demo.yaml: node_id: must be 1 to 64 of the characters A-Z a-z 0-9 . _ -, "
                  "got \"node a\""},
        ErrorCase{
            "LongNodeId",
            absl::StrCat("node_id: ", std::string(65, 'n'), "\nports:\n  - device: net_null0\n"),
            "demo.yaml: node_id: must be 1 to 64"},
        // eal.
        ErrorCase{"EalArgEmpty", Minimal("eal: {args: [\"\"]}\n"),
                  "demo.yaml: eal.args[0]: must not be empty"},
        ErrorCase{"EalFilePrefixArg",
                  Minimal("eal: {args: [\"--no-huge\", \"--file-prefix=x\"]}\n"),
                  "demo.yaml: eal.args[1]: \"--file-prefix=x\" is built from eal.file_prefix"},
        ErrorCase{"EalLcoresArg", Minimal("eal: {args: [\"-l\", \"0-3\"]}\n"),
                  "demo.yaml: eal.args[0]: \"-l\" is built from lcores"},
        ErrorCase{"EalMainLcoreArg", Minimal("eal: {args: [\"--main-lcore=2\"]}\n"),
                  "demo.yaml: eal.args[0]: \"--main-lcore=2\" is built from lcores"},
        ErrorCase{"BadFilePrefix", Minimal("eal: {file_prefix: \"a/b\"}\n"),
                  "demo.yaml: eal.file_prefix: must be 1 to 64 of the characters"},
        // ports.
        ErrorCase{"EmptyPorts", "node_id: demo\nports: []\n",
                  "demo.yaml: ports: at least one port is required"},
        ErrorCase{"PortEmptyDevice", "node_id: demo\nports:\n  - device: \"\"\n",
                  "demo.yaml: ports[0].device: must not be empty"},
        ErrorCase{"KernelInterfaceAsDevice", "node_id: demo\nports:\n  - device: eth0\n",
                  "demo.yaml: ports[0].device: \"eth0\" is neither a PCI address"},
        ErrorCase{"BadPciFunction", "node_id: demo\nports:\n  - device: \"0000:3b:00.8\"\n",
                  "demo.yaml: ports[0].device: \"0000:3b:00.8\" is neither"},
        ErrorCase{"DuplicateDevice",
                  "node_id: demo\nports:\n  - device: \"0000:3b:00.0\"\n"
                  "  - device: \"3B:00.0\"\nlcores: {workers: [1, 2]}\n",
                  "demo.yaml: ports[1].device: \"0000:3b:00.0\" is already used by ports[0]"},
        ErrorCase{"DuplicateVdevName",
                  "node_id: demo\nports:\n  - device: \"net_pcap0,rx_pcap=/a\"\n"
                  "  - device: \"net_pcap0,rx_pcap=/b\"\nlcores: {workers: [1, 2]}\n",
                  "demo.yaml: ports[1].device: \"net_pcap0\" is already used by ports[0]"},
        ErrorCase{"PciWithNoPci",
                  "node_id: demo\neal: {args: [\"--no-pci\"]}\nports:\n"
                  "  - device: \"0000:3b:00.0\"\n",
                  "demo.yaml: ports[0].device: \"0000:3b:00.0\" is a PCI address but eal.args "
                  "has --no-pci"},
        // lcores.
        ErrorCase{"WorkerIsMain", Minimal("lcores: {main: 1, workers: [1]}\n"),
                  "demo.yaml: lcores.workers[0]: lcore 1 is the main lcore"},
        ErrorCase{"WorkerTwice", Ports("    rx_queues: 2\n", "lcores: {workers: [3, 3]}\n"),
                  "demo.yaml: lcores.workers[1]: lcore 3 is already lcores.workers[0]"},
        ErrorCase{"TooFewWorkers", Ports("    rx_queues: 2\n"),
                  "demo.yaml: lcores.workers: has 1 lcore(s) for 2 RX queue(s) in total"},
        ErrorCase{"TooManyWorkers", Minimal("lcores: {workers: [1, 2]}\n"),
                  "demo.yaml: lcores.workers: has 2 lcore(s) for 1 RX queue(s) in total"},
        // decoders.
        ErrorCase{"DecoderNameEmpty", Minimal("decoders:\n  8125: \"\"\n"),
                  "demo.yaml: decoders.8125: decoder name must not be empty"},
        ErrorCase{"NoDecoders", Minimal("decoders: {}\n"),
                  "demo.yaml: decoders: must map at least one UDP port to a decoder"},
        // mempool.
        ErrorCase{"MbufsCannotFillRing", Ports("    rx_descriptors: 16384\n"),
                  "demo.yaml: mempool.mbufs_per_queue: must be at least 16800 to fill "
                  "ports[0]'s RX ring (16384 descriptors)"},
        ErrorCase{
            "CacheTooLargeForPool",
            Ports("    rx_descriptors: 512\n", "mempool: {mbufs_per_queue: 1023, cache: 512}\n"),
            "demo.yaml: mempool.mbufs_per_queue: must be at least 1312 to fill "
            "ports[0]'s "
            "RX ring (512 descriptors) plus a full lcore cache (768) and one burst (32), "
            "got 1023"},
        // grpc and metrics.
        ErrorCase{"GrpcListenNoPort", Minimal("grpc: {listen: localhost}\n"),
                  "demo.yaml: grpc.listen: must be \"host:port\""},
        ErrorCase{"GrpcListenEmpty", Minimal("grpc: {listen: \"\"}\n"),
                  "demo.yaml: grpc.listen: must be \"host:port\""},
        ErrorCase{"GrpcListenNoHost", Minimal("grpc: {listen: \":50051\"}\n"),
                  "demo.yaml: grpc.listen: must be \"host:port\""},
        ErrorCase{"GrpcListenBadPort", Minimal("grpc: {listen: \"127.0.0.1:70000\"}\n"),
                  "demo.yaml: grpc.listen: must be \"host:port\""},
        ErrorCase{"GrpcListenUnbracketedV6", Minimal("grpc: {listen: \"::1:50051\"}\n"),
                  "demo.yaml: grpc.listen: must be \"host:port\""},
        ErrorCase{"PlaintextOffHostNeedsInsecure", Minimal("grpc: {listen: \"0.0.0.0:7000\"}\n"),
                  "demo.yaml: grpc.listen: \"0.0.0.0:7000\" is not a loopback address"},
        ErrorCase{"InsecureAndTls",
                  Minimal("grpc: {insecure: true, tls: {cert: a.pem, key: b.pem}}\n"),
                  "demo.yaml: grpc.insecure: is true but grpc.tls is set"},
        ErrorCase{"TlsKeyMissing", Minimal("grpc: {tls: {cert: a.pem}}\n"),
                  "demo.yaml: grpc.tls.key: TLS needs both"},
        ErrorCase{"SlowSubscriberUnknown", Minimal("grpc: {slow_subscriber: wait}\n"),
                  "demo.yaml: grpc.slow_subscriber: must be \"drop_oldest\" or"},
        ErrorCase{"TokenWithoutFile", Minimal("grpc: {tokens: [{name: a}]}\n"),
                  "demo.yaml: grpc.tokens[0].token_file: required field"},
        ErrorCase{"TokenBadKind",
                  Minimal("grpc: {tokens: [{name: a, token_file: t, kinds: [logs]}]}\n"),
                  "demo.yaml: grpc.tokens[0].kinds[0]: must be statsd, flow or line_protocol"},
        ErrorCase{"TokenNameTwice",
                  Minimal("grpc: {tokens: [{name: a, token_file: t}, {name: a, token_file: u}]}\n"),
                  "demo.yaml: grpc.tokens[1].name: \"a\" is given twice"},
        ErrorCase{"MetricsListenBad", Minimal("metrics: {listen: \"9100\"}\n"),
                  "demo.yaml: metrics.listen: must be \"host:port\""},
        ErrorCase{"MetricsClashesWithGrpc",
                  Minimal("grpc: {listen: \"0.0.0.0:9000\"}\nmetrics: {listen: "
                          "\"127.0.0.1:9000\"}\n"),
                  "demo.yaml: metrics.listen: \"127.0.0.1:9000\" clashes with grpc.listen "
                  "\"0.0.0.0:9000\""}),
    test_cases::CaseName);

TEST(IngestConfigValidatorTest, SamePortOnDifferentHostsIsAllowed) {
  absl::StatusOr<IngestConfig> config =
      ParseIngestConfig(Minimal("grpc: {listen: \"10.0.0.1:9000\", insecure: true}\n"
                                "metrics: {listen: \"127.0.0.1:9000\"}\n"),
                        "demo.yaml");
  EXPECT_TRUE(config.ok()) << config.status();
}

TEST(IngestConfigValidatorTest, ShortPciAddressIsAccepted) {
  absl::StatusOr<IngestConfig> config =
      ParseIngestConfig("node_id: demo\nports:\n  - device: \"3b:00.1\"\n", "demo.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ports[0].device, "3b:00.1");
}

TEST(PortNetConfigTest, LcoreCpuMapLetsLcoresShareACpu) {
  absl::StatusOr<IngestConfig> config = ParseIngestConfig(
      "node_id: demo\nports:\n  - device: net_null0\n    rx_queues: 2\n"
      "lcores:\n  main: 0\n  workers: [1, 2]\n  cpus: [0, 1, 0]\n",
      "demo.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->lcore_cpus, ElementsAre(0u, 1u, 0u));
  absl::StatusOr<IngestConfig> short_map = ParseIngestConfig(
      "node_id: demo\nports:\n  - device: net_null0\n    rx_queues: 2\n"
      "lcores:\n  main: 0\n  workers: [1, 2]\n  cpus: [0, 1]\n",
      "demo.yaml");
  ASSERT_FALSE(short_map.ok());
  EXPECT_THAT(short_map.status().message(),
              HasSubstr("demo.yaml: lcores.cpus: has 2 CPU(s) for 3 lcores"));
}

}  // namespace
}  // namespace firehose::config
