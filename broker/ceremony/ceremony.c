/*
 * The ceremony (ceremony.h): shared steps, request, deny and status.
 * approve is in approve.c, release in release.c, status and rekey in
 * rekey.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "broker/ceremony/internal.h"

/* Records (and so alerts) a state file that is not what the log says. */
static void
tampered(struct bg_cer *c, int err)
{
	struct bg_audit_event ev = { "vault.verify_failed", "breakglass", "", "",
	    NULL };

	(void)bg_state_note_failure(&c->st, &ev, NULL, NULL, err);
}

/* A production vault only in breakglassd, a rehearsal one only outside. */
static int
cer_mode(const struct bg_cer *c)
{
	if (c->v->production == bg_state_production())
		return BG_OK;
	if (c->v->production)
		bg_set_why("%s holds a production vault: only breakglassd opens "
		    "it (a copy or a backup cannot be used in a rehearsal: "
		    "docs/deploy.md)", c->st.dir);
	else
		bg_set_why("%s holds a rehearsal vault: breakglassd opens "
		    "production vaults only", c->st.dir);
	return BG_EPERM;
}

int
bg_cer_begin(struct bg_cer *c, const char *dir, FILE *out,
    const struct bg_token_opts *o)
{
	static const char *const checked[] = { BG_VAULT_FILE,
	    "breakglass.json" };
	int r;

	memset(c, 0, sizeof(*c));
	c->out = out;
	c->o = *o;
	if ((r = bg_state_open(&c->st, dir)) != BG_OK)
		return r;
	cer_fold_load(c);
	/* vault.json and breakglass.json as the log last recorded them */
	if ((r = bg_state_check_files(&c->st, checked, 2)) != BG_OK ||
	    (r = bg_vault_load(&c->st, &c->v)) != BG_OK ||
	    (r = cer_mode(c)) != BG_OK || (r = cer_chain(c)) != BG_OK) {
		if (r == BG_ETAMPER || r == BG_EFORMAT)
			tampered(c, r);
		bg_cer_end(c);
		return r;
	}
	cer_fold_save(c);
	c->now = (uint64_t)time(NULL);
	return BG_OK;
}

int
bg_cer_settle(const char *dir)
{
	struct bg_cer c;
	int r;

	memset(&c, 0, sizeof(c));
	if ((r = bg_state_open(&c.st, dir)) != BG_OK)
		return r;
	if ((r = bg_vault_load(&c.st, &c.v)) == BG_OK && cer_mode(&c) == BG_OK)
		r = cer_chain(&c);	/* finishes an apply cut short */
	bg_cer_end(&c);
	/* nothing to settle, or not ours to: the caller's checks say why */
	return r == BG_ENOENT || r == BG_ETAMPER || r == BG_EFORMAT ||
	    r == BG_EPERM || r == BG_ECONSIST ? BG_OK : r;
}

void
bg_cer_end(struct bg_cer *c)
{
	bg_ledger_free(&c->ledger);
	bg_chain_free(&c->chain);
	bg_vault_free(&c->v);
	bg_state_close(&c->st);
}

/* ========================================================= shared steps */

int
bg_cer_note(struct bg_cer *c, const char *event, const char *actor,
    const char *account, const char *id, const cJSON *detail)
{
	struct bg_audit_event ev = { event, actor, account ? account : "",
	    id ? id : "", detail };

	return bg_state_note(&c->st, &ev);
}

int
cer_refuse(struct bg_cer *c, const char *cmd, const char *id,
    const char *account, const char *actor, int err)
{
	return bg_cer_refused(c, "request.refused", cmd, id, account, actor,
	    err);
}

int
bg_cer_refused(struct bg_cer *c, const char *event, const char *cmd,
    const char *id, const char *account, const char *actor, int err)
{
	struct bg_audit_event ev = { event, actor, account, id, NULL };

	return bg_state_note_failure(&c->st, &ev, "command", cmd, err);
}

static void
rq_name(const char *id, char out[RQ_PATH_MAX])
{
	snprintf(out, RQ_PATH_MAX, "requests/%s.json", id);
}

