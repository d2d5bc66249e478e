/*
 * broker/chain/: governance (docs/design.md §5a, docs/ceremony.md
 * "Genesis and change requests"). Who may approve is itself approved.
 *
 * The governance state is vault.json without its sealed items: the
 * people and their tokens (public keys, proofs of possession), the
 * groups and thresholds, the requesters, the policy and the accounts.
 * Its canonical bytes are cJSON's unformatted print of that projection,
 * re-made from the parsed state, so two encodings of one state hash alike.
 *
 * chain/000000.json is the genesis, chain/<n>.json link n. Each holds a
 * state and the token signatures over the link message
 *
 *   m_n = SHA-256("breakglass/v1/chain-link" 0x00 || fp || u64be(n) ||
 *                 m_(n-1) || SHA-256("breakglass/v1/chain-state" 0x00 ||
 *                 state bytes))
 *
 * with fp and m_(-1) all zero for the genesis; the vault fingerprint fp
 * is m_0. Signatures are the tokens' Ed25519 signatures (token.h: the key
 * is derived from the token secret, so only a touch of that very token
 * makes it), checked with the public keys of the state they are in.
 *
 * Rules of a link (bg_chain_link_check):
 *  - its state passes bg_chain_state_ok();
 *  - genesis: signed by every token of every person;
 *  - link n >= 1: the same vault; signed by at least the old threshold
 *    of distinct members of EVERY group of the old state, each with a
 *    token they held there (stricter than DESIGN §5a, which asks only
 *    for the groups guarding an affected item: one rule, easy to audit);
 *    by every token the link adds (its proof of possession); and, for a
 *    person who gains a token while holding one, by a token they held.
 *
 * Every load walks the chain from genesis (no cache). Nothing here
 * touches a token: signing is the caller's.
 */
#ifndef BG_CHAIN_H
#define BG_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "broker/state/state.h"
#include "broker/vault/vault.h"

#define BG_CHAIN_DIR "chain"
#define BG_CHAIN_FORMAT "breakglass-chain-v1"
#define BG_CHAIN_LINKS_MAX 100000
#define BG_CHAIN_SIGS_MAX 512
#define BG_CHAIN_PATH_MAX 64

/* One token's signature over a link message. */
struct bg_chain_sig {
	char person[BG_NAME_MAX + 1];
	char token[2 * BG_TOKEN_ID_LEN + 1];
	uint8_t sig[BG_TOKEN_SIG_LEN];
};

/* A link: what chain/<n>.json and a change request hold. */
struct bg_chain_link {
	uint64_t n;
	uint8_t fp[32];		/* all zero for the genesis */
	uint8_t prev[32];	/* m_(n-1); all zero for the genesis */
	uint8_t nonce[16];	/* random per proposal: a signature of one
				 * change never fits another of the same
				 * state (a re-proposed or re-armed one) */
	struct bg_vault *state;	/* the governance state (no items) */
	uint8_t state_hash[32];
	uint8_t m[32];		/* the link message, what tokens sign */
	struct bg_chain_sig *sigs;
	size_t nsigs;
};

typedef struct bg_chain bg_chain_t;

/* ------------------------------------------------------------ states */

/*
 * The governance state of v, as a new vault (items dropped) and as the
 * hash of its canonical bytes. Either output may be NULL.
 */
int bg_chain_state_of(const struct bg_vault *v, struct bg_vault **state,
    uint8_t hash[32]);
/*
 * A state the chain may hold: the policy validates (thresholds of at
 * least 2, no person in two groups), every member of every group holds a
 * token, at least one account, no requester in a group, every token's
 * proof of possession verifies, and no token is enrolled twice (the same
 * credential, key or YubiKey slot under any name, in any encoding:
 * bg_token_desc_same). BG_EPERM with why.
 */
int bg_chain_state_ok(const struct bg_vault *v, char *why, size_t whysz);

/* ------------------------------------------------------------- links */

