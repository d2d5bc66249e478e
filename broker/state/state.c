/* The state directory: audited, atomic JSON files (see state.h). */
#define _GNU_SOURCE	/* memmem */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/common.h"
#include "broker/alerts/alerts.h"
#include "broker/state/state.h"
#include "broker/state/internal.h"

static const char *const state_files[] = { "vault.json", "breakglass.json",
    NULL };
/* Directories of nested state files, each written through bg_state_write. */
static const char *const nested_dirs[] = { "requests", "rekeys", "changes",
    "chain", NULL };
#define PENDING ".pending"

static int recover_pending(struct bg_state *st);

/* ------------------------------------------------------------- actor */

static char default_actor[BG_AUDIT_FIELD_MAX + 1] = BG_STATE_SYSTEM_ACTOR;
static char peer[BG_AUDIT_FIELD_MAX + 1];
int
bg_state_set_peer(const char *p)
{
	if (p == NULL) {
		peer[0] = '\0';
		return BG_OK;
	}
	if (strlen(p) >= sizeof(peer) || !bg_text_ok(p, 0))
		return BG_EINVAL;
	memcpy(peer, p, strlen(p) + 1);
	return BG_OK;
}

int
bg_state_set_actor(const char *name)
{
	if (name == NULL || name[0] == '\0' ||
	    strlen(name) >= sizeof(default_actor) ||
	    !bg_text_ok(name, 0))
		return BG_EINVAL;
	memcpy(default_actor, name, strlen(name) + 1);
	return BG_OK;
}

const char *
bg_state_actor(void)
{
	return default_actor;
}

/* ------------------------------------------------------- permissions */

/*
 * What a command opens in the state directory must be the owner's alone
 * (docs/design.md §7): the directories, every file and subdirectory
 * directly in them, and the signing key, which nobody else may read.
 * Entries are judged by fstatat without following links; the files a
 * command reads are judged again on the descriptor it reads
 * (bg_file_read_checked), so a swap after this sweep is caught there.
 */
static int
check_dir_entries(const char *dir, const char *secret)
{
	char path[BG_PATH_MAX];
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int fd, r;

	if ((r = bg_path_check(dir, BG_PERM_DIR)) != BG_OK)
		return r;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) <
	    0)
		return bg_err_from_errno(errno);
	if ((d = fdopendir(fd)) == NULL) {
		r = bg_err_from_errno(errno);
		(void)close(fd);
		return r;
	}
	while (r == BG_OK && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (bg_path_join(path, sizeof(path), dir, de->d_name) != BG_OK)
			r = BG_ETOOBIG;
		else if (fstatat(fd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
			r = errno == ENOENT ? BG_OK : bg_err_from_errno(errno);
		else if (S_ISLNK(sb.st_mode)) {
			bg_set_why("%s is a symbolic link; put the file itself "
			    "there", path);
			r = BG_EPERM;
		} else
			r = bg_perm_check(path, &sb, secret != NULL &&
			    strcmp(de->d_name, secret) == 0 ? BG_PERM_SECRET : 0);
	}
	closedir(d);
	return r;
}

int
bg_state_check_perms(const char *dir)
{
	char audit_dir[BG_PATH_MAX];
	int r;

	if (dir == NULL)
		return BG_EINVAL;
	if ((r = bg_path_join(audit_dir, sizeof(audit_dir), dir, "audit")) !=
	    BG_OK)
		return r;
	if ((r = check_dir_entries(dir, NULL)) != BG_OK)
		return r;
	r = check_dir_entries(audit_dir, "signing.key");
	return r == BG_ENOENT ? BG_OK : r;	/* no log yet: init makes it */
}

/* ------------------------------------------------------------- open */

int
bg_state_open(struct bg_state *st, const char *dir)
{
	int r;

	memset(st, 0, sizeof(*st));
	if ((size_t)snprintf(st->dir, sizeof(st->dir), "%s", dir) >=
	    sizeof(st->dir) || bg_path_join(st->audit_dir,
	    sizeof(st->audit_dir), dir, "audit") != BG_OK)
		return BG_ETOOBIG;
	if ((r = bg_state_check_perms(dir)) != BG_OK)
		return r;
	if ((r = bg_audit_open(st->audit_dir, BG_AUDIT_WRITE, &st->log)) != BG_OK)
		return r;
	if ((r = recover_pending(st)) != BG_OK)
		bg_state_close(st);
	else
		bg_state_fold_load(st);
	return r;
}

static void recorded_free(struct bg_state_recorded *rec);

void
bg_state_close(struct bg_state *st)
{
	bg_audit_close(&st->log);
	bg_state_fold_forget(st);
}

void
bg_state_fold_forget(struct bg_state *st)
{
	recorded_free(st->rec);
	st->rec = NULL;
	st->rec_size = 0;
	cJSON_Delete(st->fold_json);
	st->fold_json = NULL;
	st->fold_covers = 0;
}

static int
state_path(const char *dir, const char *name, char *out, size_t outsz)
{
	if (name[0] == '/' || strstr(name, "..") != NULL)
		return BG_EINVAL;
	return bg_path_join(out, outsz, dir, name);
}

/*
 * Reads STATE/name at path, judging the opened file (and the directory
 * of a nested name, e.g. requests/) by the permission rule.
 */
static int
read_checked(const char *dir, const char *name, const char *path, size_t max,
    char **text, size_t *len)
{
	char sub[BG_PATH_MAX];
	const char *slash = strrchr(name, '/');
	int r;

	if (slash != NULL) {
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%.*s", dir,
		    (int)(slash - name), name) >= sizeof(sub))
			return BG_ETOOBIG;
		if ((r = bg_path_check(sub, BG_PERM_DIR)) != BG_OK)
			return r;
	}
	return bg_file_read_checked(path, max, 0, text, len);
}

