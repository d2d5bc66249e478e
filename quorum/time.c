/*
 * Times in statements and requests (quorum.h): RFC 3339 UTC with second
 * precision, exactly "YYYY-MM-DDTHH:MM:SSZ", written and read without
 * libc's locale or time zone.
 */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "quorum/quorum.h"

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian, y >= 1970). */
static uint64_t
days_from_civil(unsigned y, unsigned m, unsigned d)
{
	uint64_t era, yoe, doy, doe;

	y -= m <= 2 ? 1u : 0u;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

struct civil {
	unsigned y, m, d;
};

/* Inverse of days_from_civil (H. Hinnant, "chrono-compatible low-level
 * date algorithms"). */
static struct civil
civil_from_days(uint64_t z)
{
	uint64_t era, doe, yoe, doy, mp;
	struct civil c;

	z += 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	c.d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	c.m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	c.y = (unsigned)(yoe + era * 400 + (c.m <= 2 ? 1 : 0));
	return c;
}

static unsigned
days_in_month(unsigned y, unsigned m)
{
	static const unsigned dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dim[m - 1];
}

int
bg_rfc3339_format(uint64_t t, char out[BG_RFC3339_LEN + 1])
{
	struct civil c;
	uint64_t s;

	if (out == NULL)
		return BG_EINVAL;
	out[0] = '\0';
	if (t > BG_TIME_MAX)
		return BG_ERANGE;
	c = civil_from_days(t / 86400);
	s = t % 86400;
	if (snprintf(out, BG_RFC3339_LEN + 1, "%04u-%02u-%02uT%02u:%02u:%02uZ",
	    c.y, c.m, c.d, (unsigned)(s / 3600), (unsigned)(s / 60 % 60),
	    (unsigned)(s % 60)) != BG_RFC3339_LEN)
		return BG_EINTERNAL;
	return BG_OK;
}

/* The n decimal digits at s, or -1 when one is not a digit. */
static long
digits(const char *s, size_t n)
{
	long v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
bg_rfc3339_parse(const char *s, size_t len, uint64_t *t)
{
	long y, mo, d, h, mi, se;

	if (s == NULL || t == NULL)
		return BG_EINVAL;
	*t = 0;
	if (len != BG_RFC3339_LEN || s[4] != '-' || s[7] != '-' ||
	    s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return BG_EFORMAT;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	se = digits(s + 17, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || se < 0 || se > 59 ||
	    d > (long)days_in_month((unsigned)y, (unsigned)mo))
		return BG_EFORMAT;
	*t = days_from_civil((unsigned)y, (unsigned)mo, (unsigned)d) * 86400 +
	    (uint64_t)(h * 3600 + mi * 60 + se);
	return BG_OK;
}

int
bg_rfc3339_entry_parse(const char *s, uint64_t *t)
{
	char buf[BG_RFC3339_LEN + 1];

	if (s == NULL || strlen(s) < BG_RFC3339_LEN || s[19] != '.')
		return BG_EFORMAT;
	memcpy(buf, s, 19);
	buf[19] = 'Z';
	buf[20] = '\0';
	return bg_rfc3339_parse(buf, BG_RFC3339_LEN, t);
}
