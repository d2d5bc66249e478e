/*
 * Production (cli.h): the breakglass command as breakglassd's client. The
 * daemon is the one the root-owned configuration names; no flag or
 * variable points a production command elsewhere. Touches happen here;
 * the daemon never receives a token secret, a PIN or an opened share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "common/common.h"
#include "broker/alerts/alerts.h"
#include "broker/ceremony/ceremony.h"
#include "broker/cli/cli.h"
#include "broker/steps/steps.h"
#include "broker/wire/wire.h"

/* Commands that need no state: they run here, as in a rehearsal. */
static int
local_only(int argc, char **argv)
{
	size_t i;

	if (strcmp(argv[0], "password") == 0)
		return 1;
	if (strcmp(argv[0], "token") != 0 || argc < 2)
		return 0;
	if (strcmp(argv[1], "list") == 0 || strcmp(argv[1], "check") == 0 ||
	    strcmp(argv[1], "program-yubikey") == 0)
		return 1;
	for (i = 2; i < (size_t)argc; i++)
		if (strcmp(argv[1], "enroll") == 0 &&
		    strcmp(argv[i], "--out") == 0)
			return 1;
	return 0;
}

/* Commands touched here, the daemon checking and writing. */
static int
touched_here(int argc, char **argv)
{
	static const char *const touched[] = { "approve", "request", "deny",
	    "release", "change approve", "change deny", "seal", "token enroll",
	    "custody attest", "rekey contribute", "rekey accept", NULL };
	char cmd[64];
	size_t i;

	snprintf(cmd, sizeof(cmd), "%s %s", argv[0], argc > 1 ? argv[1] : "");
	for (i = 0; touched[i] != NULL; i++)
		if (strcmp(argv[0], touched[i]) == 0 ||
		    strcmp(cmd, touched[i]) == 0)
			return 1;
	return 0;
}

static int
is_config_set(int argc, char **argv)
{
	return argc == 3 && strcmp(argv[0], "config") == 0 &&
	    strcmp(argv[1], "set") == 0;
}

/*
 * 'config set FILE': the daemon cannot read the client's file, so its
 * text goes as the command's standard input ("stdin", 'config set -').
 */
static int
add_stdin(cJSON *msg, const char *path)
{
	char *text = NULL, *b64;
	size_t len = 0, n;
	int r;

	if ((r = strcmp(path, "-") == 0 ? bg_fd_read_file(STDIN_FILENO,
	    256u << 10, &text, &len) : bg_file_read(path, 256u << 10, &text,
	    &len)) != BG_OK) {
		bg_set_why("cannot read %s", path);
		return r;
	}
	n = bg_b64_len(len);
	if ((b64 = malloc(n)) == NULL)
		r = BG_ENOMEM;
	else if (bg_b64_encode((const uint8_t *)text, len, b64, n) != BG_OK ||
	    !cJSON_AddStringToObject(msg, "stdin", b64))
		r = BG_ENOMEM;
	free(b64);
	bg_wipe(text, len);
	free(text);
	return r;
}

/* Writes a b64 field of the daemon's result to f. */
static void
print_b64(const cJSON *res, const char *key, FILE *f)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(res, key);
	uint8_t *buf;
	size_t len, n;

	if (!cJSON_IsString(s) || (len = strlen(s->valuestring)) == 0 ||
	    (buf = malloc(len)) == NULL)
		return;
	if (bg_b64_decode(s->valuestring, len, buf, len, &n) == BG_OK)
		fwrite(buf, 1, n, f);
	free(buf);
}

/* The daemon's "result": its output printed, its exit code returned. */
static int
result(const cJSON *res)
{
	uint64_t code;

	if (strcmp(bg_wire_op(res), "result") != 0 ||
	    bg_json_get_u64(res, "exit", 0, 3, &code) != BG_OK) {
		bg_cli_error("breakglassd sent an answer this client does "
		    "not know");
		return BG_EXIT_FAIL;
	}
	print_b64(res, "out", stdout);
	print_b64(res, "err", stderr);
	return (int)code;
}

/* Connects, sends msg, and reads the first answer. */
static int
ask(const struct bg_cli *cli, const cJSON *msg, int *fd, cJSON **ans)
{
	struct bg_conf conf;
	int r;

	*fd = -1;
	*ans = NULL;
	if ((r = bg_conf_load(cli->conf_path, &conf)) != BG_OK ||
	    (r = bg_wire_connect(conf.socket, fd)) != BG_OK)
		return bg_cli_fail("no production daemon", r);
	if ((r = bg_wire_send(*fd, msg, BG_WIRE_TIMEOUT_MS)) != BG_OK ||
	    (r = bg_wire_recv(*fd, BG_WIRE_REPLY_MAX, BG_WIRE_TOUCH_MS,
	    ans)) != BG_OK) {
		close(*fd);
		*fd = -1;
		return bg_cli_fail("breakglassd did not answer", r);
	}
	return BG_EXIT_OK;
}

