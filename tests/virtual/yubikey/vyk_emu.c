/*
 * vyk emulator: the OTP application of a YubiKey behind HID feature
 * reports, as ykcore (yubikey-personalization 1.20, ykcore/ykcore.c)
 * drives it.
 *
 * Host to key: a 70-byte frame (64 payload, command, CRC16 of the payload
 * little-endian, 3 filler) in 10 SET_REPORTs of 7 data bytes plus a byte
 * SLOT_WRITE_FLAG | seq; all-zero middle parts are skipped, so a frame
 * starts at seq 0 and completes at seq 9. DUMMY_REPORT_WRITE (0x8f) resets
 * read-out (yk_force_key_update).
 *
 * Key to host: GET_REPORT gives the status (byte 0 reserved, then
 * versionMajor, versionMinor, versionBuild, pgmSeq, touchLevel LE) with
 * status byte 0; while a touch is awaited, RESP_TIMEOUT_WAIT_FLAG plus the
 * seconds left; a response as 7-byte parts flagged RESP_PENDING_FLAG | n,
 * n counting from 0, and after the last part RESP_PENDING_FLAG | 0 again,
 * which ykcore takes as the end. ykcore 1.20 then checks the CRC over
 * expect+2 bytes and that it read exactly round7(expect+2) bytes.
 *
 * A command the key cannot answer (challenge to a slot without HMAC
 * configuration) leaves the status as it was: ykcore polls for
 * RESP_PENDING_FLAG for 1 s and fails with YK_ETIMEOUT, as with a real
 * key. A touch that never comes: the key clears the wait flag without a
 * response when its window ends, and ykcore stops with YK_ETIMEOUT.
 *
 * A slot with CHAL_BTN_TRIG always shows RESP_TIMEOUT_WAIT_FLAG before it
 * answers, as a real key does while it blinks; a slot without it answers
 * at once and never shows the flag. That is the only sign of the touch
 * requirement a host gets (touchLevel's CONFIGn_TOUCH bits are about OTP
 * slots), and ykcore turns it into YK_EWOULDBLOCK when called with
 * may_block=0: its wait loop sees the flag, sends DUMMY_REPORT_WRITE
 * (which ends the wait here, unanswered and untouched) and gives up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "common/common.h"
#include "vyk_lcl.h"

#define CHAL_WINDOW_S	15	/* DEFAULT_CHAL_TIMEOUT of ykdef.h */
#define RESP_MAX	28	/* 20-byte HMAC + CRC, in 4 parts of 7 */

enum mode { M_IDLE, M_WAIT, M_RESP };
/*
 * T_NOW: no touch needed (no CHAL_BTN_TRIG). T_SOON: the person touches as
 * soon as the key blinks: the status shows RESP_TIMEOUT_WAIT_FLAG once,
 * and the touch comes on the next status read (a real key never answers a
 * touch-required slot before it has shown the flag). T_DELAY, T_NEVER:
 * the knobs.
 */
enum touch { T_NOW, T_SOON, T_DELAY, T_NEVER };

