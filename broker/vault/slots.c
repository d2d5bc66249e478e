/*
 * v2 item versions (vault.h, docs/design.md §5.2): an item's value sealed
 * under a fresh key K, K split into one-time slots among the members of
 * the groups the item needs, one box per (member, token) holding that
 * member's shares of every slot, and the commitments file whose root the
 * sealer signs; opening a box, checking shares and parts, opening the
 * value; and what a rekey needs (a whole box, a new member's box).
 *
 * Every label is built from the version record, never read from a box's
 * own bytes; the record is accepted only when it is the version the caller
 * expects (the signed request's coordinates) with the commitments root the
 * sealer signed (bg_v2_expect).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "broker/vault/vault.h"

#define NONCE_LEN 12
#define TAG_LEN 16

/* ============================================================ labels */

static void
version_id(const struct bg_vault *v, const struct bg_v2_version *ver,
    struct bg_slot_box_id *id)
{
	memset(id, 0, sizeof(*id));
	id->vault = v->id;
	id->vault_len = sizeof(v->id);
	id->account = ver->account;
	id->item = ver->item;
	id->version = ver->version;
	id->nslots = ver->nslots;
}

static int
version_label(const struct bg_vault *v, const struct bg_v2_version *ver,
    struct bg_label *l)
{
	struct bg_slot_box_id id;

	version_id(v, ver, &id);
	id.epoch = ver->epoch;
	return bg_slot_version_label(&id, l);
}

static int
member_label(const struct bg_vault *v, const struct bg_v2_version *ver,
    const struct bg_v2_group *g, const struct bg_v2_member *m, size_t tok,
    struct bg_label *l)
{
	struct bg_slot_box_id id;

	version_id(v, ver, &id);
	id.epoch = g->epoch;
	id.group = g->name;
	id.x = m->x;
	id.person = m->person;
	id.token = m->token[tok];
	return bg_slot_box_label(&id, l);
}

/* ============================================================= freeing */

void
bg_v2_version_free(struct bg_v2_version **verp)
{
	struct bg_v2_version *ver;
	size_t g, m, t;

	if (verp == NULL || (ver = *verp) == NULL)
		return;
	for (g = 0; g < ver->ng; g++) {
		for (m = 0; ver->g[g].m != NULL && m < ver->g[g].n; m++)
			for (t = 0; t < ver->g[g].m[m].ntokens; t++)
				free(ver->g[g].m[m].box[t]);
		free(ver->g[g].m);
	}
	free(ver->data);
	free(ver->commitments);
	free(ver);
	*verp = NULL;
}

/* ========================================================== membership */

/* Group name's members, x = 1..n in policy order, with their tokens. */
static int
take_group(const struct bg_vault *v, const char *name, struct bg_v2_group *g)
{
	const struct bg_vault_person *p;
	size_t gi, i, t;

	for (gi = 0; gi < bg_policy_ngroups(v->policy); gi++)
		if (strcmp(bg_policy_group_name(v->policy, gi), name) == 0)
			break;
	if (gi == bg_policy_ngroups(v->policy))
		return BG_ENOENT;
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->t = bg_policy_group_threshold(v->policy, gi);
	g->n = bg_policy_group_nmembers(v->policy, gi);
	if (g->t < 2 || g->n < g->t || g->n > BG_SHAMIR_MAX) {
		bg_set_why("group %s: threshold %u of %zu members is below the "
		    "floor or cannot be met", name, g->t, g->n);
		return BG_EPERM;
	}
	if ((g->m = calloc(g->n, sizeof(*g->m))) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < g->n; i++) {
		struct bg_v2_member *m = &g->m[i];

		p = bg_vault_person(v, bg_policy_group_member(v->policy, gi, i));
		if (p == NULL || p->ntokens == 0) {
			bg_set_why("%s (group %s) has no token enrolled",
			    bg_policy_group_member(v->policy, gi, i), name);
			return BG_EPERM;
		}
		snprintf(m->person, sizeof(m->person), "%s", p->name);
		m->x = (uint8_t)(i + 1);
		m->ntokens = p->ntokens;
		for (t = 0; t < p->ntokens; t++)
			snprintf(m->token[t], sizeof(m->token[t]), "%s",
			    bg_token_desc_id(p->tokens[t]));
	}
	return BG_OK;
}

