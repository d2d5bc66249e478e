/*
 * vfido persistent state: device directories, the flock, state.json, the
 * test CA and attestation certificates.
 *
 * Every change happens under an exclusive flock on DIR/lock, and state.json
 * is replaced by rename(2), so concurrent processes see whole states.
 * Durability (fsync) is not needed for a test fixture and would slow tests.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "vfido.h"
#include "vfido_int.h"

#define STATE_FILE	"state.json"
#define STATE_TMP	"state.json.tmp"
#define STATE_MAX	(64 * 1024)
#define OID_FIDO_AAGUID	"1.3.6.1.4.1.45724.1.1.4"

static const struct {
	const char	*name;
	unsigned	 bit;
} knobs[] = {
	{ BG_VFIDO_KNOB_NO_TOUCH,		VF_KNOB_NO_TOUCH },
	{ BG_VFIDO_KNOB_REMOVED,		VF_KNOB_REMOVED },
	{ BG_VFIDO_KNOB_REMOVE_DURING_OP,	VF_KNOB_REMOVE_DURING_OP },
	{ BG_VFIDO_KNOB_BAD_SIGNATURE,		VF_KNOB_BAD_SIGNATURE },
	{ BG_VFIDO_KNOB_WRONG_SECRET,		VF_KNOB_WRONG_SECRET },
	{ BG_VFIDO_KNOB_PIN_PROTO1_ONLY,	VF_KNOB_PIN_PROTO1_ONLY },
	{ BG_VFIDO_KNOB_ATTEST_U2F,		VF_KNOB_ATTEST_U2F },
	{ BG_VFIDO_KNOB_U2F_ONLY,		VF_KNOB_U2F_ONLY },
	{ BG_VFIDO_KNOB_GETINFO_ERROR,		VF_KNOB_GETINFO_ERROR },
	{ BG_VFIDO_KNOB_NO_HMAC_SECRET,		VF_KNOB_NO_HMAC_SECRET },
	{ BG_VFIDO_KNOB_IGNORE_HMAC_SECRET,	VF_KNOB_IGNORE_HMAC_SECRET },
	{ BG_VFIDO_KNOB_MAKECRED_NO_UP,		VF_KNOB_MAKECRED_NO_UP },
};

static const char *const knob_names[] = {
	BG_VFIDO_KNOB_NO_TOUCH,
	BG_VFIDO_KNOB_REMOVED,
	BG_VFIDO_KNOB_REMOVE_DURING_OP,
	BG_VFIDO_KNOB_BAD_SIGNATURE,
	BG_VFIDO_KNOB_WRONG_SECRET,
	BG_VFIDO_KNOB_PIN_PROTO1_ONLY,
	BG_VFIDO_KNOB_ATTEST_U2F,
	BG_VFIDO_KNOB_U2F_ONLY,
	BG_VFIDO_KNOB_GETINFO_ERROR,
	BG_VFIDO_KNOB_NO_HMAC_SECRET,
	BG_VFIDO_KNOB_IGNORE_HMAC_SECRET,
	BG_VFIDO_KNOB_MAKECRED_NO_UP,
	NULL,
};

const char *const *
bg_vfido_knob_names(void)
{
	return (knob_names);
}

int
vf_knob_bit(const char *name, unsigned *bit)
{
	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
		if (strcmp(knobs[i].name, name) == 0) {
			*bit = knobs[i].bit;
			return (0);
		}
	vf_set_error("unknown knob (see bg_vfido_knob_names())");
	return (-1);
}

static int
valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || name[0] == '.')
		return (0);
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') ||
		    name[i] == '-' || name[i] == '_' || name[i] == '.'))
			return (0);
	return (1);
}

static char *
join(const char *a, const char *b)
{
	size_t	 n = strlen(a) + strlen(b) + 2;
	char	*s;

	if ((s = malloc(n)) == NULL)
		return (NULL);
	snprintf(s, n, "%s/%s", a, b);
	return (s);
}

int
vf_dev_dir(const char *base, const char *name, char **dir)
{
	char *f2;

	*dir = NULL;
	if (base == NULL || name == NULL || !valid_name(name)) {
		vf_set_error("device names are 1-64 of [A-Za-z0-9._-]");
		return (-1);
	}
	if ((f2 = join(base, "fido2")) == NULL)
		return (-1);
	*dir = join(f2, name);
	free(f2);
	return (*dir == NULL ? -1 : 0);
}

/* Returns a descriptor holding an exclusive flock, or -1. */
int
vf_lock(const char *dir)
{
	char	*p;
	int	 fd;

	if ((p = join(dir, "lock")) == NULL)
		return (-1);
	fd = open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	free(p);
	if (fd < 0) {
		vf_set_error("cannot open the device lock: %s", strerror(errno));
		return (-1);
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			close(fd);
			return (-1);
		}
	}
	return (fd);
}

