/*
 * An ordinary libfido2 program, built WITHOUT the emulator: it enumerates
 * tokens with fido_dev_info_manifest(), opens each with
 * fido_dev_new_with_info() + fido_dev_open_with_info() (or, for a path
 * given as argument, fido_dev_new() + fido_dev_open()), enrolls an ES256
 * credential with hmac-secret and gets an assertion with a salt. Under
 * LD_PRELOAD=libbgvfido.so with BG_VIRTUAL_DIR set, it must do all this
 * against the virtual devices. PIN from $BG_PROBE_PIN for tokens with one.
 *
 * Output: "devices N", then per token "ok PATH SECRET-HEX" or
 * "fail PATH CODE". Exit 0 if every token was ok.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fido.h>
/* fido/es256.h names EC_KEY, which OPENSSL_NO_DEPRECATED hides */
typedef struct ec_key_st EC_KEY;
#include <fido/es256.h>

#define MAX_DEVS 16

static int
exercise(fido_dev_t *dev, unsigned char secret[32])
{
	const char	*pin = fido_dev_has_pin(dev) ? getenv("BG_PROBE_PIN") :
			    NULL;
	unsigned char	 cdh[32], salt[32];
	fido_cred_t	*c = fido_cred_new();
	fido_assert_t	*a = fido_assert_new();
	es256_pk_t	*pk = es256_pk_new();
	int		 r = FIDO_ERR_INTERNAL;

	memset(cdh, 0x2a, sizeof(cdh));
	memset(salt, 0x5a, sizeof(salt));
	if (c == NULL || a == NULL || pk == NULL)
		goto out;
	if ((r = fido_cred_set_type(c, COSE_ES256)) != FIDO_OK ||
	    (r = fido_cred_set_clientdata_hash(c, cdh, 32)) != FIDO_OK ||
	    (r = fido_cred_set_rp(c, "breakglass", NULL)) != FIDO_OK ||
	    (r = fido_cred_set_user(c, cdh, 16, "probe", NULL,
	    NULL)) != FIDO_OK ||
	    (r = fido_cred_set_extensions(c, FIDO_EXT_HMAC_SECRET)) !=
	    FIDO_OK || (r = fido_dev_make_cred(dev, c, pin)) != FIDO_OK ||
	    (r = fido_cred_verify(c)) != FIDO_OK ||
	    (r = es256_pk_from_ptr(pk, fido_cred_pubkey_ptr(c),
	    fido_cred_pubkey_len(c))) != FIDO_OK)
		goto out;
	if ((r = fido_assert_set_rp(a, "breakglass")) != FIDO_OK ||
	    (r = fido_assert_set_clientdata_hash(a, cdh, 32)) != FIDO_OK ||
	    (r = fido_assert_allow_cred(a, fido_cred_id_ptr(c),
	    fido_cred_id_len(c))) != FIDO_OK ||
	    (r = fido_assert_set_extensions(a, FIDO_EXT_HMAC_SECRET)) !=
	    FIDO_OK || (r = fido_assert_set_hmac_salt(a, salt, 32)) !=
	    FIDO_OK || (r = fido_dev_get_assert(dev, a, pin)) != FIDO_OK ||
	    (r = fido_assert_verify(a, 0, COSE_ES256, pk)) != FIDO_OK)
		goto out;
	r = FIDO_ERR_INTERNAL;
	if (fido_assert_hmac_secret_len(a, 0) != 32)
		goto out;
	memcpy(secret, fido_assert_hmac_secret_ptr(a, 0), 32);
	r = FIDO_OK;
out:
	es256_pk_free(&pk);
	fido_assert_free(&a);
	fido_cred_free(&c);
	return (r);
}

static int
report(const char *path, int r, const unsigned char secret[32])
{
	if (r != FIDO_OK) {
		printf("fail %s %d\n", path, r);
		return (1);
	}
	printf("ok %s ", path);
	for (size_t i = 0; i < 32; i++)
		printf("%02x", secret[i]);
	printf("\n");
	return (0);
}

static int
by_path(const char *path)
{
	unsigned char	 secret[32];
	fido_dev_t	*dev;
	int		 r;

	if ((dev = fido_dev_new()) == NULL)
		return (1);
	if ((r = fido_dev_open(dev, path)) == FIDO_OK) {
		r = exercise(dev, secret);
		fido_dev_close(dev);
	}
	fido_dev_free(&dev);
	return (report(path, r, secret));
}

static int
by_manifest(void)
{
	unsigned char	 secret[32];
	fido_dev_info_t	*list;
	fido_dev_t	*dev;
	size_t		 n = 0;
	int		 r, bad = 0;

	if ((list = fido_dev_info_new(MAX_DEVS)) == NULL ||
	    fido_dev_info_manifest(list, MAX_DEVS, &n) != FIDO_OK)
		return (1);
	printf("devices %zu\n", n);
	for (size_t i = 0; i < n; i++) {
		const fido_dev_info_t *di = fido_dev_info_ptr(list, i);

		if ((dev = fido_dev_new_with_info(di)) == NULL) {
			bad = 1;
			continue;
		}
		if ((r = fido_dev_open_with_info(dev)) == FIDO_OK) {
			r = exercise(dev, secret);
			fido_dev_close(dev);
		}
		fido_dev_free(&dev);
		bad |= report(fido_dev_info_path(di), r, secret);
	}
	fido_dev_info_free(&list, MAX_DEVS);
	return (bad);
}

int
main(int argc, char **argv)
{
	fido_init(FIDO_DISABLE_U2F_FALLBACK);
	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		fido_dev_info_t	*list = fido_dev_info_new(MAX_DEVS);
		size_t		 n = 0;

		if (list == NULL ||
		    fido_dev_info_manifest(list, MAX_DEVS, &n) != FIDO_OK)
			return (1);
		printf("devices %zu\n", n);
		for (size_t i = 0; i < n; i++)
			printf("%s\n", fido_dev_info_path(
			    fido_dev_info_ptr(list, i)));
		fido_dev_info_free(&list, MAX_DEVS);
		return (0);
	}
	if (argc == 2)
		return (by_path(argv[1]));
	return (by_manifest());
}
