/*
 * broker/ alert delivery over HTTP with libcurl: the request bodies, the
 * webhook signature and one bounded POST (docs/alerts.md).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "common/common.h"
#include "broker/alerts/internal.h"
#include "broker/export/export.h"

#define RESPONSE_MAX (64u << 10)	/* bytes of a response body we read */
#define SLACK_PART_MAX 3000		/* bytes of entry or checkpoint shown */
#define USER_AGENT "breakglass-alerts/1"

/* The origin: the key up to its last '/'. */
static char *
key_origin(const char *key)
{
	const char *slash = strrchr(key, '/');
	size_t n = slash != NULL ? (size_t)(slash - key) : 0;
	char *o = malloc(n + 1);

	if (o != NULL) {
		memcpy(o, key, n);
		o[n] = '\0';
	}
	return o;
}

static cJSON *
webhook_doc(const struct bg_alert_item *it, const struct bg_alert_sink *sink)
{
	cJSON *o = cJSON_CreateObject();
	char *origin = key_origin(it->key);
	int ok;

	ok = o != NULL && origin != NULL &&
	    bg_json_add(o, "version", cJSON_CreateNumber(1)) == BG_OK &&
	    bg_json_add(o, "key", cJSON_CreateString(it->key)) == BG_OK &&
	    bg_json_add(o, "origin", cJSON_CreateString(origin)) == BG_OK &&
	    bg_json_add(o, "logged", cJSON_CreateBool(it->logged)) == BG_OK &&
	    bg_json_add(o, "seq", it->logged ?
	    cJSON_CreateNumber((double)it->seq) : cJSON_CreateNull()) ==
	    BG_OK &&
	    bg_json_add(o, "event", cJSON_CreateString(it->event)) == BG_OK &&
	    bg_json_add(o, "sink", cJSON_CreateString(sink->name)) == BG_OK &&
	    bg_json_add(o, "entry", cJSON_CreateString(it->entry)) == BG_OK &&
	    bg_json_add(o, "checkpoint", cJSON_CreateString(it->checkpoint)) ==
	    BG_OK;
	free(origin);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Appends s (at most max bytes, cut at a UTF-8 boundary) Slack-escaped. */
static void
slack_escape(char *out, size_t outsz, size_t *pos, const char *s, size_t max)
{
	size_t n = strlen(s), i;
	const char *rep;
	char one[2] = { 0, 0 };

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++) {
		rep = s[i] == '&' ? "&amp;" : s[i] == '<' ? "&lt;" :
		    s[i] == '>' ? "&gt;" : (one[0] = s[i], one);
		if (*pos + strlen(rep) + 1 > outsz)
			return;
		memcpy(out + *pos, rep, strlen(rep));
		*pos += strlen(rep);
	}
	out[*pos] = '\0';
}

static void
slack_add(char *out, size_t outsz, size_t *pos, const char *lit)
{
	size_t n = strlen(lit);

	if (*pos + n + 1 > outsz)
		return;
	memcpy(out + *pos, lit, n + 1);
	*pos += n;
}

/* https://api.slack.com/messaging/webhooks: {"text": ...}, mrkdwn. */
static cJSON *
slack_doc(const struct bg_alert_item *it)
{
	size_t sz = 5 * (2 * SLACK_PART_MAX + BG_ALERT_KEY_MAX + 512), pos = 0;
	char *text = malloc(sz);
	cJSON *o = NULL;

	if (text == NULL)
		return NULL;
	text[0] = '\0';
	slack_add(text, sz, &pos, ":rotating_light: breakglass: *");
	slack_escape(text, sz, &pos, it->event, 256);
	slack_add(text, sz, &pos, it->logged ? "* (" : "* (NOT in the audit "
	    "log: ");
	slack_escape(text, sz, &pos, it->key, BG_ALERT_KEY_MAX);
	slack_add(text, sz, &pos, ")\n```");
	slack_escape(text, sz, &pos, it->entry, SLACK_PART_MAX);
	slack_add(text, sz, &pos, "```\nsigned checkpoint (keep it):\n```");
	slack_escape(text, sz, &pos, it->checkpoint, SLACK_PART_MAX);
	slack_add(text, sz, &pos, "```");
	if ((o = cJSON_CreateObject()) != NULL &&
	    bg_json_add(o, "text", cJSON_CreateString(text)) != BG_OK) {
		cJSON_Delete(o);
		o = NULL;
	}
	free(text);
	return o;
}

