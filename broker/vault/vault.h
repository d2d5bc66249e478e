/*
 * broker/vault/: the vault (docs/design.md §5.1, §7): accounts, people and their
 * tokens, the policy, each (account, group) key pair split into Shamir
 * shares encrypted to tokens, and the sealed items. vault.json holds all
 * of it and no secret in clear.
 *
 * Construction:
 *  - Each account has one X25519 key pair per custodian group, so a
 *    quorum for one account opens nothing of another. The private key
 *    exists only as shares: bg_shamir_split over its 32 bytes, share x of
 *    a person sealed (bg_box_seal, label "share") to each of their tokens,
 *    with a commitment (bg_share_commit) naming a bad share.
 *  - An item is sealed under a fresh item key pair (label "item"); the
 *    item private key is split by XOR into one part per group the item
 *    needs, each part sealed to that group's public key (label
 *    "item-key"). Opening needs every one of those groups; sealing needs
 *    only public keys.
 *  - Every box's AAD names the vault, account, group or item, version or
 *    epoch, and person and x for shares, so no box can be moved.
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

#define BG_VAULT_FORMAT "breakglass-vault-v1"
#define BG_VAULT_FILE "vault.json"
#define BG_VAULT_ACCOUNTS_MAX 64
#define BG_VAULT_PEOPLE_MAX 256
#define BG_VAULT_TOKENS_MAX 2		/* per person */
#define BG_VAULT_ITEM_MAX 4096		/* bytes of one item in clear */
#define BG_ACCOUNT_NAME_MAX 64
#define BG_EMAIL_MAX 254
#define BG_SHARE_LEN 32
#define BG_SHARE_BOX_LEN (BG_SHARE_LEN + BG_BOX_OVERHEAD)
#define BG_ITEM_KEY_BOX_LEN (32 + BG_BOX_OVERHEAD)

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

struct bg_vault_share {
	char person[BG_NAME_MAX + 1];
	uint8_t x;
	uint8_t commit[BG_COMMIT_LEN];
	char token[BG_VAULT_TOKENS_MAX][2 * BG_TOKEN_ID_LEN + 1];
	uint8_t box[BG_VAULT_TOKENS_MAX][BG_SHARE_BOX_LEN];
	size_t nbox;
};

/* One (account, group) key pair, armed. */
struct bg_vault_gkey {
	char group[BG_NAME_MAX + 1];
	unsigned threshold;
	uint64_t epoch;		/* 1 at arming, +1 per new key */
	uint8_t pub[32];
	struct bg_vault_share *shares;
	size_t nshares;
};

struct bg_item_key {
	char group[BG_NAME_MAX + 1];
	uint64_t epoch;		/* of the group key it is sealed to */
	uint8_t box[BG_ITEM_KEY_BOX_LEN];
};

struct bg_vault_item {
	char name[BG_NAME_MAX + 1];
	enum bg_item_kind kind;
	uint64_t version;	/* 1, 2, ... per name */
	uint64_t sealed;	/* time of sealing */
	uint64_t released;	/* time of the last release, 0 never */
	int needs_rotation;	/* released since sealed */
	uint8_t *data;		/* box of the item's bytes */
	size_t data_len;
	struct bg_item_key keys[BG_POLICY_GROUPS_MAX];
	size_t nkeys;
};

struct bg_vault_account {
	char id[BG_ACCOUNT_MAX + 1];
	char name[BG_ACCOUNT_NAME_MAX + 1];
	char email[BG_EMAIL_MAX + 1];
	struct bg_vault_gkey *keys;
	size_t nkeys;
	struct bg_vault_item *items;
	size_t nitems;
};

struct bg_vault {
	uint8_t id[16];
	char id_hex[33];
	uint64_t created;
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
 * reference checked; BG_EFORMAT with bg_why() naming the place).
 */
int bg_vault_from_json(const cJSON *j, struct bg_vault **v);
int bg_vault_to_json(const struct bg_vault *v, cJSON **j);
/*
 * The references between the parts: every key's group in the policy,
 * every share holder a person with the token named, x and holders
 * distinct, at least threshold shares; accounts and people distinct.
 */
int bg_vault_check(const struct bg_vault *v);
/* Reads STATE/vault.json; BG_ENOENT before 'breakglass init'. */
int bg_vault_load(const struct bg_state *st, struct bg_vault **v);
/* Writes it, ev recorded first (bg_state_write). */
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
struct bg_vault_gkey *bg_vault_gkey(const struct bg_vault_account *a,
    const char *group);
struct bg_vault_item *bg_vault_item(const struct bg_vault_account *a,
    const char *name);
struct bg_vault_share *bg_vault_share(const struct bg_vault_gkey *k,
    const char *person);
