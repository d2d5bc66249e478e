/*
 * fuzz_proof: RFC 9162 Merkle proofs (audit/merkle.h).
 *
 * 1. bg_merkle_verify_inclusion/_consistency and bg_audit_check_* on
 *    arbitrary sizes, indices and proof bytes: no crash, no UB, and only
 *    BG_OK or BG_EPROOF (BG_EINVAL for a proof longer than the struct).
 * 2. Proofs from a "virtual" tree of any size below 2^63 whose leaves are
 *    all equal except one, so every perfect subtree hash is computable in
 *    O(1): the proofs built by bg_merkle_inclusion_proof and
 *    bg_merkle_consistency_proof must verify against bg_merkle_range_hash
 *    roots, and must fail once one bit of the proof, leaf or roots changes.
 * 3. A small real tree through the streaming hasher: emitted hashes sit at
 *    bg_merkle_pos(), and stream root, stream_load and range_hash agree.
 *
 * Input: flags u8 | a u64 | b u64 | n u64 | prooflen u8 | leaf[32] |
 * root1[32] | root2[32] | proof hashes ...; missing bytes read as zero.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "audit/audit.h"
#include "audit/merkle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "fuzz_proof: %s:%d: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

#define SIZE_LIMIT	(UINT64_C(1) << 63)	/* sizes are < 2^63 */
#define SMALL_MAX	40

struct input {
	const uint8_t *p;
	size_t left;
};

static void
take(struct input *in, void *out, size_t n)
{
	size_t k = n < in->left ? n : in->left;

	memset(out, 0, n);
	if (k > 0)
		memcpy(out, in->p, k);
	in->p += k;
	in->left -= k;
}

