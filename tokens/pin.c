/*
 * PINs: from a file descriptor (automation) or a /dev/tty prompt with echo
 * off. Held in locked memory, wiped after use, never logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "common/common.h"
#include "tokens/internal.h"

#define PIN_MAX 255	/* CTAP: at most 63 bytes; a longer line is refused */

/* Reads one line of at most PIN_MAX bytes; at least 4 make a PIN. */
static int
read_line(int fd, char *pin)
{
	size_t n;
	int r;

	if ((r = bg_read_line(fd, pin, PIN_MAX, &n)) != BG_OK)
		return r;
	pin[n] = '\0';
	return n >= 4 ? BG_OK : BG_EFORMAT;
}

static int
read_tty(char *pin)
{
	static const char prompt[] = "PIN for the token: ";
	struct termios old, quiet;
	int fd, r;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		bg_set_why("no terminal to ask for the PIN: use --pin-fd");
		return BG_EINVAL;
	}
	if (tcgetattr(fd, &old) != 0) {
		close(fd);
		return BG_EIO;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	(void)!write(fd, prompt, sizeof(prompt) - 1);
	if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
		r = BG_EIO;
	else
		r = read_line(fd, pin);
	tcsetattr(fd, TCSAFLUSH, &old);
	(void)!write(fd, "\n", 1);
	close(fd);
	return r;
}

int
bg_pin_read(const struct bg_token_opts *o, char **pin)
{
	int r;

	if ((*pin = bg_secure_alloc(PIN_MAX + 1)) == NULL)
		return BG_ENOMEM;
	r = o->pin_fd >= 0 ? read_line(o->pin_fd, *pin) : read_tty(*pin);
	if (r == BG_EFORMAT)
		bg_set_why("a PIN has at least 4 characters");
	else if (r == BG_ETOOBIG)
		bg_set_why("the PIN is longer than %d bytes", PIN_MAX);
	if (r != BG_OK)
		bg_pin_free(pin);
	return r;
}

void
bg_pin_free(char **pin)
{
	bg_secure_free(pin, PIN_MAX + 1);
}
