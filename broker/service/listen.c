/* The socket and the loop of breakglassd (service.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "broker/service/service.h"

#define SD_LISTEN_FDS_START 3

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/* systemd's socket (LISTEN_PID is us, LISTEN_FDS is 1), else -1. */
static int
activated(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");

	if (pid == NULL || fds == NULL || strtol(pid, NULL, 10) != getpid())
		return -1;
	if (strcmp(fds, "1") != 0)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	return SD_LISTEN_FDS_START;
}

int
bg_service_listen(const struct bg_conf *conf, int *fd)
{
	struct sockaddr_un sa;
	struct stat st;
	int s;

	if ((*fd = activated()) >= 0)
		return BG_OK;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, conf->socket, strlen(conf->socket));
	/* a socket left by an earlier run; never anything else */
	if (lstat(conf->socket, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(conf->socket);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return bg_err_from_errno(errno);
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    chmod(conf->socket, 0660) != 0 || listen(s, 16) != 0) {
		bg_set_why("cannot listen on %s: %s", conf->socket,
		    strerror(errno));
		close(s);
		return BG_EIO;
	}
	*fd = s;
	return BG_OK;
}

/* Children that ended, counted off. */
static void
reap(size_t *n)
{
	while (*n > 0 && waitpid(-1, NULL, WNOHANG) > 0)
		(*n)--;
}

/* One connection in a child of its own; the child's life is bounded. */
static void
spawn(const struct bg_conf *conf, int lfd, int c, size_t *n)
{
	pid_t pid;

	if (*n >= BG_SERVICE_CHILDREN_MAX || (pid = fork()) < 0) {
		close(c);	/* busy: the client is told by the close */
		return;
	}
	if (pid == 0) {
		close(lfd);
		signal(SIGTERM, SIG_DFL);
		alarm(BG_WIRE_TOUCH_MS / 1000 + 2 * BG_WIRE_TIMEOUT_MS / 1000);
		bg_service_conn(conf, c);
		_exit(0);
	}
	(*n)++;
	close(c);
}

int
bg_service_loop(const struct bg_conf *conf, int lfd)
{
	struct pollfd p = { lfd, POLLIN, 0 };
	struct sigaction sa;
	size_t n = 0;
	int c;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	while (!stopping) {
		reap(&n);
		if (poll(&p, 1, 500) <= 0)
			continue;
		if ((c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		spawn(conf, lfd, c, &n);
	}
	return BG_OK;
}
