/*
 * Crash safety of the audit log (docs/design.md §6: an entry is acknowledged only
 * after it and its checkpoint are on disk; a torn tail after a crash is
 * repaired on open without losing any acknowledged entry).
 *
 * Each round a child opens the log for writing and appends in a loop
 * (single entries and batches of 1-20, content derived from the seq), and
 * reports every acknowledged seq over a pipe right after BG_OK. The parent
 * SIGKILLs it after a random 0-30 ms. Sometimes the parent then cuts the
 * files the way a power loss could (entries.jsonl never below what the
 * newest checkpoint covers, the unsynced derived files anywhere, an
 * unacknowledged newest slot torn), and sometimes a second child is killed
 * in the middle of its open (recovery). Then the parent opens for writing
 * and checks: every acknowledged seq is there with the intended content,
 * every entry is what some child meant to write, a tail that was there was
 * quarantined into recovered/ and recorded by an audit.recovered entry
 * (bytes and SHA-256 match), every file in recovered/ is recorded, and
 * bg_audit_verify passes.
 *
 * Environment: BG_CRASH_SEED (hex or decimal), BG_CRASH_SECONDS (time
 * budget, default 25), BG_CRASH_ROUNDS (minimum rounds, default 200),
 * BG_CRASH_OPENER=0 (no killed openers, to tell their findings apart).
 * A plain program: exits 0 when every round held, 1 otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/common.h"
#include "audit/audit.h"
#include "audit/internal.h"

#define ROUNDS_PER_LOG 20	/* then a fresh log, so verify stays fast */
#define HARD_CAP_S 150		/* stop even if the minimum was not reached */
#define BATCH_MAX 20
#define REC_FILE_MAX 128

/* ------------------------------------------------------------- helpers */

static uint64_t rng;

