/*
 * tests/virtual/fido2/test_vfido.c: the software CTAP2 authenticator,
 * driven only through the real libfido2 API (fido_dev_set_io_functions or
 * the manifest), the way tokens/fido2 drives hardware. Values are checked,
 * not just codes: hmac-secret outputs are compared with what the device
 * state says they must be, attestations are chained to the test CA.
 */
#define _XOPEN_SOURCE 700	/* nftw() */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fido.h>
/* fido/es256.h names EC_KEY, which OPENSSL_NO_DEPRECATED hides */
typedef struct ec_key_st EC_KEY;
#include <fido/es256.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "vfido.h"

#define RP_ID		"breakglass"
#define PIN		"4711-open"
#define BAD_PIN		"0000-shut"
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

struct fx {
	char	base[64];
};

/* an enrolled credential */
struct cred {
	unsigned char	 id[512];
	size_t		 id_len;
	es256_pk_t	*pk;
};

/* what one assertion gave */
struct got {
	int		r;		/* fido_dev_get_assert() */
	int		verify;		/* fido_assert_verify() */
	unsigned char	secret[32];
	size_t		secret_len;
	uint8_t		flags;
	uint32_t	sigcount;
};

/* ------------------------------------------------------------ helpers */

static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return (remove(path));
}

static int
setup(void **state)
{
	struct fx *fx;

	fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	snprintf(fx->base, sizeof(fx->base), "/tmp/bg-vfido-XXXXXX");
	assert_non_null(mkdtemp(fx->base));
	*state = fx;
	return (0);
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	nftw(fx->base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return (0);
}

static void
create(const struct fx *fx, const char *name, const char *pin)
{
	if (bg_vfido_create(fx->base, name, pin) != 0)
		fail_msg("bg_vfido_create: %s", bg_vfido_error());
}

static void
knob(const struct fx *fx, const char *name, const char *k, int on)
{
	if (bg_vfido_set_knob(fx->base, name, k, on) != 0)
		fail_msg("bg_vfido_set_knob: %s", bg_vfido_error());
}

/* fido_dev_new + fido_dev_set_io_functions + fido_dev_open; r = result */
static fido_dev_t *
try_open(const struct fx *fx, const char *name, int *r)
{
	fido_dev_t	*dev;
	char		 path[256];

	assert_int_equal(bg_vfido_path(fx->base, name, path, sizeof(path)), 0);
	assert_non_null(dev = fido_dev_new());
	assert_int_equal(fido_dev_set_io_functions(dev, bg_vfido_io()),
	    FIDO_OK);
	if ((*r = fido_dev_open(dev, path)) != FIDO_OK)
		fido_dev_free(&dev);
	return (dev);
}

static fido_dev_t *
open_dev(const struct fx *fx, const char *name)
{
	fido_dev_t	*dev;
	int		 r;

	dev = try_open(fx, name, &r);
	assert_int_equal(r, FIDO_OK);
	assert_true(fido_dev_is_fido2(dev));
	return (dev);
}

static void
close_dev(fido_dev_t **dev)
{
	fido_dev_close(*dev);
	fido_dev_free(dev);
}

static void
random_bytes(unsigned char *b, size_t n)
{
	FILE *f = fopen("/dev/urandom", "rb");

	assert_non_null(f);
	assert_int_equal(fread(b, 1, n, f), n);
	fclose(f);
}

static fido_cred_t *
new_cred_req(int ext, int prot)
{
	fido_cred_t	*c;
	unsigned char	 cdh[32], uid[16];

	random_bytes(cdh, sizeof(cdh));
	random_bytes(uid, sizeof(uid));
	assert_non_null(c = fido_cred_new());
	assert_int_equal(fido_cred_set_type(c, COSE_ES256), FIDO_OK);
	assert_int_equal(fido_cred_set_clientdata_hash(c, cdh, sizeof(cdh)),
	    FIDO_OK);
	assert_int_equal(fido_cred_set_rp(c, RP_ID, "breakglass"), FIDO_OK);
	assert_int_equal(fido_cred_set_user(c, uid, sizeof(uid), "alice",
	    "Alice", NULL), FIDO_OK);
	assert_int_equal(fido_cred_set_extensions(c, ext), FIDO_OK);
	if (prot)
		assert_int_equal(fido_cred_set_prot(c, prot), FIDO_OK);
	return (c);
}

/* makeCredential (ES256, hmac-secret) and fido_cred_verify() */
static void
enroll_ex(fido_dev_t *dev, const char *pin, int prot, struct cred *out,
    fido_cred_t **keep)
{
	fido_cred_t *c;
	int ext = FIDO_EXT_HMAC_SECRET | (prot ? FIDO_EXT_CRED_PROTECT : 0);

	c = new_cred_req(ext, prot);
	assert_int_equal(fido_dev_make_cred(dev, c, pin), FIDO_OK);
	assert_int_equal(fido_cred_verify(c), FIDO_OK);
	assert_true(fido_cred_id_len(c) <= sizeof(out->id));
	out->id_len = fido_cred_id_len(c);
	memcpy(out->id, fido_cred_id_ptr(c), out->id_len);
	assert_non_null(out->pk = es256_pk_new());
	assert_int_equal(es256_pk_from_ptr(out->pk, fido_cred_pubkey_ptr(c),
	    fido_cred_pubkey_len(c)), FIDO_OK);
	if (keep != NULL)
		*keep = c;
	else
		fido_cred_free(&c);
}

static void
enroll(fido_dev_t *dev, const char *pin, struct cred *out)
{
	enroll_ex(dev, pin, 0, out, NULL);
}

static void
cred_free(struct cred *c)
{
	es256_pk_free(&c->pk);
}

/* getAssertion with an hmac-secret salt, then fido_assert_verify(). */
static struct got
assert_salt(fido_dev_t *dev, const struct cred *c, const unsigned char *salt,
    const char *pin, fido_opt_t up)
{
	fido_assert_t	*a;
	unsigned char	 cdh[32];
	struct got	 g;

	memset(&g, 0, sizeof(g));
	g.verify = -1;
	random_bytes(cdh, sizeof(cdh));
	assert_non_null(a = fido_assert_new());
	assert_int_equal(fido_assert_set_rp(a, RP_ID), FIDO_OK);
	assert_int_equal(fido_assert_set_clientdata_hash(a, cdh, sizeof(cdh)),
	    FIDO_OK);
	assert_int_equal(fido_assert_allow_cred(a, c->id, c->id_len), FIDO_OK);
	if (salt != NULL) {
		assert_int_equal(fido_assert_set_extensions(a,
		    FIDO_EXT_HMAC_SECRET), FIDO_OK);
		assert_int_equal(fido_assert_set_hmac_salt(a, salt, 32),
		    FIDO_OK);
	}
	assert_int_equal(fido_assert_set_up(a, up), FIDO_OK);
	g.r = fido_dev_get_assert(dev, a, pin);
	if (g.r == FIDO_OK) {
		assert_int_equal(fido_assert_count(a), 1);
		g.verify = fido_assert_verify(a, 0, COSE_ES256, c->pk);
		g.flags = fido_assert_flags(a, 0);
		g.sigcount = fido_assert_sigcount(a, 0);
		g.secret_len = fido_assert_hmac_secret_len(a, 0);
		if (g.secret_len == 32)
			memcpy(g.secret, fido_assert_hmac_secret_ptr(a, 0), 32);
	}
	fido_assert_free(&a);
	return (g);
}

static void
expected(const struct fx *fx, const char *name, const struct cred *c, int uv,
    const unsigned char *salt, unsigned char out[32])
{
	if (bg_vfido_expected_hmac(fx->base, name, c->id, c->id_len, uv, salt,
	    out) != 0)
		fail_msg("bg_vfido_expected_hmac: %s", bg_vfido_error());
}

static unsigned
touches(const struct fx *fx, const char *name)
{
	unsigned n = 0;

	assert_int_equal(bg_vfido_touches(fx->base, name, &n), 0);
	return (n);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* The attestation x5c[0] must chain to BASE/ca.pem. */
static void
check_chain(const struct fx *fx, const fido_cred_t *c)
{
	const unsigned char	*p = fido_cred_x5c_ptr(c);
	X509			*leaf, *ca;
	X509_STORE		*store;
	X509_STORE_CTX		*ctx;
	FILE			*f;
	char			 ca_path[256];

	assert_int_equal(bg_vfido_ca_path(fx->base, ca_path, sizeof(ca_path)),
	    0);
	assert_non_null(f = fopen(ca_path, "r"));
	assert_non_null(ca = PEM_read_X509(f, NULL, NULL, NULL));
	fclose(f);
	assert_non_null(leaf = d2i_X509(NULL, &p,
	    (long)fido_cred_x5c_len(c)));
	assert_non_null(store = X509_STORE_new());
	assert_int_equal(X509_STORE_add_cert(store, ca), 1);
	assert_non_null(ctx = X509_STORE_CTX_new());
	assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, NULL), 1);
	if (X509_verify_cert(ctx) != 1)
		fail_msg("chain: %s", X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(leaf);
	X509_free(ca);
}

/* WebAuthn 8.2.1 packed attestation certificate requirements */
static void
check_att_cert(const struct fx *fx, const char *name, const fido_cred_t *c)
{
	const unsigned char	*p = fido_cred_x5c_ptr(c), *d;
	unsigned char		 aaguid[16];
	X509			*x;
	X509_NAME		*subj;
	BASIC_CONSTRAINTS	*bc;
	ASN1_OBJECT		*oid;
	ASN1_OCTET_STRING	*inner;
	char			 ou[64];
	int			 i;

	assert_non_null(x = d2i_X509(NULL, &p, (long)fido_cred_x5c_len(c)));
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	subj = X509_get_subject_name(x);
	assert_true(X509_NAME_get_text_by_NID(subj, NID_countryName, ou,
	    sizeof(ou)) > 0);
	assert_true(X509_NAME_get_text_by_NID(subj, NID_organizationName, ou,
	    sizeof(ou)) > 0);
	assert_true(X509_NAME_get_text_by_NID(subj, NID_commonName, ou,
	    sizeof(ou)) > 0);
	assert_true(X509_NAME_get_text_by_NID(subj,
	    NID_organizationalUnitName, ou, sizeof(ou)) > 0);
	assert_string_equal(ou, "Authenticator Attestation");
	assert_non_null(bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL,
	    NULL));
	assert_int_equal(bc->ca, 0);
	BASIC_CONSTRAINTS_free(bc);
	assert_non_null(oid = OBJ_txt2obj("1.3.6.1.4.1.45724.1.1.4", 1));
	assert_true((i = X509_get_ext_by_OBJ(x, oid, -1)) >= 0);
	assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(x, i)), 0);
	d = ASN1_STRING_get0_data(X509_EXTENSION_get_data(X509_get_ext(x, i)));
	assert_non_null(inner = d2i_ASN1_OCTET_STRING(NULL, &d,
	    ASN1_STRING_length(X509_EXTENSION_get_data(X509_get_ext(x, i)))));
	assert_int_equal(ASN1_STRING_length(inner), 16);
	assert_int_equal(bg_vfido_aaguid(fx->base, name, aaguid), 0);
	assert_memory_equal(ASN1_STRING_get0_data(inner), aaguid, 16);
	assert_int_equal(fido_cred_aaguid_len(c), 16);
	assert_memory_equal(fido_cred_aaguid_ptr(c), aaguid, 16);
	ASN1_OCTET_STRING_free(inner);
	ASN1_OBJECT_free(oid);
	X509_free(x);
}

