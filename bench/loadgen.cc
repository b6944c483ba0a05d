// mlws-loadgen: HTTP/1.1 load generator for MLflow-compatible tracking servers.
//
// Usage: mlws-loadgen <command> --url http://127.0.0.1:PORT[/prefix] [options]
//   log-batch   --clients N --seconds S [--metrics-per-request 1000]
//   log-metric  --clients N --seconds S
//   create-run  --clients N --seconds S
//   populate    --runs R --clients N [--experiment-id E] [--max-seconds T]
//   search      --experiment-id E --requests K [--clients N] [--max-seconds T]
//   history     --points P [--clients N] [--repeats 5] [--max-seconds T]
// Common: --timeout SEC (per request, default 30), --warmup SEC (timed commands, default 1),
//         --hard-timeout SEC (whole process; default derived from the other bounds).
//
// Every command prints exactly one JSON object on one line to stdout. Non-2xx responses and
// transport failures are counted and reported, never hidden; "error" is set when the command
// could not run at all. Exit status: 0 = ran (errors may still be > 0), 1 = bad usage,
// 2 = could not run (setup failed), 3 = hard timeout.
//
// Design: one thread per client connection, each with its own keep-alive HttpConn. Request
// bodies are serialised once into templates whose numeric fields (timestamp, step, value) sit in
// fixed-width, space-padded slots that are patched in place per request, so the generator
// spends microseconds, not milliseconds, per 1000-metric batch and leaves the CPU to the server.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"

namespace mlws::bench {
namespace {

using json = nlohmann::json;

constexpr std::string_view kApi = "/api/2.0/mlflow";
constexpr uint64_t kMaxIterations = 100'000'000;  // per client, on top of the time bound
constexpr int kMaxConsecutiveTransportErrors = 20;

// ---------------------------------------------------------------------------------------------
// Options

class Options {
 public:
  bool Parse(int argc, char** argv, int first, std::string* error) {
    for (int i = first; i < argc; ++i) {
      std::string a = argv[i];
      if (a.rfind("--", 0) != 0 || i + 1 >= argc) {
        *error = "expected --name value, got '" + a + "'";
        return false;
      }
      kv_[a.substr(2)] = argv[++i];
    }
    return true;
  }
  bool Has(const std::string& k) const { return kv_.count(k) != 0; }
  std::string Str(const std::string& k, const std::string& def = "") const {
    auto it = kv_.find(k);
    return it == kv_.end() ? def : it->second;
  }
  double Num(const std::string& k, double def) const {
    auto it = kv_.find(k);
    if (it == kv_.end()) return def;
    try {
      return std::stod(it->second);
    } catch (...) {
      std::fprintf(stderr, "bad number for --%s: %s\n", k.c_str(), it->second.c_str());
      std::exit(1);
    }
  }
  long long Int(const std::string& k, long long def) const {
    return static_cast<long long>(Num(k, static_cast<double>(def)));
  }
  std::vector<std::string> Unknown(const std::vector<std::string>& known) const {
    std::vector<std::string> out;
    for (auto& [k, v] : kv_) {
      if (std::find(known.begin(), known.end(), k) == known.end()) out.push_back(k);
    }
    return out;
  }

 private:
  std::map<std::string, std::string> kv_;
};

// ---------------------------------------------------------------------------------------------
// Statistics

struct Stats {
  std::vector<double> latency_ms;  // successful requests only
  uint64_t ok = 0;
  uint64_t http_errors = 0;
  uint64_t transport_errors = 0;
  uint64_t check_errors = 0;  // 2xx but the response content was wrong
  std::string first_error;

