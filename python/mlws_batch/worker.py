"""A scoring worker process: init() once, then run(mini_batch) for each mini-batch it is sent."""
import importlib.util
import os
import sys
import traceback


class DriverModel:
    def __init__(self, driver):
        sys.path.insert(0, os.path.dirname(driver))
        spec = importlib.util.spec_from_file_location("batch_driver", driver)
        self.module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.module)
        if not hasattr(self.module, "run"):
            raise RuntimeError(f"{os.path.basename(driver)} defines no run(mini_batch) function")
        if hasattr(self.module, "init"):
            self.module.init()

    def run(self, files):
        return self.module.run(files)


def read_table(path):
    import pandas as pd

    ext = os.path.splitext(path)[1].lower()
    if ext in (".csv", ".txt"):
        return pd.read_csv(path)
    if ext in (".parquet", ".pq"):
        try:
            return pd.read_parquet(path)
        except ImportError as e:
            raise RuntimeError(f"reading {os.path.basename(path)} needs pyarrow in the scoring "
                               f"environment: {e}") from None
    raise ValueError(f"{os.path.basename(path)}: an MLflow model without a driver scores .csv "
                     f"and .parquet files only")


class MlflowModel:
    """No driver: the MLflow model's pyfunc, one file at a time; rows are (file, prediction)."""

    def __init__(self, model_dir):
        import mlflow.pyfunc

        self.model = mlflow.pyfunc.load_model(model_dir)

    def run(self, files):
        import pandas as pd

        frames = []
        for path in files:
            data = read_table(path)
            pred = self.model.predict(data)
            if hasattr(pred, "columns"):
                frame = pred.reset_index(drop=True)
            else:
                frame = pd.DataFrame({"prediction": list(getattr(pred, "tolist", lambda: pred)())})
            frame.insert(0, "file", os.path.basename(path))
            frames.append(frame)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def describe(e):
    return f"{type(e).__name__}: {e}"


def serve(conn, driver, model_dir):
    """Worker main: sends ("ready",) or ("init_failed", why), then answers each
    (batch, files) with ("ok", batch, header, rows) or ("error", batch, why)."""
    from mlws_batch import output

    try:
        model = DriverModel(driver) if driver else MlflowModel(model_dir)
    except BaseException as e:  # noqa: BLE001 - the user's init() may raise anything
        traceback.print_exc()
        sys.stdout.flush()
        conn.send(("init_failed", f"init() raised {describe(e)}" if driver
                   else f"loading the MLflow model failed: {describe(e)}"))
        return
    conn.send(("ready",))
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        batch, files = msg
        try:
            header, rows = output.rows_of(model.run(files), files)
            conn.send(("ok", batch, header, rows))
        except Exception as e:  # noqa: BLE001 - the user's run() may raise anything
            traceback.print_exc()
            sys.stdout.flush()
            conn.send(("error", batch, f"run() raised {describe(e)}"))
