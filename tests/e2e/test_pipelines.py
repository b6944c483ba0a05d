"""Pipeline jobs end to end through the CLI against a real server: the Azure ML example pipelines
run unmodified (the tests write the scripts their components call), bindings of every kind flow
data from step to step, the whole graph is validated before anything is created, failure with
and without continue_on_step_failure, cancel, reuse and what invalidates it."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import requests

from conftest import ML, MlwsServer, unique
from jobs_util import DATA, GATE, cli, get_job, jobs_url, ok, ok_json, open_gate, wait_status
from mlws_testkit import artifacts

PIPELINES = DATA / "jobs" / "pipelines-with-components" / "basics"
BASICS = DATA / "jobs" / "basics"
NEEDS_PYPI = os.environ.get("MLWS_SKIP_ENV_BUILD")

# Every script the example components call: prints its arguments, and writes into each output
# folder a trail.txt of the trails found in its input folders plus its own name, so a test sees
# which steps the data went through.
SCRIPT = r'''
import os, pathlib, sys
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
me = "__ME__"
print("running", me, " ".join(f"{k}={v}" for k, v in args.items()))
trail = ""
for k, v in args.items():
    p = pathlib.Path(v)
    if "output" not in k and p.is_dir() and (p / "trail.txt").exists():
        trail += (p / "trail.txt").read_text()
for k, v in args.items():
    if "output" in k:
        os.makedirs(v, exist_ok=True)
        pathlib.Path(v, "trail.txt").write_text(trail + me + "\n")
'''


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("mlws-pipelines")
    srv = MlwsServer(base / "home", log_dir=base,
                     env={"MLWS_JOB_KILL_GRACE_S": "2", "MLWS_LOCAL_SLOTS": "8"})
    srv.start()
    r = requests.post(f"{srv.url}/api/v1/workspaces/default/computes", timeout=10,
                      json={"name": "cpu-cluster", "type": "amlcompute", "max_instances": 4})
    assert r.status_code in (200, 201), r.text
    yield srv
    assert srv.stop() == 0, srv.stderr()


def datastore(server):
    """Workspace default's workspaceblobstore: a folder, or its prefix in the test bucket."""
    return artifacts.artifact_root(server.home) / "1" / "datastores" / "workspaceblobstore"


def copy_example(name: str, dest: Path) -> Path:
    shutil.copytree(PIPELINES / name, dest / name)
    folder = dest / name
    for comp in folder.glob("*.yml"):
        text = comp.read_text()
        code_line = re.search(r"^code:\s*(\S+)", text, re.M)  # not `my_vscode:` and the like
        script_word = re.search(r"python (\S+)", text)
        if not code_line or not script_word:
            continue
        code, script = code_line.group(1), script_word.group(1)
        (folder / code).mkdir(parents=True, exist_ok=True)
        (folder / code / script).write_text(SCRIPT.replace("__ME__", f"{code.strip('./')}/{script}"))
    return folder


def run_pipeline(server, spec: Path, *extra: str, expect: str = "Completed") -> dict:
    proc = cli(server.url, "-o", "json", "job", "create", "-f", str(spec), "--stream", *extra,
               timeout=900)
    job = ok_json(proc) if expect == "Completed" else __import__("json").loads(proc.stdout)
    assert job["status"] == expect, (job, proc.stderr)
    return job


def trail(server, job: dict, step: str, output: str, dest: Path) -> str:
    child = job["steps"][step]["job"]
    ok(cli(server.url, "job", "download", child, "--download-path", str(dest),
           "--output-name", output))
    return (dest / "named-outputs" / output / "trail.txt").read_text()