int
bg_state_read(const struct bg_state *st, const char *name, cJSON **out)
{
	char path[BG_PATH_MAX], *text = NULL;
	size_t len;
	int r;

	*out = NULL;
	if ((r = state_path(st->dir, name, path, sizeof(path))) != BG_OK ||
	    (r = read_checked(st->dir, name, path, BG_STATE_FILE_MAX, &text,
	    &len)) != BG_OK)
		return r;
	if (len > 0 && text[len - 1] == '\n')
		len--;	/* written with one final newline */
	if ((*out = bg_json_parse(text, len)) == NULL) {
		bg_set_why("%s is not valid JSON", name);
		r = BG_EFORMAT;
	}
	free(text);
	return r;
}

static int
sha256_hex(const void *data, size_t len, char hex[65])
{
	uint8_t sum[32];

	if (EVP_Digest(data, len, sum, NULL, EVP_sha256(), NULL) != 1)
		return BG_ECRYPTO;
	return bg_hex_encode(sum, sizeof(sum), hex, 65);
}

/* SHA-256 of a file as it is now; "" when it does not exist. */
static int
file_hash(const char *path, char hex[65])
{
	char *text = NULL;
	size_t len;
	int r;

	hex[0] = '\0';
	if (access(path, F_OK) != 0 && (errno == ENOENT || errno == ENOTDIR))
		return BG_OK;
	if ((r = bg_file_read_checked(path, BG_STATE_FILE_MAX, 0, &text,
	    &len)) == BG_ENOENT)
		return BG_OK;
	if (r == BG_OK)
		r = sha256_hex(text, len, hex);
	free(text);
	return r;
}

struct spool_ctx {
	struct bg_state *st;
	int r;
};

static int
spool_entry(void *ctx, uint64_t seq, const char *line, size_t len)
{
	struct spool_ctx *c = ctx;
	char *cp = NULL;
	size_t cplen;

	(void)seq;
	if ((c->r = bg_audit_checkpoint(c->st->log, &cp, &cplen)) == BG_OK)
		c->r = bg_alert_spool(c->st->dir, c->st->log, line, len, cp,
		    cplen);
	free(cp);
	return c->r;
}

/*
 * Appends ev; then, before the operation it reports goes on, spools the
 * alerts a sink wants for it (fail closed: an alert that cannot be
 * spooled stops the operation, while the entry stays as the record).
 */
