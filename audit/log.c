/* Opening, creating and reading the audit log. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "common/common.h"
#include "audit/internal.h"

static int
open_at(struct bg_audit *log, const char *name, int flags, int *fd)
{
	*fd = openat(log->dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	return *fd < 0 ? bg_err_from_errno(errno) : BG_OK;
}

static int
log_files(struct bg_audit *log)
{
	int rw = log->writable ? O_RDWR : O_RDONLY;
	int r;

	if ((r = bg_open_dir(log->dir, &log->dirfd)) != BG_OK ||
	    (r = open_at(log, F_ENTRIES, rw | (log->writable ? O_APPEND : 0),
	    &log->entries_fd)) != BG_OK ||
	    (log->writable &&
	    (r = bg_lock_wait(log->entries_fd, LOCK_EX)) != BG_OK) ||
	    (r = open_at(log, F_SLOTS, rw, &log->slots_fd)) != BG_OK ||
	    (r = bg_store_open(log->dirfd, log->writable, &log->store)) != BG_OK)
		return r;
	return bg_keys_load_vkey(log->dir, &log->key);
}

/* The signing key must be the one the verifier key names. */
static int
log_signing_key(struct bg_audit *log)
{
	uint8_t pub[32];
	int r;

	if ((r = bg_keys_load_priv(log->dir, &log->priv)) != BG_OK ||
	    (r = bg_ed25519_public(log->priv, pub)) != BG_OK)
		return r;
	return bg_ct_memcmp(pub, log->key.pub, 32) == 0 ? BG_OK : BG_ETAMPER;
}

static struct bg_audit *
log_new(const char *dir, int writable)
{
	struct bg_audit *log;

	if ((log = calloc(1, sizeof(*log))) == NULL)
		return NULL;
	log->dirfd = log->entries_fd = log->slots_fd = -1;
	log->store.tree_fd = log->store.index_fd = -1;
	log->writable = writable;
	if ((log->dir = strdup(dir)) == NULL) {
		free(log);
		return NULL;
	}
	return log;
}

/* Opens the log; rebuild (writers) makes the derived files again. */
static int
log_open(const char *dir, enum bg_audit_mode mode, int rebuild,
    bg_audit_t **out)
{
	struct bg_audit *log;
	int r;

	bg_clear_why();
	if (dir == NULL || out == NULL)
		return BG_EINVAL;
	*out = NULL;
	if ((log = log_new(dir, mode == BG_AUDIT_WRITE)) == NULL)
		return BG_ENOMEM;
	log->rebuild = rebuild;
	if ((r = log_files(log)) == BG_OK) {
		if (log->writable && (r = log_signing_key(log)) == BG_OK)
			r = bg_recover(log);
		else if (!log->writable)
			r = bg_reader_state(log);
	}
	if (r != BG_OK) {
		bg_audit_close(&log);
		return r;
	}
	*out = log;
	return BG_OK;
}

int
bg_audit_open(const char *dir, enum bg_audit_mode mode, bg_audit_t **out)
{
	return log_open(dir, mode, 0, out);
}

int
bg_audit_rebuild(const char *dir)
{
	bg_audit_t *log = NULL;
	int r = log_open(dir, BG_AUDIT_WRITE, 1, &log);

	bg_audit_close(&log);
	return r;
}

void
bg_audit_close(bg_audit_t **logp)
{
	struct bg_audit *log;

	if (logp == NULL || (log = *logp) == NULL)
		return;
	bg_signer_stop(log);
	if (log->writable && log->note_stale && !log->poisoned)
		(void)bg_log_write_plain(log);
	bg_store_close(&log->store);
	if (log->slots_fd >= 0)
		close(log->slots_fd);
	if (log->entries_fd >= 0)
		close(log->entries_fd);	/* releases the lock */
	if (log->dirfd >= 0)
		close(log->dirfd);
	EVP_PKEY_free(log->priv);
	free(log->note);
	free(log->dir);
	free(log);
	*logp = NULL;
}

