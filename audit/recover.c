/*
 * State on open. Append order is: entries (fdatasync), then the checkpoint
 * slot (fdatasync). So after a crash, entries may run past the newest
 * checkpoint (never acknowledged), and the slot being written may be torn
 * (the other one is used). The writer moves such a tail to recovered/ and
 * records it; entries missing before the checkpoint, or entries whose
 * hashes do not give its root, are tampering and nothing is changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/common.h"
#include "audit/internal.h"

#define TAIL_MAX (64u << 20)	/* larger tails are left for a person */

static int
entries_size(const struct bg_audit *log, uint64_t *size)
{
	struct stat sb;

	if (fstat(log->entries_fd, &sb) != 0)
		return bg_err_from_errno(errno);
	*size = (uint64_t)sb.st_size;
	return BG_OK;
}

static int
read_slots(struct bg_audit *log, struct bg_slot **s)
{
	int r;

	if ((*s = calloc(2, sizeof(**s))) == NULL)
		return BG_ENOMEM;
	if ((r = bg_slots_read(log->slots_fd, &log->key, *s)) == BG_ESIG) {
		bg_audit_set_why("a checkpoint slot holds a note that does not "
		    "verify with the log's key (forged or another log's)");
		return BG_ETAMPER;
	}
	return r;
}

static int
adopt_slot(struct bg_audit *log, const struct bg_slot *s, int pos)
{
	free(log->note);
	if ((log->note = malloc(s[pos].note_len + 1)) == NULL)
		return BG_ENOMEM;
	memcpy(log->note, s[pos].note, s[pos].note_len + 1);
	log->note_len = s[pos].note_len;
	log->slot_pos = pos;
	log->gen = s[pos].gen;
	log->size = s[pos].cp.size;
	memcpy(log->root, s[pos].cp.root, BG_HASH_LEN);
	return BG_OK;
}

/* The last entry: its line must hash to the stored leaf; keeps its time. */
static int
last_entry_ok(struct bg_audit *log, const char *buf, size_t len)
{
	uint8_t leaf[BG_HASH_LEN], stored[BG_HASH_LEN];
	uint64_t seq;

	if (buf[len - 1] != '\n' ||
	    bg_entry_scan(buf, len - 1, &seq, log->last_time) != BG_OK ||
	    seq != log->size - 1 ||
	    bg_merkle_leaf_hash(buf, len - 1, leaf) != BG_OK ||
	    bg_store_get(&log->store, 0, log->size - 1, stored) != BG_OK ||
	    bg_ct_memcmp(leaf, stored, BG_HASH_LEN) != 0)
		return BG_ERECOVER;
	return BG_OK;
}

static int
last_time(struct bg_audit *log)
{
	uint64_t start = 0, end;
	char *buf;
	int r;

	log->last_time[0] = '\0';
	if (log->size == 0)
		return BG_OK;
	if ((r = bg_store_end(&log->store, log->size - 1, &end)) != BG_OK ||
	    (log->size > 1 &&
	    (r = bg_store_end(&log->store, log->size - 2, &start)) != BG_OK))
		return r;
	if (end <= start || end - start > BG_AUDIT_ENTRY_MAX)
		return BG_ERECOVER;
	if ((buf = malloc(end - start)) == NULL)
		return BG_ENOMEM;
	if ((r = bg_pread_all(log->entries_fd, buf, end - start,
	    (off_t)start)) == BG_OK)
		r = last_entry_ok(log, buf, end - start);
	free(buf);
	return r;
}

/* The derived files cover at least size entries ending at file size fsz. */
static int
derived_ok(struct bg_audit *log, uint64_t fsz, int exact)
{
	uint64_t idx_n, tree_n;

	if (bg_store_counts(&log->store, &idx_n, &tree_n) != BG_OK ||
	    idx_n < log->size || tree_n < bg_merkle_store_count(log->size))
		return 0;
	if (log->size == 0)
		log->end = 0;
	else if (bg_store_end(&log->store, log->size - 1, &log->end) != BG_OK)
		return 0;
	return exact ? log->end == fsz : log->end <= fsz;
}

