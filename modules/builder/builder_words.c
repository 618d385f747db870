/*
 * builder_words.c - Docker's shell lexer for Dockerfile words: quotes,
 * the escape character and variables ($V, ${V}, ${V:-word}, ${V:+word}),
 * looked up in an environment of "K=V" strings (the first one wins, so
 * a caller puts what takes precedence first).  A variable's value is
 * never split into words again.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "builder.h"

void
bld_buf_add(struct bld_buf *b, const char *s, size_t n)
{
	char	*grown;
	size_t	 cap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((grown = realloc(b->s, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->s = grown;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
sb_ch(struct bld_buf *b, char c)
{
	bld_buf_add(b, &c, 1);
}

const char *
bld_env_get(json_object *env, const char *name, size_t len)
{
	const char	*s;
	size_t		 i;

	for (i = 0; env != NULL && i < json_object_array_length(env); i++) {
		s = json_object_get_string(json_object_array_get_idx(env, i));
		if (s != NULL && strncmp(s, name, len) == 0 && s[len] == '=')
			return s + len + 1;
	}
	return NULL;
}

void
bld_env_set(json_object *env, const char *key, const char *value)
{
	const char	*s;
	char		*kv;
	size_t		 i, n = strlen(key);

	if ((kv = malloc(n + strlen(value) + 2)) == NULL)
		return;
	strcpy(kv, key);
	kv[n] = '=';
	strcpy(kv + n + 1, value);
	for (i = 0; i < json_object_array_length(env); i++) {
		s = json_object_get_string(json_object_array_get_idx(env, i));
		if (s != NULL && strncmp(s, key, n) == 0 &&
		    (s[n] == '=' || s[n] == '\0')) {
			json_object_array_put_idx(env, i,
			    json_object_new_string(kv));
			free(kv);
			return;
		}
	}
	json_object_array_add(env, json_object_new_string(kv));
	free(kv);
}

struct lexer {
	const char	*p;
	char		 esc;
	json_object	*env;
	struct berth_err *err;
	int		 depth;
};

static int	lex_word(struct lexer *, struct bld_buf *, const char *stop);

/* After '$': a variable, expanded into b. */
static int
lex_var(struct lexer *l, struct bld_buf *b)
{
	const char	*name, *v;
	size_t		 n;
	char		 op = 0;
	struct bld_buf	 word = { 0 };
	int		 rc;

	if (*l->p != '{') {
		name = l->p;
		while (isalnum((unsigned char)*l->p) || *l->p == '_')
			l->p++;
		n = (size_t)(l->p - name);
		if (n == 0) {
			sb_ch(b, '$');
			return 0;
		}
		if ((v = bld_env_get(l->env, name, n)) != NULL)
			bld_buf_add(b, v, strlen(v));
		return 0;
	}
	l->p++;
	name = l->p;
	while (isalnum((unsigned char)*l->p) || *l->p == '_')
		l->p++;
	n = (size_t)(l->p - name);
	if (n == 0)
		return berth_err_set(l->err, -EINVAL, "bad substitution: "
		    "missing variable name after '${'");
	if (*l->p == ':' && (l->p[1] == '-' || l->p[1] == '+')) {
		op = l->p[1];
		l->p += 2;
		if (++l->depth > 16)
			return berth_err_set(l->err, -EINVAL,
			    "substitutions nested too deep");
		rc = lex_word(l, &word, "}");
		l->depth--;
		if (rc < 0) {
			free(word.s);
			return rc;
		}
	}
	if (*l->p != '}') {
		free(word.s);
		return berth_err_set(l->err, -EINVAL, "missing '}' in a "
		    "variable substitution");
	}
	l->p++;
	v = bld_env_get(l->env, name, n);
	if (op == '-' && (v == NULL || *v == '\0'))
		v = word.s != NULL ? word.s : "";
	else if (op == '+')
		v = v != NULL && *v != '\0' ? (word.s != NULL ? word.s : "") :
		    "";
	if (v != NULL)
		bld_buf_add(b, v, strlen(v));
	free(word.s);
	return 0;
}