def run_of(server, run_id: str) -> dict:
    r = requests.get(f"{server.url}{ML}/runs/get", params={"run_id": run_id}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["run"]


def tags(run: dict) -> dict:
    return {t["key"]: t["value"] for t in run["data"].get("tags", [])}


# ---------------------------------------------------------------------------------------------
# the Azure ML examples, unmodified


@pytest.mark.parametrize("example,steps", [
    ("2a_basic_component", ["hello_python_world_job"]),
    ("2b_component_with_input_output", ["hello_python_world_job"]),
    ("3a_basic_pipeline", ["component_a", "component_b", "component_c"]),
    ("3b_pipeline_with_data", ["component_a", "component_b", "component_c"]),
])
def test_component_examples_run_unmodified(server, tmp_path, example, steps):
    folder = copy_example(example, tmp_path)
    job = run_pipeline(server, folder / "pipeline.yml")
    assert sorted(job["steps"]) == sorted(steps)
    for step in steps:
        st = job["steps"][step]
        assert st["status"] == "Completed", st
        child = get_job(server.url, st["job"])
        # Each step is a job whose run nests under the pipeline's run.
        assert tags(run_of(server, child["run_id"]))["mlflow.parentRunId"] == job["run_id"]
    assert run_of(server, job["run_id"])["info"]["status"] == "FINISHED"
    if example == "3b_pipeline_with_data":
        assert trail(server, job, "component_c", "component_c_output", tmp_path / "dl") == \
            "componentA_src/hello.py\ncomponentB_src/hello.py\ncomponentC_src/hello.py\n"
        assert job["outputs"]["final_pipeline_output"]["from"] == "component_c.component_c_output"


def test_stream_prefixes_step_lines_and_download_all(server, tmp_path):
    folder = copy_example("3b_pipeline_with_data", tmp_path)
    proc = cli(server.url, "job", "create", "-f", str(folder / "pipeline.yml"), "--stream",
               "--set", "settings.force_rerun=true")
    out = ok(proc)
    assert "[component_a] running componentA_src/hello.py" in out
    assert "[component_c] running componentC_src/hello.py" in out
    assert "Execution summary" in out and "Completed" in out
    name = out.split("RunId: ")[1].split()[0]
    shown = ok(cli(server.url, "job", "show", name))
    assert "STEP" in shown and "DURATION" in shown and "REUSED FROM" in shown
    for step in ("component_a", "component_b", "component_c"):
        assert step in shown
    dest = tmp_path / "all"
    ok(cli(server.url, "job", "download", name, "--all", "--download-path", str(dest)))
    assert (dest / "component_c" / "named-outputs" / "component_c_output" / "trail.txt").exists()
    assert (dest / "component_a" / "artifacts" / "user_logs" / "std_log.txt").exists()


def test_datastore_uri_example(server, tmp_path):
    folder = copy_example("4b_datastore_datapath_uri", tmp_path)
    src = datastore(server) / "azureml" / "4b_datastore_datapath_uri"
    src.mkdir(parents=True, exist_ok=True)
    (src / "hello-world.txt").write_text("hello world\n")
    job = run_pipeline(server, folder / "pipeline.yml")
    assert job["steps"]["component_file"]["status"] == "Completed"
    assert job["steps"]["component_file"]["depends_on"] == ["component_folder"]
    assert job["edges"] == [{"from": "component_folder", "output": "sample_output_data",
                             "to": "component_file", "input": "placeholder"}]
    # The pipeline output's path is where component_folder's output landed.
    assert job["outputs"]["pipeline_sample_output_data"]["uri"] == \
        "azureml://datastores/workspaceblobstore/paths/azureml/4b_datastore_datapath_uri"


def test_data_asset_example(server, tmp_path):
    folder = copy_example("4d_data_input", tmp_path)
    ok(cli(server.url, "data", "create", "-f", str(folder / "data.yml")))
    job = run_pipeline(server, folder / "pipeline.yml")
    child = get_job(server.url, job["steps"]["python_world_step"]["job"])
    assert child["inputs"]["sample_input_data"]["asset"].startswith("azureml:local-folder-example")
    assert child["inputs"]["sample_input_string"]["value"] == "Pipeline_World"


@pytest.mark.skipif(bool(NEEDS_PYPI), reason="MLWS_SKIP_ENV_BUILD: the environments need PyPI")
@pytest.mark.parametrize("example", ["5b_env_registered", "5c_env_conda_file"])
def test_environment_examples(server, tmp_path, example):
    folder = copy_example(example, tmp_path)
    run_pipeline(server, folder / "pipeline.yml")


@pytest.mark.skipif(bool(NEEDS_PYPI), reason="MLWS_SKIP_ENV_BUILD: sklearn-1.5 needs PyPI")
def test_registered_components_example(server, tmp_path):
    folder = copy_example("1b_e2e_registered_components", tmp_path)
    for comp in ("train", "score", "eval"):
        ok(cli(server.url, "component", "create", "-f", str(folder / f"{comp}.yml")))
    job = run_pipeline(server, folder / "pipeline.yml")
    assert job["steps"]["train_job"]["component"].startswith("azureml:my_train:")
    assert trail(server, job, "evaluate_job", "eval_output", tmp_path / "dl") == \
        "train_src/train.py\nscore_src/score.py\neval_src/eval.py\n"


@pytest.mark.skipif(bool(NEEDS_PYPI), reason="MLWS_SKIP_ENV_BUILD: sklearn-1.5 needs PyPI")
@pytest.mark.parametrize("example", [
    "hello-pipeline.yml", "hello-pipeline-io.yml", "hello-pipeline-settings.yml",
    "hello-pipeline-customize-output-folder.yml", "hello-pipeline-customize-output-file.yml"])
def test_hello_pipeline_examples(server, tmp_path, example):
    shutil.copy(BASICS / example, tmp_path / example)
    proc = cli(server.url, "job", "create", "-f", str(tmp_path / example), "--stream",
               timeout=900)
    out = ok(proc)
    if example == "hello-pipeline-io.yml":
        assert "[world_job] world" in out


# ---------------------------------------------------------------------------------------------
# bindings, validation


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_bindings_of_every_kind(server, tmp_path):
    asset = unique("pipeout").replace("-", "_")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.txt").write_text("r1\nr2\n")
    write(tmp_path / "comp.yml", """
type: command
name: counter
version: 1
inputs:
  rows: {type: uri_folder}
  times: {type: integer, default: 2}
  scale: {type: number}
  flag: {type: boolean, optional: true}
outputs:
  counted: {type: uri_folder}
environment: {image: python}
command: >-
  echo times=${{inputs.times}} scale=${{inputs.scale}} $[[flag=${{inputs.flag}}]] &&
  wc -l < ${{inputs.rows}}/rows.txt > ${{outputs.counted}}/n.txt
""")
    spec = write(tmp_path / "p.yml", f"""
type: pipeline
inputs:
  rows: {{type: uri_folder, path: ./data}}
  scale: "1.5"
outputs:
  final: {{name: {asset}, version: "7"}}
settings: {{default_compute: azureml:cpu-cluster, force_rerun: true}}
jobs:
  count:
    component: ./comp.yml
    inputs:
      rows: ${{{{parent.inputs.rows}}}}
      scale: ${{{{parent.inputs.scale}}}}
  report:
    command: cat ${{{{inputs.n}}}}/n.txt > ${{{{outputs.out}}}}/report.txt
    environment: {{image: python}}
    inputs:
      n: ${{{{parent.jobs.count.outputs.counted}}}}
    outputs:
      out: ${{{{parent.outputs.final}}}}
""")
    job = run_pipeline(server, spec)
    count = get_job(server.url, job["steps"]["count"]["job"])
    # Defaults, coercion ("1.5" to a number) and a dropped optional block.
    assert count["resolved_command"].startswith("echo times=2 scale=1.5  &&"), count
    assert count["compute"] == "cpu-cluster"
    report = get_job(server.url, job["steps"]["report"]["job"])
    assert report["inputs"]["n"]["uri"] == count["outputs"]["counted"]["uri"]
    # The pipeline output is registered as the named data asset.
    assert job["outputs"]["final"]["asset"] == f"azureml:{asset}:7"
    data = ok_json(cli(server.url, "-o", "json", "data", "show", asset,
                       "--version", "7"))
    assert data["name"] == asset


BAD = [
    ("unknown step",
     "jobs:\n  b:\n    command: cat ${{inputs.i}}\n    inputs:\n"
     "      i: ${{parent.jobs.nope.outputs.o}}\n", 400, ["jobs.b.inputs.i", "unknown step 'nope'"]),
    ("unknown output",
     "jobs:\n  a:\n    command: echo\n  b:\n    command: cat ${{inputs.i}}\n    inputs:\n"
     "      i: ${{parent.jobs.a.outputs.o}}\n", 400, ["jobs.b.inputs.i", "no output 'o'"]),
    ("cycle",
     "jobs:\n  a:\n    command: cat ${{inputs.i}} > ${{outputs.o}}/x\n    inputs:\n"
     "      i: ${{parent.jobs.b.outputs.o}}\n    outputs:\n      o:\n"
     "  b:\n    command: cat ${{inputs.i}} > ${{outputs.o}}/x\n    inputs:\n"
     "      i: ${{parent.jobs.a.outputs.o}}\n    outputs:\n      o:\n", 400, ["cycle", "a, b"]),
    ("unbound required input",
     "jobs:\n  a:\n    component:\n      command: echo ${{inputs.n}}\n      environment: {image: x}\n"
     "      inputs:\n        n: {type: integer}\n", 400, ["jobs.a.inputs.n", "required"]),
    ("mistyped literal",
     "jobs:\n  a:\n    component:\n      command: echo ${{inputs.n}}\n      environment: {image: x}\n"
     "      inputs:\n        n: {type: integer}\n    inputs:\n      n: abc\n", 400,
     ["jobs.a.inputs.n", "integer"]),
    ("data into a literal",
     "jobs:\n  a:\n    command: echo > ${{outputs.o}}/x\n    outputs:\n      o:\n"
     "  b:\n    component:\n      command: echo ${{inputs.n}}\n      environment: {image: x}\n"
     "      inputs:\n        n: {type: integer}\n    inputs:\n"
     "      n: ${{parent.jobs.a.outputs.o}}\n", 400, ["jobs.b.inputs.n", "gives data"]),
    ("out of range",
     "jobs:\n  a:\n    component:\n      command: echo ${{inputs.n}}\n      environment: {image: x}\n"
     "      inputs:\n        n: {type: integer, max: 5}\n    inputs:\n      n: 6\n", 400,
     ["jobs.a.inputs.n", "max 5"]),
    ("missing component",
     "jobs:\n  a:\n    component: azureml:no_such_component:1\n", 404,
     ["jobs.a.component"]),
    ("unknown parent input",
     "jobs:\n  a:\n    command: echo ${{inputs.x}}\n    inputs:\n      x: ${{parent.inputs.y}}\n",
     400, ["jobs.a.inputs.x", "no pipeline input"]),
    ("missing compute",
     "jobs:\n  a:\n    command: echo\n    compute: azureml:no-such-cluster\n", 400,
     ["jobs.a.compute", "no-such-cluster"]),
    ("missing data",
     "jobs:\n  a:\n    command: ls ${{inputs.d}}\n    inputs:\n"
     "      d: {type: uri_folder, path: azureml:no_such_data:1}\n", 404, ["jobs.a.inputs.d"]),
    ("output path not on a datastore",
     "jobs:\n  a:\n    command: echo > ${{outputs.o}}/x\n    outputs:\n      o: {path: ./here}\n",
     400, ["jobs.a", "Output 'o'", "datastore URI"]),
    ("output on an unknown datastore",
     "jobs:\n  a:\n    command: echo > ${{outputs.o}}/x\n    outputs:\n"
     "      o: {path: 'azureml://datastores/nostore/paths/x'}\n", 404,
     ["jobs.a.outputs.o", "nostore"]),
    ("unknown default datastore",
     "settings:\n  default_datastore: azureml:nostore\n"
     "jobs:\n  a:\n    command: echo > ${{outputs.o}}/x\n    outputs:\n      o:\n", 404,
     ["settings.default_datastore", "nostore"]),
    ("empty", "jobs: {}\n", 400, ["needs 'jobs'"]),
    ("unknown field", "jobz: {}\njobs:\n  a:\n    command: echo\n", 400, ["jobz"]),
]


@pytest.mark.parametrize("what,body,status,parts", BAD, ids=[b[0] for b in BAD])
def test_bad_pipelines_are_refused_before_anything_is_created(server, tmp_path, what, body,
                                                              status, parts):
    before = requests.get(jobs_url(server.url), timeout=10).json()["value"]
    runs_before = requests.post(f"{server.url}{ML}/runs/search", timeout=10,
                                json={"experiment_ids": ["0"], "max_results": 1000}).json()
    spec = write(tmp_path / "bad.yml", "type: pipeline\nexperiment_name: Default\n" + body)
    proc = cli(server.url, "job", "create", "-f", str(spec))
    assert proc.returncode == 1
    for p in parts:
        assert p in proc.stderr, proc.stderr
    assert requests.get(jobs_url(server.url), timeout=10).json()["value"] == before
    runs_after = requests.post(f"{server.url}{ML}/runs/search", timeout=10,
                               json={"experiment_ids": ["0"], "max_results": 1000}).json()
    assert len(runs_after.get("runs", [])) == len(runs_before.get("runs", []))
    r = requests.post(jobs_url(server.url), timeout=10,
                      json=__import__("yaml").safe_load(spec.read_text()))
    assert r.status_code == status, r.text


# ---------------------------------------------------------------------------------------------
# failure, cancel


def failing(cont: bool) -> dict:
    return {"type": "pipeline",
            "settings": {"continue_on_step_failure": cont, "force_rerun": True},
            "jobs": {"bad": {"command": "echo broken && exit 3", "outputs": {"o": None}},
                     "after_bad": {"command": "cat ${{inputs.i}}",
                                   "inputs": {"i": "${{parent.jobs.bad.outputs.o}}"}},
                     "slow": {"command": GATE, "outputs": {"o": None}},
                     "after_slow": {"command": "echo after_slow ran",
                                    "inputs": {"i": "${{parent.jobs.slow.outputs.o}}"}}}}


# cont=True: the "slow" step leaves its output folder empty and "after_slow" still reads it (on
# a blob store, MLWS_TEST_ARTIFACTS=s3, the empty folder is kept by a marker object).
@pytest.mark.parametrize("cont", [False, True])
def test_failure_with_and_without_continue_on_step_failure(server, cont):
    r = requests.post(jobs_url(server.url), json=failing(cont), timeout=30)
    assert r.status_code == 201, r.text
    job = r.json()
    slow = wait_step(server, job["name"], "slow", ("Running", "Canceled"))
    if cont:
        # The failure does not stop the independent branch: it completes once its gate opens.
        wait_step(server, job["name"], "bad", ("Failed",))
        open_gate(server.url, get_job(server.url, slow["job"]))
    done = wait_status(server.url, job["name"], ("Failed",), timeout=120)
    steps = done["steps"]
    assert steps["bad"]["status"] == "Failed"
    assert steps["after_bad"]["status"] == "Skipped" and "bad" in steps["after_bad"]["reason"]
    if cont:
        assert steps["slow"]["status"] == "Completed"
        assert steps["after_slow"]["status"] == "Completed", str(steps["after_slow"])
    else:
        assert steps["slow"]["status"] == "Canceled"
        assert steps["after_slow"]["status"] == "Canceled"
        assert steps["after_slow"]["job"] is None
    assert "Step 'bad' failed" in done["error"]
    assert run_of(server, done["run_id"])["info"]["status"] == "FAILED"


def wait_step(server, name: str, step: str, statuses, timeout: float = 60) -> dict:
    import time
    deadline = time.monotonic() + timeout
    while True:
        st = get_job(server.url, name)["steps"][step]
        if st["status"] in statuses:
            return st
        assert time.monotonic() < deadline, st
        time.sleep(0.05)


def gated_chain(name: str) -> dict:
    return {"type": "pipeline", "name": name, "settings": {"force_rerun": True},
            "jobs": {"first": {"command": GATE + " && echo x > ${{outputs.o}}/x",
                               "outputs": {"o": None}},
                     "second": {"command": "cat ${{inputs.i}}/x",
                                "inputs": {"i": "${{parent.jobs.first.outputs.o}}"}}}}


def test_cancel_stops_every_running_step(server):
    name = unique("pipecancel").replace("-", "_")
    r = requests.post(jobs_url(server.url), json=gated_chain(name), timeout=30)
    assert r.status_code == 201, r.text
    first = wait_step(server, name, "first", ("Running",))
    ok(cli(server.url, "job", "cancel", name))
    done = wait_status(server.url, name, ("Canceled",), timeout=60)
    assert done["steps"]["first"]["status"] == "Canceled"
    assert get_job(server.url, first["job"])["status"] == "Canceled"
    assert done["steps"]["second"]["status"] == "Canceled"
    assert done["steps"]["second"]["job"] is None


def test_restart_mid_pipeline_readopts_it(tmp_path):
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path, env={"MLWS_JOB_KILL_GRACE_S": "2"})
    srv.start()
    try:
        name = "piperestart"
        r = requests.post(jobs_url(srv.url), json=gated_chain(name), timeout=30)
        assert r.status_code == 201, r.text
        first = wait_step(srv, name, "first", ("Running",))
        assert srv.stop() == 0, srv.stderr()
        srv.start()
        assert get_job(srv.url, name)["status"] == "Running"
        open_gate(srv.url, get_job(srv.url, first["job"]))
        done = wait_status(srv.url, name, ("Completed",), timeout=60)
        assert done["steps"]["second"]["status"] == "Completed"
    finally:
        srv.stop()


