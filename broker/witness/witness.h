/*
 * broker/witness/: the log anchored outside the host (docs/audit.md,
 * "Witnesses"). Witnesses of the C2SP tlog-witness protocol are asked to
 * cosign the log's checkpoint: each checks that it is consistent with
 * the last one it cosigned, so a state directory rolled back to an older
 * prefix, or forked, is refused by every witness that saw the other
 * history. Their cosignatures (C2SP tlog-cosignature) are kept beside
 * the checkpoint; a policy says how many must cosign before an approval,
 * a seal or a change.
 *
 * The "witness" member of breakglass.json:
 *   {"witnesses": [{"vkey": "NAME+HEX8+BASE64", "url": "https://..."}],
 *    "quorum": N, "require": ["approve", "seal", "change"],
 *    "timeout_ms": N}
 */
#ifndef BG_WITNESS_H
#define BG_WITNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "audit/audit.h"

#define BG_WITNESS_MAX 8
#define BG_WITNESS_URL_MAX 512
#define BG_WITNESS_TIMEOUT_DEFAULT 5000	/* ms, one request */
#define BG_WITNESS_NOTE_MAX 8192	/* a cosigned checkpoint */

struct bg_witness {
	struct bg_audit_cosig_key key;
	char url[BG_WITNESS_URL_MAX + 1];
};

struct bg_witness_config {
	int present;			/* breakglass.json has "witness" */
	struct bg_witness w[BG_WITNESS_MAX];
	size_t n;
	size_t quorum;			/* cosignatures a required op needs */
	int require_approve, require_seal, require_change;
	long timeout_ms;
};

/* Strict parse of root's "witness" (absent: present 0). */
int bg_witness_config_from_json(const cJSON *root,
    struct bg_witness_config *cfg);
/* STATE/breakglass.json's (missing: none). */
int bg_witness_config_load(const char *state_dir,
    struct bg_witness_config *cfg);

/* What one round of asking the witnesses gave. */
struct bg_witness_round {
	uint64_t size;			/* the checkpoint's tree size */
	uint8_t root[32];		/* ... and its root */
	size_t cosigned;		/* valid cosignatures of it */
	size_t unavailable;		/* down, slow, or a bad answer */
	int inconsistent;		/* a witness saw another history */
	char why[768];			/* the first failure, in words */
	/* the checkpoint with the valid cosignatures (NULL: none), owned
	 * by the round: bg_witness_round_clear() frees it */
	char *note;
	size_t note_len;
};

void bg_witness_round_clear(struct bg_witness_round *round);

/*
 * Asks every configured witness to cosign the log's current checkpoint
 * (STATE/audit): add-checkpoint with the consistency proof from the
 * size the witness last acknowledged (STATE/witness/), a 409 answered
 * once from the size it names. Valid cosignatures are kept, with the
 * checkpoint, in STATE/witness/checkpoint. A witness whose history the
 * log does not extend (it cosigned a larger tree, or refuses our proof:
 * a rollback or a fork) makes the round inconsistent: recorded as
 * witness.inconsistent, which alerts, and BG_ETAMPER. Otherwise BG_OK,
 * whatever the count (see round).
 */
int bg_witness_cosign(const char *state_dir, struct bg_witness_round *round);

/*
 * Before op ("approve", "seal", "change"): a round; when the policy
 * requires it for op, at least quorum cosignatures, else BG_EPERM with
 * bg_why() saying which witnesses failed (recorded as
 * witness.unavailable). Not required: a round that fails for want of
 * witnesses is only said on err. An inconsistent history always stops
 * (BG_ETAMPER). No configuration: BG_OK at once, head->size 0. Else
 * *head is the round: the (size, root) the witnesses were shown, which
 * the step's state must still extend once it is opened.
 */
int bg_witness_require(const char *state_dir, const char *op, FILE *err,
    struct bg_witness_round *head);

/*
 * The witness policy's name for a step's op: "approve", "seal",
 * "change" (change.approve, change.deny); NULL for the others.
 */
const char *bg_witness_op(const char *step_op);
/* 1 when op (a bg_witness_op name, or NULL) is one of the flags set. */
int bg_witness_guarded(const char *op, int approve, int seal, int change);

/*
 * The cosigned checkpoint kept for the log's current size (our note and
 * the witnesses' lines), or BG_ENOENT. Caller frees *note.
 */
int bg_witness_checkpoint(const char *state_dir, char **note, size_t *len);

/* ------------------------------------------------- the client's check */

/*
 * What the client trusts, from the root-owned breakglass.conf (wire.h):
 * the witnesses' keys, how many must have cosigned the log head a kit
 * names, how old a cosignature may be, and before which commands.
 */
struct bg_witness_trust {
	struct bg_audit_cosig_key key[BG_WITNESS_MAX];
	size_t n;
	size_t quorum;
	long max_age;			/* seconds */
	int require_approve, require_seal, require_change;
};

#define BG_WITNESS_MAX_AGE_DEFAULT 600	/* s */
#define BG_WITNESS_CLOCK_SLACK 300	/* s a witness's clock may be ahead */

/* 1 when t guards op (a bg_witness_op name, or NULL: 0). */
int bg_witness_trust_guards(const struct bg_witness_trust *t, const char *op);

/*
 * A kit's "witnessed" (the daemon's cosigned checkpoint) and
 * "witness_proof" (hex hashes, consistency from its size to the kit's
 * head) checked in the client before any touch: the checkpoint signed
 * by the log key vkey; the head (size, root), which the caller has
 * checked against the kit's own signed checkpoint, consistent with it;
 * and at least t->quorum of t's witnesses cosigned it within
 * [now - max_age, now + BG_WITNESS_CLOCK_SLACK]. BG_OK; BG_EPERM (too
 * few fresh cosignatures, none at all: a daemon that did not ask, or a
 * stale checkpoint replayed); BG_ETAMPER (a signature that does not
 * verify, a proof that fails, a malformed member). bg_why() says which.
 */
int bg_witness_kit_check(const cJSON *kit, const char *vkey,
    const struct bg_witness_trust *t, uint64_t size, const uint8_t root[32],
    int64_t now);

/*
 * Adds "witnessed" (round's note) and "witness_proof" (from the round's
 * size to (size) of log) to kit. Nothing when the round cosigned
 * nothing.
 */
int bg_witness_kit_add(cJSON *kit, const struct bg_witness_round *round,
    bg_audit_t *log, uint64_t size);

#endif /* BG_WITNESS_H */
