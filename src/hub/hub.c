/*
 * hub.c: the hub's state and its publishing service (see hub.h).
 *
 * Publishing one repo arch: lock DATA/locks/repo-ID-ARCH.lock (flock, so
 * threads of this hub and other processes on the same data directory
 * serialise), read the package set and the last set digest, hand them to
 * q_publish_repo (which writes and swaps atomically), record the history
 * row. The order matters for crash safety: the tree is swapped before the
 * history row is written, so the history never names a repomd.xml that was
 * not published; a crash between the two leaves the repo marked dirty and
 * the next start publishes it again.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/log.h"
#include "hub/hub.h"
#include "hub/rsyncd.h"
#include "publish/publish.h"
#include "sign/sign.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

static int path_join(char *out, size_t size, const char *a, const char *b)
{
	return snprintf(out, size, "%s/%s", a, b) >= (int)size ? -1 : 0;
}

int q_hub_refresh_snapshot(struct q_hub *hub, struct q_store *st, struct q_error *err)
{
	struct q_snapshot *s = NULL;
	json_t *doc = NULL;
	int rc = -1;

	/* One at a time: a publish and a crawl finishing together must not swap in
	 * the older of their two pictures last. */
	g_mutex_lock(hub->snapshot_lock);
	if (q_snapshot_build_json(st, hub->cfg.public_url, hub->cfg.ml_window, &doc, err) < 0 ||
	    q_snapshot_from_json(doc, &s, err) < 0 ||
	    q_snapshot_write_file(hub->snapshot_path, doc, err) < 0)
		goto out;
	q_snapshot_holder_swap(&hub->ml.snap, s);
	s = NULL;
	rc = 0;
out:
	g_mutex_unlock(hub->snapshot_lock);
	q_snapshot_free(s);
	json_decref(doc);
	return rc;
}

int q_hub_init(struct q_hub *hub, const struct q_config *cfg, struct q_error *err)
{
	const char *dd = cfg->data_dir;
	struct {
		char *dst;
		const char *name;
		mode_t mode;
	} dirs[] = {
	    {hub->keys_dir, "keys", 0700},
	    {hub->store_dir, "packages", 0755},
	    {hub->staging_dir, "staging", 0700},
	    {hub->locks_dir, "locks", 0755},
	    {hub->pub_dir, "pub", 0755},
	    {hub->blobs_dir, "blobs", 0755},
	    {hub->logs_dir, "logs", 0755},
	    {hub->tmp_dir, "tmp", 0700},
	    {hub->lookaside_dir, "lookaside", 0755},
	};

	memset(hub, 0, sizeof(*hub));
	hub->cfg = *cfg;
	hub->started = (int64_t)time(NULL);
	hub->snapshot_lock = g_new0(GMutex, 1);
	g_mutex_init(hub->snapshot_lock);
	q_snapshot_holder_init(&hub->ml.snap); /* GeoIP and proxies: q_mirror_service_init */
	if (q_fs_mkdirs(dd, 0755, err) < 0)
		return -1;
	/* Absolute from here on: workers and sandboxes get these paths. */
	{
		char abs[PATH_MAX];

		if (!realpath(dd, abs) || strlen(abs) >= sizeof(hub->cfg.data_dir))
			return q_error_set(err, Q_EIO, "cannot resolve data_dir '%s'", dd);
		memcpy(hub->cfg.data_dir, abs, strlen(abs) + 1);
		dd = hub->cfg.data_dir;
	}
	if (path_join(hub->db_path, sizeof(hub->db_path), dd, "quarry.db") < 0 ||
	    path_join(hub->snapshot_path, sizeof(hub->snapshot_path), dd, "mirror-snapshot.json") <
		0)
		return q_error_set(err, Q_EINVAL, "data_dir '%s' is too long", dd);
	for (size_t i = 0; i < Q_ARRAY_LEN(dirs); i++) {
		if (path_join(dirs[i].dst, sizeof(hub->pub_dir), dd, dirs[i].name) < 0)
			return q_error_set(err, Q_EINVAL, "data_dir '%s' is too long", dd);
		/* With a separate signer the hub holds no keys, not even a directory. */
		if (dirs[i].dst == hub->keys_dir && cfg->signing_socket[0])
			continue;
		if (q_fs_mkdirs(dirs[i].dst, dirs[i].mode, err) < 0)
			return -1;
		chmod(dirs[i].dst, dirs[i].mode);
	}
	return 0;
}

