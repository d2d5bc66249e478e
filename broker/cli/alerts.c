/* breakglass alerts ...: the alert spool's commands (docs/alerts.md). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "broker/cli/cli.h"
#include "broker/alerts/alerts.h"

struct counts {
	size_t queued, failed, dead, bad;
};

static void
print_time(uint64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (gmtime_r(&tt, &tm) != NULL &&
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
		fputs(buf, stdout);
	else
		fputs("?", stdout);
}

static void
print_item(const struct bg_alert_item *it)
{
	const char *what = it->dead ? "dead" : it->attempts > 0 ? "failed" :
	    "queued";

	printf("%-6s  %-16s %-22s %s  attempts %" PRIu64, what, it->sink,
	    it->event, it->key, it->attempts);
	if (!it->dead) {
		fputs("  next ", stdout);
		print_time(it->next);
	} else if (!it->audited)
		fputs("  (alert.dead not yet in the audit log)", stdout);
	if (it->last_error[0] != '\0')
		printf("  last error: %s", it->last_error);
	fputc('\n', stdout);
}

/* Lists spool/ (dead 0) or spool/dead/ (dead 1) and counts. */
static int
list(struct bg_cli *cli, int dead, struct counts *c)
{
	struct bg_alert_item it;
	char **names = NULL;
	size_t n = 0, i;
	int r;

	if ((r = bg_alert_spool_names(cli->state, dead, &names, &n)) != BG_OK)
		return bg_cli_fail("cannot read the alert spool", r);
	for (i = 0; i < n; i++) {
		if ((r = bg_alert_spool_read(cli->state, dead, names[i],
		    &it)) == BG_ENOENT)
			continue;	/* delivered (or buried) meanwhile */
		if (r != BG_OK) {
			printf("bad     %s (malformed spool file)\n", names[i]);
			c->bad++;
			continue;
		}
		print_item(&it);
		if (it.dead)
			c->dead++;
		else if (it.attempts > 0)
			c->failed++;
		else
			c->queued++;
		bg_alert_item_free(&it);
	}
	bg_alert_spool_names_free(&names, n);
	return BG_EXIT_OK;
}

static int
cmd_status(struct bg_cli *cli, int argc, char **argv)
{
	struct bg_alert_config cfg;
	struct counts c = { 0, 0, 0, 0 };
	int r, cr;

	(void)argv;
	if (argc != 0)
		return BG_EXIT_USAGE;
	if ((r = list(cli, 0, &c)) != BG_EXIT_OK ||
	    (r = list(cli, 1, &c)) != BG_EXIT_OK)
		return r;
	printf("queued %zu, failed %zu, dead %zu", c.queued, c.failed, c.dead);
	if (c.bad > 0)
		printf(", malformed %zu", c.bad);
	fputc('\n', stdout);
	if ((cr = bg_alert_config_load(cli->state, &cfg)) == BG_OK)
		printf("sinks configured: %zu\n", cfg.nsinks);
	bg_alert_config_free(&cfg);
	if (cr != BG_OK)
		return bg_cli_fail("the alert configuration is invalid", cr);
	return c.bad > 0 ? BG_EXIT_FAIL : BG_EXIT_OK;
}

static int
cmd_flush(struct bg_cli *cli, int argc, char **argv)
{
	struct bg_alert_run run;
	int r;

	(void)argv;
	if (argc != 0)
		return BG_EXIT_USAGE;
	/* another process delivering is not a failure: it sends the queue */
	if ((r = bg_alert_run(cli->state, 1, NULL, &run)) == BG_ELOCKED) {
		printf("another process is delivering alerts now: nothing to "
		    "do here\n");
		return BG_EXIT_OK;
	}
	if (r != BG_OK)
		return bg_cli_fail("cannot deliver alerts", r);
	printf("delivered %zu, failed %zu, dead %zu", run.delivered,
	    run.failed, run.dead);
	if (run.failed + run.dead > 0)
		printf(" (last error: %s)", run.last_error);
	fputc('\n', stdout);
	if (run.skipped > 0)
		printf("malformed spool files left in place: %zu\n",
		    run.skipped);
	return run.failed + run.dead + run.skipped > 0 ? BG_EXIT_FAIL :
	    BG_EXIT_OK;
}

static int
cmd_test(struct bg_cli *cli, int argc, char **argv)
{
	char err[BG_ALERT_ERROR_MAX];
	int r;

	if (argc != 1)
		return BG_EXIT_USAGE;
	r = bg_alert_test(cli->state, argv[0], err, sizeof(err));
	if (r == BG_OK) {
		printf("ok: sink %s took the test alert\n", argv[0]);
		return BG_EXIT_OK;
	}
	if (r == BG_EIO || r == BG_ETIMEOUT) {
		bg_clear_why();
		bg_cli_error("sink %s did not take the test alert: %s (it "
		    "stays queued; see 'breakglass alerts status')", argv[0],
		    err);
		return BG_EXIT_FAIL;
	}
	return bg_cli_fail("cannot send a test alert", r);
}

int
bg_cli_alerts(struct bg_cli *cli, int argc, char **argv)
{
	static const struct bg_cli_cmd cmds[] = {
		{ "status", cmd_status, "alerts status" },
		{ "flush", cmd_flush, "alerts flush" },
		{ "test", cmd_test, "alerts test SINK" },
		{ NULL, NULL, NULL },
	};

	return bg_cli_dispatch(cli, "alerts", cmds, argc, argv);
}
