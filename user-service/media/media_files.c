/* media_files: the bytes of media files under MEDIA_DIR — writing, reading, removing and
 * sweeping what a crash left; no HTTP and no SQL beyond the sweep's one question. */
#include "media_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "auth.h"
#include "config.h"
#include "json.h"
#include "log.h"
#include "media_store.h"
#include "service.h"

#define MEDIA_MAX_BYTES_LIMIT (256L << 20)
#define KEY_RANDOM_BYTES 16
#define TMP_SUFFIX ".tmp"
#define DIR_TEXT_MAX (PATH_MAX - MEDIA_KEY_MAX - 8)

static char media_dir[DIR_TEXT_MAX] = "./media";
static size_t media_max = MEDIA_MAX_BYTES_DEFAULT;

static void path_of(char out[PATH_MAX], const char *key, const char *suffix)
{
    snprintf(out, PATH_MAX, "%s/%s%s", media_dir, key, suffix);
}

static int fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n > m && strcmp(s + n - m, suf) == 0;
}

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* Unlinks the entries of directory fd (closed here): only the *.tmp ones when only_tmp,
 * else all. Returns the number removed, or -1. */
static int clean_dir(int fd, int only_tmp)
{
    DIR *d = fdopendir(fd);
    struct dirent *e;
    int n = 0;

    if (!d) {
        close(fd);
        return -1;
    }
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (only_tmp && !has_suffix(e->d_name, TMP_SUFFIX))
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) == 0)
            n++;
        else
            log_msg(LOG_WARN, NULL, "media: could not remove %s: %s", e->d_name, strerror(errno));
    }
    closedir(d);
    return n;
}

/* Removes the *.tmp files a crash left in MEDIA_DIR/<user id>/. */
static void sweep_tmp(void)
{
    DIR *top = opendir(media_dir);
    struct dirent *e;
    int removed = 0;

    if (!top)
        return;
    while ((e = readdir(top))) {
        int fd, n;
        if (!all_digits(e->d_name))
            continue;
        fd = openat(dirfd(top), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0 && (n = clean_dir(fd, 1)) > 0)
            removed += n;
    }
    closedir(top);
    if (removed)
        log_msg(LOG_WARN, NULL, "media: removed %d unfinished upload(s) left by a crash", removed);
}

/* Sweeps one user directory (fd, closed here) for orphans; adds to *removed. -1 on a database failure. */
static int sweep_user_dir(struct db *db, const char *uid, int fd, time_t older_than, int *removed)
{
    DIR *d = fdopendir(fd);
    struct dirent *e;
    int rc = 0;

    if (!d) {
        close(fd);
        return 0;
    }
    while (rc == 0 && (e = readdir(d))) {
        char key[MEDIA_KEY_MAX];
        struct stat sb;
        int exists = 1;

        if (e->d_name[0] == '.' || has_suffix(e->d_name, TMP_SUFFIX) ||
            fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(sb.st_mode) ||
            sb.st_mtime > older_than)
            continue;
        if ((size_t)snprintf(key, sizeof key, "%s/%s", uid, e->d_name) >= sizeof key)
            continue; /* not a name we make */
        if (media_store_key_exists(db, key, &exists) != DB_OK)
            rc = -1;
        else if (!exists && unlinkat(dirfd(d), e->d_name, 0) == 0)
            (*removed)++;
    }
    closedir(d);
    return rc;
}