/* The version record without its boxes: coordinates and membership. */
static int
new_version(const struct bg_vault *v, const struct bg_vault_account *a,
    const char *item, uint64_t version, uint32_t nslots,
    struct bg_v2_version **out)
{
	const char *groups[BG_SLOT_GROUPS_MAX];
	struct bg_v2_version *ver;
	size_t n = 0, g;
	int r;

	if ((r = bg_policy_groups_for_items(v->policy, &item, 1, groups,
	    BG_SLOT_GROUPS_MAX, &n)) != BG_OK)
		return r;
	if ((ver = calloc(1, sizeof(*ver))) == NULL)
		return BG_ENOMEM;
	snprintf(ver->account, sizeof(ver->account), "%s", a->id);
	snprintf(ver->item, sizeof(ver->item), "%s", item);
	ver->version = version;
	ver->epoch = 1;
	ver->nslots = nslots;
	for (g = 0, r = BG_OK; g < n && r == BG_OK; g++, ver->ng++) {
		ver->g[g].epoch = ver->epoch;
		r = take_group(v, groups[g], &ver->g[g]);
	}
	if (r != BG_OK)
		bg_v2_version_free(&ver);
	*out = ver;
	return r;
}

/* ============================================================= sealing */

/* The value under K: nonce || AES-256-GCM(K, aad = version label) || tag. */
static int
seal_value(struct bg_v2_version *ver, const struct bg_label *l,
    const uint8_t *key, const uint8_t *value, size_t len)
{
	ver->data_len = NONCE_LEN + len + TAG_LEN;
	if ((ver->data = malloc(ver->data_len)) == NULL)
		return BG_ENOMEM;
	if (RAND_bytes(ver->data, NONCE_LEN) != 1)
		return BG_ECRYPTO;
	return bg_aes256gcm_seal(key, ver->data, l->b, l->len, value, len,
	    ver->data + NONCE_LEN, ver->data + NONCE_LEN + len);
}

int
bg_v2_seal_member(const struct bg_vault *v, const struct bg_v2_version *ver,
    const struct bg_v2_group *g, struct bg_v2_member *m,
    const uint8_t *vector)
{
	const struct bg_vault_person *p = bg_vault_person(v, m->person);
	size_t vlen = (size_t)ver->nslots * BG_SLOT_KEY_LEN, t, n;
	struct bg_label l;
	int r;

	if (p == NULL)
		return BG_ENOENT;
	for (t = 0; t < m->ntokens; t++) {
		if ((r = member_label(v, ver, g, m, t, &l)) != BG_OK)
			return r;
		if (bg_vault_person_token(p, m->token[t]) != (int)t)
			return BG_EINVAL;	/* the person's tokens, in order */
		if ((m->box[t] = malloc(BG_V2_BOX_LEN(ver->nslots))) == NULL)
			return BG_ENOMEM;
		if ((r = bg_box_seal(bg_token_desc_public(p->tokens[t]),
		    "member-box", l.b, l.len, vector, vlen, m->box[t],
		    BG_V2_BOX_LEN(ver->nslots), &n)) != BG_OK)
			return r;
	}
	return BG_OK;
}

/* Splits key into slots, seals the boxes, makes the commitments file. */
static int
split_and_seal(const struct bg_vault *v, struct bg_v2_version *ver,
    const struct bg_label *l, const uint8_t *key, uint8_t **shares,
    uint8_t *parts)
{
	struct bg_slot_group sg[BG_SLOT_GROUPS_MAX];
	bg_commitments_t *c = NULL;
	size_t g, m;
	int r;

	for (g = 0; g < ver->ng; g++) {
		sg[g].t = ver->g[g].t;
		sg[g].n = (unsigned)ver->g[g].n;
	}
	if ((r = bg_slots_split(key, sg, ver->ng, ver->nslots, shares,
	    parts)) != BG_OK ||
	    (r = bg_commitments_make(l, key, sg, ver->ng, ver->nslots,
	    (const uint8_t *const *)shares, parts, &c)) != BG_OK ||
	    (r = bg_commitments_encode(c, &ver->commitments,
	    &ver->commitments_len)) != BG_OK ||
	    (r = bg_commitments_root(ver->commitments, ver->commitments_len,
	    ver->root)) != BG_OK)
		goto out;
	for (g = 0; g < ver->ng && r == BG_OK; g++)
		for (m = 0; m < ver->g[g].n && r == BG_OK; m++)
			r = bg_v2_seal_member(v, ver, &ver->g[g], &ver->g[g].m[m],
			    bg_slot_share_at(shares[g], ver->nslots,
			    ver->g[g].m[m].x, 0));
out:
	bg_commitments_free(&c);
	return r;
}

