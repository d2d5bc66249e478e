/*
 * vyk_probe: a plain libykpers program with no part of vyk in it, for
 * showing that libbgvyk.so takes over libusb when preloaded (the way the
 * unmodified breakglass binary and scripts/drill get software keys).
 *
 *   vyk_probe list                      one "serial version pgmSeq" a key
 *   vyk_probe chal SERIAL SLOT HEX      "response HEX" (may block)
 *
 * Errors print "error yk_errno N" and exit 1; usage exits 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ykcore.h>
#include <ykdef.h>
#include <ykstatus.h>

#define MAX_KEYS 16

static int
yk_fail(void)
{
	printf("error yk_errno %d\n", yk_errno);
	return 1;
}

static int
list(void)
{
	YK_STATUS *st = ykds_alloc();
	unsigned serial;
	YK_KEY *yk;
	int i;

	for (i = 0; i < MAX_KEYS; i++) {
		if ((yk = yk_open_key(i)) == NULL)
			break;
		if (!yk_get_serial(yk, 0, 0, &serial) ||
		    !yk_get_status(yk, st)) {
			yk_close_key(yk);
			ykds_free(st);
			return yk_fail();
		}
		printf("%u %d.%d.%d %d\n", serial, ykds_version_major(st),
		    ykds_version_minor(st), ykds_version_build(st),
		    ykds_pgm_seq(st));
		yk_close_key(yk);
	}
	ykds_free(st);
	return 0;
}

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

static int
chal(const char *serial_s, const char *slot_s, const char *hex)
{
	unsigned char c[64], resp[64];
	size_t len = strlen(hex), i;
	unsigned serial = (unsigned)strtoul(serial_s, NULL, 10);
	YK_KEY *yk;
	unsigned v;

	if (len % 2 != 0 || len > 128)
		return 2;
	for (i = 0; i < len / 2; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return 2;
		c[i] = (unsigned char)v;
	}
	if ((yk = open_serial(serial)) == NULL)
		return yk_fail();
	if (!yk_challenge_response(yk, strcmp(slot_s, "1") == 0 ?
	    SLOT_CHAL_HMAC1 : SLOT_CHAL_HMAC2, 1, (unsigned)(len / 2), c,
	    sizeof(resp), resp)) {
		yk_close_key(yk);
		return yk_fail();
	}
	printf("response ");
	for (i = 0; i < 20; i++)
		printf("%02x", resp[i]);
	printf("\n");
	yk_close_key(yk);
	return 0;
}

int
main(int argc, char **argv)
{
	int r;

	if (!yk_init())
		return yk_fail();
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		r = list();
	else if (argc == 5 && strcmp(argv[1], "chal") == 0)
		r = chal(argv[2], argv[3], argv[4]);
	else
		r = 2;
	yk_release();
	return r;
}
