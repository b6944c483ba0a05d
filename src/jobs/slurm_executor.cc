// The Slurm executor (see slurm_executor.h) and the executor that routes between it and the
// local one.
#include "mlws/jobs/slurm_executor.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "jobs/command.h"
#include "jobs/slurm_parse.h"
#include "mlws/common/env.h"
#include "mlws/common/ids.h"

extern char** environ;

namespace mlws::jobs {

namespace fs = std::filesystem;

namespace {

// The job's files are written through the Env seam (common/env.h), atomically; they are made
// durable with one syncfs per sbatch call (SyncJobFiles), not an fsync per file, which would
// cost a burst of jobs most of its dispatch rate.
Status WriteFile(const fs::path& path, const std::string& data, fs::perms perms) {
  return WriteFileAtomic(*Env::Default(), path.string(), data, static_cast<mode_t>(perms),
                         /*sync=*/false);
}

// Before sbatch (a job.sh a crash truncated must not run) and after it (exit.slurm: the id a
// restarted server re-adopts the job by).
Status SyncJobFiles(const fs::path& dir) { return Env::Default()->SyncFilesystem(dir.string()); }

std::string NulJoined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    out += s;
    out.push_back('\0');
  }
  return out;
}

std::optional<std::int64_t> ReadNumberFile(const fs::path& p) {
  std::ifstream in(p);
  std::int64_t v = 0;
  if (!(in >> v) || v <= 0) return std::nullopt;
  return v;
}

std::string FirstLines(const std::string& s, size_t max = 2000) {
  std::string t = s.substr(0, max);
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return t;
}

// How long after Slurm's StartTime a running job's "started" file may take to show up on the
// shared filesystem before StartTime stands in for it.
constexpr std::int64_t kStartedFileWaitMs = 10000;

// The batch script: the sandboxed command in the job's environment only (env -i), its output
// appended to the job's log; then the exit file in executor.h's format. With several nodes or a
// distribution, the command runs once per task under srun (the script calls itself with
// --task): each task adds its rank to the environment.
std::string BatchScript(const LaunchSpec& spec, const fs::path& dir) {
  const SlurmPlacement& p = *spec.slurm;
  bool srun = p.nodes > 1 || !p.distribution.empty();
  int tasks = std::max(1, p.nodes) * std::max(1, p.tasks_per_node);
  std::string d = ShellQuote(dir.string());
  std::string exit_path = ShellQuote(spec.exit_path);
  std::string exit_tmp = ShellQuote(spec.exit_path + ".tmp");
  std::string log = ShellQuote(spec.log_path);
  std::string run_task =
      "mapfile -d '' -t envv < \"$d/env\"\n"
      "mapfile -d '' -t argv < \"$d/argv\"\n"
      "cd " +
      ShellQuote(spec.work_dir) + " || exit 1\n";
  std::string script =
      "#!/bin/bash\n"
      "# Written by mlws: runs one job on Slurm (see docs/compute.md).\n"
      "d=" +
      d + "\n";
  if (srun) {
    std::string rank = "rank=(NODE_RANK=\"$SLURM_NODEID\" AZUREML_NODE_RANK=\"$SLURM_NODEID\")\n";
    if (p.distribution == "pytorch") {
      rank +=
          "rank+=(MASTER_ADDR=\"$MLWS_MASTER_ADDR\" MASTER_PORT=29500 "
          "WORLD_SIZE=\"$SLURM_NTASKS\" RANK=\"$SLURM_PROCID\" LOCAL_RANK=\"$SLURM_LOCALID\")\n";
    }
    script += "if [ \"$1\" = --task ]; then\n" + run_task + rank +
              "exec env -i \"${envv[@]}\" \"${rank[@]}\" \"${argv[@]}\"\n"
              "fi\n";
  }
  // scancel (a cancel, limits.timeout) sends SIGTERM to the script and the command: the trap
  // keeps the script alive until the command exits, so the exit file records the real end (in
  // ms; Slurm's EndTime has whole seconds). The command gets the default handler back at exec.
  script += "trap 'true' TERM\n";
  script += "date +%s%3N > \"$d/started.tmp\" && mv \"$d/started.tmp\" \"$d/started\"\n";
  if (srun) {
    script +=
        "MLWS_MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" 2>/dev/null | head -n "
        "1)\n"
        "export MLWS_MASTER_ADDR=${MLWS_MASTER_ADDR:-$(hostname)}\n"
        "srun --nodes=" +
        std::to_string(std::max(1, p.nodes)) + " --ntasks=" + std::to_string(tasks) +
        " --ntasks-per-node=" + std::to_string(std::max(1, p.tasks_per_node)) +
        " --kill-on-bad-exit=1 /bin/bash \"$d/job.sh\" --task >> " + log + " 2>&1 < /dev/null\n";
  } else {
    script += run_task + "env -i \"${envv[@]}\" \"${argv[@]}\" >> " + log + " 2>&1 < /dev/null\n";
  }
  script +=
      "rc=$?\n"
      "sig=0; [ \"$rc\" -gt 128 ] && sig=$((rc - 128))\n"
      "printf '%d %d %s\\n' \"$rc\" \"$sig\" \"$(date +%s%3N)\" > " +
      exit_tmp + " && mv " + exit_tmp + " " + exit_path +
      "\n"
      "exit \"$rc\"\n";
  return script;
}

