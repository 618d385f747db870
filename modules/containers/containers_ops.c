/*
 * containers_ops.c - pause, unpause, rename, top and prune.
 *
 * pause/unpause go through runtime/1 (the runtime's freezer); rename is
 * a name change saved with the state; top runs the host's ps, as
 * Docker does, and keeps the lines whose PID is in the container's
 * cgroup; prune removes every container that does not run and matches
 * the filters.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <berth/json.h>

#include "containers.h"

/* --- pause, unpause ---------------------------------------------------- */

struct pause_req {
	struct containers	*cs;
	struct berth_req	*req;
	struct ctr		*c;
	int			 pause;
	int64_t			 run_ns;	/* the run it was asked of */
};

static void	pause_finish(struct pause_req *);

static void
pause_judged(void *arg, const struct berth_err *err)
{
	struct pause_req	*pr = arg;

	pr->cs->h->resp_error(pr->req, err);
	pause_finish(pr);
}

static void
pause_done(void *arg, int rc, const struct berth_err *err)
{
	struct pause_req	*pr = arg;
	struct ctr		*c = pr->c;

	if (rc < 0) {
		/* A kill or a removal that raced it: Docker's 409. */
		containers_rt_judge(c, rc, err, pr->run_ns, pause_judged, pr);
		return;
	}
	{
		/* An exit seen meanwhile wins: it is the newer news. */
		if (c->st.status == CTR_RUNNING || c->st.status == CTR_PAUSED)
			c->st.status = pr->pause ? CTR_PAUSED : CTR_RUNNING;
		containers_save(c);
		containers_emit(c, pr->pause ? "pause" : "unpause", NULL);
		pr->cs->h->resp_status(pr->req, 204);
	}
	pause_finish(pr);
}

static void
pause_finish(struct pause_req *pr)
{
	struct ctr	*c = pr->c;

	c->pausing = 0;
	/* Those that came meanwhile judge the state as it is now. */
	containers_ops_fire(&c->pause_waiters, 0, NULL);
	ctr_unref(c);
	free(pr);
}

static void	ops_pause(struct berth_req *, struct containers *, int);

struct pause_wait {
	struct containers	*cs;
	struct berth_req	*req;
	int			 pause;
};

static void
pause_again(void *arg, int rc, const struct berth_err *err)
{
	struct pause_wait	*w = arg;

	(void)rc;
	(void)err;
	ops_pause(w->req, w->cs, w->pause);
	free(w);
}

