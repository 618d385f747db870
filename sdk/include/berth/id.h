/*
 * berth/id.h - Docker's object IDs: 64 random hex digits.  Static
 * inline, so a module links nothing from the core.
 */
#ifndef BERTH_ID_H
#define BERTH_ID_H

#include <sys/random.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>

#define BERTH_ID_LEN	64

/*
 * A new ID into out (BERTH_ID_LEN + 1 bytes).  Docker draws again an ID
 * that is all digits, because a short form of it would read as a
 * number; so does this.  0 or -errno.
 */
static inline int
berth_id_new(char *out)
{
	unsigned char	 b[BERTH_ID_LEN / 2];
	size_t		 i;
	int		 digits;

	do {
		if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
			return errno != 0 ? -errno : -EIO;
		digits = 1;
		for (i = 0; i < sizeof(b); i++) {
			snprintf(out + 2 * i, 3, "%02x", b[i]);
			if (!isdigit((unsigned char)out[2 * i]) ||
			    !isdigit((unsigned char)out[2 * i + 1]))
				digits = 0;
		}
	} while (digits);
	return 0;
}

#endif
