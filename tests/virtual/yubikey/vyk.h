/*
 * vyk: software YubiKeys for tests (docs/design.md §8). Test-only; never linked
 * into the shipped binary.
 *
 * Each key is a directory $BASE/yubikey/<serial>/ holding a small text
 * state file (firmware, pgmSeq, both OTP slots, knobs, counters), read and
 * replaced atomically under flock(2), so a key programmed by one process
 * answers challenges in another. BASE is what tests export as
 * BG_VIRTUAL_DIR; libbgvyk.so (a fake libusb-1.0) shows one USB device per
 * key to the real, unmodified libykpers.
 *
 * Every key presents itself as a YubiKey 5 (VID 0x1050, PID 0x0407
 * OTP+FIDO+CCID, firmware 5.4.3) and speaks the OTP HID feature-report
 * protocol of ykcore: 8-byte reports, 70-byte frames with CRC16
 * (ISO 13239), status reads, SLOT_DEVICE_SERIAL, SLOT_CONFIG/SLOT_CONFIG2
 * (access codes honoured, zero config erases) and SLOT_CHAL_HMAC1/2 in
 * fixed 64-byte and variable-length (HMAC_LT64) mode, with or without
 * CHAL_BTN_TRIG (touch). A touch-required slot shows RESP_TIMEOUT_WAIT_FLAG
 * (the key blinks) before every answer, and the emulated person touches
 * on the next status read; a slot without CHAL_BTN_TRIG answers at once,
 * never showing the flag. So, as with a real key, only the wait flag tells
 * the two apart: yk_challenge_response(may_block=0) fails with
 * YK_EWOULDBLOCK on a touch-required slot (the wait is aborted untouched)
 * and answers on the other.
 *
 * Unmodified programs get the keys with
 *   LD_PRELOAD=.../libbgvyk.so BG_VIRTUAL_DIR=dir prog ...
 * libbgvyk.so is built without sanitizers; a program built with ASan needs
 * the ASan runtime first: LD_PRELOAD="$(cc -print-file-name=libasan.so):
 * .../libbgvyk.so". Test executables link the object library bg_vyk_usb
 * instead (no preload). BG_VYK_TRACE=1 logs every libusb call to stderr.
 *
 * Functions return BG_OK (0) or a negative BG_E* code (common/common.h)
 * unless said otherwise.
 */
#ifndef BG_VYK_H
#define BG_VYK_H

#include <stddef.h>

#define BG_VYK_VID		0x1050
#define BG_VYK_PID		0x0407	/* YK4_OTP_U2F_CCID_PID in ykdef.h */
#define BG_VYK_FW_MAJOR		5
#define BG_VYK_FW_MINOR		4
#define BG_VYK_FW_BUILD		3
#define BG_VYK_MAX_KEYS		32	/* keys shown at once, by serial */

/* Knobs (bg_vyk_set_knob), by name: */
/*
 * "no-touch": a touch-required slot never gets its touch; the key shows
 * RESP_TIMEOUT_WAIT_FLAG for BG_VYK_NO_TOUCH_MS, then gives up like a real
 * key at the end of its 15 s window (flag cleared, no response), so
 * yk_challenge_response(may_block=1) fails with YK_ETIMEOUT at once.
 */
#define BG_VYK_NO_TOUCH_MS	100
/*
 * "touch-delay": the touch comes BG_VYK_TOUCH_DELAY_MS after the challenge;
 * meanwhile the status byte carries RESP_TIMEOUT_WAIT_FLAG.
 */
#define BG_VYK_TOUCH_DELAY_MS	200
/*
 * "removed": the key is unplugged: not listed, open handles get
 * LIBUSB_ERROR_NO_DEVICE. "remove-next": unplugged right after it receives
 * its next challenge or configuration frame (the knob then turns into
 * "removed"). "short-response": challenge responses lose their last
 * report (21 of 22 bytes: CRC and length wrong).
 */

/* Counters kept in the state file. */
struct bg_vyk_stats {
	unsigned long challenges;	/* HMAC challenge frames received */
	unsigned long touches;		/* touches consumed by responses */
	unsigned long touch_waits;	/* operations that showed the wait flag */
	unsigned long timeouts;		/* touch waits that ran out */
};

/* What a key holds, for tests and the bg-vyk tool. */
struct bg_vyk_info {
	unsigned serial;
	unsigned char fw[3];		/* major, minor, build */
	unsigned pid;
	unsigned pgm_seq;
	int slot_valid[2];		/* slot 1 and 2 configured */
	int slot_hmac[2];		/* configured for HMAC-SHA1 chal-resp */
	int slot_touch[2];		/* CHAL_BTN_TRIG */
	int slot_lt64[2];		/* HMAC_LT64 */
	int slot_acc[2];		/* has an access code */
	unsigned knobs;			/* bit set, see bg_vyk_knob_names */
	struct bg_vyk_stats stats;
};

/*
 * The knob names, NULL-terminated, in bit order (bit i of
 * bg_vyk_info.knobs is bg_vyk_knob_names[i]). Static storage.
 */
extern const char *const bg_vyk_knob_names[];

/* $BG_VIRTUAL_DIR, or NULL when unset or empty. Not owned by the caller. */
const char *bg_vyk_base_env(void);

/*
 * Creates key <serial> (1..4294967295) under base/yubikey/, creating
 * base/yubikey when needed: no slot configured, pgmSeq 0, no knob.
 * BG_EEXIST when it exists.
 */
int bg_vyk_create(const char *base, unsigned serial);

/*
 * Programs slot 1 or 2 directly (fixtures), as ykpers would with
 * CHAL_RESP + CHAL_HMAC, HMAC_LT64 when lt64, CHAL_BTN_TRIG when touch,
 * no access code, and bumps pgmSeq like the key does. The key is copied.
 */
int bg_vyk_program_slot(const char *base, unsigned serial, int slot,
    const unsigned char key[20], int touch, int lt64);

/* Erases slot 1 or 2 (pgmSeq drops to 0 when no slot is left). */
int bg_vyk_erase_slot(const char *base, unsigned serial, int slot);

/* Turns a knob on or off; BG_EINVAL for an unknown name. */
int bg_vyk_set_knob(const char *base, unsigned serial, const char *knob,
    int on);

/*
 * The HMAC-SHA1 response the key gives for chal (len <= 64 bytes, sent
 * the way ykpers sends it: zero-padded to 64) on slot 1 or 2, computed
 * from the state file on its own code path: in HMAC_LT64 mode the last
 * byte and all equal bytes before it are padding and are not hashed; in
 * fixed mode all 64 bytes are. BG_ENOSLOT when the slot holds no HMAC
 * configuration.
 */
int bg_vyk_expected(const char *base, unsigned serial, int slot,
    const unsigned char *chal, size_t len, unsigned char out[20]);

/* Touches consumed so far (>= 0), or a negative BG_E* code. */
long bg_vyk_touches(const char *base, unsigned serial);

/* Fills *info from the state file. */
int bg_vyk_get_info(const char *base, unsigned serial,
    struct bg_vyk_info *info);

/*
 * Serials of the keys under base (removed ones included), ascending.
 * *n receives the count; BG_ETOOBIG when more than max.
 */
int bg_vyk_list(const char *base, unsigned *serials, size_t max, size_t *n);

#endif /* BG_VYK_H */
