/* Locking and directory helpers shared by the audit log's readers and writer. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "audit/internal.h"

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

/* The next complete line in the buffer, without reading. */
static int
lines_take(struct bg_lines *lr, const char **line, size_t *len)
{
	char *nl = memchr(lr->buf + lr->pos, '\n', lr->len - lr->pos);

	if (nl == NULL)
		return 0;
	*line = lr->buf + lr->pos;
	*len = (size_t)(nl - *line);
	lr->pos += *len + 1;
	lr->consumed += *len + 1;
	return 1;
}

int
bg_lines_batch(struct bg_lines *lr, struct bg_line *out, size_t max,
    size_t *n)
{
	int r;

	*n = 0;
	if (max == 0)
		return BG_EINVAL;
	if ((r = bg_lines_next(lr, &out[0].p, &out[0].len)) != 1)
		return r;
	for (*n = 1; *n < max && lines_take(lr, &out[*n].p, &out[*n].len); ++*n)
		;
	return 1;
}

int
bg_lines_next(struct bg_lines *lr, const char **line, size_t *len)
{
	int r;

	for (;;) {
		if (lines_take(lr, line, len))
			return 1;
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

int
bg_bytes_add(struct bg_bytes *b, const void *data, size_t n)
{
	size_t cap = b->cap ? b->cap : 1024;
	uint8_t *p;

	if (n > SIZE_MAX / 2 - b->len)
		return BG_ETOOBIG;
	while (cap < b->len + n)
		cap *= 2;
	if (cap != b->cap) {
		if ((p = realloc(b->p, cap)) == NULL)
			return BG_ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return BG_OK;
}

int
bg_bytes_add_u64(struct bg_bytes *b, uint64_t v)
{
	uint8_t le[8];
	int i;

	for (i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	return bg_bytes_add(b, le, sizeof(le));
}

void
bg_bytes_free(struct bg_bytes *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

int
bg_bytes_emit(void *ctx, unsigned level, uint64_t index,
    const uint8_t hash[BG_HASH_LEN])
{
	(void)level;
	(void)index;
	return bg_bytes_add(ctx, hash, BG_HASH_LEN);
}
