/* The table of every command (main.c and breakglassd run it). */
#include <stdio.h>
#include <string.h>

#include "broker/cli/cli.h"

/*
 * Top-level commands; each file of broker/cli/ serves one or more. A
 * group of subcommands prints its own usage; the others have theirs here.
 */
static const struct bg_cli_cmd commands[] = {
	{ "audit", bg_cli_audit, NULL },
	{ "token", bg_cli_token, NULL },
	{ "vault", bg_cli_vault, NULL },
	{ "password", bg_cli_password, NULL },
	{ "init", bg_cli_init,
	    "init --account ID --account-name NAME --root-email ADDR" },
	{ "account", bg_cli_account, NULL },
	{ "custodian", bg_cli_custodian, NULL },
	{ "requester", bg_cli_requester, NULL },
	{ "policy", bg_cli_policy, NULL },
	{ "change", bg_cli_change, NULL },
	{ "seal", bg_cli_seal,
	    "seal ACCOUNT root-password [--generate [--length N]] | "
	    "root-mfa --otpauth URI|- | --base32 SECRET|- | NAME --note; "
	    "--as NAME" },
	{ "request", bg_cli_request,
	    "request ACCOUNT --reason TEXT [--ticket ID] [--items A,B] "
	    "--as REQUESTER [--pin-fd N]" },
	{ "approve", bg_cli_approve, "approve ID --as CUSTODIAN [--pin-fd N]" },
	{ "deny", bg_cli_deny, "deny ID --as NAME --reason TEXT [--pin-fd N]" },
	{ "release", bg_cli_release,
	    "release ID --as REQUESTER [--reveal-seed] [--pin-fd N]" },
	{ "status", bg_cli_status, "status [ID]" },
	{ "rekey", bg_cli_rekey, NULL },
	{ "alerts", bg_cli_alerts, NULL },
	{ "custody", bg_cli_custody, NULL },
	{ "config", bg_cli_config, NULL },
	{ "aws", bg_cli_aws, NULL },
	{ NULL, NULL, NULL },
};

/* Runs one command; a usage error names the command's usage. */
static int
run(const struct bg_cli_cmd *cmd, struct bg_cli *cli, int argc, char **argv)
{
	int r = cmd->fn(cli, argc, argv);

	if (r == BG_EXIT_USAGE && cmd->usage != NULL)
		fprintf(stderr, "usage: breakglass %s\n", cmd->usage);
	return r;
}

int
bg_cli_run(struct bg_cli *cli, int argc, char **argv)
{
	size_t i;

	for (i = 0; commands[i].name != NULL; i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			return run(&commands[i], cli, argc - 1, argv + 1);
	bg_cli_error("unknown command '%s' (see 'breakglass help')", argv[0]);
	return BG_EXIT_USAGE;
}
