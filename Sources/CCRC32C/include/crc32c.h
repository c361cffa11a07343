#ifndef TESSERA_CRC32C_H
#define TESSERA_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Extends a CRC32C (Castagnoli, reflected, as in iSCSI and ext4) over `length` bytes.
/// Start with `crc = 0`; feeding a buffer in pieces gives the same result as feeding it whole.
uint32_t tessera_crc32c_extend(uint32_t crc, const void *bytes, size_t length);

/// 1 when the SSE4.2 instruction is used, 0 when the portable table is.
int tessera_crc32c_is_hardware(void);

#endif
