/*
 * batv - bounce address tag validation (prvs= scheme); see batv.h.
 *
 * Tag construction, exactly:
 *
 *	mac  = HMAC-SHA256(secret[K], "K" "DDD" local "@" lower(domain))
 *	tag  = prvs=K DDD hex(mac[0..2])=local@domain
 *
 * K is the key number as one ASCII digit and DDD the expiry day as three ASCII
 * digits (both exactly as they appear in the tag); local is the local part as
 * given (local parts are case-sensitive in principle, RFC 5321 2.4), domain
 * is lower-cased ASCII for the hash (domains are not case-sensitive, and a
 * relay may change their case) but kept as given in the output. Hex digits are
 * written in lower case and read in either case.
 *
 * Why HMAC-SHA256 and not the draft's SHA-1: only the signer ever verifies its
 * own tags, so the hash is a private choice and buys no interoperability; HMAC
 * over a modern hash is the conservative keyed construction. The format has
 * room for six hex digits, so the MAC is truncated to 24 bits: a forger has a
 * 1 in 2^24 chance per guess, the expiry bounds how long a captured tag can be
 * replayed, and a wrong guess is a refused bounce, not a secret revealed.
 *
 * Days: day(t) = floor(t / 86400) mod 1000. A tag signed at now for V days
 * carries day(now) + V mod 1000. When verifying, delta = (DDD - today) mod
 * 1000: 0..V is valid; beyond that the remaining 999 - V days of the circle
 * are split at their middle: nearer the past side is BATV_EXPIRED, nearer the
 * future side (a day we could not have signed) is BATV_MALFORMED. V must be
 * in 1..BATV_MAX_DAYS so that both sides exist; the configuration allows 1-30.
 *
 * Verification order: syntax, key number, MAC (CRYPTO_memcmp), then the day,
 * so that "expired" and "too far ahead" are only ever said of authentic tags
 * and a forged tag is always BATV_BAD_HASH.
 *
 * Addresses may come with one enclosing pair of angle brackets, which are
 * dropped; results never have them.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "batv.h"
#include "buf.h"
#include "log.h"
#include "util.h"

#define BATV_NKEYS		10	/* key numbers 0-9 */
#define BATV_MIN_SECRET		16	/* bytes */
#define BATV_FILE_MAX		16384	/* a key file larger than this is refused */
#define BATV_MAX_DAYS		499	/* valid_days must leave a past side */
#define BATV_PREFIX		"prvs="
#define BATV_PREFIX_LEN		5
#define BATV_TAG_LEN		10	/* K DDD HHHHHH */
#define BATV_HASH_BYTES		3	/* six hex digits */
#define BATV_OVERHEAD		(BATV_PREFIX_LEN + BATV_TAG_LEN + 1)
#define BATV_LOCAL_MAX		64	/* RFC 5321 4.5.3.1.1, of the tagged form */
#define BATV_ADDR_MAX		254	/* plain address: RFC 5321 path less <> */

struct batv_key {
    unsigned char *secret;		/* NULL: no such key number */
    size_t  len;
};

struct batv_keys {
    struct batv_key key[BATV_NKEYS];
    int     signer;			/* key number of the last line */
};

/* batv_strip - drop one enclosing pair of angle brackets; sets *len */
static const char *batv_strip(const char *addr, size_t *len)
{
    size_t  n = strlen(addr);

    if (n >= 2 && addr[0] == '<' && addr[n - 1] == '>') {
	*len = n - 2;
	return addr + 1;
    }
    *len = n;
    return addr;
}

/* batv_day - days since the epoch plus offset, modulo 1000 (floor for t < 0) */
static int batv_day(time_t now, int offset)
{
    long long d = (long long) now / 86400;

    if (now < 0 && (long long) now % 86400 != 0)
	d--;
    d = (d + offset) % 1000;
    return (int) (d < 0 ? d + 1000 : d);
}

/* batv_check_days - valid_days outside 1..BATV_MAX_DAYS is a caller bug */
static void batv_check_days(int valid_days)
{
    if (valid_days < 1 || valid_days > BATV_MAX_DAYS)
	msg_panic("batv: valid_days=%d out of range 1-%d", valid_days, BATV_MAX_DAYS);
}

/*
 * batv_mac - the first BATV_HASH_BYTES bytes of the tag MAC (see the top of
 * this file). kd is the four characters "KDDD". Fatal only when libcrypto
 * fails, which after the self-test in batv_keys_load means out of memory.
 */
