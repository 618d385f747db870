/*
 * containers_exec.c - docker exec: POST /containers/{id}/exec,
 * POST /exec/{id}/start, GET /exec/{id}/json, POST /exec/{id}/resize.
 *
 * An exec lives in memory only, as in Docker: the runtime's monitor runs
 * the process and holds its stdio, so an exec outlives a berthd restart
 * but its record does not.  The process given to the runtime is the
 * container's own (from the bundle's config.json: capabilities, rlimits,
 * seccomp apply as to the init) with the exec's args, env, cwd, user and
 * terminal put in, so what an exec may do never exceeds what the
 * container may do, except with --privileged, which gives every
 * capability as Docker does.
 *
 * Start with a stream: hijack first (the CLI waits for the 101), then
 * build the process in a work job (disk), then runtime exec, then hand
 * the connection to the monitor, which kept the first output for it.
 * A start that fails writes its error into the stream, as Docker does,
 * and records ExitCode 126 (Docker 20.10's code for any failed exec).
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/json.h>

#include "containers.h"

/* Finished execs kept for inspect; the oldest go first beyond this. */
#define EXEC_KEEP_DONE	128
#define EXEC_BUNDLE_MAX	(4u << 20)

/* Docker 20.10 records this for an exec whose start failed. */
#define EXEC_START_FAILED	126

static int
jbool(json_object *o, const char *k)
{
	json_object	*v = berth_json_get(o, k);

	return v != NULL && json_object_get_boolean(v);
}

/* Tell an internal exec's owner, once. */
static void
exec_tell(struct ctr_exec *e, int code)
{
	void	(*cb)(void *, int) = e->on_exit;

	e->on_exit = NULL;
	if (cb != NULL)
		cb(e->on_exit_arg, code);
}

static void
exec_free(struct ctr_exec *e)
{
	exec_tell(e, CTR_EXEC_FORGOTTEN);
	json_object_put(e->cmd);
	json_object_put(e->env);
	free(e->user);
	free(e->workdir);
	free(e->detach_keys);
	if (e->fd != -1)
		close(e->fd);
	if (e->c != NULL)
		ctr_unref(e->c);
	free(e);
}

/* Drop execs of removed containers, and finished ones beyond the cap. */
static void
exec_sweep(struct containers *cs)
{
	struct ctr_exec	*e, *t;
	size_t		 done = 0;

	TAILQ_FOREACH_SAFE(e, &cs->execs, entry, t) {
		if (e->busy)
			continue;
		if (e->c->removed || (e->internal && e->exited)) {
			TAILQ_REMOVE(&cs->execs, e, entry);
			exec_free(e);
		} else if (e->exited)
			done++;
	}
	TAILQ_FOREACH_SAFE(e, &cs->execs, entry, t) {
		if (done <= EXEC_KEEP_DONE)
			break;
		if (e->exited && !e->busy) {
			TAILQ_REMOVE(&cs->execs, e, entry);
			exec_free(e);
			done--;
		}
	}
}

static struct ctr_exec *
exec_find(struct containers *cs, const char *id, struct berth_err *err)
{
	struct ctr_exec	*e;

	exec_sweep(cs);
	if (id != NULL)
		TAILQ_FOREACH(e, &cs->execs, entry)
			if (strcmp(e->id, id) == 0 && !e->c->removed)
				return e;
	berth_err_set(err, -ENOENT, "No such exec instance: %s",
	    id != NULL ? id : "");
	return NULL;
}

/* ExecIDs of the container: the execs not yet finished, as Docker. */
static void
exec_ids_update(struct ctr *c)
{
	struct ctr_exec	*e;
	json_object	*a = NULL;

	TAILQ_FOREACH(e, &c->cs->execs, entry) {
		if (e->c != c || e->exited)
			continue;
		if (a == NULL)
			a = json_object_new_array();
		json_object_array_add(a, json_object_new_string(e->id));
	}
	json_object_put(c->exec_ids);
	c->exec_ids = a;
}