int
bg_cli_remote(struct bg_cli *cli, int argc, char **argv)
{
	cJSON *msg, *args, *ans = NULL;
	int fd, i, r;

	/* commands that need no state, and those that touch here (they
	 * talk to the daemon themselves) */
	if (local_only(argc, argv) || touched_here(argc, argv))
		return bg_cli_run(cli, argc, argv);
	if ((msg = bg_wire_msg("run")) == NULL ||
	    (args = cJSON_AddArrayToObject(msg, "argv")) == NULL) {
		cJSON_Delete(msg);
		return bg_cli_fail("cannot ask breakglassd", BG_ENOMEM);
	}
	for (i = 0; i < argc; i++)
		cJSON_AddItemToArray(args, cJSON_CreateString(argc == 3 &&
		    i == 2 && is_config_set(argc, argv) ? "-" : argv[i]));
	if (is_config_set(argc, argv) && (r = add_stdin(msg, argv[2])) !=
	    BG_OK) {
		cJSON_Delete(msg);
		return bg_cli_fail("config set", r);
	}
	if ((r = ask(cli, msg, &fd, &ans)) == BG_EXIT_OK) {
		r = result(ans);
		close(fd);
	}
	cJSON_Delete(ans);
	cJSON_Delete(msg);
	return r;
}

/*
 * A command whose touch happens here: args to the daemon, its kit back
 * and checked as a ceremony (c), take() makes the answer from the kit,
 * the daemon's result printed and, when it succeeded and carries
 * "after", after() given it (c still open).
 */
typedef bg_cli_take_fn take_fn;
typedef int (*after_fn)(struct bg_cer *c, const cJSON *after, void *ctx);

struct steps {
	const struct bg_cli *cli;
	const char *op;
	const char *pin_fd;
	take_fn take;
	after_fn after;		/* may be NULL */
	void *ctx;
	struct bg_cer c;
	int have_c;
	int err;		/* what failed at the touch, for the record */
};

/*
 * The log the kit's checkpoint names is the one breakglass.conf's
 * "verifier" key signs: a daemon with another log (a copy grown apart,
 * another key) is refused before any touch. Without "verifier" the
 * socket alone names the daemon (docs/deploy.md). When breakglass.conf
 * names witnesses and guards this command, that head must extend a
 * checkpoint a quorum of them cosigned lately: a state the witnesses
 * have not seen (a restored copy, their policy removed from it) is
 * refused here, whatever the daemon's state says.
 */
static int
pinned_log(struct steps *s, const cJSON *kit)
{
	struct bg_conf *conf;
	int r = BG_OK;

	if (!s->cli->remote)
		return BG_EXIT_OK;	/* a rehearsal: no daemon to pin */
	if ((conf = malloc(sizeof(*conf))) == NULL)
		return bg_cli_fail("nothing was touched", BG_ENOMEM);
	if ((r = bg_conf_load(s->cli->conf_path, conf)) != BG_OK) {
		free(conf);
		return bg_cli_fail("no production daemon", r);
	}
	if (conf->verifier[0] != '\0' &&
	    (r = bg_cer_kit_checkpoint(&s->c, kit, conf->verifier)) == BG_OK &&
	    bg_witness_trust_guards(&conf->witness, bg_witness_op(s->op)))
		r = bg_witness_kit_check(kit, conf->verifier, &conf->witness,
		    s->c.log_size, s->c.log_root, (int64_t)time(NULL));
	free(conf);
	return r == BG_OK ? BG_EXIT_OK : bg_cli_fail("nothing was touched", r);
}

static int
touch(struct steps *s, const cJSON *kit, cJSON **msg)
{
	struct bg_token_opts o;
	cJSON *sub = NULL;
	int r;

	if ((r = bg_cli_token_opts(s->pin_fd, &o)) != BG_EXIT_OK)
		return r;
	if ((r = bg_cer_remote(&s->c, kit, stdout, &o)) != BG_OK) {
		s->err = r;
		return bg_cli_fail("the daemon's vault does not verify", r);
	}
	s->have_c = 1;
	if ((r = pinned_log(s, kit)) != BG_EXIT_OK)
		return r;
	r = s->take(&s->c, kit, s->ctx, &sub);
	fflush(stdout);
	if (r != BG_OK) {
		cJSON_Delete(sub);
		s->err = r;
		return bg_cli_fail("nothing was sent", r);
	}
	if ((*msg = bg_wire_msg("submit")) == NULL ||
	    bg_json_add(*msg, "sub", sub) != BG_OK)
		return bg_cli_fail("nothing was sent", BG_ENOMEM);
	return BG_EXIT_OK;
}

