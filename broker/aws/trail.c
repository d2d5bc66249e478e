/*
 * broker/aws/ CloudTrail input (docs/aws.md "Reconciliation"): files
 * streamed one record at a time, gzip or plain (zlib reads both), and
 * which records are root events of which kind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "common/common.h"
#include "broker/aws/aws.h"
#include "broker/aws/internal.h"

#define BLOCK (64u << 10)	/* bytes read at once */
#define RECORD_MAX (1u << 20)	/* bytes of one record (CloudTrail: 256 KiB) */

/* ------------------------------------------------------------ kinds */

const char *
bg_aws_kind_str(enum bg_aws_kind k)
{
	static const char *const names[] = { "", "console-login",
	    "console-login-failed", "password-recovery-requested",
	    "password-recovery-completed", "access-key-created",
	    "password-updated", "mfa-enabled", "mfa-deactivated", "api-call",
	    "assume-root" };

	return (size_t)k < sizeof(names) / sizeof(names[0]) ? names[k] : "";
}

static const char *
str_at(const cJSON *o, const char *k1, const char *k2)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k1);

	if (k2 != NULL)
		v = cJSON_GetObjectItemCaseSensitive(v, k2);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int
account_ok(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != BG_AWS_ACCOUNT_LEN)
		return 0;
	for (i = 0; i < BG_AWS_ACCOUNT_LEN; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static enum bg_aws_kind
kind_of(const cJSON *rec, const char *name)
{
	static const struct { const char *name; enum bg_aws_kind k; } map[] = {
		{ "PasswordRecoveryRequested", BG_AWS_RECOVERY_REQUESTED },
		{ "PasswordRecoveryCompleted", BG_AWS_RECOVERY_COMPLETED },
		{ "CreateAccessKey", BG_AWS_ACCESS_KEY_CREATED },
		{ "PasswordUpdated", BG_AWS_PASSWORD_UPDATED },
		{ "EnableMFADevice", BG_AWS_MFA_ENABLED },
		{ "DeactivateMFADevice", BG_AWS_MFA_DEACTIVATED },
	};
	const char *login = str_at(rec, "responseElements", "ConsoleLogin");
	size_t i;

	if (strcmp(name, "ConsoleLogin") == 0)
		/* failure is what the response says, not an errorMessage */
		return login != NULL && strcmp(login, "Failure") == 0 ?
		    BG_AWS_LOGIN_FAILED : BG_AWS_LOGIN;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(name, map[i].name) == 0)
			return map[i].k;
	return BG_AWS_API_CALL;
}

/*
 * A field of the record as clean one-line text: a doctored file's
 * control characters (a terminal's escape sequences) never reach the
 * table, the log or an alert.
 */
static void
copy(char *out, size_t outsz, const char *s)
{
	(void)bg_text_clean(s != NULL ? s : "", out, outsz);
}

/*
 * AssumeRoot's TargetPrincipal: the member account's id or its root
 * principal's ARN (arn:aws:iam::ID:root); the id, or NULL.
 */
static const char *
target_account(const char *t, char out[BG_AWS_ACCOUNT_LEN + 1])
{
	static const char pre[] = "arn:aws:iam::";

	if (t == NULL || strncmp(t, pre, sizeof(pre) - 1) != 0)
		return t;
	t += sizeof(pre) - 1;
	if (strlen(t) != BG_AWS_ACCOUNT_LEN + 5 ||
	    strcmp(t + BG_AWS_ACCOUNT_LEN, ":root") != 0)
		return NULL;
	memcpy(out, t, BG_AWS_ACCOUNT_LEN);
	out[BG_AWS_ACCOUNT_LEN] = '\0';
	return out;
}

/* sts:AssumeRoot: who, with which task, and the session's key. */
static void
assume_root(const cJSON *rec, const cJSON *ui, struct bg_aws_event *ev)
{
	const cJSON *rp = cJSON_GetObjectItemCaseSensitive(rec,
	    "requestParameters");
	const char *task = str_at(cJSON_GetObjectItemCaseSensitive(rp,
	    "taskPolicyArn"), "arn", NULL), *slash;
	const cJSON *cr = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(rec, "responseElements"),
	    "credentials");

	ev->kind = BG_AWS_ASSUME_ROOT;
	copy(ev->issuer, sizeof(ev->issuer), str_at(ui, "arn", NULL));
	slash = task != NULL ? strrchr(task, '/') : NULL;
	copy(ev->task, sizeof(ev->task), slash != NULL ? slash + 1 : task);
	copy(ev->issued, sizeof(ev->issued), str_at(cr, "accessKeyId", NULL));
}

