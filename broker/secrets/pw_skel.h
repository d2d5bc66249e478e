/*
 * The "skeleton" of one password byte (secret.h, bg_pw_check): ASCII
 * lower case with common substitutions undone. Shared by the checker
 * (password.c) and the build-time list generator (wordlists.c), which
 * must agree byte for byte.
 */
#ifndef BG_PW_SKEL_H
#define BG_PW_SKEL_H

static inline char
bg_pw_skel(char c)
{
	if (c >= 'A' && c <= 'Z')
		c = (char)(c - 'A' + 'a');
	switch (c) {
	case '@':
		return 'a';
	case '$':
	case '5':
		return 's';
	case '0':
		return 'o';
	case '3':
		return 'e';
	case '7':
		return 't';
	case '1':
	case '!':
	case 'i':
		return 'l';	/* 1 and ! stand for both i and l */
	default:
		return c;
	}
}

#endif
