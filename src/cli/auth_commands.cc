#include "cli/auth_commands.h"

#include <termios.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <iostream>
#include <memory>
#include <vector>

#include "cli/output.h"
#include "mlws/common/status.h"

namespace mlws::cli {

using nlohmann::json;

namespace {

std::string Base64(const std::string& in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned int acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      out += kAlphabet[(acc >> (bits - 6)) & 63];
      bits -= 6;
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  while (out.size() % 4 != 0) out += '=';
  return out;
}

// Reads a password from stdin; on a terminal, without echo.
std::string ReadPassword(const std::string& prompt) {
  bool tty = ::isatty(STDIN_FILENO) != 0;
  termios old{};
  if (tty) {
    std::cerr << prompt << std::flush;
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string pw;
  std::getline(std::cin, pw);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  }
  return pw;
}

// Reads a role spec (YAML, or JSON which is YAML) into the API's JSON shape.
StatusOr<json> LoadRoleSpec(const std::string& path) {
  YAML::Node doc;
  try {
    doc = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(path + ": not valid YAML: " + e.what());
  }
  if (!doc.IsMap()) return InvalidArgument(path + ": a role spec is a mapping");
  json out = {{"allow", json::array()}, {"deny", json::array()}};
  for (const auto& kv : doc) {
    std::string key = kv.first.as<std::string>();
    std::string norm;
    for (char c : key) {
      if (c != '_') norm += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (norm == "name" || norm == "description") {
      if (!kv.second.IsScalar()) return InvalidArgument(path + ": '" + key + "' must be text");
      out[norm] = kv.second.as<std::string>();
    } else if (norm == "allow" || norm == "actions" || norm == "deny" || norm == "notactions") {
      if (!kv.second.IsSequence()) return InvalidArgument(path + ": '" + key + "' must be a list");
      auto& list = out[(norm == "allow" || norm == "actions") ? "allow" : "deny"];
      for (const auto& item : kv.second) list.push_back(item.as<std::string>());
    } else {
      return InvalidArgument(path + ": unknown field '" + key +
                             "' (expected name, description, allow, deny)");
    }
  }
  if (!out.contains("name")) return InvalidArgument(path + ": the role needs a 'name'");
  return out;
}

// `<noun> show KEY`: one item of a list endpoint, printed as JSON (all fields) or a table.
void AddShow(CLI::App* noun, Globals& g, int& rc, const std::string& path,
             const std::string& array_key, const std::string& field, const char* what) {
  static std::vector<std::unique_ptr<std::string>> keys;  // option storage lives with the app
  keys.push_back(std::make_unique<std::string>());
  std::string* key = keys.back().get();
  auto* show = noun->add_subcommand("show", std::string("Show one ") + what);
  show->add_option(field, *key, std::string("The ") + what + "'s " + field)->required();
  show->callback([&g, &rc, path, array_key, field, key, what] {
    auto r = Call(g, "GET", path);
    if (!r) return void(rc = 1);
    for (const auto& item : (*r)[array_key]) {
      const json& v = item[field];
      std::string s = v.is_string() ? v.get<std::string>() : v.dump();
      if (s != *key) continue;
      if (g.output == "json") {
        std::cout << item.dump(2) << "\n";
      } else {
        for (const auto& [k, val] : item.items()) {
          std::cout << k << ": " << (val.is_string() ? val.get<std::string>() : val.dump()) << "\n";
        }
      }
      return;
    }
    std::cerr << "error: no " << what << " with " << field << " '" << *key << "'\n";
    rc = 1;
  });
}

}  // namespace

void AddAuthCommands(CLI::App& app, Globals& g, int& rc) {
  // All option storage lives as long as the app: allocated once and owned by a static holder.
  struct Opts {
    std::string user, group, password, name, role, workspace;
    int days = 0;
    long long id = 0;
    bool denied_only = false;
    int max_results = 100;
  };
  static auto o = std::make_unique<Opts>();

  // mlws login
  auto* login = app.add_subcommand(
      "login", "Sign in with a password and save an API token in ~/.mlws/credentials (0600)");
  login->add_option("--user", o->user, "User name")->required();
  login->add_option("--token-name", o->name, "Name of the token to create")->default_str("cli");
  login->callback([&] {
    std::string pw = ReadPassword("Password for " + o->user + ": ");
    std::string name = o->name.empty() ? "cli" : o->name;
    auto r =
        Call(g, "POST", "/api/v1/tokens", {{"name", name}}, "Basic " + Base64(o->user + ":" + pw));
    if (!r) return void(rc = 1);
    if (!SaveToken(g.url, (*r)["secret"].get<std::string>())) {
      std::cerr << "error: cannot write " << CredentialsPath() << "\n";
      return void(rc = 1);
    }
    std::cout << "signed in as " << o->user << "; token saved in " << CredentialsPath() << "\n";
  });

  // mlws user create|list|delete
  auto* user = app.add_subcommand("user", "Local user accounts");
  user->require_subcommand(1);
  auto* user_create = user->add_subcommand("create", "Create a user (password read from stdin)");
  user_create->add_option("name", o->name, "User name")->required();
  user_create->callback([&] {
    std::string pw = ReadPassword("Password for " + o->name + ": ");
    auto r = Call(g, "POST", "/api/v1/users", {{"name", o->name}, {"password", pw}});
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, json::array({(*r)["user"]}), {{"NAME", "/name"}});
  });
  user->add_subcommand("list", "List users")->callback([&] {
    auto r = Call(g, "GET", "/api/v1/users");
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, (*r)["users"], {{"NAME", "/name"}, {"CREATED", "/creation_time"}});
  });
  auto* user_delete = user->add_subcommand("delete", "Delete a user with their tokens and roles");
  user_delete->add_option("name", o->name, "User name")->required();
  user_delete->callback([&] {
    if (!Call(g, "DELETE", "/api/v1/users/" + UrlEscape(o->name))) return void(rc = 1);
    std::cout << "deleted user " << o->name << "\n";
  });

