-- wrk script for the MLflow tracking rows of bench/run_bench.py (wrk_rows.py). The row comes
-- from the ROW environment variable; every server gets the same request bodies.
--   log_batch   RUN_IDS (one per wrk thread, comma-separated), KEYS x STEPS metrics per request;
--               every request advances the steps, so no server sees a duplicate point
--   log_metric  RUN_IDS
--   create_run  EXP_ID
--   search      EXP_ID, FILTER, ORDER_BY (one key), MAX_RESULTS
--   history     RUN_ID, KEY (GET metrics/get-history, the whole history)
-- PREFIX is prepended to /api/2.0/mlflow. done() prints one JSON line (BENCH_JSON ...).
local row = os.getenv("ROW")
local prefix = os.getenv("PREFIX") or ""
local api = prefix .. "/api/2.0/mlflow"
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function split(s)
  local out = {}
  for part in string.gmatch(s or "", "[^,]+") do table.insert(out, part) end
  return out
end

local headers = {["Content-Type"] = "application/json"}
local run_id, keys, steps, step, body, path
local n = 0

function init(args)
  local ids = split(os.getenv("RUN_IDS"))
  if #ids > 0 then run_id = ids[(tid % #ids) + 1] end
  keys = tonumber(os.getenv("KEYS") or "10")
  steps = tonumber(os.getenv("STEPS") or "100")
  step = tid * 1000000000  -- threads never share a step
  if row == "create_run" then
    body = string.format('{"experiment_id":"%s","start_time":1700000000000}', os.getenv("EXP_ID"))
  elseif row == "search" then
    body = string.format(
      '{"experiment_ids":["%s"],"filter":"%s","order_by":["%s"],"max_results":%s}',
      os.getenv("EXP_ID"), os.getenv("FILTER"), os.getenv("ORDER_BY"), os.getenv("MAX_RESULTS"))
  elseif row == "history" then
    path = string.format("%s/metrics/get-history?run_id=%s&metric_key=%s", api,
                         os.getenv("RUN_ID"), os.getenv("KEY"))
  end
end

local function log_batch_body()
  local parts = {}
  local ts = 1700000000000 + step
  for k = 1, keys do
    for s = 1, steps do
      parts[#parts + 1] = string.format('{"key":"m%d","value":%d.25,"timestamp":%d,"step":%d}',
                                        k, (s * 7 + k) % 1000, ts + s, step + s)
    end
  end
  step = step + steps
  return string.format('{"run_id":"%s","metrics":[%s]}', run_id, table.concat(parts, ","))
end

function request()
  if row == "log_batch" then
    return wrk.format("POST", api .. "/runs/log-batch", headers, log_batch_body())
  elseif row == "log_metric" then
    step = step + 1
    return wrk.format("POST", api .. "/runs/log-metric", headers, string.format(
      '{"run_id":"%s","key":"loss","value":%d.5,"timestamp":%d,"step":%d}',
      run_id, step % 1000, 1700000000000 + step, step))
  elseif row == "create_run" then
    return wrk.format("POST", api .. "/runs/create", headers, body)
  elseif row == "search" then
    return wrk.format("POST", api .. "/runs/search", headers, body)
  elseif row == "history" then
    return wrk.format("GET", path)
  end
end

bad = 0  -- global: done() reads it from every thread
function response(status, hdrs, resp_body)
  if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local non200 = 0
  for _, t in ipairs(threads) do non200 = non200 + (t:get("bad") or 0) end
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"non_200":%d,"socket_errors":%d,' ..
    '"timeouts":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, non200,
    summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout, latency:percentile(50), latency:percentile(99), latency.mean))
end
