/*
 * route - validate explicit SMTP next hops; see route.h.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "route.h"

/* route_check_port - 1..65535, digits only */
static int route_check_port(const char *p)
{
    long    v = 0;

    if (*p == '\0' || strlen(p) > 5)
	return -1;
    for (; *p; p++) {
	if (*p < '0' || *p > '9')
	    return -1;
	v = v * 10 + (*p - '0');
    }
    return v >= 1 && v <= 65535 ? 0 : -1;
}

/* route_check - validate a next hop */
int     route_check(const char *text, char *why, size_t whysz)
{
    char    host[DOMAIN_MAX + 2], norm[DOMAIN_MAX + 1], reason[128];
    const char *port = NULL, *end;
    unsigned char addr[16];
    size_t  hlen;
    bool    bracketed = text[0] == '[';

    if (bracketed) {
	if ((end = strchr(text, ']')) == NULL) {
	    snprintf(why, whysz, "invalid route \"%s\": missing ']'", text);
	    return -1;
	}
	if (end[1] == ':')
	    port = end + 2;
	else if (end[1] != '\0') {
	    snprintf(why, whysz, "invalid route \"%s\": expected ':port' after ']'", text);
	    return -1;
	}
	hlen = (size_t) (end - text - 1);
	text++;
    } else {
	if ((end = strrchr(text, ':')) == NULL) {
	    snprintf(why, whysz, "invalid route \"%s\": expected [host]:port or "
		     "host:port", text);
	    return -1;
	}
	port = end + 1;
	hlen = (size_t) (end - text);
    }
    if (hlen == 0 || hlen > DOMAIN_MAX) {
	snprintf(why, whysz, "invalid route: bad host length");
	return -1;
    }
    memcpy(host, text, hlen);
    host[hlen] = '\0';
    if (port && route_check_port(port) < 0) {
	snprintf(why, whysz, "invalid route port \"%s\": expected 1..65535", port);
	return -1;
    }
    if (bracketed && (strncmp(host, "ipv6:", 5) == 0
			    ? inet_pton(AF_INET6, host + 5, addr) == 1
			    : inet_pton(AF_INET, host, addr) == 1))
	return 0;
    if (domain_normalize(host, norm, reason, sizeof(reason)) < 0) {
	snprintf(why, whysz, "invalid route host \"%s\": %s", host, reason);
	return -1;
    }
    return 0;
}
