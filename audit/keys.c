/* The log's Ed25519 signing key (PKCS#8 PEM, 0600) and verifier key. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "common/common.h"
#include "audit/internal.h"

#define KEY_FILE_MAX 4096

int
bg_keys_load_vkey(const char *dir, struct bg_note_key *key)
{
	char path[BG_PATH_MAX], *buf = NULL;
	size_t len;
	int r;

	if ((r = bg_path_join(path, sizeof(path), dir, F_VKEY)) != BG_OK ||
	    (r = bg_file_read(path, KEY_FILE_MAX, &buf, &len)) != BG_OK)
		return r;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	r = bg_note_vkey_parse(buf, len, key);
	free(buf);
	return r;
}

static int
key_file_private(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) != 0)
		return bg_err_from_errno(errno);
	if (!S_ISREG(sb.st_mode) || (sb.st_mode & 077) != 0)
		return BG_EPERM;
	return BG_OK;
}

/*
 * The key as OpenSSL writes it: one PEM block of the 48-byte DER of RFC
 * 8410's OneAsymmetricKey with the Ed25519 seed last. Taken apart here
 * because OpenSSL's generic decoder costs about a millisecond per process,
 * paid by every command; anything else goes to that decoder.
 */
static EVP_PKEY *
pkcs8_ed25519(const char *pem, size_t len)
{
	static const char head[] = "-----BEGIN PRIVATE KEY-----\n";
	static const char tail[] = "\n-----END PRIVATE KEY-----\n";
	static const uint8_t prefix[16] = { 0x30, 0x2e, 0x02, 0x01, 0x00, 0x30,
	    0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20 };
	const size_t hl = sizeof(head) - 1, tl = sizeof(tail) - 1;
	uint8_t der[48];
	EVP_PKEY *k = NULL;

	if (len != hl + 64 + tl || memcmp(pem, head, hl) != 0 ||
	    memcmp(pem + hl + 64, tail, tl) != 0 ||
	    bg_b64_decode_exact(pem + hl, 64, der, sizeof(der)) != BG_OK)
		return NULL;
	if (memcmp(der, prefix, sizeof(prefix)) == 0)
		k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
		    der + sizeof(prefix), 32);
	bg_wipe(der, sizeof(der));
	return k;
}

int
bg_keys_load_priv(const char *dir, EVP_PKEY **priv)
{
	char path[BG_PATH_MAX], *buf = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	int r;

	*priv = NULL;
	if ((r = bg_path_join(path, sizeof(path), dir, F_KEY)) != BG_OK ||
	    (r = key_file_private(path)) != BG_OK ||
	    (r = bg_file_read(path, KEY_FILE_MAX, &buf, &len)) != BG_OK)
		return r;
	r = BG_EFORMAT;
	if ((*priv = pkcs8_ed25519(buf, len)) != NULL)
		r = BG_OK;
	else if ((bio = BIO_new_mem_buf(buf, (int)len)) != NULL &&
	    (*priv = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) != NULL &&
	    EVP_PKEY_is_a(*priv, "ED25519"))
		r = BG_OK;
	BIO_free(bio);
	bg_wipe(buf, len);
	free(buf);
	if (r != BG_OK) {
		EVP_PKEY_free(*priv);
		*priv = NULL;
	}
	return r;
}

static int
write_priv(const char *dir, EVP_PKEY *priv)
{
	char path[BG_PATH_MAX], *pem;
	BIO *bio;
	long len;
	int r = BG_ECRYPTO;

	if ((r = bg_path_join(path, sizeof(path), dir, F_KEY)) != BG_OK)
		return r;
	if ((bio = BIO_new(BIO_s_secmem())) == NULL)
		return BG_ENOMEM;
	r = BG_ECRYPTO;
	if (PEM_write_bio_PrivateKey(bio, priv, NULL, NULL, 0, NULL, NULL) == 1 &&
	    (len = BIO_get_mem_data(bio, &pem)) > 0)
		r = bg_file_create_excl(path, pem, (size_t)len, 0600);
	BIO_free(bio);	/* a secmem BIO wipes its buffer */
	return r;
}

int
bg_keys_create(const char *dir, const char *origin, EVP_PKEY **priv,
    struct bg_note_key *key)
{
	char path[BG_PATH_MAX], vkey[BG_NOTE_NAME_MAX + 64];
	uint8_t pub[32];
	size_t n;
	int r;

	*priv = NULL;
	if ((r = bg_ed25519_generate(priv)) != BG_OK ||
	    (r = bg_ed25519_public(*priv, pub)) != BG_OK ||
	    (r = bg_note_key_init(key, origin, pub)) != BG_OK ||
	    (r = bg_note_vkey_format(key, vkey, sizeof(vkey) - 1)) != BG_OK ||
	    (r = write_priv(dir, *priv)) != BG_OK ||
	    (r = bg_path_join(path, sizeof(path), dir, F_VKEY)) != BG_OK)
		goto fail;
	n = strlen(vkey);
	vkey[n++] = '\n';
	if ((r = bg_file_create_excl(path, vkey, n, 0644)) == BG_OK)
		return BG_OK;
fail:
	EVP_PKEY_free(*priv);
	*priv = NULL;
	return r;
}
