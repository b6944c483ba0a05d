#include "cli/verbs.h"

#include <iostream>
#include <memory>

namespace mlws::cli {

using nlohmann::json;

namespace {
std::string* NewArg() {
  static std::vector<std::unique_ptr<std::string>> args;
  args.push_back(std::make_unique<std::string>());
  return args.back().get();
}
}  // namespace

void AddListVerb(CLI::App* noun, Globals& g, int& rc, const std::string& help, PathFn path,
                 const std::string& key, std::vector<Column> columns) {
  noun->add_subcommand("list", help)->callback([&g, &rc, path, key, columns] {
    auto r = Call(g, "GET", path());
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, (*r)[key], columns);
  });
}

void AddShowVerb(CLI::App* noun, Globals& g, int& rc, PathFn path, const std::string& key,
                 const std::string& field, const std::string& what) {
  std::string* arg = NewArg();
  auto* show = noun->add_subcommand("show", "Show one " + what);
  show->add_option(field, *arg, "The " + what + "'s " + field)->required();
  show->callback([&g, &rc, path, key, field, arg, what] {
    auto r = Call(g, "GET", path());
    if (!r) return void(rc = 1);
    for (const auto& item : (*r)[key]) {
      const json& v = item[field];
      if ((v.is_string() ? v.get<std::string>() : v.dump()) != *arg) continue;
      if (g.output == "json") {
        std::cout << item.dump(2) << "\n";
      } else {
        for (const auto& [k, val] : item.items()) {
          std::cout << k << ": " << (val.is_string() ? val.get<std::string>() : val.dump()) << "\n";
        }
      }
      return;
    }
    std::cerr << "error: no " << what << " with " << field << " '" << *arg << "'\n";
    rc = 1;
  });
}

void AddDeleteVerb(CLI::App* noun, Globals& g, int& rc, const std::string& verb,
                   const std::string& help, PathFn path, const std::string& arg_name,
                   const std::string& done, const std::string& what) {
  std::string* arg = NewArg();
  auto* cmd = noun->add_subcommand(verb, help);
  cmd->add_option(arg_name, *arg, what + " " + arg_name)->required();
  cmd->callback([&g, &rc, path, arg, done, what] {
    auto r = Call(g, "DELETE", path() + "/" + UrlEscape(*arg));
    if (!r) return void(rc = 1);
    if (g.output == "json") {
      std::cout << r->dump(2) << "\n";
    } else {
      std::cout << done << " " << what << " " << *arg << "\n";
    }
  });
}

}  // namespace mlws::cli