/* Locked buffers for the split: shares per group, parts, and K. */
struct secrets {
	uint8_t *shares[BG_SLOT_GROUPS_MAX];
	size_t share_len[BG_SLOT_GROUPS_MAX];
	uint8_t *parts, *key;
	size_t parts_len;
};

static void
secrets_free(struct secrets *s, size_t ng)
{
	size_t g;

	for (g = 0; g < ng; g++)
		bg_secure_free(&s->shares[g], s->share_len[g]);
	bg_secure_free(&s->parts, s->parts_len);
	bg_secure_free(&s->key, BG_SLOT_KEY_LEN);
}

static int
secrets_alloc(struct secrets *s, const struct bg_v2_version *ver)
{
	size_t g;

	memset(s, 0, sizeof(*s));
	for (g = 0; g < ver->ng; g++) {
		s->share_len[g] = ver->g[g].n * ver->nslots * BG_SLOT_KEY_LEN;
		if ((s->shares[g] = bg_secure_alloc(s->share_len[g])) == NULL)
			return BG_ENOMEM;
	}
	s->parts_len = ver->ng * ver->nslots * BG_SLOT_KEY_LEN;
	if ((s->parts = bg_secure_alloc(s->parts_len)) == NULL ||
	    (s->key = bg_secure_alloc(BG_SLOT_KEY_LEN)) == NULL)
		return BG_ENOMEM;
	return RAND_priv_bytes(s->key, BG_SLOT_KEY_LEN) == 1 ? BG_OK :
	    BG_ECRYPTO;
}

int
bg_v2_seal(const struct bg_vault *v, const struct bg_vault_account *a,
    const char *item, uint64_t version, uint32_t nslots,
    const uint8_t *value, size_t len, struct bg_v2_version **out)
{
	struct bg_v2_version *ver = NULL;
	struct secrets s;
	struct bg_label l;
	int r;

	bg_clear_why();
	if (v == NULL || a == NULL || item == NULL || value == NULL ||
	    out == NULL || version == 0 || len > BG_VAULT_ITEM_MAX)
		return BG_EINVAL;
	*out = NULL;
	if (nslots == 0 || nslots > BG_SLOTS_MAX)
		return BG_ERANGE;
	if ((r = new_version(v, a, item, version, nslots, &ver)) != BG_OK)
		return r;
	memset(&s, 0, sizeof(s));
	if ((r = version_label(v, ver, &l)) == BG_OK &&
	    (r = secrets_alloc(&s, ver)) == BG_OK &&
	    (r = seal_value(ver, &l, s.key, value, len)) == BG_OK)
		r = split_and_seal(v, ver, &l, s.key, s.shares, s.parts);
	secrets_free(&s, ver->ng);
	if (r != BG_OK)
		bg_v2_version_free(&ver);
	*out = ver;
	return r;
}

/* ============================================================= opening */

/*
 * The record is what the caller trusts: the coordinates the signed request
 * names and the commitments root the sealer signed. A record planted from
 * another version, or with other commitments, is refused.
 */
static int
expected(const struct bg_v2_version *ver, const struct bg_v2_expect *want)
{
	uint8_t root[32];

	if (want == NULL || want->account == NULL || want->item == NULL ||
	    want->root == NULL)
		return BG_EINVAL;
	if (strcmp(ver->account, want->account) != 0 ||
	    strcmp(ver->item, want->item) != 0 ||
	    ver->version != want->version) {
		bg_set_why("the version record is not %s/%s version %llu",
		    want->account, want->item,
		    (unsigned long long)want->version);
		return BG_ETAMPER;
	}
	if (bg_commitments_root(ver->commitments, ver->commitments_len,
	    root) != BG_OK || bg_ct_memcmp(root, want->root, 32) != 0) {
		bg_set_why("the commitments are not the ones the sealer "
		    "signed");
		return BG_ETAMPER;
	}
	return BG_OK;
}

