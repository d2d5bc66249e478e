/*
 * Requests (docs/design.md §5, §7): the canonical fields of a break-glass request,
 * as strict JSON, and the approval statements derived from them.
 *
 * Everything that reaches an approver's screen starts here: names are
 * restricted, the reason is one line of UTF-8 without control or
 * bidirectional-override characters (so a reason cannot rewrite the lines
 * around it), and the statement takes its fields from the request, never
 * from the approver's side.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include <cjson/cJSON.h>

#include "common/common.h"
#include "quorum/quorum.h"

struct bg_request {
	char id[BG_REQUEST_ID_LEN + 1];
	char account[BG_ACCOUNT_MAX + 1];
	char requester[BG_NAME_MAX + 1];
	char reason[BG_REASON_MAX + 1];
	char ticket[BG_TICKET_MAX + 1];
	size_t nitems;
	char item[BG_POLICY_ITEMS_MAX][BG_NAME_MAX + 1];
	const char *itemp[BG_POLICY_ITEMS_MAX];
	uint64_t created;
	uint64_t expiry;
	uint8_t key[32];
};

static const char *const request_keys[] = { "format", "id", "account",
    "requester", "reason", "ticket", "items", "created", "expiry",
    "request_key", NULL };

/* ------------------------------------------------------------ the fields */

/*
 * Control characters (C0, DEL, C1) and the bidirectional marks, overrides
 * and isolates (Unicode 15, UAX #9 2.1-2.2): what could make a reason look
 * different from its bytes (CVE-2021-42574, "Trojan Source").
 */
static int
cp_shown_as_is(uint32_t c)
{
	if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f))
		return 0;
	if (c == 0x061c || c == 0x200e || c == 0x200f ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
		return 0;
	return 1;
}

static int
reason_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, n, i;
	uint32_t c;
	int text = 0;

	if (s == NULL || (len = strlen(s)) == 0 || len > BG_REASON_MAX)
		return 0;
	for (i = 0; i < len; i += n) {
		if ((n = bg_utf8_next(p + i, len - i, &c)) == 0 ||
		    !cp_shown_as_is(c))
			return 0;
		if (c != ' ')
			text = 1;
	}
	return text;
}

int
bg_ticket_valid(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (n >= BG_TICKET_MAX || s[n] < 0x21 || s[n] > 0x7e)
			return 0;
	return 1;
}

static int
items_valid(const char *const *items, size_t n)
{
	size_t i, j;

	if (items == NULL || n == 0 || n > BG_POLICY_ITEMS_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (!bg_name_valid(items[i]))
			return 0;
		for (j = 0; j < i; j++)
			if (bg_name_same(items[j], items[i]))
				return 0;
	}
	return 1;
}

static int
times_valid(uint64_t created, uint64_t expiry)
{
	return expiry <= BG_TIME_MAX && created < expiry &&
	    expiry - created <= BG_POLICY_EXPIRY_MAX;
}

static int
key_valid(const uint8_t key[32])
{
	static const uint8_t zero[32];

	return memcmp(key, zero, sizeof(zero)) != 0;
}

/* The first field of f that is not valid, or NULL when all are. */
static const char *
bad_field(const struct bg_request_fields *f)
{
	if (f->id != NULL && !bg_request_id_valid(f->id))
		return "id (32 lower-case hex digits)";
	if (!bg_account_valid(f->account))
		return "account (1..64 of A-Z a-z 0-9 -)";
	if (!bg_name_valid(f->requester))
		return "requester (1..64 of A-Z a-z 0-9 . _ @ -)";
	if (!reason_valid(f->reason))
		return "reason (one line of UTF-8, 1..1024 bytes, no control "
		    "or direction-changing characters)";
	if (f->ticket != NULL && !bg_ticket_valid(f->ticket))
		return "ticket (at most 128 printable ASCII characters, no "
		    "space)";
	if (!items_valid(f->items, f->nitems))
		return "items (1..32 item names, each once)";
	if (!times_valid(f->created, f->expiry))
		return "expiry (after created, at most 7 days later)";
	if (!key_valid(f->key))
		return "request_key (an X25519 public key)";
	return NULL;
}

static int
random_id(char id[BG_REQUEST_ID_LEN + 1])
{
	uint8_t b[BG_REQUEST_ID_LEN / 2];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return BG_ECRYPTO;
	return bg_hex_encode(b, sizeof(b), id, BG_REQUEST_ID_LEN + 1);
}

/* Copies the fields, all valid, into rq. */
static int
fill(bg_request_t *rq, const struct bg_request_fields *f)
{
	size_t i;
	int r;

	if (f->id == NULL) {
		if ((r = random_id(rq->id)) != BG_OK)
			return r;
	} else
		memcpy(rq->id, f->id, BG_REQUEST_ID_LEN + 1);
	memcpy(rq->account, f->account, strlen(f->account) + 1);
	memcpy(rq->requester, f->requester, strlen(f->requester) + 1);
	memcpy(rq->reason, f->reason, strlen(f->reason) + 1);
	if (f->ticket != NULL)
		memcpy(rq->ticket, f->ticket, strlen(f->ticket) + 1);
	for (i = 0; i < f->nitems; i++) {
		memcpy(rq->item[i], f->items[i], strlen(f->items[i]) + 1);
		rq->itemp[i] = rq->item[i];
	}
	rq->nitems = f->nitems;
	rq->created = f->created;
	rq->expiry = f->expiry;
	memcpy(rq->key, f->key, sizeof(rq->key));
	return BG_OK;
}

