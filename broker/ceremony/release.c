/*
 * release: every approval re-checked, the quorum counted, the requester's
 * token opens the request key, the shares are combined and checked, the
 * items opened; release.done is durable before anything is returned.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "broker/ceremony/internal.h"

struct rel {
	struct bg_cer *c;
	struct bg_rqfile *f;
	const struct bg_vault_account *acct;
	uint8_t *rqpriv;		/* locked, 32 bytes */
	uint8_t *gpriv;			/* locked, 32 per group */
	const char *groups[BG_POLICY_GROUPS_MAX];
	size_t ngroups;
};

/* ============================================== re-checking approvals */

static int
expected_statement(const struct rel *r, const struct bg_rq_approval *ap,
    char *text, size_t *len)
{
	const struct bg_vault_gkey *k = bg_vault_gkey(r->acct, ap->group);
	const struct bg_vault_person *p = bg_vault_person(r->c->v,
	    ap->custodian);
	const struct bg_vault_share *s;
	struct bg_statement st;
	uint8_t sum[32];
	size_t b;
	int t;

	if (k == NULL || p == NULL || (s = bg_vault_share(k, p->name)) == NULL ||
	    (t = bg_vault_person_token(p, ap->touch.token)) < 0 ||
	    s->x != ap->x) {
		bg_set_why("the approval of %s is for a key or token the vault "
		    "no longer has (rekeyed?)", ap->custodian);
		return BG_EPERM;
	}
	for (b = 0; b < s->nbox; b++)
		if (strcmp(s->token[b], ap->touch.token) == 0)
			break;
	if (b == s->nbox || EVP_Digest(s->box[b], BG_SHARE_BOX_LEN, sum, NULL,
	    EVP_sha256(), NULL) != 1)
		return BG_EPERM;
	if (bg_request_statement(r->f->rq, r->c->v->id, ap->group,
	    ap->custodian, sum, &st) != BG_OK ||
	    bg_statement_build(&st, text, BG_STATEMENT_MAX, len) != BG_OK)
		return BG_EPERM;
	return BG_OK;
}

/*
 * A statement that is not the expected one: made for this request under
 * a group key since replaced (a rekey; an ordinary refusal), or made for
 * another request or edited (tampering).
 */
static int
stale_or_forged(const struct rel *r, const struct bg_rq_approval *ap)
{
	struct bg_statement was, now;
	char text[BG_STATEMENT_MAX];
	size_t len;

	if (bg_statement_parse(ap->statement, ap->statement_len, &was) ==
	    BG_OK && bg_request_statement(r->f->rq, r->c->v->id, ap->group,
	    ap->custodian, was.share_sha256, &now) == BG_OK &&
	    bg_statement_build(&now, text, sizeof(text), &len) == BG_OK &&
	    len == ap->statement_len && memcmp(text, ap->statement, len) == 0) {
		bg_set_why("the approval of %s was made before group %s was "
		    "re-keyed; its share is no longer valid: open a new "
		    "request", ap->custodian, ap->group);
		return BG_EPERM;
	}
	bg_set_why("the approval of %s was not made for this request "
	    "(copied or edited)", ap->custodian);
	return BG_ETAMPER;
}

/* One approval: the statement this request implies, and its signature. */
static int
check_approval(const struct rel *r, const struct bg_rq_approval *ap)
{
	const struct bg_vault_person *p = bg_vault_person(r->c->v,
	    ap->custodian);
	const bg_token_desc_t *d;
	char text[BG_STATEMENT_MAX];
	uint8_t hash[32];
	size_t len;
	int rc;

	if ((rc = expected_statement(r, ap, text, &len)) != BG_OK)
		return rc;
	if (len != ap->statement_len || memcmp(text, ap->statement, len) != 0)
		return stale_or_forged(r, ap);
	d = p->tokens[bg_vault_person_token(p, ap->touch.token)];
	if (bg_token_desc_kind(d) != BG_TOKEN_FIDO2)
		return ap->touch.signed_ ? BG_ETAMPER : BG_OK;
	if (!ap->touch.signed_ || bg_statement_hash(text, len, hash) != BG_OK ||
	    bg_token_verify(d, hash, &ap->touch.as) != BG_OK) {
		bg_set_why("the approval of %s has no valid signature",
		    ap->custodian);
		return BG_ESIG;
	}
	return BG_OK;
}

/* Every approval must check (any that does not is refused), then count. */
static int
check_approvals(struct rel *r)
{
	char why[512];
	size_t i;
	int rc;

	for (i = 0; i < r->f->napprovals; i++)
		if ((rc = check_approval(r, &r->f->approvals[i])) != BG_OK)
			return rc;
	if ((rc = cer_quorum(r->c, r->f, why, sizeof(why))) != BG_OK)
		bg_set_why("no quorum: %s", why);
	return rc;
}

