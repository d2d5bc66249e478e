/*
 * tests/unit/test_common.c: regression tests for common/ (errors, secure
 * memory, strict encodings, files, strict JSON). Bad input first: every
 * parser test starts with what must be rejected.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/common.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ helpers */

struct fixture {
	char	dir[64];
	char	path[256];
};

static int
setup_dir(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/bg_test_common.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/file", f->dir);
	*state = f;
	return 0;
}

static int
teardown_dir(void **state)
{
	struct fixture *f = *state;
	int r = tu_rm_rf(f->dir);

	free(f);
	return r;
}

/* Number of entries in dir other than "." and "..". */
static int
count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
write_file(const char *path, const char *s, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	assert_int_equal(close(fd), 0);
}

/* Reads path with plain libc and compares it with want. */
static void
assert_file_is(const char *path, const char *want)
{
	char buf[512];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, (ssize_t)strlen(want));
	assert_memory_equal(buf, want, strlen(want));
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

/* ------------------------------------------------------------- errors */

static const int all_codes[] = {
	BG_OK, BG_EINTERNAL, BG_ENOMEM, BG_EINVAL, BG_EFORMAT, BG_EIO,
	BG_ENOSPC, BG_EEXIST, BG_ENOENT, BG_ELOCKED, BG_ETAMPER, BG_ESIG,
	BG_ECRYPTO, BG_ERANGE, BG_EPERM, BG_ETOOBIG, BG_EPROOF, BG_ECONSIST,
	BG_ERECOVER, BG_EROFS, BG_ENODEV, BG_ENOCRED, BG_EPIN, BG_EPINBLOCKED,
	BG_ETIMEOUT, BG_EREMOVED, BG_ENOUP, BG_EWRONGTOKEN, BG_ENOSLOT,
	BG_ESERIAL, BG_ERESPONSE, BG_EUV, BG_EDEVICE, BG_EATTEST,
};

static void
test_strerror_distinct(void **state)
{
	size_t i, j;

	(void)state;
	assert_int_equal(NELEM(all_codes), 34);
	for (i = 0; i < NELEM(all_codes); i++) {
		const char *m = bg_strerror(all_codes[i]);

		assert_non_null(m);
		assert_true(strlen(m) > 0);
		assert_string_not_equal(m, "unknown error");
		for (j = 0; j < i; j++)
			assert_string_not_equal(m, bg_strerror(all_codes[j]));
	}
	assert_string_equal(bg_strerror(BG_EPROOF),
	    "Merkle proof does not verify");
}

/* The detail channel: per thread, bounded, cleared on request. */
static void
test_why(void **state)
{
	char big[600];

	(void)state;
	bg_clear_why();
	assert_string_equal(bg_why(), "");
	bg_set_why("entry %d is bad", 7);
	assert_string_equal(bg_why(), "entry 7 is bad");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bg_set_why("%s", big);
	assert_int_equal(strlen(bg_why()), 255);
	bg_clear_why();
	assert_string_equal(bg_why(), "");
}

/* A tree not made by bg_json_parse may hold a key twice: refused. */
static void
test_json_only_keys_duplicates(void **state)
{
	static const char *const allowed[] = { "a", "b", NULL };
	cJSON *o = cJSON_CreateObject();

	(void)state;
	assert_non_null(o);
	cJSON_AddNumberToObject(o, "a", 1);
	cJSON_AddNumberToObject(o, "b", 2);
	assert_int_equal(bg_json_only_keys(o, allowed), BG_OK);
	cJSON_AddNumberToObject(o, "a", 3);	/* cJSON allows it */
	assert_int_equal(bg_json_only_keys(o, allowed), BG_EFORMAT);
	cJSON_Delete(o);
}

static void
test_strerror_unknown(void **state)
{
	(void)state;
	assert_string_equal(bg_strerror(1), "unknown error");
	assert_string_equal(bg_strerror(-20), "unknown error");
	assert_string_equal(bg_strerror(-29), "unknown error");
	assert_string_equal(bg_strerror(-44), "unknown error");
	assert_string_equal(bg_strerror(INT_MIN), "unknown error");
	assert_string_equal(bg_strerror(INT_MAX), "unknown error");
}

static void
test_err_from_errno(void **state)
{
	(void)state;
	assert_int_equal(bg_err_from_errno(ENOSPC), BG_ENOSPC);
	assert_int_equal(bg_err_from_errno(EDQUOT), BG_ENOSPC);
	/* a read-only remount is said as such, not as an I/O error */
	assert_int_equal(bg_err_from_errno(EROFS), BG_EROFS);
	assert_int_equal(bg_err_from_errno(ENOENT), BG_ENOENT);
	assert_int_equal(bg_err_from_errno(EEXIST), BG_EEXIST);
	assert_int_equal(bg_err_from_errno(EACCES), BG_EPERM);
	assert_int_equal(bg_err_from_errno(EPERM), BG_EPERM);
	assert_int_equal(bg_err_from_errno(ELOOP), BG_EPERM);
	assert_int_equal(bg_err_from_errno(ENOMEM), BG_ENOMEM);
	assert_int_equal(bg_err_from_errno(EWOULDBLOCK), BG_ELOCKED);
	assert_int_equal(bg_err_from_errno(EAGAIN), BG_ELOCKED);
	assert_int_equal(bg_err_from_errno(EIO), BG_EIO);
	assert_int_equal(bg_err_from_errno(EBADF), BG_EIO);
	assert_int_equal(bg_err_from_errno(0), BG_EIO);
	assert_int_equal(bg_err_from_errno(-1), BG_EIO);
}

/* ------------------------------------------------------ secure memory */

static void
test_secure_alloc_zeroed(void **state)
{
	uint8_t *p, zero[100] = { 0 };

	(void)state;
	assert_null(bg_secure_alloc(0));
	p = bg_secure_alloc(sizeof(zero));
	assert_non_null(p);
	assert_memory_equal(p, zero, sizeof(zero));
	memset(p, 0xa5, sizeof(zero));
	if (bg_secure_locked())
		assert_int_equal(CRYPTO_secure_allocated(p), 1);
	bg_secure_free(&p, sizeof(zero));
	assert_null(p);
	/* Freeing again, or NULL itself, is harmless. */
	bg_secure_free(&p, sizeof(zero));
	assert_null(p);
	bg_secure_free(NULL, 0);
}

static void
test_secure_locked(void **state)
{
	int locked;

	(void)state;
	locked = bg_secure_locked();
	assert_true(locked == 0 || locked == 1);
	/* Once initialised, the answer does not change. */
	assert_int_equal(bg_secure_locked(), locked);
	if (!locked)
		return;
	assert_int_equal(CRYPTO_secure_malloc_initialized(), 1);
	/* No silent fallback: more than the locked heap holds is refused. */
	assert_null(bg_secure_alloc(1 << 20));
}

static void
test_secure_alloc_many(void **state)
{
	uint8_t *p[64];
	size_t i, j;

	(void)state;
	for (i = 0; i < NELEM(p); i++) {
		p[i] = bg_secure_alloc(i + 1);
		assert_non_null(p[i]);
		for (j = 0; j <= i; j++)
			assert_int_equal(p[i][j], 0);
		memset(p[i], (int)i, i + 1);
	}
	for (i = 0; i < NELEM(p); i++) {
		for (j = 0; j <= i; j++)
			assert_int_equal(p[i][j], i);
		bg_secure_free(&p[i], i + 1);
		assert_null(p[i]);
	}
}

static void
test_wipe(void **state)
{
	uint8_t buf[33], zero[33] = { 0 };

	(void)state;
	memset(buf, 0xff, sizeof(buf));
	bg_wipe(buf, 16);
	assert_memory_equal(buf, zero, 16);
	assert_int_equal(buf[16], 0xff);
	bg_wipe(buf, sizeof(buf));
	assert_memory_equal(buf, zero, sizeof(buf));
	bg_wipe(NULL, 10);	/* must not crash */
}

