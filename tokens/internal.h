/* Private to tokens/: the descriptor and the drivers' entry points. */
#ifndef BG_TOKENS_INTERNAL_H
#define BG_TOKENS_INTERNAL_H

#include <openssl/types.h>

#include "tokens/token.h"

#define FIDO2_CRED_ID_MAX 1024
#define FIDO2_PUBKEY_LEN 64		/* ES256 x || y */
#define FIDO2_SALT_LEN 32
#define FIDO2_AAGUID_LEN 16
#define FIDO2_ATT_MAX 8192		/* attestation pieces, each */

struct bg_token_desc {
	enum bg_token_kind kind;
	uint8_t id[BG_TOKEN_ID_LEN];
	char id_hex[2 * BG_TOKEN_ID_LEN + 1];
	uint8_t pub[BG_TOKEN_X25519_LEN];
	uint8_t sign_pub[32];		/* Ed25519 */
	/* FIDO2 */
	uint8_t cred_id[FIDO2_CRED_ID_MAX];
	size_t cred_id_len;
	uint8_t cred_pub[FIDO2_PUBKEY_LEN];
	uint8_t salt[FIDO2_SALT_LEN];
	enum bg_token_uv uv;
	uint8_t aaguid[FIDO2_AAGUID_LEN];
	char att_fmt[16];		/* "packed", "fido-u2f", "none" */
	uint8_t *att_authdata, *att_sig, *att_x5c, *att_cdh;
	size_t att_authdata_len, att_sig_len, att_x5c_len, att_cdh_len;
	char model[128];
	/* YubiKey */
	uint32_t serial;
	int slot;
	uint8_t challenge[BG_TOKEN_YK_CHALLENGE_LEN];
	/* proof of possession (proof.c): FIDO2, the enrollment assertion */
	int has_proof;
	uint8_t proof_authdata[BG_TOKEN_AUTHDATA_MAX];	/* CBOR, as in
							 * bg_token_assertion */
	size_t proof_authdata_len;
	uint8_t proof_es256[BG_TOKEN_SIG_MAX];		/* DER ECDSA */
	size_t proof_es256_len;
	uint8_t proof_sig[BG_TOKEN_SIG_LEN];		/* Ed25519 */
};

struct bg_token_key {
	uint8_t priv[32];
	uint8_t id[BG_TOKEN_ID_LEN];	/* salt of the signing key */
};

/* desc.c */
bg_token_desc_t *bg_desc_new(enum bg_token_kind kind);
/*
 * derive.c: the keys from the token secret, checked (check.c), and the
 * proof signed (proof.c); every other field of d must be set.
 */
int bg_desc_set_secret(bg_token_desc_t *d, const uint8_t *secret, size_t len);
/* Derives the key from secret and checks it against d->pub, d->sign_pub. */
int bg_desc_key(const bg_token_desc_t *d, const uint8_t *secret, size_t len,
    bg_token_key_t **key);

/* derive.c: the Ed25519 signing key of xpriv; the caller EVP_PKEY_free()s. */
int bg_sign_pkey(const uint8_t id[BG_TOKEN_ID_LEN], const uint8_t xpriv[32],
    EVP_PKEY **pkey);

/* pin.c: a NUL-terminated PIN in secure memory; free with bg_pin_free. */
int bg_pin_read(const struct bg_token_opts *o, char **pin);
void bg_pin_free(char **pin);

/* Prompts through o->prompt when set. */
void bg_token_say(const struct bg_token_opts *o, const char *msg);
int bg_token_timeout(const struct bg_token_opts *o);

/* fido2.c */
int bg_fido2_list(struct bg_token_dev **devs, size_t *n, size_t *cap);
int bg_fido2_enroll(const struct bg_token_opts *o, bg_token_desc_t **desc);
int bg_fido2_unlock(const bg_token_desc_t *d, const struct bg_token_opts *o,
    bg_token_key_t **key);

/* yubikey.c */
int bg_yk_list(struct bg_token_dev **devs, size_t *n, size_t *cap);
int bg_yk_enroll(const struct bg_token_opts *o, bg_token_desc_t **desc);
int bg_yk_unlock(const bg_token_desc_t *d, const struct bg_token_opts *o,
    bg_token_key_t **key);

/*
 * check.c: canonical, not of small order (BG_EFORMAT, reason in bg_why);
 * bg_check_es256 takes x || y, SEC1 uncompressed or compressed and gives
 * x || y.
 */
int bg_check_x25519(const uint8_t k[32]);
int bg_check_ed25519(const uint8_t k[32]);
int bg_check_es256(const uint8_t *in, size_t len,
    uint8_t out[FIDO2_PUBKEY_LEN]);
int bg_desc_check_keys(const bg_token_desc_t *d);

/* proof.c: the FIDO2 enrollment assertion's clientDataHash; the proof
 * signature over d by the signing key of xpriv (sets has_proof). */
int bg_proof_cred_hash(const bg_token_desc_t *d, uint8_t hash[32]);
int bg_desc_prove(bg_token_desc_t *d, const uint8_t xpriv[32]);

/* attest.c: the DER certificate chains to a root in the PEM bundle. */
int bg_attest_chain(const uint8_t *der, size_t len, const char *trust_pem);

/* Appends one device to a growable list. */
int bg_devs_push(struct bg_token_dev **devs, size_t *n, size_t *cap,
    const struct bg_token_dev *dev);

#endif
