// sweepJob parsing, the search-space samplers and the trial's command spec.
#include "mlws/jobs/sweep_spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/special_functions/erf.hpp>
#include <boost/random/sobol.hpp>
#include <cmath>
#include <random>
#include <set>

#include "mlws/jobs/job_spec.h"

namespace mlws::jobs {

using nlohmann::json;

namespace {

constexpr int kMaxTrials = 10000;
constexpr size_t kMaxParameters = 100;

Status Keys(const json& j, const std::string& where, const std::set<std::string>& allowed) {
  for (const auto& [k, v] : j.items()) {
    if (!allowed.count(k)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return InvalidArgument(fmt::format("Unknown field '{}{}' (expected: {}).", where, k, list));
    }
  }
  return Status::Ok();
}

StatusOr<double> Number(const json& d, const std::string& where, const char* key) {
  if (!d.contains(key) || !d[key].is_number()) {
    return InvalidArgument(fmt::format("{}.{} (a number) is required.", where, key));
  }
  return d[key].get<double>();
}

StatusOr<Distribution> ParseDistribution(const std::string& name, const json& d) {
  std::string where = "search_space." + name;
  if (!d.is_object() || !d.contains("type") || !d["type"].is_string()) {
    return InvalidArgument(where + " must be a mapping with a 'type' (a distribution).");
  }
  Distribution out;
  out.name = name;
  out.type = d["type"].get<std::string>();
  const std::string& t = out.type;
  if (t == "choice") {
    RETURN_IF_ERROR(Keys(d, where + ".", {"type", "values"}));
    if (!d.contains("values") || !d["values"].is_array() || d["values"].empty()) {
      return InvalidArgument(where + ".values must be a non-empty list.");
    }
    for (const auto& v : d["values"]) {
      if (!v.is_primitive() || v.is_null()) {
        return InvalidArgument(where + ".values must hold numbers, strings or booleans.");
      }
      out.values.push_back(v);
    }
  } else if (t == "randint") {
    RETURN_IF_ERROR(Keys(d, where + ".", {"type", "upper"}));
    if (!d.contains("upper") || !d["upper"].is_number_integer() ||
        d["upper"].get<std::int64_t>() < 1 || d["upper"].get<std::int64_t>() > 1'000'000'000) {
      return InvalidArgument(where + ".upper must be a whole number from 1 to 1000000000.");
    }
    out.upper = d["upper"].get<int>();
  } else if (t == "uniform" || t == "quniform" || t == "loguniform" || t == "qloguniform") {
    bool q = t[0] == 'q';
    RETURN_IF_ERROR(Keys(d, where + ".",
                         q ? std::set<std::string>{"type", "min_value", "max_value", "q"}
                           : std::set<std::string>{"type", "min_value", "max_value"}));
    ASSIGN_OR_RETURN(out.min_value, Number(d, where, "min_value"));
    ASSIGN_OR_RETURN(out.max_value, Number(d, where, "max_value"));
    if (!(out.min_value < out.max_value)) {
      return InvalidArgument(where + ".min_value must be below max_value.");
    }
    if (q) {
      ASSIGN_OR_RETURN(out.q, Number(d, where, "q"));
    }
  } else if (t == "normal" || t == "qnormal" || t == "lognormal" || t == "qlognormal") {
    bool q = t[0] == 'q';
    RETURN_IF_ERROR(Keys(d, where + ".",
                         q ? std::set<std::string>{"type", "mu", "sigma", "q"}
                           : std::set<std::string>{"type", "mu", "sigma"}));
    ASSIGN_OR_RETURN(out.mu, Number(d, where, "mu"));
    ASSIGN_OR_RETURN(out.sigma, Number(d, where, "sigma"));
    if (!(out.sigma > 0)) return InvalidArgument(where + ".sigma must be above 0.");
    if (q) {
      ASSIGN_OR_RETURN(out.q, Number(d, where, "q"));
    }
  } else {
    return InvalidArgument(fmt::format(
        "Unknown distribution '{}' in {}: use choice, randint, uniform, quniform, loguniform, "
        "qloguniform, normal, qnormal, lognormal or qlognormal.",
        t, where));
  }
  if (out.type[0] == 'q' && !(out.q > 0)) return InvalidArgument(where + ".q must be above 0.");
  return out;
}

double Quantize(double x, double q) { return q > 0 ? std::round(x / q) * q : x; }

// The standard normal quantile (Boost.Math), so a Sobol coordinate in (0, 1) maps to a normal
// value.
double NormalQuantile(double p) {
  p = std::clamp(p, 1e-12, 1 - 1e-12);
  return std::sqrt(2.0) * boost::math::erf_inv(2 * p - 1);
}

// A value of `d` from a uniform coordinate u in [0, 1).
json FromUniform(const Distribution& d, double u) {
  const std::string& t = d.type;
  if (t == "choice") {
    size_t i = std::min(d.values.size() - 1, static_cast<size_t>(u * d.values.size()));
    return d.values[i];
  }
  if (t == "randint") return std::min(d.upper - 1, static_cast<int>(u * d.upper));
  if (t == "uniform" || t == "quniform") {
    return Quantize(d.min_value + u * (d.max_value - d.min_value), d.q);
  }
  if (t == "loguniform" || t == "qloguniform") {
    return Quantize(std::exp(d.min_value + u * (d.max_value - d.min_value)), d.q);
  }
  double n = d.mu + d.sigma * NormalQuantile(u);
  if (t == "normal" || t == "qnormal") return Quantize(n, d.q);
  return Quantize(std::exp(n), d.q);  // (q)lognormal
}

class RandomSampler final : public Sampler {
 public:
  explicit RandomSampler(const SweepSpec& s)
      : space_(s.space), rng_(s.seed ? *s.seed : std::random_device{}()) {}
  std::optional<TrialValues> Next() override {
    TrialValues v;
    std::uniform_real_distribution<double> u01(0.0, 1.0);
    for (const auto& d : space_) {
      if (d.type == "normal" || d.type == "qnormal" || d.type == "lognormal" ||
          d.type == "qlognormal") {
        double n = std::normal_distribution<double>(d.mu, d.sigma)(rng_);
        bool log = d.type.find("log") != std::string::npos;
        v[d.name] = Quantize(log ? std::exp(n) : n, d.q);
      } else {
        v[d.name] = FromUniform(d, u01(rng_));
      }
    }
    return v;
  }

