/*
 * vfido CTAP2 layer: authenticatorGetInfo, authenticatorClientPIN,
 * authenticatorMakeCredential and authenticatorGetAssertion
 * (CTAP 2.1, sections 6.1-6.5 and 12.1/12.5 for credProtect/hmac-secret).
 *
 * Each request runs under the device flock with the state loaded from disk
 * and saved back if it changed, so all processes share one device.
 * Responses are canonical CBOR (CTAP 2.1 8): map keys are added in
 * canonical order and libcbor serialises them as given.
 */
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "vfido.h"
#include "vfido_int.h"

#define CMD_MAKECRED		0x01
#define CMD_GETASSERT		0x02
#define CMD_GETINFO		0x04
#define CMD_CLIENTPIN		0x06

#define VF_COSE_ES256		(-7)
#define VF_COSE_ECDH_ES_HKDF_256	(-25)

#define AD_UP			0x01
#define AD_UV			0x04
#define AD_AT			0x40
#define AD_ED			0x80

#define NO_TOUCH_KEEPALIVES	4
#define NO_TOUCH_KEEPALIVE_MS	50
#define MAX_MSG_SIZE		1200

#define WRONG_SECRET_LABEL	"breakglass vfido wrong-secret"

struct ctx {
	struct vf_dev	*dev;
	struct vf_state	 st;
	int		 dirty;
};

/* shared secret of a PIN/UV auth protocol (CTAP 2.1 6.5.6, 6.5.7) */
struct ss {
	int		proto;
	unsigned char	hmac_key[32];
	unsigned char	aes_key[32];
};

/* ------------------------------------------------------------ cbor in */

static const cbor_item_t *
mget(const cbor_item_t *map, uint8_t key)
{
	const struct cbor_pair	*p = cbor_map_handle(map);
	size_t			 n = cbor_map_size(map);

	for (size_t i = 0; i < n; i++)
		if (cbor_isa_uint(p[i].key) && cbor_get_int(p[i].key) == key)
			return (p[i].value);
	return (NULL);
}

/* key -1 - nkey (nkey 0 is -1) */
static const cbor_item_t *
mget_neg(const cbor_item_t *map, uint8_t nkey)
{
	const struct cbor_pair	*p = cbor_map_handle(map);
	size_t			 n = cbor_map_size(map);

	for (size_t i = 0; i < n; i++)
		if (cbor_isa_negint(p[i].key) &&
		    cbor_get_int(p[i].key) == nkey)
			return (p[i].value);
	return (NULL);
}

static const cbor_item_t *
mget_str(const cbor_item_t *map, const char *key)
{
	const struct cbor_pair	*p = cbor_map_handle(map);
	size_t			 n = cbor_map_size(map);
	size_t			 len = strlen(key);

	for (size_t i = 0; i < n; i++)
		if (cbor_isa_string(p[i].key) &&
		    cbor_string_is_definite(p[i].key) &&
		    cbor_string_length(p[i].key) == len &&
		    memcmp(cbor_string_handle(p[i].key), key, len) == 0)
			return (p[i].value);
	return (NULL);
}

static int
is_map(const cbor_item_t *it)
{
	return (it != NULL && cbor_isa_map(it) && cbor_map_is_definite(it));
}

static int
is_array(const cbor_item_t *it)
{
	return (it != NULL && cbor_isa_array(it) &&
	    cbor_array_is_definite(it));
}

static int
get_bytes(const cbor_item_t *it, const unsigned char **p, size_t *n)
{
	if (it == NULL || !cbor_isa_bytestring(it) ||
	    !cbor_bytestring_is_definite(it))
		return (-1);
	*p = cbor_bytestring_handle(it);
	*n = cbor_bytestring_length(it);
	if (*p == NULL && *n == 0)
		*p = (const unsigned char *)"";
	return (0);
}

static int
text_eq(const cbor_item_t *it, const char *s)
{
	size_t n = strlen(s);

	return (it != NULL && cbor_isa_string(it) &&
	    cbor_string_is_definite(it) && cbor_string_length(it) == n &&
	    memcmp(cbor_string_handle(it), s, n) == 0);
}

static int
get_uint(const cbor_item_t *it, uint64_t *v)
{
	if (it == NULL || !cbor_isa_uint(it))
		return (-1);
	*v = cbor_get_int(it);
	return (0);
}

/* a COSE alg such as -7 */
static int
is_negint(const cbor_item_t *it, int v)
{
	return (it != NULL && cbor_isa_negint(it) && v < 0 &&
	    cbor_get_int(it) == (uint64_t)(-1 - (int64_t)v));
}

static int
get_bool(const cbor_item_t *it, int *b)
{
	if (it == NULL || !cbor_isa_float_ctrl(it) || !cbor_is_bool(it))
		return (-1);
	*b = cbor_get_bool(it) ? 1 : 0;
	return (0);
}

/* CTAP 2.1 8: top-level request maps have unique uint keys, in order. */
static int
check_request_map(const cbor_item_t *map)
{
	const struct cbor_pair	*p = cbor_map_handle(map);
	size_t			 n = cbor_map_size(map);

	for (size_t i = 0; i < n; i++) {
		if (!cbor_isa_uint(p[i].key))
			return (-1);
		if (i > 0 && cbor_get_int(p[i].key) <=
		    cbor_get_int(p[i - 1].key))
			return (-1);
	}
	return (0);
}

/* ----------------------------------------------------------- cbor out */

/* Adds key/value to map and drops our references; NULLs fail. */
static int
put(cbor_item_t *map, cbor_item_t *k, cbor_item_t *v)
{
	int ok = 0;

	if (k != NULL && v != NULL)
		ok = cbor_map_add(map, (struct cbor_pair){ .key = k,
		    .value = v });
	if (k != NULL)
		cbor_decref(&k);
	if (v != NULL)
		cbor_decref(&v);
	return (ok ? 0 : -1);
}

static int
push(cbor_item_t *array, cbor_item_t *v)
{
	int ok = 0;

	if (v != NULL) {
		ok = cbor_array_push(array, v);
		cbor_decref(&v);
	}
	return (ok ? 0 : -1);
}

static cbor_item_t *
bytes(const unsigned char *p, size_t n)
{
	return (cbor_build_bytestring(p, n));
}

/* COSE_Key of a P-256 point: {1: 2, 3: alg, -1: 1, -2: x, -3: y} */
static cbor_item_t *
cose_ec2(const unsigned char x[32], const unsigned char y[32], int alg)
{
	cbor_item_t *m;

	if ((m = cbor_new_definite_map(5)) == NULL)
		return (NULL);
	if (put(m, cbor_build_uint8(1), cbor_build_uint8(2)) < 0 ||
	    put(m, cbor_build_uint8(3),
	    cbor_build_negint8((uint8_t)(-1 - alg))) < 0 ||
	    put(m, cbor_build_negint8(0), cbor_build_uint8(1)) < 0 ||
	    put(m, cbor_build_negint8(1), bytes(x, 32)) < 0 ||
	    put(m, cbor_build_negint8(2), bytes(y, 32)) < 0)
		cbor_decref(&m);
	return (m);
}

