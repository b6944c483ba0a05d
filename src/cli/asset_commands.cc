#include "cli/asset_commands.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "assets/asset_reference.h"
#include "assets/asset_spec.h"
#include "cli/http_client.h"
#include "cli/output.h"
#include "cli/shared_commands.h"
#include "cli/spec_file.h"
#include "cli/uploads.h"
#include "cli/verbs.h"

namespace mlws::cli {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct AssetOpts {
  std::string file;
  std::string name;
  std::string version;
  std::string label;
  std::string description;
  std::vector<std::string> sets;
  std::vector<std::string> tags;
  std::string download_path = ".";
  bool all_versions = false;
  bool include_archived = false;
  std::string registry;  // --registry-name: the registry's assets instead of the workspace's
  std::string share_with_name;
  std::string share_with_version;
};

std::string Collection(const Globals& g, assets::AssetKind kind, const std::string& registry = "") {
  if (!registry.empty()) {
    return "/api/v1/registries/" + UrlEscape(registry) + "/" + assets::CollectionName(kind);
  }
  return "/api/v1/workspaces/" + UrlEscape(g.workspace) + "/" + assets::CollectionName(kind);
}

void AddRegistryOption(CLI::App* verb, AssetOpts& o) {
  verb->add_option("--registry-name", o.registry, "In this registry instead of the workspace");
}

const std::vector<Column>& AssetColumns() {
  static const std::vector<Column> kCols = {{"NAME", "/name"}, {"VERSION", "/version"},
                                            {"TYPE", "/type"}, {"ARCHIVED", "/archived"},
                                            {"PATH", "/path"}, {"DESCRIPTION", "/description"}};
  return kCols;
}

void PrintAsset(const Globals& g, const json& a) {
  PrintResult(g.output, a, json::array({a}), AssetColumns());
}

// Fails with "<file>: <message>" on stderr.
bool SpecError(const SpecFile& f, const std::string& msg) {
  std::cerr << "error: " << f.path << ": " << msg << "\n";
  return false;
}

// Uploads a local path named in the spec (relative to the spec file); `value` becomes its URI.
bool UploadField(const Globals& g, const SpecFile& f, const std::string& field, json& value) {
  if (!value.is_string()) return SpecError(f, "field '" + field + "' must be a string");
  auto uri = UploadSpecPath(g, f, field, value.get<std::string>());
  if (!uri.ok()) return SpecError(f, uri.status().message());
  value = *uri;
  return true;
}

// conda_file: a path to a conda YAML -> its content inline (as Azure ML's CLI sends it).
bool InlineConda(const SpecFile& f, json& env) {
  Status st = InlineCondaFile(f, env);
  return st.ok() || SpecError(f, st.message());
}

// Reads the spec, applies flags, validates it, uploads its local files.
std::optional<json> PrepareSpec(const Globals& g, assets::AssetKind kind, const AssetOpts& o) {
  auto loaded = LoadSpecFile(o.file, o.sets);
  if (!loaded.ok()) {
    std::cerr << "error: " << loaded.status().message() << "\n";
    return std::nullopt;
  }
  SpecFile f = std::move(*loaded);
  json& spec = f.spec;
  if (!o.name.empty()) spec["name"] = o.name;
  if (!o.version.empty()) spec["version"] = o.version;
  if (!o.description.empty()) spec["description"] = o.description;
  // Inline the conda file first so validation sees the final shape.
  using assets::AssetKind;
  if (kind == AssetKind::kEnvironment && !InlineConda(f, spec)) return std::nullopt;
  if (kind == AssetKind::kComponent && spec.contains("environment") &&
      !InlineConda(f, spec["environment"])) {
    return std::nullopt;
  }
  auto valid = assets::AssetFromSpec(kind, spec);
  if (!valid.ok()) {
    SpecError(f, valid.status().message());
    return std::nullopt;
  }
  bool ok = true;
  if (kind == AssetKind::kModel || kind == AssetKind::kData) {
    ok = UploadField(g, f, "path", spec["path"]);
  } else if (kind == AssetKind::kEnvironment && spec.contains("build")) {
    ok = UploadField(g, f, "build.path", spec["build"]["path"]);
  } else if (kind == AssetKind::kComponent && spec.contains("code") && !spec["code"].is_null()) {
    ok = UploadField(g, f, "code", spec["code"]);
  }
  if (!ok) return std::nullopt;
  return spec;
}

std::string VersionRef(const std::string& name, const AssetOpts& o) {
  if (!o.version.empty()) return name + ":" + o.version;
  if (!o.label.empty()) return name + "@" + o.label;
  return name + "@latest";
}

// Downloads every file under datastore path `path` into `dest`.
bool DownloadTree(const Globals& g, const std::string& ds, const std::string& path,
                  const fs::path& dest) {
  std::string base =
      "/api/v1/workspaces/" + UrlEscape(g.workspace) + "/datastores/" + UrlEscape(ds);
  auto list = Call(g, "GET", base + "/files?path=" + UrlEscape(path));
  if (!list) return false;
  std::error_code ec;
  fs::create_directories(dest, ec);
  for (const auto& e : (*list)["files"]) {
    std::string p = e["path"].get<std::string>();
    std::string leaf = fs::path(p).filename().string();
    if (e["is_dir"].get<bool>()) {
      if (!DownloadTree(g, ds, p, dest / leaf)) return false;
      continue;
    }
    if (!DownloadFile(g, base + "/download/" + UrlEscapePath(p), (dest / leaf).string())) {
      return false;
    }
  }
  return true;
}

void AddAssetNoun(CLI::App& app, Globals& g, int& rc, assets::AssetKind kind, const char* help) {
  auto o = std::make_shared<AssetOpts>();
  auto* noun = app.add_subcommand(assets::KindName(kind), help);
  noun->require_subcommand(1);
  noun->add_option("-w,--workspace", g.workspace, "Workspace")->capture_default_str();
  const std::string what = assets::KindName(kind);

  auto* create = noun->add_subcommand("create", "Create a new version from an Azure ML YAML spec");
  create->add_option("-f,--file", o->file, "YAML spec")->required();
  create->add_option("-n,--name", o->name, "Name (overrides the spec's)");
  create->add_option("-v,--version", o->version, "Version (overrides the spec's)");
  create->add_option("--set", o->sets, "Override a field: key=value (dotted for nested)");
  AddRegistryOption(create, *o);
  create->callback([&g, &rc, o, kind] {
    auto spec = PrepareSpec(g, kind, *o);
    if (!spec) return void(rc = 1);
    // Into a registry: files are uploaded to the workspace, the server copies them over.
    std::string path = o->registry.empty() ? Collection(g, kind)
                                           : Collection(g, kind, o->registry) +
                                                 "?from_workspace=" + UrlEscape(g.workspace);
    auto r = Call(g, "POST", path, *spec);
    if (!r) return void(rc = 1);
    PrintAsset(g, *r);
  });

  auto* list = noun->add_subcommand("list", "List the latest version of each (or all versions)");
  list->add_option("-n,--name", o->name, "Only this name (lists its versions)");
  list->add_flag("--all-versions", o->all_versions, "Every version, not only the latest");
  list->add_flag("--include-archived", o->include_archived, "Include archived versions");
  AddRegistryOption(list, *o);
  list->callback([&g, &rc, o, kind] {
    std::string q =
        "?all_versions=" + std::string(o->all_versions || !o->name.empty() ? "true" : "false") +
        "&include_archived=" + (o->include_archived ? "true" : "false");
    if (!o->name.empty()) q += "&name=" + UrlEscape(o->name);
    auto r = Call(g, "GET", Collection(g, kind, o->registry) + q);
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, (*r)["value"], AssetColumns());
  });

