/*
 * The touch commands in two steps (steps.h): for each, what is checked
 * and given (the kit) and what is checked and written of the answer.
 * Transport-free: they see a ceremony and JSON, never a socket or a
 * caller, so breakglassd, a second listener (docs/deploy.md) and a
 * rehearsal in one process run them as they are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "broker/ceremony/ceremony.h"
#include "broker/custody/custody.h"
#include "broker/steps/steps.h"
#include "broker/witness/witness.h"


static int
approve_kit(struct bg_cer *c, const cJSON *args, cJSON **kit)
{
	static const char *const keys[] = { "id", "as", NULL };
	const char *id, *as;

	if (bg_json_only_keys(args, keys) != BG_OK ||
	    bg_json_get_str(args, "id", 64, &id) != BG_OK ||
	    bg_json_get_str(args, "as", BG_NAME_MAX, &as) != BG_OK) {
		bg_set_why("a malformed approve (id, as)");
		return BG_EFORMAT;
	}
	return bg_cer_approve_kit(c, id, as, kit);
}

static int
approve_submit(struct bg_cer *c, const cJSON *args, const cJSON *kit,
    const cJSON *sub, cJSON **after)
{
	static const char *const keys[] = { "approval", NULL };
	const char *id, *as;

	(void)kit;
	(void)after;
	(void)bg_json_get_str(args, "id", 64, &id);
	(void)bg_json_get_str(args, "as", BG_NAME_MAX, &as);
	if (bg_json_only_keys(sub, keys) != BG_OK) {
		bg_set_why("the client sent no approval");
		return bg_cer_refused(c, "request.refused", "approve", id, "",
		    as, BG_EFORMAT);
	}
	return bg_cer_approve_submit(c, id, as,
	    cJSON_GetObjectItemCaseSensitive(sub, "approval"));
}

static int
request_kit(struct bg_cer *c, const cJSON *args, cJSON **kit)
{
	struct bg_cer_ask q;
	int r;

	if ((r = bg_cer_ask_from_json(args, &q)) != BG_OK)
		return r;
	return bg_cer_request_kit(c, &q, kit);
}

static int
request_submit(struct bg_cer *c, const cJSON *args, const cJSON *kit,
    const cJSON *sub, cJSON **after)
{
	char id[BG_REQUEST_ID_LEN + 1];
	struct bg_cer_ask q;
	int r;

	(void)after;
	if ((r = bg_cer_ask_from_json(args, &q)) != BG_OK ||
	    (r = bg_cer_request_submit(c, &q, kit, sub, id)) != BG_OK)
		return r;
	printf("request %s opened by %s for account %s\n", id, q.as,
	    q.account);
	return bg_cer_status(c, id);
}

/* deny: {id, as, reason}; the client's token signs the denial */
static int
deny_args(const cJSON *args, const char **id, const char **as,
    const char **reason)
{
	static const char *const keys[] = { "id", "as", "reason", NULL };

	if (bg_json_only_keys(args, keys) != BG_OK ||
	    bg_json_get_str(args, "id", 64, id) != BG_OK ||
	    bg_json_get_str(args, "as", BG_NAME_MAX, as) != BG_OK ||
	    bg_json_get_str(args, "reason", BG_REASON_MAX, reason) != BG_OK) {
		bg_set_why("a malformed deny (id, as, reason)");
		return BG_EFORMAT;
	}
	return BG_OK;
}

static int
deny_kit(struct bg_cer *c, const cJSON *args, cJSON **kit)
{
	const char *id, *as, *reason;
	int r;

	if ((r = deny_args(args, &id, &as, &reason)) != BG_OK)
		return r;
	return bg_cer_deny_kit(c, id, as, reason, kit);
}