void
cer_vault_fp(const struct bg_cer *c, uint8_t fp[BG_FINGERPRINT_LEN])
{
	memset(fp, 0, BG_FINGERPRINT_LEN);
	if (c->chain != NULL)
		memcpy(fp, bg_chain_fingerprint(c->chain), BG_FINGERPRINT_LEN);
}

static int
unsigned_request(const char *why)
{
	bg_set_why("the request is not one the requester's token signed for "
	    "this vault: %s", why);
	return BG_ETAMPER;
}

/* Made for this vault by one of its requesters, signed by their token. */
int
cer_request_signed(struct bg_cer *c, const struct bg_rqfile *f)
{
	const struct bg_vault_person *p;
	uint8_t fp[BG_FINGERPRINT_LEN];
	int tok;

	cer_vault_fp(c, fp);
	if (memcmp(f->rq2->vault, fp, sizeof(fp)) != 0)
		return unsigned_request("made for another vault");
	cer_chain_head(c, fp);
	if (memcmp(f->rq2->chain, fp, sizeof(fp)) != 0) {
		bg_set_why("the request was made under an older governance "
		    "chain head: who may approve has changed since, so it "
		    "is void (open a new request)");
		return BG_EPERM;
	}
	if ((p = bg_vault_person(c->v, f->rq2->requester)) == NULL ||
	    !p->requester)
		return unsigned_request("its requester is not one");
	if ((tok = bg_vault_person_token(p, f->token)) < 0)
		return unsigned_request("the token is not the requester's");
	if (bg_token_sig_verify(p->tokens[tok], f->hash, sizeof(f->hash),
	    f->sig) != BG_OK)
		return unsigned_request("the signature does not verify");
	return BG_OK;
}

int
cer_load(struct bg_cer *c, const char *id, struct bg_rqfile **f)
{
	char name[RQ_PATH_MAX];
	cJSON *j = NULL;
	int r;

	*f = NULL;
	if (!bg_request_id_valid(id)) {
		bg_set_why("'%s' is not a request id (32 hex digits)", id);
		return BG_EINVAL;
	}
	rq_name(id, name);
	if ((r = bg_state_read(&c->st, name, &j)) == BG_ENOENT) {
		bg_set_why("no request %s", id);
		return r;
	}
	if (r == BG_OK && (r = bg_state_check_file(&c->st, name)) == BG_OK)
		r = cer_parse_request(c, j, id, f);
	cJSON_Delete(j);
	return r;
}

int
cer_parse_request(struct bg_cer *c, const cJSON *j, const char *id,
    struct bg_rqfile **f)
{
	int r;

	if ((r = bg_rqfile_from_json(j, f)) == BG_OK &&
	    strcmp(bg_request_id((*f)->rq), id) != 0) {
		bg_set_why("the file of request %s holds another request", id);
		r = BG_ETAMPER;
	}
	if (r == BG_OK)
		r = cer_request_signed(c, *f);
	if (r != BG_OK)
		bg_rqfile_free(f);
	return r;
}

int
cer_save(struct bg_cer *c, const struct bg_rqfile *f, const char *event,
    const char *actor, cJSON *detail)
{
	struct bg_audit_event ev = { event, actor, bg_request_account(f->rq),
	    bg_request_id(f->rq), detail };
	char name[RQ_PATH_MAX];
	cJSON *j = NULL;
	int r;

	rq_name(bg_request_id(f->rq), name);
	if ((r = bg_rqfile_to_json(f, &j)) == BG_OK)
		r = bg_state_write(&c->st, name, j, &ev);
	cJSON_Delete(j);
	return r;
}

struct bg_vault_person *
bg_cer_person(struct bg_cer *c, const char *name)
{
	struct bg_vault_person *p = bg_vault_person(c->v, name);
	const struct bg_vault_person *like;

	if (p != NULL)
		return p;
	if ((like = bg_vault_person_like(c->v, name)) != NULL)
		bg_set_why("no person '%s' (did you mean '%s'?)", name,
		    like->name);
	else
		bg_set_why("no person named '%s' in the vault", name);
	return NULL;
}

static int
absent(int r)
{
	return r == BG_ENODEV || r == BG_ENOCRED || r == BG_ESERIAL;
}