void
vf_unlock(int fd)
{
	if (fd >= 0)
		close(fd);	/* drops the flock */
}

static int
read_file(const char *path, char **buf, size_t *len)
{
	struct stat	 sb;
	char		*s = NULL;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	*buf = NULL;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return (-1);
	if (fstat(fd, &sb) < 0 || sb.st_size < 0 || sb.st_size > STATE_MAX ||
	    (s = calloc(1, (size_t)sb.st_size + 1)) == NULL)
		goto fail;
	while (got < (size_t)sb.st_size) {
		if ((n = read(fd, s + got, (size_t)sb.st_size - got)) < 0 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		got += (size_t)n;
	}
	close(fd);
	*buf = s;
	*len = got;
	return (0);
fail:
	close(fd);
	free(s);
	return (-1);
}

static int
write_file(const char *path, const char *data, size_t len, mode_t mode,
    int excl)
{
	ssize_t	n;
	size_t	off = 0;
	int	fd;
	int	flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC;

	flags |= excl ? O_EXCL : O_TRUNC;
	if ((fd = open(path, flags, mode)) < 0)
		return (-1);
	while (off < len) {
		if ((n = write(fd, data + off, len - off)) < 0 &&
		    errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return (-1);
		}
		off += (size_t)n;
	}
	return (close(fd));
}

static void
hex_encode(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

static int
hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

static int
hex_decode(const char *s, unsigned char *b, size_t n)
{
	int hi, lo;

	if (strlen(s) != 2 * n)
		return (-1);
	for (size_t i = 0; i < n; i++) {
		if ((hi = hex_nibble(s[2 * i])) < 0 ||
		    (lo = hex_nibble(s[2 * i + 1])) < 0)
			return (-1);
		b[i] = (unsigned char)((hi << 4) | lo);
	}
	return (0);
}

static int
get_hex(const cJSON *o, const char *key, unsigned char *b, size_t n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsString(v) || hex_decode(v->valuestring, b, n) < 0)
		return (-1);
	return (0);
}

static int
get_uint(const cJSON *o, const char *key, uint32_t max, uint32_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > (double)max ||
	    v->valuedouble != (double)(uint32_t)v->valuedouble)
		return (-1);
	*out = (uint32_t)v->valuedouble;
	return (0);
}

static int
get_str(const cJSON *o, const char *key, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsString(v) || (*out = strdup(v->valuestring)) == NULL)
		return (-1);
	return (0);
}

static int
parse_state(const cJSON *o, struct vf_state *st)
{
	const cJSON	*pin, *kn, *k;
	uint32_t	 v;
	unsigned	 bit;

	if (!cJSON_IsObject(o) || get_uint(o, "version", 1, &v) < 0 || v != 1 ||
	    get_hex(o, "aaguid", st->aaguid, sizeof(st->aaguid)) < 0 ||
	    get_hex(o, "master", st->master, sizeof(st->master)) < 0 ||
	    get_uint(o, "pin_retries", BG_VFIDO_MAX_RETRIES, &v) < 0)
		return (-1);
	st->pin_retries = (int)v;
	if (get_uint(o, "counter", UINT32_MAX, &st->counter) < 0 ||
	    get_uint(o, "touches", UINT32_MAX, &st->touches) < 0 ||
	    get_str(o, "att_key", &st->att_key_pem) < 0 ||
	    get_str(o, "att_cert", &st->att_cert_pem) < 0)
		return (-1);
	pin = cJSON_GetObjectItemCaseSensitive(o, "pin_hash");
	if (cJSON_IsNull(pin))
		st->has_pin = 0;
	else if (get_hex(o, "pin_hash", st->pin_hash,
	    sizeof(st->pin_hash)) == 0)
		st->has_pin = 1;
	else
		return (-1);
	kn = cJSON_GetObjectItemCaseSensitive(o, "knobs");
	if (!cJSON_IsArray(kn))
		return (-1);
	st->knobs = 0;
	cJSON_ArrayForEach(k, kn) {
		if (!cJSON_IsString(k) || vf_knob_bit(k->valuestring, &bit) < 0)
			return (-1);
		st->knobs |= bit;
	}
	return (0);
}

