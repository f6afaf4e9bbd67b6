/* The seed's 4 x 7 condition matrix (seed 000, Fig. 2 and Methods) and the
 * generator's growth law (notes/micrographs.md, "Synthetic micrographs"):
 *   h3(t) = h3_0 + k3 √t,   h6(t) = h6_0 + k6 √t,   A_pore(t) = kp √t,
 * with the ECD3 Cu3Sn -> Cu6Sn5 conversion after 750 h (seed Results and
 * Supplementary Fig. 7 as described in the text: Cu3Sn thins from 750 to
 * 3000 h while the sum stays parabolic). */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/micro.h"

static const char *const level_names[TS_MICRO_NLEVELS] = {"PVD", "ECD1", "ECD2", "ECD3"};
static const double level_codes[TS_MICRO_NLEVELS] = {0.0, 30.0, 60.0, 120.0};
static const double times_h[TS_MICRO_NTIMES] = {0, 50, 100, 300, 750, 1000, 3000};
/* measured[level][time]: PVD and ECD2 at 0, 50, 100, 300, 1000, 3000 h;
 * ECD1 and ECD3 at 0, 750, 3000 h (seed Methods) -> 18 measured cells. */
static const int measured[TS_MICRO_NLEVELS][TS_MICRO_NTIMES] = {
    {1, 1, 1, 1, 0, 1, 1},
    {1, 0, 0, 0, 1, 0, 1},
    {1, 1, 1, 1, 0, 1, 1},
    {1, 0, 0, 0, 1, 0, 1},
};

const char *ts_micro_phase_name(int phase)
{
    static const char *const n[TS_MICRO_NPHASES] = {"Cu", "Cu3Sn", "Cu6Sn5", "SAC305", "pore", "Ag3Sn"};
    return (phase >= 0 && phase < TS_MICRO_NPHASES) ? n[phase] : "?";
}

const char *ts_micro_level_name(int level)
{
    return (level >= 0 && level < TS_MICRO_NLEVELS) ? level_names[level] : "?";
}

double ts_micro_level_code(int level)
{
    return (level >= 0 && level < TS_MICRO_NLEVELS) ? level_codes[level] : NAN;
}

double ts_micro_time_h(int ti)
{
    return (ti >= 0 && ti < TS_MICRO_NTIMES) ? times_h[ti] : NAN;
}

int ts_micro_level_parse(const char *s, int *level)
{
    if (!s || !level) return ts_error_set(TS_ERR_INVAL, "level: NULL argument");
    for (int i = 0; i < TS_MICRO_NLEVELS; i++) {
        const char *a = s, *b = level_names[i];
        while (*a && *b && toupper((unsigned char)*a) == *b) a++, b++;
        if (!*a && !*b) {
            *level = i;
            return 0;
        }
        char *end = NULL;
        double v = strtod(s, &end);
        if (end != s && *end == '\0' && v == level_codes[i]) {
            *level = i;
            return 0;
        }
    }
    return ts_error_set(TS_ERR_INVAL,
                        "unknown impurity level '%s': expected PVD, ECD1, ECD2, ECD3 or a code 0, 30, 60, 120",
                        s);
}

int ts_micro_condition_status(int level, int ti)
{
    if (level < 0 || level >= TS_MICRO_NLEVELS || ti < 0 || ti >= TS_MICRO_NTIMES)
        return ts_error_set(TS_ERR_RANGE, "condition (%d, %d) outside the 4 x 7 matrix", level, ti);
    if (!measured[level][ti]) return TS_MICRO_UNKNOWN;
    if ((level == 0 && times_h[ti] == 300.0) || (level == 1 && times_h[ti] == 750.0))
        return TS_MICRO_UNSEEN;
    return TS_MICRO_SEEN;
}

const char *ts_micro_status_name(int st)
{
    switch (st) {
    case TS_MICRO_SEEN: return "seen";
    case TS_MICRO_UNSEEN: return "unseen";
    case TS_MICRO_UNKNOWN: return "unknown";
    default: return "?";
    }
}

/* Generator truth.  Cumulative k = k3 + k6 rises slightly with impurity
 * (0.125 -> 0.170 µm/√h; the seed's highest-impurity value is 0.17), the pore
 * constant strongly (0.006 -> 0.074 µm²/√h; seed: 0.074 for ECD3). Cu3Sn
 * takes 42 % of the IMC growth.  ECD3: after 750 h 0.10 µm/√h of Cu3Sn is
 * converted to Cu6Sn5 (more than k3 = 0.071, so Cu3Sn thins). */
int ts_micro_growth_default(int level, ts_micro_growth *g)
{
    static const double k_imc[TS_MICRO_NLEVELS] = {0.125, 0.135, 0.150, 0.170};
    static const double kp[TS_MICRO_NLEVELS] = {0.006, 0.020, 0.045, 0.074};
    if (!g) return ts_error_set(TS_ERR_INVAL, "growth: NULL argument");
    if (level < 0 || level >= TS_MICRO_NLEVELS)
        return ts_error_set(TS_ERR_RANGE, "impurity level %d outside 0..3", level);
    memset(g, 0, sizeof *g);
    g->h3_0 = 0.30;
    g->h6_0 = 2.00;
    g->k3 = 0.42 * k_imc[level];
    g->k6 = 0.58 * k_imc[level];
    g->kp = kp[level];
    if (level == 3) {
        g->anomaly_t_h = 750.0;
        g->anomaly_k = 0.10;
    }
    return 0;
}

void ts_micro_growth_eval(const ts_micro_growth *g, double t_h, double *h3, double *h6,
                          double *pore_area)
{
    double st = sqrt(t_h > 0 ? t_h : 0.0);
    double a3 = g->h3_0 + g->k3 * st, a6 = g->h6_0 + g->k6 * st;
    if (g->anomaly_t_h > 0 && t_h > g->anomaly_t_h) {
        double moved = g->anomaly_k * (st - sqrt(g->anomaly_t_h));
        /* never below 40 % of the Cu3Sn reached at the onset */
        double onset = g->h3_0 + g->k3 * sqrt(g->anomaly_t_h);
        double lim = a3 - 0.4 * onset;
        if (moved > lim) moved = lim;
        a3 -= moved;
        a6 += moved;
    }
    if (h3) *h3 = a3;
    if (h6) *h6 = a6;
    if (pore_area) *pore_area = g->kp * st;
}

int ts_micro_growth_at_code(double code, ts_micro_growth *g)
{
    if (!g) return ts_error_set(TS_ERR_INVAL, "growth: NULL argument");
    if (!(code >= 0 && code <= 120))
        return ts_error_set(TS_ERR_RANGE, "impurity code %g outside 0..120", code);
    int l = 0;
    while (l < TS_MICRO_NLEVELS - 2 && code > level_codes[l + 1]) l++;
    double f = (code - level_codes[l]) / (level_codes[l + 1] - level_codes[l]);
    ts_micro_growth a, b;
    TS_TRY(ts_micro_growth_default(l, &a));
    TS_TRY(ts_micro_growth_default(l + 1, &b));
    *g = a;
    g->h3_0 = a.h3_0 + f * (b.h3_0 - a.h3_0);
    g->h6_0 = a.h6_0 + f * (b.h6_0 - a.h6_0);
    g->k3 = a.k3 + f * (b.k3 - a.k3);
    g->k6 = a.k6 + f * (b.k6 - a.k6);
    g->kp = a.kp + f * (b.kp - a.kp);
    if (f == 1.0) *g = b;
    return 0;
}
