/*
 * authz-rules - a test-only authorization driver, "rules".
 *
 * The integration tests need a driver whose verdicts they can script:
 *
 *   config:
 *     deny: ["* /version", "POST /containers/create", "body:privileged"]
 *     fail: /fail-me        # path substring: answer with an error
 *     hang: /hang-me        # path substring: never answer (timeout)
 *     log: /abs/file        # one line per AuthZReq: METHOD URI BODYLEN
 *
 * A rule is "METHOD PATH-SUBSTRING" (METHOD may be "*"), optionally with
 * a "body:TEXT" word, or only "body:TEXT".  Body text matches without
 * regard to case and also against the decoded JSON (keys and string
 * values), because the daemon decodes keys case-insensitively and
 * unescapes "\u0050rivileged": a driver that only compares raw bytes
 * exactly is the bypass this module exists to test against.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include <berth/authz.h>
#include <berth/host.h>
#include <berth/module.h>

struct rule {
	char	*text;		/* as configured, for the denial message */
	char	*method;	/* NULL: any */
	char	*path;		/* NULL: any */
	char	*body;		/* NULL: body not considered */
};

struct rules_conf {
	struct rule	*rules;
	size_t		 nrules;
	char		*fail;
	char		*hang;
	char		*log;
};

/* A request left unanswered on purpose, answered only at fini. */
struct hung {
	berth_authz_cb	 done;
	void		*arg;
	struct hung	*next;
};

struct authz_rules {
	const struct berth_host	*host;
	struct rules_conf	 conf;
	struct hung		*hung;
};

static void
conf_clear(struct rules_conf *c)
{
	size_t	i;

	for (i = 0; i < c->nrules; i++) {
		free(c->rules[i].text);
		free(c->rules[i].method);
		free(c->rules[i].path);
		free(c->rules[i].body);
	}
	free(c->rules);
	free(c->fail);
	free(c->hang);
	free(c->log);
	memset(c, 0, sizeof(*c));
}

