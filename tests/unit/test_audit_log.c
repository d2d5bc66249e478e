/*
 * The audit log against tampering: every byte flipped, entries deleted,
 * duplicated, reordered and truncated, checkpoints replaced (older, forged,
 * another log's), history rewritten with a stolen key; plus recovery of
 * torn and unacknowledged tails, proofs, and bad input to append.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/common.h"
#include "audit/audit.h"
#include "audit/internal.h"

struct fx {
	char root[64];		/* mkdtemp */
	char dir[128];		/* root/audit */
};

static void
path_of(char *out, size_t n, const char *dir, const char *name)
{
	assert_int_equal(bg_path_join(out, n, dir, name), BG_OK);
}

static char *
slurp(const char *dir, const char *name, size_t *len)
{
	char p[BG_PATH_MAX], *buf = NULL;

	path_of(p, sizeof(p), dir, name);
	assert_int_equal(bg_file_read(p, 64u << 20, &buf, len), BG_OK);
	return buf;
}

static void
spit(const char *dir, const char *name, const void *buf, size_t len)
{
	char p[BG_PATH_MAX];

	path_of(p, sizeof(p), dir, name);
	assert_int_equal(bg_file_replace(p, buf, len, 0600), BG_OK);
}

static void
append_note(bg_audit_t *log, unsigned i)
{
	struct bg_audit_event ev = { "operator.note", "alice", "123456789012",
	    "", NULL };
	cJSON *d = cJSON_CreateObject();
	uint64_t seq;

	assert_non_null(d);
	assert_non_null(cJSON_AddNumberToObject(d, "n", i));
	assert_non_null(cJSON_AddStringToObject(d, "text", "a note"));
	ev.detail = d;
	assert_int_equal(bg_audit_append(log, &ev, &seq), BG_OK);
	cJSON_Delete(d);
}

/* A log with n entries in total (audit.init included). */
static void
make_log(struct fx *f, unsigned n)
{
	bg_audit_t *log = NULL;
	unsigned i;

	snprintf(f->root, sizeof(f->root), "/tmp/bg-test-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->dir, sizeof(f->dir), "%s/audit", f->root);
	assert_int_equal(bg_audit_init(f->dir, "test.example/log"), BG_OK);
	assert_int_equal(bg_audit_open(f->dir, BG_AUDIT_WRITE, &log), BG_OK);
	for (i = 1; i < n; i++)
		append_note(log, i);
	assert_int_equal(bg_audit_size(log), n);
	bg_audit_close(&log);
}

static void
cleanup(struct fx *f)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
}

static int
verify(const char *dir, struct bg_audit_verify_result *res)
{
	return bg_audit_verify(dir, NULL, res);
}

static void
assert_verifies(const char *dir, uint64_t n)
{
	struct bg_audit_verify_result res;

	assert_int_equal(verify(dir, &res), BG_OK);
	assert_int_equal(res.entries, n);
}

/* Offsets of each entry's first byte, and the file length at the end. */
static size_t
line_starts(const char *buf, size_t len, size_t *starts, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < len && n < max; i++)
		if (i == 0 || buf[i - 1] == '\n')
			starts[n++] = i;
	return n;
}

static uint64_t
entry_of(const size_t *starts, size_t n, size_t off)
{
	size_t k = 0;

	while (k + 1 < n && starts[k + 1] <= off)
		k++;
	return k;
}

/* ------------------------------------------------------------------ tests */

static void
test_round_trip(void **state)
{
	struct bg_audit_event ev[50];
	bg_audit_t *log = NULL;
	uint64_t first;
	struct fx f;
	size_t i;

	(void)state;
	make_log(&f, 20);
	for (i = 0; i < 50; i++) {
		memset(&ev[i], 0, sizeof(ev[i]));
		ev[i].event = "test.batch";
	}
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_WRITE, &log), BG_OK);
	assert_int_equal(bg_audit_append_batch(log, ev, 50, &first), BG_OK);
	assert_int_equal(first, 20);
	assert_int_equal(bg_audit_size(log), 70);
	bg_audit_close(&log);
	assert_verifies(f.dir, 70);
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_READ, &log), BG_OK);
	assert_int_equal(bg_audit_size(log), 70);
	assert_string_equal(bg_audit_origin(log), "test.example/log");
	bg_audit_close(&log);
	assert_null(log);
	cleanup(&f);
}

static int
collect(void *ctx, uint64_t seq, const char *line, size_t len)
{
	struct bg_audit_entry e;
	uint64_t *count = ctx;

	assert_int_equal(bg_audit_entry_parse(line, len, &e), BG_OK);
	assert_int_equal(e.seq, seq);
	if (seq == 0)
		assert_string_equal(e.event, "audit.init");
	else {
		assert_string_equal(e.event, "operator.note");
		assert_string_equal(e.actor, "alice");
		assert_int_equal(cJSON_GetObjectItem(e.detail, "n")->valuedouble,
		    (double)seq);
	}
	bg_audit_entry_free(&e);
	++*count;
	return 0;
}

static void
test_foreach_values(void **state)
{
	bg_audit_t *log = NULL;
	uint64_t count = 0;
	struct fx f;

	(void)state;
	make_log(&f, 12);
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_READ, &log), BG_OK);
	assert_int_equal(bg_audit_foreach(log, 0, 100, collect, &count), BG_OK);
	assert_int_equal(count, 12);
	count = 0;
	assert_int_equal(bg_audit_foreach(log, 5, 8, collect, &count), BG_OK);
	assert_int_equal(count, 3);
	bg_audit_close(&log);
	cleanup(&f);
}

/* Every byte of entries.jsonl flipped in turn: verify fails, names it. */
static void
test_flip_every_entry_byte(void **state)
{
	struct bg_audit_verify_result res;
	size_t len, i, starts[16], n;
	char *orig, *buf;
	struct fx f;

	(void)state;
	make_log(&f, 6);
	orig = slurp(f.dir, F_ENTRIES, &len);
	n = line_starts(orig, len, starts, 16);
	assert_int_equal(n, 6);
	buf = malloc(len);
	assert_non_null(buf);
	for (i = 0; i < len; i++) {
		memcpy(buf, orig, len);
		buf[i] ^= 0x01;
		spit(f.dir, F_ENTRIES, buf, len);
		assert_int_not_equal(verify(f.dir, &res), BG_OK);
		assert_true(res.bad);
		assert_int_equal(res.bad_seq, entry_of(starts, n, i));
	}
	spit(f.dir, F_ENTRIES, orig, len);
	assert_verifies(f.dir, 6);
	free(buf);
	free(orig);
	cleanup(&f);
}

/* Bytes of the newest checkpoint slot and of the plain checkpoint. */
static void
test_flip_checkpoint_bytes(void **state)
{
	struct bg_audit_verify_result res;
	char *slots, *plain, *buf;
	size_t slen, plen, i, pos, used;
	struct fx f;

	(void)state;
	make_log(&f, 4);
	slots = slurp(f.dir, F_SLOTS, &slen);
	assert_int_equal(slen, 2 * BG_SLOT_SIZE);
	/* gen 1 (init) in slot 0, then appends alternate: newest = slot with
	 * the larger little-endian gen at offset 8 */
	pos = (unsigned char)slots[8] > (unsigned char)slots[BG_SLOT_SIZE + 8] ?
	    0 : BG_SLOT_SIZE;
	used = 56 + (size_t)(unsigned char)slots[pos + 16] +
	    256 * (size_t)(unsigned char)slots[pos + 17];
	buf = malloc(slen);
	assert_non_null(buf);
	for (i = pos; i < pos + used; i++) {
		memcpy(buf, slots, slen);
		buf[i] ^= 0x01;
		spit(f.dir, F_SLOTS, buf, slen);
		assert_int_not_equal(verify(f.dir, &res), BG_OK);
	}
	spit(f.dir, F_SLOTS, slots, slen);
	plain = slurp(f.dir, F_CHECKPOINT, &plen);
	for (i = 0; i < plen; i++) {
		memcpy(buf, plain, plen);
		buf[i] ^= 0x01;
		spit(f.dir, F_CHECKPOINT, buf, plen);
		assert_int_not_equal(verify(f.dir, &res), BG_OK);
	}
	spit(f.dir, F_CHECKPOINT, plain, plen);
	assert_verifies(f.dir, 4);
	free(buf);
	free(plain);
	free(slots);
	cleanup(&f);
}