int
vf_state_load(const char *dir, struct vf_state *st)
{
	cJSON	*o = NULL;
	char	*path, *buf = NULL;
	size_t	 len = 0;
	int	 r = -1;

	memset(st, 0, sizeof(*st));
	if ((path = join(dir, STATE_FILE)) == NULL)
		return (-1);
	if (read_file(path, &buf, &len) < 0) {
		vf_set_error("no such virtual device (cannot read %s)", path);
		goto out;
	}
	if ((o = cJSON_ParseWithLength(buf, len)) == NULL ||
	    parse_state(o, st) < 0) {
		vf_set_error("corrupt device state %s", path);
		vf_state_clear(st);
		goto out;
	}
	r = 0;
out:
	cJSON_Delete(o);
	if (buf != NULL)
		OPENSSL_clear_free(buf, len);
	free(path);
	return (r);
}

static cJSON *
state_json(const struct vf_state *st)
{
	cJSON	*o, *kn;
	char	 hex[65];

	if ((o = cJSON_CreateObject()) == NULL)
		return (NULL);
	cJSON_AddNumberToObject(o, "version", 1);
	hex_encode(st->aaguid, sizeof(st->aaguid), hex);
	cJSON_AddStringToObject(o, "aaguid", hex);
	hex_encode(st->master, sizeof(st->master), hex);
	cJSON_AddStringToObject(o, "master", hex);
	if (st->has_pin) {
		hex_encode(st->pin_hash, sizeof(st->pin_hash), hex);
		cJSON_AddStringToObject(o, "pin_hash", hex);
	} else
		cJSON_AddNullToObject(o, "pin_hash");
	OPENSSL_cleanse(hex, sizeof(hex));
	cJSON_AddNumberToObject(o, "pin_retries", st->pin_retries);
	cJSON_AddNumberToObject(o, "counter", st->counter);
	cJSON_AddNumberToObject(o, "touches", st->touches);
	if ((kn = cJSON_AddArrayToObject(o, "knobs")) != NULL)
		for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
			if (st->knobs & knobs[i].bit)
				cJSON_AddItemToArray(kn,
				    cJSON_CreateString(knobs[i].name));
	cJSON_AddStringToObject(o, "att_key", st->att_key_pem);
	cJSON_AddStringToObject(o, "att_cert", st->att_cert_pem);
	return (o);
}

int
vf_state_save(const char *dir, const struct vf_state *st)
{
	cJSON	*o = NULL;
	char	*s = NULL, *tmp = NULL, *path = NULL;
	int	 r = -1;

	if ((o = state_json(st)) == NULL ||
	    (s = cJSON_PrintUnformatted(o)) == NULL ||
	    (tmp = join(dir, STATE_TMP)) == NULL ||
	    (path = join(dir, STATE_FILE)) == NULL)
		goto out;
	if (write_file(tmp, s, strlen(s), 0600, 0) < 0 ||
	    rename(tmp, path) < 0) {
		vf_set_error("cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	r = 0;
out:
	if (s != NULL)
		OPENSSL_clear_free(s, strlen(s));
	cJSON_Delete(o);
	free(tmp);
	free(path);
	return (r);
}

void
vf_state_clear(struct vf_state *st)
{
	if (st->att_key_pem != NULL)
		OPENSSL_clear_free(st->att_key_pem, strlen(st->att_key_pem));
	free(st->att_cert_pem);
	OPENSSL_cleanse(st, sizeof(*st));
}

int
vf_state_peek_knobs(const char *dir, unsigned *knobs_out)
{
	struct vf_state	st;
	int		fd, r;

	if ((fd = vf_lock(dir)) < 0)
		return (-1);
	r = vf_state_load(dir, &st);
	vf_unlock(fd);
	if (r == 0)
		*knobs_out = st.knobs;
	vf_state_clear(&st);
	return (r);
}

/* ------------------------------------------------------------- X.509 */

static int
set_name(X509_NAME *n, const char *c, const char *o, const char *ou,
    const char *cn)
{
	const unsigned char *v[4] = { (const unsigned char *)c,
	    (const unsigned char *)o, (const unsigned char *)ou,
	    (const unsigned char *)cn };
	const char *f[4] = { "C", "O", "OU", "CN" };

	for (size_t i = 0; i < 4; i++)
		if (v[i] != NULL && X509_NAME_add_entry_by_txt(n, f[i],
		    MBSTRING_UTF8, v[i], -1, -1, 0) != 1)
			return (-1);
	return (0);
}

static int
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;
	int		 r;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value)) == NULL)
		return (-1);
	r = X509_add_ext(x, ext, -1) == 1 ? 0 : -1;
	X509_EXTENSION_free(ext);
	return (r);
}

