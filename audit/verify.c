/*
 * Whole-log verification, streaming in O(log n) memory: every leaf and the
 * root recomputed from the stored bytes, seq continuity, time order, the
 * checkpoint signature, the derived node store, and consistency with an
 * older checkpoint the caller trusts. Holds a shared lock so no writer
 * appends meanwhile. Leaf hashes of each batch of lines are computed on
 * two threads; everything else runs in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/common.h"
#include "audit/internal.h"

#define TARGETS 3		/* newest checkpoint, caller's, plain file */
#define REC_BUF 2048		/* records read from a derived file at once */
#define VERIFY_BATCH 4096	/* lines hashed together */

/* Fixed-size records of a derived file (tree: hashes; index: offsets). */
struct records {
	int fd;
	size_t width;
	uint8_t *buf;
	uint64_t limit, seen, first, n;
};

struct target {
	int used, have;
	struct bg_checkpoint cp;
	uint8_t root[BG_HASH_LEN];
};

struct vstate {
	const struct bg_audit_verify_opts *o;
	const char *dir;
	struct bg_audit_verify_result *res;
	struct bg_note_key key;
	int entries_fd;
	struct bg_store st;
	uint64_t n;			/* newest checkpoint's size */
	int torn;			/* the other slot is damaged */
	struct target t[TARGETS];
	struct bg_merkle_stream stream;
	char prev_time[BG_TIME_LEN + 1];
	/* derived files compared: node store, index */
	struct records tree, index;
	uint64_t end;			/* end offset of the last line seen */
	int store_bad, index_bad;
	uint64_t store_bad_seq;
};

static int
fail(struct vstate *v, int err, int bad, uint64_t seq, const char *msg)
{
	/* a line break removed or added shows first as a leaf mismatch */
	if (bad && v->store_bad && v->store_bad_seq < seq)
		seq = v->store_bad_seq;
	v->res->bad = bad;
	v->res->bad_seq = seq;
	snprintf(v->res->reason, sizeof(v->res->reason), "%s", msg);
	return err;
}

/* The next record of r into out; BG_EIO when the file ends early. */
static int
records_next(struct records *r, uint8_t *out)
{
	uint64_t want;
	ssize_t got;

	if (r->seen >= r->first + r->n) {
		want = r->limit - r->seen < REC_BUF ? r->limit - r->seen :
		    REC_BUF;
		got = pread(r->fd, r->buf, (size_t)want * r->width,
		    (off_t)(r->seen * r->width));
		if (got < (ssize_t)r->width)
			return BG_EIO;
		r->first = r->seen;
		r->n = (uint64_t)got / r->width;
	}
	memcpy(out, r->buf + (r->seen - r->first) * r->width, r->width);
	r->seen++;
	return BG_OK;
}

/* Compares each hash the stream completes with the stored one. */
static int
store_cmp(void *ctx, unsigned level, uint64_t index, const uint8_t *h)
{
	struct vstate *v = ctx;
	uint8_t stored[BG_HASH_LEN];

	if (v->tree.seen >= v->tree.limit || v->store_bad)
		return BG_OK;
	if (records_next(&v->tree, stored) != BG_OK ||
	    memcmp(stored, h, BG_HASH_LEN) != 0) {
		v->store_bad = 1;
		v->store_bad_seq = ((index + 1) << level) - 1;
	}
	return BG_OK;
}

/* Compares the end offset of each line with the index's. */
static void
index_cmp(struct vstate *v, size_t len)
{
	uint8_t b[8];
	uint64_t stored = 0;
	int i;

	v->end += len + 1;
	if (v->index.seen >= v->index.limit || v->index_bad)
		return;
	if (records_next(&v->index, b) != BG_OK) {
		v->index_bad = 1;
		return;
	}
	for (i = 7; i >= 0; i--)
		stored = stored << 8 | b[i];
	if (stored != v->end)
		v->index_bad = 1;
}

/*
 * The event name of a line bg_entry_scan accepted, as stored: a valid
 * name needs no escapes, so a name spelled with any is malformed (and
 * a clock.skew entry cannot hide from the check below).
 */
