/*
 * release (docs/design.md §5.2): every approval re-checked against this
 * request's hash, the quorum counted, the requester's token opens the
 * request key, each item's slot shares are opened and checked against the
 * sealer-signed commitments (a bad share names its approver), K is
 * checked against its commitment, the items opened; release.done is
 * durable before anything is returned.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/ceremony/internal.h"

struct rel {
	struct bg_cer *c;
	struct bg_rqfile *f;
	const struct bg_vault_account *acct;
	uint8_t *rqpriv;		/* locked, 32 bytes */
	int own;			/* rqpriv allocated here */
	struct bg_cer_act act;		/* the requester's token's signature */
};

/* ============================================ checking an approval */

/* Whether the log says person wrote a share of slot s for group. */
static int
granted(const bg_ledger_t *l, const struct bg_ledger_slot *s,
    const char *group, const char *person)
{
	const char *p[BG_SHAMIR_MAX + 1];
	size_t n, i;

	n = bg_ledger_holders(l, s, group, p, BG_SHAMIR_MAX);
	for (i = 0; i < n; i++)
		if (strcmp(p[i], person) == 0)
			return 1;
	return 0;
}

/*
 * Entry k of approval ap's statement: an item of the request, its very
 * version and slot, named once, and the log's word that ap's custodian
 * wrote a share of that slot for ap's group, the slot burned by this
 * request.
 */
static int
entry_agrees(struct bg_cer *c, const struct bg_rqfile *f,
    const struct bg_rq_approval *ap, const struct bg_statement2 *st,
    size_t k)
{
	const struct bg_statement2_entry *se = &st->entry[k];
	const struct bg_request2_entry *e = cer_entry(f, se->item);
	const struct bg_ledger_burn *b;
	struct bg_ledger_slot s;
	bg_ledger_t *l;
	size_t j;
	int r;

	for (j = 0; j < k; j++)
		if (strcmp(st->entry[j].item, se->item) == 0)
			e = NULL;
	if (e == NULL || e->version != se->version || e->slot != se->slot) {
		bg_set_why("%s's approval names %s version %llu slot %u, "
		    "which this request does not", ap->custodian, se->item,
		    (unsigned long long)se->version, se->slot);
		return BG_ETAMPER;
	}
	if ((r = cer_ledger(c, &l)) != BG_OK)
		return r;
	memset(&s, 0, sizeof(s));
	snprintf(s.account, sizeof(s.account), "%s", f->rq2->account);
	snprintf(s.item, sizeof(s.item), "%s", e->item);
	s.version = e->version;
	s.slot = e->slot;
	if ((b = bg_ledger_burned(l, &s)) == NULL ||
	    strcmp(b->request, bg_request_id(f->rq)) != 0 ||
	    !granted(l, &s, ap->group, ap->custodian)) {
		bg_set_why("the log records no approval by %s (group %s) of "
		    "slot %u of %s for this request", ap->custodian,
		    ap->group, e->slot, e->item);
		return BG_ETAMPER;
	}
	return BG_OK;
}

/* Every entry of the signed statement agrees with the request and log. */
static int
entries_agree(struct bg_cer *c, const struct bg_rqfile *f,
    const struct bg_rq_approval *ap)
{
	struct bg_statement2 *st;
	size_t k;
	int r;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return BG_ENOMEM;
	if ((r = bg_statement2_parse(ap->statement, ap->statement_len, st)) !=
	    BG_OK || st->nentries == 0) {
		bg_set_why("%s's approval names no item", ap->custodian);
		r = BG_ETAMPER;
	}
	for (k = 0; k < st->nentries && r == BG_OK; k++)
		r = entry_agrees(c, f, ap, st, k);
	free(st);
	return r;
}