# ---------------------------------------------------------------------------------------------
# reuse


def test_reuse_and_what_invalidates_it(server, tmp_path):
    data = datastore(server) / "reuse-data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "in.txt").write_text("one\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "run.sh").write_text("cat \"$1\"/in.txt > \"$2\"/out.txt\necho \"$3\"\n")
    exp = unique("reuse")

    def spec(word="a", env="python", force=False, step_force=False, mode="rw_mount"):
        return write(tmp_path / "p.yml", f"""
type: pipeline
experiment_name: {exp}
settings: {{force_rerun: {str(force).lower()}}}
jobs:
  step:
    component:
      command: bash run.sh ${{{{inputs.d}}}} ${{{{outputs.o}}}} ${{{{inputs.word}}}}
      code: ./src
      environment: {{image: {env}}}
      inputs: {{d: {{type: uri_folder}}, word: {{type: string}}}}
      outputs: {{o: {{type: uri_folder}}}}
    environment_variables: {{E: "1"}}
    force_rerun: {str(step_force).lower()}
    outputs: {{o: {{mode: {mode}}}}}
    inputs:
      d: {{type: uri_folder, path: azureml://datastores/workspaceblobstore/paths/reuse-data}}
      word: {word}
""")

    def reused(job):
        return job["steps"]["step"]["reused_from"]

    first = run_pipeline(server, spec())
    assert reused(first) is None
    again = run_pipeline(server, spec())
    assert reused(again) == first["steps"]["step"]["job"]
    child = get_job(server.url, again["steps"]["step"]["job"])
    assert child["status"] == "Completed" and child["reused_from"] == reused(again)
    assert tags(run_of(server, child["run_id"]))["mlws.reused_from"] == reused(again)
    shown = ok(cli(server.url, "job", "show", again["name"]))
    assert reused(again) in shown
    # Each change invalidates: a literal, the environment, the code, the data's content.
    assert reused(run_pipeline(server, spec(word="b"))) is None
    assert reused(run_pipeline(server, spec(env="python:3.11"))) is None
    (tmp_path / "src" / "run.sh").write_text("cat \"$1\"/in.txt > \"$2\"/out.txt\necho v2\n")
    assert reused(run_pipeline(server, spec())) is None
    (data / "in.txt").write_text("two\n")  # same datastore path, new content
    assert reused(run_pipeline(server, spec())) is None
    assert reused(run_pipeline(server, spec())) is not None
    assert reused(run_pipeline(server, spec(force=True))) is None
    assert reused(run_pipeline(server, spec(step_force=True))) is None
    assert reused(run_pipeline(server, spec(mode="upload"))) is None  # output settings count
    assert reused(run_pipeline(server, spec(mode="upload"))) is not None


