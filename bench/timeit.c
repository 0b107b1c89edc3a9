/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench helper: runs one command and prints "<ns> <maxrss_kib> <minflt>
 * <exit>" on one line to the file given with -o. The clock is read right
 * around fork and wait4, so the bash harness's own cost stays out of the
 * figure, the same for every runtime. The command's stdio goes to
 * /dev/null unless -v. maxrss and minflt come from wait4: the command
 * itself and the children it waited for, as /usr/bin/time reports them. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    int verbose = 0, i = 1;

    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "-v") == 0)
            verbose = 1;
        else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else {
            fprintf(stderr, "usage: timeit [-v] -o FILE -- CMD [ARGS...]\n");
            return 2;
        }
    }
    if (out == NULL || i >= argc) {
        fprintf(stderr, "usage: timeit [-v] -o FILE -- CMD [ARGS...]\n");
        return 2;
    }
    FILE *f = fopen(out, "ae");
    if (f == NULL) {
        perror(out);
        return 2;
    }
    long long t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        if (!verbose) {
            int null = open("/dev/null", O_RDWR);
            dup2(null, 0);
            dup2(null, 1);
            dup2(null, 2);
        }
        execvp(argv[i], argv + i);
        _exit(127);
    }
    struct rusage ru;
    int status;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("wait4");
        return 2;
    }
    long long t1 = now_ns();
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    fprintf(f, "%lld %ld %ld %d\n", t1 - t0, ru.ru_maxrss, ru.ru_minflt, code);
    fclose(f);
    return code;
}
