/*
 * Requests of vault format v2 (docs/design.md §5.2): the canonical text
 * the requester's token signs, naming the vault fingerprint, the chain
 * head, and one one-time slot per item version asked for.
 *
 * As for v1 statements (statement.c): one request has one text, the
 * parser accepts exactly what the builder writes (checked by rebuilding),
 * and what an approver is shown is rendered from the parsed fields, plus
 * the reason only once it matches the signed reason-sha256.
 */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "quorum/canon.h"
#include "quorum/quorum.h"

#define WHAT "request"
#define TICKET_NONE "-"

/* Line numbers: fixed up to the entries; created follows the n entries,
 * then expiry, reason-sha256, ticket, nonce, request-key. */
enum {
	L_FORMAT = 1, L_VAULT, L_CHAIN, L_ID, L_REQUESTER, L_ACCOUNT,
	L_ENTRIES, L_ENTRY
};
#define L_CREATED(n) (L_ENTRY + (unsigned)(n))

/* ------------------------------------------------------------- the rules */

/* A v1 ticket (bg_ticket_valid), and not the "-" that spells none. */
static int
ticket_valid(const char *s)
{
	return bg_ticket_valid(s) && strcmp(s, TICKET_NONE) != 0;
}

static int
ticket_line_valid(const char *s)
{
	return s[0] != '\0' && ticket_valid(s);
}

static int
entry_check(const struct bg_request2 *rq, size_t i, struct bg_fault *f)
{
	const struct bg_request2_entry *e = &rq->entry[i];
	unsigned line = L_ENTRY + (unsigned)i;
	size_t j;

	if (!bg_name_valid(e->item))
		return bg_fault(f, line, "entry", "the item must be a name");
	if (e->version == 0)
		return bg_fault(f, line, "entry", "the version must be at "
		    "least 1");
	if (e->slot >= BG_SLOTS_MAX)
		return bg_fault(f, line, "entry", "the slot must be below "
		    "256");
	if (i > 0 && strcmp(rq->entry[i - 1].item, e->item) >= 0)
		return bg_fault(f, line, "entry", "entries must be sorted by "
		    "item name, each item once");
	for (j = 0; j < i; j++)
		if (bg_name_same(rq->entry[j].item, e->item))
			return bg_fault(f, line, "entry", "the item is listed "
			    "twice (names that differ in case are one)");
	return 0;
}

static int
entries_check(const struct bg_request2 *rq, struct bg_fault *f)
{
	size_t i;

	if (rq->nentries == 0 || rq->nentries > BG_POLICY_ITEMS_MAX)
		return bg_fault(f, L_ENTRIES, "entries", "a request names "
		    "1..32 entries");
	for (i = 0; i < rq->nentries; i++)
		if (entry_check(rq, i, f) != 0)
			return -1;
	return 0;
}

static int
times_check(const struct bg_request2 *rq, struct bg_fault *f)
{
	unsigned created = L_CREATED(rq->nentries);

	if (rq->created > BG_TIME_MAX)
		return bg_fault(f, created, "created", "created must be a "
		    "time up to 9999");
	if (rq->expiry > BG_TIME_MAX)
		return bg_fault(f, created + 1, "expiry", "the expiry must be "
		    "a time up to 9999");
	if (rq->expiry <= rq->created)
		return bg_fault(f, created + 1, "expiry", "the expiry must be "
		    "after created");
	if (rq->expiry - rq->created > BG_POLICY_EXPIRY_MAX)
		return bg_fault(f, created + 1, "expiry", "the expiry must be "
		    "at most 7 days after created");
	return 0;
}

