/*
 * Token descriptors: what enrollment records about a token, as JSON.
 * They hold no secret: identifiers, the salt or challenge, the enrolled
 * public keys and the attestation statement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "common/common.h"
#include "tokens/internal.h"

static const char *const fido2_keys[] = { "kind", "id", "x25519", "ed25519",
    "cred_id", "cred_pubkey", "salt", "uv", "aaguid", "model", "attestation",
    "proof", NULL };
static const char *const yk_keys[] = { "kind", "id", "x25519", "ed25519",
    "serial", "slot", "challenge", "model", "proof", NULL };
static const char *const att_keys[] = { "fmt", "authdata", "sig", "x5c",
    "cdh", NULL };
static const char *const fido2_proof_keys[] = { "authdata", "es256", "sig",
    NULL };
static const char *const yk_proof_keys[] = { "sig", NULL };

bg_token_desc_t *
bg_desc_new(enum bg_token_kind kind)
{
	bg_token_desc_t *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->kind = kind;
	d->uv = BG_TOKEN_UV_NONE;
	if (RAND_bytes(d->id, sizeof(d->id)) != 1) {
		free(d);
		return NULL;
	}
	bg_hex_encode(d->id, sizeof(d->id), d->id_hex, sizeof(d->id_hex));
	return d;
}

void
bg_token_desc_free(bg_token_desc_t **dp)
{
	bg_token_desc_t *d;

	if (dp == NULL || (d = *dp) == NULL)
		return;
	free(d->att_authdata);
	free(d->att_sig);
	free(d->att_x5c);
	free(d->att_cdh);
	free(d);
	*dp = NULL;
}

enum bg_token_kind
bg_token_desc_kind(const bg_token_desc_t *d)
{
	return d->kind;
}

const uint8_t *
bg_token_desc_public(const bg_token_desc_t *d)
{
	return d->pub;
}

const uint8_t *
bg_token_desc_sign_public(const bg_token_desc_t *d)
{
	return d->sign_pub;
}

const char *
bg_token_desc_id(const bg_token_desc_t *d)
{
	return d->id_hex;
}

enum bg_token_uv
bg_token_desc_uv(const bg_token_desc_t *d)
{
	return d->uv;
}

int
bg_token_desc_summary(const bg_token_desc_t *d, char *out, size_t outsz)
{
	char hex[17];
	int n;

	if (d->kind == BG_TOKEN_YUBIKEY)
		n = snprintf(out, outsz, "YubiKey serial %u slot %d (%s)",
		    (unsigned)d->serial, d->slot, d->model);
	else {
		bg_hex_encode(d->cred_id, d->cred_id_len < 8 ? d->cred_id_len :
		    8, hex, sizeof(hex));
		n = snprintf(out, outsz, "FIDO2 credential %s..., %s, %s", hex,
		    d->uv == BG_TOKEN_UV_PIN ? "PIN" : "touch only", d->model);
	}
	return n < 0 || (size_t)n >= outsz ? BG_ETOOBIG : BG_OK;
}

/* ------------------------------------------------------------ to JSON */

static int
add_b64(cJSON *o, const char *key, const uint8_t *p, size_t len)
{
	size_t n = bg_b64_len(len);
	char *s;
	int r = BG_ENOMEM;

	if ((s = malloc(n)) == NULL)
		return BG_ENOMEM;
	if (bg_b64_encode(p, len, s, n) == BG_OK &&
	    cJSON_AddStringToObject(o, key, s) != NULL)
		r = BG_OK;
	free(s);
	return r;
}

static int
add_hex(cJSON *o, const char *key, const uint8_t *p, size_t len)
{
	char s[2 * FIDO2_AAGUID_LEN + 1];

	if (2 * len + 1 > sizeof(s) ||
	    bg_hex_encode(p, len, s, sizeof(s)) != BG_OK ||
	    cJSON_AddStringToObject(o, key, s) == NULL)
		return BG_ENOMEM;
	return BG_OK;
}

