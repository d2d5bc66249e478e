/*
 * The commitments of one item version (docs/design.md §5.2), in one binary
 * file the sealer signs by its root:
 *
 *   "breakglass-commitments-v2\n"       26 bytes
 *   nslots                              u32, big-endian, 1..BG_SLOTS_MAX
 *   ngroups                             u8, 1..BG_SLOT_GROUPS_MAX
 *   per group: t, n                     u8 each, 1 <= t <= n
 *   key commitment                      32
 *   part commitments [group][slot]      32 each
 *   share commitments [group][x][slot]  32 each, x = 1..n
 *
 * Exactly that many bytes: nothing before, nothing after. The root is
 * SHA-256("breakglass/v2/commitments-root" || NUL || file).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/common.h"
#include "quorum/quorum.h"

#define MAGIC "breakglass-commitments-v2\n"
#define MAGIC_LEN (sizeof(MAGIC) - 1)

struct bg_commitments {
	uint32_t nslots;
	size_t ngroups;
	struct bg_slot_group groups[BG_SLOT_GROUPS_MAX];
	uint8_t key[BG_COMMIT_LEN];
	uint8_t *parts;		/* [g][j] */
	size_t nparts;
	uint8_t *shares;	/* [g][x-1][j] */
	size_t nshares;
	size_t share_off[BG_SLOT_GROUPS_MAX];	/* first of group g */
};

void
bg_commitments_free(bg_commitments_t **cp)
{
	bg_commitments_t *c;

	if (cp == NULL || (c = *cp) == NULL)
		return;
	free(c->parts);
	free(c->shares);
	free(c);
	*cp = NULL;
}

