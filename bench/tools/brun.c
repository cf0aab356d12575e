/* brun.c: process-level measurements inside the emulated host: run times, an idle instance's PSS, instance density. */
/*
 *   brun time N CMD ARG...          run CMD N times (output discarded);
 *                                   one line "time US STATUS" per run
 *   brun pss CMD ARG...             start CMD, wait for "ready" on its
 *                                   stdout, print "pss KB rss KB" from
 *                                   /proc/PID/smaps_rollup, kill it
 *   brun density MAX SECS CMD ARG...
 *                                   start instances of CMD, each until it
 *                                   says "ready", until one fails, MAX are
 *                                   up or SECS have passed; print
 *                                   "density ALIVE STOP-REASON (N started)"
 *                                   (ALIVE: still running half a second
 *                                   after the last start), kill them all
 *
 * Built static for the host, which has busybox and no libc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000 + (uint64_t)t.tv_nsec / 1000;
}

/* Start CMD with stdout and stderr on a pipe (returned in *rfd), or on
 * /dev/null when rfd is NULL. */
static pid_t spawn(char **cmd, int *rfd)
{
    int p[2] = { -1, -1 };
    if (rfd && pipe2(p, O_CLOEXEC) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        int fd = rfd ? p[1] : open("/dev/null", O_WRONLY);
        int in = open("/dev/null", O_RDONLY);
        dup2(in, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        signal(SIGPIPE, SIG_DFL);
        /* Under memory pressure the instances go first, not the runner. */
        int adj = open("/proc/self/oom_score_adj", O_WRONLY);
        if (adj >= 0) {
            (void)!write(adj, "500", 3);
            close(adj);
        }
        execv(cmd[0], cmd);
        _exit(127);
    }
    if (rfd) {
        close(p[1]);
        *rfd = p[0];
    }
    return pid;
}

/* Read from fd until "ready" shows (1), EOF (0) or timeout_ms passes (-1). */
static int wait_ready(int fd, int timeout_ms, char *buf, size_t cap)
{
    size_t len = 0;
    uint64_t end = now_us() + (uint64_t)timeout_ms * 1000;
    buf[0] = 0;
    for (;;) {
        uint64_t t = now_us();
        if (t >= end)
            return -1;
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int r = poll(&pfd, 1, (int)((end - t) / 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        ssize_t got = read(fd, buf + len, cap - 1 - len);
        if (got <= 0)
            return 0;
        len += (size_t)got;
        buf[len] = 0;
        if (strstr(buf, "ready"))
            return 1;
        if (len + 1 >= cap)
            len = 0;
    }
}

static int cmd_time(int n, char **cmd)
{
    for (int i = 0; i < n; i++) {
        uint64_t t0 = now_us();
        pid_t pid = spawn(cmd, NULL);
        int st = 0;
        waitpid(pid, &st, 0);
        uint64_t t1 = now_us();
        printf("time %llu %d\n", (unsigned long long)(t1 - t0),
               WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        fflush(stdout);
    }
    return 0;
}

static long rollup(pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    if (!f)
        return -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, kl) == 0 && line[kl] == ':')
            v = strtol(line + kl + 1, NULL, 10);
    fclose(f);
    return v;
}

static int cmd_pss(char **cmd)
{
    int fd;
    char buf[4096];
    pid_t pid = spawn(cmd, &fd);
    int r = wait_ready(fd, 60000, buf, sizeof buf);
    if (r != 1) {
        printf("pss failed: %s\n", buf);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return 1;
    }
    usleep(200000);
    printf("pss %ld rss %ld\n", rollup(pid, "Pss"), rollup(pid, "Rss"));
    /* Where it goes: every mapping holding 64 KiB or more of PSS. */
    char path[64], line[512], name[256] = "";
    snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f)) {
        long kb;
        if (sscanf(line, "Pss: %ld kB", &kb) == 1) {
            if (kb >= 64)
                printf("map %ld %s\n", kb, name[0] ? name : "[anon]");
        } else if (strchr(line, '-') && strchr(line, '-') < strchr(line, ' ')) {
            /* A mapping's header line: range perms offset dev inode [name]. */
            char *p = line;
            for (int field = 0; field < 5 && p; field++) {
                p = strchr(p, ' ');
                while (p && *p == ' ')
                    p++;
            }
            snprintf(name, sizeof name, "%.*s", (int)strcspn(line, " "), line);
            if (p && *p && *p != '\n') {
                size_t n = strcspn(p, "\n");
                snprintf(name + strlen(name), sizeof name - strlen(name), " %.*s", (int)n, p);
            }
        }
    }
    if (f)
        fclose(f);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return 0;
}

static int cmd_density(int max, int secs, char **cmd)
{
    pid_t *pids = calloc((size_t)max, sizeof *pids);
    char buf[4096];
    const char *why = "reached the cap";
    int n = 0;
    uint64_t end = now_us() + (uint64_t)secs * 1000000;
    while (n < max) {
        if (now_us() > end) {
            why = "time limit";
            break;
        }
        int fd;
        pid_t pid = spawn(cmd, &fd);
        if (pid < 0) {
            why = "fork failed";
            break;
        }
        int r = wait_ready(fd, 30000, buf, sizeof buf);
        close(fd);
        if (r != 1) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            char *nl;
            while ((nl = strchr(buf, '\n')))
                *nl = ' ';
            printf("density: instance %d failed: %s\n", n + 1, r < 0 ? "no ready in 30 s" : buf);
            why = "an instance failed";
            break;
        }
        pids[n++] = pid;
        if (n % 100 == 0) {
            printf("density: %d up after %llu s\n", n, (unsigned long long)((now_us() - (end - (uint64_t)secs * 1000000)) / 1000000));
            fflush(stdout);
        }
    }
    /* Instances the OOM killer (or anything else) ended after their start
     * do not count. */
    usleep(500000);
    int alive = 0;
    for (int i = 0; i < n; i++)
        if (waitpid(pids[i], NULL, WNOHANG) == 0)
            alive++;
        else
            pids[i] = 0;
    printf("density %d %s (%d started)\n", alive, why, n);
    fflush(stdout);
    for (int i = 0; i < n; i++)
        if (pids[i])
            kill(pids[i], SIGKILL);
    for (int i = 0; i < n; i++)
        if (pids[i])
            waitpid(pids[i], NULL, 0);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 4 && strcmp(argv[1], "time") == 0)
        return cmd_time(atoi(argv[2]), argv + 3);
    if (argc >= 3 && strcmp(argv[1], "pss") == 0)
        return cmd_pss(argv + 2);
    if (argc >= 5 && strcmp(argv[1], "density") == 0)
        return cmd_density(atoi(argv[2]), atoi(argv[3]), argv + 4);
    fprintf(stderr, "usage: brun time N CMD... | pss CMD... | density MAX SECS CMD...\n");
    return 2;
}
