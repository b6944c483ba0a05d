"""mlws scoring runtime: runs a deployment's score.py (or an MLflow model) behind a Unix socket.

The mlws server starts one process per online-deployment instance:

    python -m mlws_scoring --socket PATH (--script FILE | --mlflow-model DIR)

It calls ``init()`` once (``AZUREML_MODEL_DIR`` names the model's files), then listens on PATH.
The socket appears only after ``init()`` returned, so its existence means "ready". Frames are
length-prefixed (see protocol.py); no Python HTTP stack is involved.
"""
