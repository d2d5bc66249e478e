/*
 * approve (docs/design.md §5.2): the custodian reads exactly what they
 * approve, touches a token, and for each item of their group their share
 * of the request's one slot moves from their box to the request key.
 * Everything that can refuse does so before the touch; the writer lock is
 * held throughout, so nothing checked changes before the write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "broker/ceremony/internal.h"

struct ap {
	struct bg_cer *c;
	struct bg_rqfile *f;
	const struct bg_vault_person *p;
	const char *group;
	/* the items of the approver's group: item, group index, x */
	struct bg_vault_item *it[BG_POLICY_ITEMS_MAX];
	size_t g[BG_POLICY_ITEMS_MAX];
	uint8_t x[BG_POLICY_ITEMS_MAX];
	size_t n;
	struct bg_statement2 st;
	char text[BG_STATEMENT2_MAX];
	size_t len;
	/* per request entry, exposure before and after this approval */
	int met0[BG_POLICY_ITEMS_MAX], near0[BG_POLICY_ITEMS_MAX];
	int met[BG_POLICY_ITEMS_MAX], near[BG_POLICY_ITEMS_MAX];
	struct bg_rq_approval made;	/* by the touch, or a client's */
};

/*
 * The group of the request this custodian approves for. Whatever the
 * policy's self-approval switch says, the requester approves nothing, and
 * nobody approves for a requester who is a member of a group the request
 * needs (docs/design.md §5.2 policy floor): their own share would count.
 */
static int
pick_group(struct ap *a)
{
	const char *groups[BG_POLICY_GROUPS_MAX];
	const char *requester = bg_request_requester(a->f->rq);
	bg_ledger_t *l;
	size_t i, n;
	int r;

	if (bg_name_same(a->p->name, requester)) {
		bg_set_why("%s opened this request and cannot approve it",
		    a->p->name);
		return BG_EPERM;
	}
	for (i = 0; i < a->f->napprovals; i++)
		if (bg_name_same(a->f->approvals[i].custodian, a->p->name)) {
			bg_set_why("%s has already approved this request",
			    a->p->name);
			return BG_EEXIST;
		}
	if ((r = cer_ledger(a->c, &l)) != BG_OK)
		return r;
	if (bg_ledger_approved(l, bg_request_id(a->f->rq), a->p->name)) {
		bg_set_why("%s has already approved this request (the log "
		    "says so, whatever the request file holds)", a->p->name);
		return BG_EEXIST;
	}
	if ((r = cer_groups(a->c, a->f, groups, &n)) != BG_OK ||
	    (r = bg_policy_requester_check(a->c->v->policy, requester, groups,
	    n, NULL, 0)) != BG_OK)
		return r;
	for (i = 0; i < n; i++)
		if (bg_policy_is_member(a->c->v->policy, groups[i], a->p->name)) {
			a->group = groups[i];
			return BG_OK;
		}
	bg_set_why("%s is not in a group this request needs", a->p->name);
	return BG_EPERM;
}

/* The approver's x in group g of the version, from the vault's record. */
static int
member_x(const struct bg_vault_item *it, size_t g, const char *person,
    uint8_t *x)
{
	size_t m;

	for (m = 0; m < it->ver->g[g].n; m++)
		if (strcmp(it->ver->g[g].m[m].person, person) == 0) {
			*x = it->ver->g[g].m[m].x;
			return BG_OK;
		}
	bg_set_why("%s holds no share of %s version %llu (added after it "
	    "was sealed: seal it again)", person, it->name,
	    (unsigned long long)it->version);
	return BG_ENOENT;
}

/* The slot is not burned by another request (the log says). */
static int
slot_free(struct ap *a, const bg_ledger_t *l, const struct bg_request2_entry *e)
{
	const struct bg_ledger_burn *b;
	struct bg_ledger_slot s;

	memset(&s, 0, sizeof(s));
	snprintf(s.account, sizeof(s.account), "%s", a->f->rq2->account);
	snprintf(s.item, sizeof(s.item), "%s", e->item);
	s.version = e->version;
	s.slot = e->slot;
	if ((b = bg_ledger_burned(l, &s)) != NULL &&
	    strcmp(b->request, bg_request_id(a->f->rq)) != 0) {
		bg_set_why("slot %u of %s version %llu was burned by request "
		    "%s: this request cannot reach a quorum; open a new one",
		    e->slot, e->item, (unsigned long long)e->version,
		    b->request);
		return BG_EPERM;
	}
	return BG_OK;
}

