/*
 * common: small primitives shared by every module of breakglass.
 *
 * Errors, secure memory, exact-length encodings, atomic file replacement and
 * strict JSON helpers over cJSON. Nothing here knows about audit logs,
 * tokens or vaults.
 */
#ifndef BG_COMMON_H
#define BG_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

/* ---------------------------------------------------------------- errors */

/*
 * Public calls return BG_OK (0) or a negative BG_E* code. The codes are
 * stable: tests and the CLI map them to exit codes and messages.
 */
enum bg_err {
	BG_OK = 0,
	BG_EINTERNAL = -1,	/* a bug or an impossible state */
	BG_ENOMEM = -2,		/* out of memory */
	BG_EINVAL = -3,		/* invalid argument from the caller */
	BG_EFORMAT = -4,	/* malformed input (file, JSON, encoding) */
	BG_EIO = -5,		/* I/O error (EIO, short write, ...) */
	BG_ENOSPC = -6,		/* no space left on device */
	BG_EEXIST = -7,		/* already exists */
	BG_ENOENT = -8,		/* does not exist */
	BG_ELOCKED = -9,	/* another writer holds the lock */
	BG_ETAMPER = -10,	/* tampering detected */
	BG_ESIG = -11,		/* signature invalid */
	BG_ECRYPTO = -12,	/* cryptographic library failure */
	BG_ERANGE = -13,	/* value out of range */
	BG_EPERM = -14,		/* permission or ownership wrong */
	BG_ETOOBIG = -15,	/* input larger than the allowed bound */
	BG_EPROOF = -16,	/* Merkle proof does not verify */
	BG_ECONSIST = -17,	/* log is not consistent with a checkpoint */
	BG_ERECOVER = -18,	/* needs recovery by a writer after a crash */
	BG_EROFS = -19,		/* read-only file system */
	/* hardware tokens */
	BG_ENODEV = -30,	/* no token connected */
	BG_ENOCRED = -31,	/* the credential is on no connected token */
	BG_EPIN = -32,		/* wrong PIN */
	BG_EPINBLOCKED = -33,	/* PIN blocked: too many wrong PINs */
	BG_ETIMEOUT = -34,	/* no touch before the timeout */
	BG_EREMOVED = -35,	/* the token went away during the operation */
	BG_ENOUP = -36,		/* the token did not assert user presence */
	BG_EWRONGTOKEN = -37,	/* the token gave a different secret */
	BG_ENOSLOT = -38,	/* YubiKey slot not configured */
	BG_ESERIAL = -39,	/* no YubiKey with that serial */
	BG_ERESPONSE = -40,	/* token response of the wrong size or form */
	BG_EUV = -41,		/* user verification mode does not match */
	BG_EDEVICE = -42,	/* the token failed in another way */
	BG_EATTEST = -43,	/* attestation does not chain to a trusted root */
};

/* Returns a static, human-readable description of a BG_E* code. */
const char *bg_strerror(int err);

/*
 * A sentence on why the last failing call of this thread failed (which
 * entry, which file, how many PIN retries are left), or "" when it gave
 * none. Public calls clear it on entry. Never holds secrets.
 */
