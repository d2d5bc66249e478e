/*
 * broker/aws/ text: the few XML elements a query API answer carries
 * (AWS's answers are flat, unprefixed elements, with the namespace as an
 * attribute of the root; no library of the project's reads XML, and
 * this reads no more than it needs), times, and form encoding.
 */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "quorum/quorum.h"
#include "broker/aws/aws.h"
#include "broker/aws/internal.h"

/* The opening tag <tag> or <tag ...> at p; its end, or NULL. */
static const char *
open_tag(const char *p, const char *end, const char *tag, int *empty)
{
	size_t n = strlen(tag);
	const char *gt;

	if ((size_t)(end - p) < n + 2 || p[0] != '<' ||
	    memcmp(p + 1, tag, n) != 0 ||
	    (p[n + 1] != '>' && p[n + 1] != ' ' && p[n + 1] != '/'))
		return NULL;
	/* the tag ends before the next '<': never a scan to the end */
	for (gt = p + n + 1; gt < end && *gt != '>' && *gt != '<'; gt++)
		;
	if (gt == end || *gt != '>')
		return NULL;
	*empty = gt[-1] == '/';
	return gt + 1;
}

int
bg_aws_xml_next(const char **pp, const char *end, const char *tag,
    const char **in, const char **in_end)
{
	char close[80];
	const char *p = *pp, *body, *c;
	size_t cn;
	int empty, depth;

	cn = (size_t)snprintf(close, sizeof(close), "</%s>", tag);
	for (; p != NULL && p < end; p = memchr(p + 1, '<',
	    (size_t)(end - p - 1))) {
		if ((body = open_tag(p, end, tag, &empty)) == NULL)
			continue;
		if (empty) {
			*in = *in_end = body;
			*pp = body;
			return 1;
		}
		/* nested elements of the same name (member in member) */
		for (depth = 1, c = body; c != NULL && c < end; c = memchr(
		    c + 1, '<', (size_t)(end - c - 1))) {
			int e2;

			if (open_tag(c, end, tag, &e2) != NULL && !e2)
				depth++;
			else if ((size_t)(end - c) >= cn &&
			    memcmp(c, close, cn) == 0 && --depth == 0) {
				*in = body;
				*in_end = c;
				*pp = c + cn;
				return 1;
			}
		}
		return 0;
	}
	return 0;
}

/* Decodes the five entities and numeric ones below 128. */
static int
decode(const char *p, const char *end, char *out, size_t outsz)
{
	static const struct { const char *e; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' } };
	size_t o = 0, i, n;

	while (p < end) {
		char ch = *p;

		n = 1;
		if (ch == '&') {
			for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
				if ((size_t)(end - p) >= strlen(ents[i].e) &&
				    memcmp(p, ents[i].e, strlen(ents[i].e)) ==
				    0)
					break;
			if (i == sizeof(ents) / sizeof(ents[0]))
				return BG_EFORMAT;
			ch = ents[i].c;
			n = strlen(ents[i].e);
		}
		if (o + 1 >= outsz)
			return BG_ETOOBIG;
		out[o++] = ch;
		p += n;
	}
	out[o] = '\0';
	return BG_OK;
}

int
bg_aws_xml_range(const char *in, const char *in_end, char *out, size_t outsz)
{
	if (memchr(in, '<', (size_t)(in_end - in)) != NULL)
		return BG_EFORMAT;	/* not a text element */
	return decode(in, in_end, out, outsz);
}

int
bg_aws_xml_text(const char *p, const char *end, const char *tag, char *out,
    size_t outsz)
{
	const char *in, *in_end;

	out[0] = '\0';
	if (!bg_aws_xml_next(&p, end, tag, &in, &in_end))
		return BG_ENOENT;
	return bg_aws_xml_range(in, in_end, out, outsz);
}

int
bg_aws_time_parse(const char *s, uint64_t *t)
{
	char buf[BG_RFC3339_LEN + 1];
	size_t n = strlen(s);

	/* YYYY-MM-DDTHH:MM:SS then Z, .fffZ or +00:00 */
	if (n < 20 || (s[19] != 'Z' && s[19] != '.' &&
	    strcmp(s + 19, "+00:00") != 0))
		return BG_EFORMAT;
	if (s[19] == '.') {	/* digits, then Z */
		size_t i;

		for (i = 20; i < n - 1; i++)
			if (s[i] < '0' || s[i] > '9')
				return BG_EFORMAT;
		if (n < 22 || s[n - 1] != 'Z')
			return BG_EFORMAT;
	}
	if (s[19] == 'Z' && n != 20)
		return BG_EFORMAT;
	memcpy(buf, s, 19);
	buf[19] = 'Z';
	buf[20] = '\0';
	return bg_rfc3339_parse(buf, BG_RFC3339_LEN, t);
}

int
bg_aws_form_add(char *out, size_t outsz, size_t *pos, const char *key,
    const char *val)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *v = (const unsigned char *)val;
	int n;

	n = snprintf(out + *pos, outsz - *pos, "%s%s=", *pos ? "&" : "", key);
	if (n < 0 || (size_t)n >= outsz - *pos)
		return BG_ETOOBIG;
	*pos += (size_t)n;
	for (; *v != '\0'; v++) {
		if (*pos + 4 >= outsz)
			return BG_ETOOBIG;
		if ((*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z') ||
		    (*v >= '0' && *v <= '9') || *v == '-' || *v == '_' ||
		    *v == '.' || *v == '~')
			out[(*pos)++] = (char)*v;
		else {
			out[(*pos)++] = '%';
			out[(*pos)++] = hex[*v >> 4];
			out[(*pos)++] = hex[*v & 15];
		}
	}
	out[*pos] = '\0';
	return BG_OK;
}
