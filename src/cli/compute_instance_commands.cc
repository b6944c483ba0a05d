#include "cli/compute_instance_commands.h"

#include <memory>

#include "cli/output.h"

namespace mlws::cli {

using nlohmann::json;

void AddComputeInstanceVerbs(CLI::App* compute, Globals& g, int& rc) {
  static auto name = std::make_unique<std::string>();
  std::vector<Column> cols = {
      {"NAME", "/name"}, {"STATE", "/state"}, {"OWNER", "/owner"}, {"LAB", "/lab_path"}};
  struct V {
    const char* verb;
    const char* help;
  };
  for (V v : {V{"start", "Start a compute instance (its JupyterLab)"},
              V{"stop", "Stop a compute instance (its files stay in the datastore)"},
              V{"restart", "Restart a compute instance"}}) {
    auto* cmd = compute->add_subcommand(v.verb, v.help);
    cmd->add_option("name", *name, "The compute instance")->required();
    std::string verb = v.verb;
    cmd->callback([&g, &rc, cols, verb] {
      std::string path = "/api/v1/workspaces/" + UrlEscape(g.workspace) + "/computes/" +
                         UrlEscape(*name) + "/" + verb;
      auto r = Call(g, "POST", path, json::object());
      if (!r) return void(rc = 1);
      PrintResult(g.output, *r, json::array({*r}), cols);
    });
  }
}

}  // namespace mlws::cli