struct vyk_dev {
	char base[BG_PATH_MAX];
	unsigned serial;
	uint8_t frame[VYK_FRAME_SIZE];
	int in_frame;		/* seq 0 seen, frame not complete */
	unsigned last_seq;
	enum mode mode;
	enum touch touch;
	long long wait_start;	/* ms, CLOCK_MONOTONIC */
	int waited;		/* wait flag shown during this operation */
	uint8_t resp[RESP_MAX];
	unsigned resp_parts;	/* parts to send */
	unsigned resp_next;	/* next part to send */
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* Appends ~CRC16 little-endian, as the key does after every response. */
static void
put_crc(uint8_t *p, size_t n)
{
	uint16_t crc = (uint16_t)~vyk_crc16(p, n);

	p[n] = (uint8_t)(crc & 0xff);
	p[n + 1] = (uint8_t)(crc >> 8);
}

static void
reset_readout(struct vyk_dev *dev)
{
	dev->mode = M_IDLE;
	dev->resp_parts = dev->resp_next = 0;
	dev->waited = 0;
	OPENSSL_cleanse(dev->resp, sizeof(dev->resp));
}

/* Loads the state; a vanished directory is an unplugged key. */
static int
load(struct vyk_dev *dev, struct vyk_state *st)
{
	int r = vyk_store_load(dev->base, dev->serial, st);

	if (r == BG_ENOENT)
		return BG_EREMOVED;
	if (r == BG_OK && (st->knobs & VYK_KNOB_REMOVED))
		r = BG_EREMOVED;
	if (r != BG_OK)
		OPENSSL_cleanse(st, sizeof(*st));
	return r;
}

/* ------------------------------------------------------------ counters */

enum counter { C_TOUCH, C_WAIT, C_TIMEOUT };

static int
bump(struct vyk_state *st, void *arg)
{
	switch (*(enum counter *)arg) {
	case C_TOUCH:
		st->stats.touches++;
		break;
	case C_WAIT:
		st->stats.touch_waits++;
		break;
	case C_TIMEOUT:
		st->stats.timeouts++;
		break;
	}
	return 1;
}

static int
count(struct vyk_dev *dev, enum counter c)
{
	return vyk_store_update(dev->base, dev->serial, bump, &c, NULL);
}

/* ---------------------------------------------------------- commands */

struct cfg_arg {
	const uint8_t *frame;
	int idx;
};

/* Unplugs the key if "remove-next" is armed; 1 when it did. */
static int
remove_now(struct vyk_state *st)
{
	if (!(st->knobs & VYK_KNOB_REMOVE_NEXT))
		return 0;
	st->knobs = (st->knobs & ~VYK_KNOB_REMOVE_NEXT) | VYK_KNOB_REMOVED;
	return 1;
}

static void
next_pgm_seq(struct vyk_state *st)
{
	/* Both slots erased: pgmSeq 0 (ykcore _yk_write relies on it). */
	if (!st->slot[0].valid && !st->slot[1].valid)
		st->pgm_seq = 0;
	else
		st->pgm_seq = st->pgm_seq >= 255 ? 1 : st->pgm_seq + 1;
}

/*
 * SLOT_CONFIG/SLOT_CONFIG2: payload = struct config_st (52 bytes) and the
 * current access code (6). A rejected write leaves pgmSeq alone, which
 * ykcore reports as YK_EWRITEERR.
 */
static int
apply_config(struct vyk_state *st, void *arg)
{
	const struct cfg_arg *a = arg;
	const uint8_t *cfg = a->frame, *cur_acc = a->frame + VYK_CFG_SIZE;
	struct vyk_slot *s = &st->slot[a->idx];

	if (remove_now(st))
		return 1;
	if (s->valid && !all_zero(s->acc, VYK_ACC_SIZE) &&
	    CRYPTO_memcmp(s->acc, cur_acc, VYK_ACC_SIZE) != 0)
		return 0;	/* wrong access code */
	if (all_zero(cfg, VYK_CFG_SIZE)) {
		OPENSSL_cleanse(s, sizeof(*s));	/* erase */
	} else {
		if (vyk_crc16(cfg, VYK_CFG_SIZE) != VYK_CRC_OK)
			return 0;
		/* fixed[16] uid[6] key[16] accCode[6] fixedSize extFlags
		 * tktFlags cfgFlags rfu[2] crc: HMAC key = key || uid[0..3] */
		s->valid = 1;
		memcpy(s->key, cfg + 22, 16);
		memcpy(s->key + 16, cfg + 16, 4);
		memcpy(s->acc, cfg + 38, VYK_ACC_SIZE);
		s->ext = cfg[45];
		s->tkt = cfg[46];
		s->cfg = cfg[47];
	}
	next_pgm_seq(st);
	return 1;
}

struct chal_arg {
	const uint8_t *chal;
	int idx;
	int answer;		/* slot can answer */
	enum touch touch;
	int short_resp;
	uint8_t resp[VYK_KEY_SIZE + 2];
};

static int
challenge(struct vyk_state *st, void *arg)
{
	struct chal_arg *a = arg;
	const struct vyk_slot *s = &st->slot[a->idx];
	int r;

	if (remove_now(st))
		return 1;
	st->stats.challenges++;
	if (!vyk_slot_is_hmac(s))
		return 1;	/* no answer at all */
	if ((r = vyk_hmac(s, a->chal, a->resp)) != BG_OK)
		return r;
	put_crc(a->resp, VYK_KEY_SIZE);
	a->answer = 1;
	a->short_resp = (st->knobs & VYK_KNOB_SHORT_RESP) != 0;
	a->touch = T_NOW;
	if (s->cfg & VYK_CFG_BTN_TRIG) {
		if (st->knobs & VYK_KNOB_NO_TOUCH)
			a->touch = T_NEVER;
		else if (st->knobs & VYK_KNOB_TOUCH_DELAY)
			a->touch = T_DELAY;
		else
			a->touch = T_SOON;
	}
	return 1;
}

static int
do_challenge(struct vyk_dev *dev, int idx)
{
	struct chal_arg a;
	int r;

	memset(&a, 0, sizeof(a));
	a.chal = dev->frame;
	a.idx = idx;
	r = vyk_store_update(dev->base, dev->serial, challenge, &a, NULL);
	if (r == BG_OK && a.answer) {
		memcpy(dev->resp, a.resp, sizeof(a.resp));
		/* 22 bytes in 4 parts; "short-response" drops the last. */
		dev->resp_parts = a.short_resp ? 3 : 4;
		dev->resp_next = 0;
		dev->touch = a.touch;
		dev->wait_start = now_ms();
		dev->mode = a.touch == T_NOW ? M_RESP : M_WAIT;
	}
	OPENSSL_cleanse(&a, sizeof(a));
	return r;
}

static void
do_serial(struct vyk_dev *dev)
{
	/* Big-endian, unlike everything else (ykcore yk_get_serial). */
	dev->resp[0] = (uint8_t)(dev->serial >> 24);
	dev->resp[1] = (uint8_t)(dev->serial >> 16);
	dev->resp[2] = (uint8_t)(dev->serial >> 8);
	dev->resp[3] = (uint8_t)dev->serial;
	put_crc(dev->resp, 4);
	dev->resp_parts = 1;
	dev->resp_next = 0;
	dev->mode = M_RESP;
}

static int
process_frame(struct vyk_dev *dev)
{
	uint16_t crc = (uint16_t)(dev->frame[VYK_PAYLOAD + 1] |
	    dev->frame[VYK_PAYLOAD + 2] << 8);
	struct cfg_arg ca;

	if (vyk_crc16(dev->frame, VYK_PAYLOAD) != crc)
		return BG_OK;	/* a real key ignores a bad frame */
	switch (dev->frame[VYK_PAYLOAD]) {
	case VYK_SLOT_CONFIG:
	case VYK_SLOT_CONFIG2:
		ca.frame = dev->frame;
		ca.idx = dev->frame[VYK_PAYLOAD] == VYK_SLOT_CONFIG ? 0 : 1;
		return vyk_store_update(dev->base, dev->serial, apply_config,
		    &ca, NULL);
	case VYK_SLOT_SERIAL:
		do_serial(dev);
		return BG_OK;
	case VYK_SLOT_CHAL_HMAC1:
		return do_challenge(dev, 0);
	case VYK_SLOT_CHAL_HMAC2:
		return do_challenge(dev, 1);
	default:
		return BG_OK;	/* not emulated: no answer */
	}
}

/* ------------------------------------------------------------ reports */

int
vyk_dev_set_report(struct vyk_dev *dev, const uint8_t rpt[VYK_RPT_SIZE])
{
	struct vyk_state st;
	uint8_t flag = rpt[VYK_RPT_DATA];
	unsigned seq;
	int r;

	if ((r = load(dev, &st)) != BG_OK)
		return r;
	OPENSSL_cleanse(&st, sizeof(st));
	if (flag == VYK_DUMMY_REPORT) {
		reset_readout(dev);	/* ends read-out, aborts a touch wait */
		return BG_OK;
	}
	seq = flag & VYK_SEQ_MASK;
	if (!(flag & VYK_SLOT_WRITE_FLAG) || seq >= VYK_FRAME_REPORTS)
		return BG_OK;
	if (seq == 0) {
		reset_readout(dev);	/* a new command */
		OPENSSL_cleanse(dev->frame, sizeof(dev->frame));
		dev->in_frame = 1;
	} else if (!dev->in_frame || seq <= dev->last_seq) {
		return BG_OK;	/* out of order: dropped */
	}
	memcpy(dev->frame + seq * VYK_RPT_DATA, rpt, VYK_RPT_DATA);
	dev->last_seq = seq;
	if (seq < VYK_FRAME_REPORTS - 1)
		return BG_OK;
	dev->in_frame = 0;
	r = process_frame(dev);
	OPENSSL_cleanse(dev->frame, sizeof(dev->frame));
	return r;
}

static void
status_report(const struct vyk_state *st, uint8_t rpt[VYK_RPT_SIZE])
{
	unsigned touch = 0;

	if (st->slot[0].valid)
		touch |= VYK_CONFIG1_VALID;
	if (st->slot[1].valid)
		touch |= VYK_CONFIG2_VALID;
	/* CONFIGn_TOUCH: the slot fires on a touch (not chal-resp only). */
	if (st->slot[0].valid && !(st->slot[0].tkt & VYK_TKT_CHAL_RESP))
		touch |= VYK_CONFIG1_TOUCH;
	if (st->slot[1].valid && !(st->slot[1].tkt & VYK_TKT_CHAL_RESP))
		touch |= VYK_CONFIG2_TOUCH;
	rpt[0] = 0;
	rpt[1] = st->fw[0];
	rpt[2] = st->fw[1];
	rpt[3] = st->fw[2];
	rpt[4] = (uint8_t)st->pgm_seq;
	rpt[5] = (uint8_t)touch;
	rpt[6] = 0;
	rpt[7] = 0;
}

/* Advances a touch wait: the touch comes, or the window ends. */
static int
step_wait(struct vyk_dev *dev)
{
	long long el = now_ms() - dev->wait_start;

	if ((dev->touch == T_SOON && dev->waited) ||
	    (dev->touch == T_DELAY && el >= BG_VYK_TOUCH_DELAY_MS)) {
		dev->mode = M_RESP;
		return count(dev, C_TOUCH);
	}
	if (dev->touch == T_NEVER && el >= BG_VYK_NO_TOUCH_MS) {
		reset_readout(dev);
		return count(dev, C_TIMEOUT);
	}
	return BG_OK;
}

int
vyk_dev_get_report(struct vyk_dev *dev, uint8_t rpt[VYK_RPT_SIZE])
{
	struct vyk_state st;
	long long left;
	int r;

	if ((r = load(dev, &st)) != BG_OK)
		return r;
	if (dev->mode == M_WAIT && (r = step_wait(dev)) != BG_OK)
		goto out;
	status_report(&st, rpt);
	if (dev->mode == M_WAIT) {
		left = CHAL_WINDOW_S - (now_ms() - dev->wait_start) / 1000;
		rpt[7] = (uint8_t)(VYK_RESP_WAIT | (left < 1 ? 1 : left));
		if (!dev->waited) {
			dev->waited = 1;
			r = count(dev, C_WAIT);
		}
	} else if (dev->mode == M_RESP) {
		memset(rpt, 0, VYK_RPT_DATA);
		if (dev->resp_next < dev->resp_parts) {
			memcpy(rpt, dev->resp + dev->resp_next * VYK_RPT_DATA,
			    VYK_RPT_DATA);
			rpt[7] = (uint8_t)(VYK_RESP_PENDING | dev->resp_next);
			dev->resp_next++;
		} else {
			rpt[7] = VYK_RESP_PENDING;	/* sequence back to 0 */
		}
	}
out:
	OPENSSL_cleanse(&st, sizeof(st));
	return r;
}

/* ------------------------------------------------------------- handle */

int
vyk_dev_open(const char *base, unsigned serial, struct vyk_dev **out)
{
	struct vyk_dev *dev;
	struct vyk_state st;
	int n, r;

	*out = NULL;
	if ((dev = calloc(1, sizeof(*dev))) == NULL)
		return BG_ENOMEM;
	n = snprintf(dev->base, sizeof(dev->base), "%s", base);
	if (n < 0 || (size_t)n >= sizeof(dev->base)) {
		free(dev);
		return BG_ETOOBIG;
	}
	dev->serial = serial;
	if ((r = vyk_store_load(base, serial, &st)) == BG_OK &&
	    (st.knobs & VYK_KNOB_REMOVED))
		r = BG_EREMOVED;
	OPENSSL_cleanse(&st, sizeof(st));
	if (r != BG_OK) {
		free(dev);
		return r;
	}
	*out = dev;
	return BG_OK;
}

void
vyk_dev_close(struct vyk_dev **devp)
{
	if (devp == NULL || *devp == NULL)
		return;
	OPENSSL_clear_free(*devp, sizeof(**devp));
	*devp = NULL;
}

int
vyk_dev_present(struct vyk_dev *dev)
{
	struct vyk_state st;
	int r = load(dev, &st);

	OPENSSL_cleanse(&st, sizeof(st));
	return r;
}
