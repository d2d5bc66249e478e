/*
 * broker/ the alert spool: one JSON file per alert and sink in
 * STATE/spool/ (0700), "<id>.<sink>.alert" (0600), moved to spool/dead/
 * when its attempts run out. Files are replaced atomically; they hold the
 * audit entry and a checkpoint, never a secret (docs/alerts.md).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "broker/alerts/internal.h"

#define SUFFIX ".alert"
#define NAMES_MAX 100000	/* spool files listed in one run */

static const char *const item_keys[] = { "version", "sink", "key", "event",
	"logged", "seq", "created", "attempts", "next", "last_error", "dead",
	"audited", "entry", "checkpoint", NULL };

/* STATE/spool or STATE/spool/dead, created 0700 when create. */
static int
spool_dir(const char *state_dir, int dead, int create, char *out,
    size_t outsz)
{
	char spool[BG_PATH_MAX];
	int r;

	if ((r = bg_path_join(spool, sizeof(spool), state_dir, "spool")) !=
	    BG_OK)
		return r;
	if (create && (r = bg_mkdir_private(spool)) != BG_OK)
		return r;
	if (!dead)
		return bg_path_join(out, outsz, state_dir, "spool");
	if ((r = bg_path_join(out, outsz, spool, "dead")) != BG_OK)
		return r;
	return create ? bg_mkdir_private(out) : BG_OK;
}

static int
spool_path(const char *state_dir, int dead, const char *name, char *out,
    size_t outsz)
{
	char dir[BG_PATH_MAX];
	int r;

	if ((r = spool_dir(state_dir, dead, 0, dir, sizeof(dir))) != BG_OK)
		return r;
	return bg_path_join(out, outsz, dir, name);
}

static int
add_str(cJSON *o, const char *key, const char *val)
{
	return bg_json_add(o, key, cJSON_CreateString(val));
}

static int
add_num(cJSON *o, const char *key, uint64_t v)
{
	return bg_json_add(o, key, cJSON_CreateNumber((double)v));
}

static int
add_bool(cJSON *o, const char *key, int v)
{
	return bg_json_add(o, key, cJSON_CreateBool(v));
}