/* splitmix64: small, seedable, good enough to pick timings and sizes */
static uint64_t
rnd(void)
{
	uint64_t z = (rng += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t
rnd_below(uint64_t n)
{
	return n == 0 ? 0 : rnd() % n;
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
sleep_us(int64_t us)
{
	struct timespec ts;

	if (us <= 0)
		return;
	ts.tv_sec = (time_t)(us / 1000000);
	ts.tv_nsec = (long)(us % 1000000) * 1000;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

enum viol {
	V_ACKED,	/* an acknowledged entry is missing or changed */
	V_CONTENT,	/* an entry no child meant to write */
	V_OPEN,		/* recovery (open for writing) failed */
	V_EEXIST,	/* recovery failed with BG_EEXIST (retried later) */
	V_UNRECORDED,	/* a file in recovered/ that no entry records */
	V_RECORD,	/* an audit.recovered entry that does not match its file */
	V_QUARANTINE,	/* a tail not quarantined, or quarantined wrongly */
	V_VERIFY,	/* bg_audit_verify failed after recovery */
	V_CHILD,	/* a child failed on its own before it was killed */
	V_N
};

static const char *const viol_name[V_N] = {
	"acknowledged entry lost", "unexpected entry content",
	"recovery failed", "recovery failed with BG_EEXIST",
	"quarantined file not recorded", "audit.recovered does not match",
	"tail not quarantined as expected", "verify failed", "child failed",
};

static unsigned viol[V_N];
static unsigned cur_round;
static uint64_t seed;

static void violation(enum viol v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
violation(enum viol v, const char *fmt, ...)
{
	va_list ap;

	if (viol[v]++ >= 3)
		return;
	printf("VIOLATION [%s] round %u (seed 0x%016" PRIx64 "): ",
	    viol_name[v], cur_round, seed);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static unsigned
violations(void)
{
	unsigned i, n = 0;

	for (i = 0; i < V_N; i++)
		n += viol[i];
	return n;
}

static struct {
	unsigned rounds, logs, appender_kills, acked;
	unsigned power_loss, torn_slots, cut_entries, cut_derived;
	unsigned openers, opener_killed_in_open, opener_failed;
	unsigned tails_recovered, kept;
	int64_t opener_ewma_us;
} st;

/* ------------------------------------------------------------ content */

/* What a child appends as entry seq: derived from seq alone. */
static cJSON *
detail_for(uint64_t seq)
{
	char pad[512];
	size_t i, n = (size_t)(seq * 7919 % 400) + 1;
	cJSON *d;

	for (i = 0; i < n; i++)
		pad[i] = (char)('a' + (seq * 3 + i) % 26);
	pad[n] = '\0';
	if ((d = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(d, "n", (double)seq) == NULL ||
	    cJSON_AddStringToObject(d, "pad", pad) == NULL) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

static const char *
request_for(uint64_t seq)
{
	static const char *const r[] = { "", "req-a", "req-b", "req-c" };

	return r[seq % 4];
}

/* --------------------------------------------------------- the children */

static int
write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Appends until killed; reports each acknowledged seq. Never returns. */
static void
child_append(const char *dir, int fd, uint64_t child_seed)
{
	struct bg_audit_event ev[BATCH_MAX];
	uint64_t seqs[BATCH_MAX], base, first;
	bg_audit_t *log = NULL;
	size_t k, i;
	int r;

	rng = child_seed;
	if ((r = bg_audit_open(dir, BG_AUDIT_WRITE, &log)) != BG_OK) {
		fprintf(stderr, "child: open: %s (%s)\n", bg_strerror(r),
		    bg_audit_why());
		_exit(10);
	}
	for (;;) {
		k = (rnd() & 1) ? 1 : 1 + (size_t)rnd_below(BATCH_MAX);
		base = bg_audit_size(log);
		for (i = 0; i < k; i++) {
			ev[i].event = "test.crash";
			ev[i].actor = "child";
			ev[i].account = "123456789012";
			ev[i].request = request_for(base + i);
			if ((ev[i].detail = detail_for(base + i)) == NULL)
				_exit(11);
			seqs[i] = base + i;
		}
		first = UINT64_MAX;
		r = k == 1 && (rnd() & 1) ? bg_audit_append(log, ev, &first) :
		    bg_audit_append_batch(log, ev, k, &first);
		if (r != BG_OK || first != base) {
			fprintf(stderr, "child: append of %zu: %s (%s)\n", k,
			    bg_strerror(r), bg_audit_why());
			_exit(12);
		}
		/* one write of at most PIPE_BUF bytes: a kill never splits it */
		if (write_full(fd, seqs, k * sizeof(seqs[0])) != 0)
			_exit(13);
		for (i = 0; i < k; i++)
			cJSON_Delete((cJSON *)ev[i].detail);
	}
}

/* Opens for writing (recovering), reports the result. Never returns. */
static void
child_open(const char *dir, int fd)
{
	bg_audit_t *log = NULL;
	int r;

	r = bg_audit_open(dir, BG_AUDIT_WRITE, &log);
	(void)write_full(fd, &r, sizeof(r));
	bg_audit_close(&log);
	_exit(0);
}

struct acked {
	uint8_t *bit;		/* bit[seq] = 1 when acknowledged */
	size_t cap;
	uint64_t max;		/* highest acknowledged seq + 1, 0 if none */
};

static void
acked_add(struct acked *a, uint64_t seq)
{
	size_t n;
	uint8_t *p;

	if (seq >= a->cap) {
		n = a->cap ? a->cap : 4096;
		while (n <= seq)
			n *= 2;
		if ((p = realloc(a->bit, n)) == NULL)
			abort();
		memset(p + a->cap, 0, n - a->cap);
		a->bit = p;
		a->cap = n;
	}
	a->bit[seq] = 1;
	if (seq + 1 > a->max)
		a->max = seq + 1;
}

/* Reads what is there without blocking; 0 at end of file. */
static ssize_t
drain(int fd, uint8_t *buf, size_t *have, size_t cap)
{
	ssize_t n;

	do {
		n = read(fd, buf + *have, cap - *have);
	} while (n < 0 && errno == EINTR);
	if (n > 0)
		*have += (size_t)n;
	return n;
}

static void
take_seqs(struct acked *a, uint8_t *buf, size_t *have)
{
	uint64_t seq;
	size_t off;

	for (off = 0; off + sizeof(seq) <= *have; off += sizeof(seq)) {
		memcpy(&seq, buf + off, sizeof(seq));
		acked_add(a, seq);
		st.acked++;
	}
	memmove(buf, buf + off, *have - off);
	*have -= off;
}

/*
 * Lets the child run delay_us, reading what it reports meanwhile, kills it
 * and reads the rest. Returns the child's wait status.
 */
static int
run_and_kill(pid_t pid, int fd, int64_t delay_us, struct acked *a,
    uint8_t *buf, size_t *have, size_t cap, int64_t *done_at)
{
	int64_t end = now_us() + delay_us;
	int status = 0, fl;
	ssize_t n;

	fl = fcntl(fd, F_GETFL);
	(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	for (;;) {
		n = drain(fd, buf, have, cap);
		if (a != NULL)
			take_seqs(a, buf, have);
		if (n > 0 && done_at != NULL && *done_at == 0)
			*done_at = now_us();
		if (now_us() >= end)
			break;
		if (n <= 0)
			sleep_us(end - now_us() < 200 ? end - now_us() : 200);
	}
	kill(pid, SIGKILL);
	(void)fcntl(fd, F_SETFL, fl);
	while ((n = drain(fd, buf, have, cap)) > 0)
		if (a != NULL)
			take_seqs(a, buf, have);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

struct run {
	char root[64], dir[128];
	struct acked acked;
	uint64_t durable;	/* size the parent's last open acknowledged */
	unsigned rounds;
	unsigned viol_at_start;
	char unrec[8][REC_FILE_MAX];	/* unrecorded files already reported */
	size_t n_unrec;
};

static pid_t
spawn(int p[2])
{
	pid_t pid;

	if (pipe(p) != 0)
		abort();
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0)
		abort();
	return pid;
}

static void
appender(struct run *run)
{
	uint8_t buf[2048];
	size_t have = 0;
	int p[2], status;
	uint64_t child_seed = rnd();
	int64_t delay = (int64_t)rnd_below(30001);
	pid_t pid;

	if ((pid = spawn(p)) == 0) {
		close(p[0]);
		child_append(run->dir, p[1], child_seed);
	}
	close(p[1]);
	status = run_and_kill(pid, p[0], delay, &run->acked, buf, &have,
	    sizeof(buf), NULL);
	close(p[0]);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		st.appender_kills++;
	else
		violation(V_CHILD, "appender ended by itself (status 0x%x) "
		    "after %" PRId64 " us", (unsigned)status, delay);
}

static void
opener(struct run *run)
{
	uint8_t buf[64];
	size_t have = 0;
	int p[2], r;
	int64_t span = st.opener_ewma_us > 0 ? st.opener_ewma_us * 5 / 4 :
	    10000, delay = (int64_t)rnd_below((uint64_t)span + 1), start,
	    done = 0;
	pid_t pid;

	start = now_us();
	if ((pid = spawn(p)) == 0) {
		close(p[0]);
		child_open(run->dir, p[1]);
	}
	close(p[1]);
	(void)run_and_kill(pid, p[0], delay, NULL, buf, &have, sizeof(buf),
	    &done);
	close(p[0]);
	st.openers++;
	if (have < sizeof(r)) {
		st.opener_killed_in_open++;
		return;
	}
	memcpy(&r, buf, sizeof(r));
	if (r != BG_OK)
		st.opener_failed++;
	/* learn how long an open takes, to kill the next one inside it */
	if (done > 0)
		st.opener_ewma_us = st.opener_ewma_us == 0 ? done - start :
		    (st.opener_ewma_us * 7 + (done - start)) / 8;
}

/* ---------------------------------------------------------- log state */

/* dir/name, in a static buffer (single-threaded; small stack frames). */
static const char *
path_in(const char *dir, const char *name)
{
	static char path[BG_PATH_MAX];

	if (bg_path_join(path, sizeof(path), dir, name) != BG_OK)
		abort();
	return path;
}

/* The newest valid checkpoint slot, as recovery chooses it. */
static int
slots_load(const char *dir, struct bg_slot *s, int *pos, int *fd)
{
	struct bg_note_key key;
	char why[200];
	int r;

	if ((r = bg_keys_load_vkey(dir, &key)) != BG_OK)
		return r;
	if ((*fd = open(path_in(dir, "checkpoint.slots"), O_RDWR | O_CLOEXEC)) < 0)
		return BG_EIO;
	if ((r = bg_slots_read(*fd, &key, s)) == BG_OK)
		r = bg_slots_select(s, UINT64_MAX, pos, why, sizeof(why));
	return r;
}

/* Byte end of the first count lines of entries.jsonl, and its size. */
static int
entries_end(const char *dir, uint64_t count, uint64_t *end, uint64_t *fsz)
{
	char *buf = NULL;
	size_t len, i;
	uint64_t lines = 0;
	int r;

	if ((r = bg_file_read(path_in(dir, "entries.jsonl"), (size_t)1 << 30,
	    &buf, &len)) != BG_OK)
		return r;
	*fsz = len;
	*end = 0;
	for (i = 0; i < len && lines < count; i++)
		if (buf[i] == '\n' && ++lines == count)
			*end = i + 1;
	free(buf);
	return lines == count ? BG_OK : BG_ETAMPER;
}

static uint64_t
file_size(const char *dir, const char *name)
{
	struct stat sb;

	if (stat(path_in(dir, name), &sb) != 0)
		return 0;
	return (uint64_t)sb.st_size;
}

static void
cut(const char *dir, const char *name, uint64_t len)
{
	if (truncate(path_in(dir, name), (off_t)len) != 0)
		abort();
}

/*
 * What a power loss may leave: entries.jsonl cut anywhere at or after the
 * end of what the newest checkpoint covers (those entries were fdatasync'ed
 * before the checkpoint was written), the derived files (never synced) cut
 * anywhere, and a newest slot torn when no acknowledged append needs it
 * (every reported seq and the parent's last recovery are below the older
 * checkpoint): the slot was written but maybe not yet synced. The entries
 * that slot covers stay even then: they were fdatasync'ed before the slot
 * was written, so no power loss takes them.
 */
static void
power_loss(struct run *run)
{
	static const uint8_t junk[8] = { 0xff, 0, 0xff, 0, 0xff, 0, 0xff, 0 };
	struct bg_slot *s;
	uint64_t covered, end, fsz, n;
	int pos, od, fd = -1;

	if ((s = calloc(2, sizeof(*s))) == NULL)
		abort();
	if (slots_load(run->dir, s, &pos, &fd) != BG_OK) {
		violation(V_OPEN, "cannot read the checkpoint slots after a kill");
		goto out;
	}
	st.power_loss++;
	covered = s[pos].cp.size;
	od = 1 - pos;
	if (s[od].valid && s[od].cp.size < covered &&
	    s[od].cp.size >= run->acked.max && s[od].cp.size >= run->durable &&
	    (rnd() & 1)) {
		if (pwrite(fd, junk, sizeof(junk),
		    (off_t)pos * BG_SLOT_SIZE + 56 + 16) != sizeof(junk))
			abort();
		st.torn_slots++;
	}
	if (entries_end(run->dir, covered, &end, &fsz) != BG_OK) {
		violation(V_ACKED, "entries.jsonl shorter than its checkpoint "
		    "after a kill");
		goto out;
	}
	if (fsz > end && rnd() % 3 != 0) {
		cut(run->dir, "entries.jsonl", end + rnd_below(fsz - end + 1));
		st.cut_entries++;
	}
	if ((rnd() & 1) && (n = file_size(run->dir, "tree")) > 0) {
		cut(run->dir, "tree", rnd_below(n));
		st.cut_derived++;
	}
	if ((rnd() & 1) && (n = file_size(run->dir, "index")) > 0) {
		cut(run->dir, "index", rnd_below(n));
		st.cut_derived++;
	}
out:
	if (fd >= 0)
		close(fd);
	free(s);
}

/* ------------------------------------------------------------- checks */

struct rec {
	char file[REC_FILE_MAX];
	uint64_t seq, bytes;
	char sha[65];
};

struct walk {
	uint8_t *ok;		/* ok[seq]: a test entry with the right content */
	uint64_t size;
	struct rec *rec;
	size_t nrec, caprec;
};

static int
same_test_entry(const struct bg_audit_entry *e, uint64_t seq)
{
	cJSON *want;
	int same;

	if (strcmp(e->event, "test.crash") != 0 ||
	    strcmp(e->actor, "child") != 0 ||
	    strcmp(e->account, "123456789012") != 0 ||
	    strcmp(e->request, request_for(seq)) != 0 ||
	    (want = detail_for(seq)) == NULL)
		return 0;
	same = cJSON_Compare(want, e->detail, 1);
	cJSON_Delete(want);
	return same;
}

static void
take_rec(struct walk *w, const struct bg_audit_entry *e)
{
	const cJSON *file, *bytes, *sha;
	struct rec *r;

	file = cJSON_GetObjectItemCaseSensitive(e->detail, "file");
	bytes = cJSON_GetObjectItemCaseSensitive(e->detail, "bytes");
	sha = cJSON_GetObjectItemCaseSensitive(e->detail, "sha256");
	if (!cJSON_IsString(file) || !cJSON_IsNumber(bytes) ||
	    !cJSON_IsString(sha)) {
		violation(V_RECORD, "audit.recovered %" PRIu64 " lacks file, "
		    "bytes or sha256", e->seq);
		return;
	}
	if (w->nrec == w->caprec) {
		w->caprec = w->caprec ? 2 * w->caprec : 8;
		if ((w->rec = realloc(w->rec, w->caprec * sizeof(*r))) == NULL)
			abort();
	}
	r = &w->rec[w->nrec++];
	snprintf(r->file, sizeof(r->file), "%s", file->valuestring);
	snprintf(r->sha, sizeof(r->sha), "%s", sha->valuestring);
	r->bytes = (uint64_t)bytes->valuedouble;
	r->seq = e->seq;
}

static int
walk_fn(void *ctx, uint64_t seq, const char *line, size_t len)
{
	struct walk *w = ctx;
	struct bg_audit_entry e;

	if (bg_audit_entry_parse(line, len, &e) != BG_OK || e.seq != seq) {
		violation(V_CONTENT, "entry %" PRIu64 " does not parse or has "
		    "another seq", seq);
		return 0;
	}
	if (seq == 0) {
		if (strcmp(e.event, "audit.init") != 0)
			violation(V_CONTENT, "entry 0 is %s", e.event);
	} else if (strcmp(e.event, "audit.recovered") == 0) {
		take_rec(w, &e);
	} else if (same_test_entry(&e, seq)) {
		w->ok[seq] = 1;
	} else {
		violation(V_CONTENT, "entry %" PRIu64 " (%s) is not what the "
		    "child appended as that seq: %.*s", seq, e.event,
		    (int)(len > 160 ? 160 : len), line);
	}
	bg_audit_entry_free(&e);
	return 0;
}

/* Names in recovered/, as "recovered/NAME". */
static size_t
list_recovered(const char *dir, char (*names)[REC_FILE_MAX], size_t max)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if ((d = opendir(path_in(dir, "recovered"))) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && n < max &&
		    strlen(de->d_name) < REC_FILE_MAX - 10) {
			memcpy(names[n], "recovered/", 10);
			memcpy(names[n] + 10, de->d_name, strlen(de->d_name) + 1);
			n++;
		}
	closedir(d);
	return n;
}

static int
name_in(const char *name, char (*names)[REC_FILE_MAX], size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* The file an audit.recovered entry names holds those bytes. */
static void
check_rec_file(const char *dir, const struct rec *r)
{
	char *buf = NULL, hex[65];
	uint8_t sum[32];
	size_t len;

	if (bg_file_read(path_in(dir, r->file), 64u << 20, &buf, &len) !=
	    BG_OK) {
		violation(V_RECORD, "audit.recovered %" PRIu64 " names %s, "
		    "which cannot be read", r->seq, r->file);
		return;
	}
	if (EVP_Digest(buf, len, sum, NULL, EVP_sha256(), NULL) != 1 ||
	    bg_hex_encode(sum, 32, hex, sizeof(hex)) != BG_OK)
		abort();
	if (len != r->bytes || strcmp(hex, r->sha) != 0)
		violation(V_RECORD, "audit.recovered %" PRIu64 " says %s has "
		    "%" PRIu64 " bytes, sha256 %.16s..; it has %zu, %.16s..",
		    r->seq, r->file, r->bytes, r->sha, len, hex);
	free(buf);
}

/* Before the parent's recovery: whether a tail is there, and its size. */
static int
tail_before(const char *dir, uint64_t *tail)
{
	struct bg_slot *s;
	uint64_t end, fsz;
	int pos, fd = -1, r;

	if ((s = calloc(2, sizeof(*s))) == NULL)
		abort();
	if ((r = slots_load(dir, s, &pos, &fd)) == BG_OK &&
	    (r = entries_end(dir, s[pos].cp.size, &end, &fsz)) == BG_OK)
		*tail = fsz - end;
	if (fd >= 0)
		close(fd);
	free(s);
	return r;
}

static int
open_writer(struct run *run, bg_audit_t **log)
{
	int r;

	r = bg_audit_open(run->dir, BG_AUDIT_WRITE, log);
	if (r == BG_EEXIST) {
		violation(V_EEXIST, "bg_audit_open: %s (%s); retrying in a "
		    "second", bg_strerror(r), bg_audit_why());
		sleep_us(1100000);
		r = bg_audit_open(run->dir, BG_AUDIT_WRITE, log);
	}
	if (r != BG_OK)
		violation(V_OPEN, "bg_audit_open for writing: %s (%s) in %s",
		    bg_strerror(r), bg_audit_why(), run->dir);
	return r;
}

/*
 * The recovery's own work: a file and an entry exactly when a tail was.
 * The tail's copy is new, or was made by an opener killed between copying
 * and cutting (recovery reuses an identical pending copy). Other pending
 * copies (an opener killed before a power loss cut the tail shorter) are
 * recorded too, so the tail's record is among the newest ones.
 */
static void
check_quarantine(struct run *run, bg_audit_t *log, struct walk *w,
    uint64_t tail, char (*before)[REC_FILE_MAX], size_t nbefore,
    char (*after)[REC_FILE_MAX], size_t nafter)
{
	size_t i, k, fresh = 0, which = 0, found = 0;
	const struct rec *r;

	for (i = 0; i < nafter; i++)
		if (!name_in(after[i], before, nbefore)) {
			fresh++;
			which = i;
		}
	if (tail == 0 && fresh == 0)
		return;
	if (tail > 0)
		st.tails_recovered++;
	for (k = w->nrec; tail > 0 && fresh <= 1 && k-- > 0 && !found;) {
		r = &w->rec[k];
		if (r->seq + 8 < bg_audit_size(log))
			break;	/* older than this recovery */
		found = r->bytes == tail && (fresh == 1 ?
		    strcmp(r->file, after[which]) == 0 :
		    name_in(r->file, before, nbefore));
	}
	if (!found)
		violation(V_QUARANTINE, "%" PRIu64 " bytes of tail; %zu new "
		    "file(s) in recovered/; no matching audit.recovered among "
		    "the newest entries (size %" PRIu64 ")", tail, fresh,
		    bg_audit_size(log));
	(void)run;
}

static void
check_recorded(struct run *run, struct walk *w, char (*names)[REC_FILE_MAX],
    size_t n)
{
	size_t i, k;
	int found;

	for (k = 0; k < w->nrec; k++)
		check_rec_file(run->dir, &w->rec[k]);
	for (i = 0; i < n; i++) {
		for (found = 0, k = 0; k < w->nrec && !found; k++)
			found = strcmp(w->rec[k].file, names[i]) == 0;
		if (found || name_in(names[i], run->unrec, run->n_unrec))
			continue;
		violation(V_UNRECORDED, "%s/%s holds quarantined bytes but no "
		    "audit.recovered entry names it", run->dir, names[i]);
		if (run->n_unrec < 8)
			snprintf(run->unrec[run->n_unrec++], REC_FILE_MAX, "%.*s",
			    REC_FILE_MAX - 1, names[i]);
	}
}

static void
check_acked(const struct run *run, const struct walk *w)
{
	uint64_t seq;

	for (seq = 0; seq < run->acked.max; seq++)
		if (run->acked.bit[seq] && (seq >= w->size || !w->ok[seq]))
			violation(V_ACKED, "acknowledged seq %" PRIu64 " is %s "
			    "(log size %" PRIu64 ")", seq, seq >= w->size ?
			    "missing" : "not the entry appended", w->size);
}

static int
recover_and_check(struct run *run)
{
	static char before[64][REC_FILE_MAX], after[64][REC_FILE_MAX];
	struct bg_audit_verify_result res;
	struct walk w;
	bg_audit_t *log = NULL;
	uint64_t tail = 0;
	size_t nbefore, nafter;
	int r;

	memset(&w, 0, sizeof(w));
	if (tail_before(run->dir, &tail) != BG_OK)
		violation(V_ACKED, "entries.jsonl is shorter than its newest "
		    "checkpoint before recovery");
	nbefore = list_recovered(run->dir, before, 64);
	if ((r = open_writer(run, &log)) != BG_OK)
		return -1;
	nafter = list_recovered(run->dir, after, 64);
	w.size = bg_audit_size(log);
	if ((w.ok = calloc(w.size + 1, 1)) == NULL)
		abort();
	if ((r = bg_audit_foreach(log, 0, UINT64_MAX, walk_fn, &w)) != BG_OK)
		violation(V_CONTENT, "bg_audit_foreach: %s", bg_strerror(r));
	check_quarantine(run, log, &w, tail, before, nbefore, after, nafter);
	check_recorded(run, &w, after, nafter);
	check_acked(run, &w);
	run->durable = w.size;
	bg_audit_close(&log);
	if ((r = bg_audit_verify(run->dir, NULL, &res)) != BG_OK ||
	    res.entries != w.size)
		violation(V_VERIFY, "bg_audit_verify: %s, %" PRIu64 " of %"
		    PRIu64 " entries: %s", bg_strerror(r), res.entries, w.size,
		    res.reason);
	free(w.ok);
	free(w.rec);
	return 0;
}

/* --------------------------------------------------------------- rounds */

static void
end_log(struct run *run)
{
	char cmd[128];

	if (run->root[0] == '\0')
		return;
	/* the first two logs with a violation stay for inspection */
	if (violations() != run->viol_at_start && st.kept < 2) {
		st.kept++;
		printf("kept %s for inspection\n", run->dir);
	} else {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", run->root);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", run->root);
	}
	free(run->acked.bit);
	memset(run, 0, sizeof(*run));
}

static int
new_log(struct run *run)
{
	bg_audit_t *log = NULL;
	int r;

	end_log(run);
	snprintf(run->root, sizeof(run->root), "/tmp/bg-crash-XXXXXX");
	if (mkdtemp(run->root) == NULL)
		return -1;
	snprintf(run->dir, sizeof(run->dir), "%s/audit", run->root);
	if ((r = bg_audit_init(run->dir, NULL)) != BG_OK ||
	    (r = bg_audit_open(run->dir, BG_AUDIT_READ, &log)) != BG_OK) {
		fprintf(stderr, "bg_audit_init: %s\n", bg_strerror(r));
		return -1;
	}
	/* init acknowledged audit.init: no power loss may take it */
	run->durable = bg_audit_size(log);
	bg_audit_close(&log);
	run->viol_at_start = violations();
	st.logs++;
	return 0;
}

static int with_opener = 1;

static int
round_once(struct run *run)
{
	int kill_opener = rnd() % 3 == 0 && with_opener;

	appender(run);
	if (rnd() % (kill_opener ? 2 : 4) == 0)
		power_loss(run);
	if (kill_opener)
		opener(run);
	return recover_and_check(run);
}

static uint64_t
env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? strtoull(v, NULL, 0) : dflt;
}

int
main(void)
{
	static struct run run;
	uint64_t budget, min_rounds;
	int64_t start, elapsed;
	int fatal = 0;

	seed = env_u64("BG_CRASH_SEED", (uint64_t)time(NULL) * 2654435761u ^
	    (uint64_t)getpid());
	budget = env_u64("BG_CRASH_SECONDS", 25);
	min_rounds = env_u64("BG_CRASH_ROUNDS", 200);
	with_opener = env_u64("BG_CRASH_OPENER", 1) != 0;
	rng = seed;
	printf("test_audit_crash: seed 0x%016" PRIx64 " (BG_CRASH_SEED to "
	    "repeat), at least %" PRIu64 " rounds, budget %" PRIu64 " s%s\n",
	    seed, min_rounds, budget, with_opener ? "" : ", no openers");
	memset(&run, 0, sizeof(run));
	start = now_us();
	for (;;) {
		elapsed = now_us() - start;
		if ((st.rounds >= min_rounds &&
		    (uint64_t)elapsed >= budget * 1000000) ||
		    elapsed >= (int64_t)HARD_CAP_S * 1000000)
			break;
		if ((run.rounds % ROUNDS_PER_LOG == 0 || run.root[0] == '\0') &&
		    new_log(&run) != 0) {
			fatal = 1;
			break;
		}
		cur_round = st.rounds;
		run.rounds++;
		st.rounds++;
		if (round_once(&run) != 0) {
			fatal = 1;
			break;
		}
	}
	elapsed = now_us() - start;
	end_log(&run);
	printf("rounds %u in %.1f s over %u logs; appenders killed %u; seqs "
	    "acknowledged %u; tails recovered by the parent %u\n", st.rounds,
	    (double)elapsed / 1e6, st.logs, st.appender_kills, st.acked,
	    st.tails_recovered);
	printf("power losses %u (entries cut %u, derived files cut %u, "
	    "slots torn %u); openers killed %u (%u inside bg_audit_open, %u "
	    "open failed; mean open %.1f ms)\n", st.power_loss,
	    st.cut_entries, st.cut_derived, st.torn_slots, st.openers,
	    st.opener_killed_in_open, st.opener_failed,
	    (double)st.opener_ewma_us / 1000.0);
	if (st.rounds < min_rounds) {
		printf("FAIL: only %u of %" PRIu64 " rounds\n", st.rounds,
		    min_rounds);
		fatal = 1;
	}
	if (violations() > 0) {
		unsigned i;

		printf("FAIL: %u violations:", violations());
		for (i = 0; i < V_N; i++)
			if (viol[i] > 0)
				printf(" %s %u;", viol_name[i], viol[i]);
		printf(" (seed 0x%016" PRIx64 ")\n", seed);
	}
	return fatal || violations() > 0 ? 1 : 0;
}
