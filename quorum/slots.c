/*
 * One-time slots (docs/design.md §5.2): an item key K split, for each
 * slot j, into a fresh XOR part per group, each part Shamir-split among
 * the group's members; the commitments that name a bad share, a bad part
 * or a wrong K; and the binary file that carries them per item version.
 *
 * Why slots: an approval reveals one member's share of one slot. Parts of
 * different slots are independent random values, so shares gathered from
 * different requests (each bound to its own slot) never combine to K.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/common.h"
#include "quorum/quorum.h"

/* ---------------------------------------------------------------- labels */

static void
label_put(struct bg_label *l, const void *p, size_t n)
{
	if (l->bad || n > sizeof(l->b) - l->len) {
		l->bad = 1;
		return;
	}
	memcpy(l->b + l->len, p, n);
	l->len += n;
}

void
bg_label_init(struct bg_label *l, const char *tag)
{
	memset(l, 0, sizeof(*l));
	bg_label_str(l, tag);
}

void
bg_label_bin(struct bg_label *l, const void *p, size_t n)
{
	uint8_t len[2] = { (uint8_t)(n >> 8), (uint8_t)n };

	if (n > 0xffff || (p == NULL && n != 0)) {
		l->bad = 1;
		return;
	}
	label_put(l, len, 2);
	label_put(l, p, n);
}

void
bg_label_str(struct bg_label *l, const char *s)
{
	if (s == NULL) {
		l->bad = 1;
		return;
	}
	bg_label_bin(l, s, strlen(s));
}

void
bg_label_u64(struct bg_label *l, uint64_t v)
{
	uint8_t b[8];
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
	label_put(l, b, 8);
}

int
bg_label_ok(const struct bg_label *l)
{
	return l != NULL && !l->bad ? BG_OK : BG_ETOOBIG;
}

/* ----------------------------------------------------------------- split */

static int
groups_ok(const struct bg_slot_group *g, size_t ngroups, size_t nslots)
{
	size_t i;

	if (g == NULL || ngroups == 0 || ngroups > BG_SLOT_GROUPS_MAX ||
	    nslots == 0 || nslots > BG_SLOTS_MAX)
		return 0;
	for (i = 0; i < ngroups; i++)
		if (g[i].t < 1 || g[i].t > g[i].n || g[i].n > BG_SHAMIR_MAX)
			return 0;
	return 1;
}

/* Fresh parts of one slot: random for all groups but the last, which
 * takes K xor the others. */
static int
slot_parts(const uint8_t key[BG_SLOT_KEY_LEN], size_t ngroups, uint8_t *parts,
    size_t stride)
{
	uint8_t *last = parts + (ngroups - 1) * stride;
	size_t g, b;

	memcpy(last, key, BG_SLOT_KEY_LEN);
	for (g = 0; g + 1 < ngroups; g++) {
		uint8_t *a = parts + g * stride;
		if (RAND_priv_bytes(a, BG_SLOT_KEY_LEN) != 1)
			return BG_ECRYPTO;
		for (b = 0; b < BG_SLOT_KEY_LEN; b++)
			last[b] ^= a[b];
	}
	return BG_OK;
}

/* Shamir-splits part (slot j of group g) into the members' vectors. */
static int
split_part(const uint8_t *part, const struct bg_slot_group *g, size_t nslots,
    size_t j, uint8_t *shares, uint8_t *tmp)
{
	unsigned x;
	int r;

	if ((r = bg_shamir_split(part, BG_SLOT_KEY_LEN, g->t, g->n, tmp)) !=
	    BG_OK)
		return r;
	for (x = 0; x < g->n; x++)
		memcpy(bg_slot_share_at(shares, nslots, (uint8_t)(x + 1), j),
		    tmp + (size_t)x * BG_SLOT_KEY_LEN, BG_SLOT_KEY_LEN);
	return BG_OK;
}

uint8_t *
bg_slot_share_at(uint8_t *shares, size_t nslots, uint8_t x, size_t j)
{
	return shares + (((size_t)x - 1) * nslots + j) * BG_SLOT_KEY_LEN;
}

int
bg_slots_split(const uint8_t key[BG_SLOT_KEY_LEN],
    const struct bg_slot_group *groups, size_t ngroups, size_t nslots,
    uint8_t *const *shares, uint8_t *parts)
{
	size_t tmplen = (size_t)BG_SHAMIR_MAX * BG_SLOT_KEY_LEN, j, g;
	uint8_t *tmp, *own = NULL;
	int r = BG_OK;

	if (key == NULL || shares == NULL)
		return BG_EINVAL;
	if (!groups_ok(groups, ngroups, nslots))
		return BG_ERANGE;
	if (parts == NULL && (parts = own = bg_secure_alloc(ngroups * nslots *
	    BG_SLOT_KEY_LEN)) == NULL)
		return BG_ENOMEM;
	if ((tmp = bg_secure_alloc(tmplen)) == NULL) {
		bg_secure_free(&own, ngroups * nslots * BG_SLOT_KEY_LEN);
		return BG_ENOMEM;
	}
	for (j = 0; j < nslots && r == BG_OK; j++) {
		r = slot_parts(key, ngroups, bg_slot_part_at(parts, nslots, 0, j),
		    nslots * BG_SLOT_KEY_LEN);
		for (g = 0; g < ngroups && r == BG_OK; g++)
			r = split_part(bg_slot_part_at(parts, nslots, g, j),
			    &groups[g], nslots, j, shares[g], tmp);
	}
	bg_secure_free(&tmp, tmplen);
	bg_secure_free(&own, ngroups * nslots * BG_SLOT_KEY_LEN);
	return r;
}

