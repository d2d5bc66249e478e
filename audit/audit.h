/*
 * audit: the append-only, signed, verifiable audit log (docs/design.md §6).
 *
 * Files in the audit directory:
 *   entries.jsonl     one JSON entry per line, hashed exactly as stored
 *   checkpoint.slots  two alternating slots holding the latest signed
 *                     checkpoint; the durable record of what was acknowledged
 *   checkpoint        the latest checkpoint as a plain C2SP signed note
 *                     (refreshed on close and on recovery)
 *   tree, index       derived data (Merkle node hashes in post-order, entry
 *                     end offsets); rebuilt from entries.jsonl when short
 *   signing.key       Ed25519 private key, PKCS#8 PEM, 0600
 *   verifier.vkey     C2SP verifier key string
 *
 * The module knows nothing of vaults, tokens or requests.
 */
#ifndef BG_AUDIT_H
#define BG_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

typedef struct bg_audit bg_audit_t;

#define BG_AUDIT_ENTRY_MAX 65536	/* bytes of one entry line, '\n' included */
#define BG_AUDIT_FIELD_MAX 256		/* event, actor, account, request */
#define BG_AUDIT_BATCH_MAX 1048576	/* entries in one batch */

/* One entry to append. NULL strings are stored as "". */
struct bg_audit_event {
	const char *event;	/* dotted lower-case name, required */
	const char *actor;
	const char *account;
	const char *request;
	const cJSON *detail;	/* an object, or NULL for {} */
};

/*
 * Creates a new log in dir (created 0700 if missing): key pair (private key
 * O_EXCL, 0600), verifier key, and the first entry "audit.init" with its
 * checkpoint. origin may be NULL for a random one. BG_EEXIST when a log is
 * already there.
 */
int bg_audit_init(const char *dir, const char *origin);

enum bg_audit_mode {
	BG_AUDIT_READ = 0,	/* no lock; sees the last acknowledged state */
	BG_AUDIT_WRITE = 1,	/* exclusive writer lock; recovers a torn tail */
};

/*
 * Opens the log in dir. In write mode, waits up to about 10 s for the
 * writer lock (BG_ELOCKED after), then recovers: bytes after the last
 * acknowledged entry (a torn or unacknowledged tail from a crash) are moved
 * to recovered/ and an "audit.recovered" entry records them; derived files
 * are rebuilt when short. A log that does not match its signed checkpoint
 * gives BG_ETAMPER and is left untouched. Caller closes with
 * bg_audit_close().
 */
int bg_audit_open(const char *dir, enum bg_audit_mode mode, bg_audit_t **out);
/* Same as common's bg_why(): detail on the last failure of this thread. */
const char *bg_audit_why(void);
/* Closes the log, refreshing the plain checkpoint file. Accepts NULL. */
void bg_audit_close(bg_audit_t **log);

/* Number of acknowledged entries (the checkpoint's tree size). */
uint64_t bg_audit_size(const bg_audit_t *log);

/*
 * Appends one entry. Returns BG_OK only when the entry and its signed
 * checkpoint are on disk; *seq (may be NULL) receives its sequence number.
 * On failure nothing is acknowledged and the log still verifies; after an
 * I/O error during sync the handle refuses further appends (reopen).
 */
int bg_audit_append(bg_audit_t *log, const struct bg_audit_event *ev,
    uint64_t *seq);
/* Appends n entries under one checkpoint; all or nothing. */
int bg_audit_append_batch(bg_audit_t *log, const struct bg_audit_event *ev,
    size_t n, uint64_t *first_seq);

/*
 * Written by the writer itself, never by callers (BG_EINVAL): when the
 * clock reads more than a second earlier than the previous entry's time,
 * an append first writes this entry (actor "breakglass", detail
 * "previous": that time, "now": the clock, "back_ms": the difference)
 * and then its own entries at the clock's time. *seq and *first_seq
 * name the caller's entries, not this one. bg_audit_verify accepts time
 * going backwards only at such an entry stating exactly that step.
 */
#define BG_AUDIT_CLOCK_SKEW "clock.skew"