/* Writes the concatenation of the given entry lines as the new file. */
static void
rewrite_lines(const struct fx *f, const char *orig, const size_t *starts,
    size_t nlines, size_t len, const int *order, size_t count)
{
	char *out = malloc(len * 2);
	size_t o = 0, i, a, b;

	assert_non_null(out);
	for (i = 0; i < count; i++) {
		a = starts[order[i]];
		b = (size_t)order[i] + 1 < nlines ? starts[order[i] + 1] : len;
		memcpy(out + o, orig + a, b - a);
		o += b - a;
	}
	spit(f->dir, F_ENTRIES, out, o);
	free(out);
}

/*
 * verify names the entry; a writer's open (O(log n): size, last entry,
 * root) refuses the log when writer_sees, and never changes entries.
 */
static void
expect_tamper(const struct fx *f, uint64_t seq, int writer_sees)
{
	struct bg_audit_verify_result res;
	bg_audit_t *log = NULL;
	char *before, *after;
	size_t blen, alen;

	assert_int_equal(verify(f->dir, &res), BG_ETAMPER);
	assert_true(res.bad);
	assert_int_equal(res.bad_seq, seq);
	/* a writer refuses the log and changes nothing */
	before = slurp(f->dir, F_ENTRIES, &blen);
	if (writer_sees) {
		assert_int_equal(bg_audit_open(f->dir, BG_AUDIT_WRITE, &log),
		    BG_ETAMPER);
		assert_null(log);
	} else {
		assert_int_equal(bg_audit_open(f->dir, BG_AUDIT_WRITE, &log),
		    BG_OK);
		bg_audit_close(&log);
		assert_int_equal(verify(f->dir, &res), BG_ETAMPER);
		assert_int_equal(res.bad_seq, seq);
	}
	after = slurp(f->dir, F_ENTRIES, &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(before, after, blen);
	free(before);
	free(after);
}

static void
test_delete_duplicate_reorder_truncate(void **state)
{
	static const int del[] = { 0, 1, 2, 4, 5 };
	static const int dup[] = { 0, 1, 2, 2, 3, 4, 5 };
	static const int swp[] = { 0, 1, 3, 2, 4, 5 };
	static const int cut[] = { 0, 1, 2, 3, 4 };
	size_t len, starts[8], n;
	char *orig;
	struct fx f;

	(void)state;
	make_log(&f, 6);
	orig = slurp(f.dir, F_ENTRIES, &len);
	n = line_starts(orig, len, starts, 8);
	rewrite_lines(&f, orig, starts, n, len, del, 5);
	expect_tamper(&f, 3, 1);
	rewrite_lines(&f, orig, starts, n, len, dup, 7);
	expect_tamper(&f, 3, 1);
	rewrite_lines(&f, orig, starts, n, len, swp, 6);
	expect_tamper(&f, 2, 0);	/* same size, same last entry */
	rewrite_lines(&f, orig, starts, n, len, cut, 5);
	expect_tamper(&f, 5, 1);
	spit(f.dir, F_ENTRIES, orig, len - 10);	/* last entry cut short */
	expect_tamper(&f, 5, 1);
	spit(f.dir, F_ENTRIES, orig, 0);	/* emptied */
	expect_tamper(&f, 0, 1);
	spit(f.dir, F_ENTRIES, orig, len);
	assert_verifies(f.dir, 6);
	free(orig);
	cleanup(&f);
}

static void
copy_file(const char *from_dir, const char *to_dir, const char *name)
{
	size_t len;
	char *buf = slurp(from_dir, name, &len);

	spit(to_dir, name, buf, len);
	free(buf);
}

/* Older genuine slots put back: the plain checkpoint file is newer. */
static void
test_checkpoint_rolled_back(void **state)
{
	struct bg_audit_verify_result res;
	bg_audit_t *log = NULL;
	size_t len;
	char *old;
	struct fx f;

	(void)state;
	make_log(&f, 4);
	old = slurp(f.dir, F_SLOTS, &len);
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_WRITE, &log), BG_OK);
	append_note(log, 4);
	append_note(log, 5);
	append_note(log, 6);
	bg_audit_close(&log);
	spit(f.dir, F_SLOTS, old, len);
	/* audit/checkpoint is written only after its slot: it gives it away */
	assert_int_equal(verify(f.dir, &res), BG_ETAMPER);
	assert_int_equal(res.bad_seq, 4);
	assert_non_null(strstr(res.reason, "slots were rolled back"));
	/* a writer quarantines them and records it: nothing is lost silently */
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_WRITE, &log), BG_OK);
	assert_int_equal(bg_audit_size(log), 5);
	bg_audit_close(&log);
	free(old);
	old = slurp(f.dir, F_ENTRIES, &len);
	assert_non_null(strstr(old, "\"event\":\"audit.recovered\""));
	assert_non_null(strstr(old, "\"entries\":3"));
	free(old);
	assert_verifies(f.dir, 5);
	cleanup(&f);
}

/*
 * A crash after the entries are durable but before their checkpoint: a
 * note, not tampering (nothing was acknowledged). Someone who rolls back
 * both checkpoint files looks the same on this host; a checkpoint kept
 * elsewhere tells them apart.
 */
static void
test_unacked_tail_is_a_note(void **state)
{
	struct bg_audit_verify_opts o;
	struct bg_audit_verify_result res;
	bg_audit_t *log = NULL;
	size_t slen, plen, nlen;
	char *slots, *plain, *newer;
	struct fx f;

	(void)state;
	make_log(&f, 4);
	slots = slurp(f.dir, F_SLOTS, &slen);
	plain = slurp(f.dir, F_CHECKPOINT, &plen);
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_WRITE, &log), BG_OK);
	append_note(log, 4);
	append_note(log, 5);
	bg_audit_close(&log);
	newer = slurp(f.dir, F_CHECKPOINT, &nlen);
	spit(f.dir, F_SLOTS, slots, slen);
	spit(f.dir, F_CHECKPOINT, plain, plen);
	assert_int_equal(verify(f.dir, &res), BG_OK);
	assert_int_equal(res.entries, 4);
	assert_int_equal(res.unacked, 2);
	assert_non_null(strstr(res.reason, "never acknowledged"));
	/* the same state against a later checkpoint held elsewhere */
	memset(&o, 0, sizeof(o));
	o.old_checkpoint = newer;
	o.old_checkpoint_len = nlen;
	assert_int_equal(bg_audit_verify(f.dir, &o, &res), BG_ECONSIST);
	assert_non_null(strstr(res.reason, "rolled back"));
	free(newer);
	free(plain);
	free(slots);
	cleanup(&f);
}

/* A slot with a valid checksum but a note signed by another key. */
static void
test_checkpoint_forged(void **state)
{
	struct bg_audit_verify_result res;
	uint8_t root[BG_HASH_LEN];
	EVP_PKEY *evil = NULL;
	char p[BG_PATH_MAX], *note = NULL;
	size_t len;
	struct fx f;
	int fd;

	(void)state;
	make_log(&f, 3);
	memset(root, 0x42, sizeof(root));
	assert_int_equal(bg_ed25519_generate(&evil), BG_OK);
	assert_int_equal(bg_checkpoint_sign(evil, "test.example/log", 3, root,
	    &note, &len), BG_OK);
	path_of(p, sizeof(p), f.dir, F_SLOTS);
	assert_true((fd = open(p, O_RDWR)) >= 0);
	assert_int_equal(bg_slots_write(fd, 0, 1000, note, len), BG_OK);
	close(fd);
	assert_int_equal(verify(f.dir, &res), BG_ETAMPER);
	assert_non_null(strstr(res.reason, "does not verify"));
	{
		bg_audit_t *log = NULL;
		assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_WRITE, &log),
		    BG_ETAMPER);
		assert_null(log);
	}
	EVP_PKEY_free(evil);
	free(note);
	cleanup(&f);
}

/* Checkpoints (slots or the plain file) of another log are refused. */
static void
test_checkpoint_other_log(void **state)
{
	struct bg_audit_verify_result res;
	bg_audit_t *log = NULL;
	struct fx a, b;

	(void)state;
	make_log(&a, 3);
	make_log(&b, 3);
	copy_file(b.dir, a.dir, F_CHECKPOINT);
	assert_int_equal(verify(a.dir, &res), BG_ETAMPER);
	copy_file(b.dir, a.dir, F_SLOTS);
	assert_int_equal(verify(a.dir, &res), BG_ETAMPER);
	assert_int_equal(bg_audit_open(a.dir, BG_AUDIT_WRITE, &log), BG_ETAMPER);
	assert_int_equal(bg_audit_open(a.dir, BG_AUDIT_READ, &log), BG_ETAMPER);
	cleanup(&a);
	cleanup(&b);
}

/* Signs a checkpoint over the first k lines with the log's (stolen) key
 * and drops the derived files, as an attacker rewriting history would. */
