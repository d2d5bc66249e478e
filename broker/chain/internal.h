/* Internals shared by the chain's files (chain.h). */
#ifndef BG_CHAIN_INT_H
#define BG_CHAIN_INT_H

#include "broker/chain/chain.h"

struct bg_chain {
	struct bg_chain_link **links;
	size_t n;
};

/* SHA-256(tag || 0x00 || parts...), parts as (pointer, length) pairs. */
int bg_chain_tagged_hash(const char *tag, const void *const *p,
    const size_t *len, size_t n, uint8_t out[32]);
/* vault.json's object of v with every account's items emptied. */
int bg_chain_projection(const struct bg_vault *v, cJSON **j);
/* person's token id in v, or NULL (v may be NULL). */
const bg_token_desc_t *bg_chain_holds(const struct bg_vault *v,
    const char *person, const char *id);
/* Index of l's signature by person with token, or -1. */
int bg_chain_signed_with(const struct bg_chain_link *l, const char *person,
    const char *token);
/*
 * bg_chain_state_ok() for a state following old (NULL: a genesis): the
 * proofs of tokens old holds byte for byte were checked when they joined.
 */
int bg_chain_state_ok_after(const struct bg_vault *old,
    const struct bg_vault *v, char *why, size_t whysz);

#endif