int
bg_log_write_plain(struct bg_audit *log)
{
	char path[BG_PATH_MAX];
	int r;

	if ((r = bg_path_join(path, sizeof(path), log->dir, F_CHECKPOINT)) != BG_OK ||
	    (r = bg_file_replace(path, log->note, log->note_len, 0644)) != BG_OK)
		return r;
	log->note_stale = 0;
	return BG_OK;
}

uint64_t
bg_audit_size(const bg_audit_t *log)
{
	return log == NULL ? 0 : log->size;
}

int
bg_audit_leaf_hash(const char *line, size_t len, uint8_t out[32])
{
	return bg_merkle_leaf_hash(line, len, out);
}

const char *
bg_audit_origin(const bg_audit_t *log)
{
	return log == NULL ? NULL : log->key.name;
}

int
bg_audit_checkpoint(const bg_audit_t *log, char **note, size_t *len)
{
	if (log == NULL || note == NULL || len == NULL)
		return BG_EINVAL;
	if ((*note = malloc(log->note_len + 1)) == NULL)
		return BG_ENOMEM;
	memcpy(*note, log->note, log->note_len);
	(*note)[log->note_len] = '\0';
	*len = log->note_len;
	return BG_OK;
}

int
bg_audit_verifier_key(const bg_audit_t *log, char *out, size_t outsz)
{
	if (log == NULL || out == NULL)
		return BG_EINVAL;
	return bg_note_vkey_format(&log->key, out, outsz);
}

/*
 * The index said where entry seq starts: a line there that is not entry
 * seq is a derived file gone wrong (a power loss), not the entries.
 */
static int
first_is(const char *line, size_t len, uint64_t seq)
{
	char t[BG_TIME_LEN + 1];
	uint64_t got;

	if (bg_entry_scan(line, len, &got, t) == BG_OK && got == seq)
		return BG_OK;
	bg_audit_set_why("audit/index (derived entry offsets) does not point "
	    "at entry %" PRIu64 ": not written back before a power loss, or "
	    "damaged; 'breakglass audit verify' checks the entries and "
	    "rebuilds it", seq);
	return BG_ERECOVER;
}

int
bg_audit_foreach(bg_audit_t *log, uint64_t first, uint64_t last,
    bg_audit_entry_fn fn, void *ctx)
{
	struct bg_lines lr;
	const char *line;
	uint64_t seq, start = 0;
	size_t len;
	int r;

	if (log == NULL || fn == NULL)
		return BG_EINVAL;
	if (last > log->size)
		last = log->size;
	if (first >= last)
		return BG_OK;
	if (first > 0 && (r = bg_store_end(&log->store, first - 1, &start)) != BG_OK)
		return r;
	if ((r = bg_lines_init(&lr, log->entries_fd, start, 1 << 16)) != BG_OK)
		return r;
	for (seq = first; seq < last; seq++) {
		if ((r = bg_lines_next(&lr, &line, &len)) != 1) {
			r = r == 0 ? BG_ETAMPER : r;	/* shorter than indexed */
			break;
		}
		if (seq == first && (r = first_is(line, len, seq)) != BG_OK)
			break;
		if ((r = fn(ctx, seq, line, len)) != 0)
			break;
	}
	bg_lines_free(&lr);
	return r;
}

struct copy {
	char *line;
	size_t len;
};

static int
copy_line(void *ctx, uint64_t seq, const char *line, size_t len)
{
	struct copy *c = ctx;

	(void)seq;
	if ((c->line = malloc(len + 1)) == NULL)
		return BG_ENOMEM;
	memcpy(c->line, line, len);
	c->line[len] = '\0';
	c->len = len;
	return BG_OK;
}

int
bg_audit_entry_at(bg_audit_t *log, uint64_t seq, char **line, size_t *len)
{
	struct copy c = { NULL, 0 };
	int r;

	*line = NULL;
	if (log == NULL || seq >= log->size)
		return log == NULL ? BG_EINVAL : BG_ENOENT;
	if ((r = bg_audit_foreach(log, seq, seq + 1, copy_line, &c)) != BG_OK) {
		free(c.line);
		return r;
	}
	if (c.line == NULL)
		return BG_EINTERNAL;
	*line = c.line;
	*len = c.len;
	return BG_OK;
}