/* The index of desc's token id among p's tokens, or -1. */
int bg_vault_person_token(const struct bg_vault_person *p, const char *id);
/* The box in s sealed to p's token tok (an index of p's tokens), or -1. */
int bg_vault_share_box(const struct bg_vault_share *s,
    const struct bg_vault_person *p, size_t tok);

/* ------------------------------------------------------------- editing */

/* BG_EEXIST for an id or (ignoring case) name already there. */
int bg_vault_add_account(struct bg_vault *v, const char *id,
    const char *name, const char *email);
/* Adds the person if new; sets requester when asked. */
int bg_vault_add_person(struct bg_vault *v, const char *name, int requester,
    struct bg_vault_person **out);
/*
 * Binds desc to person (ownership passes on BG_OK). BG_ETOOBIG beyond two
 * tokens, BG_EEXIST for a token already bound to anyone.
 */
int bg_vault_add_token(struct bg_vault *v, const char *person,
    bg_token_desc_t *desc);
/* Account names: 1..64 bytes of printable ASCII; e-mail: local@domain. */
int bg_vault_account_name_valid(const char *s);
int bg_vault_email_valid(const char *s);

/* ---------------------------------------------------------- group keys */

/*
 * Arms every (account, group) without a key: a fresh key pair, split
 * t of n among the group's members, each share sealed to each of the
 * member's tokens; the private key is wiped. Validates the policy first;
 * BG_EPERM with bg_why() naming the member without a token or the policy
 * problem. *armed counts the keys made (0: nothing to do).
 */
int bg_vault_arm(struct bg_vault *v, size_t *armed);

/*
 * Re-splits the group key of account whose private key is priv (checked
 * against the stored public key: BG_ETAMPER otherwise) for the group's
 * current members and threshold. With new_key, a fresh key pair replaces
 * it and every item part sealed to the old key is re-sealed to the new
 * one (opened with priv), so shares made before are useless.
 */
int bg_vault_resplit(struct bg_vault *v, struct bg_vault_account *a,
    const char *group, const uint8_t priv[32], int new_key);

/* The people holding a share of k who are no longer in the group. */
size_t bg_vault_stale_holders(const struct bg_vault *v,
    const struct bg_vault_gkey *k, const char **names, size_t max);

/*
 * Opens person's share of (account, group) with a token key (that of
 * token id tok) and checks its commitment. share gets BG_SHARE_LEN bytes
 * (caller's locked memory), *x its x.
 */
int bg_vault_share_open(const struct bg_vault *v,
    const struct bg_vault_account *a, const struct bg_vault_gkey *k,
    const struct bg_vault_share *s, size_t box, const uint8_t tokpriv[32],
    uint8_t share[BG_SHARE_LEN]);
/* BG_OK when share is the one committed for (k, s); BG_ETAMPER if not. */
int bg_vault_share_check(const struct bg_vault *v, const struct bg_vault_gkey *k,
    uint8_t x, const uint8_t share[BG_SHARE_LEN]);
/*
 * Combines shares (xs[i], ys[i]) of k into priv (locked memory) and
 * checks priv's public key against k's: BG_ETAMPER when it differs.
 */
int bg_vault_combine(const struct bg_vault_gkey *k, const uint8_t *xs,
    const uint8_t *const *ys, unsigned n, uint8_t priv[32]);

/* --------------------------------------------------------------- items */

/*
 * Seals len bytes as item name of account a (a new version when it
 * exists; needs_rotation cleared). The groups are those the policy names
 * for the item; each must be armed for a (BG_EPERM otherwise).
 */
int bg_vault_seal(struct bg_vault *v, struct bg_vault_account *a,
    const char *name, enum bg_item_kind kind, const uint8_t *data,
    size_t len, uint64_t now);

/* A group's private key, as a ceremony recovered it. */
struct bg_group_priv {
	const char *group;
	const uint8_t *priv;	/* 32 bytes */
};

/*
 * Opens item it of a with the group keys given (each group the item
 * needs must be among them: BG_EPERM otherwise). *out is locked memory of
 * *outlen bytes (+1, NUL-terminated), freed by the caller with
 * bg_secure_free(out, *outlen + 1).
 */
int bg_vault_open_item(const struct bg_vault *v,
    const struct bg_vault_account *a, const struct bg_vault_item *it,
    const struct bg_group_priv *keys, size_t nkeys, uint8_t **out,
    size_t *outlen);

/* ============================================ v2 item versions (§5.2) */

/*
 * docs/design.md §5.2: an item version sealed into one-time slots. Built
 * and tested on its own; vault.json and the ceremony do not use it yet.
 * The vault's id stands for the fingerprint until governance (§5.4).
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

struct bg_v2_group {
	char name[BG_NAME_MAX + 1];
	unsigned t;
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
