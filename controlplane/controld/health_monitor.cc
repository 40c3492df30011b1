// Liveness, progress and loss measurement of ingestd; see health_monitor.h.
#include "controlplane/controld/health_monitor.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "controlplane/controld/grpc_health_v1.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace firehose::controld {
namespace {

using firehose::v1::Health;

double Rate(uint64_t now, uint64_t before, absl::Duration over) {
  const double seconds = absl::ToDoubleSeconds(over);
  if (seconds <= 0 || now < before) return 0;  // counters reset: ingestd restarted
  return static_cast<double>(now - before) / seconds;
}

}  // namespace

std::map<std::string, double> SumPrometheusText(const std::string& text) {
  std::map<std::string, double> sums;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (line[0] == '#') continue;
    // name{labels} value [timestamp]; label values may hold spaces, so skip past '}'.
    size_t name_end = line.find_first_of("{ ");
    if (name_end == absl::string_view::npos) continue;
    std::string name(line.substr(0, name_end));
    absl::string_view rest = line.substr(name_end);
    if (rest[0] == '{') {
      const size_t close = rest.rfind('}');
      if (close == absl::string_view::npos) continue;
      if (absl::StrContains(rest.substr(0, close), kStandbyReason)) name += ":standby";
      rest = rest.substr(close + 1);
    }
    std::vector<absl::string_view> fields = absl::StrSplit(rest, ' ', absl::SkipEmpty());
    double value = 0;
    if (fields.empty() || !absl::SimpleAtod(fields[0], &value)) continue;
    sums[name] += value;
  }
  return sums;
}

MetricsSample SampleFromMetrics(const std::map<std::string, double>& sums, absl::Time at) {
  auto get = [&](const char* name) -> uint64_t {
    auto it = sums.find(name);
    return it == sums.end() || it->second < 0 ? 0 : static_cast<uint64_t>(it->second);
  };
  MetricsSample s;
  s.at = at;
  s.rx_packets = get("firehose_rx_packets_total");
  s.dropped = get("firehose_nic_rx_missed_total") + get("firehose_nic_rx_errors_total") +
              get("firehose_batch_dropped_records_total");
  s.rx_nombuf = get("firehose_nic_rx_nombuf_total");
  s.subscribers = static_cast<uint32_t>(get("firehose_subscribers"));
  return s;
}

Health EvaluateHealth(bool serving, const std::string& liveness_error,
                      const std::optional<MetricsSample>& previous,
                      const std::optional<MetricsSample>& current, absl::Time last_progress,
                      const HealthLimits& limits) {
  Health health;
  health.set_serving(serving);
  health.set_measured_unix_ms(absl::ToUnixMillis(current ? current->at : absl::Now()));
  if (!serving) {
    health.set_state(Health::DOWN);
    health.add_reasons(liveness_error.empty() ? "ingestd is not serving" : liveness_error);
    return health;
  }
  health.set_state(Health::HEALTHY);
  if (!current) return health;
  health.set_rx_packets_total(current->rx_packets);
  health.set_dropped_packets_total(current->dropped);
  health.set_subscribers(current->subscribers);
  if (!previous) return health;
  const absl::Duration over = current->at - previous->at;
  const double rx = Rate(current->rx_packets, previous->rx_packets, over);
  const double dropped = Rate(current->dropped, previous->dropped, over);
  const double nombuf = Rate(current->rx_nombuf, previous->rx_nombuf, over);
  health.set_rx_packets_per_second(rx);
  health.set_dropped_packets_per_second(dropped);
  health.set_rx_nombuf_per_second(nombuf);

  if (current->at - last_progress >= limits.stall_after) {
    health.add_reasons(absl::StrCat("no packets received for ",
                                    absl::FormatDuration(absl::Trunc(current->at - last_progress,
                                                                     absl::Seconds(1)))));
  }
  if (dropped > 0 && dropped > limits.max_drop_ratio * (rx + dropped)) {
    health.add_reasons(absl::StrFormat("losing %.1f%% of packets (%.0f/s dropped)",
                                       100.0 * dropped / (rx + dropped), dropped));
  }
  if (limits.nombuf_degrades && nombuf > 0) {
    health.add_reasons(absl::StrFormat("mempool exhausted: %.0f mbuf allocation failures/s",
                                       nombuf));
  }
  if (health.reasons_size() > 0) health.set_state(Health::DEGRADED);
  return health;
}

