/*
 * broker/export/ JSON Lines and CEF (export.h, docs/export.md). The
 * entry is given whole in each record (JSON Lines: as an object; CEF:
 * its fields, the detail as JSON text): a SIEM needs nothing else, and
 * the leaf hash lets it prove the record was in the signed log.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "quorum/quorum.h"
#include "broker/export/export.h"

#define CEF_FIELD_MAX (BG_AUDIT_ENTRY_MAX * 2 + 1)

int
bg_cef_escape(const char *in, int header, char *out, size_t outsz)
{
	size_t o = 0;
	const char *rep;
	char one[2] = { 0, 0 };

	for (; *in != '\0'; in++) {
		if (header && (*in == '\n' || *in == '\r'))
			return BG_EFORMAT;
		rep = *in == '\\' ? "\\\\" : header && *in == '|' ? "\\|" :
		    !header && *in == '=' ? "\\=" : !header && *in == '\n' ?
		    "\\n" : !header && *in == '\r' ? "\\r" :
		    (one[0] = *in, one);
		if (o + strlen(rep) + 1 > outsz)
			return BG_ETOOBIG;
		memcpy(out + o, rep, strlen(rep));
		o += strlen(rep);
	}
	if (outsz == 0)
		return BG_ETOOBIG;
	out[o] = '\0';
	return BG_OK;
}

struct ectx {
	enum bg_export_format format;
	const char *since, *version;
	FILE *out;
	char origin[160], root[48];
	uint64_t size, n;
	char *buf;		/* CEF_FIELD_MAX, for escaping */
	bg_audit_t *log;	/* OCSF: for the inclusion proofs */
	char *note;		/* the checkpoint they lead to */
	struct bg_audit_proof proof;
	char host[256];
};

static int
jsonl(struct ectx *k, const struct bg_audit_entry *e, const char *leaf)
{
	cJSON *o = cJSON_CreateObject(), *cp;
	char *s;
	int r = BG_ENOMEM;

	if (o != NULL && cJSON_AddNumberToObject(o, "seq", (double)e->seq) &&
	    cJSON_AddStringToObject(o, "leaf", leaf) &&
	    (cp = cJSON_AddObjectToObject(o, "checkpoint")) != NULL &&
	    cJSON_AddStringToObject(cp, "origin", k->origin) &&
	    cJSON_AddNumberToObject(cp, "size", (double)k->size) &&
	    cJSON_AddStringToObject(cp, "root", k->root) &&
	    cJSON_AddItemReferenceToObject(o, "entry", e->json) &&
	    (s = cJSON_PrintUnformatted(o)) != NULL) {
		r = fprintf(k->out, "%s\n", s) < 0 ? BG_EIO : BG_OK;
		free(s);
	}
	cJSON_Delete(o);
	return r;
}

/* The CEF severity (0..10) of an event: alarms high, failures medium. */
static int
severity(const char *ev)
{
	static const char *const high[] = { "audit.verify_failed",
	    "vault.verify_failed", "aws.finding", "witness.inconsistent",
	    "custody.violation", "clock.skew", NULL };
	size_t i;

	for (i = 0; high[i] != NULL; i++)
		if (strcmp(ev, high[i]) == 0)
			return 9;
	if (strstr(ev, "failed") != NULL || strstr(ev, "refused") != NULL ||
	    strstr(ev, "denied") != NULL || strstr(ev, "unavailable") != NULL)
		return 6;
	return strcmp(ev, "release.done") == 0 ? 7 : 3;
}

/*
 * " key=value" with the value escaped as an extension value, and its
 * label (" keyLabel=label") first when label is not NULL; nothing for an
 * empty value.
 */
static int
ext(struct ectx *k, const char *key, const char *label, const char *val)
{
	int r;

	if (val == NULL || val[0] == '\0')
		return BG_OK;
	if (label != NULL && fprintf(k->out, " %sLabel=%s", key, label) < 0)
		return BG_EIO;
	if ((r = bg_cef_escape(val, 0, k->buf, CEF_FIELD_MAX)) != BG_OK)
		return r;
	return fprintf(k->out, " %s=%s", key, k->buf) < 0 ? BG_EIO : BG_OK;
}

static int
cef(struct ectx *k, const struct bg_audit_entry *e, const char *leaf)
{
	char ver[64], seq[24], size[24], t[BG_RFC3339_LEN + 1], ms[24];
	char *detail = NULL;
	uint64_t secs = 0;
	int r;

	/* the event name is [a-z0-9_.]: nothing in it to escape */
	if ((r = bg_cef_escape(k->version, 1, ver, sizeof(ver))) != BG_OK)
		return r;
	memcpy(t, e->time, 19);
	t[19] = 'Z';
	t[20] = '\0';
	(void)bg_rfc3339_parse(t, BG_RFC3339_LEN, &secs);
	snprintf(ms, sizeof(ms), "%" PRIu64 "%.3s", secs, e->time + 20);
	snprintf(seq, sizeof(seq), "%" PRIu64, e->seq);
	snprintf(size, sizeof(size), "%" PRIu64, k->size);
	if (fprintf(k->out, "CEF:0|breakglass|breakglass|%s|%s|%s|%d|", ver,
	    e->event, e->event, severity(e->event)) < 0)
		return BG_EIO;
	if (e->detail != NULL && (detail = cJSON_PrintUnformatted(
	    e->detail)) == NULL)
		return BG_ENOMEM;
	if ((r = fprintf(k->out, "rt=%s", ms) < 0 ? BG_EIO : BG_OK) == BG_OK &&
	    (r = ext(k, "suser", NULL, e->actor)) == BG_OK &&
	    (r = ext(k, "cs1", "account", e->account)) == BG_OK &&
	    (r = ext(k, "cs2", "request", e->request)) == BG_OK &&
	    (r = ext(k, "cn1", "seq", seq)) == BG_OK &&
	    (r = ext(k, "cs3", "leaf", leaf)) == BG_OK &&
	    (r = ext(k, "cs4", "checkpoint", k->origin)) == BG_OK &&
	    (r = ext(k, "cn2", "checkpointSize", size)) == BG_OK &&
	    (r = ext(k, "cs5", "checkpointRoot", k->root)) == BG_OK)
		r = ext(k, "msg", NULL, detail);
	free(detail);
	if (r == BG_OK && fputc('\n', k->out) == EOF)
		r = BG_EIO;
	return r;
}