static int
touch_one(struct bg_cer *c, const bg_token_desc_t *d, const uint8_t *hash,
    struct bg_touch *t, bg_token_key_t **key)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->token, bg_token_desc_id(d), sizeof(t->token));
	if (hash == NULL || bg_token_desc_kind(d) != BG_TOKEN_FIDO2)
		return bg_token_unlock(d, &c->o, key);
	t->signed_ = 1;
	return bg_token_sign(d, &c->o, hash, &t->as, key);
}

int
bg_cer_touch(struct bg_cer *c, const struct bg_vault_person *p,
    bg_cer_hash_fn hash_fn, void *ctx, struct bg_touch *t, bg_token_key_t **key,
    size_t *tok)
{
	uint8_t hash[32];
	char sum[256];
	size_t i;
	int r = BG_ENODEV;

	*key = NULL;
	for (i = 0; i < p->ntokens; i++) {
		if (hash_fn != NULL && (r = hash_fn(ctx, i, hash)) != BG_OK)
			return r;
		bg_token_desc_summary(p->tokens[i], sum, sizeof(sum));
		fprintf(c->out, "%s: touch your token (%s)\n", p->name, sum);
		fflush(c->out);
		r = touch_one(c, p->tokens[i], hash_fn ? hash : NULL, t, key);
		if ((r = cer_touch_check(c, p->name, t->token, r)) != BG_OK)
			bg_token_key_free(key);
		if (r == BG_ETAMPER)
			return r;
		if (r == BG_OK) {
			*tok = i;
			return BG_OK;
		}
		if (!absent(r))
			break;
	}
	if (absent(r)) {
		bg_set_why("%s: none of their tokens is connected", p->name);
	} else {
		char why[256];

		snprintf(why, sizeof(why), "%s", bg_why()[0] ? bg_why() :
		    bg_strerror(r));
		bg_set_why("%s: %s", p->name, why);
	}
	return r;
}

int
cer_groups(struct bg_cer *c, const struct bg_rqfile *f, const char **groups,
    size_t *n)
{
	return bg_policy_groups_for_items(c->v->policy,
	    bg_request_items(f->rq), bg_request_nitems(f->rq), groups,
	    BG_POLICY_GROUPS_MAX, n);
}

int
cer_request_key_label(const struct bg_cer *c, const struct bg_rqfile *f,
    struct bg_label *l)
{
	bg_label_init(l, "breakglass/v2/request-key");
	bg_label_bin(l, c->v->id, sizeof(c->v->id));
	bg_label_str(l, bg_request_id(f->rq));
	bg_label_bin(l, f->hash, sizeof(f->hash));
	return bg_label_ok(l);
}

int
cer_approval_label(const struct bg_cer *c, const struct bg_rqfile *f,
    const struct bg_vault_item *it, size_t g, uint8_t x, const char *token,
    struct bg_label *l)
{
	const struct bg_request2_entry *e = cer_entry(f, it->name);
	const struct bg_v2_version *ver = it->ver;
	struct bg_slot_box_id id;

	if (e == NULL || g >= ver->ng || x == 0 || x > ver->g[g].n)
		return BG_EINVAL;
	memset(&id, 0, sizeof(id));
	id.vault = c->v->id;
	id.vault_len = sizeof(c->v->id);
	id.account = ver->account;
	id.item = ver->item;
	id.version = ver->version;
	id.epoch = ver->g[g].epoch;
	id.group = ver->g[g].name;
	id.x = x;
	id.person = ver->g[g].m[x - 1].person;
	id.token = token;
	return bg_slot_approval_label(&id, f->hash, e->slot, l);
}

const struct bg_request2_entry *
cer_entry(const struct bg_rqfile *f, const char *item)
{
	size_t i;

	for (i = 0; i < f->rq2->nentries; i++)
		if (strcmp(f->rq2->entry[i].item, item) == 0)
			return &f->rq2->entry[i];
	return NULL;
}

/*
 * Each group of the version is at the epoch the log last gave it (its
 * seal's, or the last group.rekeyed): boxes from before a rekey, planted
 * back into vault.json, are refused.
 */