static void
test_ct_memcmp(void **state)
{
	uint8_t a[32], b[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(a); i++)
		a[i] = b[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(bg_ct_memcmp(a, b, sizeof(a)), 0);
	assert_int_equal(bg_ct_memcmp(a, b, 0), 0);
	for (i = 0; i < sizeof(a); i++) {
		b[i] ^= 0x80;
		assert_int_not_equal(bg_ct_memcmp(a, b, sizeof(a)), 0);
		/* Only the first i bytes compared: still equal. */
		assert_int_equal(bg_ct_memcmp(a, b, i), 0);
		b[i] ^= 0x80;
	}
	assert_int_not_equal(bg_ct_memcmp(NULL, b, sizeof(b)), 0);
	assert_int_not_equal(bg_ct_memcmp(a, NULL, sizeof(a)), 0);
	assert_int_not_equal(bg_ct_memcmp(NULL, NULL, 0), 0);
}

static void
test_no_dump(void **state)
{
	struct rlimit rl;

	(void)state;
	assert_int_equal(bg_no_dump(), BG_OK);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
	assert_int_equal(rl.rlim_cur, 0);
	assert_int_equal(rl.rlim_max, 0);
	/* Idempotent. */
	assert_int_equal(bg_no_dump(), BG_OK);
}

/* ------------------------------------------------------------ base64 */

/* RFC 4648 section 10 test vectors. */
static const struct {
	const char *raw;
	const char *b64;
} rfc4648[] = {
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static int
b64dec(const char *s, uint8_t *out, size_t outsz, size_t *len)
{
	return bg_b64_decode(s, strlen(s), out, outsz, len);
}

static void
test_b64_reject_noncanonical(void **state)
{
	static const char *bad[] = {
		"QR==", "QZ==", "Q/==", "QUJ=", "QUL=", "QUP=",
		"Zm9=", "Zh==", "Zm9vYh==", "Zm9vYmF=",
	};
	uint8_t out[8];
	size_t i, len;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		len = 99;
		memset(out, 0xee, sizeof(out));
		assert_int_equal(b64dec(bad[i], out, sizeof(out), &len),
		    BG_EFORMAT);
		assert_int_equal(len, 0);
		/* Nothing written on failure. */
		assert_int_equal(out[0], 0xee);
	}
	/* Their canonical siblings decode. */
	assert_int_equal(b64dec("QQ==", out, sizeof(out), &len), BG_OK);
	assert_int_equal(len, 1);
	assert_int_equal(out[0], 'A');
	assert_int_equal(b64dec("QUI=", out, sizeof(out), &len), BG_OK);
	assert_int_equal(len, 2);
	assert_memory_equal(out, "AB", 2);
}

static void
test_b64_reject_malformed(void **state)
{
	static const char *bad[] = {
		"Q", "QQ", "QQ=", "QUI", "Zm9vY", "Zm9vYg", "Zm9vYg=",
		"QQ== ", " QQ==", "QQ\n==", "Q Q==", "QQ==\n", "QUJD\r\n",
		"QQ\t=", "QQ-_", "QQ*=", "QQ.=", "QUJ\x80", "QUJ\xff",
		"Q=Q=", "=QQQ", "Q===", "====", "QQ==QUJD", "QQ=A", "Q=AA",
		"QUJD=", "QUJD====", "-_-_", "QUJ%",
	};
	uint8_t out[16];
	size_t i, len;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		len = 99;
		assert_int_equal(b64dec(bad[i], out, sizeof(out), &len),
		    BG_EFORMAT);
		assert_int_equal(len, 0);
	}
	/* An embedded NUL inside the given length. */
	assert_int_equal(bg_b64_decode("QQ\0=", 4, out, sizeof(out), &len),
	    BG_EFORMAT);
	assert_int_equal(bg_b64_decode("\0\0\0\0", 4, out, sizeof(out), &len),
	    BG_EFORMAT);
}

static void
test_b64_decode_bounds(void **state)
{
	uint8_t out[8];
	size_t len = 99;

	(void)state;
	/* Longer than outsz: refused, and not a byte written. */
	memset(out, 0xee, sizeof(out));
	assert_int_equal(b64dec("Zm9vYmFy", out, 5, &len), BG_ETOOBIG);
	assert_int_equal(len, 0);
	assert_int_equal(out[0], 0xee);
	assert_int_equal(b64dec("Zm9vYmFy", out, 6, &len), BG_OK);
	assert_int_equal(len, 6);
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(out[6], 0xee);
	/* Empty input is a valid encoding of zero bytes. */
	len = 99;
	assert_int_equal(bg_b64_decode("", 0, out, 0, &len), BG_OK);
	assert_int_equal(len, 0);
	assert_int_equal(bg_b64_decode(NULL, 0, out, 1, &len), BG_EINVAL);
	assert_int_equal(bg_b64_decode("", 0, NULL, 1, &len), BG_EINVAL);
	assert_int_equal(bg_b64_decode("", 0, out, 1, NULL), BG_EINVAL);
}

static void
test_b64_decode_exact(void **state)
{
	uint8_t out[8];

	(void)state;
	memset(out, 0xee, sizeof(out));
	assert_int_equal(bg_b64_decode_exact("Zm9vYmE=", 8, out, 4),
	    BG_EFORMAT);
	assert_int_equal(bg_b64_decode_exact("Zm9vYmE=", 8, out, 6),
	    BG_EFORMAT);
	assert_int_equal(bg_b64_decode_exact("Zm9vYmE=", 8, out, 3),
	    BG_EFORMAT);
	assert_int_equal(out[0], 0xee);
	assert_int_equal(bg_b64_decode_exact("Zm9vYmF=", 8, out, 5),
	    BG_EFORMAT);
	assert_int_equal(bg_b64_decode_exact("Zm9vYmE", 7, out, 5),
	    BG_EFORMAT);
	assert_int_equal(bg_b64_decode_exact("Zm9vYmE=", 8, out, 5), BG_OK);
	assert_memory_equal(out, "fooba", 5);
	assert_int_equal(out[5], 0xee);
	/* Empty: only when zero bytes are wanted. */
	assert_int_equal(bg_b64_decode_exact("", 0, out, 0), BG_OK);
	assert_int_equal(bg_b64_decode_exact("", 0, out, 1), BG_EFORMAT);
	assert_int_equal(bg_b64_decode_exact("QQ==", 4, out, 0), BG_EFORMAT);
	assert_int_equal(bg_b64_decode_exact(NULL, 0, out, 0), BG_EINVAL);
	assert_int_equal(bg_b64_decode_exact("", 0, NULL, 0), BG_EINVAL);
}

static void
test_b64_rfc4648(void **state)
{
	char enc[16];
	uint8_t dec[8];
	size_t i, n, len;

	(void)state;
	for (i = 0; i < NELEM(rfc4648); i++) {
		n = strlen(rfc4648[i].raw);
		assert_int_equal(bg_b64_len(n), strlen(rfc4648[i].b64) + 1);
		assert_int_equal(bg_b64_encode((const uint8_t *)rfc4648[i].raw,
		    n, enc, sizeof(enc)), BG_OK);
		assert_string_equal(enc, rfc4648[i].b64);
		assert_int_equal(b64dec(rfc4648[i].b64, dec, sizeof(dec), &len),
		    BG_OK);
		assert_int_equal(len, n);
		assert_memory_equal(dec, rfc4648[i].raw, n);
	}
}

static void
test_b64_roundtrip_0_40(void **state)
{
	uint8_t in[40], dec[41];
	char enc[64];
	size_t n, i, len;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(0xff - i * 37);
	for (n = 0; n <= sizeof(in); n++) {
		assert_int_equal(bg_b64_len(n), (n + 2) / 3 * 4 + 1);
		memset(enc, 'X', sizeof(enc));
		assert_int_equal(bg_b64_encode(in, n, enc, bg_b64_len(n)), BG_OK);
		assert_int_equal(strlen(enc), bg_b64_len(n) - 1);
		assert_int_equal(enc[bg_b64_len(n)], 'X');
		len = 99;
		memset(dec, 0xee, sizeof(dec));
		assert_int_equal(b64dec(enc, dec, n, &len), BG_OK);
		assert_int_equal(len, n);
		assert_memory_equal(dec, in, n);
		assert_int_equal(dec[n], 0xee);
		memset(dec, 0xee, sizeof(dec));
		assert_int_equal(bg_b64_decode_exact(enc, strlen(enc), dec, n),
		    BG_OK);
		assert_memory_equal(dec, in, n);
		assert_int_equal(bg_b64_decode_exact(enc, strlen(enc), dec,
		    n + 1), BG_EFORMAT);
		if (n > 0)
			assert_int_equal(bg_b64_decode_exact(enc, strlen(enc),
			    dec, n - 1), BG_EFORMAT);
	}
}

static void
test_b64_encode_bounds(void **state)
{
	char out[16];

	(void)state;
	memset(out, 'X', sizeof(out));
	assert_int_equal(bg_b64_encode((const uint8_t *)"foo", 3, out, 4),
	    BG_ETOOBIG);
	assert_int_equal(out[0], 'X');
	assert_int_equal(bg_b64_encode((const uint8_t *)"foo", 3, out, 5),
	    BG_OK);
	assert_string_equal(out, "Zm9v");
	assert_int_equal(bg_b64_encode(NULL, 0, out, 1), BG_OK);
	assert_string_equal(out, "");
	assert_int_equal(bg_b64_encode(NULL, 1, out, sizeof(out)), BG_EINVAL);
	assert_int_equal(bg_b64_encode((const uint8_t *)"f", 1, NULL, 8),
	    BG_EINVAL);
	assert_int_equal(bg_b64_encode((const uint8_t *)"", 0, out, 0),
	    BG_ETOOBIG);
	/* Lengths whose encoding cannot be represented. */
	assert_int_equal(bg_b64_len(SIZE_MAX), 0);
	assert_int_equal(bg_b64_encode((const uint8_t *)"f", SIZE_MAX, out,
	    SIZE_MAX), BG_ETOOBIG);
}

