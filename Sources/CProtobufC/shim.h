// libprotobuf-c for the generated ONNX messages (COnnx). Only `COnnx` and `_ONNX` see it.
#ifndef NNKIT_CPROTOBUFC_SHIM_H
#define NNKIT_CPROTOBUFC_SHIM_H
#include <protobuf-c/protobuf-c.h>
#endif
