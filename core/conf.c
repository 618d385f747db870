/*
 * conf.c - engine.yaml.
 *
 * Two passes.  The first turns libyaml's events into a small tree of
 * nodes that remember where they started, refusing on the way what we
 * never want to interpret (aliases, anchors, tags, a second document,
 * duplicate keys, deep nesting).  The second walks that tree against the
 * schema of conf.h, so that each error can point at the node at fault.
 * A module's `config:` subtree is handed on as json-c, still untyped,
 * until conf_check_keys knows what the module declared.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "conf.h"

/* A config file is a few hundred bytes; anything near this is a mistake. */
#define CONF_MAX_SIZE		(1024 * 1024)
#define CONF_MAX_DEPTH		64
#define CONF_DEFAULT_AUTHZ_TIMEOUT	30

enum node_type {
	NODE_SCALAR,
	NODE_SEQ,
	NODE_MAP,
};

struct node {
	enum node_type	  type;
	struct conf_mark  mark;
	int		  plain;	/* unquoted scalar, for null */
	char		 *str;		/* scalar text, NUL-free */
	size_t		  len;
	/* Sequence items; a mapping's keys and values alternate. */
	struct node	**kids;
	size_t		  nkids;
	size_t		  cap;
};

struct frame {
	struct node	*node;
	json_object	*seen;		/* a mapping's keys so far */
};

struct builder {
	const char	*file;
	const char	*text;
	size_t		 len;
	struct node	*root;
	struct frame	 stack[CONF_MAX_DEPTH];
	int		 depth;
	int		 ndocs;
};

__attribute__((format(printf, 4, 5)))
static int
conf_errat(struct berth_err *err, const char *file,
    const struct conf_mark *mk, const char *fmt, ...)
{
	char	 what[BERTH_ERR_MSGLEN];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return berth_err_set(err, -EINVAL, "%s:%d:%d: %s", file, mk->line,
	    mk->col, what);
}

static struct conf_mark
mark_of(yaml_mark_t m)
{
	struct conf_mark	 mk;

	mk.line = m.line > INT_MAX - 1 ? INT_MAX : (int)m.line + 1;
	mk.col = m.column > INT_MAX - 1 ? INT_MAX : (int)m.column + 1;
	return mk;
}

static void
node_free(struct node *n)
{
	size_t	 i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

static int
node_is_null(const struct node *n)
{
	if (n->type != NODE_SCALAR || !n->plain)
		return 0;
	return n->len == 0 || strcmp(n->str, "~") == 0 ||
	    strcmp(n->str, "null") == 0 || strcmp(n->str, "Null") == 0 ||
	    strcmp(n->str, "NULL") == 0;
}

static const char *
node_what(const struct node *n)
{
	switch (n->type) {
	case NODE_SEQ:
		return "a list";
	case NODE_MAP:
		return "a mapping";
	default:
		return node_is_null(n) ? "empty" : "a scalar";
	}
}

static int
node_add_kid(struct node *parent, struct node *kid)
{
	struct node	**kids;
	size_t		  cap;

	if (parent->nkids == parent->cap) {
		cap = parent->cap == 0 ? 8 : parent->cap * 2;
		kids = reallocarray(parent->kids, cap, sizeof(*kids));
		if (kids == NULL)
			return -ENOMEM;
		parent->kids = kids;
		parent->cap = cap;
	}
	parent->kids[parent->nkids++] = kid;
	return 0;
}

/* Where a reader error's byte offset falls: libyaml gives no mark. */
static struct conf_mark
offset_mark(const char *text, size_t len, size_t off)
{
	struct conf_mark	 mk = { 1, 1 };
	size_t			 i;

	for (i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			mk.line++;
			mk.col = 1;
		} else
			mk.col++;
	}
	return mk;
}

/* Whether line (0-based) of text is indented with a tab. */
static int
tab_indents(const char *text, size_t len, size_t line)
{
	size_t	 i = 0;

	for (; line > 0 && i < len; i++)
		if (text[i] == '\n')
			line--;
	for (; i < len && (text[i] == ' ' || text[i] == '\t'); i++)
		if (text[i] == '\t')
			return 1;
	return 0;
}