/* "sh -c exit 4": the command as Docker puts it in event actions. */
static void
exec_cmdline(const struct ctr_exec *e, char *buf, size_t len)
{
	size_t	i, n = json_object_array_length(e->cmd), off = 0;
	int	w;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++) {
		w = snprintf(buf + off, len - off, "%s%s", i > 1 ? " " : "",
		    json_object_get_string(json_object_array_get_idx(e->cmd,
		    i)));
		if (w < 0)
			break;
		off += (size_t)w;
		/* Docker: entrypoint, a space, then the args joined. */
		if (i == 0 && off < len) {
			buf[off++] = ' ';
			buf[off] = '\0';
		}
	}
}

static void
exec_emit(struct ctr_exec *e, const char *what, int with_code)
{
	json_object	*a = json_object_new_object();
	char		 action[1024], cmd[900], buf[16];

	json_object_object_add(a, "execID", json_object_new_string(e->id));
	if (with_code) {
		snprintf(buf, sizeof(buf), "%d", e->exit_code);
		json_object_object_add(a, "exitCode",
		    json_object_new_string(buf));
		snprintf(action, sizeof(action), "%s", what);
	} else {
		exec_cmdline(e, cmd, sizeof(cmd));
		snprintf(action, sizeof(action), "%s: %s", what, cmd);
	}
	containers_emit(e->c, action, a);
	json_object_put(a);
}

/* --- POST /containers/{id}/exec ------------------------------------------ */

/* Docker's checks of a running target, with its words. */
static int
exec_ctr_check(struct ctr *c, struct berth_err *err)
{
	return containers_admit(c, CTR_OP_EXEC, err);
}

static char *
exec_str(json_object *body, const char *k)
{
	const char	*s = berth_json_str(body, k);

	return s != NULL && *s != '\0' ? strdup(s) : NULL;
}

/* A new exec of c running cmd (taken), not yet listed. */
static struct ctr_exec *
exec_new(struct ctr *c, json_object *cmd)
{
	struct ctr_exec	*e;

	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    berth_id_new(e->id) < 0) {
		free(e);
		return NULL;
	}
	e->fd = -1;
	e->exit_code = -1;
	e->cmd = cmd;
	e->c = c;
	ctr_ref(c);
	return e;
}

/* List it: ExecIDs, and Docker's exec_create event. */
static void
exec_add(struct ctr_exec *e)
{
	TAILQ_INSERT_TAIL(&e->c->cs->execs, e, entry);
	exec_ids_update(e->c);
	exec_emit(e, "exec_create", 0);
}

void
containers_h_exec_create(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	const struct berth_host	*h = cs->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*body = NULL, *cmd, *env, *o;
	struct ctr_exec		*e;
	struct ctr		*c;
	size_t			 i;

	if ((c = containers_find(cs, h->req_param(req, "id"), &err)) ==
	    NULL || h->req_json(req, &body, &err) < 0 ||
	    exec_ctr_check(c, &err) < 0) {
		h->resp_error(req, &err);
		return;
	}
	cmd = berth_json_get(body, "Cmd");
	if (cmd != NULL && json_object_is_type(cmd, json_type_string)) {
		o = json_object_new_array();
		json_object_array_add(o, json_object_get(cmd));
		cmd = o;
	} else if (cmd != NULL && json_object_is_type(cmd, json_type_array))
		cmd = json_object_get(cmd);
	else
		cmd = NULL;
	if (cmd == NULL || json_object_array_length(cmd) == 0) {
		json_object_put(cmd);
		berth_err_set(&err, -EINVAL, "No exec command specified");
		h->resp_error(req, &err);
		return;
	}
	for (i = 0; i < json_object_array_length(cmd); i++)
		if (!json_object_is_type(json_object_array_get_idx(cmd, i),
		    json_type_string)) {
			json_object_put(cmd);
			berth_err_set(&err, -EINVAL, "json: cannot unmarshal "
			    "number into Go struct field ExecConfig.Cmd of "
			    "type string");
			h->resp_error(req, &err);
			return;
		}
	env = berth_json_get(body, "Env");
	if (env != NULL && !json_object_is_type(env, json_type_array))
		env = NULL;
	if ((e = exec_new(c, cmd)) == NULL) {
		json_object_put(cmd);
		berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return;
	}
	e->env = json_object_get(env);
	e->user = exec_str(body, "User");
	e->workdir = exec_str(body, "WorkingDir");
	e->detach_keys = exec_str(body, "DetachKeys");
	e->tty = jbool(body, "Tty");
	e->in = jbool(body, "AttachStdin");
	e->out = jbool(body, "AttachStdout");
	e->err = jbool(body, "AttachStderr");
	e->privileged = jbool(body, "Privileged");
	exec_add(e);
	o = json_object_new_object();
	json_object_object_add(o, "Id", json_object_new_string(e->id));
	h->resp_json(req, 201, o);
	json_object_put(o);
}

