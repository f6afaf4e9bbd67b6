/* libFuzzer target for the md readers: the first input byte picks the reader
 * (MEAM library file, MEAM parameter file, LAMMPS data, extended XYZ, POSCAR),
 * the rest is the file. Any input must give a result or a clean error. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tinsel/core.h"
#include "tinsel/md.h"

#ifndef TS_SOURCE_DIR
#define TS_SOURCE_DIR "."
#endif
#define POT TS_SOURCE_DIR "/tests/oracles/md/potentials/"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/tmp/tinsel-fuzz-md.%ld", (long)getpid());
    FILE *fp = fopen(path, "wb");
    if (!fp) return 0;
    fwrite(data + 1, 1, size - 1, fp);
    fclose(fp);
    static const char *const el[3] = {"Ag", "Cu", "Sn"};
    ts_md_meam *p = NULL;
    ts_md_system *s = NULL;
    switch (data[0] % 5) {
    case 0: ts_md_meam_load(path, NULL, el, 3, &p); break;
    case 1: ts_md_meam_load(POT "AgCuSn.library.meam", path, el, 3, &p); break;
    case 2: ts_md_read_lammps_data(path, &s); break;
    case 3: ts_md_read_extxyz(path, el, 3, &s); break;
    default: ts_md_read_poscar(path, el, 3, &s); break;
    }
    ts_md_meam_destroy(p);
    ts_md_system_destroy(s);
    return 0;
}
