/*
 * cli_postfix - destctl postfix [--apply]: the Postfix side of the delivery
 * settings (delivery.h), shown with its differences from what is installed,
 * or installed safely.
 *
 * destctl owns the transport table (its source and the postmap'ed file) and
 * one marked block in each of main.cf and master.cf; nothing else in those
 * files is touched. --apply first checks what it can (the operator's own
 * default_transport, service names, tlsproxy, client certificate files),
 * postmaps the new table beside the old one, then puts everything in place,
 * runs `postfix check` and reloads a running Postfix. When a step fails,
 * every file is put back as it was, byte for byte. Applying twice changes
 * nothing the second time.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli.h"
#include "cli_postfix.h"
#include "delivery.h"
#include "fsafe.h"
#include "util.h"

extern char **environ;

#define PF_FILE_MAX	((size_t) 64 << 20)	/* main.cf, master.cf, the table */
#define PF_NEW		".destctl-new"
#define PF_OLD		".destctl-old"

/* pf_slurp - a whole file, or NULL with errno (ENOENT: absent) */
char   *pf_slurp(const char *path)
{
    int     fd = open(path, O_RDONLY | O_CLOEXEC);
    struct buf *b;
    char    chunk[65536];
    ssize_t n;

    if (fd < 0)
	return NULL;
    b = buf_alloc(4096, PF_FILE_MAX);
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
	buf_append(b, chunk, (size_t) n);
    close(fd);
    if (n < 0 || buf_overflow(b)) {
	buf_free(b);
	errno = n < 0 ? EIO : EFBIG;
	return NULL;
    }
    return buf_steal(b);
}

/* pf_block - the span of destctl's block in text: [*start, *end), or false */
static bool pf_block(const char *text, size_t *start, size_t *end)
{
    const char *b = text, *e;
    size_t  blen = strlen(DLV_BEGIN), elen = strlen(DLV_END);

    for (; b && *b; b = strchr(b, '\n') ? strchr(b, '\n') + 1 : NULL)
	if (strncmp(b, DLV_BEGIN, blen) == 0 && (b[blen] == ':' || b[blen] == '\n'))
	    break;
    if (b == NULL || *b == '\0')
	return false;
    for (e = b; e && *e; e = strchr(e, '\n') ? strchr(e, '\n') + 1 : NULL)
	if (strncmp(e, DLV_END, elen) == 0 && (e[elen] == '\n' || e[elen] == '\0'))
	    break;
    if (e == NULL || *e == '\0')
	return false;
    *start = (size_t) (b - text);
    *end = (size_t) (e - text) + elen + (e[elen] == '\n');
    return true;
}

/* pf_splice - text with its destctl block replaced by block (or appended) */
char   *pf_splice(const char *text, const char *block)
{
    struct buf *b = buf_alloc(4096, PF_FILE_MAX * 2);
    size_t  start, end;

    if (pf_block(text, &start, &end)) {
	buf_append(b, text, start);
	buf_puts(b, block);
	buf_puts(b, text + end);
    } else {
	buf_puts(b, text);
	if (b->len && b->data[b->len - 1] != '\n')
	    buf_putc(b, '\n');
	buf_puts(b, block);
    }
    return buf_steal(b);
}

/*
 * pf_logical - the next logical line of a Postfix file at *p (a line and its
 * continuation lines, which start with blanks), outside destctl's block;
 * *lineno its first line. NULL at the end. The caller frees.
 */
