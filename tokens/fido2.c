/*
 * FIDO2 driver over libfido2: an ES256 credential with hmac-secret for rp
 * id "breakglass"; one getAssertion gives both the signature and the
 * hmac-secret output (one touch per approval). User presence is always
 * required; the UV (PIN) mode is fixed at enrollment.
 */
/*
 * libfido2's es256.h declares (unused here) functions taking EC_KEY, which
 * OPENSSL_NO_DEPRECATED hides; this file calls no deprecated OpenSSL API.
 */
#undef OPENSSL_NO_DEPRECATED

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fido.h>
#include <fido/es256.h>
#include <openssl/rand.h>

#include "common/common.h"
#include "tokens/internal.h"

#define MAX_DEVS 64
#define FLAG_UP 0x01
#define FLAG_UV 0x04
#define FLAG_ED 0x80		/* extension data included */

static void
fido_ready(void)
{
	static int done;

	if (!done) {
		fido_init(FIDO_DISABLE_U2F_FALLBACK);
		done = 1;
	}
}

/* libfido2 codes to ours; sets the detail. */
static int
fido_err(int e, const char *what)
{
	switch (e) {
	case FIDO_ERR_PIN_INVALID:
		return BG_EPIN;
	case FIDO_ERR_PIN_BLOCKED:
		bg_set_why("%s: the PIN is blocked", what);
		return BG_EPINBLOCKED;
	case FIDO_ERR_PIN_AUTH_BLOCKED:
		bg_set_why("%s: too many wrong PINs: unplug and reinsert the "
		    "token", what);
		return BG_EPINBLOCKED;
	case FIDO_ERR_ACTION_TIMEOUT:
	case FIDO_ERR_USER_ACTION_TIMEOUT:
	case FIDO_ERR_TIMEOUT:
		return BG_ETIMEOUT;
	case FIDO_ERR_NO_CREDENTIALS:
	case FIDO_ERR_INVALID_CREDENTIAL:
		return BG_ENOCRED;
	case FIDO_ERR_TX:
	case FIDO_ERR_RX:
		bg_set_why("%s: the token stopped answering", what);
		return BG_EREMOVED;
	case FIDO_ERR_PIN_REQUIRED:
	case FIDO_ERR_PIN_NOT_SET:
		bg_set_why("%s: %s", what, fido_strerr(e));
		return BG_EUV;
	case FIDO_ERR_UNSUPPORTED_EXTENSION:
		bg_set_why("%s: the token lacks the hmac-secret extension", what);
		return BG_EDEVICE;
	default:
		bg_set_why("%s: %s", what, fido_strerr(e));
		return BG_EDEVICE;
	}
}

/* ---------------------------------------------------------------- list */

static int
manifest(fido_dev_info_t **infos, size_t *n)
{
	int e;

	fido_ready();
	if ((*infos = fido_dev_info_new(MAX_DEVS)) == NULL)
		return BG_ENOMEM;
	if ((e = fido_dev_info_manifest(*infos, MAX_DEVS, n)) != FIDO_OK) {
		fido_dev_info_free(infos, MAX_DEVS);
		return fido_err(e, "listing FIDO2 devices");
	}
	return BG_OK;
}

static void
info_model(const fido_dev_info_t *di, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s %s", fido_dev_info_manufacturer_string(di),
	    fido_dev_info_product_string(di));
}

int
bg_fido2_list(struct bg_token_dev **devs, size_t *n, size_t *cap)
{
	fido_dev_info_t *infos;
	struct bg_token_dev d;
	size_t i, cnt = 0;
	int r;

	if ((r = manifest(&infos, &cnt)) != BG_OK)
		return r;
	for (i = 0; r == BG_OK && i < cnt; i++) {
		const fido_dev_info_t *di = fido_dev_info_ptr(infos, i);
		memset(&d, 0, sizeof(d));
		d.kind = BG_TOKEN_FIDO2;
		snprintf(d.path, sizeof(d.path), "%s", fido_dev_info_path(di));
		info_model(di, d.model, sizeof(d.model));
		r = bg_devs_push(devs, n, cap, &d);
	}
	fido_dev_info_free(&infos, MAX_DEVS);
	return r;
}

