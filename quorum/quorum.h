/*
 * quorum: Shamir secret sharing, share commitments, custodian-group
 * policies, approval statements and request objects (docs/design.md §5).
 *
 * Knows nothing of tokens, vaults or files.
 */
#ifndef BG_QUORUM_H
#define BG_QUORUM_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define BG_SHAMIR_MAX 255	/* shares per secret (x = 1..255) */
#define BG_SHAMIR_SECRET_MAX 64	/* bytes per secret */
#define BG_COMMIT_LEN 32

/*
 * Splits secret (len bytes) into n shares with threshold t, byte-wise over
 * GF(2^8) with the AES polynomial x^8+x^4+x^3+x+1; share i (0-based) has
 * x = i + 1 and its len bytes at shares + i * len. 1 <= t <= n <= 255;
 * t == 1 makes every share the secret itself. Random coefficients from
 * RAND_bytes, wiped after use. BG_ERANGE for a bad t or n.
 */
int bg_shamir_split(const uint8_t *secret, size_t len, unsigned t, unsigned n,
    uint8_t *shares);

/*
 * Lagrange interpolation at x of k points (xs[i], ys[i]), each ys[i] of
 * len bytes. The xs must be distinct (BG_EINVAL otherwise). With x = 0 and
 * k >= t shares of one split this recovers the secret; fewer give an
 * unrelated value (which only a commitment or a derived public key can
 * tell). Constant time in the data.
 */
int bg_shamir_interpolate(const uint8_t *xs, const uint8_t *const *ys,
    unsigned k, size_t len, uint8_t x, uint8_t *out);

/* The secret (interpolation at 0); xs must be non-zero and distinct. */
int bg_shamir_combine(const uint8_t *xs, const uint8_t *const *ys,
    unsigned k, size_t len, uint8_t *secret);

/*
 * Resharing without a dealer (docs/design.md §5.2): holder xi, one of the
 * k distinct non-zero xs of S, turns its share (len bytes) into n2 pieces
 * of a t2-of-n2 split of lambda_i * share (pieces + j * len for new x =
 * j + 1; the caller's locked memory). BG_EINVAL when xi is not in xs.
 */
int bg_shamir_reshare(const uint8_t *xs, unsigned k, uint8_t xi,
    const uint8_t *share, size_t len, unsigned t2, unsigned n2,
    uint8_t *pieces);
/* A new member's share: the XOR of the k pieces addressed to it. */
void bg_shamir_reshare_join(const uint8_t *const *pieces, unsigned k,
    size_t len, uint8_t *share);

/*
 * Share commitment: SHA-256("breakglass/v1/share-commitment" || 0x00 ||
 * vault_id(16) || len(group) (1 byte) || group || x || share), so a bad
 * share is named before combining.
 */
int bg_share_commit(const uint8_t vault_id[16], const char *group, uint8_t x,
    const uint8_t *share, size_t len, uint8_t out[BG_COMMIT_LEN]);

/* GF(2^8) product (exposed for tests); constant time. */
uint8_t bg_gf256_mul(uint8_t a, uint8_t b);

/* ================================================ one-time slots (v2) */

/*
 * docs/design.md §5.2. An item version's key K (32 bytes) is split into
 * nslots one-time slots. For slot j: a fresh XOR split K = A_{0,j} xor
 * ... xor A_{G-1,j}, one part per group the item needs, and each part
 * Shamir-split t_g of n_g. An approval reveals one member's share of one
 * slot; parts of different slots are independent, so shares of different
 * slots never combine to K.
 */
#define BG_SLOT_KEY_LEN 32
#define BG_SLOTS_MAX 256		/* slots per item version */
#define BG_SLOTS_DEFAULT 32
#define BG_SLOT_GROUPS_MAX 8		/* groups one item needs */
#define BG_LABEL_MAX 1024
#define BG_COMMITMENTS_MAX (4u << 20)	/* bytes of a commitments file */

/*
 * A label: what a box or a commitment is bound to, as a tag followed by
 * fields, each length-prefixed (u16, big-endian) or fixed-width (u64), so
 * no two field lists give the same bytes. A field that does not fit marks
 * the label bad; bg_label_ok() says so (BG_ETOOBIG) and every user of a
 * bad label refuses it.
 */
struct bg_label {
	uint8_t b[BG_LABEL_MAX];
	size_t len;
	int bad;
};
void bg_label_init(struct bg_label *l, const char *tag);
void bg_label_str(struct bg_label *l, const char *s);
void bg_label_bin(struct bg_label *l, const void *p, size_t n);
void bg_label_u64(struct bg_label *l, uint64_t v);
int bg_label_ok(const struct bg_label *l);