/* Every entry of the approver's group: its version, slot and share. */
static int
plan(struct ap *a, const bg_ledger_t *l)
{
	const struct bg_request2_entry *e;
	size_t i;
	int g, r;

	for (i = 0; i < a->f->rq2->nentries; i++) {
		e = &a->f->rq2->entry[i];
		if ((r = cer_item(a->c, a->f, e, &a->it[a->n])) != BG_OK)
			return r;
		if ((g = bg_vault_item_group(a->it[a->n], a->group)) < 0)
			continue;
		if ((l != NULL && (r = slot_free(a, l, e)) != BG_OK) ||
		    (r = member_x(a->it[a->n], (size_t)g, a->p->name,
		    &a->x[a->n])) != BG_OK)
			return r;
		a->g[a->n++] = (size_t)g;
	}
	if (a->n == 0) {
		bg_set_why("no item of this request needs group %s", a->group);
		return BG_EPERM;
	}
	return BG_OK;
}

static int
caps(struct ap *a, const bg_ledger_t *l)
{
	if (bg_ledger_burns_by(l, a->p->name, a->c->now - 86400) >=
	    BG_BURNS_PER_DAY_MAX) {
		bg_set_why("%s has approved %d times in 24 hours: the cap on "
		    "burning slots (docs/ceremony.md)", a->p->name,
		    BG_BURNS_PER_DAY_MAX);
		return BG_EPERM;
	}
	return BG_OK;
}

/* Shows the custodian the request, every field, and its reason. */
static int
show(struct ap *a)
{
	const char *reason = bg_request_reason(a->f->rq);
	size_t sz = 2 * BG_REQUEST2_MAX + 4 * strlen(reason) + 512;
	char *out = malloc(sz);
	int r;

	if (out == NULL)
		return BG_ENOMEM;
	if ((r = bg_request2_describe(a->f->text, a->f->text_len, reason,
	    strlen(reason), out, sz)) == BG_OK)
		fprintf(a->c->out, "%s approves for group %s:\n%s", a->p->name,
		    a->group, out);
	free(out);
	return r;
}

static int
sha256(const void *p, size_t n, uint8_t out[32])
{
	return EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL) == 1 ? BG_OK :
	    BG_ECRYPTO;
}

/* Item k: the member's share of the slot, re-sealed to the request key. */
static int
move_share(struct ap *a, size_t k, const bg_token_key_t *key,
    const char *token, struct bg_rq_share *out, struct bg_statement2_entry *se)
{
	const struct bg_vault_item *it = a->it[k];
	const struct bg_request2_entry *e = cer_entry(a->f, it->name);
	const struct bg_v2_member *m = &it->ver->g[a->g[k]].m[a->x[k] - 1];
	struct bg_v2_expect want = { it->ver->account, it->name, it->version,
	    it->ver->root };
	uint8_t *share;
	struct bg_label l;
	size_t t, len;
	int r;

	for (t = 0; t < m->ntokens; t++)
		if (strcmp(m->token[t], token) == 0)
			break;
	if (t == m->ntokens) {
		bg_set_why("%s's share of %s is not sealed to this token (it "
		    "was enrolled after sealing)", a->p->name, it->name);
		return BG_ENOENT;
	}
	if ((share = bg_secure_alloc(BG_SLOT_KEY_LEN)) == NULL)
		return BG_ENOMEM;
	if ((r = bg_v2_take_share(a->c->v, it->ver, &want, a->g[k], a->x[k],
	    t, bg_token_key_bytes(key), e->slot, share)) == BG_OK &&
	    (r = cer_approval_label(a->c, a->f, it, a->g[k], a->x[k], token,
	    &l)) == BG_OK)
		r = bg_box_seal(bg_request_key(a->f->rq), "approval-share",
		    l.b, l.len, share, BG_SLOT_KEY_LEN, out->box,
		    sizeof(out->box), &len);
	bg_secure_free(&share, BG_SLOT_KEY_LEN);
	if (r != BG_OK)
		return r;
	snprintf(out->item, sizeof(out->item), "%s", it->name);
	snprintf(se->item, sizeof(se->item), "%s", it->name);
	se->version = it->version;
	se->slot = e->slot;
	se->epoch = it->ver->g[a->g[k]].epoch;
	se->x = a->x[k];
	if ((r = sha256(m->box[t], BG_V2_BOX_LEN(it->ver->nslots),
	    se->opened)) != BG_OK)
		return r;
	return sha256(out->box, sizeof(out->box), se->written);
}

