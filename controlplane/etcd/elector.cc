// etcd lease + election; see elector.h for the protocol and its safety argument.
#include "controlplane/etcd/elector.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "etcd/etcdserver/api/v3election/v3electionpb/v3election.grpc.pb.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"

namespace firehose::etcd {
namespace {

// How long a single etcd call may take before it counts as failed: short, because
// every decision here has to fit inside one lease TTL.
constexpr absl::Duration kCallTimeout = absl::Milliseconds(500);
// How often a leader re-checks that its lease is fresh.
constexpr absl::Duration kLeaderPoll = absl::Milliseconds(50);
// Pause before retrying after etcd refused or did not answer.
constexpr absl::Duration kRetryPause = absl::Milliseconds(250);

// Pause between asks for the next leader during a planned hand-over.
constexpr absl::Duration kHandoverPoll = absl::Milliseconds(20);

using SteadyClock = std::chrono::steady_clock;

void SetDeadline(grpc::ClientContext* context, absl::Duration timeout) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

absl::Duration Since(SteadyClock::time_point then) {
  return absl::FromChrono(SteadyClock::now() - then);
}

}  // namespace

Elector::Elector(Options options, RoleCallback on_change)
    : options_(std::move(options)),
      on_change_(std::move(on_change)),
      channel_(grpc::CreateChannel(options_.target, grpc::InsecureChannelCredentials())) {}

Elector::~Elector() { Stop(); }

void Elector::Start() { thread_ = std::thread([this] { Run(); }); }

void Elector::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (campaign_) campaign_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

void Elector::Resign() {
  absl::MutexLock lock(&mu_);
  resign_requested_ = true;
  if (campaign_ && !state_.active) campaign_->TryCancel();
}

void Elector::SetDrained(bool drained) {
  absl::MutexLock lock(&mu_);
  drained_ = drained;
  state_.drained = drained;
  if (drained && campaign_ && !state_.active) campaign_->TryCancel();
}

Elector::State Elector::state() const {
  absl::MutexLock lock(&mu_);
  State s = state_;
  if (lease_ttl_seconds_ > 0) {
    s.lease_remaining = std::max(absl::ZeroDuration(),
                                 absl::Seconds(lease_ttl_seconds_) - Since(last_refresh_));
    s.active_deadline = last_refresh_ + absl::ToChronoNanoseconds(
                                            absl::Seconds(lease_ttl_seconds_) -
                                            options_.deadline_margin);
  }
  return s;
}

bool Elector::Stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void Elector::SetActive(bool active, uint64_t epoch, const std::string& leader_key) {
  {
    absl::MutexLock lock(&mu_);
    if (state_.active == active && state_.epoch == epoch) return;
    state_.active = active;
    state_.epoch = epoch;
    state_.leader_key = leader_key;
  }
  on_change_(active, epoch);
}

void Elector::Run() {
  while (!Stopping()) RunTerm();
}

void Elector::KeepAlive(int64_t lease_id, std::shared_ptr<grpc::ClientContext> campaign) {
  auto stub = etcdserverpb::Lease::NewStub(channel_);
  const absl::Duration every = options_.ttl / 3;
  while (true) {
    // One short stream per refresh, under a deadline: a stalled etcd must make the
    // refresh fail, not block it forever.
    const SteadyClock::time_point sent = SteadyClock::now();
    grpc::ClientContext context;
    SetDeadline(&context, std::min(every, kCallTimeout));
    auto stream = stub->LeaseKeepAlive(&context);
    etcdserverpb::LeaseKeepAliveRequest request;
    request.set_id(lease_id);
    etcdserverpb::LeaseKeepAliveResponse response;
    const bool answered = stream->Write(request) && stream->Read(&response);
    stream->WritesDone();
    const grpc::Status status = stream->Finish();

    absl::MutexLock lock(&mu_);
    if (answered && response.ttl() > 0) {
      // Counted from when the request left: etcd restarts the TTL on receipt, which is
      // later, so the server's expiry is no earlier than sent + TTL.
      last_refresh_ = sent;
      lease_ttl_seconds_ = response.ttl();
    } else if (answered) {
      lease_lost_ = true;  // etcd says the lease is gone
      state_.last_error = "lease expired in etcd";
    } else {
      state_.last_error = absl::StrCat("lease refresh failed: ", status.error_message());
    }
    // Past the TTL without a refresh the lease may be gone server-side: give up on it
    // (and on a campaign that would otherwise wait on a dead lease).
    if (Since(last_refresh_) >= absl::Seconds(lease_ttl_seconds_)) lease_lost_ = true;
    if (lease_lost_ || stopping_) {
      campaign->TryCancel();
      return;
    }
    auto ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return lease_lost_ || stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&ended), every - Since(sent));
    if (lease_lost_ || stopping_) {
      campaign->TryCancel();
      return;
    }
  }
}

bool Elector::HandOver(const std::string& own_key) {
  auto election_stub = v3electionpb::Election::NewStub(channel_);
  const SteadyClock::time_point start = SteadyClock::now();
  bool successor = false;
  while (Since(start) < options_.handover_wait) {
    v3electionpb::LeaderRequest request;
    request.set_name(options_.election);
    v3electionpb::LeaderResponse response;
    grpc::ClientContext context;
    SetDeadline(&context, kCallTimeout);
    const grpc::Status status = election_stub->Leader(&context, request, &response);
    if (status.ok() && response.kv().key() != own_key) {
      successor = true;
      break;
    }
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&lease_lost_), kHandoverPoll)) return false;
    if (stopping_) break;
  }
  // With a successor, overlap so its ingestd is publishing before this one stops; the
  // term still ends by active_deadline, which the keeper goes on extending. Stop()
  // cuts the overlap short.
  absl::MutexLock lock(&mu_);
  auto over = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return lease_lost_ || stopping_; };
  if (successor) mu_.AwaitWithTimeout(absl::Condition(&over), options_.handover_overlap);
  return !lease_lost_;
}

