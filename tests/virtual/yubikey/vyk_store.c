/*
 * vyk state store: one directory per software YubiKey, base/yubikey/<serial>/
 * with "state" (canonical text, replaced by rename) and "lock" (flock(2)).
 * Readers take a shared lock, writers an exclusive one, so separate
 * processes see one key. The parser accepts only the exact text the writer
 * produces: it re-serialises what it parsed and compares.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/common.h"
#include "vyk_lcl.h"

#define STATE_MAX	1024	/* a state is about 400 bytes */
#define LINE_MAX_	160
#define STATE_MAGIC	"bg-vyk-state 1"

const char *const bg_vyk_knob_names[] = {
	"no-touch", "touch-delay", "removed", "remove-next", "short-response",
	NULL
};

uint16_t
vyk_crc16(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xffff;
	size_t i;
	int j;

	for (i = 0; i < n; i++) {
		crc ^= p[i];
		for (j = 0; j < 8; j++) {
			int lsb = crc & 1;

			crc >>= 1;
			if (lsb)
				crc ^= 0x8408;
		}
	}
	return crc;
}

unsigned
vyk_knob_bit(const char *name)
{
	unsigned i;

	for (i = 0; bg_vyk_knob_names[i] != NULL; i++)
		if (strcmp(name, bg_vyk_knob_names[i]) == 0)
			return 1u << i;
	return 0;
}

int
vyk_slot_is_hmac(const struct vyk_slot *s)
{
	return s->valid && (s->tkt & VYK_TKT_CHAL_RESP) != 0 &&
	    (s->cfg & VYK_CFG_CHAL_HMAC) == VYK_CFG_CHAL_HMAC;
}

int
vyk_hmac(const struct vyk_slot *s, const uint8_t chal[VYK_PAYLOAD],
    uint8_t out[VYK_KEY_SIZE])
{
	size_t len = VYK_PAYLOAD, outlen = 0;

	if (s->cfg & VYK_CFG_HMAC_LT64) {
		/* The last byte and every equal byte before it are padding. */
		while (len > 0 && chal[len - 1] == chal[VYK_PAYLOAD - 1])
			len--;
	}
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, s->key, VYK_KEY_SIZE,
	    chal, len, out, VYK_KEY_SIZE, &outlen) == NULL ||
	    outlen != VYK_KEY_SIZE)
		return BG_ECRYPTO;
	return BG_OK;
}

/* -------------------------------------------------------------- paths */

int
vyk_key_dir(char *out, size_t outsz, const char *base, unsigned serial)
{
	int n;

	if (base == NULL || *base == '\0' || serial == 0)
		return BG_EINVAL;
	n = snprintf(out, outsz, "%s/yubikey/%u", base, serial);
	if (n < 0 || (size_t)n >= outsz)
		return BG_ETOOBIG;
	return BG_OK;
}

static int
key_file(char *out, size_t outsz, const char *base, unsigned serial,
    const char *name)
{
	char dir[BG_PATH_MAX];
	int r, n;

	if ((r = vyk_key_dir(dir, sizeof(dir), base, serial)) != BG_OK)
		return r;
	n = snprintf(out, outsz, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= outsz)
		return BG_ETOOBIG;
	return BG_OK;
}

static int
err_from_errno(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return BG_ENOENT;
	case EEXIST:
		return BG_EEXIST;
	case ENOMEM:
		return BG_ENOMEM;
	case ENOSPC:
		return BG_ENOSPC;
	case EACCES:
	case EPERM:
		return BG_EPERM;
	default:
		return BG_EIO;
	}
}

/* ---------------------------------------------------------- hex, text */

static void
hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