  AddShow(user, g, rc, "/api/v1/users", "users", "name", "user");

  // mlws token create|list|revoke
  auto* token = app.add_subcommand("token", "Your API tokens");
  token->require_subcommand(1);
  auto* token_create = token->add_subcommand("create", "Create a token; its secret is shown once");
  token_create->add_option("name", o->name, "Token name")->required();
  token_create->add_option("--expires-in-days", o->days, "Expiry in days (default: never)");
  token_create->callback([&] {
    json body = {{"name", o->name}};
    if (o->days > 0) body["expires_in_days"] = o->days;
    auto r = Call(g, "POST", "/api/v1/tokens", body);
    if (!r) return void(rc = 1);
    if (g.output == "json") {
      std::cout << r->dump(2) << "\n";
    } else {
      std::cout << (*r)["secret"].get<std::string>() << "\n";
      std::cerr << "(shown once: store it now)\n";
    }
  });
  token->add_subcommand("list", "List your tokens (never their secrets)")->callback([&] {
    auto r = Call(g, "GET", "/api/v1/tokens");
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, (*r)["tokens"],
                {{"ID", "/id"},
                 {"NAME", "/name"},
                 {"PREFIX", "/prefix"},
                 {"REVOKED", "/revoked"},
                 {"LAST USED", "/last_used_time"},
                 {"EXPIRES", "/expiry_time"}});
  });
  auto* token_revoke = token->add_subcommand("revoke", "Revoke a token at once");
  token_revoke->add_option("id", o->id, "Token id")->required();
  token_revoke->callback([&] {
    if (!Call(g, "DELETE", "/api/v1/tokens/" + std::to_string(o->id))) return void(rc = 1);
    std::cout << "revoked token " << o->id << "\n";
  });

  AddShow(token, g, rc, "/api/v1/tokens", "tokens", "id", "token");

  // mlws group create|list|delete|add-member|remove-member
  auto* group = app.add_subcommand("group", "Groups of users (role assignments apply to members)");
  group->require_subcommand(1);
  auto* group_create = group->add_subcommand("create", "Create a group");
  group_create->add_option("name", o->group, "Group name")->required();
  group_create->callback([&] {
    auto r = Call(g, "POST", "/api/v1/groups", {{"name", o->group}});
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, json::array({(*r)["group"]}), {{"NAME", "/name"}});
  });
  group->add_subcommand("list", "List groups with their members")->callback([&] {
    auto r = Call(g, "GET", "/api/v1/groups");
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, (*r)["groups"], {{"NAME", "/name"}, {"MEMBERS", "/members"}});
  });
  auto* group_delete = group->add_subcommand("delete", "Delete a group and its role assignments");
  group_delete->add_option("name", o->group, "Group name")->required();
  group_delete->callback([&] {
    if (!Call(g, "DELETE", "/api/v1/groups/" + UrlEscape(o->group))) return void(rc = 1);
    std::cout << "deleted group " << o->group << "\n";
  });
  for (bool add : {true, false}) {
    auto* member = group->add_subcommand(add ? "add-member" : "remove-member",
                                         add ? "Add a user to a group" : "Remove a user");
    member->add_option("group", o->group, "Group name")->required();
    member->add_option("user", o->user, "User name")->required();
    member->callback([&, add] {
      std::string path = "/api/v1/groups/" + UrlEscape(o->group) + "/members/" + UrlEscape(o->user);
      if (!Call(g, add ? "PUT" : "DELETE", path)) return void(rc = 1);
      std::cout << (add ? "added " : "removed ") << o->user << (add ? " to " : " from ") << o->group
                << "\n";
    });
  }

  AddShow(group, g, rc, "/api/v1/groups", "groups", "name", "group");

  // mlws role list
  auto* role = app.add_subcommand("role", "Built-in roles");
  role->require_subcommand(1);
  auto* role_create = role->add_subcommand(
      "create",
      "Create a custom role from a YAML or JSON file: name, description, allow, deny "
      "(Azure's Actions/NotActions are accepted too)");
  role_create->add_option("-f,--file", o->name, "Role spec file")
      ->required()
      ->check(CLI::ExistingFile);
  role_create->callback([&] {
    auto spec = LoadRoleSpec(o->name);
    if (!spec.ok()) {
      std::cerr << "error: " << spec.status().message() << "\n";
      return void(rc = 1);
    }
    auto r = Call(g, "POST", "/api/v1/roles", *spec);
    if (!r) return void(rc = 1);
    std::cout << "created role " << (*spec)["name"].get<std::string>() << "\n";
  });
  auto* role_delete = role->add_subcommand("delete", "Delete a custom role (not while assigned)");
  role_delete->add_option("name", o->role, "Role name")->required();
  role_delete->callback([&] {
    if (!Call(g, "DELETE", "/api/v1/roles/" + UrlEscape(o->role))) return void(rc = 1);
    std::cout << "deleted role " << o->role << "\n";
  });
  role->add_subcommand("list", "List roles with their actions")->callback([&] {
    auto r = Call(g, "GET", "/api/v1/roles");
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, (*r)["roles"], {{"NAME", "/name"}, {"DESCRIPTION", "/description"}});
  });

  AddShow(role, g, rc, "/api/v1/roles", "roles", "name", "role");

  // mlws role-assignment create|list|delete
  auto* ra = app.add_subcommand("role-assignment", "Who has which role where");
  ra->require_subcommand(1);
  auto* ra_create = ra->add_subcommand("create", "Assign a role to a user");
  auto* ra_user = ra_create->add_option("--user", o->user, "User name");
  auto* ra_group = ra_create->add_option("--group", o->group, "Group name");
  ra_user->excludes(ra_group);
  ra_create->add_option("--role", o->role, "Role name, e.g. Reader")->required();
  ra_create->add_option("--workspace", o->workspace, "Scope: this workspace (default: server)");
  ra_create->callback([&] {
    json body = {{"role", o->role}};
    if (!o->user.empty()) body["user"] = o->user;
    if (!o->group.empty()) body["group"] = o->group;
    if (!o->workspace.empty()) body["workspace"] = o->workspace;
    auto r = Call(g, "POST", "/api/v1/role-assignments", body);
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, json::array({(*r)["role_assignment"]}),
                {{"ID", "/id"},
                 {"USER", "/user"},
                 {"GROUP", "/group"},
                 {"ROLE", "/role"},
                 {"SCOPE", "/scope"},
                 {"WORKSPACE", "/workspace"}});
  });
  ra->add_subcommand("list", "List role assignments")->callback([&] {
    auto r = Call(g, "GET", "/api/v1/role-assignments");
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, (*r)["role_assignments"],
                {{"ID", "/id"},
                 {"USER", "/user"},
                 {"GROUP", "/group"},
                 {"ROLE", "/role"},
                 {"SCOPE", "/scope"},
                 {"WORKSPACE", "/workspace"}});
  });
  auto* ra_delete = ra->add_subcommand("delete", "Remove a role assignment");
  ra_delete->add_option("id", o->id, "Assignment id")->required();
  ra_delete->callback([&] {
    if (!Call(g, "DELETE", "/api/v1/role-assignments/" + std::to_string(o->id))) {
      return void(rc = 1);
    }
    std::cout << "deleted role assignment " << o->id << "\n";
  });

  AddShow(ra, g, rc, "/api/v1/role-assignments", "role_assignments", "id", "role assignment");

  // mlws audit list
  auto* audit = app.add_subcommand("audit", "The audit log (Owners only)");
  audit->require_subcommand(1);
  auto* audit_list = audit->add_subcommand("list", "Newest entries first");
  audit_list->add_option("--user", o->user, "Only this user");
  audit_list->add_flag("--denied", o->denied_only, "Only denied requests (401/403)");
  audit_list->add_option("--max-results", o->max_results, "At most this many")
      ->check(CLI::Range(1, 10000));
  audit_list->callback([&] {
    std::string q = "?max_results=" + std::to_string(o->max_results);
    if (!o->user.empty()) q += "&user=" + UrlEscape(o->user);
    if (o->denied_only) q += "&denied_only=true";
    auto r = Call(g, "GET", "/api/v1/audit" + q);
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, (*r)["entries"],
                {{"TIME", "/time"},
                 {"USER", "/user"},
                 {"METHOD", "/method"},
                 {"PATH", "/path"},
                 {"ACTION", "/action"},
                 {"STATUS", "/status"},
                 {"FROM", "/remote_addr"}});
  });
}

}  // namespace mlws::cli
