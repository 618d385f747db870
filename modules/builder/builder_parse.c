/*
 * builder_parse.c - a Dockerfile into instructions, as Docker's parser
 * reads it: parser directives (`# escape=`) at the top, comments and
 * empty lines skipped, lines joined at the escape character, the keyword
 * any case, `--name=value` flags, and the JSON (exec) form where the
 * rest is a JSON array of strings.  Words and variables are left to the
 * step that runs the instruction, which knows its environment.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder.h"

/* Each keyword with the flags it takes (classic builder, 20.10). */
static const struct {
	const char	*cmd;
	const char	*flags;		/* space-separated, with a trailing space */
} keywords[] = {
	{ "from",	"platform " },
	{ "run",	"" },
	{ "cmd",	"" },
	{ "entrypoint",	"" },
	{ "env",	"" },
	{ "arg",	"" },
	{ "label",	"" },
	{ "maintainer",	"" },
	{ "expose",	"" },
	{ "volume",	"" },
	{ "user",	"" },
	{ "workdir",	"" },
	{ "copy",	"from chown " },
	{ "add",	"chown " },
	{ "shell",	"" },
	{ "stopsignal",	"" },
	{ "healthcheck", "interval timeout start-period retries " },
	{ "onbuild",	"" },
};

void
bld_instr_free(struct bld_instr *in)
{
	size_t	i;

	free(in->cmd);
	free(in->rest);
	free(in->original);
	for (i = 0; i < in->njson; i++)
		free(in->json[i]);
	free(in->json);
	for (i = 0; i < in->nflags; i++) {
		free(in->flags[i].name);
		free(in->flags[i].value);
	}
	free(in->flags);
	memset(in, 0, sizeof(*in));
}

void
bld_file_free(struct bld_file *f)
{
	size_t	i;

	for (i = 0; i < f->n; i++)
		bld_instr_free(&f->v[i]);
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

const char *
bld_flag(const struct bld_instr *in, const char *name)
{
	size_t	i;

	for (i = 0; i < in->nflags; i++)
		if (strcmp(in->flags[i].name, name) == 0)
			return in->flags[i].value;
	return NULL;
}

/* The rest as a JSON array of strings, or not (0: shell form). */
static int
json_form(struct bld_instr *in)
{
	json_object	*a;
	size_t		 i, n;

	if (in->rest[0] != '[' || (a = json_tokener_parse(in->rest)) == NULL)
		return 0;
	if (!json_object_is_type(a, json_type_array))
		goto no;
	n = json_object_array_length(a);
	for (i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(a, i),
		    json_type_string))
			goto no;
	if ((in->json = calloc(n + 1, sizeof(*in->json))) == NULL)
		goto no;
	for (i = 0; i < n; i++)
		in->json[i] = strdup(json_object_get_string(
		    json_object_array_get_idx(a, i)));
	in->njson = n;
	json_object_put(a);
	return 1;
no:
	json_object_put(a);
	return 0;
}

