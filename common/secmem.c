/*
 * common/secmem.c: memory for secrets, wiping and constant-time compare.
 *
 * Secrets live in OpenSSL's secure heap: a separate mapping that is
 * mlock()ed (never swapped), excluded from core dumps and surrounded by
 * guard pages. When it cannot be set up, OPENSSL_secure_zalloc() falls back
 * to the ordinary heap; bg_secure_locked() reports which one is in use.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/uio.h>

#include <openssl/crypto.h>

#include "common/common.h"

#define BG_SECURE_HEAP_SIZE	(256 * 1024)
#define BG_SECURE_HEAP_MINSIZE	32

/* Result of CRYPTO_secure_malloc_init(): 1 locked, 2 mapped but unlocked. */
static int bg_secure_init_rc = -1;

static void
bg_secure_init(void)
{
	if (bg_secure_init_rc != -1)
		return;
	if (CRYPTO_secure_malloc_initialized()) {
		/* Someone else set it up; assume it is locked. */
		bg_secure_init_rc = 1;
		return;
	}
	bg_secure_init_rc = CRYPTO_secure_malloc_init(BG_SECURE_HEAP_SIZE,
	    BG_SECURE_HEAP_MINSIZE);
}

void *
bg_secure_alloc(size_t len)
{
	if (len == 0)
		return NULL;
	bg_secure_init();
	return OPENSSL_secure_zalloc(len);
}

void
bg_secure_free(void *pp, size_t len)
{
	void **p = pp;

	if (p == NULL || *p == NULL)
		return;
	/* Handles both the secure heap and the ordinary-heap fallback. */
	OPENSSL_secure_clear_free(*p, len);
	*p = NULL;
}

int
bg_secure_locked(void)
{
	bg_secure_init();
	/* rc 2 means the heap exists but mlock()/guard pages failed. */
	return CRYPTO_secure_malloc_initialized() && bg_secure_init_rc == 1;
}

void
bg_wipe(void *p, size_t len)
{
	if (p == NULL || len == 0)
		return;
	OPENSSL_cleanse(p, len);
}

int
bg_ct_memcmp(const void *a, const void *b, size_t len)
{
	/* Fail closed: a missing operand never compares equal. */
	if (a == NULL || b == NULL)
		return -1;
	return CRYPTO_memcmp(a, b, len) != 0;
}

int
bg_no_dump(void)
{
	struct rlimit rl = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return bg_err_from_errno(errno);
	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return bg_err_from_errno(errno);
	return BG_OK;
}

int
bg_write_secret(int fd, const char *const *parts)
{
	struct iovec iov[16];
	size_t n = 0, skip;
	ssize_t w;
	int i;

	for (i = 0; parts[i] != NULL; i++) {
		if (i == 16)
			return BG_EINVAL;
		iov[i].iov_base = (void *)(uintptr_t)parts[i];
		iov[i].iov_len = strlen(parts[i]);
	}
	if (fflush(stdout) != 0)
		return bg_err_from_errno(errno);
	while (n < (size_t)i) {
		if ((w = writev(fd, iov + n, (int)((size_t)i - n))) < 0) {
			if (errno == EINTR)
				continue;
			return bg_err_from_errno(errno);
		}
		for (skip = (size_t)w; n < (size_t)i && skip >= iov[n].iov_len;
		    n++)
			skip -= iov[n].iov_len;
		if (n < (size_t)i) {
			iov[n].iov_base = (char *)iov[n].iov_base + skip;
			iov[n].iov_len -= skip;
		}
	}
	return BG_OK;
}
