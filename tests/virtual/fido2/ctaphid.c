/*
 * vfido CTAPHID layer (CTAP 2.1 11.2): the fido_dev_io_t functions libfido2
 * calls. write() takes one output report (report id byte + 64 bytes),
 * reassembles messages, and queues the response reports; read() hands the
 * queued 64-byte input reports out, one per call.
 *
 * The device is synchronous: a request is answered when its last report
 * is written. Waiting for a touch is modelled by KEEPALIVE reports queued
 * ahead of the response (with a short sleep before each when no touch
 * comes); a CANCEL written meanwhile replaces what is left of the wait
 * with CTAP2_ERR_KEEPALIVE_CANCEL.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "vfido.h"
#include "vfido_int.h"

#define CTAPHID_VERSION		2
#define POLL_SLEEP_MAX_MS	100

static uint32_t
get_be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void
sleep_ms(int ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		continue;
}

/* --------------------------------------------------------- report queue */

static void
q_clear(struct vf_dev *dev)
{
	dev->q_head = 0;
	dev->q_len = 0;
	dev->q_waiting = 0;
}

static unsigned char *
q_push(struct vf_dev *dev, int delay_ms)
{
	unsigned char	(*nq)[VF_REPORT_LEN];
	int		*nd;
	size_t		 cap, i;

	if (dev->q_head > 0 && dev->q_head == dev->q_len)
		q_clear(dev);
	if (dev->q_len == dev->q_cap) {
		cap = dev->q_cap ? dev->q_cap * 2 : 16;
		if ((nq = realloc(dev->q, cap * sizeof(*nq))) == NULL)
			return (NULL);
		dev->q = nq;
		if ((nd = realloc(dev->q_delay_ms, cap * sizeof(*nd))) == NULL)
			return (NULL);
		dev->q_delay_ms = nd;
		dev->q_cap = cap;
	}
	i = dev->q_len++;
	dev->q_delay_ms[i] = delay_ms;
	memset(dev->q[i], 0, VF_REPORT_LEN);
	return (dev->q[i]);
}

/* Frames a response message into init + continuation reports. */
static int
q_message(struct vf_dev *dev, uint32_t cid, uint8_t cmd,
    const unsigned char *data, size_t len, int delay_ms)
{
	unsigned char	*f;
	size_t		 off, n;
	uint8_t		 seq = 0;

	if (len > VF_MAX_MSG || (f = q_push(dev, delay_ms)) == NULL)
		return (-1);
	put_be32(f, cid);
	f[4] = (unsigned char)(0x80 | cmd);
	f[5] = (unsigned char)(len >> 8);
	f[6] = (unsigned char)(len & 0xff);
	n = len < VF_INIT_DATA ? len : VF_INIT_DATA;
	if (n > 0)
		memcpy(f + 7, data, n);
	for (off = n; off < len; off += n) {
		if ((f = q_push(dev, 0)) == NULL)
			return (-1);
		put_be32(f, cid);
		f[4] = seq++;
		n = len - off < VF_CONT_DATA ? len - off : VF_CONT_DATA;
		memcpy(f + 5, data + off, n);
	}
	return (0);
}

static int
q_error(struct vf_dev *dev, uint32_t cid, uint8_t code)
{
	return (q_message(dev, cid, VF_CMD_ERROR, &code, 1, 0));
}

/* ------------------------------------------------------------ commands */

static int
cmd_init(struct vf_dev *dev, uint32_t cid, const unsigned char *data,
    size_t len)
{
	unsigned char	resp[17];
	uint32_t	newcid = cid;
	unsigned	knobs = 0;

	if (len != 8)
		return (q_error(dev, cid, VF_HERR_INVALID_LEN));
	if (cid == VF_CID_BROADCAST) {
		if (dev->cid_next == VF_CID_BROADCAST)
			return (q_error(dev, cid, VF_HERR_CHANNEL_BUSY));
		newcid = dev->cid_next++;
	}
	memcpy(resp, data, 8);			/* nonce */
	put_be32(resp + 8, newcid);
	resp[12] = CTAPHID_VERSION;
	resp[13] = 1;				/* major */
	resp[14] = 0;				/* minor */
	resp[15] = 0;				/* build */
	/* the u2f-only knob: a CTAP1 key (MSG, which is not emulated) */
	if (vf_state_peek_knobs(dev->dir, &knobs) < 0)
		return (-1);
	dev->u2f_only = (knobs & VF_KNOB_U2F_ONLY) != 0;
	resp[16] = dev->u2f_only ? 0 : VF_CAP_CBOR | VF_CAP_NMSG;
	return (q_message(dev, cid, VF_CMD_INIT, resp, sizeof(resp), 0));
}

