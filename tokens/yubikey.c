/*
 * YubiKey driver over libykpers: HMAC-SHA1 challenge-response with a fixed
 * 64-byte challenge (slot 2 by default), keys found by serial number.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include <ykcore.h>
#include <ykdef.h>
#include <ykpers.h>
#include <ykstatus.h>

#include "common/common.h"
#include "tokens/internal.h"

#define YK_MAX_KEYS 16
#define YK_RESP_BUF 64		/* ykpers needs room beyond the 20 bytes */

static int
yk_ready(void)
{
	static int done;

	if (!done) {
		if (!yk_init()) {
			bg_set_why("libykpers could not start: %s",
			    yk_strerror(yk_errno));
			return BG_EDEVICE;
		}
		done = 1;
	}
	return BG_OK;
}

static int
yk_err(const char *what)
{
	int e = yk_errno;

	yk_errno = 0;
	switch (e) {
	case 0:	/* ykpers fails some reads without setting yk_errno */
		bg_set_why("%s: the YubiKey gave an unexpected answer", what);
		return BG_ERESPONSE;
	case YK_ENOKEY:
		return BG_ENODEV;
	case YK_ETIMEOUT:
		bg_set_why("%s: no touch in time", what);
		return BG_ETIMEOUT;
	case YK_EWRONGSIZ:
	case YK_ECHECKSUM:
	case YK_ENODATA:
		bg_set_why("%s: %s", what, yk_strerror(e));
		return BG_ERESPONSE;
	case YK_EUSBERR:
		bg_set_why("%s: USB: %s", what, yk_usb_strerror());
		return BG_EREMOVED;
	default:
		bg_set_why("%s: %s", what, yk_strerror(e));
		return BG_EDEVICE;
	}
}

static int
yk_serial(YK_KEY *yk, uint32_t *serial)
{
	unsigned int s = 0;

	if (!yk_get_serial(yk, 0, 0, &s))
		return yk_err("reading the serial number");
	*serial = (uint32_t)s;
	return BG_OK;
}

/* Opens the key with this serial (0: the only key). */
static int
yk_find(uint32_t serial, YK_KEY **out, uint32_t *found)
{
	YK_KEY *yk, *match = NULL;
	uint32_t s = 0;
	int i, seen = 0, r;

	*out = NULL;
	if ((r = yk_ready()) != BG_OK)
		return r;
	for (i = 0; i < YK_MAX_KEYS && (yk = yk_open_key(i)) != NULL; i++) {
		seen++;
		if (yk_serial(yk, &s) == BG_OK && match == NULL &&
		    (serial == 0 || s == serial)) {
			match = yk;
			*found = s;
		} else
			yk_close_key(yk);
	}
	if (match == NULL) {
		if (seen == 0)
			return BG_ENODEV;
		bg_set_why("YubiKey serial %u is not connected", (unsigned)serial);
		return BG_ESERIAL;
	}
	if (serial == 0 && seen > 1) {
		yk_close_key(match);
		bg_set_why("%d YubiKeys are connected: name one with --serial",
		    seen);
		return BG_EINVAL;
	}
	*out = match;
	return BG_OK;
}

static int
yk_status(YK_KEY *yk, YK_STATUS *st)
{
	if (!yk_get_status(yk, st))
		return yk_err("reading the status");
	return BG_OK;
}

static void
yk_model(const YK_STATUS *st, char *out, size_t outsz)
{
	snprintf(out, outsz, "YubiKey firmware %d.%d.%d",
	    ykds_version_major(st), ykds_version_minor(st),
	    ykds_version_build(st));
}

int
bg_yk_list(struct bg_token_dev **devs, size_t *n, size_t *cap)
{
	struct bg_token_dev d;
	YK_STATUS *st;
	YK_KEY *yk;
	int i, r = BG_OK;

	if (yk_ready() != BG_OK || (st = ykds_alloc()) == NULL)
		return BG_OK;	/* no YubiKey support: list none */
	for (i = 0; r == BG_OK && i < YK_MAX_KEYS &&
	    (yk = yk_open_key(i)) != NULL; i++) {
		memset(&d, 0, sizeof(d));
		d.kind = BG_TOKEN_YUBIKEY;
		if (yk_serial(yk, &d.serial) == BG_OK &&
		    yk_status(yk, st) == BG_OK) {
			yk_model(st, d.model, sizeof(d.model));
			r = bg_devs_push(devs, n, cap, &d);
		}
		yk_close_key(yk);
	}
	ykds_free(st);
	bg_clear_why();
	return r;
}

static int
slot_state(YK_KEY *yk, int slot, int *configured, char *model, size_t msz)
{
	YK_STATUS *st;
	int lvl, r;

	if ((st = ykds_alloc()) == NULL)
		return BG_ENOMEM;
	if ((r = yk_status(yk, st)) == BG_OK) {
		lvl = ykds_touch_level(st);
		*configured = (lvl & (slot == 1 ? CONFIG1_VALID : CONFIG2_VALID)) != 0;
		if (model != NULL)
			yk_model(st, model, msz);
	}
	ykds_free(st);
	return r;
}

