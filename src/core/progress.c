/* Progress reporter: a bar with rate and ETA on a terminal, periodic plain
 * lines otherwise (logs, CI), nothing when quiet. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tinsel/core.h"

static _Atomic int progress_quiet = 0;

void ts_progress_set_quiet(int quiet) { progress_quiet = quiet ? 1 : 0; }
int ts_progress_is_quiet(void) { return progress_quiet; }

struct ts_progress {
    char label[64];
    char unit[24];
    double total;
    double t0, last_print;
    double done;
    int tty;
    double interval; /* seconds between prints */
    pthread_mutex_t lock;
};

ts_progress *ts_progress_create(const char *label, double total, const char *unit)
{
    ts_progress *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
    snprintf(p->unit, sizeof p->unit, "%s", unit ? unit : "step");
    p->total = total > 0 ? total : 0;
    p->t0 = ts_time_now();
    p->last_print = -1e300;
    p->tty = isatty(STDERR_FILENO);
    p->interval = p->tty ? 0.2 : 10.0;
    pthread_mutex_init(&p->lock, NULL);
    return p;
}

static void format_seconds(double s, char *buf, size_t n)
{
    if (!isfinite(s) || s < 0) {
        snprintf(buf, n, "--:--");
    } else if (s < 3600) {
        snprintf(buf, n, "%02d:%02d", (int)(s / 60), (int)fmod(s, 60));
    } else {
        snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
    }
}

static void print_line(ts_progress *p, double now, const char *note, int final)
{
    double el = now - p->t0;
    double rate = el > 0 ? p->done / el : 0;
    double frac = p->total > 0 ? p->done / p->total : 0;
    if (frac > 1) frac = 1;
    char eta[32], elapsed[32];
    format_seconds(rate > 0 && p->total > 0 ? (p->total - p->done) / rate : NAN, eta, sizeof eta);
    format_seconds(el, elapsed, sizeof elapsed);
    if (p->tty) {
        char bar[31];
        int fill = (int)(frac * 30);
        for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r%s [%s] %5.1f%% %.3g %s/s ETA %s %s\033[K", p->label, bar, 100 * frac,
                rate, p->unit, eta, note ? note : "");
        if (final) fputc('\n', stderr);
    } else {
        fprintf(stderr, "%s: %.0f/%.0f %s (%.1f%%), %.3g %s/s, elapsed %s, ETA %s%s%s\n", p->label,
                p->done, p->total, p->unit, 100 * frac, rate, p->unit, elapsed, eta,
                note ? ", " : "", note ? note : "");
    }
    fflush(stderr);
}

void ts_progress_update(ts_progress *p, double done, const char *note)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->done = done;
    double now = ts_time_now();
    if (!progress_quiet && now - p->last_print >= p->interval) {
        p->last_print = now;
        print_line(p, now, note, 0);
    }
    pthread_mutex_unlock(&p->lock);
}

void ts_progress_destroy(ts_progress *p)
{
    if (!p) return;
    if (!progress_quiet && (p->tty || p->last_print > -1e300)) print_line(p, ts_time_now(), "done", 1);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