static void
ops_pause(struct berth_req *req, struct containers *cs, int pause)
{
	const struct berth_host		*h = cs->h;
	struct berth_err		 err = BERTH_ERR_INIT;
	const struct berth_runtime_ops	*rt;
	struct pause_req		*pr;
	struct ctr			*c;
	void				*rst;

	if ((c = containers_find(cs, h->req_param(req, "id"), &err)) == NULL) {
		h->resp_error(req, &err);
		return;
	}
	/* One freezer change at a time, as dockerd's container lock. */
	if (c->pausing) {
		struct pause_wait *w = calloc(1, sizeof(*w));

		if (w != NULL) {
			w->cs = cs;
			w->req = req;
			w->pause = pause;
			if (containers_ops_add(&c->pause_waiters, pause_again,
			    w) == 0)
				return;
			free(w);
		}
		berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return;
	}
	(void)containers_admit(c, pause ? CTR_OP_PAUSE : CTR_OP_UNPAUSE,
	    &err);
	if (err.code != 0 ||
	    (rt = containers_runtime_of(c, &rst, &err)) == NULL) {
		h->resp_error(req, &err);
		return;
	}
	if ((pr = calloc(1, sizeof(*pr))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return;
	}
	pr->cs = cs;
	pr->req = req;
	pr->c = c;
	pr->pause = pause;
	pr->run_ns = c->st.started_ns;
	ctr_ref(c);
	c->pausing = pause ? 1 : 2;
	if (pause)
		c->pauses++;	/* an exec refused from now may be why */
	if (pause)
		rt->pause(rst, c->id, pause_done, pr);
	else
		rt->resume(rst, c->id, pause_done, pr);
}

void
containers_h_pause(struct berth_req *req, void *state)
{
	ops_pause(req, state, 1);
}

void
containers_h_unpause(struct berth_req *req, void *state)
{
	ops_pause(req, state, 0);
}

/* --- rename ---------------------------------------------------------------- */

void
containers_h_rename(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	const struct berth_host	*h = cs->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	const char		*name = h->req_query(req, "name", 0);
	struct ctr		*c, *other;
	json_object		*a;
	char			*old, *nn;

	if (name == NULL || *name == '\0') {
		berth_err_set(&err, -EINVAL,
		    "Neither old nor new names may be empty");
		h->resp_error(req, &err);
		return;
	}
	if ((c = containers_find(cs, h->req_param(req, "id"), &err)) == NULL) {
		h->resp_error(req, &err);
		return;
	}
	if (name[0] == '/')
		name++;
	if (strcmp(c->name + 1, name) == 0) {
		berth_err_set(&err, -EINVAL, "Renaming a container with the "
		    "same name as its current name");
		h->resp_error(req, &err);
		return;
	}
	if (!containers_name_valid(name)) {
		berth_err_set(&err, -EINVAL, "Error when allocating new name: "
		    "Invalid container name (%s), only "
		    "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
		h->resp_error(req, &err);
		return;
	}
	if ((other = containers_find_name(cs, name)) != NULL) {
		berth_err_set(&err, -EEXIST, "Error when allocating new name: "
		    "Conflict. The container name \"/%s\" is already in use "
		    "by container \"%s\". You have to remove (or rename) that "
		    "container to be able to reuse that name.", name,
		    other->id);
		h->resp_error(req, &err);
		return;
	}
	if ((nn = malloc(strlen(name) + 2)) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return;
	}
	nn[0] = '/';
	strcpy(nn + 1, name);
	old = c->name;
	c->name = nn;
	containers_save(c);
	a = json_object_new_object();
	json_object_object_add(a, "oldName", json_object_new_string(old));
	containers_emit(c, "rename", a);
	json_object_put(a);
	free(old);
	h->resp_status(req, 204);
}

/* --- top ------------------------------------------------------------------- */

/*
 * Docker's parse of ps output: the first line gives the titles, a line
 * is kept when its PID column names one of pids, and whatever lies
 * beyond the last title (a command with spaces) is joined into it.
 */
int
containers_top_parse(const char *out, const pid_t *pids, size_t npids,
    json_object **res, struct berth_err *err)
{
	json_object	*titles, *procs, *row, *o;
	const char	*line, *nl, *p, *q;
	char		*f[256], buf[8192], *end;
	size_t		 nf, i, ntitles = 0, pidx = SIZE_MAX, len;
	long		 pid;
	int		 first = 1;

	titles = json_object_new_array();
	procs = json_object_new_array();
	for (line = out; line != NULL && *line != '\0';
	    line = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = '\0';
		/* Fields, split at ASCII blanks as Docker's fieldsASCII. */
		nf = 0;
		for (p = buf; *p != '\0' && nf < 256;) {
			while (*p == ' ' || *p == '\t' || *p == '\r' ||
			    *p == '\v' || *p == '\f')
				p++;
			if (*p == '\0')
				break;
			for (q = p; *q != '\0' && *q != ' ' && *q != '\t' &&
			    *q != '\r' && *q != '\v' && *q != '\f'; q++)
				;
			f[nf++] = (char *)p;
			if (*q != '\0')
				*(char *)q++ = '\0';
			p = q;
		}
		if (first) {
			first = 0;
			for (i = 0; i < nf; i++) {
				json_object_array_add(titles,
				    json_object_new_string(f[i]));
				if (strcmp(f[i], "PID") == 0 && pidx == SIZE_MAX)
					pidx = i;
			}
			ntitles = nf;
			if (pidx == SIZE_MAX) {
				json_object_put(titles);
				json_object_put(procs);
				return berth_err_set(err, -EIO, "Couldn't find "
				    "PID field in ps output");
			}
			continue;
		}
		if (nf == 0)
			continue;
		if (pidx >= nf) {
			json_object_put(titles);
			json_object_put(procs);
			return berth_err_set(err, -EIO, "Unexpected pid "
			    "field in ps output");
		}
		errno = 0;
		pid = strtol(f[pidx], &end, 10);
		if (errno != 0 || *end != '\0') {
			json_object_put(titles);
			json_object_put(procs);
			return berth_err_set(err, -EIO, "Unexpected pid '%s'",
			    f[pidx]);
		}
		for (i = 0; i < npids; i++)
			if (pids[i] == (pid_t)pid)
				break;
		if (i == npids)
			continue;
		row = json_object_new_array();
		for (i = 0; i < nf && i + 1 < ntitles; i++)
			json_object_array_add(row,
			    json_object_new_string(f[i]));
		if (i < nf) {
			/* The rest, as one field joined by single spaces. */
			char	 rest[8192];
			size_t	 off = 0, k;

			rest[0] = '\0';
			for (k = i; k < nf && off < sizeof(rest); k++)
				off += (size_t)snprintf(rest + off,
				    sizeof(rest) - off, "%s%s",
				    k > i ? " " : "", f[k]);
			json_object_array_add(row,
			    json_object_new_string(rest));
		}
		json_object_array_add(procs, row);
	}
	o = json_object_new_object();
	json_object_object_add(o, "Titles", titles);
	json_object_object_add(o, "Processes", procs);
	*res = o;
	return 0;
}

#define TOP_OUT_MAX	(16u << 20)
#define TOP_PIDS_MAX	65536

struct top_job {
	struct containers	*cs;
	struct berth_req	*req;
	struct ctr		*c;
	pid_t			 init_pid;
	int			 fd;		/* ps's stdout */
	int			 pending;	/* exit and read, both */
	int			 wstatus;
	char			*out;
	size_t			 outlen;
	pid_t			*pids;
	size_t			 npids;
	int			 rc;
	struct berth_err	 err;
};

/* The cgroup.procs of pid's cgroup: v1 (pids, memory, ...) or v2. */
static int
top_cgroup_procs(pid_t pid, char *path, size_t len)
{
	static const char *const ctrls[] = { "pids", "memory", "cpu,cpuacct",
	    "freezer", "devices", NULL };
	char	 p[64], line[4096], *c1, *c2;
	FILE	*f;
	int	 i, found = -ENOENT;

	snprintf(p, sizeof(p), "/proc/%ld/cgroup", (long)pid);
	for (i = 0; ctrls[i] != NULL && found < 0; i++) {
		if ((f = fopen(p, "re")) == NULL)
			return -errno;
		while (fgets(line, sizeof(line), f) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			if ((c1 = strchr(line, ':')) == NULL ||
			    (c2 = strchr(c1 + 1, ':')) == NULL)
				continue;
			*c2 = '\0';
			if (strcmp(c1 + 1, ctrls[i]) != 0 &&
			    !(c1[1] == '\0' && i == 0))
				continue;
			if (c1[1] == '\0')
				snprintf(path, len, "/sys/fs/cgroup%s/"
				    "cgroup.procs", c2 + 1);
			else
				snprintf(path, len, "/sys/fs/cgroup/%s%s/"
				    "cgroup.procs", c1 + 1, c2 + 1);
			if (access(path, R_OK) == 0) {
				found = 0;
				break;
			}
		}
		fclose(f);
	}
	return found;
}

static void
top_work(void *arg)
{
	struct top_job	*j = arg;
	char		 path[PATH_MAX], *nb;
	FILE		*f;
	ssize_t		 n;
	size_t		 cap = 0;
	long		 v;

	/* The output first: ps must never block on a full pipe. */
	for (;;) {
		if (j->outlen + 4096 + 1 > cap) {
			if (cap >= TOP_OUT_MAX)
				break;
			cap = cap == 0 ? 65536 : cap * 2;
			if ((nb = realloc(j->out, cap)) == NULL) {
				j->rc = berth_err_set(&j->err, -ENOMEM,
				    "out of memory");
				break;
			}
			j->out = nb;
		}
		n = read(j->fd, j->out + j->outlen, cap - j->outlen - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		j->outlen += (size_t)n;
	}
	close(j->fd);
	j->fd = -1;
	if (j->out != NULL)
		j->out[j->outlen] = '\0';
	if (j->rc < 0)
		return;
	if (top_cgroup_procs(j->init_pid, path, sizeof(path)) < 0 ||
	    (f = fopen(path, "re")) == NULL) {
		/* No cgroup found: the init alone, rather than nothing. */
		if ((j->pids = calloc(1, sizeof(pid_t))) != NULL) {
			j->pids[0] = j->init_pid;
			j->npids = 1;
		}
		return;
	}
	if ((j->pids = calloc(TOP_PIDS_MAX, sizeof(pid_t))) == NULL) {
		fclose(f);
		j->rc = berth_err_set(&j->err, -ENOMEM, "out of memory");
		return;
	}
	while (j->npids < TOP_PIDS_MAX && fscanf(f, "%ld", &v) == 1)
		j->pids[j->npids++] = (pid_t)v;
	fclose(f);
}

static void
top_finish(struct top_job *j)
{
	const struct berth_host	*h = j->cs->h;
	json_object		*res;

	if (--j->pending > 0)
		return;
	if (j->rc == 0 && (!WIFEXITED(j->wstatus) ||
	    WEXITSTATUS(j->wstatus) != 0))
		j->rc = berth_err_set(&j->err, -EIO, "Error running ps: exit "
		    "status %d: %s", WIFEXITED(j->wstatus) ?
		    WEXITSTATUS(j->wstatus) : 128 + WTERMSIG(j->wstatus),
		    j->out != NULL ? j->out : "");
	if (j->rc == 0 && (j->rc = containers_top_parse(j->out != NULL ?
	    j->out : "", j->pids, j->npids, &res, &j->err)) == 0) {
		h->resp_json(j->req, 200, res);
		json_object_put(res);
	}
	if (j->rc < 0)
		h->resp_error(j->req, &j->err);
	if (j->fd != -1)
		close(j->fd);
	ctr_unref(j->c);
	free(j->out);
	free(j->pids);
	free(j);
}

static void
top_read_done(void *arg)
{
	top_finish(arg);
}

static void
top_exited(pid_t pid, int wstatus, void *arg)
{
	struct top_job	*j = arg;

	(void)pid;
	j->wstatus = wstatus;
	top_finish(j);
}

void
containers_h_top(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	const struct berth_host	*h = cs->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct berth_spawn_opts	 so;
	const char		*args = h->req_query(req, "ps_args", 0);
	const char		*argv[64], *ps;
	char			*copy = NULL, *tok, *sv;
	struct top_job		*j;
	struct ctr		*c;
	int			 fds[2], n = 0;
	pid_t			 pid;

	if ((c = containers_find(cs, h->req_param(req, "id"), &err)) == NULL) {
		h->resp_error(req, &err);
		return;
	}
	if (containers_admit(c, CTR_OP_TOP, &err) < 0) {
		h->resp_error(req, &err);
		return;
	}
	ps = access("/usr/bin/ps", X_OK) == 0 ? "/usr/bin/ps" : "/bin/ps";
	argv[n++] = ps;
	if (args == NULL || *args == '\0')
		argv[n++] = "-ef";
	else {
		if ((copy = strdup(args)) == NULL) {
			berth_err_set(&err, -ENOMEM, "out of memory");
			h->resp_error(req, &err);
			return;
		}
		for (tok = strtok_r(copy, " \t", &sv); tok != NULL && n < 63;
		    tok = strtok_r(NULL, " \t", &sv))
			argv[n++] = tok;
	}
	argv[n] = NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    pipe2(fds, O_CLOEXEC) == -1) {
		free(j);
		free(copy);
		berth_err_set(&err, -ENOMEM, "cannot run ps");
		h->resp_error(req, &err);
		return;
	}
	memset(&so, 0, sizeof(so));
	so.size = sizeof(so);
	so.stdin_fd = -1;
	so.stdout_fd = fds[1];
	so.stderr_fd = fds[1];
	j->cs = cs;
	j->req = req;
	j->c = c;
	j->init_pid = c->st.pid;
	j->fd = fds[0];
	pid = h->spawn(h, argv, &so, top_exited, j);
	close(fds[1]);
	free(copy);
	if (pid < 0) {
		close(fds[0]);
		free(j);
		berth_err_set(&err, (int)pid, "Error running ps: %s",
		    strerror((int)-pid));
		h->resp_error(req, &err);
		return;
	}
	ctr_ref(c);
	j->pending = 2;
	if (h->work(h, top_work, top_read_done, j) < 0) {
		/* The exit callback still comes; the pipe just closes. */
		close(j->fd);
		j->fd = -1;
		j->rc = berth_err_set(&j->err, -ENOMEM, "cannot read ps");
		top_finish(j);
	}
}

/* --- prune ------------------------------------------------------------------ */

/* A Go duration ("90s", "1h30m", "10m"): 0 and *ns, else -EINVAL. */
static int
ops_go_duration(const char *s, int64_t *ns)
{
	static const struct { const char *u; int64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "µs", 1000 },
		{ "ms", 1000000 }, { "s", 1000000000LL },
		{ "m", 60000000000LL }, { "h", 3600000000000LL },
	};
	double		 v, total = 0;
	char		*end;
	size_t		 i, best, bl;
	int		 neg = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (*s == '\0')
		return -EINVAL;
	while (*s != '\0') {
		if (!isdigit((unsigned char)*s) && *s != '.')
			return -EINVAL;
		v = strtod(s, &end);
		if (end == s)
			return -EINVAL;
		s = end;
		best = SIZE_MAX;
		bl = 0;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strncmp(s, units[i].u, strlen(units[i].u)) == 0 &&
			    strlen(units[i].u) > bl) {
				best = i;
				bl = strlen(units[i].u);
			}
		if (best == SIZE_MAX)
			return -EINVAL;
		total += v * (double)units[best].ns;
		s += bl;
	}
	*ns = (int64_t)(neg ? -total : total);
	return 0;
}

