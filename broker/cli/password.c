/*
 * breakglass password ...: the root password rule on its own. A password
 * to check is read from standard input, never from the command line
 * (which other users can see in the process list).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "broker/cli/cli.h"
#include "broker/secrets/secrets.h"

#define PW_BUF (BG_PW_MAX + 2)	/* BG_PW_MAX + 1 bytes and a NUL */

struct pw_args {
	const char *account;	/* account name (--account-name) */
	const char *email;	/* root e-mail (--root-email) */
	unsigned long long len;
};

static int
parse(struct pw_args *a, int argc, char **argv, int allow_len)
{
	int i;

	for (i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--account-name") == 0)
			a->account = argv[i + 1];
		else if (strcmp(argv[i], "--root-email") == 0)
			a->email = argv[i + 1];
		else if (allow_len && strcmp(argv[i], "--length") == 0 &&
		    bg_cli_u64(argv[i + 1], &a->len) == 0)
			;
		else
			return -1;
	}
	return i == argc ? 0 : -1;
}

static int
cmd_generate(struct bg_cli *cli, int argc, char **argv)
{
	struct pw_args a = { NULL, NULL, BG_PW_GEN_LEN };
	char *pw;
	int r;

	(void)cli;
	if (parse(&a, argc, argv, 1) != 0)
		return BG_EXIT_USAGE;
	if (a.len < BG_PW_MIN || a.len > BG_PW_MAX) {
		bg_cli_error("--length must be %d to %d", BG_PW_MIN, BG_PW_MAX);
		return BG_EXIT_USAGE;
	}
	if ((pw = bg_secure_alloc(PW_BUF)) == NULL)
		return bg_cli_fail("password generate", BG_ENOMEM);
	if ((r = bg_pw_generate((size_t)a.len, a.account, a.email, pw,
	    PW_BUF)) == BG_OK)
		printf("%s\n", pw);
	bg_secure_free(&pw, PW_BUF);
	return r == BG_OK ? BG_EXIT_OK : bg_cli_fail("password generate", r);
}

static int
cmd_check(struct bg_cli *cli, int argc, char **argv)
{
	struct pw_args a = { NULL, NULL, 0 };
	enum bg_pw_rule rule;
	size_t len;
	char *pw;
	int r;

	(void)cli;
	if (parse(&a, argc, argv, 0) != 0)
		return BG_EXIT_USAGE;
	if (isatty(STDIN_FILENO))
		fprintf(stderr, "password to check (one line, echoed; pipe it "
		    "in to keep it off the screen): ");
	if ((pw = bg_secure_alloc(PW_BUF)) == NULL)
		return bg_cli_fail("password check", BG_ENOMEM);
	/* one byte more than allowed, so an over-long one is named as such */
	r = bg_read_line(STDIN_FILENO, pw, BG_PW_MAX + 1, &len);
	if (r == BG_OK || r == BG_ETOOBIG)
		r = bg_pw_check(pw, len, a.account, a.email, &rule);
	bg_secure_free(&pw, PW_BUF);
	if (r != BG_OK) {
		bg_cli_error("the password is refused");
		return BG_EXIT_FAIL;
	}
	printf("ok: the password meets the root password rule\n");
	return BG_EXIT_OK;
}

int
bg_cli_password(struct bg_cli *cli, int argc, char **argv)
{
	static const struct bg_cli_cmd cmds[] = {
		{ "generate", cmd_generate, "password generate [--length N] "
		    "[--account-name NAME] [--root-email ADDR]" },
		{ "check", cmd_check, "password check [--account-name NAME] "
		    "[--root-email ADDR]  (the password on standard input)" },
		{ NULL, NULL, NULL },
	};

	return bg_cli_dispatch(cli, "password", cmds, argc, argv);
}