static void
sign_prefix(const struct fx *b, const char *other, size_t other_len, size_t k)
{
	struct bg_merkle_stream *st = malloc(sizeof(*st));
	uint8_t leaf[BG_HASH_LEN], root[BG_HASH_LEN];
	size_t starts[8], i, nlen;
	EVP_PKEY *key = NULL;
	char p[BG_PATH_MAX], *note = NULL;
	int fd;

	assert_non_null(st);
	line_starts(other, other_len, starts, 8);
	bg_merkle_stream_init(st);
	for (i = 0; i < k; i++) {
		assert_int_equal(bg_merkle_leaf_hash(other + starts[i],
		    starts[i + 1] - starts[i] - 1, leaf), BG_OK);
		assert_int_equal(bg_merkle_stream_add(st, leaf, NULL, NULL),
		    BG_OK);
	}
	assert_int_equal(bg_merkle_stream_root(st, root), BG_OK);
	free(st);
	assert_int_equal(bg_keys_load_priv(b->dir, &key), BG_OK);
	assert_int_equal(bg_checkpoint_sign(key, "test.example/log", k, root,
	    &note, &nlen), BG_OK);
	path_of(p, sizeof(p), b->dir, F_SLOTS);
	assert_true((fd = open(p, O_RDWR)) >= 0);
	assert_int_equal(bg_slots_write(fd, 0, 500, note, nlen), BG_OK);
	assert_int_equal(bg_slots_write(fd, 1, 499, note, nlen), BG_OK);
	close(fd);
	path_of(p, sizeof(p), b->dir, F_CHECKPOINT);
	unlink(p);
	path_of(p, sizeof(p), b->dir, F_TREE);
	unlink(p);
	path_of(p, sizeof(p), b->dir, F_INDEX);
	unlink(p);
	EVP_PKEY_free(key);
	free(note);
}

/* A checkpoint of a's current (larger) tree, against the shorter b. */
static void
expect_removed(const struct fx *a, const struct fx *b)
{
	struct bg_audit_verify_opts o;
	struct bg_audit_verify_result res;
	bg_audit_t *big = NULL;
	char *note = NULL;
	size_t len;

	assert_int_equal(bg_audit_open(a->dir, BG_AUDIT_READ, &big), BG_OK);
	assert_int_equal(bg_audit_checkpoint(big, &note, &len), BG_OK);
	bg_audit_close(&big);
	memset(&o, 0, sizeof(o));
	o.old_checkpoint = note;
	o.old_checkpoint_len = len;
	assert_int_equal(bg_audit_verify(b->dir, &o, &res), BG_ECONSIST);
	free(note);
}

/*
 * The attacker has the signing key and rewrites history: a fresh log with
 * the same key, other entries, re-signed. Only a checkpoint kept from
 * before tells; verify against it must fail.
 */
static void
test_rewritten_history_stolen_key(void **state)
{
	struct bg_audit_verify_opts o;
	struct bg_audit_verify_result res;
	bg_audit_t *log = NULL;
	char *kept = NULL, *other = NULL;
	size_t kept_len, other_len;
	struct fx a, b;
	unsigned i;

	(void)state;
	make_log(&a, 5);
	assert_int_equal(bg_audit_open(a.dir, BG_AUDIT_READ, &log), BG_OK);
	assert_int_equal(bg_audit_checkpoint(log, &kept, &kept_len), BG_OK);
	bg_audit_close(&log);
	memset(&o, 0, sizeof(o));
	o.old_checkpoint = kept;
	o.old_checkpoint_len = kept_len;
	assert_int_equal(bg_audit_verify(a.dir, &o, &res), BG_OK);
	/* the same log grown further is consistent with the kept checkpoint */
	assert_int_equal(bg_audit_open(a.dir, BG_AUDIT_WRITE, &log), BG_OK);
	append_note(log, 5);
	bg_audit_close(&log);
	assert_int_equal(bg_audit_verify(a.dir, &o, &res), BG_OK);

	/* b: a forgery made with a's keys, whose entry 3 says something else */
	make_log(&b, 1);
	copy_file(a.dir, b.dir, F_KEY);
	copy_file(a.dir, b.dir, F_VKEY);
	other = slurp(a.dir, F_ENTRIES, &other_len);
	{
		size_t starts[8], n = line_starts(other, other_len, starts, 8);
		spit(b.dir, F_ENTRIES, other, starts[3]);
		assert_true(n >= 4);
	}
	sign_prefix(&b, other, other_len, 3);
	assert_int_equal(bg_audit_open(b.dir, BG_AUDIT_WRITE, &log), BG_OK);
	for (i = 0; i < 4; i++) {
		struct bg_audit_event ev = { "operator.note", "mallory", "", "",
		    NULL };
		assert_int_equal(bg_audit_append(log, &ev, NULL), BG_OK);
	}
	bg_audit_close(&log);
	/* on its own the forgery verifies: the key signs whatever it is given */
	assert_verifies(b.dir, 7);
	/* against the checkpoint kept from a, it fails */
	assert_int_equal(bg_audit_verify(b.dir, &o, &res), BG_ECONSIST);
	assert_non_null(strstr(res.reason, "differs from the given checkpoint"));
	expect_removed(&a, &b);
	/* a kept checkpoint that is not ours */
	kept[kept_len - 5] ^= 1;
	assert_int_equal(bg_audit_verify(a.dir, &o, &res), BG_ESIG);
	free(kept);
	free(other);
	cleanup(&a);
	cleanup(&b);
}

static size_t
count_files(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void
append_raw(const struct fx *f, const char *text)
{
	size_t len;
	char *buf = slurp(f->dir, F_ENTRIES, &len), *out;

	assert_non_null(out = malloc(len + strlen(text)));
	memcpy(out, buf, len);
	memcpy(out + len, text, strlen(text));
	spit(f->dir, F_ENTRIES, out, len + strlen(text));
	free(out);
	free(buf);
}

/* A crash in the middle of writing a line: verify warns, a writer cuts it. */
static void
test_torn_tail_recovered(void **state)
{
	struct bg_audit_verify_result res;
	bg_audit_t *log = NULL;
	char rec[256], *buf;
	size_t len;
	struct fx f;

	(void)state;
	make_log(&f, 4);
	append_raw(&f, "{\"seq\":4,\"time\":\"2026-");
	assert_int_equal(verify(f.dir, &res), BG_OK);
	assert_int_equal(res.entries, 4);
	assert_non_null(strstr(res.reason, "torn"));
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_WRITE, &log), BG_OK);
	assert_int_equal(bg_audit_size(log), 5);	/* + audit.recovered */
	bg_audit_close(&log);
	assert_verifies(f.dir, 5);
	buf = slurp(f.dir, F_ENTRIES, &len);
	assert_non_null(strstr(buf, "\"event\":\"audit.recovered\""));
	assert_null(strstr(buf, "2026-{"));
	free(buf);
	snprintf(rec, sizeof(rec), "%s/" D_RECOVERED, f.dir);
	assert_int_equal(count_files(rec), 1);
	cleanup(&f);
}

/* Derived files lost (power loss): readers ask for recovery, writer rebuilds. */
static void
test_derived_rebuilt(void **state)
{
	bg_audit_t *log = NULL;
	struct bg_audit_proof p;
	char *tree;
	size_t len;
	struct fx f;

	(void)state;
	make_log(&f, 9);
	tree = slurp(f.dir, F_TREE, &len);
	spit(f.dir, F_TREE, tree, len / 2);
	spit(f.dir, F_INDEX, tree, 0);
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_READ, &log), BG_ERECOVER);
	assert_non_null(strstr(bg_audit_why(), "recover"));
	assert_verifies(f.dir, 9);	/* verify does not need them */
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_WRITE, &log), BG_OK);
	assert_int_equal(bg_audit_size(log), 9);	/* nothing to record */
	assert_int_equal(bg_audit_prove(log, 7, 0, &p), BG_OK);
	bg_audit_close(&log);
	free(tree);
	tree = slurp(f.dir, F_TREE, &len);
	assert_int_equal(len, bg_merkle_store_count(9) * BG_HASH_LEN);
	free(tree);
	assert_verifies(f.dir, 9);
	cleanup(&f);
}

/*
 * A corrupt node store (what a power loss can leave: it is written without
 * sync) is a warning, not tampering; proofs refuse to use it until
 * bg_audit_rebuild makes it again from the entries.
 */