/*
 * "payload": "ocsf": the entry as an OCSF event (broker/export/ocsf.c,
 * docs/export.md), the alert's key and sink and the signed checkpoint
 * under unmapped.breakglass. An alert the log could not record has no
 * entry to map: it goes as the JSON payload, which says so ("logged").
 */
static cJSON *
ocsf_doc(const struct bg_alert_item *it, const struct bg_alert_sink *sink)
{
	char host[256] = "", *origin = key_origin(it->key);
	struct bg_ocsf_ctx ctx = { host, BG_VERSION, origin };
	cJSON *o = NULL, *b, *a;

	if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	if (origin == NULL || !it->logged || bg_ocsf_event(it->entry,
	    strlen(it->entry), &ctx, &o) != BG_OK) {
		free(origin);
		return webhook_doc(it, sink);
	}
	free(origin);
	b = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    o, "unmapped"), "breakglass");
	if ((a = cJSON_AddObjectToObject(b, "alert")) == NULL ||
	    !cJSON_AddStringToObject(a, "key", it->key) ||
	    !cJSON_AddStringToObject(a, "sink", sink->name) ||
	    !cJSON_AddStringToObject(b, "checkpoint", it->checkpoint)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int
bg_alert_body(const struct bg_alert_item *it,
    const struct bg_alert_sink *sink, char **body, size_t *len)
{
	cJSON *doc;

	*body = NULL;
	doc = sink->type == BG_ALERT_SLACK ? slack_doc(it) :
	    sink->ocsf ? ocsf_doc(it, sink) : webhook_doc(it, sink);
	if (doc == NULL)
		return BG_ENOMEM;
	*body = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (*body == NULL)
		return BG_ENOMEM;
	*len = strlen(*body);
	return BG_OK;
}

int
bg_alert_sign(const uint8_t *secret, size_t secret_len, const char *ts,
    const char *body, size_t len, char out[65])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	uint8_t tag[32];
	size_t taglen = 0;
	int r = BG_ECRYPTO;

	if (ctx != NULL && EVP_MAC_init(ctx, secret, secret_len, params) == 1 &&
	    EVP_MAC_update(ctx, (const uint8_t *)ts, strlen(ts)) == 1 &&
	    EVP_MAC_update(ctx, (const uint8_t *)".", 1) == 1 &&
	    EVP_MAC_update(ctx, (const uint8_t *)body, len) == 1 &&
	    EVP_MAC_final(ctx, tag, &taglen, sizeof(tag)) == 1 && taglen == 32)
		r = bg_hex_encode(tag, sizeof(tag), out, 65);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	bg_wipe(tag, sizeof(tag));
	return r;
}

/* Counts and drops the response body; stops a receiver that talks on. */
static size_t
drop_body(char *p, size_t size, size_t nmemb, void *ctx)
{
	size_t *seen = ctx, n = size * nmemb;

	(void)p;
	if (n > RESPONSE_MAX - *seen)
		return 0;	/* CURLE_WRITE_ERROR; the status decides */
	*seen += n;
	return n;
}

static int
header_ok(const char *v)
{
	for (; *v != '\0'; v++)
		if (*v < ' ' || *v > '~')
			return 0;
	return 1;
}

static struct curl_slist *
add_header(struct curl_slist *h, int *ok, const char *name, const char *v)
{
	char line[BG_ALERT_KEY_MAX + 128];
	struct curl_slist *n;

	if (!*ok)
		return h;
	if (!header_ok(v) || snprintf(line, sizeof(line), "%s: %s", name, v) >=
	    (int)sizeof(line) || (n = curl_slist_append(h, line)) == NULL) {
		*ok = 0;
		return h;
	}
	return n;
}