static int
serialize(const cbor_item_t *it, unsigned char **out, size_t *len)
{
	unsigned char	*buf = NULL;
	size_t		 alloc = 0;

	*out = NULL;
	*len = 0;
	if ((*len = cbor_serialize_alloc(it, &buf, &alloc)) == 0) {
		free(buf);
		return (-1);
	}
	*out = buf;
	return (0);
}

/* ------------------------------------------------- PIN/UV auth protocols */

static int
proto_ok(const struct ctx *c, uint64_t proto)
{
	return (proto == 1 ||
	    (proto == 2 && !(c->st.knobs & VF_KNOB_PIN_PROTO1_ONLY)));
}

/* Regenerates the key agreement key (power-up, and after a wrong PIN). */
static int
ka_regenerate(struct vf_dev *dev)
{
	EVP_PKEY *k;

	if ((k = vf_ec_generate()) == NULL)
		return (-1);
	EVP_PKEY_free(dev->ka_key);
	dev->ka_key = k;
	return (0);
}

/* decapsulate(): ECDH with the platform key, then kdf() (6.5.6/6.5.7). */
static uint8_t
ss_derive(struct ctx *c, const cbor_item_t *cose, uint64_t proto,
    struct ss *ss)
{
	const unsigned char	*x, *y;
	size_t			 xn, yn;
	uint64_t		 kty, crv;
	EVP_PKEY		*peer = NULL;
	unsigned char		 z[32];
	uint8_t			 r = VF_ERR_INVALID_PARAMETER;

	memset(ss, 0, sizeof(*ss));
	if (!is_map(cose))
		return (VF_ERR_MISSING_PARAMETER);
	if (get_uint(mget(cose, 1), &kty) < 0 || kty != 2 ||
	    get_uint(mget_neg(cose, 0), &crv) < 0 || crv != 1 ||
	    get_bytes(mget_neg(cose, 1), &x, &xn) < 0 || xn != 32 ||
	    get_bytes(mget_neg(cose, 2), &y, &yn) < 0 || yn != 32 ||
	    (peer = vf_ec_from_xy(x, y)) == NULL ||
	    c->dev->ka_key == NULL || vf_ecdh(c->dev->ka_key, peer, z) < 0)
		goto out;
	ss->proto = (int)proto;
	if (proto == 1) {
		if (vf_sha256(z, sizeof(z), ss->hmac_key) < 0)
			goto out;
		memcpy(ss->aes_key, ss->hmac_key, 32);
	} else if (vf_hkdf_sha256(z, sizeof(z), "CTAP2 HMAC key",
	    ss->hmac_key) < 0 || vf_hkdf_sha256(z, sizeof(z),
	    "CTAP2 AES key", ss->aes_key) < 0)
		goto out;
	r = VF_OK;
out:
	OPENSSL_cleanse(z, sizeof(z));
	EVP_PKEY_free(peer);
	return (r);
}

/* decrypt(): protocol 2 carries a random IV in front. */
static int
ss_decrypt(const struct ss *ss, const unsigned char *in, size_t len,
    unsigned char *out, size_t *out_len)
{
	unsigned char iv[16];

	memset(iv, 0, sizeof(iv));
	if (ss->proto == 2) {
		if (len < 16)
			return (-1);
		memcpy(iv, in, 16);
		in += 16;
		len -= 16;
	}
	if (len == 0 || len % 16 != 0 ||
	    vf_aes256_cbc(0, ss->aes_key, iv, in, len, out) < 0)
		return (-1);
	*out_len = len;
	return (0);
}

/* encrypt(); out needs len + 16 bytes. */
static int
ss_encrypt(const struct ss *ss, const unsigned char *in, size_t len,
    unsigned char *out, size_t *out_len)
{
	unsigned char	iv[16];
	size_t		off = 0;

	memset(iv, 0, sizeof(iv));
	if (ss->proto == 2) {
		if (vf_random(iv, sizeof(iv)) < 0)
			return (-1);
		memcpy(out, iv, 16);
		off = 16;
	}
	if (vf_aes256_cbc(1, ss->aes_key, iv, in, len, out + off) < 0)
		return (-1);
	*out_len = len + off;
	return (0);
}

/* verify(): HMAC-SHA-256, truncated to 16 bytes for protocol 1. */
static int
pp_verify(uint64_t proto, const unsigned char *key, const unsigned char *m1,
    size_t m1_len, const unsigned char *m2, size_t m2_len,
    const unsigned char *sig, size_t sig_len)
{
	unsigned char	mac[32];
	size_t		want = proto == 1 ? 16 : 32;
	int		r;

	if (sig_len != want ||
	    vf_hmac_sha256(key, 32, m1, m1_len, m2, m2_len, mac) < 0)
		return (-1);
	r = CRYPTO_memcmp(mac, sig, want) == 0 ? 0 : -1;
	OPENSSL_cleanse(mac, sizeof(mac));
	return (r);
}

/* ------------------------------------------------------ user presence */

/*
 * A software token is touched at once, unless the no-touch knob holds:
 * then the user never comes, the host sees KEEPALIVE(UPNEEDED) frames for
 * about 200 ms and the request times out (CTAP 2.1 6.1.2 step 14).
 */
static uint8_t
user_presence(struct ctx *c)
{
	if (c->st.knobs & VF_KNOB_NO_TOUCH) {
		c->dev->keepalives = NO_TOUCH_KEEPALIVES;
		c->dev->keepalive_ms = NO_TOUCH_KEEPALIVE_MS;
		return (VF_ERR_USER_ACTION_TIMEOUT);
	}
	c->dev->keepalives = 1;
	c->dev->keepalive_ms = 0;
	c->st.touches++;
	c->dirty = 1;
	return (VF_OK);
}

/* ------------------------------------------------------------ getInfo */

static cbor_item_t *
info_options(const struct ctx *c)
{
	cbor_item_t *m;

	if ((m = cbor_new_definite_map(4)) == NULL)
		return (NULL);
	if (put(m, cbor_build_string("rk"), cbor_build_bool(false)) < 0 ||
	    put(m, cbor_build_string("up"), cbor_build_bool(true)) < 0 ||
	    put(m, cbor_build_string("plat"), cbor_build_bool(false)) < 0 ||
	    put(m, cbor_build_string("clientPin"),
	    cbor_build_bool(c->st.has_pin != 0)) < 0)
		cbor_decref(&m);
	return (m);
}

static cbor_item_t *
strings(const char *const *s, size_t n)
{
	cbor_item_t *a;

	if ((a = cbor_new_definite_array(n)) == NULL)
		return (NULL);
	for (size_t i = 0; i < n; i++)
		if (push(a, cbor_build_string(s[i])) < 0) {
			cbor_decref(&a);
			return (NULL);
		}
	return (a);
}

static cbor_item_t *
info_protocols(const struct ctx *c)
{
	cbor_item_t *a;
	int one = (c->st.knobs & VF_KNOB_PIN_PROTO1_ONLY) != 0;

	if ((a = cbor_new_definite_array(one ? 1 : 2)) == NULL)
		return (NULL);
	if ((!one && push(a, cbor_build_uint8(2)) < 0) ||
	    push(a, cbor_build_uint8(1)) < 0)
		cbor_decref(&a);
	return (a);
}