static void
test_corrupt_tree(void **state)
{
	struct bg_audit_verify_result res;
	struct bg_audit_proof p;
	bg_audit_t *log = NULL;
	char *tree;
	size_t len;
	struct fx f;

	(void)state;
	make_log(&f, 8);
	tree = slurp(f.dir, F_TREE, &len);
	tree[bg_merkle_pos(1, 1) * BG_HASH_LEN] ^= 1;	/* node over 2,3 */
	spit(f.dir, F_TREE, tree, len);
	assert_int_equal(verify(f.dir, &res), BG_OK);
	assert_int_equal(res.entries, 8);
	assert_true(res.derived_bad);
	assert_non_null(strstr(res.derived, "audit/tree"));
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_READ, &log), BG_OK);
	assert_int_equal(bg_audit_prove(log, 0, 0, &p), BG_ERECOVER);
	assert_non_null(strstr(bg_audit_why(), "audit verify"));
	assert_int_equal(bg_audit_prove(log, 6, 0, &p), BG_OK);
	bg_audit_close(&log);
	assert_int_equal(bg_audit_rebuild(f.dir), BG_OK);
	assert_int_equal(verify(f.dir, &res), BG_OK);
	assert_false(res.derived_bad);
	assert_string_equal(res.derived, "");
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_READ, &log), BG_OK);
	assert_int_equal(bg_audit_prove(log, 0, 0, &p), BG_OK);
	assert_int_equal(bg_audit_size(log), 8);	/* nothing recorded */
	bg_audit_close(&log);
	free(tree);
	cleanup(&f);
}

static int
count_entry(void *ctx, uint64_t seq, const char *line, size_t len)
{
	(void)seq;
	(void)line;
	(void)len;
	++*(int *)ctx;
	return 0;
}

/*
 * A wrong entry offset in the index (power loss) is a warning too: a walk
 * starting there is refused (BG_ERECOVER), never handed another entry.
 */
static void
test_corrupt_index(void **state)
{
	struct bg_audit_verify_result res;
	bg_audit_t *log = NULL;
	char *index;
	size_t len;
	struct fx f;
	int n = 0;

	(void)state;
	make_log(&f, 8);
	index = slurp(f.dir, F_INDEX, &len);
	index[4 * 8] ^= 7;		/* end of entry 4: mid-line */
	spit(f.dir, F_INDEX, index, len);
	assert_int_equal(verify(f.dir, &res), BG_OK);
	assert_true(res.derived_bad);
	assert_non_null(strstr(res.derived, "audit/index"));
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_READ, &log), BG_OK);
	assert_int_equal(bg_audit_foreach(log, 5, 8, count_entry, &n),
	    BG_ERECOVER);
	assert_int_equal(n, 0);
	bg_audit_close(&log);
	assert_int_equal(bg_audit_rebuild(f.dir), BG_OK);
	assert_int_equal(verify(f.dir, &res), BG_OK);
	assert_false(res.derived_bad);
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_READ, &log), BG_OK);
	assert_int_equal(bg_audit_foreach(log, 5, 8, count_entry, &n), BG_OK);
	assert_int_equal(n, 3);
	bg_audit_close(&log);
	free(index);
	cleanup(&f);
}

static int
leaf_of(void *ctx, uint64_t seq, const char *line, size_t len)
{
	uint8_t *leaf = ctx;

	(void)seq;
	return bg_merkle_leaf_hash(line, len, leaf);
}

static void
test_proofs(void **state)
{
	struct bg_audit_proof p;
	bg_audit_t *log = NULL;
	uint8_t leaf[BG_HASH_LEN];
	uint64_t seq, size, m;
	struct fx f;

	(void)state;
	make_log(&f, 37);
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_READ, &log), BG_OK);
	for (size = 1; size <= 37; size++) {
		for (seq = 0; seq < size; seq++) {
			assert_int_equal(bg_audit_prove(log, seq, size, &p), BG_OK);
			assert_int_equal(bg_audit_check_inclusion(&p), BG_OK);
			assert_int_equal(bg_audit_foreach(log, seq, seq + 1,
			    leaf_of, leaf), BG_OK);
			assert_memory_equal(leaf, p.leaf, BG_HASH_LEN);
			p.leaf[0] ^= 1;
			assert_int_equal(bg_audit_check_inclusion(&p), BG_EPROOF);
		}
		for (m = 1; m <= size; m++) {
			assert_int_equal(bg_audit_prove_consistency(log, m, size,
			    &p), BG_OK);
			assert_int_equal(bg_audit_check_consistency(&p), BG_OK);
			p.old_root[5] ^= 1;
			assert_int_equal(bg_audit_check_consistency(&p), BG_EPROOF);
		}
	}
	assert_int_equal(bg_audit_prove(log, 37, 0, &p), BG_ERANGE);
	assert_int_equal(bg_audit_prove(log, 0, 38, &p), BG_ERANGE);
	assert_int_equal(bg_audit_prove_consistency(log, 0, 5, &p), BG_ERANGE);
	assert_int_equal(bg_audit_prove_consistency(log, 6, 5, &p), BG_ERANGE);
	bg_audit_close(&log);
	cleanup(&f);
}

/* Bad input to append is refused and nothing is written. */
static void
test_bad_events(void **state)
{
	static const char *const bad_names[] = { "", "Upper.case", "a..b",
	    ".a", "a.", "sp ace", "a-b", "x.y\n" };
	struct bg_audit_event ev = { "ok.event", "", "", "", NULL };
	bg_audit_t *log = NULL;
	cJSON *arr, *big;
	char *huge;
	size_t i;
	struct fx f;

	(void)state;
	make_log(&f, 2);
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_WRITE, &log), BG_OK);
	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		ev.event = bad_names[i];
		assert_int_equal(bg_audit_append(log, &ev, NULL), BG_EINVAL);
	}
	ev.event = "ok.event";
	ev.actor = "new\nline";
	assert_int_equal(bg_audit_append(log, &ev, NULL), BG_EINVAL);
	ev.actor = "bad\xff utf8";
	assert_int_equal(bg_audit_append(log, &ev, NULL), BG_EINVAL);
	ev.actor = "";
	arr = cJSON_CreateArray();
	ev.detail = arr;
	assert_int_equal(bg_audit_append(log, &ev, NULL), BG_EINVAL);
	cJSON_Delete(arr);
	assert_non_null(huge = malloc(BG_AUDIT_ENTRY_MAX + 1));
	memset(huge, 'x', BG_AUDIT_ENTRY_MAX);
	huge[BG_AUDIT_ENTRY_MAX] = '\0';
	big = cJSON_CreateObject();
	cJSON_AddStringToObject(big, "text", huge);
	ev.detail = big;
	assert_int_equal(bg_audit_append(log, &ev, NULL), BG_ETOOBIG);
	cJSON_Delete(big);
	free(huge);
	ev.detail = NULL;
	assert_int_equal(bg_audit_append_batch(log, &ev, 0, NULL), BG_EINVAL);
	assert_int_equal(bg_audit_size(log), 2);
	bg_audit_close(&log);
	assert_verifies(f.dir, 2);
	/* a reader cannot append */
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_READ, &log), BG_OK);
	assert_int_equal(bg_audit_append(log, &ev, NULL), BG_EINVAL);
	bg_audit_close(&log);
	cleanup(&f);
}

/*
 * Text that is not clean (common/text.c) anywhere in an event, keys and
 * values of the detail at any depth, is refused with the field named;
 * the log's bytes do not change and it still verifies. A statement's
 * newline in a detail value is the one control allowed.
 */
