// JobAssets without an assets subsystem: literal inputs and inline environments only.
#include <fmt/format.h>

#include "jobs/job_files.h"
#include "mlws/assets/snapshot.h"
#include "mlws/common/json.h"
#include "mlws/jobs/job_assets.h"

namespace mlws::jobs {

StatusOr<std::string> JobAssets::Fingerprint(const std::string& ws, const ResolvedPath& path) {
  (void)ws;
  if (path.remote) return NotFound("'" + path.uri + "' cannot be read here");
  ASSIGN_OR_RETURN(assets::SnapshotInfo info, assets::HashLocalPath(path.local_path));
  return info.hash;
}

namespace {

Status NoAssets(const std::string& what) {
  return Status(ErrorCode::kNotImplemented,
                what + " needs the assets subsystem, which this server does not have.");
}

class BasicJobAssets final : public JobAssets {
 public:
  StatusOr<ResolvedPath> ResolveInput(const std::string&, const InputSpec& in) override {
    return NoAssets(fmt::format("Input '{}' ({})", in.name, in.path));
  }
  StatusOr<ResolvedPath> ResolveCode(const std::string&, const std::string& uri) override {
    return NoAssets("Code '" + uri + "'");
  }
  StatusOr<std::string> CheckEnvironment(const std::string&, const nlohmann::json& env) override {
    if (env.is_null()) return std::string("host");
    if (env.is_object() && env.contains("image") && !env.contains("conda_file") &&
        !env.contains("build")) {
      return "image " + env["image"].get<std::string>();
    }
    return NoAssets("Environment " + DumpJson(env));
  }
  StatusOr<PreparedEnvironment> PrepareEnvironment(const std::string& ws,
                                                   const nlohmann::json& env) override {
    ASSIGN_OR_RETURN(std::string ref, CheckEnvironment(ws, env));
    PreparedEnvironment p;
    p.reference = ref;
    if (ref != "host") p.note = ref + " ignored: no container runtime; the host's interpreter runs";
    return p;
  }
  StatusOr<ResolvedPath> PublishOutput(const std::string&, const std::string&,
                                       const OutputSpec& out, const std::string& local_folder,
                                       const std::string&, const std::string&) override {
    if (!out.asset_name.empty()) return NoAssets("Registering output '" + out.name + "'");
    ResolvedPath p;
    p.local_path = local_folder;
    return p;
  }
  Status RecordRunInput(const std::string&, const std::string&, const ResolvedPath&) override {
    return Status::Ok();
  }
};

}  // namespace

std::unique_ptr<JobAssets> NewBasicJobAssets() { return std::make_unique<BasicJobAssets>(); }

}  // namespace mlws::jobs
