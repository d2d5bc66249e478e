/* tests/unit/faketoken.c: token descriptors whose X25519 key tests know. */
#ifndef BG_TEST_FAKETOKEN_H
#define BG_TEST_FAKETOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "tokens/token.h"

/*
 * A YubiKey descriptor (serial, slot 2, a random id and challenge) for a
 * token whose X25519 private key is priv, with the "ed25519" public key of
 * its signing key; fails the test on any error.
 */
bg_token_desc_t *tu_fake_token(const uint8_t priv[32], unsigned serial);

/*
 * What the token of d (from tu_fake_token, private key priv) signs over
 * msg: bg_token_sign_raw() with d's id; fails the test on any error.
 */
void tu_fake_sign(const bg_token_desc_t *d, const uint8_t priv[32],
    const uint8_t *msg, size_t len, uint8_t sig[64]);

#endif
