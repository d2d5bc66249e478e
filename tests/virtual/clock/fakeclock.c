/*
 * libbgclock.so: a fake wall clock for tests (docs/design.md §2.7: the shipped
 * binary has no way to move its clock; tests preload this library).
 *
 *   BG_FAKE_CLOCK_FILE=FILE LD_PRELOAD=libbgclock.so breakglass ...
 *
 * FILE holds decimal seconds since the epoch (e.g. "1111111109\n"). It
 * is re-read on every call, so a test moves time between commands by
 * rewriting it. time(), gettimeofday() and clock_gettime() of
 * CLOCK_REALTIME and CLOCK_REALTIME_COARSE return that second (with a zero
 * fraction); every other clock is the real one. With the variable unset,
 * or the file missing or unreadable, every clock is the real one. A file
 * that is readable but does not hold a decimal number is a broken test:
 * the program is stopped with a message rather than given the real time.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

typedef time_t (*time_fn)(time_t *);
typedef int (*gtod_fn)(struct timeval *, void *);
typedef int (*cgt_fn)(clockid_t, struct timespec *);

static void *
next_sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p == NULL) {
		static const char msg[] = "libbgclock: no next definition of "
		    "a clock function\n";
		(void)!write(2, msg, sizeof(msg) - 1);
		abort();
	}
	return p;
}

static void
broken(const char *path)
{
	static const char msg[] = "libbgclock: BG_FAKE_CLOCK_FILE does not "
	    "hold decimal seconds: ";

	(void)!write(2, msg, sizeof(msg) - 1);
	(void)!write(2, path, strlen(path));
	(void)!write(2, "\n", 1);
	abort();
}

/* 1: *out holds the fake second; 0: use the real clock. */
static int
fake_now(int64_t *out)
{
	const char *path = getenv("BG_FAKE_CLOCK_FILE");
	char buf[64];
	ssize_t n;
	size_t len = 0, i;
	int fd, saved = errno;
	uint64_t v = 0;

	if (path == NULL || path[0] == '\0')
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		errno = saved;
		return 0;
	}
	while (len < sizeof(buf) &&
	    (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			(void)close(fd);
			errno = saved;
			return 0;
		}
		len += (size_t)n;
	}
	(void)close(fd);
	errno = saved;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ' ||
	    buf[len - 1] == '\r' || buf[len - 1] == '\t'))
		len--;
	if (len == 0 || len > 18)
		broken(path);
	for (i = 0; i < len; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			broken(path);
		v = v * 10 + (uint64_t)(buf[i] - '0');
	}
	*out = (int64_t)v;
	return 1;
}

EXPORT time_t
time(time_t *t)
{
	static time_fn real;
	int64_t s;

	if (fake_now(&s)) {
		if (t != NULL)
			*t = (time_t)s;
		return (time_t)s;
	}
	if (real == NULL)
		real = (time_fn)next_sym("time");
	return real(t);
}

EXPORT int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	static gtod_fn real;
	struct timeval *volatile p = tv;
	int64_t s;

	if (fake_now(&s)) {
		if (p != NULL) {
			p->tv_sec = (time_t)s;
			p->tv_usec = 0;
		}
		if (tz != NULL)
			memset(tz, 0, sizeof(struct timezone));
		return 0;
	}
	if (real == NULL)
		real = (gtod_fn)next_sym("gettimeofday");
	return real(tv, tz);
}

EXPORT int
clock_gettime(clockid_t id, struct timespec *ts)
{
	static cgt_fn real;
	int64_t s;

	if ((id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE) &&
	    fake_now(&s)) {
		ts->tv_sec = (time_t)s;
		ts->tv_nsec = 0;
		return 0;
	}
	if (real == NULL)
		real = (cgt_fn)next_sym("clock_gettime");
	return real(id, ts);
}
