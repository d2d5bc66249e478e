/*
 * The audit log under failing I/O: write, pwrite, fdatasync, fsync and
 * ftruncate fail (ENOSPC, EIO) or transfer short at chosen points of an
 * append, a batch, recovery and init. Linked with -Wl,--wrap (as libfido2's
 * regress/ does): the production code in libbg_audit.a and libbg_common.a
 * calls __wrap_X, which calls the real X unless a fault is armed. Every
 * test asserts that its fault actually fired, or it would prove nothing.
 *
 * What must hold after any failed append (audit.h): nothing acknowledged,
 * the log still verifies, acknowledged entries intact; after a failed sync
 * the handle refuses appends and a reopen recovers.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/common.h"
#include "audit/audit.h"

/* ------------------------------------------------------- fault controller */

enum op { OP_WRITE, OP_PWRITE, OP_FDATASYNC, OP_FSYNC, OP_FTRUNCATE, OP_ANY };

static const char *const op_name[] = {
	"write", "pwrite", "fdatasync", "fsync", "ftruncate", "any"
};

struct rule {
	enum op op;
	const char *suffix;	/* only fds whose path ends so; NULL: any fd */
	unsigned nth;		/* fires on the nth matching call from arming */
	int err;		/* errno to fail with; 0: transfer half, succeed */
	int lose_slots;		/* also put checkpoint.slots back as it was */
	unsigned seen;
	unsigned fired;
	enum op fired_op;	/* what it hit, for reports */
	char fired_path[256];
};

#define RULES_MAX 4
#define SLOTS_BYTES 8192	/* two 4 KiB checkpoint slots */

static struct rule rules[RULES_MAX];
static size_t nrules;
static unsigned calls_total;	/* every wrapped call since fault_reset */
static uint8_t slots_snapshot[SLOTS_BYTES];

static void
fault_reset(void)
{
	memset(rules, 0, sizeof(rules));
	nrules = 0;
	calls_total = 0;
}

static struct rule *
fault_arm(enum op op, const char *suffix, unsigned nth, int err)
{
	struct rule *r;

	assert_true(nrules < RULES_MAX);
	r = &rules[nrules++];
	memset(r, 0, sizeof(*r));
	r->op = op;
	r->suffix = suffix;
	r->nth = nth;
	r->err = err;
	return r;
}

static void
fd_path(int fd, char *out, size_t outsz)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, outsz - 1);
	out[n < 0 ? 0 : (size_t)n] = '\0';
}

/* Copies src into dst, cut to fit. */
static void
copy_str(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k;

	if (suffix == NULL)
		return 1;
	k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The rule that fires for this call, if any; counts every call. */
static struct rule *
fault_match(enum op op, int fd)
{
	struct rule *hit = NULL;
	char path[512];
	size_t i;

	calls_total++;
	if (nrules == 0)
		return NULL;
	fd_path(fd, path, sizeof(path));
	for (i = 0; i < nrules; i++) {
		struct rule *r = &rules[i];

		if (r->fired || (r->op != op && r->op != OP_ANY) ||
		    !ends_with(path, r->suffix))
			continue;
		if (++r->seen == r->nth && hit == NULL)
			hit = r;
	}
	if (hit != NULL) {
		hit->fired++;
		hit->fired_op = op;
		copy_str(hit->fired_path, sizeof(hit->fired_path), path);
	}
	return hit;
}

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
ssize_t __real_pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off);
int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);
int __real_fsync(int fd);
int __wrap_fsync(int fd);
int __real_ftruncate(int fd, off_t len);
int __wrap_ftruncate(int fd, off_t len);

ssize_t
__wrap_write(int fd, const void *buf, size_t n)
{
	struct rule *r = fault_match(OP_WRITE, fd);

	if (r == NULL)
		return __real_write(fd, buf, n);
	if (r->err == 0)
		return __real_write(fd, buf, n > 1 ? n / 2 : n);
	errno = r->err;
	return -1;
}

ssize_t
__wrap_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	struct rule *r = fault_match(OP_PWRITE, fd);

	if (r == NULL)
		return __real_pwrite(fd, buf, n, off);
	if (r->err == 0)
		return __real_pwrite(fd, buf, n > 1 ? n / 2 : n, off);
	errno = r->err;
	return -1;
}

static int
sync_fault(struct rule *r, int fd)
{
	/* The slot write never reached the disk (page dropped after the
	 * failed writeback): what a later reader sees is the old slots. */
	if (r->lose_slots &&
	    __real_pwrite(fd, slots_snapshot, SLOTS_BYTES, 0) != SLOTS_BYTES)
		abort();
	errno = r->err;
	return -1;
}