/* until: a duration before now, or a timestamp, as Docker's. */
int
containers_until_parse(const char *s, int64_t now, int64_t *ns)
{
	int64_t	d;

	if (ops_go_duration(s, &d) == 0) {
		*ns = now - d;
		return 0;
	}
	return containers_ts_parse(s, ns);
}

/* The filters' values for key, in either of Docker's two shapes. */
static void
prune_values(json_object *v, void (*fn)(const char *, void *), void *arg)
{
	size_t	i;

	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, b) {
			if (json_object_get_boolean(b))
				fn(k, arg);
		}
	} else if (json_object_is_type(v, json_type_array)) {
		for (i = 0; i < json_object_array_length(v); i++)
			fn(json_object_get_string(
			    json_object_array_get_idx(v, i)), arg);
	}
}

struct prune_filters {
	json_object	*labels;	/* "k" or "k=v" */
	json_object	*nlabels;	/* label! */
	int64_t		 until;		/* 0: none */
	int		 bad;
	struct berth_err err;
};

static void
prune_add_label(const char *s, void *arg)
{
	json_object_array_add(arg, json_object_new_string(s));
}

static void
prune_add_until(const char *s, void *arg)
{
	struct prune_filters	*pf = arg;

	if (containers_until_parse(s, containers_now_ns(), &pf->until) < 0) {
		pf->bad = 1;
		berth_err_set(&pf->err, -EINVAL, "failed to parse value %s "
		    "as a time or duration", s);
	}
}

