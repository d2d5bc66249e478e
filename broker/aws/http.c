/*
 * broker/aws/ signed requests: libcurl signs with SigV4
 * (CURLOPT_AWS_SIGV4); this file picks the endpoint, sends, retries
 * throttling with backoff and names AWS's errors.
 *
 * libcurl copies the secret key (CURLOPT_PASSWORD) and the session token
 * (a header) into its own heap for the request: SigV4 is libcurl's to
 * compute, and the issue forbids hand-written signing. What is exposed
 * is a read-only auditing credential, not root material, in a process
 * that cannot be dumped (bg_no_dump); docs/aws.md says so.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "common/common.h"
#include "broker/aws/aws.h"
#include "broker/aws/internal.h"

#define BODY_MAX (8u << 20)		/* bytes of one answer */
#define CONNECT_MS 5000
#define BACKOFF_MS 200			/* first wait; doubles, at most: */
#define BACKOFF_MAX_MS 5000
#define USER_AGENT "breakglass-aws/1"

void
bg_aws_resp_free(struct bg_aws_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* ----------------------------------------------------------- endpoint */

/*
 * https://, or http:// only to the loopback (a test's fake endpoint).
 * The URL is parsed as libcurl will send it: no user info
 * ("http://127.0.0.1:@host/" goes to host), the host exactly a loopback
 * one.
 */
static int
url_ok(const char *url)
{
	static const char *const local[] = { "127.0.0.1", "[::1]", "::1",
	    "localhost", NULL };
	char *scheme = NULL, *host = NULL, *user = NULL, *pass = NULL;
	CURLU *u = curl_url();
	int ok = 0;
	size_t i;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_NO_USER &&
	    curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) ==
	    CURLUE_NO_PASSWORD) {
		ok = strcmp(scheme, "https") == 0;
		for (i = 0; !ok && strcmp(scheme, "http") == 0 &&
		    local[i] != NULL; i++)
			ok = strcmp(host, local[i]) == 0;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(pass);
	curl_url_cleanup(u);
	return ok;
}

static const char *
endpoint_env(const char *service)
{
	char var[64];
	const char *v, *ign = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	size_t i;

	if (ign != NULL && strcmp(ign, "true") == 0)
		return NULL;
	snprintf(var, sizeof(var), "AWS_ENDPOINT_URL_%s", service);
	for (i = 0; var[i] != '\0'; i++)
		if (var[i] >= 'a' && var[i] <= 'z')
			var[i] = (char)(var[i] - 'a' + 'A');
	if ((v = getenv(var)) != NULL && v[0] != '\0')
		return v;
	if ((v = getenv("AWS_ENDPOINT_URL")) != NULL && v[0] != '\0')
		return v;
	return NULL;
}

int
bg_aws_endpoint(const char *service, const char *region, char *url,
    size_t urlsz, char *sign_region, size_t srsz)
{
	const char *env = endpoint_env(service);
	int global = strcmp(service, "iam") == 0 ||
	    strcmp(service, "organizations") == 0;
	int n;

	snprintf(sign_region, srsz, "%s", global ? "us-east-1" : region);
	if (env != NULL) {
		if (!url_ok(env)) {
			bg_set_why("the AWS endpoint for %s is neither https:// "
			    "nor http:// on the loopback (and names no user)",
			    service);
			return BG_EINVAL;
		}
		n = snprintf(url, urlsz, "%s", env);
	} else if (strcmp(service, "iam") == 0)
		n = snprintf(url, urlsz, "https://iam.amazonaws.com/");
	else
		n = snprintf(url, urlsz, "https://%s.%s.amazonaws.com/",
		    service, global ? "us-east-1" : region);
	return n > 0 && (size_t)n < urlsz ? BG_OK : BG_ETOOBIG;
}

/* ------------------------------------------------------------ answers */

