/* Token descriptors whose X25519 private keys the tests know. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/rand.h>

#include "common/common.h"
#include "tests/unit/faketoken.h"

bg_token_desc_t *
tu_fake_token(const uint8_t priv[32], unsigned serial)
{
	uint8_t pub[32], spub[32], id[16], ch[64];
	char pubb64[64], spubb64[64], idhex[33], chb64[100], text[640];
	bg_token_desc_t *d = NULL;
	cJSON *j;

	assert_int_equal(bg_x25519_public(priv, pub), BG_OK);
	assert_int_equal(RAND_bytes(id, sizeof(id)), 1);
	assert_int_equal(RAND_bytes(ch, sizeof(ch)), 1);
	assert_int_equal(bg_token_sign_public(id, priv, spub), BG_OK);
	bg_b64_encode(pub, 32, pubb64, sizeof(pubb64));
	bg_b64_encode(spub, 32, spubb64, sizeof(spubb64));
	bg_hex_encode(id, 16, idhex, sizeof(idhex));
	bg_b64_encode(ch, 64, chb64, sizeof(chb64));
	snprintf(text, sizeof(text), "{\"kind\":\"yubikey\",\"id\":\"%s\","
	    "\"x25519\":\"%s\",\"ed25519\":\"%s\",\"serial\":%u,\"slot\":2,"
	    "\"challenge\":\"%s\",\"model\":\"test\"}", idhex, pubb64, spubb64,
	    serial, chb64);
	assert_non_null(j = bg_json_parse(text, strlen(text)));
	assert_int_equal(bg_token_desc_from_json(j, &d), BG_OK);
	cJSON_Delete(j);
	return d;
}

void
tu_fake_sign(const bg_token_desc_t *d, const uint8_t priv[32],
    const uint8_t *msg, size_t len, uint8_t sig[64])
{
	const char *hex = bg_token_desc_id(d);
	uint8_t id[16];

	assert_int_equal(bg_hex_decode_exact(hex, strlen(hex), id, sizeof(id)),
	    BG_OK);
	assert_int_equal(bg_token_sign_raw(id, priv, msg, len, sig), BG_OK);
}
