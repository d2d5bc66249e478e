/*
 * Canonical line texts (quorum/canon.h): the reader and writer shared by
 * the v2 request (request2.c) and approval statement (statement2.c).
 *
 * The reader accepts one spelling of each value (lower-case hex, decimal
 * without leading zeros, second-precision UTC) so that one object has one
 * text; the objects check the rest by rebuilding and comparing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/common.h"
#include "quorum/canon.h"
#include "quorum/quorum.h"

/* ---------------------------------------------------------------- lines */

void
bg_canon_init(struct bg_canon *c, const char *what, const char *text,
    size_t len)
{
	c->p = text;
	c->left = len;
	c->line = 1;
	c->what = what;
}

int
bg_canon_fail(const struct bg_canon *c, unsigned line, const char *key,
    const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bg_set_why("%s: line %u (%s): %s", c->what, line ? line : c->line,
	    key, msg);
	return -1;
}

/* 1 when the next line starts with "key ". */
static int
next_is(const struct bg_canon *c, const char *key)
{
	size_t klen = strlen(key);

	return c->left > klen && memcmp(c->p, key, klen) == 0 &&
	    c->p[klen] == ' ';
}

int
bg_canon_take(struct bg_canon *c, const char *key, struct bg_span *v)
{
	size_t klen = strlen(key);
	const char *nl;

	if (c->left == 0)
		return bg_canon_fail(c, 0, key, "missing: the text ends "
		    "before it");
	if (!next_is(c, key))
		return bg_canon_fail(c, 0, key, "expected the %s line here",
		    key);
	v->p = c->p + klen + 1;
	if ((nl = memchr(v->p, '\n', c->left - klen - 1)) == NULL)
		return bg_canon_fail(c, 0, key, "not ended by a newline");
	if ((v->n = (size_t)(nl - v->p)) == 0)
		return bg_canon_fail(c, 0, key, "empty value");
	c->left -= klen + 1 + v->n + 1;
	c->p = nl + 1;
	c->line++;
	return 0;
}

int
bg_canon_end(const struct bg_canon *c, const char *last)
{
	if (c->left != 0)
		return bg_canon_fail(c, 0, last, "unexpected bytes after the "
		    "%s line, which is the last", last);
	return 0;
}

int
bg_canon_literal(struct bg_canon *c, const char *key, const char *lit)
{
	struct bg_span v;

	if (bg_canon_take(c, key, &v) != 0)
		return -1;
	if (!bg_span_is(v, lit))
		return bg_canon_fail(c, c->line - 1, key, "must be %s", lit);
	return 0;
}

int
bg_canon_hex(struct bg_canon *c, const char *key, uint8_t *out, size_t len)
{
	struct bg_span v;

	if (bg_canon_take(c, key, &v) != 0)
		return -1;
	if (bg_span_hex(v, out, len) != 0)
		return bg_canon_fail(c, c->line - 1, key, "must be %zu "
		    "lower-case hex digits", 2 * len);
	return 0;
}

int
bg_canon_str(struct bg_canon *c, const char *key, char *dst, size_t dstsz,
    int (*valid)(const char *), const char *rule)
{
	struct bg_span v;

	if (bg_canon_take(c, key, &v) != 0)
		return -1;
	if (bg_span_str(v, dst, dstsz, valid) != 0)
		return bg_canon_fail(c, c->line - 1, key, "must be %s", rule);
	return 0;
}

int
bg_canon_u64(struct bg_canon *c, const char *key, uint64_t *out)
{
	struct bg_span v;

	if (bg_canon_take(c, key, &v) != 0)
		return -1;
	if (bg_span_u64(v, out) != 0)
		return bg_canon_fail(c, c->line - 1, key, "must be a decimal "
		    "number below 2^64 without leading zeros");
	return 0;
}

int
bg_canon_time(struct bg_canon *c, const char *key, uint64_t *t)
{
	struct bg_span v;

	if (bg_canon_take(c, key, &v) != 0)
		return -1;
	if (bg_rfc3339_parse(v.p, v.n, t) != BG_OK)
		return bg_canon_fail(c, c->line - 1, key, "must be a UTC time "
		    "like 2024-01-31T23:59:59Z");
	return 0;
}

