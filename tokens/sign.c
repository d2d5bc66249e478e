/*
 * Token signatures (every kind): pure Ed25519 (RFC 8032) with the signing
 * key derived from the token key (derive.c), checked with the descriptor's
 * "ed25519" public key.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/common.h"
#include "tokens/internal.h"

static const uint8_t empty[1];

static int
ed25519_sign(EVP_PKEY *pkey, const uint8_t *msg, size_t len,
    uint8_t sig[BG_TOKEN_SIG_LEN])
{
	EVP_MD_CTX *ctx;
	size_t siglen = BG_TOKEN_SIG_LEN;
	int r = BG_OK;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return BG_ENOMEM;
	if (EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, pkey,
	    NULL) != 1 || EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1 ||
	    siglen != BG_TOKEN_SIG_LEN) {
		ERR_clear_error();
		bg_wipe(sig, BG_TOKEN_SIG_LEN);
		r = BG_ECRYPTO;
	}
	EVP_MD_CTX_free(ctx);
	return r;
}

int
bg_token_sign_raw(const uint8_t id[BG_TOKEN_ID_LEN], const uint8_t xpriv[32],
    const uint8_t *msg, size_t len, uint8_t sig[BG_TOKEN_SIG_LEN])
{
	EVP_PKEY *pkey;
	int r;

	bg_clear_why();
	if (id == NULL || xpriv == NULL || sig == NULL ||
	    (msg == NULL && len > 0))
		return BG_EINVAL;
	if ((r = bg_sign_pkey(id, xpriv, &pkey)) != BG_OK)
		return r;
	r = ed25519_sign(pkey, msg == NULL ? empty : msg, len, sig);
	EVP_PKEY_free(pkey);	/* wipes OpenSSL's copy of the seed */
	return r;
}

int
bg_token_key_sign(const bg_token_key_t *key, const uint8_t *msg, size_t len,
    uint8_t sig[BG_TOKEN_SIG_LEN])
{
	if (key == NULL) {
		bg_clear_why();
		return BG_EINVAL;
	}
	return bg_token_sign_raw(key->id, key->priv, msg, len, sig);
}

int
bg_token_sig_verify(const bg_token_desc_t *d, const uint8_t *msg, size_t len,
    const uint8_t sig[BG_TOKEN_SIG_LEN])
{
	EVP_PKEY *pkey;
	EVP_MD_CTX *ctx = NULL;
	int r = BG_ESIG;

	bg_clear_why();
	if (d == NULL || sig == NULL || (msg == NULL && len > 0))
		return BG_EINVAL;
	if ((pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
	    d->sign_pub, sizeof(d->sign_pub))) == NULL)
		goto out;
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		r = BG_ENOMEM;
		goto out;
	}
	if (EVP_DigestVerifyInit_ex(ctx, NULL, NULL, NULL, NULL, pkey,
	    NULL) == 1 && EVP_DigestVerify(ctx, sig, BG_TOKEN_SIG_LEN,
	    msg == NULL ? empty : msg, len) == 1)
		r = BG_OK;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	if (r != BG_OK)
		ERR_clear_error();	/* not a library error */
	return r;
}
