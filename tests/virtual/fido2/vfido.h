/*
 * vfido: a software CTAP2 authenticator for tests (never shipped).
 *
 * The real, unmodified libfido2 talks to it through fido_dev_io_t: the
 * emulator answers 64-byte CTAPHID reports (INIT, CBOR, CANCEL, PING;
 * KEEPALIVE and ERROR frames), authenticatorGetInfo, authenticatorClientPIN
 * (PIN/UV auth protocols 1 and 2), authenticatorMakeCredential (ES256,
 * packed attestation with x5c, hmac-secret, credProtect) and
 * authenticatorGetAssertion (allowList, up, uv, hmac-secret).
 *
 * Devices live in files so that separate processes see the same device:
 *
 *   BASE/ca.pem, BASE/ca.key       test attestation CA (created on demand)
 *   BASE/fido2/NAME/state.json     one device (0600, replaced atomically)
 *   BASE/fido2/NAME/lock           flock(2) taken around every change
 *
 * A device path is "vfido:" followed by the device directory, e.g.
 * "vfido:/tmp/t1/fido2/alice"; bg_vfido_path() builds it.
 *
 * Credential ids are AES-256-GCM boxes (under the device's master secret)
 * holding the credential's private key, its two credRandoms and its rp id
 * hash: nothing per credential is stored, like non-resident keys on real
 * tokens, and a forged or modified id yields CTAP2_ERR_NO_CREDENTIALS.
 *
 * Errors: every int-returning call returns 0 on success and -1 on failure;
 * bg_vfido_error() then tells why (thread-local, static storage).
 */
#ifndef BG_VFIDO_H
#define BG_VFIDO_H

#include <stddef.h>
#include <stdint.h>

#include <fido.h>

#define BG_VFIDO_PATH_PREFIX	"vfido:"
#define BG_VFIDO_MANUFACTURER	"breakglass-test"
#define BG_VFIDO_PRODUCT	"virtual FIDO2"
#define BG_VFIDO_MAX_RETRIES	8

/*
 * Knobs, persisted in the device state (every process sees them):
 *
 * "no-touch"          user presence never comes: the device sends a few
 *                     KEEPALIVE(UPNEEDED) frames over ~200 ms, then
 *                     CTAP2_ERR_USER_ACTION_TIMEOUT (0x2f).
 * "removed"           unplugged: open fails, reads and writes return -1.
 * "remove-during-op"  one shot: the next makeCredential or getAssertion
 *                     request is swallowed, one KEEPALIVE is sent, then the
 *                     device vanishes (the knob turns into "removed").
 * "bad-signature"     assertion and attestation signatures do not verify.
 * "wrong-secret"      hmac-secret outputs come from a different credRandom
 *                     (libfido2 still returns FIDO_OK).
 * "pin-proto1-only"   getInfo offers only PIN/UV auth protocol 1; protocol 2
 *                     requests fail with CTAP1_ERR_INVALID_PARAMETER.
 * "attest-u2f"        makeCredential answers with "fido-u2f" attestation.
 * "u2f-only"          a CTAP1/U2F key: CTAPHID INIT offers no CBOR (and
 *                     CBOR requests are ERR_INVALID_CMD); libfido2 opens
 *                     it and fido_dev_is_fido2() is false.
 * "getinfo-error"     authenticatorGetInfo answers CTAP1_ERR_OTHER (0x7f);
 *                     with U2F fallback disabled libfido2's open fails
 *                     with FIDO_ERR_ERR_OTHER.
 * "no-hmac-secret"    a FIDO2 key without hmac-secret: getInfo does not
 *                     list it and makeCredential ignores the extension.
 * "ignore-hmac-secret" getInfo lists hmac-secret, but makeCredential
 *                     ignores it (no extension output, ED flag clear).
 * "no-up-at-makecred" makeCredential asks for no touch and leaves the UP
 *                     flag clear in its authenticator data.
 */