static uint64_t
take_u64(struct input *in)
{
	uint8_t b[8];
	uint64_t v = 0;
	int i;

	take(in, b, sizeof(b));
	for (i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

struct fields {
	uint8_t flags;
	uint64_t a, b, n;
	size_t prooflen;
	uint8_t leaf[BG_HASH_LEN], root1[BG_HASH_LEN], root2[BG_HASH_LEN];
	uint8_t (*proof)[BG_HASH_LEN];	/* prooflen hashes, exact size */
};

/* ------------------------------------------------ 1. arbitrary inputs */

static void
fuzz_raw(const struct fields *f)
{
	struct bg_audit_proof *p;
	int r;

	r = bg_merkle_verify_inclusion(f->a, f->n, f->leaf,
	    (const uint8_t (*)[BG_HASH_LEN])f->proof, f->prooflen, f->root1);
	CHECK(r == BG_OK || r == BG_EPROOF);
	r = bg_merkle_verify_consistency(f->a, f->n, f->root1, f->root2,
	    (const uint8_t (*)[BG_HASH_LEN])f->proof, f->prooflen);
	CHECK(r == BG_OK || r == BG_EPROOF);
	(void)bg_merkle_pos(f->flags, f->a);
	(void)bg_merkle_store_count(f->n);

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return;
	p->index = f->a;
	p->size = f->n;
	p->len = f->prooflen;
	if (f->prooflen <= BG_AUDIT_PROOF_MAX)
		memcpy(p->hash, f->proof, f->prooflen * BG_HASH_LEN);
	memcpy(p->leaf, f->leaf, BG_HASH_LEN);
	memcpy(p->root, f->root1, BG_HASH_LEN);
	memcpy(p->old_root, f->root2, BG_HASH_LEN);
	r = bg_audit_check_inclusion(p);
	CHECK(f->prooflen > BG_AUDIT_PROOF_MAX ? r == BG_EINVAL :
	    r == BG_OK || r == BG_EPROOF);
	r = bg_audit_check_consistency(p);
	CHECK(f->prooflen > BG_AUDIT_PROOF_MAX ? r == BG_EINVAL :
	    r == BG_OK || r == BG_EPROOF);
	free(p);
}

/* ------------------------------------------------------ 2. virtual tree */

/*
 * Every leaf hash is same[0] except leaf t, which is odd[0]. A perfect
 * subtree at (level, index) not holding t hashes to same[level]; the one
 * holding t to odd[level].
 */
struct vtree {
	uint64_t t;
	uint8_t same[63][BG_HASH_LEN];
	uint8_t odd[63][BG_HASH_LEN];
};

static void
vtree_init(struct vtree *v, uint64_t t, const uint8_t leaf[BG_HASH_LEN])
{
	unsigned k;

	v->t = t;
	CHECK(bg_merkle_leaf_hash("", 0, v->same[0]) == BG_OK);
	memcpy(v->odd[0], leaf, BG_HASH_LEN);
	for (k = 1; k < 63; k++) {
		CHECK(bg_merkle_node_hash(v->same[k - 1], v->same[k - 1],
		    v->same[k]) == BG_OK);
		if (((t >> (k - 1)) & 1) == 0)
			CHECK(bg_merkle_node_hash(v->odd[k - 1],
			    v->same[k - 1], v->odd[k]) == BG_OK);
		else
			CHECK(bg_merkle_node_hash(v->same[k - 1],
			    v->odd[k - 1], v->odd[k]) == BG_OK);
	}
}

static int
vtree_get(void *ctx, unsigned level, uint64_t index, uint8_t out[BG_HASH_LEN])
{
	const struct vtree *v = ctx;

	CHECK(level < 63);	/* sizes < 2^63 never need more */
	CHECK(index <= (SIZE_LIMIT - 1) >> level);
	memcpy(out, (v->t >> level) == index ? v->odd[level] :
	    v->same[level], BG_HASH_LEN);
	return BG_OK;
}

/* Which hash to spoil: a proof element, else the leaf or a root. */
static uint8_t *
spoil_target(uint8_t (*proof)[BG_HASH_LEN], size_t len, uint64_t pick,
    uint8_t *a, uint8_t *b)
{
	uint64_t i = pick % (len + 2);

	return i < len ? proof[i] : i == len ? a : b;
}

static void
check_inclusion(struct vtree *v, uint64_t index, uint64_t n, uint64_t pick)
{
	uint8_t proof[BG_MERKLE_MAX_PROOF][BG_HASH_LEN];
	uint8_t leaf[BG_HASH_LEN], root[BG_HASH_LEN], *h;
	size_t len = 0;

	CHECK(bg_merkle_inclusion_proof(vtree_get, v, index, n, proof,
	    &len) == BG_OK);
	CHECK(len <= BG_MERKLE_MAX_PROOF);
	CHECK(bg_merkle_range_hash(vtree_get, v, 0, n, root) == BG_OK);
	CHECK(vtree_get(v, 0, index, leaf) == BG_OK);
	CHECK(bg_merkle_verify_inclusion(index, n, leaf,
	    (const uint8_t (*)[BG_HASH_LEN])proof, len, root) == BG_OK);
	h = spoil_target(proof, len, pick, leaf, root);
	h[(pick >> 8) % BG_HASH_LEN] ^= (uint8_t)(1u << ((pick >> 16) % 8));
	CHECK(bg_merkle_verify_inclusion(index, n, leaf,
	    (const uint8_t (*)[BG_HASH_LEN])proof, len, root) == BG_EPROOF);
}

static void
check_consistency(struct vtree *v, uint64_t m, uint64_t n, uint64_t pick)
{
	uint8_t proof[BG_MERKLE_MAX_PROOF][BG_HASH_LEN];
	uint8_t r1[BG_HASH_LEN], r2[BG_HASH_LEN], *h;
	size_t len = 0;

	CHECK(bg_merkle_consistency_proof(vtree_get, v, m, n, proof,
	    &len) == BG_OK);
	CHECK(len <= BG_MERKLE_MAX_PROOF && (len == 0) == (m == n));
	CHECK(bg_merkle_range_hash(vtree_get, v, 0, m, r1) == BG_OK);
	CHECK(bg_merkle_range_hash(vtree_get, v, 0, n, r2) == BG_OK);
	CHECK(bg_merkle_verify_consistency(m, n, r1, r2,
	    (const uint8_t (*)[BG_HASH_LEN])proof, len) == BG_OK);
	h = spoil_target(proof, len, pick, r1, r2);
	h[(pick >> 8) % BG_HASH_LEN] ^= (uint8_t)(1u << ((pick >> 16) % 8));
	CHECK(bg_merkle_verify_consistency(m, n, r1, r2,
	    (const uint8_t (*)[BG_HASH_LEN])proof, len) == BG_EPROOF);
}

/* A stream loaded from the store has the tree's root. */
static void
check_load(struct vtree *v, uint64_t n)
{
	struct bg_merkle_stream *s;
	uint8_t a[BG_HASH_LEN], b[BG_HASH_LEN];

	if ((s = malloc(sizeof(*s))) == NULL)
		return;
	CHECK(bg_merkle_stream_load(s, n, vtree_get, v) == BG_OK);
	CHECK(s->size == n);
	CHECK(bg_merkle_stream_root(s, a) == BG_OK);
	CHECK(bg_merkle_range_hash(vtree_get, v, 0, n, b) == BG_OK);
	CHECK(memcmp(a, b, BG_HASH_LEN) == 0);
	free(s);
}

static void
fuzz_virtual(const struct fields *f)
{
	struct vtree *v;
	uint64_t n, index, m;

	n = f->n % (SIZE_LIMIT - 1) + 1;	/* 1 .. 2^63 - 1 */
	index = f->a % n;
	m = f->b % n + 1;			/* 1 .. n */
	if ((v = malloc(sizeof(*v))) == NULL)
		return;
	/* the odd leaf: the proven one, or anywhere */
	vtree_init(v, f->flags & 1 ? index : f->b % n, f->leaf);
	check_inclusion(v, index, n, f->b ^ f->a);
	check_consistency(v, m, n, f->a);
	check_load(v, n);
	free(v);
}

/* ---------------------------------------------------- 3. small real tree */

struct small {
	uint8_t store[2 * SMALL_MAX][BG_HASH_LEN];
	uint64_t count;
};

static int
small_emit(void *ctx, unsigned level, uint64_t index,
    const uint8_t hash[BG_HASH_LEN])
{
	struct small *s = ctx;

	/* emitted in store order: each lands where bg_merkle_pos says */
	CHECK(s->count < 2 * SMALL_MAX);
	CHECK(bg_merkle_pos(level, index) == s->count);
	memcpy(s->store[s->count++], hash, BG_HASH_LEN);
	return BG_OK;
}

static int
small_get(void *ctx, unsigned level, uint64_t index, uint8_t out[BG_HASH_LEN])
{
	const struct small *s = ctx;
	uint64_t pos = bg_merkle_pos(level, index);

	CHECK(pos < s->count);
	memcpy(out, s->store[pos], BG_HASH_LEN);
	return BG_OK;
}

static void
fuzz_small(const struct fields *f, const uint8_t *data, size_t size)
{
	uint8_t proof[BG_MERKLE_MAX_PROOF][BG_HASH_LEN];
	uint8_t leaf[BG_HASH_LEN], root[BG_HASH_LEN], r2[BG_HASH_LEN];
	struct bg_merkle_stream st;
	struct small *s;
	const uint8_t *base = size > 0 ? data : (const uint8_t *)"";
	uint64_t n = f->flags % SMALL_MAX + 1, i;
	size_t len, chunk = size / (size_t)n;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return;
	bg_merkle_stream_init(&st);
	for (i = 0; i < n; i++) {
		CHECK(bg_merkle_leaf_hash(base + i * chunk, chunk, leaf) ==
		    BG_OK);
		CHECK(bg_merkle_stream_add(&st, leaf, small_emit, s) == BG_OK);
	}
	CHECK(s->count == bg_merkle_store_count(n));
	CHECK(bg_merkle_stream_root(&st, root) == BG_OK);
	CHECK(bg_merkle_range_hash(small_get, s, 0, n, r2) == BG_OK);
	CHECK(memcmp(root, r2, BG_HASH_LEN) == 0);
	i = f->a % n;
	CHECK(bg_merkle_inclusion_proof(small_get, s, i, n, proof, &len) ==
	    BG_OK);
	CHECK(small_get(s, 0, i, leaf) == BG_OK);
	CHECK(bg_merkle_verify_inclusion(i, n, leaf,
	    (const uint8_t (*)[BG_HASH_LEN])proof, len, root) == BG_OK);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct fields f;
	uint8_t len8;

	memset(&f, 0, sizeof(f));
	take(&in, &f.flags, 1);
	f.a = take_u64(&in);
	f.b = take_u64(&in);
	f.n = take_u64(&in);
	take(&in, &len8, 1);
	f.prooflen = len8 % (BG_MERKLE_MAX_PROOF + 8);
	take(&in, f.leaf, BG_HASH_LEN);
	take(&in, f.root1, BG_HASH_LEN);
	take(&in, f.root2, BG_HASH_LEN);
	/* exactly prooflen hashes: reads past the end are caught */
	if ((f.proof = malloc(f.prooflen > 0 ? f.prooflen * BG_HASH_LEN :
	    1)) == NULL)
		return 0;
	take(&in, f.proof, f.prooflen * BG_HASH_LEN);
	fuzz_raw(&f);
	fuzz_virtual(&f);
	fuzz_small(&f, data, size);
	free(f.proof);
	return 0;
}