int
cer_epochs(struct bg_cer *c, const struct bg_vault_account *a,
    const struct bg_vault_item *it)
{
	bg_ledger_t *l = NULL;
	uint64_t want;
	size_t g;
	int r;

	if (c->remote)
		return BG_OK;	/* a client has no log: the daemon checks */
	if ((r = cer_ledger(c, &l)) != BG_OK)
		return r;
	for (g = 0; g < it->ver->ng && r == BG_OK; g++) {
		want = bg_ledger_epoch(l, a->id, it->name, it->version,
		    it->ver->g[g].name);
		if (want == 0)
			want = it->ver->epoch;
		if (it->ver->g[g].epoch != want) {
			bg_set_why("%s version %llu: group %s's boxes are of "
			    "epoch %llu, the log says %llu (boxes from before "
			    "a rekey?)", it->name,
			    (unsigned long long)it->version,
			    it->ver->g[g].name,
			    (unsigned long long)it->ver->g[g].epoch,
			    (unsigned long long)want);
			r = BG_ETAMPER;
		}
	}
	return r;
}

int
cer_item(struct bg_cer *c, const struct bg_rqfile *f,
    const struct bg_request2_entry *e, struct bg_vault_item **out)
{
	struct bg_vault_account *a = bg_vault_account(c->v, f->rq2->account);
	struct bg_vault_item *it;
	int r;

	*out = NULL;
	if (a == NULL || (it = bg_vault_item(a, e->item)) == NULL) {
		bg_set_why("account %s has no item '%s'", f->rq2->account,
		    e->item);
		return BG_ENOENT;
	}
	if (it->version != e->version) {
		bg_set_why("%s was sealed again (version %llu, the request "
		    "names %llu): open a new request", e->item,
		    (unsigned long long)it->version,
		    (unsigned long long)e->version);
		return BG_EPERM;
	}
	if (e->slot >= it->ver->nslots) {
		bg_set_why("%s version %llu has no slot %u", e->item,
		    (unsigned long long)e->version, e->slot);
		return BG_EPERM;
	}
	*out = it;
	if ((r = bg_vault_item_verify(c->v, a, it)) != BG_OK)
		return r;
	/* a client has no log: the daemon checks the epochs */
	return c->remote ? BG_OK : cer_epochs(c, a, it);
}

int
bg_cer_intent(const uint8_t request[32], const uint8_t fp[32],
    const uint8_t head[32], const char *group, const char *person,
    const char *token, uint8_t out[32])
{
	static const char tag[] = "breakglass/v1/approval-intent";
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, tag, sizeof(tag)) == 1 &&
	    EVP_DigestUpdate(md, request, 32) == 1 &&
	    EVP_DigestUpdate(md, fp, 32) == 1 &&
	    EVP_DigestUpdate(md, head, 32) == 1 &&
	    EVP_DigestUpdate(md, group, strlen(group) + 1) == 1 &&
	    EVP_DigestUpdate(md, person, strlen(person) + 1) == 1 &&
	    EVP_DigestUpdate(md, token, strlen(token)) == 1 &&
	    EVP_DigestFinal_ex(md, out, NULL) == 1;

	EVP_MD_CTX_free(md);
	return ok ? BG_OK : BG_ECRYPTO;
}

int
cer_fido2_ok(const bg_token_desc_t *d, const struct bg_statement2 *st,
    const uint8_t *authdata, size_t authdata_len, const uint8_t *sig,
    size_t sig_len)
{
	struct bg_token_assertion *as;
	uint8_t h[32];
	int r;

	if (bg_token_desc_kind(d) != BG_TOKEN_FIDO2)
		return BG_OK;	/* a YubiKey signs with its derived key only */
	if (authdata_len == 0 || authdata_len > BG_TOKEN_AUTHDATA_MAX ||
	    sig_len == 0 || sig_len > BG_TOKEN_SIG_MAX)
		return BG_ESIG;
	if ((as = calloc(1, sizeof(*as))) == NULL)
		return BG_ENOMEM;
	memcpy(as->authdata, authdata, authdata_len);
	as->authdata_len = authdata_len;
	memcpy(as->sig, sig, sig_len);
	as->sig_len = sig_len;
	if ((r = bg_cer_intent(st->request, st->vault, st->chain, st->group,
	    st->person, st->token, h)) == BG_OK)
		r = bg_token_verify(d, h, as);
	free(as);
	return r;
}

