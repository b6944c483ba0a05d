"""Entry point of a scoring instance (see __init__.py)."""
import argparse
import importlib.util
import json
import os
import socket
import sys
import threading
import traceback

from mlws_scoring import protocol


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def to_json(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if hasattr(value, "to_dict") and hasattr(value, "columns"):  # a DataFrame
        value = value.to_dict(orient="records")
    elif hasattr(value, "tolist"):  # numpy arrays and scalars, pandas Series
        value = value.tolist()
    return json.dumps(value, default=str).encode()


class ScriptModel:
    def __init__(self, script):
        sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
        spec = importlib.util.spec_from_file_location("score", script)
        self.module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.module)
        if not hasattr(self.module, "run"):
            raise RuntimeError(f"{script} defines no run(raw_data) function")
        if hasattr(self.module, "init"):
            self.module.init()

    def run(self, raw):
        return self.module.run(raw)


class MlflowModel:
    def __init__(self, model_dir):
        import mlflow.pyfunc

        self.model = mlflow.pyfunc.load_model(model_dir)
        self.columns = None
        schema = self.model.metadata.get_input_schema()
        if schema is not None and schema.has_input_names():
            self.columns = schema.input_names()

    def run(self, raw):
        from mlws_scoring import mlflow_inputs

        frame = mlflow_inputs.parse(raw, self.columns)
        return self.model.predict(frame)


def serve_connection(conn, model):
    reader = protocol.FrameReader(conn)
    with conn:
        while True:
            try:
                req = reader.read_request()
            except OSError:
                return
            if req is None:
                return
            kind, rid, body = req
            if kind == b"P":
                protocol.write_response(conn, 200, b'{"status":"healthy"}')
                continue
            try:
                raw = body.decode("utf-8")
                out = to_json(model.run(raw))
                status = 200
            except Exception as e:  # noqa: BLE001 - the user's run() may raise anything
                log(f"request {rid}: run() raised {type(e).__name__}: {e}\n"
                    + traceback.format_exc())
                out = json.dumps({"error_code": "SCORING_ERROR",
                                  "message": f"run() raised {type(e).__name__}: {e}"}).encode()
                status = 500
            else:
                log(f"request {rid}: 200")
            try:
                protocol.write_response(conn, status, out)
            except OSError:
                return


def bind_unix(sock, path):
    """bind() to a socket path of any length: a path longer than AF_UNIX's 108 bytes (a deep
    --home) is reached through its folder's descriptor, as the server connects to it."""
    if len(os.fsencode(path)) < 108:
        sock.bind(path)
        return
    folder = os.open(os.path.dirname(path) or ".", os.O_PATH | os.O_DIRECTORY)
    try:
        sock.bind(f"/proc/self/fd/{folder}/{os.path.basename(path)}")
    finally:
        os.close(folder)


def main(argv=None):
    p = argparse.ArgumentParser(prog="mlws_scoring")
    p.add_argument("--socket", required=True)
    p.add_argument("--script")
    p.add_argument("--mlflow-model")
    a = p.parse_args(argv)
    log(f"mlws scoring instance: pid {os.getpid()}, model dir {os.environ.get('AZUREML_MODEL_DIR')}")
    try:
        model = ScriptModel(a.script) if a.script else MlflowModel(a.mlflow_model)
    except Exception as e:  # noqa: BLE001
        log(f"init() failed: {type(e).__name__}: {e}\n" + traceback.format_exc())
        return 3
    tmp = a.socket + ".tmp"
    if os.path.exists(tmp):
        os.unlink(tmp)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    bind_unix(srv, tmp)
    srv.listen(128)
    os.rename(tmp, a.socket)  # the socket's appearance means: init() done, ready
    log("ready")
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve_connection, args=(conn, model), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