// The script of a job array: task i runs the i-th job's own script, its Slurm output kept in
// that job's folder.
std::string ArrayScript(const std::vector<std::string>& job_scripts) {
  std::string s =
      "#!/bin/bash\n"
      "# Written by mlws: runs " +
      std::to_string(job_scripts.size()) +
      " jobs as one Slurm job array (see docs/compute.md).\n"
      "scripts=(\n";
  for (const auto& j : job_scripts) s += ShellQuote(j) + "\n";
  s += ")\n"
       "s=${scripts[$SLURM_ARRAY_TASK_ID]}\n"
       "exec /bin/bash \"$s\" >> \"${s%/job.sh}/slurm.out\" 2>&1\n";
  return s;
}

// The sbatch options that decide where and how long a job runs: jobs with the same ones can
// share one array.
std::string PlacementKey(const SlurmPlacement& p) {
  return p.partition + "|" + p.account + "|" + p.qos + "|" + p.gres + "|" +
         std::to_string(p.nodes) + "|" + std::to_string(p.time_limit_s);
}

class SlurmExecutor final : public Executor {
 public:
  SlurmExecutor(ExitFn on_exit, SlurmOptions options)
      : on_exit_(std::move(on_exit)), options_(std::move(options)) {
    // The Slurm tools get the server's PATH and Slurm settings, nothing else of its
    // environment (its credentials are not the cluster's business).
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      std::string_view v(*e);
      if (v.starts_with("PATH=") || v.starts_with("HOME=") || v.starts_with("SLURM_CONF=") ||
          v.starts_with("LANG=") || v.starts_with("TZ=")) {
        tool_env_.emplace_back(v);
      }
    }
    thread_ = std::thread([this] { Loop(); });
  }
  ~SlurmExecutor() override { Stop(); }

  StatusOr<ProcessHandle> Launch(const LaunchSpec& spec) override {
    RETURN_IF_ERROR(WriteJobFiles(spec));
    fs::path dir = SlurmDir(spec);
    std::vector<std::string> cmd =
        Sbatch(*spec.slurm, spec.slurm->job_name, spec.work_dir, (dir / "slurm.out").string());
    cmd.push_back((dir / "job.sh").string());
    RETURN_IF_ERROR(SyncJobFiles(dir));
    ASSIGN_OR_RETURN(std::int64_t id, Submit(cmd));
    auto h = Submitted(spec, id, -1);
    SyncSubmitted(dir);
    return h;
  }

  std::vector<StatusOr<ProcessHandle>> LaunchMany(const std::vector<LaunchSpec>& specs) override {
    // Units of work: one job, or a group of jobs with the same placement (one array each).
    std::vector<std::vector<size_t>> units;
    std::map<std::string, size_t> open;  // placement -> its unit still taking jobs
    size_t cap = static_cast<size_t>(std::max(1, options_.max_array_tasks));
    for (size_t i = 0; i < specs.size(); ++i) {
      if (!specs[i].slurm || cap == 1) {
        units.push_back({i});
        continue;
      }
      std::string k = PlacementKey(*specs[i].slurm);
      auto it = open.find(k);
      if (it == open.end() || units[it->second].size() >= cap) {
        open[k] = units.size();
        units.push_back({});
      }
      units[open[k]].push_back(i);
    }
    std::vector<std::optional<StatusOr<ProcessHandle>>> slots(specs.size());
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t u = next++; u < units.size(); u = next++) {
        if (units[u].size() == 1) {
          slots[units[u][0]] = Launch(specs[units[u][0]]);
        } else {
          LaunchArray(specs, units[u], slots);
        }
      }
    };
    size_t n = std::min<size_t>(units.size(), std::max(1, options_.max_parallel_submits));
    std::vector<std::thread> threads;
    for (size_t t = 1; t < n; ++t) threads.emplace_back(work);
    work();
    for (auto& t : threads) t.join();
    std::vector<StatusOr<ProcessHandle>> out;
    for (auto& s : slots) out.push_back(std::move(*s));
    return out;
  }

  void Adopt(const std::string& key, const ProcessHandle& handle,
             const std::string& exit_path) override {
    Watch(key, SlurmJobKey(handle.slurm_job_id, handle.slurm_array_task), exit_path);
  }

  void Signal(const ProcessHandle& h, int sig) override {
    if (h.slurm_job_id <= 0) return;
    std::vector<std::string> cmd = {Tool("scancel")};
    if (sig != SIGTERM) {
      cmd.push_back("--full");
      cmd.push_back("--signal=" + std::to_string(sig));
    }
    std::string id = SlurmJobKey(h.slurm_job_id, h.slurm_array_task);
    cmd.push_back(id);
    auto r = RunCommand(cmd, tool_env_, options_.command_timeout_ms);
    if (!r.ok() || r->exit_code != 0) {
      spdlog::warn("scancel of Slurm job {} failed: {}", id,
                   r.ok() ? FirstLines(r->err) : r.status().message());
    }
  }

  void Stop() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  struct Watched {
    std::string key;
    std::string exit_path;
    int misses = 0;        // polls in a row that squeue did not list it
    std::string reported;  // the progress last reported ("" = none, "R" = running, else why)
  };

  std::string Tool(const std::string& name) const {
    return options_.bin_dir.empty() ? name : (fs::path(options_.bin_dir) / name).string();
  }

  static fs::path SlurmDir(const LaunchSpec& spec) {
    return fs::path(spec.exit_path).parent_path() / "slurm";
  }

  // The job's environment, command line and batch script, in <job dir>/slurm.
  static Status WriteJobFiles(const LaunchSpec& spec) {
    if (!spec.slurm) return Internal("a job without a Slurm placement reached the Slurm executor");
    fs::path dir = SlurmDir(spec);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Internal("cannot create " + dir.string() + ": " + ec.message());
    std::vector<std::string> argv = spec.sandbox_argv;
    if (argv.empty()) argv = {DefaultShell(), "-c", spec.command};
    RETURN_IF_ERROR(WriteFile(dir / "env", NulJoined(spec.env), fs::perms::owner_read));
    RETURN_IF_ERROR(WriteFile(dir / "argv", NulJoined(argv), fs::perms::owner_read));
    return WriteFile(dir / "job.sh", BatchScript(spec, dir), fs::perms::owner_all);
  }

  std::vector<std::string> Sbatch(const SlurmPlacement& p, const std::string& name,
                                  const std::string& chdir, const std::string& output) const {
    std::vector<std::string> cmd = {Tool("sbatch"),
                                    "--parsable",
                                    "--job-name=" + name,
                                    "--chdir=" + chdir,
                                    "--output=" + output,
                                    "--open-mode=append",
                                    "--nodes=" + std::to_string(std::max(1, p.nodes))};
    if (!p.partition.empty()) cmd.push_back("--partition=" + p.partition);
    if (!p.account.empty()) cmd.push_back("--account=" + p.account);
    if (!p.qos.empty()) cmd.push_back("--qos=" + p.qos);
    if (!p.gres.empty()) cmd.push_back("--gres=" + p.gres);
    if (p.time_limit_s > 0) cmd.push_back("--time=" + SlurmTimeLimit(p.time_limit_s));
    if (p.tasks_per_node > 1)
      cmd.push_back("--ntasks-per-node=" + std::to_string(p.tasks_per_node));
    return cmd;
  }

  // Runs sbatch; the Slurm job id it printed.
  StatusOr<std::int64_t> Submit(const std::vector<std::string>& cmd) {
    // After a submission timed out, the next ones fail at once for a while instead of each
    // waiting the whole timeout (the scheduler waits for them).
    std::int64_t now = NowMillis();
    if (now < controller_down_until_ms_.load()) {
      return Status(ErrorCode::kTemporarilyUnavailable,
                    "sbatch failed: the Slurm controller did not answer a submission within " +
                        std::to_string(options_.command_timeout_ms / 1000) +
                        " s; submissions are tried again " +
                        std::to_string((controller_down_until_ms_.load() - now + 999) / 1000) +
                        " s from now");
    }
    auto run = RunCommand(cmd, tool_env_, options_.command_timeout_ms);
    if (!run.ok() && run.status().message().find("did not answer") != std::string::npos) {
      controller_down_until_ms_.store(NowMillis() + options_.command_timeout_ms);
    }
    if (!run.ok()) return Status(run.status().code(), "sbatch failed: " + run.status().message());
    const CommandResult& r = *run;
    if (r.exit_code != 0) {
      return Status(ErrorCode::kTemporarilyUnavailable,
                    "sbatch failed (exit " + std::to_string(r.exit_code) +
                        "): " + FirstLines(r.err.empty() ? r.out : r.err));
    }
    std::int64_t id = std::atoll(r.out.substr(0, r.out.find(';')).c_str());
    if (id <= 0) return Internal("sbatch printed no job id: " + FirstLines(r.out));
    return id;
  }

  // Records the Slurm job (task) of a submitted job and watches it.
  StatusOr<ProcessHandle> Submitted(const LaunchSpec& spec, std::int64_t id, int task) {
    std::string slurm_key = SlurmJobKey(id, task);
    RETURN_IF_ERROR(WriteFile(spec.exit_path + ".slurm", slurm_key + "\n", fs::perms::owner_read));
    ProcessHandle h;
    h.slurm_job_id = id;
    h.slurm_array_task = task;
    h.started_ms = NowMillis();
    Watch(spec.key, slurm_key, spec.exit_path);
    return h;
  }

  // Submits specs[which] (same placement) as one job array; fills their slots.
  void LaunchArray(const std::vector<LaunchSpec>& specs, const std::vector<size_t>& which,
                   std::vector<std::optional<StatusOr<ProcessHandle>>>& slots) {
    std::vector<size_t> ready;
    std::vector<std::string> scripts;
    for (size_t i : which) {
      Status st = WriteJobFiles(specs[i]);
      if (!st.ok()) {
        slots[i] = st;
        continue;
      }
      ready.push_back(i);
      scripts.push_back((SlurmDir(specs[i]) / "job.sh").string());
    }
    if (ready.empty()) return;
    const LaunchSpec& first = specs[ready[0]];
    fs::path script = SlurmDir(first) / "array.sh";
    Status st = WriteFile(script, ArrayScript(scripts), fs::perms::owner_all);
    if (st.ok()) st = SyncJobFiles(SlurmDir(first));
    StatusOr<std::int64_t> id = st;
    if (st.ok()) {
      std::vector<std::string> cmd =
          Sbatch(*first.slurm, "mlws-array", SlurmDir(first).string(), "/dev/null");
      cmd.push_back("--array=0-" + std::to_string(ready.size() - 1));
      cmd.push_back(script.string());
      id = Submit(cmd);
    }
    for (size_t t = 0; t < ready.size(); ++t) {
      slots[ready[t]] = id.ok() ? Submitted(specs[ready[t]], *id, static_cast<int>(t))
                                : StatusOr<ProcessHandle>(id.status());
    }
    if (id.ok()) SyncSubmitted(SlurmDir(first));
  }

  // Makes the exit.slurm files just written durable; a failure only weakens re-adoption after a
  // machine crash (the job runs), so it is logged, not returned.
  static void SyncSubmitted(const fs::path& dir) {
    Status st = SyncJobFiles(dir);
    if (!st.ok()) spdlog::warn("Slurm job files: {}", st.message());
  }

  void Watch(const std::string& key, const std::string& slurm_key, const std::string& exit_path) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      watches_[slurm_key] = {key, exit_path, 0, ""};
    }
    cv_.notify_all();
  }

  void Loop() {
    for (;;) {
      std::map<std::string, Watched> snapshot;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms),
                     [this] { return stopping_; });
        if (stopping_) return;
        snapshot = watches_;
      }
      if (!snapshot.empty()) Poll(snapshot);
    }
  }

  static std::map<std::string, SlurmJobState> ByKey(std::vector<SlurmJobState> jobs) {
    std::map<std::string, SlurmJobState> out;
    for (auto& j : jobs) out[SlurmJobKey(j.id, j.array_task)] = std::move(j);
    return out;
  }

  // What the cluster remembers of jobs that left no exit file: one sacct call where the cluster
  // keeps accounting, else one scontrol call (every job slurmctld still knows).
  std::map<std::string, SlurmJobState> Details(const std::vector<std::string>& ids) {
    std::string list;
    for (const auto& id : ids) list += (list.empty() ? "" : ",") + id;
    if (accounting_ != 0) {
      auto r = RunCommand({Tool("sacct"), "-n", "-P", "-X", "-o", kSacctFields, "-j", list},
                          tool_env_, options_.command_timeout_ms);
      if (r.ok() && r->exit_code == 0) {
        accounting_ = 1;
        return ByKey(ParseSacct(r->out));
      }
      if (r.ok() && r->err.find("disabled") != std::string::npos) accounting_ = 0;
    }
    auto r =
        RunCommand({Tool("scontrol"), "-o", "show", "job"}, tool_env_, options_.command_timeout_ms);
    if (r.ok() && r->exit_code == 0) return ByKey(ParseScontrolJobs(r->out));
    return {};
  }

  // What to report of a job Slurm lists as not ended: "R" (running) or why it waits.
  static std::string ProgressOf(const SlurmJobState& st) {
    if (st.state == "RUNNING" || st.state == "COMPLETING" || st.state == "SUSPENDED") return "R";
    return "Slurm: " + st.state + (st.reason.empty() ? "" : " (" + st.reason + ")");
  }

  void Poll(const std::map<std::string, Watched>& jobs) {
    // One squeue call for every watched job: arrays by their id, -r lists their tasks one by one.
    std::set<std::int64_t> ids;
    for (const auto& [key, w] : jobs) ids.insert(std::atoll(key.c_str()));
    std::string list;
    for (auto id : ids) list += (list.empty() ? "" : ",") + std::to_string(id);
    auto r = RunCommand({Tool("squeue"), "-h", "-r", "-t", "all", "-j", list, "-o", kSqueueFormat},
                        tool_env_, options_.command_timeout_ms);
    if (!r.ok() || (r->exit_code != 0 && r->err.find("Invalid job id") == std::string::npos)) {
      // The controller is unreachable: the jobs keep their state; try again next poll.
      std::int64_t now = NowMillis();
      if (now - last_warning_ms_ > 30000) {
        last_warning_ms_ = now;
        spdlog::warn("squeue failed ({} Slurm jobs watched): {}", jobs.size(),
                     r.ok() ? FirstLines(r->err) : r.status().message());
      }
      return;
    }
    std::map<std::string, SlurmJobState> listed = ByKey(ParseSqueue(r->out));

    struct Ended {
      std::string id;
      Watched w;
      std::optional<SlurmJobState> slurm;
      std::optional<ExitRecord> file;
    };
    struct Progress {
      std::string id;
      std::string key;
      std::string what;
      SlurmProgress p;
    };
    std::vector<Ended> ended;
    std::vector<Progress> progress;
    std::vector<std::string> need_details;
    std::vector<std::string> missing;
    for (const auto& [id, w] : jobs) {
      auto it = listed.find(id);
      std::optional<SlurmJobState> st;
      if (it != listed.end()) {
        if (!SlurmStateEnded(it->second.state)) {
          std::string what = ProgressOf(it->second);
          if (what != w.reported && options_.on_progress) {
            SlurmProgress p;
            p.running = what == "R";
            if (!p.running) p.reason = what;
            if (p.running) {
              // Running from the start the node wrote: squeue says RUNNING a moment before the
              // script runs, and its StartTime has whole seconds, so limits.timeout counted
              // from it would stop the command early. Without the file after a while (a slow
              // shared filesystem), StartTime it is.
              auto started =
                  ReadNumberFile(fs::path(w.exit_path).parent_path() / "slurm" / "started");
              const std::int64_t slurm_start = it->second.start_ms;
              if (!started && slurm_start > 0 && NowMillis() - slurm_start < kStartedFileWaitMs) {
                continue;  // not reported: asked again next poll
              }
              p.started_at = started ? *started : (slurm_start > 0 ? slurm_start : NowMillis());
            }
            progress.push_back({id, w.key, what, p});
          }
          continue;
        }
        st = it->second;
      }
      auto file = ReadExitFile(w.exit_path);
      if (!st && !file) {
        // squeue forgot it (or has not shown it yet): give it a few polls before asking more.
        missing.push_back(id);
        if (w.misses + 1 < 3) continue;
      }
      if (!file) need_details.push_back(id);
      ended.push_back({id, w, st, file});
    }
    std::map<std::string, SlurmJobState> details;
    if (!need_details.empty()) details = Details(need_details);

    std::vector<std::pair<std::string, ExitRecord>> reports;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& id : missing) {
        auto it = watches_.find(id);
        if (it != watches_.end()) ++it->second.misses;
      }
      for (auto& e : ended) {
        if (watches_.erase(e.id) == 0) continue;
        reports.emplace_back(e.w.key, Record(e.id, e.w, e.slurm, e.file, details));
      }
    }
    for (const auto& pr : progress) {
      if (!options_.on_progress(pr.key, pr.p)) continue;  // not recorded yet: next poll
      std::lock_guard<std::mutex> lock(mu_);
      auto it = watches_.find(pr.id);
      if (it != watches_.end()) it->second.reported = pr.what;
    }
    for (const auto& [key, rec] : reports) on_exit_(key, rec);
  }

  static ExitRecord Record(const std::string& id, const Watched& w,
                           const std::optional<SlurmJobState>& listed,
                           const std::optional<ExitRecord>& file,
                           const std::map<std::string, SlurmJobState>& details) {
    std::optional<SlurmJobState> st = listed;
    auto d = details.find(id);
    if (d != details.end()) {
      // Details carry the exit code; squeue's state is as good.
      std::string state = st ? st->state : d->second.state;
      st = d->second;
      st->state = state;
    }
    ExitRecord rec;
    if (file) {
      rec = *file;
    } else if (st && st->exit_code >= 0) {
      rec.exit_code = st->signal != 0 ? 128 + st->signal : st->exit_code;
      rec.signal = st->signal;
      rec.ended_at = st->end_ms;
    } else {
      rec.lost = true;
    }
    if (auto started = ReadNumberFile(fs::path(w.exit_path).parent_path() / "slurm" / "started")) {
      rec.started_at = *started;
    } else if (st && st->start_ms > 0) {
      rec.started_at = st->start_ms;
    }
    if (!file && st && st->state != "COMPLETED" && st->state != "FAILED") {
      rec.reason = "Slurm job " + id + " ended " + st->state + ".";
    } else if (rec.lost) {
      rec.reason = "Slurm no longer knows job " + id + " and it left no exit file.";
    }
    return rec;
  }

  ExitFn on_exit_;
  SlurmOptions options_;
  std::vector<std::string> tool_env_;                      // set once by the constructor
  std::atomic<std::int64_t> controller_down_until_ms_{0};  // see Launch
  int accounting_ = -1;               // monitor thread only: 1 = sacct works, 0 = no, -1 = ?
  std::int64_t last_warning_ms_ = 0;  // monitor thread only
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Watched> watches_;  // guarded by mu_: "<id>[_<task>]" -> job
  bool stopping_ = false;                   // guarded by mu_
  std::thread thread_;
};

