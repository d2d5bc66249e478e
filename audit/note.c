/*
 * audit/note.c: C2SP signed-note (c2sp.org/signed-note) with Ed25519 keys,
 * and the Ed25519 helpers over OpenSSL EVP.
 *
 * Parsing is strict: a note we cannot fully account for is malformed.
 * Signature lines of other keys are checked for shape and then ignored, as
 * the spec requires; a line with our key's name and id must verify.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "audit/note.h"
#include "common/common.h"

#define NOTE_ALG_ED25519	0x01	/* signed-note "Signature types" */
#define NOTE_SIG_LEN		(4 + 64)	/* key id || Ed25519 signature */
#define NOTE_SIG_B64_LEN	92		/* base64 of NOTE_SIG_LEN bytes */
#define NOTE_VKEY_B64_LEN	44		/* base64 of 0x01 || pub */

/* U+2014 EM DASH, U+0020 SPACE: the start of every signature line. */
static const char note_sig_prefix[] = "\xe2\x80\x94 ";
#define NOTE_SIG_PREFIX_LEN	(sizeof(note_sig_prefix) - 1)

/*
 * c2sp.org/signed-note "Format": valid UTF-8 and no ASCII control
 * characters other than newline.
 */
int
bg_note_utf8_ok(const void *s, size_t len)
{
	const uint8_t *p = s;
	uint32_t cp;
	size_t i, n;

	if (p == NULL && len > 0)
		return 0;
	for (i = 0; i < len; i += n) {
		if ((n = bg_utf8_next(p + i, len - i, &cp)) == 0)
			return 0;
		if (cp < 0x20 && cp != '\n')
			return 0;
	}
	return 1;
}

/* Unicode White_Space (Go's unicode.IsSpace, used by golang.org/x/mod). */
static int
note_is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 ||
	    c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	    c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
	    c == 0x3000;
}

/*
 * signed-note "Format": key names are non-empty, without Unicode spaces or
 * '+'. Ours are also bounded and free of control characters.
 */
static int
note_name_ok_len(const char *name, size_t len)
{
	const uint8_t *p = (const uint8_t *)name;
	uint32_t cp;
	size_t i, n;

	if (len == 0 || len > BG_NOTE_NAME_MAX)
		return 0;
	for (i = 0; i < len; i += n) {
		if ((n = bg_utf8_next(p + i, len - i, &cp)) == 0)
			return 0;
		if (cp < 0x20 || cp == '+' || note_is_space(cp))
			return 0;
	}
	return 1;
}

int
bg_note_name_ok(const char *name)
{
	if (name == NULL)
		return 0;
	return note_name_ok_len(name, strnlen(name, BG_NOTE_NAME_MAX + 1));
}

/*
 * signed-note key ids: SHA-256(name || 0x0A || alg || pub)[:4]; alg 0x01
 * Ed25519 ("Ed25519 signatures"), 0x04 a cosignature/v1 key
 * (tlog-cosignature).
 */
