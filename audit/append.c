/*
 * Durable appends. Order: entries written and fdatasync'ed, derived files
 * written (no sync: rebuilt on open when short), then the new checkpoint
 * signed and written into the slot not holding the current one, and
 * fdatasync'ed. Only then is the append acknowledged. On a failure before
 * the checkpoint is written the entries file is cut back to its
 * acknowledged end, so the log on disk keeps matching its newest
 * checkpoint.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "audit/internal.h"

struct pending {
	char *buf;		/* the new lines */
	size_t len, cap;
	uint8_t *tree;		/* new node hashes, store order */
	size_t tree_len, tree_cap;
	uint8_t *index;		/* new end offsets */
	size_t index_len;
	struct bg_merkle_stream stream;
	char time[BG_TIME_LEN + 1];
};

static int
pend_grow(void **buf, size_t *cap, size_t need)
{
	void *p;
	size_t n = *cap ? *cap : 1024;

	while (n < need)
		n *= 2;
	if (n == *cap)
		return BG_OK;
	if ((p = realloc(*buf, n)) == NULL)
		return BG_ENOMEM;
	*buf = p;
	*cap = n;
	return BG_OK;
}

static int
pend_emit(void *ctx, unsigned level, uint64_t index, const uint8_t *h)
{
	struct pending *p = ctx;

	(void)level;
	(void)index;
	if (pend_grow((void **)&p->tree, &p->tree_cap,
	    p->tree_len + BG_HASH_LEN) != BG_OK)
		return BG_ENOMEM;
	memcpy(p->tree + p->tree_len, h, BG_HASH_LEN);
	p->tree_len += BG_HASH_LEN;
	return BG_OK;
}

static int
pend_add(struct pending *p, const struct bg_audit *log, uint64_t seq,
    const struct bg_audit_event *ev)
{
	uint8_t leaf[BG_HASH_LEN];
	uint64_t end;
	char *line;
	size_t len;
	int i, r;

	if ((r = bg_entry_format(seq, p->time, ev, &line, &len)) != BG_OK)
		return r;
	if ((r = pend_grow((void **)&p->buf, &p->cap, p->len + len)) == BG_OK &&
	    (r = bg_merkle_leaf_hash(line, len - 1, leaf)) == BG_OK)
		r = bg_merkle_stream_add(&p->stream, leaf, pend_emit, p);
	if (r == BG_OK) {
		memcpy(p->buf + p->len, line, len);
		p->len += len;
		end = log->end + p->len;
		for (i = 0; i < 8; i++)
			p->index[p->index_len++] = (uint8_t)(end >> (8 * i));
	}
	free(line);
	return r;
}

static int
pend_build(struct pending *p, const struct bg_audit *log,
    const struct bg_audit_event *ev, size_t n)
{
	size_t i;
	int r;

	if ((r = bg_entry_now(p->time)) != BG_OK)
		return r;
	/* entry times never go backwards, even when the clock does */
	if (strcmp(p->time, log->last_time) < 0)
		memcpy(p->time, log->last_time, sizeof(p->time));
	if ((p->index = malloc(n * 8)) == NULL)
		return BG_ENOMEM;
	p->stream = log->stream;
	for (i = 0; i < n; i++)
		if ((r = pend_add(p, log, log->size + i, &ev[i])) != BG_OK)
			return r;
	return BG_OK;
}

static void
pend_free(struct pending *p)
{
	free(p->buf);
	free(p->tree);
	free(p->index);
}

static int
write_derived(struct bg_audit *log, const struct pending *p)
{
	uint64_t tpos = bg_merkle_store_count(log->size) * BG_HASH_LEN;
	ssize_t n;

	n = pwrite(log->store.tree_fd, p->tree, p->tree_len, (off_t)tpos);
	if (n != (ssize_t)p->tree_len)
		return bg_io_err(n);
	n = pwrite(log->store.index_fd, p->index, p->index_len,
	    (off_t)(log->size * 8));
	if (n != (ssize_t)p->index_len)
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

	if ((r = bg_write_all(log->entries_fd, p->buf, p->len)) != BG_OK ||
	    (r = write_derived(log, p)) != BG_OK)
		return r;
	if (fdatasync(log->entries_fd) != 0)
		return bg_io_err(-1);
	return BG_OK;
}

static int
sign_checkpoint(struct bg_audit *log, struct pending *p, uint8_t *root,
    char **note, size_t *len)
{
	int r;

	if ((r = bg_merkle_stream_root(&p->stream, root)) != BG_OK)
		return r;
	return bg_checkpoint_sign(log->priv, log->key.name, p->stream.size,
	    root, note, len);
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
	if (slot_landed(log, pos, log->gen + 1) == 0)
		roll_back(log);
	else {
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
	log->end += p->len;
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
	uint8_t root[BG_HASH_LEN];
	char *note = NULL;
	size_t len;
	int r;

	bg_clear_why();
	if (log == NULL || ev == NULL || n == 0 || n > BG_AUDIT_BATCH_MAX ||
	    !log->writable)
		return BG_EINVAL;
	if (log->poisoned) {
		bg_audit_set_why("an earlier write failed; reopen the log");
		return BG_EIO;
	}
	memset(&p, 0, sizeof(p));
	if ((r = pend_build(&p, log, ev, n)) != BG_OK)
		goto out;
	if ((r = write_entries(log, &p)) != BG_OK ||
	    (r = sign_checkpoint(log, &p, root, &note, &len)) != BG_OK) {
		roll_back(log);
		goto out;
	}
	if ((r = write_checkpoint(log, note, len)) != BG_OK ||
	    (r = sync_checkpoint(log)) != BG_OK)
		goto out;
	if (first_seq != NULL)
		*first_seq = log->size;
	commit(log, &p, root, note, len);
	note = NULL;
out:
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