/* The statement: what this approval opened and wrote, for this request. */
static int
statement(struct ap *a, const char *token)
{
	int r;

	cer_vault_fp(a->c, a->st.vault);
	cer_chain_head(a->c, a->st.chain);
	memcpy(a->st.request, a->f->hash, 32);
	if ((r = bg_cer_log_head(a->c, &a->st.log_size, a->st.log_root)) !=
	    BG_OK)
		return r;
	snprintf(a->st.group, sizeof(a->st.group), "%s", a->group);
	snprintf(a->st.person, sizeof(a->st.person), "%s", a->p->name);
	snprintf(a->st.token, sizeof(a->st.token), "%s", token);
	a->st.decision = BG_DECISION_APPROVE;
	a->st.nentries = a->n;
	return bg_statement2_build(&a->st, a->text, sizeof(a->text), &a->len);
}

static int
sign(struct ap *a, const bg_token_key_t *key, struct bg_rq_approval *ap)
{
	uint8_t h[32];
	int r;

	if ((r = bg_statement2_hash(a->text, a->len, h)) != BG_OK ||
	    (r = bg_token_key_sign(key, h, sizeof(h), ap->sig)) != BG_OK)
		return r;
	if ((ap->statement = malloc(a->len + 1)) == NULL)
		return BG_ENOMEM;
	memcpy(ap->statement, a->text, a->len);
	ap->statement[a->len] = '\0';
	ap->statement_len = a->len;
	return BG_OK;
}

static int
failed(struct bg_cer *c, const struct ap *a, int err)
{
	struct bg_audit_event ev = { "approval.failed", a->p->name,
	    bg_request_account(a->f->rq), bg_request_id(a->f->rq), NULL };

	return bg_state_note_failure(&c->st, &ev, "group", a->group, err);
}

/* bg_cer_hash_fn: the intent token i of the approver signs (FIDO2). */
static int
intent_of(void *ctx, size_t i, uint8_t hash[32])
{
	struct ap *a = ctx;
	uint8_t fp[32], head[32];

	cer_vault_fp(a->c, fp);
	cer_chain_head(a->c, head);
	return bg_cer_intent(a->f->hash, fp, head, a->group, a->p->name,
	    bg_token_desc_id(a->p->tokens[i]), hash);
}

/* One touch; every share of the approver's group moved and signed for. */
static int
take(struct ap *a, struct bg_rq_approval *ap)
{
	bg_token_key_t *key = NULL;
	struct bg_touch t;
	size_t tok, k;
	int r;

	if ((r = bg_cer_touch(a->c, a->p, intent_of, a, &t, &key, &tok)) ==
	    BG_OK) {
		if (t.signed_) {
			memcpy(ap->fido2_authdata, t.as.authdata,
			    t.as.authdata_len);
			ap->fido2_authdata_len = t.as.authdata_len;
			memcpy(ap->fido2_sig, t.as.sig, t.as.sig_len);
			ap->fido2_sig_len = t.as.sig_len;
		}
		for (k = 0; k < a->n && r == BG_OK; k++)
			r = move_share(a, k, key, t.token, &ap->share[k],
			    &a->st.entry[k]);
		ap->nshare = a->n;
		if (r == BG_OK && (r = statement(a, t.token)) == BG_OK)
			r = sign(a, key, ap);
	}
	bg_token_key_free(&key);
	memcpy(ap->token, t.token, sizeof(ap->token));
	snprintf(ap->group, sizeof(ap->group), "%s", a->group);
	snprintf(ap->custodian, sizeof(ap->custodian), "%s", a->p->name);
	ap->time = a->c->now;
	return r;
}

/* The approval's statement, signature and FIDO2 assertion, into d. */
static int
signed_detail(const struct bg_rq_approval *ap, cJSON *d)
{
	if (!cJSON_AddStringToObject(d, "group", ap->group) ||
	    !cJSON_AddStringToObject(d, "token", ap->token) ||
	    !cJSON_AddStringToObject(d, "statement", ap->statement) ||
	    bg_vjson_add_b64(d, "signature", ap->sig, BG_TOKEN_SIG_LEN) !=
	    BG_OK || (ap->fido2_sig_len > 0 && (bg_vjson_add_b64(d,
	    "fido2_authdata", ap->fido2_authdata, ap->fido2_authdata_len) !=
	    BG_OK || bg_vjson_add_b64(d, "fido2_sig", ap->fido2_sig,
	    ap->fido2_sig_len) != BG_OK)))
		return BG_ENOMEM;
	return BG_OK;
}