static void
test_unclean_text(void **state)
{
	static const char *const bad[] = {
		"\xff", "a\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"x\xe2\x80\xae" "gnp.exe", "\xe2\x81\xa6", "\xd8\x9c",
		"\xc2\x85", "\xc2\x9f", "\x1b[2J", "a\tb", "a\rb", "\x7f",
	};
	struct bg_audit_event ev = { "ok.event", "someone", "", "", NULL };
	struct bg_audit_event two[2];
	bg_audit_t *log = NULL;
	char *before, *after;
	size_t blen, alen, i;
	cJSON *d, *inner, *arr;
	struct fx f;

	(void)state;
	make_log(&f, 2);
	before = slurp(f.dir, "entries.jsonl", &blen);
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_WRITE, &log), BG_OK);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* a value in the detail */
		assert_non_null(d = cJSON_CreateObject());
		assert_non_null(cJSON_AddStringToObject(d, "text", bad[i]));
		ev.detail = d;
		bg_clear_why();
		assert_int_equal(bg_audit_append(log, &ev, NULL), BG_EINVAL);
		assert_non_null(strstr(bg_audit_why(), "detail.text"));
		cJSON_Delete(d);
		/* nested: object in an array in an object */
		assert_non_null(d = cJSON_CreateObject());
		assert_non_null(arr = cJSON_AddArrayToObject(d, "items"));
		assert_non_null(inner = cJSON_CreateObject());
		cJSON_AddItemToArray(arr, inner);
		assert_non_null(cJSON_AddStringToObject(inner, "name", bad[i]));
		ev.detail = d;
		assert_int_equal(bg_audit_append(log, &ev, NULL), BG_EINVAL);
		assert_non_null(strstr(bg_audit_why(), "detail.items[0].name"));
		cJSON_Delete(d);
		/* a key */
		assert_non_null(d = cJSON_CreateObject());
		assert_non_null(cJSON_AddStringToObject(d, bad[i], "v"));
		ev.detail = d;
		assert_int_equal(bg_audit_append(log, &ev, NULL), BG_EINVAL);
		assert_non_null(strstr(bg_audit_why(), "detail."));
		cJSON_Delete(d);
		ev.detail = NULL;
		/* the fields */
		ev.actor = bad[i];
		assert_int_equal(bg_audit_append(log, &ev, NULL), BG_EINVAL);
		assert_non_null(strstr(bg_audit_why(), "actor"));
		ev.actor = "someone";
		ev.account = bad[i];
		assert_int_equal(bg_audit_append(log, &ev, NULL), BG_EINVAL);
		assert_non_null(strstr(bg_audit_why(), "account"));
		ev.account = "";
		ev.request = bad[i];
		assert_int_equal(bg_audit_append(log, &ev, NULL), BG_EINVAL);
		assert_non_null(strstr(bg_audit_why(), "request"));
		ev.request = "";
		/* a batch with one bad entry is refused whole */
		two[0] = ev;
		two[1] = ev;
		two[1].actor = bad[i];
		assert_int_equal(bg_audit_append_batch(log, two, 2, NULL),
		    BG_EINVAL);
	}
	assert_int_equal(bg_audit_size(log), 2);
	/* a newline in a detail value (a statement) is allowed; in a key,
	 * or in a field, it is not */
	assert_non_null(d = cJSON_CreateObject());
	assert_non_null(cJSON_AddStringToObject(d, "k\ney", "v"));
	ev.detail = d;
	assert_int_equal(bg_audit_append(log, &ev, NULL), BG_EINVAL);
	cJSON_Delete(d);
	ev.detail = NULL;
	ev.account = "a\nb";
	assert_int_equal(bg_audit_append(log, &ev, NULL), BG_EINVAL);
	ev.account = "";
	bg_audit_close(&log);
	after = slurp(f.dir, "entries.jsonl", &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, blen);
	free(after);
	assert_verifies(f.dir, 2);
	/* the control case: the same event with clean text is appended */
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_WRITE, &log), BG_OK);
	assert_non_null(d = cJSON_CreateObject());
	assert_non_null(cJSON_AddStringToObject(d, "statement",
	    "line one\nline two \xc3\xa9\xc2\xa0\xf4\x8f\xbf\xbf\n"));
	ev.detail = d;
	assert_int_equal(bg_audit_append(log, &ev, NULL), BG_OK);
	cJSON_Delete(d);
	assert_int_equal(bg_audit_size(log), 3);
	bg_audit_close(&log);
	assert_verifies(f.dir, 3);
	free(before);
	cleanup(&f);
}

/* init refuses an existing log; the key is private; two writers exclude. */
static void
test_init_and_lock(void **state)
{
	struct stat sb;
	bg_audit_t *w = NULL, *w2 = NULL, *r = NULL;
	char p[BG_PATH_MAX];
	struct fx f;

	(void)state;
	make_log(&f, 1);
	assert_int_equal(bg_audit_init(f.dir, NULL), BG_EEXIST);
	assert_verifies(f.dir, 1);
	path_of(p, sizeof(p), f.dir, F_KEY);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(f.dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_WRITE, &w), BG_OK);
	if (fork() == 0)	/* another process cannot take the writer lock */
		_exit(bg_audit_open(f.dir, BG_AUDIT_WRITE, &w2) == BG_ELOCKED ?
		    0 : 1);
	{
		int st;
		assert_true(wait(&st) > 0);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_READ, &r), BG_OK);
	bg_audit_close(&r);
	bg_audit_close(&w);
	/* a signing key readable by others is refused */
	assert_int_equal(chmod(p, 0640), 0);
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_WRITE, &w), BG_EPERM);
	cleanup(&f);
}

static void
test_entry_parse(void **state)
{
	static const char good[] = "{\"seq\":3,\"time\":\"2026-01-02T03:04:05.678Z\","
	    "\"event\":\"a.b\",\"actor\":\"x\",\"account\":\"\",\"request\":\"\","
	    "\"detail\":{}}";
	static const char *const bad[] = {
		"{\"seq\":03,\"time\":\"2026-01-02T03:04:05.678Z\",\"event\":\"a.b\",\"actor\":\"x\",\"account\":\"\",\"request\":\"\",\"detail\":{}}",
		"{\"seq\":3,\"time\":\"2026-01-02T03:04:05.678Z\",\"event\":\"a.b\",\"actor\":\"x\",\"account\":\"\",\"request\":\"\",\"detail\":{},\"extra\":1}",
		"{\"seq\":3,\"time\":\"2026-01-02T03:04:05.678Z\",\"event\":\"a.b\",\"actor\":\"x\",\"actor\":\"y\",\"account\":\"\",\"request\":\"\",\"detail\":{}}",
		"{\"seq\":3,\"time\":\"2026-01-02 03:04:05.678Z\",\"event\":\"a.b\",\"actor\":\"x\",\"account\":\"\",\"request\":\"\",\"detail\":{}}",
		"{\"seq\":3,\"time\":\"2026-01-02T03:04:05.678Z\",\"event\":\"A.b\",\"actor\":\"x\",\"account\":\"\",\"request\":\"\",\"detail\":{}}",
		"{\"seq\":3,\"time\":\"2026-01-02T03:04:05.678Z\",\"event\":\"a.b\",\"actor\":1,\"account\":\"\",\"request\":\"\",\"detail\":{}}",
		"{\"seq\":3,\"time\":\"2026-01-02T03:04:05.678Z\",\"event\":\"a.b\",\"actor\":\"x\",\"account\":\"\",\"request\":\"\",\"detail\":[]}",
		"{\"seq\":3,\"time\":\"2026-01-02T03:04:05.678Z\",\"event\":\"a.b\",\"actor\":\"x\",\"account\":\"\",\"request\":\"\",\"detail\":{}} ",
	};
	struct bg_audit_entry e;
	size_t i;

	(void)state;
	assert_int_equal(bg_audit_entry_parse(good, strlen(good), &e), BG_OK);
	assert_int_equal(e.seq, 3);
	assert_string_equal(e.time, "2026-01-02T03:04:05.678Z");
	assert_string_equal(e.event, "a.b");
	bg_audit_entry_free(&e);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(bg_audit_entry_parse(bad[i], strlen(bad[i]), &e),
		    BG_EFORMAT);
	for (i = 0; i < strlen(good); i++)	/* every truncation */
		assert_int_equal(bg_audit_entry_parse(good, i, &e), BG_EFORMAT);
}

/* Offset of the slot with the higher generation in checkpoint.slots. */
static size_t
newest_slot(const char *slots)
{
	uint64_t g0 = 0, g1 = 0;
	int i;

	for (i = 7; i >= 0; i--) {
		g0 = g0 << 8 | (uint8_t)slots[8 + i];
		g1 = g1 << 8 | (uint8_t)slots[BG_SLOT_SIZE + 8 + i];
	}
	return g0 > g1 ? 0 : BG_SLOT_SIZE;
}

/*
 * Review finding: damage the newest slot's checksum, drop the last entry
 * and the plain checkpoint. The older slot fits the entries exactly, which
 * no crash produces (entries are durable before their slot): tampering.
 */
static void
test_damaged_slot_hides_removal(void **state)
{
	char *slots, *entries, p[BG_PATH_MAX];
	size_t slen, elen, starts[8], n;
	bg_audit_t *log = NULL;
	struct bg_audit_verify_result res;
	struct fx f;

	(void)state;
	make_log(&f, 4);
	slots = slurp(f.dir, F_SLOTS, &slen);
	slots[newest_slot(slots) + 24] ^= 1;	/* its checksum */
	spit(f.dir, F_SLOTS, slots, slen);
	entries = slurp(f.dir, F_ENTRIES, &elen);
	n = line_starts(entries, elen, starts, 8);
	spit(f.dir, F_ENTRIES, entries, starts[n - 1]);
	path_of(p, sizeof(p), f.dir, F_CHECKPOINT);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(verify(f.dir, &res), BG_ETAMPER);
	assert_non_null(strstr(res.reason, "missing"));	/* checkpoint file */
	/* even with a plain checkpoint put back from the older slot */
	{
		size_t old = newest_slot(slots) == 0 ? BG_SLOT_SIZE : 0;
		size_t len = (uint8_t)slots[old + 16] |
		    (size_t)(uint8_t)slots[old + 17] << 8;
		spit(f.dir, F_CHECKPOINT, slots + old + 56, len);
	}
	assert_int_equal(verify(f.dir, &res), BG_ETAMPER);
	assert_non_null(strstr(res.reason, "append was removed"));
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_WRITE, &log), BG_ETAMPER);
	assert_null(log);
	free(slots);
	free(entries);
	cleanup(&f);
}

