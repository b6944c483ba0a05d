"""Entry point of a batch scoring job (see __init__.py)."""
import argparse
import json
import logging
import os
import sys

from mlws_batch import output, pool

LOG = logging.getLogger("mlws_batch")

DEFAULTS = {
    "instance_count": 1,
    "max_concurrency_per_instance": 1,
    "mini_batch_size": 10,
    "output_action": "append_row",
    "output_file_name": "predictions.csv",
    "max_retries": 3,
    "timeout_s": 30,
    "error_threshold": -1,
    "logging_level": "info",
}


def list_files(path):
    if os.path.isfile(path):
        return [path]
    out = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for f in sorted(files):
            if not f.startswith("."):
                out.append(os.path.join(root, f))
    return out


def model_dir(model):
    """AZUREML_MODEL_DIR: a folder holding the model as model/ (Azure's layout)."""
    base = os.path.abspath(".mlws_model_dir")
    os.makedirs(base, exist_ok=True)
    link = os.path.join(base, "model")
    if not os.path.lexists(link):
        os.symlink(os.path.abspath(model), link)
    return base


def main(argv=None):
    p = argparse.ArgumentParser(prog="mlws_batch")
    p.add_argument("--model", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--driver")
    a = p.parse_args(argv)
    settings = dict(DEFAULTS)
    settings.update(json.loads(os.environ.get("MLWS_BATCH_SETTINGS", "{}")))
    logging.basicConfig(level=getattr(logging, settings["logging_level"].upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stdout)
    os.environ["AZUREML_MODEL_DIR"] = model_dir(a.model)
    files = list_files(a.input)
    if not files:
        LOG.error("the input %s holds no files: nothing to score", a.input)
        return 2
    size = settings["mini_batch_size"]
    batches = [files[i:i + size] for i in range(0, len(files), size)]
    workers = max(1, settings["instance_count"] * settings["max_concurrency_per_instance"])
    workers = min(workers, len(batches))
    LOG.info("scoring %d files in %d mini-batches of up to %d files with %d workers "
             "(%s; tries per mini-batch: %d, timeout %d s, error_threshold %d)",
             len(files), len(batches), size, workers, a.driver or "MLflow model, no driver",
             1 + settings["max_retries"], settings["timeout_s"], settings["error_threshold"])
    driver = os.path.abspath(a.driver) if a.driver else None
    sink = output.Sink(os.path.join(a.output, settings["output_file_name"]),
                       settings["output_action"] == "append_row")
    try:
        result = pool.run_all(batches, workers, driver, a.model, settings, sink)
    finally:
        sink.close()
    LOG.info("done: %d of %d files scored, %d failed, %d rows written", result.scored_files,
             len(files), result.failed_files, sink.rows)
    if result.fatal:
        LOG.error("%s", result.fatal)
        print(f"mlws_batch: {result.fatal}", file=sys.stderr, flush=True)
        return 1
    if settings["output_action"] == "summary_only":
        LOG.info("output_action summary_only: no %s written", settings["output_file_name"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