/* The frontier is the merkle stream under a name of audit.h's. */
_Static_assert(sizeof(struct bg_audit_frontier) ==
    sizeof(struct bg_merkle_stream), "frontier and stream differ");

void
bg_audit_frontier_init(struct bg_audit_frontier *f)
{
	memset(f, 0, sizeof(*f));
}

int
bg_audit_frontier_add(struct bg_audit_frontier *f, const char *line,
    size_t len)
{
	struct bg_merkle_stream s;
	uint8_t leaf[BG_HASH_LEN];
	int r;

	if ((r = bg_merkle_leaf_hash(line, len, leaf)) != BG_OK)
		return r;
	memcpy(&s, f, sizeof(s));
	if ((r = bg_merkle_stream_add(&s, leaf, NULL, NULL)) == BG_OK)
		memcpy(f, &s, sizeof(s));
	return r;
}

int
bg_audit_frontier_root(const struct bg_audit_frontier *f, uint8_t root[32])
{
	struct bg_merkle_stream s;

	memcpy(&s, f, sizeof(s));
	return bg_merkle_stream_root(&s, root);
}

void
bg_audit_signed_root(const bg_audit_t *log, uint8_t root[32])
{
	memcpy(root, log->root, BG_HASH_LEN);
}

/* The time of entry seq, its line read through the offset index. */
static int
time_at(bg_audit_t *log, uint64_t seq, char t[BG_TIME_LEN + 1])
{
	uint64_t start = 0, end, got;
	char *line;
	int r;

	if ((seq > 0 && (r = bg_store_end(&log->store, seq - 1, &start)) !=
	    BG_OK) || (r = bg_store_end(&log->store, seq, &end)) != BG_OK)
		return r;
	if (end <= start + 1 || end - start > BG_AUDIT_ENTRY_MAX + 1)
		return first_is("", 0, seq);	/* the index is damaged */
	if ((line = malloc((size_t)(end - start))) == NULL)
		return BG_ENOMEM;
	r = bg_pread_all(log->entries_fd, line, (size_t)(end - start),
	    (off_t)start);
	if (r == BG_OK && (bg_entry_scan(line, (size_t)(end - start - 1), &got,
	    t) != BG_OK || got != seq))
		r = first_is("", 0, seq);
	free(line);
	return r;
}

