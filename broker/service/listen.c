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
#include "broker/cli/cli.h"
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

/* The children being served, and whose connection each serves. */
struct kids {
	pid_t pid[BG_SERVICE_CHILDREN_MAX];
	uid_t uid[BG_SERVICE_CHILDREN_MAX];
	size_t n;
};

/* Children that ended, counted off. */
static void
reap(struct kids *k)
{
	pid_t pid;
	size_t i;

	while (k->n > 0 && (pid = waitpid(-1, NULL, WNOHANG)) > 0)
		for (i = 0; i < k->n; i++)
			if (k->pid[i] == pid) {
				k->n--;
				k->pid[i] = k->pid[k->n];
				k->uid[i] = k->uid[k->n];
				break;
			}
}

static size_t
of_uid(const struct kids *k, uid_t uid)
{
	size_t i, n = 0;

	for (i = 0; i < k->n; i++)
		n += k->uid[i] == uid;
	return n;
}

/*
 * Too many connections at once (all, or of this caller): answered and
 * closed here, said on stderr (the journal), not in the audit log, which
 * a flood would only grow. One caller holds at most
 * BG_SERVICE_PER_UID_MAX, so others are always served.
 */
static void
busy(int c, uid_t uid, int mine)
{
	cJSON *res = bg_wire_msg("result");
	char err[256];
	size_t len;
	char *b64;

	snprintf(err, sizeof(err), "breakglass: breakglassd is busy: %s; "
	    "try again\n", mine ? "this user has too many connections at "
	    "once" : "too many connections at once");
	len = strlen(err);
	if (res != NULL && (b64 = malloc(bg_b64_len(len))) != NULL) {
		if (bg_b64_encode((const uint8_t *)err, len, b64,
		    bg_b64_len(len)) == BG_OK &&
		    cJSON_AddNumberToObject(res, "exit", BG_EXIT_FAIL) &&
		    cJSON_AddStringToObject(res, "out", "") &&
		    cJSON_AddStringToObject(res, "err", b64))
			(void)bg_wire_send(c, res, 1000);
		free(b64);
	}
	cJSON_Delete(res);
	fprintf(stderr, "breakglassd: busy: a connection of uid %u refused "
	    "(%s)\n", (unsigned)uid, mine ? "per-user limit" : "limit");
	close(c);
}

/* One connection in a child of its own; the child's life is bounded. */
static void
spawn(const struct bg_conf *conf, int lfd, int c, struct kids *k)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	pid_t pid;

	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
		close(c);
		return;
	}
	if (k->n >= BG_SERVICE_CHILDREN_MAX ||
	    of_uid(k, cr.uid) >= BG_SERVICE_PER_UID_MAX)
		return busy(c, cr.uid, k->n < BG_SERVICE_CHILDREN_MAX);
	if ((pid = fork()) < 0) {
		close(c);
		return;
	}
	if (pid == 0) {
		close(lfd);
		signal(SIGTERM, SIG_DFL);
		alarm(BG_WIRE_TOUCH_MS / 1000 + 2 * BG_WIRE_TIMEOUT_MS / 1000);
		bg_service_conn(conf, c);
		_exit(0);
	}
	k->pid[k->n] = pid;
	k->uid[k->n] = cr.uid;
	k->n++;
	close(c);
}

int
bg_service_loop(const struct bg_conf *conf, int lfd)
{
	struct pollfd p = { lfd, POLLIN, 0 };
	struct sigaction sa;
	struct kids k;
	int c;

	memset(&k, 0, sizeof(k));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	while (!stopping) {
		reap(&k);
		if (poll(&p, 1, 500) <= 0)
			continue;
		if ((c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		spawn(conf, lfd, c, &k);
	}
	return BG_OK;
}
