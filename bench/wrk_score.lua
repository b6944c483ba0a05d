-- wrk script: POST a fixed scoring body (BODY), with AUTH as the Authorization header when set.
-- Used by bench/serving_bench.py.
local body = os.getenv("BODY")
local auth = os.getenv("AUTH")
local headers = {["Content-Type"] = "application/json"}
if auth ~= nil and auth ~= "" then headers["Authorization"] = auth end
request = function()
  return wrk.format("POST", nil, headers, body)
end
