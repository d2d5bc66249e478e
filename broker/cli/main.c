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

/* The root-owned file naming the daemon (a test build names another). */
#ifndef BG_CONF_PATH
#define BG_CONF_PATH "/etc/breakglass/breakglass.conf"
#endif

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
	    "                                   (with witnesses' cosignatures)\n"
	    "  audit cosign                     ask the witnesses to cosign it\n"
	    "  audit export --format ocsf|jsonl|cef [--since T]\n"
	    "                                   the log for a SIEM, with leaf\n"
	    "                                   hashes and the checkpoint\n"
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
	    "AWS commands (docs/aws.md):\n"
	    "  aws posture [ACCOUNT...] [--json]\n"
	    "                                   root keys, MFA, password; members\n"
	    "                                   of the organization not in the vault\n"
	    "  aws reconcile [--since T] [--until T] [--from FILE]... [--json]\n"
	    "                                   root events against the releases;\n"
	    "                                   exit 1 on a finding\n"
	    "\n"
	    "Without --state DIR (or $BREAKGLASS_STATE) every command goes to\n"
	    "breakglassd, named by " BG_CONF_PATH ";\n"
	    "with it, the command is a rehearsal on DIR (docs/deploy.md).\n"
	    "Exit codes: 0 ok, 1 failed, 2 usage, 3 tampering detected.\n", f);
}

/*
 * --state DIR (or $BREAKGLASS_STATE): a rehearsal on a state the caller
 * owns, said on stderr. Otherwise production: the daemon named by the
 * root-owned configuration, the only one a production command reaches.
 */
static int
cli_state(struct bg_cli *cli, int *argc, char ***argv)
{
	memset(cli, 0, sizeof(*cli));
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
	if (cli->state != NULL && cli->state[0] != '\0') {
		fprintf(stderr, "breakglass: rehearsal on %s (no daemon: "
		    "docs/deploy.md)\n", cli->state);
		if (bg_path_join(cli->audit_dir, sizeof(cli->audit_dir),
		    cli->state, "audit") != BG_OK) {
			bg_cli_error("state directory path is too long");
			return -1;
		}
		return 0;
	}
	cli->remote = 1;
	cli->state = "";
	cli->conf_path = BG_CONF_PATH;
	bg_state_set_production(1);
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

int
main(int argc, char **argv)
{
	struct bg_cli cli;

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
	if (argc >= 1 && (strcmp(argv[0], "help") == 0 ||
	    strcmp(argv[0], "--help") == 0)) {
		usage(stdout);
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
	if (cli.remote)
		return bg_cli_remote(&cli, argc, argv);
	return bg_cli_run(&cli, argc, argv);
}