int q_hub_open_signer(struct q_hub *hub, struct q_error *err)
{
	const char *sock = hub->cfg.signing_socket;

	if (!*sock) {
		hub->signer = q_signer_open(hub->keys_dir, err);
		if (hub->signer)
			q_signer_set_timeout(hub->signer, (int)hub->cfg.signing_timeout);
		return hub->signer ? 0 : -1;
	}
	/* A separate `quarry signer`: the hub never touches a keyring. */
	hub->signer = q_signer_connect(sock, (int)hub->cfg.signing_timeout, err);
	if (!hub->signer)
		return -1;
	{
		struct q_error cerr = {0};

		if (q_signer_check(hub->signer, &cerr) < 0)
			q_warn("%s; signing fails until it answers", cerr.msg);
		else
			q_info("signing with the signer at '%s'", sock);
	}
	return 0;
}

void q_hub_release(struct q_hub *hub)
{
	q_rsyncd_stop(hub->rsyncd_pid);
	hub->rsyncd_pid = 0;
	q_crawler_stop(hub);
	q_checker_stop(hub);
	q_keeper_stop(hub);
	q_mirror_service_release(&hub->ml);
	if (hub->snapshot_lock) {
		g_mutex_clear(hub->snapshot_lock);
		g_free(hub->snapshot_lock);
		hub->snapshot_lock = NULL;
	}
	if (hub->signer) {
		q_signer_close(hub->signer);
		hub->signer = NULL;
	}
}

void q_hub_store_path(const struct q_hub *hub, const char *sha256, char *out, size_t size)
{
	snprintf(out, size, "%s/sha256/%.2s/%s.rpm", hub->store_dir, sha256, sha256);
}

/* DATA/pub/sig/keys/RPM-GPG-KEY-quarry-SIG, and SIG-FPR16 with fpr's last 16 digits. */
static int write_key_files(struct q_hub *hub, const char *sig, const char *fpr, int current,
			   struct q_error *err)
{
	char dir[1200], path[1400];
	char *armored = NULL;
	size_t len = 0, n = strlen(fpr);
	int rc = -1;

