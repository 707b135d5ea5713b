/*
 * sts_fetch - MTA-STS policy fetch with libcurl's multi interface in the
 * agent's libevent loop; see sts_fetch.h.
 *
 * Event wiring: curl tells us through CURLMOPT_SOCKETFUNCTION which socket
 * to watch for what; each watched socket has one struct sts_sock (one
 * libevent event), found again through curl_multi_assign. One timer serves
 * CURLMOPT_TIMERFUNCTION. Both hand control back with
 * curl_multi_socket_action() and then collect finished transfers with
 * curl_multi_info_read(). The caller's callback always runs from a fetch's
 * own zero-delay timer (the "notify" event), never from inside curl or
 * sts_fetch_start: by then the easy handle is gone, so the callback may
 * start, cancel or free anything, the fetcher included.
 *
 * Pinning: the URL names mta-sts.<domain> (Host header, SNI, certificate
 * name check) while CURLOPT_CONNECT_TO "mta-sts.<domain>:443:<addr>:<port>"
 * says where to connect. The address is numeric (checked here), so curl
 * converts it with inet_pton and never calls a resolver. Through a proxy,
 * curl puts the CONNECT_TO target in the CONNECT request ("CONNECT
 * 127.0.0.1:443"), so the proxy resolves nothing either, and TLS still runs
 * end to end with mta-sts.<domain> as the name to verify. CURLOPT_RESOLVE
 * would pin only a direct connection: through a proxy, curl sends the name
 * and the proxy resolves it.
 *
 * Several addresses: CONNECT_TO uses the first entry that matches, so the
 * addresses are tried in order here: a connect failure (refused,
 * unreachable, a proxy that cannot reach it, a connect timeout) moves on
 * to the next address while the overall deadline allows. Other failures
 * (certificate, status, ...) end the fetch: another address would not
 * change the policy.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "buf.h"
#include "log.h"
#include "sts_fetch.h"
#include "sts_policy.h"
#include "util.h"

#define STS_FETCH_WHY_MAX	300	/* bytes of a why text, NUL included */
#define STS_FETCH_PATH		"/.well-known/mta-sts.txt"
#define STS_FETCH_AGENT		"destctld (MTA-STS policy fetcher)"
#define STS_DOMAIN_MAX		253
#define STS_CONNECT_MIN_MS	1000	/* least connect time per address */

/* One socket curl asked us to watch. */
struct sts_sock {
    struct sts_fetcher *f;
    curl_socket_t fd;
    struct event *ev;
    struct sts_sock *prev, *next;
};

struct sts_fetch {
    struct sts_fetcher *f;
    char   *domain;
    char   *host;				/* mta-sts.<domain> */
    char  **addrs;				/* numeric, validated */
    size_t  naddrs;
    size_t  next_addr;			/* index of the next to try */
    CURL   *easy;				/* NULL once done */
    struct curl_slist *connect_to;
    struct buf *body;
    struct timespec deadline;		/* monotonic */
    char    errbuf[CURL_ERROR_SIZE];
    enum sts_fetch_status abort_status;	/* why the write callback stopped */
    char    abort_why[STS_FETCH_WHY_MAX];
    bool    checked;				/* status and type checked */
    enum sts_fetch_status status;		/* the outcome, once done */
    char    why[STS_FETCH_WHY_MAX];
    struct event *notify;			/* delivers the outcome */
    sts_fetch_cb cb;
    void   *ctx;
    struct sts_fetch *prev, *next;
};

struct sts_fetcher {
    struct event_base *base;
    CURLM  *multi;
    struct event *timer;
    char   *ca_file;
    char   *proxy;				/* "" for none */
    int     timeout_s;
    int     port;
    struct sts_fetch *fetches;
    struct sts_sock *socks;
};

/* LIST_PUSH, LIST_UNLINK - doubly linked lists of fetches and of sockets
 * (both arguments are evaluated more than once) */
#define LIST_PUSH(head, e) do { \
	(e)->prev = NULL; \
	(e)->next = (head); \
	if (head) \
	    (head)->prev = (e); \
	(head) = (e); \
    } while (0)
#define LIST_UNLINK(head, e) do { \
	if ((e)->prev) \
	    (e)->prev->next = (e)->next; \
	else \
	    (head) = (e)->next; \
	if ((e)->next) \
	    (e)->next->prev = (e)->prev; \
	(e)->prev = (e)->next = NULL; \
    } while (0)

static void sts_fetch_attempt(struct sts_fetch *fe);

