/*
 * Approval statements (docs/design.md §5): the canonical text a custodian approves
 * and a FIDO2 token signs (its SHA-256 is the clientDataHash).
 *
 * One statement has one text: every field has a single spelling (lower-case
 * hex, second-precision UTC, names without spaces), lines come in one
 * order, and the parser accepts exactly what the builder writes (it checks
 * so by rebuilding). What an approver is shown is rendered from the parsed
 * fields, so nothing outside the signed bytes reaches the screen
 * (minisign's trusted comment), except a reason text whose SHA-256 the
 * statement carries, shown escaped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/common.h"
#include "quorum/canon.h"
#include "quorum/quorum.h"

/* ---------------------------------------------------------------- build */

static int
statement_ok(const struct bg_statement *st)
{
	return bg_request_id_valid(st->request) &&
	    bg_account_valid(st->account) && bg_name_valid(st->requester) &&
	    bg_name_valid(st->group) && bg_name_valid(st->custodian) &&
	    st->expiry <= BG_TIME_MAX;
}

/* Renders st into buf (at least BG_STATEMENT_MAX); its length, or 0. */
static size_t
render(const struct bg_statement *st, char *buf)
{
	char vault[33], reason[65], share[65], expiry[BG_RFC3339_LEN + 1];
	int n;

	if (bg_hex_encode(st->vault, sizeof(st->vault), vault,
	    sizeof(vault)) != BG_OK ||
	    bg_hex_encode(st->reason_sha256, 32, reason, sizeof(reason)) !=
	    BG_OK ||
	    bg_hex_encode(st->share_sha256, 32, share, sizeof(share)) !=
	    BG_OK ||
	    bg_rfc3339_format(st->expiry, expiry) != BG_OK)
		return 0;
	n = snprintf(buf, BG_STATEMENT_MAX,
	    "format " BG_STATEMENT_FORMAT "\n"
	    "vault %s\n"
	    "request %s\n"
	    "account %s\n"
	    "requester %s\n"
	    "reason-sha256 %s\n"
	    "expiry %s\n"
	    "group %s\n"
	    "custodian %s\n"
	    "share-sha256 %s\n",
	    vault, st->request, st->account, st->requester, reason, expiry,
	    st->group, st->custodian, share);
	if (n <= 0 || n >= BG_STATEMENT_MAX)
		return 0;
	return (size_t)n;
}

int
bg_statement_build(const struct bg_statement *st, char *out, size_t outsz,
    size_t *len)
{
	char buf[BG_STATEMENT_MAX];
	size_t n;

	if (st == NULL || out == NULL || len == NULL)
		return BG_EINVAL;
	*len = 0;
	if (!statement_ok(st) || (n = render(st, buf)) == 0)
		return BG_EINVAL;
	if (n > outsz)
		return BG_ETOOBIG;
	memcpy(out, buf, n);
	*len = n;
	return BG_OK;
}

/* ---------------------------------------------------------------- parse */

/* A bounded cursor over the text. */
struct cur {
	const char *p;
	size_t left;
};

/*
 * Takes the line "key value\n": *val and *vlen receive the value, which
 * is non-empty and holds no '\n'. -1 for anything else.
 */
static int
take_line(struct cur *c, const char *key, const char **val, size_t *vlen)
{
	size_t klen = strlen(key);
	const char *nl;

	if (c->left < klen + 2 || memcmp(c->p, key, klen) != 0 ||
	    c->p[klen] != ' ')
		return -1;
	*val = c->p + klen + 1;
	if ((nl = memchr(*val, '\n', c->left - klen - 1)) == NULL ||
	    nl == *val)
		return -1;
	*vlen = (size_t)(nl - *val);
	c->left -= klen + 1 + *vlen + 1;
	c->p = nl + 1;
	return 0;
}

/* Copies a value into a string field of size dstsz and checks it with
 * valid(); an embedded NUL makes the lengths differ. */
static int
take_str(struct cur *c, const char *key, char *dst, size_t dstsz,
    int (*valid)(const char *))
{
	const char *v;
	size_t n;

	if (take_line(c, key, &v, &n) != 0 || n >= dstsz)
		return -1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return strlen(dst) == n && valid(dst) ? 0 : -1;
}

/* Exactly 2 * outlen lower-case hex digits. */
static int
take_hex(struct cur *c, const char *key, uint8_t *out, size_t outlen)
{
	const char *v;
	size_t i, n;

	if (take_line(c, key, &v, &n) != 0 || n != 2 * outlen)
		return -1;
	for (i = 0; i < n; i++)
		if (!((v[i] >= '0' && v[i] <= '9') ||
		    (v[i] >= 'a' && v[i] <= 'f')))
			return -1;
	return bg_hex_decode_exact(v, n, out, outlen) == BG_OK ? 0 : -1;
}

static int
take_format(struct cur *c)
{
	const char *v;
	size_t n;

	if (take_line(c, "format", &v, &n) != 0 ||
	    n != strlen(BG_STATEMENT_FORMAT) ||
	    memcmp(v, BG_STATEMENT_FORMAT, n) != 0)
		return -1;
	return 0;
}

static int
take_time(struct cur *c, const char *key, uint64_t *t)
{
	const char *v;
	size_t n;

	if (take_line(c, key, &v, &n) != 0)
		return -1;
	return bg_rfc3339_parse(v, n, t) == BG_OK ? 0 : -1;
}

