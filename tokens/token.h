/*
 * tokens: hardware token drivers behind one interface (docs/design.md §5, §8).
 *
 * Two kinds: FIDO2 keys through libfido2 (ES256 credential with
 * hmac-secret, rp id "breakglass") and YubiKeys through libykpers
 * (HMAC-SHA1 challenge-response). Either yields a token secret for a salt
 * or challenge fixed at enrollment; HKDF-SHA256 turns it into an X25519
 * private key whose public key is stored in the descriptor, so data can be
 * encrypted to a token without touching it and only the token decrypts.
 * That key also gives an Ed25519 signing key, whose public key is in the
 * descriptor too: every token signs, YubiKeys included.
 *
 * This module knows nothing of groups, vaults or requests.
 */
#ifndef BG_TOKEN_H
#define BG_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define BG_TOKEN_RP_ID "breakglass"
#define BG_TOKEN_X25519_LEN 32
#define BG_TOKEN_ID_LEN 16
#define BG_TOKEN_YK_CHALLENGE_LEN 64
#define BG_TOKEN_TIMEOUT_MS 30000	/* default wait for a touch */

enum bg_token_kind {
	BG_TOKEN_FIDO2 = 1,
	BG_TOKEN_YUBIKEY = 2,
};

/* User verification of a FIDO2 credential: fixed at enrollment. */
enum bg_token_uv {
	BG_TOKEN_UV_AUTO = 0,	/* enroll only: PIN if the token has one */
	BG_TOKEN_UV_NONE = 1,	/* user presence (touch) only */
	BG_TOKEN_UV_PIN = 2,	/* touch and PIN on every use */
};

/* A connected token, as listed. */
struct bg_token_dev {
	enum bg_token_kind kind;
	char path[256];		/* FIDO2: the libfido2 path */
	uint32_t serial;	/* YubiKey: serial number */
	char model[128];	/* manufacturer and product, or firmware */
};

/*
 * Lists connected tokens of both kinds. *devs is freed by the caller with
 * free(); *n may be 0.
 */
int bg_token_list(struct bg_token_dev **devs, size_t *n);

/* Prompts for people ("touch your token"); msg never holds secrets. */
typedef void (*bg_token_prompt_fn)(void *ctx, const char *msg);

/* What an operation may use; zero-initialise, then set what applies. */
struct bg_token_opts {
	const char *device;	/* FIDO2: this path only (NULL: probe all) */
	uint32_t serial;	/* YubiKey: this serial (0: the only key) */
	int slot;		/* YubiKey: 1 or 2 (0: 2) */
	enum bg_token_uv uv;	/* FIDO2 enroll: UV mode to fix */
	const char *label;	/* FIDO2 enroll: user name on the credential */
	int pin_fd;		/* >= 0: read the PIN from this descriptor;
				 * -1: prompt on /dev/tty with echo off */
	const char *trust_pem;	/* FIDO2 enroll: PEM bundle of attestation
				 * roots; non-NULL requires genuine hardware */
	int timeout_ms;		/* touch wait (0: BG_TOKEN_TIMEOUT_MS) */
	bg_token_prompt_fn prompt;
	void *prompt_ctx;
};

/* Returns opts with pin_fd = -1 and everything else zero. */
struct bg_token_opts bg_token_opts_default(void);

/* ------------------------------------------------------------ descriptors */

typedef struct bg_token_desc bg_token_desc_t;

/*
 * Enrolls the token: FIDO2 creates the credential (touch, PIN if the UV
 * mode says so) and asserts once to derive the key (a second touch);
 * YubiKey first checks that the slot waits for a touch (a slot that
 * answers without one is BG_ENOUP, with the way to reprogram it in
 * bg_why; docs/tokens.md), then asks it to answer a fresh random challenge
 * (the touch). The descriptor carries a proof of possession
 * (bg_token_desc_proof_verify). Caller frees *desc with
 * bg_token_desc_free(). kind is BG_TOKEN_FIDO2 or BG_TOKEN_YUBIKEY.
 */
int bg_token_enroll(enum bg_token_kind kind, const struct bg_token_opts *o,
    bg_token_desc_t **desc);

