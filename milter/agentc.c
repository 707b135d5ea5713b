/*
 * agentc - the milter's client of destctld's profile map; see agentc.h.
 *
 * libmilter runs callbacks in many threads: each keeps its own socketmap
 * connection (a pthread key), and the answer cache is shared under a mutex.
 */
#include <ctype.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agentc.h"
#include "log.h"
#include "sockmap.h"
#include "strmap.h"
#include "util.h"

#define AGENTC_BACKOFF_MIN	1
#define AGENTC_BACKOFF_MAX	30
#define AGENTC_CACHE_MAX	10000	/* domains; past it the cache starts over */
#define AGENTC_MAP		"profile"

/* One worker thread's connection. */
struct agentc_thread {
    struct sockmap_client *client;
    char   *endpoint;			/* the client's endpoint */
    int     timeout_ms;			/* the client's timeout */
    time_t  retry_at;			/* no new attempt before this */
    int     backoff;			/* seconds */
};

struct agentc_cached {
    struct dest_info info;
    time_t  expires;
};

static pthread_key_t agentc_key;
static pthread_once_t agentc_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t agentc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct strmap *agentc_cache;	/* domain -> struct agentc_cached */

/* agentc_thread_free - a worker thread ends */
static void agentc_thread_free(void *arg)
{
    struct agentc_thread *t = arg;

    sockmap_client_free(t->client);
    free(t->endpoint);
    free(t);
}

/* agentc_init - the key, once */
static void agentc_init(void)
{
    if (pthread_key_create(&agentc_key, agentc_thread_free) != 0)
	msg_fatal("cannot create a thread key");
}

