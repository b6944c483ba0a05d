#include "mlws/http/router.h"

namespace mlws::http {

namespace {

constexpr std::string_view kWorkspacePrefix = "/workspaces/";
constexpr std::string_view kAjax = "/ajax-api/";

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

void Router::Add(Route route) {
  routes_.push_back(std::move(route));
  const Route& r = routes_.back();
  size_t idx = routes_.size() - 1;
  if (r.pattern.find('{') == std::string::npos) {
    exact_[r.method + " " + r.pattern] = idx;
  } else {
    patterned_.push_back(idx);
  }
}

void Router::SetFallback(Route route) { fallback_ = std::move(route); }

bool Router::MatchPattern(const Route& r, std::string_view path,
                          std::map<std::string, std::string>& params) const {
  auto pat = Split(r.pattern);
  auto segs = Split(path);
  size_t si = 0;
  for (size_t pi = 0; pi < pat.size(); ++pi) {
    std::string_view p = pat[pi];
    if (p.size() > 5 && p.front() == '{' && p.substr(p.size() - 4) == "...}") {
      // Rest-of-path capture: the raw text after the matched prefix and one slash, so that
      // "//etc/passwd" stays absolute and is refused by path validation instead of being
      // silently normalised.
      size_t pos = 0;
      for (size_t k = 0; k < si; ++k) {
        pos = static_cast<size_t>(segs[k].data() - path.data()) + segs[k].size();
      }
      std::string rest;
      if (pos < path.size()) rest = std::string(path.substr(pos + 1));
      params[std::string(p.substr(1, p.size() - 5))] = rest;
      return true;
    }
    if (si >= segs.size()) return false;
    if (p.front() == '{' && p.back() == '}') {
      params[std::string(p.substr(1, p.size() - 2))] = std::string(segs[si]);
    } else if (p != segs[si]) {
      return false;
    }
    ++si;
  }
  return si == segs.size();
}

Match Router::Resolve(Request& req) const {
  std::string_view path = req.path;
  // "/workspaces/<ws>/api/..." selects a workspace for the MLflow-compatible routes.
  if (path.substr(0, kWorkspacePrefix.size()) == kWorkspacePrefix) {
    std::string_view rest = path.substr(kWorkspacePrefix.size());
    size_t slash = rest.find('/');
    if (slash != std::string_view::npos && slash > 0) {
      req.workspace = std::string(rest.substr(0, slash));
      path = rest.substr(slash);
    }
  }
  std::string normalized;
  if (path.substr(0, kAjax.size()) == kAjax) {
    normalized = "/api/" + std::string(path.substr(kAjax.size()));
  } else {
    normalized = std::string(path);
  }
  while (normalized.size() > 1 && normalized.back() == '/' &&
         normalized.find("/mlflow-artifacts/") == std::string::npos) {
    normalized.pop_back();
  }

  Match m;
  const std::string method = req.method == "HEAD" ? "GET" : req.method;
  auto it = exact_.find(method + " " + normalized);
  if (it != exact_.end()) {
    m.route = &routes_[it->second];
    m.path_known = true;
    req.path = normalized;
    return m;
  }
  for (size_t idx : patterned_) {
    const Route& r = routes_[idx];
    std::map<std::string, std::string> params;
    if (!MatchPattern(r, normalized, params)) continue;
    m.path_known = true;
    if (r.method != method) continue;
    m.route = &r;
    req.path_params = std::move(params);
    req.path = normalized;
    return m;
  }
  if (!m.path_known) {
    for (const auto& r : routes_) {
      if (r.pattern == normalized) m.path_known = true;
    }
  }
  bool api_path = normalized.rfind("/api/", 0) == 0 || normalized == "/api";
  if (!m.path_known && fallback_ && method == "GET" && !api_path) {
    m.route = &*fallback_;
    m.path_known = true;
    // The full path: under /workspaces/<ws>/ everything is a studio page, never a file.
    req.path_params["path"] = req.path.substr(1);
  }
  return m;
}

}  // namespace mlws::http