/* after(), when the command has one, given what the submit sent back. */
static int
run_after(struct steps *s, const cJSON *after)
{
	int r;

	if (s->after == NULL)
		return BG_EXIT_OK;
	if (!cJSON_IsObject(after)) {
		bg_cli_error("breakglassd sent no \"after\" for '%s'", s->op);
		return BG_EXIT_FAIL;
	}
	if ((r = s->after(&s->c, after, s->ctx)) != BG_OK)
		return bg_cli_fail("after the daemon's answer", r);
	return BG_EXIT_OK;
}

/* The daemon's result; then after(), when it has something for it. */
static int
finish(struct steps *s, const cJSON *ans)
{
	int r = result(ans);

	if (r != BG_EXIT_OK)
		return r;
	return run_after(s, cJSON_GetObjectItemCaseSensitive(ans, "after"));
}

/*
 * A rehearsal runs the same steps in this process: the state open for
 * the kit, closed while the person touches and types, open again for
 * the submit, which checks everything again (no lock is held while a
 * person is awaited).
 */
static int
local_steps(struct bg_cli *cli, struct steps *s, cJSON *args)
{
	const struct bg_step *st = bg_step_of(s->op);
	cJSON *kit = NULL, *msg = NULL, *after = NULL;
	int r;

	s->cli = cli;
	if (st == NULL)
		r = bg_cli_fail(s->op, BG_EINTERNAL);
	else if ((r = bg_step_kit(cli->state, stdout, st, args, &kit)) !=
	    BG_OK)
		r = bg_cli_finish(cli, st->what, r);
	else if ((r = touch(s, kit, &msg)) == BG_EXIT_OK) {
		r = bg_step_submit(cli->state, stdout, st, args, kit,
		    cJSON_GetObjectItemCaseSensitive(msg, "sub"), &after);
		if ((r = bg_cli_finish(cli, st->what, r)) == BG_EXIT_OK)
			r = run_after(s, after);
	} else if (s->err != BG_OK) {
		(void)bg_step_failed(cli->state, stdout, st, args, s->err);
		bg_alert_deliver(cli->state);
	}
	if (s->have_c)
		bg_cer_end(&s->c);
	cJSON_Delete(after);
	cJSON_Delete(msg);
	cJSON_Delete(kit);
	cJSON_Delete(args);
	return r;
}

static int
remote_steps(struct bg_cli *cli, struct steps *s, cJSON *args)
{
	cJSON *msg, *ans = NULL, *sub = NULL;
	int fd = -1, r;

	if (!cli->remote)
		return local_steps(cli, s, args);
	msg = bg_wire_msg(s->op);
	s->cli = cli;
	if (msg == NULL || bg_json_add(msg, "args", args) != BG_OK) {
		cJSON_Delete(msg);
		return bg_cli_fail("cannot ask breakglassd", BG_ENOMEM);
	}
	if ((r = ask(cli, msg, &fd, &ans)) != BG_EXIT_OK)
		goto out;
	if (strcmp(bg_wire_op(ans), "kit") != 0) {
		r = result(ans);
		goto out;
	}
	if ((r = touch(s, ans, &sub)) != BG_EXIT_OK)
		goto out;
	cJSON_Delete(ans);
	ans = NULL;
	if ((r = bg_wire_send(fd, sub, BG_WIRE_TIMEOUT_MS)) != BG_OK ||
	    (r = bg_wire_recv(fd, BG_WIRE_REPLY_MAX, BG_WIRE_TOUCH_MS,
	    &ans)) != BG_OK)
		r = bg_cli_fail("breakglassd did not answer", r);
	else
		r = finish(s, ans);
out:
	if (s->have_c)
		bg_cer_end(&s->c);
	if (fd >= 0)
		close(fd);
	cJSON_Delete(sub);
	cJSON_Delete(ans);
	cJSON_Delete(msg);
	return r;
}

int
bg_cli_remote_steps(struct bg_cli *cli, const char *op, cJSON *args,
    const char *pin_fd, bg_cli_take_fn take, void *ctx)
{
	struct steps s = { .op = op, .pin_fd = pin_fd, .take = take,
	    .after = NULL, .ctx = ctx };

	return remote_steps(cli, &s, args);
}