int
cer_approval_ok(struct bg_cer *c, const struct bg_rqfile *f,
    const struct bg_rq_approval *ap)
{
	const struct bg_vault_person *p = bg_vault_person(c->v, ap->custodian);
	struct bg_statement2 *st;
	uint8_t fp[BG_FINGERPRINT_LEN], head[BG_FINGERPRINT_LEN], h[32];
	int tok, r = BG_ETAMPER;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return BG_ENOMEM;
	cer_vault_fp(c, fp);
	cer_chain_head(c, head);
	if (p != NULL && (tok = bg_vault_person_token(p, ap->token)) >= 0 &&
	    bg_statement2_parse(ap->statement, ap->statement_len, st) ==
	    BG_OK && memcmp(st->vault, fp, sizeof(fp)) == 0 &&
	    memcmp(st->chain, head, sizeof(head)) == 0 &&
	    bg_ct_memcmp(st->request, f->hash, 32) == 0 &&
	    st->decision == BG_DECISION_APPROVE &&
	    strcmp(st->person, ap->custodian) == 0 &&
	    strcmp(st->group, ap->group) == 0 &&
	    strcmp(st->token, ap->token) == 0 &&
	    bg_statement2_hash(ap->statement, ap->statement_len, h) == BG_OK &&
	    bg_token_sig_verify(p->tokens[tok], h, 32, ap->sig) == BG_OK &&
	    cer_fido2_ok(p->tokens[tok], st, ap->fido2_authdata,
	    ap->fido2_authdata_len, ap->fido2_sig, ap->fido2_sig_len) == BG_OK)
		r = BG_OK;
	free(st);
	if (r != BG_OK)
		bg_set_why("the approval of %s is not a signed statement for "
		    "this request (copied or edited)", ap->custodian);
	return r;
}

/* Whether every group has at least its threshold less one. */
static int
near_quorum(struct bg_cer *c, const char *const *groups, size_t n,
    const struct bg_approval *ap, size_t nap)
{
	size_t g, i, k;

	for (g = 0; g < n; g++) {
		for (i = 0, k = 0; i < nap; i++)
			if (strcmp(ap[i].group, groups[g]) == 0 &&
			    bg_policy_is_member(c->v->policy, groups[g],
			    ap[i].person))
				k++;
		for (i = 0; i < bg_policy_ngroups(c->v->policy); i++)
			if (strcmp(bg_policy_group_name(c->v->policy, i),
			    groups[g]) == 0 && k + 1 <
			    bg_policy_group_threshold(c->v->policy, i))
				return 0;
	}
	return 1;
}

/* The approvals that count: signed statements for this request. */
static int
valid_approvals(struct bg_cer *c, const struct bg_rqfile *f,
    struct bg_approval **ap, size_t *k)
{
	size_t i;

	*k = 0;
	if ((*ap = calloc(f->napprovals + 1, sizeof(**ap))) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < f->napprovals; i++)
		if (cer_approval_check(c, f, i) == BG_OK) {
			(*ap)[*k].person = f->approvals[i].custodian;
			(*ap)[(*k)++].group = f->approvals[i].group;
		}
	return BG_OK;
}

int
cer_quorum(struct bg_cer *c, const struct bg_rqfile *f, char *why,
    size_t whysz, int *near)
{
	const char *groups[BG_POLICY_GROUPS_MAX];
	struct bg_approval *ap;
	size_t n, k;
	int r;

	if (near != NULL)
		*near = 0;
	if ((r = cer_groups(c, f, groups, &n)) != BG_OK ||
	    (r = valid_approvals(c, f, &ap, &k)) != BG_OK)
		return r;
	r = bg_policy_quorum_met(c->v->policy, groups, n, ap, k,
	    bg_request_requester(f->rq), why, whysz);
	if (near != NULL)
		*near = near_quorum(c, groups, n, ap, k);
	free(ap);
	return r;
}

/* Whether person is a member of group g of the version's record. */
static int
in_record(const struct bg_v2_group *g, const char *person)
{
	size_t m;

	for (m = 0; m < g->n; m++)
		if (strcmp(g->m[m].person, person) == 0)
			return 1;
	return 0;
}

/*
 * Shares of group g of entry e's slot written so far (the log's
 * approval.granted entries, any request or hash: whoever holds the
 * request key opens them all) by members of the version's record, with
 * xperson's (in xgroup) about to be.
 */