static int
att_to_json(const bg_token_desc_t *d, cJSON *o)
{
	cJSON *a = cJSON_AddObjectToObject(o, "attestation");

	if (a == NULL || cJSON_AddStringToObject(a, "fmt", d->att_fmt) == NULL ||
	    add_b64(a, "authdata", d->att_authdata, d->att_authdata_len) ||
	    add_b64(a, "sig", d->att_sig, d->att_sig_len) ||
	    add_b64(a, "x5c", d->att_x5c, d->att_x5c_len) ||
	    add_b64(a, "cdh", d->att_cdh, d->att_cdh_len))
		return BG_ENOMEM;
	return BG_OK;
}

static int
fido2_to_json(const bg_token_desc_t *d, cJSON *o)
{
	if (add_b64(o, "cred_id", d->cred_id, d->cred_id_len) ||
	    add_b64(o, "cred_pubkey", d->cred_pub, sizeof(d->cred_pub)) ||
	    add_b64(o, "salt", d->salt, sizeof(d->salt)) ||
	    cJSON_AddStringToObject(o, "uv", d->uv == BG_TOKEN_UV_PIN ?
	    "pin" : "none") == NULL ||
	    add_hex(o, "aaguid", d->aaguid, sizeof(d->aaguid)) ||
	    cJSON_AddStringToObject(o, "model", d->model) == NULL)
		return BG_ENOMEM;
	return att_to_json(d, o);
}

static int
yk_to_json(const bg_token_desc_t *d, cJSON *o)
{
	if (cJSON_AddNumberToObject(o, "serial", d->serial) == NULL ||
	    cJSON_AddNumberToObject(o, "slot", d->slot) == NULL ||
	    add_b64(o, "challenge", d->challenge, sizeof(d->challenge)) ||
	    cJSON_AddStringToObject(o, "model", d->model) == NULL)
		return BG_ENOMEM;
	return BG_OK;
}

static int
proof_to_json(const bg_token_desc_t *d, cJSON *o)
{
	cJSON *p = cJSON_AddObjectToObject(o, "proof");

	if (p == NULL || (d->kind == BG_TOKEN_FIDO2 &&
	    (add_b64(p, "authdata", d->proof_authdata,
	    d->proof_authdata_len) != BG_OK ||
	    add_b64(p, "es256", d->proof_es256, d->proof_es256_len) != BG_OK)) ||
	    add_b64(p, "sig", d->proof_sig, sizeof(d->proof_sig)) != BG_OK)
		return BG_ENOMEM;
	return BG_OK;
}

int
bg_token_desc_to_json(const bg_token_desc_t *d, cJSON **json)
{
	cJSON *o;
	int r;

	if (d == NULL || json == NULL)
		return BG_EINVAL;
	if ((o = cJSON_CreateObject()) == NULL)
		return BG_ENOMEM;
	r = BG_ENOMEM;
	if (cJSON_AddStringToObject(o, "kind", d->kind == BG_TOKEN_FIDO2 ?
	    "fido2" : "yubikey") != NULL &&
	    cJSON_AddStringToObject(o, "id", d->id_hex) != NULL &&
	    add_b64(o, "x25519", d->pub, sizeof(d->pub)) == BG_OK &&
	    add_b64(o, "ed25519", d->sign_pub, sizeof(d->sign_pub)) == BG_OK)
		r = d->kind == BG_TOKEN_FIDO2 ? fido2_to_json(d, o) :
		    yk_to_json(d, o);
	if (r == BG_OK && d->has_proof)
		r = proof_to_json(d, o);
	if (r != BG_OK) {
		cJSON_Delete(o);
		return r;
	}
	*json = o;
	return BG_OK;
}

/* ---------------------------------------------------------- from JSON */

/* A base64 field of 0..max bytes into a fresh buffer. */
static int
get_b64_var(const cJSON *o, const char *key, size_t max, uint8_t **out,
    size_t *len)
{
	const char *s;
	int r;

	if ((r = bg_json_get_str(o, key, 2 * max + 8, &s)) != BG_OK)
		return BG_EFORMAT;
	if ((*out = malloc(max + 1)) == NULL)
		return BG_ENOMEM;
	if (bg_b64_decode(s, strlen(s), *out, max, len) != BG_OK)
		return BG_EFORMAT;
	return BG_OK;
}

