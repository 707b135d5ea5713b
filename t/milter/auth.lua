-- auth.lua - an authenticated client outside internal_networks is outbound;
-- so is a client of a daemon listed in outbound_daemons.
dofile(os.getenv("MILTER_LIB"))
run(function()
    local conn = open("192.0.2.8")
    must(mt.macro(conn, SMFIC_MAIL, "{auth_authen}", "alice"), "macro")
    must(mt.mailfrom(conn, "<alice@ours.test>"), "mail")
    must(mt.rcptto(conn, "<x@plain.test>"), "rcpt")
    reply(conn, "rcpt", SMFIR_CONTINUE)
    must(mt.eom(conn), "eom")
    check(conn, "authenticated: tagged", MT_HDRADD, "X-Destctl-Destination",
          "plain.test; profile=default; tls=preferred; dane=opportunistic; mta-sts=off; decision=may; service=destctl-base")
    mt.disconnect(conn)

    conn = open("192.0.2.9", { "{daemon_name}", "submission" })
    must(mt.mailfrom(conn, "<bob@ours.test>"), "mail")
    must(mt.rcptto(conn, "<x@plain.test>"), "rcpt")
    must(mt.eom(conn), "eom")
    check(conn, "outbound daemon: tagged", MT_HDRADD, "X-Destctl-Destination")
    mt.disconnect(conn)
end)
