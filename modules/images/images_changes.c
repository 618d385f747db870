/*
 * images_changes.c - `docker import --change` and `commit --change`:
 * Dockerfile instructions applied to a container Config, as the
 * builder's BuildFromConfig does.  Valid: CMD, ENTRYPOINT, ENV, EXPOSE,
 * HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR.
 *
 * Words are split the Dockerfile way (quotes kept), then each word is
 * expanded the shell-lexer way ($VAR, ${VAR:-x}, quotes removed) with
 * the config's Env, as the builder expands ENV, LABEL, EXPOSE, USER,
 * VOLUME, WORKDIR and STOPSIGNAL.  CMD and ENTRYPOINT are not expanded.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "images.h"

#define ESCAPE	'\\'

struct words {
	char	**v;
	size_t	  n;
};

/* A growing string. */
struct sbuf {
	char	*s;
	size_t	 len;
	size_t	 cap;
	int	 oom;
};

static void
sb_addn(struct sbuf *b, const char *s, size_t n)
{
	char	*grown;
	size_t	 cap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = (b->len + n + 1) * 2;
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
sb_addc(struct sbuf *b, char c)
{
	sb_addn(b, &c, 1);
}

/* The string built, or "" if nothing; the caller frees. */
static char *
sb_take(struct sbuf *b)
{
	char	*s = b->s;

	if (b->oom) {
		free(s);
		return NULL;
	}
	if (s == NULL)
		s = strdup("");
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

static void
words_free(struct words *w)
{
	size_t	i;

	for (i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	w->v = NULL;
	w->n = 0;
}

static int
words_add(struct words *w, char *s)
{
	char	**grown;

	if (s == NULL)
		return -ENOMEM;
	if ((grown = realloc(w->v, (w->n + 1) * sizeof(*w->v))) == NULL) {
		free(s);
		return -ENOMEM;
	}
	w->v = grown;
	w->v[w->n++] = s;
	return 0;
}

/* parseWords: split on blanks, keeping quotes and escapes in the words. */
static int
split_words(const char *s, struct words *w)
{
	struct sbuf	 b = { 0 };
	char		 quote = 0;
	int		 inword = 0, blank_ok = 0, rc = 0;

	for (; *s != '\0' && rc == 0; s++) {
		if (quote != 0) {
			if (*s == quote)
				quote = 0;
			else if (*s == ESCAPE && quote != '\'') {
				if (s[1] == '\0')
					continue;
				sb_addc(&b, *s++);
			}
			sb_addc(&b, *s);
			continue;
		}
		if (isspace((unsigned char)*s)) {
			if (inword && (blank_ok || b.len > 0))
				rc = words_add(w, sb_take(&b));
			inword = blank_ok = 0;
			continue;
		}
		inword = 1;
		if (*s == '\'' || *s == '"') {
			quote = *s;
			blank_ok = 1;
		} else if (*s == ESCAPE) {
			if (s[1] == '\0')
				continue;
			sb_addc(&b, *s++);
		}
		sb_addc(&b, *s);
	}
	if (rc == 0 && inword && (blank_ok || b.len > 0))
		rc = words_add(w, sb_take(&b));
	free(b.s);
	return rc;
}

static const char *
env_get(json_object *config, const char *name, size_t n)
{
	json_object	*env = berth_json_get(config, "Env");
	const char	*e;
	size_t		 i, len;

	len = env ? json_object_array_length(env) : 0;
	for (i = 0; i < len; i++) {
		e = json_object_get_string(json_object_array_get_idx(env, i));
		if (e != NULL && strncmp(e, name, n) == 0 && e[n] == '=')
			return e + n + 1;
	}
	return NULL;
}

static int
name_char(int c)
{
	return isalnum(c) || c == '_';
}

/* After a '$': expand a variable at *sp into b; the shell lexer's rules. */
static int
expand_var(const char **sp, json_object *config, struct sbuf *b,
    struct berth_err *err)
{
	const char	*s = *sp, *name, *val, *word;
	size_t		 n, wn;
	char		 mod = 0;

	if (*s == '{') {
		s++;
		name = s;
		while (name_char((unsigned char)*s))
			s++;
		n = (size_t)(s - name);
		if (n == 0)
			return berth_err_set(err, -EINVAL,
			    "missing ':' in substitution");
		word = NULL;
		wn = 0;
		if (*s == ':') {
			mod = s[1];
			if (mod != '-' && mod != '+')
				return berth_err_set(err, -EINVAL,
				    "unsupported modifier (%c) in substitution",
				    mod ? mod : ' ');
			s += 2;
			word = s;
			while (*s != '\0' && *s != '}')
				s++;
			wn = (size_t)(s - word);
		}
		if (*s != '}')
			return berth_err_set(err, -EINVAL,
			    "missing '}' in substitution");
		s++;
		val = env_get(config, name, n);
		if (mod == '-' && (val == NULL || *val == '\0'))
			sb_addn(b, word, wn);
		else if (mod == '+') {
			if (val != NULL && *val != '\0')
				sb_addn(b, word, wn);
		} else if (val != NULL)
			sb_addn(b, val, strlen(val));
		*sp = s;
		return 0;
	}
	name = s;
	while (name_char((unsigned char)*s))
		s++;
	if (s == name) {
		sb_addc(b, '$');
		return 0;
	}
	if ((val = env_get(config, name, (size_t)(s - name))) != NULL)
		sb_addn(b, val, strlen(val));
	*sp = s;
	return 0;
}

/*
 * ProcessWord (split = 0) or ProcessWords (split = 1): quotes removed,
 * escapes applied, variables expanded.
 */
static int
expand(const char *s, json_object *config, int split, struct words *out,
    struct berth_err *err)
{
	struct sbuf	b = { 0 };
	int		rc = 0, have = 0;

	while (*s != '\0' && rc == 0) {
		if (*s == ESCAPE) {
			if (s[1] != '\0')
				sb_addc(&b, s[1]), s += 2;
			else
				s++;
			have = 1;
		} else if (*s == '\'') {
			for (s++; *s != '\0' && *s != '\''; s++)
				sb_addc(&b, *s);
			if (*s == '\0')
				rc = berth_err_set(err, -EINVAL,
				    "unexpected end of statement while looking "
				    "for matching single-quote");
			else
				s++;
			have = 1;
		} else if (*s == '"') {
			for (s++; *s != '\0' && *s != '"' && rc == 0;) {
				if (*s == ESCAPE && (s[1] == '"' ||
				    s[1] == '$' || s[1] == ESCAPE)) {
					sb_addc(&b, s[1]);
					s += 2;
				} else if (*s == '$') {
					s++;
					rc = expand_var(&s, config, &b, err);
				} else
					sb_addc(&b, *s++);
			}
			if (rc == 0 && *s == '\0')
				rc = berth_err_set(err, -EINVAL,
				    "unexpected end of statement while looking "
				    "for matching double-quote");
			else if (rc == 0)
				s++;
			have = 1;
		} else if (*s == '$') {
			s++;
			rc = expand_var(&s, config, &b, err);
			have = 1;
		} else if (split && isspace((unsigned char)*s)) {
			if (have || b.len > 0)
				rc = words_add(out, sb_take(&b));
			have = 0;
			s++;
		} else {
			sb_addc(&b, *s++);
			have = 1;
		}
	}
	if (rc == 0 && (!split || have || b.len > 0))
		rc = words_add(out, sb_take(&b));
	free(b.s);
	if (rc == -ENOMEM)
		berth_err_set(err, rc, "out of memory");
	return rc;
}

/* One word, expanded; the caller frees. */
static char *
expand_one(const char *s, json_object *config, struct berth_err *err)
{
	struct words	 w = { 0 };
	char		*r;

	if (expand(s, config, 0, &w, err) < 0 || w.n != 1) {
		words_free(&w);
		return NULL;
	}
	r = w.v[0];
	w.v[0] = NULL;
	words_free(&w);
	return r;
}

/* A JSON array of strings ("exec form"), or NULL. */
static json_object *
parse_json_list(const char *rest)
{
	json_object	*j;
	size_t		 i;

	while (isspace((unsigned char)*rest))
		rest++;
	if (*rest != '[')
		return NULL;
	if ((j = json_tokener_parse(rest)) == NULL)
		return NULL;
	if (!json_object_is_type(j, json_type_array))
		goto no;
	for (i = 0; i < json_object_array_length(j); i++)
		if (!json_object_is_type(json_object_array_get_idx(j, i),
		    json_type_string))
			goto no;
	return j;
no:
	json_object_put(j);
	return NULL;
}

static json_object *
string_list(const char *const *v, size_t n)
{
	json_object	*a = json_object_new_array();
	size_t		 i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

/* CMD and ENTRYPOINT: exec form, or ["/bin/sh", "-c", rest]. */
static json_object *
command_form(const char *rest)
{
	json_object	*j;
	const char	*sh[3] = { "/bin/sh", "-c", rest };

	if ((j = parse_json_list(rest)) != NULL)
		return j;
	return string_list(sh, 3);
}

static void
config_set(json_object *config, const char *key, json_object *v)
{
	json_object_object_add(config, key, v);
}

static json_object *
config_map(json_object *config, const char *key)
{
	json_object	*m;

	if (json_object_object_get_ex(config, key, &m) &&
	    json_object_is_type(m, json_type_object))
		return m;
	m = json_object_new_object();
	config_set(config, key, m);
	return m;
}

static void
env_set(json_object *config, const char *key, const char *value)
{
	json_object	*env, *na;
	const char	*e;
	size_t		 i, n, klen = strlen(key);
	char		*kv;
	int		 replaced = 0;

	if (asprintf(&kv, "%s=%s", key, value) < 0)
		return;
	na = json_object_new_array();
	env = berth_json_get(config, "Env");
	n = env && json_object_is_type(env, json_type_array) ?
	    json_object_array_length(env) : 0;
	for (i = 0; i < n; i++) {
		e = json_object_get_string(json_object_array_get_idx(env, i));
		if (e == NULL)
			continue;
		if (strncmp(e, key, klen) == 0 && e[klen] == '=') {
			if (!replaced)
				json_object_array_add(na,
				    json_object_new_string(kv));
			replaced = 1;
		} else
			json_object_array_add(na, json_object_new_string(e));
	}
	if (!replaced)
		json_object_array_add(na, json_object_new_string(kv));
	free(kv);
	config_set(config, "Env", na);
}

/* ENV and LABEL: "k=v k2=v2" or the legacy "k some value". */
static int
key_values(const char *cmd, const char *rest, json_object *config,
    void (*set)(json_object *, const char *, const char *),
    struct berth_err *err)
{
	struct words	 w = { 0 };
	char		*k = NULL, *v = NULL, *eq, *legacy_key;
	const char	*p;
	size_t		 i;
	int		 rc;

	if ((rc = split_words(rest, &w)) < 0)
		return berth_err_set(err, rc, "out of memory");
	if (w.n == 0) {
		words_free(&w);
		return berth_err_set(err, -EINVAL,
		    "%s requires at least one argument", cmd);
	}
	if (strchr(w.v[0], '=') == NULL) {
		for (p = rest; *p != '\0' && !isspace((unsigned char)*p); p++)
			;
		legacy_key = strndup(rest, (size_t)(p - rest));
		while (isspace((unsigned char)*p))
			p++;
		words_free(&w);
		if (legacy_key == NULL)
			return berth_err_set(err, -ENOMEM, "out of memory");
		if (*p == '\0') {
			free(legacy_key);
			return berth_err_set(err, -EINVAL,
			    "%s must have two arguments", cmd);
		}
		rc = -EINVAL;
		if ((k = expand_one(legacy_key, config, err)) != NULL &&
		    (v = expand_one(p, config, err)) != NULL) {
			set(config, k, v);
			rc = 0;
		}
		free(legacy_key);
		goto out;
	}
	for (i = 0; i < w.n; i++) {
		if ((eq = strchr(w.v[i], '=')) == NULL) {
			rc = berth_err_set(err, -EINVAL, "Syntax error - can't "
			    "find = in \"%s\". Must be of the form: name=value",
			    w.v[i]);
			goto out;
		}
		*eq = '\0';
		if ((k = expand_one(w.v[i], config, err)) == NULL ||
		    (v = expand_one(eq + 1, config, err)) == NULL) {
			rc = err->code ? err->code : -EINVAL;
			goto out;
		}
		if (*k == '\0') {
			rc = berth_err_set(err, -EINVAL,
			    "%s names can not be blank", cmd);
			goto out;
		}
		set(config, k, v);
		free(k);
		free(v);
		k = v = NULL;
	}
	rc = 0;
out:
	free(k);
	free(v);
	words_free(&w);
	return rc;
}

static void
label_set(json_object *config, const char *key, const char *value)
{
	json_object_object_add(config_map(config, "Labels"), key,
	    json_object_new_string(value));
}

static int
port_number(const char *s, size_t n, long *out)
{
	char	buf[16], *end;
	long	v;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	v = strtol(buf, &end, 10);
	if (*end != '\0' || v < 0 || v > 65535)
		return -1;
	*out = v;
	return 0;
}

/* nat.ParsePortSpec, for the container side: port[-end][/proto]. */
static int
expose_one(json_object *ports, const char *spec, struct berth_err *err)
{
	const char	*slash, *colon, *dash, *p = spec;
	char		 proto[16], key[32];
	long		 lo, hi, i;
	size_t		 n;

	if ((colon = strrchr(spec, ':')) != NULL)
		p = colon + 1;
	slash = strchr(p, '/');
	snprintf(proto, sizeof(proto), "%s", slash ? slash + 1 : "tcp");
	for (i = 0; proto[i] != '\0'; i++)
		proto[i] = (char)tolower((unsigned char)proto[i]);
	if (proto[0] == '\0')
		snprintf(proto, sizeof(proto), "tcp");
	n = slash ? (size_t)(slash - p) : strlen(p);
	dash = memchr(p, '-', n);
	if (dash == NULL) {
		if (port_number(p, n, &lo) < 0)
			goto bad;
		hi = lo;
	} else if (port_number(p, (size_t)(dash - p), &lo) < 0 ||
	    port_number(dash + 1, n - (size_t)(dash - p) - 1, &hi) < 0 ||
	    hi < lo)
		goto bad;
	for (i = lo; i <= hi; i++) {
		snprintf(key, sizeof(key), "%ld/%s", i, proto);
		json_object_object_add(ports, key, json_object_new_object());
	}
	return 0;
bad:
	return berth_err_set(err, -EINVAL, "Invalid containerPort: %.*s",
	    (int)n, p);
}

static int
valid_signal(const char *s)
{
	static const char *const names[] = {
		"HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "IOT", "BUS",
		"FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM",
		"STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU",
		"URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO",
		"POLL", "PWR", "SYS", "RTMIN", "RTMAX",
	};
	char	*end;
	long	 v;
	size_t	 i;

	v = strtol(s, &end, 10);
	if (*s != '\0' && *end == '\0')
		return v > 0 && v <= 64;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i]) == 0)
			return 1;
	return 0;
}

static int
healthcheck(json_object *config, const char *rest, struct berth_err *err)
{
	static const char *const flags[] = {
		"interval", "timeout", "start-period", "retries"
	};
	static const char *const keys[] = {
		"Interval", "Timeout", "StartPeriod", "Retries"
	};
	json_object	*hc, *test, *cmd;
	const char	*p = rest, *v, *end;
	char		 flag[32], val[64];
	int64_t		 nums[4] = { 0, 0, 0, 0 }, ns;
	size_t		 i, n;
	char		*rend;
	int		 set[4] = { 0, 0, 0, 0 }, nflags = 0;

	while (isspace((unsigned char)*p))
		p++;
	while (strncmp(p, "--", 2) == 0) {
		for (end = p; *end != '\0' && !isspace((unsigned char)*end);
		    end++)
			;
		if ((v = memchr(p, '=', (size_t)(end - p))) == NULL)
			return berth_err_set(err, -EINVAL,
			    "missing a value on flag: %.*s", (int)(end - p), p);
		snprintf(flag, sizeof(flag), "%.*s", (int)(v - p - 2), p + 2);
		snprintf(val, sizeof(val), "%.*s", (int)(end - v - 1), v + 1);
		for (i = 0; i < 4 && strcmp(flag, flags[i]) != 0; i++)
			;
		if (i == 4)
			return berth_err_set(err, -EINVAL,
			    "Unknown flag: %s", flag);
		if (i == 3) {
			nums[i] = strtoll(val, &rend, 10);
			if (*val == '\0' || *rend != '\0')
				return berth_err_set(err, -EINVAL,
				    "invalid argument \"%s\" for --retries",
				    val);
			if (nums[i] < 0)
				return berth_err_set(err, -EINVAL,
				    "--retries cannot be negative (%lld)",
				    (long long)nums[i]);
		} else {
			if (berth_duration_parse(val, &ns) < 0)
				return berth_err_set(err, -EINVAL,
				    "time: invalid duration \"%s\"", val);
			if (ns != 0 && ns < 1000000)
				return berth_err_set(err, -EINVAL,
				    "%s cannot be less than 1ms", flag);
			nums[i] = ns;
		}
		set[i] = 1;
		nflags++;
		for (p = end; isspace((unsigned char)*p); p++)
			;
	}
	for (n = 0; p[n] != '\0' && !isspace((unsigned char)p[n]); n++)
		;
	hc = json_object_new_object();
	if (n == 4 && strncasecmp(p, "NONE", 4) == 0) {
		if (p[n] != '\0' || nflags > 0) {
			json_object_put(hc);
			return berth_err_set(err, -EINVAL,
			    "HEALTHCHECK NONE takes no arguments");
		}
		test = json_object_new_array();
		json_object_array_add(test, json_object_new_string("NONE"));
		json_object_object_add(hc, "Test", test);
	} else if (n == 3 && strncasecmp(p, "CMD", 3) == 0) {
		for (p += n; isspace((unsigned char)*p); p++)
			;
		if ((cmd = parse_json_list(p)) != NULL) {
			test = json_object_new_array();
			json_object_array_add(test,
			    json_object_new_string("CMD"));
			for (i = 0; i < json_object_array_length(cmd); i++)
				json_object_array_add(test,
				    json_object_get(
				    json_object_array_get_idx(cmd, i)));
			json_object_put(cmd);
		} else {
			test = json_object_new_array();
			json_object_array_add(test,
			    json_object_new_string("CMD-SHELL"));
			json_object_array_add(test, json_object_new_string(p));
		}
		json_object_object_add(hc, "Test", test);
		for (i = 0; i < 4; i++)
			if (set[i] && nums[i] != 0)
				json_object_object_add(hc, keys[i],
				    json_object_new_int64(nums[i]));
	} else {
		json_object_put(hc);
		return berth_err_set(err, -EINVAL,
		    "Unknown type \"%.*s\" in HEALTHCHECK (try CMD)", (int)n,
		    p);
	}
	config_set(config, "Healthcheck", hc);
	return 0;
}

/* One instruction; *cmd_set remembers a CMD for ENTRYPOINT's rule. */
static int
dispatch(json_object *config, const char *cmd, const char *rest,
    int *cmd_set, struct berth_err *err)
{
	struct words	 w = { 0 };
	json_object	*j, *m, *onbuild, *na;
	char		*v, *cur, *joined;
	const char	*wd;
	size_t		 i, n;
	int		 rc = 0;

	if (strcmp(cmd, "cmd") == 0) {
		config_set(config, "Cmd", command_form(rest));
		*cmd_set = 1;
	} else if (strcmp(cmd, "entrypoint") == 0) {
		config_set(config, "Entrypoint", command_form(rest));
		if (!*cmd_set)
			config_set(config, "Cmd", NULL);
	} else if (strcmp(cmd, "env") == 0) {
		rc = key_values("ENV", rest, config, env_set, err);
	} else if (strcmp(cmd, "label") == 0) {
		rc = key_values("LABEL", rest, config, label_set, err);
	} else if (strcmp(cmd, "expose") == 0) {
		if ((rc = expand(rest, config, 1, &w, err)) < 0)
			return rc;
		if (w.n == 0)
			rc = berth_err_set(err, -EINVAL,
			    "EXPOSE requires at least one argument");
		m = rc == 0 ? config_map(config, "ExposedPorts") : NULL;
		for (i = 0; rc == 0 && i < w.n; i++)
			rc = expose_one(m, w.v[i], err);
	} else if (strcmp(cmd, "volume") == 0) {
		if ((j = parse_json_list(rest)) != NULL) {
			for (i = 0; i < json_object_array_length(j); i++)
				words_add(&w, strdup(json_object_get_string(
				    json_object_array_get_idx(j, i))));
			json_object_put(j);
		} else if ((rc = expand(rest, config, 1, &w, err)) < 0)
			return rc;
		if (w.n == 0)
			rc = berth_err_set(err, -EINVAL,
			    "VOLUME requires at least one argument");
		m = rc == 0 ? config_map(config, "Volumes") : NULL;
		for (i = 0; rc == 0 && i < w.n; i++) {
			if (*w.v[i] == '\0')
				rc = berth_err_set(err, -EINVAL,
				    "VOLUME specified can not be an empty "
				    "string");
			else
				json_object_object_add(m, w.v[i],
				    json_object_new_object());
		}
	} else if (strcmp(cmd, "user") == 0 || strcmp(cmd, "workdir") == 0 ||
	    strcmp(cmd, "stopsignal") == 0) {
		if ((rc = split_words(rest, &w)) < 0)
			return berth_err_set(err, rc, "out of memory");
		if (w.n != 1) {
			words_free(&w);
			rc = berth_err_set(err, -EINVAL,
			    "%s requires exactly one argument",
			    strcmp(cmd, "user") == 0 ? "USER" :
			    strcmp(cmd, "workdir") == 0 ? "WORKDIR" :
			    "STOPSIGNAL");
			return rc;
		}
		if ((v = expand_one(strcmp(cmd, "workdir") == 0 ? rest :
		    w.v[0], config, err)) == NULL) {
			words_free(&w);
			return err->code ? err->code : -EINVAL;
		}
		if (strcmp(cmd, "user") == 0)
			config_set(config, "User", json_object_new_string(v));
		else if (strcmp(cmd, "stopsignal") == 0) {
			if (!valid_signal(v))
				rc = berth_err_set(err, -EINVAL,
				    "Invalid signal: %s", v);
			else
				config_set(config, "StopSignal",
				    json_object_new_string(v));
		} else if (v[0] == '/')
			config_set(config, "WorkingDir",
			    json_object_new_string(v));
		else {
			/* filepath.Join("/", current, requested) */
			wd = berth_json_str(config, "WorkingDir");
			if (asprintf(&cur, "%s/%s", wd ? wd : "", v) < 0) {
				free(v);
				words_free(&w);
				return berth_err_set(err, -ENOMEM,
				    "out of memory");
			}
			joined = malloc(strlen(cur) + 2);
			if (joined != NULL &&
			    images_path_clean(cur, joined, strlen(cur) + 2, 1) ==
			    0) {
				memmove(joined + 1, joined, strlen(joined) + 1);
				joined[0] = '/';
				config_set(config, "WorkingDir",
				    json_object_new_string(joined));
			} else
				rc = berth_err_set(err, -EINVAL,
				    "cannot normalize %s", v);
			free(joined);
			free(cur);
		}
		free(v);
	} else if (strcmp(cmd, "onbuild") == 0) {
		for (n = 0; rest[n] != '\0' && !isspace((unsigned char)rest[n]);
		    n++)
			;
		if (n == 0)
			return berth_err_set(err, -EINVAL,
			    "ONBUILD requires at least one argument");
		if ((n == 7 && strncasecmp(rest, "ONBUILD", 7) == 0) ||
		    (n == 4 && strncasecmp(rest, "FROM", 4) == 0) ||
		    (n == 10 && strncasecmp(rest, "MAINTAINER", 10) == 0))
			return berth_err_set(err, -EINVAL,
			    "%.*s isn't allowed as an ONBUILD trigger", (int)n,
			    rest);
		na = json_object_new_array();
		onbuild = berth_json_get(config, "OnBuild");
		for (i = 0; onbuild != NULL &&
		    json_object_is_type(onbuild, json_type_array) &&
		    i < json_object_array_length(onbuild); i++)
			json_object_array_add(na, json_object_get(
			    json_object_array_get_idx(onbuild, i)));
		json_object_array_add(na, json_object_new_string(rest));
		config_set(config, "OnBuild", na);
	} else if (strcmp(cmd, "healthcheck") == 0) {
		rc = healthcheck(config, rest, err);
	} else
		rc = berth_err_set(err, -EINVAL,
		    "%s is not a valid change command", cmd);
	words_free(&w);
	return rc;
}

static int
valid_command(const char *cmd)
{
	static const char *const valid[] = {
		"cmd", "entrypoint", "healthcheck", "env", "expose", "label",
		"onbuild", "stopsignal", "user", "volume", "workdir",
	};
	size_t	i;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		if (strcmp(cmd, valid[i]) == 0)
			return 1;
	return 0;
}

/* The Dockerfile's logical lines: continuations joined, comments gone. */
static int
logical_lines(const char *const *changes, size_t n, struct words *out)
{
	struct sbuf	 line = { 0 };
	const char	*p, *nl, *s;
	size_t		 i, len;
	int		 rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		for (p = changes[i]; rc == 0; p = nl + 1) {
			nl = strchr(p, '\n');
			len = nl ? (size_t)(nl - p) : strlen(p);
			for (s = p; s < p + len && isspace((unsigned char)*s);
			    s++)
				;
			if (line.len == 0 && (s == p + len || *s == '#')) {
				if (nl == NULL)
					break;
				continue;
			}
			while (len > 0 && (p[len - 1] == '\r' ||
			    p[len - 1] == ' ' || p[len - 1] == '\t'))
				len--;
			if (len > 0 && p[len - 1] == ESCAPE) {
				sb_addn(&line, p, len - 1);
			} else {
				sb_addn(&line, p, len);
				rc = words_add(out, sb_take(&line));
			}
			if (nl == NULL)
				break;
		}
	}
	if (rc == 0 && line.len > 0)
		rc = words_add(out, sb_take(&line));
	free(line.s);
	return rc;
}

