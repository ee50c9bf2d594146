-- The one RESULT line every wrk script of the suite prints (bench/run.sh and bench/web.sh
-- parse it): request count, duration, latency percentiles in microseconds, and errors.
-- Loaded with dofile() by scan.lua, order.lua and page.lua (wrk runs from the repo root).
function done(summary, latency, requests)
    io.write(string.format(
        'RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"non2xx":%d,"socket_errors":%d}\n',
        summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
        latency:percentile(99.9), latency.max, summary.errors.status,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