static int
hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Lower-case hex of exactly 2n digits. */
static int
hex_decode(const char *in, uint8_t *out, size_t n)
{
	size_t i;

	if (strlen(in) != 2 * n)
		return BG_EFORMAT;
	for (i = 0; i < n; i++) {
		int hi = hex_nibble(in[2 * i]), lo = hex_nibble(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return BG_EFORMAT;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return BG_OK;
}

static int
put(char *buf, size_t sz, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
put(char *buf, size_t sz, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *off, sz - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sz - *off)
		return BG_ETOOBIG;
	*off += (size_t)n;
	return BG_OK;
}

static int
put_knobs(char *buf, size_t sz, size_t *off, unsigned knobs)
{
	unsigned i;
	int r, first = 1;

	if ((r = put(buf, sz, off, "knobs ")) != BG_OK)
		return r;
	if (knobs == 0)
		return put(buf, sz, off, "none\n");
	for (i = 0; bg_vyk_knob_names[i] != NULL; i++) {
		if (!(knobs & (1u << i)))
			continue;
		if ((r = put(buf, sz, off, "%s%s", first ? "" : ",",
		    bg_vyk_knob_names[i])) != BG_OK)
			return r;
		first = 0;
	}
	return put(buf, sz, off, "\n");
}

static int
put_slot(char *buf, size_t sz, size_t *off, int i, const struct vyk_slot *s)
{
	char key[2 * VYK_KEY_SIZE + 1], acc[2 * VYK_ACC_SIZE + 1];
	int r;

	if (!s->valid)
		return put(buf, sz, off, "slot%d none\n", i + 1);
	hex_encode(s->key, sizeof(s->key), key);
	hex_encode(s->acc, sizeof(s->acc), acc);
	r = put(buf, sz, off, "slot%d key=%s acc=%s ext=%02x tkt=%02x "
	    "cfg=%02x\n", i + 1, key, acc, s->ext, s->tkt, s->cfg);
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

static int
serialise(const struct vyk_state *st, char *buf, size_t sz, size_t *len)
{
	size_t off = 0;
	int r, i;

	if ((r = put(buf, sz, &off, STATE_MAGIC "\nserial %u\n"
	    "firmware %u.%u.%u\npid %04x\npgm_seq %u\n", st->serial,
	    st->fw[0], st->fw[1], st->fw[2], st->pid, st->pgm_seq)) != BG_OK)
		return r;
	if ((r = put_knobs(buf, sz, &off, st->knobs)) != BG_OK)
		return r;
	if ((r = put(buf, sz, &off, "challenges %lu\ntouches %lu\n"
	    "touch_waits %lu\ntimeouts %lu\n", st->stats.challenges,
	    st->stats.touches, st->stats.touch_waits,
	    st->stats.timeouts)) != BG_OK)
		return r;
	for (i = 0; i < 2; i++)
		if ((r = put_slot(buf, sz, &off, i, &st->slot[i])) != BG_OK)
			return r;
	*len = off;
	return BG_OK;
}

/* Next line of text (without '\n') into line; BG_EFORMAT past the end. */
static int
next_line(const char **cur, const char *end, char *line, size_t linesz)
{
	const char *nl = memchr(*cur, '\n', (size_t)(end - *cur));
	size_t n;

	if (nl == NULL)
		return BG_EFORMAT;
	n = (size_t)(nl - *cur);
	if (n >= linesz)
		return BG_EFORMAT;
	memcpy(line, *cur, n);
	line[n] = '\0';
	*cur = nl + 1;
	return BG_OK;
}

static int
parse_knobs(const char *line, unsigned *knobs)
{
	char buf[LINE_MAX_], *tok, *save = NULL;
	unsigned bit;

	*knobs = 0;
	if (strncmp(line, "knobs ", 6) != 0)
		return BG_EFORMAT;
	if (strcmp(line + 6, "none") == 0)
		return BG_OK;
	snprintf(buf, sizeof(buf), "%s", line + 6);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((bit = vyk_knob_bit(tok)) == 0)
			return BG_EFORMAT;
		*knobs |= bit;
	}
	return BG_OK;
}

static int
parse_slot(const char *line, int i, struct vyk_slot *s)
{
	char key[2 * VYK_KEY_SIZE + 2], acc[2 * VYK_ACC_SIZE + 2], none[8];
	unsigned ext, tkt, cfg;
	int idx, n = -1, r;

	memset(s, 0, sizeof(*s));
	if (sscanf(line, "slot%d %7s%n", &idx, none, &n) == 2 && n >= 0 &&
	    line[n] == '\0' && strcmp(none, "none") == 0)
		return idx == i + 1 ? BG_OK : BG_EFORMAT;
	n = -1;
	if (sscanf(line, "slot%d key=%41[0-9a-f] acc=%13[0-9a-f] ext=%2x "
	    "tkt=%2x cfg=%2x%n", &idx, key, acc, &ext, &tkt, &cfg, &n) != 6 ||
	    n < 0 || line[n] != '\0' || idx != i + 1)
		return BG_EFORMAT;
	if ((r = hex_decode(key, s->key, sizeof(s->key))) == BG_OK)
		r = hex_decode(acc, s->acc, sizeof(s->acc));
	OPENSSL_cleanse(key, sizeof(key));
	if (r != BG_OK)
		return r;
	s->valid = 1;
	s->ext = (uint8_t)ext;
	s->tkt = (uint8_t)tkt;
	s->cfg = (uint8_t)cfg;
	return BG_OK;
}

static int
parse_header(const char **cur, const char *end, struct vyk_state *st)
{
	char line[LINE_MAX_];
	unsigned fw[3];
	int n = -1, r;

	if ((r = next_line(cur, end, line, sizeof(line))) != BG_OK ||
	    strcmp(line, STATE_MAGIC) != 0)
		return BG_EFORMAT;
	if (next_line(cur, end, line, sizeof(line)) != BG_OK ||
	    sscanf(line, "serial %u%n", &st->serial, &n) != 1 || n < 0 ||
	    line[n] != '\0')
		return BG_EFORMAT;
	n = -1;
	if (next_line(cur, end, line, sizeof(line)) != BG_OK ||
	    sscanf(line, "firmware %u.%u.%u%n", &fw[0], &fw[1], &fw[2],
	    &n) != 3 || n < 0 || line[n] != '\0' || fw[0] > 255 ||
	    fw[1] > 255 || fw[2] > 255)
		return BG_EFORMAT;
	st->fw[0] = (uint8_t)fw[0];
	st->fw[1] = (uint8_t)fw[1];
	st->fw[2] = (uint8_t)fw[2];
	n = -1;
	if (next_line(cur, end, line, sizeof(line)) != BG_OK ||
	    sscanf(line, "pid %4x%n", &st->pid, &n) != 1 || n < 0 ||
	    line[n] != '\0')
		return BG_EFORMAT;
	n = -1;
	if (next_line(cur, end, line, sizeof(line)) != BG_OK ||
	    sscanf(line, "pgm_seq %u%n", &st->pgm_seq, &n) != 1 || n < 0 ||
	    line[n] != '\0' || st->pgm_seq > 255)
		return BG_EFORMAT;
	return BG_OK;
}

static int
parse_counter(const char **cur, const char *end, const char *name,
    unsigned long *v)
{
	char line[LINE_MAX_];
	size_t k = strlen(name);
	int n = -1;

	if (next_line(cur, end, line, sizeof(line)) != BG_OK ||
	    strncmp(line, name, k) != 0 || line[k] != ' ' ||
	    sscanf(line + k + 1, "%lu%n", v, &n) != 1 || n < 0 ||
	    line[k + 1 + (size_t)n] != '\0')
		return BG_EFORMAT;
	return BG_OK;
}

static int
parse_state(const char *text, size_t len, struct vyk_state *st)
{
	const char *cur = text, *end = text + len;
	char line[LINE_MAX_], *again;
	size_t againlen;
	int r, i;

	memset(st, 0, sizeof(*st));
	if ((r = parse_header(&cur, end, st)) != BG_OK)
		return r;
	if (next_line(&cur, end, line, sizeof(line)) != BG_OK ||
	    parse_knobs(line, &st->knobs) != BG_OK)
		return BG_EFORMAT;
	if (parse_counter(&cur, end, "challenges", &st->stats.challenges) ||
	    parse_counter(&cur, end, "touches", &st->stats.touches) ||
	    parse_counter(&cur, end, "touch_waits", &st->stats.touch_waits) ||
	    parse_counter(&cur, end, "timeouts", &st->stats.timeouts))
		return BG_EFORMAT;
	for (i = 0; i < 2; i++) {
		r = next_line(&cur, end, line, sizeof(line));
		if (r == BG_OK)
			r = parse_slot(line, i, &st->slot[i]);
		OPENSSL_cleanse(line, sizeof(line));
		if (r != BG_OK)
			return BG_EFORMAT;
	}
	if (cur != end)
		return BG_EFORMAT;
	/* Canonical form only: what we write is what we accept. */
	if ((again = malloc(STATE_MAX)) == NULL)
		return BG_ENOMEM;
	r = serialise(st, again, STATE_MAX, &againlen);
	if (r == BG_OK && (againlen != len || memcmp(again, text, len) != 0))
		r = BG_EFORMAT;
	OPENSSL_cleanse(again, STATE_MAX);
	free(again);
	return r;
}

/* ---------------------------------------------------------- file I/O */

static int
lock_key(const char *base, unsigned serial, int how, int *fdp)
{
	char path[BG_PATH_MAX];
	int fd, r;

	if ((r = key_file(path, sizeof(path), base, serial, "lock")) != BG_OK)
		return r;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_from_errno(errno);
	while (flock(fd, how) != 0) {
		if (errno != EINTR) {
			r = err_from_errno(errno);
			close(fd);
			return r;
		}
	}
	*fdp = fd;
	return BG_OK;
}

static void
unlock_key(int fd)
{
	if (fd >= 0)
		close(fd);	/* drops the flock */
}

static int
read_state(const char *base, unsigned serial, struct vyk_state *st)
{
	char path[BG_PATH_MAX], buf[STATE_MAX];
	size_t len = 0;
	ssize_t n;
	int fd, r;

	if ((r = key_file(path, sizeof(path), base, serial, "state")) != BG_OK)
		return r;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return err_from_errno(errno);
	for (;;) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof(buf))
			break;
	}
	r = n < 0 ? err_from_errno(errno) : BG_OK;
	close(fd);
	if (r == BG_OK && len == sizeof(buf))
		r = BG_ETOOBIG;
	if (r == BG_OK)
		r = parse_state(buf, len, st);
	if (r == BG_OK && st->serial != serial)
		r = BG_EFORMAT;
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? err_from_errno(errno) : BG_EIO;
		p += n;
		len -= (size_t)n;
	}
	return BG_OK;
}

