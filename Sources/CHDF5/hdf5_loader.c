// libhdf5 loaded on first use instead of linked: see nnkit_hdf5.h for why.
//
// Each function of hdf5.h that nnkit calls is defined here under its own name (after hdf5.h's
// macros, e.g. a versioned alias) and forwards to the library's definition found by dlsym; the
// globals behind the H5T_* and H5P_* macro expressions are defined here and copied from the
// library's after its H5open. Everything is hidden, so nothing outside the executable (libhdf5
// itself included) can bind to these definitions.
#include "nnkit_hdf5.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC visibility push(hidden)

// The functions, as (return type, name, (parameters), (arguments)). H5open and H5check_version,
// which the macro expressions call, are defined by hand below.
#define NNK_HDF5_FUNCTIONS(X) \
    X(herr_t, H5Aclose, (hid_t attr_id), (attr_id)) \
    X(hid_t, H5Acreate2, (hid_t loc_id, const char *attr_name, hid_t type_id, hid_t space_id, hid_t acpl_id, hid_t aapl_id), (loc_id, attr_name, type_id, space_id, acpl_id, aapl_id)) \
    X(herr_t, H5Adelete, (hid_t loc_id, const char *attr_name), (loc_id, attr_name)) \
    X(htri_t, H5Aexists, (hid_t obj_id, const char *attr_name), (obj_id, attr_name)) \
    X(hid_t, H5Aget_space, (hid_t attr_id), (attr_id)) \
    X(hid_t, H5Aget_type, (hid_t attr_id), (attr_id)) \
    X(herr_t, H5Aiterate2, (hid_t loc_id, H5_index_t idx_type, H5_iter_order_t order, hsize_t *idx, H5A_operator2_t op, void *op_data), (loc_id, idx_type, order, idx, op, op_data)) \
    X(hid_t, H5Aopen, (hid_t obj_id, const char *attr_name, hid_t aapl_id), (obj_id, attr_name, aapl_id)) \
    X(herr_t, H5Aread, (hid_t attr_id, hid_t type_id, void *buf), (attr_id, type_id, buf)) \
    X(herr_t, H5Awrite, (hid_t attr_id, hid_t type_id, const void *buf), (attr_id, type_id, buf)) \
    X(herr_t, H5Dclose, (hid_t dset_id), (dset_id)) \
    X(hid_t, H5Dcreate2, (hid_t loc_id, const char *name, hid_t type_id, hid_t space_id, hid_t lcpl_id, hid_t dcpl_id, hid_t dapl_id), (loc_id, name, type_id, space_id, lcpl_id, dcpl_id, dapl_id)) \
    X(hid_t, H5Dget_create_plist, (hid_t dset_id), (dset_id)) \
    X(hid_t, H5Dget_space, (hid_t dset_id), (dset_id)) \
    X(hsize_t, H5Dget_storage_size, (hid_t dset_id), (dset_id)) \
    X(hid_t, H5Dget_type, (hid_t dset_id), (dset_id)) \
    X(hid_t, H5Dopen2, (hid_t loc_id, const char *name, hid_t dapl_id), (loc_id, name, dapl_id)) \
    X(herr_t, H5Dread, (hid_t dset_id, hid_t mem_type_id, hid_t mem_space_id, hid_t file_space_id, hid_t dxpl_id, void *buf), (dset_id, mem_type_id, mem_space_id, file_space_id, dxpl_id, buf)) \
    X(herr_t, H5Dvlen_reclaim, (hid_t type_id, hid_t space_id, hid_t dxpl_id, void *buf), (type_id, space_id, dxpl_id, buf)) \
    X(herr_t, H5Dwrite, (hid_t dset_id, hid_t mem_type_id, hid_t mem_space_id, hid_t file_space_id, hid_t dxpl_id, const void *buf), (dset_id, mem_type_id, mem_space_id, file_space_id, dxpl_id, buf)) \
    X(herr_t, H5Eset_auto2, (hid_t estack_id, H5E_auto2_t func, void *client_data), (estack_id, func, client_data)) \
    X(herr_t, H5Ewalk2, (hid_t err_stack, H5E_direction_t direction, H5E_walk2_t func, void *client_data), (err_stack, direction, func, client_data)) \
    X(herr_t, H5Fclose, (hid_t file_id), (file_id)) \
    X(hid_t, H5Fcreate, (const char *filename, unsigned flags, hid_t fcpl_id, hid_t fapl_id), (filename, flags, fcpl_id, fapl_id)) \
    X(herr_t, H5Fflush, (hid_t object_id, H5F_scope_t scope), (object_id, scope)) \
    X(hid_t, H5Fopen, (const char *filename, unsigned flags, hid_t fapl_id), (filename, flags, fapl_id)) \
    X(herr_t, H5Gclose, (hid_t group_id), (group_id)) \
    X(hid_t, H5Gcreate2, (hid_t loc_id, const char *name, hid_t lcpl_id, hid_t gcpl_id, hid_t gapl_id), (loc_id, name, lcpl_id, gcpl_id, gapl_id)) \
    X(hid_t, H5Gopen2, (hid_t loc_id, const char *name, hid_t gapl_id), (loc_id, name, gapl_id)) \
    X(herr_t, H5Lcreate_external, (const char *file_name, const char *obj_name, hid_t link_loc_id, const char *link_name, hid_t lcpl_id, hid_t lapl_id), (file_name, obj_name, link_loc_id, link_name, lcpl_id, lapl_id)) \
    X(herr_t, H5Lcreate_soft, (const char *link_target, hid_t link_loc_id, const char *link_name, hid_t lcpl_id, hid_t lapl_id), (link_target, link_loc_id, link_name, lcpl_id, lapl_id)) \
    X(herr_t, H5Ldelete, (hid_t loc_id, const char *name, hid_t lapl_id), (loc_id, name, lapl_id)) \
    X(htri_t, H5Lexists, (hid_t loc_id, const char *name, hid_t lapl_id), (loc_id, name, lapl_id)) \
    X(herr_t, H5Lget_info, (hid_t loc_id, const char *name, H5L_info_t *linfo, hid_t lapl_id), (loc_id, name, linfo, lapl_id)) \
    X(herr_t, H5Literate, (hid_t grp_id, H5_index_t idx_type, H5_iter_order_t order, hsize_t *idx, H5L_iterate_t op, void *op_data), (grp_id, idx_type, order, idx, op, op_data)) \
    X(herr_t, H5Oget_info_by_name2, (hid_t loc_id, const char *name, H5O_info_t *oinfo, unsigned fields, hid_t lapl_id), (loc_id, name, oinfo, fields, lapl_id)) \
    X(herr_t, H5Pclose, (hid_t plist_id), (plist_id)) \
    X(hid_t, H5Pcreate, (hid_t cls_id), (cls_id)) \
    X(int, H5Pget_external_count, (hid_t plist_id), (plist_id)) \
    X(H5Z_filter_t, H5Pget_filter2, (hid_t plist_id, unsigned idx, unsigned int *flags , size_t *cd_nelmts , unsigned cd_values[] , size_t namelen, char name[], unsigned *filter_config), (plist_id, idx, flags, cd_nelmts, cd_values, namelen, name, filter_config)) \
    X(H5D_layout_t, H5Pget_layout, (hid_t plist_id), (plist_id)) \
    X(int, H5Pget_nfilters, (hid_t plist_id), (plist_id)) \
    X(herr_t, H5Pset_char_encoding, (hid_t plist_id, H5T_cset_t encoding), (plist_id, encoding)) \
    X(herr_t, H5Pset_create_intermediate_group, (hid_t plist_id, unsigned crt_intmd), (plist_id, crt_intmd)) \
    X(herr_t, H5Pset_elink_cb, (hid_t lapl_id, H5L_elink_traverse_t func, void *op_data), (lapl_id, func, op_data)) \
    X(herr_t, H5Pset_libver_bounds, (hid_t plist_id, H5F_libver_t low, H5F_libver_t high), (plist_id, low, high)) \
    X(herr_t, H5Sclose, (hid_t space_id), (space_id)) \
    X(hid_t, H5Screate, (H5S_class_t type), (type)) \
    X(hid_t, H5Screate_simple, (int rank, const hsize_t dims[], const hsize_t maxdims[]), (rank, dims, maxdims)) \
    X(int, H5Sget_simple_extent_dims, (hid_t space_id, hsize_t dims[], hsize_t maxdims[]), (space_id, dims, maxdims)) \
    X(int, H5Sget_simple_extent_ndims, (hid_t space_id), (space_id)) \
    X(H5S_class_t, H5Sget_simple_extent_type, (hid_t space_id), (space_id)) \
    X(herr_t, H5Tclose, (hid_t type_id), (type_id)) \
    X(hid_t, H5Tcopy, (hid_t type_id), (type_id)) \
    X(H5T_class_t, H5Tget_class, (hid_t type_id), (type_id)) \
    X(H5T_cset_t, H5Tget_cset, (hid_t type_id), (type_id)) \
    X(herr_t, H5Tget_fields, (hid_t type_id, size_t *spos , size_t *epos , size_t *esize , size_t *mpos , size_t *msize), (type_id, spos, epos, esize, mpos, msize)) \
    X(H5T_order_t, H5Tget_order, (hid_t type_id), (type_id)) \
    X(H5T_sign_t, H5Tget_sign, (hid_t type_id), (type_id)) \
    X(size_t, H5Tget_size, (hid_t type_id), (type_id)) \
    X(H5T_str_t, H5Tget_strpad, (hid_t type_id), (type_id)) \
    X(htri_t, H5Tis_variable_str, (hid_t type_id), (type_id)) \
    X(herr_t, H5Tset_cset, (hid_t type_id, H5T_cset_t cset), (type_id, cset)) \
    X(herr_t, H5Tset_order, (hid_t type_id, H5T_order_t order), (type_id, order)) \
    X(herr_t, H5Tset_size, (hid_t type_id, size_t size), (type_id, size)) \
    X(herr_t, H5Tset_strpad, (hid_t type_id, H5T_str_t strpad), (type_id, strpad)) \
    X(htri_t, H5Zfilter_avail, (H5Z_filter_t id), (id))

