#include "cli/auth_commands.h"

#include <termios.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <iostream>
#include <memory>
#include <vector>

#include "cli/output.h"
#include "cli/verbs.h"
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

PathFn Fixed(std::string path) {
  return [path] { return path; };
}

}  // namespace

void AddAuthCommands(CLI::App& app, Globals& g, int& rc) {
  // All option storage lives as long as the app: allocated once and owned by a static holder.
  struct Opts {
    std::string user, group, password, name, role, workspace, registry;
    int days = 0;
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
  AddListVerb(user, g, rc, "List users", Fixed("/api/v1/users"), "users",
              {{"NAME", "/name"}, {"CREATED", "/creation_time"}});
  AddDeleteVerb(user, g, rc, "delete", "Delete a user with their tokens and roles",
                Fixed("/api/v1/users"), "name", "deleted", "user");

  AddShowVerb(user, g, rc, Fixed("/api/v1/users"), "users", "name", "user");

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
  AddListVerb(token, g, rc, "List your tokens (never their secrets)", Fixed("/api/v1/tokens"),
              "tokens",
              {{"ID", "/id"},
               {"NAME", "/name"},
               {"PREFIX", "/prefix"},
               {"REVOKED", "/revoked"},
               {"LAST USED", "/last_used_time"},
               {"EXPIRES", "/expiry_time"}});
  AddDeleteVerb(token, g, rc, "revoke", "Revoke a token at once", Fixed("/api/v1/tokens"), "id",
                "revoked", "token");
  AddDeleteVerb(token, g, rc, "delete", "Same as revoke", Fixed("/api/v1/tokens"), "id", "revoked",
                "token");

  AddShowVerb(token, g, rc, Fixed("/api/v1/tokens"), "tokens", "id", "token");

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
  AddListVerb(group, g, rc, "List groups with their members", Fixed("/api/v1/groups"), "groups",
              {{"NAME", "/name"}, {"MEMBERS", "/members"}});
  AddDeleteVerb(group, g, rc, "delete", "Delete a group and its role assignments",
                Fixed("/api/v1/groups"), "name", "deleted", "group");
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

  AddShowVerb(group, g, rc, Fixed("/api/v1/groups"), "groups", "name", "group");

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
  AddDeleteVerb(role, g, rc, "delete", "Delete a custom role (not while assigned)",
                Fixed("/api/v1/roles"), "name", "deleted", "role");
  AddListVerb(role, g, rc, "List roles with their actions", Fixed("/api/v1/roles"), "roles",
              {{"NAME", "/name"}, {"BUILTIN", "/builtin"}, {"DESCRIPTION", "/description"}});

  AddShowVerb(role, g, rc, Fixed("/api/v1/roles"), "roles", "name", "role");

  // mlws role-assignment create|list|delete
  auto* ra = app.add_subcommand("role-assignment", "Who has which role where");
  ra->require_subcommand(1);
  auto* ra_create = ra->add_subcommand("create", "Assign a role to a user");
  auto* ra_user = ra_create->add_option("--user", o->user, "User name");
  auto* ra_group = ra_create->add_option("--group", o->group, "Group name");
  ra_user->excludes(ra_group);
  ra_create->add_option("--role", o->role, "Role name, e.g. Reader")->required();
  ra_create->add_option("--workspace", o->workspace, "Scope: this workspace (default: server)");
  ra_create->add_option("--registry", o->registry, "Scope: this registry (instead of a workspace)");
  ra_create->callback([&] {
    json body = {{"role", o->role}};
    if (!o->user.empty()) body["user"] = o->user;
    if (!o->group.empty()) body["group"] = o->group;
    if (!o->workspace.empty()) body["workspace"] = o->workspace;
    if (!o->registry.empty()) body["registry"] = o->registry;
    auto r = Call(g, "POST", "/api/v1/role-assignments", body);
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, json::array({(*r)["role_assignment"]}),
                {{"ID", "/id"},
                 {"USER", "/user"},
                 {"GROUP", "/group"},
                 {"ROLE", "/role"},
                 {"SCOPE", "/scope"},
                 {"WORKSPACE", "/workspace"},
                 {"REGISTRY", "/registry"}});
  });
  AddListVerb(ra, g, rc, "List role assignments", Fixed("/api/v1/role-assignments"),
              "role_assignments",
              {{"ID", "/id"},
               {"USER", "/user"},
               {"GROUP", "/group"},
               {"ROLE", "/role"},
               {"SCOPE", "/scope"},
               {"WORKSPACE", "/workspace"},
               {"REGISTRY", "/registry"}});
  AddDeleteVerb(ra, g, rc, "delete", "Remove a role assignment", Fixed("/api/v1/role-assignments"),
                "id", "deleted", "role assignment");

  AddShowVerb(ra, g, rc, Fixed("/api/v1/role-assignments"), "role_assignments", "id",
              "role assignment");

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
