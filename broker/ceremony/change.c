/*
 * Change requests (ceremony.h, docs/ceremony.md "Genesis and change
 * requests"): changes/<id>.json holds one proposed chain link, the whole
 * new governance state, and the token signatures gathered for it. It is
 * applied only when bg_chain_link_check() holds; before that nothing of
 * it takes effect.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "broker/ceremony/internal.h"

#define CH_PATH_MAX (sizeof("changes/.json") + BG_CHANGE_ID_LEN)

struct bg_change {
	char id[BG_CHANGE_ID_LEN + 1];
	char what[BG_CHANGE_WHAT_MAX + 1];
	char opened_by[BG_NAME_MAX + 1];
	uint64_t opened, expiry, closed;
	char outcome[16];		/* "", "applied", "denied" */
	struct bg_chain_sig denial;	/* over deny_message(), when denied */
	char reason[BG_REASON_MAX + 1];
	struct bg_chain_link *link;
};

static void
change_free(struct bg_change **ch)
{
	if (ch == NULL || *ch == NULL)
		return;
	bg_chain_link_free(&(*ch)->link);
	free(*ch);
	*ch = NULL;
}

static void
ch_name(const char *id, char out[CH_PATH_MAX])
{
	snprintf(out, CH_PATH_MAX, "changes/%s.json", id);
}

/* What a denying token signs: the act message over the link message. */
static int
deny_message(const struct bg_chain_link *l, uint8_t out[32])
{
	return bg_cer_act_message(BG_CER_CHANGE_DENY_TAG, l->m, "", out);
}

/* =========================================================== the file */

static int
fill_change(const void *obj, cJSON *j)
{
	const struct bg_change *ch = obj;
	cJSON *link = NULL, *d;
	int r;

	if (!cJSON_AddStringToObject(j, "format", BG_CHANGE_FORMAT) ||
	    !cJSON_AddStringToObject(j, "id", ch->id) ||
	    !cJSON_AddStringToObject(j, "what", ch->what) ||
	    !cJSON_AddStringToObject(j, "opened_by", ch->opened_by) ||
	    (r = bg_vjson_add_time(j, "opened", ch->opened)) != BG_OK ||
	    (r = bg_vjson_add_time(j, "expiry", ch->expiry)) != BG_OK ||
	    (r = bg_vjson_add_time(j, "closed", ch->closed)) != BG_OK ||
	    !cJSON_AddStringToObject(j, "outcome", ch->outcome))
		return BG_ENOMEM;
	if (ch->denial.person[0] != '\0') {
		if ((d = cJSON_AddObjectToObject(j, "denial")) == NULL ||
		    !cJSON_AddStringToObject(d, "person", ch->denial.person) ||
		    !cJSON_AddStringToObject(d, "token", ch->denial.token) ||
		    !cJSON_AddStringToObject(d, "reason", ch->reason) ||
		    (r = bg_vjson_add_b64(d, "signature", ch->denial.sig,
		    BG_TOKEN_SIG_LEN)) != BG_OK)
			return BG_ENOMEM;
	}
	if ((r = bg_chain_link_to_json(ch->link, &link)) != BG_OK)
		return r;
	return bg_json_add(j, "link", link);
}

static int
bad_change(const char *what)
{
	bg_set_why("change request: %s", what);
	return BG_EFORMAT;
}

static int
get_text(const cJSON *j, const char *key, char *out, size_t outsz)
{
	const char *s;

	if (bg_json_get_str(j, key, outsz - 1, &s) != BG_OK)
		return bad_change(key);
	snprintf(out, outsz, "%s", s);
	return BG_OK;
}

static int
parse_denial(const cJSON *j, struct bg_change *ch)
{
	static const char *const keys[] = { "person", "token", "reason",
	    "signature", NULL };
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "denial");

	if (d == NULL)
		return BG_OK;
	if (!cJSON_IsObject(d) || bg_json_only_keys(d, keys) != BG_OK ||
	    bg_vjson_get_name(d, "person", ch->denial.person) != BG_OK ||
	    get_text(d, "token", ch->denial.token,
	    sizeof(ch->denial.token)) != BG_OK ||
	    get_text(d, "reason", ch->reason, sizeof(ch->reason)) != BG_OK ||
	    bg_json_get_b64(d, "signature", ch->denial.sig,
	    BG_TOKEN_SIG_LEN) != BG_OK)
		return bad_change("denial");
	return BG_OK;
}