static int
request_make(const struct bg_request_fields *f, bg_request_t **out, int err)
{
	bg_request_t *rq;
	const char *bad;
	int r;

	if ((bad = bad_field(f)) != NULL) {
		bg_set_why("request: invalid %s", bad);
		return err;
	}
	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		return BG_ENOMEM;
	if ((r = fill(rq, f)) != BG_OK) {
		bg_request_free(&rq);
		return r;
	}
	*out = rq;
	return BG_OK;
}

int
bg_request_new(const struct bg_request_fields *f, bg_request_t **out)
{
	bg_clear_why();
	if (f == NULL || out == NULL)
		return BG_EINVAL;
	*out = NULL;
	return request_make(f, out, BG_EINVAL);
}

void
bg_request_free(bg_request_t **rqp)
{
	if (rqp == NULL || *rqp == NULL)
		return;
	free(*rqp);
	*rqp = NULL;
}

/* ------------------------------------------------------------------ JSON */

static int
get_time(const cJSON *o, const char *key, uint64_t *t)
{
	const char *s;

	if (bg_json_get_str(o, key, BG_RFC3339_LEN, &s) != BG_OK ||
	    bg_rfc3339_parse(s, strlen(s), t) != BG_OK) {
		bg_set_why("request: \"%s\" must be a time like "
		    "2024-01-31T23:59:59Z", key);
		return -1;
	}
	return 0;
}

/* The item names as pointers into o; -1 unless an array of strings. */
static int
get_items(const cJSON *o, const char *items[BG_POLICY_ITEMS_MAX], size_t *n)
{
	const cJSON *a, *c;

	*n = 0;
	if (bg_json_get_array(o, "items", &a) != BG_OK)
		goto bad;
	cJSON_ArrayForEach(c, a) {
		if (*n == BG_POLICY_ITEMS_MAX || !cJSON_IsString(c) ||
		    c->valuestring == NULL)
			goto bad;
		items[(*n)++] = c->valuestring;
	}
	return 0;
 bad:
	bg_set_why("request: \"items\" must be an array of 1..%d names",
	    BG_POLICY_ITEMS_MAX);
	return -1;
}

static int
get_strings(const cJSON *o, struct bg_request_fields *f)
{
	const char *fmt;

	if (bg_json_get_str(o, "format", 64, &fmt) != BG_OK ||
	    strcmp(fmt, BG_REQUEST_FORMAT) != 0) {
		bg_set_why("request: \"format\" must be \"" BG_REQUEST_FORMAT
		    "\"");
		return -1;
	}
	/* lengths are checked by bad_field(); these bound the scan */
	if (bg_json_get_str(o, "id", BG_REQUEST_ID_LEN, &f->id) != BG_OK ||
	    bg_json_get_str(o, "account", BG_ACCOUNT_MAX, &f->account) !=
	    BG_OK ||
	    bg_json_get_str(o, "requester", BG_NAME_MAX, &f->requester) !=
	    BG_OK ||
	    bg_json_get_str(o, "reason", BG_REASON_MAX, &f->reason) != BG_OK ||
	    bg_json_get_str(o, "ticket", BG_TICKET_MAX, &f->ticket) != BG_OK) {
		bg_set_why("request: id, account, requester, reason and ticket "
		    "must be strings within their bounds");
		return -1;
	}
	return 0;
}

int
bg_request_from_json(const cJSON *j, bg_request_t **out)
{
	struct bg_request_fields f;
	const char *items[BG_POLICY_ITEMS_MAX];

	bg_clear_why();
	if (j == NULL || out == NULL)
		return BG_EINVAL;
	*out = NULL;
	memset(&f, 0, sizeof(f));
	if (bg_json_only_keys(j, request_keys) != BG_OK) {
		bg_set_why("request: an object with the keys format, id, "
		    "account, requester, reason, ticket, items, created, "
		    "expiry and request_key, each once, and no other");
		return BG_EFORMAT;
	}
	if (get_strings(j, &f) != 0 || get_items(j, items, &f.nitems) != 0 ||
	    get_time(j, "created", &f.created) != 0 ||
	    get_time(j, "expiry", &f.expiry) != 0)
		return BG_EFORMAT;
	if (bg_json_get_b64(j, "request_key", f.key, sizeof(f.key)) != BG_OK) {
		bg_set_why("request: \"request_key\" must be 32 bytes in "
		    "base64");
		return BG_EFORMAT;
	}
	f.items = items;
	return request_make(&f, out, BG_EFORMAT);
}

static cJSON *
time_json(uint64_t t)
{
	char s[BG_RFC3339_LEN + 1];

	if (bg_rfc3339_format(t, s) != BG_OK)
		return NULL;
	return cJSON_CreateString(s);
}

