/*
 * broker/vault/: the vault (docs/design.md §5.2, §7): accounts, people and
 * their tokens, the policy, and the sealed items, each item's current
 * version in one-time slots. vault.json holds all of it and no secret in
 * clear; each version's commitments file (versions/<root>.bin) is named
 * by its root, which the sealer's token signed.
 *
 * Construction (vault format v2):
 *  - An item version is sealed under a fresh key K. K is split into N
 *    one-time slots: per slot a fresh XOR split of K into one part per
 *    group the item needs, each part Shamir-split t of n among the
 *    group's members. Member x of a group gets one box per token holding
 *    their shares of every slot.
 *  - A request names one slot per item; an approval opens the approver's
 *    box and re-seals their share of that slot only (to the request key);
 *    a slot burns on its first approval. Shares of different slots never
 *    combine to K, so approvals given to different requests never pool.
 *  - Every box's label names the vault, account, item, version, epoch,
 *    group, x, person and token; the opener builds it from the signed
 *    request and the vault, never from the box's file.
 *  - There are no group keys: arming only checks that every member of
 *    every group holds a token and the policy passes its floor.
 *
 * The structs are the broker's own; no other module sees them.
 */
#ifndef BG_VAULT_H
#define BG_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/common.h"
#include "quorum/quorum.h"
#include "tokens/token.h"
#include "broker/state/state.h"

#define BG_VAULT_FORMAT "breakglass-vault-v2"
#define BG_VAULT_FILE "vault.json"
#define BG_VAULT_VERSIONS_DIR "versions"
#define BG_VAULT_ACCOUNTS_MAX 128	/* ~21 KiB each in vault.json */
#define BG_VAULT_PEOPLE_MAX 256
#define BG_VAULT_TOKENS_MAX 2		/* per person */
#define BG_VAULT_ITEM_MAX 4096		/* bytes of one item in clear */
#define BG_ACCOUNT_NAME_MAX 64
#define BG_EMAIL_MAX 254
#define BG_SEAL_SIG_LEN 64

enum bg_item_kind {
	BG_ITEM_PASSWORD = 1,	/* root-password: the password's bytes */
	BG_ITEM_TOTP = 2,	/* root-mfa: alg, digits, period, key */
	BG_ITEM_NOTE = 3,	/* a recovery note: text */
};

struct bg_vault_person {
	char name[BG_NAME_MAX + 1];
	int requester;		/* may open requests */
	bg_token_desc_t *tokens[BG_VAULT_TOKENS_MAX];
	size_t ntokens;
};

struct bg_v2_version;

/* An item: its current version, sealed into one-time slots. */
struct bg_vault_item {
	char name[BG_NAME_MAX + 1];
	enum bg_item_kind kind;
	uint64_t version;	/* 1, 2, ... per name */
	uint64_t sealed;	/* time of sealing */
	char sealer[BG_NAME_MAX + 1];			/* who sealed it */
	char sealer_token[2 * BG_TOKEN_ID_LEN + 1];	/* with this token */
	uint8_t sig[BG_SEAL_SIG_LEN];	/* the token's signature: seal message */
	struct bg_v2_version *ver;
};

struct bg_vault_account {
	char id[BG_ACCOUNT_MAX + 1];
	char name[BG_ACCOUNT_NAME_MAX + 1];
	char email[BG_EMAIL_MAX + 1];
	struct bg_vault_item *items;
	size_t nitems;
};

struct bg_vault {
	uint8_t id[16];
	char id_hex[33];
	uint64_t created;
	/* made by breakglassd for production ("deployment": "production",
	 * in the genesis the custodians sign); 0 a rehearsal vault */
	int production;
	bg_policy_t *policy;
	struct bg_vault_person *people;
	size_t npeople;
	struct bg_vault_account *accounts;
	size_t naccounts;
};

/* ----------------------------------------------------------- the file */

