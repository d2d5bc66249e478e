/*
 * Production (cli.h): the breakglass command as breakglassd's client. The
 * daemon is the one the root-owned configuration names; no flag or
 * variable points a production command elsewhere. Touches happen here;
 * the daemon never receives a token secret, a PIN or an opened share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "broker/ceremony/ceremony.h"
#include "broker/cli/cli.h"
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

	if (local_only(argc, argv))
		return bg_cli_run(cli, argc, argv);
	if (strcmp(argv[0], "approve") == 0)
		return bg_cli_run(cli, argc, argv);
	if ((msg = bg_wire_msg("run")) == NULL ||
	    (args = cJSON_AddArrayToObject(msg, "argv")) == NULL) {
		cJSON_Delete(msg);
		return bg_cli_fail("cannot ask breakglassd", BG_ENOMEM);
	}
	for (i = 0; i < argc; i++)
		cJSON_AddItemToArray(args, cJSON_CreateString(argv[i]));
	if ((r = ask(cli, msg, &fd, &ans)) == BG_EXIT_OK) {
		r = result(ans);
		close(fd);
	}
	cJSON_Delete(ans);
	cJSON_Delete(msg);
	return r;
}

/* The touch, from the daemon's kit: the approval to send back. */
static int
take(const cJSON *kit, const char *id, const char *as, const char *pin_fd,
    cJSON **msg)
{
	struct bg_token_opts o;
	struct bg_cer c;
	cJSON *ap = NULL;
	int r;

	if ((r = bg_cli_token_opts(pin_fd, &o)) != BG_EXIT_OK)
		return r;
	if ((r = bg_cer_remote(&c, kit, stdout, &o)) != BG_OK)
		return bg_cli_fail("the daemon's vault does not verify", r);
	fflush(stdout);
	r = bg_cer_approve_take(&c, kit, id, as, &ap);
	bg_cer_end(&c);
	if (r != BG_OK)
		return bg_cli_fail("approval not made", r);
	if ((*msg = bg_wire_msg("approve.submit")) == NULL ||
	    bg_json_add(*msg, "approval", ap) != BG_OK)
		return bg_cli_fail("approval not made", BG_ENOMEM);
	return BG_EXIT_OK;
}

int
bg_cli_remote_approve(struct bg_cli *cli, const char *id, const char *as,
    const char *pin_fd)
{
	cJSON *msg = bg_wire_msg("approve"), *ans = NULL, *sub = NULL;
	int fd = -1, r;

	if (msg == NULL || !cJSON_AddStringToObject(msg, "id", id) ||
	    !cJSON_AddStringToObject(msg, "as", as)) {
		cJSON_Delete(msg);
		return bg_cli_fail("cannot ask breakglassd", BG_ENOMEM);
	}
	if ((r = ask(cli, msg, &fd, &ans)) != BG_EXIT_OK)
		goto out;
	if (strcmp(bg_wire_op(ans), "kit") != 0) {
		r = result(ans);
		goto out;
	}
	if ((r = take(ans, id, as, pin_fd, &sub)) != BG_EXIT_OK)
		goto out;
	cJSON_Delete(ans);
	ans = NULL;
	if ((r = bg_wire_send(fd, sub, BG_WIRE_TIMEOUT_MS)) != BG_OK ||
	    (r = bg_wire_recv(fd, BG_WIRE_REPLY_MAX, BG_WIRE_TOUCH_MS,
	    &ans)) != BG_OK)
		r = bg_cli_fail("breakglassd did not answer", r);
	else
		r = result(ans);
out:
	if (fd >= 0)
		close(fd);
	cJSON_Delete(sub);
	cJSON_Delete(ans);
	cJSON_Delete(msg);
	return r;
}