/* -------------------------------------------------------- finding a token */

/* Is a token with this path still listed? */
static int
still_present(const char *path)
{
	fido_dev_info_t *infos;
	size_t i, cnt = 0;
	int found = 0;

	if (manifest(&infos, &cnt) != BG_OK)
		return 1;	/* cannot tell: do not claim removal */
	for (i = 0; i < cnt && !found; i++)
		found = strcmp(fido_dev_info_path(fido_dev_info_ptr(infos, i)),
		    path) == 0;
	fido_dev_info_free(&infos, MAX_DEVS);
	return found;
}

/*
 * Why a listed key did not open. With U2F fallback off, libfido2's open
 * ends with getInfo and fails with its error (src/dev.c,
 * fido_dev_open_rx): a CTAP status or a reply that is not CBOR can only
 * come from there. A transport error may also be the CTAPHID INIT; a key
 * that cannot be opened at all is gone since the listing.
 */
static int
open_failed(int e, const char *path)
{
	if (e > 0 || e == FIDO_ERR_RX_NOT_CBOR || e == FIDO_ERR_RX_INVALID_CBOR) {
		bg_set_why("the key at %s did not answer getInfo: %s", path,
		    fido_strerr(e));
		return BG_EDEVICE;
	}
	if ((e == FIDO_ERR_RX || e == FIDO_ERR_TX) && still_present(path)) {
		bg_set_why("the key at %s did not answer when opened (CTAPHID "
		    "INIT or getInfo): %s", path, fido_strerr(e));
		return BG_EDEVICE;
	}
	return BG_ENODEV;
}

static void
dev_close(fido_dev_t **dev)
{
	if (*dev != NULL) {
		fido_dev_close(*dev);
		fido_dev_free(dev);
	}
}

/*
 * Opens a listed key: BG_ENODEV when it is gone, BG_EDEVICE (reason in
 * bg_why) when it answers but cannot serve breakglass.
 */
static int
dev_open(const fido_dev_info_t *di, const struct bg_token_opts *o,
    fido_dev_t **out)
{
	const char *path = fido_dev_info_path(di);
	fido_dev_t *dev;
	int e;

	if ((dev = fido_dev_new_with_info(di)) == NULL)
		return BG_ENOMEM;
	if ((e = fido_dev_open_with_info(dev)) != FIDO_OK) {
		fido_dev_free(&dev);
		return open_failed(e, path);
	}
	if ((e = fido_dev_set_timeout(dev, bg_token_timeout(o))) != FIDO_OK) {
		dev_close(&dev);
		return fido_err(e, "opening the FIDO2 token");
	}
	/* no CBOR capability in CTAPHID INIT: a U2F (CTAP1) key */
	if (!fido_dev_is_fido2(dev)) {
		dev_close(&dev);
		bg_set_why("the key at %s does not speak CTAP2 (U2F only): "
		    "breakglass needs a FIDO2 key with hmac-secret", path);
		return BG_EDEVICE;
	}
	*out = dev;
	return BG_OK;
}

/*
 * A silent assertion (no user presence): is the credential on dev? 1 yes,
 * 0 no, -1 when the token stopped answering (perhaps pulled out).
 */
static int
probe(fido_dev_t *dev, const bg_token_desc_t *d)
{
	fido_assert_t *a;
	uint8_t cdh[32];
	int e = FIDO_ERR_INTERNAL;

	if ((a = fido_assert_new()) == NULL)
		return 0;
	memset(cdh, 0, sizeof(cdh));
	if (fido_assert_set_clientdata_hash(a, cdh, sizeof(cdh)) == FIDO_OK &&
	    fido_assert_set_rp(a, BG_TOKEN_RP_ID) == FIDO_OK &&
	    fido_assert_allow_cred(a, d->cred_id, d->cred_id_len) == FIDO_OK &&
	    fido_assert_set_up(a, FIDO_OPT_FALSE) == FIDO_OK)
		e = fido_dev_get_assert(dev, a, NULL);
	fido_assert_free(&a);
	if (e == FIDO_ERR_TX || e == FIDO_ERR_RX || e == FIDO_ERR_INTERNAL)
		return -1;
	return e == FIDO_OK;
}

