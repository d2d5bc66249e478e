/*
 * audit/merkle.c: RFC 9162 section 2.1 Merkle tree hashing, a streaming
 * tree over a post-order node store, and inclusion/consistency proofs.
 *
 * SHA-256 goes through one EVP_MD fetched once per process and one
 * EVP_MD_CTX per thread, reused for every hash: the verifier hashes about a
 * million leaves per second and must not allocate per hash. The per-thread
 * context lives until the process exits.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "audit/merkle.h"
#include "common/common.h"

#define MERKLE_MAX_SIZE	(UINT64_C(1) << 63)	/* sizes are < 2^63 */

static EVP_MD *merkle_md;
static pthread_once_t merkle_md_once = PTHREAD_ONCE_INIT;
/* One reused digest context per thread, freed when the thread ends. */
static pthread_key_t merkle_ctx_key;
static int merkle_key_ok;

static void
merkle_ctx_free(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void
merkle_md_fetch(void)
{
	merkle_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	merkle_key_ok = pthread_key_create(&merkle_ctx_key, merkle_ctx_free) == 0;
}

static EVP_MD_CTX *
merkle_hash_ctx(void)
{
	EVP_MD_CTX *ctx;

	if (pthread_once(&merkle_md_once, merkle_md_fetch) != 0 ||
	    merkle_md == NULL || !merkle_key_ok)
		return NULL;
	if ((ctx = pthread_getspecific(merkle_ctx_key)) == NULL &&
	    (ctx = EVP_MD_CTX_new()) != NULL &&
	    pthread_setspecific(merkle_ctx_key, ctx) != 0) {
		EVP_MD_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

/* SHA-256(prefix || a || b), prefix omitted when negative. */
static int
merkle_sha256(int prefix, const void *a, size_t alen, const void *b,
    size_t blen, uint8_t out[BG_HASH_LEN])
{
	EVP_MD_CTX *ctx;
	uint8_t p;
	unsigned int outl = 0;

	if ((ctx = merkle_hash_ctx()) == NULL)
		return BG_ECRYPTO;
	if (EVP_DigestInit_ex2(ctx, merkle_md, NULL) != 1)
		return BG_ECRYPTO;
	if (prefix >= 0) {
		p = (uint8_t)prefix;
		if (EVP_DigestUpdate(ctx, &p, 1) != 1)
			return BG_ECRYPTO;
	}
	if ((alen > 0 && EVP_DigestUpdate(ctx, a, alen) != 1) ||
	    (blen > 0 && EVP_DigestUpdate(ctx, b, blen) != 1))
		return BG_ECRYPTO;
	if (EVP_DigestFinal_ex(ctx, out, &outl) != 1 || outl != BG_HASH_LEN)
		return BG_ECRYPTO;
	return BG_OK;
}

/* RFC 9162 2.1.1: MTH({d(0)}) = SHA-256(0x00 || d(0)). */
int
bg_merkle_leaf_hash(const void *data, size_t len, uint8_t out[BG_HASH_LEN])
{
	if ((data == NULL && len > 0) || out == NULL)
		return BG_EINVAL;
	return merkle_sha256(0x00, data, len, NULL, 0, out);
}

/* RFC 9162 2.1.1: SHA-256(0x01 || MTH(left) || MTH(right)). */
int
bg_merkle_node_hash(const uint8_t l[BG_HASH_LEN], const uint8_t r[BG_HASH_LEN],
    uint8_t out[BG_HASH_LEN])
{
	if (l == NULL || r == NULL || out == NULL)
		return BG_EINVAL;
	return merkle_sha256(0x01, l, BG_HASH_LEN, r, BG_HASH_LEN, out);
}

/* RFC 9162 2.1.1: MTH({}) = SHA-256(). */
int
bg_merkle_empty_root(uint8_t out[BG_HASH_LEN])
{
	if (out == NULL)
		return BG_EINVAL;
	return merkle_sha256(-1, NULL, 0, NULL, 0, out);
}

/*
 * Post-order position: the subtree (level, index) is completed right after
 * leaf m - 1 with m = (index + 1) << level. The store then holds
 * store_count(m - 1) hashes of earlier subtrees, plus this subtree's leaf
 * and the level - 1 ... 1 parents completed by the same append before it.
 * UINT64_MAX for a subtree outside sizes < 2^63.
 */
uint64_t
bg_merkle_pos(unsigned level, uint64_t index)
{
	uint64_t m;

	if (level >= 63 || index >= ((MERKLE_MAX_SIZE - 1) >> level))
		return UINT64_MAX;
	m = (index + 1) << level;
	return 2 * (m - 1) - (uint64_t)__builtin_popcountll(m - 1) + level;
}

uint64_t
bg_merkle_store_count(uint64_t n)
{
	return 2 * n - (uint64_t)__builtin_popcountll(n);
}

void
bg_merkle_stream_init(struct bg_merkle_stream *s)
{
	if (s != NULL)
		memset(s, 0, sizeof(*s));
}

/*
 * Appending leaf number size works like a binary increment: each set low
 * bit of size is a perfect subtree that merges with the carry. Nothing in s
 * changes until every hash and emit succeeded.
 */
int
bg_merkle_stream_add(struct bg_merkle_stream *s,
    const uint8_t leaf[BG_HASH_LEN], bg_merkle_emit_fn emit, void *ctx)
{
	uint8_t h[BG_HASH_LEN];
	unsigned level = 0;
	int r;

	if (s == NULL || leaf == NULL)
		return BG_EINVAL;
	if (s->size >= MERKLE_MAX_SIZE - 1)
		return BG_ERANGE;
	memcpy(h, leaf, sizeof(h));
	if (emit != NULL && (r = emit(ctx, 0, s->size, h)) != BG_OK)
		return r;
	while ((s->size >> level) & 1) {
		if ((r = bg_merkle_node_hash(s->stack[level], h, h)) != BG_OK)
			return r;
		level++;
		if (emit != NULL &&
		    (r = emit(ctx, level, s->size >> level, h)) != BG_OK)
			return r;
	}
	memcpy(s->stack[level], h, sizeof(h));
	s->size++;
	return BG_OK;
}

/*
 * RFC 9162 2.1.1: the right subtree is the smaller one, so fold from the
 * lowest set bit of size upward: acc = node(stack[bit], acc).
 */
int
bg_merkle_stream_root(const struct bg_merkle_stream *s,
    uint8_t out[BG_HASH_LEN])
{
	uint8_t acc[BG_HASH_LEN];
	unsigned bit;
	int r;

	if (s == NULL || out == NULL)
		return BG_EINVAL;
	if (s->size == 0)
		return bg_merkle_empty_root(out);
	if (s->size >= MERKLE_MAX_SIZE)
		return BG_ERANGE;
	bit = (unsigned)__builtin_ctzll(s->size);
	memcpy(acc, s->stack[bit], sizeof(acc));
	for (bit++; bit < 63; bit++) {
		if (((s->size >> bit) & 1) == 0)
			continue;
		if ((r = bg_merkle_node_hash(s->stack[bit], acc, acc)) != BG_OK)
			return r;
	}
	memcpy(out, acc, sizeof(acc));
	return BG_OK;
}

/* The perfect subtrees of a tree of size n are its set bits, high first. */
int
bg_merkle_stream_load(struct bg_merkle_stream *s, uint64_t n,
    bg_merkle_get_fn get, void *ctx)
{
	uint64_t start = 0;
	unsigned level;
	int r;

	if (s == NULL || get == NULL)
		return BG_EINVAL;
	bg_merkle_stream_init(s);
	if (n >= MERKLE_MAX_SIZE)
		return BG_ERANGE;
	for (level = 63; level-- > 0;) {
		if (((n >> level) & 1) == 0)
			continue;
		if ((r = get(ctx, level, start >> level, s->stack[level])) !=
		    BG_OK) {
			bg_merkle_stream_init(s);
			return r;
		}
		start += UINT64_C(1) << level;
	}
	s->size = n;
	return BG_OK;
}

/* Largest power of two strictly smaller than n (n > 1). RFC 9162 2.1.1. */
static uint64_t
merkle_split(uint64_t n)
{
	return UINT64_C(1) << (63 - __builtin_clzll(n - 1));
}

static int
merkle_is_perfect(uint64_t start, uint64_t count)
{
	return (count & (count - 1)) == 0 && (start & (count - 1)) == 0;
}

/* RFC 9162 2.1.1 MTH(D[start:start+count]), count > 0. */
static int
merkle_range(bg_merkle_get_fn get, void *ctx, uint64_t start, uint64_t count,
    uint8_t out[BG_HASH_LEN])
{
	uint8_t l[BG_HASH_LEN], r[BG_HASH_LEN];
	uint64_t k;
	int rc;

	if (merkle_is_perfect(start, count)) {
		unsigned level = (unsigned)__builtin_ctzll(count);

		return get(ctx, level, start >> level, out);
	}
	k = merkle_split(count);
	if ((rc = merkle_range(get, ctx, start, k, l)) != BG_OK ||
	    (rc = merkle_range(get, ctx, start + k, count - k, r)) != BG_OK)
		return rc;
	return bg_merkle_node_hash(l, r, out);
}

int
bg_merkle_range_hash(bg_merkle_get_fn get, void *ctx, uint64_t start,
    uint64_t count, uint8_t out[BG_HASH_LEN])
{
	if (get == NULL || out == NULL)
		return BG_EINVAL;
	if (start >= MERKLE_MAX_SIZE || count >= MERKLE_MAX_SIZE - start)
		return BG_ERANGE;
	if (count == 0)
		return bg_merkle_empty_root(out);
	return merkle_range(get, ctx, start, count, out);
}

static void
merkle_reverse(uint8_t proof[][BG_HASH_LEN], size_t len)
{
	uint8_t t[BG_HASH_LEN];
	size_t i;

	for (i = 0; i < len / 2; i++) {
		memcpy(t, proof[i], sizeof(t));
		memcpy(proof[i], proof[len - 1 - i], sizeof(t));
		memcpy(proof[len - 1 - i], t, sizeof(t));
	}
}

/*
 * One step down the tree (start, size) toward leaf m: into the left
 * subtree (the right one's hash goes into the proof), or into the right
 * one (the left one's hash goes in, and m becomes relative to it).
 */
static int
merkle_descend(bg_merkle_get_fn get, void *ctx, int left, uint64_t *start,
    uint64_t *size, uint64_t *m, uint8_t out[BG_HASH_LEN])
{
	uint64_t k = merkle_split(*size);
	int r;

	if (left) {
		r = merkle_range(get, ctx, *start + k, *size - k, out);
		*size = k;
	} else {
		r = merkle_range(get, ctx, *start, k, out);
		*start += k;
		*size -= k;
		*m -= k;
	}
	return r;
}

/*
 * RFC 9162 2.1.3.1 PATH(m, D[n]), walked from the root down: the sibling
 * subtree of each step is appended, then the list is reversed so the proof
 * runs from the leaf up, as the recursive definition produces it.
 */
int
bg_merkle_inclusion_proof(bg_merkle_get_fn get, void *ctx, uint64_t index,
    uint64_t n, uint8_t proof[][BG_HASH_LEN], size_t *prooflen)
{
	uint64_t start = 0, size = n, m = index;
	size_t len = 0;
	int r;

	if (get == NULL || proof == NULL || prooflen == NULL)
		return BG_EINVAL;
	*prooflen = 0;
	if (n >= MERKLE_MAX_SIZE || index >= n)
		return BG_EINVAL;
	while (size > 1) {
		if (len >= BG_MERKLE_MAX_PROOF)
			return BG_EINTERNAL;
		if ((r = merkle_descend(get, ctx, m < merkle_split(size),
		    &start, &size, &m, proof[len++])) != BG_OK)
			return r;
	}
	merkle_reverse(proof, len);
	*prooflen = len;
	return BG_OK;
}

/*
 * RFC 9162 2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true), walked from the
 * root down like bg_merkle_inclusion_proof().
 */
int
bg_merkle_consistency_proof(bg_merkle_get_fn get, void *ctx, uint64_t m,
    uint64_t n, uint8_t proof[][BG_HASH_LEN], size_t *prooflen)
{
	uint64_t start = 0, size = n;
	size_t len = 0;
	int b = 1, left, r = BG_OK;

	if (get == NULL || proof == NULL || prooflen == NULL)
		return BG_EINVAL;
	*prooflen = 0;
	if (n >= MERKLE_MAX_SIZE || m == 0 || m > n)
		return BG_EINVAL;
	while (m != size) {
		if (len >= BG_MERKLE_MAX_PROOF)
			return BG_EINTERNAL;
		left = m <= merkle_split(size);
		if (!left)
			b = 0;
		if ((r = merkle_descend(get, ctx, left, &start, &size, &m,
		    proof[len++])) != BG_OK)
			return r;
	}
	/* SUBPROOF(m, D[m], false) = {MTH(D[m])} */
	if (!b) {
		if (len >= BG_MERKLE_MAX_PROOF)
			return BG_EINTERNAL;
		if ((r = merkle_range(get, ctx, start, size, proof[len++])) !=
		    BG_OK)
			return r;
	}
	merkle_reverse(proof, len);
	*prooflen = len;
	return BG_OK;
}

/* RFC 9162 2.1.3.2 step 4.b.ii and 2.1.4.2 step 6.b.iii. */
static void
merkle_shift_to_set(uint64_t *fn, uint64_t *sn)
{
	while ((*fn & 1) == 0 && *fn != 0) {
		*fn >>= 1;
		*sn >>= 1;
	}
}

/* RFC 9162 2.1.3.2 */
int
bg_merkle_verify_inclusion(uint64_t index, uint64_t n,
    const uint8_t leaf[BG_HASH_LEN], const uint8_t proof[][BG_HASH_LEN],
    size_t prooflen, const uint8_t root[BG_HASH_LEN])
{
	uint8_t r[BG_HASH_LEN];
	uint64_t fn, sn;
	size_t i;
	int rc;

	if (leaf == NULL || root == NULL || (proof == NULL && prooflen > 0))
		return BG_EINVAL;
	if (index >= n || prooflen > BG_MERKLE_MAX_PROOF)
		return BG_EPROOF;
	fn = index;
	sn = n - 1;
	memcpy(r, leaf, sizeof(r));
	for (i = 0; i < prooflen; i++) {
		if (sn == 0)
			return BG_EPROOF;
		if ((fn & 1) || fn == sn) {
			rc = bg_merkle_node_hash(proof[i], r, r);
			merkle_shift_to_set(&fn, &sn);
		} else
			rc = bg_merkle_node_hash(r, proof[i], r);
		if (rc != BG_OK)
			return rc;
		fn >>= 1;
		sn >>= 1;
	}
	if ((sn != 0) | (bg_ct_memcmp(r, root, BG_HASH_LEN) != 0))
		return BG_EPROOF;
	return BG_OK;
}

/* RFC 9162 2.1.4.2 step 6: folds path[1..] into fr and sr. */
static int
merkle_consistency_fold(uint64_t fn, uint64_t sn,
    const uint8_t *const *path, size_t pathlen, uint8_t fr[BG_HASH_LEN],
    uint8_t sr[BG_HASH_LEN], uint64_t *snout)
{
	size_t i;
	int rc;

	for (i = 1; i < pathlen; i++) {
		if (sn == 0)
			return BG_EPROOF;
		if ((fn & 1) || fn == sn) {
			if ((rc = bg_merkle_node_hash(path[i], fr, fr)) != BG_OK ||
			    (rc = bg_merkle_node_hash(path[i], sr, sr)) != BG_OK)
				return rc;
			merkle_shift_to_set(&fn, &sn);
		} else if ((rc = bg_merkle_node_hash(sr, path[i], sr)) != BG_OK)
			return rc;
		fn >>= 1;
		sn >>= 1;
	}
	*snout = sn;
	return BG_OK;
}

/*
 * RFC 9162 2.1.4.2 for 0 < m < n. Our policy, like transparency-dev: a
 * proof from size 0 is rejected (it proves nothing), and m == n needs an
 * empty proof and equal roots.
 */
int
bg_merkle_verify_consistency(uint64_t m, uint64_t n,
    const uint8_t root1[BG_HASH_LEN], const uint8_t root2[BG_HASH_LEN],
    const uint8_t proof[][BG_HASH_LEN], size_t prooflen)
{
	const uint8_t *path[BG_MERKLE_MAX_PROOF + 1];
	uint8_t fr[BG_HASH_LEN], sr[BG_HASH_LEN];
	uint64_t fn, sn;
	size_t i, pathlen = 0;
	int rc;

	if (root1 == NULL || root2 == NULL || (proof == NULL && prooflen > 0))
		return BG_EINVAL;
	if (m == 0 || m > n || prooflen > BG_MERKLE_MAX_PROOF)
		return BG_EPROOF;
	if (m == n) {
		if (prooflen != 0 || bg_ct_memcmp(root1, root2, BG_HASH_LEN))
			return BG_EPROOF;
		return BG_OK;
	}
	/* steps 1-2 */
	if (prooflen == 0)
		return BG_EPROOF;
	if ((m & (m - 1)) == 0)
		path[pathlen++] = root1;
	for (i = 0; i < prooflen; i++)
		path[pathlen++] = proof[i];
	/* steps 3-5 */
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(fr, path[0], sizeof(fr));
	memcpy(sr, path[0], sizeof(sr));
	/* steps 6-7 */
	if ((rc = merkle_consistency_fold(fn, sn, path, pathlen, fr, sr,
	    &sn)) != BG_OK)
		return rc;
	/* all three compared, no early exit */
	if ((int)(sn != 0) | (int)(bg_ct_memcmp(fr, root1, BG_HASH_LEN) != 0) |
	    (int)(bg_ct_memcmp(sr, root2, BG_HASH_LEN) != 0))
		return BG_EPROOF;
	return BG_OK;
}