/* Descriptor as a JSON object (no secrets); caller cJSON_Delete()s it. */
int bg_token_desc_to_json(const bg_token_desc_t *desc, cJSON **json);
/*
 * Strict parse: unknown keys, wrong types or lengths are BG_EFORMAT, and
 * so are public keys that are not canonically encoded or of small order
 * (X25519: top bit set, u >= 2^255-19, or one of the five small-order u;
 * Ed25519: y >= 2^255-19, not a point, x = 0 with the sign bit, or one of
 * the eight small-order points; ES256: not a P-256 point), each with a
 * reason in bg_why. "cred_pubkey" may be x || y (as written), or SEC1
 * uncompressed or compressed: it is kept, and written back, as x || y.
 * "proof" is optional here (descriptors enrolled before it parse) and
 * checked by bg_token_desc_proof_verify(), not by the parse.
 */
int bg_token_desc_from_json(const cJSON *json, bg_token_desc_t **desc);
void bg_token_desc_free(bg_token_desc_t **desc);

/*
 * 1 when a and b are the same physical token or the same key material,
 * else 0 (also for NULL): the same enrollment id, X25519 public key or
 * Ed25519 public key; for two FIDO2 descriptors the same credential id or
 * the same credential public key (as a point, whatever its encoding); for
 * two YubiKey descriptors the same serial and slot. What it cannot see:
 * two credentials of one FIDO2 key (a FIDO2 key makes a fresh credential
 * and key pair per enrollment and shows no serial; docs/tokens.md).
 */
int bg_token_desc_same(const bg_token_desc_t *a, const bg_token_desc_t *b);

/*
 * Offline check of the proof of possession that enrollment writes into
 * the descriptor ("proof", docs/tokens.md): the Ed25519 signature of the
 * token's signing key over every field of the descriptor, and for FIDO2
 * the enrollment assertion of the credential key over the credential's
 * fields (rp id, user presence and the enrolled UV mode included). BG_OK;
 * BG_ESIG when a signature does not verify (an edited descriptor, or one
 * not made by its token); BG_EFORMAT when the descriptor has no proof;
 * BG_EINVAL for NULL. The reason is in bg_why.
 */
int bg_token_desc_proof_verify(const bg_token_desc_t *desc);

/*
 * The proof a YubiKey descriptor's token would make, from the raw X25519
 * private key its "x25519" and "ed25519" come from (BG_EWRONGTOKEN when
 * they do not): for tests and the test programs that play a token, like
 * bg_token_sign_raw. FIDO2 descriptors need the token (BG_EINVAL).
 */
int bg_token_desc_prove_raw(bg_token_desc_t *desc, const uint8_t xpriv[32]);

enum bg_token_kind bg_token_desc_kind(const bg_token_desc_t *desc);
/* The token's X25519 public key (BG_TOKEN_X25519_LEN bytes). */
const uint8_t *bg_token_desc_public(const bg_token_desc_t *desc);
/* The token's Ed25519 public key (32 bytes): the "ed25519" field. */
const uint8_t *bg_token_desc_sign_public(const bg_token_desc_t *desc);
/* 32 hex characters naming the enrollment. */
const char *bg_token_desc_id(const bg_token_desc_t *desc);
/* FIDO2: UV mode; YubiKey: BG_TOKEN_UV_NONE. */
enum bg_token_uv bg_token_desc_uv(const bg_token_desc_t *desc);
/* One line for people: kind, serial or credential prefix, model. */
int bg_token_desc_summary(const bg_token_desc_t *desc, char *out,
    size_t outsz);

/* --------------------------------------------------------------- unlock */

/* The token's X25519 private key, in locked memory, wiped on free. */
typedef struct bg_token_key bg_token_key_t;

/*
 * Touches the token for its secret, derives the X25519 private key and
 * checks it, and the Ed25519 public key derived from it, against the
 * descriptor's public keys: a token that gives a different secret (or a
 * descriptor whose "ed25519" was edited) is BG_EWRONGTOKEN, never a wrong
 * key. Caller frees *key with bg_token_key_free().
 */
int bg_token_unlock(const bg_token_desc_t *desc, const struct bg_token_opts *o,
    bg_token_key_t **key);
void bg_token_key_free(bg_token_key_t **key);
/* The 32-byte X25519 private key; valid until bg_token_key_free(). */
const uint8_t *bg_token_key_bytes(const bg_token_key_t *key);

/* -------------------------------------------------------- sign (FIDO2) */

#define BG_TOKEN_AUTHDATA_MAX 512
#define BG_TOKEN_SIG_MAX 80