/* -------------------------------------------------------------- tests */

static void
test_getinfo(void **state)
{
	struct fx		*fx = *state;
	fido_dev_t		*dev;
	fido_cbor_info_t	*ci;
	unsigned char		 aaguid[16];

	create(fx, "a", NULL);
	dev = open_dev(fx, "a");
	assert_non_null(ci = fido_cbor_info_new());
	assert_int_equal(fido_dev_get_cbor_info(dev, ci), FIDO_OK);
	assert_int_equal(fido_cbor_info_versions_len(ci), 2);
	assert_string_equal(fido_cbor_info_versions_ptr(ci)[1], "FIDO_2_1");
	assert_int_equal(fido_cbor_info_extensions_len(ci), 2);
	assert_string_equal(fido_cbor_info_extensions_ptr(ci)[1],
	    "hmac-secret");
	assert_int_equal(fido_cbor_info_protocols_len(ci), 2);
	assert_int_equal(fido_cbor_info_protocols_ptr(ci)[0], 2);
	assert_int_equal(fido_cbor_info_maxmsgsiz(ci), 1200);
	assert_int_equal(bg_vfido_aaguid(fx->base, "a", aaguid), 0);
	assert_memory_equal(fido_cbor_info_aaguid_ptr(ci), aaguid, 16);
	assert_false(fido_dev_has_pin(dev));
	assert_true(fido_dev_supports_pin(dev));
	assert_false(fido_dev_supports_uv(dev));
	assert_true(fido_dev_supports_cred_prot(dev));
	fido_cbor_info_free(&ci);
	close_dev(&dev);

	knob(fx, "a", BG_VFIDO_KNOB_PIN_PROTO1_ONLY, 1);
	dev = open_dev(fx, "a");
	assert_non_null(ci = fido_cbor_info_new());
	assert_int_equal(fido_dev_get_cbor_info(dev, ci), FIDO_OK);
	assert_int_equal(fido_cbor_info_protocols_len(ci), 1);
	assert_int_equal(fido_cbor_info_protocols_ptr(ci)[0], 1);
	fido_cbor_info_free(&ci);
	close_dev(&dev);

	create(fx, "b", PIN);
	dev = open_dev(fx, "b");
	assert_true(fido_dev_has_pin(dev));
	close_dev(&dev);
}

static void
test_make_credential_packed(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	fido_cred_t	*c;
	struct cred	 cr;

	create(fx, "a", NULL);
	dev = open_dev(fx, "a");
	enroll_ex(dev, NULL, 0, &cr, &c);
	assert_string_equal(fido_cred_fmt(c), "packed");
	assert_int_equal(fido_cred_flags(c) & 0xc5, CTAP_AUTHDATA_USER_PRESENT |
	    CTAP_AUTHDATA_ATT_CRED | CTAP_AUTHDATA_EXT_DATA);
	assert_int_equal(fido_cred_type(c), COSE_ES256);
	check_chain(fx, c);
	check_att_cert(fx, "a", c);
	assert_int_equal(touches(fx, "a"), 1);
	fido_cred_free(&c);
	cred_free(&cr);
	close_dev(&dev);
}

