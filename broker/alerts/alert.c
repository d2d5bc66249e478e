#define _GNU_SOURCE	/* memmem */
/*
 * broker/ alerts over HTTP (broker/alerts/alerts.h, docs/alerts.md): which sinks
 * get an audit entry, delivery runs with backoff and dead letters, and
 * the alerts the CLI raises itself (test alerts, verify failures).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "common/common.h"
#include "audit/audit.h"
#include "broker/alerts/internal.h"

#define ORIGIN_MAX 256
#define ACTOR "breakglass"

/* The origin: the checkpoint's first line (C2SP tlog-checkpoint). */
static int
checkpoint_origin(const char *cp, size_t len, char *out, size_t outsz)
{
	const char *nl = memchr(cp, '\n', len);
	size_t n = nl != NULL ? (size_t)(nl - cp) : 0, i;

	if (n == 0 || n >= outsz || n > ORIGIN_MAX) {
		bg_set_why("the checkpoint has no origin line");
		return BG_EFORMAT;
	}
	for (i = 0; i < n; i++)
		if (cp[i] < ' ' || cp[i] > '~') {
			bg_set_why("the checkpoint's origin is not printable "
			    "ASCII");
			return BG_EFORMAT;
		}
	memcpy(out, cp, n);
	out[n] = '\0';
	return BG_OK;
}

/*
 * An alert.dead entry goes to the other sinks, never to the sink that
 * failed, and an alert about a dead alert.dead alert goes nowhere: the
 * chain ends after one step. An alert.test entry goes to its sink only
 * (docs/alerts.md).
 */
static int
skips(const struct bg_audit_entry *e, const char *sink)
{
	const char *s = NULL, *ev = NULL;

	(void)bg_json_get_str(e->detail, "sink", BG_ALERT_NAME_MAX, &s);
	if (strcmp(e->event, "alert.test") == 0)	/* for its sink only */
		return s == NULL || strcmp(s, sink) != 0;
	if (strcmp(e->event, "alert.dead") != 0)
		return 0;
	(void)bg_json_get_str(e->detail, "event", 256, &ev);
	return (s != NULL && strcmp(s, sink) == 0) ||
	    (ev != NULL && strcmp(ev, "alert.dead") == 0);
}

/*
 * Spools a logged entry for the sinks that want it (an alert.test for its
 * sink, whatever that sink's events). Called by catch_up() alone, under
 * the spool lock: see there.
 */
static int
spool_entry(const char *state_dir, const struct bg_alert_config *cfg,
    const char *entry, size_t entry_len, const char *cp, size_t cp_len)
{
	struct bg_audit_entry e;
	struct bg_alert_new a;
	char origin[ORIGIN_MAX + 1], key[BG_ALERT_KEY_MAX], id[24];
	size_t i;
	int r;

	if ((r = bg_audit_entry_parse(entry, entry_len, &e)) != BG_OK) {
		bg_set_why("the audit entry to alert on is malformed");
		return r;
	}
	if ((r = checkpoint_origin(cp, cp_len, origin, sizeof(origin))) ==
	    BG_OK) {
		snprintf(key, sizeof(key), "%s/%" PRIu64, origin, e.seq);
		snprintf(id, sizeof(id), "%020" PRIu64, e.seq);
	}
	memset(&a, 0, sizeof(a));
	a = (struct bg_alert_new){ id, NULL, key, e.event, 1, e.seq, entry,
	    entry_len, cp, cp_len };
	for (i = 0; r == BG_OK && i < cfg->nsinks; i++) {
		a.sink = cfg->sinks[i].name;
		if (skips(&e, a.sink) || (strcmp(e.event, "alert.test") != 0 &&
		    !bg_alert_sink_wants(&cfg->sinks[i], e.event)))
			continue;
		r = bg_alert_spool_add(state_dir, &a);
	}
	bg_audit_entry_free(&e);
	return r;
}

static int spool_now(const char *state_dir,
    const struct bg_alert_config *cfg, bg_audit_t *log);

