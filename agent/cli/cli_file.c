/*
 * cli_file - the destinations file: atomic rewrite, locking, export, import,
 * check-config, and telling a running agent to reload.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

#define CLI_FILE_MAX	((size_t) 256 << 20)	/* a destinations file's text */
#define CLI_HEADER_MAX	4096
#define CLI_MANAGED	"# Managed by destctl"
#define CLI_HEADER	CLI_MANAGED ": `destctl new/edit/delete/default/import` " \
			"rewrite this\n# file; only this header comment survives a rewrite.\n"

/* cli_dir_of - the directory part of path (caller frees) */
static char *cli_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
	return xstrdup(".");
    if (slash == path)
	return xstrdup("/");
    return xstrndup(path, (size_t) (slash - path));
}

/* cli_load_locked - load under the writers' lock */
struct cfg *cli_load_locked(const struct cli *cli, int *lockfd)
{
    struct cfg *c;
    char   *dir;
    int     fd;

    if ((c = cli_load(cli)) == NULL)
	return NULL;
    dir = cli_dir_of(c->destinations_file);
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || flock(fd, LOCK_EX) < 0) {
	fprintf(stderr, "destctl: cannot lock directory %s: %s\n", dir, strerror(errno));
	if (fd >= 0)
	    close(fd);
	free(dir);
	return cfg_free(c);
    }
    free(dir);
    cfg_free(c);			/* another writer may have changed it */
    if ((c = cli_load(cli)) == NULL) {
	close(fd);
	return NULL;
    }
    *lockfd = fd;
    return c;
}

/*
 * cli_header - the leading comment block of the current file, or ours. It
 * always says the file is managed by destctl.
 */
static char *cli_header(const char *path)
{
    struct buf *b = buf_alloc(256, CLI_HEADER_MAX);
    char    line[1024];
    FILE   *fp;

    if ((fp = fopen(path, "r")) != NULL) {
	while (fgets(line, sizeof(line), fp) != NULL && line[0] == '#')
	    buf_puts(b, line);
	fclose(fp);
    }
    if (buf_overflow(b) || b->len == 0 || strstr(b->data, CLI_MANAGED) == NULL) {
	struct buf *h = buf_alloc(256, CLI_HEADER_MAX * 2);

	buf_puts(h, CLI_HEADER);
	if (!buf_overflow(b))
	    buf_puts(h, b->data);
	buf_free(b);
	b = h;
    }
    return buf_steal(b);
}

/* cli_write_all - write n bytes */
static int cli_write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
	ssize_t w = write(fd, p, n);

	if (w < 0 && errno == EINTR)
	    continue;
	if (w < 0)
	    return -1;
	p += w;
	n -= (size_t) w;
    }
    return 0;
}

/* cli_replace_file - atomically (see cli.h) */
int     cli_replace_file(const char *path, const char *text, size_t len)
{
    char   *dir = cli_dir_of(path), *tmp;
    struct stat st;
    int     fd, dfd = -1, rc = -1;
    mode_t  mode = 0644;

    tmp = xmalloc(strlen(path) + 16);
    sprintf(tmp, "%s.tmp.XXXXXX", path);	/* sized above */
    if (stat(path, &st) == 0)
	mode = st.st_mode & 07777;
    if ((fd = mkstemp(tmp)) < 0) {
	fprintf(stderr, "destctl: cannot create a temporary file in %s: %s\n",
		dir, strerror(errno));
	goto out;
    }
    if (fchmod(fd, mode) < 0 || cli_write_all(fd, text, len) < 0 || fsync(fd) < 0) {
	fprintf(stderr, "destctl: cannot write %s: %s\n", tmp, strerror(errno));
	close(fd);
	unlink(tmp);
	goto out;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
	fprintf(stderr, "destctl: cannot replace %s: %s\n", path, strerror(errno));
	unlink(tmp);
	goto out;
    }
    if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fsync(dfd) < 0) {
	fprintf(stderr, "destctl: cannot sync directory %s: %s\n", dir, strerror(errno));
	goto out;
    }
    rc = 0;
  out:
    if (dfd >= 0)
	close(dfd);
    free(tmp);
    free(dir);
    return rc;
}

/* cli_signal_agent - SIGHUP the agent named by the pid file, if it runs */
static void cli_signal_agent(const struct cfg *c)
{
    FILE   *fp = fopen(c->agent_pid_file, "r");
    long    pid;

    if (fp == NULL)
	return;				/* no agent running: nothing to do */
    if (fscanf(fp, "%ld", &pid) != 1 || pid <= 1) {
	fprintf(stderr, "destctl: warning: %s does not hold a process id; reload "
		"destctld yourself\n", c->agent_pid_file);
    } else if (kill((pid_t) pid, SIGHUP) == 0) {
	printf("destctl: told destctld (pid %ld) to reload\n", pid);
    } else if (errno != ESRCH) {
	fprintf(stderr, "destctl: warning: cannot signal destctld (pid %ld): %s; "
		"reload it yourself\n", pid, strerror(errno));
    }
    fclose(fp);
}