/* A member of ap's group, a group the request needs (policy). */
static int
counts(struct bg_cer *c, const struct bg_rqfile *f,
    const struct bg_rq_approval *ap)
{
	const char *groups[BG_POLICY_GROUPS_MAX];
	size_t n, g;
	int r;

	if ((r = cer_groups(c, f, groups, &n)) != BG_OK)
		return r;
	for (g = 0; g < n; g++)
		if (strcmp(groups[g], ap->group) == 0)
			break;
	if (g == n || !bg_policy_is_member(c->v->policy, ap->group,
	    ap->custodian)) {
		bg_set_why("%s is not a member of group %s, which this "
		    "request needs: the approval does not count",
		    ap->custodian, ap->group);
		return BG_EPERM;
	}
	return BG_OK;
}

int
cer_approval_check(struct bg_cer *c, const struct bg_rqfile *f, size_t i)
{
	const struct bg_rq_approval *ap = &f->approvals[i];
	size_t j;
	int r;

	for (j = 0; j < i; j++)
		if (bg_name_same(f->approvals[j].custodian, ap->custodian)) {
			bg_set_why("%s approves this request twice (an approval "
			    "copied in)", ap->custodian);
			return BG_ETAMPER;
		}
	if ((r = cer_approval_ok(c, f, ap)) != BG_OK ||
	    (r = entries_agree(c, f, ap)) != BG_OK)
		return r;
	return counts(c, f, ap);
}

/* ============================================================ release */

/*
 * Every approval must check (a forged one is refused; one that does not
 * count, its custodian no longer a member, is left to the count).
 */
