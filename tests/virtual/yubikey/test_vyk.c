/*
 * test_vyk: the software YubiKey (vyk.h) under the real libykpers 1.20.
 *
 * Keys are driven only through the ykpers API (yk_open_key, yk_get_serial,
 * yk_get_status, ykp_* configuration + yk_write_command,
 * yk_challenge_response, and the lower-level yk_write_to_key /
 * yk_read_from_key / yk_read_response_from_key for the touch prompt);
 * vyk.h only makes fixtures, turns knobs and computes expected values.
 * This executable has the fake libusb linked in (ahead of libusb-1.0);
 * test_preload runs a plain ykpers program under LD_PRELOAD=libbgvyk.so.
 *
 * Responses are checked against bg_vyk_expected and against HMAC-SHA1
 * computed here (RFC 2202 test case 1 through the whole stack), because a
 * wrong response would look like success to ykpers.
 */
#define _XOPEN_SOURCE 700	/* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include <ykcore.h>
#include <ykdef.h>
#include <ykpers.h>
#include <ykstatus.h>

#include "common/common.h"
#include "tests/virtual/yubikey/vyk.h"

#define MAX_KEYS	16
#define RESP_BUF	64	/* ykcore needs >= 36 for a 20-byte answer */

static char base[PATH_MAX];

/* RFC 2202 test case 1: key 0x0b x 20, "Hi There". */
static const unsigned char RFC_KEY[20] = {
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b
};
static const unsigned char RFC_MAC[20] = {
	0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
	0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00
};
static const unsigned char KEY_B[20] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
	0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14
};

/* ------------------------------------------------------------ helpers */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup_dir(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(base, sizeof(base), "%s/bg-vyk-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(base) == NULL)
		return -1;
	return setenv("BG_VIRTUAL_DIR", base, 1);
}

static int
teardown_dir(void **state)
{
	(void)state;
	unsetenv("BG_VIRTUAL_DIR");
	return nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
hmac_sha1(const unsigned char key[20], const unsigned char *msg, size_t len,
    unsigned char out[20])
{
	size_t outlen = 0;

	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, key, 20,
	    msg, len, out, 20, &outlen));
	assert_int_equal(outlen, 20);
}

static void
make_key(unsigned serial)
{
	assert_int_equal(bg_vyk_create(base, serial), BG_OK);
}

/* Opens the key with this serial the way a driver would; NULL if none. */
static YK_KEY *
open_serial(unsigned want)
{
	unsigned serial;
	YK_KEY *yk;
	int i;

	for (i = 0; i < MAX_KEYS; i++) {
		if ((yk = yk_open_key(i)) == NULL)
			return NULL;
		if (yk_get_serial(yk, 0, 0, &serial) && serial == want)
			return yk;
		yk_close_key(yk);
	}
	return NULL;
}

static YK_KEY *
must_open(unsigned serial)
{
	YK_KEY *yk = open_serial(serial);

	if (yk == NULL)
		fail_msg("key %u not found (yk_errno %d)", serial, yk_errno);
	return yk;
}

static void
status(YK_KEY *yk, int *pgm_seq, int *touch_level)
{
	YK_STATUS *st = ykds_alloc();

	assert_non_null(st);
	assert_true(yk_get_status(yk, st));
	*pgm_seq = ykds_pgm_seq(st);
	*touch_level = ykds_touch_level(st);
	ykds_free(st);
}

/*
 * Programs HMAC-SHA1 challenge-response into slot 1 or 2 through the
 * ykpers configuration API, handing ykpers the key in hex or raw. Returns
 * what yk_write_command returns.
 */
static int
ykp_program_ex(YK_KEY *yk, int slot, const unsigned char key[20], int touch,
    int lt64, const unsigned char *new_acc, const unsigned char *cur_acc,
    int hexkey)
{
	unsigned char acc[6], cur[6];
	char keyhex[41];
	size_t i;
	YK_STATUS *st = ykds_alloc();
	YKP_CONFIG *cfg = ykp_alloc();
	int ok;

	assert_non_null(st);
	assert_non_null(cfg);
	assert_true(yk_get_status(yk, st));
	ykp_configure_version(cfg, st);
	assert_true(ykp_configure_command(cfg, slot == 1 ? SLOT_CONFIG :
	    SLOT_CONFIG2));
	assert_true(ykp_set_tktflag_CHAL_RESP(cfg, true));
	assert_true(ykp_set_cfgflag_CHAL_HMAC(cfg, true));
	assert_true(ykp_set_cfgflag_HMAC_LT64(cfg, lt64 != 0));
	assert_true(ykp_set_cfgflag_CHAL_BTN_TRIG(cfg, touch != 0));
	if (hexkey) {
		for (i = 0; i < 20; i++)
			snprintf(keyhex + 2 * i, 3, "%02x", key[i]);
		assert_int_equal(ykp_HMAC_key_from_hex(cfg, keyhex), 0);
	} else {
		assert_int_equal(ykp_HMAC_key_from_raw(cfg, (const char *)key),
		    0);
	}
	if (new_acc != NULL) {
		memcpy(acc, new_acc, sizeof(acc));
		assert_true(ykp_set_access_code(cfg, acc, sizeof(acc)));
	}
	if (cur_acc != NULL)
		memcpy(cur, cur_acc, sizeof(cur));
	ok = yk_write_command(yk, ykp_core_config(cfg),
	    (uint8_t)ykp_command(cfg), cur_acc != NULL ? cur : NULL);
	ykp_free_config(cfg);
	ykds_free(st);
	return ok;
}