/* args {"id": id, "as": as}, for approve, deny and release. */
static cJSON *
id_as(const char *id, const char *as)
{
	cJSON *args = cJSON_CreateObject();

	if (args == NULL || !cJSON_AddStringToObject(args, "id", id) ||
	    !cJSON_AddStringToObject(args, "as", as)) {
		cJSON_Delete(args);
		return NULL;
	}
	return args;
}

/* -------------------------------------------------------- token enroll */

int
bg_cli_remote_enroll(struct bg_cli *cli, const char *person,
    bg_token_desc_t *desc)
{
	cJSON *msg = bg_wire_msg("token.enroll"), *args, *d = NULL, *ans = NULL;
	int fd = -1, r;

	if (msg == NULL || (args = cJSON_AddObjectToObject(msg, "args")) ==
	    NULL || !cJSON_AddStringToObject(args, "person", person) ||
	    bg_token_desc_to_json(desc, &d) != BG_OK ||
	    bg_json_add(args, "descriptor", d) != BG_OK) {
		cJSON_Delete(msg);
		return bg_cli_fail("cannot ask breakglassd", BG_ENOMEM);
	}
	if ((r = ask(cli, msg, &fd, &ans)) == BG_EXIT_OK) {
		r = result(ans);
		close(fd);
	}
	cJSON_Delete(ans);
	cJSON_Delete(msg);
	return r;
}

/* ------------------------------------------------------------- approve */

struct approve_ctx {
	const char *id, *as;
};

static int
approve_take(struct bg_cer *c, const cJSON *kit, void *ctx, cJSON **sub)
{
	struct approve_ctx *a = ctx;
	cJSON *ap = NULL;
	int r;

	if ((r = bg_cer_approve_take(c, kit, a->id, a->as, &ap)) != BG_OK)
		return r;
	if ((*sub = cJSON_CreateObject()) == NULL ||
	    bg_json_add(*sub, "approval", ap) != BG_OK)
		return BG_ENOMEM;
	return BG_OK;
}

int
bg_cli_remote_approve(struct bg_cli *cli, const char *id, const char *as,
    const char *pin_fd)
{
	struct approve_ctx a = { id, as };
	struct steps s = { .op = "approve", .pin_fd = pin_fd,
	    .take = approve_take, .after = NULL, .ctx = &a };
	cJSON *args = id_as(id, as);

	if (args == NULL)
		return bg_cli_fail("cannot ask breakglassd", BG_ENOMEM);
	return remote_steps(cli, &s, args);
}

/* ---------------------------------------------------------------- deny */

struct deny_ctx {
	const char *id, *as, *reason;
};

static int
deny_take(struct bg_cer *c, const cJSON *kit, void *ctx, cJSON **sub)
{
	struct deny_ctx *d = ctx;
	struct bg_cer_act a;
	int r;

	if ((r = bg_cer_deny_take(c, kit, d->id, d->as, d->reason, &a)) !=
	    BG_OK)
		return r;
	return bg_cer_act_to_json(&a, sub);
}

int
bg_cli_remote_deny(struct bg_cli *cli, const char *id, const char *as,
    const char *reason, const char *pin_fd)
{
	struct deny_ctx d = { id, as, reason };
	struct steps s = { .op = "deny", .pin_fd = pin_fd,
	    .take = deny_take, .after = NULL, .ctx = &d };
	cJSON *args = id_as(id, as);

	if (args == NULL || !cJSON_AddStringToObject(args, "reason", reason)) {
		cJSON_Delete(args);
		return bg_cli_fail("cannot ask breakglassd", BG_ENOMEM);
	}
	return remote_steps(cli, &s, args);
}

/* ------------------------------------------------------------- release */

struct release_ctx {
	const char *id, *as;
	int reveal;
	uint8_t *rqpriv;	/* locked: opened by the one touch */
	const struct bg_cli *cli;
};

static int
release_take(struct bg_cer *c, const cJSON *kit, void *ctx, cJSON **sub)
{
	struct release_ctx *x = ctx;
	struct bg_cer_act a;
	int r;

	if ((r = bg_cer_release_take(c, kit, x->id, x->as, &a, x->rqpriv)) !=
	    BG_OK)
		return r;
	return bg_cer_act_to_json(&a, sub);
}

/*
 * A release that does not open after release.done (a share that is not
 * the one its sealer committed, an approval sealed to the wrong key):
 * reported to the daemon, which records it (release.open_failed, alerted)
 * beside the caller's uid. The daemon cannot check the claim: it never
 * sees a share.
 */
