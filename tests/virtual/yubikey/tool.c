/*
 * bg-vyk: manages software YubiKeys for tests and drills (vyk.h).
 *
 *   bg-vyk BASE create SERIAL
 *   bg-vyk BASE program SERIAL SLOT [--key HEX] [--no-touch-required] [--lt64]
 *   bg-vyk BASE erase SERIAL SLOT
 *   bg-vyk BASE knob SERIAL KNOB on|off
 *   bg-vyk BASE expected SERIAL SLOT CHALLENGE-HEX
 *   bg-vyk BASE list
 *
 * BASE is the directory programs see as BG_VIRTUAL_DIR. "program" sets up
 * HMAC-SHA1 challenge-response, touch required unless --no-touch-required,
 * fixed 64-byte mode unless --lt64; without --key it draws a random key
 * and prints it ("key HEX"): these keys are test fixtures, not secrets.
 * Exit status: 0 done, 1 failed, 2 usage.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/common.h"
#include "tests/virtual/yubikey/vyk.h"

static void
usage(void)
{
	fputs("usage: bg-vyk BASE create SERIAL\n"
	    "       bg-vyk BASE program SERIAL SLOT [--key HEX] "
	    "[--no-touch-required] [--lt64]\n"
	    "       bg-vyk BASE erase SERIAL SLOT\n"
	    "       bg-vyk BASE knob SERIAL KNOB on|off\n"
	    "       bg-vyk BASE expected SERIAL SLOT CHALLENGE-HEX\n"
	    "       bg-vyk BASE list\n", stderr);
}

static int
fail(const char *what, int r)
{
	fprintf(stderr, "bg-vyk: %s: %s\n", what, bg_strerror(r));
	return 1;
}

static int
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
parse_serial(const char *s, unsigned *serial)
{
	unsigned long v;

	if (parse_uint(s, UINT_MAX, &v) != 0 || v == 0) {
		fprintf(stderr, "bg-vyk: a serial is a number from 1 to %u\n",
		    UINT_MAX);
		return -1;
	}
	*serial = (unsigned)v;
	return 0;
}

static int
parse_slot(const char *s, int *slot)
{
	if (strcmp(s, "1") != 0 && strcmp(s, "2") != 0) {
		fputs("bg-vyk: the slot is 1 or 2\n", stderr);
		return -1;
	}
	*slot = s[0] - '0';
	return 0;
}

static int
cmd_program(const char *base, int argc, char **argv)
{
	unsigned char key[20];
	char hex[41];
	unsigned serial;
	int slot, touch = 1, lt64 = 0, have_key = 0, i, r;

	if (argc < 2 || parse_serial(argv[0], &serial) != 0 ||
	    parse_slot(argv[1], &slot) != 0)
		return 2;
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--no-touch-required") == 0) {
			touch = 0;
		} else if (strcmp(argv[i], "--lt64") == 0) {
			lt64 = 1;
		} else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) {
			r = bg_hex_decode_exact(argv[i + 1],
			    strlen(argv[i + 1]), key, sizeof(key));
			if (r != BG_OK) {
				fputs("bg-vyk: the key is 40 hex digits\n",
				    stderr);
				return 2;
			}
			have_key = 1;
			i++;
		} else {
			usage();
			return 2;
		}
	}
	if (!have_key && RAND_bytes(key, sizeof(key)) != 1)
		return fail("random key", BG_ECRYPTO);
	r = bg_vyk_program_slot(base, serial, slot, key, touch, lt64);
	if (r == BG_OK && !have_key &&
	    bg_hex_encode(key, sizeof(key), hex, sizeof(hex)) == BG_OK)
		printf("key %s\n", hex);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hex, sizeof(hex));
	return r == BG_OK ? 0 : fail("program", r);
}

static int
cmd_knob(const char *base, int argc, char **argv)
{
	unsigned serial;
	int on, r;

	if (argc != 3 || parse_serial(argv[0], &serial) != 0)
		return 2;
	if (strcmp(argv[2], "on") == 0)
		on = 1;
	else if (strcmp(argv[2], "off") == 0)
		on = 0;
	else
		return 2;
	if ((r = bg_vyk_set_knob(base, serial, argv[1], on)) == BG_EINVAL) {
		size_t i;

		fputs("bg-vyk: knobs:", stderr);
		for (i = 0; bg_vyk_knob_names[i] != NULL; i++)
			fprintf(stderr, " %s", bg_vyk_knob_names[i]);
		fputc('\n', stderr);
		return 2;
	}
	return r == BG_OK ? 0 : fail("knob", r);
}

static int
cmd_expected(const char *base, int argc, char **argv)
{
	unsigned char chal[64], out[20];
	char hex[41];
	unsigned serial;
	size_t len;
	int slot, r;

	if (argc != 3 || parse_serial(argv[0], &serial) != 0 ||
	    parse_slot(argv[1], &slot) != 0)
		return 2;
	len = strlen(argv[2]);
	if (len % 2 != 0 || len > 128 ||
	    bg_hex_decode_exact(argv[2], len, chal, len / 2) != BG_OK) {
		fputs("bg-vyk: the challenge is up to 64 bytes in hex\n",
		    stderr);
		return 2;
	}
	r = bg_vyk_expected(base, serial, slot, chal, len / 2, out);
	if (r != BG_OK)
		return fail("expected", r);
	(void)bg_hex_encode(out, sizeof(out), hex, sizeof(hex));
	printf("%s\n", hex);
	return 0;
}

static void
print_slot(const struct bg_vyk_info *in, int i)
{
	if (!in->slot_valid[i]) {
		printf(" slot%d=empty", i + 1);
		return;
	}
	printf(" slot%d=%s%s%s%s", i + 1, in->slot_hmac[i] ? "hmac" : "other",
	    in->slot_hmac[i] ? (in->slot_lt64[i] ? ",lt64" : ",fixed64") : "",
	    in->slot_touch[i] ? ",touch" : "", in->slot_acc[i] ? ",acc" : "");
}

static int
cmd_list(const char *base)
{
	unsigned serials[BG_VYK_MAX_KEYS];
	struct bg_vyk_info in;
	size_t n, i, k;
	int r;

	if ((r = bg_vyk_list(base, serials, BG_VYK_MAX_KEYS, &n)) != BG_OK &&
	    r != BG_ETOOBIG)
		return fail("list", r);
	for (i = 0; i < n; i++) {
		if ((r = bg_vyk_get_info(base, serials[i], &in)) != BG_OK)
			return fail("state", r);
		printf("%u fw=%u.%u.%u pid=%04x pgm_seq=%u", in.serial,
		    in.fw[0], in.fw[1], in.fw[2], in.pid, in.pgm_seq);
		print_slot(&in, 0);
		print_slot(&in, 1);
		printf(" knobs=");
		if (in.knobs == 0)
			printf("none");
		for (k = 0; bg_vyk_knob_names[k] != NULL; k++)
			if (in.knobs & (1u << k))
				printf("%s%s", (in.knobs & ((1u << k) - 1)) ?
				    "," : "", bg_vyk_knob_names[k]);
		printf(" challenges=%lu touches=%lu touch_waits=%lu "
		    "timeouts=%lu\n", in.stats.challenges, in.stats.touches,
		    in.stats.touch_waits, in.stats.timeouts);
	}
	if (r == BG_ETOOBIG)
		fprintf(stderr, "bg-vyk: only %d keys are shown\n",
		    BG_VYK_MAX_KEYS);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *base, *cmd;
	unsigned serial;
	int slot, r;

	if (argc < 3) {
		usage();
		return 2;
	}
	base = argv[1];
	cmd = argv[2];
	argc -= 3;
	argv += 3;
	if (strcmp(cmd, "create") == 0 && argc == 1) {
		if (parse_serial(argv[0], &serial) != 0)
			return 2;
		r = bg_vyk_create(base, serial);
		return r == BG_OK ? 0 : fail("create", r);
	}
	if (strcmp(cmd, "program") == 0)
		return cmd_program(base, argc, argv);
	if (strcmp(cmd, "erase") == 0 && argc == 2) {
		if (parse_serial(argv[0], &serial) != 0 ||
		    parse_slot(argv[1], &slot) != 0)
			return 2;
		r = bg_vyk_erase_slot(base, serial, slot);
		return r == BG_OK ? 0 : fail("erase", r);
	}
	if (strcmp(cmd, "knob") == 0)
		return cmd_knob(base, argc, argv);
	if (strcmp(cmd, "expected") == 0)
		return cmd_expected(base, argc, argv);
	if (strcmp(cmd, "list") == 0 && argc == 0)
		return cmd_list(base);
	usage();
	return 2;
}
