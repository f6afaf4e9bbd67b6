/* safetensors files (format: huggingface/safetensors docs, "Format"):
 *   8 bytes  N, unsigned little-endian 64-bit: size of the header
 *   N bytes  UTF-8 JSON object: {"__metadata__": {str: str}?,
 *            name: {"dtype": "F32", "shape": [d0, ...], "data_offsets": [b, e]}, ...}
 *            (offsets relative to the start of the data block; may be padded
 *            with trailing spaces)
 *   rest     the data block, tensors little-endian row-major, tiling it
 *            without holes or overlaps.
 * Reader: the whole file is read and checked (sizes, offsets, tiling, dtype)
 * before anything is returned; F32/F64/F16/BF16 become float32 copies.
 * Writer: F32, header padded to a multiple of 8 bytes, atomic (temp + rename). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

#define ST_MAX_HEADER (100u << 20) /* 100 MB, the reference implementation's limit */

typedef struct {
    char *name;
    char dtype[8];
    int ndim;
    int64_t shape[TS_NN_MAXDIM];
    uint64_t begin, end;
    float *data; /* owned float32 copy */
} st_tensor;

struct ts_nn_safetensors {
    st_tensor *t;
    int n, cap;
    char **meta; /* 2*nmeta strings */
    int nmeta;
};

void ts_nn_st_destroy(ts_nn_safetensors *st)
{
    if (!st) return;
    for (int i = 0; i < st->n; i++) {
        free(st->t[i].name);
        free(st->t[i].data);
    }
    free(st->t);
    for (int i = 0; i < 2 * st->nmeta; i++) free(st->meta[i]);
    free(st->meta);
    free(st);
}

/* ------------------------------------------------------------ JSON (the subset safetensors uses) */

typedef struct {
    const char *s;
    size_t n, i;
    const char *path;
} json;

static int jerr(json *j, const char *what)
{
    return ts_error_set(TS_ERR_PARSE, "%s: header byte %zu: %s", j->path, j->i + 8, what);
}

static void jws(json *j)
{
    while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\n' || j->s[j->i] == '\r'))
        j->i++;
}