static int
prune_filters_parse(const char *q, struct prune_filters *pf,
    struct berth_err *err)
{
	json_object	*o;

	memset(pf, 0, sizeof(*pf));
	pf->labels = json_object_new_array();
	pf->nlabels = json_object_new_array();
	if (q == NULL || *q == '\0')
		return 0;
	if ((o = json_tokener_parse(q)) == NULL ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return berth_err_set(err, -EINVAL, "invalid filter '%s'", q);
	}
	json_object_object_foreach(o, k, v) {
		if (strcmp(k, "label") == 0)
			prune_values(v, prune_add_label, pf->labels);
		else if (strcmp(k, "label!") == 0)
			prune_values(v, prune_add_label, pf->nlabels);
		else if (strcmp(k, "until") == 0)
			prune_values(v, prune_add_until, pf);
		else {
			berth_err_set(err, -EINVAL, "Invalid filter '%s'", k);
			json_object_put(o);
			return err->code;
		}
	}
	json_object_put(o);
	if (pf->bad) {
		*err = pf->err;
		return err->code;
	}
	return 0;
}

/* Docker's label filter: "k" present, "k=v" equal. */
static int
prune_label_has(json_object *labels, const char *f)
{
	const char	*eq = strchr(f, '='), *v;
	char		 key[512];

	if (eq == NULL)
		return json_object_object_get_ex(labels, f, NULL);
	snprintf(key, sizeof(key), "%.*s", (int)(eq - f), f);
	if (!json_object_object_get_ex(labels, key, NULL))
		return 0;
	v = json_object_get_string(json_object_object_get(labels, key));
	return v != NULL && strcmp(v, eq + 1) == 0;
}

