"""The worker pool of a batch job: dispatch, per-try timeout, retries, the error threshold."""
import logging
import multiprocessing
import time
from multiprocessing.connection import wait

from mlws_batch import worker

LOG = logging.getLogger("mlws_batch")


class Result:
    def __init__(self):
        self.failed_files = 0
        self.scored_files = 0
        self.fatal = None


class Worker:
    def __init__(self, ctx, driver, model_dir):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=worker.serve, args=(child, driver, model_dir), daemon=True)
        self.proc.start()
        child.close()
        self.ready = False
        self.task = None  # (batch index, try number, deadline)

    def stop(self):
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()


def run_all(batches, n_workers, driver, model_dir, settings, sink):
    ctx = multiprocessing.get_context("fork")
    tries = 1 + settings["max_retries"]
    timeout = settings["timeout_s"]
    threshold = settings["error_threshold"]
    pending = [(i, 1) for i in range(len(batches))]
    done = 0
    result = Result()
    workers = [Worker(ctx, driver, model_dir) for _ in range(n_workers)]

    def failed_try(w, why):
        nonlocal done
        i, n, _ = w.task
        w.task = None
        if n < tries:
            LOG.warning("mini-batch %d (%d files), try %d of %d: %s; trying again", i + 1,
                        len(batches[i]), n, tries, why)
            pending.append((i, n + 1))
            return
        done += 1
        result.failed_files += len(batches[i])
        LOG.error("mini-batch %d failed after %d tries (%s): %d files failed: %s", i + 1, n, why,
                  len(batches[i]), ", ".join(batches[i]))
        if 0 <= threshold < result.failed_files:
            result.fatal = (f"{result.failed_files} files failed, more than error_threshold "
                            f"{threshold}; the job stopped")

    try:
        while done < len(batches) and result.fatal is None:
            for w in workers:
                if w.ready and w.task is None and pending:
                    i, n = pending.pop(0)
                    w.task = (i, n, time.monotonic() + timeout)
                    LOG.debug("mini-batch %d, try %d: %s", i + 1, n, batches[i])
                    w.conn.send((i, batches[i]))
            deadlines = [w.task[2] for w in workers if w.task]
            wait_s = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            for conn in wait([w.conn for w in workers], wait_s):
                w = next(x for x in workers if x.conn is conn)
                try:
                    msg = conn.recv()
                except (EOFError, OSError):
                    w.proc.join(5)
                    why = f"the worker process ended (exit code {w.proc.exitcode})"
                    if w.task:
                        failed_try(w, why)
                    elif not w.ready:
                        result.fatal = f"a worker ended before init() returned ({why})"
                    workers[workers.index(w)] = Worker(ctx, driver, model_dir)
                    w.stop()
                    continue
                if msg[0] == "ready":
                    w.ready = True
                elif msg[0] == "init_failed":
                    result.fatal = msg[1]
                elif msg[0] == "ok":
                    _, i, header, rows = msg
                    w.task = None
                    done += 1
                    result.scored_files += len(batches[i])
                    sink.add(header, rows)
                    LOG.info("mini-batch %d of %d: %d files, %d rows", i + 1, len(batches),
                             len(batches[i]), len(rows))
                elif msg[0] == "error":
                    failed_try(w, msg[2])
            now = time.monotonic()
            for idx, w in enumerate(workers):
                if w.task and w.task[2] <= now:
                    failed_try(w, f"timed out after {timeout} s (retry_settings.timeout)")
                    w.stop()
                    workers[idx] = Worker(ctx, driver, model_dir)
    finally:
        for w in workers:
            try:
                w.conn.send(None)
            except (OSError, ValueError):
                pass
            w.stop()
    return result