static int jexpect(json *j, char c)
{
    jws(j);
    if (j->i >= j->n || j->s[j->i] != c) {
        char msg[40];
        snprintf(msg, sizeof msg, "expected '%c'", c);
        return jerr(j, msg);
    }
    j->i++;
    return TS_OK;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int put_utf8(char *o, size_t *k, unsigned long cp)
{
    if (cp < 0x80) o[(*k)++] = (char)cp;
    else if (cp < 0x800) {
        o[(*k)++] = (char)(0xC0 | (cp >> 6));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        o[(*k)++] = (char)(0xE0 | (cp >> 12));
        o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        o[(*k)++] = (char)(0xF0 | (cp >> 18));
        o[(*k)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    }
    return 0;
}

static int read_hex4(json *j, unsigned long *cp)
{
    if (j->i + 4 > j->n) return jerr(j, "truncated \\u escape");
    unsigned long v = 0;
    for (int q = 0; q < 4; q++) {
        int h = hexval(j->s[j->i + q]);
        if (h < 0) return jerr(j, "bad \\u escape");
        v = v * 16 + (unsigned long)h;
    }
    j->i += 4;
    *cp = v;
    return TS_OK;
}

/* A JSON string into a malloc'd C string (caller frees). */
static int jstring(json *j, char **out)
{
    *out = NULL;
    TS_TRY(jexpect(j, '"'));
    char *o = malloc(4 * (j->n - j->i) + 1); /* escapes never grow beyond 4x */
    TS_CHECK_ALLOC(o);
    size_t k = 0;
    for (;;) {
        if (j->i >= j->n) {
            free(o);
            return jerr(j, "unterminated string");
        }
        unsigned char c = (unsigned char)j->s[j->i++];
        if (c == '"') break;
        if (c < 0x20) {
            free(o);
            return jerr(j, "control character in string");
        }
        if (c != '\\') {
            o[k++] = (char)c;
            continue;
        }
        if (j->i >= j->n) {
            free(o);
            return jerr(j, "truncated escape");
        }
        char e = j->s[j->i++];
        unsigned long cp;
        int rc;
        switch (e) {
        case '"': o[k++] = '"'; break;
        case '\\': o[k++] = '\\'; break;
        case '/': o[k++] = '/'; break;
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        case 'n': o[k++] = '\n'; break;
        case 'r': o[k++] = '\r'; break;
        case 't': o[k++] = '\t'; break;
        case 'u':
            if ((rc = read_hex4(j, &cp))) {
                free(o);
                return rc;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned long lo;
                if (j->i + 2 > j->n || j->s[j->i] != '\\' || j->s[j->i + 1] != 'u') {
                    free(o);
                    return jerr(j, "unpaired surrogate");
                }
                j->i += 2;
                if ((rc = read_hex4(j, &lo))) {
                    free(o);
                    return rc;
                }
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    free(o);
                    return jerr(j, "bad surrogate pair");
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                free(o);
                return jerr(j, "unpaired surrogate");
            }
            if (cp == 0) {
                free(o);
                return jerr(j, "NUL character in string");
            }
            put_utf8(o, &k, cp);
            break;
        default:
            free(o);
            return jerr(j, "bad escape");
        }
    }
    o[k] = '\0';
    *out = o;
    return TS_OK;
}

/* A non-negative integer below 2^63. */
static int juint(json *j, uint64_t *v)
{
    jws(j);
    if (j->i >= j->n || !isdigit((unsigned char)j->s[j->i])) return jerr(j, "expected a non-negative integer");
    uint64_t x = 0;
    size_t start = j->i;
    while (j->i < j->n && isdigit((unsigned char)j->s[j->i])) {
        unsigned d = (unsigned)(j->s[j->i] - '0');
        if (x > (UINT64_C(0x7FFFFFFFFFFFFFFF) - d) / 10) return jerr(j, "integer too large");
        x = x * 10 + d;
        j->i++;
    }
    if (j->i - start > 1 && j->s[start] == '0') return jerr(j, "leading zero in integer");
    if (j->i < j->n && (j->s[j->i] == '.' || j->s[j->i] == 'e' || j->s[j->i] == 'E'))
        return jerr(j, "expected an integer");
    *v = x;
    return TS_OK;
}

/* '[' u, u, ... ']' into v (at most maxn); *cnt the count. */
static int juint_array(json *j, uint64_t *v, int maxn, int *cnt)
{
    TS_TRY(jexpect(j, '['));
    *cnt = 0;
    jws(j);
    if (j->i < j->n && j->s[j->i] == ']') {
        j->i++;
        return TS_OK;
    }
    for (;;) {
        if (*cnt >= maxn) return jerr(j, "too many entries in array");
        TS_TRY(juint(j, &v[(*cnt)++]));
        jws(j);
        if (j->i < j->n && j->s[j->i] == ',') {
            j->i++;
            continue;
        }
        return jexpect(j, ']');
    }
}

/* ------------------------------------------------------------ reader */

static size_t dtype_size(const char *dt)
{
    if (!strcmp(dt, "F32")) return 4;
    if (!strcmp(dt, "F64")) return 8;
    if (!strcmp(dt, "F16") || !strcmp(dt, "BF16")) return 2;
    return 0;
}

static int is_known_dtype(const char *dt)
{
    static const char *const all[] = {"BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32",
                                      "F32", "F64", "I64", "U64", "F8_E4M3", "F8_E5M2"};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(dt, all[i])) return 1;
    return 0;
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1F, man = h & 0x3FF, bits;
    if (exp == 0) {
        if (man == 0)
            bits = sign;
        else { /* subnormal: normalise */
            int e = -1;
            do {
                e++;
                man <<= 1;
            } while (!(man & 0x400));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3FF) << 13);
        }
    } else if (exp == 31)
        bits = sign | 0x7F800000u | (man << 13);
    else
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static void convert(st_tensor *t, const unsigned char *src, size_t numel)
{
    for (size_t i = 0; i < numel; i++) {
        if (!strcmp(t->dtype, "F32")) {
            uint32_t b = (uint32_t)src[4 * i] | (uint32_t)src[4 * i + 1] << 8 |
                         (uint32_t)src[4 * i + 2] << 16 | (uint32_t)src[4 * i + 3] << 24;
            memcpy(&t->data[i], &b, 4);
        } else if (!strcmp(t->dtype, "F64")) {
            uint64_t b = le64(src + 8 * i);
            double d;
            memcpy(&d, &b, 8);
            t->data[i] = (float)d;
        } else if (!strcmp(t->dtype, "F16")) {
            t->data[i] = half_to_float((uint16_t)(src[2 * i] | src[2 * i + 1] << 8));
        } else { /* BF16 */
            uint32_t b = ((uint32_t)src[2 * i] | (uint32_t)src[2 * i + 1] << 8) << 16;
            memcpy(&t->data[i], &b, 4);
        }
    }
}

