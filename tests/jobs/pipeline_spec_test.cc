// Pipeline spec parsing: bindings, typed inputs, whole-graph validation, the steps' job specs.
#include "mlws/jobs/pipeline_spec.h"

#include <gtest/gtest.h>

namespace mlws::jobs {
namespace {

using nlohmann::json;

StatusOr<json> Registered(const std::string& ref) {
  if (ref != "azureml:train@latest") return NotFound("no component " + ref);
  return json::parse(R"({"name": "train", "version": "3", "command":
      "train --lr ${{inputs.lr}} --epochs ${{inputs.epochs}} --out ${{outputs.model}}",
      "environment": "azureml:env:1",
      "inputs": {"lr": {"type": "number", "default": 0.1},
                 "epochs": {"type": "integer", "min": 1, "max": 10},
                 "mode": {"type": "string", "enum": ["a", "b"], "optional": true}},
      "outputs": {"model": {"type": "uri_folder"}}})");
}

StatusOr<PipelineSpec> Parse(const std::string& text) {
  return ParsePipelineSpec(json::parse(text), Registered);
}

void ExpectError(const std::string& text, const std::string& part,
                 ErrorCode code = ErrorCode::kInvalidParameterValue) {
  auto p = Parse(text);
  ASSERT_FALSE(p.ok()) << text;
  EXPECT_EQ(p.status().code(), code) << p.status().ToString();
  EXPECT_NE(p.status().message().find(part), std::string::npos) << p.status().message();
}

const PipelineStep& StepOf(const PipelineSpec& p, const std::string& name) {
  for (const auto& s : p.steps) {
    if (s.name == name) return s;
  }
  ADD_FAILURE() << "no step " << name;
  return p.steps.front();
}

TEST(PipelineSpecTest, BindingsDefaultsCoercionAndOrder) {
  auto p = Parse(R"({"type": "pipeline", "inputs": {"epochs": "4"},
      "outputs": {"final": {"name": "model_asset", "version": "2"}},
      "settings": {"default_compute": "azureml:cpu", "continue_on_step_failure": true},
      "jobs": {
        "use": {"command": "ls ${{inputs.m}} > ${{outputs.o}}/ls",
                "inputs": {"m": "${{parent.jobs.train.outputs.model}}"},
                "outputs": {"o": "${{parent.outputs.final}}"}},
        "train": {"component": "azureml:train@latest",
                  "inputs": {"epochs": "${{parent.inputs.epochs}}"}}}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->steps.size(), 2u);
  EXPECT_EQ(p->steps[0].name, "train");  // dependency order
  EXPECT_TRUE(p->settings.continue_on_step_failure);
  const PipelineStep& train = StepOf(*p, "train");
  EXPECT_EQ(train.component, "azureml:train:3");
  EXPECT_EQ(train.compute, "cpu");
  std::map<std::string, std::string> values;
  for (const auto& in : train.inputs) values[in.name] = in.value;
  EXPECT_EQ(values["epochs"], "4");       // coerced from the string "4"
  EXPECT_EQ(values["lr"], "0.1");         // the component's default
  EXPECT_FALSE(values.contains("mode"));  // optional, unbound
  const PipelineStep& use = StepOf(*p, "use");
  EXPECT_EQ(use.depends_on, std::set<std::string>{"train"});
  ASSERT_EQ(use.outputs.size(), 1u);
  EXPECT_EQ(use.outputs[0].parent_output, "final");
  EXPECT_EQ(use.outputs[0].asset_name, "model_asset");
  json job = StepJobSpec(*p, use, {{"train.model", "azureml://datastores/d/paths/x"}});
  EXPECT_EQ(job["inputs"]["m"]["path"], "azureml://datastores/d/paths/x");
  EXPECT_EQ(job["outputs"]["o"]["version"], "2");
}

TEST(PipelineSpecTest, GraphErrorsNameTheStepAndField) {
  ExpectError(R"({"type": "pipeline", "jobs": {"a": {"command": "cat ${{inputs.i}}",
      "inputs": {"i": "${{parent.jobs.zz.outputs.o}}"}}}})",
              "jobs.a.inputs.i: ${{parent.jobs.zz.outputs.o}} names an unknown step 'zz'");
  ExpectError(R"({"type": "pipeline", "jobs": {
      "a": {"command": "x ${{inputs.i}} ${{outputs.o}}", "outputs": {"o": null},
            "inputs": {"i": "${{parent.jobs.b.outputs.o}}"}},
      "b": {"command": "x ${{inputs.i}} ${{outputs.o}}", "outputs": {"o": null},
            "inputs": {"i": "${{parent.jobs.a.outputs.o}}"}}}})",
              "cycle (steps a, b");
  ExpectError(R"({"type": "pipeline", "jobs": {"t": {"component": "azureml:train@latest"}}})",
              "jobs.t.inputs.epochs: the component's input 'epochs' (integer) is required");
  ExpectError(R"({"type": "pipeline", "jobs": {"t": {"component": "azureml:train@latest",
      "inputs": {"epochs": 11}}}})",
              "jobs.t.inputs.epochs: the component allows max 10");
  ExpectError(R"({"type": "pipeline", "jobs": {"t": {"component": "azureml:train@latest",
      "inputs": {"epochs": 2, "mode": "c"}}}})",
              "jobs.t.inputs.mode: not one of the component's enum values");
  ExpectError(R"({"type": "pipeline", "jobs": {"t": {"component": "azureml:train@latest",
      "inputs": {"epochs": 2, "nope": 1}}}})",
              "jobs.t.inputs.nope: the component declares no input 'nope'");
  ExpectError(R"({"type": "pipeline", "jobs": {"t": {"component": "azureml:gone:1"}}})",
              "jobs.t.component: no component azureml:gone:1", ErrorCode::kResourceDoesNotExist);
  ExpectError(R"({"type": "pipeline", "jobs": {"a": {"command": "echo ${{inputs.x}}",
      "inputs": {"x": "prefix ${{parent.inputs.y}}"}}}})",
              "must be a whole binding");
  ExpectError(R"({"type": "pipeline", "jobs": {"a": {"command": "echo ${{inputs.undeclared}}"}}})",
              "jobs.a: The command references ${{inputs.undeclared}}");
  ExpectError(R"({"type": "pipeline", "jobs": {"a": {"type": "sweep"}}})",
              "jobs.a.type: 'sweep' steps are not supported");
}

