-- fuzz.lua - random macro values, addresses and header sizes: the filter
-- answers every one and is still answering at the end.
dofile(os.getenv("MILTER_LIB"))
run(function()
    math.randomseed(tonumber(os.getenv("SEED") or "1"))
    local function junk(max)
        local n = math.random(0, max)  -- miltertest itself overflows past about 1000 bytes
        local t = {}
        for i = 1, n do t[i] = string.char(math.random(32, 126)) end
        return table.concat(t)
    end
    for round = 1, 60 do
        local conn = mt.connect(os.getenv("MILTER"), 40, 0.25)
        if conn == nil then fail("round " .. round .. ": cannot connect") end
        local addr = ({ "10.9.9.9", "192.0.2.1", "::1", "127.0.0.1" })[math.random(1, 4)]
        must(mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", junk(100), "{client_addr}", junk(80)), "macro")
        must(mt.conninfo(conn, junk(60), addr), "conninfo")
        must(mt.macro(conn, SMFIC_MAIL, "{auth_authen}", junk(100)), "macro")
        local from = ({ "<>", "<" .. junk(100) .. "@x.test>", junk(100) })[math.random(1, 3)]
        must(mt.mailfrom(conn, from), "mail")
        for r = 1, math.random(1, 4) do
            local rcpt = ({ "<" .. junk(60) .. "@" .. junk(60) .. ">", "<prvs=" .. junk(20) .. "=a@b.test>",
                            "<u@plain.test>", junk(100) })[math.random(1, 4)]
            must(mt.rcptto(conn, rcpt), "rcpt")
        end
        for h = 1, math.random(0, 5) do
            local name = ({ "X-Destctl-" .. junk(20), "Subject", "X-Destctl-Destination" })[math.random(1, 3)]
            must(mt.header(conn, name, junk(math.random(0, 1) == 1 and 900 or 200)), "header")
        end
        if math.random(1, 3) == 1 then mt.abort(conn) else must(mt.eom(conn), "eom") end
        mt.disconnect(conn, math.random(1, 2) == 1)
    end
    local conn = open("10.1.2.3")
    must(mt.mailfrom(conn, "<alice@ours.test>"), "mail")
    must(mt.rcptto(conn, "<u@plain.test>"), "rcpt")
    reply(conn, "still answering after the fuzz rounds", SMFIR_CONTINUE)
    mt.disconnect(conn)
end)