static int
granted_detail(const struct ap *a, const struct bg_rq_approval *ap,
    cJSON **d)
{
	const char *items[BG_POLICY_ITEMS_MAX];
	uint64_t vers[BG_POLICY_ITEMS_MAX];
	uint32_t slots[BG_POLICY_ITEMS_MAX];
	char hex[65];
	size_t k;

	for (k = 0; k < a->n; k++) {
		items[k] = a->st.entry[k].item;
		vers[k] = a->st.entry[k].version;
		slots[k] = a->st.entry[k].slot;
	}
	bg_hex_encode(a->f->hash, 32, hex, sizeof(hex));
	if ((*d = cJSON_CreateObject()) == NULL ||
	    signed_detail(ap, *d) != BG_OK ||
	    !cJSON_AddStringToObject(*d, "request_sha256", hex))
		return BG_ENOMEM;
	return bg_ledger_add_entries(*d, items, vers, slots, a->n);
}

/*
 * event (request.quorum_met, near_quorum, approval.burn) naming the
 * entries in which[]; a burn also carries the approval's signed statement
 * (and a FIDO2 assertion), so audit verify checks who burned.
 */
static int
note_quorum(struct ap *a, const char *event, const int *which,
    const struct bg_rq_approval *ap)
{
	const char *items[BG_POLICY_ITEMS_MAX];
	uint64_t vers[BG_POLICY_ITEMS_MAX];
	uint32_t slots[BG_POLICY_ITEMS_MAX];
	const struct bg_request2 *q = a->f->rq2;
	cJSON *d;
	size_t i, n;
	int r;

	for (i = 0, n = 0; i < q->nentries; i++) {
		if (!which[i])
			continue;
		items[n] = q->entry[i].item;
		vers[n] = q->entry[i].version;
		slots[n++] = q->entry[i].slot;
	}
	if (n == 0)
		return BG_OK;
	if ((d = cJSON_CreateObject()) == NULL)
		return BG_ENOMEM;
	if ((r = bg_ledger_add_entries(d, items, vers, slots, n)) == BG_OK &&
	    (ap == NULL || (r = signed_detail(ap, d)) == BG_OK))
		r = bg_cer_note(a->c, event, a->p->name, q->account, q->id, d);
	cJSON_Delete(d);
	return r;
}

/*
 * approval.burn: the slots this approval is about to write shares of,
 * burned (bound to this request) before any share reaches a file, so a
 * crash or a killed process after the request file's new version is
 * written cannot leave a share of a slot the log never burned.
 */
static int
note_burn(struct ap *a)
{
	int which[BG_POLICY_ITEMS_MAX];
	const struct bg_request2 *q = a->f->rq2;
	size_t i, k;

	for (i = 0; i < q->nentries; i++)
		for (k = 0, which[i] = 0; k < a->n; k++)
			which[i] |= strcmp(q->entry[i].item,
			    a->it[k]->name) == 0;
	return note_quorum(a, "approval.burn", which,
	    &a->f->approvals[a->f->napprovals - 1]);
}

/*
 * Quorum = release, per item, as the log counts shares written (any
 * request, any hash, members removed since included): the items whose
 * every group this approval brings to its threshold are exposed, and
 * request.quorum_met names them (alerted) before the shares are written;
 * items one share short in every group are recorded after, as
 * request.near_quorum (alerted: a member could complete it offline).
 */
