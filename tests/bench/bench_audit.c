/*
 * bench_audit: speed of the audit log (docs/design.md §6) against baselines
 * measured in the same run, on the same machine and disk.
 *
 * How to run (after a RelWithDebInfo build without sanitizers, e.g. the
 * "normal" build of scripts/test):
 *
 *   build/normal/tests/bench/bench_audit            full run, 1-2 minutes
 *   build/normal/tests/bench/bench_audit --quick    small run (CTest)
 *
 * Options: --dir DIR  parent of the scratch directory (default: the first
 * of /var/tmp, /tmp and the executable's directory that is not tmpfs: fsync
 * on tmpfs costs nothing and would make (a) meaningless); --keep  leave the
 * scratch directory in place. About 400 MB of disk is used in full mode.
 *
 * Items, each with its target from the design:
 *   a) durable bg_audit_append of ~300-byte entries vs write()+fdatasync()
 *      of the same bytes to a file in the same directory; alternating
 *      rounds, median of the per-round ratios (the machine is shared and
 *      noisy). Target ratio >= 0.4.
 *   b) bg_audit_append_batch, 10,000 entries per batch: >= 100,000
 *      entries/s (baseline: one write()+fdatasync() of the same bytes).
 *   c) bg_audit_verify of a 1,000,000-entry log: >= 1,000,000 entries/s and
 *      >= 0.5x bare SHA-256 leaf+node hashing of the same bytes. The
 *      baseline reads entries.jsonl in 1 MiB chunks, splits lines and
 *      hashes them with OpenSSL EVP directly (one fetched EVP_MD and one
 *      reused EVP_MD_CTX, exactly as audit/merkle.c does), keeping a stack
 *      of perfect subtrees. It does not call audit/merkle.c, so a slowdown
 *      there shows up in the ratio instead of slowing the baseline too;
 *      the same walk through bg_merkle_leaf_hash/bg_merkle_stream_add is
 *      printed as an extra row. Peak memory of verify < 16 MiB: a freshly
 *      exec'd child (so none of this process's heap is inherited) reads its
 *      VmHWM after the setup (OpenSSL loaded) and after bg_audit_verify;
 *      the growth is what verify needed. (wait4's ru_maxrss would not do:
 *      Linux carries the pre-exec hiwater mark of the forked copy over.)
 *   d) bg_audit_prove in the 1,000,000-entry log, 10,000 random entries,
 *      read mode: mean and p99 < 1 ms.
 *
 * Nothing here asserts on time. Both modes check that every benchmark did
 * correct work (verify passes, the baseline root equals the signed root,
 * proofs check, leaves match the entries) and exit non-zero when one did
 * not; a missed target is printed as MISS but does not change the exit
 * status.
 */
#define _XOPEN_SOURCE 700	/* nftw */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/common.h"
#include "audit/audit.h"
#include "audit/internal.h"
#include "audit/merkle.h"
#include "audit/note.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

#define ENTRY_BYTES	300	/* target size of one entry line, '\n' included */
#define BIG_FULL	1000000u
#define BIG_QUICK	5000u
#define BUILD_BATCH	100000u
#define CHUNK		(1u << 20)
#define MAX_ROWS	16
#define MIB		(1024.0 * 1024.0)

struct row {
	char item[40];
	char ours[24];
	char base[24];
	char ratio[12];
	char target[16];
	const char *verdict;	/* PASS, MISS, info, - */
};

struct ctx {
	int quick;
	int keep;
	int failed;		/* a benchmark produced a wrong result */
	char exe[BG_PATH_MAX];
	char work[BG_PATH_MAX];	/* scratch directory */
	int tmpfs;		/* work is on tmpfs */
	/* workload */
	cJSON *detail;
	struct bg_audit_event ev;
	struct bg_audit_event *evs;	/* BUILD_BATCH copies of ev */
	char *line;		/* one formatted entry, ENTRY_BYTES long */
	size_t line_len;
	/* the big log of (c) and (d) */
	char big[BG_PATH_MAX];
	uint64_t big_n;
	struct row rows[MAX_ROWS];
	size_t nrows;
};

/* ---------------------------------------------------------------- helpers */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
check(struct ctx *c, int ok, const char *what, int r)
{
	if (!ok) {
		fprintf(stderr, "bench_audit: FAILED: %s (%s%s%s)\n", what,
		    bg_strerror(r), bg_audit_why()[0] != '\0' ? ": " : "",
		    bg_audit_why());
		c->failed = 1;
	}
	return ok;
}

static void
fmt_rate(char *out, size_t outsz, double rate)
{
	if (rate >= 1e6)
		snprintf(out, outsz, "%.2f M/s", rate / 1e6);
	else if (rate >= 1e4)
		snprintf(out, outsz, "%.1f k/s", rate / 1e3);
	else
		snprintf(out, outsz, "%.1f /s", rate);
}

