/*
 * harness - what the libFuzzer targets in fuzz/ share: a check that aborts
 * with its reason (never compiled out, unlike assert()), quiet logging,
 * splitting an input into parts and lines, and files in a scratch directory
 * of this process.
 *
 * Inputs of several parts separate them with a line of its own "%%"
 * (HARNESS_SEP), so that seeds stay readable text.
 */
#ifndef DESTCTL_FUZZ_HARNESS_H
#define DESTCTL_FUZZ_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HARNESS_SEP	"\n%%\n"

/* libFuzzer's entry points, defined by each target: once, then per input. */
extern int LLVMFuzzerInitialize(int *argc, char ***argv);
extern int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* HARNESS_CHECK - abort with file, line and the condition when it is false. */
#define HARNESS_CHECK(cond) \
	((cond) ? (void) 0 : harness_fail(__FILE__, __LINE__, #cond))

/* harness_fail - print "FILE:LINE: check failed: what" and abort(). */
extern void harness_fail(const char *file, int line, const char *what)
	__attribute__((noreturn));

/* harness_init - once per process: destctl's log goes nowhere (not stderr). */
extern void harness_init(void);

/* A part of the input: borrowed from it, not NUL-terminated. */
struct harness_part {
    const char *p;
    size_t  len;
};

/*
 * harness_split - the input before the first HARNESS_SEP into *first, the
 * rest into *second; true when there was a separator (else *first is all of
 * it and *second is empty).
 */
extern bool harness_split(const uint8_t *data, size_t size,
			          struct harness_part *first,
			          struct harness_part *second);

/*
 * harness_line - the next line of *rest (without its LF) into *line, *rest
 * moved past it; false when *rest is empty.
 */
extern bool harness_line(struct harness_part *rest, struct harness_part *line);

/* harness_cstr - a NUL-terminated copy of part (caller frees; stops at a NUL). */
extern char *harness_cstr(struct harness_part part);

/*
 * harness_path - DIR/name in this process's scratch directory
 * (/tmp/destctl-fuzz.PID, or $DESTCTL_FUZZ_DIR when set; made on first use,
 * removed at exit with the files written by harness_write). Borrowed until
 * the next call.
 */
extern const char *harness_path(const char *name);

/* harness_write - replace DIR/name with len bytes (mode 0600); its path. */
extern const char *harness_write(const char *name, const void *data, size_t len);

/* harness_remove - remove DIR/name if it is there. */
extern void harness_remove(const char *name);

#endif