static int
add_flag(struct bld_instr *in, const char *word, size_t len, int lineno,
    const char *allowed, struct berth_err *err)
{
	struct bld_flag	*f;
	const char	*eq;
	char		 name[64];
	size_t		 nlen;

	if (len < 2)
		return -EINVAL;
	word += 2;
	len -= 2;
	eq = memchr(word, '=', len);
	nlen = eq != NULL ? (size_t)(eq - word) : len;
	if (nlen == 0 || nlen >= sizeof(name) - 1)
		return berth_err_set(err, -EINVAL, "Dockerfile parse error "
		    "line %d: Unknown flag: %.*s", lineno, (int)len, word);
	snprintf(name, sizeof(name), "%.*s ", (int)nlen, word);
	if (strstr(allowed, name) == NULL || (allowed != strstr(allowed,
	    name) && strstr(allowed, name)[-1] != ' '))
		return berth_err_set(err, -EINVAL, "Dockerfile parse error "
		    "line %d: Unknown flag: %.*s", lineno, (int)nlen, word);
	name[nlen] = '\0';
	if (eq == NULL)
		return berth_err_set(err, -EINVAL, "Dockerfile parse error "
		    "line %d: missing a value on flag: %s", lineno, name);
	if ((f = realloc(in->flags, (in->nflags + 1) * sizeof(*f))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	in->flags = f;
	f = &in->flags[in->nflags++];
	f->name = strdup(name);
	f->value = strndup(eq + 1, len - nlen - 1);
	return 0;
}

/* One logical line (continuations joined) into in. */
int
bld_parse_line(const char *line, int lineno, char escape, struct bld_instr *in,
    struct berth_err *err)
{
	const char	*p = line, *w, *allowed = NULL;
	size_t		 i, n;
	char		 kw[16];

	(void)escape;
	memset(in, 0, sizeof(*in));
	in->line = lineno;
	while (isspace((unsigned char)*p))
		p++;
	for (w = p; *p != '\0' && !isspace((unsigned char)*p); p++)
		;
	n = (size_t)(p - w);
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strlen(keywords[i].cmd) == n &&
		    strncasecmp(keywords[i].cmd, w, n) == 0) {
			allowed = keywords[i].flags;
			break;
		}
	if (allowed == NULL) {
		snprintf(kw, sizeof(kw), "%.*s", (int)(n < 15 ? n : 15), w);
		for (i = 0; kw[i] != '\0'; i++)
			kw[i] = (char)toupper((unsigned char)kw[i]);
		return berth_err_set(err, -EINVAL, "Dockerfile parse error "
		    "line %d: unknown instruction: %s", lineno, kw);
	}
	in->cmd = strdup(keywords[i].cmd);
	in->original = strdup(line + (w - line));
	/* Flags lead the rest: --name=value words. */
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (strncmp(p, "--", 2) != 0 || strcmp(in->cmd, "onbuild") == 0)
			break;
		for (w = p; *p != '\0' && !isspace((unsigned char)*p); p++)
			;
		if (add_flag(in, w, (size_t)(p - w), lineno, allowed, err) < 0)
			goto fail;
	}
	n = strlen(p);
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	in->rest = strndup(p, n);
	if (in->cmd == NULL || in->original == NULL || in->rest == NULL) {
		berth_err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if (strcmp(in->cmd, "run") == 0 || strcmp(in->cmd, "cmd") == 0 ||
	    strcmp(in->cmd, "entrypoint") == 0 ||
	    strcmp(in->cmd, "shell") == 0 || strcmp(in->cmd, "copy") == 0 ||
	    strcmp(in->cmd, "add") == 0 || strcmp(in->cmd, "volume") == 0)
		json_form(in);
	if (strcmp(in->cmd, "shell") == 0 && in->json == NULL) {
		berth_err_set(err, -EINVAL, "Dockerfile parse error line %d: "
		    "SHELL requires the arguments to be in JSON form", lineno);
		goto fail;
	}
	/* What may not be empty (cmd and entrypoint may: they clear). */
	if (in->rest[0] == '\0' && strcmp(in->cmd, "cmd") != 0 &&
	    strcmp(in->cmd, "entrypoint") != 0 &&
	    strcmp(in->cmd, "run") != 0) {
		snprintf(kw, sizeof(kw), "%s", in->cmd);
		for (i = 0; kw[i] != '\0'; i++)
			kw[i] = (char)toupper((unsigned char)kw[i]);
		berth_err_set(err, -EINVAL, "Dockerfile parse error line %d: "
		    "%s requires at least one argument", lineno, kw);
		goto fail;
	}
	return 0;
fail:
	bld_instr_free(in);
	return err->code;
}

/* A parser directive line ("# escape=`"): its value, else NULL. */
static const char *
directive(const char *line, const char *name)
{
	size_t	n = strlen(name);

	if (*line++ != '#')
		return NULL;
	while (*line == ' ' || *line == '\t')
		line++;
	if (strncasecmp(line, name, n) != 0)
		return NULL;
	line += n;
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line++ != '=')
		return NULL;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

static int
is_blank_or_comment(const char *s, size_t n)
{
	size_t	i = 0;

	while (i < n && isspace((unsigned char)s[i]))
		i++;
	return i == n || s[i] == '#';
}

int
bld_parse(const char *text, size_t len, struct bld_file *f,
    struct berth_err *err)
{
	const char	*p = text, *end = text + len, *nl, *v;
	char		*buf = NULL, *grown, line[256];
	size_t		 blen = 0, n, i;
	int		 lineno = 0, first = 0, directives = 1;
	struct bld_instr *in;

	memset(f, 0, sizeof(*f));
	f->escape = '\\';
	if (memchr(text, '\0', len) != NULL)
		return berth_err_set(err, -EINVAL,
		    "the Dockerfile holds a NUL byte");
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (directives) {
			snprintf(line, sizeof(line), "%.*s", (int)n, p);
			if ((v = directive(line, "escape")) != NULL) {
				if (strcmp(v, "`") != 0 && strcmp(v, "\\") != 0) {
					free(buf);
					return berth_err_set(err, -EINVAL,
					    "invalid ESCAPE '%s'. Must be ` or "
					    "\\", v);
				}
				f->escape = *v;
				goto next;
			}
			if (directive(line, "syntax") != NULL)
				goto next;
			directives = 0;
		}
		if (is_blank_or_comment(p, n))
			goto next;
		if (blen == 0)
			first = lineno;
		if ((grown = realloc(buf, blen + n + 2)) == NULL) {
			free(buf);
			return berth_err_set(err, -ENOMEM, "out of memory");
		}
		buf = grown;
		memcpy(buf + blen, p, n);
		blen += n;
		buf[blen] = '\0';
		/* A trailing escape (blanks after it allowed) joins. */
		i = blen;
		while (i > 0 && (buf[i - 1] == ' ' || buf[i - 1] == '\t'))
			i--;
		if (i > 0 && buf[i - 1] == f->escape && nl != NULL) {
			blen = i - 1;
			buf[blen] = '\0';
			goto next;
		}
		if ((in = realloc(f->v, (f->n + 1) * sizeof(*in))) == NULL) {
			free(buf);
			bld_file_free(f);
			return berth_err_set(err, -ENOMEM, "out of memory");
		}
		f->v = in;
		if (bld_parse_line(buf, first, f->escape, &f->v[f->n],
		    err) < 0) {
			free(buf);
			bld_file_free(f);
			return err->code;
		}
		f->n++;
		blen = 0;
next:
		p = nl != NULL ? nl + 1 : end;
	}
	if (blen > 0) {
		/* A file that ends in an escape: the line as it stands. */
		if ((in = realloc(f->v, (f->n + 1) * sizeof(*in))) == NULL ||
		    (f->v = in, bld_parse_line(buf, first, f->escape,
		    &f->v[f->n], err)) < 0) {
			free(buf);
			bld_file_free(f);
			return err->code != 0 ? err->code : -ENOMEM;
		}
		f->n++;
	}
	free(buf);
	if (f->n == 0)
		return berth_err_set(err, -EINVAL, "the Dockerfile (Dockerfile)"
		    " cannot be empty");
	return 0;
}
