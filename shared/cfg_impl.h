/*
 * cfg_impl - what cfg.c and cfg_dest.c share, and nobody else uses.
 */
#ifndef DESTCTL_CFG_IMPL_H
#define DESTCTL_CFG_IMPL_H

#include <libconfig.h>

#include "diag.h"

/* cfg_read - parse a libconfig file; NULL with its syntax error in d. */
extern config_t *cfg_read(const char *path, struct diag *d);

/* cfg_release - destroy what cfg_read returned (NULL is fine). */
extern void cfg_release(config_t *lc);

/* cfg_where - the file of setting s (fallback when unknown); *line its line. */
extern const char *cfg_where(const config_setting_t *s, const char *fallback,
				     int *line);

/* cfg_diag - add an entry placed at setting s (file fallback when unknown). */
extern void cfg_diag(struct diag *d, enum diag_level level,
		             const config_setting_t *s, const char *fallback,
		             const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Value checks for string keys and list elements (cfg_check.c): 0 when
 * value is acceptable, else -1 with why. */
typedef int (*cfg_check_fn)(const char *value, char *why, size_t whysz);

extern int cfg_check_endpoint(const char *value, char *why, size_t whysz);
extern int cfg_check_milter_socket(const char *value, char *why, size_t whysz);
extern int cfg_check_socket_mode(const char *value, char *why, size_t whysz);
extern int cfg_check_cidr(const char *value, char *why, size_t whysz);
extern int cfg_check_address(const char *value, char *why, size_t whysz);
extern int cfg_check_facility(const char *value, char *why, size_t whysz);
extern int cfg_check_proxy(const char *value, char *why, size_t whysz);
extern int cfg_check_nonempty(const char *value, char *why, size_t whysz);

#endif
