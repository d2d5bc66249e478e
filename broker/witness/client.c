/*
 * broker/witness/ one add-checkpoint request (C2SP tlog-witness): the
 * body "old N\n", the consistency proof's hashes one per line in
 * base64, an empty line, then the checkpoint (a signed note); the answer
 * 200 with the witness's cosignature lines, 409 with its own size
 * (text/x.tlog.size), or another status the spec names.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "common/common.h"
#include "broker/witness/internal.h"

#define ANSWER_MAX 4096		/* cosignature lines, or a size */
#define BODY_MAX (BG_AUDIT_PROOF_MAX * 46 + 8192 + 64)

struct answer {
	char buf[ANSWER_MAX + 1];
	size_t len;
	int over;
};

static size_t
on_data(char *p, size_t size, size_t nmemb, void *ud)
{
	struct answer *a = ud;
	size_t n = size * nmemb;

	if (a->len + n > ANSWER_MAX) {
		a->over = 1;
		return 0;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
	a->buf[a->len] = '\0';
	return n;
}

/* The request body: old, proof, blank line, checkpoint. */
static int
body_of(uint64_t old, const struct bg_audit_proof *proof, const char *cp,
    size_t cplen, char **out, size_t *outlen)
{
	char *b = malloc(BODY_MAX), b64[48];
	size_t pos, i;
	int n;

	if (b == NULL)
		return BG_ENOMEM;
	n = snprintf(b, BODY_MAX, "old %" PRIu64 "\n", old);
	pos = (size_t)n;
	for (i = 0; proof != NULL && i < proof->len; i++) {
		if (bg_b64_encode(proof->hash[i], 32, b64, sizeof(b64)) !=
		    BG_OK) {
			free(b);
			return BG_EINTERNAL;
		}
		pos += (size_t)snprintf(b + pos, BODY_MAX - pos, "%s\n", b64);
	}
	if (pos + 1 + cplen >= BODY_MAX) {
		free(b);
		return BG_ETOOBIG;
	}
	b[pos++] = '\n';
	memcpy(b + pos, cp, cplen);
	pos += cplen;
	*out = b;
	*outlen = pos;
	return BG_OK;
}

static int
post(const struct bg_witness *w, long timeout_ms, const char *body,
    size_t len, long *status, struct answer *a)
{
	char url[BG_WITNESS_URL_MAX + 32];
	struct curl_slist *h;
	CURLcode cc;
	CURL *c;
	int r = BG_OK;

	snprintf(url, sizeof(url), "%s%sadd-checkpoint", w->url,
	    w->url[strlen(w->url) - 1] == '/' ? "" : "/");
	if ((c = curl_easy_init()) == NULL)
		return BG_ENOMEM;
	h = curl_slist_append(NULL, "Content-Type: text/plain; charset=utf-8");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	if ((cc = curl_easy_perform(c)) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	else {
		bg_set_why("%s", a->over ?
		    "an answer larger than 4 KiB" :
		    cc == CURLE_OPERATION_TIMEDOUT ? "no answer in time" :
		    curl_easy_strerror(cc));
		r = BG_EIO;
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return r;
}

/*
 * A 409's body: the witness's size, ASCII digits without a leading zero
 * and a newline, below 2^63 (tlog-witness's bound on sizes).
 */
static int
size_of(const struct answer *a, uint64_t *size)
{
	uint64_t v = 0;
	size_t i;

	if (a->len < 2 || a->len > 20 || a->buf[a->len - 1] != '\n' ||
	    (a->buf[0] == '0' && a->len > 2))
		return BG_EFORMAT;
	for (i = 0; i + 1 < a->len; i++) {
		if (a->buf[i] < '0' || a->buf[i] > '9')
			return BG_EFORMAT;
		v = v * 10 + (uint64_t)(a->buf[i] - '0');
	}
	if (v >= (uint64_t)1 << 63)
		return BG_EFORMAT;
	*size = v;
	return BG_OK;
}

int
bg_witness_add(const struct bg_witness *w, long timeout_ms, uint64_t old,
    const struct bg_audit_proof *proof, const char *cp, size_t cplen,
    struct bg_witness_reply *rep)
{
	struct answer *a = calloc(1, sizeof(*a));
	char *body = NULL;
	size_t len;
	int r;

	memset(rep, 0, sizeof(*rep));
	if (a == NULL)
		return BG_ENOMEM;
	if ((r = body_of(old, proof, cp, cplen, &body, &len)) == BG_OK &&
	    (r = post(w, timeout_ms, body, len, &rep->status, a)) == BG_OK) {
		if (rep->status == 409 && size_of(a, &rep->size) != BG_OK) {
			bg_set_why("a 409 whose body is not a size");
			r = BG_EFORMAT;
		} else if (rep->status == 200) {
			memcpy(rep->lines, a->buf, a->len + 1);
			rep->len = a->len;
		}
	}
	free(body);
	free(a);
	return r;
}
