#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
#include <zlib.h>

/// inflateInit and deflateInit are macros Swift cannot import; these pass the version and size
/// the library checks.
static inline int czlib_inflate_init(z_streamp stream) { return inflateInit(stream); }
static inline int czlib_deflate_init(z_streamp stream, int level) { return deflateInit(stream, level); }
#endif
