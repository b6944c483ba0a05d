#include "api/run_json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "api/mlflow_json.h"

namespace mlws::api {
namespace {

using tracking::KeyValue;
using tracking::Metric;

// The fast writer must render exactly what the general path (a json tree, then Dump) does.
void ExpectSame(const tracking::Run& run) {
  std::string fast;
  AppendRunJson(fast, run);
  EXPECT_EQ(fast, Dump(ToJson(run)));
}

TEST(RunJsonWriterTest, BareRunMatchesTheGeneralRenderer) {
  tracking::Run r;
  r.info.run_id = "abc123";
  r.info.experiment_id = "7";
  r.info.start_time = 1700000000000;
  r.info.artifact_uri = "/tmp/a/abc123/artifacts";
  ExpectSame(r);
}

TEST(RunJsonWriterTest, FullRunMatchesTheGeneralRenderer) {
  tracking::Run r;
  r.info.run_id = "r1";
  r.info.run_name = "bright-owl-42";
  r.info.experiment_id = "12";
  r.info.user_id = "ada";
  r.info.status = tracking::RunStatus::kFinished;
  r.info.lifecycle_stage = tracking::LifecycleStage::kDeleted;
  r.info.start_time = -5;
  r.info.end_time = 1700000000123;
  const double inf = std::numeric_limits<double>::infinity();
  for (double v : {0.0, -0.0, 1.0, 100.0, 0.1, 1e-7, 1e21, 123456789012.0, 0.30000000000000004,
                   std::nan(""), inf, -inf, -2.5}) {
    r.metrics.push_back(Metric{"m" + std::to_string(r.metrics.size()), v, 17, -3});
  }
  r.params = {KeyValue{"lr", "0.01"}, KeyValue{"optimizer", "adam"}, KeyValue{"empty", ""}};
  r.tags = {KeyValue{"mlflow.runName", "bright-owl-42"}, KeyValue{"note", "line\nbreak"}};
  ExpectSame(r);
  r.metrics.clear();  // params without metrics: no leading comma
  ExpectSame(r);
  r.params.clear();
  ExpectSame(r);
}

TEST(RunJsonWriterTest, StringsNeedingEscapesOrNotUtf8MatchTheGeneralRenderer) {
  tracking::Run r;
  r.info.run_id = "r2";
  r.info.run_name = "quote \" backslash \\ tab \t bell \x07 del \x7f";
  r.info.user_id = "caf\xc3\xa9 \xe2\x82\xac";  // valid UTF-8
  r.info.artifact_uri = "bad \xff\xfe utf8";    // invalid: replaced
  r.tags = {KeyValue{"k\x01", "\xc3"}};         // a cut multi-byte sequence
  ExpectSame(r);
}

TEST(RunJsonWriterTest, RunWithInputsMatchesTheGeneralRenderer) {
  tracking::Run r;
  r.info.run_id = "r3";
  tracking::DatasetInput& in = r.inputs.emplace_back();
  in.dataset.name = "train";
  in.dataset.digest = "d1";
  in.dataset.source_type = "local";
  in.dataset.source = "{}";
  in.tags = {KeyValue{"mlflow.data.context", "training"}};
  r.tags = {KeyValue{"a", "b"}};
  ExpectSame(r);
}

TEST(RunJsonWriterTest, JsonStringFastPathAndFallback) {
  std::string out;
  AppendJsonString(out, "plain");
  AppendJsonString(out, "a\"b");
  EXPECT_EQ(out, R"("plain""a\"b")");
}

}  // namespace
}  // namespace mlws::api
