/* AES-256-GCM and boxes sealed to X25519 public keys (see common.h). */
#include <limits.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/common.h"

#define BOX_INFO_MAX 96

static int
gcm(int enc, const uint8_t key[32], const uint8_t nonce[12], const void *aad,
    size_t aadlen, const uint8_t *in, size_t len, uint8_t *out,
    uint8_t tag[16])
{
	EVP_CIPHER_CTX *c;
	uint8_t none[16];
	int n = 0, ok;

	if (len > INT_MAX || aadlen > INT_MAX)
		return BG_ETOOBIG;
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return BG_ENOMEM;
	ok = EVP_CipherInit_ex2(c, EVP_aes_256_gcm(), key, nonce, enc, NULL) == 1 &&
	    (aadlen == 0 || EVP_CipherUpdate(c, NULL, &n, aad, (int)aadlen) == 1) &&
	    (len == 0 || EVP_CipherUpdate(c, out, &n, in, (int)len) == 1) &&
	    (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1) &&
	    EVP_CipherFinal_ex(c, len == 0 ? none : out + n, &n) == 1 &&
	    (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1);
	EVP_CIPHER_CTX_free(c);
	if (!ok && len > 0)
		bg_wipe(out, len);
	return ok ? BG_OK : BG_ECRYPTO;
}

int
bg_aes256gcm_seal(const uint8_t key[32], const uint8_t nonce[12],
    const void *aad, size_t aadlen, const uint8_t *pt, size_t ptlen,
    uint8_t *ct, uint8_t tag[16])
{
	if (key == NULL || nonce == NULL || tag == NULL ||
	    (aad == NULL && aadlen > 0) || ((pt == NULL || ct == NULL) && ptlen > 0))
		return BG_EINVAL;
	return gcm(1, key, nonce, aad, aadlen, pt, ptlen, ct, tag);
}

int
bg_aes256gcm_open(const uint8_t key[32], const uint8_t nonce[12],
    const void *aad, size_t aadlen, const uint8_t *ct, size_t ctlen,
    const uint8_t tag[16], uint8_t *pt)
{
	uint8_t t[16];

	if (key == NULL || nonce == NULL || tag == NULL ||
	    (aad == NULL && aadlen > 0) || ((pt == NULL || ct == NULL) && ctlen > 0))
		return BG_EINVAL;
	memcpy(t, tag, sizeof(t));
	return gcm(0, key, nonce, aad, aadlen, ct, ctlen, pt, t);
}

/* Key (32) and nonce (12) of a box from the shared secret. */
static int
box_keys(const uint8_t ss[32], const uint8_t epub[32], const uint8_t pub[32],
    const char *label, uint8_t km[44])
{
	static const char pre[] = "breakglass/v1/box/";
	char info[BOX_INFO_MAX];
	uint8_t salt[64];
	size_t ll = strlen(label);

	if (ll == 0 || ll + sizeof(pre) > sizeof(info))
		return BG_EINVAL;
	memcpy(info, pre, sizeof(pre) - 1);
	memcpy(info + sizeof(pre) - 1, label, ll);
	memcpy(salt, epub, 32);
	memcpy(salt + 32, pub, 32);
	return bg_hkdf_sha256(salt, sizeof(salt), ss, 32, info,
	    sizeof(pre) - 1 + ll, km, 44);
}

int
bg_box_seal(const uint8_t pub[32], const char *label, const void *aad,
    size_t aadlen, const uint8_t *pt, size_t ptlen, uint8_t *out,
    size_t outsz, size_t *outlen)
{
	uint8_t eph[32], ss[32], km[44];
	int r;

	if (pub == NULL || label == NULL || label[0] == '\0' || out == NULL ||
	    outlen == NULL || (pt == NULL && ptlen > 0))
		return BG_EINVAL;
	if (ptlen > SIZE_MAX - BG_BOX_OVERHEAD || outsz < ptlen + BG_BOX_OVERHEAD)
		return BG_ETOOBIG;
	if (RAND_bytes(eph, sizeof(eph)) != 1) {
		r = BG_ECRYPTO;
		goto out;
	}
	if ((r = bg_x25519_with_public(eph, pub, ss, out)) != BG_OK ||
	    (r = box_keys(ss, out, pub, label, km)) != BG_OK ||
	    (r = bg_aes256gcm_seal(km, km + 32, aad, aadlen, pt, ptlen, out + 32,
	    out + 32 + ptlen)) != BG_OK)
		goto out;
	*outlen = ptlen + BG_BOX_OVERHEAD;
out:
	bg_wipe(eph, sizeof(eph));
	bg_wipe(ss, sizeof(ss));
	bg_wipe(km, sizeof(km));
	return r;
}

int
bg_box_open(const uint8_t priv[32], const char *label, const void *aad,
    size_t aadlen, const uint8_t *box, size_t boxlen, uint8_t *pt,
    size_t ptsz, size_t *ptlen)
{
	uint8_t ss[32], km[44], pub[32];
	size_t n;
	int r;

	if (priv == NULL || label == NULL || label[0] == '\0' || box == NULL ||
	    ptlen == NULL || (pt == NULL && ptsz > 0))
		return BG_EINVAL;
	if (boxlen < BG_BOX_OVERHEAD) {
		bg_set_why("the sealed data is truncated");
		return BG_EFORMAT;
	}
	if ((n = boxlen - BG_BOX_OVERHEAD) > ptsz)
		return BG_ETOOBIG;
	if ((r = bg_x25519_with_public(priv, box, ss, pub)) != BG_OK ||
	    (r = box_keys(ss, box, pub, label, km)) != BG_OK ||
	    (r = bg_aes256gcm_open(km, km + 32, aad, aadlen, box + 32, n,
	    box + 32 + n, pt)) != BG_OK) {
		bg_set_why("the sealed data does not open: another key, other "
		    "bound data, or altered bytes");
		r = BG_ECRYPTO;
	} else
		*ptlen = n;
	bg_wipe(ss, sizeof(ss));
	bg_wipe(km, sizeof(km));
	return r;
}
