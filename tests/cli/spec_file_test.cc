// YAML specs: scalars keep their types, quoted stay strings, --set overrides nested fields.
#include "cli/spec_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace mlws::cli {
namespace {

TEST(SpecFileTest, YamlScalars) {
  auto j = YamlToJson("a: 1\nb: '1'\nc: true\nd: 1.5\ne: null\nf: [x, 2]\ng: hello world\n");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["a"], 1);
  EXPECT_EQ((*j)["b"], "1");
  EXPECT_EQ((*j)["c"], true);
  EXPECT_EQ((*j)["d"], 1.5);
  EXPECT_TRUE((*j)["e"].is_null());
  EXPECT_EQ((*j)["f"][1], 2);
  EXPECT_EQ((*j)["g"], "hello world");
  auto latin1 = YamlToJson("name: caf\xe9\n");
  ASSERT_FALSE(latin1.ok());
  EXPECT_NE(latin1.status().message().find("not valid UTF-8"), std::string::npos);
  EXPECT_TRUE(YamlToJson("name: caf\xc3\xa9 \xf0\x9f\x98\x80\n").ok());
  EXPECT_FALSE(YamlToJson("\xc0\xaf: x\n").ok());  // overlong
  auto bad = YamlToJson("a: [unclosed\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line"), std::string::npos);
}

TEST(SpecFileTest, SetOverridesAndLocalPaths) {
  auto dir = std::filesystem::temp_directory_path() / ("spec-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "s.yml") << "name: x\ninputs:\n  a: 1\n";
  auto f = LoadSpecFile((dir / "s.yml").string(), {"version=3", "inputs.a=hello", "tags.k=v"});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->spec["version"], 3);
  EXPECT_EQ(f->spec["inputs"]["a"], "hello");
  EXPECT_EQ(f->spec["tags"]["k"], "v");
  EXPECT_EQ(ResolveLocal(*f, "data/x.csv"), (dir / "data" / "x.csv").string());
  EXPECT_EQ(ResolveLocal(*f, "/abs/p"), "/abs/p");
  EXPECT_FALSE(LoadSpecFile((dir / "s.yml").string(), {"novalue"}).ok());
  EXPECT_FALSE(LoadSpecFile((dir / "missing.yml").string(), {}).ok());
  std::ofstream(dir / "list.yml") << "- a\n- b\n";
  EXPECT_FALSE(LoadSpecFile((dir / "list.yml").string(), {}).ok());
  std::filesystem::remove_all(dir);
  EXPECT_TRUE(IsLocalPath("./data"));
  EXPECT_TRUE(IsLocalPath("data/x.csv"));
  EXPECT_FALSE(IsLocalPath("azureml:iris:1"));
  EXPECT_FALSE(IsLocalPath("https://x/y"));
  EXPECT_FALSE(IsLocalPath("azureml://datastores/d/paths/p"));
}

}  // namespace
}  // namespace mlws::cli
