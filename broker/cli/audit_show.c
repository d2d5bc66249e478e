/* breakglass audit show: filtered listing, a table on a TTY or JSON Lines. */
#define _GNU_SOURCE	/* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/common.h"
#include "audit/audit.h"
#include "broker/cli/cli.h"

struct show {
	unsigned long long first, last;	/* seq range [first, last) */
	const char *since, *until;	/* time range [since, until) */
	const char *event, *actor, *account, *request;
	int json, tty;
	unsigned width;
	unsigned long long shown;
};

/* "A..B" (inclusive), "A..", "..B" or "A". */
static int
parse_range(const char *s, struct show *sh)
{
	const char *dots = strstr(s, "..");
	char a[32];
	size_t n = dots != NULL ? (size_t)(dots - s) : strlen(s);

	if (n >= sizeof(a))
		return -1;
	memcpy(a, s, n);
	a[n] = '\0';
	if (n > 0 && bg_cli_u64(a, &sh->first) != 0)
		return -1;
	if (dots == NULL) {
		sh->last = sh->first + 1;
		return n > 0 ? 0 : -1;
	}
	if (dots[2] != '\0') {
		if (bg_cli_u64(dots + 2, &sh->last) != 0 || sh->last == ~0ULL)
			return -1;
		sh->last++;
	}
	return sh->first <= sh->last ? 0 : -1;
}

/* A prefix of "YYYY-MM-DDTHH:MM:SS.mmmZ", at least the date. */
static int
time_arg_ok(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	size_t i, n = strlen(t);

	if (n < 10 || n > sizeof(shape) - 1)
		return 0;
	for (i = 0; i < n; i++)
		if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != shape[i])
			return 0;
	return 1;
}

static int
parse_opt(struct show *sh, const char *opt, const char *val)
{
	static const char *const names[] = { "--event", "--actor",
	    "--account", "--request" };
	const char **dst[] = { &sh->event, &sh->actor, &sh->account,
	    &sh->request };
	size_t i;

	if (strcmp(opt, "--seq") == 0)
		return parse_range(val, sh);
	if (strcmp(opt, "--since") == 0 || strcmp(opt, "--until") == 0) {
		*(opt[2] == 's' ? &sh->since : &sh->until) = val;
		return time_arg_ok(val) ? 0 : -1;
	}
	for (i = 0; i < 4; i++)
		if (strcmp(opt, names[i]) == 0) {
			*dst[i] = val;
			return 0;
		}
	return -1;
}

static int
parse_args(struct show *sh, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			sh->json = 1;
		else if (i + 1 >= argc || parse_opt(sh, argv[i], argv[i + 1]) != 0)
			return -1;
		else
			i++;
	}
	return 0;
}

static int
matches(const struct show *sh, const struct bg_audit_entry *e)
{
	return (sh->since == NULL || strcmp(e->time, sh->since) >= 0) &&
	    (sh->until == NULL || strcmp(e->time, sh->until) < 0) &&
	    (sh->event == NULL || strcmp(e->event, sh->event) == 0) &&
	    (sh->actor == NULL || strcmp(e->actor, sh->actor) == 0) &&
	    (sh->account == NULL || strcmp(e->account, sh->account) == 0) &&
	    (sh->request == NULL || strcmp(e->request, sh->request) == 0);
}

static void
print_row(const struct show *sh, const struct bg_audit_entry *e)
{
	char *detail = cJSON_PrintUnformatted(e->detail);
	int used;

	used = printf("%-6llu %-24s %-20s %-12s %-12s %-10s ",
	    (unsigned long long)e->seq, e->time, e->event, e->actor,
	    e->account, e->request);
	if (detail == NULL)
		detail = strdup("?");
	if (sh->tty && used > 0 && detail != NULL &&
	    strlen(detail) + (unsigned)used > sh->width && sh->width > (unsigned)used + 3) {
		detail[sh->width - (unsigned)used - 3] = '\0';
		printf("%s...\n", detail);
	} else
		printf("%s\n", detail != NULL ? detail : "");
	free(detail);
}

/* "key":"val" as the writer puts a plain value; NULL when val is not one */
static int
plain(const char *val)
{
	for (; *val != '\0'; val++)
		if ((unsigned char)*val < 0x20 || (unsigned char)*val > 0x7e ||
		    *val == '"' || *val == '\\')
			return 0;
	return 1;
}