/* --------------------------------------------------------------- hex */

static void
test_hex_reject(void **state)
{
	static const char *bad[] = {
		"0g", "g0", " 0", "0 ", "0x", "-1", "+1", "\n0", "0:", "@A",
		"`a", "/0", "GG",
	};
	uint8_t out[4];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		memset(out, 0xee, sizeof(out));
		assert_int_equal(bg_hex_decode_exact(bad[i], 2, out, 1),
		    BG_EFORMAT);
		assert_int_equal(out[0], 0);	/* wiped, not half-written */
	}
	/* A bad character after good ones: nothing partial is left. */
	memset(out, 0xee, sizeof(out));
	assert_int_equal(bg_hex_decode_exact("a1b2c3zz", 8, out, 4),
	    BG_EFORMAT);
	assert_memory_equal(out, "\0\0\0\0", 4);
	/* Odd length and wrong exact length. */
	assert_int_equal(bg_hex_decode_exact("abc", 3, out, 1), BG_EFORMAT);
	assert_int_equal(bg_hex_decode_exact("abc", 3, out, 2), BG_EFORMAT);
	assert_int_equal(bg_hex_decode_exact("abcd", 4, out, 1), BG_EFORMAT);
	assert_int_equal(bg_hex_decode_exact("abcd", 4, out, 3), BG_EFORMAT);
	assert_int_equal(bg_hex_decode_exact("a\0", 2, out, 1), BG_EFORMAT);
	assert_int_equal(bg_hex_decode_exact(NULL, 0, out, 0), BG_EINVAL);
	assert_int_equal(bg_hex_decode_exact("", 0, NULL, 0), BG_EINVAL);
}

static void
test_hex_values(void **state)
{
	static const uint8_t raw[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd,
	    0xef, 0xff, 0x10, 0x9a };
	char enc[2 * sizeof(raw) + 1];
	uint8_t out[sizeof(raw)];

	(void)state;
	assert_int_equal(bg_hex_encode(raw, sizeof(raw), enc, sizeof(enc) - 1),
	    BG_ETOOBIG);
	assert_int_equal(bg_hex_encode(raw, sizeof(raw), enc, sizeof(enc)),
	    BG_OK);
	assert_string_equal(enc, "00017f80abcdefff109a");
	assert_int_equal(bg_hex_decode_exact(enc, strlen(enc), out,
	    sizeof(out)), BG_OK);
	assert_memory_equal(out, raw, sizeof(raw));
	memset(out, 0, sizeof(out));
	assert_int_equal(bg_hex_decode_exact("00017F80ABCDEFFF109A", 20, out,
	    sizeof(out)), BG_OK);
	assert_memory_equal(out, raw, sizeof(raw));
	assert_int_equal(bg_hex_decode_exact("aBcD", 4, out, 2), BG_OK);
	assert_memory_equal(out, "\xab\xcd", 2);
	assert_int_equal(bg_hex_encode(NULL, 0, enc, 1), BG_OK);
	assert_string_equal(enc, "");
	assert_int_equal(bg_hex_encode(NULL, 1, enc, sizeof(enc)), BG_EINVAL);
	assert_int_equal(bg_hex_encode(raw, 1, NULL, 3), BG_EINVAL);
	assert_int_equal(bg_hex_decode_exact("", 0, out, 0), BG_OK);
}

/* -------------------------------------------------------------- JSON */

static cJSON *
parse(const char *s)
{
	return bg_json_parse(s, strlen(s));
}

static void
test_json_reject_trailing(void **state)
{
	static const char *bad[] = {
		"{} x", "{}x", "{} ", "{}\n", "[1,2]]", "truex", "1 2",
		"{\"a\":1}}", "\"a\"\"b\"", "nul", "", " ", "{", "[1,]",
		"{\"a\":1,}", "'a'", "{a:1}", "[1] // c", "null null",
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++)
		assert_null(parse(bad[i]));
	assert_null(bg_json_parse(NULL, 0));
	assert_null(bg_json_parse("1", 0));
}

static void
test_json_exact_len(void **state)
{
	const char *s = "{\"a\":1}garbage";
	uint64_t v = 0;
	cJSON *j;

	(void)state;
	/* Only len bytes count: the same text with its garbage cut off. */
	j = bg_json_parse(s, 7);
	assert_non_null(j);
	assert_int_equal(bg_json_get_u64(j, "a", 0, 10, &v), BG_OK);
	assert_int_equal(v, 1);
	cJSON_Delete(j);
	/* A prefix that is not a whole value. */
	assert_null(bg_json_parse(s, 6));
	/* Scalars at the top level are values too. */
	j = parse("42");
	assert_non_null(j);
	assert_true(cJSON_IsNumber(j));
	cJSON_Delete(j);
}

static void
test_json_reject_nul(void **state)
{
	static const char raw1[] = "{\"a\":1}";
	static const char raw2[] = "{\"a\":\"x\0y\"}";
	const char *s = NULL;
	cJSON *j;

	(void)state;
	/* The terminating NUL counted as part of the input. */
	assert_null(bg_json_parse(raw1, sizeof(raw1)));
	assert_null(bg_json_parse(raw2, sizeof(raw2) - 1));
	/* An escaped NUL would silently truncate the string. */
	assert_null(parse("{\"a\":\"x\\u0000y\"}"));
	assert_null(parse("{\"x\\u0000y\":1}"));
	assert_null(parse("[\"\\\\\\u0000\"]"));
	/* An escaped backslash followed by "u0000" is plain text. */
	j = parse("{\"a\":\"x\\\\u0000y\"}");
	assert_non_null(j);
	assert_int_equal(bg_json_get_str(j, "a", 100, &s), BG_OK);
	assert_string_equal(s, "x\\u0000y");
	cJSON_Delete(j);
	/* Other escapes still work. */
	j = parse("{\"a\":\"\\u0041\\n\"}");
	assert_non_null(j);
	assert_int_equal(bg_json_get_str(j, "a", 100, &s), BG_OK);
	assert_string_equal(s, "A\n");
	cJSON_Delete(j);
}

static void
test_json_reject_duplicates(void **state)
{
	static const char *bad[] = {
		"{\"a\":1,\"a\":2}",
		"{\"a\":1,\"b\":2,\"a\":1}",
		"{\"x\":{\"b\":1,\"b\":1}}",
		"{\"x\":[{\"k\":1},{\"k\":1,\"k\":2}]}",
		"[[{\"a\":{\"c\":true,\"d\":null,\"c\":false}}]]",
		"{\"a\":1,\"\\u0061\":2}",
		"{\"\":1,\"\":2}",
	};
	static const char *good[] = {
		"{\"a\":1,\"A\":2}",
		"{\"a\":{\"a\":{\"a\":1}}}",
		"[{\"k\":1},{\"k\":2}]",
		"{\"a\":1,\"a \":2,\"ab\":3}",
	};
	size_t i;
	cJSON *j;

	(void)state;
	for (i = 0; i < NELEM(bad); i++)
		assert_null(parse(bad[i]));
	for (i = 0; i < NELEM(good); i++) {
		j = parse(good[i]);
		assert_non_null(j);
		cJSON_Delete(j);
	}
}

/* Nesting kinds for nested(). */
enum { NEST_ARRAY, NEST_OBJECT, NEST_MIXED };

/* 1 when level i of a nested() document is an object. */
static int
nest_is_obj(size_t i, int kind)
{
	return kind == NEST_OBJECT || (kind == NEST_MIXED && i % 2 == 1);
}

/* n nested containers (arrays, {"a":...} objects or alternating) around 1. */
static char *
nested(size_t n, int kind)
{
	char *s = malloc(n * 6 + 2), *p;
	size_t i;

	assert_non_null(s);
	p = s;
	for (i = 0; i < n; i++) {
		if (nest_is_obj(i, kind)) {
			memcpy(p, "{\"a\":", 5);
			p += 5;
		} else
			*p++ = '[';
	}
	*p++ = '1';
	for (i = n; i > 0; i--)
		*p++ = nest_is_obj(i - 1, kind) ? '}' : ']';
	*p = '\0';
	return s;
}

static void
test_json_depth(void **state)
{
	static const size_t bad[] = { 17, 18, 100, 999, 1001, 5000 };
	char *s;
	cJSON *j;
	size_t i;
	int kind;

	(void)state;
	for (kind = NEST_ARRAY; kind <= NEST_MIXED; kind++) {
		for (i = 0; i < NELEM(bad); i++) {
			s = nested(bad[i], kind);
			assert_null(parse(s));
			free(s);
		}
		for (i = 1; i <= BG_JSON_MAX_DEPTH; i++) {
			s = nested(i, kind);
			j = parse(s);
			assert_non_null(j);
			cJSON_Delete(j);
			free(s);
		}
	}
	/* Empty containers count as a level; scalars do not. */
	assert_null(parse("[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]"));
	assert_null(parse("[[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]]"));
	j = parse("[[[[[[[[[[[[[[[[\"\"]]]]]]]]]]]]]]]]");
	assert_non_null(j);
	cJSON_Delete(j);
	j = parse("[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]");
	assert_non_null(j);
	cJSON_Delete(j);
}