static int
cmd_cbor(struct vf_dev *dev, uint32_t cid, const unsigned char *data,
    size_t len)
{
	unsigned char	*resp = NULL, status;
	size_t		 resp_len = 0;
	int		 r = 0;

	if (len == 0)
		return (q_error(dev, cid, VF_HERR_INVALID_LEN));
	if (vf_ctap2(dev, data, len, &resp, &resp_len) < 0) {
		status = VF_ERR_OTHER;
		return (q_message(dev, cid, VF_CMD_CBOR, &status, 1, 0));
	}
	status = VF_KA_UPNEEDED;
	for (int i = 0; i < dev->keepalives && r == 0; i++)
		r = q_message(dev, cid, VF_CMD_KEEPALIVE, &status, 1,
		    dev->keepalive_ms);
	if (r == 0 && resp != NULL)
		r = q_message(dev, cid, VF_CMD_CBOR, resp, resp_len, 0);
	if (dev->keepalives > 0 && !dev->vanishing) {
		dev->q_waiting = 1;
		dev->q_cid = cid;
	}
	if (resp != NULL)
		OPENSSL_clear_free(resp, resp_len);
	return (r);
}

/* CANCEL (11.2.9.1.5): no reply of its own; ends a pending wait. */
static int
cmd_cancel(struct vf_dev *dev, uint32_t cid)
{
	unsigned char status = VF_ERR_KEEPALIVE_CANCEL;

	if (!dev->q_waiting || dev->q_cid != cid ||
	    dev->q_head >= dev->q_len)
		return (0);
	q_clear(dev);
	return (q_message(dev, cid, VF_CMD_CBOR, &status, 1, 0));
}

static int
dispatch(struct vf_dev *dev, uint32_t cid, uint8_t cmd,
    const unsigned char *data, size_t len)
{
	switch (cmd) {
	case VF_CMD_PING:
		return (q_message(dev, cid, VF_CMD_PING, data, len, 0));
	case VF_CMD_CBOR:
		if (dev->u2f_only)
			return (q_error(dev, cid, VF_HERR_INVALID_CMD));
		return (cmd_cbor(dev, cid, data, len));
	default:	/* MSG (we are NMSG), LOCK, WINK, vendor */
		return (q_error(dev, cid, VF_HERR_INVALID_CMD));
	}
}

static int
channel_ok(const struct vf_dev *dev, uint32_t cid)
{
	return (cid != 0 && cid != VF_CID_BROADCAST &&
	    cid >= dev->cid_first && cid < dev->cid_next);
}

/* Did another process pull the token since the last message? */
static int
check_removed(struct vf_dev *dev)
{
	unsigned knobs = 0;

	if (vf_state_peek_knobs(dev->dir, &knobs) < 0 ||
	    (knobs & VF_KNOB_REMOVED))
		dev->dead = 1;
	return (dev->dead ? -1 : 0);
}

static int
init_packet(struct vf_dev *dev, uint32_t cid, const unsigned char *pkt)
{
	uint8_t	cmd = pkt[4] & 0x7f;
	size_t	len = (size_t)pkt[5] << 8 | pkt[6];

	if (cmd == VF_CMD_INIT) {
		if (dev->rx_active && dev->rx_cid == cid)
			dev->rx_active = 0;	/* resync (11.2.9.1.3) */
		if (cid != VF_CID_BROADCAST && !channel_ok(dev, cid))
			return (q_error(dev, cid, VF_HERR_INVALID_CHANNEL));
		return (cmd_init(dev, cid, pkt + 7, len < 8 ? len : 8));
	}
	if (!channel_ok(dev, cid))
		return (q_error(dev, cid, VF_HERR_INVALID_CHANNEL));
	if (cmd == VF_CMD_CANCEL)
		return (cmd_cancel(dev, cid));
	if (dev->rx_active) {
		if (dev->rx_cid != cid)
			return (q_error(dev, cid, VF_HERR_CHANNEL_BUSY));
		dev->rx_active = 0;
		return (q_error(dev, cid, VF_HERR_INVALID_SEQ));
	}
	if (len > VF_MAX_MSG)
		return (q_error(dev, cid, VF_HERR_INVALID_LEN));
	if (check_removed(dev) < 0)
		return (-1);
	q_clear(dev);			/* a new request drops stale replies */
	dev->rx_cid = cid;
	dev->rx_cmd = cmd;
	dev->rx_len = len;
	dev->rx_got = len < VF_INIT_DATA ? len : VF_INIT_DATA;
	dev->rx_seq = 0;
	memcpy(dev->rx_buf, pkt + 7, dev->rx_got);
	if (dev->rx_got < len) {
		dev->rx_active = 1;
		return (0);
	}
	return (dispatch(dev, cid, cmd, dev->rx_buf, len));
}