/* A new vault: fresh id, the default policy, no account. */
int bg_vault_new(struct bg_vault **v);
void bg_vault_free(struct bg_vault **v);
/*
 * Strict parse of vault.json (every key, type, length, name and
 * reference checked; BG_EFORMAT with bg_why() naming the place). A vault
 * of format v1 is refused with a message saying to set it up again.
 * Each version's commitments are not in the JSON: only their root;
 * bg_vault_load() reads them.
 */
int bg_vault_from_json(const cJSON *j, struct bg_vault **v);
int bg_vault_to_json(const struct bg_vault *v, cJSON **j);
/*
 * The references between the parts: accounts, people and items distinct;
 * every version record is its item's (account, name, version), its
 * members people of the vault with the tokens named, x = 1..n in order,
 * thresholds at least 2.
 */
int bg_vault_check(const struct bg_vault *v);
/*
 * Reads STATE/vault.json and each version's STATE/versions/<root>.bin,
 * checked against the root (BG_ETAMPER otherwise); BG_ENOENT before
 * 'breakglass init'.
 */
int bg_vault_load(const struct bg_state *st, struct bg_vault **v);
/* Writes the commitments files, then vault.json, ev recorded first. */
int bg_vault_save(struct bg_state *st, const struct bg_vault *v,
    const struct bg_audit_event *ev);

/* ------------------------------------------------------------- lookups */

struct bg_vault_account *bg_vault_account(const struct bg_vault *v,
    const char *id);
/* Exactly spelled; bg_vault_person_like() ignores case. */
struct bg_vault_person *bg_vault_person(const struct bg_vault *v,
    const char *name);
struct bg_vault_person *bg_vault_person_like(const struct bg_vault *v,
    const char *name);
struct bg_vault_item *bg_vault_item(const struct bg_vault_account *a,
    const char *name);
/* The index of desc's token id among p's tokens, or -1. */
int bg_vault_person_token(const struct bg_vault_person *p, const char *id);

/* ------------------------------------------------------------- editing */

/* BG_EEXIST for an id or (ignoring case) name already there. */
int bg_vault_add_account(struct bg_vault *v, const char *id,
    const char *name, const char *email);
/* Adds the person if new; sets requester when asked. */
int bg_vault_add_person(struct bg_vault *v, const char *name, int requester,
    struct bg_vault_person **out);
/*
 * Binds desc to person (ownership passes on BG_OK). BG_ETOOBIG beyond two
 * tokens, BG_EEXIST for a token already bound to anyone (the same token
 * as bg_token_desc_same sees it: id, keys, credential, YubiKey slot).
 */
int bg_vault_add_token(struct bg_vault *v, const char *person,
    bg_token_desc_t *desc);
/* Unbinds and frees p's token id (a lost key); BG_ENOENT. */
int bg_vault_remove_token(struct bg_vault *v, const char *person,
    const char *id);
/* Account names: 1..64 bytes of printable ASCII; e-mail: local@domain. */
int bg_vault_account_name_valid(const char *s);
int bg_vault_email_valid(const char *s);

/* ------------------------------------------------------------- sealing */

/*
 * Whether items can be sealed now: the policy passes bg_policy_validate()
 * and every member of every group the items need holds a token. BG_EPERM
 * with bg_why() (and why, when given) naming what is missing.
 */
int bg_vault_ready(const struct bg_vault *v, char *why, size_t whysz);

/*
 * Seals len bytes as item name of account a: a new version (1 for a new
 * item, the next one otherwise) in the policy's number of slots for the
 * members the policy names now. The item is not signed yet: the caller
 * has the sealer's token sign bg_vault_seal_message() and sets sealer,
 * sealer_token and sig before saving. *it points into a->items.
 */
int bg_vault_seal(struct bg_vault *v, struct bg_vault_account *a,
    const char *name, enum bg_item_kind kind, const uint8_t *data,
    size_t len, uint64_t now, struct bg_vault_item **it);