static cbor_item_t *
info_algorithms(void)
{
	cbor_item_t *a, *m;

	if ((a = cbor_new_definite_array(1)) == NULL)
		return (NULL);
	if ((m = cbor_new_definite_map(2)) == NULL ||
	    put(m, cbor_build_string("alg"), cbor_build_negint8(6)) < 0 ||
	    put(m, cbor_build_string("type"),
	    cbor_build_string("public-key")) < 0 || push(a, m) < 0)
		cbor_decref(&a);
	return (a);
}

static uint8_t
get_info(struct ctx *c, cbor_item_t **out)
{
	static const char *const versions[] = { "FIDO_2_0", "FIDO_2_1" };
	static const char *const extensions[] = { "credProtect",
	    "hmac-secret" };
	static const char *const transports[] = { "usb" };
	size_t next = (c->st.knobs & VF_KNOB_NO_HMAC_SECRET) ? 1 : 2;
	cbor_item_t *m;

	if (c->st.knobs & VF_KNOB_GETINFO_ERROR)
		return (VF_ERR_OTHER);
	if ((m = cbor_new_definite_map(8)) == NULL)
		return (VF_ERR_OTHER);
	if (put(m, cbor_build_uint8(1), strings(versions, 2)) < 0 ||
	    put(m, cbor_build_uint8(2), strings(extensions, next)) < 0 ||
	    put(m, cbor_build_uint8(3), bytes(c->st.aaguid, 16)) < 0 ||
	    put(m, cbor_build_uint8(4), info_options(c)) < 0 ||
	    put(m, cbor_build_uint8(5), cbor_build_uint16(MAX_MSG_SIZE)) < 0 ||
	    put(m, cbor_build_uint8(6), info_protocols(c)) < 0 ||
	    put(m, cbor_build_uint8(9), strings(transports, 1)) < 0 ||
	    put(m, cbor_build_uint8(10), info_algorithms()) < 0) {
		cbor_decref(&m);
		return (VF_ERR_OTHER);
	}
	*out = m;
	return (VF_OK);
}

/* ---------------------------------------------------------- clientPIN */

static uint8_t
pin_retries(struct ctx *c, cbor_item_t **out)
{
	cbor_item_t *m;

	if ((m = cbor_new_definite_map(2)) == NULL)
		return (VF_ERR_OTHER);
	if (put(m, cbor_build_uint8(3),
	    cbor_build_uint8((uint8_t)c->st.pin_retries)) < 0 ||
	    put(m, cbor_build_uint8(4),
	    cbor_build_bool(c->dev->pin_fails >= 3)) < 0) {
		cbor_decref(&m);
		return (VF_ERR_OTHER);
	}
	*out = m;
	return (VF_OK);
}

static uint8_t
key_agreement(struct ctx *c, cbor_item_t **out)
{
	unsigned char	 x[32], y[32];
	cbor_item_t	*m;

	if (c->dev->ka_key == NULL || vf_ec_pub_xy(c->dev->ka_key, x, y) < 0 ||
	    (m = cbor_new_definite_map(1)) == NULL)
		return (VF_ERR_OTHER);
	if (put(m, cbor_build_uint8(1),
	    cose_ec2(x, y, VF_COSE_ECDH_ES_HKDF_256)) < 0) {
		cbor_decref(&m);
		return (VF_ERR_OTHER);
	}
	*out = m;
	return (VF_OK);
}

/* newPinEnc -> PIN; 4..63 bytes, padded with zeros to 64 (6.5.5.5). */
static uint8_t
decrypt_new_pin(const struct ss *ss, const unsigned char *enc, size_t len,
    unsigned char hash[16])
{
	unsigned char	pin[64], full[32];
	size_t		n = 0, plen;
	uint8_t		r = VF_ERR_PIN_POLICY_VIOLATION;

	if (len != (ss->proto == 1 ? 64u : 80u) ||
	    ss_decrypt(ss, enc, len, pin, &n) < 0 || n != 64)
		return (VF_ERR_INVALID_PARAMETER);
	for (plen = 0; plen < sizeof(pin) && pin[plen] != 0; plen++)
		continue;
	if (plen >= 4 && plen <= 63 && vf_sha256(pin, plen, full) == 0) {
		memcpy(hash, full, 16);
		r = VF_OK;
	}
	OPENSSL_cleanse(pin, sizeof(pin));
	OPENSSL_cleanse(full, sizeof(full));
	return (r);
}

static uint8_t
set_pin(struct ctx *c, const cbor_item_t *req, const struct ss *ss)
{
	const unsigned char	*auth, *enc;
	size_t			 auth_len, enc_len;
	uint8_t			 r;

	if (c->st.has_pin)
		return (VF_ERR_NOT_ALLOWED);
	if (get_bytes(mget(req, 4), &auth, &auth_len) < 0 ||
	    get_bytes(mget(req, 5), &enc, &enc_len) < 0)
		return (VF_ERR_MISSING_PARAMETER);
	if (pp_verify((uint64_t)ss->proto, ss->hmac_key, enc, enc_len, NULL,
	    0, auth, auth_len) < 0)
		return (VF_ERR_PIN_AUTH_INVALID);
	if ((r = decrypt_new_pin(ss, enc, enc_len, c->st.pin_hash)) != VF_OK)
		return (r);
	c->st.has_pin = 1;
	c->st.pin_retries = 8;
	c->dirty = 1;
	return (VF_OK);
}

/*
 * Checks pinHashEnc against the stored PIN hash (6.5.5.7.1 steps 3-6):
 * retries are spent before comparing; 3 consecutive mismatches block
 * until power-up; the key agreement key is regenerated on a mismatch.
 */
static uint8_t
check_pin_hash(struct ctx *c, const struct ss *ss, const cbor_item_t *req)
{
	const unsigned char	*enc;
	unsigned char		 hash[32];
	size_t			 enc_len, n = 0;
	int			 match;

	if (get_bytes(mget(req, 6), &enc, &enc_len) < 0)
		return (VF_ERR_MISSING_PARAMETER);
	if (enc_len != (ss->proto == 1 ? 16u : 32u) ||
	    ss_decrypt(ss, enc, enc_len, hash, &n) < 0 || n != 16)
		return (VF_ERR_INVALID_PARAMETER);
	c->st.pin_retries--;
	c->dirty = 1;
	match = CRYPTO_memcmp(hash, c->st.pin_hash, 16) == 0;
	OPENSSL_cleanse(hash, sizeof(hash));
	if (!match) {
		(void)ka_regenerate(c->dev);
		c->dev->pin_fails++;
		if (c->st.pin_retries == 0)
			return (VF_ERR_PIN_BLOCKED);
		if (c->dev->pin_fails >= 3)
			return (VF_ERR_PIN_AUTH_BLOCKED);
		return (VF_ERR_PIN_INVALID);
	}
	c->st.pin_retries = BG_VFIDO_MAX_RETRIES;
	c->dev->pin_fails = 0;
	return (VF_OK);
}