/* sts_fetch_status_name - for logs */
const char *sts_fetch_status_name(enum sts_fetch_status status)
{
    static const char *names[] = {
	[FETCH_OK] = "ok",
	[FETCH_TIMEOUT] = "timeout",
	[FETCH_CONNECT] = "connect",
	[FETCH_CERTIFICATE] = "certificate",
	[FETCH_TLS] = "tls",
	[FETCH_STATUS] = "status",
	[FETCH_SIZE] = "size",
	[FETCH_MEDIA_TYPE] = "media type",
	[FETCH_OTHER] = "other",
    };

    if ((unsigned) status >= sizeof(names) / sizeof(names[0]))
	return "unknown";
    return names[status];
}

/* ms_left - milliseconds until the deadline, at least 0 */
static long ms_left(const struct timespec *deadline)
{
    struct timespec now;
    long    ms;

    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (long) (deadline->tv_sec - now.tv_sec) * 1000
	+ (deadline->tv_nsec - now.tv_nsec) / 1000000;
    return ms > 0 ? ms : 0;
}

/* set_why - format a why text, sanitised: it may quote the peer */
static void set_why(char *why, const char *fmt,...)
{
    char    raw[STS_FETCH_WHY_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    log_sanitize(why, STS_FETCH_WHY_MAX, raw, strlen(raw));
}

/*
 * Sockets and the timer: curl's side.
 */

/* sock_event - a watched socket is ready: let curl work, collect results */
static void sock_event(evutil_socket_t fd, short what, void *arg);

/* sock_free - stop watching and forget */
static void sock_free(struct sts_sock *s)
{
    LIST_UNLINK(s->f->socks, s);
    event_free(s->ev);
    free(s);
}

/* on_socket - CURLMOPT_SOCKETFUNCTION: watch fd for what, or stop */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *arg,
		             void *sockp)
{
    struct sts_fetcher *f = arg;
    struct sts_sock *s = sockp;
    short   kind = EV_PERSIST;

    (void) easy;
    if (what == CURL_POLL_REMOVE) {
	if (s)
	    sock_free(s);
	return 0;
    }
    if (what & CURL_POLL_IN)
	kind |= EV_READ;
    if (what & CURL_POLL_OUT)
	kind |= EV_WRITE;
    if (s == NULL) {
	s = xcalloc(1, sizeof(*s));
	s->f = f;
	s->fd = fd;
	LIST_PUSH(f->socks, s);
	curl_multi_assign(f->multi, fd, s);
    } else {
	event_free(s->ev);
    }
    s->ev = event_new(f->base, fd, kind, sock_event, s);
    if (s->ev == NULL)
	msg_fatal("sts_fetch: event_new failed");
    event_add(s->ev, NULL);
    return 0;
}

/* on_timer - CURLMOPT_TIMERFUNCTION: (re)arm or stop the one timer */
static int on_timer(CURLM *multi, long timeout_ms, void *arg)
{
    struct sts_fetcher *f = arg;
    struct timeval tv;

    (void) multi;
    if (timeout_ms < 0) {
	evtimer_del(f->timer);
	return 0;
    }
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    evtimer_add(f->timer, &tv);
    return 0;
}

/*
 * Outcomes.
 */

/* fetch_release - drop the easy handle and its connection, keep the rest */
static void fetch_release(struct sts_fetch *fe)
{
    if (fe->easy) {
	curl_multi_remove_handle(fe->f->multi, fe->easy);
	curl_easy_cleanup(fe->easy);
	fe->easy = NULL;
    }
    curl_slist_free_all(fe->connect_to);
    fe->connect_to = NULL;
}

/* fetch_free - release everything of a fetch (already unlinked) */
static void fetch_free(struct sts_fetch *fe)
{
    fetch_release(fe);
    if (fe->notify)
	event_free(fe->notify);
    for (size_t i = 0; i < fe->naddrs; i++)
	free(fe->addrs[i]);
    free(fe->addrs);
    buf_free(fe->body);
    free(fe->domain);
    free(fe->host);
    free(fe);
}

