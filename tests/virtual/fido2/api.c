/*
 * vfido test-facing API (vfido.h): create devices, flip knobs, list them
 * for libfido2, and read back what a correct device would have produced.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "vfido.h"
#include "vfido_int.h"

static _Thread_local char why[256];

void
vf_set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
}

const char *
bg_vfido_error(void)
{
	return (why);
}

/* a/b[/c], malloc'd */
static char *
path_join(const char *a, const char *b, const char *c)
{
	size_t	 n = strlen(a) + strlen(b) + (c ? strlen(c) : 0) + 3;
	char	*s;

	if ((s = malloc(n)) == NULL)
		return (NULL);
	if (c != NULL)
		snprintf(s, n, "%s/%s/%s", a, b, c);
	else
		snprintf(s, n, "%s/%s", a, b);
	return (s);
}

static int
mkdir_0700(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		vf_set_error("cannot create %s: %s", path, strerror(errno));
		return (-1);
	}
	return (0);
}

static int
new_state(const char *base, const char *name, const char *pin,
    struct vf_state *st)
{
	unsigned char	full[32];
	size_t		plen;

	memset(st, 0, sizeof(*st));
	if (pin != NULL && ((plen = strlen(pin)) < 4 || plen > 63)) {
		vf_set_error("a PIN has 4 to 63 bytes");
		return (-1);
	}
	if (vf_random(st->aaguid, sizeof(st->aaguid)) < 0 ||
	    vf_random(st->master, sizeof(st->master)) < 0)
		return (-1);
	st->aaguid[6] = (unsigned char)((st->aaguid[6] & 0x0f) | 0x40);
	st->aaguid[8] = (unsigned char)((st->aaguid[8] & 0x3f) | 0x80);
	st->pin_retries = BG_VFIDO_MAX_RETRIES;
	if (pin != NULL) {
		if (vf_sha256(pin, strlen(pin), full) < 0)
			return (-1);
		memcpy(st->pin_hash, full, 16);
		OPENSSL_cleanse(full, sizeof(full));
		st->has_pin = 1;
	}
	return (vf_make_att_cert(base, st->aaguid, name, &st->att_key_pem,
	    &st->att_cert_pem));
}

int
bg_vfido_create(const char *base, const char *name, const char *pin)
{
	struct vf_state	 st;
	char		*dir = NULL, *f2 = NULL;
	int		 fd = -1, r = -1;

	memset(&st, 0, sizeof(st));
	if (vf_dev_dir(base, name, &dir) < 0)
		return (-1);
	if ((f2 = path_join(base, "fido2", NULL)) == NULL ||
	    mkdir_0700(base) < 0 || mkdir_0700(f2) < 0)
		goto out;
	if (mkdir(dir, 0700) < 0) {
		vf_set_error("cannot create device %s: %s", dir,
		    strerror(errno));
		goto out;
	}
	if (new_state(base, name, pin, &st) < 0 || (fd = vf_lock(dir)) < 0 ||
	    vf_state_save(dir, &st) < 0)
		goto out;
	r = 0;
out:
	vf_unlock(fd);
	vf_state_clear(&st);
	free(f2);
	free(dir);
	return (r);
}

/* Loads a device's state under its lock; *fd stays locked if fd != NULL. */
static int
load(const char *base, const char *name, char **dir, struct vf_state *st,
    int *fd)
{
	int lfd;

	memset(st, 0, sizeof(*st));
	if (vf_dev_dir(base, name, dir) < 0)
		return (-1);
	if ((lfd = vf_lock(*dir)) < 0)
		goto fail;
	if (vf_state_load(*dir, st) < 0) {
		vf_unlock(lfd);
		goto fail;
	}
	if (fd != NULL)
		*fd = lfd;
	else
		vf_unlock(lfd);
	return (0);
fail:
	free(*dir);
	*dir = NULL;
	return (-1);
}

int
bg_vfido_set_knob(const char *base, const char *name, const char *knob,
    int on)
{
	struct vf_state	 st;
	char		*dir = NULL;
	unsigned	 bit;
	int		 fd = -1, r = -1;

	if (knob == NULL || vf_knob_bit(knob, &bit) < 0)
		return (-1);
	if (load(base, name, &dir, &st, &fd) < 0)
		return (-1);
	if (on)
		st.knobs |= bit;
	else
		st.knobs &= ~bit;
	r = vf_state_save(dir, &st);
	vf_unlock(fd);
	vf_state_clear(&st);
	free(dir);
	return (r);
}

int
bg_vfido_get_knob(const char *base, const char *name, const char *knob,
    int *on)
{
	struct vf_state	 st;
	char		*dir = NULL;
	unsigned	 bit;

	if (knob == NULL || vf_knob_bit(knob, &bit) < 0 ||
	    load(base, name, &dir, &st, NULL) < 0)
		return (-1);
	*on = (st.knobs & bit) != 0;
	vf_state_clear(&st);
	free(dir);
	return (0);
}

int
bg_vfido_path(const char *base, const char *name, char *buf, size_t len)
{
	char	*dir = NULL;
	int	 n;

	if (vf_dev_dir(base, name, &dir) < 0)
		return (-1);
	n = snprintf(buf, len, "%s%s", BG_VFIDO_PATH_PREFIX, dir);
	free(dir);
	if (n < 0 || (size_t)n >= len) {
		vf_set_error("device path too long");
		return (-1);
	}
	return (0);
}

