/*
 * audit/checkpoint.c: C2SP tlog-checkpoint bodies (c2sp.org/tlog-checkpoint
 * "Note text"): origin, tree size, base64 root hash, then optional
 * non-empty extension lines, each ending in '\n'.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "audit/note.h"
#include "common/common.h"

#define CP_SIZE_MAX_DIGITS	19	/* 2^63 - 1 = 9223372036854775807 */
#define CP_ROOT_B64_LEN		44	/* base64 of 32 bytes */

/*
 * tlog-checkpoint "Note text" 1: a non-empty origin. Ours is also bounded,
 * valid UTF-8 and free of control characters (DEL included).
 */
static int
cp_origin_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > BG_NOTE_NAME_MAX || !bg_note_utf8_ok(s, len))
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] == '\n' || s[i] == 0x7f)
			return 0;
	return 1;
}

int
bg_checkpoint_format(const struct bg_checkpoint *cp, char *out,
    size_t outsz, size_t *outlen)
{
	char b64[CP_ROOT_B64_LEN + 1];
	int n, r;

	if (outlen != NULL)
		*outlen = 0;
	if (cp == NULL || out == NULL ||
	    memchr(cp->origin, '\0', sizeof(cp->origin)) == NULL ||
	    !cp_origin_ok(cp->origin, strlen(cp->origin)) ||
	    cp->size > (uint64_t)INT64_MAX)
		return BG_EINVAL;
	if ((r = bg_b64_encode(cp->root, sizeof(cp->root), b64,
	    sizeof(b64))) != BG_OK)
		return r;
	n = snprintf(out, outsz, "%s\n%" PRIu64 "\n%s\n", cp->origin,
	    cp->size, b64);
	if (n < 0 || (size_t)n >= outsz) {
		if (outsz > 0)
			out[0] = '\0';
		return BG_ETOOBIG;
	}
	if (outlen != NULL)
		*outlen = (size_t)n;
	return BG_OK;
}

/*
 * tlog-checkpoint "Note text" 2: ASCII decimal, no leading zeroes unless
 * the tree is empty. We also bound it to 2^63 - 1.
 */
static int
cp_parse_size(const char *s, size_t len, uint64_t *size)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > CP_SIZE_MAX_DIGITS || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		/* 19 digits cannot overflow uint64_t: check the bound after */
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)INT64_MAX)
		return -1;
	*size = v;
	return 0;
}

/* Next line of text[*off..len) without its '\n'; -1 when none or unended. */
static int
cp_next_line(const char *text, size_t len, size_t *off, const char **line,
    size_t *linelen)
{
	const char *nl;

	if (*off >= len ||
	    (nl = memchr(text + *off, '\n', len - *off)) == NULL)
		return -1;
	*line = text + *off;
	*linelen = (size_t)(nl - *line);
	*off += *linelen + 1;
	return 0;
}

/* tlog-checkpoint "Note text" 4: extension lines are non-empty. */
static int
cp_extensions_ok(const char *text, size_t len, size_t off)
{
	const char *line;
	size_t linelen;

	while (off < len) {
		if (cp_next_line(text, len, &off, &line, &linelen) != 0 ||
		    linelen == 0)
			return 0;
	}
	return 1;
}

int
bg_checkpoint_parse(const char *text, size_t len, struct bg_checkpoint *cp)
{
	struct bg_checkpoint c;
	const char *line;
	size_t off = 0, linelen;

	if (text == NULL || cp == NULL)
		return BG_EINVAL;
	memset(&c, 0, sizeof(c));
	if (len > BG_NOTE_MAX || !bg_note_utf8_ok(text, len))
		return BG_EFORMAT;
	if (cp_next_line(text, len, &off, &line, &linelen) != 0 ||
	    !cp_origin_ok(line, linelen))
		return BG_EFORMAT;
	memcpy(c.origin, line, linelen);
	if (cp_next_line(text, len, &off, &line, &linelen) != 0 ||
	    cp_parse_size(line, linelen, &c.size) != 0)
		return BG_EFORMAT;
	if (cp_next_line(text, len, &off, &line, &linelen) != 0 ||
	    linelen != CP_ROOT_B64_LEN ||
	    bg_b64_decode_exact(line, linelen, c.root, sizeof(c.root)) != BG_OK)
		return BG_EFORMAT;
	if (!cp_extensions_ok(text, len, off))
		return BG_EFORMAT;
	*cp = c;
	return BG_OK;
}
