/*
 * One connection (service.h): who calls, what they ask, and the answer.
 * Runs in a process of its own, so a command's output can be captured
 * from its standard output and error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/common.h"
#include "broker/alerts/alerts.h"
#include "broker/ceremony/ceremony.h"
#include "broker/cli/cli.h"
#include "broker/steps/steps.h"
#include "broker/service/service.h"
#include "broker/state/state.h"

#define ARGS_MAX 64
#define OUT_MAX (48u << 20)

struct conn {
	const struct bg_conf *conf;
	int fd;
	char login[BG_CONF_NAME_MAX];
	int out, err;		/* memfds behind stdout and stderr */
};

/* ------------------------------------------------------------ capture */

static int
capture(struct conn *k)
{
	int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

	k->out = memfd_create("breakglassd-out", MFD_CLOEXEC);
	k->err = memfd_create("breakglassd-err", MFD_CLOEXEC);
	if (nul < 0 || k->out < 0 || k->err < 0 || dup2(nul, 0) < 0 ||
	    dup2(k->out, 1) < 0 || dup2(k->err, 2) < 0) {
		if (nul >= 0)
			close(nul);
		return BG_EIO;
	}
	close(nul);
	return BG_OK;
}

/* What fd holds, as base64 in res[key]. */
static int
add_captured(cJSON *res, const char *key, int fd)
{
	off_t len = lseek(fd, 0, SEEK_END);
	uint8_t *buf;
	char *b64;
	size_t n;
	int r = BG_ENOMEM;

	if (len < 0)
		return BG_EIO;
	if ((size_t)len > OUT_MAX)
		len = OUT_MAX;
	n = bg_b64_len((size_t)len);
	if ((buf = malloc((size_t)len + 1)) == NULL || (b64 = malloc(n)) ==
	    NULL) {
		free(buf);
		return BG_ENOMEM;
	}
	if (bg_pread_all(fd, buf, (size_t)len, 0) == BG_OK &&
	    bg_b64_encode(buf, (size_t)len, b64, n) == BG_OK &&
	    cJSON_AddStringToObject(res, key, b64) != NULL)
		r = BG_OK;
	free(buf);
	free(b64);
	return r;
}

/* Alerts out, then the refusal printed for the client (why kept). */
static int
failed(struct conn *k, const char *what, int r)
{
	char why[512];

	snprintf(why, sizeof(why), "%s", bg_why());
	bg_alert_deliver(k->conf->state);
	bg_set_why("%s", why);
	return r == BG_OK ? BG_EXIT_OK : bg_cli_fail(what, r);
}

/*
 * The answer: exit code, what the command printed and, when it succeeded,
 * what the client needs after it (a step's "after"; taken, may be NULL).
 */
static void
answer_with(struct conn *k, int code, cJSON *after)
{
	cJSON *res = bg_wire_msg("result");

	fflush(stdout);
	fflush(stderr);
	if (res != NULL && cJSON_AddNumberToObject(res, "exit", code) &&
	    add_captured(res, "out", k->out) == BG_OK &&
	    add_captured(res, "err", k->err) == BG_OK &&
	    (after == NULL || bg_json_add(res, "after", after) == BG_OK)) {
		after = NULL;
		(void)bg_wire_send(k->fd, res, BG_WIRE_TIMEOUT_MS);
	}
	cJSON_Delete(after);
	cJSON_Delete(res);
}

static void
answer(struct conn *k, int code)
{
	answer_with(k, code, NULL);
}

/* ----------------------------------------------------------- refusals */

/*
 * A request refused before any command ran: recorded (service.refused,
 * with the caller's identity as every entry here has it) and answered.
 */
