// Bayesian sampling for sweep jobs: Optuna's TPE sampler, through its ask/tell interface, in a
// helper process (`python -m mlws_sweep`, python/mlws_sweep/) that speaks JSON lines over its
// stdin/stdout. One helper per sweep; it is killed when the sampler is destroyed (the sweep
// ended) and exits by itself when the server goes away (its stdin closes).
//
// Every Azure distribution maps to an Optuna distribution (docs/sweeps.md, "Bayesian"); the
// helper returns both the trial's values and its internal point, which State() hands to the
// controller so a restarted server replays the study.
//
// A BayesianSampler is used by one thread at a time (the sweep controller's).
#pragma once

#include <memory>
#include <string>

#include "mlws/common/status.h"
#include "mlws/jobs/sweep_spec.h"

namespace mlws::jobs {

struct BayesianOptions {
  std::string python;       // an interpreter with optuna ("" = MLWS_SWEEP_PYTHON, see below)
  std::string python_path;  // the folder holding mlws_sweep/ (PYTHONPATH)
  int timeout_ms = 60000;   // per answer (importing optuna on a loaded box takes seconds)
};

// The interpreter: options.python, else $MLWS_SWEEP_PYTHON, else <python_path>/../.venv-optuna
// when it exists (a source tree after scripts/venv.sh), else python3.
std::string BayesianPython(const BayesianOptions& options);

// Starts the helper and its study. TemporarilyUnavailable (naming the interpreter and
// MLWS_SWEEP_PYTHON) when it cannot start or optuna is missing.
StatusOr<std::unique_ptr<Sampler>> StartBayesianSampler(const SweepSpec& spec,
                                                        const BayesianOptions& options);

}  // namespace mlws::jobs
