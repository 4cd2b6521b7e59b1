/* Times commands that read standard input (hyperfine 1.15 here has no --input): each run is
 * posix_spawn with stdin from FILE and stdout/stderr to /dev/null, wall time from spawn to
 * reaped; commands are interleaved run by run so both see the same machine.
 * usage: bench-stdin FILE RUNS WARMUP -- CMD1 ARGS... -- CMD2 ARGS...  (up to 4 commands) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

int main(int argc, char **argv) {
    if (argc < 6) { fprintf(stderr, "usage: bench-stdin FILE RUNS WARMUP -- CMD ... [-- CMD ...]\n"); return 64; }
    const char *input = argv[1];
    int runs = atoi(argv[2]), warmup = atoi(argv[3]);
    char **cmds[4]; int ncmd = 0;
    for (int i = 4; i < argc && ncmd < 4; i++) if (strcmp(argv[i], "--") == 0) { argv[i] = NULL; cmds[ncmd++] = &argv[i + 1]; }
    double *t[4];
    for (int c = 0; c < ncmd; c++) t[c] = calloc(runs, sizeof(double));
    for (int r = -warmup; r < runs; r++) {
        for (int c = 0; c < ncmd; c++) {
            posix_spawn_file_actions_t fa; posix_spawn_file_actions_init(&fa);
            posix_spawn_file_actions_addopen(&fa, 0, input, O_RDONLY, 0);
            posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
            posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
            struct timespec a, b; pid_t pid; int st;
            clock_gettime(CLOCK_MONOTONIC, &a);
            if (posix_spawnp(&pid, cmds[c][0], &fa, NULL, cmds[c], environ) != 0) { perror("spawn"); return 70; }
            waitpid(pid, &st, 0);
            clock_gettime(CLOCK_MONOTONIC, &b);
            posix_spawn_file_actions_destroy(&fa);
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) { fprintf(stderr, "%s failed\n", cmds[c][0]); return 70; }
            if (r >= 0) t[c][r] = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
        }
    }
    for (int c = 0; c < ncmd; c++) {
        double sum = 0; for (int r = 0; r < runs; r++) sum += t[c][r];
        qsort(t[c], runs, sizeof(double), cmp);
        printf("%-40.40s mean %.2f ms, median %.2f ms, p90 %.2f ms (%d runs)\n", cmds[c][0], sum / runs, t[c][runs / 2], t[c][runs * 9 / 10], runs);
    }
    return 0;
}