/* a chain check must fail against a CA that is not ours */
static void
test_attestation_other_ca(void **state)
{
	struct fx	*fx = *state;
	char		 other[128];
	fido_dev_t	*dev;
	fido_cred_t	*c;
	struct cred	 cr;
	X509_STORE	*store;
	X509_STORE_CTX	*ctx;
	X509		*leaf, *ca;
	FILE		*f;
	char		 ca_path[256];
	const unsigned char *p;

	create(fx, "a", NULL);
	dev = open_dev(fx, "a");
	enroll_ex(dev, NULL, 0, &cr, &c);
	snprintf(other, sizeof(other), "%s/other", fx->base);
	assert_int_equal(bg_vfido_ca_path(other, ca_path,
	    sizeof(ca_path)), 0);
	assert_non_null(f = fopen(ca_path, "r"));
	assert_non_null(ca = PEM_read_X509(f, NULL, NULL, NULL));
	fclose(f);
	p = fido_cred_x5c_ptr(c);
	assert_non_null(leaf = d2i_X509(NULL, &p, (long)fido_cred_x5c_len(c)));
	assert_non_null(store = X509_STORE_new());
	assert_int_equal(X509_STORE_add_cert(store, ca), 1);
	assert_non_null(ctx = X509_STORE_CTX_new());
	assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, NULL), 1);
	assert_int_not_equal(X509_verify_cert(ctx), 1);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(leaf);
	X509_free(ca);
	fido_cred_free(&c);
	cred_free(&cr);
	close_dev(&dev);
}

static void
test_attest_u2f(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	fido_cred_t	*c;
	struct cred	 cr;

	create(fx, "a", NULL);
	knob(fx, "a", BG_VFIDO_KNOB_ATTEST_U2F, 1);
	dev = open_dev(fx, "a");
	enroll_ex(dev, NULL, 0, &cr, &c);
	assert_string_equal(fido_cred_fmt(c), "fido-u2f");
	check_chain(fx, c);
	fido_cred_free(&c);
	cred_free(&cr);
	close_dev(&dev);
}

/* hmac-secret without UV; the protocol libfido2 picks (2 or 1) */
static void
hmac_no_pin(void **state, int proto1)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	struct cred	 cr;
	struct got	 g1, g2, g3;
	unsigned char	 s1[32], s2[32], want[32];

	create(fx, "a", NULL);
	if (proto1)
		knob(fx, "a", BG_VFIDO_KNOB_PIN_PROTO1_ONLY, 1);
	random_bytes(s1, sizeof(s1));
	random_bytes(s2, sizeof(s2));
	dev = open_dev(fx, "a");
	enroll(dev, NULL, &cr);
	g1 = assert_salt(dev, &cr, s1, NULL, FIDO_OPT_TRUE);
	assert_int_equal(g1.r, FIDO_OK);
	assert_int_equal(g1.verify, FIDO_OK);
	assert_int_equal(g1.secret_len, 32);
	assert_int_equal(g1.flags & (CTAP_AUTHDATA_USER_PRESENT |
	    CTAP_AUTHDATA_USER_VERIFIED), CTAP_AUTHDATA_USER_PRESENT);
	expected(fx, "a", &cr, 0, s1, want);
	assert_memory_equal(g1.secret, want, 32);
	/* same salt, same secret; other salt, other secret */
	g2 = assert_salt(dev, &cr, s1, NULL, FIDO_OPT_TRUE);
	assert_int_equal(g2.r, FIDO_OK);
	assert_memory_equal(g2.secret, g1.secret, 32);
	g3 = assert_salt(dev, &cr, s2, NULL, FIDO_OPT_TRUE);
	assert_int_equal(g3.r, FIDO_OK);
	assert_memory_not_equal(g3.secret, g1.secret, 32);
	expected(fx, "a", &cr, 0, s2, want);
	assert_memory_equal(g3.secret, want, 32);
	/* counter: once per assertion; one touch per approval */
	assert_int_equal(g2.sigcount, g1.sigcount + 1);
	assert_int_equal(g3.sigcount, g1.sigcount + 2);
	assert_int_equal(touches(fx, "a"), 4);
	cred_free(&cr);
	close_dev(&dev);
}

static void
test_hmac_secret_proto2(void **state)
{
	hmac_no_pin(state, 0);
}

static void
test_hmac_secret_proto1(void **state)
{
	hmac_no_pin(state, 1);
}

/* salt1 || salt2: two outputs, each HMAC(credRandom, salt_i) */
static void
test_hmac_secret_two_salts(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	fido_assert_t	*a;
	struct cred	 cr;
	unsigned char	 cdh[32], salts[64], want[32];

	create(fx, "a", NULL);
	random_bytes(salts, sizeof(salts));
	random_bytes(cdh, sizeof(cdh));
	dev = open_dev(fx, "a");
	enroll(dev, NULL, &cr);
	assert_non_null(a = fido_assert_new());
	assert_int_equal(fido_assert_set_rp(a, RP_ID), FIDO_OK);
	assert_int_equal(fido_assert_set_clientdata_hash(a, cdh, 32), FIDO_OK);
	assert_int_equal(fido_assert_allow_cred(a, cr.id, cr.id_len), FIDO_OK);
	assert_int_equal(fido_assert_set_extensions(a, FIDO_EXT_HMAC_SECRET),
	    FIDO_OK);
	assert_int_equal(fido_assert_set_hmac_salt(a, salts, 64), FIDO_OK);
	assert_int_equal(fido_dev_get_assert(dev, a, NULL), FIDO_OK);
	assert_int_equal(fido_assert_verify(a, 0, COSE_ES256, cr.pk), FIDO_OK);
	assert_int_equal(fido_assert_hmac_secret_len(a, 0), 64);
	expected(fx, "a", &cr, 0, salts, want);
	assert_memory_equal(fido_assert_hmac_secret_ptr(a, 0), want, 32);
	expected(fx, "a", &cr, 0, salts + 32, want);
	assert_memory_equal(fido_assert_hmac_secret_ptr(a, 0) + 32, want, 32);
	fido_assert_free(&a);
	cred_free(&cr);
	close_dev(&dev);
}

/* With a PIN (UV) and without: different credRandoms (CTAP 2.1 12.5). */
static void
hmac_uv(void **state, int proto1)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	struct cred	 cr;
	struct got	 gu, gn;
	unsigned char	 salt[32], want_uv[32], want_nouv[32];

	create(fx, "a", PIN);
	if (proto1)
		knob(fx, "a", BG_VFIDO_KNOB_PIN_PROTO1_ONLY, 1);
	random_bytes(salt, sizeof(salt));
	dev = open_dev(fx, "a");
	enroll(dev, PIN, &cr);
	gu = assert_salt(dev, &cr, salt, PIN, FIDO_OPT_TRUE);
	assert_int_equal(gu.r, FIDO_OK);
	assert_int_equal(gu.verify, FIDO_OK);
	assert_true(gu.flags & CTAP_AUTHDATA_USER_VERIFIED);
	gn = assert_salt(dev, &cr, salt, NULL, FIDO_OPT_TRUE);
	assert_int_equal(gn.r, FIDO_OK);
	assert_int_equal(gn.verify, FIDO_OK);
	assert_false(gn.flags & CTAP_AUTHDATA_USER_VERIFIED);
	expected(fx, "a", &cr, 1, salt, want_uv);
	expected(fx, "a", &cr, 0, salt, want_nouv);
	assert_memory_equal(gu.secret, want_uv, 32);
	assert_memory_equal(gn.secret, want_nouv, 32);
	assert_memory_not_equal(gu.secret, gn.secret, 32);
	cred_free(&cr);
	close_dev(&dev);
}

