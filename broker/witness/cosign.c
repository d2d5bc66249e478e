/*
 * broker/witness/ a round: each witness asked to cosign the log's
 * checkpoint, what each acknowledged kept in STATE/witness/, the valid
 * cosignatures kept with the checkpoint, an inconsistent history
 * recorded and alerted; and the policy before approve, seal and change.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "broker/state/state.h"
#include "broker/witness/internal.h"

#define LINES_MAX (BG_WITNESS_MAX * 400)
#define NOTE_MAX 8192

/* ----------------------------------------------------- STATE/witness/ */

static int
wdir(const char *state_dir, char *out, size_t outsz)
{
	int r;

	if ((r = bg_path_join(out, outsz, state_dir, "witness")) != BG_OK)
		return r;
	return bg_mkdir_private(out);
}

/* STATE/witness/<key id>.size: the size w last acknowledged to us. */
static int
size_path(const char *state_dir, const struct bg_witness *w, char *out,
    size_t outsz)
{
	char dir[BG_PATH_MAX], name[32];
	int r;

	if ((r = wdir(state_dir, dir, sizeof(dir))) != BG_OK)
		return r;
	snprintf(name, sizeof(name), "%08" PRIx32 ".size", w->key.id);
	return bg_path_join(out, outsz, dir, name);
}

static uint64_t
acked(const char *state_dir, const struct bg_witness *w)
{
	char path[BG_PATH_MAX], *t = NULL;
	unsigned long long v = 0;
	size_t len;

	if (size_path(state_dir, w, path, sizeof(path)) != BG_OK ||
	    bg_file_read(path, 32, &t, &len) != BG_OK)
		return 0;
	if (sscanf(t, "%llu", &v) != 1)
		v = 0;
	free(t);
	return v;
}

static void
ack(const char *state_dir, const struct bg_witness *w, uint64_t size)
{
	char path[BG_PATH_MAX], t[32];
	int n = snprintf(t, sizeof(t), "%" PRIu64 "\n", size);

	if (size_path(state_dir, w, path, sizeof(path)) == BG_OK)
		(void)bg_file_replace(path, t, (size_t)n, 0600);
}

/* ------------------------------------------------------------ a round */

struct round_ctx {
	const char *state_dir;
	const struct bg_witness_config *cfg;
	bg_audit_t *log;
	char *cp;		/* our checkpoint note */
	size_t cplen;
	uint64_t size;
	char lines[LINES_MAX];	/* the valid cosignature lines */
	size_t nlines;
	struct bg_witness_round *round;
};

static void
failure(struct round_ctx *k, const struct bg_witness *w, const char *msg)
{
	if (k->round->why[0] == '\0')
		snprintf(k->round->why, sizeof(k->round->why), "witness %s: "
		    "%.600s", w->key.name, msg);
}

static void
inconsistent(struct round_ctx *k, const struct bg_witness *w,
    const char *what)
{
	char msg[384];

	k->round->inconsistent = 1;
	snprintf(msg, sizeof(msg), "witness %s: %s", w->key.name, what);
	/* an inconsistency outranks whatever failed before it */
	snprintf(k->round->why, sizeof(k->round->why), "%s", msg);
}

/* Our checkpoint with one line after it, checked as w's cosignature. */
static int
line_ok(const struct round_ctx *k, const struct bg_witness *w,
    const char *line, size_t len)
{
	char *note = malloc(k->cplen + len);
	uint64_t t;
	int r;

	if (note == NULL)
		return BG_ENOMEM;
	memcpy(note, k->cp, k->cplen);
	memcpy(note + k->cplen, line, len);
	r = bg_audit_cosig_check(note, k->cplen + len, &w->key, &t);
	free(note);
	return r;
}

/*
 * The cosignature in the 200's lines: the one line that verifies with
 * w's key is kept, and only it (a witness's answer may carry other
 * lines, even lines in another witness's name).
 */
static void
take(struct round_ctx *k, const struct bg_witness *w,
    const struct bg_witness_reply *rep)
{
	const char *p = rep->lines, *end = rep->lines + rep->len, *nl;
	int r = BG_ENOENT, rl;

	for (; p < end && r != BG_OK; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		if ((rl = line_ok(k, w, p, (size_t)(nl - p + 1))) == BG_OK &&
		    k->nlines + (size_t)(nl - p + 1) <= sizeof(k->lines)) {
			memcpy(k->lines + k->nlines, p, (size_t)(nl - p + 1));
			k->nlines += (size_t)(nl - p + 1);
			r = BG_OK;
		} else if (rl == BG_ESIG)
			r = BG_ESIG;
	}
	if (r != BG_OK) {
		failure(k, w, r == BG_ESIG ? "a cosignature that does not "
		    "verify with its key" : "its answer holds no cosignature "
		    "by its key");
		k->round->unavailable++;
		return;
	}
	ack(k->state_dir, w, k->size);
	k->round->cosigned++;
}