/* The entry and the checkpoint an appender hands over are well formed. */
static int
entry_ok(const char *entry, size_t entry_len, const char *cp, size_t cp_len)
{
	struct bg_audit_entry e;
	char origin[ORIGIN_MAX + 1];
	int r;

	if ((r = bg_audit_entry_parse(entry, entry_len, &e)) != BG_OK) {
		bg_set_why("the audit entry to alert on is malformed");
		return r;
	}
	bg_audit_entry_free(&e);
	return checkpoint_origin(cp, cp_len, origin, sizeof(origin));
}

int
bg_alert_spool(const char *state_dir, bg_audit_t *log, const char *entry,
    size_t entry_len, const char *checkpoint, size_t checkpoint_len)
{
	struct bg_alert_config cfg;
	int r;

	bg_clear_why();
	if (state_dir == NULL || entry == NULL || checkpoint == NULL)
		return BG_EINVAL;
	if ((r = bg_alert_config_load(state_dir, &cfg)) == BG_OK &&
	    cfg.nsinks > 0 && (r = entry_ok(entry, entry_len, checkpoint,
	    checkpoint_len)) == BG_OK)
		r = spool_now(state_dir, &cfg, log);
	bg_alert_config_free(&cfg);
	return r;
}

/* --------------------------------------------------------- audit entries */

/*
 * Appends ev and spools its alerts (spool_now()). *key (may be NULL,
 * BG_ALERT_KEY_MAX bytes) gets the idempotency key.
 */
static int
append_and_spool(const char *state_dir, const struct bg_alert_config *cfg,
    bg_audit_t *log, const struct bg_audit_event *ev, char *key)
{
	char *line = NULL, *cp = NULL, origin[ORIGIN_MAX + 1];
	size_t cp_len = 0, len;
	uint64_t seq;
	int r;

	if ((r = bg_audit_append(log, ev, &seq)) != BG_OK ||
	    (r = bg_audit_entry_at(log, seq, &line, &len)) != BG_OK ||
	    (r = bg_audit_checkpoint(log, &cp, &cp_len)) != BG_OK)
		goto out;
	r = spool_now(state_dir, cfg, log);
	if (r == BG_OK && key != NULL &&
	    (r = checkpoint_origin(cp, cp_len, origin, sizeof(origin))) == BG_OK)
		snprintf(key, BG_ALERT_KEY_MAX, "%s/%" PRIu64, origin, seq);
out:
	free(line);
	free(cp);
	return r;
}

static int
open_audit(const char *state_dir, bg_audit_t **log)
{
	char dir[BG_PATH_MAX];
	int r;

	*log = NULL;
	if ((r = bg_path_join(dir, sizeof(dir), state_dir, "audit")) != BG_OK)
		return r;
	return bg_audit_open(dir, BG_AUDIT_WRITE, log);
}

/* ---------------------------------------------------------- dead letters */

