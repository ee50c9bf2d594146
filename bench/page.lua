-- wrk script: GETs dashboard pages with a signed-in session's cookie, cycling through
-- PATHS (separated by |). Prints the same RESULT line as scan.lua.
-- Usage: wrk -s bench/page.lua URL -- COOKIE PATHS
function init(args)
    headers = { ["Cookie"] = args[1], ["Accept"] = "text/html" }
    paths = {}
    for path in string.gmatch(args[2], "[^|]+") do paths[#paths + 1] = path end
    counter = 0
end

function request()
    counter = counter + 1
    return wrk.format("GET", paths[(counter % #paths) + 1], headers)
end

function done(summary, latency, requests)
    io.write(string.format(
        'RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"non2xx":%d,"socket_errors":%d}\n',
        summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
        latency:percentile(99.9), latency.max, summary.errors.status,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