int
bg_canon_count(struct bg_canon *c, const char *key, size_t max, size_t *n)
{
	uint64_t v;

	if (bg_canon_u64(c, key, &v) != 0)
		return -1;
	if (v == 0 || v > max)
		return bg_canon_fail(c, c->line - 1, key, "must be 1..%zu",
		    max);
	*n = (size_t)v;
	return 0;
}

/* --------------------------------------------------------------- values */

int
bg_span_split(struct bg_span v, struct bg_span *f, size_t nf)
{
	const char *sp;
	size_t i;

	for (i = 0; i < nf; i++) {
		sp = i + 1 < nf ? memchr(v.p, ' ', v.n) : NULL;
		f[i].p = v.p;
		f[i].n = sp != NULL ? (size_t)(sp - v.p) : v.n;
		if (f[i].n == 0 || (i + 1 < nf && sp == NULL))
			return -1;
		if (sp != NULL) {
			v.n -= f[i].n + 1;
			v.p = sp + 1;
		}
	}
	/* the last field took the rest: a space in it is one field too many */
	return memchr(f[nf - 1].p, ' ', f[nf - 1].n) == NULL ? 0 : -1;
}

int
bg_lowhex_valid(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
bg_span_hex(struct bg_span v, uint8_t *out, size_t len)
{
	if (v.n != 2 * len || !bg_lowhex_valid(v.p, v.n))
		return -1;
	return bg_hex_decode_exact(v.p, v.n, out, len) == BG_OK ? 0 : -1;
}

int
bg_span_u64(struct bg_span v, uint64_t *out)
{
	uint64_t x = 0, d;
	size_t i;

	if (v.n == 0 || v.n > 20 || (v.p[0] == '0' && v.n > 1))
		return -1;
	for (i = 0; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
		d = (uint64_t)(v.p[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*out = x;
	return 0;
}

int
bg_span_str(struct bg_span v, char *dst, size_t dstsz,
    int (*valid)(const char *))
{
	if (v.n >= dstsz || memchr(v.p, '\0', v.n) != NULL)
		return -1;
	memcpy(dst, v.p, v.n);
	dst[v.n] = '\0';
	return valid(dst) ? 0 : -1;
}

int
bg_span_is(struct bg_span v, const char *lit)
{
	return v.n == strlen(lit) && memcmp(v.p, lit, v.n) == 0;
}

int
bg_all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

int
bg_tagged_sha256(const char *tag, const void *data, size_t len,
    uint8_t out[32])
{
	EVP_MD_CTX *ctx;
	unsigned int n = 0;
	int r = BG_ECRYPTO;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return BG_ENOMEM;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, tag, strlen(tag) + 1) == 1 &&	/* NUL */
	    EVP_DigestUpdate(ctx, data, len) == 1 &&
	    EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == 32)
		r = BG_OK;
	EVP_MD_CTX_free(ctx);
	return r;
}

int
bg_fault(struct bg_fault *f, unsigned line, const char *key,
    const char *rule)
{
	f->line = line;
	f->key = key;
	f->rule = rule;
	return -1;
}

/* --------------------------------------------------------------- output */

void
bg_out_init(struct bg_out *o, char *buf, size_t size)
{
	o->buf = buf;
	o->size = size;
	o->len = 0;
	o->full = 0;
	buf[0] = '\0';
}

void
bg_out_put(struct bg_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len) {
		o->full = 1;
		o->buf[o->len] = '\0';
		return;
	}
	o->len += (size_t)n;
}

void
bg_out_hex(struct bg_out *o, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && !o->full; i++)
		bg_out_put(o, "%02x", p[i]);
}

void
bg_out_hex_line(struct bg_out *o, const char *key, const uint8_t *p,
    size_t n)
{
	bg_out_put(o, "%s ", key);
	bg_out_hex(o, p, n);
	bg_out_put(o, "\n");
}

void
bg_out_hex_labelled(struct bg_out *o, const char *label, const uint8_t *p,
    size_t n)
{
	bg_out_put(o, "  %-18s ", label);
	bg_out_hex(o, p, n);
	bg_out_put(o, "\n");
}

void
bg_out_time(struct bg_out *o, uint64_t t)
{
	char s[BG_RFC3339_LEN + 1];

	if (bg_rfc3339_format(t, s) != BG_OK) {
		o->full = 1;	/* out of range: nothing valid to write */
		return;
	}
	bg_out_put(o, "%s", s);
}