/* A group an item needs: threshold t of n members (x = 1..n). */
struct bg_slot_group {
	unsigned t, n;
};

/*
 * Splits key into nslots fresh slots for ngroups groups. shares[g] (the
 * caller's locked memory, n_g * nslots * 32 bytes) gets member x's shares
 * of every slot, contiguous per member (one box each): see
 * bg_slot_share_at(). parts (ngroups * nslots * 32 bytes, locked; may be
 * NULL) gets the XOR parts for the part commitments: bg_slot_part_at().
 * BG_ERANGE for a bad count or threshold.
 */
int bg_slots_split(const uint8_t key[BG_SLOT_KEY_LEN],
    const struct bg_slot_group *groups, size_t ngroups, size_t nslots,
    uint8_t *const *shares, uint8_t *parts);
/* Member x's (1-based) share of slot j within one group's vectors. */
uint8_t *bg_slot_share_at(uint8_t *shares, size_t nslots, uint8_t x,
    size_t j);
/* Group g's part of slot j. */
uint8_t *bg_slot_part_at(uint8_t *parts, size_t nslots, size_t g, size_t j);
/* key = parts[0] xor ... xor parts[nparts-1] (one slot's parts). */
void bg_slots_join(const uint8_t *const *parts, size_t nparts,
    uint8_t key[BG_SLOT_KEY_LEN]);

/*
 * Commitments, each SHA-256 over its own tag, the item version's label,
 * (slot, group[, x]) and the value: of K, of group g's part of a slot,
 * and of member x's share of a slot.
 */
int bg_slot_key_commit(const struct bg_label *version,
    const uint8_t key[BG_SLOT_KEY_LEN], uint8_t out[BG_COMMIT_LEN]);
int bg_slot_part_commit(const struct bg_label *version, uint32_t slot,
    uint8_t group, const uint8_t part[BG_SLOT_KEY_LEN],
    uint8_t out[BG_COMMIT_LEN]);
int bg_slot_share_commit(const struct bg_label *version, uint32_t slot,
    uint8_t group, uint8_t x, const uint8_t share[BG_SLOT_KEY_LEN],
    uint8_t out[BG_COMMIT_LEN]);

/*
 * What a box of an item version is bound to (docs/design.md §5.2). The
 * opener builds the label from signed data and the vault's membership,
 * never from the box's own file.
 */
struct bg_slot_box_id {
	const uint8_t *vault;	/* the vault's fingerprint (or id) */
	size_t vault_len;
	const char *account, *item;
	uint64_t version, epoch;
	const char *group;	/* member boxes and approvals */
	uint8_t x;		/* the member's x, 1..255 */
	const char *person, *token;
	uint32_t nslots;	/* member boxes */
};
/* The item version: vault, account, item, version, epoch. */
int bg_slot_version_label(const struct bg_slot_box_id *id,
    struct bg_label *l);
/* Member x's box of all its shares: version, group, x, person, token, N. */
int bg_slot_box_label(const struct bg_slot_box_id *id, struct bg_label *l);
/* One share re-sealed to a request key: request hash, version, slot,
 * group, x, person, token. */
int bg_slot_approval_label(const struct bg_slot_box_id *id,
    const uint8_t rqhash[32], uint32_t slot, struct bg_label *l);

/*
 * All commitments of one item version, and their binary file
 * (quorum/commitments.c gives the layout). The sealer signs its root.
 */
typedef struct bg_commitments bg_commitments_t;
/* From a split: shares and parts as bg_slots_split() laid them out. */
int bg_commitments_make(const struct bg_label *version,
    const uint8_t key[BG_SLOT_KEY_LEN], const struct bg_slot_group *groups,
    size_t ngroups, uint32_t nslots, const uint8_t *const *shares,
    const uint8_t *parts, bg_commitments_t **out);
/* *buf is the caller's to free(). */
int bg_commitments_encode(const bg_commitments_t *c, uint8_t **buf,
    size_t *len);
/* Strict: exact length, counts and thresholds in range (BG_EFORMAT). */
int bg_commitments_decode(const uint8_t *buf, size_t len,
    bg_commitments_t **out);
int bg_commitments_root(const uint8_t *buf, size_t len, uint8_t root[32]);
void bg_commitments_free(bg_commitments_t **c);
uint32_t bg_commitments_nslots(const bg_commitments_t *c);
/* The key commitment (BG_COMMIT_LEN bytes, owned by c). */
const uint8_t *bg_commitments_key(const bg_commitments_t *c);
size_t bg_commitments_ngroups(const bg_commitments_t *c);
struct bg_slot_group bg_commitments_group(const bg_commitments_t *c,
    size_t g);
