#include "mlws/artifacts/storage_quota.h"

#include <fmt/format.h>

#include <filesystem>
#include <limits>

namespace mlws::artifacts {

namespace fs = std::filesystem;

namespace {

// Regular files only: a symlink is not followed, nor counted.
std::int64_t ScanBytes(const fs::path& dir) {
  std::int64_t total = 0;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code sec;
    if (it->is_regular_file(sec) && !it->is_symlink(sec)) {
      auto size = it->file_size(sec);
      if (!sec) total += static_cast<std::int64_t>(size);
    }
  }
  return total;
}

// The bytes of the blobs under `prefix` (a store that cannot be listed counts as empty until the
// next scan: the quota must not lock a workspace out because the store blinked).
std::int64_t ScanBlobBytes(BlobStore& blobs, const std::string& prefix) {
  std::int64_t total = 0;
  ListOptions o;
  o.prefix = prefix;
  do {
    auto page = blobs.List(o);
    if (!page.ok()) return total;
    for (const auto& b : page->blobs) total += b.size;
    o.page_token = page->next_page_token;
  } while (!o.page_token.empty());
  return total;
}

}  // namespace

StorageQuota::StorageQuota(std::string artifacts_root, std::int64_t limit_bytes,
                           std::chrono::seconds rescan_after)
    : root_(std::move(artifacts_root)), limit_(limit_bytes), rescan_after_(rescan_after) {}

std::int64_t StorageQuota::UsageLocked(std::int64_t workspace_id) {
  auto now = std::chrono::steady_clock::now();
  auto it = usage_.find(workspace_id);
  if (it == usage_.end() || now - it->second.scanned >= rescan_after_) {
    Entry e{blobs_ != nullptr ? ScanBlobBytes(*blobs_, std::to_string(workspace_id) + "/")
                              : ScanBytes(fs::path(root_) / std::to_string(workspace_id)),
            now};
    it = usage_.insert_or_assign(workspace_id, e).first;
  }
  return it->second.bytes;
}

std::int64_t StorageQuota::Usage(std::int64_t workspace_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return UsageLocked(workspace_id);
}

std::int64_t StorageQuota::Remaining(std::int64_t workspace_id) {
  if (limit_ <= 0) return std::numeric_limits<std::int64_t>::max();
  std::lock_guard<std::mutex> lock(mu_);
  return std::max<std::int64_t>(0, limit_ - UsageLocked(workspace_id));
}

Status StorageQuota::Admit(std::int64_t workspace_id, std::int64_t bytes) {
  if (limit_ <= 0) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  std::int64_t used = UsageLocked(workspace_id);
  if (bytes > limit_ - used) {
    return Status(ErrorCode::kQuotaExceeded,
                  fmt::format("the workspace's storage quota of {} bytes is exhausted: {} bytes "
                              "are in use and this write needs {} more (delete artifacts, "
                              "assets or jobs, or ask an admin to raise "
                              "--workspace-storage-quota-gb)",
                              limit_, used, bytes));
  }
  usage_[workspace_id].bytes += bytes;
  return Status::Ok();
}

}  // namespace mlws::artifacts