static struct row *
add_row(struct ctx *c, const char *item, const char *target)
{
	struct row *w;

	if (c->nrows >= MAX_ROWS)
		abort();	/* a bug in this file */
	w = &c->rows[c->nrows++];
	memset(w, 0, sizeof(*w));
	snprintf(w->item, sizeof(w->item), "%s", item);
	snprintf(w->target, sizeof(w->target), "%s", target);
	snprintf(w->ours, sizeof(w->ours), "-");
	snprintf(w->base, sizeof(w->base), "-");
	snprintf(w->ratio, sizeof(w->ratio), "-");
	w->verdict = "info";
	return w;
}

static void
verdict(const struct ctx *c, struct row *w, int pass)
{
	w->verdict = c->quick ? "-" : pass ? "PASS" : "MISS";
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 ? 0 : -1;
}

static void
rm_tree(const char *path)
{
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "bench_audit: could not remove %s\n", path);
}

static int
is_tmpfs(const char *dir, int *tmpfs)
{
	struct statfs sf;

	if (statfs(dir, &sf) != 0)
		return -1;
	*tmpfs = sf.f_type == TMPFS_MAGIC;
	return 0;
}

/* First candidate directory that exists and is not tmpfs. */
static int
pick_parent(struct ctx *c, const char *given, char *out, size_t outsz)
{
	char exedir[BG_PATH_MAX], *slash;
	const char *cand[3];
	size_t i;
	int t;

	if (given != NULL) {
		if (is_tmpfs(given, &c->tmpfs) != 0)
			return -1;
		snprintf(out, outsz, "%s", given);
		return 0;
	}
	snprintf(exedir, sizeof(exedir), "%s", c->exe);
	if ((slash = strrchr(exedir, '/')) != NULL)
		*slash = '\0';
	cand[0] = "/var/tmp";
	cand[1] = "/tmp";
	cand[2] = exedir;
	for (i = 0; i < 3; i++) {
		if (is_tmpfs(cand[i], &t) == 0 && !t &&
		    access(cand[i], W_OK) == 0) {
			snprintf(out, outsz, "%s", cand[i]);
			return 0;
		}
	}
	c->tmpfs = 1;
	snprintf(out, outsz, "%s", exedir);
	return 0;
}

static int
make_work(struct ctx *c, const char *given)
{
	char parent[BG_PATH_MAX];

	if (pick_parent(c, given, parent, sizeof(parent)) != 0 ||
	    snprintf(c->work, sizeof(c->work), "%s/bench_audit.XXXXXX",
	    parent) >= (int)sizeof(c->work) || mkdtemp(c->work) == NULL) {
		fprintf(stderr, "bench_audit: cannot create a scratch "
		    "directory under %s: %s\n", given ? given : "/var/tmp",
		    strerror(errno));
		return -1;
	}
	printf("scratch directory: %s (%s)\n", c->work,
	    c->tmpfs ? "tmpfs: durable numbers are NOT meaningful" :
	    "not tmpfs");
	return 0;
}

static int
sub(const struct ctx *c, const char *name, char *out, size_t outsz)
{
	return snprintf(out, outsz, "%s/%s", c->work, name) <
	    (int)outsz ? 0 : -1;
}

/* ------------------------------------------------------------- workload */

static const char hex64[] =
    "9f2c4e1a7b3d5f60812a4c6e8b0d2f4163758a9cbedf0123456789abcdef0123";

/* A realistic approval entry, padded so its line is ENTRY_BYTES long. */
static int
workload_init(struct ctx *c)
{
	char t[BG_TIME_LEN + 1], pad[ENTRY_BYTES];
	cJSON *padding;
	size_t i, have;
	int r;

	c->detail = cJSON_CreateObject();
	if (c->detail == NULL ||
	    cJSON_AddStringToObject(c->detail, "group", "root") == NULL ||
	    cJSON_AddStringToObject(c->detail, "statement_sha256",
	    hex64) == NULL ||
	    cJSON_AddStringToObject(c->detail, "pad", "") == NULL)
		return BG_ENOMEM;
	c->ev.event = "approval.granted";
	c->ev.actor = "carol@example.com";
	c->ev.account = "aws-prod";
	c->ev.request = "7f3a9c2e1b8d4f60";
	c->ev.detail = c->detail;
	/* seq 100000: mid-size of the big log's sequence numbers */
	if ((r = bg_entry_now(t)) != BG_OK ||
	    (r = bg_entry_format(100000, t, &c->ev, &c->line,
	    &c->line_len)) != BG_OK)
		return r;
	have = c->line_len;
	if (have < ENTRY_BYTES) {
		memset(pad, 'x', ENTRY_BYTES - have);
		pad[ENTRY_BYTES - have] = '\0';
		if ((padding = cJSON_CreateString(pad)) == NULL)
			return BG_ENOMEM;
		if (!cJSON_ReplaceItemInObjectCaseSensitive(c->detail, "pad",
		    padding)) {
			cJSON_Delete(padding);
			return BG_ENOMEM;
		}
		free(c->line);
		if ((r = bg_entry_format(100000, t, &c->ev, &c->line,
		    &c->line_len)) != BG_OK)
			return r;
	}
	if ((c->evs = calloc(BUILD_BATCH, sizeof(*c->evs))) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < BUILD_BATCH; i++)
		c->evs[i] = c->ev;
	printf("entry size: %zu bytes (a line like the ones appended)\n",
	    c->line_len);
	return BG_OK;
}

