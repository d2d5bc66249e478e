/*
 * Rekey by resharing (ceremony.h, docs/ceremony.md "Rekey"). A rekey of
 * group g in one account covers the current version of every item g
 * guards. The holders S (exactly each version's threshold) each open
 * their own box in their own process and re-split lambda_i * share (every
 * unburned slot) t' of n' to the members the policy names now, one piece
 * per recipient token, sealed to that token and bound to the rekey; they
 * sign what they made. Each new member joins the |S| pieces addressed to
 * them in their own process and seals the result into new boxes at
 * epoch + 1; after the last one, the vault uses the new boxes.
 *
 * Nothing is opened to check the new shares before they are used: for an
 * item one group guards, that group's part of a slot is the item's key,
 * so any revealed part (or t shares of one) would be the secret (the
 * check DESIGN §5 proposed; docs/design.md says why it was dropped). A
 * holder whose own program re-splits wrong shares is found at the next
 * release, where the part commitment fails and names the rekey.
 *
 * Every label a piece or box is sealed under is built from the rekey
 * file's hash and the vault's membership, never read from the box.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "broker/ceremony/internal.h"

#define RK_PATH_MAX (sizeof("rekeys/.json") + BG_RK_ID_LEN)

struct rk {
	struct bg_cer *c;
	struct bg_rkfile *f;
	uint8_t h[32];				/* bg_rkfile_hash() */
	struct bg_vault_account *a;
	struct bg_vault_item *it[BG_RK_VERSIONS_MAX];
	size_t g[BG_RK_VERSIONS_MAX];		/* group index per version */
	const cJSON *burned;	/* in a client: the kit's burned slots */
};

static void
rk_name(const char *id, char out[RK_PATH_MAX])
{
	snprintf(out, RK_PATH_MAX, "rekeys/%s.json", id);
}

static int
sha256(const void *p, size_t n, uint8_t out[32])
{
	return EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL) == 1 ? BG_OK :
	    BG_ECRYPTO;
}

static int
stale(const char *what, const char *item)
{
	bg_set_why("%s %s since the rekey opened: open a new rekey", item,
	    what);
	return BG_EPERM;
}

/* ============================================================ labels */

static int
piece_label(const struct rk *k, const char *from, const struct bg_rk_box *b,
    struct bg_label *l)
{
	return bg_rkfile_piece_label(k->f, k->h, from, b, l);
}