  void Record(const Result& r, double ms, const std::string& body) {
    if (r.ok()) {
      ++ok;
      latency_ms.push_back(ms);
      return;
    }
    if (r.status == 0) {
      ++transport_errors;
    } else {
      ++http_errors;
    }
    if (first_error.empty()) {
      first_error =
          r.status == 0 ? r.error : "HTTP " + std::to_string(r.status) + ": " + body.substr(0, 300);
    }
  }
  void CheckError(const std::string& why) {
    ++check_errors;
    if (first_error.empty()) first_error = why;
  }
  void Merge(Stats&& o) {
    latency_ms.insert(latency_ms.end(), o.latency_ms.begin(), o.latency_ms.end());
    ok += o.ok;
    http_errors += o.http_errors;
    transport_errors += o.transport_errors;
    check_errors += o.check_errors;
    if (first_error.empty()) first_error = std::move(o.first_error);
  }
  uint64_t Errors() const { return http_errors + transport_errors + check_errors; }
};

double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
  return v[std::min(idx, v.size() - 1)];
}

double Round3(double x) { return std::isnan(x) ? x : std::round(x * 1000.0) / 1000.0; }

void AddStats(json& out, Stats& s) {
  out["ok"] = s.ok;
  out["errors"] = s.Errors();
  out["http_errors"] = s.http_errors;
  out["transport_errors"] = s.transport_errors;
  out["check_errors"] = s.check_errors;
  auto num = [](double x) { return std::isnan(x) ? json(nullptr) : json(Round3(x)); };
  out["p50_ms"] = num(Percentile(s.latency_ms, 0.50));
  out["p90_ms"] = num(Percentile(s.latency_ms, 0.90));
  out["p99_ms"] = num(Percentile(s.latency_ms, 0.99));
  out["max_ms"] = num(s.latency_ms.empty() ? NAN : s.latency_ms.back());
  if (!s.first_error.empty()) out["first_error"] = s.first_error;
}

// ---------------------------------------------------------------------------------------------
// Body templates: JSON with fixed-width numeric slots patched in place.

class BodyTemplate {
 public:
  static constexpr int kTsWidth = 13;    // epoch ms, 13 digits until year 2286
  static constexpr int kStepWidth = 12;  // space-padded on the left
  static constexpr int kValueWidth = 8;  // "0.dddddd"

  void Lit(std::string_view s) { text_.append(s); }
  void TsSlot() { ts_.push_back(Slot(kTsWidth)); }
  void StepSlot(int64_t step_offset) { steps_.push_back({Slot(kStepWidth), step_offset}); }
  void ValueSlot() { values_.push_back(Slot(kValueWidth)); }

  // Writes timestamp `ts` in every timestamp slot, `base + offset` in every step slot, and fresh
  // pseudo-random values in [0,1) in every value slot.
  void Patch(long long ts, int64_t step_base, uint64_t* rng) {
    for (size_t off : ts_) WriteRight(off, kTsWidth, ts);
    for (auto& [off, delta] : steps_) WriteRight(off, kStepWidth, step_base + delta);
    for (size_t off : values_) {
      *rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
      uint32_t frac = static_cast<uint32_t>((*rng >> 33) % 1000000);
      char* p = text_.data() + off;
      p[0] = '0';
      p[1] = '.';
      for (int i = 7; i >= 2; --i) {
        p[i] = static_cast<char>('0' + frac % 10);
        frac /= 10;
      }
    }
  }
  const std::string& text() const { return text_; }

 private:
  size_t Slot(int width) {
    size_t off = text_.size();
    text_.append(static_cast<size_t>(width), '0');
    return off;
  }
  void WriteRight(size_t off, int width, long long v) {
    char tmp[24];
    auto [end, ec] = std::to_chars(tmp, tmp + sizeof(tmp), v);
    int n = static_cast<int>(end - tmp);
    if (n > width) n = width;  // cannot happen for sane inputs; keep the JSON valid-length
    char* p = text_.data() + off;
    std::memset(p, ' ', static_cast<size_t>(width - n));
    std::memcpy(p + (width - n), tmp, static_cast<size_t>(n));
  }