static int
info_match(const fido_dev_info_t *di, const struct bg_token_opts *o)
{
	return o->device == NULL || strcmp(o->device, fido_dev_info_path(di)) == 0;
}

/* bg_strerror(BG_EREMOVED) says what happened; the detail, what to do. */
static int
removed(const char *path)
{
	bg_set_why("reconnect the token (%s) and try again", path);
	return BG_EREMOVED;
}

/*
 * libfido2 reports a token pulled out mid-operation as a transport error
 * or, during the key agreement of hmac-secret, as FIDO_ERR_INTERNAL: ask
 * whether it is still there.
 */
static int
removed_or(int r, const char *path)
{
	if ((r == BG_EDEVICE || r == BG_EREMOVED) && !still_present(path))
		return removed(path);
	return r;
}

/* The first key that was listed but could not serve, and why. */
struct skipped {
	int r;
	char why[512];
};

static void
skip(struct skipped *s, int r)
{
	if (s->r == BG_OK && r != BG_ENODEV) {
		s->r = r;
		snprintf(s->why, sizeof(s->why), "%s", bg_why());
	}
}

/*
 * When no key served: for enrollment the reason a key was skipped; for a
 * credential, "not on any connected token" (callers try the person's next
 * token on that) with the skipped key named.
 */
static int
none_found(const bg_token_desc_t *d, size_t seen, const struct skipped *s)
{
	if (s->r == BG_OK && seen == 0)
		return BG_ENODEV;
	if (d == NULL && seen == 0) {
		bg_set_why("%s", s->why);
		return s->r;
	}
	if (d == NULL) {
		bg_set_why("%zu FIDO2 token%s connected: name one with "
		    "--device", seen, seen == 1 ? " is" : "s are");
		return BG_EINVAL;
	}
	if (s->r != BG_OK)
		bg_set_why("skipped: %s", s->why);
	return BG_ENOCRED;
}

/*
 * The token to use: for enrollment (d == NULL) the one given or the only
 * one; otherwise the one holding the credential, found by probing.
 */
static int
find_dev(const bg_token_desc_t *d, const struct bg_token_opts *o,
    fido_dev_t **out, char *model, size_t msz, char *path, size_t psz)
{
	fido_dev_info_t *infos;
	fido_dev_t *dev = NULL;
	struct skipped sk = { BG_OK, "" };
	size_t i, cnt = 0, seen = 0;
	char lost[256] = "";
	int r, found;

	*out = NULL;
	if ((r = manifest(&infos, &cnt)) != BG_OK)
		return r;
	for (i = 0; i < cnt && *out == NULL; i++) {
		const fido_dev_info_t *di = fido_dev_info_ptr(infos, i);
		if (!info_match(di, o))
			continue;
		bg_clear_why();
		if ((r = dev_open(di, o, &dev)) != BG_OK) {
			skip(&sk, r);
			continue;
		}
		seen++;
		found = d == NULL ? cnt == 1 || o->device != NULL : probe(dev, d);
		if (found == 1) {
			*out = dev;
			info_model(di, model, msz);
			snprintf(path, psz, "%s", fido_dev_info_path(di));
		} else
			dev_close(&dev);
		if (found < 0)
			snprintf(lost, sizeof(lost), "%s", fido_dev_info_path(di));
	}
	fido_dev_info_free(&infos, MAX_DEVS);
	bg_clear_why();
	if (*out != NULL)
		return BG_OK;
	if (lost[0] != '\0' && !still_present(lost))
		return removed(lost);
	return none_found(d, seen, &sk);
}

/* ------------------------------------------------------------- asserting */

static int
pin_retries(fido_dev_t *dev, int r)
{
	int left = -1;

	if (r == BG_EPIN && fido_dev_get_retry_count(dev, &left) == FIDO_OK)
		bg_set_why("%d PIN retries left", left);
	return r;
}