/* The hash a contribution's or acceptance's token signs. */
static int
signed_msg(const struct rk *k, const struct bg_rk_signed *s, int accept,
    uint8_t msg[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct bg_label l;
	uint8_t h[32];
	size_t i;
	int r = BG_ECRYPTO, ok;

	if (md == NULL)
		return BG_ENOMEM;
	bg_label_init(&l, accept ? "breakglass/v2/rekey-acceptance" :
	    "breakglass/v2/rekey-contribution");
	bg_label_bin(&l, k->h, 32);
	bg_label_str(&l, s->person);
	bg_label_str(&l, s->token);
	bg_label_u64(&l, s->nboxes);
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    bg_label_ok(&l) == BG_OK &&
	    EVP_DigestUpdate(md, l.b, l.len) == 1;
	for (i = 0; ok && i < s->nboxes; i++) {
		bg_label_init(&l, "box");
		bg_label_str(&l, s->boxes[i].to);
		bg_label_str(&l, s->boxes[i].token);
		bg_label_u64(&l, s->boxes[i].v);
		ok = sha256(s->boxes[i].box, s->boxes[i].len, h) == BG_OK;
		bg_label_bin(&l, h, 32);
		ok = ok && bg_label_ok(&l) == BG_OK &&
		    EVP_DigestUpdate(md, l.b, l.len) == 1;
	}
	if (ok && EVP_DigestFinal_ex(md, msg, NULL) == 1)
		r = BG_OK;
	EVP_MD_CTX_free(md);
	return r;
}

/* ======================================================= binding checks */

static int
from_index(const struct bg_rkfile *f, const char *person)
{
	size_t i;

	for (i = 0; i < f->nfrom; i++)
		if (strcmp(f->from[i], person) == 0)
			return (int)i;
	return -1;
}

static int
member_index(const struct bg_rkfile *f, const char *person)
{
	size_t i;

	for (i = 0; i < f->nmembers; i++)
		if (strcmp(f->members[i].person, person) == 0)
			return (int)i;
	return -1;
}

/* Version i of the file is the vault's current one, at the same epoch. */
static int
bind_version(struct rk *k, size_t i)
{
	const struct bg_rk_version *v = &k->f->versions[i];
	const struct bg_v2_group *g;
	struct bg_vault_item *it = bg_vault_item(k->a, v->item);
	int gi, r;
	size_t s;

	if (it == NULL || it->version != v->version)
		return stale("was sealed again or removed", v->item);
	if (memcmp(it->ver->root, v->root, 32) != 0 ||
	    it->ver->nslots != v->nslots) {
		bg_set_why("%s: the version record is not the one the rekey "
		    "names", v->item);
		return BG_ETAMPER;
	}
	if ((gi = bg_vault_item_group(it, k->f->group)) < 0)
		return stale("no longer needs the group", v->item);
	g = &it->ver->g[gi];
	if (g->epoch != v->epoch)
		return stale("was rekeyed", v->item);
	if ((r = cer_epochs(k->c, k->a, it)) != BG_OK)
		return r;
	if (g->t != k->f->nfrom) {
		bg_set_why("%s: threshold %u, but %zu holders are named",
		    v->item, g->t, k->f->nfrom);
		return BG_ETAMPER;
	}
	for (s = 0; s < k->f->nfrom; s++)
		if (v->from_x[s] == 0 || v->from_x[s] > g->n ||
		    strcmp(g->m[v->from_x[s] - 1].person, k->f->from[s]) != 0) {
			bg_set_why("%s: %s does not hold x=%u", v->item,
			    k->f->from[s], v->from_x[s]);
			return BG_ETAMPER;
		}
	k->it[i] = it;
	k->g[i] = (size_t)gi;
	return BG_OK;
}

/* Each new member is a person of the vault with a token. */
static int
bind_members(struct rk *k)
{
	const struct bg_vault_person *p;
	size_t i;

	for (i = 0; i < k->f->nmembers; i++) {
		p = bg_vault_person(k->c->v, k->f->members[i].person);
		if (p == NULL || p->ntokens == 0 ||
		    member_index(k->f, p->name) != (int)i) {
			bg_set_why("new member %s: unknown, repeated or "
			    "without a token", k->f->members[i].person);
			return BG_ETAMPER;
		}
	}
	return BG_OK;
}

/* The box for (to, token, v) in s, or NULL. */
static const struct bg_rk_box *
find_box(const struct bg_rk_signed *s, const char *to, const char *token,
    size_t v)
{
	size_t i;

	for (i = 0; i < s->nboxes; i++)
		if (s->boxes[i].v == v && strcmp(s->boxes[i].to, to) == 0 &&
		    strcmp(s->boxes[i].token, token) == 0)
			return &s->boxes[i];
	return NULL;
}

/*
 * s carries exactly one box per (recipient token, version) for the
 * recipients given (every member, or the accepting one), and its token's
 * signature.
 */
static int
check_signed(const struct rk *k, const struct bg_rk_signed *s, int accept)
{
	const struct bg_vault_person *p = bg_vault_person(k->c->v, s->person);
	const struct bg_vault_person *q;
	size_t m, t, v, want = 0;
	uint8_t msg[32];
	int tok, r;

	if (p == NULL || (tok = bg_vault_person_token(p, s->token)) < 0)
		return BG_ETAMPER;
	for (m = 0; m < k->f->nmembers; m++) {
		if (accept && strcmp(k->f->members[m].person, s->person) != 0)
			continue;
		q = bg_vault_person(k->c->v, k->f->members[m].person);
		for (t = 0; t < q->ntokens; t++)
			for (v = 0; v < k->f->nversions; v++, want++)
				if (find_box(s, q->name,
				    bg_token_desc_id(q->tokens[t]), v) == NULL)
					return BG_ETAMPER;
	}
	if (s->nboxes != want)
		return BG_ETAMPER;
	if ((r = signed_msg(k, s, accept, msg)) != BG_OK)
		return r;
	return bg_token_sig_verify(p->tokens[tok], msg, sizeof(msg), s->sig) ==
	    BG_OK ? BG_OK : BG_ETAMPER;
}

static int
check_all_signed(const struct rk *k)
{
	size_t i, j;

	for (i = 0; i < k->f->ncontrib; i++) {
		if (from_index(k->f, k->f->contrib[i].person) < 0 ||
		    check_signed(k, &k->f->contrib[i], 0) != BG_OK)
			goto forged;
		for (j = 0; j < i; j++)
			if (strcmp(k->f->contrib[j].person,
			    k->f->contrib[i].person) == 0)
				goto forged;
	}
	for (i = 0; i < k->f->naccept; i++) {
		if (member_index(k->f, k->f->accept[i].person) < 0 ||
		    check_signed(k, &k->f->accept[i], 1) != BG_OK)
			goto forged;
		for (j = 0; j < i; j++)
			if (strcmp(k->f->accept[j].person,
			    k->f->accept[i].person) == 0)
				goto forged;
	}
	return BG_OK;
forged:
	bg_set_why("rekey %s: a contribution or acceptance is not what its "
	    "person's token signed for this rekey", k->f->id);
	return BG_ETAMPER;
}

/*
 * The new members and threshold are still what the policy names for the
 * group (its floor included): a file edited after begin, even re-recorded
 * with the log's key, is refused before anyone touches a token.
 */
static int
policy_members(struct rk *k)
{
	const bg_policy_t *pol = k->c->v->policy;
	size_t gi, i;

	for (gi = 0; gi < bg_policy_ngroups(pol); gi++)
		if (strcmp(bg_policy_group_name(pol, gi), k->f->group) == 0)
			break;
	if (gi == bg_policy_ngroups(pol) ||
	    bg_policy_group_threshold(pol, gi) != k->f->t ||
	    bg_policy_group_nmembers(pol, gi) != k->f->nmembers)
		goto changed;
	for (i = 0; i < k->f->nmembers; i++)
		if (strcmp(bg_policy_group_member(pol, gi, i),
		    k->f->members[i].person) != 0)
			goto changed;
	return BG_OK;
changed:
	bg_set_why("rekey %s: its members or threshold are not what the "
	    "policy names for group %s now: open a new rekey", k->f->id,
	    k->f->group);
	return BG_EPERM;
}

static int rk_parse(struct bg_cer *c, const cJSON *j, const char *id,
    struct rk *k);

/* Loads rekeys/<id>.json as the log last recorded it, bound to the vault. */
static int
rk_load(struct bg_cer *c, const char *id, struct rk *k)
{
	char name[RK_PATH_MAX];
	uint8_t raw[BG_RK_ID_LEN / 2];
	cJSON *j = NULL;
	int r;

	memset(k, 0, sizeof(*k));
	k->c = c;
	if (strlen(id) != BG_RK_ID_LEN ||
	    bg_hex_decode_exact(id, BG_RK_ID_LEN, raw, sizeof(raw)) != BG_OK) {
		bg_set_why("'%s' is not a rekey id (32 hex digits)", id);
		return BG_EINVAL;
	}
	rk_name(id, name);
	if ((r = bg_state_read(&c->st, name, &j)) == BG_ENOENT)
		bg_set_why("no rekey %s", id);
	if (r == BG_OK && (r = bg_state_check_file(&c->st, name)) == BG_OK)
		r = rk_parse(c, j, id, k);
	cJSON_Delete(j);
	return r;
}

/* The file j (read from the state, or a daemon's kit), bound to the vault. */
static int
rk_parse(struct bg_cer *c, const cJSON *j, const char *id, struct rk *k)
{
	size_t i;
	int r;

	if ((r = bg_rkfile_from_json(j, &k->f)) == BG_OK &&
	    strcmp(k->f->id, id) != 0) {
		bg_set_why("the file holds another rekey than %s", id);
		r = BG_ETAMPER;
	}
	if (r != BG_OK)
		return r;
	if ((k->a = bg_vault_account(c->v, k->f->account)) == NULL) {
		bg_set_why("rekey %s: no account %s", id, k->f->account);
		return BG_ETAMPER;
	}
	if ((r = bg_rkfile_hash(c->v->id, k->f, k->h)) != BG_OK ||
	    (r = bind_members(k)) != BG_OK)
		return r;
	if (k->f->closed != 0)
		return BG_OK;	/* status only: the vault moved on */
	if ((r = policy_members(k)) != BG_OK)
		return r;
	for (i = 0; i < k->f->nversions; i++)
		if ((r = bind_version(k, i)) != BG_OK)
			return r;
	return check_all_signed(k);
}

static int
rk_save(struct rk *k, const char *event, const char *actor, cJSON *detail)
{
	struct bg_audit_event ev = { event, actor, k->f->account, k->f->id,
	    detail };
	char name[RK_PATH_MAX];
	cJSON *j = NULL;
	int r;

	rk_name(k->f->id, name);
	if ((r = bg_rkfile_to_json(k->f, &j)) == BG_OK)
		r = bg_state_write(&k->c->st, name, j, &ev);
	cJSON_Delete(j);
	return r;
}

static int
rk_open_check(const struct rk *k)
{
	if (k->f->closed != 0) {
		bg_set_why("rekey %s is closed (%s)", k->f->id, k->f->outcome);
		return BG_EPERM;
	}
	return BG_OK;
}

/* No request still open names a version: its shares are at this epoch. */
static int
no_open_request(struct rk *k)
{
	bg_ledger_t *l = NULL;
	size_t i;
	int r;

	if (k->c->remote)
		return BG_OK;	/* a client has no log: the daemon checks */
	if ((r = cer_ledger(k->c, &l)) != BG_OK)
		return r;
	for (i = 0; i < k->f->nversions && r == BG_OK; i++)
		if (bg_ledger_version_open(l, k->f->account,
		    k->f->versions[i].item, k->f->versions[i].version,
		    k->c->now)) {
			bg_set_why("a request naming %s version %llu is open: "
			    "deny it or let it expire first",
			    k->f->versions[i].item,
			    (unsigned long long)k->f->versions[i].version);
			r = BG_EPERM;
		}
	return r;
}

/* ================================================================ begin */

static int
take_from(struct rk *k, const char *const *from, size_t nfrom)
{
	size_t i, j;

	if (nfrom < 2 || nfrom > BG_SHAMIR_MAX) {
		bg_set_why("name the holders who re-split: as many as the "
		    "group's threshold (at least 2)");
		return BG_EINVAL;
	}
	if ((k->f->from = calloc(nfrom, sizeof(*k->f->from))) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < nfrom; i++) {
		if (bg_cer_person(k->c, from[i]) == NULL)
			return BG_ENOENT;
		for (j = 0; j < i; j++)
			if (bg_name_same(from[j], from[i])) {
				bg_set_why("%s is named twice", from[i]);
				return BG_EINVAL;
			}
		snprintf(k->f->from[i], sizeof(k->f->from[i]), "%s", from[i]);
	}
	k->f->nfrom = nfrom;
	return BG_OK;
}

/* The new members and threshold: the policy's, each with a token. */
static int
take_members(struct rk *k)
{
	const bg_policy_t *pol = k->c->v->policy;
	size_t gi, i, n;

	for (gi = 0; gi < bg_policy_ngroups(pol); gi++)
		if (strcmp(bg_policy_group_name(pol, gi), k->f->group) == 0)
			break;
	if (gi == bg_policy_ngroups(pol)) {
		bg_set_why("no group '%s' in the policy", k->f->group);
		return BG_ENOENT;
	}
	k->f->t = bg_policy_group_threshold(pol, gi);
	n = bg_policy_group_nmembers(pol, gi);
	if (k->f->t < 2 || n < k->f->t || n > BG_SHAMIR_MAX) {
		bg_set_why("group %s: threshold %u of %zu members is below the "
		    "floor or cannot be met", k->f->group, k->f->t, n);
		return BG_EPERM;
	}
	if ((k->f->members = calloc(n, sizeof(*k->f->members))) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < n; i++) {
		snprintf(k->f->members[i].person,
		    sizeof(k->f->members[i].person), "%s",
		    bg_policy_group_member(pol, gi, i));
		k->f->members[i].x = (uint8_t)(i + 1);
	}
	k->f->nmembers = n;
	return bind_members(k) == BG_OK ? BG_OK : BG_EPERM;
}

/* Version v of item it, as the rekey will name it. */
static int
take_version(struct rk *k, struct bg_vault_item *it, int gi)
{
	struct bg_rk_version *v = &k->f->versions[k->f->nversions];
	const struct bg_v2_group *g = &it->ver->g[gi];
	size_t s, m;
	int r;

	if (k->f->nversions == BG_RK_VERSIONS_MAX)
		return BG_ETOOBIG;
	if ((r = cer_epochs(k->c, k->a, it)) != BG_OK)
		return r;
	snprintf(v->item, sizeof(v->item), "%s", it->name);
	v->version = it->version;
	v->epoch = g->epoch;
	v->nslots = it->ver->nslots;
	memcpy(v->root, it->ver->root, 32);
	if (g->t != k->f->nfrom) {
		bg_set_why("%s version %llu: group %s has threshold %u: name "
		    "exactly %u of its holders", it->name,
		    (unsigned long long)it->version, g->name, g->t, g->t);
		return BG_EINVAL;
	}
	for (s = 0; s < k->f->nfrom; s++) {
		for (m = 0; m < g->n; m++)
			if (strcmp(g->m[m].person, k->f->from[s]) == 0)
				break;
		if (m == g->n) {
			bg_set_why("%s holds no share of %s version %llu",
			    k->f->from[s], it->name,
			    (unsigned long long)it->version);
			return BG_EPERM;
		}
		v->from_x[s] = g->m[m].x;
	}
	k->f->nversions++;
	return BG_OK;
}

static int
take_versions(struct rk *k)
{
	size_t i;
	int gi, r = BG_OK;

	if ((k->f->versions = calloc(BG_RK_VERSIONS_MAX,
	    sizeof(*k->f->versions))) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < k->a->nitems && r == BG_OK; i++)
		if ((gi = bg_vault_item_group(&k->a->items[i],
		    k->f->group)) >= 0)
			r = take_version(k, &k->a->items[i], gi);
	if (r == BG_OK && k->f->nversions == 0) {
		bg_set_why("no item of account %s is sealed for group %s",
		    k->f->account, k->f->group);
		r = BG_ENOENT;
	}
	return r;
}

/*
 * The detail of rekey.opened and group.rekeyed: group, threshold, and per
 * version its item, version and the group's epoch after the rekey
 * (ledger.h reads it from group.rekeyed).
 */
static int
versions_detail(const struct rk *k, cJSON **d)
{
	cJSON *arr, *e;
	size_t i;

	if ((*d = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(*d, "group", k->f->group) ||
	    !cJSON_AddStringToObject(*d, "rekey", k->f->id) ||
	    !cJSON_AddNumberToObject(*d, "threshold", k->f->t) ||
	    (arr = cJSON_AddArrayToObject(*d, "entries")) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < k->f->nversions; i++)
		if (bg_vjson_push_obj(arr, &e) != BG_OK ||
		    !cJSON_AddStringToObject(e, "item",
		    k->f->versions[i].item) ||
		    !cJSON_AddNumberToObject(e, "version",
		    (double)k->f->versions[i].version) ||
		    !cJSON_AddNumberToObject(e, "epoch",
		    (double)(k->f->versions[i].epoch + 1)))
			return BG_ENOMEM;
	return BG_OK;
}

static int
begin(struct rk *k, const char *account, const char *group,
    const char *const *from, size_t nfrom, const char *as)
{
	uint8_t raw[BG_RK_ID_LEN / 2];
	cJSON *d = NULL;
	int r;

	if (account == NULL && k->c->v->naccounts == 1)
		account = k->c->v->accounts[0].id;
	if (account == NULL) {
		bg_set_why("the vault holds several accounts: name one with "
		    "--account");
		return BG_EINVAL;
	}
	if ((k->a = bg_vault_account(k->c->v, account)) == NULL) {
		bg_set_why("no account %s in the vault", account);
		return BG_ENOENT;
	}
	if (bg_cer_person(k->c, as) == NULL)
		return BG_ENOENT;
	if ((k->f = calloc(1, sizeof(*k->f))) == NULL)
		return BG_ENOMEM;
	snprintf(k->f->account, sizeof(k->f->account), "%s", account);
	snprintf(k->f->group, sizeof(k->f->group), "%s", group);
	snprintf(k->f->opened_by, sizeof(k->f->opened_by), "%s", as);
	k->f->opened = k->c->now;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return BG_ECRYPTO;
	bg_hex_encode(raw, sizeof(raw), k->f->id, sizeof(k->f->id));
	if ((r = take_from(k, from, nfrom)) != BG_OK ||
	    (r = take_members(k)) != BG_OK ||
	    (r = take_versions(k)) != BG_OK ||
	    (r = no_open_request(k)) != BG_OK ||
	    (r = bg_rkfile_hash(k->c->v->id, k->f, k->h)) != BG_OK)
		return r;
	if ((r = versions_detail(k, &d)) == BG_OK)
		r = rk_save(k, "rekey.opened", as, d);
	cJSON_Delete(d);
	return r;
}

int
bg_cer_rekey_begin(struct bg_cer *c, const char *account, const char *group,
    const char *const *from, size_t nfrom, const char *as,
    char id[BG_RK_ID_LEN + 1])
{
	struct rk k;
	int r;

	memset(&k, 0, sizeof(k));
	k.c = c;
	if ((r = begin(&k, account, group, from, nfrom, as)) != BG_OK)
		r = cer_refuse(c, "rekey begin", "", account ? account : "",
		    as, r);
	else
		snprintf(id, BG_RK_ID_LEN + 1, "%s", k.f->id);
	bg_rkfile_free(&k.f);
	return r;
}

/* =========================================================== contribute */

static struct bg_rk_box *
push_box(struct bg_rk_signed *s, const char *to, const char *token, size_t v)
{
	struct bg_rk_box *b = &s->boxes[s->nboxes++];

	snprintf(b->to, sizeof(b->to), "%s", to);
	snprintf(b->token, sizeof(b->token), "%s", token);
	b->v = v;
	return b;
}

/* Piece j (new member j's) of version v, sealed to each of their tokens. */
static int
seal_pieces(const struct rk *k, struct bg_rk_signed *s, size_t v, size_t j,
    const uint8_t *piece, size_t len)
{
	const struct bg_vault_person *q = bg_vault_person(k->c->v,
	    k->f->members[j].person);
	struct bg_rk_box *b;
	struct bg_label l;
	size_t t, n;
	int r;

	for (t = 0; t < q->ntokens; t++) {
		b = push_box(s, q->name, bg_token_desc_id(q->tokens[t]), v);
		b->len = len + BG_BOX_OVERHEAD;
		if ((b->box = malloc(b->len)) == NULL)
			return BG_ENOMEM;
		if ((r = piece_label(k, s->person, b, &l)) != BG_OK ||
		    (r = bg_box_seal(bg_token_desc_public(q->tokens[t]),
		    "rekey-piece", l.b, l.len, piece, len, b->box, b->len,
		    &n)) != BG_OK)
			return r;
	}
	return BG_OK;
}

/*
 * In a client: the slots the daemon's kit lists as burned for version v
 * ("burned": one list of slot numbers per version of the file).
 */
static int
drop_listed(const struct rk *k, size_t v, uint8_t *vec)
{
	const cJSON *list = cJSON_GetArrayItem(k->burned, (int)v), *e;
	uint32_t n = k->f->versions[v].nslots;

	if (!cJSON_IsArray(k->burned) || (size_t)cJSON_GetArraySize(
	    k->burned) != k->f->nversions || !cJSON_IsArray(list)) {
		bg_set_why("the daemon's kit lists no burned slots");
		return BG_EFORMAT;
	}
	cJSON_ArrayForEach(e, list) {
		if (!cJSON_IsNumber(e) || e->valuedouble < 0 ||
		    e->valuedouble >= n || e->valuedouble != (double)(uint32_t)
		    e->valuedouble) {
			bg_set_why("the daemon's kit lists a slot out of range");
			return BG_EFORMAT;
		}
		bg_wipe(vec + (size_t)e->valuedouble * BG_SLOT_KEY_LEN,
		    BG_SLOT_KEY_LEN);
	}
	return BG_OK;
}

/* The burned slots of every version of the file, for a client's kit. */
static int
burned_lists(struct rk *k, cJSON *kit)
{
	cJSON *all = cJSON_AddArrayToObject(kit, "burned"), *one;
	struct bg_ledger_slot s;
	bg_ledger_t *l = NULL;
	size_t v;
	uint32_t j;
	int r;

	if (all == NULL)
		return BG_ENOMEM;
	if ((r = cer_ledger(k->c, &l)) != BG_OK)
		return r;
	for (v = 0; v < k->f->nversions; v++) {
		if ((one = cJSON_CreateArray()) == NULL ||
		    !cJSON_AddItemToArray(all, one))
			return (cJSON_Delete(one), BG_ENOMEM);
		memset(&s, 0, sizeof(s));
		snprintf(s.account, sizeof(s.account), "%s", k->f->account);
		snprintf(s.item, sizeof(s.item), "%s", k->f->versions[v].item);
		s.version = k->f->versions[v].version;
		for (j = 0; j < k->f->versions[v].nslots; j++) {
			s.slot = j;
			if (bg_ledger_burned(l, &s) != NULL &&
			    !cJSON_AddItemToArray(one, cJSON_CreateNumber(j)))
				return BG_ENOMEM;
		}
	}
	return BG_OK;
}

/* Zeroes the shares of burned slots: they are not handed on. */
static int
drop_burned(const struct rk *k, size_t v, uint8_t *vec)
{
	const struct bg_rk_version *rv = &k->f->versions[v];
	struct bg_ledger_slot s;
	bg_ledger_t *l = NULL;
	uint32_t j;
	int r;

	if (k->c->remote)
		return drop_listed(k, v, vec);
	if ((r = cer_ledger(k->c, &l)) != BG_OK)
		return r;
	memset(&s, 0, sizeof(s));
	snprintf(s.account, sizeof(s.account), "%s", k->f->account);
	snprintf(s.item, sizeof(s.item), "%s", rv->item);
	s.version = rv->version;
	for (j = 0; j < rv->nslots; j++) {
		s.slot = j;
		if (bg_ledger_burned(l, &s) != NULL)
			bg_wipe(vec + (size_t)j * BG_SLOT_KEY_LEN,
			    BG_SLOT_KEY_LEN);
	}
	return BG_OK;
}

/*
 * Every slot's share re-split (Shamir works per secret of at most
 * BG_SHAMIR_SECRET_MAX bytes): member j's piece of slot s goes to
 * pieces + j * len + s * BG_SLOT_KEY_LEN, so each member's pieces are
 * one vector like a box's.
 */
static int
reshare_slots(const struct rk *k, const struct bg_rk_version *rv, int from,
    const uint8_t *vec, uint8_t *pieces)
{
	size_t len = (size_t)rv->nslots * BG_SLOT_KEY_LEN, n = k->f->nmembers;
	uint8_t *one = bg_secure_alloc(n * BG_SLOT_KEY_LEN);
	uint32_t s;
	size_t j;
	int r = BG_OK;

	if (one == NULL)
		return BG_ENOMEM;
	for (s = 0; s < rv->nslots && r == BG_OK; s++) {
		r = bg_shamir_reshare(rv->from_x, (unsigned)k->f->nfrom,
		    rv->from_x[from], vec + (size_t)s * BG_SLOT_KEY_LEN,
		    BG_SLOT_KEY_LEN, k->f->t, (unsigned)n, one);
		for (j = 0; j < n && r == BG_OK; j++)
			memcpy(pieces + j * len + (size_t)s * BG_SLOT_KEY_LEN,
			    one + j * BG_SLOT_KEY_LEN, BG_SLOT_KEY_LEN);
	}
	bg_secure_free(&one, n * BG_SLOT_KEY_LEN);
	return r;
}

/* The holder's shares of version v, re-split to the new members. */
static int
reshare_version(const struct rk *k, struct bg_rk_signed *s, size_t v,
    int from, size_t tok, const bg_token_key_t *key)
{
	const struct bg_rk_version *rv = &k->f->versions[v];
	const struct bg_vault_item *it = k->it[v];
	struct bg_v2_expect want = { k->f->account, rv->item, rv->version,
	    rv->root };
	size_t len = (size_t)rv->nslots * BG_SLOT_KEY_LEN, plen, j;
	uint8_t *vec, *pieces;
	int r;

	plen = k->f->nmembers * len;
	vec = bg_secure_alloc(len);
	pieces = bg_secure_alloc(plen);
	if (vec == NULL || pieces == NULL)
		r = BG_ENOMEM;
	else if ((r = bg_v2_open_box(k->c->v, it->ver, &want, k->g[v],
	    rv->from_x[from], tok, bg_token_key_bytes(key), vec)) == BG_OK &&
	    (r = drop_burned(k, v, vec)) == BG_OK &&
	    (r = reshare_slots(k, rv, from, vec, pieces)) == BG_OK)
		for (j = 0; j < k->f->nmembers && r == BG_OK; j++)
			r = seal_pieces(k, s, v, j, pieces + j * len, len);
	bg_secure_free(&vec, len);
	bg_secure_free(&pieces, plen);
	return r;
}

/* Index of the touched token among the member's boxes of version v. */
static int
box_token(const struct rk *k, size_t v, uint8_t x, const char *token,
    size_t *tok)
{
	const struct bg_v2_member *m = &k->it[v]->ver->g[k->g[v]].m[x - 1];

	for (*tok = 0; *tok < m->ntokens; ++*tok)
		if (strcmp(m->token[*tok], token) == 0)
			return BG_OK;
	bg_set_why("%s's share of %s is not sealed to this token (it was "
	    "enrolled after sealing)", m->person, k->f->versions[v].item);
	return BG_ENOENT;
}

static int
boxes_alloc(const struct rk *k, struct bg_rk_signed *s, size_t recipients)
{
	size_t n = 0, m;

	for (m = 0; m < k->f->nmembers; m++)
		if (recipients == SIZE_MAX || m == recipients)
			n += bg_vault_person(k->c->v,
			    k->f->members[m].person)->ntokens;
	s->boxes = calloc(n * k->f->nversions + 1, sizeof(*s->boxes));
	return s->boxes == NULL ? BG_ENOMEM : BG_OK;
}

static int
sign_signed(const struct rk *k, struct bg_rk_signed *s, int accept,
    const bg_token_key_t *key)
{
	uint8_t msg[32];
	int r;

	if ((r = signed_msg(k, s, accept, msg)) != BG_OK)
		return r;
	return bg_token_key_sign(key, msg, sizeof(msg), s->sig);
}

/*
 * The open rekey's person as, who has not yet done what done[0..n) holds
 * (BG_EEXIST: "has already <what>").
 */
static int
rk_person(struct rk *k, const char *as, const struct bg_rk_signed *done,
    size_t n, const char *what, struct bg_vault_person **p)
{
	size_t i;
	int r;

	if ((r = rk_open_check(k)) != BG_OK)
		return r;
	if ((*p = bg_cer_person(k->c, as)) == NULL)
		return BG_ENOENT;
	for (i = 0; i < n; i++)
		if (strcmp(done[i].person, (*p)->name) == 0) {
			bg_set_why("%s has already %s", (*p)->name, what);
			return BG_EEXIST;
		}
	return BG_OK;
}

/* as may contribute now: a holder the file names, not done yet. */
static int
contrib_may(struct rk *k, const char *as, struct bg_vault_person **p,
    int *from)
{
	int r;

	if ((r = rk_person(k, as, k->f->contrib, k->f->ncontrib,
	    "contributed", p)) != BG_OK)
		return r;
	if ((*from = from_index(k->f, (*p)->name)) < 0) {
		bg_set_why("%s is not one of the holders this rekey names",
		    (*p)->name);
		return BG_EPERM;
	}
	return no_open_request(k);
}

static int
contribute(struct rk *k, const char *as)
{
	struct bg_rk_signed *s = &k->f->contrib[k->f->ncontrib];
	struct bg_vault_person *p;
	bg_token_key_t *key = NULL;
	struct bg_touch t;
	size_t tok, v;
	int from, r;

	if ((r = contrib_may(k, as, &p, &from)) != BG_OK)
		return r;
	k->f->ncontrib++;	/* freed with the file from here on */
	if ((r = boxes_alloc(k, s, SIZE_MAX)) != BG_OK)
		return r;
	snprintf(s->person, sizeof(s->person), "%s", p->name);
	if ((r = bg_cer_touch(k->c, p, NULL, NULL, &t, &key, &tok)) != BG_OK)
		return r;
	snprintf(s->token, sizeof(s->token), "%s", t.token);
	for (v = 0; v < k->f->nversions && r == BG_OK; v++)
		if ((r = box_token(k, v, k->f->versions[v].from_x[from],
		    t.token, &tok)) == BG_OK)
			r = reshare_version(k, s, v, from, tok, key);
	if (r == BG_OK)
		r = sign_signed(k, s, 0, key);
	bg_token_key_free(&key);
	return r;
}

static int
grow_signed(struct bg_rk_signed **arr, size_t n)
{
	struct bg_rk_signed *more = realloc(*arr, (n + 1) * sizeof(*more));

	if (more == NULL)
		return BG_ENOMEM;
	memset(&more[n], 0, sizeof(more[n]));
	*arr = more;
	return BG_OK;
}

/* rekey.contributed for the last contribution of the file. */
static int
contrib_record(struct rk *k, const char *as)
{
	cJSON *d = NULL;
	int r;

	if ((d = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(d, "group", k->f->group) ||
	    !cJSON_AddStringToObject(d, "token",
	    k->f->contrib[k->f->ncontrib - 1].token))
		r = BG_ENOMEM;
	else
		r = rk_save(k, "rekey.contributed", as, d);
	cJSON_Delete(d);
	if (r == BG_OK)
		fprintf(k->c->out, "%s re-split their shares for rekey %s "
		    "(%zu of %zu holders)\n", as, k->f->id, k->f->ncontrib,
		    k->f->nfrom);
	return r;
}

int
bg_cer_rekey_contribute(struct bg_cer *c, const char *id, const char *as)
{
	struct rk k;
	int r;

	if ((r = rk_load(c, id, &k)) == BG_OK &&
	    (r = grow_signed(&k.f->contrib, k.f->ncontrib)) == BG_OK &&
	    (r = contribute(&k, as)) == BG_OK) {
		r = contrib_record(&k, as);
	} else if (r != BG_ENOMEM) {
		r = cer_refuse(c, "rekey contribute", id,
		    k.f ? k.f->account : "", as, r);
	}
	bg_rkfile_free(&k.f);
	return r;
}

/* ================================================================ accept */

/*
 * The new share vector of version v: the XOR of every holder's piece,
 * each opened into tmp (ncontrib * len bytes, locked).
 */
static int
join_pieces(const struct rk *k, const char *as, const char *token,
    size_t v, const uint8_t *tokpriv, uint8_t *vec, uint8_t *tmp, size_t len)
{
	const uint8_t **each = calloc(k->f->ncontrib, sizeof(*each));
	const struct bg_rk_box *b;
	struct bg_label l;
	size_t i, n;
	int r = BG_ENOMEM;

	for (i = 0; each != NULL && i < k->f->ncontrib; i++) {
		each[i] = tmp + i * len;
		if ((b = find_box(&k->f->contrib[i], as, token, v)) == NULL) {
			free(each);
			return BG_ETAMPER;
		}
		if ((r = piece_label(k, k->f->contrib[i].person, b,
		    &l)) != BG_OK ||
		    (r = bg_box_open(tokpriv, "rekey-piece", l.b, l.len,
		    b->box, b->len, tmp + i * len, len, &n)) != BG_OK) {
			bg_set_why("the piece from %s for %s does not open: %s",
			    k->f->contrib[i].person, k->f->versions[v].item,
			    bg_why());
			free(each);
			return r == BG_ECRYPTO ? BG_ETAMPER : r;
		}
	}
	if (each != NULL) {
		bg_shamir_reshare_join(each, (unsigned)k->f->ncontrib, len,
		    vec);
		r = BG_OK;
	}
	free(each);
	return r;
}

/* The new group of version v as it will be: threshold, epoch, members. */
static void
new_group(const struct rk *k, size_t v, struct bg_v2_group *g)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", k->f->group);
	g->t = k->f->t;
	g->epoch = k->f->versions[v].epoch + 1;
}

/* Member as of the new group, with the person's tokens. */
static void
new_member(const struct rk *k, int j, struct bg_v2_member *m)
{
	const struct bg_vault_person *p = bg_vault_person(k->c->v,
	    k->f->members[j].person);
	size_t t;

	memset(m, 0, sizeof(*m));
	snprintf(m->person, sizeof(m->person), "%s", p->name);
	m->x = k->f->members[j].x;
	m->ntokens = p->ntokens;
	for (t = 0; t < p->ntokens; t++)
		snprintf(m->token[t], sizeof(m->token[t]), "%s",
		    bg_token_desc_id(p->tokens[t]));
}

/* Version v's new boxes for member j. */
static int
accept_version(const struct rk *k, struct bg_rk_signed *s, int j, size_t v,
    const char *token, const uint8_t *tokpriv)
{
	const struct bg_rk_version *rv = &k->f->versions[v];
	size_t len = (size_t)rv->nslots * BG_SLOT_KEY_LEN, t;
	struct bg_v2_group g;
	struct bg_v2_member m;
	struct bg_rk_box *b;
	size_t tlen = k->f->ncontrib * len;
	uint8_t *vec = bg_secure_alloc(len), *tmp = bg_secure_alloc(tlen);
	int r = BG_ENOMEM;

	new_group(k, v, &g);
	new_member(k, j, &m);
	if (vec != NULL && tmp != NULL &&
	    (r = join_pieces(k, s->person, token, v, tokpriv, vec, tmp,
	    len)) == BG_OK &&
	    (r = bg_v2_seal_member(k->c->v, k->it[v]->ver, &g, &m,
	    vec)) == BG_OK) {
		for (t = 0; t < m.ntokens; t++) {
			b = push_box(s, m.person, m.token[t], v);
			b->box = m.box[t];
			b->len = BG_V2_BOX_LEN(rv->nslots);
			m.box[t] = NULL;
		}
	}
	for (t = 0; t < m.ntokens; t++)
		free(m.box[t]);
	bg_secure_free(&vec, len);
	bg_secure_free(&tmp, tlen);
	return r;
}

/* as may accept now: a new member, not done, every holder contributed. */
static int
accept_may(struct rk *k, const char *as, struct bg_vault_person **p, int *j)
{
	int r;

	if ((r = rk_person(k, as, k->f->accept, k->f->naccept, "accepted",
	    p)) != BG_OK)
		return r;
	if ((*j = member_index(k->f, (*p)->name)) < 0) {
		bg_set_why("%s is not a member of group %s in the policy",
		    (*p)->name, k->f->group);
		return BG_EPERM;
	}
	if (k->f->ncontrib < k->f->nfrom) {
		bg_set_why("%zu of %zu holders have re-split their shares: "
		    "accept after all of them", k->f->ncontrib, k->f->nfrom);
		return BG_EPERM;
	}
	/* a request opened since begin would mix shares of two epochs */
	return no_open_request(k);
}

static int
accept_one(struct rk *k, const char *as)
{
	struct bg_rk_signed *s = &k->f->accept[k->f->naccept];
	struct bg_vault_person *p;
	bg_token_key_t *key = NULL;
	struct bg_touch t;
	size_t tok, v;
	int j, r;

	if ((r = accept_may(k, as, &p, &j)) != BG_OK)
		return r;
	snprintf(s->person, sizeof(s->person), "%s", p->name);
	k->f->naccept++;	/* freed with the file from here on */
	if ((r = boxes_alloc(k, s, (size_t)j)) != BG_OK)
		return r;
	if ((r = bg_cer_touch(k->c, p, NULL, NULL, &t, &key, &tok)) != BG_OK)
		return r;
	snprintf(s->token, sizeof(s->token), "%s", t.token);
	for (v = 0; v < k->f->nversions && r == BG_OK; v++)
		r = accept_version(k, s, j, v, t.token,
		    bg_token_key_bytes(key));
	if (r == BG_OK)
		r = sign_signed(k, s, 1, key);
	bg_token_key_free(&key);
	return r;
}

/* ================================================================ finish */

/* Version v's group g becomes the new one, with the boxes the file holds. */
static int
apply_version(struct rk *k, size_t v)
{
	struct bg_v2_group *g = &k->it[v]->ver->g[k->g[v]];
	struct bg_v2_member *m;
	const struct bg_rk_box *b;
	size_t i, t;

	if ((m = calloc(k->f->nmembers, sizeof(*m))) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < k->f->nmembers; i++) {
		new_member(k, (int)i, &m[i]);
		for (t = 0; t < m[i].ntokens; t++) {
			int a;

			for (a = 0; a < (int)k->f->naccept; a++)
				if (strcmp(k->f->accept[a].person,
				    m[i].person) == 0)
					break;
			b = find_box(&k->f->accept[a], m[i].person,
			    m[i].token[t], v);
			if ((m[i].box[t] = malloc(b->len)) == NULL)
				goto nomem;
			memcpy(m[i].box[t], b->box, b->len);
		}
	}
	for (i = 0; i < g->n; i++)
		for (t = 0; t < g->m[i].ntokens; t++)
			free(g->m[i].box[t]);
	free(g->m);
	new_group(k, v, g);
	g->m = m;
	g->n = k->f->nmembers;
	return BG_OK;
nomem:
	for (i = 0; i < k->f->nmembers; i++)
		for (t = 0; t < m[i].ntokens; t++)
			free(m[i].box[t]);
	free(m);
	return BG_ENOMEM;
}

static int
finish(struct rk *k, const char *as)
{
	cJSON *d = NULL;
	size_t v;
	int r = BG_OK;

	for (v = 0; v < k->f->nversions && r == BG_OK; v++)
		r = apply_version(k, v);
	if (r == BG_OK && (r = versions_detail(k, &d)) == BG_OK) {
		struct bg_audit_event ev = { "group.rekeyed", as,
		    k->f->account, k->f->id, d };

		r = bg_vault_save(&k->c->st, k->c->v, &ev);
	}
	cJSON_Delete(d);
	if (r != BG_OK)
		return r;
	k->f->closed = k->c->now;
	snprintf(k->f->outcome, sizeof(k->f->outcome), "done");
	return rk_save(k, "rekey.done", as, NULL);
}

/* Everyone has accepted but an error stopped the finish: any member ends it. */
static int
finish_again(struct rk *k, const char *as)
{
	if (rk_open_check(k) != BG_OK || k->f->naccept < k->f->nmembers ||
	    member_index(k->f, as) < 0)
		return 0;
	return 1;
}

/* rekey.accepted for the last acceptance; the rekey applied after all. */
static int
accept_record(struct rk *k, const char *as)
{
	int r;

	if ((r = rk_save(k, "rekey.accepted", as, NULL)) != BG_OK)
		return r;
	fprintf(k->c->out, "%s holds new shares from rekey %s (%zu of %zu "
	    "members)\n", as, k->f->id, k->f->naccept, k->f->nmembers);
	return k->f->naccept == k->f->nmembers ? finish(k, as) : BG_OK;
}

static int
accept_or_finish(struct rk *k, const char *as)
{
	int r;

	if (finish_again(k, as))
		return finish(k, as);
	if ((r = grow_signed(&k->f->accept, k->f->naccept)) != BG_OK ||
	    (r = accept_one(k, as)) != BG_OK)
		return r;
	return accept_record(k, as);
}

static void
rekey_done(struct bg_cer *c, const struct rk *k)
{
	if (k->f->closed != 0)
		fprintf(c->out, "rekey %s done: group %s is %u of %zu at epoch "
		    "%llu\n", k->f->id, k->f->group, k->f->t, k->f->nmembers,
		    (unsigned long long)k->f->versions[0].epoch + 1);
}

int
bg_cer_rekey_accept(struct bg_cer *c, const char *id, const char *as)
{
	struct rk k;
	int r;

	if ((r = rk_load(c, id, &k)) == BG_OK &&
	    (r = accept_or_finish(&k, as)) == BG_OK) {
		rekey_done(c, &k);
	} else if (r != BG_ENOMEM) {
		r = cer_refuse(c, "rekey accept", id, k.f ? k.f->account : "",
		    as, r);
	}
	bg_rkfile_free(&k.f);
	return r;
}

/* ================================================== touched in a client */

static int
rk_refuse(struct bg_cer *c, int accept, const char *id, const struct rk *k,
    const char *as, int r)
{
	if (r == BG_ENOMEM || c->remote)
		return r;
	return cer_refuse(c, accept ? "rekey accept" : "rekey contribute", id,
	    k->f ? k->f->account : "", as, r);
}

/* as may contribute or accept now (a cut-short finish: not here). */
static int
rk_may(struct rk *k, const char *as, int accept)
{
	struct bg_vault_person *p;
	int i;

	if (accept && finish_again(k, as)) {
		bg_set_why("every member has accepted but the rekey was not "
		    "applied: run 'breakglassd --run rekey accept %s --as %s' "
		    "on the service host", k->f->id, as);
		return BG_EPERM;
	}
	return accept ? accept_may(k, as, &p, &i) : contrib_may(k, as, &p, &i);
}

int
bg_cer_rekey_kit(struct bg_cer *c, const char *id, const char *as,
    int accept, cJSON **kit)
{
	struct rk k;
	cJSON *j = NULL;
	int r;

	*kit = NULL;
	if ((r = rk_load(c, id, &k)) == BG_OK &&
	    (r = rk_may(&k, as, accept)) == BG_OK &&
	    (r = bg_cer_kit(c, kit)) == BG_OK &&
	    (r = burned_lists(&k, *kit)) == BG_OK &&
	    (r = bg_rkfile_to_json(k.f, &j)) == BG_OK)
		r = bg_json_add(*kit, "rekey", j);
	if (r != BG_OK) {
		cJSON_Delete(*kit);
		*kit = NULL;
		r = rk_refuse(c, accept, id, &k, as, r);
	}
	bg_rkfile_free(&k.f);
	return r;
}

int
bg_cer_rekey_take(struct bg_cer *c, const cJSON *kit, const char *id,
    const char *as, int accept, cJSON **sub)
{
	struct rk k;
	int r;

	*sub = NULL;
	memset(&k, 0, sizeof(k));
	k.c = c;
	if ((r = rk_parse(c, cJSON_GetObjectItemCaseSensitive(kit, "rekey"),
	    id, &k)) == BG_OK) {
		k.burned = cJSON_GetObjectItemCaseSensitive(kit, "burned");
		if (accept && (r = grow_signed(&k.f->accept, k.f->naccept)) ==
		    BG_OK && (r = accept_one(&k, as)) == BG_OK)
			r = bg_rk_signed_to_json(&k.f->accept[k.f->naccept - 1],
			    sub);
		else if (!accept && (r = grow_signed(&k.f->contrib,
		    k.f->ncontrib)) == BG_OK && (r = contribute(&k, as)) ==
		    BG_OK)
			r = bg_rk_signed_to_json(
			    &k.f->contrib[k.f->ncontrib - 1], sub);
	}
	bg_rkfile_free(&k.f);
	return r;
}

/* The client's signed object, as the person's, checked like the file's. */
static int
take_signed(struct rk *k, const char *as, int accept, const cJSON *sub)
{
	struct bg_rk_signed **arr = accept ? &k->f->accept : &k->f->contrib;
	size_t *n = accept ? &k->f->naccept : &k->f->ncontrib;
	struct bg_rk_signed *s;
	int r;

	if ((r = grow_signed(arr, *n)) != BG_OK)
		return r;
	s = &(*arr)[*n];
	++*n;			/* freed with the file from here on */
	if ((r = bg_rk_signed_from_json(sub, k->f, s)) != BG_OK)
		return r;
	if (strcmp(s->person, as) != 0 || check_signed(k, s, accept) !=
	    BG_OK) {
		bg_set_why("the %s is not %s's, addressed to the recipients "
		    "this rekey names and signed by their token", accept ?
		    "acceptance" : "contribution", as);
		return BG_ETAMPER;
	}
	return BG_OK;
}

int
bg_cer_rekey_submit(struct bg_cer *c, const char *id, const char *as,
    int accept, const cJSON *sub)
{
	struct rk k;
	int r;

	if ((r = rk_load(c, id, &k)) == BG_OK &&
	    (r = rk_may(&k, as, accept)) == BG_OK &&
	    (r = take_signed(&k, as, accept, sub)) == BG_OK) {
		if ((r = accept ? accept_record(&k, as) :
		    contrib_record(&k, as)) == BG_OK)
			rekey_done(c, &k);
	} else {
		r = rk_refuse(c, accept, id, &k, as, r);
	}
	bg_rkfile_free(&k.f);
	return r;
}

/* ================================================================ status */

static int
accepted(const struct rk *k, const char *person)
{
	size_t i;

	for (i = 0; i < k->f->naccept; i++)
		if (strcmp(k->f->accept[i].person, person) == 0)
			return 1;
	return 0;
}

int
bg_cer_rekey_status(struct bg_cer *c, const char *id)
{
	struct rk k;
	size_t i;
	int r;

	if ((r = rk_load(c, id, &k)) != BG_OK) {
		r = cer_refuse(c, "rekey status", id, k.f ? k.f->account : "",
		    "", r);
		bg_rkfile_free(&k.f);
		return r;
	}
	fprintf(c->out, "rekey %s  [%s]\n  account %s, group %s, opened by "
	    "%s; new threshold %u of %zu\n  re-split by:", k.f->id,
	    k.f->closed ? k.f->outcome : "open", k.f->account, k.f->group,
	    k.f->opened_by, k.f->t, k.f->nmembers);
	for (i = 0; i < k.f->nfrom; i++)
		fprintf(c->out, " %s", k.f->from[i]);
	fprintf(c->out, "\n  contributed:");
	for (i = 0; i < k.f->ncontrib; i++)
		fprintf(c->out, " %s", k.f->contrib[i].person);
	fprintf(c->out, " (%zu of %zu)\n  new members:", k.f->ncontrib,
	    k.f->nfrom);
	for (i = 0; i < k.f->nmembers; i++)
		fprintf(c->out, " %s%s", k.f->members[i].person,
		    accepted(&k, k.f->members[i].person) ? " (accepted)" : "");
	fprintf(c->out, "\n");
	for (i = 0; i < k.f->nversions; i++)
		fprintf(c->out, "  %s version %llu: epoch %llu to %llu\n",
		    k.f->versions[i].item,
		    (unsigned long long)k.f->versions[i].version,
		    (unsigned long long)k.f->versions[i].epoch,
		    (unsigned long long)k.f->versions[i].epoch + 1);
	bg_rkfile_free(&k.f);
	return bg_cer_note(c, "rekey.status", "", "", id, NULL);
}