static int parse_tensor_entry(json *j, st_tensor *t)
{
    int have_dtype = 0, have_shape = 0, have_off = 0;
    TS_TRY(jexpect(j, '{'));
    jws(j);
    if (j->i < j->n && j->s[j->i] == '}') return jerr(j, "empty tensor entry");
    for (;;) {
        char *key = NULL, *val = NULL;
        TS_TRY(jstring(j, &key));
        int rc = jexpect(j, ':');
        if (!rc) {
            if (!strcmp(key, "dtype") && !have_dtype) {
                rc = jstring(j, &val);
                if (!rc && (strlen(val) >= sizeof t->dtype || !is_known_dtype(val)))
                    rc = jerr(j, "unknown dtype");
                if (!rc) strcpy(t->dtype, val);
                have_dtype = 1;
            } else if (!strcmp(key, "shape") && !have_shape) {
                uint64_t v[TS_NN_MAXDIM];
                rc = juint_array(j, v, TS_NN_MAXDIM, &t->ndim);
                for (int q = 0; !rc && q < t->ndim; q++) {
                    if (v[q] > (uint64_t)INT32_MAX) rc = jerr(j, "dimension too large");
                    t->shape[q] = (int64_t)v[q];
                }
                have_shape = 1;
            } else if (!strcmp(key, "data_offsets") && !have_off) {
                uint64_t v[2];
                int cnt = 0;
                rc = juint_array(j, v, 2, &cnt);
                if (!rc && cnt != 2) rc = jerr(j, "data_offsets needs 2 entries");
                if (!rc) {
                    t->begin = v[0];
                    t->end = v[1];
                }
                have_off = 1;
            } else
                rc = jerr(j, "unexpected or repeated key in tensor entry");
        }
        free(key);
        free(val);
        TS_TRY(rc);
        jws(j);
        if (j->i < j->n && j->s[j->i] == ',') {
            j->i++;
            continue;
        }
        TS_TRY(jexpect(j, '}'));
        break;
    }
    if (!have_dtype || !have_shape || !have_off) return jerr(j, "tensor entry needs dtype, shape and data_offsets");
    return TS_OK;
}

static int parse_metadata(json *j, ts_nn_safetensors *st)
{
    if (st->meta) return jerr(j, "repeated __metadata__");
    TS_TRY(jexpect(j, '{'));
    jws(j);
    if (j->i < j->n && j->s[j->i] == '}') {
        j->i++;
        return TS_OK;
    }
    int cap = 0;
    for (;;) {
        char *k = NULL, *v = NULL;
        TS_TRY(jstring(j, &k));
        int rc = jexpect(j, ':');
        if (!rc) rc = jstring(j, &v);
        if (!rc && st->nmeta == cap) {
            int nc = cap ? 2 * cap : 8;
            char **m = realloc(st->meta, (size_t)nc * 2 * sizeof *m);
            if (!m)
                rc = ts_error_set(TS_ERR_NOMEM, "safetensors: out of memory");
            else {
                st->meta = m;
                cap = nc;
            }
        }
        if (rc) {
            free(k);
            free(v);
            return rc;
        }
        st->meta[2 * st->nmeta] = k;
        st->meta[2 * st->nmeta + 1] = v;
        st->nmeta++;
        jws(j);
        if (j->i < j->n && j->s[j->i] == ',') {
            j->i++;
            continue;
        }
        return jexpect(j, '}');
    }
}

static int cmp_begin(const void *a, const void *b)
{
    const st_tensor *x = *(const st_tensor *const *)a, *y = *(const st_tensor *const *)b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : (x->end > y->end) - (x->end < y->end);
}