static int
grant(struct ap *a, struct bg_rq_approval *in)
{
	struct bg_rq_approval *ap = &a->f->approvals[a->f->napprovals];
	int *met0 = a->met0, *near0 = a->near0, *met = a->met,
	    *near = a->near;
	cJSON *d = NULL;
	size_t i;
	int r;

	if ((r = cer_items_met(a->c, a->f, NULL, NULL, met0, near0)) != BG_OK)
		return r;
	*ap = *in;		/* the statement moves to the file */
	in->statement = NULL;
	ap->time = a->c->now;
	a->f->napprovals++;
	if ((r = cer_items_met(a->c, a->f, a->p->name, a->group, met,
	    near)) != BG_OK)
		return r;
	for (i = 0; i < a->f->rq2->nentries; i++) {
		near[i] = near[i] && !met[i] && !near0[i];
		met[i] = met[i] && !met0[i];
	}
	if ((r = note_burn(a)) != BG_OK ||
	    (r = note_quorum(a, "request.quorum_met", met, NULL)) != BG_OK)
		return r;
	if ((r = granted_detail(a, ap, &d)) == BG_OK)
		r = cer_save(a->c, a->f, "approval.granted", a->p->name, d);
	cJSON_Delete(d);
	if (r == BG_OK)
		r = note_quorum(a, "request.near_quorum", near, NULL);
	return r;
}

/*
 * The approval ap (made by a client, or by take() here) is exactly what
 * this custodian's touch must produce for a->plan: the statement for this
 * request, group, person and token, signed by that token (and its FIDO2
 * intent); one entry per item of the group, each the request's version
 * and slot, the member's x and the group's epoch, opening the member's
 * own box of that token and writing the share box that ap carries. What
 * the daemon cannot see (what the share box holds) the requester's
 * release checks against the commitments.
 */
static int
taken_entry(struct ap *a, size_t k, const struct bg_rq_approval *ap)
{
	const struct bg_vault_item *it = a->it[k];
	const struct bg_v2_member *m = &it->ver->g[a->g[k]].m[a->x[k] - 1];
	const struct bg_statement2_entry *se = &a->st.entry[k];
	uint8_t h[32];
	size_t t;

	for (t = 0; t < m->ntokens; t++)
		if (strcmp(m->token[t], ap->token) == 0)
			break;
	if (t == m->ntokens || strcmp(se->item, it->name) != 0 ||
	    se->version != it->version ||
	    se->slot != cer_entry(a->f, it->name)->slot ||
	    se->epoch != it->ver->g[a->g[k]].epoch || se->x != a->x[k] ||
	    strcmp(ap->share[k].item, it->name) != 0)
		return BG_ETAMPER;
	if (sha256(m->box[t], BG_V2_BOX_LEN(it->ver->nslots), h) != BG_OK ||
	    bg_ct_memcmp(h, se->opened, 32) != 0 ||
	    sha256(ap->share[k].box, sizeof(ap->share[k].box), h) != BG_OK ||
	    bg_ct_memcmp(h, se->written, 32) != 0)
		return BG_ETAMPER;
	return BG_OK;
}

static int
check_taken(struct ap *a, const struct bg_rq_approval *ap)
{
	size_t k;
	int r;

	if (strcmp(ap->group, a->group) != 0 ||
	    strcmp(ap->custodian, a->p->name) != 0 ||
	    (r = cer_approval_ok(a->c, a->f, ap)) != BG_OK ||
	    bg_statement2_parse(ap->statement, ap->statement_len, &a->st) !=
	    BG_OK || a->st.nentries != a->n || ap->nshare != a->n)
		goto bad;
	for (k = 0; k < a->n; k++)
		if (taken_entry(a, k, ap) != BG_OK)
			goto bad;
	return BG_OK;
bad:
	bg_set_why("the approval of %s is not what their touch makes for "
	    "this request (forged, copied or edited)", a->p->name);
	return BG_ETAMPER;
}

/* Everything that can refuse before the touch, as the log has it. */
static int
approve(struct ap *a, const char *custodian)
{
	bg_ledger_t *l = NULL;
	int r;

	if ((a->p = bg_cer_person(a->c, custodian)) == NULL)
		return BG_ENOENT;
	if ((r = cer_open_check(a->c, a->f)) != BG_OK ||
	    (r = pick_group(a)) != BG_OK)
		return r;
	if (a->f->napprovals >= BG_RQ_APPROVALS_MAX) {
		bg_set_why("too many approvals");
		return BG_ETOOBIG;
	}
	if ((r = cer_ledger(a->c, &l)) == BG_OK &&
	    (r = caps(a, l)) == BG_OK)
		r = plan(a, l);
	return r;
}

static void
ap_free(struct ap *a)
{
	if (a == NULL)
		return;
	free(a->made.statement);
	bg_rqfile_free(&a->f);
	free(a);
}