uint8_t *
bg_slot_part_at(uint8_t *parts, size_t nslots, size_t g, size_t j)
{
	return parts + (g * nslots + j) * BG_SLOT_KEY_LEN;
}

void
bg_slots_join(const uint8_t *const *parts, size_t nparts,
    uint8_t key[BG_SLOT_KEY_LEN])
{
	size_t g, b;

	memset(key, 0, BG_SLOT_KEY_LEN);
	for (g = 0; g < nparts; g++)
		for (b = 0; b < BG_SLOT_KEY_LEN; b++)
			key[b] ^= parts[g][b];
}

/* ----------------------------------------------------------- commitments */

/*
 * SHA-256(tag || NUL || len16(label) || label || fields || value): the
 * label names the item version (docs/design.md §5.2), the fields the slot,
 * group and x.
 */
static int
commit(const char *tag, const struct bg_label *version, const uint8_t *fields,
    size_t nfields, const uint8_t *value, uint8_t out[BG_COMMIT_LEN])
{
	uint8_t len[2];
	EVP_MD_CTX *ctx;
	int ok;

	if (version == NULL || value == NULL || out == NULL ||
	    bg_label_ok(version) != BG_OK)
		return BG_EINVAL;
	len[0] = (uint8_t)(version->len >> 8);
	len[1] = (uint8_t)version->len;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return BG_ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, tag, strlen(tag) + 1) == 1 &&
	    EVP_DigestUpdate(ctx, len, 2) == 1 &&
	    EVP_DigestUpdate(ctx, version->b, version->len) == 1 &&
	    EVP_DigestUpdate(ctx, fields, nfields) == 1 &&
	    EVP_DigestUpdate(ctx, value, BG_SLOT_KEY_LEN) == 1 &&
	    EVP_DigestFinal_ex(ctx, out, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? BG_OK : BG_ECRYPTO;
}

static size_t
slot_fields(uint8_t f[7], uint32_t slot, uint8_t group, uint8_t x)
{
	f[0] = (uint8_t)(slot >> 24);
	f[1] = (uint8_t)(slot >> 16);
	f[2] = (uint8_t)(slot >> 8);
	f[3] = (uint8_t)slot;
	f[4] = group;
	f[5] = x;
	return 6;
}

int
bg_slot_key_commit(const struct bg_label *version,
    const uint8_t key[BG_SLOT_KEY_LEN], uint8_t out[BG_COMMIT_LEN])
{
	return commit("breakglass/v2/key-commitment", version, NULL, 0, key,
	    out);
}

int
bg_slot_part_commit(const struct bg_label *version, uint32_t slot,
    uint8_t group, const uint8_t part[BG_SLOT_KEY_LEN],
    uint8_t out[BG_COMMIT_LEN])
{
	uint8_t f[7];

	return commit("breakglass/v2/part-commitment", version, f,
	    slot_fields(f, slot, group, 0), part, out);
}

int
bg_slot_share_commit(const struct bg_label *version, uint32_t slot,
    uint8_t group, uint8_t x, const uint8_t share[BG_SLOT_KEY_LEN],
    uint8_t out[BG_COMMIT_LEN])
{
	uint8_t f[7];

	if (x == 0)
		return BG_EINVAL;
	return commit("breakglass/v2/share-commitment", version, f,
	    slot_fields(f, slot, group, x), share, out);
}

/* ---------------------------------------------------------- box labels */

/* The fields every label of an item version starts with. */
static void
version_fields(struct bg_label *l, const struct bg_slot_box_id *id)
{
	bg_label_bin(l, id->vault, id->vault_len);
	bg_label_str(l, id->account);
	bg_label_str(l, id->item);
	bg_label_u64(l, id->version);
	bg_label_u64(l, id->epoch);
}

int
bg_slot_version_label(const struct bg_slot_box_id *id, struct bg_label *l)
{
	if (id == NULL || l == NULL || id->vault == NULL)
		return BG_EINVAL;
	bg_label_init(l, "breakglass/v2/version");
	version_fields(l, id);
	return bg_label_ok(l);
}

/* The member fields: group, x, person, token. */
static void
member_fields(struct bg_label *l, const struct bg_slot_box_id *id)
{
	uint8_t x = id->x;

	bg_label_str(l, id->group);
	bg_label_bin(l, &x, 1);
	bg_label_str(l, id->person);
	bg_label_str(l, id->token);
}

int
bg_slot_box_label(const struct bg_slot_box_id *id, struct bg_label *l)
{
	if (id == NULL || l == NULL || id->vault == NULL || id->x == 0)
		return BG_EINVAL;
	bg_label_init(l, "breakglass/v2/member-box");
	version_fields(l, id);
	member_fields(l, id);
	bg_label_u64(l, id->nslots);
	return bg_label_ok(l);
}

int
bg_slot_approval_label(const struct bg_slot_box_id *id,
    const uint8_t rqhash[32], uint32_t slot, struct bg_label *l)
{
	if (id == NULL || l == NULL || id->vault == NULL || id->x == 0 ||
	    rqhash == NULL)
		return BG_EINVAL;
	bg_label_init(l, "breakglass/v2/approval-box");
	bg_label_bin(l, rqhash, 32);
	version_fields(l, id);
	bg_label_u64(l, slot);
	member_fields(l, id);
	return bg_label_ok(l);
}