static int
assert_setup(fido_assert_t *a, const bg_token_desc_t *d,
    const uint8_t hash[32])
{
	if (fido_assert_set_clientdata_hash(a, hash, 32) != FIDO_OK ||
	    fido_assert_set_rp(a, BG_TOKEN_RP_ID) != FIDO_OK ||
	    fido_assert_allow_cred(a, d->cred_id, d->cred_id_len) != FIDO_OK ||
	    fido_assert_set_extensions(a, FIDO_EXT_HMAC_SECRET) != FIDO_OK ||
	    fido_assert_set_hmac_salt(a, d->salt, sizeof(d->salt)) != FIDO_OK ||
	    fido_assert_set_up(a, FIDO_OPT_TRUE) != FIDO_OK)
		return BG_EINTERNAL;
	return BG_OK;
}

/*
 * One getAssertion with hmac-secret, with the PIN when the enrolled UV
 * mode says so (pin: one already read, or NULL to ask).
 */
static int
get_assert(fido_dev_t *dev, const bg_token_desc_t *d,
    const struct bg_token_opts *o, const uint8_t hash[32], const char *pin,
    fido_assert_t **out)
{
	fido_assert_t *a;
	char *asked = NULL;
	int e, r;

	*out = NULL;
	if ((a = fido_assert_new()) == NULL)
		return BG_ENOMEM;
	if ((r = assert_setup(a, d, hash)) != BG_OK)
		goto out;
	if (d->uv == BG_TOKEN_UV_PIN && pin == NULL) {
		if ((r = bg_pin_read(o, &asked)) != BG_OK)
			goto out;
		pin = asked;
	}
	bg_token_say(o, "Touch your FIDO2 token now");
	e = fido_dev_get_assert(dev, a, d->uv == BG_TOKEN_UV_PIN ? pin : NULL);
	if (e != FIDO_OK)
		r = pin_retries(dev, fido_err(e, "getting an assertion"));
	else if (fido_assert_count(a) != 1 ||
	    fido_assert_hmac_secret_len(a, 0) != 32) {
		bg_set_why("the token returned no hmac-secret output");
		r = BG_ERESPONSE;
	}
out:
	bg_pin_free(&asked);
	if (r != BG_OK)
		fido_assert_free(&a);
	*out = a;
	return r;
}

/* Flags and signature of assertion 0 of a, against the enrolled key. */
static int
check_assert(const bg_token_desc_t *d, const fido_assert_t *a)
{
	es256_pk_t *pk;
	uint8_t flags = fido_assert_flags(a, 0);
	int e;

	if ((flags & FLAG_UP) == 0)
		return BG_ENOUP;
	if (((flags & FLAG_UV) != 0) != (d->uv == BG_TOKEN_UV_PIN)) {
		bg_set_why("the assertion's UV flag differs from the enrolled "
		    "mode (%s)", d->uv == BG_TOKEN_UV_PIN ? "PIN" : "touch only");
		return BG_EUV;
	}
	if ((pk = es256_pk_new()) == NULL)
		return BG_ENOMEM;
	if ((e = es256_pk_from_ptr(pk, d->cred_pub, sizeof(d->cred_pub))) ==
	    FIDO_OK)
		e = fido_assert_verify(a, 0, COSE_ES256, pk);
	es256_pk_free(&pk);
	if (e != FIDO_OK) {
		bg_set_why("the assertion signature does not verify with the "
		    "enrolled key");
		return BG_ESIG;
	}
	return BG_OK;
}

static int
copy_assertion(const fido_assert_t *a, struct bg_token_assertion *out)
{
	size_t al = fido_assert_authdata_len(a, 0), sl = fido_assert_sig_len(a, 0);

	if (al > sizeof(out->authdata) || sl > sizeof(out->sig) || al == 0 ||
	    sl == 0)
		return BG_ERESPONSE;
	memcpy(out->authdata, fido_assert_authdata_ptr(a, 0), al);
	memcpy(out->sig, fido_assert_sig_ptr(a, 0), sl);
	out->authdata_len = al;
	out->sig_len = sl;
	out->flags = fido_assert_flags(a, 0);
	out->counter = fido_assert_sigcount(a, 0);
	return BG_OK;
}

