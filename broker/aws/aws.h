/*
 * broker/aws/: the AWS account the vault guards (docs/aws.md).
 *
 * Transport: requests signed with SigV4 by libcurl (CURLOPT_AWS_SIGV4),
 * credentials from the AWS CLI's standard sources, the query API (IAM,
 * STS, XML answers) and JSON 1.1 (Organizations, CloudTrail), with
 * timeouts, retries with backoff on throttling, and pagination.
 *
 * Posture: per vault account, what IAM says of its root user (keys, MFA,
 * password, signing certificates), and for an organization the member
 * accounts the vault does not hold. Reconciliation: root events from
 * CloudTrail (files as delivered to S3, EventBridge events, JSON Lines,
 * or LookupEvents) matched to the releases the audit log records.
 *
 * Credentials never leave this module: no log, state file, audit entry
 * or alert holds them.
 */
#ifndef BG_AWS_H
#define BG_AWS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "audit/audit.h"
#include "broker/custody/custody.h"
#include "broker/vault/vault.h"

#define BG_AWS_ACCOUNT_LEN 12
#define BG_AWS_REGION_MAX 32
#define BG_AWS_KEYID_MAX 128
#define BG_AWS_SECRET_MAX 128
#define BG_AWS_TOKEN_MAX 4096
#define BG_AWS_URL_MAX 512
#define BG_AWS_WINDOW_DEFAULT (4 * 3600)	/* after a release, seconds */
#define BG_AWS_TIMEOUT_DEFAULT 20000		/* ms, one request */
#define BG_AWS_ATTEMPTS_DEFAULT 4		/* tries of one request */

/* ------------------------------------------------------- credentials */

struct bg_aws_creds {
	char key_id[BG_AWS_KEYID_MAX + 1];
	char *secret;		/* secure memory, BG_AWS_SECRET_MAX + 1 */
	char *token;		/* secure memory or NULL */
	char source[48];	/* "environment", "shared credentials file" .. */
};

/*
 * The "aws" member of breakglass.json (all optional):
 *   {"role": "arn:aws:iam::{account}:role/NAME", "window_seconds": N,
 *    "timeout_ms": N, "profile": "NAME", "region": "REGION"}
 * role: the role read in a member account when centralized root
 * management is off ({account} is replaced by the account's id).
 */
struct bg_aws_config {
	char role[256];
	char profile[64];
	char region[BG_AWS_REGION_MAX + 1];
	uint64_t window;	/* seconds after a release */
	uint64_t timeout_ms;
};

int bg_aws_config_from_json(const cJSON *root, struct bg_aws_config *cfg);

/* A client: the credentials, the region, the endpoints' overrides. */
struct bg_aws {
	struct bg_aws_creds creds;
	char region[BG_AWS_REGION_MAX + 1];
	char profile[64];
	long timeout_ms;
	int attempts;
	unsigned requests, retries;	/* counted, for the report */
};

/*
 * Loads credentials in the AWS CLI's order: the environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), the
 * shared credentials file (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials)
 * for AWS_PROFILE (else cfg's profile, else "default"), the profile's
 * credential_process, static keys in the config file (AWS_CONFIG_FILE,
 * ~/.aws/config). The region: AWS_REGION, AWS_DEFAULT_REGION, cfg, the
 * profile's, else us-east-1. AWS_MAX_ATTEMPTS is honoured (1..10).
 * BG_ENOENT when no source has credentials; bg_why() says what it tried.
 */
int bg_aws_open(struct bg_aws *a, const struct bg_aws_config *cfg);
void bg_aws_close(struct bg_aws *a);
/* Temporary credentials (AssumeRoot, AssumeRole) in a's place. */
int bg_aws_with_creds(const struct bg_aws *a, const struct bg_aws_creds *cr,
    struct bg_aws *out);
void bg_aws_creds_free(struct bg_aws_creds *c);

/* sts:GetCallerIdentity: the caller's account and ARN. */
int bg_aws_caller(struct bg_aws *a, char *account, size_t accsz, char *arn,
    size_t arnsz);

/* "YYYY-MM-DDTHH:MM:SS[.fff]Z" (also "+00:00") to seconds. */
int bg_aws_time_parse(const char *s, uint64_t *t);

/* ---------------------------------------------------------- requests */

