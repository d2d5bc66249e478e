/* breakglass vault ...: the vault's files. */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "broker/cli/cli.h"
#include "broker/alerts/alerts.h"
#include "broker/state/state.h"

static void
say_problem(void *ctx, const char *file, const char *problem)
{
	int *n = ctx;

	printf("TAMPERED: %s %s\n", file, problem);
	++*n;
}

static int
cmd_verify(struct bg_cli *cli, int argc, char **argv)
{
	int n = 0, r;

	(void)argv;
	if (argc != 0)
		return BG_EXIT_USAGE;
	r = bg_state_verify(cli->state, say_problem, &n);
	if (r == BG_OK) {
		printf("ok: every state file matches what the audit log "
		    "recorded\n");
		return BG_EXIT_OK;
	}
	if (r == BG_ETAMPER && n > 0) {
		bg_alert_report(cli->state, "vault.verify_failed",
		    "state files do not match the audit log");
		return BG_EXIT_TAMPER;
	}
	return bg_cli_fail("cannot verify the vault", r);
}

int
bg_cli_vault(struct bg_cli *cli, int argc, char **argv)
{
	static const struct bg_cli_cmd cmds[] = {
		{ "verify", cmd_verify, "vault verify" },
		{ "arm", bg_cli_vault_arm, "vault arm" },
		{ "show", bg_cli_vault_show, "vault show" },
		{ NULL, NULL, NULL },
	};

	return bg_cli_dispatch(cli, "vault", cmds, argc, argv);
}