static uint8_t
pin_usable(const struct ctx *c)
{
	if (!c->st.has_pin)
		return (VF_ERR_PIN_NOT_SET);
	if (c->st.pin_retries <= 0)
		return (VF_ERR_PIN_BLOCKED);
	if (c->dev->pin_fails >= 3)
		return (VF_ERR_PIN_AUTH_BLOCKED);
	return (VF_OK);
}

static uint8_t
change_pin(struct ctx *c, const cbor_item_t *req, const struct ss *ss)
{
	const unsigned char	*auth, *enc, *henc;
	size_t			 auth_len, enc_len, henc_len;
	unsigned char		 hash[16];
	uint8_t			 r;

	if ((r = pin_usable(c)) != VF_OK)
		return (r);
	if (get_bytes(mget(req, 4), &auth, &auth_len) < 0 ||
	    get_bytes(mget(req, 5), &enc, &enc_len) < 0 ||
	    get_bytes(mget(req, 6), &henc, &henc_len) < 0)
		return (VF_ERR_MISSING_PARAMETER);
	if (pp_verify((uint64_t)ss->proto, ss->hmac_key, enc, enc_len, henc,
	    henc_len, auth, auth_len) < 0)
		return (VF_ERR_PIN_AUTH_INVALID);
	if ((r = check_pin_hash(c, ss, req)) != VF_OK)
		return (r);
	if ((r = decrypt_new_pin(ss, enc, enc_len, hash)) != VF_OK)
		return (r);
	memcpy(c->st.pin_hash, hash, 16);
	OPENSSL_cleanse(hash, sizeof(hash));
	c->dev->puat_valid = 0;
	return (VF_OK);
}

static uint8_t
pin_token(struct ctx *c, const cbor_item_t *req, const struct ss *ss,
    cbor_item_t **out)
{
	unsigned char	 enc[48];
	size_t		 enc_len = 0;
	cbor_item_t	*m;
	uint8_t		 r;

	if ((r = pin_usable(c)) != VF_OK)
		return (r);
	if ((r = check_pin_hash(c, ss, req)) != VF_OK)
		return (r);
	/* a new token each time (6.5.5.7.1 step 7, resetPinUvAuthToken) */
	if (vf_random(c->dev->puat, sizeof(c->dev->puat)) < 0 ||
	    ss_encrypt(ss, c->dev->puat, sizeof(c->dev->puat), enc,
	    &enc_len) < 0 || (m = cbor_new_definite_map(1)) == NULL)
		return (VF_ERR_OTHER);
	c->dev->puat_valid = 1;
	if (put(m, cbor_build_uint8(2), bytes(enc, enc_len)) < 0) {
		cbor_decref(&m);
		return (VF_ERR_OTHER);
	}
	*out = m;
	return (VF_OK);
}

static uint8_t
client_pin(struct ctx *c, const cbor_item_t *req, cbor_item_t **out)
{
	struct ss	ss;
	uint64_t	sub, proto = 0;
	uint8_t		r;

	if (get_uint(mget(req, 2), &sub) < 0)
		return (VF_ERR_MISSING_PARAMETER);
	if (sub == 1)
		return (pin_retries(c, out));
	if (sub != 2 && sub != 3 && sub != 4 && sub != 5 && sub != 9)
		return (VF_ERR_INVALID_SUBCOMMAND);
	if (get_uint(mget(req, 1), &proto) < 0)
		return (VF_ERR_MISSING_PARAMETER);
	if (!proto_ok(c, proto))
		return (VF_ERR_INVALID_PARAMETER);
	if (sub == 2)
		return (key_agreement(c, out));
	if (sub == 9 && (get_uint(mget(req, 9), &sub) < 0 || sub == 0))
		return (VF_ERR_MISSING_PARAMETER);	/* permissions */
	if ((r = ss_derive(c, mget(req, 3), proto, &ss)) != VF_OK)
		return (r);
	if (sub == 3)
		r = set_pin(c, req, &ss);
	else if (sub == 4)
		r = change_pin(c, req, &ss);
	else
		r = pin_token(c, req, &ss, out);
	OPENSSL_cleanse(&ss, sizeof(ss));
	return (r);
}

/* -------------------------------------------- shared by MC and GA */

/*
 * pinUvAuthParam handling common to makeCredential (6.1.2 steps 1-2, 11)
 * and getAssertion (6.2.2): an empty param is the "touch to select" probe
 * libfido2's fido_dev_get_touch_begin() sends; otherwise the param must be
 * HMAC(pinUvAuthToken, clientDataHash). *uv is set when it verifies.
 */
static uint8_t
check_puat(struct ctx *c, const cbor_item_t *req, uint8_t k_auth,
    uint8_t k_proto, const unsigned char *cdh, size_t cdh_len, int *uv)
{
	const unsigned char	*auth;
	size_t			 auth_len;
	uint64_t		 proto;
	uint8_t			 r;

	*uv = 0;
	if (mget(req, k_auth) == NULL)
		return (VF_OK);
	if (get_bytes(mget(req, k_auth), &auth, &auth_len) < 0)
		return (VF_ERR_CBOR_UNEXPECTED_TYPE);
	if (auth_len == 0) {
		if ((r = user_presence(c)) != VF_OK)
			return (r);
		return (c->st.has_pin ? VF_ERR_PIN_INVALID :
		    VF_ERR_PIN_NOT_SET);
	}
	if (get_uint(mget(req, k_proto), &proto) < 0)
		return (VF_ERR_MISSING_PARAMETER);
	if (!proto_ok(c, proto))
		return (VF_ERR_INVALID_PARAMETER);
	if (!c->dev->puat_valid || pp_verify(proto, c->dev->puat, cdh, cdh_len,
	    NULL, 0, auth, auth_len) < 0)
		return (VF_ERR_PIN_AUTH_INVALID);
	*uv = 1;
	return (VF_OK);
}

static void
be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* authData = rpIdHash || flags || signCount || rest (WebAuthn 6.1) */
static unsigned char *
auth_data(const unsigned char rp_hash[32], uint8_t flags, uint32_t count,
    const unsigned char *rest, size_t rest_len, size_t *len)
{
	unsigned char *ad;

	*len = 37 + rest_len;
	if ((ad = malloc(*len)) == NULL)
		return (NULL);
	memcpy(ad, rp_hash, 32);
	ad[32] = flags;
	be32(ad + 33, count);
	if (rest_len > 0)
		memcpy(ad + 37, rest, rest_len);
	return (ad);
}

/*
 * ES256 over m1 || m2; with the bad-signature knob the signature is a valid
 * DER ECDSA signature over different data, so only verification fails.
 */