const char *bg_why(void);
void bg_set_why(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bg_clear_why(void);

/* Maps an errno value from a failed I/O call to a BG_E* code. */
int bg_err_from_errno(int errnum);

/* --------------------------------------------------------- secure memory */

/*
 * Memory for secrets: allocated from OpenSSL's locked secure heap when it
 * is available (never swapped), zeroed on allocation and wiped on free.
 * bg_secure_free() accepts NULL and sets *pp to NULL. Returns NULL on
 * failure.
 */
void *bg_secure_alloc(size_t len);
void bg_secure_free(void *pp, size_t len);
/* 1 when secrets are held in locked memory, 0 when the fallback is used. */
int bg_secure_locked(void);
/* Wipes len bytes at p; never optimised away. */
void bg_wipe(void *p, size_t len);
/* Constant-time comparison: 0 when equal. */
int bg_ct_memcmp(const void *a, const void *b, size_t len);
/*
 * Writes the NUL-terminated strings of parts (up to a NULL, at most 16)
 * to fd with writev(2), straight from where they are: a secret is never
 * copied into stdio's buffer, which lives in the ordinary heap until
 * exit. Flushes stdout first, so lines keep their order.
 */
int bg_write_secret(int fd, const char *const *parts);
/* Makes the process undumpable and disables core files. */
int bg_no_dump(void);

/* ------------------------------------------------------------- encodings */

/* Length of the NUL-terminated standard base64 encoding of n bytes. */
size_t bg_b64_len(size_t n);
/*
 * Standard base64 with padding, NUL-terminated. out must hold
 * bg_b64_len(n) bytes. Returns BG_OK or BG_ETOOBIG when outsz is short.
 */
int bg_b64_encode(const uint8_t *in, size_t n, char *out, size_t outsz);
/*
 * Strict decoding: canonical standard base64 with padding, no whitespace,
 * decoding to exactly outlen bytes. Anything else is BG_EFORMAT.
 */
int bg_b64_decode_exact(const char *in, size_t inlen, uint8_t *out,
    size_t outlen);
/*
 * Strict decoding of a variable-length value of at most outsz bytes;
 * *outlen receives the decoded length.
 */
int bg_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outsz,
    size_t *outlen);
/*
 * Decodes one UTF-8 code point at p (len > 0 bytes available): strict
 * (shortest form, no surrogates, at most U+10FFFF). Returns the bytes it
 * takes and stores the code point in *cp, or 0 for invalid input.
 */
size_t bg_utf8_next(const uint8_t *p, size_t len, uint32_t *cp);
/*
 * Text that may enter the audit log or a state file (common/text.c):
 * strict UTF-8 without C0 or C1 controls, DEL, or the invisible direction
 * controls (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069).
 * Newline and tab are refused too; BG_TEXT_LINES allows '\n' (only) for
 * the multi-line statements the program builds itself. bg_text_check
 * returns BG_OK or BG_EFORMAT with the offending byte offset in *off and a
 * static description ("invalid UTF-8", "a control character", "a
 * direction control character") in *problem; both may be NULL.
 */
#define BG_TEXT_LINES 1
int bg_text_check(const char *s, size_t len, int flags, size_t *off,
    const char **problem);
/* 1 when the NUL-terminated s passes bg_text_check. */
int bg_text_ok(const char *s, int flags);
/*
 * A copy of in for messages and refusal records: each byte that is not
 * clean one-line text becomes U+FFFD. Cut to fit outsz (at a character);
 * returns the length written.
 */
size_t bg_text_clean(const char *in, char *out, size_t outsz);
/*
 * Checks every string in the tree j (each object key on one line, each
 * string value under flags), to BG_JSON_MAX_DEPTH. On BG_EFORMAT, where
 * holds the path of the bad member ("detail.items[2].name", cut to
 * wheresz) and *problem what is wrong with it.
 */
int bg_text_check_json(const cJSON *j, int flags, char *where, size_t wheresz,
    const char **problem);
/* Lower-case hex, NUL-terminated; out must hold 2n+1 bytes. */
int bg_hex_encode(const uint8_t *in, size_t n, char *out, size_t outsz);
/* Strict hex (either case) decoding to exactly outlen bytes. */
int bg_hex_decode_exact(const char *in, size_t inlen, uint8_t *out,
    size_t outlen);

/* ----------------------------------------------------------------- crypto */

/* HKDF-SHA256 (RFC 5869) over OpenSSL's EVP_KDF; outlen <= 255 * 32. */
int bg_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
    size_t ikm_len, const void *info, size_t info_len, uint8_t *out,
    size_t outlen);
/* X25519 (RFC 7748): the public key of a 32-byte private key. */
int bg_x25519_public(const uint8_t priv[32], uint8_t pub[32]);
/* X25519 shared secret; BG_ECRYPTO for a low-order peer (all-zero output). */
int bg_x25519(const uint8_t priv[32], const uint8_t peer[32],
    uint8_t shared[32]);