static int
line_event(const char *line, size_t len, uint64_t seq, char out[65])
{
	static const char p1[] = "{\"seq\":", p2[] = ",\"time\":\"",
	    p3[] = "\",\"event\":\"";
	char num[24];
	size_t i, k;

	i = (size_t)snprintf(num, sizeof(num), "%" PRIu64, seq) +
	    sizeof(p1) - 1 + sizeof(p2) - 1 + BG_TIME_LEN + sizeof(p3) - 1;
	for (k = 0; i + k < len && k < 64 && line[i + k] != '"'; k++)
		out[k] = line[i + k];
	out[k] = '\0';
	return i + k < len && line[i + k] == '"' && bg_audit_event_name_ok(out);
}

/* Time goes back only at a clock.skew entry that states that step. */
static int
check_skew(struct vstate *v, uint64_t i, const char *line, size_t len)
{
	struct bg_audit_entry e;
	int r;

	if (i == 0)
		return fail(v, BG_ETAMPER, 1, i, "clock.skew entry with no "
		    "entry before it");
	if (bg_audit_entry_parse(line, len, &e) != BG_OK)
		return fail(v, BG_ETAMPER, 1, i, "clock.skew entry is "
		    "malformed");
	r = bg_skew_check(&e, v->prev_time);
	bg_audit_entry_free(&e);
	if (r != BG_OK)
		return fail(v, BG_ETAMPER, 1, i, "clock.skew entry does not "
		    "state the step from the previous entry's time back to its "
		    "own (actor breakglass; previous, now, back_ms)");
	return BG_OK;
}

static int
check_line(struct vstate *v, uint64_t i, const char *line, size_t len,
    const uint8_t leaf[BG_HASH_LEN])
{
	char t[BG_TIME_LEN + 1], ev[65];
	uint64_t seq;
	int64_t ms;
	int k, r;

	if (bg_entry_scan(line, len, &seq, t) != BG_OK ||
	    !line_event(line, len, seq, ev))
		return fail(v, BG_ETAMPER, 1, i, "entry is malformed");
	if (seq != i)
		return fail(v, BG_ETAMPER, 1, i, "entry has the wrong seq "
		    "(deleted, duplicated or reordered entries)");
	if (bg_time_ms(t, &ms) != BG_OK)
		return fail(v, BG_ETAMPER, 1, i, "entry time is not a real "
		    "instant");
	if (strcmp(ev, BG_AUDIT_CLOCK_SKEW) == 0) {
		if ((r = check_skew(v, i, line, len)) != BG_OK)
			return r;
	} else if (strcmp(t, v->prev_time) < 0)
		return fail(v, BG_ETAMPER, 1, i, "entry time goes backwards");
	memcpy(v->prev_time, t, sizeof(t));
	index_cmp(v, len);
	if ((r = bg_merkle_stream_add(&v->stream, leaf, store_cmp, v)) != BG_OK)
		return r;
	for (k = 0; k < TARGETS; k++)
		if (v->t[k].used && v->t[k].cp.size == v->stream.size &&
		    (r = bg_merkle_stream_root(&v->stream, v->t[k].root)) == BG_OK)
			v->t[k].have = 1;
	return r;
}

/*
 * Leaf hashes of a batch of lines, on two cores: leaves are independent,
 * and hashing them is most of verify's work.
 */
struct leaf_job {
	const struct bg_line *lines;
	uint8_t (*leaf)[BG_HASH_LEN];
	size_t n;
	int r;
};

static void *
leaf_run(void *arg)
{
	struct leaf_job *j = arg;
	size_t i;

	for (i = 0; i < j->n && j->r == BG_OK; i++)
		j->r = bg_merkle_leaf_hash(j->lines[i].p, j->lines[i].len,
		    j->leaf[i]);
	return NULL;
}

/*
 * The second core's worker, started once for the whole run: each batch
 * hands it half the lines and waits for it (a thread per batch cost a
 * clone and a join every VERIFY_BATCH lines).
 */
struct worker {
	pthread_t t;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct leaf_job *job;	/* the half it hashes, while busy */
	int busy, quit, started;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct leaf_job *j;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->busy && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->busy)
			break;
		j = w->job;
		pthread_mutex_unlock(&w->mu);
		leaf_run(j);
		pthread_mutex_lock(&w->mu);
		w->busy = 0;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void
worker_start(struct worker *w)
{
	memset(w, 0, sizeof(*w));
	if (pthread_mutex_init(&w->mu, NULL) != 0)
		return;
	if (pthread_cond_init(&w->cv, NULL) != 0) {
		pthread_mutex_destroy(&w->mu);
		return;
	}
	w->started = pthread_create(&w->t, NULL, worker_main, w) == 0;
	if (!w->started) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
	}
}