static int
sign(const struct ctx *c, EVP_PKEY *key, const unsigned char *m1,
    size_t m1_len, const unsigned char *m2, size_t m2_len,
    unsigned char sig[80], size_t *sig_len)
{
	unsigned char	tail[64];
	size_t		n = m2_len < sizeof(tail) ? m2_len : sizeof(tail);

	*sig_len = 80;
	if (!(c->st.knobs & VF_KNOB_BAD_SIGNATURE))
		return (vf_es256_sign(key, m1, m1_len, m2, m2_len, sig,
		    sig_len));
	memcpy(tail, m2, n);
	tail[0] ^= 0x01;
	return (vf_es256_sign(key, m1, m1_len, tail, n, sig, sig_len));
}

/* Opens an allowList/excludeList entry {"id": ..., "type": ...}. */
static int
open_descriptor(const struct ctx *c, const cbor_item_t *desc,
    const unsigned char rp_hash[32], struct vf_cred *cred,
    const unsigned char **id, size_t *id_len)
{
	if (!is_map(desc) || !text_eq(mget_str(desc, "type"), "public-key") ||
	    get_bytes(mget_str(desc, "id"), id, id_len) < 0 ||
	    vf_cred_open(c->st.master, *id, *id_len, cred) < 0)
		return (-1);
	if (CRYPTO_memcmp(cred->rp_id_hash, rp_hash, 32) != 0) {
		vf_cred_clear(cred);
		return (-1);
	}
	return (0);
}

/* ---------------------------------------------------- makeCredential */

struct mc {
	const unsigned char	*cdh;
	size_t			 cdh_len;
	unsigned char		 rp_hash[32];
	int			 hmac;		/* hmac-secret requested */
	uint64_t		 prot;		/* credProtect, 0 if absent */
	int			 uv;
	int			 up;
};

static uint8_t
mc_parse(const cbor_item_t *req, struct mc *mc)
{
	const cbor_item_t	*rp = mget(req, 2), *params = mget(req, 4);
	const cbor_item_t	*ext = mget(req, 6), *opt = mget(req, 7);
	const cbor_item_t	*v;
	cbor_item_t		**a;
	int			 b, es256 = 0;

	if (get_bytes(mget(req, 1), &mc->cdh, &mc->cdh_len) < 0 ||
	    !is_map(rp) || !is_map(mget(req, 3)) || !is_array(params))
		return (VF_ERR_MISSING_PARAMETER);
	if ((v = mget_str(rp, "id")) == NULL || !cbor_isa_string(v) ||
	    !cbor_string_is_definite(v) || vf_sha256(cbor_string_handle(v),
	    cbor_string_length(v), mc->rp_hash) < 0)
		return (VF_ERR_MISSING_PARAMETER);
	a = cbor_array_handle(params);
	for (size_t i = 0; i < cbor_array_size(params); i++)
		if (is_map(a[i]) && is_negint(mget_str(a[i], "alg"),
		    VF_COSE_ES256) && text_eq(mget_str(a[i], "type"),
		    "public-key"))
			es256 = 1;
	if (!es256)
		return (VF_ERR_UNSUPPORTED_ALGORITHM);
	if (ext != NULL && !is_map(ext))
		return (VF_ERR_CBOR_UNEXPECTED_TYPE);
	if (ext != NULL && (v = mget_str(ext, "hmac-secret")) != NULL &&
	    (get_bool(v, &mc->hmac) < 0))
		return (VF_ERR_CBOR_UNEXPECTED_TYPE);
	if (ext != NULL && (v = mget_str(ext, "credProtect")) != NULL &&
	    (get_uint(v, &mc->prot) < 0 || mc->prot < 1 || mc->prot > 3))
		return (VF_ERR_INVALID_PARAMETER);
	if (opt != NULL && !is_map(opt))
		return (VF_ERR_CBOR_UNEXPECTED_TYPE);
	if (opt != NULL && get_bool(mget_str(opt, "rk"), &b) == 0 && b)
		return (VF_ERR_UNSUPPORTED_OPTION);
	if (opt != NULL && ((get_bool(mget_str(opt, "uv"), &b) == 0 && b) ||
	    mget_str(opt, "up") != NULL))
		return (VF_ERR_INVALID_OPTION);
	return (VF_OK);
}

/* Any excludeList entry ours for this rp? (6.1.2 step 10) */
static uint8_t
mc_excluded(struct ctx *c, const cbor_item_t *req, const struct mc *mc)
{
	const cbor_item_t	*excl = mget(req, 5);
	const unsigned char	*id;
	struct vf_cred		 cred;
	size_t			 id_len;
	uint8_t			 r;

	if (excl == NULL)
		return (VF_OK);
	if (!is_array(excl))
		return (VF_ERR_CBOR_UNEXPECTED_TYPE);
	for (size_t i = 0; i < cbor_array_size(excl); i++) {
		if (open_descriptor(c, cbor_array_handle(excl)[i], mc->rp_hash,
		    &cred, &id, &id_len) < 0)
			continue;
		vf_cred_clear(&cred);
		if ((r = user_presence(c)) != VF_OK)
			return (r);
		return (VF_ERR_CREDENTIAL_EXCLUDED);
	}
	return (VF_OK);
}

static int
mc_new_cred(const struct mc *mc, struct vf_cred *cred)
{
	EVP_PKEY	*k;
	int		 r = -1;

	memset(cred, 0, sizeof(*cred));
	cred->flags = (mc->hmac ? VF_CRED_FLAG_HMAC : 0) |
	    (unsigned)(mc->prot << VF_CRED_PROT_SHIFT);
	memcpy(cred->rp_id_hash, mc->rp_hash, 32);
	if ((k = vf_ec_generate()) != NULL && vf_ec_priv(k, cred->d) == 0 &&
	    vf_ec_pub_xy(k, cred->x, cred->y) == 0 &&
	    vf_random(cred->cr_uv, 32) == 0 &&
	    vf_random(cred->cr_nouv, 32) == 0)
		r = 0;
	EVP_PKEY_free(k);
	return (r);
}

/* authenticator extension outputs of makeCredential (12.1, 12.5) */
static cbor_item_t *
mc_ext_out(const struct mc *mc)
{
	cbor_item_t	*m;
	size_t		 n = (mc->prot ? 1u : 0u) + (mc->hmac ? 1u : 0u);

	if (n == 0 || (m = cbor_new_definite_map(n)) == NULL)
		return (NULL);
	if ((mc->prot && put(m, cbor_build_string("credProtect"),
	    cbor_build_uint8((uint8_t)mc->prot)) < 0) ||
	    (mc->hmac && put(m, cbor_build_string("hmac-secret"),
	    cbor_build_bool(true)) < 0))
		cbor_decref(&m);
	return (m);
}