class RoutingExecutor final : public Executor {
 public:
  RoutingExecutor(std::unique_ptr<Executor> local, std::unique_ptr<Executor> slurm)
      : local_(std::move(local)), slurm_(std::move(slurm)) {}

  StatusOr<ProcessHandle> Launch(const LaunchSpec& spec) override {
    return spec.slurm ? slurm_->Launch(spec) : local_->Launch(spec);
  }
  std::vector<StatusOr<ProcessHandle>> LaunchMany(const std::vector<LaunchSpec>& specs) override {
    std::vector<LaunchSpec> parts[2];
    std::vector<size_t> where[2];
    for (size_t i = 0; i < specs.size(); ++i) {
      int k = specs[i].slurm ? 1 : 0;
      parts[k].push_back(specs[i]);
      where[k].push_back(i);
    }
    std::vector<std::optional<StatusOr<ProcessHandle>>> slots(specs.size());
    for (int k = 0; k < 2; ++k) {
      if (parts[k].empty()) continue;
      auto got = (k == 1 ? slurm_ : local_)->LaunchMany(parts[k]);
      for (size_t j = 0; j < got.size(); ++j) slots[where[k][j]] = std::move(got[j]);
    }
    std::vector<StatusOr<ProcessHandle>> out;
    for (auto& s : slots) out.push_back(std::move(*s));
    return out;
  }
  void Adopt(const std::string& key, const ProcessHandle& handle,
             const std::string& exit_path) override {
    (handle.slurm_job_id > 0 ? slurm_ : local_)->Adopt(key, handle, exit_path);
  }
  void Signal(const ProcessHandle& handle, int sig) override {
    (handle.slurm_job_id > 0 ? slurm_ : local_)->Signal(handle, sig);
  }
  void Stop() override {
    local_->Stop();
    slurm_->Stop();
  }

 private:
  std::unique_ptr<Executor> local_;
  std::unique_ptr<Executor> slurm_;
};

}  // namespace

std::unique_ptr<Executor> NewSlurmExecutor(ExitFn on_exit, SlurmOptions options) {
  return std::make_unique<SlurmExecutor>(std::move(on_exit), std::move(options));
}

std::unique_ptr<Executor> NewExecutorWithSlurm(std::unique_ptr<Executor> local,
                                               std::unique_ptr<Executor> slurm) {
  return std::make_unique<RoutingExecutor>(std::move(local), std::move(slurm));
}

std::optional<SlurmJobRef> ReadSlurmJobFile(const std::string& exit_path) {
  std::ifstream in(exit_path + ".slurm");
  std::string word;
  SlurmJobRef ref;
  if (!(in >> word) || !ParseSlurmJobId(word, ref.job_id, ref.array_task)) return std::nullopt;
  return ref;
}

}  // namespace mlws::jobs
