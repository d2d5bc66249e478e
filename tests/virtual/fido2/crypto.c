/*
 * vfido crypto: thin wrappers over OpenSSL 3 EVP (P-256, ECDSA, ECDH,
 * HKDF, HMAC, AES-CBC, AES-GCM). Nothing hand-written.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "vfido_int.h"

int
vf_random(void *buf, size_t len)
{
	if (len > INT32_MAX || RAND_bytes(buf, (int)len) != 1)
		return (-1);
	return (0);
}

int
vf_sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return (-1);
	return (0);
}

int
vf_hmac_sha256(const unsigned char *key, size_t key_len,
    const unsigned char *d1, size_t d1_len, const unsigned char *d2,
    size_t d2_len, unsigned char out[32])
{
	EVP_MAC		*mac = NULL;
	EVP_MAC_CTX	*ctx = NULL;
	OSSL_PARAM	 params[2];
	char		 digest[] = "SHA256";
	size_t		 n = 0;
	int		 r = -1;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    EVP_MAC_init(ctx, key, key_len, params) != 1 ||
	    (d1_len > 0 && EVP_MAC_update(ctx, d1, d1_len) != 1) ||
	    (d2_len > 0 && EVP_MAC_update(ctx, d2, d2_len) != 1) ||
	    EVP_MAC_final(ctx, out, &n, 32) != 1 || n != 32)
		goto out;
	r = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return (r);
}

EVP_PKEY *
vf_ec_generate(void)
{
	return (EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
}

int
vf_ec_pub_xy(EVP_PKEY *pkey, unsigned char x[32], unsigned char y[32])
{
	unsigned char	pt[65];
	size_t		n = 0;

	if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY,
	    pt, sizeof(pt), &n) != 1 || n != sizeof(pt) || pt[0] != 0x04)
		return (-1);
	memcpy(x, pt + 1, 32);
	memcpy(y, pt + 33, 32);
	return (0);
}

int
vf_ec_priv(EVP_PKEY *pkey, unsigned char d[32])
{
	BIGNUM	*bn = NULL;
	int	 r = -1;

	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &bn) == 1 &&
	    BN_bn2binpad(bn, d, 32) == 32)
		r = 0;
	BN_clear_free(bn);
	return (r);
}

static EVP_PKEY *
ec_fromdata(const unsigned char *d, const unsigned char x[32],
    const unsigned char y[32])
{
	OSSL_PARAM_BLD	*bld = NULL;
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	EVP_PKEY_CTX	*chk = NULL;
	EVP_PKEY	*pkey = NULL;
	BIGNUM		*bn = NULL;
	unsigned char	 pt[65];
	int		 sel;

	pt[0] = 0x04;
	memcpy(pt + 1, x, 32);
	memcpy(pt + 33, y, 32);
	sel = d != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    "prime256v1", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    pt, sizeof(pt)) != 1)
		goto fail;
	if (d != NULL && ((bn = BN_secure_new()) == NULL ||
	    BN_bin2bn(d, 32, bn) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn) != 1))
		goto fail;
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, sel, params) != 1)
		goto fail;
	/* a point not on the curve is an invalid parameter, not a key */
	if ((chk = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_public_check(chk) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
fail:
	EVP_PKEY_CTX_free(chk);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(bn);
	OPENSSL_cleanse(pt, sizeof(pt));
	return (pkey);
}

EVP_PKEY *
vf_ec_from_xy(const unsigned char x[32], const unsigned char y[32])
{
	return (ec_fromdata(NULL, x, y));
}

EVP_PKEY *
vf_ec_from_priv(const unsigned char d[32], const unsigned char x[32],
    const unsigned char y[32])
{
	return (ec_fromdata(d, x, y));
}

/* ECDSA P-256 with SHA-256 over m1 || m2; DER signature (<= 72 bytes). */
int
vf_es256_sign(EVP_PKEY *key, const unsigned char *m1, size_t m1_len,
    const unsigned char *m2, size_t m2_len, unsigned char *sig,
    size_t *sig_len)
{
	EVP_MD_CTX	*ctx = NULL;
	int		 r = -1;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSignUpdate(ctx, m1, m1_len) != 1 ||
	    (m2_len > 0 && EVP_DigestSignUpdate(ctx, m2, m2_len) != 1) ||
	    EVP_DigestSignFinal(ctx, sig, sig_len) != 1)
		goto out;
	r = 0;
out:
	EVP_MD_CTX_free(ctx);
	return (r);
}

/* z = x coordinate of the ECDH shared point (CTAP 2.1 6.5.6 ecdh()). */
int
vf_ecdh(EVP_PKEY *ours, EVP_PKEY *peer, unsigned char z[32])
{
	EVP_PKEY_CTX	*ctx = NULL;
	size_t		 n = 32;
	int		 r = -1;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ours, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, peer) != 1 ||
	    EVP_PKEY_derive(ctx, z, &n) != 1 || n != 32)
		goto out;
	r = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return (r);
}