/* attestedCredentialData || extensions */
static unsigned char *
mc_att_cred_data(const struct ctx *c, const struct mc *mc,
    const struct vf_cred *cred, const unsigned char id[VF_CRED_ID_LEN],
    size_t *len)
{
	cbor_item_t	*cose = NULL, *ext = NULL;
	unsigned char	*ck = NULL, *ek = NULL, *out = NULL, *p;
	size_t		 ck_len = 0, ek_len = 0;

	if ((cose = cose_ec2(cred->x, cred->y, VF_COSE_ES256)) == NULL ||
	    serialize(cose, &ck, &ck_len) < 0)
		goto fail;
	if ((ext = mc_ext_out(mc)) != NULL && serialize(ext, &ek, &ek_len) < 0)
		goto fail;
	*len = 16 + 2 + VF_CRED_ID_LEN + ck_len + ek_len;
	if ((out = p = malloc(*len)) == NULL)
		goto fail;
	memcpy(p, c->st.aaguid, 16); p += 16;
	*p++ = (unsigned char)(VF_CRED_ID_LEN >> 8);
	*p++ = (unsigned char)(VF_CRED_ID_LEN & 0xff);
	memcpy(p, id, VF_CRED_ID_LEN); p += VF_CRED_ID_LEN;
	memcpy(p, ck, ck_len); p += ck_len;
	if (ek_len > 0)
		memcpy(p, ek, ek_len);
fail:
	if (cose != NULL)
		cbor_decref(&cose);
	if (ext != NULL)
		cbor_decref(&ext);
	free(ck);
	free(ek);
	return (out);
}

/* x5c: [attestation certificate (DER)] */
static cbor_item_t *
x5c(const struct ctx *c)
{
	BIO		*bio = NULL;
	X509		*x = NULL;
	unsigned char	*der = NULL;
	int		 der_len;
	cbor_item_t	*a = NULL;

	if ((bio = BIO_new_mem_buf(c->st.att_cert_pem, -1)) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL ||
	    (der_len = i2d_X509(x, &der)) <= 0 ||
	    (a = cbor_new_definite_array(1)) == NULL)
		goto out;
	if (push(a, bytes(der, (size_t)der_len)) < 0)
		cbor_decref(&a);
out:
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(bio);
	return (a);
}

/*
 * attStmt: "packed" {alg, sig, x5c} over authData || clientDataHash
 * (WebAuthn 8.2), or with the attest-u2f knob "fido-u2f" {sig, x5c} over
 * 0x00 || rpIdHash || clientDataHash || credId || 0x04 || x || y (8.6).
 */
static cbor_item_t *
mc_att_stmt(const struct ctx *c, const struct mc *mc,
    const struct vf_cred *cred, const unsigned char *id,
    const unsigned char *ad, size_t ad_len)
{
	unsigned char	 sig[80], *u2f = NULL;
	size_t		 sig_len = 0, u2f_len = 1 + 32 + 32 + VF_CRED_ID_LEN + 65;
	EVP_PKEY	*key = NULL;
	cbor_item_t	*m = NULL;
	int		 is_u2f = (c->st.knobs & VF_KNOB_ATTEST_U2F) != 0;

	if ((key = vf_pkey_from_pem(c->st.att_key_pem)) == NULL)
		goto fail;
	if (is_u2f) {
		if ((u2f = malloc(u2f_len)) == NULL)
			goto fail;
		u2f[0] = 0x00;
		memcpy(u2f + 1, mc->rp_hash, 32);
		memcpy(u2f + 33, mc->cdh, 32);
		memcpy(u2f + 65, id, VF_CRED_ID_LEN);
		u2f[65 + VF_CRED_ID_LEN] = 0x04;
		memcpy(u2f + 66 + VF_CRED_ID_LEN, cred->x, 32);
		memcpy(u2f + 98 + VF_CRED_ID_LEN, cred->y, 32);
		if (sign(c, key, u2f, u2f_len - 64, u2f + u2f_len - 64, 64,
		    sig, &sig_len) < 0)
			goto fail;
	} else if (sign(c, key, ad, ad_len, mc->cdh, mc->cdh_len, sig,
	    &sig_len) < 0)
		goto fail;
	if ((m = cbor_new_definite_map(is_u2f ? 2 : 3)) == NULL)
		goto fail;
	if ((!is_u2f && put(m, cbor_build_string("alg"),
	    cbor_build_negint8(6)) < 0) ||
	    put(m, cbor_build_string("sig"), bytes(sig, sig_len)) < 0 ||
	    put(m, cbor_build_string("x5c"), x5c(c)) < 0)
		cbor_decref(&m);
fail:
	free(u2f);
	EVP_PKEY_free(key);
	return (m);
}

static uint8_t
mc_reply(struct ctx *c, const struct mc *mc, const struct vf_cred *cred,
    cbor_item_t **out)
{
	unsigned char	 id[VF_CRED_ID_LEN], *acd = NULL, *ad = NULL;
	size_t		 acd_len = 0, ad_len = 0;
	uint8_t		 flags = AD_AT;
	cbor_item_t	*m = NULL;
	int		 fmt_u2f = (c->st.knobs & VF_KNOB_ATTEST_U2F) != 0;

	if (mc->up)
		flags |= AD_UP;
	if (mc->uv)
		flags |= AD_UV;
	if (mc->hmac || mc->prot)
		flags |= AD_ED;
	if (vf_cred_seal(c->st.master, cred, id) < 0 ||
	    (acd = mc_att_cred_data(c, mc, cred, id, &acd_len)) == NULL ||
	    (ad = auth_data(mc->rp_hash, flags, c->st.counter, acd, acd_len,
	    &ad_len)) == NULL || (m = cbor_new_definite_map(3)) == NULL)
		goto fail;
	if (put(m, cbor_build_uint8(1),
	    cbor_build_string(fmt_u2f ? "fido-u2f" : "packed")) < 0 ||
	    put(m, cbor_build_uint8(2), bytes(ad, ad_len)) < 0 ||
	    put(m, cbor_build_uint8(3),
	    mc_att_stmt(c, mc, cred, id, ad, ad_len)) < 0)
		cbor_decref(&m);
fail:
	free(acd);
	free(ad);
	*out = m;
	return (m != NULL ? VF_OK : VF_ERR_OTHER);
}

static uint8_t
make_credential(struct ctx *c, const cbor_item_t *req, cbor_item_t **out)
{
	struct mc	mc;
	struct vf_cred	cred;
	uint8_t		r;

	memset(&mc, 0, sizeof(mc));
	if ((r = mc_parse(req, &mc)) != VF_OK)
		return (r);
	/* a key that does not know an extension ignores it (6.1.2 step 5) */
	if (c->st.knobs & (VF_KNOB_NO_HMAC_SECRET | VF_KNOB_IGNORE_HMAC_SECRET))
		mc.hmac = 0;
	if ((r = check_puat(c, req, 8, 9, mc.cdh, mc.cdh_len, &mc.uv)) !=
	    VF_OK)
		return (r);
	/* a PIN-protected token requires it for makeCredential (6.1.2 s4) */
	if (!mc.uv && c->st.has_pin)
		return (VF_ERR_PIN_REQUIRED);
	if ((r = mc_excluded(c, req, &mc)) != VF_OK)
		return (r);
	mc.up = !(c->st.knobs & VF_KNOB_MAKECRED_NO_UP);
	if (mc.up && (r = user_presence(c)) != VF_OK)
		return (r);
	if (mc_new_cred(&mc, &cred) < 0)
		return (VF_ERR_OTHER);
	r = mc_reply(c, &mc, &cred, out);
	vf_cred_clear(&cred);
	return (r);
}

/* ------------------------------------------------------ getAssertion */