int
bg_note_key_id_alg(const char *name, size_t namelen, uint8_t alg,
    const uint8_t pub[32], uint32_t *id)
{
	uint8_t buf[BG_NOTE_NAME_MAX + 2 + 32], md[32];
	unsigned int mdlen = 0;

	if (namelen > BG_NOTE_NAME_MAX)
		return BG_EINVAL;
	memcpy(buf, name, namelen);
	buf[namelen] = '\n';
	buf[namelen + 1] = alg;
	memcpy(buf + namelen + 2, pub, 32);
	if (EVP_Digest(buf, namelen + 2 + 32, md, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen != sizeof(md))
		return BG_ECRYPTO;
	*id = (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 |
	    (uint32_t)md[2] << 8 | md[3];
	return BG_OK;
}

static int
note_key_id(const char *name, size_t namelen, const uint8_t pub[32],
    uint32_t *id)
{
	return bg_note_key_id_alg(name, namelen, NOTE_ALG_ED25519, pub, id);
}

/* Returns 0 on failure (bad name, hash failure); use bg_note_key_init. */
uint32_t
bg_note_key_id(const char *name, const uint8_t pub[32])
{
	uint32_t id = 0;

	if (!bg_note_name_ok(name) || pub == NULL ||
	    note_key_id(name, strlen(name), pub, &id) != BG_OK)
		return 0;
	return id;
}

int
bg_note_key_init(struct bg_note_key *key, const char *name,
    const uint8_t pub[32])
{
	int r;

	if (key == NULL || pub == NULL || !bg_note_name_ok(name))
		return BG_EINVAL;
	memset(key, 0, sizeof(*key));
	memcpy(key->name, name, strlen(name));
	memcpy(key->pub, pub, sizeof(key->pub));
	if ((r = note_key_id(key->name, strlen(key->name), key->pub,
	    &key->id)) != BG_OK)
		memset(key, 0, sizeof(*key));
	return r;
}

/* A key is usable when its name is valid and its id matches it. */
static int
note_key_ok(const struct bg_note_key *key)
{
	uint32_t id;

	if (key == NULL || memchr(key->name, '\0', sizeof(key->name)) == NULL ||
	    !bg_note_name_ok(key->name))
		return 0;
	if (note_key_id(key->name, strlen(key->name), key->pub, &id) != BG_OK)
		return 0;
	return id == key->id;
}

/* signed-note "Verifier keys": name+hex(id)+base64(0x01 || pub) */
int
bg_note_vkey_format(const struct bg_note_key *key, char *out, size_t outsz)
{
	uint8_t blob[1 + 32];
	char b64[NOTE_VKEY_B64_LEN + 1];
	int n, r;

	if (out == NULL || !note_key_ok(key))
		return BG_EINVAL;
	blob[0] = NOTE_ALG_ED25519;
	memcpy(blob + 1, key->pub, 32);
	if ((r = bg_b64_encode(blob, sizeof(blob), b64, sizeof(b64))) != BG_OK)
		return r;
	n = snprintf(out, outsz, "%s+%08" PRIx32 "+%s", key->name, key->id,
	    b64);
	if (n < 0 || (size_t)n >= outsz) {
		if (outsz > 0)
			out[0] = '\0';
		return BG_ETOOBIG;
	}
	return BG_OK;
}

/* Exactly 8 lower-case hex digits (signed-note "Conventions"). */
static int
note_hex8(const char *s, uint32_t *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < 8; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			*v = *v << 4 | (uint32_t)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			*v = *v << 4 | (uint32_t)(s[i] - 'a' + 10);
		else
			return -1;
	}
	return 0;
}

int
bg_note_vkey_parse(const char *vkey, size_t len, struct bg_note_key *key)
{
	return bg_note_vkey_parse_alg(vkey, len, NOTE_ALG_ED25519, key);
}

int
bg_note_vkey_parse_alg(const char *vkey, size_t len, uint8_t alg,
    struct bg_note_key *key)
{
	struct bg_note_key k;
	uint8_t blob[1 + 32];
	const char *plus;
	size_t namelen;
	uint32_t id;
	int r;

	if (vkey == NULL || key == NULL)
		return BG_EINVAL;
	memset(&k, 0, sizeof(k));
	if (len > BG_NOTE_NAME_MAX + 1 + 8 + 1 + NOTE_VKEY_B64_LEN ||
	    memchr(vkey, '\0', len) != NULL ||
	    (plus = memchr(vkey, '+', len)) == NULL)
		return BG_EFORMAT;
	namelen = (size_t)(plus - vkey);
	if (!note_name_ok_len(vkey, namelen) ||
	    len != namelen + 1 + 8 + 1 + NOTE_VKEY_B64_LEN ||
	    note_hex8(plus + 1, &id) != 0 || plus[9] != '+')
		return BG_EFORMAT;
	if (bg_b64_decode_exact(plus + 10, NOTE_VKEY_B64_LEN, blob,
	    sizeof(blob)) != BG_OK || blob[0] != alg)
		return BG_EFORMAT;
	memcpy(k.name, vkey, namelen);
	memcpy(k.pub, blob + 1, sizeof(k.pub));
	if ((r = bg_note_key_id_alg(k.name, namelen, alg, k.pub, &k.id)) !=
	    BG_OK)
		return r;
	if (k.id != id)
		return BG_EFORMAT;
	*key = k;
	return BG_OK;
}

/*
 * What bg_note_sign accepts: valid note text (signed-note "Format") that
 * ends in a newline and has no empty line, so that the separator is
 * unambiguous even for readers that split at the first blank line.
 */
static int
note_sign_text_ok(const char *text, size_t len)
{
	size_t i;

	if (len == 0 || text[0] == '\n' || text[len - 1] != '\n')
		return 0;
	for (i = 1; i < len; i++)
		if (text[i] == '\n' && text[i - 1] == '\n')
			return 0;
	return bg_note_utf8_ok(text, len);
}

/* Appends "— name base64(id || sig)\n" at p; returns the bytes written. */
static size_t
note_sig_line(char *p, const char *name, size_t namelen, const char *b64)
{
	size_t off = 0;

	memcpy(p + off, note_sig_prefix, NOTE_SIG_PREFIX_LEN);
	off += NOTE_SIG_PREFIX_LEN;
	memcpy(p + off, name, namelen);
	off += namelen;
	p[off++] = ' ';
	memcpy(p + off, b64, NOTE_SIG_B64_LEN);
	off += NOTE_SIG_B64_LEN;
	p[off++] = '\n';
	return off;
}

/* id || Ed25519(text), base64-encoded into b64. */
static int
note_sign_b64(const char *text, size_t textlen, const char *name,
    EVP_PKEY *priv, char b64[NOTE_SIG_B64_LEN + 1])
{
	uint8_t sig[NOTE_SIG_LEN], pub[32];
	uint32_t id;
	int r;

	if ((r = bg_ed25519_public(priv, pub)) != BG_OK ||
	    (r = note_key_id(name, strlen(name), pub, &id)) != BG_OK)
		return r;
	sig[0] = (uint8_t)(id >> 24);
	sig[1] = (uint8_t)(id >> 16);
	sig[2] = (uint8_t)(id >> 8);
	sig[3] = (uint8_t)id;
	if ((r = bg_ed25519_sign(priv, text, textlen, sig + 4)) != BG_OK)
		return r;
	return bg_b64_encode(sig, sizeof(sig), b64, NOTE_SIG_B64_LEN + 1);
}

int
bg_note_sign(const char *text, size_t textlen, const char *name,
    EVP_PKEY *priv, char **out, size_t *outlen)
{
	char b64[NOTE_SIG_B64_LEN + 1], *note;
	size_t namelen, total;
	int r;

	if (out != NULL)
		*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (text == NULL || priv == NULL || out == NULL || outlen == NULL ||
	    !bg_note_name_ok(name) || !note_sign_text_ok(text, textlen))
		return BG_EINVAL;
	namelen = strlen(name);
	if (textlen > BG_NOTE_MAX)
		return BG_ETOOBIG;
	/* text, blank line, one signature line */
	total = textlen + 1 + NOTE_SIG_PREFIX_LEN + namelen + 1 +
	    NOTE_SIG_B64_LEN + 1;
	if (total > BG_NOTE_MAX)
		return BG_ETOOBIG;
	if ((r = note_sign_b64(text, textlen, name, priv, b64)) != BG_OK)
		return r;
	if ((note = malloc(total + 1)) == NULL)
		return BG_ENOMEM;
	memcpy(note, text, textlen);
	note[textlen] = '\n';
	if (textlen + 1 + note_sig_line(note + textlen + 1, name, namelen,
	    b64) != total) {
		free(note);
		return BG_EINTERNAL;
	}
	note[total] = '\0';
	*out = note;
	*outlen = total;
	return BG_OK;
}

/* State of bg_note_open over the signature lines. */
struct note_open {
	const struct bg_note_key *key;
	const char *text;
	size_t textlen;
	uint8_t *buf;		/* decoded signature */
	size_t bufsz;
	int found;		/* a line by key verified */
	int bad;		/* a line by key did not verify */
};

/*
 * Checks one signature line (without its '\n'): "— name base64\n", the
 * signature at least a key id and one byte (signed-note "Signatures").
 * Lines by other keys are ignored. BG_EFORMAT when malformed; a crypto
 * failure is returned as is.
 */
static int
note_open_line(struct note_open *st, const char *line, size_t len)
{
	const char *name, *sp, *b64;
	size_t namelen, siglen = 0;
	uint32_t id;
	int r;

	if (len < NOTE_SIG_PREFIX_LEN ||
	    memcmp(line, note_sig_prefix, NOTE_SIG_PREFIX_LEN) != 0)
		return BG_EFORMAT;
	name = line + NOTE_SIG_PREFIX_LEN;
	len -= NOTE_SIG_PREFIX_LEN;
	if ((sp = memchr(name, ' ', len)) == NULL)
		return BG_EFORMAT;
	namelen = (size_t)(sp - name);
	b64 = sp + 1;
	if (!note_name_ok_len(name, namelen) ||
	    bg_b64_decode(b64, len - namelen - 1, st->buf, st->bufsz,
	    &siglen) != BG_OK || siglen < 5)
		return BG_EFORMAT;
	id = (uint32_t)st->buf[0] << 24 | (uint32_t)st->buf[1] << 16 |
	    (uint32_t)st->buf[2] << 8 | st->buf[3];
	/* signed-note: only name *and* id identify the key */
	if (namelen != strlen(st->key->name) ||
	    memcmp(name, st->key->name, namelen) != 0 || id != st->key->id)
		return BG_OK;
	if (siglen != NOTE_SIG_LEN) {
		st->bad = 1;
		return BG_OK;
	}
	r = bg_ed25519_verify(st->key->pub, st->text, st->textlen, st->buf + 4);
	if (r == BG_OK)
		st->found = 1;
	else if (r == BG_ESIG)
		st->bad = 1;
	else
		return r;
	return BG_OK;
}

/* Splits the signature block into lines; each ends in '\n'. */
static int
note_open_sigs(struct note_open *st, const char *sigs, size_t len)
{
	const char *nl;
	size_t n = 0, linelen;
	int r;

	if (len == 0)
		return BG_EFORMAT;
	while (len > 0) {
		if (++n > BG_NOTE_MAX_SIGS ||
		    (nl = memchr(sigs, '\n', len)) == NULL)
			return BG_EFORMAT;
		linelen = (size_t)(nl - sigs);
		if ((r = note_open_line(st, sigs, linelen)) != BG_OK)
			return r;
		sigs += linelen + 1;
		len -= linelen + 1;
	}
	return BG_OK;
}

/*
 * signed-note "Format": the text ends at the last blank line, which must
 * be followed by at least one signature line.
 */
int
bg_note_split(const char *note, size_t len, size_t *textlen)
{
	size_t i;

	if (len < 2 || note[len - 1] != '\n')
		return -1;
	for (i = len - 1; i-- > 0;) {
		if (note[i] == '\n' && note[i + 1] == '\n') {
			*textlen = i + 1;
			return 0;
		}
	}
	return -1;
}

int
bg_note_open(const char *note, size_t len, const struct bg_note_key *key,
    size_t *textlen)
{
	struct note_open st;
	size_t tl = 0;
	int r;

	if (textlen != NULL)
		*textlen = 0;
	if (note == NULL || !note_key_ok(key))
		return BG_EINVAL;
	if (len > BG_NOTE_MAX || !bg_note_utf8_ok(note, len) ||
	    bg_note_split(note, len, &tl) != 0)
		return BG_EFORMAT;
	memset(&st, 0, sizeof(st));
	st.key = key;
	st.text = note;
	st.textlen = tl;
	st.bufsz = len / 4 * 3 + 3;
	if ((st.buf = malloc(st.bufsz)) == NULL)
		return BG_ENOMEM;
	r = note_open_sigs(&st, note + tl + 1, len - tl - 1);
	free(st.buf);
	if (r != BG_OK)
		return r;
	/* signed-note "Signatures": reject on any bad or no good signature */
	if (st.bad || !st.found)
		return BG_ESIG;
	if (textlen != NULL)
		*textlen = tl;
	return BG_OK;
}

/* ------------------------------------------------------------- Ed25519 */

int
bg_ed25519_generate(EVP_PKEY **priv)
{
	if (priv == NULL)
		return BG_EINVAL;
	if ((*priv = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL)
		return BG_ECRYPTO;
	return BG_OK;
}

int
bg_ed25519_public(EVP_PKEY *key, uint8_t pub[32])
{
	size_t len = 32;

	if (key == NULL || pub == NULL || !EVP_PKEY_is_a(key, "ED25519"))
		return BG_EINVAL;
	if (EVP_PKEY_get_raw_public_key(key, pub, &len) != 1 || len != 32) {
		bg_wipe(pub, 32);
		return BG_ECRYPTO;
	}
	return BG_OK;
}

/* RFC 8032 5.1.6 (pure Ed25519: no digest). */
int
bg_ed25519_sign(EVP_PKEY *priv, const void *msg, size_t len, uint8_t sig[64])
{
	static const uint8_t empty[1];
	EVP_MD_CTX *ctx = NULL;
	size_t siglen = 64;
	int r = BG_ECRYPTO;

	if (priv == NULL || sig == NULL || (msg == NULL && len > 0) ||
	    !EVP_PKEY_is_a(priv, "ED25519"))
		return BG_EINVAL;
	if (msg == NULL)
		msg = empty;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return BG_ENOMEM;
	if (EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, priv,
	    NULL) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1 || siglen != 64) {
		bg_wipe(sig, 64);
		goto out;
	}
	r = BG_OK;
out:
	EVP_MD_CTX_free(ctx);
	if (r != BG_OK)
		ERR_clear_error();
	return r;
}

/* RFC 8032 5.1.7 as implemented by OpenSSL (rejects S >= L). */
int
bg_ed25519_verify(const uint8_t pub[32], const void *msg, size_t len,
    const uint8_t sig[64])
{
	static const uint8_t empty[1];
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *ctx = NULL;
	int r = BG_ECRYPTO;

	if (pub == NULL || sig == NULL || (msg == NULL && len > 0))
		return BG_EINVAL;
	if (msg == NULL)
		msg = empty;
	if ((pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
	    32)) == NULL)
		goto out;
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		r = BG_ENOMEM;
		goto out;
	}
	if (EVP_DigestVerifyInit_ex(ctx, NULL, NULL, NULL, NULL, pkey,
	    NULL) != 1)
		goto out;
	r = EVP_DigestVerify(ctx, sig, 64, msg, len) == 1 ? BG_OK : BG_ESIG;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	if (r != BG_OK)
		ERR_clear_error();	/* a bad signature is not a library error */
	return r;
}