static void
workload_free(struct ctx *c)
{
	cJSON_Delete(c->detail);
	free(c->evs);
	free(c->line);
}

/* A fresh log named name under the scratch directory, opened for writing. */
static int
new_log(struct ctx *c, const char *name, char *dir, size_t dirsz,
    bg_audit_t **log)
{
	char origin[64];
	int r;

	snprintf(origin, sizeof(origin), "bench.example/%s", name);
	if (sub(c, name, dir, dirsz) != 0)
		return BG_ETOOBIG;
	if ((r = bg_audit_init(dir, origin)) != BG_OK ||
	    (r = bg_audit_open(dir, BG_AUDIT_WRITE, log)) != BG_OK)
		check(c, 0, "creating a log", r);
	return r;
}

static int
verify_ok(struct ctx *c, const char *dir, uint64_t n, const char *what)
{
	struct bg_audit_verify_result res;
	int r;

	r = bg_audit_verify(dir, NULL, &res);
	if (!check(c, r == BG_OK && res.entries == n, what, r))
		fprintf(stderr, "  verify: %" PRIu64 " entries, want %" PRIu64
		    "; %s\n", res.entries, n, res.reason);
	return r == BG_OK && res.entries == n ? 0 : -1;
}

/* ----------------------------------------------- a) durable single append */

/* Runs at least min_ops, and for at least secs; returns ops/s or < 0. */
static double
durable_base(int fd, const char *buf, size_t len, unsigned min_ops,
    double secs)
{
	double t0 = now_s(), t;
	unsigned n = 0;

	do {
		if (bg_write_all(fd, buf, len) != BG_OK || fdatasync(fd) != 0)
			return -1;
		n++;
		t = now_s() - t0;
	} while (n < min_ops || t < secs);
	return (double)n / t;
}

static double
durable_ours(bg_audit_t *log, const struct bg_audit_event *ev,
    unsigned min_ops, double secs, uint64_t *done)
{
	double t0 = now_s(), t;
	unsigned n = 0;

	do {
		if (bg_audit_append(log, ev, NULL) != BG_OK)
			return -1;
		n++;
		t = now_s() - t0;
	} while (n < min_ops || t < secs);
	*done += n;
	return (double)n / t;
}

#define A_ROUNDS_FULL 9
#define A_ROUNDS_QUICK 2

static int
durable_rounds(struct ctx *c, bg_audit_t *log, int fd, double ratio[],
    double base[], double ours[], uint64_t *appended)
{
	unsigned rounds = c->quick ? A_ROUNDS_QUICK : A_ROUNDS_FULL;
	unsigned min_ops = c->quick ? 10 : 50, k;
	double secs = c->quick ? 0 : 1.2;

	for (k = 0; k < rounds; k++) {
		/* alternate the order so slow drift cancels out */
		if (k % 2 == 0) {
			base[k] = durable_base(fd, c->line, c->line_len,
			    min_ops, secs);
			ours[k] = durable_ours(log, &c->ev, min_ops, secs,
			    appended);
		} else {
			ours[k] = durable_ours(log, &c->ev, min_ops, secs,
			    appended);
			base[k] = durable_base(fd, c->line, c->line_len,
			    min_ops, secs);
		}
		if (!check(c, base[k] > 0 && ours[k] > 0, "a) durable append",
		    BG_EIO))
			return -1;
		ratio[k] = ours[k] / base[k];
		printf("  a) round %u/%u: write+fdatasync %.1f/s, append "
		    "%.1f/s, ratio %.3f\n", k + 1, rounds, base[k], ours[k],
		    ratio[k]);
	}
	return (int)rounds;
}

