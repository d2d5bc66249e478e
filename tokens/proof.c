/*
 * Proof of possession (docs/tokens.md "Proof of possession"): what
 * enrollment adds to a descriptor so that anyone can check offline, with
 * the descriptor alone, that whoever enrolled it held the token.
 *
 *   FIDO2: the enrollment's own assertion (the one whose hmac-secret gave
 *   the keys) is made over clientDataHash = SHA-256(cred_tag || id ||
 *   u32 len || cred_id || cred_pubkey || salt || uv): the credential key
 *   signs this descriptor's credential fields.
 *   Both kinds: the token's Ed25519 signing key signs every field of the
 *   descriptor, the FIDO2 assertion included (proof_msg()).
 *
 * Integers are big-endian; variable fields carry a u32 length first.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/common.h"
#include "tokens/internal.h"

static const char proof_tag[] = "breakglass/v2/token-proof";
static const char cred_tag[] = "breakglass/v2/token-proof/fido2";

struct buf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static void
put(struct buf *b, const void *p, size_t n)
{
	uint8_t *np;
	size_t cap;

	if (b->err)
		return;
	if (b->len + n > b->cap) {
		cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->err = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	put(b, x, sizeof(x));
}

static void
put_u8(struct buf *b, unsigned v)
{
	uint8_t x = (uint8_t)v;

	put(b, &x, 1);
}

static void
put_var(struct buf *b, const void *p, size_t n)
{
	put_u32(b, (uint32_t)n);
	put(b, p, n);
}

static void
put_str(struct buf *b, const char *s)
{
	put_var(b, s, strlen(s));
}

/* The tag with its NUL, so no tag is a prefix of another message. */
static void
put_tag(struct buf *b, const char *tag)
{
	put(b, tag, strlen(tag) + 1);
}

int
bg_proof_cred_hash(const bg_token_desc_t *d, uint8_t hash[32])
{
	struct buf b = { NULL, 0, 0, 0 };
	int r = BG_ENOMEM;

	put_tag(&b, cred_tag);
	put(&b, d->id, sizeof(d->id));
	put_var(&b, d->cred_id, d->cred_id_len);
	put(&b, d->cred_pub, sizeof(d->cred_pub));
	put(&b, d->salt, sizeof(d->salt));
	put_u8(&b, d->uv);
	if (!b.err)
		r = EVP_Digest(b.p, b.len, hash, NULL, EVP_sha256(), NULL) == 1 ?
		    BG_OK : BG_ECRYPTO;
	free(b.p);
	return r;
}

static void
fido2_fields(struct buf *b, const bg_token_desc_t *d)
{
	put_var(b, d->cred_id, d->cred_id_len);
	put(b, d->cred_pub, sizeof(d->cred_pub));
	put(b, d->salt, sizeof(d->salt));
	put_u8(b, d->uv);
	put(b, d->aaguid, sizeof(d->aaguid));
	put_str(b, d->model);
	put_str(b, d->att_fmt);
	put_var(b, d->att_authdata, d->att_authdata_len);
	put_var(b, d->att_sig, d->att_sig_len);
	put_var(b, d->att_x5c, d->att_x5c_len);
	put_var(b, d->att_cdh, d->att_cdh_len);
	put_var(b, d->proof_authdata, d->proof_authdata_len);
	put_var(b, d->proof_es256, d->proof_es256_len);
}

/* Every field but the proof's own signature; *msg is freed by the caller. */
static int
proof_msg(const bg_token_desc_t *d, uint8_t **msg, size_t *len)
{
	struct buf b = { NULL, 0, 0, 0 };

	put_tag(&b, proof_tag);
	put_u8(&b, d->kind);
	put(&b, d->id, sizeof(d->id));
	put(&b, d->pub, sizeof(d->pub));
	put(&b, d->sign_pub, sizeof(d->sign_pub));
	if (d->kind == BG_TOKEN_FIDO2)
		fido2_fields(&b, d);
	else {
		put_u32(&b, d->serial);
		put_u8(&b, (unsigned)d->slot);
		put(&b, d->challenge, sizeof(d->challenge));
		put_str(&b, d->model);
	}
	if (b.err) {
		free(b.p);
		return BG_ENOMEM;
	}
	*msg = b.p;
	*len = b.len;
	return BG_OK;
}

int
bg_desc_prove(bg_token_desc_t *d, const uint8_t xpriv[32])
{
	uint8_t *msg = NULL;
	size_t len = 0;
	int r;

	if ((r = proof_msg(d, &msg, &len)) != BG_OK)
		return r;
	r = bg_token_sign_raw(d->id, xpriv, msg, len, d->proof_sig);
	free(msg);
	if (r == BG_OK)
		d->has_proof = 1;
	return r;
}

static int
check_assertion(const bg_token_desc_t *d)
{
	struct bg_token_assertion *a;
	uint8_t hash[32];
	int r;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return BG_ENOMEM;
	memcpy(a->authdata, d->proof_authdata, d->proof_authdata_len);
	a->authdata_len = d->proof_authdata_len;
	memcpy(a->sig, d->proof_es256, d->proof_es256_len);
	a->sig_len = d->proof_es256_len;
	if ((r = bg_proof_cred_hash(d, hash)) == BG_OK &&
	    (r = bg_token_verify(d, hash, a)) != BG_OK) {
		bg_set_why("the proof's FIDO2 assertion does not verify with the "
		    "credential key (%s)", bg_strerror(r));
		r = BG_ESIG;
	}
	free(a);
	return r;
}

int
bg_token_desc_proof_verify(const bg_token_desc_t *d)
{
	uint8_t *msg = NULL;
	size_t len = 0;
	int r;

	bg_clear_why();
	if (d == NULL)
		return BG_EINVAL;
	if (!d->has_proof) {
		bg_set_why("the token descriptor carries no proof of possession "
		    "(enrolled before proofs existed): enroll the token again");
		return BG_EFORMAT;
	}
	if (d->kind == BG_TOKEN_FIDO2 && (r = check_assertion(d)) != BG_OK)
		return r;
	if ((r = proof_msg(d, &msg, &len)) != BG_OK)
		return r;
	r = bg_token_sig_verify(d, msg, len, d->proof_sig);
	free(msg);
	if (r == BG_ESIG)
		bg_set_why("the proof's signature does not verify with the "
		    "descriptor's Ed25519 key: the descriptor was altered or "
		    "not made by its token");
	return r;
}

int
bg_token_desc_prove_raw(bg_token_desc_t *d, const uint8_t xpriv[32])
{
	uint8_t pub[32], spub[32];
	int r;

	bg_clear_why();
	if (d == NULL || xpriv == NULL || d->kind != BG_TOKEN_YUBIKEY)
		return BG_EINVAL;
	if ((r = bg_x25519_public(xpriv, pub)) != BG_OK ||
	    (r = bg_token_sign_public(d->id, xpriv, spub)) != BG_OK)
		return r;
	if (memcmp(pub, d->pub, sizeof(pub)) != 0 ||
	    memcmp(spub, d->sign_pub, sizeof(spub)) != 0) {
		bg_set_why("the private key is not the descriptor's");
		return BG_EWRONGTOKEN;
	}
	return bg_desc_prove(d, xpriv);
}
