/*
 * images_util.c - digests and sizes (time formats: berth/timefmt.h).
 *
 * Everything here is pure and may run on any thread.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "images.h"

struct images_sha {
	EVP_MD_CTX	*ctx;
};

struct images_sha *
images_sha_new(void)
{
	struct images_sha	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1) {
		images_sha_free(s);
		return NULL;
	}
	return s;
}

void
images_sha_update(struct images_sha *s, const void *data, size_t len)
{
	if (len > 0)
		(void)EVP_DigestUpdate(s->ctx, data, len);
}

void
images_sha_final(struct images_sha *s, char hex[IMAGES_HEX + 1])
{
	static const char	 digits[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 n = 0, i;

	if (EVP_DigestFinal_ex(s->ctx, md, &n) != 1 || n != IMAGES_HEX / 2)
		memset(md, 0, sizeof(md));
	for (i = 0; i < IMAGES_HEX / 2; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[IMAGES_HEX] = '\0';
	images_sha_free(s);
}

void
images_sha_free(struct images_sha *s)
{
	if (s == NULL)
		return;
	EVP_MD_CTX_free(s->ctx);
	free(s);
}

void
images_sha256_hex(const void *data, size_t len, char hex[IMAGES_HEX + 1])
{
	struct images_sha	*s;

	if ((s = images_sha_new()) == NULL) {
		memset(hex, '0', IMAGES_HEX);
		hex[IMAGES_HEX] = '\0';
		return;
	}
	images_sha_update(s, data, len);
	images_sha_final(s, hex);
}

/* Lower-case hex only, as digests are written. */
int
images_is_hex(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

void
images_human_size(double size, char *buf, size_t len)
{
	static const char *const units[] = {
		"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"
	};
	size_t	i = 0;

	while (size >= 1000.0 && i < sizeof(units) / sizeof(units[0]) - 1) {
		size /= 1000.0;
		i++;
	}
	snprintf(buf, len, "%.4g%s", size, units[i]);
}