static cJSON *
dead_detail(const struct bg_alert_item *it)
{
	cJSON *d = cJSON_CreateObject();

	if (d == NULL ||
	    bg_json_add(d, "sink", cJSON_CreateString(it->sink)) != BG_OK ||
	    bg_json_add(d, "key", cJSON_CreateString(it->key)) != BG_OK ||
	    bg_json_add(d, "event", cJSON_CreateString(it->event)) != BG_OK ||
	    bg_json_add(d, "attempts",
	    cJSON_CreateNumber((double)it->attempts)) != BG_OK ||
	    bg_json_add(d, "last_error",
	    cJSON_CreateString(it->last_error)) != BG_OK) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

/* Records one dead alert (alert.dead) and alerts the other sinks. */
static int
audit_one_dead(const char *state_dir, const struct bg_alert_config *cfg,
    bg_audit_t *log, struct bg_alert_item *it)
{
	struct bg_audit_event ev = { "alert.dead", ACTOR, "", "", NULL };
	cJSON *detail;
	int r;

	if ((detail = dead_detail(it)) == NULL)
		return BG_ENOMEM;
	ev.detail = detail;
	r = append_and_spool(state_dir, cfg, log, &ev, NULL);
	cJSON_Delete(detail);
	if (r != BG_OK)
		return r;
	it->audited = 1;
	return bg_alert_spool_update_dead(state_dir, it);
}

/*
 * Dead alerts not yet in the audit log get their alert.dead entry. Runs
 * after delivery, when no writer handle is open in this process; a crash
 * before the flag is set repeats the entry on the next run.
 */
static size_t
audit_dead(const char *state_dir, const struct bg_alert_config *cfg)
{
	struct bg_alert_item it;
	bg_audit_t *log = NULL;
	char **names = NULL;
	size_t n = 0, i, done = 0;
	int r = BG_OK;

	if (bg_alert_spool_names(state_dir, 1, &names, &n) != BG_OK)
		return 0;
	for (i = 0; r == BG_OK && i < n; i++) {
		if (bg_alert_spool_read(state_dir, 1, names[i], &it) != BG_OK)
			continue;
		if (!it.audited && log == NULL)
			r = open_audit(state_dir, &log);
		if (!it.audited && r == BG_OK &&
		    (r = audit_one_dead(state_dir, cfg, log, &it)) == BG_OK)
			done++;
		bg_alert_item_free(&it);
	}
	if (r != BG_OK)
		fprintf(stderr, "breakglass: alerts: cannot record a dead "
		    "alert in the audit log (retried on the next run): %s%s%s\n",
		    bg_strerror(r), bg_why()[0] != '\0' ? ": " : "", bg_why());
	bg_audit_close(&log);
	bg_alert_spool_names_free(&names, n);
	return done;
}

/* ------------------------------------------------------------ catch-up */

static int
parse_u64(const char *s, unsigned long long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/*
 * STATE/spool/cursor holds the first seq not yet spooled. Every logged
 * entry is spooled here and only here, under spool/.cursor.lock (see
 * lock_spool): the entries from the cursor to the log's end, then the
 * cursor moved to the end (or, cut short by an error, past the last one
 * spooled). So
 * an entry is spooled once, before its alert can be delivered, and never
 * again after (an appender that spooled its own entry beside the
 * catch-up could spool it again after delivery: the duplicates issue 16
 * found). A process killed after its append spools nothing; the next run
 * does. Spooling is idempotent (a file already there is kept), so a
 * crash between spooling and the cursor repeats nothing either; only a
 * crash during delivery can send an alert twice (same idempotency key).
 * Without a cursor, the first run starts at the entry that recorded the
 * configuration (config_seq); the cursor is dropped when no sink is
 * configured.
 */
struct catch_ctx {
	const char *state_dir;
	const struct bg_alert_config *cfg;
	const char *cp;
	size_t cp_len;
	uint64_t next;		/* the first entry not yet spooled */
};

static int
catch_one(void *ctx, uint64_t seq, const char *line, size_t len)
{
	struct catch_ctx *c = ctx;
	int r;

	if ((r = spool_entry(c->state_dir, c->cfg, line, len, c->cp,
	    c->cp_len)) == BG_OK)
		c->next = seq + 1;
	return r;
}

static int
cursor_path(const char *state_dir, char *out, size_t outsz)
{
	return bg_path_join(out, outsz, state_dir, "spool/cursor");
}

/* BG_ENOENT when there is no cursor yet. */
static int
cursor_read(const char *path, uint64_t *seq)
{
	unsigned long long v;
	char *text = NULL;
	size_t len;
	int r;

	if ((r = bg_file_read(path, 32, &text, &len)) != BG_OK)
		return r;
	if (len < 2 || text[len - 1] != '\n' || (text[len - 1] = '\0',
	    parse_u64(text, &v)) != 0) {
		free(text);
		bg_set_why("the alert cursor %s is malformed", path);
		return BG_EFORMAT;
	}
	free(text);
	*seq = v;
	return BG_OK;
}

static int
cursor_write(const char *path, uint64_t seq)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", seq);

	return bg_file_replace(path, buf, (size_t)n, 0600);
}

/*
 * Without a cursor (no run has finished since sinks were configured),
 * alerts start at the last entry that recorded breakglass.json, or at the
 * log's start: a process killed before its first run loses nothing.
 */
static int
config_seq(void *ctx, uint64_t seq, const char *line, size_t len)
{
	static const char pat[] = "\"file\":\"breakglass.json\"";

	if (memmem(line, len, pat, sizeof(pat) - 1) != NULL)
		*(uint64_t *)ctx = seq;
	return BG_OK;
}

/* log: the caller's handle, or NULL to open the log for reading */
static int
catch_up(const char *state_dir, const struct bg_alert_config *cfg,
    bg_audit_t *have_log)
{
	struct catch_ctx c = { state_dir, cfg, NULL, 0, 0 };
	char path[BG_PATH_MAX], dir[BG_PATH_MAX];
	bg_audit_t *log = have_log;
	uint64_t from = 0, size;
	char *cp = NULL;
	int r, have;

	if ((r = cursor_path(state_dir, path, sizeof(path))) != BG_OK)
		return r;
	if (cfg->nsinks == 0)
		return unlink(path) == 0 || errno == ENOENT ? BG_OK :
		    bg_err_from_errno(errno);
	if ((r = cursor_read(path, &from)) != BG_OK && r != BG_ENOENT)
		return r;
	have = r == BG_OK;
	if (log == NULL && ((r = bg_path_join(dir, sizeof(dir), state_dir,
	    "audit")) != BG_OK || (r = bg_audit_open(dir, BG_AUDIT_READ,
	    &log)) != BG_OK))
		return r == BG_ENOENT ? BG_OK : r;	/* no log: nothing to do */
	size = bg_audit_size(log);
	if (!have && (r = bg_audit_foreach(log, 0, size, config_seq,
	    &from)) == BG_OK)
		have = 1;
	if (have && from < size &&
	    (r = bg_audit_checkpoint(log, &cp, &c.cp_len)) == BG_OK) {
		c.cp = cp;
		r = bg_audit_foreach(log, from, size, catch_one, &c);
	}
	if (log != have_log)
		bg_audit_close(&log);
	free(cp);
	if (r == BG_OK && (!have || from != size))
		r = cursor_write(path, size);
	else if (r != BG_OK && have && c.next > from)
		/* cut short: what was spooled is never spooled again */
		(void)cursor_write(path, c.next);
	return r;
}

/* --------------------------------------------------------------- runs */

/* initial * 2^(attempts - 1), at most max seconds. */
static uint64_t
backoff(const struct bg_alert_config *cfg, uint64_t attempts)
{
	uint64_t d = cfg->backoff_initial;

	while (attempts-- > 1 && d < cfg->backoff_max)
		d *= 2;
	return d < cfg->backoff_max ? d : cfg->backoff_max;
}

/* After a failed attempt: reschedule, or bury when attempts run out. */
static int
failed(const char *state_dir, const struct bg_alert_config *cfg,
    struct bg_alert_item *it, const char *err, struct bg_alert_run *run)
{
	uint64_t now = (uint64_t)time(NULL);

	it->attempts++;
	it->last_error = err;
	snprintf(run->last_error, sizeof(run->last_error), "%s", err);
	if (it->attempts >= cfg->max_attempts) {
		run->dead++;
		return bg_alert_spool_bury(state_dir, it);
	}
	run->failed++;
	it->next = now + backoff(cfg, it->attempts);
	return bg_alert_spool_update(state_dir, it);
}

/* One queued file: deliver when due and its sink has not failed yet. */
static int
run_one(const char *state_dir, const struct bg_alert_config *cfg,
    const char *name, int force, const char *only_key, int *down,
    struct bg_alert_run *run)
{
	const struct bg_alert_sink *sink;
	struct bg_alert_item it;
	char err[BG_ALERT_ERROR_MAX];
	int r;

	if ((r = bg_alert_spool_read(state_dir, 0, name, &it)) != BG_OK) {
		fprintf(stderr, "breakglass: alerts: %s; left in place\n",
		    bg_why());
		run->skipped++;
		return BG_OK;
	}
	sink = bg_alert_config_sink(cfg, it.sink);
	if ((only_key != NULL && strcmp(it.key, only_key) != 0) ||
	    (sink != NULL && down[sink - cfg->sinks]) ||
	    (!force && it.next > (uint64_t)time(NULL))) {
		bg_alert_item_free(&it);
		return BG_OK;
	}
	if (sink == NULL)
		r = failed(state_dir, cfg, &it, "no such sink in the "
		    "configuration", run);
	else if (bg_alert_post(cfg, sink, &it, err, sizeof(err)) == BG_OK) {
		run->delivered++;
		r = bg_alert_spool_remove(state_dir, name);
	} else {
		down[sink - cfg->sinks] = 1;
		r = failed(state_dir, cfg, &it, err, run);
	}
	bg_alert_item_free(&it);
	return r;
}

/*
 * Two locks in spool/:
 *   .lock         one delivering process at a time, held across the HTTP
 *                 requests; `alerts flush` does not wait for it (another
 *                 run is sending the queue), a command's delivery waits;
 *   .cursor.lock  the catch-up and the cursor: held for file writes only,
 *                 waited for by whoever appends, so an appender always
 *                 spools its entry or fails (fail closed).
 * Order: .lock, then the audit writer lock (alert.dead), then
 * .cursor.lock; commands deliver after closing their state, and every
 * wait is bounded (bg_lock_wait, about 10 s), so no deadlock.
 */
static int
lock_spool(const char *state_dir, const char *name, int wait, int *fd)
{
	char dir[BG_PATH_MAX], path[BG_PATH_MAX];
	int r;

	*fd = -1;
	if ((r = bg_path_join(dir, sizeof(dir), state_dir, "spool")) != BG_OK ||
	    (r = bg_mkdir_private(dir)) != BG_OK ||
	    (r = bg_path_join(path, sizeof(path), dir, name)) != BG_OK)
		return r;
	if ((*fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) < 0)
		return bg_err_from_errno(errno);
	if (wait)
		r = bg_lock_wait(*fd, LOCK_EX);
	else if (flock(*fd, LOCK_EX | LOCK_NB) != 0)
		r = errno == EWOULDBLOCK ? BG_ELOCKED :
		    bg_err_from_errno(errno);
	if (r != BG_OK) {
		close(*fd);
		*fd = -1;
		if (r == BG_ELOCKED)
			bg_set_why(wait ? "another process holds the alert "
			    "spool's cursor (spool/.cursor.lock)" : "another "
			    "process is delivering alerts");
	}
	return r;
}

/* The entries not yet spooled, spooled now, under .cursor.lock. */
static int
spool_now(const char *state_dir, const struct bg_alert_config *cfg,
    bg_audit_t *log)
{
	int fd, r;

	if ((r = lock_spool(state_dir, ".cursor.lock", 1, &fd)) != BG_OK)
		return r;
	r = catch_up(state_dir, cfg, log);
	close(fd);
	return r;
}

static int
run_queue(const char *state_dir, const struct bg_alert_config *cfg,
    int force, const char *only_key, int *down, struct bg_alert_run *run)
{
	char **names = NULL;
	size_t n = 0, i;
	int r;

	if ((r = bg_alert_spool_names(state_dir, 0, &names, &n)) != BG_OK)
		return r;
	if (n > 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		r = BG_EINTERNAL;
	for (i = 0; r == BG_OK && i < n; i++)
		r = run_one(state_dir, cfg, names[i], force, only_key, down,
		    run);
	if (n > 0)
		curl_global_cleanup();
	bg_alert_spool_names_free(&names, n);
	return r;
}

/*
 * One delivering run. wait: a command's own delivery waits (about 10 s)
 * for another process's run to end, so what it spooled is not left for
 * a later command; `alerts flush` does not (another run is delivering).
 */
static int
run_spool(const char *state_dir, int force, const char *only_key, int wait,
    struct bg_alert_run *run)
{
	int down[BG_ALERT_SINKS_MAX] = { 0 };
	struct bg_alert_config cfg;
	int fd = -1, r;

	memset(run, 0, sizeof(*run));
	memset(&cfg, 0, sizeof(cfg));
	if ((r = lock_spool(state_dir, ".lock", wait, &fd)) != BG_OK)
		return r;
	if ((r = bg_alert_config_load(state_dir, &cfg)) == BG_OK &&
	    spool_now(state_dir, &cfg, NULL) != BG_OK)
		/* a damaged log must not hold back what is spooled */
		fprintf(stderr, "breakglass: alerts: cannot check the audit "
		    "log for entries without alerts: %s\n", bg_why());
	if (r == BG_OK &&
	    (r = run_queue(state_dir, &cfg, force, only_key, down, run)) ==
	    BG_OK && audit_dead(state_dir, &cfg) > 0 && only_key == NULL)
		/* deliver the alert.dead alerts now, not to the same sinks */
		r = run_queue(state_dir, &cfg, force, NULL, down, run);
	bg_alert_config_free(&cfg);
	close(fd);
	return r;
}

int
bg_alert_run(const char *state_dir, int force, const char *only_key,
    struct bg_alert_run *run)
{
	return run_spool(state_dir, force, only_key, 0, run);
}

void
bg_alert_deliver(const char *state_dir)
{
	struct bg_alert_run run;
	int r;

	bg_clear_why();
	if ((r = run_spool(state_dir, 0, NULL, 1, &run)) != BG_OK) {
		if (r != BG_ELOCKED)
			fprintf(stderr, "breakglass: alerts: not delivered: "
			    "%s%s%s\n", bg_strerror(r), bg_why()[0] != '\0' ?
			    ": " : "", bg_why());
		return;
	}
	if (run.failed + run.dead > 0)
		fprintf(stderr, "breakglass: alerts: %zu not delivered (%s), "
		    "%zu dead; see 'breakglass alerts status'\n",
		    run.failed + run.dead, run.last_error, run.dead);
}

/* ------------------------------------------------- alerts of the CLI */

/* RFC 3339 UTC, like the audit log's times. */
static void
now_rfc3339(char *out, size_t outsz)
{
	time_t t = time(NULL);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, outsz, "1970-01-01T00:00:00Z");
}

/* The latest checkpoint file, or a placeholder note when unreadable. */
static char *
latest_checkpoint(const char *state_dir, size_t *len)
{
	char path[BG_PATH_MAX], *cp = NULL;

	if (bg_path_join(path, sizeof(path), state_dir, "audit/checkpoint") ==
	    BG_OK && bg_file_read(path, 8192, &cp, len) == BG_OK &&
	    memchr(cp, '\n', *len) != NULL)
		return cp;
	free(cp);
	cp = strdup("unknown\n");
	*len = cp != NULL ? strlen(cp) : 0;
	return cp;
}

/* The entry of an alert the audit log could not record. */
static char *
unlogged_entry(const char *event, const char *reason, int err)
{
	cJSON *o = cJSON_CreateObject(), *d;
	char t[32], *s = NULL;

	now_rfc3339(t, sizeof(t));
	if (o != NULL &&
	    bg_json_add(o, "time", cJSON_CreateString(t)) == BG_OK &&
	    bg_json_add(o, "event", cJSON_CreateString(event)) == BG_OK &&
	    bg_json_add(o, "actor", cJSON_CreateString(ACTOR)) == BG_OK &&
	    (d = cJSON_AddObjectToObject(o, "detail")) != NULL &&
	    bg_json_add(d, "reason", cJSON_CreateString(reason)) == BG_OK &&
	    bg_json_add(d, "audit_error",
	    cJSON_CreateString(bg_strerror(err))) == BG_OK)
		s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* Spools an alert that is not in the audit log: key <origin>/unlogged-<hex>. */
static int
spool_unlogged(const char *state_dir, const struct bg_alert_config *cfg,
    const char *event, const char *reason, int err)
{
	struct bg_alert_new a;
	char origin[ORIGIN_MAX + 1] = "unknown", key[BG_ALERT_KEY_MAX];
	char id[48], hex[17];
	uint8_t rnd[8];
	char *entry = NULL, *cp;
	size_t cp_len, i;
	int r = BG_ENOMEM;

	cp = latest_checkpoint(state_dir, &cp_len);
	if (cp != NULL)
		(void)checkpoint_origin(cp, cp_len, origin, sizeof(origin));
	if (cp == NULL || (entry = unlogged_entry(event, reason, err)) == NULL ||
	    RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto out;
	bg_hex_encode(rnd, sizeof(rnd), hex, sizeof(hex));
	snprintf(id, sizeof(id), "u%lld-%s", (long long)time(NULL), hex);
	snprintf(key, sizeof(key), "%s/unlogged-%s", origin, hex);
	a = (struct bg_alert_new){ id, NULL, key, event, 0, 0, entry,
	    strlen(entry), cp, cp_len };
	for (r = BG_OK, i = 0; r == BG_OK && i < cfg->nsinks; i++) {
		a.sink = cfg->sinks[i].name;
		if (bg_alert_sink_wants(&cfg->sinks[i], event))
			r = bg_alert_spool_add(state_dir, &a);
	}
out:
	free(entry);
	free(cp);
	return r;
}

static int
report_logged(const char *state_dir, const struct bg_alert_config *cfg,
    const char *event, const char *reason)
{
	struct bg_audit_event ev = { event, ACTOR, "", "", NULL };
	bg_audit_t *log = NULL;
	cJSON *d;
	int r;

	if ((d = cJSON_CreateObject()) == NULL ||
	    bg_json_add(d, "reason", cJSON_CreateString(reason)) != BG_OK) {
		cJSON_Delete(d);
		return BG_ENOMEM;
	}
	ev.detail = d;
	if ((r = open_audit(state_dir, &log)) == BG_OK)
		r = append_and_spool(state_dir, cfg, log, &ev, NULL);
	bg_audit_close(&log);
	cJSON_Delete(d);
	return r;
}

void
bg_alert_report(const char *state_dir, const char *event,
    const char *reason)
{
	struct bg_alert_config cfg;
	int r;

	bg_clear_why();
	if ((r = bg_alert_config_load(state_dir, &cfg)) == BG_OK &&
	    (r = report_logged(state_dir, &cfg, event, reason)) != BG_OK) {
		fprintf(stderr, "breakglass: cannot record %s in the audit "
		    "log (%s); alerting without an entry\n", event,
		    bg_strerror(r));
		r = cfg.nsinks > 0 ? spool_unlogged(state_dir, &cfg, event,
		    reason, r) : BG_OK;
	}
	bg_alert_config_free(&cfg);
	if (r != BG_OK)
		fprintf(stderr, "breakglass: cannot spool the %s alert: %s%s%s\n",
		    event, bg_strerror(r), bg_why()[0] != '\0' ? ": " : "",
		    bg_why());
	bg_alert_deliver(state_dir);
}

int
bg_alert_test(const char *state_dir, const char *sink, char *err,
    size_t errsz)
{
	struct bg_audit_event ev = { "alert.test", ACTOR, "", "", NULL };
	struct bg_alert_config cfg;
	struct bg_alert_run run;
	char key[BG_ALERT_KEY_MAX];
	bg_audit_t *log = NULL;
	cJSON *d = NULL;
	int r;

	snprintf(err, errsz, "not sent");
	if ((r = bg_alert_config_load(state_dir, &cfg)) != BG_OK)
		goto out;
	if (bg_alert_config_sink(&cfg, sink) == NULL) {
		bg_set_why("no sink named %s in the configuration", sink);
		r = BG_ENOENT;
		goto out;
	}
	if ((d = cJSON_CreateObject()) == NULL ||
	    bg_json_add(d, "sink", cJSON_CreateString(sink)) != BG_OK) {
		r = BG_ENOMEM;
		goto out;
	}
	ev.detail = d;
	if ((r = open_audit(state_dir, &log)) != BG_OK ||
	    (r = append_and_spool(state_dir, &cfg, log, &ev, key)) !=
	    BG_OK)
		goto out;
	bg_audit_close(&log);
	if ((r = bg_alert_run(state_dir, 1, key, &run)) == BG_OK &&
	    run.delivered != 1) {
		snprintf(err, errsz, "%s", run.last_error);
		r = BG_EIO;
	}
out:
	bg_audit_close(&log);
	cJSON_Delete(d);
	bg_alert_config_free(&cfg);
	return r;
}