static cJSON *
key_json(const uint8_t key[32])
{
	char s[48];

	if (bg_b64_encode(key, 32, s, sizeof(s)) != BG_OK)
		return NULL;
	return cJSON_CreateString(s);
}

int
bg_request_to_json(const bg_request_t *rq, cJSON **out)
{
	cJSON *o;

	if (rq == NULL || out == NULL)
		return BG_EINVAL;
	*out = NULL;
	if ((o = cJSON_CreateObject()) == NULL)
		return BG_ENOMEM;
	if (bg_json_add(o, "format", cJSON_CreateString(BG_REQUEST_FORMAT)) != 0 ||
	    bg_json_add(o, "id", cJSON_CreateString(rq->id)) != 0 ||
	    bg_json_add(o, "account", cJSON_CreateString(rq->account)) != 0 ||
	    bg_json_add(o, "requester", cJSON_CreateString(rq->requester)) != 0 ||
	    bg_json_add(o, "reason", cJSON_CreateString(rq->reason)) != 0 ||
	    bg_json_add(o, "ticket", cJSON_CreateString(rq->ticket)) != 0 ||
	    bg_json_add(o, "items", cJSON_CreateStringArray(rq->itemp,
	    (int)rq->nitems)) != 0 ||
	    bg_json_add(o, "created", time_json(rq->created)) != 0 ||
	    bg_json_add(o, "expiry", time_json(rq->expiry)) != 0 ||
	    bg_json_add(o, "request_key", key_json(rq->key)) != 0) {
		cJSON_Delete(o);
		return BG_ENOMEM;
	}
	*out = o;
	return BG_OK;
}

/* ------------------------------------------------------------- accessors */

const char *
bg_request_id(const bg_request_t *rq)
{
	return rq == NULL ? NULL : rq->id;
}

const char *
bg_request_account(const bg_request_t *rq)
{
	return rq == NULL ? NULL : rq->account;
}

const char *
bg_request_requester(const bg_request_t *rq)
{
	return rq == NULL ? NULL : rq->requester;
}

const char *
bg_request_reason(const bg_request_t *rq)
{
	return rq == NULL ? NULL : rq->reason;
}

const char *
bg_request_ticket(const bg_request_t *rq)
{
	return rq == NULL ? NULL : rq->ticket;
}

size_t
bg_request_nitems(const bg_request_t *rq)
{
	return rq == NULL ? 0 : rq->nitems;
}

const char *const *
bg_request_items(const bg_request_t *rq)
{
	return rq == NULL ? NULL : rq->itemp;
}

uint64_t
bg_request_created(const bg_request_t *rq)
{
	return rq == NULL ? 0 : rq->created;
}

uint64_t
bg_request_expiry(const bg_request_t *rq)
{
	return rq == NULL ? 0 : rq->expiry;
}

const uint8_t *
bg_request_key(const bg_request_t *rq)
{
	return rq == NULL ? NULL : rq->key;
}

/* ---------------------------------------------------- policy, statements */

int
bg_request_conforms(const bg_request_t *rq, const bg_policy_t *p)
{
	const char *groups[BG_POLICY_GROUPS_MAX];
	size_t n;

	bg_clear_why();
	if (rq == NULL || p == NULL)
		return BG_EINVAL;
	if (bg_policy_groups_for_items(p, rq->itemp, rq->nitems, groups,
	    BG_POLICY_GROUPS_MAX, &n) != BG_OK)
		return BG_EPERM;	/* why names the item */
	if (rq->expiry - rq->created > bg_policy_expiry(p)) {
		bg_set_why("request %s lives %llu s, longer than the policy's "
		    "%llu s", rq->id,
		    (unsigned long long)(rq->expiry - rq->created),
		    (unsigned long long)bg_policy_expiry(p));
		return BG_EPERM;
	}
	return BG_OK;
}

int
bg_request_statement(const bg_request_t *rq, const uint8_t vault[16],
    const char *group, const char *custodian,
    const uint8_t share_sha256[32], struct bg_statement *st)
{
	int r;

	if (st != NULL)
		memset(st, 0, sizeof(*st));
	if (rq == NULL || vault == NULL || share_sha256 == NULL ||
	    st == NULL || !bg_name_valid(group) || !bg_name_valid(custodian))
		return BG_EINVAL;
	memcpy(st->vault, vault, sizeof(st->vault));
	memcpy(st->request, rq->id, sizeof(st->request));
	memcpy(st->account, rq->account, sizeof(st->account));
	memcpy(st->requester, rq->requester, sizeof(st->requester));
	if ((r = bg_reason_sha256(rq->reason, strlen(rq->reason),
	    st->reason_sha256)) != BG_OK) {
		memset(st, 0, sizeof(*st));
		return r;
	}
	st->expiry = rq->expiry;
	memcpy(st->group, group, strlen(group) + 1);
	memcpy(st->custodian, custodian, strlen(custodian) + 1);
	memcpy(st->share_sha256, share_sha256, 32);
	return BG_OK;
}
