/*
 * The ceremony on the command line: request, approve, deny, release,
 * status, rekey. The people present read standard output; errors go to
 * standard error.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "common/common.h"
#include "broker/alerts/alerts.h"
#include "broker/ceremony/ceremony.h"
#include "broker/cli/cli.h"
#include "broker/secrets/secrets.h"

#define LIST_MAX 32

/* Splits a comma-separated list in place. */
static int
split_list(char *s, const char **out, size_t max, size_t *n)
{
	char *tok, *save = NULL;

	*n = 0;
	for (tok = strtok_r(s, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (*n >= max)
			return -1;
		out[(*n)++] = tok;
	}
	return *n > 0 ? 0 : -1;
}

/* ============================================================= request */

/* The ask from the command line; -1 (usage) when a value is too long. */
static int
ask_of(struct bg_cer_ask *q, const char *account, const char *reason,
    const char *ticket, const char *as, const char *const *items, size_t n)
{
	size_t i;

	memset(q, 0, sizeof(*q));
	if (strlen(account) >= sizeof(q->account) ||
	    strlen(reason) >= sizeof(q->reason) ||
	    (ticket != NULL && strlen(ticket) >= sizeof(q->ticket)) ||
	    strlen(as) >= sizeof(q->as) || n > BG_POLICY_ITEMS_MAX) {
		bg_cli_error("request: a value is too long (reason at most %d "
		    "bytes, ticket %d)", BG_REASON_MAX, BG_TICKET_MAX);
		return -1;
	}
	snprintf(q->account, sizeof(q->account), "%s", account);
	snprintf(q->reason, sizeof(q->reason), "%s", reason);
	snprintf(q->ticket, sizeof(q->ticket), "%s", ticket ? ticket : "");
	snprintf(q->as, sizeof(q->as), "%s", as);
	for (i = 0; i < n; i++) {
		if (strlen(items[i]) > BG_NAME_MAX) {
			bg_cli_error("request: an item name is too long");
			return -1;
		}
		snprintf(q->items[i], sizeof(q->items[i]), "%s", items[i]);
	}
	q->nitems = n;
	return 0;
}

int
bg_cli_request(struct bg_cli *cli, int argc, char **argv)
{
	const char *reason = NULL, *ticket = NULL, *items = NULL, *as = NULL;
	const char *pin = NULL, *pos[1], *list[LIST_MAX];
	char *copy = NULL;
	struct bg_cli_opt opts[] = {
		{ "--reason", &reason, NULL, NULL, 0, NULL },
		{ "--ticket", &ticket, NULL, NULL, 0, NULL },
		{ "--items", &items, NULL, NULL, 0, NULL },
		{ "--as", &as, NULL, NULL, 0, NULL },
		{ "--pin-fd", &pin, NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, 0, NULL },
	};
	struct bg_cer_ask *q;
	size_t npos, n = 0;
	int r;

	if (bg_cli_opts(argc, argv, opts, pos, 1, &npos) != 0 || npos != 1 ||
	    reason == NULL || as == NULL)
		return BG_EXIT_USAGE;
	if (items != NULL && ((copy = strdup(items)) == NULL ||
	    split_list(copy, list, LIST_MAX, &n) != 0)) {
		free(copy);
		return BG_EXIT_USAGE;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		free(copy);
		return bg_cli_fail("request", BG_ENOMEM);
	}
	r = ask_of(q, pos[0], reason, ticket, as, list, n);
	free(copy);
	if (r != 0)
		r = BG_EXIT_USAGE;
	else
		r = bg_cli_remote_request(cli, q, pin);
	free(q);
	return r;
}

/* ============================================================= approve */

int
bg_cli_approve(struct bg_cli *cli, int argc, char **argv)
{
	const char *as = NULL, *pin = NULL, *pos[1];
	struct bg_cli_opt opts[] = {
		{ "--as", &as, NULL, NULL, 0, NULL },
		{ "--pin-fd", &pin, NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, 0, NULL },
	};
	size_t npos;

	if (bg_cli_opts(argc, argv, opts, pos, 1, &npos) != 0 || npos != 1 ||
	    as == NULL)
		return BG_EXIT_USAGE;
	return bg_cli_remote_approve(cli, pos[0], as, pin);
}

int
bg_cli_deny(struct bg_cli *cli, int argc, char **argv)
{
	const char *as = NULL, *pin = NULL, *reason = NULL, *pos[1];
	struct bg_cli_opt opts[] = {
		{ "--as", &as, NULL, NULL, 0, NULL },
		{ "--reason", &reason, NULL, NULL, 0, NULL },
		{ "--pin-fd", &pin, NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, 0, NULL },
	};
	size_t npos;

	if (bg_cli_opts(argc, argv, opts, pos, 1, &npos) != 0 || npos != 1 ||
	    as == NULL || reason == NULL)
		return BG_EXIT_USAGE;
	return bg_cli_remote_deny(cli, pos[0], as, reason, pin);
}

/* ============================================================= release */

/*
 * One line holding a secret: name, a, secret, then b and c (may be NULL)
 * and a line break, written from where they are (bg_write_secret).
 */
static void
show(const char *name, const char *a, const char *secret, const char *b,
    const char *c)
{
	const char *parts[] = { name, a, secret, b != NULL ? b : "",
	    c != NULL ? c : "", "\n", NULL };

	if (bg_write_secret(STDOUT_FILENO, parts) != BG_OK)
		bg_cli_error("%s: cannot write it to standard output", name);
}

static void
show_totp(const struct bg_released *it, int reveal_seed)
{
	struct bg_totp *t = bg_secure_alloc(sizeof(*t));
	char code[16], next[16], b32[BG_TOTP_B32_MAX + 1], secs[48];
	uint64_t now = (uint64_t)time(NULL);
	unsigned left = 0;

	if (t == NULL || bg_totp_unpack(it->data, it->len, t) != BG_OK ||
	    bg_totp_code(t, now, code, sizeof(code), &left) != BG_OK ||
	    bg_totp_code(t, now + t->period, next, sizeof(next), NULL) !=
	    BG_OK) {
		printf("%s: cannot compute a code\n", it->name);
	} else {
		snprintf(secs, sizeof(secs), " (%u s left), next ", left);
		show(it->name, ": code ", code, secs, next);
		if (reveal_seed && bg_totp_b32_encode(t->key, t->key_len, b32,
		    sizeof(b32)) == BG_OK)
			show(it->name, " seed (base32): ", b32, NULL, NULL);
		bg_wipe(b32, sizeof(b32));
	}
	bg_wipe(code, sizeof(code));
	bg_wipe(next, sizeof(next));
	bg_totp_wipe(t);
	bg_secure_free(&t, sizeof(*t));
}

void
bg_cli_show_items(const struct bg_released *items, size_t n, int reveal_seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (items[i].kind == BG_ITEM_TOTP)
			show_totp(&items[i], reveal_seed);
		else
			show(items[i].name, items[i].kind == BG_ITEM_PASSWORD ?
			    ": " : ":\n", (char *)items[i].data, NULL, NULL);
	}
	printf("these versions were exposed when their quorum was recorded "
	    "('vault show': RELEASED: ROTATE): seal new values\n");
	fflush(stdout);
}