static int parse_header(json *j, ts_nn_safetensors *st)
{
    TS_TRY(jexpect(j, '{'));
    jws(j);
    if (j->i < j->n && j->s[j->i] == '}')
        j->i++;
    else
        for (;;) {
            char *key = NULL;
            TS_TRY(jstring(j, &key));
            int rc = jexpect(j, ':');
            if (!rc && !strcmp(key, "__metadata__")) {
                rc = parse_metadata(j, st);
                free(key);
            } else if (!rc) {
                for (int q = 0; q < st->n && !rc; q++)
                    if (!strcmp(st->t[q].name, key)) rc = jerr(j, "duplicate tensor name");
                if (!rc && st->n == st->cap) {
                    int nc = st->cap ? 2 * st->cap : 16;
                    st_tensor *t = realloc(st->t, (size_t)nc * sizeof *t);
                    if (!t)
                        rc = ts_error_set(TS_ERR_NOMEM, "safetensors: out of memory");
                    else {
                        st->t = t;
                        st->cap = nc;
                    }
                }
                if (rc) {
                    free(key);
                    return rc;
                }
                st_tensor *t = &st->t[st->n];
                memset(t, 0, sizeof *t);
                t->name = key;
                st->n++;
                rc = parse_tensor_entry(j, t);
            } else
                free(key);
            TS_TRY(rc);
            jws(j);
            if (j->i < j->n && j->s[j->i] == ',') {
                j->i++;
                continue;
            }
            TS_TRY(jexpect(j, '}'));
            break;
        }
    jws(j);
    if (j->i != j->n) return jerr(j, "trailing characters after the header object");
    return TS_OK;
}

int ts_nn_st_read(const char *path, ts_nn_safetensors **out)
{
    TS_NN_CHECK_PTR(path);
    TS_NN_CHECK_PTR(out);
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return ts_error_set(TS_ERR_IO, "%s: cannot open for reading", path);
    unsigned char *buf = NULL;
    size_t size = 0;
    int rc = TS_OK;
    if (fseek(fp, 0, SEEK_END) != 0) rc = ts_error_set(TS_ERR_IO, "%s: cannot seek", path);
    long sz = rc ? -1 : ftell(fp);
    if (!rc && sz < 0) rc = ts_error_set(TS_ERR_IO, "%s: cannot tell size", path);
    if (!rc && fseek(fp, 0, SEEK_SET) != 0) rc = ts_error_set(TS_ERR_IO, "%s: cannot seek", path);
    if (!rc) {
        size = (size_t)sz;
        buf = malloc(size ? size : 1);
        if (!buf) rc = ts_error_set(TS_ERR_NOMEM, "%s: cannot allocate %zu bytes", path, size);
    }
    if (!rc && size && fread(buf, 1, size, fp) != size) rc = ts_error_set(TS_ERR_IO, "%s: read failed", path);
    fclose(fp);
    if (rc) {
        free(buf);
        return rc;
    }
    ts_nn_safetensors *st = calloc(1, sizeof *st);
    st_tensor **order = NULL;
    if (!st) {
        free(buf);
        return ts_error_set(TS_ERR_NOMEM, "safetensors: out of memory");
    }
    if (size < 8) {
        rc = ts_error_set(TS_ERR_FORMAT, "%s: %zu bytes, too short for a safetensors file", path, size);
        goto done;
    }
    uint64_t hlen = le64(buf);
    if (hlen > ST_MAX_HEADER || hlen > size - 8) {
        rc = ts_error_set(TS_ERR_FORMAT, "%s: header length %llu does not fit the file (%zu bytes)", path,
                          (unsigned long long)hlen, size);
        goto done;
    }
    json j = {(const char *)buf + 8, (size_t)hlen, 0, path};
    if ((rc = parse_header(&j, st))) goto done;
    const unsigned char *data = buf + 8 + hlen;
    const uint64_t dsize = size - 8 - hlen;
    /* offsets: each inside the block, sizes match dtype x shape, tiling without holes */
    order = malloc((size_t)(st->n ? st->n : 1) * sizeof *order);
    if (!order) {
        rc = ts_error_set(TS_ERR_NOMEM, "safetensors: out of memory");
        goto done;
    }
    for (int i = 0; i < st->n; i++) {
        st_tensor *t = &st->t[i];
        order[i] = t;
        size_t es = dtype_size(t->dtype);
        if (!es) {
            rc = ts_error_set(TS_ERR_UNSUPPORTED, "%s: tensor '%s' has dtype %s; supported: F32, F64, F16, BF16",
                              path, t->name, t->dtype);
            goto done;
        }
        uint64_t numel = 1;
        for (int q = 0; q < t->ndim; q++) {
            if (t->shape[q] && numel > (UINT64_C(1) << 40) / (uint64_t)t->shape[q]) {
                rc = ts_error_set(TS_ERR_FORMAT, "%s: tensor '%s' is too large", path, t->name);
                goto done;
            }
            numel *= (uint64_t)t->shape[q];
        }
        if (t->end < t->begin || t->end > dsize || t->end - t->begin != numel * es) {
            rc = ts_error_set(TS_ERR_FORMAT,
                              "%s: tensor '%s': data_offsets [%llu, %llu] do not match %llu x %zu bytes inside a %llu-byte data block",
                              path, t->name, (unsigned long long)t->begin, (unsigned long long)t->end,
                              (unsigned long long)numel, es, (unsigned long long)dsize);
            goto done;
        }
    }
    qsort(order, (size_t)st->n, sizeof *order, cmp_begin);
    uint64_t pos = 0;
    for (int i = 0; i < st->n; i++) {
        if (order[i]->begin != pos) {
            rc = ts_error_set(TS_ERR_FORMAT, "%s: tensor '%s' starts at %llu, expected %llu (hole or overlap)",
                              path, order[i]->name, (unsigned long long)order[i]->begin,
                              (unsigned long long)pos);
            goto done;
        }
        pos = order[i]->end;
    }
    if (pos != dsize) {
        rc = ts_error_set(TS_ERR_FORMAT, "%s: data block has %llu bytes, tensors cover %llu", path,
                          (unsigned long long)dsize, (unsigned long long)pos);
        goto done;
    }
    for (int i = 0; i < st->n; i++) {
        st_tensor *t = &st->t[i];
        size_t numel = (size_t)((t->end - t->begin) / dtype_size(t->dtype));
        t->data = malloc((numel ? numel : 1) * sizeof(float));
        if (!t->data) {
            rc = ts_error_set(TS_ERR_NOMEM, "%s: cannot allocate tensor '%s'", path, t->name);
            goto done;
        }
        convert(t, data + t->begin, numel);
    }
done:
    free(order);
    free(buf);
    if (rc) {
        ts_nn_st_destroy(st);
        return rc;
    }
    *out = st;
    return TS_OK;
}

