/*
 * Inclusion and consistency proofs from the node store: O(log n) reads.
 * Every proof is checked against the signed root before it is handed out,
 * so a corrupt node store gives an error, never a bad proof.
 */
#include <string.h>

#include "common/common.h"
#include "audit/internal.h"

/* Root of the first size leaves, from the store. */
static int
root_at(bg_audit_t *log, uint64_t size, uint8_t out[BG_HASH_LEN])
{
	if (size == 0)
		return bg_merkle_empty_root(out);
	return bg_merkle_range_hash(bg_store_get, &log->store, 0, size, out);
}

static int
store_bad(void)
{
	bg_audit_set_why("audit/tree (derived node hashes) does not match "
	    "the signed checkpoint: not written back before a power loss, or "
	    "damaged; 'breakglass audit verify' checks the entries and "
	    "rebuilds it");
	return BG_ERECOVER;
}

/* A root computed from the derived store must equal the signed one. */
static int
current_root_is(bg_audit_t *log, const uint8_t root[BG_HASH_LEN])
{
	return bg_ct_memcmp(log->root, root, BG_HASH_LEN) == 0 ? BG_OK :
	    store_bad();
}

static int
proof_sizes(bg_audit_t *log, uint64_t *size)
{
	bg_clear_why();
	if (*size == 0)
		*size = log->size;
	if (*size > log->size) {
		bg_audit_set_why("the log has only %llu entries",
		    (unsigned long long)log->size);
		return BG_ERANGE;
	}
	return BG_OK;
}

int
bg_audit_prove(bg_audit_t *log, uint64_t seq, uint64_t size,
    struct bg_audit_proof *p)
{
	struct bg_audit_proof c;
	int r;

	if (log == NULL || p == NULL)
		return BG_EINVAL;
	memset(p, 0, sizeof(*p));
	if ((r = proof_sizes(log, &size)) != BG_OK)
		return r;
	if (seq >= size) {
		bg_audit_set_why("no entry %llu in a tree of %llu",
		    (unsigned long long)seq, (unsigned long long)size);
		return BG_ERANGE;
	}
	p->index = seq;
	p->size = size;
	if ((r = bg_store_get(&log->store, 0, seq, p->leaf)) != BG_OK ||
	    (r = root_at(log, size, p->root)) != BG_OK ||
	    (r = bg_merkle_inclusion_proof(bg_store_get, &log->store, seq, size,
	    p->hash, &p->len)) != BG_OK)
		return r;
	if (bg_audit_check_inclusion(p) != BG_OK)
		return store_bad();
	if (size == log->size)
		return current_root_is(log, p->root);
	/* an older root must be consistent with the signed one */
	return bg_audit_prove_consistency(log, size, 0, &c);
}

int
bg_audit_prove_consistency(bg_audit_t *log, uint64_t old_size,
    uint64_t new_size, struct bg_audit_proof *p)
{
	struct bg_audit_proof c;
	int r;

	if (log == NULL || p == NULL)
		return BG_EINVAL;
	memset(p, 0, sizeof(*p));
	if ((r = proof_sizes(log, &new_size)) != BG_OK)
		return r;
	if (old_size == 0 || old_size > new_size) {
		bg_audit_set_why("need 0 < OLD <= NEW <= %llu",
		    (unsigned long long)log->size);
		return BG_ERANGE;
	}
	p->index = old_size;
	p->size = new_size;
	if ((r = root_at(log, old_size, p->old_root)) != BG_OK ||
	    (r = root_at(log, new_size, p->root)) != BG_OK ||
	    (r = bg_merkle_consistency_proof(bg_store_get, &log->store,
	    old_size, new_size, p->hash, &p->len)) != BG_OK)
		return r;
	if (bg_audit_check_consistency(p) != BG_OK)
		return store_bad();
	if (new_size == log->size)
		return current_root_is(log, p->root);
	return bg_audit_prove_consistency(log, new_size, 0, &c);
}

int
bg_audit_check_inclusion(const struct bg_audit_proof *p)
{
	if (p == NULL || p->len > BG_AUDIT_PROOF_MAX)
		return BG_EINVAL;
	return bg_merkle_verify_inclusion(p->index, p->size, p->leaf,
	    (const uint8_t (*)[BG_HASH_LEN])p->hash, p->len, p->root);
}

int
bg_audit_check_consistency(const struct bg_audit_proof *p)
{
	if (p == NULL || p->len > BG_AUDIT_PROOF_MAX)
		return BG_EINVAL;
	return bg_merkle_verify_consistency(p->index, p->size, p->old_root,
	    p->root, (const uint8_t (*)[BG_HASH_LEN])p->hash, p->len);
}