struct bg_aws_resp {
	long status;
	char *body;
	size_t len;
	char code[96];		/* the error code, "" on success */
	char message[256];
};
void bg_aws_resp_free(struct bg_aws_resp *r);

/*
 * The endpoint of service ("iam", "sts", "organizations", "cloudtrail")
 * in region: AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL, else
 * AWS's own (unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true). *region
 * is the signing region (IAM and Organizations sign for us-east-1).
 */
int bg_aws_endpoint(const char *service, const char *region, char *url,
    size_t urlsz, char *sign_region, size_t srsz);

/*
 * One signed request: the query API (form = "Action=..&Version=.."),
 * or JSON 1.1 (target, json). Retries throttling and 5xx answers with
 * backoff, at most a->attempts tries; a 2xx is BG_OK, an AWS error
 * BG_EPERM (denied, bad or expired credentials), BG_EINVAL (refused
 * input), BG_EBUSY (still throttled) or BG_EIO, with bg_why() naming the
 * service, the action and AWS's code and message. Never the credentials.
 */
int bg_aws_query(struct bg_aws *a, const char *service, const char *region,
    const char *form, struct bg_aws_resp *out);
int bg_aws_json(struct bg_aws *a, const char *service, const char *region,
    const char *target, const char *json, struct bg_aws_resp *out);

/* XML of a query API answer: the first <tag> in [p, end), decoded. */
int bg_aws_xml_text(const char *p, const char *end, const char *tag,
    char *out, size_t outsz);
/* The next <tag>..</tag> element's inside from *p; 0 when none. */
int bg_aws_xml_next(const char **p, const char *end, const char *tag,
    const char **in, const char **in_end);

/* ---------------------------------------------------------- posture */

struct bg_aws_root {
	char account[BG_AWS_ACCOUNT_LEN + 1];
	char via[24];		/* "caller", "assume-root", "role", "" */
	int read;		/* 1 when the summary was read */
	char error[320];	/* why not */
	int mfa, keys, password, certs;	/* the summary's flags */
	int mfa_devices;	/* root's MFA devices, -1 unknown */
	int mfa_virtual_only;	/* only virtual devices could be seen */
	/* the AssumeRoot session's key id: not a secret, what CloudTrail
	 * names the session by */
	char session_key[BG_AWS_KEYID_MAX + 1];
};

struct bg_aws_org_account {
	char id[BG_AWS_ACCOUNT_LEN + 1];
	char name[128];
	char status[24];
};

struct bg_aws_posture {
	char caller_account[BG_AWS_ACCOUNT_LEN + 1];
	char caller_arn[256];
	int org;		/* an organization is in use */
	int org_listed;		/* its accounts were listed */
	int central_root;	/* RootCredentialsManagement enabled */
	int root_sessions;	/* RootSessions: sts:AssumeRoot allowed */
	struct bg_aws_org_account *members;
	size_t nmembers;
	struct bg_aws_root *roots;
	size_t nroots;
	int all;		/* every vault account was asked for */
	struct bg_custody_report rep;	/* the findings */
};

/*
 * Reads the posture of accounts (ids; every vault account when n == 0)
 * and judges it against the vault (items sealed) and the custody
 * configuration (the root MFA devices it names). Fills p (free with
 * bg_aws_posture_free); BG_OK when the caller's identity could be read,
 * even when an account could not (a finding).
 */
int bg_aws_posture_read(struct bg_aws *a, const struct bg_aws_config *cfg,
    const char *const *ids, size_t n, struct bg_aws_posture *p);
void bg_aws_posture_judge(struct bg_aws_posture *p, const struct bg_vault *v,
    const struct bg_custody_config *ccfg);
void bg_aws_posture_free(struct bg_aws_posture *p);
/* The audit detail of a run (no credential): accounts, findings. */
int bg_aws_posture_json(const struct bg_aws_posture *p, cJSON **out);

/* ---------------------------------------------------- root events */

enum bg_aws_kind {
	BG_AWS_LOGIN = 1,	/* ConsoleLogin success */
	BG_AWS_LOGIN_FAILED,
	BG_AWS_RECOVERY_REQUESTED,
	BG_AWS_RECOVERY_COMPLETED,
	BG_AWS_ACCESS_KEY_CREATED,
	BG_AWS_PASSWORD_UPDATED,
	BG_AWS_MFA_ENABLED,
	BG_AWS_MFA_DEACTIVATED,
	BG_AWS_API_CALL,
	BG_AWS_ASSUME_ROOT,	/* sts:AssumeRoot into the account */
};

