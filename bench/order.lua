-- wrk script: customer orders of SIZE lines (default 5), a new external id each
-- (POST /v1/orders), placed against the node's own stock (run.sh loads the opening stock):
-- the rights check, the decision, the fold, the write and the fsync.
-- Usage: wrk -s bench/order.lua URL -- TOKEN CODES_FILE RUN_ID [SIZE]
-- CODES_FILE holds SKUs, one per line. Prints the same RESULT line as scan.lua.

-- The thread numbering (setup) and the RESULT line (done) are scan.lua's.
dofile("bench/scan.lua")

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
