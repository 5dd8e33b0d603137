/*
 * test_gitimport.c: q_git_checkout, q_git_check_ref and q_git_split_source
 * (src/content/gitimport.c) against real git repositories built at run
 * time in a temporary directory.
 *
 * The source repository is made with the git CLI: a good "rpms" tree on
 * 'main' and on 'r9-sig-mc-1' (with an executable file and an annotated
 * tag imports/r9-sig-mc-1/foo-1-1.el9.mc), and one branch per broken tree:
 * no .foo.metadata, two specs, no spec, a symlink pointing inside the tree,
 * a submodule entry, a lookaside target that is also committed, a bad
 * metadata line. Trees the git CLI refuses to make (an entry named "..",
 * an entry name with a '/', a ".git" directory) are written as raw objects
 * with libgit2's object database. Every refusal must leave nothing behind:
 * not dest, and not the temporary bare repository beside it.
 */
#include "core/common.h"
#include "content/gitimport.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"

#include <dirent.h>
#include <git2.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>

#include <cmocka.h>

static char g_tmp[256];  /* the test's temporary directory */
static char g_src[300];  /* the source repository */
static char g_out[300];  /* where destinations go; empty after a refusal */
static char g_dest[400]; /* g_out/tree */
static const struct q_git_limits g_lim = {1000, 10 << 20};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* First line of a command's output. */
static void capture(char *buf, size_t sz, const char *cmd)
{
	FILE *p = popen(cmd, "r");

	assert_non_null(p);
	buf[0] = '\0';
	assert_non_null(fgets(buf, (int)sz, p));
	buf[strcspn(buf, "\n")] = '\0';
	pclose(p);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* A branch whose root tree is the tree of r9-sig-mc-1 plus one raw entry,
 * written without any of the checks git or libgit2's treebuilder make. */
static void craft_branch(const char *branch, const char *mode, const char *name)
{
	git_repository *repo = NULL;
	git_reference *ref = NULL;
	git_object *obj = NULL;
	git_tree *tree = NULL, *specs = NULL;
	git_odb *odb = NULL;
	git_oid tree_oid, commit_oid;
	char buf[8192], hex[41], full[200];
	size_t len = 0;

	assert_int_equal(git_repository_open(&repo, g_src), 0);
	assert_int_equal(git_revparse_single(&obj, repo, "r9-sig-mc-1^{tree}"), 0);
	tree = (git_tree *)obj;
	assert_int_equal(
	    git_tree_lookup(&specs, repo, git_tree_entry_id(git_tree_entry_byname(tree, "SPECS"))),
	    0);
	for (size_t i = 0; i < git_tree_entrycount(tree); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);

		len +=
		    (size_t)snprintf(buf + len, sizeof(buf) - len, "%o %s",
				     (unsigned)git_tree_entry_filemode(e), git_tree_entry_name(e)) +
		    1;
		memcpy(buf + len, git_tree_entry_id(e)->id, 20);
		len += 20;
	}
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s %s", mode, name) + 1;
	memcpy(buf + len, git_tree_id(specs)->id, 20);
	len += 20;
	assert_int_equal(git_repository_odb(&odb, repo), 0);
	assert_int_equal(git_odb_write(&tree_oid, odb, buf, len, GIT_OBJECT_TREE), 0);
	git_oid_tostr(hex, sizeof(hex), &tree_oid);
	len = (size_t)snprintf(buf, sizeof(buf),
			       "tree %s\nauthor t <t@example.org> 1700000000 +0000\n"
			       "committer t <t@example.org> 1700000000 +0000\n\ncrafted\n",
			       hex);
	assert_int_equal(git_odb_write(&commit_oid, odb, buf, len, GIT_OBJECT_COMMIT), 0);
	snprintf(full, sizeof(full), "refs/heads/%s", branch);
	assert_int_equal(git_reference_create(&ref, repo, full, &commit_oid, 1, NULL), 0);
	git_reference_free(ref);
	git_odb_free(odb);
	git_tree_free(specs);
	git_object_free(obj);
	git_repository_free(repo);
}