static int
take_fields(struct cur *c, struct bg_statement *st)
{
	if (take_format(c) != 0 ||
	    take_hex(c, "vault", st->vault, sizeof(st->vault)) != 0 ||
	    take_str(c, "request", st->request, sizeof(st->request),
	    bg_request_id_valid) != 0 ||
	    take_str(c, "account", st->account, sizeof(st->account),
	    bg_account_valid) != 0 ||
	    take_str(c, "requester", st->requester, sizeof(st->requester),
	    bg_name_valid) != 0 ||
	    take_hex(c, "reason-sha256", st->reason_sha256, 32) != 0 ||
	    take_time(c, "expiry", &st->expiry) != 0 ||
	    take_str(c, "group", st->group, sizeof(st->group),
	    bg_name_valid) != 0 ||
	    take_str(c, "custodian", st->custodian, sizeof(st->custodian),
	    bg_name_valid) != 0 ||
	    take_hex(c, "share-sha256", st->share_sha256, 32) != 0)
		return -1;
	return c->left == 0 ? 0 : -1;	/* no trailing bytes */
}

int
bg_statement_parse(const char *text, size_t len, struct bg_statement *st)
{
	char again[BG_STATEMENT_MAX];
	struct cur c;
	size_t n;

	if (text == NULL || st == NULL)
		return BG_EINVAL;
	memset(st, 0, sizeof(*st));
	c.p = text;
	c.left = len;
	if (len == 0 || len >= BG_STATEMENT_MAX || take_fields(&c, st) != 0 ||
	    !statement_ok(st) || (n = render(st, again)) != len ||
	    memcmp(again, text, len) != 0) {
		memset(st, 0, sizeof(*st));
		return BG_EFORMAT;
	}
	return BG_OK;
}

static int
sha256(const void *data, size_t len, uint8_t out[32])
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 ||
	    n != 32)
		return BG_ECRYPTO;
	return BG_OK;
}

int
bg_statement_hash(const char *text, size_t len, uint8_t out[32])
{
	struct bg_statement st;
	int r;

	if (text == NULL || out == NULL)
		return BG_EINVAL;
	if ((r = bg_statement_parse(text, len, &st)) != BG_OK)
		return r;
	return sha256(text, len, out);
}

int
bg_reason_sha256(const char *reason, size_t len, uint8_t out[32])
{
	if (reason == NULL || out == NULL)
		return BG_EINVAL;
	return sha256(reason, len, out);
}

/* -------------------------------------------------------------- describe */

static void
put_fields(struct bg_out *o, const struct bg_statement *st)
{
	char vault[33], reason[65], share[65], expiry[BG_RFC3339_LEN + 1];

	/* The values were checked by the parse; these cannot fail. */
	(void)bg_hex_encode(st->vault, sizeof(st->vault), vault, sizeof(vault));
	(void)bg_hex_encode(st->reason_sha256, 32, reason, sizeof(reason));
	(void)bg_hex_encode(st->share_sha256, 32, share, sizeof(share));
	(void)bg_rfc3339_format(st->expiry, expiry);
	bg_out_put(o, "Approval statement (%s):\n", BG_STATEMENT_FORMAT);
	bg_out_put(o, "  vault          %s\n", vault);
	bg_out_put(o, "  request        %s\n", st->request);
	bg_out_put(o, "  account        %s\n", st->account);
	bg_out_put(o, "  requester      %s\n", st->requester);
	bg_out_put(o, "  reason-sha256  %s\n", reason);
	bg_out_put(o, "  expires        %s (UTC)\n", expiry);
	bg_out_put(o, "  group          %s\n", st->group);
	bg_out_put(o, "  custodian      %s\n", st->custodian);
	bg_out_put(o, "  share-sha256   %s\n", share);
}

/* 0 when reason hashes to the statement's reason-sha256. */
static int
reason_matches(const struct bg_statement *st, const char *reason, size_t len)
{
	uint8_t h[32];
	int r;

	if ((r = sha256(reason, len, h)) != BG_OK)
		return r;
	return bg_ct_memcmp(h, st->reason_sha256, 32) == 0 ? BG_OK :
	    BG_ETAMPER;
}

int
bg_statement_describe(const char *text, size_t len, const char *reason,
    size_t reason_len, char *out, size_t outsz)
{
	struct bg_statement st;
	struct bg_out o;
	int r;

	bg_clear_why();
	if (text == NULL || out == NULL || outsz == 0)
		return BG_EINVAL;
	out[0] = '\0';
	if ((r = bg_statement_parse(text, len, &st)) != BG_OK) {
		bg_set_why("the approval statement is malformed");
		return r;
	}
	if (reason != NULL && (r = reason_matches(&st, reason,
	    reason_len)) != BG_OK) {
		bg_set_why("the reason does not match the statement's "
		    "reason-sha256");
		return r;
	}
	bg_out_init(&o, out, outsz);
	put_fields(&o, &st);
	if (reason != NULL) {
		bg_out_put(&o, "  reason (matches reason-sha256):\n    \"");
		bg_out_escaped(&o, reason, reason_len);
		bg_out_put(&o, "\"\n");
	}
	if (o.full) {
		out[0] = '\0';
		return BG_ETOOBIG;
	}
	return BG_OK;
}
