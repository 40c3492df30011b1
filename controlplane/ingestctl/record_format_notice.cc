// Stream notices (gaps, epoch changes, heartbeats) as one line for stderr; see
// FormatNotice in record_format.h. Not a record kind: tail prints these beside records.
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "controlplane/ingestctl/record_format.h"

namespace firehose::ctl {
namespace {

std::string_view GapReasonText(v1::Gap::Reason reason) {
  switch (reason) {
    case v1::Gap::REASON_SUBSCRIBER_QUEUE_FULL:
      return "subscriber queue full";
    case v1::Gap::REASON_REPLAY_EXPIRED:
      return "resume position left the replay ring";
    default:
      return "reason not given";
  }
}

std::string_view RoleText(v1::EpochChange::Role role) {
  switch (role) {
    case v1::EpochChange::ROLE_ACTIVE:
      return "active";
    case v1::EpochChange::ROLE_STANDBY:
      return "standby";
    default:
      return "of unknown role";
  }
}

}  // namespace

std::string FormatNotice(const v1::Notice& notice) {
  switch (notice.kind_case()) {
    case v1::Notice::kHeartbeat:
      return "";
    case v1::Notice::kGap: {
      const v1::Gap& gap = notice.gap();
      std::string_view reason = GapReasonText(gap.reason());
      return absl::StrCat("gap: missed ", gap.records(), " records (", gap.batches(),
                          " batches) seq ", gap.first_seq(), "..", gap.last_seq(), ": ",
                          absl::string_view(reason.data(), reason.size()));
    }
    case v1::Notice::kEpochChange: {
      const v1::EpochChange& change = notice.epoch_change();
      std::string_view role = RoleText(change.role());
      return absl::StrCat("epoch change: ", change.previous_epoch(), " -> ", change.epoch(),
                          ", node is now ", absl::string_view(role.data(), role.size()));
    }
    case v1::Notice::KIND_NOT_SET:
      break;
  }
  return "notice of a kind this ingestctl does not know (is the node newer?)";
}

}  // namespace firehose::ctl