 private:
  std::vector<Distribution> space_;
  std::mt19937_64 rng_;
};

class SobolSampler final : public Sampler {
 public:
  explicit SobolSampler(const SweepSpec& s) : space_(s.space), gen_(s.space.size()) {
    // Boost's sequence starts after the all-zero point; the seed skips that many more points.
    gen_.discard(space_.size() * (s.seed ? *s.seed : 0));
  }
  std::optional<TrialValues> Next() override {
    TrialValues v;
    for (const auto& d : space_) {
      double u = static_cast<double>(gen_()) / 18446744073709551616.0;  // / 2^64
      v[d.name] = FromUniform(d, u);
    }
    return v;
  }

 private:
  std::vector<Distribution> space_;
  boost::random::sobol gen_;
};

class GridSampler final : public Sampler {
 public:
  explicit GridSampler(const SweepSpec& s) : space_(s.space), index_(s.space.size(), 0) {}
  std::optional<TrialValues> Next() override {
    if (done_) return std::nullopt;
    TrialValues v;
    for (size_t i = 0; i < space_.size(); ++i) v[space_[i].name] = space_[i].values[index_[i]];
    // Odometer: the last parameter varies fastest.
    done_ = true;
    for (size_t i = space_.size(); i-- > 0;) {
      if (++index_[i] < space_[i].values.size()) {
        done_ = false;
        break;
      }
      index_[i] = 0;
    }
    return v;
  }

 private:
  std::vector<Distribution> space_;
  std::vector<size_t> index_;
  bool done_ = false;
};

std::string ReplaceSearchSpace(std::string command) {
  const std::string from = "${{search_space.";
  for (size_t at = command.find(from); at != std::string::npos; at = command.find(from, at)) {
    command.replace(at, from.size(), "${{inputs.");
  }
  return command;
}

}  // namespace

std::string ValueText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
      return fmt::format("{:.1f}", d);
    }
    return fmt::format("{}", d);
  }
  return v.dump();
}

