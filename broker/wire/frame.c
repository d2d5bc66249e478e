/* Frames of the client-daemon protocol (wire.h). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "broker/wire/wire.h"

int
bg_wire_parse(const uint8_t *buf, size_t len, cJSON **obj)
{
	static const char *const op_chars = "abcdefghijklmnopqrstuvwxyz.-";
	const cJSON *v, *op;
	const char *problem;
	char where[128];
	cJSON *j;

	*obj = NULL;
	if ((j = bg_json_parse((const char *)buf, len)) == NULL ||
	    !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		bg_set_why("a frame that is not one JSON object");
		return BG_EFORMAT;
	}
	v = cJSON_GetObjectItemCaseSensitive(j, "v");
	op = cJSON_GetObjectItemCaseSensitive(j, "op");
	if (!cJSON_IsNumber(v) || v->valuedouble != BG_WIRE_VERSION ||
	    !cJSON_IsString(op) || op->valuestring[0] == '\0' ||
	    strlen(op->valuestring) > BG_WIRE_OP_MAX ||
	    strspn(op->valuestring, op_chars) != strlen(op->valuestring)) {
		cJSON_Delete(j);
		bg_set_why("a frame without protocol version %d or a valid "
		    "\"op\"", BG_WIRE_VERSION);
		return BG_EFORMAT;
	}
	if (bg_text_check_json(j, BG_TEXT_LINES, where, sizeof(where),
	    &problem) != BG_OK) {
		cJSON_Delete(j);
		bg_set_why("a frame with %s in %s", problem, where);
		return BG_EFORMAT;
	}
	*obj = j;
	return BG_OK;
}

const char *
bg_wire_op(const cJSON *obj)
{
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(obj, "op");

	return cJSON_IsString(op) ? op->valuestring : "";
}

cJSON *
bg_wire_msg(const char *op)
{
	cJSON *m = cJSON_CreateObject();

	if (m == NULL || !cJSON_AddNumberToObject(m, "v", BG_WIRE_VERSION) ||
	    !cJSON_AddStringToObject(m, "op", op)) {
		cJSON_Delete(m);
		return NULL;
	}
	return m;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events or the deadline passes. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { fd, events, 0 };
	int64_t left;
	int n;

	for (;;) {
		if ((left = deadline - now_ms()) <= 0)
			return BG_ETIMEOUT;
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return BG_OK;
		if (n < 0 && errno != EINTR)
			return BG_EIO;
	}
}

/* Exactly len bytes before the deadline; BG_EIO at EOF (*got says how
 * many came). */
static int
read_exact(int fd, uint8_t *buf, size_t len, int64_t deadline, size_t *got)
{
	ssize_t n;
	int r;

	for (*got = 0; *got < len; *got += (size_t)n) {
		if ((r = wait_fd(fd, POLLIN, deadline)) != BG_OK)
			return r;
		n = read(fd, buf + *got, len - *got);
		if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
			n = 0;
			continue;
		}
		if (n <= 0)
			return BG_EIO;
	}
	return BG_OK;
}

int
bg_wire_recv(int fd, size_t max, int timeout_ms, cJSON **obj)
{
	int64_t deadline = now_ms() + timeout_ms;
	uint8_t hdr[4], *buf;
	size_t len, got;
	int r;

	*obj = NULL;
	if ((r = read_exact(fd, hdr, 4, deadline, &got)) != BG_OK) {
		if (r == BG_EIO && got > 0)
			r = BG_EFORMAT;
		bg_set_why("%s", r == BG_ETIMEOUT ? "no frame within the "
		    "timeout" : r == BG_EIO ? "the other side closed the "
		    "connection" : "a frame cut short");
		return r;
	}
	len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
	    (size_t)hdr[2] << 8 | hdr[3];
	if (len == 0 || len > max) {
		bg_set_why("a frame of %zu bytes (at most %zu)", len, max);
		return len == 0 ? BG_EFORMAT : BG_ETOOBIG;
	}
	if ((buf = malloc(len)) == NULL)
		return BG_ENOMEM;
	if ((r = read_exact(fd, buf, len, deadline, &got)) == BG_OK)
		r = bg_wire_parse(buf, len, obj);
	else {
		bg_set_why("%s", r == BG_ETIMEOUT ? "a frame not finished "
		    "within the timeout" : "a frame cut short");
		if (r == BG_EIO)
			r = BG_EFORMAT;
	}
	free(buf);
	return r;
}

static int
write_exact(int fd, const uint8_t *buf, size_t len, int64_t deadline)
{
	ssize_t n;
	int r;

	while (len > 0) {
		if ((r = wait_fd(fd, POLLOUT, deadline)) != BG_OK)
			return r;
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return BG_EIO;
		buf += n;
		len -= (size_t)n;
	}
	return BG_OK;
}

int
bg_wire_send(int fd, const cJSON *obj, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	char *text = cJSON_PrintUnformatted(obj);
	uint8_t hdr[4];
	size_t len;
	int r;

	if (text == NULL)
		return BG_ENOMEM;
	if ((len = strlen(text)) > BG_WIRE_REPLY_MAX) {
		free(text);
		bg_set_why("a message of %zu bytes is too large to send", len);
		return BG_ETOOBIG;
	}
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	if ((r = write_exact(fd, hdr, 4, deadline)) == BG_OK)
		r = write_exact(fd, (const uint8_t *)text, len, deadline);
	free(text);
	if (r != BG_OK)
		bg_set_why("%s", r == BG_ETIMEOUT ? "the other side did not "
		    "read within the timeout" : "the connection was closed");
	return r;
}

int
bg_wire_connect(const char *path, int *fd)
{
	struct sockaddr_un sa;
	int s;

	*fd = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		bg_set_why("socket path too long");
		return BG_ETOOBIG;
	}
	memcpy(sa.sun_path, path, strlen(path));
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return bg_err_from_errno(errno);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		close(s);
		bg_set_why("cannot reach breakglassd at %s: %s (is the "
		    "service running, and are you in its group?)", path,
		    strerror(e));
		return e == EACCES ? BG_EPERM : BG_ENOENT;
	}
	*fd = s;
	return BG_OK;
}