/* BG_OK when the value is the one committed, BG_ETAMPER if not. */
int bg_commitments_check_share(const bg_commitments_t *c,
    const struct bg_label *version, size_t g, uint8_t x, uint32_t slot,
    const uint8_t share[BG_SLOT_KEY_LEN]);
int bg_commitments_check_part(const bg_commitments_t *c,
    const struct bg_label *version, size_t g, uint32_t slot,
    const uint8_t part[BG_SLOT_KEY_LEN]);
int bg_commitments_check_key(const bg_commitments_t *c,
    const struct bg_label *version, const uint8_t key[BG_SLOT_KEY_LEN]);

/* ================================================================ names */

/*
 * Names of people, groups and items, shared by policies, approval
 * statements and requests: 1..BG_NAME_MAX bytes of [A-Za-z0-9._@-],
 * starting with a letter or digit. No space, so a name is one token of a
 * statement line; no control or non-ASCII byte, so a name cannot move a
 * terminal's cursor or hide behind a look-alike letter; no leading '.' or
 * '-', so a name is never "..", a hidden file or a command-line option.
 *
 * Two names that differ only in ASCII case are one name wherever treating
 * them as two could hide one person behind two spellings: duplicate
 * checks, distinct approvers, the requester. Where a name grants something
 * (membership of a group, the group an item needs) it must match exactly.
 */
#define BG_NAME_MAX 64
#define BG_ACCOUNT_MAX 64	/* account ids: [0-9A-Za-z-] */
#define BG_REQUEST_ID_LEN 32	/* request ids: lower-case hex */

/* 1 when s is a valid name, account id or request id; 0 otherwise. */
int bg_name_valid(const char *s);
int bg_account_valid(const char *s);
int bg_request_id_valid(const char *s);
/* 1 when a and b are the same name ignoring ASCII case. */
int bg_name_same(const char *a, const char *b);

/*
 * Times in statements and requests: RFC 3339 UTC with second precision,
 * exactly "YYYY-MM-DDTHH:MM:SSZ", years 1970..9999, no leap second.
 * t counts seconds since 1970-01-01T00:00:00Z.
 */
#define BG_RFC3339_LEN 20
#define BG_TIME_MAX UINT64_C(253402300799)	/* 9999-12-31T23:59:59Z */
int bg_rfc3339_format(uint64_t t, char out[BG_RFC3339_LEN + 1]);
/* Exactly len bytes; anything else is BG_EFORMAT. */
int bg_rfc3339_parse(const char *s, size_t len, uint64_t *t);
/* An audit entry's time ("YYYY-MM-DDTHH:MM:SS.mmmZ") to whole seconds. */
int bg_rfc3339_entry_parse(const char *s, uint64_t *t);

/* ============================================================== policies */

/*
 * A policy (docs/design.md §2.1): custodian groups, each with a threshold t and its
 * members; items (root-password, root-mfa, notes) and the groups each
 * needs; how long a request lives; an optional time lock between quorum
 * and release; and a self-approval switch that is kept in the JSON form
 * for older files but may never be on.
 *
 * The policy floor (docs/design.md §5.2): every t >= 2; no person in two
 * groups; no requester in any group (every requester may request every
 * item, so their own share would count toward their own request,
 * offline); self-approval off. Requesters are not part of the policy (the
 * vault knows them): bg_policy_requester_check() judges one person.
 *
 * Parsing and editing check syntax and bounds only, so a template without
 * members (bg_policy_default) or an older file with a threshold of 1 can
 * be stored and fixed; bg_policy_validate() judges the whole and must pass
 * before a policy guards anything. bg_policy_quorum_met() does not trust
 * the policy it is given: it re-checks membership, distinct people, the
 * thresholds and the requester itself.
 */
typedef struct bg_policy bg_policy_t;

#define BG_POLICY_FORMAT "breakglass-policy-v1"
#define BG_POLICY_GROUPS_MAX 16
#define BG_POLICY_MEMBERS_MAX 64	/* per group */
#define BG_POLICY_ITEMS_MAX 32
#define BG_POLICY_APPROVALS_MAX 1024	/* per bg_policy_quorum_met() call */
#define BG_POLICY_EXPIRY_MIN 300		/* 5 minutes */
#define BG_POLICY_EXPIRY_MAX 604800		/* 7 days */
#define BG_POLICY_EXPIRY_DEFAULT 14400		/* 4 hours */
#define BG_POLICY_TIMELOCK_MAX 259200		/* 72 hours */
#define BG_POLICY_SLOTS_MIN 4			/* slots per item version */