struct ga {
	const unsigned char	*cdh;
	size_t			 cdh_len;
	unsigned char		 rp_hash[32];
	int			 up;
	int			 uv;
	const unsigned char	*id;		/* the matching allowList id */
	size_t			 id_len;
	struct vf_cred		 cred;
	const cbor_item_t	*hs;		/* hmac-secret input map */
};

static uint8_t
ga_parse(const cbor_item_t *req, struct ga *ga)
{
	const cbor_item_t	*rp = mget(req, 1), *ext = mget(req, 4);
	const cbor_item_t	*opt = mget(req, 5);
	int			 b;

	ga->up = 1;
	if (rp == NULL || !cbor_isa_string(rp) || !cbor_string_is_definite(rp) ||
	    get_bytes(mget(req, 2), &ga->cdh, &ga->cdh_len) < 0)
		return (VF_ERR_MISSING_PARAMETER);
	if (vf_sha256(cbor_string_handle(rp), cbor_string_length(rp),
	    ga->rp_hash) < 0)
		return (VF_ERR_OTHER);
	if (ext != NULL && !is_map(ext))
		return (VF_ERR_CBOR_UNEXPECTED_TYPE);
	if (ext != NULL && (ga->hs = mget_str(ext, "hmac-secret")) != NULL &&
	    !is_map(ga->hs))
		return (VF_ERR_CBOR_UNEXPECTED_TYPE);
	if (opt != NULL && !is_map(opt))
		return (VF_ERR_CBOR_UNEXPECTED_TYPE);
	if (opt != NULL && mget_str(opt, "rk") != NULL)
		return (VF_ERR_UNSUPPORTED_OPTION);
	if (opt != NULL && get_bool(mget_str(opt, "uv"), &b) == 0 && b)
		return (VF_ERR_INVALID_OPTION);	/* no built-in UV */
	if (opt != NULL && mget_str(opt, "up") != NULL &&
	    get_bool(mget_str(opt, "up"), &ga->up) < 0)
		return (VF_ERR_CBOR_UNEXPECTED_TYPE);
	return (VF_OK);
}

/* First allowList entry that is ours, for this rp, usable (12.1). */
static uint8_t
ga_find(struct ctx *c, const cbor_item_t *req, struct ga *ga)
{
	const cbor_item_t	*allow = mget(req, 3);
	unsigned		 prot;

	if (allow == NULL)
		return (VF_ERR_NO_CREDENTIALS);	/* no resident keys */
	if (!is_array(allow))
		return (VF_ERR_CBOR_UNEXPECTED_TYPE);
	for (size_t i = 0; i < cbor_array_size(allow); i++) {
		if (open_descriptor(c, cbor_array_handle(allow)[i],
		    ga->rp_hash, &ga->cred, &ga->id, &ga->id_len) < 0)
			continue;
		prot = ga->cred.flags >> VF_CRED_PROT_SHIFT;
		if (prot == 3 && !ga->uv) {
			vf_cred_clear(&ga->cred);
			continue;
		}
		return (VF_OK);
	}
	return (VF_ERR_NO_CREDENTIALS);
}

static int
hmac_outputs(const struct ctx *c, const struct ga *ga,
    const unsigned char *salts, size_t n, unsigned char out[64])
{
	unsigned char	cr[32];
	int		r = -1;

	memcpy(cr, ga->uv ? ga->cred.cr_uv : ga->cred.cr_nouv, 32);
	if ((c->st.knobs & VF_KNOB_WRONG_SECRET) &&
	    vf_hmac_sha256((const unsigned char *)WRONG_SECRET_LABEL,
	    strlen(WRONG_SECRET_LABEL), cr, 32, NULL, 0, cr) < 0)
		goto out;
	for (size_t i = 0; i < n; i += 32)
		if (vf_hmac_sha256(cr, 32, salts + i, 32, NULL, 0,
		    out + i) < 0)
			goto out;
	r = 0;
out:
	OPENSSL_cleanse(cr, sizeof(cr));
	return (r);
}

/*
 * hmac-secret (CTAP 2.1 12.5): {1: keyAgreement, 2: saltEnc, 3: saltAuth,
 * 4: pinUvAuthProtocol (default 1)} -> encrypt(output1 [|| output2]).
 */
static uint8_t
ga_hmac_secret(struct ctx *c, const struct ga *ga, unsigned char enc[80],
    size_t *enc_len)
{
	const unsigned char	*salt_enc, *salt_auth;
	size_t			 se_len, sa_len, n = 0;
	unsigned char		 salts[64], outs[64];
	uint64_t		 proto = 1;
	struct ss		 ss;
	uint8_t			 r;

	if (get_bytes(mget(ga->hs, 2), &salt_enc, &se_len) < 0 ||
	    get_bytes(mget(ga->hs, 3), &salt_auth, &sa_len) < 0)
		return (VF_ERR_MISSING_PARAMETER);
	if (mget(ga->hs, 4) != NULL && get_uint(mget(ga->hs, 4), &proto) < 0)
		return (VF_ERR_CBOR_UNEXPECTED_TYPE);
	if (!proto_ok(c, proto))
		return (VF_ERR_INVALID_PARAMETER);
	if ((r = ss_derive(c, mget(ga->hs, 1), proto, &ss)) != VF_OK)
		return (r);
	r = VF_ERR_PIN_AUTH_INVALID;
	if (pp_verify(proto, ss.hmac_key, salt_enc, se_len, NULL, 0,
	    salt_auth, sa_len) < 0)
		goto out;
	r = VF_ERR_INVALID_LENGTH;
	if (se_len > (proto == 1 ? 64u : 80u) ||
	    ss_decrypt(&ss, salt_enc, se_len, salts, &n) < 0 ||
	    (n != 32 && n != 64))
		goto out;
	r = VF_ERR_OTHER;
	if (hmac_outputs(c, ga, salts, n, outs) < 0 ||
	    ss_encrypt(&ss, outs, n, enc, enc_len) < 0)
		goto out;
	r = VF_OK;
out:
	OPENSSL_cleanse(&ss, sizeof(ss));
	OPENSSL_cleanse(salts, sizeof(salts));
	OPENSSL_cleanse(outs, sizeof(outs));
	return (r);
}

static unsigned char *
ga_auth_data(const struct ga *ga, uint32_t count, const unsigned char *enc,
    size_t enc_len, size_t *len)
{
	cbor_item_t	*ext = NULL;
	unsigned char	*ek = NULL, *ad = NULL;
	size_t		 ek_len = 0;
	uint8_t		 flags = 0;

	if (ga->up)
		flags |= AD_UP;
	if (ga->uv)
		flags |= AD_UV;
	if (enc_len > 0) {
		flags |= AD_ED;
		if ((ext = cbor_new_definite_map(1)) == NULL ||
		    put(ext, cbor_build_string("hmac-secret"),
		    bytes(enc, enc_len)) < 0 || serialize(ext, &ek, &ek_len) < 0)
			goto out;
	}
	ad = auth_data(ga->rp_hash, flags, count, ek, ek_len, len);
out:
	if (ext != NULL)
		cbor_decref(&ext);
	free(ek);
	return (ad);
}

