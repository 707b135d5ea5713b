/*
 * control - the root-only control socket's requests ("status -",
 * "flush DOMAIN", "flush -" for everything, "reload -", "ack-cache -" to
 * acknowledge a lost MTA-STS cache), and the reload
 * that SIGHUP asks for: reload the configuration, then tell lookup to log
 * every decision anew.
 */
#ifndef DESTCTL_CONTROL_H
#define DESTCTL_CONTROL_H

#include "server.h"

struct agent;

/* control_handle - sm_handler for the control socket; ctx is the agent. */
extern void control_handle(void *ctx, struct sm_request *req, const char *cmd,
			           const char *arg);

/* control_reload - agent_reload(), and lookup forgets on success; 0 when
 * the new configuration is in force. */
extern int control_reload(struct agent *a, char *why, size_t whysz);

#endif