static int
timelock(const struct rel *r)
{
	uint64_t last = 0, lock = bg_policy_timelock(r->c->v->policy);
	size_t i;

	for (i = 0; i < r->f->napprovals; i++)
		if (r->f->approvals[i].time > last)
			last = r->f->approvals[i].time;
	if (r->c->now < last + lock) {
		bg_set_why("time lock: release possible in %llu s",
		    (unsigned long long)(last + lock - r->c->now));
		return BG_EPERM;
	}
	return BG_OK;
}

/* ============================================================ the keys */

static int
open_request_key(struct rel *r, const struct bg_vault_person *p)
{
	bg_token_key_t *key = NULL;
	struct bg_touch t;
	char aad[512];
	size_t tok, i, aadlen, len;
	int rc;

	if ((rc = bg_cer_touch(r->c, p, NULL, NULL, &t, &key, &tok)) != BG_OK)
		return rc;
	for (i = 0; i < r->f->nkey; i++)
		if (strcmp(r->f->key_token[i], t.token) == 0)
			break;
	rc = BG_EPERM;
	if (i < r->f->nkey && (aadlen = cer_aad_request_key(r->c, r->f, aad,
	    sizeof(aad))) > 0)
		rc = bg_box_open(bg_token_key_bytes(key), "request-key", aad,
		    aadlen, r->f->key_box[i], BG_RQ_KEY_BOX_LEN, r->rqpriv, 32,
		    &len);
	bg_token_key_free(&key);
	if (rc != BG_OK)
		bg_set_why("the request key does not open with %s's token "
		    "(request edited after it was made?)", p->name);
	return rc;
}

/* Opens approval ap's share with the request key and checks it. */
static int
open_share(struct rel *r, const struct bg_rq_approval *ap, uint8_t *share)
{
	const struct bg_vault_gkey *k = bg_vault_gkey(r->acct, ap->group);
	char aad[512];
	size_t aadlen, len;
	int rc;

	if ((aadlen = cer_aad_approval(r->c, r->f, ap->group, ap->custodian,
	    ap->x, aad, sizeof(aad))) == 0)
		return BG_EINTERNAL;
	if ((rc = bg_box_open(r->rqpriv, "approval-share", aad, aadlen,
	    ap->share, sizeof(ap->share), share, BG_SHARE_LEN, &len)) != BG_OK) {
		bg_set_why("bad share: the share of %s (group %s) does not open "
		    "(request edited after approval?)", ap->custodian,
		    ap->group);
		return BG_ETAMPER;
	}
	return bg_vault_share_check(r->c->v, k, ap->x, share);
}

/* Combines the shares of group g into r->gpriv + 32 g. */
static int
combine_group(struct rel *r, size_t g)
{
	const struct bg_vault_gkey *k = bg_vault_gkey(r->acct, r->groups[g]);
	const uint8_t *ys[BG_POLICY_MEMBERS_MAX];
	uint8_t xs[BG_POLICY_MEMBERS_MAX], *sh;
	size_t i, shlen = BG_POLICY_MEMBERS_MAX * BG_SHARE_LEN;
	unsigned n = 0;
	int rc = BG_OK;

	if ((sh = bg_secure_alloc(shlen)) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < r->f->napprovals && n < k->threshold && rc == BG_OK;
	    i++) {
		const struct bg_rq_approval *ap = &r->f->approvals[i];

		if (strcmp(ap->group, k->group) != 0)	/* all checked */
			continue;
		ys[n] = sh + n * BG_SHARE_LEN;
		xs[n] = ap->x;
		if ((rc = open_share(r, ap, sh + n * BG_SHARE_LEN)) == BG_OK)
			n++;
	}
	if (rc == BG_OK)
		rc = bg_vault_combine(k, xs, ys, n, r->gpriv + 32 * g);
	bg_secure_free(&sh, shlen);
	return rc;
}

/* ============================================================ the items */

static int
open_items(struct rel *r, struct bg_released **out, size_t *nout)
{
	struct bg_group_priv keys[BG_POLICY_GROUPS_MAX];
	const char *const *names = bg_request_items(r->f->rq);
	size_t i, n = bg_request_nitems(r->f->rq);
	struct bg_released *items;
	int rc = BG_OK;

	for (i = 0; i < r->ngroups; i++) {
		keys[i].group = r->groups[i];
		keys[i].priv = r->gpriv + 32 * i;
	}
	if ((items = calloc(n, sizeof(*items))) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < n && rc == BG_OK; i++) {
		const struct bg_vault_item *it = bg_vault_item(r->acct, names[i]);

		if (it == NULL) {
			bg_set_why("item %s is no longer sealed", names[i]);
			rc = BG_ENOENT;
			break;
		}
		snprintf(items[i].name, sizeof(items[i].name), "%s", it->name);
		items[i].kind = it->kind;
		rc = bg_vault_open_item(r->c->v, r->acct, it, keys, r->ngroups,
		    &items[i].data, &items[i].len);
	}
	if (rc != BG_OK) {
		bg_released_free(&items, n);
		return rc;
	}
	*out = items;
	*nout = n;
	return BG_OK;
}

