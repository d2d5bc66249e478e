/*
 * Derived files: "tree" holds Merkle node hashes of perfect subtrees in
 * post-order (merkle.h), "index" holds the end offset of each entry as a
 * little-endian u64. Both are rebuilt from entries.jsonl when short, so
 * they are written without fsync; nothing trusts them without checking a
 * root against a signed checkpoint.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "audit/internal.h"

int
bg_store_open(int dirfd, int writable, struct bg_store *st)
{
	int flags = (writable ? O_RDWR | O_CREAT : O_RDONLY) | O_NOFOLLOW |
	    O_CLOEXEC;

	st->tree_fd = st->index_fd = -1;
	if ((st->tree_fd = openat(dirfd, F_TREE, flags, 0600)) < 0 ||
	    (st->index_fd = openat(dirfd, F_INDEX, flags, 0600)) < 0) {
		int r = bg_err_from_errno(errno);
		bg_store_close(st);
		return r;
	}
	return BG_OK;
}

void
bg_store_close(struct bg_store *st)
{
	if (st->tree_fd >= 0)
		close(st->tree_fd);
	if (st->index_fd >= 0)
		close(st->index_fd);
	st->tree_fd = st->index_fd = -1;
}

int
bg_store_get(void *ctx, unsigned level, uint64_t index,
    uint8_t out[BG_HASH_LEN])
{
	const struct bg_store *st = ctx;
	uint64_t pos = bg_merkle_pos(level, index);

	if (pos > (uint64_t)INT64_MAX / BG_HASH_LEN)
		return BG_ERANGE;
	return bg_pread_all(st->tree_fd, out, BG_HASH_LEN,
	    (off_t)(pos * BG_HASH_LEN));
}

static int
file_size(int fd, uint64_t *size)
{
	struct stat sb;

	if (fstat(fd, &sb) != 0)
		return bg_err_from_errno(errno);
	*size = (uint64_t)sb.st_size;
	return BG_OK;
}

int
bg_store_counts(const struct bg_store *st, uint64_t *index_n,
    uint64_t *tree_n)
{
	uint64_t a = 0, b = 0;
	int r;

	if ((r = file_size(st->index_fd, &a)) != BG_OK ||
	    (r = file_size(st->tree_fd, &b)) != BG_OK)
		return r;
	*index_n = a / 8;
	*tree_n = b / BG_HASH_LEN;
	return BG_OK;
}

int
bg_store_end(const struct bg_store *st, uint64_t seq, uint64_t *end)
{
	uint8_t b[8];
	uint64_t v = 0;
	int i, r;

	if (seq > (uint64_t)INT64_MAX / 8)
		return BG_ERANGE;
	if ((r = bg_pread_all(st->index_fd, b, 8, (off_t)(seq * 8))) != BG_OK)
		return r;
	for (i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	*end = v;
	return BG_OK;
}