/* Caller holds the exclusive lock. Readers see the old or the new file. */
static int
write_state(const char *base, const struct vyk_state *st)
{
	char path[BG_PATH_MAX], tmp[BG_PATH_MAX], buf[STATE_MAX];
	size_t len;
	int fd, r;

	if ((r = key_file(path, sizeof(path), base, st->serial,
	    "state")) != BG_OK ||
	    (r = key_file(tmp, sizeof(tmp), base, st->serial,
	    "state.tmp")) != BG_OK)
		return r;
	if ((r = serialise(st, buf, sizeof(buf), &len)) != BG_OK)
		goto out;
	(void)unlink(tmp);	/* left by a writer that died */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0) {
		r = err_from_errno(errno);
		goto out;
	}
	r = write_all(fd, buf, len);
	if (close(fd) != 0 && r == BG_OK)
		r = err_from_errno(errno);
	if (r == BG_OK && rename(tmp, path) != 0)
		r = err_from_errno(errno);
	if (r != BG_OK)
		(void)unlink(tmp);
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

/* ------------------------------------------------------------ public */

void
vyk_state_init(struct vyk_state *st, unsigned serial)
{
	memset(st, 0, sizeof(*st));
	st->serial = serial;
	st->fw[0] = BG_VYK_FW_MAJOR;
	st->fw[1] = BG_VYK_FW_MINOR;
	st->fw[2] = BG_VYK_FW_BUILD;
	st->pid = BG_VYK_PID;
}