int media_sweep_orphans(struct db *db, long min_age_s)
{
    DIR *top = opendir(media_dir);
    struct dirent *e;
    time_t older_than = time(NULL) - min_age_s;
    int removed = 0, rc = 0;

    if (!top)
        return 0;
    while (rc == 0 && (e = readdir(top))) {
        int fd;
        if (!all_digits(e->d_name))
            continue;
        fd = openat(dirfd(top), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
            rc = sweep_user_dir(db, e->d_name, fd, older_than, &removed);
    }
    closedir(top);
    if (removed)
        log_msg(LOG_WARN, NULL, "media: removed %d file(s) that no row named (left by a crash)", removed);
    return rc < 0 ? -1 : removed;
}

int media_remove_user_dir(long long user_id)
{
    char udir[PATH_MAX];
    int fd, n;

    snprintf(udir, sizeof udir, "%s/%lld", media_dir, user_id);
    if ((fd = open(udir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        if (errno == ENOENT)
            return 0;
        log_msg(LOG_ERROR, NULL, "media: cannot open %s: %s", udir, strerror(errno));
        return -1;
    }
    if ((n = clean_dir(fd, 0)) < 0) {
        log_msg(LOG_ERROR, NULL, "media: cannot read %s", udir);
        return -1;
    }
    if (rmdir(udir) < 0)
        log_msg(LOG_WARN, NULL, "media: cannot remove %s: %s", udir, strerror(errno));
    else
        fsync_dir(media_dir);
    return n;
}

/* Writes p[0..n) as a fresh file of user_id: tmp, fsync, rename, fsync dir. Fills key. */
int media_files_write(const char *request_id, long long user_id, const uint8_t *p, size_t n, char key[MEDIA_KEY_MAX])
{
    unsigned char rnd[KEY_RANDOM_BYTES];
    char hex[2 * KEY_RANDOM_BYTES + 1], udir[PATH_MAX], tmp[PATH_MAX], fin[PATH_MAX];
    size_t done = 0;
    int fd;

    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    snprintf(key, MEDIA_KEY_MAX, "%lld/%s", user_id, hex);
    snprintf(udir, sizeof udir, "%s/%lld", media_dir, user_id);
    if (mkdir(udir, 0700) == 0)
        fsync_dir(media_dir);
    else if (errno != EEXIST)
        goto fail_nofile;
    path_of(tmp, key, TMP_SUFFIX);
    path_of(fin, key, "");
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
        goto fail_nofile;
    while (done < n) {
        ssize_t w = write(fd, p + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            goto fail;
        }
        done += (size_t)w;
    }
    if (fsync(fd) < 0) {
        close(fd);
        goto fail;
    }
    if (close(fd) < 0 || rename(tmp, fin) < 0)
        goto fail;
    if (fsync_dir(udir) < 0) {
        log_msg(LOG_ERROR, request_id, "media: fsync of %s failed: %s", udir, strerror(errno));
        unlink(fin);
        return -1;
    }
    return 0;
fail:
    log_msg(LOG_ERROR, request_id, "media: writing %s failed: %s", tmp, strerror(errno));
    unlink(tmp);
    return -1;
fail_nofile:
    log_msg(LOG_ERROR, request_id, "media: cannot create a file under %s: %s", udir, strerror(errno));
    return -1;
}

/* Reads MEDIA_DIR/key, expecting exactly size bytes, into a malloc'd buffer. */
char *media_files_read(const char *request_id, const char *key, long long size)
{
    char path[PATH_MAX];
    struct stat sb;
    size_t done = 0;
    char *buf;
    int fd;

    path_of(path, key, "");
    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        log_msg(LOG_ERROR, request_id, "media: cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size != size || size <= 0 ||
        !(buf = malloc((size_t)size))) {
        log_msg(LOG_ERROR, request_id, "media: %s is not the %lld-byte file its row describes", path, size);
        close(fd);
        return NULL;
    }
    while (done < (size_t)size) {
        ssize_t r = read(fd, buf + done, (size_t)size - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            log_msg(LOG_ERROR, request_id, "media: reading %s failed", path);
            free(buf);
            close(fd);
            return NULL;
        }
        done += (size_t)r;
    }
    close(fd);
    return buf;
}

/* Only an upload from a caller whose token's signature and expiry hold may bring a file's
 * worth of body; everything else, an upload without such a token included, is a JSON-sized
 * request. The handler checks the rest of the token (user, version) as for any route. */
static int upload_route(const char *method, const char *target)
{
    static const char path[] = "/api/v1/media";

    return method && strcmp(method, "POST") == 0 && strncmp(target, path, sizeof path - 1) == 0 &&
           (target[sizeof path - 1] == '\0' || target[sizeof path - 1] == '?');
}

static int upload_token(const char *authorization)
{
    struct jwt_claims c;
    const char *token;

    if (strncasecmp(authorization, "Bearer ", 7) != 0)
        return 0;
    token = authorization + 7;
    return jwt_verify(token, strlen(token), service_auth.issuer, &service_auth.verify, (long long)time(NULL),
                      AUTH_LEEWAY_S, &c) == JWT_OK;
}

static struct body_caps upload_caps = {JSON_BODY_MAX, 0, upload_route, upload_token};

int media_setup(struct server_options *o)
{
    const char *dir = config_env_str("MEDIA_DIR", "./media");
    struct stat sb;

    media_max = (size_t)config_env_long("MEDIA_MAX_BYTES", MEDIA_MAX_BYTES_DEFAULT, 1, MEDIA_MAX_BYTES_LIMIT);
    if (strlen(dir) >= sizeof media_dir)
        config_fail("MEDIA_DIR", "is too long");
    snprintf(media_dir, sizeof media_dir, "%s", dir);
    if (mkdir(media_dir, 0700) < 0 && errno != EEXIST) {
        log_msg(LOG_ERROR, NULL, "MEDIA_DIR %s cannot be created: %s", media_dir, strerror(errno));
        return -1;
    }
    if (stat(media_dir, &sb) < 0 || !S_ISDIR(sb.st_mode) || access(media_dir, W_OK | X_OK) < 0) {
        log_msg(LOG_ERROR, NULL, "MEDIA_DIR %s is not a writable directory", media_dir);
        return -1;
    }
    sweep_tmp();
    if (o->max_body < media_max + MEDIA_MULTIPART_SLACK)
        o->max_body = media_max + MEDIA_MULTIPART_SLACK;
    upload_caps.big = media_max + MEDIA_MULTIPART_SLACK;
    o->body_caps = &upload_caps;
    return 0;
}

size_t media_files_max(void)
{
    return media_max;
}

void media_files_remove(const char *request_id, const char *key)
{
    char path[PATH_MAX];

    path_of(path, key, "");
    if (unlink(path) < 0 && errno != ENOENT)
        log_msg(LOG_ERROR, request_id, "media: cannot remove %s: %s", path, strerror(errno));
}