def test_uri_file_output_is_written_as_the_named_file(server, tmp_path):
    # hello-pipeline-customize-output-file.yml with the host interpreter instead of sklearn-1.5.
    text = (BASICS / "hello-pipeline-customize-output-file.yml").read_text().replace(
        "environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
        "environment: {image: python}")
    job = run_pipeline(server, write(tmp_path / "p.yml", text))
    child = job["steps"]["hello_world"]["job"]
    ok(cli(server.url, "job", "download", child, "--download-path", str(tmp_path / "dl")))
    assert (tmp_path / "dl" / "named-outputs" / "output" / "hello_world.txt").read_text() == \
        "world\n"
    # The output's path: ${{name}} is the step's job.
    assert (datastore(server) / child / "hello_world.txt").read_text() == "world\n"
    assert job["outputs"]["output"]["uri"] == \
        f"azureml://datastores/workspaceblobstore/paths/{child}/hello_world.txt"


# ---------------------------------------------------------------------------------------------
# outputs: `path:` on a datastore is where an output lands (upload and rw_mount), name/version
# register it there, and uri_file outputs and inputs are files

DS = "azureml://datastores/workspaceblobstore/paths"


def test_outputs_land_on_their_datastore_path_and_uri_files_are_files(server):
    name = unique("pipeout").replace("-", "_")
    asset = name + "_greeting"
    spec = {
        "type": "pipeline", "name": name,
        "outputs": {"report": {"type": "uri_file", "mode": "rw_mount",
                               "path": DS + "/${{name}}/report.txt"}},
        "jobs": {
            "make": {
                "command": "echo hello > ${{outputs.folder}}/a.txt && "
                           "echo world > ${{outputs.greeting}}",
                "outputs": {
                    "folder": {"type": "uri_folder", "mode": "upload",
                               "path": f"{DS}/custom/{name}/folder/"},
                    "greeting": {"type": "uri_file", "name": asset, "version": "3",
                                 "path": f"{DS}/custom/{name}/greeting.txt"},
                    "plain": {"type": "uri_file"}}},
            "use": {
                "component": {
                    "command": "cat ${{inputs.folder}}/a.txt ${{inputs.greeting}} > "
                               "${{outputs.report}} && basename ${{inputs.greeting}} >> "
                               "${{outputs.report}}",
                    "inputs": {"folder": {"type": "uri_folder"},
                               "greeting": {"type": "uri_file"}},
                    "outputs": {"report": {"type": "uri_file"}}},
                "inputs": {"folder": "${{parent.jobs.make.outputs.folder}}",
                           "greeting": "${{parent.jobs.make.outputs.greeting}}"},
                "outputs": {"report": "${{parent.outputs.report}}"}}}}
    # plain: a uri_file output without a path (its URI below still names the file).
    spec["jobs"]["make"]["command"] += " && echo x > ${{outputs.plain}}"
    r = requests.post(jobs_url(server.url), json=spec, timeout=30)
    assert r.status_code == 201, r.text
    done = wait_status(server.url, name, ("Completed", "Failed"), timeout=120)
    assert done["status"] == "Completed", done
    store = datastore(server)
    assert (store / "custom" / name / "folder" / "a.txt").read_text() == "hello\n"
    assert (store / "custom" / name / "greeting.txt").read_text() == "world\n"
    # ${{name}} is the step's job; the next step read the file as greeting.txt.
    assert (store / f"{name}--use" / "report.txt").read_text() == \
        "hello\nworld\ngreeting.txt\n"
    make = done["steps"]["make"]["outputs"]
    assert make["folder"]["uri"] == f"{DS}/custom/{name}/folder"
    assert make["greeting"]["uri"] == f"{DS}/custom/{name}/greeting.txt"
    # Without a path a uri_file output's URI still names its file.
    assert make["plain"]["uri"] == f"{DS}/azureml/{name}--make/plain/plain"
    assert done["outputs"]["report"]["uri"] == f"{DS}/{name}--use/report.txt"
    use = get_job(server.url, done["steps"]["use"]["job"])
    assert use["inputs"]["greeting"]["uri"] == make["greeting"]["uri"]
    data = ok_json(cli(server.url, "-o", "json", "data", "show", asset, "--version", "3"))
    assert data["type"] == "uri_file" and data["path"] == make["greeting"]["uri"]