int
vyk_store_create(const char *base, const struct vyk_state *st)
{
	char dir[BG_PATH_MAX];
	int n, fd = -1, r;

	if (base == NULL || *base == '\0' || st->serial == 0)
		return BG_EINVAL;
	n = snprintf(dir, sizeof(dir), "%s/yubikey", base);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return BG_ETOOBIG;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return err_from_errno(errno);
	if ((r = vyk_key_dir(dir, sizeof(dir), base, st->serial)) != BG_OK)
		return r;
	if (mkdir(dir, 0700) != 0)
		return err_from_errno(errno);
	if ((r = lock_key(base, st->serial, LOCK_EX, &fd)) != BG_OK)
		return r;
	r = write_state(base, st);
	unlock_key(fd);
	return r;
}

int
vyk_store_load(const char *base, unsigned serial, struct vyk_state *st)
{
	char dir[BG_PATH_MAX];
	struct stat sb;
	int fd = -1, r;

	/* Do not create the lock file (or its directory) of a missing key. */
	if ((r = vyk_key_dir(dir, sizeof(dir), base, serial)) != BG_OK)
		return r;
	if (lstat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return BG_ENOENT;
	if ((r = lock_key(base, serial, LOCK_SH, &fd)) != BG_OK)
		return r;
	r = read_state(base, serial, st);
	unlock_key(fd);
	return r;
}

int
vyk_store_update(const char *base, unsigned serial,
    int (*fn)(struct vyk_state *, void *), void *arg, struct vyk_state *out)
{
	struct vyk_state st;
	char dir[BG_PATH_MAX];
	struct stat sb;
	int fd = -1, r;

	if ((r = vyk_key_dir(dir, sizeof(dir), base, serial)) != BG_OK)
		return r;
	if (lstat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return BG_ENOENT;
	if ((r = lock_key(base, serial, LOCK_EX, &fd)) != BG_OK)
		return r;
	if ((r = read_state(base, serial, &st)) != BG_OK)
		goto out;
	if ((r = fn(&st, arg)) < 0)
		goto out;
	r = r > 0 ? write_state(base, &st) : BG_OK;
	if (r == BG_OK && out != NULL)
		*out = st;
out:
	unlock_key(fd);
	OPENSSL_cleanse(&st, sizeof(st));
	return r;
}

/* Canonical decimal serial (no sign, no leading zero), 1..UINT_MAX. */
static int
parse_serial(const char *s, unsigned *out)
{
	unsigned long v = 0;
	const char *p;

	if (*s < '1' || *s > '9')
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > UINT_MAX)
			return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int
cmp_serial(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return (x > y) - (x < y);
}

int
vyk_store_list(const char *base, unsigned *serials, size_t max, size_t *n)
{
	char dir[BG_PATH_MAX], path[BG_PATH_MAX];
	struct dirent *de;
	struct stat sb;
	unsigned serial;
	DIR *d;
	int len, r = BG_OK;

	*n = 0;
	if (base == NULL || *base == '\0')
		return BG_EINVAL;
	len = snprintf(dir, sizeof(dir), "%s/yubikey", base);
	if (len < 0 || (size_t)len >= sizeof(dir))
		return BG_ETOOBIG;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? BG_OK : err_from_errno(errno);
	while ((de = readdir(d)) != NULL) {
		if (parse_serial(de->d_name, &serial) != 0)
			continue;
		if (key_file(path, sizeof(path), base, serial, "state") !=
		    BG_OK || lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if (*n == max) {
			r = BG_ETOOBIG;
			break;
		}
		serials[(*n)++] = serial;
	}
	closedir(d);
	qsort(serials, *n, sizeof(*serials), cmp_serial);
	return r;
}