static int
append(struct bg_state *st, const struct bg_audit_event *ev)
{
	struct spool_ctx c = { st, BG_OK };
	struct bg_audit_event e = *ev;
	cJSON *d = NULL;
	uint64_t seq;
	int r;

	/* every entry names its actor: the caller's, else the process's */
	if (e.actor == NULL || e.actor[0] == '\0')
		e.actor = default_actor;
	if (peer[0] != '\0') {
		d = ev->detail != NULL ? cJSON_Duplicate(ev->detail, 1) :
		    cJSON_CreateObject();
		if (d == NULL || cJSON_GetObjectItemCaseSensitive(d, "peer") !=
		    NULL || !cJSON_AddStringToObject(d, "peer", peer)) {
			cJSON_Delete(d);
			return d == NULL ? BG_ENOMEM : BG_EINVAL;
		}
		e.detail = d;
	}
	r = bg_audit_append(st->log, &e, &seq);
	cJSON_Delete(d);
	if (r != BG_OK)
		return r;
	if ((r = bg_audit_foreach(st->log, seq, seq + 1, spool_entry, &c)) !=
	    BG_OK || c.r != BG_OK) {
		bg_set_why("the alert for this entry cannot be spooled: %s",
		    bg_strerror(r != BG_OK ? r : c.r));
		return r != BG_OK ? r : c.r;
	}
	return BG_OK;
}

/* ev with a detail that also names the file and its hash. */
static int
record(struct bg_state *st, const struct bg_audit_event *ev, const char *name,
    const char *hex)
{
	struct bg_audit_event e = *ev;
	cJSON *d;
	int r = BG_ENOMEM;

	d = ev->detail != NULL ? cJSON_Duplicate(ev->detail, 1) :
	    cJSON_CreateObject();
	if (d != NULL && cJSON_AddStringToObject(d, "file", name) != NULL &&
	    cJSON_AddStringToObject(d, "sha256", hex) != NULL) {
		e.detail = d;
		r = append(st, &e);
	}
	cJSON_Delete(d);
	return r;
}

/* Creates the directory of a nested state file (requests/). */
static int
parent_dir(const char *dir, const char *name)
{
	char sub[128], path[BG_PATH_MAX];
	const char *slash = strrchr(name, '/');
	size_t n;

	if (slash == NULL)
		return BG_OK;
	if ((n = (size_t)(slash - name)) >= sizeof(sub))
		return BG_ETOOBIG;
	memcpy(sub, name, n);
	sub[n] = '\0';
	if (bg_path_join(path, sizeof(path), dir, sub) != BG_OK)
		return BG_ETOOBIG;
	return bg_mkdir_private(path);
}

static void
record_failure(struct bg_state *st, const char *name, const char *path, int err)
{
	struct bg_audit_event ev = { "state.write_failed", "breakglass", "", "",
	    NULL };
	char hex[65];
	cJSON *d = cJSON_CreateObject();

	if (d != NULL && file_hash(path, hex) == BG_OK &&
	    cJSON_AddStringToObject(d, "error", bg_strerror(err)) != NULL) {
		ev.detail = d;
		(void)record(st, &ev, name, hex);
	}
	cJSON_Delete(d);
}

/* STATE/name.pending: the new version, before its audit entry exists. */
static int
pending_path(const char *path, char *out, size_t outsz)
{
	return (size_t)snprintf(out, outsz, "%s" PENDING, path) >= outsz ?
	    BG_ETOOBIG : BG_OK;
}

/*
 * The new version goes to name.pending (synced) first, then its audit
 * entry, then the rename: a crash at any point leaves either a pending
 * file the log does not name (rolled back on the next open) or one it
 * names (rolled forward), never a file the log disagrees with.
 */
static int
write_text(struct bg_state *st, const char *name, const char *path,
    const char *text, size_t len, const struct bg_audit_event *ev)
{
	char pend[BG_PATH_MAX], hex[65];
	int r;

	if ((r = sha256_hex(text, len, hex)) != BG_OK ||
	    (r = pending_path(path, pend, sizeof(pend))) != BG_OK ||
	    (r = parent_dir(st->dir, name)) != BG_OK ||
	    (r = bg_file_replace(pend, text, len, 0600)) != BG_OK)
		return r;
	if ((r = record(st, ev, name, hex)) != BG_OK) {
		(void)unlink(pend);
		return r;
	}
	if (rename(pend, path) != 0) {
		r = bg_err_from_errno(errno);
		record_failure(st, name, path, r);
		return r;
	}
	return bg_fsync_parent(path);
}

/*
 * Every string in a state file is clean text (common/text.c); values may
 * hold '\n', as the multi-line statements a request file keeps do.
 */
