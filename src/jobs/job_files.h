// Reading what a job left in its folder, safely: the folder is written by untrusted code, so
// nothing here follows a symbolic link, and every name that reaches JSON or an artifact path is
// checked first (valid UTF-8, printable, a valid artifact path). Used by the finalizer
// (scheduler.cc) and the logs/outputs queries (job_service.cc).
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "mlws/artifacts/artifact_store.h"
#include "mlws/common/status.h"

namespace mlws::jobs {

// The last `lines` lines (of the last 4 KiB) of a log, read without following a link.
std::string LastLines(const std::filesystem::path& log, int lines);
// Appends a line the server writes itself (never through a link).
void AppendToLog(const std::filesystem::path& log, const std::string& text);
// Reads and increments the small counter file `path` (0 when absent); never follows a link.
int BumpCounterFile(const std::filesystem::path& path);

// A relative path made of valid UTF-8 without control characters.
bool PortableName(std::string_view rel);

// Masks every mlws API token ("mlws_" + 43 characters) in `data` with '*' of the same length, so
// byte offsets into a log stay valid.
void RedactTokens(std::string& data);
// Where to cut a chunk of a log that is still being written, so a token split across two chunks
// is not served half-unmasked: the start of a trailing partial token, or data.size().
size_t SafeChunkEnd(const std::string& data);

// Opens `root`/`rel` read-only without following a symbolic link in any component below `root`
// (`root` itself is lstat'ed: it must be a real folder). Returns an fd or NotFound.
StatusOr<int> OpenInside(const std::filesystem::path& root, const std::string& rel);

// True when `dir` is a real folder (not a symbolic link to one).
bool IsRealDir(const std::filesystem::path& dir);

struct FoundFile {
  std::string rel;  // relative to the folder walked, '/'-separated
  std::int64_t size = 0;
};
// Regular files below `root` (never through a symbolic link). Names that are not portable are
// left out and described in `skipped` (made printable).
std::vector<FoundFile> ListRealFiles(const std::filesystem::path& root,
                                     std::vector<std::string>* skipped = nullptr);

// Copies the job's log (tokens masked) and ./outputs into its run's artifacts. Files that cannot
// be captured are described in `notes`; the Status is an error only when nothing could be done.
Status CaptureRunFiles(artifacts::ArtifactStore& store, const std::string& artifact_uri,
                       std::int64_t ws_id, const std::filesystem::path& job_dir,
                       std::vector<std::string>& notes);

}  // namespace mlws::jobs
