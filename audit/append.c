/*
 * Durable appends. Order: entries written and fdatasync'ed, derived files
 * written (no sync: rebuilt on open when short), then the new checkpoint
 * (signed on a second thread meanwhile: it needs only the new root)
 * written into the slot not holding the current one, and fdatasync'ed.
 * Only then is the append acknowledged. On a failure before the
 * checkpoint is written the entries file is cut back to its acknowledged
 * end, so the log on disk keeps matching its newest checkpoint.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "audit/internal.h"

struct pending {
	struct bg_bytes lines;		/* the new lines */
	struct bg_bytes tree;		/* new node hashes, store order */
	struct bg_bytes index;		/* new end offsets */
	struct bg_merkle_stream stream;
	char time[BG_TIME_LEN + 1];
};

static int
pend_add(struct pending *p, const struct bg_audit *log, uint64_t seq,
    const struct bg_audit_event *ev)
{
	uint8_t leaf[BG_HASH_LEN];
	char *line;
	size_t len;
	int r;

	if ((r = bg_entry_format(seq, p->time, ev, &line, &len)) != BG_OK)
		return r;
	if ((r = bg_merkle_leaf_hash(line, len - 1, leaf)) == BG_OK &&
	    (r = bg_merkle_stream_add(&p->stream, leaf, bg_bytes_emit,
	    &p->tree)) == BG_OK &&
	    (r = bg_bytes_add(&p->lines, line, len)) == BG_OK)
		r = bg_bytes_add_u64(&p->index, log->end + p->lines.len);
	free(line);
	return r;
}

/*
 * The time of the new entries: the clock's. Behind the previous entry by
 * at most BG_CLOCK_SLACK_MS (a correction), the previous time is reused;
 * further behind, *skew receives a clock.skew detail and the entries keep
 * the clock's time, so a clock that was far ahead once pins nothing.
 */
static int
pend_time(struct pending *p, const struct bg_audit *log, cJSON **skew)
{
	int64_t now, last;
	int r;

	*skew = NULL;
	if ((r = bg_entry_now(p->time)) != BG_OK || log->last_time[0] == '\0' ||
	    strcmp(p->time, log->last_time) >= 0)
		return r;
	if (bg_time_ms(p->time, &now) != BG_OK)
		return BG_EINTERNAL;
	if (bg_time_ms(log->last_time, &last) != BG_OK) {
		bg_audit_set_why("the last entry's time %s is not a real "
		    "instant (run audit verify)", log->last_time);
		return BG_ETAMPER;
	}
	if (last - now <= BG_CLOCK_SLACK_MS) {
		memcpy(p->time, log->last_time, sizeof(p->time));
		return BG_OK;
	}
	return bg_skew_detail(log->last_time, p->time, skew);
}

/* The lines of ev[0..n), after a clock.skew entry when *skewed. */
static int
pend_build(struct pending *p, const struct bg_audit *log,
    const struct bg_audit_event *ev, size_t n, size_t *skewed)
{
	struct bg_audit_event sk = { BG_AUDIT_CLOCK_SKEW, "breakglass", "",
	    "", NULL };
	cJSON *d = NULL;
	uint64_t seq = log->size;
	size_t i;
	int r;

	*skewed = 0;
	for (i = 0; i < n; i++)
		if (ev[i].event != NULL &&
		    strcmp(ev[i].event, BG_AUDIT_CLOCK_SKEW) == 0) {
			bg_audit_set_why(BG_AUDIT_CLOCK_SKEW " entries are "
			    "written by the log itself");
			return BG_EINVAL;
		}
	if ((r = pend_time(p, log, &d)) != BG_OK)
		return r;
	p->stream = log->stream;
	if (d != NULL) {
		sk.detail = d;
		r = pend_add(p, log, seq++, &sk);
		cJSON_Delete(d);
		if (r != BG_OK)
			return r;
		*skewed = 1;
	}
	for (i = 0; i < n; i++)
		if ((r = pend_add(p, log, seq + i, &ev[i])) != BG_OK)
			return r;
	return BG_OK;
}

static void
pend_free(struct pending *p)
{
	bg_bytes_free(&p->lines);
	bg_bytes_free(&p->tree);
	bg_bytes_free(&p->index);
}

static int
write_derived(struct bg_audit *log, const struct pending *p)
{
	uint64_t tpos = bg_merkle_store_count(log->size) * BG_HASH_LEN;
	ssize_t n;

	n = pwrite(log->store.tree_fd, p->tree.p, p->tree.len, (off_t)tpos);
	if (n != (ssize_t)p->tree.len)
		return bg_io_err(n);
	n = pwrite(log->store.index_fd, p->index.p, p->index.len,
	    (off_t)(log->size * 8));
	if (n != (ssize_t)p->index.len)
		return bg_io_err(n);
	return BG_OK;
}