static int
cmp_names(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Sorted names of BASE/fido2/ entries that hold a state file. */
static int
list_names(const char *base, char ***names, size_t *n)
{
	char		*f2, *st, **v = NULL, **nv;
	DIR		*d;
	struct dirent	*e;
	size_t		 cnt = 0;
	int		 ok;

	*names = NULL;
	*n = 0;
	if ((f2 = path_join(base, "fido2", NULL)) == NULL)
		return (-1);
	if ((d = opendir(f2)) == NULL) {
		free(f2);
		return (errno == ENOENT ? 0 : -1);
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' ||
		    (st = path_join(f2, e->d_name, "state.json")) == NULL)
			continue;
		ok = access(st, F_OK) == 0;
		free(st);
		if (!ok)
			continue;
		if ((nv = realloc(v, (cnt + 1) * sizeof(*v))) == NULL ||
		    (nv[cnt] = strdup(e->d_name)) == NULL) {
			v = nv != NULL ? nv : v;
			break;
		}
		v = nv;
		cnt++;
	}
	closedir(d);
	free(f2);
	if (cnt > 0)
		qsort(v, cnt, sizeof(*v), cmp_names);
	*names = v;
	*n = cnt;
	return (0);
}

int
bg_vfido_manifest_ex(const char *base, fido_dev_info_t *devlist, size_t ilen,
    size_t *olen, int skip_removed)
{
	char	**names = NULL, *path = NULL;
	size_t	  n = 0, plen;
	int	  on, r = 0;

	*olen = 0;
	if (base == NULL || list_names(base, &names, &n) < 0) {
		vf_set_error("cannot list virtual devices");
		return (-1);
	}
	plen = strlen(base) + 300;
	if ((path = malloc(plen)) == NULL)
		r = -1;
	for (size_t i = 0; i < n; i++) {
		if (r == 0 && *olen < ilen &&
		    !(skip_removed && bg_vfido_get_knob(base, names[i],
		    BG_VFIDO_KNOB_REMOVED, &on) == 0 && on)) {
			if (bg_vfido_path(base, names[i], path, plen) < 0 ||
			    fido_dev_info_set(devlist, *olen, path,
			    BG_VFIDO_MANUFACTURER, BG_VFIDO_PRODUCT,
			    bg_vfido_io(), NULL) != FIDO_OK)
				r = -1;
			else
				(*olen)++;
		}
		free(names[i]);
	}
	free(names);
	free(path);
	return (r);
}

int
bg_vfido_manifest(const char *base, fido_dev_info_t *devlist, size_t ilen,
    size_t *olen)
{
	return (bg_vfido_manifest_ex(base, devlist, ilen, olen, 0));
}

int
bg_vfido_expected_hmac(const char *base, const char *name,
    const unsigned char *cred_id, size_t cred_id_len, int uv,
    const unsigned char salt[32], unsigned char out[32])
{
	struct vf_state	 st;
	struct vf_cred	 cred;
	char		*dir = NULL;
	int		 r = -1;

	if (cred_id == NULL || load(base, name, &dir, &st, NULL) < 0)
		return (-1);
	if (vf_cred_open(st.master, cred_id, cred_id_len, &cred) < 0) {
		vf_set_error("not a credential id of this device");
		goto out;
	}
	r = vf_hmac_sha256(uv ? cred.cr_uv : cred.cr_nouv, 32, salt, 32,
	    NULL, 0, out);
	vf_cred_clear(&cred);
out:
	vf_state_clear(&st);
	free(dir);
	return (r);
}

int
bg_vfido_touches(const char *base, const char *name, unsigned *n)
{
	struct vf_state	 st;
	char		*dir = NULL;

	if (load(base, name, &dir, &st, NULL) < 0)
		return (-1);
	*n = st.touches;
	vf_state_clear(&st);
	free(dir);
	return (0);
}

int
bg_vfido_counter(const char *base, const char *name, uint32_t *n)
{
	struct vf_state	 st;
	char		*dir = NULL;

	if (load(base, name, &dir, &st, NULL) < 0)
		return (-1);
	*n = st.counter;
	vf_state_clear(&st);
	free(dir);
	return (0);
}

int
bg_vfido_pin_retries(const char *base, const char *name, int *n)
{
	struct vf_state	 st;
	char		*dir = NULL;

	if (load(base, name, &dir, &st, NULL) < 0)
		return (-1);
	*n = st.pin_retries;
	vf_state_clear(&st);
	free(dir);
	return (0);
}

int
bg_vfido_aaguid(const char *base, const char *name, unsigned char aaguid[16])
{
	struct vf_state	 st;
	char		*dir = NULL;

	if (load(base, name, &dir, &st, NULL) < 0)
		return (-1);
	memcpy(aaguid, st.aaguid, 16);
	vf_state_clear(&st);
	free(dir);
	return (0);
}

int
bg_vfido_ca_path(const char *base, char *buf, size_t len)
{
	EVP_PKEY	*key = NULL;
	X509		*cert = NULL;
	int		 n;

	if (base == NULL || vf_ca_load(base, &key, &cert) < 0)
		return (-1);
	EVP_PKEY_free(key);
	X509_free(cert);
	n = snprintf(buf, len, "%s/ca.pem", base);
	if (n < 0 || (size_t)n >= len) {
		vf_set_error("CA path too long");
		return (-1);
	}
	return (0);
}