void
bg_out_escaped(struct bg_out *o, const char *s, size_t n)
{
	unsigned char b;
	size_t i;

	for (i = 0; i < n && !o->full; i++) {
		b = (unsigned char)s[i];
		if (b == '\\')
			bg_out_put(o, "\\\\");
		else if (b >= 0x20 && b < 0x7f)
			bg_out_put(o, "%c", b);
		else
			bg_out_put(o, "\\x%02x", b);
	}
}

/* ------------------------------------------------------------ the kinds */

/* The text of a checked object in a fresh buffer (caller frees). */
static char *
render_alloc(const struct bg_canon_kind *k, const void *obj, size_t *len)
{
	struct bg_out o;
	char *buf;

	if ((buf = malloc(k->max + 1)) == NULL)
		return NULL;
	bg_out_init(&o, buf, k->max + 1);
	k->render(&o, obj);
	if (o.full) {	/* cannot happen for a checked object */
		free(buf);
		return NULL;
	}
	*len = o.len;
	return buf;
}

int
bg_canon_build(const struct bg_canon_kind *k, const void *obj, char *out,
    size_t outsz, size_t *len)
{
	struct bg_fault f;
	char *buf;
	size_t n;

	bg_clear_why();
	if (obj == NULL || out == NULL || len == NULL)
		return BG_EINVAL;
	*len = 0;
	if (k->check(obj, &f) != 0) {
		bg_set_why("%s: invalid %s: %s", k->what, f.key, f.rule);
		return BG_EINVAL;
	}
	if ((buf = render_alloc(k, obj, &n)) == NULL)
		return BG_ENOMEM;
	if (n > outsz) {
		free(buf);
		return BG_ETOOBIG;
	}
	memcpy(out, buf, n);
	free(buf);
	*len = n;
	return BG_OK;
}

/* 0 when the text is the one obj builds to. */
static int
same_text(const struct bg_canon_kind *k, const void *obj, const char *text,
    size_t len)
{
	char *buf;
	size_t n;
	int r;

	if ((buf = render_alloc(k, obj, &n)) == NULL)
		return BG_ENOMEM;
	r = n == len && memcmp(buf, text, len) == 0 ? 0 : BG_EFORMAT;
	free(buf);
	return r;
}

static int
parse(const struct bg_canon_kind *k, const char *text, size_t len,
    void *obj)
{
	struct bg_canon c;
	struct bg_fault f;
	int r;

	bg_canon_init(&c, k->what, text, len);
	if (len == 0 || len > k->max) {
		(void)bg_canon_fail(&c, 1, "format", "the text is empty or "
		    "longer than %zu bytes", k->max);
		return BG_EFORMAT;
	}
	if (k->take(&c, obj) != 0)
		return BG_EFORMAT;
	if (k->check(obj, &f) != 0) {
		(void)bg_canon_fail(&c, f.line, f.key, "%s", f.rule);
		return BG_EFORMAT;
	}
	if ((r = same_text(k, obj, text, len)) == BG_EFORMAT)
		(void)bg_canon_fail(&c, 1, "format", "not in canonical form");
	return r;
}

int
bg_canon_parse(const struct bg_canon_kind *k, const char *text, size_t len,
    void *obj)
{
	int r;

	bg_clear_why();
	if (text == NULL || obj == NULL)
		return BG_EINVAL;
	memset(obj, 0, k->size);
	if ((r = parse(k, text, len, obj)) != BG_OK)
		memset(obj, 0, k->size);
	return r;
}

void *
bg_canon_parse_alloc(const struct bg_canon_kind *k, const char *text,
    size_t len, int *r)
{
	void *obj;

	if ((obj = malloc(k->size)) == NULL) {
		*r = BG_ENOMEM;
		return NULL;
	}
	if ((*r = bg_canon_parse(k, text, len, obj)) != BG_OK) {
		free(obj);
		return NULL;
	}
	return obj;
}

int
bg_canon_hash(const struct bg_canon_kind *k, const char *text, size_t len,
    uint8_t out[32])
{
	void *obj;
	int r;

	if (text == NULL || out == NULL)
		return BG_EINVAL;
	if ((obj = bg_canon_parse_alloc(k, text, len, &r)) == NULL)
		return r;
	free(obj);
	return bg_tagged_sha256(k->tag, text, len, out);
}
