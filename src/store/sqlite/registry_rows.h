// Row loaders shared by the registry store's files.
#pragma once

#include "mlws/assets/entities.h"
#include "store/sqlite/db.h"

namespace mlws::store::sqlite {

StatusOr<assets::ModelVersion> LoadModelVersion(Db& db, std::int64_t model, std::int64_t version);
StatusOr<assets::RegisteredModel> LoadRegisteredModel(Db& db, std::int64_t model);

}  // namespace mlws::store::sqlite