  auto* show = noun->add_subcommand("show", "Show a version (default: the latest)");
  show->add_option("name", o->name, "Name, or a reference (azureml:n:v, azureml://registries/…)")
      ->required();
  show->add_option("-v,--version", o->version, "Version");
  show->add_option("-l,--label", o->label, "Label (latest)");
  AddRegistryOption(show, *o);
  show->callback([&g, &rc, o, kind] {
    if (!o->registry.empty()) {
      auto r = Call(g, "GET",
                    Collection(g, kind, o->registry) + "/" + UrlEscape(VersionRef(o->name, *o)));
      if (!r) return void(rc = 1);
      return PrintAsset(g, *r);
    }
    if (o->name.rfind("azureml:", 0) == 0) {
      // Any reference form, e.g. azureml://registries/azureml/environments/sklearn-1.5/...
      auto r = Call(g, "GET", Collection(g, kind) + "?reference=" + UrlEscape(o->name));
      if (!r) return void(rc = 1);
      return PrintAsset(g, (*r)["value"][0]);
    }
    auto r = Call(g, "GET", Collection(g, kind) + "/" + UrlEscape(VersionRef(o->name, *o)));
    if (!r) return void(rc = 1);
    PrintAsset(g, *r);
  });

  auto* update = noun->add_subcommand("update", "Change a version's description or tags");
  update->add_option("name", o->name, "Name")->required();
  update->add_option("-v,--version", o->version, "Version")->required();
  update->add_option("--description", o->description, "New description");
  update->add_option("--tag", o->tags, "Set a tag: key=value (repeatable)");
  update->add_option("--set", o->sets, "description=… or tags.<key>=…");
  update->callback([&g, &rc, o, kind] {
    std::string path =
        Collection(g, kind) + "/" + UrlEscape(o->name) + "/versions/" + UrlEscape(o->version);
    auto cur = Call(g, "GET", path);
    if (!cur) return void(rc = 1);
    json body = {{"tags", (*cur)["tags"]}};
    if (!o->description.empty()) body["description"] = o->description;
    std::vector<std::string> sets = o->sets;
    for (const auto& t : o->tags) sets.push_back("tags." + t);
    for (const auto& s : sets) {
      size_t eq = s.find('=');
      std::string key = s.substr(0, eq);
      std::string value = eq == std::string::npos ? "" : s.substr(eq + 1);
      if (key == "description") {
        body["description"] = value;
      } else if (key.rfind("tags.", 0) == 0 && key.size() > 5) {
        body["tags"][key.substr(5)] = value;
      } else {
        std::cerr << "error: --set " << s << ": only description and tags.<key> can change\n";
        return void(rc = 1);
      }
    }
    auto r = Call(g, "PATCH", path, body);
    if (!r) return void(rc = 1);
    PrintAsset(g, *r);
  });

