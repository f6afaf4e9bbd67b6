/* Training checkpoints in safetensors: parameters, EMA weights and optimiser
 * state under prefixed names, with the step count and optimiser kind as
 * metadata, so that a run resumes bit for bit (the state is the complete input
 * of ts_nn_optim_step and ts_nn_ema_update). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

static const char *kind_name(ts_nn_optim_kind k)
{
    return k == TS_NN_SGD ? "sgd" : k == TS_NN_ADAM ? "adam" : "adamw";
}

/* Which flat arrays a checkpoint holds: 0 params, 1 ema, 2 optim.m, 3 optim.v. */
static const char *const PREFIX[4] = {"", "ema/", "optim.m/", "optim.v/"};

static void flat_arrays(ts_nn_params *p, ts_nn_optim *o, const float *ema, const float *arr[4])
{
    arr[0] = ts_nn_params_flat(p);
    arr[1] = ema;
    arr[2] = o ? ts_nn_optim_state(o, 0) : NULL;
    arr[3] = o ? ts_nn_optim_state(o, 1) : NULL;
}

int ts_nn_checkpoint_save(const char *path, ts_nn_params *p, ts_nn_optim *o, const float *ema, int nmeta,
                          const char *const *meta_kv)
{
    TS_NN_CHECK_PTR(path);
    TS_NN_CHECK_PTR(p);
    if (!ts_nn_params_flat(p)) return ts_error_set(TS_ERR_INVAL, "nn checkpoint: parameters not allocated");
    if (nmeta < 0 || (nmeta > 0 && !meta_kv)) return ts_error_set(TS_ERR_INVAL, "nn checkpoint: bad metadata");
    if (o && ts_nn_params_total(p) != ts_nn_optim_state_size_(o))
        return ts_error_set(TS_ERR_INVAL, "nn checkpoint: optimiser size %zu != parameter block %zu",
                            ts_nn_optim_state_size_(o), ts_nn_params_total(p));
    const float *arr[4];
    flat_arrays(p, o, ema, arr);
    const int np = ts_nn_params_count(p);
    const int cap = 4 * np;
    char **names = calloc((size_t)(cap ? cap : 1), sizeof *names);
    int *nd = malloc((size_t)(cap ? cap : 1) * sizeof *nd);
    int64_t *shp = malloc((size_t)(cap ? cap : 1) * TS_NN_MAXDIM * sizeof *shp);
    const int64_t **shapes = malloc((size_t)(cap ? cap : 1) * sizeof *shapes);
    const float **data = malloc((size_t)(cap ? cap : 1) * sizeof *data);
    const char **meta = malloc((size_t)(2 * nmeta + 4) * sizeof *meta);
    int rc = TS_OK, n = 0;
    if (!names || !nd || !shp || !shapes || !data || !meta) rc = ts_error_set(TS_ERR_NOMEM, "nn checkpoint: out of memory");
    const float *flat = ts_nn_params_flat(p);
    for (int a = 0; !rc && a < 4; a++) {
        if (!arr[a]) continue;
        for (int i = 0; !rc && i < np; i++) {
            const char *pn = ts_nn_params_name(p, i);
            names[n] = malloc(strlen(PREFIX[a]) + strlen(pn) + 1);
            if (!names[n]) {
                rc = ts_error_set(TS_ERR_NOMEM, "nn checkpoint: out of memory");
                break;
            }
            strcpy(names[n], PREFIX[a]);
            strcat(names[n], pn);
            ts_nn_params_shape(p, i, &nd[n], shp + (size_t)n * TS_NN_MAXDIM);
            shapes[n] = shp + (size_t)n * TS_NN_MAXDIM;
            data[n] = arr[a] + (ts_nn_params_data(p, i) - flat);
            n++;
        }
    }
    char step[32];
    snprintf(step, sizeof step, "%ld", o ? ts_nn_optim_steps(o) : 0L);
    int nm = 0;
    if (!rc) {
        meta[2 * nm] = "step", meta[2 * nm + 1] = step, nm++;
        if (o) meta[2 * nm] = "optim", meta[2 * nm + 1] = kind_name(ts_nn_optim_get_config(o)->kind), nm++;
        for (int k = 0; k < nmeta; k++) meta[2 * nm] = meta_kv[2 * k], meta[2 * nm + 1] = meta_kv[2 * k + 1], nm++;
        rc = ts_nn_st_write(path, n, (const char *const *)names, nd, shapes, data, nm, meta);
    }
    for (int k = 0; names && k < n; k++) free(names[k]);
    free(names);
    free(nd);
    free(shp);
    free(shapes);
    free(data);
    free(meta);
    return rc;
}