int
bg_reader_state(struct bg_audit *log)
{
	struct bg_slot *s = NULL;
	uint64_t fsz = 0;
	char why[200];
	int pos, r;

	if ((r = read_slots(log, &s)) != BG_OK ||
	    (r = bg_slots_select(s, UINT64_MAX, &pos, why, sizeof(why))) != BG_OK ||
	    (r = adopt_slot(log, s, pos)) != BG_OK ||
	    (r = entries_size(log, &fsz)) != BG_OK)
		goto out;
	if (!derived_ok(log, fsz, 0)) {
		bg_audit_set_why("the log's index is behind its checkpoint "
		    "(after a crash): run a writing command such as "
		    "'breakglass audit note' to recover");
		r = BG_ERECOVER;
	}
out:
	if (r == BG_ETAMPER)
		bg_audit_set_why("%s", why);
	free(s);
	return r;
}

/* Fast path: derived files end exactly at the checkpoint, root matches. */
static int
fast_state(struct bg_audit *log, const struct bg_slot *cur, uint64_t fsz)
{
	uint8_t root[BG_HASH_LEN];

	if (!derived_ok(log, fsz, 1) ||
	    bg_merkle_stream_load(&log->stream, log->size, bg_store_get,
	    &log->store) != BG_OK ||
	    bg_merkle_stream_root(&log->stream, root) != BG_OK ||
	    bg_ct_memcmp(root, cur->cp.root, BG_HASH_LEN) != 0)
		return 0;
	return last_time(log) == BG_OK;
}

/* The derived files being rebuilt, and the root at the checkpoint. */
struct rebuild {
	struct bg_bytes tree, index;
	uint64_t want;		/* checkpoint size whose root we keep */
	uint8_t root[BG_HASH_LEN];
	int have_root;
};

static int
rebuild_line(struct rebuild *rb, struct bg_merkle_stream *st,
    const char *line, size_t len, uint64_t end)
{
	uint8_t leaf[BG_HASH_LEN];
	int r;

	if (st->size >= rb->want)
		return BG_OK;	/* past the checkpoint: tail */
	if ((r = bg_merkle_leaf_hash(line, len, leaf)) != BG_OK ||
	    (r = bg_merkle_stream_add(st, leaf, bg_bytes_emit,
	    &rb->tree)) != BG_OK)
		return r;
	return bg_bytes_add_u64(&rb->index, end);
}

/* Streams every complete line; counts them and hashes the first want. */
static int
rebuild_scan(struct bg_audit *log, struct rebuild *rb, uint64_t *count,
    uint64_t *want_end)
{
	struct bg_merkle_stream st;
	struct bg_lines lr;
	const char *line;
	size_t len;
	int r;

	bg_merkle_stream_init(&st);
	*count = *want_end = 0;
	if ((r = bg_lines_init(&lr, log->entries_fd, 0, 1 << 20)) != BG_OK)
		return r;
	while ((r = bg_lines_next(&lr, &line, &len)) == 1) {
		if ((r = rebuild_line(rb, &st, line, len, lr.consumed)) != BG_OK)
			break;
		if (++*count == rb->want)
			*want_end = lr.consumed;
	}
	bg_lines_free(&lr);
	if (r == BG_OK && st.size == rb->want) {
		rb->have_root = 1;
		r = bg_merkle_stream_root(&st, rb->root);
	}
	return r;
}

static int
replace_derived(struct bg_audit *log, const struct rebuild *rb)
{
	char path[BG_PATH_MAX];
	int r;

	bg_store_close(&log->store);
	if ((r = bg_path_join(path, sizeof(path), log->dir, F_TREE)) != BG_OK ||
	    (r = bg_file_replace(path, rb->tree.p, rb->tree.len, 0600)) != BG_OK ||
	    (r = bg_path_join(path, sizeof(path), log->dir, F_INDEX)) != BG_OK ||
	    (r = bg_file_replace(path, rb->index.p, rb->index.len, 0600)) != BG_OK)
		return r;
	return bg_store_open(log->dirfd, 1, &log->store);
}

#define PENDING_MAX 8
#define PENDING_NAME 96

/*
 * Quarantined files not yet recorded: named after the current size (a
 * recording appends an entry, so a recorded file's prefix is always below
 * the size), complete (".jsonl"). Temporary files of a copy cut short by a
 * crash are removed: the tail they were copying is still in the log.
 */
static size_t
pending_files(struct bg_audit *log, char names[][PENDING_NAME])
{
	char path[BG_PATH_MAX], prefix[32];
	struct dirent *de;
	size_t n = 0, len;
	DIR *dir;

	if (bg_path_join(path, sizeof(path), log->dir, D_RECOVERED) != BG_OK ||
	    (dir = opendir(path)) == NULL)
		return 0;
	snprintf(prefix, sizeof(prefix), "%" PRIu64 "-", log->size);
	while ((de = readdir(dir)) != NULL && n < PENDING_MAX) {
		len = strlen(de->d_name);
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		if (strstr(de->d_name, ".jsonl.tmp.") != NULL)
			unlinkat(dirfd(dir), de->d_name, 0);	/* cut short */
		else if (len < PENDING_NAME && len > 6 &&
		    strcmp(de->d_name + len - 6, ".jsonl") == 0)
			memcpy(names[n++], de->d_name, len + 1);
	}
	closedir(dir);
	return n;
}