static void
refuse(struct conn *k, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
refuse(struct conn *k, int err, const char *fmt, ...)
{
	struct bg_audit_event ev = { "service.refused", NULL, "", "", NULL };
	struct bg_state st;
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (bg_state_open(&st, k->conf->state) == BG_OK) {
		bg_set_why("%s", why);
		(void)bg_state_note_failure(&st, &ev, NULL, NULL, err);
		bg_state_close(&st);
		bg_alert_deliver(k->conf->state);
	}
	bg_set_why("%s", why);
	answer(k, bg_cli_fail("breakglassd refused the request", err));
}

/* A cli on the daemon's state, for a command run here. */
static int
cli_of(struct conn *k, struct bg_cli *cli)
{
	memset(cli, 0, sizeof(*cli));
	cli->state = k->conf->state;
	return bg_path_join(cli->audit_dir, sizeof(cli->audit_dir),
	    cli->state, "audit");
}

/* ------------------------------------------------------------ "run" */

/* Commands served as they are: they touch no token and read no secret. */
static const char *const served[] = {
	"status", "audit show", "audit verify", "audit checkpoint",
	"audit prove", "audit consistency", "audit verifier-key",
	"vault show", "vault verify", "vault fingerprint", "policy show",
	"custodian list", "custody check", "alerts status", "config show",
	"change status", "change apply", "audit note", "rekey status",
	"rekey begin", "aws posture", "aws reconcile", "audit cosign", "audit export", NULL,
};
/* Set-up commands: the admins the configuration names only. */
static const char *const setup[] = {
	"init", "account add", "custodian add", "custodian remove",
	"requester add", "requester remove", "policy set",
	"custody holder", "vault arm", "alerts flush", "alerts test",
	"token remove", "config set", NULL,
};
/* Options naming the daemon's own files or descriptors: never. */
static const char *const refused_opts[] = {
	"--checkpoint", "--key", "--out", "--pin-fd", "--otpauth", "--state",
	"--from", NULL,
};

static int
listed(const char *const *list, int argc, char **argv)
{
	char cmd[128];
	size_t i;

	for (i = 0; list[i] != NULL; i++) {
		snprintf(cmd, sizeof(cmd), "%s%s%s", argv[0], argc > 1 ? " " :
		    "", argc > 1 ? argv[1] : "");
		if (strcmp(list[i], argv[0]) == 0 || strcmp(list[i], cmd) == 0)
			return 1;
	}
	return 0;
}

static int
argv_of(const cJSON *req, char **argv, int *argc)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(req, "argv"), *s;
	size_t i;

	*argc = 0;
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1 ||
	    cJSON_GetArraySize(a) > ARGS_MAX)
		return BG_EFORMAT;
	cJSON_ArrayForEach(s, a) {
		if (!cJSON_IsString(s) || strlen(s->valuestring) > 4096)
			return BG_EFORMAT;
		for (i = 0; refused_opts[i] != NULL; i++)
			if (strcmp(s->valuestring, refused_opts[i]) == 0)
				return BG_EPERM;
		argv[(*argc)++] = s->valuestring;
	}
	argv[*argc] = NULL;
	return BG_OK;
}

/*
 * "stdin" (base64): the file a client's 'config set FILE' names, which
 * the daemon cannot read, passed as 'config set -' on a memfd at fd 0.
 * Only there: every other command's standard input is /dev/null.
 */
#define STDIN_MAX (256u << 10)

static int
take_stdin(const cJSON *req, int argc, char **argv)
{
	const cJSON *in = cJSON_GetObjectItemCaseSensitive(req, "stdin");
	uint8_t *buf;
	size_t len, n;
	int fd, r = BG_EFORMAT;

	if (in == NULL)
		return BG_OK;
	if (!cJSON_IsString(in) || (len = strlen(in->valuestring)) >
	    STDIN_MAX / 3 * 4 + 4 || argc != 3 ||
	    strcmp(argv[0], "config") != 0 || strcmp(argv[1], "set") != 0 ||
	    strcmp(argv[2], "-") != 0)
		return BG_EFORMAT;
	if ((buf = malloc(len + 1)) == NULL)
		return BG_ENOMEM;
	if (bg_b64_decode(in->valuestring, len, buf, len + 1, &n) == BG_OK &&
	    (fd = memfd_create("breakglassd-in", MFD_CLOEXEC)) >= 0) {
		if (bg_write_all(fd, buf, n) == BG_OK && dup2(fd, 0) == 0)
			r = BG_OK;
		close(fd);
	}
	/* a configuration holds the alert hooks' secrets */
	bg_wipe(buf, len + 1);
	free(buf);
	return r;
}