/*
 * 0 when the raw line cannot match the filters, so it is passed over
 * unparsed (a long log is mostly other entries); 1 when it may match:
 * it is then parsed and matched exactly. The event is read from the
 * line's fixed start (bg_audit_line_event); actor, account and request,
 * when plain, must appear as "key":"value" somewhere in it.
 */
static int
may_match(const struct show *sh, const char *line, size_t len)
{
	const char *keys[] = { "actor", "account", "request" };
	const char *vals[] = { sh->actor, sh->account, sh->request };
	char pat[600];
	const char *name;
	size_t n, i;
	int k;

	if (sh->event != NULL && (name = bg_audit_line_event(line, len, &n)) !=
	    NULL && (n != strlen(sh->event) || memcmp(name, sh->event, n) != 0))
		return 0;
	for (i = 0; i < 3; i++) {
		if (vals[i] == NULL || !plain(vals[i]))
			continue;
		k = snprintf(pat, sizeof(pat), "\"%s\":\"%s\"", keys[i], vals[i]);
		if (k > 0 && (size_t)k < sizeof(pat) &&
		    memmem(line, len, pat, (size_t)k) == NULL)
			return 0;
	}
	return 1;
}

static int
show_one(void *ctx, uint64_t seq, const char *line, size_t len)
{
	struct show *sh = ctx;
	struct bg_audit_entry e;

	if (!may_match(sh, line, len))
		return 0;
	if (bg_audit_entry_parse(line, len, &e) != BG_OK || e.seq != seq) {
		bg_cli_error("entry %llu is malformed; run 'breakglass audit "
		    "verify'", (unsigned long long)seq);
		return BG_ETAMPER;
	}
	if (matches(sh, &e)) {
		if (sh->json)
			printf("%.*s\n", (int)len, line);
		else
			print_row(sh, &e);
		sh->shown++;
	}
	bg_audit_entry_free(&e);
	return 0;
}

/*
 * --since and --until narrow the seq range by binary search on the
 * entries' times (bg_audit_seek_time): the entries before and after are
 * never read. Every entry read is still matched against both exactly.
 */
static int
seek(bg_audit_t *log, struct show *sh)
{
	uint64_t s;
	int r;

	if (sh->since != NULL) {
		if ((r = bg_audit_seek_time(log, sh->since, &s)) != BG_OK)
			return r;
		if (s > sh->first)
			sh->first = s;
	}
	if (sh->until != NULL) {
		if ((r = bg_audit_seek_time(log, sh->until, &s)) != BG_OK)
			return r;
		if (s < sh->last)
			sh->last = s;
	}
	if (sh->first > sh->last)
		sh->first = sh->last;
	return BG_OK;
}

int
bg_cli_audit_show(struct bg_cli *cli, int argc, char **argv)
{
	struct show sh;
	struct winsize ws;
	bg_audit_t *log = NULL;
	int r;

	memset(&sh, 0, sizeof(sh));
	sh.last = ~0ULL;
	if (parse_args(&sh, argc, argv) != 0)
		return BG_EXIT_USAGE;
	sh.tty = isatty(STDOUT_FILENO);
	sh.width = sh.tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col > 0 ? ws.ws_col : 160;
	if ((r = bg_cli_check_state(cli)) != BG_EXIT_OK)
		return r;
	if ((r = bg_audit_open(cli->audit_dir, BG_AUDIT_READ, &log)) != BG_OK)
		return bg_cli_fail("cannot open the audit log", r);
	if ((r = seek(log, &sh)) != BG_OK) {
		bg_audit_close(&log);
		return bg_cli_fail("show", r);
	}
	if (!sh.json)
		printf("%-6s %-24s %-20s %-12s %-12s %-10s %s\n", "SEQ", "TIME",
		    "EVENT", "ACTOR", "ACCOUNT", "REQUEST", "DETAIL");
	r = bg_audit_foreach(log, sh.first, sh.last, show_one, &sh);
	bg_audit_close(&log);
	if (r != BG_OK)
		return r == BG_ETAMPER ? BG_EXIT_TAMPER : bg_cli_fail("show", r);
	return BG_EXIT_OK;
}