/* --- the process, built in a work job ------------------------------------- */

struct exec_prep {
	struct ctr_exec	*e;
	char		 bundle[PATH_MAX];
	json_object	*args;		/* owned by the job */
	json_object	*env;
	json_object	*user;		/* {"User","GroupAdd"} or NULL */
	char		*cwd;
	int		 tty, privileged;
	json_object	*process;	/* the result */
	int		 rc;
	struct berth_err err;
};

static json_object *
exec_read_json(const char *path, struct berth_err *err)
{
	json_object	*o = NULL;
	char		*buf;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		berth_err_set(err, -errno, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(EXEC_BUNDLE_MAX + 1)) == NULL) {
		close(fd);
		berth_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	while (len < EXEC_BUNDLE_MAX && (n = read(fd, buf + len,
	    EXEC_BUNDLE_MAX - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	if ((o = json_tokener_parse(buf)) == NULL)
		berth_err_set(err, -EIO, "%s: not JSON", path);
	free(buf);
	return o;
}

static void
exec_prep_work(void *arg)
{
	struct exec_prep	*j = arg;
	json_object		*spec, *proc, *user, *a, *caps, *o;
	const char		*root;
	char			 p[PATH_MAX + 16];
	struct spec_user	 u;
	size_t			 i;

	snprintf(p, sizeof(p), "%s/config.json", j->bundle);
	if ((spec = exec_read_json(p, &j->err)) == NULL) {
		j->rc = j->err.code;
		return;
	}
	proc = json_object_get(berth_json_get(spec, "process"));
	root = berth_json_str(berth_json_get(spec, "root"), "path");
	if (proc == NULL || root == NULL) {
		json_object_put(proc);
		json_object_put(spec);
		j->rc = berth_err_set(&j->err, -EIO, "%s: no process", p);
		return;
	}
	json_object_object_add(proc, "args", json_object_get(j->args));
	json_object_object_add(proc, "env", json_object_get(j->env));
	json_object_object_add(proc, "terminal",
	    json_object_new_boolean(j->tty));
	json_object_object_del(proc, "consoleSize");
	if (j->cwd != NULL)
		json_object_object_add(proc, "cwd",
		    json_object_new_string(j->cwd));
	if (j->user != NULL) {
		/* Resolved in the container's files, never the host's. */
		if ((j->rc = containers_user_resolve(root, NULL, NULL,
		    j->user, &u, &j->err)) < 0) {
			json_object_put(proc);
			json_object_put(spec);
			return;
		}
		user = json_object_new_object();
		json_object_object_add(user, "uid",
		    json_object_new_int64(u.uid));
		json_object_object_add(user, "gid",
		    json_object_new_int64(u.gid));
		if (u.nsgids > 0) {
			a = json_object_new_array();
			for (i = 0; i < u.nsgids; i++)
				json_object_array_add(a,
				    json_object_new_int64(u.sgids[i]));
			json_object_object_add(user, "additionalGids", a);
		}
		json_object_object_add(proc, "user", user);
	}
	if (j->privileged) {
		if ((j->rc = containers_caps(NULL, NULL, 1, &caps,
		    &j->err)) < 0) {
			json_object_put(proc);
			json_object_put(spec);
			return;
		}
		o = json_object_new_object();
		json_object_object_add(o, "bounding", json_object_get(caps));
		json_object_object_add(o, "effective", json_object_get(caps));
		json_object_object_add(o, "permitted", json_object_get(caps));
		json_object_object_add(proc, "capabilities", o);
		json_object_put(caps);
	}
	json_object_put(spec);
	j->process = proc;
}

static void	exec_prep_done(void *);
static void	exec_started(void *, int, const struct berth_err *);

/* Docker's exec environment: the container's, then the exec's Env. */
static json_object *
exec_env(const struct ctr_exec *e)
{
	json_object	*env, *v;
	const char	*kv, *s, *eq;
	size_t		 i, k, klen;

	env = containers_env(berth_json_get(e->c->config, "Env"),
	    berth_json_str(e->c->config, "Hostname"), e->tty);
	for (i = 0; e->env != NULL && i < json_object_array_length(e->env);
	    i++) {
		v = json_object_array_get_idx(e->env, i);
		if (!json_object_is_type(v, json_type_string))
			continue;
		kv = json_object_get_string(v);
		eq = strchr(kv, '=');
		klen = eq != NULL ? (size_t)(eq - kv) : strlen(kv);
		for (k = 0; k < json_object_array_length(env); k++) {
			s = json_object_get_string(
			    json_object_array_get_idx(env, k));
			if (strncmp(s, kv, klen) == 0 && (s[klen] == '=' ||
			    s[klen] == '\0'))
				break;
		}
		if (k < json_object_array_length(env))
			json_object_array_put_idx(env, k,
			    json_object_new_string(kv));
		else
			json_object_array_add(env,
			    json_object_new_string(kv));
	}
	return env;
}

static int
exec_prepare(struct ctr_exec *e, struct berth_err *err)
{
	struct containers	*cs = e->c->cs;
	struct exec_prep	*j;
	json_object		*hc = e->c->hostconfig;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	j->e = e;
	snprintf(j->bundle, sizeof(j->bundle), "%s/%s", cs->exec_root,
	    e->c->id);
	j->args = json_object_deep_copy(e->cmd, &j->args, NULL) == 0 ?
	    j->args : NULL;
	j->env = exec_env(e);
	j->tty = e->tty;
	j->privileged = e->privileged;
	if (e->workdir != NULL)
		j->cwd = strdup(e->workdir);
	if (e->user != NULL) {
		j->user = json_object_new_object();
		json_object_object_add(j->user, "User",
		    json_object_new_string(e->user));
		if (berth_json_get(hc, "GroupAdd") != NULL) {
			json_object	*g = NULL;

			if (json_object_deep_copy(berth_json_get(hc,
			    "GroupAdd"), &g, NULL) == 0)
				json_object_object_add(j->user, "GroupAdd", g);
		}
	}
	if (j->args == NULL || (e->workdir != NULL && j->cwd == NULL) ||
	    cs->h->work(cs->h, exec_prep_work, exec_prep_done, j) < 0) {
		json_object_put(j->args);
		json_object_put(j->env);
		json_object_put(j->user);
		free(j->cwd);
		free(j);
		return berth_err_set(err, -ENOMEM, "cannot queue the exec");
	}
	e->busy++;
	return 0;
}

/* The start failed: the error goes into the stream (or the answer). */
static void
exec_failed(struct ctr_exec *e, const struct berth_err *err)
{
	struct berth_err	 e2 = BERTH_ERR_INIT;
	unsigned char		 hdr[8];
	char			 msg[BERTH_ERR_MSGLEN + 4];
	size_t			 n;

	e->running = 0;
	e->exited = 1;
	e->exit_code = EXEC_START_FAILED;
	exec_ids_update(e->c);
	exec_tell(e, EXEC_START_FAILED);
	if (err == NULL) {
		berth_err_set(&e2, -EIO, "exec failed");
		err = &e2;
	}
	if (e->req != NULL) {
		e->c->cs->h->resp_error(e->req, err);
		e->req = NULL;
	}
	if (e->fd != -1) {
		n = (size_t)snprintf(msg, sizeof(msg), "%s\r\n", err->msg);
		if (n >= sizeof(msg))
			n = sizeof(msg) - 1;
		/* A short write to a client that left loses nothing. */
		if (!e->start_tty) {
			memset(hdr, 0, sizeof(hdr));
			hdr[0] = 1;
			hdr[4] = (unsigned char)(n >> 24);
			hdr[5] = (unsigned char)(n >> 16);
			hdr[6] = (unsigned char)(n >> 8);
			hdr[7] = (unsigned char)n;
			(void)send(e->fd, hdr, sizeof(hdr), MSG_NOSIGNAL |
			    MSG_DONTWAIT);
		}
		(void)send(e->fd, msg, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(e->fd);
		e->fd = -1;
	}
}

/* Started, as Docker's exec_start event says. */
static void
exec_mark_started(struct ctr_exec *e)
{
	e->started = 1;
	e->running = 1;
	exec_emit(e, "exec_start", 0);
}

/* Started, and on its way to the runtime (or failed, told as usual). */
static void
exec_begin(struct ctr_exec *e)
{
	struct berth_err	err = BERTH_ERR_INIT;

	exec_mark_started(e);
	if (exec_prepare(e, &err) < 0)
		exec_failed(e, &err);
}

static void
exec_prep_done(void *arg)
{
	struct exec_prep		*j = arg;
	struct ctr_exec			*e = j->e;
	struct ctr			*c = e->c;
	const struct berth_runtime_ops	*rt;
	struct berth_runtime_exec	 re;
	struct berth_err		 err = BERTH_ERR_INIT;
	void				*rst;

	e->busy--;
	if (j->rc < 0)
		exec_failed(e, &j->err);
	else if (exec_ctr_check(c, &err) < 0 ||
	    (rt = containers_runtime_of(c, &rst, &err)) == NULL)
		exec_failed(e, &err);
	else {
		memset(&re, 0, sizeof(re));
		re.size = sizeof(re);
		re.id = c->id;
		re.exec_id = e->id;
		re.process = j->process;
		re.terminal = e->tty;
		re.open_stdin = e->in;
		re.detach = e->fd == -1;
		e->run_ns = c->st.started_ns;
		e->pauses = c->pauses;
		e->busy++;
		rt->exec(rst, &re, exec_started, e);
	}
	json_object_put(j->process);
	json_object_put(j->args);
	json_object_put(j->env);
	json_object_put(j->user);
	free(j->cwd);
	free(j);
}

static void
exec_ignore(void *arg, int rc, const struct berth_err *err)
{
	(void)arg;
	(void)rc;
	(void)err;
}

static void
exec_attached(void *arg, int rc, const struct berth_err *err)
{
	struct ctr_exec	*e = arg;

	e->busy--;
	if (rc < 0)
		e->c->cs->h->log(e->c->cs->h, BERTH_LOG_WARN,
		    "exec %.12s: attach: %s", e->id,
		    err != NULL ? err->msg : strerror(-rc));
}

/* The runtime refused the exec: raced by a pause, a kill or a removal,
 * that is Docker's 409. */
static void
exec_judged(void *arg, const struct berth_err *err)
{
	struct ctr_exec		*e = arg;
	struct berth_err	 e2 = BERTH_ERR_INIT;

	e->busy--;
	if (e->c->st.status == CTR_PAUSED || e->c->pauses != e->pauses ||
	    e->c->pausing == 1) {
		berth_err_set(&e2, -EBUSY, "Container %s is paused, unpause "
		    "the container before exec", e->c->id);
		err = &e2;
	}
	exec_failed(e, err);
}

static void
exec_refused(struct ctr_exec *e, int rc, const struct berth_err *err)
{
	e->busy++;
	containers_rt_judge(e->c, rc, err, e->run_ns, exec_judged, e);
}

static void
exec_started(void *arg, int rc, const struct berth_err *err)
{
	struct ctr_exec			*e = arg;
	struct ctr			*c = e->c;
	const struct berth_runtime_ops	*rt;
	struct berth_err		 e2 = BERTH_ERR_INIT;
	struct berth_runtime_state	 rs;
	void				*rst;
	uint32_t			 flags = 0;
	int				 fd;

	e->busy--;
	if (rc < 0) {
		exec_refused(e, rc, err);
		return;
	}
	e->rt_started = 1;
	if ((rt = containers_runtime_of(c, &rst, &e2)) == NULL) {
		if (e->fd != -1)
			close(e->fd);
		e->fd = -1;
		return;
	}
	/* Inspect's Pid: the runtime knows it from its exec answer. */
	if (BERTH_RUNTIME_HAS(rt, exec_state) &&
	    rt->exec_state(rst, c->id, e->id, &rs) == 0)
		e->pid = rs.pid;
	/* The CLI sizes the terminal as soon as it has the 101. */
	if (e->tty && e->rows > 0 && e->cols > 0 && !e->exited)
		rt->resize(rst, c->id, e->id, e->rows, e->cols, exec_ignore,
		    NULL);
	if (e->req != NULL) {
		c->cs->h->resp_status(e->req, 200);
		e->req = NULL;
	}
	if (e->fd == -1)
		return;
	if (e->in)
		flags |= BERTH_ATTACH_STDIN;
	if (e->out)
		flags |= BERTH_ATTACH_STDOUT;
	if (e->err)
		flags |= BERTH_ATTACH_STDERR;
	/* As dockerd: the start request's Tty decides the framing. */
	if (e->start_tty != e->tty)
		flags |= e->start_tty ? BERTH_ATTACH_RAW : BERTH_ATTACH_MUX;
	fd = e->fd;
	e->fd = -1;
	e->busy++;
	rt->attach(rst, c->id, e->id, fd, flags, e->detach_keys,
	    exec_attached, e);
}

/* --- POST /exec/{id}/start ------------------------------------------------- */

static void
exec_hijacked(void *arg, int fd, const void *pending, size_t npending)
{
	struct ctr_exec		*e = arg;
	struct berth_err	 err = BERTH_ERR_INIT;

	(void)pending;
	(void)npending;
	e->busy--;
	/* A client gone before the upgrade: run it detached all the same. */
	e->fd = fd;
	if (exec_prepare(e, &err) < 0)
		exec_failed(e, &err);
}

void
containers_h_exec_start(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	const struct berth_host	*h = cs->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*body = NULL;
	struct ctr_exec		*e;

	if ((e = exec_find(cs, h->req_param(req, "id"), &err)) == NULL ||
	    h->req_json(req, &body, &err) < 0) {
		h->resp_error(req, &err);
		return;
	}
	if (e->started) {
		berth_err_set(&err, -EBUSY, e->exited ? "Error: Exec command "
		    "%s has already run" : "Error: Exec command %s is already "
		    "running", e->id);
		h->resp_error(req, &err);
		return;
	}
	if (exec_ctr_check(e->c, &err) < 0) {
		h->resp_error(req, &err);
		return;
	}
	if (jbool(body, "Detach")) {
		e->req = req;
		exec_begin(e);
		return;
	}
	e->start_tty = jbool(body, "Tty");
	exec_mark_started(e);
	e->busy++;
	h->resp_hijack(req, BERTH_HIJACK_COMMON_HEADERS, exec_hijacked, e);
}

/* The exec exec_id of container id, as the runtime names them. */
static struct ctr_exec *
exec_of(struct containers *cs, const char *id, const char *exec_id)
{
	struct ctr_exec	*e;

	TAILQ_FOREACH(e, &cs->execs, entry)
		if (strcmp(e->id, exec_id) == 0 && strcmp(e->c->id, id) == 0)
			return e;
	return NULL;
}

/* The runtime reports an exec's exit (containers_run.c passes it on). */
void
containers_exec_exited(struct containers *cs, const char *id,
    const char *exec_id, int code)
{
	struct ctr_exec	*e = exec_of(cs, id, exec_id);

	if (e == NULL || e->exited)
		return;
	e->running = 0;
	e->exited = 1;
	e->exit_code = code;
	exec_ids_update(e->c);
	exec_emit(e, "exec_die", 1);
	exec_tell(e, code);
}

/*
 * Run cmd (an array, borrowed) in c for berthd itself, as dockerd runs a
 * health probe: the container's user, env and cwd, no terminal, stdout
 * and stderr framed into fd (taken), the exec events as for any exec.
 * exited(arg, code) is called once: see struct ctr_exec.  0 or -errno.
 */
int
containers_exec_internal(struct ctr *c, json_object *cmd, int fd,
    void (*exited)(void *, int), void *arg, struct berth_err *err)
{
	struct ctr_exec	*e;
	json_object	*copy = NULL;

	if (exec_ctr_check(c, err) < 0) {
		close(fd);
		return err->code;
	}
	if (json_object_deep_copy(cmd, &copy, NULL) != 0 ||
	    (e = exec_new(c, copy)) == NULL) {
		json_object_put(copy);
		close(fd);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	e->fd = fd;
	e->out = e->err = 1;
	e->internal = 1;
	e->on_exit = exited;
	e->on_exit_arg = arg;
	exec_add(e);
	exec_begin(e);		/* a failure is told through exited */
	return 0;
}

/* A client detached from an exec: Docker's exec_detach, with its execID. */
void
containers_exec_detached(struct containers *cs, const char *id,
    const char *exec_id)
{
	struct ctr_exec	*e = exec_of(cs, id, exec_id);
	json_object	*a;

	if (e == NULL)
		return;
	a = json_object_new_object();
	json_object_object_add(a, "execID", json_object_new_string(e->id));
	containers_emit(e->c, "exec_detach", a);
	json_object_put(a);
}

/* --- GET /exec/{id}/json, POST /exec/{id}/resize ---------------------------- */

void
containers_h_exec_inspect(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	const struct berth_host	*h = cs->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct ctr_exec		*e;
	json_object		*o, *pc, *args;
	size_t			 i;

	if ((e = exec_find(cs, h->req_param(req, "id"), &err)) == NULL) {
		h->resp_error(req, &err);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "ID", json_object_new_string(e->id));
	json_object_object_add(o, "Running",
	    json_object_new_boolean(e->running));
	json_object_object_add(o, "ExitCode", e->exited ?
	    json_object_new_int(e->exit_code) : NULL);
	pc = json_object_new_object();
	json_object_object_add(pc, "tty", json_object_new_boolean(e->tty));
	json_object_object_add(pc, "entrypoint", json_object_new_string(
	    json_object_get_string(json_object_array_get_idx(e->cmd, 0))));
	args = json_object_new_array();
	for (i = 1; i < json_object_array_length(e->cmd); i++)
		json_object_array_add(args, json_object_get(
		    json_object_array_get_idx(e->cmd, i)));
	json_object_object_add(pc, "arguments", args);
	json_object_object_add(pc, "privileged",
	    json_object_new_boolean(e->privileged));
	if (e->user != NULL)
		json_object_object_add(pc, "user",
		    json_object_new_string(e->user));
	json_object_object_add(o, "ProcessConfig", pc);
	json_object_object_add(o, "OpenStdin", json_object_new_boolean(e->in));
	json_object_object_add(o, "OpenStderr",
	    json_object_new_boolean(e->err));
	json_object_object_add(o, "OpenStdout",
	    json_object_new_boolean(e->out));
	json_object_object_add(o, "CanRemove", json_object_new_boolean(0));
	json_object_object_add(o, "ContainerID",
	    json_object_new_string(e->c->id));
	json_object_object_add(o, "DetachKeys", json_object_new_string(
	    e->detach_keys != NULL ? e->detach_keys : ""));
	json_object_object_add(o, "Pid", json_object_new_int(e->pid));
	h->resp_json(req, 200, o);
	json_object_put(o);
}

struct exec_resize {
	struct containers	*cs;
	struct berth_req	*req;
};

static void
exec_resized(void *arg, int rc, const struct berth_err *err)
{
	struct exec_resize	*r = arg;

	if (rc < 0)
		r->cs->h->resp_error(r->req, err);
	else
		r->cs->h->resp_status(r->req, 200);
	free(r);
}

void
containers_h_exec_resize(struct berth_req *req, void *state)
{
	struct containers		*cs = state;
	const struct berth_host		*h = cs->h;
	struct berth_err		 err = BERTH_ERR_INIT;
	const struct berth_runtime_ops	*rt;
	struct exec_resize		*r;
	struct ctr_exec			*e;
	unsigned			 rows, cols;
	void				*rst;

	if ((e = exec_find(cs, h->req_param(req, "id"), &err)) == NULL) {
		h->resp_error(req, &err);
		return;
	}
	if (containers_req_size(h, req, &rows, &cols, &err) < 0) {
		h->resp_error(req, &err);
		return;
	}
	/* Not in the runtime yet: applied once the exec has started. */
	e->rows = rows;
	e->cols = cols;
	if (!e->rt_started || e->exited) {
		h->resp_status(req, 200);
		return;
	}
	if ((rt = containers_runtime_of(e->c, &rst, &err)) == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL) {
		if (rt != NULL)
			berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return;
	}
	r->cs = cs;
	r->req = req;
	rt->resize(rst, e->c->id, e->id, rows, cols, exec_resized, r);
}

/* fini: forget every exec (the processes are the monitors'). */
void
containers_exec_fini(struct containers *cs)
{
	struct ctr_exec	*e;

	while ((e = TAILQ_FIRST(&cs->execs)) != NULL) {
		TAILQ_REMOVE(&cs->execs, e, entry);
		/* An operation in flight still points at it: leave it. */
		if (e->busy)
			continue;
		exec_free(e);
	}
}
