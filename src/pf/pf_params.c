/* Model parameters of the Cu / Cu3Sn / Cu6Sn5 / Sn system at 180 C.
 *
 * Source: seed 002 sec. 3.2-3.7 and Tables 2-3, with the errata of
 * notes/phasefield.md: cubic Cu has C44 = C55 = C66 = 81.77 GPa (the printed
 * zeros are a typo); only Cu and Sn deform plastically; the Cu/Cu3Sn common
 * tangent choice (printed C_Cu or the value reproducing the stated tangent).
 * Interface mobility: constant L (sec. 3.7) or eq. (8).
 */
#include <math.h>
#include <string.h>

#include "tinsel/pf.h"

static void set_ortho(double C[6][6], double c11, double c22, double c33, double c44,
                      double c55, double c66, double c12, double c13, double c23)
{
    memset(C, 0, sizeof(double) * 36);
    C[0][0] = c11; C[1][1] = c22; C[2][2] = c33;
    C[3][3] = c44; C[4][4] = c55; C[5][5] = c66;
    C[0][1] = C[1][0] = c12;
    C[0][2] = C[2][0] = c13;
    C[1][2] = C[2][1] = c23;
}

static void scale(double C[6][6], double f)
{
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++) C[i][j] *= f;
}

void ts_pf_params_default(ts_pf_params *p, int cu_tangent)
{
    memset(p, 0, sizeof *p);
    p->nphase = 4;
    /* name, A, B, C, c0, D, c_init, width (seed sec. 3.2, 3.3, 3.7) */
    static const struct {
        const char *name;
        double A, B, C, c0, D, cinit, width;
    } tab[4] = {
        {"Cu", 2.65e10, -4.09e9, -1.71e9, 0.026, 1e-25, 0.026, 10.8e-6},
        {"Cu3Sn", 1.794e11, -4.09e9, -2.61e9, 0.25, 4.04e-16, 0.25, 2e-6},
        {"Cu6Sn5", 1.794e10, 4.52e8, -2.66e9, 0.455, 1.12e-15, 0.455, 2e-6},
        {"Sn", 8.97e12, 4.52e8, -2.42e9, 0.999958, 1e-14, 0.999958, 10.8e-6},
    };
    for (int r = 0; r < 4; r++) {
        ts_pf_phase *ph = &p->ph[r];
        strncpy(ph->name, tab[r].name, TS_PF_NAMELEN - 1);
        ph->A = tab[r].A;
        ph->B = tab[r].B;
        ph->C = tab[r].C;
        ph->c0 = tab[r].c0;
        ph->D = tab[r].D;
        ph->c_init = tab[r].cinit;
        ph->width = tab[r].width;
    }
    if (cu_tangent) p->ph[0].C = -1.79e9; /* note: reproduces 0.0427 / 0.2525 */
    /* Stiffnesses, GPa (Tables 2, 3; Cu with the cubic erratum). */
    set_ortho(p->ph[0].stiff, 176.2, 176.2, 176.2, 81.77, 81.77, 81.77, 124.94, 124.94, 124.94);
    set_ortho(p->ph[1].stiff, 155, 174, 148, 50, 44, 55, 79, 76, 95);
    set_ortho(p->ph[2].stiff, 169, 165, 186, 46, 54, 46, 69, 67, 67);
    /* Cu6Sn5 monoclinic couplings C1113, C2213, C3313, C2312 -> Voigt 15, 25, 35, 46 */
    p->ph[2].stiff[0][4] = p->ph[2].stiff[4][0] = 17;
    p->ph[2].stiff[1][4] = p->ph[2].stiff[4][1] = 34;
    p->ph[2].stiff[2][4] = p->ph[2].stiff[4][2] = 28;
    p->ph[2].stiff[3][5] = p->ph[2].stiff[5][3] = -3;
    set_ortho(p->ph[3].stiff, 82.74, 82.74, 103.10, 26.95, 26.95, 28.18, 57.85, 34.21, 34.21);
    for (int r = 0; r < 4; r++) scale(p->ph[r].stiff, 1e9);
    /* Viscoplasticity (sec. 3.6): yield stresses for all, flow for Cu, Sn. */
    p->ph[0].plastic = 1; p->ph[0].R0 = 180e6; p->ph[0].K = 300e6; p->ph[0].n = 12;
    p->ph[1].R0 = 1787e6;
    p->ph[2].R0 = 2009e6;
    p->ph[3].plastic = 1; p->ph[3].R0 = 35e6; p->ph[3].K = 300e6; p->ph[3].n = 7.8;
    /* Interfaces (sec. 3.7). */
    p->kappa = 2.25e-7;
    p->gamma = 1.5;
    p->m = 5e6;
    p->lmode = TS_PF_L_CONSTANT;
    p->L_const = 8e-13;
    p->mechanics = 0;
    p->normal = TS_PF_NORMAL_STRAIN;
    p->n = 256;
    p->dx = 0.1e-6;
    p->tanh_init = 1;
    p->t_end = 158400.0;
    p->dt_init = 1e-3;
    p->dt_min = 1e-9;
    p->dt_max = 50.0;
    p->tol = 1e-3;
    p->adaptive = 1;
}

int ts_pf_phase_index(const ts_pf_params *p, const char *name)
{
    for (int r = 0; r < p->nphase; r++)
        if (strcmp(p->ph[r].name, name) == 0) return r;
    return ts_error_set(TS_ERR_NOTFOUND, "unknown phase '%s'", name);
}

