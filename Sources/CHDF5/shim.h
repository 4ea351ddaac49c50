// libhdf5 for Swift. Only `_HDF5` imports this module.
#ifndef NNKIT_CHDF5_SHIM_H
#define NNKIT_CHDF5_SHIM_H
#include <hdf5.h>

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
/// Native int32 (macro `H5T_NATIVE_INT32`).
static inline hid_t nnk_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
/// Native uint8 (macro `H5T_NATIVE_UINT8`).
static inline hid_t nnk_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
/// The C string type (macro `H5T_C_S1`), copied and sized for string attributes.
static inline hid_t nnk_H5T_C_S1(void) { return H5T_C_S1; }
/// `H5P_DEFAULT` is a macro constant (0); exposed for symmetry.
static inline hid_t nnk_H5P_DEFAULT(void) { return H5P_DEFAULT; }
/// `H5F_ACC_RDONLY` / `H5F_ACC_TRUNC` are macros that Swift imports as the wrong type on some versions.
static inline unsigned nnk_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned nnk_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
/// `H5S_ALL` is a macro constant.
static inline hid_t nnk_H5S_ALL(void) { return H5S_ALL; }
/// `H5S_UNLIMITED` is a macro expression.
static inline hsize_t nnk_H5S_UNLIMITED(void) { return H5S_UNLIMITED; }
/// `H5P_FILE_ACCESS` / `H5P_LINK_ACCESS` / `H5P_DATASET_CREATE` are macro expressions (H5open() + global).
static inline hid_t nnk_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t nnk_H5P_LINK_ACCESS(void) { return H5P_LINK_ACCESS; }
static inline hid_t nnk_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
/// `H5T_VARIABLE` is a macro constant ((size_t)-1).
static inline size_t nnk_H5T_VARIABLE(void) { return H5T_VARIABLE; }
/// Silences libhdf5's automatic error stack printing; errors become Swift throws instead.
static inline void nnk_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

#endif