  for (const char* verb : {"archive", "restore"}) {
    bool archive = std::string(verb) == "archive";
    auto* v =
        noun->add_subcommand(verb, archive ? "Archive a version (or every version): hidden "
                                             "from lists and @latest"
                                           : "Restore an archived version (or every version)");
    v->add_option("name", o->name, "Name")->required();
    v->add_option("-v,--version", o->version, "Version (default: every version)");
    AddRegistryOption(v, *o);
    v->callback([&g, &rc, o, kind, verb] {
      std::vector<std::string> versions;
      if (!o->version.empty()) {
        versions.push_back(o->version);
      } else {
        auto all = Call(g, "GET",
                        Collection(g, kind, o->registry) + "/" + UrlEscape(o->name) +
                            "/versions?include_archived=true");
        if (!all) return void(rc = 1);
        for (const auto& a : (*all)["value"]) versions.push_back(a["version"].get<std::string>());
      }
      for (const auto& ver : versions) {
        auto r = Call(g, "POST",
                      Collection(g, kind, o->registry) + "/" + UrlEscape(o->name) + "/versions/" +
                          UrlEscape(ver) + "/" + verb);
        if (!r) return void(rc = 1);
        std::cout << verb << "d " << o->name << ":" << ver << "\n";
      }
    });
  }

  auto* share = noun->add_subcommand(
      "share", "Copy a version into a registry (as az ml " + what + " share does)");
  share->add_option("-n,--name", o->name, "Name in the workspace")->required();
  share->add_option("-v,--version", o->version, "Version in the workspace")->required();
  share->add_option("--registry-name", o->registry, "The registry")->required();
  share->add_option("--share-with-name", o->share_with_name, "Name in the registry");
  share->add_option("--share-with-version", o->share_with_version, "Version in the registry");
  share->callback([&g, &rc, o, kind] {
    json body = {{"registry_name", o->registry}};
    if (!o->share_with_name.empty()) body["share_with_name"] = o->share_with_name;
    if (!o->share_with_version.empty()) body["share_with_version"] = o->share_with_version;
    auto r = Call(g, "POST",
                  Collection(g, kind) + "/" + UrlEscape(o->name) + "/versions/" +
                      UrlEscape(o->version) + "/share",
                  body);
    if (!r) return void(rc = 1);
    PrintAsset(g, *r);
  });

