/*
 * vyk internals shared by the state store, the emulator, the C API and
 * the fake libusb. Not for tests: they use vyk.h and libykpers.
 */
#ifndef BG_VYK_LCL_H
#define BG_VYK_LCL_H

#include <stddef.h>
#include <stdint.h>

#include "vyk.h"

/* ykdef.h values, restated so the emulator does not depend on ykpers. */
#define VYK_RPT_SIZE		8	/* feature report */
#define VYK_RPT_DATA		7	/* data bytes per report */
#define VYK_FRAME_SIZE		70	/* payload 64, slot, crc 2, filler 3 */
#define VYK_PAYLOAD		64
#define VYK_FRAME_REPORTS	10	/* VYK_FRAME_SIZE / VYK_RPT_DATA */
#define VYK_CFG_SIZE		52	/* struct config_st */
#define VYK_ACC_SIZE		6
#define VYK_KEY_SIZE		20
#define VYK_CRC_OK		0xf0b8	/* CRC16 residual (YK_CRC_OK_RESIDUAL) */

#define VYK_SLOT_CONFIG		0x01
#define VYK_SLOT_CONFIG2	0x03
#define VYK_SLOT_SERIAL		0x10
#define VYK_SLOT_CHAL_HMAC1	0x30
#define VYK_SLOT_CHAL_HMAC2	0x38

#define VYK_SLOT_WRITE_FLAG	0x80
#define VYK_RESP_PENDING	0x40
#define VYK_RESP_WAIT		0x20
#define VYK_DUMMY_REPORT	0x8f
#define VYK_SEQ_MASK		0x1f

#define VYK_TKT_CHAL_RESP	0x40
#define VYK_CFG_CHAL_HMAC	0x22
#define VYK_CFG_HMAC_LT64	0x04
#define VYK_CFG_BTN_TRIG	0x08

#define VYK_CONFIG1_VALID	0x01
#define VYK_CONFIG2_VALID	0x02
#define VYK_CONFIG1_TOUCH	0x04
#define VYK_CONFIG2_TOUCH	0x08

/* Knob bits, in the order of bg_vyk_knob_names. */
#define VYK_KNOB_NO_TOUCH	0x01u
#define VYK_KNOB_TOUCH_DELAY	0x02u
#define VYK_KNOB_REMOVED	0x04u
#define VYK_KNOB_REMOVE_NEXT	0x08u
#define VYK_KNOB_SHORT_RESP	0x10u
#define VYK_KNOB_ALL		0x1fu

struct vyk_slot {
	int valid;
	uint8_t key[VYK_KEY_SIZE];	/* config key (16) || uid[0..3] */
	uint8_t acc[VYK_ACC_SIZE];	/* access code, zeros when none */
	uint8_t ext, tkt, cfg;		/* extFlags, tktFlags, cfgFlags */
};

struct vyk_state {
	unsigned serial;
	uint8_t fw[3];
	unsigned pid;
	unsigned pgm_seq;
	struct vyk_slot slot[2];
	unsigned knobs;
	struct bg_vyk_stats stats;
};

/* CRC16 of ykcore (ISO 13239, init 0xffff, reflected poly 0x8408). */
uint16_t vyk_crc16(const uint8_t *p, size_t n);

/* base/yubikey/<serial> into out. */
int vyk_key_dir(char *out, size_t outsz, const char *base, unsigned serial);

/* Fresh state of a new key. */
void vyk_state_init(struct vyk_state *st, unsigned serial);

/* Creates the key directory and its first state; BG_EEXIST if present. */
int vyk_store_create(const char *base, const struct vyk_state *st);

/* Reads a key's state under a shared lock; BG_ENOENT when absent. */
int vyk_store_load(const char *base, unsigned serial, struct vyk_state *st);

/*
 * Reads, lets fn change the state, and replaces the file, all under an
 * exclusive lock. fn returns 1 to save, 0 to leave the file alone, or a
 * negative BG_E* code (nothing saved, returned as is). Returns BG_OK or a
 * negative code. st (optional) receives the final state.
 */
int vyk_store_update(const char *base, unsigned serial,
    int (*fn)(struct vyk_state *, void *), void *arg, struct vyk_state *st);

/* Serials of the keys under base, ascending (see bg_vyk_list). */
int vyk_store_list(const char *base, unsigned *serials, size_t max,
    size_t *n);

/* Slot has HMAC-SHA1 challenge-response configured. */
int vyk_slot_is_hmac(const struct vyk_slot *s);

/*
 * HMAC-SHA1 as the key computes it over a 64-byte challenge payload
 * (HMAC_LT64: trailing bytes equal to the last one are padding).
 */
int vyk_hmac(const struct vyk_slot *s, const uint8_t chal[VYK_PAYLOAD],
    uint8_t out[VYK_KEY_SIZE]);

/* Knob bit of a name; 0 for an unknown name. */
unsigned vyk_knob_bit(const char *name);

/* ----------------------------------------------------------- emulator */

/* One open handle on a key: frame assembly and read-out state (its RAM). */
struct vyk_dev;

/* BG_ENOENT when the key does not exist, BG_EREMOVED when unplugged. */
int vyk_dev_open(const char *base, unsigned serial, struct vyk_dev **out);
void vyk_dev_close(struct vyk_dev **devp);
/* Key still plugged in: BG_OK, BG_EREMOVED, or a store error. */
int vyk_dev_present(struct vyk_dev *dev);
/* HID SET_REPORT / GET_REPORT of the feature report. */
int vyk_dev_set_report(struct vyk_dev *dev, const uint8_t rpt[VYK_RPT_SIZE]);
int vyk_dev_get_report(struct vyk_dev *dev, uint8_t rpt[VYK_RPT_SIZE]);

#endif /* BG_VYK_LCL_H */
