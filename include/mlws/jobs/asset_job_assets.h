// JobAssets on the assets subsystem: data/model inputs and job code through
// assets::AssetService, environments built by assets::EnvironmentBuilder, named outputs copied to
// the default datastore (azureml/<job>/<output>) and registered as data or model assets.
#pragma once

#include <memory>

#include "mlws/assets/asset_service.h"
#include "mlws/assets/environment_builder.h"
#include "mlws/jobs/job_assets.h"

namespace mlws::jobs {

// Both services must outlive the returned object.
std::unique_ptr<JobAssets> NewAssetJobAssets(assets::AssetService& assets,
                                             assets::EnvironmentBuilder& environments);

}  // namespace mlws::jobs