/*
 * A new unsigned link after prev_link (NULL: the genesis) to the
 * governance state of v. *out is the caller's: bg_chain_link_free().
 */
int bg_chain_link_new(const struct bg_chain_link *prev_link,
    const struct bg_vault *v, struct bg_chain_link **out);
void bg_chain_link_free(struct bg_chain_link **l);
/* Adds a signature (BG_EEXIST for the same person and token again). */
int bg_chain_link_sign(struct bg_chain_link *l, const char *person,
    const char *token, const uint8_t sig[BG_TOKEN_SIG_LEN]);
int bg_chain_link_to_json(const struct bg_chain_link *l, cJSON **j);
/* Strict parse; the message is recomputed, never read. */
int bg_chain_link_from_json(const cJSON *j, struct bg_chain_link **l);

/*
 * The rules above for l after old (NULL for the genesis, whose state
 * must then be l's; fp and prev as the chain has them). BG_OK; BG_ETAMPER
 * for a signature that does not verify, a signer who may not sign, or a
 * link that does not follow old; BG_EPERM when a signature is still
 * missing (why says whose). Signatures are checked with the public keys
 * of the state that holds each token.
 */
int bg_chain_link_check(const struct bg_vault *old, const uint8_t fp[32],
    const uint8_t prev[32], uint64_t n, const struct bg_chain_link *l,
    char *why, size_t whysz);

/*
 * Whose signatures l still lacks, in one line for people ("" when none):
 * what 'change status' shows.
 */
void bg_chain_missing(const struct bg_vault *old, const struct bg_chain_link *l,
    char *out, size_t outsz);

/* ------------------------------------------------------------- chain */

/*
 * Reads chain/000000.json, chain/000001.json, ... and checks every link
 * from genesis. BG_ENOENT when there is no genesis; BG_ETAMPER (why
 * naming the link) when a link does not verify.
 */
int bg_chain_load(const struct bg_state *st, bg_chain_t **c);
void bg_chain_free(bg_chain_t **c);
/*
 * The same walk over links given as a JSON array (what breakglassd sends
 * a client): every link checked from genesis. bg_chain_to_json gives
 * that array.
 */
int bg_chain_from_json(const cJSON *links, bg_chain_t **c);
int bg_chain_to_json(const bg_chain_t *c, cJSON **links);
/* Number of links (genesis included). */
uint64_t bg_chain_length(const bg_chain_t *c);
const uint8_t *bg_chain_fingerprint(const bg_chain_t *c);
/* m of the last link. */
const uint8_t *bg_chain_head(const bg_chain_t *c);
/* The last link (its state is the governance now). */
const struct bg_chain_link *bg_chain_last(const bg_chain_t *c);
/* Link i (0 = genesis), or NULL. */
const struct bg_chain_link *bg_chain_at(const bg_chain_t *c, uint64_t i);
/*
 * BG_OK when v's governance state is the head's; BG_ETAMPER ("vault.json
 * disagrees with the chain") otherwise.
 */
int bg_chain_check_vault(const bg_chain_t *c, const struct bg_vault *v);
/*
 * The token (person, token id) as the head records it, and 1 when the
 * chain holds that token's own signature (where it was added), else 0.
 */
int bg_chain_signed_by(const bg_chain_t *c, const char *person,
    const char *token);
/*
 * person's token id as the newest link holding it has it (a token id
 * keeps its keys for good), or NULL: for signatures made before a token
 * was removed.
 */
const bg_token_desc_t *bg_chain_token_ever(const bg_chain_t *c,
    const char *person, const char *id);
/* The file name of link n: chain/<n, 6 digits>.json. */
void bg_chain_path(uint64_t n, char out[BG_CHAIN_PATH_MAX]);

/* 64 hex digits of a hash, NUL-terminated. */
void bg_chain_hex(const uint8_t h[32], char out[65]);

#endif /* BG_CHAIN_H */