static int
ykp_program(YK_KEY *yk, int slot, const unsigned char key[20], int touch,
    int lt64, const unsigned char *new_acc, const unsigned char *cur_acc)
{
	return ykp_program_ex(yk, slot, key, touch, lt64, new_acc, cur_acc, 0);
}

static int
challenge(YK_KEY *yk, int slot, int may_block, const unsigned char *chal,
    size_t len, unsigned char out[20])
{
	unsigned char resp[RESP_BUF];
	int ok;

	memset(resp, 0, sizeof(resp));
	ok = yk_challenge_response(yk, slot == 1 ? SLOT_CHAL_HMAC1 :
	    SLOT_CHAL_HMAC2, may_block, (unsigned)len, chal, sizeof(resp),
	    resp);
	memcpy(out, resp, 20);
	return ok;
}

/* 64 bytes ending in five 0xaa: LT64 and fixed mode must differ. */
static void
padded_challenge(unsigned char chal[64])
{
	size_t i;

	for (i = 0; i < 64; i++)
		chal[i] = (unsigned char)(i * 7 + 1);
	memset(chal + 59, 0xaa, 5);
}

static struct bg_vyk_stats
stats(unsigned serial)
{
	struct bg_vyk_info in;

	assert_int_equal(bg_vyk_get_info(base, serial, &in), BG_OK);
	return in.stats;
}

/* ------------------------------------------------------- enumeration */

static void
test_no_virtual_dir(void **state)
{
	(void)state;
	unsetenv("BG_VIRTUAL_DIR");
	assert_null(yk_open_key(0));
	assert_int_equal(yk_errno, YK_ENOKEY);
	/* An empty directory shows no key either. */
	setenv("BG_VIRTUAL_DIR", base, 1);
	assert_null(yk_open_key(0));
	assert_int_equal(yk_errno, YK_ENOKEY);
}

static void
test_enumerate_status(void **state)
{
	unsigned want[3] = { 1001, 2002, 3003 }, serial;
	YK_STATUS *st = ykds_alloc();
	int i, vid, pid;
	YK_KEY *yk;

	(void)state;
	make_key(3003);
	make_key(1001);
	make_key(2002);
	for (i = 0; i < 3; i++) {
		yk = yk_open_key(i);
		assert_non_null(yk);
		assert_true(yk_get_serial(yk, 0, 0, &serial));
		assert_int_equal(serial, want[i]);	/* listed by serial */
		assert_true(yk_get_status(yk, st));
		assert_int_equal(ykds_version_major(st), 5);
		assert_int_equal(ykds_version_minor(st), 4);
		assert_int_equal(ykds_version_build(st), 3);
		assert_int_equal(ykds_pgm_seq(st), 0);
		assert_int_equal(ykds_touch_level(st), 0);
		assert_true(yk_get_key_vid_pid(yk, &vid, &pid));
		assert_int_equal(vid, YUBICO_VID);
		assert_int_equal(pid, YK4_OTP_U2F_CCID_PID);
		assert_true(yk_close_key(yk));
	}
	assert_null(yk_open_key(3));
	assert_int_equal(yk_errno, YK_ENOKEY);
	/* yk_open_first_key is yk_open_key(0) in 1.20. */
	yk = yk_open_first_key();
	assert_non_null(yk);
	assert_true(yk_get_serial(yk, 0, 0, &serial));
	assert_int_equal(serial, 1001);
	yk_close_key(yk);
	ykds_free(st);
}

static void
test_find_by_serial(void **state)
{
	unsigned serial;
	YK_KEY *yk;

	(void)state;
	make_key(11);
	make_key(4294967295u);
	yk = must_open(4294967295u);
	assert_true(yk_get_serial(yk, 0, 0, &serial));
	assert_int_equal(serial, 4294967295u);
	yk_close_key(yk);
	assert_null(open_serial(33));
	assert_int_equal(yk_errno, YK_ENOKEY);
}

/* ------------------------------------------------------- programming */