static int
check_approvals(struct rel *r)
{
	char why[512];
	size_t i;
	int rc;

	for (i = 0; i < r->f->napprovals; i++)
		if ((rc = cer_approval_check(r->c, r->f, i)) != BG_OK &&
		    rc != BG_EPERM)
			return rc;
	if ((rc = cer_quorum(r->c, r->f, why, sizeof(why), NULL)) != BG_OK)
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

/* The request key's private half, from the box of the signing token. */
static int
open_request_key(struct rel *r, const bg_token_key_t *key)
{
	struct bg_label l;
	size_t i, len;
	int rc = BG_EPERM;

	for (i = 0; i < r->f->nkey; i++)
		if (strcmp(r->f->key_token[i], r->act.token) == 0)
			break;
	if (i < r->f->nkey && cer_request_key_label(r->c, r->f, &l) == BG_OK)
		rc = bg_box_open(bg_token_key_bytes(key), "request-key", l.b,
		    l.len, r->f->key_box[i], BG_RQ_KEY_BOX_LEN, r->rqpriv, 32,
		    &len);
	if (rc != BG_OK)
		bg_set_why("the request key does not open with %s's token "
		    "(request edited after it was made?)",
		    bg_request_requester(r->f->rq));
	return rc;
}

/* One touch: the token signs the release and opens the request key. */
static int
sign_and_open(struct rel *r, const struct bg_vault_person *p)
{
	bg_token_key_t *key = NULL;
	int rc;

	if ((rc = cer_act_sign(r->c, p, BG_CER_RELEASE_TAG, r->f->hash, "",
	    &r->act, &key)) != BG_OK)
		return rc;
	rc = open_request_key(r, key);
	bg_token_key_free(&key);
	return rc;
}

/* The box of item in approval ap, or NULL. */
static const struct bg_rq_share *
share_of(const struct bg_rq_approval *ap, const char *item)
{
	size_t i;

	for (i = 0; i < ap->nshare; i++)
		if (strcmp(ap->share[i].item, item) == 0)
			return &ap->share[i];
	return NULL;
}

/*
 * Opens approval ap's share of item it (group g) with the request key;
 * the label and x come from the vault's record of the version, never from
 * the request file.
 */
static int
open_share(struct rel *r, const struct bg_vault_item *it, size_t g,
    const struct bg_rq_approval *ap, uint8_t *x, uint8_t *share)
{
	const struct bg_v2_group *grp = &it->ver->g[g];
	const struct bg_rq_share *sh = share_of(ap, it->name);
	struct bg_label l;
	size_t m, len;

	for (m = 0; m < grp->n; m++)
		if (strcmp(grp->m[m].person, ap->custodian) == 0)
			break;
	if (sh == NULL || m == grp->n)
		return BG_ENOENT;
	*x = grp->m[m].x;
	if (cer_approval_label(r->c, r->f, it, g, *x, ap->token, &l) != BG_OK ||
	    bg_box_open(r->rqpriv, "approval-share", l.b, l.len, sh->box,
	    sizeof(sh->box), share, BG_SLOT_KEY_LEN, &len) != BG_OK) {
		bg_set_why("bad share: the share of %s (group %s) does not "
		    "open (request edited after approval?)", ap->custodian,
		    ap->group);
		return BG_ETAMPER;
	}
	if (bg_v2_check_share(r->c->v, it->ver, g, *x,
	    cer_entry(r->f, it->name)->slot, share) != BG_OK) {
		bg_set_why("bad share: %s's share of %s (group %s, x=%u) is "
		    "not the one the sealer committed", ap->custodian,
		    it->name, ap->group, *x);
		return BG_ETAMPER;
	}
	return BG_OK;
}

/* One group's shares of the item's slot: t of them, each opened. */
static int
group_shares(struct rel *r, const struct bg_vault_item *it, size_t g,
    uint8_t *xs, const uint8_t **ys, uint8_t *sh, unsigned *k)
{
	const struct bg_v2_group *grp = &it->ver->g[g];
	size_t i;
	int rc;

	*k = 0;
	for (i = 0; i < r->f->napprovals && *k < grp->t; i++) {
		const struct bg_rq_approval *ap = &r->f->approvals[i];

		if (strcmp(ap->group, grp->name) != 0)	/* all checked */
			continue;
		ys[*k] = sh + *k * BG_SLOT_KEY_LEN;
		rc = open_share(r, it, g, ap, &xs[*k], sh + *k * BG_SLOT_KEY_LEN);
		if (rc == BG_ENOENT)
			continue;
		if (rc != BG_OK)
			return rc;
		++*k;
	}
	return BG_OK;
}

#define SH_MAX (BG_SLOT_GROUPS_MAX * BG_POLICY_MEMBERS_MAX)

/* The item's value from every group's shares of the request's slot. */
static int
open_item(struct rel *r, const struct bg_vault_item *it,
    struct bg_released *out)
{
	const struct bg_request2_entry *e = cer_entry(r->f, it->name);
	struct bg_v2_expect want = { it->ver->account, it->name, it->version,
	    it->ver->root };
	struct bg_v2_shares per[BG_SLOT_GROUPS_MAX];
	struct {
		uint8_t xs[BG_SLOT_GROUPS_MAX][BG_POLICY_MEMBERS_MAX];
		const uint8_t *ys[BG_SLOT_GROUPS_MAX][BG_POLICY_MEMBERS_MAX];
	} *p;
	size_t g, shlen = SH_MAX * BG_SLOT_KEY_LEN;
	uint8_t *sh;
	int rc = BG_OK;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (sh = bg_secure_alloc(shlen)) == NULL) {
		free(p);
		return BG_ENOMEM;
	}
	for (g = 0; g < it->ver->ng && rc == BG_OK; g++) {
		per[g].xs = p->xs[g];
		per[g].ys = p->ys[g];
		rc = group_shares(r, it, g, p->xs[g], p->ys[g], sh + g *
		    BG_POLICY_MEMBERS_MAX * BG_SLOT_KEY_LEN, &per[g].k);
	}
	if (rc == BG_OK)
		rc = bg_v2_open(r->c->v, it->ver, &want, e->slot, per,
		    &out->data, &out->len);
	bg_secure_free(&sh, shlen);
	free(p);
	snprintf(out->name, sizeof(out->name), "%s", it->name);
	out->kind = it->kind;
	return rc;
}