/* The whole approval: find, assert, check, copy, derive. */
static int
sign_on(fido_dev_t *dev, const bg_token_desc_t *d,
    const struct bg_token_opts *o, const uint8_t hash[32],
    struct bg_token_assertion *out, bg_token_key_t **key)
{
	fido_assert_t *a = NULL;
	int r;

	if ((r = get_assert(dev, d, o, hash, NULL, &a)) != BG_OK ||
	    (r = check_assert(d, a)) != BG_OK ||
	    (out != NULL && (r = copy_assertion(a, out)) != BG_OK))
		goto out;
	if (key != NULL)
		r = bg_desc_key(d, fido_assert_hmac_secret_ptr(a, 0), 32, key);
out:
	fido_assert_free(&a);	/* libfido2 wipes the hmac-secret (freezero) */
	return r;
}

int
bg_token_sign(const bg_token_desc_t *d, const struct bg_token_opts *o,
    const uint8_t hash[32], struct bg_token_assertion *out,
    bg_token_key_t **key)
{
	fido_dev_t *dev = NULL;
	char model[128], path[256];
	int r;

	bg_clear_why();
	if (d == NULL || o == NULL || hash == NULL || out == NULL ||
	    d->kind != BG_TOKEN_FIDO2)
		return BG_EINVAL;
	memset(out, 0, sizeof(*out));
	if (key != NULL)
		*key = NULL;
	if ((r = find_dev(d, o, &dev, model, sizeof(model), path,
	    sizeof(path))) == BG_OK)
		r = removed_or(sign_on(dev, d, o, hash, out, key), path);
	dev_close(&dev);
	return r;
}

int
bg_fido2_unlock(const bg_token_desc_t *d, const struct bg_token_opts *o,
    bg_token_key_t **key)
{
	struct bg_token_assertion a;
	uint8_t hash[32];

	if (RAND_bytes(hash, sizeof(hash)) != 1)
		return BG_ECRYPTO;
	return bg_token_sign(d, o, hash, &a, key);
}

/* --------------------------------------------------------- offline check */

/*
 * One CBOR item at p (n bytes) whose declared lengths and counts fit in
 * what is left (every element takes a byte at least), definite lengths
 * only, nested at most 8 deep; *used is its size. libcbor allocates what
 * a header declares before it reads the elements, so a stored assertion
 * is walked here first: an auditor's log must not make it allocate
 * gigabytes (issue 11 review).
 */
static int
cbor_item(const uint8_t *p, size_t n, size_t *used, int depth)
{
	unsigned major, ai;
	uint64_t v = 0, i, count;
	size_t off, k, u;

	if (n == 0 || depth > 8)
		return -1;
	major = p[0] >> 5;
	ai = p[0] & 31;
	if (ai > 27)
		return -1;	/* indefinite or reserved */
	k = ai < 24 ? 0 : (size_t)1 << (ai - 24);
	if (n < 1 + k)
		return -1;
	for (i = 0, v = ai < 24 ? ai : 0; i < k; i++)
		v = v << 8 | p[1 + i];
	off = 1 + k;
	if (major == 2 || major == 3) {
		if (v > n - off)
			return -1;
		off += (size_t)v;
	} else if (major == 4 || major == 5 || major == 6) {
		count = major == 6 ? 1 : major == 5 ? 2 * v : v;
		if (major != 6 && v > n - off)
			return -1;
		for (i = 0; i < count; i++, off += u)
			if (cbor_item(p + off, n - off, &u, depth + 1) != 0)
				return -1;
	}
	*used = off;
	return 0;
}

/* The authdata: one byte string; its extensions, if any, sane CBOR. */
static int
authdata_sane(const uint8_t *p, size_t n)
{
	size_t used, hdr, off;

	if (cbor_item(p, n, &used, 0) != 0 || used != n || p[0] >> 5 != 2)
		return 0;
	hdr = (p[0] & 31) < 24 ? 1 : 1 + ((size_t)1 << ((p[0] & 31) - 24));
	p += hdr;
	n -= hdr;
	if (n < 37 || (p[32] & 0x40) != 0)	/* no credential data here */
		return 0;
	for (off = 37; off < n; off += used)
		if (cbor_item(p + off, n - off, &used, 0) != 0)
			return 0;
	return 1;
}

