/*
 * berth/base64.h - standard base64 with padding (Go's
 * base64.StdEncoding), as Docker puts bytes in JSON and headers, and a
 * decoder that also reads the URL alphabet (X-Registry-Auth).
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

/*
 * Decode base64 (standard or URL alphabet, padding optional, as Docker
 * reads X-Registry-Auth) into out (outlen bytes); *len gets the size.
 * -EINVAL for a character outside both alphabets, -ENAMETOOLONG if out
 * is too small.
 */
static inline int
berth_b64_decode(const char *in, void *out, size_t outlen, size_t *len)
{
	unsigned char	*o = out;
	uint32_t	 v = 0;
	size_t		 n = 0;
	int		 bits = 0, c;

	for (; *in != '\0' && *in != '='; in++) {
		c = *in;
		if (c >= 'A' && c <= 'Z')
			c -= 'A';
		else if (c >= 'a' && c <= 'z')
			c = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			c = c - '0' + 52;
		else if (c == '+' || c == '-')
			c = 62;
		else if (c == '/' || c == '_')
			c = 63;
		else
			return -EINVAL;
		v = v << 6 | (uint32_t)c;
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (n >= outlen)
				return -ENAMETOOLONG;
			o[n++] = (unsigned char)(v >> bits);
		}
	}
	*len = n;
	return 0;
}

#endif
