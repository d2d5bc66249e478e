/*
 * /etc/breakglass/breakglass.conf (wire.h): where the daemon is. Read by
 * the client and the daemon; only root may have written it, so no user
 * can point a production command at another daemon or state.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "broker/wire/wire.h"

#define CONF_MAX 8192

/* st: owned by root, writable by root only. */
static int
root_only(const char *path, const struct stat *st)
{
	/* a sticky directory (/tmp): others may add, not replace, files */
	int sticky = S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) != 0;

	if (st->st_uid != 0 || ((st->st_mode & 022) != 0 && !sticky)) {
		bg_set_why("%s must be owned by root and writable by root "
		    "only (it is uid %u, mode %04o): it says where the "
		    "production daemon is", path, (unsigned)st->st_uid,
		    (unsigned)(st->st_mode & 07777));
		return BG_EPERM;
	}
	return BG_OK;
}

/* Every directory from / to the file's: root's, not writable by others. */
static int
dirs_root_only(const char *path)
{
	char d[1024];
	struct stat st;
	char *slash;
	int r;

	if (path[0] != '/' || strlen(path) >= sizeof(d)) {
		bg_set_why("the configuration path must be absolute");
		return BG_EINVAL;
	}
	memcpy(d, path, strlen(path) + 1);
	while ((slash = strrchr(d, '/')) != NULL) {
		slash[slash == d ? 1 : 0] = '\0';
		if (lstat(d, &st) != 0)
			return bg_err_from_errno(errno);
		if (!S_ISDIR(st.st_mode)) {
			bg_set_why("%s is not a directory", d);
			return BG_EPERM;
		}
		if ((r = root_only(d, &st)) != BG_OK)
			return r;
		if (slash == d)
			break;
	}
	return BG_OK;
}

static int
set_str(char *dst, size_t sz, const char *key, const char *val, int line)
{
	if (dst[0] != '\0') {
		bg_set_why("line %d: %s given twice", line, key);
		return BG_EFORMAT;
	}
	if (val[0] == '\0' || strlen(val) >= sz) {
		bg_set_why("line %d: %s is empty or too long", line, key);
		return BG_EFORMAT;
	}
	memcpy(dst, val, strlen(val) + 1);
	return BG_OK;
}

