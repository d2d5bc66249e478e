/*
 * broker/ceremony/: the break-glass ceremony (docs/design.md §2, §5): request,
 * approve, deny, release, status, rekey; and the request files
 * (requests/<id>.json) they keep.
 *
 * Every operation runs inside one open state (the audit log's writer
 * lock held from load to save) and records what it did or why it refused
 * before anything takes effect; a refusal changes no file.
 */
#ifndef BG_CEREMONY_H
#define BG_CEREMONY_H

#include <stdint.h>
#include <stdio.h>

#include "broker/vault/vault.h"

#define BG_RQFILE_FORMAT "breakglass-request-file-v1"
#define BG_RQ_KEY_BOX_LEN (32 + BG_BOX_OVERHEAD)
#define BG_RQ_APPROVALS_MAX 256

enum bg_rq_state { BG_RQ_OPEN = 1, BG_RQ_DENIED, BG_RQ_RELEASED };

/* A token's touch, as recorded: FIDO2 signs, a YubiKey only unlocks. */
struct bg_touch {
	char token[2 * BG_TOKEN_ID_LEN + 1];
	int signed_;		/* authdata and sig hold a FIDO2 assertion */
	struct bg_token_assertion as;
};

struct bg_rq_approval {
	char group[BG_NAME_MAX + 1];
	char custodian[BG_NAME_MAX + 1];
	uint64_t time;
	char statement[BG_STATEMENT_MAX + 1];
	size_t statement_len;
	struct bg_touch touch;
	uint8_t x;
	uint8_t share[BG_SHARE_BOX_LEN];	/* sealed to the request key */
};

struct bg_rqfile {
	bg_request_t *rq;
	enum bg_rq_state state;
	char key_token[BG_VAULT_TOKENS_MAX][2 * BG_TOKEN_ID_LEN + 1];
	uint8_t key_box[BG_VAULT_TOKENS_MAX][BG_RQ_KEY_BOX_LEN];
	size_t nkey;
	struct bg_touch proof;		/* the requester's, over the request */
	struct bg_rq_approval *approvals;
	size_t napprovals;
	char denied_by[BG_NAME_MAX + 1];
	char denial[BG_REASON_MAX + 1];
	uint64_t closed;		/* time denied or released, 0 open */
};

int bg_rqfile_from_json(const cJSON *j, struct bg_rqfile **f);
int bg_rqfile_to_json(const struct bg_rqfile *f, cJSON **j);
void bg_rqfile_free(struct bg_rqfile **f);
/* SHA-256 of the request object's canonical (unformatted) JSON. */
int bg_rqfile_request_hash(const struct bg_rqfile *f, uint8_t out[32]);
const char *bg_rq_state_str(enum bg_rq_state s);

/* ================================================================ ceremony */

struct bg_cer {
	struct bg_state st;		/* open: the writer lock is held */
	struct bg_vault *v;
	struct bg_token_opts o;		/* PIN source, prompts, timeout */
	FILE *out;			/* what the people present read */
	uint64_t now;			/* seconds, at bg_cer_begin */
};

/* Opens the state, loads the vault. End with bg_cer_end(). */
int bg_cer_begin(struct bg_cer *c, const char *dir, FILE *out,
    const struct bg_token_opts *o);
void bg_cer_end(struct bg_cer *c);
/*
 * Records a refusal as event (e.g. "request.refused", "vault.refused"):
 * the command, the error and bg_why(). Returns err, or the audit failure
 * when the entry cannot be made; bg_why() is kept.
 */
int bg_cer_refused(struct bg_cer *c, const char *event, const char *cmd,
    const char *id, const char *account, const char *actor, int err);

/*
 * Opens a request for items of account (all of its root-password and
 * root-mfa when nitems is 0): the requester touches a token, the request
 * key's private half is sealed to the requester's tokens. id gets the
 * request id.
 */
int bg_cer_request(struct bg_cer *c, const char *account, const char *reason,
    const char *ticket, const char *const *items, size_t nitems,
    const char *requester, char id[BG_REQUEST_ID_LEN + 1]);
/* The custodian reads the request, touches a token, approves. */
int bg_cer_approve(struct bg_cer *c, const char *id, const char *custodian);
/* A custodian of a needed group, or the requester, stops the request. */
int bg_cer_deny(struct bg_cer *c, const char *id, const char *person,
    const char *reason);

/* What a release opens; data is locked memory. */
struct bg_released {
	char name[BG_NAME_MAX + 1];
	enum bg_item_kind kind;
	uint8_t *data;
	size_t len;
};
/*
 * Checks every approval and the quorum, the requester touches a token,
 * shares are combined and checked, the items opened; release.done is
 * durable before *items is returned. reveal_seed is recorded.
 */
int bg_cer_release(struct bg_cer *c, const char *id, const char *requester,
    int reveal_seed, struct bg_released **items, size_t *nitems);
void bg_released_free(struct bg_released **items, size_t n);

/* Prints the requests (one, or all open ones) with what each lacks. */
int bg_cer_status(struct bg_cer *c, const char *id);

/*
 * Re-splits group's key for each armed account (or only account) for the
 * group's current members and threshold, from the shares of the people
 * in with[] (each touches a token once). new_key replaces the key pair;
 * without it, a member removed since the last split is refused.
 */
int bg_cer_rekey(struct bg_cer *c, const char *account, const char *group,
    const char *const *with, size_t nwith, int new_key);

/* For the rooms above (custody): one touch, one recorded note. */
/* Records event with detail (may be NULL) and no file change. */
int bg_cer_note(struct bg_cer *c, const char *event, const char *actor,
    const char *account, const char *id, const cJSON *detail);

/* The person spelled exactly so (bg_why() helps with a near miss). */
struct bg_vault_person *bg_cer_person(struct bg_cer *c, const char *name);

/* The hash a FIDO2 token signs for token index i (NULL: no signature). */
typedef int (*bg_cer_hash_fn)(void *ctx, size_t i, uint8_t hash[32]);

/*
 * The person touches one of their tokens (the first that is connected):
 * FIDO2 signs hash_fn's hash and yields the token key from the same
 * assertion, a YubiKey only unlocks. *tok is the token's index.
 */
int bg_cer_touch(struct bg_cer *c, const struct bg_vault_person *p,
    bg_cer_hash_fn hash_fn, void *ctx, struct bg_touch *t,
    bg_token_key_t **key, size_t *tok);

#endif /* BG_CEREMONY_H */