/* The version a new seal of name gets: the current one's plus one, or 1. */
uint64_t bg_vault_next_version(const struct bg_vault_account *a,
    const char *name);
/*
 * Puts item in (its version the next one) into a, in place of the
 * current version; takes in's version record (in is zeroed).
 */
int bg_vault_put_item(struct bg_vault_account *a, struct bg_vault_item *in);
/* One item as vault.json has it (its commitments are a file apart). */
int bg_vault_item_to_json(const struct bg_vault_item *it, cJSON **j);
int bg_vault_item_from_json(const cJSON *j, const char *account,
    struct bg_vault_item *it);
/*
 * What the sealer's token signs: SHA-256 over a tag, the item version's
 * label, the sealer's name, SHA-256 of the sealed value's ciphertext, the
 * key commitment and the commitments root.
 */
int bg_vault_seal_message(const struct bg_vault *v,
    const struct bg_vault_item *it, const char *sealer, uint8_t msg[32]);
/*
 * BG_OK when it was sealed by a person of the vault with the token named,
 * its signature verifies over bg_vault_seal_message(), and its record is
 * the item's own (account, name, version); BG_ETAMPER otherwise.
 */
int bg_vault_item_verify(const struct bg_vault *v,
    const struct bg_vault_account *a, const struct bg_vault_item *it);
/* The group index of name in the version, or -1. */
int bg_vault_item_group(const struct bg_vault_item *it, const char *name);

/* ============================================ v2 item versions (§5.2) */

/*
 * docs/design.md §5.2: an item version sealed into one-time slots. The
 * vault's id stands for the fingerprint until governance (§5.4).
 */
#define BG_V2_BOX_LEN(nslots) \
	((size_t)(nslots) * BG_SLOT_KEY_LEN + BG_BOX_OVERHEAD)

struct bg_v2_member {
	char person[BG_NAME_MAX + 1];
	uint8_t x;				/* 1..n, policy order */
	char token[BG_VAULT_TOKENS_MAX][2 * BG_TOKEN_ID_LEN + 1];
	uint8_t *box[BG_VAULT_TOKENS_MAX];	/* BG_V2_BOX_LEN bytes */
	size_t ntokens;
};

/*
 * A group of a version: its members and their boxes. epoch is the
 * version's at sealing and grows by one at each rekey of this group
 * (resharing, docs/ceremony.md); a reshared group's shares have no
 * sealer's share commitments, only the part commitments check them.
 */
struct bg_v2_group {
	char name[BG_NAME_MAX + 1];
	unsigned t;
	uint64_t epoch;
	struct bg_v2_member *m;
	size_t n;
};

struct bg_v2_version {
	char account[BG_ACCOUNT_MAX + 1];
	char item[BG_NAME_MAX + 1];
	uint64_t version, epoch;
	uint32_t nslots;
	struct bg_v2_group g[BG_SLOT_GROUPS_MAX];	/* the item's groups */
	size_t ng;
	uint8_t *data;		/* nonce || AES-256-GCM(K, value) || tag */
	size_t data_len;
	uint8_t *commitments;	/* the binary commitments file */
	size_t commitments_len;
	uint8_t root[32];	/* its root: what the sealer signs */
};

/*
 * Seals len bytes as version of item of account a in nslots slots for the
 * members the policy names now (each needs a token; thresholds below 2
 * are refused). *out is the caller's: bg_v2_version_free().
 */
int bg_v2_seal(const struct bg_vault *v, const struct bg_vault_account *a,
    const char *item, uint64_t version, uint32_t nslots,
    const uint8_t *value, size_t len, struct bg_v2_version **out);
void bg_v2_version_free(struct bg_v2_version **ver);
/*
 * What the caller trusts about a version record: the coordinates the
 * signed request names and the commitments root the sealer signed. A
 * record that differs is refused (BG_ETAMPER) before anything is opened.
 */
