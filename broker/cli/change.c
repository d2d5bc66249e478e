/*
 * breakglass change ...: governance change requests (docs/ceremony.md
 * "Genesis and change requests"), and 'vault fingerprint'.
 */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "broker/ceremony/ceremony.h"
#include "broker/cli/cli.h"

/* One change id and, for approve and deny, --as (and deny's --reason). */
struct change_args {
	const char *id, *as, *reason, *pin;
};

static int
parse(int argc, char **argv, struct change_args *a, int as, int reason)
{
	struct bg_cli_opt opts[] = {
		{ "--as", &a->as, NULL, NULL, 0, NULL },
		{ "--reason", &a->reason, NULL, NULL, 0, NULL },
		{ "--pin-fd", &a->pin, NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, 0, NULL },
	};
	const char *pos[1];
	size_t npos;

	memset(a, 0, sizeof(*a));
	if (bg_cli_opts(argc, argv, opts, pos, 1, &npos) != 0 || npos != 1 ||
	    (as != (a->as != NULL)) || (!reason && a->reason != NULL))
		return -1;
	a->id = pos[0];
	return 0;
}

static int
cmd_approve(struct bg_cli *cli, int argc, char **argv)
{
	struct change_args a;

	if (parse(argc, argv, &a, 1, 0) != 0)
		return BG_EXIT_USAGE;
	return bg_cli_remote_change(cli, a.id, a.as, NULL, a.pin);
}

static int
cmd_deny(struct bg_cli *cli, int argc, char **argv)
{
	struct change_args a;

	if (parse(argc, argv, &a, 1, 1) != 0)
		return BG_EXIT_USAGE;
	return bg_cli_remote_change(cli, a.id, a.as, a.reason ? a.reason :
	    "", a.pin);
}

/* apply and status: one change id, no touch. */
static int
by_id(struct bg_cli *cli, int argc, char **argv, const char *what,
    int (*fn)(struct bg_cer *, const char *))
{
	struct change_args a;
	struct bg_cer c;
	int r;

	if (parse(argc, argv, &a, 0, 0) != 0)
		return BG_EXIT_USAGE;
	if ((r = bg_cli_cer_begin(cli, &c, NULL)) != BG_EXIT_OK)
		return r;
	return bg_cli_cer_finish(cli, &c, what, fn(&c, a.id));
}

static int
cmd_apply(struct bg_cli *cli, int argc, char **argv)
{
	return by_id(cli, argc, argv, "change not applied",
	    bg_cer_change_apply);
}

static int
cmd_status(struct bg_cli *cli, int argc, char **argv)
{
	return by_id(cli, argc, argv, "change status", bg_cer_change_status);
}

int
bg_cli_change(struct bg_cli *cli, int argc, char **argv)
{
	static const struct bg_cli_cmd cmds[] = {
		{ "approve", cmd_approve, "change approve ID --as NAME "
		    "[--pin-fd N]   (every token of NAME signs, a touch each)" },
		{ "deny", cmd_deny, "change deny ID --as NAME [--reason TEXT] "
		    "[--pin-fd N]" },
		{ "apply", cmd_apply, "change apply ID" },
		{ "status", cmd_status, "change status ID" },
		{ NULL, NULL, NULL },
	};

	return bg_cli_dispatch(cli, "change", cmds, argc, argv);
}

int
bg_cli_vault_fingerprint(struct bg_cli *cli, int argc, char **argv)
{
	struct bg_cer c;
	char fp[65], head[65];
	int r;

	(void)argv;
	if (argc != 0)
		return BG_EXIT_USAGE;
	if ((r = bg_cli_cer_begin(cli, &c, NULL)) != BG_EXIT_OK)
		return r;
	if (c.chain == NULL) {
		bg_set_why("the vault has no genesis yet ('breakglass vault "
		    "arm')");
		return bg_cli_cer_finish(cli, &c, "no fingerprint", BG_ENOENT);
	}
	bg_chain_hex(bg_chain_fingerprint(c.chain), fp);
	bg_chain_hex(bg_chain_head(c.chain), head);
	if ((r = bg_cer_note(&c, "vault.read", "", "", "", NULL)) == BG_OK)
		printf("vault fingerprint %s\nchain: %llu link(s), head %s\n",
		    fp, (unsigned long long)bg_chain_length(c.chain), head);
	return bg_cli_cer_finish(cli, &c, "vault fingerprint", r);
}
