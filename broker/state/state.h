/*
 * broker/state/: the state directory (docs/design.md §7): JSON files replaced
 * atomically, each change recorded in the audit log *before* it takes
 * effect, with the new file's SHA-256, so that an edited, added or removed
 * file is detected by comparing the files with what the log recorded.
 */
#ifndef BG_STATE_H
#define BG_STATE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "audit/audit.h"

#define BG_STATE_FILE_MAX (4u << 20)	/* largest state file read */

struct bg_state_recorded;

struct bg_state {
	char dir[1024];
	char audit_dir[1024];
	bg_audit_t *log;	/* writer handle while the state is open */
	/* the hashes the log records per file, read up to rec_size */
	struct bg_state_recorded *rec;
	uint64_t rec_size;
	/* the snapshot believed at open (fold.c): its size, its text */
	uint64_t fold_covers;
	cJSON *fold_json;
};

/*
 * Every entry names its actor. An event recorded here with a NULL or
 * empty actor gets the process's default actor: what the program sets
 * once at start with bg_state_set_actor (the login name), else
 * BG_STATE_SYSTEM_ACTOR. Entries the system writes on its own (recovery,
 * alert bookkeeping, verify failures) name BG_STATE_SYSTEM_ACTOR.
 * bg_state_set_actor refuses an empty name or one that is not clean
 * text (BG_EINVAL).
 */
#define BG_STATE_SYSTEM_ACTOR "breakglass"
int bg_state_set_actor(const char *name);
/*
 * breakglassd runs in production (1): it opens production vaults only;
 * every other process is a rehearsal (0, the default) and opens
 * rehearsal vaults only (docs/deploy.md). New vaults take the mode.
 */
void bg_state_set_production(int on);
int bg_state_production(void);
/*
 * The caller's identity as the daemon's socket saw it (SO_PEERCRED,
 * "uid:N(name) pid:N"): every entry the process writes then carries it
 * as detail "peer", beside the actor the caller claims. NULL clears.
 */
int bg_state_set_peer(const char *peer);
const char *bg_state_actor(void);

/*
 * The permission rule (docs/design.md §7), applied by every opener here:
 * the state directory, its audit directory and everything directly in
 * them are owned by the effective uid, not writable by group or others,
 * not symbolic links; audit/signing.key is also unreadable by them.
 * BG_EPERM with bg_why() naming the path, its mode and the command that
 * fixes it. Files read later (bg_state_read, bg_state_get_blob) are
 * judged again on the opened descriptor. For commands that open the
 * audit log directly.
 */
int bg_state_check_perms(const char *dir);

/*
 * Opens the state directory for a command that may change it: takes the
 * audit log's writer lock (one changing command at a time). Close with
 * bg_state_close().
 */
int bg_state_open(struct bg_state *st, const char *dir);
void bg_state_close(struct bg_state *st);

/*
 * Reads STATE/name (a path relative to the state directory, e.g.
 * "vault.json" or "requests/<id>.json") as strict JSON. BG_ENOENT when it
 * does not exist. Caller cJSON_Delete()s *out.
 */
int bg_state_read(const struct bg_state *st, const char *name, cJSON **out);

/*
 * Writes doc to STATE/name (BG_ETOOBIG, nothing written, when it would
 * be above BG_STATE_FILE_MAX; BG_EINVAL, nothing written, when a string
 * in it is not clean text, common/text.c, bg_why() naming it): first
 * the audit entry ev, whose detail gains "file" and "sha256" (of the
 * bytes about to be written), made durable; then the atomic replace. If
 * the audit append fails, nothing is written.
 * If the replace fails after the entry, a "state.write_failed" entry
 * records the file's actual hash so the log stays the truth.
 */
int bg_state_write(struct bg_state *st, const char *name, const cJSON *doc,
    const struct bg_audit_event *ev);

/*
 * Content-addressed files (e.g. versions/<64 hex>.bin): the name is the
 * hash of the bytes, and a file recorded in the log (vault.json) names
 * it, so they need no audit entry of their own. put replaces atomically
 * and syncs; get reads at most max bytes (BG_ENOENT when absent; *data is
 * the caller's to free()). The reader checks the bytes against the name.
 */
int bg_state_put_blob(struct bg_state *st, const char *name, const void *data,
    size_t len);
int bg_state_get_blob(const struct bg_state *st, const char *name, size_t max,
    uint8_t **data, size_t *len);

