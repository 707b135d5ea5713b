/*
 * netmatch - networks and addresses; see netmatch.h.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netmatch.h"
#include "util.h"

struct net {
    unsigned char addr[16];		/* IPv4 as IPv4-mapped IPv6 */
    int     bits;			/* prefix over the 128-bit form */
};

struct netlist {
    struct net *v;
    size_t  n;
};

/* net_parse_addr - text to 16 bytes (IPv4 mapped); false if not an address */
static bool net_parse_addr(const char *text, unsigned char out[16], bool *v4)
{
    char    buf[INET6_ADDRSTRLEN + 8];
    size_t  len = strlen(text);
    unsigned char a4[4];

    if (len >= sizeof(buf))
	return false;
    if (text[0] == '[' && len > 2 && text[len - 1] == ']') {
	memcpy(buf, text + 1, len - 2);
	buf[len - 2] = '\0';
    } else {
	memcpy(buf, text, len + 1);
    }
    text = strncasecmp(buf, "ipv6:", 5) == 0 ? buf + 5 : buf;
    if (inet_pton(AF_INET, text, a4) == 1) {
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, a4, 4);
	*v4 = true;
	return true;
    }
    *v4 = false;
    return inet_pton(AF_INET6, text, out) == 1;
}

/* netlist_new - parse the list */
struct netlist *netlist_new(char *const *nets, size_t n, char *why, size_t whysz)
{
    struct netlist *l = xcalloc(1, sizeof(*l));

    l->v = xcalloc(n + 1, sizeof(*l->v));
    for (size_t i = 0; i < n; i++) {
	char    addr[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(nets[i], '/');
	size_t  len = slash ? (size_t) (slash - nets[i]) : strlen(nets[i]);
	bool    v4;
	char   *end;
	long    bits;

	if (len >= sizeof(addr))
	    goto bad;
	memcpy(addr, nets[i], len);
	addr[len] = '\0';
	if (!net_parse_addr(addr, l->v[l->n].addr, &v4))
	    goto bad;
	bits = v4 ? 32 : 128;
	if (slash) {
	    bits = strtol(slash + 1, &end, 10);
	    if (*end || slash[1] == '\0' || bits < 0 || bits > (v4 ? 32 : 128))
		goto bad;
	}
	l->v[l->n++].bits = (int) (v4 ? bits + 96 : bits);
	continue;
  bad:
	snprintf(why, whysz, "invalid network \"%s\"", nets[i]);
	return netlist_free(l);
    }
    return l;
}

/* netlist_free - free */
struct netlist *netlist_free(struct netlist *l)
{
    if (l) {
	free(l->v);
	free(l);
    }
    return NULL;
}

/* netlist_match - prefix comparison */
bool    netlist_match(const struct netlist *l, const char *text)
{
    unsigned char a[16];
    bool    v4;

    if (l == NULL || !net_parse_addr(text, a, &v4))
	return false;
    for (size_t i = 0; i < l->n; i++) {
	int     full = l->v[i].bits / 8, rest = l->v[i].bits % 8;

	if (memcmp(a, l->v[i].addr, (size_t) full) != 0)
	    continue;
	if (rest && ((a[full] ^ l->v[i].addr[full]) & (0xff << (8 - rest))) != 0)
	    continue;
	return true;
    }
    return false;
}