static void
bench_durable(struct ctx *c)
{
	double ratio[A_ROUNDS_FULL], base[A_ROUNDS_FULL], ours[A_ROUNDS_FULL];
	char dir[BG_PATH_MAX], path[BG_PATH_MAX + 16];
	bg_audit_t *log = NULL;
	uint64_t appended = 0;
	struct row *w;
	double mr;
	int fd = -1, n;

	printf("a) durable single append, %zu-byte entries\n", c->line_len);
	if (new_log(c, "durable", dir, sizeof(dir), &log) != BG_OK)
		return;
	snprintf(path, sizeof(path), "%s/baseline.bin", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (!check(c, fd >= 0, "a) opening the baseline file", BG_EIO))
		goto out;
	if ((n = durable_rounds(c, log, fd, ratio, base, ours, &appended)) < 0)
		goto out;
	check(c, bg_audit_size(log) == 1 + appended, "a) log size", BG_OK);
	mr = median(ratio, (size_t)n);
	w = add_row(c, "a) durable append (median)", ">= 0.40");
	fmt_rate(w->ours, sizeof(w->ours), median(ours, (size_t)n));
	fmt_rate(w->base, sizeof(w->base), median(base, (size_t)n));
	snprintf(w->ratio, sizeof(w->ratio), "%.2f", mr);
	verdict(c, w, mr >= 0.4);
out:
	if (fd >= 0)
		close(fd);
	bg_audit_close(&log);
	verify_ok(c, dir, 1 + appended, "a) verify after appends");
}

/* ------------------------------------------------------ b) batch append */

#define B_BATCH_FULL 10000u
#define B_BATCH_QUICK 1000u

static int
batch_base(int fd, const char *buf, size_t len, double *secs)
{
	double t0 = now_s();

	if (bg_write_all(fd, buf, len) != BG_OK || fdatasync(fd) != 0)
		return -1;
	*secs += now_s() - t0;
	return 0;
}

static int
batch_ours(bg_audit_t *log, const struct bg_audit_event *evs, size_t n,
    double *secs)
{
	double t0 = now_s();
	int r;

	if ((r = bg_audit_append_batch(log, evs, n, NULL)) != BG_OK)
		return r;
	*secs += now_s() - t0;
	return BG_OK;
}

/* Alternates baseline and ours until at least min rounds and secs. */
static int
batch_rounds(struct ctx *c, bg_audit_t *log, int fd, const char *buf,
    size_t bsz, double *tb, double *to, unsigned *rounds)
{
	unsigned min = c->quick ? 3 : 8;
	double secs = c->quick ? 0 : 3.0;
	int r;

	for (*rounds = 0; *rounds < min || *to < secs; ++*rounds) {
		if (batch_base(fd, buf, bsz * c->line_len, tb) != 0)
			return check(c, 0, "b) baseline write", BG_EIO), -1;
		if ((r = batch_ours(log, c->evs, bsz, to)) != BG_OK)
			return check(c, 0, "b) bg_audit_append_batch", r), -1;
	}
	return 0;
}

static void
bench_batch(struct ctx *c)
{
	size_t bsz = c->quick ? B_BATCH_QUICK : B_BATCH_FULL, i;
	char dir[BG_PATH_MAX], path[BG_PATH_MAX + 16], *buf = NULL;
	double tb = 0, to = 0, ours, base;
	bg_audit_t *log = NULL;
	unsigned rounds = 0;
	struct row *w;
	int fd = -1;

	printf("b) batch append, %zu entries per batch\n", bsz);
	if (new_log(c, "batch", dir, sizeof(dir), &log) != BG_OK)
		return;
	snprintf(path, sizeof(path), "%s/baseline.bin", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (!check(c, fd >= 0 && (buf = malloc(bsz * c->line_len)) != NULL,
	    "b) baseline setup", BG_EIO))
		goto out;
	for (i = 0; i < bsz; i++)
		memcpy(buf + i * c->line_len, c->line, c->line_len);
	if (batch_rounds(c, log, fd, buf, bsz, &tb, &to, &rounds) != 0)
		goto out;
	ours = (double)rounds * (double)bsz / to;
	base = (double)rounds * (double)bsz / tb;
	printf("  b) %u batches: append_batch %.0f entries/s, "
	    "write+fdatasync %.0f entries/s\n", rounds, ours, base);
	check(c, bg_audit_size(log) == 1 + (uint64_t)rounds * bsz,
	    "b) log size", BG_OK);
	w = add_row(c, "b) batch append (10k)", ">= 100k/s");
	if (c->quick)
		snprintf(w->item, sizeof(w->item), "b) batch append (1k)");
	fmt_rate(w->ours, sizeof(w->ours), ours);
	fmt_rate(w->base, sizeof(w->base), base);
	snprintf(w->ratio, sizeof(w->ratio), "%.2f", ours / base);
	verdict(c, w, ours >= 100000);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	bg_audit_close(&log);
	if (rounds > 0)
		verify_ok(c, dir, 1 + (uint64_t)rounds * bsz,
		    "b) verify after batches");
}

/* ------------------------------------------------------- c) build + verify */

static int
build_big(struct ctx *c)
{
	bg_audit_t *log = NULL;
	uint64_t size;
	size_t k;
	double t0;
	struct row *w;
	int r;

	c->big_n = c->quick ? BIG_QUICK : BIG_FULL;
	printf("c) building a %" PRIu64 "-entry log with batch appends\n",
	    c->big_n);
	if ((r = new_log(c, "big", c->big, sizeof(c->big), &log)) != BG_OK)
		return r;
	t0 = now_s();
	while ((size = bg_audit_size(log)) < c->big_n) {
		k = c->big_n - size < BUILD_BATCH ? (size_t)(c->big_n - size) :
		    BUILD_BATCH;
		if (c->quick && k > 1000)
			k = 1000;
		if ((r = bg_audit_append_batch(log, c->evs, k, NULL)) != BG_OK)
			break;
	}
	t0 = now_s() - t0;
	bg_audit_close(&log);
	if (!check(c, r == BG_OK, "c) building the log", r))
		return r;
	printf("  c) built in %.2f s (%.0f entries/s)\n", t0,
	    (double)(c->big_n - 1) / t0);
	w = add_row(c, c->quick ? "c) build (batches of 1k)" :
	    "c) build (batches of 100k)", "-");
	fmt_rate(w->ours, sizeof(w->ours), (double)(c->big_n - 1) / t0);
	return BG_OK;
}

/* Fraction of path's pages in the page cache. */
static double
resident(const char *path)
{
	unsigned char *vec = NULL;
	struct stat sb;
	size_t pages, i, in = 0, psz = (size_t)sysconf(_SC_PAGESIZE);
	void *map = MAP_FAILED;
	double f = -1;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &sb) != 0 || sb.st_size == 0)
		goto out;
	pages = ((size_t)sb.st_size + psz - 1) / psz;
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED || (vec = malloc(pages)) == NULL ||
	    mincore(map, (size_t)sb.st_size, vec) != 0)
		goto out;
	for (i = 0; i < pages; i++)
		in += vec[i] & 1;
	f = (double)in / (double)pages;
