-- wrk script: customer orders of SIZE lines (default 5), a new external id each
-- (POST /v1/orders), placed against the node's own stock (run.sh loads the opening stock):
-- the rights check, the decision, the fold, the write and the fsync.
-- Usage: wrk -s bench/order.lua URL -- TOKEN CODES_FILE RUN_ID [SIZE]
-- CODES_FILE holds SKUs, one per line. Prints the same RESULT line as scan.lua.

local thread_counter = 0
function setup(thread)
    thread_counter = thread_counter + 1
    thread:set("tid", thread_counter)
end

function init(args)
    token = args[1]
    run_id = args[3] or "run"
    size = tonumber(args[4] or "") or 5
    skus = {}
    for line in io.lines(args[2]) do skus[#skus + 1] = line end
    counter = 0
    headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
end

function request()
    counter = counter + 1
    local lines = {}
    for i = 1, size do
        local sku = skus[((counter * size + i) * 7919 + tid * 104729) % #skus + 1]
        lines[i] = string.format('{"sku":"%s","qty":%d}', sku, 1 + (counter + i) % 3)
    end
    local body = string.format('{"source":"bench","external_id":"%s-%d-%d","lines":[%s]}',
        run_id, tid, counter, table.concat(lines, ","))
    return wrk.format("POST", "/v1/orders", headers, body)
end

function done(summary, latency, requests)
    io.write(string.format(
        'RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"non2xx":%d,"socket_errors":%d}\n',
        summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
        latency:percentile(99.9), latency.max, summary.errors.status,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
