// libhdf5 for Swift, loaded with dlopen on first use (hdf5_loader.c). Only `_HDF5` imports this module.
//
// nnrun and nnconv do not link libhdf5: on Debian it brings about 35 libraries (libcurl, Kerberos,
// GnuTLS, ...) whose loading cost every process start about 9 ms of wall time (5 ms of CPU) on an
// AMD EPYC, also for the commands that never touch an HDF5 file (`nnrun predict model.nnf`). The
// functions and globals of hdf5.h that nnkit uses are defined in hdf5_loader.c instead (hidden
// symbols, each forwarding to the library's own), and `nnk_hdf5_load` opens the library the first
// time a file is opened. The declarations are the installed hdf5.h's, so a prototype that does not
// match the library's headers fails to compile.
#ifndef NNKIT_CHDF5_SHIM_H
#define NNKIT_CHDF5_SHIM_H
#include <stddef.h>
#if __has_include(<hdf5/serial/hdf5.h>)
#include <hdf5/serial/hdf5.h>   // Debian and Ubuntu (libhdf5-dev)
#else
#include <hdf5.h>               // where the headers sit in the default include path
#endif

/// Opens libhdf5 once per process (thread-safe) and checks that its major.minor version is the one
/// of the headers nnkit was built with. Returns 1 when the library is usable; 0 otherwise, with a
/// NUL-terminated reason in `error` (which library names were tried and why each failed). Later
/// calls return the first call's result and reason.
int nnk_hdf5_load(char *error, size_t error_size);

// The H5T_NATIVE_* and H5P_DEFAULT names are macros that expand to a library call
// (H5open() plus a global); Swift cannot import them, so each gets a function.

/// Native little-endian IEEE float32 (macro expression `H5T_NATIVE_FLOAT`).
static inline hid_t nnk_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
/// Native float64 (macro expression `H5T_NATIVE_DOUBLE`).
static inline hid_t nnk_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
/// Native uint16, used to carry float16/bfloat16 bit patterns (macro `H5T_NATIVE_UINT16`).
static inline hid_t nnk_H5T_NATIVE_UINT16(void) { return H5T_NATIVE_UINT16; }
/// Native int64 (macro `H5T_NATIVE_INT64`).
static inline hid_t nnk_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
/// The C string type (macro `H5T_C_S1`), copied and sized for string attributes.
static inline hid_t nnk_H5T_C_S1(void) { return H5T_C_S1; }
/// `H5P_DEFAULT` is a macro constant (0); exposed for symmetry.
static inline hid_t nnk_H5P_DEFAULT(void) { return H5P_DEFAULT; }
/// `H5F_ACC_RDONLY` / `H5F_ACC_TRUNC` are macros that Swift imports as the wrong type on some versions.
static inline unsigned nnk_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned nnk_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
/// `H5S_ALL` is a macro constant.
static inline hid_t nnk_H5S_ALL(void) { return H5S_ALL; }
/// `H5P_FILE_ACCESS` / `H5P_LINK_ACCESS` are macro expressions (H5open() + global).
static inline hid_t nnk_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t nnk_H5P_LINK_ACCESS(void) { return H5P_LINK_ACCESS; }
/// `H5T_VARIABLE` is a macro constant ((size_t)-1).
static inline size_t nnk_H5T_VARIABLE(void) { return H5T_VARIABLE; }
/// Silences libhdf5's automatic error stack printing; errors become Swift throws instead.
static inline void nnk_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/// `H5P_GROUP_ACCESS` / `H5P_DATASET_ACCESS` are macro expressions; open calls get property lists that refuse external-link traversal.
static inline hid_t nnk_H5P_GROUP_ACCESS(void) { return H5P_GROUP_ACCESS; }
static inline hid_t nnk_H5P_DATASET_ACCESS(void) { return H5P_DATASET_ACCESS; }
/// `H5F_ACC_RDWR` is a macro constant; tests open containers for update to build hostile variants.
static inline unsigned nnk_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
/// `H5E_DEFAULT` is a macro constant (the current thread's error stack); needed for H5Ewalk2.
static inline hid_t nnk_H5E_DEFAULT(void) { return H5E_DEFAULT; }
/// Explicit little-endian file types (macro expressions), so files are the same on every host.
static inline hid_t nnk_H5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t nnk_H5T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }
static inline hid_t nnk_H5T_STD_U16LE(void) { return H5T_STD_U16LE; }
static inline hid_t nnk_H5T_STD_I64LE(void) { return H5T_STD_I64LE; }
/// `H5P_LINK_CREATE` is a macro expression; its lists create intermediate groups (`dense/kernel:0`).
static inline hid_t nnk_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
/// `H5F_LIBVER_LATEST` is a macro alias; the writer pins the low bound to the 1.8 format instead (large attributes).
static inline H5F_libver_t nnk_H5F_LIBVER_V18(void) { return H5F_LIBVER_V18; }

#endif