/* id-fido-gen-ce-aaguid: extnValue = OCTET STRING { OCTET STRING aaguid } */
static int
add_aaguid_ext(X509 *x, const unsigned char aaguid[16])
{
	ASN1_OBJECT		*obj = NULL;
	ASN1_OCTET_STRING	*inner = NULL, *outer = NULL;
	X509_EXTENSION		*ext = NULL;
	unsigned char		*der = NULL;
	int			 der_len, r = -1;

	if ((obj = OBJ_txt2obj(OID_FIDO_AAGUID, 1)) == NULL ||
	    (inner = ASN1_OCTET_STRING_new()) == NULL ||
	    ASN1_OCTET_STRING_set(inner, aaguid, 16) != 1 ||
	    (der_len = i2d_ASN1_OCTET_STRING(inner, &der)) <= 0 ||
	    (outer = ASN1_OCTET_STRING_new()) == NULL ||
	    ASN1_OCTET_STRING_set(outer, der, der_len) != 1 ||
	    (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, outer)) == NULL ||
	    X509_add_ext(x, ext, -1) != 1)
		goto out;
	r = 0;
out:
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(outer);
	ASN1_OCTET_STRING_free(inner);
	ASN1_OBJECT_free(obj);
	OPENSSL_free(der);
	return (r);
}

static int
set_serial_validity(X509 *x)
{
	BIGNUM		*bn = NULL;
	ASN1_INTEGER	*serial = NULL;
	int		 r = -1;

	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    (bn = BN_new()) == NULL ||
	    BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
	    (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    X509_set_serialNumber(x, serial) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -86400L) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 20L * 365 * 86400) == NULL)
		goto out;
	r = 0;
out:
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	return (r);
}

static X509 *
make_ca_cert(EVP_PKEY *key)
{
	X509 *x;

	if ((x = X509_new()) == NULL)
		return (NULL);
	if (set_serial_validity(x) < 0 ||
	    set_name(X509_get_subject_name(x), "US", "breakglass test",
	    NULL, "breakglass virtual FIDO2 test CA") < 0 ||
	    X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 ||
	    X509_set_pubkey(x, key) != 1 ||
	    add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
	    add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ||
	    add_ext(x, x, NID_subject_key_identifier, "hash") < 0 ||
	    X509_sign(x, key, EVP_sha256()) <= 0) {
		X509_free(x);
		return (NULL);
	}
	return (x);
}

static int
write_pem_cert(const char *path, X509 *x)
{
	BIO	*bio = NULL;
	char	*data = NULL;
	long	 n;
	int	 r = -1;

	if ((bio = BIO_new(BIO_s_mem())) != NULL &&
	    PEM_write_bio_X509(bio, x) == 1 &&
	    (n = BIO_get_mem_data(bio, &data)) > 0 &&
	    write_file(path, data, (size_t)n, 0644, 1) == 0)
		r = 0;
	BIO_free(bio);
	return (r);
}

static X509 *
read_pem_cert(const char *pem)
{
	BIO	*bio;
	X509	*x = NULL;

	if ((bio = BIO_new_mem_buf(pem, -1)) != NULL)
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return (x);
}

static int
ca_create(const char *key_path, const char *cert_path)
{
	EVP_PKEY	*key = NULL;
	X509		*x = NULL;
	char		*pem = NULL;
	int		 r = -1;

	if ((key = vf_ec_generate()) == NULL ||
	    (x = make_ca_cert(key)) == NULL ||
	    (pem = vf_pkey_to_pem(key)) == NULL ||
	    write_file(key_path, pem, strlen(pem), 0600, 1) < 0 ||
	    write_pem_cert(cert_path, x) < 0) {
		vf_set_error("cannot create the test CA in %s", cert_path);
		unlink(key_path);
		goto out;
	}
	r = 0;
out:
	if (pem != NULL)
		OPENSSL_clear_free(pem, strlen(pem));
	X509_free(x);
	EVP_PKEY_free(key);
	return (r);
}