int
__wrap_fdatasync(int fd)
{
	struct rule *r = fault_match(OP_FDATASYNC, fd);

	return r == NULL || r->err == 0 ? __real_fdatasync(fd) :
	    sync_fault(r, fd);
}

int
__wrap_fsync(int fd)
{
	struct rule *r = fault_match(OP_FSYNC, fd);

	return r == NULL || r->err == 0 ? __real_fsync(fd) : sync_fault(r, fd);
}

int
__wrap_ftruncate(int fd, off_t len)
{
	struct rule *r = fault_match(OP_FTRUNCATE, fd);

	if (r == NULL || r->err == 0)
		return __real_ftruncate(fd, len);
	errno = r->err;
	return -1;
}

/* Every armed rule fired exactly once. */
static void
assert_fired(void)
{
	size_t i;

	assert_true(nrules > 0);
	for (i = 0; i < nrules; i++) {
		if (rules[i].fired != 1)
			print_error("fault %zu (%s #%u on %s) fired %u times\n",
			    i, op_name[rules[i].op], rules[i].nth,
			    rules[i].suffix ? rules[i].suffix : "any fd",
			    rules[i].fired);
		assert_int_equal(rules[i].fired, 1);
	}
}

#define S_ENTRIES "/entries.jsonl"
#define S_SLOTS "/checkpoint.slots"
#define S_TREE "/tree"
#define S_INDEX "/index"

/* ------------------------------------------------------------- entries */

