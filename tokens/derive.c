/*
 * Token secret -> X25519 key (docs/design.md §5): HKDF-SHA256 with the
 * enrollment id as salt, then X25519 (RFC 7748 clamps the scalar). The
 * X25519 private key -> an Ed25519 signing key: HKDF-SHA256 again, with
 * the id as salt, to the seed (RFC 8032), which lives in locked memory only.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/common.h"
#include "tokens/internal.h"

#define SEED_LEN 32

static const char token_info[] = "breakglass/v1/token-key";
static const char sign_info[] = "breakglass/v2/token-sign";

int
bg_token_derive(const uint8_t id[BG_TOKEN_ID_LEN], const uint8_t *secret,
    size_t secret_len, uint8_t priv[32], uint8_t pub[32])
{
	int r;

	if (id == NULL || secret == NULL || secret_len == 0 || priv == NULL ||
	    pub == NULL)
		return BG_EINVAL;
	if ((r = bg_hkdf_sha256(id, BG_TOKEN_ID_LEN, secret, secret_len,
	    token_info, sizeof(token_info) - 1, priv, 32)) != BG_OK ||
	    (r = bg_x25519_public(priv, pub)) != BG_OK)
		bg_wipe(priv, 32);
	return r;
}

int
bg_sign_pkey(const uint8_t id[BG_TOKEN_ID_LEN], const uint8_t xpriv[32],
    EVP_PKEY **pkey)
{
	uint8_t *seed;
	int r;

	*pkey = NULL;
	if ((seed = bg_secure_alloc(SEED_LEN)) == NULL)
		return BG_ENOMEM;
	if ((r = bg_hkdf_sha256(id, BG_TOKEN_ID_LEN, xpriv, 32, sign_info,
	    sizeof(sign_info) - 1, seed, SEED_LEN)) == BG_OK &&
	    (*pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
	    SEED_LEN)) == NULL) {
		ERR_clear_error();
		r = BG_ECRYPTO;
	}
	bg_secure_free(&seed, SEED_LEN);
	return r;
}

int
bg_token_sign_public(const uint8_t id[BG_TOKEN_ID_LEN],
    const uint8_t xpriv[32], uint8_t pub[32])
{
	EVP_PKEY *pkey;
	size_t len = 32;
	int r;

	if (id == NULL || xpriv == NULL || pub == NULL)
		return BG_EINVAL;
	if ((r = bg_sign_pkey(id, xpriv, &pkey)) != BG_OK)
		return r;
	if (EVP_PKEY_get_raw_public_key(pkey, pub, &len) != 1 || len != 32) {
		ERR_clear_error();
		bg_wipe(pub, 32);
		r = BG_ECRYPTO;
	}
	EVP_PKEY_free(pkey);
	return r;
}

/* Both public keys of k are the descriptor's. */
static int
key_matches(const bg_token_desc_t *d, const bg_token_key_t *k,
    const uint8_t pub[32])
{
	uint8_t spub[32];
	int r;

	if (bg_ct_memcmp(pub, d->pub, sizeof(d->pub)) != 0) {
		bg_set_why("the derived key does not match the enrolled one");
		return BG_EWRONGTOKEN;
	}
	if ((r = bg_token_sign_public(d->id, k->priv, spub)) != BG_OK)
		return r;
	if (bg_ct_memcmp(spub, d->sign_pub, sizeof(d->sign_pub)) != 0) {
		bg_set_why("the derived signing key does not match the "
		    "enrolled one");
		return BG_EWRONGTOKEN;
	}
	return BG_OK;
}

int
bg_desc_key(const bg_token_desc_t *d, const uint8_t *secret, size_t len,
    bg_token_key_t **key)
{
	uint8_t pub[32];
	bg_token_key_t *k;
	int r;

	*key = NULL;
	if ((k = bg_secure_alloc(sizeof(*k))) == NULL)
		return BG_ENOMEM;
	memcpy(k->id, d->id, sizeof(k->id));
	if ((r = bg_token_derive(d->id, secret, len, k->priv, pub)) == BG_OK)
		r = key_matches(d, k, pub);
	if (r != BG_OK) {
		bg_secure_free(&k, sizeof(*k));
		return r;
	}
	*key = k;
	return BG_OK;
}

int
bg_desc_set_secret(bg_token_desc_t *d, const uint8_t *secret, size_t len)
{
	uint8_t *priv;
	int r;

	if ((priv = bg_secure_alloc(32)) == NULL)
		return BG_ENOMEM;
	if ((r = bg_token_derive(d->id, secret, len, priv, d->pub)) == BG_OK &&
	    (r = bg_token_sign_public(d->id, priv, d->sign_pub)) == BG_OK &&
	    (r = bg_desc_check_keys(d)) == BG_OK)
		r = bg_desc_prove(d, priv);
	bg_secure_free(&priv, 32);
	return r;
}

void
bg_token_key_free(bg_token_key_t **key)
{
	if (key != NULL)
		bg_secure_free(key, sizeof(**key));
}

const uint8_t *
bg_token_key_bytes(const bg_token_key_t *key)
{
	return key == NULL ? NULL : key->priv;
}
