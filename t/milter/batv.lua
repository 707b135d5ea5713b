-- batv.lua - bounces (null sender) to our tagged addresses: a valid tag is
-- rewritten to the plain address; forged and expired tags are refused; an
-- untagged bounce is accepted with a header (untagged = "accept").
-- VALID, FORGED, EXPIRED: tagged addresses the test computed.
dofile(os.getenv("MILTER_LIB"))
run(function()
    local valid = os.getenv("VALID")
    local conn = open("192.0.2.10")
    must(mt.mailfrom(conn, "<>"), "mail")
    must(mt.rcptto(conn, "<" .. valid .. ">"), "rcpt")
    reply(conn, "valid tag", SMFIR_CONTINUE)
    must(mt.rcptto(conn, "<" .. os.getenv("FORGED") .. ">"), "rcpt")
    reply(conn, "forged tag: refused", SMFIR_REPLYCODE)
    must(mt.rcptto(conn, "<" .. os.getenv("EXPIRED") .. ">"), "rcpt")
    reply(conn, "expired tag: refused", SMFIR_REPLYCODE)
    must(mt.eom(conn), "eom")
    check(conn, "tagged recipient removed", MT_RCPTDELETE, "<" .. valid .. ">")
    check(conn, "plain recipient added", MT_RCPTADD, "<" .. os.getenv("PLAIN") .. ">")
    mt.disconnect(conn)

    conn = open("192.0.2.11")
    must(mt.mailfrom(conn, "<>"), "mail")
    must(mt.rcptto(conn, "<alice@ours.test>"), "rcpt")
    reply(conn, "untagged bounce: accepted", SMFIR_CONTINUE)
    must(mt.eom(conn), "eom")
    check(conn, "untagged bounce: said so", MT_HDRADD, "X-Destctl-Bounce",
          "not verified (no bounce address tag)")
    mt.disconnect(conn)
end)