static int
syntax_error(struct builder *b, yaml_parser_t *p, struct berth_err *err)
{
	struct conf_mark	 mk, ck;
	const char		*problem, *tab = "";

	if (p->error == YAML_MEMORY_ERROR)
		return berth_err_set(err, -ENOMEM, "%s: out of memory",
		    b->file);
	problem = p->problem != NULL ? p->problem : "invalid YAML";
	if (p->error == YAML_READER_ERROR) {
		mk = offset_mark(b->text, b->len, p->problem_offset);
		return conf_errat(err, b->file, &mk, "%s", problem);
	}
	mk = mark_of(p->problem_mark);
	/* libyaml's words for a tab are obscure; tabs are common. */
	if (tab_indents(b->text, b->len, p->problem_mark.line))
		tab = "; YAML indents with spaces, not tabs";
	if (p->context == NULL)
		return conf_errat(err, b->file, &mk, "%s%s", problem, tab);
	ck = mark_of(p->context_mark);
	return conf_errat(err, b->file, &mk, "%s (%s at %d:%d)%s", problem,
	    p->context, ck.line, ck.col, tab);
}

/*
 * Anchors and aliases would let one small file expand into a huge tree,
 * and tags would ask for types we do not have: refuse them outright.
 */
static int
check_props(struct builder *b, const yaml_event_t *ev, const char *anchor,
    const char *tag, struct berth_err *err)
{
	struct conf_mark	 mk = mark_of(ev->start_mark);

	if (anchor != NULL)
		return conf_errat(err, b->file, &mk,
		    "YAML anchors ('&%s') are not supported", anchor);
	if (tag != NULL)
		return conf_errat(err, b->file, &mk,
		    "YAML tags ('%s') are not supported", tag);
	return 0;
}

/* Hang n under the innermost open collection, or make it the root. */
static int
attach(struct builder *b, struct node *n, struct berth_err *err)
{
	struct frame	*f;
	json_object	*dummy;
	int		 rc;

	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	if (f->node->type == NODE_MAP && f->node->nkids % 2 == 0) {
		if (n->type != NODE_SCALAR) {
			rc = conf_errat(err, b->file, &n->mark,
			    "mapping keys must be plain strings, not %s",
			    node_what(n));
			goto fail;
		}
		if (json_object_object_get_ex(f->seen, n->str, &dummy)) {
			rc = conf_errat(err, b->file, &n->mark,
			    "duplicate key '%s'", n->str);
			goto fail;
		}
		if (json_object_object_add(f->seen, n->str, NULL) != 0)
			goto nomem;
	}
	if (node_add_kid(f->node, n) != 0)
		goto nomem;
	return 0;
nomem:
	rc = berth_err_set(err, -ENOMEM, "%s: out of memory", b->file);
fail:
	node_free(n);
	return rc;
}

static int
on_scalar(struct builder *b, const yaml_event_t *ev, struct berth_err *err)
{
	struct node	*n;
	const char	*v = (const char *)ev->data.scalar.value;
	size_t		 len = ev->data.scalar.length;
	int		 rc;

	rc = check_props(b, ev, (const char *)ev->data.scalar.anchor,
	    (const char *)ev->data.scalar.tag, err);
	if (rc != 0)
		return rc;
	if (memchr(v, '\0', len) != NULL) {
		struct conf_mark mk = mark_of(ev->start_mark);

		return conf_errat(err, b->file, &mk,
		    "NUL character in a string");
	}
	if ((n = calloc(1, sizeof(*n))) == NULL ||
	    (n->str = strndup(v, len)) == NULL) {
		free(n);
		return berth_err_set(err, -ENOMEM, "%s: out of memory",
		    b->file);
	}
	n->type = NODE_SCALAR;
	n->len = len;
	n->mark = mark_of(ev->start_mark);
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	return attach(b, n, err);
}

static int
on_start(struct builder *b, const yaml_event_t *ev, enum node_type type,
    struct berth_err *err)
{
	struct node		*n;
	struct frame		*f;
	struct conf_mark	 mk = mark_of(ev->start_mark);
	const char		*anchor, *tag;
	int			 rc;