int
bg_token_verify(const bg_token_desc_t *d, const uint8_t hash[32],
    const struct bg_token_assertion *in)
{
	fido_assert_t *a;
	int r = BG_EFORMAT;

	bg_clear_why();
	if (d == NULL || hash == NULL || in == NULL || d->kind != BG_TOKEN_FIDO2 ||
	    in->authdata_len > sizeof(in->authdata) ||
	    in->sig_len > sizeof(in->sig))
		return BG_EINVAL;
	if (!authdata_sane(in->authdata, in->authdata_len)) {
		bg_set_why("the assertion's authenticator data is not well-formed "
		    "CBOR");
		return BG_EFORMAT;
	}
	if ((a = fido_assert_new()) == NULL)
		return BG_ENOMEM;
	/* our assertions carry hmac-secret; libfido2 checks the authdata's
	 * extensions against the ones set here */
	if (fido_assert_set_count(a, 1) == FIDO_OK &&
	    fido_assert_set_extensions(a, FIDO_EXT_HMAC_SECRET) == FIDO_OK &&
	    fido_assert_set_clientdata_hash(a, hash, 32) == FIDO_OK &&
	    fido_assert_set_rp(a, BG_TOKEN_RP_ID) == FIDO_OK &&
	    fido_assert_set_authdata(a, 0, in->authdata,
	    in->authdata_len) == FIDO_OK &&
	    fido_assert_set_sig(a, 0, in->sig, in->sig_len) == FIDO_OK)
		r = check_assert(d, a);
	fido_assert_free(&a);
	return r;
}

/* ----------------------------------------------------------- enrollment */

static int
cred_setup(fido_cred_t *c, const struct bg_token_opts *o, uint8_t *cdh)
{
	uint8_t uid[16];
	const char *label = o->label != NULL ? o->label : "custodian";

	if (RAND_bytes(cdh, 32) != 1 || RAND_bytes(uid, sizeof(uid)) != 1)
		return BG_ECRYPTO;
	if (fido_cred_set_type(c, COSE_ES256) != FIDO_OK ||
	    fido_cred_set_clientdata_hash(c, cdh, 32) != FIDO_OK ||
	    fido_cred_set_rp(c, BG_TOKEN_RP_ID, BG_TOKEN_RP_ID) != FIDO_OK ||
	    fido_cred_set_user(c, uid, sizeof(uid), label, label, NULL) !=
	    FIDO_OK ||
	    fido_cred_set_extensions(c, FIDO_EXT_HMAC_SECRET) != FIDO_OK ||
	    fido_cred_set_rk(c, FIDO_OPT_FALSE) != FIDO_OK)
		return BG_EINVAL;
	return BG_OK;
}

/* The UV mode to fix, given what the token offers. */
static int
choose_uv(fido_dev_t *dev, enum bg_token_uv want, enum bg_token_uv *uv)
{
	int has_pin = fido_dev_has_pin(dev);

	*uv = want == BG_TOKEN_UV_AUTO ?
	    (has_pin ? BG_TOKEN_UV_PIN : BG_TOKEN_UV_NONE) : want;
	if (*uv == BG_TOKEN_UV_PIN && !has_pin) {
		bg_set_why("the token has no PIN: set one (fido2-token -S) or "
		    "enroll with --uv none");
		return BG_EUV;
	}
	return BG_OK;
}

/* Attestation: verified when it carries a certificate; chained to the
 * trust anchors when policy asks for genuine hardware. */
static int
check_attestation(const fido_cred_t *c, const struct bg_token_opts *o)
{
	int e;

	if (fido_cred_x5c_len(c) > 0)
		e = fido_cred_verify(c);
	else if (strcmp(fido_cred_fmt(c), "packed") == 0)
		e = fido_cred_verify_self(c);
	else
		e = o->trust_pem != NULL ? FIDO_ERR_INVALID_ARGUMENT : FIDO_OK;
	if (e != FIDO_OK) {
		bg_set_why("the attestation statement does not verify (%s)",
		    fido_strerr(e));
		return BG_EATTEST;
	}
	if (o->trust_pem != NULL)
		return bg_attest_chain(fido_cred_x5c_ptr(c), fido_cred_x5c_len(c),
		    o->trust_pem);
	return BG_OK;
}