/*
 * unmapped.breakglass.inclusion: the proof that the entry is leaf seq of
 * the tree the checkpoint signs (RFC 9162 2.1.3), checked before use.
 */
static cJSON *
inclusion(struct ectx *k, uint64_t seq, const char *leaf)
{
	cJSON *o = cJSON_CreateObject(), *h;
	char b64[48];
	size_t i;

	if (o == NULL || bg_audit_prove(k->log, seq, k->size, &k->proof) !=
	    BG_OK || !cJSON_AddStringToObject(o, "origin", k->origin) ||
	    !cJSON_AddNumberToObject(o, "tree_size", (double)k->size) ||
	    !cJSON_AddStringToObject(o, "root", k->root) ||
	    !cJSON_AddNumberToObject(o, "leaf_index", (double)seq) ||
	    !cJSON_AddStringToObject(o, "leaf_hash", leaf) ||
	    (h = cJSON_AddArrayToObject(o, "hashes")) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	for (i = 0; i < k->proof.len; i++) {
		(void)bg_b64_encode(k->proof.hash[i], 32, b64, sizeof(b64));
		if (bg_json_add(h, NULL, cJSON_CreateString(b64)) != BG_OK) {
			cJSON_Delete(o);
			return NULL;
		}
	}
	if (!cJSON_AddStringToObject(o, "checkpoint", k->note)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static int
ocsf(struct ectx *k, const struct bg_audit_entry *e, const char *line,
    size_t len, const char *leaf)
{
	struct bg_ocsf_ctx ctx = { k->host, k->version, k->origin };
	cJSON *o, *b;
	char *s;
	int r;

	if ((r = bg_ocsf_event(line, len, &ctx, &o)) != BG_OK)
		return r;
	b = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    o, "unmapped"), "breakglass");
	if ((r = bg_json_add(b, "inclusion", inclusion(k, e->seq, leaf))) ==
	    BG_OK) {
		if ((s = cJSON_PrintUnformatted(o)) == NULL)
			r = BG_ENOMEM;
		else if (fprintf(k->out, "%s\n", s) < 0)
			r = BG_EIO;
		free(s);
	}
	cJSON_Delete(o);
	return r;
}

static int
one(void *ctx, uint64_t seq, const char *line, size_t len)
{
	struct ectx *k = ctx;
	struct bg_audit_entry e;
	uint8_t h[32];
	char leaf[48];
	int r;

	(void)seq;
	if ((r = bg_audit_entry_parse(line, len, &e)) != BG_OK)
		return r;
	if (k->since == NULL || strcmp(e.time, k->since) >= 0) {
		if ((r = bg_audit_leaf_hash(line, len, h)) == BG_OK &&
		    (r = bg_b64_encode(h, 32, leaf, sizeof(leaf))) == BG_OK)
			r = k->format == BG_EXPORT_JSONL ? jsonl(k, &e, leaf) :
			    k->format == BG_EXPORT_OCSF ? ocsf(k, &e, line, len,
			    leaf) : cef(k, &e, leaf);
		k->n += r == BG_OK;
	}
	bg_audit_entry_free(&e);
	return r;
}

/* The current checkpoint's origin, size and root. */
static int
checkpoint_of(bg_audit_t *log, struct ectx *k)
{
	char *note = NULL, *p, *q;
	size_t len;
	int r;

	if ((r = bg_audit_checkpoint(log, &note, &len)) != BG_OK)
		return r;
	k->note = note;
	r = BG_EFORMAT;
	if ((p = strchr(note, '\n')) != NULL && (q = strchr(p + 1, '\n')) !=
	    NULL && (size_t)(p - note) < sizeof(k->origin)) {
		memcpy(k->origin, note, (size_t)(p - note));
		k->origin[p - note] = '\0';
		k->size = strtoull(p + 1, NULL, 10);
		snprintf(k->root, sizeof(k->root), "%.*s",
		    (int)strcspn(q + 1, "\n"), q + 1);
		r = BG_OK;
	}
	return r;
}

int
bg_export(bg_audit_t *log, enum bg_export_format format, const char *since,
    const char *version, FILE *out, uint64_t *n)
{
	struct ectx *k = calloc(1, sizeof(*k));
	int r;

	if (k == NULL)
		return BG_ENOMEM;
	k->format = format;
	k->since = since;
	k->version = version != NULL ? version : BG_VERSION;
	k->out = out;
	k->log = log;
	if (gethostname(k->host, sizeof(k->host) - 1) != 0 ||
	    k->host[0] == '\0')
		snprintf(k->host, sizeof(k->host), "localhost");
	if ((r = checkpoint_of(log, k)) == BG_OK &&
	    format == BG_EXPORT_CEF && (k->buf = malloc(CEF_FIELD_MAX)) ==
	    NULL)
		r = BG_ENOMEM;
	if (r == BG_OK)
		r = bg_audit_foreach(log, 0, k->size, one, k);
	if (n != NULL)
		*n = k->n;
	free(k->buf);
	free(k->note);
	free(k);
	if (r == BG_OK && fflush(out) != 0)
		r = BG_EIO;
	return r;
}
