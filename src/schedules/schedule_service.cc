// ScheduleService: validation, CRUD and the firing thread.
#include "mlws/schedules/schedule_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>

#include "mlws/common/env.h"
#include "mlws/common/ids.h"
#include "mlws/common/json.h"
#include "mlws/jobs/job_spec.h"
#include "mlws/jobs/sweep_spec.h"

namespace mlws::schedules {

using nlohmann::json;

namespace {

constexpr int kUpcoming = 5;
constexpr int kFiresShown = 100;
// Fire times passed over by the missed-fire rule are counted up to this many.
constexpr int kMaxSkipped = 1'000'000;

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

// ${{name}} and ${{creation_context.trigger_time}} in the values a schedule sets on its job.
json Expand(json v, const std::string& job_name, std::int64_t fire_ms) {
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    ReplaceAll(s, "${{name}}", job_name);
    ReplaceAll(s, "${{creation_context.trigger_time}}", FormatUtc(fire_ms));
    return s;
  }
  if (v.is_object() || v.is_array()) {
    for (auto& e : v) e = Expand(e, job_name, fire_ms);
  }
  return v;
}

// The job spec's type ("" when absent or not a string).
std::string JobType(const json& spec) {
  auto it = spec.find("type");
  return it != spec.end() && it->is_string() ? it->get<std::string>() : "";
}

// "20260101T130000Z"-like, in job-name characters.
std::string FireSuffix(std::int64_t fire_ms) {
  std::string iso = FormatUtc(fire_ms).substr(0, 19);  // 2026-01-01T13:00:00
  std::string out;
  for (char c : iso) {
    if (std::isdigit(static_cast<unsigned char>(c))) out += c;
  }
  return out;
}

StatusOr<json> NormalizeCreateJob(const json& cj) {
  if (cj.is_string()) {
    std::string s = cj.get<std::string>();
    if (s.rfind("azureml:", 0) == 0 && s.size() > 8) return json{{"job", s}};
    return InvalidArgument(fmt::format(
        "create_job '{}' is neither a job spec nor 'azureml:<existing job name>' (a local YAML "
        "file is read by `mlws schedule create -f`).",
        s));
  }
  if (!cj.is_object()) {
    return InvalidArgument(
        "create_job must be a job spec, a mapping with 'job', or "
        "'azureml:<existing job name>'.");
  }
  if (!cj.contains("job")) return json{{"job", cj}};
  static const std::set<std::string> kKeys = {
      "type",         "job",         "settings", "inputs", "outputs", "tags", "experiment_name",
      "display_name", "description", "compute"};
  for (const auto& [k, v] : cj.items()) {
    if (!kKeys.count(k)) {
      return InvalidArgument(
          fmt::format("Unknown field create_job.{} (job, type, settings, inputs, outputs, tags, "
                      "experiment_name, display_name, description, compute).",
                      k));
    }
  }
  const json& job = cj["job"];
  bool ref = job.is_string() && job.get<std::string>().rfind("azureml:", 0) == 0 &&
             job.get<std::string>().size() > 8;
  if (!job.is_object() && !ref) {
    return InvalidArgument("create_job.job must be a job spec or 'azureml:<existing job name>'.");
  }
  for (const char* k : {"inputs", "outputs", "tags", "settings"}) {
    if (cj.contains(k) && !cj[k].is_object() && !cj[k].is_null()) {
      return InvalidArgument(fmt::format("create_job.{} must be a mapping.", k));
    }
  }
  return cj;
}

Status ValidateScheduleName(const std::string& name) {
  if (name.size() > 200) return InvalidArgument("A schedule name has at most 200 characters.");
  Status st = jobs::ValidateJobName(name);
  if (!st.ok()) {
    return InvalidArgument(fmt::format(
        "Invalid schedule name '{}': use letters, digits, '_' and '-', starting with a letter or "
        "digit.",
        name.substr(0, 80)));
  }
  return Status::Ok();
}

}  // namespace

Clock ClockFromEnvironment() {
  const char* file = std::getenv("MLWS_SCHEDULE_CLOCK_FILE");
  std::string path = file != nullptr ? file : "";
  return [path]() -> std::int64_t {
    if (!path.empty()) {
      std::ifstream in(path);
      long long v = 0;
      if (in >> v && v > 0) return v;
    }
    return Env::Default()->NowMillis();  // the Env seam (common/env.h)
  };
}

ScheduleService::ScheduleService(store::MetadataStore& store, tracking::TrackingService& tracking,
                                 jobs::JobService& jobs, Clock clock)
    : store_(store), tracking_(tracking), jobs_(jobs), clock_(std::move(clock)) {}