void Elector::RunTerm() {
  {
    // A drained node holds no lease and runs no campaign.
    absl::MutexLock lock(&mu_);
    auto out_of_drain = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !drained_ || stopping_;
    };
    if (drained_) {
      mu_.AwaitWithTimeout(absl::Condition(&out_of_drain), kRetryPause);
      return;
    }
  }
  auto lease_stub = etcdserverpb::Lease::NewStub(channel_);
  auto election_stub = v3electionpb::Election::NewStub(channel_);
  const int64_t ttl_seconds =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(options_.ttl))));

  etcdserverpb::LeaseGrantRequest grant;
  grant.set_ttl(ttl_seconds);
  etcdserverpb::LeaseGrantResponse granted;
  // The lease's life starts when etcd receives the grant, no earlier than this.
  const SteadyClock::time_point grant_sent = SteadyClock::now();
  grpc::ClientContext grant_context;
  SetDeadline(&grant_context, kCallTimeout);
  const grpc::Status grant_status = lease_stub->LeaseGrant(&grant_context, grant, &granted);
  if (!grant_status.ok() || !granted.error().empty()) {
    absl::MutexLock lock(&mu_);
    state_.last_error = absl::StrCat("lease grant failed: ", grant_status.error_message(),
                                     granted.error());
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), kRetryPause);
    return;
  }
  const int64_t lease_id = granted.id();
  auto campaign = std::make_shared<grpc::ClientContext>();
  {
    absl::MutexLock lock(&mu_);
    lease_lost_ = false;
    last_refresh_ = grant_sent;
    lease_ttl_seconds_ = granted.ttl();
    campaign_ = campaign;
    if (stopping_) campaign->TryCancel();
  }
  std::thread keeper([this, lease_id, campaign] { KeepAlive(lease_id, campaign); });

  // Blocks while the other node leads; returns when this node is leader, or cancelled.
  v3electionpb::CampaignRequest request;
  request.set_name(options_.election);
  request.set_lease(lease_id);
  request.set_value(options_.node_id);
  v3electionpb::CampaignResponse response;
  const grpc::Status campaigned = election_stub->Campaign(campaign.get(), request, &response);
  bool lost = false;
  bool resigned = false;
  if (campaigned.ok()) {
    SetActive(true, static_cast<uint64_t>(response.leader().rev()), response.leader().key());
    bool planned = false;
    {
      absl::MutexLock lock(&mu_);
      auto must_step_down = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || resign_requested_ || lease_lost_ || drained_;
      };
      while (!mu_.AwaitWithTimeout(absl::Condition(&must_step_down), kLeaderPoll)) {
        // Two refreshes in a row missed: step down before etcd could expire the lease
        // and let the other node win, so the two terms never overlap.
        if (Since(last_refresh_) > options_.ttl * 2 / 3) {
          lease_lost_ = true;
          state_.last_error = "cut off from etcd: stepped down before the lease could expire";
        }
      }
      lost = lease_lost_;
      planned = !lost && !stopping_ && (resign_requested_ || drained_);
    }
    if (planned) {
      // Make-before-break: the successor is elected (higher epoch) while this node
      // still publishes in its own.
      resigned = true;
      v3electionpb::ResignRequest resign;
      *resign.mutable_leader() = response.leader();
      v3electionpb::ResignResponse unused;
      grpc::ClientContext context;
      SetDeadline(&context, kCallTimeout);
      (void)election_stub->Resign(&context, resign, &unused);
      lost = !HandOver(response.leader().key());
    }
  }
  // Demote before anything else can happen.
  SetActive(false, 0);
  if (campaigned.ok() && !lost && !resigned) {
    v3electionpb::ResignRequest resign;
    *resign.mutable_leader() = response.leader();
    v3electionpb::ResignResponse resigned;
    grpc::ClientContext context;
    SetDeadline(&context, kCallTimeout);
    (void)election_stub->Resign(&context, resign, &resigned);
  }
  {
    absl::MutexLock lock(&mu_);
    lease_lost_ = true;  // ends the keeper
    campaign_.reset();
  }
  keeper.join();
  // Revoking lets the other node win at once instead of after the TTL; when etcd is out
  // of reach this fails and the lease simply expires.
  etcdserverpb::LeaseRevokeRequest revoke;
  revoke.set_id(lease_id);
  etcdserverpb::LeaseRevokeResponse revoked;
  grpc::ClientContext revoke_context;
  SetDeadline(&revoke_context, kCallTimeout);
  (void)lease_stub->LeaseRevoke(&revoke_context, revoke, &revoked);

  absl::MutexLock lock(&mu_);
  lease_ttl_seconds_ = 0;
  if (resign_requested_) {
    resign_requested_ = false;
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.resign_hold);
  } else if (!campaigned.ok() && !stopping_) {
    state_.last_error = absl::StrCat("campaign ended: ", campaigned.error_message());
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), kRetryPause);
  }
}

}  // namespace firehose::etcd