TEST(PipelineSpecTest, UnknownSettingsAreNotedNotRefused) {
  // 3a_basic_pipeline's "default_datestore" (sic) runs unmodified.
  auto p = Parse(R"({"type": "pipeline", "settings": {"default_datestore": "x"},
      "jobs": {"a": {"command": "echo"}}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->notes.size(), 1u);
  EXPECT_NE(p->notes[0].find("default_datestore"), std::string::npos);
}

TEST(PipelineSpecTest, DefaultDatastoreIsWhereOutputsWithoutAPathGo) {
  auto p = Parse(R"({"type": "pipeline", "settings": {"default_datastore": "azureml:team"},
      "jobs": {"a": {"command": "echo > ${{outputs.d}}/x; echo > ${{outputs.f}}",
                     "outputs": {"d": null, "f": {"type": "uri_file"},
                                 "p": {"path": "azureml://datastores/${{default_datastore}}/paths/x"}}}}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->settings.default_datastore, "team");
  std::map<std::string, std::string> paths;
  for (const auto& o : StepOf(*p, "a").outputs) paths[o.name] = o.path;
  EXPECT_EQ(paths["d"], "azureml://datastores/team/paths/azureml/${{name}}/${{output_name}}");
  EXPECT_EQ(paths["f"],
            "azureml://datastores/team/paths/azureml/${{name}}/${{output_name}}/${{output_name}}");
  EXPECT_EQ(paths["p"], "azureml://datastores/team/paths/x");
  json job = StepJobSpec(*p, StepOf(*p, "a"), {});
  EXPECT_EQ(job["outputs"]["p"]["path"], "azureml://datastores/team/paths/x");
  EXPECT_TRUE(p->notes.empty());
  ExpectError(R"({"type": "pipeline", "settings": {"default_datastore": "a/b"},
      "jobs": {"a": {"command": "echo"}}})",
              "settings.default_datastore");
}

}  // namespace
}  // namespace mlws::jobs