ScheduleService::~ScheduleService() { Stop(); }

void ScheduleService::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void ScheduleService::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

StatusOr<ScheduleService::Parsed> ScheduleService::Validate(const std::string& ws, const json& in,
                                                            const std::string& name) {
  if (!in.is_object()) return InvalidArgument("A schedule must be a mapping.");
  static const std::set<std::string> kKeys = {"$schema",     "name",       "display_name",
                                              "description", "tags",       "properties",
                                              "trigger",     "create_job", "is_enabled"};
  for (const auto& [k, v] : in.items()) {
    if (!kKeys.count(k)) {
      return InvalidArgument(
          fmt::format("Unknown field '{}' in the schedule (name, display_name, description, tags, "
                      "properties, trigger, create_job).",
                      k));
    }
  }
  for (const char* k : {"display_name", "description"}) {
    if (in.contains(k) && !in[k].is_string() && !in[k].is_null()) {
      return InvalidArgument(fmt::format("'{}' must be a string.", k));
    }
  }
  for (const char* k : {"tags", "properties"}) {
    if (in.contains(k) && !in[k].is_object() && !in[k].is_null()) {
      return InvalidArgument(fmt::format("'{}' must be a mapping.", k));
    }
  }
  if (in.contains("is_enabled") && !in["is_enabled"].is_boolean()) {
    return InvalidArgument("'is_enabled' must be true or false.");
  }
  if (!in.contains("trigger")) return InvalidArgument("A schedule needs a 'trigger'.");
  if (!in.contains("create_job")) return InvalidArgument("A schedule needs 'create_job'.");
  Parsed p;
  ASSIGN_OR_RETURN(p.trigger, ParseTrigger(in["trigger"], clock_()));
  ASSIGN_OR_RETURN(json cj, NormalizeCreateJob(in["create_job"]));
  p.spec = in;
  p.spec.erase("$schema");
  p.spec["name"] = name;
  p.spec["create_job"] = cj;
  // The start is fixed at creation (a missing start_time means "now", once).
  p.spec["trigger"]["start_time"] = FormatUtc(p.trigger.start_ms);
  if (p.trigger.end_ms != 0) p.spec["trigger"]["end_time"] = FormatUtc(p.trigger.end_ms);
  // The job must be valid now, not when the schedule first fires. Pipeline jobs are checked by
  // the pipeline code when they are created (each fire records its error, if any).
  ASSIGN_OR_RETURN(json preview, JobSpecFor(ws, cj, name, p.trigger.start_ms, name + "_check"));
  std::string type = JobType(preview);
  Status check = type == "pipeline" ? Status::Ok()
                 : type == "sweep"  ? jobs::ParseSweepSpec(preview).status()
                                    : jobs::ParseJobSpec(preview).status();
  if (!check.ok()) return Status(check.code(), "create_job: " + check.message());
  return p;
}

StatusOr<json> ScheduleService::JobSpecFor(const std::string& ws, const json& cj,
                                           const std::string& schedule, std::int64_t fire_ms,
                                           const std::string& job_name) {
  json spec;
  const json& job = cj["job"];
  if (job.is_string()) {
    std::string ref = job.get<std::string>().substr(8);
    auto existing = jobs_.Get(ws, ref);
    if (!existing.ok()) {
      if (existing.status().code() != ErrorCode::kResourceDoesNotExist) return existing.status();
      return InvalidArgument(fmt::format(
          "create_job names job '{}', which does not exist in workspace '{}'.", ref, ws));
    }
    spec = json::parse(existing->spec_json, nullptr, false);
    if (!spec.is_object()) return Internal("job '" + ref + "' has an unreadable spec");
  } else {
    spec = job;
  }
  spec.erase("name");
  for (const char* k : {"inputs", "outputs", "tags"}) {
    if (!cj.contains(k) || !cj[k].is_object()) continue;
    if (!spec.contains(k) || !spec[k].is_object()) spec[k] = json::object();
    for (const auto& [n, v] : cj[k].items()) spec[k][n] = Expand(v, job_name, fire_ms);
  }
  for (const char* k : {"experiment_name", "display_name", "description", "compute"}) {
    if (cj.contains(k) && cj[k].is_string()) spec[k] = Expand(cj[k], job_name, fire_ms);
  }
  // Runtime settings belong to pipeline jobs; a command job has none to set.
  if (cj.contains("settings") && cj["settings"].is_object() && JobType(spec) == "pipeline") {
    if (!spec.contains("settings") || !spec["settings"].is_object())
      spec["settings"] = json::object();
    for (const auto& [n, v] : cj["settings"].items()) spec["settings"][n] = v;
  }
  if (!spec.contains("tags") || !spec["tags"].is_object()) spec["tags"] = json::object();
  spec["tags"]["mlws.schedule.name"] = schedule;
  spec["tags"]["mlws.schedule.fire_time"] = FormatUtc(fire_ms);
  spec["name"] = job_name;
  return spec;
}