/* 0 when every field keeps its rule; else -1 and *f names the first. */
static int
request_check(const void *obj, struct bg_fault *f)
{
	const struct bg_request2 *rq = obj;
	unsigned created = L_CREATED(rq->nentries);

	if (!bg_request_id_valid(rq->id))
		return bg_fault(f, L_ID, "id", "the id must be 32 lower-case "
		    "hex digits");
	if (!bg_name_valid(rq->requester))
		return bg_fault(f, L_REQUESTER, "requester", "the requester "
		    "must be a name");
	if (!bg_account_valid(rq->account))
		return bg_fault(f, L_ACCOUNT, "account", "the account must be "
		    "an account id");
	if (entries_check(rq, f) != 0 || times_check(rq, f) != 0)
		return -1;
	if (!ticket_valid(rq->ticket))
		return bg_fault(f, created + 3, "ticket", "the ticket must be "
		    "at most 128 printable ASCII characters without space, "
		    "not \"-\"");
	if (bg_all_zero(rq->key, sizeof(rq->key)))
		return bg_fault(f, created + 5, "request-key", "the request "
		    "key must be an X25519 public key, not all zero");
	return 0;
}

/* ---------------------------------------------------------------- build */

static void
put_time_line(struct bg_out *o, const char *key, uint64_t t)
{
	bg_out_put(o, "%s ", key);
	bg_out_time(o, t);
	bg_out_put(o, "\n");
}

/* The canonical text of a checked request into o. */
static void
render(struct bg_out *o, const void *obj)
{
	const struct bg_request2 *rq = obj;
	const struct bg_request2_entry *e;
	size_t i;

	bg_out_put(o, "format %s\n", BG_REQUEST2_FORMAT);
	bg_out_hex_line(o, "vault", rq->vault, sizeof(rq->vault));
	bg_out_hex_line(o, "chain", rq->chain, sizeof(rq->chain));
	bg_out_put(o, "id %s\n", rq->id);
	bg_out_put(o, "requester %s\n", rq->requester);
	bg_out_put(o, "account %s\n", rq->account);
	bg_out_put(o, "entries %zu\n", rq->nentries);
	for (i = 0; i < rq->nentries; i++) {
		e = &rq->entry[i];
		bg_out_put(o, "entry %s %llu %u\n", e->item,
		    (unsigned long long)e->version, (unsigned)e->slot);
	}
	put_time_line(o, "created", rq->created);
	put_time_line(o, "expiry", rq->expiry);
	bg_out_hex_line(o, "reason-sha256", rq->reason_sha256, 32);
	bg_out_put(o, "ticket %s\n", rq->ticket[0] != '\0' ? rq->ticket :
	    TICKET_NONE);
	bg_out_hex_line(o, "nonce", rq->nonce, sizeof(rq->nonce));
	bg_out_hex_line(o, "request-key", rq->key, sizeof(rq->key));
}

/* ---------------------------------------------------------------- parse */

static int
take_entry(struct bg_canon *c, struct bg_request2_entry *e)
{
	struct bg_span v, f[3];
	uint64_t slot;

	if (bg_canon_take(c, "entry", &v) != 0)
		return -1;
	if (bg_span_split(v, f, 3) != 0)
		return bg_canon_fail(c, c->line - 1, "entry", "must be "
		    "\"entry <item> <version> <slot>\", one space apart");
	if (bg_span_str(f[0], e->item, sizeof(e->item), bg_name_valid) != 0)
		return bg_canon_fail(c, c->line - 1, "entry", "the item must "
		    "be a name (1..64 of A-Z a-z 0-9 . _ @ -)");
	if (bg_span_u64(f[1], &e->version) != 0 ||
	    bg_span_u64(f[2], &slot) != 0)
		return bg_canon_fail(c, c->line - 1, "entry", "version and "
		    "slot must be decimal numbers without leading zeros");
	if (slot >= BG_SLOTS_MAX)
		return bg_canon_fail(c, c->line - 1, "entry", "the slot must "
		    "be below %d", BG_SLOTS_MAX);
	e->slot = (uint32_t)slot;
	return 0;
}