int ts_nn_st_count(const ts_nn_safetensors *st) { return st ? st->n : 0; }

const char *ts_nn_st_name(const ts_nn_safetensors *st, int i)
{
    return st && i >= 0 && i < st->n ? st->t[i].name : NULL;
}

const char *ts_nn_st_dtype(const ts_nn_safetensors *st, int i)
{
    return st && i >= 0 && i < st->n ? st->t[i].dtype : NULL;
}

int ts_nn_st_shape(const ts_nn_safetensors *st, int i, int *ndim, int64_t shape[TS_NN_MAXDIM])
{
    if (!st || i < 0 || i >= st->n) return ts_error_set(TS_ERR_INVAL, "safetensors: bad index %d", i);
    if (ndim) *ndim = st->t[i].ndim;
    if (shape)
        for (int q = 0; q < st->t[i].ndim; q++) shape[q] = st->t[i].shape[q];
    return TS_OK;
}

const float *ts_nn_st_data(const ts_nn_safetensors *st, int i)
{
    return st && i >= 0 && i < st->n ? st->t[i].data : NULL;
}

int ts_nn_st_find(const ts_nn_safetensors *st, const char *name)
{
    if (!st || !name) return -1;
    for (int i = 0; i < st->n; i++)
        if (!strcmp(st->t[i].name, name)) return i;
    return -1;
}

const char *ts_nn_st_meta(const ts_nn_safetensors *st, const char *key)
{
    if (!st || !key) return NULL;
    for (int i = 0; i < st->nmeta; i++)
        if (!strcmp(st->meta[2 * i], key)) return st->meta[2 * i + 1];
    return NULL;
}

/* ------------------------------------------------------------ writer */

