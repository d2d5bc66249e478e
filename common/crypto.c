/* Key derivation and agreement shared by tokens and the vault. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "common/common.h"

int
bg_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
    size_t ikm_len, const void *info, size_t info_len, uint8_t *out,
    size_t outlen)
{
	EVP_KDF *kdf;
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM p[5], *q = p;
	int ok;

	if (ikm == NULL || out == NULL || outlen == 0 || outlen > 255 * 32 ||
	    (salt == NULL && salt_len > 0) || (info == NULL && info_len > 0))
		return BG_EINVAL;
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)ikm, ikm_len);
	if (salt_len > 0)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
		    (void *)salt, salt_len);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)info, info_len);
	*q = OSSL_PARAM_construct_end();
	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) != NULL)
		ctx = EVP_KDF_CTX_new(kdf);
	ok = ctx != NULL && EVP_KDF_derive(ctx, out, outlen, p) == 1;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	if (!ok)
		bg_wipe(out, outlen);
	return ok ? BG_OK : BG_ECRYPTO;
}

int
bg_x25519_public(const uint8_t priv[32], uint8_t pub[32])
{
	EVP_PKEY *k;
	size_t len = 32;
	int ok;

	if (priv == NULL || pub == NULL)
		return BG_EINVAL;
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
	ok = k != NULL && EVP_PKEY_get_raw_public_key(k, pub, &len) == 1 &&
	    len == 32;
	EVP_PKEY_free(k);
	return ok ? BG_OK : BG_ECRYPTO;
}

int
bg_x25519_with_public(const uint8_t priv[32], const uint8_t peer[32],
    uint8_t shared[32], uint8_t mypub[32])
{
	static const uint8_t zero[32];
	EVP_PKEY *k = NULL, *p = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = 32, plen = 32;
	int ok;

	if (priv == NULL || peer == NULL || shared == NULL)
		return BG_EINVAL;
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
	p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, 32);
	ok = k != NULL && p != NULL &&
	    (ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL)) != NULL &&
	    EVP_PKEY_derive_init(ctx) == 1 &&
	    EVP_PKEY_derive_set_peer(ctx, p) == 1 &&
	    EVP_PKEY_derive(ctx, shared, &len) == 1 && len == 32 &&
	    CRYPTO_memcmp(shared, zero, 32) != 0 &&	/* RFC 7748 6.1 */
	    (mypub == NULL || (EVP_PKEY_get_raw_public_key(k, mypub, &plen) ==
	    1 && plen == 32));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(k);
	EVP_PKEY_free(p);
	if (!ok)
		bg_wipe(shared, 32);
	return ok ? BG_OK : BG_ECRYPTO;
}

int
bg_x25519(const uint8_t priv[32], const uint8_t peer[32], uint8_t shared[32])
{
	return bg_x25519_with_public(priv, peer, shared, NULL);
}