void
bg_released_free(struct bg_released **items, size_t n)
{
	size_t i;

	if (items == NULL || *items == NULL)
		return;
	for (i = 0; i < n; i++)
		if ((*items)[i].data != NULL)
			bg_secure_free(&(*items)[i].data, (*items)[i].len + 1);
	free(*items);
	*items = NULL;
}

/* ====================================================== recording it */

static int
release_detail(const struct rel *r, int reveal_seed, cJSON **d)
{
	cJSON *items, *who;
	size_t i;

	if ((*d = cJSON_CreateObject()) == NULL ||
	    (items = cJSON_CreateStringArray(bg_request_items(r->f->rq),
	    (int)bg_request_nitems(r->f->rq))) == NULL ||
	    bg_json_add(*d, "items", items) != BG_OK ||
	    (who = cJSON_AddArrayToObject(*d, "approvers")) == NULL ||
	    !cJSON_AddBoolToObject(*d, "reveal_seed", reveal_seed))
		return BG_ENOMEM;
	for (i = 0; i < r->f->napprovals; i++)
		if (!cJSON_AddItemToArray(who, cJSON_CreateString(
		    r->f->approvals[i].custodian)))
			return BG_ENOMEM;
	return BG_OK;
}

/*
 * First the items' rotation mark (items.rotation_due), then release.done
 * with the request file: a crash between leaves items marked and the
 * request open for another try, never a release without its mark.
 */
static int
record_release(struct rel *r, const char *requester, int reveal_seed)
{
	struct bg_audit_event ev = { "items.rotation_due", requester,
	    r->acct->id, bg_request_id(r->f->rq), NULL };
	struct bg_vault_account *a = (struct bg_vault_account *)r->acct;
	cJSON *d = NULL;
	size_t i;
	int rc;

	for (i = 0; i < bg_request_nitems(r->f->rq); i++) {
		struct bg_vault_item *it = bg_vault_item(a,
		    bg_request_items(r->f->rq)[i]);

		it->needs_rotation = 1;
		it->released = r->c->now;
	}
	if ((rc = bg_vault_save(&r->c->st, r->c->v, &ev)) != BG_OK)
		return rc;
	r->f->state = BG_RQ_RELEASED;
	r->f->closed = r->c->now;
	if ((rc = release_detail(r, reveal_seed, &d)) == BG_OK)
		rc = cer_save(r->c, r->f, "release.done", requester, d);
	cJSON_Delete(d);
	return rc;
}

static int
release(struct rel *r, const char *requester, struct bg_released **items,
    size_t *nitems)
{
	const struct bg_vault_person *p;
	size_t g;
	int rc;

	if ((p = bg_cer_person(r->c, requester)) == NULL)
		return BG_ENOENT;
	if (strcmp(p->name, bg_request_requester(r->f->rq)) != 0) {
		bg_set_why("only %s, who opened request %s, can release it",
		    bg_request_requester(r->f->rq), bg_request_id(r->f->rq));
		return BG_EPERM;
	}
	if ((rc = cer_open_check(r->c, r->f)) != BG_OK ||
	    (rc = cer_groups(r->c, r->f, r->groups, &r->ngroups)) != BG_OK ||
	    (rc = check_approvals(r)) != BG_OK || (rc = timelock(r)) != BG_OK)
		return rc;
	if ((rc = open_request_key(r, p)) != BG_OK)
		return rc;
	for (g = 0; g < r->ngroups && rc == BG_OK; g++)
		rc = combine_group(r, g);
	if (rc == BG_OK)
		rc = open_items(r, items, nitems);
	return rc;
}

int
bg_cer_release(struct bg_cer *c, const char *id, const char *requester,
    int reveal_seed, struct bg_released **items, size_t *nitems)
{
	struct rel *r = calloc(1, sizeof(*r));
	size_t glen = 32 * BG_POLICY_GROUPS_MAX;
	int rc;

	*items = NULL;
	*nitems = 0;
	if (r == NULL || (r->rqpriv = bg_secure_alloc(32)) == NULL ||
	    (r->gpriv = bg_secure_alloc(glen)) == NULL) {
		rc = BG_ENOMEM;
		goto out;
	}
	r->c = c;
	if ((rc = cer_load(c, id, &r->f)) != BG_OK) {
		rc = cer_refuse(c, "release", id, "", requester, rc);
		goto out;
	}
	if ((r->acct = bg_vault_account(c->v, bg_request_account(r->f->rq))) ==
	    NULL) {
		bg_set_why("the request's account is not in the vault");
		rc = BG_ENOENT;
	} else {
		rc = release(r, requester, items, nitems);
	}
	if (rc != BG_OK)
		rc = cer_refuse(c, "release", id, bg_request_account(r->f->rq),
		    requester, rc);
	else if ((rc = record_release(r, requester, reveal_seed)) != BG_OK)
		bg_released_free(items, *nitems);
out:
	if (r != NULL) {
		bg_secure_free(&r->rqpriv, 32);
		bg_secure_free(&r->gpriv, glen);
		bg_rqfile_free(&r->f);
	}
	free(r);
	if (rc != BG_OK)
		*nitems = 0;
	return rc;
}