static int
dup_blob(uint8_t **dst, size_t *dlen, const unsigned char *src, size_t len)
{
	*dlen = len;
	if ((*dst = malloc(len + 1)) == NULL)
		return BG_ENOMEM;
	if (len > 0)
		memcpy(*dst, src, len);
	return BG_OK;
}

static int
take_cred(bg_token_desc_t *d, const fido_cred_t *c, const uint8_t *cdh)
{
	if (fido_cred_id_len(c) == 0 || fido_cred_id_len(c) > sizeof(d->cred_id) ||
	    fido_cred_pubkey_len(c) != sizeof(d->cred_pub) ||
	    fido_cred_aaguid_len(c) != sizeof(d->aaguid) ||
	    strlen(fido_cred_fmt(c)) >= sizeof(d->att_fmt))
		return BG_ERESPONSE;
	if (bg_check_es256(fido_cred_pubkey_ptr(c), fido_cred_pubkey_len(c),
	    d->cred_pub) != BG_OK) {
		bg_set_why("the token's new credential key is not a valid "
		    "P-256 point");
		return BG_ERESPONSE;
	}
	d->cred_id_len = fido_cred_id_len(c);
	memcpy(d->cred_id, fido_cred_id_ptr(c), d->cred_id_len);
	memcpy(d->aaguid, fido_cred_aaguid_ptr(c), sizeof(d->aaguid));
	memcpy(d->att_fmt, fido_cred_fmt(c), strlen(fido_cred_fmt(c)) + 1);
	if (dup_blob(&d->att_authdata, &d->att_authdata_len,
	    fido_cred_authdata_ptr(c), fido_cred_authdata_len(c)) ||
	    dup_blob(&d->att_sig, &d->att_sig_len, fido_cred_sig_ptr(c),
	    fido_cred_sig_len(c)) ||
	    dup_blob(&d->att_x5c, &d->att_x5c_len, fido_cred_x5c_ptr(c),
	    fido_cred_x5c_len(c)) ||
	    dup_blob(&d->att_cdh, &d->att_cdh_len, cdh, 32))
		return BG_ENOMEM;
	return BG_OK;
}

/*
 * What the new credential's authenticator data must say: the user was
 * present, and extension outputs (ED) came back: the only extension asked
 * for is hmac-secret (CTAP 2.1 12.5; a key that does not know an
 * extension ignores it, 6.1.2 step 5).
 */
static int
check_made(const fido_cred_t *c)
{
	if ((fido_cred_flags(c) & FLAG_UP) == 0) {
		bg_set_why("the token did not assert user presence when it "
		    "created the credential (UP flag clear)");
		return BG_ENOUP;
	}
	if ((fido_cred_flags(c) & FLAG_ED) == 0) {
		bg_set_why("the token ignored the hmac-secret extension when it "
		    "created the credential: breakglass needs a FIDO2 key with "
		    "hmac-secret");
		return BG_EDEVICE;
	}
	return BG_OK;
}

static int
make_cred(fido_dev_t *dev, bg_token_desc_t *d, const struct bg_token_opts *o,
    const char *pin)
{
	fido_cred_t *c;
	uint8_t cdh[32];
	int e, r;

	if ((c = fido_cred_new()) == NULL)
		return BG_ENOMEM;
	if ((r = cred_setup(c, o, cdh)) != BG_OK)
		goto out;
	bg_token_say(o, "Touch your FIDO2 token to create the credential");
	if ((e = fido_dev_make_cred(dev, c, pin)) != FIDO_OK) {
		r = pin_retries(dev, fido_err(e, "creating the credential"));
		goto out;
	}
	/* before the attestation: fido_cred_verify() fails on both, and
	 * "does not verify" would hide the cause */
	if ((r = check_made(c)) == BG_OK &&
	    (r = check_attestation(c, o)) == BG_OK)
		r = take_cred(d, c, cdh);
out:
	fido_cred_free(&c);
	return r;
}