static void
test_program_slot2(void **state)
{
	unsigned char chal[64], resp[20], exp[20], mine[20];
	struct bg_vyk_info in;
	int seq, touch;
	YK_KEY *yk;

	(void)state;
	make_key(500);
	yk = must_open(500);
	assert_true(ykp_program(yk, 2, KEY_B, 1, 1, NULL, NULL));
	status(yk, &seq, &touch);
	assert_int_equal(seq, 1);
	assert_int_equal(touch & (CONFIG1_VALID | CONFIG2_VALID),
	    CONFIG2_VALID);
	assert_int_equal(bg_vyk_get_info(base, 500, &in), BG_OK);
	assert_true(in.slot_valid[1] && in.slot_hmac[1] && in.slot_lt64[1] &&
	    in.slot_touch[1] && !in.slot_acc[1] && !in.slot_valid[0]);

	padded_challenge(chal);
	assert_true(challenge(yk, 2, 1, chal, sizeof(chal), resp));
	assert_int_equal(bg_vyk_expected(base, 500, 2, chal, 64, exp), BG_OK);
	assert_memory_equal(resp, exp, 20);
	hmac_sha1(KEY_B, chal, 59, mine);	/* 0xaa x 5 are padding */
	assert_memory_equal(resp, mine, 20);
	assert_int_equal(bg_vyk_touches(base, 500), 1);
	assert_int_equal(stats(500).challenges, 1);

	/* RFC 2202 case 1 end to end: "Hi There" zero-padded, LT64. */
	assert_true(ykp_program_ex(yk, 2, RFC_KEY, 0, 1, NULL, NULL, 1));
	status(yk, &seq, &touch);
	assert_int_equal(seq, 2);
	assert_true(challenge(yk, 2, 1, (const unsigned char *)"Hi There", 8,
	    resp));
	assert_memory_equal(resp, RFC_MAC, 20);
	assert_int_equal(bg_vyk_touches(base, 500), 1);	/* no touch now */
	yk_close_key(yk);
}

static void
test_fixed_vs_lt64(void **state)
{
	unsigned char chal[64], r1[20], r2[20], exp[20], mine[20], pad[64];
	int seq, touch;
	YK_KEY *yk;

	(void)state;
	make_key(600);
	yk = must_open(600);
	assert_true(ykp_program(yk, 1, KEY_B, 0, 0, NULL, NULL));
	assert_true(ykp_program(yk, 2, KEY_B, 0, 1, NULL, NULL));
	status(yk, &seq, &touch);
	assert_int_equal(seq, 2);
	assert_int_equal(touch & (CONFIG1_VALID | CONFIG2_VALID),
	    CONFIG1_VALID | CONFIG2_VALID);

	padded_challenge(chal);
	assert_true(challenge(yk, 1, 1, chal, 64, r1));
	assert_true(challenge(yk, 2, 1, chal, 64, r2));
	assert_memory_not_equal(r1, r2, 20);
	hmac_sha1(KEY_B, chal, 64, mine);
	assert_memory_equal(r1, mine, 20);
	hmac_sha1(KEY_B, chal, 59, mine);
	assert_memory_equal(r2, mine, 20);
	assert_int_equal(bg_vyk_expected(base, 600, 1, chal, 64, exp), BG_OK);
	assert_memory_equal(r1, exp, 20);
	assert_int_equal(bg_vyk_expected(base, 600, 2, chal, 64, exp), BG_OK);
	assert_memory_equal(r2, exp, 20);

	/* A short challenge: fixed mode hashes the zero padding too. */
	assert_true(challenge(yk, 1, 1, chal, 20, r1));
	memset(pad, 0, sizeof(pad));
	memcpy(pad, chal, 20);
	hmac_sha1(KEY_B, pad, 64, mine);
	assert_memory_equal(r1, mine, 20);
	assert_true(challenge(yk, 2, 1, chal, 20, r2));
	hmac_sha1(KEY_B, chal, 20, mine);
	assert_memory_equal(r2, mine, 20);

	/* 64 equal bytes: all padding in LT64 mode, HMAC of nothing. */
	memset(chal, 0x5c, sizeof(chal));
	assert_true(challenge(yk, 2, 1, chal, 64, r2));
	hmac_sha1(KEY_B, chal, 0, mine);
	assert_memory_equal(r2, mine, 20);
	assert_int_equal(bg_vyk_expected(base, 600, 2, chal, 64, exp), BG_OK);
	assert_memory_equal(r2, exp, 20);
	assert_int_equal(bg_vyk_touches(base, 600), 0);
	yk_close_key(yk);
}

/* docs/design.md §8: ykcore needs room for a whole report past the 28 bytes read. */
static void
test_response_buffer(void **state)
{
	unsigned char chal[64], resp[36], mine[20];
	YK_KEY *yk;

	(void)state;
	make_key(650);
	assert_int_equal(bg_vyk_program_slot(base, 650, 2, KEY_B, 0, 1),
	    BG_OK);
	yk = must_open(650);
	padded_challenge(chal);
	assert_false(yk_challenge_response(yk, SLOT_CHAL_HMAC2, 1, 64, chal,
	    35, resp));
	assert_int_equal(yk_errno, YK_EWRONGSIZ);
	assert_true(yk_challenge_response(yk, SLOT_CHAL_HMAC2, 1, 64, chal,
	    36, resp));
	hmac_sha1(KEY_B, chal, 59, mine);
	assert_memory_equal(resp, mine, 20);
	yk_close_key(yk);
}

/* Child: program slot 2 of serial through ykpers; exit status 0 on success. */
static void
child_program(unsigned serial, const unsigned char key[20])
{
	YK_KEY *yk = open_serial(serial);
	int ok = yk != NULL && ykp_program(yk, 2, key, 1, 1, NULL, NULL);

	if (yk != NULL)
		yk_close_key(yk);
	_exit(ok ? 0 : 1);
}

