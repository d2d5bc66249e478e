/*
 * broker/state/ snapshots of what every command reads from the whole log
 * (docs/audit.md "Snapshots"): the last hash recorded for each state
 * file (state.c) and the ledger (broker/ledger, opaque here). Both are
 * folds over the entries; a snapshot is both folds up to some size, kept
 * in STATE/index/fold as
 *
 *   anchor <seq>\n
 *   {"format":"breakglass-fold-v1","covers":N,"recorded":[..],"ledger":{..}}
 *
 * and anchored in the log itself: entry <seq> is "state.snapshot" with
 * detail {"covers": N, "digest": SHA-256 of the JSON text}. An opener
 * believes the file only when that entry says so and is in the tree the
 * signed checkpoint covers (its leaf hash against an inclusion proof:
 * O(log n)); the folds then read only the entries after N. A file
 * missing, cut short, edited, from another log, or naming an entry that
 * is not its anchor is not believed: the folds read the whole log, as
 * without snapshots, and the next save makes a new one. An older
 * snapshot that still matches its anchor is correct, only slower: the
 * entries after it are folded in. So the file never decides an answer;
 * the log does.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/common.h"
#include "broker/state/state.h"

#define FOLD_DIR "index"
#define FOLD_FILE "index/fold"
#define FOLD_FORMAT "breakglass-fold-v1"
#define FOLD_MAX (256u << 20)	/* bytes of a snapshot read */

static int
digest_hex(const char *text, size_t len, char hex[65])
{
	uint8_t h[32];

	if (EVP_Digest(text, len, h, NULL, EVP_sha256(), NULL) != 1)
		return BG_ECRYPTO;
	return bg_hex_encode(h, 32, hex, 65);
}

/* The anchor entry's covers and digest (BG_ENOENT: not an anchor). */
static int
anchor_fields(const struct bg_audit_entry *e, uint64_t *covers,
    const char **digest)
{
	if (strcmp(e->event, BG_STATE_SNAPSHOT) != 0)
		return BG_ENOENT;
	if (bg_json_get_u64(e->detail, "covers", 0, BG_JSON_INT_MAX, covers) !=
	    BG_OK || bg_json_get_str(e->detail, "digest", 64, digest) !=
	    BG_OK)
		return BG_EFORMAT;
	return BG_OK;
}

/*
 * Entry seq is the anchor of a snapshot of n entries whose text hashes
 * to hex, and is in the tree the log's signed checkpoint covers.
 */
static int
anchored(struct bg_state *st, uint64_t seq, uint64_t n, const char *hex)
{
	struct bg_audit_entry e;
	struct bg_audit_proof *p = NULL;
	const char *d = NULL;
	char *line = NULL;
	uint64_t covers = 0;
	uint8_t leaf[32];
	size_t len = 0;
	int r;

	if (seq < n || bg_audit_entry_at(st->log, seq, &line, &len) != BG_OK)
		r = BG_ENOENT;
	else if ((r = bg_audit_entry_parse(line, len, &e)) == BG_OK) {
		if (anchor_fields(&e, &covers, &d) != BG_OK || covers != n ||
		    strcmp(d, hex) != 0)
			r = BG_ETAMPER;
		bg_audit_entry_free(&e);
	}
	if (r == BG_OK && (p = malloc(sizeof(*p))) == NULL)
		r = BG_ENOMEM;
	if (r == BG_OK && (r = bg_audit_prove(st->log, seq, 0, p)) == BG_OK &&
	    (r = bg_audit_leaf_hash(line, len, leaf)) == BG_OK &&
	    bg_ct_memcmp(leaf, p->leaf, 32) != 0)
		r = BG_ETAMPER;
	free(p);
	free(line);
	return r;
}

/* The JSON text of the snapshot file, after its anchor line. */
static int
split(char *text, size_t len, uint64_t *seq, char **body, size_t *blen)
{
	char *nl = memchr(text, '\n', len), *end;

	if (nl == NULL || len < 8 || strncmp(text, "anchor ", 7) != 0 ||
	    text[7] < '0' || text[7] > '9')
		return BG_EFORMAT;
	*nl = '\0';
	*seq = strtoull(text + 7, &end, 10);
	if (end != nl)
		return BG_EFORMAT;
	*body = nl + 1;
	*blen = len - (size_t)(nl + 1 - text);
	return BG_OK;
}

/* The folds of a proved snapshot j (covering n entries) taken over. */
static int
take(struct bg_state *st, cJSON *j, uint64_t n)
{
	static const char *const keys[] = { "format", "covers", "recorded",
	    "ledger", NULL };
	const char *fmt;
	int r;

	if (bg_json_only_keys(j, keys) != BG_OK ||
	    bg_json_get_str(j, "format", 32, &fmt) != BG_OK ||
	    strcmp(fmt, FOLD_FORMAT) != 0 ||
	    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "ledger")))
		return BG_EFORMAT;
	if ((r = bg_state_recorded_seed(st, cJSON_GetObjectItemCaseSensitive(
	    j, "recorded"), n)) != BG_OK)
		return r;
	st->fold_ledger = cJSON_DetachItemFromObjectCaseSensitive(j, "ledger");
	st->fold_covers = n;
	return BG_OK;
}

