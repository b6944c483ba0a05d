// Sweep jobs (Azure ML's sweepJob YAML): the spec, the search space and its samplers, and the
// command job each trial runs.
//
// ParseSweepSpec validates everything that can be checked without the workspace: the trial,
// every distribution and its parameters, the sampling algorithm against the space (grid takes
// choice only), the objective and the limits; the first trial's job spec is also parsed as a
// command job, so a bad trial fails at submission, not at the first trial.
//
// A trial is an ordinary command job: the sweep's `inputs`, the trial's own, and one literal
// input per search-space parameter (so each sampled value is a param of the trial's run);
// `${{search_space.x}}` in the trial's command reads the sampled value.
//
// Pure functions and value types; a Sampler is used by one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlws/common/status.h"
#include "mlws/jobs/sweep_policy.h"

namespace mlws::jobs {

// One search-space parameter. `type` is one of choice, randint, uniform, quniform, loguniform,
// qloguniform, normal, qnormal, lognormal, qlognormal.
struct Distribution {
  std::string name;
  std::string type;
  std::vector<nlohmann::json> values;   // choice
  int upper = 0;                        // randint: [0, upper)
  double min_value = 0, max_value = 0;  // (q)uniform, (q)loguniform (exponents for log)
  double mu = 0, sigma = 1;             // (q)normal, (q)lognormal
  double q = 0;                         // q* distributions: values are round(x / q) * q
};

struct SweepLimits {
  int max_total_trials = 0;
  int max_concurrent_trials = 0;
  std::int64_t timeout_s = 0;        // the whole sweep; 0 = none
  std::int64_t trial_timeout_s = 0;  // each trial; 0 = none
};

struct SweepSpec {
  nlohmann::json trial;             // the trial's command spec (command, code, environment…)
  nlohmann::json inputs;            // the sweep's inputs (an object)
  std::vector<Distribution> space;  // sorted by name
  std::string sampling = "random";  // random | grid | bayesian
  std::string rule = "random";      // random sampling: random | sobol
  std::optional<std::uint64_t> seed;
  std::string goal = "minimize";  // minimize | maximize
  std::string primary_metric;
  SweepLimits limits;
  nlohmann::json early_termination;  // null = none
  EarlyTermination policy;           // parsed early_termination (type "" = none)
};

StatusOr<SweepSpec> ParseSweepSpec(const nlohmann::json& spec);

// Sampled values, by parameter name.
using TrialValues = std::map<std::string, nlohmann::json>;

class Sampler {
 public:
  virtual ~Sampler() = default;
  // The next trial's values; nullopt when the space is exhausted (grid) or the sampler failed
  // (then Error() says why).
  virtual std::optional<TrialValues> Next() = 0;
  // A sampler that learns (bayesian) hears each trial's objective; nullopt = none (failed).
  virtual void Tell(int /*index*/, std::optional<double> /*value*/) {}
  // What the sampler needs to replay trial `index` after a restart (stored with the trial).
  virtual nlohmann::json State(int /*index*/) const { return nullptr; }
  // After a restart: trial `index` was drawn before (its State() as stored).
  virtual void Replay(int /*index*/, const nlohmann::json& /*state*/) { (void)Next(); }
  virtual std::string Error() const { return ""; }
};

// random (rule random: a seeded Mersenne Twister; rule sobol: Boost's Sobol sequence, the seed
// skipping that many points) or grid (every combination of the choices, in order). Bayesian
// sampling is not native (sweep_bayesian.h); here it gets a random sampler over the same space,
// which is what validation needs.
std::unique_ptr<Sampler> MakeSampler(const SweepSpec& spec);

// Number of grid points (product of the choices' sizes); 0 when not a grid over choices.
std::int64_t GridSize(const SweepSpec& spec);

// The command job spec of trial `index` of sweep `sweep_name` with `values`.
nlohmann::json TrialJobSpec(const nlohmann::json& sweep_json, const SweepSpec& spec,
                            const TrialValues& values, const std::string& trial_name);

// A value as a job input / param text ("0.25", "hello", "3").
std::string ValueText(const nlohmann::json& v);

// j[key] when it is a string, else `fallback` (never throws, unlike json::value on a wrong type).
std::string StringField(const nlohmann::json& j, const char* key, const std::string& fallback);

}  // namespace mlws::jobs