StatusOr<Schedule> ScheduleService::Render(const store::ScheduleRecord& r, bool with_fires) {
  Schedule s;
  s.record = r;
  s.spec = json::parse(r.spec_json, nullptr, false);
  if (!s.spec.is_object()) return Internal("schedule '" + r.name + "' has an unreadable spec");
  if (r.enabled && r.next_fire_ms != 0) {
    auto t = ParseTrigger(s.spec["trigger"], r.created_at);
    std::optional<std::int64_t> at = r.next_fire_ms;
    while (t.ok() && at && static_cast<int>(s.upcoming.size()) < kUpcoming) {
      s.upcoming.push_back(*at);
      at = NextFire(*t, *at);
    }
  }
  if (with_fires) {
    ASSIGN_OR_RETURN(s.fires, store_.schedules().ListFires(r.workspace_id, r.name, kFiresShown));
  }
  return s;
}

StatusOr<Schedule> ScheduleService::Create(const std::string& ws, const json& spec,
                                           const auth::Principal& who) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  if (!spec.is_object() || !spec.contains("name") || !spec["name"].is_string()) {
    return InvalidArgument("A schedule needs a 'name'.");
  }
  std::string name = spec["name"].get<std::string>();
  RETURN_IF_ERROR(ValidateScheduleName(name));
  ASSIGN_OR_RETURN(Parsed p, Validate(ws, spec, name));
  store::ScheduleRecord r;
  r.workspace_id = ws_id;
  r.name = name;
  r.enabled = spec.value("is_enabled", true);
  p.spec.erase("is_enabled");
  r.spec_json = DumpJson(p.spec);
  r.next_fire_ms = NextFire(p.trigger, std::max(clock_(), p.trigger.start_ms) - 1).value_or(0);
  r.owner = who.name;
  r.owner_id = who.user_id;
  r.created_at = r.updated_at = clock_();
  RETURN_IF_ERROR(store_.schedules().CreateSchedule(r));
  {
    std::lock_guard<std::mutex> lock(mu_);
    kicked_ = true;
  }
  cv_.notify_all();
  return Render(r, true);
}

StatusOr<Schedule> ScheduleService::Update(const std::string& ws, const std::string& name,
                                           const json& spec, const auth::Principal& who) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(store::ScheduleRecord r, store_.schedules().GetSchedule(ws_id, name));
  if (spec.is_object() && spec.contains("name") && spec["name"] != name) {
    return InvalidArgument(fmt::format(
        "The spec names schedule '{}', not '{}': a schedule cannot be renamed.",
        spec["name"].is_string() ? spec["name"].get<std::string>() : spec["name"].dump(), name));
  }
  ASSIGN_OR_RETURN(Parsed p, Validate(ws, spec, name));
  if (spec.contains("is_enabled")) r.enabled = spec["is_enabled"].get<bool>();
  p.spec.erase("is_enabled");
  r.spec_json = DumpJson(p.spec);
  r.next_fire_ms = NextFire(p.trigger, std::max(clock_(), p.trigger.start_ms) - 1).value_or(0);
  r.updated_at = clock_();
  (void)who;  // the jobs keep being created as the schedule's creator
  RETURN_IF_ERROR(store_.schedules().UpdateSchedule(r));
  {
    std::lock_guard<std::mutex> lock(mu_);
    kicked_ = true;
  }
  cv_.notify_all();
  return Render(r, true);
}

StatusOr<Schedule> ScheduleService::Get(const std::string& ws, const std::string& name) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(store::ScheduleRecord r, store_.schedules().GetSchedule(ws_id, name));
  return Render(r, true);
}

StatusOr<std::vector<Schedule>> ScheduleService::List(const std::string& ws) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(auto records, store_.schedules().ListSchedules(ws_id));
  std::vector<Schedule> out;
  for (const auto& r : records) {
    ASSIGN_OR_RETURN(Schedule s, Render(r, true));
    out.push_back(std::move(s));
  }
  return out;
}