/* Cuts entries back to the acknowledged end; poisons the handle if not. */
static void
roll_back(struct bg_audit *log)
{
	if (ftruncate(log->entries_fd, (off_t)log->end) != 0 ||
	    fdatasync(log->entries_fd) != 0)
		log->poisoned = 1;
}

static int
write_entries(struct bg_audit *log, const struct pending *p)
{
	int r;

	if ((r = bg_write_all(log->entries_fd, p->lines.p, p->lines.len)) != BG_OK ||
	    (r = write_derived(log, p)) != BG_OK)
		return r;
	if (fdatasync(log->entries_fd) != 0)
		return bg_io_err(-1);
	return BG_OK;
}

/*
 * The checkpoint signature is made on a second thread while the entries
 * sync: it needs only the new root. One signer thread per writer handle,
 * started at the first append and stopped by bg_audit_close(). A handle
 * is not to be used across fork().
 */
struct bg_signer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int busy, done, quit;
	struct bg_audit *log;
	uint64_t size;
	uint8_t root[BG_HASH_LEN];
	char *note;
	size_t len;
	int r;
};

static void
signer_work(struct bg_signer *sg)
{
	sg->r = bg_checkpoint_sign(sg->log->priv, sg->log->key.name, sg->size,
	    sg->root, &sg->note, &sg->len);
}

static void *
signer_main(void *arg)
{
	struct bg_signer *sg = arg;

	pthread_mutex_lock(&sg->mu);
	for (;;) {
		while (!sg->busy && !sg->quit)
			pthread_cond_wait(&sg->cv, &sg->mu);
		if (sg->quit)
			break;
		pthread_mutex_unlock(&sg->mu);
		signer_work(sg);
		pthread_mutex_lock(&sg->mu);
		sg->busy = 0;
		sg->done = 1;
		pthread_cond_broadcast(&sg->cv);
	}
	pthread_mutex_unlock(&sg->mu);
	return NULL;
}

/* NULL when no thread can be had: signing then happens inline. */
static struct bg_signer *
signer_get(struct bg_audit *log)
{
	struct bg_signer *sg = log->signer;

	if (sg != NULL || log->signer_failed)
		return sg;
	if ((sg = calloc(1, sizeof(*sg))) == NULL)
		goto fail;
	sg->log = log;
	if (pthread_mutex_init(&sg->mu, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&sg->cv, NULL) != 0) {
		pthread_mutex_destroy(&sg->mu);
		goto fail;
	}
	if (pthread_create(&sg->thread, NULL, signer_main, sg) != 0) {
		pthread_cond_destroy(&sg->cv);
		pthread_mutex_destroy(&sg->mu);
		goto fail;
	}
	return log->signer = sg;
fail:
	free(sg);
	log->signer_failed = 1;
	return NULL;
}

void
bg_signer_stop(struct bg_audit *log)
{
	struct bg_signer *sg = log->signer;

	if (sg == NULL)
		return;
	pthread_mutex_lock(&sg->mu);
	sg->quit = 1;
	pthread_cond_broadcast(&sg->cv);
	pthread_mutex_unlock(&sg->mu);
	pthread_join(sg->thread, NULL);
	pthread_cond_destroy(&sg->cv);
	pthread_mutex_destroy(&sg->mu);
	free(sg->note);
	free(sg);
	log->signer = NULL;
}

/* The signing job for this append; inline when there is no thread. */
struct sign_job {
	struct bg_signer *sg;		/* the handle's thread, or &local */
	struct bg_signer local;
};

static int
signer_start(struct sign_job *j, struct bg_audit *log, struct pending *p)
{
	struct bg_signer *sg = signer_get(log);
	uint8_t root[BG_HASH_LEN];
	int r;

	memset(&j->local, 0, sizeof(j->local));
	j->sg = NULL;	/* set only once a job is really under way */
	if ((r = bg_merkle_stream_root(&p->stream, root)) != BG_OK)
		return r;
	j->sg = sg != NULL ? sg : &j->local;
	memcpy(j->sg->root, root, BG_HASH_LEN);
	j->sg->log = log;
	j->sg->size = p->stream.size;
	j->sg->note = NULL;
	if (sg == NULL) {
		signer_work(&j->local);
		return BG_OK;
	}
	pthread_mutex_lock(&sg->mu);
	sg->done = 0;
	sg->busy = 1;
	pthread_cond_broadcast(&sg->cv);
	pthread_mutex_unlock(&sg->mu);
	return BG_OK;
}

