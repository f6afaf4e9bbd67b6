/* Cooperative interruption: SIGINT/SIGTERM set a flag that long loops
 * check, so they can write a checkpoint and stop cleanly. */
#include <signal.h>

#include "tinsel/core.h"

static volatile sig_atomic_t interrupted = 0;

static void on_signal(int sig)
{
    if (interrupted) {
        /* Second signal: stop now. */
        signal(sig, SIG_DFL);
        raise(sig);
    }
    interrupted = 1;
}

void ts_signals_install(void)
{
    struct sigaction sa;
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int ts_interrupted(void) { return interrupted != 0; }