struct body {
	char *p;
	size_t len;
	int over;
};

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct body *b = ud;
	size_t n = size * nmemb;
	char *q;

	if (b->len + n > BODY_MAX) {
		b->over = 1;
		return 0;
	}
	if ((q = realloc(b->p, b->len + n + 1)) == NULL)
		return 0;
	b->p = q;
	memcpy(b->p + b->len, ptr, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

/* AWS's error code and message, from XML or JSON. */
static void
error_of(struct bg_aws_resp *r)
{
	const char *end = r->body + r->len;
	cJSON *j;
	const cJSON *t, *m;
	const char *hash;

	if (r->body == NULL)
		return;
	if (r->body[0] == '<') {
		(void)bg_aws_xml_text(r->body, end, "Code", r->code,
		    sizeof(r->code));
		(void)bg_aws_xml_text(r->body, end, "Message", r->message,
		    sizeof(r->message));
		return;
	}
	if ((j = cJSON_ParseWithLength(r->body, r->len)) == NULL)
		return;
	t = cJSON_GetObjectItemCaseSensitive(j, "__type");
	if ((m = cJSON_GetObjectItemCaseSensitive(j, "message")) == NULL)
		m = cJSON_GetObjectItemCaseSensitive(j, "Message");
	if (cJSON_IsString(t)) {
		hash = strrchr(t->valuestring, '#');
		snprintf(r->code, sizeof(r->code), "%s", hash != NULL ?
		    hash + 1 : t->valuestring);
	}
	if (cJSON_IsString(m))
		snprintf(r->message, sizeof(r->message), "%s", m->valuestring);
	cJSON_Delete(j);
}

/*
 * AWS's message to its first line: a SignatureDoesNotMatch message can
 * go on to quote the canonical request, session token included.
 */
static void
first_line(struct bg_aws_resp *r)
{
	r->message[strcspn(r->message, "\r\n")] = '\0';
}

static int
one_of(const char *code, const char *const *list)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(code, list[i]) == 0)
			return 1;
	return 0;
}

static const char *const throttled[] = { "Throttling", "ThrottlingException",
	"TooManyRequestsException", "RequestLimitExceeded",
	"RequestThrottled", "RequestThrottledException",
	"SlowDown", "ProvisionedThroughputExceededException", NULL };
static const char *const refused_creds[] = { "InvalidClientTokenId",
	"SignatureDoesNotMatch", "UnrecognizedClientException",
	"InvalidSignatureException", "IncompleteSignature",
	"InvalidSignatureException", "AuthFailure", NULL };
static const char *const expired[] = { "ExpiredToken",
	"ExpiredTokenException", "RequestExpired", NULL };
static const char *const denied[] = { "AccessDenied",
	"AccessDeniedException", "UnauthorizedOperation", NULL };

static int
retryable(const struct bg_aws_resp *r)
{
	return r->status == 429 || r->status == 500 || r->status == 502 ||
	    r->status == 503 || r->status == 504 || one_of(r->code, throttled);
}

/* The final error of an answer that is not 2xx. */
static int
aws_error(const struct bg_aws *a, const char *what, struct bg_aws_resp *r)
{
	const char *why = one_of(r->code, expired) ? "the credentials have "
	    "expired: get fresh ones" : one_of(r->code, refused_creds) ?
	    "the credentials were refused" : one_of(r->code, denied) ?
	    "denied: the credentials may not do this" : retryable(r) ?
	    "AWS is throttling or failing" : "refused";

	bg_set_why("AWS %s: %s (HTTP %ld, %s%s%.200s; credentials from the "
	    "%s, key %.8s...)", what, why, r->status, r->code[0] ? r->code :
	    "no error code", r->message[0] ? ": " : "", r->message,
	    a->creds.source, a->creds.key_id);
	if (one_of(r->code, expired) || one_of(r->code, refused_creds) ||
	    one_of(r->code, denied) || r->status == 403)
		return BG_EPERM;
	return retryable(r) ? BG_EIO : BG_EINVAL;
}

/* ------------------------------------------------------------ sending */

struct req {
	const char *service, *region, *action;
	const char *ctype, *target, *body;
};

#define HEADER_LINE_MAX (BG_AWS_TOKEN_MAX + 64)

static struct curl_slist *
headers_of(const struct bg_aws *a, const struct req *q)
{
	struct curl_slist *h = NULL, *t;
	char *line = bg_secure_alloc(HEADER_LINE_MAX);	/* may hold the token */

	if (line == NULL)
		return NULL;
	snprintf(line, HEADER_LINE_MAX, "Content-Type: %s", q->ctype);
	if ((h = curl_slist_append(h, line)) == NULL)
		goto fail;
	if (q->target != NULL) {
		snprintf(line, HEADER_LINE_MAX, "X-Amz-Target: %s", q->target);
		if ((t = curl_slist_append(h, line)) == NULL)
			goto fail;
		h = t;
	}
	if (a->creds.token != NULL) {
		snprintf(line, HEADER_LINE_MAX, "x-amz-security-token: %s",
		    a->creds.token);
		if ((t = curl_slist_append(h, line)) == NULL)
			goto fail;
		h = t;
	}
	bg_secure_free(&line, HEADER_LINE_MAX);
	return h;
fail:
	bg_secure_free(&line, HEADER_LINE_MAX);
	curl_slist_free_all(h);
	return NULL;
}

