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

dofile("bench/result.lua")
