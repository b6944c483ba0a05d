// The `type: slurm` compute: its extra spec fields, and where a job's Slurm job id is kept.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

#include "mlws/common/status.h"
#include "mlws/jobs/executor.h"
#include "mlws/jobs/job.h"

namespace mlws::jobs {

// The spec fields only a Slurm compute takes (partition, account, qos, gres, time_limit,
// max_nodes).
bool IsSlurmComputeField(const std::string& key);
// Validates them: a 400 naming the field for a bad value, or for a Slurm field on a compute of
// another type. On a Slurm compute, `max_nodes` sets max_instances (both may not disagree).
Status ValidateSlurmComputeFields(const nlohmann::json& spec, Compute& c);
// sbatch's options for `job` on Slurm compute `c`.
SlurmPlacement SlurmPlacementOf(const Compute& c, const Job& job);

// The Slurm job id recorded in a job's detail ({"slurm": {"job_id": N, "array_task": T}}), 0 if
// none; its task in a job array, -1 if none.
std::int64_t SlurmJobIdOf(const Job& job);
int SlurmArrayTaskOf(const Job& job);
void SetSlurmJobId(Job& job, std::int64_t id, int array_task = -1);

}  // namespace mlws::jobs
