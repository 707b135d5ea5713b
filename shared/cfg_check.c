/*
 * cfg_check - the value checks of configuration keys (listen endpoints,
 * networks, addresses, facility, proxy); the key table in cfg.c names them.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_impl.h"
#include "log.h"
#include "sockmap.h"

/* cfg_check_nonempty - any non-empty string */
int     cfg_check_nonempty(const char *v, char *why, size_t whysz)
{
    if (*v == '\0') {
	snprintf(why, whysz, "empty value");
	return -1;
    }
    return 0;
}

/* cfg_check_port - 1..65535 */
static bool cfg_port_ok(const char *p)
{
    char   *end;
    long    v;

    if (*p < '0' || *p > '9')
	return false;
    v = strtol(p, &end, 10);
    return *end == '\0' && v >= 1 && v <= 65535;
}

/* cfg_check_endpoint - inet:HOST:PORT or unix:PATH, as the clients parse it */
int     cfg_check_endpoint(const char *v, char *why, size_t whysz)
{
    char   *path, *host, *port, reason[200];
    int     rc = sockmap_endpoint_parse(v, &path, &host, &port, reason, sizeof(reason));

    free(path);
    free(host);
    free(port);
    if (rc < 0)
	snprintf(why, whysz, "invalid endpoint \"%s\": %s", v, reason);
    return rc;
}

/* cfg_check_socket_mode - an octal mode for a socket, never world-writable */
int     cfg_check_socket_mode(const char *v, char *why, size_t whysz)
{
    char   *end;
    long    mode = strtol(v, &end, 8);

    if (*v != '0' || *end || end == v || mode < 0 || mode > 0777) {
	snprintf(why, whysz, "invalid mode \"%s\": expected an octal mode such as "
		 "0660", v);
	return -1;
    }
    if (mode & 0007) {
	snprintf(why, whysz, "mode %s gives others access: a socket that anyone "
		 "can reach lets anyone ask or refuse mail (use 0660 or 0600)", v);
	return -1;
    }
    return 0;
}

/* cfg_check_milter_socket - libmilter's socket syntax */
int     cfg_check_milter_socket(const char *v, char *why, size_t whysz)
{
    const char *at;

    if ((strncmp(v, "unix:", 5) == 0 && v[5]) || (strncmp(v, "local:", 6) == 0 && v[6]))
	return 0;
    if ((strncmp(v, "inet:", 5) == 0 || strncmp(v, "inet6:", 6) == 0)) {
	const char *port = strchr(v, ':') + 1;
	char    buf[8];

	at = strchr(port, '@');
	if (at == NULL && cfg_port_ok(port))
	    return 0;
	if (at && (size_t) (at - port) < sizeof(buf) && at[1]) {
	    memcpy(buf, port, (size_t) (at - port));
	    buf[at - port] = '\0';
	    if (cfg_port_ok(buf))
		return 0;
	}
    }
    snprintf(why, whysz, "invalid milter socket \"%s\": expected inet:PORT@HOST, "
	     "inet6:PORT@HOST or unix:PATH", v);
    return -1;
}

/*
 * cfg_ip_part - the IP address before separator sep in v (all of v when sep is
 * absent). Returns AF_INET or AF_INET6, or 0 when it is not an address; *rest
 * points at the separator, or NULL.
 */
static int cfg_ip_part(const char *v, int sep, const char **rest)
{
    char    addr[INET6_ADDRSTRLEN + 1];
    unsigned char bin[16];
    size_t  len;
    int     family;

    *rest = strchr(v, sep);
    len = *rest ? (size_t) (*rest - v) : strlen(v);
    if (len == 0 || len >= sizeof(addr))
	return 0;
    memcpy(addr, v, len);
    addr[len] = '\0';
    family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    return inet_pton(family, addr, bin) == 1 ? family : 0;
}

/* cfg_check_cidr - address/len, IPv4 or IPv6 */
int     cfg_check_cidr(const char *v, char *why, size_t whysz)
{
    const char *slash;
    int     family = cfg_ip_part(v, '/', &slash);
    char   *end;
    long    bits;

    if (family && slash == NULL)
	return 0;
    if (family && slash[1] >= '0' && slash[1] <= '9') {
	bits = strtol(slash + 1, &end, 10);
	if (*end == '\0' && bits <= (family == AF_INET6 ? 128 : 32))
	    return 0;
    }
    snprintf(why, whysz, "invalid network \"%s\": expected ADDRESS/BITS, "
	     "IPv4 or IPv6", v);
    return -1;
}

/* cfg_check_address - an IP address, optionally @port */
int     cfg_check_address(const char *v, char *why, size_t whysz)
{
    const char *at;

    if (cfg_ip_part(v, '@', &at) && (at == NULL || cfg_port_ok(at + 1)))
	return 0;
    snprintf(why, whysz, "invalid resolver address \"%s\": expected an IP "
	     "address, optionally @PORT", v);
    return -1;
}

/* cfg_check_facility - a syslog facility name */
int     cfg_check_facility(const char *v, char *why, size_t whysz)
{
    if (log_facility_code(v) >= 0)
	return 0;
    snprintf(why, whysz, "invalid value \"%s\": expected one of %s", v,
	     log_facility_names());
    return -1;
}

/* cfg_check_proxy - empty, or http(s)://ADDRESS:PORT: a proxy given by name
 * would be looked up with the system resolver, which the agent never uses */
int     cfg_check_proxy(const char *v, char *why, size_t whysz)
{
    const char *host = strncmp(v, "http://", 7) == 0 ? v + 7
    : strncmp(v, "https://", 8) == 0 ? v + 8 : NULL;
    char    addr[INET6_ADDRSTRLEN + 1];
    unsigned char bin[16];
    const char *end;
    size_t  len;

    if (*v == '\0')
	return 0;
    if (host != NULL) {
	if (*host == '[') {
	    host++;
	    end = strchr(host, ']');
	} else {
	    end = strchr(host, ':');
	}
	len = end ? (size_t) (end - host) : 0;
	if (len > 0 && len < sizeof(addr)) {
	    memcpy(addr, host, len);
	    addr[len] = '\0';
	    if (inet_pton(AF_INET, addr, bin) == 1 || inet_pton(AF_INET6, addr, bin) == 1)
		return 0;
	}
    }
    snprintf(why, whysz, "invalid proxy \"%s\": expected http://ADDRESS:PORT "
	     "(an IP address: a name would need the system resolver)", v);
    return -1;
}
