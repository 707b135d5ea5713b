/*
 * sts_fetch - fetch https://mta-sts.<domain>/.well-known/mta-sts.txt with
 * libcurl's multi interface inside the agent's libevent loop.
 *
 * The policy host's addresses are resolved by the caller through libunbound
 * and pinned with CURLOPT_CONNECT_TO (also through a proxy: the CONNECT goes
 * to the pinned address, and the certificate is still checked against
 * mta-sts.<domain>), so the system resolver is never used. HTTPS only, PKIX
 * validation against ca_file with the name mta-sts.<domain>, TLS 1.2 or
 * later, no redirects followed, only status 200, media type text/plain, the
 * body capped at STS_POLICY_MAX bytes in the write callback (a chunked body
 * has no size up front), the whole fetch bounded by timeout_s.
 */
#ifndef DESTCTL_STS_FETCH_H
#define DESTCTL_STS_FETCH_H

#include <stddef.h>

#include <event2/event.h>

enum sts_fetch_status {
    FETCH_OK,
    FETCH_TIMEOUT,			/* no complete answer within timeout_s */
    FETCH_CONNECT,			/* cannot connect (host, proxy) */
    FETCH_CERTIFICATE,			/* PKIX validation or name check failed */
    FETCH_TLS,				/* handshake failed otherwise (version...) */
    FETCH_STATUS,			/* HTTP status other than 200 (3xx included) */
    FETCH_SIZE,				/* body over STS_POLICY_MAX */
    FETCH_MEDIA_TYPE,			/* not text/plain */
    FETCH_OTHER,			/* anything else curl reports */
};

struct sts_fetcher;
struct sts_fetch;

/*
 * sts_fetch_cb - the outcome, called once from the loop (never from within
 * sts_fetch_start). body/len: the policy body on FETCH_OK (NUL-terminated),
 * borrowed for the call. why: a short cause for logs ("HTTP status 301 (a
 * redirect is not followed)", "certificate: ...", "timeout after 10 s").
 */
typedef void (*sts_fetch_cb)(void *ctx, enum sts_fetch_status status,
			             const char *body, size_t len, const char *why);

/*
 * sts_fetcher_new - a fetcher on base; proxy "" for none, else
 * http(s)://ADDRESS:PORT (a host name is refused: curl would resolve it with
 * the system resolver). Calls curl_global_init() (curl counts the calls;
 * sts_fetcher_free() calls curl_global_cleanup()); main() should call
 * curl_global_init(CURL_GLOBAL_DEFAULT) itself before any thread starts and
 * curl_global_cleanup() at exit. NULL with why: CA file unreadable, proxy by
 * name, timeout_s < 1.
 */
extern struct sts_fetcher *sts_fetcher_new(struct event_base *base,
				                   const char *ca_file, const char *proxy,
				                   int timeout_s, char *why, size_t whysz);

/* sts_fetcher_free - cancel every fetch (callbacks not called); NULL. */
extern struct sts_fetcher *sts_fetcher_free(struct sts_fetcher *f);

/*
 * sts_fetch_start - fetch the policy of domain from one of addrs (numeric
 * IPv4/IPv6 addresses of mta-sts.<domain>, n >= 1). Addresses are tried in
 * order: a connect failure moves on to the next within timeout_s.
 * Non-numeric addresses are ignored (warned); none left: FETCH_CONNECT; a
 * malformed domain: FETCH_OTHER (both from the loop). The handle is valid
 * until the callback returns or sts_fetch_cancel(); the callback may cancel
 * other fetches or free the fetcher.
 */
extern struct sts_fetch *sts_fetch_start(struct sts_fetcher *f, const char *domain,
				                 const char *const *addrs, size_t n,
				                 sts_fetch_cb cb, void *ctx);

/* sts_fetcher_set_port - connect to this port instead of 443 (tests run
 * their HTTPS servers on unprivileged ports); the URL keeps its name. */
extern void sts_fetcher_set_port(struct sts_fetcher *f, int port);

/* sts_fetch_cancel - abandon a fetch. */
extern void sts_fetch_cancel(struct sts_fetch *fetch);

/* sts_fetch_status_name - "ok", "timeout", "connect", "certificate", ... */
extern const char *sts_fetch_status_name(enum sts_fetch_status status);

#endif
