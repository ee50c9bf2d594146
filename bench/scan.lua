-- wrk script: scans with a distinct scan id each, one per request (POST /v1/scans) or
-- SIZE per request (POST /v1/scans/batch).
-- Usage: wrk -s bench/scan.lua URL -- TOKEN CODES_FILE RUN_ID [SIZE]
-- Each thread cycles through the catalogue's barcodes; ids are RUN_ID-thread-counter, so
-- no request is a retry of another. Prints p50/p90/p99/p99.9 (microseconds) and the
-- non-2xx count as one JSON line for the runner to parse. Counts are of requests; the
-- runner multiplies by SIZE (done() runs where init()'s arguments are not visible).

local thread_counter = 0
function setup(thread)
    thread_counter = thread_counter + 1
    thread:set("tid", thread_counter)
end

function init(args)
    token = args[1]
    run_id = args[3] or "run"
    size = tonumber(args[4] or "")
    codes = {}
    for line in io.lines(args[2]) do codes[#codes + 1] = line end
    counter = 0
    headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
end

local function scan()
    counter = counter + 1
    local code = codes[(counter * 7919 + tid * 104729) % #codes + 1]
    return string.format('{"id":"%s-%d-%d","code":"%s","qty":1,"reason":"sale","device":"wrk-%d"}',
        run_id, tid, counter, code, tid)
end

function request()
    if not size then
        return wrk.format("POST", "/v1/scans", headers, scan())
    end
    local scans = {}
    for i = 1, size do scans[i] = scan() end
    return wrk.format("POST", "/v1/scans/batch", headers, '{"scans":[' .. table.concat(scans, ",") .. ']}')
end

dofile("bench/result.lua")