out:
	free(vec);
	if (map != MAP_FAILED)
		munmap(map, (size_t)sb.st_size);
	close(fd);
	return f;
}

/* Bare hashing: a stack of perfect subtrees, like any RFC 9162 hasher. */
struct bare {
	EVP_MD *md;
	EVP_MD_CTX *ctx;
	int use_merkle;		/* via audit/merkle.c instead of raw EVP */
	struct bg_merkle_stream ms;
	uint64_t n;
	uint8_t st[64][BG_HASH_LEN];
};

static int
evp_hash(struct bare *b, uint8_t prefix, const void *x, size_t xl,
    const void *y, size_t yl, uint8_t out[BG_HASH_LEN])
{
	unsigned int ol = 0;

	if (EVP_DigestInit_ex2(b->ctx, b->md, NULL) != 1 ||
	    EVP_DigestUpdate(b->ctx, &prefix, 1) != 1 ||
	    EVP_DigestUpdate(b->ctx, x, xl) != 1 ||
	    (yl > 0 && EVP_DigestUpdate(b->ctx, y, yl) != 1) ||
	    EVP_DigestFinal_ex(b->ctx, out, &ol) != 1 || ol != BG_HASH_LEN)
		return -1;
	return 0;
}

static int
bare_add(struct bare *b, const char *line, size_t len)
{
	uint8_t h[BG_HASH_LEN];
	unsigned level = 0;

	if (b->use_merkle)
		return bg_merkle_leaf_hash(line, len, h) != BG_OK ||
		    bg_merkle_stream_add(&b->ms, h, NULL, NULL) != BG_OK ?
		    -1 : 0;
	if (evp_hash(b, 0x00, line, len, NULL, 0, h) != 0)
		return -1;
	for (; (b->n >> level) & 1; level++)
		if (evp_hash(b, 0x01, b->st[level], BG_HASH_LEN, h,
		    BG_HASH_LEN, h) != 0)
			return -1;
	memcpy(b->st[level], h, BG_HASH_LEN);
	b->n++;
	return 0;
}

static int
bare_root(struct bare *b, uint8_t out[BG_HASH_LEN])
{
	unsigned bit;

	if (b->use_merkle)
		return bg_merkle_stream_root(&b->ms, out) == BG_OK ? 0 : -1;
	if (b->n == 0)
		return -1;
	bit = (unsigned)__builtin_ctzll(b->n);
	memcpy(out, b->st[bit], BG_HASH_LEN);
	for (bit++; bit < 64; bit++)
		if (((b->n >> bit) & 1) && evp_hash(b, 0x01, b->st[bit],
		    BG_HASH_LEN, out, BG_HASH_LEN, out) != 0)
			return -1;
	return 0;
}

/* Hashes every line of buf[0..len); returns the bytes consumed. */
static size_t
bare_lines(struct bare *b, const char *buf, size_t len, int *err)
{
	const char *p = buf, *nl;

	while ((nl = memchr(p, '\n', len - (size_t)(p - buf))) != NULL) {
		if (bare_add(b, p, (size_t)(nl - p)) != 0) {
			*err = 1;
			break;
		}
		p = nl + 1;
	}
	return (size_t)(p - buf);
}