typedef struct {
    char *s;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t len)
{
    if (b->oom) return;
    if (b->n + len + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->n + len + 1) nc *= 2;
        char *p = realloc(b->s, nc);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->s = p;
        b->cap = nc;
    }
    memcpy(b->s + b->n, s, len);
    b->n += len;
    b->s[b->n] = '\0';
}

static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_json_string(sbuf *b, const char *s)
{
    sb_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char e[8];
        if (*p == '"' || *p == '\\') {
            e[0] = '\\';
            e[1] = (char)*p;
            sb_put(b, e, 2);
        } else if (*p < 0x20) {
            snprintf(e, sizeof e, "\\u%04x", *p);
            sb_put(b, e, 6);
        } else
            sb_put(b, (const char *)p, 1);
    }
    sb_put(b, "\"", 1);
}

int ts_nn_st_write(const char *path, int n, const char *const *names, const int *ndims,
                   const int64_t *const *shapes, const float *const *data, int nmeta,
                   const char *const *meta_kv)
{
    TS_NN_CHECK_PTR(path);
    if (n < 0 || nmeta < 0 || (n > 0 && (!names || !ndims || !shapes || !data)) || (nmeta > 0 && !meta_kv))
        return ts_error_set(TS_ERR_INVAL, "safetensors write: bad arguments");
    for (int i = 0; i < n; i++) {
        if (!names[i] || !names[i][0] || !strcmp(names[i], "__metadata__"))
            return ts_error_set(TS_ERR_INVAL, "safetensors write: tensor %d has an empty or reserved name", i);
        if (ndims[i] < 0 || ndims[i] > TS_NN_MAXDIM || (ndims[i] > 0 && !shapes[i]))
            return ts_error_set(TS_ERR_INVAL, "safetensors write: tensor '%s': bad rank", names[i]);
        for (int q = 0; q < i; q++)
            if (!strcmp(names[q], names[i]))
                return ts_error_set(TS_ERR_INVAL, "safetensors write: duplicate name '%s'", names[i]);
    }
    sbuf b = {0};
    char num[64];
    sb_str(&b, "{");
    if (nmeta > 0) {
        sb_str(&b, "\"__metadata__\":{");
        for (int m = 0; m < nmeta; m++) {
            if (m) sb_str(&b, ",");
            sb_json_string(&b, meta_kv[2 * m] ? meta_kv[2 * m] : "");
            sb_str(&b, ":");
            sb_json_string(&b, meta_kv[2 * m + 1] ? meta_kv[2 * m + 1] : "");
        }
        sb_str(&b, "}");
    }
    uint64_t off = 0;
    for (int i = 0; i < n; i++) {
        if (i || nmeta > 0) sb_str(&b, ",");
        sb_json_string(&b, names[i]);
        sb_str(&b, ":{\"dtype\":\"F32\",\"shape\":[");
        uint64_t numel = 1;
        for (int q = 0; q < ndims[i]; q++) {
            if (shapes[i][q] < 0) {
                free(b.s);
                return ts_error_set(TS_ERR_INVAL, "safetensors write: '%s' has a negative dimension", names[i]);
            }
            snprintf(num, sizeof num, "%s%lld", q ? "," : "", (long long)shapes[i][q]);
            sb_str(&b, num);
            numel *= (uint64_t)shapes[i][q];
        }
        if (numel && !data[i]) {
            free(b.s);
            return ts_error_set(TS_ERR_INVAL, "safetensors write: '%s' has no data", names[i]);
        }
        snprintf(num, sizeof num, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
                 (unsigned long long)(off + 4 * numel));
        sb_str(&b, num);
        off += 4 * numel;
    }
    sb_str(&b, "}");
    while (!b.oom && b.n % 8) sb_str(&b, " ");
    if (b.oom) {
        free(b.s);
        return ts_error_set(TS_ERR_NOMEM, "safetensors write: out of memory");
    }
    ts_afile *af = NULL;
    int rc = ts_afile_open(path, &af);
    if (rc) {
        free(b.s);
        return rc;
    }
    FILE *fp = ts_afile_fp(af);
    unsigned char h8[8];
    for (int q = 0; q < 8; q++) h8[q] = (unsigned char)(((uint64_t)b.n >> (8 * q)) & 0xFF);
    int ok = fwrite(h8, 1, 8, fp) == 8 && fwrite(b.s, 1, b.n, fp) == b.n;
    free(b.s);
    unsigned char chunk[4096];
    for (int i = 0; ok && i < n; i++) {
        size_t numel = ts_nn_shape_numel(ndims[i], shapes[i]);
        size_t k = 0;
        for (size_t e = 0; ok && e < numel; e++) {
            uint32_t bits;
            memcpy(&bits, &data[i][e], 4);
            chunk[k++] = (unsigned char)(bits & 0xFF);
            chunk[k++] = (unsigned char)((bits >> 8) & 0xFF);
            chunk[k++] = (unsigned char)((bits >> 16) & 0xFF);
            chunk[k++] = (unsigned char)(bits >> 24);
            if (k == sizeof chunk) {
                ok = fwrite(chunk, 1, k, fp) == k;
                k = 0;
            }
        }
        if (ok && k) ok = fwrite(chunk, 1, k, fp) == k;
    }
    if (!ok) {
        ts_afile_abort(af);
        return ts_error_set(TS_ERR_IO, "%s: write failed", path);
    }
    return ts_afile_commit(af);
}

