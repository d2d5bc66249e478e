/*
 * A fake libusb-1.0 for libykpers: the 16 libusb calls ykpers 1.20 makes
 * (nm -D libykpers-1.so.1 | grep libusb), and nothing else. One USB
 * device per software key in $BG_VIRTUAL_DIR/yubikey/<serial>/ (vyk.h);
 * none when BG_VIRTUAL_DIR is unset. Feature reports go to the emulator.
 *
 * Debian's libusb-1.0 and ykpers' references to it are unversioned, so
 * these definitions win when this file is linked into the executable or
 * when libbgvyk.so is preloaded (LD_PRELOAD): the dynamic linker takes the
 * first definition in the global scope. libbgvyk.so exports exactly these
 * 16 symbols (fakeusb.map). BG_VYK_TRACE=1 logs every call to stderr.
 *
 * What ykpers does with them (ykcore_libusb-1.0.c): libusb_init at
 * yk_init; yk_open_key(n) lists devices, matches VID 0x1050 and its PID
 * list, opens the n-th, detaches the kernel driver if active and sets
 * configuration 1 unless it is already; every report is claim_interface(0),
 * one control transfer (HID SET_REPORT 0x21/0x09 or GET_REPORT 0xa1/0x01,
 * wValue 0x0300 = feature report 0, 8 bytes), release_interface(0);
 * yk_close_key re-attaches the driver and closes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libusb.h>
#include <openssl/crypto.h>

#include "common/common.h"
#include "vyk_lcl.h"

#define HID_GET_REPORT		0x01
#define HID_SET_REPORT		0x09
#define HID_FEATURE_REPORT0	0x0300	/* report type 3 << 8 | id 0 */

struct libusb_context {
	int inited;
};

struct libusb_device {
	int refs;
	char base[BG_PATH_MAX];
	unsigned serial;
	unsigned pid;
	uint8_t fw[3];
};

struct libusb_device_handle {
	struct libusb_device *dev;
	struct vyk_dev *emu;
	int driver_attached;	/* usbhid holds the interface until detached */
	int claimed;
};

static struct libusb_context default_ctx;