// The globals that hdf5.h's macro expressions read (H5T_NATIVE_FLOAT is `(H5open(), H5T_NATIVE_FLOAT_g)`).
#define NNK_HDF5_GLOBALS(X) \
    X(H5T_NATIVE_FLOAT_g) X(H5T_NATIVE_DOUBLE_g) X(H5T_NATIVE_UINT16_g) X(H5T_NATIVE_INT64_g) X(H5T_C_S1_g) \
    X(H5T_IEEE_F32LE_g) X(H5T_IEEE_F64LE_g) X(H5T_STD_U16LE_g) X(H5T_STD_I64LE_g) \
    X(H5P_CLS_FILE_ACCESS_ID_g) X(H5P_CLS_LINK_ACCESS_ID_g) X(H5P_CLS_GROUP_ACCESS_ID_g) \
    X(H5P_CLS_DATASET_ACCESS_ID_g) X(H5P_CLS_LINK_CREATE_ID_g)

#define NNK_STRING(x) #x
#define NNK_SYMBOL(name) NNK_STRING(name)   // the name after hdf5.h's macros (the library's symbol)

static struct {
#define NNK_POINTER(ret, name, params, args) ret (*name) params;
    NNK_HDF5_FUNCTIONS(NNK_POINTER)
#undef NNK_POINTER
    herr_t (*H5open)(void);
} real;