StatusOr<Schedule> ScheduleService::SetEnabled(const std::string& ws, const std::string& name,
                                               bool enabled) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  ASSIGN_OR_RETURN(store::ScheduleRecord r, store_.schedules().GetSchedule(ws_id, name));
  if (r.enabled != enabled) {
    r.enabled = enabled;
    if (enabled) {
      // Times passed while disabled are not caught up: continue from now.
      json spec = json::parse(r.spec_json, nullptr, false);
      ASSIGN_OR_RETURN(Trigger t, ParseTrigger(spec["trigger"], r.created_at));
      r.next_fire_ms = NextFire(t, std::max(clock_(), t.start_ms) - 1).value_or(0);
    }
    r.updated_at = clock_();
    RETURN_IF_ERROR(store_.schedules().UpdateSchedule(r));
    {
      std::lock_guard<std::mutex> lock(mu_);
      kicked_ = true;
    }
    cv_.notify_all();
  }
  return Render(r, true);
}

Status ScheduleService::Delete(const std::string& ws, const std::string& name) {
  ASSIGN_OR_RETURN(std::int64_t ws_id, tracking_.WorkspaceId(ws));
  return store_.schedules().DeleteSchedule(ws_id, name);
}

int ScheduleService::FireDue() {
  std::int64_t now = clock_();
  auto due = store_.schedules().DueSchedules(now);
  if (!due.ok()) {
    spdlog::warn("schedules: cannot read due schedules: {}", due.status().message());
    return 0;
  }
  int created = 0;
  std::map<std::int64_t, std::string> ws_names;
  for (const auto& r : *due) {
    json spec = json::parse(r.spec_json, nullptr, false);
    if (!spec.is_object()) continue;
    auto t = ParseTrigger(spec["trigger"], r.created_at);
    // Missed-fire rule: of the fire times up to now, only the latest fires.
    std::int64_t fire = r.next_fire_ms;
    int skipped = 0;
    std::optional<std::int64_t> next = t.ok() ? NextFire(*t, fire) : std::nullopt;
    while (next && *next <= now && skipped < kMaxSkipped) {
      fire = *next;
      ++skipped;
      next = NextFire(*t, fire);
    }
    auto won = store_.schedules().ClaimFire(r.workspace_id, r.name, r.next_fire_ms, fire,
                                            next.value_or(0));
    if (!won.ok() || !*won) continue;  // another server fired it (or the schedule changed)
    if (!ws_names.count(r.workspace_id)) {
      auto list = tracking_.ListWorkspaces();
      if (list.ok()) {
        for (const auto& w : *list) ws_names[w.id] = w.name;
      }
    }
    const std::string& ws = ws_names[r.workspace_id];
    store::ScheduleFire f;
    f.schedule = r.name;
    f.fire_ms = fire;
    f.created_at = clock_();
    std::string job_name = r.name + "_" + FireSuffix(fire);
    auto job_spec = t.ok() ? JobSpecFor(ws, spec["create_job"], r.name, fire, job_name)
                           : StatusOr<json>(t.status());
    if (job_spec.ok()) {
      auth::Principal who(r.owner_id, r.owner, r.owner_id == 0);
      auto job = jobs_.Create(ws, *job_spec, who);
      if (job.ok()) {
        f.job_name = job->name;
        ++created;
      } else {
        f.error = job.status().message();
      }
    } else {
      f.error = job_spec.status().message();
    }
    if (skipped > 0) {
      f.error +=
          (f.error.empty() ? "" : " ") + fmt::format("({} earlier fire time{} missed and skipped.)",
                                                     skipped, skipped == 1 ? " was" : "s were");
    }
    if (!f.job_name.empty()) {
      spdlog::info("schedule {}/{} fired for {}: job {}", ws, r.name, FormatUtc(fire), f.job_name);
    } else {
      spdlog::warn("schedule {}/{} fired for {} but created no job: {}", ws, r.name,
                   FormatUtc(fire), f.error);
    }
    Status st = store_.schedules().RecordFire(r.workspace_id, f);
    if (!st.ok()) spdlog::warn("schedules: cannot record a fire: {}", st.message());
  }
  return created;
}

void ScheduleService::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    FireDue();
    std::int64_t wait = 1000;  // other servers may add schedules: look at least once a second
    auto earliest = store_.schedules().EarliestFire();
    if (earliest.ok() && *earliest > 0) {
      wait = std::clamp<std::int64_t>(*earliest - clock_(), 20, 1000);
    }
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(wait), [this] { return stopping_ || kicked_; });
    kicked_ = false;
  }
}

}  // namespace mlws::schedules