/*
 * The template: groups "password" and "mfa" (threshold 2, no members yet),
 * items "root-password" needing "password" and "root-mfa" needing "mfa",
 * requests expiring after 4 hours, no time lock, no self-approval. It does
 * not validate until each group has members. Caller frees *p with
 * bg_policy_free().
 */
int bg_policy_default(bg_policy_t **p);
/* Accepts NULL; sets *p to NULL. */
void bg_policy_free(bg_policy_t **p);

/*
 * Strict parse of the JSON form (docs: see bg_policy_to_json): every key
 * required, unknown keys, wrong types, bad names and out-of-range numbers
 * are BG_EFORMAT or BG_ERANGE with bg_why() naming the field. Caller frees
 * *p with bg_policy_free(). Does not validate.
 */
int bg_policy_from_json(const cJSON *j, bg_policy_t **p);
/*
 * The JSON form, keys in this order:
 *   {"format":"breakglass-policy-v1",
 *    "groups":[{"name":"password","threshold":2,"members":["alice","bob"]},..],
 *    "items":[{"name":"root-password","groups":["password"]},..],
 *    "request_expiry_seconds":14400,"timelock_seconds":0,
 *    "self_approval":false,"slots":32}
 * Caller cJSON_Delete()s *j.
 */
int bg_policy_to_json(const bg_policy_t *p, cJSON **j);

/*
 * Judges the policy. On failure (BG_EINVAL) why holds one sentence naming
 * the group, person or item at fault (also in bg_why()): among others a
 * threshold below 2 and self-approval on. On BG_OK why holds the
 * warnings, one per line, or "" when there are none; callers show them.
 * why may be NULL when whysz is 0; longer text is truncated.
 */
int bg_policy_validate(const bg_policy_t *p, char *why, size_t whysz);

/* Why self-approval is refused, for every place that says so. */
#define BG_POLICY_NO_SELF_APPROVAL "a requester may never be a member of a " \
    "group guarding what they request (their own share would count " \
    "offline), so they have no approval to give"

/*
 * Only the floor of the policy itself: self-approval off, then every
 * threshold at least 2 (BG_EPERM, why and bg_why() in the words
 * bg_policy_validate() uses). For a policy that must stay within the floor
 * while other problems are only flagged (an armed vault).
 */
int bg_policy_check_floor(const bg_policy_t *p, char *why, size_t whysz);

/*
 * BG_EPERM when person, a requester, is (ignoring case) a member of one of
 * groups[0..ngroups) (names of p's groups, e.g. those a request needs), or
 * of any group of p when groups is NULL: why and bg_why() name the group.
 * BG_EINVAL for bad arguments or a group p does not define.
 */
int bg_policy_requester_check(const bg_policy_t *p, const char *person,
    const char *const *groups, size_t ngroups, char *why, size_t whysz);

/*
 * Editing. Names must be valid (BG_EINVAL); BG_EEXIST for a group already
 * there or a member already in that group (ignoring case), BG_ENOENT for
 * an unknown group, BG_ETOOBIG when a table is full, BG_ERANGE for a
 * threshold outside 1..BG_POLICY_MEMBERS_MAX or a duration out of bounds.
 * bg_policy_set_item() adds the item or replaces the groups it needs.
 * A threshold of 1 and self-approval on are stored (as older files hold
 * them) and refused by bg_policy_validate().
 */
int bg_policy_add_group(bg_policy_t *p, const char *group, unsigned threshold);
int bg_policy_set_threshold(bg_policy_t *p, const char *group,
    unsigned threshold);
int bg_policy_add_member(bg_policy_t *p, const char *group,
    const char *person);
int bg_policy_remove_member(bg_policy_t *p, const char *group,
    const char *person);
int bg_policy_set_item(bg_policy_t *p, const char *item,
    const char *const *groups, size_t ngroups);
int bg_policy_set_expiry(bg_policy_t *p, uint64_t seconds);
int bg_policy_set_timelock(bg_policy_t *p, uint64_t seconds);
int bg_policy_set_self_approval(bg_policy_t *p, int on);

/*
 * Accessors. Indexes count from 0 in policy order; out of range gives NULL
 * or 0. Returned strings belong to p and live until it is edited or freed.
 */
size_t bg_policy_ngroups(const bg_policy_t *p);
const char *bg_policy_group_name(const bg_policy_t *p, size_t g);
unsigned bg_policy_group_threshold(const bg_policy_t *p, size_t g);
size_t bg_policy_group_nmembers(const bg_policy_t *p, size_t g);
const char *bg_policy_group_member(const bg_policy_t *p, size_t g, size_t m);
/* 1 when person is, spelled exactly so, a member of group. */
int bg_policy_is_member(const bg_policy_t *p, const char *group,
    const char *person);