static int
read_pending(struct bg_audit *log, const char *name, char **buf, size_t *len)
{
	char path[BG_PATH_MAX], rel[PENDING_NAME + 16];
	int r;

	if ((size_t)snprintf(rel, sizeof(rel), D_RECOVERED "/%.*s",
	    PENDING_NAME, name) >= sizeof(rel) ||
	    (r = bg_path_join(path, sizeof(path), log->dir, rel)) != BG_OK)
		return BG_ETOOBIG;
	return bg_file_read(path, TAIL_MAX, buf, len);
}

/* 1 when a pending file already holds exactly this tail. */
static int
already_copied(struct bg_audit *log, const uint8_t *tail, size_t n)
{
	char names[PENDING_MAX][PENDING_NAME], *buf;
	size_t i, k = pending_files(log, names), len;
	int same = 0;

	for (i = 0; i < k && !same; i++) {
		if (read_pending(log, names[i], &buf, &len) != BG_OK)
			continue;
		same = len == n && memcmp(buf, tail, n) == 0;
		free(buf);
	}
	return same;
}

static int
copy_tail(struct bg_audit *log, const uint8_t *tail, size_t n)
{
	char path[BG_PATH_MAX], name[PENDING_NAME], hex[9];
	uint8_t rnd[4];
	int r;

	if (already_copied(log, tail, n))
		return BG_OK;	/* a crash came between copy and cut */
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return BG_ECRYPTO;
	bg_hex_encode(rnd, sizeof(rnd), hex, sizeof(hex));
	snprintf(name, sizeof(name), D_RECOVERED "/%" PRIu64 "-%lld-%s.jsonl",
	    log->size, (long long)time(NULL), hex);
	if ((r = bg_path_join(path, sizeof(path), log->dir, D_RECOVERED)) != BG_OK ||
	    (r = bg_mkdir_private(path)) != BG_OK ||
	    (r = bg_path_join(path, sizeof(path), log->dir, name)) != BG_OK)
		return r;
	return bg_file_replace(path, tail, n, 0600);	/* complete or absent */
}

/*
 * Copies the tail to recovered/<size>-<time>-<random>.jsonl, then cuts it
 * from entries.jsonl. Recording it is a separate step (record_pending)
 * that finds the file again, so a crash in between loses no record.
 */
static int
quarantine(struct bg_audit *log, uint64_t fsz)
{
	uint8_t *buf = NULL;
	size_t n = (size_t)(fsz - log->end);
	int r;

	if (fsz - log->end > TAIL_MAX) {
		bg_audit_set_why("%" PRIu64 " bytes after the last checkpoint "
		    "is too large to recover automatically", fsz - log->end);
		return BG_ETAMPER;
	}
	if ((buf = malloc(n)) == NULL)
		return BG_ENOMEM;
	if ((r = bg_pread_all(log->entries_fd, buf, n, (off_t)log->end)) == BG_OK &&
	    (r = copy_tail(log, buf, n)) == BG_OK &&
	    (ftruncate(log->entries_fd, (off_t)log->end) != 0 ||
	    fsync(log->entries_fd) != 0)) {
		/* the tail stays in the log; its copy is reused next time */
		bg_audit_set_why("cutting the unacknowledged tail failed");
		r = BG_EIO;
	}
	free(buf);
	return r;
}

/* Detail of an audit.recovered entry for a quarantined file. */
static int
recovered_detail(struct bg_audit *log, const char *name, cJSON **out)
{
	char rel[PENDING_NAME + 16], hex[65], *buf = NULL;
	uint8_t sum[32];
	size_t len, i, lines = 0;
	cJSON *d = NULL;
	int r;

	if ((r = read_pending(log, name, &buf, &len)) != BG_OK)
		return r;
	snprintf(rel, sizeof(rel), D_RECOVERED "/%.*s", PENDING_NAME, name);
	for (i = 0; i < len; i++)
		lines += buf[i] == '\n';
	r = BG_ENOMEM;
	if (EVP_Digest(buf, len, sum, NULL, EVP_sha256(), NULL) == 1 &&
	    bg_hex_encode(sum, 32, hex, sizeof(hex)) == BG_OK &&
	    (d = cJSON_CreateObject()) != NULL &&
	    cJSON_AddStringToObject(d, "file", rel) != NULL &&
	    cJSON_AddNumberToObject(d, "bytes", (double)len) != NULL &&
	    cJSON_AddNumberToObject(d, "entries", (double)lines) != NULL &&
	    cJSON_AddStringToObject(d, "sha256", hex) != NULL) {
		*out = d;
		d = NULL;
		r = BG_OK;
	}
	cJSON_Delete(d);
	free(buf);
	return r;
}

