// BayesianSampler: the Optuna helper process and its JSON-lines protocol.
#include "mlws/jobs/sweep_bayesian.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include "jobs/command.h"

extern char** environ;

namespace mlws::jobs {

using nlohmann::json;

namespace {

std::int64_t MonoMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

json SpaceJson(const SweepSpec& spec) {
  json out = json::array();
  for (const auto& d : spec.space) {
    json j = {{"name", d.name}, {"type", d.type}};
    if (d.type == "choice") {
      j["values"] = d.values;
    } else if (d.type == "randint") {
      j["upper"] = d.upper;
    } else if (d.type.find("uniform") != std::string::npos) {
      j["min_value"] = d.min_value;
      j["max_value"] = d.max_value;
    } else {
      j["mu"] = d.mu;
      j["sigma"] = d.sigma;
    }
    if (d.q > 0) j["q"] = d.q;
    out.push_back(std::move(j));
  }
  return out;
}

class BayesianSampler : public Sampler {
 public:
  BayesianSampler(pid_t pid, int to, int from, int timeout_ms, std::string python)
      : pid_(pid), to_(to), from_(from), timeout_ms_(timeout_ms), python_(std::move(python)) {}
  ~BayesianSampler() override {
    ::close(to_);
    ::close(from_);
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }

  // One request, one answer line.
  StatusOr<json> Call(const json& request) {
    if (!error_.empty()) return Status(ErrorCode::kTemporarilyUnavailable, error_);
    std::string line = request.dump() + "\n";
    for (size_t done = 0; done < line.size();) {
      ssize_t n = ::write(to_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Fail("the Bayesian sampler's helper is gone (" + python_ + ")");
      done += static_cast<size_t>(n);
    }
    std::int64_t deadline = MonoMs() + timeout_ms_;
    for (;;) {
      size_t nl = buf_.find('\n');
      if (nl != std::string::npos) {
        json answer = json::parse(buf_.substr(0, nl), nullptr, false);
        buf_.erase(0, nl + 1);
        if (!answer.is_object()) return Fail("the Bayesian sampler's helper answered garbage");
        if (!answer.value("ok", false)) {
          return Fail("the Bayesian sampler failed: " + answer.value("error", std::string()));
        }
        return answer;
      }
      std::int64_t left = deadline - MonoMs();
      if (left <= 0) return Fail("the Bayesian sampler's helper did not answer in time");
      pollfd p = {from_, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(left));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) continue;
      char chunk[8192];
      ssize_t n = ::read(from_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return Fail("the Bayesian sampler's helper exited (is optuna installed for " + python_ +
                    "? set MLWS_SWEEP_PYTHON)");
      }
      buf_.append(chunk, static_cast<size_t>(n));
    }
  }

  std::optional<TrialValues> Next() override { return Draw({{"op", "ask"}}); }

  void Replay(int index, const json& state) override {
    if (state.is_object()) {
      (void)Draw({{"op", "replay"}, {"internal", state}}, index);
    } else {
      (void)Draw({{"op", "ask"}}, index);  // recorded before it had a state: a fresh point
    }
  }

  void Tell(int index, std::optional<double> value) override {
    json req = {{"op", "tell"}, {"index", index}, {"value", nullptr}};
    if (value) req["value"] = *value;
    auto r = Call(req);
    if (!r.ok()) spdlog::warn("bayesian sampler: {}", r.status().message());
  }

  json State(int index) const override {
    auto it = internal_.find(index);
    return it == internal_.end() ? json() : it->second;
  }

  std::string Error() const override { return error_; }

 private:
  std::optional<TrialValues> Draw(json req, int index = -1) {
    if (index < 0) index = next_index_;
    next_index_ = index + 1;
    req["index"] = index;
    auto r = Call(req);
    if (!r.ok()) return std::nullopt;
    TrialValues values;
    for (const auto& [k, v] : (*r)["params"].items()) values[k] = v;
    internal_[index] = (*r)["internal"];
    return values;
  }

  Status Fail(const std::string& why) {
    error_ = why;
    return Status(ErrorCode::kTemporarilyUnavailable, why);
  }

  pid_t pid_;
  int to_, from_;
  int timeout_ms_;
  std::string python_;
  std::string buf_;
  std::string error_;
  int next_index_ = 0;
  std::map<int, json> internal_;
};

}  // namespace

std::string BayesianPython(const BayesianOptions& options) {
  if (!options.python.empty()) return options.python;
  if (const char* env = std::getenv("MLWS_SWEEP_PYTHON"); env && *env) return env;
  if (!options.python_path.empty()) {
    std::filesystem::path venv =
        std::filesystem::path(options.python_path) / ".." / ".venv-optuna" / "bin" / "python";
    std::error_code ec;
    if (std::filesystem::exists(venv, ec)) return venv.lexically_normal().string();
  }
  return "python3";
}

StatusOr<std::unique_ptr<Sampler>> StartBayesianSampler(const SweepSpec& spec,
                                                        const BayesianOptions& options) {
  std::string python = BayesianPython(options);
  std::vector<std::string> args = {python, "-m", "mlws_sweep"};
  std::vector<std::string> envs;
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, "PYTHONPATH=", 11) != 0) envs.emplace_back(*e);
  }
  if (!options.python_path.empty()) envs.push_back("PYTHONPATH=" + options.python_path);
  std::vector<char*> a, e;
  for (auto& s : args) a.push_back(s.data());
  a.push_back(nullptr);
  for (auto& s : envs) e.push_back(s.data());
  e.push_back(nullptr);
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return Internal(std::string("pipe: ") + strerror(errno));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return Internal(std::string("pipe: ") + strerror(errno));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawnattr_t attr;
  InitSpawnAttributes(&attr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0].c_str(), &fa, &attr, a.data(), e.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(in[0]);
  ::close(out[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    return Status(ErrorCode::kTemporarilyUnavailable,
                  "Bayesian sampling needs a Python with optuna: cannot run " + python + " (" +
                      strerror(rc) + "); set MLWS_SWEEP_PYTHON.");
  }
  auto sampler = std::make_unique<BayesianSampler>(pid, in[1], out[0], options.timeout_ms, python);
  json init = {{"op", "init"}, {"goal", spec.goal}, {"space", SpaceJson(spec)}, {"seed", nullptr}};
  if (spec.seed) init["seed"] = *spec.seed;
  auto r = sampler->Call(init);
  if (!r.ok()) {
    return Status(ErrorCode::kTemporarilyUnavailable,
                  "Bayesian sampling needs a Python with optuna (" + python +
                      " could not start the sampler: " + r.status().message() +
                      "); set MLWS_SWEEP_PYTHON.");
  }
  return std::unique_ptr<Sampler>(std::move(sampler));
}

}  // namespace mlws::jobs
