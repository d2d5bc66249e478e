/*
 * breakglassd: the service that owns the production state (service.h,
 * docs/deploy.md). The only place of the service that exits.
 *
 *   breakglassd [--config FILE]              serve on the socket
 *   breakglassd [--config FILE] --run CMD... one breakglass command on the
 *                                            production state, here (the
 *                                            service user's own use)
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/common.h"
#include "broker/cli/cli.h"
#include "broker/service/service.h"
#include "broker/state/state.h"

#ifndef BG_CONF_PATH
#define BG_CONF_PATH "/etc/breakglass/breakglass.conf"
#endif

static int
run_here(const struct bg_conf *conf, int argc, char **argv)
{
	struct bg_cli cli;

	memset(&cli, 0, sizeof(cli));
	cli.state = conf->state;
	if (argc < 1 || bg_cli_args_text(argc, argv) != 0 ||
	    bg_path_join(cli.audit_dir, sizeof(cli.audit_dir), cli.state,
	    "audit") != BG_OK) {
		fputs("usage: breakglassd [--config FILE] --run COMMAND ...\n",
		    stderr);
		return 2;
	}
	if (bg_state_set_actor(bg_cli_login_name()) != BG_OK)
		return 1;
	return bg_cli_run(&cli, argc, argv);
}

int
main(int argc, char **argv)
{
	const char *path = BG_CONF_PATH;
	static struct bg_conf conf;
	int lfd, r;

	umask(077);
	if (bg_no_dump() != BG_OK) {
		fputs("breakglassd: cannot make the process undumpable\n",
		    stderr);
		return 1;
	}
	argc--;
	argv++;
	if (argc >= 2 && strcmp(argv[0], "--config") == 0) {
		path = argv[1];
		argc -= 2;
		argv += 2;
	}
	if ((r = bg_conf_load(path, &conf)) != BG_OK) {
		fprintf(stderr, "breakglassd: %s\n", bg_why());
		return 1;
	}
	bg_state_set_production(1);
	if (argc >= 1 && strcmp(argv[0], "--run") == 0)
		return run_here(&conf, argc - 1, argv + 1);
	if (argc != 0) {
		fputs("usage: breakglassd [--config FILE] [--run COMMAND ...]\n",
		    stderr);
		return 2;
	}
	if ((r = bg_service_listen(&conf, &lfd)) != BG_OK) {
		fprintf(stderr, "breakglassd: %s\n", bg_why());
		return 1;
	}
	fprintf(stderr, "breakglassd: serving %s on %s\n", conf.state,
	    conf.socket);
	return bg_service_loop(&conf, lfd) == BG_OK ? 0 : 1;
}