static void
worker_stop(struct worker *w)
{
	if (!w->started)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->t, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
}

static int
hash_leaves(struct worker *w, const struct bg_line *lines,
    uint8_t (*leaf)[BG_HASH_LEN], size_t n)
{
	struct leaf_job a = { lines, leaf, n / 2, BG_OK };
	struct leaf_job b = { lines + n / 2, leaf + n / 2, n - n / 2, BG_OK };
	int two = w->started && n >= 256;

	if (!two) {
		a.n = n;
		b.n = 0;
	} else {
		pthread_mutex_lock(&w->mu);
		w->job = &b;
		w->busy = 1;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
	leaf_run(&a);
	if (two) {
		pthread_mutex_lock(&w->mu);
		while (w->busy)
			pthread_cond_wait(&w->cv, &w->mu);
		pthread_mutex_unlock(&w->mu);
	}
	return a.r != BG_OK ? a.r : b.r;
}

struct batch {
	struct bg_line line[VERIFY_BATCH];
	uint8_t leaf[VERIFY_BATCH][BG_HASH_LEN];
};

static int
check_batch(struct vstate *v, struct worker *w, struct batch *b, size_t k,
    uint64_t *lines)
{
	size_t j, m = *lines >= v->n ? 0 : (size_t)(v->n - *lines < k ?
	    v->n - *lines : k);
	int r;

	if ((r = hash_leaves(w, b->line, b->leaf, m)) != BG_OK)
		return r;
	for (j = 0; j < k; j++, ++*lines) {
		if (j < m && (r = check_line(v, *lines, b->line[j].p,
		    b->line[j].len, b->leaf[j])) != BG_OK)
			return r;
		if (v->o->progress != NULL && ((*lines + 1) & 0xffff) == 0)
			v->o->progress(v->o->progress_ctx, *lines + 1, v->n);
	}
	return BG_OK;
}

static int
scan(struct vstate *v, uint64_t *lines, size_t *partial)
{
	struct bg_lines lr;
	struct worker w;
	struct batch *b;
	size_t k;
	int r;

	*lines = 0;
	if ((b = malloc(sizeof(*b))) == NULL)
		return BG_ENOMEM;
	if ((r = bg_lines_init(&lr, v->entries_fd, 0, 1 << 20)) != BG_OK) {
		free(b);
		return r;
	}
	worker_start(&w);
	while ((r = bg_lines_batch(&lr, b->line, VERIFY_BATCH, &k)) == 1 &&
	    (r = check_batch(v, &w, b, k, lines)) == BG_OK)
		;
	worker_stop(&w);
	if (r == BG_ETOOBIG)
		r = fail(v, BG_ETAMPER, 1, *lines, "entry is longer than any "
		    "entry can be (missing line break)");
	*partial = lr.partial;
	bg_lines_free(&lr);
	free(b);
	return r;
}

static int
empty_targets(struct vstate *v)
{
	int k, r;

	for (k = 0; k < TARGETS; k++)
		if (v->t[k].used && v->t[k].cp.size == 0) {
			if ((r = bg_merkle_empty_root(v->t[k].root)) != BG_OK)
				return r;
			v->t[k].have = 1;
		}
	return BG_OK;
}

/* Newest slot, caller's checkpoint and plain file become targets. */
static int
load_targets(struct vstate *v, int slots_fd)
{
	struct bg_slot *s;
	char why[200], path[BG_PATH_MAX], *plain = NULL;
	size_t plen;
	int pos, r;

	if ((s = calloc(2, sizeof(*s))) == NULL)
		return BG_ENOMEM;
	if ((r = bg_slots_read(slots_fd, &v->key, s)) == BG_ESIG)
		r = fail(v, BG_ETAMPER, 0, 0, "a checkpoint slot does not "
		    "verify with the log's key (forged, or another log's)");
	else if (r == BG_OK && (r = bg_slots_select(s, UINT64_MAX, &pos, why,
	    sizeof(why))) != BG_OK)
		r = fail(v, BG_ETAMPER, 0, 0, why);
	if (r == BG_OK) {
		v->t[0].used = 1;
		v->t[0].cp = s[pos].cp;
		v->n = s[pos].cp.size;
		v->torn = bg_slots_other_torn(s, pos);
	}
	free(s);
	if (r != BG_OK)
		return r;
	if (v->o->old_checkpoint != NULL) {
		if (bg_checkpoint_open(v->o->old_checkpoint,
		    v->o->old_checkpoint_len, &v->key, &v->t[1].cp) != BG_OK)
			return fail(v, BG_ESIG, 0, 0, "the given checkpoint is "
			    "not signed by this log's key or is malformed");
		v->t[1].used = 1;
	}
	/* written at init and replaced atomically since: never absent */
	if (bg_path_join(path, sizeof(path), v->dir, F_CHECKPOINT) != BG_OK ||
	    bg_file_read(path, BG_NOTE_MAX, &plain, &plen) != BG_OK)
		return fail(v, BG_ETAMPER, 0, 0, "audit/checkpoint is missing "
		    "or unreadable");
	r = bg_checkpoint_open(plain, plen, &v->key, &v->t[2].cp);
	free(plain);
	if (r != BG_OK)
		return fail(v, BG_ETAMPER, 0, 0, "audit/checkpoint is not "
		    "signed by this log's key");
	v->t[2].used = 1;
	return empty_targets(v);
}

static int
judge_targets(struct vstate *v, int from, int to)
{
	static const char *const what[TARGETS] = {
		"the entries do not hash to the signed checkpoint's root",
		("the log's history differs from the given checkpoint "
		"(rewritten, or entries removed)"),
		"the log's history differs from audit/checkpoint",
	};
	static const int err[TARGETS] = { BG_ETAMPER, BG_ECONSIST, BG_ETAMPER };
	int k;

	for (k = from; k < to; k++) {
		if (!v->t[k].used)
			continue;
		if (!v->t[k].have || bg_ct_memcmp(v->t[k].root, v->t[k].cp.root,
		    BG_HASH_LEN) != 0)
			return fail(v, err[k], v->store_bad, v->store_bad_seq,
			    what[k]);
	}
	return BG_OK;
}

/*
 * The derived files, written without sync: wrong or shorter than the
 * checkpoint after a power loss. Nothing trusts them unchecked (proofs
 * are checked against the signed root, entry offsets against the seq),
 * so this is not tampering.
 */
static void
derived(struct vstate *v)
{
	v->res->derived_bad = v->store_bad || v->index_bad ||
	    v->tree.limit < bg_merkle_store_count(v->n) ||
	    v->index.limit < v->n;
	v->store_bad |= v->tree.limit < bg_merkle_store_count(v->n);
}

static int
judge(struct vstate *v, uint64_t lines, size_t partial)
{
	char msg[200];
	int r;

	if (v->torn && lines <= v->n)
		return fail(v, BG_ETAMPER, 1, v->n, "the newest checkpoint slot "
		    "is damaged and no unacknowledged entries follow the older "
		    "one: an acknowledged append was removed");
	if (lines < v->n)
		return fail(v, BG_ETAMPER, 1, lines, partial > 0 ?
		    "entry is truncated" : "entries are missing: the log is "
		    "shorter than its signed checkpoint");
	if ((r = judge_targets(v, 0, 1)) != BG_OK)
		return r;
	/* the caller saw a later acknowledged checkpoint: rolled back */
	if (v->t[1].used && v->t[1].cp.size > v->n)
		return fail(v, BG_ECONSIST, 0, v->n, "the log's newest "
		    "checkpoint is older than the given one (rolled back)");
	/* written only after its slot is durable: never ahead by a crash */
	if (v->t[2].cp.size > v->n)
		return fail(v, BG_ETAMPER, 0, v->n, "audit/checkpoint is newer "
		    "than checkpoint.slots (the slots were rolled back)");
	if ((r = judge_targets(v, 1, TARGETS)) != BG_OK)
		return r;
	derived(v);
	/*
	 * Well-formed entries in seq order after the checkpoint are what a
	 * crash between steps 2 and 3 of an append leaves: never acknowledged,
	 * never counted, moved aside by the next writer. Not tampering.
	 */
	v->res->unacked = lines - v->n;
	if (lines > v->n)
		snprintf(msg, sizeof(msg), "note: %" PRIu64 " complete entries "
		    "after the newest checkpoint were never acknowledged (a crash "
		    "before the checkpoint was written; the next writer moves "
		    "them to audit/recovered/)", lines - v->n);
	else
		msg[0] = '\0';
	if (partial > 0)
		snprintf(v->res->reason, sizeof(v->res->reason), "%s%swarning: "
		    "%zu bytes of a torn, unacknowledged write after the last "
		    "entry", msg, msg[0] != '\0' ? "; " : "", partial);
	else
		snprintf(v->res->reason, sizeof(v->res->reason), "%s", msg);
	if (v->res->derived_bad)
		snprintf(v->res->derived, sizeof(v->res->derived), "warning: "
		    "%s does not match the entries%s (not written back before "
		    "a power loss, or damaged; derived data: the entries are "
		    "intact and it is rebuilt from them)", v->store_bad ?
		    "audit/tree" : "audit/index", v->store_bad ? "" :
		    " (derived entry offsets)");
	return BG_OK;
}

static int
verify_open(struct vstate *v, int *slots_fd)
{
	int dirfd, r;

	if ((r = bg_open_dir(v->dir, &dirfd)) != BG_OK)
		return r;
	v->entries_fd = openat(dirfd, F_ENTRIES, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	*slots_fd = openat(dirfd, F_SLOTS, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (v->entries_fd < 0 || *slots_fd < 0)
		r = bg_err_from_errno(errno);
	else if (bg_store_open(dirfd, 0, &v->st) != BG_OK)
		v->st.tree_fd = v->st.index_fd = -1;	/* compared if present */
	close(dirfd);
	if (r == BG_OK)
		r = bg_lock_wait(v->entries_fd, LOCK_SH);
	if (r != BG_OK)
		return r;
	if (v->o->vkey != NULL)
		r = bg_note_vkey_parse(v->o->vkey, strlen(v->o->vkey), &v->key);
	else
		r = bg_keys_load_vkey(v->dir, &v->key);
	if (r != BG_OK)
		bg_audit_set_why("the verifier key %s is unreadable or malformed",
		    v->o->vkey != NULL ? "given" : "in " F_VKEY);
	return r;
}

/* The records of the derived files to compare: those present. */
static int
store_limit(struct vstate *v)
{
	uint64_t idx_n, tree_n, want = bg_merkle_store_count(v->n);

	v->tree.fd = v->st.tree_fd;
	v->tree.width = BG_HASH_LEN;
	v->index.fd = v->st.index_fd;
	v->index.width = 8;
	if (v->st.tree_fd >= 0 && bg_store_counts(&v->st, &idx_n, &tree_n) ==
	    BG_OK) {
		v->tree.limit = tree_n < want ? tree_n : want;
		v->index.limit = idx_n < v->n ? idx_n : v->n;
	}
	if ((v->tree.buf = malloc(REC_BUF * BG_HASH_LEN)) == NULL ||
	    (v->index.buf = malloc(REC_BUF * 8)) == NULL)
		return BG_ENOMEM;
	return BG_OK;
}

static void
verify_close(struct vstate *v, int slots_fd)
{
	free(v->tree.buf);
	free(v->index.buf);
	bg_store_close(&v->st);
	if (slots_fd >= 0)
		close(slots_fd);
	if (v->entries_fd >= 0)
		close(v->entries_fd);
}

static int
verify_run(struct vstate *v)
{
	uint64_t lines = 0;
	size_t partial = 0;
	int slots_fd = -1, r;

	if ((r = verify_open(v, &slots_fd)) != BG_OK ||
	    (r = load_targets(v, slots_fd)) != BG_OK)
		goto out;
	if ((r = store_limit(v)) == BG_OK &&
	    (r = scan(v, &lines, &partial)) == BG_OK)
		r = judge(v, lines, partial);
	v->res->entries = lines < v->n ? lines : v->n;
	if (v->o->progress != NULL)
		v->o->progress(v->o->progress_ctx, v->res->entries, v->n);
out:
	verify_close(v, slots_fd);
	return r;
}

int
bg_audit_verify(const char *dir, const struct bg_audit_verify_opts *opts,
    struct bg_audit_verify_result *res)
{
	static const struct bg_audit_verify_opts none;
	struct vstate *v;
	int r;

	bg_clear_why();
	if (dir == NULL || res == NULL)
		return BG_EINVAL;
	memset(res, 0, sizeof(*res));
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return BG_ENOMEM;
	v->o = opts != NULL ? opts : &none;
	v->dir = dir;
	v->res = res;
	v->entries_fd = v->st.tree_fd = v->st.index_fd = -1;
	v->tree.fd = v->index.fd = -1;
	bg_merkle_stream_init(&v->stream);
	r = verify_run(v);
	free(v);
	return r;
}
