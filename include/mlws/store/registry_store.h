// RegistryStore: persistence of the model registry, scoped by workspace id.
// Thread-safe; writes durable on return. Errors: NotFound (unknown model, version or alias),
// AlreadyExists (duplicate name), Internal. Validation is the service's job.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mlws/assets/entities.h"
#include "mlws/common/status.h"
#include "mlws/tracking/search_filter.h"

namespace mlws::store {

struct RegistryQuery {
  std::int64_t workspace_id = 0;
  std::vector<tracking::Clause> filter;
  std::vector<tracking::OrderBy> order_by;
  std::int64_t offset = 0;
  std::int64_t limit = 100;  // the store returns up to limit+1 rows to tell whether more exist
};

class RegistryStore {
 public:
  virtual ~RegistryStore() = default;
  virtual StatusOr<assets::RegisteredModel> CreateRegisteredModel(
      std::int64_t ws, const std::string& name, const std::string& description,
      const std::vector<tracking::KeyValue>& tags) = 0;
  virtual StatusOr<assets::RegisteredModel> GetRegisteredModel(std::int64_t ws,
                                                               const std::string& name) = 0;
  virtual StatusOr<assets::RegisteredModel> RenameRegisteredModel(std::int64_t ws,
                                                                  const std::string& name,
                                                                  const std::string& new_name) = 0;
  virtual StatusOr<assets::RegisteredModel> UpdateRegisteredModel(
      std::int64_t ws, const std::string& name, const std::string& description) = 0;
  virtual Status DeleteRegisteredModel(std::int64_t ws, const std::string& name) = 0;
  virtual StatusOr<std::vector<assets::RegisteredModel>> SearchRegisteredModels(
      const RegistryQuery& q) = 0;
  virtual Status SetRegisteredModelTag(std::int64_t ws, const std::string& name,
                                       const tracking::KeyValue& tag) = 0;
  virtual Status DeleteRegisteredModelTag(std::int64_t ws, const std::string& name,
                                          const std::string& key) = 0;
  virtual Status SetAlias(std::int64_t ws, const std::string& name, const std::string& alias,
                          std::int64_t version) = 0;
  virtual Status DeleteAlias(std::int64_t ws, const std::string& name,
                             const std::string& alias) = 0;
  virtual StatusOr<assets::ModelVersion> GetVersionByAlias(std::int64_t ws, const std::string& name,
                                                           const std::string& alias) = 0;

  virtual StatusOr<assets::ModelVersion> CreateModelVersion(std::int64_t ws,
                                                            const assets::ModelVersion& v) = 0;
  virtual StatusOr<assets::ModelVersion> GetModelVersion(std::int64_t ws, const std::string& name,
                                                         std::int64_t version) = 0;
  virtual StatusOr<assets::ModelVersion> UpdateModelVersion(std::int64_t ws,
                                                            const std::string& name,
                                                            std::int64_t version,
                                                            const std::string& description) = 0;
  virtual Status DeleteModelVersion(std::int64_t ws, const std::string& name,
                                    std::int64_t version) = 0;
  // Moves the version to `stage`; with archive_existing, other versions in that stage become
  // Archived in the same transaction.
  virtual StatusOr<assets::ModelVersion> TransitionStage(std::int64_t ws, const std::string& name,
                                                         std::int64_t version,
                                                         const std::string& stage,
                                                         bool archive_existing) = 0;
  virtual StatusOr<std::vector<assets::ModelVersion>> SearchModelVersions(
      const RegistryQuery& q) = 0;
  virtual Status SetModelVersionTag(std::int64_t ws, const std::string& name, std::int64_t version,
                                    const tracking::KeyValue& tag) = 0;
  virtual Status DeleteModelVersionTag(std::int64_t ws, const std::string& name,
                                       std::int64_t version, const std::string& key) = 0;
};

}  // namespace mlws::store