int
bg_audit_seek_time(bg_audit_t *log, const char *t, uint64_t *seq)
{
	char at[BG_TIME_LEN + 1];
	uint64_t lo = 0, hi, mid;
	int r;

	if (log == NULL || t == NULL)
		return BG_EINVAL;
	for (hi = log->size; lo < hi;) {
		mid = lo + (hi - lo) / 2;
		if ((r = time_at(log, mid, at)) != BG_OK)
			return r;
		if (strcmp(at, t) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*seq = lo;
	return BG_OK;
}

/* ------------------------------------------------------------------ init */

static int
random_origin(char *out, size_t outsz)
{
	uint8_t id[8];
	char hex[17];

	if (RAND_bytes(id, sizeof(id)) != 1)
		return BG_ECRYPTO;
	bg_hex_encode(id, sizeof(id), hex, sizeof(hex));
	if (snprintf(out, outsz, "breakglass.local/audit/%s", hex) >= (int)outsz)
		return BG_ETOOBIG;
	return BG_OK;
}

static int
create_empty(const char *dir, const char *name, size_t size)
{
	char path[BG_PATH_MAX];
	void *zero;
	int r;

	if ((r = bg_path_join(path, sizeof(path), dir, name)) != BG_OK)
		return r;
	if ((zero = calloc(1, size + 1)) == NULL)
		return BG_ENOMEM;
	r = bg_file_create_excl(path, zero, size, 0600);
	free(zero);
	return r;
}

/* Writes the empty tree's checkpoint into slot 0. */
static int
init_checkpoint(const char *dir, EVP_PKEY *priv, const char *origin)
{
	char path[BG_PATH_MAX], *note = NULL;
	uint8_t root[BG_HASH_LEN];
	size_t len;
	int fd, r;

	if ((r = bg_merkle_empty_root(root)) != BG_OK ||
	    (r = bg_checkpoint_sign(priv, origin, 0, root, &note, &len)) != BG_OK ||
	    (r = bg_path_join(path, sizeof(path), dir, F_SLOTS)) != BG_OK)
		goto out;
	if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		r = bg_err_from_errno(errno);
		goto out;
	}
	if ((r = bg_slots_write(fd, 0, 1, note, len)) == BG_OK &&
	    fdatasync(fd) != 0)
		r = bg_io_err(-1);
	close(fd);
out:
	free(note);
	return r;
}

static int
init_files(const char *dir, const char *origin)
{
	struct bg_note_key key;
	EVP_PKEY *priv = NULL;
	int r;

	if ((r = bg_keys_create(dir, origin, &priv, &key)) != BG_OK)
		return r;
	if ((r = create_empty(dir, F_ENTRIES, 0)) == BG_OK &&
	    (r = create_empty(dir, F_SLOTS, 2 * BG_SLOT_SIZE)) == BG_OK &&
	    (r = create_empty(dir, F_TREE, 0)) == BG_OK &&
	    (r = create_empty(dir, F_INDEX, 0)) == BG_OK)
		r = init_checkpoint(dir, priv, origin);
	EVP_PKEY_free(priv);
	return r;
}

static int
init_entry(const char *dir, const char *origin)
{
	struct bg_audit_event ev = { "audit.init", "breakglass", "", "", NULL };
	char vkey[BG_NOTE_NAME_MAX + 64];
	bg_audit_t *log = NULL;
	cJSON *detail;
	int r;

	if ((r = bg_audit_open(dir, BG_AUDIT_WRITE, &log)) != BG_OK)
		return r;
	r = BG_ENOMEM;
	if ((detail = cJSON_CreateObject()) != NULL &&
	    bg_audit_verifier_key(log, vkey, sizeof(vkey)) == BG_OK &&
	    cJSON_AddStringToObject(detail, "origin", origin) != NULL &&
	    cJSON_AddStringToObject(detail, "verifier_key", vkey) != NULL) {
		ev.detail = detail;
		r = bg_audit_append(log, &ev, NULL);
	}
	cJSON_Delete(detail);
	bg_audit_close(&log);
	return r;
}

/* Removes a directory that init was building: its files, then itself. */
static void
remove_partial(const char *tmp)
{
	char path[BG_PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(tmp)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' &&
		    bg_path_join(path, sizeof(path), tmp, de->d_name) == BG_OK)
			unlink(path);
	closedir(d);
	rmdir(tmp);
}

/* dir must not exist, or be an empty directory (removed when asked). */
static int
init_target_free(const char *dir, int remove)
{
	struct dirent *de;
	struct stat sb;
	int empty = 1;
	DIR *d;

	if (lstat(dir, &sb) != 0)
		return errno == ENOENT ? BG_OK : bg_err_from_errno(errno);
	if (S_ISDIR(sb.st_mode) && (d = opendir(dir)) != NULL) {
		while (empty && (de = readdir(d)) != NULL)
			empty = strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0;
		closedir(d);
		if (empty && (!remove || rmdir(dir) == 0))
			return BG_OK;
	}
	bg_audit_set_why("%s already exists", dir);
	return BG_EEXIST;
}

static int
fsync_parent(const char *dir)
{
	char parent[BG_PATH_MAX], *slash;

	if (strlen(dir) >= sizeof(parent))
		return BG_ETOOBIG;
	memcpy(parent, dir, strlen(dir) + 1);
	if ((slash = strrchr(parent, '/')) == NULL)
		return bg_fsync_dir(".");
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	return bg_fsync_dir(parent);
}

/*
 * The log is built in a temporary sibling directory and renamed into
 * place complete, so a failure leaves either no log or a whole one.
 */
int
bg_audit_init(const char *dir, const char *origin)
{
	char gen[BG_NOTE_NAME_MAX + 1], tmp[BG_PATH_MAX];
	int r;

	bg_clear_why();
	if (dir == NULL)
		return BG_EINVAL;
	if (origin == NULL) {
		if ((r = random_origin(gen, sizeof(gen))) != BG_OK)
			return r;
		origin = gen;
	}
	if (!bg_note_name_ok(origin))
		return BG_EINVAL;
	if ((r = init_target_free(dir, 0)) != BG_OK)
		return r;
	if (snprintf(tmp, sizeof(tmp), "%s.init-XXXXXX", dir) >= (int)sizeof(tmp))
		return BG_ETOOBIG;
	if (mkdtemp(tmp) == NULL)
		return bg_err_from_errno(errno);
	if ((r = init_files(tmp, origin)) == BG_OK &&
	    (r = init_entry(tmp, origin)) == BG_OK &&
	    (r = init_target_free(dir, 1)) == BG_OK &&
	    rename(tmp, dir) != 0)
		r = bg_err_from_errno(errno);
	if (r != BG_OK) {
		remove_partial(tmp);
		return r;
	}
	return fsync_parent(dir);
}

/* ----------------------------------------------------------------- clock */

/* n decimal digits at s. */
static int
time_field(const char *s, size_t n, int *out)
{
	size_t i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*out = *out * 10 + (s[i] - '0');
	}
	return 1;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
month_days(int y, int m)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return mdays[m - 1] + (m == 2 && leap);
}

