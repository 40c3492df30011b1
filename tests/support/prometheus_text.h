// Fetches a Prometheus /metrics page over plain HTTP and reads samples out of the text
// exposition format, so tests can check the node's counters exactly as Prometheus would.
#ifndef FIREHOSE_TESTS_SUPPORT_PROMETHEUS_TEXT_H_
#define FIREHOSE_TESTS_SUPPORT_PROMETHEUS_TEXT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace firehose::testing {

// GET http://HOST:PORT/PATH; returns the body of a 200 response.
absl::StatusOr<std::string> HttpGet(const std::string& host_port, const std::string& path);

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Parses every sample line (comments skipped). Label values may not contain '"'
// escapes beyond \\ \" \n, which is all the exposition format allows.
std::vector<Sample> ParsePrometheusText(const std::string& text);

// Sum of `name` over samples whose labels include every pair in `match`.
double SumSamples(const std::vector<Sample>& samples, const std::string& name,
                  const std::map<std::string, std::string>& match = {});

}  // namespace firehose::testing

#endif  // FIREHOSE_TESTS_SUPPORT_PROMETHEUS_TEXT_H_
