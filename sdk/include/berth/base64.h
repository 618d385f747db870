/*
 * berth/base64.h - standard base64 with padding (Go's
 * base64.StdEncoding), as Docker puts bytes in JSON and headers.
 * Static inline, so a module links nothing from the core.
 */
#ifndef BERTH_BASE64_H
#define BERTH_BASE64_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes berth_b64 needs for len bytes of input, its NUL included. */
#define BERTH_B64_LEN(len)	(((len) + 2) / 3 * 4 + 1)

/* Encode data into out (NUL-terminated): 0, or -ENAMETOOLONG. */
static inline int
berth_b64(const void *data, size_t len, char *out, size_t outlen)
{
	static const char	 tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char	*p = data;
	size_t			 i, o = 0;
	uint32_t		 v;

	if (outlen < BERTH_B64_LEN(len))
		return -ENAMETOOLONG;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	if (i < len) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return 0;
}

#endif