static int group_setup(void **state)
{
	snprintf(g_tmp, sizeof(g_tmp), "/tmp/quarry-test-git-XXXXXX");
	if (!mkdtemp(g_tmp))
		return -1;
	snprintf(g_src, sizeof(g_src), "%s/src", g_tmp);
	snprintf(g_out, sizeof(g_out), "%s/out", g_tmp);
	snprintf(g_dest, sizeof(g_dest), "%s/tree", g_out);
	if (mkdir(g_out, 0755) < 0)
		return -1;
	if (sh("set -e; export HOME='%s' GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=t "
	       "GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t "
	       "GIT_COMMITTER_EMAIL=t@example.org;"
	       "git init -q -b main '%s'; cd '%s';"
	       "mkdir SPECS SOURCES;"
	       "printf 'Name: foo\\nVersion: 1\\nRelease: 1%%%%{?dist}\\nSummary: t\\n"
	       "License: MIT\\n%%%%description\\nt\\n' > SPECS/foo.spec;"
	       "printf 'a patch\\n' > SOURCES/fix.patch;"
	       "printf '#!/bin/sh\\necho hi\\n' > SOURCES/run.sh; chmod 755 SOURCES/run.sh;"
	       "printf '%s SOURCES/foo-1.tar.gz\\n%s SOURCES/foo-data.zip\\n' > .foo.metadata;"
	       "git add -A; git commit -qm main;"
	       "git checkout -q -b r9-sig-mc-1; printf 'more\\n' > SOURCES/more.txt;"
	       "git add -A; git commit -qm r9;"
	       "git tag -a -m import imports/r9-sig-mc-1/foo-1-1.el9.mc;"
	       "b() { git checkout -q -b \"$1\" r9-sig-mc-1; };"
	       "c() { git add -A; git commit -qm \"$1\"; git checkout -q r9-sig-mc-1; };"
	       "b bad-nometa; git rm -q .foo.metadata; c bad-nometa;"
	       "b bad-twospecs; cp SPECS/foo.spec SPECS/bar.spec; c bad-twospecs;"
	       "b bad-nospec; echo x > SPECS/README; git rm -q SPECS/foo.spec; c bad-nospec;"
	       "b bad-symlink; ln -s SPECS/foo.spec SOURCES/link; c bad-symlink;"
	       "b bad-submodule; git update-index --add --cacheinfo "
	       "160000,$(git rev-parse main),sub; git commit -qm sub; git checkout -q r9-sig-mc-1;"
	       "b bad-committed; echo x > SOURCES/foo-1.tar.gz; c bad-committed;"
	       "b bad-meta; echo 'ABCDEF0123456789ABCDEF0123456789ABCDEF01 SOURCES/x' > "
	       ".foo.metadata; c bad-meta;"
	       "b bad-specname; git mv SPECS/foo.spec 'SPECS/fo o.spec'; c bad-specname;",
	       g_tmp, g_src, g_src,
	       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	       "0123456789abcdef0123456789abcdef01234567") != 0)
		return -1;
	git_libgit2_init();
	craft_branch("bad-dotdot", "40000", "..");
	craft_branch("bad-slash", "40000", "a/b");
	craft_branch("bad-abs", "40000", "/etc");
	craft_branch("bad-dotgit", "40000", ".git");
	craft_branch("bad-ctrl", "40000", "a\nb");
	*state = NULL;
	return 0;
}

static int group_teardown(void **state)
{
	git_libgit2_shutdown();
	q_fs_remove_tree(g_tmp, NULL);
	return 0;
}

static int teardown(void **state)
{
	q_fs_remove_tree(g_dest, NULL);
	return 0;
}

static void test_split_source(void **state)
{
	struct q_error err = {0};
	char *url, *ref;

	assert_int_equal(q_git_split_source("https://h/a#b#r9-sig-mc-1", &url, &ref, &err), 0);
	assert_string_equal(url, "https://h/a#b");
	assert_string_equal(ref, "r9-sig-mc-1");
	free(url);
	free(ref);
	assert_int_equal(q_git_split_source("/srv/git/foo", &url, &ref, &err), -1);
	assert_null(url);
	assert_non_null(strstr(err.msg, "'/srv/git/foo'"));
	assert_int_equal(q_git_split_source("/srv/git/foo#", &url, &ref, &err), -1);
	assert_int_equal(q_git_split_source("#main", &url, &ref, &err), -1);
}

