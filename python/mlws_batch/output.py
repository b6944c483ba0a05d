"""Rows of a batch job into output_file_name (CSV)."""
import csv
import os


def rows_of(result, files):
    """(header or None, rows) from what run() returned: a DataFrame, or a list of rows."""
    if hasattr(result, "columns") and hasattr(result, "itertuples"):  # a pandas DataFrame
        return [str(c) for c in result.columns], [list(r) for r in result.itertuples(index=False)]
    if result is None:
        return None, []
    if hasattr(result, "tolist"):
        result = result.tolist()
    if isinstance(result, (str, bytes, dict)) or not hasattr(result, "__iter__"):
        result = [result]
    rows = []
    for item in result:
        if hasattr(item, "tolist"):
            item = item.tolist()
        if isinstance(item, dict):
            rows.append(list(item.values()))
        elif isinstance(item, (list, tuple)):
            rows.append(list(item))
        else:
            rows.append([item])
    return None, rows


class Sink:
    """Appends rows as they come (mini-batches finish in any order); a header once, from the first
    DataFrame."""

    def __init__(self, path, enabled):
        self.rows = 0
        self.file = None
        self.header_done = False
        if enabled:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            self.file = open(path, "w", newline="")
            self.writer = csv.writer(self.file)

    def add(self, header, rows):
        if self.file is None:
            self.rows += len(rows)
            return
        if header and not self.header_done:
            self.writer.writerow(header)
        self.header_done = True
        self.writer.writerows(rows)
        self.rows += len(rows)

    def close(self):
        if self.file is not None:
            self.file.close()