static int
doc_text_ok(const char *name, const cJSON *doc)
{
	const char *problem = "";
	char where[128];

	if (bg_text_check_json(doc, BG_TEXT_LINES, where, sizeof(where),
	    &problem) == BG_OK)
		return BG_OK;
	bg_set_why("%s: %s%sholds %s; nothing written", name, where,
	    where[0] != '\0' ? " " : "", problem);
	return BG_EINVAL;
}

int
bg_state_write(struct bg_state *st, const char *name, const cJSON *doc,
    const struct bg_audit_event *ev)
{
	char path[BG_PATH_MAX], *text;
	size_t len;
	int r;

	if (st->log == NULL || doc == NULL || ev == NULL)
		return BG_EINVAL;
	if ((r = state_path(st->dir, name, path, sizeof(path))) != BG_OK)
		return r;
	if ((r = doc_text_ok(name, doc)) != BG_OK)
		return r;
	if ((text = cJSON_Print(doc)) == NULL)
		return BG_ENOMEM;
	len = strlen(text);
	text[len++] = '\n';	/* replaces the NUL; len counts it */
	if (len > BG_STATE_FILE_MAX) {	/* it could not be read back */
		bg_set_why("%s would be %zu bytes, above the %u the state "
		    "reads", name, len, BG_STATE_FILE_MAX);
		free(text);
		return BG_ETOOBIG;
	}
	r = write_text(st, name, path, text, len, ev);
	free(text);
	return r;
}

int
bg_state_put_blob(struct bg_state *st, const char *name, const void *data,
    size_t len)
{
	char path[BG_PATH_MAX];
	int r;

	if (st == NULL || name == NULL || data == NULL)
		return BG_EINVAL;
	if ((r = state_path(st->dir, name, path, sizeof(path))) != BG_OK ||
	    (r = parent_dir(st->dir, name)) != BG_OK ||
	    (r = bg_file_replace(path, data, len, 0600)) != BG_OK)
		return r;
	return bg_fsync_parent(path);
}

int
bg_state_get_blob(const struct bg_state *st, const char *name, size_t max,
    uint8_t **data, size_t *len)
{
	char path[BG_PATH_MAX], *text = NULL;
	int r;

	*data = NULL;
	*len = 0;
	if ((r = state_path(st->dir, name, path, sizeof(path))) != BG_OK ||
	    (r = read_checked(st->dir, name, path, max, &text, len)) != BG_OK)
		return r;
	*data = (uint8_t *)text;
	return BG_OK;
}

int
bg_state_note(struct bg_state *st, const struct bg_audit_event *ev)
{
	if (st->log == NULL || ev == NULL)
		return BG_EINVAL;
	return append(st, ev);
}

int
bg_state_note_failure(struct bg_state *st, const struct bg_audit_event *ev,
    const char *key, const char *val, int err)
{
	struct bg_audit_event e = *ev;
	char why[512], cval[512];
	cJSON *d = cJSON_CreateObject();
	int r = BG_ENOMEM;

	/* a refusal is recorded even when what it quotes (a tampered
	 * file's name, a bad argument) is not clean text */
	(void)bg_text_clean(bg_why(), why, sizeof(why));
	(void)bg_text_clean(val, cval, sizeof(cval));
	if (d != NULL && (key == NULL || cJSON_AddStringToObject(d, key,
	    cval) != NULL) &&
	    cJSON_AddStringToObject(d, "error", bg_strerror(err)) != NULL &&
	    cJSON_AddStringToObject(d, "reason", why) != NULL) {
		e.detail = d;
		r = bg_state_note(st, &e);
	}
	cJSON_Delete(d);
	bg_set_why("%s", why);
	return r == BG_OK ? err : r;
}

/* ------------------------------------------------------------- verify */

struct bg_state_recorded {
	char (*file)[128];
	char (*hash)[65];
	size_t n, cap;
	size_t *slot;		/* open addressing: index + 1, 0 empty */
	size_t nslot;		/* a power of two > 2n, or 0 */
};
#define recorded bg_state_recorded

