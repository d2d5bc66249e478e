/*
 * broker/alerts/ inside: writing spool files (spool.c) and HTTP delivery
 * (send.c), shared by the room's files and its unit tests only. The rest
 * of the project uses broker/alerts/alerts.h.
 */
#ifndef BG_ALERTS_INTERNAL_H
#define BG_ALERTS_INTERNAL_H

#include "broker/alerts/alerts.h"

/* --------------------------------------------------------------- spool */

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

#endif /* BG_ALERTS_INTERNAL_H */
