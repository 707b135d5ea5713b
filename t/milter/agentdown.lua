-- agentdown.lua - the agent cannot be reached: milter.on_agent_error decides
-- (MILTER_ON_ERROR says which one this filter runs with).
dofile(os.getenv("MILTER_LIB"))
run(function()
    local mode = os.getenv("MILTER_ON_ERROR")
    local conn = open("10.1.2.5")
    must(mt.mailfrom(conn, "<alice@ours.test>"), "mail")
    must(mt.rcptto(conn, "<u@plain.test>"), "rcpt")
    if mode == "tempfail" then
        reply(conn, "agent down, tempfail: a 4xx reply", SMFIR_REPLYCODE)
    else
        reply(conn, "agent down, accept", SMFIR_CONTINUE)
        must(mt.eom(conn), "eom")
        check(conn, "agent down, accept: decision=unknown", MT_HDRADD, "X-Destctl-Destination",
              "plain.test; profile=unknown; tls=unknown; dane=unknown; mta-sts=off; decision=unknown")
    end
    mt.disconnect(conn)
end)