/* ------------------------------------------------------------ parameters */

int ts_nn_params_save(ts_nn_params *p, const char *path, int nmeta, const char *const *meta_kv)
{
    TS_NN_CHECK_PTR(p);
    int n = ts_nn_params_count(p);
    if (!ts_nn_params_flat(p)) return ts_error_set(TS_ERR_INVAL, "nn params save: not allocated");
    const char **names = malloc((size_t)(n ? n : 1) * sizeof *names);
    int *nd = malloc((size_t)(n ? n : 1) * sizeof *nd);
    int64_t *shp = malloc((size_t)(n ? n : 1) * TS_NN_MAXDIM * sizeof *shp);
    const int64_t **shapes = malloc((size_t)(n ? n : 1) * sizeof *shapes);
    const float **data = malloc((size_t)(n ? n : 1) * sizeof *data);
    int rc = TS_OK;
    if (!names || !nd || !shp || !shapes || !data)
        rc = ts_error_set(TS_ERR_NOMEM, "nn params save: out of memory");
    for (int i = 0; !rc && i < n; i++) {
        names[i] = ts_nn_params_name(p, i);
        ts_nn_params_shape(p, i, &nd[i], shp + (size_t)i * TS_NN_MAXDIM);
        shapes[i] = shp + (size_t)i * TS_NN_MAXDIM;
        data[i] = ts_nn_params_data(p, i);
    }
    if (!rc) rc = ts_nn_st_write(path, n, names, nd, shapes, data, nmeta, meta_kv);
    free(names);
    free(nd);
    free(shp);
    free(shapes);
    free(data);
    return rc;
}

int ts_nn_params_load(ts_nn_params *p, const char *path, int allow_extra)
{
    TS_NN_CHECK_PTR(p);
    if (!ts_nn_params_flat(p)) return ts_error_set(TS_ERR_INVAL, "nn params load: not allocated");
    ts_nn_safetensors *st;
    TS_TRY(ts_nn_st_read(path, &st));
    int rc = TS_OK, n = ts_nn_params_count(p);
    /* check everything before copying anything */
    for (int i = 0; !rc && i < n; i++) {
        const char *name = ts_nn_params_name(p, i);
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
        if (!same) rc = ts_error_set(TS_ERR_FORMAT, "%s: tensor '%s' has another shape than the model's", path, name);
    }
    if (!rc && !allow_extra)
        for (int k = 0; k < ts_nn_st_count(st); k++)
            if (ts_nn_params_find(p, ts_nn_st_name(st, k)) < 0) {
                rc = ts_error_set(TS_ERR_FORMAT, "%s: tensor '%s' is not a parameter of this model", path,
                                  ts_nn_st_name(st, k));
                break;
            }
    for (int i = 0; !rc && i < n; i++) {
        int k = ts_nn_st_find(st, ts_nn_params_name(p, i));
        memcpy(ts_nn_params_data(p, i), ts_nn_st_data(st, k), ts_nn_params_numel_(p, i) * sizeof(float));
    }
    ts_nn_st_destroy(st);
    return rc;
}
