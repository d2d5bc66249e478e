/*
 * breakglass: hardware-token-backed break-glass access broker.
 * The only place that exits.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/common.h"
#include "audit/audit.h"
#include "broker/cli/cli.h"
#include "broker/state/state.h"

#define DEFAULT_STATE "/var/lib/breakglass"

#ifndef BG_VERSION
#error "BG_VERSION (the project version) must be defined by the build"
#endif

static void
usage(FILE *f)
{
	fputs("usage: breakglass [--state DIR] COMMAND ...\n"
	    "       breakglass --help | --version\n"
	    "\n"
	    "audit commands:\n"
	    "  audit init [--origin NAME]       create the signed audit log\n"
	    "  audit note TEXT [--as NAME]      add an operator's entry\n"
	    "  audit show [filters] [--json]    list entries\n"
	    "  audit verify [--checkpoint FILE] [--key FILE]\n"
	    "                                   check the whole log\n"
	    "  audit checkpoint                 print the latest signed checkpoint\n"
	    "  audit prove SEQ [--size N]       inclusion proof of an entry\n"
	    "  audit consistency OLD NEW        consistency proof between sizes\n"
	    "  audit verifier-key               print the C2SP verifier key\n"
	    "\n"
	    "vault commands (docs/ceremony.md):\n"
	    "  init --account ID --account-name NAME --root-email ADDR\n"
	    "  account add ID --account-name NAME --root-email ADDR\n"
	    "  custodian add|remove NAME --group G; custodian list\n"
	    "  requester add NAME\n"
	    "  policy show; policy set [--threshold G=N] [--expiry S] "
	    "[--timelock S] [--slots N] [--self-approval off]\n"
	    "  token enroll NAME --fido2|--yubikey [options]\n"
	    "  vault arm | show | verify\n"
	    "  seal ACCOUNT ITEM --as NAME, ITEM one of:\n"
	    "       root-password [--generate [--length N]] |\n"
	    "       root-mfa --otpauth URI|- | --base32 SECRET|- | NAME --note\n"
	    "\n"
	    "ceremony commands:\n"
	    "  request ACCOUNT --reason TEXT [--ticket ID] [--items A,B] "
	    "--as REQUESTER [--pin-fd N]\n"
	    "  approve ID --as CUSTODIAN [--pin-fd N]\n"
	    "  deny ID --as NAME --reason TEXT [--pin-fd N]\n"
	    "  release ID --as REQUESTER [--reveal-seed] [--pin-fd N]\n"
	    "  status [ID]\n"
	    "  rekey begin GROUP --with NAME... --as NAME [--account ID]\n"
	    "  rekey contribute ID --as NAME [--pin-fd N]\n"
	    "  rekey accept ID --as NAME [--pin-fd N]\n"
	    "  rekey status ID\n"
	    "\n"
	    "password commands:\n"
	    "  password generate [--length N] [--account-name NAME] "
	    "[--root-email ADDR]\n"
	    "                                   a root password meeting the rule\n"
	    "  password check [--account-name NAME] [--root-email ADDR]\n"
	    "                                   check the password on stdin\n"
	    "\n"
	    "token commands:\n"
	    "  token list                       connected FIDO2 keys and YubiKeys\n"
	    "  token enroll --fido2|--yubikey ... --out FILE\n"
	    "                                   enroll a token into a descriptor\n"
	    "  token check FILE                 touch: does the token still unlock?\n"
	    "  token program-yubikey --serial N [--slot 1|2] [--force]\n"
	    "                                   new HMAC-SHA1 secret, touch required\n"
	    "\n"
	    "alert commands:\n"
	    "  alerts status                    queued, failed and dead alerts\n"
	    "  alerts flush                     deliver every queued alert now\n"
	    "  alerts test SINK                 send an audited test alert\n"
	    "\n"
	    "custody commands (docs/custody.md):\n"
	    "  custody attest NAME [--pin-fd N] touch: prove shares open, attest\n"
	    "                                   the recovery channels held\n"
	    "  custody check [--json]           rules, attestations, thresholds,\n"
	    "                                   rotation; exit 1 on a violation\n"
	    "  custody holder add NAME          a channel holder (no other role)\n"
	    "  config show | config set FILE    breakglass.json, validated, audited\n"
	    "\n"
	    "The state directory is --state, else $BREAKGLASS_STATE, else "
	    DEFAULT_STATE ".\n"
	    "Exit codes: 0 ok, 1 failed, 2 usage, 3 tampering detected.\n", f);
}

static int
cli_state(struct bg_cli *cli, int *argc, char ***argv)
{
	cli->state = getenv("BREAKGLASS_STATE");
	if (*argc >= 1 && strcmp((*argv)[0], "--state") == 0) {
		/* an empty --state (an unset variable in a script) must not
		 * fall back to the production state */
		if (*argc < 2 || (*argv)[1][0] == '\0') {
			bg_cli_error("--state takes a directory (it was empty "
			    "or missing)");
			return -1;
		}
		cli->state = (*argv)[1];
		*argc -= 2;
		*argv += 2;
	}
	if (cli->state == NULL || cli->state[0] == '\0')
		cli->state = DEFAULT_STATE;
	if (bg_path_join(cli->audit_dir, sizeof(cli->audit_dir), cli->state,
	    "audit") != BG_OK) {
		bg_cli_error("state directory path is too long");
		return -1;
	}
	return 0;
}

/* --help and --version: output that nobody read is a failure (>/dev/full) */
static int
stdout_done(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		bg_cli_error("cannot write to standard output: %s",
		    strerror(errno));
		return BG_EXIT_FAIL;
	}
	return BG_EXIT_OK;
}

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
main(int argc, char **argv)
{
	struct bg_cli cli;
	size_t i;

	umask(077);
	/* secrets pass through this process (PINs, token secrets): no core
	 * dumps, no ptrace by other users' processes */
	if (bg_no_dump() != BG_OK) {
		bg_cli_error("cannot make the process undumpable");
		return BG_EXIT_FAIL;
	}
	if (!bg_secure_locked())
		fprintf(stderr, "breakglass: WARNING: secrets cannot be held in "
		    "locked memory (raise the memlock limit, ulimit -l)\n");
	argc--;
	argv++;
	/* names, reasons, notes and paths reach the log and the state files:
	 * refused up front when not clean text, before anything is opened */
	if (bg_cli_args_text(argc, argv) != 0)
		return BG_EXIT_USAGE;
	/* entries that name no actor (--as) name who runs the command */
	if (bg_state_set_actor(bg_cli_login_name()) != BG_OK) {
		bg_cli_error("cannot set the default actor");
		return BG_EXIT_FAIL;
	}
	if (argc == 1 && strcmp(argv[0], "--version") == 0) {
		printf("breakglass %s\n", BG_VERSION);
		return stdout_done();
	}
	if (cli_state(&cli, &argc, &argv) != 0)
		return BG_EXIT_USAGE;
	if (argc < 1) {
		usage(stderr);
		return BG_EXIT_USAGE;
	}
	if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "--help") == 0) {
		usage(stdout);
		return stdout_done();
	}
	for (i = 0; commands[i].name != NULL; i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			return run(&commands[i], &cli, argc - 1, argv + 1);
	bg_cli_error("unknown command '%s' (see 'breakglass help')", argv[0]);
	return BG_EXIT_USAGE;
}
