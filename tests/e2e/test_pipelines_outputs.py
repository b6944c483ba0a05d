"""Pipeline outputs end to end: `path:` on a datastore is where an output lands (upload and
rw_mount), `name`/`version` register it as a data asset at that place, and uri_file outputs and
inputs are files (the URI names the file, the next step sees it under its own name)."""

from __future__ import annotations

import pytest
import requests

from conftest import MlwsServer, unique
from jobs_util import cli, get_job, jobs_url, ok_json, wait_status

DS = "azureml://datastores/workspaceblobstore/paths"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    base = tmp_path_factory.mktemp("mlws-pipeline-outputs")
    server = MlwsServer(base / "home", log_dir=base)
    server.start()
    yield server
    assert server.stop() == 0, server.stderr()


def test_outputs_land_on_their_datastore_path_and_uri_files_are_files(srv):
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
    # A uri_file output the command does not write fails its step, naming the output.
    spec["jobs"]["make"]["command"] += " && echo x > ${{outputs.plain}}"
    r = requests.post(jobs_url(srv.url), json=spec, timeout=30)
    assert r.status_code == 201, r.text
    done = wait_status(srv.url, name, ("Completed", "Failed"), timeout=120)
    assert done["status"] == "Completed", done
    store = srv.home / "artifacts" / "1" / "datastores" / "workspaceblobstore"
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
    use = get_job(srv.url, done["steps"]["use"]["job"])
    assert use["inputs"]["greeting"]["uri"] == make["greeting"]["uri"]
    data = ok_json(cli(srv.url, "-o", "json", "data", "show", asset, "--version", "3"))
    assert data["type"] == "uri_file" and data["path"] == make["greeting"]["uri"]


def test_unwritten_uri_file_output_fails_the_step(srv):
    name = unique("pipenofile").replace("-", "_")
    r = requests.post(jobs_url(srv.url), timeout=30, json={
        "type": "pipeline", "name": name,
        "jobs": {"a": {"command": "true", "outputs": {"f": {"type": "uri_file"}}}}})
    assert r.status_code == 201, r.text
    done = wait_status(srv.url, name, ("Completed", "Failed"), timeout=120)
    assert done["status"] == "Failed"
    assert "Output 'f' could not be published" in done["steps"]["a"]["reason"]