static void test_branch_plain_path(void **state)
{
	struct q_git_source s;
	struct q_error err = {0};
	char want[64], path[600], sha[65];
	struct stat st;

	if (q_git_checkout(g_src, "r9-sig-mc-1", g_dest, &g_lim, &s, &err) < 0)
		fail_msg("%s", err.msg);
	snprintf(path, sizeof(path), "git -C '%s' rev-parse r9-sig-mc-1", g_src);
	capture(want, sizeof(want), path);
	assert_string_equal(s.commit, want);
	assert_string_equal(s.ref, "refs/heads/r9-sig-mc-1");
	assert_string_equal(s.short_ref, "r9-sig-mc-1");
	assert_int_equal(s.is_tag, 0);
	assert_string_equal(s.name, "foo");
	snprintf(path, sizeof(path), "%s/SPECS/foo.spec", g_dest);
	assert_string_equal(s.spec_path, path);
	assert_int_equal(q_hash_sha256_file(path, sha, &err), 0);
	assert_string_equal(s.spec_sha256, sha);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	snprintf(path, sizeof(path), "%s/SOURCES/run.sh", g_dest);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	snprintf(path, sizeof(path), "%s/SOURCES", g_dest);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	snprintf(path, sizeof(path), "%s/.foo.metadata", g_dest);
	assert_true(q_fs_exists(path));
	assert_int_equal(s.files, 5);
	assert_true(s.bytes > 0);
	/* only dest: the temporary bare repository is gone */
	assert_int_equal(count_entries(g_out), 1);
	/* dest must not exist beforehand */
	assert_int_equal(q_git_checkout(g_src, "r9-sig-mc-1", g_dest, &g_lim, &s, &err), -1);
	assert_int_equal(err.code, Q_ECONFLICT);
	assert_non_null(strstr(err.msg, "already exists"));
}

static void test_tag_file_url(void **state)
{
	struct q_git_source s;
	struct q_error err = {0};
	char url[400], cmd[600], want[64];

	snprintf(url, sizeof(url), "file://%s", g_src);
	if (q_git_checkout(url, "imports/r9-sig-mc-1/foo-1-1.el9.mc", g_dest, &g_lim, &s, &err) < 0)
		fail_msg("%s", err.msg);
	snprintf(cmd, sizeof(cmd),
		 "git -C '%s' rev-parse 'imports/r9-sig-mc-1/foo-1-1.el9.mc^{commit}'", g_src);
	capture(want, sizeof(want), cmd);
	assert_string_equal(s.commit, want); /* peeled, not the tag object */
	assert_int_equal(s.is_tag, 1);
	assert_string_equal(s.ref, "refs/tags/imports/r9-sig-mc-1/foo-1-1.el9.mc");
	assert_string_equal(s.short_ref, "imports/r9-sig-mc-1/foo-1-1.el9.mc");
	assert_int_equal(q_git_check_ref(&s, 9, "mc", "1", "foo-1-1.el9.mc", &err), 0);
	assert_int_equal(q_git_check_ref(&s, 9, "mc", "1", NULL, &err), 0);
	assert_int_equal(q_git_check_ref(&s, 9, "mc", "1", "foo-1-2.el9.mc", &err), -1);
	assert_string_equal(err.msg, "tag 'imports/r9-sig-mc-1/foo-1-1.el9.mc' does not match the "
				     "spec's NEVR 'foo-1-2.el9.mc'");
	assert_int_equal(q_git_check_ref(&s, 8, "mc", "1", NULL, &err), -1);
	assert_non_null(strstr(err.msg, "is for EL9"));
	assert_int_equal(count_entries(g_out), 1);
}