int ts_pf_params_check(const ts_pf_params *p)
{
    if (p->nphase < 2 || p->nphase > TS_PF_MAXPHASE)
        return ts_error_set(TS_ERR_RANGE, "nphase = %d, expected 2..%d", p->nphase,
                            TS_PF_MAXPHASE);
    if (p->n < 8) return ts_error_set(TS_ERR_RANGE, "grid points n = %d, expected >= 8", p->n);
    if (!(p->dx > 0) || !isfinite(p->dx))
        return ts_error_set(TS_ERR_RANGE, "dx = %g m, expected > 0", p->dx);
    double wsum = 0;
    for (int r = 0; r < p->nphase; r++) {
        const ts_pf_phase *ph = &p->ph[r];
        if (!(ph->A > 0)) return ts_error_set(TS_ERR_RANGE, "phase %s: A = %g J/m^3, expected > 0", ph->name, ph->A);
        if (!(ph->D > 0) || !isfinite(ph->D))
            return ts_error_set(TS_ERR_RANGE, "phase %s: D = %g m^2/s, expected > 0", ph->name, ph->D);
        if (!isfinite(ph->B) || !isfinite(ph->C) || !isfinite(ph->c0) || !isfinite(ph->c_init))
            return ts_error_set(TS_ERR_RANGE, "phase %s: non-finite free-energy coefficient", ph->name);
        if (!(ph->width >= 0))
            return ts_error_set(TS_ERR_RANGE, "phase %s: width = %g m, expected >= 0", ph->name, ph->width);
        if (ph->plastic && (!(ph->R0 >= 0) || !(ph->K > 0) || !(ph->n >= 1)))
            return ts_error_set(TS_ERR_RANGE,
                                "phase %s: plasticity needs R0 >= 0, K > 0, n >= 1 (got %g, %g, %g)",
                                ph->name, ph->R0, ph->K, ph->n);
        if (p->mechanics) {
            double C11 = ph->stiff[0][0], C16 = ph->stiff[0][5], C66 = ph->stiff[5][5];
            if (!(C11 > 0) || !(C66 > 0) || !(C11 * C66 - C16 * C16 > 0))
                return ts_error_set(TS_ERR_RANGE, "phase %s: stiffness not positive definite (C11, C66)", ph->name);
        }
        wsum += ph->width;
    }
    double L = p->n * p->dx;
    if (fabs(wsum - L) > 0.5 * p->dx)
        return ts_error_set(TS_ERR_INVAL,
                            "layer widths sum to %g m but the grid is n*dx = %d*%g = %g m",
                            wsum, p->n, p->dx, L);
    if (!(p->kappa > 0) || !(p->m > 0) || !(p->gamma > 0.5))
        return ts_error_set(TS_ERR_RANGE, "interface: kappa = %g, m = %g must be > 0 and gamma = %g > 0.5",
                            p->kappa, p->m, p->gamma);
    if (p->lmode == TS_PF_L_CONSTANT && !(p->L_const > 0))
        return ts_error_set(TS_ERR_RANGE, "L = %g m^3/(J s), expected > 0", p->L_const);
    if (!(p->t_end >= 0)) return ts_error_set(TS_ERR_RANGE, "t_end = %g s, expected >= 0", p->t_end);
    if (!(p->dt_min > 0) || !(p->dt_init >= p->dt_min) || !(p->dt_max >= p->dt_init))
        return ts_error_set(TS_ERR_RANGE,
                            "time steps: need 0 < dt_min (%g) <= dt_init (%g) <= dt_max (%g) s",
                            p->dt_min, p->dt_init, p->dt_max);
    if (!(p->tol > 0)) return ts_error_set(TS_ERR_RANGE, "tol = %g, expected > 0", p->tol);
    return 0;
}

double ts_pf_pair_L(const ts_pf_params *p, int r, int s)
{
    if (p->lmode == TS_PF_L_CONSTANT) return p->L_const;
    /* seed eq. (8) with the pair's common-tangent compositions */
    double cr, cs, mu;
    if (ts_pf_common_tangent(p, r, s, &cr, &cs, &mu) != 0) {
        ts_error_clear();
        /* no tangent (non-adjacent pair without a root): use the parabola minima */
        cr = p->ph[r].c0;
        cs = p->ph[s].c0;
    }
    double dc = cr - cs;
    if (fabs(dc) < 1e-6) dc = 1e-6;
    double Mr = p->ph[r].D / p->ph[r].A, Ms = p->ph[s].D / p->ph[s].A;
    return 4.0 * p->m / (3.0 * p->kappa * dc * dc) * 0.5 * (Mr + Ms);
}

void ts_pf_stiffness_rotate(const double in[6][6], double angle, double out[6][6])
{
    /* Voigt index of the tensor pair (i, j) */
    static const int vo[3][3] = {{0, 5, 4}, {5, 1, 3}, {4, 3, 2}};
    double c = cos(angle), s = sin(angle);
    double R[3][3] = {{c, -s, 0}, {s, c, 0}, {0, 0, 1}};
    double C[3][3][3][3], Cr[3][3][3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 3; k++)
                for (int l = 0; l < 3; l++) C[i][j][k][l] = in[vo[i][j]][vo[k][l]];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 3; k++)
                for (int l = 0; l < 3; l++) {
                    double acc = 0;
                    for (int a = 0; a < 3; a++)
                        for (int b = 0; b < 3; b++)
                            for (int cc = 0; cc < 3; cc++)
                                for (int d = 0; d < 3; d++)
                                    acc += R[i][a] * R[j][b] * R[k][cc] * R[l][d] * C[a][b][cc][d];
                    Cr[i][j][k][l] = acc;
                }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 3; k++)
                for (int l = 0; l < 3; l++) out[vo[i][j]][vo[k][l]] = Cr[i][j][k][l];
}