static int
prune_match(const struct prune_filters *pf, json_object *labels,
    int64_t created_ns)
{
	size_t	i;

	if (pf->until != 0 && created_ns >= pf->until)
		return 0;
	for (i = 0; i < json_object_array_length(pf->labels); i++)
		if (labels == NULL || !prune_label_has(labels,
		    json_object_get_string(json_object_array_get_idx(
		    pf->labels, i))))
			return 0;
	for (i = 0; i < json_object_array_length(pf->nlabels); i++)
		if (labels != NULL && prune_label_has(labels,
		    json_object_get_string(json_object_array_get_idx(
		    pf->nlabels, i))))
			return 0;
	return 1;
}

struct prune_one {
	struct ctr	*c;
	char		 upper[PATH_MAX];
	int64_t		 size;
};

struct prune_job {
	struct containers	*cs;
	struct berth_req	*req;
	struct prune_one	*v;
	size_t			 n;
	size_t			 left;
	json_object		*deleted;
	uint64_t		 reclaimed;
};

static void
prune_size_work(void *arg)
{
	struct prune_job	*j = arg;
	size_t			 i;

	for (i = 0; i < j->n; i++)
		if (j->v[i].upper[0] != '\0')
			j->v[i].size = containers_du(j->v[i].upper, 0);
}