static int
ensure_dir(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		vf_set_error("cannot create %s: %s", path, strerror(errno));
		return (-1);
	}
	return (0);
}

/* Loads (creating once, under BASE/ca.lock) the CA of BASE. */
int
vf_ca_load(const char *base, EVP_PKEY **key, X509 **cert)
{
	char	*key_path = NULL, *cert_path = NULL, *buf = NULL;
	size_t	 len = 0;
	int	 fd = -1, r = -1;

	*key = NULL;
	*cert = NULL;
	if (ensure_dir(base) < 0 || (fd = vf_lock(base)) < 0 ||
	    (key_path = join(base, "ca.key")) == NULL ||
	    (cert_path = join(base, "ca.pem")) == NULL)
		goto out;
	if (access(key_path, F_OK) < 0 && ca_create(key_path, cert_path) < 0)
		goto out;
	if (read_file(key_path, &buf, &len) < 0 ||
	    (*key = vf_pkey_from_pem(buf)) == NULL) {
		vf_set_error("cannot read the test CA key %s", key_path);
		goto out;
	}
	OPENSSL_clear_free(buf, len);
	buf = NULL;
	if (read_file(cert_path, &buf, &len) < 0 ||
	    (*cert = read_pem_cert(buf)) == NULL) {
		vf_set_error("cannot read the test CA cert %s", cert_path);
		goto out;
	}
	r = 0;
out:
	if (r < 0) {
		EVP_PKEY_free(*key);
		*key = NULL;
	}
	if (buf != NULL)
		OPENSSL_clear_free(buf, len);
	vf_unlock(fd);
	free(key_path);
	free(cert_path);
	return (r);
}

static char *
cert_to_pem(X509 *x)
{
	BIO	*bio = NULL;
	char	*data = NULL, *s = NULL;
	long	 n;

	if ((bio = BIO_new(BIO_s_mem())) != NULL &&
	    PEM_write_bio_X509(bio, x) == 1 &&
	    (n = BIO_get_mem_data(bio, &data)) > 0 &&
	    (s = calloc(1, (size_t)n + 1)) != NULL)
		memcpy(s, data, (size_t)n);
	BIO_free(bio);
	return (s);
}

/*
 * A fresh attestation key and its certificate, as WebAuthn 8.2.1 asks of
 * packed attestation certificates: version 3; subject C, O,
 * OU = "Authenticator Attestation", CN; basicConstraints CA:FALSE; the
 * id-fido-gen-ce-aaguid extension carrying the AAGUID, not critical.
 */
int
vf_make_att_cert(const char *base, const unsigned char aaguid[16],
    const char *name, char **key_pem, char **cert_pem)
{
	EVP_PKEY	*ca_key = NULL, *key = NULL;
	X509		*ca = NULL, *x = NULL;
	char		 cn[128];
	int		 r = -1;

	*key_pem = NULL;
	*cert_pem = NULL;
	snprintf(cn, sizeof(cn), "breakglass virtual FIDO2 %s", name);
	if (vf_ca_load(base, &ca_key, &ca) < 0)
		goto out;
	if ((key = vf_ec_generate()) == NULL || (x = X509_new()) == NULL ||
	    set_serial_validity(x) < 0 ||
	    set_name(X509_get_subject_name(x), "US", "breakglass test",
	    "Authenticator Attestation", cn) < 0 ||
	    X509_set_issuer_name(x, X509_get_subject_name(ca)) != 1 ||
	    X509_set_pubkey(x, key) != 1 ||
	    add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    add_ext(x, ca, NID_key_usage, "critical,digitalSignature") < 0 ||
	    add_ext(x, ca, NID_subject_key_identifier, "hash") < 0 ||
	    add_ext(x, ca, NID_authority_key_identifier, "keyid:always") < 0 ||
	    add_aaguid_ext(x, aaguid) < 0 ||
	    X509_sign(x, ca_key, EVP_sha256()) <= 0 ||
	    (*key_pem = vf_pkey_to_pem(key)) == NULL ||
	    (*cert_pem = cert_to_pem(x)) == NULL) {
		vf_set_error("cannot make the attestation certificate");
		goto out;
	}
	r = 0;
out:
	if (r < 0) {
		if (*key_pem != NULL)
			OPENSSL_clear_free(*key_pem, strlen(*key_pem));
		*key_pem = NULL;
	}
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
	return (r);
}