static int
yk_configured(YK_KEY *yk, uint32_t serial, int slot)
{
	int configured, r;

	if ((r = slot_state(yk, slot, &configured, NULL, 0)) != BG_OK)
		return r;
	if (!configured) {
		bg_set_why("slot %d of YubiKey %u: program it with "
		    "'breakglass token program-yubikey'", slot, (unsigned)serial);
		return BG_ENOSLOT;
	}
	return BG_OK;
}

/* HMAC-SHA1 of the 64-byte challenge in slot; resp gets 20 bytes. */
static int
yk_respond(YK_KEY *yk, uint32_t serial, int slot, const uint8_t *chal,
    const struct bg_token_opts *o, uint8_t *resp, char *model, size_t msz)
{
	char msg[96];
	int configured, r;

	if ((r = slot_state(yk, slot, &configured, model, msz)) != BG_OK)
		return r;
	if (!configured)
		return yk_configured(yk, serial, slot);
	/* enrollment checked that the slot waits for a touch; at unlock the
	 * slot may have been reprogrammed since: "if it blinks" */
	snprintf(msg, sizeof(msg), "Touch YubiKey %u now if it blinks",
	    (unsigned)serial);
	bg_token_say(o, msg);
	yk_errno = 0;
	if (!yk_challenge_response(yk, slot == 1 ? SLOT_CHAL_HMAC1 :
	    SLOT_CHAL_HMAC2, 1, BG_TOKEN_YK_CHALLENGE_LEN, chal, YK_RESP_BUF,
	    resp))
		return yk_err("challenge-response");
	return BG_OK;
}

/*
 * Does the slot wait for a touch (CHAL_BTN_TRIG)? The configuration cannot
 * be read back, and touchLevel's CONFIGn_TOUCH bits say whether a slot
 * fires an OTP on touch, not this. What the key does show: while it waits
 * for the button it sets RESP_TIMEOUT_WAIT_FLAG in its status byte, before
 * any answer. ykcore's non-blocking mode (may_block = 0) stops there with
 * YK_EWOULDBLOCK and aborts the wait (yk_force_key_update: nothing is
 * answered, the blinking stops); a slot that needs no touch answers the
 * same call. The challenge is a throwaway random one, never the
 * enrollment's, and its answer is wiped.
 */
static int
yk_check_touch(YK_KEY *yk, uint32_t serial, int slot)
{
	uint8_t chal[BG_TOKEN_YK_CHALLENGE_LEN], *resp;
	int ok, r = BG_OK;

	if (RAND_bytes(chal, sizeof(chal)) != 1)
		return BG_ECRYPTO;
	if ((resp = bg_secure_alloc(YK_RESP_BUF)) == NULL)
		return BG_ENOMEM;
	yk_errno = 0;
	ok = yk_challenge_response(yk, slot == 1 ? SLOT_CHAL_HMAC1 :
	    SLOT_CHAL_HMAC2, 0, sizeof(chal), chal, YK_RESP_BUF, resp);
	if (ok) {
		bg_set_why("slot %d of YubiKey %u answers without a touch: "
		    "reprogram it with 'breakglass token program-yubikey "
		    "--force' (touch required)", slot, (unsigned)serial);
		r = BG_ENOUP;
	} else if (yk_errno == YK_EWOULDBLOCK)
		yk_errno = 0;
	else
		r = yk_err("checking that the slot needs a touch");
	bg_secure_free(&resp, YK_RESP_BUF);
	return r;
}

static int
yk_slot(const struct bg_token_opts *o)
{
	return o->slot == 0 ? 2 : o->slot;
}

int
bg_yk_enroll(const struct bg_token_opts *o, bg_token_desc_t **desc)
{
	uint8_t *resp = NULL;
	bg_token_desc_t *d = NULL;
	YK_KEY *yk = NULL;
	int r = BG_EINVAL;

	if (o->slot != 0 && o->slot != 1 && o->slot != 2)
		return BG_EINVAL;
	if ((d = bg_desc_new(BG_TOKEN_YUBIKEY)) == NULL ||
	    (resp = bg_secure_alloc(YK_RESP_BUF)) == NULL) {
		r = BG_ENOMEM;
		goto out;
	}
	d->slot = yk_slot(o);
	if (RAND_bytes(d->challenge, sizeof(d->challenge)) != 1) {
		r = BG_ECRYPTO;
		goto out;
	}
	if ((r = yk_find(o->serial, &yk, &d->serial)) != BG_OK ||
	    (r = yk_configured(yk, d->serial, d->slot)) != BG_OK ||
	    (r = yk_check_touch(yk, d->serial, d->slot)) != BG_OK ||
	    (r = yk_respond(yk, d->serial, d->slot, d->challenge, o, resp,
	    d->model, sizeof(d->model))) != BG_OK ||
	    (r = bg_desc_set_secret(d, resp, SHA1_DIGEST_SIZE)) != BG_OK)
		goto out;
	*desc = d;
	d = NULL;
out:
	if (yk != NULL)
		yk_close_key(yk);
	bg_secure_free(&resp, YK_RESP_BUF);
	bg_token_desc_free(&d);
	return r;
}

