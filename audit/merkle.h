/*
 * Private to audit/: RFC 6962 / RFC 9162 Merkle tree hashing and proofs.
 *
 * Node store layout (post-order, as leaves are appended): after n leaves
 * the store holds 2n - popcount(n) hashes of *perfect* subtrees. The hash of
 * the perfect subtree at (level, index) covering leaves
 * [index * 2^level, (index + 1) * 2^level) sits at bg_merkle_pos().
 */
#ifndef BG_AUDIT_MERKLE_H
#define BG_AUDIT_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define BG_HASH_LEN 32
#define BG_MERKLE_MAX_PROOF 64	/* RFC 9162 proofs for sizes < 2^63 */

typedef uint8_t bg_hash_t[BG_HASH_LEN];

/* RFC 9162 2.1.1: SHA-256(0x00 || data), SHA-256(0x01 || l || r), SHA-256(""). */
int bg_merkle_leaf_hash(const void *data, size_t len, uint8_t out[BG_HASH_LEN]);
int bg_merkle_node_hash(const uint8_t l[BG_HASH_LEN], const uint8_t r[BG_HASH_LEN],
    uint8_t out[BG_HASH_LEN]);
int bg_merkle_empty_root(uint8_t out[BG_HASH_LEN]);

/* Position of perfect subtree (level, index) in the post-order store. */
uint64_t bg_merkle_pos(unsigned level, uint64_t index);
/* Number of hashes in the store after n leaves: 2n - popcount(n). */
uint64_t bg_merkle_store_count(uint64_t n);

/*
 * Streaming tree: O(log n) memory. Each add returns, through emit (may be
 * NULL), the hashes it completes in store order: the leaf hash first, then
 * each newly completed parent, lowest level first.
 */
struct bg_merkle_stream {
	uint64_t size;
	uint8_t stack[64][BG_HASH_LEN];	/* perfect subtrees, by level bit */
};
typedef int (*bg_merkle_emit_fn)(void *ctx, unsigned level, uint64_t index,
    const uint8_t hash[BG_HASH_LEN]);
void bg_merkle_stream_init(struct bg_merkle_stream *s);
int bg_merkle_stream_add(struct bg_merkle_stream *s,
    const uint8_t leaf[BG_HASH_LEN], bg_merkle_emit_fn emit, void *ctx);
/* Root of the leaves added so far (empty root for size 0). */
int bg_merkle_stream_root(const struct bg_merkle_stream *s,
    uint8_t out[BG_HASH_LEN]);
/*
 * Rebuilds a stream for size n from the store (reads popcount(n) hashes),
 * so appends can continue after reopening a log.
 */
typedef int (*bg_merkle_get_fn)(void *ctx, unsigned level, uint64_t index,
    uint8_t out[BG_HASH_LEN]);
int bg_merkle_stream_load(struct bg_merkle_stream *s, uint64_t n,
    bg_merkle_get_fn get, void *ctx);

/*
 * MTH of leaves [start, start + count) using only perfect-subtree hashes
 * from get (O(log n) calls).
 */
int bg_merkle_range_hash(bg_merkle_get_fn get, void *ctx, uint64_t start,
    uint64_t count, uint8_t out[BG_HASH_LEN]);

/* RFC 9162 2.1.3.1: inclusion proof of leaf index in a tree of size n. */
int bg_merkle_inclusion_proof(bg_merkle_get_fn get, void *ctx, uint64_t index,
    uint64_t n, uint8_t proof[][BG_HASH_LEN], size_t *prooflen);
/* RFC 9162 2.1.4.1: consistency proof between sizes m <= n (0 < m). */
int bg_merkle_consistency_proof(bg_merkle_get_fn get, void *ctx, uint64_t m,
    uint64_t n, uint8_t proof[][BG_HASH_LEN], size_t *prooflen);

/* RFC 9162 2.1.3.2. BG_OK or BG_EPROOF. */
int bg_merkle_verify_inclusion(uint64_t index, uint64_t n,
    const uint8_t leaf[BG_HASH_LEN], const uint8_t proof[][BG_HASH_LEN],
    size_t prooflen, const uint8_t root[BG_HASH_LEN]);
/* RFC 9162 2.1.4.2. m == n needs an empty proof and equal roots. BG_OK or BG_EPROOF. */
int bg_merkle_verify_consistency(uint64_t m, uint64_t n,
    const uint8_t root1[BG_HASH_LEN], const uint8_t root2[BG_HASH_LEN],
    const uint8_t proof[][BG_HASH_LEN], size_t prooflen);

#endif