/*
 * One word into b, until an unquoted blank (stop NULL) or a character of
 * stop.  Quotes are removed, escapes applied, variables expanded.
 */
static int
lex_word(struct lexer *l, struct bld_buf *b, const char *stop)
{
	int	rc;

	bld_buf_add(b, "", 0);
	while (*l->p != '\0') {
		if (stop == NULL ? isspace((unsigned char)*l->p) :
		    strchr(stop, *l->p) != NULL)
			break;
		if (*l->p == l->esc) {
			l->p++;
			if (*l->p == '\0')
				break;
			sb_ch(b, *l->p++);
		} else if (*l->p == '\'') {
			l->p++;
			while (*l->p != '\0' && *l->p != '\'')
				sb_ch(b, *l->p++);
			if (*l->p != '\'')
				return berth_err_set(l->err, -EINVAL,
				    "unexpected end of statement while "
				    "looking for matching single-quote");
			l->p++;
		} else if (*l->p == '"') {
			l->p++;
			while (*l->p != '\0' && *l->p != '"') {
				if (*l->p == l->esc && (l->p[1] == '"' ||
				    l->p[1] == '$' || l->p[1] == l->esc)) {
					sb_ch(b, l->p[1]);
					l->p += 2;
				} else if (*l->p == '$') {
					l->p++;
					if ((rc = lex_var(l, b)) < 0)
						return rc;
				} else
					sb_ch(b, *l->p++);
			}
			if (*l->p != '"')
				return berth_err_set(l->err, -EINVAL,
				    "unexpected end of statement while "
				    "looking for matching double-quote");
			l->p++;
		} else if (*l->p == '$') {
			l->p++;
			if ((rc = lex_var(l, b)) < 0)
				return rc;
		} else
			sb_ch(b, *l->p++);
	}
	return b->oom ? berth_err_set(l->err, -ENOMEM, "out of memory") : 0;
}

void
bld_words_free(char **w)
{
	size_t	i;

	for (i = 0; w != NULL && w[i] != NULL; i++)
		free(w[i]);
	free(w);
}

int
bld_expand(const char *s, char escape, json_object *env, char ***words,
    char **one, struct berth_err *err)
{
	struct lexer	 l = { s, escape, env, err, 0 };
	struct bld_buf	 b = { 0 };
	char		**v = NULL, **grown;
	size_t		 n = 0;
	int		 rc;

	if (words == NULL) {
		/* One word: blanks are kept as they are. */
		while (*l.p != '\0') {
			if ((rc = lex_word(&l, &b, " \t\r\n")) < 0)
				goto fail;
			while (*l.p != '\0' && isspace((unsigned char)*l.p))
				sb_ch(&b, *l.p++);
		}
		if (b.s == NULL)
			bld_buf_add(&b, "", 0);
		if (b.oom) {
			rc = berth_err_set(err, -ENOMEM, "out of memory");
			goto fail;
		}
		*one = b.s;
		return 0;
	}
	for (;;) {
		while (isspace((unsigned char)*l.p))
			l.p++;
		if (*l.p == '\0')
			break;
		memset(&b, 0, sizeof(b));
		if ((rc = lex_word(&l, &b, NULL)) < 0)
			goto fail;
		if ((grown = realloc(v, (n + 2) * sizeof(*v))) == NULL) {
			rc = berth_err_set(err, -ENOMEM, "out of memory");
			goto fail;
		}
		v = grown;
		v[n++] = b.s;
		v[n] = NULL;
		b.s = NULL;
	}
	if (v == NULL && (v = calloc(1, sizeof(*v))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	*words = v;
	return 0;
fail:
	free(b.s);
	bld_words_free(v);
	return rc;
}