int
bg_cli_release(struct bg_cli *cli, int argc, char **argv)
{
	const char *as = NULL, *pin = NULL, *pos[1];
	int reveal = 0;
	struct bg_cli_opt opts[] = {
		{ "--as", &as, NULL, NULL, 0, NULL },
		{ "--pin-fd", &pin, NULL, NULL, 0, NULL },
		{ "--reveal-seed", NULL, &reveal, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, 0, NULL },
	};
	size_t npos;

	if (bg_cli_opts(argc, argv, opts, pos, 1, &npos) != 0 || npos != 1 ||
	    as == NULL)
		return BG_EXIT_USAGE;
	return bg_cli_remote_release(cli, pos[0], as, reveal, pin);
}

/* ============================================================== status */

int
bg_cli_status(struct bg_cli *cli, int argc, char **argv)
{
	struct bg_cer c;
	int r;

	if (argc > 1 || (argc == 1 && strncmp(argv[0], "--", 2) == 0))
		return BG_EXIT_USAGE;
	if ((r = bg_cli_cer_begin(cli, &c, NULL)) != BG_EXIT_OK)
		return r;
	return bg_cli_cer_finish(cli, &c, "status",
	    bg_cer_status(&c, argc ? argv[0] : NULL));
}

/* =============================================================== rekey */