/* The proof from old to our size (none from 0 or at the same size). */
static int
proof_from(struct round_ctx *k, uint64_t old, struct bg_audit_proof *p)
{
	memset(p, 0, sizeof(*p));
	if (old == 0 || old == k->size)
		return BG_OK;
	return bg_audit_prove_consistency(k->log, old, k->size, p);
}

/*
 * 409: the witness's size. Larger than ours: it cosigned a tree this
 * log does not reach (rolled back). The size we sent: the same size with
 * another root (a fork). Smaller: ask once more from there.
 */
static int
conflict(struct round_ctx *k, const struct bg_witness *w, uint64_t sent,
    uint64_t theirs, int last)
{
	char msg[256];

	if (theirs > k->size || theirs == sent) {
		snprintf(msg, sizeof(msg), theirs > k->size ? "it cosigned a "
		    "tree of %" PRIu64 " entries; this log has %" PRIu64 ": "
		    "the state was rolled back, or forked" : "it cosigned "
		    "another tree of %" PRIu64 " entries (this log has %"
		    PRIu64 "): a fork", theirs, k->size);
		inconsistent(k, w, msg);
		return 0;
	}
	if (last) {
		failure(k, w, "it keeps answering 409");
		k->round->unavailable++;
		return 0;
	}
	return 1;
}

/* Heap-held: a proof and an answer are a few KiB each. */
struct ask_bufs {
	struct bg_witness_reply rep;
	struct bg_audit_proof proof;
};

static void
ask_with(struct round_ctx *k, const struct bg_witness *w,
    struct ask_bufs *b)
{
	uint64_t old = acked(k->state_dir, w);
	int tries;

	if (old > k->size)	/* our own record says it saw more */
		old = 0;
	for (tries = 0; tries < 2; tries++) {
		if (proof_from(k, old, &b->proof) != BG_OK ||
		    bg_witness_add(w, k->cfg->timeout_ms, old, &b->proof, k->cp,
		    k->cplen, &b->rep) != BG_OK) {
			failure(k, w, bg_why());
			k->round->unavailable++;
			return;
		}
		if (b->rep.status == 200) {
			take(k, w, &b->rep);
			return;
		}
		if (b->rep.status == 409 && conflict(k, w, old, b->rep.size,
		    tries == 1)) {
			old = b->rep.size;
			continue;
		}
		if (b->rep.status == 422)
			inconsistent(k, w, "it refuses the consistency proof "
			    "from the tree it cosigned: this log is not an "
			    "extension of it (a fork)");
		else if (b->rep.status != 409) {
			failure(k, w, b->rep.status == 403 ? "it refuses "
			    "the log's signature (is our verifier key "
			    "configured there?)" : b->rep.status == 404 ? "it "
			    "does not witness this log's origin" : "an "
			    "unexpected answer");
			k->round->unavailable++;
		}
		return;
	}
}

static void
ask(struct round_ctx *k, const struct bg_witness *w)
{
	struct ask_bufs *b = malloc(sizeof(*b));

	if (b == NULL) {
		failure(k, w, "out of memory");
		k->round->unavailable++;
		return;
	}
	ask_with(k, w, b);
	free(b);
}

/*
 * STATE/witness/checkpoint: our note and the valid cosignatures; the
 * same in the round, for the kit.
 */
static void
keep(struct round_ctx *k)
{
	char dir[BG_PATH_MAX], path[BG_PATH_MAX], *note;

	if (k->nlines == 0 || wdir(k->state_dir, dir, sizeof(dir)) != BG_OK ||
	    bg_path_join(path, sizeof(path), dir, "checkpoint") != BG_OK ||
	    (note = malloc(k->cplen + k->nlines + 1)) == NULL)
		return;
	memcpy(note, k->cp, k->cplen);
	memcpy(note + k->cplen, k->lines, k->nlines);
	(void)bg_file_replace(path, note, k->cplen + k->nlines, 0600);
	note[k->cplen + k->nlines] = '\0';
	k->round->note = note;
	k->round->note_len = k->cplen + k->nlines;
}

/* witness.inconsistent or witness.unavailable, which alert. */
static void
record(const char *state_dir, const char *event, const char *op,
    const struct bg_witness_round *round)
{
	struct bg_audit_event ev = { event, "", "", "", NULL };
	struct bg_state st;
	cJSON *d = cJSON_CreateObject();

	if (d != NULL && cJSON_AddStringToObject(d, "command", op) &&
	    cJSON_AddNumberToObject(d, "size", (double)round->size) &&
	    cJSON_AddNumberToObject(d, "cosigned", (double)round->cosigned) &&
	    cJSON_AddStringToObject(d, "reason", round->why) &&
	    bg_state_open(&st, state_dir) == BG_OK) {
		ev.detail = d;
		(void)bg_state_note(&st, &ev);
		bg_state_close(&st);
	}
	cJSON_Delete(d);
}