  std::string text_;
  std::vector<size_t> ts_;
  std::vector<std::pair<size_t, int64_t>> steps_;
  std::vector<size_t> values_;
};

// log-batch body: `keys` metric keys x `steps` steps (metrics = keys*steps), step = base + s.
BodyTemplate LogBatchTemplate(const std::string& run_id, int keys, int steps,
                              const std::string& key_prefix) {
  BodyTemplate t;
  t.Lit("{\"run_id\":\"" + run_id + "\",\"metrics\":[");
  bool first = true;
  for (int k = 0; k < keys; ++k) {
    std::string key = keys == 1 ? key_prefix : key_prefix + std::to_string(k);
    for (int s = 0; s < steps; ++s) {
      t.Lit(first ? "{\"key\":\"" : ",{\"key\":\"");
      first = false;
      t.Lit(key);
      t.Lit("\",\"value\":");
      t.ValueSlot();
      t.Lit(",\"timestamp\":");
      t.TsSlot();
      t.Lit(",\"step\":");
      t.StepSlot(s);
      t.Lit("}");
    }
  }
  t.Lit("]}");
  return t;
}

// ---------------------------------------------------------------------------------------------
// MLflow helpers

std::string Ep(std::string_view rpc) { return std::string(kApi) + std::string(rpc); }

std::string UniqueName(const std::string& what, int idx) {
  return "mlws-bench-" + what + "-" + std::to_string(getpid()) + "-" + std::to_string(EpochMs()) +
         "-" + std::to_string(idx);
}

bool CreateExperiment(HttpConn& c, const std::string& name, std::string* id, std::string* err) {
  std::string body;
  json req = {{"name", name}};
  Result r = c.Do("POST", Ep("/experiments/create"), req.dump(), &body);
  if (!r.ok()) {
    *err = "experiments/create failed: " +
           (r.status ? "HTTP " + std::to_string(r.status) + " " + body.substr(0, 300) : r.error);
    return false;
  }
  try {
    *id = json::parse(body).at("experiment_id").get<std::string>();
  } catch (const std::exception& e) {
    *err = std::string("experiments/create: bad response: ") + e.what();
    return false;
  }
  return true;
}

// Parses the run id out of a runs/create response body.
bool RunIdFrom(const std::string& body, std::string* run_id, std::string* err) {
  try {
    *run_id = json::parse(body).at("run").at("info").at("run_id").get<std::string>();
  } catch (const std::exception& e) {
    *err = std::string("runs/create: bad response: ") + e.what();
    return false;
  }
  return true;
}

std::string CreateRunBody(const std::string& exp_id, const std::string& run_name) {
  json req = {{"experiment_id", exp_id}, {"start_time", EpochMs()}, {"run_name", run_name}};
  return req.dump();
}

bool CreateRun(HttpConn& c, const std::string& exp_id, const std::string& run_name,
               std::string* run_id, std::string* err) {
  std::string body;
  Result r = c.Do("POST", Ep("/runs/create"), CreateRunBody(exp_id, run_name), &body);
  if (!r.ok()) {
    *err = "runs/create failed: " +
           (r.status ? "HTTP " + std::to_string(r.status) + " " + body.substr(0, 300) : r.error);
    return false;
  }
  return RunIdFrom(body, run_id, err);
}

// ---------------------------------------------------------------------------------------------
// Timed load: N clients each run setup() once, then issue requests until the window closes.

struct Request {
  std::string_view method;
  std::string_view target;
  std::string_view body;
};

struct Client {
  explicit Client(const Url& url, double timeout) : conn(url, timeout) {}
  HttpConn conn;
  std::string exp_id, run_id, target, scratch;
  BodyTemplate tmpl;
  uint64_t rng = 0;
  Stats stats;
};

struct TimedSpec {
  // Per-client preparation (not timed). Returns "" or an error text.
  std::function<std::string(int idx, Client&)> setup;
  // Builds request `iter` of a client; must stay valid until the next call.
  std::function<Request(Client&, uint64_t iter)> next;
};

// Returns the measured window in seconds and merged stats.
json RunTimed(const Url& url, const Options& o, const TimedSpec& spec, Stats* merged,
              double* window_s) {
  const int clients = static_cast<int>(std::clamp<long long>(o.Int("clients", 1), 1, 1024));
  const double seconds = std::clamp(o.Num("seconds", 10), 0.1, 3600.0);
  const double warmup = std::clamp(o.Num("warmup", 1), 0.0, 600.0);
  const double timeout = o.Num("timeout", 30);

  std::vector<Client> cs;
  cs.reserve(static_cast<size_t>(clients));
  for (int i = 0; i < clients; ++i) cs.emplace_back(url, timeout);
  std::vector<std::string> setup_err(static_cast<size_t>(clients));
  {
    std::vector<std::thread> ts;
    for (int i = 0; i < clients; ++i) {
      ts.emplace_back([&, i] {
        cs[i].rng = 0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(i + 1);
        setup_err[i] = spec.setup(i, cs[i]);
      });
    }
    for (auto& t : ts) t.join();
  }
  for (auto& e : setup_err) {
    if (!e.empty()) return json{{"error", "setup failed: " + e}};
  }

  const double t_begin = NowS() + warmup;
  const double t_end = t_begin + seconds;
  {
    std::vector<std::thread> ts;
    for (int i = 0; i < clients; ++i) {
      ts.emplace_back([&, i] {
        Client& c = cs[i];
        std::string resp;
        int consecutive = 0;
        for (uint64_t iter = 0; iter < kMaxIterations; ++iter) {
          double t0 = NowS();
          if (t0 >= t_end) break;
          Request rq = spec.next(c, iter);
          Result r = c.conn.Do(rq.method, rq.target, rq.body, &resp);
          double t1 = NowS();
          if (t1 > t_end) break;  // completed after the window: not counted
          if (t0 >= t_begin) c.stats.Record(r, (t1 - t0) * 1000.0, resp);
          if (r.status == 0) {
            if (++consecutive >= kMaxConsecutiveTransportErrors) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          } else {
            consecutive = 0;
          }
        }
      });
    }
    for (auto& t : ts) t.join();
  }
  for (auto& c : cs) merged->Merge(std::move(c.stats));
  *window_s = seconds;
  return json::object();
}

json TimedResult(const std::string& cmd, const Options& o, Stats& s, double window) {
  json out = {{"cmd", cmd},
              {"url", o.Str("url")},
              {"clients", o.Int("clients", 1)},
              {"seconds", window},
              {"requests_per_s", Round3(static_cast<double>(s.ok) / window)}};
  AddStats(out, s);
  return out;
}

// Shared setup: own experiment + own run per client.
std::string SetupOwnRun(int idx, Client& c, const std::string& what) {
  std::string err;
  if (!CreateExperiment(c.conn, UniqueName(what, idx), &c.exp_id, &err)) return err;
  if (!CreateRun(c.conn, c.exp_id, "bench-" + what + "-" + std::to_string(idx), &c.run_id, &err)) {
    return err;
  }
  return "";
}

json CmdLogBatch(const Url& url, const Options& o) {
  const int per_req = static_cast<int>(o.Int("metrics-per-request", 1000));
  if (per_req < 1 || per_req > 1000)
    return json{{"error", "--metrics-per-request must be 1..1000"}};
  // 10 keys x (per_req/10) steps when divisible by 10, else 1 key x per_req steps.
  const int keys = per_req % 10 == 0 ? 10 : 1;
  const int steps = per_req / keys;
  const std::string target = Ep("/runs/log-batch");
  TimedSpec spec;
  spec.setup = [&](int idx, Client& c) {
    std::string err = SetupOwnRun(idx, c, "log-batch");
    if (err.empty()) c.tmpl = LogBatchTemplate(c.run_id, keys, steps, "m");
    return err;
  };
  spec.next = [&](Client& c, uint64_t iter) {
    c.tmpl.Patch(EpochMs(), static_cast<int64_t>(iter) * steps, &c.rng);
    return Request{"POST", target, c.tmpl.text()};
  };
  Stats s;
  double window = 0;
  json err = RunTimed(url, o, spec, &s, &window);
  if (err.contains("error")) return err;
  json out = TimedResult("log-batch", o, s, window);
  out["metrics_per_request"] = per_req;
  out["points_per_s"] = Round3(static_cast<double>(s.ok) * per_req / window);
  return out;
}

json CmdLogMetric(const Url& url, const Options& o) {
  const std::string target = Ep("/runs/log-metric");
  TimedSpec spec;
  spec.setup = [&](int idx, Client& c) {
    std::string err = SetupOwnRun(idx, c, "log-metric");
    if (!err.empty()) return err;
    BodyTemplate& t = c.tmpl;
    t.Lit("{\"run_id\":\"" + c.run_id + "\",\"key\":\"loss\",\"value\":");
    t.ValueSlot();
    t.Lit(",\"timestamp\":");
    t.TsSlot();
    t.Lit(",\"step\":");
    t.StepSlot(0);
    t.Lit("}");
    return std::string();
  };
  spec.next = [&](Client& c, uint64_t iter) {
    c.tmpl.Patch(EpochMs(), static_cast<int64_t>(iter), &c.rng);
    return Request{"POST", target, c.tmpl.text()};
  };
  Stats s;
  double window = 0;
  json err = RunTimed(url, o, spec, &s, &window);
  if (err.contains("error")) return err;
  return TimedResult("log-metric", o, s, window);
}

json CmdCreateRun(const Url& url, const Options& o) {
  const std::string target = Ep("/runs/create");
  TimedSpec spec;
  spec.setup = [&](int idx, Client& c) {
    std::string err;
    if (!CreateExperiment(c.conn, UniqueName("create-run", idx), &c.exp_id, &err)) return err;
    BodyTemplate& t = c.tmpl;
    t.Lit("{\"experiment_id\":\"" + c.exp_id + "\",\"run_name\":\"bench-run\",\"start_time\":");
    t.TsSlot();
    t.Lit("}");
    return std::string();
  };
  spec.next = [&](Client& c, uint64_t) {
    c.tmpl.Patch(EpochMs(), 0, &c.rng);
    return Request{"POST", target, c.tmpl.text()};
  };
  Stats s;
  double window = 0;
  json err = RunTimed(url, o, spec, &s, &window);
  if (err.contains("error")) return err;
  json out = TimedResult("create-run", o, s, window);
  out["runs_per_s"] = out["requests_per_s"];
  return out;
}

// ---------------------------------------------------------------------------------------------
// populate: R runs with 5 params, 5 metrics (acc ~ U[0,1]), 3 tags.

json CmdPopulate(const Url& url, const Options& o) {
  const long long runs = o.Int("runs", 1000);
  const int clients = static_cast<int>(std::clamp<long long>(o.Int("clients", 8), 1, 1024));
  const double max_s = o.Num("max-seconds", 3600);
  const double timeout = o.Num("timeout", 30);
  if (runs < 0 || runs > 100'000'000) return json{{"error", "--runs out of range"}};

  std::string exp_id = o.Str("experiment-id");
  if (exp_id.empty()) {
    HttpConn c(url, timeout);
    std::string err;
    if (!CreateExperiment(c, UniqueName("populate", 0), &exp_id, &err)) {
      return json{{"error", err}};
    }
  }
  const std::string create_target = Ep("/runs/create");
  const std::string batch_target = Ep("/runs/log-batch");
  const long long base = o.Int("name-offset", 0);
  std::atomic<long long> next{0};
  std::atomic<bool> stop{false};
  std::vector<Stats> stats(static_cast<size_t>(clients));
  std::atomic<long long> runs_done{0};
  const double t0 = NowS();
  const double deadline = t0 + max_s;
  std::vector<std::thread> ts;
  for (int i = 0; i < clients; ++i) {
    ts.emplace_back([&, i] {
      HttpConn c(url, timeout);
      std::mt19937_64 rng(12345 + static_cast<uint64_t>(i) * 7919 + static_cast<uint64_t>(base));
      std::uniform_real_distribution<double> uni(0.0, 1.0);
      std::string resp, run_id, err;
      Stats& st = stats[i];
      int consecutive = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        long long n = next.fetch_add(1);
        if (n >= runs) break;
        if (NowS() >= deadline) {
          stop = true;
          break;
        }
        long long k = base + n;
        double ta = NowS();
        Result r =
            c.Do("POST", create_target, CreateRunBody(exp_id, "run-" + std::to_string(k)), &resp);
        if (r.ok() && !RunIdFrom(resp, &run_id, &err)) {
          st.CheckError(err);
          continue;
        }
        st.Record(r, (NowS() - ta) * 1000.0, resp);
        if (!r.ok()) {
          if (r.status == 0 && ++consecutive >= kMaxConsecutiveTransportErrors) stop = true;
          continue;
        }
        long long ts_ms = EpochMs();
        char buf[64];
        std::string b;
        b.reserve(1024);
        b += "{\"run_id\":\"" + run_id + "\",\"metrics\":[";
        const char* names[] = {"acc", "loss", "f1", "precision", "recall"};
        for (int m = 0; m < 5; ++m) {
          double v = uni(rng);
          std::snprintf(buf, sizeof(buf), "%.17g", v);
          b += std::string(m ? "," : "") + "{\"key\":\"" + names[m] + "\",\"value\":" + buf +
               ",\"timestamp\":" + std::to_string(ts_ms) + ",\"step\":0}";
        }
        b += "],\"params\":[";
        const char* pnames[] = {"lr", "batch_size", "optimizer", "epochs", "seed"};
        std::string pvals[] = {std::to_string(1 + k % 10) + "e-3", std::to_string(16 << (k % 4)),
                               k % 2 ? "adam" : "sgd", std::to_string(1 + k % 50),
                               std::to_string(k)};
        for (int p = 0; p < 5; ++p) {
          b += std::string(p ? "," : "") + "{\"key\":\"" + pnames[p] + "\",\"value\":\"" +
               pvals[p] + "\"}";
        }
        b += "],\"tags\":[{\"key\":\"team\",\"value\":\"team-" + std::to_string(k % 7) +
             "\"},{\"key\":\"dataset\",\"value\":\"ds-" + std::to_string(k % 13) +
             "\"},{\"key\":\"model\",\"value\":\"" + (k % 3 ? "resnet" : "vit") + "\"}]}";
        ta = NowS();
        r = c.Do("POST", batch_target, b, &resp);
        st.Record(r, (NowS() - ta) * 1000.0, resp);
        if (r.ok()) {
          runs_done.fetch_add(1);
          consecutive = 0;
        } else if (r.status == 0 && ++consecutive >= kMaxConsecutiveTransportErrors) {
          stop = true;
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  const double elapsed = NowS() - t0;
  Stats s;
  for (auto& st : stats) s.Merge(std::move(st));
  json out = {{"cmd", "populate"},
              {"url", o.Str("url")},
              {"experiment_id", exp_id},
              {"runs_requested", runs},
              {"runs", runs_done.load()},
              {"clients", clients},
              {"seconds", Round3(elapsed)},
              {"runs_per_s", Round3(static_cast<double>(runs_done.load()) / elapsed)},
              {"timed_out", runs_done.load() < runs && NowS() >= deadline}};
  AddStats(out, s);
  return out;
}

// ---------------------------------------------------------------------------------------------
// search: runs/search latency with a filter + order_by, validating the result.

std::string CheckSearch(const std::string& body, size_t expect) {
  json j;
  try {
    j = json::parse(body);
  } catch (const std::exception& e) {
    return std::string("search: unparsable response: ") + e.what();
  }
  if (!j.contains("runs") || !j["runs"].is_array()) return "search: no runs[] in response";
  const auto& runs = j["runs"];
  if (runs.size() != expect) {
    return "search: expected " + std::to_string(expect) + " runs, got " +
           std::to_string(runs.size());
  }
  double prev = INFINITY;
  for (const auto& run : runs) {
    double acc = NAN;
    if (run.contains("data") && run["data"].contains("metrics")) {
      for (const auto& m : run["data"]["metrics"]) {
        if (m.value("key", "") == "acc" && m.contains("value") && m["value"].is_number()) {
          acc = m["value"].get<double>();
        }
      }
    }
    if (std::isnan(acc)) return "search: a run lacks metric acc";
    if (!(acc > 0.5)) return "search: run with acc <= 0.5 returned";
    if (acc > prev) return "search: runs not ordered by acc DESC";
    prev = acc;
  }
  return "";
}

json CmdSearch(const Url& url, const Options& o) {
  const std::string exp_id = o.Str("experiment-id");
  if (exp_id.empty()) return json{{"error", "--experiment-id is required"}};
  const long long requests = std::clamp<long long>(o.Int("requests", 100), 1, 10'000'000);
  const int clients = static_cast<int>(std::clamp<long long>(o.Int("clients", 1), 1, 256));
  const double max_s = o.Num("max-seconds", 600);
  const double timeout = o.Num("timeout", 30);
  const long long max_results = o.Int("max-results", 100);
  const size_t expect = static_cast<size_t>(o.Int("expect-runs", max_results));
  const int warmup_req = static_cast<int>(o.Int("warmup-requests", 2));
  json req = {{"experiment_ids", {exp_id}},
              {"filter", o.Str("filter", "metrics.acc > 0.5")},
              {"order_by", {o.Str("order-by", "metrics.acc DESC")}},
              {"max_results", max_results}};
  const std::string body = req.dump();
  const std::string target = Ep("/runs/search");

  // Warm-up (not timed), also a first correctness probe.
  Stats s;
  {
    HttpConn c(url, timeout);
    std::string resp;
    for (int i = 0; i < warmup_req; ++i) {
      Result r = c.Do("POST", target, body, &resp);
      if (!r.ok()) {
        s.Record(r, 0, resp);
        json out = {{"cmd", "search"}, {"error", "warm-up request failed: " + s.first_error}};
        return out;
      }
    }
  }
  std::atomic<long long> next{0};
  std::vector<Stats> stats(static_cast<size_t>(clients));
  const double t0 = NowS();
  const double deadline = t0 + max_s;
  std::vector<std::thread> ts;
  for (int i = 0; i < clients; ++i) {
    ts.emplace_back([&, i] {
      HttpConn c(url, timeout);
      std::string resp;
      int consecutive = 0;
      while (next.fetch_add(1) < requests && NowS() < deadline) {
        double ta = NowS();
        Result r = c.Do("POST", target, body, &resp);
        double ms = (NowS() - ta) * 1000.0;
        if (r.ok()) {
          std::string why = CheckSearch(resp, expect);
          if (!why.empty()) {
            stats[i].CheckError(why);
            continue;
          }
        }
        stats[i].Record(r, ms, resp);
        if (r.status == 0 && ++consecutive >= kMaxConsecutiveTransportErrors) break;
        if (r.status != 0) consecutive = 0;
      }
    });
  }
  for (auto& t : ts) t.join();
  for (auto& st : stats) s.Merge(std::move(st));
  const double elapsed = NowS() - t0;
  json out = {{"cmd", "search"},
              {"url", o.Str("url")},
              {"experiment_id", exp_id},
              {"clients", clients},
              {"requests", s.ok + s.Errors()},
              {"requests_planned", requests},
              {"seconds", Round3(elapsed)},
              {"requests_per_s", Round3(static_cast<double>(s.ok) / elapsed)}};
  AddStats(out, s);
  return out;
}

// ---------------------------------------------------------------------------------------------
// history: log P points of one metric, then time full GetMetricHistory reads.

// Counts metric objects in a get-history body without building a DOM (a 1M-point response is
// ~80 MB): every metric has a non-empty "key" field, and nothing else in the response does.
size_t CountOccurrences(std::string_view hay, std::string_view needle) {
  size_t n = 0;
  for (size_t pos = hay.find(needle); pos != std::string_view::npos;
       pos = hay.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

// Extracts "next_page_token": "<value>" (empty when absent).
std::string NextPageToken(std::string_view body) {
  constexpr std::string_view kKey = "\"next_page_token\"";
  size_t pos = body.rfind(kKey);
  if (pos == std::string_view::npos) return "";
  pos += kKey.size();
  while (pos < body.size() && (body[pos] == ' ' || body[pos] == ':' || body[pos] == '\n' ||
                               body[pos] == '\r' || body[pos] == '\t')) {
    ++pos;
  }
  if (pos >= body.size() || body[pos] != '"') return "";
  size_t end = pos + 1;
  while (end < body.size() && body[end] != '"') end += body[end] == '\\' ? 2 : 1;
  if (end >= body.size()) return "";
  try {
    return json::parse(body.substr(pos, end - pos + 1)).get<std::string>();
  } catch (...) {
    return "";
  }
}

json CmdHistory(const Url& url, const Options& o) {
  const long long points = o.Int("points", 100000);
  const int clients = static_cast<int>(std::clamp<long long>(o.Int("clients", 4), 1, 256));
  const int repeats = static_cast<int>(std::clamp<long long>(o.Int("repeats", 5), 1, 1000));
  const double max_s = o.Num("max-seconds", 1800);
  const double timeout = o.Num("timeout", 120);
  const long long max_pages = o.Int("max-pages", 1'000'000);
  if (points < 1000 || points % 1000 != 0 || points > 100'000'000) {
    return json{{"error", "--points must be a positive multiple of 1000"}};
  }
  const double t_start = NowS();
  const double deadline = t_start + max_s;
  std::string exp_id, run_id, err;
  {
    HttpConn c(url, timeout);
    if (!CreateExperiment(c, UniqueName("history", 0), &exp_id, &err) ||
        !CreateRun(c, exp_id, "bench-history", &run_id, &err)) {
      return json{{"cmd", "history"}, {"error", err}};
    }
  }
  // Populate: batch b holds steps [1000b, 1000b+1000).
  const long long batches = points / 1000;
  const std::string batch_target = Ep("/runs/log-batch");
  std::atomic<long long> next{0};
  std::atomic<bool> stop{false};
  std::vector<Stats> stats(static_cast<size_t>(clients));
  std::vector<std::thread> ts;
  for (int i = 0; i < clients; ++i) {
    ts.emplace_back([&, i] {
      HttpConn c(url, timeout);
      BodyTemplate t = LogBatchTemplate(run_id, 1, 1000, "loss");
      uint64_t rng = 0x1234567ULL + static_cast<uint64_t>(i);
      std::string resp;
      while (!stop.load()) {
        long long b = next.fetch_add(1);
        if (b >= batches) break;
        if (NowS() >= deadline) {
          stop = true;
          break;
        }
        t.Patch(EpochMs(), b * 1000, &rng);
        double ta = NowS();
        Result r = c.Do("POST", batch_target, t.text(), &resp);
        stats[i].Record(r, (NowS() - ta) * 1000.0, resp);
        if (!r.ok()) stop = true;  // a lost batch invalidates the point count: stop early
      }
    });
  }
  for (auto& th : ts) th.join();
  Stats populate;
  for (auto& st : stats) populate.Merge(std::move(st));
  const double populate_s = NowS() - t_start;
  json out = {
      {"cmd", "history"},
      {"url", o.Str("url")},
      {"run_id", run_id},
      {"points", points},
      {"populate_seconds", Round3(populate_s)},
      {"populate_points_per_s", Round3(static_cast<double>(populate.ok) * 1000 / populate_s)},
      {"populate_errors", populate.Errors()}};
  if (populate.Errors() != 0 || populate.ok != static_cast<uint64_t>(batches)) {
    out["error"] = "populate failed after " + std::to_string(populate.ok) + " of " +
                   std::to_string(batches) + " batches: " +
                   (populate.first_error.empty() ? "time budget exceeded" : populate.first_error);
    return out;
  }

  Stats s;
  std::vector<long long> counts;
  long long pages_per_read = 0;
  HttpConn c(url, timeout);
  std::string resp;
  const std::string base_target =
      Ep("/metrics/get-history") + "?run_id=" + run_id + "&metric_key=loss";
  for (int rep = 0; rep < repeats && NowS() < deadline; ++rep) {
    double ta = NowS();
    long long count = 0, pages = 0;
    std::string token;
    Result r;
    bool failed = false;
    do {
      std::string target = base_target;
      if (!token.empty()) target += "&page_token=" + UrlEncode(token);
      r = c.Do("GET", target, "", &resp);
      if (!r.ok()) {
        failed = true;
        break;
      }
      count += static_cast<long long>(CountOccurrences(resp, "\"key\""));
      token = NextPageToken(resp);
      ++pages;
    } while (!token.empty() && pages < max_pages && NowS() < deadline);
    double ms = (NowS() - ta) * 1000.0;
    if (failed) {
      s.Record(r, ms, resp);
      continue;
    }
    if (!token.empty()) {
      s.CheckError("get-history: pagination did not finish within bounds");
      continue;
    }
    counts.push_back(count);
    pages_per_read = pages;
    if (count != points) {
      s.CheckError("get-history returned " + std::to_string(count) + " points, expected " +
                   std::to_string(points));
      continue;
    }
    s.Record(r, ms, resp);
  }
  out["repeats"] = repeats;
  out["pages_per_read"] = pages_per_read;
  out["points_returned"] = counts;
  out["points_ok"] = !counts.empty() && std::all_of(counts.begin(), counts.end(),
                                                    [&](long long n) { return n == points; });
  AddStats(out, s);
  return out;
}

// ---------------------------------------------------------------------------------------------

void PrintLine(const json& j) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  s += '\n';
  (void)!::write(1, s.data(), s.size());
}

int Usage() {
  std::fprintf(stderr,
               "usage: mlws-loadgen <log-batch|log-metric|create-run|populate|search|history> "
               "--url http://127.0.0.1:PORT[/prefix] [--name value ...]\n"
               "see the comment at the top of bench/loadgen.cc\n");
  return 1;
}

int Main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help") return Usage() - 1;
  Options o;
  std::string err;
  if (!o.Parse(argc, argv, 2, &err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return Usage();
  }
  using Fn = json (*)(const Url&, const Options&);
  struct Cmd {
    Fn fn;
    std::vector<std::string> opts;
  };
  const std::vector<std::string> common = {"url", "timeout", "hard-timeout"};
  const std::map<std::string, Cmd> cmds = {
      {"log-batch", {CmdLogBatch, {"clients", "seconds", "warmup", "metrics-per-request"}}},
      {"log-metric", {CmdLogMetric, {"clients", "seconds", "warmup"}}},
      {"create-run", {CmdCreateRun, {"clients", "seconds", "warmup"}}},
      {"populate",
       {CmdPopulate, {"runs", "clients", "experiment-id", "max-seconds", "name-offset"}}},
      {"search",
       {CmdSearch,
        {"experiment-id", "requests", "clients", "max-seconds", "filter", "order-by", "max-results",
         "expect-runs", "warmup-requests"}}},
      {"history", {CmdHistory, {"points", "clients", "repeats", "max-seconds", "max-pages"}}},
  };
  auto it = cmds.find(cmd);
  if (it == cmds.end()) {
    std::fprintf(stderr, "unknown command '%s'\n", cmd.c_str());
    return Usage();
  }
  std::vector<std::string> known = it->second.opts;
  known.insert(known.end(), common.begin(), common.end());
  if (auto unknown = o.Unknown(known); !unknown.empty()) {
    std::fprintf(stderr, "unknown option --%s for %s\n", unknown[0].c_str(), cmd.c_str());
    return Usage();
  }
  if (!o.Has("url")) {
    std::fprintf(stderr, "--url is required\n");
    return Usage();
  }
  auto url = ParseUrl(o.Str("url"), &err);
  if (!url) {
    PrintLine(json{{"cmd", cmd}, {"error", err}});
    return 1;
  }

  // Whole-process watchdog: whatever happens, the process ends.
  double hard = o.Num("hard-timeout", 0);
  if (hard <= 0) {
    const double t = o.Num("timeout", 30);
    hard = o.Num("seconds", 10) + o.Num("warmup", 1) + o.Num("max-seconds", 0) + 4 * t + 120;
    if (cmd == "populate" || cmd == "search" || cmd == "history") {
      hard = o.Num("max-seconds", cmd == "history"  ? 1800
                                  : cmd == "search" ? 600
                                                    : 3600) +
             4 * o.Num("timeout", cmd == "history" ? 120 : 30) + 120;
    }
  }
  std::thread([hard, cmd] {
    std::this_thread::sleep_for(std::chrono::duration<double>(hard));
    PrintLine(json{{"cmd", cmd}, {"error", "hard timeout after " + std::to_string(hard) + " s"}});
    std::_Exit(3);
  }).detach();

  json out = it->second.fn(*url, o);
  if (!out.contains("cmd")) out["cmd"] = cmd;
  PrintLine(out);
  return out.contains("error") ? 2 : 0;
}

}  // namespace
}  // namespace mlws::bench

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  return mlws::bench::Main(argc, argv);
}