static int
parse_change(const cJSON *j, struct bg_change *ch)
{
	static const char *const keys[] = { "format", "id", "what",
	    "opened_by", "opened", "expiry", "closed", "outcome", "denial",
	    "link", NULL };
	const cJSON *link;
	const char *fmt;
	int r;

	if (bg_json_only_keys(j, keys) != BG_OK ||
	    bg_json_get_str(j, "format", 64, &fmt) != BG_OK ||
	    strcmp(fmt, BG_CHANGE_FORMAT) != 0)
		return bad_change("not " BG_CHANGE_FORMAT);
	if ((r = get_text(j, "id", ch->id, sizeof(ch->id))) != BG_OK ||
	    (r = get_text(j, "what", ch->what, sizeof(ch->what))) != BG_OK ||
	    (r = get_text(j, "opened_by", ch->opened_by,
	    sizeof(ch->opened_by))) != BG_OK ||
	    (r = get_text(j, "outcome", ch->outcome,
	    sizeof(ch->outcome))) != BG_OK ||
	    (r = bg_vjson_get_time(j, "opened", 0, &ch->opened,
	    "change")) != BG_OK ||
	    (r = bg_vjson_get_time(j, "expiry", 0, &ch->expiry,
	    "change")) != BG_OK ||
	    (r = bg_vjson_get_time(j, "closed", 1, &ch->closed,
	    "change")) != BG_OK ||
	    (r = parse_denial(j, ch)) != BG_OK)
		return r;
	if (bg_json_get_obj(j, "link", &link) != BG_OK)
		return bad_change("link");
	return bg_chain_link_from_json(link, &ch->link);
}

static int applied(const struct bg_cer *c, const struct bg_change *ch);
static const struct bg_vault *old_state(const struct bg_cer *c);

/* Who may deny: a token holder of the state before it (the genesis's own
 * people before there is one). */
static const struct bg_vault_person *
denier(const struct bg_cer *c, const struct bg_change *ch, const char *name)
{
	const struct bg_vault *v = c->chain ? old_state(c) : ch->link->state;
	const struct bg_vault_person *p = bg_vault_person(v, name);

	return p != NULL && p->ntokens > 0 ? p : NULL;
}

/*
 * The denier's token as it was: in the chain at any link (ids keep their
 * keys, so a token removed since still checks), or, for a genesis never
 * applied, in the proposal.
 */
static const bg_token_desc_t *
denial_token(const struct bg_cer *c, const struct bg_change *ch)
{
	const struct bg_vault_person *p;
	const bg_token_desc_t *d;
	int t;

	if (c->chain != NULL && (d = bg_chain_token_ever(c->chain,
	    ch->denial.person, ch->denial.token)) != NULL)
		return d;
	if (ch->link->n != 0 ||
	    (p = bg_vault_person(ch->link->state, ch->denial.person)) == NULL ||
	    (t = bg_vault_person_token(p, ch->denial.token)) < 0)
		return NULL;
	return p->tokens[t];
}

static int
forged_outcome(const struct bg_change *ch, const char *what)
{
	bg_set_why("change %s: %s (the file was forged)", ch->id, what);
	return BG_ETAMPER;
}

/*
 * A closed change says why, and only what holds: "applied" when the chain
 * holds its link, "denied" with a denial its denier's token signed.
 */
static int
outcome_ok(const struct bg_cer *c, const struct bg_change *ch)
{
	const bg_token_desc_t *d;
	uint8_t m[32];

	if (strcmp(ch->outcome, "applied") == 0)
		return applied(c, ch) ? BG_OK : forged_outcome(ch, "says "
		    "applied, but the chain does not hold it");
	if (ch->outcome[0] == '\0' && ch->denial.person[0] == '\0')
		return BG_OK;
	if (strcmp(ch->outcome, "denied") != 0)
		return forged_outcome(ch, "an unknown outcome");
	if ((d = denial_token(c, ch)) == NULL ||
	    deny_message(ch->link, m) != BG_OK ||
	    bg_token_sig_verify(d, m, 32, ch->denial.sig) != BG_OK)
		return forged_outcome(ch, "its denial is not signed by the "
		    "token of the person it names");
	return BG_OK;
}

static int
ch_load(struct bg_cer *c, const char *id, struct bg_change **out)
{
	char name[CH_PATH_MAX];
	cJSON *j = NULL;
	int r;

	*out = NULL;
	if (!bg_request_id_valid(id)) {
		bg_set_why("'%s' is not a change id (32 hex digits)", id);
		return BG_EINVAL;
	}
	ch_name(id, name);
	if ((r = bg_state_read(&c->st, name, &j)) == BG_ENOENT) {
		bg_set_why("no change request %s", id);
		return r;
	}
	if (r == BG_OK && (r = bg_state_check_file(&c->st, name)) == BG_OK) {
		if ((*out = calloc(1, sizeof(**out))) == NULL)
			r = BG_ENOMEM;
		else if ((r = parse_change(j, *out)) == BG_OK &&
		    strcmp((*out)->id, id) != 0) {
			bg_set_why("%s holds another change", name);
			r = BG_ETAMPER;
		}
	}
	if (r == BG_OK)
		r = outcome_ok(c, *out);
	if (r != BG_OK)
		change_free(out);
	cJSON_Delete(j);
	return r == BG_EFORMAT ? BG_ETAMPER : r;
}