int
images_changes_apply(json_object *config, const char *const *changes,
    size_t n, struct berth_err *err)
{
	struct words	 lines = { 0 };
	char		 cmd[32];
	const char	*p, *rest;
	size_t		 i, k, len;
	int		 rc, pass, cmd_set = 0;

	if ((rc = logical_lines(changes, n, &lines)) < 0)
		return berth_err_set(err, rc, "out of memory");
	/* Like the builder: every command is checked before any runs. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < lines.n; i++) {
			for (p = lines.v[i]; isspace((unsigned char)*p); p++)
				;
			for (len = 0; p[len] != '\0' &&
			    !isspace((unsigned char)p[len]); len++)
				;
			for (k = 0; k < len && k < sizeof(cmd) - 1; k++)
				cmd[k] = (char)tolower((unsigned char)p[k]);
			cmd[k] = '\0';
			for (rest = p + len; isspace((unsigned char)*rest);
			    rest++)
				;
			if (pass == 0 && !valid_command(cmd)) {
				rc = berth_err_set(err, -EINVAL,
				    "%s is not a valid change command", cmd);
				goto out;
			}
			if (pass == 1 && (rc = dispatch(config, cmd, rest,
			    &cmd_set, err)) < 0)
				goto out;
		}
	}
	rc = 0;
out:
	words_free(&lines);
	return rc;
}

json_object *
images_config_new(void)
{
	static const char *const strings[] = {
		"Hostname", "Domainname", "User",
	};
	static const char *const bools[] = {
		"AttachStdin", "AttachStdout", "AttachStderr", "Tty",
		"OpenStdin", "StdinOnce",
	};
	json_object	*c = json_object_new_object();
	size_t		 i;

	for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		json_object_object_add(c, strings[i], json_object_new_string(""));
	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
		json_object_object_add(c, bools[i],
		    json_object_new_boolean(0));
	json_object_object_add(c, "Env", NULL);
	json_object_object_add(c, "Cmd", NULL);
	json_object_object_add(c, "Image", json_object_new_string(""));
	json_object_object_add(c, "Volumes", NULL);
	json_object_object_add(c, "WorkingDir", json_object_new_string(""));
	json_object_object_add(c, "Entrypoint", NULL);
	json_object_object_add(c, "OnBuild", NULL);
	json_object_object_add(c, "Labels", NULL);
	return c;
}

/* Go's field order for container.Config, "omitempty" ones when set. */
json_object *
images_config_canonical(json_object *in)
{
	static const struct {
		const char	*key;
		int		 omitempty;
	} fields[] = {
		{ "Hostname", 0 }, { "Domainname", 0 }, { "User", 0 },
		{ "AttachStdin", 0 }, { "AttachStdout", 0 },
		{ "AttachStderr", 0 }, { "ExposedPorts", 1 }, { "Tty", 0 },
		{ "OpenStdin", 0 }, { "StdinOnce", 0 }, { "Env", 0 },
		{ "Cmd", 0 }, { "Healthcheck", 1 }, { "ArgsEscaped", 1 },
		{ "Image", 0 }, { "Volumes", 0 }, { "WorkingDir", 0 },
		{ "Entrypoint", 0 }, { "NetworkDisabled", 1 },
		{ "MacAddress", 1 }, { "OnBuild", 0 }, { "Labels", 0 },
		{ "StopSignal", 1 }, { "StopTimeout", 1 }, { "Shell", 1 },
	};
	json_object	*out = json_object_new_object(), *v;
	size_t		 i;
	int		 known;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!json_object_object_get_ex(in, fields[i].key, &v)) {
			if (!fields[i].omitempty)
				json_object_object_add(out, fields[i].key,
				    NULL);
			continue;
		}
		if (fields[i].omitempty && (v == NULL ||
		    (json_object_is_type(v, json_type_boolean) &&
		    !json_object_get_boolean(v)) ||
		    (json_object_is_type(v, json_type_string) &&
		    json_object_get_string_len(v) == 0) ||
		    (json_object_is_type(v, json_type_object) &&
		    json_object_object_length(v) == 0)))
			continue;
		json_object_object_add(out, fields[i].key, json_object_get(v));
	}
	json_object_object_foreach(in, key, val) {
		known = 0;
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strcmp(key, fields[i].key) == 0)
				known = 1;
		if (!known)
			json_object_object_add(out, key, json_object_get(val));
	}
	return out;
}
