/*
 * common/file.c: exact reads and writes, atomic replacement, bounded
 * reads of whole files and private directories.
 *
 * Files are opened with O_NOFOLLOW and O_CLOEXEC and created with O_EXCL
 * (signify's key files); replacement is write-temp, fsync, rename, fsync
 * the directory, so a crash leaves either the old or the new contents.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "common/common.h"

/* Largest value of the signed type off_t. */
#define BG_OFF_MAX \
	((off_t)(((uintmax_t)1 << (sizeof(off_t) * CHAR_BIT - 1)) - 1))

/* Only permission bits: never setuid/setgid/sticky on files we write. */
#define BG_MODE_MASK	((mode_t)0777)

/* Largest single read()/write() request. */
#define BG_IO_CHUNK	((size_t)1 << 30)

int
bg_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	if (fd < 0 || (buf == NULL && len > 0))
		return BG_EINVAL;
	while (len > 0) {
		n = write(fd, p, len < BG_IO_CHUNK ? len : BG_IO_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bg_err_from_errno(errno);
		if (n == 0)
			return BG_EIO;
		p += n;
		len -= (size_t)n;
	}
	return BG_OK;
}

int
bg_pread_all(int fd, void *buf, size_t len, off_t off)
{
	uint8_t *p = buf;
	ssize_t n;

	if (fd < 0 || (buf == NULL && len > 0) || off < 0)
		return BG_EINVAL;
	if (len > (uintmax_t)(BG_OFF_MAX - off))
		return BG_EINVAL;
	while (len > 0) {
		n = pread(fd, p, len < BG_IO_CHUNK ? len : BG_IO_CHUNK, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bg_err_from_errno(errno);
		if (n == 0)
			return BG_EFORMAT;	/* file shorter than promised */
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return BG_OK;
}

int
bg_fsync_dir(const char *dir)
{
	int fd, r = BG_OK;

	if (dir == NULL)
		return BG_EINVAL;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return bg_err_from_errno(errno);
	if (fsync(fd) != 0)
		r = bg_err_from_errno(errno);
	if (close(fd) != 0 && r == BG_OK)
		r = bg_err_from_errno(errno);
	return r;
}

int
bg_fsync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	size_t n;
	int r;

	if (slash == NULL)
		return bg_fsync_dir(".");
	if (slash == path)
		return bg_fsync_dir("/");
	n = (size_t)(slash - path);
	if ((dir = malloc(n + 1)) == NULL)
		return BG_ENOMEM;
	memcpy(dir, path, n);
	dir[n] = '\0';
	r = bg_fsync_dir(dir);
	free(dir);
	return r;
}

/*
 * Writes data to the freshly created fd, sets exactly mode (the umask
 * applied at creation) and makes the contents durable. Always closes fd.
 */
static int
write_close(int fd, const void *data, size_t len, mode_t mode)
{
	int r = BG_OK;

	if (fchmod(fd, mode) != 0)
		r = bg_err_from_errno(errno);
	if (r == BG_OK)
		r = bg_write_all(fd, data, len);
	if (r == BG_OK && fsync(fd) != 0)
		r = bg_err_from_errno(errno);
	/* close() can report a deferred write error (NFS, quota). */
	if (close(fd) != 0 && r == BG_OK)
		r = bg_err_from_errno(errno);
	return r;
}

static int
create_excl(const char *path, mode_t mode)
{
	return open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode);
}

/* Builds "<path>.tmp.<pid>.<16 random hex digits>"; caller frees. */
static int
temp_name(const char *path, char **out)
{
	uint8_t rnd[8];
	char hex[2 * sizeof(rnd) + 1];
	size_t n;
	char *s;

	if (RAND_bytes(rnd, (int)sizeof(rnd)) != 1)
		return BG_ECRYPTO;
	if (bg_hex_encode(rnd, sizeof(rnd), hex, sizeof(hex)) != BG_OK)
		return BG_EINTERNAL;
	n = strlen(path) + sizeof(".tmp..") + 3 * sizeof(pid_t) + sizeof(hex);
	if ((s = malloc(n)) == NULL)
		return BG_ENOMEM;
	if (snprintf(s, n, "%s.tmp.%ld.%s", path, (long)getpid(), hex) < 0) {
		free(s);
		return BG_EINTERNAL;
	}
	*out = s;
	return BG_OK;
}

