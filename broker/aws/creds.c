/*
 * broker/aws/ credentials and region, from the sources the AWS CLI reads
 * and in its order (docs/aws.md "Credentials"). The secret key and the
 * session token live in secure memory; the files and the process output
 * they came from are wiped after parsing.
 */
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "broker/aws/aws.h"
#include "broker/aws/internal.h"

#define FILE_MAX (256u << 10)		/* a credentials or config file */
#define PROCESS_OUT_MAX (64u << 10)	/* credential_process's output */

void
bg_aws_creds_free(struct bg_aws_creds *c)
{
	bg_secure_free(&c->secret, BG_AWS_SECRET_MAX + 1);
	bg_secure_free(&c->token, BG_AWS_TOKEN_MAX + 1);
	memset(c, 0, sizeof(*c));
}

/* Sets c from the three values (token may be NULL or ""). */
static int
creds_set(struct bg_aws_creds *c, const char *id, const char *secret,
    const char *token, const char *source)
{
	bg_aws_creds_free(c);
	if (id == NULL || secret == NULL || id[0] == '\0' || secret[0] == '\0')
		return BG_ENOENT;
	if (strlen(id) > BG_AWS_KEYID_MAX || strlen(secret) > BG_AWS_SECRET_MAX
	    || (token != NULL && strlen(token) > BG_AWS_TOKEN_MAX) ||
	    !bg_text_ok(id, 0)) {
		bg_set_why("the AWS credentials from the %s are too long or "
		    "not text", source);
		return BG_EFORMAT;
	}
	if ((c->secret = bg_secure_alloc(BG_AWS_SECRET_MAX + 1)) == NULL)
		return BG_ENOMEM;
	snprintf(c->key_id, sizeof(c->key_id), "%s", id);
	snprintf(c->secret, BG_AWS_SECRET_MAX + 1, "%s", secret);
	if (token != NULL && token[0] != '\0') {
		if ((c->token = bg_secure_alloc(BG_AWS_TOKEN_MAX + 1)) == NULL) {
			bg_aws_creds_free(c);
			return BG_ENOMEM;
		}
		snprintf(c->token, BG_AWS_TOKEN_MAX + 1, "%s", token);
	}
	snprintf(c->source, sizeof(c->source), "%s", source);
	return BG_OK;
}

int
bg_aws_creds_copy(const struct bg_aws_creds *from, struct bg_aws_creds *to)
{
	memset(to, 0, sizeof(*to));
	return creds_set(to, from->key_id, from->secret, from->token,
	    from->source);
}

/* ------------------------------------------------------ the INI files */

/* The file's path: the variable, else ~/.aws/name. */
static int
aws_file(const char *var, const char *name, char *out, size_t outsz)
{
	const char *p = getenv(var), *home = getenv("HOME");
	struct passwd *pw;

	if (p != NULL && p[0] != '\0')
		return snprintf(out, outsz, "%s", p) < (int)outsz ? BG_OK :
		    BG_ETOOBIG;
	if ((home == NULL || home[0] == '\0') &&
	    (pw = getpwuid(geteuid())) != NULL)
		home = pw->pw_dir;
	if (home == NULL)
		return BG_ENOENT;
	return snprintf(out, outsz, "%s/.aws/%s", home, name) < (int)outsz ?
	    BG_OK : BG_ETOOBIG;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/*
 * The value of key in section sect of an INI text (edited in place:
 * lines are cut). Section names: "default" or "profile NAME" in the
 * config file, "NAME" in the credentials file. NULL when absent.
 */
static const char *
ini_get(char *text, size_t len, const char *sect, const char *key)
{
	char *line, *save = NULL, *eq, *s;
	const char *found = NULL;
	int in = 0;

	(void)len;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		s = trim(line);
		if (s[0] == '#' || s[0] == ';' || s[0] == '\0')
			continue;
		if (s[0] == '[') {
			char *e = strchr(s, ']');

			if (e != NULL)
				*e = '\0';
			in = strcmp(trim(s + 1), sect) == 0;
			continue;
		}
		if (!in || (eq = strchr(s, '=')) == NULL)
			continue;
		*eq = '\0';
		if (strcmp(trim(s), key) == 0 && found == NULL)
			found = trim(eq + 1);
	}
	return found;
}

/* One INI file read whole (wiped by the caller with its length). */
struct ini {
	char *text;
	size_t len;
	char path[BG_PATH_MAX];
};

static int
ini_read(const char *var, const char *name, struct ini *f)
{
	int r;

	memset(f, 0, sizeof(*f));
	if ((r = aws_file(var, name, f->path, sizeof(f->path))) != BG_OK)
		return r;
	if ((r = bg_file_read(f->path, FILE_MAX, &f->text, &f->len)) ==
	    BG_ENOENT)
		return r;
	if (r != BG_OK)
		bg_set_why("cannot read %s: %s", f->path, bg_strerror(r));
	return r;
}

static void
ini_free(struct ini *f)
{
	if (f->text != NULL) {
		bg_wipe(f->text, f->len);
		free(f->text);
	}
	memset(f, 0, sizeof(*f));
}