/* A real crash: the newest slot torn, its entries after the older one. */
static void
test_torn_slot_with_tail_recovers(void **state)
{
	struct bg_audit_verify_result res;
	bg_audit_t *log = NULL;
	char *slots;
	size_t slen, i;
	struct fx f;

	(void)state;
	make_log(&f, 4);
	slots = slurp(f.dir, F_SLOTS, &slen);
	for (i = 2048; i < BG_SLOT_SIZE; i++)	/* second half never landed */
		slots[newest_slot(slots) + i] ^= 0x5a;
	slots[newest_slot(slots) + 24] ^= 1;
	spit(f.dir, F_SLOTS, slots, slen);
	assert_int_equal(verify(f.dir, &res), BG_ETAMPER);	/* until recovered */
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_WRITE, &log), BG_OK);
	assert_int_equal(bg_audit_size(log), 4);	/* 3 + audit.recovered */
	bg_audit_close(&log);
	assert_verifies(f.dir, 4);
	/* healed: opening again changes nothing and appends work */
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_WRITE, &log), BG_OK);
	assert_int_equal(bg_audit_size(log), 4);
	append_note(log, 9);
	bg_audit_close(&log);
	assert_verifies(f.dir, 5);
	free(slots);
	cleanup(&f);
}

/* ------------------------------------------------------------ the clock */

/*
 * The wall clock is tests/virtual/clock's libbgclock.so, linked into this
 * program: with BG_FAKE_CLOCK_FILE set, time() and clock_gettime() read
 * the file's second; unset, the real clock.
 */
#define T2020 1577836800LL	/* 2020-01-01T00:00:00Z */
#define T2100 4102444800LL	/* 2100-01-01T00:00:00Z */

static void
clock_set(const struct fx *f, long long secs)
{
	char p[BG_PATH_MAX], txt[32];
	int n = snprintf(txt, sizeof(txt), "%lld\n", secs);

	path_of(p, sizeof(p), f->root, "clock");
	assert_int_equal(bg_file_replace(p, txt, (size_t)n, 0600), BG_OK);
	assert_int_equal(setenv("BG_FAKE_CLOCK_FILE", p, 1), 0);
	/* the fake clock is really in effect, or this test tests nothing */
	assert_int_equal((long long)time(NULL), secs);
}

static void
clock_real(void)
{
	assert_int_equal(unsetenv("BG_FAKE_CLOCK_FILE"), 0);
}

static void
note_at(const struct fx *f, long long secs, uint64_t want_seq)
{
	struct bg_audit_event ev = { "operator.note", "alice", "", "", NULL };
	bg_audit_t *log = NULL;
	uint64_t seq = UINT64_MAX;

	if (secs >= 0)
		clock_set(f, secs);
	else
		clock_real();
	assert_int_equal(bg_audit_open(f->dir, BG_AUDIT_WRITE, &log), BG_OK);
	assert_int_equal(bg_audit_append(log, &ev, &seq), BG_OK);
	/* the caller's entry, after any clock.skew entry */
	assert_int_equal(seq, want_seq);
	bg_audit_close(&log);
}

struct got {
	uint64_t seq;
	struct bg_audit_entry e;
};

static int
got_one(void *ctx, uint64_t seq, const char *line, size_t len)
{
	struct got *g = ctx;

	assert_int_equal(bg_audit_entry_parse(line, len, &g->e), BG_OK);
	g->seq = seq;
	return 1;
}

/* Entry seq, parsed; bg_audit_entry_free() it. */
static void
entry_at(const struct fx *f, uint64_t seq, struct got *g)
{
	bg_audit_t *log = NULL;

	assert_int_equal(bg_audit_open(f->dir, BG_AUDIT_READ, &log), BG_OK);
	assert_int_equal(bg_audit_foreach(log, seq, seq + 1, got_one, g), 1);
	assert_int_equal(g->seq, seq);
	bg_audit_close(&log);
}

static void
expect_skew(const struct fx *f, uint64_t seq, const char *prev,
    const char *now, double back_ms)
{
	struct got g;

	entry_at(f, seq, &g);
	assert_string_equal(g.e.event, "clock.skew");
	assert_string_equal(g.e.actor, "breakglass");
	assert_string_equal(g.e.time, now);
	assert_string_equal(cJSON_GetObjectItem(g.e.detail, "previous")->
	    valuestring, prev);
	assert_string_equal(cJSON_GetObjectItem(g.e.detail, "now")->
	    valuestring, now);
	assert_true(cJSON_GetObjectItem(g.e.detail, "back_ms")->valuedouble ==
	    back_ms);
	assert_int_equal(cJSON_GetArraySize(g.e.detail), 3);
	bg_audit_entry_free(&g.e);
}

static void
expect_entry(const struct fx *f, uint64_t seq, const char *event,
    const char *time)
{
	struct got g;

	entry_at(f, seq, &g);
	assert_string_equal(g.e.event, event);
	assert_string_equal(g.e.time, time);
	bg_audit_entry_free(&g.e);
}

/*
 * 0 audit.init 2020-01-01T00:00:00, 1 note at the same second, 2 note with
 * the clock at 2100, 3 clock.skew back to 2020-01-01T00:01:00, 4 note
 * then, 5 note a second later.
 */
static void
make_log_at(struct fx *f, long long secs)
{
	snprintf(f->root, sizeof(f->root), "/tmp/bg-test-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->dir, sizeof(f->dir), "%s/audit", f->root);
	clock_set(f, secs);
	assert_int_equal(bg_audit_init(f->dir, "test.example/log"), BG_OK);
}

static void
make_skewed_log(struct fx *f)
{
	make_log_at(f, T2020);
	note_at(f, T2020, 1);
	note_at(f, T2100, 2);
	note_at(f, T2020 + 60, 4);
	note_at(f, T2020 + 61, 5);
	clock_real();
}

/*
 * The insider's run with the clock at 2100: later entries carry the real
 * time (they were all stamped 2100 before), a clock.skew entry records
 * the step back, and the log verifies.
 */
static void
test_clock_far_ahead_once(void **state)
{
	struct bg_audit_verify_result res;
	char before[BG_TIME_LEN + 1], after[BG_TIME_LEN + 1];
	struct got g;
	struct fx f;

	(void)state;
	make_skewed_log(&f);
	expect_entry(&f, 0, "audit.init", "2020-01-01T00:00:00.000Z");
	expect_entry(&f, 1, "operator.note", "2020-01-01T00:00:00.000Z");
	expect_entry(&f, 2, "operator.note", "2100-01-01T00:00:00.000Z");
	expect_skew(&f, 3, "2100-01-01T00:00:00.000Z",
	    "2020-01-01T00:01:00.000Z", (double)(T2100 - T2020 - 60) * 1000);
	expect_entry(&f, 4, "operator.note", "2020-01-01T00:01:00.000Z");
	expect_entry(&f, 5, "operator.note", "2020-01-01T00:01:01.000Z");
	assert_int_equal(verify(f.dir, &res), BG_OK);
	assert_int_equal(res.entries, 6);
	/* the real clock: ahead of 2020, no skew, the real time */
	assert_int_equal(bg_entry_now(before), BG_OK);
	note_at(&f, -1, 6);
	assert_int_equal(bg_entry_now(after), BG_OK);
	entry_at(&f, 6, &g);
	assert_string_equal(g.e.event, "operator.note");
	assert_true(strcmp(before, g.e.time) <= 0);
	assert_true(strcmp(g.e.time, after) <= 0);
	bg_audit_entry_free(&g.e);
	/* the clock at 2100 again, then real: a second clock.skew */
	note_at(&f, T2100, 7);
	clock_real();
	assert_int_equal(bg_entry_now(before), BG_OK);
	note_at(&f, -1, 9);
	assert_int_equal(bg_entry_now(after), BG_OK);
	entry_at(&f, 8, &g);
	assert_string_equal(g.e.event, "clock.skew");
	assert_string_equal(cJSON_GetObjectItem(g.e.detail, "previous")->
	    valuestring, "2100-01-01T00:00:00.000Z");
	assert_true(strcmp(before, g.e.time) <= 0);
	assert_true(strcmp(g.e.time, after) <= 0);
	bg_audit_entry_free(&g.e);
	assert_int_equal(verify(f.dir, &res), BG_OK);
	assert_int_equal(res.entries, 10);
	cleanup(&f);
}

/*
 * Up to a second back (an NTP correction) the previous time is reused;
 * two seconds back is recorded. Callers cannot write clock.skew entries.
 */
static void
test_clock_small_steps(void **state)
{
	struct bg_audit_event ev[2] = {
		{ "operator.note", "alice", "", "", NULL },
		{ "clock.skew", "breakglass", "", "", NULL },
	};
	struct bg_audit_verify_result res;
	bg_audit_t *log = NULL;
	struct fx f;

	(void)state;
	make_log_at(&f, T2020);
	note_at(&f, T2020 + 10, 1);
	note_at(&f, T2020 + 9, 2);	/* 1000 ms back: reused */
	expect_entry(&f, 2, "operator.note", "2020-01-01T00:00:10.000Z");
	note_at(&f, T2020 + 8, 4);	/* 2000 ms back: recorded */
	expect_skew(&f, 3, "2020-01-01T00:00:10.000Z",
	    "2020-01-01T00:00:08.000Z", 2000);
	expect_entry(&f, 4, "operator.note", "2020-01-01T00:00:08.000Z");
	/* clock.skew is the log's own: refused alone and in a batch */
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_WRITE, &log), BG_OK);
	assert_int_equal(bg_audit_append(log, &ev[1], NULL), BG_EINVAL);
	assert_int_equal(bg_audit_append_batch(log, ev, 2, NULL), BG_EINVAL);
	assert_int_equal(bg_audit_size(log), 5);
	bg_audit_close(&log);
	clock_real();
	assert_int_equal(verify(f.dir, &res), BG_OK);
	assert_int_equal(res.entries, 5);
	cleanup(&f);
}