	if (type == NODE_MAP) {
		anchor = (const char *)ev->data.mapping_start.anchor;
		tag = (const char *)ev->data.mapping_start.tag;
	} else {
		anchor = (const char *)ev->data.sequence_start.anchor;
		tag = (const char *)ev->data.sequence_start.tag;
	}
	if ((rc = check_props(b, ev, anchor, tag, err)) != 0)
		return rc;
	if (b->depth == CONF_MAX_DEPTH)
		return conf_errat(err, b->file, &mk,
		    "nested deeper than %d levels", CONF_MAX_DEPTH);
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return berth_err_set(err, -ENOMEM, "%s: out of memory",
		    b->file);
	n->type = type;
	n->mark = mk;
	if ((rc = attach(b, n, err)) != 0)
		return rc;
	/* Attached, n now belongs to the tree; the frame only borrows it. */
	f = &b->stack[b->depth];
	f->node = n;
	f->seen = NULL;
	if (type == NODE_MAP && (f->seen = json_object_new_object()) == NULL)
		return berth_err_set(err, -ENOMEM, "%s: out of memory",
		    b->file);
	b->depth++;
	return 0;
}

static void
on_end(struct builder *b)
{
	struct frame	*f;

	if (b->depth == 0)
		return;
	f = &b->stack[--b->depth];
	json_object_put(f->seen);
	f->seen = NULL;
}

static int
on_event(struct builder *b, const yaml_event_t *ev, struct berth_err *err)
{
	struct conf_mark	 mk = mark_of(ev->start_mark);

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->ndocs > 1)
			return conf_errat(err, b->file, &mk,
			    "only one YAML document is allowed");
		return 0;
	case YAML_ALIAS_EVENT:
		return conf_errat(err, b->file, &mk,
		    "YAML aliases ('*%s') are not supported",
		    (const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev, err);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(b, ev, NODE_SEQ, err);
	case YAML_MAPPING_START_EVENT:
		return on_start(b, ev, NODE_MAP, err);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		on_end(b);
		return 0;
	default:
		return 0;
	}
}

/* Parse text into b->root (NULL for an empty stream). */
static int
build(struct builder *b, struct berth_err *err)
{
	yaml_parser_t	 p;
	yaml_event_t	 ev;
	int		 rc = 0, done = 0;

	if (!yaml_parser_initialize(&p))
		return berth_err_set(err, -ENOMEM, "%s: out of memory",
		    b->file);
	yaml_parser_set_input_string(&p, (const unsigned char *)b->text,
	    b->len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = syntax_error(b, &p, err);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(b, &ev, err);
		yaml_event_delete(&ev);
		if (rc != 0)
			break;
	}
	yaml_parser_delete(&p);
	while (b->depth > 0)
		on_end(b);
	if (rc != 0) {
		node_free(b->root);
		b->root = NULL;
	}
	return rc;
}

/* Schema helpers. */

