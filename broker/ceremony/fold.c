/*
 * broker/ceremony/ the ledger's part of the log's snapshots (the state
 * module keeps them and proves them: broker/state/fold.c, docs/audit.md
 * "Snapshots"): the ledger started from the snapshot the state believed,
 * a new snapshot saved when one is due, and vault verify's recomputation
 * of every snapshot anchored in the log.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "broker/ceremony/internal.h"

void
cer_fold_load(struct bg_cer *c)
{
	const cJSON *j;
	bg_ledger_t *l = NULL;
	uint64_t n;

	if ((j = bg_state_fold_ledger(&c->st, &n)) == NULL ||
	    bg_ledger_from_json(j, &l) != BG_OK)
		return;
	if (bg_ledger_size(l) != n) {
		bg_ledger_free(&l);
		return;
	}
	c->ledger = l;
}

/* The ledger as a snapshot's part: fed each line, then printed. */
static int
part_line(void *ctx, uint64_t seq, const char *line, size_t len)
{
	return bg_ledger_fold_line(ctx, seq, line, len);
}

static int
part_json(void *ctx, cJSON **out)
{
	return bg_ledger_to_json(ctx, out);
}

/* A ledger where the snapshot believed ends (from_snapshot), or empty. */
static int
part_ledger(const struct bg_state *st, int from_snapshot, bg_ledger_t **l)
{
	const cJSON *j;
	uint64_t n;

	*l = NULL;
	if (from_snapshot && (j = bg_state_fold_ledger(st, &n)) != NULL) {
		if (bg_ledger_from_json(j, l) != BG_OK)
			return BG_EFORMAT;
		if (bg_ledger_size(*l) != n) {
			bg_ledger_free(l);
			return BG_EFORMAT;
		}
		return BG_OK;
	}
	return bg_ledger_new(l);
}

void
cer_fold_save(struct bg_cer *c)
{
	struct bg_state_fold_part part = { NULL, part_line, part_json };
	bg_ledger_t *l = NULL;

	if (bg_state_fold_due(&c->st) && part_ledger(&c->st, 1, &l) == BG_OK) {
		part.ctx = l;
		bg_state_fold_save(&c->st, &part);
	}
	bg_ledger_free(&l);
	bg_clear_why();
}

/* ------------------------------------------------------ vault verify */

struct fverify {
	struct bg_state_fold *fold;
	uint64_t done;
	bg_state_report_fn report;
	void *ctx;
	int bad;
};

/* One anchor: the folds recomputed at its covers, digest compared. */
static int
check_anchor(void *ctx, uint64_t seq, uint64_t covers, const char *digest)
{
	struct fverify *k = ctx;
	char what[96], hex[65], *body = NULL;
	int r;

	snprintf(what, sizeof(what), "audit entry %" PRIu64 " (%s)", seq,
	    BG_STATE_SNAPSHOT);
	if (covers > seq || covers < k->done) {
		k->report(k->ctx, what, "anchors a snapshot of entries it "
		    "cannot cover");
		k->bad = 1;
		return BG_OK;
	}
	if ((r = bg_state_fold_to(k->fold, covers)) != BG_OK ||
	    (r = bg_state_fold_text(k->fold, &body)) != BG_OK ||
	    (r = bg_state_fold_digest(body, hex)) != BG_OK) {
		free(body);
		return r;
	}
	free(body);
	k->done = covers;
	if (strcmp(hex, digest) != 0) {
		k->report(k->ctx, what, "anchors a snapshot that is not the "
		    "fold of the entries before it as they are now (made with "
		    "the log's key, or from entries edited since: audit "
		    "verify says which)");
		k->bad = 1;
	}
	return BG_OK;
}

int
bg_cer_fold_verify(const char *dir, bg_state_report_fn report, void *ctx)
{
	struct bg_state *st = calloc(1, sizeof(*st));
	struct bg_state_fold_part part = { NULL, part_line, part_json };
	struct fverify k = { NULL, 0, report, ctx, 0 };
	bg_ledger_t *l = NULL;
	int r;

	if (st == NULL)
		return BG_ENOMEM;
	/* recomputed from the entries alone, not from a snapshot */
	if ((r = bg_state_open(st, dir)) == BG_OK &&
	    (r = part_ledger(st, 0, &l)) == BG_OK) {
		part.ctx = l;
		if ((r = bg_state_fold_begin(st, 0, &part, &k.fold)) == BG_OK &&
		    (r = bg_state_fold_anchors(st, check_anchor, &k)) ==
		    BG_OK && k.bad)
			r = BG_ETAMPER;
	}
	bg_state_fold_end(k.fold);
	bg_ledger_free(&l);
	bg_state_close(st);
	free(st);
	return r;
}