def test_unwritten_uri_file_output_fails_the_step(server):
    name = unique("pipenofile").replace("-", "_")
    r = requests.post(jobs_url(server.url), timeout=30, json={
        "type": "pipeline", "name": name,
        "jobs": {"a": {"command": "true", "outputs": {"f": {"type": "uri_file"}}}}})
    assert r.status_code == 201, r.text
    done = wait_status(server.url, name, ("Completed", "Failed"), timeout=120)
    assert done["status"] == "Failed"
    assert "Output 'f' could not be published" in done["steps"]["a"]["reason"]


def test_outputs_without_a_path_land_on_the_default_datastore(server):
    name = unique("pipeds").replace("-", "_")
    root = Path(server.home) / "datastores" / name
    root.mkdir(parents=True)
    r = requests.post(f"{server.url}/api/v1/workspaces/default/datastores", timeout=10,
                      json={"name": name, "type": "local", "path": str(root)})
    assert r.status_code in (200, 201), r.text
    ds = f"azureml://datastores/{name}/paths"
    r = requests.post(jobs_url(server.url), timeout=30, json={
        "type": "pipeline", "name": name,
        "settings": {"default_datastore": f"azureml:{name}", "force_rerun": True},
        "jobs": {
            "make": {"command": "echo hi > ${{outputs.folder}}/a.txt && echo f > ${{outputs.f}}"
                                " && echo c > ${{outputs.custom}}/c.txt",
                     "outputs": {"folder": {"type": "uri_folder"}, "f": {"type": "uri_file"},
                                 "custom": {"path": "azureml://datastores/${{default_datastore}}"
                                                    "/paths/custom/${{name}}"}}},
            "use": {"command": "cat ${{inputs.d}}/a.txt > ${{outputs.o}}/b.txt",
                    "inputs": {"d": "${{parent.jobs.make.outputs.folder}}"},
                    "outputs": {"o": None}}}})
    assert r.status_code == 201, r.text
    done = wait_status(server.url, name, ("Completed", "Failed"), timeout=120)
    assert done["status"] == "Completed", done
    make = done["steps"]["make"]["outputs"]
    assert make["folder"]["uri"] == f"{ds}/azureml/{name}--make/folder"
    assert make["f"]["uri"] == f"{ds}/azureml/{name}--make/f/f"
    assert make["custom"]["uri"] == f"{ds}/custom/{name}--make"
    assert done["steps"]["use"]["outputs"]["o"]["uri"] == f"{ds}/azureml/{name}--use/o"
    assert (root / "azureml" / f"{name}--make" / "folder" / "a.txt").read_text() == "hi\n"
    assert (root / "azureml" / f"{name}--make" / "f" / "f").read_text() == "f\n"
    assert (root / "custom" / f"{name}--make" / "c.txt").read_text() == "c\n"
    assert (root / "azureml" / f"{name}--use" / "o" / "b.txt").read_text() == "hi\n"
    # Nothing of it went to the workspace's default datastore.
    assert not (datastore(server) / "azureml" / f"{name}--make").exists()