/* Both at once: the shared secret, and priv's public key into mypub. */
int bg_x25519_with_public(const uint8_t priv[32], const uint8_t peer[32],
    uint8_t shared[32], uint8_t mypub[32]);

/* AES-256-GCM with a 12-byte nonce and a 16-byte tag (NIST SP 800-38D). */
int bg_aes256gcm_seal(const uint8_t key[32], const uint8_t nonce[12],
    const void *aad, size_t aadlen, const uint8_t *pt, size_t ptlen,
    uint8_t *ct, uint8_t tag[16]);
/* BG_ECRYPTO when the tag does not verify (out is then wiped). */
int bg_aes256gcm_open(const uint8_t key[32], const uint8_t nonce[12],
    const void *aad, size_t aadlen, const uint8_t *ct, size_t ctlen,
    const uint8_t tag[16], uint8_t *pt);

/*
 * A box sealed to an X25519 public key (docs/design.md §5): a fresh
 * ephemeral key pair; key and nonce = HKDF-SHA256(ikm = X25519(eph, pub),
 * salt = eph_pub || pub, info = "breakglass/v1/box/" || label); AES-256-GCM
 * over the plaintext with the caller's AAD (what the box is bound to).
 * Output: eph_pub (32) || ciphertext || tag (16). Anyone can seal; only
 * the private key opens. label separates uses (item, share, request).
 */
#define BG_BOX_OVERHEAD (32 + 16)
int bg_box_seal(const uint8_t pub[32], const char *label, const void *aad,
    size_t aadlen, const uint8_t *pt, size_t ptlen, uint8_t *out,
    size_t outsz, size_t *outlen);
/*
 * Opens a box; BG_ECRYPTO (with a reason in bg_why) when it does not open:
 * another key, another label or AAD, or altered bytes. pt gets
 * boxlen - BG_BOX_OVERHEAD bytes; callers put it in secure memory.
 */
int bg_box_open(const uint8_t priv[32], const char *label, const void *aad,
    size_t aadlen, const uint8_t *box, size_t boxlen, uint8_t *pt,
    size_t ptsz, size_t *ptlen);

/* ------------------------------------------------------------------ files */

/* Writes all len bytes, retrying on EINTR and short writes. */
int bg_write_all(int fd, const void *buf, size_t len);
/* Reads exactly len bytes at offset off; BG_EFORMAT on early EOF. */
int bg_pread_all(int fd, void *buf, size_t len, off_t off);
/*
 * Reads one line (without its '\n' or a final '\r') from fd into buf,
 * byte by byte so nothing after the line is consumed, for secrets typed or
 * piped in (PINs, passwords). At most max bytes are read: a longer line
 * gives BG_ETOOBIG as soon as its byte max + 1 arrives (the rest is left
 * unread), so an endless input returns at once. *len receives the length
 * kept.
 */
int bg_read_line(int fd, char *buf, size_t max, size_t *len);
/*
 * flock with a bounded wait (about 10 s); BG_ELOCKED past it. op is
 * LOCK_EX or LOCK_SH.
 */
int bg_lock_wait(int fd, int op);

/*
 * Replaces path atomically with data: temporary file in the same
 * directory (O_EXCL|O_NOFOLLOW, mode), write, fsync, rename, fsync of the
 * directory. On failure the old file is untouched and the temp removed.
 */
int bg_file_replace(const char *path, const void *data, size_t len,
    mode_t mode);
/*
 * 1 when name (no directory) is a temporary file of bg_file_replace:
 * "<name>.tmp.<pid>.<16 lower-case hex digits>".
 */
int bg_file_is_temp(const char *name);
/*
 * Removes from dir the temporary files bg_file_replace left there when it
 * was killed between creating one and renaming it. Only for a caller that
 * holds the lock every writer of dir holds: another writer's temp file
 * would go too. *removed (may be NULL) counts the files removed.
 */
int bg_file_sweep_temps(const char *dir, unsigned *removed);
/*
 * Creates path with O_EXCL|O_NOFOLLOW and the given mode, writes data,
 * fsyncs file and directory. BG_EEXIST when it already exists.
 */
