"""No-code MLflow deployments: the request forms an MLflow pyfunc model accepts.

Azure's {"input_data": ...} (columns/index/data, or a list of rows, or a dict of columns) and
MLflow's {"dataframe_split": ...}, {"dataframe_records": ...}, {"instances": ...} and
{"inputs": ...}.
"""
import json

FORMS = ("input_data", "dataframe_split", "dataframe_records", "instances", "inputs")


def parse(raw, columns=None):
    import pandas as pd

    try:
        doc = json.loads(raw)
    except ValueError as e:
        raise ValueError(f"the request body is not JSON: {e}") from None
    if not isinstance(doc, dict):
        raise ValueError(f"the request must be a JSON object with one of {', '.join(FORMS)}")
    present = [k for k in FORMS if k in doc]
    if len(present) != 1:
        raise ValueError(f"the request must have exactly one of {', '.join(FORMS)}; "
                         f"got {sorted(doc)}")
    form = present[0]
    value = doc[form]
    if form == "dataframe_records":
        return pd.DataFrame.from_records(value)
    if form in ("dataframe_split", "input_data") and isinstance(value, dict) and "data" in value:
        return pd.DataFrame(data=value["data"], columns=value.get("columns"),
                            index=value.get("index"))
    if isinstance(value, dict):
        return pd.DataFrame(value)
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return pd.DataFrame.from_records(value)
        if columns and value and isinstance(value[0], list) and len(value[0]) == len(columns):
            return pd.DataFrame(value, columns=columns)
        return pd.DataFrame(value)
    raise ValueError(f"'{form}' must be an object or a list")
