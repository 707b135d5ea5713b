-- outbound.lua - an internal client's message: one X-Destctl-Destination
-- header per distinct recipient domain, spoofed tags removed.
-- Environment: MILTER (socket), as miltertest passes it through os.getenv.
dofile(os.getenv("MILTER_LIB"))
run(function()
local conn = open("10.1.2.3")
must(mt.mailfrom(conn, "<alice@ours.test>"), "mail")
reply(conn, "mail", SMFIR_CONTINUE)
for _, r in ipairs({ "<a@dane-valid.test>", "<b@plain.test>", "<c@PLAIN.test>" }) do
    must(mt.rcptto(conn, r), "rcpt")
    reply(conn, "rcpt " .. r, SMFIR_CONTINUE)
end
must(mt.header(conn, "Subject", "hello"), "header")
must(mt.header(conn, "X-Destctl-Destination", "spoofed.test; decision=none"), "header")
must(mt.header(conn, "x-destctl-whatever", "spoofed"), "header")
must(mt.eom(conn), "eom")
reply(conn, "eom", SMFIR_CONTINUE)
check(conn, "spoofed X-Destctl-Destination removed", MT_HDRDELETE, "X-Destctl-Destination")
check(conn, "spoofed x-destctl-whatever removed", MT_HDRDELETE, "x-destctl-whatever")
local want1 = "dane-valid.test; profile=dane-valid.test; tls=preferred; dane=opportunistic; mta-sts=off; decision=dane; service=destctl-base"
local want2 = "plain.test; profile=default; tls=preferred; dane=opportunistic; mta-sts=off; decision=may; service=destctl-base"
check(conn, "header for dane-valid.test: got " .. tostring(mt.getheader(conn, "X-Destctl-Destination", 0)),
      MT_HDRADD, "X-Destctl-Destination", want1)
check(conn, "header for plain.test: got " .. tostring(mt.getheader(conn, "X-Destctl-Destination", 1)),
      MT_HDRADD, "X-Destctl-Destination", want2)
if mt.getheader(conn, "X-Destctl-Destination", 2) ~= nil then fail("a third header: one per distinct domain") end
mt.disconnect(conn)
end)