size_t bg_policy_nitems(const bg_policy_t *p);
const char *bg_policy_item_name(const bg_policy_t *p, size_t i);
size_t bg_policy_item_ngroups(const bg_policy_t *p, size_t i);
const char *bg_policy_item_group(const bg_policy_t *p, size_t i, size_t k);
uint64_t bg_policy_expiry(const bg_policy_t *p);	/* seconds */
uint64_t bg_policy_timelock(const bg_policy_t *p);	/* seconds */
/* One-time slots per sealed item version (docs/design.md §5.2). */
uint32_t bg_policy_slots(const bg_policy_t *p);
/* BG_ERANGE outside BG_POLICY_SLOTS_MIN..BG_SLOTS_MAX. */
int bg_policy_set_slots(bg_policy_t *p, uint32_t slots);
int bg_policy_self_approval(const bg_policy_t *p);	/* 1 on, 0 off */

/*
 * The groups a ceremony releasing items[0..nitems) needs: the union of
 * the groups each item needs, once each, in policy order. groups[] gets
 * pointers into p (at most maxgroups; BG_ETOOBIG beyond). An item the
 * policy does not name, an item listed twice, or no item at all is
 * BG_EINVAL, and so is an item naming a group the policy lacks: there is
 * no default for an unknown item.
 */
int bg_policy_groups_for_items(const bg_policy_t *p, const char *const *items,
    size_t nitems, const char **groups, size_t maxgroups, size_t *ngroups);

/* One approval: person approved for group (as their statement says). */
struct bg_approval {
	const char *person;
	const char *group;
};

/*
 * BG_OK only when every group in groups[0..ngroups) (each a group of p,
 * listed once, ngroups >= 1) has at least its threshold of approvals from
 * distinct people who are exactly-spelled members of it; a person counts
 * once in all (a second approval, or one for a second group, is not
 * counted); approvals for other groups or by non-members are not counted.
 * Whatever p says (it may never have passed validation), the floor holds:
 * any approval by the requester refuses the whole, self-approval switch or
 * not; so does a needed group with a threshold below 2, or one the
 * requester is a member of (ignoring case). Otherwise BG_EPERM, with why
 * saying what is missing, e.g. "mfa: 1 of 2", and which approvals were
 * not counted; BG_EINVAL for bad arguments.
 */
int bg_policy_quorum_met(const bg_policy_t *p, const char *const *groups,
    size_t ngroups, const struct bg_approval *approvals, size_t napprovals,
    const char *requester, char *why, size_t whysz);

/* =================================================== approval statements */

/*
 * The bytes a custodian approves (docs/design.md §5): one "key value" line each,
 * '\n'-terminated, in this order and no other:
 *   format breakglass-approval-v1
 *   vault <32 lower-case hex>
 *   request <32 lower-case hex>
 *   account <account id>
 *   requester <name>
 *   reason-sha256 <64 lower-case hex>
 *   expiry <YYYY-MM-DDTHH:MM:SSZ>
 *   group <name>
 *   custodian <name>
 *   share-sha256 <64 lower-case hex>	(SHA-256 of the encrypted share)
 * One text per statement: parsing accepts exactly what building writes.
 * FIDO2 approvers sign its SHA-256 as clientDataHash.
 */
#define BG_STATEMENT_FORMAT "breakglass-approval-v1"
#define BG_STATEMENT_MAX 1024

struct bg_statement {
	uint8_t vault[16];
	char request[BG_REQUEST_ID_LEN + 1];
	char account[BG_ACCOUNT_MAX + 1];
	char requester[BG_NAME_MAX + 1];
	uint8_t reason_sha256[32];
	uint64_t expiry;		/* seconds since the epoch, UTC */
	char group[BG_NAME_MAX + 1];
	char custodian[BG_NAME_MAX + 1];
	uint8_t share_sha256[32];
};

/*
 * Writes the canonical text (not NUL-terminated) to out and its length to
 * *len. BG_EINVAL for an invalid field, BG_ETOOBIG when outsz is short
 * (BG_STATEMENT_MAX always suffices).
 */
int bg_statement_build(const struct bg_statement *st, char *out,
    size_t outsz, size_t *len);
/*
 * Strict parse of exactly len bytes: lines in order, none missing or
 * extra, no CR, no trailing bytes, every field in its syntax. BG_EFORMAT
 * otherwise, and *st is zeroed.
 */