int
bg_aws_event_from_record(const cJSON *rec, struct bg_aws_event *ev)
{
	const cJSON *ui = cJSON_GetObjectItemCaseSensitive(rec, "userIdentity");
	const char *type = str_at(ui, "type", NULL), *id, *t, *name, *acct;
	const char *mfa = str_at(rec, "additionalEventData", "MFAUsed");
	const char *issuer = str_at(ui, "inScopeOf", "credentialsIssuedTo");
	char tbuf[BG_AWS_ACCOUNT_LEN + 1];
	int assume;

	memset(ev, 0, sizeof(*ev));
	if (!cJSON_IsObject(rec)) {
		bg_set_why("a record that is not a JSON object");
		return BG_EFORMAT;
	}
	name = str_at(rec, "eventName", NULL);
	assume = name != NULL && strcmp(name, "AssumeRoot") == 0 &&
	    str_at(rec, "errorCode", NULL) == NULL;
	/* an AWS service's own event has no type: not root's either */
	if (!assume && (type == NULL || strcmp(type, "Root") != 0))
		return BG_ENOENT;
	id = str_at(rec, "eventID", NULL);
	t = str_at(rec, "eventTime", NULL);
	if (assume)
		acct = target_account(str_at(rec, "requestParameters",
		    "targetPrincipal"), tbuf);
	else if ((acct = str_at(rec, "recipientAccountId", NULL)) == NULL)
		acct = str_at(ui, "accountId", NULL);
	if (id == NULL || id[0] == '\0' || strlen(id) > BG_AWS_EVENT_ID_MAX ||
	    !bg_text_ok(id, 0) || t == NULL || bg_aws_time_parse(t, &ev->time) != BG_OK ||
	    name == NULL || !account_ok(acct)) {
		bg_set_why("a root event without a valid eventID, eventTime, "
		    "eventName or 12-digit account");
		return BG_EFORMAT;
	}
	copy(ev->id, sizeof(ev->id), id);
	copy(ev->account, sizeof(ev->account), acct);
	copy(ev->name, sizeof(ev->name), name);
	copy(ev->source, sizeof(ev->source), str_at(rec, "eventSource", NULL));
	copy(ev->ip, sizeof(ev->ip), str_at(rec, "sourceIPAddress", NULL));
	copy(ev->region, sizeof(ev->region), str_at(rec, "awsRegion", NULL));
	/* real records say "Yes", "No" and "YES" */
	ev->mfa = mfa == NULL ? -1 : strcasecmp(mfa, "yes") == 0 ? 1 : 0;
	ev->kind = kind_of(rec, name);
	copy(ev->key_id, sizeof(ev->key_id), str_at(ui, "accessKeyId", NULL));
	if (assume)
		assume_root(rec, ui, ev);
	else if (cJSON_GetObjectItemCaseSensitive(ui, "inScopeOf") != NULL) {
		ev->session = 1;	/* its kind stays: rules judge it */
		copy(ev->issuer, sizeof(ev->issuer), issuer != NULL ? issuer :
		    "");
	}
	return BG_OK;
}

/* ----------------------------------------------------------- stream */

struct scan {
	gzFile gz;
	const char *path;
	unsigned char *buf;
	size_t pos, len;
	uint64_t off;		/* bytes consumed (decompressed) */
	int err;
	char *rec;		/* the value being read */
	size_t rlen;
	bg_aws_record_fn fn;
	void *ctx;
	size_t n;		/* records handed over */
};

/* The next byte, or -1 at the end (s->err set on a read error). */
static int
next_byte(struct scan *s)
{
	int n;

	if (s->pos == s->len) {
		if (s->err || (n = gzread(s->gz, s->buf, BLOCK)) <= 0) {
			if (!s->err && gzeof(s->gz) == 0)
				s->err = 1;
			return -1;
		}
		s->len = (size_t)n;
		s->pos = 0;
	}
	s->off++;
	return s->buf[s->pos++];
}

static int
skip_ws(struct scan *s)
{
	int c;

	do
		c = next_byte(s);
	while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
	return c;
}