int
bg_v2_open_box(const struct bg_vault *v, const struct bg_v2_version *ver,
    const struct bg_v2_expect *want, size_t g, uint8_t x, size_t tok,
    const uint8_t tokpriv[32], uint8_t *vec)
{
	const struct bg_v2_member *m;
	size_t vlen, n;
	struct bg_label l;
	int r;

	if (v == NULL || ver == NULL || tokpriv == NULL || vec == NULL ||
	    g >= ver->ng || x == 0 || x > ver->g[g].n)
		return BG_EINVAL;
	m = &ver->g[g].m[x - 1];
	if (tok >= m->ntokens)
		return BG_EINVAL;
	if (m->x != x) {
		bg_set_why("the version record's members are out of order");
		return BG_ETAMPER;
	}
	if ((r = expected(ver, want)) != BG_OK)
		return r;
	vlen = (size_t)ver->nslots * BG_SLOT_KEY_LEN;
	if ((r = member_label(v, ver, &ver->g[g], m, tok, &l)) == BG_OK &&
	    (r = bg_box_open(tokpriv, "member-box", l.b, l.len, m->box[tok],
	    BG_V2_BOX_LEN(ver->nslots), vec, vlen, &n)) == BG_ECRYPTO) {
		bg_set_why("%s's box of %s version %llu does not open with the "
		    "token it is recorded for (moved, swapped or edited)",
		    m->person, ver->item, (unsigned long long)ver->version);
		r = BG_ETAMPER;
	}
	if (r != BG_OK)
		bg_wipe(vec, vlen);
	return r;
}

/*
 * A share checked against the sealer's commitment; a reshared group's
 * (epoch above the version's) has none: the part commitment checks it.
 */
static int
check_share(const bg_commitments_t *c, const struct bg_label *vl,
    const struct bg_v2_version *ver, size_t g, uint8_t x, uint32_t slot,
    const uint8_t *share)
{
	if (ver->g[g].epoch != ver->epoch)
		return BG_OK;
	return bg_commitments_check_share(c, vl, g, x, slot, share);
}

int
bg_v2_take_share(const struct bg_vault *v, const struct bg_v2_version *ver,
    const struct bg_v2_expect *want, size_t g, uint8_t x, size_t tok,
    const uint8_t tokpriv[32], uint32_t slot, uint8_t share[BG_SLOT_KEY_LEN])
{
	bg_commitments_t *c = NULL;
	struct bg_label vl;
	size_t vlen;
	uint8_t *vec;
	int r;

	if (ver == NULL || share == NULL || slot >= ver->nslots)
		return BG_EINVAL;
	vlen = (size_t)ver->nslots * BG_SLOT_KEY_LEN;
	if ((vec = bg_secure_alloc(vlen)) == NULL)
		return BG_ENOMEM;
	if ((r = bg_v2_open_box(v, ver, want, g, x, tok, tokpriv,
	    vec)) == BG_OK &&
	    (r = bg_commitments_decode(ver->commitments, ver->commitments_len,
	    &c)) == BG_OK && (r = version_label(v, ver, &vl)) == BG_OK) {
		/* the box holds this member's vector only: slot j at j */
		memcpy(share, vec + (size_t)slot * BG_SLOT_KEY_LEN,
		    BG_SLOT_KEY_LEN);
		r = check_share(c, &vl, ver, g, x, slot, share);
	}
	if (r != BG_OK)
		bg_wipe(share, BG_SLOT_KEY_LEN);
	bg_commitments_free(&c);
	bg_secure_free(&vec, vlen);
	return r;
}

