/*
 * Attestation chains: when policy asks for genuine hardware, the
 * attestation certificate (x5c[0], DER) must chain to a root in the
 * operator's PEM bundle (e.g. Yubico's FIDO root). Certificate validity
 * dates are not checked: attestation certificates outlive their dates on
 * real tokens, and the signature over this enrollment is what is fresh.
 */
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "common/common.h"
#include "tokens/internal.h"

int
bg_attest_chain(const uint8_t *der, size_t len, const char *trust_pem)
{
	const unsigned char *p = der;
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509 *leaf = NULL;
	int r = BG_EATTEST;

	if (der == NULL || len == 0 || len > FIDO2_ATT_MAX) {
		bg_set_why("the token gave no attestation certificate");
		return BG_EATTEST;
	}
	if ((leaf = d2i_X509(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		bg_set_why("the attestation certificate is malformed");
		goto out;
	}
	if ((store = X509_STORE_new()) == NULL ||
	    X509_STORE_load_file(store, trust_pem) != 1) {
		bg_set_why("cannot load the trust anchors from %s", trust_pem);
		goto out;
	}
	X509_STORE_set_flags(store, X509_V_FLAG_NO_CHECK_TIME |
	    X509_V_FLAG_PARTIAL_CHAIN);
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, store, leaf, NULL) != 1)
		goto out;
	if (X509_verify_cert(ctx) == 1)
		r = BG_OK;
	else
		bg_set_why("attestation certificate: %s",
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(leaf);
	return r;
}