/* Records an event that changes no file (refusals, failures, reads). */
int bg_state_note(struct bg_state *st, const struct bg_audit_event *ev);

/*
 * Records a refusal or failure: ev (its detail ignored) with a detail of
 * key: val (when key is not NULL), "error" (err's name) and "reason"
 * (bg_why()). Returns err, or the audit failure when the entry cannot be
 * made; bg_why() is kept for the caller's message.
 */
int bg_state_note_failure(struct bg_state *st, const struct bg_audit_event *ev,
    const char *key, const char *val, int err);

/*
 * Compares STATE/name with the last hash the log recorded for it (reading
 * the whole log): BG_ETAMPER, bg_why() saying how, when they differ.
 */
int bg_state_check_file(struct bg_state *st, const char *name);
/* The same for n files, reading the log once. */
int bg_state_check_files(struct bg_state *st, const char *const *names,
    size_t n);

/* ----------------------------------------------------------- snapshots */

/*
 * Snapshots of the log's folds (fold.c, docs/audit.md "Snapshots"):
 * the recorded hashes above and the ledger (broker/ledger gives its part:
 * opaque here), in STATE/index/fold, each anchored by a BG_STATE_SNAPSHOT
 * entry naming its digest.
 *
 * bg_state_open calls bg_state_fold_load: when the file's anchor entry
 * names its digest and is proved in the tree the checkpoint signs, the
 * recorded hashes start from it (later checks read only the entries
 * after fold_covers) and its ledger is there for the ledger's reader
 * (bg_state_fold_ledger: NULL when none was believed). Anything else is
 * not believed, silently: the folds read the whole log.
 *
 * bg_state_fold_due: the log has grown BG_STATE_FOLD_EVERY entries past
 * the snapshot believed. bg_state_fold_save folds the entries since
 * that snapshot (or all) afresh, hashing the lines it folds into the
 * snapshot's Merkle frontier; unless the root is the signed one, it
 * anchors nothing. Then it appends the anchor and replaces the file.
 * Never fails a command: a snapshot only saves reading.
 */
#define BG_STATE_SNAPSHOT "state.snapshot"
#define BG_STATE_FOLD_EVERY 2048
/* The ledger's part of a snapshot: a fold fed each line, then printed. */
struct bg_state_fold_part {
	void *ctx;
	int (*line)(void *ctx, uint64_t seq, const char *line, size_t len);
	int (*json)(void *ctx, cJSON **out);
};
void bg_state_fold_load(struct bg_state *st);
/* Drops what the snapshot gave: the folds read the whole log again. */
void bg_state_fold_forget(struct bg_state *st);
const cJSON *bg_state_fold_ledger(const struct bg_state *st,
    uint64_t *covers);
int bg_state_fold_due(const struct bg_state *st);
/* part's fold must start where the snapshot believed ends (or empty). */
void bg_state_fold_save(struct bg_state *st,
    const struct bg_state_fold_part *part);

/*
 * A fold of the lines with part, for the save and for vault verify
 * (which recomputes every anchored snapshot): begin from the snapshot
 * believed (from_snapshot) or from nothing, bring it to entry n, print
 * the snapshot text it gives; its digest; each anchor entry in log order
 * (covers UINT64_MAX and digest "" when its detail is malformed).
 */
struct bg_state_fold;
int bg_state_fold_begin(struct bg_state *st, int from_snapshot,
    const struct bg_state_fold_part *part, struct bg_state_fold **out);
int bg_state_fold_to(struct bg_state_fold *k, uint64_t n);
int bg_state_fold_text(struct bg_state_fold *k, char **text);
void bg_state_fold_end(struct bg_state_fold *k);
int bg_state_fold_digest(const char *body, char hex[65]);
typedef int (*bg_state_anchor_fn)(void *ctx, uint64_t seq, uint64_t covers,
    const char *digest);
int bg_state_fold_anchors(struct bg_state *st, bg_state_anchor_fn fn,
    void *ctx);

/*
 * Compares every state file (vault.json, breakglass.json and the
 * files under requests/, rekeys/, changes/ and chain/) with the last hash
 * the audit log recorded for it; a recorded file now missing is one.
 * Calls report(ctx, file, problem) for each mismatch; BG_OK when all
 * match, BG_ETAMPER otherwise.
 */
typedef void (*bg_state_report_fn)(void *ctx, const char *file,
    const char *problem);
int bg_state_verify(const char *dir, bg_state_report_fn report, void *ctx);

#endif /* BG_STATE_H */