/*
 * The latest signed checkpoint (a C2SP signed note). *note is
 * NUL-terminated; caller frees with free().
 */
int bg_audit_checkpoint(const bg_audit_t *log, char **note, size_t *len);
/*
 * A signed checkpoint someone else handed over, checked against verifier
 * key vkey (its signature, and its origin the key's name): its size and
 * root. BG_EFORMAT (malformed) or BG_ESIG (not signed by that key).
 */
int bg_audit_checkpoint_check(const char *note, size_t len, const char *vkey,
    uint64_t *size, uint8_t root[32]);
/*
 * C2SP tlog-cosignature: a witness's cosignature key ("name+hex8+
 * base64(0x04 || pubkey)") and its cosignature/v1 of a checkpoint.
 */
struct bg_audit_cosig_key {
	char name[129];
	uint32_t id;
	uint8_t pub[32];
};
int bg_audit_cosig_key_parse(const char *vkey, size_t len,
    struct bg_audit_cosig_key *k);
/*
 * In note (a checkpoint and its signature lines), the cosignature by k:
 * BG_OK with *t its time (seconds), BG_ENOENT when k has none there,
 * BG_ESIG when one by k does not verify, BG_EFORMAT when malformed.
 */
int bg_audit_cosig_check(const char *note, size_t len,
    const struct bg_audit_cosig_key *k, uint64_t *t);

/* The verifier key string, NUL-terminated in out (at least 256 bytes). */
int bg_audit_verifier_key(const bg_audit_t *log, char *out, size_t outsz);
/* RFC 9162 leaf hash of an entry line (without its '\n'). */
int bg_audit_leaf_hash(const char *line, size_t len, uint8_t out[32]);
/* The log's origin line. */
const char *bg_audit_origin(const bg_audit_t *log);

/*
 * Calls fn for each acknowledged entry with first <= seq < last (last is
 * clamped to the size). line excludes the '\n'. A non-zero return from fn
 * stops the walk and is returned.
 */
typedef int (*bg_audit_entry_fn)(void *ctx, uint64_t seq, const char *line,
    size_t len);
int bg_audit_foreach(bg_audit_t *log, uint64_t first, uint64_t last,
    bg_audit_entry_fn fn, void *ctx);

/*
 * The first seq whose entry's time compares at or after t (an RFC 3339
 * time or a prefix of one, compared as text), by binary search over the
 * offset index: O(log n) entries read. Entry times are in order except
 * where a clock.skew entry records the clock stepping back; around such
 * a step the answer is one of the boundaries, not necessarily the
 * first. size when every entry is before t.
 */
int bg_audit_seek_time(bg_audit_t *log, const char *t, uint64_t *seq);

/*
 * Entry seq's line (without its '\n'), NUL-terminated in a fresh buffer
 * the caller frees; BG_ENOENT when the log has no such entry.
 */
int bg_audit_entry_at(bg_audit_t *log, uint64_t seq, char **line,
    size_t *len);

/*
 * A Merkle frontier (RFC 9162 tree of entry lines): the roots of the
 * perfect subtrees of the first size leaves, enough to add lines and
 * compute the root. hash[level] counts where bit level of size is set.
 * For readers that must show that the lines they read are the log's
 * signed ones (broker/state/fold.c): fold and hash the same bytes, then
 * compare the root with bg_audit_signed_root.
 */
struct bg_audit_frontier {
	uint64_t size;
	uint8_t hash[64][32];
};
void bg_audit_frontier_init(struct bg_audit_frontier *f);
int bg_audit_frontier_add(struct bg_audit_frontier *f, const char *line,
    size_t len);
int bg_audit_frontier_root(const struct bg_audit_frontier *f,
    uint8_t root[32]);
/* The root the signed checkpoint names, for the log's current size. */
void bg_audit_signed_root(const bg_audit_t *log, uint8_t root[32]);

/* A parsed entry, for readers (show, tests). Strings point into json. */
struct bg_audit_entry {
	cJSON *json;		/* owner of all fields below */
	uint64_t seq;
	const char *time, *event, *actor, *account, *request;
	const cJSON *detail;
};
/* Strict parse of one entry line (no '\n'). Free with bg_audit_entry_free. */
int bg_audit_entry_parse(const char *line, size_t len,
    struct bg_audit_entry *e);