static int
set_admins(struct bg_conf *c, char *val, int line)
{
	char *save = NULL, *w;

	if (c->nadmins > 0) {
		bg_set_why("line %d: admins given twice", line);
		return BG_EFORMAT;
	}
	for (w = strtok_r(val, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		if (c->nadmins == BG_CONF_ADMINS_MAX ||
		    strlen(w) >= BG_CONF_NAME_MAX) {
			bg_set_why("line %d: too many admins, or a name too "
			    "long", line);
			return BG_EFORMAT;
		}
		memcpy(c->admins[c->nadmins++], w, strlen(w) + 1);
	}
	return BG_OK;
}

/* "witness = VKEY": one more key the client trusts, each key once. */
static int
add_witness(struct bg_conf *c, const char *val, int line)
{
	struct bg_witness_trust *t = &c->witness;
	size_t i;

	if (t->n == BG_WITNESS_MAX) {
		bg_set_why("line %d: more than %d witnesses", line,
		    BG_WITNESS_MAX);
		return BG_EFORMAT;
	}
	if (bg_audit_cosig_key_parse(val, strlen(val), &t->key[t->n]) !=
	    BG_OK) {
		bg_set_why("line %d: witness is not a cosignature key "
		    "(name+hex8+base64 of 0x04 and an Ed25519 key)", line);
		return BG_EFORMAT;
	}
	for (i = 0; i < t->n; i++)
		if (memcmp(t->key[i].pub, t->key[t->n].pub, 32) == 0) {
			bg_set_why("line %d: witness %s is named twice (one "
			    "key counts once)", line, t->key[t->n].name);
			return BG_EFORMAT;
		}
	t->n++;
	return BG_OK;
}

/* "witness_require = approve seal change" (some of them) */
static int
set_require(struct bg_conf *c, char *val, int line)
{
	struct bg_witness_trust *t = &c->witness;
	char *save = NULL, *w;

	if (c->witness_require_set) {
		bg_set_why("line %d: witness_require given twice", line);
		return BG_EFORMAT;
	}
	c->witness_require_set = 1;
	for (w = strtok_r(val, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		int *f = strcmp(w, "approve") == 0 ? &t->require_approve :
		    strcmp(w, "seal") == 0 ? &t->require_seal :
		    strcmp(w, "change") == 0 ? &t->require_change : NULL;

		if (f == NULL) {
			bg_set_why("line %d: witness_require takes approve, "
			    "seal and change, not \"%s\"", line, w);
			return BG_EFORMAT;
		}
		*f = 1;
	}
	if (!t->require_approve && !t->require_seal && !t->require_change) {
		bg_set_why("line %d: witness_require names no command", line);
		return BG_EFORMAT;
	}
	return BG_OK;
}

/* A whole number in [min, max] that no earlier line gave (*dst 0). */
static int
set_num(long *dst, const char *key, const char *val, long min, long max,
    int line)
{
	char *end;
	long v;

	if (*dst != 0) {
		bg_set_why("line %d: %s given twice", line, key);
		return BG_EFORMAT;
	}
	v = strtol(val, &end, 10);
	if (val[0] < '0' || val[0] > '9' || *end != '\0' || v < min ||
	    v > max) {
		bg_set_why("line %d: %s must be a whole number from %ld to %ld",
		    line, key, min, max);
		return BG_EFORMAT;
	}
	*dst = v;
	return BG_OK;
}

static int
witness_line(struct bg_conf *c, const char *k, char *v, int line)
{
	struct bg_witness_trust *t = &c->witness;
	long q = (long)t->quorum;
	int r;

	if (strcmp(k, "witness") == 0)
		return add_witness(c, v, line);
	if (strcmp(k, "witness_quorum") == 0) {
		r = set_num(&q, k, v, 1, BG_WITNESS_MAX, line);
		t->quorum = (size_t)q;
		return r;
	}
	if (strcmp(k, "witness_max_age") == 0)
		return set_num(&t->max_age, k, v, 10, 86400, line);
	if (strcmp(k, "witness_require") == 0)
		return set_require(c, v, line);
	bg_set_why("line %d: unknown key \"%s\"", line, k);
	return BG_EFORMAT;
}

/*
 * The witness lines agree: keys with a quorum they can meet and a
 * verifier key to check the checkpoint with; no setting without keys.
 * The defaults filled in.
 */
static int
witness_done(struct bg_conf *c)
{
	struct bg_witness_trust *t = &c->witness;

	if (t->n == 0) {
		if (t->quorum != 0 || t->max_age != 0 ||
		    c->witness_require_set) {
			bg_set_why("witness_quorum, witness_max_age and "
			    "witness_require need \"witness\" lines");
			return BG_EFORMAT;
		}
		return BG_OK;
	}
	if (t->quorum == 0 || t->quorum > t->n || c->verifier[0] == '\0') {
		bg_set_why("with %zu witness(es), witness_quorum must be 1 to "
		    "%zu, and \"verifier\" must be given (the checkpoint "
		    "they cosign is checked with it)", t->n, t->n);
		return BG_EFORMAT;
	}
	if (t->max_age == 0)
		t->max_age = BG_WITNESS_MAX_AGE_DEFAULT;
	if (!c->witness_require_set)
		t->require_approve = t->require_seal = t->require_change = 1;
	return BG_OK;
}

/* One "key = value" line (comments and blank lines already skipped). */
static int
conf_line(struct bg_conf *c, char *s, int line)
{
	char *eq = strchr(s, '='), *k = s, *v, *e;

	if (eq == NULL) {
		bg_set_why("line %d: not \"key = value\"", line);
		return BG_EFORMAT;
	}
	*eq = '\0';
	for (e = eq; e > k && e[-1] == ' '; e--)
		e[-1] = '\0';
	for (v = eq + 1; *v == ' '; v++)
		;
	for (e = v + strlen(v); e > v && e[-1] == ' '; e--)
		e[-1] = '\0';
	if (strcmp(k, "socket") == 0)
		return set_str(c->socket, sizeof(c->socket), k, v, line);
	if (strcmp(k, "state") == 0)
		return set_str(c->state, sizeof(c->state), k, v, line);
	if (strcmp(k, "verifier") == 0)
		return set_str(c->verifier, sizeof(c->verifier), k, v, line);
	if (strcmp(k, "admins") == 0)
		return set_admins(c, v, line);
	return witness_line(c, k, v, line);
}

static int
conf_lines(struct bg_conf *c, char *text)
{
	char *save = NULL, *s;
	int line = 0, r;

	for (s = strtok_r(text, "\n", &save); s != NULL;
	    s = strtok_r(NULL, "\n", &save)) {
		line++;
		while (*s == ' ')
			s++;
		if (*s == '#' || *s == '\0')
			continue;
		if (!bg_text_ok(s, 0)) {
			bg_set_why("line %d is not clean text", line);
			return BG_EFORMAT;
		}
		if ((r = conf_line(c, s, line)) != BG_OK)
			return r;
	}
	if (c->socket[0] != '/' || c->state[0] != '/') {
		bg_set_why("\"socket\" and \"state\" must be given, as "
		    "absolute paths");
		return BG_EFORMAT;
	}
	return witness_done(c);
}

int
bg_conf_parse(const char *text, size_t len, struct bg_conf *c)
{
	char *copy;
	int r;

	memset(c, 0, sizeof(*c));
	if (len > CONF_MAX || memchr(text, '\0', len) != NULL) {
		bg_set_why("the configuration is too long or holds a NUL");
		return BG_EFORMAT;
	}
	if ((copy = malloc(len + 1)) == NULL)
		return BG_ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	r = conf_lines(c, copy);
	free(copy);
	return r;
}

int
bg_conf_load(const char *path, struct bg_conf *c)
{
	struct stat st;
	ssize_t n;
	char *buf;
	int fd, r;

	memset(c, 0, sizeof(*c));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		r = bg_err_from_errno(errno);
		bg_set_why("cannot read %s: %s (breakglassd is not installed "
		    "here; for a rehearsal give --state DIR)", path,
		    strerror(errno));
		return r;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		bg_set_why("%s is not a regular file", path);
		return BG_EPERM;
	}
	if ((r = root_only(path, &st)) != BG_OK ||
	    (r = dirs_root_only(path)) != BG_OK) {
		close(fd);
		return r;
	}
	if ((buf = malloc(CONF_MAX + 1)) == NULL) {
		close(fd);
		return BG_ENOMEM;
	}
	n = read(fd, buf, CONF_MAX + 1);
	close(fd);
	r = n < 0 ? BG_EIO : bg_conf_parse(buf, (size_t)n, c);
	free(buf);
	if (r != BG_OK) {
		char why[512];

		snprintf(why, sizeof(why), "%s", bg_why());
		bg_set_why("%s: %s", path, why);
	}
	return r;
}

int
bg_conf_is_admin(const struct bg_conf *c, const char *login)
{
	size_t i;

	for (i = 0; i < c->nadmins; i++)
		if (strcmp(c->admins[i], login) == 0)
			return 1;
	return 0;
}