static int
open_items(struct rel *r, struct bg_released **out, size_t *nout)
{
	size_t i, n = r->f->rq2->nentries;
	struct bg_released *items;
	struct bg_vault_item *it;
	int rc = BG_OK;

	if ((items = calloc(n, sizeof(*items))) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < n && rc == BG_OK; i++)
		if ((rc = cer_item(r->c, r->f, &r->f->rq2->entry[i], &it)) ==
		    BG_OK)
			rc = open_item(r, it, &items[i]);
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
	    !cJSON_AddBoolToObject(*d, "reveal_seed", reveal_seed) ||
	    cer_act_detail(&r->act, *d) != BG_OK)
		return BG_ENOMEM;
	for (i = 0; i < r->f->napprovals; i++)
		if (!cJSON_AddItemToArray(who, cJSON_CreateString(
		    r->f->approvals[i].custodian)))
			return BG_ENOMEM;
	return BG_OK;
}

/* release.done with the request file, before anything is shown. */
static int
record_release(struct rel *r, const char *requester, int reveal_seed)
{
	cJSON *d = NULL;
	int rc;

	r->f->state = BG_RQ_RELEASED;
	r->f->closed = r->c->now;
	if ((rc = release_detail(r, reveal_seed, &d)) == BG_OK)
		rc = cer_save(r->c, r->f, "release.done", requester, d);
	cJSON_Delete(d);
	return rc;
}

/*
 * Each item the request names is the version it names, and verifies
 * (sealer's signature, commitments): checked before release.done is
 * recorded, so a vault re-recorded by hand is refused, never released.
 */
static int
items_check(struct rel *r)
{
	struct bg_vault_item *it;
	size_t i;
	int rc;

	for (i = 0; i < r->f->rq2->nentries; i++)
		if ((rc = cer_item(r->c, r->f, &r->f->rq2->entry[i], &it)) !=
		    BG_OK || (rc = bg_vault_item_verify(r->c->v, r->acct,
		    it)) != BG_OK)
			return rc;
	return BG_OK;
}

/* Everything release checks before any touch. */
static int
release_check(struct rel *r, const char *requester,
    const struct bg_vault_person **p)
{
	int rc;

	if ((r->acct = bg_vault_account(r->c->v,
	    bg_request_account(r->f->rq))) == NULL) {
		bg_set_why("the request's account is not in the vault");
		return BG_ENOENT;
	}
	if ((*p = bg_cer_person(r->c, requester)) == NULL)
		return BG_ENOENT;
	if (strcmp((*p)->name, bg_request_requester(r->f->rq)) != 0) {
		bg_set_why("only %s, who opened request %s, can release it",
		    bg_request_requester(r->f->rq), bg_request_id(r->f->rq));
		return BG_EPERM;
	}
	if ((rc = cer_open_check(r->c, r->f)) != BG_OK ||
	    (rc = items_check(r)) != BG_OK ||
	    (rc = check_approvals(r)) != BG_OK)
		return rc;
	return timelock(r);
}

static void
rel_free(struct rel *r)
{
	if (r == NULL)
		return;
	if (r->own)
		bg_secure_free(&r->rqpriv, 32);
	bg_rqfile_free(&r->f);
	free(r);
}

static int
rel_new(struct bg_cer *c, uint8_t *rqpriv, struct rel **out)
{
	struct rel *r;

	if ((*out = r = calloc(1, sizeof(*r))) == NULL)
		return BG_ENOMEM;
	r->c = c;
	r->rqpriv = rqpriv;
	if (rqpriv == NULL) {
		r->own = 1;
		if ((r->rqpriv = bg_secure_alloc(32)) == NULL)
			return BG_ENOMEM;
	}
	return BG_OK;
}

/* Loads request id and runs release_check(): refusals recorded. */
static int
rel_begin(struct bg_cer *c, const char *id, const char *requester,
    struct rel **out, const struct bg_vault_person **p)
{
	int rc;

	if ((rc = rel_new(c, NULL, out)) != BG_OK)
		return rc;
	if ((rc = cer_load(c, id, &(*out)->f)) != BG_OK)
		return cer_refuse(c, "release", id, "", requester, rc);
	if ((rc = release_check(*out, requester, p)) != BG_OK)
		return cer_refuse(c, "release", id,
		    bg_request_account((*out)->f->rq), requester, rc);
	return BG_OK;
}