static void
prune_finish(struct prune_job *j)
{
	json_object	*o, *a;
	char		 buf[32];
	size_t		 i;

	o = json_object_new_object();
	/* Docker's answer has null, not [], when nothing went. */
	json_object_object_add(o, "ContainersDeleted",
	    json_object_array_length(j->deleted) > 0 ?
	    json_object_get(j->deleted) : NULL);
	json_object_object_add(o, "SpaceReclaimed",
	    json_object_new_int64((int64_t)j->reclaimed));
	a = json_object_new_object();
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)j->reclaimed);
	json_object_object_add(a, "reclaimed", json_object_new_string(buf));
	j->cs->h->emit(j->cs->h, "container", "prune", "", a);
	json_object_put(a);
	j->cs->h->resp_json(j->req, 200, o);
	json_object_put(o);
	json_object_put(j->deleted);
	for (i = 0; i < j->n; i++)
		ctr_unref(j->v[i].c);
	free(j->v);
	free(j);
}

struct prune_rm {
	struct prune_job	*j;
	size_t			 i;
};

static void
prune_removed(void *arg, int rc, const struct berth_err *err)
{
	struct prune_rm		*pr = arg;
	struct prune_job	*j = pr->j;
	struct prune_one	*p = &j->v[pr->i];

	if (rc == 0) {
		json_object_array_add(j->deleted,
		    json_object_new_string(p->c->id));
		if (p->size > 0)
			j->reclaimed += (uint64_t)p->size;
	} else
		j->cs->h->log(j->cs->h, BERTH_LOG_WARN, "prune: container "
		    "%.12s: %s", p->c->id, err != NULL ? err->msg : "failed");
	free(pr);
	if (--j->left == 0)
		prune_finish(j);
}

