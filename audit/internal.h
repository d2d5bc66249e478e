/*
 * Private to audit/: shared pieces of log.c, append.c, verify.c, proof.c.
 */
#ifndef BG_AUDIT_INTERNAL_H
#define BG_AUDIT_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>

#include "audit/audit.h"
#include "audit/merkle.h"
#include "audit/note.h"

#define BG_TIME_LEN 24		/* "YYYY-MM-DDTHH:MM:SS.mmmZ" */

#define F_ENTRIES "entries.jsonl"
#define F_SLOTS "checkpoint.slots"
#define F_CHECKPOINT "checkpoint"
#define F_TREE "tree"
#define F_INDEX "index"
#define F_KEY "signing.key"
#define F_VKEY "verifier.vkey"
#define D_RECOVERED "recovered"

/* ------------------------------------------------------------- entry.c */

/* Formats one entry line ending in '\n'; *line freed by caller (free). */
int bg_entry_format(uint64_t seq, const char *time,
    const struct bg_audit_event *ev, char **line, size_t *len);
/*
 * Fast structural scan used by verify and recovery: the line (no '\n')
 * starts with {"seq":N,"time":"T","event":" and ends with '}'.
 */
int bg_entry_scan(const char *line, size_t len, uint64_t *seq,
    char time[BG_TIME_LEN + 1]);
/* Current UTC time in entry format. */
int bg_entry_now(char time[BG_TIME_LEN + 1]);

/* ------------------------------------------------------- clock (log.c) */

/*
 * A clock reading up to this much behind the previous entry's time is a
 * correction (NTP): the previous time is reused. Further behind, the
 * writer records a clock.skew entry and the real time (docs/audit.md).
 */
#define BG_CLOCK_SLACK_MS 1000

/* Milliseconds since the epoch of an entry time; BG_EFORMAT when it is
 * not "YYYY-MM-DDTHH:MM:SS.mmmZ" naming a real instant. */
int bg_time_ms(const char *t, int64_t *ms);
/* The detail of a clock.skew entry: previous, now, back_ms. */
int bg_skew_detail(const char *prev, const char *now, cJSON **out);
/* BG_OK when the clock.skew entry e is exactly the step from prev (the
 * previous entry's time) back to its own time; BG_ETAMPER otherwise. */
int bg_skew_check(const struct bg_audit_entry *e, const char *prev);

/* ------------------------------------------------------------- slots.c */

#define BG_SLOT_SIZE 4096

struct bg_slot {
	int valid;		/* checksum and structure good */
	int empty;		/* all zero: never written (a new log) */
	uint64_t gen;
	char note[BG_SLOT_SIZE];
	size_t note_len;
	struct bg_checkpoint cp;	/* parsed body, when valid and signed */
};

/* Reads both slots; signature checked with key. BG_ESIG when a slot with
 * a good checksum holds a note that does not verify (forgery). */
int bg_slots_read(int fd, const struct bg_note_key *key, struct bg_slot s[2]);
/* Writes note into slot pos with generation gen (no sync: callers
 * fdatasync, and an error there leaves the slot's state unknown). */
int bg_slots_write(int fd, int pos, uint64_t gen, const char *note,
    size_t len);

/*
 * Chooses the checkpoint that the entries (count e) must match: the newest
 * valid slot. Entries are made durable before their checkpoint, so entries
 * beyond it are an unacknowledged tail (a crash, or a rolled-back
 * checkpoint) and are never accepted; fewer entries than it covers means
 * entries were removed. A slot torn by a crash is not valid and the other
 * one is used. *pos receives the slot. BG_ETAMPER when no rule fits.
 */
int bg_slots_select(const struct bg_slot s[2], uint64_t e, int *pos,
    char *why, size_t whysz);

/*
 * 1 when the slot other than pos is damaged in a way only a torn write
 * explains: not valid, and not the never-written slot of a new log. Since
 * entries are made durable before their checkpoint, a torn newest slot
 * always comes with complete entries after the older checkpoint; a
 * damaged slot without them means an acknowledged append was removed.
 */
int bg_slots_other_torn(const struct bg_slot s[2], int pos);

/* Signs a checkpoint for (size, root) as a note; caller frees *note. */
int bg_checkpoint_sign(EVP_PKEY *key, const char *origin, uint64_t size,
    const uint8_t root[BG_HASH_LEN], char **note, size_t *len);
/* Opens a note with key and parses its checkpoint body. */
int bg_checkpoint_open(const char *note, size_t len,
    const struct bg_note_key *key, struct bg_checkpoint *cp);

/* -------------------------------------------------------------- keys.c */