static void
serve_run(struct conn *k, const cJSON *req)
{
	static const char *const keys[] = { "v", "op", "argv", "stdin", NULL };
	char *argv[ARGS_MAX + 1];
	struct bg_cli cli;
	int argc, r;

	if (bg_json_only_keys(req, keys) != BG_OK ||
	    (r = argv_of(req, argv, &argc)) == BG_EFORMAT)
		return refuse(k, BG_EFORMAT, "a malformed \"run\" request");
	if (r != BG_OK)
		return refuse(k, r, "an option naming a file or descriptor of "
		    "the daemon's");
	if (bg_cli_args_text(argc, argv) != 0)
		return refuse(k, BG_EFORMAT, "an argument that is not clean "
		    "text");
	if (argc >= 2 && strcmp(argv[0], "config") == 0 &&
	    strcmp(argv[1], "set") == 0 && (argc != 3 ||
	    strcmp(argv[2], "-") != 0))
		return refuse(k, BG_EPERM, "'config set' names a file of the "
		    "client's, sent as its standard input ('config set -')");
	/* a note is the caller's: its actor is their login, never a claim */
	if (argc >= 2 && strcmp(argv[0], "audit") == 0 &&
	    strcmp(argv[1], "note") == 0 && argc != 3)
		return refuse(k, BG_EPERM, "a note through breakglassd is the "
		    "caller's own ('audit note TEXT', no --as)");
	if ((r = take_stdin(req, argc, argv)) != BG_OK)
		return refuse(k, r, "a standard input the command does not "
		    "take");
	if (listed(setup, argc, argv) && !bg_conf_is_admin(k->conf, k->login))
		return refuse(k, BG_EPERM, "%s is not an admin of this "
		    "broker: '%s' is a set-up command", k->login, argv[0]);
	if (!listed(served, argc, argv) && !listed(setup, argc, argv))
		return refuse(k, BG_EPERM, "breakglassd does not serve '%s%s%s' "
		    "(docs/deploy.md says which commands it serves)", argv[0],
		    argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
	if (cli_of(k, &cli) != BG_OK)
		return refuse(k, BG_ETOOBIG, "state path too long");
	answer(k, bg_cli_run(&cli, argc, argv));
}

/*
 * token.enroll {person, descriptor}: the token touched in the client,
 * which sends the descriptor; its proof of possession is checked here,
 * then it is added as 'token enroll NAME' adds one (a change request once
 * armed). Set-up: the admins only, as 'custodian add'.
 */
static void
serve_enroll(struct conn *k, const cJSON *req)
{
	static const char *const keys[] = { "v", "op", "args", NULL };
	static const char *const akeys[] = { "person", "descriptor", NULL };
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(req, "args");
	bg_token_desc_t *d = NULL;
	const char *person;
	struct bg_cli cli;
	int r;

	if (bg_json_only_keys(req, keys) != BG_OK || !cJSON_IsObject(args) ||
	    bg_json_only_keys(args, akeys) != BG_OK ||
	    bg_json_get_str(args, "person", BG_NAME_MAX, &person) != BG_OK ||
	    !bg_text_ok(person, 0))
		return refuse(k, BG_EFORMAT, "a malformed \"token.enroll\"");
	if (!bg_conf_is_admin(k->conf, k->login))
		return refuse(k, BG_EPERM, "%s is not an admin of this broker: "
		    "'token enroll' is a set-up command", k->login);
	if (bg_token_desc_from_json(cJSON_GetObjectItemCaseSensitive(args,
	    "descriptor"), &d) != BG_OK)
		return refuse(k, BG_EFORMAT, "the descriptor does not parse");
	if ((r = bg_token_desc_proof_verify(d)) != BG_OK) {
		bg_token_desc_free(&d);
		return refuse(k, r == BG_EFORMAT ? BG_EFORMAT : BG_ETAMPER,
		    "the descriptor carries no valid proof of possession (not "
		    "made by its token)");
	}
	if (cli_of(k, &cli) != BG_OK) {
		bg_token_desc_free(&d);
		return refuse(k, BG_ETOOBIG, "state path too long");
	}
	answer(k, bg_cli_enroll_desc(&cli, person, d));
}

/*
 * release.failed {id, as, reason}: a requester's client says the items
 * of a released request did not open (a bad share names its approver).
 * Recorded as release.open_failed (alerted) with the caller's uid; the
 * claim is the client's, which the daemon cannot check.
 */
static void
serve_report(struct conn *k, const cJSON *req)
{
	static const char *const keys[] = { "v", "op", "args", NULL };
	static const char *const akeys[] = { "id", "as", "reason", NULL };
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(req, "args");
	const char *id, *as, *reason;

	if (bg_json_only_keys(req, keys) != BG_OK || !cJSON_IsObject(args) ||
	    bg_json_only_keys(args, akeys) != BG_OK ||
	    bg_json_get_str(args, "id", 64, &id) != BG_OK ||
	    !bg_request_id_valid(id) ||
	    bg_json_get_str(args, "as", BG_NAME_MAX, &as) != BG_OK ||
	    !bg_name_valid(as) ||
	    bg_json_get_str(args, "reason", 511, &reason) != BG_OK ||
	    !bg_text_ok(reason, 0))
		return refuse(k, BG_EFORMAT, "a malformed \"release.failed\"");
	answer(k, failed(k, "report refused", bg_step_open_failed(
	    k->conf->state, stdout, id, as, reason)));
}

/* ------------------------------------------------ commands with a touch */

/* The client's answer: a "submit" holding sub, else refused here. */
static int
step_submit(struct conn *k, const struct bg_step *st, const cJSON *args,
    const cJSON *kit, const cJSON *msg, cJSON **after)
{
	static const char *const keys[] = { "v", "op", "sub", NULL };
	struct bg_token_opts o = bg_token_opts_default();
	const cJSON *sub = cJSON_GetObjectItemCaseSensitive(msg, "sub");
	struct bg_cer c;
	int r;

	if (strcmp(bg_wire_op(msg), "submit") == 0 &&
	    bg_json_only_keys(msg, keys) == BG_OK && cJSON_IsObject(sub))
		return bg_step_submit(k->conf->state, stdout, st, args, kit,
		    sub, after);
	*after = NULL;
	if ((r = bg_cer_begin(&c, k->conf->state, stdout, &o)) != BG_OK)
		return r;
	bg_set_why("the client's answer is not a \"submit\"");
	r = bg_cer_refused(&c, "service.refused", st->op, "", "", "",
	    BG_EFORMAT);
	bg_cer_end(&c);
	return r;
}

static void
serve_step(struct conn *k, const struct bg_step *st, const cJSON *req)
{
	static const char *const keys[] = { "v", "op", "args", NULL };
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(req, "args");
	cJSON *kit = NULL, *sub = NULL, *after = NULL;
	int r;

	if (bg_json_only_keys(req, keys) != BG_OK || !cJSON_IsObject(args))
		return refuse(k, BG_EFORMAT, "a malformed \"%s\" request",
		    st->op);
	if ((r = bg_step_kit(k->conf->state, stdout, st, args, &kit)) !=
	    BG_OK)
		return answer(k, failed(k, st->what, r));
	if (cJSON_AddNumberToObject(kit, "v", BG_WIRE_VERSION) == NULL ||
	    cJSON_AddStringToObject(kit, "op", "kit") == NULL)
		r = BG_ENOMEM;
	else
		r = bg_wire_send(k->fd, kit, BG_WIRE_TIMEOUT_MS);
	if (r == BG_OK && (r = bg_wire_recv(k->fd, BG_WIRE_REQ_MAX,
	    BG_WIRE_TOUCH_MS, &sub)) != BG_OK)
		refuse(k, r, "no answer from the client: %s", bg_why());
	else if (r == BG_OK) {
		r = failed(k, st->what, step_submit(k, st, args, kit, sub,
		    &after));
		if (r != BG_EXIT_OK) {
			cJSON_Delete(after);
			after = NULL;
		}
		answer_with(k, r, after);
	}
	cJSON_Delete(sub);
	cJSON_Delete(kit);
}

/* ----------------------------------------------------------- the caller */

static int
identify(struct conn *k)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct passwd *pw;
	char peer[160];

	if (getsockopt(k->fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0)
		return BG_EIO;
	pw = getpwuid(cr.uid);
	if (pw != NULL && strlen(pw->pw_name) < sizeof(k->login) &&
	    bg_text_ok(pw->pw_name, 0))
		snprintf(k->login, sizeof(k->login), "%s", pw->pw_name);
	else
		snprintf(k->login, sizeof(k->login), "uid:%u",
		    (unsigned)cr.uid);
	snprintf(peer, sizeof(peer), "uid:%u(%s) pid:%d", (unsigned)cr.uid,
	    k->login, (int)cr.pid);
	if (bg_state_set_peer(peer) != BG_OK ||
	    bg_state_set_actor(k->login) != BG_OK)
		return BG_EINVAL;
	return BG_OK;
}

void
bg_service_conn(const struct bg_conf *conf, int fd)
{
	struct conn k = { conf, fd, "", -1, -1 };
	const struct bg_step *st;
	cJSON *req = NULL;
	int r;

	if (identify(&k) != BG_OK || capture(&k) != BG_OK)
		return;
	if ((r = bg_wire_recv(fd, BG_WIRE_REQ_MAX, BG_WIRE_TIMEOUT_MS,
	    &req)) != BG_OK)
		return refuse(&k, r == BG_ETIMEOUT ? BG_EIO : r, "a request "
		    "that is not one whole frame: %s", bg_why());
	st = bg_step_of(bg_wire_op(req));
	if (strcmp(bg_wire_op(req), "run") == 0)
		serve_run(&k, req);
	else if (strcmp(bg_wire_op(req), "token.enroll") == 0)
		serve_enroll(&k, req);
	else if (strcmp(bg_wire_op(req), "release.failed") == 0)
		serve_report(&k, req);
	else if (st != NULL)
		serve_step(&k, st, req);
	else
		refuse(&k, BG_EINVAL, "an unknown request \"%s\"",
		    bg_wire_op(req));
	cJSON_Delete(req);
}