int
bg_time_ms(const char *t, int64_t *ms)
{
	static const char form[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	int y, mo, d, h, mi, s, f;
	size_t i;

	if (t == NULL || strlen(t) != BG_TIME_LEN)
		return BG_EFORMAT;
	for (i = 0; i < BG_TIME_LEN; i++)
		if (form[i] != 'd' && t[i] != form[i])
			return BG_EFORMAT;
	if (!time_field(t, 4, &y) || !time_field(t + 5, 2, &mo) ||
	    !time_field(t + 8, 2, &d) || !time_field(t + 11, 2, &h) ||
	    !time_field(t + 14, 2, &mi) || !time_field(t + 17, 2, &s) ||
	    !time_field(t + 20, 3, &f))
		return BG_EFORMAT;
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 ||
	    mi > 59 || s > 59)
		return BG_EFORMAT;
	*ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 +
	    (int64_t)s * 1000 + f;
	return BG_OK;
}

int
bg_skew_detail(const char *prev, const char *now, cJSON **out)
{
	int64_t a, b;
	cJSON *d;

	*out = NULL;
	if (bg_time_ms(prev, &a) != BG_OK || bg_time_ms(now, &b) != BG_OK ||
	    b >= a)
		return BG_EINTERNAL;
	if ((d = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(d, "previous", prev) == NULL ||
	    cJSON_AddStringToObject(d, "now", now) == NULL ||
	    cJSON_AddNumberToObject(d, "back_ms", (double)(a - b)) == NULL) {
		cJSON_Delete(d);
		return BG_ENOMEM;
	}
	*out = d;
	return BG_OK;
}

int
bg_skew_check(const struct bg_audit_entry *e, const char *prev)
{
	static const char *const keys[] = { "previous", "now", "back_ms",
	    NULL };
	const char *p, *n;
	uint64_t back;
	int64_t a, b;

	if (strcmp(e->event, BG_AUDIT_CLOCK_SKEW) != 0 ||
	    strcmp(e->actor, "breakglass") != 0 || e->account[0] != '\0' ||
	    e->request[0] != '\0' ||
	    bg_json_only_keys(e->detail, keys) != BG_OK ||
	    bg_json_get_str(e->detail, "previous", BG_TIME_LEN, &p) != BG_OK ||
	    bg_json_get_str(e->detail, "now", BG_TIME_LEN, &n) != BG_OK ||
	    bg_json_get_u64(e->detail, "back_ms", 1, BG_JSON_INT_MAX,
	    &back) != BG_OK)
		return BG_ETAMPER;
	if (strcmp(p, prev) != 0 || strcmp(n, e->time) != 0 ||
	    bg_time_ms(p, &a) != BG_OK || bg_time_ms(n, &b) != BG_OK ||
	    b >= a || (uint64_t)(a - b) != back)
		return BG_ETAMPER;
	return BG_OK;
}