# ---------------------------------------------------------------------------------------------
# a fan-in step with many inputs (more than the scheduler binds one by one into the sandbox)

def test_fan_in_step_reads_many_inputs_read_only(server):
    name = unique("pipefanin").replace("-", "_")
    n = 40
    jobs = {f"f{i}": {"command": f"echo {i} > ${{{{outputs.o}}}}/v.txt", "outputs": {"o": None}}
            for i in range(n)}
    cat = " ".join(f"${{{{inputs.i{i}}}}}/v.txt" for i in range(n))
    jobs["join"] = {
        "command": f"cat {cat} > ${{{{outputs.all}}}}/all.txt && "
                   "{ (echo x > ${{inputs.i0}}/v.txt) 2>/dev/null && echo writable || "
                   "echo read-only; } > ${{outputs.all}}/mode.txt",
        "inputs": {f"i{i}": f"${{{{parent.jobs.f{i}.outputs.o}}}}" for i in range(n)},
        "outputs": {"all": None}}
    r = requests.post(jobs_url(server.url), timeout=30,
                      json={"type": "pipeline", "name": name, "jobs": jobs,
                            "settings": {"force_rerun": True}})
    assert r.status_code == 201, r.text
    done = wait_status(server.url, name, ("Completed", "Failed"), timeout=120)
    assert done["status"] == "Completed", done
    out = datastore(server) / "azureml" / f"{name}--join" / "all"
    assert (out / "all.txt").read_text() == "".join(f"{i}\n" for i in range(n))
    assert (out / "mode.txt").read_text() == "read-only\n"
    # The inputs were hard-linked into the step's own folder (one read-only bind), not copied,
    # and the original was not changed.
    linked = Path(server.home) / "jobs" / "1" / f"{name}--join" / "inputs" / "i0" / "v.txt"
    assert artifacts.on_s3() or linked.stat().st_nlink >= 2  # from a bucket they are copies
    assert (datastore(server) / "azureml" / f"{name}--f0" / "o" / "v.txt").read_text() == "0\n"
