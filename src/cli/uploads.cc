#include "cli/uploads.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/http_client.h"
#include "mlws/assets/asset_service.h"
#include "mlws/assets/snapshot.h"
#include "mlws/common/ids.h"

namespace mlws::cli {

namespace {

namespace fs = std::filesystem;

std::string Human(std::int64_t b) {
  char buf[32];
  if (b >= (1 << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / (1 << 20));
  } else if (b >= 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(b) / 1024);
  } else {
    std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(b));
  }
  return buf;
}

void Bar(const std::string& what, std::int64_t done, std::int64_t total) {
  int pct = total > 0 ? static_cast<int>(done * 100 / total) : 100;
  int filled = pct / 4;
  std::fprintf(stderr, "\r%s [%-25s] %3d%% %s / %s", what.c_str(),
               std::string(static_cast<size_t>(filled), '#').c_str(), pct, Human(done).c_str(),
               Human(total).c_str());
  std::fflush(stderr);
}

}  // namespace

StatusOr<std::string> UploadLocalPath(const Globals& g, const std::string& local_path) {
  const bool tty = isatty(2) != 0;
  ASSIGN_OR_RETURN(assets::SnapshotInfo info, assets::HashLocalPath(local_path));
  std::error_code ec;
  bool is_file = fs::is_regular_file(local_path, ec);
  std::string base =
      BaseUrl(g) + "/api/v1/workspaces/" + UrlEscape(g.workspace) + "/uploads/" + info.hash;
  std::string uri = assets::UploadUri(info.hash);
  if (is_file) uri += "/" + fs::path(local_path).filename().string();
  std::string auth = AuthorizationFor(g);
  ASSIGN_OR_RETURN(HttpResult probe, HttpCall("GET", base, "", auth));
  if (probe.status == 200) {
    if (tty) std::cerr << "uploaded already: " << local_path << " (" << Human(info.bytes) << ")\n";
    return uri;
  }
  if (probe.status != 404) {
    PrintHttpError(probe.status, probe.body);
    return Status(ErrorCode::kInvalidParameterValue, "upload refused");
  }
  std::string name = fs::path(local_path).filename().string();
  std::string archive =
      (fs::temp_directory_path() / ("mlws-upload-" + NewRunId() + ".tar.zst")).string();
  struct Remove {
    std::string p;
    ~Remove() { std::remove(p.c_str()); }
  } remove{archive};
  auto packed = assets::PackSnapshot(local_path, archive, [&](std::int64_t d, std::int64_t t) {
    if (tty) Bar("packing   " + name, d, t);
  });
  if (tty) std::cerr << "\n";
  if (!packed.ok()) return packed.status();
  if (packed->hash != info.hash) {
    return Status(ErrorCode::kResourceConflict,
                  local_path + " changed while it was being uploaded; try again");
  }
  ASSIGN_OR_RETURN(HttpResult r,
                   HttpUploadFile(base, archive, auth, [&](std::int64_t d, std::int64_t t) {
                     if (tty) Bar("uploading " + name, d, t);
                   }));
  if (tty) std::cerr << "\n";
  if (r.status >= 400) {
    PrintHttpError(r.status, r.body);
    return Status(ErrorCode::kInvalidParameterValue, "upload of " + local_path + " failed");
  }
  return uri;
}

StatusOr<std::string> UploadSpecPath(const Globals& g, const SpecFile& f, const std::string& field,
                                     const std::string& p) {
  if (!IsLocalPath(p)) return p;
  std::string local = ResolveLocal(f, p);
  std::error_code ec;
  if (!fs::exists(local, ec)) {
    return NotFound(field + " '" + p + "' does not exist (looked for " + local + ")");
  }
  auto uri = UploadLocalPath(g, local);
  if (!uri.ok())
    return Status(uri.status().code(), field + " '" + p + "': " + uri.status().message());
  return uri;
}

}  // namespace mlws::cli