int bg_statement_parse(const char *text, size_t len, struct bg_statement *st);
/* SHA-256 of the text, after a strict parse (BG_EFORMAT when it fails). */
int bg_statement_hash(const char *text, size_t len, uint8_t out[32]);
/* SHA-256 of a reason text, as reason-sha256 carries it. */
int bg_reason_sha256(const char *reason, size_t len, uint8_t out[32]);
/*
 * What an approver is shown, NUL-terminated in out: every field of the
 * strictly parsed text, and nothing that is not in it. When reason is not
 * NULL its SHA-256 must equal reason-sha256 (BG_ETAMPER otherwise) and it
 * is shown with every byte outside printable ASCII escaped as \xNN, so it
 * cannot drive the terminal. BG_ETOOBIG rather than a truncated view;
 * 2 * BG_STATEMENT_MAX + 4 * reason_len + 64 bytes always suffice. out is
 * "" on any failure.
 */
int bg_statement_describe(const char *text, size_t len, const char *reason,
    size_t reason_len, char *out, size_t outsz);

/* ============================================================== requests */

/*
 * A request's canonical fields (docs/design.md §5, §7): who asks for which items of
 * which account, why, until when, and the X25519 public key that
 * approvers re-encrypt shares to. requests/<id>.json holds this object
 * beside the approvals; its JSON form, keys in this order:
 *   {"format":"breakglass-request-v1","id":"<32 hex>","account":"..",
 *    "requester":"..","reason":"..","ticket":"..","items":["root-mfa"],
 *    "created":"<RFC 3339>","expiry":"<RFC 3339>","request_key":"<b64>"}
 */
typedef struct bg_request bg_request_t;

#define BG_REQUEST_FORMAT "breakglass-request-v1"
#define BG_REASON_MAX 1024	/* bytes */
#define BG_TICKET_MAX 128	/* bytes */
/* "" (none) or 1..BG_TICKET_MAX bytes of printable ASCII, no space. */
int bg_ticket_valid(const char *s);

struct bg_request_fields {
	const char *id;		/* NULL: a fresh random id */
	const char *account;	/* account id */
	const char *requester;	/* name */
	/*
	 * 1..BG_REASON_MAX bytes of UTF-8 (shortest form), one line: no
	 * control character (C0, DEL, C1) and no bidirectional override or
	 * isolate, so what is shown is what was written.
	 */
	const char *reason;
	const char *ticket;	/* NULL or "": none; else 1..BG_TICKET_MAX
				 * bytes of printable ASCII without space */
	const char *const *items;	/* 1..BG_POLICY_ITEMS_MAX names, each
					 * once (ignoring case) */
	size_t nitems;
	uint64_t created;	/* seconds since the epoch, UTC */
	uint64_t expiry;	/* created < expiry <= created + 7 days */
	uint8_t key[32];	/* X25519 public key, not all zero */
};

/*
 * A request from its fields, each checked as above (BG_EINVAL otherwise,
 * bg_why() naming the field). Caller frees *rq with bg_request_free().
 */
int bg_request_new(const struct bg_request_fields *f, bg_request_t **rq);
/*
 * Strict parse of the JSON form: every key once, no other, each field as
 * for bg_request_new(). BG_EFORMAT (bg_why() naming the field) otherwise.
 * Caller frees *rq with bg_request_free().
 */
int bg_request_from_json(const cJSON *j, bg_request_t **rq);
/* Caller cJSON_Delete()s *j. */
int bg_request_to_json(const bg_request_t *rq, cJSON **j);
/* Accepts NULL; sets *rq to NULL. */
void bg_request_free(bg_request_t **rq);

/* Accessors; strings and arrays belong to rq. The ticket is "" for none. */
const char *bg_request_id(const bg_request_t *rq);
const char *bg_request_account(const bg_request_t *rq);
const char *bg_request_requester(const bg_request_t *rq);
const char *bg_request_reason(const bg_request_t *rq);
const char *bg_request_ticket(const bg_request_t *rq);
size_t bg_request_nitems(const bg_request_t *rq);
/* The items, ready for bg_policy_groups_for_items(). */
const char *const *bg_request_items(const bg_request_t *rq);
uint64_t bg_request_created(const bg_request_t *rq);
uint64_t bg_request_expiry(const bg_request_t *rq);
const uint8_t *bg_request_key(const bg_request_t *rq);	/* 32 bytes */

/*
 * Checks rq against policy p: every item is one p names (with groups it
 * defines) and the request lives no longer than p's request expiry.
 * BG_EPERM (bg_why() says which) otherwise.
 */
int bg_request_conforms(const bg_request_t *rq, const bg_policy_t *p);

/*
 * The statement custodian approves for group on this request: vault,
 * request id, account, requester, SHA-256 of the reason and expiry come
 * from rq, so an approver's statement cannot say something else.
 */
