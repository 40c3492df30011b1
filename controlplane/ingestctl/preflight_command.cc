// `ingestctl preflight`; see preflight_command.h.
#include "controlplane/ingestctl/preflight_command.h"

#include <iostream>
#include <memory>

#include "controlplane/preflight/preflight.h"
#include "controlplane/preflight/report.h"
#include "node/config/ingest_config.h"

namespace firehose::ctl {

int RunPreflightCommand(const PreflightOptions& options, std::ostream& out, std::ostream& err) {
  absl::StatusOr<config::IngestConfig> config = config::LoadIngestConfig(options.config_path);
  if (!config.ok()) {
    err << "ingestctl preflight: " << config.status().message() << '\n';
    return kExitUsage;
  }
  const preflight::Report report =
      preflight::RunPreflight(*config, preflight::Options{options.root});
  if (options.json) {
    out << preflight::FormatJson(report) << '\n';
  } else {
    out << preflight::FormatTable(report, /*verbose=*/!options.problems_only);
  }
  return report.ok() ? kExitOk : kExitFailure;
}

void AddPreflightCommand(CLI::App& app, CommandAction* action) {
  auto options = std::make_shared<PreflightOptions>();
  CLI::App* cmd = app.add_subcommand(
      "preflight",
      "Check that this machine can run ingestd with a config: hugepages, NIC drivers, "
      "vfio/IOMMU, CPU isolation and NUMA (exit 1 if a required check fails)");
  cmd->add_option("--config", options->config_path, "The node's YAML config")
      ->type_name("FILE")
      ->required();
  cmd->add_option("--root", options->root,
                  "Read sysfs/procfs under DIR instead of / (fixture trees, containers)")
      ->type_name("DIR")
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "Print one JSON object instead of a table");
  cmd->add_flag("--problems", options->problems_only, "List only checks that did not pass");
  cmd->callback([options, action] {
    *action = [options] { return RunPreflightCommand(*options, std::cout, std::cerr); };
  });
}

}  // namespace firehose::ctl