static void test_full_refs(void **state)
{
	struct q_git_source s;
	struct q_error err = {0};

	if (q_git_checkout(g_src, "refs/heads/r9-sig-mc-1", g_dest, &g_lim, &s, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(s.ref, "refs/heads/r9-sig-mc-1");
	assert_int_equal(q_git_check_ref(&s, 9, "mc", "1", NULL, &err), 0);
	q_fs_remove_tree(g_dest, NULL);
	if (q_git_checkout(g_src, "refs/tags/imports/r9-sig-mc-1/foo-1-1.el9.mc", g_dest, &g_lim,
			   &s, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(s.is_tag, 1);
	q_fs_remove_tree(g_dest, NULL);
	if (q_git_checkout(g_src, "refs/remotes/origin/r9-sig-mc-1", g_dest, &g_lim, &s, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(s.ref, "refs/heads/r9-sig-mc-1");
}

static void test_main_never_builds(void **state)
{
	struct q_git_source s;
	struct q_error err = {0};

	/* 'main' has a good tree: importing it works, building it does not */
	if (q_git_checkout(g_src, "main", g_dest, &g_lim, &s, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(q_git_check_ref(&s, 9, "mc", "1", NULL, &err), -1);
	assert_string_equal(err.msg, "branch 'main' never builds; use 'r9-sig-mc-1'");
	assert_int_equal(err.code, Q_EINVAL);
}

static void test_check_ref(void **state)
{
	static const struct {
		int is_tag;
		const char *ref, *nevr, *msg; /* msg NULL: accepted */
	} cases[] = {
	    {0, "r9-sig-mc-1", NULL, NULL},
	    {0, "main", NULL, "branch 'main' never builds; use 'r9-sig-mc-1'"},
	    {0, "master", NULL, "branch 'master' never builds; use 'r9-sig-mc-1'"},
	    {0, "r8-sig-mc-1", NULL,
	     "branch 'r8-sig-mc-1' is for EL8, not project mc/el9 (r9-sig-mc-1)"},
	    {0, "r8", NULL, "branch 'r8' is for EL8, not project mc/el9 (r9-sig-mc-1)"},
	    {0, "r9", NULL, "branch 'r9' is not the branch of this project; use 'r9-sig-mc-1'"},
	    {0, "r9-sig-kernel-6.1", NULL, "branch 'r9-sig-kernel-6.1' is not the branch"},
	    {0, "r9-sig-mc-2", NULL, "branch 'r9-sig-mc-2' is not the branch"},
	    {0, "r99-sig-mc-1", NULL, "is for EL99"},
	    {0, "r9-sig-mc-1x", NULL, "is not the branch"},
	    {1, "imports/r9-sig-mc-1/foo-1-1.el9.mc", "foo-1-1.el9.mc", NULL},
	    {1, "imports/r9-sig-mc-1/foo-1-2.el9.mc", "foo-1-1.el9.mc",
	     "tag 'imports/r9-sig-mc-1/foo-1-2.el9.mc' does not match the spec's NEVR "
	     "'foo-1-1.el9.mc'"},
	    {1, "imports/r8-sig-mc-1/foo-1-1.el8.mc", NULL,
	     "tag 'imports/r8-sig-mc-1/foo-1-1.el8.mc' is for EL8, not project mc/el9"},
	    {1, "imports/r8/foo-1-1.el8", NULL, "is for EL8"},
	    {1, "imports/r9/foo-1-1.el9", NULL, "is not an import tag of this project"},
	    {1, "imports/r9-sig-mc-1/", NULL, "one NEVR after the branch"},
	    {1, "imports/r9-sig-mc-1/a/b", NULL, "one NEVR after the branch"},
	    {1, "imports/r9-sig-mc-1", NULL, "is not an import tag"},
	    {1, "v1.0", NULL,
	     "tag 'v1.0' is not an import tag; expected "
	     "'imports/r9-sig-mc-1/NEVR'"},
	    {1, "r9-sig-mc-1", NULL, "is not an import tag"},
	};

	for (size_t i = 0; i < Q_ARRAY_LEN(cases); i++) {
		struct q_git_source s;
		struct q_error err = {0};
		int rc;

		memset(&s, 0, sizeof(s));
		s.is_tag = cases[i].is_tag;
		snprintf(s.short_ref, sizeof(s.short_ref), "%s", cases[i].ref);
		rc = q_git_check_ref(&s, 9, "mc", "1", cases[i].nevr, &err);
		if (!cases[i].msg) {
			if (rc != 0)
				fail_msg("'%s': %s", cases[i].ref, err.msg);
			continue;
		}
		if (rc != -1 || !strstr(err.msg, cases[i].msg))
			fail_msg("'%s': got %d '%s', want '%s'", cases[i].ref, rc, err.msg,
				 cases[i].msg);
	}
}

static void expect_refused(const char *url, const char *ref, int64_t max_files, int64_t max_bytes,
			   const char *msg)
{
	char prefix[600];
	struct q_git_limits lim = {max_files, max_bytes};
	struct q_git_source s;
	struct q_error err = {0};

	if (q_git_checkout(url, ref, g_dest, &lim, &s, &err) != -1)
		fail_msg("'%s#%s' was accepted", url, ref);
	if (!strstr(err.msg, msg))
		fail_msg("'%s#%s': got '%s', want '%s'", url, ref, err.msg, msg);
	/* past the URL checks, the message says what was imported */
	snprintf(prefix, sizeof(prefix), "cannot import '%s#%s': ", url, ref);
	if (*url && !strstr(msg, "not supported") && strncmp(err.msg, prefix, strlen(prefix)) != 0)
		fail_msg("'%s' does not start with '%s'", err.msg, prefix);
	assert_int_not_equal(err.code, Q_OK);
	/* nothing written, no temporary repository left */
	if (count_entries(g_out) != 0)
		fail_msg("'%s#%s' left something in '%s'", url, ref, g_out);
}

static void test_refusals(void **state)
{
	char url[400];
	static const struct {
		const char *ref;
		int64_t max_files, max_bytes;
		const char *msg;
	} cases[] = {
	    {"bad-nometa", 1000, 1 << 20,
	     "missing '.foo.metadata' (required next to SPECS/foo.spec"},
	    {"bad-twospecs", 1000, 1 << 20,
	     "2 spec files ('SPECS/bar.spec', 'SPECS/foo.spec'); expected exactly one"},
	    {"bad-nospec", 1000, 1 << 20, "no 'SPECS/NAME.spec' (SPECS holds 'SPECS/README')"},
	    {"bad-symlink", 1000, 1 << 20, "'SOURCES/link' is a symlink; symlinks are refused"},
	    {"bad-submodule", 1000, 1 << 20, "'sub' is a submodule; submodules are refused"},
	    {"bad-committed", 1000, 1 << 20,
	     "'SOURCES/foo-1.tar.gz' is both committed and listed in '.foo.metadata'"},
	    {"bad-meta", 1000, 1 << 20, ".foo.metadata:1: hash 'ABCDEF"},
	    {"bad-specname", 1000, 1 << 20, "does not give a valid package name"},
	    {"bad-dotdot", 1000, 1 << 20, "path '..' is a '.' or '..' entry"},
	    {"bad-slash", 1000, 1 << 20, "path 'a/b' has a '/' in an entry name"},
	    {"bad-abs", 1000, 1 << 20, "path '/etc' has a '/' in an entry name"},
	    {"bad-dotgit", 1000, 1 << 20, "path '.git' is a '.git' entry"},
	    {"bad-ctrl", 1000, 1 << 20, "path 'a?b' has a control character"},
	    {"r9-sig-mc-1", 4, 1 << 20, "the tree has more than 4 files"},
	    {"r9-sig-mc-1", 1000, 100, "the tree is larger than 100 bytes"},
	    {"nope", 1000, 1 << 20, "ref 'nope' not found (neither a tag nor a branch)"},
	    {"refs/notes/x", 1000, 1 << 20, "ref 'refs/notes/x' is neither a branch"},
	    {"a..b", 1000, 1 << 20, "ref 'a..b' is not a valid ref name"},
	    {"-x", 1000, 1 << 20, "is not a valid ref name"},
	};

	snprintf(url, sizeof(url), "file://%s", g_src);
	for (size_t i = 0; i < Q_ARRAY_LEN(cases); i++)
		expect_refused(i % 2 ? url : g_src, cases[i].ref, cases[i].max_files,
			       cases[i].max_bytes, cases[i].msg);
}

static void test_bad_urls(void **state)
{
	char path[400];

	expect_refused("ssh://host/repo", "main", 10, 10, "is not supported");
	expect_refused("git@host:repo", "main", 10, 10, "ssh is not supported");
	expect_refused("git://host/repo", "main", 10, 10, "is not supported");
	expect_refused("ssh://u:secret@host/repo", "main", 10, 10,
		       "git URL 'ssh://host/repo' is not supported");
	expect_refused("", "main", 10, 10, "git URL is empty or longer than");
	snprintf(path, sizeof(path), "%s/missing", g_tmp);
	expect_refused(path, "main", 10, 10, "cannot fetch");
	/* credentials never appear in a message */
	{
		struct q_git_limits lim = {10, 10};
		struct q_git_source s;
		struct q_error err = {0};

		assert_int_equal(q_git_checkout("http://user:secret@127.0.0.1:1/r.git", "main",
						g_dest, &lim, &s, &err),
				 -1);
		assert_null(strstr(err.msg, "secret"));
		assert_non_null(strstr(err.msg, "cannot import 'http://127.0.0.1:1/r.git#main'"));
		assert_int_equal(count_entries(g_out), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split_source),
	    cmocka_unit_test_teardown(test_branch_plain_path, teardown),
	    cmocka_unit_test_teardown(test_tag_file_url, teardown),
	    cmocka_unit_test_teardown(test_full_refs, teardown),
	    cmocka_unit_test_teardown(test_main_never_builds, teardown),
	    cmocka_unit_test(test_check_ref),
	    cmocka_unit_test_teardown(test_refusals, teardown),
	    cmocka_unit_test_teardown(test_bad_urls, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