/* HKDF-SHA-256 with a salt of 32 zero bytes (CTAP 2.1 6.5.7 kdf()). */
int
vf_hkdf_sha256(const unsigned char *ikm, size_t ikm_len, const char *info,
    unsigned char out[32])
{
	EVP_KDF		*kdf = NULL;
	EVP_KDF_CTX	*ctx = NULL;
	OSSL_PARAM	 params[5];
	unsigned char	 salt[32];
	char		 digest[] = "SHA256";
	int		 r = -1;

	memset(salt, 0, sizeof(salt));
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)(uintptr_t)ikm, ikm_len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    salt, sizeof(salt));
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)(uintptr_t)info, strlen(info));
	params[4] = OSSL_PARAM_construct_end();
	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL ||
	    (ctx = EVP_KDF_CTX_new(kdf)) == NULL ||
	    EVP_KDF_derive(ctx, out, 32, params) != 1)
		goto out;
	r = 0;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return (r);
}

/* AES-256-CBC without padding; len must be a multiple of 16. */
int
vf_aes256_cbc(int enc, const unsigned char key[32], const unsigned char iv[16],
    const unsigned char *in, size_t len, unsigned char *out)
{
	EVP_CIPHER_CTX	*ctx = NULL;
	int		 n = 0, fin = 0;
	int		 r = -1;

	if (len % 16 != 0 || len > INT32_MAX)
		return (-1);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, iv,
	    enc ? 1 : 0) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
	    EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1 ||
	    EVP_CipherFinal_ex(ctx, out + n, &fin) != 1 ||
	    (size_t)n + (size_t)fin != len)
		goto out;
	r = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return (r);
}

/* out = nonce(12) || ciphertext(pt_len) || tag(16) */
int
vf_gcm_seal(const unsigned char key[32], const unsigned char *aad,
    size_t aad_len, const unsigned char *pt, size_t pt_len,
    unsigned char *out)
{
	EVP_CIPHER_CTX	*ctx = NULL;
	int		 n = 0, fin = 0;
	int		 r = -1;

	if (pt_len > INT32_MAX || aad_len > INT32_MAX ||
	    vf_random(out, 12) < 0)
		return (-1);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, out) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1 ||
	    EVP_EncryptUpdate(ctx, out + 12, &n, pt, (int)pt_len) != 1 ||
	    EVP_EncryptFinal_ex(ctx, out + 12 + n, &fin) != 1 ||
	    (size_t)n + (size_t)fin != pt_len ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16,
	    out + 12 + pt_len) != 1)
		goto out;
	r = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return (r);
}

/* Inverse of vf_gcm_seal; pt gets in_len - 28 bytes. -1 if forged. */
int
vf_gcm_open(const unsigned char key[32], const unsigned char *aad,
    size_t aad_len, const unsigned char *in, size_t in_len,
    unsigned char *pt)
{
	EVP_CIPHER_CTX	*ctx = NULL;
	unsigned char	 tag[16];
	size_t		 ct_len;
	int		 n = 0, fin = 0;
	int		 r = -1;

	if (in_len < VF_GCM_OVERHEAD || in_len > INT32_MAX ||
	    aad_len > INT32_MAX)
		return (-1);
	ct_len = in_len - VF_GCM_OVERHEAD;
	memcpy(tag, in + 12 + ct_len, sizeof(tag));
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, in) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1 ||
	    EVP_DecryptUpdate(ctx, pt, &n, in + 12, (int)ct_len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1 ||
	    EVP_DecryptFinal_ex(ctx, pt + n, &fin) != 1 ||
	    (size_t)n + (size_t)fin != ct_len) {
		OPENSSL_cleanse(pt, ct_len);
		goto out;
	}
	r = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return (r);
}

/* PKCS#8 PEM of a private key; caller frees with free(). */
char *
vf_pkey_to_pem(EVP_PKEY *pkey)
{
	BIO	*bio = NULL;
	char	*data = NULL, *s = NULL;
	long	 n;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
	    NULL) != 1 || (n = BIO_get_mem_data(bio, &data)) <= 0 ||
	    (s = calloc(1, (size_t)n + 1)) == NULL)
		goto out;
	memcpy(s, data, (size_t)n);
out:
	BIO_free(bio);
	return (s);
}

EVP_PKEY *
vf_pkey_from_pem(const char *pem)
{
	BIO		*bio = NULL;
	EVP_PKEY	*pkey = NULL;

	if ((bio = BIO_new_mem_buf(pem, -1)) != NULL)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return (pkey);
}