static int
cont_packet(struct vf_dev *dev, uint32_t cid, const unsigned char *pkt)
{
	size_t n;

	if (!dev->rx_active || dev->rx_cid != cid)
		return (0);		/* spurious continuation: ignored */
	if (pkt[4] != dev->rx_seq) {
		dev->rx_active = 0;
		return (q_error(dev, cid, VF_HERR_INVALID_SEQ));
	}
	dev->rx_seq++;
	n = dev->rx_len - dev->rx_got;
	if (n > VF_CONT_DATA)
		n = VF_CONT_DATA;
	memcpy(dev->rx_buf + dev->rx_got, pkt + 5, n);
	dev->rx_got += n;
	if (dev->rx_got < dev->rx_len)
		return (0);
	dev->rx_active = 0;
	return (dispatch(dev, cid, dev->rx_cmd, dev->rx_buf, dev->rx_len));
}

/* ------------------------------------------------------- fido_dev_io_t */

static void *
vf_open(const char *path)
{
	struct vf_dev	*dev;
	size_t		 plen = strlen(BG_VFIDO_PATH_PREFIX);
	unsigned	 knobs = 0;
	uint32_t	 r32;

	if (path == NULL || strncmp(path, BG_VFIDO_PATH_PREFIX, plen) != 0 ||
	    path[plen] == '\0')
		return (NULL);
	if ((dev = calloc(1, sizeof(*dev))) == NULL)
		return (NULL);
	if ((dev->dir = strdup(path + plen)) == NULL ||
	    (dev->rx_buf = malloc(VF_MAX_MSG)) == NULL ||
	    vf_state_peek_knobs(dev->dir, &knobs) < 0 ||
	    (knobs & VF_KNOB_REMOVED) ||
	    (dev->ka_key = vf_ec_generate()) == NULL ||
	    vf_random(&r32, sizeof(r32)) < 0) {
		vf_dev_free(dev);
		return (NULL);
	}
	/* channel ids: a random start, so stale ids from old opens fail */
	dev->cid_first = (r32 & 0x7fffff00u) | 0x01000000u;
	dev->cid_next = dev->cid_first;
	return (dev);
}

void
vf_dev_free(struct vf_dev *dev)
{
	if (dev == NULL)
		return;
	EVP_PKEY_free(dev->ka_key);
	if (dev->rx_buf != NULL)
		OPENSSL_clear_free(dev->rx_buf, VF_MAX_MSG);
	if (dev->q != NULL)
		OPENSSL_clear_free(dev->q, dev->q_cap * VF_REPORT_LEN);
	free(dev->q_delay_ms);
	free(dev->dir);
	OPENSSL_cleanse(dev, sizeof(*dev));
	free(dev);
}

static void
vf_close(void *handle)
{
	vf_dev_free(handle);
}

static int
vf_read(void *handle, unsigned char *buf, size_t len, int ms)
{
	struct vf_dev	*dev = handle;
	size_t		 i;

	if (dev == NULL || len != VF_REPORT_LEN || dev->dead)
		return (-1);
	if (dev->q_head >= dev->q_len) {
		if (dev->vanishing) {
			dev->dead = 1;
			return (-1);
		}
		/* nothing to say: a real read would time out */
		sleep_ms(ms < 0 ? 0 : (ms > POLL_SLEEP_MAX_MS ?
		    POLL_SLEEP_MAX_MS : ms));
		return (-1);
	}
	i = dev->q_head;
	if (ms >= 0 && dev->q_delay_ms[i] > ms) {
		/* the report comes later than the caller waits: time out */
		sleep_ms(ms);
		dev->q_delay_ms[i] -= ms;
		return (-1);
	}
	dev->q_head++;
	sleep_ms(dev->q_delay_ms[i]);
	memcpy(buf, dev->q[i], VF_REPORT_LEN);
	if (dev->q_head == dev->q_len)
		q_clear(dev);
	return (VF_REPORT_LEN);
}

static int
vf_write(void *handle, const unsigned char *buf, size_t len)
{
	struct vf_dev	*dev = handle;
	const unsigned char *pkt;
	uint32_t	 cid;

	/* libfido2 prepends the HID report id (0) to each 64-byte report */
	if (dev == NULL || dev->dead || dev->vanishing ||
	    len != VF_REPORT_LEN + 1 || buf[0] != 0)
		return (-1);
	pkt = buf + 1;
	cid = get_be32(pkt);
	if (((pkt[4] & 0x80) ? init_packet(dev, cid, pkt) :
	    cont_packet(dev, cid, pkt)) < 0)
		return (-1);
	return ((int)len);
}

static const fido_dev_io_t vf_io = {
	vf_open,
	vf_close,
	vf_read,
	vf_write,
};

const fido_dev_io_t *
bg_vfido_io(void)
{
	return (&vf_io);
}
