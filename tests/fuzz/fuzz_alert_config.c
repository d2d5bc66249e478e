/*
 * fuzz_alert_config: the "alerts" member of breakglass.json and the alert
 * URL rule (broker/alerts/config.c). Neither may crash or leak; what the
 * parser accepts must hold its invariants: at most 16 uniquely named
 * sinks, URLs that pass the URL rule (http:// only to loopback), a 16 to
 * 64-byte secret for webhooks and none for Slack, sane limits.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/common.h"
#include "broker/alerts/alerts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "fuzz_alert_config: %s:%d: %s\n",	\
		    __FILE__, __LINE__, #x);				\
		abort();						\
	}								\
} while (0)

static void
check_sink(const struct bg_alert_config *cfg, size_t i)
{
	const struct bg_alert_sink *s = &cfg->sinks[i];
	int plain;

	CHECK(s->name != NULL && strlen(s->name) >= 1 &&
	    strlen(s->name) <= BG_ALERT_NAME_MAX);
	CHECK(bg_alert_config_sink(cfg, s->name) == s);
	CHECK(bg_alert_url_check(s->url, &plain) == BG_OK &&
	    plain == s->plain_http);
	if (plain)
		CHECK(strncmp(s->url, "http://127.0.0.1", 16) == 0 ||
		    strncmp(s->url, "http://[::1]", 12) == 0 ||
		    strncasecmp(s->url, "http://localhost", 16) == 0);
	if (s->type == BG_ALERT_WEBHOOK)
		CHECK(s->secret != NULL &&
		    s->secret_len >= BG_ALERT_SECRET_MIN &&
		    s->secret_len <= BG_ALERT_SECRET_MAX);
	else
		CHECK(s->secret == NULL && s->secret_len == 0);
	CHECK(s->nevents >= 1 && s->nevents <= BG_ALERT_EVENTS_MAX);
	(void)bg_alert_sink_wants(s, "request.open");
	(void)bg_alert_sink_wants(s, "a");
}

static void
parse_config(const uint8_t *data, size_t size)
{
	struct bg_alert_config cfg;
	size_t i;

	if (bg_alert_config_parse((const char *)data, size, &cfg) == BG_OK) {
		CHECK(cfg.nsinks <= BG_ALERT_SINKS_MAX);
		CHECK(cfg.timeout_ms >= cfg.connect_timeout_ms);
		CHECK(cfg.max_attempts >= 1 && cfg.max_attempts <= 100);
		CHECK(cfg.backoff_initial <= cfg.backoff_max);
		for (i = 0; i < cfg.nsinks; i++)
			check_sink(&cfg, i);
	}
	bg_alert_config_free(&cfg);
	CHECK(cfg.json == NULL && cfg.nsinks == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *url;
	int plain;

	parse_config(data, size);
	if (size <= BG_ALERT_URL_MAX + 8 && (url = malloc(size + 1)) != NULL) {
		memcpy(url, data, size);
		url[size] = '\0';
		if (bg_alert_url_check(url, &plain) == BG_OK)
			CHECK(strncmp(url, "https://", 8) == 0 || plain == 1);
		free(url);
	}
	return 0;
}
