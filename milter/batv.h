/*
 * batv - bounce address tag validation: the envelope sender of outbound mail
 * is rewritten to a "prvs=" address (a key number, an expiry day and a keyed
 * hash), so that a bounce can be told from backscatter: a bounce to a valid,
 * unexpired tag is real; one to a forged or expired tag is refused.
 *
 * Format (as the BATV draft's "prvs" scheme): prvs=KDDDHHHHHH=local@domain,
 * K the key number (0-9), DDD the expiry day (days since the epoch, modulo
 * 1000), HHHHHH six hex digits of an HMAC over "KDDD" and the original
 * address. Keys come from a root-only file of lines "<keynum 0-9> <secret>";
 * the last line is the key that signs, every listed key verifies (rotation:
 * add a new last line, drop the old key after its tags have expired).
 * Comparisons are constant-time. Pure apart from batv_keys_load.
 */
#ifndef DESTCTL_BATV_H
#define DESTCTL_BATV_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

enum batv_result {
    BATV_VALID,				/* a good tag, not expired: *plain set */
    BATV_NOT_TAGGED,			/* no prvs= form: an untagged address */
    BATV_MALFORMED,			/* prvs= but not a well-formed tag */
    BATV_UNKNOWN_KEY,			/* the key number is not in the key file */
    BATV_BAD_HASH,			/* forged, or signed with another secret */
    BATV_EXPIRED,			/* the tag's day has passed */
};

struct batv_keys;

/*
 * batv_keys_load - read the key file. NULL with why for an unreadable file,
 * a malformed line ("FILE:LINE: ..."), a duplicate key number, no key, or a
 * secret shorter than 16 bytes. A file readable by others is loaded but
 * *warn is set (warn may be NULL); group-readable is how agent.user reads
 * it (root:destctl 0640).
 */
extern struct batv_keys *batv_keys_load(const char *path, int *warn, char *why,
				                size_t whysz);

/* batv_keys_free - NULL-tolerant; returns NULL. Secrets are wiped. */
extern struct batv_keys *batv_keys_free(struct batv_keys *k);

/*
 * batv_sign - append the prvs= form of sender (local@domain) to out, valid
 * for valid_days (1..499; a caller bug otherwise) from now. One enclosing
 * <> is dropped. -1 with why, out unchanged, for an address it cannot tag
 * (empty, no '@', already tagged, local part too long for a 64-byte result).
 */
extern int batv_sign(const struct batv_keys *k, const char *sender, time_t now,
		             int valid_days, struct buf *out, char *why, size_t whysz);

/*
 * batv_verify - check a recipient address. BATV_VALID puts the plain address
 * in plain (reset first; a maximum of at least 254). valid_days bounds how
 * far in the future an expiry day may lie (a day too far ahead is
 * BATV_MALFORMED). The hash is checked before the day: BATV_EXPIRED and a
 * too-far-ahead BATV_MALFORMED are only said of authentic tags.
 */
extern enum batv_result batv_verify(const struct batv_keys *k, const char *rcpt,
				            time_t now, int valid_days, struct buf *plain);

/* batv_result_name - "valid", "not tagged", "malformed", ... for logs. */
extern const char *batv_result_name(enum batv_result r);

#endif
