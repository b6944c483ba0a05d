-- wrk script: POST runs/log-metric with a JSON body (run id from the RUN_ID environment
-- variable), a new step on every request. Used by bench/front_door_bench.py.
local run_id = os.getenv("RUN_ID")
local step = 0
request = function()
  step = step + 1
  local body = string.format(
    '{"run_id":"%s","key":"loss","value":%d.5,"timestamp":1700000000000,"step":%d}',
    run_id, step % 1000, step)
  return wrk.format("POST", os.getenv("PREFIX") .. "/api/2.0/mlflow/runs/log-metric",
    {["Content-Type"] = "application/json"}, body)
end