static void
test_json_only_keys(void **state)
{
	static const char *const allowed[] = { "a", "b", NULL };
	static const char *const none[] = { NULL };
	cJSON *j;

	(void)state;
	j = parse("{\"a\":1,\"c\":2}");
	assert_int_equal(bg_json_only_keys(j, allowed), BG_EFORMAT);
	cJSON_Delete(j);
	j = parse("{\"A\":1}");
	assert_int_equal(bg_json_only_keys(j, allowed), BG_EFORMAT);
	cJSON_Delete(j);
	j = parse("{\"ab\":1}");
	assert_int_equal(bg_json_only_keys(j, allowed), BG_EFORMAT);
	cJSON_Delete(j);
	j = parse("[\"a\"]");
	assert_int_equal(bg_json_only_keys(j, allowed), BG_EFORMAT);
	cJSON_Delete(j);
	j = parse("{\"a\":1}");
	assert_int_equal(bg_json_only_keys(j, none), BG_EFORMAT);
	assert_int_equal(bg_json_only_keys(j, allowed), BG_OK);
	assert_int_equal(bg_json_only_keys(NULL, allowed), BG_EINVAL);
	assert_int_equal(bg_json_only_keys(j, NULL), BG_EINVAL);
	cJSON_Delete(j);
	j = parse("{\"b\":1,\"a\":{\"zzz\":1}}");
	assert_int_equal(bg_json_only_keys(j, allowed), BG_OK);
	cJSON_Delete(j);
	j = parse("{}");
	assert_int_equal(bg_json_only_keys(j, none), BG_OK);
	cJSON_Delete(j);
}

static void
test_json_get_u64(void **state)
{
	cJSON *j;
	uint64_t v;

	(void)state;
	j = parse("{\"half\":1.5,\"neg\":-1,\"big\":9007199254740994,"
	    "\"max\":9007199254740992,\"str\":\"5\",\"five\":5,\"t\":true,"
	    "\"nul\":null,\"zero\":0,\"nzero\":-0,\"exp\":1e2,\"inf\":1e400,"
	    "\"ninf\":-1e400,\"tiny\":1e-300,\"arr\":[1],\"obj\":{\"n\":1},"
	    "\"N\":7,\"frac\":5.000000001}");
	assert_non_null(j);
	v = 77;
	assert_int_equal(bg_json_get_u64(j, "half", 0, UINT64_MAX, &v),
	    BG_ERANGE);
	assert_int_equal(bg_json_get_u64(j, "neg", 0, UINT64_MAX, &v),
	    BG_ERANGE);
	assert_int_equal(bg_json_get_u64(j, "big", 0, UINT64_MAX, &v),
	    BG_ERANGE);
	assert_int_equal(bg_json_get_u64(j, "inf", 0, UINT64_MAX, &v),
	    BG_ERANGE);
	assert_int_equal(bg_json_get_u64(j, "ninf", 0, UINT64_MAX, &v),
	    BG_ERANGE);
	assert_int_equal(bg_json_get_u64(j, "tiny", 0, UINT64_MAX, &v),
	    BG_ERANGE);
	assert_int_equal(bg_json_get_u64(j, "frac", 0, UINT64_MAX, &v),
	    BG_ERANGE);
	assert_int_equal(bg_json_get_u64(j, "str", 0, UINT64_MAX, &v),
	    BG_EFORMAT);
	assert_int_equal(bg_json_get_u64(j, "t", 0, UINT64_MAX, &v),
	    BG_EFORMAT);
	assert_int_equal(bg_json_get_u64(j, "nul", 0, UINT64_MAX, &v),
	    BG_EFORMAT);
	assert_int_equal(bg_json_get_u64(j, "arr", 0, UINT64_MAX, &v),
	    BG_EFORMAT);
	assert_int_equal(bg_json_get_u64(j, "obj", 0, UINT64_MAX, &v),
	    BG_EFORMAT);
	assert_int_equal(bg_json_get_u64(j, "five", 6, 10, &v), BG_ERANGE);
	assert_int_equal(bg_json_get_u64(j, "five", 0, 4, &v), BG_ERANGE);
	assert_int_equal(bg_json_get_u64(j, "missing", 0, 10, &v), BG_ENOENT);
	assert_int_equal(bg_json_get_u64(j, "n", 0, 10, &v), BG_ENOENT);
	assert_int_equal(bg_json_get_u64(j, "Five", 0, 10, &v), BG_ENOENT);
	assert_int_equal(bg_json_get_u64(j, "five", 10, 0, &v), BG_EINVAL);
	assert_int_equal(bg_json_get_u64(j, "five", 0, 10, NULL), BG_EINVAL);
	assert_int_equal(bg_json_get_u64(j, NULL, 0, 10, &v), BG_EINVAL);
	assert_int_equal(bg_json_get_u64(NULL, "five", 0, 10, &v), BG_EINVAL);
	assert_int_equal(v, 77);	/* untouched by failures */
	assert_int_equal(bg_json_get_u64(j, "five", 5, 5, &v), BG_OK);
	assert_int_equal(v, 5);
	assert_int_equal(bg_json_get_u64(j, "N", 0, 10, &v), BG_OK);
	assert_int_equal(v, 7);
	assert_int_equal(bg_json_get_u64(j, "max", 0, UINT64_MAX, &v), BG_OK);
	assert_int_equal(v, BG_JSON_INT_MAX);
	assert_int_equal(bg_json_get_u64(j, "max", 0, BG_JSON_INT_MAX - 1,
	    &v), BG_ERANGE);
	assert_int_equal(bg_json_get_u64(j, "zero", 0, 0, &v), BG_OK);
	assert_int_equal(v, 0);
	v = 9;
	assert_int_equal(bg_json_get_u64(j, "nzero", 0, 0, &v), BG_OK);
	assert_int_equal(v, 0);
	assert_int_equal(bg_json_get_u64(j, "exp", 0, 1000, &v), BG_OK);
	assert_int_equal(v, 100);
	cJSON_Delete(j);
	/* Not an object. */
	j = parse("[5]");
	assert_int_equal(bg_json_get_u64(j, "0", 0, 10, &v), BG_EFORMAT);
	cJSON_Delete(j);
}

static void
test_json_get_str(void **state)
{
	const char *s = NULL;
	cJSON *j;

	(void)state;
	j = parse("{\"s\":\"hello\",\"e\":\"\",\"n\":5,\"nul\":null,"
	    "\"a\":[\"x\"],\"u\":\"\\u00e9\"}");
	assert_non_null(j);
	assert_int_equal(bg_json_get_str(j, "s", 4, &s), BG_ERANGE);
	assert_null(s);
	assert_int_equal(bg_json_get_str(j, "n", 10, &s), BG_EFORMAT);
	assert_int_equal(bg_json_get_str(j, "nul", 10, &s), BG_EFORMAT);
	assert_int_equal(bg_json_get_str(j, "a", 10, &s), BG_EFORMAT);
	assert_int_equal(bg_json_get_str(j, "S", 10, &s), BG_ENOENT);
	assert_int_equal(bg_json_get_str(j, "s", 10, NULL), BG_EINVAL);
	assert_null(s);
	assert_int_equal(bg_json_get_str(j, "s", 5, &s), BG_OK);
	assert_string_equal(s, "hello");
	assert_int_equal(bg_json_get_str(j, "e", 0, &s), BG_OK);
	assert_string_equal(s, "");
	/* maxlen counts bytes: U+00E9 is two in UTF-8. */
	assert_int_equal(bg_json_get_str(j, "u", 1, &s), BG_ERANGE);
	assert_int_equal(bg_json_get_str(j, "u", 2, &s), BG_OK);
	assert_string_equal(s, "\xc3\xa9");
	cJSON_Delete(j);
}