void
bg_state_fold_load(struct bg_state *st)
{
	char path[BG_PATH_MAX], hex[65], *text = NULL, *body;
	size_t len, blen;
	uint64_t seq, n = 0;
	cJSON *j = NULL;

	if (bg_path_join(path, sizeof(path), st->dir, FOLD_FILE) != BG_OK ||
	    bg_file_read(path, FOLD_MAX, &text, &len) != BG_OK)
		return;
	/* its digest named by its anchor entry, proved in the tree, before
	 * anything in it is used */
	if (split(text, len, &seq, &body, &blen) == BG_OK &&
	    digest_hex(body, blen, hex) == BG_OK &&
	    (j = bg_json_parse(body, blen)) != NULL &&
	    bg_json_get_u64(j, "covers", 1, BG_JSON_INT_MAX, &n) == BG_OK &&
	    anchored(st, seq, n, hex) == BG_OK)
		(void)take(st, j, n);
	cJSON_Delete(j);
	free(text);
	bg_clear_why();
}

const cJSON *
bg_state_fold_ledger(const struct bg_state *st, uint64_t *covers)
{
	*covers = st->fold_covers;
	return st->fold_ledger;
}

int
bg_state_fold_due(const struct bg_state *st)
{
	return st->log != NULL && bg_audit_size(st->log) >= st->fold_covers +
	    BG_STATE_FOLD_EVERY;
}

int
bg_state_fold_body(struct bg_state *st, uint64_t n, cJSON *ledger,
    char **text)
{
	cJSON *o = cJSON_CreateObject(), *rec = NULL;
	int r = o == NULL ? BG_ENOMEM : BG_OK;

	*text = NULL;
	if (r == BG_OK && (r = bg_state_recorded_json(st, n, &rec)) == BG_OK &&
	    (!cJSON_AddStringToObject(o, "format", FOLD_FORMAT) ||
	    !cJSON_AddNumberToObject(o, "covers", (double)n) ||
	    bg_json_add(o, "recorded", rec) != BG_OK ||
	    !cJSON_AddItemReferenceToObject(o, "ledger", ledger)))
		r = BG_ENOMEM;
	if (r == BG_OK && (*text = cJSON_PrintUnformatted(o)) == NULL)
		r = BG_ENOMEM;
	cJSON_Delete(o);
	return r;
}

/* STATE/index/fold: the anchor line, then the body. */
static int
write_file(const struct bg_state *st, uint64_t seq, const char *body)
{
	char dir[BG_PATH_MAX], path[BG_PATH_MAX], head[40], *text;
	int n = snprintf(head, sizeof(head), "anchor %" PRIu64 "\n", seq), r;
	size_t blen = strlen(body);

	if ((r = bg_path_join(dir, sizeof(dir), st->dir, FOLD_DIR)) != BG_OK ||
	    (r = bg_mkdir_private(dir)) != BG_OK ||
	    (r = bg_path_join(path, sizeof(path), st->dir, FOLD_FILE)) !=
	    BG_OK)
		return r;
	if ((text = malloc((size_t)n + blen)) == NULL)
		return BG_ENOMEM;
	memcpy(text, head, (size_t)n);
	memcpy(text + n, body, blen);
	r = bg_file_replace(path, text, (size_t)n + blen, 0600);
	free(text);
	return r;
}

void
bg_state_fold_save(struct bg_state *st, cJSON *ledger)
{
	struct bg_audit_event ev = { BG_STATE_SNAPSHOT, BG_STATE_SYSTEM_ACTOR,
	    "", "", NULL };
	uint64_t size = bg_audit_size(st->log);
	char hex[65], *body = NULL;
	cJSON *d = NULL;

	/* the folds as they are, their digest in the log, then the file:
	 * a crash before the file leaves the older snapshot, still true */
	if (bg_state_fold_body(st, size, ledger, &body) == BG_OK &&
	    digest_hex(body, strlen(body), hex) == BG_OK &&
	    (d = cJSON_CreateObject()) != NULL &&
	    cJSON_AddNumberToObject(d, "covers", (double)size) &&
	    cJSON_AddStringToObject(d, "digest", hex)) {
		ev.detail = d;
		if (bg_state_note(st, &ev) == BG_OK &&
		    write_file(st, bg_audit_size(st->log) - 1, body) == BG_OK)
			st->fold_covers = size;
	}
	cJSON_Delete(d);
	free(body);
	bg_clear_why();
}

/* ------------------------------------------------------ vault verify */

struct anchors {
	bg_state_anchor_fn fn;
	void *ctx;
};

static int
one_anchor(void *ctx, uint64_t seq, const char *line, size_t len)
{
	struct anchors *k = ctx;
	struct bg_audit_entry e;
	const char *name, *d = "";
	uint64_t covers = UINT64_MAX;
	size_t n;
	int r = BG_OK, f;

	/* the lines that are not anchors are passed over unparsed */
	if ((name = bg_audit_line_event(line, len, &n)) != NULL &&
	    (n != strlen(BG_STATE_SNAPSHOT) ||
	    memcmp(name, BG_STATE_SNAPSHOT, n) != 0))
		return BG_OK;
	if (bg_audit_entry_parse(line, len, &e) != BG_OK)
		return BG_OK;	/* audit verify judges the line */
	if ((f = anchor_fields(&e, &covers, &d)) != BG_ENOENT)
		r = k->fn(k->ctx, seq, f == BG_OK ? covers : UINT64_MAX,
		    f == BG_OK ? d : "");
	bg_audit_entry_free(&e);
	return r;
}

int
bg_state_fold_anchors(struct bg_state *st, bg_state_anchor_fn fn, void *ctx)
{
	struct anchors k = { fn, ctx };

	return bg_audit_foreach(st->log, 0, bg_audit_size(st->log),
	    one_anchor, &k);
}

int
bg_state_fold_digest(const char *body, char hex[65])
{
	return digest_hex(body, strlen(body), hex);
}