int bg_request_statement(const bg_request_t *rq, const uint8_t vault[16],
    const char *group, const char *custodian,
    const uint8_t share_sha256[32], struct bg_statement *st);

/* ============================== v2 requests and approval statements */

/*
 * The two objects of vault format v2 that tokens sign (docs/design.md
 * §5.2): a request, signed by the requester, and an approval statement,
 * signed by a custodian, each naming its one-time slots. Both are
 * canonical texts: one "key value" line each, '\n'-terminated, in a
 * fixed order, binary as lower-case hex, numbers in decimal without
 * leading zeros, times as RFC 3339 UTC seconds. One object has one text:
 * parsing accepts exactly what building writes (and checks so by
 * rebuilding), every line once and in order, no CR, no trailing bytes.
 * Repeated lines follow their count ("entries <n>"), so a truncated text
 * or one with a line dropped is malformed, never another object.
 * A refusal is BG_EFORMAT with bg_why() naming the line, e.g.
 * "request: line 8 (entry): the slot must be below 256".
 *
 * The structs hold fixed-size arrays (several KB): allocate them, do not
 * put them on the stack. Nothing here is secret.
 */
#define BG_FINGERPRINT_LEN 32	/* vault fingerprint, chain head: SHA-256 */
#define BG_REQUEST2_NONCE_LEN 16
#define BG_TOKEN_HEX_LEN 32	/* token ids in hex (token.h: 16 bytes) */

/* One slot of one item version a request asks for. */
struct bg_request2_entry {
	char item[BG_NAME_MAX + 1];
	uint64_t version;	/* >= 1 */
	uint32_t slot;		/* < BG_SLOTS_MAX */
};

/*
 * The request (breakglass-request-v2), lines in this order:
 *   format breakglass-request-v2
 *   vault <64 hex>		the vault fingerprint
 *   chain <64 hex>		the chain head it was made under
 *   id <32 hex>			the request id
 *   requester <name>
 *   account <account id>
 *   entries <n>			1..BG_POLICY_ITEMS_MAX, then n lines of
 *   entry <item> <version> <slot>	sorted by item name (byte order), each
 *				item once (ignoring case)
 *   created <YYYY-MM-DDTHH:MM:SSZ>
 *   expiry <YYYY-MM-DDTHH:MM:SSZ>	after created, at most
 *				BG_POLICY_EXPIRY_MAX later
 *   reason-sha256 <64 hex>	SHA-256 of the reason (bg_reason_sha256)
 *   ticket <ticket> or "ticket -" for none
 *   nonce <32 hex>
 *   request-key <64 hex>		X25519 public key, not all zero
 *
 * The reason is signed by its hash and carried beside the text (the
 * request file): it is free UTF-8 with spaces, and a hash keeps the
 * signed text one token per field and bounded. Whoever shows it checks
 * it against reason-sha256 first (bg_request2_describe does). The hash is
 * plain SHA-256, as in v1: it sits inside the tagged text, which is what
 * is signed.
 */
#define BG_REQUEST2_FORMAT "breakglass-request-v2"
#define BG_REQUEST2_TAG "breakglass/v2/request"
/* bytes of the longest text: 1 KB of fixed lines, < 96 per entry */
#define BG_REQUEST2_MAX (1024 + 96 * BG_POLICY_ITEMS_MAX)

struct bg_request2 {
	uint8_t vault[BG_FINGERPRINT_LEN];	/* or the vault id, zero-padded,
						 * until governance exists */
	uint8_t chain[BG_FINGERPRINT_LEN];
	char id[BG_REQUEST_ID_LEN + 1];
	char requester[BG_NAME_MAX + 1];
	char account[BG_ACCOUNT_MAX + 1];
	size_t nentries;
	struct bg_request2_entry entry[BG_POLICY_ITEMS_MAX];
	uint64_t created;	/* seconds since the epoch, UTC */
	uint64_t expiry;
	uint8_t reason_sha256[32];
	char ticket[BG_TICKET_MAX + 1];	/* "" for none; 1..BG_TICKET_MAX
					 * printable ASCII, no space, not "-" */
	uint8_t nonce[BG_REQUEST2_NONCE_LEN];
	uint8_t key[32];	/* X25519 public key */
};

/*
 * Writes the canonical text (not NUL-terminated) to out, its length to
 * *len. BG_EINVAL (bg_why() naming the field) for a field breaking its
 * rule, BG_ETOOBIG when outsz is short (BG_REQUEST2_MAX always suffices).
 */
int bg_request2_build(const struct bg_request2 *rq, char *out, size_t outsz,
    size_t *len);