static void
test_hmac_secret_uv_proto2(void **state)
{
	hmac_uv(state, 0);
}

static void
test_hmac_secret_uv_proto1(void **state)
{
	hmac_uv(state, 1);
}

/* Through the manifest, as a program enumerating tokens would. */
static void
test_manifest_two_devices(void **state)
{
	struct fx	*fx = *state;
	fido_dev_info_t	*list;
	fido_dev_t	*dev[2];
	struct cred	 cr[2];
	struct got	 g;
	unsigned char	 salt[32], want[32];
	const char	*names[2] = { "alpha", "beta" };
	size_t		 n = 0;

	create(fx, "beta", NULL);
	create(fx, "alpha", NULL);
	random_bytes(salt, sizeof(salt));
	assert_non_null(list = fido_dev_info_new(8));
	assert_int_equal(bg_vfido_manifest(fx->base, list, 8, &n), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < 2; i++) {
		const fido_dev_info_t *di = fido_dev_info_ptr(list, i);

		assert_string_equal(fido_dev_info_manufacturer_string(di),
		    BG_VFIDO_MANUFACTURER);
		assert_string_equal(fido_dev_info_product_string(di),
		    BG_VFIDO_PRODUCT);
		assert_non_null(strstr(fido_dev_info_path(di), names[i]));
		assert_non_null(dev[i] = fido_dev_new_with_info(di));
		/* libfido2 1.12: io_own is false after new_with_info */
		assert_int_equal(fido_dev_set_io_functions(dev[i],
		    bg_vfido_io()), FIDO_OK);
		assert_int_equal(fido_dev_open_with_info(dev[i]), FIDO_OK);
	}
	/* both open at once */
	for (size_t i = 0; i < 2; i++)
		enroll(dev[i], NULL, &cr[i]);
	for (size_t i = 0; i < 2; i++) {
		g = assert_salt(dev[i], &cr[i], salt, NULL, FIDO_OPT_TRUE);
		assert_int_equal(g.r, FIDO_OK);
		assert_int_equal(g.verify, FIDO_OK);
		expected(fx, names[i], &cr[i], 0, salt, want);
		assert_memory_equal(g.secret, want, 32);
		/* the other device does not know this credential */
		g = assert_salt(dev[1 - i], &cr[i], salt, NULL, FIDO_OPT_TRUE);
		assert_int_equal(g.r, FIDO_ERR_NO_CREDENTIALS);
	}
	for (size_t i = 0; i < 2; i++) {
		cred_free(&cr[i]);
		close_dev(&dev[i]);
	}
	fido_dev_info_free(&list, 8);
}

static int
write_all(int fd, const void *buf, size_t len)
{
	return (write(fd, buf, len) == (ssize_t)len ? 0 : -1);
}

/* child: create the device, enroll, assert once, hand over the id */
static int
child_enroll(const struct fx *fx, int fd)
{
	fido_dev_t	*dev;
	fido_cred_t	*c;
	fido_assert_t	*a;
	unsigned char	 cdh[32] = { 1 };
	char		 path[256];
	size_t		 len;
	int		 r = 1;

	if (bg_vfido_create(fx->base, "shared", NULL) != 0 ||
	    bg_vfido_path(fx->base, "shared", path, sizeof(path)) != 0 ||
	    (dev = fido_dev_new()) == NULL ||
	    fido_dev_set_io_functions(dev, bg_vfido_io()) != FIDO_OK ||
	    fido_dev_open(dev, path) != FIDO_OK)
		return (1);
	c = fido_cred_new();
	a = fido_assert_new();
	if (fido_cred_set_type(c, COSE_ES256) == FIDO_OK &&
	    fido_cred_set_clientdata_hash(c, cdh, 32) == FIDO_OK &&
	    fido_cred_set_rp(c, RP_ID, NULL) == FIDO_OK &&
	    fido_cred_set_user(c, cdh, 8, "u", NULL, NULL) == FIDO_OK &&
	    fido_cred_set_extensions(c, FIDO_EXT_HMAC_SECRET) == FIDO_OK &&
	    fido_dev_make_cred(dev, c, NULL) == FIDO_OK &&
	    fido_assert_set_rp(a, RP_ID) == FIDO_OK &&
	    fido_assert_set_clientdata_hash(a, cdh, 32) == FIDO_OK &&
	    fido_assert_allow_cred(a, fido_cred_id_ptr(c),
	    fido_cred_id_len(c)) == FIDO_OK &&
	    fido_dev_get_assert(dev, a, NULL) == FIDO_OK &&
	    fido_assert_sigcount(a, 0) == 1) {
		len = fido_cred_id_len(c);
		if (write_all(fd, &len, sizeof(len)) == 0 &&
		    write_all(fd, fido_cred_id_ptr(c), len) == 0 &&
		    write_all(fd, fido_cred_pubkey_ptr(c), 64) == 0)
			r = 0;
	}
	fido_assert_free(&a);
	fido_cred_free(&c);
	fido_dev_close(dev);
	fido_dev_free(&dev);
	return (r);
}

