/*
 * attack_witness: root on the broker host, with a copy of the state
 * directory restored from before the log grew (the log's signing key
 * included), the project's libraries and its own program, not our CLI.
 * It does what our client would never do: grows the old copy into a fork
 * with the stolen key, and asks the witness directly to cosign it from
 * every size it can claim; then splices the live checkpoint's real
 * cosignature onto the fork's checkpoint.
 *
 * usage: attack_witness STATE WITNESS_URL WITNESS_VKEY LIVE_COSIGNED
 * Prints one line per attempt ("held NAME" or "BROKEN NAME: why") and
 * exits 0 when every attempt was refused, 1 when one got through.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "audit/audit.h"
#include "broker/witness/internal.h"

static int broken;

static void
held(const char *what, int ok, const char *why)
{
	if (ok)
		printf("held %s\n", what);
	else {
		printf("BROKEN %s: %s\n", what, why);
		broken = 1;
	}
}

/* The fork: the old copy grown with the stolen key past size. */
static int
grow(bg_audit_t *log, uint64_t size)
{
	struct bg_audit_event ev = { "operator.note", "mallory", "", "", NULL };
	int r = BG_OK;

	while (r == BG_OK && bg_audit_size(log) <= size)
		r = bg_audit_append(log, &ev, NULL);
	return r;
}

/* add-checkpoint claiming old; 1 when the witness cosigned. */
static int
ask(const struct bg_witness *w, bg_audit_t *log, uint64_t old,
    const char *cp, size_t cplen, struct bg_witness_reply *rep)
{
	struct bg_audit_proof *p = calloc(1, sizeof(*p));
	int r = BG_ENOMEM;

	if (p != NULL && (old == 0 || old >= bg_audit_size(log) ||
	    bg_audit_prove_consistency(log, old, 0, p) == BG_OK))
		r = bg_witness_add(w, 2000, old, p, cp, cplen, rep);
	free(p);
	return r == BG_OK && rep->status == 200;
}

/* The live checkpoint's cosignature line, after our checkpoint. */
static void
splice(const struct bg_witness *w, const char *cp, size_t cplen,
    const char *live)
{
	const char *line = strstr(live, "\xe2\x80\x94 ");
	char *note;
	uint64_t t;

	/* the witness's line: the second signature line of the live note */
	if (line != NULL)
		line = strstr(line + 1, "\xe2\x80\x94 ");
	if (line == NULL || (note = malloc(cplen + strlen(line) + 1)) == NULL) {
		held("splice: a cosignature line in the live checkpoint", 0,
		    "none found");
		return;
	}
	memcpy(note, cp, cplen);
	strcpy(note + cplen, line);
	held("splice: the live cosignature on the fork's checkpoint",
	    bg_audit_cosig_check(note, strlen(note), &w->key, &t) != BG_OK,
	    "it verifies");
	free(note);
}

int
main(int argc, char **argv)
{
	struct bg_witness_reply *rep = calloc(1, sizeof(*rep));
	struct bg_witness w;
	bg_audit_t *log = NULL;
	char dir[BG_PATH_MAX], what[96], *cp = NULL, *live = NULL;
	uint64_t tries[4], theirs = 0;
	size_t cplen, llen, i;

	if (argc != 5 || rep == NULL)
		return 2;
	memset(&w, 0, sizeof(w));
	snprintf(w.url, sizeof(w.url), "%s", argv[2]);
	if (bg_audit_cosig_key_parse(argv[3], strlen(argv[3]), &w.key) !=
	    BG_OK || bg_file_read(argv[4], 8192, &live, &llen) != BG_OK ||
	    bg_path_join(dir, sizeof(dir), argv[1], "audit") != BG_OK ||
	    bg_audit_open(dir, BG_AUDIT_WRITE, &log) != BG_OK)
		return 2;
	/* the witness's size, from its 409 to a claim of 0 */
	if (bg_audit_checkpoint(log, &cp, &cplen) == BG_OK &&
	    !ask(&w, log, 0, cp, cplen, rep) && rep->status == 409)
		theirs = rep->size;
	free(cp);
	cp = NULL;
	held("the witness has a size larger than the old copy",
	    theirs > bg_audit_size(log), "it does not");
	/* the fork: grown past the witness's size with the stolen key */
	if (grow(log, theirs) != BG_OK ||
	    bg_audit_checkpoint(log, &cp, &cplen) != BG_OK)
		return 2;
	tries[0] = 0;
	tries[1] = theirs;		/* its size: the proof is from ours */
	tries[2] = theirs - 1;
	tries[3] = bg_audit_size(log);
	for (i = 0; i < 4; i++) {
		snprintf(what, sizeof(what), "add-checkpoint of the fork (%"
		    PRIu64 " entries) claiming old %" PRIu64,
		    bg_audit_size(log), tries[i]);
		held(what, !ask(&w, log, tries[i], cp, cplen, rep),
		    "the witness cosigned it");
	}
	splice(&w, cp, cplen, live);
	free(cp);
	free(live);
	free(rep);
	bg_audit_close(&log);
	return broken;
}