int bg_file_create_excl(const char *path, const void *data, size_t len,
    mode_t mode);
/*
 * Reads a whole regular file of at most max bytes (O_NOFOLLOW).
 * *data is NUL-terminated (not counted in *len); caller frees with free().
 * BG_ETOOBIG when larger than max, BG_ENOENT when missing.
 */
int bg_file_read(const char *path, size_t max, char **data, size_t *len);
/* The same from an open descriptor of a regular file (from its start). */
int bg_fd_read_file(int fd, size_t max, char **data, size_t *len);
/*
 * The state directory's rule (docs/design.md §7): what breakglass opens
 * there is owned by the effective uid, not writable by group or others,
 * and not a symbolic link; BG_PERM_SECRET also refuses a file readable by
 * group or others (a private key). bg_perm_check judges an fstat result;
 * bg_path_check opens path (no symlink followed; BG_PERM_DIR for a
 * directory) and judges the opened file, BG_ENOENT when it is missing;
 * bg_file_read_checked is bg_file_read judging the file it opened. A
 * refusal is BG_EPERM with bg_why() naming the path, its mode and the
 * command that fixes it.
 */
#define BG_PERM_SECRET	1
#define BG_PERM_DIR	2
struct stat;
int bg_perm_check(const char *path, const struct stat *st, int flags);
int bg_path_check(const char *path, int flags);
int bg_file_read_checked(const char *path, size_t max, int flags, char **data,
    size_t *len);
/* fsyncs a directory. */
int bg_fsync_dir(const char *dir);
/* fsyncs the directory that holds path ("." or "/" for short paths). */
int bg_fsync_parent(const char *path);
/* Creates a directory with mode 0700; BG_OK when it already exists as a
 * directory owned by us with no group/other permissions. */
int bg_mkdir_private(const char *path);
/* Longest path we build; longer state directories are refused. */
#define BG_PATH_MAX 1024
/*
 * Joins a and b with '/' into out; BG_ETOOBIG when it does not fit,
 * BG_EINVAL when out is a or b (join into a fresh buffer).
 */
int bg_path_join(char *out, size_t outsz, const char *a, const char *b);

/* ------------------------------------------------------------------- JSON */

#define BG_JSON_MAX_DEPTH 16

/*
 * Parses exactly len bytes as one JSON value: no trailing bytes, nesting
 * at most BG_JSON_MAX_DEPTH, no duplicate keys in any object. Returns NULL
 * on failure; caller frees with cJSON_Delete().
 */
cJSON *bg_json_parse(const char *text, size_t len);

/*
 * Checks that obj is an object whose keys all appear in the NULL-terminated
 * list allowed, each at most once (also for trees not made by
 * bg_json_parse). BG_EFORMAT otherwise.
 */
int bg_json_only_keys(const cJSON *obj, const char *const *allowed);

/*
 * Typed getters. A missing key gives BG_ENOENT (callers decide whether the
 * field is optional); a present key of the wrong type or range gives
 * BG_EFORMAT or BG_ERANGE. Returned strings point into obj.
 */
int bg_json_get_str(const cJSON *obj, const char *key, size_t maxlen,
    const char **out);
int bg_json_get_u64(const cJSON *obj, const char *key, uint64_t min,
    uint64_t max, uint64_t *out);
int bg_json_get_bool(const cJSON *obj, const char *key, int *out);
int bg_json_get_obj(const cJSON *obj, const char *key, const cJSON **out);
int bg_json_get_array(const cJSON *obj, const char *key, const cJSON **out);
/*
 * Adds item under key to obj (key NULL: appends it to the array obj);
 * item is freed when that fails.
 */
int bg_json_add(cJSON *obj, const char *key, cJSON *item);
/* Decodes a base64 string field to exactly outlen bytes. */
int bg_json_get_b64(const cJSON *obj, const char *key, uint8_t *out,
    size_t outlen);

/* Largest integer a JSON number carries exactly (2^53). */
#define BG_JSON_INT_MAX UINT64_C(9007199254740992)

#endif /* BG_COMMON_H */