struct bg_v2_expect {
	const char *account, *item;
	uint64_t version;
	const uint8_t *root;	/* 32 bytes */
};
/*
 * Member x of the version's group g opens their box for token tok with
 * that token's key and takes their share of slot (locked memory of the
 * caller), checked against its commitment (BG_ETAMPER).
 */
int bg_v2_take_share(const struct bg_vault *v, const struct bg_v2_version *ver,
    const struct bg_v2_expect *want, size_t g, uint8_t x, size_t tok,
    const uint8_t tokpriv[32], uint32_t slot, uint8_t share[BG_SLOT_KEY_LEN]);

/*
 * The same box whole: every slot's share (nslots * BG_SLOT_KEY_LEN bytes,
 * the caller's locked memory), not checked (rekey checks the parts).
 */
int bg_v2_open_box(const struct bg_vault *v, const struct bg_v2_version *ver,
    const struct bg_v2_expect *want, size_t g, uint8_t x, size_t tok,
    const uint8_t tokpriv[32], uint8_t *vec);
/*
 * Seals vector (every slot's share of member m of group g, at g's epoch)
 * into m->box[t] for each of m's tokens, which are the person's, in order.
 */
int bg_v2_seal_member(const struct bg_vault *v, const struct bg_v2_version *ver,
    const struct bg_v2_group *g, struct bg_v2_member *m,
    const uint8_t *vector);

/*
 * BG_OK when share is member x's of slot in group g as the sealer
 * committed (always, for a reshared group: it has no share commitments).
 */
int bg_v2_check_share(const struct bg_vault *v, const struct bg_v2_version *ver,
    size_t g, uint8_t x, uint32_t slot, const uint8_t share[BG_SLOT_KEY_LEN]);

/* One group's shares of one slot. */
struct bg_v2_shares {
	const uint8_t *xs;
	const uint8_t *const *ys;
	unsigned k;
};
/*
 * The value, from per_group[g] (t of each group's shares of slot): every
 * share, every part and K checked against the commitments (BG_ETAMPER
 * names what failed), then decrypted. *out is locked memory of *outlen + 1
 * bytes (NUL-terminated): bg_secure_free(out, *outlen + 1).
 */
int bg_v2_open(const struct bg_vault *v, const struct bg_v2_version *ver,
    const struct bg_v2_expect *want, uint32_t slot,
    const struct bg_v2_shares *per_group, uint8_t **out, size_t *outlen);

const char *bg_item_kind_str(enum bg_item_kind kind);

/* JSON helpers shared by vault.json and the request files. */
int bg_vjson_add_b64(cJSON *o, const char *key, const uint8_t *data,
    size_t len);
/* RFC 3339 seconds; t == 0 is written as "". */
int bg_vjson_add_time(cJSON *o, const char *key, uint64_t t);
/* "" is 0 when optional; errors name where. */
int bg_vjson_get_time(const cJSON *o, const char *key, int optional,
    uint64_t *t, const char *where);
/* A name (bg_name_valid) at key, copied to out; BG_EFORMAT otherwise. */
int bg_vjson_get_name(const cJSON *o, const char *key,
    char out[BG_NAME_MAX + 1]);
/* A new object filled by fill(obj, *j); nothing is left on failure. */
int bg_vjson_build(int (*fill)(const void *obj, cJSON *j), const void *obj,
    cJSON **j);
/* Appends a new object to array; *o belongs to the array. */
int bg_vjson_push_obj(cJSON *array, cJSON **o);
/*
 * Calls fn for each object of the array o[key] (at most max), counting
 * into *n (when not NULL) before each call so a partly read element is
 * freed with the rest.
 */
int bg_vjson_each(const cJSON *o, const char *key, size_t max,
    const char *where, int (*fn)(void *ctx, const cJSON *e, size_t i),
    void *ctx, size_t *n);

#endif /* BG_VAULT_H */