static int
deny_submit(struct bg_cer *c, const cJSON *args, const cJSON *kit,
    const cJSON *sub, cJSON **after)
{
	const char *id, *as, *reason;
	int r;

	(void)kit;
	(void)after;
	if ((r = deny_args(args, &id, &as, &reason)) != BG_OK ||
	    (r = bg_cer_deny_submit(c, id, as, reason, sub)) != BG_OK)
		return r;
	printf("request %s denied by %s\n", id, as);
	return BG_OK;
}

/* release: {id, as, reveal_seed}; the request file only after it */
static int
release_args(const cJSON *args, const char **id, const char **as,
    int *reveal)
{
	static const char *const keys[] = { "id", "as", "reveal_seed", NULL };
	const cJSON *rv = cJSON_GetObjectItemCaseSensitive(args,
	    "reveal_seed");

	if (bg_json_only_keys(args, keys) != BG_OK ||
	    bg_json_get_str(args, "id", 64, id) != BG_OK ||
	    bg_json_get_str(args, "as", BG_NAME_MAX, as) != BG_OK ||
	    !cJSON_IsBool(rv)) {
		bg_set_why("a malformed release (id, as, reveal_seed)");
		return BG_EFORMAT;
	}
	*reveal = cJSON_IsTrue(rv);
	return BG_OK;
}

static int
release_kit(struct bg_cer *c, const cJSON *args, cJSON **kit)
{
	const char *id, *as;
	int reveal, r;

	if ((r = release_args(args, &id, &as, &reveal)) != BG_OK)
		return r;
	return bg_cer_release_kit(c, id, as, kit);
}

static int
release_submit(struct bg_cer *c, const cJSON *args, const cJSON *kit,
    const cJSON *sub, cJSON **after)
{
	const char *id, *as;
	int reveal, r;

	(void)kit;
	if ((r = release_args(args, &id, &as, &reveal)) != BG_OK)
		return r;
	return bg_cer_release_submit(c, id, as, reveal, sub, after);
}

/* change.approve {id, as}, change.deny {id, as, reason} */
static int
change_args(const cJSON *args, int deny, const char **id, const char **as,
    const char **reason)
{
	static const char *const keys[] = { "id", "as", "reason", NULL };

	*reason = NULL;
	if (bg_json_only_keys(args, keys) != BG_OK ||
	    bg_json_get_str(args, "id", 64, id) != BG_OK ||
	    bg_json_get_str(args, "as", BG_NAME_MAX, as) != BG_OK ||
	    (deny && bg_json_get_str(args, "reason", BG_REASON_MAX, reason) !=
	    BG_OK) || (!deny && cJSON_GetObjectItemCaseSensitive(args,
	    "reason") != NULL)) {
		bg_set_why("a malformed change %s (id, as%s)", deny ? "deny" :
		    "approve", deny ? ", reason" : "");
		return BG_EFORMAT;
	}
	return BG_OK;
}

static int
change_kit(struct bg_cer *c, const cJSON *args, int deny, cJSON **kit)
{
	const char *id, *as, *reason;
	int r;

	if ((r = change_args(args, deny, &id, &as, &reason)) != BG_OK)
		return r;
	return bg_cer_change_kit(c, id, as, deny, kit);
}

static int
change_submit(struct bg_cer *c, const cJSON *args, int deny,
    const cJSON *sub)
{
	const char *id, *as, *reason;
	int r;

	if ((r = change_args(args, deny, &id, &as, &reason)) != BG_OK)
		return r;
	return bg_cer_change_submit(c, id, as, reason, sub);
}

static int
chapprove_kit(struct bg_cer *c, const cJSON *args, cJSON **kit)
{
	return change_kit(c, args, 0, kit);
}

static int
chapprove_submit(struct bg_cer *c, const cJSON *args, const cJSON *kit,
    const cJSON *sub, cJSON **after)
{
	(void)kit;
	(void)after;
	return change_submit(c, args, 0, sub);
}

static int
chdeny_kit(struct bg_cer *c, const cJSON *args, cJSON **kit)
{
	return change_kit(c, args, 1, kit);
}