/* cli_render - the destinations file text for t, with the file's header */
static struct buf *cli_render(const struct cfg *c, const struct profile_table *t)
{
    struct buf *out = buf_alloc(4096, CLI_FILE_MAX);
    char   *header = cli_header(c->destinations_file);

    cfg_write_destinations(t, header, out);
    free(header);
    return out;
}

/* cli_commit - validate, write, signal */
int     cli_commit(const struct cfg *c, struct profile_table *t, const char *done)
{
    struct diag d;
    struct buf *text = NULL;
    int     rc = CLI_OK;

    diag_init(&d);
    profile_table_resolve(t);
    if (cfg_check_profiles(c, t, &d) > 0) {
	diag_print_errors(&d, stderr);
	fprintf(stderr, "destctl: nothing changed\n");
	rc = CLI_USAGE;
	goto out;
    }
    text = cli_render(c, t);
    if (buf_overflow(text)) {
	fprintf(stderr, "destctl: the destinations file would exceed %zu bytes; "
		"nothing changed\n", CLI_FILE_MAX);
	rc = CLI_FAILED;
	goto out;
    }
    if (cli_replace_file(c->destinations_file, text->data, text->len) < 0) {
	rc = CLI_FAILED;
	goto out;
    }
    printf("destctl: %s\n", done);
    cli_signal_agent(c);
    cli_postfix_changed(c, t);
  out:
    buf_free(text);
    diag_release(&d);
    profile_table_free(t);
    return rc;
}

/* cli_export - export FILE|- */
int     cli_export(struct cli *cli)
{
    struct cfg *c;
    struct buf *text;
    int     rc = CLI_OK;

    if (cli->argc != 1 || cli->nopts)
	return cli_usage("export", "export takes one FILE, or - for standard output");
    if ((c = cli_load(cli)) == NULL)
	return CLI_USAGE;
    text = cli_render(c, c->profiles);
    if (strcmp(cli->argv[0], "-") == 0) {
	if (fwrite(text->data, 1, text->len, stdout) != text->len || fflush(stdout) != 0) {
	    fprintf(stderr, "destctl: cannot write standard output: %s\n",
		    strerror(errno));
	    rc = CLI_FAILED;
	}
    } else if (cli_replace_file(cli->argv[0], text->data, text->len) < 0) {
	rc = CLI_FAILED;
    }
    buf_free(text);
    cfg_free(c);
    return rc;
}

/* cli_import - import [--merge] FILE|- */
int     cli_import(struct cli *cli)
{
    struct profile_table *in, *t;
    struct cfg *c;
    struct diag d;
    char    done[128];
    int     lock, rc;

    if (cli->argc != 1 || cli->nopts)
	return cli_usage("import", "import takes one FILE, or - for standard input");
    if ((c = cli_load_locked(cli, &lock)) == NULL)
	return CLI_USAGE;
    diag_init(&d);
    if ((in = cfg_load_destinations(c, cli->argv[0], &d)) == NULL) {
	diag_print_errors(&d, stderr);
	fprintf(stderr, "destctl: nothing imported\n");
	rc = CLI_USAGE;
	goto out;
    }
    if (cli->merge) {
	t = profile_table_copy(c->profiles);
	if (in->def->file)			/* FILE has a default group */
	    profile_table_set_default(t, profile_copy(in->def));
	for (size_t i = 0; i < in->n; i++)
	    profile_table_replace(t, profile_copy(in->v[i]));
	snprintf(done, sizeof(done), "merged %zu destinations", in->n);
	profile_table_free(in);
    } else {
	t = in;
	snprintf(done, sizeof(done), "imported %zu destinations", in->n);
    }
    rc = cli_commit(c, t, done);
  out:
    diag_release(&d);
    cfg_free(c);
    close(lock);
    return rc;
}

/* cli_check_config - check-config */
int     cli_check_config(struct cli *cli)
{
    struct diag d;
    struct cfg *c;
    int     rc;

    if (cli->argc || cli->nopts)
	return cli_usage("check-config", "check-config takes no arguments");
    diag_init(&d);
    /* What destctld would refuse, check-config reports. */
    if ((c = cfg_load(cli->config, &d)) != NULL) {
	int     bad = cfg_destinations_check(c, &d);

	bad |= cfg_trust_check(c, cfg_daemon_uid(c->agent_user), &d);
	if (bad < 0)
	    c = cfg_free(c);
    }
    diag_print(&d, c ? stdout : stderr);
    if (c) {
	printf("%s: configuration valid: %zu destinations%s\n", cli->config,
	       c->profiles->n, d.nwarnings ? ", warnings above" : "");
	rc = CLI_OK;
    } else {
	fprintf(stderr, "%s: configuration invalid: %d error%s\n", cli->config,
		d.nerrors, d.nerrors == 1 ? "" : "s");
	rc = CLI_USAGE;
    }
    cfg_free(c);
    diag_release(&d);
    return rc;
}