static void
report_open_failed(const struct bg_cli *cli, const struct release_ctx *x)
{
	cJSON *msg = bg_wire_msg("release.failed"), *args, *ans = NULL;
	char why[512];
	int fd = -1;

	snprintf(why, sizeof(why), "%s", bg_why());
	if (!cli->remote) {	/* a rehearsal: recorded here */
		if (bg_step_open_failed(cli->state, stdout, x->id, x->as,
		    why) == BG_OK)
			bg_alert_deliver(cli->state);
	} else if (msg != NULL && (args = cJSON_AddObjectToObject(msg, "args")) !=
	    NULL && cJSON_AddStringToObject(args, "id", x->id) &&
	    cJSON_AddStringToObject(args, "as", x->as) &&
	    cJSON_AddStringToObject(args, "reason", why) &&
	    ask(cli, msg, &fd, &ans) == BG_EXIT_OK)
		close(fd);
	cJSON_Delete(ans);
	cJSON_Delete(msg);
	bg_set_why("%s", why);
}

/* release.done is recorded: the shares and the items open here. */
static int
release_after(struct bg_cer *c, const cJSON *after, void *ctx)
{
	struct release_ctx *x = ctx;
	struct bg_released *items = NULL;
	size_t n = 0;
	int r;

	if ((r = bg_cer_release_open(c, after, x->id, x->rqpriv, &items,
	    &n)) == BG_OK)
		bg_cli_show_items(items, n, x->reveal);
	else
		report_open_failed(x->cli, x);
	bg_released_free(&items, n);
	return r;
}

int
bg_cli_remote_release(struct bg_cli *cli, const char *id, const char *as,
    int reveal, const char *pin_fd)
{
	struct release_ctx x = { id, as, reveal, NULL, cli };
	struct steps s = { .op = "release", .pin_fd = pin_fd,
	    .take = release_take, .after = release_after, .ctx = &x };
	cJSON *args = id_as(id, as);
	int r;

	if (args == NULL || !cJSON_AddBoolToObject(args, "reveal_seed",
	    reveal) || (x.rqpriv = bg_secure_alloc(32)) == NULL) {
		cJSON_Delete(args);
		return bg_cli_fail("cannot ask breakglassd", BG_ENOMEM);
	}
	r = remote_steps(cli, &s, args);
	bg_secure_free(&x.rqpriv, 32);
	return r;
}

/* ------------------------------------------------------------- request */

struct request_ctx {
	const struct bg_cer_ask *q;
	const uint8_t *priv;
};

static int
request_take(struct bg_cer *c, const cJSON *kit, void *ctx, cJSON **sub)
{
	struct request_ctx *rq = ctx;

	return bg_cer_request_take(c, kit, rq->q, rq->priv, sub);
}

int
bg_cli_remote_request(struct bg_cli *cli, struct bg_cer_ask *q,
    const char *pin_fd)
{
	struct request_ctx rq = { q, NULL };
	struct steps s = { .op = "request", .pin_fd = pin_fd,
	    .take = request_take, .after = NULL, .ctx = &rq };
	cJSON *args = NULL;
	uint8_t *priv;
	int r;

	/* the request key is made here and never leaves this process */
	if ((priv = bg_secure_alloc(32)) == NULL ||
	    RAND_priv_bytes(priv, 32) != 1 ||
	    bg_x25519_public(priv, q->key) != BG_OK ||
	    bg_cer_ask_to_json(q, &args) != BG_OK) {
		bg_secure_free(&priv, 32);
		cJSON_Delete(args);
		return bg_cli_fail("request not made", BG_ECRYPTO);
	}
	rq.priv = priv;
	r = remote_steps(cli, &s, args);
	bg_secure_free(&priv, 32);
	return r;
}

/* -------------------------------------------------------------- change */

struct change_ctx {
	const char *id, *as, *reason;	/* reason NULL: approve */
};

static int
change_take(struct bg_cer *c, const cJSON *kit, void *ctx, cJSON **sub)
{
	struct change_ctx *x = ctx;

	return bg_cer_change_take(c, kit, x->id, x->as, x->reason != NULL,
	    sub);
}

int
bg_cli_remote_change(struct bg_cli *cli, const char *id, const char *as,
    const char *reason, const char *pin_fd)
{
	struct change_ctx x = { id, as, reason };
	struct steps s = { .op = reason ? "change.deny" : "change.approve",
	    .pin_fd = pin_fd, .take = change_take, .after = NULL, .ctx = &x };
	cJSON *args = id_as(id, as);

	if (args == NULL || (reason != NULL &&
	    !cJSON_AddStringToObject(args, "reason", reason))) {
		cJSON_Delete(args);
		return bg_cli_fail("cannot ask breakglassd", BG_ENOMEM);
	}
	return remote_steps(cli, &s, args);
}