static void
test_json_get_bool_obj_array(void **state)
{
	const cJSON *o = NULL;
	cJSON *j;
	int b = 7;

	(void)state;
	j = parse("{\"t\":true,\"f\":false,\"one\":1,\"s\":\"true\","
	    "\"o\":{\"k\":1},\"a\":[1,2],\"nul\":null}");
	assert_non_null(j);
	assert_int_equal(bg_json_get_bool(j, "one", &b), BG_EFORMAT);
	assert_int_equal(bg_json_get_bool(j, "s", &b), BG_EFORMAT);
	assert_int_equal(bg_json_get_bool(j, "nul", &b), BG_EFORMAT);
	assert_int_equal(bg_json_get_bool(j, "T", &b), BG_ENOENT);
	assert_int_equal(b, 7);
	assert_int_equal(bg_json_get_bool(j, "t", &b), BG_OK);
	assert_int_equal(b, 1);
	assert_int_equal(bg_json_get_bool(j, "f", &b), BG_OK);
	assert_int_equal(b, 0);
	assert_int_equal(bg_json_get_obj(j, "a", &o), BG_EFORMAT);
	assert_int_equal(bg_json_get_obj(j, "nul", &o), BG_EFORMAT);
	assert_int_equal(bg_json_get_obj(j, "x", &o), BG_ENOENT);
	assert_null(o);
	assert_int_equal(bg_json_get_obj(j, "o", &o), BG_OK);
	assert_ptr_equal(o, cJSON_GetObjectItemCaseSensitive(j, "o"));
	assert_int_equal(bg_json_get_array(j, "o", &o), BG_EFORMAT);
	assert_int_equal(bg_json_get_array(j, "s", &o), BG_EFORMAT);
	assert_int_equal(bg_json_get_array(j, "a", &o), BG_OK);
	assert_int_equal(cJSON_GetArraySize(o), 2);
	assert_int_equal(bg_json_get_bool(j, "t", NULL), BG_EINVAL);
	assert_int_equal(bg_json_get_obj(j, "o", NULL), BG_EINVAL);
	assert_int_equal(bg_json_get_array(NULL, "a", &o), BG_EINVAL);
	cJSON_Delete(j);
}

static void
test_json_get_b64(void **state)
{
	uint8_t out[6];
	cJSON *j;

	(void)state;
	j = parse("{\"k\":\"Zm9vYmFy\",\"nc\":\"Zm9vYmF=\",\"n\":3,"
	    "\"ws\":\"Zm9v YmFy\"}");
	assert_non_null(j);
	memset(out, 0xee, sizeof(out));
	assert_int_equal(bg_json_get_b64(j, "k", out, 5), BG_EFORMAT);
	assert_int_equal(bg_json_get_b64(j, "nc", out, 5), BG_EFORMAT);
	assert_int_equal(bg_json_get_b64(j, "ws", out, 6), BG_EFORMAT);
	assert_int_equal(bg_json_get_b64(j, "n", out, 6), BG_EFORMAT);
	assert_int_equal(bg_json_get_b64(j, "K", out, 6), BG_ENOENT);
	assert_int_equal(out[0], 0xee);
	assert_int_equal(bg_json_get_b64(j, "k", NULL, 6), BG_EINVAL);
	assert_int_equal(bg_json_get_b64(j, "k", out, 6), BG_OK);
	assert_memory_equal(out, "foobar", 6);
	cJSON_Delete(j);
}

/* -------------------------------------------------------------- files */

static void
test_write_pread(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[16];
	int fd;

	fd = open(f->path, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(bg_write_all(fd, "0123456789", 10), BG_OK);
	assert_int_equal(bg_write_all(fd, NULL, 0), BG_OK);
	assert_int_equal(bg_write_all(fd, NULL, 1), BG_EINVAL);
	assert_int_equal(bg_write_all(-1, "x", 1), BG_EINVAL);
	/* Past EOF: early end is a format error, not success. */
	assert_int_equal(bg_pread_all(fd, buf, 5, 6), BG_EFORMAT);
	assert_int_equal(bg_pread_all(fd, buf, 1, 10), BG_EFORMAT);
	assert_int_equal(bg_pread_all(fd, buf, 1, -1), BG_EINVAL);
	assert_int_equal(bg_pread_all(fd, NULL, 1, 0), BG_EINVAL);
	assert_int_equal(bg_pread_all(fd, buf, 4, 3), BG_OK);
	assert_memory_equal(buf, "3456", 4);
	assert_int_equal(bg_pread_all(fd, buf, 10, 0), BG_OK);
	assert_memory_equal(buf, "0123456789", 10);
	assert_int_equal(bg_pread_all(fd, buf, 0, 10), BG_OK);
	assert_int_equal(close(fd), 0);
	/* A closed descriptor (EBADF) is an I/O error. */
	assert_int_equal(bg_write_all(fd, "x", 1), BG_EIO);
	assert_int_equal(bg_pread_all(fd, buf, 1, 0), BG_EIO);
}

static volatile sig_atomic_t alarms_left;

/*
 * One-shot timer, re-armed from the handler a bounded number of times:
 * the writer always gets a full tick between signals (no livelock under
 * valgrind) and the interruptions always end.
 */
static void
on_alarm(int sig)
{
	struct itimerval it = { { 0, 0 }, { 0, 500 } };

	(void)sig;
	if (alarms_left > 0 && --alarms_left > 0)
		(void)setitimer(ITIMER_REAL, &it, NULL);
}

/* Child: reads fd to EOF and reports the byte count and a checksum. */
static void
pipe_reader(int in, int out)
{
	static uint8_t buf[4096];
	uint64_t res[2] = { 0, 0 };
	ssize_t n, i;

	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			_exit(1);
		res[0] += (uint64_t)n;
		for (i = 0; i < n; i++)
			res[1] = res[1] * 31 + buf[i];
		usleep(50);	/* a slow reader makes writes short */
	}
	_exit(write(out, res, sizeof(res)) == (ssize_t)sizeof(res) ? 0 : 1);
}

static void
test_write_all_interrupted(void **state)
{
	const size_t len = 4 << 20;
	struct itimerval it = { { 0, 0 }, { 0, 500 } }, off = { 0 };
	struct sigaction sa, old;
	uint64_t res[2] = { 0, 0 }, sum = 0;
	uint8_t *buf = malloc(len);
	int data[2], back[2], st;
	size_t i;
	pid_t pid;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < len; i++) {
		buf[i] = (uint8_t)(i * 2654435761u >> 13);
		sum = sum * 31 + buf[i];
	}
	assert_int_equal(pipe(data), 0);
	assert_int_equal(pipe(back), 0);
	if ((pid = fork()) == 0) {
		close(data[1]);
		close(back[0]);
		pipe_reader(data[0], back[1]);
	}
	assert_true(pid > 0);
	close(data[0]);
	close(back[1]);
	/* Timer signals without SA_RESTART: EINTR and short writes. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	alarms_left = 200;
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	assert_int_equal(bg_write_all(data[1], buf, len), BG_OK);
	assert_true(alarms_left < 200);	/* the writes were interrupted */
	alarms_left = 0;
	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
	assert_int_equal(sigaction(SIGALRM, &old, NULL), 0);
	close(data[1]);
	assert_int_equal(read(back[0], res, sizeof(res)), sizeof(res));
	close(back[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(res[0], len);
	assert_int_equal(res[1], sum);
	free(buf);
}

static void
test_write_all_enospc(void **state)
{
	int fd = open("/dev/full", O_WRONLY);

	(void)state;
	if (fd < 0)
		skip();
	assert_int_equal(bg_write_all(fd, "x", 1), BG_ENOSPC);
	close(fd);
}

/* Runs with a file size limit so that writes fail with EFBIG, as root. */
struct fsize_limit {
	struct rlimit	old;
	void		(*oldsig)(int);
};

static void
fsize_limit_set(struct fsize_limit *l, rlim_t lim)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &l->old), 0);
	l->oldsig = signal(SIGXFSZ, SIG_IGN);
	rl.rlim_cur = lim;
	rl.rlim_max = l->old.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static void
fsize_limit_clear(struct fsize_limit *l)
{
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &l->old), 0);
	signal(SIGXFSZ, l->oldsig);
}

static void
test_file_replace_basic(void **state)
{
	struct fixture *f = *state;
	mode_t old = umask(022);

	assert_int_equal(bg_file_replace(f->path, "first", 5, 0640), BG_OK);
	assert_file_is(f->path, "first");
	assert_int_equal(mode_of(f->path), 0640);
	/* Exact mode even when the umask would remove bits. */
	assert_int_equal(bg_file_replace(f->path, "second!", 7, 0666), BG_OK);
	assert_file_is(f->path, "second!");
	assert_int_equal(mode_of(f->path), 0666);
	umask(077);
	assert_int_equal(bg_file_replace(f->path, "3", 1, 0644), BG_OK);
	assert_file_is(f->path, "3");
	assert_int_equal(mode_of(f->path), 0644);
	assert_int_equal(bg_file_replace(f->path, NULL, 0, 0600), BG_OK);
	assert_file_is(f->path, "");
	assert_int_equal(mode_of(f->path), 0600);
	umask(old);
	/* No temporary files left behind. */
	assert_int_equal(count_entries(f->dir), 1);
}

