-- refusal.lua - early refusal at RCPT for profiles that ask for it: DANE
-- mandatory without DANE (5xx), bogus DNSSEC (4xx); other recipients of the
-- same message go on; local submission is never refused, only tagged.
dofile(os.getenv("MILTER_LIB"))
run(function()
    local conn = open("10.1.2.4")
    must(mt.mailfrom(conn, "<alice@ours.test>"), "mail")
    must(mt.rcptto(conn, "<u@dnssec-notlsa.test>"), "rcpt")
    reply(conn, "DANE mandatory, no TLSA: refused", SMFIR_REPLYCODE)
    must(mt.rcptto(conn, "<u@bogus.test>"), "rcpt")
    reply(conn, "bogus DNSSEC: refused", SMFIR_REPLYCODE)
    must(mt.rcptto(conn, "<u@plain.test>"), "rcpt")
    reply(conn, "plain.test goes on", SMFIR_CONTINUE)
    mt.disconnect(conn)

    conn = open("127.0.0.1", { "{daemon_name}", "local" })
    must(mt.mailfrom(conn, "<root@ours.test>"), "mail")
    must(mt.rcptto(conn, "<u@dnssec-notlsa.test>"), "rcpt")
    reply(conn, "local submission: not refused", SMFIR_CONTINUE)
    must(mt.eom(conn), "eom")
    check(conn, "local submission: tagged", MT_HDRADD, "X-Destctl-Destination")
    mt.disconnect(conn)
end)