/*
 * Writes buf as entries.jsonl and signs a checkpoint over all of it with
 * the log's own key (plain file and both slots; derived files dropped),
 * as an insider holding the key would.
 */
static void
resign_all(const struct fx *f, const char *buf, size_t len)
{
	struct bg_merkle_stream *st = malloc(sizeof(*st));
	uint8_t leaf[BG_HASH_LEN], root[BG_HASH_LEN];
	size_t i, start = 0, nlen;
	uint64_t n = 0;
	EVP_PKEY *key = NULL;
	char p[BG_PATH_MAX], *note = NULL;
	int fd;

	assert_non_null(st);
	bg_merkle_stream_init(st);
	for (i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		assert_int_equal(bg_merkle_leaf_hash(buf + start, i - start,
		    leaf), BG_OK);
		assert_int_equal(bg_merkle_stream_add(st, leaf, NULL, NULL),
		    BG_OK);
		start = i + 1;
		n++;
	}
	assert_int_equal(bg_merkle_stream_root(st, root), BG_OK);
	free(st);
	assert_int_equal(bg_keys_load_priv(f->dir, &key), BG_OK);
	assert_int_equal(bg_checkpoint_sign(key, "test.example/log", n, root,
	    &note, &nlen), BG_OK);
	EVP_PKEY_free(key);
	path_of(p, sizeof(p), f->dir, F_SLOTS);
	assert_true((fd = open(p, O_RDWR)) >= 0);
	assert_int_equal(bg_slots_write(fd, 0, 900, note, nlen), BG_OK);
	assert_int_equal(bg_slots_write(fd, 1, 899, note, nlen), BG_OK);
	close(fd);
	spit(f->dir, F_CHECKPOINT, note, nlen);
	path_of(p, sizeof(p), f->dir, F_TREE);
	unlink(p);
	path_of(p, sizeof(p), f->dir, F_INDEX);
	unlink(p);
	spit(f->dir, F_ENTRIES, buf, len);
	free(note);
}

/* orig with the first `from` in line seq replaced by `to`. */
static char *
edit_line(const char *orig, size_t len, uint64_t seq, const char *from,
    const char *to, size_t *outlen)
{
	size_t starts[16] = { 0 }, n = line_starts(orig, len, starts, 16), a, b;
	size_t fl = strlen(from), tl = strlen(to);
	char *out, *at, *line;

	assert_true(seq < n);
	a = starts[seq];
	b = seq + 1 < n ? starts[seq + 1] : len;
	assert_non_null(line = strndup(orig + a, b - a));
	if ((at = strstr(line, from)) == NULL)
		fail_msg("entry %llu has no %s: %s", (unsigned long long)seq,
		    from, line);
	assert_non_null(out = malloc(len + tl + 1));
	memcpy(out, orig, a + (size_t)(at - line));
	memcpy(out + a + (at - line), to, tl);
	memcpy(out + a + (at - line) + tl, orig + a + (at - line) + fl,
	    len - a - (size_t)(at - line) - fl);
	*outlen = len - fl + tl;
	free(line);
	return out;
}

/* The re-signed log fails verify at seq, for the reason given. */
static void
expect_named(const struct fx *f, const char *buf, size_t len, uint64_t seq,
    const char *reason)
{
	struct bg_audit_verify_result res;

	resign_all(f, buf, len);
	assert_int_equal(verify(f->dir, &res), BG_ETAMPER);
	assert_true(res.bad);
	assert_int_equal(res.bad_seq, seq);
	if (strstr(res.reason, reason) == NULL)
		fail_msg("entry %llu: \"%s\", wanted \"%s\"",
		    (unsigned long long)seq, res.reason, reason);
}

static void
expect_edit_named(const struct fx *f, const char *orig, size_t len,
    uint64_t seq, const char *from, const char *to, const char *reason)
{
	size_t n;
	char *buf = edit_line(orig, len, seq, from, to, &n);

	expect_named(f, buf, n, seq, reason);
	free(buf);
}

#define BACK "\"back_ms\":2524607940000"
#define SKEW_DETAIL "{\"previous\":\"2100-01-01T00:00:00.000Z\"," \
    "\"now\":\"2020-01-01T00:01:00.000Z\"," BACK "}"

/*
 * An insider with the log's key rewrites times and re-signs: time going
 * back without a clock.skew entry, a clock.skew entry whose stated step
 * does not match the entries around it, one at seq 0, one malformed, one
 * spelled with an escape, a time that is no real instant. Each is named.
 */
