/*
 * broker/ alerts, inside: the sink configuration (alert_config.c), the
 * spool files (alert_spool.c), HTTP delivery (alert_send.c) and the runs
 * the CLI starts (alert.c). broker/alert.h is the contract for the rest
 * of the broker; this header is for the alert files, cli_alerts.c and the
 * two verify commands. docs/alerts.md describes the formats.
 */
#ifndef BG_ALERT_INT_H
#define BG_ALERT_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "broker/alert.h"

#define BG_ALERT_CONFIG_FILE "breakglass.json"
#define BG_ALERT_CONFIG_MAX (1u << 20)	/* bytes of breakglass.json */
#define BG_ALERT_SINKS_MAX 16
#define BG_ALERT_NAME_MAX 32		/* sink name: [a-z0-9_-]{1,32} */
#define BG_ALERT_URL_MAX 2048
#define BG_ALERT_EVENTS_MAX 64
#define BG_ALERT_SECRET_MIN 16		/* bytes of a webhook's HMAC key */
#define BG_ALERT_SECRET_MAX 64
#define BG_ALERT_KEY_MAX 512		/* idempotency key */
#define BG_ALERT_ERROR_MAX 128		/* last delivery error kept */
#define BG_ALERT_SPOOL_MAX (256u << 10)	/* bytes of one spool file */

/* ------------------------------------------------------------- config */

enum bg_alert_type {
	BG_ALERT_WEBHOOK = 0,	/* JSON POST, HMAC-SHA256 signed */
	BG_ALERT_SLACK = 1,	/* Slack incoming-webhook message */
};

struct bg_alert_sink {
	const char *name;		/* points into the config's tree */
	enum bg_alert_type type;
	const char *url;		/* checked by bg_alert_url_check */
	int plain_http;			/* 1: http:// to a loopback host */
	const char *ca_bundle;		/* the sink's, the global one or NULL */
	uint8_t *secret;		/* webhook HMAC key, secure memory */
	size_t secret_len;
	const char **events;		/* patterns; the defaults when absent */
	size_t nevents;
};

struct bg_alert_config {
	cJSON *json;			/* owner of every string above */
	uint64_t connect_timeout_ms;
	uint64_t timeout_ms;
	uint64_t max_attempts;
	uint64_t backoff_initial;	/* seconds */
	uint64_t backoff_max;		/* seconds */
	struct bg_alert_sink sinks[BG_ALERT_SINKS_MAX];
	size_t nsinks;
};

/*
 * Parses the "alerts" member of a whole breakglass.json text (len bytes)
 * strictly: unknown keys, bad URLs, missing or misplaced secrets and
 * out-of-range numbers are BG_EFORMAT or BG_ERANGE with the reason in
 * bg_why (never the secret). No "alerts" member: BG_OK with no sinks.
 * Webhook secrets are read here (secret_file) into secure memory. Free
 * with bg_alert_config_free(), also after a failure.
 */
int bg_alert_config_parse(const char *text, size_t len,
    struct bg_alert_config *cfg);
/* Reads STATE/breakglass.json (missing: no sinks) and parses it. */
int bg_alert_config_load(const char *state_dir, struct bg_alert_config *cfg);
/* Wipes the secrets and frees; accepts a zeroed or half-parsed config. */
void bg_alert_config_free(struct bg_alert_config *cfg);
/* The sink of that name, or NULL. */
const struct bg_alert_sink *bg_alert_config_sink(
    const struct bg_alert_config *cfg, const char *name);
/* 1 when one of the sink's patterns matches event ("a.b", "a.*", "*"). */
int bg_alert_sink_wants(const struct bg_alert_sink *sink, const char *event);
/*
 * Checks an alert URL: https://HOST[:PORT][/PATH], or http:// only when
 * HOST is 127.0.0.1, [::1] or localhost (*plain_http is then 1). No user
 * information, no fragment, printable ASCII only.
 */
int bg_alert_url_check(const char *url, int *plain_http);

/* --------------------------------------------------------------- spool */