/* fetch_deliver - the notify timer: log, call back, free */
static void fetch_deliver(evutil_socket_t fd, short what, void *arg)
{
    struct sts_fetch *fe = arg;

    (void) fd;
    (void) what;
    LIST_UNLINK(fe->f->fetches, fe);
    if (fe->status == FETCH_OK)
	msg_debug("MTA-STS policy fetched domain=%s bytes=%zu",
		  fe->domain, fe->body->len);
    else
	msg_info("MTA-STS policy fetch failed domain=%s cause=%s detail=%s",
		 fe->domain, sts_fetch_status_name(fe->status), fe->why);
    fe->f = NULL;				/* the fetcher may go in cb */
    fe->cb(fe->ctx, fe->status, fe->status == FETCH_OK ? fe->body->data : NULL,
	   fe->status == FETCH_OK ? fe->body->len : 0, fe->why);
    fetch_free(fe);
}

/* fetch_finish - record the outcome, drop curl's part, notify soon */
static void fetch_finish(struct sts_fetch *fe, enum sts_fetch_status status,
			         const char *why)
{
    struct timeval zero = {0, 0};

    fetch_release(fe);
    fe->status = status;
    if (why != fe->why)
	snprintf(fe->why, sizeof(fe->why), "%s", why);
    event_add(fe->notify, &zero);
}

/* media_type_ok - "text/plain", any case, parameters allowed */
static bool media_type_ok(const char *ct)
{
    static const char want[] = "text/plain";

    if (ct == NULL)
	return false;
    ct += strspn(ct, " \t");
    if (strncasecmp(ct, want, sizeof(want) - 1) != 0)
	return false;
    ct += sizeof(want) - 1;
    ct += strspn(ct, " \t");
    return *ct == '\0' || *ct == ';';
}

/* check_response - status 200 and text/plain, else the cause in abort_* */
static bool check_response(struct sts_fetch *fe)
{
    long    code = 0;
    char   *ct = NULL;

    curl_easy_getinfo(fe->easy, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(fe->easy, CURLINFO_CONTENT_TYPE, &ct);
    if (code != 200) {
	fe->abort_status = FETCH_STATUS;
	set_why(fe->abort_why, "HTTP status %ld%s", code,
		code >= 300 && code < 400 ? " (a redirect is not followed)" : "");
	return false;
    }
    if (!media_type_ok(ct)) {
	fe->abort_status = FETCH_MEDIA_TYPE;
	if (ct)
	    set_why(fe->abort_why, "media type \"%.64s\" is not text/plain", ct);
	else
	    set_why(fe->abort_why, "no media type (text/plain required)");
	return false;
    }
    return true;
}

/* on_write - CURLOPT_WRITEFUNCTION: check the head once, keep the body
 * up to STS_POLICY_MAX; a short count makes curl stop (CURLE_WRITE_ERROR) */
static size_t on_write(char *data, size_t size, size_t nmemb, void *arg)
{
    struct sts_fetch *fe = arg;
    size_t  n = size * nmemb;
    curl_off_t clen = -1;

    if (!fe->checked) {
	fe->checked = true;
	if (!check_response(fe))
	    return 0;
	curl_easy_getinfo(fe->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &clen);
	if (clen > STS_POLICY_MAX) {
	    fe->abort_status = FETCH_SIZE;
	    set_why(fe->abort_why, "body of %" CURL_FORMAT_CURL_OFF_T
		    " bytes (Content-Length) over the limit of %d bytes",
		    clen, STS_POLICY_MAX);
	    return 0;
	}
    }
    if (n > STS_POLICY_MAX - fe->body->len) {
	fe->abort_status = FETCH_SIZE;
	set_why(fe->abort_why, "body over the limit of %d bytes (%zu bytes "
		"received, more coming)", STS_POLICY_MAX, fe->body->len + n);
	return 0;
    }
    buf_append(fe->body, data, n);
    return n;
}

/* is_connect_error - curl could not reach the host (or the proxy) */
static bool is_connect_error(CURLcode rc, long proxy_code)
{
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_PROXY
	|| rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_PROXY
	|| (proxy_code != 0 && proxy_code / 100 != 2);
}

/* is_cert_error - PKIX or name validation failed */
static bool is_cert_error(CURLcode rc)
{
    return rc == CURLE_PEER_FAILED_VERIFICATION
	|| rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_ISSUER_ERROR
	|| rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH
	|| rc == CURLE_SSL_INVALIDCERTSTATUS || rc == CURLE_SSL_CRL_BADFILE;
}

/* fetch_done - curl ended a transfer: classify, maybe try the next address */
static void fetch_done(struct sts_fetch *fe, CURLcode rc)
{
    const char *detail = fe->errbuf[0] ? fe->errbuf : curl_easy_strerror(rc);
    const char *addr = fe->addrs[fe->next_addr - 1];
    long    proxy_code = 0;
    curl_off_t tls_done = 0;
    bool    next = fe->next_addr < fe->naddrs && ms_left(&fe->deadline) > 0;

    curl_easy_getinfo(fe->easy, CURLINFO_HTTP_CONNECTCODE, &proxy_code);
    curl_easy_getinfo(fe->easy, CURLINFO_APPCONNECT_TIME_T, &tls_done);
    if (rc == CURLE_OK) {
	if (!fe->checked && !check_response(fe))	/* no body at all */
	    fetch_finish(fe, fe->abort_status, fe->abort_why);
	else
	    fetch_finish(fe, FETCH_OK, "");
	return;
    }
    if (rc == CURLE_WRITE_ERROR && fe->abort_status != FETCH_OK) {
	fetch_finish(fe, fe->abort_status, fe->abort_why);
	return;
    }
    if (is_connect_error(rc, proxy_code)) {
	if (proxy_code != 0 && proxy_code / 100 != 2)
	    set_why(fe->why, "connect: proxy answered CONNECT to %s with %ld",
		    addr, proxy_code);
	else
	    set_why(fe->why, "connect: %s", detail);
	if (next) {
	    msg_info("MTA-STS policy host unreachable domain=%s address=%s "
		     "detail=%s; trying the next address", fe->domain, addr,
		     fe->why);
	    sts_fetch_attempt(fe);
	} else {
	    fetch_finish(fe, FETCH_CONNECT, fe->why);
	}
	return;
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
	if (next && tls_done == 0) {		/* this address never answered */
	    set_why(fe->why, "timeout connecting to %s", addr);
	    msg_info("MTA-STS policy host unreachable domain=%s address=%s "
		     "detail=%s; trying the next address", fe->domain, addr,
		     fe->why);
	    sts_fetch_attempt(fe);
	    return;
	}
	set_why(fe->why, "timeout after %d s (%s)", fe->f->timeout_s, detail);
	fetch_finish(fe, FETCH_TIMEOUT, fe->why);
    } else if (is_cert_error(rc)) {
	set_why(fe->why, "certificate: %s", detail);
	fetch_finish(fe, FETCH_CERTIFICATE, fe->why);
    } else if (rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_SSL_CIPHER
	       || rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_USE_SSL_FAILED) {
	set_why(fe->why, "TLS: %s", detail);
	fetch_finish(fe, FETCH_TLS, fe->why);
    } else {
	set_why(fe->why, "curl error %d: %s", (int) rc, detail);
	fetch_finish(fe, FETCH_OTHER, fe->why);
    }
}

/* check_done - hand every finished transfer to fetch_done */
static void check_done(struct sts_fetcher *f)
{
    CURLMsg *m;
    int     left;
    struct sts_fetch *fe;
    char   *priv;

    while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
	if (m->msg != CURLMSG_DONE)
	    continue;
	priv = NULL;
	curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
	fe = (struct sts_fetch *) priv;
	if (fe == NULL)
	    msg_panic("sts_fetch: finished transfer without its fetch");
	fetch_done(fe, m->data.result);		/* m is invalid after this */
    }
}