#define BG_VFIDO_KNOB_NO_TOUCH		"no-touch"
#define BG_VFIDO_KNOB_REMOVED		"removed"
#define BG_VFIDO_KNOB_REMOVE_DURING_OP	"remove-during-op"
#define BG_VFIDO_KNOB_BAD_SIGNATURE	"bad-signature"
#define BG_VFIDO_KNOB_WRONG_SECRET	"wrong-secret"
#define BG_VFIDO_KNOB_PIN_PROTO1_ONLY	"pin-proto1-only"
#define BG_VFIDO_KNOB_ATTEST_U2F	"attest-u2f"
#define BG_VFIDO_KNOB_U2F_ONLY		"u2f-only"
#define BG_VFIDO_KNOB_GETINFO_ERROR	"getinfo-error"
#define BG_VFIDO_KNOB_NO_HMAC_SECRET	"no-hmac-secret"
#define BG_VFIDO_KNOB_IGNORE_HMAC_SECRET "ignore-hmac-secret"
#define BG_VFIDO_KNOB_MAKECRED_NO_UP	"no-up-at-makecred"

/*
 * Creates device NAME under BASE/fido2/ (BASE and BASE/fido2 are created
 * 0700 if missing; the CA too). pin: NULL for no PIN, else 4..63 bytes of
 * UTF-8. Fails if the device exists.
 */
int bg_vfido_create(const char *base, const char *name, const char *pin);

/* Sets (on != 0) or clears a knob; unknown knob names fail. */
int bg_vfido_set_knob(const char *base, const char *name, const char *knob,
    int on);

/* Reads a knob into *on (0 or 1). */
int bg_vfido_get_knob(const char *base, const char *name, const char *knob,
    int *on);

/* NULL-terminated list of the knob names above (static storage). */
const char *const *bg_vfido_knob_names(void);

/*
 * Writes "vfido:BASE/fido2/NAME" into buf (len bytes, NUL included).
 * Fails if it does not fit. BASE should be absolute so that the path works
 * from any working directory.
 */
int bg_vfido_path(const char *base, const char *name, char *buf, size_t len);

/*
 * The io functions to give libfido2 (fido_dev_set_io_functions). open()
 * takes a path from bg_vfido_path(); it returns NULL for any other path or
 * for a removed device. Static storage; never NULL.
 */
const fido_dev_io_t *bg_vfido_io(void);

/*
 * Fills devlist[0..ilen) with the devices of BASE/fido2 in name order,
 * through fido_dev_info_set() (path, manufacturer BG_VFIDO_MANUFACTURER,
 * product BG_VFIDO_PRODUCT, io bg_vfido_io(), no transport); *olen gets the
 * count. Removed devices are listed (open fails, as when a token is pulled
 * after enumeration) unless skip_removed. A missing BASE/fido2 gives 0.
 *
 * libfido2 1.12's fido_dev_new_with_info() copies the io functions but
 * marks them as HID-backed (io_own = false), so before opening call
 * fido_dev_set_io_functions(dev, bg_vfido_io()) on the new device (see
 * README.md).
 */
int bg_vfido_manifest(const char *base, fido_dev_info_t *devlist,
    size_t ilen, size_t *olen);
int bg_vfido_manifest_ex(const char *base, fido_dev_info_t *devlist,
    size_t ilen, size_t *olen, int skip_removed);

/*
 * Computes, independently of the CTAP path, HMAC-SHA-256(credRandom, salt)
 * for a credential id the device issued: credRandom is the one used with
 * user verification if uv != 0, else the one without. Knobs are ignored
 * (this is the value a correct device returns). Fails for an id the device
 * did not issue.
 */
int bg_vfido_expected_hmac(const char *base, const char *name,
    const unsigned char *cred_id, size_t cred_id_len, int uv,
    const unsigned char salt[32], unsigned char out[32]);

/* Number of user-presence touches the device has seen (all processes). */
int bg_vfido_touches(const char *base, const char *name, unsigned *n);

/* The device's signature counter (incremented once per assertion). */
int bg_vfido_counter(const char *base, const char *name, uint32_t *n);

/* PIN retries left (BG_VFIDO_MAX_RETRIES when no PIN is set). */
int bg_vfido_pin_retries(const char *base, const char *name, int *n);

/* The device's AAGUID. */
int bg_vfido_aaguid(const char *base, const char *name,
    unsigned char aaguid[16]);

/*
 * Creates the test CA of BASE if missing and writes the path of its
 * certificate (PEM), BASE/ca.pem, into buf.
 */
int bg_vfido_ca_path(const char *base, char *buf, size_t len);

/* Why the last failing call of this thread failed ("" if none). */
const char *bg_vfido_error(void);

#endif /* BG_VFIDO_H */
