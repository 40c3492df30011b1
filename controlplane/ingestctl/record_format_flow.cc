// NetFlow/IPFIX records of a Batch as text and NDJSON lines; see record_format.h for
// the shapes. The section is checked once per batch (like StatsdView), then each
// record is formatted straight from the columns: tail only prints them, so no row type.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "controlplane/ingestctl/record_format.h"
#include "controlplane/ingestctl/record_format_internal.h"

namespace firehose::ctl::record_format_internal {
namespace {

// Record i's address in a 16-bytes-per-record column: IPv6 as is, anything else
// (4, or 0 for no address) from the last 4 bytes of its IPv4-mapped slot.
std::string FlowAddress(const std::string& column, int i, uint32_t ip_version) {
  const std::string_view slot(column.data() + 16 * i, 16);
  return IpText(ip_version == 6 ? slot : slot.substr(12));
}

// Every column must have one entry (or one 16-byte slot) per record and every
// exporter must be in the source table before any record is read.
absl::Status CheckFlows(const v1::Batch& batch) {
  const v1::FlowColumns& f = batch.flows();
  const size_t n = f.version_size();
  if (absl::Status s = CheckDense("flows", n,
                                  {{"exporter", f.exporter_size()},
                                   {"observation_domain", f.observation_domain_size()},
                                   {"ip_version", f.ip_version_size()},
                                   {"src_port", f.src_port_size()},
                                   {"dst_port", f.dst_port_size()},
                                   {"protocol", f.protocol_size()},
                                   {"tcp_flags", f.tcp_flags_size()},
                                   {"tos", f.tos_size()},
                                   {"bytes", f.bytes_size()},
                                   {"packets", f.packets_size()},
                                   {"start_unix_millis", f.start_unix_millis_size()},
                                   {"end_unix_millis", f.end_unix_millis_size()},
                                   {"input_interface", f.input_interface_size()},
                                   {"output_interface", f.output_interface_size()},
                                   {"src_as", f.src_as_size()},
                                   {"dst_as", f.dst_as_size()},
                                   {"sampling_interval", f.sampling_interval_size()},
                                   {"flags", f.flags_size()},
                                   {"receive_offset_nanos", f.receive_offset_nanos_size()},
                                   {"enterprise_count", f.enterprise_count_size()}});
      !s.ok()) {
    return s;
  }
  if (n == 0) return absl::OkStatus();
  for (const auto& [name, column] :
       {std::pair<const char*, const std::string*>{"src_address", &f.src_address()},
        {"dst_address", &f.dst_address()},
        {"next_hop", &f.next_hop()}}) {
    if (column->size() != 16 * n) {
      return SectionError(
          "flows", absl::StrCat(name, " has ", column->size(), " bytes for ", n, " records"));
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (f.exporter(i) >= static_cast<uint32_t>(batch.sources_size())) {
      return SectionError("flows", absl::StrCat("exporter[", i, "] is past the sources"));
    }
  }
  return absl::OkStatus();
}

// Record r of a checked section.
std::string FlowLine(const v1::Batch& batch, int r, bool json) {
  const v1::FlowColumns& f = batch.flows();
  const uint32_t ipv = f.ip_version(r);
  std::string line;
  AppendRowHead(&line, batch, f.receive_offset_nanos(r), json);
  const std::string exporter = FormatEndpoint(batch.sources(f.exporter(r)));
  const std::string src = FlowAddress(f.src_address(), r, ipv);
  const std::string dst = FlowAddress(f.dst_address(), r, ipv);
  if (json) {
    line.append(",\"kind\":\"flow\",\"exporter\":");
    AppendJsonQuoted(&line, exporter);
    absl::StrAppend(&line, ",\"version\":", f.version(r),
                    ",\"observation_domain\":", f.observation_domain(r), ",\"src\":\"", src,
                    "\",\"dst\":\"", dst, "\",\"next_hop\":\"", FlowAddress(f.next_hop(), r, ipv),
                    "\"");
    absl::StrAppend(&line, ",\"src_port\":", f.src_port(r), ",\"dst_port\":", f.dst_port(r),
                    ",\"protocol\":", f.protocol(r), ",\"tcp_flags\":", f.tcp_flags(r),
                    ",\"tos\":", f.tos(r), ",\"bytes\":", f.bytes(r),
                    ",\"packets\":", f.packets(r));
    absl::StrAppend(&line, ",\"start_unix_millis\":", f.start_unix_millis(r),
                    ",\"end_unix_millis\":", f.end_unix_millis(r),
                    ",\"input_interface\":", f.input_interface(r),
                    ",\"output_interface\":", f.output_interface(r), ",\"src_as\":", f.src_as(r),
                    ",\"dst_as\":", f.dst_as(r), ",\"sampling_interval\":", f.sampling_interval(r),
                    "}");
  } else {
    absl::StrAppend(&line, " ", exporter, " flow v", f.version(r), " ", src, ":", f.src_port(r),
                    " > ", dst, ":", f.dst_port(r), " proto ", f.protocol(r), " ", f.packets(r),
                    " pkts ", f.bytes(r), " B");
    absl::StrAppend(&line, " if ", f.input_interface(r), ">", f.output_interface(r), " as ",
                    f.src_as(r), ">", f.dst_as(r), " tos ", f.tos(r));
    AppendHexEscape(&line, " flags 0x", f.tcp_flags(r), 2);
    if (f.sampling_interval(r) > 1) absl::StrAppend(&line, " sampled 1/", f.sampling_interval(r));
  }
  return line;
}

}  // namespace

absl::Status AppendFlowLines(const v1::Batch& batch, bool json, std::vector<std::string>* lines) {
  if (absl::Status s = CheckFlows(batch); !s.ok()) return s;
  for (int r = 0; r < batch.flows().version_size(); ++r) {
    lines->push_back(FlowLine(batch, r, json));
  }
  return absl::OkStatus();
}

}  // namespace firehose::ctl::record_format_internal