static void batv_mac(const struct batv_key *key, const char *kd,
		             const char *local, size_t llen,
		             const char *domain, size_t dlen,
		             unsigned char out[BATV_HASH_BYTES])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    struct buf *msg = buf_alloc(4 + llen + 1 + dlen, 4 + llen + 1 + dlen);

    buf_append(msg, kd, 4);
    buf_append(msg, local, llen);
    buf_putc(msg, '@');
    for (size_t i = 0; i < dlen; i++)
	buf_putc(msg, tolower((unsigned char) domain[i]));
    if (HMAC(EVP_sha256(), key->secret, (int) key->len,
	     (const unsigned char *) msg->data, msg->len, md, &mdlen) == NULL
	|| mdlen < BATV_HASH_BYTES)
	msg_fatal("batv: HMAC-SHA256 failed (out of memory?)");
    memcpy(out, md, BATV_HASH_BYTES);
    OPENSSL_cleanse(md, sizeof(md));
    buf_free(msg);
}

/* batv_key_clear - wipe and release one secret */
static void batv_key_clear(struct batv_key *key)
{
    if (key->secret) {
	OPENSSL_cleanse(key->secret, key->len);
	free(key->secret);
    }
    key->secret = NULL;
    key->len = 0;
}

/* batv_keys_free - wipe and release every secret */
struct batv_keys *batv_keys_free(struct batv_keys *k)
{
    if (k) {
	for (int i = 0; i < BATV_NKEYS; i++)
	    batv_key_clear(&k->key[i]);
	free(k);
    }
    return NULL;
}

/* batv_blank - whitespace within a key file line */
static bool batv_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * batv_parse_line - one key file line [p, e): blank, "#..." comment, or
 * "<digit> <secret>". A secret has no blanks (so "1 s3cret # note" is refused
 * instead of taking "# note" into the secret). -1 with why (no file:line).
 */
static int batv_parse_line(struct batv_keys *k, const char *p, const char *e,
			           char *why, size_t whysz)
{
    const char *s;
    int     num;

    while (p < e && batv_blank((unsigned char) *p))
	p++;
    while (e > p && batv_blank((unsigned char) e[-1]))
	e--;
    if (p == e || *p == '#')
	return 0;
    if (memchr(p, '\0', (size_t) (e - p)) != NULL) {
	snprintf(why, whysz, "NUL byte in line");
	return -1;
    }
    if (!isdigit((unsigned char) p[0]) || (p + 1 < e && !batv_blank((unsigned char) p[1]))) {
	snprintf(why, whysz, "key number must be one digit 0-9");
	return -1;
    }
    num = p[0] - '0';
    for (p++; p < e && batv_blank((unsigned char) *p); p++)
	 /* void */ ;
    if (p == e) {
	snprintf(why, whysz, "no secret after key number %d", num);
	return -1;
    }
    for (s = p; p < e && !batv_blank((unsigned char) *p); p++)
	 /* void */ ;
    if (p < e) {
	snprintf(why, whysz, "text after the secret (a secret has no blanks, "
		 "comments are whole lines)");
	return -1;
    }
    if ((size_t) (p - s) < BATV_MIN_SECRET) {
	snprintf(why, whysz, "secret of key %d shorter than %d bytes", num, BATV_MIN_SECRET);
	return -1;
    }
    if (k->key[num].secret) {
	snprintf(why, whysz, "duplicate key number %d", num);
	return -1;
    }
    k->key[num].len = (size_t) (p - s);
    k->key[num].secret = xmalloc(k->key[num].len);
    memcpy(k->key[num].secret, s, k->key[num].len);
    k->signer = num;
    return 0;
}

/* batv_read - the whole of fd into data (size cap); -1 with why */
static ssize_t batv_read(int fd, char *data, size_t cap, const char *path,
			         char *why, size_t whysz)
{
    size_t  got = 0;
    ssize_t n;

    for (;;) {
	n = read(fd, data + got, cap - got);
	if (n < 0 && errno == EINTR)
	    continue;
	if (n < 0) {
	    snprintf(why, whysz, "%s: read: %s", path, strerror(errno));
	    return -1;
	}
	if (n == 0)
	    return (ssize_t) got;
	got += (size_t) n;
	if (got == cap) {
	    snprintf(why, whysz, "%s: larger than %d bytes", path, BATV_FILE_MAX);
	    return -1;
	}
    }
}