static uint8_t
ga_reply(struct ctx *c, const struct ga *ga, const unsigned char *enc,
    size_t enc_len, cbor_item_t **out)
{
	EVP_PKEY	*key = NULL;
	unsigned char	*ad = NULL, sig[80];
	size_t		 ad_len = 0, sig_len = 0;
	cbor_item_t	*m = NULL, *desc = NULL;

	if ((ad = ga_auth_data(ga, c->st.counter, enc, enc_len,
	    &ad_len)) == NULL ||
	    (key = vf_ec_from_priv(ga->cred.d, ga->cred.x, ga->cred.y)) == NULL ||
	    sign(c, key, ad, ad_len, ga->cdh, ga->cdh_len, sig, &sig_len) < 0 ||
	    (desc = cbor_new_definite_map(2)) == NULL ||
	    put(desc, cbor_build_string("id"), bytes(ga->id, ga->id_len)) < 0 ||
	    put(desc, cbor_build_string("type"),
	    cbor_build_string("public-key")) < 0 ||
	    (m = cbor_new_definite_map(3)) == NULL)
		goto out;
	if (put(m, cbor_build_uint8(1), cbor_incref(desc)) < 0 ||
	    put(m, cbor_build_uint8(2), bytes(ad, ad_len)) < 0 ||
	    put(m, cbor_build_uint8(3), bytes(sig, sig_len)) < 0)
		cbor_decref(&m);
out:
	if (desc != NULL)
		cbor_decref(&desc);
	EVP_PKEY_free(key);
	free(ad);
	*out = m;
	return (m != NULL ? VF_OK : VF_ERR_OTHER);
}

static uint8_t
get_assertion(struct ctx *c, const cbor_item_t *req, cbor_item_t **out)
{
	struct ga	*ga;
	unsigned char	 enc[80];
	size_t		 enc_len = 0;
	uint8_t		 r;

	if ((ga = calloc(1, sizeof(*ga))) == NULL)
		return (VF_ERR_OTHER);
	if ((r = ga_parse(req, ga)) != VF_OK ||
	    (r = check_puat(c, req, 6, 7, ga->cdh, ga->cdh_len,
	    &ga->uv)) != VF_OK ||
	    (r = ga_find(c, req, ga)) != VF_OK)
		goto out;
	if (ga->up && (r = user_presence(c)) != VF_OK)
		goto out;
	if (ga->hs != NULL && (ga->cred.flags & VF_CRED_FLAG_HMAC) &&
	    (r = ga_hmac_secret(c, ga, enc, &enc_len)) != VF_OK)
		goto out;
	c->st.counter++;
	c->dirty = 1;
	r = ga_reply(c, ga, enc, enc_len, out);
out:
	OPENSSL_cleanse(enc, sizeof(enc));
	vf_cred_clear(&ga->cred);
	free(ga);
	return (r);
}

/* ---------------------------------------------------------- dispatch */

/*
 * The remove-during-op knob: the token is pulled while the host waits for
 * it. The request is swallowed, one KEEPALIVE goes out, then all io fails.
 */
static int
vanish(struct ctx *c)
{
	c->st.knobs &= ~VF_KNOB_REMOVE_DURING_OP;
	c->st.knobs |= VF_KNOB_REMOVED;
	c->dirty = 1;
	c->dev->vanishing = 1;
	c->dev->keepalives = 1;
	c->dev->keepalive_ms = 0;
	return (1);
}

static uint8_t
dispatch(struct ctx *c, uint8_t cmd, const cbor_item_t *req,
    cbor_item_t **out)
{
	if (cmd == CMD_GETINFO)
		return (get_info(c, out));
	if (cmd != CMD_MAKECRED && cmd != CMD_GETASSERT &&
	    cmd != CMD_CLIENTPIN)
		return (VF_ERR_INVALID_COMMAND);
	if (req == NULL)
		return (VF_ERR_MISSING_PARAMETER);
	if (cmd == CMD_CLIENTPIN)
		return (client_pin(c, req, out));
	if (cmd == CMD_MAKECRED)
		return (make_credential(c, req, out));
	return (get_assertion(c, req, out));
}

static uint8_t
parse_request(const unsigned char *body, size_t len, cbor_item_t **req)
{
	struct cbor_load_result res;

	*req = NULL;
	if (len == 0)
		return (VF_OK);
	if ((*req = cbor_load(body, len, &res)) == NULL ||
	    res.error.code != CBOR_ERR_NONE || res.read != len) {
		if (*req != NULL)
			cbor_decref(req);
		return (VF_ERR_INVALID_CBOR);
	}
	if (!is_map(*req) || check_request_map(*req) < 0) {
		cbor_decref(req);
		return (VF_ERR_INVALID_CBOR);
	}
	return (VF_OK);
}

static int
build_response(uint8_t status, const cbor_item_t *out, unsigned char **resp,
    size_t *resp_len)
{
	unsigned char	*body = NULL;
	size_t		 body_len = 0;

	if (status == VF_OK && out != NULL &&
	    serialize(out, &body, &body_len) < 0) {
		status = VF_ERR_OTHER;
		body_len = 0;
	}
	if ((*resp = malloc(1 + body_len)) == NULL) {
		free(body);
		return (-1);
	}
	(*resp)[0] = status;
	if (body_len > 0)
		memcpy(*resp + 1, body, body_len);
	*resp_len = 1 + body_len;
	if (body != NULL)
		OPENSSL_clear_free(body, body_len);
	return (0);
}

/*
 * Handles one CTAPHID_CBOR message (command byte + CBOR map). *resp gets a
 * malloc'd status byte + CBOR, or NULL when the device vanished.
 */
int
vf_ctap2(struct vf_dev *dev, const unsigned char *msg, size_t msg_len,
    unsigned char **resp, size_t *resp_len)
{
	struct ctx	 c;
	cbor_item_t	*req = NULL, *out = NULL;
	uint8_t		 status;
	int		 fd, r = -1;

	*resp = NULL;
	*resp_len = 0;
	memset(&c, 0, sizeof(c));
	c.dev = dev;
	dev->keepalives = 0;
	if (msg_len < 1 || (fd = vf_lock(dev->dir)) < 0)
		return (-1);
	if (vf_state_load(dev->dir, &c.st) < 0)
		goto out;
	if ((msg[0] == CMD_MAKECRED || msg[0] == CMD_GETASSERT) &&
	    (c.st.knobs & VF_KNOB_REMOVE_DURING_OP)) {
		vanish(&c);
		r = 0;
		goto out;
	}
	if ((status = parse_request(msg + 1, msg_len - 1, &req)) == VF_OK)
		status = dispatch(&c, msg[0], req, &out);
	r = build_response(status, out, resp, resp_len);
out:
	if (c.dirty && vf_state_save(dev->dir, &c.st) < 0) {
		free(*resp);
		*resp = NULL;
		r = -1;
	}
	vf_unlock(fd);
	vf_state_clear(&c.st);
	if (req != NULL)
		cbor_decref(&req);
	if (out != NULL)
		cbor_decref(&out);
	return (r);
}