static int
rekey_begin(struct bg_cli *cli, int argc, char **argv)
{
	const char *account = NULL, *as = NULL, *pos[1], *with[LIST_MAX];
	char id[BG_RK_ID_LEN + 1];
	size_t npos, nwith = 0;
	struct bg_cli_opt opts[] = {
		{ "--with", NULL, NULL, with, LIST_MAX, &nwith },
		{ "--account", &account, NULL, NULL, 0, NULL },
		{ "--as", &as, NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, 0, NULL },
	};
	struct bg_cer c;
	int r;

	if (bg_cli_opts(argc, argv, opts, pos, 1, &npos) != 0 || npos != 1 ||
	    nwith == 0 || as == NULL)
		return BG_EXIT_USAGE;
	if ((r = bg_cli_cer_begin(cli, &c, NULL)) != BG_EXIT_OK)
		return r;
	r = bg_cer_rekey_begin(&c, account, pos[0], with, nwith, as, id);
	if (r == BG_OK) {
		printf("rekey %s opened for group %s\n", id, pos[0]);
		(void)bg_cer_rekey_status(&c, id);
		printf("next: each holder runs 'breakglass rekey contribute %s "
		    "--as NAME', then each member 'breakglass rekey accept %s "
		    "--as NAME'\n", id, id);
	}
	return bg_cli_cer_finish(cli, &c, "rekey refused", r);
}

/* Production: the touch, the re-split or join in the client. */
struct rk_ctx {
	const char *id, *as;
	int accept;
};

static int
rekey_take(struct bg_cer *c, const cJSON *kit, void *ctx, cJSON **sub)
{
	struct rk_ctx *x = ctx;

	return bg_cer_rekey_take(c, kit, x->id, x->as, x->accept, sub);
}

static int
remote_rekey(struct bg_cli *cli, const char *id, const char *as, int accept,
    const char *pin)
{
	struct rk_ctx x = { id, as, accept };
	cJSON *args = cJSON_CreateObject();

	if (args == NULL || !cJSON_AddStringToObject(args, "id", id) ||
	    !cJSON_AddStringToObject(args, "as", as)) {
		cJSON_Delete(args);
		return bg_cli_fail("rekey", BG_ENOMEM);
	}
	return bg_cli_remote_steps(cli, accept ? "rekey.accept" :
	    "rekey.contribute", args, pin, rekey_take, &x);
}

/* rekey contribute|accept ID --as NAME [--pin-fd N] */
static int
rekey_step(struct bg_cli *cli, int argc, char **argv,
    int (*step)(struct bg_cer *, const char *, const char *))
{
	const char *as = NULL, *pin = NULL, *pos[1];
	struct bg_cli_opt opts[] = {
		{ "--as", &as, NULL, NULL, 0, NULL },
		{ "--pin-fd", &pin, NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, 0, NULL },
	};
	size_t npos;

	if (bg_cli_opts(argc, argv, opts, pos, 1, &npos) != 0 || npos != 1 ||
	    as == NULL)
		return BG_EXIT_USAGE;
	return remote_rekey(cli, pos[0], as, step == bg_cer_rekey_accept,
	    pin);
}

static int
rekey_status(struct bg_cli *cli, int argc, char **argv)
{
	struct bg_cer c;
	int r;

	if (argc != 1 || strncmp(argv[0], "--", 2) == 0)
		return BG_EXIT_USAGE;
	if ((r = bg_cli_cer_begin(cli, &c, NULL)) != BG_EXIT_OK)
		return r;
	return bg_cli_cer_finish(cli, &c, "rekey status",
	    bg_cer_rekey_status(&c, argv[0]));
}

static int
rekey_contribute(struct bg_cli *cli, int argc, char **argv)
{
	return rekey_step(cli, argc, argv, bg_cer_rekey_contribute);
}

static int
rekey_accept(struct bg_cli *cli, int argc, char **argv)
{
	return rekey_step(cli, argc, argv, bg_cer_rekey_accept);
}

int
bg_cli_rekey(struct bg_cli *cli, int argc, char **argv)
{
	static const struct bg_cli_cmd cmds[] = {
		{ "begin", rekey_begin, "rekey begin GROUP --with NAME... "
		    "--as NAME [--account ID]" },
		{ "contribute", rekey_contribute,
		    "rekey contribute ID --as NAME [--pin-fd N]" },
		{ "accept", rekey_accept,
		    "rekey accept ID --as NAME [--pin-fd N]" },
		{ "status", rekey_status, "rekey status ID" },
		{ NULL, NULL, NULL },
	};

	return bg_cli_dispatch(cli, "rekey", cmds, argc, argv);
}
