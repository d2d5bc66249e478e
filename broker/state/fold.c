/*
 * broker/state/ snapshots of what every command reads from the whole log
 * (docs/audit.md "Snapshots"): the last hash recorded for each state
 * file (state.c) and the ledger (broker/ledger, opaque here). Both are
 * folds over the entries; a snapshot is both folds up to some size, kept
 * in STATE/index/fold as
 *
 *   anchor <seq>\n
 *   {"format":"breakglass-fold-v1","covers":N,"frontier":{..},
 *    "recorded":[..],"ledger":{..}}
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
 *
 * A snapshot is made from lines proved to be the signed ones: the save
 * folds the entries after the snapshot it starts from (or all of them)
 * afresh, hashing the very bytes it folds into the Merkle frontier the
 * snapshot carries, and anchors nothing unless the frontier's root is the
 * signed root. An entries file edited for a while, then put back, cannot
 * be sealed into a snapshot (the commands that ran while it was edited
 * read it as they always did; audit verify names such an edit).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/common.h"
#include "broker/state/state.h"
#include "broker/state/internal.h"

#define FOLD_DIR "index"
#define FOLD_FILE "index/fold"
#define FOLD_FORMAT "breakglass-fold-v1"
#define FOLD_MAX (64u << 20)	/* bytes of a snapshot read */

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
 * Entry seq is the anchor of a snapshot whose text hashes to hex, and is
 * in the tree the log's signed checkpoint covers: *n the entries it
 * says the snapshot covers.
 */
static int
anchored(struct bg_state *st, uint64_t seq, const char *hex, uint64_t *n)
{
	struct bg_audit_entry e;
	struct bg_audit_proof *p = NULL;
	const char *d = NULL;
	char *line = NULL;
	uint8_t leaf[32];
	size_t len = 0;
	int r;

	if (bg_audit_entry_at(st->log, seq, &line, &len) != BG_OK)
		r = BG_ENOENT;
	else if ((r = bg_audit_entry_parse(line, len, &e)) == BG_OK) {
		if (anchor_fields(&e, n, &d) != BG_OK || *n > seq ||
		    *n == 0 || strcmp(d, hex) != 0)
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
	static const char *const keys[] = { "format", "covers", "frontier",
	    "recorded", "ledger", NULL };
	const char *fmt;
	uint64_t covers;
	int r;

	if (bg_json_only_keys(j, keys) != BG_OK ||
	    bg_json_get_str(j, "format", 32, &fmt) != BG_OK ||
	    strcmp(fmt, FOLD_FORMAT) != 0 ||
	    bg_json_get_u64(j, "covers", 1, BG_JSON_INT_MAX, &covers) !=
	    BG_OK || covers != n ||
	    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "ledger")) ||
	    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "frontier")))
		return BG_EFORMAT;
	if ((r = bg_state_recorded_seed(st, cJSON_GetObjectItemCaseSensitive(
	    j, "recorded"), n)) != BG_OK)
		return r;
	st->fold_json = j;
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
	 * the text is even parsed */
	if (split(text, len, &seq, &body, &blen) == BG_OK &&
	    digest_hex(body, blen, hex) == BG_OK &&
	    anchored(st, seq, hex, &n) == BG_OK &&
	    (j = bg_json_parse(body, blen)) != NULL && take(st, j, n) == BG_OK)
		j = NULL;	/* kept in st */
	cJSON_Delete(j);
	free(text);
	bg_clear_why();
}

const cJSON *
bg_state_fold_ledger(const struct bg_state *st, uint64_t *covers)
{
	*covers = st->fold_covers;
	return st->fold_json == NULL ? NULL :
	    cJSON_GetObjectItemCaseSensitive(st->fold_json, "ledger");
}

int
bg_state_fold_due(const struct bg_state *st)
{
	return st->log != NULL && bg_audit_size(st->log) >= st->fold_covers +
	    BG_STATE_FOLD_EVERY;
}

/* ------------------------------------------------- a fold of the lines */

struct bg_state_fold {
	struct bg_state *st;
	const struct bg_state_fold_part *part;
	struct bg_state_recorded *rec;
	struct bg_audit_frontier f;
	int err;
};

