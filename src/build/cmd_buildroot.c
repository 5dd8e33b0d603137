/*
 * cmd_buildroot.c: `quarry buildroot prepare`, a hidden command (tests,
 * benchmarks, debugging) that prepares a buildroot as an installroot
 * worker does for a task: the repos' repomd.xml hashed, the base root
 * (cache hit or dnf in the sandbox), then the build's root with the given
 * BuildRequires. Prints "key", "hit", "seconds" and "root" lines for each,
 * then the contents' size.
 *
 *   quarry buildroot prepare --cache DIR --repo URL [--repo URL…]
 *       [--packages "a b c"] [--releasever 9] [--requires "x y z"]
 */
#include "core/common.h"
#include "core/error.h"
#include "build/buildroot.h"
#include "cli/cli.h"

#include <glib.h>

static char **words(const char *s)
{
	char *p = g_strdup(s);
	char **w;

	g_strdelimit(g_strstrip(p), "\t\n,", ' ');
	w = g_regex_split_simple(" +", p, 0, 0);
	g_free(p);
	if (w[0] && !w[0][0]) {
		g_strfreev(w);
		w = g_new0(char *, 1);
	}
	return w;
}

int cmd_buildroot(int argc, char **argv)
{
	static const char usage[] =
	    "usage: quarry buildroot prepare --cache DIR --repo URL [--repo URL...]\n"
	    "                                [--packages \"A B\"] [--releasever V] [--requires "
	    "\"X Y\"]\n";
	GPtrArray *repos = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *repomd = g_ptr_array_new_with_free_func(g_free);
	char **pkgs = NULL, **reqs = NULL;
	const char *cache = NULL, *releasever = "9";
	struct q_buildroot_spec spec = {0};
	struct q_buildroot_info base, root;
	struct q_error err = {0};
	char *installed = NULL;
	int ret = 1;

	if (argc < 2 || strcmp(argv[1], "prepare")) {
		fputs(usage, stderr);
		goto out;
	}
	for (int i = 2; i < argc; i += 2) { /* OPTION VALUE pairs */
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v) {
			fputs(usage, stderr);
			goto out;
		}
		if (!strcmp(argv[i], "--cache"))
			cache = v;
		else if (!strcmp(argv[i], "--repo"))
			g_ptr_array_add(repos, g_strdup(v));
		else if (!strcmp(argv[i], "--packages"))
			pkgs = (g_strfreev(pkgs), words(v));
		else if (!strcmp(argv[i], "--requires"))
			reqs = (g_strfreev(reqs), words(v));
		else if (!strcmp(argv[i], "--releasever"))
			releasever = v;
		else {
			fputs(usage, stderr);
			goto out;
		}
	}
	if (!cache || !repos->len) {
		fputs(usage, stderr);
		goto out;
	}
	for (guint i = 0; i < repos->len; i++) {
		char sha[65];

		if (q_buildroot_repomd(repos->pdata[i], sha, &err) < 0)
			goto fail;
		g_ptr_array_add(repomd, g_strdup(sha));
	}
	g_ptr_array_add(repos, NULL);
	g_ptr_array_add(repomd, NULL);
	spec.repos = (const char *const *)repos->pdata;
	spec.repomd = (const char *const *)repomd->pdata;
	spec.packages = (const char *const *)pkgs;
	spec.releasever = releasever;
	spec.log_fd = getenv("QUARRY_BUILDROOT_VERBOSE") ? 2 : 0;
	if (q_buildroot_prepare_base(&spec, cache, &base, &err) < 0)
		goto fail;
	printf("base key %s\nbase hit %d\nbase seconds %.3f\nbase root %s\n", base.key, base.hit,
	       base.seconds, base.root);
	if (q_buildroot_prepare_deps(&spec, &base, (const char *const *)reqs, cache, &root,
				     &installed, &err) < 0)
		goto fail;
	printf("build key %s\nbuild hit %d\nbuild seconds %.3f\nbuild root %s\n", root.key,
	       root.hit, root.seconds, root.root);
	{
		json_t *c = q_buildroot_contents(root.root, &err);

		if (!c)
			goto fail;
		printf("packages %zu\n", json_array_size(c));
		json_decref(c);
	}
	ret = 0;
	goto out;
fail:
	fprintf(stderr, "quarry buildroot: %s\n", err.msg);
out:
	g_free(installed);
	g_strfreev(pkgs);
	g_strfreev(reqs);
	g_ptr_array_unref(repos);
	g_ptr_array_unref(repomd);
	return ret;
}
