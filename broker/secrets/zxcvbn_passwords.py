"""
broker/secrets/zxcvbn_passwords.py: writes zxcvbn's "passwords" frequency
list (Debian package python3-zxcvbn, zxcvbn/frequency_lists.py) as a word
list, one entry a line in rank order; run by the build, never shipped.

    python3 zxcvbn_passwords.py FREQUENCY_LISTS.py OUT.txt

FREQUENCY_LISTS.py is loaded from its path, so any python3 works and the
build can depend on that one file.
"""
import os
import runpy
import sys


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: zxcvbn_passwords.py FREQUENCY_LISTS.py OUT.txt\n")
        return 2
    src, out = argv[1], argv[2]
    try:
        words = runpy.run_path(src)["FREQUENCY_LISTS"]["passwords"]
    except (OSError, SyntaxError, KeyError, TypeError) as e:
        sys.stderr.write("zxcvbn_passwords.py: %s: no FREQUENCY_LISTS['passwords'] (%r)\n"
                         % (src, e))
        return 1
    if not isinstance(words, list) or not words or not all(
            isinstance(w, str) and w and "\n" not in w and "\r" not in w
            for w in words):
        sys.stderr.write("zxcvbn_passwords.py: %s: 'passwords' is not a list of "
                         "one-line words\n" % src)
        return 1
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(w + "\n" for w in words))
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