static int
parse_bool(const char *s, int *out)
{
	static const char	*yes[] = { "true", "yes", "on" };
	static const char	*no[] = { "false", "no", "off" };
	size_t			 i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* Decimal, whole string, no surrounding space: "12abc" is not 12. */
static int
parse_int64(const char *s, int64_t *out)
{
	char		*end;
	long long	 v;

	if (*s != '-' && *s != '+' && (*s < '0' || *s > '9'))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int
module_name_ok(const char *s)
{
	const char	*p;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return 0;
	for (p = s + 1; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-'))
			return 0;
	return 1;
}

static int
want_scalar(const char *file, const struct node *v, const char *key,
    const char *what, struct berth_err *err)
{
	if (v->type != NODE_SCALAR || node_is_null(v))
		return conf_errat(err, file, &v->mark,
		    "'%s' must be %s, not %s", key, what, node_what(v));
	return 0;
}

static int
get_path(const char *file, const struct node *v, const char *key,
    char **out, struct berth_err *err)
{
	int	 rc;

	if ((rc = want_scalar(file, v, key, "an absolute path", err)) != 0)
		return rc;
	if (v->str[0] != '/')
		return conf_errat(err, file, &v->mark,
		    "'%s' must be an absolute path, not '%s'", key, v->str);
	if ((*out = strdup(v->str)) == NULL)
		return berth_err_set(err, -ENOMEM, "%s: out of memory", file);
	return 0;
}

static void
strv_free(char **v)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* A list of non-empty strings, as a NULL-terminated vector. */
static int
get_strv(const char *file, const struct node *v, const char *key,
    int nonempty, char ***out, struct berth_err *err)
{
	char	**sv;
	size_t	  i;

	if (v->type != NODE_SEQ)
		return conf_errat(err, file, &v->mark,
		    "'%s' must be a list of strings, not %s", key,
		    node_what(v));
	if (nonempty && v->nkids == 0)
		return conf_errat(err, file, &v->mark,
		    "'%s' must not be empty", key);
	if ((sv = calloc(v->nkids + 1, sizeof(*sv))) == NULL)
		return berth_err_set(err, -ENOMEM, "%s: out of memory", file);
	for (i = 0; i < v->nkids; i++) {
		const struct node *it = v->kids[i];

		if (it->type != NODE_SCALAR || it->len == 0) {
			strv_free(sv);
			return conf_errat(err, file, &it->mark,
			    "'%s' must be a list of strings, "
			    "but an entry is %s", key, it->type ==
			    NODE_SCALAR ? "empty" : node_what(it));
		}
		if ((sv[i] = strdup(it->str)) == NULL) {
			strv_free(sv);
			return berth_err_set(err, -ENOMEM,
			    "%s: out of memory", file);
		}
	}
	*out = sv;
	return 0;
}

/* The config subtree as json-c; every scalar stays a string for now. */
static json_object *
to_json(const struct node *n)
{
	json_object	*o, *kid;
	size_t		 i;

	switch (n->type) {
	case NODE_SCALAR:
		return json_object_new_string_len(n->str, (int)n->len);
	case NODE_SEQ:
		if ((o = json_object_new_array_ext((int)n->nkids)) == NULL)
			return NULL;
		for (i = 0; i < n->nkids; i++) {
			if ((kid = to_json(n->kids[i])) == NULL ||
			    json_object_array_add(o, kid) != 0) {
				json_object_put(kid);
				json_object_put(o);
				return NULL;
			}
		}
		return o;
	default:
		if ((o = json_object_new_object()) == NULL)
			return NULL;
		for (i = 0; i + 1 < n->nkids; i += 2) {
			if ((kid = to_json(n->kids[i + 1])) == NULL ||
			    json_object_object_add(o, n->kids[i]->str,
			    kid) != 0) {
				json_object_put(kid);
				json_object_put(o);
				return NULL;
			}
		}
		return o;
	}
}

static int
get_config(const char *file, const struct node *v, struct conf_module *m,
    struct berth_err *err)
{
	size_t	 i, n;

	if (node_is_null(v))
		return 0;	/* `config:` with every key commented out */
	if (v->type != NODE_MAP)
		return conf_errat(err, file, &v->mark,
		    "'config' must be a mapping, not %s", node_what(v));
	json_object_put(m->config.obj);
	if ((m->config.obj = to_json(v)) == NULL)
		goto nomem;
	n = v->nkids / 2;
	if (n == 0)
		return 0;
	if ((m->keys = calloc(n, sizeof(*m->keys))) == NULL ||
	    (m->key_marks = calloc(n, sizeof(*m->key_marks))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		if ((m->keys[i] = strdup(v->kids[2 * i]->str)) == NULL)
			goto nomem;
		m->key_marks[i] = v->kids[2 * i]->mark;
		m->nkeys++;
	}
	return 0;
nomem:
	return berth_err_set(err, -ENOMEM, "%s: out of memory", file);
}

static void
module_clear(struct conf_module *m)
{
	size_t	 i;

	free(m->name);
	free(m->path);
	json_object_put(m->config.obj);
	for (i = 0; i < m->nkeys; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->key_marks);
	memset(m, 0, sizeof(*m));
}

/*
 * One `modules:` entry into m.  seen holds the names and paths of the
 * entries before it, prefixed "n:" and "p:", to catch a module listed
 * twice.
 */
static int
get_module(const char *file, const struct node *e, struct conf_module *m,
    json_object *seen, struct berth_err *err)
{
	const struct node	*k, *v, *name = NULL, *path = NULL;
	json_object		*dummy;
	char			*id;
	size_t			 i;
	int			 rc, dup;

	m->mark = e->mark;
	if ((m->config.obj = json_object_new_object()) == NULL)
		return berth_err_set(err, -ENOMEM, "%s: out of memory", file);
	if (e->type != NODE_MAP)
		return conf_errat(err, file, &e->mark,
		    "a module entry must be a mapping with 'name' or 'path', "
		    "not %s", node_what(e));
	for (i = 0; i + 1 < e->nkids; i += 2) {
		k = e->kids[i];
		v = e->kids[i + 1];
		if (strcmp(k->str, "name") == 0) {
			if ((rc = want_scalar(file, v, "name",
			    "a module name", err)) != 0)
				return rc;
			if (!module_name_ok(v->str))
				return conf_errat(err, file, &v->mark,
				    "invalid module name '%s': a name is "
				    "[a-z0-9-] starting with a letter or "
				    "digit, and is looked up only in the "
				    "module directory (use 'path' for a file "
				    "elsewhere)", v->str);
			name = v;
		} else if (strcmp(k->str, "path") == 0) {
			if ((rc = get_path(file, v, "path", &m->path,
			    err)) != 0)
				return rc;
			path = v;
		} else if (strcmp(k->str, "required") == 0) {
			if ((rc = want_scalar(file, v, "required",
			    "true or false", err)) != 0)
				return rc;
			if (parse_bool(v->str, &m->required) != 0)
				return conf_errat(err, file, &v->mark,
				    "'required' must be true or false, "
				    "not '%s'", v->str);
		} else if (strcmp(k->str, "config") == 0) {
			if ((rc = get_config(file, v, m, err)) != 0)
				return rc;
		} else
			return conf_errat(err, file, &k->mark,
			    "unknown key '%s' in module entry (expected "
			    "name, path, required or config)", k->str);
	}
	if (name != NULL && path != NULL)
		return conf_errat(err, file, &e->mark,
		    "module entry has both 'name' and 'path'; give one");
	if (name == NULL && path == NULL)
		return conf_errat(err, file, &e->mark,
		    "module entry needs 'name' or 'path'");
	if (name != NULL && (m->name = strdup(name->str)) == NULL)
		return berth_err_set(err, -ENOMEM, "%s: out of memory", file);
	v = name != NULL ? name : path;
	if (asprintf(&id, "%c:%s", name != NULL ? 'n' : 'p', v->str) == -1)
		return berth_err_set(err, -ENOMEM, "%s: out of memory", file);
	dup = json_object_object_get_ex(seen, id, &dummy);
	rc = dup ? 0 : json_object_object_add(seen, id, NULL);
	free(id);
	if (dup)
		return conf_errat(err, file, &v->mark,
		    "module %s '%s' is listed twice", name != NULL ?
		    "name" : "path", v->str);
	if (rc != 0)
		return berth_err_set(err, -ENOMEM, "%s: out of memory", file);
	return 0;
}

static int
get_modules(struct engine_conf *c, const struct node *v,
    struct berth_err *err)
{
	json_object	*seen;
	size_t		 i;
	int		 rc = 0;

	if (node_is_null(v))
		return 0;	/* `modules:` with every entry commented out */
	if (v->type != NODE_SEQ)
		return conf_errat(err, c->file, &v->mark,
		    "'modules' must be a list of module entries, not %s",
		    node_what(v));
	if (v->nkids == 0)
		return 0;
	if ((c->modules = calloc(v->nkids, sizeof(*c->modules))) == NULL ||
	    (seen = json_object_new_object()) == NULL)
		return berth_err_set(err, -ENOMEM, "%s: out of memory",
		    c->file);
	for (i = 0; i < v->nkids; i++) {
		/* Counted first, so conf_free releases a half-filled one. */
		c->nmodules++;
		rc = get_module(c->file, v->kids[i], &c->modules[i], seen,
		    err);
		if (rc != 0)
			break;
	}
	json_object_put(seen);
	return rc;
}

static int
get_log_level(const char *file, const struct node *v, char **out,
    struct berth_err *err)
{
	static const char	*levels[] = { "debug", "info", "warn",
				    "error" };
	size_t			 i;
	int			 rc;

	if ((rc = want_scalar(file, v, "log-level",
	    "one of debug, info, warn, error", err)) != 0)
		return rc;
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcasecmp(v->str, levels[i]) == 0) {
			if ((*out = strdup(levels[i])) == NULL)
				return berth_err_set(err, -ENOMEM,
				    "%s: out of memory", file);
			return 0;
		}
	}
	return conf_errat(err, file, &v->mark,
	    "'log-level' must be one of debug, info, warn, error, not '%s'",
	    v->str);
}

static int
get_timeout(const char *file, const struct node *v, int *out,
    struct berth_err *err)
{
	int64_t	 n;
	int	 rc;

	if ((rc = want_scalar(file, v, "authz-timeout",
	    "a positive number of seconds", err)) != 0)
		return rc;
	if (parse_int64(v->str, &n) != 0 || n <= 0 || n > INT_MAX)
		return conf_errat(err, file, &v->mark,
		    "'authz-timeout' must be a positive number of seconds, "
		    "not '%s'", v->str);
	*out = (int)n;
	return 0;
}

/* A top-level key given twice is caught earlier, as a duplicate key. */
static int
apply(struct engine_conf *c, const struct node *root, struct berth_err *err)
{
	const struct node	*k, *v;
	const char		*f = c->file;
	size_t			 i;
	int			 rc;

	if (root == NULL || node_is_null(root))
		return 0;
	if (root->type != NODE_MAP)
		return conf_errat(err, f, &root->mark,
		    "the top level must be a mapping of keys, not %s",
		    node_what(root));
	for (i = 0; i + 1 < root->nkids; i += 2) {
		k = root->kids[i];
		v = root->kids[i + 1];
		if (strcmp(k->str, "hosts") == 0)
			rc = get_strv(f, v, k->str, 1, &c->hosts, err);
		else if (strcmp(k->str, "data-root") == 0)
			rc = get_path(f, v, k->str, &c->data_root, err);
		else if (strcmp(k->str, "exec-root") == 0)
			rc = get_path(f, v, k->str, &c->exec_root, err);
		else if (strcmp(k->str, "pidfile") == 0)
			rc = get_path(f, v, k->str, &c->pidfile, err);
		else if (strcmp(k->str, "module-dir") == 0)
			rc = get_path(f, v, k->str, &c->module_dir, err);
		else if (strcmp(k->str, "log-level") == 0)
			rc = get_log_level(f, v, &c->log_level, err);
		else if (strcmp(k->str, "authorization-plugins") == 0)
			rc = get_strv(f, v, k->str, 0, &c->authz, err);
		else if (strcmp(k->str, "authz-timeout") == 0)
			rc = get_timeout(f, v, &c->authz_timeout, err);
		else if (strcmp(k->str, "modules") == 0)
			rc = get_modules(c, v, err);
		else
			rc = conf_errat(err, f, &k->mark,
			    "unknown key '%s'", k->str);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
parse(const char *name, const char *text, size_t len,
    struct engine_conf **out, struct berth_err *err)
{
	struct builder		 b;
	struct engine_conf	*c;
	int			 rc;

	*out = NULL;
	if (len > CONF_MAX_SIZE)
		return berth_err_set(err, -EFBIG,
		    "%s: larger than %d bytes; not a config file", name,
		    CONF_MAX_SIZE);
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->file = strdup(name)) == NULL) {
		free(c);
		return berth_err_set(err, -ENOMEM, "%s: out of memory", name);
	}
	c->authz_timeout = CONF_DEFAULT_AUTHZ_TIMEOUT;
	memset(&b, 0, sizeof(b));
	b.file = c->file;
	b.text = text;
	b.len = len;
	if ((rc = build(&b, err)) == 0)
		rc = apply(c, b.root, err);
	node_free(b.root);
	if (rc != 0) {
		conf_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int
conf_parse_string(const char *name, const char *text,
    struct engine_conf **out, struct berth_err *err)
{
	return parse(name, text, strlen(text), out, err);
}

int
conf_load(const char *path, struct engine_conf **out, struct berth_err *err)
{
	char	*buf;
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd, rc;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return berth_err_errno(err, "%s", path);
	/* One byte past the cap, to tell "at the cap" from "over it". */
	if ((buf = malloc(CONF_MAX_SIZE + 1)) == NULL) {
		close(fd);
		return berth_err_set(err, -ENOMEM, "%s: out of memory", path);
	}
	for (;;) {
		n = read(fd, buf + len, CONF_MAX_SIZE + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = berth_err_errno(err, "%s", path);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CONF_MAX_SIZE)
			break;
	}
	rc = parse(path, buf, len, out, err);
out:
	free(buf);
	close(fd);
	return rc;
}

void
conf_free(struct engine_conf *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	free(c->file);
	strv_free(c->hosts);
	free(c->data_root);
	free(c->exec_root);
	free(c->pidfile);
	free(c->log_level);
	free(c->module_dir);
	strv_free(c->authz);
	for (i = 0; i < c->nmodules; i++)
		module_clear(&c->modules[i]);
	free(c->modules);
	free(c);
}

/* conf_check_keys */

static const char *
type_what(enum berth_conf_type t)
{
	switch (t) {
	case BERTH_CONF_STRING:
		return "a string";
	case BERTH_CONF_PATH:
		return "an absolute path";
	case BERTH_CONF_INT:
		return "an integer";
	case BERTH_CONF_BOOL:
		return "true or false";
	case BERTH_CONF_LIST:
		return "a list";
	case BERTH_CONF_MAP:
		return "a mapping";
	default:
		return "of an unknown type";
	}
}

/*
 * Whether v fits t.  A value already converted (a second check of the
 * same module, as after a reload that reuses it) fits its own type.
 */
static int
value_fits(json_object *v, enum berth_conf_type t)
{
	const char	*s;
	int64_t		 n;
	int		 b;

	switch (t) {
	case BERTH_CONF_LIST:
		return json_object_is_type(v, json_type_array);
	case BERTH_CONF_MAP:
		return json_object_is_type(v, json_type_object);
	case BERTH_CONF_INT:
		if (json_object_is_type(v, json_type_int))
			return 1;
		break;
	case BERTH_CONF_BOOL:
		if (json_object_is_type(v, json_type_boolean))
			return 1;
		break;
	case BERTH_CONF_STRING:
	case BERTH_CONF_PATH:
		break;
	default:
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return 0;
	s = json_object_get_string(v);
	switch (t) {
	case BERTH_CONF_PATH:
		return s[0] == '/';
	case BERTH_CONF_INT:
		return parse_int64(s, &n) == 0;
	case BERTH_CONF_BOOL:
		return parse_bool(s, &b) == 0;
	default:
		return 1;
	}
}

/* A scalar still in its YAML text, as the int or boolean it fits. */
static json_object *
convert(json_object *v, enum berth_conf_type t)
{
	const char	*s = json_object_get_string(v);
	int64_t		 n = 0;
	int		 b = 0;

	if (t == BERTH_CONF_INT) {
		parse_int64(s, &n);
		return json_object_new_int64(n);
	}
	parse_bool(s, &b);
	return json_object_new_boolean(b);
}

static const struct berth_conf_key *
find_key(const struct berth_conf_key *keys, const char *name)
{
	if (keys == NULL)
		return NULL;
	for (; keys->name != NULL; keys++)
		if (strcmp(keys->name, name) == 0)
			return keys;
	return NULL;
}

int
conf_check_keys(const struct engine_conf *c, struct conf_module *m,
    const char *modname, const struct berth_conf_key *keys,
    struct berth_err *err)
{
	const struct berth_conf_key	*k;
	const struct conf_mark		*mk;
	json_object			*nv;
	const char			*file, *mod;
	size_t				 i;

	if (m->config.obj == NULL)
		return 0;
	file = c != NULL && c->file != NULL ? c->file : "engine.yaml";
	mod = modname != NULL ? modname : m->name != NULL ? m->name :
	    m->path != NULL ? m->path : "?";
	/* Check everything before converting anything: all or nothing. */
	i = 0;
	json_object_object_foreach(m->config.obj, key, val) {
		/* keys[] follows the object's order; else the entry's mark. */
		mk = i < m->nkeys && strcmp(m->keys[i], key) == 0 ?
		    &m->key_marks[i] : &m->mark;
		i++;
		if ((k = find_key(keys, key)) == NULL)
			return conf_errat(err, file, mk,
			    "module %s: unknown config key '%s'", mod, key);
		if (!value_fits(val, k->type))
			return conf_errat(err, file, mk,
			    "module %s: config key '%s' must be %s", mod, key,
			    type_what(k->type));
	}
	json_object_object_foreach(m->config.obj, key2, val2) {
		k = find_key(keys, key2);
		if ((k->type != BERTH_CONF_INT && k->type != BERTH_CONF_BOOL) ||
		    !json_object_is_type(val2, json_type_string))
			continue;
		/* Replacing an existing key's value keeps its entry. */
		if ((nv = convert(val2, k->type)) == NULL ||
		    json_object_object_add(m->config.obj, key2, nv) != 0) {
			json_object_put(nv);
			return berth_err_set(err, -ENOMEM,
			    "%s: out of memory", file);
		}
	}
	return 0;
}