static void
prune_size_done(void *arg)
{
	struct prune_job	*j = arg;
	struct prune_rm		*pr;
	size_t			 i;

	/* One extra count so that no removal finishes the job early. */
	j->left = j->n + 1;
	for (i = 0; i < j->n; i++) {
		if ((pr = calloc(1, sizeof(*pr))) == NULL) {
			j->left--;
			continue;
		}
		pr->j = j;
		pr->i = i;
		containers_remove(j->v[i].c, 0, prune_removed, pr);
	}
	if (--j->left == 0)
		prune_finish(j);
}

void
containers_h_prune(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	const struct berth_host	*h = cs->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct prune_filters	 pf;
	struct prune_job	*j;
	struct ctr		*c;
	char			 merged[PATH_MAX];
	size_t			 n = 0;

	if (prune_filters_parse(h->req_query(req, "filters", 0), &pf,
	    &err) < 0) {
		json_object_put(pf.labels);
		json_object_put(pf.nlabels);
		h->resp_error(req, &err);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		goto oom;
	TAILQ_FOREACH(c, &cs->list, entry)
		n++;
	if (n > 0 && (j->v = calloc(n, sizeof(*j->v))) == NULL)
		goto oom;
	j->cs = cs;
	j->req = req;
	j->deleted = json_object_new_array();
	/* Chosen all at once, before anything is removed. */
	TAILQ_FOREACH(c, &cs->list, entry) {
		if (c->st.status == CTR_RUNNING || c->st.status == CTR_PAUSED ||
		    c->st.status == CTR_RESTARTING || c->starting ||
		    c->removing || c->removed)
			continue;
		if (!prune_match(&pf, berth_json_get(c->config,
		    "Labels"), c->created_ns))
			continue;
		j->v[j->n].c = c;
		ctr_ref(c);
		if (cs->img->rootfs_paths(cs->img_st, c->id, merged,
		    j->v[j->n].upper, PATH_MAX) < 0)
			j->v[j->n].upper[0] = '\0';
		j->n++;
	}
	json_object_put(pf.labels);
	json_object_put(pf.nlabels);
	if (j->n == 0) {
		prune_size_done(j);
		return;
	}
	if (h->work(h, prune_size_work, prune_size_done, j) < 0)
		prune_size_done(j);
	return;
oom:
	json_object_put(pf.labels);
	json_object_put(pf.nlabels);
	if (j != NULL)
		free(j->v);
	free(j);
	berth_err_set(&err, -ENOMEM, "out of memory");
	h->resp_error(req, &err);
}