/* Writes the file, event first; detail (may be NULL) is freed. */
static int
ch_save(struct bg_cer *c, const struct bg_change *ch, const char *event,
    const char *actor, cJSON *detail)
{
	struct bg_audit_event ev = { event, actor, "", ch->id, detail };
	char name[CH_PATH_MAX], head[65];
	cJSON *j = NULL;
	int r = BG_ENOMEM;

	bg_chain_hex(ch->link->m, head);
	ch_name(ch->id, name);
	if (detail != NULL && cJSON_AddNumberToObject(detail, "n",
	    (double)ch->link->n) && cJSON_AddStringToObject(detail, "link",
	    head) && cJSON_AddStringToObject(detail, "what", ch->what) &&
	    (r = bg_vjson_build(fill_change, ch, &j)) == BG_OK)
		r = bg_state_write(&c->st, name, j, &ev);
	cJSON_Delete(j);
	cJSON_Delete(detail);
	return r;
}

/* ======================================================== what it says */

/* The old state: the head's, or NULL for a genesis. */
static const struct bg_vault *
old_state(const struct bg_cer *c)
{
	return c->chain ? bg_chain_last(c->chain)->state : NULL;
}

static void
show_people(FILE *out, const struct bg_vault *v, const char *name)
{
	const struct bg_vault_person *p = bg_vault_person(v, name);
	size_t t;

	fprintf(out, "    %s:", name);
	for (t = 0; p != NULL && t < p->ntokens; t++)
		fprintf(out, " %s token %s", bg_token_desc_kind(p->tokens[t]) ==
		    BG_TOKEN_FIDO2 ? "fido2" : "yubikey",
		    bg_token_desc_id(p->tokens[t]));
	fprintf(out, "\n");
}

/* The whole state a signature makes the governance: shown before a touch. */
static void
show_state(FILE *out, const struct bg_chain_link *l)
{
	const struct bg_vault *v = l->state;
	const bg_policy_t *p = v->policy;
	char h[65];
	size_t g, m, i;

	bg_chain_hex(l->state_hash, h);
	fprintf(out, "  state sha256 %s\n", h);
	for (g = 0; g < bg_policy_ngroups(p); g++) {
		fprintf(out, "  group %s: %u of %zu\n", bg_policy_group_name(p,
		    g), bg_policy_group_threshold(p, g),
		    bg_policy_group_nmembers(p, g));
		for (m = 0; m < bg_policy_group_nmembers(p, g); m++)
			show_people(out, v, bg_policy_group_member(p, g, m));
	}
	fprintf(out, "  requesters:\n");
	for (i = 0; i < v->npeople; i++)
		if (v->people[i].requester)
			show_people(out, v, v->people[i].name);
	for (i = 0; i < v->naccounts; i++)
		fprintf(out, "  account %s (%s, %s)\n", v->accounts[i].id,
		    v->accounts[i].name, v->accounts[i].email);
	fprintf(out, "  policy: expiry %" PRIu64 " s, timelock %" PRIu64
	    " s, %u slots\n", bg_policy_expiry(p), bg_policy_timelock(p),
	    bg_policy_slots(p));
}

static void
show_change(struct bg_cer *c, const struct bg_change *ch)
{
	char h[65], miss[1024];
	size_t i;

	fprintf(c->out, "change request %s: %s\n", ch->id, ch->what);
	fprintf(c->out, "  %s, link %" PRIu64 " of the chain\n",
	    ch->link->n ? "a change" : "the genesis", ch->link->n);
	if (ch->link->n) {
		bg_chain_hex(ch->link->fp, h);
		fprintf(c->out, "  vault fingerprint %s\n", h);
	}
	bg_chain_hex(ch->link->m, h);
	fprintf(c->out, "  link message %s (what each token signs)\n", h);
	show_state(c->out, ch->link);
	for (i = 0; i < ch->link->nsigs; i++)
		fprintf(c->out, "  signed by %s (token %s)\n",
		    ch->link->sigs[i].person, ch->link->sigs[i].token);
	bg_chain_missing(old_state(c), ch->link, miss, sizeof(miss));
	fprintf(c->out, "  still needed: %s\n", miss[0] ? miss : "nothing "
	    "(it can be applied)");
	fflush(c->out);
}

/* ============================================================== checks */

