// OpenBLAS' CBLAS interface for Swift. Only Runtime's GEMM wrapper imports this module.
#ifndef NNKIT_CBLAS_SHIM_H
#define NNKIT_CBLAS_SHIM_H
#include <cblas.h>
#endif