#define NNK_DEFINE_GLOBAL(name) hid_t name = H5I_INVALID_HID;
NNK_HDF5_GLOBALS(NNK_DEFINE_GLOBAL)
#undef NNK_DEFINE_GLOBAL

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int loaded;
static char load_error[1024];

/// Appends to load_error (truncating at its size).
static void note(const char *format, const char *a, const char *b) {
    size_t used = strlen(load_error);
    if (used + 1 < sizeof load_error) snprintf(load_error + used, sizeof load_error - used, format, a, b);
}

/// Opens `library` and resolves every symbol; 1 on success, else 0 with the reason appended.
static int try_library(const char *library) {
    void *lib = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        note("%s%s", *load_error ? "; " : "", why ? why : library);
        return 0;
    }
    __typeof__(&H5get_libversion) version = (__typeof__(&H5get_libversion))dlsym(lib, "H5get_libversion");
    unsigned major = 0, minor = 0, release = 0;
    if (!version) {
        note("%s%s is not libhdf5 (it has no H5get_libversion)", *load_error ? "; " : "", library);
        dlclose(lib);
        return 0;
    }
    if (version(&major, &minor, &release) < 0 ||
        major != H5_VERS_MAJOR || minor != H5_VERS_MINOR || release != H5_VERS_RELEASE) {
        char detail[192];
        snprintf(detail, sizeof detail, "%s is libhdf5 %u.%u.%u, but nnkit was built with the headers of %d.%d.%d",
                 library, major, minor, release, H5_VERS_MAJOR, H5_VERS_MINOR, H5_VERS_RELEASE);
        note("%s%s", *load_error ? "; " : "", detail);
        dlclose(lib);
        return 0;
    }
