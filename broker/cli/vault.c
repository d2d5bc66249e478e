/* breakglass vault ...: the vault's files. */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "broker/cli/cli.h"
#include "broker/alerts/alerts.h"
#include "broker/state/state.h"
#include "broker/ceremony/ceremony.h"
#include "broker/chain/chain.h"
#include "broker/vault/vault.h"

static void
say_problem(void *ctx, const char *file, const char *problem)
{
	int *n = ctx;

	printf("TAMPERED: %s %s\n", file, problem);
	++*n;
}

/* vault.json's people, tokens, policy and accounts: the chain head's. */
static int
verify_chain(const struct bg_state *st, const struct bg_vault *v)
{
	bg_chain_t *c = NULL;
	int r;

	if ((r = bg_chain_load(st, &c)) == BG_ENOENT)
		return BG_OK;	/* before genesis */
	if (r == BG_OK)
		r = bg_chain_check_vault(c, v);
	bg_chain_free(&c);
	return r;
}

/*
 * The vault itself, once its files match the log: vault.json parsed (a v1
 * vault is refused), each version's commitments file present and of its
 * root, each seal signed by its sealer's token and its groups those the
 * sealer committed. BG_ETAMPER counts as a problem.
 */
static int
verify_vault(const char *dir, int *n)
{
	static struct bg_state st;
	struct bg_vault *v = NULL;
	size_t a, i;
	int r;

	if ((r = bg_state_open(&st, dir)) != BG_OK)
		return r;
	if ((r = bg_vault_load(&st, &v)) == BG_ENOENT)
		r = BG_OK;	/* before init */
	else if (r == BG_OK)
		r = verify_chain(&st, v);
	for (a = 0; v != NULL && r == BG_OK && a < v->naccounts; a++)
		for (i = 0; r == BG_OK && i < v->accounts[a].nitems; i++)
			r = bg_vault_item_verify(v, &v->accounts[a],
			    &v->accounts[a].items[i]);
	if (r == BG_ETAMPER)
		say_problem(n, "vault.json", bg_why());
	bg_vault_free(&v);
	bg_state_close(&st);
	return r;
}

static int
cmd_verify(struct bg_cli *cli, int argc, char **argv)
{
	int n = 0, r;

	(void)argv;
	if (argc != 0)
		return BG_EXIT_USAGE;
	r = bg_state_verify(cli->state, say_problem, &n);
	if (r == BG_OK && (r = bg_cer_settle(cli->state)) != BG_OK)
		return bg_cli_fail("cannot settle the vault", r);
	if (r == BG_OK)
		r = verify_vault(cli->state, &n);
	if (r == BG_OK)
		r = bg_cer_fold_verify(cli->state, say_problem, &n);
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
		{ "arm", bg_cli_vault_arm, "vault arm   (proposes the genesis: "
		    "every person signs it with 'change approve')" },
		{ "fingerprint", bg_cli_vault_fingerprint, "vault fingerprint" },
		{ "show", bg_cli_vault_show, "vault show" },
		{ NULL, NULL, NULL },
	};

	return bg_cli_dispatch(cli, "vault", cmds, argc, argv);
}
