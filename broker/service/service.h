/*
 * broker/service/: breakglassd, the service that alone owns the
 * production state, the audit signing key and the alert spool
 * (docs/deploy.md). It serves one command per connection on its UNIX
 * socket, in a process of its own, and records who called (SO_PEERCRED)
 * beside the name they claim. A request a client sends is checked like
 * any input; a client is never trusted.
 */
#ifndef BG_SERVICE_H
#define BG_SERVICE_H

#include "broker/wire/wire.h"

#define BG_SERVICE_CHILDREN_MAX 32	/* connections served at once */
#define BG_SERVICE_PER_UID_MAX 4	/* ... of which one user's */

/*
 * Serves one connection (fd, the caller's uid and pid from the socket)
 * in the calling process, which it leaves to the caller to end. Every
 * refusal is answered, recorded in the log (service.refused) and never
 * stops the service.
 */
void bg_service_conn(const struct bg_conf *conf, int fd);
/*
 * The listening socket: systemd's (LISTEN_FDS) or conf's path bound here
 * (mode 0660). Then serves until SIGTERM: each connection in a child.
 */
int bg_service_listen(const struct bg_conf *conf, int *fd);
int bg_service_loop(const struct bg_conf *conf, int lfd);

#endif