static int
chdeny_submit(struct bg_cer *c, const cJSON *args, const cJSON *kit,
    const cJSON *sub, cJSON **after)
{
	(void)kit;
	(void)after;
	return change_submit(c, args, 1, sub);
}

/* seal {account, item, as, note}: the value sealed in the client */
static int
seal_kit(struct bg_cer *c, const cJSON *args, cJSON **kit)
{
	struct bg_cer_seal s;
	int r;

	if ((r = bg_cer_seal_args_from_json(args, &s)) != BG_OK)
		return r;
	return bg_cer_seal_kit(c, &s, kit);
}

static int
seal_submit(struct bg_cer *c, const cJSON *args, const cJSON *kit,
    const cJSON *sub, cJSON **after)
{
	struct bg_cer_seal s;
	int r;

	(void)after;
	if ((r = bg_cer_seal_args_from_json(args, &s)) != BG_OK)
		return r;
	s.kit_next = bg_cer_seal_kit_next(kit, &s);
	return bg_cer_seal_submit(c, &s, sub);
}

/* custody.attest {as}: the touch and the boxes in the client */
static int
attest_as(const cJSON *args, const char **as)
{
	static const char *const keys[] = { "as", NULL };

	if (bg_json_only_keys(args, keys) != BG_OK ||
	    bg_json_get_str(args, "as", BG_NAME_MAX, as) != BG_OK) {
		bg_set_why("a malformed custody attest (as)");
		return BG_EFORMAT;
	}
	return BG_OK;
}

static int
attest_kit(struct bg_cer *c, const cJSON *args, cJSON **kit)
{
	const char *as;
	int r;

	if ((r = attest_as(args, &as)) != BG_OK)
		return r;
	return bg_custody_attest_kit(c, as, kit);
}

static int
attest_submit(struct bg_cer *c, const cJSON *args, const cJSON *kit,
    const cJSON *sub, cJSON **after)
{
	struct bg_custody_config cfg;
	const char *as;
	int r;

	(void)kit;
	(void)after;
	if ((r = attest_as(args, &as)) != BG_OK ||
	    (r = bg_custody_config_load(&c->st, &cfg)) != BG_OK)
		return r;
	r = bg_custody_attest_submit(c, &cfg, as, sub);
	bg_custody_config_free(&cfg);
	return r;
}

/* rekey.contribute and rekey.accept {id, as} */
static int
rekey_kit(struct bg_cer *c, const cJSON *args, int accept, cJSON **kit)
{
	const char *id, *as, *none;
	int r;

	if ((r = change_args(args, 0, &id, &as, &none)) != BG_OK)
		return r;
	return bg_cer_rekey_kit(c, id, as, accept, kit);
}

static int
rekey_submit(struct bg_cer *c, const cJSON *args, int accept,
    const cJSON *sub)
{
	const char *id, *as, *none;
	int r;

	if ((r = change_args(args, 0, &id, &as, &none)) != BG_OK)
		return r;
	return bg_cer_rekey_submit(c, id, as, accept, sub);
}

static int
contrib_kit(struct bg_cer *c, const cJSON *args, cJSON **kit)
{
	return rekey_kit(c, args, 0, kit);
}

static int
contrib_submit(struct bg_cer *c, const cJSON *args, const cJSON *kit,
    const cJSON *sub, cJSON **after)
{
	(void)kit;
	(void)after;
	return rekey_submit(c, args, 0, sub);
}

static int
accept_kit(struct bg_cer *c, const cJSON *args, cJSON **kit)
{
	return rekey_kit(c, args, 1, kit);
}

static int
accept_submit(struct bg_cer *c, const cJSON *args, const cJSON *kit,
    const cJSON *sub, cJSON **after)
{
	(void)kit;
	(void)after;
	return rekey_submit(c, args, 1, sub);
}