static size_t
name_hash(const char *s)
{
	size_t h = 14695981039346656037u;	/* FNV-1a */

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

/* The index of file in rec, or rec->n. */
static size_t
recorded_find(const struct recorded *rec, const char *file)
{
	size_t m, i;

	if (rec->nslot == 0)
		return rec->n;
	m = rec->nslot - 1;
	for (i = name_hash(file) & m; rec->slot[i] != 0; i = (i + 1) & m)
		if (strcmp(rec->file[rec->slot[i] - 1], file) == 0)
			return rec->slot[i] - 1;
	return rec->n;
}

/* Rebuilds the slots for capacity cap (entries 0..n). */
static int
recorded_rehash(struct recorded *rec, size_t cap)
{
	size_t nslot = 16, i, j;
	size_t *slot;

	while (nslot < 2 * cap)
		nslot *= 2;
	if ((slot = calloc(nslot, sizeof(*slot))) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < rec->n; i++) {
		for (j = name_hash(rec->file[i]) & (nslot - 1); slot[j] != 0;
		    j = (j + 1) & (nslot - 1))
			;
		slot[j] = i + 1;
	}
	free(rec->slot);
	rec->slot = slot;
	rec->nslot = nslot;
	return BG_OK;
}

static int
recorded_grow(struct recorded *rec)
{
	size_t c = rec->cap ? rec->cap * 2 : 16;
	void *f = realloc(rec->file, c * sizeof(rec->file[0]));
	void *h = f == NULL ? NULL : realloc(rec->hash, c * sizeof(rec->hash[0]));

	if (f != NULL)
		rec->file = f;
	if (h == NULL)
		return BG_ENOMEM;
	rec->hash = h;
	rec->cap = c;
	return recorded_rehash(rec, c);
}

static int
recorded_set(struct recorded *rec, const char *file, const char *hash)
{
	size_t i, m;
	int r;

	if (strlen(file) >= sizeof(rec->file[0]) || strlen(hash) > 64)
		return BG_EFORMAT;
	if ((i = recorded_find(rec, file)) == rec->n) {
		if (rec->n == rec->cap && (r = recorded_grow(rec)) != BG_OK)
			return r;
		memcpy(rec->file[rec->n], file, strlen(file) + 1);
		m = rec->nslot - 1;
		for (i = name_hash(file) & m; rec->slot[i] != 0; i = (i + 1) & m)
			;
		rec->slot[i] = ++rec->n;
		i = rec->n - 1;
	}
	memcpy(rec->hash[i], hash, strlen(hash) + 1);
	return BG_OK;
}

/*
 * The common case without a JSON parse: record() puts "file" and "sha256"
 * last in the detail, which is the entry's last member, so such a line
 * ends exactly so. Returns 1 when it does (file and hash filled in).
 */
static int
tail_fields(const char *line, size_t len, char file[128], char hash[65])
{
	static const char mid[] = "\",\"sha256\":\"";
	static const char head[] = ",\"file\":\"";
	const char *end = line + len, *h, *f;
	size_t hl, fl;

	if (len < 4 || memcmp(end - 3, "\"}}", 3) != 0)
		return 0;
	for (h = end - 3; h > line && h[-1] != '"'; h--)
		;
	hl = (size_t)(end - 3 - h);
	if (hl != 0 && hl != 64)
		return 0;
	if ((size_t)(h - line) < sizeof(mid) - 1 ||
	    memcmp(h - (sizeof(mid) - 1), mid, sizeof(mid) - 1) != 0)
		return 0;
	for (f = h - (sizeof(mid) - 1); f > line && f[-1] != '"'; f--)
		;
	fl = (size_t)(h - (sizeof(mid) - 1) - f);
	if (fl == 0 || fl >= 128 || (size_t)(f - line) < sizeof(head) - 1 ||
	    memcmp(f - (sizeof(head) - 1), head, sizeof(head) - 1) != 0 ||
	    memchr(f, '\\', fl) != NULL || memchr(h, '\\', hl) != NULL)
		return 0;
	memcpy(file, f, fl);
	file[fl] = '\0';
	memcpy(hash, h, hl);
	hash[hl] = '\0';
	return 1;
}

/* Every entry whose detail names a state file and its hash; last wins. */
static int
collect(void *ctx, uint64_t seq, const char *line, size_t len)
{
	struct bg_audit_entry e;
	const char *file, *hash;
	char f[128], h[65];
	int r = BG_OK;

	(void)seq;
	if (tail_fields(line, len, f, h))
		return recorded_set(ctx, f, h);
	if (memmem(line, len, "\"sha256\":", 9) == NULL)
		return BG_OK;
	if ((r = bg_audit_entry_parse(line, len, &e)) != BG_OK)
		return r;
	if (bg_json_get_str(e.detail, "file", 127, &file) == BG_OK &&
	    bg_json_get_str(e.detail, "sha256", 64, &hash) == BG_OK)
		r = recorded_set(ctx, file, hash);
	bg_audit_entry_free(&e);
	return r;
}

static int
check_file(const char *dir, const char *name, const struct recorded *rec,
    bg_state_report_fn report, void *ctx)
{
	char path[BG_PATH_MAX], hex[65];
	size_t i = recorded_find(rec, name);
	const char *want = i < rec->n ? rec->hash[i] : NULL;

	if (state_path(dir, name, path, sizeof(path)) != BG_OK ||
	    file_hash(path, hex) != BG_OK) {
		report(ctx, name, "cannot be read");
		return 1;
	}
	if (want == NULL && hex[0] == '\0')
		return 0;
	if (want == NULL)
		report(ctx, name, "is not recorded in the audit log (added by hand)");
	else if (hex[0] == '\0' && want[0] != '\0')
		report(ctx, name, "is missing but the audit log recorded it");
	else if (strcmp(hex, want) != 0)
		report(ctx, name, "differs from the version the audit log "
		    "recorded (edited outside breakglass)");
	else
		return 0;
	return 1;
}

static int
state_exists(const char *dir, const char *name)
{
	char path[BG_PATH_MAX];

	return state_path(dir, name, path, sizeof(path)) == BG_OK &&
	    access(path, F_OK) == 0;
}

/* 1 when name is a file under one of nested_dirs. */
static int
nested(const char *name)
{
	size_t i, n;

	for (i = 0; nested_dirs[i] != NULL; i++) {
		n = strlen(nested_dirs[i]);
		if (strncmp(name, nested_dirs[i], n) == 0 && name[n] == '/')
			return 1;
	}
	return 0;
}

/* The nested state files (requests/, chain/, ...) present now. */
static int
check_nested(const char *dir, const char *sub, const struct recorded *rec,
    bg_state_report_fn report, void *ctx)
{
	char path[BG_PATH_MAX], name[128];
	struct dirent *de;
	int bad = 0;
	DIR *d;

	if (bg_path_join(path, sizeof(path), dir, sub) != BG_OK ||
	    (d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(name, sizeof(name), "%s/%s", sub,
		    de->d_name) >= sizeof(name)) {
			report(ctx, de->d_name, "has an overlong name");
			bad = 1;
			continue;
		}
		bad |= check_file(dir, name, rec, report, ctx);
	}
	closedir(d);
	return bad;
}

/*
 * A writer first finishes what a crash interrupted (the log's tail and
 * pending state files); without the lock, the files are checked as is.
 */
static void
settle_all(const char *dir)
{
	struct bg_state *w = malloc(sizeof(*w));

	if (w != NULL && bg_state_open(w, dir) == BG_OK)
		bg_state_close(w);
	free(w);
	bg_clear_why();
}

int
bg_state_verify(const char *dir, bg_state_report_fn report, void *ctx)
{
	struct recorded rec = { NULL, NULL, 0, 0, NULL, 0 };
	struct bg_audit_verify_result vres;
	char audit_dir[BG_PATH_MAX];
	bg_audit_t *log = NULL;
	size_t i;
	int r, bad = 0;

	bg_clear_why();
	if ((r = bg_path_join(audit_dir, sizeof(audit_dir), dir, "audit")) != BG_OK)
		return r;
	if ((r = bg_state_check_perms(dir)) != BG_OK)
		return r;
	settle_all(dir);
	/* the recorded hashes count only in a log that verifies */
	if ((r = bg_audit_verify(audit_dir, NULL, &vres)) != BG_OK) {
		bg_set_why("the audit log does not verify (%s): run "
		    "'breakglass audit verify'", vres.reason);
		return r == BG_ESIG || r == BG_ECONSIST ? BG_ETAMPER : r;
	}
	if ((r = bg_audit_open(audit_dir, BG_AUDIT_READ, &log)) != BG_OK)
		return r;
	r = bg_audit_foreach(log, 0, bg_audit_size(log), collect, &rec);
	bg_audit_close(&log);
	if (r != BG_OK)
		goto out;
	for (i = 0; state_files[i] != NULL; i++)
		bad |= check_file(dir, state_files[i], &rec, report, ctx);
	for (i = 0; i < rec.n; i++)	/* recorded nested files now missing */
		if (nested(rec.file[i]) && !state_exists(dir, rec.file[i]))
			bad |= check_file(dir, rec.file[i], &rec, report, ctx);
	for (i = 0; nested_dirs[i] != NULL; i++)
		bad |= check_nested(dir, nested_dirs[i], &rec, report, ctx);
	r = bad ? BG_ETAMPER : BG_OK;
out:
	free(rec.file);
	free(rec.hash);
	free(rec.slot);
	return r;
}

/* ----------------------------------------------------- interrupted writes */

/* Appends the pending files under dir/sub ("" for the top) to names. */
static int
find_pending(const char *dir, const char *sub, char (*names)[128], size_t max,
    size_t *n)
{
	char path[BG_PATH_MAX];
	struct dirent *de;
	size_t len;
	DIR *d;

	if (bg_path_join(path, sizeof(path), dir, sub[0] ? sub : ".") != BG_OK)
		return BG_ETOOBIG;
	if ((d = opendir(path)) == NULL)
		return errno == ENOENT || errno == ENOTDIR ? BG_OK :
		    bg_err_from_errno(errno);
	while ((de = readdir(d)) != NULL && *n < max) {
		if (bg_file_is_temp(de->d_name)) {
			/* a replacement cut short by a crash while we did not
			 * hold the lock: never named by the log */
			(void)unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		len = strlen(de->d_name);
		if (len <= strlen(PENDING) || strcmp(de->d_name + len -
		    strlen(PENDING), PENDING) != 0)
			continue;
		if ((size_t)snprintf(names[*n], 128, "%s%s%.*s", sub,
		    sub[0] ? "/" : "", (int)(len - strlen(PENDING)),
		    de->d_name) < 128)
			++*n;
	}
	closedir(d);
	return BG_OK;
}

/* Rolls name.pending forward when the log names its hash, else back. */
static int
settle(struct bg_state *st, const char *name, const struct recorded *rec)
{
	char path[BG_PATH_MAX], pend[BG_PATH_MAX], hex[65];
	size_t i = recorded_find(rec, name);
	const char *want = i < rec->n ? rec->hash[i] : NULL;
	int r;

	if ((r = state_path(st->dir, name, path, sizeof(path))) != BG_OK ||
	    (r = pending_path(path, pend, sizeof(pend))) != BG_OK ||
	    (r = file_hash(pend, hex)) != BG_OK)
		return r;
	if (want != NULL && strcmp(want, hex) == 0) {
		if (rename(pend, path) != 0)
			return bg_err_from_errno(errno);
	} else if (unlink(pend) != 0) {
		return bg_err_from_errno(errno);
	}
	return bg_fsync_parent(path);
}

/*
 * After a crash between a pending write and its rename: finishes the
 * writes the log recorded and drops the others, so every file is again
 * the version the log last named.
 */
/*
 * Temp files cut short by a crash in the directories no log entry
 * names: blobs (versions/) and derived snapshots (index/).
 */
static int
sweep_blobs(const struct bg_state *st)
{
	static const char *const dirs[] = { "versions", "index", NULL };
	char path[BG_PATH_MAX];
	size_t i;
	int r;

	for (i = 0; dirs[i] != NULL; i++) {
		if (bg_path_join(path, sizeof(path), st->dir, dirs[i]) != BG_OK)
			return BG_ETOOBIG;
		if ((r = bg_file_sweep_temps(path, NULL)) != BG_OK)
			return r;
	}
	return BG_OK;
}

static int
recover_pending(struct bg_state *st)
{
	struct recorded rec = { NULL, NULL, 0, 0, NULL, 0 };
	char (*names)[128];
	size_t i, n = 0;
	int r;

	if ((names = calloc(64, sizeof(*names))) == NULL)
		return BG_ENOMEM;
	r = find_pending(st->dir, "", names, 64, &n);
	for (i = 0; r == BG_OK && nested_dirs[i] != NULL; i++)
		r = find_pending(st->dir, nested_dirs[i], names, 64, &n);
	if (r == BG_OK)
		r = sweep_blobs(st);
	if (r != BG_OK || n == 0)
		goto out;
	r = bg_audit_foreach(st->log, 0, bg_audit_size(st->log), collect, &rec);
	for (i = 0; i < n && r == BG_OK; i++)
		r = settle(st, names[i], &rec);
out:
	free(names);
	free(rec.file);
	free(rec.hash);
	free(rec.slot);
	return r;
}

/* --------------------------------------------------------- one file */

static void
note_problem(void *ctx, const char *file, const char *problem)
{
	(void)ctx;
	bg_set_why("%s %s", file, problem);
}

static void
recorded_free(struct recorded *rec)
{
	if (rec == NULL)
		return;
	free(rec->file);
	free(rec->hash);
	free(rec->slot);
	free(rec);
}

/* Brings the writer's cache of recorded hashes up to the log's size. */
static int
recorded_update(struct bg_state *st)
{
	uint64_t size = bg_audit_size(st->log);
	int r;

	if (st->rec == NULL) {
		if ((st->rec = calloc(1, sizeof(*st->rec))) == NULL)
			return BG_ENOMEM;
		st->rec_size = 0;
	}
	if (st->rec_size >= size)
		return BG_OK;
	if ((r = bg_audit_foreach(st->log, st->rec_size, size, collect,
	    st->rec)) != BG_OK) {
		recorded_free(st->rec);
		st->rec = NULL;
		return r;
	}
	st->rec_size = size;
	return BG_OK;
}

int
bg_state_recorded_to_json(const struct bg_state_recorded *rec, cJSON **out)
{
	cJSON *arr, *pair;
	size_t i;

	*out = NULL;
	if ((arr = cJSON_CreateArray()) == NULL)
		return BG_ENOMEM;
	for (i = 0; rec != NULL && i < rec->n; i++)
		if ((pair = cJSON_CreateArray()) == NULL ||
		    bg_json_add(arr, NULL, pair) != BG_OK ||
		    bg_json_add(pair, NULL, cJSON_CreateString(rec->file[i])) !=
		    BG_OK || bg_json_add(pair, NULL, cJSON_CreateString(
		    rec->hash[i])) != BG_OK) {
			cJSON_Delete(arr);
			return BG_ENOMEM;
		}
	*out = arr;
	return BG_OK;
}

int
bg_state_recorded_from_json(const cJSON *arr, struct bg_state_recorded **out)
{
	struct recorded *rec;
	const cJSON *pair, *f, *h;
	int r = BG_OK;

	*out = NULL;
	if (arr != NULL && !cJSON_IsArray(arr))
		return BG_EFORMAT;
	if ((rec = calloc(1, sizeof(*rec))) == NULL)
		return BG_ENOMEM;
	cJSON_ArrayForEach(pair, arr) {
		f = cJSON_GetArrayItem(pair, 0);
		h = cJSON_GetArrayItem(pair, 1);
		if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2 ||
		    !cJSON_IsString(f) || !cJSON_IsString(h) ||
		    (r = recorded_set(rec, f->valuestring, h->valuestring)) !=
		    BG_OK) {
			r = r != BG_OK ? r : BG_EFORMAT;
			break;
		}
	}
	if (r != BG_OK) {
		recorded_free(rec);
		return r;
	}
	*out = rec;
	return BG_OK;
}

int
bg_state_recorded_line(struct bg_state_recorded *rec, uint64_t seq,
    const char *line, size_t len)
{
	return collect(rec, seq, line, len);
}

void
bg_state_recorded_free(struct bg_state_recorded *rec)
{
	recorded_free(rec);
}

int
bg_state_recorded_seed(struct bg_state *st, const cJSON *arr, uint64_t size)
{
	struct recorded *rec;
	int r;

	if (st->log == NULL || st->rec != NULL || size > bg_audit_size(st->log)
	    || !cJSON_IsArray(arr))
		return BG_EINVAL;
	if ((r = bg_state_recorded_from_json(arr, &rec)) != BG_OK)
		return r;
	st->rec = rec;
	st->rec_size = size;
	return BG_OK;
}

int
bg_state_check_files(struct bg_state *st, const char *const *names, size_t n)
{
	size_t i;
	int r;

	if (st->log == NULL)
		return BG_EINVAL;
	if ((r = recorded_update(st)) != BG_OK)
		return r;
	for (i = 0; i < n; i++)
		if (check_file(st->dir, names[i], st->rec, note_problem, NULL))
			return BG_ETAMPER;
	return BG_OK;
}

int
bg_state_check_file(struct bg_state *st, const char *name)
{
	return bg_state_check_files(st, &name, 1);
}