  auto* del = noun->add_subcommand("delete",
                                   "Delete a version (its uploaded files go when no "
                                   "other version uses them)");
  del->add_option("name", o->name, "Name")->required();
  del->add_option("-v,--version", o->version, "Version")->required();
  AddRegistryOption(del, *o);
  del->callback([&g, &rc, o, kind] {
    if (!Call(g, "DELETE",
              Collection(g, kind, o->registry) + "/" + UrlEscape(o->name) + "/versions/" +
                  UrlEscape(o->version))) {
      return void(rc = 1);
    }
    std::cout << "deleted " << o->name << ":" << o->version << "\n";
  });

  auto* download = noun->add_subcommand("download", "Download a version's files (and spec)");
  download->add_option("name", o->name, "Name")->required();
  download->add_option("-v,--version", o->version, "Version (default: the latest)");
  download->add_option("-p,--download-path", o->download_path, "Folder to write into")
      ->capture_default_str();
  download->callback([&g, &rc, o, kind, what] {
    auto a = Call(g, "GET", Collection(g, kind) + "/" + UrlEscape(VersionRef(o->name, *o)));
    if (!a) return void(rc = 1);
    fs::path dest = fs::path(o->download_path) / (*a)["name"].get<std::string>();
    std::error_code ec;
    fs::create_directories(dest, ec);
    // The spec, as YAML-compatible JSON.
    std::ofstream(dest / (what + ".json")) << (*a)["spec"].dump(2) << "\n";
    std::string files;
    const json& spec = (*a)["spec"];
    if (kind == assets::AssetKind::kModel || kind == assets::AssetKind::kData) {
      files = (*a)["path"].get<std::string>();
    } else if (kind == assets::AssetKind::kComponent && spec.contains("code")) {
      files = spec["code"].get<std::string>();
    } else if (kind == assets::AssetKind::kEnvironment && spec.contains("build")) {
      files = spec["build"]["path"].get<std::string>();
    }
    if (!files.empty()) {
      auto ds = assets::ParseDatastoreUri(files);
      if (!ds.ok()) {
        std::cerr << "error: files at " << files << " are not in a datastore of this server\n";
        return void(rc = 1);
      }
      if (!DownloadTree(g, ds->datastore, ds->path, dest)) return void(rc = 1);
    }
    std::cout << "downloaded " << (*a)["name"].get<std::string>() << ":"
              << (*a)["version"].get<std::string>() << " to " << dest.string() << "\n";
  });
}

// `environment build REF` and `environment build-log HASH`.
void AddEnvironmentBuildVerbs(CLI::App& app, Globals& g, int& rc) {
  auto o = std::make_shared<AssetOpts>();
  CLI::App* env = app.get_subcommand("environment");
  auto* build = env->add_subcommand(
      "build", "Build (or find) an environment's virtualenv now, instead of at its first use");
  build
      ->add_option("reference", o->name,
                   "NAME:VERSION, NAME@latest or azureml://registries/azureml/environments/…")
      ->required();
  build->callback([&g, &rc, o] {
    std::string ref = o->name;
    if (ref.find(':') == std::string::npos && ref.find('@') == std::string::npos) {
      ref += "@latest";
    }
    auto r = Call(g, "POST", "/api/v1/workspaces/" + UrlEscape(g.workspace) + "/environment-builds",
                  {{"reference", ref}}, "", 3600);
    if (!r) return void(rc = 1);
    if (g.output == "json" || g.output == "yaml") {
      return PrintResult(g.output, *r, json::array(), {});
    }
    if ((*r)["host_interpreter"].get<bool>()) {
      std::cout << "no build needed: " << (*r)["note"].get<std::string>() << "\n";
    } else {
      std::cout << "ready: environment " << (*r)["hash"].get<std::string>() << "\n";
      if (!(*r)["note"].get<std::string>().empty()) {
        std::cout << "note: " << (*r)["note"].get<std::string>() << "\n";
      }
    }
  });
  auto* log = env->add_subcommand("build-log", "Print the build log of an environment build");
  log->add_option("hash", o->version, "The build's hash (from `build` or a job's error)")
      ->required();
  log->callback([&g, &rc, o] {
    auto r = HttpCall("GET",
                      BaseUrl(g) + "/api/v1/workspaces/" + UrlEscape(g.workspace) +
                          "/environment-builds/" + UrlEscape(o->version) + "/log",
                      "", AuthorizationFor(g));
    if (!r.ok()) {
      std::cerr << "error: " << r.status().message() << "\n";
      return void(rc = 1);
    }
    if (r->status >= 400) {
      PrintHttpError(r->status, r->body);
      return void(rc = 1);
    }
    std::cout << r->body;
  });
}