std::string StringField(const json& j, const char* key, const std::string& fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

std::int64_t GridSize(const SweepSpec& spec) {
  std::int64_t n = 1;
  for (const auto& d : spec.space) {
    if (d.type != "choice") return 0;
    n = std::min<std::int64_t>(n * static_cast<std::int64_t>(d.values.size()), 1'000'000'000);
  }
  return n;
}

StatusOr<SweepSpec> ParseSweepSpec(const json& spec) {
  if (!spec.is_object()) return InvalidArgument("The sweep spec must be a mapping.");
  RETURN_IF_ERROR(Keys(
      spec, "",
      {"$schema", "type", "name", "display_name", "description", "experiment_name", "tags",
       "properties", "trial", "inputs", "outputs", "compute", "sampling_algorithm", "search_space",
       "objective", "early_termination", "limits", "identity", "queue_settings"}));
  SweepSpec s;
  // The trial: an inline command (or a command component the CLI read from its file).
  if (!spec.contains("trial") || !spec["trial"].is_object()) {
    return InvalidArgument(
        "A sweep needs 'trial': a command (command, code, environment) or a command component.");
  }
  s.trial = spec["trial"];
  if (s.trial.contains("type") && s.trial["type"] != "command") {
    return InvalidArgument("trial.type must be 'command'.");
  }
  if (!s.trial.contains("command") || !s.trial["command"].is_string()) {
    return InvalidArgument("trial.command is required.");
  }
  s.inputs = spec.value("inputs", json::object());
  if (!s.inputs.is_object()) return InvalidArgument("'inputs' must be a mapping.");

  if (!spec.contains("search_space") || !spec["search_space"].is_object() ||
      spec["search_space"].empty()) {
    return InvalidArgument("A sweep needs a non-empty 'search_space'.");
  }
  if (spec["search_space"].size() > kMaxParameters) {
    return InvalidArgument(fmt::format("search_space has at most {} parameters.", kMaxParameters));
  }
  for (const auto& [name, d] : spec["search_space"].items()) {
    if (s.inputs.contains(name)) {
      return InvalidArgument(
          fmt::format("'{}' is both an input and a search_space parameter: rename one.", name));
    }
    ASSIGN_OR_RETURN(Distribution dist, ParseDistribution(name, d));
    s.space.push_back(std::move(dist));
  }
  std::sort(s.space.begin(), s.space.end(),
            [](const Distribution& a, const Distribution& b) { return a.name < b.name; });

  const json& sa = spec.value("sampling_algorithm", json("random"));
  if (sa.is_string()) {
    s.sampling = sa.get<std::string>();
  } else if (sa.is_object()) {
    RETURN_IF_ERROR(Keys(sa, "sampling_algorithm.", {"type", "seed", "rule"}));
    s.sampling = StringField(sa, "type", "");
    if (sa.contains("seed") && !sa["seed"].is_null()) {
      if (!sa["seed"].is_number_integer() || sa["seed"].get<std::int64_t>() < 0) {
        return InvalidArgument("sampling_algorithm.seed must be a whole number >= 0.");
      }
      s.seed = sa["seed"].get<std::uint64_t>();
    }
    if (sa.contains("rule")) {
      s.rule = sa["rule"].is_string() ? sa["rule"].get<std::string>() : "";
      if (s.rule != "random" && s.rule != "sobol") {
        return InvalidArgument("sampling_algorithm.rule must be 'random' or 'sobol'.");
      }
    }
  } else {
    return InvalidArgument("sampling_algorithm must be random, grid or bayesian.");
  }
  if (s.sampling != "random" && s.sampling != "grid" && s.sampling != "bayesian") {
    return InvalidArgument(
        fmt::format("Unknown sampling_algorithm '{}': use random, grid or bayesian.", s.sampling));
  }
  if (s.sampling != "random" && (s.seed || s.rule != "random")) {
    return InvalidArgument("sampling_algorithm.seed and .rule apply to random sampling only.");
  }
  if (s.sampling == "grid") {
    for (const auto& d : s.space) {
      if (d.type != "choice") {
        return InvalidArgument(fmt::format(
            "Grid sampling takes choice parameters only: search_space.{} is {} (a continuous or "
            "random range has no grid).",
            d.name, d.type));
      }
    }
  }

  const json& obj = spec.value("objective", json());
  if (!obj.is_object() || !obj.contains("primary_metric") || !obj["primary_metric"].is_string() ||
      obj["primary_metric"].get<std::string>().empty()) {
    return InvalidArgument("A sweep needs objective.primary_metric (and objective.goal).");
  }
  RETURN_IF_ERROR(Keys(obj, "objective.", {"goal", "primary_metric"}));
  s.primary_metric = obj["primary_metric"].get<std::string>();
  s.goal = StringField(obj, "goal", "");
  for (auto& c : s.goal) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s.goal != "minimize" && s.goal != "maximize") {
    return InvalidArgument("objective.goal must be 'minimize' or 'maximize'.");
  }

  if (spec.contains("early_termination")) {
    s.early_termination = spec["early_termination"];
    ASSIGN_OR_RETURN(s.policy, ParseEarlyTermination(s.early_termination));
  }

  const json& lim = spec.value("limits", json::object());
  if (!lim.is_object()) return InvalidArgument("'limits' must be a mapping.");
  RETURN_IF_ERROR(Keys(lim, "limits.",
                       {"max_total_trials", "max_concurrent_trials", "timeout", "trial_timeout"}));
  auto whole = [&](const char* k, std::int64_t lo, std::int64_t hi) -> StatusOr<std::int64_t> {
    if (!lim.contains(k) || lim[k].is_null()) return std::int64_t{0};
    if (!lim[k].is_number_integer() || lim[k].get<std::int64_t>() < lo ||
        lim[k].get<std::int64_t>() > hi) {
      return InvalidArgument(
          fmt::format("limits.{} must be a whole number from {} to {}.", k, lo, hi));
    }
    return lim[k].get<std::int64_t>();
  };
  ASSIGN_OR_RETURN(std::int64_t total, whole("max_total_trials", 1, kMaxTrials));
  ASSIGN_OR_RETURN(std::int64_t concurrent, whole("max_concurrent_trials", 1, kMaxTrials));
  ASSIGN_OR_RETURN(s.limits.timeout_s, whole("timeout", 1, 365LL * 24 * 3600));
  ASSIGN_OR_RETURN(s.limits.trial_timeout_s, whole("trial_timeout", 1, 365LL * 24 * 3600));
  std::int64_t grid = GridSize(s);
  if (total == 0) {
    if (s.sampling != "grid") {
      return InvalidArgument("limits.max_total_trials is required for random sampling.");
    }
    total = std::min<std::int64_t>(grid, kMaxTrials);
  }
  if (s.sampling == "grid") total = std::min(total, grid);
  s.limits.max_total_trials = static_cast<int>(total);
  s.limits.max_concurrent_trials =
      static_cast<int>(concurrent == 0 ? total : std::min(concurrent, total));

  // The first trial must be a valid command job now.
  auto first = MakeSampler(s)->Next();
  if (!first) return Internal("the search space has no point");
  auto parsed = ParseJobSpec(TrialJobSpec(spec, s, *first, "trial_check"));
  if (!parsed.ok()) return InvalidArgument("trial: " + parsed.status().message());
  return s;
}

std::unique_ptr<Sampler> MakeSampler(const SweepSpec& spec) {
  if (spec.sampling == "grid") return std::make_unique<GridSampler>(spec);
  if (spec.rule == "sobol") return std::make_unique<SobolSampler>(spec);
  return std::make_unique<RandomSampler>(spec);
}

json TrialJobSpec(const json& sweep_json, const SweepSpec& spec, const TrialValues& values,
                  const std::string& trial_name) {
  json job = json::object();
  for (const char* k :
       {"code", "environment", "environment_variables", "resources", "distribution"}) {
    if (spec.trial.contains(k)) job[k] = spec.trial[k];
  }
  job["type"] = "command";
  job["name"] = trial_name;
  job["command"] = ReplaceSearchSpace(spec.trial["command"].get<std::string>());
  for (const char* k : {"experiment_name", "compute", "tags", "queue_settings"}) {
    if (sweep_json.contains(k)) job[k] = sweep_json[k];
  }
  json inputs = json::object();
  // A command component declares its inputs: their defaults apply unless the sweep sets them.
  if (spec.trial.contains("inputs") && spec.trial["inputs"].is_object()) {
    for (const auto& [k, v] : spec.trial["inputs"].items()) {
      if (v.is_object() && v.contains("default")) {
        inputs[k] = v["default"];
      } else if (!v.is_object()) {
        inputs[k] = v;
      }
    }
  }
  for (const auto& [k, v] : spec.inputs.items()) inputs[k] = v;
  for (const auto& [k, v] : values) inputs[k] = v;
  job["inputs"] = inputs;
  if (sweep_json.contains("outputs")) job["outputs"] = sweep_json["outputs"];
  if (spec.limits.trial_timeout_s > 0) job["limits"] = {{"timeout", spec.limits.trial_timeout_s}};
  return job;
}

}  // namespace mlws::jobs
