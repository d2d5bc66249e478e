/*
 * vyk C API for tests and the bg-vyk tool (vyk.h): fixtures written
 * straight into the state, knobs, counters, and the expected HMAC-SHA1
 * response computed apart from the emulator.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "common/common.h"
#include "vyk_lcl.h"

const char *
bg_vyk_base_env(void)
{
	const char *b = getenv("BG_VIRTUAL_DIR");

	return b != NULL && *b != '\0' ? b : NULL;
}

int
bg_vyk_create(const char *base, unsigned serial)
{
	struct vyk_state st;

	if (serial == 0)
		return BG_EINVAL;
	vyk_state_init(&st, serial);
	return vyk_store_create(base, &st);
}

struct prog_arg {
	int idx;
	const unsigned char *key;	/* NULL: erase */
	int touch, lt64;
};

static int
program(struct vyk_state *st, void *arg)
{
	const struct prog_arg *a = arg;
	struct vyk_slot *s = &st->slot[a->idx];

	OPENSSL_cleanse(s, sizeof(*s));
	if (a->key != NULL) {
		s->valid = 1;
		memcpy(s->key, a->key, VYK_KEY_SIZE);
		s->tkt = VYK_TKT_CHAL_RESP;
		s->cfg = VYK_CFG_CHAL_HMAC;
		if (a->lt64)
			s->cfg |= VYK_CFG_HMAC_LT64;
		if (a->touch)
			s->cfg |= VYK_CFG_BTN_TRIG;
	}
	if (!st->slot[0].valid && !st->slot[1].valid)
		st->pgm_seq = 0;
	else
		st->pgm_seq = st->pgm_seq >= 255 ? 1 : st->pgm_seq + 1;
	return 1;
}

int
bg_vyk_program_slot(const char *base, unsigned serial, int slot,
    const unsigned char key[20], int touch, int lt64)
{
	struct prog_arg a = { slot - 1, key, touch, lt64 };

	if ((slot != 1 && slot != 2) || key == NULL)
		return BG_EINVAL;
	return vyk_store_update(base, serial, program, &a, NULL);
}

int
bg_vyk_erase_slot(const char *base, unsigned serial, int slot)
{
	struct prog_arg a = { slot - 1, NULL, 0, 0 };

	if (slot != 1 && slot != 2)
		return BG_EINVAL;
	return vyk_store_update(base, serial, program, &a, NULL);
}

struct knob_arg {
	unsigned bit;
	int on;
};

static int
set_knob(struct vyk_state *st, void *arg)
{
	const struct knob_arg *a = arg;

	if (a->on)
		st->knobs |= a->bit;
	else
		st->knobs &= ~a->bit;
	return 1;
}

int
bg_vyk_set_knob(const char *base, unsigned serial, const char *knob, int on)
{
	struct knob_arg a;

	if (knob == NULL || (a.bit = vyk_knob_bit(knob)) == 0)
		return BG_EINVAL;
	a.on = on != 0;
	return vyk_store_update(base, serial, set_knob, &a, NULL);
}

/* HMAC-SHA1 through an EVP_MAC context (the emulator uses EVP_Q_mac). */
static int
hmac_sha1(const uint8_t *key, const uint8_t *msg, size_t len,
    uint8_t out[20])
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac;
	size_t outlen = 0;
	int r = BG_ECRYPTO;

	if ((mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL)) == NULL)
		return BG_ECRYPTO;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA1", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_MAC_CTX_new(mac)) != NULL &&
	    EVP_MAC_init(ctx, key, VYK_KEY_SIZE, params) == 1 &&
	    EVP_MAC_update(ctx, msg, len) == 1 &&
	    EVP_MAC_final(ctx, out, &outlen, 20) == 1 && outlen == 20)
		r = BG_OK;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return r;
}

int
bg_vyk_expected(const char *base, unsigned serial, int slot,
    const unsigned char *chal, size_t len, unsigned char out[20])
{
	struct vyk_state st;
	const struct vyk_slot *s;
	uint8_t msg[VYK_PAYLOAD];
	size_t n = VYK_PAYLOAD;
	int r;

	if ((slot != 1 && slot != 2) || len > VYK_PAYLOAD ||
	    (chal == NULL && len > 0))
		return BG_EINVAL;
	if ((r = vyk_store_load(base, serial, &st)) != BG_OK)
		return r;
	s = &st.slot[slot - 1];
	if (!s->valid || !(s->tkt & VYK_TKT_CHAL_RESP) ||
	    (s->cfg & VYK_CFG_CHAL_HMAC) != VYK_CFG_CHAL_HMAC) {
		r = BG_ENOSLOT;
		goto out;
	}
	/* ykcore sends the challenge zero-padded to the 64-byte payload. */
	memset(msg, 0, sizeof(msg));
	if (len > 0)
		memcpy(msg, chal, len);
	if (s->cfg & VYK_CFG_HMAC_LT64) {
		/* Variable length: byte 64 marks padding, and so does every
		 * byte equal to it that precedes it without a gap. */
		uint8_t pad = msg[VYK_PAYLOAD - 1];

		for (n = VYK_PAYLOAD; n > 0 && msg[n - 1] == pad; n--)
			;
	}
	r = hmac_sha1(s->key, msg, n, out);
out:
	OPENSSL_cleanse(&st, sizeof(st));
	OPENSSL_cleanse(msg, sizeof(msg));
	return r;
}

int
bg_vyk_get_info(const char *base, unsigned serial, struct bg_vyk_info *info)
{
	struct vyk_state st;
	int r, i;

	if (info == NULL)
		return BG_EINVAL;
	memset(info, 0, sizeof(*info));
	if ((r = vyk_store_load(base, serial, &st)) != BG_OK)
		return r;
	info->serial = st.serial;
	memcpy(info->fw, st.fw, sizeof(info->fw));
	info->pid = st.pid;
	info->pgm_seq = st.pgm_seq;
	for (i = 0; i < 2; i++) {
		const struct vyk_slot *s = &st.slot[i];
		uint8_t zero[VYK_ACC_SIZE] = { 0 };

		info->slot_valid[i] = s->valid;
		info->slot_hmac[i] = vyk_slot_is_hmac(s);
		info->slot_touch[i] = s->valid &&
		    (s->cfg & VYK_CFG_BTN_TRIG) != 0;
		info->slot_lt64[i] = s->valid &&
		    (s->cfg & VYK_CFG_HMAC_LT64) != 0;
		info->slot_acc[i] = s->valid &&
		    memcmp(s->acc, zero, sizeof(zero)) != 0;
	}
	info->knobs = st.knobs;
	info->stats = st.stats;
	OPENSSL_cleanse(&st, sizeof(st));
	return BG_OK;
}

long
bg_vyk_touches(const char *base, unsigned serial)
{
	struct bg_vyk_info info;
	int r;

	if ((r = bg_vyk_get_info(base, serial, &info)) != BG_OK)
		return r;
	return (long)info.stats.touches;
}

int
bg_vyk_list(const char *base, unsigned *serials, size_t max, size_t *n)
{
	if (serials == NULL || n == NULL)
		return BG_EINVAL;
	return vyk_store_list(base, serials, max, n);
}