/* The root of the log's current tree. */
static int
head_root(bg_audit_t *log, uint8_t root[32])
{
	struct bg_audit_proof *p = malloc(sizeof(*p));
	int r;

	if (p == NULL)
		return BG_ENOMEM;
	if ((r = bg_audit_prove(log, 0, 0, p)) == BG_OK)
		memcpy(root, p->root, 32);
	free(p);
	return r;
}

static int
run_round(const char *state_dir, const struct bg_witness_config *cfg,
    struct bg_witness_round *round)
{
	struct round_ctx *k = calloc(1, sizeof(*k));
	char dir[BG_PATH_MAX];
	size_t i;
	int r;

	memset(round, 0, sizeof(*round));
	if (k == NULL)
		return BG_ENOMEM;
	k->state_dir = state_dir;
	k->cfg = cfg;
	k->round = round;
	if ((r = bg_path_join(dir, sizeof(dir), state_dir, "audit")) ==
	    BG_OK && (r = bg_audit_open(dir, BG_AUDIT_READ, &k->log)) ==
	    BG_OK && (r = bg_audit_checkpoint(k->log, &k->cp, &k->cplen)) ==
	    BG_OK) {
		k->size = round->size = bg_audit_size(k->log);
		if ((r = head_root(k->log, round->root)) != BG_OK)
			goto out;
		for (i = 0; i < cfg->n; i++)
			ask(k, &cfg->w[i]);
		if (!round->inconsistent)
			keep(k);
	}
out:
	free(k->cp);
	bg_audit_close(&k->log);
	free(k);
	return r;
}

void
bg_witness_round_clear(struct bg_witness_round *round)
{
	free(round->note);
	round->note = NULL;
	round->note_len = 0;
}

int
bg_witness_cosign(const char *state_dir, struct bg_witness_round *round)
{
	struct bg_witness_config *cfg = malloc(sizeof(*cfg));
	int r;

	memset(round, 0, sizeof(*round));
	if (cfg == NULL)
		return BG_ENOMEM;
	if ((r = bg_witness_config_load(state_dir, cfg)) == BG_OK &&
	    !cfg->present) {
		bg_set_why("breakglass.json names no witness");
		r = BG_ENOENT;
	}
	if (r == BG_OK && (r = run_round(state_dir, cfg, round)) == BG_OK &&
	    round->inconsistent) {
		record(state_dir, "witness.inconsistent", "audit cosign",
		    round);
		bg_set_why("%s", round->why);
		r = BG_ETAMPER;
	}
	free(cfg);
	return r;
}

static int
require_with(const char *state_dir, const char *op, FILE *err,
    const struct bg_witness_config *cfg, struct bg_witness_round *head)
{
	struct bg_witness_round round;
	int r;

	if ((r = run_round(state_dir, cfg, &round)) != BG_OK)
		return r;
	*head = round;
	if (round.inconsistent) {
		record(state_dir, "witness.inconsistent", op, &round);
		bg_set_why("%s", round.why);
		return BG_ETAMPER;
	}
	if (round.cosigned >= cfg->quorum)
		return BG_OK;
	if (!bg_witness_guarded(op, cfg->require_approve, cfg->require_seal,
	    cfg->require_change)) {
		fprintf(err, "breakglass: witnesses: %zu of %zu cosigned the "
		    "checkpoint (%s); %s goes on without them (the policy "
		    "does not require them)\n", round.cosigned, cfg->n,
		    round.why, op);
		return BG_OK;
	}
	record(state_dir, "witness.unavailable", op, &round);
	bg_set_why("%s needs %zu witness cosignature(s) of the log's "
	    "checkpoint (size %" PRIu64 "), and %zu came: %s", op, cfg->quorum,
	    round.size, round.cosigned, round.why);
	return BG_EPERM;
}

int
bg_witness_require(const char *state_dir, const char *op, FILE *err,
    struct bg_witness_round *head)
{
	struct bg_witness_config *cfg = malloc(sizeof(*cfg));
	int r;

	memset(head, 0, sizeof(*head));
	if (cfg == NULL)
		return BG_ENOMEM;
	if ((r = bg_witness_config_load(state_dir, cfg)) == BG_OK &&
	    cfg->present)
		r = require_with(state_dir, op, err, cfg, head);
	free(cfg);
	return r;
}

int
bg_witness_checkpoint(const char *state_dir, char **note, size_t *len)
{
	char path[BG_PATH_MAX];
	int r;

	*note = NULL;
	if ((r = bg_path_join(path, sizeof(path), state_dir,
	    "witness/checkpoint")) != BG_OK)
		return r;
	return bg_file_read(path, NOTE_MAX, note, len);
}
