// Sweep specs and samplers: every distribution's range, grid enumeration, seeded determinism,
// the Sobol rule, the trial's command job, and bad specs.
#include "mlws/jobs/sweep_spec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace mlws::jobs {
namespace {

using nlohmann::json;

json Sweep(json space, json sampling = "random") {
  return {{"type", "sweep"},
          {"trial", {{"command", "echo ${{search_space.x}} ${{inputs.a}}"}}},
          {"inputs", {{"a", 1}}},
          {"search_space", std::move(space)},
          {"sampling_algorithm", std::move(sampling)},
          {"objective", {{"goal", "minimize"}, {"primary_metric", "loss"}}},
          {"limits", {{"max_total_trials", 20}}}};
}

SweepSpec Parse(const json& j) {
  auto s = ParseSweepSpec(j);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? *s : SweepSpec{};
}

TEST(SweepSpecTest, EveryDistributionStaysInItsRange) {
  json space = {{"x", {{"type", "choice"}, {"values", {1, "b"}}}},
                {"r", {{"type", "randint"}, {"upper", 3}}},
                {"u", {{"type", "uniform"}, {"min_value", 1}, {"max_value", 2}}},
                {"qu", {{"type", "quniform"}, {"min_value", 0}, {"max_value", 1}, {"q", 0.25}}},
                {"lu", {{"type", "loguniform"}, {"min_value", 0}, {"max_value", 1}}},
                {"qlu", {{"type", "qloguniform"}, {"min_value", 0}, {"max_value", 2}, {"q", 1}}},
                {"n", {{"type", "normal"}, {"mu", 0}, {"sigma", 1}}},
                {"qn", {{"type", "qnormal"}, {"mu", 0}, {"sigma", 10}, {"q", 5}}},
                {"ln", {{"type", "lognormal"}, {"mu", 0}, {"sigma", 1}}},
                {"qln", {{"type", "qlognormal"}, {"mu", 1}, {"sigma", 1}, {"q", 2}}}};
  for (const char* rule : {"random", "sobol"}) {
    SweepSpec s = Parse(Sweep(space, {{"type", "random"}, {"rule", rule}, {"seed", 1}}));
    auto sampler = MakeSampler(s);
    for (int i = 0; i < 200; ++i) {
      auto v = sampler->Next();
      ASSERT_TRUE(v);
      auto& p = *v;
      EXPECT_TRUE(p["x"] == 1 || p["x"] == "b");
      EXPECT_GE(p["r"].get<int>(), 0);
      EXPECT_LT(p["r"].get<int>(), 3);
      EXPECT_GE(p["u"].get<double>(), 1);
      EXPECT_LE(p["u"].get<double>(), 2);
      double qu = p["qu"].get<double>();
      EXPECT_DOUBLE_EQ(qu * 4, std::round(qu * 4));
      EXPECT_GE(p["lu"].get<double>(), 1.0);
      EXPECT_LE(p["lu"].get<double>(), std::exp(1.0));
      double qlu = p["qlu"].get<double>();
      EXPECT_EQ(qlu, std::round(qlu));
      EXPECT_DOUBLE_EQ(std::fmod(std::fabs(p["qn"].get<double>()), 5.0), 0.0);
      EXPECT_GT(p["ln"].get<double>(), 0);
      EXPECT_DOUBLE_EQ(std::fmod(p["qln"].get<double>(), 2.0), 0.0);
    }
  }
}

TEST(SweepSpecTest, SeededSamplingRepeats) {
  json space = {{"x", {{"type", "uniform"}, {"min_value", 0}, {"max_value", 1}}}};
  for (const char* rule : {"random", "sobol"}) {
    SweepSpec s = Parse(Sweep(space, {{"type", "random"}, {"rule", rule}, {"seed", 42}}));
    auto a = MakeSampler(s), b = MakeSampler(s);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(*a->Next(), *b->Next()) << rule;
  }
}

TEST(SweepSpecTest, SobolFillsTheUnitIntervalEvenly) {
  json space = {{"x", {{"type", "uniform"}, {"min_value", 0}, {"max_value", 1}}}};
  SweepSpec s = Parse(Sweep(space, {{"type", "random"}, {"rule", "sobol"}}));
  auto sampler = MakeSampler(s);
  // The sequence's first block of 8 (0, 1/2, 3/4, 1/4, …) has one point in each eighth of
  // [0, 1); the all-zero point is skipped, so the first 7 fill the other seven eighths.
  std::set<int> eighths;
  for (int i = 0; i < 7; ++i) {
    eighths.insert(static_cast<int>((*sampler->Next())["x"].get<double>() * 8));
  }
  EXPECT_EQ(eighths, (std::set<int>{1, 2, 3, 4, 5, 6, 7}));
}

TEST(SweepSpecTest, GridEnumeratesEveryCombinationOnce) {
  json space = {{"x", {{"type", "choice"}, {"values", {1, 2, 3}}}},
                {"y", {{"type", "choice"}, {"values", {"a", "b"}}}}};
  json j = Sweep(space, "grid");
  j["limits"] = json::object();  // a grid needs no max_total_trials
  SweepSpec s = Parse(j);
  EXPECT_EQ(s.limits.max_total_trials, 6);
  EXPECT_EQ(GridSize(s), 6);
  auto sampler = MakeSampler(s);
  std::set<std::pair<int, std::string>> seen;
  while (auto v = sampler->Next())
    seen.insert({(*v)["x"].get<int>(), (*v)["y"].get<std::string>()});
  EXPECT_EQ(seen.size(), 6u);
}

TEST(SweepSpecTest, TrialIsACommandJobWithTheValuesAsInputs) {
  SweepSpec s = Parse(Sweep({{"x", {{"type", "choice"}, {"values", {0.5}}}}}));
  json job = TrialJobSpec(Sweep({}), s, {{"x", 0.5}}, "t_0");
  EXPECT_EQ(job["command"], "echo ${{inputs.x}} ${{inputs.a}}");
  EXPECT_EQ(job["inputs"], json({{"a", 1}, {"x", 0.5}}));
  EXPECT_EQ(job["name"], "t_0");
}

TEST(SweepSpecTest, BadSpecsSayWhy) {
  auto msg = [](const json& j) {
    auto s = ParseSweepSpec(j);
    EXPECT_FALSE(s.ok());
    return s.ok() ? std::string() : s.status().message();
  };
  json uniform = {{"x", {{"type", "uniform"}, {"min_value", 0}, {"max_value", 1}}}};
  EXPECT_NE(msg(Sweep({{"x", {{"type", "beta"}}}})).find("Unknown distribution"),
            std::string::npos);
  EXPECT_NE(msg(Sweep(uniform, "grid")).find("Grid sampling"), std::string::npos);
  EXPECT_NE(msg(Sweep({{"x", {{"type", "randint"}, {"upper", 0}}}})).find("upper"),
            std::string::npos);
  EXPECT_NE(
      msg(Sweep({{"x", {{"type", "quniform"}, {"min_value", 0}, {"max_value", 1}}}})).find(".q"),
      std::string::npos);
  EXPECT_NE(msg(Sweep({{"a", {{"type", "choice"}, {"values", {1}}}}})).find("both an input"),
            std::string::npos);
  json j = Sweep(uniform);
  j["limits"] = json::object();
  EXPECT_NE(msg(j).find("max_total_trials is required"), std::string::npos);
  j = Sweep(uniform);
  j["trial"]["command"] = "echo ${{search_space.y}}";
  EXPECT_NE(msg(j).find("y"), std::string::npos);
  // Bayesian parses (the controller starts its sampler); a seed is for random sampling only.
  EXPECT_TRUE(ParseSweepSpec(Sweep(uniform, "bayesian")).ok());
  EXPECT_NE(msg(Sweep(uniform, {{"type", "bayesian"}, {"seed", 1}})).find("random sampling only"),
            std::string::npos);
  // The early termination policy is parsed with the spec.
  j = Sweep(uniform);
  j["early_termination"] = {{"type", "median_stopping"}, {"delay_evaluation", 5}};
  auto with_policy = ParseSweepSpec(j);
  ASSERT_TRUE(with_policy.ok()) << with_policy.status().message();
  EXPECT_EQ(with_policy->policy.type, "median_stopping");
  EXPECT_EQ(with_policy->policy.delay_evaluation, 5);
  j["early_termination"] = {{"type", "bandit"}};
  EXPECT_NE(msg(j).find("exactly one of"), std::string::npos);
}

}  // namespace
}  // namespace mlws::jobs