#define BG_AWS_EVENT_ID_MAX 64

struct bg_aws_event {
	char id[BG_AWS_EVENT_ID_MAX + 1];	/* eventID */
	uint64_t time;
	char account[BG_AWS_ACCOUNT_LEN + 1];
	char name[64];		/* eventName */
	char source[64];	/* eventSource */
	char ip[64];		/* sourceIPAddress */
	char region[BG_AWS_REGION_MAX + 1];
	enum bg_aws_kind kind;
	int mfa;		/* MFAUsed: 1 yes, 0 no, -1 absent */
	int session;		/* made in an sts:AssumeRoot session */
	char key_id[BG_AWS_KEYID_MAX + 1];	/* userIdentity.accessKeyId */
	char issued[BG_AWS_KEYID_MAX + 1];	/* AssumeRoot: the session's key */
	char task[96];		/* AssumeRoot: the task policy's name */
	char issuer[160];	/* AssumeRoot: who (the caller's ARN) */
};

/*
 * Classifies one CloudTrail record (or an EventBridge event's detail):
 * BG_OK with *ev filled for a root event (userIdentity.type "Root") or
 * an sts:AssumeRoot call (its account the target's), BG_ENOENT for
 * another identity's, BG_EFORMAT (bg_why) for a record without the
 * fields a root event needs. A root event of an AssumeRoot session is
 * told apart by its marker (userIdentity.inScopeOf) or, where AWS
 * records none, by its access key: the AssumeRoot call's answer names it
 * (bg_aws_recon_judge joins them).
 */
int bg_aws_event_from_record(const cJSON *rec, struct bg_aws_event *ev);
const char *bg_aws_kind_str(enum bg_aws_kind k);

/*
 * Streams a CloudTrail file: gzip or plain; {"Records":[...]} as
 * delivered to S3, one EventBridge event, or JSON Lines / concatenated
 * objects (either kind). Never loads the file whole: one record at a
 * time (at most 1 MiB each). fn gets each record (for an EventBridge
 * event, its detail); a non-zero return stops the walk. BG_EFORMAT with
 * bg_why() naming the file and byte offset for malformed or truncated
 * input.
 */
typedef int (*bg_aws_record_fn)(void *ctx, const cJSON *rec);
int bg_aws_trail_file(const char *path, bg_aws_record_fn fn, void *ctx);

/*
 * LookupEvents in region over [since, until] whose attribute key (e.g.
 * "Username") is value (e.g. "root"), every page; fn gets each event's
 * CloudTrailEvent record. Event history is the caller's account's own.
 */
int bg_aws_lookup_events(struct bg_aws *a, const char *region,
    uint64_t since, uint64_t until, const char *key, const char *value,
    bg_aws_record_fn fn, void *ctx);

/* ------------------------------------------------------ reconcile */

struct bg_aws_match {
	struct bg_aws_event ev;
	int explained;
	char by[80];		/* "request ID" or "posture SEQ" */
	int seen;		/* reconciled by an earlier run */
	enum bg_custody_sev sev;	/* 0: nothing to report */
	char rule[32];
	char message[256];
};

struct bg_aws_recon {
	struct bg_aws_match *m;
	size_t n, cap;
	size_t records;		/* records read, root or not */
	size_t duplicates;	/* the same event again */
	size_t unexplained, findings, fresh;
	/* about the run, not one event: root records that could not be
	 * judged (critical), accounts whose events were not read */
	struct bg_custody_report notes;
};

/* Adds a root event, once per (eventID, time). */
int bg_aws_recon_add(struct bg_aws_recon *rc, const struct bg_aws_event *ev);
/*
 * Matches each event with the log's releases ([release, release +
 * window]) and posture runs (an AssumeRoot session read by breakglass),
 * marks those an earlier run recorded ("aws.reconciled"), and judges.
 */
int bg_aws_recon_judge(struct bg_aws_recon *rc, bg_audit_t *log,
    const struct bg_vault *v, uint64_t window);
void bg_aws_recon_free(struct bg_aws_recon *rc);
/* The audit detail of the events not seen before (at most max). */
int bg_aws_recon_json(const struct bg_aws_recon *rc, int fresh_only,
    size_t from, size_t max, size_t *next, cJSON **out);

#endif /* BG_AWS_H */