/* The value of key in a copy of the file's text (the copy wiped). */
static int
ini_value(const struct ini *f, const char *sect, const char *key, char *out,
    size_t outsz)
{
	char *copy;
	const char *v;
	int r = BG_ENOENT;

	if (f->text == NULL)
		return BG_ENOENT;
	if ((copy = bg_secure_alloc(f->len + 1)) == NULL)
		return BG_ENOMEM;
	memcpy(copy, f->text, f->len);
	copy[f->len] = '\0';
	if ((v = ini_get(copy, f->len, sect, key)) != NULL)
		r = snprintf(out, outsz, "%s", v) < (int)outsz ? BG_OK :
		    BG_ETOOBIG;
	bg_secure_free(&copy, f->len + 1);
	return r;
}

/* ---------------------------------------------------------- sources */

static int
from_env(struct bg_aws_creds *c)
{
	return creds_set(c, getenv("AWS_ACCESS_KEY_ID"),
	    getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN"),
	    "environment");
}

/* Static keys of section sect in f. */
static int
from_ini(struct bg_aws_creds *c, const struct ini *f, const char *sect,
    const char *source)
{
	char id[BG_AWS_KEYID_MAX + 1];
	char *secret = bg_secure_alloc(BG_AWS_SECRET_MAX + 1);
	char *token = bg_secure_alloc(BG_AWS_TOKEN_MAX + 1);
	int r;

	if (secret == NULL || token == NULL)
		r = BG_ENOMEM;
	else if ((r = ini_value(f, sect, "aws_access_key_id", id,
	    sizeof(id))) == BG_OK && (r = ini_value(f, sect,
	    "aws_secret_access_key", secret, BG_AWS_SECRET_MAX + 1)) ==
	    BG_OK) {
		if (ini_value(f, sect, "aws_session_token", token,
		    BG_AWS_TOKEN_MAX + 1) != BG_OK)
			token[0] = '\0';
		r = creds_set(c, id, secret, token, source);
	}
	if (r == BG_ETOOBIG)
		bg_set_why("a value in %s is too long", f->path);
	bg_secure_free(&secret, BG_AWS_SECRET_MAX + 1);
	bg_secure_free(&token, BG_AWS_TOKEN_MAX + 1);
	return r;
}

/* Waits for fd to be readable until deadline (ms, CLOCK_MONOTONIC). */
static int
readable(int fd, long long deadline)
{
	struct pollfd p = { fd, POLLIN, 0 };
	struct timespec ts;
	long long now;
	int n;

	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (now >= deadline)
			return 0;
		if ((n = poll(&p, 1, (int)(deadline - now))) > 0)
			return 1;
		if (n == 0 || errno != EINTR)
			return 0;
	}
}

/*
 * Runs cmd (sh -c), its standard output into out (secure, wiped by the
 * caller), within timeout_ms: a process that hangs is killed.
 */
static int
run_process(const char *cmd, long timeout_ms, char *out, size_t outsz,
    size_t *len)
{
	int fds[2], status, r = BG_OK;
	struct timespec ts;
	long long deadline;
	ssize_t n;
	pid_t pid;

	*len = 0;
	if (pipe(fds) != 0)
		return bg_err_from_errno(errno);
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return bg_err_from_errno(errno);
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	    timeout_ms;
	for (;;) {
		if (!readable(fds[0], deadline)) {
			bg_set_why("credential_process gave no credentials "
			    "within %ld ms", timeout_ms);
			r = BG_EIO;
			kill(pid, SIGKILL);
			break;
		}
		if ((n = read(fds[0], out + *len, outsz - 1 - *len)) == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || *len + (size_t)n >= outsz - 1) {
			r = n < 0 ? bg_err_from_errno(errno) : BG_ETOOBIG;
			kill(pid, SIGKILL);
			break;
		}
		*len += (size_t)n;
	}
	out[*len] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r == BG_OK && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		bg_set_why("credential_process exited with status %d",
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		r = BG_EIO;
	}
	return r;
}

/* The process's JSON: {"Version":1,"AccessKeyId",..,"Expiration"?}. */
static int
process_json(struct bg_aws_creds *c, const char *text, size_t len)
{
	cJSON *j = cJSON_ParseWithLength(text, len);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "Version");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "AccessKeyId");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(j,
	    "SecretAccessKey");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "SessionToken");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "Expiration");
	uint64_t exp;
	int r = BG_EFORMAT;

	if (!cJSON_IsNumber(v) || v->valuedouble != 1 ||
	    !cJSON_IsString(id) || !cJSON_IsString(s) ||
	    (t != NULL && !cJSON_IsString(t)))
		bg_set_why("credential_process printed no Version 1 "
		    "credentials");
	else if (cJSON_IsString(e) && bg_aws_time_parse(e->valuestring,
	    &exp) == BG_OK && exp <= (uint64_t)time(NULL)) {
		bg_set_why("credential_process gave credentials that expired "
		    "at %s", e->valuestring);
		r = BG_EPERM;
	} else
		r = creds_set(c, id->valuestring, s->valuestring,
		    t != NULL ? t->valuestring : NULL, "credential_process");
	if (j != NULL && s != NULL && cJSON_IsString(s))
		bg_wipe(s->valuestring, strlen(s->valuestring));
	if (j != NULL && t != NULL && cJSON_IsString(t))
		bg_wipe(t->valuestring, strlen(t->valuestring));
	cJSON_Delete(j);
	return r;
}