static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
trace(const char *fmt, ...)
{
	const char *t = getenv("BG_VYK_TRACE");
	va_list ap;

	if (t == NULL || strcmp(t, "1") != 0)
		return;
	va_start(ap, fmt);
	fputs("bg-vyk: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int
usb_err(int r)
{
	switch (r) {
	case BG_OK:
		return LIBUSB_SUCCESS;
	case BG_EREMOVED:
	case BG_ENOENT:
		return LIBUSB_ERROR_NO_DEVICE;
	case BG_ENOMEM:
		return LIBUSB_ERROR_NO_MEM;
	default:
		return LIBUSB_ERROR_IO;
	}
}

static void
dev_unref(struct libusb_device *dev)
{
	if (dev != NULL && __atomic_sub_fetch(&dev->refs, 1,
	    __ATOMIC_ACQ_REL) == 0)
		free(dev);
}

int
libusb_init(libusb_context **ctx)
{
	trace("libusb_init");
	if (ctx == NULL) {
		default_ctx.inited = 1;
		return LIBUSB_SUCCESS;
	}
	if ((*ctx = calloc(1, sizeof(**ctx))) == NULL)
		return LIBUSB_ERROR_NO_MEM;
	(*ctx)->inited = 1;
	return LIBUSB_SUCCESS;
}

void
libusb_exit(libusb_context *ctx)
{
	trace("libusb_exit");
	if (ctx == NULL || ctx == &default_ctx)
		default_ctx.inited = 0;
	else
		free(ctx);
}

static struct libusb_device *
make_device(const char *base, unsigned serial)
{
	struct libusb_device *dev;
	struct vyk_state st;

	if (vyk_store_load(base, serial, &st) != BG_OK)
		return NULL;
	if ((st.knobs & VYK_KNOB_REMOVED) ||
	    (dev = calloc(1, sizeof(*dev))) == NULL) {
		OPENSSL_cleanse(&st, sizeof(st));
		return NULL;
	}
	dev->refs = 1;
	snprintf(dev->base, sizeof(dev->base), "%s", base);
	dev->serial = serial;
	dev->pid = st.pid;
	memcpy(dev->fw, st.fw, sizeof(dev->fw));
	OPENSSL_cleanse(&st, sizeof(st));
	return dev;
}

ssize_t
libusb_get_device_list(libusb_context *ctx, libusb_device ***list)
{
	unsigned serials[BG_VYK_MAX_KEYS];
	const char *base = bg_vyk_base_env();
	libusb_device **l;
	size_t n = 0, i, k = 0;

	(void)ctx;
	if (list == NULL)
		return LIBUSB_ERROR_INVALID_PARAM;
	/* Too many keys: show the first BG_VYK_MAX_KEYS by serial. */
	if (base != NULL)
		(void)vyk_store_list(base, serials, BG_VYK_MAX_KEYS, &n);
	if ((l = calloc(n + 1, sizeof(*l))) == NULL)
		return LIBUSB_ERROR_NO_MEM;
	for (i = 0; i < n; i++)
		if ((l[k] = make_device(base, serials[i])) != NULL)
			k++;
	*list = l;
	trace("libusb_get_device_list: %zu device(s)", k);
	return (ssize_t)k;
}

void
libusb_free_device_list(libusb_device **list, int unref_devices)
{
	size_t i;

	trace("libusb_free_device_list");
	if (list == NULL)
		return;
	if (unref_devices)
		for (i = 0; list[i] != NULL; i++)
			dev_unref(list[i]);
	free(list);
}

int
libusb_get_device_descriptor(libusb_device *dev,
    struct libusb_device_descriptor *desc)
{
	trace("libusb_get_device_descriptor: serial %u", dev->serial);
	memset(desc, 0, sizeof(*desc));
	desc->bLength = LIBUSB_DT_DEVICE_SIZE;
	desc->bDescriptorType = LIBUSB_DT_DEVICE;
	desc->bcdUSB = 0x0200;
	desc->bMaxPacketSize0 = 64;
	desc->idVendor = BG_VYK_VID;
	desc->idProduct = (uint16_t)dev->pid;
	/* bcdDevice carries the firmware version: 5.4.3 is 0x0543. */
	desc->bcdDevice = (uint16_t)(dev->fw[0] << 8 | (dev->fw[1] & 0xf) << 4 |
	    (dev->fw[2] & 0xf));
	desc->iManufacturer = 1;
	desc->iProduct = 2;
	desc->bNumConfigurations = 1;
	return LIBUSB_SUCCESS;
}

int
libusb_open(libusb_device *dev, libusb_device_handle **handle)
{
	libusb_device_handle *h;
	int r;

	trace("libusb_open: serial %u", dev->serial);
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return LIBUSB_ERROR_NO_MEM;
	if ((r = vyk_dev_open(dev->base, dev->serial, &h->emu)) != BG_OK) {
		free(h);
		return usb_err(r);
	}
	__atomic_add_fetch(&dev->refs, 1, __ATOMIC_ACQ_REL);
	h->dev = dev;
	h->driver_attached = 1;
	*handle = h;
	return LIBUSB_SUCCESS;
}

void
libusb_close(libusb_device_handle *h)
{
	trace("libusb_close");
	if (h == NULL)
		return;
	vyk_dev_close(&h->emu);
	dev_unref(h->dev);
	free(h);
}

libusb_device *
libusb_get_device(libusb_device_handle *h)
{
	trace("libusb_get_device");
	return h->dev;
}

int
libusb_kernel_driver_active(libusb_device_handle *h, int iface)
{
	int r;

	trace("libusb_kernel_driver_active(%d)", iface);
	if ((r = vyk_dev_present(h->emu)) != BG_OK)
		return usb_err(r);
	if (iface != 0)
		return LIBUSB_ERROR_NOT_FOUND;
	return h->driver_attached;
}

int
libusb_detach_kernel_driver(libusb_device_handle *h, int iface)
{
	int r;

	trace("libusb_detach_kernel_driver(%d)", iface);
	if ((r = vyk_dev_present(h->emu)) != BG_OK)
		return usb_err(r);
	if (iface != 0)
		return LIBUSB_ERROR_NOT_FOUND;
	if (!h->driver_attached)
		return LIBUSB_ERROR_NOT_FOUND;
	h->driver_attached = 0;
	return LIBUSB_SUCCESS;
}

int
libusb_attach_kernel_driver(libusb_device_handle *h, int iface)
{
	int r;

	trace("libusb_attach_kernel_driver(%d)", iface);
	if ((r = vyk_dev_present(h->emu)) != BG_OK)
		return usb_err(r);
	if (iface != 0)
		return LIBUSB_ERROR_NOT_FOUND;
	if (h->claimed)
		return LIBUSB_ERROR_BUSY;
	if (h->driver_attached)
		return LIBUSB_ERROR_BUSY;
	h->driver_attached = 1;
	return LIBUSB_SUCCESS;
}

int
libusb_get_configuration(libusb_device_handle *h, int *config)
{
	int r;

	trace("libusb_get_configuration");
	if ((r = vyk_dev_present(h->emu)) != BG_OK)
		return usb_err(r);
	*config = 1;
	return LIBUSB_SUCCESS;
}

int
libusb_set_configuration(libusb_device_handle *h, int config)
{
	int r;

	trace("libusb_set_configuration(%d)", config);
	if ((r = vyk_dev_present(h->emu)) != BG_OK)
		return usb_err(r);
	return config == 1 || config == -1 ? LIBUSB_SUCCESS :
	    LIBUSB_ERROR_NOT_FOUND;
}

int
libusb_claim_interface(libusb_device_handle *h, int iface)
{
	int r;

	trace("libusb_claim_interface(%d)", iface);
	if ((r = vyk_dev_present(h->emu)) != BG_OK)
		return usb_err(r);
	if (iface != 0)
		return LIBUSB_ERROR_NOT_FOUND;
	if (h->driver_attached)
		return LIBUSB_ERROR_BUSY;	/* usbhid still has it */
	h->claimed = 1;
	return LIBUSB_SUCCESS;
}

int
libusb_release_interface(libusb_device_handle *h, int iface)
{
	trace("libusb_release_interface(%d)", iface);
	if (iface != 0 || !h->claimed)
		return LIBUSB_ERROR_NOT_FOUND;
	h->claimed = 0;
	return vyk_dev_present(h->emu) == BG_OK ? LIBUSB_SUCCESS :
	    LIBUSB_ERROR_NO_DEVICE;
}

int
libusb_control_transfer(libusb_device_handle *h, uint8_t type,
    uint8_t req, uint16_t value, uint16_t index, unsigned char *data,
    uint16_t len, unsigned int timeout)
{
	int r;

	(void)timeout;
	if (value != HID_FEATURE_REPORT0 || index != 0 || len != VYK_RPT_SIZE ||
	    data == NULL) {
		trace("libusb_control_transfer: unsupported request");
		return LIBUSB_ERROR_PIPE;	/* the device stalls */
	}
	if (type == (LIBUSB_REQUEST_TYPE_CLASS | LIBUSB_RECIPIENT_INTERFACE |
	    LIBUSB_ENDPOINT_OUT) && req == HID_SET_REPORT)
		r = vyk_dev_set_report(h->emu, data);
	else if (type == (LIBUSB_REQUEST_TYPE_CLASS |
	    LIBUSB_RECIPIENT_INTERFACE | LIBUSB_ENDPOINT_IN) &&
	    req == HID_GET_REPORT)
		r = vyk_dev_get_report(h->emu, data);
	else
		return LIBUSB_ERROR_PIPE;
	/* Only the flag byte: frames carry HMAC keys and access codes. */
	trace("libusb_control_transfer: %s_REPORT flags %02x -> %d",
	    req == HID_SET_REPORT ? "SET" : "GET", data[VYK_RPT_DATA], r);
	return r == BG_OK ? VYK_RPT_SIZE : usb_err(r);
}