static int
record_one(struct bg_audit *log, const char *name)
{
	struct bg_audit_event ev = { "audit.recovered", "breakglass", "", "",
	    NULL };
	cJSON *d = NULL;
	int r;

	if ((r = recovered_detail(log, name, &d)) != BG_OK)
		return r;
	ev.detail = d;
	r = bg_audit_append(log, &ev, NULL);
	cJSON_Delete(d);
	return r;
}

/* Records every quarantined file not yet recorded. */
static int
record_pending(struct bg_audit *log)
{
	char names[PENDING_MAX][PENDING_NAME];
	size_t i, n = pending_files(log, names);
	int r = BG_OK;

	for (i = 0; i < n && r == BG_OK; i++)
		r = record_one(log, names[i]);
	return r;
}

static int
removed_append(void)
{
	bg_audit_set_why("the newest checkpoint slot is damaged and no "
	    "unacknowledged entries follow the older one: an acknowledged "
	    "append was removed (a crash always leaves its entries)");
	return BG_ETAMPER;
}

/* Slow path: rebuild derived files from the entries, check, cut the tail. */
static int
slow_state(struct bg_audit *log, struct bg_slot *s, int pos, uint64_t fsz,
    int torn)
{
	struct rebuild rb;
	uint64_t count, want_end;
	char why[200];
	int r;

	memset(&rb, 0, sizeof(rb));
	rb.want = s[pos].cp.size;
	if ((r = rebuild_scan(log, &rb, &count, &want_end)) != BG_OK)
		goto out;
	if ((r = bg_slots_select(s, count, &pos, why, sizeof(why))) != BG_OK) {
		bg_audit_set_why("%s", why);
		goto out;
	}
	if (!rb.have_root || bg_ct_memcmp(rb.root, s[pos].cp.root,
	    BG_HASH_LEN) != 0) {
		bg_audit_set_why("the entries do not hash to the signed "
		    "checkpoint's root: the log was altered (run audit verify)");
		r = BG_ETAMPER;
		goto out;
	}
	if (torn && count <= rb.want) {
		r = removed_append();
		goto out;
	}
	/* heal before cutting the tail: a crash in between stays explained */
	if (torn && (r = bg_log_heal_slot(log)) != BG_OK)
		goto out;
	log->end = want_end;
	if (fsz > log->end && (r = quarantine(log, fsz)) != BG_OK)
		goto out;
	if ((r = replace_derived(log, &rb)) != BG_OK ||
	    (r = bg_merkle_stream_load(&log->stream, log->size, bg_store_get,
	    &log->store)) != BG_OK)
		goto out;
	r = last_time(log);
out:
	bg_bytes_free(&rb.tree);
	bg_bytes_free(&rb.index);
	return r;
}

int
bg_recover(struct bg_audit *log)
{
	struct bg_slot *s = NULL;
	uint64_t fsz = 0;
	char why[200];
	int pos, torn, r;

	/* the writer lock is held: a temp file here is a dead writer's */
	if ((r = bg_file_sweep_temps(log->dir, NULL)) != BG_OK ||
	    (r = read_slots(log, &s)) != BG_OK ||
	    (r = entries_size(log, &fsz)) != BG_OK)
		goto out;
	if ((r = bg_slots_select(s, UINT64_MAX, &pos, why, sizeof(why))) != BG_OK) {
		bg_audit_set_why("%s", why);
		goto out;
	}
	if ((r = adopt_slot(log, s, pos)) != BG_OK)
		goto out;
	log->note_stale = 1;
	torn = bg_slots_other_torn(s, pos);
	if (!log->rebuild && fast_state(log, &s[pos], fsz)) {
		if (torn) {	/* entries end exactly at the older slot */
			r = removed_append();
			goto out;
		}
	} else if ((r = slow_state(log, s, pos, fsz, torn)) != BG_OK)
		goto out;
	r = record_pending(log);
out:
	free(s);
	return r;
}
