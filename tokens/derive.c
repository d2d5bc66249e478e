/*
 * Token secret -> X25519 key (docs/design.md §5): HKDF-SHA256 with the
 * enrollment id as salt, then X25519 (RFC 7748 clamps the scalar).
 */
#include <string.h>

#include "common/common.h"
#include "tokens/internal.h"

static const char token_info[] = "breakglass/v1/token-key";

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
bg_desc_key(const bg_token_desc_t *d, const uint8_t *secret, size_t len,
    bg_token_key_t **key)
{
	uint8_t pub[32];
	bg_token_key_t *k;
	int r;

	*key = NULL;
	if ((k = bg_secure_alloc(sizeof(*k))) == NULL)
		return BG_ENOMEM;
	if ((r = bg_token_derive(d->id, secret, len, k->priv, pub)) == BG_OK &&
	    bg_ct_memcmp(pub, d->pub, sizeof(pub)) != 0) {
		bg_set_why("the derived key does not match the enrolled one");
		r = BG_EWRONGTOKEN;
	}
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
	uint8_t priv[32];
	int r;

	r = bg_token_derive(d->id, secret, len, priv, d->pub);
	bg_wipe(priv, sizeof(priv));
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