/* Copies len bytes that must hold no NUL into a new string. */
static char *
dup_exact(const char *s, size_t len)
{
	char *d;

	if (memchr(s, '\0', len) != NULL || (d = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/* The document of a spool file. */
static cJSON *
item_doc(const struct bg_alert_item *it)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || add_num(o, "version", 1) != BG_OK ||
	    add_str(o, "sink", it->sink) != BG_OK ||
	    add_str(o, "key", it->key) != BG_OK ||
	    add_str(o, "event", it->event) != BG_OK ||
	    add_bool(o, "logged", it->logged) != BG_OK ||
	    (it->logged && add_num(o, "seq", it->seq) != BG_OK) ||
	    add_num(o, "created", it->created) != BG_OK ||
	    add_num(o, "attempts", it->attempts) != BG_OK ||
	    add_num(o, "next", it->next) != BG_OK ||
	    add_str(o, "last_error", it->last_error) != BG_OK ||
	    add_bool(o, "dead", it->dead) != BG_OK ||
	    add_bool(o, "audited", it->audited) != BG_OK ||
	    add_str(o, "entry", it->entry) != BG_OK ||
	    add_str(o, "checkpoint", it->checkpoint) != BG_OK) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static int
write_item(const char *path, const struct bg_alert_item *it)
{
	cJSON *doc;
	char *text;
	int r;

	if ((doc = item_doc(it)) == NULL)
		return BG_ENOMEM;
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (text == NULL)
		return BG_ENOMEM;
	if (strlen(text) > BG_ALERT_SPOOL_MAX) {
		bg_set_why("the alert is larger than %u bytes",
		    BG_ALERT_SPOOL_MAX);
		r = BG_ETOOBIG;
	} else
		r = bg_file_replace(path, text, strlen(text), 0600);
	free(text);
	return r;
}

static int
new_name_ok(const struct bg_alert_new *a)
{
	return strlen(a->id) + strlen(a->sink) + sizeof(SUFFIX) + 1 <= 128 &&
	    strspn(a->id, "0123456789abcdefu-") == strlen(a->id) &&
	    strlen(a->key) <= BG_ALERT_KEY_MAX;
}

int
bg_alert_spool_add(const char *state_dir, const struct bg_alert_new *a)
{
	struct bg_alert_item it;
	char dir[BG_PATH_MAX], path[BG_PATH_MAX], *entry = NULL, *cp = NULL;
	struct stat st;
	int r = BG_EFORMAT;

	memset(&it, 0, sizeof(it));
	if (!new_name_ok(a))
		return BG_EINVAL;
	snprintf(it.file, sizeof(it.file), "%s.%s" SUFFIX, a->id, a->sink);
	if ((r = spool_dir(state_dir, 0, 1, dir, sizeof(dir))) != BG_OK ||
	    (r = bg_path_join(path, sizeof(path), dir, it.file)) != BG_OK)
		return r;
	if (lstat(path, &st) == 0)
		return BG_OK;	/* spooled before: this is a retry */
	entry = dup_exact(a->entry, a->entry_len);
	cp = dup_exact(a->checkpoint, a->checkpoint_len);
	if (entry != NULL && cp != NULL) {
		it.sink = a->sink;
		it.key = a->key;
		it.event = a->event;
		it.logged = a->logged;
		it.seq = a->seq;
		it.created = it.next = (uint64_t)time(NULL);
		it.last_error = "";
		it.entry = entry;
		it.checkpoint = cp;
		r = write_item(path, &it);
	} else {
		bg_set_why("the entry or checkpoint holds a NUL byte");
		r = BG_EFORMAT;
	}
	free(entry);
	free(cp);
	return r;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_alert_name(const char *n)
{
	size_t len = strlen(n);

	return n[0] != '.' && strchr(n, '/') == NULL &&
	    len > sizeof(SUFFIX) - 1 && len < 128 &&
	    strcmp(n + len - (sizeof(SUFFIX) - 1), SUFFIX) == 0;
}

static int
push_name(char ***names, size_t *n, size_t *cap, const char *name)
{
	char **grown;

	if (*n == *cap) {
		*cap = *cap == 0 ? 16 : *cap * 2;
		if ((grown = realloc(*names, *cap * sizeof(**names))) == NULL)
			return BG_ENOMEM;
		*names = grown;
	}
	if (((*names)[*n] = strdup(name)) == NULL)
		return BG_ENOMEM;
	++*n;
	return BG_OK;
}

int
bg_alert_spool_names(const char *state_dir, int dead, char ***names,
    size_t *n)
{
	char dir[BG_PATH_MAX];
	struct dirent *d;
	size_t cap = 0;
	DIR *dp;
	int r = BG_OK;

	*names = NULL;
	*n = 0;
	if ((r = spool_dir(state_dir, dead, 0, dir, sizeof(dir))) != BG_OK)
		return r;
	if ((dp = opendir(dir)) == NULL)
		return errno == ENOENT ? BG_OK : bg_err_from_errno(errno);
	while (r == BG_OK && *n < NAMES_MAX && (d = readdir(dp)) != NULL)
		if (is_alert_name(d->d_name))
			r = push_name(names, n, &cap, d->d_name);
	closedir(dp);
	if (r != BG_OK) {
		bg_alert_spool_names_free(names, *n);
		*n = 0;
		return r;
	}
	if (*n > 0)
		qsort(*names, *n, sizeof(**names), cmp_names);
	return BG_OK;
}

void
bg_alert_spool_names_free(char ***names, size_t n)
{
	size_t i;

	if (*names == NULL)
		return;
	for (i = 0; i < n; i++)
		free((*names)[i]);
	free(*names);
	*names = NULL;
}

static int
get_bool(const cJSON *o, const char *key, int *out)
{
	return bg_json_get_bool(o, key, out);
}

/* Reads the fields of a parsed spool file; strings point into it->json. */
static int
item_fields(struct bg_alert_item *it)
{
	const cJSON *o = it->json;
	uint64_t version;

	if (bg_json_only_keys(o, item_keys) != BG_OK ||
	    bg_json_get_u64(o, "version", 1, 1, &version) != BG_OK ||
	    bg_json_get_str(o, "sink", BG_ALERT_NAME_MAX, &it->sink) != BG_OK ||
	    bg_json_get_str(o, "key", BG_ALERT_KEY_MAX, &it->key) != BG_OK ||
	    bg_json_get_str(o, "event", 256, &it->event) != BG_OK ||
	    get_bool(o, "logged", &it->logged) != BG_OK ||
	    (it->logged && bg_json_get_u64(o, "seq", 0, BG_JSON_INT_MAX,
	    &it->seq) != BG_OK) ||
	    bg_json_get_u64(o, "created", 0, BG_JSON_INT_MAX, &it->created) !=
	    BG_OK ||
	    bg_json_get_u64(o, "attempts", 0, 1000, &it->attempts) != BG_OK ||
	    bg_json_get_u64(o, "next", 0, BG_JSON_INT_MAX, &it->next) != BG_OK ||
	    bg_json_get_str(o, "last_error", BG_ALERT_ERROR_MAX,
	    &it->last_error) != BG_OK ||
	    get_bool(o, "dead", &it->dead) != BG_OK ||
	    get_bool(o, "audited", &it->audited) != BG_OK ||
	    bg_json_get_str(o, "entry", BG_ALERT_SPOOL_MAX, &it->entry) !=
	    BG_OK ||
	    bg_json_get_str(o, "checkpoint", BG_ALERT_SPOOL_MAX,
	    &it->checkpoint) != BG_OK)
		return BG_EFORMAT;
	return BG_OK;
}

int
bg_alert_spool_read(const char *state_dir, int dead, const char *name,
    struct bg_alert_item *it)
{
	char path[BG_PATH_MAX], *text = NULL;
	size_t len;
	int r;

	memset(it, 0, sizeof(*it));
	if (!is_alert_name(name))
		return BG_EINVAL;
	snprintf(it->file, sizeof(it->file), "%s", name);
	if ((r = spool_path(state_dir, dead, name, path, sizeof(path))) !=
	    BG_OK ||
	    (r = bg_file_read(path, BG_ALERT_SPOOL_MAX, &text, &len)) != BG_OK)
		return r;
	it->json = bg_json_parse(text, len);
	free(text);
	if (it->json == NULL || item_fields(it) != BG_OK ||
	    it->dead != dead) {
		bg_set_why("spool file %s is malformed", name);
		bg_alert_item_free(it);
		snprintf(it->file, sizeof(it->file), "%s", name);
		return BG_EFORMAT;
	}
	return BG_OK;
}

void
bg_alert_item_free(struct bg_alert_item *it)
{
	cJSON_Delete(it->json);
	memset(it, 0, sizeof(*it));
}

int
bg_alert_spool_update(const char *state_dir, const struct bg_alert_item *it)
{
	char path[BG_PATH_MAX];
	int r;

	if ((r = spool_path(state_dir, 0, it->file, path, sizeof(path))) !=
	    BG_OK)
		return r;
	return write_item(path, it);
}

int
bg_alert_spool_update_dead(const char *state_dir,
    const struct bg_alert_item *it)
{
	char path[BG_PATH_MAX];
	int r;

	if ((r = spool_path(state_dir, 1, it->file, path, sizeof(path))) !=
	    BG_OK)
		return r;
	return write_item(path, it);
}

int
bg_alert_spool_remove(const char *state_dir, const char *name)
{
	char dir[BG_PATH_MAX], path[BG_PATH_MAX];
	int r;

	if ((r = spool_dir(state_dir, 0, 0, dir, sizeof(dir))) != BG_OK ||
	    (r = bg_path_join(path, sizeof(path), dir, name)) != BG_OK)
		return r;
	if (unlink(path) != 0 && errno != ENOENT)
		return bg_err_from_errno(errno);
	return bg_fsync_dir(dir);
}

/*
 * Writes the item as dead into spool/dead/, then removes it from spool/:
 * a crash in between leaves both, and the next run buries it again over
 * the same name (replace, not create).
 */
int
bg_alert_spool_bury(const char *state_dir, struct bg_alert_item *it)
{
	char dir[BG_PATH_MAX], path[BG_PATH_MAX];
	int r;

	it->dead = 1;
	it->audited = 0;
	if ((r = spool_dir(state_dir, 1, 1, dir, sizeof(dir))) != BG_OK ||
	    (r = bg_path_join(path, sizeof(path), dir, it->file)) != BG_OK ||
	    (r = write_item(path, it)) != BG_OK)
		return r;
	return bg_alert_spool_remove(state_dir, it->file);
}
