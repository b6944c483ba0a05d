"""The Bayesian sampler of mlws sweep jobs: Optuna's TPE sampler behind a JSON-lines protocol."""