/* batv_selftest - false when libcrypto cannot compute HMAC-SHA256 */
static bool batv_selftest(const struct batv_keys *k)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    const struct batv_key *key = &k->key[k->signer];
    bool    good;

    good = HMAC(EVP_sha256(), key->secret, (int) key->len,
		(const unsigned char *) "0000", 4, md, &mdlen) != NULL
	&& mdlen >= BATV_HASH_BYTES;
    OPENSSL_cleanse(md, sizeof(md));
    return good;
}

/* batv_keys_load - read the key file */
struct batv_keys *batv_keys_load(const char *path, int *warn, char *why, size_t whysz)
{
    struct batv_keys *k = NULL;
    struct stat st;
    char   *data = NULL;
    char    reason[200];
    ssize_t len = -1;
    int     fd;
    int     line = 0;
    bool    any = false;

    if (warn)
	*warn = 0;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
	snprintf(why, whysz, "%s: open: %s", path, strerror(errno));
	return NULL;
    }
    if (fstat(fd, &st) < 0) {
	snprintf(why, whysz, "%s: fstat: %s", path, strerror(errno));
	goto out;
    }
    if (!S_ISREG(st.st_mode)) {
	snprintf(why, whysz, "%s: not a regular file", path);
	goto out;
    }
    data = xmalloc(BATV_FILE_MAX + 1);
    if ((len = batv_read(fd, data, BATV_FILE_MAX + 1, path, why, whysz)) < 0)
	goto out;
    k = xcalloc(1, sizeof(*k));
    for (const char *p = data, *end = data + len; p < end; line++) {
	const char *nl = memchr(p, '\n', (size_t) (end - p));
	const char *e = nl ? nl : end;

	if (batv_parse_line(k, p, e, reason, sizeof(reason)) < 0) {
	    snprintf(why, whysz, "%s:%d: %s", path, line + 1, reason);
	    k = batv_keys_free(k);
	    goto out;
	}
	p = nl ? nl + 1 : end;
    }
    for (int i = 0; i < BATV_NKEYS; i++)
	any = any || k->key[i].secret != NULL;
    if (!any) {
	snprintf(why, whysz, "%s: no keys", path);
	k = batv_keys_free(k);
	goto out;
    }
    if (!batv_selftest(k)) {
	snprintf(why, whysz, "%s: libcrypto cannot compute HMAC-SHA256", path);
	k = batv_keys_free(k);
	goto out;
    }
    if (warn && (st.st_mode & S_IROTH))
	*warn = 1;

out:
    if (data) {
	OPENSSL_cleanse(data, BATV_FILE_MAX + 1);
	free(data);
    }
    close(fd);
    return k;
}

/* batv_split - local and domain at the last '@'; false without both */
static bool batv_split(const char *a, size_t n, size_t *llen, const char **domain,
		               size_t *dlen)
{
    const char *at = memrchr(a, '@', n);

    if (at == NULL || at == a || at == a + n - 1)
	return false;
    *llen = (size_t) (at - a);
    *domain = at + 1;
    *dlen = n - *llen - 1;
    return true;
}

/* batv_sign - append the prvs= form of sender to out */
int     batv_sign(const struct batv_keys *k, const char *sender, time_t now,
		          int valid_days, struct buf *out, char *why, size_t whysz)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[BATV_HASH_BYTES];
    char    tag[BATV_TAG_LEN];
    const char *a;
    const char *domain;
    size_t  n;
    size_t  llen;
    size_t  dlen;
    int     day;

    batv_check_days(valid_days);
    a = batv_strip(sender, &n);
    if (n == 0) {
	snprintf(why, whysz, "null sender is never tagged");
	return -1;
    }
    if (!batv_split(a, n, &llen, &domain, &dlen)) {
	snprintf(why, whysz, "not a local@domain address");
	return -1;
    }
    if (llen >= BATV_PREFIX_LEN && strncasecmp(a, BATV_PREFIX, BATV_PREFIX_LEN) == 0) {
	snprintf(why, whysz, "already tagged");
	return -1;
    }
    if (llen + BATV_OVERHEAD > BATV_LOCAL_MAX) {
	snprintf(why, whysz, "local part longer than %d bytes cannot be tagged",
		 BATV_LOCAL_MAX - BATV_OVERHEAD);
	return -1;
    }
    if (n > BATV_ADDR_MAX) {
	snprintf(why, whysz, "address longer than %d bytes", BATV_ADDR_MAX);
	return -1;
    }
    day = batv_day(now, valid_days);
    tag[0] = (char) ('0' + k->signer);
    tag[1] = (char) ('0' + day / 100);
    tag[2] = (char) ('0' + day / 10 % 10);
    tag[3] = (char) ('0' + day % 10);
    batv_mac(&k->key[k->signer], tag, a, llen, domain, dlen, mac);
    for (int i = 0; i < BATV_HASH_BYTES; i++) {
	tag[4 + 2 * i] = hex[mac[i] >> 4];
	tag[5 + 2 * i] = hex[mac[i] & 0xf];
    }
    /* One all-or-nothing write: on overflow out is left as it was. */
    buf_printf(out, "%s%.*s=%.*s", BATV_PREFIX, BATV_TAG_LEN, tag, (int) n, a);
    if (buf_overflow(out)) {
	snprintf(why, whysz, "tagged address too long for the output buffer");
	return -1;
    }
    return 0;
}