static struct curl_slist *
headers(const struct bg_alert_sink *sink, const struct bg_alert_item *it,
    const char *body, size_t len)
{
	struct curl_slist *h = NULL, *n;
	char ts[24], sig[72], hex[65];
	int ok = 1;

	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	h = add_header(h, &ok, "Content-Type", "application/json");
	if ((n = curl_slist_append(h, "Expect:")) == NULL)	/* no wait for */
		ok = 0;						/* 100-continue */
	else
		h = n;
	h = add_header(h, &ok, "Idempotency-Key", it->key);
	h = add_header(h, &ok, "X-Breakglass-Event", it->event);
	h = add_header(h, &ok, "X-Breakglass-Timestamp", ts);
	if (ok && sink->type == BG_ALERT_WEBHOOK) {
		ok = bg_alert_sign(sink->secret, sink->secret_len, ts, body,
		    len, hex) == BG_OK;
		snprintf(sig, sizeof(sig), "sha256=%s", hex);
		h = add_header(h, &ok, "X-Breakglass-Signature", sig);
	}
	if (!ok) {
		curl_slist_free_all(h);
		return NULL;
	}
	return h;
}

/* The transport settings that make delivery safe and bounded. */
static int
setup(CURL *c, const struct bg_alert_config *cfg,
    const struct bg_alert_sink *sink, size_t *seen)
{
	CURLcode e = CURLE_OK;

#define SET(opt, val) if (e == CURLE_OK) e = curl_easy_setopt(c, opt, val)
	SET(CURLOPT_URL, sink->url);
	SET(CURLOPT_PROTOCOLS_STR, sink->plain_http ? "http" : "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (sink->ca_bundle != NULL)
		SET(CURLOPT_CAINFO, sink->ca_bundle);
	if (sink->plain_http)
		SET(CURLOPT_PROXY, "");	/* loopback: never via a proxy */
	SET(CURLOPT_USERAGENT, USER_AGENT);
	SET(CURLOPT_WRITEFUNCTION, drop_body);
	SET(CURLOPT_WRITEDATA, seen);
#undef SET
	return e == CURLE_OK ? BG_OK : BG_EINTERNAL;
}

/* A short reason for people; never the URL (a Slack URL is a secret). */
static int
outcome(CURLcode e, long status, char *err, size_t errsz)
{
	if (status >= 200 && status <= 299)
		return BG_OK;	/* a body cut at RESPONSE_MAX is fine */
	if (e == CURLE_OK || (e == CURLE_WRITE_ERROR && status != 0))
		snprintf(err, errsz, "HTTP status %ld", status);
	else
		snprintf(err, errsz, "%s", curl_easy_strerror(e));
	return e == CURLE_OPERATION_TIMEDOUT ? BG_ETIMEOUT : BG_EIO;
}

int
bg_alert_post(const struct bg_alert_config *cfg,
    const struct bg_alert_sink *sink, const struct bg_alert_item *it,
    char *err, size_t errsz)
{
	struct curl_slist *h = NULL;
	char *body = NULL;
	size_t len = 0, seen = 0;
	long status = 0;
	CURL *c = NULL;
	CURLcode e;
	int r;

	snprintf(err, errsz, "cannot build the request");
	if ((r = bg_alert_body(it, sink, &body, &len)) != BG_OK)
		goto out;
	r = BG_ENOMEM;
	if ((h = headers(sink, it, body, len)) == NULL ||
	    (c = curl_easy_init()) == NULL)
		goto out;
	if ((r = setup(c, cfg, sink, &seen)) != BG_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)len) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) != CURLE_OK) {
		r = BG_EINTERNAL;
		goto out;
	}
	e = curl_easy_perform(c);
	if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
		status = 0;
	r = outcome(e, status, err, errsz);
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	free(body);
	return r;
}
