/*
 * common/text.c: the one rule for text that enters the audit log or a
 * state file: strict UTF-8 (shortest form, no surrogates, at most
 * U+10FFFF, no truncated sequence) without control characters (C0
 * U+0000..U+001F, DEL, C1 U+0080..U+009F) and without the invisible
 * direction controls (U+061C, U+200E, U+200F, U+202A..U+202E,
 * U+2066..U+2069) that make a name or a reason read differently from
 * its bytes.
 *
 * Newline and tab: refused in every name, key and piece of free text
 * (a note, a reason, an actor): those are one line where they are shown
 * (a log line, a status line), and a newline there could fake the next
 * line. BG_TEXT_LINES allows one exception, '\n' alone, for the
 * multi-line statements the program itself builds (an approval's or an
 * attestation's canonical text, one field per line); in JSON it is
 * escaped, so the log line stays one line. Tab and CR are refused even
 * there.
 */
#include <stdio.h>
#include <string.h>

#include "common/common.h"

static int
cp_bad(uint32_t cp, int flags)
{
	if (cp == '\n')
		return !(flags & BG_TEXT_LINES);
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
		return 1;
	return cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

int
bg_text_check(const char *s, size_t len, int flags, size_t *off,
    const char **problem)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i, k;
	uint32_t cp;

	if (off != NULL)
		*off = 0;
	if (problem != NULL)
		*problem = "";
	if (s == NULL && len > 0)
		return BG_EINVAL;
	for (i = 0; i < len; i += k) {
		if ((k = bg_utf8_next(p + i, len - i, &cp)) == 0) {
			if (problem != NULL)
				*problem = "invalid UTF-8";
		} else if (cp_bad(cp, flags)) {
			if (problem != NULL)
				*problem = cp == 0x061c || cp >= 0x200e ?
				    "a direction control character" :
				    "a control character";
			k = 0;
		}
		if (k == 0) {
			if (off != NULL)
				*off = i;
			return BG_EFORMAT;
		}
	}
	return BG_OK;
}

int
bg_text_ok(const char *s, int flags)
{
	return s != NULL &&
	    bg_text_check(s, strlen(s), flags, NULL, NULL) == BG_OK;
}

size_t
bg_text_clean(const char *in, char *out, size_t outsz)
{
	static const char repl[] = "\xef\xbf\xbd";	/* U+FFFD */
	const uint8_t *p = (const uint8_t *)in;
	size_t len, i, k, n = 0, take;
	uint32_t cp;

	if (out == NULL || outsz == 0)
		return 0;
	len = in != NULL ? strlen(in) : 0;
	for (i = 0; i < len; i += k) {
		if ((k = bg_utf8_next(p + i, len - i, &cp)) == 0 ||
		    cp_bad(cp, 0)) {
			k = k == 0 ? 1 : k;	/* one bad byte at a time */
			take = sizeof(repl) - 1;
			if (n + take >= outsz)
				break;
			memcpy(out + n, repl, take);
		} else {
			if (n + k >= outsz)
				break;
			memcpy(out + n, p + i, k);
			take = k;
		}
		n += take;
	}
	out[n] = '\0';
	return n;
}

/* Appends ".key" (made clean) or "[i]" to where (cut to fit). */
static void
where_push(char *where, size_t wheresz, const cJSON *it, size_t i)
{
	size_t n = strlen(where);
	char key[64];

	if (n >= wheresz)
		return;
	if (it->string != NULL) {
		(void)bg_text_clean(it->string, key, sizeof(key));
		snprintf(where + n, wheresz - n, "%s%s", n > 0 ? "." : "",
		    key);
	} else {
		snprintf(where + n, wheresz - n, "[%zu]", i);
	}
}

static int
json_walk(const cJSON *j, int flags, char *where, size_t wheresz, int depth,
    const char **problem)
{
	const cJSON *it;
	size_t n = strlen(where), i = 0, off;
	int r;

	if (depth > BG_JSON_MAX_DEPTH) {
		*problem = "nesting deeper than the JSON rules allow";
		return BG_EFORMAT;
	}
	for (it = j->child; it != NULL; it = it->next, i++) {
		where_push(where, wheresz, it, i);
		if (it->string != NULL && bg_text_check(it->string,
		    strlen(it->string), 0, &off, problem) != BG_OK)
			return BG_EFORMAT;	/* a key: one line */
		if (cJSON_IsString(it) && (it->valuestring == NULL ||
		    bg_text_check(it->valuestring, strlen(it->valuestring),
		    flags, &off, problem) != BG_OK))
			return BG_EFORMAT;
		if ((cJSON_IsObject(it) || cJSON_IsArray(it)) &&
		    (r = json_walk(it, flags, where, wheresz, depth + 1,
		    problem)) != BG_OK)
			return r;
		where[n] = '\0';
	}
	return BG_OK;
}

int
bg_text_check_json(const cJSON *j, int flags, char *where, size_t wheresz,
    const char **problem)
{
	const char *dummy;
	size_t off;

	if (problem == NULL)
		problem = &dummy;
	*problem = "";
	if (where == NULL || wheresz == 0 || j == NULL)
		return BG_EINVAL;
	where[0] = '\0';
	if (cJSON_IsString(j))
		return j->valuestring == NULL ? BG_EFORMAT :
		    bg_text_check(j->valuestring, strlen(j->valuestring),
		    flags, &off, problem);
	if (!cJSON_IsObject(j) && !cJSON_IsArray(j))
		return BG_OK;
	return json_walk(j, flags, where, wheresz, 1, problem);
}
