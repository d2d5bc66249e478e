/*
 * C2SP tlog-cosignature: a witness's cosignature/v1 of our checkpoint.
 * The key is a signed-note key of signature type 0x04; the signature
 * line is "— name base64(keyid4 || time8 || ed25519sig64)", the signed
 * message "cosignature/v1\ntime T\n" followed by the checkpoint's text.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "audit/audit.h"
#include "audit/note.h"

#define COSIG_ALG 0x04
#define COSIG_LEN (4 + 8 + 64)
#define COSIG_HEADER_MAX 64	/* "cosignature/v1\ntime <20 digits>\n" */

static const char sig_prefix[] = "\xe2\x80\x94 ";

int
bg_audit_cosig_key_parse(const char *vkey, size_t len,
    struct bg_audit_cosig_key *k)
{
	struct bg_note_key nk;
	int r;

	memset(k, 0, sizeof(*k));
	if ((r = bg_note_vkey_parse_alg(vkey, len, COSIG_ALG, &nk)) != BG_OK)
		return r;
	memcpy(k->name, nk.name, sizeof(k->name));
	k->id = nk.id;
	memcpy(k->pub, nk.pub, sizeof(k->pub));
	return BG_OK;
}

/* The message a cosignature at time t signs, in a fresh buffer. */
static char *
cosig_message(const char *text, size_t textlen, uint64_t t, size_t *len)
{
	char head[COSIG_HEADER_MAX];
	int n = snprintf(head, sizeof(head), "cosignature/v1\ntime %" PRIu64
	    "\n", t);
	char *m;

	if (n < 0 || (size_t)n >= sizeof(head) ||
	    (m = malloc((size_t)n + textlen)) == NULL)
		return NULL;
	memcpy(m, head, (size_t)n);
	memcpy(m + n, text, textlen);
	*len = (size_t)n + textlen;
	return m;
}

/* One signature line (no '\n'): by k? Then checked: *found, or BG_ESIG. */
static int
cosig_line(const char *line, size_t len, const char *text, size_t textlen,
    const struct bg_audit_cosig_key *k, uint64_t *t, int *found)
{
	size_t plen = sizeof(sig_prefix) - 1, namelen = strlen(k->name), n;
	uint8_t buf[COSIG_LEN + 3];
	char *msg;
	size_t mlen;
	uint32_t id;
	int r;

	if (len < plen || memcmp(line, sig_prefix, plen) != 0)
		return BG_EFORMAT;
	line += plen;
	len -= plen;
	if (len <= namelen || memcmp(line, k->name, namelen) != 0 ||
	    line[namelen] != ' ')
		return BG_OK;		/* another signer's */
	if (bg_b64_decode(line + namelen + 1, len - namelen - 1, buf,
	    sizeof(buf), &n) != BG_OK || n < 4)
		return BG_EFORMAT;
	id = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	    (uint32_t)buf[2] << 8 | buf[3];
	if (id != k->id)
		return BG_OK;		/* the same name, another key */
	if (n != COSIG_LEN)
		return BG_ESIG;
	for (*t = 0, n = 4; n < 12; n++)
		*t = *t << 8 | buf[n];
	if ((msg = cosig_message(text, textlen, *t, &mlen)) == NULL)
		return BG_ENOMEM;
	r = bg_ed25519_verify(k->pub, msg, mlen, buf + 12);
	free(msg);
	if (r == BG_OK)
		*found = 1;
	return r;
}

int
bg_audit_cosig_check(const char *note, size_t len,
    const struct bg_audit_cosig_key *k, uint64_t *t)
{
	const char *p, *nl, *end = note + len;
	size_t textlen;
	int found = 0, r;

	*t = 0;
	if (len > BG_NOTE_MAX || !bg_note_utf8_ok(note, len) ||
	    bg_note_split(note, len, &textlen) != 0 || textlen + 1 >= len)
		return BG_EFORMAT;	/* a note has a signature line */
	for (p = note + textlen + 1; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return BG_EFORMAT;
		if ((r = cosig_line(p, (size_t)(nl - p), note, textlen, k, t,
		    &found)) != BG_OK)
			return r;	/* a bad one by k: never accepted */
	}
	return found ? BG_OK : BG_ENOENT;
}
