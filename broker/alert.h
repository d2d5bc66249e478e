/*
 * broker/ alerts over HTTP (issue 5): sinks configured in breakglass.json,
 * a durable spool in STATE/spool/, at-least-once delivery with libcurl.
 *
 * The state layer (state.c) calls bg_alert_spool() after an audit entry is
 * durable and before the operation it reports goes on; the CLI calls
 * bg_alert_deliver() when a command ends. Payloads never hold secrets:
 * they carry the audit entry (which never does) and the latest signed
 * checkpoint.
 */
#ifndef BG_ALERT_H
#define BG_ALERT_H

#include <stddef.h>

/*
 * Spools the alerts for one audit entry: for each configured sink that
 * wants entry's event, a spool file (written and fsync'ed, directory
 * fsync'ed) keyed by the entry's seq, holding the entry exactly as stored
 * (entry_len bytes, no newline) and the checkpoint (a signed note) that
 * covers it. BG_OK and nothing written when no sink wants the event or no
 * sink is configured. Any other result means the operation the entry
 * reports must not go on (fail closed).
 */
int bg_alert_spool(const char *state_dir, const char *entry, size_t entry_len,
    const char *checkpoint, size_t checkpoint_len);

/*
 * Delivers what is due in the spool, bounded in time (the sinks'
 * timeouts); failures are rescheduled with backoff or dead-lettered, never
 * reported as the command's failure. Called at the end of every command
 * that may have spooled something.
 */
void bg_alert_deliver(const char *state_dir);

#endif /* BG_ALERT_H */