static char *pf_logical(const char **p, int *lineno, int *counter, bool *inblock)
{
    while (**p) {
	const char *s = *p, *nl = strchr(s, '\n');
	struct buf *b;

	*p = nl ? nl + 1 : s + strlen(s);
	(*counter)++;
	if (strncmp(s, DLV_BEGIN, strlen(DLV_BEGIN)) == 0)
	    *inblock = true;
	if (*inblock) {
	    if (strncmp(s, DLV_END, strlen(DLV_END)) == 0)
		*inblock = false;
	    continue;
	}
	if (*s == '#' || *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
	    continue;
	*lineno = *counter;
	b = buf_alloc(256, PF_FILE_MAX);
	buf_append(b, s, (size_t) ((nl ? nl : s + strlen(s)) - s));
	while (**p == ' ' || **p == '\t') {	/* continuation lines */
	    const char *c = *p, *cnl = strchr(c, '\n');

	    *p = cnl ? cnl + 1 : c + strlen(c);
	    (*counter)++;
	    if (strspn(c, " \t") < (size_t) ((cnl ? cnl : c + strlen(c)) - c)
		&& c[strspn(c, " \t")] != '#') {
		buf_putc(b, ' ');
		buf_append(b, c, (size_t) ((cnl ? cnl : c + strlen(c)) - c));
	    }
	}
	return buf_steal(b);
    }
    return NULL;
}

/* pf_main_value - the last value of parameter name in main.cf text, outside
 * destctl's block (NULL: not set); *line where. The caller frees. */
char   *pf_main_value(const char *text, const char *name, int *line)
{
    const char *p = text;
    char   *l, *value = NULL;
    int     counter = 0, at = 0;
    bool    inblock = false;
    size_t  len = strlen(name);

    while ((l = pf_logical(&p, &at, &counter, &inblock)) != NULL) {
	const char *v = l + len;

	if (strncmp(l, name, len) == 0 && (v += strspn(v, " \t"), *v == '=')) {
	    v++;
	    v += strspn(v, " \t");
	    free(value);
	    value = xstrdup(v);
	    for (size_t n = strlen(value); n > 0 && strchr(" \t\r", value[n - 1]); n--)
		value[n - 1] = '\0';
	    *line = at;
	}
	free(l);
    }
    return value;
}

/*
 * pf_master_field - field (0-based) of the master.cf service name/type
 * outside destctl's block, or NULL; *line where. With name ending in '*',
 * any service whose name starts with the rest. The caller frees.
 */
char   *pf_master_field(const char *text, const char *name, const char *type,
			        int field, int *line)
{
    const char *p = text;
    char   *l, *out = NULL;
    int     counter = 0, at = 0;
    bool    inblock = false;
    size_t  nlen = strlen(name);
    bool    prefix = nlen && name[nlen - 1] == '*';

    while (out == NULL && (l = pf_logical(&p, &at, &counter, &inblock)) != NULL) {
	char   *f[8], *save = NULL;
	int     n = 0;

	for (char *t = strtok_r(l, " \t\r", &save); t && n < 8;
	     t = strtok_r(NULL, " \t\r", &save))
	    f[n++] = t;
	if (n >= 8 && strcmp(f[1], type) == 0
	    && (prefix ? strncmp(f[0], name, nlen - 1) == 0 : strcmp(f[0], name) == 0)) {
	    out = xstrdup(f[field]);
	    *line = at;
	}
	free(l);
    }
    return out;
}

/* pf_run - run argv (no shell); its exit status, or -1. quiet: no output */
int     pf_run(char *const argv[], bool quiet)
{
    posix_spawn_file_actions_t fa;
    pid_t   pid;
    int     status, rc;

    posix_spawn_file_actions_init(&fa);
    if (quiet) {
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    }
    rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
	fprintf(stderr, "destctl: cannot run %s: %s\n", argv[0], strerror(rc));
	return -1;
    }
    while (waitpid(pid, &status, 0) < 0)
	if (errno != EINTR)
	    return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* pf_capture - run argv (no shell), its standard output into out */
int     pf_capture(char *const argv[], struct buf *out)
{
    posix_spawn_file_actions_t fa;
    pid_t   pid;
    int     fds[2], status, rc;
    char    chunk[65536];
    ssize_t n;

    if (pipe2(fds, O_CLOEXEC) < 0) {
	fprintf(stderr, "destctl: cannot run %s: %s\n", argv[0], strerror(errno));
	return -1;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
	close(fds[0]);
	fprintf(stderr, "destctl: cannot run %s: %s\n", argv[0], strerror(rc));
	return -1;
    }
    while ((n = read(fds[0], chunk, sizeof(chunk))) != 0) {
	if (n < 0 && errno == EINTR)
	    continue;
	if (n < 0)
	    break;
	buf_append(out, chunk, (size_t) n);
    }
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0)
	if (errno != EINTR)
	    return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* pf_db_path - the file postmap makes from table source path */
static char *pf_db_path(const struct cfg *c, const char *path)
{
    struct buf *b = buf_alloc(256, 8192);

    buf_printf(b, "%s.%s", path, strcmp(c->postfix_table_type, "hash") == 0 ? "db"
	       : c->postfix_table_type);
    return buf_steal(b);
}

/* pf_state_free - release */
void    pf_state_free(struct pf_state *st)
{
    free(st->main_path);
    free(st->master_path);
    free(st->db_path);
    free(st->main_old);
    free(st->master_old);
    free(st->table_old);
    free(st->main_new);
    free(st->master_new);
    free(st->table_new);
    dlv_plan_free(st->plan);
    memset(st, 0, sizeof(*st));
}

/* pf_state_load - read what is installed and generate what should be; -1
 * printed (CLI_USAGE in *rc for configuration errors, else CLI_FAILED) */
int     pf_state_load(const struct cfg *c, const struct profile_table *t,
		              struct pf_state *st, int *rc)
{
    struct diag d;
    struct buf *b;
    char   *chroot, *tlsproxy, *ifaces, *maps;
    int     line;

    memset(st, 0, sizeof(*st));
    diag_init(&d);
    if ((st->plan = dlv_plan_build(c, t, &d)) == NULL) {
	diag_print_errors(&d, stderr);
	diag_release(&d);
	*rc = CLI_USAGE;
	return -1;
    }
    diag_release(&d);
    b = buf_alloc(256, 8192);
    buf_printf(b, "%s/main.cf", c->postfix_config_directory);
    st->main_path = buf_steal(b);
    b = buf_alloc(256, 8192);
    buf_printf(b, "%s/master.cf", c->postfix_config_directory);
    st->master_path = buf_steal(b);
    st->db_path = pf_db_path(c, c->postfix_transport_table);
    *rc = CLI_FAILED;
    if ((st->main_old = pf_slurp(st->main_path)) == NULL
	|| (st->master_old = pf_slurp(st->master_path)) == NULL) {
	fprintf(stderr, "destctl: no Postfix configuration in %s: %s: %s (set "
		"postfix.config_directory)\n", c->postfix_config_directory,
		st->main_old ? st->master_path : st->main_path, strerror(errno));
	return -1;
    }
    if ((st->table_old = pf_slurp(c->postfix_transport_table)) == NULL
	&& errno != ENOENT) {
	fprintf(stderr, "destctl: cannot read %s: %s\n", c->postfix_transport_table,
		strerror(errno));
	return -1;
    }
    /* One-family services send from main.cf's addresses of their family. */
    ifaces = pf_main_value(st->main_old, "inet_interfaces", &line);
    if (ifaces && strchr(ifaces, '$')) {
	struct buf *x = buf_alloc(256, 65536);

	free(ifaces);
	ifaces = NULL;
	if (pf_capture((char *[]) {"postconf", "-c", c->postfix_config_directory, "-x",
		       "-h", "inet_interfaces", NULL}, x) == 0) {
	    x->data[strcspn(x->data, "\n")] = '\0';
	    ifaces = xstrdup(x->data);
	}
	buf_free(x);
    }
    /* ... and ask destctld over their family. */
    maps = pf_main_value(st->main_old, "smtp_tls_policy_maps", &line);
    diag_init(&d);
    if (dlv_plan_interfaces(st->plan, ifaces, st->main_path, &d) < 0
	|| dlv_plan_policy_maps(st->plan, maps, &c->agent_listen, st->main_path,
				&d) < 0) {
	diag_print_errors(&d, stderr);
	diag_release(&d);
	free(ifaces);
	free(maps);
	return -1;
    }
    diag_release(&d);
    free(ifaces);
    free(maps);
    /* Our services run chrooted or not as the stock smtp service does. */
    if ((chroot = pf_master_field(st->master_old, "smtp", "unix", 4, &line)) == NULL)
	chroot = xstrdup("-");
    tlsproxy = pf_master_field(st->master_old, "tlsproxy", "unix", 0, &line);
    b = buf_alloc(4096, PF_FILE_MAX);
    dlv_plan_master(st->plan, chroot, tlsproxy == NULL, b);
    free(tlsproxy);
    st->master_new = pf_splice(st->master_old, b->data);
    buf_reset(b);
    dlv_plan_main(st->plan, b);
    st->main_new = pf_splice(st->main_old, b->data);
    buf_reset(b);
    dlv_plan_transport(st->plan, c->destinations_file, b);
    st->table_new = buf_steal(b);
    free(chroot);
    return 0;
}

/* pf_db_current - the postmap'ed table exists and is not older than its source */
static bool pf_db_current(const struct cfg *c, const struct pf_state *st)
{
    struct stat src, db;

    return stat(c->postfix_transport_table, &src) == 0 && stat(st->db_path, &db) == 0
	&& (db.st_mtim.tv_sec > src.st_mtim.tv_sec
	    || (db.st_mtim.tv_sec == src.st_mtim.tv_sec
		&& db.st_mtim.tv_nsec >= src.st_mtim.tv_nsec));
}

/* pf_up_to_date - nothing to install */
bool    pf_up_to_date(const struct cfg *c, const struct pf_state *st)
{
    return st->table_old && strcmp(st->table_old, st->table_new) == 0
	&& strcmp(st->main_old, st->main_new) == 0
	&& strcmp(st->master_old, st->master_new) == 0 && pf_db_current(c, st);
}

/* pf_chain_check - a chain file smtp(8) can use: a key and its certificate */
static int pf_chain_check(const char *name, const char *path)
{
    FILE   *fp = fopen(path, "r");
    EVP_PKEY *key = NULL;
    X509   *cert = NULL, *x;
    int     rc = -1;

    if (fp == NULL) {
	fprintf(stderr, "destctl: certificate \"%s\": cannot read %s: %s\n", name,
		path, strerror(errno));
	return -1;
    }
    /* Postfix's chain files: the key first, then its certificate chain. */
    key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
    while (key && (x = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL) {
	if (cert == NULL)
	    cert = x;
	else
	    X509_free(x);
    }
    ERR_clear_error();
    fclose(fp);
    if (key == NULL)
	fprintf(stderr, "destctl: certificate \"%s\": %s does not start with a "
		"private key (Postfix's smtp_tls_chain_files: the key, then its "
		"certificate, then the chain)\n", name, path);
    else if (cert == NULL)
	fprintf(stderr, "destctl: certificate \"%s\": %s has no certificate after "
		"its key\n", name, path);
    else if (X509_check_private_key(cert, key) != 1)
	fprintf(stderr, "destctl: certificate \"%s\": in %s, the first certificate "
		"is not the key's\n", name, path);
    else
	rc = 0;
    ERR_clear_error();
    EVP_PKEY_free(key);
    X509_free(cert);
    return rc;
}

/* pf_precheck - what would make the installed result wrong; -1 printed */
static int pf_precheck(const struct cfg *c, const struct pf_state *st)
{
    char   *v;
    int     line, rc = 0;

    if ((v = pf_main_value(st->main_old, "default_transport", &line)) != NULL
	&& strcmp(v, "smtp") != 0 && strcmp(v, "smtp:") != 0) {
	fprintf(stderr, "destctl: %s:%d sets default_transport = %s: destctl's "
		"default profile needs default_transport = %s; remove that line "
		"(a route in the default profile sends all mail to a relay)\n",
		st->main_path, line, v, st->plan->default_transport);
	rc = -1;
    }
    free(v);
    if ((v = pf_master_field(st->master_old, "destctl-*", "unix", 0, &line)) != NULL) {
	fprintf(stderr, "destctl: %s:%d defines service %s outside destctl's "
		"block: destctl generates the destctl-* services; rename it\n",
		st->master_path, line, v);
	rc = -1;
    }
    free(v);
    for (size_t i = 0; i < st->plan->nsvc; i++) {
	const struct cfg_certificate *cert =
	cfg_certificate_find(c, st->plan->svc[i].s->client_certificate);

	if (cert && pf_chain_check(cert->name, cert->chain_file) < 0)
	    rc = -1;
    }
    return rc;
}

/* pf_transport_note - warn when main.cf does not use the table */
static void pf_transport_note(const struct cfg *c, const struct pf_state *st)
{
    char    want[8192];
    char   *v;
    int     line;

    snprintf(want, sizeof(want), "%s:%s", c->postfix_table_type,
	     c->postfix_transport_table);
    v = pf_main_value(st->main_old, "transport_maps", &line);
    if (v == NULL || strstr(v, want) == NULL)
	fprintf(stderr, "destctl: warning: %s has no transport_maps = %s: "
		"destinations get the default profile's service until it has "
		"(add that line once; see README, Postfix wiring)\n", st->main_path,
		want);
    free(v);
}

/* pf_seconds - a Postfix time value ("5d", "3600s", "90") in seconds, or -1 */
static long pf_seconds(const char *v)
{
    char   *end;
    long    n = strtol(v, &end, 10);
    static const char units[] = "smhdw";
    static const long mult[] = {1, 60, 3600, 86400, 604800};

    if (end == v || n < 0)
	return -1;
    if (*end == '\0')
	return n;
    if (end[1] != '\0' || strchr(units, *end) == NULL)
	return -1;
    return n * mult[strchr(units, *end) - units];
}

/* pf_lifetime_note - bounce profiles that Postfix's own lifetime cuts short */
static void pf_lifetime_note(const struct cfg *c, const struct pf_state *st)
{
    char   *v;
    int     line;
    long    max;

    v = pf_main_value(st->main_old, "maximal_queue_lifetime", &line);
    max = pf_seconds(v ? v : "5d");	/* Postfix's default */
    for (size_t i = 0; max > 0 && i < c->nbounce_profiles; i++)
	if (c->bounce_profiles[i].max_queue_lifetime > max)
	    fprintf(stderr, "destctl: warning: bounce profile \"%s\": "
		    "max_queue_lifetime %d s is longer than Postfix's "
		    "maximal_queue_lifetime (%s), which returns mail first\n",
		    c->bounce_profiles[i].name, c->bounce_profiles[i].max_queue_lifetime,
		    v ? v : "5d");
    free(v);
}

/* pf_diff - print the differences between old (NULL: absent) and new */
static void pf_diff(const char *path, const char *old, const char *new)
{
    char    a[] = "/tmp/destctl-diff.XXXXXX", b[] = "/tmp/destctl-diff.XXXXXX";
    char    la[8192], lb[8192];
    int     fa = mkstemp(a), fb = mkstemp(b);

    if (fa < 0 || fb < 0 || write(fa, old ? old : "", old ? strlen(old) : 0) < 0
	|| write(fb, new, strlen(new)) < 0) {
	fprintf(stderr, "destctl: cannot compare %s: %s\n", path, strerror(errno));
    } else {
	snprintf(la, sizeof(la), "%s (installed)", path);
	snprintf(lb, sizeof(lb), "%s (generated)", path);
	fflush(stdout);
	pf_run((char *[]) {
	       "diff", "-u", "--label", la, "--label", lb, a, b, NULL}, false);
    }
    if (fa >= 0)
	close(fa), unlink(a);
    if (fb >= 0)
	close(fb), unlink(b);
}

/* pf_show - what would be written, and how it differs */
static int pf_show(const struct cfg *c, struct pf_state *st)
{
    size_t  s, e;
    const char *blk;

    printf("destctl: the Postfix side of %zu destinations and the default profile:"
	   " %zu delivery services\n\n== %s ==\n%s\n", st->plan->nent,
	   st->plan->nsvc, c->postfix_transport_table, st->table_new);
    blk = st->master_new;
    if (pf_block(blk, &s, &e))
	printf("== %s (destctl's block) ==\n%.*s\n", st->master_path, (int) (e - s),
	       blk + s);
    blk = st->main_new;
    if (pf_block(blk, &s, &e))
	printf("== %s (destctl's block) ==\n%.*s\n", st->main_path, (int) (e - s),
	       blk + s);
    pf_transport_note(c, st);
    pf_lifetime_note(c, st);
    if (pf_up_to_date(c, st)) {
	printf("destctl: Postfix is up to date\n");
	return CLI_OK;
    }
    printf("== differences from what is installed ==\n");
    if (!st->table_old || strcmp(st->table_old, st->table_new) != 0)
	pf_diff(c->postfix_transport_table, st->table_old, st->table_new);
    else if (!pf_db_current(c, st))
	printf("%s is older than its source or missing\n", st->db_path);
    if (strcmp(st->master_old, st->master_new) != 0)
	pf_diff(st->master_path, st->master_old, st->master_new);
    if (strcmp(st->main_old, st->main_new) != 0)
	pf_diff(st->main_path, st->main_old, st->main_new);
    printf("destctl: run `destctl postfix --apply` to install this\n");
    return CLI_OK;
}

/* pf_suffixed - path + suffix (caller frees) */
static char *pf_suffixed(const char *path, const char *suffix)
{
    char   *out = xmalloc(strlen(path) + strlen(suffix) + 1);

    strcpy(out, path);
    strcat(out, suffix);
    return out;
}

/* pf_keep - hard-link path to path.destctl-old (absent: nothing); -1 printed */
static int pf_keep(const char *path)
{
    char   *old = pf_suffixed(path, PF_OLD);
    int     rc = 0;

    unlink(old);
    if (link(path, old) < 0 && errno != ENOENT) {
		fprintf(stderr, "destctl: cannot keep a copy of %s: %s\n", path,
			strerror(errno));
	rc = -1;
    }
    free(old);
    return rc;
}

/* pf_put_back - path.destctl-old back to path, or path removed (done: drop it) */
static void pf_put_back(const char *path, bool restore)
{
    char   *old = pf_suffixed(path, PF_OLD);

    if (!restore)
	unlink(old);
    else if (rename(old, path) < 0 && errno == ENOENT)
	unlink(path);
    free(old);
}

/*
 * pf_install_table - the new table source and its postmap'ed file in place,
 * the old ones kept as *.destctl-old for pf_restore. On failure, nothing is
 * changed (or everything put back); -1 printed.
 */
static int pf_install_table(const struct cfg *c, const struct pf_state *st)
{
    char   *src = pf_suffixed(c->postfix_transport_table, PF_NEW);
    char   *db = pf_db_path(c, src), *map;
    int     rc = -1;

    unlink(db);
    if (fsafe_write_new(src, 0644, st->table_new) < 0) {
	fprintf(stderr, "destctl: cannot write %s: %s\n", src, strerror(errno));
	goto out;
    }
    map = xmalloc(strlen(c->postfix_table_type) + strlen(src) + 2);
    sprintf(map, "%s:%s", c->postfix_table_type, src);	/* sized above */
    rc = pf_run((char *[]) {
		"postmap", "-c", c->postfix_config_directory, map, NULL}, false);
    free(map);
    if (rc != 0) {
	fprintf(stderr, "destctl: postmap failed on %s; nothing changed\n", src);
	rc = -1;
	goto out;
    }
    rc = -1;
    if (pf_keep(c->postfix_transport_table) < 0 || pf_keep(st->db_path) < 0) {
	pf_put_back(c->postfix_transport_table, false);
	pf_put_back(st->db_path, false);
	goto out;
    }
    /* The map first: the new source beside an old map is harmless. */
    if (rename(db, st->db_path) < 0 || rename(src, c->postfix_transport_table) < 0) {
	fprintf(stderr, "destctl: cannot install %s: %s\n", st->db_path,
		strerror(errno));
	pf_put_back(c->postfix_transport_table, true);
	pf_put_back(st->db_path, true);
	goto out;
    }
    rc = 0;
  out:
    unlink(src);
    unlink(db);
    free(src);
    free(db);
    return rc;
}

/* pf_restore - everything as it was */
static void pf_restore(const struct cfg *c, const struct pf_state *st)
{
    pf_put_back(c->postfix_transport_table, true);
    pf_put_back(st->db_path, true);
    if (cli_replace_file(st->main_path, st->main_old, strlen(st->main_old)) < 0
	|| cli_replace_file(st->master_path, st->master_old, strlen(st->master_old)) < 0)
	fprintf(stderr, "destctl: could not put back %s and %s as they were: "
		"check them by hand\n", st->main_path, st->master_path);
    else
	fprintf(stderr, "destctl: the Postfix configuration is as it was\n");
}

/* pf_apply - install; CLI_OK, or CLI_FAILED with everything as it was */
int     pf_apply(const struct cfg *c, struct pf_state *st)
{
    char   *dir = c->postfix_config_directory;
    bool    running;

    if (pf_precheck(c, st) < 0) {
	fprintf(stderr, "destctl: nothing changed\n");
	return CLI_FAILED;
    }
    pf_transport_note(c, st);
    if (pf_up_to_date(c, st)) {
	printf("destctl: Postfix is up to date; nothing to do\n");
	return CLI_OK;
    }
    if (pf_install_table(c, st) < 0)
	return CLI_FAILED;
    if (cli_replace_file(st->master_path, st->master_new, strlen(st->master_new)) < 0
	|| cli_replace_file(st->main_path, st->main_new, strlen(st->main_new)) < 0) {
	pf_restore(c, st);
	return CLI_FAILED;
    }
    if (pf_run((char *[]) {"postfix", "-c", dir, "check", NULL}, false) != 0) {
	fprintf(stderr, "destctl: `postfix check` failed on the new configuration\n");
	pf_restore(c, st);
	return CLI_FAILED;
    }
    running = pf_run((char *[]) {"postfix", "-c", dir, "status", NULL}, true) == 0;
    if (running && pf_run((char *[]) {"postfix", "-c", dir, "reload", NULL}, true) != 0) {
	fprintf(stderr, "destctl: `postfix reload` failed\n");
	pf_restore(c, st);
	pf_run((char *[]) {"postfix", "-c", dir, "reload", NULL}, true);
	return CLI_FAILED;
    }
    pf_put_back(c->postfix_transport_table, false);
    pf_put_back(st->db_path, false);
    printf("destctl: installed %zu delivery services for %zu destinations in %s%s\n",
	   st->plan->nsvc, st->plan->nent, dir,
	   running ? "; Postfix reloaded" : "; Postfix is not running");
    return CLI_OK;
}

/* cli_postfix - destctl postfix [--apply] */
int     cli_postfix(struct cli *cli)
{
    struct cfg *c;
    struct pf_state st;
    int     rc, lockfd = -1;

    if (cli->argc > 0 || cli->nopts > 0)
	return cli_usage("postfix", "postfix takes no arguments, only --apply");
    if ((c = cli->apply ? cli_load_locked(cli, &lockfd) : cli_load(cli)) == NULL)
	return CLI_USAGE;
    if (pf_state_load(c, c->profiles, &st, &rc) == 0)
	rc = cli->apply ? pf_apply(c, &st) : pf_show(c, &st);
    pf_state_free(&st);
    cfg_free(c);
    if (lockfd >= 0)
	close(lockfd);
    return rc;
}

/* cli_postfix_changed - after a change of destinations */
void    cli_postfix_changed(const struct cfg *c, const struct profile_table *t)
{
    struct pf_state st;
    struct stat sb;
    char    main_cf[8192];
    int     rc;

    snprintf(main_cf, sizeof(main_cf), "%s/main.cf", c->postfix_config_directory);
    if (stat(main_cf, &sb) < 0)
	return;				/* no Postfix here */
    if (pf_state_load(c, t, &st, &rc) < 0) {
	fprintf(stderr, "destctl: warning: the Postfix side cannot be generated "
		"(above); Postfix keeps its delivery services\n");
    } else if (!pf_up_to_date(c, &st)) {
	if (strcmp(c->postfix_apply, "auto") == 0)
	    pf_apply(c, &st);
	else
	    printf("destctl: the Postfix side changed: run `destctl postfix "
		   "--apply` to apply it (`destctl postfix` shows it)\n");
    }
    pf_state_free(&st);
}
