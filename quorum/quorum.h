/*
 * quorum: Shamir secret sharing, share commitments (DESIGN section 5).
 * (Policies, approval statements and requests follow with the vault.)
 *
 * Knows nothing of tokens, vaults or files.
 */
#ifndef BG_QUORUM_H
#define BG_QUORUM_H

#include <stddef.h>
#include <stdint.h>

#define BG_SHAMIR_MAX 255	/* shares per secret (x = 1..255) */
#define BG_SHAMIR_SECRET_MAX 64	/* bytes per secret */
#define BG_COMMIT_LEN 32

/*
 * Splits secret (len bytes) into n shares with threshold t, byte-wise over
 * GF(2^8) with the AES polynomial x^8+x^4+x^3+x+1; share i (0-based) has
 * x = i + 1 and its len bytes at shares + i * len. 1 <= t <= n <= 255;
 * t == 1 makes every share the secret itself. Random coefficients from
 * RAND_bytes, wiped after use. BG_ERANGE for a bad t or n.
 */
int bg_shamir_split(const uint8_t *secret, size_t len, unsigned t, unsigned n,
    uint8_t *shares);

/*
 * Lagrange interpolation at x of k points (xs[i], ys[i]), each ys[i] of
 * len bytes. The xs must be distinct (BG_EINVAL otherwise). With x = 0 and
 * k >= t shares of one split this recovers the secret; fewer give an
 * unrelated value (which only a commitment or a derived public key can
 * tell). Constant time in the data.
 */
int bg_shamir_interpolate(const uint8_t *xs, const uint8_t *const *ys,
    unsigned k, size_t len, uint8_t x, uint8_t *out);

/* The secret (interpolation at 0); xs must be non-zero and distinct. */
int bg_shamir_combine(const uint8_t *xs, const uint8_t *const *ys,
    unsigned k, size_t len, uint8_t *secret);

/*
 * Share commitment: SHA-256("breakglass/v1/share-commitment" || 0x00 ||
 * vault_id(16) || len(group) (1 byte) || group || x || share), so a bad
 * share is named before combining.
 */
int bg_share_commit(const uint8_t vault_id[16], const char *group, uint8_t x,
    const uint8_t *share, size_t len, uint8_t out[BG_COMMIT_LEN]);

/* GF(2^8) product (exposed for tests); constant time. */
uint8_t bg_gf256_mul(uint8_t a, uint8_t b);

#endif /* BG_QUORUM_H */