static int
get_model(const cJSON *o, bg_token_desc_t *d)
{
	const char *s;

	if (bg_json_get_str(o, "model", sizeof(d->model) - 1, &s) != BG_OK)
		return BG_EFORMAT;
	memcpy(d->model, s, strlen(s) + 1);
	return BG_OK;
}

static int
att_from_json(const cJSON *o, bg_token_desc_t *d)
{
	const cJSON *a;
	const char *fmt;

	if (bg_json_get_obj(o, "attestation", &a) != BG_OK ||
	    bg_json_only_keys(a, att_keys) != BG_OK ||
	    bg_json_get_str(a, "fmt", sizeof(d->att_fmt) - 1, &fmt) != BG_OK)
		return BG_EFORMAT;
	memcpy(d->att_fmt, fmt, strlen(fmt) + 1);
	if (get_b64_var(a, "authdata", FIDO2_ATT_MAX, &d->att_authdata,
	    &d->att_authdata_len) != BG_OK ||
	    get_b64_var(a, "sig", FIDO2_ATT_MAX, &d->att_sig,
	    &d->att_sig_len) != BG_OK ||
	    get_b64_var(a, "x5c", FIDO2_ATT_MAX, &d->att_x5c,
	    &d->att_x5c_len) != BG_OK ||
	    get_b64_var(a, "cdh", 32, &d->att_cdh, &d->att_cdh_len) != BG_OK)
		return BG_EFORMAT;
	return BG_OK;
}

/*
 * "cred_pubkey": x || y as written, or SEC1 uncompressed or compressed;
 * kept as x || y, so every encoding of one key is one key.
 */
static int
get_cred_pub(const cJSON *o, bg_token_desc_t *d)
{
	uint8_t buf[1 + FIDO2_PUBKEY_LEN];
	const char *s;
	size_t len;

	if (bg_json_get_str(o, "cred_pubkey", 2 * sizeof(buf), &s) != BG_OK ||
	    bg_b64_decode(s, strlen(s), buf, sizeof(buf), &len) != BG_OK)
		return BG_EFORMAT;
	return bg_check_es256(buf, len, d->cred_pub);
}

static int
fido2_from_json(const cJSON *o, bg_token_desc_t *d)
{
	const char *uv, *aaguid, *cid;

	if (bg_json_only_keys(o, fido2_keys) != BG_OK ||
	    bg_json_get_str(o, "cred_id", 2 * FIDO2_CRED_ID_MAX, &cid) != BG_OK ||
	    bg_b64_decode(cid, strlen(cid), d->cred_id, sizeof(d->cred_id),
	    &d->cred_id_len) != BG_OK || d->cred_id_len == 0 ||
	    get_cred_pub(o, d) != BG_OK ||
	    bg_json_get_b64(o, "salt", d->salt, sizeof(d->salt)) != BG_OK ||
	    bg_json_get_str(o, "uv", 8, &uv) != BG_OK ||
	    bg_json_get_str(o, "aaguid", 32, &aaguid) != BG_OK ||
	    bg_hex_decode_exact(aaguid, strlen(aaguid), d->aaguid,
	    sizeof(d->aaguid)) != BG_OK || get_model(o, d) != BG_OK)
		return BG_EFORMAT;
	if (strcmp(uv, "pin") == 0)
		d->uv = BG_TOKEN_UV_PIN;
	else if (strcmp(uv, "none") == 0)
		d->uv = BG_TOKEN_UV_NONE;
	else
		return BG_EFORMAT;
	return att_from_json(o, d);
}

static int
yk_from_json(const cJSON *o, bg_token_desc_t *d)
{
	uint64_t serial, slot;

	if (bg_json_only_keys(o, yk_keys) != BG_OK ||
	    bg_json_get_u64(o, "serial", 1, UINT32_MAX, &serial) != BG_OK ||
	    bg_json_get_u64(o, "slot", 1, 2, &slot) != BG_OK ||
	    bg_json_get_b64(o, "challenge", d->challenge,
	    sizeof(d->challenge)) != BG_OK || get_model(o, d) != BG_OK)
		return BG_EFORMAT;
	d->serial = (uint32_t)serial;
	d->slot = (int)slot;
	return BG_OK;
}

