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
};

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
 * The cosigned checkpoint kept for the log's current size (our note and
 * the witnesses' lines), or BG_ENOENT. Caller frees *note.
 */
int bg_witness_checkpoint(const char *state_dir, char **note, size_t *len);

#endif /* BG_WITNESS_H */