/* sock_event - a watched socket is ready */
static void sock_event(evutil_socket_t fd, short what, void *arg)
{
    struct sts_sock *s = arg;
    struct sts_fetcher *f = s->f;		/* s may be freed by curl below */
    int     flags = 0;
    int     running;

    if (what & EV_READ)
	flags |= CURL_CSELECT_IN;
    if (what & EV_WRITE)
	flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(f->multi, fd, flags, &running);
    check_done(f);
}

/* timer_event - curl's timer expired */
static void timer_event(evutil_socket_t fd, short what, void *arg)
{
    struct sts_fetcher *f = arg;
    int     running;

    (void) fd;
    (void) what;
    curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(f);
}

/*
 * Starting.
 */

/* easy_setup - a new easy handle for the next address; false with why */
static bool easy_setup(struct sts_fetch *fe, const char *addr, long left_ms,
		               size_t addrs_left)
{
    struct sts_fetcher *f = fe->f;
    char    url[STS_DOMAIN_MAX + 64];
    char    pin[2 * STS_DOMAIN_MAX + 80];
    long    connect_ms = left_ms / (long) addrs_left;
    CURLcode rc = CURLE_OK;
    CURL   *e;

    snprintf(url, sizeof(url), "https://%s" STS_FETCH_PATH, fe->host);
    snprintf(pin, sizeof(pin), strchr(addr, ':') ? "%s:443:[%s]:%d"
	     : "%s:443:%s:%d", fe->host, addr, f->port);
    if ((fe->connect_to = curl_slist_append(NULL, pin)) == NULL)
	msg_fatal("sts_fetch: out of memory");
    if ((e = fe->easy = curl_easy_init()) == NULL) {
	set_why(fe->why, "curl_easy_init failed");
	return false;
    }
    if (connect_ms < STS_CONNECT_MIN_MS)
	connect_ms = STS_CONNECT_MIN_MS;
    fe->errbuf[0] = '\0';
    fe->checked = false;
    fe->abort_status = FETCH_OK;
    buf_reset(fe->body);
#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val); } while (0)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_CONNECT_TO, fe->connect_to);
    SET(CURLOPT_PRIVATE, fe);
    SET(CURLOPT_ERRORBUFFER, fe->errbuf);
    SET(CURLOPT_WRITEFUNCTION, on_write);
    SET(CURLOPT_WRITEDATA, fe);
    SET(CURLOPT_PROTOCOLS_STR, "https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    /* Only ca_file decides: no compiled-in path, no SSL_CERT_FILE/DIR. */
    SET(CURLOPT_CAINFO, f->ca_file);
    SET(CURLOPT_CAPATH, NULL);
    SET(CURLOPT_PROXY_CAINFO, f->ca_file);
    SET(CURLOPT_PROXY_CAPATH, NULL);
    /* Only the configured proxy: "" also shuts out http(s)_proxy etc. */
    SET(CURLOPT_PROXY, f->proxy);
    SET(CURLOPT_NOPROXY, "");
    SET(CURLOPT_HTTPPROXYTUNNEL, 1L);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TIMEOUT_MS, left_ms > 0 ? left_ms : 1L);
    SET(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    SET(CURLOPT_USERAGENT, STS_FETCH_AGENT);
    SET(CURLOPT_FORBID_REUSE, 1L);
    SET(CURLOPT_FRESH_CONNECT, 1L);
#undef SET
    if (rc != CURLE_OK) {
	set_why(fe->why, "curl option: %s", curl_easy_strerror(rc));
	return false;
    }
    return true;
}

/* sts_fetch_attempt - start (again) with the next address */
static void sts_fetch_attempt(struct sts_fetch *fe)
{
    const char *addr = fe->addrs[fe->next_addr];
    CURLMcode mc;

    fetch_release(fe);
    if (!easy_setup(fe, addr, ms_left(&fe->deadline),
		    fe->naddrs - fe->next_addr)) {
	fetch_finish(fe, FETCH_OTHER, fe->why);
	return;
    }
    fe->next_addr++;
    if ((mc = curl_multi_add_handle(fe->f->multi, fe->easy)) != CURLM_OK) {
	set_why(fe->why, "curl_multi_add_handle: %s", curl_multi_strerror(mc));
	fetch_finish(fe, FETCH_OTHER, fe->why);
    }
}

/* domain_ok - letters, digits, '-' and '.', nothing that could bend a URL */
static bool domain_ok(const char *d)
{
    size_t  len = strlen(d);

    return len > 0 && len <= STS_DOMAIN_MAX - 8
	&& strspn(d, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		  "0123456789-.") == len && d[0] != '.' && d[0] != '-';
}

/* addr_numeric - an IPv4 or IPv6 literal (anything else could make curl
 * resolve a name with the system resolver) */
static bool addr_numeric(const char *a)
{
    unsigned char sa[16];

    return inet_pton(AF_INET, a, sa) == 1 || inet_pton(AF_INET6, a, sa) == 1;
}

/* sts_fetch_start - start a fetch; the outcome comes later, from the loop */
struct sts_fetch *sts_fetch_start(struct sts_fetcher *f, const char *domain,
				          const char *const *addrs, size_t n,
				          sts_fetch_cb cb, void *ctx)
{
    struct sts_fetch *fe = xcalloc(1, sizeof(*fe));
    char    safe[80];

    fe->f = f;
    fe->domain = xstrdup(domain);
    fe->cb = cb;
    fe->ctx = ctx;
    fe->body = buf_alloc(1024, STS_POLICY_MAX);
    fe->addrs = xcalloc(n + 1, sizeof(*fe->addrs));
    fe->notify = evtimer_new(f->base, fetch_deliver, fe);
    if (fe->notify == NULL)
	msg_fatal("sts_fetch: evtimer_new failed");
    LIST_PUSH(f->fetches, fe);
    clock_gettime(CLOCK_MONOTONIC, &fe->deadline);
    fe->deadline.tv_sec += f->timeout_s;

    for (size_t i = 0; i < n; i++) {
	if (addr_numeric(addrs[i]))
	    fe->addrs[fe->naddrs++] = xstrdup(addrs[i]);
	else
	    msg_warn("MTA-STS policy host address ignored domain=%s "
		     "address=%s: not numeric", fe->domain,
		     log_sanitize(safe, sizeof(safe), addrs[i], strlen(addrs[i])));
    }
    if (!domain_ok(domain)) {
	set_why(fe->why, "invalid domain name");
	fetch_finish(fe, FETCH_OTHER, fe->why);
    } else if (fe->naddrs == 0) {
	set_why(fe->why, "no address for the policy host");
	fetch_finish(fe, FETCH_CONNECT, fe->why);
    } else {
	fe->host = xmalloc(strlen(domain) + 9);
	snprintf(fe->host, strlen(domain) + 9, "mta-sts.%s", domain);
	sts_fetch_attempt(fe);
    }
    return fe;
}

/* sts_fetch_cancel - abandon a fetch: no callback */
void    sts_fetch_cancel(struct sts_fetch *fe)
{
    if (fe == NULL)
	return;
    LIST_UNLINK(fe->f->fetches, fe);
    fetch_free(fe);
}

/*
 * The fetcher.
 */

/* proxy_host_numeric - is the proxy given as an address (curl would ask the
 * system resolver for a name) */
static bool proxy_host_numeric(const char *proxy)
{
    const char *h = strstr(proxy, "://");
    const char *at;
    char    host[64];
    size_t  len;

    h = h ? h + 3 : proxy;
    if ((at = strchr(h, '@')) != NULL && at < h + strcspn(h, "/"))
	h = at + 1;
    if (*h == '[')
	len = strcspn(++h, "]");
    else
	len = strcspn(h, ":/");
    if (len == 0 || len >= sizeof(host))
	return false;
    memcpy(host, h, len);
    host[len] = '\0';
    return addr_numeric(host);
}

/* sts_fetcher_new - a fetcher on base; NULL with why */
struct sts_fetcher *sts_fetcher_new(struct event_base *base,
				            const char *ca_file, const char *proxy,
				            int timeout_s, char *why, size_t whysz)
{
    struct sts_fetcher *f;
    CURLcode rc;

    proxy = proxy ? proxy : "";
    if (access(ca_file, R_OK) != 0) {
	snprintf(why, whysz, "CA file %s: %s", ca_file, strerror(errno));
	return NULL;
    }
    if (*proxy && !proxy_host_numeric(proxy)) {
	snprintf(why, whysz, "proxy %s: give its address, not a name "
		 "(names are never resolved with the system resolver)", proxy);
	return NULL;
    }
    if (timeout_s < 1) {
	snprintf(why, whysz, "fetch timeout %d s: must be at least 1", timeout_s);
	return NULL;
    }
    /* Counted by curl; see sts_fetch.h for why main() should call it first. */
    if ((rc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
	snprintf(why, whysz, "curl_global_init: %s", curl_easy_strerror(rc));
	return NULL;
    }
    f = xcalloc(1, sizeof(*f));
    f->base = base;
    f->ca_file = xstrdup(ca_file);
    f->proxy = xstrdup(proxy);
    f->timeout_s = timeout_s;
    f->port = 443;
    if ((f->multi = curl_multi_init()) == NULL
	|| (f->timer = evtimer_new(base, timer_event, f)) == NULL) {
	snprintf(why, whysz, "curl_multi_init or evtimer_new failed");
	return sts_fetcher_free(f);
    }
    curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
    curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
    return f;
}

/* sts_fetcher_set_port - tests: connect to port instead of 443 */
void    sts_fetcher_set_port(struct sts_fetcher *f, int port)
{
    f->port = port;
}

/* sts_fetcher_free - cancel every fetch, release curl; NULL */
struct sts_fetcher *sts_fetcher_free(struct sts_fetcher *f)
{
    if (f == NULL)
	return NULL;
    while (f->fetches)
	sts_fetch_cancel(f->fetches);
    if (f->multi)
	curl_multi_cleanup(f->multi);
    while (f->socks)				/* any curl did not remove */
	sock_free(f->socks);
    if (f->timer)
	event_free(f->timer);
    free(f->ca_file);
    free(f->proxy);
    free(f);
    curl_global_cleanup();
    return NULL;
}