void AddDatastoreNoun(CLI::App& app, Globals& g, int& rc) {
  auto o = std::make_shared<AssetOpts>();
  auto* noun = app.add_subcommand("datastore", "Datastores: local folders and S3 buckets");
  noun->require_subcommand(1);
  noun->add_option("-w,--workspace", g.workspace, "Workspace")->capture_default_str();
  PathFn base = AddSharedFlag(noun, "datastores", [&g] {
    return "/api/v1/workspaces/" + UrlEscape(g.workspace) + "/datastores";
  });
  static const std::vector<Column> kCols = {{"NAME", "/name"},
                                            {"TYPE", "/type"},
                                            {"DEFAULT", "/is_default"},
                                            {"PATH", "/path"},
                                            {"BUCKET", "/bucket"}};
  auto* create = noun->add_subcommand("create", "Create a datastore from a YAML spec");
  create->add_option("-f,--file", o->file, "YAML spec")->required();
  create->add_option("-n,--name", o->name, "Name (overrides the spec's)");
  create->add_option("--set", o->sets, "Override a field: key=value");
  create->callback([&g, &rc, o, base] {
    auto f = LoadSpecFile(o->file, o->sets);
    if (!f.ok()) {
      std::cerr << "error: " << f.status().message() << "\n";
      return void(rc = 1);
    }
    if (!o->name.empty()) f->spec["name"] = o->name;
    if (f->spec.contains("path") && f->spec["path"].is_string()) {
      f->spec["path"] = ResolveLocal(*f, f->spec["path"].get<std::string>());
    }
    auto r = Call(g, "POST", base(), f->spec);
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, json::array({*r}), kCols);
  });
  AddListVerb(noun, g, rc, "List datastores", base, "value", kCols);
  auto* show = noun->add_subcommand("show", "Show a datastore");
  show->add_option("name", o->name, "Name")->required();
  show->callback([&g, &rc, o, base] {
    auto r = Call(g, "GET", base() + "/" + UrlEscape(o->name));
    if (!r) return void(rc = 1);
    PrintResult(g.output, *r, json::array({*r}), kCols);
  });
  AddDeleteVerb(noun, g, rc, "delete", "Delete a datastore (not the default one)", base, "name",
                "deleted", "datastore");
  AddGrantVerbs(noun, g, rc, "datastores", "datastore");
  auto* download = noun->add_subcommand("download", "Download files under a datastore path");
  download->add_option("name", o->name, "Datastore")->required();
  download->add_option("--path", o->version, "Path inside the datastore (default: all)");
  download->add_option("-p,--download-path", o->download_path, "Folder to write into")
      ->capture_default_str();
  download->callback([&g, &rc, o] {
    if (!DownloadTree(g, o->name, o->version, fs::path(o->download_path))) return void(rc = 1);
    std::cout << "downloaded " << o->name << "/" << o->version << " to " << o->download_path
              << "\n";
  });
}

}  // namespace

void AddAssetCommands(CLI::App& app, Globals& g, int& rc) {
  using assets::AssetKind;
  AddAssetNoun(app, g, rc, AssetKind::kModel, "Models (also in the MLflow model registry)");
  AddAssetNoun(app, g, rc, AssetKind::kData, "Data assets: uri_file, uri_folder, mltable");
  AddAssetNoun(app, g, rc, AssetKind::kEnvironment, "Environments jobs run in");
  AddAssetNoun(app, g, rc, AssetKind::kComponent, "Reusable command components");
  AddEnvironmentBuildVerbs(app, g, rc);
  AddDatastoreNoun(app, g, rc);
}

}  // namespace mlws::cli
