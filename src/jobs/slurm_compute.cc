// The `type: slurm` compute spec (see slurm_compute.h and docs/compute.md).
#include "jobs/slurm_compute.h"

#include <fmt/format.h>

#include <algorithm>

#include "jobs/slurm_parse.h"
#include "mlws/common/json.h"

namespace mlws::jobs {

using nlohmann::json;

namespace {

// Slurm names: partitions, accounts, QOS. Letters, digits, '_', '-', '.'.
bool ValidName(const std::string& s, size_t max, const std::string& extra = "") {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || extra.find(c) != std::string::npos;
    if (!ok) return false;
  }
  return true;
}

constexpr const char* kFields[] = {"partition", "account",    "qos",
                                   "gres",      "time_limit", "max_nodes"};

}  // namespace

bool IsSlurmComputeField(const std::string& key) {
  for (const char* f : kFields) {
    if (key == f) return true;
  }
  return false;
}

Status ValidateSlurmComputeFields(const json& spec, Compute& c) {
  for (const char* f : kFields) {
    if (!spec.contains(f) || spec[f].is_null() || c.type == "slurm") continue;
    return InvalidArgument(fmt::format(
        "'{}' is a field of Slurm computes only (this compute has type '{}').", f, c.type));
  }
  if (c.type != "slurm") return Status::Ok();
  struct NameField {
    const char* key;
    const char* extra;
    const char* what;
  };
  for (const NameField& f :
       {NameField{"partition", "", "a Slurm partition name"},
        NameField{"account", "", "a Slurm account name"}, NameField{"qos", "", "a Slurm QOS name"},
        NameField{"gres", ":,=", "a Slurm GRES list such as gpu:1 or gpu:a100:2,shard:1"}}) {
    if (!spec.contains(f.key) || spec[f.key].is_null()) continue;
    if (!spec[f.key].is_string() || !ValidName(spec[f.key].get<std::string>(), 200, f.extra)) {
      return InvalidArgument(fmt::format("'{}' must be {} (letters, digits, '_', '-', '.'{}).",
                                         f.key, f.what,
                                         std::string(f.extra).empty() ? "" : ", ':', ',', '='"));
    }
  }
  if (spec.contains("time_limit") && !spec["time_limit"].is_null()) {
    const json& t = spec["time_limit"];
    std::int64_t secs = -1;
    if (t.is_number_integer()) {
      secs = t.get<std::int64_t>() * 60;  // Slurm's unit: minutes
    } else if (t.is_string()) {
      secs = ParseSlurmDuration(t.get<std::string>());
    }
    if (secs <= 0 || secs > 365LL * 86400) {
      return InvalidArgument(
          "'time_limit' must be a Slurm time limit: minutes (a whole number), \"M:S\", "
          "\"H:M:S\", \"D-H\", \"D-H:M\" or \"D-H:M:S\", more than 0 and at most 365 days.");
    }
  }
  if (spec.contains("max_nodes") && !spec["max_nodes"].is_null()) {
    if (!spec["max_nodes"].is_number_integer() || spec["max_nodes"].get<std::int64_t>() < 1 ||
        spec["max_nodes"].get<std::int64_t>() > 10000) {
      return InvalidArgument("'max_nodes' must be a whole number between 1 and 10000.");
    }
    int n = spec["max_nodes"].get<int>();
    if (spec.contains("max_instances") && spec["max_instances"].is_number_integer() &&
        spec["max_instances"].get<int>() != n) {
      return InvalidArgument("'max_nodes' and 'max_instances' disagree; give one of them.");
    }
    if (c.min_instances > n) return InvalidArgument("min_instances must not exceed max_nodes.");
    c.max_instances = n;
  }
  return Status::Ok();
}

SlurmPlacement SlurmPlacementOf(const Compute& c, const Job& job) {
  json spec = json::parse(c.spec_json, nullptr, false);
  if (!spec.is_object()) spec = json::object();
  auto str = [&](const char* k) {
    return spec.contains(k) && spec[k].is_string() ? spec[k].get<std::string>() : "";
  };
  SlurmPlacement p;
  p.job_name = "mlws-" + job.name.substr(0, 100);
  p.partition = str("partition");
  p.account = str("account");
  p.qos = str("qos");
  p.gres = str("gres");
  p.nodes = std::max(1, job.instance_count);
  // distribution: {type: pytorch|mpi|tensorflow, process_count_per_instance: N} (job_spec.cc
  // records it; only Slurm acts on it).
  json js = json::parse(job.spec_json, nullptr, false);
  if (js.is_object() && js.contains("distribution") && js["distribution"].is_object()) {
    const json& d = js["distribution"];
    if (d.contains("type") && d["type"].is_string()) p.distribution = d["type"].get<std::string>();
    if (p.distribution.empty()) p.distribution = "custom";
    for (const char* k : {"process_count_per_instance", "process_count_per_node"}) {
      if (d.contains(k) && d[k].is_number_integer()) {
        p.tasks_per_node =
            static_cast<int>(std::clamp<std::int64_t>(d[k].get<std::int64_t>(), 1, 1024));
      }
    }
  }
  if (spec.contains("time_limit")) {
    const json& t = spec["time_limit"];
    if (t.is_number_integer()) p.time_limit_s = t.get<std::int64_t>() * 60;
    if (t.is_string())
      p.time_limit_s = std::max<std::int64_t>(0, ParseSlurmDuration(t.get<std::string>()));
  }
  // The job's own limits.timeout is enforced by the server; Slurm gets the tighter of the two
  // plus a minute, so the server's SIGTERM comes first.
  if (job.timeout_s > 0) {
    std::int64_t mine = job.timeout_s + 60;
    if (p.time_limit_s == 0 || mine < p.time_limit_s) p.time_limit_s = mine;
  }
  return p;
}

std::int64_t SlurmJobIdOf(const Job& job) {
  if (job.detail_json.find("\"slurm\"") == std::string::npos) return 0;
  json d = json::parse(job.detail_json, nullptr, false);
  if (!d.is_object() || !d.contains("slurm") || !d["slurm"].is_object()) return 0;
  const json& s = d["slurm"];
  return s.contains("job_id") && s["job_id"].is_number_integer() ? s["job_id"].get<std::int64_t>()
                                                                 : 0;
}

int SlurmArrayTaskOf(const Job& job) {
  if (job.detail_json.find("\"array_task\"") == std::string::npos) return -1;
  json d = json::parse(job.detail_json, nullptr, false);
  if (!d.is_object() || !d.contains("slurm") || !d["slurm"].is_object()) return -1;
  const json& s = d["slurm"];
  return s.contains("array_task") && s["array_task"].is_number_integer()
             ? s["array_task"].get<int>()
             : -1;
}

void SetSlurmJobId(Job& job, std::int64_t id, int array_task) {
  json d = json::parse(job.detail_json, nullptr, false);
  if (!d.is_object()) d = json::object();
  d["slurm"]["job_id"] = id;
  if (array_task >= 0) d["slurm"]["array_task"] = array_task;
  job.detail_json = DumpJson(d);
}

}  // namespace mlws::jobs
