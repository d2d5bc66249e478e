/*
 * breakglass token ...: hardware tokens on their own, with descriptor
 * files. (The vault issue binds descriptors to custodians.)
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "tokens/token.h"
#include "broker/cli/cli.h"

#define DESC_FILE_MAX 65536

/* common.c: failures from here on are an enrollment's (cli.h's place) */

static int
cmd_list(struct bg_cli *cli, int argc, char **argv)
{
	struct bg_token_dev *devs = NULL;
	size_t i, n = 0;
	int r;

	(void)cli;
	(void)argv;
	if (argc != 0)
		return BG_EXIT_USAGE;
	if ((r = bg_token_list(&devs, &n)) != BG_OK)
		return bg_cli_fail("listing tokens", r);
	printf("%-8s %-40s %s\n", "KIND", "PATH/SERIAL", "MODEL");
	for (i = 0; i < n; i++) {
		if (devs[i].kind == BG_TOKEN_FIDO2)
			printf("%-8s %-40s %s\n", "fido2", devs[i].path,
			    devs[i].model);
		else
			printf("%-8s %-40u %s\n", "yubikey", devs[i].serial,
			    devs[i].model);
	}
	if (n == 0)
		fprintf(stderr, "no tokens found\n");
	free(devs);
	return BG_EXIT_OK;
}

static int
int_arg(const char *s, unsigned long long max, unsigned long long *out)
{
	return bg_cli_u64(s, out) == 0 && *out <= max ? 0 : -1;
}

/* Options shared by enroll, check and program-yubikey. */
static int
token_opt(struct bg_token_opts *o, const char *opt, const char *val)
{
	unsigned long long v;

	if (strcmp(opt, "--device") == 0)
		o->device = val;
	else if (strcmp(opt, "--serial") == 0 && int_arg(val, UINT32_MAX, &v) == 0)
		o->serial = (uint32_t)v;
	else if (strcmp(opt, "--slot") == 0 && int_arg(val, 2, &v) == 0 && v > 0)
		o->slot = (int)v;
	else if (strcmp(opt, "--pin-fd") == 0 && int_arg(val, INT_MAX, &v) == 0)
		o->pin_fd = (int)v;
	else if (strcmp(opt, "--label") == 0)
		o->label = val;
	else if (strcmp(opt, "--trust") == 0)
		o->trust_pem = val;
	else if (strcmp(opt, "--uv") == 0 && strcmp(val, "pin") == 0)
		o->uv = BG_TOKEN_UV_PIN;
	else if (strcmp(opt, "--uv") == 0 && strcmp(val, "none") == 0)
		o->uv = BG_TOKEN_UV_NONE;
	else
		return -1;
	return 0;
}

struct enroll_args {
	struct bg_token_opts o;
	int kind;
	const char *out;
	int force;
};

static int
parse_enroll(struct enroll_args *a, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--fido2") == 0 && a->kind == 0)
			a->kind = BG_TOKEN_FIDO2;
		else if (strcmp(argv[i], "--yubikey") == 0 && a->kind == 0)
			a->kind = BG_TOKEN_YUBIKEY;
		else if (strcmp(argv[i], "--force") == 0)
			a->force = 1;
		else if (i + 1 < argc && strcmp(argv[i], "--out") == 0)
			a->out = argv[++i];
		else if (i + 1 < argc && token_opt(&a->o, argv[i], argv[i + 1]) == 0)
			i++;
		else
			return -1;
	}
	return a->kind == 0 ? -1 : 0;
}

static int
write_desc(const char *path, const bg_token_desc_t *d)
{
	cJSON *j = NULL;
	char *text = NULL;
	int r;

	if ((r = bg_token_desc_to_json(d, &j)) != BG_OK)
		return r;
	r = BG_ENOMEM;
	if ((text = cJSON_Print(j)) != NULL) {
		size_t n = strlen(text);
		text[n] = '\n';	/* replaces the NUL; length passed below */
		r = bg_file_create_excl(path, text, n + 1, 0644);
	}
	free(text);
	cJSON_Delete(j);
	return r;
}