static int
rule_parse(const char *text, struct rule *ru, struct berth_err *err)
{
	char	*copy, *word, *save = NULL, **slot;
	int	 rc = 0;

	memset(ru, 0, sizeof(*ru));
	if ((copy = strdup(text)) == NULL || (ru->text = strdup(text)) == NULL) {
		free(copy);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	for (word = strtok_r(copy, " \t", &save); word != NULL && rc == 0;
	    word = strtok_r(NULL, " \t", &save)) {
		if (strncmp(word, "body:", 5) == 0) {
			slot = &ru->body;
			word += 5;
		} else if (ru->method == NULL && ru->path == NULL)
			slot = &ru->method;
		else if (ru->path == NULL)
			slot = &ru->path;
		else {
			rc = berth_err_set(err, -EINVAL,
			    "rule '%s': unexpected '%s'", text, word);
			break;
		}
		if (*slot != NULL || *word == '\0') {
			rc = berth_err_set(err, -EINVAL, "rule '%s': "
			    "want 'METHOD PATH' and/or 'body:TEXT'", text);
			break;
		}
		if ((*slot = strdup(word)) == NULL)
			rc = berth_err_set(err, -ENOMEM, "out of memory");
	}
	free(copy);
	if (rc == 0 && ru->method != NULL && ru->path == NULL)
		rc = berth_err_set(err, -EINVAL,
		    "rule '%s': a method needs a path substring", text);
	if (rc == 0 && ru->method == NULL && ru->body == NULL)
		rc = berth_err_set(err, -EINVAL, "rule '%s' is empty", text);
	if (rc == 0 && ru->method != NULL && strcmp(ru->method, "*") == 0) {
		free(ru->method);
		ru->method = NULL;
	}
	return rc;
}

static int
opt_string(json_object *o, const char *key, char **out, struct berth_err *err)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if ((*out = strdup(json_object_get_string(v))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int
conf_parse(const struct berth_host *h, const struct berth_conf *conf,
    struct rules_conf *c, struct berth_err *err)
{
	json_object	*o = h->conf_json(conf), *list, *item;
	size_t		 i, n;
	int		 rc;

	memset(c, 0, sizeof(*c));
	if (json_object_object_get_ex(o, "deny", &list) &&
	    json_object_is_type(list, json_type_array)) {
		n = json_object_array_length(list);
		if (n > 0 && (c->rules = calloc(n, sizeof(*c->rules))) == NULL)
			return berth_err_set(err, -ENOMEM, "out of memory");
		for (i = 0; i < n; i++) {
			item = json_object_array_get_idx(list, i);
			if (!json_object_is_type(item, json_type_string)) {
				conf_clear(c);
				return berth_err_set(err, -EINVAL,
				    "deny: rule %zu is not a string", i + 1);
			}
			c->nrules++;
			if ((rc = rule_parse(json_object_get_string(item),
			    &c->rules[i], err)) < 0) {
				conf_clear(c);
				return rc;
			}
		}
	}
	if ((rc = opt_string(o, "fail", &c->fail, err)) < 0 ||
	    (rc = opt_string(o, "hang", &c->hang, err)) < 0 ||
	    (rc = opt_string(o, "log", &c->log, err)) < 0) {
		conf_clear(c);
		return rc;
	}
	return 0;
}

static int
mem_icontains(const char *hay, size_t len, const char *needle)
{
	size_t	n = strlen(needle), i;

	if (n == 0)
		return 1;
	for (i = 0; i + n <= len; i++)
		if (strncasecmp(hay + i, needle, n) == 0)
			return 1;
	return 0;
}

/* Any key or string value of the decoded document contains text. */
static int
json_icontains(json_object *o, const char *text)
{
	size_t	i, n;

	switch (json_object_get_type(o)) {
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			if (mem_icontains(k, strlen(k), text) ||
			    json_icontains(v, text))
				return 1;
		}
		return 0;
	}
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (json_icontains(json_object_array_get_idx(o, i),
			    text))
				return 1;
		return 0;
	case json_type_string:
		return mem_icontains(json_object_get_string(o),
		    (size_t)json_object_get_string_len(o), text);
	default:
		return 0;
	}
}

static int
body_matches(const struct berth_authz_req *r, const char *text)
{
	struct json_tokener	*tok;
	json_object		*doc;
	int			 hit;

	if (r->body == NULL || r->body_len == 0)
		return 0;
	/* Raw bytes first; NUL bytes in the body cannot hide text past them. */
	if (mem_icontains(r->body, r->body_len, text))
		return 1;
	if ((tok = json_tokener_new()) == NULL)
		return 1;	/* cannot look: fail closed */
	doc = json_tokener_parse_ex(tok, r->body, (int)r->body_len);
	json_tokener_free(tok);
	if (doc == NULL)
		return 0;
	hit = json_icontains(doc, text);
	json_object_put(doc);
	return hit;
}

static int
rule_matches(const struct rule *ru, const struct berth_authz_req *r)
{
	if (ru->method != NULL && strcasecmp(ru->method, r->method) != 0)
		return 0;
	if (ru->path != NULL && strstr(r->uri, ru->path) == NULL)
		return 0;
	if (ru->body != NULL && !body_matches(r, ru->body))
		return 0;
	return 1;
}

static void
log_request(const struct authz_rules *ar, const struct berth_authz_req *r)
{
	FILE	*f;

	if (ar->conf.log == NULL)
		return;
	if ((f = fopen(ar->conf.log, "ae")) == NULL) {
		ar->host->log(ar->host, BERTH_LOG_WARN, "cannot open %s",
		    ar->conf.log);
		return;
	}
	fprintf(f, "%s %s %zu\n", r->method, r->uri, r->body_len);
	fclose(f);
}

static void
rules_req(void *state, const struct berth_authz_req *r, berth_authz_cb done,
    void *arg)
{
	struct authz_rules	*ar = state;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct hung		*hg;
	char			 msg[BERTH_ERR_MSGLEN];
	size_t			 i;

	log_request(ar, r);
	if (ar->conf.hang != NULL && strstr(r->uri, ar->conf.hang) != NULL) {
		/* Keep the callback so that fini can still release it. */
		if ((hg = calloc(1, sizeof(*hg))) == NULL) {
			berth_err_set(&err, -ENOMEM, "out of memory");
			done(arg, 0, NULL, &err);
			return;
		}
		hg->done = done;
		hg->arg = arg;
		hg->next = ar->hung;
		ar->hung = hg;
		return;
	}
	if (ar->conf.fail != NULL && strstr(r->uri, ar->conf.fail) != NULL) {
		berth_err_set(&err, -EIO, "rules: failing %s %s as configured",
		    r->method, r->uri);
		done(arg, 0, NULL, &err);
		return;
	}
	for (i = 0; i < ar->conf.nrules; i++) {
		if (rule_matches(&ar->conf.rules[i], r)) {
			snprintf(msg, sizeof(msg), "denied by rule '%s'",
			    ar->conf.rules[i].text);
			done(arg, 0, msg, NULL);
			return;
		}
	}
	done(arg, 1, NULL, NULL);
}

static void
rules_res(void *state, const struct berth_authz_req *r, berth_authz_cb done,
    void *arg)
{
	done(arg, 1, NULL, NULL);
}

static const struct berth_authz_ops rules_ops = {
	.size = sizeof(struct berth_authz_ops),
	.authz_req = rules_req,
	.authz_res = rules_res,
};

static int
rules_init(const struct berth_host *h, const struct berth_conf *conf,
    void **statep, struct berth_err *err)
{
	struct authz_rules	*ar;
	int			 rc;

	if ((ar = calloc(1, sizeof(*ar))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	ar->host = h;
	if ((rc = conf_parse(h, conf, &ar->conf, err)) < 0 ||
	    (rc = h->provide(h, BERTH_AUTHZ_IFACE, "rules", &rules_ops, ar,
	    err)) < 0) {
		conf_clear(&ar->conf);
		free(ar);
		return rc;
	}
	*statep = ar;
	return 0;
}

static int
rules_reload(void *state, const struct berth_conf *conf,
    struct berth_err *err)
{
	struct authz_rules	*ar = state;
	struct rules_conf	 nc;
	int			 rc;

	/* Parse fully before replacing: a bad config keeps the old rules. */
	if ((rc = conf_parse(ar->host, conf, &nc, err)) < 0)
		return rc;
	conf_clear(&ar->conf);
	ar->conf = nc;
	return 0;
}

static void
rules_fini(void *state)
{
	struct authz_rules	*ar = state;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct hung		*hg;

	/* The core frees a late-answered call; answer so nothing leaks. */
	berth_err_set(&err, -ESHUTDOWN, "rules: driver stopped");
	while ((hg = ar->hung) != NULL) {
		ar->hung = hg->next;
		hg->done(hg->arg, 0, NULL, &err);
		free(hg);
	}
	conf_clear(&ar->conf);
	free(ar);
}

static const struct berth_conf_key rules_keys[] = {
	{ "deny", BERTH_CONF_LIST, "rules: 'METHOD PATH' and/or 'body:TEXT'" },
	{ "fail", BERTH_CONF_STRING, "URI substring answered with an error" },
	{ "hang", BERTH_CONF_STRING, "URI substring never answered" },
	{ "log", BERTH_CONF_PATH, "append 'METHOD URI BODYLEN' per request" },
	{ NULL, 0, NULL }
};

BERTH_MODULE = {
	.abi = BERTH_ABI_INIT,
	.name = "authz-rules",
	.version = "0.1.0",
	.provides = (const char *const[]){ BERTH_AUTHZ_IFACE, NULL },
	.conf = rules_keys,
	.init = rules_init,
	.reload = rules_reload,
	.fini = rules_fini,
};
