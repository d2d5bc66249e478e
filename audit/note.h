/*
 * Private to audit/: C2SP signed-note with Ed25519 keys, and C2SP
 * tlog-checkpoint bodies.
 *
 * signed-note: key id = first 4 bytes (big-endian) of
 * SHA-256(name || 0x0A || 0x01 || pubkey); verifier key string
 * "name+hex8(keyid)+base64(0x01 || pubkey)"; a note is the text (ending in
 * "\n"), an empty line, then signature lines
 * "\u2014 name base64(keyid4 || sig64)\n".
 */
#ifndef BG_AUDIT_NOTE_H
#define BG_AUDIT_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define BG_NOTE_MAX 8192	/* largest note we parse */
#define BG_NOTE_NAME_MAX 128
#define BG_NOTE_MAX_SIGS 16

struct bg_note_key {
	char name[BG_NOTE_NAME_MAX + 1];
	uint32_t id;
	uint8_t pub[32];
};

/*
 * 1 when s[0..len) is valid UTF-8 without ASCII control characters other
 * than newline (signed-note "Format"); shared with checkpoint.c.
 */
int bg_note_utf8_ok(const void *s, size_t len);

/* A key name is non-empty, valid UTF-8, without '+', space or newline. */
int bg_note_name_ok(const char *name);
uint32_t bg_note_key_id(const char *name, const uint8_t pub[32]);
/* The key id for signature type alg (0x01 Ed25519, 0x04 cosignature/v1). */
int bg_note_key_id_alg(const char *name, size_t namelen, uint8_t alg,
    const uint8_t pub[32], uint32_t *id);
/* A verifier key of signature type alg ("name+hex8+base64(alg||pub)"). */
int bg_note_vkey_parse_alg(const char *vkey, size_t len, uint8_t alg,
    struct bg_note_key *key);
/*
 * signed-note "Format": *textlen is where the text ends (after its last
 * '\n'); the blank line and at least one signature line follow. 0 or -1.
 */
int bg_note_split(const char *note, size_t len, size_t *textlen);
/* Fills key from name and public key. */
int bg_note_key_init(struct bg_note_key *key, const char *name,
    const uint8_t pub[32]);
/* Verifier key string; out must hold BG_NOTE_NAME_MAX + 64 bytes. */
int bg_note_vkey_format(const struct bg_note_key *key, char *out, size_t outsz);
/* Strict parse of a verifier key string; the id must match the key. */
int bg_note_vkey_parse(const char *vkey, size_t len, struct bg_note_key *key);

/*
 * Signs text (must be non-empty, end in '\n', no empty line) with an
 * Ed25519 private key. *out is the complete note, NUL-terminated, caller
 * frees with free().
 */
int bg_note_sign(const char *text, size_t textlen, const char *name,
    EVP_PKEY *priv, char **out, size_t *outlen);

/*
 * Opens a note: strict structure per C2SP signed-note, and a valid
 * signature by key (other signers' lines are ignored but must be well
 * formed). *textlen receives the length of the text part (the text starts
 * at note[0]). BG_EFORMAT for a malformed note, BG_ESIG when no valid
 * signature by key is present (including a signature line with key's
 * name and id that does not verify).
 */
int bg_note_open(const char *note, size_t len, const struct bg_note_key *key,
    size_t *textlen);

/* C2SP tlog-checkpoint body. */
struct bg_checkpoint {
	char origin[BG_NOTE_NAME_MAX + 1];
	uint64_t size;
	uint8_t root[32];
};
/* Formats "origin\nsize\nbase64(root)\n"; NUL-terminated. */
int bg_checkpoint_format(const struct bg_checkpoint *cp, char *out,
    size_t outsz, size_t *outlen);
/*
 * Strict parse of a checkpoint body (the text of a note): origin line,
 * decimal size without leading zeros, base64 32-byte root, then optional
 * extension lines (non-empty). BG_EFORMAT on anything else.
 */
int bg_checkpoint_parse(const char *text, size_t len, struct bg_checkpoint *cp);

/* Ed25519 helpers over OpenSSL EVP. */
int bg_ed25519_generate(EVP_PKEY **priv);
int bg_ed25519_public(EVP_PKEY *key, uint8_t pub[32]);
int bg_ed25519_sign(EVP_PKEY *priv, const void *msg, size_t len, uint8_t sig[64]);
/* BG_OK or BG_ESIG. */
int bg_ed25519_verify(const uint8_t pub[32], const void *msg, size_t len,
    const uint8_t sig[64]);

#endif