static void
test_file_replace_failures(void **state)
{
	struct fixture *f = *state;
	struct fsize_limit lim;
	char sub[300], big[1024];

	write_file(f->path, "old", 0600);
	memset(big, 'n', sizeof(big));
	/* Write fails (EFBIG): old contents stay, temp is removed. */
	fsize_limit_set(&lim, 16);
	assert_int_equal(bg_file_replace(f->path, big, sizeof(big), 0600),
	    BG_EIO);
	fsize_limit_clear(&lim);
	assert_file_is(f->path, "old");
	assert_int_equal(count_entries(f->dir), 1);
	/* Rename fails: the target is a non-empty directory. */
	snprintf(sub, sizeof(sub), "%s/d", f->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/d/x", f->dir);
	write_file(sub, "keep", 0600);
	snprintf(sub, sizeof(sub), "%s/d", f->dir);
	assert_int_not_equal(bg_file_replace(sub, "new", 3, 0600), BG_OK);
	assert_int_equal(count_entries(f->dir), 2);
	assert_int_equal(count_entries(sub), 1);
	/* Missing directory. */
	snprintf(sub, sizeof(sub), "%s/nodir/file", f->dir);
	assert_int_equal(bg_file_replace(sub, "new", 3, 0600), BG_ENOENT);
	/* Bad arguments. */
	assert_int_equal(bg_file_replace(f->path, "x", 1, 04600), BG_EINVAL);
	assert_int_equal(bg_file_replace(f->path, NULL, 1, 0600), BG_EINVAL);
	assert_int_equal(bg_file_replace(NULL, "x", 1, 0600), BG_EINVAL);
	assert_file_is(f->path, "old");
	assert_int_equal(count_entries(f->dir), 2);
}

static void
test_file_replace_symlink(void **state)
{
	struct fixture *f = *state;
	char target[300];
	struct stat st;

	/* Replacing a symlink replaces the link, never what it points to. */
	snprintf(target, sizeof(target), "%s/target", f->dir);
	write_file(target, "victim", 0600);
	assert_int_equal(symlink(target, f->path), 0);
	assert_int_equal(bg_file_replace(f->path, "new", 3, 0600), BG_OK);
	assert_file_is(target, "victim");
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_file_is(f->path, "new");
	assert_int_equal(count_entries(f->dir), 2);
}

static void
test_file_create_excl(void **state)
{
	struct fixture *f = *state;
	struct fsize_limit lim;
	char link[300], big[1024];
	mode_t old = umask(077);

	assert_int_equal(bg_file_create_excl(f->path, "secret", 6, 0640),
	    BG_OK);
	umask(old);
	assert_file_is(f->path, "secret");
	assert_int_equal(mode_of(f->path), 0640);
	/* Existing file: refused and unchanged. */
	assert_int_equal(bg_file_create_excl(f->path, "other", 5, 0600),
	    BG_EEXIST);
	assert_file_is(f->path, "secret");
	assert_int_equal(mode_of(f->path), 0640);
	/* A dangling symlink is not followed to create its target. */
	snprintf(link, sizeof(link), "%s/link", f->dir);
	assert_int_equal(symlink("/tmp/bg_test_common_nonexistent", link), 0);
	assert_int_equal(bg_file_create_excl(link, "x", 1, 0600), BG_EEXIST);
	assert_int_equal(access("/tmp/bg_test_common_nonexistent", F_OK), -1);
	assert_int_equal(unlink(link), 0);
	/* A failed write leaves no partial file behind. */
	memset(big, 'z', sizeof(big));
	fsize_limit_set(&lim, 16);
	assert_int_equal(bg_file_create_excl(link, big, sizeof(big), 0600),
	    BG_EIO);
	fsize_limit_clear(&lim);
	assert_int_equal(access(link, F_OK), -1);
	assert_int_equal(count_entries(f->dir), 1);
	assert_int_equal(bg_file_create_excl(link, "x", 1, 01600), BG_EINVAL);
	assert_int_equal(bg_file_create_excl(NULL, "x", 1, 0600), BG_EINVAL);
	assert_int_equal(bg_file_create_excl(link, NULL, 0, 0600), BG_OK);
	assert_file_is(link, "");
}

static void
test_file_read(void **state)
{
	struct fixture *f = *state;
	char *data = (char *)1;
	size_t len = 99;

	write_file(f->path, "hello\nworld", 0600);
	assert_int_equal(bg_file_read(f->path, 10, &data, &len), BG_ETOOBIG);
	assert_null(data);
	assert_int_equal(len, 0);
	assert_int_equal(bg_file_read(f->path, 11, &data, &len), BG_OK);
	assert_int_equal(len, 11);
	assert_memory_equal(data, "hello\nworld", 12);	/* with the NUL */
	free(data);
	assert_int_equal(bg_file_read(f->path, 1 << 20, &data, &len), BG_OK);
	assert_int_equal(len, 11);
	assert_string_equal(data, "hello\nworld");
	free(data);
	assert_int_equal(bg_file_read(NULL, 10, &data, &len), BG_EINVAL);
	assert_int_equal(bg_file_read(f->path, 10, NULL, &len), BG_EINVAL);
	assert_int_equal(bg_file_read(f->path, 10, &data, NULL), BG_EINVAL);
	assert_int_equal(bg_file_read(f->path, SIZE_MAX, &data, &len),
	    BG_EINVAL);
}

static void
test_file_read_empty(void **state)
{
	struct fixture *f = *state;
	char *data = NULL;
	size_t len = 99;

	write_file(f->path, "", 0600);
	assert_int_equal(bg_file_read(f->path, 0, &data, &len), BG_OK);
	assert_non_null(data);
	assert_int_equal(len, 0);
	assert_int_equal(data[0], '\0');
	free(data);
}

static void
test_file_read_not_regular(void **state)
{
	struct fixture *f = *state;
	char link[300], fifo[300], *data = (char *)1;
	size_t len = 99;

	write_file(f->path, "x", 0600);
	snprintf(link, sizeof(link), "%s/link", f->dir);
	assert_int_equal(symlink(f->path, link), 0);
	assert_int_equal(bg_file_read(link, 100, &data, &len), BG_EPERM);
	assert_null(data);
	assert_int_equal(bg_file_read(f->dir, 100, &data, &len), BG_EFORMAT);
	assert_null(data);
	/* A FIFO fails at once instead of blocking for a writer. */
	snprintf(fifo, sizeof(fifo), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(bg_file_read(fifo, 100, &data, &len), BG_EFORMAT);
	snprintf(link, sizeof(link), "%s/missing", f->dir);
	assert_int_equal(bg_file_read(link, 100, &data, &len), BG_ENOENT);
	assert_null(data);
	assert_int_equal(len, 0);
}

static void
test_file_read_growing(void **state)
{
	char *data = NULL;
	size_t len = 0;
	struct stat st;

	(void)state;
	/* procfs reports size 0 but has contents: the read loop must grow,
	 * and must still stop at max + 1 bytes. */
	if (stat("/proc/self/status", &st) != 0 || st.st_size != 0)
		skip();
	assert_int_equal(bg_file_read("/proc/self/status", 1 << 20, &data,
	    &len), BG_OK);
	assert_true(len > 100);
	assert_int_equal(strlen(data), len);
	assert_memory_equal(data, "Name:", 5);
	free(data);
	data = (char *)1;
	assert_int_equal(bg_file_read("/proc/self/status", 10, &data, &len),
	    BG_ETOOBIG);
	assert_null(data);
	assert_int_equal(bg_file_read("/proc/self/status", 0, &data, &len),
	    BG_ETOOBIG);
}

static void
test_fsync_dir(void **state)
{
	struct fixture *f = *state;
	char missing[300];

	assert_int_equal(bg_fsync_dir(f->dir), BG_OK);
	assert_int_equal(bg_fsync_dir("/"), BG_OK);
	write_file(f->path, "x", 0600);
	assert_int_equal(bg_fsync_dir(f->path), BG_EIO);	/* ENOTDIR */
	snprintf(missing, sizeof(missing), "%s/missing", f->dir);
	assert_int_equal(bg_fsync_dir(missing), BG_ENOENT);
	assert_int_equal(bg_fsync_dir(NULL), BG_EINVAL);
}

static void
test_mkdir_private(void **state)
{
	struct fixture *f = *state;
	char d[300], link[300];
	mode_t old = umask(0);

	snprintf(d, sizeof(d), "%s/open", f->dir);
	assert_int_equal(mkdir(d, 0755), 0);
	assert_int_equal(bg_mkdir_private(d), BG_EPERM);
	assert_int_equal(mode_of(d), 0755);	/* reported, not changed */
	assert_int_equal(chmod(d, 0710), 0);
	assert_int_equal(bg_mkdir_private(d), BG_EPERM);
	assert_int_equal(chmod(d, 0701), 0);
	assert_int_equal(bg_mkdir_private(d), BG_EPERM);
	/* A regular file or a symlink to a private directory. */
	write_file(f->path, "x", 0600);
	assert_int_equal(bg_mkdir_private(f->path), BG_EPERM);
	snprintf(d, sizeof(d), "%s/priv", f->dir);
	assert_int_equal(bg_mkdir_private(d), BG_OK);
	assert_int_equal(mode_of(d), 0700);
	assert_int_equal(bg_mkdir_private(d), BG_OK);	/* exists: fine */
	snprintf(link, sizeof(link), "%s/link", f->dir);
	assert_int_equal(symlink(d, link), 0);
	assert_int_equal(bg_mkdir_private(link), BG_EPERM);
	/* Owned by someone else (only testable as root). */
	if (geteuid() == 0) {
		assert_int_equal(chown(d, 65534, 65534), 0);
		assert_int_equal(bg_mkdir_private(d), BG_EPERM);
	}
	snprintf(d, sizeof(d), "%s/no/such", f->dir);
	assert_int_equal(bg_mkdir_private(d), BG_ENOENT);
	assert_int_equal(bg_mkdir_private(NULL), BG_EINVAL);
	umask(old);
}

static void
test_path_join(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(bg_path_join(out, sizeof(out), "abc", "def"), BG_OK);
	assert_string_equal(out, "abc/def");
	assert_int_equal(bg_path_join(out, sizeof(out), "abc", "defg"),
	    BG_ETOOBIG);
	assert_string_equal(out, "");
	assert_int_equal(bg_path_join(out, 7, "abc", "def"), BG_ETOOBIG);
	assert_int_equal(bg_path_join(out, sizeof(out), "", "x"), BG_OK);
	assert_string_equal(out, "/x");
	assert_int_equal(bg_path_join(out, 0, "a", "b"), BG_EINVAL);
	assert_int_equal(bg_path_join(NULL, 8, "a", "b"), BG_EINVAL);
	assert_int_equal(bg_path_join(out, 8, NULL, "b"), BG_EINVAL);
	assert_int_equal(bg_path_join(out, 8, "a", NULL), BG_EINVAL);
}


/* ------------------------------------------------------------- text */

struct text_case {
	const char *s;
	size_t len;
	size_t off;		/* where the refusal points */
	const char *problem;	/* a word of the description */
};

#define TC(lit, off, pb)	{ lit, sizeof(lit) - 1, off, pb }

/* Each class of bad sequence is refused at the byte it starts. */
static void
test_text_refused(void **state)
{
	static const struct text_case bad[] = {
		TC("\xff", 0, "UTF-8"),			/* never a UTF-8 byte */
		TC("ok\xfe", 2, "UTF-8"),
		TC("a\x80", 1, "UTF-8"),		/* lone continuation */
		TC("\xc0\xaf", 0, "UTF-8"),		/* overlong '/' (2) */
		TC("\xe0\x80\xaf", 0, "UTF-8"),		/* overlong '/' (3) */
		TC("\xf0\x80\x80\xaf", 0, "UTF-8"),	/* overlong '/' (4) */
		TC("\xc1\xbf", 0, "UTF-8"),		/* overlong U+007F */
		TC("\xe0\x9f\xbf", 0, "UTF-8"),		/* overlong U+07FF */
		TC("\xed\xa0\x80", 0, "UTF-8"),		/* U+D800 */
		TC("\xed\xbf\xbf", 0, "UTF-8"),		/* U+DFFF */
		/* CESU-8: U+1F600 as two encoded surrogates */
		TC("x\xed\xa0\xbd\xed\xb8\x80", 1, "UTF-8"),
		TC("\xf4\x90\x80\x80", 0, "UTF-8"),	/* U+110000 */
		TC("\xf5\x80\x80\x80", 0, "UTF-8"),
		TC("ab\xe2\x82", 2, "UTF-8"),		/* truncated */
		TC("\xf0\x9f\x94", 0, "UTF-8"),		/* truncated */
		TC("\xc3", 0, "UTF-8"),			/* truncated */
		TC("\xe2\x28\xa1", 0, "UTF-8"),		/* bad continuation */
		TC("a\x01", 1, "control"),		/* C0 */
		TC("\x1b[31m", 0, "control"),		/* ESC: terminal */
		TC("a\x1f", 1, "control"),		/* last C0 */
		TC("a\nb", 1, "control"),		/* newline */
		TC("a\rb", 1, "control"),
		TC("a\tb", 1, "control"),
		TC("a\x7f", 1, "control"),		/* DEL */
		TC("a\xc2\x80", 1, "control"),		/* U+0080, first C1 */
		TC("a\xc2\x85", 1, "control"),		/* NEL */
		TC("a\xc2\x9b", 1, "control"),		/* CSI */
		TC("a\xc2\x9f", 1, "control"),		/* U+009F, last C1 */
		TC("\xd8\x9c", 0, "direction"),		/* U+061C ALM */
		TC("\xe2\x80\x8e", 0, "direction"),	/* U+200E LRM */
		TC("\xe2\x80\x8f", 0, "direction"),	/* U+200F RLM */
		TC("x\xe2\x80\xaa", 1, "direction"),	/* U+202A LRE */
		TC("x\xe2\x80\xae", 1, "direction"),	/* U+202E RLO */
		TC("x\xe2\x81\xa6", 1, "direction"),	/* U+2066 LRI */
		TC("x\xe2\x81\xa9", 1, "direction"),	/* U+2069 PDI */
	};
	const char *problem;
	size_t i, off;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		problem = NULL;
		off = 99;
		assert_int_equal(bg_text_check(bad[i].s, bad[i].len, 0, &off,
		    &problem), BG_EFORMAT);
		assert_int_equal(off, bad[i].off);
		assert_non_null(problem);
		assert_non_null(strstr(problem, bad[i].problem));
		assert_int_equal(bg_text_ok(bad[i].s, 0), bad[i].len !=
		    strlen(bad[i].s));	/* none has an inner NUL */
	}
	/* a NUL inside the given length is a C0 control */
	assert_int_equal(bg_text_check("a\0b", 3, 0, &off, &problem),
	    BG_EFORMAT);
	assert_int_equal(off, 1);
	/* BG_TEXT_LINES allows '\n' and nothing else */
	assert_int_equal(bg_text_check("a\rb", 3, BG_TEXT_LINES, &off, NULL),
	    BG_EFORMAT);
	assert_int_equal(bg_text_check("a\tb", 3, BG_TEXT_LINES, NULL, NULL),
	    BG_EFORMAT);
	assert_int_equal(bg_text_check("a\n\xe2\x80\xae", 5, BG_TEXT_LINES,
	    &off, NULL), BG_EFORMAT);
	assert_int_equal(off, 2);
	assert_int_equal(bg_text_check(NULL, 1, 0, NULL, NULL), BG_EINVAL);
	assert_int_equal(bg_text_ok(NULL, 0), 0);
}

/* The boundaries just inside the rule, and ordinary text, pass. */
static void
test_text_allowed(void **state)
{
	static const char *const good[] = {
		"",
		" ",
		"~",				/* U+007E, below DEL */
		"\xc2\xa0",			/* U+00A0, after C1 */
		"\xc3\xa9t\xc3\xa9",		/* été */
		"\xdf\xbf",			/* U+07FF */
		"\xe0\xa0\x80",			/* U+0800 */
		"\xd8\x9b\xd8\x9d",		/* U+061B, U+061D: around ALM */
		"\xe2\x80\x8d",			/* U+200D ZWJ */
		"\xe2\x80\x90",			/* U+2010 */
		"\xe2\x80\xa9\xe2\x80\xaf",	/* U+2029, U+202F */
		"\xe2\x81\xa5\xe2\x81\xaa",	/* U+2065, U+206A */
		"\xed\x9f\xbf",			/* U+D7FF */
		"\xee\x80\x80",			/* U+E000 */
		"\xef\xbf\xbd",			/* U+FFFD */
		"\xf0\x90\x80\x80",		/* U+10000 */
		"\xf0\x9f\x94\x91 key",		/* U+1F511 */
		"\xf4\x8f\xbf\xbf",		/* U+10FFFF */
		"alice@example.com (on call)",
	};
	size_t i, off = 99;
	const char *problem = NULL;

	(void)state;
	for (i = 0; i < NELEM(good); i++) {
		assert_int_equal(bg_text_check(good[i], strlen(good[i]), 0,
		    &off, &problem), BG_OK);
		assert_int_equal(bg_text_ok(good[i], 0), 1);
		assert_int_equal(bg_text_ok(good[i], BG_TEXT_LINES), 1);
	}
	assert_int_equal(bg_text_ok("line one\nline two\n", BG_TEXT_LINES), 1);
	assert_int_equal(bg_text_ok("line one\nline two\n", 0), 0);
}

/* bg_text_clean: each bad byte becomes U+FFFD; cut at a character. */
static void
test_text_clean(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(bg_text_clean("a\xff" "b", out, sizeof(out)), 5);
	assert_string_equal(out, "a\xef\xbf\xbd" "b");
	assert_int_equal(bg_text_ok(out, 0), 1);
	bg_text_clean("\x1b[2J\xe2\x80\xae\n", out, sizeof(out));
	assert_string_equal(out, "\xef\xbf\xbd[2J\xef\xbf\xbd\xef\xbf\xbd");
	bg_text_clean("\xed\xa0\x80", out, sizeof(out));	/* 3 bad bytes */
	assert_string_equal(out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	bg_text_clean("\xc3\xa9\xc3\xa9", out, 4);	/* no half é */
	assert_string_equal(out, "\xc3\xa9");
	bg_text_clean(NULL, out, sizeof(out));
	assert_string_equal(out, "");
	assert_int_equal(bg_text_clean("x", out, 0), 0);
	bg_text_clean("plain", out, sizeof(out));
	assert_string_equal(out, "plain");
}

/* Every key and string of a tree, nested, named by its path. */
static void
test_text_json(void **state)
{
	static const char *const bad[] = {
		"{\"a\":\"\\u202e\"}",
		"{\"a\":[\"ok\",\"\\u0085\"]}",
		"{\"a\":{\"b\":{\"c\":\"\\u0007\"}}}",
		"{\"\\u200f\":\"ok\"}",
		"{\"a\\nb\":\"ok\"}",		/* a key is one line */
		"{\"a\":[[\"x\\ty\"]]}",
	};
	static const char *const where[] = { "a", "a[1]", "a.b.c",
	    "\xef\xbf\xbd", "a\xef\xbf\xbd" "b", "a[0][0]" };
	const char *problem;
	char w[64];
	cJSON *j;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		assert_non_null(j = cJSON_Parse(bad[i]));
		assert_int_equal(bg_text_check_json(j, BG_TEXT_LINES, w,
		    sizeof(w), &problem), BG_EFORMAT);
		assert_string_equal(w, where[i]);
		assert_true(problem[0] != '\0');
		cJSON_Delete(j);
	}
	/* a raw invalid byte in a value */
	assert_non_null(j = cJSON_CreateObject());
	assert_non_null(cJSON_AddStringToObject(j, "note", "ok\xff"));
	assert_int_equal(bg_text_check_json(j, 0, w, sizeof(w), &problem),
	    BG_EFORMAT);
	assert_string_equal(w, "note");
	assert_non_null(strstr(problem, "UTF-8"));
	cJSON_Delete(j);
	/* newlines in values only with BG_TEXT_LINES */
	assert_non_null(j = cJSON_Parse("{\"s\":\"l1\\nl2\",\"n\":[1,true,"
	    "null,{\"k\":\"v\"}]}"));
	assert_int_equal(bg_text_check_json(j, BG_TEXT_LINES, w, sizeof(w),
	    NULL), BG_OK);
	assert_int_equal(bg_text_check_json(j, 0, w, sizeof(w), NULL),
	    BG_EFORMAT);
	assert_string_equal(w, "s");
	assert_int_equal(bg_text_check_json(j, 0, NULL, 0, NULL), BG_EINVAL);
	cJSON_Delete(j);
}

/* ------------------------------------------------------- permissions */

static void
test_perm_check(void **state)
{
	struct fixture *f = *state;
	char link[300], sub[300], *data = NULL;
	size_t len;

	write_file(f->path, "x", 0600);
	assert_int_equal(bg_path_check(f->path, 0), BG_OK);
	assert_int_equal(bg_path_check(f->path, BG_PERM_SECRET), BG_OK);
	assert_int_equal(bg_path_check(f->dir, BG_PERM_DIR), BG_OK);
	assert_int_equal(bg_file_read_checked(f->path, 10, 0, &data, &len),
	    BG_OK);
	assert_string_equal(data, "x");
	free(data);
	data = NULL;
	/* group- or world-writable: refused, the fix named */
	assert_int_equal(chmod(f->path, 0620), 0);
	bg_clear_why();
	assert_int_equal(bg_path_check(f->path, 0), BG_EPERM);
	assert_non_null(strstr(bg_why(), "chmod go-w"));
	assert_non_null(strstr(bg_why(), "0620"));
	assert_int_equal(bg_file_read_checked(f->path, 10, 0, &data, &len),
	    BG_EPERM);
	assert_null(data);
	assert_int_equal(bg_file_read(f->path, 10, &data, &len), BG_OK);
	free(data);	/* the plain reader does not judge */
	data = NULL;
	assert_int_equal(chmod(f->path, 0602), 0);
	assert_int_equal(bg_path_check(f->path, 0), BG_EPERM);
	/* readable by others: only a secret is refused */
	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(bg_path_check(f->path, 0), BG_OK);
	assert_int_equal(bg_path_check(f->path, BG_PERM_SECRET), BG_EPERM);
	assert_non_null(strstr(bg_why(), "chmod go-rwx"));
	assert_int_equal(bg_file_read_checked(f->path, 10, BG_PERM_SECRET,
	    &data, &len), BG_EPERM);
	assert_int_equal(chmod(f->path, 0600), 0);
	/* a directory */
	assert_int_equal(chmod(f->dir, 0770), 0);
	assert_int_equal(bg_path_check(f->dir, BG_PERM_DIR), BG_EPERM);
	assert_non_null(strstr(bg_why(), "chmod go-w"));
	assert_int_equal(chmod(f->dir, 0700), 0);
	assert_int_equal(bg_path_check(f->path, BG_PERM_DIR), BG_EPERM);
	assert_non_null(strstr(bg_why(), "not a directory"));
	/* owned by someone else (root can make one) */
	if (geteuid() == 0) {
		assert_int_equal(chown(f->path, 65534, 65534), 0);
		assert_int_equal(bg_path_check(f->path, 0), BG_EPERM);
		assert_non_null(strstr(bg_why(), "owned by uid 65534"));
		assert_int_equal(bg_file_read_checked(f->path, 10, 0, &data,
		    &len), BG_EPERM);
		assert_int_equal(chown(f->path, 0, 0), 0);
	}
	/* a symlink, to a good file or to a directory: refused, named */
	snprintf(link, sizeof(link), "%s/link", f->dir);
	assert_int_equal(symlink(f->path, link), 0);
	assert_int_equal(bg_path_check(link, 0), BG_EPERM);
	assert_non_null(strstr(bg_why(), "symbolic link"));
	assert_int_equal(bg_file_read_checked(link, 10, 0, &data, &len),
	    BG_EPERM);
	snprintf(sub, sizeof(sub), "%s/dlink", f->dir);
	assert_int_equal(symlink(f->dir, sub), 0);
	assert_int_equal(bg_path_check(sub, BG_PERM_DIR), BG_EPERM);
	assert_non_null(strstr(bg_why(), "symbolic link"));
	/* a directory where a file belongs, and the reverse */
	snprintf(sub, sizeof(sub), "%s/sub", f->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(bg_path_check(sub, 0), BG_EPERM);
	/* missing */
	snprintf(sub, sizeof(sub), "%s/none", f->dir);
	assert_int_equal(bg_path_check(sub, 0), BG_ENOENT);
	assert_int_equal(bg_path_check(NULL, 0), BG_EINVAL);
}

#define DIRTEST(t)	cmocka_unit_test_setup_teardown(t, setup_dir, \
			    teardown_dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror_distinct),
		cmocka_unit_test(test_why),
		cmocka_unit_test(test_json_only_keys_duplicates),
		cmocka_unit_test(test_strerror_unknown),
		cmocka_unit_test(test_err_from_errno),
		cmocka_unit_test(test_secure_alloc_zeroed),
		cmocka_unit_test(test_secure_locked),
		cmocka_unit_test(test_secure_alloc_many),
		cmocka_unit_test(test_wipe),
		cmocka_unit_test(test_ct_memcmp),
		cmocka_unit_test(test_no_dump),
		cmocka_unit_test(test_b64_reject_noncanonical),
		cmocka_unit_test(test_b64_reject_malformed),
		cmocka_unit_test(test_b64_decode_bounds),
		cmocka_unit_test(test_b64_decode_exact),
		cmocka_unit_test(test_b64_rfc4648),
		cmocka_unit_test(test_b64_roundtrip_0_40),
		cmocka_unit_test(test_b64_encode_bounds),
		cmocka_unit_test(test_hex_reject),
		cmocka_unit_test(test_hex_values),
		cmocka_unit_test(test_json_reject_trailing),
		cmocka_unit_test(test_json_exact_len),
		cmocka_unit_test(test_json_reject_nul),
		cmocka_unit_test(test_json_reject_duplicates),
		cmocka_unit_test(test_json_depth),
		cmocka_unit_test(test_json_only_keys),
		cmocka_unit_test(test_json_get_u64),
		cmocka_unit_test(test_json_get_str),
		cmocka_unit_test(test_json_get_bool_obj_array),
		cmocka_unit_test(test_json_get_b64),
		DIRTEST(test_write_pread),
		cmocka_unit_test(test_write_all_interrupted),
		cmocka_unit_test(test_write_all_enospc),
		DIRTEST(test_file_replace_basic),
		DIRTEST(test_file_replace_failures),
		DIRTEST(test_file_replace_symlink),
		DIRTEST(test_file_create_excl),
		DIRTEST(test_file_read),
		DIRTEST(test_file_read_empty),
		DIRTEST(test_file_read_not_regular),
		cmocka_unit_test(test_file_read_growing),
		DIRTEST(test_fsync_dir),
		DIRTEST(test_mkdir_private),
		cmocka_unit_test(test_path_join),
		cmocka_unit_test(test_text_refused),
		cmocka_unit_test(test_text_allowed),
		cmocka_unit_test(test_text_clean),
		cmocka_unit_test(test_text_json),
		DIRTEST(test_perm_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
