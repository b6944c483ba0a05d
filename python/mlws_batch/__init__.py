"""mlws batch scoring runner: what a batch endpoint's job runs (docs/endpoints.md, "Batch").

    python3 -m mlws_batch --model DIR --input PATH --output DIR [--driver FILE]

with the deployment's settings as JSON in MLWS_BATCH_SETTINGS. It lists the input's files,
splits them into mini-batches of ``mini_batch_size`` files and scores them in
``instance_count x max_concurrency_per_instance`` worker processes. Each worker calls the
driver's ``init()`` once (``AZUREML_MODEL_DIR`` names a folder holding the model as ``model/``),
then ``run(mini_batch)`` with a list of file paths; ``run`` returns a list of rows or a pandas
DataFrame. Without a driver the model is an MLflow model scored through pyfunc, one CSV or parquet
file at a time. A mini-batch that raises or outlives ``retry_settings.timeout`` is tried again, at
most ``max_retries`` more times (a timed-out worker is killed and replaced); the files of a
mini-batch that never succeeded count as failed, and more than ``error_threshold`` of them
(-1 = no limit) fail the job. ``append_row`` writes every row to ``output_file_name``.
The standard library suffices unless the driver or the model needs more.
"""