int
bg_yk_unlock(const bg_token_desc_t *d, const struct bg_token_opts *o,
    bg_token_key_t **key)
{
	uint8_t *resp;
	uint32_t serial;
	YK_KEY *yk = NULL;
	int r;

	if ((resp = bg_secure_alloc(YK_RESP_BUF)) == NULL)
		return BG_ENOMEM;
	if ((r = yk_find(d->serial, &yk, &serial)) == BG_OK &&
	    (r = yk_respond(yk, serial, d->slot, d->challenge, o, resp, NULL,
	    0)) == BG_OK)
		r = bg_desc_key(d, resp, SHA1_DIGEST_SIZE, key);
	if (yk != NULL)
		yk_close_key(yk);
	bg_secure_free(&resp, YK_RESP_BUF);
	return r;
}

/* ------------------------------------------------------------- program */

static int
yk_config(YK_KEY *yk, int slot, const uint8_t *secret, YKP_CONFIG **cfgp)
{
	YK_STATUS *st = ykds_alloc();
	YKP_CONFIG *cfg = ykp_alloc();
	int r = BG_ENOMEM;

	*cfgp = NULL;
	if (st == NULL || cfg == NULL || (r = yk_status(yk, st)) != BG_OK)
		goto out;
	ykp_configure_version(cfg, st);
	r = BG_EDEVICE;
	if (!ykp_configure_command(cfg, slot == 1 ? SLOT_CONFIG : SLOT_CONFIG2) ||
	    !ykp_set_tktflag_CHAL_RESP(cfg, true) ||
	    !ykp_set_cfgflag_CHAL_HMAC(cfg, true) ||
	    !ykp_set_cfgflag_HMAC_LT64(cfg, true) ||
	    !ykp_set_cfgflag_CHAL_BTN_TRIG(cfg, true) ||
	    !ykp_set_extflag_SERIAL_API_VISIBLE(cfg, true) ||
	    ykp_HMAC_key_from_raw(cfg, (const char *)secret) != 0) {
		bg_set_why("building the slot configuration: %s",
		    ykp_strerror(ykp_errno));
		goto out;
	}
	*cfgp = cfg;
	cfg = NULL;
	r = BG_OK;
out:
	ykds_free(st);
	if (cfg != NULL)
		ykp_free_config(cfg);
	return r;
}

static int
yk_write(YK_KEY *yk, int slot, const uint8_t *secret)
{
	static const char zero[SHA1_DIGEST_SIZE];
	YKP_CONFIG *cfg = NULL;
	int r;

	if ((r = yk_config(yk, slot, secret, &cfg)) != BG_OK)
		return r;

	yk_errno = 0;
	if (!yk_write_command(yk, ykp_core_config(cfg), (uint8_t)
	    ykp_command(cfg), NULL))
		r = yk_err("writing the slot");
	/* ykp_free_config() does not wipe: overwrite the key first */
	ykp_HMAC_key_from_raw(cfg, zero);
	ykp_free_config(cfg);
	return r;
}

int
bg_token_yk_program(const struct bg_token_opts *o, int force)
{
	uint8_t *secret = NULL;
	uint32_t serial;
	YK_KEY *yk = NULL;
	int slot, configured, r;

	bg_clear_why();
	if (o == NULL || (o->slot != 0 && o->slot != 1 && o->slot != 2))
		return BG_EINVAL;
	slot = yk_slot(o);
	if ((r = yk_find(o->serial, &yk, &serial)) != BG_OK ||
	    (r = slot_state(yk, slot, &configured, NULL, 0)) != BG_OK)
		goto out;
	if (configured && !force) {
		bg_set_why("slot %d of YubiKey %u is already configured; "
		    "--force overwrites it (its old secret is lost)", slot,
		    (unsigned)serial);
		r = BG_EEXIST;
		goto out;
	}
	r = BG_ENOMEM;
	if ((secret = bg_secure_alloc(SHA1_DIGEST_SIZE)) == NULL)
		goto out;
	r = BG_ECRYPTO;
	if (RAND_bytes(secret, SHA1_DIGEST_SIZE) != 1)
		goto out;
	r = yk_write(yk, slot, secret);
out:
	bg_secure_free(&secret, SHA1_DIGEST_SIZE);
	if (yk != NULL)
		yk_close_key(yk);
	return r;
}
