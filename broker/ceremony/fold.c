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
	c->ledger_size = n;
}

void
cer_fold_save(struct bg_cer *c)
{
	bg_ledger_t *l;
	cJSON *j = NULL;

	if (bg_state_fold_due(&c->st) && cer_ledger(c, &l) == BG_OK &&
	    bg_ledger_to_json(l, &j) == BG_OK)
		bg_state_fold_save(&c->st, j);
	cJSON_Delete(j);
	bg_clear_why();
}

/* ------------------------------------------------------ vault verify */

struct fverify {
	struct bg_state *st;
	bg_ledger_t *l;
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
	cJSON *j = NULL;
	int r;

	snprintf(what, sizeof(what), "audit entry %" PRIu64 " (%s)", seq,
	    BG_STATE_SNAPSHOT);
	if (covers > seq || covers < k->done) {
		k->report(k->ctx, what, "anchors a snapshot of entries it "
		    "cannot cover");
		k->bad = 1;
		return BG_OK;
	}
	if ((r = bg_ledger_extend_to(k->st->log, k->l, covers)) != BG_OK ||
	    (r = bg_ledger_to_json(k->l, &j)) != BG_OK ||
	    (r = bg_state_fold_body(k->st, covers, j, &body)) != BG_OK ||
	    (r = bg_state_fold_digest(body, hex)) != BG_OK) {
		cJSON_Delete(j);
		free(body);
		return r;
	}
	k->done = covers;
	if (strcmp(hex, digest) != 0) {
		k->report(k->ctx, what, "anchors a snapshot that is not the "
		    "log's own fold of the entries before it (made with the "
		    "log's key, not by breakglass)");
		k->bad = 1;
	}
	cJSON_Delete(j);
	free(body);
	return BG_OK;
}

int
bg_cer_fold_verify(const char *dir, bg_state_report_fn report, void *ctx)
{
	struct bg_state *st = calloc(1, sizeof(*st));
	struct fverify k = { st, NULL, 0, report, ctx, 0 };
	int r;

	if (st == NULL)
		return BG_ENOMEM;
	/* recomputed from the entries alone, not from a snapshot */
	if ((r = bg_state_open(st, dir)) == BG_OK)
		bg_state_fold_forget(st);
	if (r == BG_OK && (r = bg_ledger_new(&k.l)) == BG_OK &&
	    (r = bg_state_fold_anchors(st, check_anchor, &k)) == BG_OK &&
	    k.bad)
		r = BG_ETAMPER;
	bg_ledger_free(&k.l);
	bg_state_close(st);
	free(st);
	return r;
}