#define RQ_REFUSED "request.refused"
#define CH_REFUSED "change.refused"
static const struct bg_step steps[] = {
	{ "approve", "approval refused", "approval.failed", "approve",
	    approve_kit, approve_submit },
	{ "request", "request refused", RQ_REFUSED, "request", request_kit,
	    request_submit },
	{ "deny", "denial refused", RQ_REFUSED, "deny", deny_kit,
	    deny_submit },
	{ "release", "release refused", RQ_REFUSED, "release", release_kit,
	    release_submit },
	{ "change.approve", "change approval refused", CH_REFUSED,
	    "change approve", chapprove_kit, chapprove_submit },
	{ "change.deny", "change denial refused", CH_REFUSED, "change deny",
	    chdeny_kit, chdeny_submit },
	{ "seal", "seal", "vault.refused", "seal", seal_kit, seal_submit },
	{ "custody.attest", "custody attest", "custody.attest_failed",
	    "custody attest", attest_kit, attest_submit },
	{ "rekey.contribute", "rekey refused", RQ_REFUSED, "rekey contribute",
	    contrib_kit, contrib_submit },
	{ "rekey.accept", "rekey refused", RQ_REFUSED, "rekey accept",
	    accept_kit, accept_submit },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

const struct bg_step *
bg_step_of(const char *op)
{
	size_t i;

	for (i = 0; steps[i].op != NULL; i++)
		if (strcmp(op, steps[i].op) == 0)
			return &steps[i];
	return NULL;
}

/*
 * The log c holds has, at size, the given root: it extends the tree
 * that was witnessed, or that the kit named. A state swapped meanwhile
 * (restored from an older copy, or forked) does not.
 */
static int
extends(struct bg_cer *c, uint64_t size, const uint8_t root[32],
    const char *what)
{
	struct bg_audit_proof *p;
	int r;

	if (size == 0)
		return BG_OK;
	if ((p = malloc(sizeof(*p))) == NULL)
		return BG_ENOMEM;
	r = bg_audit_size(c->st.log) < size ? BG_ETAMPER :
	    bg_audit_prove(c->st.log, 0, size, p);
	if (r == BG_OK && bg_ct_memcmp(p->root, root, 32) != 0)
		r = BG_ETAMPER;
	free(p);
	if (r == BG_ETAMPER)
		bg_set_why("the log is not the one %s (%llu entries): the state "
		    "was rolled back or forked meanwhile", what,
		    (unsigned long long)size);
	return r;
}

/*
 * The round's cosigned checkpoint into the kit, with the consistency
 * proof to the kit's head: the client checks both with the keys its
 * breakglass.conf names, before the touch.
 */
static int
witnessed(struct bg_cer *c, const struct bg_witness_round *head, cJSON *kit)
{
	uint64_t size;

	if (head->note_len == 0 || bg_json_get_u64(kit, "log_size", 1,
	    UINT64_MAX / 2, &size) != BG_OK)
		return BG_OK;
	return bg_witness_kit_add(kit, head, c->st.log, size);
}

int
bg_step_kit(const char *dir, FILE *out, const struct bg_step *st,
    const cJSON *args, cJSON **kit)
{
	struct bg_token_opts o = bg_token_opts_default();
	const char *wop = bg_witness_op(st->op);
	struct bg_witness_round head;
	struct bg_cer c;
	int r;

	*kit = NULL;
	memset(&head, 0, sizeof(head));
	/* the checkpoint cosigned before anyone touches (no lock held while
	 * the witnesses answer): a rolled-back or forked state stops here */
	if (wop != NULL && (r = bg_witness_require(dir, wop, stderr, &head)) !=
	    BG_OK) {
		bg_witness_round_clear(&head);
		return r;
	}
	if ((r = bg_cer_begin(&c, dir, out, &o)) != BG_OK) {
		bg_witness_round_clear(&head);
		return r;
	}
	if ((r = extends(&c, head.size, head.root, "the witnesses were "
	    "shown")) == BG_OK && (r = st->kit(&c, args, kit)) == BG_OK &&
	    (r = witnessed(&c, &head, *kit)) != BG_OK) {
		cJSON_Delete(*kit);
		*kit = NULL;
	}
	bg_cer_end(&c);
	bg_witness_round_clear(&head);
	return r;
}

/* The kit's log head (log_size, log_root), which the submit extends. */
static int
kit_extended(struct bg_cer *c, const cJSON *kit)
{
	const char *hex;
	uint64_t size;
	uint8_t root[32];

	if (bg_json_get_u64(kit, "log_size", 1, UINT64_MAX / 2, &size) !=
	    BG_OK || bg_json_get_str(kit, "log_root", 64, &hex) != BG_OK ||
	    bg_hex_decode_exact(hex, strlen(hex), root, 32) != BG_OK)
		return BG_OK;	/* a kit without a head: nothing to hold */
	return extends(c, size, root, "the kit named");
}

/*
 * After a guarded step is written, the witnesses are asked again (no
 * lock held), so that its own entries are witnessed too: a state rolled
 * back to the size they saw before it would undo them unseen. What this
 * round finds is said, not returned: the step is done. An inconsistent
 * history is recorded and alerted by the round itself.
 */
static void
witness_after(const char *dir)
{
	struct bg_witness_round round;
	int r = bg_witness_cosign(dir, &round);

	if (r != BG_OK && r != BG_ENOENT)
		fprintf(stderr, "breakglass: witnesses after the step: %s\n",
		    bg_why());
	else if (r == BG_OK && round.why[0] != '\0')
		fprintf(stderr, "breakglass: witnesses after the step: %zu "
		    "cosigned (%s)\n", round.cosigned, round.why);
	bg_witness_round_clear(&round);
}

int
bg_step_submit(const char *dir, FILE *out, const struct bg_step *st,
    const cJSON *args, const cJSON *kit, const cJSON *sub, cJSON **after)
{
	struct bg_token_opts o = bg_token_opts_default();
	struct bg_cer c;
	int r;

	*after = NULL;
	if ((r = bg_cer_begin(&c, dir, out, &o)) != BG_OK)
		return r;
	if ((r = kit_extended(&c, kit)) == BG_OK)
		r = st->submit(&c, args, kit, sub, after);
	bg_cer_end(&c);
	if (r == BG_OK && bg_witness_op(st->op) != NULL)
		witness_after(dir);
	return r;
}

/* args' string key, or "" */
static const char *
arg(const cJSON *args, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(args, key);

	return cJSON_IsString(j) && strlen(j->valuestring) <= BG_NAME_MAX ?
	    j->valuestring : "";
}

int
bg_step_failed(const char *dir, FILE *out, const struct bg_step *st,
    const cJSON *args, int err)
{
	struct bg_token_opts o = bg_token_opts_default();
	struct bg_cer c;
	char why[512];
	int r;

	snprintf(why, sizeof(why), "%s", bg_why());
	if ((r = bg_cer_begin(&c, dir, out, &o)) != BG_OK)
		return r;
	bg_set_why("%s", why);
	r = bg_cer_refused(&c, st->failed, st->cmd, arg(args, "id"),
	    arg(args, "account"), arg(args, "as"), err);
	bg_cer_end(&c);
	bg_set_why("%s", why);
	return r;
}

int
bg_step_open_failed(const char *dir, FILE *out, const char *id,
    const char *as, const char *reason)
{
	struct bg_token_opts o = bg_token_opts_default();
	struct bg_cer c;
	cJSON *d;
	int r;

	if ((r = bg_cer_begin(&c, dir, out, &o)) != BG_OK)
		return r;
	if ((d = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(d, "reason", reason))
		r = BG_ENOMEM;
	else
		r = bg_cer_note(&c, "release.open_failed", as, "", id, d);
	cJSON_Delete(d);
	bg_cer_end(&c);
	return r;
}