/* 1 when name ends as temp_name ends: ".tmp.<pid>.<16 hex digits>". */
int
bg_file_is_temp(const char *name)
{
	const char *t = NULL, *p;
	size_t i, digits;

	for (p = strstr(name, ".tmp."); p != NULL; p = strstr(p + 1, ".tmp."))
		t = p;
	if (t == NULL || t == name)
		return 0;
	p = t + 5;
	for (digits = 0; p[digits] >= '0' && p[digits] <= '9'; digits++)
		;
	if (digits == 0 || p[digits] != '.' || strlen(p + digits + 1) != 16)
		return 0;
	p += digits + 1;
	for (i = 0; i < 16; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' &&
		    p[i] <= 'f')))
			return 0;
	return 1;
}

int
bg_file_sweep_temps(const char *dir, unsigned *removed)
{
	struct dirent *de;
	DIR *d;
	int r = BG_OK;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? BG_OK : bg_err_from_errno(errno);
	while ((de = readdir(d)) != NULL)
		if (bg_file_is_temp(de->d_name)) {
			if (unlinkat(dirfd(d), de->d_name, 0) == 0) {
				if (removed != NULL)
					++*removed;
			} else if (errno != ENOENT)
				r = bg_err_from_errno(errno);
		}
	closedir(d);
	return r;
}

int
bg_file_replace(const char *path, const void *data, size_t len,
    mode_t mode)
{
	char *tmp = NULL;
	int fd, r;

	if (path == NULL || (data == NULL && len > 0) ||
	    (mode & ~BG_MODE_MASK) != 0)
		return BG_EINVAL;
	if ((r = temp_name(path, &tmp)) != BG_OK)
		return r;
	if ((fd = create_excl(tmp, mode)) < 0) {
		r = bg_err_from_errno(errno);
		goto out;
	}
	if ((r = write_close(fd, data, len, mode)) != BG_OK)
		goto fail;
	if (rename(tmp, path) != 0) {
		r = bg_err_from_errno(errno);
		goto fail;
	}
	/* Renamed: the temp name is gone; only durability is left. */
	r = bg_fsync_parent(path);
	goto out;
fail:
	(void)unlink(tmp);
out:
	free(tmp);
	return r;
}

int
bg_file_create_excl(const char *path, const void *data, size_t len,
    mode_t mode)
{
	int fd, r;

	if (path == NULL || (data == NULL && len > 0) ||
	    (mode & ~BG_MODE_MASK) != 0)
		return BG_EINVAL;
	if ((fd = create_excl(path, mode)) < 0)
		return bg_err_from_errno(errno);
	if ((r = write_close(fd, data, len, mode)) == BG_OK)
		r = bg_fsync_parent(path);
	/* Never leave a partial file: a retry would then hit BG_EEXIST. */
	if (r != BG_OK)
		(void)unlink(path);
	return r;
}

/* Frees a buffer that may hold file contents (key files are secrets). */
static void
free_wiped(char *buf, size_t size)
{
	if (buf == NULL)
		return;
	bg_wipe(buf, size);
	free(buf);
}

/* Grows *buf (holding used bytes, size *cap + 1) to newcap + 1 bytes. */
static int
grow(char **buf, size_t *cap, size_t used, size_t newcap)
{
	char *nb;

	if ((nb = malloc(newcap + 1)) == NULL)
		return BG_ENOMEM;
	memcpy(nb, *buf, used);
	free_wiped(*buf, *cap + 1);
	*buf = nb;
	*cap = newcap;
	return BG_OK;
}