/* Waits for the signature; *note then belongs to the caller. */
static int
signer_join(struct sign_job *j, char **note, size_t *len, uint8_t *root)
{
	struct bg_signer *sg = j->sg;

	if (sg == NULL)
		return BG_EINTERNAL;
	if (sg != &j->local) {
		pthread_mutex_lock(&sg->mu);
		while (!sg->done)
			pthread_cond_wait(&sg->cv, &sg->mu);
		pthread_mutex_unlock(&sg->mu);
	}
	*note = sg->note;
	*len = sg->len;
	memcpy(root, sg->root, BG_HASH_LEN);
	sg->note = NULL;
	j->sg = NULL;
	return sg->r;
}

/* 1 when slot pos holds a valid checkpoint of generation gen, 0 when it
 * certainly does not, -1 when that cannot be told. */
static int
slot_landed(struct bg_audit *log, int pos, uint64_t gen)
{
	struct bg_slot *s;
	int landed = -1;

	if ((s = calloc(2, sizeof(*s))) == NULL)
		return -1;
	if (bg_slots_read(log->slots_fd, &log->key, s) == BG_OK)
		landed = s[pos].valid && s[pos].gen == gen;
	free(s);
	return landed;
}

/*
 * Writes the checkpoint into the slot not holding the current one. A
 * failed or short write may still have left a valid slot (the note sits
 * in its first bytes): then the entries must stay, as they match it.
 */
static int
write_checkpoint(struct bg_audit *log, const char *note, size_t len)
{
	int pos = 1 - log->slot_pos, r;

	if ((r = bg_slots_write(log->slots_fd, pos, log->gen + 1, note,
	    len)) == BG_OK)
		return BG_OK;
	if (slot_landed(log, pos, log->gen + 1) == 0) {
		roll_back(log);
		/* a damaged slot beside an exact fit reads as a removed
		 * append: put the current checkpoint back into it */
		if (!log->poisoned && bg_log_heal_slot(log) != BG_OK)
			log->poisoned = 1;
	} else {
		log->poisoned = 1;
		bg_audit_set_why("writing the checkpoint failed part way; the "
		    "append is not acknowledged; reopen the log");
	}
	return r;
}

/*
 * A failed fdatasync of the slot leaves its state unknown: it may hold the
 * new checkpoint. The entries then stay (they match it); if the slot turns
 * out not to be durable, the next open quarantines them as a tail.
 */
static int
sync_checkpoint(struct bg_audit *log)
{
	if (fdatasync(log->slots_fd) == 0)
		return BG_OK;
	log->poisoned = 1;
	bg_audit_set_why("syncing the checkpoint failed; the append is not "
	    "acknowledged; reopen the log");
	return bg_io_err(-1);
}

static void
commit(struct bg_audit *log, struct pending *p, const uint8_t *root,
    char *note, size_t len)
{
	log->size = p->stream.size;
	log->end += p->lines.len;
	log->stream = p->stream;
	memcpy(log->root, root, BG_HASH_LEN);
	log->slot_pos = 1 - log->slot_pos;
	log->gen++;
	free(log->note);
	log->note = note;
	log->note_len = len;
	log->note_stale = 1;
	memcpy(log->last_time, p->time, sizeof(log->last_time));
}

int
bg_audit_append_batch(bg_audit_t *log, const struct bg_audit_event *ev,
    size_t n, uint64_t *first_seq)
{
	struct pending p;
	struct sign_job job;
	uint8_t root[BG_HASH_LEN];
	char *note = NULL;
	size_t len = 0, skewed = 0;
	int r, rs;

	bg_clear_why();
	if (log == NULL || ev == NULL || n == 0 || n > BG_AUDIT_BATCH_MAX ||
	    !log->writable)
		return BG_EINVAL;
	if (log->poisoned) {
		bg_audit_set_why("an earlier write failed; reopen the log");
		return BG_EIO;
	}
	memset(&p, 0, sizeof(p));
	job.sg = NULL;
	if ((r = pend_build(&p, log, ev, n, &skewed)) != BG_OK ||
	    (r = signer_start(&job, log, &p)) != BG_OK)
		goto out;
	r = write_entries(log, &p);
	rs = signer_join(&job, &note, &len, root);
	if (r != BG_OK || (r = rs) != BG_OK) {
		roll_back(log);
		goto out;
	}
	if ((r = write_checkpoint(log, note, len)) != BG_OK ||
	    (r = sync_checkpoint(log)) != BG_OK)
		goto out;
	if (first_seq != NULL)
		*first_seq = log->size + skewed;
	commit(log, &p, root, note, len);
	note = NULL;
out:
	if (job.sg != NULL)	/* started, never joined */
		(void)signer_join(&job, &note, &len, root);
	free(note);
	pend_free(&p);
	return r;
}

int
bg_audit_append(bg_audit_t *log, const struct bg_audit_event *ev,
    uint64_t *seq)
{
	return bg_audit_append_batch(log, ev, 1, seq);
}