/* One try. BG_OK with out filled (any status), else a transport error. */
static int
send_once(const struct bg_aws *a, const struct req *q, const char *url,
    const char *sign_region, struct bg_aws_resp *out)
{
	char sigv4[128];
	struct body b = { NULL, 0, 0 };
	struct curl_slist *h;
	CURL *c;
	CURLcode cc;
	int r = BG_OK;

	memset(out, 0, sizeof(*out));
	snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:%s", sign_region,
	    q->service);
	if ((c = curl_easy_init()) == NULL)
		return BG_ENOMEM;
	if ((h = headers_of(a, q)) == NULL) {
		curl_easy_cleanup(c);
		return BG_ENOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(q->body));
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(c, CURLOPT_USERNAME, a->creds.key_id);
	curl_easy_setopt(c, CURLOPT_PASSWORD, a->creds.secret);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, a->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    a->timeout_ms < CONNECT_MS ? a->timeout_ms : (long)CONNECT_MS);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if ((cc = curl_easy_perform(c)) == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
		if (b.p == NULL && (b.p = calloc(1, 1)) == NULL)
			r = BG_ENOMEM;
		out->body = b.p;
		out->len = b.len;
		b.p = NULL;
		if (out->status < 200 || out->status > 299) {
			error_of(out);
			first_line(out);
		}
	} else if (b.over) {
		bg_set_why("AWS %s %s: the answer is larger than %u bytes",
		    q->service, q->action, BODY_MAX);
		r = BG_ETOOBIG;
	} else {
		bg_set_why("AWS %s %s at %s: %s", q->service, q->action, url,
		    cc == CURLE_OPERATION_TIMEDOUT ? "no answer in time" :
		    curl_easy_strerror(cc));
		r = cc == CURLE_OPERATION_TIMEDOUT ? BG_ETIMEOUT : BG_EIO;
	}
	free(b.p);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return r;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Tries with backoff; a timeout is not tried again (it took its time). */
static int
send_req(struct bg_aws *a, const struct req *q, struct bg_aws_resp *out)
{
	char url[BG_AWS_URL_MAX], sign_region[BG_AWS_REGION_MAX + 1];
	char what[128];
	long wait = BACKOFF_MS;
	int r, i;

	memset(out, 0, sizeof(*out));
	if ((r = bg_aws_endpoint(q->service, q->region, url, sizeof(url),
	    sign_region, sizeof(sign_region))) != BG_OK)
		return r;
	snprintf(what, sizeof(what), "%s %s", q->service, q->action);
	for (i = 0; i < a->attempts; i++) {
		if (i > 0) {
			a->retries++;
			sleep_ms(wait);
			wait = wait * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
			    wait * 2;
		}
		a->requests++;
		bg_aws_resp_free(out);
		if ((r = send_once(a, q, url, sign_region, out)) ==
		    BG_ETIMEOUT || r == BG_ETOOBIG || r == BG_ENOMEM)
			return r == BG_ETIMEOUT ? BG_EIO : r;
		if (r == BG_OK && out->status >= 200 && out->status <= 299)
			return BG_OK;
		if (r == BG_OK && !retryable(out))
			return aws_error(a, what, out);
	}
	return r != BG_OK ? r : aws_error(a, what, out);
}

int
bg_aws_query(struct bg_aws *a, const char *service, const char *region,
    const char *form, struct bg_aws_resp *out)
{
	char action[64] = "";
	const char *p = strstr(form, "Action=");
	struct req q = { service, region, action,
	    "application/x-www-form-urlencoded; charset=utf-8", NULL, form };

	if (p != NULL)
		snprintf(action, sizeof(action), "%.*s",
		    (int)strcspn(p + 7, "&"), p + 7);
	return send_req(a, &q, out);
}

int
bg_aws_json(struct bg_aws *a, const char *service, const char *region,
    const char *target, const char *json, struct bg_aws_resp *out)
{
	const char *dot = strrchr(target, '.');
	struct req q = { service, region, dot != NULL ? dot + 1 : target,
	    "application/x-amz-json-1.1", target, json };

	return send_req(a, &q, out);
}