/* Next capacity: doubled, but never more than max + 1 bytes of data. */
static size_t
next_cap(size_t cap, size_t max)
{
	return cap > max / 2 ? max + 1 : 2 * cap;
}

/*
 * Reads fd to EOF into a buffer of hint + 1 bytes that grows as needed;
 * at most max + 1 bytes are ever read, the extra one proving "too big".
 */
static int
read_bounded(int fd, size_t hint, size_t max, char **bufp, size_t *lenp)
{
	size_t cap = hint < max ? hint + 1 : max + 1, used = 0;
	char *buf;
	ssize_t n;
	int r = BG_OK;

	if ((buf = malloc(cap + 1)) == NULL)
		return BG_ENOMEM;
	for (;;) {
		if (used == cap && (used > max ||
		    (r = grow(&buf, &cap, used, next_cap(cap, max))) != BG_OK))
			break;
		n = read(fd, buf + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? bg_err_from_errno(errno) : BG_OK;
			break;
		}
		used += (size_t)n;
	}
	if (r == BG_OK && used > max)
		r = BG_ETOOBIG;
	if (r != BG_OK) {
		free_wiped(buf, cap + 1);
		return r;
	}
	buf[used] = '\0';
	*bufp = buf;
	*lenp = used;
	return BG_OK;
}

/*
 * Opens path without following a last-component symlink and without
 * blocking on a FIFO; dir asks for a directory. A symlink is named.
 */
static int
open_nofollow(const char *path, int dir, int *fdp)
{
	struct stat lst;
	int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	int e;

	if (dir)
		flags |= O_DIRECTORY;
	if ((*fdp = open(path, flags)) >= 0)
		return BG_OK;
	e = errno;
	if ((e == ELOOP || e == ENOTDIR) && lstat(path, &lst) == 0 &&
	    S_ISLNK(lst.st_mode)) {
		bg_set_why("%s is a symbolic link; put the %s itself there",
		    path, dir ? "directory" : "file");
		return BG_EPERM;
	}
	if (e == ENOTDIR && dir) {
		bg_set_why("%s is not a directory", path);
		return BG_EPERM;
	}
	return bg_err_from_errno(e);
}

int
bg_perm_check(const char *path, const struct stat *st, int flags)
{
	unsigned mode = (unsigned)(st->st_mode & 07777);

	if (st->st_uid != geteuid()) {
		bg_set_why("%s is owned by uid %u, not by uid %u who runs "
		    "breakglass: run breakglass as its owner, or 'chown %u %s'",
		    path, (unsigned)st->st_uid, (unsigned)geteuid(),
		    (unsigned)geteuid(), path);
		return BG_EPERM;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		bg_set_why("%s is writable by group or others (mode %04o): "
		    "run 'chmod go-w %s'", path, mode, path);
		return BG_EPERM;
	}
	if ((flags & BG_PERM_SECRET) && (st->st_mode & 077) != 0) {
		bg_set_why("%s is a secret readable by group or others (mode "
		    "%04o): run 'chmod go-rwx %s'", path, mode, path);
		return BG_EPERM;
	}
	return BG_OK;
}

int
bg_path_check(const char *path, int flags)
{
	struct stat st;
	int fd, r, dir = (flags & BG_PERM_DIR) != 0;

	if (path == NULL)
		return BG_EINVAL;
	if ((r = open_nofollow(path, dir, &fd)) != BG_OK)
		return r;
	if (fstat(fd, &st) != 0)
		r = bg_err_from_errno(errno);
	else if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
		bg_set_why("%s is not a %s", path, dir ? "directory" :
		    "regular file");
		r = BG_EPERM;
	} else
		r = bg_perm_check(path, &st, flags);
	(void)close(fd);
	return r;
}