/* {"size": N, "levels": [[level, hex], ...]} for the levels in use */
static cJSON *
frontier_json(const struct bg_audit_frontier *f)
{
	cJSON *o = cJSON_CreateObject(), *arr, *pair;
	char hex[65];
	unsigned l;

	if (o == NULL || !cJSON_AddNumberToObject(o, "size", (double)f->size) ||
	    (arr = cJSON_AddArrayToObject(o, "levels")) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	for (l = 0; l < 64; l++) {
		if (((f->size >> l) & 1) == 0)
			continue;
		(void)bg_hex_encode(f->hash[l], 32, hex, sizeof(hex));
		if (bg_json_add(arr, NULL, pair = cJSON_CreateArray()) != BG_OK ||
		    bg_json_add(pair, NULL, cJSON_CreateNumber(l)) != BG_OK ||
		    bg_json_add(pair, NULL, cJSON_CreateString(hex)) != BG_OK) {
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

static int
frontier_from(const cJSON *o, struct bg_audit_frontier *f)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "levels"), *p;
	const cJSON *lv, *h;
	uint64_t seen = 0;
	double l;

	bg_audit_frontier_init(f);
	if (bg_json_get_u64(o, "size", 0, BG_JSON_INT_MAX, &f->size) != BG_OK ||
	    !cJSON_IsArray(arr))
		return BG_EFORMAT;
	cJSON_ArrayForEach(p, arr) {
		lv = cJSON_GetArrayItem(p, 0);
		h = cJSON_GetArrayItem(p, 1);
		if (!cJSON_IsArray(p) || cJSON_GetArraySize(p) != 2 ||
		    !cJSON_IsNumber(lv) || !cJSON_IsString(h) ||
		    (l = lv->valuedouble) < 0 || l > 63 || l != (unsigned)l ||
		    ((f->size >> (unsigned)l) & 1) == 0 ||
		    (seen >> (unsigned)l) & 1 ||
		    bg_hex_decode_exact(h->valuestring, strlen(h->valuestring),
		    f->hash[(unsigned)l], 32) != BG_OK)
			return BG_EFORMAT;
		seen |= UINT64_C(1) << (unsigned)l;
	}
	return seen == f->size ? BG_OK : BG_EFORMAT;
}

int
bg_state_fold_begin(struct bg_state *st, int from_snapshot,
    const struct bg_state_fold_part *part, struct bg_state_fold **out)
{
	struct bg_state_fold *k = calloc(1, sizeof(*k));
	const cJSON *j = from_snapshot ? st->fold_json : NULL;
	int r;

	*out = NULL;
	if (k == NULL)
		return BG_ENOMEM;
	k->st = st;
	k->part = part;
	bg_audit_frontier_init(&k->f);
	if ((r = bg_state_recorded_from_json(j == NULL ? NULL :
	    cJSON_GetObjectItemCaseSensitive(j, "recorded"), &k->rec)) !=
	    BG_OK || (j != NULL && ((r = frontier_from(
	    cJSON_GetObjectItemCaseSensitive(j, "frontier"), &k->f)) != BG_OK ||
	    k->f.size != st->fold_covers))) {
		bg_state_fold_end(k);
		return r != BG_OK ? r : BG_EFORMAT;
	}
	*out = k;
	return BG_OK;
}

/* One line: hashed into the frontier, then folded: the same bytes. */
static int
fold_line(void *ctx, uint64_t seq, const char *line, size_t len)
{
	struct bg_state_fold *k = ctx;
	int r;

	if ((r = bg_audit_frontier_add(&k->f, line, len)) != BG_OK ||
	    (r = bg_state_recorded_line(k->rec, seq, line, len)) != BG_OK ||
	    (r = k->part->line(k->part->ctx, seq, line, len)) != BG_OK)
		k->err = r;
	return r;
}

int
bg_state_fold_to(struct bg_state_fold *k, uint64_t n)
{
	if (n < k->f.size || n > bg_audit_size(k->st->log))
		return BG_EINVAL;
	return bg_audit_foreach(k->st->log, k->f.size, n, fold_line, k);
}

int
bg_state_fold_text(struct bg_state_fold *k, char **text)
{
	cJSON *o = cJSON_CreateObject(), *x = NULL;
	int r = o == NULL ? BG_ENOMEM : BG_OK;

	*text = NULL;
	if (r == BG_OK && (!cJSON_AddStringToObject(o, "format", FOLD_FORMAT) ||
	    !cJSON_AddNumberToObject(o, "covers", (double)k->f.size) ||
	    bg_json_add(o, "frontier", frontier_json(&k->f)) != BG_OK))
		r = BG_ENOMEM;
	if (r == BG_OK && ((r = bg_state_recorded_to_json(k->rec, &x)) !=
	    BG_OK || (r = bg_json_add(o, "recorded", x)) != BG_OK))
		x = NULL;
	if (r == BG_OK && ((r = k->part->json(k->part->ctx, &x)) != BG_OK ||
	    (r = bg_json_add(o, "ledger", x)) != BG_OK))
		x = NULL;
	if (r == BG_OK && (*text = cJSON_PrintUnformatted(o)) == NULL)
		r = BG_ENOMEM;
	cJSON_Delete(o);
	return r;
}

void
bg_state_fold_end(struct bg_state_fold *k)
{
	if (k == NULL)
		return;
	bg_state_recorded_free(k->rec);
	free(k);
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
bg_state_fold_save(struct bg_state *st, const struct bg_state_fold_part *part)
{
	struct bg_audit_event ev = { BG_STATE_SNAPSHOT, BG_STATE_SYSTEM_ACTOR,
	    "", "", NULL };
	uint64_t size = bg_audit_size(st->log);
	struct bg_state_fold *k = NULL;
	uint8_t root[32], signed_root[32];
	char hex[65], *body = NULL;
	cJSON *d = NULL;

	/* from the snapshot believed (or from the start), the entries since
	 * folded afresh, their bytes proved to be the signed ones; then the
	 * digest in the log, then the file: a crash before the file leaves
	 * the older snapshot, still true */
	bg_audit_signed_root(st->log, signed_root);
	if (bg_state_fold_begin(st, 1, part, &k) == BG_OK &&
	    bg_state_fold_to(k, size) == BG_OK &&
	    bg_audit_frontier_root(&k->f, root) == BG_OK &&
	    bg_ct_memcmp(root, signed_root, 32) == 0 &&
	    bg_state_fold_text(k, &body) == BG_OK &&
	    digest_hex(body, strlen(body), hex) == BG_OK &&
	    (d = cJSON_CreateObject()) != NULL &&
	    cJSON_AddNumberToObject(d, "covers", (double)size) &&
	    cJSON_AddStringToObject(d, "digest", hex)) {
		ev.detail = d;
		if (bg_state_note(st, &ev) == BG_OK &&
		    write_file(st, bg_audit_size(st->log) - 1, body) == BG_OK)
			st->fold_covers = size;
	}
	bg_state_fold_end(k);
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