/* A zeroed set for these groups, sizes checked (BG_ERANGE, BG_ETOOBIG). */
static int
alloc_set(const struct bg_slot_group *g, size_t ngroups, uint32_t nslots,
    bg_commitments_t **out)
{
	bg_commitments_t *c;
	size_t i, members = 0;

	*out = NULL;
	if (ngroups == 0 || ngroups > BG_SLOT_GROUPS_MAX || nslots == 0 ||
	    nslots > BG_SLOTS_MAX)
		return BG_ERANGE;
	for (i = 0; i < ngroups; i++) {
		if (g[i].t < 1 || g[i].t > g[i].n || g[i].n > BG_SHAMIR_MAX)
			return BG_ERANGE;
		members += g[i].n;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return BG_ENOMEM;
	c->nslots = nslots;
	c->ngroups = ngroups;
	c->nparts = ngroups * nslots;
	c->nshares = members * nslots;
	for (i = 0, members = 0; i < ngroups; members += g[i].n, i++) {
		c->groups[i] = g[i];
		c->share_off[i] = members * nslots;
	}
	c->parts = calloc(c->nparts, BG_COMMIT_LEN);
	c->shares = calloc(c->nshares, BG_COMMIT_LEN);
	if (c->parts == NULL || c->shares == NULL) {
		bg_commitments_free(&c);
		return BG_ENOMEM;
	}
	*out = c;
	return BG_OK;
}

static uint8_t *
share_slot(const bg_commitments_t *c, size_t g, uint8_t x, uint32_t j)
{
	return c->shares + (c->share_off[g] + ((size_t)x - 1) * c->nslots + j) *
	    BG_COMMIT_LEN;
}

static uint8_t *
part_slot(const bg_commitments_t *c, size_t g, uint32_t j)
{
	return c->parts + (g * c->nslots + j) * BG_COMMIT_LEN;
}

/* Commits every share of group g (its members' vectors in shares). */
static int
commit_group(bg_commitments_t *c, const struct bg_label *version, size_t g,
    const uint8_t *shares)
{
	uint32_t j;
	unsigned x;
	int r = BG_OK;

	for (x = 1; x <= c->groups[g].n && r == BG_OK; x++)
		for (j = 0; j < c->nslots && r == BG_OK; j++)
			r = bg_slot_share_commit(version, j, (uint8_t)g,
			    (uint8_t)x, shares + (((size_t)x - 1) * c->nslots +
			    j) * BG_SLOT_KEY_LEN, share_slot(c, g, (uint8_t)x, j));
	return r;
}

int
bg_commitments_make(const struct bg_label *version,
    const uint8_t key[BG_SLOT_KEY_LEN], const struct bg_slot_group *groups,
    size_t ngroups, uint32_t nslots, const uint8_t *const *shares,
    const uint8_t *parts, bg_commitments_t **out)
{
	bg_commitments_t *c = NULL;
	size_t g;
	uint32_t j;
	int r;

	if (out == NULL || version == NULL || key == NULL || groups == NULL ||
	    shares == NULL || parts == NULL)
		return BG_EINVAL;
	*out = NULL;
	if ((r = alloc_set(groups, ngroups, nslots, &c)) != BG_OK)
		return r;
	r = bg_slot_key_commit(version, key, c->key);
	for (g = 0; g < ngroups && r == BG_OK; g++) {
		for (j = 0; j < nslots && r == BG_OK; j++)
			r = bg_slot_part_commit(version, j, (uint8_t)g,
			    parts + (g * nslots + j) * BG_SLOT_KEY_LEN,
			    part_slot(c, g, j));
		if (r == BG_OK)
			r = commit_group(c, version, g, shares[g]);
	}
	if (r != BG_OK)
		bg_commitments_free(&c);
	*out = c;
	return r;
}

/* The file's length for ngroups groups of members members in all. */
static size_t
file_len(size_t ngroups, size_t members, uint32_t nslots)
{
	return MAGIC_LEN + 4 + 1 + 2 * ngroups + BG_COMMIT_LEN +
	    (ngroups + members) * nslots * BG_COMMIT_LEN;
}

static size_t
encoded_len(const bg_commitments_t *c)
{
	return file_len(c->ngroups, c->nshares / c->nslots, c->nslots);
}

int
bg_commitments_encode(const bg_commitments_t *c, uint8_t **buf, size_t *len)
{
	uint8_t *p;
	size_t g;

	if (c == NULL || buf == NULL || len == NULL)
		return BG_EINVAL;
	*len = encoded_len(c);
	if (*len > BG_COMMITMENTS_MAX) {	/* decode would refuse it */
		bg_set_why("commitments: %zu bytes, above %u: fewer slots or "
		    "members", *len, (unsigned)BG_COMMITMENTS_MAX);
		return BG_ETOOBIG;
	}
	if ((*buf = p = malloc(*len)) == NULL)
		return BG_ENOMEM;
	memcpy(p, MAGIC, MAGIC_LEN);
	p += MAGIC_LEN;
	*p++ = (uint8_t)(c->nslots >> 24);
	*p++ = (uint8_t)(c->nslots >> 16);
	*p++ = (uint8_t)(c->nslots >> 8);
	*p++ = (uint8_t)c->nslots;
	*p++ = (uint8_t)c->ngroups;
	for (g = 0; g < c->ngroups; g++) {
		*p++ = (uint8_t)c->groups[g].t;
		*p++ = (uint8_t)c->groups[g].n;
	}
	memcpy(p, c->key, BG_COMMIT_LEN);
	p += BG_COMMIT_LEN;
	memcpy(p, c->parts, c->nparts * BG_COMMIT_LEN);
	p += c->nparts * BG_COMMIT_LEN;
	memcpy(p, c->shares, c->nshares * BG_COMMIT_LEN);
	return BG_OK;
}

/* The header: magic, nslots, groups. *hdr gets its length. */
static int
decode_header(const uint8_t *buf, size_t len, struct bg_slot_group *g,
    size_t *ngroups, uint32_t *nslots, size_t *hdr)
{
	size_t i;

	if (len < MAGIC_LEN + 5 || memcmp(buf, MAGIC, MAGIC_LEN) != 0) {
		bg_set_why("not a breakglass-commitments-v2 file");
		return BG_EFORMAT;
	}
	buf += MAGIC_LEN;
	*nslots = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	    (uint32_t)buf[2] << 8 | buf[3];
	*ngroups = buf[4];
	if (*ngroups == 0 || *ngroups > BG_SLOT_GROUPS_MAX ||
	    len < MAGIC_LEN + 5 + 2 * *ngroups) {
		bg_set_why("commitments: bad group count");
		return BG_EFORMAT;
	}
	for (i = 0; i < *ngroups; i++) {
		g[i].t = buf[5 + 2 * i];
		g[i].n = buf[6 + 2 * i];
	}
	*hdr = MAGIC_LEN + 5 + 2 * *ngroups;
	return BG_OK;
}

/* The file's length for this header (0 when it cannot be one). */
static size_t
expected_len(const struct bg_slot_group *g, size_t ngroups, uint32_t nslots)
{
	size_t i, members = 0;

	if (nslots == 0 || nslots > BG_SLOTS_MAX)
		return 0;
	for (i = 0; i < ngroups; i++)
		members += g[i].n;
	return file_len(ngroups, members, nslots);
}

int
bg_commitments_decode(const uint8_t *buf, size_t len, bg_commitments_t **out)
{
	struct bg_slot_group g[BG_SLOT_GROUPS_MAX];
	bg_commitments_t *c = NULL;
	size_t ngroups, hdr;
	uint32_t nslots;
	int r;

	bg_clear_why();
	if (buf == NULL || out == NULL)
		return BG_EINVAL;
	*out = NULL;
	if (len > BG_COMMITMENTS_MAX) {
		bg_set_why("commitments: file larger than %u bytes",
		    (unsigned)BG_COMMITMENTS_MAX);
		return BG_ETOOBIG;
	}
	if ((r = decode_header(buf, len, g, &ngroups, &nslots, &hdr)) != BG_OK)
		return r;
	if (len != expected_len(g, ngroups, nslots)) {
		bg_set_why("commitments: %zu bytes, not what the header says",
		    len);
		return BG_EFORMAT;
	}
	if ((r = alloc_set(g, ngroups, nslots, &c)) != BG_OK) {
		bg_set_why("commitments: bad slot count or threshold");
		return r == BG_ENOMEM ? r : BG_EFORMAT;
	}
	buf += hdr;
	memcpy(c->key, buf, BG_COMMIT_LEN);
	buf += BG_COMMIT_LEN;
	memcpy(c->parts, buf, c->nparts * BG_COMMIT_LEN);
	buf += c->nparts * BG_COMMIT_LEN;
	memcpy(c->shares, buf, c->nshares * BG_COMMIT_LEN);
	*out = c;
	return BG_OK;
}

int
bg_commitments_root(const uint8_t *buf, size_t len, uint8_t root[32])
{
	static const char tag[] = "breakglass/v2/commitments-root";
	EVP_MD_CTX *ctx;
	int ok;

	if (buf == NULL || root == NULL)
		return BG_EINVAL;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return BG_ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, tag, sizeof(tag)) == 1 &&	/* with NUL */
	    EVP_DigestUpdate(ctx, buf, len) == 1 &&
	    EVP_DigestFinal_ex(ctx, root, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? BG_OK : BG_ECRYPTO;
}

const uint8_t *
bg_commitments_key(const bg_commitments_t *c)
{
	return c->key;
}

uint32_t
bg_commitments_nslots(const bg_commitments_t *c)
{
	return c->nslots;
}

size_t
bg_commitments_ngroups(const bg_commitments_t *c)
{
	return c->ngroups;
}

struct bg_slot_group
bg_commitments_group(const bg_commitments_t *c, size_t g)
{
	struct bg_slot_group none = { 0, 0 };

	return g < c->ngroups ? c->groups[g] : none;
}

/* BG_OK when want equals the commitment of what, BG_ETAMPER if not. */
static int
same(int r, const uint8_t *want, const uint8_t got[BG_COMMIT_LEN])
{
	if (r != BG_OK)
		return r;
	return bg_ct_memcmp(want, got, BG_COMMIT_LEN) == 0 ? BG_OK :
	    BG_ETAMPER;
}

int
bg_commitments_check_share(const bg_commitments_t *c,
    const struct bg_label *version, size_t g, uint8_t x, uint32_t slot,
    const uint8_t share[BG_SLOT_KEY_LEN])
{
	uint8_t got[BG_COMMIT_LEN];

	if (c == NULL || g >= c->ngroups || x == 0 || x > c->groups[g].n ||
	    slot >= c->nslots)
		return BG_ERANGE;
	return same(bg_slot_share_commit(version, slot, (uint8_t)g, x, share,
	    got), share_slot(c, g, x, slot), got);
}

int
bg_commitments_check_part(const bg_commitments_t *c,
    const struct bg_label *version, size_t g, uint32_t slot,
    const uint8_t part[BG_SLOT_KEY_LEN])
{
	uint8_t got[BG_COMMIT_LEN];

	if (c == NULL || g >= c->ngroups || slot >= c->nslots)
		return BG_ERANGE;
	return same(bg_slot_part_commit(version, slot, (uint8_t)g, part, got),
	    part_slot(c, g, slot), got);
}

int
bg_commitments_check_key(const bg_commitments_t *c,
    const struct bg_label *version, const uint8_t key[BG_SLOT_KEY_LEN])
{
	uint8_t got[BG_COMMIT_LEN];

	if (c == NULL)
		return BG_EINVAL;
	return same(bg_slot_key_commit(version, key, got), c->key, got);
}
