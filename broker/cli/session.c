/*
 * broker/cli/: a command's session with the vault: open it (token options,
 * the PIN descriptor), close it, deliver the alerts it spooled, and map
 * the result to an exit code.
 */
#include <limits.h>
#include <stdio.h>

#include "common/common.h"
#include "broker/alerts/alerts.h"
#include "broker/ceremony/ceremony.h"
#include "broker/cli/cli.h"

void
bg_cli_prompt(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s\n", msg);
}

int
bg_cli_token_opts(const char *pin_fd, struct bg_token_opts *o)
{
	unsigned long long fd;

	*o = bg_token_opts_default();
	o->prompt = bg_cli_prompt;
	if (pin_fd != NULL) {
		if (bg_cli_u64(pin_fd, &fd) != 0 || fd > INT_MAX) {
			bg_cli_error("--pin-fd takes a descriptor number");
			return BG_EXIT_USAGE;
		}
		o->pin_fd = (int)fd;
	}
	return BG_EXIT_OK;
}

int
bg_cli_cer_begin(struct bg_cli *cli, struct bg_cer *c, const char *pin_fd)
{
	struct bg_token_opts o;
	int r;

	if ((r = bg_cli_token_opts(pin_fd, &o)) != BG_EXIT_OK)
		return r;
	if ((r = bg_cer_begin(c, cli->state, stdout, &o)) != BG_OK)
		return bg_cli_fail("cannot open the vault", r);
	return BG_EXIT_OK;
}

/* Closes (cer or st), delivers alerts, maps r to an exit code. */
static int
finish(struct bg_cli *cli, struct bg_cer *c, struct bg_state *st,
    const char *what, int r)
{
	char why[512];

	snprintf(why, sizeof(why), "%s", bg_why());
	if (c != NULL)
		bg_cer_end(c);
	else if (st != NULL)
		bg_state_close(st);
	bg_alert_deliver(cli->state);
	if (r == BG_OK)
		return BG_EXIT_OK;
	bg_set_why("%s", why);
	return bg_cli_fail(what, r);
}

int
bg_cli_cer_finish(struct bg_cli *cli, struct bg_cer *c, const char *what,
    int r)
{
	return finish(cli, c, NULL, what, r);
}

int
bg_cli_state_finish(struct bg_cli *cli, struct bg_state *st,
    const char *what, int r)
{
	return finish(cli, NULL, st, what, r);
}

int
bg_cli_finish(struct bg_cli *cli, const char *what, int r)
{
	return finish(cli, NULL, NULL, what, r);
}