/* One alert for one sink: a file in STATE/spool/ (or spool/dead/). */
struct bg_alert_item {
	cJSON *json;			/* owner of the strings below */
	char file[128];			/* file name, "<id>.<sink>.alert" */
	const char *sink;
	const char *key;		/* idempotency key "<origin>/<seq>" */
	const char *event;
	const char *entry;		/* the audit entry exactly as stored */
	const char *checkpoint;		/* signed note covering the entry */
	const char *last_error;
	uint64_t seq;			/* when logged */
	int logged;			/* 0: the audit log could not record it */
	uint64_t created, next, attempts;
	int dead, audited;		/* audited: its alert.dead entry exists */
};

/* A new alert, before it is written. */
struct bg_alert_new {
	const char *id;			/* file name prefix: seq, or "u..." */
	const char *sink;
	const char *key;
	const char *event;
	int logged;
	uint64_t seq;
	const char *entry;
	size_t entry_len;
	const char *checkpoint;
	size_t checkpoint_len;
};

/*
 * Writes the spool file of a new alert durably (0600, in a 0700
 * STATE/spool/). BG_OK when that file already exists (spooling is
 * idempotent).
 */
int bg_alert_spool_add(const char *state_dir, const struct bg_alert_new *a);
/*
 * The alert file names in STATE/spool/ (dead: spool/dead/), sorted so
 * that older entries come first. Caller frees with
 * bg_alert_spool_names_free(). No spool directory: none.
 */
int bg_alert_spool_names(const char *state_dir, int dead, char ***names,
    size_t *n);
void bg_alert_spool_names_free(char ***names, size_t n);
/* Reads and checks one spool file. Free with bg_alert_item_free(). */
int bg_alert_spool_read(const char *state_dir, int dead, const char *name,
    struct bg_alert_item *it);
void bg_alert_item_free(struct bg_alert_item *it);
/* Rewrites a queued item's file (attempts, next, last_error, flags). */
int bg_alert_spool_update(const char *state_dir, const struct bg_alert_item *it);
/* Removes a delivered item's file durably. */
int bg_alert_spool_remove(const char *state_dir, const char *name);
/* Marks an item dead and moves it to spool/dead/ durably. */
int bg_alert_spool_bury(const char *state_dir, struct bg_alert_item *it);
/* Rewrites a dead item's file (after its alert.dead entry). */
int bg_alert_spool_update_dead(const char *state_dir,
    const struct bg_alert_item *it);

/* ---------------------------------------------------------------- send */

/*
 * The request body for a sink: for webhooks the JSON document of
 * docs/alerts.md, for Slack a message. NUL-terminated; caller frees.
 */
int bg_alert_body(const struct bg_alert_item *it,
    const struct bg_alert_sink *sink, char **body, size_t *len);
/* hex(HMAC-SHA256(secret, ts "." body)) into out (65 bytes). */
int bg_alert_sign(const uint8_t *secret, size_t secret_len, const char *ts,
    const char *body, size_t len, char out[65]);
/*
 * POSTs one alert. BG_OK when the receiver answered 2xx; otherwise an
 * error with a short reason (no secret, no URL) in err.
 */
int bg_alert_post(const struct bg_alert_config *cfg,
    const struct bg_alert_sink *sink, const struct bg_alert_item *it,
    char *err, size_t errsz);

/* ----------------------------------------------------------------- runs */

struct bg_alert_run {
	size_t delivered, failed, dead, skipped;
	char last_error[BG_ALERT_ERROR_MAX];	/* of the last failure */
};

/*
 * Delivers queued alerts: all of them when force, else those due. A sink
 * that fails is not tried again in the same run. only_key (or NULL)
 * limits the run to one idempotency key. Takes the spool lock
 * (BG_ELOCKED when another process delivers).
 */
int bg_alert_run(const char *state_dir, int force, const char *only_key,
    struct bg_alert_run *run);

/*
 * Appends the entry ev to the audit log (if it can be opened for writing)
 * and spools its alert; when the log cannot record it, spools an
 * "unlogged" alert with the event and reason instead. Then delivers.
 * For failures seen by read-only commands (audit.verify_failed,
 * vault.verify_failed). Never fails the caller; warns on stderr.
 */
void bg_alert_report(const char *state_dir, const char *event,
    const char *reason);

/*
 * Appends an alert.test entry for sink, spools it for that sink only and
 * delivers it. BG_OK when the receiver took it; the item stays queued
 * otherwise, with the reason in err.
 */
int bg_alert_test(const char *state_dir, const char *sink, char *err,
    size_t errsz);

#endif /* BG_ALERT_INT_H */
