// Job spec parsing (Azure ML commandJob fields and their validation) and ${{…}} substitution.
#include "mlws/jobs/job_spec.h"

#include <gtest/gtest.h>

namespace mlws::jobs {
namespace {

using nlohmann::json;

JobSpec Parse(const json& j) {
  auto s = ParseJobSpec(j);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : JobSpec{};
}

void ExpectError(const json& j, ErrorCode code, const std::string& part) {
  auto s = ParseJobSpec(j);
  ASSERT_FALSE(s.ok()) << j.dump();
  EXPECT_EQ(s.status().code(), code) << s.status().ToString();
  EXPECT_NE(s.status().message().find(part), std::string::npos) << s.status().message();
}

TEST(JobSpecTest, HelloWorldInputExample) {
  JobSpec s = Parse(json::parse(R"({
    "$schema": "https://azuremlschemas.azureedge.net/latest/commandJob.schema.json",
    "command": "echo ${{inputs.hello_string}}\necho ${{inputs.hello_number}}\n",
    "environment": {"image": "library/python:latest"},
    "inputs": {"hello_string": "hello world", "hello_number": 42}})"));
  EXPECT_EQ(s.compute, "local");
  ASSERT_EQ(s.inputs.size(), 2u);
  EXPECT_EQ(s.inputs[0].name, "hello_number");
  EXPECT_EQ(s.inputs[0].value, "42");
  EXPECT_EQ(s.inputs[0].type, "integer");
  EXPECT_TRUE(s.inputs[1].literal);
  EXPECT_EQ(s.inputs[1].value, "hello world");
  EXPECT_TRUE(s.environment.is_object());
}

TEST(JobSpecTest, AllFields) {
  JobSpec s = Parse(json::parse(R"({
    "type": "command", "name": "job-1", "display_name": "d", "description": "x",
    "experiment_name": "e", "command": "python t.py --d ${{inputs.data}} --o ${{outputs.model}}",
    "code": "azureml://datastores/workspaceblobstore/paths/LocalUpload/abc",
    "compute": "azureml:cpu-cluster", "environment": "azureml:sklearn:1",
    "environment_variables": {"A": 1, "B": "two"}, "tags": {"t": true},
    "inputs": {"data": {"type": "uri_folder", "path": "azureml:rows@latest", "mode": "download"},
               "lr": {"type": "number", "value": 0.5}},
    "outputs": {"model": {"type": "custom_model", "name": "m", "version": 3}, "plain": null},
    "limits": {"timeout": 60}, "resources": {"instance_count": 2, "instance_type": "x"},
    "queue_settings": {"priority": "high"}, "identity": {"type": "user_identity"}})"));
  EXPECT_EQ(s.name, "job-1");
  EXPECT_EQ(s.compute, "cpu-cluster");
  EXPECT_EQ(s.environment_variables.at("A"), "1");
  EXPECT_EQ(s.tags.at("t"), "true");
  ASSERT_EQ(s.inputs.size(), 2u);
  EXPECT_FALSE(s.inputs[0].literal);
  EXPECT_EQ(s.inputs[0].mode, "download");
  EXPECT_EQ(s.inputs[1].value, "0.5");
  ASSERT_EQ(s.outputs.size(), 2u);
  EXPECT_EQ(s.outputs[0].asset_name, "m");
  EXPECT_EQ(s.outputs[0].asset_version, "3");
  EXPECT_EQ(s.outputs[1].type, "uri_folder");
  EXPECT_EQ(s.timeout_s, 60);
  EXPECT_EQ(s.instance_count, 2);
  EXPECT_EQ(s.priority, 1);
  EXPECT_EQ(s.notes.size(), 2u);  // instance_type, identity
}

TEST(JobSpecTest, RejectsBadSpecs) {
  ExpectError(json::array(), ErrorCode::kInvalidParameterValue, "mapping");
  ExpectError({{"type", "pipeline"}}, ErrorCode::kNotImplemented, "not supported yet");
  ExpectError({{"type", "sweep"}, {"command", "x"}}, ErrorCode::kNotImplemented, "sweep");
  ExpectError({{"type", "spark"}, {"command", "x"}}, ErrorCode::kInvalidParameterValue,
              "Unknown job type 'spark'");
  ExpectError({{"environment", {{"image", "x"}}}}, ErrorCode::kInvalidParameterValue,
              "needs a 'command'");
  ExpectError({{"command", "  \n"}}, ErrorCode::kInvalidParameterValue, "needs a 'command'");
  ExpectError({{"command", "x"}, {"comand", "y"}}, ErrorCode::kInvalidParameterValue, "comand");
  ExpectError({{"command", "x"}, {"code", "src"}}, ErrorCode::kInvalidParameterValue,
              "must be uploaded first");
  ExpectError({{"command", "x"}, {"limits", {{"timeout", 0}}}}, ErrorCode::kInvalidParameterValue,
              "limits.timeout");
  ExpectError({{"command", "x"}, {"resources", {{"instance_count", "two"}}}},
              ErrorCode::kInvalidParameterValue, "instance_count");
  ExpectError({{"command", "x"}, {"inputs", {{"a", nullptr}}}}, ErrorCode::kInvalidParameterValue,
              "no value");
  ExpectError({{"command", "x"}, {"inputs", {{"a", {{"type", "uri_file"}}}}}},
              ErrorCode::kInvalidParameterValue, "needs a 'path'");
  ExpectError({{"command", "x"},
               {"inputs", {{"a", {{"type", "uri_file"}, {"path", "x"}, {"mode", "rw_mount"}}}}}},
              ErrorCode::kInvalidParameterValue, "must be uploaded");
  ExpectError(
      {{"command", "x"},
       {"inputs", {{"a", {{"type", "uri_file"}, {"path", "azureml:d:1"}, {"mode", "rw_mount"}}}}}},
      ErrorCode::kInvalidParameterValue, "mode 'rw_mount'");
  ExpectError({{"command", "x"}, {"outputs", {{"o", {{"type", "mltable2"}}}}}},
              ErrorCode::kInvalidParameterValue, "mltable2");
  ExpectError({{"command", "x"}, {"outputs", {{"o", {{"version", "1"}}}}}},
              ErrorCode::kInvalidParameterValue, "needs a 'name'");
  ExpectError({{"command", "x"}, {"name", "has space"}}, ErrorCode::kInvalidParameterValue,
              "Invalid name");
  ExpectError({{"command", "x"}, {"environment_variables", {{"1A", "x"}}}},
              ErrorCode::kInvalidParameterValue, "environment variable");
  ExpectError({{"command", "echo ${{inputs.z}}"}, {"inputs", {{"a", 1}}}},
              ErrorCode::kInvalidParameterValue, "no input named 'z'");
  ExpectError({{"command", "echo ${{outputs.o}}"}}, ErrorCode::kInvalidParameterValue,
              "no output named 'o'");
  ExpectError({{"command", "echo ${{parent.inputs.x}}"}}, ErrorCode::kInvalidParameterValue,
              "inputs.<name>");
}

TEST(JobSubstitutionTest, InputsAndOutputs) {
  Bindings b;
  b.inputs = {{"lr", "0.1"}, {"data", "/jobs/1/inputs/data"}};
  b.outputs = {{"model", "/jobs/1/named_outputs/model"}};
  auto r = SubstituteCommand(
      "python t.py --lr ${{inputs.lr}} --d ${{ inputs.data }} --o ${{outputs.model}}", b);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "python t.py --lr 0.1 --d /jobs/1/inputs/data --o /jobs/1/named_outputs/model");
  EXPECT_EQ(*SubstituteCommand("no refs at all: $HOME ${x} {{y}}", b),
            "no refs at all: $HOME ${x} {{y}}");
}

TEST(JobSubstitutionTest, OptionalBlocks) {
  Bindings b;
  b.inputs = {{"lr", "0.1"}};
  EXPECT_EQ(*SubstituteCommand("run $[[--lr ${{inputs.lr}}]] $[[--e ${{inputs.epochs}}]] end", b),
            "run --lr 0.1  end");
  EXPECT_FALSE(SubstituteCommand("run $[[--lr ${{inputs.lr}}", b).ok());
}

TEST(JobSubstitutionTest, Errors) {
  Bindings b;
  auto r = SubstituteCommand("echo ${{inputs.z}}", b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("inputs.z"), std::string::npos);
  EXPECT_FALSE(SubstituteCommand("echo ${{inputs.z", b).ok());
  EXPECT_FALSE(SubstituteCommand("echo ${{search_space.lr}}", b).ok());
}

TEST(JobNameTest, ValidAndGenerated) {
  EXPECT_TRUE(ValidateJobName("a").ok());
  EXPECT_TRUE(ValidateJobName("placid_rhubarb_7x8w3k-1").ok());
  EXPECT_FALSE(ValidateJobName("").ok());
  EXPECT_FALSE(ValidateJobName("_x").ok());
  EXPECT_FALSE(ValidateJobName("a/b").ok());
  EXPECT_FALSE(ValidateJobName(std::string(256, 'a')).ok());
  std::string g = GenerateJobName();
  EXPECT_TRUE(ValidateJobName(g).ok()) << g;
  EXPECT_NE(g, GenerateJobName());
}

}  // namespace
}  // namespace mlws::jobs