/* "entries <n>", then exactly n entry lines. */
static int
take_entries(struct bg_canon *c, struct bg_request2 *rq)
{
	struct bg_fault f;
	size_t i;

	if (bg_canon_count(c, "entries", BG_POLICY_ITEMS_MAX,
	    &rq->nentries) != 0)
		return -1;
	for (i = 0; i < rq->nentries; i++) {
		if (take_entry(c, &rq->entry[i]) != 0)
			return -1;
		if (entry_check(rq, i, &f) != 0)	/* order, as read */
			return bg_canon_fail(c, f.line, f.key, "%s", f.rule);
	}
	return 0;
}

static int
take_ticket(struct bg_canon *c, char *ticket)
{
	struct bg_span v;

	if (bg_canon_take(c, "ticket", &v) != 0)
		return -1;
	if (bg_span_is(v, TICKET_NONE)) {
		ticket[0] = '\0';
		return 0;
	}
	if (bg_span_str(v, ticket, BG_TICKET_MAX + 1, ticket_line_valid) != 0)
		return bg_canon_fail(c, c->line - 1, "ticket", "must be - or "
		    "at most 128 printable ASCII characters without space");
	return 0;
}

/* Created and expiry, just read, agree. */
static int
take_times_ok(struct bg_canon *c, const struct bg_request2 *rq)
{
	struct bg_fault f;

	if (times_check(rq, &f) != 0)
		return bg_canon_fail(c, f.line, f.key, "%s", f.rule);
	return 0;
}

static int
take_fields(struct bg_canon *c, void *obj)
{
	struct bg_request2 *rq = obj;
	if (bg_canon_literal(c, "format", BG_REQUEST2_FORMAT) != 0 ||
	    bg_canon_hex(c, "vault", rq->vault, sizeof(rq->vault)) != 0 ||
	    bg_canon_hex(c, "chain", rq->chain, sizeof(rq->chain)) != 0 ||
	    bg_canon_str(c, "id", rq->id, sizeof(rq->id),
	    bg_request_id_valid, "32 lower-case hex digits") != 0 ||
	    bg_canon_str(c, "requester", rq->requester,
	    sizeof(rq->requester), bg_name_valid, "a name") != 0 ||
	    bg_canon_str(c, "account", rq->account, sizeof(rq->account),
	    bg_account_valid, "an account id (1..64 of A-Z a-z 0-9 -)") != 0 ||
	    take_entries(c, rq) != 0 ||
	    bg_canon_time(c, "created", &rq->created) != 0 ||
	    bg_canon_time(c, "expiry", &rq->expiry) != 0 ||
	    take_times_ok(c, rq) != 0 ||
	    bg_canon_hex(c, "reason-sha256", rq->reason_sha256, 32) != 0 ||
	    take_ticket(c, rq->ticket) != 0 ||
	    bg_canon_hex(c, "nonce", rq->nonce, sizeof(rq->nonce)) != 0 ||
	    bg_canon_hex(c, "request-key", rq->key, sizeof(rq->key)) != 0)
		return -1;
	return bg_canon_end(c, "request-key");
}

static const struct bg_canon_kind kind = {
	WHAT, BG_REQUEST2_TAG, BG_REQUEST2_MAX, sizeof(struct bg_request2),
	take_fields, request_check, render,
};

int
bg_request2_build(const struct bg_request2 *rq, char *out, size_t outsz,
    size_t *len)
{
	return bg_canon_build(&kind, rq, out, outsz, len);
}

int
bg_request2_parse(const char *text, size_t len, struct bg_request2 *rq)
{
	return bg_canon_parse(&kind, text, len, rq);
}

int
bg_request2_hash(const char *text, size_t len, uint8_t out[32])
{
	return bg_canon_hash(&kind, text, len, out);
}

/* -------------------------------------------------------------- describe */

