/*
 * broker/cli/: what every command shares: errors and exit codes, strict
 * numbers, subcommand tables, options.
 */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "broker/cli/cli.h"

/*
 * A detail already said by the message (bg_cli_fail's detail that repeats
 * bg_strerror, or a why that a caller formatted in) is not said twice.
 */
void
bg_cli_error(const char *fmt, ...)
{
	const char *why = bg_why();
	char msg[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fputs("breakglass: ", stderr);
	if (n >= 0 && (size_t)n < sizeof(msg)) {
		fputs(msg, stderr);
		if (strstr(msg, why) != NULL)
			why = "";
	} else if (n >= 0) {	/* bounded: an argument may be huge */
		fputs(msg, stderr);
		fprintf(stderr, "... (%zu more bytes not shown)",
		    (size_t)n - (sizeof(msg) - 1));
	}
	if (why[0] != '\0')
		fprintf(stderr, ": %s", why);
	fputc('\n', stderr);
}

int
bg_cli_fail(const char *what, int err)
{
	const char *text = bg_strerror(err);

	/* a detail that holds the code's text says it better: "approve:
	 * carol: the token was not touched in time", not that twice */
	if (bg_why()[0] != '\0' && strstr(bg_why(), text) != NULL)
		bg_cli_error("%s", what);
	else
		bg_cli_error("%s: %s", what, text);
	if (err == BG_ETAMPER || err == BG_ECONSIST || err == BG_ESIG)
		return BG_EXIT_TAMPER;
	return BG_EXIT_FAIL;
}

int
bg_cli_u64(const char *s, unsigned long long *out)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

int
bg_cli_dispatch(struct bg_cli *cli, const char *group,
    const struct bg_cli_cmd *cmds, int argc, char **argv)
{
	const struct bg_cli_cmd *c;
	int r;

	for (c = cmds; argc > 0 && c->name != NULL; c++) {
		if (strcmp(argv[0], c->name) != 0)
			continue;
		if ((r = c->fn(cli, argc - 1, argv + 1)) == BG_EXIT_USAGE)
			fprintf(stderr, "usage: breakglass %s\n", c->usage);
		return r;
	}
	fprintf(stderr, "usage: breakglass %s COMMAND; commands:\n", group);
	for (c = cmds; c->name != NULL; c++)
		fprintf(stderr, "  breakglass %s\n", c->usage);
	return BG_EXIT_USAGE;
}

int
bg_cli_opts(int argc, char **argv, const struct bg_cli_opt *opts,
    const char **pos, size_t maxpos, size_t *npos)
{
	const struct bg_cli_opt *o;
	int i;

	*npos = 0;
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) != 0) {
			if (*npos >= maxpos)
				return -1;
			pos[(*npos)++] = argv[i];
			continue;
		}
		for (o = opts; o->name != NULL; o++)
			if (strcmp(o->name, argv[i]) == 0)
				break;
		if (o->name == NULL)
			return -1;
		if (o->flag != NULL) {
			if (*o->flag)
				return -1;
			*o->flag = 1;
		} else if (i + 1 >= argc) {
			return -1;
		} else if (o->vals != NULL) {
			if (*o->n >= o->max)
				return -1;
			o->vals[(*o->n)++] = argv[++i];
		} else {
			if (*o->val != NULL)
				return -1;
			*o->val = argv[++i];
		}
	}
	return 0;
}

const char *
bg_cli_login_name(void)
{
	static char name[64];
	struct passwd *pw;

	if (name[0] != '\0')
		return name;
	pw = getpwuid(geteuid());
	if (pw == NULL || pw->pw_name == NULL || pw->pw_name[0] == '\0' ||
	    strlen(pw->pw_name) >= sizeof(name) || !bg_text_ok(pw->pw_name, 0))
		snprintf(name, sizeof(name), "uid:%u", (unsigned)geteuid());
	else
		snprintf(name, sizeof(name), "%s", pw->pw_name);
	return name;
}

/*
 * Names the first argument that is not clean text (common/text.c) by its
 * place and the option it belongs to, never by its bytes (it may be a
 * secret, or a terminal escape).
 */
#define TEXT_RULE "text given to breakglass is UTF-8 without control or " \
	"direction characters (no newline or tab)"

int
bg_cli_args_text(int argc, char **argv)
{
	const char *problem;
	size_t off;
	int i;

	for (i = 0; i < argc; i++) {
		if (bg_text_check(argv[i], strlen(argv[i]), 0, &off,
		    &problem) == BG_OK)
			continue;
		bg_clear_why();
		if (i > 0 && strncmp(argv[i - 1], "--", 2) == 0 &&
		    bg_text_ok(argv[i - 1], 0))
			bg_cli_error("the value of %.40s holds %s at byte %zu; "
			    "%s", argv[i - 1], problem, off, TEXT_RULE);
		else
			bg_cli_error("command-line argument %d holds %s at "
			    "byte %zu; %s", i + 1, problem, off, TEXT_RULE);
		return -1;
	}
	return 0;
}
