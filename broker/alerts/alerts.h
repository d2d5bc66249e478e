/*
 * broker/alerts/: alerts over HTTP (docs/alerts.md). Sinks configured in
 * breakglass.json, a durable spool in STATE/spool/, at-least-once delivery
 * with libcurl. The door of the room: the state layer calls
 * bg_alert_spool() after an audit entry is durable and before the operation
 * it reports goes on; the CLI calls bg_alert_deliver() when a command ends
 * and reads the configuration and the spool through the rest. Payloads
 * never hold secrets: they carry the audit entry (which never does) and the
 * latest signed checkpoint.
 */
#ifndef BG_ALERTS_H
#define BG_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "audit/audit.h"


/*
 * Spools the alerts for the entry just appended to log (the appender's
 * handle; NULL: opened here for reading): for each configured sink that
 * wants an entry's event, a spool file (written and fsync'ed, directory
 * fsync'ed) keyed by the entry's seq, holding the entry exactly as stored
 * (entry_len bytes, no newline) and the checkpoint (a signed note) that
 * covers it. Spooling follows the log under spool/.cursor.lock, waited
 * for about 10 s (every entry not yet spooled, in order: no entry is
 * spooled twice). BG_OK and nothing written when no sink is configured. A malformed entry
 * or checkpoint, an invalid configuration or a spool that cannot be
 * written mean the operation the entry reports must not go on (fail
 * closed).
 */
int bg_alert_spool(const char *state_dir, bg_audit_t *log, const char *entry,
    size_t entry_len, const char *checkpoint, size_t checkpoint_len);

/*
 * Delivers what is due in the spool, bounded in time (the sinks'
 * timeouts); failures are rescheduled with backoff or dead-lettered, never
 * reported as the command's failure. Called at the end of every command
 * that may have spooled something.
 */
void bg_alert_deliver(const char *state_dir);

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
	int ocsf;			/* webhook "payload": "ocsf" */
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

#endif /* BG_ALERTS_H */