static int
bare_file(struct bare *b, int fd, char *buf)
{
	size_t have = 0, used;
	ssize_t got;
	int err = 0;

	while ((got = read(fd, buf + have, CHUNK - have)) > 0) {
		have += (size_t)got;
		used = bare_lines(b, buf, have, &err);
		if (err)
			return -1;
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	return got == 0 && have == 0 ? 0 : -1;
}

/* Leaf and node hashes of entries.jsonl in dir; the root and count. */
static int
bare_hash(const char *dir, int use_merkle, uint64_t *n,
    uint8_t root[BG_HASH_LEN])
{
	char path[BG_PATH_MAX + 16], *buf = NULL;
	struct bare *b = NULL;
	int fd = -1, r = -1;

	snprintf(path, sizeof(path), "%s/" F_ENTRIES, dir);
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (buf = malloc(CHUNK)) == NULL ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		goto out;
	b->use_merkle = use_merkle;
	bg_merkle_stream_init(&b->ms);
	if ((b->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (b->ctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (bare_file(b, fd, buf) == 0 && bare_root(b, root) == 0) {
		*n = use_merkle ? b->ms.size : b->n;
		r = 0;
	}
out:
	if (fd >= 0)
		close(fd);
	if (b != NULL) {
		EVP_MD_CTX_free(b->ctx);
		EVP_MD_free(b->md);
	}
	free(b);
	free(buf);
	return r;
}

/* The root and size of the log's signed checkpoint. */
static int
signed_root(const char *dir, struct bg_checkpoint *cp)
{
	char vkey[BG_NOTE_NAME_MAX + 64], *note = NULL;
	struct bg_note_key key;
	bg_audit_t *log = NULL;
	size_t len;
	int r;

	if ((r = bg_audit_open(dir, BG_AUDIT_READ, &log)) == BG_OK &&
	    (r = bg_audit_verifier_key(log, vkey, sizeof(vkey))) == BG_OK &&
	    (r = bg_note_vkey_parse(vkey, strlen(vkey), &key)) == BG_OK &&
	    (r = bg_audit_checkpoint(log, &note, &len)) == BG_OK)
		r = bg_checkpoint_open(note, len, &key, cp);
	free(note);
	bg_audit_close(&log);
	return r;
}

/* One timed bare hash of the big log; the root must be the signed one. */
static double
time_bare(struct ctx *c, int use_merkle, const struct bg_checkpoint *cp)
{
	uint8_t root[BG_HASH_LEN];
	uint64_t n = 0;
	double t0 = now_s(), t;
	int ok;

	ok = bare_hash(c->big, use_merkle, &n, root) == 0;
	t = now_s() - t0;
	if (!check(c, ok && n == cp->size && memcmp(root, cp->root,
	    BG_HASH_LEN) == 0, use_merkle ? "c) bare hashing via merkle.c "
	    "gives the signed root" : "c) bare EVP hashing gives the signed "
	    "root", BG_OK))
		return -1;
	return (double)n / t;
}

static double
time_verify(struct ctx *c)
{
	double t0 = now_s(), t;

	if (verify_ok(c, c->big, c->big_n, "c) bg_audit_verify") != 0)
		return -1;
	t = now_s() - t0;
	return (double)c->big_n / t;
}

#define C_ROUNDS_FULL 3

static int
verify_rounds(struct ctx *c, const struct bg_checkpoint *cp, double v[],
    double b[], double m[], double ratio[])
{
	unsigned rounds = c->quick ? 1 : C_ROUNDS_FULL, k;

	for (k = 0; k < rounds; k++) {
		if (k % 2 == 0) {
			b[k] = time_bare(c, 0, cp);
			v[k] = time_verify(c);
		} else {
			v[k] = time_verify(c);
			b[k] = time_bare(c, 0, cp);
		}
		m[k] = time_bare(c, 1, cp);
		if (v[k] < 0 || b[k] < 0 || m[k] < 0)
			return -1;
		ratio[k] = v[k] / b[k];
		printf("  c) round %u/%u: verify %.0f/s, bare EVP %.0f/s, "
		    "bare via merkle.c %.0f/s, ratio %.3f\n", k + 1, rounds,
		    v[k], b[k], m[k], ratio[k]);
	}
	return (int)rounds;
}

/*
 * Runs this program as "--child-verify DIR" in a fresh process (exec, so
 * nothing of this one's heap is counted), which prints its VmHWM in KiB
 * after the setup and after bg_audit_verify. 0 or -1.
 */
static int
child_hwm(struct ctx *c, long *before, long *after)
{
	char out[128];
	ssize_t n;
	size_t have = 0;
	int p[2], status, ok;
	pid_t pid;

	fflush(NULL);
	if (pipe(p) != 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(p[1], STDOUT_FILENO) >= 0)
			execl(c->exe, c->exe, "--child-verify", c->big,
			    (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (have < sizeof(out) - 1 &&
	    (n = read(p[0], out + have, sizeof(out) - 1 - have)) > 0)
		have += (size_t)n;
	out[have] = '\0';
	close(p[0]);
	ok = waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0 &&
	    sscanf(out, "%ld %ld", before, after) == 2;
	return ok ? 0 : -1;
}

static void
bench_verify_memory(struct ctx *c)
{
	long before = 0, after = 0;
	struct row *w;
	double mib;

	if (!check(c, child_hwm(c, &before, &after) == 0,
	    "c) verify in a child process", BG_EINTERNAL))
		return;
	mib = (double)(after - before) / 1024.0;
	printf("  c) child VmHWM: %.2f MiB after setup, %.2f MiB after "
	    "verify\n", (double)before / 1024.0, (double)after / 1024.0);
	w = add_row(c, "c) verify peak memory", "< 16 MiB");
	snprintf(w->ours, sizeof(w->ours), "+%.2f MiB", mib);
	snprintf(w->base, sizeof(w->base), "%.1f MiB setup",
	    (double)before / 1024.0);
	verdict(c, w, mib < 16.0);
}

static void
verify_rows(struct ctx *c, double v[], double b[], double m[],
    double ratio[], int n)
{
	double mv = median(v, (size_t)n), mb = median(b, (size_t)n);
	double mm = median(m, (size_t)n), mr = median(ratio, (size_t)n);
	struct row *w;

	w = add_row(c, "c) verify rate (median)", ">= 1M/s");
	fmt_rate(w->ours, sizeof(w->ours), mv);
	verdict(c, w, mv >= 1e6);
	w = add_row(c, "c) verify vs bare EVP hashing", ">= 0.50");
	fmt_rate(w->ours, sizeof(w->ours), mv);
	fmt_rate(w->base, sizeof(w->base), mb);
	snprintf(w->ratio, sizeof(w->ratio), "%.2f", mr);
	verdict(c, w, mr >= 0.5);
	w = add_row(c, "c) (bare hashing via merkle.c)", "-");
	fmt_rate(w->ours, sizeof(w->ours), mv);
	fmt_rate(w->base, sizeof(w->base), mm);
	snprintf(w->ratio, sizeof(w->ratio), "%.2f", mv / mm);
}

static void
bench_verify(struct ctx *c)
{
	double v[C_ROUNDS_FULL], b[C_ROUNDS_FULL], m[C_ROUNDS_FULL];
	double ratio[C_ROUNDS_FULL], fe, ft;
	char path[BG_PATH_MAX + 16];
	struct bg_checkpoint cp;
	int n, r;

	if (build_big(c) != BG_OK)
		return;
	r = signed_root(c->big, &cp);
	if (!check(c, r == BG_OK && cp.size == c->big_n,
	    "c) reading the signed checkpoint", r))
		return;
	snprintf(path, sizeof(path), "%s/" F_ENTRIES, c->big);
	fe = resident(path);
	snprintf(path, sizeof(path), "%s/" F_TREE, c->big);
	ft = resident(path);
	printf("  c) page cache before verify: entries.jsonl %.0f%%, tree "
	    "%.0f%% resident (%s cache)\n", 100 * fe, 100 * ft,
	    fe > 0.99 && ft > 0.99 ? "warm" : "partly cold");
	if ((n = verify_rounds(c, &cp, v, b, m, ratio)) <= 0)
		return;
	verify_rows(c, v, b, m, ratio, n);
	bench_verify_memory(c);
}

/* VmHWM (peak resident set) of this process in KiB, or -1. */
static long
vm_hwm(void)
{
	char line[256];
	long kib = -1;
	FILE *f;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* The measured child: the setup a verify needs, then the verify. */
static int
child_verify(const char *dir)
{
	struct bg_audit_verify_result res;
	uint8_t h[BG_HASH_LEN];
	long before, after;
	int r;

	/* OpenSSL loaded and SHA-256 fetched before the first reading */
	if (bg_merkle_empty_root(h) != BG_OK)
		return 1;
	before = vm_hwm();
	r = bg_audit_verify(dir, NULL, &res);
	after = vm_hwm();
	printf("%ld %ld\n", before, after);
	return r == BG_OK && before > 0 && after > 0 ? 0 : 1;
}

/* --------------------------------------------------------------- d) proofs */

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct leaf_check {
	const uint8_t *want;
	int ok;
};

static int
leaf_cb(void *ctx, uint64_t seq, const char *line, size_t len)
{
	struct leaf_check *lc = ctx;
	uint8_t h[BG_HASH_LEN];

	(void)seq;
	lc->ok = bg_merkle_leaf_hash(line, len, h) == BG_OK &&
	    memcmp(h, lc->want, BG_HASH_LEN) == 0;
	return 0;
}

/* The proof checks, is for seq, and (every 97th) its leaf is the entry's. */
static int
proof_ok(bg_audit_t *log, const struct bg_audit_proof *p, uint64_t seq,
    uint64_t n, unsigned k)
{
	struct leaf_check lc = { p->leaf, 0 };

	if (p->index != seq || p->size != n || bg_audit_check_inclusion(p) !=
	    BG_OK)
		return 0;
	if (k % 97 != 0)
		return 1;
	return bg_audit_foreach(log, seq, seq + 1, leaf_cb, &lc) == BG_OK &&
	    lc.ok;
}

static int
prove_all(struct ctx *c, bg_audit_t *log, double *us, unsigned np)
{
	struct bg_audit_proof *p;
	uint64_t rng = 0x9e3779b97f4a7c15u, seq;
	unsigned k;
	double t0;
	int r = BG_OK;

	if ((p = malloc(sizeof(*p))) == NULL)
		return BG_ENOMEM;
	for (k = 0; k < np; k++) {
		seq = xorshift(&rng) % c->big_n;
		t0 = now_s();
		r = bg_audit_prove(log, seq, 0, p);
		us[k] = (now_s() - t0) * 1e6;
		if (r != BG_OK || !proof_ok(log, p, seq, c->big_n, k)) {
			check(c, 0, "d) bg_audit_prove gives a proof that "
			    "checks", r);
			r = r != BG_OK ? r : BG_EPROOF;
			break;
		}
	}
	free(p);
	return r;
}

static void
bench_prove(struct ctx *c)
{
	unsigned np = c->quick ? 200 : 10000, k;
	bg_audit_t *log = NULL;
	double *us = NULL, sum = 0, p99;
	struct row *w;
	int r;

	if (c->big_n == 0)
		return;
	printf("d) %u inclusion proofs in the %" PRIu64 "-entry log\n", np,
	    c->big_n);
	r = bg_audit_open(c->big, BG_AUDIT_READ, &log);
	if (!check(c, r == BG_OK, "d) opening the log to read", r) ||
	    !check(c, (us = calloc(np, sizeof(*us))) != NULL, "d) memory",
	    BG_ENOMEM))
		goto out;
	if (prove_all(c, log, us, np) != BG_OK)
		goto out;
	for (k = 0; k < np; k++)
		sum += us[k];
	qsort(us, np, sizeof(*us), cmp_double);
	p99 = us[(np * 99 + 99) / 100 - 1];	/* nearest rank */
	printf("  d) mean %.1f us, p50 %.1f us, p99 %.1f us, max %.1f us\n",
	    sum / np, us[np / 2], p99, us[np - 1]);
	w = add_row(c, "d) inclusion proof, mean", "< 1000 us");
	snprintf(w->ours, sizeof(w->ours), "%.1f us", sum / np);
	verdict(c, w, sum / np < 1000);
	w = add_row(c, "d) inclusion proof, p99", "< 1000 us");
	snprintf(w->ours, sizeof(w->ours), "%.1f us", p99);
	verdict(c, w, p99 < 1000);
out:
	free(us);
	bg_audit_close(&log);
}

/* ------------------------------------------------------------------ main */

static void
print_table(const struct ctx *c)
{
	size_t i;

	printf("\n%s%-32s %-14s %-17s %-6s %-11s %s\n", c->quick ?
	    "quick mode: sizes are tiny, the numbers mean nothing\n" : "",
	    "item", "ours", "baseline", "ratio", "target", "result");
	for (i = 0; i < c->nrows; i++)
		printf("%-32s %-14s %-17s %-6s %-11s %s\n", c->rows[i].item,
		    c->rows[i].ours, c->rows[i].base, c->rows[i].ratio,
		    c->rows[i].target, c->rows[i].verdict);
}

static int
usage(void)
{
	fprintf(stderr, "usage: bench_audit [--quick] [--dir DIR] [--keep]\n");
	return 2;
}

static int
parse_args(struct ctx *c, int argc, char **argv, const char **dir)
{
	int i;

	*dir = NULL;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			c->quick = 1;
		else if (strcmp(argv[i], "--keep") == 0)
			c->keep = 1;
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			*dir = argv[++i];
		else
			return -1;
	}
	return 0;
}

static int
run(struct ctx *c, const char *dir)
{
	ssize_t n;

	if ((n = readlink("/proc/self/exe", c->exe, sizeof(c->exe) - 1)) <= 0)
		return check(c, 0, "finding /proc/self/exe", BG_EIO), 1;
	c->exe[n] = '\0';
	if (make_work(c, dir) != 0)
		return 1;
	if (!check(c, workload_init(c) == BG_OK, "building the workload",
	    BG_ENOMEM))
		goto out;
	bench_durable(c);
	bench_batch(c);
	bench_verify(c);
	bench_prove(c);
	print_table(c);
out:
	workload_free(c);
	if (c->keep)
		printf("kept %s\n", c->work);
	else
		rm_tree(c->work);
	if (c->failed)
		fprintf(stderr, "bench_audit: a benchmark gave a wrong result\n");
	return c->failed ? 1 : 0;
}

int
main(int argc, char **argv)
{
	struct ctx *c;
	const char *dir;
	int r;

	if (argc == 3 && strcmp(argv[1], "--child-verify") == 0)
		return child_verify(argv[2]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return 1;
	if (parse_args(c, argc, argv, &dir) != 0) {
		free(c);
		return usage();
	}
	r = run(c, dir);
	free(c);
	return r;
}
