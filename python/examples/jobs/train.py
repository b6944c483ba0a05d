"""Example job script: logs metrics through the MLflow REST API (stdlib only, via mlws_log) and
writes a model folder to the named output given as --model_output.

    command: python train.py --lr ${{inputs.lr}} --model_output ${{outputs.model}}
"""

import argparse
import json
import os

import mlws_log

p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.1)
p.add_argument("--epochs", type=int, default=5)
p.add_argument("--model_output", required=True)
a = p.parse_args()

loss = 1.0
for epoch in range(a.epochs):
    loss *= 1 - a.lr
    mlws_log.log_metric("loss", loss, step=epoch)
    print(f"epoch {epoch}: loss {loss:.4f}", flush=True)
mlws_log.log_metrics({"final_loss": loss})

os.makedirs(a.model_output, exist_ok=True)
with open(os.path.join(a.model_output, "model.json"), "w") as f:
    json.dump({"lr": a.lr, "loss": loss}, f)
os.makedirs("outputs", exist_ok=True)
with open("outputs/summary.txt", "w") as f:
    f.write(f"final loss {loss}\n")
