/*
 * strmap - chained hash table keyed by strings; see strmap.h.
 *
 * FNV-1a hashing, power-of-two bucket counts, doubled when the load passes 1.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "util.h"

struct strmap_entry {
    struct strmap_entry *next;
    uint32_t hash;
    void   *value;
    char    key[];			/* NUL-terminated copy */
};

struct strmap {
    struct strmap_entry **buckets;
    size_t  nbuckets;			/* power of two */
    size_t  count;
};

/* strmap_hash - FNV-1a over len bytes */
static uint32_t strmap_hash(const char *key, size_t len)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < len; i++) {
	h ^= (unsigned char) key[i];
	h *= 16777619u;
    }
    return h;
}

/* strmap_new - empty map */
struct strmap *strmap_new(void)
{
    struct strmap *m = xcalloc(1, sizeof(*m));

    m->nbuckets = 16;
    m->buckets = xcalloc(m->nbuckets, sizeof(*m->buckets));
    return m;
}

/* strmap_free - free the map */
struct strmap *strmap_free(struct strmap *m)
{
    if (m == NULL)
	return NULL;
    for (size_t i = 0; i < m->nbuckets; i++) {
	struct strmap_entry *e = m->buckets[i], *next;

	for (; e; e = next) {
	    next = e->next;
	    free(e);
	}
    }
    free(m->buckets);
    free(m);
    return NULL;
}

/* strmap_slot - where key lives or would be inserted */
static struct strmap_entry **strmap_slot(const struct strmap *m, const char *key,
					         size_t len, uint32_t hash)
{
    struct strmap_entry **pp = &m->buckets[hash & (m->nbuckets - 1)];

    for (; *pp; pp = &(*pp)->next)
	if ((*pp)->hash == hash && strncmp((*pp)->key, key, len) == 0
	    && (*pp)->key[len] == '\0')
	    break;
    return pp;
}

/* strmap_getn - lookup by a length-delimited key */
void   *strmap_getn(const struct strmap *m, const char *key, size_t len)
{
    struct strmap_entry *e = *strmap_slot(m, key, len, strmap_hash(key, len));

    return e ? e->value : NULL;
}

/* strmap_get - lookup */
void   *strmap_get(const struct strmap *m, const char *key)
{
    return strmap_getn(m, key, strlen(key));
}

/* strmap_grow - double the buckets */
static void strmap_grow(struct strmap *m)
{
    size_t  n = m->nbuckets * 2;
    struct strmap_entry **b = xcalloc(n, sizeof(*b));

    for (size_t i = 0; i < m->nbuckets; i++) {
	struct strmap_entry *e = m->buckets[i], *next;

	for (; e; e = next) {
	    next = e->next;
	    e->next = b[e->hash & (n - 1)];
	    b[e->hash & (n - 1)] = e;
	}
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = n;
}

/* strmap_put - insert or replace */
void   *strmap_put(struct strmap *m, const char *key, void *value)
{
    size_t  len = strlen(key);
    uint32_t hash = strmap_hash(key, len);
    struct strmap_entry **pp = strmap_slot(m, key, len, hash), *e;
    void   *old;

    if ((e = *pp) != NULL) {
	old = e->value;
	e->value = value;
	return old;
    }
    e = xmalloc(sizeof(*e) + len + 1);
    e->next = NULL;
    e->hash = hash;
    e->value = value;
    memcpy(e->key, key, len + 1);
    *pp = e;
    if (++m->count > m->nbuckets)
	strmap_grow(m);
    return NULL;
}

/* strmap_del - remove */
void   *strmap_del(struct strmap *m, const char *key)
{
    size_t  len = strlen(key);
    struct strmap_entry **pp = strmap_slot(m, key, len, strmap_hash(key, len));
    struct strmap_entry *e = *pp;
    void   *value;

    if (e == NULL)
	return NULL;
    *pp = e->next;
    value = e->value;
    free(e);
    m->count--;
    return value;
}

/* strmap_filter - drop the entries keep() refuses */
void    strmap_filter(struct strmap *m,
		              bool (*keep)(const char *key, void *value, void *ctx),
		              void *ctx)
{
    for (size_t i = 0; i < m->nbuckets; i++) {
	struct strmap_entry **pp = &m->buckets[i], *e;

	while ((e = *pp) != NULL) {
	    if (keep(e->key, e->value, ctx)) {
		pp = &e->next;
	    } else {
		*pp = e->next;
		free(e);
		m->count--;
	    }
	}
    }
}

/* strmap_count - number of keys */
size_t  strmap_count(const struct strmap *m)
{
    return m->count;
}