/*
 * Strict parse of exactly len bytes into the caller's *rq; BG_EFORMAT
 * (bg_why() naming the line) otherwise, and *rq is zeroed. BG_ENOMEM.
 */
int bg_request2_parse(const char *text, size_t len, struct bg_request2 *rq);
/*
 * SHA-256("breakglass/v2/request" || 0x00 || text), after a strict parse
 * (BG_EFORMAT when it fails): what the requester's token signs (FIDO2:
 * as clientDataHash), and what approval statements name as
 * request-sha256.
 */
int bg_request2_hash(const char *text, size_t len, uint8_t out[32]);
/*
 * What an approver is shown, NUL-terminated in out: every field of the
 * strictly parsed text, its hash, and the reason. The reason (required,
 * at most BG_REASON_MAX bytes) must hash to reason-sha256, BG_ETAMPER
 * otherwise; it is shown with every byte outside printable ASCII as
 * \xNN, so it cannot drive the terminal. BG_ETOOBIG rather than a
 * truncated view; 2 * BG_REQUEST2_MAX + 4 * reason_len + 512 bytes
 * always suffice. out is "" on any failure.
 */
int bg_request2_describe(const char *text, size_t len, const char *reason,
    size_t reason_len, char *out, size_t outsz);

/* One slot an approval statement opened (or refused to). */
struct bg_statement2_entry {
	char item[BG_NAME_MAX + 1];
	uint64_t version;	/* >= 1 */
	uint32_t slot;		/* < BG_SLOTS_MAX */
	uint64_t epoch;
	uint8_t x;		/* the approver's x in the group, 1..255 */
	uint8_t opened[32];	/* SHA-256 of the member's box opened */
	uint8_t written[32];	/* SHA-256 of the box written for it */
};

#define BG_DECISION_APPROVE 1
#define BG_DECISION_DENY 2

/*
 * The approval statement (breakglass-approval-v2), lines in this order:
 *   format breakglass-approval-v2
 *   vault <64 hex>		the vault fingerprint
 *   chain <64 hex>		the chain head
 *   request-sha256 <64 hex>	bg_request2_hash() of the request
 *   log-size <u64>		the audit log the approver saw: size
 *   log-root <64 hex>		and root
 *   group <name>
 *   person <name>
 *   token <32 hex>		the token id
 *   decision approve|deny
 *   entries <n>			1..BG_POLICY_ITEMS_MAX, then n lines of
 *   entry <item> <version> <slot> <epoch> <x> <opened> <written>
 *				sorted by item name, each item once
 *				(ignoring case); opened and written are 64
 *				hex: all zero for deny (nothing was
 *				opened), neither all zero for approve
 */
#define BG_STATEMENT2_FORMAT "breakglass-approval-v2"
#define BG_STATEMENT2_TAG "breakglass/v2/approval"
/* bytes of the longest text: 1 KB of fixed lines, < 256 per entry */
#define BG_STATEMENT2_MAX (1024 + 256 * BG_POLICY_ITEMS_MAX)

struct bg_statement2 {
	uint8_t vault[BG_FINGERPRINT_LEN];
	uint8_t chain[BG_FINGERPRINT_LEN];
	uint8_t request[32];
	uint64_t log_size;
	uint8_t log_root[32];
	char group[BG_NAME_MAX + 1];
	char person[BG_NAME_MAX + 1];
	char token[BG_TOKEN_HEX_LEN + 1];	/* lower-case hex */
	int decision;		/* BG_DECISION_APPROVE or BG_DECISION_DENY */
	size_t nentries;
	struct bg_statement2_entry entry[BG_POLICY_ITEMS_MAX];
};

/* As bg_request2_build (BG_STATEMENT2_MAX always suffices). */
int bg_statement2_build(const struct bg_statement2 *st, char *out,
    size_t outsz, size_t *len);
/* As bg_request2_parse. */
int bg_statement2_parse(const char *text, size_t len,
    struct bg_statement2 *st);
/* SHA-256("breakglass/v2/approval" || 0x00 || text) after a strict
 * parse: the approver's token signs it (FIDO2: as clientDataHash). */
int bg_statement2_hash(const char *text, size_t len, uint8_t out[32]);
/*
 * What an approver is shown before signing, NUL-terminated in out: every
 * field of the strictly parsed text and nothing else. BG_ETOOBIG rather
 * than a truncated view; 2 * BG_STATEMENT2_MAX bytes always suffice. out
 * is "" on any failure.
 */
int bg_statement2_describe(const char *text, size_t len, char *out,
    size_t outsz);

#endif /* BG_QUORUM_H */
