/* registry.c - driver and hook tables: small sorted lists. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <berth/resolver.h>

#include "registry.h"

struct driver {
	char		*iface;
	char		*name;
	const void	*ops;
	void		*state;
	struct core_mod	*owner;
	struct driver	*next;		/* sorted by iface, then name */
};

struct hook {
	char		*name;
	berth_hook_fn	 fn;
	void		*state;
	struct core_mod	*owner;
	struct hook	*next;		/* registration order */
};

static struct driver	*drivers;
static struct hook	*hooks;

static int
driver_cmp(const struct driver *d, const char *iface, const char *name)
{
	int	c;

	if ((c = strcmp(d->iface, iface)) != 0)
		return c;
	return strcmp(d->name, name);
}

int
registry_provide(struct core_mod *owner, const char *iface, const char *name,
    const void *ops, void *state, struct berth_err *err)
{
	struct driver	**pp, *d;
	int		  c = 1;

	if (iface == NULL || name == NULL || *name == '\0' || ops == NULL)
		return berth_err_set(err, -EINVAL,
		    "provide: interface, name and ops are required");
	for (pp = &drivers; *pp != NULL; pp = &(*pp)->next)
		if ((c = driver_cmp(*pp, iface, name)) >= 0)
			break;
	if (*pp != NULL && c == 0)
		return berth_err_set(err, -EEXIST,
		    "driver %s of %s is already provided", name, iface);
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->iface = strdup(iface)) == NULL ||
	    (d->name = strdup(name)) == NULL) {
		if (d)
			free(d->iface);
		free(d);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	d->ops = ops;
	d->state = state;
	d->owner = owner;
	d->next = *pp;
	*pp = d;
	return 0;
}

static struct driver *
find(const char *iface, const char *name)
{
	struct driver	*d;

	for (d = drivers; d != NULL; d = d->next)
		if (driver_cmp(d, iface, name) == 0)
			return d;
	return NULL;
}

/*
 * A driver nobody registered may still be found on demand by a resolver
 * (berth/resolver.h): the first that answers wins.  Resolvers are never
 * asked about their own interface.
 */
static const void *
resolve(const char *iface, const char *name, void **statep)
{
	const struct berth_resolver_ops	*ro;
	const void			*ops;
	struct driver			*d;
	void				*st;

	if (strcmp(iface, BERTH_RESOLVER_IFACE) == 0)
		return NULL;
	for (d = drivers; d != NULL; d = d->next) {
		if (strcmp(d->iface, BERTH_RESOLVER_IFACE) != 0)
			continue;
		ro = d->ops;
		st = NULL;
		if (ro->size >= sizeof(*ro) && ro->resolve != NULL &&
		    (ops = ro->resolve(d->state, iface, name, &st)) != NULL) {
			if (statep)
				*statep = st;
			return ops;
		}
	}
	return NULL;
}

const void *
registry_lookup(const char *iface, const char *name, void **statep)
{
	struct driver	*d;

	if (iface == NULL || name == NULL || *name == '\0')
		return NULL;
	if ((d = find(iface, name)) == NULL)
		return resolve(iface, name, statep);
	if (statep)
		*statep = d->state;
	return d->ops;
}

struct core_mod *
registry_owner(const char *iface, const char *name)
{
	struct driver	*d = find(iface, name);

	return d ? d->owner : NULL;
}

void
registry_each(const char *iface, berth_driver_cb cb, void *arg)
{
	struct driver	*d;

	for (d = drivers; d != NULL; d = d->next)
		if (strcmp(d->iface, iface) == 0)
			cb(d->name, d->ops, d->state, arg);
}

int
registry_hook_add(struct core_mod *owner, const char *name, berth_hook_fn fn,
    void *state, struct berth_err *err)
{
	struct hook	*h, **pp;

	if (name == NULL || fn == NULL)
		return berth_err_set(err, -EINVAL, "hook: name and fn needed");
	if (strcmp(name, BERTH_HOOK_INFO) != 0)
		return berth_err_set(err, -ENOENT, "no hook named %s", name);
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->name = strdup(name)) == NULL) {
		free(h);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	h->fn = fn;
	h->state = state;
	h->owner = owner;
	for (pp = &hooks; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = h;
	return 0;
}

void
registry_hook_run(const char *name, json_object *out)
{
	struct hook	*h;

	for (h = hooks; h != NULL; h = h->next)
		if (strcmp(h->name, name) == 0)
			h->fn(h->state, out);
}

int
registry_withdraw(struct core_mod *owner, const char *iface, const char *name)
{
	struct driver	**dp, *d;

	for (dp = &drivers; (d = *dp) != NULL; dp = &d->next)
		if (d->owner == owner && driver_cmp(d, iface, name) == 0) {
			*dp = d->next;
			free(d->iface);
			free(d->name);
			free(d);
			return 0;
		}
	return -ENOENT;
}

void
registry_remove_owner(struct core_mod *owner)
{
	struct driver	**dp = &drivers, *d;
	struct hook	**hp = &hooks, *h;

	while ((d = *dp) != NULL) {
		if (d->owner == owner) {
			*dp = d->next;
			free(d->iface);
			free(d->name);
			free(d);
		} else
			dp = &d->next;
	}
	while ((h = *hp) != NULL) {
		if (h->owner == owner) {
			*hp = h->next;
			free(h->name);
			free(h);
		} else
			hp = &h->next;
	}
}

void
registry_clear(void)
{
	struct driver	*d;
	struct hook	*h;

	while ((d = drivers) != NULL) {
		drivers = d->next;
		free(d->iface);
		free(d->name);
		free(d);
	}
	while ((h = hooks) != NULL) {
		hooks = h->next;
		free(h->name);
		free(h);
	}
}
