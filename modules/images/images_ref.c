/*
 * images_ref.c - image references, parsed and normalised as Docker's
 * distribution/reference package does it, with its error messages:
 *
 *	reference := name [ ":" tag ] [ "@" digest ]
 *	name      := [ domain "/" ] component ( "/" component )*
 *	component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"* ) [a-z0-9]+ )*
 *	domain    := host ( "." host )* [ ":" port ]
 *	tag       := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
 *
 * Pure functions: the unit tests drive them directly.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "images.h"

#define DEFAULT_DOMAIN	"docker.io"
#define LEGACY_DOMAIN	"index.docker.io"
#define OFFICIAL_REPO	"library"

static const char	ERR_FORMAT[] = "invalid reference format";
static const char	ERR_UPPER[] =
    "invalid reference format: repository name must be lowercase";
static const char	ERR_EMPTY[] =
    "repository name must have at least one component";
static const char	ERR_LONG[] =
    "repository name must not be more than 255 characters";

static int
alnum_lower(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A path component: alphanumeric runs joined by ".", "_", "__" or dashes. */
static int
component_ok(const char *s, size_t n)
{
	size_t	i = 0, sep;

	if (n == 0 || !alnum_lower((unsigned char)s[0]))
		return 0;
	while (i < n) {
		while (i < n && alnum_lower((unsigned char)s[i]))
			i++;
		if (i == n)
			return 1;
		sep = i;
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
		else if (s[i] == '-')
			while (i < n && s[i] == '-')
				i++;
		else
			return 0;
		if (i == sep || i == n || !alnum_lower((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

static int
host_label_ok(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (i = 1; i + 1 < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

static int
domain_ok(const char *s, size_t n)
{
	const char	*colon = memchr(s, ':', n), *p, *dot;
	size_t		 hn = colon ? (size_t)(colon - s) : n, i;

	if (colon != NULL) {
		if (colon + 1 == s + n)
			return 0;
		for (i = hn + 1; i < n; i++)
			if (!isdigit((unsigned char)s[i]))
				return 0;
	}
	for (p = s; p < s + hn; p = dot + 1) {
		dot = memchr(p, '.', (size_t)(s + hn - p));
		if (dot == NULL)
			return host_label_ok(p, (size_t)(s + hn - p));
		if (!host_label_ok(p, (size_t)(dot - p)))
			return 0;
	}
	return 0;	/* empty host or a trailing dot */
}

static int
tag_ok(const char *s)
{
	size_t	n = strlen(s), i;

	if (n == 0 || n > IMAGES_TAG_MAX)
		return 0;
	if (!isalnum((unsigned char)s[0]) && s[0] != '_')
		return 0;
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '.' && s[i] != '-')
			return 0;
	return 1;
}

/* The digest grammar: algorithm ":" at least 32 hex digits. */
static int
digest_syntax_ok(const char *s)
{
	const char	*colon = strchr(s, ':'), *p;

	if (colon == NULL || colon == s || !isalpha((unsigned char)s[0]))
		return 0;
	for (p = s + 1; p < colon; p++) {
		if (isalnum((unsigned char)*p))
			continue;
		if (strchr("-_+.", *p) == NULL || !isalpha((unsigned char)p[1]))
			return 0;
	}
	if (strlen(colon + 1) < 32)
		return 0;
	for (p = colon + 1; *p != '\0'; p++)
		if (!isxdigit((unsigned char)*p))
			return 0;
	return 1;
}

/* go-digest's Parse: sha256 only, 64 lower-case hex digits. */
static int
digest_parse(const char *s, struct berth_err *err)
{
	const char	*colon = strchr(s, ':');

	if (colon == NULL || colon == s || colon[1] == '\0')
		return berth_err_set(err, -EINVAL,
		    "invalid checksum digest format");
	if ((size_t)(colon - s) != 6 || strncmp(s, "sha256", 6) != 0) {
		if (!digest_syntax_ok(s))
			return berth_err_set(err, -EINVAL,
			    "invalid checksum digest format");
		return berth_err_set(err, -EINVAL,
		    "unsupported digest algorithm");
	}
	if (strlen(colon + 1) != IMAGES_HEX)
		return berth_err_set(err, -EINVAL,
		    "invalid checksum digest length");
	if (!images_is_hex(colon + 1, IMAGES_HEX))
		return berth_err_set(err, -EINVAL,
		    "invalid checksum digest format");
	return 0;
}

/*
 * ReferenceRegexp, matched by hand.  Fills ref on a match; the name's
 * length is *namelen (checked by the caller, as Parse does).
 */
static int
ref_match(const char *s, struct images_ref *ref, size_t *namelen)
{
	char		 buf[1024];
	const char	*at, *slash, *colon, *p, *end, *next;
	size_t		 n, ncomp = 0;
	int		 first_domain = 0;

	memset(ref, 0, sizeof(*ref));
	if (strlen(s) >= sizeof(buf))
		return 0;
	strcpy(buf, s);
	if ((at = strchr(buf, '@')) != NULL) {
		if (!digest_syntax_ok(at + 1) ||
		    strlen(at + 1) >= sizeof(ref->digest))
			return 0;
		strcpy(ref->digest, at + 1);
		buf[at - buf] = '\0';
	}
	slash = strrchr(buf, '/');
	colon = strrchr(buf, ':');
	if (colon != NULL && (slash == NULL || colon > slash)) {
		if (!tag_ok(colon + 1))
			return 0;
		strcpy(ref->tag, colon + 1);
		buf[colon - buf] = '\0';
	}
	n = strlen(buf);
	*namelen = n;
	if (n == 0)
		return 0;
	for (p = buf; p <= buf + n; p = next) {
		end = strchr(p, '/');
		if (end == NULL)
			end = buf + n;
		next = end + 1;
		if (ncomp == 0 && end != buf + n &&
		    domain_ok(p, (size_t)(end - p)))
			first_domain = 1;
		else if (!component_ok(p, (size_t)(end - p)))
			return 0;
		ncomp++;
	}
	if (n > IMAGES_NAME_MAX)
		return 2;	/* it matches; the caller says it is too long */
	if (first_domain) {
		slash = strchr(buf, '/');
		if ((size_t)(slash - buf) >= sizeof(ref->domain))
			return 0;
		memcpy(ref->domain, buf, (size_t)(slash - buf));
		ref->domain[slash - buf] = '\0';
		p = slash + 1;
	} else
		p = buf;
	if (strlen(p) >= sizeof(ref->path))
		return 0;
	strcpy(ref->path, p);
	return 1;
}

/* reference.Parse */
static int
ref_parse(const char *s, struct images_ref *ref, struct berth_err *err)
{
	char	lower[1024];
	size_t	namelen, i;
	int	m;

	if ((m = ref_match(s, ref, &namelen)) == 2)
		return berth_err_set(err, -EINVAL, ERR_LONG);
	if (!m) {
		if (*s == '\0')
			return berth_err_set(err, -EINVAL, ERR_EMPTY);
		for (i = 0; s[i] != '\0' && i + 1 < sizeof(lower); i++)
			lower[i] = (char)tolower((unsigned char)s[i]);
		lower[i] = '\0';
		if (ref_match(lower, ref, &namelen) == 1)
			return berth_err_set(err, -EINVAL, ERR_UPPER);
		return berth_err_set(err, -EINVAL, ERR_FORMAT);
	}
	if (ref->digest[0] != '\0')
		return digest_parse(ref->digest, err);
	return 0;
}

static int
is_id(const char *s)
{
	return strlen(s) == IMAGES_HEX && images_is_hex(s, IMAGES_HEX);
}

int
images_ref_parse(const char *s, struct images_ref *ref, struct berth_err *err)
{
	char		 full[1024];
	const char	*slash, *remainder;
	char		 domain[IMAGES_NAME_MAX + 1];
	size_t		 dlen, i;
	int		 rc;

	if (is_id(s))
		return berth_err_set(err, -EINVAL, "invalid repository name "
		    "(%s), cannot specify 64-byte hexadecimal strings", s);
	slash = strchr(s, '/');
	dlen = slash ? (size_t)(slash - s) : 0;
	if (slash == NULL || ((memchr(s, '.', dlen) == NULL &&
	    memchr(s, ':', dlen) == NULL) &&
	    !(dlen == 9 && strncmp(s, "localhost", 9) == 0))) {
		strcpy(domain, DEFAULT_DOMAIN);
		remainder = s;
	} else {
		if (dlen >= sizeof(domain))
			return berth_err_set(err, -EINVAL, ERR_FORMAT);
		memcpy(domain, s, dlen);
		domain[dlen] = '\0';
		remainder = slash + 1;
	}
	if (strcmp(domain, LEGACY_DOMAIN) == 0)
		strcpy(domain, DEFAULT_DOMAIN);
	for (i = 0; remainder[i] != '\0' && remainder[i] != ':'; i++)
		if (isupper((unsigned char)remainder[i]))
			return berth_err_set(err, -EINVAL, ERR_UPPER);
	if (strcmp(domain, DEFAULT_DOMAIN) == 0 &&
	    strchr(remainder, '/') == NULL)
		rc = snprintf(full, sizeof(full), "%s/%s/%s", domain,
		    OFFICIAL_REPO, remainder);
	else
		rc = snprintf(full, sizeof(full), "%s/%s", domain, remainder);
	if (rc < 0 || (size_t)rc >= sizeof(full))
		return berth_err_set(err, -EINVAL, ERR_LONG);
	if ((rc = ref_parse(full, ref, err)) < 0)
		return rc;
	/* Parse put the domain in path if it did not look like one. */
	if (ref->domain[0] == '\0')
		return berth_err_set(err, -EINVAL, ERR_FORMAT);
	return 0;
}

int
images_ref_parse_any(const char *s, struct images_ref *ref,
    char id[IMAGES_HEX + 1], struct berth_err *err)
{
	if (is_id(s)) {
		strcpy(id, s);
		return 1;
	}
	if (strncmp(s, "sha256:", 7) == 0 && is_id(s + 7)) {
		strcpy(id, s + 7);
		return 1;
	}
	return images_ref_parse(s, ref, err);
}

int
images_ref_set_tag(struct images_ref *ref, const char *tag,
    struct berth_err *err)
{
	if (!tag_ok(tag))
		return berth_err_set(err, -EINVAL, "invalid tag format");
	strcpy(ref->tag, tag);
	ref->digest[0] = '\0';
	return 0;
}

void
images_ref_default_tag(struct images_ref *ref)
{
	if (ref->tag[0] == '\0' && ref->digest[0] == '\0')
		strcpy(ref->tag, "latest");
}

void
images_ref_name(const struct images_ref *ref, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", ref->domain, ref->path);
}

void
images_ref_familiar_name(const struct images_ref *ref, char *buf, size_t len)
{
	const char	*p = ref->path;

	if (strcmp(ref->domain, DEFAULT_DOMAIN) != 0) {
		images_ref_name(ref, buf, len);
		return;
	}
	if (strncmp(p, OFFICIAL_REPO "/", sizeof(OFFICIAL_REPO)) == 0 &&
	    strchr(p + sizeof(OFFICIAL_REPO), '/') == NULL)
		p += sizeof(OFFICIAL_REPO);
	snprintf(buf, len, "%s", p);
}

static void
ref_suffix(const struct images_ref *ref, char *buf, size_t len)
{
	size_t	n = strlen(buf);

	if (ref->tag[0] != '\0' && n < len)
		n += (size_t)snprintf(buf + n, len - n, ":%s", ref->tag);
	if (ref->digest[0] != '\0' && n < len)
		snprintf(buf + n, len - n, "@%s", ref->digest);
}

void
images_ref_string(const struct images_ref *ref, char *buf, size_t len)
{
	images_ref_name(ref, buf, len);
	ref_suffix(ref, buf, len);
}

void
images_ref_familiar(const struct images_ref *ref, char *buf, size_t len)
{
	images_ref_familiar_name(ref, buf, len);
	ref_suffix(ref, buf, len);
}

int
images_ref_match(const char *pattern, const struct images_ref *ref)
{
	char	buf[1024];

	images_ref_familiar(ref, buf, sizeof(buf));
	if (fnmatch(pattern, buf, FNM_PATHNAME) == 0)
		return 1;
	images_ref_familiar_name(ref, buf, sizeof(buf));
	return fnmatch(pattern, buf, FNM_PATHNAME) == 0;
}

int
images_ref_is_id_prefix(const char *hex, const char *prefix)
{
	char	id[IMAGES_ID_LEN + 1];

	snprintf(id, sizeof(id), "sha256:%s", hex);
	return strncmp(id, prefix, strlen(prefix)) == 0 ||
	    strncmp(hex, prefix, strlen(prefix)) == 0;
}