static int
common_from_json(const cJSON *o, bg_token_desc_t *d)
{
	const char *id;

	if (bg_json_get_str(o, "id", 2 * BG_TOKEN_ID_LEN, &id) != BG_OK ||
	    bg_hex_decode_exact(id, strlen(id), d->id, sizeof(d->id)) != BG_OK ||
	    bg_json_get_b64(o, "x25519", d->pub, sizeof(d->pub)) != BG_OK ||
	    bg_json_get_b64(o, "ed25519", d->sign_pub,
	    sizeof(d->sign_pub)) != BG_OK)
		return BG_EFORMAT;
	bg_hex_encode(d->id, sizeof(d->id), d->id_hex, sizeof(d->id_hex));
	return BG_OK;
}

/* A base64 field of 1..max bytes into a fixed buffer. */
static int
get_b64_in(const cJSON *o, const char *key, uint8_t *out, size_t max,
    size_t *len)
{
	const char *s;

	if (bg_json_get_str(o, key, 2 * max + 8, &s) != BG_OK ||
	    bg_b64_decode(s, strlen(s), out, max, len) != BG_OK || *len == 0)
		return BG_EFORMAT;
	return BG_OK;
}

/* "proof" is optional here; bg_token_desc_proof_verify() requires it. */
static int
proof_from_json(const cJSON *o, bg_token_desc_t *d)
{
	const cJSON *p;
	int r;

	if ((r = bg_json_get_obj(o, "proof", &p)) == BG_ENOENT)
		return BG_OK;
	if (r != BG_OK || bg_json_only_keys(p, d->kind == BG_TOKEN_FIDO2 ?
	    fido2_proof_keys : yk_proof_keys) != BG_OK ||
	    bg_json_get_b64(p, "sig", d->proof_sig,
	    sizeof(d->proof_sig)) != BG_OK)
		goto bad;
	if (d->kind == BG_TOKEN_FIDO2 &&
	    (get_b64_in(p, "authdata", d->proof_authdata,
	    sizeof(d->proof_authdata), &d->proof_authdata_len) != BG_OK ||
	    get_b64_in(p, "es256", d->proof_es256, sizeof(d->proof_es256),
	    &d->proof_es256_len) != BG_OK))
		goto bad;
	d->has_proof = 1;
	return BG_OK;
bad:
	bg_set_why("the token descriptor's \"proof\" is not an object of "
	    "the kind's fields, each of the right type and length");
	return BG_EFORMAT;
}

int
bg_token_desc_from_json(const cJSON *o, bg_token_desc_t **out)
{
	bg_token_desc_t *d;
	const char *kind;
	int r;

	bg_clear_why();
	if (o == NULL || out == NULL)
		return BG_EINVAL;
	*out = NULL;
	if (bg_json_get_str(o, "kind", 16, &kind) != BG_OK ||
	    (strcmp(kind, "fido2") != 0 && strcmp(kind, "yubikey") != 0)) {
		bg_set_why("a token descriptor needs kind \"fido2\" or "
		    "\"yubikey\"");
		return BG_EFORMAT;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return BG_ENOMEM;
	d->kind = kind[0] == 'f' ? BG_TOKEN_FIDO2 : BG_TOKEN_YUBIKEY;
	d->uv = BG_TOKEN_UV_NONE;
	if ((r = common_from_json(o, d)) == BG_OK &&
	    (r = d->kind == BG_TOKEN_FIDO2 ? fido2_from_json(o, d) :
	    yk_from_json(o, d)) == BG_OK &&
	    (r = proof_from_json(o, d)) == BG_OK)
		r = bg_desc_check_keys(d);
	if (r != BG_OK) {
		if (bg_why()[0] == '\0')
			bg_set_why("a token descriptor field is missing, "
			    "unknown, or of the wrong type or length");
		bg_token_desc_free(&d);
		return r;
	}
	*out = d;
	return BG_OK;
}
