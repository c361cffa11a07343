// CRC32C for the write-ahead log. Swift cannot reach the SSE4.2 crc32 instruction, so this small C file
// does: the hardware path where the CPU has it, a byte table otherwise. Both give the same values.
#include "crc32c.h"

#include <string.h>

static const uint32_t kPolynomialReflected = 0x82F63B78u;
static uint32_t table[256];

static void build_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t crc = i;
        for (int bit = 0; bit < 8; bit++) {
            crc = (crc & 1) ? (crc >> 1) ^ kPolynomialReflected : crc >> 1;
        }
        table[i] = crc;
    }
}

static uint32_t extend_portable(uint32_t crc, const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    }
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t extend_hardware(uint32_t crc, const unsigned char *p, size_t n) {
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n > 0) {
        c32 = __builtin_ia32_crc32qi(c32, *p);
        p++;
        n--;
    }
    return c32;
}
#endif

static int hardware = 0;

// Runs when the library loads, before any thread can call in, so the table and flag need no lock.
__attribute__((constructor)) static void initialize(void) {
    build_table();
#if defined(__x86_64__)
    __builtin_cpu_init();
    hardware = __builtin_cpu_supports("sse4.2") ? 1 : 0;
#else
    hardware = 0;
#endif
}

int tessera_crc32c_is_hardware(void) {
    return hardware;
}

uint32_t tessera_crc32c_extend(uint32_t crc, const void *bytes, size_t length) {
    uint32_t c = ~crc;
#if defined(__x86_64__)
    if (hardware) return ~extend_hardware(c, (const unsigned char *)bytes, length);
#endif
    return ~extend_portable(c, (const unsigned char *)bytes, length);
}