int
bg_cer_release(struct bg_cer *c, const char *id, const char *requester,
    int reveal_seed, struct bg_released **items, size_t *nitems)
{
	const struct bg_vault_person *p;
	struct rel *r = NULL;
	int rc;

	*items = NULL;
	*nitems = 0;
	if ((rc = rel_begin(c, id, requester, &r, &p)) != BG_OK)
		goto out;
	if ((rc = sign_and_open(r, p)) != BG_OK ||
	    (rc = open_items(r, items, nitems)) != BG_OK)
		rc = cer_refuse(c, "release", id, bg_request_account(r->f->rq),
		    requester, rc);
	else if ((rc = record_release(r, requester, reveal_seed)) != BG_OK)
		bg_released_free(items, *nitems);
out:
	rel_free(r);
	if (rc != BG_OK)
		*nitems = 0;
	return rc;
}

int
bg_cer_release_kit(struct bg_cer *c, const char *id, const char *requester,
    cJSON **kit)
{
	const struct bg_vault_person *p;
	struct rel *r = NULL;
	int rc;

	*kit = NULL;
	if ((rc = rel_begin(c, id, requester, &r, &p)) == BG_OK)
		rc = cer_kit_with(c, r->f, kit);
	rel_free(r);
	return rc;
}

int
bg_cer_release_take(struct bg_cer *c, const cJSON *kit, const char *id,
    const char *requester, struct bg_cer_act *a, uint8_t *rqpriv)
{
	const struct bg_vault_person *p;
	struct rel *r = NULL;
	int rc;

	if ((rc = rel_new(c, rqpriv, &r)) == BG_OK &&
	    (rc = cer_parse_request(c, cJSON_GetObjectItemCaseSensitive(kit,
	    "request"), id, &r->f)) == BG_OK) {
		if ((p = bg_cer_person(c, requester)) == NULL ||
		    strcmp(p->name, bg_request_requester(r->f->rq)) != 0) {
			bg_set_why("only %s, who opened request %s, can "
			    "release it", bg_request_requester(r->f->rq), id);
			rc = BG_EPERM;
		} else if ((rc = sign_and_open(r, p)) == BG_OK)
			*a = r->act;
	}
	rel_free(r);
	return rc;
}

int
bg_cer_release_submit(struct bg_cer *c, const char *id,
    const char *requester, int reveal_seed, const cJSON *sub, cJSON **after)
{
	const struct bg_vault_person *p;
	struct rel *r = NULL;
	int rc;

	*after = NULL;
	if ((rc = rel_begin(c, id, requester, &r, &p)) != BG_OK)
		goto out;
	if ((rc = bg_cer_act_from_json(sub, &r->act)) != BG_OK ||
	    (rc = cer_act_check(p, BG_CER_RELEASE_TAG, r->f->hash, "",
	    &r->act)) != BG_OK) {
		rc = cer_refuse(c, "release", id, bg_request_account(r->f->rq),
		    requester, rc);
		goto out;
	}
	/* recorded first: the share boxes leave only after release.done */
	if ((rc = record_release(r, requester, reveal_seed)) == BG_OK)
		rc = bg_rqfile_to_json(r->f, after);
out:
	rel_free(r);
	return rc;
}

int
bg_cer_release_open(struct bg_cer *c, const cJSON *after, const char *id,
    const uint8_t *rqpriv, struct bg_released **items, size_t *nitems)
{
	struct rel *r = NULL;
	int rc;

	*items = NULL;
	*nitems = 0;
	if ((rc = rel_new(c, (uint8_t *)rqpriv, &r)) == BG_OK &&
	    (rc = cer_parse_request(c, after, id, &r->f)) == BG_OK)
		rc = open_items(r, items, nitems);
	rel_free(r);
	return rc;
}
