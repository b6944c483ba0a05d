// Step reuse across workspaces (docs/registries.md): a step whose component comes from a
// registry may reuse a completed step of another workspace with the same reuse key, when the
// registry allows it (allow_cross_workspace_reuse) and the pipeline's owner may read that
// workspace's jobs. The original's outputs are copied into this workspace (PublishOutput), so
// downstream steps read them here.
#include <fmt/format.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "jobs/pipeline_internal.h"
#include "mlws/auth/auth_service.h"
#include "mlws/common/json.h"

namespace mlws::jobs {

using nlohmann::json;

namespace {

constexpr std::string_view kRegistryPrefix = "azureml://registries/";

// The registry of a step's component, "" when it is not a registry's.
std::string RegistryOf(const PipelineStep& step) {
  if (step.component.rfind(kRegistryPrefix, 0) != 0) return "";
  std::string rest = step.component.substr(kRegistryPrefix.size());
  return rest.substr(0, rest.find('/'));
}

// The registry's allow_cross_workspace_reuse (its record is its asset workspace's description,
// include/mlws/registries/registry_service.h).
bool RegistryAllowsReuse(store::MetadataStore& store, const std::string& reg) {
  auto w = store.workspaces().GetWorkspace("registry:" + reg);
  if (!w.ok()) return false;
  json doc = json::parse(w->description, nullptr, false);
  return doc.is_object() && doc.value("allow_cross_workspace_reuse", true);
}

// A private temporary folder, removed with everything in it when this goes.
struct ScratchDir {
  std::string path;
  Status Create() {
    std::string t = (std::filesystem::temp_directory_path() / "mlws-reuse-XXXXXX").string();
    if (mkdtemp(t.data()) == nullptr) return Internal(std::string("mkdtemp: ") + strerror(errno));
    path = t;
    return Status::Ok();
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

std::optional<ForeignReuse> FindForeignReuse(store::MetadataStore& store,
                                             tracking::TrackingService& tracking,
                                             const PipelineRunner::Run& run,
                                             const PipelineStep& step, const std::string& key) {
  const std::string reg = RegistryOf(step);
  if (reg.empty() || !RegistryAllowsReuse(store, reg)) return std::nullopt;
  auto all = store.workspaces().ListWorkspaces();
  if (!all.ok()) return std::nullopt;
  auth::AuthService auth(store);  // reads role assignments from the store
  for (const auto& w : *all) {
    if (w.name == run.ws || w.name.rfind("registry:", 0) == 0) continue;
    if (!auth.Authorize(run.who, "workspaces/jobs/read", w.id).ok()) continue;
    tracking::SearchExperimentsRequest er;
    auto exps = tracking.SearchExperiments(w.name, er);
    if (!exps.ok()) continue;
    tracking::SearchRunsRequest rr;
    for (const auto& e : exps->experiments) rr.experiment_ids.push_back(e.experiment_id);
    rr.filter = fmt::format("tags.`mlws.reuse_key` = '{}' and attributes.status = 'FINISHED'", key);
    rr.max_results = 5;
    rr.order_by = {"attributes.start_time DESC"};
    auto found = tracking.SearchRuns(w.name, rr);
    if (!found.ok()) continue;
    for (const auto& r : found->runs) {
      for (const auto& t : r.tags) {
        if (t.key != "mlws.job.name") continue;
        auto j = store.jobs().GetJob(w.id, t.value);
        if (j.ok() && j->status == JobStatus::kCompleted) return ForeignReuse{*j, w.name};
      }
    }
  }
  return std::nullopt;
}

Status CopyForeignOutputs(JobAssets& assets, const ForeignReuse& from,
                          const PipelineRunner::Run& run, const PipelineStep& step,
                          const std::string& child, const std::string& run_id, json& detail) {
  if (!detail.contains("outputs") || !detail["outputs"].is_object()) return Status::Ok();
  for (auto& [name, out] : detail["outputs"].items()) {
    if (!out.is_object() || !out.contains("uri") || !out["uri"].is_string()) continue;
    InputSpec in;
    in.name = name;
    in.literal = false;
    in.type = out.value("type", "uri_folder");
    in.path = out["uri"].get<std::string>();
    ASSIGN_OR_RETURN(ResolvedPath src, assets.ResolveInput(from.ws, in));
    OutputSpec spec;
    spec.name = name;
    spec.type = in.type;
    for (const auto& o : step.outputs) {
      if (o.name != name) continue;
      spec.mode = o.mode;
      spec.asset_name = o.asset_name;
      spec.asset_version = o.asset_version;
    }
    // PublishOutput takes the output's folder (a uri_file output's holds its one file).
    std::string folder = src.local_path;
    if (in.type == "uri_file") folder = std::filesystem::path(folder).parent_path().string();
    ScratchDir scratch;
    if (src.remote) {
      // In a blob store: staged through local scratch (a uri_file into its own folder).
      RETURN_IF_ERROR(scratch.Create());
      folder = scratch.path;
      std::string dest = folder;
      if (in.type == "uri_file") dest += "/" + src.uri.substr(src.uri.find_last_of('/') + 1);
      RETURN_IF_ERROR(assets.Fetch(from.ws, src.uri, dest));
    }
    ASSIGN_OR_RETURN(ResolvedPath copied,
                     assets.PublishOutput(run.ws, child, spec, folder, run.who.name, run_id));
    out["uri"] = copied.uri;
    if (!copied.asset.empty()) out["asset"] = copied.asset;
  }
  detail["reused_from_workspace"] = from.ws;
  return Status::Ok();
}

}  // namespace mlws::jobs