/* What the test appends as entry seq: derived from seq alone. */
static cJSON *
detail_for(uint64_t seq)
{
	char pad[1024];
	size_t i, n = (size_t)(seq * 131 % 900) + 10;
	cJSON *d;

	for (i = 0; i < n; i++)
		pad[i] = (char)('a' + (seq + i) % 26);
	pad[n] = '\0';
	if ((d = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(d, "n", (double)seq) == NULL ||
	    cJSON_AddStringToObject(d, "pad", pad) == NULL) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

/* Appends k test entries as one batch (k > 1) or one append. */
static int
append_k(bg_audit_t *log, size_t k, uint64_t *first)
{
	struct bg_audit_event *ev;
	uint64_t base = bg_audit_size(log);
	size_t i;
	int r;

	assert_non_null(ev = calloc(k, sizeof(*ev)));
	for (i = 0; i < k; i++) {
		ev[i].event = "test.fault";
		ev[i].actor = "tester";
		ev[i].account = "123456789012";
		ev[i].request = "";
		assert_non_null(ev[i].detail = detail_for(base + i));
	}
	r = k == 1 ? bg_audit_append(log, ev, first) :
	    bg_audit_append_batch(log, ev, k, first);
	for (i = 0; i < k; i++)
		cJSON_Delete((cJSON *)ev[i].detail);
	free(ev);
	return r;
}

static void
append_ok(bg_audit_t *log, size_t k)
{
	uint64_t before = bg_audit_size(log), first = UINT64_MAX;

	assert_int_equal(append_k(log, k, &first), BG_OK);
	assert_int_equal(first, before);
	assert_int_equal(bg_audit_size(log), before + k);
}

struct walk {
	uint64_t next;		/* seq expected next */
	uint64_t tests, recovered;
	char rec_file[8][128];	/* "file" of audit.recovered entries */
};

/* Every entry is audit.init, audit.recovered, or exactly our test entry. */
static int
walk_fn(void *ctx, uint64_t seq, const char *line, size_t len)
{
	struct walk *w = ctx;
	struct bg_audit_entry e;
	const cJSON *file;
	cJSON *want;

	assert_int_equal(seq, w->next);
	assert_int_equal(bg_audit_entry_parse(line, len, &e), BG_OK);
	assert_int_equal(e.seq, seq);
	if (seq == 0) {
		assert_string_equal(e.event, "audit.init");
	} else if (strcmp(e.event, "audit.recovered") == 0) {
		file = cJSON_GetObjectItemCaseSensitive(e.detail, "file");
		assert_true(cJSON_IsString(file));
		if (w->recovered < 8)
			snprintf(w->rec_file[w->recovered], 128, "%s",
			    file->valuestring);
		w->recovered++;
	} else {
		assert_string_equal(e.event, "test.fault");
		assert_string_equal(e.actor, "tester");
		assert_string_equal(e.account, "123456789012");
		assert_string_equal(e.request, "");
		assert_non_null(want = detail_for(seq));
		assert_true(cJSON_Compare(want, e.detail, 1));
		cJSON_Delete(want);
		w->tests++;
	}
	bg_audit_entry_free(&e);
	w->next++;
	return 0;
}

static void
walk_log(bg_audit_t *log, struct walk *w)
{
	memset(w, 0, sizeof(*w));
	assert_int_equal(bg_audit_foreach(log, 0, UINT64_MAX, walk_fn, w),
	    BG_OK);
	assert_int_equal(w->next, bg_audit_size(log));
}

/* Opens read-only, checks every entry, returns the size. */
static uint64_t
walk_dir(const char *dir, struct walk *w)
{
	bg_audit_t *log = NULL;
	uint64_t n;
	int r;

	if ((r = bg_audit_open(dir, BG_AUDIT_READ, &log)) != BG_OK)
		print_error("open read-only: %s (%s)\n", bg_strerror(r),
		    bg_audit_why());
	assert_int_equal(r, BG_OK);
	walk_log(log, w);
	n = bg_audit_size(log);
	bg_audit_close(&log);
	return n;
}

static void
verify_ok(const char *dir, uint64_t n)
{
	struct bg_audit_verify_result res;
	int r;

	r = bg_audit_verify(dir, NULL, &res);
	if (r != BG_OK)
		print_error("verify: %s: %s\n", bg_strerror(r), res.reason);
	assert_int_equal(r, BG_OK);
	assert_int_equal(res.entries, n);
}

/* ------------------------------------------------------------- fixture */

struct fx {
	char root[64];
	char dir[128];
	bg_audit_t *log;
	uint64_t n;		/* size before the fault */
	char *entries;		/* entries.jsonl before the fault */
	size_t entries_len;
};

static char *
slurp(const char *dir, const char *name, size_t *len)
{
	char p[BG_PATH_MAX], *buf = NULL;

	assert_int_equal(bg_path_join(p, sizeof(p), dir, name), BG_OK);
	assert_int_equal(bg_file_read(p, 64u << 20, &buf, len), BG_OK);
	return buf;
}

static void
rm_tree(const char *root)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static void
new_root(struct fx *f)
{
	snprintf(f->root, sizeof(f->root), "/tmp/bg-faults-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->dir, sizeof(f->dir), "%s/audit", f->root);
}

/* A log with audit.init and three test entries, open for writing. */
static int
setup(void **state)
{
	struct fx *f;

	fault_reset();
	assert_non_null(f = calloc(1, sizeof(*f)));
	new_root(f);
	assert_int_equal(bg_audit_init(f->dir, "test.example/faults"), BG_OK);
	assert_int_equal(bg_audit_open(f->dir, BG_AUDIT_WRITE, &f->log), BG_OK);
	append_ok(f->log, 1);
	append_ok(f->log, 2);
	assert_int_equal(bg_audit_size(f->log), 4);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	fault_reset();
	bg_audit_close(&f->log);
	rm_tree(f->root);
	free(f->entries);
	free(f);
	return 0;
}

/* Remembers size and entries.jsonl just before a fault. */
static void
snapshot(struct fx *f)
{
	free(f->entries);
	f->n = bg_audit_size(f->log);
	f->entries = slurp(f->dir, "entries.jsonl", &f->entries_len);
}

/* entries.jsonl is byte for byte what it was at snapshot(). */
static void
assert_entries_unchanged(const struct fx *f)
{
	size_t len;
	char *now = slurp(f->dir, "entries.jsonl", &len);

	assert_int_equal(len, f->entries_len);
	assert_memory_equal(now, f->entries, len);
	free(now);
}

/*
 * A failed append: a specific code, the fault hit, nothing acknowledged,
 * entries.jsonl as it was, and a reader sees the same entries. (Verify
 * takes a shared lock that the open writer excludes: see verify_reopen.)
 */
static void
assert_clean_failure(struct fx *f, int r, int want)
{
	struct walk w;

	if (r != want)
		print_error("append gave %s (%d), want %s; why: %s\n",
		    bg_strerror(r), r, bg_strerror(want), bg_audit_why());
	assert_int_equal(r, want);
	assert_int_not_equal(r, BG_EINTERNAL);
	assert_fired();
	assert_int_equal(bg_audit_size(f->log), f->n);
	assert_entries_unchanged(f);
	assert_int_equal(walk_dir(f->dir, &w), f->n);
	assert_int_equal(w.recovered, 0);
}

/*
 * Closes the writer, verifies n entries, reopens for writing: recovery
 * finds nothing to do.
 */
static void
verify_reopen(struct fx *f, uint64_t n)
{
	struct walk w;

	bg_audit_close(&f->log);
	verify_ok(f->dir, n);
	assert_int_equal(bg_audit_open(f->dir, BG_AUDIT_WRITE, &f->log), BG_OK);
	/* the same size: recovery had nothing to quarantine or record */
	assert_int_equal(bg_audit_size(f->log), n);
	walk_log(f->log, &w);
	assert_int_equal(w.tests + w.recovered, n - 1);
}

typedef void (*arm_fn)(void);

/*
 * The fault, twice. After the first failure the log is closed, verified
 * (same entries as before) and reopened; after the second the same handle
 * goes on appending, the same k entries included.
 */
static void
clean_failure_twice(struct fx *f, arm_fn arm, size_t k, int want)
{
	int round;

	for (round = 0; round < 2; round++) {
		snapshot(f);
		fault_reset();
		arm();
		assert_clean_failure(f, append_k(f->log, k, NULL), want);
		fault_reset();
		if (round == 0)
			verify_reopen(f, f->n);
	}
	append_ok(f->log, 1);
	append_ok(f->log, 3);
	append_ok(f->log, k);
	verify_reopen(f, f->n + 4 + k);
}

/* ------------------------------------------------------ entries file */

static void
arm_write_enospc(void)
{
	fault_arm(OP_WRITE, S_ENTRIES, 1, ENOSPC);
}

/* Half the lines land, then the disk is full. */
static void
arm_short_then_enospc(void)
{
	fault_arm(OP_WRITE, S_ENTRIES, 1, 0);
	fault_arm(OP_WRITE, S_ENTRIES, 2, ENOSPC);
}

static void
arm_fdatasync_entries(void)
{
	fault_arm(OP_FDATASYNC, S_ENTRIES, 1, EIO);
}

static void
arm_slot_pwrite_eio(void)
{
	fault_arm(OP_PWRITE, S_SLOTS, 1, EIO);
}

static void
arm_tree_eio(void)
{
	fault_arm(OP_PWRITE, S_TREE, 1, EIO);
}

static void
arm_tree_short(void)
{
	fault_arm(OP_PWRITE, S_TREE, 1, 0);
}

static void
arm_index_enospc(void)
{
	fault_arm(OP_PWRITE, S_INDEX, 1, ENOSPC);
}

static void
test_enospc_entries_write(void **state)
{
	clean_failure_twice(*state, arm_write_enospc, 1, BG_ENOSPC);
}

/* The half line written is cut back. */
static void
test_short_then_enospc(void **state)
{
	clean_failure_twice(*state, arm_short_then_enospc, 1, BG_ENOSPC);
}

/* A short write is not an error: the rest is written by the next call. */
static void
test_short_then_success(void **state)
{
	struct fx *f = *state;
	struct walk w;
	size_t len;
	char *now;

	snapshot(f);
	fault_arm(OP_WRITE, S_ENTRIES, 1, 0);
	append_ok(f->log, 1);
	assert_fired();
	now = slurp(f->dir, "entries.jsonl", &len);
	assert_true(len > f->entries_len);
	assert_memory_equal(now, f->entries, f->entries_len);
	/* exactly one new line, whole */
	assert_true(memchr(now + f->entries_len, '\n', len - f->entries_len) ==
	    now + len - 1);
	free(now);
	assert_int_equal(walk_dir(f->dir, &w), f->n + 1);
	assert_int_equal(w.tests, f->n);
	fault_reset();
	verify_reopen(f, f->n + 1);
}

/*
 * The entries could not be made durable. Nothing was acknowledged; audit.h
 * allows the handle to refuse further appends after an I/O error in sync.
 */
static void
test_eio_fdatasync_entries(void **state)
{
	struct fx *f = *state;
	int r;

	snapshot(f);
	arm_fdatasync_entries();
	assert_clean_failure(f, append_k(f->log, 1, NULL), BG_EIO);
	fault_reset();
	r = append_k(f->log, 1, NULL);
	assert_true(r == BG_OK || r == BG_EIO);
	verify_reopen(f, f->n + (r == BG_OK));
	append_ok(f->log, 1);
	verify_reopen(f, f->n + (r == BG_OK) + 1);
}

/* The roll-back itself fails: the handle is poisoned, reopen recovers. */
static void
test_rollback_ftruncate_fails(void **state)
{
	struct fx *f = *state;
	struct walk w;
	size_t len;
	char *now;

	snapshot(f);
	arm_short_then_enospc();
	fault_arm(OP_FTRUNCATE, S_ENTRIES, 1, EIO);
	assert_int_equal(append_k(f->log, 1, NULL), BG_ENOSPC);
	assert_fired();
	fault_reset();
	assert_int_equal(append_k(f->log, 1, NULL), BG_EIO);
	assert_int_equal(bg_audit_size(f->log), f->n);
	/* the torn half line is still there; verify warns but passes */
	now = slurp(f->dir, "entries.jsonl", &len);
	assert_true(len > f->entries_len);
	assert_memory_equal(now, f->entries, f->entries_len);
	free(now);
	bg_audit_close(&f->log);
	verify_ok(f->dir, f->n);
	assert_int_equal(bg_audit_open(f->dir, BG_AUDIT_WRITE, &f->log), BG_OK);
	assert_int_equal(bg_audit_size(f->log), f->n + 1);
	walk_log(f->log, &w);
	assert_int_equal(w.recovered, 1);
	bg_audit_close(&f->log);
	verify_ok(f->dir, f->n + 1);
}

/* ---------------------------------------------------- checkpoint slots */

static void
test_eio_pwrite_slot(void **state)
{
	clean_failure_twice(*state, arm_slot_pwrite_eio, 1, BG_EIO);
}

/*
 * Half the slot lands: that is its header and the whole signed note, so
 * the slot holds a valid, newer checkpoint although the append failed and
 * the entries were cut back. The log must still verify.
 */
static void
test_short_pwrite_slot(void **state)
{
	struct fx *f = *state;
	uint64_t n;

	/*
	 * Half the slot lands: it already holds the header and the whole
	 * signed note, so it may be valid. The entries must then stay (they
	 * match it): the handle refuses further appends, and after reopening
	 * the log has the old count or one more, and verifies.
	 */
	snapshot(f);
	fault_arm(OP_PWRITE, S_SLOTS, 1, 0);
	assert_int_equal(append_k(f->log, 1, NULL), BG_EIO);
	assert_fired();
	assert_int_equal(bg_audit_size(f->log), f->n);
	assert_int_not_equal(bg_audit_why()[0], '\0');
	fault_reset();
	assert_int_equal(append_k(f->log, 1, NULL), BG_EIO);	/* poisoned */
	bg_audit_close(&f->log);
	assert_int_equal(bg_audit_open(f->dir, BG_AUDIT_WRITE, &f->log), BG_OK);
	n = bg_audit_size(f->log);
	assert_true(n == f->n || n == f->n + 1);
	bg_audit_close(&f->log);
	verify_ok(f->dir, n);
	assert_int_equal(bg_audit_open(f->dir, BG_AUDIT_WRITE, &f->log), BG_OK);
	assert_int_equal(append_k(f->log, 1, NULL), BG_OK);
}

/* Count after a failed slot sync: old or old + k, never in between. */
static void
slot_sync_failure(struct fx *f, size_t k, int lose)
{
	struct walk w;
	uint64_t n;
	struct rule *r;
	size_t len;
	char *buf;

	snapshot(f);
	if (lose) {
		buf = slurp(f->dir, "checkpoint.slots", &len);
		assert_int_equal(len, SLOTS_BYTES);
		memcpy(slots_snapshot, buf, SLOTS_BYTES);
		free(buf);
	}
	r = fault_arm(OP_FDATASYNC, S_SLOTS, 1, EIO);
	r->lose_slots = lose;
	assert_int_equal(append_k(f->log, k, NULL), BG_EIO);
	assert_fired();
	assert_int_not_equal(bg_audit_why()[0], '\0');
	fault_reset();
	/* the handle refuses until reopened */
	assert_int_equal(append_k(f->log, 1, NULL), BG_EIO);
	assert_int_equal(append_k(f->log, 3, NULL), BG_EIO);
	bg_audit_close(&f->log);
	assert_int_equal(bg_audit_open(f->dir, BG_AUDIT_WRITE, &f->log), BG_OK);
	n = bg_audit_size(f->log);
	walk_log(f->log, &w);
	if (lose) {
		/* the entries were quarantined, and that is recorded */
		assert_int_equal(n, f->n + 1);
		assert_int_equal(w.recovered, 1);
		assert_int_equal(w.tests, f->n - 1);
	} else {
		assert_true(n == f->n || n == f->n + k);
		assert_int_equal(w.recovered, 0);
		assert_int_equal(w.tests, n - 1);
	}
	bg_audit_close(&f->log);
	verify_ok(f->dir, n);
	/* the older entries are byte for byte intact */
	buf = slurp(f->dir, "entries.jsonl", &len);
	assert_true(len >= f->entries_len);
	assert_memory_equal(buf, f->entries, f->entries_len);
	free(buf);
	assert_int_equal(bg_audit_open(f->dir, BG_AUDIT_WRITE, &f->log), BG_OK);
	append_ok(f->log, 2);
	bg_audit_close(&f->log);
	verify_ok(f->dir, n + 2);
}

static void
test_eio_fdatasync_slot(void **state)
{
	slot_sync_failure(*state, 1, 0);
}

static void
test_eio_fdatasync_slot_lost(void **state)
{
	slot_sync_failure(*state, 1, 1);
}

/* ---------------------------------------------------------- derived files */

static void
test_tree_pwrite_eio(void **state)
{
	clean_failure_twice(*state, arm_tree_eio, 1, BG_EIO);
}

static void
test_tree_pwrite_short(void **state)
{
	clean_failure_twice(*state, arm_tree_short, 1, BG_EIO);
}

static void
test_index_pwrite_enospc(void **state)
{
	clean_failure_twice(*state, arm_index_enospc, 1, BG_ENOSPC);
}

/* ---------------------------------------------------------------- batch */

#define BATCH 100

/* All or nothing: none of the 100 after the failure, all 100 later. */
static void
test_batch_write_enospc(void **state)
{
	clean_failure_twice(*state, arm_write_enospc, BATCH, BG_ENOSPC);
}

static void
test_batch_short_then_enospc(void **state)
{
	clean_failure_twice(*state, arm_short_then_enospc, BATCH, BG_ENOSPC);
}

static void
test_batch_fdatasync_entries(void **state)
{
	struct fx *f = *state;

	snapshot(f);
	arm_fdatasync_entries();
	assert_clean_failure(f, append_k(f->log, BATCH, NULL), BG_EIO);
	fault_reset();
	verify_reopen(f, f->n);
	append_ok(f->log, BATCH);
	verify_reopen(f, f->n + BATCH);
}

static void
test_batch_tree_pwrite(void **state)
{
	clean_failure_twice(*state, arm_tree_eio, BATCH, BG_EIO);
}

static void
test_batch_index_pwrite(void **state)
{
	clean_failure_twice(*state, arm_index_enospc, BATCH, BG_ENOSPC);
}

static void
test_batch_slot_pwrite(void **state)
{
	clean_failure_twice(*state, arm_slot_pwrite_eio, BATCH, BG_EIO);
}

static void
test_batch_slot_fdatasync(void **state)
{
	slot_sync_failure(*state, BATCH, 0);
}

static void
test_batch_slot_fdatasync_lost(void **state)
{
	slot_sync_failure(*state, BATCH, 1);
}

/*
 * bg_audit_why() speaks of the last failing call (audit.h): after a failure
 * that gives no detail it must not repeat an earlier call's sentence.
 */
static void
test_why_not_stale(void **state)
{
	struct fx *f = *state;
	char stale[256], why[256];

	fault_arm(OP_FDATASYNC, S_SLOTS, 1, EIO);
	assert_int_equal(append_k(f->log, 1, NULL), BG_EIO);
	assert_fired();
	copy_str(stale, sizeof(stale), bg_audit_why());
	assert_int_not_equal(stale[0], '\0');
	fault_reset();
	bg_audit_close(&f->log);
	assert_int_equal(bg_audit_open(f->dir, BG_AUDIT_WRITE, &f->log), BG_OK);
	snapshot(f);
	fault_arm(OP_WRITE, S_ENTRIES, 1, ENOSPC);
	assert_int_equal(append_k(f->log, 1, NULL), BG_ENOSPC);
	assert_fired();
	copy_str(why, sizeof(why), bg_audit_why());
	if (strcmp(why, stale) == 0)
		print_error("after a full disk, bg_audit_why() still says: "
		    "%s\n", why);
	assert_string_not_equal(why, stale);
}

/* ------------------------------------------------------------- recovery */

/* Closes the log and leaves an unacknowledged, torn tail after it. */
static void
make_tail(struct fx *f)
{
	static const char tail[] = "{\"seq\":4,\"time\":\"2030-01-01T00:00:00"
	    ".000Z\",\"event\":\"torn";
	char p[BG_PATH_MAX];
	int fd;

	bg_audit_close(&f->log);
	assert_int_equal(bg_path_join(p, sizeof(p), f->dir, "entries.jsonl"),
	    BG_OK);
	assert_true((fd = open(p, O_WRONLY | O_APPEND)) >= 0);
	assert_int_equal(write(fd, tail, sizeof(tail) - 1), sizeof(tail) - 1);
	assert_int_equal(close(fd), 0);
}

/* Files in recovered/ (0 when it does not exist). */
static size_t
recovered_files(const struct fx *f, char names[][128], size_t max)
{
	char p[BG_PATH_MAX];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	assert_int_equal(bg_path_join(p, sizeof(p), f->dir, "recovered"),
	    BG_OK);
	if ((d = opendir(p)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n < max) {
			memcpy(names[n], "recovered/", 10);
			copy_str(names[n] + 10, 128 - 10, de->d_name);
		}
		n++;
	}
	closedir(d);
	return n;
}

/* Every quarantined file is named by an audit.recovered entry. */
static void
assert_quarantine_recorded(struct fx *f)
{
	char names[8][128];
	struct walk w;
	size_t n, i, k;
	int found;

	n = recovered_files(f, names, 8);
	walk_log(f->log, &w);
	for (i = 0; i < n && i < 8; i++) {
		found = 0;
		for (k = 0; k < w.recovered && k < 8; k++)
			found |= strcmp(w.rec_file[k], names[i]) == 0;
		if (!found)
			print_error("%s holds quarantined bytes but no "
			    "audit.recovered entry names it (%" PRIu64
			    " audit.recovered entries)\n", names[i],
			    w.recovered);
		assert_true(found);
	}
}

/*
 * The audit.recovered entry cannot be written (disk full): open fails. The
 * tail is already in recovered/; the next open must still record it.
 */
static void
test_recovery_record_fails(void **state)
{
	struct fx *f = *state;
	char names[8][128];
	int r;

	snapshot(f);
	make_tail(f);
	fault_arm(OP_WRITE, S_ENTRIES, 1, ENOSPC);
	r = bg_audit_open(f->dir, BG_AUDIT_WRITE, &f->log);
	assert_fired();
	assert_int_equal(r, BG_ENOSPC);
	assert_null(f->log);
	fault_reset();
	assert_int_equal(recovered_files(f, names, 8), 1);
	verify_ok(f->dir, f->n);
	assert_int_equal(bg_audit_open(f->dir, BG_AUDIT_WRITE, &f->log), BG_OK);
	assert_quarantine_recorded(f);
	verify_reopen(f, bg_audit_size(f->log));
}

/*
 * Waits for the next second of time() (the clock recovery names its files
 * by) to start, so what follows shares one second.
 */
static void
second_boundary(void)
{
	struct timespec step = { 0, 1000000 };
	time_t now = time(NULL);

	while (time(NULL) == now)
		nanosleep(&step, NULL);
}

/*
 * Cutting the tail fails after it was copied to recovered/: open fails
 * with an I/O error. A retry at once must recover, not trip over the copy.
 */
static void
test_recovery_retry(void **state)
{
	struct fx *f = *state;
	struct walk w;
	time_t t0;
	int r;

	snapshot(f);
	make_tail(f);
	second_boundary();
	t0 = time(NULL);
	fault_arm(OP_FTRUNCATE, S_ENTRIES, 1, EIO);
	r = bg_audit_open(f->dir, BG_AUDIT_WRITE, &f->log);
	assert_fired();
	assert_int_equal(r, BG_EIO);
	fault_reset();
	verify_ok(f->dir, f->n);	/* warns about the tail, passes */
	r = bg_audit_open(f->dir, BG_AUDIT_WRITE, &f->log);
	if (r != BG_OK)
		print_error("retry of open %s: %s (%s)\n", time(NULL) == t0 ?
		    "in the same second" : "a second later", bg_strerror(r),
		    bg_audit_why());
	assert_int_equal(r, BG_OK);
	assert_int_equal(bg_audit_size(f->log), f->n + 1);
	walk_log(f->log, &w);
	assert_int_equal(w.recovered, 1);
	verify_reopen(f, f->n + 1);
}

/* ----------------------------------------------------------------- init */

struct init_case {
	unsigned k;
	int fired;
	enum op op;
	char path[64];
	int init_r, ro_r, rw_r, verify_r, retry_r;
	uint64_t ro_size;
	int has_init;
};

static const char *
base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s != NULL ? s + 1 : p;
}

/* Opens read-only: size and whether entry 0 is audit.init. */
static int
probe(const char *dir, uint64_t *size, int *has_init)
{
	bg_audit_t *log = NULL;
	struct walk w;
	int r;

	*size = 0;
	*has_init = 0;
	if ((r = bg_audit_open(dir, BG_AUDIT_READ, &log)) != BG_OK)
		return r;
	*size = bg_audit_size(log);
	if (*size > 0) {
		walk_log(log, &w);
		*has_init = 1;	/* walk_fn asserts entry 0 is audit.init */
	}
	bg_audit_close(&log);
	return BG_OK;
}

static void
init_case(const char *root, struct init_case *c)
{
	struct bg_audit_verify_result res;
	char dir[128];
	bg_audit_t *log = NULL;
	struct rule *r;

	snprintf(dir, sizeof(dir), "%s/a%u", root, c->k);
	fault_reset();
	r = fault_arm(OP_ANY, NULL, c->k, ENOSPC);
	c->init_r = bg_audit_init(dir, "test.example/init");
	c->fired = (int)r->fired;
	c->op = r->fired_op;
	copy_str(c->path, sizeof(c->path), base_name(r->fired_path));
	fault_reset();
	c->ro_r = probe(dir, &c->ro_size, &c->has_init);
	c->rw_r = bg_audit_open(dir, BG_AUDIT_WRITE, &log);
	bg_audit_close(&log);
	c->verify_r = bg_audit_verify(dir, NULL, &res);
	c->retry_r = bg_audit_init(dir, "test.example/init");
}

/*
 * ENOSPC at each I/O call of bg_audit_init in turn. A failed init must say
 * so specifically and must not leave a log that opens as valid without its
 * audit.init entry. Whether a retry works is reported.
 */
static void
test_init_enospc(void **state)
{
	struct init_case c;
	char root[64], dir[128];
	unsigned total, k, half = 0, blocked = 0, bad_code = 0;

	(void)state;
	snprintf(root, sizeof(root), "/tmp/bg-faults-init-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/trace", root);
	fault_reset();
	assert_int_equal(bg_audit_init(dir, "test.example/init"), BG_OK);
	total = calls_total;
	assert_true(total > 10);
	print_message("bg_audit_init makes %u wrapped I/O calls\n", total);
	print_message("  k op        file              init      open-ro   "
	    "open-rw   verify    retry\n");
	for (k = 1; k <= total; k++) {
		memset(&c, 0, sizeof(c));
		c.k = k;
		init_case(root, &c);
		assert_int_equal(c.fired, 1);
		print_message("%3u %-9s %-17.17s %-9d %-9d %-9d %-9d %-9d%s\n",
		    k, op_name[c.op], c.path, c.init_r, c.ro_r, c.rw_r,
		    c.verify_r, c.retry_r, c.init_r != BG_OK && c.ro_r == BG_OK &&
		    !c.has_init ? "  <- valid log without audit.init" : "");
		if (c.init_r != BG_OK && c.init_r != BG_ENOSPC)
			bad_code++;
		if (c.init_r != BG_OK && (c.ro_r == BG_OK || c.rw_r == BG_OK) &&
		    !c.has_init)
			half++;
		if (c.init_r != BG_OK && c.retry_r != BG_OK &&
		    c.rw_r != BG_OK)
			blocked++;
	}
	print_message("init under ENOSPC: %u of %u leave a log that opens "
	    "without audit.init; %u leave a directory that neither opens nor "
	    "can be initialised again\n", half, total, blocked);
	rm_tree(root);
	assert_int_equal(bad_code, 0);
	assert_int_equal(half, 0);
}

int
main(void)
{
	const char *filter = getenv("BG_TEST_FILTER");

	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_enospc_entries_write,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_then_enospc,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_then_success,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_eio_fdatasync_entries,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_ftruncate_fails,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_eio_pwrite_slot,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_pwrite_slot,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_eio_fdatasync_slot,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_eio_fdatasync_slot_lost,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_pwrite_eio,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_pwrite_short,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_pwrite_enospc,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_write_enospc,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_short_then_enospc,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_fdatasync_entries,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_tree_pwrite,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_index_pwrite,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_slot_pwrite,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_slot_fdatasync,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_slot_fdatasync_lost,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_why_not_stale,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_recovery_record_fails,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_recovery_retry,
		    setup, teardown),
		cmocka_unit_test(test_init_enospc),
	};

	if (filter != NULL)
		cmocka_set_test_filter(filter);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