int ts_nn_checkpoint_load(const char *path, ts_nn_params *p, ts_nn_optim *o, float *ema)
{
    TS_NN_CHECK_PTR(path);
    TS_NN_CHECK_PTR(p);
    if (!ts_nn_params_flat(p)) return ts_error_set(TS_ERR_INVAL, "nn checkpoint: parameters not allocated");
    if (o && ts_nn_params_total(p) != ts_nn_optim_state_size_(o))
        return ts_error_set(TS_ERR_INVAL, "nn checkpoint: optimiser size %zu != parameter block %zu",
                            ts_nn_optim_state_size_(o), ts_nn_params_total(p));
    ts_nn_safetensors *st;
    TS_TRY(ts_nn_st_read(path, &st));
    int rc = TS_OK;
    long steps = 0;
    if (o) {
        const char *k = ts_nn_st_meta(st, "optim"), *s = ts_nn_st_meta(st, "step");
        char *end = NULL;
        if (!k || strcmp(k, kind_name(ts_nn_optim_get_config(o)->kind)))
            rc = ts_error_set(TS_ERR_FORMAT, "%s: optimiser '%s' in the checkpoint, '%s' requested", path,
                              k ? k : "(none)", kind_name(ts_nn_optim_get_config(o)->kind));
        else if (!s || (steps = strtol(s, &end, 10)) < 0 || !end || *end)
            rc = ts_error_set(TS_ERR_FORMAT, "%s: metadata 'step' missing or not a count", path);
    }
    float *arr[4];
    arr[0] = ts_nn_params_flat(p);
    arr[1] = ema;
    arr[2] = o ? ts_nn_optim_state(o, 0) : NULL;
    arr[3] = o ? ts_nn_optim_state(o, 1) : NULL;
    const int np = ts_nn_params_count(p);
    /* pass 0 checks everything, pass 1 copies */
    for (int pass = 0; !rc && pass < 2; pass++)
        for (int a = 0; !rc && a < 4; a++) {
            if (!arr[a]) continue;
            for (int i = 0; !rc && i < np; i++) {
                char name[300];
                snprintf(name, sizeof name, "%s%s", PREFIX[a], ts_nn_params_name(p, i));
                int k = ts_nn_st_find(st, name), nd, snd;
                int64_t shp[TS_NN_MAXDIM], sshp[TS_NN_MAXDIM];
                if (k < 0) {
                    rc = ts_error_set(TS_ERR_NOTFOUND, "%s: no tensor '%s'", path, name);
                    break;
                }
                ts_nn_params_shape(p, i, &nd, shp);
                ts_nn_st_shape(st, k, &snd, sshp);
                int same = nd == snd;
                for (int q = 0; same && q < nd; q++) same = shp[q] == sshp[q];
                if (!same) {
                    rc = ts_error_set(TS_ERR_FORMAT, "%s: tensor '%s' has another shape than the model's", path, name);
                    break;
                }
                if (pass == 1)
                    memcpy(arr[a] + (ts_nn_params_data(p, i) - ts_nn_params_flat(p)), ts_nn_st_data(st, k),
                           ts_nn_params_numel_(p, i) * sizeof(float));
            }
        }
    if (!rc && o) ts_nn_optim_set_steps(o, steps);
    ts_nn_st_destroy(st);
    return rc;
}
