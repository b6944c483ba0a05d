#include "mlws/tracking/validation.h"

#include <fmt/format.h>

#include <cctype>

namespace mlws::tracking {

namespace {

Status TooLong(std::string_view what, std::string_view value, size_t limit) {
  return InvalidArgument(fmt::format("{} '{}' had length {}, which exceeded length limit of {}",
                                     what, value.substr(0, 100), value.size(), limit));
}

// MLflow requires keys to be normalised relative paths: no "." or ".." segments, no leading or
// doubled or trailing slashes.
bool PathIsNormalized(std::string_view key) {
  if (key.empty() || key.front() == '/' || key.back() == '/') return false;
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view seg = key.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

Status ValidateEntityKey(std::string_view kind, std::string_view key) {
  for (char c : key) {
    auto u = static_cast<unsigned char>(c);
    bool ok = std::isalnum(u) || c == '_' || c == '/' || c == '.' || c == '-' || c == ' ' ||
              c == ':' || u >= 0x80;  // \w in Python matches Unicode letters
    if (!ok) {
      return InvalidArgument(fmt::format(
          "Invalid {} name: '{}'. Names may only contain alphanumerics, underscores (_), dashes "
          "(-), periods (.), spaces ( ), colon(:) and slashes (/).",
          kind, key));
    }
  }
  if (!PathIsNormalized(key)) {
    return InvalidArgument(fmt::format(
        "Invalid {} name: '{}'. Names cannot be empty, and must be normalized relative paths "
        "(no leading or trailing '/', no '..' or '.' segments).",
        kind, key));
  }
  if (key.size() > kMaxEntityKeyLength) {
    return TooLong(fmt::format("{} name", kind), key, kMaxEntityKeyLength);
  }
  return Status::Ok();
}

Status ValidateParam(const KeyValue& p) {
  RETURN_IF_ERROR(ValidateEntityKey("parameter", p.key));
  if (p.value.size() > kMaxParamValueLength) {
    return TooLong("Param value", p.value, kMaxParamValueLength);
  }
  return Status::Ok();
}

Status ValidateTag(const KeyValue& t) {
  RETURN_IF_ERROR(ValidateEntityKey("tag", t.key));
  if (t.value.size() > kMaxTagValueLength) return TooLong("Tag value", t.value, kMaxTagValueLength);
  return Status::Ok();
}

Status ValidateMetric(const Metric& m) { return ValidateEntityKey("metric", m.key); }

Status ValidateExperimentName(std::string_view name) {
  if (name.empty()) {
    return InvalidArgument("Invalid experiment name: ''. Experiment names cannot be empty.");
  }
  if (name.size() > kMaxExperimentNameLength) {
    return TooLong("Experiment name", name, kMaxExperimentNameLength);
  }
  return Status::Ok();
}

Status ValidateExperimentTag(const KeyValue& t) {
  if (t.key.empty()) return InvalidArgument("Experiment tag key cannot be empty");
  if (t.key.size() > kMaxExperimentTagKeyLength) {
    return TooLong("Tag key", t.key, kMaxExperimentTagKeyLength);
  }
  if (t.value.size() > kMaxExperimentTagValueLength) {
    return TooLong("Tag value", t.value, kMaxExperimentTagValueLength);
  }
  return Status::Ok();
}

Status ValidateBatchLimits(size_t metrics, size_t params, size_t tags) {
  if (metrics > kMaxMetricsPerBatch) {
    return InvalidArgument(fmt::format(
        "A batch logging request can contain at most {} metrics. Got {} metrics. Please split "
        "up metrics across multiple requests and try again.",
        kMaxMetricsPerBatch, metrics));
  }
  if (params > kMaxParamsTagsPerBatch) {
    return InvalidArgument(fmt::format(
        "A batch logging request can contain at most {} params. Got {} params. Please split up "
        "params across multiple requests and try again.",
        kMaxParamsTagsPerBatch, params));
  }
  if (tags > kMaxParamsTagsPerBatch) {
    return InvalidArgument(fmt::format(
        "A batch logging request can contain at most {} tags. Got {} tags. Please split up tags "
        "across multiple requests and try again.",
        kMaxParamsTagsPerBatch, tags));
  }
  size_t total = metrics + params + tags;
  if (total > kMaxEntitiesPerBatch) {
    return InvalidArgument(fmt::format(
        "A batch logging request can contain at most {} total metrics, params and tags. Got {} "
        "in total.",
        kMaxEntitiesPerBatch, total));
  }
  return Status::Ok();
}

Status ValidateDatasetInput(const DatasetInput& in) {
  const Dataset& d = in.dataset;
  if (d.name.empty()) return InvalidArgument("Dataset name must be specified");
  if (d.digest.empty()) return InvalidArgument("Dataset digest must be specified");
  if (d.source_type.empty()) return InvalidArgument("Dataset source_type must be specified");
  if (d.source.empty()) return InvalidArgument("Dataset source must be specified");
  if (d.name.size() > 500) return TooLong("Dataset name", d.name, 500);
  if (d.digest.size() > 36) return TooLong("Dataset digest", d.digest, 36);
  if (d.source.size() > 65535) return TooLong("Dataset source", d.source, 65535);
  if (d.schema.size() > 1048575) return TooLong("Dataset schema", d.schema, 1048575);
  if (d.profile.size() > 16777215) return TooLong("Dataset profile", d.profile, 16777215);
  for (const auto& t : in.tags) {
    if (t.key.empty()) return InvalidArgument("Input tag key cannot be empty");
    if (t.key.size() > 255) return TooLong("Input tag key", t.key, 255);
    if (t.value.size() > 500) return TooLong("Input tag value", t.value, 500);
  }
  return Status::Ok();
}

Status ValidateWorkspaceName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && std::isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (!(std::islower(u) || std::isdigit(u) || c == '-' || c == '_')) ok = false;
  }
  if (!ok) {
    return InvalidArgument(fmt::format(
        "Invalid workspace name '{}': use 1 to 64 lowercase letters, digits, '-' or '_', "
        "starting with a letter or digit.",
        name.substr(0, 100)));
  }
  return Status::Ok();
}

}  // namespace mlws::tracking