static unsigned
holders(const bg_ledger_t *l, const char *account,
    const struct bg_request2_entry *e, const struct bg_v2_group *g,
    const char *xperson, const char *xgroup)
{
	const char *p[BG_SHAMIR_MAX + 1];
	struct bg_ledger_slot s;
	size_t n, i, k = 0;
	int extra = xperson != NULL && strcmp(xgroup, g->name) == 0 &&
	    in_record(g, xperson);

	memset(&s, 0, sizeof(s));
	snprintf(s.account, sizeof(s.account), "%s", account);
	snprintf(s.item, sizeof(s.item), "%s", e->item);
	s.version = e->version;
	s.slot = e->slot;
	n = bg_ledger_holders(l, &s, g->name, p, BG_SHAMIR_MAX);
	for (i = 0; i < n; i++) {
		if (extra && strcmp(p[i], xperson) == 0)
			extra = 0;
		k += (size_t)in_record(g, p[i]);
	}
	return (unsigned)(k + (size_t)extra);
}

int
cer_items_met(struct bg_cer *c, const struct bg_rqfile *f,
    const char *xperson, const char *xgroup, int *met, int *near)
{
	const struct bg_vault_account *a = bg_vault_account(c->v,
	    f->rq2->account);
	const struct bg_request2_entry *e;
	const struct bg_vault_item *it;
	bg_ledger_t *l;
	unsigned k;
	size_t i, g;
	int r;

	if ((r = cer_ledger(c, &l)) != BG_OK)
		return r;
	for (i = 0; i < f->rq2->nentries; i++) {
		e = &f->rq2->entry[i];
		it = a != NULL ? bg_vault_item(a, e->item) : NULL;
		met[i] = near[i] = it != NULL && it->version == e->version;
		for (g = 0; met[i] + near[i] > 0 && g < it->ver->ng; g++) {
			k = holders(l, a->id, e, &it->ver->g[g], xperson,
			    xgroup);
			met[i] &= k >= it->ver->g[g].t;
			near[i] &= k + 1 >= it->ver->g[g].t;
		}
	}
	return BG_OK;
}

int
bg_cer_ledger(struct bg_cer *c, bg_ledger_t **l)
{
	return cer_ledger(c, l);
}

int
cer_ledger(struct bg_cer *c, bg_ledger_t **l)
{
	uint64_t size = bg_audit_size(c->st.log);
	int r;

	/* the same writer's log, grown by its own entries (or from the
	 * snapshot's size): only those are folded in */
	if (c->ledger != NULL && bg_ledger_size(c->ledger) < size &&
	    bg_ledger_extend(c->st.log, c->ledger) != BG_OK)
		bg_ledger_free(&c->ledger);
	if (c->ledger == NULL || bg_ledger_size(c->ledger) != size) {
		bg_ledger_free(&c->ledger);
		if ((r = bg_ledger_read(c->st.log, &c->ledger)) != BG_OK)
			return r;
	}
	*l = c->ledger;
	return BG_OK;
}

/* ================================================================= deny */

int
cer_text_ok(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max) {
		bg_set_why("the text must be 1 to %zu bytes", max);
		return 0;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			bg_set_why("the text holds a control character");
			return 0;
		}
	return 1;
}

int
cer_open_check(struct bg_cer *c, const struct bg_rqfile *f)
{
	bg_ledger_t *l = NULL;
	int closed, r;

	if ((r = cer_ledger(c, &l)) != BG_OK)
		return r;
	closed = bg_ledger_closed(l, bg_request_id(f->rq));
	if (closed && f->state == BG_RQ_OPEN) {
		bg_set_why("request %s was closed in the audit log but its "
		    "file says open", bg_request_id(f->rq));
		return BG_ETAMPER;
	}
	if (f->state != BG_RQ_OPEN) {
		bg_set_why("request %s is %s", bg_request_id(f->rq),
		    bg_rq_state_str(f->state));
		return BG_EPERM;
	}
	if (c->now >= bg_request_expiry(f->rq)) {
		bg_set_why("request %s has expired", bg_request_id(f->rq));
		return BG_EPERM;
	}
	return BG_OK;
}