/* Group g's part of slot from its shares, each and the part checked. */
static int
join_group(const bg_commitments_t *c, const struct bg_label *l,
    const struct bg_v2_version *ver, size_t g, uint32_t slot,
    const struct bg_v2_shares *s, uint8_t part[BG_SLOT_KEY_LEN])
{
	unsigned i;
	int r;

	if (s->k < ver->g[g].t) {
		bg_set_why("group %s: %u of %u shares", ver->g[g].name, s->k,
		    ver->g[g].t);
		return BG_EPERM;
	}
	for (i = 0; i < s->k; i++)
		if ((r = check_share(c, l, ver, g, s->xs[i], slot,
		    s->ys[i])) != BG_OK) {
			bg_set_why("group %s: the share of x=%u is not the one "
			    "committed", ver->g[g].name, s->xs[i]);
			return r;
		}
	if ((r = bg_shamir_combine(s->xs, s->ys, s->k, BG_SLOT_KEY_LEN,
	    part)) != BG_OK)
		return r;
	if ((r = bg_commitments_check_part(c, l, g, slot, part)) ==
	    BG_ETAMPER && ver->g[g].epoch != ver->epoch)
		bg_set_why("group %s: its part of slot %u is not the one the "
		    "sealer committed; the group was re-split (epoch %llu, "
		    "group.rekeyed names the rekey): a holder of that rekey "
		    "re-split wrong shares, or one of these shares is bad",
		    ver->g[g].name, slot,
		    (unsigned long long)ver->g[g].epoch);
	return r;
}

/* K from every group's part of slot, checked against its commitment. */
static int
join_key(const bg_commitments_t *c, const struct bg_label *l,
    const struct bg_v2_version *ver, uint32_t slot,
    const struct bg_v2_shares *per_group, uint8_t *parts, uint8_t *key)
{
	const uint8_t *p[BG_SLOT_GROUPS_MAX];
	size_t g;
	int r;

	for (g = 0; g < ver->ng; g++) {
		p[g] = parts + g * BG_SLOT_KEY_LEN;
		if ((r = join_group(c, l, ver, g, slot, &per_group[g],
		    parts + g * BG_SLOT_KEY_LEN)) != BG_OK)
			return r;
	}
	bg_slots_join(p, ver->ng, key);
	return bg_commitments_check_key(c, l, key);
}

int
bg_v2_open(const struct bg_vault *v, const struct bg_v2_version *ver,
    const struct bg_v2_expect *want, uint32_t slot,
    const struct bg_v2_shares *per_group, uint8_t **out, size_t *outlen)
{
	bg_commitments_t *c = NULL;
	uint8_t *parts = NULL, *key = NULL;
	size_t plen, len;
	struct bg_label l;
	int r;

	if (v == NULL || ver == NULL || per_group == NULL || out == NULL ||
	    outlen == NULL || slot >= ver->nslots ||
	    ver->data_len < NONCE_LEN + TAG_LEN)
		return BG_EINVAL;
	*out = NULL;
	if ((r = expected(ver, want)) != BG_OK)
		return r;
	plen = ver->ng * BG_SLOT_KEY_LEN;
	len = ver->data_len - NONCE_LEN - TAG_LEN;
	r = BG_ENOMEM;
	if ((parts = bg_secure_alloc(plen)) == NULL ||
	    (key = bg_secure_alloc(BG_SLOT_KEY_LEN)) == NULL ||
	    (*out = bg_secure_alloc(len + 1)) == NULL)
		goto out;
	if ((r = version_label(v, ver, &l)) != BG_OK ||
	    (r = bg_commitments_decode(ver->commitments, ver->commitments_len,
	    &c)) != BG_OK ||
	    (r = join_key(c, &l, ver, slot, per_group, parts, key)) != BG_OK)
		goto out;
	r = bg_aes256gcm_open(key, ver->data, l.b, l.len,
	    ver->data + NONCE_LEN, len, ver->data + NONCE_LEN + len, *out);
	(*out)[len] = '\0';
	*outlen = len;
out:
	if (r != BG_OK)
		bg_secure_free(out, len + 1);
	bg_commitments_free(&c);
	bg_secure_free(&parts, plen);
	bg_secure_free(&key, BG_SLOT_KEY_LEN);
	return r;
}


int
bg_v2_check_share(const struct bg_vault *v, const struct bg_v2_version *ver,
    size_t g, uint8_t x, uint32_t slot, const uint8_t share[BG_SLOT_KEY_LEN])
{
	bg_commitments_t *c = NULL;
	struct bg_label l;
	int r;

	if (v == NULL || ver == NULL || g >= ver->ng || slot >= ver->nslots)
		return BG_EINVAL;
	if ((r = version_label(v, ver, &l)) == BG_OK &&
	    (r = bg_commitments_decode(ver->commitments, ver->commitments_len,
	    &c)) == BG_OK)
		r = check_share(c, &l, ver, g, x, slot, share);
	bg_commitments_free(&c);
	return r;
}