/* batv_hexval - value of one hex digit, either case; -1 if not one */
static int batv_hexval(int c)
{
    if (c >= '0' && c <= '9')
	return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
	return c - 'a' + 10;
    return -1;
}

/* batv_parse_hash - the six hex digits of t into bytes; false if not hex */
static bool batv_parse_hash(const char *t, unsigned char out[BATV_HASH_BYTES])
{
    for (int i = 0; i < BATV_HASH_BYTES; i++) {
	int     hi = batv_hexval((unsigned char) t[2 * i]);
	int     lo = batv_hexval((unsigned char) t[2 * i + 1]);

	if (hi < 0 || lo < 0)
	    return false;
	out[i] = (unsigned char) (hi << 4 | lo);
    }
    return true;
}

/* batv_verify - check a recipient address */
enum batv_result batv_verify(const struct batv_keys *k, const char *rcpt,
			             time_t now, int valid_days, struct buf *plain)
{
    unsigned char want[BATV_HASH_BYTES];
    unsigned char seen[BATV_HASH_BYTES];
    const char *a;
    const char *t;
    const char *domain;
    size_t  n;
    size_t  llen;
    size_t  dlen;
    int     num;
    int     delta;
    bool    match;

    batv_check_days(valid_days);
    buf_reset(plain);
    a = batv_strip(rcpt, &n);
    if (n < BATV_PREFIX_LEN || strncasecmp(a, BATV_PREFIX, BATV_PREFIX_LEN) != 0)
	return BATV_NOT_TAGGED;
    t = a + BATV_PREFIX_LEN;
    n -= BATV_PREFIX_LEN;
    if (n < BATV_TAG_LEN + 1 || t[BATV_TAG_LEN] != '=')
	return BATV_MALFORMED;
    for (int i = 0; i < 4; i++)
	if (!isdigit((unsigned char) t[i]))
	    return BATV_MALFORMED;
    if (!batv_parse_hash(t + 4, seen))
	return BATV_MALFORMED;
    a = t + BATV_TAG_LEN + 1;
    n -= BATV_TAG_LEN + 1;
    if (n > BATV_ADDR_MAX || !batv_split(a, n, &llen, &domain, &dlen))
	return BATV_MALFORMED;
    num = t[0] - '0';
    if (k->key[num].secret == NULL)
	return BATV_UNKNOWN_KEY;
    batv_mac(&k->key[num], t, a, llen, domain, dlen, want);
    match = CRYPTO_memcmp(want, seen, BATV_HASH_BYTES) == 0;
    OPENSSL_cleanse(want, sizeof(want));
    if (!match)
	return BATV_BAD_HASH;
    delta = ((t[1] - '0') * 100 + (t[2] - '0') * 10 + (t[3] - '0')
	     - batv_day(now, 0) + 1000) % 1000;
    if (delta > valid_days)
	/* Days past expiry: 1000 - delta; days beyond the window: delta - V. */
	return 1000 - delta <= delta - valid_days ? BATV_EXPIRED : BATV_MALFORMED;
    buf_append(plain, a, n);
    if (buf_overflow(plain)) {
	buf_reset(plain);
	return BATV_MALFORMED;
    }
    return BATV_VALID;
}

/* batv_result_name - a name for logs */
const char *batv_result_name(enum batv_result r)
{
    static const char *const names[] = {
	[BATV_VALID] = "valid",
	[BATV_NOT_TAGGED] = "not tagged",
	[BATV_MALFORMED] = "malformed",
	[BATV_UNKNOWN_KEY] = "unknown key",
	[BATV_BAD_HASH] = "bad hash",
	[BATV_EXPIRED] = "expired",
    };

    if ((unsigned) r >= sizeof(names) / sizeof(names[0]) || names[r] == NULL)
	return "unknown result";
    return names[r];
}