/* Child: challenge slot 2 and write the response to fd. */
static void
child_challenge(unsigned serial, const unsigned char *chal, int fd)
{
	unsigned char resp[20];
	YK_KEY *yk = open_serial(serial);
	int ok = yk != NULL && challenge(yk, 2, 1, chal, 64, resp);

	if (yk != NULL)
		yk_close_key(yk);
	if (!ok || write(fd, resp, sizeof(resp)) != (ssize_t)sizeof(resp))
		_exit(1);
	_exit(0);
}

static void
wait_ok(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void
test_separate_processes(void **state)
{
	unsigned char chal[64], resp[20], exp[20], theirs[20];
	int fds[2], seq, touch;
	YK_KEY *held;
	pid_t pid;

	(void)state;
	make_key(700);
	held = must_open(700);		/* opened before the child writes */
	padded_challenge(chal);

	if ((pid = fork()) == 0)
		child_program(700, KEY_B);
	assert_true(pid > 0);
	wait_ok(pid);

	assert_int_equal(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		child_challenge(700, chal, fds[1]);
	}
	assert_true(pid > 0);
	close(fds[1]);
	assert_int_equal(read(fds[0], theirs, sizeof(theirs)),
	    (ssize_t)sizeof(theirs));
	close(fds[0]);
	wait_ok(pid);

	/* This process sees what the child programmed, on the old handle. */
	status(held, &seq, &touch);
	assert_int_equal(seq, 1);
	assert_true(touch & CONFIG2_VALID);
	assert_true(challenge(held, 2, 1, chal, 64, resp));
	assert_int_equal(bg_vyk_expected(base, 700, 2, chal, 64, exp), BG_OK);
	assert_memory_equal(resp, exp, 20);
	assert_memory_equal(theirs, exp, 20);
	assert_int_equal(bg_vyk_touches(base, 700), 2);
	yk_close_key(held);
}

static void
test_access_code(void **state)
{
	static const unsigned char acc[6] = { 1, 2, 3, 4, 5, 6 };
	static const unsigned char bad[6] = { 1, 2, 3, 4, 5, 7 };
	unsigned char chal[64], resp[20], mine[20];
	struct bg_vyk_info in;
	int seq, touch;
	YK_KEY *yk;

	(void)state;
	make_key(800);
	yk = must_open(800);
	assert_true(ykp_program(yk, 2, KEY_B, 0, 1, acc, NULL));
	assert_int_equal(bg_vyk_get_info(base, 800, &in), BG_OK);
	assert_true(in.slot_acc[1]);

	/* No code, then a wrong code: refused, pgmSeq unchanged. */
	assert_false(ykp_program(yk, 2, RFC_KEY, 0, 1, NULL, NULL));
	assert_int_equal(yk_errno, YK_EWRITEERR);
	assert_false(ykp_program(yk, 2, RFC_KEY, 0, 1, NULL, bad));
	assert_int_equal(yk_errno, YK_EWRITEERR);
	status(yk, &seq, &touch);
	assert_int_equal(seq, 1);
	padded_challenge(chal);
	assert_true(challenge(yk, 2, 1, chal, 64, resp));
	hmac_sha1(KEY_B, chal, 59, mine);
	assert_memory_equal(resp, mine, 20);

	/* Erasing needs the code as well. */
	assert_false(yk_write_command(yk, NULL, SLOT_CONFIG2, NULL));

	/* The right code: new key, and no access code from now on. */
	assert_true(ykp_program(yk, 2, RFC_KEY, 0, 1, NULL, acc));
	status(yk, &seq, &touch);
	assert_int_equal(seq, 2);
	assert_true(challenge(yk, 2, 1, (const unsigned char *)"Hi There", 8,
	    resp));
	assert_memory_equal(resp, RFC_MAC, 20);
	assert_int_equal(bg_vyk_get_info(base, 800, &in), BG_OK);
	assert_false(in.slot_acc[1]);
	yk_close_key(yk);
}

static void
test_erase(void **state)
{
	int seq, touch;
	YK_KEY *yk;

	(void)state;
	make_key(900);
	assert_int_equal(bg_vyk_program_slot(base, 900, 1, KEY_B, 0, 0),
	    BG_OK);
	assert_int_equal(bg_vyk_program_slot(base, 900, 2, KEY_B, 1, 1),
	    BG_OK);
	yk = must_open(900);
	status(yk, &seq, &touch);
	assert_int_equal(seq, 2);
	assert_true(yk_write_command(yk, NULL, SLOT_CONFIG, NULL));
	status(yk, &seq, &touch);
	assert_int_equal(seq, 3);
	assert_int_equal(touch & (CONFIG1_VALID | CONFIG2_VALID),
	    CONFIG2_VALID);
	/* Both slots empty: pgmSeq 0, which ykcore accepts as success. */
	assert_true(yk_write_command(yk, NULL, SLOT_CONFIG2, NULL));
	status(yk, &seq, &touch);
	assert_int_equal(seq, 0);
	assert_int_equal(touch, 0);
	yk_close_key(yk);
}

/* ------------------------------------------------------- failure knobs */

static void
test_no_touch(void **state)
{
	unsigned char chal[64], resp[20], exp[20];
	struct bg_vyk_stats s;
	long long t0, el;
	YK_KEY *yk;

	(void)state;
	make_key(1100);
	assert_int_equal(bg_vyk_program_slot(base, 1100, 2, KEY_B, 1, 0),
	    BG_OK);
	assert_int_equal(bg_vyk_set_knob(base, 1100, "no-touch", 1), BG_OK);
	yk = must_open(1100);
	padded_challenge(chal);

	t0 = now_ms();
	assert_false(challenge(yk, 2, 1, chal, 64, resp));
	el = now_ms() - t0;
	assert_int_equal(yk_errno, YK_ETIMEOUT);
	assert_true(el < 500);
	print_message("no-touch: yk_errno %d (%s) after %lld ms\n", yk_errno,
	    yk_strerror(yk_errno), el);
	s = stats(1100);
	assert_int_equal(s.touches, 0);
	assert_int_equal(s.timeouts, 1);
	assert_int_equal(s.touch_waits, 1);

	/* may_block=0: ykpers refuses to wait for a touch at all. */
	t0 = now_ms();
	assert_false(challenge(yk, 2, 0, chal, 64, resp));
	assert_int_equal(yk_errno, YK_EWOULDBLOCK);
	assert_true(now_ms() - t0 < 500);

	/* The key is usable again once touched. */
	assert_int_equal(bg_vyk_set_knob(base, 1100, "no-touch", 0), BG_OK);
	assert_true(challenge(yk, 2, 1, chal, 64, resp));
	assert_int_equal(bg_vyk_expected(base, 1100, 2, chal, 64, exp), BG_OK);
	assert_memory_equal(resp, exp, 20);
	assert_int_equal(bg_vyk_touches(base, 1100), 1);
	yk_close_key(yk);
}

static void
test_touch_delay(void **state)
{
	unsigned char chal[64], resp[RESP_BUF], exp[20], rpt[8];
	unsigned int n = 0;
	long long t0, el;
	YK_KEY *yk;

	(void)state;
	make_key(1200);
	assert_int_equal(bg_vyk_program_slot(base, 1200, 2, KEY_B, 1, 1),
	    BG_OK);
	assert_int_equal(bg_vyk_set_knob(base, 1200, "touch-delay", 1),
	    BG_OK);
	yk = must_open(1200);
	padded_challenge(chal);
	assert_int_equal(bg_vyk_expected(base, 1200, 2, chal, 64, exp), BG_OK);

	t0 = now_ms();
	assert_true(challenge(yk, 2, 1, chal, 64, resp));
	el = now_ms() - t0;
	assert_true(el >= BG_VYK_TOUCH_DELAY_MS);
	assert_memory_equal(resp, exp, 20);
	assert_int_equal(stats(1200).touch_waits, 1);
	assert_int_equal(bg_vyk_touches(base, 1200), 1);
	t0 = now_ms();

	/*
	 * What a driver does to prompt "touch your key", with the public
	 * ykcore calls: send the challenge, wait for the key to set
	 * RESP_TIMEOUT_WAIT_FLAG in the status byte (the report's last), then
	 * read the response.
	 */
	assert_true(yk_write_to_key(yk, SLOT_CHAL_HMAC2, chal, 64));
	memset(rpt, 0, sizeof(rpt));
	assert_true(yk_wait_for_key_status(yk, SLOT_CHAL_HMAC2,
	    YK_FLAG_MAYBLOCK, 1000, true, RESP_TIMEOUT_WAIT_FLAG, rpt));
	assert_true(rpt[7] & RESP_TIMEOUT_WAIT_FLAG);
	assert_false(rpt[7] & RESP_PENDING_FLAG);
	assert_true(now_ms() - t0 < 1000);	/* prompt before the touch */
	assert_true(yk_read_response_from_key(yk, SLOT_CHAL_HMAC2,
	    YK_FLAG_MAYBLOCK, resp, sizeof(resp), 20, &n));
	assert_memory_equal(resp, exp, 20);
	assert_int_equal(stats(1200).touch_waits, 2);
	assert_int_equal(bg_vyk_touches(base, 1200), 2);
	yk_close_key(yk);
}

/*
 * What tells a touch-required slot from one that answers without a touch:
 * the touch-required slot shows RESP_TIMEOUT_WAIT_FLAG before it answers,
 * so ykcore's non-blocking mode gives up with YK_EWOULDBLOCK (and aborts
 * the wait: nothing touched, nothing answered); the other slot answers
 * the same call. touchLevel's CONFIGn_TOUCH bits are clear for both.
 */
static void
test_touch_signal(void **state)
{
	unsigned char chal[64], resp[20], exp[20];
	struct bg_vyk_stats s;
	int seq, touch;
	YK_KEY *yk;

	(void)state;
	make_key(1250);
	assert_int_equal(bg_vyk_program_slot(base, 1250, 1, KEY_B, 0, 1),
	    BG_OK);
	assert_int_equal(bg_vyk_program_slot(base, 1250, 2, KEY_B, 1, 1),
	    BG_OK);
	yk = must_open(1250);
	status(yk, &seq, &touch);
	assert_int_equal(touch & (CONFIG1_TOUCH | CONFIG2_TOUCH), 0);
	padded_challenge(chal);

	/* touch required: may_block=0 would block; no touch, no answer */
	assert_false(challenge(yk, 2, 0, chal, 64, resp));
	assert_int_equal(yk_errno, YK_EWOULDBLOCK);
	s = stats(1250);
	assert_int_equal(s.challenges, 1);
	assert_int_equal(s.touch_waits, 1);
	assert_int_equal(s.touches, 0);
	/* the aborted wait left the key ready: a blocking call is touched */
	assert_true(challenge(yk, 2, 1, chal, 64, resp));
	assert_int_equal(bg_vyk_expected(base, 1250, 2, chal, 64, exp), BG_OK);
	assert_memory_equal(resp, exp, 20);
	s = stats(1250);
	assert_int_equal(s.touch_waits, 2);	/* it blinked first */
	assert_int_equal(s.touches, 1);

	/* no touch required: the same non-blocking call answers at once */
	yk_errno = 0;
	assert_true(challenge(yk, 1, 0, chal, 64, resp));
	assert_int_equal(bg_vyk_expected(base, 1250, 1, chal, 64, exp), BG_OK);
	assert_memory_equal(resp, exp, 20);
	s = stats(1250);
	assert_int_equal(s.challenges, 3);
	assert_int_equal(s.touch_waits, 2);	/* never blinked */
	assert_int_equal(s.touches, 1);
	yk_close_key(yk);
}

static void
test_unconfigured_slot(void **state)
{
	unsigned char chal[64], resp[20];
	long long t0, el;
	YK_KEY *yk;

	(void)state;
	make_key(1300);
	assert_int_equal(bg_vyk_program_slot(base, 1300, 2, KEY_B, 0, 1),
	    BG_OK);
	yk = must_open(1300);
	padded_challenge(chal);
	t0 = now_ms();
	assert_false(challenge(yk, 1, 1, chal, 64, resp));
	el = now_ms() - t0;
	/* A real key gives no answer; ykcore polls 1 s for one. */
	assert_int_equal(yk_errno, YK_ETIMEOUT);
	assert_true(el < 2000);
	print_message("unconfigured slot: yk_errno %d after %lld ms\n",
	    yk_errno, el);
	assert_int_equal(bg_vyk_expected(base, 1300, 1, chal, 64, resp),
	    BG_ENOSLOT);
	/* The other slot still works on the same handle. */
	assert_true(challenge(yk, 2, 1, chal, 64, resp));
	yk_close_key(yk);
}

static void
test_removed(void **state)
{
	unsigned char chal[64], resp[20];
	struct bg_vyk_info in;
	unsigned serial;
	YK_STATUS *st = ykds_alloc();
	YK_KEY *yk;

	(void)state;
	make_key(1401);
	make_key(1402);
	assert_int_equal(bg_vyk_program_slot(base, 1402, 2, KEY_B, 1, 1),
	    BG_OK);
	padded_challenge(chal);

	/* Unplugged before: not listed. */
	assert_int_equal(bg_vyk_set_knob(base, 1401, "removed", 1), BG_OK);
	yk = yk_open_key(0);
	assert_non_null(yk);
	assert_true(yk_get_serial(yk, 0, 0, &serial));
	assert_int_equal(serial, 1402);
	yk_close_key(yk);
	assert_null(yk_open_key(1));
	assert_null(open_serial(1401));
	assert_int_equal(bg_vyk_set_knob(base, 1401, "removed", 0), BG_OK);
	yk = must_open(1401);
	yk_close_key(yk);

	/* Unplugged while open: every transfer fails. */
	yk = must_open(1402);
	assert_int_equal(bg_vyk_set_knob(base, 1402, "removed", 1), BG_OK);
	assert_false(challenge(yk, 2, 1, chal, 64, resp));
	assert_int_equal(yk_errno, YK_EUSBERR);
	assert_false(yk_get_status(yk, st));
	assert_int_equal(yk_errno, YK_EUSBERR);
	yk_close_key(yk);

	/* Plugged back in, then pulled during the next challenge. */
	assert_int_equal(bg_vyk_set_knob(base, 1402, "removed", 0), BG_OK);
	yk = must_open(1402);
	assert_int_equal(bg_vyk_set_knob(base, 1402, "remove-next", 1),
	    BG_OK);
	assert_true(yk_get_status(yk, st));	/* status reads don't count */
	assert_false(challenge(yk, 2, 1, chal, 64, resp));
	assert_int_equal(yk_errno, YK_EUSBERR);
	yk_close_key(yk);
	assert_int_equal(bg_vyk_get_info(base, 1402, &in), BG_OK);
	assert_int_equal(in.knobs & 0x0c, 0x04);	/* now just "removed" */
	assert_null(open_serial(1402));
	ykds_free(st);
}

static void
test_short_response(void **state)
{
	unsigned char chal[64], resp[20], exp[20];
	YK_KEY *yk;

	(void)state;
	make_key(1500);
	assert_int_equal(bg_vyk_program_slot(base, 1500, 2, KEY_B, 0, 1),
	    BG_OK);
	assert_int_equal(bg_vyk_set_knob(base, 1500, "short-response", 1),
	    BG_OK);
	yk = must_open(1500);		/* the serial still reads fine */
	padded_challenge(chal);
	assert_false(challenge(yk, 2, 1, chal, 64, resp));
	assert_true(yk_errno == YK_ECHECKSUM || yk_errno == YK_EWRONGSIZ);
	print_message("short-response: yk_errno %d (%s)\n", yk_errno,
	    yk_strerror(yk_errno));
	assert_int_equal(bg_vyk_set_knob(base, 1500, "short-response", 0),
	    BG_OK);
	assert_true(challenge(yk, 2, 1, chal, 64, resp));
	assert_int_equal(bg_vyk_expected(base, 1500, 2, chal, 64, exp), BG_OK);
	assert_memory_equal(resp, exp, 20);
	yk_close_key(yk);
}

/* ----------------------------------------------- preload, API, tool */

/*
 * Runs argv with extra environment (NAME=VALUE, NULL-terminated), stdout
 * into out. Returns the exit status, or -1 when it did not exit.
 */
static int
run(char *const argv[], const char *const env[], char *out, size_t outsz)
{
	int fds[2], st;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		size_t i;

		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		for (i = 0; env != NULL && env[i] != NULL; i++)
			putenv((char *)env[i]);
		execv(argv[0], argv);
		_exit(127);
	}
	assert_true(pid > 0);
	close(fds[1]);
	while (len + 1 < outsz &&
	    (n = read(fds[0], out + len, outsz - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static void
probe_under_preload(const char *probe, const char *preload)
{
	static char pre[PATH_MAX + 32], dir[PATH_MAX + 32];
	char out[512], want[128];
	char exphex[41], chalhex[129];
	unsigned char chal[64], exp[20];
	const char *env[] = { pre, dir, "BG_VYK_TRACE=0", NULL };
	char *list[] = { (char *)probe, (char *)"list", NULL };
	char *ch[] = { (char *)probe, (char *)"chal", (char *)"1600",
	    (char *)"2", chalhex, NULL };

	snprintf(pre, sizeof(pre), "LD_PRELOAD=%s", preload);
	snprintf(dir, sizeof(dir), "BG_VIRTUAL_DIR=%s", base);
	assert_int_equal(run(list, env, out, sizeof(out)), 0);
	assert_string_equal(out, "1600 5.4.3 1\n1601 5.4.3 0\n");

	padded_challenge(chal);
	hex(chal, 64, chalhex);
	assert_int_equal(bg_vyk_expected(base, 1600, 2, chal, 64, exp), BG_OK);
	hex(exp, 20, exphex);
	snprintf(want, sizeof(want), "response %s\n", exphex);
	assert_int_equal(run(ch, env, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void
test_preload(void **state)
{
	static char preload[2 * PATH_MAX + 2];

	(void)state;
	make_key(1600);
	make_key(1601);
	assert_int_equal(bg_vyk_program_slot(base, 1600, 2, KEY_B, 1, 1),
	    BG_OK);
	/* A program without sanitizers, as ykpers tools and scripts are. */
	probe_under_preload(VYK_PROBE_PLAIN, VYK_PRELOAD);
	/* A program built like ours (ASan in sanitizer builds): the ASan
	 * runtime has to come first in the preload list. */
	if (VYK_ASAN_RT[0] != '\0')
		snprintf(preload, sizeof(preload), "%s:%s", VYK_ASAN_RT,
		    VYK_PRELOAD);
	else
		snprintf(preload, sizeof(preload), "%s", VYK_PRELOAD);
	probe_under_preload(VYK_PROBE, preload);
	assert_int_equal(bg_vyk_touches(base, 1600), 2);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
test_api(void **state)
{
	unsigned serials[4], one;
	unsigned char out[20];
	static char path[PATH_MAX + 64];
	size_t n;

	(void)state;
	assert_int_equal(bg_vyk_list(base, serials, 4, &n), BG_OK);
	assert_int_equal(n, 0);
	make_key(30);
	make_key(7);
	make_key(200);
	assert_int_equal(bg_vyk_create(base, 7), BG_EEXIST);
	assert_int_equal(bg_vyk_create(base, 0), BG_EINVAL);
	assert_int_equal(bg_vyk_list(base, serials, 4, &n), BG_OK);
	assert_int_equal(n, 3);
	assert_int_equal(serials[0], 7);
	assert_int_equal(serials[1], 30);
	assert_int_equal(serials[2], 200);
	assert_int_equal(bg_vyk_list(base, &one, 1, &n), BG_ETOOBIG);
	assert_int_equal(bg_vyk_set_knob(base, 7, "bogus", 1), BG_EINVAL);
	assert_int_equal(bg_vyk_set_knob(base, 8, "removed", 1), BG_ENOENT);
	assert_int_equal(bg_vyk_program_slot(base, 7, 3, KEY_B, 0, 0),
	    BG_EINVAL);
	assert_int_equal(bg_vyk_expected(base, 7, 2, KEY_B, 20, out),
	    BG_ENOSLOT);
	assert_int_equal(bg_vyk_expected(base, 7, 2, KEY_B, 65, out),
	    BG_EINVAL);
	assert_int_equal(bg_vyk_touches(base, 9), BG_ENOENT);
	unsetenv("BG_VIRTUAL_DIR");
	assert_null(bg_vyk_base_env());
	setenv("BG_VIRTUAL_DIR", "", 1);
	assert_null(bg_vyk_base_env());
	setenv("BG_VIRTUAL_DIR", base, 1);
	assert_string_equal(bg_vyk_base_env(), base);

	/* The store takes only its own canonical text. */
	snprintf(path, sizeof(path), "%s/yubikey/30/state", base);
	write_file(path, "bg-vyk-state 1\nserial 30\nfirmware 5.4.3\n"
	    "pid 0407\npgm_seq 00\nknobs none\nchallenges 0\ntouches 0\n"
	    "touch_waits 0\ntimeouts 0\nslot1 none\nslot2 none\n");
	assert_int_equal(bg_vyk_touches(base, 30), BG_EFORMAT);
	write_file(path, "bg-vyk-state 1\nserial 31\nfirmware 5.4.3\n"
	    "pid 0407\npgm_seq 0\nknobs none\nchallenges 0\ntouches 0\n"
	    "touch_waits 0\ntimeouts 0\nslot1 none\nslot2 none\n");
	assert_int_equal(bg_vyk_touches(base, 30), BG_EFORMAT);
	write_file(path, "bg-vyk-state 1\nserial 30\nfirmware 5.4.3\n"
	    "pid 0407\npgm_seq 0\nknobs no-touch\nchallenges 0\ntouches 4\n"
	    "touch_waits 0\ntimeouts 0\nslot1 none\nslot2 none\n");
	assert_int_equal(bg_vyk_touches(base, 30), 4);
}

static void
test_tool(void **state)
{
	char out[1024], exphex[41], chalhex[129], want[256];
	unsigned char chal[64], exp[20];
	char *create[] = { (char *)VYK_TOOL, base, (char *)"create",
	    (char *)"42", NULL };
	char *program[] = { (char *)VYK_TOOL, base, (char *)"program",
	    (char *)"42", (char *)"2", (char *)"--key",
	    (char *)"0102030405060708090a0b0c0d0e0f1011121314",
	    (char *)"--lt64", NULL };
	char *knob[] = { (char *)VYK_TOOL, base, (char *)"knob", (char *)"42",
	    (char *)"touch-delay", (char *)"on", NULL };
	char *badknob[] = { (char *)VYK_TOOL, base, (char *)"knob",
	    (char *)"42", (char *)"sticky", (char *)"on", NULL };
	char *expected[] = { (char *)VYK_TOOL, base, (char *)"expected",
	    (char *)"42", (char *)"2", chalhex, NULL };
	char *list[] = { (char *)VYK_TOOL, base, (char *)"list", NULL };
	char *randkey[] = { (char *)VYK_TOOL, base, (char *)"program",
	    (char *)"42", (char *)"1", (char *)"--no-touch-required", NULL };
	YK_KEY *yk;

	(void)state;
	assert_int_equal(run(create, NULL, out, sizeof(out)), 0);
	assert_int_equal(run(create, NULL, out, sizeof(out)), 1);
	assert_int_equal(run(program, NULL, out, sizeof(out)), 0);
	assert_int_equal(run(knob, NULL, out, sizeof(out)), 0);
	assert_int_equal(run(badknob, NULL, out, sizeof(out)), 2);
	padded_challenge(chal);
	hex(chal, 64, chalhex);
	assert_int_equal(run(expected, NULL, out, sizeof(out)), 0);
	hmac_sha1(KEY_B, chal, 59, exp);
	hex(exp, 20, exphex);
	snprintf(want, sizeof(want), "%s\n", exphex);
	assert_string_equal(out, want);
	assert_int_equal(run(randkey, NULL, out, sizeof(out)), 0);
	assert_int_equal(strncmp(out, "key ", 4), 0);
	assert_int_equal(strlen(out), 4 + 40 + 1);
	assert_int_equal(run(list, NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "42 fw=5.4.3 pid=0407 pgm_seq=2 "
	    "slot1=hmac,fixed64 slot2=hmac,lt64,touch knobs=touch-delay "
	    "challenges=0 touches=0 touch_waits=0 timeouts=0\n");

	/* And ykpers agrees with the tool. */
	yk = must_open(42);
	assert_true(challenge(yk, 2, 1, chal, 64, exp));
	yk_close_key(yk);
	hex(exp, 20, exphex);
	assert_memory_equal(want, exphex, 40);
}

/* ------------------------------------------------------------------ */

static int
group_setup(void **state)
{
	(void)state;
	return yk_init() ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	return yk_release() ? 0 : -1;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_no_virtual_dir),
		T(test_enumerate_status),
		T(test_find_by_serial),
		T(test_program_slot2),
		T(test_fixed_vs_lt64),
		T(test_response_buffer),
		T(test_separate_processes),
		T(test_access_code),
		T(test_erase),
		T(test_no_touch),
		T(test_touch_delay),
		T(test_touch_signal),
		T(test_unconfigured_slot),
		T(test_removed),
		T(test_short_response),
		T(test_preload),
		T(test_api),
		T(test_tool),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