static int
bad(struct scan *s, const char *what)
{
	int z;
	const char *ze = s->err ? gzerror(s->gz, &z) : NULL;

	bg_set_why("%s: %s at byte %llu%s%s", s->path, what,
	    (unsigned long long)s->off, ze != NULL ? ": " : "",
	    ze != NULL ? ze : "");
	return BG_EFORMAT;
}

static int
put(struct scan *s, int c)
{
	if (s->rlen + 1 >= RECORD_MAX)
		return bad(s, "a record larger than 1 MiB");
	s->rec[s->rlen++] = (char)c;
	return BG_OK;
}

/*
 * Reads the rest of an object whose first bytes are already in s->rec:
 * depth open brackets, instr when they end inside a string.
 */
static int
read_object(struct scan *s, int depth, int instr)
{
	int c, esc = 0, r;

	while (depth > 0) {
		if ((c = next_byte(s)) < 0)
			return bad(s, s->err ? "a read error" :
			    "the input ends inside a record (truncated?)");
		if ((r = put(s, c)) != BG_OK)
			return r;
		if (instr) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				instr = 0;
		} else if (c == '"')
			instr = 1;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
	}
	s->rec[s->rlen] = '\0';
	return BG_OK;
}

/* 1 when obj has a key twice, or more than KEYS_MAX keys. */
#define KEYS_MAX 512

static int
dup_keys_in(const cJSON *obj)
{
	const cJSON *a, *b;
	size_t n = 0;

	cJSON_ArrayForEach(a, obj) {
		if (++n > KEYS_MAX)
			return 1;
		for (b = obj->child; b != a; b = b->next)
			if (strcmp(a->string, b->string) == 0)
				return 1;
	}
	return 0;
}

/*
 * A duplicate key where a record is read (a second "userIdentity" that
 * cJSON's first-wins lookup would hide, read one way here and another by
 * the next tool) makes the record malformed. Deeper parts are not read.
 */
static int
dup_keys(const cJSON *j)
{
	static const char *const parts[] = { "userIdentity",
	    "additionalEventData", "responseElements", "requestParameters",
	    "detail", NULL };
	const cJSON *ui = cJSON_GetObjectItemCaseSensitive(j, "userIdentity");
	size_t i;

	if (dup_keys_in(j) || dup_keys_in(cJSON_GetObjectItemCaseSensitive(ui,
	    "inScopeOf")))
		return 1;
	for (i = 0; parts[i] != NULL; i++) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, parts[i]);

		if (cJSON_IsObject(p) && (dup_keys_in(p) || (strcmp(parts[i],
		    "detail") == 0 && dup_keys(p))))
			return 1;
	}
	return 0;
}

/* A whole value in s->rec: a record, an EventBridge event or Records. */
static int
hand_over(struct scan *s)
{
	cJSON *j = cJSON_ParseWithLength(s->rec, s->rlen), *e;
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "detail");
	const cJSON *recs = cJSON_GetObjectItemCaseSensitive(j, "Records");
	int r = BG_OK, record;

	if (j == NULL || !cJSON_IsObject(j) || dup_keys(j)) {
		cJSON_Delete(j);
		return bad(s, "a record that is not a JSON object without "
		    "duplicate keys ends");
	}
	/* a record is never unwrapped: only a wrapper holds others */
	record = cJSON_GetObjectItemCaseSensitive(j, "eventID") != NULL ||
	    cJSON_GetObjectItemCaseSensitive(j, "userIdentity") != NULL;
	if (!record && cJSON_GetObjectItemCaseSensitive(j, "detail-type") !=
	    NULL && cJSON_IsObject(d)) {
		s->n++;
		r = s->fn(s->ctx, d);
	} else if (!record && cJSON_IsArray(recs)) {
		cJSON_ArrayForEach(e, recs)
			if (r == BG_OK && (r = dup_keys(e) ? bad(s, "a record "
			    "with a duplicate key ends") : BG_OK) == BG_OK) {
				s->n++;
				r = s->fn(s->ctx, e);
			}
	} else {
		s->n++;
		r = s->fn(s->ctx, j);
	}
	cJSON_Delete(j);
	return r;
}