static int
from_process(struct bg_aws_creds *c, const char *cmd, long timeout_ms)
{
	char *out = bg_secure_alloc(PROCESS_OUT_MAX);
	size_t len;
	int r;

	if (out == NULL)
		return BG_ENOMEM;
	if ((r = run_process(cmd, timeout_ms, out, PROCESS_OUT_MAX, &len)) ==
	    BG_OK)
		r = process_json(c, out, len);
	else if (r == BG_ETOOBIG)
		bg_set_why("credential_process printed more than %u bytes",
		    PROCESS_OUT_MAX);
	bg_secure_free(&out, PROCESS_OUT_MAX);
	return r;
}

/* The profile's name: AWS_PROFILE, cfg's, else "default". */
static void
profile_name(const struct bg_aws_config *cfg, char *out, size_t outsz)
{
	const char *p = getenv("AWS_PROFILE");

	if (p == NULL || p[0] == '\0')
		p = cfg != NULL && cfg->profile[0] != '\0' ? cfg->profile :
		    "default";
	snprintf(out, outsz, "%s", p);
}

/* The profile's files: credentials, then config. */
static int
from_files(struct bg_aws *a, const struct ini *cred, const struct ini *conf)
{
	char sect[96], cmd[1024];
	int r;

	snprintf(sect, sizeof(sect), "%s%s", strcmp(a->profile, "default") ?
	    "profile " : "", a->profile);
	if ((r = from_ini(&a->creds, cred, a->profile,
	    "shared credentials file")) != BG_ENOENT)
		return r;
	if ((r = ini_value(conf, sect, "credential_process", cmd,
	    sizeof(cmd))) == BG_OK)
		return from_process(&a->creds, cmd, a->timeout_ms);
	if (r != BG_ENOENT)
		return r;
	return from_ini(&a->creds, conf, sect, "config file");
}

static void
region_of(struct bg_aws *a, const struct bg_aws_config *cfg,
    const struct ini *conf)
{
	const char *r = getenv("AWS_REGION");
	char sect[96];

	if (r == NULL || r[0] == '\0')
		r = getenv("AWS_DEFAULT_REGION");
	if ((r == NULL || r[0] == '\0') && cfg != NULL && cfg->region[0])
		r = cfg->region;
	if (r != NULL && r[0] != '\0' && strlen(r) <= BG_AWS_REGION_MAX) {
		snprintf(a->region, sizeof(a->region), "%s", r);
		return;
	}
	snprintf(sect, sizeof(sect), "%s%s", strcmp(a->profile, "default") ?
	    "profile " : "", a->profile);
	if (ini_value(conf, sect, "region", a->region, sizeof(a->region)) !=
	    BG_OK)
		snprintf(a->region, sizeof(a->region), "us-east-1");
}

static void
attempts_of(struct bg_aws *a)
{
	const char *s = getenv("AWS_MAX_ATTEMPTS");
	char *end;
	long n;

	a->attempts = BG_AWS_ATTEMPTS_DEFAULT;
	if (s == NULL || s[0] == '\0')
		return;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno == 0 && *end == '\0' && n >= 1 && n <= 10)
		a->attempts = (int)n;
}

int
bg_aws_open(struct bg_aws *a, const struct bg_aws_config *cfg)
{
	struct ini cred, conf;
	int r;

	memset(a, 0, sizeof(*a));
	profile_name(cfg, a->profile, sizeof(a->profile));
	a->timeout_ms = cfg != NULL && cfg->timeout_ms > 0 ?
	    (long)cfg->timeout_ms : BG_AWS_TIMEOUT_DEFAULT;
	attempts_of(a);
	if ((r = ini_read("AWS_SHARED_CREDENTIALS_FILE", "credentials",
	    &cred)) != BG_OK && r != BG_ENOENT)
		return r;
	if ((r = ini_read("AWS_CONFIG_FILE", "config", &conf)) != BG_OK &&
	    r != BG_ENOENT) {
		ini_free(&cred);
		return r;
	}
	region_of(a, cfg, &conf);
	if ((r = from_env(&a->creds)) == BG_ENOENT)
		r = from_files(a, &cred, &conf);
	ini_free(&cred);
	ini_free(&conf);
	if (r == BG_ENOENT)
		bg_set_why("no AWS credentials: none in the environment "
		    "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), and profile "
		    "'%s' has none in the shared credentials file, no "
		    "credential_process and none in the config file",
		    a->profile);
	return r;
}

void
bg_aws_close(struct bg_aws *a)
{
	bg_aws_creds_free(&a->creds);
}

int
bg_aws_with_creds(const struct bg_aws *a, const struct bg_aws_creds *cr,
    struct bg_aws *out)
{
	*out = *a;
	return bg_aws_creds_copy(cr, &out->creds);
}