static void
put_entries(struct bg_out *o, const struct bg_request2 *rq)
{
	const struct bg_request2_entry *e;
	size_t i;

	bg_out_put(o, "  items (%zu):\n", rq->nentries);
	for (i = 0; i < rq->nentries; i++) {
		e = &rq->entry[i];
		bg_out_put(o, "    %s  version %llu  slot %u\n", e->item,
		    (unsigned long long)e->version, (unsigned)e->slot);
	}
}

static void
put_times(struct bg_out *o, const struct bg_request2 *rq)
{
	uint64_t life = rq->expiry - rq->created;

	bg_out_put(o, "  created            ");
	bg_out_time(o, rq->created);
	bg_out_put(o, " (UTC)\n  expires            ");
	bg_out_time(o, rq->expiry);
	bg_out_put(o, " (UTC), %lluh%02llum after created\n",
	    (unsigned long long)(life / 3600),
	    (unsigned long long)(life / 60 % 60));
}

static void
put_request(struct bg_out *o, const struct bg_request2 *rq,
    const uint8_t hash[32], const char *reason, size_t reason_len)
{
	bg_out_put(o, "Request (%s):\n", BG_REQUEST2_FORMAT);
	bg_out_put(o, "  requester          %s\n", rq->requester);
	bg_out_put(o, "  account            %s\n", rq->account);
	put_entries(o, rq);
	bg_out_put(o, "  reason (matches reason-sha256):\n    \"");
	bg_out_escaped(o, reason, reason_len);
	bg_out_put(o, "\"\n  ticket             %s\n",
	    rq->ticket[0] != '\0' ? rq->ticket : "(none)");
	put_times(o, rq);
	bg_out_put(o, "  request id         %s\n", rq->id);
	bg_out_hex_labelled(o, "vault fingerprint", rq->vault, 32);
	bg_out_hex_labelled(o, "chain head", rq->chain, 32);
	bg_out_hex_labelled(o, "reason-sha256", rq->reason_sha256, 32);
	bg_out_hex_labelled(o, "nonce", rq->nonce, sizeof(rq->nonce));
	bg_out_hex_labelled(o, "request key", rq->key, 32);
	bg_out_hex_labelled(o, "request-sha256", hash, 32);
}

/* BG_OK when the reason is the one the request signed by its hash. */
static int
reason_check(const struct bg_request2 *rq, const char *reason, size_t len)
{
	uint8_t h[32];
	int r;

	if (len > BG_REASON_MAX) {
		bg_set_why(WHAT ": the reason is longer than %d bytes",
		    BG_REASON_MAX);
		return BG_ETOOBIG;
	}
	if ((r = bg_reason_sha256(reason, len, h)) != BG_OK)
		return r;
	if (bg_ct_memcmp(h, rq->reason_sha256, 32) != 0) {
		bg_set_why(WHAT ": the reason does not match the request's "
		    "reason-sha256");
		return BG_ETAMPER;
	}
	return BG_OK;
}

static int
describe(const struct bg_request2 *rq, const char *text, size_t len,
    const char *reason, size_t reason_len, struct bg_out *o)
{
	uint8_t h[32];
	int r;

	if ((r = reason_check(rq, reason, reason_len)) != BG_OK ||
	    (r = bg_tagged_sha256(BG_REQUEST2_TAG, text, len, h)) != BG_OK)
		return r;
	put_request(o, rq, h, reason, reason_len);
	return o->full ? BG_ETOOBIG : BG_OK;
}

int
bg_request2_describe(const char *text, size_t len, const char *reason,
    size_t reason_len, char *out, size_t outsz)
{
	struct bg_request2 *rq;
	struct bg_out o;
	int r;

	bg_clear_why();
	if (text == NULL || reason == NULL || out == NULL || outsz == 0)
		return BG_EINVAL;
	bg_out_init(&o, out, outsz);
	if ((rq = bg_canon_parse_alloc(&kind, text, len, &r)) == NULL)
		return r;
	r = describe(rq, text, len, reason, reason_len, &o);
	free(rq);
	if (r != BG_OK)
		out[0] = '\0';
	return r;
}