/* A FIDO2 assertion over a 32-byte hash (the clientDataHash). */
struct bg_token_assertion {
	uint8_t authdata[BG_TOKEN_AUTHDATA_MAX];	/* CBOR byte string, as
							 * fido2-assert prints */
	size_t authdata_len;
	uint8_t sig[BG_TOKEN_SIG_MAX];			/* DER ECDSA */
	size_t sig_len;
	uint8_t flags;					/* UP 0x01, UV 0x04 */
	uint32_t counter;
};

/*
 * One touch: an assertion over hash, checked against the enrolled public
 * key (BG_ESIG when it does not verify, BG_ENOUP without user presence,
 * BG_EUV when the UV flag does not match the enrolled mode), and, when key
 * is not NULL, the token key from the same assertion's hmac-secret. FIDO2
 * descriptors only (BG_EINVAL otherwise).
 */
int bg_token_sign(const bg_token_desc_t *desc, const struct bg_token_opts *o,
    const uint8_t hash[32], struct bg_token_assertion *out,
    bg_token_key_t **key);

/*
 * Offline check of an assertion with the enrolled public key: signature
 * over authdata || hash, rp id "breakglass", user presence, and the UV flag
 * of the enrolled mode. BG_OK, BG_ESIG, BG_ENOUP, BG_EUV or BG_EFORMAT.
 */
int bg_token_verify(const bg_token_desc_t *desc, const uint8_t hash[32],
    const struct bg_token_assertion *a);

/* ------------------------------------------------ sign (every token) */

/*
 * Every token key, FIDO2 or YubiKey, gives an Ed25519 signing key: the seed
 * is HKDF-SHA256(ikm = the 32-byte X25519 private key, salt = the token id,
 * info = "breakglass/v2/token-sign"), held in locked memory only and wiped
 * after each use. Its public key is the descriptor's "ed25519" field, so a
 * signature is checked offline with the descriptor alone. Unlike a FIDO2
 * assertion, a signature proves that the token key was derived (the token
 * was touched) by the signer, not that the token was touched for this one
 * message. Signatures are pure Ed25519 (RFC 8032), 64 bytes.
 */
#define BG_TOKEN_SIG_LEN 64

/*
 * Signs msg (len bytes; msg may be NULL when len is 0) with the signing key
 * of an unlocked token. The key knows its token id.
 */
int bg_token_key_sign(const bg_token_key_t *key, const uint8_t *msg,
    size_t len, uint8_t sig[BG_TOKEN_SIG_LEN]);

/*
 * Checks sig over msg with the descriptor's "ed25519" public key: BG_OK or
 * BG_ESIG (BG_EINVAL for NULL arguments, BG_ENOMEM).
 */
int bg_token_sig_verify(const bg_token_desc_t *desc, const uint8_t *msg,
    size_t len, const uint8_t sig[BG_TOKEN_SIG_LEN]);

/*
 * The same signature from a raw X25519 private key and the token id it was
 * derived for, without a token: for tests and the test programs that play
 * a token.
 */
int bg_token_sign_raw(const uint8_t id[BG_TOKEN_ID_LEN],
    const uint8_t xpriv[32], const uint8_t *msg, size_t len,
    uint8_t sig[BG_TOKEN_SIG_LEN]);

/*
 * The Ed25519 public key of the signing key of X25519 private key xpriv
 * for token id: what enrollment writes as "ed25519" (and tests compute).
 */
int bg_token_sign_public(const uint8_t id[BG_TOKEN_ID_LEN],
    const uint8_t xpriv[32], uint8_t pub[32]);

/* ------------------------------------------------------------- YubiKey */

/*
 * Writes a fresh random HMAC-SHA1 secret into slot (1 or 2) of the key
 * with o->serial, touch required, through libykpers' configuration API.
 * A configured slot is refused (BG_EEXIST) unless force is set. The
 * secret exists only on the key afterwards.
 */
int bg_token_yk_program(const struct bg_token_opts *o, int force);

/* ----------------------------------------------------------- derivation */

/*
 * HKDF-SHA256(ikm = secret, salt = id, info = "breakglass/v1/token-key")
 * to an X25519 private key, and its public key. Exposed for tests.
 */
int bg_token_derive(const uint8_t id[BG_TOKEN_ID_LEN], const uint8_t *secret,
    size_t secret_len, uint8_t priv[32], uint8_t pub[32]);

#endif /* BG_TOKEN_H */