/* Loads request id and runs approve(): refusals recorded. */
static int
ap_begin(struct bg_cer *c, const char *id, const char *custodian,
    struct ap **out)
{
	struct ap *a;
	int r;

	if ((*out = a = calloc(1, sizeof(*a))) == NULL)
		return BG_ENOMEM;
	a->c = c;
	if ((r = cer_load(c, id, &a->f)) != BG_OK)
		return cer_refuse(c, "approve", id, "", custodian, r);
	if ((r = approve(a, custodian)) != BG_OK)
		return cer_refuse(c, "approve", id,
		    bg_request_account(a->f->rq), custodian, r);
	return BG_OK;
}

/* Checks ap, writes it and what it exposes; tells who may release. */
static int
ap_commit(struct ap *a, struct bg_rq_approval *ap)
{
	struct bg_rq_approval *more;
	char why[512];
	int r;

	if ((r = check_taken(a, ap)) != BG_OK)
		return cer_refuse(a->c, "approve", bg_request_id(a->f->rq),
		    bg_request_account(a->f->rq), a->p->name, r);
	if ((more = realloc(a->f->approvals, (a->f->napprovals + 1) *
	    sizeof(*more))) == NULL)
		return BG_ENOMEM;
	a->f->approvals = more;
	if ((r = grant(a, ap)) != BG_OK)
		return r;
	if (cer_quorum(a->c, a->f, why, sizeof(why), NULL) == BG_OK)
		fprintf(a->c->out, "approved; the quorum is met: %s may release "
		    "request %s\n", bg_request_requester(a->f->rq),
		    bg_request_id(a->f->rq));
	else
		fprintf(a->c->out, "approved; still missing: %s\n", why);
	return BG_OK;
}

int
bg_cer_approve(struct bg_cer *c, const char *id, const char *custodian)
{
	struct ap *a = NULL;
	int r;

	if ((r = ap_begin(c, id, custodian, &a)) == BG_OK &&
	    (r = show(a)) == BG_OK) {
		if ((r = take(a, &a->made)) != BG_OK)
			r = failed(c, a, r);
		else
			r = ap_commit(a, &a->made);
	}
	ap_free(a);
	return r;
}

int
bg_cer_approve_kit(struct bg_cer *c, const char *id, const char *custodian,
    cJSON **kit)
{
	struct ap *a = NULL;
	int r;

	*kit = NULL;
	if ((r = ap_begin(c, id, custodian, &a)) == BG_OK &&
	    (r = cer_kit_with(c, a->f, kit)) == BG_OK &&
	    !cJSON_AddStringToObject(*kit, "group", a->group))
		r = BG_ENOMEM;
	if (r != BG_OK) {
		cJSON_Delete(*kit);
		*kit = NULL;
	}
	ap_free(a);
	return r;
}

int
bg_cer_approve_take(struct bg_cer *c, const cJSON *kit, const char *id,
    const char *custodian, cJSON **approval)
{
	const char *group;
	struct ap *a;
	int r;

	*approval = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return BG_ENOMEM;
	a->c = c;
	if ((r = cer_parse_request(c, cJSON_GetObjectItemCaseSensitive(kit,
	    "request"), id, &a->f)) != BG_OK)
		goto out;
	r = BG_EFORMAT;
	if (bg_json_get_str(kit, "group", BG_NAME_MAX, &group) != BG_OK ||
	    (a->p = bg_cer_person(c, custodian)) == NULL ||
	    !bg_policy_is_member(c->v->policy, group, custodian)) {
		bg_set_why("the daemon's kit names no group of %s", custodian);
		goto out;
	}
	a->group = group;
	if ((r = plan(a, NULL)) == BG_OK && (r = show(a)) == BG_OK &&
	    (r = take(a, &a->made)) == BG_OK)
		r = bg_rq_approval_to_json(&a->made, approval);
out:
	ap_free(a);
	return r;
}

int
bg_cer_approve_submit(struct bg_cer *c, const char *id,
    const char *custodian, const cJSON *approval)
{
	struct ap *a = NULL;
	int r;

	if ((r = ap_begin(c, id, custodian, &a)) == BG_OK) {
		if ((r = bg_rq_approval_from_json(approval, &a->made)) !=
		    BG_OK)
			r = cer_refuse(c, "approve", id,
			    bg_request_account(a->f->rq), custodian, r);
		else
			r = ap_commit(a, &a->made);
	}
	ap_free(a);
	return r;
}