/* The enrollment assertion goes into the proof of possession. */
static int
take_proof(bg_token_desc_t *d, const fido_assert_t *a)
{
	struct bg_token_assertion *out;
	int r;

	if ((out = calloc(1, sizeof(*out))) == NULL)
		return BG_ENOMEM;
	if ((r = copy_assertion(a, out)) == BG_OK) {
		memcpy(d->proof_authdata, out->authdata, out->authdata_len);
		d->proof_authdata_len = out->authdata_len;
		memcpy(d->proof_es256, out->sig, out->sig_len);
		d->proof_es256_len = out->sig_len;
	}
	free(out);
	return r;
}

/*
 * The first assertion, over the credential fields (proof.c): its
 * hmac-secret fixes the token's public keys, its signature is the
 * credential's part of the proof of possession.
 */
static int
first_secret(fido_dev_t *dev, bg_token_desc_t *d,
    const struct bg_token_opts *o, const char *pin)
{
	fido_assert_t *a = NULL;
	uint8_t hash[32];
	int r;

	if (RAND_bytes(d->salt, sizeof(d->salt)) != 1)
		return BG_ECRYPTO;
	if ((r = bg_proof_cred_hash(d, hash)) != BG_OK)
		return r;
	if ((r = get_assert(dev, d, o, hash, pin, &a)) == BG_OK &&
	    (r = check_assert(d, a)) == BG_OK &&
	    (r = take_proof(d, a)) == BG_OK)
		r = bg_desc_set_secret(d, fido_assert_hmac_secret_ptr(a, 0), 32);
	fido_assert_free(&a);
	return r;
}

/* getInfo lists hmac-secret (CTAP 2.1 6.4): checked before any touch. */
static int
has_hmac_secret(fido_dev_t *dev, const char *path)
{
	fido_cbor_info_t *ci;
	char **ext;
	size_t i, n;
	int e, found = 0;

	if ((ci = fido_cbor_info_new()) == NULL)
		return BG_ENOMEM;
	if ((e = fido_dev_get_cbor_info(dev, ci)) != FIDO_OK) {
		fido_cbor_info_free(&ci);
		return fido_err(e, "reading the token's getInfo");
	}
	ext = fido_cbor_info_extensions_ptr(ci);
	n = fido_cbor_info_extensions_len(ci);
	for (i = 0; i < n && !found; i++)
		found = strcmp(ext[i], "hmac-secret") == 0;
	fido_cbor_info_free(&ci);
	if (!found) {
		bg_set_why("the key at %s lacks the hmac-secret extension: "
		    "breakglass needs a FIDO2 key with hmac-secret", path);
		return BG_EDEVICE;
	}
	return BG_OK;
}

int
bg_fido2_enroll(const struct bg_token_opts *o, bg_token_desc_t **out)
{
	bg_token_desc_t *d;
	fido_dev_t *dev = NULL;
	char *pin = NULL, path[256];
	int r;

	if ((d = bg_desc_new(BG_TOKEN_FIDO2)) == NULL)
		return BG_ENOMEM;
	if ((r = find_dev(NULL, o, &dev, d->model, sizeof(d->model), path,
	    sizeof(path))) != BG_OK ||
	    (r = has_hmac_secret(dev, path)) != BG_OK ||
	    (r = choose_uv(dev, o->uv, &d->uv)) != BG_OK)
		goto out;
	/* a token with a PIN wants it to create credentials */
	if (fido_dev_has_pin(dev) && (r = bg_pin_read(o, &pin)) != BG_OK)
		goto out;
	if ((r = make_cred(dev, d, o, pin)) != BG_OK ||
	    (r = first_secret(dev, d, o, pin)) != BG_OK) {
		r = removed_or(r, path);
		goto out;
	}
	*out = d;
	d = NULL;
out:
	bg_pin_free(&pin);
	dev_close(&dev);
	bg_token_desc_free(&d);
	return r;
}