/* bg_file_read, and with check the owner and mode of the opened file. */
static int
file_read(const char *path, size_t max, int check, int flags, char **data,
    size_t *len)
{
	struct stat st;
	int fd, r;

	if (path == NULL || data == NULL || len == NULL || max >= SSIZE_MAX)
		return BG_EINVAL;
	*data = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO planted at path must not hang the open. */
	if ((r = open_nofollow(path, 0, &fd)) != BG_OK)
		return r;
	if (fstat(fd, &st) != 0)
		r = bg_err_from_errno(errno);
	else if (check && S_ISREG(st.st_mode) &&
	    (r = bg_perm_check(path, &st, flags)) != BG_OK)
		;
	else
		r = bg_fd_read_file(fd, max, data, len);
	(void)close(fd);
	return r;
}

int
bg_fd_read_file(int fd, size_t max, char **data, size_t *len)
{
	struct stat st;

	*data = NULL;
	*len = 0;
	if (max >= SSIZE_MAX)
		return BG_EINVAL;
	if (fstat(fd, &st) != 0)
		return bg_err_from_errno(errno);
	if (!S_ISREG(st.st_mode))
		return BG_EFORMAT;
	if (st.st_size < 0 || (uintmax_t)st.st_size > max)
		return BG_ETOOBIG;
	(void)lseek(fd, 0, SEEK_SET);
	return read_bounded(fd, (size_t)st.st_size, max, data, len);
}

int
bg_file_read(const char *path, size_t max, char **data, size_t *len)
{
	return file_read(path, max, 0, 0, data, len);
}

int
bg_file_read_checked(const char *path, size_t max, int flags, char **data,
    size_t *len)
{
	return file_read(path, max, 1, flags, data, len);
}

int
bg_mkdir_private(const char *path)
{
	struct stat st;

	if (path == NULL)
		return BG_EINVAL;
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return bg_err_from_errno(errno);
	/* Whether new or old, check what is actually there now. */
	if (lstat(path, &st) != 0)
		return bg_err_from_errno(errno);
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0)
		return BG_EPERM;
	return BG_OK;
}

int
bg_path_join(char *out, size_t outsz, const char *a, const char *b)
{
	int n;

	if (out == NULL || outsz == 0 || a == NULL || b == NULL)
		return BG_EINVAL;
	/* snprintf may not read what it writes: out must not be a or b */
	if (out == a || out == b)
		return BG_EINVAL;
	n = snprintf(out, outsz, "%s/%s", a, b);
	if (n < 0) {
		out[0] = '\0';
		return BG_EINTERNAL;
	}
	if ((size_t)n >= outsz) {
		out[0] = '\0';	/* never hand back a truncated path */
		return BG_ETOOBIG;
	}
	return BG_OK;
}

int
bg_read_line(int fd, char *buf, size_t max, size_t *len)
{
	int over = 0;
	ssize_t got;
	char c;

	if (buf == NULL || len == NULL)
		return BG_EINVAL;
	*len = 0;
	for (;;) {
		got = read(fd, &c, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0 || c == '\n')
			break;
		/* past max the line is refused at once, not read to its end:
		 * 100 MB, or /dev/zero, on stdin must not keep us reading */
		if (*len == max) {
			over = 1;
			break;
		}
		buf[(*len)++] = c;
	}
	bg_wipe(&c, sizeof(c));
	if (got < 0)
		return bg_err_from_errno(errno);
	if (!over && *len > 0 && buf[*len - 1] == '\r')
		(*len)--;
	return over ? BG_ETOOBIG : BG_OK;
}

#define LOCK_WAIT_MS 10000
#define LOCK_STEP_MS 20

int
bg_lock_wait(int fd, int op)
{
	struct timespec step = { 0, LOCK_STEP_MS * 1000000L };
	int waited;

	for (waited = 0; waited <= LOCK_WAIT_MS; waited += LOCK_STEP_MS) {
		if (flock(fd, op | LOCK_NB) == 0)
			return BG_OK;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return bg_err_from_errno(errno);
		nanosleep(&step, NULL);
	}
	return BG_ELOCKED;
}