/* 1 when the chain holds this very link: applied (maybe cut short). */
static int
applied(const struct bg_cer *c, const struct bg_change *ch)
{
	const struct bg_chain_link *l;

	return c->chain != NULL && (l = bg_chain_at(c->chain,
	    ch->link->n)) != NULL && memcmp(l->m, ch->link->m, 32) == 0;
}

/* Open, unexpired, and made after the head as it is now. */
static int
ch_open(struct bg_cer *c, const struct bg_change *ch)
{
	uint8_t head[32];
	uint64_t n = c->chain ? bg_chain_length(c->chain) : 0;

	if (ch->outcome[0] != '\0') {
		bg_set_why("change %s is closed (%s)", ch->id, ch->outcome);
		return BG_EPERM;
	}
	if (applied(c, ch)) {
		bg_set_why("change %s is applied already (link %" PRIu64 ")",
		    ch->id, ch->link->n);
		return BG_EEXIST;
	}
	if (c->now > ch->expiry) {
		bg_set_why("change %s has expired", ch->id);
		return BG_EPERM;
	}
	cer_chain_head(c, head);
	if (ch->link->n != n || (n > 0 && memcmp(ch->link->prev, head,
	    32) != 0)) {
		bg_set_why("change %s was made under another chain head (another "
		    "change was applied since): open it again", ch->id);
		return BG_EPERM;
	}
	return BG_OK;
}

/* The person's tokens that sign: those in the new state, else the old. */
static const struct bg_vault_person *
signer(struct bg_cer *c, const struct bg_change *ch, const char *name)
{
	const struct bg_vault_person *p = bg_vault_person(ch->link->state,
	    name);
	const struct bg_vault *old = old_state(c);

	if (p == NULL && old != NULL)
		p = bg_vault_person(old, name);
	if (p == NULL || p->ntokens == 0)
		bg_set_why("%s holds no token in this change or the state "
		    "before it, so cannot sign it", name);
	return p != NULL && p->ntokens > 0 ? p : NULL;
}

/* ============================================================ opening */

int
bg_cer_governing(const char *event)
{
	static const char *const ev[] = { "account.added", "custodian.added",
	    "custodian.removed", "requester.added", "requester.removed",
	    "token.enrolled", "token.removed", "policy.changed", NULL };
	size_t i;

	for (i = 0; ev[i] != NULL; i++)
		if (strcmp(event, ev[i]) == 0)
			return 1;
	return 0;
}

/* change.opened's detail: the whole proposed link, for the auditor. */
static cJSON *
proposal(const struct bg_change *ch)
{
	cJSON *d = cJSON_CreateObject(), *l = NULL;

	if (d == NULL || bg_chain_link_to_json(ch->link, &l) != BG_OK ||
	    bg_json_add(d, "proposal", l) != BG_OK) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

static int
new_id(char id[BG_CHANGE_ID_LEN + 1])
{
	uint8_t raw[BG_CHANGE_ID_LEN / 2];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return BG_ECRYPTO;
	return bg_hex_encode(raw, sizeof(raw), id, BG_CHANGE_ID_LEN + 1);
}

static int
unchanged(const struct bg_cer *c, const struct bg_chain_link *l)
{
	if (c->chain == NULL || memcmp(bg_chain_last(c->chain)->state_hash,
	    l->state_hash, 32) != 0)
		return BG_OK;
	bg_set_why("this changes nothing in the governance state");
	return BG_EEXIST;
}

int
bg_cer_change_open(struct bg_cer *c, const struct bg_vault *next,
    const char *what, const char *actor, char id[BG_CHANGE_ID_LEN + 1])
{
	struct bg_change *ch = calloc(1, sizeof(*ch));
	char why[512];
	int r;

	if (ch == NULL)
		return BG_ENOMEM;
	if ((r = bg_chain_link_new(c->chain ? bg_chain_last(c->chain) : NULL,
	    next, &ch->link)) == BG_OK && (r = unchanged(c,
	    ch->link)) == BG_OK && bg_chain_state_ok(ch->link->state, why,
	    sizeof(why)) != BG_OK) {
		bg_set_why("refused: the state this would make could never be "
		    "applied: %s", why);
		r = BG_EPERM;
	}
	if (r == BG_OK && (r = new_id(ch->id)) == BG_OK) {
		snprintf(ch->what, sizeof(ch->what), "%s", what);
		snprintf(ch->opened_by, sizeof(ch->opened_by), "%s",
		    actor && actor[0] ? actor : bg_state_actor());
		ch->opened = c->now;
		ch->expiry = c->now + bg_policy_expiry(c->v->policy);
		r = ch_save(c, ch, "change.opened", actor, proposal(ch));
	}
	if (r == BG_OK) {
		memcpy(id, ch->id, BG_CHANGE_ID_LEN + 1);
		show_change(c, ch);
	}
	change_free(&ch);
	return r;
}

/* ============================================================ signing */

static int
in_head(const struct bg_cer *c, const char *person, const char *id)
{
	const struct bg_vault_person *p;

	return c->chain != NULL && (p = bg_vault_person(bg_chain_last(
	    c->chain)->state, person)) != NULL &&
	    bg_vault_person_token(p, id) >= 0;
}

/* One token signs m; its signature into sig. */
static int
sign_with(struct bg_cer *c, const struct bg_vault_person *p,
    const bg_token_desc_t *d, const uint8_t m[32],
    uint8_t sig[BG_TOKEN_SIG_LEN])
{
	bg_token_key_t *key = NULL;
	char sum[256];
	int r;

	bg_token_desc_summary(d, sum, sizeof(sum));
	fprintf(c->out, "%s: touch your token (%s)\n", p->name, sum);
	fflush(c->out);
	r = bg_token_unlock(d, &c->o, &key);
	/* a token the link adds is checked by its own signature instead */
	if (in_head(c, p->name, bg_token_desc_id(d)) &&
	    (r = cer_touch_check(c, p->name, bg_token_desc_id(d), r)) != BG_OK)
		bg_token_key_free(&key);
	if (r != BG_OK)
		return r;
	r = bg_token_key_sign(key, m, 32, sig);
	bg_token_key_free(&key);
	return r;
}

static int
add_sig_detail(cJSON *sigs, const char *token, const uint8_t *sig)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || !cJSON_AddItemToArray(sigs, o))
		return (cJSON_Delete(o), BG_ENOMEM);
	if (!cJSON_AddStringToObject(o, "token", token))
		return BG_ENOMEM;
	return bg_vjson_add_b64(o, "signature", sig, BG_TOKEN_SIG_LEN);
}