static void
test_separate_processes(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	struct cred	 cr;
	struct got	 g;
	unsigned char	 pk[64], salt[32], want[32];
	uint32_t	 counter = 0;
	pid_t		 pid;
	int		 p[2], status = 0;

	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		_exit(child_enroll(fx, p[1]));
	}
	assert_true(pid > 0);
	close(p[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(read(p[0], &cr.id_len, sizeof(cr.id_len)),
	    sizeof(cr.id_len));
	assert_true(cr.id_len <= sizeof(cr.id));
	assert_int_equal(read(p[0], cr.id, cr.id_len), (ssize_t)cr.id_len);
	assert_int_equal(read(p[0], pk, sizeof(pk)), (ssize_t)sizeof(pk));
	close(p[0]);
	assert_non_null(cr.pk = es256_pk_new());
	assert_int_equal(es256_pk_from_ptr(cr.pk, pk, sizeof(pk)), FIDO_OK);

	random_bytes(salt, sizeof(salt));
	dev = open_dev(fx, "shared");
	g = assert_salt(dev, &cr, salt, NULL, FIDO_OPT_TRUE);
	assert_int_equal(g.r, FIDO_OK);
	assert_int_equal(g.verify, FIDO_OK);
	assert_int_equal(g.sigcount, 2);	/* the child's persisted */
	expected(fx, "shared", &cr, 0, salt, want);
	assert_memory_equal(g.secret, want, 32);
	assert_int_equal(bg_vfido_counter(fx->base, "shared", &counter), 0);
	assert_int_equal(counter, 2);
	assert_int_equal(touches(fx, "shared"), 3);
	cred_free(&cr);
	close_dev(&dev);
}

/* child: n assertions with plain libfido2 calls (no cmocka asserts) */
static int
child_assert(const struct fx *fx, const struct cred *c, int n)
{
	fido_dev_t	*dev;
	fido_assert_t	*a;
	unsigned char	 cdh[32] = { 7 }, salt[32] = { 9 };
	char		 path[256];
	int		 bad = 0;

	if (bg_vfido_path(fx->base, "a", path, sizeof(path)) != 0 ||
	    (dev = fido_dev_new()) == NULL ||
	    fido_dev_set_io_functions(dev, bg_vfido_io()) != FIDO_OK ||
	    fido_dev_open(dev, path) != FIDO_OK)
		return (1);
	for (int k = 0; k < n; k++) {
		if ((a = fido_assert_new()) == NULL ||
		    fido_assert_set_rp(a, RP_ID) != FIDO_OK ||
		    fido_assert_set_clientdata_hash(a, cdh, 32) != FIDO_OK ||
		    fido_assert_allow_cred(a, c->id, c->id_len) != FIDO_OK ||
		    fido_assert_set_extensions(a, FIDO_EXT_HMAC_SECRET) !=
		    FIDO_OK || fido_assert_set_hmac_salt(a, salt, 32) !=
		    FIDO_OK || fido_dev_get_assert(dev, a, NULL) != FIDO_OK ||
		    fido_assert_verify(a, 0, COSE_ES256, c->pk) != FIDO_OK)
			bad = 1;
		fido_assert_free(&a);
	}
	fido_dev_close(dev);
	fido_dev_free(&dev);
	return (bad);
}

/* two processes asserting at once: the flock keeps the counter exact */
static void
test_concurrent_processes(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	struct cred	 cr;
	uint32_t	 counter = 0;
	pid_t		 pid[2];
	int		 status;

	create(fx, "a", NULL);
	dev = open_dev(fx, "a");
	enroll(dev, NULL, &cr);
	close_dev(&dev);
	for (size_t i = 0; i < NELEM(pid); i++) {
		if ((pid[i] = fork()) == 0)
			_exit(child_assert(fx, &cr, 5));
		assert_true(pid[i] > 0);
	}
	for (size_t i = 0; i < NELEM(pid); i++) {
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(bg_vfido_counter(fx->base, "a", &counter), 0);
	assert_int_equal(counter, 10);
	assert_int_equal(touches(fx, "a"), 11);
	cred_free(&cr);
}

static void
test_wrong_pin(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	struct cred	 cr;
	struct got	 g;
	unsigned char	 salt[32];
	int		 retries = -1;

	create(fx, "a", PIN);
	random_bytes(salt, sizeof(salt));
	dev = open_dev(fx, "a");
	enroll(dev, PIN, &cr);
	assert_int_equal(fido_dev_get_retry_count(dev, &retries), FIDO_OK);
	assert_int_equal(retries, 8);
	g = assert_salt(dev, &cr, salt, BAD_PIN, FIDO_OPT_TRUE);
	assert_int_equal(g.r, FIDO_ERR_PIN_INVALID);
	assert_int_equal(fido_dev_get_retry_count(dev, &retries), FIDO_OK);
	assert_int_equal(retries, 7);
	/* the right PIN works and restores the retries */
	g = assert_salt(dev, &cr, salt, PIN, FIDO_OPT_TRUE);
	assert_int_equal(g.r, FIDO_OK);
	assert_int_equal(fido_dev_get_retry_count(dev, &retries), FIDO_OK);
	assert_int_equal(retries, 8);
	/* makeCredential on a PIN-protected token needs the PIN */
	{
		fido_cred_t *c = new_cred_req(FIDO_EXT_HMAC_SECRET, 0);

		assert_int_equal(fido_dev_make_cred(dev, c, NULL),
		    FIDO_ERR_PIN_REQUIRED);
		fido_cred_free(&c);
	}
	cred_free(&cr);
	close_dev(&dev);
}

/* 3 consecutive mismatches: blocked until power-up (the next open). */
static void
test_pin_auth_blocked(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	struct cred	 cr;
	unsigned char	 salt[32];
	int		 retries = -1;

	create(fx, "a", PIN);
	random_bytes(salt, sizeof(salt));
	dev = open_dev(fx, "a");
	enroll(dev, PIN, &cr);
	assert_int_equal(assert_salt(dev, &cr, salt, BAD_PIN,
	    FIDO_OPT_TRUE).r, FIDO_ERR_PIN_INVALID);
	assert_int_equal(assert_salt(dev, &cr, salt, BAD_PIN,
	    FIDO_OPT_TRUE).r, FIDO_ERR_PIN_INVALID);
	assert_int_equal(assert_salt(dev, &cr, salt, BAD_PIN,
	    FIDO_OPT_TRUE).r, FIDO_ERR_PIN_AUTH_BLOCKED);
	assert_int_equal(assert_salt(dev, &cr, salt, PIN,
	    FIDO_OPT_TRUE).r, FIDO_ERR_PIN_AUTH_BLOCKED);
	close_dev(&dev);
	dev = open_dev(fx, "a");
	assert_int_equal(fido_dev_get_retry_count(dev, &retries), FIDO_OK);
	assert_int_equal(retries, 5);
	assert_int_equal(assert_salt(dev, &cr, salt, PIN, FIDO_OPT_TRUE).r,
	    FIDO_OK);
	cred_free(&cr);
	close_dev(&dev);
}

static void
test_pin_blocked(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	struct cred	 cr;
	unsigned char	 salt[32];
	int		 retries = -1, r;

	create(fx, "a", PIN);
	random_bytes(salt, sizeof(salt));
	dev = open_dev(fx, "a");
	enroll(dev, PIN, &cr);
	close_dev(&dev);
	for (int i = 1; i <= 8; i++) {
		dev = open_dev(fx, "a");	/* power cycle each time */
		r = assert_salt(dev, &cr, salt, BAD_PIN, FIDO_OPT_TRUE).r;
		assert_int_equal(r, i < 8 ? FIDO_ERR_PIN_INVALID :
		    FIDO_ERR_PIN_BLOCKED);
		assert_int_equal(fido_dev_get_retry_count(dev, &retries),
		    FIDO_OK);
		assert_int_equal(retries, 8 - i);
		close_dev(&dev);
	}
	dev = open_dev(fx, "a");
	assert_int_equal(assert_salt(dev, &cr, salt, PIN, FIDO_OPT_TRUE).r,
	    FIDO_ERR_PIN_BLOCKED);
	/* without the PIN, user presence alone still works */
	assert_int_equal(assert_salt(dev, &cr, salt, NULL, FIDO_OPT_TRUE).r,
	    FIDO_OK);
	assert_int_equal(bg_vfido_pin_retries(fx->base, "a", &retries), 0);
	assert_int_equal(retries, 0);
	cred_free(&cr);
	close_dev(&dev);
}

static void
test_set_and_change_pin(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	struct cred	 cr;

	create(fx, "a", NULL);
	dev = open_dev(fx, "a");
	assert_int_equal(fido_dev_set_pin(dev, "123", NULL),
	    FIDO_ERR_PIN_POLICY_VIOLATION);	/* libfido2's own check */
	assert_int_equal(fido_dev_set_pin(dev, PIN, NULL), FIDO_OK);
	assert_int_equal(fido_dev_set_pin(dev, PIN, NULL),
	    FIDO_ERR_NOT_ALLOWED);
	close_dev(&dev);
	dev = open_dev(fx, "a");
	assert_true(fido_dev_has_pin(dev));
	assert_int_equal(fido_dev_set_pin(dev, "new-pin-1", BAD_PIN),
	    FIDO_ERR_PIN_INVALID);
	assert_int_equal(fido_dev_set_pin(dev, "new-pin-1", PIN), FIDO_OK);
	enroll(dev, "new-pin-1", &cr);
	cred_free(&cr);
	close_dev(&dev);
}

/* No touch: the error libfido2 reports, and how fast. */
static void
test_no_touch(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	fido_cred_t	*c;
	struct cred	 cr;
	unsigned char	 salt[32];
	double		 t0, dt;
	unsigned	 n;

	create(fx, "a", NULL);
	random_bytes(salt, sizeof(salt));
	dev = open_dev(fx, "a");
	enroll(dev, NULL, &cr);
	knob(fx, "a", BG_VFIDO_KNOB_NO_TOUCH, 1);
	n = touches(fx, "a");
	t0 = now();
	assert_int_equal(assert_salt(dev, &cr, salt, NULL, FIDO_OPT_TRUE).r,
	    FIDO_ERR_USER_ACTION_TIMEOUT);
	dt = now() - t0;
	assert_true(dt >= 0.15 && dt < 2.0);
	c = new_cred_req(FIDO_EXT_HMAC_SECRET, 0);
	assert_int_equal(fido_dev_make_cred(dev, c, NULL),
	    FIDO_ERR_USER_ACTION_TIMEOUT);
	fido_cred_free(&c);
	assert_int_equal(touches(fx, "a"), n);
	/* the device is still usable once the user touches again */
	knob(fx, "a", BG_VFIDO_KNOB_NO_TOUCH, 0);
	assert_int_equal(assert_salt(dev, &cr, salt, NULL, FIDO_OPT_TRUE).r,
	    FIDO_OK);
	cred_free(&cr);
	close_dev(&dev);
}

static void
test_removed(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	fido_dev_info_t	*list;
	struct cred	 cr;
	unsigned char	 salt[32];
	size_t		 n = 0;
	int		 r;

	create(fx, "a", NULL);
	create(fx, "b", NULL);
	random_bytes(salt, sizeof(salt));
	dev = open_dev(fx, "a");
	enroll(dev, NULL, &cr);
	/* pulled while open: the next request fails */
	knob(fx, "a", BG_VFIDO_KNOB_REMOVED, 1);
	r = assert_salt(dev, &cr, salt, NULL, FIDO_OPT_TRUE).r;
	assert_int_not_equal(r, FIDO_OK);
	close_dev(&dev);
	/* and it cannot be opened */
	assert_null(try_open(fx, "a", &r));
	assert_int_equal(r, FIDO_ERR_INTERNAL);
	assert_non_null(list = fido_dev_info_new(4));
	assert_int_equal(bg_vfido_manifest_ex(fx->base, list, 4, &n, 1), 0);
	assert_int_equal(n, 1);
	assert_non_null(strstr(fido_dev_info_path(fido_dev_info_ptr(list, 0)),
	    "/b"));
	fido_dev_info_free(&list, 4);
	/* plugged back in */
	knob(fx, "a", BG_VFIDO_KNOB_REMOVED, 0);
	dev = open_dev(fx, "a");
	assert_int_equal(assert_salt(dev, &cr, salt, NULL, FIDO_OPT_TRUE).r,
	    FIDO_OK);
	cred_free(&cr);
	close_dev(&dev);
}

static void
test_remove_during_op(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	struct cred	 cr;
	unsigned char	 salt[32];
	int		 on = 0, r;

	create(fx, "a", NULL);
	random_bytes(salt, sizeof(salt));
	dev = open_dev(fx, "a");
	enroll(dev, NULL, &cr);
	knob(fx, "a", BG_VFIDO_KNOB_REMOVE_DURING_OP, 1);
	r = assert_salt(dev, &cr, salt, NULL, FIDO_OPT_TRUE).r;
	assert_int_equal(r, FIDO_ERR_RX);
	assert_int_equal(bg_vfido_get_knob(fx->base, "a",
	    BG_VFIDO_KNOB_REMOVED, &on), 0);
	assert_int_equal(on, 1);
	assert_int_equal(bg_vfido_get_knob(fx->base, "a",
	    BG_VFIDO_KNOB_REMOVE_DURING_OP, &on), 0);
	assert_int_equal(on, 0);
	close_dev(&dev);
	assert_null(try_open(fx, "a", &r));
	cred_free(&cr);
}

/* u2f-only: INIT offers no CBOR; libfido2 opens a U2F device */
static void
test_u2f_only(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	int		 r;

	create(fx, "a", NULL);
	knob(fx, "a", BG_VFIDO_KNOB_U2F_ONLY, 1);
	assert_non_null(dev = try_open(fx, "a", &r));
	assert_int_equal(r, FIDO_OK);
	assert_false(fido_dev_is_fido2(dev));
	assert_int_equal(fido_dev_flags(dev) & FIDO_CAP_CBOR, 0);
	close_dev(&dev);
	knob(fx, "a", BG_VFIDO_KNOB_U2F_ONLY, 0);
	dev = open_dev(fx, "a");
	close_dev(&dev);
}

/* getinfo-error: with U2F fallback off the open fails with its status */
static void
test_getinfo_error(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	int		 r;

	create(fx, "a", NULL);
	knob(fx, "a", BG_VFIDO_KNOB_GETINFO_ERROR, 1);
	assert_null(try_open(fx, "a", &r));
	assert_int_equal(r, FIDO_ERR_ERR_OTHER);
	knob(fx, "a", BG_VFIDO_KNOB_GETINFO_ERROR, 0);
	dev = open_dev(fx, "a");
	close_dev(&dev);
}

static int
info_has_hmac_secret(fido_dev_t *dev)
{
	fido_cbor_info_t	*ci;
	char			**ext;
	int			 found = 0;

	assert_non_null(ci = fido_cbor_info_new());
	assert_int_equal(fido_dev_get_cbor_info(dev, ci), FIDO_OK);
	ext = fido_cbor_info_extensions_ptr(ci);
	for (size_t i = 0; i < fido_cbor_info_extensions_len(ci); i++)
		found |= strcmp(ext[i], "hmac-secret") == 0;
	fido_cbor_info_free(&ci);
	return (found);
}

/*
 * no-hmac-secret / ignore-hmac-secret: the extension is ignored, so the
 * authenticator data has no extension output (ED clear) and libfido2's
 * fido_cred_verify() refuses it; getInfo lists it only for the latter.
 */
static void
no_hmac_secret(void **state, const char *k, int listed)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	fido_cred_t	*c;

	create(fx, "a", NULL);
	knob(fx, "a", k, 1);
	dev = open_dev(fx, "a");
	assert_int_equal(info_has_hmac_secret(dev), listed);
	c = new_cred_req(FIDO_EXT_HMAC_SECRET, 0);
	assert_int_equal(fido_dev_make_cred(dev, c, NULL), FIDO_OK);
	assert_int_equal(fido_cred_flags(c) & 0x80, 0);
	assert_int_not_equal(fido_cred_flags(c) & 0x01, 0);
	assert_int_not_equal(fido_cred_verify(c), FIDO_OK);
	fido_cred_free(&c);
	/* without the knob: listed, and the output comes back */
	knob(fx, "a", k, 0);
	assert_int_equal(info_has_hmac_secret(dev), 1);
	c = new_cred_req(FIDO_EXT_HMAC_SECRET, 0);
	assert_int_equal(fido_dev_make_cred(dev, c, NULL), FIDO_OK);
	assert_int_not_equal(fido_cred_flags(c) & 0x80, 0);
	assert_int_equal(fido_cred_verify(c), FIDO_OK);
	fido_cred_free(&c);
	close_dev(&dev);
}

static void
test_no_hmac_secret(void **state)
{
	no_hmac_secret(state, BG_VFIDO_KNOB_NO_HMAC_SECRET, 0);
}

static void
test_ignore_hmac_secret(void **state)
{
	no_hmac_secret(state, BG_VFIDO_KNOB_IGNORE_HMAC_SECRET, 1);
}

/* no-up-at-makecred: no touch, UP clear, fido_cred_verify() refuses */
static void
test_no_up_at_makecred(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	fido_cred_t	*c;

	create(fx, "a", NULL);
	knob(fx, "a", BG_VFIDO_KNOB_MAKECRED_NO_UP, 1);
	dev = open_dev(fx, "a");
	c = new_cred_req(FIDO_EXT_HMAC_SECRET, 0);
	assert_int_equal(fido_dev_make_cred(dev, c, NULL), FIDO_OK);
	assert_int_equal(fido_cred_flags(c) & 0x01, 0);
	assert_int_not_equal(fido_cred_flags(c) & 0x80, 0);
	assert_int_not_equal(fido_cred_verify(c), FIDO_OK);
	assert_int_equal(touches(fx, "a"), 0);
	fido_cred_free(&c);
	close_dev(&dev);
}

static void
test_bad_signature(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	fido_cred_t	*c;
	struct cred	 cr;
	struct got	 g;
	unsigned char	 salt[32], want[32];

	create(fx, "a", NULL);
	random_bytes(salt, sizeof(salt));
	dev = open_dev(fx, "a");
	enroll(dev, NULL, &cr);
	knob(fx, "a", BG_VFIDO_KNOB_BAD_SIGNATURE, 1);
	g = assert_salt(dev, &cr, salt, NULL, FIDO_OPT_TRUE);
	assert_int_equal(g.r, FIDO_OK);
	assert_int_equal(g.verify, FIDO_ERR_INVALID_SIG);
	expected(fx, "a", &cr, 0, salt, want);
	assert_memory_equal(g.secret, want, 32);
	c = new_cred_req(FIDO_EXT_HMAC_SECRET, 0);
	assert_int_equal(fido_dev_make_cred(dev, c, NULL), FIDO_OK);
	assert_int_equal(fido_cred_verify(c), FIDO_ERR_INVALID_SIG);
	fido_cred_free(&c);
	cred_free(&cr);
	close_dev(&dev);
}

/* libfido2 cannot tell a wrong hmac-secret: FIDO_OK, other bytes. */
static void
test_wrong_secret(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	struct cred	 cr;
	struct got	 g;
	unsigned char	 salt[32], want_nouv[32], want_uv[32];

	create(fx, "a", NULL);
	random_bytes(salt, sizeof(salt));
	dev = open_dev(fx, "a");
	enroll(dev, NULL, &cr);
	knob(fx, "a", BG_VFIDO_KNOB_WRONG_SECRET, 1);
	g = assert_salt(dev, &cr, salt, NULL, FIDO_OPT_TRUE);
	assert_int_equal(g.r, FIDO_OK);
	assert_int_equal(g.verify, FIDO_OK);
	assert_int_equal(g.secret_len, 32);
	expected(fx, "a", &cr, 0, salt, want_nouv);
	expected(fx, "a", &cr, 1, salt, want_uv);
	assert_memory_not_equal(g.secret, want_nouv, 32);
	assert_memory_not_equal(g.secret, want_uv, 32);
	cred_free(&cr);
	close_dev(&dev);
}

static void
test_modified_cred_id(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	struct cred	 cr;
	unsigned char	 salt[32], out[32];
	fido_assert_t	*a;
	unsigned char	 cdh[32] = { 0 };

	create(fx, "a", NULL);
	random_bytes(salt, sizeof(salt));
	dev = open_dev(fx, "a");
	enroll(dev, NULL, &cr);
	for (size_t i = 0; i < cr.id_len; i += 37) {
		cr.id[i] ^= 0x40;
		assert_int_equal(assert_salt(dev, &cr, salt, NULL,
		    FIDO_OPT_TRUE).r, FIDO_ERR_NO_CREDENTIALS);
		assert_int_not_equal(bg_vfido_expected_hmac(fx->base, "a",
		    cr.id, cr.id_len, 0, salt, out), 0);
		cr.id[i] ^= 0x40;
	}
	/* a truncated id */
	cr.id_len--;
	assert_int_equal(assert_salt(dev, &cr, salt, NULL, FIDO_OPT_TRUE).r,
	    FIDO_ERR_NO_CREDENTIALS);
	cr.id_len++;
	/* the right id for another rp */
	assert_non_null(a = fido_assert_new());
	assert_int_equal(fido_assert_set_rp(a, "not-breakglass"), FIDO_OK);
	assert_int_equal(fido_assert_set_clientdata_hash(a, cdh, 32), FIDO_OK);
	assert_int_equal(fido_assert_allow_cred(a, cr.id, cr.id_len), FIDO_OK);
	assert_int_equal(fido_dev_get_assert(dev, a, NULL),
	    FIDO_ERR_NO_CREDENTIALS);
	fido_assert_free(&a);
	/* untouched, it still works */
	assert_int_equal(assert_salt(dev, &cr, salt, NULL, FIDO_OPT_TRUE).r,
	    FIDO_OK);
	cred_free(&cr);
	close_dev(&dev);
}

/* up=false: silent probing, no touch needed, UP flag clear. */
static void
test_up_false(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	struct cred	 cr, other;
	struct got	 g;
	unsigned char	 salt[32], want[32];
	unsigned	 n;

	create(fx, "a", NULL);
	create(fx, "b", NULL);
	random_bytes(salt, sizeof(salt));
	dev = open_dev(fx, "b");
	enroll(dev, NULL, &other);
	close_dev(&dev);
	dev = open_dev(fx, "a");
	enroll(dev, NULL, &cr);
	knob(fx, "a", BG_VFIDO_KNOB_NO_TOUCH, 1);
	n = touches(fx, "a");
	g = assert_salt(dev, &cr, NULL, NULL, FIDO_OPT_FALSE);
	assert_int_equal(g.r, FIDO_OK);
	assert_int_equal(g.verify, FIDO_OK);
	assert_int_equal(g.flags & CTAP_AUTHDATA_USER_PRESENT, 0);
	/* with hmac-secret too */
	g = assert_salt(dev, &cr, salt, NULL, FIDO_OPT_FALSE);
	assert_int_equal(g.r, FIDO_OK);
	assert_int_equal(g.flags & CTAP_AUTHDATA_USER_PRESENT, 0);
	expected(fx, "a", &cr, 0, salt, want);
	assert_memory_equal(g.secret, want, 32);
	/* probing a credential of another token */
	assert_int_equal(assert_salt(dev, &other, NULL, NULL,
	    FIDO_OPT_FALSE).r, FIDO_ERR_NO_CREDENTIALS);
	assert_int_equal(touches(fx, "a"), n);
	cred_free(&cr);
	cred_free(&other);
	close_dev(&dev);
}

static void
test_cred_protect(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	fido_cred_t	*c;
	struct cred	 cr;
	unsigned char	 salt[32];

	create(fx, "a", PIN);
	random_bytes(salt, sizeof(salt));
	dev = open_dev(fx, "a");
	enroll_ex(dev, PIN, FIDO_CRED_PROT_UV_REQUIRED, &cr, &c);
	assert_int_equal(fido_cred_prot(c), FIDO_CRED_PROT_UV_REQUIRED);
	fido_cred_free(&c);
	assert_int_equal(assert_salt(dev, &cr, salt, NULL, FIDO_OPT_TRUE).r,
	    FIDO_ERR_NO_CREDENTIALS);
	assert_int_equal(assert_salt(dev, &cr, salt, PIN, FIDO_OPT_TRUE).r,
	    FIDO_OK);
	cred_free(&cr);
	close_dev(&dev);
}

static void
test_touch_begin_status(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	int		 touched = 0;

	create(fx, "a", PIN);
	dev = open_dev(fx, "a");
	assert_int_equal(fido_dev_get_touch_begin(dev), FIDO_OK);
	assert_int_equal(fido_dev_get_touch_status(dev, &touched, 50),
	    FIDO_OK);
	assert_int_equal(touched, 1);
	assert_int_equal(touches(fx, "a"), 1);
	close_dev(&dev);
}

/* CTAPHID_CANCEL while the token waits for a touch that never comes */
static void
test_cancel(void **state)
{
	struct fx	*fx = *state;
	fido_dev_t	*dev;
	int		 touched = 1;

	create(fx, "a", NULL);
	knob(fx, "a", BG_VFIDO_KNOB_NO_TOUCH, 1);
	dev = open_dev(fx, "a");
	assert_int_equal(fido_dev_get_touch_begin(dev), FIDO_OK);
	/* polled before the first keepalive: nothing yet */
	assert_int_equal(fido_dev_get_touch_status(dev, &touched, 10),
	    FIDO_OK);
	assert_int_equal(touched, 0);
	assert_int_equal(fido_dev_cancel(dev), FIDO_OK);
	assert_int_equal(fido_dev_get_touch_status(dev, &touched, 100),
	    FIDO_ERR_KEEPALIVE_CANCEL);
	assert_int_equal(touched, 0);
	assert_int_equal(touches(fx, "a"), 0);
	close_dev(&dev);
}

/* ------------------------------------------------ raw CTAPHID framing */

struct raw {
	const fido_dev_io_t	*io;
	void			*h;
};

static void
raw_send(struct raw *r, const unsigned char pkt[64])
{
	unsigned char buf[65];

	buf[0] = 0;
	memcpy(buf + 1, pkt, 64);
	assert_int_equal(r->io->write(r->h, buf, sizeof(buf)), 65);
}

static void
raw_recv(struct raw *r, unsigned char pkt[64])
{
	assert_int_equal(r->io->read(r->h, pkt, 64, 100), 64);
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
raw_init(struct raw *r)
{
	unsigned char	pkt[64];
	uint32_t	cid;

	memset(pkt, 0, sizeof(pkt));
	put32(pkt, 0xffffffffu);
	pkt[4] = 0x86;
	pkt[6] = 8;
	memcpy(pkt + 7, "nonce123", 8);
	raw_send(r, pkt);
	raw_recv(r, pkt);
	assert_int_equal(pkt[4], 0x86);
	assert_int_equal(pkt[6], 17);
	assert_memory_equal(pkt + 7, "nonce123", 8);
	assert_int_equal(pkt[7 + 16], 0x0c);	/* CBOR | NMSG */
	cid = (uint32_t)pkt[15] << 24 | (uint32_t)pkt[16] << 16 |
	    (uint32_t)pkt[17] << 8 | pkt[18];
	return (cid);
}

static void
expect_error(struct raw *r, uint32_t cid, uint8_t code)
{
	unsigned char pkt[64], want[4];

	put32(want, cid);
	raw_recv(r, pkt);
	assert_memory_equal(pkt, want, 4);
	assert_int_equal(pkt[4], 0xbf);
	assert_int_equal(pkt[6], 1);
	assert_int_equal(pkt[7], code);
}

static void
test_ctaphid_framing(void **state)
{
	struct fx	*fx = *state;
	struct raw	 r;
	unsigned char	 pkt[64], msg[200], echo[200];
	char		 path[256];
	uint32_t	 cid;
	size_t		 got;

	create(fx, "a", NULL);
	assert_int_equal(bg_vfido_path(fx->base, "a", path, sizeof(path)), 0);
	r.io = bg_vfido_io();
	assert_null(r.io->open("/dev/hidraw0"));
	assert_non_null(r.h = r.io->open(path));
	cid = raw_init(&r);
	/* unknown channel */
	memset(pkt, 0, sizeof(pkt));
	put32(pkt, cid + 1000);
	pkt[4] = 0x90;
	pkt[6] = 1;
	pkt[7] = 0x04;
	raw_send(&r, pkt);
	expect_error(&r, cid + 1000, 0x0b);
	/* U2F MSG on an NMSG device */
	put32(pkt, cid);
	pkt[4] = 0x83;
	raw_send(&r, pkt);
	expect_error(&r, cid, 0x01);
	/* a 200-byte PING, fragmented both ways */
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)i;
	memset(pkt, 0, sizeof(pkt));
	put32(pkt, cid);
	pkt[4] = 0x81;
	pkt[6] = sizeof(msg);
	memcpy(pkt + 7, msg, 57);
	raw_send(&r, pkt);
	for (size_t off = 57, seq = 0; off < sizeof(msg); off += 59, seq++) {
		memset(pkt + 4, 0, 60);
		pkt[4] = (unsigned char)seq;
		memcpy(pkt + 5, msg + off, sizeof(msg) - off < 59 ?
		    sizeof(msg) - off : 59);
		raw_send(&r, pkt);
	}
	raw_recv(&r, pkt);
	assert_int_equal(pkt[4], 0x81);
	assert_int_equal(pkt[5] << 8 | pkt[6], sizeof(msg));
	memcpy(echo, pkt + 7, 57);
	for (got = 57; got < sizeof(msg); got += 59) {
		raw_recv(&r, pkt);
		assert_int_equal(pkt[4], (got - 57) / 59);
		memcpy(echo + got, pkt + 5, sizeof(msg) - got < 59 ?
		    sizeof(msg) - got : 59);
	}
	assert_memory_equal(echo, msg, sizeof(msg));
	/* a continuation out of sequence */
	memset(pkt, 0, sizeof(pkt));
	put32(pkt, cid);
	pkt[4] = 0x81;
	pkt[6] = 100;
	raw_send(&r, pkt);
	pkt[4] = 1;
	raw_send(&r, pkt);
	expect_error(&r, cid, 0x04);
	/* nothing more to read */
	assert_int_equal(r.io->read(r.h, pkt, 64, 0), -1);
	r.io->close(r.h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_getinfo),
		T(test_make_credential_packed),
		T(test_attestation_other_ca),
		T(test_attest_u2f),
		T(test_hmac_secret_proto2),
		T(test_hmac_secret_proto1),
		T(test_hmac_secret_two_salts),
		T(test_hmac_secret_uv_proto2),
		T(test_hmac_secret_uv_proto1),
		T(test_manifest_two_devices),
		T(test_separate_processes),
		T(test_concurrent_processes),
		T(test_wrong_pin),
		T(test_pin_auth_blocked),
		T(test_pin_blocked),
		T(test_set_and_change_pin),
		T(test_no_touch),
		T(test_removed),
		T(test_remove_during_op),
		T(test_u2f_only),
		T(test_getinfo_error),
		T(test_no_hmac_secret),
		T(test_ignore_hmac_secret),
		T(test_no_up_at_makecred),
		T(test_bad_signature),
		T(test_wrong_secret),
		T(test_modified_cred_id),
		T(test_up_false),
		T(test_cred_protect),
		T(test_touch_begin_status),
		T(test_cancel),
		T(test_ctaphid_framing),
#undef T
	};

	fido_init(FIDO_DISABLE_U2F_FALLBACK);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