/* {"Records":[ already read: each element, then ']' '}' and the end. */
static int
records(struct scan *s)
{
	int c, r, first = 1;

	for (;;) {
		c = skip_ws(s);
		if (c == ']' && first)
			break;
		if (!first) {
			if (c == ']')
				break;
			if (c != ',')
				return bad(s, "expected ',' or ']' between "
				    "records");
			c = skip_ws(s);
		}
		if (c != '{')
			return bad(s, c < 0 ? "the input ends inside Records "
			    "(truncated?)" : "a record that is not an object");
		s->rlen = 0;
		if ((r = put(s, c)) != BG_OK || (r = read_object(s, 1, 0)) !=
		    BG_OK || (r = hand_over(s)) != BG_OK)
			return r;
		first = 0;
	}
	if (skip_ws(s) != '}')
		return bad(s, "expected the end of the log file after Records");
	if (skip_ws(s) >= 0 || s->err)
		return bad(s, "more after the log file's object");
	return BG_OK;
}

/* The first object's first key, when it is "Records", opens records. */
static int
first_key(struct scan *s, int *is_records)
{
	static const char want[] = "\"Records\"";
	size_t i;
	int c;

	*is_records = 0;
	s->rlen = 0;
	if (put(s, '{') != BG_OK)
		return BG_EFORMAT;
	c = skip_ws(s);
	for (i = 0; c >= 0 && i < sizeof(want) - 1 && c == want[i]; i++) {
		(void)put(s, c);
		c = next_byte(s);
	}
	if (i == sizeof(want) - 1) {
		while (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			c = next_byte(s);
		if (c == ':' && skip_ws(s) == '[') {
			*is_records = 1;
			return BG_OK;
		}
		return bad(s, "\"Records\" is not a list");
	}
	if (c < 0)
		return bad(s, "the input ends inside the first object");
	/* another object: c goes back, read on (inside the key once '"') */
	s->pos--;
	s->off--;
	return read_object(s, 1, i > 0);
}

static int
values(struct scan *s, int have_first)
{
	int c, r;

	if (have_first && (r = hand_over(s)) != BG_OK)
		return r;
	while ((c = skip_ws(s)) >= 0) {
		if (c != '{')
			return bad(s, "expected a JSON object");
		s->rlen = 0;
		if ((r = put(s, c)) != BG_OK || (r = read_object(s, 1, 0)) !=
		    BG_OK || (r = hand_over(s)) != BG_OK)
			return r;
	}
	return s->err ? bad(s, "a read error") : BG_OK;
}

static int
scan_all(struct scan *s)
{
	int c = skip_ws(s), is_records, r;

	if (c == 0xef && next_byte(s) == 0xbb && next_byte(s) == 0xbf)
		c = skip_ws(s);		/* a UTF-8 byte-order mark */
	if (c < 0)
		return bad(s, s->err ? "a read error" : "no record (an empty "
		    "file)");
	if (c != '{')
		return bad(s, "expected a JSON object");
	if ((r = first_key(s, &is_records)) != BG_OK)
		return r;
	r = is_records ? records(s) : values(s, 1);
	if (r == BG_OK && s->n == 0)
		return bad(s, "no record");
	return r;
}

static int
open_gz(const char *path, gzFile *gz)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		bg_set_why("%s: %s", path, strerror(errno));
		return bg_err_from_errno(errno);
	}
	if (fstat(fd, &st) != 0 || (!S_ISREG(st.st_mode) &&
	    !S_ISFIFO(st.st_mode))) {
		close(fd);
		bg_set_why("%s: not a file", path);
		return BG_EINVAL;
	}
	if ((*gz = gzdopen(fd, "rb")) == NULL) {
		close(fd);
		return BG_ENOMEM;
	}
	gzbuffer(*gz, BLOCK);
	return BG_OK;
}

int
bg_aws_trail_file(const char *path, bg_aws_record_fn fn, void *ctx)
{
	struct scan s;
	int r;

	memset(&s, 0, sizeof(s));
	s.path = path;
	s.fn = fn;
	s.ctx = ctx;
	if ((s.buf = malloc(BLOCK)) == NULL || (s.rec = malloc(RECORD_MAX)) ==
	    NULL) {
		free(s.buf);
		return BG_ENOMEM;
	}
	if ((r = open_gz(path, &s.gz)) == BG_OK) {
		r = scan_all(&s);
		gzclose(s.gz);
	}
	free(s.buf);
	free(s.rec);
	return r;
}