static int
has_signed(const struct bg_chain_link *l, const char *person, const char *id)
{
	size_t i;

	for (i = 0; i < l->nsigs; i++)
		if (strcmp(l->sigs[i].person, person) == 0 &&
		    strcmp(l->sigs[i].token, id) == 0)
			return 1;
	return 0;
}

static int
absent(int r)
{
	return r == BG_ENODEV || r == BG_ENOCRED || r == BG_ESERIAL;
}

/*
 * Every token of p signs the link, each with a touch; a token that is not
 * connected (lost, the reason for a token remove) is passed over, and at
 * least one must sign. The rules say whether what was signed suffices.
 */
static int
sign_all(struct bg_cer *c, struct bg_change *ch,
    const struct bg_vault_person *p, cJSON *sigs)
{
	uint8_t sig[BG_TOKEN_SIG_LEN];
	const char *id;
	size_t t, done = 0;
	int r = BG_OK, last = BG_ENODEV;

	for (t = 0; t < p->ntokens; t++) {
		id = bg_token_desc_id(p->tokens[t]);
		if (has_signed(ch->link, p->name, id)) {
			bg_set_why("%s has already approved change %s with "
			    "token %s", p->name, ch->id, id);
			return BG_EEXIST;
		}
		if ((r = sign_with(c, p, p->tokens[t], ch->link->m, sig)) ==
		    BG_OK && (r = bg_chain_link_sign(ch->link, p->name, id,
		    sig)) == BG_OK && (r = add_sig_detail(sigs, id, sig)) ==
		    BG_OK) {
			done++;
			continue;
		}
		if (!absent(r))
			return r;
		fprintf(c->out, "%s: token %s is not connected: passed over\n",
		    p->name, id);
		last = r;
	}
	if (done == 0)
		bg_set_why("%s: none of their tokens is connected", p->name);
	return done ? BG_OK : last;
}

/*
 * Change id loaded and open, and who signs for person: a signer of the
 * new or old state (approve), or a token holder of the state it would
 * replace (deny).
 */
static int
ch_begin(struct bg_cer *c, const char *id, const char *person, int deny,
    struct bg_change **ch, const struct bg_vault_person **p)
{
	int r;

	*p = NULL;
	if ((r = ch_load(c, id, ch)) != BG_OK || (r = ch_open(c, *ch)) != BG_OK)
		return r;
	if (!deny)
		*p = signer(c, *ch, person);
	else if ((*p = denier(c, *ch, person)) == NULL)
		bg_set_why("%s holds no token in the state this change would "
		    "replace, so cannot deny it", person);
	return *p == NULL ? BG_EPERM : BG_OK;
}

