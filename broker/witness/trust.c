/*
 * broker/witness/ in the kit: the daemon hands the client the checkpoint
 * its witnesses cosigned before the kit, and the consistency proof from
 * it to the kit's head; the client checks both with the witness keys of
 * its own root-owned breakglass.conf before anyone touches a token. A
 * state the daemon serves that no quorum of those witnesses has seen
 * lately (restored from a copy taken before the witnesses were
 * configured, their policy removed, a stale cosigned checkpoint
 * replayed) is refused there, whatever the daemon's state says.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "broker/witness/witness.h"

const char *
bg_witness_op(const char *step_op)
{
	return strcmp(step_op, "approve") == 0 ? "approve" :
	    strcmp(step_op, "seal") == 0 ? "seal" :
	    strncmp(step_op, "change.", 7) == 0 ? "change" : NULL;
}

int
bg_witness_guarded(const char *op, int approve, int seal, int change)
{
	return op != NULL && ((strcmp(op, "approve") == 0 && approve) ||
	    (strcmp(op, "seal") == 0 && seal) ||
	    (strcmp(op, "change") == 0 && change));
}

int
bg_witness_trust_guards(const struct bg_witness_trust *t, const char *op)
{
	return t->n > 0 && bg_witness_guarded(op, t->require_approve,
	    t->require_seal, t->require_change);
}

/* ------------------------------------------------------ the daemon's side */

static int
proof_to_json(const struct bg_audit_proof *p, cJSON **out)
{
	cJSON *arr = cJSON_CreateArray(), *s;
	char hex[65];
	size_t i;

	if ((*out = arr) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < p->len; i++) {
		(void)bg_hex_encode(p->hash[i], 32, hex, sizeof(hex));
		if ((s = cJSON_CreateString(hex)) == NULL)
			return BG_ENOMEM;
		cJSON_AddItemToArray(arr, s);
	}
	return BG_OK;
}

int
bg_witness_kit_add(cJSON *kit, const struct bg_witness_round *round,
    bg_audit_t *log, uint64_t size)
{
	struct bg_audit_proof *p;
	cJSON *arr = NULL;
	int r;

	if (round->note_len == 0)
		return BG_OK;
	if ((p = malloc(sizeof(*p))) == NULL)
		return BG_ENOMEM;
	memset(p, 0, sizeof(*p));
	r = size == round->size ? BG_OK :
	    bg_audit_prove_consistency(log, round->size, size, p);
	if (r == BG_OK && (r = proof_to_json(p, &arr)) == BG_OK &&
	    (r = bg_json_add(kit, "witness_proof", arr)) == BG_OK)
		arr = NULL;
	cJSON_Delete(arr);
	free(p);
	if (r == BG_OK && !cJSON_AddStringToObject(kit, "witnessed",
	    round->note))
		r = BG_ENOMEM;
	return r;
}

/* ------------------------------------------------------ the client's side */

/* The kit's proof, from (wsize, wroot) to (size, root), checked. */
static int
head_consistent(const cJSON *kit, uint64_t wsize, const uint8_t wroot[32],
    uint64_t size, const uint8_t root[32])
{
	struct bg_audit_proof *p;
	const cJSON *arr, *h;
	int r = BG_OK;

	if (bg_json_get_array(kit, "witness_proof", &arr) != BG_OK ||
	    cJSON_GetArraySize(arr) > BG_AUDIT_PROOF_MAX || wsize > size)
		return BG_ETAMPER;
	if (wsize == size)
		return cJSON_GetArraySize(arr) == 0 &&
		    bg_ct_memcmp(wroot, root, 32) == 0 ? BG_OK : BG_ETAMPER;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return BG_ENOMEM;
	p->index = wsize;
	p->size = size;
	memcpy(p->old_root, wroot, 32);
	memcpy(p->root, root, 32);
	cJSON_ArrayForEach(h, arr)
		if (!cJSON_IsString(h) || bg_hex_decode_exact(h->valuestring,
		    strlen(h->valuestring), p->hash[p->len++], 32) != BG_OK)
			r = BG_ETAMPER;
	if (r == BG_OK && bg_audit_check_consistency(p) != BG_OK)
		r = BG_ETAMPER;
	free(p);
	return r;
}

/* What the keys of t say of note: fresh cosignatures, or a bad one. */
static int
count_fresh(const char *note, size_t len, const struct bg_witness_trust *t,
    int64_t now, size_t *fresh, char *why, size_t whysz)
{
	uint64_t when, unow = now < 0 ? 0 : (uint64_t)now;
	size_t i;
	int r;

	*fresh = 0;
	why[0] = '\0';
	for (i = 0; i < t->n; i++) {
		r = bg_audit_cosig_check(note, len, &t->key[i], &when);
		if (r == BG_ESIG || r == BG_EFORMAT) {
			bg_set_why("the cosignature by witness %s on the "
			    "daemon's checkpoint does not verify",
			    t->key[i].name);
			return BG_ETAMPER;
		}
		if (r == BG_ENOENT) {
			if (why[0] == '\0')
				snprintf(why, whysz, "%s did not cosign it",
				    t->key[i].name);
			continue;
		}
		if (r != BG_OK)
			return r;
		/* unsigned throughout: a witness's time is any 64 bits */
		if (when <= unow + BG_WITNESS_CLOCK_SLACK && (when >= unow ||
		    unow - when <= (uint64_t)t->max_age))
			(*fresh)++;
		else if (why[0] == '\0' || when < unow)
			snprintf(why, whysz, "%s cosigned it at %" PRIu64
			    " and the client's clock reads %" PRIu64 " "
			    "(breakglass.conf's witness_max_age is %ld s)",
			    t->key[i].name, when, unow, t->max_age);
	}
	return BG_OK;
}

int
bg_witness_kit_check(const cJSON *kit, const char *vkey,
    const struct bg_witness_trust *t, uint64_t size, const uint8_t root[32],
    int64_t now)
{
	const char *note;
	uint8_t wroot[32];
	uint64_t wsize;
	size_t fresh;
	char why[384];
	int r;

	if ((r = bg_json_get_str(kit, "witnessed", BG_WITNESS_NOTE_MAX,
	    &note)) == BG_ENOENT) {
		bg_set_why("the daemon's log head comes with no witness "
		    "cosignatures, and breakglass.conf requires %zu (its state "
		    "has no witnesses configured, or they did not answer)",
		    t->quorum);
		return BG_EPERM;
	}
	if (r != BG_OK || bg_audit_checkpoint_check(note, strlen(note), vkey,
	    &wsize, wroot) != BG_OK) {
		bg_set_why("the daemon's witnessed checkpoint is not signed by "
		    "the verifier key breakglass.conf names");
		return BG_ETAMPER;
	}
	if ((r = head_consistent(kit, wsize, wroot, size, root)) != BG_OK) {
		bg_set_why("the daemon's log head (size %" PRIu64 ") does not "
		    "extend the checkpoint its witnesses cosigned (size %"
		    PRIu64 "): the proof fails", size, wsize);
		return r;
	}
	if ((r = count_fresh(note, strlen(note), t, now, &fresh, why,
	    sizeof(why))) != BG_OK)
		return r;
	if (fresh < t->quorum) {
		bg_set_why("breakglass.conf requires %zu fresh witness "
		    "cosignature(s) of the daemon's log, and %zu came (%s)",
		    t->quorum, fresh, why[0] != '\0' ? why : "none");
		return BG_EPERM;
	}
	return BG_OK;
}
