#include "cli/pipeline_commands.h"

#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "cli/uploads.h"

namespace mlws::cli {

using nlohmann::json;
namespace fs = std::filesystem;

bool IsPipeline(const json& j) { return j.is_object() && j.value("type", "") == "pipeline"; }

namespace {

std::string Str(const json& j, const char* k) {
  return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
}

// Uploads the local paths of an `inputs` mapping (relative to `f`).
Status UploadInputs(const Globals& g, const SpecFile& f, const std::string& where, json& inputs) {
  if (!inputs.is_object()) return Status::Ok();
  for (auto& [name, in] : inputs.items()) {
    if (!in.is_object() || !in.contains("path") || !in["path"].is_string()) continue;
    std::string p = in["path"].get<std::string>();
    if (p.rfind("file:", 0) == 0) p = p.substr(5);
    if (!IsLocalPath(p)) continue;
    ASSIGN_OR_RETURN(std::string uri, UploadSpecPath(g, f, where + name + ".path", p));
    in["path"] = uri;
  }
  return Status::Ok();
}

// A command's code folder and conda file (relative to `f`).
Status UploadCommandParts(const Globals& g, const SpecFile& f, const std::string& where,
                          json& cmd) {
  if (cmd.contains("environment")) RETURN_IF_ERROR(InlineCondaFile(f, cmd["environment"]));
  if (cmd.contains("code") && cmd["code"].is_string()) {
    std::string p = cmd["code"].get<std::string>();
    if (p.rfind("file:", 0) == 0) p = p.substr(5);
    ASSIGN_OR_RETURN(std::string uri, UploadSpecPath(g, f, where + "code", p));
    cmd["code"] = uri;
  }
  return Status::Ok();
}

std::string Duration(const json& st) {
  if (!st.contains("duration_ms") || !st["duration_ms"].is_number()) return "-";
  std::ostringstream s;
  double secs = st["duration_ms"].get<double>() / 1000.0;
  s << std::fixed << std::setprecision(secs < 10 ? 3 : 1) << secs << "s";
  return s.str();
}

}  // namespace

Status PreparePipelineSpec(const Globals& g, const SpecFile& f, json& spec) {
  if (spec.contains("inputs")) RETURN_IF_ERROR(UploadInputs(g, f, "inputs.", spec["inputs"]));
  if (spec.contains("settings") && spec["settings"].is_object() &&
      spec["settings"].contains("default_environment")) {
    RETURN_IF_ERROR(InlineCondaFile(f, spec["settings"]["default_environment"]));
  }
  if (!spec.contains("jobs") || !spec["jobs"].is_object()) return Status::Ok();
  for (auto& [name, step] : spec["jobs"].items()) {
    if (!step.is_object()) continue;
    std::string where = "jobs." + name + ".";
    if (step.contains("component") && step["component"].is_string()) {
      std::string p = step["component"].get<std::string>();
      if (p.rfind("file:", 0) == 0) p = p.substr(5);
      if (IsLocalPath(p)) {
        std::string local = ResolveLocal(f, p);
        auto c = LoadSpecFile(local, {});
        if (!c.ok()) {
          return Status(c.status().code(),
                        where + "component '" + p + "': " + c.status().message());
        }
        RETURN_IF_ERROR(UploadCommandParts(g, *c, where + "component.", c->spec));
        step["component"] = c->spec;
      }
    } else if (step.contains("component") && step["component"].is_object()) {
      RETURN_IF_ERROR(UploadCommandParts(g, f, where + "component.", step["component"]));
    }
    RETURN_IF_ERROR(UploadCommandParts(g, f, where, step));
    if (step.contains("inputs")) {
      RETURN_IF_ERROR(UploadInputs(g, f, where + "inputs.", step["inputs"]));
    }
  }
  return Status::Ok();
}

void PrintSteps(const json& job, std::ostream& out) {
  if (!job.contains("steps") || !job["steps"].is_object()) return;
  std::vector<std::vector<std::string>> rows = {
      {"STEP", "STATUS", "DURATION", "REUSED FROM", "JOB"}};
  for (const auto& [name, st] : job["steps"].items()) {
    std::string reused = Str(st, "reused_from");
    rows.push_back({name, Str(st, "status"), Duration(st), reused.empty() ? "-" : reused,
                    Str(st, "job").empty() ? "-" : Str(st, "job")});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  out << "steps:\n";
  for (const auto& r : rows) {
    out << "  ";
    for (size_t i = 0; i < r.size(); ++i) {
      out << r[i] << (i + 1 < r.size() ? std::string(width[i] - r[i].size() + 2, ' ') : "");
    }
    out << "\n";
  }
}

std::optional<json> StreamPipeline(const Globals& g, const std::string& jobs_path,
                                   const std::string& name, std::ostream& out) {
  struct Log {
    std::int64_t offset = 0;
    std::string partial;
    bool finished = false;
  };
  std::map<std::string, Log> logs;  // step -> its job's log
  for (;;) {
    auto job = Call(g, "GET", jobs_path + "/" + UrlEscape(name));
    if (!job) return std::nullopt;
    std::string status = Str(*job, "status");
    bool ended = status == "Completed" || status == "Failed" || status == "Canceled";
    bool progress = false;
    bool all_finished = true;
    for (const auto& [step, st] : (*job)["steps"].items()) {
      std::string child = Str(st, "job");
      if (child.empty()) continue;
      Log& log = logs[step];
      if (log.finished) continue;
      auto r =
          Call(g, "GET",
               jobs_path + "/" + UrlEscape(child) + "/logs?offset=" + std::to_string(log.offset));
      if (!r) return std::nullopt;
      std::string data = log.partial + (*r)["data"].get<std::string>();
      progress = progress || (*r)["next_offset"].get<std::int64_t>() != log.offset;
      log.offset = (*r)["next_offset"].get<std::int64_t>();
      log.finished = (*r)["finished"].get<bool>();
      size_t start = 0;
      for (size_t nl = data.find('\n'); nl != std::string::npos; nl = data.find('\n', start)) {
        out << "[" << step << "] " << data.substr(start, nl - start) << "\n";
        start = nl + 1;
      }
      log.partial = data.substr(start);
      if (log.finished && !log.partial.empty()) {
        out << "[" << step << "] " << log.partial << "\n";
        log.partial.clear();
      }
      all_finished = all_finished && log.finished;
    }
    out << std::flush;
    if (ended && all_finished) return job;
    if (!progress) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

int DownloadJobFiles(const Globals& g, const std::string& jobs_path, const std::string& name,
                     const std::string& dest, const std::string& output_name) {
  std::string base = jobs_path + "/" + UrlEscape(name) + "/outputs";
  auto r = Call(g, "GET", base);
  if (!r) return -1;
  int n = 0;
  for (const auto& f : (*r)["value"]) {
    std::string output = f["output"].get<std::string>();
    if (!output_name.empty() && output != output_name) continue;
    std::string rel = f["path"].get<std::string>();
    fs::path to = output == "artifacts" ? fs::path(dest) / "artifacts" / rel
                                        : fs::path(dest) / "named-outputs" / output / rel;
    std::error_code ec;
    fs::create_directories(to.parent_path(), ec);
    if (!DownloadFile(g, base + "/" + UrlEscape(output) + "/" + UrlEscapePath(rel), to.string())) {
      return -1;
    }
    ++n;
  }
  return n;
}

int DownloadPipeline(const Globals& g, const std::string& jobs_path, const json& job,
                     const std::string& dest, const std::string& output_name) {
  int n = 0;
  for (const auto& [step, st] : job["steps"].items()) {
    std::string child = Str(st, "job");
    if (child.empty()) continue;
    int got = DownloadJobFiles(g, jobs_path, child, (fs::path(dest) / step).string(), output_name);
    if (got < 0) return -1;
    n += got;
  }
  return n;
}

}  // namespace mlws::cli
