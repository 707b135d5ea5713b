/*
 * netmatch - is a client address inside a list of networks (CIDR, IPv4 and
 * IPv6; an IPv4-mapped IPv6 address matches the IPv4 networks). Pure.
 */
#ifndef DESTCTL_NETMATCH_H
#define DESTCTL_NETMATCH_H

#include <stdbool.h>
#include <stddef.h>

struct netlist;

/* netlist_new - parse "addr/bits" entries (bits optional); NULL with why. */
extern struct netlist *netlist_new(char *const *nets, size_t n, char *why,
				           size_t whysz);

/* netlist_free - NULL-tolerant; returns NULL. */
extern struct netlist *netlist_free(struct netlist *l);

/* netlist_match - addr (text, "[...]" and "IPv6:" forms accepted) is inside. */
extern bool netlist_match(const struct netlist *l, const char *addr);

#endif