void bg_audit_entry_free(struct bg_audit_entry *e);
/*
 * The event name of an entry line as the writer formats it
 * ({"seq":N,"time":"...","event":"NAME","actor":...}), found without
 * parsing the line: a pointer into line, its length in *n. NULL when the
 * line does not start so. Only a prefilter for readers that want a few
 * events of a large log: a line it names is still parsed whole before
 * anything in it is used, and a line it cannot name must be parsed.
 */
const char *bg_audit_line_event(const char *line, size_t len, size_t *n);
/* 1 when name is a valid event name: [a-z0-9_] words joined by '.'. */
int bg_audit_event_name_ok(const char *name);

/* ---------------------------------------------------------------- proofs */

#define BG_AUDIT_PROOF_MAX 64

struct bg_audit_proof {
	uint64_t index;		/* leaf (seq) for inclusion; old size for consistency */
	uint64_t size;		/* tree size the proof is for */
	size_t len;
	uint8_t hash[BG_AUDIT_PROOF_MAX][32];
	uint8_t leaf[32];	/* inclusion: the leaf hash */
	uint8_t root[32];	/* root at size */
	uint8_t old_root[32];	/* consistency: root at index */
};

/*
 * Inclusion proof of entry seq in the tree of the given size (0 means the
 * current size). The proof is checked against the root before returning;
 * a derived-file mismatch gives BG_ETAMPER.
 */
int bg_audit_prove(bg_audit_t *log, uint64_t seq, uint64_t size,
    struct bg_audit_proof *proof);
/* Consistency proof between old_size and new_size (0 means current). */
int bg_audit_prove_consistency(bg_audit_t *log, uint64_t old_size,
    uint64_t new_size, struct bg_audit_proof *proof);
/* Checks proofs without a log (RFC 9162 2.1.3.2 and 2.1.4.2). */
int bg_audit_check_inclusion(const struct bg_audit_proof *proof);
int bg_audit_check_consistency(const struct bg_audit_proof *proof);

/* ---------------------------------------------------------------- verify */

typedef void (*bg_audit_progress_fn)(void *ctx, uint64_t done, uint64_t total);

struct bg_audit_verify_opts {
	/* An older checkpoint (signed note) the caller trusts, or NULL. */
	const char *old_checkpoint;
	size_t old_checkpoint_len;
	/* A verifier key string the caller trusts, or NULL for the log's own. */
	const char *vkey;
	bg_audit_progress_fn progress;	/* may be NULL */
	void *progress_ctx;
};

struct bg_audit_verify_result {
	uint64_t entries;	/* entries checked */
	int bad;		/* 1 when a specific entry was found bad */
	uint64_t bad_seq;	/* the first bad entry, when bad */
	uint64_t unacked;	/* complete entries after the checkpoint */
	char reason[256];	/* what failed, for people */
	/*
	 * 1 when a derived file (tree, index) is short or does not match
	 * the entries: what a power loss can leave, since they are written
	 * without sync. Not tampering (BG_OK): derived says so for people,
	 * and bg_audit_rebuild() makes them again.
	 */
	int derived_bad;
	char derived[256];
};

/*
 * Verifies the whole log in dir without taking the writer lock: every leaf
 * and the root recomputed, the checkpoint signature, seq continuity, time
 * monotonicity, the derived node store, and (when given) consistency with
 * an older checkpoint. Streams: O(log n) memory. BG_OK, BG_ETAMPER (with
 * result filled in), BG_ESIG, BG_ECONSIST, or another error for I/O.
 */
int bg_audit_verify(const char *dir, const struct bg_audit_verify_opts *opts,
    struct bg_audit_verify_result *result);
/*
 * Takes the writer lock (as bg_audit_open in write mode, recovering a
 * crash first) and rebuilds the derived files from the entries, checked
 * against the signed checkpoint.
 */
int bg_audit_rebuild(const char *dir);

#endif /* BG_AUDIT_H */