static int
cmd_enroll(struct bg_cli *cli, int argc, char **argv)
{
	struct enroll_args a;
	bg_token_desc_t *d = NULL;
	char sum[256];
	int r;

	(void)cli;
	memset(&a, 0, sizeof(a));
	a.o = bg_token_opts_default();
	a.o.prompt = bg_cli_prompt;
	if (argc > 0 && argv[0][0] != '-') {	/* token enroll NAME ... */
		if (parse_enroll(&a, argc - 1, argv + 1) != 0 || a.force ||
		    a.out != NULL)
			return BG_EXIT_USAGE;
		if (!cli->remote)
			return bg_cli_enroll_person(cli, argv[0], a.kind, &a.o);
		/* production: the touch here, the descriptor to the daemon */
		if ((r = bg_token_enroll((enum bg_token_kind)a.kind, &a.o,
		    &d)) != BG_OK)
			return bg_cli_fail("enrollment failed", r);
		r = bg_cli_remote_enroll(cli, argv[0], d);
		bg_token_desc_free(&d);
		return r;
	}
	if (parse_enroll(&a, argc, argv) != 0 || a.force || a.out == NULL)
		return BG_EXIT_USAGE;
	/* before anyone touches a token (the final create is O_EXCL too) */
	if (access(a.out, F_OK) == 0) {
		bg_cli_error("%s already exists: choose another --out", a.out);
		return BG_EXIT_FAIL;
	}
	if ((r = bg_token_enroll((enum bg_token_kind)a.kind, &a.o, &d)) != BG_OK)
		return bg_cli_fail("enrollment failed", r);
	if ((r = write_desc(a.out, d)) != BG_OK) {
		bg_token_desc_free(&d);
		return bg_cli_fail(r == BG_EEXIST ? "the descriptor file "
		    "already exists" : "cannot write the descriptor", r);
	}
	bg_token_desc_summary(d, sum, sizeof(sum));
	printf("enrolled %s\ndescriptor written to %s\n", sum, a.out);
	bg_token_desc_free(&d);
	return BG_EXIT_OK;
}

static int
read_desc(const char *path, bg_token_desc_t **d)
{
	char *text = NULL;
	cJSON *j = NULL;
	size_t len;
	int r;

	if ((r = bg_file_read(path, DESC_FILE_MAX, &text, &len)) != BG_OK) {
		bg_cli_error("cannot read %s: %s", path, bg_strerror(r));
		return r;
	}
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	if ((j = bg_json_parse(text, len)) == NULL)
		r = BG_EFORMAT;
	else
		r = bg_token_desc_from_json(j, d);
	if (r != BG_OK)
		bg_cli_error("%s is not a token descriptor: %s", path,
		    bg_strerror(r));
	cJSON_Delete(j);
	free(text);
	return r;
}

static int
cmd_check(struct bg_cli *cli, int argc, char **argv)
{
	struct bg_token_opts o = bg_token_opts_default();
	bg_token_key_t *key = NULL;
	bg_token_desc_t *d = NULL;
	char sum[256];
	int i, r;

	(void)cli;
	if (argc < 1)
		return BG_EXIT_USAGE;
	for (i = 1; i + 1 < argc; i += 2)
		if (token_opt(&o, argv[i], argv[i + 1]) != 0)
			return BG_EXIT_USAGE;
	if (i != argc)
		return BG_EXIT_USAGE;
	o.prompt = bg_cli_prompt;
	if (read_desc(argv[0], &d) != BG_OK)
		return BG_EXIT_FAIL;
	bg_token_desc_summary(d, sum, sizeof(sum));
	r = bg_token_unlock(d, &o, &key);
	bg_token_key_free(&key);
	bg_token_desc_free(&d);
	if (r != BG_OK)
		return bg_cli_fail("the token did NOT unlock", r);
	printf("ok: the token unlocks (%s)\n", sum);
	return BG_EXIT_OK;
}

static int
cmd_program(struct bg_cli *cli, int argc, char **argv)
{
	struct bg_token_opts o = bg_token_opts_default();
	int i, force = 0, r;

	(void)cli;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0)
			force = 1;
		else if (i + 1 < argc && token_opt(&o, argv[i], argv[i + 1]) == 0)
			i++;
		else
			return BG_EXIT_USAGE;
	}
	if (o.serial == 0)
		return BG_EXIT_USAGE;
	if ((r = bg_token_yk_program(&o, force)) != BG_OK)
		return bg_cli_fail("programming failed", r);
	printf("YubiKey %u slot %d: HMAC-SHA1 challenge-response with touch, "
	    "fresh random secret\n", (unsigned)o.serial, o.slot ? o.slot : 2);
	return BG_EXIT_OK;
}

int
bg_cli_token(struct bg_cli *cli, int argc, char **argv)
{
	static const struct bg_cli_cmd cmds[] = {
		{ "list", cmd_list, "token list" },
		{ "enroll", cmd_enroll, "token enroll [NAME] --fido2 [--device "
		    "PATH] [--pin-fd N] [--uv pin|none] [--label NAME] [--trust "
		    "PEM] [--out FILE] | --yubikey [--serial N] [--slot 1|2] "
		    "[--out FILE]   (NAME: enroll for that person in the vault; "
		    "else --out)" },
		{ "check", cmd_check, "token check FILE [--pin-fd N]" },
		{ "remove", bg_cli_token_remove, "token remove NAME --token ID   "
		    "(a lost token; a change request once armed)" },
		{ "program-yubikey", cmd_program, "token program-yubikey "
		    "--serial N [--slot 1|2] [--force]" },
		{ NULL, NULL, NULL },
	};

	return bg_cli_dispatch(cli, "token", cmds, argc, argv);
}