/* change.approved with the signatures just added to the link (d). */
static int
approve_commit(struct bg_cer *c, struct bg_change *ch, const char *person,
    cJSON *d)
{
	char miss[1024];
	int r;

	if ((r = ch_save(c, ch, "change.approved", person, d)) != BG_OK)
		return r;
	bg_chain_missing(old_state(c), ch->link, miss, sizeof(miss));
	fprintf(c->out, "%s approved change %s; still needed: %s\n", person,
	    ch->id, miss[0] ? miss : "nothing: apply it with 'breakglass "
	    "change apply'");
	return BG_OK;
}

/* change.denied: the change closed for good, the denial signed (a). */
static int
deny_commit(struct bg_cer *c, struct bg_change *ch,
    const struct bg_vault_person *p, const char *reason,
    const struct bg_cer_act *a)
{
	cJSON *d;
	int r;

	snprintf(ch->reason, sizeof(ch->reason), "%s", reason ? reason : "");
	snprintf(ch->denial.person, sizeof(ch->denial.person), "%s", p->name);
	snprintf(ch->denial.token, sizeof(ch->denial.token), "%s", a->token);
	memcpy(ch->denial.sig, a->sig, BG_TOKEN_SIG_LEN);
	snprintf(ch->outcome, sizeof(ch->outcome), "denied");
	ch->closed = c->now;
	if ((d = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(d, "reason", ch->reason) ||
	    cer_act_detail(a, d) != BG_OK) {
		cJSON_Delete(d);
		return BG_ENOMEM;
	}
	if ((r = ch_save(c, ch, "change.denied", p->name, d)) == BG_OK)
		fprintf(c->out, "change %s denied by %s: nothing of it takes "
		    "effect\n", ch->id, p->name);
	return r;
}

/* The first of p's tokens signs the denial, with a touch. */
static int
deny_sign(struct bg_cer *c, const struct bg_change *ch,
    const struct bg_vault_person *p, struct bg_cer_act *a)
{
	uint8_t m[32];
	int r;

	snprintf(a->token, sizeof(a->token), "%s",
	    bg_token_desc_id(p->tokens[0]));
	if ((r = deny_message(ch->link, m)) != BG_OK)
		return r;
	return sign_with(c, p, p->tokens[0], m, a->sig);
}

static int
ch_refused(struct bg_cer *c, const char *cmd, const char *id,
    const char *person, int r)
{
	return r == BG_OK ? r : bg_cer_refused(c, "change.refused", cmd, id,
	    "", person, r);
}

int
bg_cer_change_approve(struct bg_cer *c, const char *id, const char *person)
{
	const struct bg_vault_person *p;
	struct bg_change *ch = NULL;
	cJSON *d = NULL, *sigs;
	int r;

	if ((r = ch_begin(c, id, person, 0, &ch, &p)) != BG_OK)
		goto out;
	show_change(c, ch);
	if ((d = cJSON_CreateObject()) == NULL ||
	    (sigs = cJSON_AddArrayToObject(d, "signatures")) == NULL)
		r = BG_ENOMEM;
	else if ((r = sign_all(c, ch, p, sigs)) == BG_OK) {
		r = approve_commit(c, ch, person, d);
		d = NULL;
	}
out:
	cJSON_Delete(d);
	change_free(&ch);
	return ch_refused(c, "change approve", id, person, r);
}

int
bg_cer_change_deny(struct bg_cer *c, const char *id, const char *person,
    const char *reason)
{
	const struct bg_vault_person *p;
	struct bg_change *ch = NULL;
	struct bg_cer_act a;
	int r;

	if ((r = ch_begin(c, id, person, 1, &ch, &p)) == BG_OK &&
	    (r = deny_sign(c, ch, p, &a)) == BG_OK)
		r = deny_commit(c, ch, p, reason, &a);
	change_free(&ch);
	return ch_refused(c, "change deny", id, person, r);
}

/* ---------------------------------------- the same, touched in a client */

int
bg_cer_change_kit(struct bg_cer *c, const char *id, const char *person,
    int deny, cJSON **kit)
{
	const struct bg_vault_person *p;
	struct bg_change *ch = NULL;
	cJSON *j = NULL;
	int r;

	*kit = NULL;
	if ((r = ch_begin(c, id, person, deny, &ch, &p)) == BG_OK &&
	    (r = cer_kit_any(c, kit)) == BG_OK &&
	    (r = bg_vjson_build(fill_change, ch, &j)) == BG_OK)
		r = bg_json_add(*kit, "change", j);
	if (r != BG_OK) {
		cJSON_Delete(*kit);
		*kit = NULL;
	}
	change_free(&ch);
	return ch_refused(c, deny ? "change deny" : "change approve", id,
	    person, r);
}

int
bg_cer_change_take(struct bg_cer *c, const cJSON *kit, const char *id,
    const char *person, int deny, cJSON **sub)
{
	const struct bg_vault_person *p = NULL;
	struct bg_change *ch;
	struct bg_cer_act a;
	cJSON *sigs;
	int r;

	*sub = NULL;
	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return BG_ENOMEM;
	if ((r = parse_change(cJSON_GetObjectItemCaseSensitive(kit, "change"),
	    ch)) == BG_OK && strcmp(ch->id, id) != 0) {
		bg_set_why("the daemon's kit holds another change");
		r = BG_ETAMPER;
	}
	if (r == BG_OK && (r = ch_open(c, ch)) == BG_OK &&
	    (p = deny ? denier(c, ch, person) : signer(c, ch, person)) ==
	    NULL)
		r = BG_EPERM;
	if (r == BG_OK && deny && (r = deny_sign(c, ch, p, &a)) == BG_OK)
		r = bg_cer_act_to_json(&a, sub);
	else if (r == BG_OK && !deny) {
		show_change(c, ch);
		if ((*sub = cJSON_CreateObject()) == NULL ||
		    (sigs = cJSON_AddArrayToObject(*sub, "signatures")) == NULL)
			r = BG_ENOMEM;
		else
			r = sign_all(c, ch, p, sigs);
	}
	change_free(&ch);
	return r;
}

/*
 * The key a client's signature by p's token id is checked with: the
 * chain's (ids keep their keys), or the change's for a token it adds.
 * The apply checks every signature again under the rules.
 */
static const bg_token_desc_t *
sig_key(const struct bg_cer *c, const struct bg_vault_person *p,
    const char *id)
{
	const bg_token_desc_t *d;
	int t;

	if (c->chain != NULL && (d = bg_chain_token_ever(c->chain, p->name,
	    id)) != NULL)
		return d;
	return (t = bg_vault_person_token(p, id)) < 0 ? NULL : p->tokens[t];
}

/* A client's signatures of the link: p's tokens, each once, verifying. */
static int
take_sigs(struct bg_cer *c, struct bg_change *ch,
    const struct bg_vault_person *p, const cJSON *sub, cJSON *sigs)
{
	static const char *const keys[] = { "signatures", NULL };
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(sub,
	    "signatures"), *e;
	const bg_token_desc_t *d;
	struct bg_cer_act a;
	int r;

	if (bg_json_only_keys(sub, keys) != BG_OK || !cJSON_IsArray(arr) ||
	    cJSON_GetArraySize(arr) < 1 ||
	    (size_t)cJSON_GetArraySize(arr) > p->ntokens) {
		bg_set_why("the client sent no signatures of %s's tokens",
		    p->name);
		return BG_EFORMAT;
	}
	cJSON_ArrayForEach(e, arr) {
		if ((r = bg_cer_act_from_json(e, &a)) != BG_OK)
			return r;
		if (has_signed(ch->link, p->name, a.token)) {
			bg_set_why("%s has already approved change %s with "
			    "token %s", p->name, ch->id, a.token);
			return BG_EEXIST;
		}
		if (bg_vault_person_token(p, a.token) < 0 ||
		    (d = sig_key(c, p, a.token)) == NULL ||
		    bg_token_sig_verify(d, ch->link->m, 32, a.sig) != BG_OK) {
			bg_set_why("a signature of change %s that is not %s's "
			    "token's (made without it)", ch->id, p->name);
			return BG_ETAMPER;
		}
		if ((r = bg_chain_link_sign(ch->link, p->name, a.token,
		    a.sig)) != BG_OK ||
		    (r = add_sig_detail(sigs, a.token, a.sig)) != BG_OK)
			return r;
	}
	return BG_OK;
}

int
bg_cer_change_submit(struct bg_cer *c, const char *id, const char *person,
    const char *reason, const cJSON *sub)
{
	const struct bg_vault_person *p;
	struct bg_change *ch = NULL;
	struct bg_cer_act a;
	cJSON *d = NULL, *sigs;
	int deny = reason != NULL, r;

	if ((r = ch_begin(c, id, person, deny, &ch, &p)) != BG_OK)
		goto out;
	if (deny) {
		if ((r = bg_cer_act_from_json(sub, &a)) == BG_OK &&
		    (r = cer_act_check_key(p, sig_key(c, p, a.token),
		    BG_CER_CHANGE_DENY_TAG, ch->link->m, "", &a)) == BG_OK)
			r = deny_commit(c, ch, p, reason, &a);
	} else if ((d = cJSON_CreateObject()) == NULL ||
	    (sigs = cJSON_AddArrayToObject(d, "signatures")) == NULL) {
		r = BG_ENOMEM;
	} else if ((r = take_sigs(c, ch, p, sub, sigs)) == BG_OK) {
		r = approve_commit(c, ch, person, d);
		d = NULL;
	}
out:
	cJSON_Delete(d);
	change_free(&ch);
	return ch_refused(c, deny ? "change deny" : "change approve", id,
	    person, r);
}

/* ============================================================ applying */

static int
write_link(struct bg_cer *c, const struct bg_change *ch)
{
	struct bg_audit_event ev = { "chain.link", "", "", ch->id, NULL };
	char name[BG_CHAIN_PATH_MAX], h[65];
	cJSON *j = NULL, *d, *link;
	int r;

	bg_chain_path(ch->link->n, name);
	bg_chain_hex(ch->link->m, h);
	if ((d = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddNumberToObject(d, "n", (double)ch->link->n) ||
	    !cJSON_AddStringToObject(d, "head", h) ||
	    !cJSON_AddStringToObject(d, "what", ch->what)) {
		r = BG_ENOMEM;
	} else if ((r = bg_chain_link_to_json(ch->link, &j)) == BG_OK) {
		/* the whole link in the log: an auditor rebuilds the chain
		 * from the log alone (docs/audit.md "Governance") */
		if ((link = cJSON_Duplicate(j, 1)) == NULL ||
		    bg_json_add(d, "link", link) != BG_OK) {
			r = BG_ENOMEM;
		} else {
			ev.detail = d;
			r = bg_state_write(&c->st, name, j, &ev);
		}
	}
	cJSON_Delete(j);
	cJSON_Delete(d);
	return r;
}

/* The genesis is of vault.json as it is: nothing changed since arm. */
static int
genesis_current(struct bg_cer *c, const struct bg_change *ch)
{
	uint8_t h[32];
	int r;

	if (ch->link->n != 0)
		return BG_OK;
	if ((r = bg_chain_state_of(c->v, NULL, h)) != BG_OK)
		return r;
	if (memcmp(h, ch->link->state_hash, 32) == 0)
		return BG_OK;
	bg_set_why("the set-up changed after this genesis was proposed: run "
	    "'breakglass vault arm' again");
	return BG_EPERM;
}

/* The change file closed as applied; the fingerprint shown. */
static int
close_applied(struct bg_cer *c, struct bg_change *ch)
{
	char fp[65];
	int r;

	snprintf(ch->outcome, sizeof(ch->outcome), "applied");
	ch->closed = c->now;
	if ((r = ch_save(c, ch, "change.closed", "", cJSON_CreateObject())) !=
	    BG_OK)
		return r;
	bg_chain_hex(ch->link->n ? ch->link->fp : ch->link->m, fp);
	fprintf(c->out, "%s: link %" PRIu64 " of the chain\nvault fingerprint "
	    "%s\n", ch->link->n ? "change applied" : "vault armed: the "
	    "genesis is signed", ch->link->n, fp);
	return BG_OK;
}

int
bg_cer_change_apply(struct bg_cer *c, const char *id)
{
	struct bg_change *ch = NULL;
	const struct bg_vault *old;
	uint8_t head[32];
	char why[1024];
	int r;

	if ((r = ch_load(c, id, &ch)) != BG_OK)
		goto out;
	if (ch->outcome[0] == '\0' && applied(c, ch)) {
		r = close_applied(c, ch);	/* an apply cut short */
		goto out;
	}
	if ((r = ch_open(c, ch)) != BG_OK ||
	    (r = genesis_current(c, ch)) != BG_OK)
		goto out;
	old = old_state(c);
	cer_chain_head(c, head);
	if ((r = bg_chain_link_check(old, c->chain ? bg_chain_fingerprint(
	    c->chain) : NULL, head, ch->link->n, ch->link, why,
	    sizeof(why))) != BG_OK) {
		bg_set_why("change %s cannot be applied: %s", id, why);
		goto out;
	}
	if ((r = write_link(c, ch)) != BG_OK ||
	    (r = cer_adopt(c->v, ch->link)) != BG_OK ||
	    (r = cer_save_vault(c, ch->link->n ? "change.applied" :
	    "vault.armed", ch->link, ch->what)) != BG_OK)
		goto out;
	r = close_applied(c, ch);
out:
	if (r != BG_OK)
		r = bg_cer_refused(c, "change.refused", "change apply", id, "",
		    "", r);
	change_free(&ch);
	return r;
}

int
bg_cer_change_status(struct bg_cer *c, const char *id)
{
	struct bg_change *ch = NULL;
	int r;

	if ((r = ch_load(c, id, &ch)) != BG_OK)
		return bg_cer_refused(c, "change.refused", "change status", id,
		    "", "", r);
	if ((r = bg_cer_note(c, "change.read", "", "", id, NULL)) == BG_OK) {
		show_change(c, ch);
		fprintf(c->out, "  %s\n", ch->outcome[0] ? ch->outcome :
		    c->now > ch->expiry ? "expired" : "open");
	}
	change_free(&ch);
	return r;
}