static void
test_clock_forged_times(void **state)
{
	static const char *const bad_detail[] = {
		"{\"previous\":\"2100-01-01T00:00:00.000Z\","
		    "\"now\":\"2020-01-01T00:01:00.000Z\"}",
		"{\"previous\":\"2100-01-01T00:00:00.000Z\","
		    "\"now\":\"2020-01-01T00:01:00.000Z\","
		    "\"back_ms\":\"2524607940000\"}",
		"{\"previous\":\"2100-01-01T00:00:00.000Z\","
		    "\"now\":\"2020-01-01T00:01:00.000Z\","
		    "\"back_ms\":-2524607940000}",
		"{\"previous\":\"2100-01-01T00:00:00.000Z\","
		    "\"now\":\"2020-01-01T00:01:00.000Z\","
		    BACK ",\"by\":\"mallory\"}",
		"{\"previous\":\"2100-01-01T00:00:00.000Z\","
		    "\"previous\":\"2100-01-01T00:00:00.000Z\","
		    "\"now\":\"2020-01-01T00:01:00.000Z\"," BACK "}",
		"{\"previous\":\"2100-01-01T00:00:00Z\","
		    "\"now\":\"2020-01-01T00:01:00.000Z\"," BACK "}",
	};
	struct bg_audit_verify_result res;
	size_t len, n, i, starts[16] = { 0 };
	char *orig, *buf, *cut;
	struct fx f;

	(void)state;
	make_skewed_log(&f);
	orig = slurp(f.dir, F_ENTRIES, &len);
	assert_int_equal(line_starts(orig, len, starts, 16), 6);
	assert_non_null(strstr(orig, SKEW_DETAIL));
	/* control: re-signing the log as it is changes nothing */
	resign_all(&f, orig, len);
	assert_int_equal(verify(f.dir, &res), BG_OK);

	/* a time moved back a second, no clock.skew entry */
	expect_edit_named(&f, orig, len, 5, "00:01:01.000Z", "00:00:59.000Z",
	    "entry time goes backwards");
	/* the note after the 2100 entry moved back, the skew entry kept */
	expect_edit_named(&f, orig, len, 4, "00:01:00.000Z", "00:00:59.999Z",
	    "entry time goes backwards");
	/* the clock.skew entry removed (later seqs renumbered) */
	buf = malloc(len);
	assert_non_null(buf);
	memcpy(buf, orig, starts[3]);
	n = starts[3];
	memcpy(buf + n, orig + starts[4], len - starts[4]);
	n += len - starts[4];
	cut = edit_line(buf, n, 3, "\"seq\":4", "\"seq\":3", &n);
	free(buf);
	buf = edit_line(cut, n, 4, "\"seq\":5", "\"seq\":4", &n);
	expect_named(&f, buf, n, 3, "entry time goes backwards");
	free(cut);
	free(buf);

	/* the stated step does not match the times around it */
	expect_edit_named(&f, orig, len, 3, BACK, "\"back_ms\":2524607940001",
	    "clock.skew entry does not state");
	expect_edit_named(&f, orig, len, 3, SKEW_DETAIL,
	    "{\"previous\":\"2099-01-01T00:00:00.000Z\","
	    "\"now\":\"2020-01-01T00:01:00.000Z\","
	    "\"back_ms\":2493071940000}", "clock.skew entry does not state");
	expect_edit_named(&f, orig, len, 3, SKEW_DETAIL,
	    "{\"previous\":\"2100-01-01T00:00:00.000Z\","
	    "\"now\":\"2020-01-01T00:00:30.000Z\","
	    "\"back_ms\":2524607970000}", "clock.skew entry does not state");
	expect_edit_named(&f, orig, len, 3, "\"actor\":\"breakglass\"",
	    "\"actor\":\"mallory\"", "clock.skew entry does not state");
	for (i = 0; i < sizeof(bad_detail) / sizeof(bad_detail[0]); i++)
		expect_edit_named(&f, orig, len, 3, SKEW_DETAIL, bad_detail[i],
		    i == 4 ? "clock.skew entry is malformed" :
		    "clock.skew entry does not state");
	expect_edit_named(&f, orig, len, 3, SKEW_DETAIL, "[]",
	    "clock.skew entry is malformed");
	/* a clock.skew entry where time goes forward */
	cut = edit_line(orig, len, 5, "\"event\":\"operator.note\","
	    "\"actor\":\"alice\"", "\"event\":\"clock.skew\","
	    "\"actor\":\"breakglass\"", &n);
	buf = edit_line(cut, n, 5, "\"detail\":{}", "\"detail\":{"
	    "\"previous\":\"2020-01-01T00:01:00.000Z\","
	    "\"now\":\"2020-01-01T00:01:01.000Z\",\"back_ms\":1000}", &n);
	expect_named(&f, buf, n, 5, "clock.skew entry does not state");
	free(cut);
	free(buf);
	/* at seq 0: nothing before it */
	expect_edit_named(&f, orig, len, 0, "\"event\":\"audit.init\"",
	    "\"event\":\"clock.skew\"", "with no entry before it");
	/* clock.skew spelled with an escape, to slip past the check */
	expect_edit_named(&f, orig, len, 3, "\"event\":\"clock.skew\"",
	    "\"event\":\"clock\\u002eskew\"", "entry is malformed");
	/* a time that is no real instant */
	expect_edit_named(&f, orig, len, 1, "00:00:00.000Z", "00:00:60.000Z",
	    "not a real instant");
	expect_edit_named(&f, orig, len, 2, "2100-01-01", "2100-02-29",
	    "not a real instant");

	resign_all(&f, orig, len);
	assert_int_equal(verify(f.dir, &res), BG_OK);
	free(orig);
	cleanup(&f);
}

/* ------------------------------------------- readers' prefilter and seek */

/* bg_audit_line_event names the event of lines in the writer's shape only. */
static void
test_line_event(void **state)
{
	static const char good[] = "{\"seq\":12,\"time\":\"2026-12-06T10:00:00"
	    ".123Z\",\"event\":\"approval.burn\",\"actor\":\"alice\","
	    "\"account\":\"\",\"request\":\"\",\"detail\":{}}";
	static const char *const bad[] = {
		"",
		"{\"seq\":12}",
		/* the time one byte short: the event is not where it must be */
		"{\"seq\":12,\"time\":\"2026-12-06T10:00:00.12Z\",\"event\":"
		    "\"x.y\",\"actor\":\"a\"}",
		/* a quote or an upper-case letter in the name */
		"{\"seq\":12,\"time\":\"2026-12-06T10:00:00.123Z\",\"event\":"
		    "\"x\\\"y\",\"actor\":\"a\"}",
		"{\"seq\":12,\"time\":\"2026-12-06T10:00:00.123Z\",\"event\":"
		    "\"X.y\",\"actor\":\"a\"}",
		/* an empty name; members in another order */
		"{\"seq\":12,\"time\":\"2026-12-06T10:00:00.123Z\",\"event\":"
		    "\"\",\"actor\":\"a\"}",
		"{\"time\":\"2026-12-06T10:00:00.123Z\",\"seq\":12,\"event\":"
		    "\"x.y\",\"actor\":\"a\"}",
		NULL,
	};
	const char *name;
	size_t n, i, cut;

	(void)state;
	name = bg_audit_line_event(good, strlen(good), &n);
	assert_non_null(name);
	assert_int_equal(n, strlen("approval.burn"));
	assert_memory_equal(name, "approval.burn", n);
	for (i = 0; bad[i] != NULL; i++)
		assert_null(bg_audit_line_event(bad[i], strlen(bad[i]), &n));
	/* every cut of the good line before the actor: not named, no read
	 * past the length given */
	for (cut = 0; cut < (size_t)(strstr(good, "\"actor\"") - good) + 8;
	    cut++) {
		char *c = malloc(cut + 1);

		assert_non_null(c);
		memcpy(c, good, cut);
		c[cut] = '\0';
		assert_null(bg_audit_line_event(c, cut, &n));
		free(c);
	}
}

/* bg_audit_seek_time: the first entry at or after a time, by bisection. */
static void
test_seek_time(void **state)
{
	bg_audit_t *log = NULL;
	struct fx f;
	uint64_t seq;
	unsigned i;

	(void)state;
	make_log(&f, 1);
	for (i = 0; i < 20; i++)		/* entries 1..20 a minute apart */
		note_at(&f, T2100 + 60LL * i, i + 1);
	clock_real();
	assert_int_equal(bg_audit_open(f.dir, BG_AUDIT_READ, &log), BG_OK);
	/* audit.init (entry 0) is at the real time, before 2100 */
	assert_int_equal(bg_audit_seek_time(log, "2100-01-01T00:05", &seq),
	    BG_OK);
	assert_int_equal(seq, 6);
	assert_int_equal(bg_audit_seek_time(log, "2100-01-01T00:05:00.001Z",
	    &seq), BG_OK);
	assert_int_equal(seq, 7);
	assert_int_equal(bg_audit_seek_time(log, "2099", &seq), BG_OK);
	assert_int_equal(seq, 1);
	assert_int_equal(bg_audit_seek_time(log, "2000", &seq), BG_OK);
	assert_int_equal(seq, 0);
	assert_int_equal(bg_audit_seek_time(log, "2101", &seq), BG_OK);
	assert_int_equal(seq, 21);		/* all before: the size */
	assert_int_equal(bg_audit_seek_time(log, NULL, &seq), BG_EINVAL);
	bg_audit_close(&log);
	cleanup(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_foreach_values),
		cmocka_unit_test(test_flip_every_entry_byte),
		cmocka_unit_test(test_flip_checkpoint_bytes),
		cmocka_unit_test(test_delete_duplicate_reorder_truncate),
		cmocka_unit_test(test_checkpoint_rolled_back),
		cmocka_unit_test(test_unacked_tail_is_a_note),
		cmocka_unit_test(test_checkpoint_forged),
		cmocka_unit_test(test_checkpoint_other_log),
		cmocka_unit_test(test_rewritten_history_stolen_key),
		cmocka_unit_test(test_torn_tail_recovered),
		cmocka_unit_test(test_derived_rebuilt),
		cmocka_unit_test(test_corrupt_tree),
		cmocka_unit_test(test_corrupt_index),
		cmocka_unit_test(test_proofs),
		cmocka_unit_test(test_bad_events),
		cmocka_unit_test(test_unclean_text),
		cmocka_unit_test(test_init_and_lock),
		cmocka_unit_test(test_entry_parse),
		cmocka_unit_test(test_damaged_slot_hides_removal),
		cmocka_unit_test(test_torn_slot_with_tail_recovers),
		cmocka_unit_test(test_clock_far_ahead_once),
		cmocka_unit_test(test_clock_small_steps),
		cmocka_unit_test(test_clock_forged_times),
		cmocka_unit_test(test_line_event),
		cmocka_unit_test(test_seek_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