#define NNK_RESOLVE(ret, name, params, args) \
    if (!(*(void **)&real.name = dlsym(lib, NNK_SYMBOL(name)))) { \
        note("%s%s has no symbol " NNK_SYMBOL(name), *load_error ? "; " : "", library); \
        dlclose(lib); \
        return 0; \
    }
    NNK_HDF5_FUNCTIONS(NNK_RESOLVE)
    NNK_RESOLVE(herr_t, H5open, (void), ())
#undef NNK_RESOLVE
    if (real.H5open() < 0) {
        note("%s%s: H5open failed", *load_error ? "; " : "", library);
        return 0;   // the library stays loaded: it may have initialised part of itself
    }
#define NNK_COPY_GLOBAL(name) { \
        const hid_t *source = (const hid_t *)dlsym(lib, #name); \
        if (!source) { note("%s%s has no symbol " #name, *load_error ? "; " : "", library); return 0; } \
        name = *source; \
    }
    NNK_HDF5_GLOBALS(NNK_COPY_GLOBAL)
#undef NNK_COPY_GLOBAL
    return 1;
}

static void load(void) {
    // The development package's link (the very library the headers came with) first, then the
    // run-time package's names of the HDF5 releases Debian ships (1.10: .103, 1.12: .200, 1.14: .310).
    static const char *const names[] = {
        "libhdf5_serial.so", "libhdf5.so",
        "libhdf5_serial.so.103", "libhdf5_serial.so.200", "libhdf5_serial.so.310",
        "libhdf5.so.103", "libhdf5.so.200", "libhdf5.so.310",
    };
    const char *forced = getenv("NNKIT_LIBHDF5");   // a path or name to use instead (tests, odd installs)
    if (forced && *forced) {
        loaded = try_library(forced);
    } else {
        for (size_t i = 0; i < sizeof names / sizeof names[0] && !loaded; i++) loaded = try_library(names[i]);
    }
    if (loaded) load_error[0] = 0;
}

int nnk_hdf5_load(char *error, size_t error_size) {
    pthread_once(&load_once, load);
    if (!loaded && error && error_size) snprintf(error, error_size, "%s", load_error);
    return loaded;
}

/// Every forwarding function goes through here: the Swift side loads the library (and reports a
/// failure as an error naming the file) before its first call, so reaching this unloaded is a bug.
static void require_loaded(const char *function) {
    if (__builtin_expect(!nnk_hdf5_load(NULL, 0), 0)) {
        fprintf(stderr, "nnkit: internal error: %s called but libhdf5 could not be loaded: %s\n", function, load_error);
        exit(70);
    }
}

#define NNK_FORWARD(ret, name, params, args) \
    ret name params { require_loaded(NNK_SYMBOL(name)); return real.name args; }
NNK_HDF5_FUNCTIONS(NNK_FORWARD)
#undef NNK_FORWARD

herr_t H5open(void) {
    require_loaded("H5open");
    return real.H5open();
}

herr_t H5check_version(unsigned majnum, unsigned minnum, unsigned relnum) {
    // hdf5.h's H5F_ACC_* macros call this with the headers' version. libhdf5's own check prints a
    // warning and aborts on a mismatch; the load already refused any library that is not exactly
    // the headers' version, so only a different caller version can differ here.
    require_loaded("H5check_version");
    return (majnum == H5_VERS_MAJOR && minnum == H5_VERS_MINOR && relnum == H5_VERS_RELEASE) ? 0 : -1;
}

#pragma GCC visibility pop