absl::StatusOr<std::string> ScrapeMetrics(const std::string& host_port, absl::Duration timeout) {
  const size_t colon = host_port.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError("metrics address has no port");
  std::string host = host_port.substr(0, colon);
  const std::string port = host_port.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  // A wildcard listen address is reached through loopback.
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  if (host == "::") host = "::1";

  addrinfo hints = {};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", host_port));
  }
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv = {static_cast<time_t>(absl::ToInt64Seconds(timeout)),
                static_cast<suseconds_t>(absl::ToInt64Microseconds(timeout) % 1000000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  const int connected = connect(fd, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  if (connected != 0) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat("metrics ", host_port, ": ", std::strerror(err)));
  }
  // HTTP/1.0: the server closes the connection after the body, so read to EOF.
  const std::string request = absl::StrCat("GET /metrics HTTP/1.0\r\nHost: ", host_port, "\r\n\r\n");
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("metrics ", host_port, ": send failed"));
  }
  std::string response;
  char buffer[16384];
  const absl::Time deadline = absl::Now() + timeout;
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof(buffer), 0)) > 0 && absl::Now() < deadline) {
    response.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  if (!absl::StartsWith(response, "HTTP/1.") || body == std::string::npos ||
      response.substr(9, 3) != "200") {
    return absl::UnavailableError(absl::StrCat("metrics ", host_port, ": no 200 response"));
  }
  return response.substr(body + 4);
}

absl::Status CheckServing(const std::string& target, absl::Duration timeout) {
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("ingestd does not answer on ", target, ": ", status.error_message()));
  }
  if (response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    return absl::UnavailableError(absl::StrCat("ingestd on ", target, " is NOT_SERVING"));
  }
  return absl::OkStatus();
}

HealthMonitor::HealthMonitor(Options options) : options_(std::move(options)) {
  absl::MutexLock lock(&mu_);
  latest_.set_state(Health::STATE_UNSPECIFIED);
  latest_.add_reasons("not measured yet");
}

HealthMonitor::~HealthMonitor() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void HealthMonitor::Start() {
  last_progress_ = absl::Now();
  thread_ = std::thread([this] { Loop(); });
}

Health HealthMonitor::Latest() const {
  absl::MutexLock lock(&mu_);
  return latest_;
}

void HealthMonitor::Loop() {
  while (true) {
    MeasureOnce();
    absl::MutexLock lock(&mu_);
    const bool* stopping = &stopping_;
    if (mu_.AwaitWithTimeout(absl::Condition(stopping), options_.interval)) return;
  }
}

void HealthMonitor::MeasureOnce() {
  // Each probe gets half an interval, so a hung ingestd cannot stall the loop.
  const absl::Duration timeout = options_.interval / 2;
  const absl::Status live = CheckServing(options_.grpc_target, timeout);
  std::optional<MetricsSample> current;
  if (live.ok() && !options_.metrics_target.empty()) {
    absl::StatusOr<std::string> text = ScrapeMetrics(options_.metrics_target, timeout);
    if (text.ok()) current = SampleFromMetrics(SumPrometheusText(*text), absl::Now());
  }
  if (current && (!previous_ || current->rx_packets != previous_->rx_packets)) {
    last_progress_ = current->at;
  }
  if (!live.ok()) last_progress_ = absl::Now();  // a restarted node gets a fresh grace period
  Health health = EvaluateHealth(live.ok(), std::string(live.message()), previous_, current,
                                 last_progress_, options_.limits);
  if (current) previous_ = current;
  absl::MutexLock lock(&mu_);
  latest_ = std::move(health);
}

}  // namespace firehose::controld
