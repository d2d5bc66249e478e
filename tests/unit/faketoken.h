/* tests/unit/faketoken.c: token descriptors whose X25519 key tests know. */
#ifndef BG_TEST_FAKETOKEN_H
#define BG_TEST_FAKETOKEN_H

#include <stdint.h>

#include "tokens/token.h"

/*
 * A YubiKey descriptor (serial, slot 2, a random id and challenge) for a
 * token whose X25519 private key is priv; fails the test on any error.
 */
bg_token_desc_t *tu_fake_token(const uint8_t priv[32], unsigned serial);

#endif
