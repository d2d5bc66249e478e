/* Locking and directory helpers shared by the audit log's readers and writer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "audit/internal.h"

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

int
bg_open_dir(const char *dir, int *dirfd)
{
	if ((*dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return bg_err_from_errno(errno);
	return BG_OK;
}

int
bg_io_err(ssize_t n)
{
	return n < 0 ? bg_err_from_errno(errno) : BG_EIO;
}

int
bg_lines_init(struct bg_lines *lr, int fd, uint64_t off, size_t cap)
{
	memset(lr, 0, sizeof(*lr));
	if (cap < BG_AUDIT_ENTRY_MAX)
		cap = BG_AUDIT_ENTRY_MAX;
	if ((lr->buf = malloc(cap)) == NULL)
		return BG_ENOMEM;
	lr->fd = fd;
	lr->off = off;
	lr->cap = cap;
	return BG_OK;
}

void
bg_lines_free(struct bg_lines *lr)
{
	free(lr->buf);
	lr->buf = NULL;
}

/* Moves the unread rest to the front and reads more. 0 at end of file. */
static int
lines_fill(struct bg_lines *lr)
{
	ssize_t n;

	memmove(lr->buf, lr->buf + lr->pos, lr->len - lr->pos);
	lr->len -= lr->pos;
	lr->pos = 0;
	do {
		n = pread(lr->fd, lr->buf + lr->len, lr->cap - lr->len,
		    (off_t)lr->off);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return bg_io_err(n);
	lr->off += (uint64_t)n;
	lr->len += (size_t)n;
	return n > 0;
}

int
bg_lines_next(struct bg_lines *lr, const char **line, size_t *len)
{
	char *nl;
	int r;

	for (;;) {
		nl = memchr(lr->buf + lr->pos, '\n', lr->len - lr->pos);
		if (nl != NULL) {
			*line = lr->buf + lr->pos;
			*len = (size_t)(nl - *line);
			lr->pos += *len + 1;
			lr->consumed += *len + 1;
			return 1;
		}
		if (lr->len - lr->pos >= BG_AUDIT_ENTRY_MAX)
			return BG_ETOOBIG;	/* a "line" longer than any entry */
		if ((r = lines_fill(lr)) <= 0) {
			lr->partial = lr->len - lr->pos;
			return r;
		}
	}
}

const char *
bg_audit_why(void)
{
	return bg_why();
}