/* Reads dir/verifier.vkey. */
int bg_keys_load_vkey(const char *dir, struct bg_note_key *key);
/* Reads dir/signing.key; BG_EPERM when group or others can read it. */
int bg_keys_load_priv(const char *dir, EVP_PKEY **priv);
/* Generates the key pair and writes both files (O_EXCL). */
int bg_keys_create(const char *dir, const char *origin, EVP_PKEY **priv,
    struct bg_note_key *key);

/* ------------------------------------------------------------- store.c */

/* The derived files: node hashes (post-order) and entry end offsets. */
struct bg_store {
	int tree_fd;
	int index_fd;
};

int bg_store_open(int dirfd, int writable, struct bg_store *st);
void bg_store_close(struct bg_store *st);
/* bg_merkle_get_fn over the tree file; ctx is a struct bg_store *. */
int bg_store_get(void *ctx, unsigned level, uint64_t index,
    uint8_t out[BG_HASH_LEN]);
/* Entries with an end offset in the index, and hashes in the tree. */
int bg_store_counts(const struct bg_store *st, uint64_t *index_n,
    uint64_t *tree_n);
/* End offset of entry seq (its '\n' + 1). */
int bg_store_end(const struct bg_store *st, uint64_t seq, uint64_t *end);

/* ---------------------------------------------------------- lock / util */

int bg_open_dir(const char *dir, int *dirfd);
/* BG_E* for the errno of a failed call; BG_EIO for a short transfer. */
int bg_io_err(ssize_t n);

/* A growable byte buffer (append path and recovery). */
struct bg_bytes {
	uint8_t *p;
	size_t len, cap;
};
int bg_bytes_add(struct bg_bytes *b, const void *data, size_t n);
/* Appends v as 8 little-endian bytes (the index file's format). */
int bg_bytes_add_u64(struct bg_bytes *b, uint64_t v);
void bg_bytes_free(struct bg_bytes *b);
/* bg_merkle_emit_fn appending each completed hash to a struct bg_bytes. */
int bg_bytes_emit(void *ctx, unsigned level, uint64_t index,
    const uint8_t hash[BG_HASH_LEN]);

/* Buffered line reader over a file descriptor (pread, no seek). */
struct bg_lines {
	int fd;
	uint64_t off;		/* next file offset to read */
	char *buf;
	size_t cap, len, pos;
	uint64_t consumed;	/* bytes of complete lines returned */
	size_t partial;		/* bytes after the last '\n' at end of file */
};
int bg_lines_init(struct bg_lines *lr, int fd, uint64_t off, size_t cap);
void bg_lines_free(struct bg_lines *lr);
/* 1 with a line (no '\n'), 0 at end of file, or a BG_E* code. */
int bg_lines_next(struct bg_lines *lr, const char **line, size_t *len);
/* Up to max lines already in the buffer (reading more only when none is):
 * 1 with *n > 0, 0 at end of file, or a BG_E* code. Valid until the next
 * call. */
struct bg_line {
	const char *p;
	size_t len;
};
int bg_lines_batch(struct bg_lines *lr, struct bg_line *out, size_t max,
    size_t *n);

/* --------------------------------------------------------------- log.c */

struct bg_audit {
	char *dir;
	int dirfd;
	int writable;
	int poisoned;		/* an I/O error left the state unknown */
	int rebuild;		/* the writer's open rebuilds derived files */
	int entries_fd;
	int slots_fd;
	struct bg_store store;
	EVP_PKEY *priv;		/* write mode only */
	struct bg_note_key key;
	uint64_t size;		/* acknowledged entries */
	uint8_t root[BG_HASH_LEN];	/* the signed root at size */
	uint64_t end;		/* bytes of acknowledged entries */
	int slot_pos;		/* slot holding the current checkpoint */
	uint64_t gen;		/* its generation */
	char *note;		/* current checkpoint */
	size_t note_len;
	int note_stale;		/* plain checkpoint file needs refreshing */
	struct bg_merkle_stream stream;	/* write mode only */
	char last_time[BG_TIME_LEN + 1];
	struct bg_signer *signer;	/* append.c: checkpoint signing thread */
	int signer_failed;
};

/* Stops the handle's signing thread (append.c); accepts none. */
struct bg_audit;
void bg_signer_stop(struct bg_audit *log);

/* State on open, in recover.c: the writer recovers, readers only look. */
int bg_recover(struct bg_audit *log);
int bg_reader_state(struct bg_audit *log);
/* Records why the last call failed (common's bg_set_why). */
#define bg_audit_set_why bg_set_why
/* Rewrites the slot not holding the current checkpoint with it (gen + 1)
 * and syncs; the handle then points at that slot. recover.c. */
int bg_log_heal_slot(struct bg_audit *log);
/* Refreshes audit/checkpoint from log->note (atomic replace). */
int bg_log_write_plain(struct bg_audit *log);

#endif /* BG_AUDIT_INTERNAL_H */
