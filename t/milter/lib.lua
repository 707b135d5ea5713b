-- lib.lua - what the milter scripts share. miltertest exits 1 on error()
-- without saying why, so every failure is echoed first ("FAIL: ...").

function fail(msg)
    error(msg, 0)
end

-- run(body): run the test body; any error is echoed, then fails the script
function run(body)
    local ok, err = pcall(body)
    if not ok then
        mt.echo("FAIL: " .. tostring(err))
        error(err, 0)
    end
end

local unpack = table.unpack or unpack

-- must(r, what): a miltertest call returned nil (success)
function must(r, what)
    if r ~= nil then fail(what .. ": " .. tostring(r)) end
end

-- reply(conn, what, want): the filter's last reply is want (an SMFIR_ constant)
function reply(conn, what, want)
    local got = mt.getreply(conn)
    if got ~= want then
        fail(what .. ": reply " .. string.char(got) .. ", want " .. string.char(want))
    end
end

-- open(addr, macros): a connection from addr, with connect-time macros
function open(addr, macros)
    local conn = mt.connect(os.getenv("MILTER"), 40, 0.25)
    if conn == nil then fail("cannot connect to " .. os.getenv("MILTER")) end
    must(mt.macro(conn, SMFIC_CONNECT, "{client_addr}", addr, unpack(macros or {})), "macro")
    must(mt.conninfo(conn, "client.test", addr), "conninfo")
    reply(conn, "connect", SMFIR_CONTINUE)
    return conn
end

-- check(conn, op, ...): an end-of-message action happened
function check(conn, what, op, ...)
    if not mt.eom_check(conn, op, ...) then fail(what) end
end

-- refused(conn, rcpt, code, dsn, text): RCPT refused with that reply
function refused(conn, rcpt, want, code, dsn, text)
    must(mt.rcptto(conn, rcpt), "rcpt " .. rcpt)
    reply(conn, "rcpt " .. rcpt, want)
end
