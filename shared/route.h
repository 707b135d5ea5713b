/*
 * route - explicit SMTP next hops as Postfix writes them: "[host]:port",
 * "[host]", "host:port" (host a domain name, or an IP address inside []).
 */
#ifndef DESTCTL_ROUTE_H
#define DESTCTL_ROUTE_H

#include <stddef.h>

/* route_check - 0 when text is a valid next hop, else -1 with why. */
extern int route_check(const char *text, char *why, size_t whysz);

#endif
