/*
 * libbgvfido.so: LD_PRELOAD this into an unmodified libfido2 program and,
 * with BG_VIRTUAL_DIR set, it sees the virtual devices of
 * $BG_VIRTUAL_DIR/fido2 instead of real ones. Tests only: the shipped
 * breakglass binary contains no software token.
 *
 * Three interpositions (see README.md for the libfido2 1.12 evidence):
 *
 * - fido_dev_info_manifest(): lists the virtual devices (not the removed
 *   ones) with the vfido io functions; without BG_VIRTUAL_DIR it calls
 *   the real function (dlsym(RTLD_NEXT)).
 * - fido_dev_new_with_info(): libfido2 copies the io functions from the
 *   info but sets io_own = false (it assumes hidraw handles and asks
 *   fido_hid_report_in_len() of our handle); for a "vfido:" path we call
 *   fido_dev_set_io_functions() on the new device, which sets io_own.
 * - fido_dev_open(): a program that takes a "vfido:" path from its user
 *   and opens it with fido_dev_new() + fido_dev_open() gets the vfido io
 *   functions set before the real open.
 *
 * Only these three symbols are exported (-fvisibility=hidden), so the
 * emulator inside cannot clash with a program's own symbols.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <fido.h>

#include "vfido.h"

#define EXPORT __attribute__((visibility("default")))

typedef int manifest_fn(fido_dev_info_t *, size_t, size_t *);
typedef fido_dev_t *new_with_info_fn(const fido_dev_info_t *);
typedef int open_fn(fido_dev_t *, const char *);

/* POSIX: dlsym() results may be converted to function pointers. */
static void *
real(const char *sym)
{
	return (dlsym(RTLD_NEXT, sym));
}

static int
is_vfido(const char *path)
{
	return (path != NULL && strncmp(path, BG_VFIDO_PATH_PREFIX,
	    strlen(BG_VFIDO_PATH_PREFIX)) == 0);
}

EXPORT int
fido_dev_info_manifest(fido_dev_info_t *devlist, size_t ilen, size_t *olen)
{
	const char	*base = getenv("BG_VIRTUAL_DIR");
	manifest_fn	*f;

	if (base == NULL || *base == '\0') {
		if ((f = (manifest_fn *)real("fido_dev_info_manifest")) ==
		    NULL) {
			*olen = 0;
			return (FIDO_ERR_INTERNAL);
		}
		return (f(devlist, ilen, olen));
	}
	if (bg_vfido_manifest_ex(base, devlist, ilen, olen, 1) != 0)
		return (FIDO_ERR_INTERNAL);
	return (FIDO_OK);
}

EXPORT fido_dev_t *
fido_dev_new_with_info(const fido_dev_info_t *di)
{
	new_with_info_fn	*f;
	fido_dev_t		*dev;

	if ((f = (new_with_info_fn *)real("fido_dev_new_with_info")) == NULL)
		return (NULL);
	if ((dev = f(di)) != NULL && is_vfido(fido_dev_info_path(di)) &&
	    fido_dev_set_io_functions(dev, bg_vfido_io()) != FIDO_OK)
		fido_dev_free(&dev);
	return (dev);
}

EXPORT int
fido_dev_open(fido_dev_t *dev, const char *path)
{
	open_fn *f;

	if ((f = (open_fn *)real("fido_dev_open")) == NULL)
		return (FIDO_ERR_INTERNAL);
	if (is_vfido(path) &&
	    fido_dev_set_io_functions(dev, bg_vfido_io()) != FIDO_OK)
		return (FIDO_ERR_INVALID_ARGUMENT);
	return (f(dev, path));
}