/* now - monotonic seconds */
static time_t now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* agentc_unhex - one hex digit, or -1 */
static int agentc_unhex(int c)
{
    if (c >= '0' && c <= '9')
	return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* agentc_decode - percent-decode [p, end) into out; -1 if malformed or too long */
static int agentc_decode(const char *p, const char *end, char *out, size_t outsz)
{
    size_t  o = 0;

    for (; p < end; p++) {
	int     c = (unsigned char) *p;

	if (c == '%') {
	    int     hi, lo;

	    if (end - p < 3 || (hi = agentc_unhex(p[1])) < 0 || (lo = agentc_unhex(p[2])) < 0)
		return -1;
	    c = hi << 4 | lo;
	    p += 2;
	}
	if (c == 0 || o + 1 >= outsz)
	    return -1;
	out[o++] = (char) c;
    }
    out[o] = '\0';
    return 0;
}

/* The text fields of the reply, copied as they are (truncated to fit). */
static const struct {
    const char *name;
    size_t  offset, size;
} agentc_texts[] = {
#define TEXT(f) {#f, offsetof(struct dest_info, f), sizeof(((struct dest_info *) 0)->f)}
    TEXT(domain), TEXT(profile), TEXT(tls), TEXT(dane), TEXT(decision), TEXT(reason),
    TEXT(service),
#undef TEXT
};

/* agentc_text_field - store a text field; false when name is not one */
static bool agentc_text_field(struct dest_info *info, const char *name, const char *val)
{
    for (size_t i = 0; i < sizeof(agentc_texts) / sizeof(agentc_texts[0]); i++) {
	if (strcmp(agentc_texts[i].name, name) == 0) {
	    char   *dst = (char *) info + agentc_texts[i].offset;
	    size_t  len = strnlen(val, agentc_texts[i].size - 1);

	    memcpy(dst, val, len);
	    dst[len] = '\0';
	    return true;
	}
    }
    return false;
}

/* agentc_tag - the header value: what the message is tagged with */
void    agentc_tag(const struct dest_info *d, char *out, size_t outsz)
{
    snprintf(out, outsz, "%s; profile=%s; tls=%s; dane=%s; mta-sts=%s; decision=%s%s%s",
	     d->domain, d->profile, d->tls[0] ? d->tls : "unknown",
	     d->dane[0] ? d->dane : "unknown", d->mta_sts ? "on" : "off", d->decision,
	     d->service[0] ? "; service=" : "", d->service);
}

/* agentc_refuse_dsn - 4.7.5 to try later, 5.7.5 never */
const char *agentc_refuse_dsn(enum agentc_refuse r)
{
    return r == AGENTC_REFUSE_TEMP ? "4.7.5" : "5.7.5";
}

/* agentc_parse - the profile map value */
int     agentc_parse(const char *value, struct dest_info *info, char *why, size_t whysz)
{
    static const char *required[] = {"domain", "profile", "tls", "decision", "refuse"};
    unsigned seen = 0;
    const char *p = value;

    memset(info, 0, sizeof(*info));
    while (*p) {
	const char *end = strchr(p, ' '), *eq;
	char    name[32], *val;
	size_t  nlen;

	if (end == NULL)
	    end = p + strlen(p);
	/* A value never decodes longer than it is written. */
	val = xmalloc((size_t) (end - p) + 1);
	if ((eq = memchr(p, '=', (size_t) (end - p))) == NULL
	    || (nlen = (size_t) (eq - p)) == 0 || nlen >= sizeof(name)
	    || agentc_decode(eq + 1, end, val, (size_t) (end - p) + 1) < 0) {
	    free(val);
	    snprintf(why, whysz, "malformed field in agent reply");
	    return -1;
	}
	memcpy(name, p, nlen);
	name[nlen] = '\0';
	if (agentc_text_field(info, name, val))
	    ;
	else if (strcmp(name, "mta_sts") == 0)
	    info->mta_sts = strcmp(val, "on") == 0;
	else if (strcmp(name, "bounce_verification") == 0)
	    info->bounce_verification = strcmp(val, "on") == 0;
	else if (strcmp(name, "early_refusal") == 0)
	    info->early_refusal = strcmp(val, "on") == 0;
	else if (strcmp(name, "refuse") == 0) {
	    if (strcmp(val, "none") == 0)
		info->refuse = AGENTC_REFUSE_NONE;
	    else if (strcmp(val, "temp") == 0)
		info->refuse = AGENTC_REFUSE_TEMP;
	    else if (strcmp(val, "perm") == 0)
		info->refuse = AGENTC_REFUSE_PERM;
	    else {
		free(val);
		snprintf(why, whysz, "unknown refuse value in agent reply");
		return -1;
	    }
	}
	free(val);
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
	    if (strcmp(name, required[i]) == 0)
		seen |= 1u << i;
	p = *end ? end + 1 : end;
    }
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
	if (!(seen & (1u << i))) {
	    snprintf(why, whysz, "agent reply without %s", required[i]);
	    return -1;
	}
    return 0;
}

/* agentc_cache_get - a fresh cached answer */
static bool agentc_cache_get(const char *domain, struct dest_info *info)
{
    struct agentc_cached *c;
    bool    hit = false;

    pthread_mutex_lock(&agentc_lock);
    if (agentc_cache && (c = strmap_get(agentc_cache, domain)) != NULL
	&& c->expires > now()) {
	*info = c->info;
	hit = true;
    }
    pthread_mutex_unlock(&agentc_lock);
    return hit;
}

/* agentc_drop - strmap_filter callback: free every entry */
static bool agentc_drop(const char *key, void *value, void *ctx)
{
    (void) key;
    (void) ctx;
    free(value);
    return false;
}

/* agentc_cache_put - remember an answer */
static void agentc_cache_put(const char *domain, const struct dest_info *info)
{
    struct agentc_cached *c = xmalloc(sizeof(*c));

    c->info = *info;
    c->expires = now() + AGENTC_CACHE_TTL;
    pthread_mutex_lock(&agentc_lock);
    if (agentc_cache == NULL)
	agentc_cache = strmap_new();
    if (strmap_count(agentc_cache) >= AGENTC_CACHE_MAX)
	strmap_filter(agentc_cache, agentc_drop, NULL);
    free(strmap_put(agentc_cache, domain, c));
    pthread_mutex_unlock(&agentc_lock);
}

/* agentc_flush - empty the cache */
void    agentc_flush(void)
{
    pthread_mutex_lock(&agentc_lock);
    if (agentc_cache)
	strmap_filter(agentc_cache, agentc_drop, NULL);
    pthread_mutex_unlock(&agentc_lock);
}

/* agentc_client - this thread's connection to endpoint */
static struct agentc_thread *agentc_client(const char *endpoint, int timeout_ms,
				                   char *why, size_t whysz)
{
    struct agentc_thread *t;

    pthread_once(&agentc_once, agentc_init);
    if ((t = pthread_getspecific(agentc_key)) == NULL) {
	t = xcalloc(1, sizeof(*t));
	t->backoff = AGENTC_BACKOFF_MIN;
	pthread_setspecific(agentc_key, t);
    }
    if (t->client == NULL || !str_eq(t->endpoint, endpoint) || t->timeout_ms != timeout_ms) {
	t->client = sockmap_client_free(t->client);
	free(t->endpoint);
	t->endpoint = xstrdup(endpoint);
	t->timeout_ms = timeout_ms;
	if ((t->client = sockmap_client_new(endpoint, timeout_ms, why, whysz)) == NULL)
	    return NULL;
    }
    return t;
}

/* agentc_profile - cached, or ask */
enum agentc_status agentc_profile(const char *endpoint, const char *domain,
				          int timeout_ms, struct dest_info *info,
				          char *why, size_t whysz)
{
    struct agentc_thread *t;
    struct buf *value;
    enum sockmap_status st;
    enum agentc_status rc = AGENTC_UNAVAILABLE;

    if (agentc_cache_get(domain, info))
	return AGENTC_OK;
    if ((t = agentc_client(endpoint, timeout_ms, why, whysz)) == NULL)
	return AGENTC_UNAVAILABLE;
    if (t->retry_at > now()) {
	snprintf(why, whysz, "agent %s unreachable; next try in %ld s", endpoint,
		 (long) (t->retry_at - now()));
	return AGENTC_UNAVAILABLE;
    }
    value = buf_alloc(256, SOCKMAP_MAX_REPLY);
    if (sockmap_client_query(t->client, AGENTC_MAP, domain, &st, value) < 0) {
	snprintf(why, whysz, "%s", value->data);
	if (!sockmap_client_unreachable(t->client)) {
	    /* Reached, but the exchange failed (a slow answer): no back-off. */
	    msg_warn("destctld did not answer: %s", why);
	    goto out;
	}
	t->retry_at = now() + t->backoff;
	t->backoff = t->backoff * 2 > AGENTC_BACKOFF_MAX ? AGENTC_BACKOFF_MAX : t->backoff * 2;
	msg_warn("destctld cannot be asked: %s; backing off %d s", why, t->backoff);
	goto out;
    }
    t->backoff = AGENTC_BACKOFF_MIN;
    t->retry_at = 0;
    if (st != SOCKMAP_OK) {
	snprintf(why, whysz, "agent answered %s %s", sockmap_status_name(st), value->data);
	goto out;
    }
    if (agentc_parse(value->data, info, why, whysz) < 0)
	goto out;
    if (strcmp(info->decision, "TEMP") != 0)	/* a TEMP answer may clear soon */
	agentc_cache_put(domain, info);
    rc = AGENTC_OK;
  out:
    buf_free(value);
    return rc;
}