	if (n < 16)
		return q_error_set(err, Q_EINVAL, "invalid key fingerprint '%s'", fpr);
	snprintf(dir, sizeof(dir), "%s/sig/keys", hub->pub_dir);
	if (q_fs_mkdirs(dir, 0755, err) < 0)
		return -1;
	if (q_signer_export_public(hub->signer, fpr, &armored, &len, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/RPM-GPG-KEY-quarry-%s-%s", dir, sig, fpr + n - 16);
	if (q_fs_write_atomic(path, armored, len, 0644, err) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/RPM-GPG-KEY-quarry-%s", dir, sig);
	if (current && q_fs_write_atomic(path, armored, len, 0644, err) < 0)
		goto out;
	rc = 0;
out:
	free(armored);
	return rc;
}

int q_hub_export_key(struct q_hub *hub, const char *sig, const char *fpr, struct q_error *err)
{
	return write_key_files(hub, sig, fpr, 1, err);
}

int q_hub_export_key_fpr(struct q_hub *hub, const char *sig, const char *fpr, struct q_error *err)
{
	return write_key_files(hub, sig, fpr, 0, err);
}

static int64_t now_usec(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* Open and flock DATA/locks/repo-ID-ARCH.lock; returns the fd or -1. */
static int lock_repo_arch(struct q_hub *hub, int64_t repo_id, const char *arch, struct q_error *err)
{
	char path[1300];

	snprintf(path, sizeof(path), "%s/repo-%" PRId64 "-%s.lock", hub->locks_dir, repo_id, arch);
	return q_fs_lock_file(path, err);
}

static int publish_arch(struct q_hub *hub, struct q_store *st, json_t *repo, const char *arch,
			int force, json_t *results, struct q_error *err)
{
	int64_t repo_id = json_integer_value(json_object_get(repo, "id"));
	const char *sig = json_string_value(json_object_get(repo, "sig"));
	const char *name = json_string_value(json_object_get(repo, "name"));
	const char *fpr = json_string_value(json_object_get(repo, "key_fingerprint"));
	int64_t major = json_integer_value(json_object_get(repo, "major"));
	struct q_publish_pkg *pkgs = NULL;
	struct q_publish_req req;
	struct q_publish_result res;
	struct q_store_pubset set = {0};
	char arch_dir[1400], last[65], last_repomd[65], (*paths)[1300] = NULL, fpr_both[160];
	char *updateinfo = NULL;
	size_t i, n;
	int fd, rc = -1;
	int64_t t0 = now_usec();

	snprintf(arch_dir, sizeof(arch_dir), "%s/sig/%" PRId64 "/%s/%s/%s", hub->pub_dir, major,
		 sig, arch, name);
	/* Inside a rotation's overlap, the key retired last signs repomd.xml too. */
	if (fpr && hub->cfg.rotation_overlap > 0) {
		json_t *keys = NULL, *k;
		int64_t best = 0, cut = (int64_t)time(NULL) - hub->cfg.rotation_overlap;
		size_t ki;

		if (q_store_sig_keys(st, sig, &keys, err) < 0)
			return -1;
		json_array_foreach (keys, ki, k) {
			int64_t retired = json_integer_value(json_object_get(k, "retired"));
			const char *kf = json_string_value(json_object_get(k, "fpr"));

			if (retired > cut && retired > best && kf && strcmp(kf, fpr)) {
				best = retired;
				snprintf(fpr_both, sizeof(fpr_both), "%s+%s", fpr, kf);
			}
		}
		json_decref(keys);
		if (best)
			fpr = fpr_both;
	}
	fd = lock_repo_arch(hub, repo_id, arch, err);
	if (fd < 0)
		return -1;
	if (q_store_repo_publish_set(st, repo_id, arch, &set, err) < 0 ||
	    q_store_publish_last_digest(st, repo_id, arch, last, err) < 0 ||
	    q_store_publish_last_repomd(st, repo_id, arch, last_repomd, err) < 0)
		goto out;
	n = set.n;
	pkgs = calloc(n ? n : 1, sizeof(*pkgs));
	paths = calloc(n ? n : 1, sizeof(*paths));
	if (!pkgs || !paths) {
		q_error_set(err, Q_EINTERNAL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		pkgs[i].sha256 = set.pkgs[i].sha256;
		pkgs[i].filename = set.pkgs[i].filename;
		pkgs[i].primary_xml = set.pkgs[i].primary;
		pkgs[i].filelists_xml = set.pkgs[i].filelists;
		pkgs[i].other_xml = set.pkgs[i].other;
		q_hub_store_path(hub, pkgs[i].sha256, paths[i], sizeof(paths[i]));
		pkgs[i].store_path = paths[i];
	}
	if (q_hub_updateinfo(st, repo, arch, &updateinfo, err) < 0) {
		q_error_prefix(err, "cannot make the advisories of '%s/%s' for %s", sig, name,
			       arch);
		goto out;
	}
	if (q_fs_mkdirs(arch_dir, 0755, err) < 0)
		goto out;
	memset(&req, 0, sizeof(req));
	req.arch_dir = arch_dir;
	req.pkgs = pkgs;
	req.n_pkgs = n;
	req.last_digest = last[0] ? last : NULL;
	req.last_repomd_sha256 = last_repomd[0] ? last_repomd : NULL;
	req.force = force;
	req.signer = hub->signer;
	req.key_fpr = fpr;
	req.grace_seconds = hub->cfg.grace;
	req.updateinfo_xml = updateinfo;
	memset(&res, 0, sizeof(res));
	q_debug("publish %s/%s %s: package set read in %.1f ms", sig, name, arch,
		(double)(now_usec() - t0) / 1000.0);
	if (q_publish_repo(&req, &res, err) < 0) {
		q_error_prefix(err, "cannot publish '%s/%s' for %s", sig, name, arch);
		atomic_fetch_add(&hub->metrics.publish_failures, 1);
		goto out;
	}
	if (res.changed) {
		struct q_publish_row row = {
		    .repo_id = repo_id,
		    .arch = arch,
		    .time = (int64_t)time(NULL),
		    .set_digest = res.set_digest,
		    .repomd_size = (int64_t)res.repomd_size,
		    .revision = res.timestamp,
		    .md5 = res.repomd.md5,
		    .sha1 = res.repomd.sha1,
		    .sha256 = res.repomd.sha256,
		    .sha512 = res.repomd.sha512,
		    .n_packages = (int64_t)n,
		};
		if (q_store_publish_add(st, &row, hub->cfg.history_keep, err) < 0)
			goto out;
		atomic_fetch_add(&hub->metrics.publishes, 1);
		q_info("published %s/%s %s: %zu packages, repomd sha256 %s", sig, name, arch, n,
		       res.repomd.sha256);
		q_crawler_published(hub, sig, name, major, arch);
	} else {
		atomic_fetch_add(&hub->metrics.publishes_unchanged, 1);
	}
	q_debug("publish %s/%s %s: done in %.1f ms", sig, name, arch,
		(double)(now_usec() - t0) / 1000.0);
	{
		char path[600];
		json_t *o = json_object();

		snprintf(path, sizeof(path), "/pub/sig/%" PRId64 "/%s/%s/%s/", major, sig, arch,
			 name);
		json_object_set_new(o, "arch", json_string(arch));
		json_object_set_new(o, "changed", json_boolean(res.changed));
		json_object_set_new(o, "sha256", json_string(res.repomd.sha256));
		json_object_set_new(o, "packages", json_integer((json_int_t)n));
		json_object_set_new(o, "path", json_string(path));
		json_array_append_new(results, o);
	}
	rc = 0;
out:
	atomic_fetch_add(&hub->metrics.publish_usec, (uint64_t)(now_usec() - t0));
	close(fd);
	free(pkgs);
	free(paths);
	g_free(updateinfo);
	q_store_pubset_release(&set);
	return rc;
}

int q_hub_publish_repo(struct q_hub *hub, struct q_store *st, json_t *repo, int force,
		       json_t **results, struct q_error *err)
{
	json_t *arches = json_object_get(repo, "arches"), *a;
	int64_t seen = json_integer_value(json_object_get(repo, "dirty"));
	json_t *out = json_array(), *owner = NULL;
	size_t i;

	/* A repo whose path or metalink id an older repo of another project
	 * holds (both created before names were claimed) is never published
	 * over it. */
	if (q_store_repo_claim_owner(st, -1, json_integer_value(json_object_get(repo, "major")),
				     json_string_value(json_object_get(repo, "sig")),
				     json_string_value(json_object_get(repo, "name")),
				     json_integer_value(json_object_get(repo, "id")), &owner,
				     err) < 0) {
		json_decref(out);
		return -1;
	}
	if (owner) {
		q_error_set(
		    err, Q_ECONFLICT,
		    "repo '%s/%s/%s' is not published: repo '%s' of project '%s/%s' "
		    "(created first) owns its path or metalink id on EL %" JSON_INTEGER_FORMAT,
		    json_string_value(json_object_get(repo, "sig")),
		    json_string_value(json_object_get(repo, "project")),
		    json_string_value(json_object_get(repo, "name")),
		    json_string_value(json_object_get(owner, "name")),
		    json_string_value(json_object_get(owner, "sig")),
		    json_string_value(json_object_get(owner, "project")),
		    json_integer_value(json_object_get(repo, "major")));
		json_decref(owner);
		json_decref(out);
		return -1;
	}
	json_array_foreach (arches, i, a) {
		if (publish_arch(hub, st, repo, json_string_value(a), force, out, err) < 0) {
			json_decref(out);
			return -1;
		}
	}
	/* A publish is visible in the very next metalink. */
	{
		json_t *v;
		int changed = 0;
		struct q_error serr = {0};

		json_array_foreach (out, i, v)
			changed |= json_is_true(json_object_get(v, "changed"));
		if (changed && q_hub_refresh_snapshot(hub, st, &serr) < 0)
			q_warn("cannot refresh the metalink snapshot: %s", serr.msg);
	}
	if (seen > 0 && q_store_repo_clear_dirty(
			    st, json_integer_value(json_object_get(repo, "id")), seen, err) < 0) {
		json_decref(out);
		return -1;
	}
	if (results)
		*results = out;
	else
		json_decref(out);
	return 0;
}

int q_hub_publish_dirty(struct q_hub *hub, struct q_store *st, struct q_error *err)
{
	json_t *repos = NULL, *r;
	size_t i;
	int rc = 0;

	if (q_store_repo_list_all(st, 1, &repos, err) < 0)
		return -1;
	json_array_foreach (repos, i, r) {
		q_info("repo %s/%s/%s changed before the last stop; publishing it",
		       json_string_value(json_object_get(r, "sig")),
		       json_string_value(json_object_get(r, "project")),
		       json_string_value(json_object_get(r, "name")));
		if (q_hub_publish_repo(hub, st, r, 0, NULL, err) < 0)
			rc = -1;
	}
	json_decref(repos);
	return rc;
}

void q_hub_blob_path(const struct q_hub *hub, const char *sha256, char *out, size_t size)
{
	snprintf(out, size, "%s/sha256/%.2s/%s", hub->blobs_dir, sha256, sha256);
}

static int store_file(const struct q_hub *hub, const char *src, const char *sha256, int rpm,
		      int sync, struct q_error *err)
{
	char dst[1300], dir[1300], tmp[1400];

	if (rpm)
		q_hub_store_path(hub, sha256, dst, sizeof(dst));
	else
		q_hub_blob_path(hub, sha256, dst, sizeof(dst));
	snprintf(dir, sizeof(dir), "%s/sha256/%.2s", rpm ? hub->store_dir : hub->blobs_dir, sha256);
	/* The shard directory usually exists: one mkdir, not one per component. */
	if (mkdir(dir, 0755) < 0 && errno != EEXIST && q_fs_mkdirs(dir, 0755, err) < 0)
		return -1;
	if (q_fs_exists(dst))
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp-%d-%lx", dst, (int)getpid(),
		 (unsigned long)pthread_self());
	unlink(tmp);
	/* A hard link when src is on the same filesystem (staged uploads and
	 * artifacts are): no second copy of the bytes. Artifacts were fsynced
	 * when written; staged uploads are made durable by the batch that
	 * stores them (q_hub_store_file_unsynced, then q_fs_syncfs). The store never modifies a
	 * file in place, so sharing is safe. */
	if (link(src, tmp) < 0) {
		if (q_fs_copy_file(src, tmp, 0644, err) < 0)
			return -1;
	} else {
		chmod(tmp, 0644);
	}
	if (rename(tmp, dst) < 0) {
		unlink(tmp);
		return q_error_set(err, Q_EIO, "cannot store '%s': %s", dst, strerror(errno));
	}
	return sync ? q_fs_fsync_path(dir, err) : 0;
}

int q_hub_store_file(const struct q_hub *hub, const char *src, const char *sha256, int rpm,
		     struct q_error *err)
{
	return store_file(hub, src, sha256, rpm, 1, err);
}

int q_hub_store_file_unsynced(const struct q_hub *hub, const char *src, const char *sha256,
			      struct q_error *err)
{
	return store_file(hub, src, sha256, 1, 0, err);
}

int q_hub_start_embedded_worker(struct q_hub *hub, struct q_store *st, struct q_error *err)
{
	char hex[65], token[80], hash[Q_SHA256_HEX], url[300], slots[16];
	char listen[256];
	const char *colon;
	json_t *users = NULL, *u;
	int64_t admin_id = -1;
	size_t i;
	pid_t pid;

	if (!hub->cfg.embedded_worker)
		return 0;
	if (q_store_user_list(st, &users, err) < 0)
		return -1;
	json_array_foreach (users, i, u) {
		int64_t id;
		if (strcmp(json_string_value(json_object_get(u, "role")), "admin"))
			continue;
		if (q_store_user_get(st, json_string_value(json_object_get(u, "name")), NULL, &id,
				     err) == 0) {
			admin_id = id;
			break;
		}
	}
	json_decref(users);
	if (admin_id < 0)
		return q_error_set(err, Q_EINVAL,
				   "no admin user to own the embedded worker's token");
	if (q_random_hex(hex, 32) < 0)
		return q_error_set(err, Q_EINTERNAL, "cannot get random bytes");
	snprintf(token, sizeof(token), "qk_%s", hex);
	q_hash_sha256_buf(token, strlen(token), hash);
	if (q_store_begin(st, err) < 0)
		return -1;
	if (q_store_token_delete_worker(st, "embedded", err) < 0 ||
	    q_store_token_create_worker(st, admin_id, hash, "embedded", NULL, err) < 0 ||
	    q_store_commit(st, err) < 0) {
		q_store_rollback(st);
		return -1;
	}
	/* The worker reaches the hub at its first address, on the loopback when
	 * that is every address. */
	if (q_config_listen_addr(hub->cfg.listen, 0, listen, sizeof(listen)) < 0)
		return q_error_set(err, Q_EINVAL, "hub.listen '%s' holds no address",
				   hub->cfg.listen);
	colon = strrchr(listen, ':');
	if (!strncmp(listen, "0.0.0.0:", 8) || !strncmp(listen, "[::]:", 5) || listen[0] == ':')
		snprintf(url, sizeof(url), "http://127.0.0.1:%s", colon + 1);
	else
		snprintf(url, sizeof(url), "http://%s", listen);
	snprintf(slots, sizeof(slots), "%" PRId64, hub->cfg.worker_slots);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return q_error_set(err, Q_EIO, "cannot start the embedded worker: %s",
				   strerror(errno));
	if (pid == 0) {
		char workdir[1200];
		char *argv[] = {"quarry",    "worker",
				"--hub",     url,
				"--arch",    hub->cfg.worker_arches,
				"--slots",   slots,
				"--name",    "embedded",
				"--workdir", workdir,
				"--backend", hub->cfg.worker_backend,
				NULL};

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		snprintf(workdir, sizeof(workdir), "%s/worker", hub->tmp_dir);
		setenv("QUARRY_TOKEN", token, 1);
		/* Builds must never see the hub's keys or database. */
		setenv("QUARRY_SANDBOX_HIDE", hub->cfg.data_dir, 1);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	q_info("embedded worker started (pid %ld, arches %s, %s slots, backend %s)", (long)pid,
	       hub->cfg.worker_arches, slots, hub->cfg.worker_backend);
	return 0;
}
